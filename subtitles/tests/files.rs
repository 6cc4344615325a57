//! Subtitle files checked by ffmpeg (it parses them with no error, and its cues are ours) and by
//! a tiny parser written here (cues in order, never overlapping, every text as the message said).

use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_subtitles::{BinaryDump, SubtitleFormat, SubtitleOptions, SubtitleSink};
use proptest::prelude::*;

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("MJRTOOL_REQUIRE_TOOLS").is_none(),
            "{tool} is required (MJRTOOL_REQUIRE_TOOLS is set) but not installed"
        );
        println!("note: `{tool}` not found, skipping this check");
    }
    ok
}

/// Messages: (time ms, optional duration ms, bytes).
type Messages = Vec<(i64, Option<i64>, Vec<u8>)>;

fn write(format: SubtitleFormat, messages: &Messages, end_ms: i64) -> (String, u64) {
    let mut sink = SubtitleSink::new(Vec::new(), format);
    sink.open(&[TrackSpec::new(Codec::Text)]).unwrap();
    for (ms, dur, text) in messages {
        let at = Placement {
            time: Nanos::from_ms(*ms),
            duration: dur.map(Nanos::from_ms),
        };
        let frame = Frame::new(Bytes::from(text.clone()), 0, true);
        sink.write(0, at, &frame).unwrap();
    }
    sink.finish(Nanos::from_ms(end_ms)).unwrap();
    let invalid = sink.stats().invalid_utf8;
    (
        String::from_utf8(sink.into_inner().unwrap()).unwrap(),
        invalid,
    )
}

/// A cue as read back: start and end (ms), text.
type ParsedCue = (u64, u64, String);

fn parse_time(s: &str) -> u64 {
    let (hms, ms) = s.split_at(s.len() - 4);
    let mut it = hms.split(':').map(|p| p.parse::<u64>().unwrap());
    let (h, m, sec) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    ((h * 60 + m) * 60 + sec) * 1000 + ms[1..].parse::<u64>().unwrap()
}

/// The tiny parser: blocks separated by one blank line; SRT blocks start with their number.
fn parse(format: SubtitleFormat, file: &str) -> Vec<ParsedCue> {
    let body = match format {
        SubtitleFormat::Srt => file,
        SubtitleFormat::WebVtt => file.strip_prefix("WEBVTT\n\n").expect("WEBVTT header"),
    };
    assert!(body.is_empty() || body.ends_with("\n\n"), "{body:?}");
    let mut cues = Vec::new();
    for (i, block) in body.split_terminator("\n\n").enumerate() {
        let mut lines = block.split('\n');
        if format == SubtitleFormat::Srt {
            assert_eq!(lines.next(), Some((i + 1).to_string().as_str()));
        }
        let timing = lines.next().unwrap();
        let (a, b) = timing.split_once(" --> ").unwrap();
        let text: Vec<&str> = lines.collect();
        assert!(!text.is_empty() && text.iter().all(|l| !l.trim().is_empty()));
        let text = text.join("\n");
        let text = match format {
            SubtitleFormat::Srt => text.replace("--\u{200B}>", "-->"),
            SubtitleFormat::WebVtt => {
                assert!(!text.contains("-->") && !text.contains('<'));
                text.replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            }
        };
        cues.push((parse_time(a), parse_time(b), text));
    }
    cues
}

fn few_messages() -> Messages {
    vec![
        (500, None, "Grüße, 世界".as_bytes().to_vec()),
        (2_000, None, b"bad \xFF\xFE bytes".to_vec()),
        (2_300, None, b"first\n\nsecond".to_vec()),
        (9_000, None, b"a --> b & x < y".to_vec()),
        (30_000, None, b"bye".to_vec()),
    ]
}

const FEW_AS_SRT: &str = "1\n00:00:00,500 --> 00:00:02,000\nGrüße, 世界\n\n\
                          2\n00:00:02,000 --> 00:00:02,300\nbad \u{FFFD}\u{FFFD} bytes\n\n\
                          3\n00:00:02,300 --> 00:00:07,300\nfirst\nsecond\n\n\
                          4\n00:00:09,000 --> 00:00:14,000\na --> b & x < y\n\n\
                          5\n00:00:30,000 --> 00:00:30,500\nbye\n\n";

#[test]
fn a_few_messages_make_the_srt_and_webvtt_cues_we_expect_and_ffmpeg_reads_them_back() {
    let (srt, invalid) = write(SubtitleFormat::Srt, &few_messages(), 30_200);
    assert_eq!(invalid, 2);
    assert_eq!(srt, FEW_AS_SRT);
    let (vtt, _) = write(SubtitleFormat::WebVtt, &few_messages(), 30_200);
    assert!(vtt.contains("00:00:09.000 --> 00:00:14.000\na --&gt; b &amp; x &lt; y\n\n"));
    assert_eq!(
        parse(SubtitleFormat::Srt, &srt),
        parse(SubtitleFormat::WebVtt, &vtt)
    );
    if !have("ffmpeg") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mjrtool-subtitles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [("out.srt", &srt), ("out.vtt", &vtt)] {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "srt", "-"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "{name}: {err}");
        // ffmpeg ends the lines inside a cue with CRLF.
        let back = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
        assert_eq!(back, FEW_AS_SRT, "{name}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_srt_text_line_that_looks_like_a_timing_line_stays_text_in_ffmpeg() {
    let messages = vec![(0, None, b"00:00:05,000 --> 00:00:06,000".to_vec())];
    let (srt, _) = write(SubtitleFormat::Srt, &messages, 1_000);
    assert_eq!(
        parse(SubtitleFormat::Srt, &srt)[0].2,
        "00:00:05,000 --> 00:00:06,000"
    );
    if !have("ffmpeg") {
        return;
    }
    let path = std::env::temp_dir().join(format!("mjrtool-subtitles-t-{}.srt", std::process::id()));
    std::fs::write(&path, &srt).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "srt", "-"])
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("1\n00:00:00,000 --> 00:00:01,000\n00:00:05"),
        "{text}"
    );
}

#[test]
fn every_track_but_one_text_track_is_refused_with_what_would_hold_it() {
    for (tracks, advice) in [
        (vec![TrackSpec::new(Codec::Binary)], "BinaryDump"),
        (vec![TrackSpec::new(Codec::Vp8)], ".webm, .mkv or .mp4"),
        (vec![TrackSpec::new(Codec::Opus)], ".ogg"),
        (vec![TrackSpec::new(Codec::Text); 2], ".mkv"),
    ] {
        let mut sink = SubtitleSink::new(Vec::new(), SubtitleFormat::Srt);
        let err = sink.open(&tracks).unwrap_err().to_string();
        assert!(err.contains(advice) && err.contains("text track"), "{err}");
    }
    let mut dump = BinaryDump::new(Vec::new());
    let err = dump.open(&[TrackSpec::new(Codec::Text)]).unwrap_err();
    assert!(err.to_string().contains(".srt or .vtt"), "{err}");
}

/// The text a cue must show for a message, written independently of the crate: lossy UTF-8,
/// controls replaced, lines split at any line break, blank ones left out.
fn model_text(bytes: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c as u32 == 0x7F => '\u{FFFD}',
            c => c,
        })
        .collect();
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = s.split('\n').filter(|l| !l.trim().is_empty()).collect();
    lines.join("\n")
}

fn messages() -> impl Strategy<Value = Messages> {
    let piece = prop::sample::select(vec![
        &b"a"[..],
        b"Z",
        b" ",
        b"\n",
        b"\r\n",
        b"\r",
        b"\n\n",
        b"-->",
        b"&",
        b"<",
        b">",
        b"1",
        b":",
        b",",
        "é".as_bytes(),
        b"\xFF",
        b"\xE2\x82",
        b"\x00",
        b"\t",
        b"00:00:01,000 --> ",
    ]);
    let text = prop::collection::vec(piece, 0..12).prop_map(|p| p.concat());
    let step = prop_oneof![Just(0i64), 0i64..300, 0i64..20_000];
    let duration = prop::option::weighted(0.2, 0i64..10_000);
    prop::collection::vec((step, duration, text), 0..30).prop_map(|v| {
        let mut t = 0;
        v.into_iter()
            .map(|(s, d, x)| {
                t += s;
                (t, d, x)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn cues_are_in_order_never_overlap_and_every_text_round_trips(
        messages in messages(),
        tail in 0i64..10_000,
        vtt in any::<bool>(),
    ) {
        let format = if vtt { SubtitleFormat::WebVtt } else { SubtitleFormat::Srt };
        let end = messages.last().map_or(0, |m| m.0) + tail;
        let (file, _) = write(format, &messages, end);
        let cues = parse(format, &file);
        // Messages in the same millisecond share a cue; empty ones make none.
        let mut expected: Vec<(u64, String)> = Vec::new();
        for (ms, _, bytes) in &messages {
            let text = model_text(bytes);
            if text.is_empty() {
                continue;
            }
            match expected.last_mut() {
                Some((start, t)) if *start == *ms as u64 => {
                    t.push('\n');
                    t.push_str(&text);
                }
                _ => expected.push((*ms as u64, text)),
            }
        }
        let got: Vec<(u64, String)> = cues.iter().map(|c| (c.0, c.2.clone())).collect();
        prop_assert_eq!(got, expected);
        for pair in cues.windows(2) {
            prop_assert!(pair[0].1 <= pair[1].0, "{:?}", pair);
        }
        let max = SubtitleOptions::default().max_duration.as_ms_floor() as u64;
        for (i, (start, end, _)) in cues.iter().enumerate() {
            prop_assert!(start < end);
            let has_duration = messages.iter().any(|m| m.0 as u64 == *start && m.1.is_some());
            prop_assert!(has_duration || end - start <= max);
            let _ = i;
        }
    }
}
