//! Text for a terminal: every line the tool prints goes through [`escape`].
//!
//! Recordings are untrusted: a codec name, an `fmtp` line, an extmap or a file name can hold a
//! newline (which would break the one-line error rule) or an escape sequence (which would drive
//! the operator's terminal: clear it, retitle it, hide text). So each printed line is escaped as
//! a whole, once, just before it is written: control characters (C0, DEL, C1), the line and
//! paragraph separators and the bidirectional overrides become `\u{..}`. JSON output needs no
//! such step: serde escapes control characters itself.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use mjrtool_convert::convert::Report;
use mjrtool_convert::track::TrackStats;

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with every control character, line or paragraph separator and bidirectional control
/// written as `\u{..}` (so the result is one line that cannot drive a terminal).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `text`, escaped, and a newline.
///
/// # Errors
///
/// Writing failed.
pub fn line(out: &mut dyn Write, text: &str) -> io::Result<()> {
    let text = escape(text);
    let mut buf = Vec::with_capacity(text.len() + 1);
    buf.extend_from_slice(text.as_bytes());
    buf.push(b'\n');
    out.write_all(&buf)
}

/// Writes a human-readable one-screen summary of a conversion or analysis, one escaped line at
/// a time.
///
/// # Errors
///
/// Writing failed.
pub fn print_report(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    if let Some(o) = &report.output {
        let secs = report.duration_ms / 1000.0;
        line(out, &format!("wrote {} ({secs:.3} s)", o.display()))?;
    }
    for i in &report.inputs {
        let t = &i.track;
        let h = &i.header;
        let mut l = format!(
            "  {}: {:?} {} {}, starts at {:+.3} s, {} frames",
            i.path.display(),
            h.version,
            h.kind.name(),
            h.codec.name(),
            i.offset_ms / 1000.0,
            t.frames
        );
        if let Some(mjrtool_core::VideoSize {
            width: w,
            height: hgt,
        }) = t.info.size
        {
            let _ = write!(l, ", {w}x{hgt}");
        }
        line(out, &l)?;
        if let Some(s) = &i.source {
            line(
                out,
                &format!(
                    "    packets {}  lost {}  duplicates {}  out-of-order {}  late {}  restarts {}",
                    s.mjr_packets,
                    s.reorder.lost,
                    s.reorder.duplicates,
                    s.reorder.reordered,
                    s.reorder.late,
                    s.restarts()
                ),
            )?;
            let dropped = s.frames_dropped();
            if dropped > 0 || t.silence_packets > 0 {
                line(
                    out,
                    &format!(
                        "    frames dropped (incomplete or waiting for a keyframe) {}  silence filled {} packets ({:.3} s)",
                        dropped,
                        t.silence_packets,
                        t.silence_ns as f64 / 1e9
                    ),
                )?;
            }
            print_extensions(out, s)?;
        }
    }
    if !report.aligned && report.inputs.len() > 1 {
        line(
            out,
            "  tracks not aligned (--no-align, or a recording has no start time)",
        )?;
    }
    for w in &report.warnings {
        line(out, &format!("warning: {w}"))?;
    }
    Ok(())
}

/// The rotation (and its changes) and the audio level a track's header extensions told.
fn print_extensions(out: &mut dyn Write, s: &TrackStats) -> io::Result<()> {
    if let Some(r) = s.rotation {
        let mut l = format!("    rotation {r}° clockwise (video orientation)");
        if s.rotation_changes > 0 {
            let _ = write!(l, ", changed {} times:", s.rotation_changes);
            for (ms, deg) in s.rotations.iter().skip(1) {
                let _ = write!(l, " {deg}° at {:.3} s", *ms as f64 / 1000.0);
            }
        }
        line(out, &l)?;
    }
    if let Some(a) = &s.audio_level {
        line(
            out,
            &format!(
                "    speaking {:.3} s of {:.3} s ({}), mean level {:.1} dBov",
                a.speaking_ms() as f64 / 1000.0,
                a.total_ms as f64 / 1000.0,
                a.speaking_by(),
                a.mean_dbov().unwrap_or(-127.0)
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(escape("plain — ünïcode"), "plain — ünïcode");
        assert_eq!(escape("a\nb"), "a\\u{a}b");
        assert_eq!(escape("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(escape("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(
            escape("\r\t\u{7f}\u{85}\u{2028}"),
            "\\u{d}\\u{9}\\u{7f}\\u{85}\\u{2028}"
        );
    }

    #[test]
    fn a_line_is_one_line() {
        let mut out = Vec::new();
        line(&mut out, "error: codec \"x\n\u{1b}[2J\"").unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(!out.contains(&0x1b));
    }
}
