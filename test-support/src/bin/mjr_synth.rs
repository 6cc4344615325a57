//! `mjr-synth`: writes a synthetic audio + video recording pair (MJR00002 by default) and its
//! `.nfo` from the committed fixtures, for tests, benchmarks, fuzz seeds and the examples.
//!
//! `cargo run -p mjrtool-test-support --bin mjr-synth -- --out-dir DIR [options]`; `--help`
//! lists the options. Each file is written through `mjrtool_convert::output::AtomicOutput`, so
//! an existing file is kept unless `--force` (`-y`) is given.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mjrtool_convert::output::{AtomicOutput, BackgroundWriter};
use mjrtool_test_support::synth::{self, SynthOptions};

const HELP: &str = "\
Generate a synthetic audio+video recording pair from the committed fixtures.

Usage: mjr-synth --out-dir DIR [options]

  --out-dir DIR          folder to write video.mjr, audio.mjr and session.nfo into
  --duration S           session length in seconds [10]
  --audio-delay S        audio starts this many seconds after video (negative: before) [0]
  --loss P               probability that a packet is lost [0]
  --reorder P            probability that a packet arrives before the previous one [0]
  --duplicate P          probability that a packet is recorded twice [0]
  --restart-at S         publishers restart (new SSRC) this many seconds in
  --restart-pause S      how long the publishers are away when they restart [1]
  --raw-restart          on restart keep the SSRC, jump to random sequence numbers/timestamps
  --video-bitrate B      pad VP8 frames to reach this bitrate (bit/s)
  --mjr-version N        0 (legacy MEETECHO), 1 (MJR00001) or 2 (MJR00002) [2]
  --seed N               seed of the random choices [1]
  -y, --force            overwrite existing files
";

/// The parsed command line.
struct Args {
    out_dir: PathBuf,
    force: bool,
    options: SynthOptions,
}

fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{name} expects a value"))?;
    value
        .parse()
        .map_err(|_| format!("{name}: expected a number, found {value:?}"))
}

fn ms(seconds: f64) -> u64 {
    (seconds * 1000.0).max(0.0) as u64
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut out_dir = None;
    let mut force = false;
    let mut o = SynthOptions::default();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = || inline.clone().or_else(|| it.next());
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "-y" | "--force" => force = true,
            "--raw-restart" => o.raw_restart = true,
            "--out-dir" => {
                out_dir = Some(PathBuf::from(value().ok_or("--out-dir expects a value")?))
            }
            "--duration" => o.duration_ms = ms(number(&name, value())?),
            "--audio-delay" => {
                o.audio_delay_ms = (number::<f64>(&name, value())? * 1000.0) as i64;
            }
            "--loss" => o.loss = number(&name, value())?,
            "--reorder" => o.reorder = number(&name, value())?,
            "--duplicate" => o.duplicate = number(&name, value())?,
            "--restart-at" => o.restart_at_ms = Some(ms(number(&name, value())?)),
            "--restart-pause" => o.restart_pause_ms = ms(number(&name, value())?),
            "--video-bitrate" => o.video_bitrate = Some(number(&name, value())?),
            "--seed" => o.seed = number(&name, value())?,
            "--mjr-version" => {
                o.version = match number::<u8>(&name, value())? {
                    0 => mjr::FormatVersion::Legacy,
                    1 => mjr::FormatVersion::Mjr1,
                    2 => mjr::FormatVersion::Mjr2,
                    n => return Err(format!("--mjr-version: expected 0, 1 or 2, found {n}")),
                };
            }
            other => return Err(format!("unexpected argument {other:?} (see --help)")),
        }
    }
    let out_dir = out_dir.ok_or("--out-dir is required (see --help)")?;
    Ok(Some(Args {
        out_dir,
        force,
        options: o,
    }))
}

/// Writes `path` through an atomic output: complete under its name, or not there at all.
fn write_file<T>(
    path: &Path,
    force: bool,
    f: impl FnOnce(&mut BackgroundWriter) -> io::Result<T>,
) -> io::Result<T> {
    let at = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let (guard, mut w) = AtomicOutput::create(path, force).map_err(at)?;
    let value = f(&mut w).map_err(at)?;
    guard.commit(w, &[], 0, false).map_err(at)?;
    Ok(value)
}

fn run(a: &Args) -> io::Result<()> {
    let o = &a.options;
    std::fs::create_dir_all(&a.out_dir)?;
    let v = write_file(&a.out_dir.join("video.mjr"), a.force, |w| {
        synth::write_video(w, o)
    })?;
    let au = write_file(&a.out_dir.join("audio.mjr"), a.force, |w| {
        synth::write_audio(w, o)
    })?;
    let nfo = synth::nfo_text(1, Some("audio.mjr"), Some("video.mjr"));
    write_file(&a.out_dir.join("session.nfo"), a.force, |w| {
        w.write_all(nfo.as_bytes())
    })?;
    writeln!(
        io::stderr(),
        "wrote {}: video {} frames / {} packets ({} bytes), audio {} packets ({} bytes), audio starts {:+.3} s after video",
        a.out_dir.display(),
        v.frames,
        v.packets,
        v.bytes,
        au.packets,
        au.bytes,
        (au.first_written_us - v.first_written_us) as f64 / 1e6
    )
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(None) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mjr-synth: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("mjr-synth: {e}");
            ExitCode::from(2)
        }
    }
}
