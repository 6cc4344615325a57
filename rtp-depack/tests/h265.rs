//! H.265 payload rules (RFC 7798) on the shared frame assembly: the fixture packetized, shuffled,
//! duplicated and lost comes back as its access units with 4-byte lengths and the right facts,
//! and decodes in ffmpeg to the same pictures as the fixture itself.

mod common;
mod h26x;

use bytes::Bytes;
use h26x::*;
use mjrtool_core::{Codec, Depacketizer, VideoSize};
use mjrtool_test_support::fixtures::{self, annexb, fixture, length_prefixed};
use mjrtool_test_support::tools::{have, stream_md5s};
use proptest::prelude::*;
use rtp_depack::{CodecPayload, H265Payload, H265Sps, RtpBuilder, RtpPacket};

const FIXTURE: &str = "h265-160x120.h265";

fn fixture_aus() -> Vec<Vec<Vec<u8>>> {
    fixture_access_units(&Codec::H265, FIXTURE)
}

fn first_of(aus: &[Vec<Vec<u8>>], t: u8) -> Vec<u8> {
    aus[0]
        .iter()
        .find(|n| nal_type(&Codec::H265, n) == t)
        .unwrap()
        .clone()
}

/// The hvcC body of the fixture, built by the test's own record builder (ISO/IEC 14496-15
/// section 8.3.3.1, with the fields the fixture's SPS gives).
fn expected_config(aus: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let (vps, sps, pps) = (first_of(aus, 32), first_of(aus, 33), first_of(aus, 34));
    fixtures::hvcc(&vps, &sps, &pps)
}

fn rtp(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> RtpPacket {
    let mut b = RtpBuilder::new(0x2640_0001, 100);
    b.sequence = seq;
    let mut raw = Vec::new();
    b.build(ts, marker, payload, &[], &mut raw);
    RtpPacket::parse(Bytes::from(raw)).unwrap()
}

#[test]
fn the_fixture_splits_into_thirty_access_units_with_two_irap_pictures() {
    let aus = fixture_aus();
    assert_eq!(aus.len(), 30);
    let keys: Vec<usize> = (0..30).filter(|&i| is_key(&Codec::H265, &aus[i])).collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn packetized_shuffled_and_duplicated_access_units_come_back_whole_and_length_prefixed(
        mtu in 20usize..1400, window in 4usize..32,
        jitter in prop::collection::vec(0usize..32, 1..20),
        dups in prop::collection::vec(any::<usize>(), 0..8), seq0 in any::<u16>(),
    ) {
        let aus = fixture_aus();
        let packets = packetize(&Codec::H265, &aus, mtu, seq0);
        let packets = common::shuffle(packets, window, &jitter, &dups);
        let (frames, stats, _) = assemble(&Codec::H265, packets, window);
        prop_assert_eq!(frames.len(), aus.len(), "{:?}", stats);
        let config = expected_config(&aus);
        for (f, au) in frames.iter().zip(&aus) {
            prop_assert!(f.data.contiguous()[..] == length_prefixed(au)[..], "frame at {} differs", f.rtp_timestamp);
            let key = is_key(&Codec::H265, au);
            prop_assert_eq!(f.keyframe, key);
            prop_assert_eq!(f.size, key.then_some(VideoSize { width: 160, height: 120 }));
            prop_assert_eq!(f.config.as_deref(), key.then_some(&config[..]));
        }
    }

    #[test]
    fn random_losses_never_yield_a_frame_with_a_hole(
        mtu in 30usize..600,
        lose in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
    ) {
        let aus = fixture_aus();
        let mut packets = packetize(&Codec::H265, &aus, mtu, 100);
        for l in &lose {
            if !packets.is_empty() {
                packets.remove(l.index(packets.len()));
            }
        }
        let (frames, _, _) = assemble(&Codec::H265, packets, 8);
        for f in &frames {
            let i = ((f.rtp_timestamp - 1000) / TICKS) as usize;
            prop_assert!(f.data.contiguous()[..] == length_prefixed(&aus[i])[..], "frame {} differs", i);
            prop_assert_eq!(f.keyframe, is_key(&Codec::H265, &aus[i]));
        }
    }
}

#[test]
fn reassembled_frames_decode_in_ffmpeg_to_the_fixtures_pictures() {
    let data = fixture(FIXTURE);
    if !have("ffmpeg") {
        return;
    }
    let want = stream_md5s("hevc", &data); // decoded without a word
    assert_eq!(want.len(), 30);
    let aus = fixture_aus();
    let packets = packetize(&Codec::H265, &aus, 180, 65_500);
    let (frames, _, _) = assemble(&Codec::H265, packets, 16);
    assert_eq!(frames.len(), 30);
    let stream: Vec<u8> = frames
        .iter()
        .flat_map(|f| annexb(&f.data.contiguous()))
        .collect();
    let got = stream_md5s("hevc", &stream);
    assert_eq!(got, want);
}

#[test]
fn paci_and_undefined_packets_are_skipped_and_counted_without_breaking_a_frame() {
    let aus = fixture_aus();
    let packets = packetize(&Codec::H265, &aus[..2], 300, 10);
    let second = packets
        .iter()
        .position(|p| p.header.timestamp != 1000)
        .unwrap();
    let mut sent: Vec<(u32, bool, Vec<u8>)> = packets
        .iter()
        .map(|p| (p.header.timestamp, p.header.marker, p.payload().to_vec()))
        .collect();
    let ts = 1000 + TICKS;
    sent.insert(second + 1, (ts, false, vec![50 << 1, 1, 0, 0, 9, 9]));
    sent.insert(second + 2, (ts, false, vec![63 << 1, 1, 7]));
    let packets = sent
        .iter()
        .enumerate()
        .map(|(i, (ts, marker, payload))| rtp(i as u16, *ts, *marker, payload));
    let (frames, stats, rules) = assemble(&Codec::H265, packets, 8);
    assert_eq!(frames.len(), 2, "{stats:?}");
    assert!(frames[1].data.contiguous()[..] == length_prefixed(&aus[1])[..]);
    let CodecPayload::H265(h) = rules else {
        unreachable!()
    };
    assert_eq!(h.skipped(), 2);
}

#[test]
fn an_irap_picture_without_known_parameter_sets_is_not_a_keyframe() {
    let mut aus = fixture_aus();
    aus[0].retain(|n| !(32..=34).contains(&nal_type(&Codec::H265, n)));
    let rules = H265Payload::new();
    assert!(!rules.inspect(&length_prefixed(&aus[0])).unwrap().keyframe);
    let packets = packetize(&Codec::H265, &aus, 1200, 0);
    let (frames, stats, _) = assemble(&Codec::H265, packets, 8);
    let second = (1..30).find(|&i| is_key(&Codec::H265, &aus[i])).unwrap();
    assert_eq!(frames.len(), 30 - second);
    assert_eq!(frames[0].rtp_timestamp, 1000 + second as u32 * TICKS);
    assert_eq!(stats.depack.frames_dropped_waiting_keyframe, second as u64);
}

/// An SPS (id 3) of `max_sub_layers_minus1` sub-layers with profile and level for each, 4:2:0,
/// and a conformance window.
fn sps(sub_layers_minus1: u64, width: u64, height: u64, window: Option<[u64; 4]>) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.u(4, 0).u(3, sub_layers_minus1).u(1, 1);
    w.u(8, 0x01)
        .u(32, 0x6000_0000)
        .u(48, 0x9000_0000_0000)
        .u(8, 93); // general PTL
    for _ in 0..sub_layers_minus1 {
        w.u(1, 1).u(1, 1);
    }
    if sub_layers_minus1 > 0 {
        for _ in sub_layers_minus1..8 {
            w.u(2, 0);
        }
    }
    for _ in 0..sub_layers_minus1 {
        w.u(8, 0x01).u(32, 0x6000_0000).u(48, 0).u(8, 90);
    }
    w.ue(3).ue(1).ue(width).ue(height);
    match window {
        Some(win) => {
            w.u(1, 1);
            for v in win {
                w.ue(v);
            }
        }
        None => {
            w.u(1, 0);
        }
    }
    w.ue(2).ue(2).ue(4); // 10-bit luma and chroma, log2_max_pic_order_cnt_lsb_minus4
    w.nal(&[33 << 1, 1])
}

#[test]
fn the_sps_parser_reads_sub_layers_and_gives_the_size_inside_the_conformance_window() {
    let parsed = H265Sps::parse(&sps(2, 1920, 1088, Some([0, 0, 0, 4]))).unwrap();
    assert_eq!(
        parsed.size,
        VideoSize {
            width: 1920,
            height: 1080
        }
    );
    assert_eq!((parsed.id, parsed.max_sub_layers_minus1), (3, 2));
    assert_eq!(
        (parsed.bit_depth_luma_minus8, parsed.chroma_format_idc),
        (2, 1)
    );
    assert_eq!(&parsed.general_profile[..2], &[0x01, 0x60]);
    assert_eq!(parsed.general_profile[11], 93);
    let odd = H265Sps::parse(&sps(0, 168, 128, Some([1, 2, 0, 3]))).unwrap();
    assert_eq!(
        odd.size,
        VideoSize {
            width: 162,
            height: 122
        }
    );
    let plain = H265Sps::parse(&sps(6, 64, 64, None)).unwrap();
    assert_eq!(
        plain.size,
        VideoSize {
            width: 64,
            height: 64
        }
    );
    assert_eq!(H265Sps::parse(&sps(0, 16, 16, Some([8, 0, 0, 0]))), None);
}

#[test]
fn a_truncated_or_damaged_sps_gives_no_size_and_no_panic() {
    let aus = fixture_aus();
    let fixture_sps = first_of(&aus, 33);
    let parsed = H265Sps::parse(&fixture_sps).unwrap();
    assert_eq!(
        parsed.size,
        VideoSize {
            width: 160,
            height: 120
        }
    );
    let crafted = sps(6, 1920, 1088, Some([0, 0, 0, 4]));
    for nal in [&fixture_sps[..], &crafted[..]] {
        for end in 0..nal.len() {
            let _ = H265Sps::parse(&nal[..end]);
        }
        for i in 0..nal.len() {
            for bit in 0..8 {
                let mut damaged = nal.to_vec();
                damaged[i] ^= 1 << bit;
                let _ = H265Sps::parse(&damaged);
            }
        }
    }
    assert_eq!(H265Sps::parse(&fixture_sps[..10]), None);
}

#[test]
fn parameter_sets_sent_on_a_timestamp_of_their_own_go_back_in_front_of_their_picture() {
    assert_sets_apart_come_back(&Codec::H265, &fixture_aus());
}
