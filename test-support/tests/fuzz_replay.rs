//! Replays every committed fuzz input — the seed corpora in `fuzz/corpus/<target>/` and the
//! inputs that once crashed a target, kept in `fuzz/regressions/<target>/` — through the bodies in
//! `mjrtool_test_support::fuzz`, the same ones `cargo fuzz` runs, so that plain `cargo test` guards
//! against regressions. This crate is not published, so it may read `../fuzz` beside it.

use mjrtool_test_support::fuzz;

/// The parsers' own extra inputs, beside the committed ones.
const EXTRA: [&[u8]; 5] = [
    b"",
    &[0u8; 1],
    &[0xFF; 64],
    b"MJR00002\xFF\xFF{",
    b"MEETECHO\x00\x05video",
];

fn replay(name: &str, target: fn(&[u8])) {
    let n = mjrtool_test_support::replay::replay(name, target, 1, &EXTRA);
    eprintln!("{name}: {n} committed inputs replayed");
}

macro_rules! replay_tests {
    ($($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name), fuzz::$name);
            }
        )*

        /// The targets replayed above, in the order of `fuzz/Cargo.toml`.
        const REPLAYED: &[&str] = &[$(stringify!($name)),*];
    };
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

/// Targets whose bodies live in another module and are replayed by their own test file.
const REPLAYED_ELSEWHERE: &[&str] = &[
    "mp4_roundtrip", // fuzz_mp4, tests/fuzz_replay_mp4.rs
    "g722_decode",   // fuzz_pcm, tests/fuzz_replay_pcm.rs
    "wav_writer",    // fuzz_wavsub, tests/fuzz_replay_wavsub.rs
    "srt_writer",    // fuzz_wavsub, tests/fuzz_replay_wavsub.rs
    "h264_depack",   // fuzz_h26x, tests/fuzz_replay_h26x.rs
    "h265_depack",   // fuzz_h26x, tests/fuzz_replay_h26x.rs
    "vp9_depack",    // fuzz_vp9av1, tests/fuzz_replay_vp9av1.rs
    "av1_depack",    // fuzz_vp9av1, tests/fuzz_replay_vp9av1.rs
];

#[test]
fn every_fuzz_target_is_replayed() {
    let manifest =
        std::fs::read_to_string(mjrtool_test_support::replay::fuzz_dir().join("Cargo.toml"))
            .unwrap();
    // Each target is a `[[bin]]` whose first line is `name = "<target>"`.
    let targets: Vec<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|bin| {
            let line = bin.lines().map(str::trim).find(|l| l.starts_with("name"))?;
            line.split('"').nth(1)
        })
        .filter(|t| !REPLAYED_ELSEWHERE.contains(t))
        .collect();
    assert_eq!(targets, REPLAYED);
}
