//! Test helpers: the committed fixtures, their elementary streams cut into frames as the
//! depacketizers hand them over (docs: notes on the frame-format contract), the codec
//! configuration records built from them, and the independent tools that check the outputs.

#![allow(dead_code)] // each test file uses its own part of the helpers

pub mod av1;
pub mod bits;
pub mod hevc;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The bytes of fixture `name` (read at run time, so that `cargo package` works).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `tool` can be run; when `MJRTOOL_REQUIRE_TOOLS` is set it must be.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-version").output().is_ok()
        || Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("MJRTOOL_REQUIRE_TOOLS").is_none(),
            "{tool} is required (MJRTOOL_REQUIRE_TOOLS is set)"
        );
        eprintln!("skipping: {tool} not installed");
    }
    ok
}

/// A fresh directory for one test's files.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webm-mux-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `tool` with `args`; returns (success, stdout, stderr).
pub fn run(tool: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(tool).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// ffmpeg decodes the whole file with no message at all (`-v error`, empty stderr); `filters`
/// go before the output (`-vf setpts=N` for a stream with B-frames: see the H.265 test).
pub fn assert_decodes_cleanly(path: &Path, filters: &[&str]) {
    let p = path.to_str().unwrap();
    let mut args = vec!["-v", "error", "-i", p];
    args.extend_from_slice(filters);
    args.extend_from_slice(&["-f", "null", "-"]);
    let (ok, _, err) = run("ffmpeg", &args);
    assert!(ok && err.is_empty(), "ffmpeg on {p}: {err}");
}

/// `mkvinfo` reads the file with neither error nor warning; returns what it printed.
pub fn assert_mkvinfo_accepts(path: &Path) -> String {
    let (ok, out, err) = run("mkvinfo", &["-a", path.to_str().unwrap()]);
    let text = (out + &err).to_lowercase();
    assert!(ok, "{text}");
    assert!(
        !text.contains("error") && !text.contains("warning"),
        "{text}"
    );
    text
}

/// ffprobe's `key=value` lines for `entries` of stream `stream` (`v:0`, `a:0`, `s:0`).
pub fn probe(path: &Path, stream: &str, entries: &str) -> String {
    let (ok, out, err) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            stream,
            "-show_entries",
            &format!("stream={entries}"),
            "-of",
            "default=nw=1",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok && err.is_empty(), "{err}");
    out
}

/// The MD5 of every decoded picture of the first video stream, in output order (the hash column
/// of `-f framemd5`, pictures renumbered: the timestamps of a raw elementary stream are ffmpeg's
/// guesses).
pub fn picture_md5s(input: &[&str]) -> Vec<String> {
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
    args.extend_from_slice(&["-f", "framemd5"]);
    args.push("-");
    let (ok, out, err) = run("ffmpeg", &args);
    assert!(ok && err.is_empty(), "{err}");
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect()
}

/// The frames of an IVF file (32-byte file header, then a 12-byte header before each frame:
/// its size and a timestamp, little-endian).
pub fn ivf_frames(ivf: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(&ivf[..4], b"DKIF");
    let header = usize::from(u16::from_le_bytes([ivf[6], ivf[7]]));
    let mut frames = Vec::new();
    let mut pos = header;
    while pos + 12 <= ivf.len() {
        let n = u32::from_le_bytes(ivf[pos..pos + 4].try_into().unwrap()) as usize;
        frames.push(ivf[pos + 12..pos + 12 + n].to_vec());
        pos += 12 + n;
    }
    frames
}

/// Whether a VP9 frame is a key frame (VP9 §6.2 uncompressed header: frame_marker (2),
/// profile (2, or 3 for profile 3), show_existing_frame, frame_type 0 = key).
pub fn vp9_keyframe(frame: &[u8]) -> bool {
    let b = frame[0];
    let profile = ((b >> 5) & 1) | ((b >> 3) & 2);
    let shift = if profile == 3 { 2 } else { 3 };
    (b >> shift) & 1 == 0 && (b >> (shift - 1)) & 1 == 0
}

/// The NAL units of an Annex B byte stream (start codes 00 00 01 or 00 00 00 01 removed;
/// trailing zero bytes of a NAL unit are start-code padding).
pub fn annexb_nals(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(stream.len(), |n| n - 3);
        while end > s && stream[end - 1] == 0 {
            end -= 1;
        }
        nals.push(&stream[s..end]);
    }
    nals
}

/// A codec's rules for cutting NAL units into access units.
pub struct NalRules {
    /// Whether a NAL unit carries a slice (VCL).
    pub vcl: fn(&[u8]) -> bool,
    /// Whether a slice starts a new picture.
    pub first_slice: fn(&[u8]) -> bool,
    /// Whether it is a keyframe's slice (IDR / IRAP).
    pub key: fn(&[u8]) -> bool,
    /// Whether a non-VCL NAL unit goes before the next picture (parameter sets, prefix SEI,
    /// access unit delimiter), so that after a slice it opens a new access unit.
    pub prefix: fn(&[u8]) -> bool,
}

/// H.264 (ISO 14496-10 §7.4.1.2.3): slices are types 1..=5, IDR is 5, first_mb_in_slice = 0
/// (ue(v) '1') opens a picture.
pub const H264: NalRules = NalRules {
    vcl: |n| (1..=5).contains(&(n[0] & 0x1F)),
    first_slice: |n| n[1] & 0x80 != 0,
    key: |n| n[0] & 0x1F == 5,
    prefix: |n| matches!(n[0] & 0x1F, 6..=9 | 14..=18),
};

/// H.265 (ISO 23008-2 §7.4.2.4.4): slices are types 0..=31, IRAP 16..=23,
/// first_slice_segment_in_pic_flag is the first bit after the 2-byte header.
pub const H265: NalRules = NalRules {
    vcl: |n| (n[0] >> 1) & 0x3F < 32,
    first_slice: |n| n[2] & 0x80 != 0,
    key: |n| (16..=23).contains(&((n[0] >> 1) & 0x3F)),
    prefix: |n| matches!((n[0] >> 1) & 0x3F, 32..=35 | 39 | 41..=44 | 48..=55),
};

/// The access units of an Annex B stream, each as (keyframe, NAL units): after a slice, a new
/// unit starts at a prefix NAL unit or a picture's first slice.
pub fn access_units<'a>(stream: &'a [u8], rules: &NalRules) -> Vec<(bool, Vec<&'a [u8]>)> {
    let mut units: Vec<(bool, Vec<&[u8]>)> = Vec::new();
    let mut has_slice = false;
    for nal in annexb_nals(stream) {
        let vcl = (rules.vcl)(nal);
        let opens = if vcl {
            (rules.first_slice)(nal)
        } else {
            (rules.prefix)(nal)
        };
        if units.is_empty() || (has_slice && opens) {
            units.push((false, Vec::new()));
            has_slice = false;
        }
        let unit = units.last_mut().unwrap();
        unit.0 |= vcl && (rules.key)(nal);
        unit.1.push(nal);
        has_slice |= vcl;
    }
    units
}

/// NAL units as ISO 14496-15 "AVCC" samples: each prefixed by its 4-byte big-endian length.
pub fn length_prefixed(nals: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in nals {
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}

/// The first NAL unit of a stream for which `pick` holds.
pub fn find_nal(stream: &[u8], pick: impl Fn(&[u8]) -> bool) -> &[u8] {
    annexb_nals(stream)
        .into_iter()
        .find(|n| pick(n))
        .expect("the stream holds it")
}

/// An AVCDecoderConfigurationRecord (ISO 14496-15 §5.3.3.1) of one SPS and one PPS, 4-byte
/// lengths: version 1, profile, compatibility and level from the SPS, lengthSizeMinusOne 3.
/// (Profiles 100 and above would add chroma and bit-depth fields; the fixture is baseline.)
pub fn avcc(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    assert!(sps[1] < 100, "a baseline/main SPS");
    let mut out = vec![1, sps[1], sps[2], sps[3], 0xFC | 3, 0xE0 | 1];
    out.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    out.extend_from_slice(sps);
    out.push(1);
    out.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    out.extend_from_slice(pps);
    out
}
