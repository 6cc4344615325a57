//! G.722 (ITU-T G.722, 11/88) decoder, 64 kbit/s (mode 1): sub-band ADPCM at 16 kHz.
//!
//! Each byte carries one 8 kHz sample pair of the two sub-bands:
//!
//! ```text
//!   bit:  7 6      5 4 3 2 1 0
//!       +------+----------------+
//!       |  IH  |       IL       |    IH: higher band, 2-bit code (4 levels)
//!       +------+----------------+    IL: lower band, 6-bit code (60 levels in mode 1)
//! ```
//!
//! The arithmetic follows the recommendation's fixed-point description of the decoder block by
//! block, under its block names (INVQBL, RECONS, LIMIT, INVQAL, LOGSCL, SCALEL; the adaptive
//! predictor of block 4: PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC; and the
//! receive QMF with its 24 coefficients). Every intermediate value is saturated to 16 bits where
//! the recommendation saturates. The output is bit-exact with libavcodec's decoder (the one
//! janus-pp-rec uses), checked in `tests/ffmpeg.rs`; and the two bands' reconstructed signals
//! matched the first 160 codes of the recommendation's own digital test sequences (Appendix II:
//! T2R1.COD decoded to T3L1.RC1 and T3H1.RC0), compared once by hand: the ITU's files are not
//! ours to ship.
//!
//! * The lower band reconstructs its output with the full 6-bit code (table QQ6) but adapts its
//!   scale factor and predictor with the code truncated to 4 bits (QQ4), which is what lets a
//!   decoder of a lower mode (56 or 48 kbit/s) track the same state.
//! * Both bands adapt the same way (block 4): a pole-zero predictor, 2 poles and 6 zeros, with
//!   sign-sign updates and the stability limits |a2| <= 0.75, |a1| <= 1 - 2^-4 - a2.
//! * The receive QMF interleaves the sum and difference of the two bands into a 24-sample delay
//!   line and filters it with 12 coefficients (the filter is symmetric: 24 taps).
//!
//! A lost byte or packet is not fatal: the adaptation is built to converge again after an
//! error, so decoding simply goes on (what RTP receivers do). Call [`G722Decoder::reset`] where
//! the stream restarts from an encoder's initial state (a new sender).

/// QQ4: the lower band's 4-bit inverse quantizer output levels (×2^-15 of the scale factor),
/// indexed by the 6-bit code shifted right by 2.
const QQ4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// QQ6: the lower band's 6-bit inverse quantizer output levels, indexed by the 6-bit code.
/// Codes 0..=3 are not emitted by an encoder and decode as the smallest negative level.
const QQ6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// RIL -> the lower band's log scale factor multiplier class (LOGSCL), by 4-bit code.
const RIL_CLASS: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/// WL: the lower band's log scale factor multipliers, by class.
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/// QQ2: the higher band's 2-bit inverse quantizer output levels.
const QQ2: [i32; 4] = [-7408, -1616, 7408, 1616];
/// IH -> the higher band's multiplier class (LOGSCH).
const IH_CLASS: [usize; 4] = [2, 1, 2, 1];
/// WH: the higher band's log scale factor multipliers, by class.
const WH: [i32; 3] = [0, -214, 798];

/// ILB: 2^(i/32) in Q11, the mantissas of the scale factor's inverse logarithm (SCALEL/SCALEH).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// The receive QMF coefficients h0..h11 (h23..h12 mirror them).
const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// `value` held to 16 bits, as the recommendation saturates.
fn sat(value: i32) -> i32 {
    value.clamp(-32768, 32767)
}

/// The state of one sub-band's ADPCM decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Band {
    /// Signal estimate SL/SH (PREDIC).
    s: i32,
    /// Zero-section output SZL/SZH (FILTEZ).
    sz: i32,
    /// Reconstructed signal, delayed by 1 and 2 (index 0 unused).
    r: [i32; 3],
    /// Partially reconstructed signal, delayed by 1 and 2 (index 0 unused).
    p: [i32; 3],
    /// Pole coefficients a1, a2 (index 0 unused).
    a: [i32; 3],
    /// Quantized difference signal, delayed by 1..=6 (index 0 unused).
    d: [i32; 7],
    /// Zero coefficients b1..b6 (index 0 unused).
    b: [i32; 7],
    /// Log scale factor NBL/NBH.
    nb: i32,
    /// Scale factor DETL/DETH.
    det: i32,
}

impl Band {
    /// A band in the reset state, with its initial scale factor.
    fn new(det: i32) -> Band {
        Band {
            s: 0,
            sz: 0,
            r: [0; 3],
            p: [0; 3],
            a: [0; 3],
            d: [0; 7],
            b: [0; 7],
            nb: 0,
            det,
        }
    }

    /// LOGSCL/LOGSCH then SCALEL/SCALEH: the log scale factor leaks (×127/128), takes the
    /// code's multiplier, is held to `0..=max`, and its inverse log (shifted by `shift`) becomes
    /// the new scale factor.
    fn scale(&mut self, multiplier: i32, max: i32, shift: i32) {
        self.nb = (((self.nb * 127) >> 7) + multiplier).clamp(0, max);
        let mantissa = ILB[((self.nb >> 6) & 31) as usize];
        let wd2 = shift - (self.nb >> 11);
        // nb <= 22528 keeps nb >> 11 <= 11, so the shifts stay below 2.
        let wd3 = if wd2 < 0 {
            mantissa << -wd2
        } else {
            mantissa >> wd2
        };
        self.det = wd3 << 2;
    }

    /// Block 4: reconstruction, predictor adaptation and the next signal estimate, from the
    /// quantized difference signal `d` (DLT/DH).
    fn adapt(&mut self, d: i32) {
        // RECONS and PARREC.
        let r0 = sat(self.s + d);
        let p0 = sat(self.sz + d);
        // UPPOL2: the second pole, from the signs of p now and one and two samples ago.
        let sg0 = p0 >> 15;
        let sg1 = self.p[1] >> 15;
        let sg2 = self.p[2] >> 15;
        let wd1 = sat(self.a[1] << 2);
        let wd2 = if sg0 == sg1 { -wd1 } else { wd1 }.min(32767);
        let wd3 = (wd2 >> 7) + if sg0 == sg2 { 128 } else { -128 } + ((self.a[2] * 32512) >> 15);
        let a2 = wd3.clamp(-12288, 12288);
        // UPPOL1: the first pole, limited by the new second one.
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let limit = sat(15360 - a2);
        let a1 = sat(wd1 + ((self.a[1] * 32640) >> 15)).clamp(-limit, limit);
        // UPZERO: the six zeros, from the signs of d now and before.
        let step = if d == 0 { 0 } else { 128 };
        let sgd = d >> 15;
        for i in 1..7 {
            let wd2 = if self.d[i] >> 15 == sgd { step } else { -step };
            self.b[i] = sat(wd2 + ((self.b[i] * 32640) >> 15));
        }
        // DELAYA.
        self.d.copy_within(1..6, 2);
        self.d[1] = d;
        self.r = [0, r0, self.r[1]];
        self.p = [0, p0, self.p[1]];
        self.a = [0, a1, a2];
        // FILTEP.
        let sp = sat(((self.a[1] * sat(self.r[1] + self.r[1])) >> 15)
            + ((self.a[2] * sat(self.r[2] + self.r[2])) >> 15));
        // FILTEZ.
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat(sz);
        // PREDIC.
        self.s = sat(sp + self.sz);
    }
}

/// A G.722 decoder at 64 kbit/s: one byte in, two 16 kHz samples out, with state carried from
/// one call to the next (a stream split into packets decodes as if it were one buffer).
///
/// Memory is fixed (about 250 bytes); decoding is a few dozen integer operations per byte and
/// never fails: every byte is a valid code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct G722Decoder {
    low: Band,
    high: Band,
    /// The receive QMF's delay line: sum and difference of the bands, oldest first.
    qmf: [i32; 24],
}

impl Default for G722Decoder {
    fn default() -> G722Decoder {
        G722Decoder::new()
    }
}

impl G722Decoder {
    /// A decoder in the recommendation's reset state.
    pub fn new() -> G722Decoder {
        G722Decoder {
            low: Band::new(32),
            high: Band::new(8),
            qmf: [0; 24],
        }
    }

    /// Back to the reset state, as for a new stream.
    pub fn reset(&mut self) {
        *self = G722Decoder::new();
    }

    /// Appends the 16 kHz samples of `input` to `out`: exactly two per byte.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<i16>) {
        out.reserve(input.len().saturating_mul(2));
        for &code in input {
            out.extend_from_slice(&self.decode_byte(code));
        }
    }

    /// Appends the 16 kHz samples of `input` to `out` as 16-bit little-endian bytes: four per
    /// input byte.
    pub fn decode_to_s16le(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len().saturating_mul(4));
        for &code in input {
            let [x1, x2] = self.decode_byte(code);
            out.extend_from_slice(&x1.to_le_bytes());
            out.extend_from_slice(&x2.to_le_bytes());
        }
    }

    /// The two output samples of one code byte.
    fn decode_byte(&mut self, code: u8) -> [i16; 2] {
        let rl = self.lower(code & 0x3F);
        let rh = self.higher(code >> 6);
        self.receive_qmf(rl, rh)
    }

    /// The lower band's reconstructed sample for 6-bit code `ilr`.
    fn lower(&mut self, ilr: u8) -> i32 {
        let band = &mut self.low;
        // INVQBL, RECONS, LIMIT: the output uses the whole 6-bit code.
        let dl = (band.det * QQ6[usize::from(ilr)]) >> 15;
        let rl = (band.s + dl).clamp(-16384, 16383);
        // INVQAL: the adaptation uses the code truncated to 4 bits.
        let ilr4 = usize::from(ilr >> 2);
        let dlt = (band.det * QQ4[ilr4]) >> 15;
        band.scale(WL[RIL_CLASS[ilr4]], 18432, 8);
        band.adapt(dlt);
        rl
    }

    /// The higher band's reconstructed sample for 2-bit code `ih`.
    fn higher(&mut self, ih: u8) -> i32 {
        let band = &mut self.high;
        let ih = usize::from(ih & 3);
        // INVQAH, RECONS, LIMIT.
        let dh = (band.det * QQ2[ih]) >> 15;
        let rh = (band.s + dh).clamp(-16384, 16383);
        band.scale(WH[IH_CLASS[ih]], 22528, 10);
        band.adapt(dh);
        rh
    }

    /// The receive QMF: two 16 kHz output samples from one lower and one higher band sample.
    fn receive_qmf(&mut self, rl: i32, rh: i32) -> [i16; 2] {
        self.qmf.copy_within(2.., 0);
        self.qmf[22] = rl + rh;
        self.qmf[23] = rl - rh;
        let (mut even, mut odd) = (0i32, 0i32);
        for (i, &h) in QMF.iter().enumerate() {
            even += self.qmf[2 * i] * h;
            odd += self.qmf[2 * i + 1] * QMF[11 - i];
        }
        // Each delay-line value is within ±32768 and the coefficients sum to 6482 in magnitude:
        // the sums stay far inside i32.
        [sat(odd >> 11) as i16, sat(even >> 11) as i16]
    }
}

/// The 16 kHz samples of a whole G.722 stream, decoded from the reset state.
pub fn decode_g722(input: &[u8]) -> Vec<i16> {
    let mut out = Vec::new();
    G722Decoder::new().decode(input, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ilb_is_two_to_the_i_over_32_in_q11() {
        for (i, &v) in ILB.iter().enumerate() {
            let exact = 2048.0 * 2f64.powf(i as f64 / 32.0);
            assert!((f64::from(v) - exact).abs() <= 0.5, "{i}: {v} vs {exact}");
        }
    }

    #[test]
    fn split_input_decodes_as_one_buffer() {
        let input: Vec<u8> = (0..2000u32).map(|i| (i * 37 % 251) as u8).collect();
        let whole = decode_g722(&input);
        let mut decoder = G722Decoder::new();
        let mut parts = Vec::new();
        for chunk in input.chunks(7) {
            decoder.decode(chunk, &mut parts);
        }
        assert_eq!(whole, parts);
    }

    #[test]
    fn reset_returns_to_the_initial_state() {
        let mut decoder = G722Decoder::new();
        decoder.decode(&[0x12, 0xFF, 0x00, 0x80], &mut Vec::new());
        assert_ne!(decoder, G722Decoder::new());
        decoder.reset();
        assert_eq!(decoder, G722Decoder::new());
    }
}
