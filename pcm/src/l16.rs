//! L16 (RFC 3551 section 4.5.11): linear 16-bit samples in network byte order (big-endian),
//! channels interleaved. Decoding is a byte swap; a payload of odd length has a trailing byte
//! that is no sample: it is dropped, and the functions say so.

/// Appends the big-endian 16-bit samples of `input` to `out` as little-endian bytes; returns the
/// number of bytes dropped (1 when `input` has an odd length, else 0).
pub fn l16_to_s16le(input: &[u8], out: &mut Vec<u8>) -> usize {
    let dropped = input.len() % 2;
    let start = out.len();
    out.extend_from_slice(&input[..input.len() - dropped]);
    for pair in out[start..].chunks_exact_mut(2) {
        pair.swap(0, 1);
    }
    dropped
}

/// Appends the big-endian 16-bit samples of `input` to `out`; returns the number of bytes
/// dropped (1 when `input` has an odd length, else 0).
pub fn decode_l16(input: &[u8], out: &mut Vec<i16>) -> usize {
    let pairs = input.chunks_exact(2);
    let dropped = pairs.remainder().len();
    out.extend(pairs.map(|p| i16::from_be_bytes([p[0], p[1]])));
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_trailing_byte_is_dropped_and_counted() {
        let mut out = Vec::new();
        assert_eq!(l16_to_s16le(&[0x12, 0x34, 0x56], &mut out), 1);
        assert_eq!(out, [0x34, 0x12]);
        let mut samples = Vec::new();
        assert_eq!(decode_l16(&[0x80, 0x00, 0x00, 0x01], &mut samples), 0);
        assert_eq!(samples, [i16::MIN, 1]);
    }
}
