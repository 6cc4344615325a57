//! What the VP9 payload rules read of the VP9 bitstream itself: the start of the uncompressed
//! header (VP9 bitstream spec section 6.2) and superframes (Annex B).

use bytes::Bytes;
use mjrtool_core::{PayloadError, VideoSize};

use crate::vp9_header::{read_prefix, sync_code, Fields};

/// The start of a VP9 frame's uncompressed header (VP9 spec section 6.2), up to the frame size
/// of a key frame.
///
/// ```text
/// frame_marker f(2) = 2 | profile_low_bit f(1) | profile_high_bit f(1)
/// [profile 3: reserved_zero f(1)] | show_existing_frame f(1)
///   show_existing_frame = 1: frame_to_show_map_idx f(3), end of header
/// frame_type f(1) (0 = KEY_FRAME) | show_frame f(1) | error_resilient_mode f(1)
/// key frames:
///   frame_sync_code f(24) = 0x49 0x83 0x42
///   color_config (section 6.2.2):
///     [profile >= 2: ten_or_twelve_bit f(1)] | color_space f(3)
///     color_space != CS_RGB (7): color_range f(1),
///                                [profile 1 or 3: subsampling_x, subsampling_y, reserved f(1) each]
///     color_space == CS_RGB:     [profile 1 or 3: reserved_zero f(1)]
///   frame_size (section 6.2.3): frame_width_minus_1 f(16) | frame_height_minus_1 f(16)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp9FrameHeader {
    /// Profile, 0 to 3.
    pub profile: u8,
    /// The frame only shows an earlier one again.
    pub show_existing_frame: bool,
    /// `frame_type` is KEY_FRAME.
    pub keyframe: bool,
    /// The frame is meant to be shown.
    pub show_frame: bool,
    /// Width and height in pixels, for a key frame.
    pub size: Option<VideoSize>,
}

impl Vp9FrameHeader {
    /// Reads the header at the start of `frame` (the first frame of a superframe).
    ///
    /// # Errors
    ///
    /// The frame is shorter than the fields above, its frame_marker is not 2, a key frame's
    /// sync code is not 0x49 0x83 0x42, or a reserved bit is set.
    pub fn read(frame: &[u8]) -> Result<Vp9FrameHeader, PayloadError> {
        let mut b = Fields::new(frame);
        let p = read_prefix(&mut b)?;
        let mut header = Vp9FrameHeader {
            profile: p.profile,
            show_existing_frame: p.show_existing_frame,
            keyframe: p.keyframe,
            show_frame: p.show_frame,
            size: None,
        };
        if header.keyframe {
            sync_code(&mut b)?;
            skip_color_config(&mut b, p.profile)?;
            let w = b.f(16)? + 1;
            let h = b.f(16)? + 1;
            header.size = match (u16::try_from(w), u16::try_from(h)) {
                (Ok(width), Ok(height)) => Some(VideoSize { width, height }),
                _ => None, // 65536 does not fit a VideoSize
            };
        }
        Ok(header)
    }
}

/// Skips color_config() (VP9 spec section 6.2.2), reserved bits unchecked.
fn skip_color_config(b: &mut Fields<'_>, profile: u8) -> Result<(), PayloadError> {
    if profile >= 2 {
        b.f(1)?; // ten_or_twelve_bit
    }
    let color_space = b.f(3)?;
    let extra = if color_space != 7 {
        b.f(1)?; // color_range
        3 // subsampling_x, subsampling_y, reserved_zero
    } else {
        1 // reserved_zero
    };
    if profile == 1 || profile == 3 {
        b.f(extra)?;
    }
    Ok(())
}

/// A VP9 bitstream error: what was expected, what was found, at which byte.
pub(crate) fn invalid(expected: &'static str, found: String, offset: usize) -> PayloadError {
    PayloadError {
        codec: "VP9",
        expected,
        found,
        offset,
    }
}

/// Most frames one superframe holds (VP9 spec Annex B: frames_in_superframe_minus_1 is 3 bits).
pub const MAX_SUPERFRAME_FRAMES: usize = 8;

/// The frames of a superframe (VP9 spec Annex B), or `None` if `data` has no superframe index.
///
/// ```text
/// frame 0 | frame 1 | ... | superframe_index:
///   marker byte: 110 | bytes_per_framesize_minus_1 (2 bits) | frames_in_superframe_minus_1 (3)
///   frame sizes, (bytes_per_framesize_minus_1 + 1) bytes each, little-endian
///   the marker byte again
/// ```
///
/// # Errors
///
/// The index is there but its sizes do not add up to the bytes before it, or one is 0.
pub fn superframe_frames(data: &Bytes) -> Result<Option<Vec<Bytes>>, PayloadError> {
    let Some(&last) = data.last() else {
        return Ok(None);
    };
    if last & 0xE0 != 0xC0 {
        return Ok(None);
    }
    let mag = usize::from((last >> 3) & 3) + 1;
    let count = usize::from(last & 7) + 1;
    let index_len = 2 + mag * count;
    if data.len() < index_len || data[data.len() - index_len] != last {
        return Ok(None);
    }
    let index_at = data.len() - index_len;
    let mut frames = Vec::with_capacity(count);
    let mut at = 0usize;
    for (i, size) in data[index_at + 1..data.len() - 1]
        .chunks_exact(mag)
        .enumerate()
    {
        let size = size
            .iter()
            .rev()
            .fold(0usize, |v, &b| v << 8 | usize::from(b));
        if size == 0 || index_at - at < size {
            return Err(invalid(
                "superframe frame sizes that fit before the index",
                format!("size {size} for frame {i} at byte {at} of {index_at}"),
                index_at + 1 + i * mag,
            ));
        }
        frames.push(data.slice(at..at + size));
        at += size;
    }
    if at != index_at {
        return Err(invalid(
            "superframe frame sizes that add up to the bytes before the index",
            format!("{at} of {index_at} bytes"),
            index_at,
        ));
    }
    Ok(Some(frames))
}

/// Joins `frames` (each a plain frame, not a superframe) into one superframe with its index.
///
/// # Errors
///
/// More than [`MAX_SUPERFRAME_FRAMES`] frames, or a frame of 4 GiB or more.
pub fn build_superframe(frames: &[Bytes]) -> Result<Vec<u8>, PayloadError> {
    if frames.is_empty() || frames.len() > MAX_SUPERFRAME_FRAMES {
        return Err(invalid(
            "1 to 8 frames in a superframe",
            format!("{} frames", frames.len()),
            0,
        ));
    }
    let largest = frames.iter().map(Bytes::len).max().unwrap_or(0);
    let mag = match largest {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        0x1_0000..=0xFF_FFFF => 3,
        _ if u32::try_from(largest).is_ok() => 4,
        _ => {
            return Err(invalid(
                "superframe frames under 4 GiB",
                format!("{largest} bytes"),
                0,
            ))
        }
    };
    let total: usize = frames.iter().map(Bytes::len).sum();
    let mut out = Vec::with_capacity(total + 2 + mag * frames.len());
    for f in frames {
        out.extend_from_slice(f);
    }
    let marker = 0xC0 | ((mag - 1) as u8) << 3 | (frames.len() - 1) as u8;
    out.push(marker);
    for f in frames {
        out.extend_from_slice(&(f.len() as u32).to_le_bytes()[..mag]);
    }
    out.push(marker);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_superframe_splits_back_into_the_frames_it_was_built_from() {
        let frames = [
            Bytes::from(vec![0x82; 300]),
            Bytes::from(vec![0x86; 5]),
            Bytes::from(vec![0x86; 1]),
        ];
        let sf = Bytes::from(build_superframe(&frames).unwrap());
        assert_eq!(sf[sf.len() - 1], 0b1100_1010); // 2-byte sizes, 3 frames
        assert_eq!(superframe_frames(&sf).unwrap().unwrap(), frames);
        assert_eq!(superframe_frames(&frames[0]).unwrap(), None);
        let mut bad = sf.to_vec();
        bad[sf.len() - 7] = 0xFF; // first size now too large
        assert!(superframe_frames(&Bytes::from(bad)).is_err());
    }

    #[test]
    fn a_key_frame_header_gives_its_size_for_every_profile() {
        // profile 0, key, shown: 10 0 0 | 0 | 0 1 0, sync, cs 001 range 0, w-1 = 159, h-1 = 119.
        let mut bits = String::from("10000010");
        bits += "010010011000001101000010"; // 49 83 42
        bits += "0010"; // color_space 1, color_range 0
        bits += &format!("{:016b}{:016b}", 159, 119);
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let bytes: Vec<u8> = (0..bits.len() / 8)
            .map(|i| u8::from_str_radix(&bits[i * 8..i * 8 + 8], 2).unwrap())
            .collect();
        let h = Vp9FrameHeader::read(&bytes).unwrap();
        assert!(h.keyframe && h.show_frame);
        assert_eq!(
            h.size,
            Some(VideoSize {
                width: 160,
                height: 120
            })
        );
        assert!(Vp9FrameHeader::read(&bytes[..6]).is_err());
        assert!(Vp9FrameHeader::read(&[0x00]).is_err()); // frame_marker 0
        let inter = Vp9FrameHeader::read(&[0x86, 0x00]).unwrap();
        assert!(!inter.keyframe && inter.size.is_none());
    }
}
