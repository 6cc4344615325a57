//! RTP parsing, building, reordering and depacketizing, against each other and by hand.

use bytes::Bytes;
use mjrtool_core::opus::toc::packet_samples;
use proptest::prelude::*;
use rtp_depack::*;

#[test]
fn parses_csrcs_extension_and_padding() {
    let mut p = vec![
        0xB2, 0xE0, 0x12, 0x34, 0, 0, 0x03, 0xE8, 0xDE, 0xAD, 0xBE, 0xEF,
    ];
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // 2 CSRCs
    p.extend_from_slice(&[0xBE, 0xDE, 0, 2, 0x10, 0xAA, 0x21, 0xBB, 0xCC, 0, 0, 0]); // 2 words
    p.extend_from_slice(b"payload");
    p.extend_from_slice(&[0, 0, 3]); // 3 bytes of padding
    let pkt = RtpPacket::parse(Bytes::from(p)).unwrap();
    let h = pkt.header;
    assert!(h.marker);
    assert_eq!(
        (h.payload_type, h.sequence, h.timestamp, h.ssrc),
        (96, 0x1234, 1000, 0xDEADBEEF)
    );
    assert_eq!((h.csrc_count, h.padding_len), (2, 3));
    assert_eq!(pkt.payload(), b"payload");
    let ext: Vec<_> = pkt.extensions().collect();
    assert_eq!(
        ext,
        [
            Extension {
                id: 1,
                data: &[0xAA]
            },
            Extension {
                id: 2,
                data: &[0xBB, 0xCC]
            }
        ]
    );
    assert_eq!(audio_level(pkt.extension(1).unwrap()), Some((true, 0x2A)));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let mut b = RtpBuilder::new(7, 111);
    let mut raw = Vec::new();
    b.build(
        1,
        false,
        b"abcdef",
        &[(3, b"xy"), (200, b"two-byte")],
        &mut raw,
    );
    for n in 0..raw.len() {
        let _ = RtpHeader::parse(&raw[..n]);
    }
    assert!(matches!(
        RtpHeader::parse(&raw[..5]),
        Err(RtpError::TooShort {
            needed: 12,
            found: 5
        })
    ));
    let mut bad = raw.clone();
    bad[0] = 0x40;
    assert!(matches!(
        RtpHeader::parse(&bad),
        Err(RtpError::BadVersion { found: 1 })
    ));
    let mut pad = raw.clone();
    pad[0] |= 0x20;
    *pad.last_mut().unwrap() = 200;
    assert!(matches!(
        RtpHeader::parse(&pad),
        Err(RtpError::BadPadding { .. })
    ));
}

proptest! {
    #[test]
    fn builder_then_parser(
        ssrc in any::<u32>(), pt in 0u8..128, seq in any::<u16>(), ts in any::<u32>(), marker in any::<bool>(),
        payload in prop::collection::vec(any::<u8>(), 0..300),
        exts in prop::collection::vec((1u8..=255, prop::collection::vec(any::<u8>(), 1..40)), 0..4),
    ) {
        let mut b = RtpBuilder::new(ssrc, pt);
        b.sequence = seq;
        let ext_refs: Vec<(u8, &[u8])> = exts.iter().map(|(i, d)| (*i, &d[..])).collect();
        let mut raw = Vec::new();
        b.build(ts, marker, &payload, &ext_refs, &mut raw);
        prop_assert_eq!(b.sequence, seq.wrapping_add(1));
        let p = RtpPacket::parse(Bytes::from(raw)).unwrap();
        prop_assert_eq!((p.header.ssrc, p.header.payload_type, p.header.sequence), (ssrc, pt, seq));
        prop_assert_eq!((p.header.timestamp, p.header.marker), (ts, marker));
        prop_assert_eq!(p.payload(), &payload[..]);
        let got: Vec<(u8, Vec<u8>)> = p.extensions().map(|e| (e.id, e.data.to_vec())).collect();
        prop_assert_eq!(got, exts);
    }

    #[test]
    fn random_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..100)) {
        if let Ok(p) = RtpPacket::parse(Bytes::from(raw.clone())) {
            prop_assert!(p.header.payload_offset + p.header.payload_len <= raw.len());
            for e in p.extensions() {
                prop_assert!(e.data.len() <= raw.len());
            }
        }
    }

    #[test]
    fn reorderer_restores_any_local_shuffle_with_duplicates(
        start in any::<u16>(), n in 1usize..400, window in 8usize..64,
        jitter in prop::collection::vec(0usize..1000, 400),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
    ) {
        // Arrival order: each packet delayed by less than half the window.
        let mut order: Vec<(usize, usize)> = (0..n).map(|i| (i + jitter[i] % (window / 2), i)).collect();
        order.sort();
        let mut arrival: Vec<u16> = order.iter().map(|(_, i)| start.wrapping_add(*i as u16)).collect();
        for d in &dups {
            let i = d.index(arrival.len());
            arrival.insert(i, arrival[i]);
        }
        let mut r = Reorderer::new(window);
        let mut out = Vec::new();
        for s in &arrival {
            r.push(*s, *s);
            while let Some(Reordered::Packet { item, lost_before, .. }) = r.pop() {
                prop_assert_eq!(lost_before, 0);
                out.push(item);
            }
            prop_assert!(r.held() <= window);
        }
        r.flush();
        while let Some(Reordered::Packet { item, .. }) = r.pop() {
            out.push(item);
        }
        let expected: Vec<u16> = (0..n).map(|i| start.wrapping_add(i as u16)).collect();
        prop_assert_eq!(out, expected);
        let s = r.stats();
        prop_assert_eq!((s.lost, s.late, s.duplicates), (0, 0, dups.len() as u64));
    }
}

#[test]
fn reorderer_counts_loss_late_and_resets() {
    let mut r = Reorderer::new(4);
    let mut out = Vec::new();
    let drain = |r: &mut Reorderer<u16>, out: &mut Vec<(u16, u64)>| {
        while let Some(Reordered::Packet {
            item, lost_before, ..
        }) = r.pop()
        {
            out.push((item, lost_before));
        }
    };
    for s in [10u16, 11, 13, 14, 15, 16] {
        r.push(s, s);
        drain(&mut r, &mut out);
    }
    // 12 never came: given up once 4 packets waited.
    assert_eq!(out, [(10, 0), (11, 0), (13, 1), (14, 0), (15, 0), (16, 0)]);
    r.push(12, 12); // too late
                    // A new stream far away.
    for s in [40000u16, 40001] {
        r.push(s, s);
    }
    r.flush();
    drain(&mut r, &mut out);
    assert_eq!(&out[6..], [(40000, 0), (40001, 0)]);
    let s = r.stats();
    assert_eq!((s.lost, s.late, s.resets, s.received), (1, 1, 1, 9));
}

#[test]
fn unwrappers_cross_the_wrap_both_ways() {
    let mut s = SeqUnwrapper::default();
    assert_eq!(
        [65534, 65535, 0, 1, 65535].map(|x| s.unwrap(x)),
        [65534, 65535, 65536, 65537, 65535]
    );
    let mut t = TsUnwrapper::default();
    assert_eq!(t.unwrap(u32::MAX - 10), i64::from(u32::MAX - 10));
    assert_eq!(t.unwrap(5), i64::from(u32::MAX) + 6);
    assert_eq!(t.unwrap(u32::MAX), i64::from(u32::MAX));
}

/// A VP8 frame of `len` bytes: a keyframe (with a real frame header) or an inter frame.
/// Its frame tag (RFC 6386 section 9.1) declares a first partition of half the bytes after the
/// header, so that a frame cut short shows. The first partition starts with 8 zero bytes, which
/// the boolean decoder reads as all-zero header fields (RFC 6386 sections 7, 19.2): one DCT
/// partition, at least 1 byte long; `fill` fills the bytes after them.
fn vp8_frame(key: bool, len: usize, fill: u8) -> Vec<u8> {
    let header_len = if key { 10 } else { 3 };
    let len = len.max(header_len + 2);
    let first_part_size = ((len - header_len) / 2) as u32;
    let tag = (first_part_size << 5 | 0x10 | u32::from(!key)).to_le_bytes();
    let mut f = tag[..3].to_vec();
    if key {
        f.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00]);
    }
    f.resize(len.min(header_len + 8), 0);
    f.resize(len, fill);
    f
}

/// Packetizes one frame at `ts` and appends its RTP packets to `out`.
fn push_frame(
    b: &mut RtpBuilder,
    v: &mut Vp8Packetizer,
    frame: &[u8],
    ts: u32,
    out: &mut Vec<RtpPacket>,
) {
    v.packetize(frame, &mut |p, m| {
        let mut raw = Vec::new();
        b.build(ts, m, p, &[], &mut raw);
        out.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
    });
}

fn packetize(frames: &[Vec<u8>], max: usize, pid: Option<u16>) -> Vec<RtpPacket> {
    let mut b = RtpBuilder::new(1, 96);
    b.sequence = 65000;
    let mut v = Vp8Packetizer::new(max, pid);
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        push_frame(&mut b, &mut v, f, 3000 * i as u32, &mut out);
    }
    out
}

fn depacketize(packets: &[RtpPacket], window: usize, d: &mut dyn Depacketizer) -> Vec<Frame> {
    let mut r = Reorderer::new(window);
    let mut out = Vec::new();
    let run = |r: &mut Reorderer<RtpPacket>, d: &mut dyn Depacketizer, out: &mut Vec<Frame>| {
        while let Some(Reordered::Packet {
            ext_seq,
            item,
            lost_before,
        }) = r.pop()
        {
            d.push(InputPacket {
                packet: &item,
                ext_seq,
                lost_before,
                arrival_ms: None,
            });
            while let Some(f) = d.pop() {
                out.push(f);
            }
        }
    };
    for p in packets {
        r.push(p.header.sequence, p.clone());
        run(&mut r, d, &mut out);
    }
    r.flush();
    run(&mut r, d, &mut out);
    d.finish();
    while let Some(f) = d.pop() {
        out.push(f);
    }
    out
}

proptest! {
    #[test]
    fn vp8_packetize_shuffle_depacketize(
        sizes in prop::collection::vec((1usize..4000, any::<u8>()), 1..30),
        key_every in 1usize..10, max in 20usize..1200, pid in prop::option::of(any::<u16>()),
        swaps in prop::collection::vec((any::<prop::sample::Index>(), 1usize..6), 0..40),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let frames: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, (n, fill))| vp8_frame(i % key_every == 0, *n, *fill)).collect();
        let mut packets = packetize(&frames, max, pid);
        let n = packets.len();
        for (i, d) in &swaps {
            let a = i.index(n);
            packets.swap(a, (a + d).min(n - 1));
        }
        for d in &dups {
            let i = d.index(packets.len());
            packets.insert(i, packets[i].clone());
        }
        let mut d = Vp8Depacketizer::default();
        let out = depacketize(&packets, 64, &mut d);
        let got: Vec<(usize, u32)> = out.iter().map(|f| (f.data.len(), f.rtp_timestamp)).collect();
        let want: Vec<(usize, u32)> = frames.iter().enumerate().map(|(i, f)| (f.len(), 3000 * i as u32)).collect();
        prop_assert_eq!(got, want);
        prop_assert!(out.iter().zip(&frames).all(|(g, w)| g.data[..] == w[..]));
        for (i, f) in out.iter().enumerate() {
            prop_assert_eq!(f.keyframe, i % key_every == 0);
            prop_assert_eq!(f.rtp_timestamp, 3000 * i as u32);
            if f.keyframe {
                prop_assert_eq!((f.width, f.height), (Some(320), Some(240)));
            }
        }
        prop_assert_eq!(d.stats().frames, frames.len() as u64);
    }

    #[test]
    fn vp8_loss_never_yields_a_broken_frame(
        sizes in prop::collection::vec(1usize..3000, 2..40), key_every in 1usize..8,
        lose in prop::collection::vec(any::<prop::sample::Index>(), 1..5),
    ) {
        let frames: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, n)| vp8_frame(i % key_every == 0, *n, i as u8)).collect();
        let mut packets = packetize(&frames, 500, Some(5));
        for l in &lose {
            if packets.len() > 1 {
                packets.remove(l.index(packets.len()));
            }
        }
        let mut d = Vp8Depacketizer::new(AfterLoss::WaitForKeyframe);
        let out = depacketize(&packets, 16, &mut d);
        // Every frame handed out is one of the originals, in order, and after each gap the
        // first one is a keyframe.
        let mut last = None;
        for f in &out {
            let i = frames.iter().position(|x| x[..] == f.data[..]).expect("an original frame");
            let idx = (f.rtp_timestamp / 3000) as usize;
            prop_assert_eq!(&frames[idx][..], &f.data[..]);
            if let Some(l) = last {
                prop_assert!(idx > l);
                if idx != l + 1 {
                    prop_assert!(f.keyframe, "frame {} follows {} without being a keyframe", idx, l);
                }
            }
            last = Some(idx);
            let _ = i;
        }
        let s = d.stats();
        prop_assert_eq!(s.frames as usize, out.len());
        prop_assert!(s.frames_dropped_incomplete >= 1 || out.len() < frames.len() || packets.len() == frames.iter().map(|f| f.len().div_ceil(496)).sum::<usize>());
    }

    #[test]
    fn vp8_keep_policy_hands_out_exactly_the_complete_frames(
        sizes in prop::collection::vec(1usize..3000, 2..40), key_every in 1usize..8,
        lose in prop::collection::vec(any::<prop::sample::Index>(), 1..5),
    ) {
        let frames: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, n)| vp8_frame(i % key_every == 0, *n, i as u8)).collect();
        let mut packets = packetize(&frames, 500, Some(5));
        let per_frame = |ps: &[RtpPacket]| {
            let mut n = vec![0usize; frames.len()];
            for p in ps {
                n[(p.header.timestamp / 3000) as usize] += 1;
            }
            n
        };
        let sent = per_frame(&packets);
        for l in &lose {
            if packets.len() > 1 {
                packets.remove(l.index(packets.len()));
            }
        }
        let kept = per_frame(&packets);
        // Complete frames from the first complete keyframe on.
        let complete = |i: usize| sent[i] == kept[i];
        let first_key = (0..frames.len()).find(|&i| i % key_every == 0 && complete(i));
        let want: Vec<usize> = match first_key {
            Some(k) => (k..frames.len()).filter(|&i| complete(i)).collect(),
            None => Vec::new(),
        };
        let mut d = Vp8Depacketizer::new(AfterLoss::KeepCompleteFrames);
        let out = depacketize(&packets, 16, &mut d);
        let got: Vec<usize> = out.iter().map(|f| (f.rtp_timestamp / 3000) as usize).collect();
        prop_assert_eq!(&got, &want);
        for f in &out {
            prop_assert_eq!(&frames[(f.rtp_timestamp / 3000) as usize][..], &f.data[..]);
        }
        // Complete frames before the first complete keyframe wait for it.
        let before = first_key.unwrap_or(frames.len());
        prop_assert_eq!(d.stats().frames_dropped_waiting_keyframe as usize, (0..before).filter(|&i| complete(i)).count());
    }

    #[test]
    fn depacketizers_survive_random_payloads(
        payloads in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..40), any::<bool>(), 0u32..3), 0..60)
    ) {
        let mut b = RtpBuilder::new(1, 96);
        let packets: Vec<RtpPacket> = payloads.iter().map(|(p, m, t)| {
            let mut raw = Vec::new();
            b.build(*t * 3000, *m, p, &[], &mut raw);
            RtpPacket::parse(Bytes::from(raw)).unwrap()
        }).collect();
        let out = depacketize(&packets, 8, &mut Vp8Depacketizer::default());
        for f in &out {
            prop_assert!(f.keyframe || f.packets >= 1);
        }
        // Every Opus packet is a frame, unless RFC 6716 section 3.4 rejects it.
        let out = depacketize(&packets, 8, &mut OpusDepacketizer::default());
        let valid = payloads.iter().filter(|(p, _, _)| packet_samples(p).is_ok()).count();
        prop_assert_eq!(out.len(), valid);
    }
}

#[test]
fn vp8_waits_for_a_keyframe_after_loss() {
    let frames: Vec<Vec<u8>> = (0..9)
        .map(|i| vp8_frame(i % 3 == 0, 1200, i as u8))
        .collect();
    let mut packets = packetize(&frames, 500, None); // 3 packets per frame
    packets.remove(4); // the middle of frame 1
    let mut d = Vp8Depacketizer::new(AfterLoss::WaitForKeyframe);
    let out = depacketize(&packets, 8, &mut d);
    let idx: Vec<u32> = out.iter().map(|f| f.rtp_timestamp / 3000).collect();
    assert_eq!(idx, [0, 3, 4, 5, 6, 7, 8]);
    let s = d.stats();
    assert_eq!(
        (
            s.frames_dropped_incomplete,
            s.frames_dropped_waiting_keyframe
        ),
        (1, 1)
    );
}

#[test]
fn vp8_keep_policy_drops_only_the_damaged_frame() {
    let frames: Vec<Vec<u8>> = (0..9)
        .map(|i| vp8_frame(i % 3 == 0, 1200, i as u8))
        .collect();
    let mut packets = packetize(&frames, 500, None); // 3 packets per frame
    packets.remove(4); // the middle of frame 1
    let mut d = Vp8Depacketizer::new(AfterLoss::KeepCompleteFrames);
    let out = depacketize(&packets, 8, &mut d);
    let idx: Vec<u32> = out.iter().map(|f| f.rtp_timestamp / 3000).collect();
    assert_eq!(idx, [0, 2, 3, 4, 5, 6, 7, 8]);
    let s = d.stats();
    assert_eq!(
        (
            s.frames_dropped_incomplete,
            s.frames_dropped_waiting_keyframe
        ),
        (1, 0)
    );
}

#[test]
fn vp8_descriptor_variants() {
    // X, I (7-bit), L, T+K
    let d = Vp8Descriptor::parse(&[0x90, 0xF0, 0x05, 0x07, 0xA3, 0xAB]).unwrap();
    assert_eq!(
        (
            d.start,
            d.picture_id,
            d.tl0_pic_idx,
            d.tid,
            d.layer_sync,
            d.key_idx,
            d.len
        ),
        (true, Some(5), Some(7), Some(2), true, Some(3), 5)
    );
    // 15-bit picture id
    let d = Vp8Descriptor::parse(&[0x80, 0x80, 0x81, 0x02]).unwrap();
    assert_eq!((d.picture_id, d.len), (Some(0x102), 4));
    assert!(Vp8Descriptor::parse(&[0x80, 0x80, 0x81]).is_none());
    assert_eq!(vp8_keyframe_info(&vp8_frame(true, 20, 0)), Some((320, 240)));
    assert_eq!(vp8_keyframe_info(&vp8_frame(false, 20, 0)), None);
}

#[test]
fn opus_round_trip() {
    let mut b = RtpBuilder::new(9, 111);
    let frames: Vec<Vec<u8>> = (0..20u8).map(|i| vec![0xFC, i, i]).collect();
    let mut packets = Vec::new();
    let mut op = OpusPacketizer;
    for (i, f) in frames.iter().enumerate() {
        op.packetize(f, &mut |p, m| {
            let mut raw = Vec::new();
            b.build(960 * i as u32, m, p, &[], &mut raw);
            packets.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
        });
    }
    packets.swap(3, 5);
    let out = depacketize(&packets, 8, &mut OpusDepacketizer::default());
    assert_eq!(
        out.iter().map(|f| f.data.to_vec()).collect::<Vec<_>>(),
        frames
    );
}

#[test]
fn vp8_padding_only_packets_do_not_break_frames() {
    let frames: Vec<Vec<u8>> = (0..6).map(|i| vp8_frame(i == 0, 1200, i as u8)).collect();
    let mut b = RtpBuilder::new(1, 96);
    let mut v = Vp8Packetizer::new(500, Some(3));
    let mut packets = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        push_frame(&mut b, &mut v, f, 3000 * i as u32, &mut packets);
        // A padding-only probe after each frame: P bit, no payload, 4 bytes of padding.
        let mut raw = Vec::new();
        b.build(3000 * i as u32, false, &[0, 0, 0, 4], &[], &mut raw);
        raw[0] |= 0x20;
        packets.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
    }
    let mut d = Vp8Depacketizer::default();
    let out = depacketize(&packets, 8, &mut d);
    assert_eq!(out.len(), 6);
    assert_eq!(
        d.stats().frames_dropped_incomplete + d.stats().frames_dropped_waiting_keyframe,
        0
    );
}

#[test]
fn red_primary_block_is_found_without_copy() {
    // Two redundant blocks (3 and 2 bytes) then the primary Opus packet.
    let mut payload = vec![0x80 | 111, 0x03, 0xC0, 3, 0x80 | 111, 0x01, 0xE0, 2, 111];
    payload.extend_from_slice(&[1, 1, 1, 2, 2]);
    payload.extend_from_slice(&[0xFC, 9, 9, 9]);
    let mut b = RtpBuilder::new(5, 63);
    let mut raw = Vec::new();
    b.build(960, false, &payload, &[], &mut raw);
    let p = RtpPacket::parse(Bytes::from(raw)).unwrap();
    let primary = red_primary(&p).unwrap();
    assert_eq!(primary.payload(), &[0xFC, 9, 9, 9]);
    assert_eq!(primary.header.payload_type, 111);
    // Lengths that run past the payload are refused.
    let mut raw = Vec::new();
    b.build(960, false, &[0x80 | 111, 0, 0, 200, 111, 1], &[], &mut raw);
    assert!(red_primary(&RtpPacket::parse(Bytes::from(raw)).unwrap()).is_none());
}

#[test]
fn vp8_new_ssrc_is_a_discontinuity_even_with_continuous_sequence_numbers() {
    // Stream A sends 3 frames but its last one is cut short (no marker packet); stream B (a new
    // SSRC, sequence numbers continued by Janus) starts with a keyframe.
    let frames: Vec<Vec<u8>> = (0..3).map(|i| vp8_frame(i == 0, 1200, i as u8)).collect();
    let mut b = RtpBuilder::new(1, 96);
    let mut v = Vp8Packetizer::new(500, None);
    let mut packets = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        push_frame(&mut b, &mut v, f, 3000 * i as u32, &mut packets);
    }
    packets.pop(); // the last packet of frame 2 never left stream A
    b.sequence = packets.last().unwrap().header.sequence.wrapping_add(1);
    b.ssrc = 2;
    push_frame(
        &mut b,
        &mut v,
        &vp8_frame(true, 800, 9),
        90_000,
        &mut packets,
    );
    let mut d = Vp8Depacketizer::default();
    let out = depacketize(&packets, 8, &mut d);
    let ts: Vec<u32> = out.iter().map(|f| f.rtp_timestamp).collect();
    assert_eq!(ts, [0, 3000, 90_000]);
    assert_eq!(d.stats().frames_dropped_incomplete, 1);
}
