//! AV1 over RTP (AOM payload format v1.0) through the shared frame assembly: the fixture's
//! temporal units, packetized with W or length fields and fragmented at any MTU, come back in
//! the low-overhead format without temporal delimiters; keyframes carry `av1C`.

mod ivf;

use bytes::Bytes;
use ivf::{assemble, rtp_packets, shuffle};
use mjrtool_core::{Codec, VideoSize};
use mjrtool_test_support::fixtures::{fixture_path, ivf_file, ivf_fixture};
use mjrtool_test_support::tools::{file_md5s, have, temp_dir};
use proptest::prelude::*;
use rtp_depack::{Av1Packetizer, CodecPayload, ObuHeader};

/// The TU without its temporal delimiters (libaom already writes every size field).
fn without_tds(tu: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < tu.len() {
        let h = ObuHeader::parse(&tu[at..]).unwrap();
        let end = at + h.len + h.size.unwrap() as usize;
        if h.obu_type != 2 {
            out.extend_from_slice(&tu[at..end]);
        }
        at = end;
    }
    out
}

/// The fixture's sequence header OBU (the first OBU after the first TU's delimiter).
fn sequence_header_obu(tu: &[u8]) -> Vec<u8> {
    let tu = without_tds(tu);
    let h = ObuHeader::parse(&tu).unwrap();
    assert_eq!(h.obu_type, 1);
    tu[..h.len + h.size.unwrap() as usize].to_vec()
}

fn packetize(tus: &[Vec<u8>], mut p: Av1Packetizer) -> Vec<(Vec<u8>, bool, usize)> {
    let mut out = Vec::new();
    for (i, tu) in tus.iter().enumerate() {
        p.packetize(tu, &mut |payload, marker| {
            out.push((payload.to_vec(), marker, i))
        });
    }
    out
}

fn packetizer(mtu: usize, lengths: bool) -> Av1Packetizer {
    let p = Av1Packetizer::new(mtu);
    if lengths {
        p.with_length_fields()
    } else {
        p
    }
}

fn av1_rules() -> CodecPayload {
    CodecPayload::for_codec(&Codec::Av1).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_fixture_comes_back_without_delimiters_through_shuffling_and_duplicates(
        mtu in 4usize..1400, lengths: bool, seed: u64,
    ) {
        let tus = ivf_fixture("av1-160x120.ivf");
        let packets = rtp_packets(&packetize(&tus, packetizer(mtu, lengths)));
        let out = assemble(av1_rules(), shuffle(packets, 32, seed), 32);
        prop_assert_eq!(out.len(), tus.len());
        let seq = sequence_header_obu(&tus[0]);
        let mut av1c = vec![0x81, 0x00, 0x0C, 0x00]; // main profile, level 0, 4:2:0 8-bit
        av1c.extend_from_slice(&seq);
        for (i, (got, tu)) in out.iter().zip(&tus).enumerate() {
            prop_assert_eq!(&got.data.contiguous()[..], &without_tds(tu)[..]);
            let key = i % 15 == 0;
            prop_assert_eq!(got.keyframe, key, "frame {}", i);
            prop_assert_eq!(got.size, key.then_some(VideoSize { width: 160, height: 120 }));
            prop_assert_eq!(got.config.as_deref(), key.then_some(&av1c[..]));
        }
    }

    #[test]
    fn with_losses_every_tu_handed_out_is_one_that_was_sent(
        mtu in 20usize..600, lengths: bool, seed: u64, loss in 1u64..20,
    ) {
        let tus = ivf_fixture("av1-160x120.ivf");
        let mut packets = rtp_packets(&packetize(&tus, packetizer(mtu, lengths)));
        let mut x = seed | 1;
        packets.retain(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % 100 >= loss
        });
        for f in assemble(av1_rules(), shuffle(packets, 16, seed), 16) {
            let i = ((f.rtp_timestamp - 9000) / 3000) as usize;
            prop_assert_eq!(&f.data.contiguous()[..], &without_tds(&tus[i])[..]);
        }
    }
}

#[test]
fn an_obu_cut_at_the_end_of_a_tu_drops_the_tu() {
    // One element announced to continue (Y) in a packet that carries the marker.
    let payload = vec![0x50, 0x30, 0x00];
    let packets = rtp_packets(&[(payload, true, 0)]);
    assert!(assemble(av1_rules(), packets, 4).is_empty());
}

#[test]
fn ffmpeg_decodes_the_reassembled_stream_to_the_fixture_hashes_without_error() {
    if !have("ffmpeg") {
        eprintln!("ffmpeg missing: skipped");
        return;
    }
    let tus = ivf_fixture("av1-160x120.ivf");
    let packets = rtp_packets(&packetize(&tus, Av1Packetizer::new(150)));
    let out: Vec<Bytes> = assemble(av1_rules(), shuffle(packets, 16, 5), 16)
        .into_iter()
        .map(|f| f.data.to_bytes())
        .collect();
    let dir = temp_dir("av1-md5");
    let path = dir.join("out.ivf");
    std::fs::write(&path, ivf_file(b"AV01", 160, 120, &out)).unwrap();
    let want = file_md5s(&fixture_path("av1-160x120.ivf"));
    let got = file_md5s(&path); // decoded without a word
    assert_eq!(got.len(), 30);
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(dir);
}

/// Every MTU from the smallest up cuts some OBU at every point, among them right after an OBU
/// header (at 15 bytes the fixture's key frame OBU shares a packet with the sequence header as
/// a 1-byte fragment): each TU must still be told apart from the one before it.
#[test]
fn every_tu_comes_back_at_every_small_mtu_with_w_and_with_length_fields() {
    let tus = ivf_fixture("av1-160x120.ivf");
    for lengths in [false, true] {
        for mtu in 4..=40 {
            let packets = rtp_packets(&packetize(&tus, packetizer(mtu, lengths)));
            let out = assemble(av1_rules(), packets, 4);
            let got: Vec<usize> = out
                .iter()
                .map(|f| ((f.rtp_timestamp - 9000) / 3000) as usize)
                .collect();
            let all: Vec<usize> = (0..tus.len()).collect();
            assert_eq!(got, all, "mtu {mtu}, length fields {lengths}");
            for (i, (f, tu)) in out.iter().zip(&tus).enumerate() {
                assert_eq!(
                    &f.data.contiguous()[..],
                    &without_tds(tu)[..],
                    "mtu {mtu}, TU {i}"
                );
                assert_eq!(f.keyframe, i % 15 == 0, "mtu {mtu}, TU {i}");
            }
        }
    }
}
