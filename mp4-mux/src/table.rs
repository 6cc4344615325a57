//! The sample tables of a faststart file (ISO/IEC 14496-12 §8.6.1.2 `stts`, §8.6.2 `stss`,
//! §8.7.3 `stsz`, §8.7.4 `stsc`, §8.7.5 `stco`/`co64`), kept compact while the samples go to the
//! spool.
//!
//! Memory per sample: 4 bytes (its size) plus, at most, 8 for its duration (durations are
//! run-length coded as `stts` stores them, so a steady track costs almost nothing), 4 if it is
//! a sync sample after the first sample that is not one (never for audio), and 12 when it starts a chunk (a chunk is a run of samples
//! of one track written together; interleaved audio and video start one every few samples).
//! So 4 to 28 bytes, about 16 for WebRTC audio and video: a 3-hour recording (1.2 M samples)
//! holds some 20 MB of tables.

use crate::bmff::BoxBuf;
use crate::error::{fit, Mp4Error};

/// The tables of one track.
#[derive(Debug, Default)]
pub(crate) struct SampleTable {
    sizes: Vec<u32>,
    /// `stts` runs: (sample count, delta), for every sample whose duration is known.
    stts: Vec<(u32, u32)>,
    /// 1-based numbers of the sync samples, once a sample is not one (until then, all are).
    sync: Vec<u32>,
    some_not_sync: bool,
    /// Chunks: (index of the first sample, offset in the spool).
    chunks: Vec<(u32, u64)>,
}

impl SampleTable {
    /// Adds a sample of `size` bytes, at `offset` in the spool; `new_chunk` when the previous
    /// sample in the spool is not this track's.
    pub(crate) fn push(
        &mut self,
        size: u32,
        sync: bool,
        offset: u64,
        new_chunk: bool,
    ) -> Result<(), Mp4Error> {
        let index = fit("samples in a track", u32::MAX - 1, self.sizes.len() as u64)?;
        if new_chunk || self.chunks.is_empty() {
            self.chunks.push((index, offset));
        }
        if !sync && !self.some_not_sync {
            self.some_not_sync = true;
            self.sync.extend(1..=index);
        } else if sync && self.some_not_sync {
            self.sync.push(index + 1);
        }
        self.sizes.push(size);
        Ok(())
    }

    /// The duration of the oldest sample whose duration was not known yet.
    pub(crate) fn push_duration(&mut self, delta: u32) {
        match self.stts.last_mut() {
            Some((n, d)) if *d == delta && *n < u32::MAX => *n += 1,
            _ => self.stts.push((1, delta)),
        }
    }

    /// Writes `stts`, `stss` (unless every sample is a sync sample), `stsz`, `stsc` and `stco`
    /// (or `co64` when `wide`), chunk offsets moved by `base` (the spool's place in the file).
    pub(crate) fn write(&self, b: &mut BoxBuf, base: u64, wide: bool) -> Result<(), Mp4Error> {
        b.open_full(b"stts", 0, 0);
        b.u32(self.stts.len() as u32);
        for &(n, d) in &self.stts {
            b.u32(n);
            b.u32(d);
        }
        b.close()?;
        if self.some_not_sync {
            b.open_full(b"stss", 0, 0);
            b.u32(self.sync.len() as u32);
            for &s in &self.sync {
                b.u32(s);
            }
            b.close()?;
        }
        b.open_full(b"stsz", 0, 0);
        b.u32(0); // sample_size: sizes vary
        b.u32(self.sizes.len() as u32);
        for &s in &self.sizes {
            b.u32(s);
        }
        b.close()?;
        self.write_stsc(b)?;
        b.open_full(if wide { b"co64" } else { b"stco" }, 0, 0);
        b.u32(self.chunks.len() as u32);
        for &(_, offset) in &self.chunks {
            let at = base.checked_add(offset).ok_or(Mp4Error::Overflow {
                what: "chunk offset",
                limit: u64::MAX,
                found: offset,
            })?;
            if wide {
                b.u64(at);
            } else {
                b.u32(fit("chunk offset without co64", u32::MAX, at)?);
            }
        }
        b.close()
    }

    /// `stsc`: runs of chunks with the same number of samples (§8.7.4).
    fn write_stsc(&self, b: &mut BoxBuf) -> Result<(), Mp4Error> {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for (i, &(first, _)) in self.chunks.iter().enumerate() {
            let end = self
                .chunks
                .get(i + 1)
                .map_or(self.sizes.len() as u32, |c| c.0);
            let n = end - first;
            if runs.last().map(|r| r.1) != Some(n) {
                runs.push((i as u32 + 1, n));
            }
        }
        b.open_full(b"stsc", 0, 0);
        b.u32(runs.len() as u32);
        for (first_chunk, n) in runs {
            b.u32(first_chunk);
            b.u32(n);
            b.u32(1); // sample_description_index
        }
        b.close()
    }

    /// Number of chunks.
    pub(crate) fn chunk_count(&self) -> u64 {
        self.chunks.len() as u64
    }

    /// The largest chunk offset in the spool (0 when empty).
    pub(crate) fn last_offset(&self) -> u64 {
        self.chunks.last().map_or(0, |c| c.1)
    }
}
