//! How much room to leave for a faststart MP4's head (`ftyp`, `moov`) in front of its samples.
//!
//! The samples are written once, as they come, behind that room; the head is written over it at
//! the end ([`mp4_mux::Mp4Muxer::samples_first`]). The head's size depends on how many samples
//! there will be, known only at the end, so it is estimated: the first [`PROBE_SAMPLES`]
//! samples of the same timeline are run into an index-only muxer (reading the inputs' first
//! few MiB again). Each track's samples are scaled by its recording's size over the bytes read
//! of it (a track with no sample yet, one that starts late, is given one sample per 100 bytes),
//! and the head grows by what the probe's head took per sample, plus a quarter and one block.
//! Recordings that keep their bitrate (a WebRTC sender ramps up at its start, which only makes
//! the estimate larger) get a head that fits; the rest of the room is a `free` box (some 0.1 %
//! of the file). A head that does not fit still makes a correct file: the room it lacks is
//! inserted at the end (see [`crate::output::AtomicOutput::commit`]), which costs time, not
//! correctness.

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
    let Ok(infos) = mixer.prepare::<Enough>() else {
        return 0;
    };
    let mut probe = Probe {
        mux: Mp4Muxer::samples_first(std::io::sink(), 0, 1).with_tags(tags.to_vec()),
        left: PROBE_SAMPLES,
        samples: vec![0; infos.iter().filter(|i| !i.empty).count()],
    };
    // Stopped by the probe after its samples (or by the end of short inputs).
    let _ = mixer.run(&mut probe, &mut |_: Progress| {});
    let Ok(need) = probe.mux.head_len() else {
        return 0;
    };
    // Mixer track `i` is the probe's track `j` when it is the `j`-th that is not empty.
    let mut sink_tracks = probe.samples.iter();
    let tracks: Vec<TrackProbe> = infos
        .iter()
        .zip(paths)
        .enumerate()
        .filter(|(_, (info, _))| !info.empty)
        .map(|(i, (_, path))| TrackProbe {
            samples: sink_tracks.next().copied().unwrap_or(0),
            read: mixer
                .source(i)
                .map_or(0, mjrtool_core::FrameSource::position),
            size: std::fs::metadata(path).map_or(0, |m| m.len()),
        })
        .collect();
    estimate(need, &tracks, align)
}

/// What the probe saw of one track.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrackProbe {
    /// Samples written.
    pub samples: u64,
    /// Bytes of the recording read for them.
    pub read: u64,
    /// Bytes of the recording.
    pub size: u64,
}

impl TrackProbe {
    /// The samples the whole recording would give at the rate seen.
    fn expected(&self) -> u128 {
        match (self.samples, self.read) {
            (_, r) if r >= self.size => u128::from(self.samples),
            (0, _) | (_, 0) => u128::from(self.size / 100),
            (s, r) => u128::from(s) * u128::from(self.size) / u128::from(r),
        }
    }
}

/// The room for a head that took `need` bytes for the probe's samples, scaled to every track's
/// expected samples, plus a quarter and a block, rounded up to `align`; at most an eighth of the
/// recordings plus 1 MiB (a larger head is rather inserted at the end than reserved in vain).
pub(crate) fn estimate(need: u64, tracks: &[TrackProbe], align: u64) -> u64 {
    let align = align.max(1);
    let seen: u128 = tracks.iter().map(|t| u128::from(t.samples)).sum();
    let expected: u128 = tracks.iter().map(TrackProbe::expected).sum();
    // What a sample took in the probe's head (its fixed part counted in, which errs high); 16
    // bytes if the probe saw none.
    let scaled = match seen {
        0 => u128::from(need) + 16 * expected,
        n => u128::from(need) * expected.max(n) / n,
    };
    let room = scaled + scaled / 4 + u128::from(align);
    let total: u64 = tracks.iter().map(|t| t.size).sum();
    let cap = u128::from(total / 8 + (1 << 20));
    let room = u64::try_from(room.min(cap)).unwrap_or(u64::MAX);
    room.div_ceil(align) * align
}

/// An index-only MP4 muxer that stops after `left` samples.
struct Probe {
    mux: Mp4Muxer<std::io::Sink>,
    left: u64,
    /// Samples written per track.
    samples: Vec<u64>,
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
        if let Some(n) = self.samples.get_mut(track) {
            *n += 1;
        }
        Ok(self.mux.write(track, at, frame)?)
    }

    fn finish(&mut self, _: Nanos) -> Result<(), Enough> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(samples: u64, read: u64, size: u64) -> TrackProbe {
        TrackProbe {
            samples,
            read,
            size,
        }
    }

    #[test]
    fn the_estimate_scales_each_track_by_its_bytes_left_and_keeps_a_margin() {
        // A tenth of one track read: ten times the head, a quarter more, a block, in blocks.
        let one = [track(1000, 100 << 20, 1000 << 20)];
        assert_eq!(estimate(10_000, &one, 4096), 131_072);
        // All read: the head itself, with the margin.
        let all = [track(1000, 5_000, 5_000)];
        assert_eq!(estimate(10_000, &all, 4096), 20_480);
        assert_eq!(estimate(10_000, &all, 1), 12_501);
        // Audio read to its end, video a tenth: 1000 + 10 × 1000 samples of 5 bytes.
        let av = [
            track(1000, 1 << 20, 1 << 20),
            track(1000, 10 << 20, 100 << 20),
        ];
        assert_eq!(estimate(10_000, &av, 1), 68_751);
        // A track that starts late (nothing yet) counts one sample per 100 bytes of it, not the
        // other tracks' rate times its size.
        let late = [track(2000, 1 << 20, 10 << 20), track(0, 4096, 10_000_000)];
        let want = 10_000 * (20_000 + 100_000) / 2000;
        assert_eq!(estimate(10_000, &late, 1), want + want / 4 + 1);
        // Never more than an eighth of the recordings and 1 MiB.
        let huge = [track(1, 1, 8 << 20)];
        assert_eq!(estimate(1 << 30, &huge, 4096), 2 << 20);
    }
}
