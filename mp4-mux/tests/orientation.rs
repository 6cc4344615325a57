//! A track's rotation (the `tkhd` matrix) and the file's tags (`udta/meta/ilst`), as ffprobe
//! and ffmpeg read them, in both layouts.

mod common;

use std::io::Cursor;

use common::have_ffmpeg;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use mjrtool_mp4::{Mp4Error, Mp4Muxer};
use mjrtool_test_support::fixtures::h264_fixture;
use mjrtool_test_support::tools::{run_ok, temp_file};

const LAYOUTS: [&str; 2] = ["faststart", "fragmented"];

/// The H.264 fixture (160x120) in `layout`, turned `rotation`, with `tags`.
fn h264_file(layout: &str, rotation: Option<u16>, tags: &[(&str, &str)]) -> Vec<u8> {
    let (config, units) = h264_fixture();
    let spec = TrackSpec::new(Codec::H264)
        .with_size(Some(VideoSize {
            width: 160,
            height: 120,
        }))
        .with_config(Some(config))
        .with_rotation(rotation);
    let tags: Vec<(String, String)> = tags
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let step = 1_000_000_000 / 15;
    let feed = |sink: &mut dyn FrameSink<Error = Mp4Error>| {
        sink.open(std::slice::from_ref(&spec)).unwrap();
        for (i, (data, key)) in units.iter().enumerate() {
            let frame = Frame::new(data.clone(), 0, *key);
            sink.write(0, Placement::at(Nanos(i as i64 * step)), &frame)
                .unwrap();
        }
        sink.finish(Nanos(units.len() as i64 * step)).unwrap();
    };
    if layout == "faststart" {
        let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new())).with_tags(tags);
        feed(&mut m);
        m.into_inner()
    } else {
        let mut m = Mp4Muxer::fragmented(Vec::new()).with_tags(tags);
        feed(&mut m);
        m.into_inner()
    }
}

/// The `#dimensions` line and MD5 of the first picture ffmpeg decodes from `path` (autorotated,
/// after `filters`).
fn first_picture(path: &str, filters: &[&str]) -> (String, String) {
    let mut args = vec!["-v", "error", "-i", path];
    args.extend_from_slice(filters);
    args.extend_from_slice(&["-frames:v", "1", "-f", "framemd5", "-"]);
    let (out, err) = run_ok("ffmpeg", &args);
    assert!(err.is_empty(), "{err}");
    let dims = out
        .lines()
        .find(|l| l.starts_with("#dimensions"))
        .unwrap_or_default();
    let md5 = out.lines().find(|l| !l.starts_with('#')).unwrap();
    (
        dims.to_string(),
        md5.rsplit(',').next().unwrap().trim().to_string(),
    )
}

#[test]
fn a_quarter_turn_clockwise_makes_ffmpeg_show_the_picture_upright() {
    if !have_ffmpeg() {
        return;
    }
    for layout in LAYOUTS {
        let path = temp_file(
            &format!("r90-{layout}.mp4"),
            &h264_file(layout, Some(90), &[]),
        );
        let path = path.to_str().unwrap();
        let (out, _) = run_ok("ffprobe", &["-v", "error", "-show_streams", path]);
        // ffprobe's rotation is counter-clockwise: a quarter turn clockwise is -90.
        assert!(out.contains("rotation=-90"), "{layout}: {out}");
        let (dims, rotated) = first_picture(path, &[]);
        assert!(dims.ends_with("120x160"), "{layout}: {dims}");
        let plain = temp_file(&format!("r0-{layout}.mp4"), &h264_file(layout, None, &[]));
        let (_, turned) = first_picture(plain.to_str().unwrap(), &["-vf", "transpose=clock"]);
        assert_eq!(rotated, turned, "{layout}");
    }
}

#[test]
fn half_and_three_quarter_turns_are_read_back_and_none_keeps_the_unity_matrix() {
    if !have_ffmpeg() {
        return;
    }
    for (rotation, said) in [(180, "rotation=180"), (270, "rotation=90")] {
        let file = h264_file("faststart", Some(rotation), &[]);
        let path = temp_file(&format!("r{rotation}.mp4"), &file);
        let (out, _) = run_ok(
            "ffprobe",
            &["-v", "error", "-show_streams", path.to_str().unwrap()],
        );
        let said_180 = rotation == 180 && out.contains("rotation=-180");
        assert!(out.contains(said) || said_180, "{rotation}: {out}");
    }
    let plain = h264_file("faststart", None, &[]);
    assert_eq!(plain, h264_file("faststart", Some(0), &[]));
    let path = temp_file("r0.mp4", &plain);
    let (out, _) = run_ok(
        "ffprobe",
        &["-v", "error", "-show_streams", path.to_str().unwrap()],
    );
    assert!(!out.contains("rotation"), "{out}");
    assert!(!plain.windows(4).any(|w| w == b"udta"));
}

#[test]
fn tags_of_the_file_show_as_ffprobe_format_tags_in_both_layouts() {
    if !have_ffmpeg() {
        return;
    }
    let tags = [
        ("TITLE", "room 1234"),
        ("COMMENT", "hello"),
        ("DATE_RECORDED", "2025-11-24T16:00:00Z"),
        ("ROOM", "1234"),
    ];
    for layout in LAYOUTS {
        let path = temp_file(
            &format!("tags-{layout}.mp4"),
            &h264_file(layout, None, &tags),
        );
        let path = path.to_str().unwrap();
        let (out, err) = run_ok(
            "ffprobe",
            &["-v", "error", "-show_format", "-of", "default=nw=1", path],
        );
        assert!(err.is_empty(), "{err}");
        assert!(out.contains("TAG:comment=hello"), "{layout}: {out}");
        assert!(out.contains("TAG:title=room 1234"), "{layout}: {out}");
        assert!(
            out.contains("TAG:date=2025-11-24T16:00:00Z"),
            "{layout}: {out}"
        );
        assert!(out.contains("TAG:ROOM=1234"), "{layout}: {out}");
        let (_, err) = run_ok("ffmpeg", &["-v", "error", "-i", path, "-f", "null", "-"]);
        assert!(err.is_empty(), "{layout}: {err}");
    }
}
