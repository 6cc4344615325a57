//! [`Cues`]: when each message shows, decided with one message of look-ahead.
//!
//! Rules and reasons:
//!
//! * A message shows from its time until the next message's, but at most
//!   [`SubtitleOptions::max_duration`] (a message an hour before the next is not on screen for an
//!   hour) and at least [`SubtitleOptions::min_duration`] unless the next one starts earlier
//!   (cues never overlap: players show overlapping cues stacked, and some drop them).
//! * A message whose `Placement::duration` is given shows for that long (at least 1 ms), still
//!   never past the next message's start.
//! * The last message shows until the end of the output, within the same bounds.
//! * Times are whole milliseconds (both formats' resolution), rounded down; negative times are 0.
//!   Messages in the same millisecond as the one pending (or earlier: times must not go back)
//!   join its cue as further lines, so a cue never has zero length; a cue's text is capped at
//!   [`SubtitleOptions::max_cue_bytes`], and a message that does not fit is dropped and counted.
//! * Only the pending cue is held: memory is bounded by that cap.

use mjrtool_core::Nanos;

/// How cues are timed and sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubtitleOptions {
    /// The longest a message without a duration shows. Default 5 s.
    pub max_duration: Nanos,
    /// The shortest a message shows when the next one does not start earlier. Default 500 ms.
    pub min_duration: Nanos,
    /// The most bytes of text one cue holds (a longer message is cut, and same-millisecond
    /// messages join a cue only while they fit). Default 16 KiB.
    pub max_cue_bytes: usize,
}

impl Default for SubtitleOptions {
    fn default() -> Self {
        SubtitleOptions {
            max_duration: Nanos::from_secs(5),
            min_duration: Nanos::from_ms(500),
            max_cue_bytes: 16 << 10,
        }
    }
}

/// One cue: a text shown from `start_ms` to `end_ms` (ms from the start of the output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// When it shows.
    pub start_ms: u64,
    /// When it goes; always after `start_ms`.
    pub end_ms: u64,
    /// Its lines, joined by `\n`, none blank.
    pub text: String,
}

/// What a new message did to the pending cue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// It starts a new cue; the one before, if any, is complete.
    Next(Option<Cue>),
    /// It joined the pending cue (same millisecond).
    Joined,
    /// It did not fit in the pending cue and was dropped.
    Dropped,
}

#[derive(Debug, Clone)]
struct Pending {
    start_ms: u64,
    duration_ms: Option<u64>,
    text: String,
}

/// The cue timer: messages in, complete cues out, one pending.
#[derive(Debug, Clone)]
pub struct Cues {
    options: SubtitleOptions,
    pending: Option<Pending>,
}

/// `t` in whole milliseconds, rounded down, negative as 0.
fn ms(t: Nanos) -> u64 {
    u64::try_from(t.as_ms_floor()).unwrap_or(0)
}

impl Cues {
    /// A timer with these options.
    pub fn new(options: SubtitleOptions) -> Cues {
        Cues {
            options,
            pending: None,
        }
    }

    /// Takes a message (its cleaned, non-empty text) at `time`, shown for `duration` if given.
    pub fn push(&mut self, time: Nanos, duration: Option<Nanos>, text: String) -> Pushed {
        let start_ms = ms(time);
        if let Some(p) = &mut self.pending {
            if start_ms <= p.start_ms {
                if p.text.len() + 1 + text.len() > self.options.max_cue_bytes {
                    return Pushed::Dropped;
                }
                p.text.push('\n');
                p.text.push_str(&text);
                p.duration_ms = p.duration_ms.max(duration.map(ms));
                return Pushed::Joined;
            }
        }
        let done = self.pending.take().map(|p| self.close(p, start_ms, true));
        self.pending = Some(Pending {
            start_ms,
            duration_ms: duration.map(ms),
            text,
        });
        Pushed::Next(done)
    }

    /// The last cue, shown until `end` of the output (within the bounds).
    pub fn finish(&mut self, end: Nanos) -> Option<Cue> {
        let p = self.pending.take()?;
        Some(self.close(p, ms(end), false))
    }

    /// The cue of `p`, the next message (or, when `next` is false, the output's end) being at
    /// `at_ms`.
    fn close(&self, p: Pending, at_ms: u64, next: bool) -> Cue {
        let start = p.start_ms;
        let (min, max) = (ms(self.options.min_duration), ms(self.options.max_duration));
        let mut end = match p.duration_ms {
            Some(d) => start.saturating_add(d.max(1)),
            None => at_ms.clamp(
                start.saturating_add(min.max(1)),
                start.saturating_add(max.max(min).max(1)),
            ),
        };
        if next {
            end = end.min(at_ms);
        }
        Cue {
            start_ms: start,
            end_ms: end.max(start + 1),
            text: p.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(c: &mut Cues, ms: i64, text: &str) -> Pushed {
        c.push(Nanos::from_ms(ms), None, text.into())
    }

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Pushed {
        Pushed::Next(Some(Cue {
            start_ms,
            end_ms,
            text: text.into(),
        }))
    }

    #[test]
    fn a_cue_lasts_until_the_next_within_half_a_second_and_five_seconds() {
        let mut c = Cues::new(SubtitleOptions::default());
        assert_eq!(push(&mut c, 1_000, "a"), Pushed::Next(None));
        assert_eq!(push(&mut c, 3_000, "b"), cue(1_000, 3_000, "a"));
        assert_eq!(push(&mut c, 20_000, "c"), cue(3_000, 8_000, "b"));
        // The next one 200 ms later: shown 200 ms, not 500.
        assert_eq!(push(&mut c, 20_200, "d"), cue(20_000, 20_200, "c"));
        assert_eq!(push(&mut c, 20_200, "e"), Pushed::Joined);
        let last = c.finish(Nanos::from_ms(20_300)).unwrap();
        assert_eq!(
            (last.start_ms, last.end_ms, last.text.as_str()),
            (20_200, 20_700, "d\ne")
        );
    }

    #[test]
    fn a_given_duration_is_used_but_never_past_the_next_message() {
        let mut c = Cues::new(SubtitleOptions::default());
        c.push(Nanos::ZERO, Some(Nanos::from_secs(9)), "a".into());
        assert_eq!(push(&mut c, 12_000, "b"), cue(0, 9_000, "a"));
        c.push(
            Nanos::from_ms(13_000),
            Some(Nanos::from_secs(9)),
            "c".into(),
        );
        assert!(matches!(
            push(&mut c, 14_000, "d"),
            Pushed::Next(Some(Cue { end_ms: 14_000, .. }))
        ));
    }
}
