//! H.264 payload rules (RFC 6184) on the shared frame assembly: the fixture packetized, shuffled,
//! duplicated and lost comes back as its access units in AVCC form with the right facts, and
//! decodes in ffmpeg to the same pictures as the fixture itself.

mod common;
mod h26x;

use bytes::{Bytes, BytesMut};
use h26x::*;
use mjrtool_core::{Codec, Depacketizer, FrameParts, VideoSize};
use mjrtool_test_support::fixtures::{self, annexb, fixture, length_prefixed};
use mjrtool_test_support::tools::{have, stream_md5s};
use proptest::prelude::*;
use rtp_depack::{
    avc_decoder_configuration_record, CodecPayload, H264Payload, H264Sps, RtpBuilder, RtpPacket,
};

const FIXTURE: &str = "h264-160x120.h264";

fn fixture_aus() -> Vec<Vec<Vec<u8>>> {
    fixture_access_units(&Codec::H264, FIXTURE)
}

/// The avcC body of the fixture, built by the test's own record builder (ISO/IEC 14496-15
/// section 5.3.3.1; the fixture is constrained baseline: no chroma or bit depth fields).
fn expected_config(aus: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let sps = aus[0].iter().find(|n| n[0] & 0x1F == 7).unwrap();
    let pps = aus[0].iter().find(|n| n[0] & 0x1F == 8).unwrap();
    fixtures::avcc(sps, pps)
}

fn rtp(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> RtpPacket {
    let mut b = RtpBuilder::new(7, 100);
    b.sequence = seq;
    let mut raw = Vec::new();
    b.build(ts, marker, payload, &[], &mut raw);
    RtpPacket::parse(Bytes::from(raw)).unwrap()
}

fn skipped(rules: &CodecPayload) -> u64 {
    match rules {
        CodecPayload::H264(h) => h.skipped(),
        _ => unreachable!(),
    }
}

#[test]
fn the_fixture_splits_into_thirty_access_units_with_two_keyframes() {
    let aus = fixture_aus();
    assert_eq!(aus.len(), 30);
    let keys: Vec<usize> = (0..30).filter(|&i| is_key(&Codec::H264, &aus[i])).collect();
    assert_eq!(keys, [0, 15]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn packetized_shuffled_and_duplicated_access_units_come_back_whole_in_avcc_form(
        mtu in 20usize..1400, window in 4usize..32,
        jitter in prop::collection::vec(0usize..32, 1..20),
        dups in prop::collection::vec(any::<usize>(), 0..8), seq0 in any::<u16>(),
    ) {
        let aus = fixture_aus();
        let packets = packetize(&Codec::H264, &aus, mtu, seq0);
        let packets = common::shuffle(packets, window, &jitter, &dups);
        let (frames, stats, _) = assemble(&Codec::H264, packets, window);
        prop_assert_eq!(frames.len(), aus.len(), "{:?}", stats);
        let config = expected_config(&aus);
        for (f, au) in frames.iter().zip(&aus) {
            prop_assert!(f.data.contiguous()[..] == length_prefixed(au)[..], "frame at {} differs", f.rtp_timestamp);
            let key = is_key(&Codec::H264, au);
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
        let mut packets = packetize(&Codec::H264, &aus, mtu, 100);
        for l in &lose {
            if !packets.is_empty() {
                packets.remove(l.index(packets.len()));
            }
        }
        let (frames, _, _) = assemble(&Codec::H264, packets, 8);
        for f in &frames {
            let i = ((f.rtp_timestamp - 1000) / TICKS) as usize;
            prop_assert!(f.data.contiguous()[..] == length_prefixed(&aus[i])[..], "frame {} differs", i);
            prop_assert_eq!(f.keyframe, is_key(&Codec::H264, &aus[i]));
        }
    }
}

#[test]
fn reassembled_frames_decode_in_ffmpeg_to_the_fixtures_pictures() {
    let data = fixture(FIXTURE);
    if !have("ffmpeg") {
        return;
    }
    let want = stream_md5s("h264", &data); // decoded without a word
    assert_eq!(want.len(), 30);
    let aus = fixture_aus();
    let packets = packetize(&Codec::H264, &aus, 200, 65_500);
    let (frames, _, _) = assemble(&Codec::H264, packets, 16);
    let stream: Vec<u8> = frames
        .iter()
        .flat_map(|f| annexb(&f.data.contiguous()))
        .collect();
    let got = stream_md5s("h264", &stream);
    assert_eq!(got, want);
}

#[test]
fn interleaved_mode_packets_are_skipped_and_counted_without_breaking_a_frame() {
    let aus = fixture_aus();
    let au = length_prefixed(&aus[1]); // a P picture, two slices
    let nals: Vec<&[u8]> = aus[1].iter().map(Vec::as_slice).collect();
    let mut packets = Vec::new();
    let ts = 9000;
    packets.push(rtp(1, ts, false, nals[0]));
    for (k, t) in [25u8, 26, 27, 29, 30].into_iter().enumerate() {
        packets.push(rtp(2 + k as u16, ts, false, &[t, 0, 1, 2, 3]));
    }
    packets.push(rtp(7, ts, true, nals[1]));
    // A keyframe first, so the assembly has something to start from.
    let mut all = packetize(&Codec::H264, &aus[..1], 1200, 60_000);
    all.extend(packets.into_iter().map(|p| {
        let mut raw = Vec::new();
        let mut b = RtpBuilder::new(0x2640_0001, 100);
        b.sequence = p.header.sequence.wrapping_add(60_000 + 4);
        b.build(
            p.header.timestamp,
            p.header.marker,
            p.payload(),
            &[],
            &mut raw,
        );
        RtpPacket::parse(Bytes::from(raw)).unwrap()
    }));
    let (frames, stats, rules) = assemble(&Codec::H264, all, 8);
    assert_eq!(frames.len(), 2, "{stats:?}");
    assert!(frames[1].data.contiguous()[..] == au[..]);
    assert_eq!(skipped(&rules), 5);
    assert_eq!(stats.depack.malformed, 0);
}

#[test]
fn a_fragment_without_its_start_breaks_its_frame_only() {
    let aus = fixture_aus();
    let mut packets = packetize(&Codec::H264, &aus[..4], 100, 10);
    // The first FU-A start of the third access unit (timestamp 1000 + 2 * TICKS).
    let ts = 1000 + 2 * TICKS;
    let at = packets
        .iter()
        .position(|p| p.header.timestamp == ts && p.payload()[1] & 0x80 != 0)
        .unwrap();
    // The start fragment becomes a middle one, so no sequence number is missing.
    let mut payload = packets[at].payload().to_vec();
    payload[1] &= 0x7F;
    packets[at] = rtp(packets[at].header.sequence, ts, false, &payload);
    let packets: Vec<RtpPacket> = packets
        .into_iter()
        .map(|p| {
            let mut raw = Vec::new();
            let mut b = RtpBuilder::new(7, 100);
            b.sequence = p.header.sequence;
            b.build(
                p.header.timestamp,
                p.header.marker,
                p.payload(),
                &[],
                &mut raw,
            );
            RtpPacket::parse(Bytes::from(raw)).unwrap()
        })
        .collect();
    let (frames, stats, _) = assemble(&Codec::H264, packets, 8);
    let times: Vec<u32> = frames.iter().map(|f| f.rtp_timestamp).collect();
    assert_eq!(times, [1000, 1000 + TICKS, 1000 + 3 * TICKS], "{stats:?}");
    assert!(stats.depack.malformed >= 1);
}

#[test]
fn an_idr_without_known_parameter_sets_is_not_a_keyframe_so_the_assembly_waits() {
    let mut aus = fixture_aus();
    aus[0].retain(|n| !matches!(n[0] & 0x1F, 7 | 8)); // the first IDR loses its SPS and PPS
    let packets = packetize(&Codec::H264, &aus, 1200, 0);
    let (frames, stats, _) = assemble(&Codec::H264, packets, 8);
    assert_eq!(frames.len(), 15);
    assert!(frames[0].keyframe);
    assert_eq!(frames[0].rtp_timestamp, 1000 + 15 * TICKS);
    assert_eq!(stats.depack.frames_dropped_waiting_keyframe, 15);
    // inspect says the same of the frame alone, with the sets known or not.
    let rules = H264Payload::new();
    assert!(!rules.inspect(&length_prefixed(&aus[0])).unwrap().keyframe);
    assert!(rules.inspect(&length_prefixed(&aus[15])).unwrap().keyframe);
}

/// A high-profile SPS (id 2) with scaling lists, POC type 1 and cropping.
fn high_sps(width_mbs: u64, height_units: u64, frame_mbs_only: bool, crop: [u64; 4]) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.u(8, 100).u(8, 0).u(8, 40).ue(2); // profile, constraints, level, id
    w.ue(1).ue(2).ue(2).u(1, 0); // 4:2:0, 10-bit luma and chroma, no bypass
    w.u(1, 1); // seq_scaling_matrix_present_flag
    for i in 0..8 {
        w.u(1, u64::from(i % 3 == 0));
        if i % 3 == 0 {
            let size = if i < 6 { 16 } else { 64 };
            // Scales 9, 10, ... then one that reaches 0: the rest of the list is implied.
            let mut last = 8;
            for j in 0..size {
                let delta = if j == 5 { -last } else { 1 };
                w.se(delta);
                last += delta;
                if last == 0 {
                    break;
                }
            }
        }
    }
    w.ue(0).ue(1).u(1, 0).se(-2).se(3).ue(3).se(1).se(-1).se(7); // frame num, POC type 1
    w.ue(4).u(1, 0).ue(width_mbs - 1).ue(height_units - 1);
    w.u(1, u64::from(frame_mbs_only));
    if !frame_mbs_only {
        w.u(1, 1);
    }
    w.u(1, 1).u(1, 1);
    for c in crop {
        w.ue(c);
    }
    w.u(1, 0); // no VUI
    w.nal(&[0x67])
}

#[test]
fn the_sps_parser_gives_the_cropped_size_of_high_profile_and_field_streams() {
    let progressive = H264Sps::parse(&high_sps(120, 68, true, [0, 0, 0, 4])).unwrap();
    assert_eq!(
        progressive.size,
        VideoSize {
            width: 1920,
            height: 1080
        }
    );
    assert_eq!((progressive.id, progressive.profile_idc), (2, 100));
    assert_eq!(progressive.bit_depth_luma_minus8, 2);
    let fields = H264Sps::parse(&high_sps(120, 34, false, [0, 0, 0, 2])).unwrap();
    assert_eq!(
        fields.size,
        VideoSize {
            width: 1920,
            height: 1080
        }
    );
    let odd = H264Sps::parse(&high_sps(11, 8, true, [1, 6, 0, 3])).unwrap();
    assert_eq!(
        odd.size,
        VideoSize {
            width: 162,
            height: 122
        }
    );
    // Cropping more than the picture is no size at all.
    assert_eq!(H264Sps::parse(&high_sps(1, 1, true, [8, 0, 0, 0])), None);
}

#[test]
fn a_high_profile_configuration_record_carries_chroma_format_and_bit_depths() {
    let sps_nal = high_sps(11, 8, true, [1, 6, 0, 3]);
    let sps = H264Sps::parse(&sps_nal).unwrap();
    let pps = [0x68, 0xCE, 0x3C, 0x80];
    let record = avc_decoder_configuration_record(&sps_nal, &pps, &sps);
    assert_eq!(&record[..6], &[1, 100, 0, 40, 0xFF, 0xE1]);
    let tail = &record[record.len() - 4..];
    assert_eq!(tail, &[0xFC | 1, 0xF8 | 2, 0xF8 | 2, 0]);
    assert_eq!(record.len(), 6 + 2 + sps_nal.len() + 1 + 2 + pps.len() + 4);
}

#[test]
fn a_truncated_or_damaged_sps_gives_no_size_and_no_panic() {
    let aus = fixture_aus();
    let sps = aus[0].iter().find(|n| n[0] & 0x1F == 7).unwrap();
    assert_eq!(
        H264Sps::parse(sps).unwrap().size,
        VideoSize {
            width: 160,
            height: 120
        }
    );
    let high = high_sps(120, 68, true, [0, 0, 0, 4]);
    for nal in [&sps[..], &high[..]] {
        for end in 0..nal.len() - 1 {
            // The fields end before the VUI flag and stop bit: a shorter SPS has no size.
            let _ = H264Sps::parse(&nal[..end]);
        }
        for i in 1..nal.len() {
            for bit in 0..8 {
                let mut damaged = nal.to_vec();
                damaged[i] ^= 1 << bit;
                let _ = H264Sps::parse(&damaged);
            }
        }
    }
    assert_eq!(H264Sps::parse(&sps[..6]), None);
    assert_eq!(H264Sps::parse(&[0x67, 0xFF, 0, 0, 0, 0, 0, 0, 0]), None);
}

#[test]
fn a_new_sps_mid_stream_gives_the_next_keyframe_its_size_and_configuration() {
    let mut aus = fixture_aus();
    let new_sps = {
        let mut w = BitWriter::default();
        w.u(8, 66).u(8, 0xC0).u(8, 30).ue(0); // baseline, id 0 as the fixture's
        w.ue(0)
            .ue(0)
            .ue(0)
            .ue(1)
            .u(1, 0)
            .ue(19)
            .ue(14)
            .u(1, 1)
            .u(1, 1)
            .u(1, 0)
            .u(1, 0);
        w.nal(&[0x67])
    };
    let sps_at = aus[15].iter().position(|n| n[0] & 0x1F == 7).unwrap();
    aus[15][sps_at] = new_sps.clone();
    let packets = packetize(&Codec::H264, &aus, 500, 0);
    let (frames, _, _) = assemble(&Codec::H264, packets, 8);
    assert_eq!(frames.len(), 30);
    assert_eq!(
        frames[0].size,
        Some(VideoSize {
            width: 160,
            height: 120
        })
    );
    assert_eq!(
        frames[15].size,
        Some(VideoSize {
            width: 320,
            height: 240
        })
    );
    let config = frames[15].config.as_ref().unwrap();
    assert_eq!(&config[8..8 + new_sps.len()], &new_sps[..]);
    // The new SPS stays in-band where it was sent.
    assert!(frames[15].data.contiguous()[..] == length_prefixed(&aus[15])[..]);
}

#[test]
fn a_one_packet_frame_is_copied_once_and_not_rewritten() {
    let mut rules = H264Payload::new();
    let nal = Bytes::from_static(&[0x41, 0x9A, 1, 2, 3]);
    let mut out = Vec::new();
    assert!(rules.depacketize(&nal, &mut out).unwrap().starts_frame);
    // Its parts (length word, NAL unit) are joined once, into the block, and not rewritten.
    let mut block = BytesMut::with_capacity(64);
    let block_at = block.as_ptr();
    let (frame, facts) = rules.complete(FrameParts::new(&out, &mut block)).unwrap();
    assert_eq!(frame.parts().len(), 1);
    assert_eq!(frame.parts()[0].as_ptr(), block_at);
    assert_eq!(frame, [0, 0, 0, 5, 0x41, 0x9A, 1, 2, 3]);
    assert!(!facts.keyframe);
    // A frame that is one part already is handed out as it is.
    let joined = Bytes::from(out.concat());
    let ptr = joined.as_ptr();
    let (frame, _) = rules
        .complete(FrameParts::new(std::slice::from_ref(&joined), &mut block))
        .unwrap();
    assert_eq!(frame.parts()[0].as_ptr(), ptr);
}

#[test]
fn parameter_sets_sent_on_a_timestamp_of_their_own_go_back_in_front_of_their_picture() {
    assert_sets_apart_come_back(&Codec::H264, &fixture_aus());
}
