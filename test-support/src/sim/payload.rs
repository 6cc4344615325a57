//! Tiny but valid codec frames that carry a frame id, so that every frame leaving the timeline
//! can be mapped back to the moment it was captured.
//!
//! * Opus (RFC 6716 §3.1): a TOC byte `0xF8` — configuration 31 (CELT-only, fullband, 20 ms),
//!   mono, code 0 (one frame) — then the id (4 bytes, big-endian) and filler.
//! * VP8 (RFC 6386 §9.1): the 3-byte frame tag, then for keyframes the start code `9d 01 2a` and
//!   the 14-bit width and height (little-endian, scale bits 0), then the first partition, which
//!   begins with [`VP8_ZERO_HEAD`] zero bytes and the id, then the rest of the frame. The boolean
//!   decoder (§7) reads the zero bytes as all-zero header fields (§19.2), so the frame has one
//!   DCT partition (§9.5), the rest of the frame, as the depacketizer checks:
//!
//! ```text
//!  byte 0          byte 1   byte 2
//! +-+-+-+-+-+-+-+-+--------+--------+
//! |size0|S| ver |P| size 8..15 | size 16..23 |   P = 0: keyframe; S: show_frame;
//! +-+-+-+-+-+-+-+-+--------+--------+   size = first_part_size (19 bits, bits 5..23)
//! ```

use crate::rng::Rng;

/// TOC byte of a 20 ms CELT fullband mono Opus packet with one frame (config 31, code 0).
pub const OPUS_TOC_20MS: u8 = 31 << 3;

/// Width and height written in simulated keyframes.
pub const VIDEO_SIZE: (u16, u16) = (320, 240);

const START_CODE: [u8; 3] = [0x9d, 0x01, 0x2a];

/// Zero bytes at the start of the first partition of a [`vp8_frame`], before its id.
pub const VP8_ZERO_HEAD: usize = 8;

/// An Opus packet of `len` bytes (at least 5) carrying `id`.
pub fn opus_frame(id: u32, len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut f = Vec::with_capacity(len.max(5));
    f.push(OPUS_TOC_20MS);
    f.extend_from_slice(&id.to_be_bytes());
    while f.len() < len {
        f.push(rng.next_u64() as u8);
    }
    f
}

/// A VP8 frame of about `len` bytes carrying `id`: its frame header is consistent with its
/// length (the first partition is half of what follows the header, and at least 12 bytes).
pub fn vp8_frame(id: u32, keyframe: bool, len: usize, rng: &mut Rng) -> Vec<u8> {
    let header = if keyframe { 10 } else { 3 };
    let body = len.saturating_sub(header).max(16);
    let first_part = (body / 2).max(VP8_ZERO_HEAD + 4) as u32;
    // show_frame = 1, version 0, key bit inverted (0 = keyframe).
    let tag = (first_part << 5) | (1 << 4) | u32::from(!keyframe);
    let mut f = Vec::with_capacity(header + body);
    f.extend_from_slice(&tag.to_le_bytes()[..3]);
    if keyframe {
        f.extend_from_slice(&START_CODE);
        f.extend_from_slice(&VIDEO_SIZE.0.to_le_bytes());
        f.extend_from_slice(&VIDEO_SIZE.1.to_le_bytes());
    }
    f.resize(f.len() + VP8_ZERO_HEAD, 0);
    f.extend_from_slice(&id.to_be_bytes());
    while f.len() < header + body {
        f.push(rng.next_u64() as u8);
    }
    f
}

/// The id carried by a frame made by [`opus_frame`], if it is one.
pub fn opus_frame_id(frame: &[u8]) -> Option<u32> {
    if frame.first() != Some(&OPUS_TOC_20MS) {
        return None;
    }
    Some(u32::from_be_bytes(frame.get(1..5)?.try_into().ok()?))
}

/// The id carried by a frame made by [`vp8_frame`], if it is one.
pub fn vp8_frame_id(frame: &[u8]) -> Option<u32> {
    let keyframe = frame.first()? & 1 == 0;
    let at = if keyframe {
        if frame.get(3..6)? != START_CODE {
            return None;
        }
        10 + VP8_ZERO_HEAD
    } else {
        3 + VP8_ZERO_HEAD
    };
    Some(u32::from_be_bytes(frame.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_give_back_their_ids() {
        let mut rng = Rng::new(3);
        assert_eq!(opus_frame_id(&opus_frame(77, 40, &mut rng)), Some(77));
        assert_eq!(vp8_frame_id(&vp8_frame(78, true, 4000, &mut rng)), Some(78));
        assert_eq!(vp8_frame_id(&vp8_frame(79, false, 900, &mut rng)), Some(79));
    }

    #[test]
    fn vp8_frame_header_matches_its_length() {
        let mut rng = Rng::new(4);
        for (key, len) in [
            (true, 5000),
            (false, 700),
            (false, 3),
            (true, 1),
            (false, 90_000),
        ] {
            let f = vp8_frame(1, key, len, &mut rng);
            let tag = u32::from(f[0]) | u32::from(f[1]) << 8 | u32::from(f[2]) << 16;
            let first_part = (tag >> 5) as usize;
            assert_eq!(tag & 1 == 0, key);
            assert!(f.len() >= if key { 10 } else { 3 } + first_part);
            // The depacketizer's check, DCT partitions included (RFC 6386 §9.5).
            assert!(rtp_depack::Vp8FrameHeader::parse(&f).is_some());
            if key {
                let size = rtp_depack::vp8_keyframe_info(&f);
                assert_eq!(size, Some(VIDEO_SIZE));
            }
        }
    }
}
