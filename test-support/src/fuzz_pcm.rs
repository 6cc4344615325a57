//! The body of the `g722_decode` fuzz target: the G.722 decoder and the [`PcmDecoder`] adapter
//! over arbitrary bytes.
//!
//! Input layout: byte 0 picks the codec (PCMU, PCMA, G.722, L16, L16_48; G.722 for most
//! values, the one that has state) and byte 1 seeds the frame sizes and flags; the rest is cut
//! into frames of 0..=255 bytes, each with a timestamp step and a discontinuity flag drawn from
//! that seed. Checked: nothing panics; every frame decodes to its exact size (4 bytes per G.722
//! byte, 2 per G.711 byte, L16 less an odd byte); timestamps are the input's rescaled, flags
//! kept; and the adapter's G.722 output equals one decoder run over the whole payload, reset
//! exactly at the discontinuities.

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSource, Nanos, TrackSpec};
use mjrtool_pcm::{G722Decoder, PcmDecoder};

/// Frames handed out from a list.
struct List {
    spec: TrackSpec,
    frames: std::vec::IntoIter<Frame>,
}

impl FrameSource for List {
    type Error = std::convert::Infallible;
    fn spec(&self) -> TrackSpec {
        self.spec.clone()
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
        Ok(self.frames.next())
    }
}

/// The codec byte 0 picks.
fn codec(b: u8) -> Codec {
    match b % 8 {
        0 => Codec::Pcmu,
        1 => Codec::Pcma,
        2 => Codec::L16,
        3 => Codec::L16_48,
        _ => Codec::G722,
    }
}

/// Cuts `payload` into frames, sizes and flags from a small generator seeded by `seed`.
fn frames(payload: &Bytes, seed: u8) -> Vec<Frame> {
    let mut state = u32::from(seed) | 0x100;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut out = Vec::new();
    let (mut at, mut ts) = (0, 0u32);
    while at < payload.len() {
        let r = next();
        let len = ((r & 0xFF) as usize).min(payload.len() - at);
        ts = ts.wrapping_add(r >> 8);
        let frame = Frame::new(payload.slice(at..at + len), ts, true)
            .with_arrival(Some(Nanos::from_ms(i64::from(r >> 20))))
            .with_discontinuity(r & 0x0300 == 0x0300);
        out.push(frame);
        at += len.max(1);
    }
    out
}

/// Decodes the frames the input describes; panics on a broken promise.
pub fn g722_decode(data: &[u8]) {
    let [c, seed, rest @ ..] = data else {
        // Too short to describe frames: still a G.722 stream.
        assert_eq!(mjrtool_pcm::decode_g722(data).len(), data.len() * 2);
        return;
    };
    let codec = codec(*c);
    let input = frames(&Bytes::copy_from_slice(rest), *seed);
    let source = List {
        spec: TrackSpec::new(codec.clone()),
        frames: input.clone().into_iter(),
    };
    let Ok(mut pcm) = PcmDecoder::new(source) else {
        unreachable!("{codec} has a decoder");
    };
    let factor = match codec {
        Codec::G722 => 2,
        _ => 1,
    };
    let mut reference = G722Decoder::new();
    let mut expected = Vec::new();
    for (i, frame) in input.iter().enumerate() {
        let Ok(Some(out)) = pcm.next_frame() else {
            unreachable!("a frame for every frame");
        };
        let n = frame.data.len();
        let size = match codec {
            Codec::G722 => 4 * n,
            Codec::L16 | Codec::L16_48 => n & !1,
            _ => 2 * n,
        };
        assert_eq!(out.data.len(), size);
        assert_eq!(out.rtp_timestamp, frame.rtp_timestamp.wrapping_mul(factor));
        assert_eq!(
            (out.arrival, out.discontinuity),
            (frame.arrival, frame.discontinuity)
        );
        if codec == Codec::G722 {
            if frame.discontinuity && i > 0 {
                reference.reset();
            }
            expected.clear();
            reference.decode_to_s16le(&frame.data.contiguous(), &mut expected);
            assert_eq!(out.data, expected);
        }
    }
    assert!(matches!(pcm.next_frame(), Ok(None)));
}
