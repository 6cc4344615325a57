//! The WebM/Matroska muxer.

use std::io::{self, Seek, SeekFrom, Write};

use crate::cues::CueIndex;
use crate::ebml::{self, *};

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

/// Video or audio, with what players need to know before the first frame.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    },
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
    /// Codec setup data (Opus: the OpusHead).
    pub codec_private: Option<Vec<u8>>,
    /// Decoder delay in ns (Opus: pre-skip).
    pub codec_delay_ns: u64,
    /// How long before a seek point decoding must start, in ns (Opus: 80 ms).
    pub seek_preroll_ns: u64,
    /// Human-readable name.
    pub name: Option<String>,
    /// Language (BCP 47 / ISO 639-2), if known.
    pub language: Option<String>,
    /// Whether players pick this track by default.
    pub default: bool,
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
            name: None,
            language: None,
            default: true,
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
            },
            codec_private: Some(opus_head),
            codec_delay_ns: pre_skip_samples * 1_000_000_000 / 48_000,
            seek_preroll_ns: 80_000_000,
            name: None,
            language: None,
            default: true,
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
    /// Most cue points held in memory until [`Muxer::finish`] writes them (default 32 768,
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
        }
    }
}

/// Why muxing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MuxError {
    /// Writing failed.
    #[error("write error: {0}")]
    Io(#[from] io::Error),
    /// A block came earlier than a block already written.
    #[error("track {track}: block at {found_ns} ns comes before one already written at {previous_ns} ns")]
    NonMonotonic {
        /// The track.
        track: u64,
        /// Time already written.
        previous_ns: u64,
        /// Time of the refused block.
        found_ns: u64,
    },
    /// The block's track was not declared.
    #[error("block for track {track}, which was not declared")]
    UnknownTrack {
        /// The track number.
        track: u64,
    },
    /// A block larger than a cluster may hold.
    #[error("block of {len} bytes is too large")]
    BlockTooLarge {
        /// Its length.
        len: usize,
    },
    /// No track was declared.
    #[error("a file needs at least one track")]
    NoTracks,
}

/// Counters of a muxer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MuxStats {
    /// Blocks written.
    pub blocks: u64,
    /// Clusters written.
    pub clusters: u64,
    /// Cue points held (those the Cues will list, after any thinning).
    pub cue_points: u64,
    /// Least time between two cue points of a track now in force, ms: the option's
    /// [`MuxerOptions::cue_spacing_ms`], doubled each time the points were thinned.
    pub cue_spacing_ms: u64,
    /// Bytes written.
    pub bytes: u64,
}

type Patcher<W> = fn(&mut W, u64, &[u8], u64) -> io::Result<()>;

fn patch_at<W: Write + Seek>(w: &mut W, at: u64, bytes: &[u8], end: u64) -> io::Result<()> {
    w.seek(SeekFrom::Start(at))?;
    w.write_all(bytes)?;
    w.seek(SeekFrom::Start(end))?;
    Ok(())
}

const SEEK_HEAD_ROOM: usize = 96;
const MAX_BLOCK: usize = 64 << 20;
/// Capacity of a new cluster buffer.
const CLUSTER_START: usize = 64 << 10;
/// Most bytes a SimpleBlock (ID, size, track, time, flags) and a cluster Timestamp add to a block.
const BLOCK_HEADER: usize = 32;

#[derive(Debug, Clone, Copy)]
struct TrackState {
    number: u64,
    video: bool,
    last_ms: Option<i64>,
    last_step_ms: i64,
}

/// Writes a WebM/Matroska file block by block, one cluster in memory at a time.
///
/// With [`Muxer::new`] (a `Write + Seek` output) the file gets a SeekHead, a Duration and Cues;
/// [`Muxer::new_streaming`] writes to a pipe: unknown Segment size, no Duration, no Cues.
///
/// # Memory
///
/// Whatever the length or shape of the input, a muxer holds: the cluster being built (at most
/// [`MuxerOptions::max_cluster_bytes`], or one block with its headers when a block is larger),
/// at most [`MuxerOptions::max_cue_points`] cue points of 24 bytes (seekable outputs only), and
/// a fixed amount per track. Nothing is kept per block or per closed cluster: a keyframe every
/// millisecond makes a cluster each, written out at once, and a cue point a second.
pub struct Muxer<W: Write> {
    w: W,
    patch: Option<Patcher<W>>,
    options: MuxerOptions,
    tracks: Vec<TrackState>,
    has_video: bool,
    pos: u64,
    segment_size_at: u64,
    segment_data: u64,
    seek_head_at: u64,
    duration_at: u64,
    info_pos: u64,
    tracks_pos: u64,
    cluster: Vec<u8>,
    cluster_ms: Option<i64>,
    cluster_cued: bool,
    cues: CueIndex,
    scratch: Vec<u8>,
    last_ms: i64,
    duration_ns: Option<u64>,
    stats: MuxStats,
}

impl<W: Write + Seek> Muxer<W> {
    /// A muxer over a seekable output (a file): Duration, SeekHead and Cues are filled in by
    /// [`Muxer::finish`].
    pub fn new(
        mut w: W,
        options: MuxerOptions,
        tracks: Vec<TrackConfig>,
    ) -> Result<Self, MuxError> {
        let start = w.stream_position()?;
        Muxer::start(w, Some(patch_at::<W>), start, options, tracks)
    }
}

impl<W: Write> Muxer<W> {
    /// A muxer over an output that cannot seek (a pipe).
    pub fn new_streaming(
        w: W,
        mut options: MuxerOptions,
        tracks: Vec<TrackConfig>,
    ) -> Result<Self, MuxError> {
        options.seekable = false;
        Muxer::start(w, None, 0, options, tracks)
    }

    fn start(
        mut w: W,
        patch: Option<Patcher<W>>,
        start: u64,
        options: MuxerOptions,
        tracks: Vec<TrackConfig>,
    ) -> Result<Self, MuxError> {
        if tracks.is_empty() {
            return Err(MuxError::NoTracks);
        }
        let mut h = Vec::with_capacity(1024);
        write_master(&mut h, EBML, |b| {
            write_uint(b, EBML_VERSION, 1);
            write_uint(b, EBML_READ_VERSION, 1);
            write_uint(b, EBML_MAX_ID_LENGTH, 4);
            write_uint(b, EBML_MAX_SIZE_LENGTH, 8);
            write_string(b, DOC_TYPE, options.doc_type.name());
            write_uint(b, DOC_TYPE_VERSION, 4);
            write_uint(b, DOC_TYPE_READ_VERSION, 2);
        });
        write_id(&mut h, SEGMENT);
        let segment_size_at = start + h.len() as u64;
        h.extend_from_slice(&UNKNOWN_SIZE);
        let segment_data = start + h.len() as u64;
        let seekable = patch.is_some();
        let seek_head_at = segment_data;
        if seekable {
            write_void(&mut h, SEEK_HEAD_ROOM);
        }
        let info_pos = start + h.len() as u64 - segment_data;
        let mut info = Vec::new();
        write_uint(&mut info, TIMESTAMP_SCALE, 1_000_000);
        write_string(
            &mut info,
            MUXING_APP,
            concat!("webm-mux ", env!("CARGO_PKG_VERSION")),
        );
        write_string(&mut info, WRITING_APP, &options.writing_app);
        if let Some(t) = &options.title {
            write_string(&mut info, TITLE, t);
        }
        if let Some(d) = options.date_utc_ns {
            write_int(&mut info, DATE_UTC, d);
        }
        let mut duration_in_info = 0;
        if seekable {
            duration_in_info = info.len() + 3; // after the 2-byte ID and 1-byte size
            write_float(&mut info, DURATION, 0.0);
        }
        write_id(&mut h, INFO);
        write_size(&mut h, info.len() as u64);
        let duration_at = start + (h.len() + duration_in_info) as u64;
        h.extend_from_slice(&info);
        let tracks_pos = start + h.len() as u64 - segment_data;
        write_master(&mut h, TRACKS, |b| {
            for t in &tracks {
                write_master(b, TRACK_ENTRY, |e| track_entry(e, t));
            }
        });
        w.write_all(&h)?;
        let states = tracks
            .iter()
            .map(|t| TrackState {
                number: t.number,
                video: matches!(t.kind, TrackKind::Video { .. }),
                last_ms: None,
                last_step_ms: if matches!(t.kind, TrackKind::Video { .. }) {
                    0
                } else {
                    20
                },
            })
            .collect::<Vec<_>>();
        let cues = CueIndex::new(tracks.len(), options.cue_spacing_ms, options.max_cue_points);
        let cue_spacing_ms = cues.spacing_ms();
        Ok(Muxer {
            has_video: states.iter().any(|t| t.video),
            tracks: states,
            w,
            patch,
            options,
            pos: start + h.len() as u64,
            segment_size_at,
            segment_data,
            seek_head_at,
            duration_at,
            info_pos,
            tracks_pos,
            cluster: Vec::with_capacity(CLUSTER_START),
            cluster_ms: None,
            cluster_cued: false,
            cues,
            scratch: Vec::with_capacity(16),
            last_ms: 0,
            duration_ns: None,
            stats: MuxStats {
                bytes: h.len() as u64,
                cue_spacing_ms,
                ..MuxStats::default()
            },
        })
    }

    /// Sets the Duration written by [`Muxer::finish`] (by default: the end of the last block,
    /// estimated from each track's last frame interval).
    pub fn set_duration_ns(&mut self, ns: u64) {
        self.duration_ns = Some(ns);
    }

    /// Counters so far.
    pub fn stats(&self) -> MuxStats {
        self.stats
    }

    /// Adds a frame of `track` at `timestamp_ns` (ns from the start of the file). Blocks must
    /// come in time order (equal times are fine).
    pub fn write_block(
        &mut self,
        track: u64,
        timestamp_ns: u64,
        keyframe: bool,
        data: &[u8],
    ) -> Result<(), MuxError> {
        let Some(ti) = self.tracks.iter().position(|t| t.number == track) else {
            return Err(MuxError::UnknownTrack { track });
        };
        if data.len() > MAX_BLOCK {
            return Err(MuxError::BlockTooLarge { len: data.len() });
        }
        let ms = ((timestamp_ns + 500_000) / 1_000_000).min(i64::MAX as u64 / 2) as i64;
        let t = self.tracks[ti];
        if let Some(last) = t.last_ms {
            if ms < last {
                return Err(MuxError::NonMonotonic {
                    track,
                    previous_ns: last as u64 * 1_000_000,
                    found_ns: timestamp_ns,
                });
            }
        }
        if ms < self.cluster_ms.unwrap_or(ms) {
            // Another track already opened the cluster a little later: rounding, never more.
            return Err(MuxError::NonMonotonic {
                track,
                previous_ns: self.last_ms as u64 * 1_000_000,
                found_ns: timestamp_ns,
            });
        }
        let starts_cue = keyframe && (t.video || !self.has_video);
        if let Some(c) = self.cluster_ms {
            let span = ms - c;
            let cut = span > i16::MAX as i64
                || span as u64 >= self.options.max_cluster_duration_ms
                || self.cluster.len() + data.len() > self.options.max_cluster_bytes
                || (t.video && keyframe && span > 0);
            if cut {
                self.close_cluster()?;
            }
        }
        if self.cluster_ms.is_none() {
            self.cluster_ms = Some(ms);
            self.cluster_cued = false;
            write_uint(&mut self.cluster, TIMESTAMP, ms as u64);
        }
        let indexed = self.options.seekable && self.patch.is_some();
        if indexed && starts_cue && !self.cluster_cued && self.cues.wants(ti, ms as u64) {
            // Seek points: video keyframes that open a cluster (audio-only: every cluster), one
            // a second or so per track.
            self.cues.push(ti, ms as u64, self.pos - self.segment_data);
            self.stats.cue_points = self.cues.points().len() as u64;
            self.stats.cue_spacing_ms = self.cues.spacing_ms();
            self.cluster_cued = true;
        }
        self.reserve_cluster(data.len());
        let rel = (ms - self.cluster_ms.unwrap_or(ms)) as i16;
        write_id(&mut self.cluster, SIMPLE_BLOCK);
        let track_len = ebml::size_len(track);
        write_size(&mut self.cluster, (track_len + 3 + data.len()) as u64);
        write_size(&mut self.cluster, track);
        self.cluster.extend_from_slice(&rel.to_be_bytes());
        self.cluster.push(if keyframe { 0x80 } else { 0 });
        self.cluster.extend_from_slice(data);
        let st = &mut self.tracks[ti];
        if let Some(last) = st.last_ms {
            if ms > last {
                st.last_step_ms = ms - last;
            }
        }
        st.last_ms = Some(ms);
        self.last_ms = self.last_ms.max(ms);
        self.stats.blocks += 1;
        Ok(())
    }

    /// Makes room for a block of `len` bytes without letting the cluster's buffer grow past
    /// `max_cluster_bytes` (or the one large block it holds) by doubling.
    fn reserve_cluster(&mut self, len: usize) {
        let need = self.cluster.len() + len + BLOCK_HEADER;
        if need > self.cluster.capacity() {
            let grown = (2 * self.cluster.capacity()).min(self.options.max_cluster_bytes);
            self.cluster
                .reserve_exact(need.max(grown) - self.cluster.len());
        }
    }

    fn close_cluster(&mut self) -> io::Result<()> {
        if self.cluster_ms.take().is_none() {
            return Ok(());
        }
        self.scratch.clear();
        write_id(&mut self.scratch, CLUSTER);
        write_size(&mut self.scratch, self.cluster.len() as u64);
        self.w.write_all(&self.scratch)?;
        self.w.write_all(&self.cluster)?;
        let n = (self.scratch.len() + self.cluster.len()) as u64;
        self.pos += n;
        self.stats.bytes += n;
        self.stats.clusters += 1;
        self.cluster.clear();
        if self.cluster.capacity() > self.options.max_cluster_bytes.max(CLUSTER_START) {
            // It held one block larger than a cluster: give that memory back.
            self.cluster = Vec::with_capacity(CLUSTER_START);
        }
        Ok(())
    }

    /// Writes the last cluster and, on a seekable output, the Cues, Duration, SeekHead and
    /// Segment size. Returns the output, flushed.
    pub fn finish(mut self) -> Result<W, MuxError> {
        self.close_cluster()?;
        let Some(patch) = self.patch else {
            self.w.flush()?;
            return Ok(self.w);
        };
        let mut cues_pos = None;
        if self.options.seekable && !self.cues.points().is_empty() {
            let numbers: Vec<u64> = self.tracks.iter().map(|t| t.number).collect();
            cues_pos = Some(self.pos - self.segment_data);
            let n = self.cues.write(&mut self.w, &numbers)?;
            self.pos += n;
            self.stats.bytes += n;
        }
        let end = self.pos;
        let duration_ms = match self.duration_ns {
            Some(ns) => ns as f64 / 1e6,
            None => self
                .tracks
                .iter()
                .filter_map(|t| t.last_ms.map(|l| l + t.last_step_ms))
                .max()
                .unwrap_or(0) as f64,
        };
        patch(
            &mut self.w,
            self.duration_at,
            &duration_ms.to_be_bytes(),
            end,
        )?;
        let mut size = Vec::new();
        write_size_fixed(&mut size, end - self.segment_data, 8);
        patch(&mut self.w, self.segment_size_at, &size, end)?;
        let mut sh = Vec::new();
        write_master(&mut sh, SEEK_HEAD, |b| {
            let mut entry = |id: u32, pos: u64| {
                write_master(b, SEEK, |s| {
                    let mut idb = Vec::new();
                    write_id(&mut idb, id);
                    write_binary(s, SEEK_ID, &idb);
                    write_uint(s, SEEK_POSITION, pos);
                });
            };
            entry(INFO, self.info_pos);
            entry(TRACKS, self.tracks_pos);
            if let Some(p) = cues_pos {
                entry(CUES, p);
            }
        });
        let room = SEEK_HEAD_ROOM - sh.len();
        write_void(&mut sh, room);
        patch(&mut self.w, self.seek_head_at, &sh, end)?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// A Void element of exactly `len` bytes (at least 2).
fn write_void(out: &mut Vec<u8>, len: usize) {
    let size_len = if len > 128 { 2 } else { 1 };
    out.push(0xEC);
    write_size_fixed(out, (len - 1 - size_len) as u64, size_len);
    out.resize(out.len() + len - 1 - size_len, 0);
}

fn track_entry(e: &mut Vec<u8>, t: &TrackConfig) {
    write_uint(e, TRACK_NUMBER, t.number);
    write_uint(e, TRACK_UID, t.uid.max(1));
    write_uint(
        e,
        TRACK_TYPE,
        if matches!(t.kind, TrackKind::Video { .. }) {
            1
        } else {
            2
        },
    );
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
        }),
        TrackKind::Audio {
            sample_rate,
            channels,
        } => write_master(e, AUDIO, |a| {
            write_float(a, SAMPLING_FREQUENCY, sample_rate);
            write_uint(a, CHANNELS, u64::from(channels));
        }),
    }
}
