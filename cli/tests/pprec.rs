//! The janus-pp-rec drop-in: the command lines of janus-pp-rec's man page, run unchanged through
//! a symbolic link named `janus-pp-rec`, and the JSON outputs scripts parse.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{ffmpeg_decode_clean, have, TempDir};
use mjrtool_test_support::synth::{self, SynthOptions};
use serde_json::Value;

/// The EXAMPLES of janus-pp-rec.1 (Janus 1.1), as printed there.
const MAN_PAGE_LINES: [&str; 4] = [
    "janus-pp-rec --header rec1234.mjr",
    "janus-pp-rec --parse rec1234.mjr",
    "janus-pp-rec rec1234.mjr rec1234.webm",
    "janus-pp-rec --restamp=1500 rec1234.mjr rec1234.opus",
];

/// A folder with `janus-pp-rec` linked to mjrtool and `rec1234.mjr` (video, or audio).
fn folder(tag: &str, video: bool) -> TempDir {
    let dir = TempDir::new(tag);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mjrtool"), dir.path("janus-pp-rec")).unwrap();
    let o = SynthOptions {
        duration_ms: 1_000,
        ..SynthOptions::default()
    };
    let f = std::fs::File::create(dir.path("rec1234.mjr")).unwrap();
    if video {
        synth::write_video(f, &o).unwrap();
    } else {
        synth::write_audio(f, &o).unwrap();
    }
    dir
}

/// Runs a command line in `dir`, its first word resolved there.
fn run_line(dir: &Path, line: &str) -> Output {
    let mut words = line.split_whitespace();
    let program = dir.join(words.next().unwrap());
    let out = Command::new(program)
        .args(words)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_man_pages_command_lines_run_unchanged_through_a_link_named_janus_pp_rec() {
    let video = folder("pprec-man-v", true);
    let out = run_line(&video.0, MAN_PAGE_LINES[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("This is a video recording:"), "{text}");
    assert!(text.contains("  -- Codec:   vp8"), "{text}");
    let out = run_line(&video.0, MAN_PAGE_LINES[1]);
    let text = String::from_utf8_lossy(&out.stdout);
    let packets: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("Counted ")?
                .strip_suffix(" RTP packets")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(packets > 10, "{text}");
    run_line(&video.0, MAN_PAGE_LINES[2]);
    let audio = folder("pprec-man-a", false);
    run_line(&audio.0, MAN_PAGE_LINES[3]);
    if have("ffmpeg") {
        let listing = ffmpeg_decode_clean(&video.path("rec1234.webm"));
        assert!(listing.lines().filter(|l| l.starts_with("0,")).count() >= 14);
        let listing = ffmpeg_decode_clean(&audio.path("rec1234.opus"));
        assert!(listing.lines().filter(|l| l.starts_with("0,")).count() >= 45);
    }
}

#[test]
fn json_outputs_carry_janus_pp_recs_keys_as_pp_rec_and_through_the_link() {
    let dir = folder("pprec-json", true);
    let header = run_line(&dir.0, "janus-pp-rec -j rec1234.mjr");
    let h: Value = serde_json::from_slice(&header.stdout).unwrap();
    assert_eq!((&h["t"], &h["c"]), (&Value::from("v"), &Value::from("vp8")));
    assert!(h["s"].is_i64() && h["u"].is_i64(), "{h}");
    // The same through `mjrtool pp-rec`.
    let sub = Command::new(env!("CARGO_BIN_EXE_mjrtool"))
        .args(["pp-rec", "--json"])
        .arg(dir.path("rec1234.mjr"))
        .output()
        .unwrap();
    assert_eq!(sub.stdout, header.stdout);
    let ext = run_line(&dir.0, "janus-pp-rec -e rec1234.mjr");
    let e: Value = serde_json::from_slice(&ext.stdout).unwrap();
    assert_eq!(e["c"], "vp8");
    assert!(e["extended"]["packets"].as_u64().unwrap() > 10, "{e}");
    assert!(e["extended"]["duration"].as_f64().unwrap() > 0.5, "{e}");
    let r = &e["extended"]["codec"]["resolution"][0];
    assert_eq!(
        (&r["width"], &r["height"]),
        (&Value::from(320), &Value::from(240))
    );
    let list = run_line(&dir.0, "janus-pp-rec -F");
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("  -- Opus:   [opus, ogg, mka]"), "{text}");
    assert!(text.contains("  -- VP8:    [webm, mkv]"), "{text}");
    // Every option of janus-pp-rec 1.1.2 is accepted.
    run_line(
        &dir.0,
        "janus-pp-rec -m meta -i 0 -P 96 -a 1 -v 2 -d 0 -D -o -f mkv -S 0 -C 0 -r 0 -c 10 -n 500 rec1234.mjr out.bin",
    );
    assert!(dir.path("out.bin").exists());
    let help = run_line(&dir.0, "janus-pp-rec --help");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--restamp") && text.contains("one timeline"),
        "{text}"
    );
}
