//! Shared set-up for the criterion benches in `benches/benches/` (run `cargo bench -p mjr-benches`)
//! and the comparison script `benches/compare.sh`. See `BENCHMARKS.md` at the repository root.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use mjrtool::synth::{self, SynthOptions};

/// An audio + video recording pair generated in memory by `mjrtool synth`'s generator.
pub struct Pair {
    /// The video recording (VP8, padded to `video_bitrate`).
    pub video: Vec<u8>,
    /// The audio recording (Opus, 20 ms packets).
    pub audio: Vec<u8>,
}

/// Generates a realistic MJR00002 pair of `seconds` seconds: VP8 at about 2 Mbit/s in ~1,100-byte
/// packets, Opus every 20 ms, with light reordering and loss.
pub fn pair(seconds: u64) -> Pair {
    let o = SynthOptions {
        duration_ms: seconds * 1000,
        video_bitrate: Some(2_000_000),
        reorder: 0.01,
        loss: 0.001,
        duplicate: 0.0,
        ..SynthOptions::default()
    };
    let mut video = Vec::new();
    let mut audio = Vec::new();
    synth::write_video(&mut video, &o).expect("writing to memory works");
    synth::write_audio(&mut audio, &o).expect("writing to memory works");
    Pair { video, audio }
}
