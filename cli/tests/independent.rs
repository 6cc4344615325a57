//! Our outputs checked by independent tools: ffmpeg decodes every frame with no error, ffprobe
//! sees the streams and durations, mkvinfo parses the Matroska structure, opusinfo and
//! oggz-validate accept the Ogg Opus files.

mod common;

use common::*;
use mjrtool_test_support::synth::SynthOptions;
use std::process::Command;

fn session(dir: &TempDir, o: &SynthOptions) -> (std::path::PathBuf, std::path::PathBuf) {
    let (v, a, _, _) = synth_pair(dir, o);
    (v, a)
}

#[test]
fn ffmpeg_decodes_every_frame_of_our_webm() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = TempDir::new("ffmpeg");
    let o = SynthOptions {
        duration_ms: 8_000,
        audio_delay_ms: 2_000,
        loss: 0.01,
        reorder: 0.03,
        duplicate: 0.01,
        seed: 3,
        ..SynthOptions::default()
    };
    let (v, a) = session(&dir, &o);
    let out = dir.path("m.webm");
    let j = mjrtool_ok(&[&"mux", &a, &v, &out, &"--json"]);
    let json: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let audio_frames = json["inputs"][0]["frames"].as_u64().unwrap() as usize;
    let video_frames = json["inputs"][1]["frames"].as_u64().unwrap() as usize;

    let listing = ffmpeg_decode_clean(&out);
    // Stream 0 is audio (track 1), stream 1 video (track 2).
    assert_eq!(
        framemd5_count(&listing, 1),
        video_frames,
        "decoded video frames"
    );
    assert!(framemd5_count(&listing, 0) > 0);
    let decoded_audio_ms = listing
        .lines()
        .filter(|l| l.starts_with("0,"))
        .map(|l| l.split(',').nth(3).unwrap().trim().parse::<f64>().unwrap())
        .sum::<f64>()
        / 48.0;
    assert!(
        (decoded_audio_ms - audio_frames as f64 * 20.0).abs() < 25.0,
        "{decoded_audio_ms}"
    );

    let streams = ffprobe_streams(&out);
    let joined: String = streams.iter().map(|s| s.1.clone() + "\n").collect();
    assert!(joined.contains("codec_name=opus"), "{joined}");
    assert!(
        joined.contains("codec_name=vp8|width=320|height=240"),
        "{joined}"
    );
    let duration: f64 = joined
        .split("duration=")
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((duration - 8.0).abs() < 0.05, "duration {duration}");
}

#[test]
fn mkvinfo_is_clean_and_cues_exist() {
    if !have("mkvinfo") {
        return;
    }
    let dir = TempDir::new("mkvinfo");
    let o = SynthOptions {
        duration_ms: 12_000,
        ..SynthOptions::default()
    };
    let (v, a) = session(&dir, &o);
    for name in ["m.webm", "m.mkv"] {
        let out = dir.path(name);
        mjrtool_ok(&[&"mux", &a, &v, &out, &"--quiet"]);
        let (ok, stdout, stderr) = run_tool("mkvinfo", &["-a"], &out);
        assert!(ok, "mkvinfo failed: {stderr}");
        let lower = stdout.to_lowercase();
        assert!(
            !lower.contains("error") && !lower.contains("warning"),
            "{stdout}"
        );
        assert!(stdout.contains("Cue point"), "no Cues: {stdout}");
        assert!(stdout.contains("Duration"), "no Duration");
        // One cue per video keyframe (every 2 s).
        assert!(stdout.matches("Cue point").count() >= 6);
    }
}

#[test]
fn ffmpeg_seeks_into_the_middle() {
    if !have("ffmpeg") {
        return;
    }
    let dir = TempDir::new("seek");
    let o = SynthOptions {
        duration_ms: 12_000,
        ..SynthOptions::default()
    };
    let (v, a) = session(&dir, &o);
    let out = dir.path("m.webm");
    mjrtool_ok(&[&"mux", &a, &v, &out, &"--quiet"]);
    let r = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-ss", "7.5", "-i"])
        .arg(&out)
        .args([
            "-map",
            "0",
            "-fps_mode",
            "passthrough",
            "-frames:v",
            "3",
            "-f",
            "framemd5",
            "-",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success() && err.trim().is_empty(), "{err}");
    assert_eq!(framemd5_count(&String::from_utf8_lossy(&r.stdout), 1), 3);
}

#[test]
fn opusinfo_and_oggz_accept_our_ogg_opus() {
    let dir = TempDir::new("opusinfo");
    let o = SynthOptions {
        duration_ms: 6_000,
        loss: 0.02,
        seed: 9,
        ..SynthOptions::default()
    };
    let (_, a) = session(&dir, &o);
    let out = dir.path("a.opus");
    mjrtool_ok(&[&"convert", &a, &out, &"--quiet"]);
    if have("opusinfo") {
        let (ok, stdout, stderr) = run_tool("opusinfo", &[], &out);
        assert!(ok, "{stderr}");
        let all = (stdout.clone() + &stderr).to_lowercase();
        assert!(
            !all.contains("warning") && !all.contains("error"),
            "{stdout}{stderr}"
        );
        // 6 s of packets minus the 6.5 ms pre-skip.
        assert!(stdout.contains("Playback length: 0m:05.99"), "{stdout}");
    }
    if have("oggz-validate") {
        let (ok, stdout, stderr) = run_tool("oggz-validate", &[], &out);
        assert!(ok, "{stdout}{stderr}");
    }
    if have("ffmpeg") {
        ffmpeg_decode_clean(&out);
    }
}

#[test]
fn keeping_complete_frames_after_a_loss_decodes_clean() {
    if !have("ffmpeg") {
        return;
    }
    let dir = TempDir::new("afterloss");
    let o = SynthOptions {
        duration_ms: 8_000,
        loss: 0.02,
        seed: 11,
        ..SynthOptions::default()
    };
    let (v, _) = session(&dir, &o);
    let frames = |policy: &str| {
        let out = dir.path(&format!("{policy}.webm"));
        let j = mjrtool_ok(&[&"convert", &v, &out, &"--json", &"--after-loss", &policy]);
        let json: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
        let listing = ffmpeg_decode_clean(&out);
        let n = json["inputs"][0]["frames"].as_u64().unwrap() as usize;
        assert_eq!(framemd5_count(&listing, 0), n, "{policy}: decoded frames");
        n
    };
    let waited = frames("wait-keyframe");
    let kept = frames("keep-frames");
    assert!(kept > waited, "kept {kept}, waited {waited}");
}

#[test]
fn a_lossy_session_declares_its_frame_rate_and_decodes_silently_to_null() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    // With frames dropped after losses, ffmpeg guesses an odd frame rate from the timestamps
    // (359/12 on a real recording), and its null output then quantizes two frames onto one
    // tick ("non monotonically increasing dts"); the declared DefaultDuration gives it the sender's rate.
    let dir = TempDir::new("framerate");
    let o = SynthOptions {
        duration_ms: 20_000,
        loss: 0.03,
        reorder: 0.02,
        seed: 7,
        ..SynthOptions::default()
    };
    let (v, a) = session(&dir, &o);
    let out = dir.path("lossy.webm");
    mjrtool_ok(&[&"mux", &a, &v, &out]);
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-show_entries"])
        .args(["stream=r_frame_rate", "-of", "csv=p=0"])
        .arg(&out)
        .output()
        .unwrap();
    // The fixture's 15 frames a second.
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "15/1");
    let null = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&out)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(null.status.success());
    assert_eq!(String::from_utf8_lossy(&null.stderr).trim(), "");
}
