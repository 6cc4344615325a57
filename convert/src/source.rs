//! [`Source`]: one input track as the timeline reads it: the recording's frames as they are,
//! or decoded to PCM for a container that needs PCM (WAV, Matroska, MP4 with G.711, G.722 or
//! L16).

use std::fs::File;

use mjrtool_core::{Codec, Frame, FrameSource, TrackSpec};
use mjrtool_pcm::{PcmCodec, PcmDecoder, PcmError};

use crate::track::{MjrTrack, TrackError, TrackStats};

/// One input track of a conversion.
// A conversion holds one per recording: the decoder's extra 250 bytes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum Source {
    /// The recording's frames, as recorded.
    Track(MjrTrack<File>),
    /// The recording's G.711, G.722 or L16 audio, decoded to 16-bit PCM.
    Decoded(PcmDecoder<MjrTrack<File>>),
}

impl Source {
    /// `track`, decoded to PCM when `decode` and its codec is one [`PcmDecoder`] knows.
    ///
    /// # Errors
    ///
    /// [`TrackError::Unsupported`] if the decoder refuses the codec after all.
    pub fn new(track: MjrTrack<File>, decode: bool) -> Result<Source, TrackError> {
        if decode && needs_decoding(track.codec()) {
            return PcmDecoder::new(track)
                .map(Source::Decoded)
                .map_err(|e| TrackError::Unsupported(e.to_string()));
        }
        Ok(Source::Track(track))
    }

    /// The recording underneath.
    pub fn track(&self) -> &MjrTrack<File> {
        match self {
            Source::Track(t) => t,
            Source::Decoded(d) => d.get_ref(),
        }
    }

    /// The recording's counters.
    pub fn track_stats(&self) -> TrackStats {
        self.track().track_stats()
    }
}

/// Whether frames of `codec` are not PCM yet but can be decoded to it: G.711, G.722, L16.
pub fn needs_decoding(codec: &Codec) -> bool {
    PcmCodec::for_codec(codec).is_some()
}

impl FrameSource for Source {
    type Error = TrackError;

    fn spec(&self) -> TrackSpec {
        match self {
            Source::Track(t) => t.spec(),
            Source::Decoded(d) => d.spec(),
        }
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, TrackError> {
        match self {
            Source::Track(t) => t.next_frame(),
            Source::Decoded(d) => d.next_frame().map_err(|e| match e {
                PcmError::Source(e) => e,
                other => TrackError::Unsupported(other.to_string()),
            }),
        }
    }

    fn position(&self) -> u64 {
        self.track().position()
    }
}
