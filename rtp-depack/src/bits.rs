//! A most-significant-bit-first reader of fixed-width fields, as the VP9 uncompressed header
//! (VP9 spec section 4.9, `f(n)`) and AV1 headers (AV1 spec section 4.10.2, `f(n)`) write them.

/// Reads bit fields from a byte slice; every read past the end is `None`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// The bits read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// One bit.
    pub fn flag(&mut self) -> Option<bool> {
        Some(self.bits(1)? == 1)
    }

    /// `n` bits (at most 32), most significant first.
    pub fn bits(&mut self, n: u32) -> Option<u32> {
        debug_assert!(n <= 32);
        let mut v: u64 = 0;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8)?;
            let bit = (byte >> (7 - self.pos % 8)) & 1;
            v = v << 1 | u64::from(bit);
            self.pos += 1;
        }
        u32::try_from(v).ok()
    }

    /// AV1's `uvlc()` (AV1 spec section 4.10.3): leading zeros, a one, then as many bits.
    pub fn uvlc(&mut self) -> Option<u32> {
        let mut zeros = 0u32;
        while !self.flag()? {
            zeros += 1;
            if zeros >= 32 {
                return Some(u32::MAX);
            }
        }
        let value = self.bits(zeros)?;
        Some(value.saturating_add((1u32 << zeros) - 1))
    }
}

/// Reads an unsigned LEB128 value (AV1 spec section 4.10.5): at most 8 bytes, a value below
/// 2^32. Returns the value and the bytes it took.
pub(crate) fn leb128(data: &[u8]) -> Option<(u32, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in data.iter().take(8).enumerate() {
        value |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some((u32::try_from(value).ok()?, i + 1));
        }
    }
    None
}

/// Appends `value` as LEB128, in as few bytes as it needs.
pub(crate) fn write_leb128(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The bytes [`write_leb128`] takes for `value`.
pub(crate) fn leb128_len(value: usize) -> usize {
    let bits = usize::BITS - value.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_and_rejects_values_above_32_bits() {
        for v in [0usize, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as usize] {
            let mut out = Vec::new();
            write_leb128(v, &mut out);
            assert_eq!(out.len(), leb128_len(v));
            assert_eq!(leb128(&out), Some((v as u32, out.len())));
        }
        assert_eq!(leb128(&[0x80, 0x80, 0x80, 0x80, 0x10]), None);
        assert_eq!(leb128(&[0x80; 9]), None);
        assert_eq!(leb128(&[0x80]), None);
    }

    #[test]
    fn bit_reader_reads_msb_first_and_stops_at_the_end() {
        let mut r = BitReader::new(&[0b1010_0000, 0xFF]);
        assert_eq!(r.bits(3), Some(0b101));
        assert_eq!(r.bits(9), Some(0b0_0000_1111));
        assert_eq!(r.position(), 12);
        assert_eq!(r.bits(5), None);
        // uvlc: 2 leading zeros, a one, then 2 bits 11 -> 3 + 3 = 6.
        assert_eq!(BitReader::new(&[0b0011_1000]).uvlc(), Some(6));
    }
}
