//! [`BackgroundWriter`]: a file written by a thread of its own, so that the kernel's copy into
//! the page cache overlaps with reading and muxing, and frames handed over as `Bytes`
//! ([`SharedWrite`]) reach the kernel without a copy.

use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use bytes::{Bytes, BytesMut};
use mjrtool_core::SharedWrite;

/// Bytes are written with one `writev` of about this size. 256 KiB, not more: on the
/// benchmark machine (Linux 6.18, ext4, in a VM) writes of 1 MiB made the kernel's copy into
/// the page cache two to three times slower in most runs (muxing an hour of VP8 + Opus: 0.8-1.0
/// s of system time instead of 0.3 s), and 256 KiB did not (benches/compare.sh, BENCHMARKS.md).
const CHUNK: usize = 256 << 10;
/// Bytes are written with one `writev` of at most this many pieces (below the kernel's 1024).
const PIECES: usize = 512;
/// The writing thread is handed this many such writes at a time: each hand-over may wake it
/// (in a VM, an interrupt to the other core), so they are made four times rarer than writes.
const WRITES_PER_BATCH: usize = 4;
/// Batches in flight at most.
const CHUNKS: usize = 3;
/// A shared payload shorter than this is copied (a piece of its own costs more than the copy).
const SHARE_MIN: usize = 1024;
/// Copied bytes are gathered in blocks of this size.
const BLOCK: usize = 64 << 10;

/// The error for a writer whose thread is gone without saying why.
fn stopped() -> io::Error {
    // Not BrokenPipe: the CLI ends quietly on a closed pipe, and this is no pipe.
    io::Error::other("the writing thread has stopped")
}

/// What the writing thread is asked to do.
enum Op {
    /// Write the pieces in order (one `writev`), then give the emptied list back for reuse.
    Write(Vec<Bytes>),
    /// Move the file position.
    Seek(u64),
}

/// A buffered `Write + Seek` over a file whose writes happen on a thread of their own.
///
/// Writes are gathered into batches of about 1 MiB, each written by vectored writes of about
/// 256 KiB: bytes written with `write` are copied into 64 KiB blocks, while a payload handed
/// over with [`SharedWrite::write_shared`] (a muxer's frames) goes into the batch as the `Bytes`
/// it is, without a copy. A few batches are in flight at most, so memory stays bounded: (3 + 1)
/// × 1 MiB of bytes, plus whatever larger allocations the shared payloads are slices of (the
/// recordings' 256 KiB reads, the frame assembly's blocks) kept alive meanwhile. The position
/// and length are tracked here (the file is new and only this writer writes it), so seeking
/// never waits for the thread. An error met by the thread is returned by the next write, seek,
/// flush or [`finish`](Self::finish).
#[derive(Debug)]
pub struct BackgroundWriter {
    /// Copied bytes not yet cut into a piece.
    block: BytesMut,
    /// The batch being gathered, and its bytes.
    batch: Vec<Bytes>,
    batch_len: usize,
    ops: Option<SyncSender<Op>>,
    spare: Receiver<Vec<Bytes>>,
    allocated: usize,
    thread: Option<JoinHandle<io::Result<File>>>,
    pos: u64,
    len: u64,
}

/// Writes every piece, in order, with `writev` calls of at most [`CHUNK`] bytes (unless one
/// piece is larger) and [`PIECES`] pieces.
fn write_pieces(file: &mut File, pieces: &[Bytes]) -> io::Result<()> {
    let mut from = 0;
    while from < pieces.len() {
        let mut to = from + 1;
        let mut len = pieces[from].len();
        while to < pieces.len() && to - from < PIECES && len + pieces[to].len() <= CHUNK {
            len += pieces[to].len();
            to += 1;
        }
        write_vectored_all(file, &pieces[from..to])?;
        from = to;
    }
    Ok(())
}

/// Writes all of `pieces`, in order, with as few `writev` calls as the kernel allows.
fn write_vectored_all(file: &mut File, pieces: &[Bytes]) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = pieces.iter().map(|p| IoSlice::new(p)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl BackgroundWriter {
    /// Starts the writing thread on `file`, which must be empty and positioned at its start.
    pub fn new(file: File) -> BackgroundWriter {
        let (ops, rx) = mpsc::sync_channel::<Op>(CHUNKS);
        let (give_back, spare) = mpsc::sync_channel::<Vec<Bytes>>(CHUNKS + 1);
        let thread = std::thread::spawn(move || -> io::Result<File> {
            let mut file = file;
            for op in rx {
                match op {
                    Op::Write(mut pieces) => {
                        write_pieces(&mut file, &pieces)?;
                        pieces.clear();
                        let _ = give_back.send(pieces);
                    }
                    Op::Seek(at) => {
                        file.seek(SeekFrom::Start(at))?;
                    }
                }
            }
            Ok(file)
        });
        BackgroundWriter {
            block: BytesMut::new(),
            batch: Vec::with_capacity(WRITES_PER_BATCH * PIECES),
            batch_len: 0,
            ops: Some(ops),
            spare,
            allocated: 1,
            thread: Some(thread),
            pos: 0,
            len: 0,
        }
    }

    /// Sends `op`; if the thread has stopped (it met an error), returns that error.
    fn send(&mut self, op: Op) -> io::Result<()> {
        let sent = match &self.ops {
            Some(ops) => ops.send(op).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            self.ops = None;
            Err(self.join().err().unwrap_or_else(stopped))
        }
    }

    /// Ends the piece of copied bytes being gathered, if any.
    fn cut(&mut self) {
        if !self.block.is_empty() {
            let piece = self.block.split().freeze();
            self.batch_len += piece.len();
            self.batch.push(piece);
        }
    }

    /// Adds a piece; ships the batch once it is full.
    fn push(&mut self, piece: Bytes) -> io::Result<()> {
        self.batch_len += piece.len();
        self.batch.push(piece);
        if self.batch_len >= WRITES_PER_BATCH * CHUNK
            || self.batch.len() >= WRITES_PER_BATCH * PIECES - 1
        {
            self.ship()?;
        }
        Ok(())
    }

    /// Hands the gathered pieces to the thread and takes an empty list in their place.
    fn ship(&mut self) -> io::Result<()> {
        self.cut();
        if self.batch.is_empty() {
            return Ok(());
        }
        let next = if self.allocated < CHUNKS + 1 {
            self.allocated += 1;
            Vec::with_capacity(WRITES_PER_BATCH * PIECES)
        } else {
            // An error means the thread is gone: `send` below reports why.
            self.spare.recv().unwrap_or_default()
        };
        let full = std::mem::replace(&mut self.batch, next);
        self.batch_len = 0;
        self.send(Op::Write(full))
    }

    /// Moves the position on by `n` bytes written.
    fn advance(&mut self, n: usize) {
        self.pos += n as u64;
        self.len = self.len.max(self.pos);
    }

    /// Waits for the thread and returns the file, or the first error it met.
    fn join(&mut self) -> io::Result<File> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked"))),
            None => Err(stopped()),
        }
    }

    /// Writes out everything, stops the thread and returns the file.
    pub fn finish(mut self) -> io::Result<File> {
        self.ship()?;
        self.ops = None;
        self.join()
    }
}

impl Drop for BackgroundWriter {
    /// Lets the thread finish what it was given (at most a few MiB) and waits for it, so that
    /// no write is still going on once the writer is gone.
    fn drop(&mut self) {
        self.ops = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Write for BackgroundWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            // Like a file: writing nothing past the end does not make it longer.
            return Ok(());
        }
        let n = data.len();
        while !data.is_empty() {
            if self.block.capacity() == self.block.len() {
                self.cut();
                self.block = BytesMut::with_capacity(BLOCK);
            }
            let room = self.block.capacity() - self.block.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.block.extend_from_slice(now);
            data = rest;
            if self.batch_len + self.block.len() >= WRITES_PER_BATCH * CHUNK {
                self.ship()?;
            }
        }
        self.advance(n);
        Ok(())
    }

    /// Hands buffered bytes to the thread (it does not wait for them to reach the file).
    fn flush(&mut self) -> io::Result<()> {
        self.ship()
    }
}

impl SharedWrite for BackgroundWriter {
    /// Keeps `data` itself in the batch (a copy only when it is short).
    fn write_shared(&mut self, data: &Bytes) -> io::Result<()> {
        if data.len() < SHARE_MIN {
            return self.write_all(data);
        }
        self.cut();
        self.push(data.clone())?;
        self.advance(data.len());
        Ok(())
    }
}

impl Seek for BackgroundWriter {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target != self.pos {
            self.ship()?;
            self.send(Op::Seek(target))?;
            self.pos = target;
        }
        Ok(target)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::fs::OpenOptions;
    use std::path::PathBuf;

    fn temp_file(tag: &str) -> (PathBuf, File) {
        let path = std::env::temp_dir().join(format!(
            "mjrtool-bg-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        (path, file)
    }

    #[derive(Debug, Clone)]
    enum Step {
        Write(usize, u8),
        Shared(usize, u8),
        Start(u64),
        Current(i64),
        End(i64),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            // Empty writes are left out: past the end, a cursor pads with zeros, a file does not.
            4 => (1usize..(3 * CHUNK), any::<u8>()).prop_map(|(n, b)| Step::Write(n, b)),
            4 => (1usize..200, any::<u8>()).prop_map(|(n, b)| Step::Write(n, b)),
            4 => (1usize..(2 * CHUNK), any::<u8>()).prop_map(|(n, b)| Step::Shared(n, b)),
            2 => (1usize..SHARE_MIN, any::<u8>()).prop_map(|(n, b)| Step::Shared(n, b)),
            1 => (0u64..(4 * CHUNK as u64)).prop_map(Step::Start),
            1 => (-1000i64..1000).prop_map(Step::Current),
            1 => (-1000i64..10).prop_map(Step::End),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any mix of writes and seeks gives the same bytes and positions as an in-memory cursor.
        #[test]
        fn background_writer_matches_a_cursor(steps in proptest::collection::vec(step(), 1..12)) {
            let (path, file) = temp_file("prop");
            let mut bg = BackgroundWriter::new(file);
            let mut model = io::Cursor::new(Vec::new());
            for s in &steps {
                match *s {
                    Step::Write(n, b) => {
                        let data = vec![b; n];
                        bg.write_all(&data).unwrap();
                        model.write_all(&data).unwrap();
                    }
                    Step::Shared(n, b) => {
                        let data = Bytes::from(vec![b; n]);
                        bg.write_shared(&data).unwrap();
                        model.write_all(&data).unwrap();
                    }
                    Step::Start(p) => {
                        prop_assert_eq!(bg.seek(SeekFrom::Start(p)).unwrap(), model.seek(SeekFrom::Start(p)).unwrap());
                    }
                    Step::Current(d) => {
                        let m = model.seek(SeekFrom::Current(d));
                        prop_assert_eq!(bg.seek(SeekFrom::Current(d)).ok(), m.ok());
                    }
                    Step::End(d) => {
                        let m = model.seek(SeekFrom::End(d));
                        prop_assert_eq!(bg.seek(SeekFrom::End(d)).ok(), m.ok());
                    }
                }
                prop_assert_eq!(bg.stream_position().unwrap(), model.position());
            }
            drop(bg.finish().unwrap());
            let got = std::fs::read(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            prop_assert_eq!(got.len(), model.get_ref().len());
            prop_assert!(got == *model.get_ref(), "contents differ");
        }
    }

    #[test]
    fn writing_nothing_past_the_end_does_not_lengthen_the_file() {
        let (path, file) = temp_file("empty");
        let mut bg = BackgroundWriter::new(file);
        bg.write_all(b"ab").unwrap();
        bg.seek(SeekFrom::Start(5)).unwrap();
        bg.write_all(b"").unwrap();
        assert_eq!(bg.seek(SeekFrom::End(0)).unwrap(), 2);
        drop(bg.finish().unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"ab");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_write_error_on_the_thread_is_reported() {
        let (path, file) = temp_file("err");
        drop(file);
        // Opened for reading only: every write by the thread fails.
        let mut bg = BackgroundWriter::new(File::open(&path).unwrap());
        let chunk = vec![7u8; CHUNK];
        let mut failed = false;
        for _ in 0..(CHUNKS + 3) {
            if bg.write_all(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        let finished = bg.finish();
        assert!(failed || finished.is_err(), "the error was lost");
        std::fs::remove_file(&path).unwrap();
    }
}
