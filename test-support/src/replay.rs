//! Replaying the committed fuzz inputs through the fuzz bodies, for `cargo test`: the seeds in
//! `fuzz/corpus/<target>/` and the inputs that once crashed a target, kept in
//! `fuzz/regressions/<target>/`. This crate is not published, so it may read `../fuzz`.

use std::path::{Path, PathBuf};

/// The `fuzz/` folder of the workspace.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The committed inputs of `target` under `fuzz/<dir>/<target>/`, sorted; none when the folder
/// does not exist (a target need not have regressions).
pub fn committed_inputs(dir: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every committed input of `target` (at least `min_seeds` seeds, so that a renamed or
/// emptied folder does not make a test pass on nothing) and then `extra` through `body`;
/// returns how many committed inputs ran.
///
/// # Panics
///
/// When there are fewer seeds than `min_seeds`, or when `body` panics on an input (the message
/// names the file).
pub fn replay(target: &str, body: fn(&[u8]), min_seeds: usize, extra: &[&[u8]]) -> usize {
    let corpus = committed_inputs("corpus", target);
    assert!(
        corpus.len() >= min_seeds.max(1),
        "fuzz/corpus/{target} has {} seeds, expected at least {}",
        corpus.len(),
        min_seeds.max(1)
    );
    let mut n = 0;
    for f in corpus
        .iter()
        .chain(&committed_inputs("regressions", target))
    {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let result = std::panic::catch_unwind(|| body(&data));
        assert!(result.is_ok(), "{target}: {} panics", f.display());
        n += 1;
    }
    for data in extra {
        body(data);
    }
    n
}
