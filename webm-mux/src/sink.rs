//! [`Muxer`] as a [`FrameSink`]: a pipeline opens it with [`TrackSpec`]s and writes [`Frame`]s
//! at [`Placement`]s, without knowing this crate.
//!
//! Rules and reasons:
//!
//! * Track `i` of the list given to `open` is Matroska track number `i + 1` (its TrackUID too).
//!   [`Muxer::open_numbered`] gives other numbers, for a caller that leaves out some tracks and
//!   keeps the others' numbers.
//! * A video track gets its picture size from the spec, or [`DEFAULT_VIDEO_SIZE`] when the
//!   spec has none (a track whose keyframes never said): players take the real size from the
//!   keyframes anyway. VP8 is `V_VP8` and VP9 `V_VP9`, with no CodecPrivate; AV1 is `V_AV1`
//!   with the spec's `av1C` as CodecPrivate; H.264 is `V_MPEG4/ISO/AVC` with `avcC`, H.265
//!   `V_MPEGH/ISO/HEVC` with `hvcC` (Matroska codec specifications). A record a codec needs is
//!   required: a track without one is refused, as is one whose first byte is not the record's
//!   version. H.264 and H.265 go in Matroska only: WebM allows VP8, VP9 and AV1 video.
//! * An Opus track gets the OpusHead of WebRTC Opus as its CodecPrivate (channels from the spec,
//!   2 when it does not say: WebRTC declares Opus as stereo; pre-skip
//!   [`opus::PRE_SKIP`]), that pre-skip as its CodecDelay, and 80 ms of SeekPreRoll (Matroska's
//!   Opus mapping). A multichannel Opus track (`A_OPUS` too) takes the spec's OpusHead (channel
//!   mapping family 1, required) as it is, with its channels and its pre-skip.
//! * Decoded PCM ([`Codec::PcmS16Le`]) is `A_PCM/INT/LIT` with BitDepth 16, the spec's
//!   [`TrackSpec::audio_rate`] and channels (1 when it does not say): Matroska only (WebM
//!   allows only Opus and Vorbis audio). A block must hold whole samples of every channel.
//! * Text is a subtitle track, not a default one: `S_TEXT/UTF8` in Matroska, WebM's WebVTT
//!   mapping `D_WEBVTT/SUBTITLES` in WebM (the message as a cue payload: see `text.rs`). Each
//!   message is a BlockGroup whose BlockDuration is `at.duration`, which the caller must set
//!   (a text frame without one is refused with [`MuxError::InvalidFrame`]): the muxer writes
//!   as it goes and cannot wait for the next message. Subtitles never start a cluster or a cue
//!   point.
//! * Any other codec (undecoded G.711, G.722, L16; binary data channels) is refused at `open`,
//!   before a byte is written, with what would work.
//! * Other frames are written as SimpleBlocks at `at.time` (from the start of the file; a
//!   negative time is written at 0) with the frame's keyframe flag; their `at.duration` is not
//!   used.
//! * `finish(duration)` writes `duration` as the file's Duration (seekable outputs only).

use mjrtool_core::opus::{self, OpusHead};
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, SharedWrite, TrackSpec, VideoSize};

use crate::cluster::Payload;
use crate::muxer::Phase;
use crate::{DocType, MuxError, Muxer, TrackConfig};

/// The picture size a VP8 track is declared with when its spec has none.
pub const DEFAULT_VIDEO_SIZE: VideoSize = VideoSize {
    width: 640,
    height: 480,
};

impl<W: SharedWrite> Muxer<W> {
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
    let webm = doc_type == DocType::Webm;
    let config = match spec.codec {
        Codec::Vp8 | Codec::Vp9 | Codec::Av1 => video_config(index, number, spec)?,
        Codec::H264 | Codec::H265 if !webm => video_config(index, number, spec)?,
        Codec::Opus => opus_config(index, number, spec)?,
        Codec::MultiOpus => multi_opus_config(index, number, spec)?,
        Codec::PcmS16Le if !webm => pcm_config(index, number, spec)?,
        Codec::Text if webm => TrackConfig::text(number, "D_WEBVTT/SUBTITLES"),
        Codec::Text => TrackConfig::text(number, "S_TEXT/UTF8"),
        ref codec => {
            return Err(MuxError::UnsupportedCodec {
                track: index,
                codec: codec.clone(),
                container: if webm { "WebM" } else { "Matroska" },
                hint: refusal_hint(codec),
            })
        }
    };
    Ok(config)
}

/// The configuration record a video codec needs as CodecPrivate, as a check of its first bytes:
/// (what it is, least length, the first byte it must have: marker and version).
fn record_of(codec: &Codec) -> Option<(&'static str, usize, u8)> {
    match codec {
        // ISO 14496-15 §5.3.3.1: configurationVersion = 1, then 6 more bytes at least.
        Codec::H264 => Some(("an avcC record (configurationVersion 1)", 7, 1)),
        // ISO 14496-15 §8.3.3.1: configurationVersion = 1, 23 bytes before the arrays.
        Codec::H265 => Some(("an hvcC record (configurationVersion 1)", 23, 1)),
        // AV1 ISOBMFF binding §2.3.3: marker (1) and version (1) in the first byte, 4 bytes.
        Codec::Av1 => Some(("an av1C record (marker and version 1)", 4, 0x81)),
        _ => None,
    }
}

/// A video track: its size from the spec (or [`DEFAULT_VIDEO_SIZE`]), its frame interval as
/// DefaultDuration, and the codec's configuration record from the spec as CodecPrivate.
fn video_config(index: usize, number: u64, spec: &TrackSpec) -> Result<TrackConfig, MuxError> {
    let size = spec.size.unwrap_or(DEFAULT_VIDEO_SIZE);
    let (codec_id, record) = match spec.codec {
        Codec::Vp9 => ("V_VP9", None),
        Codec::Av1 => ("V_AV1", record_of(&spec.codec)),
        Codec::H264 => ("V_MPEG4/ISO/AVC", record_of(&spec.codec)),
        Codec::H265 => ("V_MPEGH/ISO/HEVC", record_of(&spec.codec)),
        _ => ("V_VP8", None),
    };
    let private = match (record, &spec.config) {
        (None, _) => None,
        (Some((what, _, _)), None) => {
            return Err(MuxError::InvalidTrack {
                track: index,
                expected: what,
                found: "none (TrackSpec::config is not set)".into(),
            })
        }
        (Some((what, least, first)), Some(c)) if c.len() < least || c[0] != first => {
            return Err(MuxError::InvalidTrack {
                track: index,
                expected: what,
                found: format!("{} bytes starting {:02x?}", c.len(), &c[..c.len().min(4)]),
            })
        }
        (Some(_), Some(c)) => Some(c.to_vec()),
    };
    let mut config = TrackConfig::video(number, codec_id, size.width, size.height, private);
    config.default_duration_ns = spec
        .frame_duration
        .map_or(0, |d| u64::try_from(d.get()).unwrap_or(0));
    config.rotation = spec.rotation.unwrap_or(0);
    Ok(config)
}

/// A mono or stereo Opus track with the WebRTC OpusHead.
fn opus_config(index: usize, number: u64, spec: &TrackSpec) -> Result<TrackConfig, MuxError> {
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

/// A multichannel Opus track: the spec's OpusHead (mapping family 1) as it is, its channels
/// and its pre-skip as CodecDelay.
fn multi_opus_config(index: usize, number: u64, spec: &TrackSpec) -> Result<TrackConfig, MuxError> {
    let invalid = |found: String| MuxError::InvalidTrack {
        track: index,
        expected: "an OpusHead with channel mapping family 1 (TrackSpec::config)",
        found,
    };
    let Some(bytes) = &spec.config else {
        return Err(invalid("none (TrackSpec::config is not set)".into()));
    };
    let head = OpusHead::parse(bytes).map_err(|e| invalid(e.to_string()))?;
    if head.mapping_family != 1 {
        return Err(invalid(format!("mapping family {}", head.mapping_family)));
    }
    Ok(TrackConfig::opus(
        number,
        head.channels,
        bytes.to_vec(),
        u64::from(head.pre_skip),
    ))
}

/// A 16-bit little-endian PCM track at the spec's rate, with its channels (1 when it does not
/// say).
fn pcm_config(index: usize, number: u64, spec: &TrackSpec) -> Result<TrackConfig, MuxError> {
    let Some(rate) = spec.audio_rate().filter(|r| *r > 0) else {
        return Err(MuxError::InvalidTrack {
            track: index,
            expected: "a PCM track with its sample rate (TrackSpec::sample_rate)",
            found: "none".into(),
        });
    };
    let channels = match spec.channels.unwrap_or(1) {
        0 => {
            return Err(MuxError::InvalidTrack {
                track: index,
                expected: "a PCM track of at least 1 channel",
                found: "0 channels".into(),
            })
        }
        c => c,
    };
    Ok(TrackConfig::pcm_s16le(number, rate, channels))
}

/// Why a codec is refused, and what would work.
fn refusal_hint(codec: &Codec) -> &'static str {
    match codec {
        Codec::H264 | Codec::H265 => "WebM allows only VP8, VP9 and AV1 video: use .mkv or .mp4",
        Codec::PcmS16Le => "WebM allows only Opus and Vorbis audio: use .mkv or .wav",
        Codec::Pcmu | Codec::Pcma | Codec::G722 | Codec::L16 | Codec::L16_48 => {
            "decode to PCM first: .wav or .mkv"
        }
        Codec::Binary => "binary data channels: use the raw dump",
        _ => "a codec this muxer does not know",
    }
}

/// Track `i` is Matroska track `i + 1`; see the `sink` module docs in the source for the mapping.
impl<W: SharedWrite> FrameSink for Muxer<W> {
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

    /// Writes the frame as a SimpleBlock of track `track` at `at.time` (a text frame: a
    /// BlockGroup lasting `at.duration`).
    ///
    /// # Errors
    ///
    /// Those of [`Muxer::write_block`], [`MuxError::InvalidFrame`] for a text frame without a
    /// duration, [`MuxError::UnknownTrackIndex`] for a track past those given to `open`, and [`MuxError::CallOrder`] before `open` or after `finish`.
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), MuxError> {
        let ns = u64::try_from(at.time.get()).unwrap_or(0);
        let duration = at.duration.map(|d| u64::try_from(d.get()).unwrap_or(0));
        self.write_indexed(
            track,
            ns,
            duration,
            frame.keyframe,
            Payload::Shared(&frame.data),
        )
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
        let avcc = Bytes::from_static(&[1, 0x42, 0xC0, 0x0C, 0xFF, 0xE0, 0x00]);
        let h264 = [
            opus(None),
            TrackSpec::new(Codec::H264).with_config(Some(avcc)),
        ];
        assert_eq!(
            refusal(DocType::Webm, &h264),
            "track 1: expected VP8, VP9, AV1, Opus or text (the codecs this muxer writes to \
             WebM), found h264: WebM allows only VP8, VP9 and AV1 video: use .mkv or .mp4"
        );
        let pcm = [TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(16_000))];
        assert_eq!(
            refusal(DocType::Webm, &pcm),
            "track 0: expected VP8, VP9, AV1, Opus or text (the codecs this muxer writes to \
             WebM), found pcm_s16le: WebM allows only Opus and Vorbis audio: use .mkv or .wav"
        );
        assert_eq!(
            refusal(DocType::Matroska, &[TrackSpec::new(Codec::Binary)]),
            "track 0: expected VP8, VP9, AV1, H.264, H.265, Opus, PCM or text (the codecs this \
             muxer writes to Matroska), found binary: binary data channels: use the raw dump"
        );
        for doc_type in [DocType::Webm, DocType::Matroska] {
            for (codec, hint) in [
                (Codec::Pcmu, "decode to PCM first: .wav or .mkv"),
                (Codec::Pcma, "decode to PCM first: .wav or .mkv"),
                (Codec::G722, "decode to PCM first: .wav or .mkv"),
                (Codec::L16, "decode to PCM first: .wav or .mkv"),
                (Codec::L16_48, "decode to PCM first: .wav or .mkv"),
                (Codec::Binary, "binary data channels: use the raw dump"),
                (
                    Codec::Other("x-foo".into()),
                    "a codec this muxer does not know",
                ),
            ] {
                let name = codec.name().to_string();
                let msg = refusal(doc_type, &[TrackSpec::new(codec)]);
                assert!(msg.starts_with("track 0: expected VP8, VP9, AV1"), "{msg}");
                assert!(msg.ends_with(&format!("found {name}: {hint}")), "{msg}");
            }
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
    fn tracks_without_the_configuration_their_codec_needs_are_refused() {
        let family0 = OpusHead::new(2, 312, 48_000).to_bytes();
        for (doc_type, spec, message) in [
            (
                DocType::Webm,
                TrackSpec::new(Codec::Av1),
                "track 0: expected an av1C record (marker and version 1), found none \
                 (TrackSpec::config is not set)",
            ),
            (
                DocType::Matroska,
                TrackSpec::new(Codec::Av1).with_config(Some(Bytes::from_static(&[1, 0, 0, 0]))),
                "track 0: expected an av1C record (marker and version 1), found 4 bytes \
                 starting [01, 00, 00, 00]",
            ),
            (
                DocType::Matroska,
                TrackSpec::new(Codec::H264),
                "track 0: expected an avcC record (configurationVersion 1), found none \
                 (TrackSpec::config is not set)",
            ),
            (
                DocType::Matroska,
                TrackSpec::new(Codec::H265).with_config(Some(Bytes::from_static(&[1; 22]))),
                "track 0: expected an hvcC record (configurationVersion 1), found 22 bytes \
                 starting [01, 01, 01, 01]",
            ),
            (
                DocType::Webm,
                TrackSpec::new(Codec::MultiOpus),
                "track 0: expected an OpusHead with channel mapping family 1 \
                 (TrackSpec::config), found none (TrackSpec::config is not set)",
            ),
            (
                DocType::Webm,
                TrackSpec::new(Codec::MultiOpus).with_config(Some(family0.into())),
                "track 0: expected an OpusHead with channel mapping family 1 \
                 (TrackSpec::config), found mapping family 0",
            ),
            (
                DocType::Matroska,
                TrackSpec::new(Codec::PcmS16Le),
                "track 0: expected a PCM track with its sample rate (TrackSpec::sample_rate), \
                 found none",
            ),
        ] {
            assert_eq!(refusal(doc_type, &[spec]), message);
        }
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
        order(m.write_block(1, 0, true, &frame.data.contiguous()));
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
