//! Tags of the whole file: `moov/udta/meta/ilst` (the iTunes-style metadata list that ffmpeg and
//! most players read as the file's tags), one item per tag.

use crate::bmff::BoxBuf;
use crate::error::Mp4Error;

/// The `ilst` item for a Matroska-style tag name: `©nam`, `©cmt`, `©day`, `desc`, `©ART`;
/// `None` for a name without one (written as a `----` item named after the tag).
fn item_of(name: &str) -> Option<&'static [u8; 4]> {
    Some(match name {
        "TITLE" => b"\xA9nam",
        "COMMENT" => b"\xA9cmt",
        "DATE_RECORDED" | "DATE" => b"\xA9day",
        "DESCRIPTION" => b"desc",
        "ARTIST" => b"\xA9ART",
        _ => return None,
    })
}

/// Writes `udta` with the tags (`(name, text)`, Matroska names: see [`item_of`]); nothing when
/// there are none.
pub(crate) fn udta(b: &mut BoxBuf, tags: &[(String, String)]) -> Result<(), Mp4Error> {
    if tags.is_empty() {
        return Ok(());
    }
    b.open(b"udta");
    b.open_full(b"meta", 0, 0);
    b.open_full(b"hdlr", 0, 0);
    b.u32(0); // pre_defined
    b.bytes(b"mdir"); // handler_type: metadata directory
    b.bytes(b"appl");
    b.zeros(8);
    b.bytes(b"\0"); // name
    b.close()?;
    b.open(b"ilst");
    for (name, text) in tags {
        match item_of(name) {
            Some(kind) => b.open(kind),
            None => {
                b.open(b"----");
                b.open_full(b"mean", 0, 0);
                b.bytes(b"com.apple.iTunes");
                b.close()?;
                b.open_full(b"name", 0, 0);
                b.bytes(name.as_bytes());
                b.close()?;
            }
        }
        b.open_full(b"data", 0, 1); // type 1: UTF-8 text
        b.u32(0); // locale
        b.bytes(text.as_bytes());
        b.close()?;
        b.close()?;
    }
    b.close()?; // ilst
    b.close()?; // meta
    b.close()
}
