//! The containers the conversion writes, behind [`mjrtool_core::FrameSink`].

use std::io::Write;

use mjrtool_core::{opus, Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use ogg_opus::{OggOpusWriter, OpusHead, OpusTags};
use webm_mux::{Muxer, MuxerOptions, TrackConfig};

/// What stops writing an output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The WebM/Matroska muxer refused a block or could not write.
    #[error(transparent)]
    Mux(#[from] webm_mux::MuxError),
    /// The Ogg Opus writer refused a packet or could not write.
    #[error(transparent)]
    Ogg(#[from] ogg_opus::OggError),
    /// The output could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A track the container cannot hold.
    #[error("{0}")]
    Unsupported(String),
}

/// Where a sink is: not opened yet, writing, finished (or failed half-way).
enum State<W: Write, T> {
    New(W),
    Open(T),
    Done(W),
    Gone,
}

/// How a muxer is made once the tracks are known: seekable or streaming.
type MakeMuxer<W> = fn(W, MuxerOptions, Vec<TrackConfig>) -> Result<Muxer<W>, webm_mux::MuxError>;

/// A WebM or Matroska file (or stream), opened with the mixer's tracks.
pub struct WebmSink<W: Write> {
    state: State<W, Muxer<W>>,
    options: MuxerOptions,
    make: MakeMuxer<W>,
}

impl<W: Write + std::io::Seek> WebmSink<W> {
    /// A seekable file: Cues and Duration are written.
    pub fn new(writer: W, options: MuxerOptions) -> Self {
        WebmSink {
            state: State::New(writer),
            options,
            make: Muxer::new,
        }
    }
}

impl<W: Write> WebmSink<W> {
    /// A pipe: no Cues, no Duration (they need seeking).
    pub fn streaming(writer: W, options: MuxerOptions) -> Self {
        WebmSink {
            state: State::New(writer),
            options,
            make: Muxer::new_streaming,
        }
    }

    /// The writer, once finished.
    pub fn into_inner(self) -> Option<W> {
        match self.state {
            State::Done(w) => Some(w),
            _ => None,
        }
    }
}

/// The Matroska track for a timeline track (track `j` is Matroska track `j + 1`).
fn webm_track(j: usize, spec: &TrackSpec) -> Result<TrackConfig, OutputError> {
    let number = j as u64 + 1;
    match spec.codec {
        Codec::Vp8 => {
            let size = spec.size.map_or((640, 480), |s| (s.width, s.height));
            Ok(TrackConfig::vp8(number, size.0, size.1))
        }
        Codec::Opus => {
            let head = OpusHead::new(2, opus::PRE_SKIP, opus::RATE_HZ);
            Ok(TrackConfig::opus(
                number,
                2,
                head.to_bytes(),
                u64::from(opus::PRE_SKIP),
            ))
        }
        ref other => Err(OutputError::Unsupported(format!(
            "a {} track cannot be written to WebM/Matroska yet (VP8 and Opus can)",
            other.name()
        ))),
    }
}

impl<W: Write> FrameSink for WebmSink<W> {
    type Error = OutputError;

    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), OutputError> {
        let configs = tracks
            .iter()
            .enumerate()
            .map(|(j, t)| webm_track(j, t))
            .collect::<Result<Vec<_>, _>>()?;
        let State::New(writer) = std::mem::replace(&mut self.state, State::Gone) else {
            return Err(OutputError::Unsupported(
                "the output was opened twice".into(),
            ));
        };
        self.state = State::Open((self.make)(writer, self.options.clone(), configs)?);
        Ok(())
    }

    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), OutputError> {
        let State::Open(muxer) = &mut self.state else {
            return Err(OutputError::Unsupported(
                "a frame before the output was opened".into(),
            ));
        };
        let time = u64::try_from(at.time.get()).unwrap_or(0);
        muxer.write_block(track as u64 + 1, time, frame.keyframe, &frame.data)?;
        Ok(())
    }

    fn finish(&mut self, duration: Nanos) -> Result<(), OutputError> {
        let State::Open(mut muxer) = std::mem::replace(&mut self.state, State::Gone) else {
            return Err(OutputError::Unsupported("the output was not opened".into()));
        };
        // The timeline knows each track's true end (audio packet durations included).
        muxer.set_duration_ns(u64::try_from(duration.get()).unwrap_or(0));
        self.state = State::Done(muxer.finish()?);
        Ok(())
    }
}

/// An Ogg Opus file: exactly one Opus track.
pub struct OggSink<W: Write> {
    state: State<W, OggOpusWriter<W>>,
}

impl<W: Write> OggSink<W> {
    /// An Ogg Opus file on `writer`, written once the sink is opened.
    pub fn new(writer: W) -> Self {
        OggSink {
            state: State::New(writer),
        }
    }

    /// The writer, once finished.
    pub fn into_inner(self) -> Option<W> {
        match self.state {
            State::Done(w) => Some(w),
            _ => None,
        }
    }
}

impl<W: Write> FrameSink for OggSink<W> {
    type Error = OutputError;

    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), OutputError> {
        if tracks.len() != 1 || tracks[0].codec != Codec::Opus {
            return Err(OutputError::Unsupported(
                "an Ogg Opus file holds exactly one Opus track; use .webm or .mkv for video or several tracks".into(),
            ));
        }
        let State::New(writer) = std::mem::replace(&mut self.state, State::Gone) else {
            return Err(OutputError::Unsupported(
                "the output was opened twice".into(),
            ));
        };
        let head = OpusHead::new(2, opus::PRE_SKIP, opus::RATE_HZ);
        let tags = OpusTags {
            vendor: format!("mjrtool {}", env!("CARGO_PKG_VERSION")),
            comments: Vec::new(),
        };
        let serial = 0x4A41_4E55; // any value: one logical stream
        self.state = State::Open(OggOpusWriter::new(writer, serial, &head, &tags)?);
        Ok(())
    }

    fn write(&mut self, _track: usize, _at: Placement, frame: &Frame) -> Result<(), OutputError> {
        let State::Open(ogg) = &mut self.state else {
            return Err(OutputError::Unsupported(
                "a frame before the output was opened".into(),
            ));
        };
        // Ogg has no timestamps: the position is the number of samples decoded, which is why
        // the timeline fills audio gaps.
        ogg.write_packet(&frame.data)?;
        Ok(())
    }

    fn finish(&mut self, _duration: Nanos) -> Result<(), OutputError> {
        let State::Open(ogg) = std::mem::replace(&mut self.state, State::Gone) else {
            return Err(OutputError::Unsupported("the output was not opened".into()));
        };
        self.state = State::Done(ogg.finish()?);
        Ok(())
    }
}
