//! Output files that are only ever complete: written under a temporary name in the destination
//! folder, then renamed over the final name once finished and flushed.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written to a temporary name next to its destination.
#[derive(Debug)]
pub struct AtomicOutput {
    temp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl AtomicOutput {
    /// Prepares to write `dest`. Fails if `dest` exists and `overwrite` is false.
    pub fn create(dest: &Path, overwrite: bool) -> io::Result<(AtomicOutput, BufWriter<File>)> {
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
            // Small buffer: clusters (hundreds of KiB) go straight to the file, without a copy.
            BufWriter::with_capacity(64 << 10, file),
        ))
    }

    /// Flushes `writer` (to the disk itself with `sync`, so that the file survives a power
    /// loss) and renames the temporary file to the destination.
    pub fn commit(mut self, writer: BufWriter<File>, sync: bool) -> io::Result<()> {
        let file = writer.into_inner().map_err(|e| e.into_error())?;
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

/// Flushes a writer that is not a file (e.g. standard output).
pub fn flush(mut w: impl Write) -> io::Result<()> {
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

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
