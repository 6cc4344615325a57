//! The decoders against ffmpeg's (libavcodec's pcm_mulaw, pcm_alaw, g722 and pcm_s16be) on the
//! committed fixtures: the same bytes, every one. ffmpeg is required (CI has it).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use mjrtool_pcm::{alaw_to_s16le, l16_to_s16le, ulaw_to_s16le, G722Decoder};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures")).join(name)
}

/// ffmpeg's decoding of `fixture` (read as `format` with the extra input options) as s16le.
fn ffmpeg_s16le(format: &str, options: &[&str], name: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-f", format])
        .args(options)
        .arg("-i")
        .arg(fixture(name))
        .args(["-f", "s16le", "-"])
        .output()
        .expect("ffmpeg runs (it is required for this test)");
    assert!(
        out.status.success(),
        "ffmpeg failed on {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// ffmpeg's decoding of `input` (fed on its standard input as `format`) as s16le.
fn ffmpeg_s16le_of(format: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("ffmpeg")
        .args([
            "-v", "error", "-f", format, "-i", "pipe:0", "-f", "s16le", "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs (it is required for this test)");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Fed from a thread: ffmpeg writes while it reads, and both pipes are bounded.
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Panics with where and how far the two sample streams differ, if they do.
fn assert_same_samples(ours: &[u8], theirs: &[u8]) {
    let samples = |b: &[u8]| -> Vec<i16> {
        b.chunks_exact(2)
            .map(|p| i16::from_le_bytes([p[0], p[1]]))
            .collect()
    };
    let (a, b) = (samples(ours), samples(theirs));
    assert_eq!(a.len(), b.len(), "sample counts differ");
    let first = a.iter().zip(&b).position(|(x, y)| x != y);
    let max = a
        .iter()
        .zip(&b)
        .map(|(&x, &y)| (i32::from(x) - i32::from(y)).abs())
        .max()
        .unwrap_or(0);
    assert!(
        first.is_none(),
        "first difference at sample {first:?}, largest difference {max}"
    );
}

#[test]
fn mu_law_decodes_exactly_as_ffmpeg_does() {
    let input = std::fs::read(fixture("tone.pcmu")).unwrap();
    let mut ours = Vec::new();
    ulaw_to_s16le(&input, &mut ours);
    let theirs = ffmpeg_s16le("mulaw", &["-ar", "8000", "-ac", "1"], "tone.pcmu");
    assert_eq!(ours.len(), input.len() * 2);
    assert_same_samples(&ours, &theirs);
}

#[test]
fn a_law_decodes_exactly_as_ffmpeg_does() {
    let input = std::fs::read(fixture("tone.pcma")).unwrap();
    let mut ours = Vec::new();
    alaw_to_s16le(&input, &mut ours);
    let theirs = ffmpeg_s16le("alaw", &["-ar", "8000", "-ac", "1"], "tone.pcma");
    assert_same_samples(&ours, &theirs);
}

#[test]
fn g722_decodes_bit_exactly_as_ffmpeg_does() {
    let input = std::fs::read(fixture("tone.g722")).unwrap();
    // In 20 ms packets, as RTP carries it: the state runs on across them.
    let mut decoder = G722Decoder::new();
    let mut ours = Vec::new();
    for packet in input.chunks(160) {
        decoder.decode_to_s16le(packet, &mut ours);
    }
    let theirs = ffmpeg_s16le("g722", &[], "tone.g722");
    assert_eq!(ours.len(), input.len() * 4);
    assert_same_samples(&ours, &theirs);
}

#[test]
fn l16_decodes_exactly_as_ffmpeg_does() {
    for (name, rate, channels) in [
        ("tone-16k.s16be", "16000", "1"),
        ("tone-48k.s16be", "48000", "2"),
    ] {
        let input = std::fs::read(fixture(name)).unwrap();
        let mut ours = Vec::new();
        assert_eq!(l16_to_s16le(&input, &mut ours), 0);
        let theirs = ffmpeg_s16le("s16be", &["-ar", rate, "-ac", channels], name);
        assert_same_samples(&ours, &theirs);
    }
}

/// Codes no encoder sends, chosen to drive the adaptation to its limits: random bytes (the
/// lower band's unused codes 0..=3 included), runs of the largest levels of either sign (scale
/// factors and pole coefficients at their bounds, 16-bit saturation in the predictor and the
/// QMF), and fast alternations (the sign-sign updates flipping every sample).
fn harsh_g722() -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut bytes: Vec<u8> = (0..64_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    for (pattern, times) in [
        (&[0x3F][..], 4_000),
        (&[0x04], 4_000),
        (&[0x20, 0xDF], 4_000),
        (&[0xFF, 0x00], 4_000),
        (&[0x84, 0x3F, 0x7F], 3_000),
        (&[0xC4; 200], 20),
        (&[0x00, 0x01, 0x02, 0x03], 1_000),
    ] {
        for _ in 0..times {
            bytes.extend_from_slice(pattern);
        }
    }
    bytes
}

#[test]
fn g722_decodes_harsh_streams_bit_exactly_as_ffmpeg_does() {
    let input = harsh_g722();
    let mut ours = Vec::new();
    G722Decoder::new().decode_to_s16le(&input, &mut ours);
    assert_same_samples(&ours, &ffmpeg_s16le_of("g722", &input));
}
