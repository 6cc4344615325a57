//! Ogg Opus encapsulation: Ogg pages (RFC 3533), the `OpusHead` / `OpusTags`
//! headers and granule positions (RFC 7845), and Opus TOC parsing (RFC 6716
//! section 3) to know each packet's duration.
//!
//! * [`OggOpusWriter`] turns Opus packets into an `.opus` file; [`OggOpusSink`] is the same
//!   file as an [`mjrtool_core::FrameSink`].
//! * [`reader`] is a strict single-stream reader, used to verify output and
//!   to pull packets out of existing files.
//! * [`toc`] computes packet durations; [`crc`] is the Ogg page checksum.
//!
//! ```
//! use mjrtool_ogg::{reader, OggOpusWriter, OpusHead, OpusTags};
//!
//! let head = OpusHead::new(1, 0, 48_000);
//! let mut tags = OpusTags::new("example");
//! tags.comments.push(("TITLE".into(), "silence".into()));
//!
//! let mut w = OggOpusWriter::new(Vec::new(), 42, &head, &tags)?;
//! for _ in 0..50 {
//!     // A 20 ms CELT-only packet that decodes to silence.
//!     w.write_packet(&[0xF8, 0xFF, 0xFE])?;
//! }
//! assert_eq!(w.samples_written(), 48_000);
//! let bytes = w.finish()?;
//!
//! let file = reader::read_opus_file(&bytes)?;
//! assert_eq!(file.head, head);
//! assert_eq!(file.tags, tags);
//! assert_eq!(file.packets.len(), 50);
//! assert_eq!(file.last_granule, 48_000); // pre_skip + samples
//! # Ok::<(), mjrtool_ogg::OggError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod crc;
mod error;
mod header;
pub mod reader;
/// Opus packet framing and durations (RFC 6716 §3), shared with every container.
pub use mjrtool_core::opus::toc;
mod sink;
mod writer;

pub use error::OggError;
pub use header::{ChannelMapping, OpusHead, OpusTags};
pub use sink::{OggOpusSink, DEFAULT_SERIAL};
pub use toc::TocError;
pub use writer::{OggOpusWriter, PAGE_MAX_BODY, PAGE_MAX_SAMPLES};

/// Compiles the README example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
