//! A most-significant-bit-first reader of fixed-width fields and variable-length codes, as the
//! VP9 uncompressed header (VP9 spec section 4.9, `f(n)`), AV1 headers (AV1 spec section
//! 4.10.2, `f(n)`, `uvlc()`) and H.264/H.265 parameter sets and slice headers (H.264 section 9.1,
//! H.265 section 9.2: `u(n)`, `ue(v)`, `se(v)`, read from an RBSP) write them.

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

    /// `n` bits (at most 32; more are read as 32), most significant first.
    pub fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v: u32 = 0;
        for _ in 0..n.min(32) {
            let byte = *self.data.get(self.pos / 8)?;
            let bit = (byte >> (7 - self.pos % 8)) & 1;
            v = v << 1 | u32::from(bit);
            self.pos += 1;
        }
        Some(v)
    }

    /// Passes over `n` bits.
    pub fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.data.len() * 8 {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// An unsigned exp-Golomb code, ue(v); `None` past 32 bits of value.
    pub fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while !self.flag()? {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    /// A signed exp-Golomb code, se(v).
    pub fn se(&mut self) -> Option<i32> {
        let k = i64::from(self.ue()?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        i32::try_from(v).ok()
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

    #[test]
    fn exp_golomb_codes_read_as_the_spec_tables_say() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0, 1, 2, 3; then se of 4 = -2
        let data = [0b1010_0110, 0b0100_0010, 0b1000_0000];
        let mut r = BitReader::new(&data);
        assert_eq!(
            (r.ue(), r.ue(), r.ue(), r.ue()),
            (Some(0), Some(1), Some(2), Some(3))
        );
        assert_eq!(r.se(), Some(-2));
        assert_eq!(r.ue(), None); // runs out
        assert_eq!(BitReader::new(&[0; 8]).ue(), None);
    }
}
