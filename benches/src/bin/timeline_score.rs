//! Scores the timeline against simulated sessions whose truth is known (see `TIMELINE.md`).
//!
//! ```text
//! cargo run --release -p mjr-benches --bin timeline-score -- [--sessions N] [--seed S]
//!     [--kind K] [--minutes M | --ms MS] [--after-loss wait|keep] [--worst N] [--write-dir DIR] [--each] [--explain] [--unaligned]
//! ```
//!
//! `--each` prints every session's score and scenario; `--explain` adds a per-second trace of
//! each track's placement error and of the intact frames lost. `--unaligned` starts each track at
//! zero and follows its RTP timestamps (the mixer's model of janus-pp-rec + ffmpeg).
//!
//! Session `i` is `Scenario::preset(kind, seed + i, duration)`: without `--kind` the kinds take
//! turns; without `--minutes`/`--ms` each session lasts 30-60 s (drawn from its seed). A worst
//! session is printed with the arguments that rebuild it alone (`--sessions 1`).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mjrtool_convert::track::AfterLoss;
use mjrtool_test_support::score::aggregate::Aggregate;
use mjrtool_test_support::score::{explain, score_with, Goals, ScoreOptions};
use mjrtool_test_support::sim::scenario::{Kind, Scenario};
use mjrtool_test_support::sim::simulate;

struct Args {
    sessions: u64,
    seed: u64,
    kind: Option<Kind>,
    duration_ms: Option<u64>,
    after_loss: AfterLoss,
    worst: usize,
    write_dir: Option<PathBuf>,
    each: bool,
    explain: bool,
    unaligned: bool,
}

const USAGE: &str = "usage: timeline-score [--sessions N] [--seed S] [--kind K] \
[--minutes M | --ms MS] [--after-loss wait|keep] [--worst N] [--write-dir DIR] [--each] [--explain] [--unaligned]";

fn parse() -> Result<Args, String> {
    let mut a = Args {
        sessions: 1000,
        seed: 1,
        kind: None,
        duration_ms: None,
        after_loss: AfterLoss::default(),
        worst: 10,
        write_dir: None,
        each: false,
        explain: false,
        unaligned: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value; {USAGE}"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--sessions" => a.sessions = number(value()?)?,
            "--seed" => a.seed = number(value()?)?,
            "--minutes" => a.duration_ms = Some(number(value()?)? * 60_000),
            "--ms" => a.duration_ms = Some(number(value()?)?),
            "--worst" => a.worst = number(value()?)? as usize,
            "--write-dir" => a.write_dir = Some(PathBuf::from(value()?)),
            "--kind" => {
                let v = value()?;
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                a.kind = Some(Kind::from_name(&v).ok_or(format!(
                    "--kind: expected one of {}, found {v}",
                    names.join(", ")
                ))?);
            }
            "--after-loss" => {
                a.after_loss = match value()?.as_str() {
                    "wait" => AfterLoss::WaitForKeyframe,
                    "keep" => AfterLoss::KeepCompleteFrames,
                    v => return Err(format!("--after-loss: expected wait or keep, found {v}")),
                }
            }
            "--each" => a.each = true,
            "--explain" => a.explain = true,
            "--unaligned" => a.unaligned = true,
            "-h" | "--help" => return Err(USAGE.into()),
            _ => return Err(format!("unknown argument {flag}; {USAGE}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.write_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let mut options = ScoreOptions {
        after_loss: args.after_loss,
        ..ScoreOptions::default()
    };
    options.mixer.align = !args.unaligned;
    let mut agg = Aggregate::new(Goals::default());
    let started = Instant::now();
    let mut media_ms = 0u64;
    for i in 0..args.sessions {
        let seed = args.seed.wrapping_add(i);
        let kind = args
            .kind
            .unwrap_or(Kind::ALL[(i % Kind::ALL.len() as u64) as usize]);
        let duration_ms = args
            .duration_ms
            .unwrap_or_else(|| Scenario::default_duration_ms(seed));
        media_ms += duration_ms;
        let session = simulate(&Scenario::preset(kind, seed, duration_ms));
        if let Some(dir) = &args.write_dir {
            if let Err(e) = write_session(dir, kind, seed, &session) {
                eprintln!("cannot write into {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if args.explain {
            match explain(&session, &options) {
                Ok(text) => println!("{} seed {seed}:\n{text}", kind.name()),
                Err(e) => println!("{} seed {seed}: mixer error: {e}", kind.name()),
            }
        }
        match score_with(&session, &options) {
            Ok(s) => {
                if args.each {
                    let ms = |ns: i64| ns as f64 / 1e6;
                    println!(
                        "{} seed {} {} ms: sync p50/p99/max {:.1}/{:.1}/{:.1} ms, dur err {:.1} \
                         ms, lost {:?}, backwards {}, equal {}\n  {:?}",
                        kind.name(),
                        seed,
                        duration_ms,
                        ms(s.sync.p50_ns),
                        ms(s.sync.p99_ns),
                        ms(s.sync.max_ns),
                        ms(s.duration_error_ns),
                        s.intact_lost,
                        s.backwards,
                        s.equal,
                        session.scenario
                    );
                }
                agg.add(&s)
            }
            Err(e) => agg.add_error(kind, seed, duration_ms, &e.to_string()),
        }
    }
    println!(
        "{} sessions, {:.1} h of media, scored in {:.1} s (after loss: {:?})\n",
        args.sessions,
        media_ms as f64 / 3.6e6,
        started.elapsed().as_secs_f64(),
        args.after_loss
    );
    print!("{}", agg.table());
    println!(
        "\ngoals: |sync| p99 <= 20 ms and max <= 40 ms, no intact frame lost, timestamps strictly \
         increasing (times in ms; dur err = largest |output duration - truth span|)"
    );
    if !agg.failures.is_empty() && args.worst > 0 {
        println!("\nworst sessions (rebuild one with --sessions 1 and these arguments):");
        print!("{}", agg.worst(args.worst));
    }
    ExitCode::SUCCESS
}

/// Writes `<kind>-<seed>-audio.mjr`, `-video.mjr` and `-truth.csv` (id, kind, capture ns,
/// keyframe, epoch, packets, packets arrived) into `dir`.
fn write_session(
    dir: &std::path::Path,
    kind: Kind,
    seed: u64,
    session: &mjrtool_test_support::sim::Session,
) -> std::io::Result<()> {
    let base = format!("{}-{seed}", kind.name());
    std::fs::write(dir.join(format!("{base}-audio.mjr")), &session.audio)?;
    std::fs::write(dir.join(format!("{base}-video.mjr")), &session.video)?;
    let mut csv = String::from("id,kind,capture_ns,keyframe,epoch,packets,packets_arrived\n");
    for f in &session.truth.frames {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            f.id,
            f.kind.name(),
            f.capture_ns,
            u8::from(f.keyframe),
            f.epoch,
            f.packets,
            f.packets_arrived
        ));
    }
    std::fs::write(dir.join(format!("{base}-truth.csv")), csv)
}
