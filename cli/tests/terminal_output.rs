//! What the tool prints: write errors on standard output or error never panic (a closed pipe
//! ends quietly), a closed standard output is an error, text from recordings cannot drive the
//! terminal or break the one-line error rule, errors name the right file and never show a
//! file's contents, and `.nfo` paths stay inside the `.nfo`'s folder.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mjrtool_test_support::synth::SynthOptions;

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn short() -> SynthOptions {
    SynthOptions {
        duration_ms: 1_000,
        ..SynthOptions::default()
    }
}

/// Runs mjrtool with its standard output and error going to the given files.
fn run_with(args: &[&dyn AsRef<OsStr>], stdout: Stdio, stderr: Stdio) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mjrtool"));
    for a in args {
        c.arg(a);
    }
    c.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
    c.output().unwrap()
}

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

/// Asserts a failed run printed exactly one line, with no escape character.
fn one_line_error(r: &Output) -> String {
    let err = stderr_of(r);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("mjrtool: error: "), "{err}");
    assert!(!r.stderr.contains(&0x1b), "{err}");
    err
}

#[test]
fn a_full_standard_output_is_one_error_line_not_a_panic() {
    let dir = TempDir::new("term-full");
    let (_, a, _, _) = synth_pair(&dir, &short());
    let out = dir.path("a.opus");
    for args in [
        vec![&"info" as &dyn AsRef<OsStr>, &"--json", &a],
        vec![&"info", &a],
        vec![&"convert", &a, &out, &"--json", &"-y"],
    ] {
        let r = run_with(&args, dev_full(), Stdio::piped());
        let err = one_line_error(&r);
        assert!(err.contains("No space left on device"), "{err}");
    }
    // The media itself to a full standard output: the error names "-", not a placeholder.
    let r = run_with(
        &[&"convert", &a, &"-", &"--format", &"opus"],
        dev_full(),
        Stdio::piped(),
    );
    let err = one_line_error(&r);
    assert!(err.starts_with("mjrtool: error: -: "), "{err}");
}

#[test]
fn a_full_standard_error_exits_1_without_a_panic() {
    let dir = TempDir::new("term-full-err");
    let (_, a, _, _) = synth_pair(&dir, &short());
    let r = run_with(
        &[&"convert", &a, &dir.path("a.opus")],
        Stdio::piped(),
        dev_full(),
    );
    assert_eq!(r.status.code(), Some(1));
    let r = run_with(
        &[&"info", &dir.path("missing.mjr")],
        Stdio::piped(),
        dev_full(),
    );
    assert_eq!(r.status.code(), Some(1));
}

/// Spawns mjrtool with its standard output a pipe whose reader is gone.
fn run_into_closed_pipe(args: &[&dyn AsRef<OsStr>]) -> (Option<i32>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mjrtool"));
    for a in args {
        c.arg(a);
    }
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("mjrtool did not end");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr_of(&out))
}

#[test]
fn a_pipe_closed_by_its_reader_ends_the_run_quietly() {
    let dir = TempDir::new("term-pipe");
    // 4 s of media is more than a pipe holds, too.
    let (v, a, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 4_000,
            ..SynthOptions::default()
        },
    );
    // About 100 KB of text, more than a pipe holds.
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"info"];
    for _ in 0..200 {
        args.push(&a);
    }
    assert_eq!(run_into_closed_pipe(&args), (Some(0), String::new()));
    let media: [&dyn AsRef<OsStr>; 6] = [&"mux", &a, &v, &"-", &"--format", &"webm"];
    assert_eq!(run_into_closed_pipe(&media), (Some(0), String::new()));
}

#[test]
fn a_closed_standard_output_is_an_error_not_a_silent_success() {
    let dir = TempDir::new("term-closed");
    let (_, a, _, _) = synth_pair(&dir, &short());
    let r = Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" convert "$1" - --format opus >&-"#)
        .arg(env!("CARGO_BIN_EXE_mjrtool"))
        .arg(&a)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = one_line_error(&r);
    assert!(err.contains("standard output is closed"), "{err}");
    assert!(!err.contains("wrote"), "{err}");
    // Sent to /dev/null on purpose: fine.
    let r = run_with(
        &[&"convert", &a, &"-", &"--format", &"opus", &"-q"],
        Stdio::null(),
        Stdio::piped(),
    );
    assert!(r.status.success(), "{}", stderr_of(&r));
}

const EVIL: &str = "x\n\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}";

/// An audio recording whose header strings hold newlines and escape sequences.
fn evil_recording(dir: &TempDir, from: &Path) -> PathBuf {
    let mut reader = mjr::MjrReader::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut header = reader.header().clone();
    header.codec = mjr::Codec::Other(EVIL.into());
    header.fmtp = Some(EVIL.into());
    header.extmaps.insert(1, EVIL.into());
    let path = dir.path("evil.mjr");
    let mut w = mjr::MjrWriter::new(std::fs::File::create(&path).unwrap(), &header).unwrap();
    while let Some(p) = reader.next_packet().unwrap() {
        w.write_rtp(p.time_ms.unwrap_or(0), &p.data).unwrap();
    }
    w.finish().unwrap();
    path
}

#[test]
fn header_strings_cannot_drive_the_terminal_or_break_lines() {
    let dir = TempDir::new("term-evil");
    let (v, a, _, _) = synth_pair(&dir, &short());
    let evil = evil_recording(&dir, &a);
    let r = mjrtool_ok(&[&"info", &evil]);
    assert!(!r.stdout.contains(&0x1b) && !r.stderr.contains(&0x1b));
    let text = String::from_utf8_lossy(&r.stdout);
    let codec = text.lines().find(|l| l.contains("codec")).unwrap();
    assert!(codec.contains(r"x\u{a}\u{1b}[2J"), "{text}");
    assert!(!text.contains('\u{202e}'), "{text}");
    // Converted alone: refused in one line; beside a clear track: skipped with a warning line.
    one_line_error(&mjrtool(&[&"convert", &evil, &dir.path("e.webm")]));
    one_line_error(&mjrtool(&[&"mux", &evil, &v, &dir.path("m.webm")]));
    let r = mjrtool_ok(&[
        &"mux",
        &evil,
        &v,
        &dir.path("m.webm"),
        &"--skip-unsupported",
    ]);
    assert!(!r.stderr.contains(&0x1b), "{}", stderr_of(&r));
    let warning = stderr_of(&r);
    assert!(
        warning
            .lines()
            .any(|l| l.starts_with("warning: ") && l.contains("evil.mjr")),
        "{warning}"
    );
    // A file name is escaped too.
    let named = dir.path("a\u{1b}[2J\nb.mjr");
    std::fs::write(&named, b"not a recording").unwrap();
    let err = one_line_error(&mjrtool(&[&"convert", &named, &dir.path("n.webm")]));
    assert!(err.contains(r"a\u{1b}[2J\u{a}b.mjr"), "{err}");
}

#[test]
fn an_error_from_one_of_several_inputs_names_that_input() {
    let dir = TempDir::new("term-which");
    let (v, a, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 3_000,
            ..SynthOptions::default()
        },
    );
    let bytes = std::fs::read(&v).unwrap();
    let cut = dir.path("cut.mjr");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 7]).unwrap();
    let r = mjrtool(&[&"mux", &"--strict", &a, &cut, &dir.path("o.webm")]);
    let err = one_line_error(&r);
    assert!(
        err.starts_with(&format!("mjrtool: error: {}: ", cut.display())),
        "{err}"
    );
    assert!(!err.contains(" + ") && !err.contains("audio.mjr"), "{err}");
}

/// A folder `rec` holding a `.nfo` with `text`, inside `dir`.
fn nfo_in(dir: &TempDir, text: &str) -> PathBuf {
    let rec = dir.path("rec");
    std::fs::create_dir_all(&rec).unwrap();
    let nfo = rec.join("s.nfo");
    std::fs::write(&nfo, text).unwrap();
    nfo
}

#[test]
fn nfo_paths_outside_its_folder_are_refused_unless_allowed() {
    let dir = TempDir::new("term-nfo");
    let (_, a, _, _) = synth_pair(&dir, &short());
    let out = dir.path("o.opus");
    let abs = format!("[1]\naudio = {}\n", a.display());
    let link = dir.path("rec/link.mjr");
    for text in [
        "[1]\naudio = ../audio.mjr\n",
        &abs,
        "[1]\naudio = link.mjr\n",
    ] {
        let nfo = nfo_in(&dir, text);
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&a, &link).unwrap();
        let err = one_line_error(&mjrtool(&[&"convert", &nfo, &out]));
        assert!(err.contains("--allow-nfo-outside"), "{err}");
        assert!(!out.exists());
        mjrtool_ok(&[&"convert", &nfo, &out, &"--allow-nfo-outside", &"-y"]);
        assert!(out.exists());
    }
    // Inside: fine by default.
    std::fs::copy(&a, dir.path("rec/a.mjr")).unwrap();
    let nfo = nfo_in(&dir, "[1]\naudio = a.mjr\n");
    mjrtool_ok(&[&"convert", &nfo, &out, &"-y"]);
}

#[test]
fn errors_never_show_what_a_file_holds() {
    let dir = TempDir::new("term-secret");
    let secret = dir.path("rec/secret");
    std::fs::create_dir_all(dir.path("rec")).unwrap();
    std::fs::write(&secret, "root:SECRET-TOKEN:0:0\n").unwrap();
    let out = dir.path("o.webm");
    // A recording named by a .nfo that is not a recording.
    let nfo = nfo_in(&dir, "[1]\naudio = secret\n");
    let err = one_line_error(&mjrtool(&[&"convert", &nfo, &out]));
    assert!(
        err.contains("not an MJR recording") && !err.contains("SECRET"),
        "{err}"
    );
    // A .nfo that is a link to a file that is not a .nfo.
    let link = dir.path("rec/link.nfo");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let err = one_line_error(&mjrtool(&[&"convert", &link, &out]));
    assert!(!err.contains("SECRET") && !err.contains("root"), "{err}");
    // The same file given directly.
    let err = one_line_error(&mjrtool(&[&"info", &secret]));
    assert!(!err.contains("SECRET") && !err.contains("root:"), "{err}");
}
