//! [`Muxer`] as a [`FrameSink`]: a pipeline opens it with [`TrackSpec`]s and writes [`Frame`]s
//! at [`Placement`]s, without knowing this crate.
//!
//! Rules and reasons:
//!
//! * Track `i` of the list given to `open` is Matroska track number `i + 1` (its TrackUID too).
//!   [`Muxer::open_numbered`] gives other numbers, for a caller that leaves out some tracks and
//!   keeps the others' numbers.
//! * A VP8 track gets its picture size from the spec, or [`DEFAULT_VIDEO_SIZE`] when the spec
//!   has none (a track whose keyframes never said): players take the real size from the
//!   keyframes anyway.
//! * An Opus track gets the OpusHead of WebRTC Opus as its CodecPrivate (channels from the spec,
//!   2 when it does not say: WebRTC declares Opus as stereo; pre-skip
//!   [`opus::PRE_SKIP`]), that pre-skip as its CodecDelay, and 80 ms of SeekPreRoll (Matroska's
//!   Opus mapping).
//! * Any other codec is refused at `open`, before a byte is written, with what would work.
//! * A frame is written as a SimpleBlock at `at.time` (from the start of the file; a negative
//!   time is written at 0) with the frame's keyframe flag; `at.duration` is not used.
//! * `finish(duration)` writes `duration` as the file's Duration (seekable outputs only).

use std::io::Write;

use mjrtool_core::opus::{self, OpusHead};
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};

use crate::muxer::Phase;
use crate::{DocType, MuxError, Muxer, TrackConfig};

/// The picture size a VP8 track is declared with when its spec has none.
pub const DEFAULT_VIDEO_SIZE: VideoSize = VideoSize {
    width: 640,
    height: 480,
};

impl<W: Write> Muxer<W> {
    /// [`FrameSink::open`] with the Matroska track numbers given, one per track (track `i` of
    /// [`FrameSink::write`] is still `tracks[i]`).
    ///
    /// # Errors
    ///
    /// Those of [`FrameSink::open`], and [`MuxError::InvalidTrack`] for a number that is 0 or
    /// repeats one before it.
    pub fn open_numbered(&mut self, tracks: &[(u64, TrackSpec)]) -> Result<(), MuxError> {
        if self.phase() != Phase::Created {
            return Err(MuxError::CallOrder {
                expected: "open() once, first",
                found: self.phase().name(),
            });
        }
        let doc_type = self.doc_type();
        let mut configs = Vec::with_capacity(tracks.len());
        for (i, (number, spec)) in tracks.iter().enumerate() {
            if *number == 0 || tracks[..i].iter().any(|(n, _)| n == number) {
                return Err(MuxError::InvalidTrack {
                    track: i,
                    expected: "a track number from 1, not used by another track",
                    found: format!("number {number}"),
                });
            }
            configs.push(track_config(i, *number, spec, doc_type)?);
        }
        self.write_header(&configs)
    }
}

/// The Matroska track for `spec`, track `index` of the list, numbered `number`.
fn track_config(
    index: usize,
    number: u64,
    spec: &TrackSpec,
    doc_type: DocType,
) -> Result<TrackConfig, MuxError> {
    match spec.codec {
        Codec::Vp8 => {
            let size = spec.size.unwrap_or(DEFAULT_VIDEO_SIZE);
            let mut config = TrackConfig::vp8(number, size.width, size.height);
            config.default_duration_ns = spec
                .frame_duration
                .map_or(0, |d| u64::try_from(d.get()).unwrap_or(0));
            Ok(config)
        }
        Codec::Opus => {
            let channels = match spec.channels.unwrap_or(2) {
                c @ 1..=2 => c,
                c => {
                    return Err(MuxError::InvalidTrack {
                        track: index,
                        expected: "an Opus track of 1 or 2 channels (one Opus stream)",
                        found: format!("{c} channels"),
                    })
                }
            };
            let head = OpusHead::new(channels, opus::PRE_SKIP, opus::RATE_HZ);
            let pre_skip = u64::from(opus::PRE_SKIP);
            Ok(TrackConfig::opus(
                number,
                channels,
                head.to_bytes(),
                pre_skip,
            ))
        }
        ref codec => Err(MuxError::UnsupportedCodec {
            track: index,
            codec: codec.clone(),
            container: match doc_type {
                DocType::Webm => "WebM",
                DocType::Matroska => "Matroska",
            },
            hint: refusal_hint(codec, doc_type),
        }),
    }
}

/// Why a codec other than VP8 and Opus is refused, and what would work.
fn refusal_hint(codec: &Codec, doc_type: DocType) -> &'static str {
    match (codec, doc_type) {
        (Codec::Vp9 | Codec::Av1, _) => {
            "WebM and Matroska allow it, but this muxer does not write it yet"
        }
        (Codec::MultiOpus, _) => {
            "multichannel Opus needs a channel mapping this muxer does not write yet"
        }
        (Codec::Text | Codec::Binary, _) => {
            "data-channel messages have no track in this muxer; leave them out"
        }
        (_, DocType::Webm) => {
            "WebM allows only VP8, VP9, AV1, Vorbis and Opus, and this muxer writes no other \
             codec to .mkv either"
        }
        (_, DocType::Matroska) => "this muxer does not write it yet",
    }
}

/// Track `i` is Matroska track `i + 1`; see the [module docs](self) for the mapping.
impl<W: Write> FrameSink for Muxer<W> {
    type Error = MuxError;

    /// Writes the EBML header, the start of the Segment, Info and Tracks.
    ///
    /// # Errors
    ///
    /// [`MuxError::NoTracks`], [`MuxError::UnsupportedCodec`] or [`MuxError::InvalidTrack`]
    /// (nothing is written then), [`MuxError::CallOrder`] if the muxer was opened before (or
    /// made with its tracks), or [`MuxError::Io`].
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), MuxError> {
        let numbered: Vec<(u64, TrackSpec)> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (i as u64 + 1, t.clone()))
            .collect();
        self.open_numbered(&numbered)
    }

    /// Writes the frame as a SimpleBlock of track `track` at `at.time`.
    ///
    /// # Errors
    ///
    /// Those of [`Muxer::write_block`], [`MuxError::UnknownTrackIndex`] for a track past those
    /// given to `open`, and [`MuxError::CallOrder`] before `open` or after `finish`.
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), MuxError> {
        let ns = u64::try_from(at.time.get()).unwrap_or(0);
        self.write_indexed(track, ns, frame.keyframe, &frame.data)
    }

    /// Sets the Duration to `duration` (a negative one to 0) and finishes the file as
    /// [`Muxer::finish`] does; [`Muxer::into_inner`] then gives the output back.
    ///
    /// # Errors
    ///
    /// [`MuxError::CallOrder`] before `open` or a second time, or [`MuxError::Io`].
    fn finish(&mut self, duration: Nanos) -> Result<(), MuxError> {
        if self.phase() == Phase::Open {
            self.set_duration_ns(u64::try_from(duration.get()).unwrap_or(0));
        }
        self.finish_in_place()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use bytes::Bytes;

    use super::*;
    use crate::MuxerOptions;

    fn muxer(doc_type: DocType) -> Muxer<Cursor<Vec<u8>>> {
        let options = MuxerOptions {
            doc_type,
            ..MuxerOptions::default()
        };
        Muxer::create(Cursor::new(Vec::new()), options).unwrap()
    }

    fn opus(channels: Option<u8>) -> TrackSpec {
        let mut t = TrackSpec::new(Codec::Opus);
        t.channels = channels;
        t
    }

    /// Opens a fresh muxer with `tracks`, which must fail with nothing written and leave the
    /// muxer ready for tracks it can hold; returns the message.
    fn refusal(doc_type: DocType, tracks: &[TrackSpec]) -> String {
        let mut m = muxer(doc_type);
        let e = m.open(tracks).unwrap_err();
        assert_eq!(m.get_ref().get_ref().len(), 0, "{e}");
        m.open(&[opus(None)]).unwrap();
        e.to_string()
    }

    #[test]
    fn codecs_the_container_cannot_hold_are_refused_with_what_would_work() {
        let h264 = [opus(None), TrackSpec::new(Codec::H264)];
        assert_eq!(
            refusal(DocType::Webm, &h264),
            "track 1: expected VP8 or Opus (the codecs this muxer writes to WebM), found h264: \
             WebM allows only VP8, VP9, AV1, Vorbis and Opus, and this muxer writes no other \
             codec to .mkv either"
        );
        assert_eq!(
            refusal(DocType::Matroska, &h264),
            "track 1: expected VP8 or Opus (the codecs this muxer writes to Matroska), found \
             h264: this muxer does not write it yet"
        );
        for (codec, hint) in [
            (Codec::Vp9, "WebM and Matroska allow it"),
            (Codec::Av1, "WebM and Matroska allow it"),
            (
                Codec::MultiOpus,
                "multichannel Opus needs a channel mapping",
            ),
            (Codec::Text, "data-channel messages"),
            (Codec::Pcmu, "WebM allows only"),
            (Codec::Other("x-foo".into()), "WebM allows only"),
        ] {
            let name = codec.name().to_string();
            let msg = refusal(DocType::Webm, &[TrackSpec::new(codec)]);
            assert!(msg.starts_with("track 0: expected VP8 or Opus"), "{msg}");
            assert!(msg.contains(&format!("found {name}: {hint}")), "{msg}");
        }
        assert_eq!(
            refusal(DocType::Webm, &[opus(Some(6))]),
            "track 0: expected an Opus track of 1 or 2 channels (one Opus stream), found 6 \
             channels"
        );
        assert_eq!(
            refusal(DocType::Webm, &[]),
            "expected at least one track, found none"
        );
    }

    #[test]
    fn track_numbers_must_be_distinct_and_not_zero() {
        for numbers in [[0, 1], [2, 2]] {
            let mut m = muxer(DocType::Webm);
            let tracks = [(numbers[0], opus(None)), (numbers[1], opus(None))];
            let e = m.open_numbered(&tracks).unwrap_err();
            assert!(matches!(e, MuxError::InvalidTrack { .. }), "{e}");
            assert_eq!(m.get_ref().get_ref().len(), 0);
        }
    }

    #[test]
    fn tracks_get_the_size_channels_and_delay_they_say_or_the_defaults() {
        let video = TrackSpec::new(Codec::Vp8);
        let sized = video.clone().with_size(Some(VideoSize {
            width: 1280,
            height: 720,
        }));
        let mut m = muxer(DocType::Webm);
        m.open(&[video, sized, opus(None), opus(Some(1))]).unwrap();
        FrameSink::finish(&mut m, Nanos::ZERO).unwrap();
        let file = m.into_inner().unwrap().into_inner();
        let parsed = crate::reader::parse(&file).unwrap();
        let t = &parsed.tracks;
        assert_eq!(t.len(), 4);
        assert_eq!(t.iter().map(|t| t.number).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!((t[0].width, t[0].height), (Some(640), Some(480)));
        assert_eq!((t[1].width, t[1].height), (Some(1280), Some(720)));
        for (track, channels) in [(&t[2], 2), (&t[3], 1)] {
            assert_eq!(track.codec_id, "A_OPUS");
            let head = OpusHead::new(channels, opus::PRE_SKIP, 48_000);
            assert_eq!(track.codec_private.as_deref(), Some(&head.to_bytes()[..]));
            assert_eq!(track.codec_delay_ns, Some(6_500_000));
            assert_eq!(track.seek_preroll_ns, Some(80_000_000));
        }
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let order = |r: Result<(), MuxError>| {
            assert!(matches!(r, Err(MuxError::CallOrder { .. })), "{r:?}");
        };
        let at = Placement::at(Nanos::ZERO);
        let frame = Frame::new(Bytes::from_static(&[0xF8, 0xFF, 0xFE]), 0, true);
        let mut m = muxer(DocType::Webm);
        order(m.write(0, at, &frame));
        order(m.write_block(1, 0, true, &frame.data));
        order(FrameSink::finish(&mut m, Nanos::ZERO));
        m.open(&[opus(None)]).unwrap();
        order(m.open(&[opus(None)]));
        let e = m.write(1, at, &frame).unwrap_err();
        assert_eq!(e.to_string(), "expected a track index below 1, found 1");
        m.write(0, at, &frame).unwrap();
        FrameSink::finish(&mut m, Nanos::from_ms(20)).unwrap();
        order(m.write(0, at, &frame));
        order(FrameSink::finish(&mut m, Nanos::ZERO));
        let file = m.into_inner().unwrap().into_inner();
        assert_eq!(crate::reader::parse(&file).unwrap().blocks.len(), 1);

        // A muxer made with its tracks is already open.
        let tracks = vec![TrackConfig::vp8(1, 320, 240)];
        let mut made =
            Muxer::new(Cursor::new(Vec::new()), MuxerOptions::default(), tracks).unwrap();
        order(made.open(&[opus(None)]));
        let e = made.into_inner().unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected finish() before into_inner(), found a muxer not finished"
        );
        let never = muxer(DocType::Webm);
        assert!(matches!(never.finish(), Err(MuxError::CallOrder { .. })));
    }
}
