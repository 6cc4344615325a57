//! Output files that are only ever complete: written under a temporary name in the destination
//! folder, then renamed over the final name once finished and flushed. The bytes are handed to
//! the kernel by a second thread, so that copying them into the page cache overlaps with reading
//! and muxing.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// A file being written to a temporary name next to its destination.
#[derive(Debug)]
pub struct AtomicOutput {
    temp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl AtomicOutput {
    /// Prepares to write `dest`. Fails if `dest` exists and `overwrite` is false.
    pub fn create(dest: &Path, overwrite: bool) -> io::Result<(AtomicOutput, BackgroundWriter)> {
        if !overwrite && dest.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} already exists (use --force to overwrite)",
                    dest.display()
                ),
            ));
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let temp = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        Ok((
            AtomicOutput {
                temp,
                dest: dest.to_path_buf(),
                committed: false,
            },
            BackgroundWriter::new(file),
        ))
    }

    /// Flushes `writer` (to the disk itself with `sync`, so that the file survives a power
    /// loss) and renames the temporary file to the destination.
    pub fn commit(mut self, writer: BackgroundWriter, sync: bool) -> io::Result<()> {
        let file = writer.finish()?;
        if sync {
            file.sync_all()?;
        }
        drop(file);
        std::fs::rename(&self.temp, &self.dest)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicOutput {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Bytes are handed to the writing thread in chunks of this size.
const CHUNK: usize = 1 << 20;
/// Chunks in flight at most (memory bound: `(CHUNKS + 1) × CHUNK`).
const CHUNKS: usize = 3;

/// The error for a writer whose thread is gone without saying why.
fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the writing thread has stopped")
}

/// What the writing thread is asked to do.
enum Op {
    /// Write the whole chunk, then give the buffer back for reuse.
    Write(Vec<u8>),
    /// Move the file position.
    Seek(u64),
}

/// A buffered `Write + Seek` over a file whose writes happen on a thread of their own.
///
/// Writes are gathered into 1 MiB chunks; a few chunks are in flight at most, and their buffers
/// are reused, so memory stays bounded and nothing is allocated per write. The position and
/// length are tracked here (the file is new and only this writer writes it), so seeking never
/// waits for the thread. An error met by the thread is returned by the next write, seek, flush
/// or [`finish`](Self::finish).
#[derive(Debug)]
pub struct BackgroundWriter {
    buf: Vec<u8>,
    ops: Option<SyncSender<Op>>,
    spare: Receiver<Vec<u8>>,
    allocated: usize,
    thread: Option<JoinHandle<io::Result<File>>>,
    pos: u64,
    len: u64,
}

impl BackgroundWriter {
    /// Starts the writing thread on `file`, which must be empty and positioned at its start.
    pub fn new(file: File) -> BackgroundWriter {
        let (ops, rx) = mpsc::sync_channel::<Op>(CHUNKS);
        let (give_back, spare) = mpsc::sync_channel::<Vec<u8>>(CHUNKS + 1);
        let thread = std::thread::spawn(move || -> io::Result<File> {
            let mut file = file;
            for op in rx {
                match op {
                    Op::Write(mut chunk) => {
                        file.write_all(&chunk)?;
                        chunk.clear();
                        let _ = give_back.send(chunk);
                    }
                    Op::Seek(at) => {
                        file.seek(SeekFrom::Start(at))?;
                    }
                }
            }
            Ok(file)
        });
        BackgroundWriter {
            buf: Vec::with_capacity(CHUNK),
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

    /// Hands the gathered bytes to the thread and takes an empty buffer in their place.
    fn ship(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = if self.allocated < CHUNKS + 1 {
            self.allocated += 1;
            Vec::with_capacity(CHUNK)
        } else {
            // An error means the thread is gone: `send` below reports why.
            self.spare.recv().unwrap_or_default()
        };
        let full = std::mem::replace(&mut self.buf, next);
        self.send(Op::Write(full))
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
        let n = data.len() as u64;
        while !data.is_empty() {
            let room = CHUNK - self.buf.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() == CHUNK {
                self.ship()?;
            }
        }
        self.pos += n;
        self.len = self.len.max(self.pos);
        Ok(())
    }

    /// Hands buffered bytes to the thread (it does not wait for them to reach the file).
    fn flush(&mut self) -> io::Result<()> {
        self.ship()
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

/// Flushes a writer that is not a file (e.g. standard output).
pub fn flush(mut w: impl Write) -> io::Result<()> {
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        Start(u64),
        Current(i64),
        End(i64),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            // Empty writes are left out: past the end, a cursor pads with zeros, a file does not.
            4 => (1usize..(3 * CHUNK), any::<u8>()).prop_map(|(n, b)| Step::Write(n, b)),
            4 => (1usize..200, any::<u8>()).prop_map(|(n, b)| Step::Write(n, b)),
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

    #[test]
    fn nothing_appears_until_commit_and_failure_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("mjrtool-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("x.webm");
        let _ = std::fs::remove_file(&dest);
        {
            let (out, mut w) = AtomicOutput::create(&dest, false).unwrap();
            w.write_all(b"half").unwrap();
            drop(out); // error path: dropped without commit
        }
        assert!(!dest.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "temp file left behind"
        );
        let (out, mut w) = AtomicOutput::create(&dest, false).unwrap();
        w.write_all(b"whole").unwrap();
        out.commit(w, true).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole");
        assert!(AtomicOutput::create(&dest, false).is_err());
        assert!(AtomicOutput::create(&dest, true).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
