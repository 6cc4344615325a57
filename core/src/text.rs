//! A data-channel message's text as a caption (an SRT or WebVTT cue, a WebVTT block in WebM)
//! can hold it.
//!
//! Rules and reasons:
//!
//! * A data-channel message is bytes that should be UTF-8 but need not be: each invalid sequence
//!   becomes U+FFFD (REPLACEMENT CHARACTER) and is counted.
//! * A blank line ends a cue in both SRT and WebVTT, so line breaks are normalized to `\n` and
//!   blank (empty or whitespace-only) lines are removed; the other lines are kept as they are.
//! * C0 control characters other than tab and line feed, and DEL, would reach players as they
//!   are (a NUL ends a C string): each becomes U+FFFD and is counted.
//! * WebVTT cue text is markup (WebVTT §4.2.2): [`escape_vtt`] writes `&`, `<` and `>` as
//!   `&amp;`, `&lt;` and `&gt;`, which also keeps `-->` (forbidden in a cue's text) out.

/// A message's text, cleaned for a cue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Clean {
    /// The lines, none blank, joined by `\n`; empty when nothing is left.
    pub text: String,
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    pub invalid_utf8: u64,
    /// Control characters replaced by U+FFFD.
    pub control_chars: u64,
    /// Blank lines removed from between lines of text.
    pub blank_lines: u64,
}

/// Cleans `message` (see the [module](self) rules), keeping at most `max_bytes` bytes of text (cut at a
/// character boundary); the second value says whether it was cut.
pub fn clean(message: &[u8], max_bytes: usize) -> (Clean, bool) {
    let mut out = Clean::default();
    let mut decoded = String::with_capacity(message.len().min(max_bytes.saturating_add(4)));
    for chunk in message.utf8_chunks() {
        for c in chunk.valid().chars() {
            let control = (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == '\u{7F}';
            if control {
                out.control_chars += 1;
                decoded.push(char::REPLACEMENT_CHARACTER);
            } else {
                decoded.push(c);
            }
        }
        if !chunk.invalid().is_empty() {
            out.invalid_utf8 += 1;
            decoded.push(char::REPLACEMENT_CHARACTER);
        }
    }
    let decoded = decoded.replace("\r\n", "\n").replace('\r', "\n");
    // Blank lines between two lines of text are counted; at the ends they are only trimmed.
    let mut blanks = 0;
    for line in decoded.split('\n') {
        if line.trim().is_empty() {
            blanks += 1;
            continue;
        }
        if !out.text.is_empty() {
            out.blank_lines += blanks;
            out.text.push('\n');
        }
        blanks = 0;
        out.text.push_str(line);
    }
    let cut = out.text.len() > max_bytes;
    if cut {
        let mut at = max_bytes;
        while !out.text.is_char_boundary(at) {
            at -= 1;
        }
        out.text.truncate(at);
        // The cut may leave a last line of nothing but spaces: a blank line, which would end the
        // cue early.
        while let Some((rest, last)) = out.text.rsplit_once('\n') {
            if !last.trim().is_empty() {
                break;
            }
            out.text.truncate(rest.len());
        }
        if out.text.trim().is_empty() {
            out.text.clear();
        }
    }
    (out, cut)
}

/// `text` as WebVTT cue text: `&`, `<`, `>` as character references.
pub fn escape_vtt(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_and_controls_become_replacement_characters_and_are_counted() {
        let (c, cut) = clean(b"a\xFF\xFEb\x00c\xE2\x82", 100);
        assert!(!cut);
        assert_eq!(c.text, "a\u{FFFD}\u{FFFD}b\u{FFFD}c\u{FFFD}");
        assert_eq!((c.invalid_utf8, c.control_chars), (3, 1));
    }

    #[test]
    fn blank_lines_inside_a_message_are_removed_and_line_ends_normalized() {
        let (c, _) = clean(b"one\r\n\r\n  \ntwo\rthree\n", 100);
        assert_eq!(c.text, "one\ntwo\nthree");
        assert_eq!(c.blank_lines, 2);
        assert_eq!(clean(b" \n\t", 100).0.text, "");
    }

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary() {
        let (c, cut) = clean("ééé".as_bytes(), 5);
        assert!(cut);
        assert_eq!(c.text, "éé");
        // A cut right after the spaces that start a line leaves no blank line.
        assert_eq!(clean(b"abc\n   xyz", 6).0.text, "abc");
        assert_eq!(clean(b"   xyz", 2).0.text, "");
    }

    #[test]
    fn webvtt_text_never_holds_an_arrow_or_markup() {
        assert_eq!(escape_vtt("a --> <b> & c"), "a --&gt; &lt;b&gt; &amp; c");
    }
}
