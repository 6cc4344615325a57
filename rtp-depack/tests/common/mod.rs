//! Builders shared by the integration tests.

/// A VP8 frame whose header (RFC 6386 section 9.1) fits it: a keyframe carries the start code
/// and a 320x240 size, the first partition is half the rest; `fill` fills the body.
pub fn vp8_frame(key: bool, len: usize, fill: u8) -> Vec<u8> {
    let header_len = if key { 10 } else { 3 };
    let len = len.max(header_len + 1);
    let first_part = ((len - header_len) / 2) as u32;
    let tag = (first_part << 5 | 0x10 | u32::from(!key)).to_le_bytes();
    let mut f = tag[..3].to_vec();
    if key {
        f.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00]);
    }
    f.resize(len, fill);
    f
}
