//! The Ogg page checksum (RFC 3533 section 6).
//!
//! CRC-32 with generator polynomial `0x04C11DB7`, no bit reflection, initial
//! value 0 and no final XOR. It is computed over the whole page with the
//! 4-byte CRC field set to zero.

/// Lookup table for the byte-wise CRC, built at compile time.
const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04C1_1DB7
            } else {
                r << 1
            };
            bit += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
}

/// Continues a CRC computation: feeds `data` into the running value `crc`.
///
/// Start with `0`; `update(update(0, a), b) == crc32(a ++ b)`.
#[must_use]
pub fn update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = (crc << 8) ^ TABLE[((crc >> 24) as u8 ^ b) as usize];
    }
    crc
}

/// CRC-32 of `data` as used by Ogg pages.
///
/// ```
/// // The classic check input "123456789".
/// assert_eq!(mjrtool_ogg::crc::crc32(b"123456789"), 0x89A1_897F);
/// ```
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent bit-by-bit implementation, to check the table.
    fn bitwise(data: &[u8]) -> u32 {
        let mut crc = 0u32;
        for &b in data {
            crc ^= u32::from(b) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 {
                    (crc << 1) ^ 0x04C1_1DB7
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    #[test]
    fn check_value() {
        // CRC-32/POSIX (cksum) has the same polynomial and init with a final
        // inversion; its check value is 0x765E7680, so ours is its complement.
        assert_eq!(crc32(b"123456789"), !0x765E_7680u32);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn table_matches_bitwise() {
        let data: Vec<u8> = (0..=255u8)
            .chain((0..100u8).map(|i| i.wrapping_mul(7)))
            .collect();
        assert_eq!(crc32(&data), bitwise(&data));
        for i in 0..=255u8 {
            assert_eq!(crc32(&[i]), bitwise(&[i]));
        }
    }

    #[test]
    fn incremental() {
        let data = b"The quick brown fox jumps over the lazy dog";
        let (a, b) = data.split_at(17);
        assert_eq!(update(update(0, a), b), crc32(data));
    }
}
