//! Replays the committed inputs of the `g722_decode` fuzz target (seeds in
//! `fuzz/corpus/g722_decode/`, past crashes in `fuzz/regressions/g722_decode/`) through its body
//! in `mjrtool_test_support::fuzz_pcm`, so that plain `cargo test` guards against regressions.

use std::path::{Path, PathBuf};

use mjrtool_test_support::fuzz_pcm::g722_decode;

/// The committed inputs under `fuzz/<dir>/g722_decode/`, sorted; none if the folder is absent.
fn inputs(dir: &str) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join("g722_decode");
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
fn every_committed_g722_decode_input_decodes_without_panicking() {
    let corpus = inputs("corpus");
    // A renamed or emptied folder would otherwise make this test pass on nothing.
    assert!(
        corpus.len() >= 5,
        "fuzz/corpus/g722_decode has too few seeds"
    );
    for f in corpus.iter().chain(&inputs("regressions")) {
        let data = std::fs::read(f).unwrap();
        let result = std::panic::catch_unwind(|| g722_decode(&data));
        assert!(result.is_ok(), "{} panics", f.display());
    }
    for data in [&b""[..], &[4], &[4, 0], &[0xFF; 300], &[0x00; 300]] {
        g722_decode(data);
    }
}
