//! How much room to leave for a faststart MP4's head (`ftyp`, `moov`) in front of its samples.
//!
//! The samples are written once, as they come, behind that room; the head is written over it at
//! the end ([`mp4_mux::Mp4Muxer::samples_first`]). The head's size depends on how many samples
//! there will be, known only at the end, so it is estimated: the first [`PROBE_SAMPLES`]
//! samples of the same timeline are run into an index-only muxer (reading the inputs' first
//! few MiB again), and what their head needs is scaled by the inputs' size over the bytes read
//! for them, plus a quarter and one block. Recordings that keep their bitrate (a WebRTC
//! sender ramps up at its start, which only makes the estimate larger) get a head that fits;
//! the rest of the room is a `free` box (some 0.1 % of the file). A head that does not fit
//! still makes a correct file: the room it lacks is inserted at the end (see
//! [`crate::output::AtomicOutput::commit`]), which costs time, not correctness.

use std::path::PathBuf;

use mixer::Progress;
use mjrtool_core::{Frame, FrameSink, Nanos, Placement, TrackSpec};
use mp4_mux::{Mp4Error, Mp4Muxer};

use crate::convert::{reopen, ConvertOptions};

/// Samples run to estimate the head: about a minute of 30 fps video with 20 ms audio.
pub(crate) const PROBE_SAMPLES: u64 = 4096;

/// The room, in bytes, to leave for the head of an MP4 of `paths` (a multiple of `align`); 0
/// when it cannot be told (an input that cannot be read again: the conversion itself will say
/// why).
pub(crate) fn reserve(
    paths: &[PathBuf],
    options: &ConvertOptions,
    tags: &[(String, String)],
    align: u64,
) -> u64 {
    let Ok(mut mixer) = reopen(paths, options) else {
        return 0;
    };
    let mut probe = Probe {
        mux: Mp4Muxer::samples_first(std::io::sink(), 0, 1).with_tags(tags.to_vec()),
        left: PROBE_SAMPLES,
    };
    // Stopped by the probe after its samples (or by the end of short inputs).
    let _ = mixer.run(&mut probe, &mut |_: Progress| {});
    let read: u64 = (0..paths.len())
        .filter_map(|i| mixer.source(i))
        .map(mjrtool_core::FrameSource::position)
        .sum();
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let Ok(need) = probe.mux.head_len() else {
        return 0;
    };
    estimate(need, read, total, align)
}

/// `need` bytes of head after reading `read` of `total` bytes: scaled to `total`, plus a
/// quarter and a block, rounded up to `align`; at most an eighth of `total` plus 1 MiB (a
/// larger head is rather inserted at the end than reserved in vain).
pub(crate) fn estimate(need: u64, read: u64, total: u64, align: u64) -> u64 {
    let align = align.max(1);
    let scaled = if read == 0 || read >= total {
        u128::from(need)
    } else {
        u128::from(need) * u128::from(total) / u128::from(read)
    };
    let room = scaled + scaled / 4 + u128::from(align);
    let cap = u128::from(total / 8 + (1 << 20));
    let room = u64::try_from(room.min(cap)).unwrap_or(u64::MAX);
    room.div_ceil(align) * align
}

/// An index-only MP4 muxer that stops after `left` samples.
struct Probe {
    mux: Mp4Muxer<std::io::Sink>,
    left: u64,
}

/// The probe had its samples (or its muxer refused one: the estimate uses what it has).
#[derive(Debug, thiserror::Error)]
#[error("enough samples to size the index")]
struct Enough;

impl From<Mp4Error> for Enough {
    fn from(_: Mp4Error) -> Self {
        Enough
    }
}

impl FrameSink for Probe {
    type Error = Enough;

    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Enough> {
        Ok(self.mux.open(tracks)?)
    }

    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), Enough> {
        if self.left == 0 {
            return Err(Enough);
        }
        self.left -= 1;
        Ok(self.mux.write(track, at, frame)?)
    }

    fn finish(&mut self, _: Nanos) -> Result<(), Enough> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_scales_by_the_bytes_left_and_keeps_a_margin() {
        // A tenth read: ten times the head, a quarter more, a block, rounded to blocks.
        assert_eq!(estimate(10_000, 100 << 20, 1000 << 20, 4096), 131_072);
        // All read (or nothing known): the head itself, with the margin.
        assert_eq!(estimate(10_000, 5_000, 5_000, 4096), 20_480);
        assert_eq!(estimate(10_000, 0, 5_000, 1), 12_501);
        // Never more than an eighth of the inputs and 1 MiB.
        assert_eq!(estimate(1 << 30, 1, 8 << 20, 4096), 2 << 20);
    }
}
