//! `mjrtool`: turn Janus `.mjr` recordings into playable, synchronized, seekable files.
#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mjrtool::convert::{self, CliError, ConvertOptions, OutputFormat};
use mjrtool::synth::{self, SynthOptions};

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
    },
    /// Convert one recording (or a recordplay .nfo) to .webm, .mkv, .opus or .ogg.
    Convert {
        /// The .mjr recording or recordplay .nfo file
        input: PathBuf,
        /// The output file; its extension picks the format (`-`: standard output, with --format)
        output: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Mux several recordings (e.g. audio + video) into one synchronized .webm or .mkv.
    Mux {
        /// Input recordings, then the output file (.webm or .mkv; `-` for standard output)
        #[arg(required = true, num_args = 2..)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Generate a synthetic audio+video recording pair (MJR00002) from the built-in fixtures.
    Synth(SynthArgs),
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
    /// Output format, when the extension does not say
    #[arg(long, value_parser = ["webm", "mkv", "opus", "ogg"])]
    format: Option<String>,
    /// Reorder window, in packets
    #[arg(long, default_value_t = mixer::source::DEFAULT_REORDER_WINDOW)]
    reorder_window: usize,
    /// Video frames after a lost packet: drop them until the next keyframe (a frozen but clean
    /// picture), or keep the complete ones (artefacts until the next keyframe, as janus-pp-rec)
    #[arg(long, value_enum, default_value_t = AfterLossArg::WaitKeyframe)]
    after_loss: AfterLossArg,
    /// Flush the output to the disk (fsync) before renaming it into place
    #[arg(long)]
    sync: bool,
}

/// `--after-loss` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum AfterLossArg {
    /// Drop frames until the next keyframe
    WaitKeyframe,
    /// Keep complete frames; drop only those with a hole
    KeepFrames,
}

#[derive(Args)]
struct SynthArgs {
    /// Folder to write video.mjr, audio.mjr and session.nfo into
    #[arg(long)]
    out_dir: PathBuf,
    /// Session length in seconds
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Audio starts this many seconds after video (negative: before)
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    audio_delay: f64,
    /// Probability that a packet is lost
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Probability that a packet arrives before the previous one
    #[arg(long, default_value_t = 0.0)]
    reorder: f64,
    /// Probability that a packet is recorded twice
    #[arg(long, default_value_t = 0.0)]
    duplicate: f64,
    /// Publishers restart (new SSRC, sequence and timestamps) this many seconds in
    #[arg(long)]
    restart_at: Option<f64>,
    /// How long the publishers are away when they restart, seconds
    #[arg(long, default_value_t = 1.0)]
    restart_pause: f64,
    /// On restart keep the SSRC and jump to random sequence numbers/timestamps (by default the
    /// recording shows what Janus writes: new SSRC, sequence and timestamps continued)
    #[arg(long)]
    raw_restart: bool,
    /// Pad VP8 frames to reach this video bitrate (bit/s), for heavy-load benchmarks
    #[arg(long)]
    video_bitrate: Option<u64>,
    /// MJR format: 0 (legacy MEETECHO), 1 (MJR00001) or 2 (MJR00002)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    mjr_version: u8,
    /// Seed for the random choices
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Overwrite existing files
    #[arg(short = 'y', long = "force")]
    force: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mjrtool: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Info {
            files,
            json,
            strict,
        } => {
            let options = ConvertOptions {
                strict,
                ..ConvertOptions::default()
            };
            let report = convert::info(&files, &options)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("serializable")
                );
            } else {
                print_info(&report);
            }
            Ok(())
        }
        Command::Convert {
            input,
            output,
            common,
        } => convert_cmd(&[input], &output, &common),
        Command::Mux { mut files, common } => {
            let output = files.pop().expect("clap requires two or more");
            convert_cmd(&files, &output, &common)
        }
        Command::Synth(args) => synth_cmd(&args),
    }
}

fn convert_cmd(inputs: &[PathBuf], output: &Path, c: &CommonArgs) -> Result<(), CliError> {
    let options = ConvertOptions {
        align: !c.no_align,
        strict: c.strict,
        force: c.force,
        format: c.format.as_deref().map(|f| match f {
            "webm" => OutputFormat::Webm,
            "mkv" => OutputFormat::Mkv,
            _ => OutputFormat::Ogg,
        }),
        reorder_window: c.reorder_window.max(1),
        after_loss: match c.after_loss {
            AfterLossArg::WaitKeyframe => mixer::source::AfterLoss::WaitForKeyframe,
            AfterLossArg::KeepFrames => mixer::source::AfterLoss::KeepCompleteFrames,
        },
        sync: c.sync,
    };
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
            eprintln!("{json}"); // standard output carries the file
        } else {
            println!("{json}");
        }
    } else if !c.quiet {
        let _ = convert::print_report(&mut std::io::stderr(), &report);
    }
    Ok(())
}

fn print_info(report: &convert::InfoReport) {
    let out = &mut std::io::stdout();
    if let Some(r) = &report.tracks {
        for i in &r.inputs {
            print_header(&i.path, &i.header);
            let t = &i.track;
            if let (Some(a), Some(b)) = (t.first_ns, t.end_ns) {
                println!("  duration    {:.3} s", (b - a) as f64 / 1e9);
            }
            if let Some((w, hgt)) = t.info.size {
                println!("  resolution  {w}x{hgt}");
            }
            println!(
                "  offset      {:+.3} s (start relative to the earliest track)",
                i.offset_ms / 1000.0
            );
            if let Some(s) = &t.source {
                println!(
                    "  packets     {} (lost {}, duplicates {}, out of order {}, late {}, not RTP {})",
                    s.mjr_packets,
                    s.reorder.lost,
                    s.reorder.duplicates,
                    s.reorder.reordered,
                    s.reorder.late,
                    s.invalid_rtp
                );
                println!(
                    "  frames      {} (keyframes {}, dropped {})",
                    s.depack.frames,
                    s.depack.keyframes,
                    s.depack.frames_dropped_incomplete + s.depack.frames_dropped_waiting_keyframe
                );
                if s.ssrcs.len() > 1 || t.reanchors > 0 {
                    println!(
                        "  restarts    {} SSRCs, {} timeline re-anchors",
                        s.ssrcs.len(),
                        t.reanchors
                    );
                }
            }
        }
        for w in &r.warnings {
            println!("warning: {w}");
        }
    }
    for o in &report.other {
        print_header(&o.path, &o.header);
        println!("  packets     {}", o.packets);
        if let Some((a, b)) = o.packet_time_range_ms {
            println!("  duration    {:.3} s", (b - a) as f64 / 1000.0);
        }
        println!("  converts    no: {}", o.not_converted);
        for w in &o.warnings {
            println!("warning: {}: {w}", o.path.display());
        }
    }
    let _ = out;
}

/// The header lines of `info`, the same for every recording.
fn print_header(path: &Path, h: &mjr::Header) {
    println!("{}", path.display());
    println!("  format      {:?}", h.version);
    println!("  type        {:?}, codec {}", h.kind, h.codec.name());
    if let Some(f) = &h.fmtp {
        println!("  fmtp        {f}");
    }
    if let Some(s) = h.created_us {
        println!("  created     {}", mjrtool::time::rfc3339_us(s));
    }
    if let Some(u) = h.first_written_us {
        println!("  first write {}", mjrtool::time::rfc3339_us(u));
    }
    if h.encrypted {
        println!("  encrypted   yes (end-to-end: media cannot be decoded)");
    }
}

fn synth_cmd(a: &SynthArgs) -> Result<(), CliError> {
    let version = match a.mjr_version {
        0 => mjr::FormatVersion::Legacy,
        1 => mjr::FormatVersion::Mjr1,
        _ => mjr::FormatVersion::Mjr2,
    };
    let o = SynthOptions {
        duration_ms: (a.duration * 1000.0).max(0.0) as u64,
        audio_delay_ms: (a.audio_delay * 1000.0) as i64,
        loss: a.loss,
        reorder: a.reorder,
        duplicate: a.duplicate,
        restart_at_ms: a.restart_at.map(|s| (s * 1000.0).max(0.0) as u64),
        restart_pause_ms: (a.restart_pause * 1000.0).max(0.0) as u64,
        raw_restart: a.raw_restart,
        version,
        seed: a.seed,
        video_bitrate: a.video_bitrate,
        ..SynthOptions::default()
    };
    std::fs::create_dir_all(&a.out_dir).map_err(|source| CliError::Io {
        path: a.out_dir.clone(),
        source,
    })?;
    let write =
        |name: &str, f: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<synth::TrackTruth>| {
            let path = a.out_dir.join(name);
            let (guard, mut w) =
                mjrtool::output::AtomicOutput::create(&path, a.force).map_err(|source| {
                    CliError::Io {
                        path: path.clone(),
                        source,
                    }
                })?;
            let truth = f(&mut w).map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
            guard.commit(w, false).map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
            Ok::<_, CliError>(truth)
        };
    let v = write("video.mjr", &|w| synth::write_video(w, &o))?;
    let au = write("audio.mjr", &|w| synth::write_audio(w, &o))?;
    let nfo = a.out_dir.join("session.nfo");
    if nfo.exists() && !a.force {
        return Err(CliError::Io {
            path: nfo,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "already exists (use --force)",
            ),
        });
    }
    std::fs::write(
        &nfo,
        synth::nfo_text(1, Some("audio.mjr"), Some("video.mjr")),
    )
    .map_err(|source| CliError::Io {
        path: nfo.clone(),
        source,
    })?;
    eprintln!(
        "wrote {}: video {} frames / {} packets ({} bytes), audio {} packets ({} bytes), audio starts {:+.3} s after video",
        a.out_dir.display(),
        v.frames,
        v.packets,
        v.bytes,
        au.packets,
        au.bytes,
        (au.first_written_us - v.first_written_us) as f64 / 1e6
    );
    Ok(())
}
