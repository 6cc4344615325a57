//! A/V alignment, timeline continuity across restarts, gap filling.

mod common;

use common::*;
use mjrtool_test_support::synth::SynthOptions;

fn parse(file: &std::path::Path) -> webm_mux::reader::ParsedFile {
    webm_mux::reader::parse(&std::fs::read(file).unwrap()).unwrap()
}

fn first_block_ms(p: &webm_mux::reader::ParsedFile, track: u64) -> i64 {
    p.blocks
        .iter()
        .find(|b| b.track == track)
        .unwrap()
        .timestamp_ms
}

fn largest_gap_ms(p: &webm_mux::reader::ParsedFile, track: u64) -> i64 {
    let times: Vec<i64> = p
        .blocks
        .iter()
        .filter(|b| b.track == track)
        .map(|b| b.timestamp_ms)
        .collect();
    times.windows(2).map(|w| w[1] - w[0]).max().unwrap()
}

fn last_block_ms(p: &webm_mux::reader::ParsedFile, track: u64) -> i64 {
    p.blocks
        .iter()
        .rfind(|b| b.track == track)
        .unwrap()
        .timestamp_ms
}

#[test]
fn audio_two_seconds_late_is_placed_two_seconds_late() {
    let dir = TempDir::new("sync");
    let o = SynthOptions {
        duration_ms: 8_000,
        audio_delay_ms: 2_000,
        jitter_ms: 0,
        ..SynthOptions::default()
    };
    let (v, a, _, _) = synth_pair(&dir, &o);
    let out = dir.path("m.webm");
    mjrtool_ok(&[&"mux", &a, &v, &out, &"--quiet"]);
    let p = parse(&out);
    let audio = first_block_ms(&p, 1);
    let video = first_block_ms(&p, 2);
    assert!(
        (audio - video - 2000).abs() <= 20,
        "audio at {audio} ms, video at {video} ms"
    );
    // Both end together at 8 s of wall time.
    let dur = p.duration_ms.unwrap();
    assert!((dur - 8000.0).abs() <= 50.0, "duration {dur}");

    // --no-align gives the old behaviour: both at zero.
    let out2 = dir.path("n.webm");
    mjrtool_ok(&[&"mux", &a, &v, &out2, &"--quiet", &"--no-align"]);
    let p2 = parse(&out2);
    assert_eq!(first_block_ms(&p2, 1), 0);
    assert_eq!(first_block_ms(&p2, 2), 0);

    // The offset is in the JSON summary.
    let j = mjrtool_ok(&[&"mux", &a, &v, &dir.path("j.webm"), &"--json"]);
    let json: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let offset = json["inputs"][0]["offset_ms"].as_f64().unwrap();
    assert!((offset - 2000.0).abs() <= 20.0, "{json}");
}

#[test]
fn video_late_and_nfo_input() {
    let dir = TempDir::new("nfo");
    let o = SynthOptions {
        duration_ms: 6_000,
        audio_delay_ms: -1_500,
        jitter_ms: 0,
        ..SynthOptions::default()
    };
    synth_pair(&dir, &o);
    std::fs::write(
        dir.path("1.nfo"),
        mjrtool_test_support::synth::nfo_text(1, Some("audio.mjr"), Some("video.mjr")),
    )
    .unwrap();
    let out = dir.path("s.mkv");
    mjrtool_ok(&[&"convert", &dir.path("1.nfo"), &out, &"--quiet"]);
    let p = parse(&out);
    assert_eq!(p.doc_type, "matroska");
    let audio = first_block_ms(&p, 1);
    let video = first_block_ms(&p, 2);
    assert!(
        (video - audio - 1500).abs() <= 20,
        "audio {audio} video {video}"
    );

    // Audio-only .nfo.
    std::fs::write(
        dir.path("2.nfo"),
        mjrtool_test_support::synth::nfo_text(2, Some("audio.mjr"), None),
    )
    .unwrap();
    let out = dir.path("a.webm");
    mjrtool_ok(&[&"convert", &dir.path("2.nfo"), &out, &"--quiet"]);
    assert_eq!(parse(&out).tracks.len(), 1);
}

#[test]
fn restart_as_janus_records_it_keeps_wall_clock_duration() {
    restart_keeps_wall_clock_duration(false);
}

#[test]
fn restart_with_raw_timestamp_jump_keeps_wall_clock_duration() {
    restart_keeps_wall_clock_duration(true);
}

fn restart_keeps_wall_clock_duration(raw_restart: bool) {
    let dir = TempDir::new("restart");
    let o = SynthOptions {
        duration_ms: 10_000,
        restart_at_ms: Some(4_000),
        restart_pause_ms: 1_500,
        raw_restart,
        jitter_ms: 0,
        ..SynthOptions::default()
    };
    let (v, a, _, _) = synth_pair(&dir, &o);
    let out = dir.path("r.webm");
    mjrtool_ok(&[&"mux", &a, &v, &out, &"--quiet"]);
    let p = parse(&out);
    let dur = p.duration_ms.unwrap();
    assert!(
        (dur - 10_000.0).abs() <= 50.0,
        "duration {dur} ms, wall time 10000 ms"
    );
    // Video: a real 1.5 s gap at 4 s, not squeezed out.
    let gap = largest_gap_ms(&p, 2);
    assert!((gap - 1_567).abs() <= 20, "largest video gap {gap} ms");
    assert!(last_block_ms(&p, 2) >= 9_850, "video ends early");
    // Audio: the pause is filled with silence, so the audio keeps running to the end.
    let agap = largest_gap_ms(&p, 1);
    assert!(agap <= 21, "audio gap {agap} ms not filled");
    assert!((last_block_ms(&p, 1) - 9_980).abs() <= 20);
}

#[test]
fn losses_are_counted_and_audio_stays_in_step() {
    let dir = TempDir::new("loss");
    let o = SynthOptions {
        duration_ms: 12_000,
        loss: 0.02,
        reorder: 0.05,
        duplicate: 0.02,
        seed: 5,
        ..SynthOptions::default()
    };
    let (v, a, _, at) = synth_pair(&dir, &o);
    let out = dir.path("l.webm");
    let j = mjrtool_ok(&[&"mux", &a, &v, &out, &"--json"]);
    let json: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let audio = &json["inputs"][0];
    let lost = audio["source"]["reorder"]["lost"].as_u64().unwrap();
    assert_eq!(lost, at.lost, "{audio}");
    assert_eq!(audio["silence_packets"].as_u64().unwrap(), at.lost);
    // Video keeps the complete frames after a loss (the default): only frames with a hole go.
    let video = &json["inputs"][1];
    let depack = &video["source"]["depack"];
    assert!(depack["frames_dropped_incomplete"].as_u64().unwrap() > 0);
    assert_eq!(
        depack["frames_dropped_waiting_keyframe"].as_u64().unwrap(),
        0
    );
    let p = parse(&out);
    // Audio blocks are exactly 20 ms apart: nothing missing, nothing shifted.
    let audio: Vec<i64> = p
        .blocks
        .iter()
        .filter(|b| b.track == 1)
        .map(|b| b.timestamp_ms)
        .collect();
    for w in audio.windows(2) {
        assert!((w[1] - w[0] - 20).abs() <= 1, "{:?}", w);
    }
}

#[test]
fn alignment_survives_network_jitter() {
    // Arrivals delayed by up to 60 ms at random: the anchor comes from the least delayed of
    // the first frames, not from whichever frame happened to come first.
    for seed in 1..4 {
        let dir = TempDir::new("jitter");
        let o = SynthOptions {
            duration_ms: 6_000,
            audio_delay_ms: 2_000,
            jitter_ms: 60,
            seed,
            ..SynthOptions::default()
        };
        let (v, a, _, _) = synth_pair(&dir, &o);
        let out = dir.path("j.webm");
        mjrtool_ok(&[&"mux", &a, &v, &out, &"--quiet"]);
        let p = parse(&out);
        let offset = first_block_ms(&p, 1) - first_block_ms(&p, 2);
        assert!(
            (offset - 2000).abs() <= 20,
            "seed {seed}: audio at +{offset} ms"
        );
    }
}
