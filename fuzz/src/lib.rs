//! The bodies of the fuzz targets, shared with the regression test in `cli/tests/fuzz_replay.rs`
//! (which `include!`s `targets.rs`) so that plain `cargo test` replays every corpus and crash file.
#![forbid(unsafe_code)]

pub mod targets;
