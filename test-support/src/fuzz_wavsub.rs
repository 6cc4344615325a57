//! The bodies of the `wav_writer` and `srt_writer` fuzz targets (replayed by
//! `tests/fuzz_replay_wavsub.rs`).
//!
//! Both read the fuzzer's bytes as a script of frames (a time step that may go back, a length,
//! the bytes), drive a sink through `open`, `write` and `finish`, and check the file it made:
//! sizes in the WAV header equal to the bytes written; subtitle cues in order, never
//! overlapping, with no blank line or WebVTT arrow in their text; a binary dump equal to the
//! messages concatenated.

use std::io::Cursor;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_subtitles::{BinaryDump, SubtitleFormat, SubtitleOptions, SubtitleSink};
use mjrtool_wav::{SeekOutput, StreamOutput, WavLimits, WavOutput, WavSink};

/// A little cursor over the fuzzer's bytes.
struct Script<'a>(&'a [u8]);

impl<'a> Script<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
}

/// Frames from the script: (time, duration if flagged, bytes), times stepping by a signed
/// number of ms (so they may go back), at most 64 of them.
fn frames(s: &mut Script<'_>, max_len: usize) -> Vec<(Nanos, Option<Nanos>, Bytes)> {
    let mut t = Nanos::from_ms(i64::from(s.u8().unwrap_or(0)) * 10);
    let mut out = Vec::new();
    while let (Some(step), Some(len)) = (s.i16(), s.u8()) {
        t = t + Nanos::from_us(i64::from(step) * 250);
        let duration = (len & 0x80 != 0).then(|| Nanos::from_ms(i64::from(step.unsigned_abs())));
        let len = usize::from(len & 0x7F) * max_len / 127;
        out.push((t, duration, Bytes::copy_from_slice(s.take(len))));
        if out.len() == 64 {
            break;
        }
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Writes the script's frames to `sink`; `None` when the sink stopped (a limit).
fn drive<S: FrameSink>(
    sink: &mut S,
    track: TrackSpec,
    frames: &[(Nanos, Option<Nanos>, Bytes)],
    end: Nanos,
) -> Option<()> {
    sink.open(&[track]).ok()?;
    for (time, duration, data) in frames {
        let at = Placement {
            time: *time,
            duration: *duration,
        };
        sink.write(0, at, &Frame::new(data.clone(), 0, true)).ok()?;
    }
    sink.finish(end).ok()
}

/// The `wav_writer` target: a WAV file of random frames, to a seekable or a stream output;
/// the header's sizes must equal the bytes written.
pub fn wav_writer(data: &[u8]) {
    let mut s = Script(data);
    let flags = s.u8().unwrap_or(0);
    let channels = flags % 8 + 1;
    let rates = [8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 1];
    let rate = rates[usize::from(flags >> 3) % rates.len()];
    let seekable = flags & 0x80 == 0;
    let frames = frames(&mut s, 4096);
    let end = frames.last().map_or(Nanos::ZERO, |f| f.0) + Nanos::from_ms(20);
    let track = TrackSpec::new(Codec::PcmS16Le)
        .with_sample_rate(Some(rate))
        .with_channels(Some(channels));
    let limits = WavLimits {
        max_gap: Nanos::from_secs(2),
        max_data_bytes: 4 << 20,
    };
    let header = 12 + 8 + if channels > 2 { 40 } else { 16 } + 8;
    if seekable {
        let mut sink = WavSink::new(SeekOutput::new(Cursor::new(Vec::new()))).with_limits(limits);
        if drive(&mut sink, track, &frames, end).is_none() {
            return;
        }
        let samples = sink.stats().samples;
        let wav = sink.into_inner().unwrap().into_inner().into_inner();
        let header = header + 36;
        assert_eq!(u32_at(&wav, 4) as usize, wav.len() - 8);
        assert_eq!(u32_at(&wav, header - 4) as usize, wav.len() - header);
        assert_eq!(
            samples * 2 * u64::from(channels),
            (wav.len() - header) as u64
        );
    } else {
        let mut sink = WavSink::new(StreamOutput(Vec::new())).with_limits(limits);
        if drive(&mut sink, track, &frames, end).is_none() {
            return;
        }
        let samples = sink.stats().samples;
        let out = sink.into_inner().unwrap();
        assert!(!out.seekable());
        let wav = out.into_inner();
        assert_eq!(u32_at(&wav, 4), u32::MAX);
        assert_eq!(
            samples * 2 * u64::from(channels),
            (wav.len() - header) as u64
        );
    }
}

/// Checks a subtitle file's structure; returns its cue count.
fn check_subtitles(format: SubtitleFormat, file: &str) -> u64 {
    let body = match format {
        SubtitleFormat::Srt => file,
        SubtitleFormat::WebVtt => file.strip_prefix("WEBVTT\n\n").expect("WEBVTT header"),
    };
    assert!(body.is_empty() || body.ends_with("\n\n"));
    let mut last_end = 0u64;
    let mut n = 0;
    for block in body.split_terminator("\n\n") {
        n += 1;
        let mut lines = block.split('\n');
        if format == SubtitleFormat::Srt {
            assert_eq!(lines.next(), Some(n.to_string().as_str()));
        }
        let (a, b) = lines.next().unwrap().split_once(" --> ").unwrap();
        let ms = |t: &str| {
            let digits: String = t.chars().filter(char::is_ascii_digit).collect();
            let v: u64 = digits.parse().unwrap();
            let (hms, milli) = (v / 1000, v % 1000);
            ((hms / 10_000) * 3600 + hms / 100 % 100 * 60 + hms % 100) * 1000 + milli
        };
        let (start, end) = (ms(a), ms(b));
        assert!(last_end <= start && start < end, "{block:?}");
        last_end = end;
        let mut text = 0;
        for line in lines {
            text += 1;
            assert!(!line.trim().is_empty());
            assert!(format == SubtitleFormat::Srt || !(line.contains("-->") || line.contains('<')));
        }
        assert!(text > 0);
    }
    n
}

/// The `srt_writer` target: random messages as SRT, WebVTT and a binary dump.
pub fn srt_writer(data: &[u8]) {
    let mut s = Script(data);
    let flags = s.u8().unwrap_or(0);
    let frames = frames(&mut s, 300);
    let end = frames.last().map_or(Nanos::ZERO, |f| f.0) + Nanos::from_ms(i64::from(flags) * 40);
    let options = SubtitleOptions {
        max_cue_bytes: 64 + usize::from(flags) * 4,
        ..SubtitleOptions::default()
    };
    for format in [SubtitleFormat::Srt, SubtitleFormat::WebVtt] {
        let mut sink = SubtitleSink::with_options(Vec::new(), format, options);
        drive(&mut sink, TrackSpec::new(Codec::Text), &frames, end).expect("a Vec never fails");
        let cues = sink.stats().cues;
        let file = String::from_utf8(sink.into_inner().unwrap()).expect("UTF-8 out");
        assert_eq!(check_subtitles(format, &file), cues);
    }
    let mut dump = BinaryDump::new(Vec::new());
    drive(&mut dump, TrackSpec::new(Codec::Binary), &frames, end).expect("a Vec never fails");
    let all: Vec<u8> = frames.iter().flat_map(|f| f.2.iter().copied()).collect();
    assert_eq!(dump.into_inner().unwrap(), all);
}
