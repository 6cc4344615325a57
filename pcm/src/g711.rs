//! G.711 (ITU-T G.711, 11/88): µ-law and A-law expansion to 16-bit linear PCM.
//!
//! Both laws cut each polarity into 8 segments of 16 quantization intervals; a code byte is
//! `sign | segment (3 bits) | interval (4 bits)`, transmitted with some bits inverted:
//!
//! ```text
//!   bit:  7      6 5 4      3 2 1 0
//!       +------+----------+---------+
//!       | sign | segment  | interval|    µ-law: every bit inverted; A-law: even bits inverted
//!       +------+----------+---------+    (XOR 0x55). Sign 1 = positive after the inversion
//!                                        (A-law), sign 0 = positive (µ-law, after inverting).
//! ```
//!
//! The decoder output of each interval is the "decoder output value" column of the
//! recommendation's Tables 1 (A-law) and 2 (µ-law), which follow one rule per law:
//!
//! * A-law (Table 1, full scale 4096): segment 0 gives `2q + 1`, segment `s >= 1` gives
//!   `(2q + 33) · 2^(s-1)`;
//! * µ-law (Table 2, full scale 8159): segment `s` gives `(2q + 33) · 2^s - 33`.
//!
//! Scaled to 16 bits (×8 for A-law, ×4 for µ-law), these are the values every common decoder
//! produces (µ-law 0x00 -> -32124, A-law 0xD5 -> 8). The two 256-entry tables are computed at
//! compile time from those rules; decoding is one lookup per byte.

/// The 16-bit linear value of A-law interval `interval` (0..16) of segment `segment` (0..8),
/// positive polarity (G.711 Table 1, scaled by 8).
const fn alaw_magnitude(segment: u8, interval: u8) -> i32 {
    let q = interval as i32;
    let value = if segment == 0 {
        2 * q + 1
    } else {
        (2 * q + 33) << (segment - 1)
    };
    value * 8
}

/// The 16-bit linear value of µ-law interval `interval` of segment `segment`, positive polarity
/// (G.711 Table 2, scaled by 4).
const fn ulaw_magnitude(segment: u8, interval: u8) -> i32 {
    let q = interval as i32;
    (((2 * q + 33) << segment) - 33) * 4
}

/// Expands one A-law byte.
const fn alaw_expand(code: u8) -> i16 {
    let c = code ^ 0x55; // even bits are transmitted inverted
    let magnitude = alaw_magnitude((c >> 4) & 7, c & 0x0F);
    // At most 4032 · 8 = 32256: fits.
    if c & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Expands one µ-law byte.
const fn ulaw_expand(code: u8) -> i16 {
    let c = !code; // every bit is transmitted inverted
    let magnitude = ulaw_magnitude((c >> 4) & 7, c & 0x0F);
    // At most 8031 · 4 = 32124: fits.
    if c & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Every byte's 16-bit linear value, A-law or µ-law.
const fn table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw {
            alaw_expand(i as u8)
        } else {
            ulaw_expand(i as u8)
        };
        i += 1;
    }
    t
}

/// Every A-law byte's 16-bit linear value.
static ALAW: [i16; 256] = table(true);
/// Every µ-law byte's 16-bit linear value.
static ULAW: [i16; 256] = table(false);

/// The 16-bit linear value of a µ-law byte (`0xFF` and `0x7F` are the two zeros, `0x00` is
/// -32124, `0x80` is 32124).
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW[usize::from(code)]
}

/// The 16-bit linear value of an A-law byte (`0xD5` is 8, `0x55` is -8; the extremes are
/// ±32256).
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW[usize::from(code)]
}

/// Appends the samples of a µ-law byte stream (one sample per byte) to `out`.
pub fn decode_ulaw(input: &[u8], out: &mut Vec<i16>) {
    out.extend(input.iter().map(|&b| ULAW[usize::from(b)]));
}

/// Appends the samples of an A-law byte stream (one sample per byte) to `out`.
pub fn decode_alaw(input: &[u8], out: &mut Vec<i16>) {
    out.extend(input.iter().map(|&b| ALAW[usize::from(b)]));
}

/// Appends a µ-law byte stream's samples to `out` as 16-bit little-endian bytes.
pub fn ulaw_to_s16le(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len().saturating_mul(2));
    for &b in input {
        out.extend_from_slice(&ULAW[usize::from(b)].to_le_bytes());
    }
}

/// Appends an A-law byte stream's samples to `out` as 16-bit little-endian bytes.
pub fn alaw_to_s16le(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len().saturating_mul(2));
    for &b in input {
        out.extend_from_slice(&ALAW[usize::from(b)].to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_s_corner_values_come_out() {
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn each_law_is_odd_and_grows_with_the_code() {
        // Positive codes in increasing magnitude: µ-law 0xFF down to 0x80, A-law by segment.
        let ulaw: Vec<i16> = (0x80..=0xFFu8).rev().map(ulaw_to_linear).collect();
        assert!(ulaw.windows(2).all(|w| w[0] < w[1]));
        let alaw: Vec<i16> = (0x80..=0xFFu8).map(|c| alaw_to_linear(c ^ 0x55)).collect();
        assert!(alaw.windows(2).all(|w| w[0] < w[1]));
        for c in 0..=0x7Fu8 {
            assert_eq!(ulaw_to_linear(c), -ulaw_to_linear(c | 0x80));
            assert_eq!(alaw_to_linear(c), -alaw_to_linear(c | 0x80));
        }
    }
}
