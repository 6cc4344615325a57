//! Shared set-up for the criterion benches in `benches/benches/` (run `cargo bench -p mjr-benches`)
//! and the comparison script `benches/compare.sh`. See `BENCHMARKS.md` at the repository root.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use mjrtool_test_support::synth::{self, SynthOptions};

/// An audio + video recording pair generated in memory by `mjr-synth`'s generator.
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

/// Hands the timeline's frames to a muxer made beforehand (track `j` is Matroska track `j + 1`),
/// so that a benchmark measures the mixer and the muxer alone.
pub struct Blocks<'a, W: mjrtool_core::SharedWrite>(pub &'a mut webm_mux::Muxer<W>);

impl<W: mjrtool_core::SharedWrite> mjrtool_core::FrameSink for Blocks<'_, W> {
    type Error = webm_mux::MuxError;
    fn open(&mut self, _tracks: &[mjrtool_core::TrackSpec]) -> Result<(), Self::Error> {
        Ok(())
    }
    fn write(
        &mut self,
        track: usize,
        at: mjrtool_core::Placement,
        frame: &mjrtool_core::Frame,
    ) -> Result<(), Self::Error> {
        // The muxer's own sink: the frame's pieces are held, not copied.
        mjrtool_core::FrameSink::write(self.0, track, at, frame)
    }
    fn finish(&mut self, duration: mjrtool_core::Nanos) -> Result<(), Self::Error> {
        self.0
            .set_duration_ns(u64::try_from(duration.get()).unwrap_or(0));
        Ok(())
    }
}
