//! Scores janus-pp-rec + ffmpeg against the same simulated sessions as `timeline-score`, and
//! mjrtool beside it (see `TIMELINE.md`; `benches/timeline-pprec.sh` makes the inputs).
//!
//! ```text
//! pprec-score --dir DIR [--ms MS] [--after-loss wait|keep] [--worst N]
//! ```
//!
//! `DIR` holds what `timeline-score --write-dir DIR` wrote (`<kind>-<seed>-truth.csv` and the two
//! recordings) and, per session, `<kind>-<seed>.mkv` (the two janus-pp-rec outputs joined by
//! ffmpeg) and `<kind>-<seed>-packets.csv` (`ffprobe -show_packets -of csv` of that file). Each
//! session is rebuilt from its kind and seed (`--ms` must be the one given to `timeline-score`)
//! and checked against its truth CSV; the MKV is read with `webm_mux::reader`, checked packet by
//! packet against ffprobe, and every block is mapped back to its capture by the id in its
//! payload. Blocks without an id, and the Opus silence janus-pp-rec writes into gaps, count as
//! filler. A missing or unreadable MKV counts as a session the tool refused.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mjrtool_convert::track::AfterLoss;
use mjrtool_test_support::score::aggregate::{Aggregate, KindStats};
use mjrtool_test_support::score::{score_placed, score_with, Goals, Placed, ScoreOptions};
use mjrtool_test_support::sim::payload::{opus_frame_id, vp8_frame_id};
use mjrtool_test_support::sim::scenario::{Kind, Scenario};
use mjrtool_test_support::sim::{simulate, Session};

const USAGE: &str = "usage: pprec-score --dir DIR [--ms MS] [--after-loss wait|keep] [--worst N]";

struct Args {
    dir: PathBuf,
    duration_ms: Option<u64>,
    after_loss: AfterLoss,
    worst: usize,
}

fn parse() -> Result<Args, String> {
    let mut dir = None;
    let mut a = Args {
        dir: PathBuf::new(),
        duration_ms: None,
        after_loss: AfterLoss::default(),
        worst: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value; {USAGE}"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--ms" => a.duration_ms = Some(number(value()?)?),
            "--worst" => a.worst = number(value()?)? as usize,
            "--after-loss" => {
                a.after_loss = match value()?.as_str() {
                    "wait" => AfterLoss::WaitForKeyframe,
                    "keep" => AfterLoss::KeepCompleteFrames,
                    v => return Err(format!("--after-loss: expected wait or keep, found {v}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            _ => return Err(format!("unknown argument {flag}; {USAGE}")),
        }
    }
    a.dir = dir.ok_or(format!("--dir is required; {USAGE}"))?;
    Ok(a)
}

/// The sessions in `dir`: (kind, seed, path prefix `<dir>/<kind>-<seed>`), by seed.
fn sessions(dir: &Path) -> Result<Vec<(Kind, u64, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .file_name();
        let Some(base) = name.to_str().and_then(|n| n.strip_suffix("-truth.csv")) else {
            continue;
        };
        let parsed = base
            .rsplit_once('-')
            .and_then(|(kind, seed)| Some((Kind::from_name(kind)?, seed.parse::<u64>().ok()?)));
        let (kind, seed) = parsed.ok_or(format!(
            "{base}-truth.csv: expected <kind>-<seed>-truth.csv"
        ))?;
        out.push((kind, seed, dir.join(base)));
    }
    out.sort_by_key(|s| s.1);
    Ok(out)
}

/// Checks that the rebuilt `session` is the one whose truth was written to `csv` (same frames,
/// same capture times): a different `--ms` rebuilds another session.
fn check_truth(session: &Session, csv: &str) -> Result<(), String> {
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    if rows.len() != session.truth.frames.len() {
        return Err(format!(
            "truth CSV has {} frames, the rebuilt session {} (another --ms?)",
            rows.len(),
            session.truth.frames.len()
        ));
    }
    for (row, f) in rows.iter().zip(&session.truth.frames) {
        let mut cols = row.split(',');
        let id = cols.next();
        let capture = cols.nth(1);
        if id != Some(&f.id.to_string()) || capture != Some(&f.capture_ns.to_string()) {
            return Err(format!("truth CSV row {row:?} differs from frame {f:?}"));
        }
    }
    Ok(())
}

/// How janus-pp-rec's Opus silence begins (it fills a gap in sequence numbers with it, padded
/// with zeros): a TOC byte of config 31 (RFC 6716 §3.1), as the simulator's, then `ff fe`, which
/// [`opus_frame_id`] would read as the start of an id.
const PPREC_SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// Per kind, janus-pp-rec's frames without an id (filler) and frames with an unknown or
/// repeated id.
type Extra = BTreeMap<Kind, [u64; 2]>;

/// Reads `<base>.mkv`, checks it against `<base>-packets.csv`, and scores its frames.
fn score_pprec(
    session: &Session,
    base: &Path,
    after_loss: AfterLoss,
    extra: &mut Extra,
) -> Result<mjrtool_test_support::score::SessionScore, String> {
    let mkv = PathBuf::from(format!("{}.mkv", base.display()));
    let bytes = std::fs::read(&mkv).map_err(|e| format!("no output {}: {e}", mkv.display()))?;
    let file = webm_mux::reader::parse(&bytes).map_err(|e| format!("{}: {e}", mkv.display()))?;
    let kinds: BTreeMap<u64, usize> = file
        .tracks
        .iter()
        .map(|t| (t.number, usize::from(t.codec_id != "A_OPUS")))
        .collect();
    let mut frames = Vec::with_capacity(file.blocks.len());
    let mut times: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    for b in &file.blocks {
        let track = *kinds.get(&b.track).ok_or(format!(
            "{}: block of unknown track {}",
            mkv.display(),
            b.track
        ))?;
        let id = if track == 0 {
            opus_frame_id(&b.data)
        } else {
            vp8_frame_id(&b.data)
        };
        times[track].push(b.timestamp_ms);
        frames.push(Placed {
            track,
            time_ns: b.timestamp_ms * 1_000_000,
            id,
            synthetic: id.is_none() || (track == 0 && b.data.starts_with(&PPREC_SILENCE)),
        });
    }
    check_ffprobe(base, &times)?;
    let end_ms = file.duration_ms.unwrap_or(0.0);
    let s = score_placed(session, after_loss, frames, (end_ms * 1e6).round() as i64);
    let e = extra.entry(session.scenario.kind).or_default();
    e[0] += s.silence;
    e[1] += s.unknown_or_repeated;
    Ok(s)
}

/// Checks that ffprobe saw the same packet times, per stream, as the reader.
fn check_ffprobe(base: &Path, times: &[Vec<i64>; 2]) -> Result<(), String> {
    let path = PathBuf::from(format!("{}-packets.csv", base.display()));
    let csv = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut probed: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    for line in csv.lines() {
        // packet,codec_type,stream_index,pts,pts_time,...
        let cols: Vec<&str> = line.split(',').collect();
        let (Some(kind), Some(pts)) = (cols.get(1), cols.get(3)) else {
            continue;
        };
        let track = usize::from(*kind == "video");
        let pts = pts
            .parse::<i64>()
            .map_err(|_| format!("{}: pts {pts:?} in {line:?}", path.display()))?;
        probed[track].push(pts);
    }
    if probed != *times {
        return Err(format!(
            "{}: ffprobe's packet times differ from the reader's",
            path.display()
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let list = match sessions(&args.dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let options = ScoreOptions {
        after_loss: args.after_loss,
        ..ScoreOptions::default()
    };
    let mut ours = Aggregate::new(Goals::default());
    let mut theirs = Aggregate::new(Goals::default());
    let mut extra = Extra::new();
    for (kind, seed, base) in &list {
        let duration_ms = args
            .duration_ms
            .unwrap_or_else(|| Scenario::default_duration_ms(*seed));
        let session = simulate(&Scenario::preset(*kind, *seed, duration_ms));
        let csv_path = PathBuf::from(format!("{}-truth.csv", base.display()));
        let checked = std::fs::read_to_string(&csv_path)
            .map_err(|e| e.to_string())
            .and_then(|csv| check_truth(&session, &csv));
        if let Err(e) = checked {
            eprintln!("{}: {e}", csv_path.display());
            return ExitCode::FAILURE;
        }
        match score_with(&session, &options) {
            Ok(s) => ours.add(&s),
            Err(e) => ours.add_error(*kind, *seed, duration_ms, &e.to_string()),
        }
        match score_pprec(&session, base, args.after_loss, &mut extra) {
            Ok(s) => theirs.add(&s),
            Err(e) => theirs.add_error(*kind, *seed, duration_ms, &e),
        }
    }
    report(&args, list.len(), &ours, &theirs, &extra);
    ExitCode::SUCCESS
}

fn report(args: &Args, n: usize, ours: &Aggregate, theirs: &Aggregate, extra: &Extra) {
    println!(
        "{n} sessions from {} (after loss: {:?}); ms\n",
        args.dir.display(),
        args.after_loss
    );
    print!("{}", side_by_side(ours, theirs));
    println!("\n(mjrtool / janus-pp-rec + ffmpeg)\n\njanus-pp-rec + ffmpeg, frames per kind:");
    for (kind, [filler, unknown]) in extra {
        if filler + unknown > 0 {
            println!(
                "  {}: {filler} filler (silence, no id), {unknown} unknown or repeated id",
                kind.name()
            );
        }
    }
    for (name, agg) in [("mjrtool", ours), ("janus-pp-rec + ffmpeg", theirs)] {
        println!("\n{name}:\n{}", agg.table());
        if !agg.failures.is_empty() && args.worst > 0 {
            println!("worst sessions:\n{}", agg.worst(args.worst));
        }
    }
}

/// A Markdown table, one row per kind: sync p50/p99/max, largest |duration error|, intact
/// frames lost and failing sessions, mjrtool's beside janus-pp-rec + ffmpeg's.
fn side_by_side(ours: &Aggregate, theirs: &Aggregate) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "| kind | n | sync p50 | sync p99 | sync max | dur err | lost | failing |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let empty = KindStats::default();
    let mut rows: Vec<(String, KindStats, KindStats)> = ours
        .kinds
        .iter()
        .map(|(k, o)| {
            let t = theirs.kinds.get(k).unwrap_or(&empty);
            (k.name().to_string(), o.clone(), t.clone())
        })
        .collect();
    rows.push(("all".into(), ours.total(), theirs.total()));
    let ms = |ns: i64| ns as f64 / 1e6;
    let pair = |a: String, b: String| format!("{a} / {b}");
    for (name, o, t) in rows {
        let (so, st) = (o.sync(), t.sync());
        let f = |ns: i64| format!("{:.1}", ms(ns));
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            o.sessions,
            pair(f(so.p50_ns), f(st.p50_ns)),
            pair(f(so.p99_ns), f(st.p99_ns)),
            pair(f(so.max_ns), f(st.max_ns)),
            pair(f(o.duration_error_max_ns), f(t.duration_error_max_ns)),
            pair(o.intact_lost.to_string(), t.intact_lost.to_string()),
            pair(o.failing.to_string(), t.failing.to_string()),
        );
    }
    out
}
