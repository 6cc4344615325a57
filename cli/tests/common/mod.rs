//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mjrtool_test_support::synth::{self, SynthOptions, TrackTruth};

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("mjrtool-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes video.mjr and audio.mjr for `o` into `dir`.
pub fn synth_pair(dir: &TempDir, o: &SynthOptions) -> (PathBuf, PathBuf, TrackTruth, TrackTruth) {
    let v = dir.path("video.mjr");
    let a = dir.path("audio.mjr");
    let vt = synth::write_video(std::fs::File::create(&v).unwrap(), o).unwrap();
    let at = synth::write_audio(std::fs::File::create(&a).unwrap(), o).unwrap();
    (v, a, vt, at)
}

/// Runs the mjrtool binary.
pub fn mjrtool(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mjrtool"));
    for a in args {
        c.arg(a);
    }
    c.output().expect("mjrtool runs")
}

/// Runs mjrtool and asserts success.
pub fn mjrtool_ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let out = mjrtool(args);
    assert!(
        out.status.success(),
        "mjrtool failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// True if an external tool is installed. When it is not: fails if MJRTOOL_REQUIRE_TOOLS is set
/// (CI installs them), otherwise says the check is skipped.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("MJRTOOL_REQUIRE_TOOLS").is_none(),
            "{tool} is required (MJRTOOL_REQUIRE_TOOLS is set) but not installed"
        );
        eprintln!("note: {tool} not installed; independent check skipped");
    }
    found
}

/// Runs an external tool, returning (success, stdout, stderr).
pub fn run_tool(tool: &str, args: &[&str], file: &Path) -> (bool, String, String) {
    let out = Command::new(tool).args(args).arg(file).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Decodes every frame of `file` with ffmpeg; returns the number of decoded frames per stream
/// type ("video", "audio") and asserts that ffmpeg reported no error at all.
pub fn ffmpeg_decode_clean(file: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(file)
        .args([
            "-map",
            "0",
            "-fps_mode",
            "passthrough",
            "-f",
            "framemd5",
            "-",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "ffmpeg decoding {}: {err}",
        file.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines of a framemd5 listing for stream `index`.
pub fn framemd5_count(listing: &str, index: usize) -> usize {
    let prefix = format!("{index},");
    listing.lines().filter(|l| l.starts_with(&prefix)).count()
}

/// ffprobe's duration of each stream (by codec name) and of the format.
pub fn ffprobe_streams(file: &Path) -> Vec<(String, String)> {
    let (ok, out, err) = run_tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width,height:format=duration",
            "-of",
            "compact",
        ],
        file,
    );
    assert!(ok && err.trim().is_empty(), "ffprobe: {err}");
    out.lines()
        .map(|l| {
            let kind = l.split('|').next().unwrap_or("").to_string();
            (kind, l.to_string())
        })
        .collect()
}
