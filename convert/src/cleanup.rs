//! Temporary files never outlive the run that made them.
//!
//! Rules, and why:
//!
//! * Every temporary output is created and recorded in one registry under one lock, and
//!   [`remove_temps_on_signals`] starts a thread that, on SIGINT, SIGTERM or SIGHUP, takes that
//!   lock, removes every recorded file and exits with 128 + the signal's number. It exits while
//!   holding the lock, so no temporary file can be created between the clean-up and the exit.
//! * SIGKILL cannot be caught, so temporary names carry the PID of their maker
//!   (`.NAME.mjrtool-<pid>-<random>.partial`, see [`crate::output`]). Before writing `NAME`,
//!   [`remove_stale_temps`] removes the leftovers of dead runs for the same `NAME`: only regular
//!   files (a symbolic link is never followed nor removed), only those owned by the user running
//!   now, only those whose PID is not running. A PID that was reused keeps its file: it is
//!   removed by a later run.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Temporary files being written now.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Creates `path` exclusively (fails if anything, a symbolic link included, is there already)
/// for reading and writing, and records it for removal on a signal.
pub(crate) fn create_recorded(path: &Path) -> io::Result<File> {
    let mut temps = temps();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    temps.push(path.to_path_buf());
    Ok(file)
}

/// Forgets `path` (it was published or removed).
pub(crate) fn forget(path: &Path) {
    temps().retain(|p| p != path);
}

/// The signals that end a run and remove its temporary files.
pub const CLEANUP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

/// Starts a thread that, on SIGINT, SIGTERM or SIGHUP, removes the temporary files being
/// written and ends the process with exit code 128 + the signal's number.
///
/// # Errors
///
/// The signal handlers could not be installed.
pub fn remove_temps_on_signals() -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(CLEANUP_SIGNALS)?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // The guard is never dropped: nothing new is created until the exit.
                let temps = temps();
                for p in temps.iter() {
                    let _ = std::fs::remove_file(p);
                }
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}

/// The first part of the temporary names for `name`: `.NAME.mjrtool-`.
pub(crate) fn temp_prefix(name: &OsStr) -> Vec<u8> {
    // Long names are cut so that the temporary name stays within the usual 255-byte limit.
    let name = &name.as_bytes()[..name.len().min(180)];
    let mut p = Vec::with_capacity(name.len() + 10);
    p.push(b'.');
    p.extend_from_slice(name);
    p.extend_from_slice(b".mjrtool-");
    p
}

/// The PID in a temporary name for `prefix` (`<prefix><pid>-<16 hex digits>.partial`), or
/// `None` if `file` is not such a name.
pub(crate) fn temp_pid(prefix: &[u8], file: &[u8]) -> Option<u32> {
    let rest = file.strip_prefix(prefix)?.strip_suffix(b".partial")?;
    let dash = rest.iter().position(|&b| b == b'-')?;
    let (pid, random) = (&rest[..dash], &rest[dash + 1..]);
    let hex = random.len() == 16 && random.iter().all(u8::is_ascii_hexdigit);
    let digits = !pid.is_empty() && pid.len() <= 10 && pid.iter().all(u8::is_ascii_digit);
    if !hex || !digits {
        return None;
    }
    std::str::from_utf8(pid).ok()?.parse().ok()
}

/// Whether process `pid` exists (a process of another user counts).
fn running(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// Removes from `dir` the temporary files for `name` left by runs that were killed: regular
/// files owned by the current user whose PID is no longer running. Anything else is kept.
/// Returns the files removed. Errors (an unreadable folder…) are ignored: this is a courtesy.
pub fn remove_stale_temps(dir: &Path, name: &OsStr) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    let prefix = temp_prefix(name);
    let me = rustix::process::geteuid().as_raw();
    let own = std::process::id();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = temp_pid(&prefix, file.as_bytes()) else {
            continue;
        };
        if pid == own || running(pid) {
            continue;
        }
        let path = entry.path();
        // symlink_metadata: a link is seen as a link, never followed.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_file() && meta.uid() == me && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_temporary_names_give_a_pid() {
        let prefix = temp_prefix(OsStr::new("a.webm"));
        let ok = b".a.webm.mjrtool-42-0123456789abcdef.partial";
        assert_eq!(temp_pid(&prefix, ok), Some(42));
        for bad in [
            &b".a.webm.mjrtool-42-0123456789abcde.partial"[..],
            b".a.webm.mjrtool--0123456789abcdef.partial",
            b".a.webm.mjrtool-4x-0123456789abcdef.partial",
            b".a.webm.mjrtool-42-0123456789abcdef.partia",
            b".b.webm.mjrtool-42-0123456789abcdef.partial",
            b"a.webm",
        ] {
            assert_eq!(temp_pid(&prefix, bad), None, "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn this_process_is_running_and_a_reaped_child_is_not() {
        assert!(running(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!running(pid));
    }
}
