//! One timeline of several tracks from Janus recordings, handed to any container.
//!
//! Janus records each medium of a session into its own `.mjr` file. This crate places the
//! frames of several such tracks on one wall-clock timeline, without re-encoding. It knows no
//! file format and no container: tracks come in through [`mjrtool_core::FrameSource`] and go
//! out through [`mjrtool_core::FrameSink`].
//!
//! * [`TrackClock`] places each frame using its RTP timestamp and, when the recording has them,
//!   its arrival time: jitter and network stalls that catch up move nothing, pauses and sender
//!   restarts stay in time, sender clock drift is followed, times always increase;
//! * [`AudioGapFiller`] keeps audio in step across losses and DTX pauses with silence packets;
//! * [`Mixer`] merges the tracks in time order into a sink, holding only a few frames per track
//!   (and a bounded lookahead while it settles a disputed arrival).
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use mjrtool_core::{Codec, Frame, FrameSource, Nanos, TrackSpec};
//! use mjrtool_timeline::{CollectSink, Mixer, MixerOptions};
//!
//! /// Ten 20 ms Opus packets starting at a given wall-clock time.
//! struct Tone { start: Nanos, left: u32 }
//! impl FrameSource for Tone {
//!     type Error = std::convert::Infallible;
//!     fn spec(&self) -> TrackSpec {
//!         TrackSpec::new(Codec::Opus).with_start(Some(self.start))
//!     }
//!     fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
//!         if self.left == 0 { return Ok(None); }
//!         self.left -= 1;
//!         let ts = (9 - self.left) * 960;
//!         Ok(Some(Frame::new(Bytes::from_static(&[0xF8, 0xFF, 0xFE]), ts, true)))
//!     }
//! }
//!
//! let early = Tone { start: Nanos::from_secs(1), left: 10 };
//! let late = Tone { start: Nanos::from_secs(3), left: 10 }; // starts 2 s later
//! let mut mixer = Mixer::new(vec![early, late], MixerOptions::default());
//! let infos = mixer.prepare::<()>().unwrap();
//! assert_eq!(infos[1].offset_ns, 2_000_000_000);
//! let mut sink = CollectSink::default();
//! let summary = mixer.run(&mut sink, &mut |_| {}).unwrap();
//! assert_eq!(sink.frames.len(), 20);
//! assert_eq!(summary.duration_ns, 2_200_000_000);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod gapfill;
mod mix;
pub mod sink;

pub use clock::{ClockConfig, TrackClock};
pub use gapfill::AudioGapFiller;
pub use mix::{Limits, Mixer, MixerOptions, Progress, Summary, TrackInfo, TrackSummary};
pub use sink::{CollectSink, NullSink};

/// What stops a mix: a source (by its index) or the sink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MixError<E, K> {
    /// Track `track`'s source failed.
    #[error("track {track}: {source}")]
    Source {
        /// The index of the source, as given to [`Mixer::new`].
        track: usize,
        /// What went wrong.
        source: E,
    },
    /// The sink refused a track or a frame, or could not write.
    #[error("{0}")]
    Sink(K),
    /// The mixer was given no source.
    #[error("no tracks to mix")]
    NoTracks,
}
