//! Output files that are only ever complete: written under a temporary name in the destination
//! folder, then published under the final name once finished and flushed. The bytes are handed to
//! the kernel by a second thread, so that copying them into the page cache overlaps with reading
//! and muxing.
//!
//! Rules, and why (the tool runs as root on folders that other users can write):
//!
//! * The temporary name is `.NAME.mjrtool-<pid>-<16 random hex digits>.partial`, created
//!   exclusively (`O_EXCL`: whatever is there, a planted symbolic link included, makes creation
//!   fail and is neither followed nor touched); on a collision another random name is tried, a
//!   few times at most. The PID lets a later run remove what a killed run left
//!   ([`crate::cleanup`]).
//! * Without `overwrite`, the output is published without ever replacing a file: a hard link
//!   from the temporary name (which fails if the name exists, atomically), or where hard links
//!   are not supported, `renameat2(RENAME_NOREPLACE)`. A file that appeared under the final
//!   name during the conversion is kept and the run fails. If the filesystem has neither, the
//!   run fails rather than replace silently.
//! * With `overwrite`, a plain `rename` replaces the name (never the contents of the old file).

use std::collections::hash_map::RandomState;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cleanup;
pub use crate::writer::BackgroundWriter;

/// Random temporary names tried before giving up.
pub const TEMP_NAME_TRIES: usize = 16;

/// A file being written to a temporary name next to its destination.
#[derive(Debug)]
pub struct AtomicOutput {
    temp: PathBuf,
    dest: PathBuf,
    overwrite: bool,
    committed: bool,
    block_size: u64,
}

/// 64 unpredictable bits: std's randomly keyed SipHash over a counter, the time and the PID.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    h.write_u32(std::process::id());
    h.finish()
}

/// The temporary name for `name` made by process `pid` with random bits `random`.
pub fn temp_name(name: &OsStr, pid: u32, random: u64) -> OsString {
    let mut n = cleanup::temp_prefix(name);
    n.extend_from_slice(format!("{pid}-{random:016x}.partial").as_bytes());
    OsString::from_vec(n)
}

/// The folder a path is in (`.` for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The error for an output name that is taken.
fn exists_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "already exists (use -y or --force to overwrite)",
    )
}

/// The error for an output name that was taken while the output was being written.
fn appeared_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "appeared during the conversion; not replaced (use -y to overwrite)",
    )
}

impl AtomicOutput {
    /// Prepares to write `dest`: removes what killed runs left for it, then creates a fresh
    /// temporary file next to it.
    ///
    /// # Errors
    ///
    /// `dest` exists (anything, even a dangling symbolic link) and `overwrite` is false; the
    /// temporary file cannot be created.
    pub fn create(dest: &Path, overwrite: bool) -> io::Result<(AtomicOutput, BackgroundWriter)> {
        Self::create_with(dest, overwrite, &mut random_u64)
    }

    /// [`create`](Self::create), with the random bits of the temporary names drawn from
    /// `random` (tests use it to force collisions).
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create); also when [`TEMP_NAME_TRIES`] names are all taken.
    pub fn create_with(
        dest: &Path,
        overwrite: bool,
        random: &mut dyn FnMut() -> u64,
    ) -> io::Result<(AtomicOutput, BackgroundWriter)> {
        if !overwrite && std::fs::symlink_metadata(dest).is_ok() {
            return Err(exists_error());
        }
        let dir = folder_of(dest);
        let name = dest.file_name().unwrap_or(OsStr::new("output"));
        cleanup::remove_stale_temps(&dir, name);
        for _ in 0..TEMP_NAME_TRIES {
            let temp = dir.join(temp_name(name, std::process::id(), random()));
            match cleanup::create_recorded(&temp) {
                Ok(file) => {
                    let out = AtomicOutput {
                        temp,
                        dest: dest.to_path_buf(),
                        overwrite,
                        committed: false,
                        block_size: block_size(&file),
                    };
                    return Ok((out, BackgroundWriter::new(file)));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("no free temporary name in {TEMP_NAME_TRIES} random tries"),
        ))
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The block size of the filesystem the temporary file is on (a power of two from 512
    /// bytes to 1 MiB; 4 KiB when the filesystem says something else): a head of whole blocks
    /// can be inserted in front of what was written without moving it ([`Self::commit`]).
    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// Flushes `writer`, writes `head` (if not empty) at the start of the file, over the
    /// `reserved` bytes the writing left for it, flushes to the disk itself with `sync` (so
    /// that the file survives a power loss) and publishes the temporary file under the
    /// destination name.
    ///
    /// A head longer than `reserved` needs room in front of what was written: whole blocks
    /// ([`Self::block_size`]) are inserted by the filesystem where it can (Linux's
    /// `FALLOC_FL_INSERT_RANGE`: ext4, XFS; it writes the file back to the disk first, which
    /// takes time), elsewhere what was written is moved ([`mp4_mux::insert_head`]).
    ///
    /// # Errors
    ///
    /// Writing or flushing failed; without `overwrite`, the destination name was taken in the
    /// meantime (the file there is kept) or the filesystem cannot publish without replacing.
    /// On error the temporary file is removed.
    pub fn commit(
        mut self,
        writer: BackgroundWriter,
        head: &[u8],
        reserved: u64,
        sync: bool,
    ) -> io::Result<()> {
        let mut file = writer.finish()?;
        if !head.is_empty() {
            write_head(&mut file, head, reserved)?;
        }
        if sync {
            file.sync_all()?;
        }
        drop(file);
        publish(&self.temp, &self.dest, self.overwrite)?;
        self.committed = true;
        cleanup::forget(&self.temp);
        if sync {
            File::open(folder_of(&self.dest))?.sync_all()?;
        }
        Ok(())
    }
}

/// The filesystem's block size for `file` (see [`AtomicOutput::block_size`]).
fn block_size(file: &File) -> u64 {
    rustix::fs::fstatfs(file)
        .ok()
        .and_then(|s| u64::try_from(s.f_bsize).ok())
        .filter(|b| b.is_power_of_two() && (512..=1 << 20).contains(b))
        .unwrap_or(4096)
}

/// Writes `head` at the start of `file`, over the `reserved` bytes left for it; the room a
/// longer head needs is inserted as whole blocks by the filesystem where it can, else made by
/// moving what follows.
fn write_head(file: &mut File, head: &[u8], reserved: u64) -> io::Result<()> {
    use rustix::fs::{fallocate, FallocateFlags};
    use std::os::unix::fs::FileExt;
    let grow = (head.len() as u64).saturating_sub(reserved);
    // Inserting needs a length of whole blocks, inside the file (not at its end), on a
    // filesystem that supports it; any refusal leaves the file as it was.
    let inside = file.metadata()?.len() > 0;
    if grow == 0 || (inside && fallocate(&*file, FallocateFlags::INSERT_RANGE, 0, grow).is_ok()) {
        return file.write_all_at(head, 0);
    }
    mp4_mux::insert_head(file, head, reserved)
}

/// Gives `temp` the name `dest`: replacing whatever is there with `overwrite`, never otherwise.
fn publish(temp: &Path, dest: &Path, overwrite: bool) -> io::Result<()> {
    if overwrite {
        return std::fs::rename(temp, dest);
    }
    match std::fs::hard_link(temp, dest) {
        Ok(()) => {
            // Published; a temporary name that stays is removed by the drop.
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(appeared_error()),
        Err(e) if not_supported(&e) => rename_no_replace(temp, dest),
        Err(e) => Err(e),
    }
}

/// Whether an error means "this filesystem does not do that" (hard links on FAT answer EPERM;
/// the temporary file is ours, so EPERM cannot be a permission problem with it).
fn not_supported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    let errno = Errno::from_io_error(e);
    [Errno::PERM, Errno::OPNOTSUPP, Errno::NOSYS, Errno::INVAL]
        .into_iter()
        .any(|n| errno == Some(n))
}

/// Renames `temp` to `dest` unless `dest` exists (`renameat2(RENAME_NOREPLACE)`).
pub(crate) fn rename_no_replace(temp: &Path, dest: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    match renameat_with(CWD, temp, CWD, dest, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::EXIST) => Err(appeared_error()),
        Err(e) if not_supported(&e.into()) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this filesystem can neither hard-link nor rename without replacing, so the output \
             cannot be published safely; not written (use -y to overwrite)",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Why `output` must not be written when converting `inputs` (recordings and `.nfo` files),
/// `-y` or not: it is one of them (the same file: compared by device and inode, so through
/// symbolic and hard links too), or it is named like a recording (`mux a.mjr v.mjr` with the
/// output forgotten would take `v.mjr` for it). `None` when it may be written.
pub fn input_clash(output: &Path, inputs: &[PathBuf]) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let ext = output.extension().map(|e| e.to_ascii_lowercase());
    if ext.as_deref().is_some_and(|e| e == "mjr" || e == "nfo") {
        return Some(
            "an output is never named .mjr or .nfo (was the output file forgotten? it comes last: \
             .webm, .mkv, .opus or .ogg)"
                .into(),
        );
    }
    let out = std::fs::metadata(output).ok()?;
    let same = |p: &PathBuf| {
        std::fs::metadata(p).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino())
    };
    let input = inputs.iter().find(|p| same(p))?;
    Some(format!(
        "is the input {} (the same file); an input is never overwritten",
        input.display()
    ))
}

/// Checks that standard output is open, before writing a file to it.
///
/// A closed standard output would take nothing and report success: when a program starts with
/// descriptor 1 closed, Rust's runtime opens `/dev/null` read-write in its place (and a write to
/// a closed descriptor is silently dropped). So `/dev/null` opened read-write on descriptor 1 is
/// taken for "closed": a shell's `>/dev/null` opens it write-only, which passes.
///
/// # Errors
///
/// Standard output is closed, or cannot be examined.
pub fn check_stdout_open() -> io::Result<()> {
    use rustix::fs::OFlags;
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let closed = || io::Error::other("standard output is closed");
    let fd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|_| closed())?;
    let mode = rustix::fs::fcntl_getfl(&fd)? & OFlags::ACCMODE;
    let meta = File::from(fd).metadata()?;
    let null = std::fs::metadata("/dev/null")?;
    if meta.file_type().is_char_device() && meta.rdev() == null.rdev() && mode == OFlags::RDWR {
        return Err(closed());
    }
    Ok(())
}

impl Drop for AtomicOutput {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
            cleanup::forget(&self.temp);
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
    use std::io::{Seek, SeekFrom};

    #[test]
    fn renaming_without_replacing_keeps_a_file_that_is_there() {
        let dir = std::env::temp_dir().join(format!("mjrtool-noreplace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (temp, dest) = (dir.join("t"), dir.join("d"));
        std::fs::write(&temp, b"new").unwrap();
        std::fs::write(&dest, b"old").unwrap();
        let err = rename_no_replace(&temp, &dest).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        std::fs::remove_file(&dest).unwrap();
        rename_no_replace(&temp, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert!(!temp.exists());
        std::fs::remove_dir_all(&dir).unwrap();
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
        out.commit(w, &[], 0, true).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole");
        assert!(AtomicOutput::create(&dest, false).is_err());
        assert!(AtomicOutput::create(&dest, true).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_head_committed_in_front_comes_first_whether_or_not_blocks_can_be_inserted() {
        let dir = std::env::temp_dir().join(format!("mjrtool-head-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        // (reserved, head): in its reserve, whole blocks more, or 100 bytes more (always moved).
        for (name, reserved, head_len) in [
            ("fits.mp4", 8192, 8192),
            ("blocks.mp4", 0, 8192),
            ("more-blocks.mp4", 4096, 12288),
            ("odd.mp4", 4096, 4196),
        ] {
            let dest = dir.join(name);
            let (out, mut w) = AtomicOutput::create(&dest, true).unwrap();
            let head = vec![0xA5; head_len];
            w.seek(SeekFrom::Start(reserved)).unwrap();
            w.write_all(&body).unwrap();
            out.commit(w, &head, reserved, false).unwrap();
            let got = std::fs::read(&dest).unwrap();
            assert_eq!(got.len(), head.len() + body.len(), "{name}");
            assert_eq!(&got[..head.len()], &head[..], "{name}");
            assert_eq!(&got[head.len()..], &body[..], "{name}");
        }
        // Nothing written: the head alone.
        let dest = dir.join("empty.mp4");
        let (out, w) = AtomicOutput::create(&dest, true).unwrap();
        let head = vec![7u8; 4096];
        out.commit(w, &head, 0, false).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), head);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
