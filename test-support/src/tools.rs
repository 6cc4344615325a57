//! The independent tools the integration tests check outputs with (ffmpeg, ffprobe, mkvinfo):
//! whether they are installed, running them, and what they say of a file.
//!
//! A test that needs a tool asks [`have`] first and skips without it, unless
//! `MJRTOOL_REQUIRE_TOOLS` or `CI` is set: then a missing tool fails the test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether `tool` runs (`-version` or `--version` succeeds). When `MJRTOOL_REQUIRE_TOOLS` or
/// `CI` is set it must; otherwise a missing tool is reported on stderr and the caller skips.
///
/// # Panics
///
/// If the tool is missing and required.
pub fn have(tool: &str) -> bool {
    let runs = |flag: &str| {
        Command::new(tool)
            .arg(flag)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let ok = runs("-version") || runs("--version");
    if !ok {
        for var in ["MJRTOOL_REQUIRE_TOOLS", "CI"] {
            assert!(
                std::env::var_os(var).is_none(),
                "{tool} is required ({var} is set)"
            );
        }
        eprintln!("skipping: {tool} not installed");
    }
    ok
}

/// Runs `tool` with `args`: whether it succeeded, its stdout and its stderr.
///
/// # Panics
///
/// If the tool cannot be started.
pub fn run(tool: &str, args: &[&str]) -> (bool, String, String) {
    run_with_input(tool, args, None)
}

/// Runs `tool` with `args`, asserting that it succeeds: its stdout and its stderr.
///
/// # Panics
///
/// If the tool cannot be started or fails.
pub fn run_ok(tool: &str, args: &[&str]) -> (String, String) {
    let (ok, out, err) = run(tool, args);
    assert!(ok, "{tool} {args:?}: {err}");
    (out, err)
}

/// [`run`], with `input` written to the tool's stdin (from another thread, so that a tool
/// writing much before it reads all of its input does not block).
///
/// # Panics
///
/// If the tool cannot be started.
pub fn run_with_input(tool: &str, args: &[&str], input: Option<&[u8]>) -> (bool, String, String) {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let writer = input.map(|data| {
        let mut stdin = child.stdin.take().expect("piped");
        let data = data.to_vec();
        std::thread::spawn(move || stdin.write_all(&data))
    });
    let out = child.wait_with_output().expect("the tool ends");
    if let Some(writer) = writer {
        // A tool that stops reading early closes the pipe: its exit status says the rest.
        let _ = writer.join().expect("the writer thread ends");
    }
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, empty directory for one test's files (`<temp>/mjrtool-<test>-<pid>`).
///
/// # Panics
///
/// If it cannot be made.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Writes `data` to file `name` in this process's temporary directory
/// (`<temp>/mjrtool-files-<pid>`), and returns its path.
///
/// # Panics
///
/// If it cannot be written.
pub fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// What `ffmpeg -v error` prints while decoding the whole of `path` (nothing when it decodes
/// cleanly), with `filters` before the null output.
///
/// # Panics
///
/// If ffmpeg cannot be started.
pub fn decode_errors(path: &Path, filters: &[&str]) -> String {
    let mut args = vec!["-v", "error", "-i", arg(path)];
    args.extend_from_slice(filters);
    args.extend_from_slice(&["-f", "null", "-"]);
    let (ok, out, err) = run("ffmpeg", &args);
    let text = err + &out;
    if ok || !text.is_empty() {
        text
    } else {
        "ffmpeg failed without a message".to_string()
    }
}

/// ffmpeg decodes the whole of `path` without a word (`-v error`, nothing printed); `filters`
/// go before the output (`-vf setpts=N` for a stream with B-frames).
///
/// # Panics
///
/// If ffmpeg fails or prints anything.
pub fn assert_decodes_cleanly(path: &Path, filters: &[&str]) {
    let errors = decode_errors(path, filters);
    assert!(errors.is_empty(), "ffmpeg on {}: {errors}", path.display());
}

/// `mkvinfo` reads the file with neither error nor warning; returns what it printed, in lower
/// case.
///
/// # Panics
///
/// If mkvinfo fails or prints "error" or "warning".
pub fn assert_mkvinfo_accepts(path: &Path) -> String {
    let (ok, out, err) = run("mkvinfo", &["-a", arg(path)]);
    let text = (out + &err).to_lowercase();
    assert!(ok, "{text}");
    assert!(
        !text.contains("error") && !text.contains("warning"),
        "{text}"
    );
    text
}

/// ffprobe's `key=value` lines for `entries` of stream `stream` (`v:0`, `a:0`, `s:0`).
///
/// # Panics
///
/// If ffprobe fails or prints anything on stderr.
pub fn probe(path: &Path, stream: &str, entries: &str) -> String {
    let entries = format!("stream={entries}");
    let args = [
        "-v",
        "error",
        "-select_streams",
        stream,
        "-show_entries",
        &entries,
        "-of",
        "default=nw=1",
        arg(path),
    ];
    let (ok, out, err) = run("ffprobe", &args);
    assert!(ok && err.is_empty(), "ffprobe on {}: {err}", path.display());
    out
}

/// ffprobe's view of every stream and of the format (codec, size, rate, channels, start and
/// duration), as the `key=value` lines of its flat output (`streams.stream.0.codec_name=...`).
///
/// # Panics
///
/// If ffprobe fails or prints anything on stderr.
pub fn probe_flat(path: &Path) -> Vec<String> {
    let entries = "stream=codec_name,width,height,channels,sample_rate,start_time,duration\
                   :format=duration,start_time";
    let args = [
        "-v",
        "error",
        "-show_entries",
        entries,
        "-of",
        "flat",
        arg(path),
    ];
    let (out, err) = run_ok("ffprobe", &args);
    assert_eq!(err, "", "ffprobe complains about {}", path.display());
    out.lines().map(str::to_string).collect()
}

/// The value of `key` in [`probe_flat`]'s lines, without its quotes.
///
/// # Panics
///
/// If the key is not there.
pub fn probe_value(lines: &[String], key: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} not in {lines:?}"))
        .trim_matches('"')
        .to_string()
}

/// What ffmpeg decodes from the first video stream of `input` (ffmpeg's input options and
/// `-i`, e.g. `["-f", "h264", "-i", "-"]`), with `stdin` fed to it: whether it succeeded, the
/// MD5 of every picture in output order, and what it printed at `-v error`.
///
/// The pictures are renumbered (`setpts=N`, `-fps_mode passthrough`) so that none is dropped
/// or repeated for its timestamp: a raw elementary stream has guessed ones, and a stream with
/// B-frames stored without composition offsets has them out of order.
///
/// # Panics
///
/// If ffmpeg cannot be started.
pub fn decode_pictures(input: &[&str], stdin: Option<&[u8]>) -> (bool, Vec<String>, String) {
    let mut args = vec!["-v", "error"];
    args.extend_from_slice(input);
    args.extend_from_slice(&[
        "-map",
        "0:v:0",
        "-vf",
        "setpts=N",
        "-fps_mode",
        "passthrough",
    ]);
    args.extend_from_slice(&["-f", "framemd5", "-"]);
    let (ok, out, err) = run_with_input("ffmpeg", &args, stdin);
    let md5s = out
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .collect();
    (ok, md5s, err)
}

/// The MD5 of every picture ffmpeg decodes from the first video stream of `input` (see
/// [`decode_pictures`]), which must decode without a word.
///
/// # Panics
///
/// If ffmpeg fails or prints anything.
pub fn picture_md5s(input: &[&str]) -> Vec<String> {
    let (ok, md5s, err) = decode_pictures(input, None);
    assert!(ok && err.is_empty(), "ffmpeg {input:?}: {err}");
    md5s
}

/// The MD5 of every picture of the first video stream of `path` (see [`picture_md5s`]).
///
/// # Panics
///
/// If ffmpeg fails or prints anything.
pub fn file_md5s(path: &Path) -> Vec<String> {
    picture_md5s(&["-i", arg(path)])
}

/// The MD5 of every picture of an elementary stream held in memory, in ffmpeg's `format`
/// (`h264`, `hevc`, `ivf`), which must decode without a word.
///
/// # Panics
///
/// If ffmpeg fails or prints anything.
pub fn stream_md5s(format: &str, stream: &[u8]) -> Vec<String> {
    let (ok, md5s, err) = decode_pictures(&["-f", format, "-i", "-"], Some(stream));
    assert!(ok && err.is_empty(), "ffmpeg -f {format}: {err}");
    md5s
}
