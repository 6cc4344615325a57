//! Errors (reading cannot go on) and warnings (something was damaged and skipped).

/// Something damaged or odd that the reader skipped or worked around; reading goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// The file ends in the middle of a frame.
    #[error("file truncated at byte {offset}: expected {expected} more bytes, found {found}")]
    Truncated {
        /// Offset of the incomplete frame.
        offset: u64,
        /// Bytes the frame needed.
        expected: u64,
        /// Bytes that were left.
        found: u64,
    },
    /// Bytes that are not a frame were skipped until the next valid frame header.
    #[error("skipped {len} bytes of garbage at byte {offset} (expected a frame header)")]
    SkippedGarbage {
        /// Offset of the first skipped byte.
        offset: u64,
        /// Number of bytes skipped.
        len: u64,
    },
    /// A frame whose length runs over the next frame (a torn write) was dropped.
    #[error("dropped a torn {len}-byte frame at byte {offset}: a new frame starts at byte {next}")]
    TornFrame {
        /// Offset of the torn frame's header.
        offset: u64,
        /// Its declared length.
        len: u64,
        /// Where the next frame starts.
        next: u64,
    },
    /// A frame whose length does not end where a frame header (or the end of the file) starts
    /// was dropped, with the garbage after it: bytes were inserted into it or after it.
    #[error("dropped the {len}-byte frame at byte {offset}: expected a frame header where it ends, found garbage up to byte {next}")]
    MisalignedFrame {
        /// Offset of the dropped frame's header.
        offset: u64,
        /// Its declared length.
        len: u64,
        /// Where reading went on: the next frame, or the end of the file.
        next: u64,
    },
    /// A frame too short to be what the recording holds (RTP needs 12 bytes, data frames 8).
    #[error("skipped a {len}-byte frame at byte {offset}: expected at least {min} bytes")]
    SkippedShort {
        /// Offset of the frame header.
        offset: u64,
        /// Body length.
        len: u64,
        /// The minimum for this kind of recording.
        min: u64,
    },
    /// A second info header in the middle of the file (concatenated recordings?) was skipped.
    #[error("skipped a repeated info header at byte {offset}")]
    RepeatedHeader {
        /// Offset of the repeated header.
        offset: u64,
    },
    /// An info header field had a type or value we did not expect; it was read as best we could.
    #[error("info header field \"{key}\": expected {expected}, found {found}")]
    OddHeaderField {
        /// The JSON key.
        key: String,
        /// What the field should hold.
        expected: &'static str,
        /// What it held (shortened).
        found: String,
    },
}

/// Why a recording cannot be read (any further).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file does not start with a known MJR magic.
    #[error("not an MJR recording: expected \"MJR00002\", \"MJR00001\" or \"MEETECHO\" at byte 0, found {found}")]
    NotMjr {
        /// The first bytes, escaped.
        found: String,
    },
    /// The file ends before its header does.
    #[error("file ends at byte {offset}: expected {expected}")]
    UnexpectedEof {
        /// Where the file ends.
        offset: u64,
        /// What was still expected.
        expected: &'static str,
    },
    /// The info header is not valid JSON (or not a JSON object).
    #[error("info header at byte {offset} is not a JSON object: {message}")]
    HeaderJson {
        /// Offset of the JSON text.
        offset: u64,
        /// The JSON parser's complaint.
        message: String,
    },
    /// A field without which the recording cannot be interpreted is missing or unusable.
    #[error("info header field \"{field}\": expected {expected}, found {found}")]
    BadHeaderField {
        /// The JSON key.
        field: &'static str,
        /// What it should hold.
        expected: &'static str,
        /// What it held.
        found: String,
    },
    /// Reading failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// A warning, turned into an error by [`ReaderOptions::strict`](crate::ReaderOptions::strict).
    #[error("{0} (strict mode)")]
    Strict(Warning),
}

/// Shows at most 16 bytes, text as text and the rest escaped.
pub(crate) fn show_bytes(b: &[u8]) -> String {
    if b.is_empty() {
        return "an empty file".into();
    }
    let shown: String = b
        .iter()
        .take(16)
        .flat_map(|&c| std::ascii::escape_default(c))
        .map(char::from)
        .collect();
    format!("\"{shown}\"{}", if b.len() > 16 { "…" } else { "" })
}
