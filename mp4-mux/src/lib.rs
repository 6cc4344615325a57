//! An ISO BMFF (MP4, ISO/IEC 14496-12) writer for WebRTC recordings, implementing
//! [`mjrtool_core::FrameSink`].
//!
//! Tracks: H.264 (`avc1`), H.265 (`hvc1`), AV1 (`av01`), VP9 (`vp09`), Opus and multichannel
//! Opus (`Opus` with `dOps`), and 16-bit PCM (`sowt`); frames are stored as the frame-format
//! contract hands them out (length-prefixed NAL units, low-overhead AV1 OBUs). Anything else
//! (VP8, data channels, G.711…) is refused at `open`, before a byte is written, with the
//! containers that can hold it.
//!
//! Two layouts:
//!
//! * **faststart**: `ftyp`, `moov`, `mdat`, the index before the samples, as browsers stream
//!   it. Only the sample tables stay in memory (4 to 28 bytes a sample, see `table.rs`; some
//!   20 MB for a 3-hour recording), with `co64` once offsets pass 4 GiB and a 64-bit `mdat`
//!   size past 4 GiB. Two ways to write one:
//!   * [`Mp4Muxer::samples_first`] writes each sample once, straight to the output, behind
//!     room the caller left for the head; the head is written over that room at the end (or,
//!     if it needs more, the room is inserted: [`insert_head`]). What `mjrtool` uses.
//!   * [`Mp4Muxer::faststart`] spools the samples to a scratch stream and copies them after
//!     the head at `finish`, through a fixed 8 KiB buffer: any `Write` will do.
//! * **fragmented** ([`Mp4Muxer::fragmented`]): `ftyp`, `moov` with `mvex`, then `moof`/`mdat`
//!   pairs, cut before each keyframe of the first video track or at [`FragmentLimits`]; it
//!   writes as it goes (a pipe will do) and holds one fragment in memory. No `mfra` is written.
//!
//! Times: video tracks count at 90 kHz, audio at its sample rate. A sample lasts until the next
//! sample of its track; the last one its own length (PCM, Opus TOC), else the track's frame
//! interval, else the step before it. A track starting after the output's start keeps its
//! offset: an empty edit (faststart) or its first `tfdt` (fragmented). Opus pre-skip is in
//! `dOps`, and (faststart) also the media edit's start, as ffmpeg writes it.
//!
//! [`reader`] reads the files back for tests.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
//! use mjrtool_mp4::{reader, Mp4Muxer};
//!
//! let mut mux = Mp4Muxer::faststart(Vec::new(), std::io::Cursor::new(Vec::new()));
//! mux.open(&[TrackSpec::new(Codec::Opus).with_channels(Some(1))])?;
//! for i in 0..3 {
//!     let packet = Frame::new(Bytes::from_static(&[0xF8, 0xFF, 0xFE]), i * 960, true);
//!     mux.write(0, Placement::at(Nanos::from_ms(20 * i64::from(i))), &packet)?;
//! }
//! mux.finish(Nanos::from_ms(60))?;
//! let file = mux.into_inner();
//! let parsed = reader::parse(&file)?;
//! assert_eq!(&parsed.tracks[0].codec, b"Opus");
//! assert_eq!(parsed.tracks[0].samples.len(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bmff;
mod entry;
mod error;
mod fragment;
mod head;
mod moov;
mod muxer;
pub mod reader;
mod reader_trak;
mod table;
mod tags;

pub use error::Mp4Error;
pub use fragment::FragmentLimits;
pub use head::insert_head;
pub use muxer::{Mp4Muxer, NoSpool};
