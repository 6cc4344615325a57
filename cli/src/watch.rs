//! `mjrtool watch`: converts each session of a folder once its recordings are complete.
//!
//! The decisions are [`mjrtool_convert::watch::Watcher`]'s; this file only waits: for a
//! file-system event (inotify through the `notify` crate, or its polling watcher with `--poll`
//! or where inotify cannot be had) or for the moment a pending session may have become quiet.
//! SIGINT and SIGTERM end the run through the CLI's signal handler
//! ([`mjrtool_convert::cleanup::remove_temps_on_signals`]): the temporary file of a conversion
//! under way is removed, and finished outputs are complete by construction.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, SystemTime};

use clap::Args;
use mjrtool_convert::batch::{self, Status};
use mjrtool_convert::convert::CliError;
use mjrtool_convert::watch::Watcher;

use crate::batch::BatchArgs;
use crate::Failure;

/// `mjrtool watch` arguments.
#[derive(Args)]
pub struct WatchArgs {
    /// Folder Janus records into
    pub in_dir: PathBuf,
    /// Folder the outputs are written to
    #[arg(long = "out")]
    pub out_dir: PathBuf,
    /// A session without a .nfo is complete once none of its files changed for this many
    /// seconds
    #[arg(long, default_value_t = 30.0)]
    pub quiet_secs: f64,
    /// Poll the folder instead of using inotify (network file systems, containers)
    #[arg(long)]
    pub poll: bool,
    /// Sessions converted at once (default: one per core)
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Print one JSON object per session done, one per line
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    /// Creation-time tolerance of recordings without a name scheme, seconds
    #[arg(long, default_value_t = 2.0)]
    pub tolerance: f64,
    /// Leave out recordings whose codec cannot be converted yet instead of failing the session
    #[arg(long)]
    pub skip_unsupported: bool,
}

/// A file-system watcher that wakes the loop through `tx`: inotify, or polling every `every`.
fn start_watcher(
    dir: &Path,
    poll: bool,
    every: Duration,
    tx: &mpsc::Sender<()>,
) -> Result<Box<dyn notify::Watcher>, notify::Error> {
    let handler = |tx: mpsc::Sender<()>| {
        move |_: notify::Result<notify::Event>| {
            let _ = tx.send(());
        }
    };
    let polling = || -> Result<Box<dyn notify::Watcher>, notify::Error> {
        let config = notify::Config::default().with_poll_interval(every);
        Ok(Box::new(notify::PollWatcher::new(
            handler(tx.clone()),
            config,
        )?))
    };
    let mut watcher: Box<dyn notify::Watcher> = if poll {
        polling()?
    } else {
        // No inotify (its limits reached, an unsupported file system): poll instead.
        match notify::recommended_watcher(handler(tx.clone())) {
            Ok(w) => Box::new(w),
            Err(_) => polling()?,
        }
    };
    watcher.watch(dir, notify::RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Runs `mjrtool watch` until a signal ends it.
pub fn run(a: &WatchArgs) -> Result<(), Failure> {
    let quiet = Duration::from_secs_f64(a.quiet_secs.clamp(0.0, 86_400.0));
    let options = BatchArgs {
        in_dir: a.in_dir.clone(),
        out_dir: a.out_dir.clone(),
        jobs: a.jobs,
        dry_run: false,
        json: a.json,
        quiet: a.quiet,
        tolerance: a.tolerance,
        skip_unsupported: a.skip_unsupported,
        strict: false,
        sync: false,
    }
    .options();
    std::fs::create_dir_all(&a.out_dir).map_err(|source| CliError::Io {
        path: a.out_dir.clone(),
        source,
    })?;
    let every = (quiet / 2).clamp(Duration::from_millis(100), Duration::from_secs(2));
    let (tx, rx) = mpsc::channel();
    let _fs_watcher = start_watcher(&a.in_dir, a.poll, every, &tx).map_err(|e| CliError::Io {
        path: a.in_dir.clone(),
        source: io::Error::other(format!("cannot watch the folder: {e}")),
    })?;
    let mut watcher = Watcher::new(&a.in_dir, &a.out_dir, quiet, options);
    loop {
        let scan = watcher
            .scan(SystemTime::now())
            .map_err(|source| CliError::Io {
                path: a.in_dir.clone(),
                source,
            })?;
        if !scan.ready.is_empty() {
            let report = batch::run(&scan.ready, watcher.options(), &|_| {});
            let out = &mut io::stdout().lock();
            for s in &report.sessions {
                if s.status == Status::Failed {
                    watcher.failed(&s.name);
                }
                if a.json {
                    let json = serde_json::to_string(s).expect("serializable");
                    writeln!(out, "{json}")?;
                } else if !a.quiet || s.status == Status::Failed {
                    crate::batch::print_sessions(out, std::slice::from_ref(s))?;
                }
            }
            out.flush()?;
            continue;
        }
        let wait = scan.next_check.unwrap_or(quiet.max(Duration::from_secs(5)));
        match rx.recv_timeout(wait) {
            // Let a burst of events settle, then scan once.
            Ok(()) => while rx.recv_timeout(Duration::from_millis(100)).is_ok() {},
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
        }
    }
}
