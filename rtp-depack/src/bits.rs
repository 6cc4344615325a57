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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_reader_reads_msb_first_and_stops_at_the_end() {
        let mut r = BitReader::new(&[0b1010_0000, 0xFF]);
        assert_eq!(r.bits(3), Some(0b101));
        assert_eq!(r.bits(9), Some(0b0_0000_1111));
        assert_eq!(r.position(), 12);
        assert_eq!(r.bits(5), None);
    }
}
