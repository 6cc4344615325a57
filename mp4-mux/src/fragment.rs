//! Fragments of a fragmented file (ISO/IEC 14496-12 §8.8): `moof` (`mfhd`, then per track a
//! `traf` with `tfhd`, `tfdt` and `trun`) followed by the `mdat` of its samples.
//!
//! A sample's duration is the time to the next sample of its track, so each track holds its
//! newest sample back ([`Pending`]) until the next one (or the end) says how long it lasts. A
//! fragment ends before a keyframe of the first video track, or when it would pass
//! [`FragmentLimits`]; memory holds one fragment and one sample per track.
//!
//! Times: `tfdt` is the decode time of the fragment's first sample of the track counted from the
//! start of the output, so a track that starts late keeps its offset without an edit list.

use std::io::Write;

use mjrtool_core::{FrameData, Nanos};

use crate::bmff::{mdat_header, BoxBuf};
use crate::error::{fit, Mp4Error};

/// When a fragment ends (besides before each keyframe of the first video track).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentLimits {
    /// Longest span of a fragment, from its first sample to the one that would join it
    /// (default 2 s).
    pub max_duration: Nanos,
    /// Most sample bytes a fragment holds, unless its first sample alone is larger (default
    /// 8 MiB; at most 1 GiB, so that `trun`'s 32-bit signed data offsets always fit).
    pub max_bytes: usize,
}

impl Default for FragmentLimits {
    fn default() -> FragmentLimits {
        FragmentLimits {
            max_duration: Nanos::from_secs(2),
            max_bytes: 8 << 20,
        }
    }
}

/// A track's newest sample, waiting for its duration.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) data: FrameData,
    /// Decode time, media ticks from the start of the output.
    pub(crate) ticks: u64,
    pub(crate) sync: bool,
    /// Its place on the output timeline.
    pub(crate) ns: i64,
}

/// One track's samples in the fragment being built.
#[derive(Debug, Default)]
struct Run {
    /// Decode time of the first sample (`tfdt`).
    base: u64,
    /// (size, duration, sync) of each sample.
    samples: Vec<(u32, u32, bool)>,
    data: Vec<u8>,
}

/// The fragment being built, and the sequence so far.
#[derive(Debug)]
pub(crate) struct Fragments {
    limits: FragmentLimits,
    sequence: u32,
    header_written: bool,
    pending: Vec<Option<Pending>>,
    runs: Vec<Run>,
    /// Time of the fragment's first sample.
    start_ns: Option<i64>,
    bytes: usize,
}

/// A `trun` data offset to fill in: (track index, byte of the field in `moof`).
type Patch = (usize, usize);

const SYNC_FLAGS: u32 = 0x0200_0000; // sample_depends_on = 2 (§8.8.3.1)
const NON_SYNC_FLAGS: u32 = 0x0101_0000; // sample_depends_on = 1, sample_is_non_sync_sample

impl Fragments {
    pub(crate) fn new(limits: FragmentLimits) -> Fragments {
        let max_bytes = limits.max_bytes.clamp(1, 1 << 30);
        Fragments {
            limits: FragmentLimits {
                max_bytes,
                ..limits
            },
            sequence: 0,
            header_written: false,
            pending: Vec::new(),
            runs: Vec::new(),
            start_ns: None,
            bytes: 0,
        }
    }

    pub(crate) fn set_tracks(&mut self, n: usize) {
        self.pending = (0..n).map(|_| None).collect();
        self.runs = (0..n).map(|_| Run::default()).collect();
    }

    /// Whether `ftyp` and `moov` are out (they go before the first fragment).
    pub(crate) fn header_written(&self) -> bool {
        self.header_written
    }

    /// Moves `track`'s held sample into the fragment, `duration` long.
    pub(crate) fn accept(&mut self, track: usize, duration: Option<u32>) -> Result<(), Mp4Error> {
        let (Some(duration), Some(p)) = (duration, self.pending[track].take()) else {
            return Ok(());
        };
        let run = &mut self.runs[track];
        if run.samples.is_empty() {
            run.base = p.ticks;
        }
        let size = fit("sample size", u32::MAX, p.data.len() as u64)?;
        run.samples.push((size, duration, p.sync));
        p.data.append_to(&mut run.data);
        self.bytes = self.bytes.saturating_add(p.data.len());
        self.start_ns.get_or_insert(p.ns);
        Ok(())
    }

    /// Whether the fragment should end before a sample at `ns` of `len` bytes.
    pub(crate) fn should_cut(&self, ns: i64, len: usize, key: bool) -> bool {
        let Some(start) = self.start_ns else {
            return false;
        };
        key || ns.saturating_sub(start) >= self.limits.max_duration.get()
            || self.bytes.saturating_add(len) > self.limits.max_bytes
    }

    /// Holds `track`'s newest sample until its duration is known.
    pub(crate) fn hold(&mut self, track: usize, p: Pending) {
        self.pending[track] = Some(p);
    }

    /// Writes the fragment (if it has samples) and starts an empty one.
    pub(crate) fn flush(&mut self, out: &mut impl Write) -> Result<(), Mp4Error> {
        self.header_written = true;
        if self.runs.iter().all(|r| r.samples.is_empty()) {
            return Ok(());
        }
        self.sequence = self.sequence.checked_add(1).ok_or(Mp4Error::Overflow {
            what: "fragments",
            limit: u64::from(u32::MAX),
            found: u64::from(u32::MAX) + 1,
        })?;
        let (moof, offsets) = self.moof()?;
        let payload: u64 = self.runs.iter().map(|r| r.data.len() as u64).sum();
        let mdat = mdat_header(payload)?;
        let mut moof = moof;
        let mut at = (moof.len() + mdat.len()) as u64;
        for (track, field) in offsets {
            let offset = fit("trun data offset", i32::MAX as u32, at)?;
            moof[field..field + 4].copy_from_slice(&offset.to_be_bytes());
            at += self.runs[track].data.len() as u64;
        }
        out.write_all(&moof)?;
        out.write_all(&mdat)?;
        for run in &mut self.runs {
            out.write_all(&run.data)?;
            *run = Run::default();
        }
        self.bytes = 0;
        self.start_ns = None;
        Ok(())
    }

    /// The `moof` box, and where each track's `trun` data offset is to be patched.
    fn moof(&self) -> Result<(Vec<u8>, Vec<Patch>), Mp4Error> {
        let mut b = BoxBuf::new();
        let mut offsets = Vec::new();
        b.open(b"moof");
        b.open_full(b"mfhd", 0, 0);
        b.u32(self.sequence);
        b.close()?;
        for (i, run) in self
            .runs
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.samples.is_empty())
        {
            b.open(b"traf");
            b.open_full(b"tfhd", 0, 0x02_0000); // default-base-is-moof
            b.u32(i as u32 + 1);
            b.close()?;
            b.open_full(b"tfdt", 1, 0);
            b.u64(run.base);
            b.close()?;
            // data-offset, sample-duration, -size and -flags present (§8.8.8.1)
            b.open_full(b"trun", 0, 0x0000_0701);
            b.u32(run.samples.len() as u32);
            offsets.push((i, b.buf.len()));
            b.u32(0);
            for &(size, duration, sync) in &run.samples {
                b.u32(duration);
                b.u32(size);
                b.u32(if sync { SYNC_FLAGS } else { NON_SYNC_FLAGS });
            }
            b.close()?;
            b.close()?;
        }
        b.close()?;
        Ok((b.buf, offsets))
    }
}
