//! Fixtures -> packetizer -> reordered, duplicated RTP -> MJR writer -> mjrtool -> container ->
//! read back: every frame comes back byte for byte, in order, for every MJR version.

mod common;

use common::*;
use mjr::FormatVersion;
use mjrtool_test_support::synth::{fixture_audio_packets, fixture_video_frames, SynthOptions};

fn expected_video(frames: u64) -> Vec<Vec<u8>> {
    let f = fixture_video_frames();
    (0..frames as usize)
        .map(|i| f[i % f.len()].to_vec())
        .collect()
}

fn expected_audio(packets: u64) -> Vec<Vec<u8>> {
    let p = fixture_audio_packets();
    (0..packets as usize)
        .map(|i| p[i % p.len()].clone())
        .collect()
}

fn blocks_of(file: &std::path::Path, track: u64) -> Vec<(i64, bool, Vec<u8>)> {
    let bytes = std::fs::read(file).unwrap();
    let parsed = webm_mux::reader::parse(&bytes).unwrap();
    parsed
        .blocks
        .iter()
        .filter(|b| b.track == track)
        .map(|b| (b.timestamp_ms, b.keyframe, b.data.to_vec()))
        .collect()
}

fn roundtrip(version: FormatVersion) {
    let dir = TempDir::new("roundtrip");
    let o = SynthOptions {
        duration_ms: 9_000,
        reorder: 0.05,
        duplicate: 0.05,
        version,
        seed: 11,
        ..SynthOptions::default()
    };
    let (v, a, vt, at) = synth_pair(&dir, &o);

    // Video alone to WebM.
    let vw = dir.path("v.webm");
    mjrtool_ok(&[&"convert", &v, &vw, &"--quiet"]);
    let blocks = blocks_of(&vw, 1);
    let want = expected_video(vt.frames);
    assert_eq!(blocks.len(), want.len(), "video frame count");
    for (i, ((_, key, data), w)) in blocks.iter().zip(&want).enumerate() {
        assert_eq!(data, w, "video frame {i} differs");
        assert_eq!(*key, i % 30 == 0, "keyframe flag of frame {i}");
    }
    // 15 fps: frame i at i * 66.67 ms.
    for (i, (t, _, _)) in blocks.iter().enumerate() {
        let ideal = (i as f64 * 1000.0 / 15.0).round() as i64;
        assert!(
            (t - ideal).abs() <= 1,
            "frame {i} at {t} ms, expected {ideal}"
        );
    }

    // Audio alone to Ogg Opus.
    let ao = dir.path("a.opus");
    mjrtool_ok(&[&"convert", &a, &ao, &"--quiet"]);
    let file = ogg_opus::reader::read_opus_file(&std::fs::read(&ao).unwrap()).unwrap();
    assert_eq!(
        file.packets,
        expected_audio(at.packets),
        "Opus packets differ"
    );
    assert_eq!(file.head.pre_skip, mjrtool_convert::convert::OPUS_PRE_SKIP);

    // Both into one WebM: each track still intact.
    let m = dir.path("m.webm");
    mjrtool_ok(&[&"mux", &a, &v, &m, &"--quiet"]);
    let audio: Vec<Vec<u8>> = blocks_of(&m, 1).into_iter().map(|b| b.2).collect();
    let video: Vec<Vec<u8>> = blocks_of(&m, 2).into_iter().map(|b| b.2).collect();
    assert_eq!(audio, expected_audio(at.packets));
    assert_eq!(video, want);
}

#[test]
fn mjr2_roundtrip() {
    roundtrip(FormatVersion::Mjr2);
}

#[test]
fn mjr1_roundtrip() {
    roundtrip(FormatVersion::Mjr1);
}

#[test]
fn legacy_roundtrip() {
    roundtrip(FormatVersion::Legacy);
}
