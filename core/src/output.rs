//! [`SharedWrite`]: an output that can take a frame's bytes by reference instead of copying
//! them.

use std::io::{self, Write};

use bytes::Bytes;

/// A byte output to which a muxer hands each frame's payload as the [`Bytes`] it already has.
///
/// An output that gathers its writes for another thread (mjrtool's file writer) keeps the
/// `Bytes` (one more reference to memory that exists anyway) and writes it from there, so the
/// payload is not copied on the way; any other output copies it, which is what the default
/// [`write_shared`](Self::write_shared) does. It is implemented for the usual outputs (`Vec<u8>`,
/// `File`, `BufWriter`, `Cursor`, standard output, `io::Sink`, `&mut` and `Box` of one); an
/// output of your own needs only `impl SharedWrite for MyOutput {}`.
pub trait SharedWrite: Write {
    /// Writes all of `data`, as [`Write::write_all`] would; the output may keep `data` (a
    /// reference count) until it has written it.
    ///
    /// # Errors
    ///
    /// As [`Write::write_all`].
    fn write_shared(&mut self, data: &Bytes) -> io::Result<()> {
        self.write_all(data)
    }
}

impl SharedWrite for Vec<u8> {}
impl SharedWrite for std::fs::File {}
impl SharedWrite for io::Sink {}
impl SharedWrite for io::Stdout {}
impl SharedWrite for io::StdoutLock<'_> {}
impl<W: Write> SharedWrite for io::BufWriter<W> {}
impl<T> SharedWrite for io::Cursor<T> where io::Cursor<T>: Write {}

impl<W: SharedWrite + ?Sized> SharedWrite for &mut W {
    fn write_shared(&mut self, data: &Bytes) -> io::Result<()> {
        (**self).write_shared(data)
    }
}

impl<W: SharedWrite + ?Sized> SharedWrite for Box<W> {
    fn write_shared(&mut self, data: &Bytes) -> io::Result<()> {
        (**self).write_shared(data)
    }
}

impl SharedWrite for Box<dyn Write + '_> {}
impl SharedWrite for Box<dyn Write + Send + '_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_a_shared_write_is_a_copy() {
        let mut out = Vec::new();
        out.write_shared(&Bytes::from_static(b"abc")).unwrap();
        let by_ref: &mut Vec<u8> = &mut out;
        SharedWrite::write_shared(&mut { by_ref }, &Bytes::from_static(b"d")).unwrap();
        let mut boxed: Box<dyn Write> = Box::new(Vec::new());
        boxed.write_shared(&Bytes::from_static(b"e")).unwrap();
        assert_eq!(out, b"abcd");
    }
}
