//! What a data-channel text message becomes in a subtitle block.
//!
//! Rules and reasons:
//!
//! * Matroska's `S_TEXT/UTF8` (Matroska codec specifications, "Subtitle Codec Mappings") holds
//!   the text itself, UTF-8, without timing: the message is written as it is, with invalid UTF-8
//!   replaced by U+FFFD so the block is always valid UTF-8.
//! * WebM's `D_WEBVTT/SUBTITLES` ("WebVTT in WebM", Heaney and Galligan, 2012) holds in each
//!   block a cue's identifier line, its settings line, then its payload. Both lines are left
//!   empty here (the block starts with two line feeds). The payload is WebVTT cue text, made by
//!   the captions' shared rules (`mjrtool_core::text`, also those of `.srt` and `.vtt` files):
//!   invalid UTF-8 and control characters become U+FFFD, line breaks `\n`, blank lines (which
//!   would end the cue) are dropped, and `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`
//!   (which also keeps `-->` out).
//! * A message left empty is not written: a subtitle with nothing to show.

use std::borrow::Cow;

use mjrtool_core::text::{clean, escape_vtt};

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
    match form {
        TextForm::Utf8 => match String::from_utf8_lossy(message) {
            Cow::Borrowed(_) => Cow::Borrowed(message),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
        TextForm::WebVtt => {
            let cue = webvtt_payload(message);
            if cue.is_empty() {
                return Cow::Borrowed(&[]);
            }
            // An empty cue identifier line, an empty settings line, the payload.
            Cow::Owned(format!("\n\n{cue}").into_bytes())
        }
    }
}

/// `text` as a WebVTT cue payload (see the [module docs](self)).
fn webvtt_payload(message: &[u8]) -> String {
    escape_vtt(&clean(message, usize::MAX).0.text)
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
        assert!(payload(TextForm::WebVtt, b"\r\n \n").is_empty());
    }
}
