//! The WebM/Matroska muxer.

use std::io::{self, Seek, SeekFrom, Write};

use mjrtool_core::SharedWrite;

use crate::cluster::{ClusterBuf, Payload, Placing};
use crate::cues::CueIndex;
use crate::ebml::{self, *};
use crate::text::{self, TextForm};
use crate::{DocType, MuxError, MuxerOptions, TrackConfig, TrackKind};

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

/// Where a muxer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Made without tracks; nothing written.
    Created,
    /// Header written; blocks may come.
    Open,
    /// Everything written and flushed.
    Finished,
}

impl Phase {
    /// Where the muxer is, as said in a [`MuxError::CallOrder`].
    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Created => "a muxer not opened",
            Phase::Open => "a muxer already opened",
            Phase::Finished => "a muxer already finished",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct TrackState {
    number: u64,
    video: bool,
    /// A subtitle track: BlockGroups with a BlockDuration, in this text form.
    text: Option<TextForm>,
    /// Every block is a whole number of these bytes (PCM: one sample of every channel).
    align: usize,
    /// The cluster being built holds a block of this track.
    in_cluster: bool,
    last_ms: Option<i64>,
    last_step_ms: i64,
}

impl TrackState {
    fn new(t: &TrackConfig) -> TrackState {
        let video = matches!(t.kind, TrackKind::Video { .. });
        let align = match t.kind {
            TrackKind::Audio {
                channels,
                bit_depth: Some(bits),
                ..
            } => usize::from(channels) * usize::from(bits).div_ceil(8),
            _ => 1,
        };
        TrackState {
            number: t.number,
            video,
            text: match t.kind {
                TrackKind::Subtitle => Some(TextForm::for_codec(&t.codec_id)),
                _ => None,
            },
            align: align.max(1),
            in_cluster: false,
            last_ms: None,
            last_step_ms: if video { 0 } else { 20 },
        }
    }
}

/// Writes a WebM/Matroska file block by block, one cluster in memory at a time.
///
/// With [`Muxer::new`] (a `Write + Seek` output) the file gets a SeekHead, a Duration and Cues;
/// [`Muxer::new_streaming`] writes to a pipe: unknown Segment size, no Duration, no Cues.
///
/// # Memory
///
/// Whatever the length or shape of the input, a muxer holds: the cluster being built (at most
/// [`MuxerOptions::max_cluster_bytes`], or one block with its headers when a block is larger;
/// a frame given through [`FrameSink`](mjrtool_core::FrameSink) is held rather than copied,
/// which keeps the buffers its pieces are slices of alive: at most 4,096 pieces in 128 runs of
/// memory a cluster, see [`mjrtool_core::FrameData::runs`]), at
/// most [`MuxerOptions::max_cue_points`] cue points of 24 bytes (seekable outputs only), and
/// a fixed amount per track. Nothing is kept per block or per closed cluster: a keyframe every
/// millisecond makes a cluster each, written out at once, and a cue point a second.
pub struct Muxer<W: SharedWrite> {
    w: W,
    patch: Option<Patcher<W>>,
    phase: Phase,
    /// Position of the file's first byte in the output.
    origin: u64,
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
    tags_pos: Option<u64>,
    cluster: ClusterBuf,
    cluster_ms: Option<i64>,
    cluster_cued: bool,
    cues: CueIndex,
    scratch: Vec<u8>,
    last_ms: i64,
    duration_ns: Option<u64>,
    stats: MuxStats,
}

impl<W: SharedWrite + Seek> Muxer<W> {
    /// A muxer over a seekable output (a file), with its tracks: writes the header now;
    /// Duration, SeekHead and Cues are filled in by [`Muxer::finish`].
    ///
    /// # Errors
    ///
    /// [`MuxError::NoTracks`], or [`MuxError::Io`].
    pub fn new(w: W, options: MuxerOptions, tracks: Vec<TrackConfig>) -> Result<Self, MuxError> {
        let mut m = Muxer::create(w, options)?;
        m.write_header(&tracks)?;
        Ok(m)
    }

    /// A muxer over a seekable output (a file) that writes nothing until it is opened with its
    /// tracks ([`FrameSink::open`](mjrtool_core::FrameSink::open)); the file starts at the
    /// output's current position.
    ///
    /// # Errors
    ///
    /// [`MuxError::Io`] if the output's position cannot be read.
    pub fn create(mut w: W, options: MuxerOptions) -> Result<Self, MuxError> {
        let origin = w.stream_position()?;
        Ok(Muxer::created(w, Some(patch_at::<W>), origin, options))
    }
}

impl<W: SharedWrite> Muxer<W> {
    /// A muxer over an output that cannot seek (a pipe), with its tracks: writes the header
    /// now.
    ///
    /// # Errors
    ///
    /// [`MuxError::NoTracks`], or [`MuxError::Io`].
    pub fn new_streaming(
        w: W,
        options: MuxerOptions,
        tracks: Vec<TrackConfig>,
    ) -> Result<Self, MuxError> {
        let mut m = Muxer::create_streaming(w, options);
        m.write_header(&tracks)?;
        Ok(m)
    }

    /// A muxer over an output that cannot seek (a pipe) that writes nothing until it is opened
    /// with its tracks ([`FrameSink::open`](mjrtool_core::FrameSink::open)).
    pub fn create_streaming(w: W, mut options: MuxerOptions) -> Self {
        options.seekable = false;
        Muxer::created(w, None, 0, options)
    }

    fn created(w: W, patch: Option<Patcher<W>>, origin: u64, options: MuxerOptions) -> Self {
        let cues = CueIndex::new(0, options.cue_spacing_ms, options.max_cue_points);
        Muxer {
            w,
            patch,
            phase: Phase::Created,
            origin,
            tracks: Vec::new(),
            has_video: false,
            pos: origin,
            segment_size_at: 0,
            segment_data: 0,
            seek_head_at: 0,
            duration_at: 0,
            info_pos: 0,
            tracks_pos: 0,
            tags_pos: None,
            cluster: ClusterBuf::default(),
            cluster_ms: None,
            cluster_cued: false,
            stats: MuxStats {
                cue_spacing_ms: cues.spacing_ms(),
                ..MuxStats::default()
            },
            cues,
            scratch: Vec::with_capacity(16),
            last_ms: 0,
            duration_ns: None,
            options,
        }
    }

    /// Where the muxer is, for a [`MuxError::CallOrder`].
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// WebM or Matroska.
    pub(crate) fn doc_type(&self) -> DocType {
        self.options.doc_type
    }

    /// Writes the EBML header, the start of the Segment, Info and Tracks.
    pub(crate) fn write_header(&mut self, tracks: &[TrackConfig]) -> Result<(), MuxError> {
        if self.phase != Phase::Created {
            return Err(MuxError::CallOrder {
                expected: "open() once, first",
                found: self.phase.name(),
            });
        }
        if tracks.is_empty() {
            return Err(MuxError::NoTracks);
        }
        let start = self.origin;
        let options = &self.options;
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
        let seekable = self.patch.is_some();
        if seekable {
            write_void(&mut h, SEEK_HEAD_ROOM);
        }
        let info_pos = start + h.len() as u64 - segment_data;
        let (info, duration_in_info) = info_element(options, seekable);
        write_id(&mut h, INFO);
        write_size(&mut h, info.len() as u64);
        let duration_at = start + (h.len() + duration_in_info) as u64;
        h.extend_from_slice(&info);
        let tracks_pos = start + h.len() as u64 - segment_data;
        write_master(&mut h, TRACKS, |b| {
            for t in tracks {
                write_master(b, TRACK_ENTRY, |e| t.write_entry(e));
            }
        });
        let tags_pos = start + h.len() as u64 - segment_data;
        crate::config::write_tags(&mut h, &options.tags);
        self.w.write_all(&h)?;
        self.tracks = tracks.iter().map(TrackState::new).collect();
        self.has_video = self.tracks.iter().any(|t| t.video);
        self.cues = CueIndex::new(tracks.len(), options.cue_spacing_ms, options.max_cue_points);
        self.stats = MuxStats {
            bytes: h.len() as u64,
            cue_spacing_ms: self.cues.spacing_ms(),
            ..MuxStats::default()
        };
        self.pos = start + h.len() as u64;
        self.segment_size_at = segment_size_at;
        self.segment_data = segment_data;
        self.seek_head_at = segment_data;
        self.duration_at = duration_at;
        self.info_pos = info_pos;
        self.tracks_pos = tracks_pos;
        self.tags_pos = (!options.tags.is_empty()).then_some(tags_pos);
        self.cluster = ClusterBuf::with_capacity(CLUSTER_START);
        self.phase = Phase::Open;
        Ok(())
    }

    /// Sets the Duration written by [`Muxer::finish`] (by default: the end of the last block,
    /// estimated from each track's last frame interval).
    pub fn set_duration_ns(&mut self, ns: u64) {
        self.duration_ns = Some(ns);
    }

    /// The output (the cluster being built is not in it yet).
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Counters so far.
    pub fn stats(&self) -> MuxStats {
        self.stats
    }

    /// Adds a frame of `track` at `timestamp_ns` (ns from the start of the file). Blocks must
    /// come in time order (equal times are fine).
    ///
    /// # Errors
    ///
    /// [`MuxError::UnknownTrack`], [`MuxError::NonMonotonic`], [`MuxError::BlockTooLarge`],
    /// [`MuxError::InvalidFrame`] (a PCM block that is not whole samples, a subtitle: use
    /// [`Muxer::write_subtitle`]), [`MuxError::CallOrder`] or [`MuxError::Io`].
    pub fn write_block(
        &mut self,
        track: u64,
        timestamp_ns: u64,
        keyframe: bool,
        data: &[u8],
    ) -> Result<(), MuxError> {
        let ti = self.track_index(track)?;
        self.write_indexed(ti, timestamp_ns, None, keyframe, Payload::Borrowed(data))
    }

    /// Adds a subtitle (one message of text) to subtitle track `track`, shown from
    /// `timestamp_ns` for `duration_ns`: a BlockGroup with a BlockDuration. Invalid UTF-8 is
    /// replaced (U+FFFD); see [`TrackConfig::text`] for the WebVTT form. A message with no text
    /// left is not written.
    ///
    /// # Errors
    ///
    /// Those of [`Muxer::write_block`].
    pub fn write_subtitle(
        &mut self,
        track: u64,
        timestamp_ns: u64,
        duration_ns: u64,
        text: &[u8],
    ) -> Result<(), MuxError> {
        let ti = self.track_index(track)?;
        self.write_indexed(
            ti,
            timestamp_ns,
            Some(duration_ns),
            true,
            Payload::Borrowed(text),
        )
    }

    /// The index of track number `track`.
    fn track_index(&self, track: u64) -> Result<usize, MuxError> {
        match self.tracks.iter().position(|t| t.number == track) {
            Some(ti) => Ok(ti),
            None if self.phase != Phase::Open => Err(self.not_open()),
            None => Err(MuxError::UnknownTrack { track }),
        }
    }

    /// The error for a block that comes before `open` or after `finish`.
    pub(crate) fn not_open(&self) -> MuxError {
        MuxError::CallOrder {
            expected: "write() between open() and finish()",
            found: self.phase.name(),
        }
    }

    /// [`Muxer::write_block`] for the track at index `ti` of the list the file was opened with.
    pub(crate) fn write_indexed(
        &mut self,
        ti: usize,
        timestamp_ns: u64,
        duration_ns: Option<u64>,
        keyframe: bool,
        payload: Payload<'_>,
    ) -> Result<(), MuxError> {
        let len = payload.len();
        if self.phase != Phase::Open {
            return Err(self.not_open());
        }
        let Some(&t) = self.tracks.get(ti) else {
            return Err(MuxError::UnknownTrackIndex {
                index: ti,
                tracks: self.tracks.len(),
            });
        };
        let track = t.number;
        if len > MAX_BLOCK {
            return Err(MuxError::BlockTooLarge { len });
        }
        let ms = self.block_ms(&t, timestamp_ns)?;
        let Some(form) = t.text else {
            if len % t.align != 0 {
                return Err(MuxError::InvalidFrame {
                    track,
                    expected: "a PCM block of whole samples (every channel)",
                    found: format!("{} bytes, not a multiple of {}", len, t.align),
                });
            }
            self.start_block(ti, ms, keyframe, len)?;
            self.simple_block(track, ms, keyframe, payload);
            self.block_written(ti, ms, None);
            return Ok(());
        };
        let Some(duration_ns) = duration_ns else {
            return Err(MuxError::InvalidFrame {
                track,
                expected: "a subtitle with a duration (Placement::duration)",
                found: "none".into(),
            });
        };
        let text = payload.contiguous();
        let payload = text::payload(form, &text);
        if payload.is_empty() {
            return Ok(());
        }
        let end_ns = timestamp_ns.saturating_add(duration_ns);
        let end_ms = (end_ns.saturating_add(500_000) / 1_000_000).min(i64::MAX as u64 / 2) as i64;
        let duration_ms = (end_ms - ms).max(1);
        self.start_block(ti, ms, false, payload.len())?;
        self.group_block(track, ms, duration_ms as u64, &payload);
        self.block_written(ti, ms, Some(duration_ms));
        Ok(())
    }

    /// The block's time in ms (ticks), checked against what track `t` and the cluster hold.
    fn block_ms(&self, t: &TrackState, timestamp_ns: u64) -> Result<i64, MuxError> {
        let track = t.number;
        let ms = (timestamp_ns.saturating_add(500_000) / 1_000_000).min(i64::MAX as u64 / 2) as i64;
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
        Ok(ms)
    }

    /// Closes the cluster when this block must start a new one (`len`: its payload's length),
    /// opens one if none is open, and adds a cue point when the block is a seek point.
    fn start_block(
        &mut self,
        ti: usize,
        ms: i64,
        keyframe: bool,
        len: usize,
    ) -> Result<(), MuxError> {
        let t = self.tracks[ti];
        // Subtitles never start a cue point (nor, since they are never keyframes here, cut a
        // cluster): a seek lands on video keyframes, or on audio when there is no video.
        let mut starts_cue = keyframe && t.text.is_none() && (t.video || !self.has_video);
        if let Some(c) = self.cluster_ms {
            let span = ms - c;
            let cut = span > i16::MAX as i64
                || span as u64 >= self.options.max_cluster_duration_ms
                || self.cluster.len() + len > self.options.max_cluster_bytes
                || (t.video && keyframe && span > 0);
            if cut {
                self.close_cluster()?;
            }
        }
        // A cue names the cluster, and a player starts decoding the track at its first block
        // there: a keyframe after a delta frame of the same time (no new cluster) is none.
        starts_cue &= self.cluster_ms.is_none() || !t.in_cluster;
        if self.cluster_ms.is_none() {
            self.cluster_ms = Some(ms);
            self.cluster_cued = false;
            write_uint(self.cluster.inline(), TIMESTAMP, ms as u64);
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
        Ok(())
    }

    /// Appends a SimpleBlock (Matroska §10.2: track, time relative to the cluster, flags).
    fn simple_block(&mut self, track: u64, ms: i64, keyframe: bool, data: Payload<'_>) {
        let rel = (ms - self.cluster_ms.unwrap_or(ms)) as i16;
        let placing = self.cluster.place(data);
        self.reserve_cluster(match placing {
            Placing::Held(_) => 0,
            Placing::Copied => data.len(),
        });
        let c = self.cluster.inline();
        write_id(c, SIMPLE_BLOCK);
        let track_len = ebml::size_len(track);
        write_size(c, (track_len + 3 + data.len()) as u64);
        write_size(c, track);
        c.extend_from_slice(&rel.to_be_bytes());
        c.push(if keyframe { 0x80 } else { 0 });
        self.cluster.push(data, placing);
    }

    /// Appends a BlockGroup of a Block (no ReferenceBlock: it decodes on its own) and its
    /// BlockDuration in ms.
    fn group_block(&mut self, track: u64, ms: i64, duration_ms: u64, data: &[u8]) {
        let rel = (ms - self.cluster_ms.unwrap_or(ms)) as i16;
        self.reserve_cluster(data.len());
        write_master(self.cluster.inline(), BLOCK_GROUP, |g| {
            write_master(g, BLOCK, |b| {
                write_size(b, track);
                b.extend_from_slice(&rel.to_be_bytes());
                b.push(0);
                b.extend_from_slice(data);
            });
            write_uint(g, BLOCK_DURATION, duration_ms);
        });
    }

    /// Records a block of track `ti` at `ms` (lasting `duration_ms`, when known).
    fn block_written(&mut self, ti: usize, ms: i64, duration_ms: Option<i64>) {
        let st = &mut self.tracks[ti];
        st.in_cluster = true;
        if let Some(d) = duration_ms {
            st.last_step_ms = d;
        } else if let Some(last) = st.last_ms {
            if ms > last {
                st.last_step_ms = ms - last;
            }
        }
        st.last_ms = Some(ms);
        self.last_ms = self.last_ms.max(ms);
        self.stats.blocks += 1;
    }

    /// Makes room for a block that copies `len` bytes into the cluster's buffer without letting
    /// it grow past `max_cluster_bytes` (or the one large block it holds) by doubling.
    fn reserve_cluster(&mut self, len: usize) {
        self.cluster
            .reserve(len + BLOCK_HEADER, self.options.max_cluster_bytes);
    }

    fn close_cluster(&mut self) -> io::Result<()> {
        if self.cluster_ms.take().is_none() {
            return Ok(());
        }
        self.scratch.clear();
        write_id(&mut self.scratch, CLUSTER);
        write_size(&mut self.scratch, self.cluster.len() as u64);
        self.w.write_all(&self.scratch)?;
        self.cluster.write_to(&mut self.w)?;
        let n = (self.scratch.len() + self.cluster.len()) as u64;
        self.pos += n;
        self.stats.bytes += n;
        self.stats.clusters += 1;
        // A buffer that held one block larger than a cluster gives that memory back.
        let keep = self.options.max_cluster_bytes.max(CLUSTER_START);
        self.cluster.clear(keep, CLUSTER_START);
        for t in &mut self.tracks {
            t.in_cluster = false;
        }
        Ok(())
    }

    /// Writes the last cluster and, on a seekable output, the Cues, Duration, SeekHead and
    /// Segment size. Returns the output, flushed. (After
    /// [`FrameSink::finish`](mjrtool_core::FrameSink::finish) it only returns the output, as
    /// [`Muxer::into_inner`] does.)
    ///
    /// # Errors
    ///
    /// [`MuxError::Io`], or [`MuxError::CallOrder`] for a muxer never opened.
    pub fn finish(mut self) -> Result<W, MuxError> {
        if self.phase != Phase::Finished {
            self.finish_in_place()?;
        }
        Ok(self.w)
    }

    /// The output, once the file is finished.
    ///
    /// # Errors
    ///
    /// [`MuxError::CallOrder`] before [`FrameSink::finish`](mjrtool_core::FrameSink::finish)
    /// (the file would be incomplete).
    pub fn into_inner(self) -> Result<W, MuxError> {
        if self.phase != Phase::Finished {
            return Err(MuxError::CallOrder {
                expected: "finish() before into_inner()",
                found: match self.phase {
                    Phase::Created => "a muxer not opened",
                    _ => "a muxer not finished",
                },
            });
        }
        Ok(self.w)
    }

    /// [`Muxer::finish`], keeping the output in the muxer.
    pub(crate) fn finish_in_place(&mut self) -> Result<(), MuxError> {
        if self.phase != Phase::Open {
            return Err(MuxError::CallOrder {
                expected: "finish() once, after open()",
                found: self.phase.name(),
            });
        }
        self.close_cluster()?;
        let Some(patch) = self.patch else {
            self.w.flush()?;
            self.phase = Phase::Finished;
            return Ok(());
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
            if let Some(p) = self.tags_pos {
                entry(TAGS, p);
            }
            if let Some(p) = cues_pos {
                entry(CUES, p);
            }
        });
        let room = SEEK_HEAD_ROOM - sh.len();
        write_void(&mut sh, room);
        patch(&mut self.w, self.seek_head_at, &sh, end)?;
        self.w.flush()?;
        self.phase = Phase::Finished;
        Ok(())
    }
}

/// The Info element's body, and where its Duration's value starts in it (0 without one: only a
/// seekable output gets a Duration, patched at the end).
fn info_element(options: &MuxerOptions, seekable: bool) -> (Vec<u8>, usize) {
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
    (info, duration_in_info)
}

/// A Void element of exactly `len` bytes (at least 2).
fn write_void(out: &mut Vec<u8>, len: usize) {
    let size_len = if len > 128 { 2 } else { 1 };
    out.push(0xEC);
    write_size_fixed(out, (len - 1 - size_len) as u64, size_len);
    out.resize(out.len() + len - 1 - size_len, 0);
}
