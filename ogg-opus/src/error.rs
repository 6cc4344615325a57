//! Error type shared by the writer, the reader and the header parsers.

use mjrtool_core::opus::OpusHeadError;

use crate::toc::TocError;

/// Everything that can go wrong while writing or reading Ogg Opus.
///
/// Reader errors carry the byte `offset` (from the start of the input) of the
/// page at fault; header errors carry the offset inside the header packet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OggError {
    /// The underlying writer failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An audio packet has an invalid TOC sequence (nothing was written).
    #[error("invalid Opus packet: {0}")]
    Toc(#[from] TocError),
    /// The granule position would not fit in 63 bits.
    #[error("granule position overflow: expected at most 2^63-1 samples")]
    GranuleOverflow,

    /// A page does not start with `OggS`.
    #[error("at byte {offset}: expected capture pattern \"OggS\", found {found:02x?}")]
    BadCapture {
        /// Offset of the would-be page.
        offset: usize,
        /// The four bytes found instead.
        found: [u8; 4],
    },
    /// The page's stream structure version is not 0.
    #[error("at byte {offset}: expected Ogg stream structure version 0, found {found}")]
    BadVersion {
        /// Offset of the page.
        offset: usize,
        /// Version byte found.
        found: u8,
    },
    /// The input ends inside a page.
    #[error("at byte {offset}: truncated page: expected {needed} bytes, only {available} left")]
    Truncated {
        /// Offset of the page.
        offset: usize,
        /// Bytes the page needs (header, segment table and body so far known).
        needed: usize,
        /// Bytes left in the input from `offset`.
        available: usize,
    },
    /// The page checksum does not match its contents.
    #[error(
        "at byte {offset}: CRC mismatch: page stores {stored:#010x}, computed {computed:#010x}"
    )]
    CrcMismatch {
        /// Offset of the page.
        offset: usize,
        /// CRC stored in the page header.
        stored: u32,
        /// CRC computed over the page.
        computed: u32,
    },
    /// A page sequence number is out of order (lost or reordered page).
    #[error("at byte {offset}: expected page sequence number {expected}, found {found}")]
    PageSequence {
        /// Offset of the page.
        offset: usize,
        /// Sequence number that should follow the previous page.
        expected: u32,
        /// Sequence number found.
        found: u32,
    },
    /// A page belongs to another logical stream (multiplexed/chained streams
    /// are not supported).
    #[error("at byte {offset}: expected stream serial {expected:#010x}, found {found:#010x} (only one logical stream is supported)")]
    SerialMismatch {
        /// Offset of the page.
        offset: usize,
        /// Serial of the first page.
        expected: u32,
        /// Serial found.
        found: u32,
    },
    /// The first page lacks the beginning-of-stream flag.
    #[error("at byte {offset}: expected the first page to have the beginning-of-stream flag")]
    MissingBos {
        /// Offset of the page.
        offset: usize,
    },
    /// A page other than the first has the beginning-of-stream flag.
    #[error("at byte {offset}: beginning-of-stream flag on page {page_index}, expected it only on page 0")]
    UnexpectedBos {
        /// Offset of the page.
        offset: usize,
        /// Index of the page in the stream.
        page_index: u32,
    },
    /// A page follows the end-of-stream page.
    #[error(
        "at byte {offset}: expected end of input after the end-of-stream page, found another page"
    )]
    DataAfterEos {
        /// Offset of the extra page.
        offset: usize,
    },
    /// A page claims to continue a packet but none is unfinished.
    #[error("at byte {offset}: page has the continued-packet flag but no packet is unfinished")]
    UnexpectedContinuation {
        /// Offset of the page.
        offset: usize,
    },
    /// A packet is unfinished but the next page does not continue it.
    #[error("at byte {offset}: expected the continued-packet flag (a {pending}-byte packet is unfinished)")]
    MissingContinuation {
        /// Offset of the page.
        offset: usize,
        /// Bytes of the unfinished packet.
        pending: usize,
    },
    /// A packet grows beyond the reader's size cap.
    #[error("at byte {offset}: packet exceeds the {limit}-byte cap")]
    PacketTooLarge {
        /// Offset of the page on which the cap was crossed.
        offset: usize,
        /// The cap.
        limit: usize,
    },
    /// The input ends while a packet is unfinished.
    #[error("at byte {offset}: input ends inside a packet ({pending} bytes unfinished)")]
    UnterminatedPacket {
        /// Offset of the end of the input.
        offset: usize,
        /// Bytes of the unfinished packet.
        pending: usize,
    },

    /// A header packet is shorter than its fixed layout requires.
    #[error("{header}: expected at least {needed} bytes, found {found}")]
    HeaderTooShort {
        /// `"OpusHead"` or `"OpusTags"`.
        header: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        found: usize,
    },
    /// A header packet does not start with its magic signature.
    #[error("expected magic signature \"{expected}\", found {found:02x?}")]
    BadMagic {
        /// `"OpusHead"` or `"OpusTags"`.
        expected: &'static str,
        /// Up to 8 bytes found instead.
        found: Vec<u8>,
    },
    /// A header field has an invalid value.
    #[error("{header} field `{field}` at byte {offset}: expected {expected}, found {found}")]
    InvalidField {
        /// `"OpusHead"` or `"OpusTags"`.
        header: &'static str,
        /// Field name.
        field: &'static str,
        /// Offset of the field inside the header packet.
        offset: usize,
        /// What a valid value looks like.
        expected: &'static str,
        /// Value found.
        found: u64,
    },
    /// A string in OpusTags is not valid UTF-8.
    #[error("OpusTags {field} at byte {offset}: expected UTF-8 text")]
    InvalidUtf8 {
        /// `"vendor"` or `"comment"`.
        field: &'static str,
        /// Offset of the string inside the header packet.
        offset: usize,
    },
    /// A user comment has no `=` separating key and value.
    #[error("OpusTags comment at byte {offset}: expected KEY=value, found no '='")]
    CommentWithoutEquals {
        /// Offset of the comment inside the header packet.
        offset: usize,
    },
    /// A required header packet is missing from the stream.
    #[error("expected a {what} packet, found end of stream")]
    MissingHeader {
        /// `"OpusHead"` or `"OpusTags"`.
        what: &'static str,
    },
    /// Another `OpusHead` error (the usual ones become [`OggError::BadMagic`],
    /// [`OggError::HeaderTooShort`] and [`OggError::InvalidField`]).
    #[error("{0}")]
    Head(OpusHeadError),

    /// The tracks given to [`OggOpusSink`](crate::OggOpusSink) cannot make an Ogg Opus file
    /// (nothing was written).
    #[error("expected {expected}, found {found}")]
    UnsupportedTracks {
        /// What an Ogg Opus file holds, and what to use instead.
        expected: &'static str,
        /// The tracks given (count, codecs, channels).
        found: String,
    },
    /// A frame for a track other than the one track of the file.
    #[error("expected a frame of track 0 (the only track of an Ogg Opus file), found one of track {track}")]
    UnknownTrack {
        /// The track index given.
        track: usize,
    },
    /// A sink step out of order (a write before open, a second open, a write after finish…).
    #[error("expected {expected}, found {found}")]
    CallOrder {
        /// The step that may come now.
        expected: &'static str,
        /// The step that came.
        found: &'static str,
    },
}

/// An `OpusHead` error, as the Ogg reader has always reported it (`header` is `"OpusHead"`).
impl From<OpusHeadError> for OggError {
    fn from(e: OpusHeadError) -> Self {
        const H: &str = "OpusHead";
        match e {
            OpusHeadError::BadMagic { found } => OggError::BadMagic { expected: H, found },
            OpusHeadError::TooShort { needed, found } => OggError::HeaderTooShort {
                header: H,
                needed,
                found,
            },
            OpusHeadError::InvalidField {
                field,
                offset,
                expected,
                found,
            } => OggError::InvalidField {
                header: H,
                field,
                offset,
                expected,
                found,
            },
            // Variants added to the core later: keep their own message.
            other => OggError::Head(other),
        }
    }
}
