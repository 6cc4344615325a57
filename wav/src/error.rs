//! [`WavError`]: what stops a WAV file.

/// Everything that can stop a [`crate::WavSink`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// The output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The tracks given to `open` are not one 16-bit PCM track.
    #[error("expected {expected}, found {found}")]
    UnsupportedTracks {
        /// What a WAV file holds, and what would hold the rest.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// A frame for a track the file does not have.
    #[error("expected track 0 (a WAV file has one track), found track {found}")]
    UnknownTrack {
        /// The track asked for.
        found: usize,
    },
    /// The file would grow past [`crate::WavLimits::max_data_bytes`].
    #[error(
        "expected at most {limit} bytes of samples (WavLimits::max_data_bytes), found {found} at \
         {at_ns} ns"
    )]
    TooLarge {
        /// The limit.
        limit: u64,
        /// The size the file would have had.
        found: u64,
        /// The time of the frame (or the end) that would have crossed it, ns from the start.
        at_ns: i64,
    },
    /// A call out of order (`write` before `open`, `open` twice, anything after `finish`…).
    #[error("expected {expected}, found {found}")]
    CallOrder {
        /// The call sequence required.
        expected: &'static str,
        /// Where the sink was.
        found: &'static str,
    },
}
