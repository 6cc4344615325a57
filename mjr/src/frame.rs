//! Frame headers, sans-IO: what starts at a given position of the frame area.

use crate::header::{FormatVersion, MediaKind};
use crate::Parsed;

/// Every frame header is 10 bytes: `MEETECHO` + length, or `MEET` + time + length.
pub const FRAME_HEADER_LEN: usize = 10;

/// What [`parse_frame_head`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameHead {
    /// A frame header: the body (`body_len` bytes) follows the 10-byte header.
    Frame {
        /// Milliseconds since the first frame was written (MJR00002 only).
        time_ms: Option<u32>,
        /// Length of the body.
        body_len: usize,
    },
    /// An info header (`MJR0000x` + length + JSON) where a frame was expected: `len` bytes in all.
    InfoHeader {
        /// Total length, magic included.
        len: usize,
    },
    /// Not a frame header.
    Garbage,
}

/// Reads the frame header at the start of `buf` (sans-IO). `Incomplete` only when `buf` is too
/// short to tell (fewer than 10 bytes that could still begin a header).
pub fn parse_frame_head(buf: &[u8], version: FormatVersion) -> Parsed<FrameHead> {
    let prefix = version.frame_prefix();
    if buf.len() < FRAME_HEADER_LEN {
        let n = buf.len();
        let could_be = |p: &[u8]| p[..n.min(p.len())] == buf[..n.min(p.len())];
        if could_be(prefix) || could_be(b"MJR0000") {
            return Parsed::Incomplete {
                needed: FRAME_HEADER_LEN - n,
            };
        }
        return Parsed::Complete(FrameHead::Garbage);
    }
    let len = usize::from(u16::from_be_bytes([buf[8], buf[9]]));
    if buf.starts_with(prefix) {
        let time_ms = (version == FormatVersion::Mjr2)
            .then(|| u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]));
        return Parsed::Complete(FrameHead::Frame {
            time_ms,
            body_len: len,
        });
    }
    if buf.starts_with(b"MJR0000") && matches!(buf[7], b'1' | b'2') {
        return Parsed::Complete(FrameHead::InfoHeader {
            len: FRAME_HEADER_LEN + len,
        });
    }
    Parsed::Complete(FrameHead::Garbage)
}

/// The smallest body a frame of this kind can have: an RTP header (12 bytes) or a data frame's
/// 8-byte time.
pub fn min_body(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Data => 8,
        _ => 12,
    }
}

/// Whether `buf` starts with something that looks like a real frame of this recording: a frame
/// header with a non-empty body that, for audio and video, starts like RTP version 2, or an info
/// header whose body starts like a JSON object (when that byte is in `buf`). Returns the frame's
/// total length.
pub fn plausible_frame(buf: &[u8], version: FormatVersion, kind: MediaKind) -> Option<usize> {
    match parse_frame_head(buf, version) {
        Parsed::Complete(FrameHead::Frame { body_len, .. }) => {
            if body_len == 0 {
                return None;
            }
            if kind != MediaKind::Data {
                if let Some(&b) = buf.get(FRAME_HEADER_LEN) {
                    if b >> 6 != 2 {
                        return None;
                    }
                }
            }
            Some(FRAME_HEADER_LEN + body_len)
        }
        Parsed::Complete(FrameHead::InfoHeader { len }) => {
            (buf.get(FRAME_HEADER_LEN).is_none_or(|&b| b == b'{')).then_some(len)
        }
        _ => None,
    }
}
