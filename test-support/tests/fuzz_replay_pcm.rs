//! Replays the committed inputs of the `g722_decode` fuzz target (seeds in
//! `fuzz/corpus/g722_decode/`, past crashes in `fuzz/regressions/g722_decode/`) through its body
//! in `mjrtool_test_support::fuzz_pcm`, so that plain `cargo test` guards against regressions.

use mjrtool_test_support::fuzz_pcm::g722_decode;
use mjrtool_test_support::replay::replay;

#[test]
fn every_committed_g722_decode_input_decodes_without_panicking() {
    let extra: [&[u8]; 5] = [b"", &[4], &[4, 0], &[0xFF; 300], &[0x00; 300]];
    replay("g722_decode", g722_decode, 5, &extra);
}
