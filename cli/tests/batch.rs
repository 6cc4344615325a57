//! `mjrtool batch` on generated folders: every naming scheme, reruns, a damaged session, the
//! dry run's grouping, the JSON report, a signal mid-batch, and `info --header-only`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ffmpeg_decode_clean, have, mjrtool, TempDir};
use mjrtool_test_support::folder;
use serde_json::Value;

fn batch_json(input: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"batch", &input, &"--out", &out, &"--json"];
    for e in extra {
        args.push(e);
    }
    let o = mjrtool(&args);
    let json = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code(), json)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_folder_of_200_sessions_converts_each_once_and_a_damaged_one_fails_alone_with_exit_1() {
    let dir = TempDir::new("batch-200");
    let (input, out) = (dir.path("in"), dir.path("out"));
    std::fs::create_dir_all(&input).unwrap();
    let expected = folder::generate(&input, 200, 200).unwrap();
    let damaged = folder::write_damaged(&input, 1000).unwrap();

    let (code, report) = batch_json(&input, &out, &["--jobs", "2"]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["converted"], 200, "{report:#}");
    assert_eq!(report["failed"], 1);
    let sessions = report["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 201);
    for s in sessions {
        for key in [
            "name",
            "scheme",
            "inputs",
            "output",
            "status",
            "duration_ms",
            "warnings",
            "errors",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
    }
    let failed: Vec<&Value> = sessions
        .iter()
        .filter(|s| s["status"] == "failed")
        .collect();
    assert_eq!(failed[0]["name"], damaged.name.as_str());
    assert!(
        failed[0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("audio-0.mjr"),
        "{}",
        failed[0]
    );

    // One output per session, named after it, and nothing else (no temporary file).
    let mut want: Vec<String> = expected
        .iter()
        .map(|e| format!("{}.webm", e.name))
        .collect();
    want.sort();
    assert_eq!(names_in(&out), want);
    for s in sessions.iter().filter(|s| s["status"] == "converted") {
        let name = s["name"].as_str().unwrap();
        let e = expected.iter().find(|e| e.name == name).unwrap();
        let mut inputs: Vec<PathBuf> = s["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| PathBuf::from(p.as_str().unwrap()))
            .collect();
        inputs.sort();
        assert_eq!(inputs, e.files, "{name}");
        assert!(s["duration_ms"].as_f64().unwrap() > 100.0, "{s}");
    }
    if have("ffmpeg") {
        // One of each naming scheme decodes cleanly.
        for e in &expected[..5] {
            let listing = ffmpeg_decode_clean(&out.join(format!("{}.webm", e.name)));
            assert!(listing.lines().any(|l| l.starts_with("0,")), "{}", e.name);
            assert!(listing.lines().any(|l| l.starts_with("1,")), "{}", e.name);
        }
    }

    // The outputs are the journal: a rerun converts nothing, and fails the damaged one again.
    let (code, report) = batch_json(&input, &out, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        (&report["converted"], &report["skipped"], &report["failed"]),
        (&Value::from(0), &Value::from(200), &Value::from(1))
    );
}

#[test]
fn dry_run_groups_videoroom_streams_microseconds_apart_together_and_a_republish_apart() {
    let dir = TempDir::new("batch-dry");
    let input = dir.path("in");
    std::fs::create_dir_all(&input).unwrap();
    let mut expected: Vec<folder::Expected> = folder::write_republish(&input, 0).unwrap().to_vec();
    for (i, naming) in folder::NAMINGS.into_iter().enumerate().skip(1) {
        expected.push(folder::write_session(&input, naming, i as u64, 200).unwrap());
    }
    let o = mjrtool(&[
        &"batch",
        &input,
        &"--out",
        &dir.path("out"),
        &"--dry-run",
        &"--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut found: Vec<(String, Vec<PathBuf>)> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut files: Vec<PathBuf> = s["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| PathBuf::from(f.as_str().unwrap()))
                .collect();
            files.sort();
            (s["name"].as_str().unwrap().to_string(), files)
        })
        .collect();
    found.sort();
    let mut want: Vec<(String, Vec<PathBuf>)> =
        expected.into_iter().map(|e| (e.name, e.files)).collect();
    want.sort();
    assert_eq!(found, want);
    assert!(!dir.path("out").exists(), "a dry run writes nothing");
    // The text form names each session and its files.
    let o = mjrtool(&[&"batch", &input, &"--out", &dir.path("out"), &"--dry-run"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("videoroom-1234-user-0-1700000000000000 (VideoRoom) -> "),
        "{text}"
    );
    assert!(text.contains("6 sessions"), "{text}");
}

fn partials_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

#[test]
fn sigterm_during_a_batch_leaves_no_partial_file_and_only_complete_outputs() {
    let dir = TempDir::new("batch-term");
    let (input, out) = (dir.path("in"), dir.path("out"));
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..24 {
        folder::write_session(&input, folder::Naming::BaseName, i, 4_000).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_mjrtool"))
        .args(["batch", "--jobs", "2", "--out"])
        .arg(&out)
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !out.exists() || names_in(&out).iter().all(|n| n.ends_with(".partial")) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no output appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(partials_in(&out), Vec::<String>::new(), "{status}");
    let done = names_in(&out);
    assert!(!done.is_empty());
    if have("ffmpeg") {
        for name in &done {
            ffmpeg_decode_clean(&out.join(name));
        }
    }
}

#[test]
fn info_header_only_reads_the_header_and_not_the_damaged_packets_after_it() {
    let dir = TempDir::new("batch-header");
    let e = folder::write_session(&dir.0, folder::Naming::Sip, 3, 200).unwrap();
    // Garbage after the header: reading packets would warn; the header alone is fine.
    let video = &e.files[1];
    let header_len = {
        let b = std::fs::read(video).unwrap();
        10 + usize::from(u16::from_be_bytes([b[8], b[9]]))
    };
    let mut bytes = std::fs::read(video).unwrap();
    bytes.truncate(header_len);
    bytes.extend_from_slice(&[0xAB; 3000]);
    std::fs::write(video, &bytes).unwrap();
    let o = mjrtool(&[&"info", &"--header-only", &"--json", &e.files[0], video]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["header"]["codec"], "opus", "{v:#}");
    assert_eq!(v[1]["header"]["kind"], "video", "{v:#}");
    assert_eq!(
        v[1]["header"]["created_us"],
        folder::START_US + 30_000_000 - 1_500_000
    );
    let text = mjrtool(&[&"info", &"--header-only", video]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("codec vp8"));
    // A file that is not a recording fails the run, without echoing its bytes.
    let bad = dir.path("bad.mjr");
    std::fs::write(&bad, b"secret!!secret!!").unwrap();
    let o = mjrtool(&[&"info", &"--header-only", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("secret"));
}
