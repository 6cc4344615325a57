//! [`PcmDecoder`]: a [`FrameSource`] of G.711, G.722 or L16 frames turned into one of decoded
//! PCM ([`Codec::PcmS16Le`]), for containers that cannot hold those codecs (WAV, Matroska
//! without an ACM mapping, MP4).
//!
//! Rules, and why:
//!
//! * **Rate and clock.** The output track's rate is the decoder's: 8 kHz for G.711, 16 kHz for
//!   G.722 (whatever the spec says, since that is what the decoder makes), and the spec's
//!   [`TrackSpec::audio_rate`] for L16 (16 kHz for `l16`, 48 kHz for `l16-48`, or an fmtp
//!   rate). A PcmS16Le track's RTP timestamps count at its sample rate
//!   ([`TrackSpec::clock_rate`]), so each frame's timestamp is rescaled from the codec's RTP
//!   clock: ×2 for G.722 (16 kHz audio on an 8 kHz RTP clock, RFC 3551 section 4.5.2), ×1 for
//!   the others. An integer ratio multiplies modulo 2^32, so wrap-arounds stay wrap-arounds;
//!   another ratio (an unusual fmtp) goes through a timestamp unwrapper.
//! * **Everything else is kept:** the spec's start, channels (1 when unknown) and config; each
//!   frame's arrival time, keyframe, discontinuity and synthetic flags.
//! * **G.722 state.** The decoder's state runs on from frame to frame, and is reset at a
//!   [`Frame::discontinuity`] (a sender restart: a new encoder, starting from its reset
//!   state). A lost packet does not reset it: G.722's adaptation converges again by itself
//!   within a few milliseconds, as in any RTP receiver, and a reset would sound worse.
//! * **L16** frames of odd length lose their last byte; [`PcmStats::dropped_bytes`] counts them.
//!
//! Memory: one output buffer per frame (4 bytes per input byte at most, G.722), nothing kept
//! between frames but the G.722 state.

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSource, TrackSpec, TsUnwrapper};

use crate::{g711, l16, G722Decoder};

/// The decoders this crate has, one per encoded codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PcmCodec {
    /// G.711 µ-law ([`Codec::Pcmu`]).
    Ulaw,
    /// G.711 A-law ([`Codec::Pcma`]).
    Alaw,
    /// G.722 at 64 kbit/s ([`Codec::G722`]).
    G722,
    /// Big-endian linear 16-bit ([`Codec::L16`], [`Codec::L16_48`]).
    L16,
}

impl PcmCodec {
    /// The decoder for `codec`, if this crate has one.
    pub fn for_codec(codec: &Codec) -> Option<PcmCodec> {
        Some(match codec {
            Codec::Pcmu => PcmCodec::Ulaw,
            Codec::Pcma => PcmCodec::Alaw,
            Codec::G722 => PcmCodec::G722,
            Codec::L16 | Codec::L16_48 => PcmCodec::L16,
            _ => return None,
        })
    }
}

/// The source's codec has no decoder here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a PCMU, PCMA, G.722 or L16 track, found {codec}")]
pub struct UnsupportedCodec {
    /// The codec of the source.
    pub codec: Codec,
}

/// What can stop a [`PcmDecoder`]: decoding itself cannot fail, so only its source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcmError<E: std::error::Error + 'static> {
    /// The source of encoded frames failed.
    #[error(transparent)]
    Source(E),
}

/// Counters of a [`PcmDecoder`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PcmStats {
    /// Frames decoded.
    pub frames: u64,
    /// Samples handed out (all channels together).
    pub samples: u64,
    /// Trailing bytes of odd-length L16 frames, dropped.
    pub dropped_bytes: u64,
    /// G.722 decoder resets, one per discontinuity after the first frame.
    pub resets: u64,
}

/// RTP clock to sample clock.
#[derive(Debug, Clone)]
enum Rescale {
    /// The output clock is a whole multiple of the input's.
    Multiply(u32),
    /// Any other ratio: `out / in`, on unwrapped timestamps.
    Ratio {
        out: u32,
        input: u32,
        unwrapper: TsUnwrapper,
    },
}

impl Rescale {
    fn new(input: u32, out: u32) -> Rescale {
        if out % input == 0 {
            Rescale::Multiply(out / input)
        } else {
            Rescale::Ratio {
                out,
                input,
                unwrapper: TsUnwrapper::default(),
            }
        }
    }

    fn apply(&mut self, ts: u32) -> u32 {
        match self {
            Rescale::Multiply(k) => ts.wrapping_mul(*k),
            Rescale::Ratio {
                out,
                input,
                unwrapper,
            } => {
                let ticks = i128::from(unwrapper.unwrap(ts)) * i128::from(*out);
                // Modulo 2^32, as RTP timestamps are.
                ticks.div_euclid(i128::from(*input)) as u32
            }
        }
    }
}

/// Decodes the frames of a G.711, G.722 or L16 source into 16-bit little-endian PCM frames
/// ([`Codec::PcmS16Le`]); itself a [`FrameSource`]. See the [module docs](self) for the rules.
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use mjrtool_core::{Codec, Frame, FrameSource, TrackSpec};
/// use mjrtool_pcm::PcmDecoder;
///
/// /// Two 20 ms G.722 frames.
/// struct G722Track(u32);
/// impl FrameSource for G722Track {
///     type Error = std::convert::Infallible;
///     fn spec(&self) -> TrackSpec {
///         TrackSpec::new(Codec::G722)
///     }
///     fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
///         self.0 += 1;
///         Ok((self.0 <= 2).then(|| Frame::new(Bytes::from(vec![0xFA; 160]), self.0 * 160, true)))
///     }
/// }
///
/// let mut pcm = PcmDecoder::new(G722Track(0)).unwrap();
/// assert_eq!(pcm.spec().codec, Codec::PcmS16Le);
/// assert_eq!(pcm.spec().sample_rate, Some(16_000));
/// let frame = pcm.next_frame().unwrap().unwrap();
/// assert_eq!(frame.data.len(), 160 * 2 * 2); // 320 samples of 2 bytes
/// assert_eq!(frame.rtp_timestamp, 320); // the 8 kHz RTP clock counted at 16 kHz
/// ```
#[derive(Debug)]
pub struct PcmDecoder<S> {
    source: S,
    codec: PcmCodec,
    spec: TrackSpec,
    g722: G722Decoder,
    clock: Rescale,
    stats: PcmStats,
}

impl<S: FrameSource> PcmDecoder<S> {
    /// Decodes the frames of `source`.
    ///
    /// # Errors
    ///
    /// [`UnsupportedCodec`] when the source's codec is not PCMU, PCMA, G.722, L16 or L16_48.
    pub fn new(source: S) -> Result<PcmDecoder<S>, UnsupportedCodec> {
        let input = source.spec();
        let unsupported = || UnsupportedCodec {
            codec: input.codec.clone(),
        };
        let codec = PcmCodec::for_codec(&input.codec).ok_or_else(unsupported)?;
        let rate = match codec {
            PcmCodec::Ulaw | PcmCodec::Alaw => 8_000,
            PcmCodec::G722 => 16_000,
            PcmCodec::L16 => input
                .audio_rate()
                .filter(|&r| r > 0)
                .ok_or_else(unsupported)?,
        };
        let rtp_clock = input.clock_rate().map_or(rate, |c| c.hz());
        let mut spec = input.clone();
        spec.codec = Codec::PcmS16Le;
        spec.sample_rate = Some(rate);
        spec.channels = Some(input.channels.unwrap_or(1));
        Ok(PcmDecoder {
            source,
            codec,
            spec,
            g722: G722Decoder::new(),
            clock: Rescale::new(rtp_clock, rate),
            stats: PcmStats::default(),
        })
    }

    /// The counters so far.
    pub fn stats(&self) -> PcmStats {
        self.stats
    }

    /// The source, for what it knows beyond frames.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// The source back.
    pub fn into_inner(self) -> S {
        self.source
    }

    /// The decoded bytes of one frame's payload.
    fn decode(&mut self, frame: &Frame) -> Vec<u8> {
        let input = frame.data.contiguous();
        let input = &input[..];
        let mut out = Vec::with_capacity(input.len().saturating_mul(match self.codec {
            PcmCodec::G722 => 4,
            PcmCodec::Ulaw | PcmCodec::Alaw => 2,
            PcmCodec::L16 => 1,
        }));
        match self.codec {
            PcmCodec::Ulaw => g711::ulaw_to_s16le(input, &mut out),
            PcmCodec::Alaw => g711::alaw_to_s16le(input, &mut out),
            PcmCodec::G722 => {
                if frame.discontinuity && self.stats.frames > 0 {
                    self.g722.reset();
                    self.stats.resets += 1;
                }
                self.g722.decode_to_s16le(input, &mut out);
            }
            PcmCodec::L16 => {
                let dropped = l16::l16_to_s16le(input, &mut out);
                self.stats.dropped_bytes += dropped as u64;
            }
        }
        out
    }
}

impl<S: FrameSource> FrameSource for PcmDecoder<S> {
    type Error = PcmError<S::Error>;

    fn spec(&self) -> TrackSpec {
        self.spec.clone()
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
        let Some(frame) = self.source.next_frame().map_err(PcmError::Source)? else {
            return Ok(None);
        };
        let data = self.decode(&frame);
        self.stats.frames += 1;
        self.stats.samples += (data.len() / 2) as u64;
        let out = Frame::new(
            Bytes::from(data),
            self.clock.apply(frame.rtp_timestamp),
            frame.keyframe,
        )
        .with_arrival(frame.arrival)
        .with_size(frame.size)
        .with_discontinuity(frame.discontinuity)
        .with_synthetic(frame.synthetic)
        .with_config(frame.config);
        Ok(Some(out))
    }

    fn position(&self) -> u64 {
        self.source.position()
    }
}
