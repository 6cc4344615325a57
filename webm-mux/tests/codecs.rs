//! Every codec the muxer writes besides VP8 and Opus, muxed from the committed fixtures through
//! the `FrameSink` and checked by ffmpeg (decodes without a word, same pictures or samples as
//! the fixture), ffprobe (codec, size, rate, channels) and mkvinfo.

mod common;

use std::io::Cursor;
use std::path::Path;

use bytes::Bytes;
use common::{av1, have, hevc, probe};
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use webm_mux::reader::{parse, ParsedFile};
use webm_mux::{DocType, Muxer, MuxerOptions};

/// One frame to write: track index, time, duration (text), keyframe, bytes.
struct Put {
    track: usize,
    time: Nanos,
    duration: Option<Nanos>,
    keyframe: bool,
    data: Vec<u8>,
}

/// Frame `i` of a 15 frame/s stream.
fn video_time(i: usize) -> Nanos {
    Nanos(i as i64 * 1_000_000_000 / 15)
}

fn video_spec(codec: Codec, config: Option<Vec<u8>>) -> TrackSpec {
    TrackSpec::new(codec)
        .with_size(Some(VideoSize {
            width: 160,
            height: 120,
        }))
        .with_frame_duration(Some(video_time(1)))
        .with_config(config.map(Bytes::from))
}

/// Muxes `puts` (in time order) through the `FrameSink` into a file of `doc_type`.
fn mux(doc_type: DocType, specs: &[TrackSpec], puts: &[Put]) -> Vec<u8> {
    let options = MuxerOptions {
        doc_type,
        ..MuxerOptions::default()
    };
    let mut m = Muxer::create(Cursor::new(Vec::new()), options).unwrap();
    m.open(specs).unwrap();
    let mut end = Nanos::ZERO;
    for p in puts {
        let at = Placement {
            time: p.time,
            duration: p.duration,
        };
        let frame = Frame::new(Bytes::from(p.data.clone()), 0, p.keyframe);
        m.write(p.track, at, &frame).unwrap();
        end = end.max(p.time);
    }
    FrameSink::finish(&mut m, end).unwrap();
    m.into_inner().unwrap().into_inner()
}

/// Video frames of track 0, one every 1/15 s.
fn video_puts(frames: Vec<(bool, Vec<u8>)>) -> Vec<Put> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, (keyframe, data))| Put {
            track: 0,
            time: video_time(i),
            duration: None,
            keyframe,
            data,
        })
        .collect()
}

/// The H.264 fixture as the depacketizer hands it over: access units in AVCC form, and the
/// `avcC` of its SPS and PPS.
fn h264_frames() -> (Vec<(bool, Vec<u8>)>, Vec<u8>) {
    let stream = common::fixture("h264-160x120.h264");
    let sps = common::find_nal(&stream, |n| n[0] & 0x1F == 7);
    let pps = common::find_nal(&stream, |n| n[0] & 0x1F == 8);
    let frames = common::access_units(&stream, &common::H264)
        .into_iter()
        .map(|(key, nals)| (key, common::length_prefixed(&nals)))
        .collect();
    (frames, common::avcc(sps, pps))
}

/// Writes `file` to `dir/name`, checks that ffmpeg decodes it without a word and that mkvinfo
/// reads it, and returns its path and the crate reader's view of it.
fn check_file(dir: &Path, name: &str, file: &[u8]) -> (std::path::PathBuf, ParsedFile) {
    check_file_with(dir, name, file, &[])
}

/// [`check_file`], with ffmpeg `filters` before its null output.
fn check_file_with(
    dir: &Path,
    name: &str,
    file: &[u8],
    filters: &[&str],
) -> (std::path::PathBuf, ParsedFile) {
    let path = dir.join(name);
    std::fs::write(&path, file).unwrap();
    if have("ffmpeg") {
        common::assert_decodes_cleanly(&path, filters);
    }
    if have("mkvinfo") {
        common::assert_mkvinfo_accepts(&path);
    }
    (path, parse(file).unwrap())
}

/// ffprobe names `codec` at 160x120, and ffmpeg decodes the same pictures from `path` as from
/// the fixture (`fixture_args`: how ffmpeg reads the fixture).
fn assert_same_pictures(path: &Path, codec: &str, fixture_args: &[&str], pictures: usize) {
    if !have("ffprobe") || !have("ffmpeg") {
        return;
    }
    let info = probe(path, "v:0", "codec_name,width,height");
    assert!(
        info.contains(&format!("codec_name={codec}\n"))
            && info.contains("width=160\n")
            && info.contains("height=120\n"),
        "{info}"
    );
    let muxed = common::picture_md5s(&["-i", path.to_str().unwrap()]);
    let fixture = common::picture_md5s(fixture_args);
    assert_eq!(muxed.len(), pictures);
    assert_eq!(muxed, fixture);
}

#[test]
fn h264_access_units_make_a_matroska_file_that_decodes_to_the_fixtures_pictures() {
    let (frames, avcc) = h264_frames();
    assert_eq!(frames.len(), 30);
    assert_eq!(frames.iter().filter(|f| f.0).count(), 2);
    let spec = video_spec(Codec::H264, Some(avcc.clone()));
    let file = mux(DocType::Matroska, &[spec], &video_puts(frames));
    let dir = common::temp_dir("h264");
    let (path, parsed) = check_file(&dir, "h264.mkv", &file);
    let t = &parsed.tracks[0];
    assert_eq!(t.codec_id, "V_MPEG4/ISO/AVC");
    assert_eq!(t.codec_private.as_deref(), Some(&avcc[..]));
    assert_eq!(parsed.cues.len(), 2, "a cue on each keyframe");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/h264-160x120.h264");
    assert_same_pictures(&path, "h264", &["-f", "h264", "-i", fixture], 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn h265_access_units_make_a_matroska_file_that_decodes_to_the_fixtures_pictures() {
    let stream = common::fixture("h265-160x120.h265");
    let nal = |t: u8| common::find_nal(&stream, move |n| (n[0] >> 1) & 0x3F == t);
    let hvcc = hevc::hvcc(nal(32), nal(33), nal(34));
    let frames: Vec<(bool, Vec<u8>)> = common::access_units(&stream, &common::H265)
        .into_iter()
        .map(|(key, nals)| (key, common::length_prefixed(&nals)))
        .collect();
    assert_eq!(frames.len(), 30);
    let spec = video_spec(Codec::H265, Some(hvcc.clone()));
    // The fixture has B-frames (x265's default; WebRTC senders use none). A FrameSink gets
    // times that never decrease, so the frames are written in decoding order at increasing
    // times; the decoder hands the pictures back in display order with those times, out of
    // order, so ffmpeg renumbers them (setpts=N) before its output checks their order. The
    // pictures themselves are compared below.
    let file = mux(DocType::Matroska, &[spec], &video_puts(frames));
    let dir = common::temp_dir("h265");
    let (path, parsed) = check_file_with(&dir, "h265.mkv", &file, &["-vf", "setpts=N"]);
    assert_eq!(parsed.tracks[0].codec_id, "V_MPEGH/ISO/HEVC");
    assert_eq!(parsed.tracks[0].codec_private.as_deref(), Some(&hvcc[..]));
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/h265-160x120.h265");
    assert_same_pictures(&path, "hevc", &["-f", "hevc", "-i", fixture], 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vp9_frames_make_webm_and_matroska_files_that_decode_to_the_fixtures_pictures() {
    let frames: Vec<(bool, Vec<u8>)> = common::ivf_frames(&common::fixture("vp9-160x120.ivf"))
        .into_iter()
        .map(|f| (common::vp9_keyframe(&f), f))
        .collect();
    assert_eq!(frames.iter().filter(|f| f.0).count(), 2);
    let dir = common::temp_dir("vp9");
    for (doc_type, name) in [(DocType::Webm, "vp9.webm"), (DocType::Matroska, "vp9.mkv")] {
        let puts = video_puts(frames.clone());
        let file = mux(doc_type, &[video_spec(Codec::Vp9, None)], &puts);
        let (path, parsed) = check_file(&dir, name, &file);
        assert_eq!(parsed.doc_type, doc_type.name());
        let t = &parsed.tracks[0];
        assert_eq!((t.codec_id.as_str(), &t.codec_private), ("V_VP9", &None));
        assert_eq!((t.width, t.height), (Some(160), Some(120)));
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/vp9-160x120.ivf");
        assert_same_pictures(&path, "vp9", &["-i", fixture], 30);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn av1_temporal_units_make_webm_and_matroska_files_that_decode_to_the_fixtures_pictures() {
    let units = common::ivf_frames(&common::fixture("av1-160x120.ivf"));
    let av1c = av1::av1c(&units[0]);
    let frames: Vec<(bool, Vec<u8>)> = units
        .iter()
        .map(|tu| av1::strip_temporal_delimiters(tu))
        .collect();
    assert_eq!(frames.iter().filter(|f| f.0).count(), 2);
    assert!(frames.iter().all(|(_, tu)| tu[0] >> 3 != 2), "no delimiter");
    let dir = common::temp_dir("av1");
    for (doc_type, name) in [(DocType::Webm, "av1.webm"), (DocType::Matroska, "av1.mkv")] {
        let spec = video_spec(Codec::Av1, Some(av1c.clone()));
        let file = mux(doc_type, &[spec], &video_puts(frames.clone()));
        let (path, parsed) = check_file(&dir, name, &file);
        assert_eq!(parsed.tracks[0].codec_id, "V_AV1");
        assert_eq!(parsed.tracks[0].codec_private.as_deref(), Some(&av1c[..]));
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/av1-160x120.ivf");
        assert_same_pictures(&path, "av1", &["-i", fixture], 30);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
