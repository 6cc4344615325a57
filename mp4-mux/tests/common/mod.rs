//! Shared by the integration tests: tiny readers of the fixtures (Annex B, IVF, Ogg Opus), the
//! configuration records made from them, and runners of ffmpeg/ffprobe.
#![allow(dead_code)] // each test binary uses part of it

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use mjrtool_core::{Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_mp4::Mp4Muxer;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

/// NAL units of an Annex B stream (start codes removed).
pub fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        while end > s && data[end - 1] == 0 {
            end -= 1; // a 4-byte start code's leading zero, or trailing zeros
        }
        out.push(&data[s..end]);
    }
    out
}

/// One access unit: its NAL units, and whether it holds an IDR/IRAP picture.
pub struct AccessUnit<'a> {
    pub nals: Vec<&'a [u8]>,
    pub key: bool,
}

impl AccessUnit<'_> {
    /// The AVCC/HVCC form: each NAL prefixed with its 4-byte length.
    pub fn avcc(&self) -> Bytes {
        let mut v = Vec::new();
        for n in &self.nals {
            v.extend_from_slice(&(n.len() as u32).to_be_bytes());
            v.extend_from_slice(n);
        }
        v.into()
    }
}

/// Splits NAL units into access units: a new one starts at a parameter set, SEI or AUD after a
/// picture's slice, or at a slice that starts a picture (first_mb_in_slice = 0 /
/// first_slice_segment_in_pic_flag = 1, the first bit after the NAL header).
pub fn access_units(nals: Vec<&[u8]>, hevc: bool) -> Vec<AccessUnit<'_>> {
    let mut aus: Vec<AccessUnit> = Vec::new();
    let mut has_vcl = false;
    for n in nals {
        let (vcl, key, first) = if hevc {
            let t = (n[0] >> 1) & 0x3F;
            (
                t < 32,
                (16..=23).contains(&t),
                n.get(2).is_some_and(|b| b & 0x80 != 0),
            )
        } else {
            let t = n[0] & 0x1F;
            (
                t == 1 || t == 5,
                t == 5,
                n.get(1).is_some_and(|b| b & 0x80 != 0),
            )
        };
        let starts = aus.is_empty() || (has_vcl && (!vcl || first));
        if starts {
            aus.push(AccessUnit {
                nals: Vec::new(),
                key: false,
            });
            has_vcl = false;
        }
        let au = aus.last_mut().unwrap();
        au.nals.push(n);
        au.key |= key;
        has_vcl |= vcl;
    }
    aus
}

/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) from one SPS and one PPS.
pub fn avcc_record(sps: &[u8], pps: &[u8]) -> Bytes {
    let mut v = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
    v.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    v.extend_from_slice(sps);
    v.push(1);
    v.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    v.extend_from_slice(pps);
    v.into()
}

/// Removes emulation prevention bytes (00 00 03).
fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) from VPS, SPS and PPS: profile,
/// tier and level from the SPS's profile_tier_level; 4:2:0 8-bit (what the fixture is).
pub fn hvcc_record(vps: &[u8], sps: &[u8], pps: &[u8]) -> Bytes {
    let rbsp = unescape(sps);
    // rbsp[0..2] NAL header, [2] vps id / max sub layers / nesting, [3..15] general PTL.
    let ptl = &rbsp[3..15];
    let mut v = vec![1];
    v.extend_from_slice(ptl);
    v.extend_from_slice(&[0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F, 3]);
    for (t, n) in [(32u8, vps), (33, sps), (34, pps)] {
        v.push(0x80 | t);
        v.extend_from_slice(&1u16.to_be_bytes());
        v.extend_from_slice(&(n.len() as u16).to_be_bytes());
        v.extend_from_slice(n);
    }
    v.into()
}

/// The frames of an IVF file (32-byte header, then 12-byte frame headers).
pub fn ivf_frames(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = u16::from_le_bytes([data[6], data[7]]) as usize;
    while pos + 12 <= data.len() {
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        out.push(&data[pos + 12..pos + 12 + len]);
        pos += 12 + len;
    }
    out
}

/// The OBUs of a temporal unit: (type, whole OBU bytes). All must carry obu_size (AV1 §5.3).
pub fn obus(tu: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < tu.len() {
        let h = tu[pos];
        assert!(h & 0x02 != 0, "OBU without a size field");
        let mut p = pos + 1 + usize::from(h >> 2 & 1);
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let b = tu[p];
            p += 1;
            size |= usize::from(b & 0x7F) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        out.push((h >> 3 & 0x0F, &tu[pos..p + size]));
        pos = p + size;
    }
    out
}

/// The AV1 temporal unit as ISO BMFF stores it (temporal delimiters removed), and whether it
/// holds a sequence header (the fixture's keyframes do).
pub fn av1_sample(tu: &[u8]) -> (Bytes, bool) {
    let mut v = Vec::new();
    let mut key = false;
    for (t, obu) in obus(tu) {
        key |= t == 1;
        if t != 2 {
            v.extend_from_slice(obu);
        }
    }
    (v.into(), key)
}

/// AV1CodecConfigurationRecord (AV1-ISOBMFF §2.3.3) with the sequence header OBU: profile and
/// level from its first bits (reduced_still_picture_header = 0, no timing info, as libaom's
/// real-time output), 8-bit 4:2:0.
pub fn av1c_record(tu: &[u8]) -> Bytes {
    let (_, seq) = obus(tu)
        .into_iter()
        .find(|(t, _)| *t == 1)
        .expect("sequence header");
    let payload = &seq[2..]; // 1-byte header, 1-byte size (it is short)
    let profile = payload[0] >> 5;
    // seq_profile(3) still(1) reduced(1) timing_info_present(1) initial_display_delay(1)
    // operating_points_cnt_minus_1(5) operating_point_idc[0](12) seq_level_idx[0](5)
    let bits = u32::from_be_bytes(payload[0..4].try_into().unwrap());
    let level = ((bits >> 7) & 0x1F) as u8;
    let mut v = vec![0x81, profile << 5 | level, 0x0C, 0];
    v.extend_from_slice(seq);
    v.into()
}

/// The audio packets of an Ogg Opus fixture.
pub fn opus_packets(name: &str) -> (ogg_opus::OpusHead, Vec<Vec<u8>>) {
    let file = ogg_opus::reader::read_opus_file(&fixture(name)).expect("fixture reads");
    (file.head, file.packets)
}

/// The H.264 fixture: its avcC and access units (AVCC form, keyframe flag).
pub fn h264_fixture() -> (Bytes, Vec<(Bytes, bool)>) {
    let data = fixture("h264-160x120.h264");
    let nals = nal_units(&data);
    let sps = nals.iter().find(|n| n[0] & 0x1F == 7).unwrap();
    let pps = nals.iter().find(|n| n[0] & 0x1F == 8).unwrap();
    let config = avcc_record(sps, pps);
    let aus = access_units(nals.clone(), false);
    (config, aus.iter().map(|a| (a.avcc(), a.key)).collect())
}

/// The H.265 fixture: its hvcC and access units.
pub fn h265_fixture() -> (Bytes, Vec<(Bytes, bool)>) {
    let data = fixture("h265-160x120.h265");
    let nals = nal_units(&data);
    let find = |t: u8| *nals.iter().find(|n| (n[0] >> 1) & 0x3F == t).unwrap();
    let config = hvcc_record(find(32), find(33), find(34));
    let aus = access_units(nals.clone(), true);
    (config, aus.iter().map(|a| (a.avcc(), a.key)).collect())
}

/// The AV1 fixture: its av1C and temporal units.
pub fn av1_fixture() -> (Bytes, Vec<(Bytes, bool)>) {
    let data = fixture("av1-160x120.ivf");
    let frames = ivf_frames(&data);
    let config = av1c_record(frames[0]);
    (config, frames.iter().map(|f| av1_sample(f)).collect())
}

/// Which layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Faststart,
    /// Faststart written samples first, behind 16 KiB left for the head.
    SamplesFirst,
    Fragmented,
}

impl Layout {
    /// Every layout.
    pub const ALL: [Layout; 3] = [Layout::Faststart, Layout::SamplesFirst, Layout::Fragmented];
}

/// A track's frames with their times, for [`mux`].
pub struct Input {
    pub spec: TrackSpec,
    /// (time, bytes, keyframe)
    pub frames: Vec<(Nanos, Bytes, bool)>,
}

/// Muxes the inputs, frames interleaved by time, into a file.
pub fn mux(layout: Layout, inputs: &[Input], duration: Nanos) -> Vec<u8> {
    let specs: Vec<TrackSpec> = inputs.iter().map(|i| i.spec.clone()).collect();
    let mut all: Vec<(Nanos, usize, usize)> = Vec::new();
    for (t, input) in inputs.iter().enumerate() {
        all.extend(input.frames.iter().enumerate().map(|(k, f)| (f.0, t, k)));
    }
    all.sort();
    let feed = |sink: &mut dyn FrameSink<Error = mjrtool_mp4::Mp4Error>| {
        sink.open(&specs).unwrap();
        for &(at, t, k) in &all {
            let (_, data, key) = &inputs[t].frames[k];
            let frame = Frame::new(data.clone(), 0, *key);
            sink.write(t, Placement::at(at), &frame).unwrap();
        }
        sink.finish(duration).unwrap();
    };
    match layout {
        Layout::Faststart => {
            let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
            feed(&mut m);
            m.into_inner()
        }
        Layout::SamplesFirst => {
            // 16 KiB left for the head, more than these files need.
            let mut file = Cursor::new(vec![0; 16384]);
            file.set_position(16384);
            let mut m = Mp4Muxer::samples_first(file, 16384, 4096);
            feed(&mut m);
            let (mut file, head) = m.into_samples_and_head().unwrap();
            assert_eq!(head.len(), 16384);
            mjrtool_mp4::insert_head(&mut file, &head, 16384).unwrap();
            file.into_inner()
        }
        Layout::Fragmented => {
            let mut m = Mp4Muxer::fragmented(Vec::new());
            feed(&mut m);
            m.into_inner()
        }
    }
}

/// Whether ffmpeg and ffprobe are installed (tests that need them are skipped without, and
/// required when `CI` is set).
pub fn have_ffmpeg() -> bool {
    let ok = Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok || std::env::var_os("CI").is_none(), "CI needs ffmpeg");
    ok
}

/// Writes `data` to a temporary file named after the test.
pub fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-mp4-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// Runs a command, returning (stdout, stderr).
pub fn run(cmd: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(cmd).args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `ffprobe -v error` of a file's streams and format, as `key=value` lines (stream sections
/// prefixed `streamN.`); stderr must be empty.
pub fn ffprobe(path: &Path) -> Vec<String> {
    let (out, err) = run(
        "ffprobe",
        &[
            "-v", "error", "-show_entries",
            "stream=codec_name,width,height,channels,sample_rate,start_time,duration:format=duration,start_time",
            "-of", "flat", path.to_str().unwrap(),
        ],
    );
    assert_eq!(err, "", "ffprobe complains about {}", path.display());
    out.lines().map(str::to_string).collect()
}

/// The value of `key` in ffprobe's flat output (quotes removed).
pub fn probe_value(lines: &[String], key: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} not in {lines:?}"))
        .trim_matches('"')
        .to_string()
}

/// The md5 of every decoded frame of the first video stream, in output order (renumbered, so
/// that a stream stored without composition offsets loses no picture to ffmpeg's timestamp
/// checks).
pub fn video_md5s(path: &Path) -> Vec<String> {
    let (out, _) = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            path.to_str().unwrap(),
            "-map",
            "0:v:0",
            "-vf",
            "setpts=N",
            "-fps_mode",
            "passthrough",
            "-f",
            "framemd5",
            "-",
        ],
    );
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|s| s.trim().to_string()))
        .collect()
}

/// `ffmpeg -v error -i file -f null -`: what it prints (nothing when the file decodes cleanly).
pub fn decode_errors(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-i",
            path.to_str().unwrap(),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("runs");
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}
