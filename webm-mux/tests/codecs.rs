//! Every codec the muxer writes besides VP8 and Opus, muxed from the committed fixtures through
//! the `FrameSink` and checked by ffmpeg (decodes without a word, same pictures or samples as
//! the fixture), ffprobe (codec, size, rate, channels) and mkvinfo.

use std::io::Cursor;
use std::path::Path;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use mjrtool_test_support::fixtures::{self, H26x};
use mjrtool_test_support::tools::{self, have, probe};
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
    let stream = fixtures::fixture("h264-160x120.h264");
    let sps = fixtures::find_nal(&stream, |n| n[0] & 0x1F == 7);
    let pps = fixtures::find_nal(&stream, |n| n[0] & 0x1F == 8);
    let frames = fixtures::access_units(&stream, H26x::H264)
        .iter()
        .map(|u| (u.key, u.length_prefixed()))
        .collect();
    (frames, fixtures::avcc(sps, pps))
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
        tools::assert_decodes_cleanly(&path, filters);
    }
    if have("mkvinfo") {
        tools::assert_mkvinfo_accepts(&path);
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
    let muxed = tools::picture_md5s(&["-i", path.to_str().unwrap()]);
    let fixture = tools::picture_md5s(fixture_args);
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
    let dir = tools::temp_dir("h264");
    let (path, parsed) = check_file(&dir, "h264.mkv", &file);
    let t = &parsed.tracks[0];
    assert_eq!(t.codec_id, "V_MPEG4/ISO/AVC");
    assert_eq!(t.codec_private.as_deref(), Some(&avcc[..]));
    assert_eq!(parsed.cues.len(), 2, "a cue on each keyframe");
    let fixture = fixtures::fixture_path("h264-160x120.h264");
    let fixture = fixture.to_str().unwrap();
    assert_same_pictures(&path, "h264", &["-f", "h264", "-i", fixture], 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn h265_access_units_make_a_matroska_file_that_decodes_to_the_fixtures_pictures() {
    let stream = fixtures::fixture("h265-160x120.h265");
    let nal = |t: u8| fixtures::find_nal(&stream, move |n| (n[0] >> 1) & 0x3F == t);
    let hvcc = fixtures::hvcc(nal(32), nal(33), nal(34));
    let frames: Vec<(bool, Vec<u8>)> = fixtures::access_units(&stream, H26x::H265)
        .iter()
        .map(|u| (u.key, u.length_prefixed()))
        .collect();
    assert_eq!(frames.len(), 30);
    let spec = video_spec(Codec::H265, Some(hvcc.clone()));
    // The fixture has B-frames (x265's default; WebRTC senders use none). A FrameSink gets
    // times that never decrease, so the frames are written in decoding order at increasing
    // times; the decoder hands the pictures back in display order with those times, out of
    // order, so ffmpeg renumbers them (setpts=N) before its output checks their order. The
    // pictures themselves are compared below.
    let file = mux(DocType::Matroska, &[spec], &video_puts(frames));
    let dir = tools::temp_dir("h265");
    let (path, parsed) = check_file_with(&dir, "h265.mkv", &file, &["-vf", "setpts=N"]);
    assert_eq!(parsed.tracks[0].codec_id, "V_MPEGH/ISO/HEVC");
    assert_eq!(parsed.tracks[0].codec_private.as_deref(), Some(&hvcc[..]));
    let fixture = fixtures::fixture_path("h265-160x120.h265");
    let fixture = fixture.to_str().unwrap();
    assert_same_pictures(&path, "hevc", &["-f", "hevc", "-i", fixture], 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vp9_frames_make_webm_and_matroska_files_that_decode_to_the_fixtures_pictures() {
    let frames: Vec<(bool, Vec<u8>)> = fixtures::ivf_fixture("vp9-160x120.ivf")
        .into_iter()
        .map(|f| (fixtures::vp9_keyframe(&f), f))
        .collect();
    assert_eq!(frames.iter().filter(|f| f.0).count(), 2);
    let dir = tools::temp_dir("vp9");
    for (doc_type, name) in [(DocType::Webm, "vp9.webm"), (DocType::Matroska, "vp9.mkv")] {
        let puts = video_puts(frames.clone());
        let file = mux(doc_type, &[video_spec(Codec::Vp9, None)], &puts);
        let (path, parsed) = check_file(&dir, name, &file);
        assert_eq!(parsed.doc_type, doc_type.name());
        let t = &parsed.tracks[0];
        assert_eq!((t.codec_id.as_str(), &t.codec_private), ("V_VP9", &None));
        assert_eq!((t.width, t.height), (Some(160), Some(120)));
        let fixture = fixtures::fixture_path("vp9-160x120.ivf");
        let fixture = fixture.to_str().unwrap();
        assert_same_pictures(&path, "vp9", &["-i", fixture], 30);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn av1_temporal_units_make_webm_and_matroska_files_that_decode_to_the_fixtures_pictures() {
    let units = fixtures::ivf_fixture("av1-160x120.ivf");
    let av1c = fixtures::av1c(&units[0]);
    let frames: Vec<(bool, Vec<u8>)> = units
        .iter()
        .map(|tu| fixtures::strip_temporal_delimiters(tu))
        .collect();
    assert_eq!(frames.iter().filter(|f| f.0).count(), 2);
    assert!(frames.iter().all(|(_, tu)| tu[0] >> 3 != 2), "no delimiter");
    let dir = tools::temp_dir("av1");
    for (doc_type, name) in [(DocType::Webm, "av1.webm"), (DocType::Matroska, "av1.mkv")] {
        let spec = video_spec(Codec::Av1, Some(av1c.clone()));
        let file = mux(doc_type, &[spec], &video_puts(frames.clone()));
        let (path, parsed) = check_file(&dir, name, &file);
        assert_eq!(parsed.tracks[0].codec_id, "V_AV1");
        assert_eq!(parsed.tracks[0].codec_private.as_deref(), Some(&av1c[..]));
        let fixture = fixtures::fixture_path("av1-160x120.ivf");
        let fixture = fixture.to_str().unwrap();
        assert_same_pictures(&path, "av1", &["-i", fixture], 30);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Opus packets of an Ogg Opus fixture, each placed after the samples before it, and its
/// OpusHead.
fn opus_puts(name: &str, track: usize) -> (Vec<Put>, Vec<u8>) {
    let (head, packets) = fixtures::opus_packets(name);
    let mut samples = 0i64;
    let puts = packets
        .into_iter()
        .map(|data| {
            let time = Nanos(samples * 1_000_000_000 / 48_000);
            samples += i64::from(ogg_opus::toc::packet_samples(&data).unwrap());
            Put {
                track,
                time,
                duration: None,
                keyframe: true,
                data,
            }
        })
        .collect();
    (puts, head.to_bytes())
}

/// What ffmpeg decodes from the first audio stream of `input`, as 16-bit samples.
fn decoded_audio(input: &str) -> Vec<u8> {
    let out = std::process::Command::new("ffmpeg")
        .args([
            "-v", "error", "-i", input, "-map", "0:a:0", "-f", "s16le", "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty());
    out.stdout
}

#[test]
fn pcm_s16le_makes_a_matroska_file_that_decodes_to_the_fixtures_samples() {
    let be = fixtures::fixture("tone-16k.s16be");
    let le: Vec<u8> = be.chunks(2).flat_map(|s| [s[1], s[0]]).collect();
    let puts: Vec<Put> = le
        .chunks(640) // 20 ms of 16 kHz mono
        .enumerate()
        .map(|(i, data)| Put {
            track: 0,
            time: Nanos::from_ms(20 * i as i64),
            duration: None,
            keyframe: true,
            data: data.to_vec(),
        })
        .collect();
    let spec = TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(16_000));
    let file = mux(DocType::Matroska, &[spec], &puts);
    let dir = tools::temp_dir("pcm");
    let (path, parsed) = check_file(&dir, "pcm.mka", &file);
    let t = &parsed.tracks[0];
    assert_eq!(t.codec_id, "A_PCM/INT/LIT");
    let audio = (t.sample_rate, t.channels, t.bit_depth);
    assert_eq!(audio, (Some(16_000.0), Some(1), Some(16)));
    if have("ffprobe") && have("ffmpeg") {
        let info = probe(&path, "a:0", "codec_name,sample_rate,channels");
        assert_eq!(
            info,
            "codec_name=pcm_s16le\nsample_rate=16000\nchannels=1\n"
        );
        assert!(
            decoded_audio(path.to_str().unwrap()) == le,
            "the same samples"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_pcm_block_of_part_of_a_sample_is_refused() {
    let spec = TrackSpec::new(Codec::PcmS16Le)
        .with_sample_rate(Some(48_000))
        .with_channels(Some(2));
    let options = MuxerOptions {
        doc_type: DocType::Matroska,
        ..MuxerOptions::default()
    };
    let mut m = Muxer::create(Cursor::new(Vec::new()), options).unwrap();
    m.open(&[spec]).unwrap();
    let at = Placement::at(Nanos::ZERO);
    let e = m.write(0, at, &Frame::new(Bytes::from(vec![0; 6]), 0, true));
    assert_eq!(
        e.unwrap_err().to_string(),
        "track 1: expected a PCM block of whole samples (every channel), found 6 bytes, not a \
         multiple of 4"
    );
    m.write(0, at, &Frame::new(Bytes::from(vec![0; 8]), 0, true))
        .unwrap();
}

#[test]
fn surround_opus_makes_webm_and_matroska_files_with_its_opushead_and_six_channels() {
    let (puts, head) = opus_puts("surround.opus", 0);
    assert_eq!(head[18], 1, "channel mapping family 1");
    let spec = TrackSpec::new(Codec::MultiOpus).with_config(Some(Bytes::from(head.clone())));
    let dir = tools::temp_dir("surround");
    let fixture = fixtures::fixture_path("surround.opus");
    let fixture = fixture.to_str().unwrap();
    for (doc_type, name) in [(DocType::Webm, "51.webm"), (DocType::Matroska, "51.mka")] {
        let file = mux(doc_type, std::slice::from_ref(&spec), &puts);
        let (path, parsed) = check_file(&dir, name, &file);
        let t = &parsed.tracks[0];
        assert_eq!(t.codec_id, "A_OPUS");
        assert_eq!(t.codec_private.as_deref(), Some(&head[..]));
        assert_eq!(t.channels, Some(6));
        let pre_skip = u64::from(u16::from_le_bytes([head[10], head[11]]));
        assert_eq!(t.codec_delay_ns, Some(pre_skip * 1_000_000_000 / 48_000));
        assert_eq!(t.seek_preroll_ns, Some(80_000_000));
        if have("ffprobe") && have("ffmpeg") {
            let info = probe(&path, "a:0", "codec_name,sample_rate,channels");
            assert_eq!(info, "codec_name=opus\nsample_rate=48000\nchannels=6\n");
            let muxed = decoded_audio(path.to_str().unwrap());
            // The same samples as the Ogg file after its pre-skip; the Ogg file also cuts the
            // last packet's padding by its granule position (Matroska: DiscardPadding, which
            // this muxer does not write), so the muxed audio goes on up to a packet longer.
            let ogg = decoded_audio(fixture);
            assert!(muxed.starts_with(&ogg), "the same samples as the Ogg file");
            assert!(muxed.len() - ogg.len() < 960 * 12, "at most a packet more");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Data-channel messages: (start ms, duration ms, text).
const MESSAGES: [(i64, i64, &str); 4] = [
    (0, 1500, "hello"),
    (2000, 1000, "two\nlines"),
    (2500, 1500, "a < b & c"),
    (3200, 600, "héllo ✓"),
];

/// `MESSAGES` as frames of track `track`.
fn text_puts(track: usize) -> Vec<Put> {
    MESSAGES
        .iter()
        .map(|&(start, duration, text)| Put {
            track,
            time: Nanos::from_ms(start),
            duration: Some(Nanos::from_ms(duration)),
            keyframe: true,
            data: text.as_bytes().to_vec(),
        })
        .collect()
}

/// `a` and `b` merged in time order (`a` first at equal times).
fn merge(a: Vec<Put>, b: Vec<Put>) -> Vec<Put> {
    let mut all: Vec<Put> = a.into_iter().chain(b).collect();
    all.sort_by_key(|p| p.time);
    all
}

/// What ffmpeg makes of the file's subtitle track as SubRip, with the file's own times
/// (`-copyts`: without it ffmpeg moves everything by the Opus track's CodecDelay, rounded up)
/// and `\n` line breaks (its SubRip writer breaks WebVTT lines with `\r\n`).
fn srt(path: &Path) -> String {
    let p = path.to_str().unwrap();
    let (ok, out, err) = tools::run(
        "ffmpeg",
        &[
            "-v", "error", "-copyts", "-i", p, "-map", "0:s", "-f", "srt", "-",
        ],
    );
    assert!(ok && err.is_empty(), "{err}");
    out.replace("\r\n", "\n")
}

/// The SubRip file of `MESSAGES`.
fn expected_srt() -> String {
    let time = |ms: i64| {
        let s = ms / 1000;
        format!("00:00:{:02},{:03}", s, ms % 1000)
    };
    MESSAGES
        .iter()
        .enumerate()
        .map(|(i, &(start, duration, text))| {
            format!(
                "{}\n{} --> {}\n{text}\n\n",
                i + 1,
                time(start),
                time(start + duration)
            )
        })
        .collect()
}

#[test]
fn text_messages_become_subtitles_with_their_times_and_texts_in_webm_and_matroska() {
    let (opus, _) = opus_puts("tone.opus", 0);
    let puts = merge(opus, text_puts(1));
    let specs = [
        TrackSpec::new(Codec::Opus).with_channels(Some(1)),
        TrackSpec::new(Codec::Text),
    ];
    let dir = tools::temp_dir("text");
    for (doc_type, name, codec_id) in [
        (DocType::Webm, "text.webm", "D_WEBVTT/SUBTITLES"),
        (DocType::Matroska, "text.mkv", "S_TEXT/UTF8"),
    ] {
        let file = mux(doc_type, &specs, &puts);
        let (path, parsed) = check_file(&dir, name, &file);
        let t = &parsed.tracks[1];
        assert_eq!((t.codec_id.as_str(), t.track_type), (codec_id, 0x11));
        assert_eq!(t.default, Some(false));
        let subs: Vec<_> = parsed.blocks.iter().filter(|b| b.track == 2).collect();
        assert_eq!(subs.len(), MESSAGES.len());
        for (b, &(start, duration, _)) in subs.iter().zip(&MESSAGES) {
            assert_eq!(
                (b.timestamp_ms, b.duration_ms),
                (start, Some(duration as u64))
            );
        }
        assert!(
            parsed.cues.iter().all(|c| c.track == 1),
            "cues on audio only"
        );
        if have("ffmpeg") {
            assert_eq!(srt(&path), expected_srt(), "{name}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_matroska_file_holds_h264_opus_and_text_together() {
    let (frames, avcc) = h264_frames();
    let (opus, _) = opus_puts("tone.opus", 1);
    let puts = merge(merge(video_puts(frames), opus), text_puts(2));
    let specs = [
        video_spec(Codec::H264, Some(avcc)),
        TrackSpec::new(Codec::Opus).with_channels(Some(1)),
        TrackSpec::new(Codec::Text),
    ];
    let file = mux(DocType::Matroska, &specs, &puts);
    let dir = tools::temp_dir("together");
    let (path, parsed) = check_file(&dir, "all.mkv", &file);
    let ids: Vec<&str> = parsed.tracks.iter().map(|t| t.codec_id.as_str()).collect();
    assert_eq!(ids, ["V_MPEG4/ISO/AVC", "A_OPUS", "S_TEXT/UTF8"]);
    assert!(!parsed.cues.is_empty() && parsed.cues.iter().all(|c| c.track == 1));
    if have("ffprobe") && have("ffmpeg") {
        let codecs: Vec<String> = ["v", "a", "s"]
            .iter()
            .map(|kind| probe(&path, kind, "codec_name"))
            .collect();
        assert_eq!(
            codecs,
            [
                "codec_name=h264\n",
                "codec_name=opus\n",
                "codec_name=subrip\n"
            ]
        );
        let fixture = fixtures::fixture_path("h264-160x120.h264");
        let fixture = fixture.to_str().unwrap();
        assert_same_pictures(&path, "h264", &["-f", "h264", "-i", fixture], 30);
        assert_eq!(srt(&path), expected_srt());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_text_frame_without_a_duration_is_refused() {
    let mut m = Muxer::create(Cursor::new(Vec::new()), MuxerOptions::default()).unwrap();
    m.open(&[TrackSpec::new(Codec::Text)]).unwrap();
    let frame = Frame::new(Bytes::from_static(b"hi"), 0, true);
    let e = m.write(0, Placement::at(Nanos::ZERO), &frame).unwrap_err();
    assert_eq!(
        e.to_string(),
        "track 1: expected a subtitle with a duration (Placement::duration), found none"
    );
}
