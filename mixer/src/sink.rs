//! Where mixed frames go: the [`FrameSink`] trait, implemented here for the WebM/Matroska muxer
//! and the Ogg Opus writer, so that the mixer can drive either (or any other muxer a user writes).

use std::io::Write;

use crate::{Error, Placed};

/// A consumer of frames in global time order.
///
/// The mixer calls [`FrameSink::write_frame`] with frames whose `time_ns` never decreases (across
/// all tracks), `track` being the index of the track in the order the sources were given.
pub trait FrameSink {
    /// Writes one frame of track `track`.
    fn write_frame(&mut self, track: usize, frame: &Placed) -> Result<(), Error>;
}

impl<S: FrameSink + ?Sized> FrameSink for &mut S {
    fn write_frame(&mut self, track: usize, frame: &Placed) -> Result<(), Error> {
        (**self).write_frame(track, frame)
    }
}

/// Track `i` of the mixer is Matroska track number `i + 1`.
impl<W: Write> FrameSink for webm_mux::Muxer<W> {
    fn write_frame(&mut self, track: usize, frame: &Placed) -> Result<(), Error> {
        let time = u64::try_from(frame.time_ns).unwrap_or(0);
        self.write_block(track as u64 + 1, time, frame.keyframe, &frame.data)?;
        Ok(())
    }
}

/// An Ogg Opus file holds a single track: only track 0 is accepted. Ogg has no timestamps (the
/// position is the number of samples decoded), which is why the mixer fills audio gaps.
impl<W: Write> FrameSink for ogg_opus::OggOpusWriter<W> {
    fn write_frame(&mut self, track: usize, frame: &Placed) -> Result<(), Error> {
        if track != 0 {
            return Err(Error::Unsupported(format!(
                "an Ogg Opus file holds one audio track; got a frame for track {track}"
            )));
        }
        self.write_packet(&frame.data)?;
        Ok(())
    }
}

/// A sink that keeps everything in memory; handy for tests and analysis.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CollectSink {
    /// `(track, frame)` in the order written.
    pub frames: Vec<(usize, Placed)>,
}

impl FrameSink for CollectSink {
    fn write_frame(&mut self, track: usize, frame: &Placed) -> Result<(), Error> {
        self.frames.push((track, frame.clone()));
        Ok(())
    }
}

/// A sink that discards everything (for `info`, which only wants the counters).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl FrameSink for NullSink {
    fn write_frame(&mut self, _track: usize, _frame: &Placed) -> Result<(), Error> {
        Ok(())
    }
}
