//! [`SubtitleError`]: what stops a subtitle file or a binary dump.

/// Everything that can stop a [`crate::SubtitleSink`] or a [`crate::BinaryDump`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubtitleError {
    /// The output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The tracks given to `open` are not the one data track the sink writes.
    #[error("expected {expected}, found {found}")]
    UnsupportedTracks {
        /// What the sink writes.
        expected: &'static str,
        /// What was given, and what would hold it.
        found: String,
    },
    /// A message for a track the file does not have.
    #[error("expected track 0 (the file has one track), found track {found}")]
    UnknownTrack {
        /// The track asked for.
        found: usize,
    },
    /// A call out of order (`write` before `open`, anything after `finish`…).
    #[error("expected {expected}, found {found}")]
    CallOrder {
        /// The call sequence required.
        expected: &'static str,
        /// Where the sink was.
        found: &'static str,
    },
}

/// Where a sink is, as said in a [`SubtitleError::CallOrder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Created,
    Open,
    Finished,
    Broken,
}

impl Stage {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Created => "a sink not opened",
            Stage::Open => "a sink already open",
            Stage::Finished => "a sink already finished",
            Stage::Broken => "a sink whose output failed",
        }
    }

    /// Ok when the sink is at `want`, else the error for `expected`.
    pub(crate) fn expect(self, want: Stage, expected: &'static str) -> Result<(), SubtitleError> {
        if self == want {
            Ok(())
        } else {
            Err(SubtitleError::CallOrder {
                expected,
                found: self.name(),
            })
        }
    }
}

/// The advice for a track of `codec` that a `wanted` sink does not write.
pub(crate) fn refuse(
    tracks: &[mjrtool_core::TrackSpec],
    wanted: mjrtool_core::Codec,
    expected: &'static str,
) -> Result<(), SubtitleError> {
    use mjrtool_core::{Codec, MediaKind};
    let advice = match tracks {
        [t] if t.codec == wanted => return Ok(()),
        [t] => match (&t.codec, t.codec.kind()) {
            (Codec::Text, _) => "text messages: use SubtitleSink (.srt or .vtt)".to_string(),
            (Codec::Binary, _) => "binary messages: use BinaryDump (a raw dump)".to_string(),
            (_, Some(MediaKind::Video)) => {
                format!("a {} track (video: use .webm, .mkv or .mp4)", t.codec)
            }
            (_, Some(MediaKind::Audio)) => {
                format!(
                    "a {} track (audio: use .ogg, .webm, .mkv or, decoded, .wav)",
                    t.codec
                )
            }
            _ => format!("a {} track (a codec this crate does not know)", t.codec),
        },
        _ => format!("{} tracks (several tracks: use .mkv)", tracks.len()),
    };
    Err(SubtitleError::UnsupportedTracks {
        expected,
        found: advice,
    })
}
