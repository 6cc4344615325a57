//! A small WebM/Matroska reader, to verify what the muxer wrote (and for tests and tools).
//!
//! It reads the EBML header, Info, Tracks, Clusters (SimpleBlocks and BlockGroups, known or
//! unknown sizes) and Cues, skips everything else, checks every size against what is left, and
//! refuses what goes past its [`Limits`] (nesting deeper than [`MAX_DEPTH`] by default). It
//! never panics.

use crate::ebml::{self, *};

/// Deepest nesting accepted by default ([`Limits::max_depth`]).
pub const MAX_DEPTH: usize = 16;

/// The caps on what a file's bytes can make the reader do, one value for the crate.
///
/// Every element's size is checked against what is left of its parent, and block payloads are
/// copied out of the input at most once, so the memory taken grows with the input's length;
/// [`Limits::max_blocks`] caps what the per-block bookkeeping adds to that (a 6-byte SimpleBlock
/// costs a [`ParsedBlock`] of about 80 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest element nesting read ([`ReadError::TooDeep`] past it). Default [`MAX_DEPTH`].
    pub max_depth: usize,
    /// Most blocks (SimpleBlocks and BlockGroups) read ([`ReadError::TooMany`] past it).
    /// Default: no cap beyond the input's length.
    pub max_blocks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: MAX_DEPTH,
            max_blocks: usize::MAX,
        }
    }
}

impl Limits {
    /// These limits, reading at most `n` blocks.
    #[must_use]
    pub fn with_max_blocks(mut self, n: usize) -> Self {
        self.max_blocks = n;
        self
    }

    /// These limits, reading elements nested at most `depth` deep.
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// An element ID or size is not a valid VINT, or is cut.
    #[error("invalid element header at byte {offset}")]
    BadHeader {
        /// Where.
        offset: usize,
    },
    /// An element is larger than what is left of its parent.
    #[error("element 0x{id:X} at byte {offset} has {size} bytes, only {available} left")]
    TooLarge {
        /// Element ID.
        id: u32,
        /// Where.
        offset: usize,
        /// Declared size.
        size: u64,
        /// Bytes left.
        available: usize,
    },
    /// Nesting deeper than [`Limits::max_depth`].
    #[error("elements nested deeper than {limit} at byte {offset}")]
    TooDeep {
        /// Where.
        offset: usize,
        /// The cap.
        limit: usize,
    },
    /// More of something than [`Limits`] allows.
    #[error("at byte {offset}: more than {limit} {what}")]
    TooMany {
        /// What (`"blocks"`).
        what: &'static str,
        /// The cap.
        limit: usize,
        /// Where the one past the cap starts.
        offset: usize,
    },
    /// Something required is missing or wrong.
    #[error("at byte {offset}: expected {expected}")]
    Invalid {
        /// Where.
        offset: usize,
        /// What was expected.
        expected: &'static str,
    },
}

/// A track entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedTrack {
    /// TrackNumber.
    pub number: u64,
    /// TrackType (1 video, 2 audio).
    pub track_type: u64,
    /// CodecID.
    pub codec_id: String,
    /// CodecPrivate.
    pub codec_private: Option<Vec<u8>>,
    /// CodecDelay (ns).
    pub codec_delay_ns: Option<u64>,
    /// SeekPreRoll (ns).
    pub seek_preroll_ns: Option<u64>,
    /// PixelWidth.
    pub width: Option<u64>,
    /// PixelHeight.
    pub height: Option<u64>,
    /// SamplingFrequency.
    pub sample_rate: Option<f64>,
    /// Channels.
    pub channels: Option<u64>,
    /// BitDepth (PCM).
    pub bit_depth: Option<u64>,
    /// FlagDefault (`None`: not written, which means 1).
    pub default: Option<bool>,
}

/// A block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBlock {
    /// Track number.
    pub track: u64,
    /// Absolute time in ms (cluster time + relative time, scaled).
    pub timestamp_ms: i64,
    /// Keyframe flag (SimpleBlock) or no ReferenceBlock (BlockGroup).
    pub keyframe: bool,
    /// The frame.
    pub data: Vec<u8>,
    /// BlockDuration, in ms (BlockGroups only).
    pub duration_ms: Option<u64>,
    /// Position of its Cluster from the Segment data start, as in [`ParsedFile::clusters`].
    pub cluster: u64,
}

/// A cue point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedCue {
    /// CueTime (ms).
    pub time_ms: u64,
    /// CueTrack.
    pub track: u64,
    /// CueClusterPosition (from the Segment data start).
    pub cluster_position: u64,
}

/// Everything read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFile {
    /// DocType.
    pub doc_type: String,
    /// TimestampScale (ns per tick).
    pub timestamp_scale: u64,
    /// Duration in ms, if present.
    pub duration_ms: Option<f64>,
    /// Title.
    pub title: Option<String>,
    /// Tracks.
    pub tracks: Vec<ParsedTrack>,
    /// Blocks in file order.
    pub blocks: Vec<ParsedBlock>,
    /// Cue points.
    pub cues: Vec<ParsedCue>,
    /// Cluster positions (from the Segment data start).
    pub clusters: Vec<u64>,
    /// Segment data start (absolute byte offset).
    pub segment_data: usize,
}

struct Element {
    id: u32,
    start: usize,
    data: usize,
    end: usize,
    unknown: bool,
}

/// Reads the element header at `pos`; `limit` is the end of the parent.
fn element(buf: &[u8], pos: usize, limit: usize) -> Result<Element, ReadError> {
    let slice = &buf[pos..limit];
    let (id, idl) = ebml::read_id(slice).ok_or(ReadError::BadHeader { offset: pos })?;
    let (size, sl) = ebml::read_size(&slice[idl..]).ok_or(ReadError::BadHeader { offset: pos })?;
    let data = pos + idl + sl;
    let available = limit - data;
    match size {
        None => Ok(Element {
            id,
            start: pos,
            data,
            end: limit,
            unknown: true,
        }),
        Some(s) if s > available as u64 => Err(ReadError::TooLarge {
            id,
            offset: pos,
            size: s,
            available,
        }),
        Some(s) => Ok(Element {
            id,
            start: pos,
            data,
            end: data + s as usize,
            unknown: false,
        }),
    }
}

fn uint(buf: &[u8], e: &Element) -> Result<u64, ReadError> {
    ebml::read_uint(&buf[e.data..e.end]).ok_or(ReadError::Invalid {
        offset: e.start,
        expected: "an integer of at most 8 bytes",
    })
}

fn text(buf: &[u8], e: &Element) -> String {
    String::from_utf8_lossy(&buf[e.data..e.end])
        .trim_end_matches('\0')
        .to_string()
}

/// Top-level elements of a Segment: an unknown-size Cluster ends where one of these starts.
fn is_level1(id: u32) -> bool {
    matches!(
        id,
        CLUSTER | CUES | TAGS | CHAPTERS | ATTACHMENTS | INFO | TRACKS | SEEK_HEAD
    )
}

/// Reads a whole file, with the default [`Limits`].
///
/// # Errors
///
/// [`ReadError`] for the first element that is malformed, out of place or past a limit.
pub fn parse(buf: &[u8]) -> Result<ParsedFile, ReadError> {
    parse_with_limits(buf, &Limits::default())
}

/// Reads a whole file, refusing what goes past `limits`.
///
/// # Errors
///
/// [`ReadError`] for the first element that is malformed, out of place or past a limit.
pub fn parse_with_limits(buf: &[u8], limits: &Limits) -> Result<ParsedFile, ReadError> {
    let mut f = ParsedFile {
        timestamp_scale: 1_000_000,
        ..ParsedFile::default()
    };
    let mut pos = 0;
    let mut saw_header = false;
    while pos < buf.len() {
        let e = element(buf, pos, buf.len())?;
        match e.id {
            EBML => {
                saw_header = true;
                each_child(buf, limits, &e, 1, &mut |c| {
                    if c.id == DOC_TYPE {
                        f.doc_type = text(buf, c);
                    }
                    Ok(())
                })?;
            }
            SEGMENT => {
                if !saw_header {
                    return Err(ReadError::Invalid {
                        offset: e.start,
                        expected: "an EBML header before the Segment",
                    });
                }
                f.segment_data = e.data;
                segment(buf, limits, &e, &mut f)?;
            }
            _ => {}
        }
        pos = e.end;
    }
    if !saw_header {
        return Err(ReadError::Invalid {
            offset: 0,
            expected: "an EBML header",
        });
    }
    Ok(f)
}

fn each_child(
    buf: &[u8],
    limits: &Limits,
    parent: &Element,
    depth: usize,
    f: &mut dyn FnMut(&Element) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    if depth > limits.max_depth {
        return Err(ReadError::TooDeep {
            offset: parent.start,
            limit: limits.max_depth,
        });
    }
    let mut pos = parent.data;
    while pos < parent.end {
        let c = element(buf, pos, parent.end)?;
        if c.unknown {
            return Err(ReadError::Invalid {
                offset: c.start,
                expected: "a known size inside this element",
            });
        }
        f(&c)?;
        pos = c.end;
    }
    Ok(())
}

fn segment(
    buf: &[u8],
    limits: &Limits,
    seg: &Element,
    f: &mut ParsedFile,
) -> Result<(), ReadError> {
    let mut pos = seg.data;
    while pos < seg.end {
        let e = element(buf, pos, seg.end)?;
        match e.id {
            INFO => each_child(buf, limits, &e, 2, &mut |c| {
                match c.id {
                    TIMESTAMP_SCALE => f.timestamp_scale = uint(buf, c)?.max(1),
                    DURATION => {
                        f.duration_ms = Some(ebml::read_float(&buf[c.data..c.end]).ok_or(
                            ReadError::Invalid {
                                offset: c.start,
                                expected: "a 4- or 8-byte float Duration",
                            },
                        )?)
                    }
                    TITLE => f.title = Some(text(buf, c)),
                    _ => {}
                }
                Ok(())
            })?,
            TRACKS => each_child(buf, limits, &e, 2, &mut |t| {
                if t.id == TRACK_ENTRY {
                    let mut tr = ParsedTrack::default();
                    each_child(buf, limits, t, 3, &mut |c| {
                        match c.id {
                            TRACK_NUMBER => tr.number = uint(buf, c)?,
                            TRACK_TYPE => tr.track_type = uint(buf, c)?,
                            CODEC_ID => tr.codec_id = text(buf, c),
                            FLAG_DEFAULT => tr.default = Some(uint(buf, c)? != 0),
                            CODEC_PRIVATE => tr.codec_private = Some(buf[c.data..c.end].to_vec()),
                            CODEC_DELAY => tr.codec_delay_ns = Some(uint(buf, c)?),
                            SEEK_PRE_ROLL => tr.seek_preroll_ns = Some(uint(buf, c)?),
                            VIDEO | AUDIO => each_child(buf, limits, c, 4, &mut |v| {
                                match v.id {
                                    PIXEL_WIDTH => tr.width = Some(uint(buf, v)?),
                                    PIXEL_HEIGHT => tr.height = Some(uint(buf, v)?),
                                    CHANNELS => tr.channels = Some(uint(buf, v)?),
                                    BIT_DEPTH => tr.bit_depth = Some(uint(buf, v)?),
                                    SAMPLING_FREQUENCY => {
                                        tr.sample_rate = ebml::read_float(&buf[v.data..v.end])
                                    }
                                    _ => {}
                                }
                                Ok(())
                            })?,
                            _ => {}
                        }
                        Ok(())
                    })?;
                    f.tracks.push(tr);
                }
                Ok(())
            })?,
            CUES => each_child(buf, limits, &e, 2, &mut |p| {
                if p.id == CUE_POINT {
                    let mut time = None;
                    each_child(buf, limits, p, 3, &mut |c| {
                        match c.id {
                            CUE_TIME => time = Some(uint(buf, c)?),
                            CUE_TRACK_POSITIONS => {
                                let (mut track, mut cp) = (None, None);
                                each_child(buf, limits, c, 4, &mut |q| {
                                    match q.id {
                                        CUE_TRACK => track = Some(uint(buf, q)?),
                                        CUE_CLUSTER_POSITION => cp = Some(uint(buf, q)?),
                                        _ => {}
                                    }
                                    Ok(())
                                })?;
                                if let (Some(track), Some(cluster_position)) = (track, cp) {
                                    f.cues.push(ParsedCue {
                                        time_ms: time.unwrap_or(0),
                                        track,
                                        cluster_position,
                                    });
                                }
                            }
                            _ => {}
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            })?,
            CLUSTER => {
                f.clusters.push((e.start - f.segment_data) as u64);
                pos = cluster(buf, limits, &e, f)?;
                continue;
            }
            _ => {
                if e.unknown {
                    return Err(ReadError::Invalid {
                        offset: e.start,
                        expected:
                            "a known size (only Segments and Clusters may have unknown sizes)",
                    });
                }
            }
        }
        pos = e.end;
    }
    Ok(())
}

/// Reads a cluster; returns where the next element starts.
fn cluster(
    buf: &[u8],
    limits: &Limits,
    e: &Element,
    f: &mut ParsedFile,
) -> Result<usize, ReadError> {
    let mut pos = e.data;
    let mut cluster_ts: Option<u64> = None;
    let at = e.start.saturating_sub(f.segment_data) as u64;
    while pos < e.end {
        let c = element(buf, pos, e.end)?;
        if e.unknown && is_level1(c.id) {
            return Ok(pos);
        }
        if c.unknown {
            return Err(ReadError::Invalid {
                offset: c.start,
                expected: "a known size inside a Cluster",
            });
        }
        if matches!(c.id, SIMPLE_BLOCK | BLOCK_GROUP) && f.blocks.len() >= limits.max_blocks {
            return Err(ReadError::TooMany {
                what: "blocks",
                limit: limits.max_blocks,
                offset: c.start,
            });
        }
        match c.id {
            TIMESTAMP => cluster_ts = Some(uint(buf, &c)?),
            SIMPLE_BLOCK => {
                let b = block(buf, &c, cluster_ts, f.timestamp_scale, None)?;
                f.blocks.push(ParsedBlock { cluster: at, ..b });
            }
            BLOCK_GROUP => {
                let mut inner = None;
                let mut referenced = false;
                let mut duration = None;
                each_child(buf, limits, &c, 3, &mut |g| {
                    match g.id {
                        BLOCK => inner = Some((g.start, g.data, g.end)),
                        REFERENCE_BLOCK => referenced = true,
                        BLOCK_DURATION => duration = Some(uint(buf, g)?),
                        _ => {}
                    }
                    Ok(())
                })?;
                if let Some((start, data, end)) = inner {
                    let el = Element {
                        id: BLOCK,
                        start,
                        data,
                        end,
                        unknown: false,
                    };
                    let b = block(buf, &el, cluster_ts, f.timestamp_scale, Some(!referenced))?;
                    let duration_ms = duration.map(|d| {
                        (u128::from(d) * u128::from(f.timestamp_scale) / 1_000_000)
                            .min(u128::from(u64::MAX)) as u64
                    });
                    f.blocks.push(ParsedBlock {
                        cluster: at,
                        duration_ms,
                        ..b
                    });
                }
            }
            _ => {}
        }
        pos = c.end;
    }
    Ok(e.end)
}

fn block(
    buf: &[u8],
    e: &Element,
    cluster_ts: Option<u64>,
    scale: u64,
    key: Option<bool>,
) -> Result<ParsedBlock, ReadError> {
    let Some(cluster_ts) = cluster_ts else {
        return Err(ReadError::Invalid {
            offset: e.start,
            expected: "a cluster Timestamp before its blocks",
        });
    };
    let b = &buf[e.data..e.end];
    let (track, tl) = ebml::read_size(b).ok_or(ReadError::Invalid {
        offset: e.data,
        expected: "a block track number",
    })?;
    let track = track.ok_or(ReadError::Invalid {
        offset: e.data,
        expected: "a block track number",
    })?;
    if b.len() < tl + 3 {
        return Err(ReadError::Invalid {
            offset: e.data,
            expected: "a block header (track, time, flags)",
        });
    }
    let rel = i16::from_be_bytes([b[tl], b[tl + 1]]);
    let flags = b[tl + 2];
    if flags & 0x06 != 0 {
        return Err(ReadError::Invalid {
            offset: e.data,
            expected: "a block without lacing",
        });
    }
    let ticks = cluster_ts as i128 + i128::from(rel);
    let timestamp_ms =
        (ticks * i128::from(scale) / 1_000_000).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    Ok(ParsedBlock {
        track,
        timestamp_ms,
        keyframe: key.unwrap_or(flags & 0x80 != 0),
        data: b[tl + 3..].to_vec(),
        cluster: 0,
        duration_ms: None,
    })
}
