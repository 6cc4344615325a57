//! `mjrtool`: turn Janus `.mjr` recordings into playable, synchronized, seekable files.
//!
//! Everything printed goes through [`text::line`] (one escaped line at a time) and every
//! write is checked: a closed pipe ends the run quietly with exit code 0, any other write error
//! is one line on standard error and exit code 1.
#![forbid(unsafe_code)]

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mjrtool_convert::convert::{self, CliError, ConvertOptions, OutputFormat};
use mjrtool_core::{MediaKind, VideoSize};
mod batch;
mod pprec;
mod text;
mod watch;

/// Writes one escaped line built with `format!` syntax, returning from the function on error.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {
        text::line($out, &format!($($arg)*))?
    };
}

/// The names `--format` takes (each also an output extension).
const FORMATS: [&str; 9] = [
    "webm", "mkv", "mp4", "opus", "ogg", "wav", "srt", "vtt", "bin",
];

#[derive(Parser)]
#[command(
    name = "mjrtool",
    version,
    about = "Turn Janus .mjr recordings into playable, synchronized, seekable WebM / Matroska / Ogg Opus files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Describe recordings: format, codec, times, packets, losses, resolution, A/V offset.
    Info {
        /// .mjr files (or a recordplay .nfo)
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Fail on the first sign of damage
        #[arg(long)]
        strict: bool,
        /// Read each file's header alone (its first bytes), not its packets: fast on many files
        #[arg(long)]
        header_only: bool,
    },
    /// Convert one recording (or a recordplay .nfo) to .webm, .mkv, .mp4, .opus, .wav, .srt,
    /// .vtt or .bin (the output's extension picks the container).
    Convert {
        /// The .mjr recording or recordplay .nfo file
        input: PathBuf,
        /// The output file; its extension picks the format (`-`: standard output, with --format)
        output: PathBuf,
        /// Output format, when the extension does not say
        #[arg(long, value_parser = FORMATS)]
        format: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Mux several recordings (audio, video, data) into one synchronized .webm, .mkv or .mp4.
    Mux {
        /// Input recordings, then the output file (.webm, .mkv or .mp4; `-` for standard output)
        #[arg(required = true, num_args = 2..)]
        files: Vec<PathBuf>,
        /// Output format, when the extension does not say
        #[arg(long, value_parser = ["webm", "mkv", "mp4"])]
        format: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Convert every session of a folder of recordings, one file per session.
    Batch(batch::BatchArgs),
    /// Keep converting the sessions of a folder as Janus completes them.
    Watch(watch::WatchArgs),
    /// janus-pp-rec's command line (also when run as `janus-pp-rec`); see `mjrtool pp-rec --help`.
    #[command(disable_help_flag = true)]
    PpRec {
        /// janus-pp-rec's options and files
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(Args)]
struct CommonArgs {
    /// Overwrite the output if it exists
    #[arg(short = 'y', long = "force")]
    force: bool,
    /// Turn every warning (damaged file, skipped packets) into an error
    #[arg(long)]
    strict: bool,
    /// Start every track at zero instead of aligning them on wall-clock time
    #[arg(long)]
    no_align: bool,
    /// Print a JSON summary on standard output
    #[arg(long)]
    json: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    quiet: bool,
    /// Reorder window, in packets
    #[arg(long, default_value_t = mjrtool_convert::track::DEFAULT_REORDER_WINDOW)]
    reorder_window: usize,
    /// Video frames after a lost packet: drop them until the next keyframe (a frozen but clean
    /// picture), or keep the complete ones (artefacts until the next keyframe, as janus-pp-rec)
    #[arg(long, value_enum, default_value_t = AfterLossArg::KeepFrames)]
    after_loss: AfterLossArg,
    /// Flush the output to the disk (fsync) before renaming it into place
    #[arg(long)]
    sync: bool,
    /// Follow .nfo paths that lead outside the .nfo's folder (absolute, "..", symbolic links)
    #[arg(long)]
    allow_nfo_outside: bool,
    /// Convert the other recordings when one cannot be converted (unsupported codec,
    /// encryption, no playable frame) instead of failing; the summary lists what was skipped
    #[arg(long)]
    skip_unsupported: bool,
    /// VP9 SVC: keep only the spatial layers up to this id (0 = the smallest picture); by
    /// default all layers, the picture at its full size
    #[arg(long, value_name = "ID")]
    svc_layer: Option<u8>,
    /// Save this text in the output as its comment (Matroska COMMENT tag, MP4 ©cmt), as
    /// janus-pp-rec's --metadata
    #[arg(short = 'm', long, value_name = "TEXT")]
    metadata: Option<String>,
}

/// `--after-loss` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum AfterLossArg {
    /// Drop frames until the next keyframe
    WaitKeyframe,
    /// Keep complete frames; drop only those with a hole
    KeepFrames,
}

/// Why a run failed.
enum Failure {
    /// The command failed.
    Cli(CliError),
    /// Printing to standard output or standard error failed.
    Print(io::Error),
}

impl From<CliError> for Failure {
    fn from(e: CliError) -> Self {
        Failure::Cli(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Print(e)
    }
}

impl Failure {
    /// Whether the reader of a pipe went away: not worth a message (as `head` closing early).
    fn is_broken_pipe(&self) -> bool {
        let source = match self {
            Failure::Print(e) => return e.kind() == io::ErrorKind::BrokenPipe,
            Failure::Cli(CliError::Output { path, source })
                if path == Path::new(convert::STDOUT) =>
            {
                source
            }
            Failure::Cli(_) => return false,
        };
        if let mjrtool_convert::OutputError::Io(e) = source {
            return e.kind() == io::ErrorKind::BrokenPipe;
        }
        let mut next = std::error::Error::source(source);
        while let Some(e) = next {
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return true;
            }
            next = e.source();
        }
        false
    }
}

fn main() -> ExitCode {
    if let Some(code) = pprec::dispatch(&std::env::args_os().collect::<Vec<_>>()) {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = mjrtool_convert::cleanup::remove_temps_on_signals()
        .map_err(|e| Failure::Print(io::Error::new(e.kind(), format!("signal handlers: {e}"))))
        .and_then(|()| run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.is_broken_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            let message = match f {
                Failure::Cli(e) => e.to_string(),
                Failure::Print(e) => format!("cannot print: {e}"),
            };
            // If standard error fails too, the exit code is all that is left.
            let _ = text::line(
                &mut io::stderr().lock(),
                &format!("mjrtool: error: {message}"),
            );
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Info {
            header_only: true,
            files,
            json,
            ..
        } => batch::header_only_info(&files, json),
        Command::Info {
            files,
            json,
            strict,
            ..
        } => {
            let options = ConvertOptions {
                strict,
                ..ConvertOptions::default()
            };
            let report = convert::info(&files, &options)?;
            let out = &mut io::stdout().lock();
            if json {
                let json = serde_json::to_string_pretty(&report).expect("serializable");
                writeln!(out, "{json}")?;
            } else {
                print_info(out, &report)?;
            }
            out.flush()?;
            Ok(())
        }
        Command::Convert {
            input,
            output,
            format,
            common,
        } => convert_cmd(&[input], &output, format.as_deref(), &common),
        Command::Mux {
            mut files,
            format,
            common,
        } => {
            let output = files.pop().expect("clap requires two or more");
            convert_cmd(&files, &output, format.as_deref(), &common)
        }
        Command::Batch(args) => batch::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::PpRec { .. } => unreachable!("pprec::dispatch runs `mjrtool pp-rec` first"),
    }
}

fn convert_cmd(
    inputs: &[PathBuf],
    output: &Path,
    format: Option<&str>,
    c: &CommonArgs,
) -> Result<(), Failure> {
    let options = ConvertOptions {
        align: !c.no_align,
        strict: c.strict,
        force: c.force,
        format: format.and_then(|f| OutputFormat::from_path(Path::new(&format!("x.{f}")))),
        reorder_window: c.reorder_window.max(1),
        after_loss: match c.after_loss {
            AfterLossArg::WaitKeyframe => mjrtool_convert::track::AfterLoss::WaitForKeyframe,
            AfterLossArg::KeepFrames => mjrtool_convert::track::AfterLoss::KeepCompleteFrames,
        },
        sync: c.sync,
        allow_nfo_outside: c.allow_nfo_outside,
        skip_unsupported: c.skip_unsupported,
        max_spatial_layer: c.svc_layer,
        metadata: c.metadata.clone(),
        ..ConvertOptions::default()
    };
    if output == Path::new(convert::STDOUT) {
        mjrtool_convert::output::check_stdout_open().map_err(|source| CliError::Io {
            path: output.to_path_buf(),
            source,
        })?;
    }
    let bar = (!c.quiet && !c.json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let mut on_progress = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let result = convert::convert(inputs, output, &options, &mut on_progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = result?;
    if c.json {
        let json = serde_json::to_string_pretty(&report).expect("serializable");
        if output == Path::new(convert::STDOUT) {
            writeln!(io::stderr().lock(), "{json}")?; // standard output carries the file
        } else {
            let out = &mut io::stdout().lock();
            writeln!(out, "{json}")?;
            out.flush()?;
        }
    } else if !c.quiet {
        text::print_report(&mut io::stderr().lock(), &report)?;
    }
    Ok(())
}

fn print_info(out: &mut dyn Write, report: &convert::InfoReport) -> io::Result<()> {
    if let Some(r) = &report.tracks {
        for i in &r.inputs {
            print_header(out, &i.path, Some(&i.header))?;
            let t = &i.track;
            let recorded = i.source.as_ref().and_then(|s| s.packet_time_range_ms);
            if let Some((a, b)) = recorded {
                outln!(
                    out,
                    "  length      {:.3} s (first to last packet written)",
                    f64::from(b - a) / 1000.0
                );
            }
            if let (Some(a), Some(b)) = (t.first_ns, t.end_ns) {
                outln!(
                    out,
                    "  media       {:.3} s (first frame to end of last)",
                    (b - a) as f64 / 1e9
                );
            }
            if let Some(VideoSize {
                width: w,
                height: hgt,
            }) = t.info.size
            {
                outln!(out, "  resolution  {w}x{hgt}");
            }
            if t.info.first_wall_ns.is_none() {
                outln!(
                    out,
                    "  offset      unknown (the recording has no wall-clock times)"
                );
            } else if !r.aligned {
                outln!(
                    out,
                    "  offset      not aligned (another recording has no wall-clock times)"
                );
            } else {
                outln!(
                    out,
                    "  offset      {:+.3} s (start relative to the earliest track)",
                    i.offset_ms / 1000.0
                );
            }
            if let Some(s) = &i.source {
                outln!(out,
                    "  packets     {} (lost {}, duplicates {}, out of order {}, late {}, not RTP {})",
                    s.mjr_packets,
                    s.reorder.lost,
                    s.reorder.duplicates,
                    s.reorder.reordered,
                    s.reorder.late,
                    s.invalid_rtp
                );
                let dropped = s.frames_dropped();
                if t.info.codec.kind() == Some(MediaKind::Data) {
                    outln!(out, "  messages    {}", s.messages);
                } else if t.info.codec.is_audio() {
                    outln!(out, "  frames      {} (dropped {dropped})", s.depack.frames);
                    if s.telephone_events > 0 || s.comfort_noise > 0 {
                        outln!(
                            out,
                            "  kept out    {} DTMF events (RFC 4733), {} comfort-noise packets",
                            s.telephone_events,
                            s.comfort_noise
                        );
                    }
                } else {
                    outln!(
                        out,
                        "  frames      {} (keyframes {}, dropped {dropped})",
                        s.depack.frames,
                        s.depack.keyframes
                    );
                }
                if s.ssrcs.len() > 1 || s.reorder.resets > 0 {
                    outln!(
                        out,
                        "  restarts    {} (SSRCs {})",
                        s.restarts(),
                        s.ssrcs.len()
                    );
                }
                if t.reanchors > 0 {
                    outln!(
                        out,
                        "  time jumps  {} (pauses or restarts where the media clock and the arrival times part)",
                        t.reanchors
                    );
                }
            }
        }
        for w in &r.warnings {
            outln!(out, "warning: {w}");
        }
    }
    for o in &report.other {
        print_header(out, &o.path, o.header.as_ref())?;
        outln!(out, "  packets     {}", o.packets);
        if let Some((a, b)) = o.packet_time_range_ms {
            outln!(out, "  duration    {:.3} s", (b - a) as f64 / 1000.0);
        }
        outln!(out, "  converts    no: {}", o.not_converted);
        for w in &o.warnings {
            outln!(out, "warning: {}: {w}", o.path.display());
        }
    }
    Ok(())
}

/// The header lines of `info`, the same for every recording.
fn print_header(out: &mut dyn Write, path: &Path, h: Option<&mjr::Header>) -> io::Result<()> {
    outln!(out, "{}", path.display());
    let Some(h) = h else {
        outln!(out, "  format      header only (no info header, no packet)");
        return Ok(());
    };
    outln!(out, "  format      {:?}", h.version);
    outln!(out, "  type        {:?}, codec {}", h.kind, h.codec.name());
    if let Some(f) = &h.fmtp {
        outln!(out, "  fmtp        {f}");
    }
    if let Some(s) = h.created_us {
        outln!(
            out,
            "  created     {}",
            mjrtool_convert::time::rfc3339_us(s)
        );
    }
    if let Some(u) = h.first_written_us {
        outln!(
            out,
            "  first write {}",
            mjrtool_convert::time::rfc3339_us(u)
        );
    }
    if h.encrypted {
        outln!(
            out,
            "  encrypted   yes (end-to-end: media cannot be decoded)"
        );
    }
    Ok(())
}
