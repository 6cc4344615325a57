//! [`Mp4Muxer`]: the two layouts, the per-track clocks, and the [`FrameSink`] implementation.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bytes::Bytes;
use mjrtool_core::{opus, Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};

use crate::bmff::mdat_header;
use crate::entry::{ns_to_ticks, TrackSetup};
use crate::error::{fit, Mp4Error};
use crate::fragment::{Fragments, Pending};
use crate::moov::{ftyp, moov, Trak};
use crate::table::SampleTable;
use crate::FragmentLimits;

/// A spool that is never used: the scratch type of a fragmented muxer.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSpool;

impl Read for NoSpool {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}

impl Write for NoSpool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for NoSpool {
    fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
        Ok(0)
    }
}

#[derive(Debug)]
enum Layout<S> {
    Faststart {
        spool: S,
        /// Bytes written to the spool.
        len: u64,
        /// The track of the last sample spooled (a new chunk starts when it changes).
        last: Option<usize>,
        /// A planning pass: `finish` writes the head only, no sample ([`Mp4Muxer::plan`]).
        planning: bool,
    },
    /// Samples go straight to the output after the head a planning pass made.
    Planned {
        head: Option<Vec<u8>>,
        expected: Tally,
    },
    Fragmented(Fragments),
}

/// What a faststart file's samples were: how many, their bytes, and a digest of their tracks
/// and sizes in order (FNV-1a), which says whether a second pass wrote the same samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    samples: u64,
    bytes: u64,
    digest: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            samples: 0,
            bytes: 0,
            digest: 0xcbf2_9ce4_8422_2325,
        }
    }
}

impl Tally {
    fn add(&mut self, track: usize, size: u32) {
        self.samples += 1;
        self.bytes = self.bytes.saturating_add(u64::from(size));
        for b in (track as u64)
            .to_le_bytes()
            .into_iter()
            .chain(size.to_le_bytes())
        {
            self.digest = (self.digest ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// What a planning pass learned ([`Mp4Muxer::plan`]): the head of a faststart file (`ftyp`,
/// `moov` with every sample's size, time and offset, the `mdat` header) and a tally of the
/// samples that must follow it. [`Mp4Muxer::planned`] then writes the file in one pass, with no
/// spool: the samples are written once, straight after the head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4Plan {
    head: Vec<u8>,
    samples: Tally,
}

impl Mp4Plan {
    /// Bytes of the head (`ftyp`, `moov`, `mdat` header).
    pub fn head_len(&self) -> usize {
        self.head.len()
    }

    /// Bytes of the samples that follow it.
    pub fn data_len(&self) -> u64 {
        self.samples.bytes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    New,
    Open,
    Finished,
}

/// One track's state.
#[derive(Debug)]
struct Track {
    setup: TrackSetup,
    table: SampleTable,
    /// Decode time of the first and the last sample, media ticks from the start of the output.
    first: Option<u64>,
    last: Option<u64>,
    last_ns: i64,
    /// The last sample's duration when it says (a placement's, a PCM or Opus packet's length).
    last_hint: Option<u64>,
    /// The duration of the sample before the last.
    step: Option<u64>,
    /// Sum of the known sample durations, media ticks.
    media_duration: u64,
    /// First bytes of the first keyframe (VP9's profile).
    first_key: Option<Bytes>,
}

/// An ISO BMFF (MP4) writer: faststart (`ftyp`, `moov`, `mdat`, samples spooled meanwhile) or
/// fragmented (`ftyp`, `moov`, then `moof`/`mdat` pairs). See the [crate] docs.
#[derive(Debug)]
pub struct Mp4Muxer<W: Write, S = NoSpool> {
    out: W,
    layout: Layout<S>,
    step: Step,
    tracks: Vec<Track>,
    /// Tags of the whole file, `(name, text)` ([`Mp4Muxer::with_tags`]).
    tags: Vec<(String, String)>,
    /// The samples written so far (faststart layouts).
    tally: Tally,
}

impl<W: Write, S: Read + Write + Seek> Mp4Muxer<W, S> {
    /// A faststart muxer: samples go to `scratch` (empty, e.g. a temporary file beside the
    /// output) until [`FrameSink::finish`], which writes `ftyp` and `moov` to `out` and then
    /// copies the spool into the `mdat`. Memory holds the sample tables only.
    pub fn faststart(out: W, scratch: S) -> Mp4Muxer<W, S> {
        Mp4Muxer {
            out,
            layout: Layout::Faststart {
                spool: scratch,
                len: 0,
                last: None,
                planning: false,
            },
            step: Step::New,
            tracks: Vec::new(),
            tags: Vec::new(),
            tally: Tally::default(),
        }
    }
}

impl Mp4Muxer<Vec<u8>, NoSpool> {
    /// The first of two passes that write a faststart file without a spool: give it the same
    /// tracks and frames as the second, then [`Mp4Muxer::into_plan`]. It keeps the sample
    /// tables (as [`Mp4Muxer::faststart`] does) and no sample.
    pub fn plan() -> Mp4Muxer<Vec<u8>, NoSpool> {
        let mut muxer = Mp4Muxer::faststart(Vec::new(), NoSpool);
        if let Layout::Faststart { planning, .. } = &mut muxer.layout {
            *planning = true;
        }
        muxer
    }

    /// The plan, once [`FrameSink::finish`] was called.
    ///
    /// # Errors
    ///
    /// [`Mp4Error::CallOrder`] before `finish`.
    pub fn into_plan(self) -> Result<Mp4Plan, Mp4Error> {
        self.order(Step::Finished, "into_plan")?;
        let samples = self.tally;
        Ok(Mp4Plan {
            head: self.out,
            samples,
        })
    }
}

impl<W: Write> Mp4Muxer<W, NoSpool> {
    /// The second pass of a faststart file without a spool: writes `plan`'s head at `open`,
    /// then each sample as it comes; `finish` checks that the samples were those of the
    /// planning pass ([`Mp4Error::PlanMismatch`] if not: the file must then be thrown away).
    /// Memory holds nothing per sample.
    pub fn planned(out: W, plan: Mp4Plan) -> Mp4Muxer<W, NoSpool> {
        Mp4Muxer {
            out,
            layout: Layout::Planned {
                head: Some(plan.head),
                expected: plan.samples,
            },
            step: Step::New,
            tracks: Vec::new(),
            tags: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// A fragmented muxer with [`FragmentLimits::default`]: writes to `out` as it goes (a pipe
    /// will do), holding at most one fragment in memory.
    pub fn fragmented(out: W) -> Mp4Muxer<W, NoSpool> {
        Mp4Muxer::fragmented_with(out, FragmentLimits::default())
    }

    /// A fragmented muxer whose fragments end within `limits`.
    pub fn fragmented_with(out: W, limits: FragmentLimits) -> Mp4Muxer<W, NoSpool> {
        Mp4Muxer {
            out,
            layout: Layout::Fragmented(Fragments::new(limits)),
            step: Step::New,
            tracks: Vec::new(),
            tags: Vec::new(),
            tally: Tally::default(),
        }
    }
}

impl<W: Write, S: Read + Write + Seek> Mp4Muxer<W, S> {
    /// The same muxer, writing `tags` (`(name, text)`, Matroska tag names: `TITLE`, `COMMENT`,
    /// `DATE_RECORDED`, `DESCRIPTION`, `ARTIST` become the `ilst` items `©nam`, `©cmt`,
    /// `©day`, `desc`, `©ART`; any other name a `----` item of that name) in
    /// `moov/udta/meta/ilst`, which ffmpeg shows as the file's tags.
    pub fn with_tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.tags = tags;
        self
    }

    /// The output, after [`FrameSink::finish`] (or as it is, if it was not called).
    pub fn into_inner(self) -> W {
        self.out
    }

    fn order(&self, want: Step, found: &'static str) -> Result<(), Mp4Error> {
        if self.step == want {
            return Ok(());
        }
        let expected = match self.step {
            Step::New => "open",
            Step::Open => "write or finish",
            Step::Finished => "nothing (the file is finished)",
        };
        Err(Mp4Error::CallOrder { expected, found })
    }

    /// Moves track `index`'s clock to `at`; the previous sample's duration, if any.
    fn advance(
        &mut self,
        index: usize,
        at: Placement,
        frame: &Frame,
    ) -> Result<Option<u32>, Mp4Error> {
        let tracks = self.tracks.len();
        let t = self
            .tracks
            .get_mut(index)
            .ok_or(Mp4Error::UnknownTrack { index, tracks })?;
        let ns = at.time.get();
        if ns < t.last_ns {
            return Err(Mp4Error::TimeBackwards {
                track: index,
                previous_ns: t.last_ns,
                found_ns: ns,
            });
        }
        let ts = t.setup.timescale;
        let ticks = ns_to_ticks(ns, ts);
        let delta = match t.last {
            Some(last) => {
                let d = ticks - last;
                t.step = Some(d);
                t.media_duration = t.media_duration.saturating_add(d);
                Some(fit("sample duration (media ticks)", u32::MAX, d)?)
            }
            None => None,
        };
        t.first.get_or_insert(ticks);
        t.last = Some(ticks);
        t.last_ns = ns;
        t.last_hint = at
            .duration
            .map(|d| ns_to_ticks(d.get(), ts))
            .or_else(|| own_duration(&t.setup, &frame.data));
        if t.first_key.is_none() && frame.keyframe && t.setup.codec == Codec::Vp9 {
            t.first_key = Some(frame.data.slice(..frame.data.len().min(16)));
        }
        Ok(delta)
    }

    fn traks(&self) -> Vec<Trak<'_>> {
        let layout_has_tables = matches!(self.layout, Layout::Faststart { .. });
        self.tracks
            .iter()
            .map(|t| Trak {
                setup: &t.setup,
                media_duration: t.media_duration,
                offset: t.first.unwrap_or(0),
                table: layout_has_tables.then_some(&t.table),
                first_key: t.first_key.as_deref(),
            })
            .collect()
    }

    fn finish_faststart(&mut self, duration_ms: u64) -> Result<(), Mp4Error> {
        let Layout::Faststart { len, .. } = self.layout else {
            return Ok(());
        };
        let head = ftyp(false)?;
        let mdat = mdat_header(len)?;
        let traks = self.traks();
        // The moov's size does not depend on the offsets' values, only on their width: 4 bytes
        // less per chunk with stco than with co64.
        let wide_size = moov(&traks, duration_ms, 0, true, &self.tags)?.len() as u64;
        let chunks: u64 = self.tracks.iter().map(|t| t.table.chunk_count()).sum();
        let narrow = wide_size - 4 * chunks;
        let last = self
            .tracks
            .iter()
            .map(|t| t.table.last_offset())
            .max()
            .unwrap_or(0);
        let reach = head.len() as u64 + narrow + mdat.len() as u64 + last;
        let wide = reach > u64::from(u32::MAX);
        let size = if wide { wide_size } else { narrow };
        let base = head.len() as u64 + size + mdat.len() as u64;
        let movie = moov(&traks, duration_ms, base, wide, &self.tags)?;
        drop(traks);
        self.out.write_all(&head)?;
        self.out.write_all(&movie)?;
        self.out.write_all(&mdat)?;
        if let Layout::Faststart {
            spool,
            planning: false,
            ..
        } = &mut self.layout
        {
            spool.flush()?;
            spool.seek(SeekFrom::Start(0))?;
            let copied = io::copy(&mut Read::by_ref(spool).take(len), &mut self.out)?;
            if copied != len {
                return Err(Mp4Error::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("spool: expected {len} bytes, found {copied}"),
                )));
            }
        }
        Ok(())
    }

    fn flush_fragment(&mut self) -> Result<(), Mp4Error> {
        let Layout::Fragmented(frags) = &self.layout else {
            return Ok(());
        };
        if !frags.header_written() {
            let traks = self.traks();
            let head = ftyp(true)?;
            let movie = moov(&traks, 0, 0, false, &self.tags)?;
            drop(traks);
            self.out.write_all(&head)?;
            self.out.write_all(&movie)?;
        }
        if let Layout::Fragmented(frags) = &mut self.layout {
            frags.flush(&mut self.out)?;
        }
        Ok(())
    }
}

/// A packet's own duration in media ticks, when its bytes say: PCM (its length) and Opus (its
/// TOC, RFC 6716 §3.1).
fn own_duration(setup: &TrackSetup, data: &[u8]) -> Option<u64> {
    match setup.codec {
        Codec::PcmS16Le => Some(data.len() as u64 / (2 * u64::from(setup.channels.max(1)))),
        Codec::Opus => opus::toc::packet_samples(data).ok().map(u64::from),
        _ => None,
    }
}

impl<W: Write, S: Read + Write + Seek> FrameSink for Mp4Muxer<W, S> {
    type Error = Mp4Error;

    /// Checks every track (nothing is written to the output here: a faststart file is written
    /// at `finish`, a fragmented one at its first fragment).
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Mp4Error> {
        self.order(Step::New, "open")?;
        if tracks.is_empty() {
            return Err(Mp4Error::NoTracks);
        }
        fit("tracks", u32::MAX - 1, tracks.len() as u64)?;
        let setups = tracks
            .iter()
            .enumerate()
            .map(|(i, spec)| TrackSetup::new(i, spec))
            .collect::<Result<Vec<_>, _>>()?;
        self.tracks = setups
            .into_iter()
            .map(|setup| Track {
                setup,
                table: SampleTable::default(),
                first: None,
                last: None,
                last_ns: 0,
                last_hint: None,
                step: None,
                media_duration: 0,
                first_key: None,
            })
            .collect();
        if let Layout::Fragmented(frags) = &mut self.layout {
            frags.set_tracks(self.tracks.len());
        }
        self.step = Step::Open;
        Ok(())
    }

    /// Adds one sample. Times within a track must not go backwards ([`Mp4Error::TimeBackwards`]:
    /// refused, not clamped); a time equal to the previous one makes a sample of duration 0.
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), Mp4Error> {
        self.order(Step::Open, "write")?;
        let size = fit("sample size", u32::MAX, frame.data.len() as u64)?;
        let delta = self.advance(track, at, frame)?;
        let t = &mut self.tracks[track];
        let video = t.setup.video.is_some();
        let sync = !video || frame.keyframe;
        let ticks = t.last.unwrap_or(0);
        if let Layout::Planned { head, .. } = &mut self.layout {
            if let Some(head) = head.take() {
                self.out.write_all(&head)?;
            }
            self.tally.add(track, size);
            self.out.write_all(&frame.data)?;
            return Ok(());
        }
        if let Layout::Faststart {
            spool, len, last, ..
        } = &mut self.layout
        {
            self.tally.add(track, size);
            if let Some(d) = delta {
                t.table.push_duration(d);
            }
            t.table.push(size, sync, *len, *last != Some(track))?;
            spool.write_all(&frame.data)?;
            *len = len.checked_add(u64::from(size)).ok_or(Mp4Error::Overflow {
                what: "spool bytes",
                limit: u64::MAX,
                found: *len,
            })?;
            *last = Some(track);
            return Ok(());
        }
        let primary = self.tracks.iter().position(|t| t.setup.video.is_some()) == Some(track);
        let Layout::Fragmented(frags) = &mut self.layout else {
            return Ok(());
        };
        frags.accept(track, delta)?;
        let ns = at.time.get();
        let cut = frags.should_cut(ns, frame.data.len(), sync && video && primary);
        let data = frame.data.clone();
        frags.hold(
            track,
            Pending {
                data,
                ticks,
                sync,
                ns,
            },
        );
        if cut {
            // The new sample is held, not in the fragment: flush what came before it.
            self.flush_fragment()?;
        }
        Ok(())
    }

    /// Gives each track's last sample its duration (its own, else the track's frame interval,
    /// else the step before it, else up to `duration`) and writes the rest of the file.
    fn finish(&mut self, duration: Nanos) -> Result<(), Mp4Error> {
        self.order(Step::Open, "finish")?;
        self.step = Step::Finished;
        for (i, t) in self.tracks.iter_mut().enumerate() {
            let Some(last) = t.last else { continue };
            let to_end = ns_to_ticks(duration.get(), t.setup.timescale).saturating_sub(last);
            let d = t
                .last_hint
                .or(t.setup.frame_ticks)
                .or(t.step)
                .unwrap_or(to_end);
            let d = fit("sample duration (media ticks)", u32::MAX, d)?;
            t.media_duration = t.media_duration.saturating_add(d.into());
            match &mut self.layout {
                Layout::Faststart { .. } => t.table.push_duration(d),
                Layout::Fragmented(frags) => frags.accept(i, Some(d))?,
                Layout::Planned { .. } => {}
            }
        }
        let duration_ms = u64::try_from(duration.get().max(0) / 1_000_000).unwrap_or(0);
        match &mut self.layout {
            Layout::Faststart { .. } => self.finish_faststart(duration_ms)?,
            Layout::Fragmented(_) => self.flush_fragment()?,
            Layout::Planned { head, expected } => {
                if let Some(head) = head.take() {
                    self.out.write_all(&head)?;
                }
                if self.tally != *expected {
                    return Err(Mp4Error::PlanMismatch {
                        expected_samples: expected.samples,
                        expected_bytes: expected.bytes,
                        found_samples: self.tally.samples,
                        found_bytes: self.tally.bytes,
                    });
                }
            }
        }
        self.out.flush()?;
        Ok(())
    }
}
