//! The shared frame assembly's own rules, beyond what the per-codec depacketizers did: no copy
//! for one-packet frames, the frame size bound, restart marks, audio frames handed out at once,
//! and errors that say what is wrong where.

use bytes::Bytes;
use mjrtool_core::{Depacketizer as PayloadRules, Frame, Nanos};
use rtp_depack::{
    FrameAssembler, Limits, OpusPacketizer, OpusPayload, RtpBuilder, RtpPacket, Vp8FrameHeader,
    Vp8Packetizer, Vp8Payload,
};

mod common;
use common::vp8_frame;

/// The VP8 packets of `frames` (one timestamp each), at most `max` bytes of payload each.
fn vp8_packets(
    b: &mut RtpBuilder,
    frames: &[Vec<u8>],
    first_ts: u32,
    max: usize,
) -> Vec<RtpPacket> {
    let mut v = Vp8Packetizer::new(max, Some(1));
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        v.packetize(f, &mut |p, m| {
            let mut raw = Vec::new();
            b.build(first_ts + 3000 * i as u32, m, p, &[], &mut raw);
            out.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
        });
    }
    out
}

fn opus_packets(b: &mut RtpBuilder, n: usize) -> Vec<RtpPacket> {
    let mut out = Vec::new();
    for i in 0..n {
        OpusPacketizer.packetize(&[0xF8, i as u8, 7], &mut |p, m| {
            let mut raw = Vec::new();
            b.build(960 * i as u32, m, p, &[], &mut raw);
            out.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
        });
    }
    out
}

fn run<D: PayloadRules>(a: &mut FrameAssembler<D>, packets: &[RtpPacket]) -> Vec<Frame> {
    let mut out = Vec::new();
    for p in packets {
        a.push(p.clone(), None);
        out.extend(std::iter::from_fn(|| a.pop()));
    }
    a.finish();
    out.extend(std::iter::from_fn(|| a.pop()));
    out
}

#[test]
fn a_one_packet_frame_is_a_slice_of_its_packet_and_a_longer_one_is_whole() {
    let mut b = RtpBuilder::new(1, 96);
    let frames = [vp8_frame(true, 80, 1), vp8_frame(false, 500, 2)];
    let packets = vp8_packets(&mut b, &frames, 0, 200);
    let mut a = FrameAssembler::new(Vp8Payload, 8);
    let out = run(&mut a, &packets);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].data, frames[0]);
    assert_eq!(out[1].data, frames[1]);
    // The first frame's bytes are the packet's own, after the 12-byte header and 4-byte
    // descriptor.
    assert_eq!(
        out[0].data.parts()[0].as_ptr(),
        packets[0].raw[16..].as_ptr()
    );

    let packets = opus_packets(&mut RtpBuilder::new(2, 111), 3);
    let out = run(&mut FrameAssembler::new(OpusPayload, 8), &packets);
    for (f, p) in out.iter().zip(&packets) {
        assert_eq!(f.data.parts()[0].as_ptr(), p.raw[12..].as_ptr());
    }
}

#[test]
fn a_frame_over_the_size_bound_is_dropped_and_the_next_keyframe_kept() {
    let mut b = RtpBuilder::new(1, 96);
    let frames = [
        vp8_frame(true, 300, 1),
        vp8_frame(true, 1200, 2),
        vp8_frame(true, 400, 3),
    ];
    let packets = vp8_packets(&mut b, &frames, 0, 100);
    let limits = Limits {
        max_frame_bytes: 1000,
    };
    let mut a = FrameAssembler::new(Vp8Payload, 8).with_limits(limits);
    let out = run(&mut a, &packets);
    let sizes: Vec<usize> = out.iter().map(|f| f.data.len()).collect();
    assert_eq!(sizes, [300, 400]);
    assert_eq!(a.stats().depack.frames_dropped_incomplete, 1);
}

#[test]
fn the_first_frame_after_a_new_ssrc_or_new_numbering_is_marked() {
    let frames: Vec<Vec<u8>> = (0..6).map(|i| vp8_frame(i % 3 == 0, 300, i)).collect();
    let mut b = RtpBuilder::new(1, 96);
    b.sequence = 100;
    let mut packets = vp8_packets(&mut b, &frames[..3], 0, 120);
    // A new encoder: Janus keeps the sequence numbers going.
    b.ssrc = 2;
    packets.extend(vp8_packets(&mut b, &frames[3..], 90_000, 120));
    // The same SSRC back with new bases.
    b.sequence = 30_000;
    packets.extend(vp8_packets(&mut b, &frames, 500_000, 120));
    let mut a = FrameAssembler::new(Vp8Payload, 16);
    let out = run(&mut a, &packets);
    assert_eq!(out.len(), 12);
    let marked: Vec<usize> = (0..12).filter(|&i| out[i].discontinuity).collect();
    assert_eq!(marked, [3, 6]);
    let s = a.stats();
    assert_eq!((s.discontinuities, s.reorder.resets), (2, 1));
}

#[test]
fn audio_packets_are_frames_at_once_whatever_is_lost_after_them() {
    let mut b = RtpBuilder::new(5, 111);
    let mut packets = opus_packets(&mut b, 10);
    packets.remove(4);
    let mut a = FrameAssembler::new(OpusPayload, 1);
    let mut out = Vec::new();
    for p in &packets {
        a.push(
            p.clone(),
            Some(Nanos::from_ms(i64::from(p.header.sequence))),
        );
        // Out as soon as it is in order: the window of 1 holds nothing back.
        out.extend(std::iter::from_fn(|| a.pop()));
        assert_eq!(
            out.last().map(|f| f.rtp_timestamp),
            Some(p.header.timestamp)
        );
    }
    a.finish();
    assert!(a.pop().is_none());
    assert_eq!(out.len(), 9);
    assert_eq!(out[3].arrival, Some(Nanos::from_ms(3)));
    assert_eq!(a.stats().reorder.lost, 1);
}

#[test]
fn a_damaged_frame_header_says_what_was_expected_and_where() {
    let short = Vp8FrameHeader::read(&vp8_frame(true, 40, 0)[..20]).unwrap_err();
    assert_eq!(
        short.to_string(),
        "VP8 payload: expected the whole first partition its frame tag declares, found the frame \
         ends after 20 of 25 bytes at byte 20"
    );
    let mut no_start = vp8_frame(true, 40, 0);
    no_start[4] = 0;
    assert_eq!(
        Vp8FrameHeader::read(&no_start).unwrap_err().to_string(),
        "VP8 payload: expected the keyframe start code 9d 01 2a, found 9d 00 2a at byte 3"
    );
    let err = OpusPayload.inspect(&[0xF9, 1]).unwrap_err();
    assert_eq!((err.codec, err.offset), ("Opus", 0));
}

#[test]
fn a_new_ssrc_whose_first_packets_arrive_late_shares_numbers_with_the_old_one_and_loses_nothing() {
    // Janus numbers a new SSRC on from the first of its packets that reaches it; a packet the
    // new sender sent before that one, arriving after it, gets a number the old stream already
    // used. Within the new stream it is simply out of order: every frame of both is kept.
    let frames: Vec<Vec<u8>> = (0..6).map(|i| vp8_frame(i % 3 == 0, 300, i)).collect();
    let mut b = RtpBuilder::new(1, 96);
    b.sequence = 100;
    let mut packets = vp8_packets(&mut b, &frames[..3], 0, 120);
    let old_last = b.sequence.wrapping_sub(1);
    b.ssrc = 2;
    b.sequence = old_last; // the new keyframe's first packet reuses the old last number
    let mut new = vp8_packets(&mut b, &frames[3..], 90_000, 120);
    new.swap(0, 1); // and arrives after the packet that followed it
    packets.extend(new);
    let mut a = FrameAssembler::new(Vp8Payload, 16);
    let out = run(&mut a, &packets);
    assert_eq!(out.len(), 6, "every frame of both streams");
    assert!(out[3].keyframe && out[3].discontinuity);
    let s = a.stats();
    assert_eq!(
        (s.reorder.duplicates, s.reorder.late, s.reorder.lost),
        (0, 0, 0)
    );
}

/// The packets' bytes one after the other in one buffer, as a recording's read holds them, and
/// the packets parsed as slices of it.
fn in_one_read(packets: &[RtpPacket]) -> Vec<RtpPacket> {
    let mut all = Vec::new();
    let mut at = Vec::new();
    for p in packets {
        all.extend_from_slice(&[0xEE; 10]); // what separates them: a recording's frame header
        at.push(all.len()..all.len() + p.raw.len());
        all.extend_from_slice(&p.raw);
    }
    let all = Bytes::from(all);
    at.into_iter()
        .map(|r| RtpPacket::parse(all.slice(r)).unwrap())
        .collect()
}

#[test]
fn a_frame_of_packets_read_together_is_handed_out_as_their_payloads_uncopied() {
    let mut b = RtpBuilder::new(1, 96);
    let frames = [vp8_frame(true, 900, 1), vp8_frame(false, 700, 2)];
    let packets = in_one_read(&vp8_packets(&mut b, &frames, 0, 200));
    let payload_at = |p: &RtpPacket| p.raw[16..].as_ptr(); // 12-byte header, 4-byte descriptor
    let mut a = FrameAssembler::new(Vp8Payload, 8);
    let out = run(&mut a, &packets);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].data, frames[0]);
    assert_eq!(out[1].data, frames[1]);
    let first = out[0].data.parts().len();
    assert!(first > 2, "{first} parts");
    let at: Vec<_> = out
        .iter()
        .flat_map(|f| f.data.parts())
        .map(|p| p.as_ptr())
        .collect();
    assert_eq!(at, packets.iter().map(payload_at).collect::<Vec<_>>());

    // Reordered inside the read (the second and third packets swapped): still not copied.
    let mut swapped = packets.clone();
    swapped.swap(1, 2);
    let out = run(&mut FrameAssembler::new(Vp8Payload, 8), &swapped);
    assert_eq!(out[0].data, frames[0]);
    assert_eq!(out[0].data.runs(), 1);
    assert_eq!(out[0].data.parts()[1].as_ptr(), payload_at(&packets[1]));

    // Packets from places far apart in memory (each its own buffer, with room around it): the
    // frame is copied into one piece rather than keeping every buffer alive.
    let apart: Vec<RtpPacket> = vp8_packets(&mut b, &frames[..1], 0, 200)
        .iter()
        .map(|p| {
            let mut v = vec![0; 4096 + p.raw.len()];
            v[2048..2048 + p.raw.len()].copy_from_slice(&p.raw);
            RtpPacket::parse(Bytes::from(v).slice(2048..2048 + p.raw.len())).unwrap()
        })
        .collect();
    let out = run(&mut FrameAssembler::new(Vp8Payload, 8), &apart);
    assert_eq!(out[0].data, frames[0]);
    assert_eq!(out[0].data.parts().len(), 1);
}
