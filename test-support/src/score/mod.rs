//! Scoring the timeline against the truth: run the mixer on a simulated session, map every frame
//! it places back to its capture by the id in its payload, and measure.
//!
//! Measures, per session:
//!
//! * **A/V sync error** at every real video frame placed: its error (output time minus capture
//!   time) minus the audio's error at the same capture moment — interpolated between the two real
//!   audio frames captured around it, or the nearest one outside the audio's span. Constant
//!   offsets (the output's zero, network delay common to both) cancel; what remains is how far
//!   a viewer would see lips and voice apart.
//! * **Duration error**: the output's duration minus the truth's span, from the first capture to
//!   the end of the last frame among the frames a perfect tool would keep.
//! * **Intact frames lost**: frames a perfect tool would keep that did not come out. Audio: every
//!   packet arrived (at least once). Video, under the track's after-loss policy: every packet
//!   arrived, and a keyframe of the same encoder epoch (restarts start a new one) arrived whole
//!   at or before it; with [`AfterLoss::WaitForKeyframe`] (the default) also no frame of that
//!   epoch went incomplete between that keyframe and it.
//! * **Timestamp order**: per track (silence included), times that go backwards and times equal
//!   to the previous one; both should be zero.

pub mod aggregate;

use std::io::Cursor;

use mixer::{CollectSink, MixError, Mixer, MixerOptions};
use mjr::{MediaKind, ReaderOptions};
use mjrtool_convert::track::{AfterLoss, TrackOptions};
use mjrtool_convert::track::{MjrTrack, TrackError as Error};

use crate::sim::payload::{opus_frame_id, vp8_frame_id};
use crate::sim::scenario::Kind;
use crate::sim::{Session, TruthFrame};

/// How the session is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScoreOptions {
    /// The mixer's options (default: aligned, audio gaps filled).
    pub mixer: MixerOptions,
    /// What the video track does after a loss (default: wait for a keyframe).
    pub after_loss: AfterLoss,
}

/// The bounds a timeline should keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goals {
    /// Largest 99th percentile of |A/V sync error|, ns.
    pub sync_p99_ns: i64,
    /// Largest |A/V sync error|, ns.
    pub sync_max_ns: i64,
    /// Intact frames lost at most.
    pub intact_lost: u64,
    /// Non-increasing timestamps (backwards or equal) at most.
    pub non_increasing: u64,
}

impl Default for Goals {
    fn default() -> Self {
        Goals {
            sync_p99_ns: 20_000_000,
            sync_max_ns: 40_000_000,
            intact_lost: 0,
            non_increasing: 0,
        }
    }
}

/// p50, p99 and max of a set of absolute values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spread {
    /// Median, ns.
    pub p50_ns: i64,
    /// 99th percentile, ns.
    pub p99_ns: i64,
    /// Largest, ns.
    pub max_ns: i64,
}

impl Spread {
    /// The spread of the absolute values of `values`.
    pub fn of(values: &[i64]) -> Spread {
        let mut abs: Vec<i64> = values.iter().map(|v| v.saturating_abs()).collect();
        abs.sort_unstable();
        let at = |q: f64| {
            abs.get(((abs.len().saturating_sub(1)) as f64 * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        Spread {
            p50_ns: at(0.5),
            p99_ns: at(0.99),
            max_ns: abs.last().copied().unwrap_or(0),
        }
    }
}

/// The score of one session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionScore {
    /// The scenario's preset.
    pub kind: Kind,
    /// The scenario's seed: `Scenario::preset(kind, seed, duration_ms)` rebuilds the session.
    pub seed: u64,
    /// The scenario's duration, ms.
    pub duration_ms: u64,
    /// A/V sync error (video error minus audio error) at each real video frame placed, ns.
    pub sync_errors_ns: Vec<i64>,
    /// Spread of `sync_errors_ns`.
    pub sync: Spread,
    /// Output duration minus the truth's span, ns.
    pub duration_error_ns: i64,
    /// Frames a perfect tool would keep.
    pub keepable: u64,
    /// Keepable frames that did not come out (audio, video).
    pub intact_lost: [u64; 2],
    /// Audio packets that no tool can keep in sync: a sender whose audio clock runs fast makes
    /// more samples than wall-clock time has room for (`ppm × duration`, in 20 ms packets);
    /// without resampling, one packet must go per 20 ms of drift. Not counted as lost.
    pub drift_allowance: u64,
    /// Real frames placed (audio, video).
    pub placed: [u64; 2],
    /// Silence frames the mixer added.
    pub silence: u64,
    /// Frames placed whose payload carries no known id, or an id placed before.
    pub unknown_or_repeated: u64,
    /// Timestamps lower than the previous one of the same track.
    pub backwards: u64,
    /// Timestamps equal to the previous one of the same track.
    pub equal: u64,
}

impl SessionScore {
    /// Intact frames lost, both tracks, less the [`drift_allowance`](Self::drift_allowance).
    pub fn intact_lost_total(&self) -> u64 {
        self.intact_lost[0].saturating_sub(self.drift_allowance) + self.intact_lost[1]
    }

    /// Timestamps that did not increase.
    pub fn non_increasing(&self) -> u64 {
        self.backwards + self.equal
    }

    /// The goals this session misses, one line each (empty: all met).
    pub fn misses(&self, goals: &Goals) -> Vec<String> {
        let ms = |ns: i64| ns as f64 / 1e6;
        let mut out = Vec::new();
        if self.sync.p99_ns > goals.sync_p99_ns {
            out.push(format!("sync p99 {:.1} ms", ms(self.sync.p99_ns)));
        }
        if self.sync.max_ns > goals.sync_max_ns {
            out.push(format!("sync max {:.1} ms", ms(self.sync.max_ns)));
        }
        if self.intact_lost_total() > goals.intact_lost {
            out.push(format!(
                "intact frames lost: {} audio, {} video",
                self.intact_lost[0], self.intact_lost[1]
            ));
        }
        if self.non_increasing() > goals.non_increasing {
            out.push(format!(
                "timestamps not increasing: {} backwards, {} equal",
                self.backwards, self.equal
            ));
        }
        out
    }
}

/// Scores `session` converted with the default options.
///
/// # Errors
///
/// Whatever stops the mixer (it should not stop on a simulated session).
pub fn score(session: &Session) -> Result<SessionScore, Error> {
    score_with(session, &ScoreOptions::default())
}

/// Scores `session` converted with `options`.
///
/// # Errors
///
/// Whatever stops the mixer.
pub fn score_with(session: &Session, options: &ScoreOptions) -> Result<SessionScore, Error> {
    let placed = convert(session, options)?;
    Ok(measure(session, options.after_loss, &placed))
}

/// A text trace of `session` converted with `options`, to see where a timeline goes wrong: per
/// track, for each second of capture time, the smallest and largest error (output time minus
/// capture time, relative to the first frame's) of the frames placed, and the frames a perfect
/// tool keeps that did not come out.
///
/// # Errors
///
/// Whatever stops the mixer.
pub fn explain(session: &Session, options: &ScoreOptions) -> Result<String, Error> {
    use std::fmt::Write;
    let (frames, duration_ns) = convert(session, options)?;
    let truth = &session.truth.frames;
    let zero = truth.iter().map(|f| f.capture_ns).min().unwrap_or(0);
    // (track, second) -> (min error, max error, frames placed)
    let mut rows: std::collections::BTreeMap<(usize, i64), (i64, i64, u64)> = Default::default();
    let mut seen = vec![false; truth.len()];
    for f in frames.iter().filter(|f| !f.synthetic) {
        let Some(tf) = f.id.and_then(|id| truth.get(id as usize)) else {
            continue;
        };
        seen[tf.id as usize] = true;
        let err = f.time_ns - (tf.capture_ns - zero);
        let row = rows
            .entry((f.track.min(1), (tf.capture_ns - zero) / 1_000_000_000))
            .or_insert((i64::MAX, i64::MIN, 0));
        *row = (row.0.min(err), row.1.max(err), row.2 + 1);
    }
    let keep = keepable(truth, options.after_loss);
    let mut lost: std::collections::BTreeMap<(usize, i64), u64> = Default::default();
    for tf in truth
        .iter()
        .filter(|tf| keep[tf.id as usize] && !seen[tf.id as usize])
    {
        let track = usize::from(tf.kind == MediaKind::Video);
        *lost
            .entry((track, (tf.capture_ns - zero) / 1_000_000_000))
            .or_default() += 1;
    }
    let mut out = format!(
        "{:?}\noutput duration {:.3} s\n",
        session.scenario,
        duration_ns as f64 / 1e9
    );
    let _ = writeln!(out, "track  second  placed  lost  error min..max (ms)");
    for (&(track, sec), &(lo, hi, n)) in &rows {
        let name = if track == 0 { "audio" } else { "video" };
        let l = lost.get(&(track, sec)).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{name}  {sec:>6}  {n:>6}  {l:>4}  {:.1}..{:.1}",
            lo as f64 / 1e6,
            hi as f64 / 1e6
        );
    }
    Ok(out)
}

/// One frame as a tool placed it, to score frames placed by another tool with
/// [`score_placed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// 0: audio, 1 (or more): video.
    pub track: usize,
    /// Output time, ns (the output's zero is free: constant offsets cancel).
    pub time_ns: i64,
    /// The truth id read from its payload (`None`: none found).
    pub id: Option<u32>,
    /// Added by the tool (silence, filler): counted apart, never mapped to the truth.
    pub synthetic: bool,
}

/// Scores `frames`, placed by any tool from `session`'s recordings into an output lasting
/// `duration_ns`, against the truth; `after_loss` says which video frames a perfect tool keeps.
pub fn score_placed(
    session: &Session,
    after_loss: AfterLoss,
    frames: Vec<Placed>,
    duration_ns: i64,
) -> SessionScore {
    measure(session, after_loss, &(frames, duration_ns))
}

fn convert(session: &Session, options: &ScoreOptions) -> Result<(Vec<Placed>, i64), Error> {
    let track = TrackOptions {
        after_loss: options.after_loss,
        ..TrackOptions::default()
    };
    let audio = MjrTrack::with_options(
        Cursor::new(&session.audio[..]),
        ReaderOptions::default(),
        track,
    )?;
    let video = MjrTrack::with_options(
        Cursor::new(&session.video[..]),
        ReaderOptions::default(),
        track,
    )?;
    let mut mixer = Mixer::new(vec![audio, video], options.mixer);
    let mut sink = CollectSink::default();
    let summary = mixer.run(&mut sink, &mut |_| {}).map_err(|e| match e {
        MixError::Source { source, .. } => source,
        e => Error::Unsupported(e.to_string()),
    })?;
    let frames = sink
        .frames
        .into_iter()
        .map(|(track, at, frame)| {
            let id = match (frame.synthetic, track) {
                (true, _) => None,
                (false, 0) => opus_frame_id(&frame.data.contiguous()),
                (false, _) => vp8_frame_id(&frame.data.contiguous()),
            };
            Placed {
                track,
                time_ns: at.time.get(),
                id,
                synthetic: frame.synthetic,
            }
        })
        .collect();
    Ok((frames, summary.duration_ns))
}

/// Which truth frames a perfect tool keeps under `after_loss`.
pub fn keepable(frames: &[TruthFrame], after_loss: AfterLoss) -> Vec<bool> {
    let mut keep = vec![false; frames.len()];
    let mut epoch = None;
    let mut have_key = false;
    for (i, f) in frames.iter().enumerate() {
        if f.kind != MediaKind::Video {
            keep[i] = f.arrived_whole();
            continue;
        }
        if epoch != Some(f.epoch) {
            epoch = Some(f.epoch);
            have_key = false;
        }
        if !f.arrived_whole() {
            if after_loss == AfterLoss::WaitForKeyframe {
                have_key = false;
            }
            continue;
        }
        have_key |= f.keyframe;
        keep[i] = have_key;
    }
    keep
}

fn measure(session: &Session, after_loss: AfterLoss, out: &(Vec<Placed>, i64)) -> SessionScore {
    let (frames, duration_ns) = out;
    let truth = &session.truth.frames;
    let sc = &session.scenario;
    let mut s = SessionScore {
        kind: sc.kind,
        seed: sc.seed,
        duration_ms: sc.duration_ms,
        sync_errors_ns: Vec::new(),
        sync: Spread::default(),
        duration_error_ns: 0,
        keepable: 0,
        intact_lost: [0; 2],
        drift_allowance: if sc.audio_ppm > 0.0 {
            (sc.audio_ppm * 1e-6 * sc.duration_ms as f64 / 20.0).ceil() as u64 + 1
        } else {
            0
        },
        placed: [0; 2],
        silence: 0,
        unknown_or_repeated: 0,
        backwards: 0,
        equal: 0,
    };
    let mut last = [None::<i64>; 2];
    let mut seen = vec![false; truth.len()];
    // (capture, error) of real frames, per track.
    let mut errors: [Vec<(i64, i64)>; 2] = [Vec::new(), Vec::new()];
    for f in frames {
        let t = f.track.min(1);
        match last[t] {
            Some(prev) if f.time_ns < prev => s.backwards += 1,
            Some(prev) if f.time_ns == prev => s.equal += 1,
            _ => {}
        }
        last[t] = Some(f.time_ns);
        if f.synthetic {
            s.silence += 1;
            continue;
        }
        let want = if t == 0 {
            MediaKind::Audio
        } else {
            MediaKind::Video
        };
        let Some(tf) =
            f.id.and_then(|id| truth.get(id as usize))
                .filter(|tf| tf.kind == want)
        else {
            s.unknown_or_repeated += 1;
            continue;
        };
        if std::mem::replace(&mut seen[tf.id as usize], true) {
            s.unknown_or_repeated += 1;
            continue;
        }
        s.placed[t] += 1;
        errors[t].push((tf.capture_ns, f.time_ns - tf.capture_ns));
    }
    let keep = keepable(truth, after_loss);
    let (mut first, mut end) = (i64::MAX, i64::MIN);
    for (tf, _) in truth.iter().zip(&keep).filter(|(_, k)| **k) {
        s.keepable += 1;
        first = first.min(tf.capture_ns);
        end = end.max(tf.capture_ns + tf.duration_ns);
        if !seen[tf.id as usize] {
            s.intact_lost[usize::from(tf.kind == MediaKind::Video)] += 1;
        }
    }
    if first <= end {
        s.duration_error_ns = duration_ns - (end - first);
    }
    let [mut audio, video] = errors;
    audio.sort_unstable();
    s.sync_errors_ns = video
        .iter()
        .filter_map(|&(cap, err)| audio_error_at(&audio, cap).map(|a| err - a))
        .collect();
    s.sync = Spread::of(&s.sync_errors_ns);
    s
}

/// The audio's error at capture time `cap`: interpolated between the audio frames captured
/// around it, or the nearest one outside their span.
fn audio_error_at(audio: &[(i64, i64)], cap: i64) -> Option<i64> {
    let i = audio.partition_point(|&(c, _)| c <= cap);
    match (i.checked_sub(1).and_then(|j| audio.get(j)), audio.get(i)) {
        (Some(&(c0, e0)), Some(&(c1, e1))) if c1 > c0 => {
            let w = (cap - c0) as f64 / (c1 - c0) as f64;
            Some(e0 + ((e1 - e0) as f64 * w).round() as i64)
        }
        (Some(&(_, e)), _) | (None, Some(&(_, e))) => Some(e),
        (None, None) => None,
    }
}
