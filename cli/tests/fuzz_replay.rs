//! Replays every committed fuzz input — the seed corpora in `fuzz/corpus/<target>/` and the
//! inputs that once crashed a target, kept in `fuzz/regressions/<target>/` — through the same
//! target bodies that `cargo fuzz` runs, so that plain `cargo test` guards against regressions.

#[allow(dead_code)]
mod targets {
    include!("../../fuzz/src/targets.rs");
}

use std::path::Path;

fn replay(name: &str, target: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(name)) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(result.is_ok(), "{name}: {} panics", f.display());
            n += 1;
        }
    }
    // Also a few inputs that every parser must survive.
    for data in [
        &b""[..],
        &[0u8; 1],
        &[0xFF; 64],
        b"MJR00002\xFF\xFF{",
        b"MEETECHO\x00\x05video",
    ] {
        target(data);
    }
    eprintln!("{name}: {n} committed inputs replayed");
}

macro_rules! replay_tests {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            replay(stringify!($name), targets::$name);
        }
    )*};
}

replay_tests!(
    mjr_header,
    mjr_stream,
    rtp,
    vp8_depack,
    opus_depack,
    convert,
    webm_reader,
    ogg_reader,
    mjr_roundtrip,
    webm_roundtrip,
    ogg_roundtrip
);
