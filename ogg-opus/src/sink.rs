//! [`OggOpusSink`]: an Ogg Opus file as a [`FrameSink`], so that a pipeline can write one
//! without knowing this crate.
//!
//! Rules and reasons:
//!
//! * The file's headers need the track (its channel count goes in `OpusHead`), so the
//!   [`OggOpusWriter`] is made at [`FrameSink::open`], not when the sink is.
//! * An Ogg Opus file holds exactly one Opus stream (RFC 7845 §3): anything else is refused at
//!   `open`, before a byte is written, with the containers that would hold it.
//! * Ogg has no timestamps: a packet's position is the number of samples decoded before it
//!   (RFC 7845 §4). So [`Placement`] is not used: whoever drives the sink fills holes in the
//!   audio (with [`mjrtool_core::opus::SILENCE_20MS`]) before they reach it.

use std::io::Write;

use mjrtool_core::opus::{self, OpusHead};
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};

use crate::{OggError, OggOpusWriter, OpusTags};

/// Serial number of the one logical stream when none is given (any value will do for a file of
/// one stream; these are the bytes `JANU`).
pub const DEFAULT_SERIAL: u32 = 0x4A41_4E55;

/// What an Ogg Opus file can hold, as said in the refusal of anything else.
const ONE_OPUS_TRACK: &str = "exactly one Opus track (an Ogg Opus file holds exactly one Opus \
                              track; use .webm or .mkv for video or several tracks)";

/// An Ogg Opus file written through [`FrameSink`]: [`open`](FrameSink::open) with one Opus
/// track writes the headers, [`write`](FrameSink::write) appends a packet,
/// [`finish`](FrameSink::finish) writes the last page; [`into_inner`](Self::into_inner) then
/// gives the output back.
///
/// The headers are those of an [`OggOpusWriter`] with
/// `OpusHead::new(channels, opus::PRE_SKIP, 48_000)` (channels from the track, 2 when it does
/// not say: WebRTC declares Opus as stereo) and an `OpusTags` with the vendor string given here
/// and no comments.
///
/// ```
/// use bytes::Bytes;
/// use mjrtool_core::{opus, Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
/// use mjrtool_ogg::{reader, OggOpusSink};
///
/// let mut sink = OggOpusSink::new(Vec::new(), "example 1.0");
/// sink.open(&[TrackSpec::new(Codec::Opus)])?;
/// let silence = Frame::new(Bytes::from_static(&opus::SILENCE_20MS), 0, true);
/// for i in 0..50 {
///     sink.write(0, Placement::at(Nanos::from_ms(20 * i)), &silence)?;
/// }
/// sink.finish(Nanos::from_secs(1))?;
/// let file = reader::read_opus_file(&sink.into_inner()?)?;
/// assert_eq!((file.head.channels, file.tags.vendor.as_str()), (2, "example 1.0"));
/// assert_eq!(file.last_granule, u64::from(opus::PRE_SKIP) + 48_000);
/// # Ok::<(), mjrtool_ogg::OggError>(())
/// ```
#[derive(Debug)]
pub struct OggOpusSink<W: Write> {
    state: State<W>,
    vendor: String,
    serial: u32,
}

#[derive(Debug)]
enum State<W: Write> {
    /// Made, not opened: the output, untouched.
    Created(W),
    /// Headers written.
    Open(OggOpusWriter<W>),
    /// Last page written: the output, flushed.
    Finished(W),
    /// A step failed after the output was handed to the writer: it is gone.
    Broken,
}

impl<W: Write> OggOpusSink<W> {
    /// A sink that will write to `w`, with `vendor` as the `OpusTags` vendor string (the
    /// program that made the file, e.g. `"mjrtool 0.1.0"`) and [`DEFAULT_SERIAL`].
    pub fn new(w: W, vendor: impl Into<String>) -> Self {
        OggOpusSink {
            state: State::Created(w),
            vendor: vendor.into(),
            serial: DEFAULT_SERIAL,
        }
    }

    /// The same sink, writing the stream with serial number `serial`.
    #[must_use]
    pub fn with_serial(mut self, serial: u32) -> Self {
        self.serial = serial;
        self
    }

    /// Samples (48 kHz) of audio written so far, not counting pre-skip (0 before `open`, and
    /// after `finish`).
    pub fn samples_written(&self) -> u64 {
        match &self.state {
            State::Open(w) => w.samples_written(),
            _ => 0,
        }
    }

    /// The output, once [`FrameSink::finish`] has written the last page.
    ///
    /// # Errors
    ///
    /// [`OggError::CallOrder`] before `finish` (the file would be incomplete) or after a step
    /// failed.
    pub fn into_inner(self) -> Result<W, OggError> {
        match self.state {
            State::Finished(w) => Ok(w),
            state => Err(OggError::CallOrder {
                expected: "finish() before into_inner()",
                found: state.name(),
            }),
        }
    }
}

impl<W: Write> State<W> {
    /// Where the sink is, as said in a [`OggError::CallOrder`].
    fn name(&self) -> &'static str {
        match self {
            State::Created(_) => "a sink not opened",
            State::Open(_) => "a sink not finished",
            State::Finished(_) => "a sink already finished",
            State::Broken => "a sink whose output failed",
        }
    }
}

/// The channel count of an Ogg Opus file of `tracks`, or why there can be none.
fn head_of(tracks: &[TrackSpec]) -> Result<OpusHead, OggError> {
    let [track] = tracks else {
        return Err(OggError::UnsupportedTracks {
            expected: ONE_OPUS_TRACK,
            found: describe(tracks),
        });
    };
    if track.codec == Codec::MultiOpus {
        // Surround Opus: the spec's OpusHead (channel mapping family 1) says how the streams
        // of each packet make the channels (RFC 7845 §5.1.1.2).
        let head = track
            .config
            .as_deref()
            .map(OpusHead::parse)
            .transpose()?
            .filter(|h| h.mapping_family == 1 && h.mapping.is_some());
        return match head {
            Some(head) => Ok(OpusHead {
                pre_skip: opus::PRE_SKIP,
                ..head
            }),
            None => Err(OggError::UnsupportedTracks {
                expected: "a multichannel Opus track with its OpusHead (channel mapping family 1)",
                found: "none".into(),
            }),
        };
    }
    if track.codec != Codec::Opus {
        return Err(OggError::UnsupportedTracks {
            expected: ONE_OPUS_TRACK,
            found: describe(tracks),
        });
    }
    match track.channels.unwrap_or(2) {
        c @ 1..=2 => Ok(OpusHead::new(c, opus::PRE_SKIP, opus::RATE_HZ)),
        c => Err(OggError::UnsupportedTracks {
            expected: "an Opus track of 1 or 2 channels (one Opus stream)",
            found: format!("{c} channels"),
        }),
    }
}

/// `no track`, `1 track (vp8)`, `2 tracks (vp8, opus)`.
fn describe(tracks: &[TrackSpec]) -> String {
    let codecs: Vec<&str> = tracks.iter().map(|t| t.codec.name()).collect();
    match tracks.len() {
        0 => "no track".into(),
        1 => format!("1 track ({})", codecs[0]),
        n => format!("{n} tracks ({})", codecs.join(", ")),
    }
}

/// Track 0 is the file's one Opus stream. `at` is not used: Ogg places a packet by the samples
/// before it (see the module docs).
impl<W: Write> FrameSink for OggOpusSink<W> {
    type Error = OggError;

    /// Writes the `OpusHead` and `OpusTags` pages.
    ///
    /// # Errors
    ///
    /// [`OggError::UnsupportedTracks`] unless `tracks` is one Opus track of 1 or 2 channels
    /// (nothing is written then), [`OggError::CallOrder`] if the sink was opened before, or
    /// [`OggError::Io`].
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), OggError> {
        let w = match std::mem::replace(&mut self.state, State::Broken) {
            State::Created(w) => w,
            other => {
                let found = other.name();
                self.state = other;
                return Err(OggError::CallOrder {
                    expected: "open() once, first",
                    found,
                });
            }
        };
        let head = match head_of(tracks) {
            Ok(head) => head,
            Err(e) => {
                self.state = State::Created(w);
                return Err(e);
            }
        };
        let tags = OpusTags::new(self.vendor.clone());
        self.state = State::Open(OggOpusWriter::new(w, self.serial, &head, &tags)?);
        Ok(())
    }

    /// Appends the frame as one Opus packet.
    ///
    /// # Errors
    ///
    /// [`OggError::UnknownTrack`] for a track other than 0, [`OggError::CallOrder`] before
    /// `open` or after `finish`, and the errors of [`OggOpusWriter::write_packet`] (an invalid
    /// packet is refused and nothing is written).
    fn write(&mut self, track: usize, _at: Placement, frame: &Frame) -> Result<(), OggError> {
        if track != 0 {
            return Err(OggError::UnknownTrack { track });
        }
        match &mut self.state {
            State::Open(w) => w.write_packet(&frame.data.contiguous()),
            state => Err(OggError::CallOrder {
                expected: "write() between open() and finish()",
                found: state.name(),
            }),
        }
    }

    /// Writes the last page with the end-of-stream flag and flushes the output. `duration` is
    /// not used: the last page's granule position says how long the file is.
    ///
    /// # Errors
    ///
    /// [`OggError::CallOrder`] before `open` or a second time, or [`OggError::Io`].
    fn finish(&mut self, _duration: Nanos) -> Result<(), OggError> {
        let w = match std::mem::replace(&mut self.state, State::Broken) {
            State::Open(w) => w,
            other => {
                let found = other.name();
                self.state = other;
                return Err(OggError::CallOrder {
                    expected: "finish() once, after open()",
                    found,
                });
            }
        };
        self.state = State::Finished(w.finish()?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn opus(channels: Option<u8>) -> TrackSpec {
        let mut t = TrackSpec::new(Codec::Opus);
        t.channels = channels;
        t
    }

    fn silence() -> Frame {
        Frame::new(Bytes::from_static(&opus::SILENCE_20MS), 0, true)
    }

    fn refusal(tracks: &[TrackSpec]) -> String {
        let mut sink = OggOpusSink::new(Vec::new(), "test");
        let e = sink.open(tracks).unwrap_err();
        assert!(matches!(e, OggError::UnsupportedTracks { .. }), "{e:?}");
        // Nothing written, and the sink still opens with a track it can hold.
        assert!(matches!(&sink.state, State::Created(w) if w.is_empty()));
        sink.open(&[opus(None)]).unwrap();
        e.to_string()
    }

    #[test]
    fn a_multichannel_opus_track_gets_its_own_family_1_head_and_needs_one() {
        let msg = refusal(&[TrackSpec::new(Codec::MultiOpus)]);
        assert!(msg.contains("channel mapping family 1"), "{msg}");
        let mut head = OpusHead::new(6, 0, 48_000);
        head.mapping_family = 1;
        head.mapping = Some(crate::ChannelMapping {
            stream_count: 4,
            coupled_count: 2,
            mapping: vec![0, 4, 1, 2, 3, 5],
        });
        let spec = TrackSpec::new(Codec::MultiOpus).with_config(Some(Bytes::from(head.to_bytes())));
        let mut sink = OggOpusSink::new(Vec::new(), "t");
        sink.open(&[spec]).unwrap();
        sink.finish(Nanos(0)).unwrap();
        let out = sink.into_inner().unwrap();
        let written = crate::reader::read_opus_file(&out).unwrap();
        assert_eq!(written.head.channels, 6);
        assert_eq!(written.head.mapping_family, 1);
        assert_eq!(written.head.pre_skip, opus::PRE_SKIP);
        assert_eq!(written.head.mapping, head.mapping);
    }

    #[test]
    fn anything_but_one_opus_track_is_refused_before_a_byte_is_written() {
        let hint = "an Ogg Opus file holds exactly one Opus track; use .webm or .mkv for video or \
                    several tracks";
        let video = TrackSpec::new(Codec::Vp8);
        for (tracks, found) in [
            (vec![], "found no track"),
            (vec![video.clone()], "found 1 track (vp8)"),
            (vec![opus(None), opus(None)], "found 2 tracks (opus, opus)"),
            (vec![video, opus(None)], "found 2 tracks (vp8, opus)"),
            (vec![TrackSpec::new(Codec::Pcmu)], "found 1 track (pcmu)"),
        ] {
            let msg = refusal(&tracks);
            assert!(msg.starts_with("expected exactly one Opus track"), "{msg}");
            assert!(msg.contains(hint) && msg.ends_with(found), "{msg}");
        }
        for channels in [0, 3, 6] {
            let msg = refusal(&[opus(Some(channels))]);
            assert_eq!(
                msg,
                format!(
                    "expected an Opus track of 1 or 2 channels (one Opus stream), found \
                     {channels} channels"
                )
            );
        }
    }

    #[test]
    fn a_mono_track_gets_a_mono_head_and_an_unsaid_count_gets_stereo() {
        for (channels, expected) in [(Some(1), 1), (Some(2), 2), (None, 2)] {
            let mut sink = OggOpusSink::new(Vec::new(), "test");
            sink.open(&[opus(channels)]).unwrap();
            sink.finish(Nanos::ZERO).unwrap();
            let file = crate::reader::read_opus_file(&sink.into_inner().unwrap()).unwrap();
            assert_eq!(file.head, OpusHead::new(expected, opus::PRE_SKIP, 48_000));
            assert_eq!(file.tags, OpusTags::new("test"));
        }
    }

    #[test]
    fn frames_of_another_track_and_steps_out_of_order_are_refused() {
        let at = Placement::at(Nanos::ZERO);
        let order = |r: Result<(), OggError>| {
            assert!(matches!(r, Err(OggError::CallOrder { .. })), "{r:?}");
        };
        let mut sink = OggOpusSink::new(Vec::new(), "test");
        order(sink.write(0, at, &silence()));
        order(sink.finish(Nanos::ZERO));
        sink.open(&[opus(None)]).unwrap();
        order(sink.open(&[opus(None)]));
        let e = sink.write(1, at, &silence()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a frame of track 0 (the only track of an Ogg Opus file), found one of \
             track 1"
        );
        sink.write(0, at, &silence()).unwrap();
        assert_eq!(sink.samples_written(), 960);
        // An invalid packet is refused and the stream goes on.
        let bad = Frame::new(Bytes::new(), 0, true);
        assert!(matches!(sink.write(0, at, &bad), Err(OggError::Toc(_))));
        sink.finish(Nanos::from_ms(20)).unwrap();
        order(sink.write(0, at, &silence()));
        order(sink.finish(Nanos::ZERO));
        order(sink.open(&[opus(None)]));
        let file = crate::reader::read_opus_file(&sink.into_inner().unwrap()).unwrap();
        assert_eq!(file.packets.len(), 1);

        let unfinished = OggOpusSink::new(Vec::new(), "test");
        let e = unfinished.into_inner().unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected finish() before into_inner(), found a sink not opened"
        );
    }
}
