//! [`Mp4Error`]: why writing an MP4 failed.

use std::io;

use mjrtool_core::Codec;

/// Why writing an MP4 failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Mp4Error {
    /// Writing the output or the spool failed.
    #[error("write error: {0}")]
    Io(#[from] io::Error),
    /// A track of a codec ISO BMFF (as this crate writes it) cannot hold; nothing was written.
    #[error("track {track}: expected H.264, H.265, AV1, VP9, Opus or PCM (the codecs this muxer writes to MP4), found {codec}; {hint}")]
    UnsupportedCodec {
        /// Index of the track in `open`'s list.
        track: usize,
        /// Its codec.
        codec: Codec,
        /// The containers that can hold it.
        hint: &'static str,
    },
    /// A track lacks something its sample entry needs; nothing was written.
    #[error("track {track} ({codec}): expected {expected}, found none")]
    MissingField {
        /// Index of the track in `open`'s list.
        track: usize,
        /// Its codec.
        codec: Codec,
        /// What is missing (the picture size, the `avcC` record…).
        expected: &'static str,
    },
    /// A track's parameters are out of the range the format allows; nothing was written.
    #[error("track {track} ({codec}): expected {expected}, found {found}")]
    InvalidField {
        /// Index of the track in `open`'s list.
        track: usize,
        /// Its codec.
        codec: Codec,
        /// What a valid value looks like.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// `open` was given no track.
    #[error("expected at least one track, found none")]
    NoTracks,
    /// A method called out of order (open once, then writes, then finish).
    #[error("expected a call to {expected}, found a call to {found}")]
    CallOrder {
        /// What may be called now.
        expected: &'static str,
        /// What was called.
        found: &'static str,
    },
    /// A frame for a track index past those given to `open`.
    #[error("expected a track index below {tracks}, found {index}")]
    UnknownTrack {
        /// The index given.
        index: usize,
        /// How many tracks the file has.
        tracks: usize,
    },
    /// A frame earlier than the track's previous frame (or before the start of the output).
    #[error(
        "track {track}: expected a frame at {previous_ns} ns or later, found one at {found_ns} ns"
    )]
    TimeBackwards {
        /// Index of the track.
        track: usize,
        /// Time of the track's previous frame (0 for its first).
        previous_ns: i64,
        /// Time of the refused frame.
        found_ns: i64,
    },
    /// A value past what the format (or this writer's tables) can count.
    #[error("{what}: expected at most {limit}, found {found}")]
    Overflow {
        /// What overflowed (a sample size, a sample delta, the number of samples…).
        what: &'static str,
        /// The largest value allowed.
        limit: u64,
        /// The value reached.
        found: u64,
    },
}

/// Checked conversion to a narrower integer, as an [`Mp4Error::Overflow`].
pub(crate) fn fit<T: TryFrom<u64> + Into<u64> + Copy>(
    what: &'static str,
    limit: T,
    value: u64,
) -> Result<T, Mp4Error> {
    T::try_from(value).map_err(|_| Mp4Error::Overflow {
        what,
        limit: limit.into(),
        found: value,
    })
}
