//! Replays the committed seeds of the `wav_writer` and `srt_writer` fuzz targets
//! (`fuzz/corpus/<target>/`, and `fuzz/regressions/<target>/` when a crash is kept) through the
//! bodies in `mjrtool_test_support::fuzz_wavsub`, the same ones `cargo fuzz` runs.

use std::path::{Path, PathBuf};

use mjrtool_test_support::fuzz_wavsub;

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
        .filter_map(|e| e.ok().map(|e| e.path()))
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
    for data in [&b""[..], &[0u8; 1], &[0xFF; 64], &[0x7F; 300]] {
        target(data);
    }
}

#[test]
fn every_committed_wav_writer_input_keeps_the_header_sizes_right() {
    replay("wav_writer", fuzz_wavsub::wav_writer);
}

#[test]
fn every_committed_srt_writer_input_makes_ordered_non_overlapping_cues() {
    replay("srt_writer", fuzz_wavsub::srt_writer);
}
