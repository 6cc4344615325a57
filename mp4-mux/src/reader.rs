//! A small verification reader: the box tree, and per track its sample entry, its edits and
//! every sample (time, duration, sync flag, bytes), from sample tables (§8.5 to §8.7) or from
//! fragments (§8.8). It reads what this crate writes and the common layouts of other writers.
//!
//! It never panics and its work is bounded by the input: it refuses a file declaring more
//! samples than it has bytes, and allocates per sample only for samples it has read.

use std::fmt;

/// An MP4 file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4File<'a> {
    /// `ftyp`'s major brand.
    pub major_brand: [u8; 4],
    /// The movie timescale (`mvhd`), ticks per second.
    pub timescale: u32,
    /// The movie duration (`mvhd`), movie ticks.
    pub duration: u64,
    /// Whether `moov` has an `mvex` (the samples are in fragments).
    pub fragmented: bool,
    /// The tracks, in `moov` order.
    pub tracks: Vec<Track<'a>>,
}

/// One track as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Track<'a> {
    /// `tkhd` track_ID.
    pub id: u32,
    /// The sample entry's type: `avc1`, `hvc1`, `av01`, `vp09`, `Opus`, `sowt`…
    pub codec: [u8; 4],
    /// The body of the sample entry's first child box (`avcC`, `hvcC`, `av1C`, `vpcC`, `dOps`),
    /// after its header (and, for `vpcC`, its version and flags).
    pub config: Option<&'a [u8]>,
    /// Picture width and height (visual entries).
    pub size: Option<(u16, u16)>,
    /// Channel count and sample rate (audio entries).
    pub audio: Option<(u16, u32)>,
    /// The media timescale (`mdhd`), ticks per second.
    pub timescale: u32,
    /// The media duration (`mdhd`), media ticks.
    pub media_duration: u64,
    /// Length of a leading empty edit, movie ticks (0 if none).
    pub empty_edit: u64,
    /// Media time where the first media edit starts (0 without an edit list).
    pub media_time: i64,
    /// The samples in decoding order.
    pub samples: Vec<Sample<'a>>,
}

/// One sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample<'a> {
    /// Decode time, media ticks (from 0 for sample tables; from `tfdt` in fragments).
    pub time: u64,
    /// Duration, media ticks.
    pub duration: u32,
    /// A sync sample (decodes on its own).
    pub sync: bool,
    /// Its bytes.
    pub data: &'a [u8],
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// What the format requires there.
    pub expected: &'static str,
    /// What is there.
    pub found: String,
    /// Where, from the start of the file.
    pub offset: usize,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {}, found {} at byte {}",
            self.expected, self.found, self.offset
        )
    }
}

impl std::error::Error for ReadError {}

pub(crate) fn read_err<T>(
    expected: &'static str,
    found: impl fmt::Display,
    offset: usize,
) -> Result<T, ReadError> {
    Err(ReadError {
        expected,
        found: found.to_string(),
        offset,
    })
}

/// A box: its type, body and where the body starts in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bx<'a> {
    pub(crate) kind: [u8; 4],
    pub(crate) body: &'a [u8],
    pub(crate) at: usize,
    /// Where the box itself starts.
    pub(crate) start: usize,
}

/// The boxes in `buf`, which starts at byte `at` of the file (§4.2).
pub(crate) fn boxes(buf: &[u8], at: usize) -> Result<Vec<Bx<'_>>, ReadError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let rest = &buf[pos..];
        let here = at + pos;
        let mut c = Cur::new(rest, here);
        let size32 = c.u32("a box size")?;
        let kind = c.fourcc()?;
        let (size, header) = match size32 {
            0 => (rest.len() as u64, 8),
            1 => (c.u64("a 64-bit largesize")?, 16),
            n => (u64::from(n), 8),
        };
        if size < header as u64 || size > rest.len() as u64 {
            return read_err(
                "a box size within its parent",
                format!("{size} ({})", String::from_utf8_lossy(&kind)),
                here,
            );
        }
        let size = size as usize;
        out.push(Bx {
            kind,
            body: &rest[header..size],
            at: here + header,
            start: here,
        });
        pos += size;
    }
    Ok(out)
}

pub(crate) fn find<'a>(list: &[Bx<'a>], kind: &[u8; 4]) -> Option<Bx<'a>> {
    list.iter().find(|b| &b.kind == kind).copied()
}

pub(crate) fn require<'a>(
    list: &[Bx<'a>],
    kind: &'static [u8; 4],
    parent: Bx<'_>,
) -> Result<Bx<'a>, ReadError> {
    find(list, kind).map_or_else(|| read_err(box_name(kind), "none", parent.start), Ok)
}

fn box_name(kind: &[u8; 4]) -> &'static str {
    match kind {
        b"moov" => "a moov box",
        b"mvhd" => "an mvhd box",
        b"tkhd" => "a tkhd box",
        b"mdia" => "an mdia box",
        b"mdhd" => "an mdhd box",
        b"minf" => "a minf box",
        b"stbl" => "an stbl box",
        b"stsd" => "an stsd box",
        b"stts" => "an stts box",
        b"stsz" => "an stsz box",
        b"stsc" => "an stsc box",
        _ => "a required box",
    }
}

/// A bounds-checked big-endian reader over a box body.
pub(crate) struct Cur<'a> {
    buf: &'a [u8],
    pos: usize,
    at: usize,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(buf: &'a [u8], at: usize) -> Cur<'a> {
        Cur { buf, pos: 0, at }
    }
    pub(crate) fn of(b: Bx<'a>) -> Cur<'a> {
        Cur::new(b.body, b.at)
    }
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ReadError> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => read_err(
                what,
                format!("{} bytes left", self.buf.len() - self.pos),
                self.at + self.pos,
            ),
        }
    }
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, ReadError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, ReadError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, ReadError> {
        let hi = self.u32(what)?;
        let lo = self.u32(what)?;
        Ok(u64::from(hi) << 32 | u64::from(lo))
    }
    /// A 32-bit field, or 64-bit in a version 1 box.
    pub(crate) fn var(&mut self, wide: bool, what: &'static str) -> Result<u64, ReadError> {
        if wide {
            self.u64(what)
        } else {
            self.u32(what).map(u64::from)
        }
    }
    pub(crate) fn fourcc(&mut self) -> Result<[u8; 4], ReadError> {
        let b = self.take(4, "a box type")?;
        Ok([b[0], b[1], b[2], b[3]])
    }
    /// Version and flags of a full box.
    pub(crate) fn full(&mut self) -> Result<(u8, u32), ReadError> {
        let v = self.u32("a full box's version and flags")?;
        Ok(((v >> 24) as u8, v & 0x00FF_FFFF))
    }
    /// A count of entries of `entry` bytes each, checked against the bytes left.
    pub(crate) fn count(&mut self, entry: usize, what: &'static str) -> Result<usize, ReadError> {
        let at = self.at + self.pos;
        let n = self.u32(what)? as usize;
        let left = self.buf.len() - self.pos;
        if n.saturating_mul(entry) > left {
            return read_err("an entry count that fits its box", n, at);
        }
        Ok(n)
    }
    pub(crate) fn offset(&self) -> usize {
        self.at + self.pos
    }
}

/// Reads `file`.
///
/// # Errors
///
/// A [`ReadError`] where a box is cut short, a required box is missing, a table declares more
/// than it holds, or a sample lies outside the file.
pub fn parse(file: &[u8]) -> Result<Mp4File<'_>, ReadError> {
    let top = boxes(file, 0)?;
    let Some(ftyp) = top.first().filter(|b| &b.kind == b"ftyp") else {
        return read_err("an ftyp box first", "something else", 0);
    };
    let major_brand = Cur::of(*ftyp).fourcc()?;
    let moov = find(&top, b"moov").map_or_else(|| read_err("a moov box", "none", 0), Ok)?;
    let inner = boxes(moov.body, moov.at)?;
    let mvhd = require(&inner, b"mvhd", moov)?;
    let mut c = Cur::of(mvhd);
    let (v, _) = c.full()?;
    c.var(v == 1, "mvhd times")?;
    c.var(v == 1, "mvhd times")?;
    let timescale = c.u32("mvhd timescale")?;
    let duration = c.var(v == 1, "mvhd duration")?;
    let mvex = find(&inner, b"mvex");
    let mut budget = file.len();
    let mut tracks = Vec::new();
    for trak in inner.iter().filter(|b| &b.kind == b"trak") {
        tracks.push(crate::reader_trak::trak(
            file,
            *trak,
            mvex.is_none(),
            &mut budget,
        )?);
    }
    if let Some(mvex) = mvex {
        crate::reader_trak::fragments(file, &top, mvex, &mut tracks, &mut budget)?;
    }
    Ok(Mp4File {
        major_brand,
        timescale,
        duration,
        fragmented: mvex.is_some(),
        tracks,
    })
}
