//! The streaming reader: a recording over any [`Read`], packet by packet, in bounded memory.

use std::collections::VecDeque;
use std::io::{self, Read};

use bytes::{Bytes, BytesMut};

use crate::error::{show_bytes, Error, Warning};
use crate::frame::{min_body, parse_frame_head, plausible_frame, FrameHead, FRAME_HEADER_LEN};
use crate::header::{parse_header, FormatVersion, Header, MediaKind};
use crate::Parsed;

/// How bytes are read from the source: this many at a time. Packets are handed out as slices of
/// these reads, so there is no copy and no allocation per packet.
const CHUNK: usize = 256 * 1024;
/// The first read is this small (small files stay cheap); each next one doubles up to [`CHUNK`].
const FIRST_CHUNK: usize = 16 * 1024;
/// The longest frame: a 10-byte header and a body of at most 65535 bytes.
const MAX_FRAME: usize = FRAME_HEADER_LEN + 0xFFFF;
/// Earlier reads kept to be filled again once no packet sliced from them is left (see
/// [`MjrReader`]'s memory note). Frames hold their packets' payloads until they are written,
/// so a converter keeps many reads in use (mjrtool: a WebM cluster of up to 5 s, 3 MiB read
/// ahead, 4 MiB handed to the file writer: some 30 reads of 2 Mbit/s video); with fewer kept
/// here, reads were often new memory, zeroed and faulted in (the hour of VP8 + Opus: 14,700
/// page faults with 16 kept and those not in use let go, 3,400 with 48 kept).
const EARLIER: usize = 48;
/// Room left in a new read's buffer past what it is asked for, so that it can be reused for a
/// next read that keeps a few more bytes of the last frame.
const SLACK: usize = 4 * 1024;

/// The most bytes a [`MjrReader`] holds in its buffer, whatever the input: one read (`CHUNK`,
/// 256 KiB) on top of what must be looked at together, at most two frames (one, and the one a
/// header inside it claims) and the first byte of the header after them, just under 384 KiB.
/// (Packets handed out keep their own read alive until they are dropped.)
pub const MAX_BUFFER: usize = CHUNK + 2 * MAX_FRAME + FRAME_HEADER_LEN + 1;

/// How a [`MjrReader`] used its buffer: what reading cost, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BufferStats {
    /// Reads from the source that refilled the buffer.
    pub refills: u64,
    /// Bytes moved from an old buffer into a new one (the unread rest, at each refill). Every
    /// refill reads at least as much as it moves, once the reads have grown to `CHUNK`: the
    /// work stays proportional to the input.
    pub bytes_copied: u64,
    /// The largest buffer held, in bytes (at most [`MAX_BUFFER`]).
    pub peak_buffer: usize,
}

/// One frame of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Byte offset of the frame header in the file.
    pub offset: u64,
    /// Milliseconds since the first frame was written (MJR00002 only).
    pub time_ms: Option<u32>,
    /// For data-channel recordings, when the message was received (µs since the Unix epoch).
    pub data_time_us: Option<i64>,
    /// The RTP packet (audio, video) or the message (data).
    pub data: Bytes,
}

/// The caps on what a recording's bytes can make the reader keep, one value for the crate.
///
/// Everything else is bounded by the format itself: a frame's length is 16 bits, so the buffer
/// never holds more than [`MAX_BUFFER`] bytes whatever the input (the header, the first frame,
/// included), and each packet handed out is at most 65535 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// How many warnings [`MjrReader::warnings`] keeps; past it, warnings are only counted
    /// ([`MjrReader::warning_count`]). A damaged file can hold one warning every few bytes.
    /// Default 32.
    pub max_warnings_kept: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_warnings_kept: 32,
        }
    }
}

impl Limits {
    /// These limits, keeping at most `n` warnings.
    pub fn with_max_warnings_kept(mut self, n: usize) -> Self {
        self.max_warnings_kept = n;
        self
    }
}

/// How lenient the reader is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Turn the first warning into [`Error::Strict`].
    pub strict: bool,
    /// The caps on what the input can make the reader keep.
    pub limits: Limits,
}

/// Reads a recording from any [`Read`], never holding more than [`MAX_BUFFER`] bytes (under
/// 384 KiB), in time proportional to the input, however damaged.
///
/// A frame is handed out only once the bytes right after it are seen to be another frame header
/// or the end of the file. Damage is survived where possible: a file cut in the middle of a
/// frame ends with a [`Warning::Truncated`]; garbage between frames is skipped up to the next
/// frame header that is itself followed by a frame header or the end ([`Warning::SkippedGarbage`]);
/// a frame whose length runs into the next frame (a torn write) is dropped
/// ([`Warning::TornFrame`]); a frame whose length ends in garbage (bytes inserted into it, or
/// after it: the two cannot be told apart) is dropped with that garbage
/// ([`Warning::MisalignedFrame`]).
///
/// Reading does not clear memory: a buffer is reused, once every packet sliced from it is gone,
/// for a later read (a new one would have to be zeroed first: std reads only into initialized
/// memory without `unsafe`). Besides the buffer, a reader keeps the last `EARLIER` (48)
/// reads for this; those still in use by packets cost nothing more, the others wait to be
/// filled again. A new buffer is made only when none of those is free and large enough, so a
/// reader holds hardly more buffers than were in use at once.
#[derive(Debug)]
pub struct MjrReader<R> {
    inner: R,
    chunk: Bytes,
    earlier: VecDeque<Bytes>,
    pos: usize,
    base: u64,
    eof: bool,
    done: bool,
    header: Header,
    options: ReaderOptions,
    warnings: Vec<Warning>,
    warning_count: u64,
    bytes_skipped: u64,
    chunk_size: usize,
    buffer_stats: BufferStats,
}

/// What is at a position of the frame area.
enum At {
    Frame(usize),
    End,
    Nothing,
}

impl<R: Read> MjrReader<R> {
    /// Reads the header, leniently.
    pub fn new(inner: R) -> Result<Self, Error> {
        Self::with_options(inner, ReaderOptions::default())
    }

    /// Reads the header with `options`.
    pub fn with_options(inner: R, options: ReaderOptions) -> Result<Self, Error> {
        let mut r = MjrReader {
            inner,
            chunk: Bytes::new(),
            earlier: VecDeque::with_capacity(EARLIER),
            pos: 0,
            base: 0,
            eof: false,
            done: false,
            header: crate::Header::new(MediaKind::Data, crate::Codec::Text),
            options,
            warnings: Vec::new(),
            warning_count: 0,
            bytes_skipped: 0,
            chunk_size: FIRST_CHUNK,
            buffer_stats: BufferStats::default(),
        };
        let mut need = FRAME_HEADER_LEN;
        let parsed = loop {
            let enough = r.ensure(need)?;
            match parse_header(&r.chunk[r.pos..])? {
                Parsed::Complete(p) => break p,
                Parsed::Incomplete { needed } => {
                    if !enough {
                        let avail = r.avail();
                        if avail < 8 {
                            return Err(Error::NotMjr {
                                found: show_bytes(&r.chunk[r.pos..]),
                            });
                        }
                        return Err(Error::UnexpectedEof {
                            offset: avail as u64,
                            expected: "the rest of the info header",
                        });
                    }
                    need = r.avail() + needed;
                }
            }
        };
        r.pos += parsed.len;
        r.header = parsed.header;
        for w in parsed.warnings {
            r.warn(w)?;
        }
        Ok(r)
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The first warnings (at most [`Limits::max_warnings_kept`]).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// How many warnings there were.
    pub fn warning_count(&self) -> u64 {
        self.warning_count
    }

    /// Bytes skipped as garbage or torn frames.
    pub fn bytes_skipped(&self) -> u64 {
        self.bytes_skipped
    }

    /// How the buffer was used so far.
    pub fn buffer_stats(&self) -> BufferStats {
        self.buffer_stats
    }

    /// Bytes of the file consumed so far.
    pub fn position(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn here(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn avail(&self) -> usize {
        self.chunk.len() - self.pos
    }

    /// Makes at least `need` bytes available from `pos` if the source has them; false at the end.
    fn ensure(&mut self, need: usize) -> io::Result<bool> {
        if self.avail() >= need {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        // Read at least a whole chunk more than what is kept, so that the bytes moved at each
        // refill (at most `need`) are paid for by as many new ones.
        let kept = self.avail();
        let want = need.max(kept + self.chunk_size);
        self.chunk_size = (self.chunk_size * 2).min(CHUNK);
        // `want` bytes: what is kept, then room for the read (only bytes never written before
        // are zeroed).
        let mut v = self.buffer_for(want);
        if v.len() > want {
            v.truncate(want);
        } else {
            v.resize(want, 0);
        }
        v[..kept].copy_from_slice(&self.chunk[self.pos..]);
        self.buffer_stats.refills += 1;
        self.buffer_stats.bytes_copied += kept as u64;
        self.buffer_stats.peak_buffer = self.buffer_stats.peak_buffer.max(want);
        self.base += self.pos as u64;
        self.pos = 0;
        // One read call per refill where the source gives what is asked (a file does):
        // `read_to_end` would probe with small reads first.
        let mut filled = kept;
        while filled < want {
            match self.inner.read(&mut v[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        v.truncate(filled);
        let old = std::mem::replace(&mut self.chunk, v.freeze());
        if !old.is_empty() {
            if self.earlier.len() == EARLIER {
                self.earlier.pop_front();
            }
            self.earlier.push_back(old);
        }
        Ok(self.avail() >= need)
    }

    /// A buffer with room for `want` bytes, its bytes those of an earlier read no packet uses
    /// any more (the other unused ones stay for the next reads), else a new, empty one.
    fn buffer_for(&mut self, want: usize) -> BytesMut {
        for i in 0..self.earlier.len() {
            if !self.earlier[i].is_unique() {
                continue;
            }
            let Some(b) = self.earlier.remove(i) else {
                break;
            };
            match b.try_into_mut() {
                Ok(m) if m.capacity() >= want => return m,
                // Too small for this read (or shared after all): kept for a later one.
                Ok(m) => self.earlier.insert(i, m.freeze()),
                Err(b) => self.earlier.insert(i, b),
            }
        }
        BytesMut::with_capacity((want + SLACK).min(MAX_BUFFER).max(want))
    }

    fn warn(&mut self, w: Warning) -> Result<(), Error> {
        if self.options.strict {
            self.done = true;
            return Err(Error::Strict(w));
        }
        self.warning_count += 1;
        if self.warnings.len() < self.options.limits.max_warnings_kept {
            self.warnings.push(w);
        }
        Ok(())
    }

    /// What is at `rel` bytes after `pos` (reads as needed).
    fn at(&mut self, rel: usize) -> io::Result<At> {
        self.ensure(rel + FRAME_HEADER_LEN + 1)?;
        let start = self.pos + rel;
        if start >= self.chunk.len() {
            return Ok(if self.eof { At::End } else { At::Nothing });
        }
        let buf = &self.chunk[start..];
        if buf.len() < FRAME_HEADER_LEN {
            // The file ends here; whether this was a header will show as a truncation.
            return Ok(match parse_frame_head(buf, self.header.version) {
                Parsed::Incomplete { .. } => At::End,
                _ => At::Nothing,
            });
        }
        Ok(
            match plausible_frame(buf, self.header.version, self.header.kind) {
                Some(len) => At::Frame(len),
                None => At::Nothing,
            },
        )
    }

    /// Whether a frame starts at `rel` and is followed by another frame or the end of the file.
    fn chain_at(&mut self, rel: usize) -> io::Result<bool> {
        match self.at(rel)? {
            At::Frame(len) => Ok(matches!(self.at(rel + len)?, At::Frame(_) | At::End)),
            _ => Ok(false),
        }
    }

    /// A frame start strictly inside `(pos + from, pos + to)`, for torn frames.
    fn frame_inside(&mut self, from: usize, to: usize) -> io::Result<Option<usize>> {
        let mut rel = from;
        while rel < to {
            let end = (self.pos + to).min(self.chunk.len());
            let Some(i) = self.chunk[self.pos + rel..end]
                .iter()
                .position(|&b| b == b'M')
            else {
                return Ok(None);
            };
            rel += i;
            if self.chain_at(rel)? {
                return Ok(Some(rel));
            }
            rel += 1;
        }
        Ok(None)
    }

    /// Moves past at least one byte, up to the next frame that is followed by another frame or
    /// the end of the file (or to the end), and says how many bytes it passed. `pos` moves with
    /// the search, so the bytes passed are let go: memory stays bounded and each byte is looked
    /// at once.
    fn skip_to_frame(&mut self) -> io::Result<u64> {
        let mut skipped: u64 = 0;
        let mut step = 1;
        loop {
            if !self.ensure(step + 1)? {
                skipped += self.avail() as u64;
                self.pos = self.chunk.len();
                return Ok(skipped);
            }
            self.pos += step;
            skipped += step as u64;
            match self.chunk[self.pos..].iter().position(|&b| b == b'M') {
                None => {
                    skipped += self.avail() as u64;
                    self.pos = self.chunk.len();
                    step = 0;
                }
                Some(i) => {
                    self.pos += i;
                    skipped += i as u64;
                    // Every frame or info header starts with "MEET" or "MJR0": most garbage
                    // fails here, without the full check.
                    let head = &self.chunk[self.pos..self.chunk.len().min(self.pos + 4)];
                    let maybe = head.len() < 4 || head == b"MEET" || head == b"MJR0";
                    if maybe && self.chain_at(0)? {
                        return Ok(skipped);
                    }
                    step = 1;
                }
            }
        }
    }

    /// Skips garbage at `pos` up to the next plausible frame (or the end).
    fn resync(&mut self) -> Result<(), Error> {
        let offset = self.here();
        let skipped = self.skip_to_frame()?;
        self.bytes_skipped += skipped;
        self.warn(Warning::SkippedGarbage {
            offset,
            len: skipped,
        })
    }

    /// The next packet; `Ok(None)` at the end (after a warning if the end was damaged).
    ///
    /// # Errors
    /// [`Error::Io`] when reading fails; [`Error::Strict`] at the first damage in strict mode.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, Error> {
        while !self.done {
            let offset = self.here();
            if !self.ensure(FRAME_HEADER_LEN)? {
                let left = self.avail();
                self.done = true;
                if left > 0 {
                    self.pos = self.chunk.len();
                    self.warn(Warning::Truncated {
                        offset,
                        expected: FRAME_HEADER_LEN as u64,
                        found: left as u64,
                    })?;
                }
                return Ok(None);
            }
            let (time_ms, body_len) =
                match parse_frame_head(&self.chunk[self.pos..], self.header.version) {
                    Parsed::Complete(FrameHead::Frame { time_ms, body_len }) => (time_ms, body_len),
                    Parsed::Complete(FrameHead::InfoHeader { len }) => {
                        // Checked like a frame: garbage can start like a header too.
                        let version = self.header.version;
                        let kind = self.header.kind;
                        if plausible_frame(&self.chunk[self.pos..], version, kind).is_none() {
                            self.resync()?;
                        } else if self.frame_is_whole(offset, len - FRAME_HEADER_LEN)? {
                            self.pos += len;
                            self.warn(Warning::RepeatedHeader { offset })?;
                        }
                        continue;
                    }
                    _ => {
                        self.resync()?;
                        continue;
                    }
                };
            if !self.frame_is_whole(offset, body_len)? {
                continue;
            }
            if let Some(p) = self.take_frame(offset, time_ms, body_len)? {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// Whether the frame at `pos` can be handed out: it is complete and the bytes after it are
    /// a frame header or the end. If not, moves past it (and says why) and returns false.
    fn frame_is_whole(&mut self, offset: u64, body_len: usize) -> Result<bool, Error> {
        let total = FRAME_HEADER_LEN + body_len;
        let complete = self.ensure(total)?;
        if complete && matches!(self.at(total)?, At::Frame(_) | At::End) {
            return Ok(true);
        }
        // If a frame starts inside this one, this frame was torn (its writing stopped short).
        let to = total.min(self.avail());
        if let Some(next) = self.frame_inside(FRAME_HEADER_LEN, to)? {
            self.pos += next;
            self.bytes_skipped += next as u64;
            self.warn(Warning::TornFrame {
                offset,
                len: body_len as u64,
                next: offset + next as u64,
            })?;
            return Ok(false);
        }
        if !complete {
            let found = self.avail() as u64;
            self.pos = self.chunk.len();
            self.done = true;
            self.warn(Warning::Truncated {
                offset,
                expected: total as u64,
                found,
            })?;
            return Ok(false);
        }
        // Its length ends in garbage: bytes were inserted into it (or after it; that cannot be
        // told apart). Its body may hold foreign bytes, so it goes, with the garbage.
        self.pos += total;
        let garbage = self.skip_to_frame()?;
        self.bytes_skipped += total as u64 + garbage;
        self.warn(Warning::MisalignedFrame {
            offset,
            len: body_len as u64,
            next: self.here(),
        })?;
        Ok(false)
    }

    /// Hands out the whole frame at `pos` (`None` if too short for this kind of recording).
    fn take_frame(
        &mut self,
        offset: u64,
        time_ms: Option<u32>,
        body_len: usize,
    ) -> Result<Option<Packet>, Error> {
        let kind = self.header.kind;
        let start = self.pos + FRAME_HEADER_LEN;
        self.pos += FRAME_HEADER_LEN + body_len;
        if body_len < min_body(kind) {
            self.warn(Warning::SkippedShort {
                offset,
                len: body_len as u64,
                min: min_body(kind) as u64,
            })?;
            return Ok(None);
        }
        let (data_time_us, data) = if kind == MediaKind::Data {
            let t = &self.chunk[start..start + 8];
            let us = i64::from_be_bytes([t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]]);
            (Some(us), self.chunk.slice(start + 8..start + body_len))
        } else {
            (None, self.chunk.slice(start..start + body_len))
        };
        let time_ms = time_ms.filter(|_| self.header.version == FormatVersion::Mjr2);
        Ok(Some(Packet {
            offset,
            time_ms,
            data_time_us,
            data,
        }))
    }
}

impl<R: Read> Iterator for MjrReader<R> {
    type Item = Result<Packet, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_packet() {
            Ok(p) => p.map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, MjrWriter};

    /// An RTP packet (version 2, payload type 96) of `len` bytes whose body says `seq`.
    fn rtp(seq: u16, len: usize) -> Vec<u8> {
        let mut p = vec![0x80, 96];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend((4..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seq as u8)));
        p
    }

    #[test]
    fn reused_reads_never_overwrite_a_packet_still_held() {
        let header = Header::new(MediaKind::Video, Codec::Vp8);
        let mut w = MjrWriter::new(Vec::new(), &header).unwrap();
        let written: Vec<Vec<u8>> = (0..6000u16)
            .map(|i| rtp(i, 12 + (usize::from(i) * 7919) % 1400))
            .collect();
        for (i, p) in written.iter().enumerate() {
            w.write_rtp(i as u32, p).unwrap();
        }
        let file = w.finish().unwrap();
        let mut r = MjrReader::new(&file[..]).unwrap();
        // Every 5th packet is held to the end, pinning its read; the others go at once, so
        // that their reads are reused.
        let mut held = Vec::new();
        let mut i = 0;
        while let Some(p) = r.next_packet().unwrap() {
            assert_eq!(p.data, written[i], "packet {i}");
            if i % 5 == 0 {
                held.push((i, p.data));
            }
            i += 1;
        }
        assert_eq!(i, written.len());
        assert!(r.buffer_stats().refills > 10, "{:?}", r.buffer_stats());
        for (i, data) in held {
            assert_eq!(data, written[i], "held packet {i} changed");
        }
    }
}
