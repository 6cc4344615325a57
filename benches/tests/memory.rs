//! Every command runs in bounded memory: the peak heap of `convert`/`mux` (to a file and to
//! standard output), `info` and `synth` stays under a stated bound, and does not grow with the
//! length of the input, for long sessions and for inputs built to make state pile up (a
//! keyframe every millisecond, a two-hour hole in the audio). README.md, "Memory", states the
//! bounds these tests check.
//!
//! The peak is what a counting global allocator (`heap/mod.rs`) saw in use at once, threads
//! included, above what was in use before. Each check compares a short input with one several
//! times longer: the longer one may not need more than [`SLACK`] more.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mjr::{Codec, Header, MediaKind, MjrWriter};
use mjrtool_convert::convert::{convert, info, ConvertOptions, OutputFormat};
use mjrtool_test_support::synth::{self, SynthOptions};
use rtp_depack::{OpusPacketizer, RtpBuilder, Vp8Packetizer};

mod heap;

/// Peak heap of `convert`/`mux` on any of these inputs.
const CONVERT_BOUND: usize = 32 << 20;
/// Peak heap of `info`.
const INFO_BOUND: usize = 32 << 20;
/// Peak heap of `synth`.
const SYNTH_BOUND: usize = 8 << 20;
/// Length of the short session, minutes: long enough for every buffer to reach its working size
/// (the output writer's chunks fill only after a few MiB).
const SHORT_MIN: u64 = 5;
/// Length of the long session, minutes.
const LONG_MIN: u64 = 45;
/// How much more a longer input may need: what differs between two runs, not anything per
/// frame: buffer growth that lands on a different power of two (1 MiB), and what the threads'
/// timing decides: the frames each recording's reading thread holds ahead of the timeline (up
/// to 3 batches of 1 MiB a recording, two here) and the writer's batches in flight (4 of 1 MiB)
/// with the reads their frames keep alive (5 MiB). A leak of 70 bytes a frame still shows: the
/// long session has some 190,000 frames more.
const SLACK: usize = (1 << 20) + 2 * (3 << 20) + (5 << 20);

/// A fresh temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("mjr-memory-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn session_options(minutes: u64) -> SynthOptions {
    SynthOptions {
        duration_ms: minutes * 60_000,
        reorder: 0.01,
        loss: 0.001,
        ..SynthOptions::default()
    }
}

/// A synthetic audio + video session of `minutes`, as `mjr-synth` writes it.
fn session(dir: &TempDir, minutes: u64) -> Vec<PathBuf> {
    let o = session_options(minutes);
    let a = dir.path(&format!("audio-{minutes}.mjr"));
    let v = dir.path(&format!("video-{minutes}.mjr"));
    synth::write_audio(std::fs::File::create(&a).unwrap(), &o).unwrap();
    synth::write_video(std::fs::File::create(&v).unwrap(), &o).unwrap();
    vec![a, v]
}

/// The audio recording of a synthetic session of `minutes`.
fn audio_session(dir: &TempDir, minutes: u64) -> Vec<PathBuf> {
    let a = dir.path(&format!("audio-only-{minutes}.mjr"));
    synth::write_audio(
        std::fs::File::create(&a).unwrap(),
        &session_options(minutes),
    )
    .unwrap();
    vec![a]
}

/// Converts `inputs` into `output` (its extension says the format); returns the output's
/// duration in ms and the heap used.
fn convert_peak(alone: &heap::Alone, inputs: &[PathBuf], output: &Path) -> (f64, heap::Usage) {
    let options = ConvertOptions {
        force: true,
        ..ConvertOptions::default()
    };
    let (report, usage) = alone.measure(|| convert(inputs, output, &options, &mut |_, _| {}));
    (report.unwrap().duration_ms, usage)
}

/// Checks that `long` stays under `bound` and does not need more than `short` (plus [`SLACK`]).
fn check(what: &str, bound: usize, short: heap::Usage, long: heap::Usage) {
    eprintln!(
        "{what}: peak {:.2} MiB short, {:.2} MiB long",
        short.peak_mib(),
        long.peak_mib()
    );
    assert!(
        short.peak_bytes < bound && long.peak_bytes < bound,
        "{what}: {:.2} / {:.2} MiB, over {} MiB",
        short.peak_mib(),
        long.peak_mib(),
        bound >> 20
    );
    assert!(
        long.peak_bytes <= short.peak_bytes + SLACK,
        "{what}: the peak grew with the input, {:.2} -> {:.2} MiB",
        short.peak_mib(),
        long.peak_mib()
    );
}

#[test]
fn converting_a_session_to_a_file_peaks_under_32_mib_whatever_its_length() {
    let alone = heap::alone();
    let dir = TempDir::new("convert");
    let short = session(&dir, SHORT_MIN);
    let long = session(&dir, LONG_MIN);
    let webm = dir.path("out.webm");
    let (_, s) = convert_peak(&alone, &short, &webm);
    let (ms, l) = convert_peak(&alone, &long, &webm);
    assert!(ms >= (LONG_MIN * 60_000) as f64 - 1000.0, "{ms} ms");
    check("mux to .webm", CONVERT_BOUND, s, l);
    // Audio alone makes a small output: longer runs, so that the writer's chunks all fill.
    let short = audio_session(&dir, 4 * SHORT_MIN);
    let long = audio_session(&dir, 4 * LONG_MIN);
    let ogg = dir.path("out.opus");
    let (_, s) = convert_peak(&alone, &short, &ogg);
    let (_, l) = convert_peak(&alone, &long, &ogg);
    check("convert to .opus", CONVERT_BOUND, s, l);
}

/// Set in a child process of this test binary: the inputs, one per line, to convert to
/// standard output.
const CHILD_INPUTS: &str = "MJR_MEMORY_CHILD_INPUTS";

/// Not a check by itself: the body of the child process that
/// [`muxing_to_standard_output_peaks_under_32_mib_whatever_the_length`] starts with its standard
/// output thrown away (a test cannot redirect its own). Does nothing otherwise.
#[test]
fn child_process_muxes_to_standard_output() {
    let Some(inputs) = std::env::var_os(CHILD_INPUTS) else {
        return;
    };
    let inputs: Vec<PathBuf> = inputs
        .to_str()
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect();
    let alone = heap::alone();
    let options = ConvertOptions {
        format: Some(OutputFormat::Webm),
        ..ConvertOptions::default()
    };
    let (report, usage) =
        alone.measure(|| convert(&inputs, Path::new("-"), &options, &mut |_, _| {}));
    report.unwrap();
    eprintln!("peak_bytes={}", usage.peak_bytes);
}

/// The peak heap of muxing `inputs` to standard output, in a child process.
fn stdout_peak(inputs: &[PathBuf]) -> heap::Usage {
    let list: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_muxes_to_standard_output",
            "--nocapture",
        ])
        .env(CHILD_INPUTS, list.join("\n"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let peak = err
        .lines()
        .find_map(|l| l.strip_prefix("peak_bytes="))
        .unwrap_or_else(|| panic!("no peak reported: {err}"));
    heap::Usage {
        allocations: 0,
        peak_bytes: peak.trim().parse().unwrap(),
    }
}

#[test]
fn muxing_to_standard_output_peaks_under_32_mib_whatever_the_length() {
    let alone = heap::alone();
    let dir = TempDir::new("stdout");
    let short = session(&dir, SHORT_MIN);
    let long = session(&dir, LONG_MIN);
    let s = stdout_peak(&short);
    let l = stdout_peak(&long);
    drop(alone);
    check("mux to standard output", CONVERT_BOUND, s, l);
}

#[test]
fn info_peaks_under_32_mib_whatever_the_length() {
    let alone = heap::alone();
    let dir = TempDir::new("info");
    let short = session(&dir, SHORT_MIN);
    let long = session(&dir, LONG_MIN);
    let options = ConvertOptions::default();
    let (s, s_usage) = alone.measure(|| info(&short, &options));
    let (l, l_usage) = alone.measure(|| info(&long, &options));
    assert!(s.unwrap().tracks.is_some() && l.unwrap().tracks.is_some());
    check("info", INFO_BOUND, s_usage, l_usage);
}

/// Writes a pair as `mjr-synth` does: each file through an atomic output.
fn synth_pair(dir: &TempDir, minutes: u64) {
    let o = session_options(minutes);
    for (name, video) in [("audio.mjr", false), ("video.mjr", true)] {
        let (guard, mut w) =
            mjrtool_convert::output::AtomicOutput::create(&dir.path(name), true).unwrap();
        if video {
            synth::write_video(&mut w, &o).unwrap();
        } else {
            synth::write_audio(&mut w, &o).unwrap();
        }
        guard.commit(w, &[], 0, false).unwrap();
    }
}

#[test]
fn synth_peaks_under_8_mib_whatever_the_length() {
    let alone = heap::alone();
    let dir = TempDir::new("synth");
    let ((), s) = alone.measure(|| synth_pair(&dir, SHORT_MIN));
    let ((), l) = alone.measure(|| synth_pair(&dir, LONG_MIN));
    check("synth", SYNTH_BOUND, s, l);
}

/// Wall-clock time of the first packet of the recordings built here, µs since the epoch.
const START_US: i64 = 1_700_000_000_000_000;

/// Writes a one-track MJR00002 recording frame by frame, through our packetizers.
struct TrackWriter {
    writer: MjrWriter<std::io::BufWriter<std::fs::File>>,
    rtp: RtpBuilder,
    vp8: Option<Vp8Packetizer>,
    packets: Vec<(Vec<u8>, bool)>,
    packet: Vec<u8>,
}

impl TrackWriter {
    fn create(path: &Path, kind: MediaKind) -> TrackWriter {
        let video = kind == MediaKind::Video;
        let mut header = Header::new(kind, if video { Codec::Vp8 } else { Codec::Opus });
        header.created_us = Some(START_US - 1_000_000);
        header.first_written_us = Some(START_US);
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        TrackWriter {
            writer: MjrWriter::new(file, &header).unwrap(),
            rtp: RtpBuilder::new(if video { 0x1111 } else { 0x2222 }, 96),
            vp8: video.then(|| Vp8Packetizer::new(1100, Some(0))),
            packets: Vec::new(),
            packet: Vec::new(),
        }
    }

    /// Records `frame` with RTP timestamp `ts`, arrived `arrival_ms` after the first packet.
    fn frame(&mut self, ts: u32, arrival_ms: u32, frame: &[u8]) {
        self.packets.clear();
        let packets = &mut self.packets;
        let mut emit = |p: &[u8], m: bool| packets.push((p.to_vec(), m));
        match &mut self.vp8 {
            Some(vp8) => vp8.packetize(frame, &mut emit),
            None => OpusPacketizer.packetize(frame, &mut emit),
        }
        for (payload, marker) in &self.packets {
            self.rtp.build(ts, *marker, payload, &[], &mut self.packet);
            self.writer.write_rtp(arrival_ms, &self.packet).unwrap();
        }
    }

    fn finish(self) {
        self.writer.finish().unwrap().flush().unwrap();
    }
}

/// The smallest VP8 keyframe the depacketizer accepts (RFC 6386 section 9.1): a 16x16 frame
/// tag, a 16-byte first partition of zeros (header fields all zero: one DCT partition, section
/// 9.5) and a 1-byte DCT partition.
fn tiny_keyframe() -> Vec<u8> {
    let first_part_size: u32 = 16;
    let tag = (first_part_size << 5) | 0x10; // keyframe (P = 0), version 0, shown
    let mut f = tag.to_le_bytes()[..3].to_vec();
    f.extend_from_slice(&[0x9d, 0x01, 0x2a, 16, 0, 16, 0]);
    f.resize(f.len() + first_part_size as usize + 1, 0);
    f
}

/// A video recording of `seconds` with a keyframe every millisecond.
fn millisecond_keyframes(dir: &TempDir, seconds: u32) -> PathBuf {
    let path = dir.path(&format!("keys-{seconds}.mjr"));
    let mut w = TrackWriter::create(&path, MediaKind::Video);
    let key = tiny_keyframe();
    for ms in 0..seconds * 1000 {
        w.frame(ms * 90, ms, &key);
    }
    w.finish();
    path
}

#[test]
fn a_keyframe_every_millisecond_does_not_grow_the_peak() {
    let alone = heap::alone();
    let dir = TempDir::new("keys");
    let short = millisecond_keyframes(&dir, 100);
    let long = millisecond_keyframes(&dir, 400);
    let out = dir.path("keys.webm");
    let (_, s) = convert_peak(&alone, &[short], &out);
    let (_, l) = convert_peak(&alone, &[long], &out);
    check("mux of millisecond keyframes", CONVERT_BOUND, s, l);
    let parsed = webm_mux::reader::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(parsed.blocks.len(), 400_000);
    assert_eq!(parsed.clusters.len(), 400_000);
    assert!(parsed.cues.len() <= 401, "{} cue points", parsed.cues.len());
}

/// An audio recording: 5 minutes of the Opus fixture, a hole of `gap_s` in both RTP time and
/// arrival time (the publisher muted, or the network went away), then 5 more minutes.
fn audio_with_gap(dir: &TempDir, gap_s: u32) -> PathBuf {
    let path = dir.path(&format!("gap-{gap_s}.mjr"));
    let mut w = TrackWriter::create(&path, MediaKind::Audio);
    let packets = synth::fixture_audio_packets();
    let per_part = 5 * 60 * 50;
    for i in 0..2 * per_part {
        let gap_ms = if i >= per_part { gap_s * 1000 } else { 0 };
        let ms = i * 20 + gap_ms;
        w.frame(ms * 48, ms, &packets[i as usize % packets.len()]);
    }
    w.finish();
    path
}

#[test]
fn filling_a_long_hole_in_the_audio_with_silence_does_not_grow_the_peak() {
    let alone = heap::alone();
    let dir = TempDir::new("gap");
    let short = audio_with_gap(&dir, 60);
    // 75 minutes: under the gap filler's cap (an hour plus four times the real audio before).
    let long = audio_with_gap(&dir, 75 * 60);
    let out = dir.path("gap.webm");
    let (_, s) = convert_peak(&alone, &[short], &out);
    let (ms, l) = convert_peak(&alone, &[long], &out);
    assert_eq!(ms, 85.0 * 60_000.0);
    let parsed = webm_mux::reader::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        parsed.blocks.len(),
        85 * 60 * 50,
        "the hole is filled, 20 ms a packet"
    );
    check("mux of audio with a 75-minute hole", CONVERT_BOUND, s, l);
}

#[test]
fn a_two_hour_hole_in_the_audio_does_not_grow_the_peak() {
    let alone = heap::alone();
    let dir = TempDir::new("gap2h");
    let short = audio_with_gap(&dir, 60);
    let long = audio_with_gap(&dir, 2 * 3600);
    let out = dir.path("gap.webm");
    let (_, s) = convert_peak(&alone, &[short], &out);
    let (ms, l) = convert_peak(&alone, &[long], &out);
    assert_eq!(ms, 130.0 * 60_000.0);
    check("mux of audio with a 2-hour hole", CONVERT_BOUND, s, l);
}

/// A seekable output that keeps no bytes: only the position and the length.
#[derive(Default)]
struct Discard {
    pos: u64,
    len: u64,
}

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pos += buf.len() as u64;
        self.len = self.len.max(self.pos);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for Discard {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = match to {
            std::io::SeekFrom::Start(p) => p,
            std::io::SeekFrom::End(d) => self.len.saturating_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

fn video_muxer() -> webm_mux::Muxer<Discard> {
    let tracks = vec![webm_mux::TrackConfig::vp8(1, 16, 16)];
    webm_mux::Muxer::new(Discard::default(), Default::default(), tracks).unwrap()
}

#[test]
fn the_muxer_holds_no_state_per_keyframe() {
    let alone = heap::alone();
    let key = tiny_keyframe();
    let held = |frames: u64| {
        let (held, _) = alone.measure(|| {
            let base = heap::in_use();
            let mut m = video_muxer();
            for ms in 0..frames {
                m.write_block(1, ms * 1_000_000, true, &key).unwrap();
            }
            let held = heap::in_use() - base;
            m.finish().unwrap();
            held
        });
        held
    };
    let (short, long) = (held(200_000), held(2_000_000));
    eprintln!("muxer after 200 000 keyframes: {short} bytes; after 2 000 000: {long}");
    // 2 000 cue points (24 bytes each, in a vector that doubles) are all that grows.
    assert!(long < short + 64 * 1024, "{short} -> {long} bytes");
}

#[test]
fn a_block_larger_than_a_cluster_gives_its_memory_back() {
    let alone = heap::alone();
    let big = vec![0u8; 20 << 20];
    let key = tiny_keyframe();
    let (held, _) = alone.measure(|| {
        let base = heap::in_use();
        let mut m = video_muxer();
        m.write_block(1, 0, true, &big).unwrap();
        m.write_block(1, 1_000_000, true, &key).unwrap();
        let held = heap::in_use() - base;
        m.finish().unwrap();
        held
    });
    assert!(
        held < 256 * 1024,
        "{held} bytes held after the large block's cluster"
    );
}

#[test]
fn a_full_cluster_takes_no_more_than_max_cluster_bytes() {
    let alone = heap::alone();
    let block = vec![0u8; 100_000];
    let ((), usage) = alone.measure(|| {
        let mut m = video_muxer();
        for i in 0..200u64 {
            m.write_block(1, i * 20_000_000, i == 0, &block).unwrap();
        }
        m.finish().unwrap();
    });
    let max = webm_mux::MuxerOptions::default().max_cluster_bytes;
    assert!(
        usage.peak_bytes < max + (256 << 10),
        "{:.2} MiB for clusters of at most {} MiB",
        usage.peak_mib(),
        max >> 20
    );
}

impl mjrtool_core::SharedWrite for Discard {}
