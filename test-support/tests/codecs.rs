//! Every codec Janus records, end to end: a recording made from a committed fixture by our
//! packetizers and MJR writer, converted by the library, then read by ffmpeg/ffprobe, which
//! must decode every frame without a word and find the same pictures and samples as in the
//! fixture.

use std::path::{Path, PathBuf};
use std::process::Command;

use mjrtool_convert::convert::{convert, ConvertOptions};
use mjrtool_core::Codec;
use mjrtool_test_support::recordings;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-codecs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs ffmpeg quietly (`-v error`) and returns (stdout, stderr).
fn ffmpeg(args: &[&str]) -> (Vec<u8>, String) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error"])
        .args(args)
        .output()
        .expect("ffmpeg is installed (apt-get install ffmpeg)");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The picture hashes of ffmpeg's decoding of `input`, and what it said.
fn framemd5(input: &Path, extra: &[&str]) -> (Vec<String>, String) {
    let mut args: Vec<&str> = extra.to_vec();
    let input = input.to_str().unwrap();
    args.extend(["-i", input, "-map", "0:v:0", "-f", "framemd5", "-"]);
    let (out, err) = ffmpeg(&args);
    let hashes = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .collect();
    (hashes, err)
}

fn ffprobe(path: &Path, entries: &str) -> String {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            entries,
            "-of",
            "compact=p=0:nk=1",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run(inputs: &[PathBuf], output: &Path) {
    convert(inputs, output, &ConvertOptions::default(), &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{}: {e}", output.display()));
}

#[test]
fn every_video_codec_converts_to_each_container_that_holds_it_with_the_fixtures_pictures() {
    let dir = temp_dir("video");
    let cases: &[(Codec, &str, &str, &[&str])] = &[
        (Codec::H264, "h264-160x120.h264", "h264", &["mp4", "mkv"]),
        (Codec::H265, "h265-160x120.h265", "hevc", &["mp4", "mkv"]),
        (
            Codec::Vp9,
            "vp9-160x120.ivf",
            "ivf",
            &["webm", "mkv", "mp4"],
        ),
        (
            Codec::Av1,
            "av1-160x120.ivf",
            "ivf",
            &["webm", "mkv", "mp4"],
        ),
    ];
    for (codec, fixture_name, demuxer, containers) in cases {
        let fixture_path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(fixture_name);
        let (want, err) = framemd5(&fixture_path, &["-f", demuxer]);
        assert!(
            err.is_empty() && want.len() == 30,
            "{codec}: {err} {}",
            want.len()
        );
        let mjr = write(
            &dir,
            &format!("{codec}.mjr"),
            &recordings::video(codec.clone()),
        );
        for ext in *containers {
            let out = dir.join(format!("{codec}.{ext}"));
            run(std::slice::from_ref(&mjr), &out);
            let (got, err) = framemd5(&out, &[]);
            assert!(err.is_empty(), "{codec} in .{ext}: ffmpeg says {err}");
            assert_eq!(
                got, want,
                "{codec} in .{ext}: other pictures than the fixture's"
            );
            let size = ffprobe(&out, "stream=width,height");
            assert_eq!(size, "160|120", "{codec} in .{ext}");
        }
    }
}

#[test]
fn g711_and_l16_become_wav_files_with_the_samples_ffmpeg_decodes_from_the_fixture() {
    let dir = temp_dir("pcm");
    let cases: &[(Codec, &str, &[&str])] = &[
        (
            Codec::Pcmu,
            "tone.pcmu",
            &["-f", "mulaw", "-ar", "8000", "-ac", "1"],
        ),
        (
            Codec::Pcma,
            "tone.pcma",
            &["-f", "alaw", "-ar", "8000", "-ac", "1"],
        ),
        (
            Codec::L16,
            "tone-16k.s16be",
            &["-f", "s16be", "-ar", "16000", "-ac", "1"],
        ),
        (
            Codec::L16_48,
            "tone-48k.s16be",
            &["-f", "s16be", "-ar", "48000", "-ac", "2"],
        ),
        (Codec::G722, "tone.g722", &["-f", "g722"]),
    ];
    for (codec, fixture_name, format) in cases {
        let fixture_path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(fixture_name);
        let mut args = format.to_vec();
        args.extend(["-i", fixture_path.to_str().unwrap(), "-f", "s16le", "-"]);
        let (want, err) = ffmpeg(&args);
        assert!(err.is_empty(), "{err}");
        let mjr = write(
            &dir,
            &format!("{codec}.mjr"),
            &recordings::audio(codec.clone()),
        );
        let wav = dir.join(format!("{codec}.wav"));
        run(&[mjr], &wav);
        let (got, err) = ffmpeg(&["-i", wav.to_str().unwrap(), "-f", "s16le", "-"]);
        assert!(err.is_empty(), "{codec}: ffmpeg says {err}");
        assert_eq!(got.len(), want.len(), "{codec}: sample count");
        assert!(
            got == want,
            "{codec}: other samples than ffmpeg's decoding of the fixture"
        );
        let duration: f64 = ffprobe(&wav, "format=duration").parse().unwrap();
        assert!((duration - 2.0).abs() < 0.001, "{codec}: {duration} s");
    }
}

#[test]
fn surround_opus_keeps_its_six_channels_in_ogg_and_matroska() {
    let dir = temp_dir("multiopus");
    let mjr = write(&dir, "surround.mjr", &recordings::audio(Codec::MultiOpus));
    for ext in ["opus", "mkv"] {
        let out = dir.join(format!("surround.{ext}"));
        run(std::slice::from_ref(&mjr), &out);
        assert_eq!(ffprobe(&out, "stream=channels"), "6", ".{ext}");
        let (pcm, err) = ffmpeg(&["-i", out.to_str().unwrap(), "-f", "s16le", "-"]);
        assert!(err.is_empty(), ".{ext}: ffmpeg says {err}");
        // 2 s of 6 channels at 48 kHz, give or take the pre-skip.
        let seconds = pcm.len() as f64 / (48_000.0 * 6.0 * 2.0);
        assert!((seconds - 2.0).abs() < 0.03, ".{ext}: {seconds} s");
    }
}

#[test]
fn captions_become_srt_and_webvtt_cues_with_their_arrival_times() {
    let dir = temp_dir("text");
    let mjr = write(
        &dir,
        "chat.mjr",
        &recordings::text(&[(0, "hello"), (1_500, "second line"), (9_000, "last")]),
    );
    let srt = dir.join("chat.srt");
    run(std::slice::from_ref(&mjr), &srt);
    let text = std::fs::read_to_string(&srt).unwrap();
    assert!(
        text.contains("00:00:00,000 --> 00:00:01,500\nhello"),
        "{text}"
    );
    assert!(
        text.contains("00:00:01,500 --> 00:00:06,500\nsecond line"),
        "{text}"
    );
    assert!(text.contains("00:00:09,000 --> "), "{text}");
    let vtt = dir.join("chat.vtt");
    run(&[mjr], &vtt);
    let (_, err) = ffmpeg(&["-i", vtt.to_str().unwrap(), "-f", "srt", "-"]);
    assert!(err.is_empty(), "{err}");
    assert!(std::fs::read_to_string(&vtt).unwrap().starts_with("WEBVTT"));
}

#[test]
fn a_whole_session_of_h264_g711_and_captions_is_one_matroska_file_that_decodes_cleanly() {
    let dir = temp_dir("session");
    let video = write(&dir, "v.mjr", &recordings::video(Codec::H264));
    let audio = write(&dir, "a.mjr", &recordings::audio(Codec::Pcmu));
    let data = write(
        &dir,
        "d.mjr",
        &recordings::text(&[(100, "hi"), (1_200, "there")]),
    );
    let out = dir.join("session.mkv");
    run(&[video, audio, data], &out);
    assert_eq!(
        ffprobe(&out, "stream=codec_name"),
        "h264\npcm_s16le\nsubrip"
    );
    let path = out.to_str().unwrap();
    let (_, err) = ffmpeg(&["-i", path, "-map", "0:v", "-map", "0:a", "-f", "null", "-"]);
    assert!(err.is_empty(), "ffmpeg says {err}");
    let (srt, err) = ffmpeg(&["-copyts", "-i", path, "-map", "0:s", "-f", "srt", "-"]);
    assert!(err.is_empty(), "ffmpeg says {err}");
    let srt = String::from_utf8(srt).unwrap();
    // Each message from its arrival until the next (the last for 5 s), within 2 ms.
    let cues = cue_times_ms(&srt);
    let want = [(100, 1_200), (1_200, 6_200)];
    assert_eq!(cues.len(), 2, "{srt}");
    for ((start, end), (ws, we)) in cues.iter().zip(want) {
        assert!((start - ws).abs() <= 2 && (end - we).abs() <= 2, "{srt}");
    }
    assert!(srt.contains("\nhi\n") && srt.contains("\nthere\n"), "{srt}");
    // The file lasts as long as its audio and video: the last caption's 5 s do not stretch it.
    let duration: f64 = ffprobe(&out, "format=duration").parse().unwrap();
    assert!((duration - 2.0).abs() < 0.01, "{duration} s");
    // The audio and the video start together, as recorded.
    let starts = ffprobe(&out, "stream=start_time");
    assert!(
        starts.lines().take(2).all(|s| s.starts_with("0.0")),
        "{starts}"
    );
}

/// The (start, end) of each SRT cue, in ms.
fn cue_times_ms(srt: &str) -> Vec<(i64, i64)> {
    let ms = |t: &str| -> i64 {
        let t = t.trim().replace(',', ":");
        let p: Vec<i64> = t.split(':').map(|x| x.parse().unwrap()).collect();
        ((p[0] * 60 + p[1]) * 60 + p[2]) * 1_000 + p[3]
    };
    srt.lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (ms(a), ms(b)))
        .collect()
}

#[test]
fn dtmf_events_and_comfort_noise_stay_out_of_the_audio_and_are_counted() {
    use mjr::{FormatVersion, Header, MjrWriter};
    use mjrtool_core::MediaKind;
    use rtp_depack::RtpBuilder;
    let dir = temp_dir("dtmf");
    let mut header = Header::new(MediaKind::Audio, Codec::Pcmu);
    header.version = FormatVersion::Mjr2;
    header.created_us = Some(recordings::START_US);
    header.first_written_us = Some(recordings::START_US);
    let mut w = MjrWriter::new(Vec::new(), &header).unwrap();
    let (mut audio, mut events, mut cn) = (
        RtpBuilder::new(7, 0),
        RtpBuilder::new(7, 101),
        RtpBuilder::new(7, 13),
    );
    let mut raw = Vec::new();
    for i in 0..100u32 {
        let ts = i * 160;
        if (40..50).contains(&i) {
            // A digit "5" for 200 ms (RFC 4733: event, E|R|volume, duration), sent as its own
            // packets with the same timestamp, in place of the audio.
            let end = if i == 49 { 0x80 } else { 0 };
            let duration = ((i - 39) * 160) as u16;
            let mut payload = vec![5, end | 10];
            payload.extend_from_slice(&duration.to_be_bytes());
            events.build(40 * 160, i == 40, &payload, &[], &mut raw);
            // The sequence numbers are shared by every payload type of the stream.
            audio.sequence = events.sequence;
            cn.sequence = events.sequence;
        } else if (60..62).contains(&i) {
            cn.build(ts, false, &[40], &[], &mut raw);
            audio.sequence = cn.sequence;
            events.sequence = cn.sequence;
        } else {
            audio.build(ts, false, &[0xFF; 160], &[], &mut raw);
            events.sequence = audio.sequence;
            cn.sequence = audio.sequence;
        }
        w.write_rtp(i * 20, &raw).unwrap();
    }
    let mjr = write(&dir, "dtmf.mjr", &w.finish().unwrap());
    let wav = dir.join("dtmf.wav");
    let report = convert(
        std::slice::from_ref(&mjr),
        &wav,
        &ConvertOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let stats = report.inputs[0].source.as_ref().unwrap();
    assert_eq!(stats.telephone_events, 1, "one digit");
    assert_eq!(stats.comfort_noise, 2);
    // The digit and the comfort noise leave holes that are filled with silence: the file keeps
    // its 2 s, and no event byte became a sample.
    let duration: f64 = ffprobe(&wav, "format=duration").parse().unwrap();
    assert!((duration - 2.0).abs() < 0.001, "{duration} s");
}

#[test]
fn a_recordplay_nfo_brings_its_data_channel_along_where_the_container_holds_it() {
    let dir = temp_dir("nfo");
    write(&dir, "v.mjr", &recordings::video(Codec::Vp9));
    write(&dir, "a.mjr", &recordings::audio(Codec::Opus));
    write(
        &dir,
        "d.mjr",
        &recordings::text(&[(100, "hi"), (1_200, "there")]),
    );
    let nfo = write(
        &dir,
        "rec.nfo",
        b"[12345]\nname = demo\ndate = 2023-11-14 22:13:20\naudio = a.mjr\nvideo = v.mjr\ndata = d.mjr\n",
    );
    // Matroska and WebM hold the captions beside the media.
    for ext in ["mkv", "webm"] {
        let out = dir.join(format!("rec.{ext}"));
        run(std::slice::from_ref(&nfo), &out);
        let codecs = ffprobe(&out, "stream=codec_type");
        assert_eq!(
            codecs.lines().filter(|l| *l == "subtitle").count(),
            1,
            ".{ext}: {codecs}"
        );
    }
    // MP4 does not: the captions are left out, with why, and the media converted.
    let out = dir.join("rec.mp4");
    let report = convert(
        std::slice::from_ref(&nfo),
        &out,
        &ConvertOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(ffprobe(&out, "stream=codec_name"), "opus\nvp9");
    let why = report.skipped[0].reason.to_string();
    assert!(why.contains("cannot hold this data channel"), "{why}");
}
