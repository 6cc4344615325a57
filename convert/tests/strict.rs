//! Strict mode stops where a warning arises: at the packet that earns it, before reading on,
//! and without publishing an output.

use std::io::Cursor;
use std::path::PathBuf;

use mjr::{Codec, FormatVersion, Header, MediaKind, MjrWriter, ReaderOptions};
use mjrtool_convert::convert::{convert, CliError, ConvertOptions};
use mjrtool_convert::track::{MjrTrack, TrackError, TrackOptions};
use mjrtool_core::FrameSource;
use rtp_depack::RtpBuilder;

/// 2023-11-14T22:13:20Z, µs.
const START_US: i64 = 1_700_000_000_000_000;

/// An Opus recording of `packets` 20 ms packets; the one at `bad` (if any) is not RTP.
fn opus_recording(packets: u32, bad: Option<u32>, created_us: i64) -> Vec<u8> {
    let mut header = Header::new(MediaKind::Audio, Codec::Opus);
    header.version = FormatVersion::Mjr2;
    header.created_us = Some(created_us);
    header.first_written_us = Some(START_US);
    let mut writer = MjrWriter::new(Vec::new(), &header).unwrap();
    let mut rtp = RtpBuilder::new(0x5EED, 111);
    let mut raw = Vec::new();
    // TOC 0xF8: CELT fullband 20 ms, one frame (RFC 6716 §3.1), then a few bytes of it.
    let payload = [0xF8, 0xFF, 0xFE, 0x01, 0x02, 0x03];
    for i in 0..packets {
        rtp.build(i * 960, i == 0, &payload, &[], &mut raw);
        if Some(i) == bad {
            // RFC 3550 §5.3.1: an extension header claiming 255 words, where 6 bytes follow.
            raw[0] |= 0x10;
            raw.splice(12..12, [0xBE, 0xDE, 0x00, 0xFF]);
        }
        writer.write_rtp(i * 20, &raw).unwrap();
    }
    writer.finish().unwrap()
}

fn strict_track(bytes: &[u8]) -> Result<MjrTrack<Cursor<&[u8]>>, TrackError> {
    MjrTrack::with_options(
        Cursor::new(bytes),
        ReaderOptions {
            strict: true,
            ..ReaderOptions::default()
        },
        TrackOptions {
            strict: true,
            ..TrackOptions::default()
        },
    )
}

#[test]
fn a_strict_track_stops_at_the_first_packet_that_is_not_rtp_without_reading_on() {
    let file = opus_recording(20_000, Some(10), START_US);
    let mut track = strict_track(&file).unwrap();
    let error = loop {
        match track.next_frame() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("read to the end"),
            Err(e) => break e,
        }
    };
    assert!(matches!(error, TrackError::Strict(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "1 packets are not valid RTP and were skipped"
    );
    // The bad packet is the 11th of 20 000: the reader stopped near it, not at the end.
    assert!(
        track.position() < file.len() as u64 / 100,
        "read {} of {} bytes",
        track.position(),
        file.len()
    );
}

#[test]
fn without_strict_the_same_packet_is_counted_and_reading_goes_on() {
    let file = opus_recording(2_000, Some(10), START_US);
    let mut track = MjrTrack::new(Cursor::new(&file[..]), ReaderOptions::default()).unwrap();
    while track.next_frame().unwrap().is_some() {}
    assert_eq!(track.track_stats().invalid_rtp, 1);
    assert_eq!(track.position(), file.len() as u64);
}

#[test]
fn a_strict_track_refuses_an_implausible_header_time_when_opened() {
    let file = opus_recording(10, None, 12_345);
    let error = strict_track(&file).err().expect("strict refuses it");
    assert!(matches!(error, TrackError::Strict(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("header creation time s = 12345 µs is implausible"),
        "{error}"
    );
    // Without strict mode, the same time is a warning of the track.
    let track = MjrTrack::new(Cursor::new(&file[..]), ReaderOptions::default()).unwrap();
    assert!(track.track_stats().time_warning.is_some());
}

/// A fresh directory under the temporary one.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-strict-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_strict_conversion_fails_with_the_warning_s_words_and_leaves_no_output() {
    let dir = temp_dir("convert");
    let input = dir.join("audio.mjr");
    std::fs::write(&input, opus_recording(2_000, Some(10), START_US)).unwrap();
    let output = dir.join("audio.opus");

    let lenient = dir.join("lenient.opus");
    let report = convert(
        std::slice::from_ref(&input),
        &lenient,
        &ConvertOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let warning = report.warnings.first().expect("a warning").to_string();
    assert_eq!(
        warning,
        format!(
            "{}: 1 packets are not valid RTP and were skipped",
            input.display()
        )
    );

    let strict = ConvertOptions {
        strict: true,
        ..ConvertOptions::default()
    };
    let error = convert(
        std::slice::from_ref(&input),
        &output,
        &strict,
        &mut |_, _| {},
    )
    .expect_err("strict mode fails");
    assert!(matches!(error, CliError::Strict(_)), "{error:?}");
    assert_eq!(error.to_string(), format!("{warning} (strict mode)"));
    assert!(!output.exists());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left.len(),
        2,
        "only the input and the lenient output: {left:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_strict_conversion_refuses_a_header_only_recording_before_writing() {
    let dir = temp_dir("header-only");
    let good = dir.join("audio.mjr");
    std::fs::write(&good, opus_recording(50, None, START_US)).unwrap();
    let empty = dir.join("video.mjr");
    std::fs::write(&empty, b"MJR00002").unwrap();
    let output = dir.join("out.webm");
    let strict = ConvertOptions {
        strict: true,
        ..ConvertOptions::default()
    };
    let error = convert(&[good, empty.clone()], &output, &strict, &mut |_, _| {})
        .expect_err("strict mode fails");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: skipped: header only: the publisher never sent this medium (strict mode)",
            empty.display()
        )
    );
    assert!(!output.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
