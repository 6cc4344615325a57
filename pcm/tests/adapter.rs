//! `PcmDecoder` as a frame source: the output track, timestamps, flags, decoder state.

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSource, Nanos, TrackSpec};
use mjrtool_pcm::{decode_g722, G722Decoder, PcmDecoder, PcmError};
use proptest::prelude::*;

/// A track of ready-made frames; fails after them if `fail` says so.
#[derive(Debug)]
struct Frames {
    spec: TrackSpec,
    frames: std::vec::IntoIter<Frame>,
    fail: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the recording is unreadable at byte 42")]
struct Unreadable;

impl FrameSource for Frames {
    type Error = Unreadable;
    fn spec(&self) -> TrackSpec {
        self.spec.clone()
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, Unreadable> {
        match self.frames.next() {
            Some(f) => Ok(Some(f)),
            None if self.fail => Err(Unreadable),
            None => Ok(None),
        }
    }
    fn position(&self) -> u64 {
        7
    }
}

fn source(spec: TrackSpec, frames: Vec<Frame>) -> Frames {
    Frames {
        spec,
        frames: frames.into_iter(),
        fail: false,
    }
}

/// The G.722 fixture, in 20 ms payloads (160 bytes).
fn g722_payloads() -> Vec<Bytes> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/tone.g722");
    let all = Bytes::from(std::fs::read(path).unwrap());
    (0..all.len() / 160)
        .map(|i| all.slice(i * 160..(i + 1) * 160))
        .collect()
}

fn drain<S: FrameSource>(s: &mut S) -> Vec<Frame> {
    std::iter::from_fn(|| s.next_frame().unwrap()).collect()
}

fn samples(frame: &Frame) -> Vec<i16> {
    frame
        .data
        .contiguous()
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect()
}

#[test]
fn the_output_track_is_pcm_at_the_decoder_s_rate_with_the_rest_of_the_spec_kept() {
    let start = Some(Nanos::from_secs(1_700_000_000));
    for (codec, channels, rate) in [
        (Codec::Pcmu, None, 8_000),
        (Codec::Pcma, None, 8_000),
        (Codec::G722, None, 16_000),
        (Codec::L16, None, 16_000),
        (Codec::L16_48, Some(2), 48_000),
    ] {
        let input = TrackSpec::new(codec.clone())
            .with_start(start)
            .with_channels(channels)
            .with_config(Some(Bytes::from_static(b"cfg")));
        let pcm = PcmDecoder::new(source(input, Vec::new())).unwrap();
        let spec = pcm.spec();
        assert_eq!(spec.codec, Codec::PcmS16Le, "{codec}");
        assert_eq!(spec.sample_rate, Some(rate), "{codec}");
        assert_eq!(spec.audio_rate(), Some(rate), "{codec}");
        assert_eq!(spec.clock_rate().map(|c| c.hz()), Some(rate), "{codec}");
        assert_eq!(spec.channels, Some(channels.unwrap_or(1)), "{codec}");
        assert_eq!(spec.start, start);
        assert_eq!(spec.config, Some(Bytes::from_static(b"cfg")));
        assert_eq!(pcm.position(), 7);
    }
}

#[test]
fn a_codec_without_a_decoder_is_refused_by_name() {
    let err = PcmDecoder::new(source(TrackSpec::new(Codec::Opus), Vec::new())).unwrap_err();
    assert_eq!(err.codec, Codec::Opus);
    assert_eq!(
        err.to_string(),
        "expected a PCMU, PCMA, G.722 or L16 track, found opus"
    );
}

#[test]
fn g722_timestamps_are_doubled_modulo_2_32_and_the_flags_are_kept() {
    let payloads = g722_payloads();
    let stamps = [u32::MAX - 159, 0, 160, 1_000_000];
    let frames: Vec<Frame> = stamps
        .iter()
        .zip(&payloads)
        .enumerate()
        .map(|(i, (&ts, p))| {
            Frame::new(p.clone(), ts, true)
                .with_arrival(Some(Nanos::from_ms(1_000 + 20 * i as i64)))
                .with_discontinuity(i == 3)
                .with_synthetic(i == 2)
        })
        .collect();
    let mut pcm = PcmDecoder::new(source(TrackSpec::new(Codec::G722), frames.clone())).unwrap();
    let out = drain(&mut pcm);
    assert_eq!(out.len(), 4);
    for (o, i) in out.iter().zip(&frames) {
        assert_eq!(o.rtp_timestamp, i.rtp_timestamp.wrapping_mul(2));
        assert_eq!(o.arrival, i.arrival);
        assert_eq!(o.discontinuity, i.discontinuity);
        assert_eq!(o.synthetic, i.synthetic);
        assert!(o.keyframe);
        assert_eq!(o.data.len(), 640);
    }
    // Wrapping stays wrapping: one frame later is 320 samples later, mod 2^32.
    assert_eq!(out[1].rtp_timestamp.wrapping_sub(out[0].rtp_timestamp), 320);
    assert_eq!(pcm.stats().samples, 4 * 320);
}

#[test]
fn g722_state_runs_on_across_frames_and_a_lost_packet_but_resets_at_a_discontinuity() {
    let payloads = g722_payloads();
    // Frames 0, 1, (2 lost), 3, then 4 after a sender restart.
    let kept = [0usize, 1, 3, 4];
    let frames: Vec<Frame> = kept
        .iter()
        .map(|&i| Frame::new(payloads[i].clone(), 160 * i as u32, true).with_discontinuity(i == 4))
        .collect();
    let mut pcm = PcmDecoder::new(source(TrackSpec::new(Codec::G722), frames)).unwrap();
    let out = drain(&mut pcm);

    // Up to the restart: one decoder over the packets received, the lost one skipped.
    let mut reference = G722Decoder::new();
    for (o, &i) in out.iter().zip(&kept[..3]) {
        let mut expected = Vec::new();
        reference.decode(&payloads[i], &mut expected);
        assert_eq!(samples(o), expected, "frame {i}");
    }
    // After it: a fresh decoder.
    assert_eq!(samples(&out[3]), decode_g722(&payloads[4]));
    assert_eq!(pcm.stats().resets, 1);
}

#[test]
fn g711_and_l16_frames_decode_sample_for_sample() {
    let frame = |data: &'static [u8]| vec![Frame::new(Bytes::from_static(data), 80, true)];
    let mut u = PcmDecoder::new(source(TrackSpec::new(Codec::Pcmu), frame(&[0xFF, 0x00]))).unwrap();
    let out = drain(&mut u);
    assert_eq!(
        (samples(&out[0]), out[0].rtp_timestamp),
        (vec![0, -32124], 80)
    );

    let mut a = PcmDecoder::new(source(TrackSpec::new(Codec::Pcma), frame(&[0xD5, 0x55]))).unwrap();
    assert_eq!(samples(&drain(&mut a)[0]), [8, -8]);

    let l16 = TrackSpec::new(Codec::L16_48).with_channels(Some(2));
    let mut l = PcmDecoder::new(source(l16, frame(&[0x01, 0x02, 0xFF, 0xFE, 0x7F]))).unwrap();
    let out = drain(&mut l);
    assert_eq!(
        (samples(&out[0]), out[0].rtp_timestamp),
        (vec![0x0102, -2], 80)
    );
    assert_eq!(l.stats().dropped_bytes, 1);
}

#[test]
fn a_source_error_comes_through_as_it_was() {
    let mut failing = source(TrackSpec::new(Codec::Pcmu), Vec::new());
    failing.fail = true;
    let mut pcm = PcmDecoder::new(failing).unwrap();
    let err = pcm.next_frame().unwrap_err();
    assert!(matches!(err, PcmError::Source(Unreadable)));
    assert_eq!(err.to_string(), "the recording is unreadable at byte 42");
}

proptest! {
    #[test]
    fn an_odd_l16_rate_rescales_timestamps_through_the_unwrapper(
        start in any::<u32>(),
        steps in proptest::collection::vec(0u32..100_000, 1..20),
    ) {
        // L16 at an fmtp rate of 44.1 kHz, on the codec's 16 kHz RTP clock per the contract:
        // each step of the input becomes step * 44100 / 16000 (to within one tick of rounding).
        let spec = TrackSpec::new(Codec::L16).with_sample_rate(Some(44_100));
        let mut ts = start;
        let mut frames = vec![Frame::new(Bytes::new(), ts, true)];
        for s in &steps {
            ts = ts.wrapping_add(*s);
            frames.push(Frame::new(Bytes::new(), ts, true));
        }
        let mut pcm = PcmDecoder::new(source(spec, frames)).unwrap();
        let out = drain(&mut pcm);
        for (w, s) in out.windows(2).zip(&steps) {
            let got = i64::from(w[1].rtp_timestamp.wrapping_sub(w[0].rtp_timestamp));
            let want = i64::from(*s) * 44_100 / 16_000;
            prop_assert!((got - want).abs() <= 1, "{} vs {}", got, want);
        }
    }
}
