//! [`BinaryDump`]: the messages of a binary data-channel track, back to back.
//!
//! This is what `janus-pp-rec` writes for a binary data recording: each message's bytes
//! appended as they are, with no header, no separator and no length, so the message boundaries
//! and times are not kept. It is a faithful dump for a protocol that frames its own messages;
//! for anything else the recording itself (or a container) is the better keeper.

use std::io::Write;

use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};

use crate::error::{refuse, Stage};
use crate::SubtitleError;

/// What a binary dump holds, as said when refusing anything else.
const ONE_BINARY_TRACK: &str = "exactly one binary track (data-channel binary messages)";

/// What a [`BinaryDump`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpStats {
    /// Messages written.
    pub messages: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// The messages of one binary track, concatenated (as `janus-pp-rec` does).
///
/// ```
/// use bytes::Bytes;
/// use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
/// use mjrtool_subtitles::BinaryDump;
///
/// let mut dump = BinaryDump::new(Vec::new());
/// dump.open(&[TrackSpec::new(Codec::Binary)])?;
/// for (i, m) in [&b"\x01\x02"[..], b"\x03"].into_iter().enumerate() {
///     let frame = Frame::new(Bytes::copy_from_slice(m), 0, true);
///     dump.write(0, Placement::at(Nanos::from_ms(i as i64)), &frame)?;
/// }
/// dump.finish(Nanos::from_ms(2))?;
/// assert_eq!(dump.into_inner()?, [1, 2, 3]);
/// # Ok::<(), mjrtool_subtitles::SubtitleError>(())
/// ```
#[derive(Debug)]
pub struct BinaryDump<W: Write> {
    out: W,
    stage: Stage,
    stats: DumpStats,
}

impl<W: Write> BinaryDump<W> {
    /// A dump that will write to `out`.
    pub fn new(out: W) -> Self {
        BinaryDump {
            out,
            stage: Stage::Created,
            stats: DumpStats::default(),
        }
    }

    /// What the dump wrote so far.
    pub fn stats(&self) -> DumpStats {
        self.stats
    }

    /// The output, once [`FrameSink::finish`] has flushed it.
    ///
    /// # Errors
    ///
    /// [`SubtitleError::CallOrder`] before `finish` or after a step failed.
    pub fn into_inner(self) -> Result<W, SubtitleError> {
        self.stage
            .expect(Stage::Finished, "finish() before into_inner()")?;
        Ok(self.out)
    }
}

impl<W: Write> FrameSink for BinaryDump<W> {
    type Error = SubtitleError;

    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), SubtitleError> {
        self.stage.expect(Stage::Created, "open() once, first")?;
        refuse(tracks, Codec::Binary, ONE_BINARY_TRACK)?;
        self.stage = Stage::Open;
        Ok(())
    }

    fn write(&mut self, track: usize, _at: Placement, frame: &Frame) -> Result<(), SubtitleError> {
        self.stage
            .expect(Stage::Open, "write() between open() and finish()")?;
        if track != 0 {
            return Err(SubtitleError::UnknownTrack { found: track });
        }
        self.out
            .write_all(&frame.data.contiguous())
            .inspect_err(|_| self.stage = Stage::Broken)?;
        self.stats.messages += 1;
        self.stats.bytes += frame.data.len() as u64;
        Ok(())
    }

    fn finish(&mut self, _duration: Nanos) -> Result<(), SubtitleError> {
        self.stage
            .expect(Stage::Open, "finish() once, after open()")?;
        self.stage = Stage::Broken;
        self.out.flush()?;
        self.stage = Stage::Finished;
        Ok(())
    }
}
