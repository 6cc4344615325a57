//! WAV files checked by independent tools: `ffprobe -v error` finds nothing to say, the
//! duration is exact, and `ffmpeg -f s16le` decodes exactly the samples written. Each test
//! prints a note and passes when the tool is missing, unless MJRTOOL_REQUIRE_TOOLS is set.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_wav::{SeekOutput, StreamOutput, WavOutput, WavSink};

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

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mjrtool-wav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A committed big-endian fixture as little-endian samples.
fn fixture_le(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let be = std::fs::read(path).unwrap();
    be.chunks_exact(2).flat_map(|s| [s[1], s[0]]).collect()
}

fn pcm_track(rate: u32, channels: u8) -> TrackSpec {
    TrackSpec::new(Codec::PcmS16Le)
        .with_sample_rate(Some(rate))
        .with_channels(Some(channels))
}

/// Writes `pcm` as 20 ms frames from time 0 (skipping the frames whose index `skip` says) and
/// returns the output; the end is the end of the samples.
fn write_frames<O: WavOutput>(out: O, track: TrackSpec, pcm: &[u8], skip: &[usize]) -> O {
    let rate = track.audio_rate().unwrap();
    let block = 2 * usize::from(track.channels.unwrap_or(1));
    let frame_len = rate as usize / 50 * block;
    let mut sink = WavSink::new(out);
    sink.open(&[track]).unwrap();
    for (i, chunk) in pcm.chunks(frame_len).enumerate() {
        if skip.contains(&i) {
            continue;
        }
        let frame = Frame::new(Bytes::copy_from_slice(chunk), 0, true);
        let at = Placement::at(Nanos::from_ms(20 * i as i64));
        sink.write(0, at, &frame).unwrap();
    }
    let end = (pcm.len() / block) as i64 * 1_000_000_000 / i64::from(rate);
    sink.finish(Nanos(end)).unwrap();
    sink.into_inner().unwrap()
}

fn write_file(path: &Path, track: TrackSpec, pcm: &[u8], skip: &[usize]) {
    let out = write_frames(SeekOutput::new(Cursor::new(Vec::new())), track, pcm, skip);
    std::fs::write(path, out.into_inner().into_inner()).unwrap();
}

/// `ffmpeg -v error -i <input> -f s16le -`: the samples, asserting ffmpeg said nothing.
fn ffmpeg_samples(input: &str, stdin: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("ffmpeg")
        .args(["-v", "error", "-i", input, "-f", "s16le", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.map(<[u8]>::to_vec);
    let feeder = std::thread::spawn(move || {
        if let Some(d) = data {
            let _ = pipe.write_all(&d);
        }
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.is_empty(), "ffmpeg: {err}");
    out.stdout
}

/// ffprobe's format and stream durations and channel count, asserting it said nothing else.
fn ffprobe(path: &Path) -> (String, String, String) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries"])
        .arg("format=duration:stream=duration,channels")
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.is_empty(), "ffprobe: {err}");
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |k: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(k))
            .collect::<Vec<_>>()
            .join(" ")
    };
    (field("duration="), field("channels="), text)
}

fn check_file(name: &str, track: TrackSpec, pcm: &[u8], seconds: &str) {
    let path = tmp(name);
    write_file(&path, track.clone(), pcm, &[]);
    let (duration, channels, _) = ffprobe(&path);
    // The stream's duration, then the file's: both exact.
    assert_eq!(duration, format!("{seconds} {seconds}"));
    assert_eq!(channels, track.channels.unwrap().to_string());
    assert!(ffmpeg_samples(path.to_str().unwrap(), None) == pcm);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn the_16k_mono_tone_decodes_in_ffmpeg_to_exactly_our_samples_with_its_exact_duration() {
    if !(have("ffmpeg") && have("ffprobe")) {
        return;
    }
    let pcm = fixture_le("tone-16k.s16be");
    check_file("mono.wav", pcm_track(16_000, 1), &pcm, "2.000000");
}

#[test]
fn the_48k_stereo_tone_decodes_in_ffmpeg_to_exactly_our_samples_with_its_exact_duration() {
    if !(have("ffmpeg") && have("ffprobe")) {
        return;
    }
    let pcm = fixture_le("tone-48k.s16be");
    check_file("stereo.wav", pcm_track(48_000, 2), &pcm, "2.000000");
}

#[test]
fn a_six_channel_extensible_file_decodes_in_ffmpeg_to_exactly_our_samples() {
    if !(have("ffmpeg") && have("ffprobe")) {
        return;
    }
    // 1.5 s of six different ramps, one per channel.
    let pcm: Vec<u8> = (0..72_000i32)
        .flat_map(|n| (0..6).map(move |c| ((n * (c + 1) * 37) % 65_536 - 32_768) as i16))
        .flat_map(i16::to_le_bytes)
        .collect();
    check_file("six.wav", pcm_track(48_000, 6), &pcm, "1.500000");
}

#[test]
fn a_gap_between_frames_becomes_silence_of_the_right_length() {
    if !have("ffmpeg") {
        return;
    }
    let pcm = fixture_le("tone-16k.s16be");
    let path = tmp("gap.wav");
    // Frames 0 (so the file starts 20 ms late) and 10 to 19 (200 ms) are lost.
    write_file(
        &path,
        pcm_track(16_000, 1),
        &pcm,
        &[0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
    let mut expected = pcm.clone();
    expected[..640].fill(0);
    expected[6_400..12_800].fill(0);
    let got = ffmpeg_samples(path.to_str().unwrap(), None);
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_wav_written_to_a_pipe_is_read_by_ffmpeg_from_a_pipe() {
    if !have("ffmpeg") {
        return;
    }
    let pcm = fixture_le("tone-48k.s16be");
    let wav = write_frames(StreamOutput(Vec::new()), pcm_track(48_000, 2), &pcm, &[]).into_inner();
    assert_eq!(&wav[4..8], &[0xFF; 4]);
    assert_eq!(&wav[40..44], &[0xFF; 4]);
    assert!(ffmpeg_samples("pipe:0", Some(&wav)) == pcm);
}

/// A file whose silence is a hole (seek forward, nothing written): GiBs at no cost.
struct Sparse {
    f: std::fs::File,
    len: u64,
}

impl WavOutput for Sparse {
    fn seekable(&self) -> bool {
        true
    }
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.f.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }
    fn append_zeros(&mut self, n: u64) -> std::io::Result<()> {
        self.len += n;
        self.f.set_len(self.len)?;
        std::io::Seek::seek(&mut self.f, std::io::SeekFrom::Start(self.len))?;
        Ok(())
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.f.seek(SeekFrom::Start(offset))?;
        self.f.write_all(bytes)?;
        self.f.seek(SeekFrom::Start(self.len))?;
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.f.flush()
    }
}

#[test]
fn ffprobe_reads_the_exact_duration_of_a_sparse_rf64_file_past_4_gib() {
    if !have("ffprobe") {
        return;
    }
    let path = tmp("big.wav");
    let f = std::fs::File::create(&path).unwrap();
    let limits = mjrtool_wav::WavLimits {
        max_gap: Nanos::from_secs(24 * 3600),
        ..Default::default()
    };
    let mut sink = WavSink::new(Sparse { f, len: 0 }).with_limits(limits);
    sink.open(&[pcm_track(48_000, 1)]).unwrap();
    let frame = Frame::new(Bytes::from(vec![9u8; 1920]), 0, true);
    sink.write(0, Placement::at(Nanos::ZERO), &frame).unwrap();
    let late = Nanos::from_secs(45_000);
    sink.write(0, Placement::at(late), &frame).unwrap();
    sink.finish(late + Nanos::from_ms(20)).unwrap();
    drop(sink.into_inner().unwrap());
    assert!(std::fs::metadata(&path).unwrap().len() > 1 << 32);
    let (duration, _, text) = ffprobe(&path);
    assert_eq!(duration, "45000.020000 45000.020000", "{text}");
    std::fs::remove_file(path).unwrap();
}
