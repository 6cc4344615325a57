//! A WebM / Matroska muxer, with the EBML writer under it and a small reader to verify the result.
//!
//! [`Muxer`] writes the EBML header, a Segment with SeekHead, Info (TimestampScale of 1 ms,
//! Duration filled in at the end), Tracks (VP8 with its picture size; Opus with its OpusHead as
//! CodecPrivate, CodecDelay and SeekPreRoll; VP9, AV1, H.264, H.265, PCM and text subtitles: see
//! [`TrackConfig`]), Clusters of SimpleBlocks (BlockGroups with a BlockDuration for subtitles)
//! that start on video keyframes, and Cues pointing at those clusters so that players can seek
//! (about one point a second per track, and a bounded number in all: see
//! [`MuxerOptions::max_cue_points`]). It keeps one cluster in memory, and nothing per block or
//! per written cluster. Over a `Write + Seek` output ([`Muxer::new`]) the sizes and Duration are
//! patched at the end; over a pipe ([`Muxer::new_streaming`]) the Segment has an unknown size
//! and there are no Cues.
//!
//! A muxer made without tracks ([`Muxer::create`], [`Muxer::create_streaming`]) is a
//! [`mjrtool_core::FrameSink`]: `open` maps each [`mjrtool_core::TrackSpec`] to a Matroska track
//! (VP8, VP9, AV1, Opus, multichannel Opus and text in WebM and Matroska; H.264, H.265 and
//! 16-bit PCM in Matroska only; any other codec is refused with what would work), `write`
//! places a frame at its time, `finish` sets the Duration and ends the file, and
//! [`Muxer::into_inner`] gives the output back.
//!
//! [`reader::parse`] reads such files back (and most simple WebM files), for tests and checks.
//!
//! # Example
//!
//! ```
//! use std::io::Cursor;
//! use webm_mux::{Muxer, MuxerOptions, TrackConfig};
//!
//! let tracks = vec![TrackConfig::vp8(1, 320, 240)];
//! let mut m = Muxer::new(Cursor::new(Vec::new()), MuxerOptions::default(), tracks)?;
//! m.write_block(1, 0, true, &[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00])?;
//! m.write_block(1, 66_666_667, false, &[0x11, 0x02, 0x00])?;
//! let file = m.finish()?.into_inner();
//!
//! let parsed = webm_mux::reader::parse(&file).unwrap();
//! assert_eq!(parsed.doc_type, "webm");
//! assert_eq!(parsed.blocks.len(), 2);
//! assert_eq!(parsed.blocks[1].timestamp_ms, 67);
//! assert_eq!(parsed.cues.len(), 1);
//! # Ok::<(), webm_mux::MuxError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cluster;
mod config;
mod cues;
pub mod ebml;
mod error;
mod muxer;
pub mod reader;
mod sink;
mod text;

pub use config::{DocType, MuxerOptions, TrackConfig, TrackKind};
pub use error::MuxError;
pub use muxer::{MuxStats, Muxer};
pub use sink::DEFAULT_VIDEO_SIZE;
