//! Data-channel messages of a Janus recording as files: SRT and WebVTT subtitles for text
//! messages, a raw dump for binary ones, each an [`mjrtool_core::FrameSink`].
//!
//! * [`SubtitleSink`] writes one [`mjrtool_core::Codec::Text`] track as [`SubtitleFormat::Srt`]
//!   or [`SubtitleFormat::WebVtt`]: each message is a cue from its `Placement::time` until the
//!   next message, within [`SubtitleOptions`] bounds (0.5 s to 5 s by default; see [`cue`]); its
//!   text is cleaned so that it cannot break the file (see [`text`]), and what was changed is
//!   counted in [`SubtitleStats`]. One cue is held back (its end depends on the next message),
//!   so memory stays bounded.
//! * [`BinaryDump`] writes one [`mjrtool_core::Codec::Binary`] track's messages back to back, as
//!   `janus-pp-rec` does.
//! * Any other track is refused at `open`, with what would hold it.
//!
//! ```
//! use bytes::Bytes;
//! use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
//! use mjrtool_subtitles::{SubtitleFormat, SubtitleSink};
//!
//! let mut sink = SubtitleSink::new(Vec::new(), SubtitleFormat::WebVtt);
//! sink.open(&[TrackSpec::new(Codec::Text)])?;
//! for (ms, text) in [(0, "hi"), (1_000, "a -> b\n\nc"), (30_000, "bye")] {
//!     let frame = Frame::new(Bytes::from_static(text.as_bytes()), 0, true);
//!     sink.write(0, Placement::at(Nanos::from_ms(ms)), &frame)?;
//! }
//! sink.finish(Nanos::from_ms(30_200))?;
//! let vtt = String::from_utf8(sink.into_inner()?).unwrap();
//! assert_eq!(
//!     vtt,
//!     "WEBVTT\n\n\
//!      00:00:00.000 --> 00:00:01.000\nhi\n\n\
//!      00:00:01.000 --> 00:00:06.000\na -&gt; b\nc\n\n\
//!      00:00:30.000 --> 00:00:30.500\nbye\n\n"
//! );
//! # Ok::<(), mjrtool_subtitles::SubtitleError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binary;
pub mod cue;
mod error;
mod sink;
pub mod text;

pub use binary::{BinaryDump, DumpStats};
pub use cue::SubtitleOptions;
pub use error::SubtitleError;
pub use sink::{SubtitleFormat, SubtitleSink, SubtitleStats};

/// Compiles the README example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
