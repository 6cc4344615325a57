//! `mjrtool batch` (a whole folder, one file per session) and `mjrtool info --header-only`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mjrtool_convert::batch::{
    self, BatchOptions, BatchReport, Event, Planned, SessionReport, Status,
};
use mjrtool_convert::convert::{CliError, ConvertOptions};
use mjrtool_convert::session::GroupOptions;

use crate::{text, Failure};

/// `mjrtool batch` arguments.
#[derive(Args)]
pub struct BatchArgs {
    /// Folder of recordings (.mjr, and Record&Play .nfo files)
    pub in_dir: PathBuf,
    /// Folder the outputs are written to (one file per session, named after it)
    #[arg(long = "out")]
    pub out_dir: PathBuf,
    /// Sessions converted at once (default: one per core)
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Show the sessions and what would be done, convert nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report on standard output
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    /// Recordings without a name scheme are one session when their headers' creation times
    /// are within this many seconds (also the spread allowed between a VideoRoom publisher's
    /// streams)
    #[arg(long, default_value_t = 2.0)]
    pub tolerance: f64,
    /// Leave out recordings whose codec cannot be converted yet (or encrypted ones) and convert
    /// the rest of their session, instead of failing the session
    #[arg(long)]
    pub skip_unsupported: bool,
    /// Turn every warning of a session into its failure
    #[arg(long)]
    pub strict: bool,
    /// Flush each output to the disk (fsync) before renaming it into place
    #[arg(long)]
    pub sync: bool,
}

impl BatchArgs {
    /// The library's options.
    pub fn options(&self) -> BatchOptions {
        let defaults = BatchOptions::default();
        BatchOptions {
            jobs: self.jobs.unwrap_or(defaults.jobs).max(1),
            convert: ConvertOptions {
                strict: self.strict,
                sync: self.sync,
                skip_unsupported: self.skip_unsupported,
                ..ConvertOptions::default()
            },
            group: GroupOptions {
                tolerance_us: (self.tolerance.max(0.0) * 1e6) as i64,
            },
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs `mjrtool batch`.
pub fn run(a: &BatchArgs) -> Result<(), Failure> {
    let options = a.options();
    let planned =
        batch::scan_and_plan(&a.in_dir, &a.out_dir, &options).map_err(io_error(&a.in_dir))?;
    let out = &mut io::stdout().lock();
    if a.dry_run {
        if a.json {
            let json = serde_json::to_string_pretty(&planned).expect("serializable");
            writeln!(out, "{json}")?;
        } else {
            print_plan(out, &planned)?;
        }
        out.flush()?;
        return Ok(());
    }
    std::fs::create_dir_all(&a.out_dir).map_err(io_error(&a.out_dir))?;
    let bar = (!a.quiet && !a.json && io::stderr().is_terminal()).then(|| {
        let total = planned.iter().map(|p| p.bytes).sum();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40}] {bytes}/{total_bytes} {msg} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let done = std::sync::atomic::AtomicUsize::new(0);
    let sessions = planned.len();
    let on_event = |e: Event<'_>| {
        let Some(bar) = &bar else { return };
        match e {
            Event::Bytes(n) => bar.inc(n),
            Event::Done(_) => {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set_message(format!("{n}/{sessions} sessions"));
            }
        }
    };
    let report = batch::run(&planned, &options, &on_event);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if a.json {
        let json = serde_json::to_string_pretty(&report).expect("serializable");
        writeln!(out, "{json}")?;
        out.flush()?;
    } else if !a.quiet {
        print_report(out, &report)?;
        out.flush()?;
    }
    finish(&report)
}

/// Exit code 1 (through an error) when a session failed.
pub fn finish(report: &BatchReport) -> Result<(), Failure> {
    if report.failed > 0 {
        let total = report.sessions.len();
        return Err(Failure::Cli(CliError::Usage(format!(
            "{} of {total} sessions failed",
            report.failed
        ))));
    }
    Ok(())
}

fn print_plan(out: &mut dyn Write, planned: &[Planned]) -> io::Result<()> {
    for p in planned {
        let what = match batch::decided(p) {
            None => "convert".to_string(),
            Some(r) if r.status == Status::Failed => format!("fails: {}", r.errors.join("; ")),
            Some(r) => format!("skip: {}", r.reason.unwrap_or_default()),
        };
        let output = p
            .output
            .as_ref()
            .map_or("-".into(), |o| o.display().to_string());
        text::line(
            out,
            &format!(
                "{} ({:?}) -> {output}: {what}",
                p.session.name, p.session.scheme
            ),
        )?;
        for f in &p.session.files {
            text::line(out, &format!("  {}", f.display()))?;
        }
    }
    text::line(out, &format!("{} sessions", planned.len()))
}

/// One line per session converted or failed, then the counts.
pub fn print_report(out: &mut dyn Write, report: &BatchReport) -> io::Result<()> {
    print_sessions(out, &report.sessions)?;
    text::line(
        out,
        &format!(
            "{} converted, {} skipped, {} failed",
            report.converted, report.skipped, report.failed
        ),
    )
}

/// One line per session converted or failed (and one per warning).
pub fn print_sessions(out: &mut dyn Write, sessions: &[SessionReport]) -> io::Result<()> {
    for s in sessions {
        let output = s
            .output
            .as_ref()
            .map_or("-".into(), |o| o.display().to_string());
        match s.status {
            Status::Converted => {
                let secs = s.duration_ms.unwrap_or(0.0) / 1000.0;
                text::line(
                    out,
                    &format!("converted {} -> {output} ({secs:.3} s)", s.name),
                )?;
                for w in &s.warnings {
                    text::line(out, &format!("  warning: {w}"))?;
                }
            }
            Status::Failed => {
                text::line(out, &format!("failed {}: {}", s.name, s.errors.join("; ")))?
            }
            Status::Skipped => {}
        }
    }
    Ok(())
}

/// `mjrtool info --header-only`: each file's header, read from its first bytes alone.
pub fn header_only_info(files: &[PathBuf], json: bool) -> Result<(), Failure> {
    let out = &mut io::stdout().lock();
    let mut failed = None;
    let mut entries = Vec::new();
    for path in files {
        match read_header(path) {
            Ok(h) if json => {
                entries.push(serde_json::json!({ "path": path, "header": h }));
            }
            Ok(h) => crate::print_header(out, path, Some(&h))?,
            Err(e) => {
                let message = format!("{}: {e}", path.display());
                if json {
                    entries.push(serde_json::json!({ "path": path, "error": e }));
                }
                failed.get_or_insert(message);
            }
        }
    }
    if json {
        let json = serde_json::to_string_pretty(&entries).expect("serializable");
        writeln!(out, "{json}")?;
    }
    out.flush()?;
    match failed {
        Some(m) => Err(Failure::Cli(CliError::Usage(m))),
        None => Ok(()),
    }
}

/// A recording's header, read from its first bytes; the error does not echo the file's bytes
/// (the tool may read files the operator cannot).
pub fn read_header(path: &Path) -> Result<mjr::Header, String> {
    let reader = std::fs::File::open(path)
        .map_err(mjr::Error::Io)
        .and_then(mjr::MjrReader::new);
    match reader {
        Ok(r) => Ok(r.header().clone()),
        Err(mjr::Error::NotMjr { .. }) => Err(
            "not an MJR recording: expected \"MJR00002\", \"MJR00001\" or \"MEETECHO\" at byte 0"
                .into(),
        ),
        Err(e) => Err(e.to_string()),
    }
}
