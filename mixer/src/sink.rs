//! Sinks for analysis and tests: [`CollectSink`] keeps what it is given, [`NullSink`] drops it.
//! Containers implement [`mjrtool_core::FrameSink`] in their own crates.

use std::convert::Infallible;

use mjrtool_core::{Frame, FrameSink, Nanos, Placement, TrackSpec};

/// A sink that keeps everything in memory; handy for tests and analysis.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CollectSink {
    /// The tracks it was opened with.
    pub tracks: Vec<TrackSpec>,
    /// `(track, placement, frame)` in the order written.
    pub frames: Vec<(usize, Placement, Frame)>,
    /// The duration it was finished with.
    pub duration: Option<Nanos>,
}

impl FrameSink for CollectSink {
    type Error = Infallible;
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Infallible> {
        self.tracks = tracks.to_vec();
        Ok(())
    }
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), Infallible> {
        self.frames.push((track, at, frame.clone()));
        Ok(())
    }
    fn finish(&mut self, duration: Nanos) -> Result<(), Infallible> {
        self.duration = Some(duration);
        Ok(())
    }
}

/// A sink that discards everything (for `info`, which only wants the counters).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl FrameSink for NullSink {
    type Error = Infallible;
    fn open(&mut self, _tracks: &[TrackSpec]) -> Result<(), Infallible> {
        Ok(())
    }
    fn write(&mut self, _track: usize, _at: Placement, _frame: &Frame) -> Result<(), Infallible> {
        Ok(())
    }
    fn finish(&mut self, _duration: Nanos) -> Result<(), Infallible> {
        Ok(())
    }
}
