//! RIFF/WAVE files of one 16-bit PCM track, written through [`mjrtool_core::FrameSink`].
//!
//! * [`WavSink`] takes one [`mjrtool_core::Codec::PcmS16Le`] track (decoded audio: channels from
//!   `TrackSpec::channels`, 1 when it does not say; rate from `TrackSpec::audio_rate`) and
//!   refuses anything else at `open`, naming what would hold it. Files of one or two channels
//!   are `WAVE_FORMAT_PCM`, files of more `WAVE_FORMAT_EXTENSIBLE` with a channel mask.
//! * A WAV file has no timestamps: the sink keeps it aligned with the other tracks of its session
//!   by inserting silence before frames that start later than the samples written so far, and
//!   trimming frames that overlap them ([`place`]). Silence is bounded by [`WavLimits`].
//! * [`WavOutput`] is where the file goes: a [`SeekOutput`] gets its sizes fixed at the end
//!   (and becomes RF64, EBU Tech 3306, past 4 GiB: see [`header`]); a [`StreamOutput`] (a pipe)
//!   keeps the sizes "unknown" (0xFFFFFFFF), which ffmpeg reads up to the end of the stream.
//!
//! ```
//! use std::io::Cursor;
//! use bytes::Bytes;
//! use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
//! use mjrtool_wav::{StreamOutput, WavSink};
//!
//! // One second of a stereo 48 kHz ramp, to a pipe-like output.
//! let mut sink = WavSink::new(StreamOutput(Vec::new()));
//! let track = TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(48_000)).with_channels(Some(2));
//! sink.open(&[track])?;
//! for i in 0..50i64 {
//!     let pcm: Vec<u8> = (0..960 * 2).flat_map(|s: i16| s.to_le_bytes()).collect();
//!     let frame = Frame::new(Bytes::from(pcm), (i * 960) as u32, true);
//!     sink.write(0, Placement::at(Nanos::from_ms(20 * i)), &frame)?;
//! }
//! sink.finish(Nanos::from_secs(1))?;
//! assert_eq!(sink.stats().samples, 48_000);
//! let wav = sink.into_inner()?.into_inner();
//! assert_eq!(&wav[..4], b"RIFF");
//! assert_eq!(&wav[4..8], &[0xFF; 4]); // size unknown on a stream
//! assert_eq!(wav.len(), 44 + 48_000 * 4);
//! # Ok::<(), mjrtool_wav::WavError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod header;
mod output;
pub mod place;
mod sink;

pub use error::WavError;
pub use output::{SeekOutput, StreamOutput, WavOutput};
pub use sink::{WavLimits, WavSink, WavStats, MAX_RATE};

/// Compiles the README example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
