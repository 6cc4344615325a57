//! [`WavOutput`]: where a WAV file goes, and whether its header can be rewritten at the end.
//!
//! A WAV header holds the sizes of the file and of its samples, which are known only at the end.
//! A file can go back and fix them ([`SeekOutput`], through [`WavOutput::write_at`]); a pipe
//! cannot ([`StreamOutput`]), so its header says "size unknown" (0xFFFFFFFF, as ffmpeg writes to
//! a pipe) and readers take the samples up to the end of the stream.

use std::io::{self, Seek, SeekFrom, Write};

/// An output that a WAV file is appended to, and that may let earlier bytes be rewritten.
///
/// # For implementations
///
/// [`append`](Self::append) adds bytes at the end. [`write_at`](Self::write_at) overwrites
/// bytes already appended (only the header's size fields) and leaves the end where it was; an
/// output that cannot go back says so with [`seekable`](Self::seekable) returning false, and is
/// then never asked to. [`append_zeros`](Self::append_zeros) may be overridden by an output that
/// can leave a hole (a sparse file, a test's counter).
pub trait WavOutput {
    /// Whether [`write_at`](Self::write_at) works: asked once, before the header is written.
    fn seekable(&self) -> bool;
    /// Adds `bytes` at the end.
    ///
    /// # Errors
    ///
    /// The output failed.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Adds `n` zero bytes at the end (silence).
    ///
    /// # Errors
    ///
    /// The output failed.
    fn append_zeros(&mut self, mut n: u64) -> io::Result<()> {
        const ZEROS: [u8; 8192] = [0; 8192];
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.append(&ZEROS[..k])?;
            n -= k as u64;
        }
        Ok(())
    }
    /// Overwrites `bytes` at `offset` from the start of the file, all of them already appended.
    ///
    /// # Errors
    ///
    /// The output failed, or cannot go back.
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Pushes what is buffered to its destination.
    ///
    /// # Errors
    ///
    /// The output failed.
    fn flush(&mut self) -> io::Result<()>;
}

/// A seekable output (a file, a `Cursor`): the WAV file starts where `W` stands when the sink
/// writes its header, and the header's sizes are fixed at the end.
#[derive(Debug)]
pub struct SeekOutput<W: Write + Seek> {
    w: W,
    /// Where the file starts in `w`, once known.
    base: Option<u64>,
    /// Bytes appended.
    len: u64,
}

impl<W: Write + Seek> SeekOutput<W> {
    /// The file goes to `w`, from its current position on.
    pub fn new(w: W) -> Self {
        SeekOutput {
            w,
            base: None,
            len: 0,
        }
    }

    /// The output back.
    pub fn into_inner(self) -> W {
        self.w
    }

    fn base(&mut self) -> io::Result<u64> {
        match self.base {
            Some(b) => Ok(b),
            None => {
                let b = self.w.stream_position()?;
                self.base = Some(b);
                Ok(b)
            }
        }
    }
}

impl<W: Write + Seek> WavOutput for SeekOutput<W> {
    fn seekable(&self) -> bool {
        true
    }
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.base()?;
        self.w.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let base = self.base()?;
        if offset + bytes.len() as u64 > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "expected a rewrite of bytes already written (below {}), found bytes {offset}..{}",
                    self.len,
                    offset + bytes.len() as u64
                ),
            ));
        }
        self.w.seek(SeekFrom::Start(base + offset))?;
        self.w.write_all(bytes)?;
        self.w.seek(SeekFrom::Start(base + self.len))?;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// An output that can only be appended to (a pipe, a socket): the header's sizes stay
/// 0xFFFFFFFF ("unknown"), which ffmpeg and most readers take as "samples up to the end of the
/// stream".
#[derive(Debug)]
pub struct StreamOutput<W: Write>(pub W);

impl<W: Write> StreamOutput<W> {
    /// The output back.
    pub fn into_inner(self) -> W {
        self.0
    }
}

impl<W: Write> WavOutput for StreamOutput<W> {
    fn seekable(&self) -> bool {
        false
    }
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }
    fn write_at(&mut self, offset: u64, _bytes: &[u8]) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("expected a seekable output, found a stream (a rewrite at byte {offset})"),
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn a_rewrite_lands_where_the_file_started_and_the_end_stays() {
        let mut c = Cursor::new(b"xx".to_vec());
        c.set_position(2);
        let mut o = SeekOutput::new(c);
        o.append(b"abcd").unwrap();
        o.write_at(1, b"Z").unwrap();
        o.append(b"e").unwrap();
        assert!(o.write_at(4, b"12").is_err());
        assert_eq!(o.into_inner().into_inner(), b"xxaZcde");
    }
}
