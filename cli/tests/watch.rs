//! `mjrtool watch`: sessions converted as their recordings complete, then a clean stop.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ffmpeg_decode_clean, have, TempDir};
use mjrtool_test_support::folder::{self, Naming};

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `mjrtool watch` of `input` into `out`, polling, with a quiet time of 0.5 s.
fn watch(input: &Path, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mjrtool"))
        .args(["watch", "--poll", "--quiet-secs", "0.5", "--out"])
        .arg(out)
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn watch_converts_sessions_as_files_appear_and_sigterm_stops_it_without_a_partial_file() {
    let dir = TempDir::new("watch");
    let (input, out, stage) = (dir.path("in"), dir.path("out"), dir.path("stage"));
    for d in [&input, &stage] {
        std::fs::create_dir_all(d).unwrap();
    }
    // One session is there before the watcher starts.
    let first = folder::write_session(&input, Naming::VideoRoom, 0, 300).unwrap();
    let mut child = watch(&input, &out);
    // The others appear over time, one file at a time (written aside, then moved in).
    let mut expected = vec![first.name.clone()];
    for (i, naming) in [Naming::Sip, Naming::RecordPlay, Naming::Unnamed]
        .into_iter()
        .enumerate()
    {
        let e = folder::write_session(&stage, naming, i as u64 + 1, 300).unwrap();
        for f in &e.files {
            std::fs::rename(f, input.join(f.file_name().unwrap())).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
        expected.push(e.name);
    }
    let mut want: Vec<String> = expected.iter().map(|n| format!("{n}.webm")).collect();
    want.sort();
    let start = Instant::now();
    while names_in(&out) != want {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("converted {:?}, expected {want:?}", names_in(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
    assert_eq!(names_in(&out), want, "no partial file, nothing else");
    if have("ffmpeg") {
        for name in &want {
            ffmpeg_decode_clean(&out.join(name));
        }
    }
    // A restarted watcher finds its journal in the outputs: it converts nothing again.
    let stamps = |out: &Path| -> Vec<(String, std::time::SystemTime)> {
        want.iter()
            .map(|n| {
                let m = std::fs::metadata(out.join(n)).unwrap();
                (n.clone(), m.modified().unwrap())
            })
            .collect()
    };
    let before = stamps(&out);
    let mut again = watch(&input, &out);
    // Longer than the quiet time and a few polls.
    std::thread::sleep(Duration::from_millis(2_000));
    let pid = rustix::process::Pid::from_raw(again.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    again.wait().unwrap();
    assert_eq!(stamps(&out), before, "a restart converted a session again");
    assert_eq!(names_in(&out), want);
}
