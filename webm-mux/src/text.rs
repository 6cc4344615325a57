//! What a data-channel text message becomes in a subtitle block.
//!
//! Rules and reasons:
//!
//! * Matroska's `S_TEXT/UTF8` (Matroska codec specifications, "Subtitle Codec Mappings") holds
//!   the text itself, UTF-8, without timing: the message is written as it is, with invalid UTF-8
//!   replaced by U+FFFD so the block is always valid UTF-8.
//! * WebM's `D_WEBVTT/SUBTITLES` ("WebVTT in WebM", Heaney and Galligan, 2012) holds in each
//!   block a cue's identifier line, its settings line, then its payload. Both lines are left
//!   empty here (the block starts with two line feeds). The payload is WebVTT cue text (WebVTT
//!   §4.1): lines of text where `&`, `<` and `>` are markup and a blank line would end the
//!   cue. So `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;` (which also keeps `-->` out),
//!   line breaks (`\r\n`, `\r`) become `\n`, empty lines are dropped, and U+0000 becomes U+FFFD
//!   (what a WebVTT parser reads it as).
//! * A message left empty is not written: a subtitle with nothing to show.

use std::borrow::Cow;

/// The text form of a subtitle track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextForm {
    /// `S_TEXT/UTF8`: plain UTF-8.
    Utf8,
    /// `D_WEBVTT/SUBTITLES`: a WebVTT cue payload.
    WebVtt,
}

impl TextForm {
    /// The form a subtitle track of Matroska codec `codec_id` takes.
    pub(crate) fn for_codec(codec_id: &str) -> TextForm {
        if codec_id.starts_with("D_WEBVTT") || codec_id == "S_TEXT/WEBVTT" {
            TextForm::WebVtt
        } else {
            TextForm::Utf8
        }
    }
}

/// The block payload for `message` in `form`.
pub(crate) fn payload(form: TextForm, message: &[u8]) -> Cow<'_, [u8]> {
    let text = String::from_utf8_lossy(message);
    match (form, text) {
        (TextForm::Utf8, Cow::Borrowed(_)) => Cow::Borrowed(message),
        (TextForm::Utf8, Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
        (TextForm::WebVtt, text) => {
            let cue = webvtt_payload(&text);
            if cue.is_empty() {
                return Cow::Borrowed(&[]);
            }
            // An empty cue identifier line, an empty settings line, the payload.
            Cow::Owned(format!("\n\n{cue}").into_bytes())
        }
    }
}

/// `text` as a WebVTT cue payload (see the [module docs](self)).
fn webvtt_payload(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    for line in unified.split('\n').filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        for c in line.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\0' => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_text_is_kept_and_invalid_bytes_are_replaced() {
        let kept = payload(TextForm::Utf8, "héllo <b>\n\nx".as_bytes());
        assert!(matches!(kept, Cow::Borrowed(_)));
        assert_eq!(&kept[..], "héllo <b>\n\nx".as_bytes());
        assert_eq!(
            &payload(TextForm::Utf8, b"a\xffb")[..],
            "a\u{FFFD}b".as_bytes()
        );
    }

    #[test]
    fn webvtt_payloads_escape_markup_and_hold_no_blank_line() {
        let p = payload(
            TextForm::WebVtt,
            b"a<b> & c --> d\r\n\r\n\nsecond\rthird\n\0",
        );
        assert_eq!(
            std::str::from_utf8(&p).unwrap(),
            "\n\na&lt;b&gt; &amp; c --&gt; d\nsecond\nthird\n\u{FFFD}"
        );
        assert!(payload(TextForm::WebVtt, b"\r\n\n").is_empty());
    }
}
