//! Round trips and robustness of the decoders, over arbitrary input.

use mjrtool_pcm::{
    alaw_to_linear, decode_g722, decode_l16, l16_to_s16le, ulaw_to_linear, G722Decoder,
};
use proptest::prelude::*;

/// G.711 µ-law compression (Table 2/G.711), written from the standard for this test: the
/// magnitude in the table's units (full scale 8159) plus the bias 33 has its highest set bit at
/// 5 + segment, and the four bits below the segment's lowest step are the interval.
fn ulaw_compress(x: i16) -> u8 {
    let magnitude = (i32::from(x).abs() / 4).min(8158);
    let biased = magnitude + 33;
    let segment = (31 - biased.leading_zeros()) as i32 - 5;
    let interval = (biased >> (segment + 1)) & 0x0F;
    let sign = if x < 0 { 0x80 } else { 0 };
    !(sign | (segment << 4) as u8 | interval as u8)
}

/// G.711 A-law compression (Table 1/G.711): magnitude in the table's units (full scale 4096);
/// segment 0 holds 0..32 in steps of 2, segment s >= 1 holds 2^(s+4)..2^(s+5) in steps of 2^s;
/// positive values have the sign bit set; even bits are inverted for transmission.
fn alaw_compress(x: i16) -> u8 {
    let magnitude = (i32::from(x).abs() / 8).min(4095);
    let (segment, interval) = if magnitude < 32 {
        (0, magnitude >> 1)
    } else {
        let segment = (31 - magnitude.leading_zeros()) as i32 - 4;
        (segment, (magnitude >> segment) & 0x0F)
    };
    let sign = if x >= 0 { 0x80 } else { 0 };
    (sign | (segment << 4) as u8 | interval as u8) ^ 0x55
}

#[test]
fn every_mu_law_byte_but_negative_zero_survives_expansion_and_recompression() {
    for code in 0..=255u8 {
        // 0x7F is µ-law's "negative zero": it expands to 0, which compresses to 0xFF.
        let expected = if code == 0x7F { 0xFF } else { code };
        assert_eq!(ulaw_compress(ulaw_to_linear(code)), expected, "{code:#04x}");
    }
}

#[test]
fn every_a_law_byte_survives_expansion_and_recompression() {
    for code in 0..=255u8 {
        assert_eq!(alaw_compress(alaw_to_linear(code)), code, "{code:#04x}");
    }
}

proptest! {
    #[test]
    fn g711_streams_expand_and_recompress_to_themselves(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut ulaw = Vec::new();
        mjrtool_pcm::decode_ulaw(&input, &mut ulaw);
        let back: Vec<u8> = ulaw.iter().map(|&x| ulaw_compress(x)).collect();
        let expected: Vec<u8> = input.iter().map(|&c| if c == 0x7F { 0xFF } else { c }).collect();
        prop_assert_eq!(back, expected);

        let mut alaw = Vec::new();
        mjrtool_pcm::decode_alaw(&input, &mut alaw);
        let back: Vec<u8> = alaw.iter().map(|&x| alaw_compress(x)).collect();
        prop_assert_eq!(back, input);
    }

    #[test]
    fn compressing_any_sample_picks_the_interval_that_holds_it(x in any::<i16>()) {
        // The recompressors above, checked against the tables: the value a code decodes to is
        // the middle of the interval that holds the sample, so within half the widest step
        // (512, plus what dividing down to the table's units truncates) of it.
        let u = ulaw_to_linear(ulaw_compress(x));
        let a = alaw_to_linear(alaw_compress(x));
        let err = |y: i16| (i32::from(x) - i32::from(y)).abs();
        prop_assert!(err(u) <= 515 || i32::from(x).abs() > 32124, "µ-law {} -> {}", x, u);
        prop_assert!(err(a) <= 519 || i32::from(x).abs() > 32256, "A-law {} -> {}", x, a);
    }

    #[test]
    fn l16_samples_round_trip_through_the_byte_swap(samples in proptest::collection::vec(any::<i16>(), 0..256), odd in any::<bool>()) {
        let mut wire: Vec<u8> = samples.iter().flat_map(|s| s.to_be_bytes()).collect();
        if odd {
            wire.push(0xAB);
        }
        let mut le = Vec::new();
        prop_assert_eq!(l16_to_s16le(&wire, &mut le), usize::from(odd));
        let expected: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        prop_assert_eq!(le, expected);
        let mut decoded = Vec::new();
        prop_assert_eq!(decode_l16(&wire, &mut decoded), usize::from(odd));
        prop_assert_eq!(decoded, samples);
    }

    #[test]
    fn g722_decodes_any_bytes_to_exactly_two_samples_each(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let out = decode_g722(&input);
        prop_assert_eq!(out.len(), input.len() * 2);
    }

    #[test]
    fn g722_output_does_not_depend_on_how_the_input_is_split(
        input in proptest::collection::vec(any::<u8>(), 0..1024),
        cuts in proptest::collection::vec(1usize..200, 1..16),
    ) {
        let mut decoder = G722Decoder::new();
        let mut out = Vec::new();
        let mut rest = &input[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at((*cut).min(rest.len()));
            decoder.decode(head, &mut out);
            rest = tail;
        }
        prop_assert_eq!(out, decode_g722(&input));
    }
}
