//! A track's rotation (Projection, ProjectionPoseRoll) and the file's tags (Tags, SimpleTag), as
//! ffprobe and ffmpeg read them.

use std::io::Cursor;
use std::path::Path;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use mjrtool_test_support::fixtures::{ivf_fixture, vp9_keyframe};
use mjrtool_test_support::tools::{self, have, run, temp_dir};
use webm_mux::{DocType, Muxer, MuxerOptions};

/// The VP9 fixture (160x120) muxed with `rotation` and `tags`.
fn vp9_file(doc_type: DocType, rotation: Option<u16>, tags: &[(&str, &str)]) -> Vec<u8> {
    let options = MuxerOptions {
        doc_type,
        tags: tags
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..MuxerOptions::default()
    };
    let spec = TrackSpec::new(Codec::Vp9)
        .with_size(Some(VideoSize {
            width: 160,
            height: 120,
        }))
        .with_rotation(rotation);
    let mut m = Muxer::create(Cursor::new(Vec::new()), options).unwrap();
    m.open(&[spec]).unwrap();
    let frames = ivf_fixture("vp9-160x120.ivf");
    let step = 1_000_000_000 / 15;
    for (i, f) in frames.iter().enumerate() {
        let frame = Frame::new(Bytes::from(f.clone()), 0, vp9_keyframe(f));
        m.write(0, Placement::at(Nanos(i as i64 * step)), &frame)
            .unwrap();
    }
    FrameSink::finish(&mut m, Nanos(frames.len() as i64 * step)).unwrap();
    m.into_inner().unwrap().into_inner()
}

/// The first picture ffmpeg decodes from `input` (after `filters`): its `#dimensions` line and
/// its MD5.
fn first_picture(input: &str, filters: &[&str]) -> (String, String) {
    let mut args = vec!["-v", "error", "-i", input];
    args.extend_from_slice(filters);
    args.extend_from_slice(&["-frames:v", "1", "-f", "framemd5", "-"]);
    let (ok, out, err) = run("ffmpeg", &args);
    assert!(ok && err.is_empty(), "{err}");
    let dims = out
        .lines()
        .find(|l| l.starts_with("#dimensions"))
        .unwrap_or_default()
        .to_string();
    let md5 = out.lines().find(|l| !l.starts_with('#')).unwrap();
    (dims, md5.rsplit(',').next().unwrap().trim().to_string())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_quarter_turn_clockwise_makes_ffmpeg_show_the_picture_upright() {
    if !have("ffmpeg") || !have("ffprobe") || !have("mkvinfo") {
        return;
    }
    let dir = temp_dir("rotation");
    for doc_type in [DocType::Webm, DocType::Matroska] {
        let path = write(&dir, "r90.mkv", &vp9_file(doc_type, Some(90), &[]));
        let (ok, out, err) = run(
            "ffprobe",
            &[
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_streams",
                &path,
            ],
        );
        assert!(ok && err.is_empty(), "{err}");
        // ffprobe's rotation is counter-clockwise: a quarter turn clockwise is -90.
        assert!(out.contains("rotation=-90"), "{out}");
        // Autorotation turns the picture clockwise: the same as the plain picture turned by
        // ffmpeg's transpose=clock.
        let (dims, rotated) = first_picture(&path, &[]);
        assert!(dims.ends_with("120x160"), "{dims}");
        let plain = write(&dir, "r0.mkv", &vp9_file(doc_type, None, &[]));
        let (_, turned) = first_picture(&plain, &["-vf", "transpose=clock"]);
        assert_eq!(rotated, turned, "{doc_type:?}");
        tools::assert_mkvinfo_accepts(Path::new(&path));
    }
}

#[test]
fn every_quarter_turn_is_read_back_by_ffprobe_and_none_writes_no_projection() {
    if !have("ffprobe") {
        return;
    }
    let dir = temp_dir("rotations");
    for (rotation, said) in [(180, "rotation=180"), (270, "rotation=90")] {
        let path = write(
            &dir,
            "r.webm",
            &vp9_file(DocType::Webm, Some(rotation), &[]),
        );
        let (_, out, _) = run("ffprobe", &["-v", "error", "-show_streams", &path]);
        assert!(
            out.contains(said) || (rotation == 180 && out.contains("rotation=-180")),
            "{rotation}: {out}"
        );
    }
    for rotation in [None, Some(0)] {
        let file = vp9_file(DocType::Webm, rotation, &[]);
        // Projection's ID (0x7670) appears nowhere.
        assert!(!file.windows(2).any(|w| w == [0x76, 0x70]), "{rotation:?}");
        let path = write(&dir, "r0.webm", &file);
        let (_, out, _) = run("ffprobe", &["-v", "error", "-show_streams", &path]);
        assert!(!out.contains("rotation"), "{out}");
    }
}

#[test]
fn tags_of_the_file_show_as_ffprobe_format_tags() {
    if !have("ffprobe") || !have("mkvinfo") {
        return;
    }
    let dir = temp_dir("tags");
    let tags = [
        ("TITLE", "room 1234"),
        ("COMMENT", "hello"),
        ("DATE_RECORDED", "2025-11-24T16:00:00Z"),
    ];
    for doc_type in [DocType::Webm, DocType::Matroska] {
        let path = write(&dir, "tags.mkv", &vp9_file(doc_type, None, &tags));
        let (ok, out, err) = run(
            "ffprobe",
            &["-v", "error", "-show_format", "-of", "default=nw=1", &path],
        );
        assert!(ok && err.is_empty(), "{err}");
        let out = out.to_lowercase();
        assert!(out.contains("tag:comment=hello"), "{out}");
        assert!(out.contains("tag:title=room 1234"), "{out}");
        assert!(
            out.contains("tag:date_recorded=2025-11-24t16:00:00z"),
            "{out}"
        );
        tools::assert_mkvinfo_accepts(Path::new(&path));
        tools::assert_decodes_cleanly(Path::new(&path), &[]);
    }
}
