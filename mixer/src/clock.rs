//! Placing one track's frames on a wall-clock timeline.
//!
//! A track's frames carry RTP timestamps (a media clock that may wrap, jump or restart) and, for
//! MJR00002 recordings, the wall-clock time at which Janus wrote their first packet. [`TrackClock`]
//! turns both into a strictly increasing position in nanoseconds:
//!
//! * between two frames, the RTP timestamp difference is trusted (it is exact, unlike arrival times,
//!   which carry network jitter);
//! * when the RTP clock and the arrival clock disagree by more than
//!   [`ClockConfig::reanchor_threshold_ns`] (a publisher that restarted, renegotiated, or paused its
//!   clock), the track is re-anchored on the arrival time, so long gaps stay gaps and the timeline
//!   stays true to wall-clock time (the mixer first settles such an arrival on the least delayed
//!   of the frames that follow, so that a network stall that catches up moves nothing);
//! * a sender's media clock runs a little fast or slow against wall time (up to a few hundred
//!   ppm: 0.36 s per hour at 100 ppm). Every [`ClockConfig::drift_block_ns`] of media time, the
//!   least delayed frame of the block says how far the anchor has drifted, and the anchor follows
//!   by at most [`ClockConfig::max_slew_ns`] per block (500 ppm by default), so drift never
//!   builds up while a burst of delay moves the track by a few ms at most;
//! * without arrival times (older recordings), a backwards step or a forward jump longer than
//!   [`ClockConfig::max_blind_jump_ns`] is treated as a restart and the timeline simply continues;
//! * the result always increases by at least [`ClockConfig::min_step_ns`] (1 ms, the resolution
//!   of Matroska timestamps), so no two frames of a track share a timestamp; a frame placed more
//!   than a frame's length behind the previous one (a damaged timestamp) re-anchors the track a
//!   frame after it, so that frames are never piled up 1 ms apart.
//!
//! All arithmetic saturates: absurd timestamps from damaged recordings give absurd but valid
//! positions, never an overflow.

use mjrtool_core::TsUnwrapper;

/// Tuning of a [`TrackClock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClockConfig {
    /// RTP clock rate in Hz (90 000 for video, 48 000 for Opus).
    pub clock_rate: u32,
    /// How far (ns) the RTP clock may drift from arrival times before the track is re-anchored.
    pub reanchor_threshold_ns: i64,
    /// Without arrival times: the largest forward jump (ns) still taken as a real pause.
    pub max_blind_jump_ns: i64,
    /// Without arrival times: the step (ns) assumed after a detected restart.
    pub nominal_frame_ns: i64,
    /// The smallest step (ns) between two frames of the track on the output timeline.
    pub min_step_ns: i64,
    /// Media time (ns) over which the least delayed arrival is taken to follow clock drift.
    pub drift_block_ns: i64,
    /// How far (ns) the anchor may move per drift block.
    pub max_slew_ns: i64,
}

impl ClockConfig {
    /// Defaults for a clock rate: re-anchor beyond 1 s of disagreement, 60 s blind jumps, 20 ms
    /// steps after a blind restart, 1 ms minimum steps, drift followed over 10 s blocks by up
    /// to 5 ms each.
    pub fn new(clock_rate: u32) -> Self {
        ClockConfig {
            clock_rate: clock_rate.max(1),
            reanchor_threshold_ns: 1_000_000_000,
            max_blind_jump_ns: 60_000_000_000,
            nominal_frame_ns: 20_000_000,
            min_step_ns: 1_000_000,
            drift_block_ns: 10_000_000_000,
            max_slew_ns: 5_000_000,
        }
    }
}

/// How much earlier than its clock the least delayed frame of a block must arrive for the anchor
/// to catch up at once (by slewing) rather than by [`ClockConfig::max_slew_ns`] per block.
const EARLY_NS: i64 = 50_000_000;

#[derive(Debug, Clone, Copy)]
struct Anchor {
    ext_ts: i64,
    wall_ns: i64,
}

/// The least delayed arrival of the current drift block.
#[derive(Debug, Clone, Copy)]
struct DriftBlock {
    start_ext_ts: i64,
    min_late_ns: Option<i64>,
}

/// Maps RTP timestamps (+ optional arrival times) of one track to strictly increasing wall-clock
/// nanoseconds.
#[derive(Debug)]
pub struct TrackClock {
    config: ClockConfig,
    unwrapper: TsUnwrapper,
    anchor: Option<Anchor>,
    block: Option<DriftBlock>,
    last_ext_ts: i64,
    last_out_ns: Option<i64>,
    reanchors: u32,
    drift_ns: i64,
    /// Correction of the anchor still to apply, a little at every frame (negative: earlier).
    pending_ns: i64,
}

impl TrackClock {
    /// A clock with no frame placed yet.
    pub fn new(config: ClockConfig) -> Self {
        TrackClock {
            config,
            unwrapper: TsUnwrapper::default(),
            anchor: None,
            block: None,
            last_ext_ts: 0,
            last_out_ns: None,
            reanchors: 0,
            drift_ns: 0,
            pending_ns: 0,
        }
    }

    fn ticks_to_ns(&self, ticks: i64) -> i64 {
        // i128 so that long recordings at 90 kHz cannot overflow; clamped for absurd ones.
        let ns = i128::from(ticks) * 1_000_000_000 / i128::from(self.config.clock_rate);
        ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// Where the anchor puts the unwrapped timestamp `ext`.
    fn expected(anchor: Anchor, this: &Self, ext: i64) -> i64 {
        anchor
            .wall_ns
            .saturating_add(this.ticks_to_ns(ext.saturating_sub(anchor.ext_ts)))
    }

    /// Anchors the clock before the first frame is placed: the frame with `rtp_timestamp` is at
    /// `wall_ns`. Used when a better estimate than the first frame's own arrival is known (the
    /// least delayed of the first frames).
    pub fn prime(&mut self, rtp_timestamp: u32, wall_ns: i64) {
        if self.anchor.is_none() {
            let ext = self.unwrapper.unwrap(rtp_timestamp);
            self.anchor = Some(Anchor {
                ext_ts: ext,
                wall_ns,
            });
            self.last_ext_ts = ext;
        }
    }

    /// How much later than the RTP clock says `arrival_ns` is for `rtp_timestamp` (negative:
    /// earlier); `None` before the first frame. Changes nothing.
    pub fn lateness(&self, rtp_timestamp: u32, arrival_ns: i64) -> Option<i64> {
        let anchor = self.anchor?;
        let ext = self.last_ext_ts.saturating_add(i64::from(
            rtp_timestamp.wrapping_sub(self.last_ext_ts as u32) as i32,
        ));
        Some(arrival_ns.saturating_sub(Self::expected(anchor, self, ext)))
    }

    /// Whether `arrival_ns` is further than [`ClockConfig::reanchor_threshold_ns`] from where
    /// the RTP clock puts `rtp_timestamp` (false before the first frame). Changes nothing.
    pub fn disagrees(&self, rtp_timestamp: u32, arrival_ns: i64) -> bool {
        self.lateness(rtp_timestamp, arrival_ns)
            .is_some_and(|l| l.saturating_abs() > self.config.reanchor_threshold_ns)
    }

    /// Nanoseconds of media time between two RTP timestamps (`to` after `from`, nearest way
    /// round).
    pub fn media_ns(&self, from: u32, to: u32) -> i64 {
        self.ticks_to_ns(i64::from(to.wrapping_sub(from) as i32))
    }

    /// Places a frame: `rtp_timestamp` from its RTP header, `arrival_ns` the wall-clock time Janus
    /// wrote it (if known), `start_ns` the wall-clock time of the recording start (used for the
    /// first frame when there is no arrival time). Returns the frame's wall-clock time in ns:
    /// at least [`ClockConfig::min_step_ns`] after the previous frame's.
    pub fn place(&mut self, rtp_timestamp: u32, arrival_ns: Option<i64>, start_ns: i64) -> i64 {
        let ext = self.unwrapper.unwrap(rtp_timestamp);
        let wall = match self.anchor {
            None => {
                let wall = arrival_ns.unwrap_or(start_ns);
                self.anchor = Some(Anchor {
                    ext_ts: ext,
                    wall_ns: wall,
                });
                wall
            }
            Some(_) => {
                let anchor = self.slew();
                let expected = Self::expected(anchor, self, ext);
                match arrival_ns {
                    Some(arrival) => {
                        let late = arrival.saturating_sub(expected);
                        if late.saturating_abs() > self.config.reanchor_threshold_ns {
                            self.reanchor(ext, arrival)
                        } else {
                            // Measured against where the anchor is going, so that a correction
                            // under way is not asked for again.
                            self.follow_drift(ext, late.saturating_sub(self.pending_ns));
                            expected
                        }
                    }
                    None => {
                        let step = self.ticks_to_ns(ext.saturating_sub(self.last_ext_ts));
                        if step < 0 || step > self.config.max_blind_jump_ns {
                            let wall = self
                                .last_out_ns
                                .unwrap_or(start_ns)
                                .saturating_add(self.config.nominal_frame_ns);
                            self.reanchor(ext, wall)
                        } else {
                            expected
                        }
                    }
                }
            }
        };
        self.last_ext_ts = ext;
        let out = match self.last_out_ns {
            // Far behind what is already placed (a damaged timestamp, or times that say the
            // track moved back): clamping would pile every frame until it caught up 1 ms after
            // the last one, so the timeline continues after it instead.
            Some(last)
                if last.saturating_sub(wall) > self.config.nominal_frame_ns
                    && self.anchor.is_some() =>
            {
                let continued = last.saturating_add(self.config.nominal_frame_ns);
                self.reanchor(ext, continued)
            }
            Some(last) => wall.max(last.saturating_add(self.config.min_step_ns)),
            None => wall,
        };
        self.last_out_ns = Some(out);
        out
    }

    /// Notes that the frame at `ext` arrived `late_ns` after the clock's position for it, and
    /// at the end of a drift block moves the anchor towards the block's least delayed frame.
    fn follow_drift(&mut self, ext: i64, mut late_ns: i64) {
        let block_ticks = i64::try_from(
            i128::from(self.config.drift_block_ns) * i128::from(self.config.clock_rate)
                / 1_000_000_000,
        )
        .unwrap_or(i64::MAX)
        .max(1);
        let block = self.block.get_or_insert(DriftBlock {
            start_ext_ts: ext,
            min_late_ns: None,
        });
        let elapsed = ext.saturating_sub(block.start_ext_ts);
        if !(0..block_ticks).contains(&elapsed) {
            if let (Some(min), true) = (block.min_late_ns, elapsed >= block_ticks) {
                if min < -EARLY_NS {
                    // A whole block arrived earlier than the clock allows: the anchor is late
                    // (it was set on frames that were all delayed, or the sender's timestamps
                    // were rewritten while it lagged). Catch up, a little at every frame.
                    self.pending_ns = self.pending_ns.saturating_add(min);
                    // This frame opens the next block: measured against the corrected anchor.
                    late_ns = late_ns.saturating_sub(min);
                } else {
                    let step = min.clamp(-self.config.max_slew_ns, self.config.max_slew_ns);
                    if let Some(a) = &mut self.anchor {
                        a.wall_ns = a.wall_ns.saturating_add(step);
                        self.drift_ns = self.drift_ns.saturating_add(step);
                    }
                }
            }
            *block = DriftBlock {
                start_ext_ts: ext,
                min_late_ns: None,
            };
        }
        block.min_late_ns = Some(block.min_late_ns.map_or(late_ns, |m| m.min(late_ns)));
    }

    /// Anchors the clock anew: the frame with `rtp_timestamp` (the next one to be placed) is
    /// at `wall_ns`. For a known discontinuity, such as a sender restart.
    pub fn reanchor_at(&mut self, rtp_timestamp: u32, wall_ns: i64) {
        if self.anchor.is_none() {
            self.prime(rtp_timestamp, wall_ns);
            return;
        }
        let ext = self.last_ext_ts.saturating_add(i64::from(
            rtp_timestamp.wrapping_sub(self.last_ext_ts as u32) as i32,
        ));
        self.reanchor(ext, wall_ns);
    }

    /// Moves the anchor by a part of the pending correction (at most a quarter of a nominal
    /// frame per frame: frames come a little closer together, never out of order) and returns it.
    fn slew(&mut self) -> Anchor {
        let step = self.pending_ns.clamp(
            -self.config.nominal_frame_ns / 4,
            self.config.nominal_frame_ns / 4,
        );
        self.pending_ns -= step;
        let anchor = self.anchor.get_or_insert(Anchor {
            ext_ts: 0,
            wall_ns: 0,
        });
        anchor.wall_ns = anchor.wall_ns.saturating_add(step);
        self.drift_ns = self.drift_ns.saturating_add(step);
        *anchor
    }

    fn reanchor(&mut self, ext_ts: i64, wall_ns: i64) -> i64 {
        self.anchor = Some(Anchor { ext_ts, wall_ns });
        self.block = None;
        self.pending_ns = 0;
        self.reanchors += 1;
        wall_ns
    }

    /// The clock's tuning.
    pub fn config(&self) -> &ClockConfig {
        &self.config
    }

    /// How many times the track was re-anchored (restarts, clock jumps, resets).
    pub fn reanchors(&self) -> u32 {
        self.reanchors
    }

    /// How far (ns) drift following has moved the anchor in all (positive: the media clock ran
    /// slow against the arrivals, so later frames were moved later than it says).
    pub fn drift_ns(&self) -> i64 {
        self.drift_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn steady_audio_follows_rtp_time_not_jitter() {
        let mut c = TrackClock::new(ClockConfig::new(48_000));
        let start = 1_000_000 * MS;
        for i in 0..100i64 {
            let jitter = (i * 7919 % 40) * MS; // up to 40 ms of arrival jitter
            let t = c.place((i * 960) as u32, Some(start + i * 20 * MS + jitter), 0);
            assert_eq!(t, start + i * 20 * MS);
        }
        assert_eq!(c.reanchors(), 0);
    }

    #[test]
    fn timestamp_reset_is_reanchored_on_arrival_time() {
        let mut c = TrackClock::new(ClockConfig::new(90_000));
        let t0 = c.place(4_000_000_000, Some(0), 0);
        assert_eq!(t0, 0);
        // 5 s later the sender restarts with a random timestamp base.
        let t1 = c.place(12345, Some(5_000 * MS), 0);
        assert_eq!(t1, 5_000 * MS);
        let t2 = c.place(12345 + 3000, Some(5_040 * MS), 0);
        assert_eq!(t2, 5_000 * MS + 3000 * 1_000_000_000 / 90_000);
        assert_eq!(c.reanchors(), 1);
    }

    #[test]
    fn wraparound_is_continuous() {
        let mut c = TrackClock::new(ClockConfig::new(48_000));
        let a = c.place(u32::MAX - 959, None, 0);
        let b = c.place(0, None, 0);
        assert_eq!(b - a, 20 * MS);
        assert_eq!(c.reanchors(), 0);
    }

    #[test]
    fn blind_restart_continues_and_stays_monotonic() {
        let mut c = TrackClock::new(ClockConfig::new(48_000));
        c.place(1_000_000, None, 0);
        let b = c.place(1_000_960, None, 0);
        let r = c.place(5, None, 0); // backwards: restart
        assert_eq!(r, b + 20 * MS);
        let n = c.place(965, None, 0);
        assert_eq!(n, r + 20 * MS);
        assert_eq!(c.reanchors(), 1);
    }

    proptest::proptest! {
        #[test]
        fn always_moves_forward(steps in proptest::collection::vec((proptest::prelude::any::<u32>(), proptest::option::of(0i64..1_000_000)), 1..200)) {
            let mut c = TrackClock::new(ClockConfig::new(90_000));
            let mut last = i64::MIN;
            let mut arrival = 0i64;
            for (ts, a) in steps {
                let arr = a.map(|d| { arrival += d * 1000; arrival });
                let t = c.place(ts, arr, 0);
                proptest::prop_assert!(t > last);
                last = t;
            }
        }
    }
}
