//! Builders shared by the integration tests.
#![allow(dead_code)] // each test file uses some of them

use rtp_depack::RtpPacket;

/// A VP8 frame whose header (RFC 6386 section 9.1) fits it: a keyframe carries the start code
/// and a 320x240 size, the first partition is half the rest (at least 1 byte, and so is the one
/// DCT partition); `fill` fills the body after [`ZERO_HEAD`] zero bytes.
pub fn vp8_frame(key: bool, len: usize, fill: u8) -> Vec<u8> {
    let header_len = if key { 10 } else { 3 };
    let len = len.max(header_len + 2);
    let first_part = ((len - header_len) / 2) as u32;
    let tag = (first_part << 5 | 0x10 | u32::from(!key)).to_le_bytes();
    let mut f = tag[..3].to_vec();
    if key {
        f.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00]);
    }
    f.resize(len.min(header_len + ZERO_HEAD), 0);
    f.resize(len, fill);
    f
}

/// Zero bytes at the start of the first partition of a [`vp8_frame`]: the boolean decoder
/// (RFC 6386 section 7) reads its header fields (section 19.2) as all zero from them, so the
/// frame has one DCT partition, whatever `fill` is.
pub const ZERO_HEAD: usize = 8;

/// Delays each packet by less than half the window and duplicates a few.
pub fn shuffle(
    packets: Vec<RtpPacket>,
    window: usize,
    jitter: &[usize],
    dups: &[usize],
) -> Vec<RtpPacket> {
    let mut order: Vec<(usize, usize)> = (0..packets.len())
        .map(|i| (i + jitter[i % jitter.len()] % (window / 2).max(1), i))
        .collect();
    order.sort();
    let mut out: Vec<RtpPacket> = order.iter().map(|&(_, i)| packets[i].clone()).collect();
    for &d in dups {
        let i = d % out.len();
        out.insert(i, out[i].clone());
    }
    out
}
