//! One timeline of several tracks from Janus recordings, handed to any muxer.
//!
//! Janus records each medium of a session into its own `.mjr` file. This crate turns several such
//! recordings into one time-ordered stream of codec frames, without re-encoding:
//!
//! * [`MjrTrack`] reads a recording as frames (MJR reader -> RTP -> reordering -> depacketizer);
//!   any other [`FrameSource`] can be mixed too;
//! * [`TrackClock`] places each frame on a wall-clock timeline using the RTP timestamps and the
//!   recording's own times (header `u`/`s`, MJR00002 packet times), re-anchoring across sender
//!   restarts and timestamp jumps, so audio that started 2 s after video plays 2 s after it;
//! * [`OpusGapFiller`] keeps audio in step across losses and DTX pauses with silence packets;
//! * [`Mixer`] merges the tracks in time order into a [`FrameSink`] — implemented here for
//!   [`webm_mux::Muxer`] and [`ogg_opus::OggOpusWriter`] — holding only a few frames per track.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use mixer::{CollectSink, Error, FrameSource, Mixer, MixerOptions, SourceFrame, TrackCodec};
//!
//! /// Ten 20 ms Opus packets starting at a given wall-clock time.
//! struct Tone { start_ns: i64, left: u32 }
//! impl FrameSource for Tone {
//!     fn codec(&self) -> TrackCodec { TrackCodec::Opus }
//!     fn start_ns(&self) -> Option<i64> { Some(self.start_ns) }
//!     fn next_frame(&mut self) -> Result<Option<SourceFrame>, Error> {
//!         if self.left == 0 { return Ok(None); }
//!         self.left -= 1;
//!         Ok(Some(SourceFrame {
//!             rtp_timestamp: (9 - self.left) * 960,
//!             arrival_ns: None,
//!             keyframe: true,
//!             data: Bytes::from_static(&[0xF8, 0xFF, 0xFE]),
//!             size: None,
//!             discontinuity: false,
//!         }))
//!     }
//! }
//!
//! let early = Tone { start_ns: 1_000_000_000, left: 10 };
//! let late = Tone { start_ns: 3_000_000_000, left: 10 }; // starts 2 s later
//! let mut mixer = Mixer::new(vec![Box::new(early), Box::new(late)], MixerOptions::default());
//! let infos = mixer.prepare()?;
//! assert_eq!(infos[1].offset_ns, 2_000_000_000);
//! let mut sink = CollectSink::default();
//! let summary = mixer.run(&mut sink, &mut |_| {})?;
//! assert_eq!(sink.frames.len(), 20);
//! assert_eq!(summary.duration_ns, 2_200_000_000);
//! # Ok::<(), Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod gapfill;
mod mix;
pub mod sink;
pub mod source;

pub use clock::{ClockConfig, TrackClock};
pub use gapfill::{OpusGapFiller, Placed, OPUS_SILENCE_20MS};
pub use mix::{Mixer, MixerOptions, Progress, Summary, TrackInfo, TrackSummary};
pub use sink::{CollectSink, FrameSink, NullSink};
pub use source::{FrameSource, MjrTrack, SourceFrame, TrackCodec, TrackStats};

/// Everything that can stop a mix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A recording could not be read.
    #[error(transparent)]
    Mjr(#[from] mjr::Error),
    /// The WebM/Matroska muxer refused a block or could not write.
    #[error(transparent)]
    Mux(#[from] webm_mux::MuxError),
    /// The Ogg Opus writer refused a packet or could not write.
    #[error(transparent)]
    Ogg(#[from] ogg_opus::OggError),
    /// An I/O error outside the readers and writers.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Something this crate does not handle (codec, track layout).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The mixer was given no source.
    #[error("no tracks to mix")]
    NoTracks,
}
