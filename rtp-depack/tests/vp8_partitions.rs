//! VP8 frames whose DCT partitions do not fit them (RFC 6386 section 9.5) are refused, exactly
//! where ffmpeg refuses them ("Invalid partitions"): real frames from the committed fixture,
//! frames written with a boolean encoder, and random bit flips of real frames, judged against a
//! plain reference of the rule; and, when ffmpeg is installed, by ffmpeg itself.

use mjrtool_core::{Depacketizer as PayloadRules, FrameData};
use mjrtool_test_support::fixtures::{in_pieces, ivf_file, ivf_fixture};
use mjrtool_test_support::tools::{have, run, temp_dir};
use proptest::prelude::*;
use rtp_depack::{Vp8FrameHeader, Vp8Payload};

/// The frames of the committed IVF fixture.
fn fixture_frames() -> Vec<Vec<u8>> {
    ivf_fixture("vp8-320x240.ivf")
}

/// The reference: ffmpeg's range decoder as it keeps it (a 32-bit code word with the range at
/// bit 16, refilled two bytes at a time), with zeros past the end of the partition.
struct RefDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    high: u32,
    bits: i32,
    code_word: u32,
}

impl<'a> RefDecoder<'a> {
    fn new(data: &'a [u8]) -> Self {
        let byte = |i: usize| u32::from(data.get(i).copied().unwrap_or(0));
        RefDecoder {
            data,
            pos: 3,
            high: 255,
            bits: -16,
            code_word: byte(0) << 16 | byte(1) << 8 | byte(2),
        }
    }

    fn bit(&mut self) -> bool {
        while self.high < 128 {
            self.high <<= 1;
            self.code_word <<= 1;
            self.bits += 1;
        }
        if self.bits >= 0 && self.pos < self.data.len() {
            let byte = |i: usize| u32::from(self.data.get(i).copied().unwrap_or(0));
            self.code_word |= (byte(self.pos) << 8 | byte(self.pos + 1)) << self.bits;
            self.pos += 2;
            self.bits -= 16;
        }
        let low = 1 + (((self.high - 1) * 128) >> 8);
        let bit = self.code_word >= low << 16;
        if bit {
            self.high -= low;
            self.code_word -= low << 16;
        } else {
            self.high = low;
        }
        bit
    }

    fn uint(&mut self, n: u32) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            v = v << 1 | u32::from(self.bit());
        }
        v
    }

    /// A flag; when set, `n` more bits.
    fn skip_if(&mut self, n: u32) {
        if self.bit() {
            self.uint(n);
        }
    }
}

/// The reference verdict on a whole frame: `Some(number of DCT partitions)` if ffmpeg would
/// start decoding it, `None` if it would refuse it.
fn reference(frame: &[u8]) -> Option<usize> {
    if frame.len() < 3 {
        return None;
    }
    let tag = u32::from(frame[0]) | u32::from(frame[1]) << 8 | u32::from(frame[2]) << 16;
    let key = tag & 1 == 0;
    let first = (tag >> 5) as usize;
    let mut rest = &frame[3..];
    if key {
        if rest.len() < 7 || rest[..3] != [0x9d, 0x01, 0x2a] {
            return None;
        }
        let w = u16::from_le_bytes([rest[3], rest[4]]) & 0x3FFF;
        let h = u16::from_le_bytes([rest[5], rest[6]]) & 0x3FFF;
        if w == 0 || h == 0 {
            return None;
        }
        rest = &rest[7..];
    }
    if first == 0 || first > rest.len() {
        return None;
    }
    let mut d = RefDecoder::new(&rest[..first]);
    if key {
        d.uint(2);
    }
    if d.bit() {
        let map = d.bit();
        if d.bit() {
            d.uint(1);
            (0..4).for_each(|_| d.skip_if(8));
            (0..4).for_each(|_| d.skip_if(7));
        }
        if map {
            (0..3).for_each(|_| d.skip_if(8));
        }
    }
    d.uint(10);
    if d.bit() && d.bit() {
        (0..8).for_each(|_| d.skip_if(7));
    }
    let n = 1usize << d.uint(2);
    let mut left = rest.len() as i64 - first as i64;
    let sizes = &rest[first..];
    left -= 3 * (n as i64 - 1);
    if left < 0 {
        return None;
    }
    for i in 0..n - 1 {
        let size = i64::from(sizes[3 * i]) | i64::from(sizes[3 * i + 1]) << 8;
        let size = size | i64::from(sizes[3 * i + 2]) << 16;
        if size < 1 || left - size < 0 {
            return None;
        }
        left -= size;
    }
    (left >= 1).then_some(n)
}

/// A boolean encoder (RFC 6386 section 7.3), ended as libvpx ends one: 32 zero bits at
/// probability 128.
struct BoolEncoder {
    out: Vec<u8>,
    range: u32,
    bottom: u32,
    bit_count: i32,
}

impl BoolEncoder {
    fn new() -> Self {
        BoolEncoder {
            out: Vec::new(),
            range: 255,
            bottom: 0,
            bit_count: 24,
        }
    }

    fn put(&mut self, bit: bool) {
        let split = 1 + (((self.range - 1) * 128) >> 8);
        if bit {
            self.bottom = self.bottom.wrapping_add(split);
            self.range -= split;
        } else {
            self.range = split;
        }
        while self.range < 128 {
            self.range <<= 1;
            if self.bottom & 1 << 31 != 0 {
                // Carry into the bytes already written.
                let mut i = self.out.len();
                while i > 0 && self.out[i - 1] == 0xFF {
                    self.out[i - 1] = 0;
                    i -= 1;
                }
                self.out[i - 1] += 1;
            }
            self.bottom <<= 1;
            self.bit_count -= 1;
            if self.bit_count == 0 {
                self.out.push((self.bottom >> 24) as u8);
                self.bottom &= (1 << 24) - 1;
                self.bit_count = 8;
            }
        }
    }

    fn literal(&mut self, v: u32, n: u32) {
        (0..n).rev().for_each(|i| self.put(v >> i & 1 != 0));
    }

    fn finish(mut self) -> Vec<u8> {
        (0..32).for_each(|_| self.put(false));
        self.out
    }
}

/// A first partition whose header sets every optional field (segmentation with map and data
/// updates, loop-filter deltas) and declares `1 << log2` DCT partitions.
fn first_partition(key: bool, log2: u32) -> Vec<u8> {
    let mut e = BoolEncoder::new();
    if key {
        e.literal(0, 2);
    }
    e.literal(0b111, 3); // segmentation_enabled, update map, update data
    e.literal(1, 1); // segment_feature_mode
    (0..4).for_each(|i| e.literal(1 << 8 | i << 1 | 1, 9));
    (0..4).for_each(|i| e.literal(1 << 7 | i << 1, 8));
    (0..3).for_each(|i| e.literal(1 << 8 | (200 + i), 9));
    e.literal(0, 1); // filter_type
    e.literal(63, 6);
    e.literal(7, 3);
    e.literal(0b11, 2); // loop_filter_adj_enable, mode_ref_lf_delta_update
    (0..8).for_each(|i| e.literal(1 << 7 | (i * 5) << 1 | (i & 1), 8));
    e.literal(log2, 2);
    e.literal(0x5A5A, 16); // what follows in a real header
    e.finish()
}

/// A frame with `first` as its first partition, then `table` (the size table) and `body`.
fn frame(key: bool, first: &[u8], table: &[u32], body: usize) -> Vec<u8> {
    let tag = (first.len() as u32) << 5 | 0x10 | u32::from(!key);
    let mut f = tag.to_le_bytes()[..3].to_vec();
    if key {
        f.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00]);
    }
    f.extend_from_slice(first);
    for s in table {
        f.extend_from_slice(&s.to_le_bytes()[..3]);
    }
    f.resize(f.len() + body, 0x77);
    f
}

fn accepted(frame: &[u8]) -> Option<usize> {
    let read = Vp8FrameHeader::read(frame);
    // A frame kept in the pieces it came in reads the same, wherever it is cut, without being
    // copied together (the frame assembly hands multi-packet frames out that way).
    for cuts in [
        vec![1],
        vec![2, 5],
        vec![3, 10, 11],
        vec![frame.len() / 2],
        vec![7, 20, 40],
    ] {
        let data = FrameData::from_parts(in_pieces(frame, &cuts));
        assert_eq!(Vp8FrameHeader::read_data(&data), read, "cut at {cuts:?}");
        assert_eq!(Vp8Payload.inspect_data(&data), Vp8Payload.inspect(frame));
    }
    let header = read.ok()?;
    assert!(Vp8Payload.inspect(frame).is_ok());
    Some(usize::from(header.dct_partitions))
}

#[test]
fn every_frame_of_the_fixture_passes_and_has_one_dct_partition() {
    let frames = fixture_frames();
    assert_eq!(frames.len(), 60);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(accepted(f), Some(1), "frame {i}");
        assert_eq!(reference(f), Some(1), "frame {i}");
        assert!(Vp8Payload.inspect(f).is_ok());
    }
}

#[test]
fn a_real_frame_cut_to_its_first_partition_or_with_an_empty_one_is_refused() {
    for f in fixture_frames().iter().take(3) {
        let h = Vp8FrameHeader::read(f).unwrap();
        let end = if h.keyframe { 10 } else { 3 } + h.first_part_size as usize;
        // The one DCT partition would be empty.
        assert!(Vp8Payload.inspect(&f[..end]).is_err());
        assert!(Vp8Payload.inspect(&f[..end + 1]).is_ok());
        let mut empty_first = f.clone();
        empty_first[0] &= 0x1F;
        empty_first[1] = 0;
        empty_first[2] = 0;
        assert!(Vp8Payload.inspect(&empty_first).is_err());
    }
}

#[test]
fn every_header_field_is_read_before_the_partition_count() {
    for key in [true, false] {
        for log2 in 0..4 {
            let first = first_partition(key, log2);
            let n = 1usize << log2;
            let ok = frame(key, &first, &vec![5; n - 1], 5 * n);
            assert_eq!(accepted(&ok), Some(n), "key {key} log2 {log2}");
            assert_eq!(reference(&ok), Some(n));
        }
    }
}

#[test]
fn a_size_table_or_partition_that_does_not_fit_or_is_empty_is_refused() {
    let first = first_partition(false, 2); // 4 DCT partitions: a table of 3 sizes
                                           // (sizes of partitions 1 to 3, bytes after the table, accepted)
    let cases: [(&[u32], usize, bool); 8] = [
        (&[5, 5, 5], 16, true), // the last partition gets 1 byte
        (&[5, 5, 5], 30, true),
        (&[5, 5, 5], 15, false),  // the last partition is empty
        (&[5, 0, 5], 30, false),  // an empty partition in the table
        (&[5, 5, 21], 30, false), // one byte past the end
        (&[5, 5, 20], 30, false), // exactly to the end: the last is empty
        (&[5, 5, 19], 30, true),
        (&[0xFF_FFFF, 1, 1], 30, false), // a huge size
    ];
    for (table, body, ok) in cases {
        let f = frame(false, &first, table, body);
        assert_eq!(accepted(&f).is_some(), ok, "{table:?} + {body}");
        assert_eq!(reference(&f).is_some(), ok, "{table:?} + {body}");
    }
    // The table itself cut short.
    let f = frame(false, &first, &[5, 5, 5], 0);
    for cut in 1..=9 {
        let g = &f[..f.len() - cut];
        assert_eq!(accepted(g), None, "cut {cut}");
        assert_eq!(reference(g), None, "cut {cut}");
    }
}

/// A real frame with `flips` (byte index modulo the length, bit) flipped; half of them fall in
/// the first 40 bytes, where the tag, the header fields and the count are.
fn flipped(frames: &[Vec<u8>], pick: usize, flips: &[(usize, u8, bool)]) -> Vec<u8> {
    let mut f = frames[pick % frames.len()].clone();
    for &(at, bit, near) in flips {
        let at = if near { at % 40 } else { at } % f.len();
        f[at] ^= 1 << bit;
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn inspect_refuses_a_bit_flipped_real_frame_exactly_when_the_reference_rule_does(
        pick in any::<usize>(),
        flips in prop::collection::vec((any::<usize>(), 0u8..8, any::<bool>()), 1..6),
        cut in prop::option::of(any::<usize>()),
    ) {
        let frames = fixture_frames();
        let mut f = flipped(&frames, pick, &flips);
        if let Some(cut) = cut {
            f.truncate(cut % (f.len() + 1));
        }
        prop_assert_eq!(accepted(&f), reference(&f));
    }
}

/// A one-frame IVF file holding `frame`.
fn ivf(frame: &[u8]) -> Vec<u8> {
    ivf_file(b"VP80", 320, 240, &[frame])
}

#[test]
fn ffmpeg_finds_valid_partitions_in_every_bit_flipped_keyframe_inspect_accepts() {
    if !have("ffmpeg") {
        return;
    }
    let keyframes: Vec<Vec<u8>> = fixture_frames()
        .into_iter()
        .filter(|f| f[0] & 1 == 0)
        .collect();
    let dir = temp_dir("vp8-partitions");
    let path = dir.join("x.ivf");
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as usize
    };
    let (mut accepted_count, mut refused_count) = (0, 0);
    for i in 0..200 {
        let flips: Vec<(usize, u8, bool)> = (0..1 + next() % 4)
            .map(|_| (next(), (next() % 8) as u8, true))
            .collect();
        let f = flipped(&keyframes, i, &flips);
        if Vp8Payload.inspect(&f).is_err() {
            refused_count += 1;
            continue;
        }
        accepted_count += 1;
        std::fs::write(&path, ivf(&f)).unwrap();
        let input = path.to_str().unwrap();
        let (_, _, stderr) = run(
            "ffmpeg",
            &["-v", "error", "-f", "ivf", "-i", input, "-f", "null", "-"],
        );
        assert!(
            !stderr.contains("Invalid partitions"),
            "flips {flips:?} of keyframe {}: {stderr}",
            i % keyframes.len()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        accepted_count > 0 && refused_count > 0,
        "{accepted_count} {refused_count}"
    );
}

#[test]
fn a_first_partition_of_garbage_above_the_range_reads_as_ffmpeg_reads_it() {
    // A value that starts at or above 0xFF00 is beyond what an encoder writes; the bits then
    // depend on how wide the decoder keeps its value. Both keyframes and inter frames, with
    // every tail after 0xFF bytes.
    for key in [true, false] {
        for ones in 1..40 {
            for tail in [0x00, 0x55, 0xAA, 0xFF] {
                let mut first = vec![0xFF; ones];
                first.resize(48, tail);
                // Seven sizes of 1 and 10 more bytes fit any count: the counts are compared.
                let f = frame(key, &first, &[1; 7], 10);
                assert_eq!(accepted(&f), reference(&f), "{key} {ones} {tail}");
                assert!(accepted(&f).is_some());
            }
        }
    }
}
