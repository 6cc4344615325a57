//! Replays the committed inputs of the H.264 and H.265 depacketizer fuzz targets (seeds in
//! `fuzz/corpus/<target>/`, past crashes in `fuzz/regressions/<target>/`) through the bodies in
//! `mjrtool_test_support::fuzz_h26x`, the same ones `cargo fuzz` runs.

use std::path::{Path, PathBuf};

use mjrtool_test_support::fuzz_h26x;

/// The committed inputs of one target under `fuzz/<dir>/<name>/`, sorted.
fn inputs(dir: &str, name: &str) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join(name);
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(name: &str, target: fn(&[u8])) {
    let corpus = inputs("corpus", name);
    assert!(!corpus.is_empty(), "fuzz/corpus/{name} has no seed");
    for f in corpus.iter().chain(&inputs("regressions", name)) {
        let data = std::fs::read(f).unwrap();
        let result = std::panic::catch_unwind(|| target(&data));
        assert!(result.is_ok(), "{name}: {} panics", f.display());
    }
    for data in [
        &b""[..],
        &[0u8; 1],
        &[0xFF; 64],
        &[0, 0, 1, 0x65, 0x88, 0, 0, 1],
    ] {
        target(data);
    }
}

#[test]
fn every_committed_h264_depack_input_runs_without_a_panic() {
    replay("h264_depack", fuzz_h26x::h264_depack);
}

#[test]
fn every_committed_h265_depack_input_runs_without_a_panic() {
    replay("h265_depack", fuzz_h26x::h265_depack);
}
