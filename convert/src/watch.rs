//! The logic of `mjrtool watch`: which sessions of a folder that Janus is still writing are
//! complete, so that each is converted once.
//!
//! A session is complete when its Record&Play `.nfo` is there (the plugin writes it when the
//! recording stops), or when none of its files has changed for the quiet time: not modified
//! for that long, and the same sizes and times as at the previous scan. There is no database:
//! a session whose output is up to date ([`crate::batch::Planned::up_to_date`]) is done, so a
//! restarted watcher converts nothing twice. A session that failed is not tried again until
//! one of its files changes.
//!
//! [`Watcher::scan`] is driven by its caller (the CLI wakes it on file-system events and on
//! [`Scan::next_check`]); the time is passed in, so the logic is tested without waiting.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::batch::{BatchOptions, Planned};
use crate::session::Scheme;

/// What a session's files looked like: (file, size, modification) for each.
type Signature = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Watches one folder.
#[derive(Debug)]
pub struct Watcher {
    in_dir: PathBuf,
    out_dir: PathBuf,
    quiet: Duration,
    options: BatchOptions,
    last: HashMap<String, Signature>,
    failed: HashMap<String, Signature>,
}

/// What one scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Sessions to convert now.
    pub ready: Vec<Planned>,
    /// Sessions still being written.
    pub pending: usize,
    /// When to scan again at the latest (a pending session may be quiet by then).
    pub next_check: Option<Duration>,
}

fn signature(p: &Planned) -> Signature {
    p.session
        .files
        .iter()
        .map(|f| {
            let m = std::fs::metadata(f).ok();
            (
                f.clone(),
                m.as_ref().map_or(0, |m| m.len()),
                m.and_then(|m| m.modified().ok()),
            )
        })
        .collect()
}

impl Watcher {
    /// A watcher of `in_dir` writing into `out_dir`, taking a session as complete after `quiet`
    /// without change.
    pub fn new(in_dir: &Path, out_dir: &Path, quiet: Duration, options: BatchOptions) -> Watcher {
        Watcher {
            in_dir: in_dir.to_path_buf(),
            out_dir: out_dir.to_path_buf(),
            quiet,
            options,
            last: HashMap::new(),
            failed: HashMap::new(),
        }
    }

    /// The options sessions are converted with.
    pub fn options(&self) -> &BatchOptions {
        &self.options
    }

    /// Scans the folder at time `now` and returns the sessions that are complete and not yet
    /// converted.
    ///
    /// # Errors
    ///
    /// The folder cannot be read.
    pub fn scan(&mut self, now: SystemTime) -> std::io::Result<Scan> {
        let planned = crate::batch::scan_and_plan(&self.in_dir, &self.out_dir, &self.options)?;
        let mut scan = Scan::default();
        let mut last = HashMap::new();
        for p in planned {
            if p.up_to_date {
                continue;
            }
            let sig = signature(&p);
            let name = p.session.name.clone();
            let steady = self.last.get(&name) == Some(&sig);
            let failed_before = self.failed.get(&name) == Some(&sig);
            last.insert(name, sig);
            if failed_before {
                continue;
            }
            let age = p
                .modified
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            let closed = p.session.scheme == Scheme::RecordPlay;
            if !p.empty && steady && (closed || age >= self.quiet) {
                scan.ready.push(p);
            } else {
                scan.pending += 1;
                let wait = if steady {
                    self.quiet.saturating_sub(age)
                } else {
                    Duration::ZERO
                };
                let wait = wait.max(Duration::from_millis(200));
                scan.next_check = Some(scan.next_check.map_or(wait, |w: Duration| w.min(wait)));
            }
        }
        self.last = last;
        Ok(scan)
    }

    /// Remembers that the session `name` failed with the files it has now: it is not tried
    /// again until one of them changes.
    pub fn failed(&mut self, name: &str) {
        if let Some(sig) = self.last.get(name) {
            self.failed.insert(name.to_string(), sig.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-packet Opus recording at `path`.
    fn opus_recording(path: &Path) {
        let f = std::fs::File::create(path).unwrap();
        let header = mjr::Header::new(mjr::MediaKind::Audio, mjr::Codec::Opus);
        let mut w = mjr::MjrWriter::new(f, &header).unwrap();
        let mut packet = Vec::new();
        rtp_depack::RtpBuilder::new(1, 111).build(0, true, &[0xF8, 0xFF, 0xFE], &[], &mut packet);
        w.write_rtp(0, &packet).unwrap();
        w.finish().unwrap();
    }

    /// A fresh folder (named after `tag`) holding a one-packet Opus recording `file`, its
    /// watcher, and the watcher's quiet time (30 s).
    fn watching(tag: &str, file: &str) -> (PathBuf, Watcher, Duration) {
        let dir = std::env::temp_dir().join(format!("mjrtool-watch-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        opus_recording(&dir.join(file));
        let quiet = Duration::from_secs(30);
        let w = Watcher::new(&dir, &dir, quiet, BatchOptions::default());
        (dir, w, quiet)
    }

    #[test]
    fn a_session_is_ready_once_its_files_stay_unchanged_for_the_quiet_time() {
        let (dir, mut w, quiet) = watching("quiet", "talk-audio-0.mjr");
        let now = SystemTime::now();
        // First sight: never ready (its size may still change).
        let s = w.scan(now + quiet * 2).unwrap();
        assert_eq!((s.ready.len(), s.pending), (0, 1));
        // Unchanged but modified just now: wait for the rest of the quiet time.
        let s = w.scan(now).unwrap();
        assert_eq!((s.ready.len(), s.pending), (0, 1));
        assert!(s.next_check.unwrap() > Duration::from_secs(29));
        // Unchanged and quiet: ready, named after its base.
        let s = w.scan(now + quiet * 2).unwrap();
        assert_eq!(s.ready.len(), 1);
        assert_eq!(s.ready[0].session.name, "talk");
        // Failed: not again until it changes.
        w.failed("talk");
        assert_eq!(w.scan(now + quiet * 3).unwrap().ready.len(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_record_play_session_converted_before_its_nfo_is_converted_again_to_the_same_name() {
        let (dir, mut w, quiet) = watching("rp", "rec-42-audio.mjr");
        let now = SystemTime::now();
        w.scan(now + quiet * 2).unwrap();
        // Quiet (the publisher paused): converted, under the name the .nfo will give.
        let first = w.scan(now + quiet * 2).unwrap().ready;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].session.name, "42");
        let output = first[0].output.clone().unwrap();
        std::fs::write(&output, b"converted").unwrap();
        // The recording stops: Janus writes 42.nfo, after that output.
        let nfo = dir.join("42.nfo");
        std::fs::write(&nfo, "[42]\r\nname = talk\r\naudio = rec-42-audio.mjr\r\n").unwrap();
        let later = std::fs::metadata(&output).unwrap().modified().unwrap() + quiet;
        std::fs::File::options()
            .write(true)
            .open(&nfo)
            .unwrap()
            .set_modified(later)
            .unwrap();
        w.scan(later + quiet).unwrap();
        let second = w.scan(later + quiet).unwrap().ready;
        assert_eq!(second.len(), 1, "converted again, now complete");
        assert_eq!(second[0].session.scheme, crate::session::Scheme::RecordPlay);
        assert_eq!(
            second[0].output.as_ref(),
            Some(&output),
            "into the same file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
