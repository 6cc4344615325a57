//! What a file is made of: its flavour ([`DocType`]), its tracks ([`TrackConfig`]) and how to
//! write it ([`MuxerOptions`]).

use crate::ebml::*;

/// Which flavour of Matroska to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DocType {
    /// WebM (`webm`): VP8/VP9/AV1 and Opus/Vorbis only.
    #[default]
    Webm,
    /// Matroska (`matroska`), for `.mkv`/`.mka`.
    Matroska,
}

impl DocType {
    /// The EBML DocType string.
    pub fn name(self) -> &'static str {
        match self {
            DocType::Webm => "webm",
            DocType::Matroska => "matroska",
        }
    }
}

/// Video, audio or subtitles, with what players need to know before the first frame.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TrackKind {
    /// A video track.
    Video {
        /// Picture width in pixels.
        width: u16,
        /// Picture height in pixels.
        height: u16,
    },
    /// An audio track.
    Audio {
        /// Output sampling frequency in Hz.
        sample_rate: f64,
        /// Channel count.
        channels: u8,
        /// Bits per sample, for codecs that say it in the container (PCM); written as BitDepth.
        bit_depth: Option<u8>,
    },
    /// A subtitle track (TrackType 17): its blocks are BlockGroups with a BlockDuration, and it
    /// never opens a cluster or a cue point.
    Subtitle,
}

/// One track of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackConfig {
    /// Track number used by blocks (1, 2, …).
    pub number: u64,
    /// Unique id (non-zero).
    pub uid: u64,
    /// Matroska codec id (`V_VP8`, `A_OPUS`…).
    pub codec_id: String,
    /// Video or audio parameters.
    pub kind: TrackKind,
    /// Codec setup data (Opus: the OpusHead; H.264: avcC; H.265: hvcC; AV1: av1C).
    pub codec_private: Option<Vec<u8>>,
    /// Decoder delay in ns (Opus: pre-skip).
    pub codec_delay_ns: u64,
    /// How long before a seek point decoding must start, in ns (Opus: 80 ms).
    pub seek_preroll_ns: u64,
    /// The usual duration of a frame, in ns (video: the frame interval), written as
    /// DefaultDuration when not 0: players and tools (ffmpeg guesses its frame rate from it)
    /// then know the rate of a stream whose frames come at irregular times.
    pub default_duration_ns: u64,
    /// Human-readable name.
    pub name: Option<String>,
    /// Language (BCP 47 / ISO 639-2), if known.
    pub language: Option<String>,
    /// Whether players pick this track by default.
    pub default: bool,
    /// Video: how far to turn the picture clockwise to show it upright (0, 90, 180 or 270
    /// degrees). Not 0: written as a rectangular Projection with a ProjectionPoseRoll.
    pub rotation: u16,
}

impl TrackConfig {
    /// A VP8 video track.
    pub fn vp8(number: u64, width: u16, height: u16) -> TrackConfig {
        TrackConfig {
            number,
            uid: number,
            codec_id: "V_VP8".into(),
            kind: TrackKind::Video { width, height },
            codec_private: None,
            codec_delay_ns: 0,
            seek_preroll_ns: 0,
            default_duration_ns: 0,
            name: None,
            language: None,
            default: true,
            rotation: 0,
        }
    }

    /// A video track of codec `codec_id` (`V_VP9`, `V_AV1`, `V_MPEG4/ISO/AVC`,
    /// `V_MPEGH/ISO/HEVC`) with its configuration record, if the codec has one.
    pub fn video(
        number: u64,
        codec_id: &str,
        width: u16,
        height: u16,
        codec_private: Option<Vec<u8>>,
    ) -> TrackConfig {
        TrackConfig {
            codec_id: codec_id.into(),
            codec_private,
            ..TrackConfig::vp8(number, width, height)
        }
    }

    /// A 16-bit little-endian PCM track (`A_PCM/INT/LIT`, BitDepth 16; Matroska only).
    pub fn pcm_s16le(number: u64, sample_rate: u32, channels: u8) -> TrackConfig {
        TrackConfig {
            codec_id: "A_PCM/INT/LIT".into(),
            kind: TrackKind::Audio {
                sample_rate: f64::from(sample_rate),
                channels,
                bit_depth: Some(16),
            },
            codec_private: None,
            codec_delay_ns: 0,
            seek_preroll_ns: 0,
            ..TrackConfig::vp8(number, 0, 0)
        }
    }

    /// A text subtitle track: `S_TEXT/UTF8` (Matroska) or `D_WEBVTT/SUBTITLES` (WebM's
    /// WebVTT mapping). Not a default track: players show it when asked.
    pub fn text(number: u64, codec_id: &str) -> TrackConfig {
        TrackConfig {
            codec_id: codec_id.into(),
            kind: TrackKind::Subtitle,
            default: false,
            ..TrackConfig::vp8(number, 0, 0)
        }
    }

    /// An Opus audio track at 48 kHz; `opus_head` is the OpusHead (RFC 7845) and
    /// `pre_skip_samples` its pre-skip, which becomes the CodecDelay.
    pub fn opus(
        number: u64,
        channels: u8,
        opus_head: Vec<u8>,
        pre_skip_samples: u64,
    ) -> TrackConfig {
        TrackConfig {
            number,
            uid: number,
            codec_id: "A_OPUS".into(),
            kind: TrackKind::Audio {
                sample_rate: 48_000.0,
                channels,
                bit_depth: None,
            },
            codec_private: Some(opus_head),
            codec_delay_ns: pre_skip_samples * 1_000_000_000 / 48_000,
            seek_preroll_ns: 80_000_000,
            default_duration_ns: 0,
            name: None,
            language: None,
            default: true,
            rotation: 0,
        }
    }
}

/// How to write the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuxerOptions {
    /// WebM or Matroska.
    pub doc_type: DocType,
    /// Whether to write Cues (seek index); seekable writers only.
    pub seekable: bool,
    /// A cluster is closed when it spans this long.
    pub max_cluster_duration_ms: u64,
    /// A cluster is closed when it holds this many bytes (a larger block gets a cluster of its
    /// own). The one cluster in memory never holds more than this or one block.
    pub max_cluster_bytes: usize,
    /// Least media time between two cue points of one track, in ms (default 1 000; at least 1).
    /// A player seeks to the point at or before its target and decodes forward from there, so
    /// this is about the most it decodes in vain; a keyframe every few ms gets no point each.
    pub cue_spacing_ms: u64,
    /// Most cue points held in memory until [`Muxer::finish`](crate::Muxer::finish) writes them (default 32 768,
    /// 24 bytes each: 768 KiB; at least two per track). When a new point would go past it,
    /// every other point of each track is dropped (its first is kept) and `cue_spacing_ms`
    /// doubles, so the points stay spread over the whole file whatever its length.
    pub max_cue_points: usize,
    /// The WritingApp string.
    pub writing_app: String,
    /// The Title, if any.
    pub title: Option<String>,
    /// DateUTC: ns since 2001-01-01T00:00:00 UTC.
    pub date_utc_ns: Option<i64>,
    /// Tags of the whole file, `(name, text)`: Matroska tag names such as `TITLE`, `COMMENT`,
    /// `DATE_RECORDED` or `DESCRIPTION` (any upper-case name will do). Not empty: written as
    /// one Tag (TargetTypeValue 50, the whole file) in a Tags element after Tracks.
    pub tags: Vec<(String, String)>,
}

impl Default for MuxerOptions {
    fn default() -> Self {
        MuxerOptions {
            doc_type: DocType::Webm,
            seekable: true,
            max_cluster_duration_ms: 5_000,
            max_cluster_bytes: 5 << 20,
            cue_spacing_ms: 1_000,
            max_cue_points: 32_768,
            writing_app: concat!("webm-mux ", env!("CARGO_PKG_VERSION")).into(),
            title: None,
            date_utc_ns: None,
            tags: Vec::new(),
        }
    }
}

impl TrackConfig {
    /// Writes the children of this track's TrackEntry.
    pub(crate) fn write_entry(&self, e: &mut Vec<u8>) {
        let t = self;
        write_uint(e, TRACK_NUMBER, t.number);
        write_uint(e, TRACK_UID, t.uid.max(1));
        let track_type = match t.kind {
            TrackKind::Video { .. } => 1,
            TrackKind::Audio { .. } => 2,
            TrackKind::Subtitle => 0x11,
        };
        write_uint(e, TRACK_TYPE, track_type);
        write_uint(e, FLAG_DEFAULT, u64::from(t.default));
        write_uint(e, FLAG_LACING, 0);
        write_string(e, CODEC_ID, &t.codec_id);
        if let Some(p) = &t.codec_private {
            write_binary(e, CODEC_PRIVATE, p);
        }
        if t.codec_delay_ns > 0 {
            write_uint(e, CODEC_DELAY, t.codec_delay_ns);
        }
        if t.seek_preroll_ns > 0 {
            write_uint(e, SEEK_PRE_ROLL, t.seek_preroll_ns);
        }
        if t.default_duration_ns > 0 {
            write_uint(e, DEFAULT_DURATION, t.default_duration_ns);
        }
        if let Some(n) = &t.name {
            write_string(e, NAME, n);
        }
        if let Some(l) = &t.language {
            write_string(e, LANGUAGE, l);
        }
        match t.kind {
            TrackKind::Video { width, height } => write_master(e, VIDEO, |v| {
                write_uint(v, PIXEL_WIDTH, u64::from(width));
                write_uint(v, PIXEL_HEIGHT, u64::from(height));
                if t.rotation % 360 != 0 {
                    write_master(v, PROJECTION, |p| {
                        write_uint(p, PROJECTION_TYPE, 0); // rectangular
                        write_float(p, PROJECTION_POSE_ROLL, pose_roll(t.rotation));
                    });
                }
            }),
            TrackKind::Audio {
                sample_rate,
                channels,
                bit_depth,
            } => write_master(e, AUDIO, |a| {
                write_float(a, SAMPLING_FREQUENCY, sample_rate);
                write_uint(a, CHANNELS, u64::from(channels));
                if let Some(bits) = bit_depth {
                    write_uint(a, BIT_DEPTH, u64::from(bits));
                }
            }),
            TrackKind::Subtitle => {}
        }
    }
}

/// The ProjectionPoseRoll for a picture to be turned `clockwise` degrees: Matroska counts the
/// roll counter-clockwise, within -180..=180 (Matroska spec, ProjectionPoseRoll), so a quarter
/// turn clockwise is -90.
pub(crate) fn pose_roll(clockwise: u16) -> f64 {
    let ccw = (360 - i32::from(clockwise % 360)) % 360;
    f64::from(if ccw > 180 { ccw - 360 } else { ccw })
}

/// Writes the Tags element of the whole file (nothing when `tags` is empty).
pub(crate) fn write_tags(out: &mut Vec<u8>, tags: &[(String, String)]) {
    if tags.is_empty() {
        return;
    }
    write_master(out, TAGS, |t| {
        write_master(t, TAG, |t| {
            write_master(t, TARGETS, |g| write_uint(g, TARGET_TYPE_VALUE, 50));
            for (name, value) in tags {
                write_master(t, SIMPLE_TAG, |s| {
                    write_string(s, TAG_NAME, name);
                    write_string(s, TAG_LANGUAGE, "und");
                    write_string(s, TAG_STRING, value);
                });
            }
        });
    });
}
