//! The fixtures muxed to MP4 in every layout, checked with ffprobe and ffmpeg: no complaint, the
//! right codecs, size and duration, and the same decoded pictures as the fixture itself.

mod common;

use bytes::Bytes;
use common::*;
use mjrtool_core::{Codec, Nanos, TrackSpec, VideoSize};
use mjrtool_test_support::fixtures::{
    av1_fixture, fixture_path, h264_fixture, h265_fixture, ivf_fixture, opus_packets, vp9_keyframe,
};
use mjrtool_test_support::tools::{decode_errors, file_md5s, probe_flat, probe_value, temp_file};

const SIZE: VideoSize = VideoSize {
    width: 160,
    height: 120,
};

/// Video frames at 15 fps (the fixtures' rate) from `start`.
fn video_input(codec: Codec, config: Bytes, units: Vec<(Bytes, bool)>, start: Nanos) -> Input {
    let spec = TrackSpec::new(codec)
        .with_size(Some(SIZE))
        .with_config(Some(config))
        .with_frame_duration(Some(Nanos(1_000_000_000 / 15)));
    let frames = units
        .into_iter()
        .enumerate()
        .map(|(i, (data, key))| (start + Nanos(i as i64 * 1_000_000_000 / 15), data, key))
        .collect();
    Input { spec, frames }
}

/// Opus packets of a fixture, each placed after the previous one's duration, from `start`.
fn opus_input(name: &str, start: Nanos, multi: bool) -> Input {
    let (head, packets) = opus_packets(name);
    let spec = if multi {
        TrackSpec::new(Codec::MultiOpus).with_config(Some(head.to_bytes().into()))
    } else {
        TrackSpec::new(Codec::Opus).with_channels(Some(head.channels))
    };
    let mut t = start;
    let mut frames = Vec::new();
    for p in packets {
        frames.push((t, Bytes::from(p), true));
        t = t + Nanos::from_ms(20);
    }
    Input { spec, frames }
}

fn check_file(
    name: &str,
    file: &[u8],
    fixture: &str,
    vcodec: &str,
    acodec: Option<&str>,
) -> Vec<String> {
    check_file_with(name, file, fixture, vcodec, acodec, |errors| {
        errors.is_empty()
    })
}

/// As `check_file`, with a judge of what `ffmpeg -v error -f null` prints.
fn check_file_with(
    name: &str,
    file: &[u8],
    fixture: &str,
    vcodec: &str,
    acodec: Option<&str>,
    clean: impl Fn(&str) -> bool,
) -> Vec<String> {
    let path = temp_file(name, file);
    let probe = probe_flat(&path);
    assert_eq!(
        probe_value(&probe, "streams.stream.0.codec_name"),
        vcodec,
        "{probe:?}"
    );
    assert_eq!(probe_value(&probe, "streams.stream.0.width"), "160");
    assert_eq!(probe_value(&probe, "streams.stream.0.height"), "120");
    if let Some(a) = acodec {
        assert_eq!(probe_value(&probe, "streams.stream.1.codec_name"), a);
    }
    let errors = decode_errors(&path, &[]);
    assert!(
        clean(&errors),
        "ffmpeg -v error complains about {name}: {errors}"
    );
    let want = file_md5s(&fixture_path(fixture));
    assert_eq!(
        file_md5s(&path),
        want,
        "{name}: decoded pictures differ from the fixture's"
    );
    probe
}

fn duration_of(probe: &[String], key: &str) -> f64 {
    probe_value(probe, key).parse().unwrap()
}

#[test]
fn h264_and_opus_decode_like_the_fixtures_in_both_layouts() {
    if !have_ffmpeg() {
        return;
    }
    let (config, units) = h264_fixture();
    assert_eq!(units.len(), 30);
    for layout in Layout::ALL {
        let inputs = [
            video_input(Codec::H264, config.clone(), units.clone(), Nanos::ZERO),
            opus_input("tone.opus", Nanos::ZERO, false),
        ];
        let file = mux(layout, &inputs, Nanos::from_secs(4));
        let probe = check_file(
            &format!("h264-{layout:?}.mp4"),
            &file,
            "h264-160x120.h264",
            "h264",
            Some("opus"),
        );
        let video = duration_of(&probe, "streams.stream.0.duration");
        assert!((video - 2.0).abs() < 0.002, "video lasts {video} s");
        // 201 packets of 20 ms, less the pre-skip where an edit list trims it (faststart).
        let audio = duration_of(&probe, "streams.stream.1.duration");
        assert!((audio - 4.02).abs() < 0.007, "audio lasts {audio} s");
    }
}

#[test]
fn h265_decodes_like_the_fixture_in_both_layouts() {
    if !have_ffmpeg() {
        return;
    }
    let (config, units) = h265_fixture();
    for layout in Layout::ALL {
        let inputs = [video_input(
            Codec::H265,
            config.clone(),
            units.clone(),
            Nanos::ZERO,
        )];
        let file = mux(layout, &inputs, Nanos::from_secs(1));
        // The fixture has B-frames (libx265's default), which WebRTC never sends and this muxer
        // gives no composition offsets: ffmpeg's null muxer then sees decode-order timestamps
        // and says so; nothing else may be printed.
        let reordered = |e: &str| {
            e.lines()
                .all(|l| l.contains("non monotonically increasing dts"))
        };
        check_file_with(
            &format!("h265-{layout:?}.mp4"),
            &file,
            "h265-160x120.h265",
            "hevc",
            None,
            reordered,
        );
    }
}

#[test]
fn av1_decodes_like_the_fixture_in_both_layouts() {
    if !have_ffmpeg() {
        return;
    }
    let (config, units) = av1_fixture();
    for layout in Layout::ALL {
        let inputs = [
            video_input(Codec::Av1, config.clone(), units.clone(), Nanos::ZERO),
            opus_input("tone.opus", Nanos::ZERO, false),
        ];
        let file = mux(layout, &inputs, Nanos::from_secs(4));
        check_file(
            &format!("av1-{layout:?}.mp4"),
            &file,
            "av1-160x120.ivf",
            "av1",
            Some("opus"),
        );
    }
}

#[test]
fn surround_opus_keeps_its_six_channels_and_decodes_cleanly() {
    if !have_ffmpeg() {
        return;
    }
    for layout in Layout::ALL {
        let file = mux(
            layout,
            &[opus_input("surround.opus", Nanos::ZERO, true)],
            Nanos::from_secs(4),
        );
        let path = temp_file(&format!("surround-{layout:?}.mp4"), &file);
        let probe = probe_flat(&path);
        assert_eq!(probe_value(&probe, "streams.stream.0.codec_name"), "opus");
        assert_eq!(probe_value(&probe, "streams.stream.0.channels"), "6");
        assert_eq!(decode_errors(&path, &[]), "");
    }
}

#[test]
fn a_track_starting_500_ms_late_keeps_that_offset_in_ffprobe() {
    if !have_ffmpeg() {
        return;
    }
    let (config, units) = h264_fixture();
    for layout in Layout::ALL {
        let inputs = [
            video_input(
                Codec::H264,
                config.clone(),
                units.clone(),
                Nanos::from_ms(500),
            ),
            opus_input("tone.opus", Nanos::ZERO, false),
        ];
        let file = mux(layout, &inputs, Nanos::from_secs(4));
        let path = temp_file(&format!("late-{layout:?}.mp4"), &file);
        let probe = probe_flat(&path);
        let video = duration_of(&probe, "streams.stream.0.start_time");
        let audio = duration_of(&probe, "streams.stream.1.start_time");
        assert!(
            (video - audio - 0.5).abs() < 0.002,
            "{layout:?}: video starts at {video} s, audio at {audio} s"
        );
        assert_eq!(decode_errors(&path, &[]), "");
    }
}

#[test]
fn pcm_is_read_by_ffmpeg_as_pcm_s16le_at_its_rate() {
    if !have_ffmpeg() {
        return;
    }
    // 1 s of a 16 kHz stereo ramp, in 20 ms frames.
    let frames = (0..50)
        .map(|i| {
            let data: Vec<u8> = (0..320 * 2)
                .flat_map(|s: i16| (s + i as i16).to_le_bytes())
                .collect();
            (Nanos::from_ms(20 * i), Bytes::from(data), true)
        })
        .collect();
    let spec = TrackSpec::new(Codec::PcmS16Le)
        .with_sample_rate(Some(16_000))
        .with_channels(Some(2));
    for layout in Layout::ALL {
        let file = mux(
            layout,
            &[Input {
                spec: spec.clone(),
                frames: Vec::clone(&frames),
            }],
            Nanos::from_secs(1),
        );
        let path = temp_file(&format!("pcm-{layout:?}.mp4"), &file);
        let probe = probe_flat(&path);
        assert_eq!(
            probe_value(&probe, "streams.stream.0.codec_name"),
            "pcm_s16le"
        );
        assert_eq!(probe_value(&probe, "streams.stream.0.sample_rate"), "16000");
        assert_eq!(probe_value(&probe, "streams.stream.0.channels"), "2");
        assert!((duration_of(&probe, "streams.stream.0.duration") - 1.0).abs() < 0.001);
        assert_eq!(decode_errors(&path, &[]), "");
    }
}

#[test]
fn vp9_decodes_like_the_fixture_in_both_layouts() {
    if !have_ffmpeg() {
        return;
    }
    let units: Vec<(Bytes, bool)> = ivf_fixture("vp9-160x120.ivf")
        .into_iter()
        .map(|f| {
            let key = vp9_keyframe(&f);
            (Bytes::from(f), key)
        })
        .collect();
    assert!(units[0].1 && units.iter().filter(|u| u.1).count() == 2);
    for layout in Layout::ALL {
        let mut input = video_input(Codec::Vp9, Bytes::new(), units.clone(), Nanos::ZERO);
        input.spec.config = None;
        let file = mux(layout, &[input], Nanos::from_secs(2));
        check_file(
            &format!("vp9-{layout:?}.mp4"),
            &file,
            "vp9-160x120.ivf",
            "vp9",
            None,
        );
    }
}
