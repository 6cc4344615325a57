//! Writing recordings, for tests and tools.

use std::io::{self, Write};

use crate::header::{FormatVersion, Header, MediaKind};

/// Writes a recording in any of the three layouts.
///
/// ```
/// use mjr::{Codec, Header, MediaKind, MjrReader, MjrWriter};
/// let mut w = MjrWriter::new(Vec::new(), &Header::new(MediaKind::Audio, Codec::Opus))?;
/// w.write_rtp(0, &[0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xF8])?;
/// let bytes = w.finish()?;
/// let mut r = MjrReader::new(&bytes[..]).unwrap();
/// assert_eq!(r.next_packet().unwrap().unwrap().data.len(), 13);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct MjrWriter<W: Write> {
    w: W,
    version: FormatVersion,
    kind: MediaKind,
}

fn too_long(what: &str, len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} of {len} bytes does not fit an MJR length field (at most 65535)"),
    )
}

impl<W: Write> MjrWriter<W> {
    /// Writes the header (in `header.version`'s layout; a legacy header keeps only the kind).
    pub fn new(mut w: W, header: &Header) -> io::Result<Self> {
        match header.version {
            FormatVersion::Legacy => {
                w.write_all(b"MEETECHO\x00\x05")?;
                w.write_all(match header.kind {
                    MediaKind::Audio => b"audio",
                    MediaKind::Video => b"video",
                    MediaKind::Data => b"data\0",
                })?;
            }
            v => {
                let json = header.to_json();
                let len = u16::try_from(json.len())
                    .map_err(|_| too_long("an info header", json.len()))?;
                w.write_all(v.magic())?;
                w.write_all(&len.to_be_bytes())?;
                w.write_all(json.as_bytes())?;
            }
        }
        Ok(MjrWriter {
            w,
            version: header.version,
            kind: header.kind,
        })
    }

    fn frame_header(&mut self, time_ms: u32, len: usize) -> io::Result<()> {
        let len = u16::try_from(len).map_err(|_| too_long("a frame", len))?;
        let mut h = [0u8; 10];
        match self.version {
            FormatVersion::Mjr2 => {
                h[..4].copy_from_slice(b"MEET");
                h[4..8].copy_from_slice(&time_ms.to_be_bytes());
            }
            _ => h[..8].copy_from_slice(b"MEETECHO"),
        }
        h[8..].copy_from_slice(&len.to_be_bytes());
        self.w.write_all(&h)
    }

    /// Writes an RTP packet received `time_ms` after the first frame (the time is only stored by
    /// MJR00002).
    pub fn write_rtp(&mut self, time_ms: u32, packet: &[u8]) -> io::Result<()> {
        self.frame_header(time_ms, packet.len())?;
        self.w.write_all(packet)
    }

    /// Writes a data-channel message received at `time_us` (µs since the Unix epoch).
    pub fn write_data(&mut self, time_ms: u32, time_us: i64, payload: &[u8]) -> io::Result<()> {
        if self.kind != MediaKind::Data {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "data frame in an audio/video recording",
            ));
        }
        self.frame_header(time_ms, payload.len() + 8)?;
        self.w.write_all(&time_us.to_be_bytes())?;
        self.w.write_all(payload)
    }

    /// Writes bytes as they are (to make damaged files in tests).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}
