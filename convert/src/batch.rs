//! Converting a whole folder: each session ([`crate::session`]) into one aligned file.
//!
//! * The container is [`crate::container::default_extension`] of the session's codecs; the file
//!   is named after the session (`videoroom-1234-user-5678-<time>.webm`).
//! * A session whose output exists and was modified no earlier than every one of its files is
//!   up to date and skipped: the outputs are the journal, so a rerun converts nothing.
//! * Sessions are converted by `jobs` workers (scoped threads taking the next session from a
//!   shared counter). Each conversion is [`crate::convert::convert`], so its output is written
//!   atomically and its memory is that conversion's own bound (per recording the reader's
//!   384 KiB, the reorder window and the timeline look-ahead; a few MiB for a real session, see
//!   the README's "Memory"): a batch holds at most `jobs` times that.
//! * A session that fails (damage, a codec not supported yet, an unreadable header) fails alone,
//!   with its message; with `skip_unsupported`, recordings of codecs that cannot be converted are
//!   left out and the rest of the session is converted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

use crate::convert::{convert, ConvertOptions};
use crate::session::{probe, GroupOptions, Probe, Scheme, Session};

/// How to convert a folder.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Sessions converted at once (at least 1).
    pub jobs: usize,
    /// How each session is converted (`force` is set for outputs that are out of date).
    pub convert: ConvertOptions,
    /// How recordings are grouped.
    pub group: GroupOptions,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            convert: ConvertOptions::default(),
            group: GroupOptions::default(),
        }
    }
}

/// A session with its output path, decided before converting.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The session.
    #[serde(flatten)]
    pub session: Session,
    /// The output file, or why none can be named (an unreadable header).
    pub output: Option<PathBuf>,
    /// The output exists and is no older than any file of the session.
    pub up_to_date: bool,
    /// Why the session cannot be converted, known before trying.
    pub error: Option<String>,
    /// Every recording is a bare header: Janus has not written a packet yet.
    pub empty: bool,
    /// Bytes of its recordings.
    pub bytes: u64,
    /// The latest modification of its files.
    #[serde(skip)]
    pub modified: Option<SystemTime>,
}

/// Names the output of each session in `out_dir` and says which are up to date. `probes` are
/// those [`crate::session::scan`] returned (the files' headers, read once).
pub fn plan(sessions: Vec<Session>, probes: &[Probe], out_dir: &Path, skip: bool) -> Vec<Planned> {
    sessions
        .into_iter()
        .map(|session| plan_one(session, probes, out_dir, skip))
        .collect()
}

fn plan_one(session: Session, probes: &[Probe], out_dir: &Path, skip: bool) -> Planned {
    let found: Vec<Probe> = session
        .files
        .iter()
        .map(|f| {
            probes
                .iter()
                .find(|p| &p.path == f)
                .cloned()
                .unwrap_or_else(|| probe(f))
        })
        .collect();
    let modified = found.iter().filter_map(|p| p.modified).max();
    let bytes = found.iter().map(|p| p.size).sum();
    let recordings: Vec<&Probe> = found.iter().filter(|p| !is_nfo(&p.path)).collect();
    let empty = !recordings.is_empty() && recordings.iter().all(|p| p.header_only);
    let error = recordings.iter().find_map(|p| {
        p.error
            .as_ref()
            .map(|e| format!("{}: {e}", p.path.display()))
    });
    let codecs: Vec<mjrtool_core::Codec> = recordings
        .iter()
        .filter(|p| !skip || supported(&p.path))
        .filter_map(|p| p.codec.clone())
        .collect();
    let output = (error.is_none() && !codecs.is_empty()).then(|| {
        let ext = crate::container::default_extension(&codecs);
        out_dir.join(format!("{}.{ext}", session.name))
    });
    let up_to_date = match (&output, modified) {
        (Some(o), Some(m)) => std::fs::metadata(o)
            .and_then(|o| o.modified())
            .is_ok_and(|o| o >= m),
        _ => false,
    };
    Planned {
        session,
        output,
        up_to_date,
        error,
        empty,
        bytes,
        modified,
    }
}

fn is_nfo(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("nfo"))
}

/// Whether the converter takes the recording at `path` (its codec has a depacketizer and it is
/// not encrypted): [`crate::track::MjrTrack`] opens only the header to say so.
fn supported(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return true;
    };
    !matches!(
        crate::track::MjrTrack::new(file, mjr::ReaderOptions::default()),
        Err(crate::track::TrackError::Unsupported(_))
    )
}

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Written now.
    Converted,
    /// Not written: up to date, or nothing recorded yet.
    Skipped,
    /// Not written: see the errors.
    Failed,
}

/// One session in a [`BatchReport`].
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    /// The session's name.
    pub name: String,
    /// How its recordings were grouped.
    pub scheme: Scheme,
    /// Its files (`.nfo` and recordings).
    pub inputs: Vec<PathBuf>,
    /// Its output file.
    pub output: Option<PathBuf>,
    /// What happened.
    pub status: Status,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The output's duration, ms (converted sessions).
    pub duration_ms: Option<f64>,
    /// One line per warning.
    pub warnings: Vec<String>,
    /// One line per error.
    pub errors: Vec<String>,
}

/// What a batch did.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// Sessions converted.
    pub converted: usize,
    /// Sessions skipped.
    pub skipped: usize,
    /// Sessions that failed.
    pub failed: usize,
    /// One per session, in name order.
    pub sessions: Vec<SessionReport>,
}

impl BatchReport {
    /// Sums up `sessions`.
    pub fn new(sessions: Vec<SessionReport>) -> BatchReport {
        let count = |s: Status| sessions.iter().filter(|r| r.status == s).count();
        BatchReport {
            converted: count(Status::Converted),
            skipped: count(Status::Skipped),
            failed: count(Status::Failed),
            sessions,
        }
    }
}

/// What the workers tell as they go.
#[derive(Debug)]
pub enum Event<'a> {
    /// `bytes` more of the batch's input were read.
    Bytes(u64),
    /// A session is done.
    Done(&'a SessionReport),
}

/// Converts every planned session with `options.jobs` workers; `on_event` is called from the
/// workers. Returns the report in the order of `planned`.
pub fn run(
    planned: &[Planned],
    options: &BatchOptions,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> BatchReport {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<SessionReport>>> = Mutex::new(vec![None; planned.len()]);
    let jobs = options.jobs.clamp(1, planned.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = planned.get(i) else { break };
                let report = run_one(p, options, on_event);
                on_event(Event::Done(&report));
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(report);
            });
        }
    });
    let sessions = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    BatchReport::new(sessions)
}

/// The report of a session before it is converted.
fn blank(p: &Planned, status: Status) -> SessionReport {
    SessionReport {
        name: p.session.name.clone(),
        scheme: p.session.scheme,
        inputs: p.session.files.clone(),
        output: p.output.clone(),
        status,
        reason: None,
        duration_ms: None,
        warnings: Vec::new(),
        errors: Vec::new(),
    }
}

/// What [`run`] would do with a session without converting it: skipped, failed, or `None`
/// (to convert).
pub fn decided(p: &Planned) -> Option<SessionReport> {
    let mut r = blank(p, Status::Skipped);
    if let Some(e) = &p.error {
        r.status = Status::Failed;
        r.errors.push(e.clone());
    } else if p.empty {
        r.reason = Some("no packet recorded yet (header only)".into());
    } else if p.output.is_none() {
        r.status = Status::Failed;
        r.errors
            .push("no recording of a codec that can be converted".into());
    } else if p.up_to_date {
        r.reason = Some("output up to date".into());
    } else {
        return None;
    }
    Some(r)
}

fn run_one(
    p: &Planned,
    options: &BatchOptions,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> SessionReport {
    if let Some(r) = decided(p) {
        on_event(Event::Bytes(p.bytes));
        return r;
    }
    let output = p.output.as_ref().expect("decided() checked");
    let mut r = blank(p, Status::Converted);
    let mut tags = session_tags(&p.session.name);
    tags.extend(options.convert.tags.iter().cloned());
    let convert_options = ConvertOptions {
        // Out of date: the outputs are the journal, and this one is stale.
        force: true,
        tags,
        ..options.convert.clone()
    };
    let mut seen = 0u64;
    let mut progress = |done: u64, _total: u64| {
        if done > seen {
            on_event(Event::Bytes(done - seen));
            seen = done;
        }
    };
    match convert(&p.session.inputs, output, &convert_options, &mut progress) {
        Ok(report) => {
            r.duration_ms = Some(report.duration_ms);
            r.warnings = report.warnings.iter().map(|w| w.to_string()).collect();
        }
        Err(e) => {
            r.status = Status::Failed;
            r.errors.push(e.to_string());
        }
    }
    on_event(Event::Bytes(p.bytes.saturating_sub(seen)));
    r
}

/// Scans `in_dir`, plans its sessions into `out_dir`.
///
/// # Errors
///
/// `in_dir` cannot be read.
pub fn scan_and_plan(
    in_dir: &Path,
    out_dir: &Path,
    options: &BatchOptions,
) -> std::io::Result<Vec<Planned>> {
    let (sessions, probes) = crate::session::scan(in_dir, &options.group)?;
    Ok(plan(
        sessions,
        &probes,
        out_dir,
        options.convert.skip_unsupported,
    ))
}

/// The tags a session's name gives its output: SESSION (the name), and the ROOM and USER of a
/// VideoRoom name (`videoroom-<room>-user-<id>-<time>`) or the USER of a SIP one
/// (`sip-<session>-<user>-<time>`).
pub fn session_tags(name: &str) -> Vec<(String, String)> {
    let mut tags = vec![("SESSION".to_string(), name.to_string())];
    let parts: Vec<&str> = name.split('-').collect();
    match parts.as_slice() {
        ["videoroom", room, "user", user, ..] => {
            tags.push(("ROOM".into(), (*room).into()));
            tags.push(("USER".into(), (*user).into()));
        }
        ["sip", _, user, ..] => tags.push(("USER".into(), (*user).into())),
        _ => {}
    }
    tags
}

#[cfg(test)]
mod session_tag_tests {
    use super::session_tags;

    #[test]
    fn videoroom_and_sip_names_give_their_room_and_user_as_tags() {
        let t = |name| {
            session_tags(name)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            t("videoroom-1234-user-5678-1700000000000000"),
            [
                "SESSION=videoroom-1234-user-5678-1700000000000000",
                "ROOM=1234",
                "USER=5678"
            ]
        );
        assert_eq!(
            t("sip-abc-alice-17000"),
            ["SESSION=sip-abc-alice-17000", "USER=alice"]
        );
        assert_eq!(t("meeting"), ["SESSION=meeting"]);
    }
}
