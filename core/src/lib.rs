//! The shared vocabulary of the mjrtool crates.
//!
//! A Janus recording goes through a pipeline of crates that know nothing of each other: a reader
//! of `.mjr` files, RTP depacketizers, a timeline that places the frames of several tracks on one
//! wall clock, and containers that write them. This crate is what they share, and it depends on
//! none of them:
//!
//! * [`Codec`] and [`MediaKind`]: every codec Janus records, with its media kind and RTP clock;
//! * time with its unit: [`ClockRate`], [`MediaTime`] (ticks of a media clock) and [`Nanos`]
//!   (the timeline's nanoseconds);
//! * [`Frame`]: one codec frame, from the depacketizer to the container;
//! * the traits that compose the pipeline: [`Depacketizer`] (the payload rules of one codec),
//!   [`FrameSource`] (a track's frames in decoding order) and [`FrameSink`] (a container, with
//!   explicit open, write and finish steps);
//! * codec facts that more than one container needs: [`opus`] (TOC durations and validation,
//!   the silence packet, pre-skip) and [`text`] (a data-channel message's text as a caption);
//! * [`SharedWrite`]: an output that can take a frame's bytes without copying them.
//!
//! # Example
//!
//! A source of three Opus packets, and a sink that counts what it is given:
//!
//! ```
//! use bytes::Bytes;
//! use mjrtool_core::{
//!     Codec, Frame, FrameSink, FrameSource, Nanos, Placement, TrackSpec,
//! };
//!
//! struct Beeps(u32);
//! impl FrameSource for Beeps {
//!     type Error = std::convert::Infallible;
//!     fn spec(&self) -> TrackSpec {
//!         TrackSpec::new(Codec::Opus)
//!     }
//!     fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
//!         if self.0 == 3 {
//!             return Ok(None);
//!         }
//!         self.0 += 1;
//!         Ok(Some(Frame::new(Bytes::from_static(&[0xF8, 0xFF, 0xFE]), self.0 * 960, true)))
//!     }
//! }
//!
//! #[derive(Default)]
//! struct Count { tracks: usize, frames: u32, end: Option<Nanos> }
//! impl FrameSink for Count {
//!     type Error = std::convert::Infallible;
//!     fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Self::Error> {
//!         self.tracks = tracks.len();
//!         Ok(())
//!     }
//!     fn write(&mut self, _track: usize, _at: Placement, _frame: &Frame) -> Result<(), Self::Error> {
//!         self.frames += 1;
//!         Ok(())
//!     }
//!     fn finish(&mut self, duration: Nanos) -> Result<(), Self::Error> {
//!         self.end = Some(duration);
//!         Ok(())
//!     }
//! }
//!
//! let mut source = Beeps(0);
//! let mut sink = Count::default();
//! sink.open(&[source.spec()]).unwrap();
//! let mut t = Nanos::ZERO;
//! while let Some(frame) = source.next_frame().unwrap() {
//!     sink.write(0, Placement::at(t), &frame).unwrap();
//!     t = t + Nanos::from_ms(20);
//! }
//! sink.finish(t).unwrap();
//! assert_eq!((sink.tracks, sink.frames, sink.end), (1, 3, Some(Nanos::from_ms(60))));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod data;
mod frame;
pub mod opus;
mod output;
mod pipeline;
pub mod text;
mod time;

pub use codec::{Codec, MediaKind};
pub use data::FrameData;
pub use frame::{Frame, VideoSize};
pub use output::SharedWrite;
pub use pipeline::{
    Depacketizer, FrameFacts, FrameParts, FrameSink, FrameSource, PacketRole, PayloadError,
    Placement, TrackSpec,
};
pub use time::{ClockRate, MediaTime, Nanos, TsUnwrapper};
