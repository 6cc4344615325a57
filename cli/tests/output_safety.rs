//! Output safety, for a tool run as root on folders other users can write: temporary files are
//! created exclusively under unpredictable names, a name taken during the conversion is never
//! replaced without -y, an input is never overwritten, interrupted runs leave no temporary
//! file, and the destination folder's leftovers of killed runs are cleaned without touching
//! anything else.

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mjrtool_convert::output::{temp_name, AtomicOutput};
use mjrtool_test_support::synth::SynthOptions;

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Names in `dir` that look like temporary outputs.
fn temps_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial"))
        .collect()
}

/// Random bits taken from a list, then counting up from 1000.
fn scripted(values: &[u64]) -> impl FnMut() -> u64 + '_ {
    let mut i = 0;
    move || {
        i += 1;
        values.get(i - 1).copied().unwrap_or(1000 + i as u64)
    }
}

#[test]
fn a_planted_symlink_or_file_at_the_temporary_name_is_never_followed_nor_touched() {
    let dir = TempDir::new("safety-plant");
    let dest = dir.path("x.webm");
    let victim = dir.path("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let pid = std::process::id();
    let name = OsStr::new("x.webm");
    std::os::unix::fs::symlink(&victim, dir.0.join(temp_name(name, pid, 1))).unwrap();
    std::fs::write(dir.0.join(temp_name(name, pid, 2)), b"planted").unwrap();

    let (out, mut w) = AtomicOutput::create_with(&dest, false, &mut scripted(&[1, 2, 3])).unwrap();
    assert_eq!(out.temp_path(), dir.0.join(temp_name(name, pid, 3)));
    w.write_all(b"output").unwrap();
    out.commit(w, &[], 0, false).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"output");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let planted = dir.0.join(temp_name(name, pid, 2));
    assert_eq!(std::fs::read(planted).unwrap(), b"planted");

    // Every try collides: an error, and still nothing followed.
    let dest2 = dir.path("y.webm");
    let y = OsStr::new("y.webm");
    std::os::unix::fs::symlink(&victim, dir.0.join(temp_name(y, pid, 7))).unwrap();
    let err = AtomicOutput::create_with(&dest2, false, &mut || 7).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(std::fs::symlink_metadata(&dest2).is_err());
}

#[test]
fn temporary_names_are_unpredictable_and_carry_the_pid() {
    let dir = TempDir::new("safety-names");
    let dest = dir.path("x.webm");
    let (a, _wa) = AtomicOutput::create(&dest, false).unwrap();
    let (b, _wb) = AtomicOutput::create(&dest, false).unwrap();
    let (na, nb) = (a.temp_path().to_owned(), b.temp_path().to_owned());
    assert_ne!(na, nb);
    let prefix = format!(".x.webm.mjrtool-{}-", std::process::id());
    for n in [&na, &nb] {
        let n = n.file_name().unwrap().to_str().unwrap();
        assert!(n.starts_with(&prefix) && n.ends_with(".partial"), "{n}");
    }
}

#[test]
fn a_destination_that_appears_during_the_conversion_is_kept_without_force() {
    let dir = TempDir::new("safety-race");
    for intruder_is_link in [false, true] {
        let dest = dir.path("x.webm");
        let _ = std::fs::remove_file(&dest);
        let (out, mut w) = AtomicOutput::create(&dest, false).unwrap();
        w.write_all(b"output").unwrap();
        if intruder_is_link {
            std::os::unix::fs::symlink(dir.path("nowhere"), &dest).unwrap();
        } else {
            std::fs::write(&dest, b"intruder").unwrap();
        }
        let err = out.commit(w, &[], 0, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "appeared during the conversion; not replaced (use -y to overwrite)"
        );
        if intruder_is_link {
            assert!(std::fs::symlink_metadata(&dest)
                .unwrap()
                .file_type()
                .is_symlink());
        } else {
            assert_eq!(std::fs::read(&dest).unwrap(), b"intruder");
        }
        assert_eq!(temps_in(&dir.0), Vec::<String>::new());
    }
    // With -y the name is replaced (the old file itself is not written to).
    let dest = dir.path("x.webm");
    let (out, mut w) = AtomicOutput::create(&dest, true).unwrap();
    w.write_all(b"output").unwrap();
    out.commit(w, &[], 0, false).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"output");
}

#[test]
fn an_existing_output_is_named_once_in_the_error() {
    let dir = TempDir::new("safety-exists");
    let (_, a, _, _) = synth_pair(&dir, &short());
    let out = dir.path("a.opus");
    std::fs::write(&out, b"precious").unwrap();
    let r = mjrtool(&[&"convert", &a, &out]);
    assert_eq!(r.status.code(), Some(1));
    let err = stderr_of(&r);
    assert_eq!(err.matches("a.opus").count(), 1, "{err}");
    assert!(err.contains("already exists"), "{err}");
}

fn short() -> SynthOptions {
    SynthOptions {
        duration_ms: 2_000,
        ..SynthOptions::default()
    }
}

/// A reaped child's PID: no process has it (until the PID is reused, which takes a while).
fn dead_pid() -> u32 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_killed_runs_temporary_file_is_removed_by_the_next_run_and_nothing_else() {
    let dir = TempDir::new("safety-stale");
    let name = OsStr::new("x.webm");
    let dead = dead_pid();
    let stale = dir.0.join(temp_name(name, dead, 0xabc));
    std::fs::write(&stale, b"left by a killed run").unwrap();
    // PID 1 is always running: its file may still be written.
    let live = dir.0.join(temp_name(name, 1, 0xabc));
    std::fs::write(&live, b"in use").unwrap();
    // Another output's leftovers, a symbolic link, and look-alike names are not ours to remove.
    let other = dir.0.join(temp_name(OsStr::new("y.webm"), dead, 0xabc));
    std::fs::write(&other, b"y").unwrap();
    let victim = dir.path("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let link = dir.0.join(temp_name(name, dead, 0xdef));
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let odd = dir.path(&format!(".x.webm.mjrtool-{dead}-zz.partial"));
    std::fs::write(&odd, b"odd").unwrap();
    // Someone else's file (only root can make one).
    let foreign = dir.0.join(temp_name(name, dead, 0x123));
    std::fs::write(&foreign, b"foreign").unwrap();
    let can_chown = std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).is_ok();

    let (out, _w) = AtomicOutput::create(&dir.path("x.webm"), false).unwrap();
    assert!(!stale.exists(), "stale temporary file kept");
    for kept in [&live, &other, &odd] {
        assert!(kept.exists(), "{} removed", kept.display());
    }
    assert!(std::fs::symlink_metadata(&link).is_ok(), "symlink removed");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(foreign.exists(), can_chown, "another user's file");
    drop(out);
}

/// Makes a named pipe.
fn mkfifo(path: &Path) {
    use rustix::fs::{mknodat, FileType, Mode, CWD};
    mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
}

/// Opens the write end of a named pipe once a reader has it, giving up after 10 s.
fn open_fifo_writer(path: &Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    let start = Instant::now();
    loop {
        let nonblock = rustix::fs::OFlags::NONBLOCK.bits() as i32;
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nonblock)
            .open(path)
        {
            Ok(f) => return f,
            Err(e) => assert!(
                start.elapsed() < Duration::from_secs(10),
                "no reader on the pipe: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Writes all of `data` to a non-blocking pipe.
fn write_nonblocking(mut f: &std::fs::File, mut data: &[u8]) {
    let start = Instant::now();
    while !data.is_empty() {
        match f.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(start.elapsed() < Duration::from_secs(10), "pipe stuck");
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Waits for `child` to end, at most 10 s (then kills it and fails).
fn wait_bounded(child: &mut std::process::Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("mjrtool did not end");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_signal_while_writing_removes_the_temporary_file() {
    let dir = TempDir::new("safety-signal");
    // 10 MB of video (40 s); the timeline reads the first 20 s ahead to anchor the track, so
    // 8 MB gets it writing.
    let (video, _, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 40_000,
            video_bitrate: Some(2_000_000),
            ..SynthOptions::default()
        },
    );
    let bytes = std::fs::read(&video).unwrap();
    use rustix::process::Signal;
    for (n, signal) in [Signal::TERM, Signal::INT, Signal::HUP]
        .into_iter()
        .enumerate()
    {
        // The input is a pipe fed part of a recording: the conversion starts, writes, then
        // waits for more, and is interrupted there.
        let fifo = dir.path(&format!("in{n}.mjr"));
        mkfifo(&fifo);
        let out = dir.path(&format!("out{n}.webm"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_mjrtool"))
            .arg("convert")
            .arg(&fifo)
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let writer = open_fifo_writer(&fifo);
        write_nonblocking(&writer, &bytes[..8_000_000]);
        let start = Instant::now();
        while temps_in(&dir.0).is_empty() {
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("no temporary file appeared");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let status = wait_bounded(&mut child);
        drop(writer);
        assert_eq!(
            status.code(),
            Some(128 + signal.as_raw()),
            "{signal:?}: {status}"
        );
        assert_eq!(temps_in(&dir.0), Vec::<String>::new(), "{signal:?}");
        assert!(!out.exists());
    }
}

#[test]
fn an_input_is_never_overwritten_even_with_force() {
    let dir = TempDir::new("safety-inputs");
    let (video, audio, _, _) = synth_pair(&dir, &short());
    let nfo = dir.path("session.nfo");
    std::fs::write(&nfo, "[1]\naudio = audio.mjr\nvideo = video.mjr\n").unwrap();
    let originals: Vec<(PathBuf, Vec<u8>)> = [&video, &audio, &nfo]
        .iter()
        .map(|p| (p.to_path_buf(), std::fs::read(p).unwrap()))
        .collect();
    let link = dir.path("link.webm");
    std::os::unix::fs::symlink(&video, &link).unwrap();
    let hard = dir.path("hard.webm");
    std::fs::hard_link(&audio, &hard).unwrap();
    let nfo_link = dir.path("nfo.webm");
    std::os::unix::fs::symlink(&nfo, &nfo_link).unwrap();
    let cases: Vec<Vec<&dyn AsRef<OsStr>>> = vec![
        // The same name.
        vec![&"convert", &"-y", &video, &video, &"--format", &"webm"],
        // `mux` with the output forgotten: the last input is taken for the output.
        vec![&"mux", &"-y", &"--format", &"webm", &audio, &video],
        // A symbolic link and a hard link to an input.
        vec![&"convert", &"-y", &video, &link],
        vec![&"mux", &"-y", &video, &audio, &hard],
        // A recording named by a .nfo, and the .nfo itself.
        vec![&"convert", &"-y", &nfo, &hard],
        vec![&"convert", &"-y", &nfo, &nfo_link],
    ];
    for args in cases {
        let r = mjrtool(&args);
        let err = stderr_of(&r);
        assert_eq!(r.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("input") || err.contains(".mjr or .nfo"),
            "{err}"
        );
        for (p, bytes) in &originals {
            assert!(
                std::fs::read(p).unwrap() == *bytes,
                "{} changed",
                p.display()
            );
        }
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(temps_in(&dir.0), Vec::<String>::new());
}

#[test]
fn an_existing_device_or_pipe_is_written_into_never_replaced() {
    // `mux … /dev/null -y` once renamed a finished file over /dev/null, replacing the device
    // with a regular file. A named pipe shows the same mechanism without risking the machine's
    // /dev/null: it must still be a pipe afterwards, and its reader must get the whole stream.
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new("safety-device");
    let (video, audio, _, _) = synth_pair(
        &dir,
        &SynthOptions {
            duration_ms: 2_000,
            ..SynthOptions::default()
        },
    );
    for force in [false, true] {
        let fifo = dir.path(&format!("out{force}.webm"));
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"mux", &audio, &video, &fifo, &"-q"];
        if force {
            args.push(&"-y");
        }
        let r = mjrtool(&args);
        // Checked before waiting for the reader, which would wait forever on a replaced pipe.
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "-y {force}: the pipe was replaced");
        assert!(temps_in(&dir.0).is_empty());
        let got = reader.join().unwrap();
        assert_eq!(&got[..4], &[0x1A, 0x45, 0xDF, 0xA3], "an EBML stream");
        assert!(webm_mux::reader::parse(&got).is_ok());
    }
}
