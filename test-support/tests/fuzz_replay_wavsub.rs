//! Replays the committed seeds of the `wav_writer` and `srt_writer` fuzz targets
//! (`fuzz/corpus/<target>/`, and `fuzz/regressions/<target>/` when a crash is kept) through the
//! bodies in `mjrtool_test_support::fuzz_wavsub`, the same ones `cargo fuzz` runs.

use mjrtool_test_support::fuzz_wavsub;
use mjrtool_test_support::replay::replay;

const EXTRA: [&[u8]; 4] = [b"", &[0u8; 1], &[0xFF; 64], &[0x7F; 300]];

#[test]
fn every_committed_wav_writer_input_keeps_the_header_sizes_right() {
    replay("wav_writer", fuzz_wavsub::wav_writer, 1, &EXTRA);
}

#[test]
fn every_committed_srt_writer_input_makes_ordered_non_overlapping_cues() {
    replay("srt_writer", fuzz_wavsub::srt_writer, 1, &EXTRA);
}
