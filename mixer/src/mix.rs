//! The [`Mixer`]: several frame sources on one timeline, merged in time order into a sink.

use std::collections::VecDeque;

use serde::Serialize;

use crate::clock::{ClockConfig, TrackClock};
use crate::gapfill::{OpusGapFiller, Placed};
use crate::source::{FrameSource, SourceFrame, TrackCodec, TrackStats};
use crate::{Error, FrameSink};

/// How the mixer places tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixerOptions {
    /// Align tracks on their recordings' wall-clock times (true), or start each at zero (false,
    /// what `janus-pp-rec` + `ffmpeg` do).
    pub align: bool,
    /// Fill holes in Opus tracks with silence packets (see [`crate::gapfill`]).
    pub fill_audio_gaps: bool,
}

impl Default for MixerOptions {
    fn default() -> Self {
        MixerOptions {
            align: true,
            fill_audio_gaps: true,
        }
    }
}

/// What [`Mixer::prepare`] learned about a track from its first frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackInfo {
    /// The track's codec.
    pub codec: TrackCodec,
    /// Video size, from the first keyframe.
    pub size: Option<(u16, u16)>,
    /// Where the track starts on the output timeline, in ns.
    pub offset_ns: i64,
    /// Wall-clock time (ns since the epoch) of the first frame, if the recording tells.
    pub first_wall_ns: Option<i64>,
    /// True if the track has no frame at all (it will get no blocks).
    pub empty: bool,
}

/// Per-track results of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackSummary {
    /// What [`Mixer::prepare`] said about the track.
    #[serde(flatten)]
    pub info: TrackInfo,
    /// Frames written (including silence).
    pub frames: u64,
    /// Keyframes written.
    pub keyframes: u64,
    /// Time of the first frame written, ns.
    pub first_ns: Option<i64>,
    /// End of the last frame written (its time plus its duration when known), ns.
    pub end_ns: Option<i64>,
    /// Silence packets inserted to fill losses and DTX pauses.
    pub silence_packets: u64,
    /// Silence inserted, in ns.
    pub silence_ns: i64,
    /// Holes too long to fill that were left as gaps.
    pub unfilled_gaps: u64,
    /// Frames dropped because they could not be parsed (invalid Opus TOC…).
    pub invalid_frames: u64,
    /// Audio packets dropped to keep a fast sender clock on the timeline.
    pub drift_dropped: u64,
    /// Times the track's clock was re-anchored (sender restarts, timestamp jumps).
    pub reanchors: u32,
    /// The source's own counters, if it keeps any.
    pub source: Option<TrackStats>,
}

/// Results of [`Mixer::run`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Whether tracks were aligned on wall-clock time.
    pub aligned: bool,
    /// One entry per source, in order.
    pub tracks: Vec<TrackSummary>,
    /// From zero to the end of the last frame, in ns.
    pub duration_ns: i64,
}

/// Progress of a run, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Sum of the sources' positions (bytes read).
    pub bytes: u64,
    /// Frames written so far.
    pub frames: u64,
    /// Output time reached, ns.
    pub time_ns: i64,
}

struct TrackState<'a> {
    source: Box<dyn FrameSource + 'a>,
    codec: TrackCodec,
    clock: TrackClock,
    filler: Option<OpusGapFiller>,
    /// The next frame to write, on the wall clock (`zero_ns` is subtracted when it is written).
    front: Option<Placed>,
    lookahead: VecDeque<SourceFrame>,
    done: bool,
    /// From the first frame pulled: its video size, and whether it knew its arrival time.
    first_size: Option<(u16, u16)>,
    first_arrival_known: bool,
    info: Option<TrackInfo>,
    zero_ns: i64,
    frames: u64,
    keyframes: u64,
    first_ns: Option<i64>,
    end_ns: Option<i64>,
    last_video_step: i64,
}

/// Media time read ahead to tell when a frame really arrived, when its arrival disagrees with
/// its clock: long enough to see a network stall of several seconds catch up (a sender that
/// fell behind by 44 s was seen in a real recording).
const SETTLE_NS: i64 = 60_000_000_000;
/// Media time read ahead at the start of a track to find its least delayed first frames.
const PRIME_NS: i64 = 5_000_000_000;
/// Frames read ahead for that at most (a minute of 30 fps video or of 20 ms audio is fewer).
const SETTLE_FRAMES: usize = 4096;
/// Bytes of frames read ahead at most, whatever their count (a minute of 2 Mbit/s video is
/// 15 MB): damaged input cannot make the lookahead big.
pub(crate) const LOOKAHEAD_BYTES: usize = 24 << 20;
/// The longest step between two video frames taken as a frame's duration (5 fps).
const MAX_FRAME_STEP_NS: i64 = 200_000_000;
/// At the start, frames whose start estimate is this much later than the first frame's are on
/// another timeline (a restart) and say nothing about it.
const PRIME_LATER_NS: i64 = 500_000_000;

impl<'a> TrackState<'a> {
    /// The next frame from the source, placed on the wall clock.
    fn pull(&mut self) -> Result<Option<(SourceFrame, i64)>, Error> {
        let next = match self.lookahead.pop_front() {
            Some(f) => Some(f),
            None if self.done => return Ok(None),
            None => self.source.next_frame()?,
        };
        let Some(frame) = next else {
            self.done = true;
            return Ok(None);
        };
        if self.frames == 0 && self.front.is_none() && self.first_size.is_none() {
            self.first_size = frame.size;
        }
        let start = self.source.start_ns().unwrap_or(0);
        if frame.discontinuity {
            self.restart_clock(&frame)?;
        }
        let arrival = self.settled_arrival(&frame)?;
        let wall = self.clock.place(frame.rtp_timestamp, arrival, start);
        Ok(Some((frame, wall)))
    }

    /// The wall-clock time of `frame`. When its arrival disagrees with its clock, that is the
    /// least delayed of it and the frames that follow it within [`SETTLE_NS`] of media time
    /// (read ahead into the lookahead): network delay only ever adds, so packets held up for
    /// seconds by a stall that later catches up do not move the track, while a real pause or
    /// restart, which all the following frames agree on, does.
    fn settled_arrival(&mut self, frame: &SourceFrame) -> Result<Option<i64>, Error> {
        let Some(arrival) = frame.arrival_ns else {
            return Ok(None);
        };
        if !self.clock.disagrees(frame.rtp_timestamp, arrival) {
            // The usual case: the frame is where its clock says; nothing to settle.
            return Ok(Some(arrival));
        }
        self.read_ahead(frame.rtp_timestamp, SETTLE_NS)?;
        Ok(Some(self.least_delayed(
            frame.rtp_timestamp,
            arrival,
            SETTLE_NS,
            i64::MAX,
        )))
    }

    /// The earliest start, for the frame with RTP timestamp `ts` that arrived at `arrival`, that
    /// the lookahead's frames within `window_ns` of media time after it allow (each frame's
    /// arrival minus the media time between them). Estimates more than `later_ns` after
    /// `arrival` are left out.
    fn least_delayed(&self, ts: u32, arrival: i64, window_ns: i64, later_ns: i64) -> i64 {
        let mut best = arrival;
        for f in &self.lookahead {
            let media = self.clock.media_ns(ts, f.rtp_timestamp);
            if !(0..=window_ns).contains(&media) {
                // Beyond the window, or on another timeline (a restart): says nothing about
                // this frame.
                continue;
            }
            if let Some(a) = f.arrival_ns {
                let start = a.saturating_sub(media);
                if start.saturating_sub(arrival) <= later_ns {
                    best = best.min(start);
                }
            }
        }
        best
    }

    /// After a sender restart the RTP timestamps may map to wall-clock time a little (Janus
    /// rewrites them from two packets' arrival times, jitter included) or a lot differently:
    /// the clock is anchored anew on the least delayed of the first [`PRIME_NS`] of frames of
    /// the new segment, as at the start of the track.
    fn restart_clock(&mut self, frame: &SourceFrame) -> Result<(), Error> {
        let Some(arrival) = frame.arrival_ns else {
            return Ok(());
        };
        self.read_ahead(frame.rtp_timestamp, PRIME_NS)?;
        let best = self.least_delayed(frame.rtp_timestamp, arrival, PRIME_NS, PRIME_LATER_NS);
        self.clock.reanchor_at(frame.rtp_timestamp, best);
        Ok(())
    }

    /// Reads frames into the lookahead until it reaches `window_ns` of media time after the
    /// RTP timestamp `from`, or holds [`SETTLE_FRAMES`] frames or [`LOOKAHEAD_BYTES`], or the
    /// source ends.
    fn read_ahead(&mut self, from: u32, window_ns: i64) -> Result<(), Error> {
        let mut bytes: usize = self.lookahead.iter().map(|f| f.data.len()).sum();
        while !self.done && self.lookahead.len() < SETTLE_FRAMES && bytes < LOOKAHEAD_BYTES {
            let covered = self
                .lookahead
                .back()
                .is_some_and(|l| self.clock.media_ns(from, l.rtp_timestamp) >= window_ns);
            if covered {
                break;
            }
            match self.source.next_frame()? {
                Some(f) => {
                    bytes += f.data.len();
                    self.lookahead.push_back(f);
                }
                None => self.done = true,
            }
        }
        Ok(())
    }

    /// Reads up to [`PRIME_NS`] of frames ahead and anchors the clock on the least delayed of
    /// them: network jitter only ever delays arrivals, so the earliest arrival relative to its
    /// media time is the best estimate of when the track really started (first packets are
    /// often seconds late while a connection ramps up). Frames that put the start more than
    /// [`PRIME_LATER_NS`] after the first one's (a restart) are not used.
    fn prime_clock(&mut self) -> Result<(), Error> {
        if self.lookahead.is_empty() {
            match self.source.next_frame()? {
                Some(f) => self.lookahead.push_back(f),
                None => self.done = true,
            }
        }
        let Some(ts) = self.lookahead.front().map(|f| f.rtp_timestamp) else {
            return Ok(());
        };
        self.read_ahead(ts, PRIME_NS)?;
        let Some(first_arrival) = self.lookahead.front().and_then(|f| f.arrival_ns) else {
            return Ok(());
        };
        let best = self.least_delayed(ts, first_arrival, PRIME_NS, PRIME_LATER_NS);
        self.clock.prime(ts, best);
        Ok(())
    }

    /// Makes sure `front` holds the next frame, unless the source is exhausted. Frames the gap
    /// filler refuses (invalid Opus) never reach `front`, so a track whose every frame is
    /// refused is empty.
    fn fill(&mut self) -> Result<(), Error> {
        while self.front.is_none() {
            if let Some(p) = self.filler.as_mut().and_then(OpusGapFiller::pop) {
                self.front = Some(p);
                break;
            }
            let Some((frame, wall)) = self.pull()? else {
                return Ok(());
            };
            if self.frames == 0 && frame.arrival_ns.is_some() {
                self.first_arrival_known = true;
            }
            match &mut self.filler {
                Some(filler) => filler.push(wall, frame.data),
                None => {
                    self.front = Some(Placed {
                        time_ns: wall,
                        duration_ns: None,
                        keyframe: frame.keyframe,
                        data: frame.data,
                        synthetic: false,
                    })
                }
            }
        }
        Ok(())
    }
}

/// Merges several [`FrameSource`]s into one time-ordered stream of frames for a [`FrameSink`].
///
/// Memory is bounded: each track holds its reorder window and at most a few frames; nothing is
/// buffered per file.
pub struct Mixer<'a> {
    tracks: Vec<TrackState<'a>>,
    options: MixerOptions,
    aligned: bool,
    prepared: bool,
}

impl<'a> Mixer<'a> {
    /// A mixer over `sources`; track `i` of the output is `sources[i]`.
    pub fn new(sources: Vec<Box<dyn FrameSource + 'a>>, options: MixerOptions) -> Self {
        let tracks = sources
            .into_iter()
            .map(|source| {
                let codec = source.codec();
                let mut clock = ClockConfig::new(codec.clock_rate());
                if !codec.is_audio() {
                    clock.nominal_frame_ns = 33_333_333;
                }
                TrackState {
                    filler: (codec == TrackCodec::Opus && options.fill_audio_gaps)
                        .then(OpusGapFiller::default),
                    source,
                    codec,
                    clock: TrackClock::new(clock),
                    front: None,
                    lookahead: VecDeque::new(),
                    done: false,
                    first_size: None,
                    first_arrival_known: false,
                    info: None,
                    zero_ns: 0,
                    frames: 0,
                    keyframes: 0,
                    first_ns: None,
                    end_ns: None,
                    last_video_step: 0,
                }
            })
            .collect();
        Mixer {
            tracks,
            options,
            aligned: false,
            prepared: false,
        }
    }

    /// Reads the first frame of every track and places the tracks relative to each other. Call
    /// it before creating the sink: the video size it returns is needed by muxers' headers.
    pub fn prepare(&mut self) -> Result<Vec<TrackInfo>, Error> {
        if self.tracks.is_empty() {
            return Err(Error::NoTracks);
        }
        if !self.prepared {
            let mut firsts = Vec::with_capacity(self.tracks.len());
            for t in &mut self.tracks {
                t.prime_clock()?;
                t.fill()?;
                let wall = t.front.as_ref().map(|p| p.time_ns);
                let known = t.source.start_ns().is_some() || t.first_arrival_known;
                firsts.push((wall, known, t.first_size));
            }
            // Aligning needs every non-empty track to know its wall-clock start.
            let can_align = firsts.iter().all(|(w, known, _)| w.is_none() || *known);
            self.aligned = self.options.align && can_align;
            let global_zero = firsts.iter().filter_map(|(w, _, _)| *w).min().unwrap_or(0);
            for (t, (wall, known, size)) in self.tracks.iter_mut().zip(firsts) {
                t.zero_ns = if self.aligned {
                    global_zero
                } else {
                    wall.unwrap_or(0)
                };
                t.info = Some(TrackInfo {
                    codec: t.codec,
                    size,
                    offset_ns: wall.map_or(0, |w| w.saturating_sub(t.zero_ns)),
                    first_wall_ns: if known { wall } else { None },
                    empty: wall.is_none(),
                });
            }
            self.prepared = true;
        }
        Ok(self.tracks.iter().filter_map(|t| t.info.clone()).collect())
    }

    /// Whether [`Mixer::prepare`] aligned the tracks on wall-clock time.
    pub fn aligned(&self) -> bool {
        self.aligned
    }

    /// Writes every frame of every track into `sink` in time order; `progress` is called now and
    /// then. Returns what was done.
    pub fn run(
        &mut self,
        sink: &mut dyn FrameSink,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Summary, Error> {
        self.prepare()?;
        let mut written = 0u64;
        loop {
            let mut best: Option<(usize, i64)> = None;
            for (i, t) in self.tracks.iter_mut().enumerate() {
                t.fill()?;
                if let Some(f) = &t.front {
                    let time = f.time_ns.saturating_sub(t.zero_ns);
                    if best.is_none_or(|(_, b)| time < b) {
                        best = Some((i, time));
                    }
                }
            }
            let Some((i, time_ns)) = best else { break };
            let t = &mut self.tracks[i];
            let Some(mut frame) = t.front.take() else {
                break;
            };
            frame.time_ns = time_ns;
            sink.write_frame(i, &frame)?;
            t.frames += 1;
            t.keyframes += u64::from(frame.keyframe);
            t.first_ns.get_or_insert(frame.time_ns);
            let end = match frame.duration_ns {
                Some(d) => frame.time_ns.saturating_add(d),
                None => {
                    // The last frame lasts as long as a frame usually does: a step over a gap
                    // (frames dropped after a loss, a pause) says nothing about that.
                    let step = t.end_ns.map(|prev| frame.time_ns.saturating_sub(prev));
                    if let Some(step) = step.filter(|s| (1..=MAX_FRAME_STEP_NS).contains(s)) {
                        t.last_video_step = step;
                    }
                    frame.time_ns
                }
            };
            t.end_ns = Some(end);
            written += 1;
            if written % 512 == 0 {
                progress(Progress {
                    bytes: self.tracks.iter().map(|t| t.source.position()).sum(),
                    frames: written,
                    time_ns: frame.time_ns,
                });
            }
        }
        let tracks: Vec<TrackSummary> = self
            .tracks
            .iter()
            .map(|t| {
                let end_ns = t.end_ns.map(|e| {
                    if t.codec.is_audio() {
                        e
                    } else {
                        e.saturating_add(t.last_video_step)
                    }
                });
                TrackSummary {
                    info: t.info.clone().unwrap_or(TrackInfo {
                        codec: t.codec,
                        size: None,
                        offset_ns: 0,
                        first_wall_ns: None,
                        empty: true,
                    }),
                    frames: t.frames,
                    keyframes: t.keyframes,
                    first_ns: t.first_ns,
                    end_ns,
                    silence_packets: t.filler.as_ref().map_or(0, |f| f.filled_packets()),
                    silence_ns: t.filler.as_ref().map_or(0, |f| f.filled_ns()),
                    unfilled_gaps: t.filler.as_ref().map_or(0, |f| f.unfilled_gaps()),
                    invalid_frames: t.filler.as_ref().map_or(0, |f| f.invalid_packets()),
                    drift_dropped: t.filler.as_ref().map_or(0, |f| f.dropped_packets()),
                    reanchors: t.clock.reanchors(),
                    source: t.source.stats(),
                }
            })
            .collect();
        let duration_ns = tracks.iter().filter_map(|t| t.end_ns).max().unwrap_or(0);
        progress(Progress {
            bytes: self.tracks.iter().map(|t| t.source.position()).sum(),
            frames: written,
            time_ns: duration_ns,
        });
        Ok(Summary {
            aligned: self.aligned,
            tracks,
            duration_ns,
        })
    }
}
