//! RTP header extensions through the whole conversion: video orientation (3GPP TS 26.114
//! §7.4.5) turns the output's picture and its changes are reported, the audio level (RFC 6464)
//! becomes speaking time, and `metadata` becomes the output's comment.

use std::path::{Path, PathBuf};
use std::process::Command;

use mjr::{FormatVersion, Header, MjrWriter};
use mjrtool_convert::convert::{convert, info, ConvertOptions};
use mjrtool_convert::track::{AUDIO_LEVEL_URI, VIDEO_ORIENTATION_URI};
use mjrtool_core::{Codec, MediaKind};
use mjrtool_test_support::recordings::{self, fixture, video_frames, START_US};
use rtp_depack::{H264Packetizer, OpusPacketizer, RtpBuilder};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-orient-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn header(kind: MediaKind, codec: Codec, ext_id: u8, uri: Option<&str>) -> Header {
    let mut h = Header::new(kind, codec);
    h.version = FormatVersion::Mjr2;
    h.created_us = Some(START_US);
    h.first_written_us = Some(START_US);
    if let Some(uri) = uri {
        h.extmaps.insert(ext_id, uri.to_string());
    }
    h
}

/// The H.264 fixture (160x120) as a 2 s recording at 15 fps, every packet carrying the
/// video-orientation byte `cvo(frame index)` as extension 3; the extmap names it when `extmap`.
fn h264_recording(dir: &Path, extmap: bool, cvo: impl Fn(usize) -> u8) -> PathBuf {
    let uri = extmap.then_some(VIDEO_ORIENTATION_URI);
    let mut w = MjrWriter::new(Vec::new(), &header(MediaKind::Video, Codec::H264, 3, uri)).unwrap();
    let frames = video_frames(&Codec::H264, &fixture("h264-160x120.h264"));
    let mut packetizer = H264Packetizer::new(1100);
    let mut rtp = RtpBuilder::new(0x5151, 96);
    let mut raw = Vec::new();
    for (i, frame) in frames.iter().cycle().take(30).enumerate() {
        let mut payloads = Vec::new();
        packetizer.packetize(frame, &mut |p: &[u8], m: bool| {
            payloads.push((p.to_vec(), m))
        });
        let byte = [cvo(i)];
        for (p, marker) in &payloads {
            let ts = (i * 6000) as u32;
            rtp.build(ts, *marker, p, &[(3, &byte)], &mut raw);
            w.write_rtp((i * 1000 / 15) as u32, &raw).unwrap();
        }
    }
    let path = dir.join(format!("video-{extmap}.mjr"));
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    path
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.is_empty(), "{tool}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn have_ffmpeg() -> bool {
    let ok = Command::new("ffprobe").arg("-version").output().is_ok();
    assert!(ok || std::env::var_os("CI").is_none(), "CI needs ffmpeg");
    ok
}

/// `#dimensions` of the first picture ffmpeg shows (autorotated).
fn shown_dimensions(path: &Path) -> String {
    let out = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            path.to_str().unwrap(),
            "-frames:v",
            "1",
            "-f",
            "framemd5",
            "-",
        ],
    );
    out.lines()
        .find_map(|l| l.strip_prefix("#dimensions 0: "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_phone_sending_a_quarter_turn_gives_mkv_and_mp4_files_that_play_upright() {
    if !have_ffmpeg() {
        return;
    }
    let dir = temp_dir("cvo");
    // CVO byte: 0 0 0 0 C F R1 R0; R = 1 is a quarter turn clockwise to show it upright.
    let mjr = h264_recording(&dir, true, |_| 0b0000_0001);
    for name in ["out.mkv", "out.mp4"] {
        let out = dir.join(name);
        let report = convert(
            std::slice::from_ref(&mjr),
            &out,
            &ConvertOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
        let stats = report.inputs[0].source.as_ref().unwrap();
        assert_eq!(stats.rotation, Some(90));
        assert_eq!(stats.rotation_changes, 0);
        let probe = run(
            "ffprobe",
            &["-v", "error", "-show_streams", out.to_str().unwrap()],
        );
        assert!(probe.contains("rotation=-90"), "{name}: {probe}");
        assert!(probe.contains("width=160") && probe.contains("height=120"));
        assert_eq!(shown_dimensions(&out), "120x160", "{name}");
    }
}

#[test]
fn without_the_extmap_the_pp_rec_option_gives_the_extension_id() {
    if !have_ffmpeg() {
        return;
    }
    let dir = temp_dir("cvo-option");
    let mjr = h264_recording(&dir, false, |_| 3);
    let out = dir.join("out.mkv");
    let plain = convert(
        std::slice::from_ref(&mjr),
        &out,
        &ConvertOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(plain.inputs[0].source.as_ref().unwrap().rotation, None);
    assert_eq!(shown_dimensions(&out), "160x120");
    let options = ConvertOptions {
        video_orientation_ext: Some(3),
        force: true,
        ..ConvertOptions::default()
    };
    convert(std::slice::from_ref(&mjr), &out, &options, &mut |_, _| {}).unwrap();
    let probe = run(
        "ffprobe",
        &["-v", "error", "-show_streams", out.to_str().unwrap()],
    );
    // R = 3: three quarter turns clockwise, a quarter turn counter-clockwise.
    assert!(probe.contains("rotation=90"), "{probe}");
}

#[test]
fn a_turn_from_0_to_90_degrees_mid_stream_is_reported_with_its_time() {
    let dir = temp_dir("cvo-change");
    // Upright for the first second (15 frames), then turned.
    let mjr = h264_recording(&dir, true, |i| if i < 15 { 0 } else { 1 });
    let report = info(std::slice::from_ref(&mjr), &ConvertOptions::default()).unwrap();
    let tracks = report.tracks.unwrap();
    let stats = tracks.inputs[0].source.as_ref().unwrap();
    assert_eq!(stats.rotation, Some(0), "the first one is the track's");
    assert_eq!(stats.rotation_changes, 1);
    assert_eq!(stats.rotations, vec![(0, 0), (1000, 90)]);
}

/// An Opus recording of 100 packets (2 s) whose audio-level extension says `level(i)`.
fn opus_recording(dir: &Path, level: impl Fn(usize) -> u8) -> PathBuf {
    let mut w = MjrWriter::new(
        Vec::new(),
        &header(MediaKind::Audio, Codec::Opus, 1, Some(AUDIO_LEVEL_URI)),
    )
    .unwrap();
    let file = ogg_opus::reader::read_opus_file(&fixture("tone.opus")).unwrap();
    let mut packetizer = OpusPacketizer;
    let mut rtp = RtpBuilder::new(0x0A0A, 111);
    let mut raw = Vec::new();
    for (i, packet) in file.packets.iter().cycle().take(100).enumerate() {
        let mut payloads = Vec::new();
        packetizer.packetize(packet, &mut |p: &[u8], m: bool| {
            payloads.push((p.to_vec(), m))
        });
        let byte = [level(i)];
        for (p, marker) in &payloads {
            rtp.build((i * 960) as u32, *marker, p, &[(1, &byte)], &mut raw);
            w.write_rtp((i * 20) as u32, &raw).unwrap();
        }
    }
    let path = dir.join("audio.mjr");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    path
}

#[test]
fn half_the_packets_speaking_gives_half_the_time_as_speaking_time() {
    let dir = temp_dir("level");
    // V set and -30 dBov on even packets, V clear and -90 dBov on odd ones.
    let mjr = opus_recording(&dir, |i| if i % 2 == 0 { 0x80 | 30 } else { 90 });
    let report = info(std::slice::from_ref(&mjr), &ConvertOptions::default()).unwrap();
    let tracks = report.tracks.unwrap();
    let level = tracks.inputs[0]
        .source
        .as_ref()
        .unwrap()
        .audio_level
        .clone();
    let level = level.expect("the extension was read");
    assert_eq!(level.packets, 100);
    assert!(level.uses_voice_flag());
    assert_eq!(level.speaking_ms(), 1000);
    assert_eq!(level.total_ms, 2000);
    assert_eq!(level.mean_dbov(), Some(-60.0));

    // A sender that never sets V: the level tells speech (above -50 dBov).
    let mjr = opus_recording(&dir, |i| if i < 25 { 20 } else { 100 });
    let report = info(std::slice::from_ref(&mjr), &ConvertOptions::default()).unwrap();
    let tracks = report.tracks.unwrap();
    let level = tracks.inputs[0]
        .source
        .as_ref()
        .unwrap()
        .audio_level
        .clone();
    let level = level.unwrap();
    assert!(!level.uses_voice_flag());
    assert_eq!(level.speaking_ms(), 500);
    assert!(level.speaking_by().contains("-50 dBov"));
}

#[test]
fn metadata_shows_as_the_comment_in_ffprobe_format_tags_for_mkv_and_mp4() {
    if !have_ffmpeg() {
        return;
    }
    let dir = temp_dir("metadata");
    let mjr = dir.join("video.mjr");
    std::fs::write(&mjr, recordings::video(Codec::H264)).unwrap();
    let options = ConvertOptions {
        metadata: Some("hello".into()),
        ..ConvertOptions::default()
    };
    for name in ["out.mkv", "out.mp4"] {
        let out = dir.join(name);
        convert(std::slice::from_ref(&mjr), &out, &options, &mut |_, _| {}).unwrap();
        let probe = run(
            "ffprobe",
            &[
                "-v",
                "error",
                "-show_format",
                "-of",
                "default=nw=1",
                out.to_str().unwrap(),
            ],
        )
        .to_lowercase();
        assert!(probe.contains("tag:comment=hello"), "{name}: {probe}");
        // The recording's start (2023-11-14T22:13:20Z, the first frame a little before) as the
        // recording date: DATE_RECORDED in Matroska, ©day ("date") in MP4.
        let date = if name.ends_with("mkv") {
            "date_recorded"
        } else {
            "date"
        };
        assert!(
            probe.contains(&format!("tag:{date}=2023-11-14t22:13:")),
            "{name}: {probe}"
        );
    }
}
