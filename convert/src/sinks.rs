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
    /// The output could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
