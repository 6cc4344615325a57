//! Test and bench support for mjrtool: a simulator of Janus sessions whose truth is known, and a
//! scorer of the timeline against that truth.
//!
//! * [`sim`] builds a session from a [`sim::scenario::Scenario`] (a sender with capture times on
//!   the wall clock, drift, pauses, restarts, DTX; a network with jitter, stalls, loss,
//!   reordering, duplicates) and writes the two MJR00002 recordings Janus would write, every frame
//!   carrying its truth id;
//! * [`score`] converts the session with the mixer, maps the frames placed back to their capture
//!   times, and measures A/V sync, duration, intact frames lost and timestamp order;
//!   [`score::aggregate`] sums many sessions up per scenario kind;
//! * [`fuzz`] holds the bodies of the cargo-fuzz targets, which `fuzz/` runs under libFuzzer and
//!   `tests/fuzz_replay.rs` replays on every committed seed and past crash in plain `cargo test`;
//!   [`fuzz_pcm`] the audio decoders' target (`tests/fuzz_replay_pcm.rs`);
//! * [`synth`] writes long VP8 + Opus recording pairs from the fixtures (also as the `mjr-synth`
//!   binary, for the scripts), [`ivf`] reads the IVF fixtures;
//! * [`fixtures`] reads the committed fixtures and cuts them into frames as the depacketizers
//!   hand them over, with their `avcC`/`hvcC`/`av1C` records, and [`tools`] runs ffmpeg,
//!   ffprobe and mkvinfo on outputs: the one copy of both that the integration tests of
//!   `webm-mux`, `mjrtool-mp4` and `rtp-depack` use (a dev-dependency by path).
//!
//! See `TIMELINE.md` at the repository root for the method and today's numbers.
//!
//! # Example
//!
//! ```
//! use mjrtool_test_support::score::{score, Goals};
//! use mjrtool_test_support::sim::{scenario::Scenario, simulate};
//!
//! let session = simulate(&Scenario::benign(7, 5_000));
//! let s = score(&session).expect("the mixer converts it");
//! assert!(s.misses(&Goals::default()).is_empty(), "{:?}", s.misses(&Goals::default()));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod fixtures;
pub mod folder;
pub mod fuzz;
pub mod fuzz_h26x;
pub mod fuzz_mp4;
pub mod fuzz_pcm;
pub mod fuzz_vp9av1;
pub mod fuzz_wavsub;
pub mod ivf;
pub mod recordings;
pub mod replay;
pub mod rng;
pub mod score;
pub mod sim;
pub mod synth;
pub mod tools;
