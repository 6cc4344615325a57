//! The [`Mixer`]: several frame sources on one timeline, merged in time order into a sink.

use std::collections::VecDeque;

use bytes::Bytes;

use mjrtool_core::{
    Codec, Frame, FrameSink, FrameSource, MediaKind, Nanos, Placement, TrackSpec, VideoSize,
};
use serde::Serialize;

use crate::clock::{ClockConfig, TrackClock};
use crate::gapfill::AudioGapFiller;
use crate::MixError;

/// How the mixer places tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MixerOptions {
    /// Align tracks on their recordings' wall-clock times (true), or start each at zero (false,
    /// what `janus-pp-rec` + `ffmpeg` do).
    pub align: bool,
    /// Fill holes in Opus tracks with silence packets (see [`crate::gapfill`]).
    pub fill_audio_gaps: bool,
    /// Caps on what damaged or hostile input can make the timeline hold.
    pub limits: Limits,
}

impl MixerOptions {
    /// The same options, aligning the tracks (or not).
    pub fn with_align(mut self, align: bool) -> Self {
        self.align = align;
        self
    }

    /// The same options, filling audio holes with silence (or not).
    pub fn with_fill_audio_gaps(mut self, fill: bool) -> Self {
        self.fill_audio_gaps = fill;
        self
    }
}

/// What the timeline holds at most per track, whatever its input: the frames it reads ahead to
/// tell when a track really started, or whether a late frame is a pause or a delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of frames read ahead (default 24 MiB: a minute of 2 Mbit/s video is 15 MB).
    pub lookahead_bytes: usize,
    /// Frames read ahead (default 4 096: a minute of 30 fps video, or of 20 ms audio, is fewer).
    pub lookahead_frames: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            lookahead_bytes: 24 << 20,
            lookahead_frames: 4096,
        }
    }
}

impl Default for MixerOptions {
    fn default() -> Self {
        MixerOptions {
            align: true,
            fill_audio_gaps: true,
            limits: Limits::default(),
        }
    }
}

/// What [`Mixer::prepare`] learned about a track from its first frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackInfo {
    /// The track's codec.
    pub codec: Codec,
    /// Video size, from the first keyframe.
    pub size: Option<VideoSize>,
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

struct TrackState<S> {
    source: S,
    spec: TrackSpec,
    codec: Codec,
    clock: TrackClock,
    filler: Option<AudioGapFiller>,
    /// The next frame to write, on the wall clock (`zero_ns` is subtracted when it is written).
    front: Option<(Placement, Frame)>,
    lookahead: VecDeque<Frame>,
    done: bool,
    /// From the first frame pulled: its video size, and whether it knew its arrival time.
    first_size: Option<VideoSize>,
    /// The first frame's codec configuration record, for the sink.
    first_config: Option<Bytes>,
    first_arrival_known: bool,
    /// The latest arrival seen so far (to tell a silence before a frame).
    last_arrival: Option<i64>,
    /// The RTP timestamp of the frame before (to tell a running clock from a jump).
    last_ts: Option<u32>,
    /// The most common step between the first frames (video), for the sink.
    frame_step_ns: Option<i64>,
    limits: Limits,
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
/// Media time read ahead at the start of a track to find its least delayed first frames (a
/// sender can take seconds to catch up after it starts).
const PRIME_NS: i64 = 20_000_000_000;
/// The largest media step between two frames that a delay can leave (packets that keep coming
/// while the sender or the path falls behind: frames 20 ms to a few hundred ms apart).
const MAX_DELAY_STEP_NS: i64 = 2_000_000_000;
/// How much less late than a frame after a silence the frames after it may be for it to be a
/// pause (they keep its lateness) rather than a stall draining (they catch up).
const STEADY_NS: i64 = 250_000_000;
/// Frame rates (in thousandths of a frame a second) that a measured frame interval is rounded
/// to when it is within 2 % of one.
const USUAL_FPS_X1000: [i64; 12] = [
    60_000, 50_000, 30_000, 29_970, 25_000, 24_000, 20_000, 15_000, 12_000, 10_000, 7_500, 5_000,
];
/// The longest step between two video frames taken as a frame's duration (5 fps).
const MAX_FRAME_STEP_NS: i64 = 200_000_000;
/// At the start, frames whose start estimate is this much later than the first frame's are on
/// another timeline (a restart) and say nothing about it.
const PRIME_LATER_NS: i64 = 500_000_000;

impl<S: FrameSource> TrackState<S> {
    /// The next frame from the source, placed on the wall clock.
    fn pull(&mut self) -> Result<Option<(Frame, i64)>, S::Error> {
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
        if self.frames == 0 && self.front.is_none() && self.first_config.is_none() {
            self.first_config = frame.config.clone();
        }
        let start = self.spec.start.map_or(0, Nanos::get);
        if frame.discontinuity {
            self.restart_clock(&frame)?;
        }
        let arrival = self.settled_arrival(&frame)?;
        let wall = self.clock.place(frame.rtp_timestamp, arrival, start);
        Ok(Some((frame, wall)))
    }

    /// The arrival time the clock should place `frame` by. Network delay only ever adds, so a
    /// frame that arrives later than its clock says moves the track only when it is a pause (the
    /// sender stopped while its RTP clock stood still), not a delay:
    ///
    /// * the usual case: the frame is where its clock says (within the re-anchor threshold);
    /// * later, but packets kept coming up to it (a sender or a path falling behind): a delay,
    ///   placed by its clock;
    /// * later after a silence: the frames that follow within [`SETTLE_NS`] of media time are
    ///   read ahead. If the least delayed of them is back on the clock, it was a stall that
    ///   caught up; if they are still late but catching up (arriving faster than real time), a
    ///   stall still draining; both are placed by the clock. Only when they stay as late as the
    ///   frame itself (within [`STEADY_NS`]) is it a pause, and the track moves, on the least
    ///   delayed of them;
    /// * earlier than its clock allows: the clock is wrong; the least delayed frame re-anchors.
    fn settled_arrival(&mut self, frame: &Frame) -> Result<Option<i64>, S::Error> {
        let Some(arrival) = frame.arrival.map(Nanos::get) else {
            return Ok(None);
        };
        let gap = self
            .last_arrival
            .map_or(i64::MAX, |last| arrival.saturating_sub(last));
        self.last_arrival = Some(self.last_arrival.map_or(arrival, |l| l.max(arrival)));
        let ts = frame.rtp_timestamp;
        // A delay leaves the media clock running as usual: a step back, or a jump, is not one.
        let step = self.last_ts.map(|last| self.clock.media_ns(last, ts));
        self.last_ts = Some(ts);
        let clock_running = step.is_some_and(|s| (0..=MAX_DELAY_STEP_NS).contains(&s));
        let Some(late) = self.clock.lateness(ts, arrival) else {
            return Ok(Some(arrival));
        };
        let threshold = self.clock.config().reanchor_threshold_ns;
        if late.saturating_abs() <= threshold {
            return Ok(Some(arrival));
        }
        let expected = arrival.saturating_sub(late);
        if late > 0 && gap < late / 2 && clock_running {
            return Ok(Some(expected));
        }
        self.read_ahead(ts, SETTLE_NS)?;
        let best = self.least_delayed(ts, arrival, SETTLE_NS, i64::MAX);
        let best_late = best.saturating_sub(expected);
        let steady = late.saturating_sub(best_late) <= STEADY_NS;
        Ok(Some(if best_late > threshold && !steady {
            expected
        } else {
            best
        }))
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
            if f.discontinuity {
                // A sender restart: what follows is on another timeline.
                break;
            }
            if let Some(a) = f.arrival.map(Nanos::get) {
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
    fn restart_clock(&mut self, frame: &Frame) -> Result<(), S::Error> {
        let Some(arrival) = frame.arrival.map(Nanos::get) else {
            return Ok(());
        };
        self.read_ahead(frame.rtp_timestamp, PRIME_NS)?;
        let best = self.least_delayed(frame.rtp_timestamp, arrival, PRIME_NS, PRIME_LATER_NS);
        self.clock.reanchor_at(frame.rtp_timestamp, best);
        Ok(())
    }

    /// Reads frames into the lookahead until it reaches `window_ns` of media time after the
    /// RTP timestamp `from`, or holds the [`Limits`]' frames or bytes, or the
    /// source ends.
    fn read_ahead(&mut self, from: u32, window_ns: i64) -> Result<(), S::Error> {
        let mut bytes: usize = self.lookahead.iter().map(|f| f.data.len()).sum();
        while !self.done
            && self.lookahead.len() < self.limits.lookahead_frames
            && bytes < self.limits.lookahead_bytes
        {
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
    fn prime_clock(&mut self) -> Result<(), S::Error> {
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
        if self.codec.kind() == Some(MediaKind::Video) {
            self.frame_step_ns = self.usual_step_ns();
        }
        let Some(first_arrival) = self
            .lookahead
            .front()
            .and_then(|f| f.arrival.map(Nanos::get))
        else {
            return Ok(());
        };
        let best = self.least_delayed(ts, first_arrival, PRIME_NS, PRIME_LATER_NS);
        self.clock.prime(ts, best);
        Ok(())
    }

    /// The usual media step between consecutive frames of the lookahead (at most
    /// [`MAX_FRAME_STEP_NS`]; a restart ends the count), if any step is seen twice: the mean of
    /// the steps near the most common one, rounded to a usual frame rate within 2 %.
    fn usual_step_ns(&self) -> Option<i64> {
        let mut steps: Vec<i64> = Vec::with_capacity(self.lookahead.len());
        for (a, b) in self.lookahead.iter().zip(self.lookahead.iter().skip(1)) {
            if b.discontinuity {
                break;
            }
            let step = self.clock.media_ns(a.rtp_timestamp, b.rtp_timestamp);
            if (1..=MAX_FRAME_STEP_NS).contains(&step) {
                steps.push(step);
            }
        }
        steps.sort_unstable();
        let mut best: Option<(i64, usize)> = None;
        for run in steps.chunk_by(|a, b| a == b) {
            if run.len() >= 2 && best.is_none_or(|(_, n)| run.len() > n) {
                best = Some((run[0], run.len()));
            }
        }
        let (mode, _) = best?;
        // A sender whose clock jitters (a browser's steps of 2970, 3060, 2880 ticks) has a most
        // common step that is not its rate: the steps near it are averaged, and a mean within
        // 2 % of a usual frame rate is that rate, so that players see 30 fps and not 1000/33.
        let near: Vec<i64> = steps
            .iter()
            .copied()
            .filter(|s| (s - mode).abs() * 4 <= mode)
            .collect();
        let mean = near.iter().sum::<i64>() / near.len().max(1) as i64;
        let usual = USUAL_FPS_X1000
            .iter()
            .map(|fps| 1_000_000_000_000 / fps)
            .find(|d| (d - mean).abs() * 50 <= *d);
        Some(usual.unwrap_or(mean))
    }

    /// The picture size to declare: the largest the frames read so far say (the first frame
    /// and the look-ahead of the start). A scalable (SVC) sender's first keyframe may carry
    /// only its base layer, the upper layers joining a moment later; the file should say the
    /// size most of it plays at.
    fn declared_size(&self) -> Option<VideoSize> {
        let area = |s: &VideoSize| u32::from(s.width) * u32::from(s.height);
        let front = self.front.as_ref().and_then(|(_, f)| f.size);
        let ahead = self.lookahead.iter().filter_map(|f| f.size);
        self.first_size
            .into_iter()
            .chain(front)
            .chain(ahead)
            .max_by_key(area)
    }

    /// Makes sure `front` holds the next frame, unless the source is exhausted. Frames the gap
    /// filler refuses (invalid Opus) never reach `front`, so a track whose every frame is
    /// refused is empty.
    fn fill(&mut self) -> Result<(), S::Error> {
        while self.front.is_none() {
            if let Some(p) = self.filler.as_mut().and_then(AudioGapFiller::pop) {
                self.front = Some(p);
                break;
            }
            let Some((frame, wall)) = self.pull()? else {
                return Ok(());
            };
            if self.frames == 0 && frame.arrival.is_some() {
                self.first_arrival_known = true;
            }
            match &mut self.filler {
                Some(filler) => filler.push(Nanos(wall), frame),
                None => {
                    let at = Placement {
                        time: Nanos(wall),
                        duration: frame.duration,
                    };
                    self.front = Some((at, frame));
                }
            }
        }
        Ok(())
    }
}

/// Merges several [`FrameSource`]s into one time-ordered stream of frames for a [`FrameSink`].
///
/// The sources are of one type `S` (a `Box<dyn FrameSource<Error = E>>` mixes types), so that
/// the caller can read each source's own counters after a run ([`Mixer::source`]).
///
/// Memory is bounded: each track holds what its source holds, plus a lookahead capped at
/// 24 MiB and 4 096 frames that is only filled at the start and while an arrival disagrees
/// with its clock; nothing is buffered per file.
pub struct Mixer<S> {
    tracks: Vec<TrackState<S>>,
    options: MixerOptions,
    aligned: bool,
    prepared: bool,
}

impl<S: FrameSource> Mixer<S> {
    /// A mixer over `sources`; track `i` of the output is `sources[i]`.
    pub fn new(sources: Vec<S>, options: MixerOptions) -> Self {
        let tracks = sources
            .into_iter()
            .map(|source| {
                let spec = source.spec();
                let codec = spec.codec.clone();
                let rate = spec.clock_rate().map_or(90_000, |r| r.hz());
                let mut clock = ClockConfig::new(rate);
                if !codec.is_audio() {
                    clock.nominal_frame_ns = 33_333_333;
                }
                TrackState {
                    filler: options
                        .fill_audio_gaps
                        .then(|| AudioGapFiller::for_spec(&spec))
                        .flatten(),
                    source,
                    spec,
                    codec,
                    clock: TrackClock::new(clock),
                    front: None,
                    lookahead: VecDeque::new(),
                    done: false,
                    first_size: None,
                    first_config: None,
                    first_arrival_known: false,
                    last_arrival: None,
                    last_ts: None,
                    frame_step_ns: None,
                    limits: options.limits,
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

    /// Source `i`, as given to [`Mixer::new`] (to read its own counters after a run).
    pub fn source(&self, i: usize) -> Option<&S> {
        self.tracks.get(i).map(|t| &t.source)
    }

    /// Reads the first frames of every track and places the tracks relative to each other.
    /// [`Mixer::run`] calls it if it was not called; call it first to learn about the tracks
    /// (sizes, offsets, empty tracks) before deciding on an output.
    ///
    /// # Errors
    ///
    /// A source failed ([`MixError::Source`] names it), or there is no source.
    pub fn prepare<K>(&mut self) -> Result<Vec<TrackInfo>, MixError<S::Error, K>> {
        if self.tracks.is_empty() {
            return Err(MixError::NoTracks);
        }
        if !self.prepared {
            let mut firsts = Vec::with_capacity(self.tracks.len());
            for (i, t) in self.tracks.iter_mut().enumerate() {
                let source_error = |source| MixError::Source { track: i, source };
                t.prime_clock().map_err(source_error)?;
                t.fill().map_err(source_error)?;
                let wall = t.front.as_ref().map(|(at, _)| at.time.get());
                let known = t.spec.start.is_some() || t.first_arrival_known;
                firsts.push((wall, known, t.declared_size()));
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
                    codec: t.codec.clone(),
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

    /// Opens `sink` with the tracks that have frames (sink track `j` is the `j`-th of them),
    /// writes every frame of every track in time order, and finishes the sink with the
    /// output's duration. `progress` is called now and then. Returns what was done.
    ///
    /// # Errors
    ///
    /// A source failed ([`MixError::Source`], with its index) or the sink refused a track or a
    /// frame ([`MixError::Sink`]).
    pub fn run<K: FrameSink + ?Sized>(
        &mut self,
        sink: &mut K,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Summary, MixError<S::Error, K::Error>> {
        let infos = self.prepare()?;
        // Sink track of each mixer track (None: empty, left out).
        let mut sink_track = Vec::with_capacity(infos.len());
        let mut specs = Vec::new();
        for (t, info) in self.tracks.iter().zip(&infos) {
            if info.empty {
                sink_track.push(None);
            } else {
                sink_track.push(Some(specs.len()));
                specs.push(
                    t.spec
                        .clone()
                        .with_size(info.size.or(t.spec.size))
                        .with_frame_duration(t.frame_step_ns.map(Nanos).or(t.spec.frame_duration))
                        .with_config(t.spec.config.clone().or_else(|| t.first_config.clone())),
                );
            }
        }
        sink.open(&specs).map_err(MixError::Sink)?;
        let mut written = 0u64;
        loop {
            let mut best: Option<(usize, i64)> = None;
            for (i, t) in self.tracks.iter_mut().enumerate() {
                t.fill()
                    .map_err(|source| MixError::Source { track: i, source })?;
                if let Some((at, _)) = &t.front {
                    let time = at.time.get().saturating_sub(t.zero_ns);
                    if best.is_none_or(|(_, b)| time < b) {
                        best = Some((i, time));
                    }
                }
            }
            let Some((i, time_ns)) = best else { break };
            let t = &mut self.tracks[i];
            let Some((mut at, frame)) = t.front.take() else {
                break;
            };
            at.time = Nanos(time_ns);
            if let Some(j) = sink_track[i] {
                sink.write(j, at, &frame).map_err(MixError::Sink)?;
            }
            t.frames += 1;
            t.keyframes += u64::from(frame.keyframe);
            t.first_ns.get_or_insert(time_ns);
            let end = match at.duration {
                Some(d) => time_ns.saturating_add(d.get()),
                None => {
                    // The last frame lasts as long as a frame usually does: a step over a gap
                    // (frames dropped after a loss, a pause) says nothing about that.
                    let step = t.end_ns.map(|prev| time_ns.saturating_sub(prev));
                    if let Some(step) = step.filter(|s| (1..=MAX_FRAME_STEP_NS).contains(s)) {
                        t.last_video_step = step;
                    }
                    time_ns
                }
            };
            t.end_ns = Some(end);
            written += 1;
            if written % 512 == 0 {
                progress(Progress {
                    bytes: self.tracks.iter().map(|t| t.source.position()).sum(),
                    frames: written,
                    time_ns,
                });
            }
        }
        let tracks: Vec<TrackSummary> = self.tracks.iter().map(TrackState::summary).collect();
        // The media's end: captions shown past it (a last message's few seconds) do not make
        // the file longer than its audio and video; a file of captions alone ends with them.
        let media_end = |t: &&TrackSummary| t.info.codec.kind() != Some(MediaKind::Data);
        let end_of =
            |ts: &mut dyn Iterator<Item = &TrackSummary>| ts.filter_map(|t| t.end_ns).max();
        let duration_ns = end_of(&mut tracks.iter().filter(media_end))
            .or_else(|| end_of(&mut tracks.iter()))
            .unwrap_or(0);
        sink.finish(Nanos(duration_ns)).map_err(MixError::Sink)?;
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

impl<S> TrackState<S> {
    fn summary(&self) -> TrackSummary {
        let end_ns = self.end_ns.map(|e| {
            if self.codec.kind() == Some(MediaKind::Video) {
                e.saturating_add(self.last_video_step)
            } else {
                e
            }
        });
        let filler = self.filler.as_ref();
        TrackSummary {
            info: self.info.clone().unwrap_or(TrackInfo {
                codec: self.codec.clone(),
                size: None,
                offset_ns: 0,
                first_wall_ns: None,
                empty: true,
            }),
            frames: self.frames,
            keyframes: self.keyframes,
            first_ns: self.first_ns,
            end_ns,
            silence_packets: filler.map_or(0, AudioGapFiller::filled_packets),
            silence_ns: filler.map_or(0, AudioGapFiller::filled_ns),
            unfilled_gaps: filler.map_or(0, AudioGapFiller::unfilled_gaps),
            invalid_frames: filler.map_or(0, AudioGapFiller::invalid_packets),
            drift_dropped: filler.map_or(0, AudioGapFiller::dropped_packets),
            reanchors: self.clock.reanchors(),
        }
    }
}
