//! Reading the bits of codec headers: MSB first, with Exp-Golomb codes, over the RBSP of a NAL
//! unit (emulation prevention bytes removed).

/// A reader of bits, most significant first.
pub struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bits<'a> {
    /// Reads `data` from its first bit.
    pub fn new(data: &'a [u8]) -> Self {
        Bits { data, pos: 0 }
    }

    /// `n` bits (at most 32) as a number; panics past the end (test input is known).
    pub fn u(&mut self, n: u32) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            let byte = self.data[self.pos / 8];
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        v
    }

    /// One bit as a flag.
    pub fn flag(&mut self) -> bool {
        self.u(1) == 1
    }

    /// An unsigned Exp-Golomb code (ISO 14496-10 §9.1, ue(v)).
    pub fn ue(&mut self) -> u32 {
        let mut zeros = 0;
        while self.u(1) == 0 {
            zeros += 1;
        }
        (1 << zeros) - 1 + self.u(zeros)
    }

    /// Skips `n` bits.
    pub fn skip(&mut self, n: usize) {
        self.pos += n;
    }

    /// Bits read so far.
    pub fn position(&self) -> usize {
        self.pos
    }
}

/// The RBSP of a NAL unit's payload: every 0x03 that follows two zero bytes removed
/// (ISO 14496-10 §7.4.1, emulation_prevention_three_byte).
pub fn rbsp(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}
