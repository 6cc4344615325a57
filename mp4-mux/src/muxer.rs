//! [`Mp4Muxer`]: the two layouts, the per-track clocks, and the [`FrameSink`] implementation.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bytes::Bytes;
use mjrtool_core::{
    opus, Codec, Frame, FrameData, FrameSink, Nanos, Placement, SharedWrite, TrackSpec,
};

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

/// Largest alignment of a [`Mp4Muxer::samples_first`] head.
const MAX_ALIGN: u64 = 1 << 20;

#[derive(Debug)]
enum Layout<S> {
    Faststart {
        spool: S,
        /// Bytes written to the spool.
        len: u64,
        /// The track of the last sample spooled (a new chunk starts when it changes).
        last: Option<usize>,
    },
    /// Samples go straight to the output; `finish` makes the head that must be put in front
    /// of them ([`Mp4Muxer::samples_first`]).
    SamplesFirst {
        /// Bytes the caller left for the head.
        reserve: u64,
        /// The head grows past `reserve` by a multiple of this.
        align: u64,
        /// Bytes of samples written.
        len: u64,
        /// The track of the last sample written (a new chunk starts when it changes).
        last: Option<usize>,
        /// The head, once finished.
        head: Option<Vec<u8>>,
    },
    Fragmented(Fragments),
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
pub struct Mp4Muxer<W: SharedWrite, S = NoSpool> {
    out: W,
    layout: Layout<S>,
    step: Step,
    tracks: Vec<Track>,
    /// Tags of the whole file, `(name, text)` ([`Mp4Muxer::with_tags`]).
    tags: Vec<(String, String)>,
}

impl<W: SharedWrite, S: Read + Write + Seek> Mp4Muxer<W, S> {
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
            },
            step: Step::New,
            tracks: Vec::new(),
            tags: Vec::new(),
        }
    }
}

impl<W: SharedWrite> Mp4Muxer<W, NoSpool> {
    /// A faststart file written in one pass, with no spool: each sample goes straight to
    /// `out` as it comes (the `mdat` payload), while only the sample tables stay in memory.
    /// The caller leaves `reserve` bytes in front of the samples (say, a new file's writer
    /// first moved `reserve` bytes on: a hole); after [`FrameSink::finish`],
    /// [`Mp4Muxer::into_samples_and_head`] gives the head (`ftyp`, `moov`, a `free` box where
    /// needed, the `mdat` header), its chunk offsets counting it, to be written at the start.
    ///
    /// If the head fits in `reserve`, it is exactly `reserve` bytes long (a `free` box takes
    /// the rest) and is written over them. If not, it is longer by a multiple of `align`
    /// (which should be the filesystem's block size; 1 means no rounding, above 1 MiB is taken
    /// as 1 MiB): that many bytes must be inserted at the start, which Linux's
    /// `fallocate(FALLOC_FL_INSERT_RANGE)` does without moving a byte on ext4 and XFS (but
    /// only after writing the file back to the disk), and [`insert_head`] does by moving the
    /// samples. A `reserve` a little larger than the head will be ([`Mp4Muxer::head_len`] on
    /// the first samples, scaled) avoids both.
    ///
    /// [`insert_head`]: crate::insert_head
    pub fn samples_first(out: W, reserve: u64, align: u64) -> Mp4Muxer<W, NoSpool> {
        Mp4Muxer {
            out,
            layout: Layout::SamplesFirst {
                reserve,
                align: align.clamp(1, MAX_ALIGN),
                len: 0,
                last: None,
                head: None,
            },
            step: Step::New,
            tracks: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The samples' writer and the head to put in front of them
    /// ([`Mp4Muxer::samples_first`]).
    ///
    /// # Errors
    ///
    /// [`Mp4Error::CallOrder`] before `finish`, or for another layout.
    pub fn into_samples_and_head(self) -> Result<(W, Vec<u8>), Mp4Error> {
        self.order(Step::Finished, "into_samples_and_head")?;
        match self.layout {
            Layout::SamplesFirst {
                head: Some(head), ..
            } => Ok((self.out, head)),
            _ => Err(Mp4Error::CallOrder {
                expected: "a muxer made by samples_first",
                found: "into_samples_and_head",
            }),
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
        }
    }
}

impl<W: SharedWrite, S: Read + Write + Seek> Mp4Muxer<W, S> {
    /// The same muxer, writing `tags` (`(name, text)`, Matroska tag names: `TITLE`, `COMMENT`,
    /// `DATE_RECORDED`, `DESCRIPTION`, `ARTIST` become the `ilst` items `©nam`, `©cmt`,
    /// `©day`, `desc`, `©ART`; any other name a `----` item of that name) in
    /// `moov/udta/meta/ilst`, which ffmpeg shows as the file's tags.
    pub fn with_tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.tags = tags;
        self
    }

    /// Bytes the head of a faststart file would take if it ended after the samples written
    /// so far (a fragmented file: its `ftyp` and `moov`), with no padding: what the index
    /// needs, which grows with every sample (some 8 to 20 bytes each).
    ///
    /// # Errors
    ///
    /// A table too large for the format ([`Mp4Error::Overflow`]).
    pub fn head_len(&self) -> Result<u64, Mp4Error> {
        let len = match self.layout {
            Layout::Faststart { len, .. } | Layout::SamplesFirst { len, .. } => len,
            Layout::Fragmented(_) => 0,
        };
        Ok(self.head(0, len, 0, 1)?.len() as u64)
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
            t.first_key = Some(Bytes::copy_from_slice(&frame.data.prefix(16)));
        }
        Ok(delta)
    }

    fn traks(&self) -> Vec<Trak<'_>> {
        let layout_has_tables = !matches!(self.layout, Layout::Fragmented(_));
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

    /// The head of a faststart file: `ftyp`, `moov`, then where needed a `free` box, and the
    /// header of an `mdat` of `len` bytes. It is `reserve` bytes long if it fits in them; else
    /// longer than `reserve` by a multiple of `align` (by just what it needs with `align` 1).
    fn head(
        &self,
        duration_ms: u64,
        len: u64,
        reserve: u64,
        align: u64,
    ) -> Result<Vec<u8>, Mp4Error> {
        let start = ftyp(false)?;
        let mdat = mdat_header(len)?;
        let traks = self.traks();
        // The moov's size does not depend on the offsets' values, only on their width: 4 bytes
        // less per chunk with stco than with co64.
        let wide_size = moov(&traks, duration_ms, 0, true, &self.tags)?.len() as u64;
        let chunks: u64 = self.tracks.iter().map(|t| t.table.chunk_count()).sum();
        let unpadded = |moov_size: u64| start.len() as u64 + moov_size + mdat.len() as u64;
        // The smallest `free` box is its 8-byte header.
        let padded = |n: u64| {
            if n == reserve || (align == 1 && n > reserve) {
                n
            } else if n + 8 <= reserve {
                reserve
            } else {
                reserve + (n + 8 - reserve).div_ceil(align) * align
            }
        };
        let last = self
            .tracks
            .iter()
            .map(|t| t.table.last_offset())
            .max()
            .unwrap_or(0);
        let narrow = wide_size - 4 * chunks;
        let wide = padded(unpadded(narrow)) + last > u64::from(u32::MAX);
        let size = if wide { wide_size } else { narrow };
        let base = padded(unpadded(size));
        let movie = moov(&traks, duration_ms, base, wide, &self.tags)?;
        let mut head = Vec::with_capacity(usize::try_from(base).unwrap_or(0));
        head.extend_from_slice(&start);
        head.extend_from_slice(&movie);
        let free = base - unpadded(size);
        if free > 0 {
            head.extend_from_slice(&fit("free box size", u32::MAX, free)?.to_be_bytes());
            head.extend_from_slice(b"free");
            head.resize(head.len() + (free - 8) as usize, 0);
        }
        head.extend_from_slice(&mdat);
        debug_assert_eq!(head.len() as u64, base);
        Ok(head)
    }

    fn finish_faststart(&mut self, duration_ms: u64) -> Result<(), Mp4Error> {
        match self.layout {
            Layout::Faststart { len, .. } => {
                let head = self.head(duration_ms, len, 0, 1)?;
                self.out.write_all(&head)?;
                let Layout::Faststart { spool, .. } = &mut self.layout else {
                    return Ok(());
                };
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
            Layout::SamplesFirst {
                len,
                reserve,
                align,
                ..
            } => {
                let made = self.head(duration_ms, len, reserve, align)?;
                if let Layout::SamplesFirst { head, .. } = &mut self.layout {
                    *head = Some(made);
                }
            }
            Layout::Fragmented(_) => {}
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
fn own_duration(setup: &TrackSetup, data: &FrameData) -> Option<u64> {
    match setup.codec {
        Codec::PcmS16Le => Some(data.len() as u64 / (2 * u64::from(setup.channels.max(1)))),
        Codec::Opus => opus::toc::packet_samples(&data.contiguous())
            .ok()
            .map(u64::from),
        _ => None,
    }
}

impl<W: SharedWrite, S: Read + Write + Seek> FrameSink for Mp4Muxer<W, S> {
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
        let tables = match &mut self.layout {
            Layout::Faststart { spool, len, last } => {
                for part in frame.data.parts() {
                    spool.write_all(part)?;
                }
                Some((len, last))
            }
            Layout::SamplesFirst { len, last, .. } => {
                frame.data.write_to(&mut self.out)?;
                Some((len, last))
            }
            Layout::Fragmented(_) => None,
        };
        if let Some((len, last)) = tables {
            if let Some(d) = delta {
                t.table.push_duration(d);
            }
            t.table.push(size, sync, *len, *last != Some(track))?;
            *len = len.checked_add(u64::from(size)).ok_or(Mp4Error::Overflow {
                what: "sample bytes",
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
                Layout::Fragmented(frags) => frags.accept(i, Some(d))?,
                _ => t.table.push_duration(d),
            }
        }
        let duration_ms = u64::try_from(duration.get().max(0) / 1_000_000).unwrap_or(0);
        match &mut self.layout {
            Layout::Fragmented(_) => self.flush_fragment()?,
            _ => self.finish_faststart(duration_ms)?,
        }
        self.out.flush()?;
        Ok(())
    }
}
