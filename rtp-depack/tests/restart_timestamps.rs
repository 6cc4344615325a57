//! A sender back under the same SSRC with new random bases whose new sequence numbers land near
//! the old ones (where they look like duplicates, late packets or a loss) is told apart by its
//! timestamps: every frame of both segments comes out and the first of the second is marked as a
//! discontinuity. True duplicates, DTX silences and long losses stay what they are.

use bytes::Bytes;
use mjrtool_core::{Depacketizer as PayloadRules, Frame, Nanos};
use proptest::prelude::*;
use rtp_depack::{
    AssemblyStats, FrameAssembler, OpusPacketizer, OpusPayload, RtpBuilder, RtpPacket,
    Vp8Packetizer, Vp8Payload,
};

mod common;
use common::{shuffle, vp8_frame};

/// `n` VP8 frames, a keyframe every 10, of the given lengths in turn.
fn vp8_frames(n: usize, lens: &[usize], first_id: u8) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let id = first_id.wrapping_add(i as u8);
            vp8_frame(i % 10 == 0, lens[i % lens.len()], id)
        })
        .collect()
}

/// One encoder run of 30 fps VP8 from the given bases.
fn vp8_segment(frames: &[Vec<u8>], seq_base: u16, ts_base: u32) -> Vec<RtpPacket> {
    let mut b = RtpBuilder::new(0xCAFE, 96);
    b.sequence = seq_base;
    let mut v = Vp8Packetizer::new(120, Some(3));
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let ts = ts_base.wrapping_add(3000 * i as u32);
        v.packetize(f, &mut |p, m| {
            let mut raw = Vec::new();
            b.build(ts, m, p, &[], &mut raw);
            out.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
        });
    }
    out
}

/// Opus packets (20 ms each, 960 ticks) at the given timestamps, numbered on from `seq_base`.
fn opus_segment(timestamps: &[u32], seq_base: u16) -> Vec<RtpPacket> {
    let mut b = RtpBuilder::new(0xBEEF, 111);
    b.sequence = seq_base;
    let mut out = Vec::new();
    for (i, &ts) in timestamps.iter().enumerate() {
        OpusPacketizer.packetize(&[0xF8, i as u8, (i >> 8) as u8], &mut |p, m| {
            let mut raw = Vec::new();
            b.build(ts, m, p, &[], &mut raw);
            out.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
        });
    }
    out
}

/// Runs `packets` through an assembler, arriving `step_ms` apart (or with no arrival time).
fn run<D: PayloadRules>(
    mut a: FrameAssembler<D>,
    packets: &[RtpPacket],
    step_ms: Option<i64>,
) -> (Vec<Frame>, AssemblyStats) {
    let mut out = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let arrival = step_ms.map(|s| Nanos::from_ms(1_700_000_000_000 + s * i as i64));
        a.push(p.clone(), arrival);
        out.extend(std::iter::from_fn(|| a.pop()));
    }
    a.finish();
    out.extend(std::iter::from_fn(|| a.pop()));
    (out, a.stats())
}

/// Checks that `out` is exactly `a` then `b`, the first frame of `b` alone marked.
fn assert_two_segments(out: &[Frame], a: &[Vec<u8>], b: &[Vec<u8>]) {
    let got: Vec<Bytes> = out.iter().map(|f| f.data.to_bytes()).collect();
    let want: Vec<&[u8]> = a.iter().chain(b).map(|f| &f[..]).collect();
    assert_eq!(got, want);
    let marked: Vec<usize> = (0..out.len()).filter(|&i| out[i].discontinuity).collect();
    assert_eq!(marked, vec![a.len()]);
}

proptest! {
    #[test]
    fn a_restart_whose_numbering_lands_near_the_old_one_keeps_every_frame_and_is_marked(
        n1 in 5usize..40, n2 in 5usize..40,
        lens in prop::collection::vec(20usize..600, 1..10),
        seq1 in any::<u16>(), ts1 in any::<u32>(),
        // The new timestamp base: anywhere at least a quarter cycle (3.3 h at 90 kHz) away. One
        // that lands within minutes of the old timestamps is indistinguishable from the stream.
        ts_away in (1u32 << 30)..(3u32 << 30),
        ahead in any::<bool>(), distance in 8u16..3000,
        window in 8usize..64,
        jitter in prop::collection::vec(0usize..1000, 1..50),
        dups1 in prop::collection::vec(any::<usize>(), 0..5),
        dups2 in prop::collection::vec(any::<usize>(), 0..5),
        arrivals in any::<bool>(),
    ) {
        let a = vp8_frames(n1, &lens, 0);
        let b = vp8_frames(n2, &lens, 100);
        let first = vp8_segment(&a, seq1, ts1);
        let end = seq1.wrapping_add(first.len() as u16);
        // Behind: the new packets overlap the old numbers (duplicates or late packets to the
        // old numbering); ahead: they look like a loss of `distance` packets.
        let seq2 = if ahead { end.wrapping_add(distance) } else { end.wrapping_sub(distance) };
        let ts_end = ts1.wrapping_add(3000 * n1 as u32);
        let second = vp8_segment(&b, seq2, ts_end.wrapping_add(ts_away));
        let mut packets = shuffle(first, window, &jitter, &dups1);
        packets.extend(shuffle(second, window, &jitter, &dups2));
        let step = arrivals.then_some(10);
        let (out, stats) = run(FrameAssembler::new(Vp8Payload, window), &packets, step);
        let got: Vec<Bytes> = out.iter().map(|f| f.data.to_bytes()).collect();
        let want: Vec<&[u8]> = a.iter().chain(&b).map(|f| &f[..]).collect();
        prop_assert_eq!(got, want);
        let marked: Vec<usize> = (0..out.len()).filter(|&i| out[i].discontinuity).collect();
        prop_assert_eq!(marked, vec![a.len()]);
        let r = &stats.reorder;
        prop_assert_eq!((r.resets, r.lost, r.late, r.strays), (1, 0, 0, 0));
    }
}

#[test]
fn a_restart_786_below_the_old_numbering_is_not_taken_for_787_duplicates() {
    // The Janus recording: the new numbering began 786 below the old one's next number.
    let a = vp8_frames(400, &[200], 0);
    let b = vp8_frames(400, &[200], 50);
    let first = vp8_segment(&a, 40_000, 5_000);
    let end = 40_000 + first.len() as u16;
    let second = vp8_segment(&b, end - 786, 3_000_000_000);
    let packets: Vec<RtpPacket> = first.into_iter().chain(second).collect();
    for step in [Some(10), None] {
        let (out, stats) = run(FrameAssembler::new(Vp8Payload, 512), &packets, step);
        assert_two_segments(&out, &a, &b);
        let r = &stats.reorder;
        assert_eq!((r.resets, r.duplicates, r.late, r.lost), (1, 0, 0, 0));
    }
}

#[test]
fn a_restart_2753_ahead_of_the_old_numbering_is_not_taken_for_a_loss() {
    // The simulator's session: the new numbering began 2753 past the old one (within the 4096
    // that sequence numbers alone take as a loss), with new timestamps.
    let ts: Vec<u32> = (0..500).map(|i| 7_000 + 960 * i).collect();
    let first = opus_segment(&ts, 60_000);
    let ts2: Vec<u32> = (0..500).map(|i| 2_500_000_000 + 960 * i).collect();
    let second = opus_segment(&ts2, 60_000u16.wrapping_add(500 + 2753));
    let packets: Vec<RtpPacket> = first.into_iter().chain(second).collect();
    for step in [Some(20), None] {
        let (out, stats) = run(FrameAssembler::new(OpusPayload, 512), &packets, step);
        assert_eq!(out.len(), 1000);
        let marked: Vec<usize> = (0..out.len()).filter(|&i| out[i].discontinuity).collect();
        assert_eq!(marked, vec![500]);
        let r = &stats.reorder;
        assert_eq!((r.resets, r.lost, r.duplicates), (1, 0, 0));
    }
}

#[test]
fn true_duplicates_repeat_their_timestamp_and_stay_duplicates() {
    let a = vp8_frames(200, &[300], 0);
    let packets = vp8_segment(&a, 65_000, 4_000_000_000);
    // Every 7th packet again at once, every 11th again 100 packets later (handed out by
    // then, but still within the 128 slots of a 64-packet window).
    let mut sent = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        sent.push(p.clone());
        if i % 7 == 0 {
            sent.push(p.clone());
        }
        if i >= 100 && (i - 100) % 11 == 0 {
            sent.push(packets[i - 100].clone());
        }
    }
    let dups = (sent.len() - packets.len()) as u64;
    for step in [Some(10), None] {
        let (out, stats) = run(FrameAssembler::new(Vp8Payload, 64), &sent, step);
        let got: Vec<Bytes> = out.iter().map(|f| f.data.to_bytes()).collect();
        let want: Vec<&[u8]> = a.iter().map(|f| &f[..]).collect();
        assert_eq!(got, want);
        assert!(out.iter().all(|f| !f.discontinuity));
        let r = &stats.reorder;
        assert_eq!((r.duplicates, r.resets, r.strays), (dups, 0, 0));
    }
}

#[test]
fn dtx_silences_move_the_timestamp_by_seconds_and_restart_nothing() {
    // Opus with DTX: the sequence number goes on by one across silences of 10 s to 60 s.
    let mut ts = Vec::new();
    let mut t = 123_456u32;
    for i in 0..600u32 {
        ts.push(t);
        t = t.wrapping_add(match i % 150 {
            149 => 48_000 * (10 + 25 * (i / 150)),
            _ => 960,
        });
    }
    let mut packets = opus_segment(&ts, 65_400);
    // The packet after each silence comes before the last one ahead of it.
    for at in [149usize, 299, 449] {
        packets.swap(at, at + 1);
    }
    for step in [Some(20), None] {
        let (out, stats) = run(FrameAssembler::new(OpusPayload, 64), &packets, step);
        assert_eq!(out.len(), 600);
        assert!(out.iter().all(|f| !f.discontinuity));
        let r = &stats.reorder;
        assert_eq!((r.resets, r.strays, r.late, r.duplicates), (0, 0, 0, 0));
    }
}

#[test]
fn a_long_loss_whose_timestamps_follow_the_clock_is_a_loss_not_a_restart() {
    // 30 s of audio lost (1500 packets): the timestamps and arrival times both move 30 s on.
    let ts: Vec<u32> = (0..3000u32).map(|i| 960 * i).collect();
    let kept: Vec<usize> = (0..3000).filter(|i| !(500..2000).contains(i)).collect();
    let all = opus_segment(&ts, 1_000);
    let packets: Vec<RtpPacket> = kept.iter().map(|&i| all[i].clone()).collect();
    let mut a = FrameAssembler::new(OpusPayload, 64);
    let mut out = Vec::new();
    for (&i, p) in kept.iter().zip(&packets) {
        a.push(p.clone(), Some(Nanos::from_ms(20 * i as i64)));
        out.extend(std::iter::from_fn(|| a.pop()));
    }
    a.finish();
    out.extend(std::iter::from_fn(|| a.pop()));
    assert_eq!(out.len(), 1500);
    assert!(out.iter().all(|f| !f.discontinuity));
    let r = a.stats().reorder;
    assert_eq!((r.resets, r.lost, r.strays), (0, 1500, 0));
    // Without arrival times, 1500 packets may cover far more than 30 s: still a loss.
    let (_, stats) = run(FrameAssembler::new(OpusPayload, 64), &packets, None);
    assert_eq!((stats.reorder.resets, stats.reorder.lost), (0, 1500));
}

#[test]
fn a_packet_of_the_new_numbering_that_continues_the_old_one_waits_with_the_restart() {
    // Found by the proptest above: a restart 8 below the old numbering's end, reordered so that
    // the new stream's packet numbered 10 (just after the old stream's last, 9) arrives before
    // the restart is confirmed. It looked like the old stream's continuation and went out with
    // it; its frame, cut in two, was lost.
    let lens = [117usize];
    let a = vp8_frames(5, &lens, 0);
    let b = vp8_frames(5, &lens, 100);
    let first = vp8_segment(&a, 0, 0);
    let seq2 = (first.len() as u16).wrapping_sub(8);
    let second = vp8_segment(&b, seq2, (3000 * 5u32).wrapping_add(1 << 30));
    let jitter = [593usize, 612, 0, 0, 69, 28, 7, 6, 60];
    let mut packets = shuffle(first, 40, &jitter, &[]);
    packets.extend(shuffle(second, 40, &jitter, &[]));
    let (out, stats) = run(FrameAssembler::new(Vp8Payload, 40), &packets, None);
    assert_two_segments(&out, &a, &b);
    let r = &stats.reorder;
    assert_eq!((r.resets, r.lost, r.late, r.strays), (1, 0, 0, 0));
}
