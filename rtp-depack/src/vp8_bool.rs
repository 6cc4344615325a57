//! The VP8 boolean decoder (RFC 6386 section 7) and the walk over the frame header fields that
//! come before the DCT partition count (RFC 6386 sections 9.2 to 9.6, layout in section 19.2).
//!
//! Only the count of DCT partitions is wanted: it tells where the partition size table sits
//! (section 9.5), and a frame whose table does not fit its length cannot be decoded. Every field
//! before it is read (and thrown away) because its presence depends on earlier flags.
//!
//! The decoder never reads outside the slice it is given: past the end it shifts in zeros, as
//! the reference decoder does, so a short partition yields a count, never a panic.

/// A boolean decoder over one partition (RFC 6386 section 7.3).
pub(crate) struct BoolDecoder<'a> {
    data: &'a [u8],
    /// Index of the next byte to shift in.
    pos: usize,
    /// Two bytes of the arithmetic-coded value, as in section 7.3 (`value < range << 8`).
    value: u32,
    /// The current range, 128 to 255 between calls.
    range: u32,
    /// Bits shifted out of `value` since the last byte was shifted in.
    bit_count: u32,
}

impl<'a> BoolDecoder<'a> {
    /// A decoder whose value starts as the first two bytes of `data`, big-endian.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        let mut d = BoolDecoder {
            data,
            pos: 0,
            value: 0,
            range: 255,
            bit_count: 0,
        };
        d.value = u32::from(d.next_byte()) << 8 | u32::from(d.next_byte());
        d
    }

    /// The next byte of the partition, or 0 past its end.
    fn next_byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        b
    }

    /// One boolean whose probability of being 0 is `prob / 256` (section 7.3, `bool_decoder`).
    pub(crate) fn read_bool(&mut self, prob: u8) -> bool {
        let split = 1 + (((self.range - 1) * u32::from(prob)) >> 8);
        let big_split = split << 8;
        let bit = if self.value >= big_split {
            self.range -= split;
            self.value -= big_split;
            true
        } else {
            self.range = split;
            false
        };
        while self.range < 128 {
            // Garbage can start with a value above `range << 8` (a first byte of 0xFF); keeping
            // 24 bits then drops the excess where ffmpeg's 32-bit window (range at bit 16)
            // drops it, and nothing overflows.
            self.value = (self.value << 1) & 0xFF_FFFF;
            self.range <<= 1;
            self.bit_count += 1;
            if self.bit_count == 8 {
                self.bit_count = 0;
                self.value |= u32::from(self.next_byte());
            }
        }
        bit
    }

    /// `L(n)`: an `n`-bit unsigned literal, most significant bit first, each bit at
    /// probability 128 (section 8.1, section 19.2).
    pub(crate) fn literal(&mut self, n: u32) -> u32 {
        (0..n).fold(0, |v, _| v << 1 | u32::from(self.read_bool(128)))
    }

    /// A flag `L(1)`; when set, `bits` more bits follow, and a sign bit `L(1)` if `signed`.
    fn optional(&mut self, bits: u32, signed: bool) {
        if self.read_bool(128) {
            self.literal(bits + u32::from(signed));
        }
    }
}

/// `log2_nbr_of_dct_partitions` (0 to 3) from the first partition of a frame, read after the
/// fields that precede it in the frame header (RFC 6386 section 19.2):
///
/// ```text
/// keyframes only:  color_space L(1), clamping_type L(1)
/// segmentation_enabled L(1)                                   section 9.3
///   update_mb_segmentation_map L(1), update_segment_feature_data L(1)
///   if update_segment_feature_data: segment_feature_mode L(1),
///     4 x quantizer [flag L(1): value L(7), sign L(1)],
///     4 x loop filter [flag L(1): value L(6), sign L(1)]
///   if update_mb_segmentation_map: 3 x [flag L(1): prob L(8)]
/// filter_type L(1), loop_filter_level L(6), sharpness_level L(3)   section 9.6
/// loop_filter_adj_enable L(1)
///   mode_ref_lf_delta_update L(1)
///     8 x [flag L(1): magnitude L(6), sign L(1)]  (4 ref_frame, 4 mb_mode)
/// log2_nbr_of_dct_partitions L(2)                             section 9.5
/// ```
pub(crate) fn log2_dct_partitions(first_partition: &[u8], keyframe: bool) -> u32 {
    let mut d = BoolDecoder::new(first_partition);
    if keyframe {
        d.literal(2); // color_space, clamping_type
    }
    if d.read_bool(128) {
        let update_map = d.read_bool(128);
        let update_data = d.read_bool(128);
        if update_data {
            d.literal(1); // segment_feature_mode
            (0..4).for_each(|_| d.optional(7, true));
            (0..4).for_each(|_| d.optional(6, true));
        }
        if update_map {
            (0..3).for_each(|_| d.optional(8, false));
        }
    }
    d.literal(1 + 6 + 3); // filter_type, loop_filter_level, sharpness_level
    if d.read_bool(128) && d.read_bool(128) {
        (0..8).for_each(|_| d.optional(6, true));
    }
    d.literal(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_of_zeros_reads_as_zero_bits_and_halves_read_as_the_stream_bits() {
        let mut d = BoolDecoder::new(&[0; 4]);
        assert_eq!(d.literal(32), 0);
        assert_eq!(log2_dct_partitions(&[0; 30], true), 0);
        // At probability 128 the first split is exactly half of 0x10000.
        assert!(BoolDecoder::new(&[0x80, 0]).read_bool(128));
        assert!(!BoolDecoder::new(&[0x7F, 0xFF]).read_bool(128));
    }

    #[test]
    fn all_ones_bytes_read_as_one_bits_and_the_decoder_never_reads_past_the_end() {
        let mut d = BoolDecoder::new(&[0xFF; 4]);
        assert_eq!(d.literal(8), 0xFF);
        // Past the end the value runs out of ones; no panic on a long read of an empty slice.
        let mut e = BoolDecoder::new(&[]);
        assert_eq!(e.literal(32), 0);
        assert_eq!(log2_dct_partitions(&[], false), 0);
    }
}
