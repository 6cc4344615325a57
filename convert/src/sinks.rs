//! What can stop writing an output, whichever container it is.

/// What stops writing an output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The WebM/Matroska muxer refused a track or a block, or could not write.
    #[error(transparent)]
    Mux(#[from] webm_mux::MuxError),
    /// The Ogg Opus writer refused a track or a packet, or could not write.
    #[error(transparent)]
    Ogg(#[from] ogg_opus::OggError),
    /// The MP4 muxer refused a track or a sample, or could not write.
    #[error(transparent)]
    Mp4(#[from] mp4_mux::Mp4Error),
    /// The WAV writer refused a track or a frame, or could not write.
    #[error(transparent)]
    Wav(#[from] mjrtool_wav::WavError),
    /// The subtitle or raw-dump writer refused a track, or could not write.
    #[error(transparent)]
    Subtitles(#[from] mjrtool_subtitles::SubtitleError),
    /// The output could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
