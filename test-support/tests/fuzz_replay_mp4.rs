//! Replays the committed inputs of the `mp4_roundtrip` fuzz target (seeds in
//! `fuzz/corpus/mp4_roundtrip/`, past crashes in `fuzz/regressions/mp4_roundtrip/`) through its
//! body in `mjrtool_test_support::fuzz_mp4`, so that plain `cargo test` guards against
//! regressions.

use mjrtool_test_support::fuzz_mp4::mp4_roundtrip;
use mjrtool_test_support::replay::replay;

#[test]
fn every_committed_mp4_roundtrip_input_reads_back_what_was_muxed() {
    let extra: [&[u8]; 5] = [
        &b""[..],
        &[1],
        &[3, 0, 0, 0],
        &[0xFF; 64],
        b"\0\0\0\x08ftyp\0\0\0\x08moov",
    ];
    replay("mp4_roundtrip", mp4_roundtrip, 4, &extra);
}
