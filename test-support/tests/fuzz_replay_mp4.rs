//! Replays the committed inputs of the `mp4_roundtrip` fuzz target (seeds in
//! `fuzz/corpus/mp4_roundtrip/`, past crashes in `fuzz/regressions/mp4_roundtrip/`) through its
//! body in `mjrtool_test_support::fuzz_mp4`, so that plain `cargo test` guards against
//! regressions.

use std::path::{Path, PathBuf};

use mjrtool_test_support::fuzz_mp4::mp4_roundtrip;

/// The committed inputs under `fuzz/<dir>/mp4_roundtrip/`, sorted; none if the folder is absent.
fn inputs(dir: &str) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join("mp4_roundtrip");
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

#[test]
fn every_committed_mp4_roundtrip_input_reads_back_what_was_muxed() {
    let corpus = inputs("corpus");
    // A renamed or emptied folder would otherwise make this test pass on nothing.
    assert!(
        corpus.len() >= 4,
        "fuzz/corpus/mp4_roundtrip has too few seeds"
    );
    for f in corpus.iter().chain(&inputs("regressions")) {
        let data = std::fs::read(f).unwrap();
        let result = std::panic::catch_unwind(|| mp4_roundtrip(&data));
        assert!(result.is_ok(), "{} panics", f.display());
    }
    for data in [
        &b""[..],
        &[1],
        &[3, 0, 0, 0],
        &[0xFF; 64],
        b"\0\0\0\x08ftyp\0\0\0\x08moov",
    ] {
        mp4_roundtrip(data);
    }
}
