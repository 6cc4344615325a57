//! Placing one track's frames on a wall-clock timeline.
//!
//! A track's frames carry RTP timestamps (a media clock that may wrap, jump or restart) and, for
//! MJR00002 recordings, the wall-clock time at which Janus wrote their first packet. [`TrackClock`]
//! turns both into a monotonic position in nanoseconds:
//!
//! * between two frames, the RTP timestamp difference is trusted (it is exact, unlike arrival times,
//!   which carry network jitter);
//! * when the RTP clock and the arrival clock disagree by more than
//!   [`ClockConfig::reanchor_threshold_ns`] (a publisher that restarted, renegotiated, or paused its
//!   clock), the track is re-anchored on the arrival time, so long gaps stay gaps and the timeline
//!   stays true to wall-clock time;
//! * without arrival times (older recordings), a backwards step or a forward jump longer than
//!   [`ClockConfig::max_blind_jump_ns`] is treated as a restart and the timeline simply continues;
//! * the result never goes backwards.

use rtp_depack::TsUnwrapper;

/// Tuning of a [`TrackClock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockConfig {
    /// RTP clock rate in Hz (90 000 for video, 48 000 for Opus).
    pub clock_rate: u32,
    /// How far (ns) the RTP clock may drift from arrival times before the track is re-anchored.
    pub reanchor_threshold_ns: i64,
    /// Without arrival times: the largest forward jump (ns) still taken as a real pause.
    pub max_blind_jump_ns: i64,
    /// Without arrival times: the step (ns) assumed after a detected restart.
    pub nominal_frame_ns: i64,
}

impl ClockConfig {
    /// Defaults for a clock rate: re-anchor beyond 1 s of disagreement, 60 s blind jumps, 20 ms steps.
    pub fn new(clock_rate: u32) -> Self {
        ClockConfig {
            clock_rate: clock_rate.max(1),
            reanchor_threshold_ns: 1_000_000_000,
            max_blind_jump_ns: 60_000_000_000,
            nominal_frame_ns: 20_000_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    ext_ts: i64,
    wall_ns: i64,
}

/// Maps RTP timestamps (+ optional arrival times) of one track to monotonic wall-clock nanoseconds.
#[derive(Debug)]
pub struct TrackClock {
    config: ClockConfig,
    unwrapper: TsUnwrapper,
    anchor: Option<Anchor>,
    last_ext_ts: i64,
    last_out_ns: i64,
    reanchors: u32,
}

impl TrackClock {
    /// A clock with no frame placed yet.
    pub fn new(config: ClockConfig) -> Self {
        TrackClock {
            config,
            unwrapper: TsUnwrapper::default(),
            anchor: None,
            last_ext_ts: 0,
            last_out_ns: i64::MIN,
            reanchors: 0,
        }
    }

    fn ticks_to_ns(&self, ticks: i64) -> i64 {
        // i128 so that long recordings at 90 kHz cannot overflow.
        ((ticks as i128) * 1_000_000_000 / self.config.clock_rate as i128) as i64
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

    /// Whether `arrival_ns` is further than [`ClockConfig::reanchor_threshold_ns`] from where
    /// the RTP clock puts `rtp_timestamp` (false before the first frame). Changes nothing.
    pub fn disagrees(&self, rtp_timestamp: u32, arrival_ns: i64) -> bool {
        let Some(anchor) = self.anchor else {
            return false;
        };
        let ext = self.last_ext_ts
            + i64::from(rtp_timestamp.wrapping_sub(self.last_ext_ts as u32) as i32);
        let expected = anchor.wall_ns + self.ticks_to_ns(ext - anchor.ext_ts);
        (arrival_ns - expected).abs() > self.config.reanchor_threshold_ns
    }

    /// Nanoseconds of media time between two RTP timestamps (`to` after `from`, nearest way
    /// round).
    pub fn media_ns(&self, from: u32, to: u32) -> i64 {
        self.ticks_to_ns(i64::from(to.wrapping_sub(from) as i32))
    }

    /// Places a frame: `rtp_timestamp` from its RTP header, `arrival_ns` the wall-clock time Janus
    /// wrote it (if known), `start_ns` the wall-clock time of the recording start (used for the
    /// first frame when there is no arrival time). Returns the frame's wall-clock time in ns.
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
            Some(anchor) => {
                let expected = anchor.wall_ns + self.ticks_to_ns(ext - anchor.ext_ts);
                match arrival_ns {
                    Some(arrival)
                        if (arrival - expected).abs() > self.config.reanchor_threshold_ns =>
                    {
                        self.reanchor(ext, arrival)
                    }
                    Some(_) => expected,
                    None => {
                        let step = self.ticks_to_ns(ext - self.last_ext_ts);
                        if step < 0 || step > self.config.max_blind_jump_ns {
                            let wall = self.last_out_ns + self.config.nominal_frame_ns;
                            self.reanchor(ext, wall)
                        } else {
                            expected
                        }
                    }
                }
            }
        };
        self.last_ext_ts = ext;
        let out = wall.max(self.last_out_ns);
        self.last_out_ns = out;
        out
    }

    fn reanchor(&mut self, ext_ts: i64, wall_ns: i64) -> i64 {
        self.anchor = Some(Anchor { ext_ts, wall_ns });
        self.reanchors += 1;
        wall_ns
    }

    /// How many times the track was re-anchored (restarts, clock jumps, resets).
    pub fn reanchors(&self) -> u32 {
        self.reanchors
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
        fn never_goes_backwards(steps in proptest::collection::vec((proptest::prelude::any::<u32>(), proptest::option::of(0i64..1_000_000)), 1..200)) {
            let mut c = TrackClock::new(ClockConfig::new(90_000));
            let mut last = i64::MIN;
            let mut arrival = 0i64;
            for (ts, a) in steps {
                let arr = a.map(|d| { arrival += d * 1000; arrival });
                let t = c.place(ts, arr, 0);
                proptest::prop_assert!(t >= last);
                last = t;
            }
        }
    }
}
