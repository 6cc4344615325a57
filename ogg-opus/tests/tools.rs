//! Independent checks with external tools: `opusinfo` (opus-tools),
//! `oggz-validate` (oggz-tools) and `ffmpeg`. Each test prints a note and
//! passes when its tool is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use mjrtool_ogg::{reader, OggOpusWriter, OpusHead, OpusTags};

/// A 20 ms CELT-only fullband mono packet that decodes to silence.
const SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// A fresh private directory under the system temp dir.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ogg-opus-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
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

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-h").output().is_ok();
    if !ok {
        println!("note: `{tool}` not found, skipping this check");
    }
    ok
}

/// Runs `tool args... file`; returns (success, combined output).
fn run(tool: &str, args: &[&str], file: &Path) -> (bool, String) {
    let out = Command::new(tool).args(args).arg(file).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn assert_clean(tool: &str, ok: bool, text: &str) {
    println!("--- {tool} ---");
    for line in text.lines() {
        println!("{}", line.chars().take(160).collect::<String>());
    }
    assert!(ok, "{tool} failed:\n{text}");
    let bad = text.lines().find(|l| {
        let l = l.to_ascii_lowercase();
        l.contains("warning") || l.contains("error")
    });
    assert!(bad.is_none(), "{tool} complained: {bad:?}\n{text}");
}

fn check_with_tools(file: &Path) {
    if have("opusinfo") {
        let (ok, text) = run("opusinfo", &[], file);
        assert_clean("opusinfo", ok, &text);
    }
    if have("oggz-validate") {
        let (ok, text) = run("oggz-validate", &[], file);
        assert_clean("oggz-validate", ok, &text);
    }
}

fn silence_file(packets: usize, pre_skip: u16) -> Vec<u8> {
    let mut tags = OpusTags::new("ogg-opus test");
    tags.comments.push(("TITLE".into(), "silence".into()));
    let mut w = OggOpusWriter::new(
        Vec::new(),
        0xC0FF_EE00,
        &OpusHead::new(1, pre_skip, 48_000),
        &tags,
    )
    .unwrap();
    for _ in 0..packets {
        w.write_packet(&SILENCE).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn opusinfo_and_oggz_validate_accept_silence() {
    let dir = TempDir::new("silence");
    let file = dir.path("silence.opus");
    // opusinfo warns about a pre-skip below 120 ("implausibly low").
    let bytes = silence_file(250, 312);
    std::fs::write(&file, &bytes).unwrap();
    check_with_tools(&file);
    if have("opusinfo") {
        let (_, text) = run("opusinfo", &[], &file);
        // 250 x 20 ms = 5 s of packets; the decoder drops the 312-sample
        // pre-skip, so opusinfo reports (240000 - 312) / 48000 s.
        assert!(
            text.contains("0m:04.993s"),
            "expected 4.993 s playback:\n{text}"
        );
    }
}

#[test]
fn oggz_validate_accepts_zero_pre_skip() {
    let dir = TempDir::new("preskip");
    let file = dir.path("preskip.opus");
    std::fs::write(&file, silence_file(260, 0)).unwrap();
    if have("oggz-validate") {
        let (ok, text) = run("oggz-validate", &[], &file);
        assert_clean("oggz-validate", ok, &text);
    }
}

#[test]
fn tools_accept_header_only_file() {
    let dir = TempDir::new("empty");
    let file = dir.path("empty.opus");
    std::fs::write(&file, silence_file(0, 312)).unwrap();
    if have("oggz-validate") {
        let (ok, text) = run("oggz-validate", &[], &file);
        assert_clean("oggz-validate", ok, &text);
    }
    if have("opusinfo") {
        // opusinfo parses the headers and only warns that there is no audio.
        let (_, text) = run("opusinfo", &[], &file);
        println!("--- opusinfo (header-only) ---\n{text}");
        assert!(text.contains("TITLE=silence"), "{text}");
        for line in text.lines() {
            let l = line.to_ascii_lowercase();
            assert!(!l.contains("error"), "{text}");
            assert!(!l.contains("warning") || l.contains("is empty"), "{text}");
        }
    }
}

/// Real audio: ffmpeg encodes a sine; our reader must parse it and our writer
/// must re-mux it into a file the tools accept, with identical packets.
#[test]
fn remux_ffmpeg_file() {
    if !have("ffmpeg") {
        return;
    }
    let dir = TempDir::new("ffmpeg");
    let src = dir.path("sine.opus");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=440:duration=1")
        .args(["-c:a", "libopus", "-b:a", "32k"])
        .arg(&src)
        .status()
        .unwrap();
    if !status.success() {
        println!("note: ffmpeg could not encode with libopus, skipping");
        return;
    }
    let input = std::fs::read(&src).unwrap();
    let file = reader::read_opus_file(&input).unwrap();
    assert!(!file.packets.is_empty());
    let total: u64 = file
        .packets
        .iter()
        .map(|p| u64::from(mjrtool_ogg::toc::packet_samples(p).unwrap()))
        .sum();
    // ffmpeg's final granule trims the padding of the last packet.
    assert!(file.last_granule <= total && total - file.last_granule < 5760);
    assert!(file.last_granule >= 48_000);

    let mut w = OggOpusWriter::new(Vec::new(), 7, &file.head, &file.tags).unwrap();
    for p in &file.packets {
        w.write_packet(p).unwrap();
    }
    assert_eq!(w.samples_written(), total);
    let out = w.finish().unwrap();
    let again = reader::read_opus_file(&out).unwrap();
    assert_eq!(again.head, file.head);
    assert_eq!(again.tags, file.tags);
    assert_eq!(again.packets, file.packets);
    assert_eq!(again.last_granule, u64::from(file.head.pre_skip) + total);

    let dst = dir.path("remux.opus");
    std::fs::write(&dst, &out).unwrap();
    check_with_tools(&dst);
}

/// Packets and tags spanning several pages (continued flag, granule -1).
#[test]
fn tools_accept_spanning_packets_and_tags() {
    let dir = TempDir::new("span");
    let file = dir.path("span.opus");
    let mut tags = OpusTags::new("ogg-opus test");
    tags.comments.push(("COMMENT".into(), "x".repeat(12_000)));
    let mut w = OggOpusWriter::new(Vec::new(), 1, &OpusHead::new(2, 312, 48_000), &tags).unwrap();
    for i in 0..100usize {
        w.write_packet(&SILENCE).unwrap();
        if i % 10 == 0 {
            // A large 20 ms packet: one 1000-byte frame (never decoded here) and padding
            // (RFC 6716 section 3.2.5: each 255 adds 254 bytes and asks for one more byte).
            let padding = 29_000 + i;
            let mut big = vec![0xFF, 0x41];
            big.extend(std::iter::repeat_n(255, padding / 254));
            big.push((padding % 254) as u8);
            big.extend((0..1000).map(|j| j as u8));
            big.extend(std::iter::repeat_n(0, padding));
            w.write_packet(&big).unwrap();
        }
    }
    std::fs::write(&file, w.finish().unwrap()).unwrap();
    if have("oggz-validate") {
        let (ok, text) = run("oggz-validate", &[], &file);
        assert_clean("oggz-validate", ok, &text);
    }
    if have("opusinfo") {
        let (ok, text) = run("opusinfo", &[], &file);
        assert_clean("opusinfo", ok, &text);
    }
}

/// A file written through the `FrameSink` path (`OggOpusSink`) is one the tools accept and
/// ffmpeg decodes without a complaint.
#[test]
fn tools_accept_a_file_made_through_the_frame_sink() {
    use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};

    let dir = TempDir::new("sink");
    let path = dir.path("sink.opus");
    let mut sink = mjrtool_ogg::OggOpusSink::new(Vec::new(), "ogg-opus test");
    sink.open(&[TrackSpec::new(Codec::Opus)]).unwrap();
    let frame = Frame::new(SILENCE.to_vec(), 0, true);
    for i in 0..150 {
        sink.write(0, Placement::at(Nanos::from_ms(20 * i)), &frame)
            .unwrap();
    }
    sink.finish(Nanos::from_secs(3)).unwrap();
    std::fs::write(&path, sink.into_inner().unwrap()).unwrap();
    check_with_tools(&path);
    if have("ffmpeg") {
        let out = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.trim().is_empty(), "{text}");
    }
}
