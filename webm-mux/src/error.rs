//! [`MuxError`]: why muxing failed.

use std::io;

use mjrtool_core::Codec;

/// Why muxing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MuxError {
    /// Writing failed.
    #[error("write error: {0}")]
    Io(#[from] io::Error),
    /// A block came earlier than a block already written.
    #[error(
        "track {track}: expected a block at {previous_ns} ns or later, found one at {found_ns} ns"
    )]
    NonMonotonic {
        /// The track number.
        track: u64,
        /// Time already written.
        previous_ns: u64,
        /// Time of the refused block.
        found_ns: u64,
    },
    /// The block's track was not declared.
    #[error("expected a block of a declared track, found one of track {track}")]
    UnknownTrack {
        /// The track number.
        track: u64,
    },
    /// A frame for a track index past those given to `open`.
    #[error("expected a track index below {tracks}, found {index}")]
    UnknownTrackIndex {
        /// The index given.
        index: usize,
        /// How many tracks the file has.
        tracks: usize,
    },
    /// A block larger than a cluster may hold.
    #[error("expected a block of at most 64 MiB, found {len} bytes")]
    BlockTooLarge {
        /// Its length.
        len: usize,
    },
    /// No track was declared.
    #[error("expected at least one track, found none")]
    NoTracks,
    /// A track of a codec this muxer cannot write to this container (nothing was written).
    #[error(
        "track {track}: expected {} (the codecs this muxer writes to {container}), found {codec}: {hint}",
        writable(container)
    )]
    UnsupportedCodec {
        /// The track's index in the list given to `open`.
        track: usize,
        /// Its codec.
        codec: Codec,
        /// `WebM` or `Matroska`.
        container: &'static str,
        /// What would work instead, or why nothing does yet.
        hint: &'static str,
    },
    /// A track whose parameters this muxer cannot write (nothing was written).
    #[error("track {track}: expected {expected}, found {found}")]
    InvalidTrack {
        /// The track's index in the list given to `open`.
        track: usize,
        /// What would do.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// A frame this track cannot hold: a subtitle without a duration, PCM that is not whole
    /// samples.
    #[error("track {track}: expected {expected}, found {found}")]
    InvalidFrame {
        /// The track number.
        track: u64,
        /// What would do.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// A step out of order (a write before `open`, a second `open`, a write after `finish`…).
    #[error("expected {expected}, found {found}")]
    CallOrder {
        /// The step that may come now.
        expected: &'static str,
        /// Where the muxer is.
        found: &'static str,
    },
}

/// The codecs this muxer writes to `container` (`WebM` or `Matroska`), for
/// [`MuxError::UnsupportedCodec`].
fn writable(container: &str) -> &'static str {
    if container == "WebM" {
        "VP8, VP9, AV1, Opus or text"
    } else {
        "VP8, VP9, AV1, H.264, H.265, Opus, PCM or text"
    }
}
