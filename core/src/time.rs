//! Time that carries its unit: media clocks ([`ClockRate`], [`MediaTime`]) and the timeline's
//! nanoseconds ([`Nanos`]). Every conversion between them is here, and it saturates: a damaged
//! recording can hold absurd timestamps, which must give absurd but valid times, never an
//! overflow.

use std::num::NonZeroU32;
use std::ops::{Add, Neg, Sub};

use serde::Serialize;

/// The rate of a media clock, in ticks per second (90 000 for video, 48 000 for Opus…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClockRate(NonZeroU32);

impl ClockRate {
    /// The 90 kHz clock of every video payload format.
    pub const VIDEO: ClockRate = ClockRate(NonZeroU32::MIN.saturating_add(89_999));
    /// The 48 kHz clock of Opus.
    pub const OPUS: ClockRate = ClockRate(NonZeroU32::MIN.saturating_add(47_999));

    /// A clock of `hz` ticks per second; `None` for 0.
    pub const fn new(hz: u32) -> Option<ClockRate> {
        match NonZeroU32::new(hz) {
            Some(n) => Some(ClockRate(n)),
            None => None,
        }
    }

    /// Ticks per second.
    pub const fn hz(self) -> u32 {
        self.0.get()
    }

    /// `ticks` of this clock, in nanoseconds (rounded toward zero, saturating).
    pub fn ticks_to_ns(self, ticks: i64) -> Nanos {
        let ns = i128::from(ticks) * 1_000_000_000 / i128::from(self.hz());
        Nanos(ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// `ns` nanoseconds in ticks of this clock (rounded toward zero, saturating).
    pub fn ns_to_ticks(self, ns: Nanos) -> i64 {
        let ticks = i128::from(ns.0) * i128::from(self.hz()) / 1_000_000_000;
        ticks.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// A position on a media clock: ticks (unwrapped, so it can exceed 32 bits) and the clock's
/// rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct MediaTime {
    /// Ticks since the clock's origin.
    pub ticks: i64,
    /// The clock.
    pub rate: ClockRate,
}

impl MediaTime {
    /// `ticks` of a clock at `rate`.
    pub const fn new(ticks: i64, rate: ClockRate) -> MediaTime {
        MediaTime { ticks, rate }
    }

    /// The position in nanoseconds from the clock's origin.
    pub fn to_ns(self) -> Nanos {
        self.rate.ticks_to_ns(self.ticks)
    }

    /// Nanoseconds from `earlier` to `self` on the same clock (negative if `earlier` is later).
    pub fn since(self, earlier: MediaTime) -> Nanos {
        self.rate
            .ticks_to_ns(self.ticks.saturating_sub(earlier.ticks))
    }
}

/// Nanoseconds: a point on the timeline (from its origin, or from the Unix epoch for wall-clock
/// times) or a span. Arithmetic saturates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Nanos(pub i64);

impl Nanos {
    /// Zero.
    pub const ZERO: Nanos = Nanos(0);
    /// The latest representable time (292 years after the origin).
    pub const MAX: Nanos = Nanos(i64::MAX);
    /// The earliest representable time.
    pub const MIN: Nanos = Nanos(i64::MIN);

    /// `ms` milliseconds.
    pub const fn from_ms(ms: i64) -> Nanos {
        Nanos(ms.saturating_mul(1_000_000))
    }

    /// `us` microseconds.
    pub const fn from_us(us: i64) -> Nanos {
        Nanos(us.saturating_mul(1_000))
    }

    /// `s` seconds.
    pub const fn from_secs(s: i64) -> Nanos {
        Nanos(s.saturating_mul(1_000_000_000))
    }

    /// The value in nanoseconds.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// In whole milliseconds (rounded toward negative infinity).
    pub const fn as_ms_floor(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// In seconds, as a float (for display).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// The absolute value (saturating).
    pub const fn abs(self) -> Nanos {
        Nanos(self.0.saturating_abs())
    }
}

impl Add for Nanos {
    type Output = Nanos;
    fn add(self, rhs: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Nanos {
    type Output = Nanos;
    fn sub(self, rhs: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for Nanos {
    type Output = Nanos;
    fn neg(self) -> Nanos {
        Nanos(self.0.saturating_neg())
    }
}

impl std::fmt::Display for Nanos {
    /// Seconds with millisecond precision, e.g. `1.500 s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

/// Extends 32-bit RTP timestamps to 64 bits: each step from the previous value is taken as the
/// nearest one (within ±2^31 ticks), so a timestamp that wraps keeps counting up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsUnwrapper {
    last: Option<i64>,
}

impl TsUnwrapper {
    /// The extended timestamp of `ts`.
    pub fn unwrap(&mut self, ts: u32) -> i64 {
        let ext = match self.last {
            None => i64::from(ts),
            Some(l) => l.saturating_add(i64::from(ts.wrapping_sub(l as u32) as i32)),
        };
        self.last = Some(ext);
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clocks_convert_exactly_where_they_can() {
        assert_eq!(ClockRate::VIDEO.hz(), 90_000);
        assert_eq!(ClockRate::OPUS.hz(), 48_000);
        assert_eq!(ClockRate::VIDEO.ticks_to_ns(90_000), Nanos::from_secs(1));
        assert_eq!(ClockRate::OPUS.ticks_to_ns(960), Nanos::from_ms(20));
        assert_eq!(ClockRate::OPUS.ns_to_ticks(Nanos::from_ms(20)), 960);
        assert_eq!(ClockRate::new(0), None);
        let a = MediaTime::new(3000, ClockRate::VIDEO);
        let b = MediaTime::new(6000, ClockRate::VIDEO);
        assert_eq!(b.since(a), Nanos(33_333_333));
        assert_eq!(a.since(b), Nanos(-33_333_333));
    }

    #[test]
    fn timestamps_keep_counting_across_a_wrap() {
        let mut u = TsUnwrapper::default();
        assert_eq!(u.unwrap(u32::MAX - 959), i64::from(u32::MAX - 959));
        assert_eq!(u.unwrap(0), i64::from(u32::MAX) + 1);
        assert_eq!(u.unwrap(u32::MAX), i64::from(u32::MAX));
    }

    #[test]
    fn absurd_times_saturate() {
        assert_eq!(Nanos::MAX + Nanos(1), Nanos::MAX);
        assert_eq!(Nanos::MIN - Nanos(1), Nanos::MIN);
        assert_eq!(-Nanos::MIN, Nanos::MAX);
        let slow = ClockRate::new(1).unwrap();
        assert_eq!(slow.ticks_to_ns(i64::MAX), Nanos::MAX);
        assert_eq!(
            ClockRate::VIDEO.ns_to_ticks(Nanos::MAX),
            830_103_483_316_929
        );
    }

    proptest! {
        #[test]
        fn ticks_survive_a_round_trip_through_nanoseconds(ticks in -(1i64 << 40)..(1i64 << 40), hz in 8_000u32..200_000) {
            let rate = ClockRate::new(hz).unwrap();
            let back = rate.ns_to_ticks(rate.ticks_to_ns(ticks));
            // Rounding toward zero twice loses at most one tick.
            prop_assert!((back - ticks).abs() <= 1, "{ticks} -> {back}");
        }
    }
}
