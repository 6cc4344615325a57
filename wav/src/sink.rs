//! [`WavSink`]: a WAV file of one 16-bit PCM track, as a [`FrameSink`].
//!
//! Rules and reasons:
//!
//! * A WAV file holds samples only (here 16-bit little-endian PCM, the frame format of
//!   [`Codec::PcmS16Le`]): compressed or other audio, video, data and several tracks are refused
//!   at [`FrameSink::open`], before a byte is written, with what would hold them.
//! * Frames are put at their [`Placement::time`] by padding with silence or trimming overlaps
//!   (see [`crate::place`]), so the file lines up with the other tracks of its session;
//!   [`FrameSink::finish`] pads the end up to the duration it is given, too.
//! * Sizes: on a seekable output the RIFF and data sizes are patched at the end, and a file past
//!   4 GiB becomes RF64 in place (see [`crate::header`]). On a stream they stay "unknown".

use mjrtool_core::{Codec, Frame, FrameSink, MediaKind, Nanos, Placement, TrackSpec};

use crate::header::{final_patches, header, HeaderLayout, PcmFormat};
use crate::place::Placer;
use crate::{WavError, WavOutput};

/// The highest sample rate accepted, in Hz.
pub const MAX_RATE: u32 = 768_000;

/// What the WAV file holds, as said when refusing anything else.
const ONE_PCM_TRACK: &str = "exactly one pcm_s16le track (a WAV file holds 16-bit PCM, 1 to 255 \
                             channels, 1 Hz to 768 kHz)";

/// Caps on what an input can make this sink write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavLimits {
    /// The most silence one gap between frames (or before the first frame, or before the end)
    /// inserts; the rest of a longer gap is left out and counted
    /// ([`WavStats::gaps_capped`]). Default 1 hour.
    pub max_gap: Nanos,
    /// The most bytes of samples the file may hold, silence included: a frame or an end that
    /// would pass it is an error ([`WavError::TooLarge`]). Default 64 GiB (99 hours of 48 kHz
    /// stereo).
    pub max_data_bytes: u64,
}

impl Default for WavLimits {
    fn default() -> Self {
        WavLimits {
            max_gap: Nanos::from_secs(3600),
            max_data_bytes: 64 << 30,
        }
    }
}

/// What a [`WavSink`] did with the frames it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WavStats {
    /// Frames given to `write`.
    pub frames: u64,
    /// Frames wholly inside samples already written (placed too early), not written.
    pub frames_dropped: u64,
    /// Samples (per channel) in the file, silence included.
    pub samples: u64,
    /// Samples (per channel) of silence inserted before frames and at the end.
    pub silence_samples: u64,
    /// Samples (per channel) cut from the front of frames that overlapped the samples before.
    pub trimmed_samples: u64,
    /// Gaps longer than [`WavLimits::max_gap`], shortened to it.
    pub gaps_capped: u64,
    /// Samples (per channel) of silence those gaps left out.
    pub silence_left_out_samples: u64,
    /// Bytes at the end of frames that did not make a whole sample of every channel, dropped.
    pub partial_bytes_dropped: u64,
}

/// A WAV file written through [`FrameSink`]: [`open`](FrameSink::open) with one
/// [`Codec::PcmS16Le`] track writes the header, [`write`](FrameSink::write) places a frame's
/// samples at its time, [`finish`](FrameSink::finish) fixes the sizes (on a seekable output);
/// [`into_inner`](Self::into_inner) then gives the output back.
///
/// ```
/// use std::io::Cursor;
/// use bytes::Bytes;
/// use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
/// use mjrtool_wav::{SeekOutput, WavSink};
///
/// let mut sink = WavSink::new(SeekOutput::new(Cursor::new(Vec::new())));
/// sink.open(&[TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(8_000))])?;
/// let frame = Frame::new(Bytes::from(vec![1u8; 320]), 0, true); // 160 samples, 20 ms
/// sink.write(0, Placement::at(Nanos::from_ms(20)), &frame)?; // 20 ms of silence first
/// sink.finish(Nanos::from_ms(40))?;
/// assert_eq!(sink.stats().silence_samples, 160);
/// let wav = sink.into_inner()?.into_inner().into_inner();
/// assert_eq!(wav.len(), 80 + 640); // header with its JUNK reserve, then 40 ms
/// assert_eq!(&wav[76..80], &640u32.to_le_bytes()); // the data size, patched
/// # Ok::<(), mjrtool_wav::WavError>(())
/// ```
#[derive(Debug)]
pub struct WavSink<O: WavOutput> {
    out: O,
    state: State,
    limits: WavLimits,
    stats: WavStats,
}

#[derive(Debug)]
enum State {
    Created,
    Open(Open),
    Finished,
    Broken,
}

#[derive(Debug)]
struct Open {
    format: PcmFormat,
    layout: HeaderLayout,
    placer: Placer,
    /// Bytes of samples appended.
    data: u64,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Created => "a sink not opened",
            State::Open(_) => "a sink already open",
            State::Finished => "a sink already finished",
            State::Broken => "a sink whose output failed",
        }
    }
}

impl<O: WavOutput> WavSink<O> {
    /// A sink that will write to `out`, with the default [`WavLimits`].
    pub fn new(out: O) -> Self {
        WavSink {
            out,
            state: State::Created,
            limits: WavLimits::default(),
            stats: WavStats::default(),
        }
    }

    /// The same sink, with other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: WavLimits) -> Self {
        self.limits = limits;
        self
    }

    /// What the sink did so far.
    pub fn stats(&self) -> WavStats {
        self.stats
    }

    /// The output, once [`FrameSink::finish`] has fixed the header.
    ///
    /// # Errors
    ///
    /// [`WavError::CallOrder`] before `finish` (the file would be incomplete) or after a step
    /// failed.
    pub fn into_inner(self) -> Result<O, WavError> {
        match self.state {
            State::Finished => Ok(self.out),
            state => Err(WavError::CallOrder {
                expected: "finish() before into_inner()",
                found: state.name(),
            }),
        }
    }

    /// Appends `silence` samples of zeros then `samples`, within the size limit.
    fn append(
        out: &mut O,
        open: &mut Open,
        limits: &WavLimits,
        at: Nanos,
        silence: u64,
        samples: &[u8],
    ) -> Result<(), WavError> {
        let zeros = silence.saturating_mul(u64::from(open.format.block_align()));
        let total = open
            .data
            .saturating_add(zeros)
            .saturating_add(samples.len() as u64);
        if total > limits.max_data_bytes {
            return Err(WavError::TooLarge {
                limit: limits.max_data_bytes,
                found: total,
                at_ns: at.get(),
            });
        }
        out.append_zeros(zeros)?;
        out.append(samples)?;
        open.data = total;
        Ok(())
    }

    fn write_frame(&mut self, at: Placement, frame: &Frame) -> Result<(), WavError> {
        let State::Open(open) = &mut self.state else {
            return Err(WavError::CallOrder {
                expected: "write() between open() and finish()",
                found: self.state.name(),
            });
        };
        let block = usize::from(open.format.block_align());
        let len = frame.data.len() / block;
        self.stats.frames += 1;
        self.stats.partial_bytes_dropped += (frame.data.len() % block) as u64;
        let plan = open.placer.place(at.time, len as u64);
        let trim = plan.trim as usize;
        if trim == len && len > 0 {
            self.stats.frames_dropped += 1;
        }
        self.stats.trimmed_samples += plan.trim;
        note_silence(&mut self.stats, plan.silence, plan.left_out);
        let data = frame.data.contiguous();
        let samples = &data[trim * block..len * block];
        Self::append(
            &mut self.out,
            open,
            &self.limits,
            at.time,
            plan.silence,
            samples,
        )?;
        self.stats.samples = open.placer.written();
        Ok(())
    }

    fn finish_file(&mut self, duration: Nanos) -> Result<(), WavError> {
        let State::Open(open) = &mut self.state else {
            return Err(WavError::CallOrder {
                expected: "finish() once, after open()",
                found: self.state.name(),
            });
        };
        let plan = open.placer.place(duration, 0);
        note_silence(&mut self.stats, plan.silence, plan.left_out);
        Self::append(
            &mut self.out,
            open,
            &self.limits,
            duration,
            plan.silence,
            &[],
        )?;
        self.stats.samples = open.placer.written();
        if self.out.seekable() {
            let patches =
                final_patches(open.layout, open.format, open.data).ok_or(WavError::CallOrder {
                    expected: "a header with a JUNK chunk reserved for ds64",
                    found: "a header without one",
                })?;
            for p in patches {
                self.out.write_at(p.offset, &p.bytes)?;
            }
        }
        self.out.flush()?;
        Ok(())
    }
}

/// Counts silence inserted, and what a capped gap left out.
fn note_silence(stats: &mut WavStats, silence: u64, left_out: u64) {
    stats.silence_samples += silence;
    if left_out > 0 {
        stats.gaps_capped += 1;
        stats.silence_left_out_samples += left_out;
    }
}

/// The PCM format of a WAV file of `tracks`, or why there can be none.
fn format_of(tracks: &[TrackSpec]) -> Result<PcmFormat, WavError> {
    let refuse = |found: String| WavError::UnsupportedTracks {
        expected: ONE_PCM_TRACK,
        found,
    };
    let [track] = tracks else {
        return Err(refuse(format!(
            "{} tracks (a file of several tracks: use .mkv)",
            tracks.len()
        )));
    };
    let advice = match (&track.codec, track.codec.kind()) {
        (Codec::PcmS16Le, _) => None,
        (Codec::Opus | Codec::MultiOpus, _) => Some("compressed audio: use .ogg, .webm or .mkv"),
        (Codec::Pcmu | Codec::Pcma | Codec::G722 | Codec::L16 | Codec::L16_48, _) => {
            Some("not decoded: decode it to 16-bit PCM first (mjrtool-convert does that for .wav)")
        }
        (_, Some(MediaKind::Video)) => Some("video: use .webm, .mkv or .mp4"),
        (_, Some(MediaKind::Data)) => {
            Some("data-channel messages: use .srt/.vtt (text) or a raw dump (binary)")
        }
        _ => Some("a codec this crate does not know"),
    };
    if let Some(advice) = advice {
        return Err(refuse(format!("a {} track ({advice})", track.codec)));
    }
    let channels = track.channels.unwrap_or(1);
    let rate = track.audio_rate().unwrap_or(0);
    if channels == 0 || rate == 0 || rate > MAX_RATE {
        return Err(refuse(format!(
            "a pcm_s16le track of {channels} channels at {rate} Hz"
        )));
    }
    Ok(PcmFormat {
        channels: u16::from(channels),
        rate,
    })
}

impl<O: WavOutput> FrameSink for WavSink<O> {
    type Error = WavError;

    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), WavError> {
        if !matches!(self.state, State::Created) {
            return Err(WavError::CallOrder {
                expected: "open() once, first",
                found: self.state.name(),
            });
        }
        let format = format_of(tracks)?;
        let (bytes, layout) = header(format, self.out.seekable());
        self.state = State::Broken;
        self.out.append(&bytes)?;
        self.state = State::Open(Open {
            format,
            layout,
            placer: Placer::new(format.rate, self.limits.max_gap),
            data: 0,
        });
        Ok(())
    }

    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), WavError> {
        if track != 0 {
            return Err(WavError::UnknownTrack { found: track });
        }
        let open = matches!(self.state, State::Open(_));
        self.write_frame(at, frame).inspect_err(|_| {
            if open {
                self.state = State::Broken;
            }
        })
    }

    fn finish(&mut self, duration: Nanos) -> Result<(), WavError> {
        if !matches!(self.state, State::Open(_)) {
            return Err(WavError::CallOrder {
                expected: "finish() once, after open()",
                found: self.state.name(),
            });
        }
        match self.finish_file(duration) {
            Ok(()) => {
                self.state = State::Finished;
                Ok(())
            }
            Err(e) => {
                self.state = State::Broken;
                Err(e)
            }
        }
    }
}
