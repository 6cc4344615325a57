//! Message text as an SRT or WebVTT cue can hold it: [`clean`] and [`escape_vtt`] are the
//! shared rules of `mjrtool_core::text` (a blank line would end a cue, invalid UTF-8 and
//! control characters become U+FFFD, WebVTT markup is escaped); [`guard_srt`] is SRT's own.
//!
//! SRT has no escapes: its text is written as it is (players may take `<i>`-like words for
//! tags), except that a line that starts with a digit and holds `-->` could be read as the
//! timing line of a new cue (ffmpeg does), so its arrows get a ZERO WIDTH SPACE (U+200B) after
//! the dashes.

pub use mjrtool_core::text::{clean, escape_vtt, Clean};

/// `text` as SRT cue text: see the module rules.
pub fn guard_srt(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            s.push('\n');
        }
        let timing_like = line.trim_start().starts_with(|c: char| c.is_ascii_digit());
        if timing_like && line.contains("-->") {
            s.push_str(&line.replace("-->", "--\u{200B}>"));
        } else {
            s.push_str(line);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_srt_line_that_could_pass_for_a_timing_line_gets_its_arrow_broken() {
        assert_eq!(guard_srt("a --> b\n1 --> 2"), "a --> b\n1 --\u{200B}> 2");
    }
}
