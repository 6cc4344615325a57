//! [`SubtitleSink`]: an SRT or WebVTT file of one text track, as a [`FrameSink`].
//!
//! Each message becomes a cue (see [`crate::cue`] for its timing, [`crate::text`] for its text).
//! The file is written as cues complete, one message behind; [`FrameSink::finish`] writes the
//! last.

use std::io::Write;

use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};

use crate::cue::{Cue, Cues, Pushed, SubtitleOptions};
use crate::error::{refuse, Stage};
use crate::text::{clean, escape_vtt, guard_srt};
use crate::SubtitleError;

/// What a subtitle file holds, as said when refusing anything else.
const ONE_TEXT_TRACK: &str = "exactly one text track (data-channel text messages)";

/// The two formats written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    /// SubRip: numbered cues, times `HH:MM:SS,mmm`, text as it is (but for a line that could
    /// pass for a timing line: see [`crate::text`]).
    Srt,
    /// WebVTT (W3C): a `WEBVTT` header, times `HH:MM:SS.mmm`, text escaped (`&amp;`, `&lt;`,
    /// `&gt;`).
    WebVtt,
}

impl SubtitleFormat {
    /// `hh:mm:ss,mmm` (SRT) or `hh:mm:ss.mmm` (WebVTT); hours take more digits past 99.
    pub fn timestamp(self, ms: u64) -> String {
        let sep = match self {
            SubtitleFormat::Srt => ',',
            SubtitleFormat::WebVtt => '.',
        };
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        format!("{h:02}:{m:02}:{s:02}{sep}{milli:03}")
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            SubtitleFormat::Srt => "srt",
            SubtitleFormat::WebVtt => "vtt",
        }
    }
}

/// What a [`SubtitleSink`] did with the messages it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubtitleStats {
    /// Messages given to `write`.
    pub messages: u64,
    /// Cues written.
    pub cues: u64,
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    pub invalid_utf8: u64,
    /// Control characters replaced by U+FFFD.
    pub control_chars: u64,
    /// Blank lines removed from inside messages.
    pub blank_lines: u64,
    /// Messages with no text left (empty or blank), not written.
    pub empty_messages: u64,
    /// Messages cut at [`SubtitleOptions::max_cue_bytes`].
    pub truncated_messages: u64,
    /// Messages that joined the cue of a message in the same millisecond.
    pub joined_messages: u64,
    /// Messages dropped because the cue they would have joined was full.
    pub dropped_messages: u64,
}

/// An SRT or WebVTT file written through [`FrameSink`].
///
/// ```
/// use bytes::Bytes;
/// use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
/// use mjrtool_subtitles::{SubtitleFormat, SubtitleSink};
///
/// let mut sink = SubtitleSink::new(Vec::new(), SubtitleFormat::Srt);
/// sink.open(&[TrackSpec::new(Codec::Text)])?;
/// let hello = Frame::new(Bytes::from_static(b"hello"), 0, true);
/// sink.write(0, Placement::at(Nanos::from_ms(1_500)), &hello)?;
/// sink.finish(Nanos::from_secs(3))?;
/// let srt = String::from_utf8(sink.into_inner()?).unwrap();
/// assert_eq!(srt, "1\n00:00:01,500 --> 00:00:03,000\nhello\n\n");
/// # Ok::<(), mjrtool_subtitles::SubtitleError>(())
/// ```
#[derive(Debug)]
pub struct SubtitleSink<W: Write> {
    out: W,
    format: SubtitleFormat,
    cues: Cues,
    options: SubtitleOptions,
    stage: Stage,
    stats: SubtitleStats,
}

impl<W: Write> SubtitleSink<W> {
    /// A sink that will write `format` to `out`, with the default [`SubtitleOptions`].
    pub fn new(out: W, format: SubtitleFormat) -> Self {
        Self::with_options(out, format, SubtitleOptions::default())
    }

    /// A sink that will write `format` to `out`, with `options`.
    pub fn with_options(out: W, format: SubtitleFormat, options: SubtitleOptions) -> Self {
        SubtitleSink {
            out,
            format,
            cues: Cues::new(options),
            options,
            stage: Stage::Created,
            stats: SubtitleStats::default(),
        }
    }

    /// What the sink did so far.
    pub fn stats(&self) -> SubtitleStats {
        self.stats
    }

    /// The output, once [`FrameSink::finish`] has written the last cue.
    ///
    /// # Errors
    ///
    /// [`SubtitleError::CallOrder`] before `finish` (the last cue would be missing) or after a
    /// step failed.
    pub fn into_inner(self) -> Result<W, SubtitleError> {
        self.stage
            .expect(Stage::Finished, "finish() before into_inner()")?;
        Ok(self.out)
    }

    fn write_cue(&mut self, cue: Cue) -> Result<(), SubtitleError> {
        self.stats.cues += 1;
        let (start, end) = (
            self.format.timestamp(cue.start_ms),
            self.format.timestamp(cue.end_ms),
        );
        let text = match self.format {
            SubtitleFormat::Srt => {
                writeln!(self.out, "{}", self.stats.cues)?;
                guard_srt(&cue.text)
            }
            SubtitleFormat::WebVtt => escape_vtt(&cue.text),
        };
        write!(self.out, "{start} --> {end}\n{text}\n\n")?;
        Ok(())
    }

    fn take(&mut self, at: Placement, frame: &Frame) -> Result<(), SubtitleError> {
        self.stats.messages += 1;
        let (text, cut) = clean(&frame.data.contiguous(), self.options.max_cue_bytes);
        self.stats.invalid_utf8 += text.invalid_utf8;
        self.stats.control_chars += text.control_chars;
        self.stats.blank_lines += text.blank_lines;
        self.stats.truncated_messages += u64::from(cut);
        if text.text.is_empty() {
            self.stats.empty_messages += 1;
            return Ok(());
        }
        match self.cues.push(at.time, at.duration, text.text) {
            Pushed::Next(Some(cue)) => self.write_cue(cue)?,
            Pushed::Next(None) => {}
            Pushed::Joined => self.stats.joined_messages += 1,
            Pushed::Dropped => self.stats.dropped_messages += 1,
        }
        Ok(())
    }
}

impl<W: Write> FrameSink for SubtitleSink<W> {
    type Error = SubtitleError;

    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), SubtitleError> {
        self.stage.expect(Stage::Created, "open() once, first")?;
        refuse(tracks, Codec::Text, ONE_TEXT_TRACK)?;
        self.stage = Stage::Broken;
        if self.format == SubtitleFormat::WebVtt {
            self.out.write_all(b"WEBVTT\n\n")?;
        }
        self.stage = Stage::Open;
        Ok(())
    }

    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), SubtitleError> {
        self.stage
            .expect(Stage::Open, "write() between open() and finish()")?;
        if track != 0 {
            return Err(SubtitleError::UnknownTrack { found: track });
        }
        self.take(at, frame)
            .inspect_err(|_| self.stage = Stage::Broken)
    }

    fn finish(&mut self, duration: Nanos) -> Result<(), SubtitleError> {
        self.stage
            .expect(Stage::Open, "finish() once, after open()")?;
        self.stage = Stage::Broken;
        if let Some(cue) = self.cues.finish(duration) {
            self.write_cue(cue)?;
        }
        self.out.flush()?;
        self.stage = Stage::Finished;
        Ok(())
    }
}
