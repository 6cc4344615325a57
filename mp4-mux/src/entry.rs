//! What each codec becomes in ISO BMFF: the checks made at `open`, the media timescale, and the
//! sample entry of `stsd` (ISO/IEC 14496-12 §8.5.2, §12.1.3 visual, §12.2.3 audio).
//!
//! | codec | entry | configuration box | from |
//! |---|---|---|---|
//! | H.264 | `avc1` | `avcC` (ISO/IEC 14496-15 §5.4.2) | `TrackSpec.config` |
//! | H.265 | `hvc1` | `hvcC` (ISO/IEC 14496-15 §8.4.1) | `TrackSpec.config` |
//! | AV1 | `av01` | `av1C` (AV1-ISOBMFF §2.3) | `TrackSpec.config` |
//! | VP9 | `vp09` | `vpcC` version 1 (VP-ISOBMFF §2.2) | the first keyframe's profile; 8-bit 4:2:0 |
//! | Opus | `Opus` | `dOps` (Opus-ISOBMFF §4.3.2) | `TrackSpec.channels` (2), family 0 |
//! | multichannel Opus | `Opus` | `dOps`, family 1 | the `OpusHead` in `TrackSpec.config` |
//! | PCM s16le | `sowt` | none (QuickTime sound entry, version 0) | rate and channels |
//!
//! PCM is written as `sowt`, not `ipcm` (ISO/IEC 23003-5): ffmpeg reads `ipcm` only from
//! version 6.1 on, and `sowt` everywhere.

use bytes::Bytes;
use mjrtool_core::opus::{OpusHead, PRE_SKIP, RATE_HZ};
use mjrtool_core::{Codec, TrackSpec};

use crate::bmff::BoxBuf;
use crate::error::Mp4Error;

/// Media timescale of every video track (the RTP video clock).
pub(crate) const VIDEO_TIMESCALE: u32 = 90_000;

/// A track as the muxer keeps it after `open`'s checks.
#[derive(Debug, Clone)]
pub(crate) struct TrackSetup {
    /// The codec.
    pub(crate) codec: Codec,
    /// Ticks per second of the media timeline (`mdhd`).
    pub(crate) timescale: u32,
    /// Picture size, for video.
    pub(crate) video: Option<(u16, u16)>,
    /// Channel count, for audio.
    pub(crate) channels: u16,
    /// Media ticks the decoder drops at the start (Opus pre-skip): the edit's media time.
    pub(crate) skip: u32,
    /// The codec configuration record (`avcC`/`hvcC`/`av1C` body), or the parsed `OpusHead`.
    config: Option<Bytes>,
    head: Option<OpusHead>,
    /// The usual frame interval, in media ticks.
    pub(crate) frame_ticks: Option<u64>,
    /// Video: degrees to turn the picture clockwise to show it upright (the `tkhd` matrix).
    pub(crate) rotation: u16,
}

fn refuse(track: usize, codec: &Codec) -> Mp4Error {
    let hint = match codec {
        Codec::Vp8 => "VP8 goes in WebM or Matroska (.webm, .mkv)",
        Codec::Text | Codec::Binary => {
            "data-channel messages go in Matroska, SRT or WebVTT (.mkv, .srt, .vtt)"
        }
        Codec::Pcmu | Codec::Pcma | Codec::G722 | Codec::L16 | Codec::L16_48 => {
            "decode it to PCM (pcm_s16le) for MP4, or write Matroska or WAV (.mkv, .wav)"
        }
        _ => "no container of this tool knows it",
    };
    Mp4Error::UnsupportedCodec {
        track,
        codec: codec.clone(),
        hint,
    }
}

impl TrackSetup {
    /// Checks track `index` and derives what the boxes need.
    pub(crate) fn new(index: usize, spec: &TrackSpec) -> Result<TrackSetup, Mp4Error> {
        let codec = spec.codec.clone();
        let missing = |expected| Mp4Error::MissingField {
            track: index,
            codec: codec.clone(),
            expected,
        };
        let mut setup = TrackSetup {
            codec: codec.clone(),
            timescale: VIDEO_TIMESCALE,
            video: None,
            channels: 0,
            skip: 0,
            config: None,
            head: None,
            frame_ticks: None,
            rotation: 0,
        };
        match codec {
            Codec::H264 | Codec::H265 | Codec::Av1 | Codec::Vp9 => {
                let size = spec
                    .size
                    .ok_or_else(|| missing("a picture size (TrackSpec.size)"))?;
                if size.width == 0 || size.height == 0 {
                    return Err(invalid(
                        index,
                        &codec,
                        "a picture of at least 1x1",
                        format!("{}x{}", size.width, size.height),
                    ));
                }
                setup.video = Some((size.width, size.height));
                setup.rotation = spec.rotation.unwrap_or(0) % 360 / 90 * 90;
                if codec != Codec::Vp9 {
                    let what = match codec {
                        Codec::H264 => "an avcC record (TrackSpec.config)",
                        Codec::H265 => "an hvcC record (TrackSpec.config)",
                        _ => "an av1C record (TrackSpec.config)",
                    };
                    setup.config = Some(spec.config.clone().ok_or_else(|| missing(what))?);
                }
                setup.frame_ticks = spec
                    .frame_duration
                    .filter(|d| d.get() > 0)
                    .map(|d| ns_to_ticks(d.get(), VIDEO_TIMESCALE));
            }
            Codec::Opus => {
                let channels = spec.channels.unwrap_or(2);
                if !(1..=2).contains(&channels) {
                    return Err(invalid(
                        index,
                        &codec,
                        "1 or 2 channels (more need multiopus)",
                        channels.to_string(),
                    ));
                }
                setup.head = Some(OpusHead::new(channels, PRE_SKIP, RATE_HZ));
                setup.channels = channels.into();
                setup.timescale = RATE_HZ;
                setup.skip = PRE_SKIP.into();
            }
            Codec::MultiOpus => {
                let config = spec
                    .config
                    .as_ref()
                    .ok_or_else(|| missing("an OpusHead (TrackSpec.config)"))?;
                let head = OpusHead::parse(config)
                    .map_err(|e| invalid(index, &codec, "a valid OpusHead", e.to_string()))?;
                if head.mapping.is_none() {
                    return Err(invalid(
                        index,
                        &codec,
                        "an OpusHead with a channel mapping table",
                        "mapping family 0".into(),
                    ));
                }
                setup.channels = head.channels.into();
                setup.skip = head.pre_skip.into();
                setup.head = Some(head);
                setup.timescale = RATE_HZ;
            }
            Codec::PcmS16Le => {
                let rate = spec
                    .audio_rate()
                    .ok_or_else(|| missing("a sample rate (TrackSpec.sample_rate)"))?;
                if !(1..=65_535).contains(&rate) {
                    return Err(invalid(
                        index,
                        &codec,
                        "a sample rate of 1..=65535 Hz",
                        rate.to_string(),
                    ));
                }
                let channels = spec.channels.unwrap_or(1);
                if channels == 0 {
                    return Err(invalid(index, &codec, "at least 1 channel", "0".into()));
                }
                setup.channels = channels.into();
                setup.timescale = rate;
            }
            _ => return Err(refuse(index, &codec)),
        }
        Ok(setup)
    }

    /// `vide` or `soun` (§8.4.3).
    pub(crate) fn handler(&self) -> &'static [u8; 4] {
        if self.video.is_some() {
            b"vide"
        } else {
            b"soun"
        }
    }

    /// Writes the `stsd` box; `first_key` is the track's first keyframe (VP9 reads its profile).
    pub(crate) fn write_stsd(
        &self,
        b: &mut BoxBuf,
        first_key: Option<&[u8]>,
    ) -> Result<(), Mp4Error> {
        b.open_full(b"stsd", 0, 0);
        b.u32(1);
        match (&self.codec, self.video) {
            (Codec::H264, Some(size)) => self.visual(b, b"avc1", size, b"avcC", None)?,
            (Codec::H265, Some(size)) => self.visual(b, b"hvc1", size, b"hvcC", None)?,
            (Codec::Av1, Some(size)) => self.visual(b, b"av01", size, b"av1C", None)?,
            (Codec::Vp9, Some(size)) => {
                self.visual(b, b"vp09", size, b"vpcC", Some(vpcc(first_key)))?
            }
            (Codec::PcmS16Le, _) => {
                self.audio_fields(b, b"sowt");
                b.close()?;
            }
            _ => {
                self.audio_fields(b, b"Opus");
                b.leaf(b"dOps", &self.dops())?;
                b.close()?;
            }
        }
        b.close()
    }

    /// A visual sample entry (§12.1.3.2) with its configuration box.
    fn visual(
        &self,
        b: &mut BoxBuf,
        kind: &[u8; 4],
        (w, h): (u16, u16),
        cfg: &[u8; 4],
        body: Option<Vec<u8>>,
    ) -> Result<(), Mp4Error> {
        b.open(kind);
        b.zeros(6);
        b.u16(1); // data_reference_index
        b.zeros(16); // pre_defined, reserved
        b.u16(w);
        b.u16(h);
        b.u32(0x0048_0000); // 72 dpi
        b.u32(0x0048_0000);
        b.u32(0);
        b.u16(1); // frame_count
        b.zeros(32); // compressorname
        b.u16(0x0018); // depth
        b.u16(0xFFFF); // pre_defined = -1
        match body {
            Some(body) => {
                b.open_full(cfg, 1, 0);
                b.bytes(&body);
                b.close()?;
            }
            None => b.leaf(cfg, self.config.as_deref().unwrap_or_default())?,
        }
        b.close()
    }

    /// The fields of an audio sample entry (§12.2.3.2), left open for its children.
    fn audio_fields(&self, b: &mut BoxBuf, kind: &[u8; 4]) {
        b.open(kind);
        b.zeros(6);
        b.u16(1); // data_reference_index
        b.zeros(8);
        b.u16(self.channels);
        b.u16(16); // samplesize
        b.zeros(4);
        b.u32(self.timescale << 16);
    }

    /// The `dOps` body (Opus-ISOBMFF §4.3.2): the OpusHead's fields, big-endian, no magic.
    fn dops(&self) -> Vec<u8> {
        let head = self
            .head
            .clone()
            .unwrap_or_else(|| OpusHead::new(2, PRE_SKIP, RATE_HZ));
        let mut d = vec![0, head.channels];
        d.extend_from_slice(&head.pre_skip.to_be_bytes());
        d.extend_from_slice(&head.input_sample_rate.to_be_bytes());
        d.extend_from_slice(&head.output_gain.to_be_bytes());
        d.push(head.mapping_family);
        if let Some(m) = &head.mapping {
            d.push(m.stream_count);
            d.push(m.coupled_count);
            d.extend_from_slice(&m.mapping);
        }
        d
    }
}

fn invalid(track: usize, codec: &Codec, expected: &'static str, found: String) -> Mp4Error {
    Mp4Error::InvalidField {
        track,
        codec: codec.clone(),
        expected,
        found,
    }
}

/// The `vpcC` version 1 body (VP-ISOBMFF §2.2): profile from the keyframe's first byte (VP9
/// §6.2 `frame_marker`(2) `profile_low_bit` `profile_high_bit`), level unknown (0), 8-bit,
/// 4:2:0 co-sited, limited range, BT.709 colour (1, 1, 1), no initialization data.
fn vpcc(first_key: Option<&[u8]>) -> Vec<u8> {
    let profile = first_key
        .and_then(|k| k.first())
        .filter(|&&b| b >> 6 == 2)
        .map_or(0, |&b| (b >> 5 & 1) | (b >> 4 & 1) << 1);
    // Profiles 2 and 3 may be 10 or 12 bits; their bit depth needs the whole header, so only
    // 8-bit profiles are described exactly.
    let depth = if profile >= 2 { 10 } else { 8 };
    vec![profile, 0, depth << 4 | 1 << 1, 1, 1, 1, 0, 0]
}

/// `ns` nanoseconds in ticks of `timescale`, rounded to nearest.
pub(crate) fn ns_to_ticks(ns: i64, timescale: u32) -> u64 {
    let t = (i128::from(ns.max(0)) * i128::from(timescale) + 500_000_000) / 1_000_000_000;
    u64::try_from(t).unwrap_or(u64::MAX)
}

/// `ticks` of `from` in ticks of `to`, rounded to nearest.
pub(crate) fn rescale(ticks: u64, from: u32, to: u32) -> u64 {
    let t = (u128::from(ticks) * u128::from(to) + u128::from(from / 2)) / u128::from(from.max(1));
    u64::try_from(t).unwrap_or(u64::MAX)
}
