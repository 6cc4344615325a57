//! The command line: errors are one clear line with a non-zero exit code, outputs are never
//! half-written, existing files are not overwritten without --force.

mod common;

use common::*;
use mjrtool_test_support::synth::SynthOptions;

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn not_an_mjr_file_is_one_line_and_exit_1() {
    let dir = TempDir::new("cli-bad");
    let bad = dir.path("bad.mjr");
    std::fs::write(&bad, b"this is not a recording at all").unwrap();
    let out = dir.path("o.webm");
    let r = mjrtool(&[&"convert", &bad, &out]);
    assert_eq!(r.status.code(), Some(1));
    let err = stderr_of(&r);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad.mjr"), "{err}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        1,
        "temporary file left behind"
    );

    let r = mjrtool(&[&"convert", &dir.path("missing.mjr"), &out]);
    assert_eq!(r.status.code(), Some(1));
    let r = mjrtool(&[&"convert", &bad, &dir.path("o.avi")]);
    assert_eq!(r.status.code(), Some(1));
    assert!(stderr_of(&r).contains("output format"));
}

#[test]
fn existing_output_needs_force() {
    let dir = TempDir::new("cli-force");
    let (_, a, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 2_000,
            ..SynthOptions::default()
        },
    );
    let out = dir.path("a.opus");
    std::fs::write(&out, b"precious").unwrap();
    let r = mjrtool(&[&"convert", &a, &out]);
    assert_eq!(r.status.code(), Some(1));
    assert!(stderr_of(&r).contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    mjrtool_ok(&[&"convert", &a, &out, &"-y", &"--quiet"]);
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn truncated_recording_converts_with_a_warning_and_fails_in_strict_mode() {
    let dir = TempDir::new("cli-trunc");
    let (v, _, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 4_000,
            ..SynthOptions::default()
        },
    );
    let bytes = std::fs::read(&v).unwrap();
    let cut = dir.path("cut.mjr");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 7]).unwrap();
    let out = dir.path("cut.webm");
    let r = mjrtool_ok(&[&"convert", &cut, &out]);
    assert!(stderr_of(&r).contains("warning"), "{}", stderr_of(&r));
    assert!(out.exists());
    let strict_out = dir.path("strict.webm");
    let r = mjrtool(&[&"convert", &cut, &strict_out, &"--strict"]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr_of(&r));
    assert!(!strict_out.exists());
}

#[test]
fn info_reports_the_essentials() {
    let dir = TempDir::new("cli-info");
    let o = SynthOptions {
        duration_ms: 5_000,
        audio_delay_ms: 2_000,
        loss: 0.01,
        duplicate: 0.02,
        reorder: 0.02,
        ..SynthOptions::default()
    };
    let (v, a, vt, _) = synth_pair(&dir, &o);
    let r = mjrtool_ok(&[&"info", &v, &a]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("320x240"), "{text}");
    assert!(text.contains("Mjr2"), "{text}");
    let offset: f64 = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("offset"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .fold(0.0, f64::max);
    assert!((offset - 2.0).abs() <= 0.02, "{text}");
    let r = mjrtool_ok(&[&"info", &"--json", &v]);
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let t = &json["tracks"]["inputs"][0];
    assert_eq!(t["header"]["codec"], "vp8", "{t}");
    let packets = t["source"]["mjr_packets"].as_u64().unwrap();
    assert_eq!(packets, vt.packets - vt.lost + vt.duplicated);
    assert_eq!(
        t["source"]["reorder"]["duplicates"].as_u64().unwrap(),
        vt.duplicated
    );
}

#[test]
fn standard_output_gets_a_streamable_webm_and_ogg() {
    let dir = TempDir::new("stdout");
    let o = SynthOptions {
        duration_ms: 3_000,
        ..SynthOptions::default()
    };
    let (v, a, vt, at) = synth_pair(&dir, &o);
    let r = mjrtool_ok(&[&"mux", &a, &v, &"-", &"--format", &"webm", &"--json"]);
    let p = webm_mux::reader::parse(&r.stdout).unwrap();
    assert_eq!(p.tracks.len(), 2);
    assert_eq!(p.blocks.len() as u64, vt.frames + at.frames);
    // The summary went to standard error.
    let json: serde_json::Value = serde_json::from_slice(&r.stderr).unwrap();
    assert_eq!(json["format"], "webm");
    let r = mjrtool_ok(&[&"convert", &a, &"-", &"--format", &"opus", &"--quiet"]);
    let f = ogg_opus::reader::read_opus_file(&r.stdout).unwrap();
    assert_eq!(f.packets.len() as u64, at.frames);
    // Without --format the format cannot be told.
    let r = mjrtool(&[&"convert", &a, &"-"]);
    assert_eq!(r.status.code(), Some(1));
}

#[test]
fn end_to_end_encrypted_recordings_are_refused_or_skipped() {
    let dir = TempDir::new("cli-e2ee");
    let o = SynthOptions {
        duration_ms: 2_000,
        ..SynthOptions::default()
    };
    let (video, audio, _, _) = synth_pair(&dir, &o);
    // The same audio, with the header saying its payloads are end-to-end encrypted.
    let mut reader = mjr::MjrReader::new(std::fs::File::open(&audio).unwrap()).unwrap();
    let mut header = reader.header().clone();
    header.encrypted = true;
    let secret = dir.path("secret.mjr");
    let mut w = mjr::MjrWriter::new(std::fs::File::create(&secret).unwrap(), &header).unwrap();
    while let Some(p) = reader.next_packet().unwrap() {
        w.write_rtp(p.time_ms.unwrap_or(0), &p.data).unwrap();
    }
    w.finish().unwrap();

    // Alone: nothing to convert, one line, exit 1, no output.
    let out = dir.path("secret.opus");
    let r = mjrtool(&[&"convert", &secret, &out]);
    assert_eq!(r.status.code(), Some(1));
    let err = stderr_of(&r);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("end-to-end encrypted"), "{err}");
    assert!(!out.exists());

    // With a clear video track: losing the audio is refused unless asked for; with
    // --skip-unsupported the video is converted and the audio skipped with a warning, which
    // --strict turns into an error.
    let mixed = dir.path("mixed.webm");
    let r = mjrtool(&[&"mux", &secret, &video, &mixed]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        stderr_of(&r).contains("--skip-unsupported"),
        "{}",
        stderr_of(&r)
    );
    assert!(!mixed.exists());
    let r = mjrtool_ok(&[&"mux", &secret, &video, &mixed, &"--skip-unsupported"]);
    assert!(stderr_of(&r).contains("end-to-end encrypted"));
    assert!(mixed.exists());
    let strict = dir.path("strict.webm");
    let r = mjrtool(&[
        &"mux",
        &secret,
        &video,
        &strict,
        &"--strict",
        &"--skip-unsupported",
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(!strict.exists());
}

#[test]
fn a_header_only_recording_is_skipped_and_the_rest_converts() {
    let dir = TempDir::new("cli-header-only");
    let o = SynthOptions {
        duration_ms: 2_000,
        ..SynthOptions::default()
    };
    let (video, audio, _, _) = synth_pair(&dir, &o);
    // What Janus writes when a publisher never sent that medium: the magic alone.
    let empty = dir.path("data.mjr");
    std::fs::write(&empty, b"MJR00002").unwrap();
    let out = dir.path("out.webm");
    let r = mjrtool_ok(&[&"mux", &audio, &video, &empty, &out, &"--json"]);
    let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(report["skipped"][0]["reason"], "header_only");
    // The .nfo of such a session converts too, and info describes the file.
    let nfo = dir.path("s.nfo");
    std::fs::write(&nfo, "[1]\nname = s\naudio = data.mjr\nvideo = video.mjr\n").unwrap();
    mjrtool_ok(&[&"convert", &nfo, &dir.path("nfo.webm")]);
    let r = mjrtool_ok(&[&"info", &empty]);
    assert!(String::from_utf8_lossy(&r.stdout).contains("header only"));
}

#[test]
fn losing_a_whole_input_fails_unless_asked_for() {
    let dir = TempDir::new("cli-lost-input");
    let o = SynthOptions {
        duration_ms: 2_000,
        ..SynthOptions::default()
    };
    let (video, audio, _, _) = synth_pair(&dir, &o);
    // Video packets that are RTP but hold no VP8 keyframe: the track has no playable frame.
    let mut reader = mjr::MjrReader::new(std::fs::File::open(&video).unwrap()).unwrap();
    let header = reader.header().clone();
    let broken = dir.path("broken.mjr");
    let mut w = mjr::MjrWriter::new(std::fs::File::create(&broken).unwrap(), &header).unwrap();
    while let Some(p) = reader.next_packet().unwrap() {
        let mut data = p.data.to_vec();
        let n = data.len();
        data[12..n].fill(0x01); // the VP8 descriptor and payload, scrambled
        w.write_rtp(p.time_ms.unwrap_or(0), &data).unwrap();
    }
    w.finish().unwrap();
    let out = dir.path("out.webm");
    let r = mjrtool(&[&"mux", &audio, &broken, &out]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr_of(&r));
    let err = stderr_of(&r);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("broken.mjr") && err.contains("no playable frame"),
        "{err}"
    );
    assert!(!out.exists());
    // Asked for: the audio alone, and the summary says what was skipped.
    let r = mjrtool_ok(&[
        &"mux",
        &audio,
        &broken,
        &out,
        &"--skip-unsupported",
        &"--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["skipped"][0]["reason"], "no_playable_frame");
    assert!(out.exists());
}

#[test]
fn mux_takes_options_after_its_files_and_offers_only_its_formats() {
    let dir = TempDir::new("cli-mux-args");
    let o = SynthOptions {
        duration_ms: 1_000,
        ..SynthOptions::default()
    };
    let (video, audio, _, _) = synth_pair(&dir, &o);
    let out = dir.path("out.bin");
    mjrtool_ok(
        &[&audio, &video]
            .iter()
            .fold(vec![&"mux" as &dyn AsRef<std::ffi::OsStr>], |mut v, p| {
                v.push(*p);
                v
            })
            .into_iter()
            .chain([
                &out as &dyn AsRef<std::ffi::OsStr>,
                &"--format",
                &"mkv",
                &"-q",
            ])
            .collect::<Vec<_>>(),
    );
    assert!(out.exists());
    let r = mjrtool(&[
        &"mux",
        &audio,
        &video,
        &dir.path("x.opus"),
        &"--format",
        &"opus",
    ]);
    assert_eq!(r.status.code(), Some(2), "clap refuses the value");
    let help = mjrtool(&[&"mux", &"--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(!help.contains("opus"), "{help}");
}

#[test]
fn info_on_audio_shows_no_keyframes_and_an_unaligned_track_no_offset() {
    let dir = TempDir::new("cli-info-text");
    let o = SynthOptions {
        duration_ms: 1_000,
        version: mjr::FormatVersion::Legacy,
        ..SynthOptions::default()
    };
    let (_, audio, _, _) = synth_pair(&dir, &o);
    let r = mjrtool_ok(&[&"info", &audio]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(!text.contains("keyframes"), "{text}");
    assert!(!text.contains("+0.000"), "{text}");
    assert!(text.contains("offset      unknown"), "{text}");
    assert!(!text.contains("restarts"), "{text}");
}

/// `path` rewritten by our MJR writer with packet `index` made not RTP: its extension bit set
/// before a header claiming 255 words (RFC 3550 §5.3.1) where a few bytes follow.
fn with_invalid_packet(path: &std::path::Path, index: usize, out: &std::path::Path) {
    let mut reader = mjr::MjrReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let header = reader.header().clone();
    let mut writer = mjr::MjrWriter::new(std::fs::File::create(out).unwrap(), &header).unwrap();
    let mut i = 0;
    while let Some(p) = reader.next_packet().unwrap() {
        let mut data = p.data.to_vec();
        if i == index {
            data[0] |= 0x10;
            data.splice(12..12, [0xBE, 0xDE, 0x00, 0xFF]);
        }
        writer.write_rtp(p.time_ms.unwrap_or(0), &data).unwrap();
        i += 1;
    }
    writer.finish().unwrap();
}

#[test]
fn a_strict_conversion_stops_at_an_invalid_packet_with_exit_1_and_no_output() {
    let dir = TempDir::new("cli-strict-rtp");
    let (_, a, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 4_000,
            ..SynthOptions::default()
        },
    );
    let bad = dir.path("bad.mjr");
    with_invalid_packet(&a, 10, &bad);
    let out = dir.path("bad.opus");
    let r = mjrtool_ok(&[&"convert", &bad, &out]);
    assert!(
        stderr_of(&r).contains("1 packets are not valid RTP and were skipped"),
        "{}",
        stderr_of(&r)
    );
    let strict_out = dir.path("strict.opus");
    let r = mjrtool(&[&"convert", &bad, &strict_out, &"--strict"]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr_of(&r));
    assert!(
        stderr_of(&r).contains("1 packets are not valid RTP and were skipped (strict mode)"),
        "{}",
        stderr_of(&r)
    );
    assert!(!strict_out.exists());
}
