//! Replays the committed inputs of the H.264 and H.265 depacketizer fuzz targets (seeds in
//! `fuzz/corpus/<target>/`, past crashes in `fuzz/regressions/<target>/`) through the bodies in
//! `mjrtool_test_support::fuzz_h26x`, the same ones `cargo fuzz` runs.

use mjrtool_test_support::fuzz_h26x;
use mjrtool_test_support::replay::replay;

const EXTRA: [&[u8]; 4] = [b"", &[0u8; 1], &[0xFF; 64], &[0, 0, 1, 0x65, 0x88, 0, 0, 1]];

#[test]
fn every_committed_h264_depack_input_runs_without_a_panic() {
    replay("h264_depack", fuzz_h26x::h264_depack, 1, &EXTRA);
}

#[test]
fn every_committed_h265_depack_input_runs_without_a_panic() {
    replay("h265_depack", fuzz_h26x::h265_depack, 1, &EXTRA);
}
