//! Reading and writing Janus `.mjr` recordings.
//!
//! Janus records each medium of a WebRTC session into its own `.mjr` file: a small header, then
//! the RTP packets (or data-channel messages) as they arrived. Three layouts exist, and this crate
//! reads them all:
//!
//! | version | header | frames |
//! | --- | --- | --- |
//! | [`FormatVersion::Legacy`] | `MEETECHO` + `audio`/`video` | `MEETECHO` + length + packet |
//! | [`FormatVersion::Mjr1`] | `MJR00001` + length + JSON | `MEETECHO` + length + packet |
//! | [`FormatVersion::Mjr2`] | `MJR00002` + length + JSON | `MEET` + ms time + length + packet |
//!
//! Lengths and times are big-endian; data-channel frames start with an 8-byte µs time.
//!
//! * [`parse_header`] and [`parse_frame_head`] are the sans-IO core: bytes in, values out.
//! * [`MjrReader`] streams a recording from any [`std::io::Read`] in bounded memory, handing out
//!   packets as zero-copy [`bytes::Bytes`] slices, and survives damage (truncation, garbage, torn
//!   writes) with [`Warning`]s; [`ReaderOptions::strict`] turns them into errors.
//! * [`MjrWriter`] writes any layout, for tests and tools.
//!
//! # Example
//!
//! ```
//! use mjr::{Codec, FormatVersion, Header, MediaKind, MjrReader, MjrWriter};
//!
//! let mut header = Header::new(MediaKind::Video, Codec::Vp8);
//! header.first_written_us = Some(1_700_000_000_000_000);
//! let mut w = MjrWriter::new(Vec::new(), &header)?;
//! let rtp = [0x80, 96, 0, 7, 0, 0, 0, 90, 0, 0, 0, 1, 0x10, 0x00];
//! w.write_rtp(40, &rtp)?;
//! let file = w.finish()?;
//!
//! let mut r = MjrReader::new(&file[..]).expect("valid header");
//! assert_eq!(r.header().version, FormatVersion::Mjr2);
//! assert_eq!(r.header().codec, Codec::Vp8);
//! let p = r.next_packet().expect("valid file").expect("one packet");
//! assert_eq!((p.time_ms, &p.data[..]), (Some(40), &rtp[..]));
//! assert!(r.next_packet().expect("valid file").is_none());
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod frame;
mod header;
mod reader;
mod writer;

pub use error::{Error, Warning};
pub use frame::{min_body, parse_frame_head, plausible_frame, FrameHead, FRAME_HEADER_LEN};
pub use header::{parse_header, Codec, FormatVersion, Header, MediaKind, ParsedHeader};
pub use reader::{BufferStats, Limits, MjrReader, Packet, ReaderOptions, MAX_BUFFER};
pub use writer::MjrWriter;

/// The result of a sans-IO parse step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// Parsed.
    Complete(T),
    /// At least `needed` more bytes are required to tell.
    Incomplete {
        /// How many more bytes.
        needed: usize,
    },
}
