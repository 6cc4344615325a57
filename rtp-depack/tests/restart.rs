//! A sender that restarts with the same SSRC but new random sequence and timestamp bases: the
//! reorderer starts a new segment and every intact frame of both segments comes out; a lone
//! stray packet restarts nothing.

use bytes::Bytes;
use proptest::prelude::*;
use rtp_depack::{
    AfterLoss, Depacketizer, Frame, InputPacket, Reordered, Reorderer, RtpBuilder, RtpPacket,
    Vp8Depacketizer, Vp8Packetizer,
};

mod common;
use common::{shuffle, vp8_frame};

/// One encoder run: frames (a keyframe every 10) packetized from the given bases.
fn segment(frames: &[Vec<u8>], seq_base: u16, ts_base: u32, first_pid: u16) -> Vec<RtpPacket> {
    let mut b = RtpBuilder::new(0xCAFE, 96);
    b.sequence = seq_base;
    let mut v = Vp8Packetizer::new(120, Some(first_pid));
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

fn run(
    packets: &[RtpPacket],
    window: usize,
    policy: AfterLoss,
) -> (Vec<Frame>, Reorderer<RtpPacket>) {
    let mut r = Reorderer::new(window);
    let mut d = Vp8Depacketizer::new(policy);
    let mut out = Vec::new();
    let drain = |r: &mut Reorderer<RtpPacket>, d: &mut Vp8Depacketizer, out: &mut Vec<Frame>| {
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
            out.extend(std::iter::from_fn(|| d.pop()));
        }
    };
    for p in packets {
        r.push(p.header.sequence, p.clone());
        drain(&mut r, &mut d, &mut out);
        assert!(r.held() <= window + rtp_depack::RESTART_CONFIRM);
    }
    r.flush();
    drain(&mut r, &mut d, &mut out);
    d.finish();
    out.extend(std::iter::from_fn(|| d.pop()));
    (out, r)
}

fn frames(n: usize, lens: &[usize], first_id: u8) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            vp8_frame(
                i % 10 == 0,
                lens[i % lens.len()],
                first_id.wrapping_add(i as u8),
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn a_restart_with_new_bases_keeps_every_frame_of_both_segments(
        n1 in 5usize..40, n2 in 5usize..40,
        lens in prop::collection::vec(20usize..600, 1..10),
        seq1 in any::<u16>(), ts1 in any::<u32>(), ts2 in any::<u32>(),
        behind in any::<bool>(), distance in 0usize..30_000,
        window in 8usize..64,
        jitter in prop::collection::vec(0usize..1000, 1..50),
        dups1 in prop::collection::vec(any::<usize>(), 0..5),
        dups2 in prop::collection::vec(any::<usize>(), 0..5),
        keep in any::<bool>(),
    ) {
        let a = frames(n1, &lens, 0);
        let b = frames(n2, &lens, 100);
        let first = segment(&a, seq1, ts1, 0);
        let end = seq1.wrapping_add(first.len() as u16);
        // The new numbering starts well away from the old one: behind it (where the old
        // numbering would call it late or duplicate) or ahead.
        let slots = (2 * window).next_power_of_two();
        let seq2 = if behind {
            end.wrapping_sub((2 * slots + window + distance) as u16)
        } else {
            end.wrapping_add((2 * window + distance) as u16)
        };
        let second = segment(&b, seq2, ts2, 7);
        let mut packets = shuffle(first, window, &jitter, &dups1);
        packets.extend(shuffle(second, window, &jitter, &dups2));
        let policy = if keep { AfterLoss::KeepCompleteFrames } else { AfterLoss::WaitForKeyframe };
        let (out, r) = run(&packets, window, policy);
        let got: Vec<&[u8]> = out.iter().map(|f| &f.data[..]).collect();
        let want: Vec<&[u8]> = a.iter().chain(&b).map(|f| &f[..]).collect();
        prop_assert_eq!(got, want);
        let s = r.stats();
        prop_assert_eq!((s.late, s.strays), (0, 0));
    }

    #[test]
    fn a_lone_stray_packet_restarts_nothing(
        n in 10usize..40,
        lens in prop::collection::vec(20usize..600, 1..10),
        seq in any::<u16>(), ts in any::<u32>(),
        at in any::<prop::sample::Index>(),
        distance in 3500u16..62_000, stray_ts in any::<u32>(),
        window in 8usize..64,
    ) {
        let a = frames(n, &lens, 0);
        let mut packets = segment(&a, seq, ts, 0);
        // A packet with a corrupt sequence number (far from the stream) and timestamp.
        let at = at.index(packets.len());
        let mut b = RtpBuilder::new(0xCAFE, 96);
        b.sequence = packets[at].header.sequence.wrapping_add(distance);
        let mut raw = Vec::new();
        b.build(stray_ts, true, &[0x10, 0, 0, 0], &[], &mut raw);
        packets.insert(at, RtpPacket::parse(Bytes::from(raw)).unwrap());
        let (out, r) = run(&packets, window, AfterLoss::WaitForKeyframe);
        prop_assert_eq!(out.len(), a.len());
        let s = r.stats();
        prop_assert_eq!((s.resets, s.strays, s.lost, s.late), (0, 1, 0, 0));
    }
}

#[test]
fn a_restart_just_behind_the_old_numbering_is_not_taken_for_late_packets() {
    // The report: the new base fell ~1600 below the old numbering, so that every packet of
    // the new run looked late or duplicate until it caught up.
    let a = frames(30, &[400], 0);
    let b = frames(30, &[400], 100);
    let first = segment(&a, 20_000, 1_000, 0);
    let second = segment(&b, 20_000 + first.len() as u16 - 1600, 777_777, 0);
    let packets: Vec<RtpPacket> = first.into_iter().chain(second).collect();
    let (out, r) = run(&packets, 64, AfterLoss::WaitForKeyframe);
    assert_eq!(out.len(), 60);
    let s = r.stats();
    assert_eq!((s.resets, s.late, s.duplicates, s.strays), (1, 0, 0, 0));
}

#[test]
fn a_restart_whose_first_packets_come_last_still_jumps_a_whole_cycle() {
    let mut r = Reorderer::new(8);
    let mut out = Vec::new();
    let drain = |r: &mut Reorderer<u16>, out: &mut Vec<(i64, u16)>| {
        while let Some(Reordered::Packet { ext_seq, item, .. }) = r.pop() {
            out.push((ext_seq, item));
        }
    };
    for s in 100u16..=120 {
        r.push(s, s);
        drain(&mut r, &mut out);
    }
    // The new numbering is confirmed by its 6th to 8th packets; its first five come after.
    for s in [5005u16, 5006, 5007, 5000, 5001, 5002, 5003, 5004, 5008] {
        r.push(s, s);
        drain(&mut r, &mut out);
    }
    r.flush();
    drain(&mut r, &mut out);
    let items: Vec<u16> = out.iter().map(|&(_, s)| s).collect();
    let expected: Vec<u16> = (100..=120).chain(5000..=5008).collect();
    assert_eq!(items, expected);
    let old_last = out[20].0;
    let new_first = out[21].0;
    assert!(new_first - old_last >= 1 << 16, "{old_last} -> {new_first}");
    assert_eq!(r.stats().resets, 1);
}
