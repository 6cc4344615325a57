//! [`Placer`]: where each frame's samples go in a file that has no timestamps.
//!
//! Rules and reasons:
//!
//! * A WAV file is samples back to back, so a frame's time is its sample index. To keep the file
//!   aligned with the other tracks of its session (its wall clock), a frame that starts later
//!   than the samples written so far is preceded by silence up to its time, and a first frame at
//!   `T > 0` gets `T` of leading silence. Times become sample indices rounded to the nearest
//!   sample, so a time a few nanoseconds off (the timeline's rounding) inserts nothing.
//! * A frame that starts before the end of the samples written (it overlaps them) is written as
//!   it is when the overlap is under 1 ms (a drift that never accumulates past 1 ms, because the
//!   next frame's overlap grows by as much), and trimmed at the front by the overlap otherwise;
//!   a frame wholly inside the written samples is dropped.
//! * One gap inserts at most [`crate::WavLimits::max_gap`] of silence: a damaged timestamp hours
//!   ahead must not make a huge file out of a tiny input. The rest of the gap is left out, and
//!   every later frame moves earlier by as much (else each of them would open the same gap
//!   again).

use mjrtool_core::Nanos;

/// What to do with one frame: silence first, then the frame less `trim` samples at its front.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plan {
    /// Samples (per channel) of silence to write before the frame.
    pub silence: u64,
    /// Samples (per channel) to skip at the front of the frame.
    pub trim: u64,
    /// Samples of silence left out of this gap because of the gap cap.
    pub left_out: u64,
}

/// The running position of a file in samples, and the plan for each new frame.
#[derive(Debug, Clone)]
pub struct Placer {
    rate: u32,
    max_gap: u64,
    /// Samples (per channel) the file holds.
    written: u64,
    /// Samples left out by capped gaps so far: later times move earlier by as much.
    shift: u64,
}

impl Placer {
    /// A file at `rate` samples per second, starting empty, whose gaps hold at most `max_gap`.
    pub fn new(rate: u32, max_gap: Nanos) -> Placer {
        let mut p = Placer {
            rate,
            max_gap: 0,
            written: 0,
            shift: 0,
        };
        p.max_gap = p.samples_at(max_gap);
        p
    }

    /// `t` from the start, in samples, to the nearest (negative times are 0).
    fn samples_at(&self, t: Nanos) -> u64 {
        let ns = u128::try_from(t.get()).unwrap_or(0);
        let s = (ns * u128::from(self.rate) + 500_000_000) / 1_000_000_000;
        u64::try_from(s).unwrap_or(u64::MAX)
    }

    /// Samples (per channel) in the file so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Where a frame of `len` samples placed at `time` goes; the file then holds the samples of
    /// the plan (`written` moves on by `silence + len - trim`).
    pub fn place(&mut self, time: Nanos, len: u64) -> Plan {
        let at = self.samples_at(time).saturating_sub(self.shift);
        let mut plan = Plan::default();
        if at > self.written {
            let gap = at - self.written;
            plan.silence = gap.min(self.max_gap);
            plan.left_out = gap - plan.silence;
            self.shift += plan.left_out;
        } else {
            let overlap = self.written - at;
            // Under 1 ms: overlap / rate < 1/1000.
            if u128::from(overlap) * 1000 >= u128::from(self.rate) {
                plan.trim = overlap.min(len);
            }
        }
        self.written += plan.silence + (len - plan.trim);
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_frame_at_one_second_gets_one_second_of_silence() {
        let mut p = Placer::new(16_000, Nanos::from_secs(3600));
        let plan = p.place(Nanos::from_secs(1), 320);
        assert_eq!(plan.silence, 16_000);
        assert_eq!(p.written(), 16_320);
    }

    #[test]
    fn an_overlap_under_a_millisecond_is_kept_and_a_longer_one_trimmed() {
        let mut p = Placer::new(16_000, Nanos::from_secs(3600));
        p.place(Nanos::ZERO, 320);
        // 15 samples early: 0.94 ms.
        let small = p.place(Nanos::from_us(20_000 - 937), 320);
        assert_eq!((small.silence, small.trim), (0, 0));
        assert_eq!(p.written(), 640);
        // Now 640 - 600 = 40 samples early: 2.5 ms.
        let big = p.place(Nanos::from_us(37_500), 320);
        assert_eq!((big.silence, big.trim), (0, 40));
        assert_eq!(p.written(), 920);
        // A frame wholly inside what was written is dropped.
        assert_eq!(p.place(Nanos::ZERO, 320).trim, 320);
    }

    #[test]
    fn a_capped_gap_moves_the_later_frames_earlier_by_what_it_left_out() {
        let mut p = Placer::new(1_000, Nanos::from_secs(10));
        p.place(Nanos::ZERO, 10);
        let gap = p.place(Nanos::from_secs(100), 10);
        assert_eq!((gap.silence, gap.left_out), (10_000, 89_990));
        let next = p.place(Nanos::from_secs(100) + Nanos::from_ms(10), 10);
        assert_eq!((next.silence, next.trim), (0, 0));
        assert_eq!(p.written(), 10_030);
    }
}
