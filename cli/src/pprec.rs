//! A drop-in for `janus-pp-rec` (Janus 1.1.2): run as `janus-pp-rec` (a symbolic link to
//! `mjrtool`) or as `mjrtool pp-rec`, with janus-pp-rec's command line.
//!
//! The options are those of janus-pp-rec's `pp-options.c`; what its scripts read keeps its
//! shape: `-j` prints the recording's JSON header as stored, `-e` that header with an
//! `"extended"` object (`packets`, `duration` in seconds, `codec.resolution` entries of `ts`,
//! `width`, `height`), `-F` the `  -- <codec>: [<extensions>]` lines, `-p` the
//! `Counted N RTP packets` line. Conversion is [`mjrtool_convert::convert::convert`] into the
//! destination's format (or `-f`'s), written atomically.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use mjrtool_convert::convert::{self, CliError, ConvertOptions, OutputFormat};
use serde_json::{Map, Value};

use crate::text;

const AFTER_HELP: &str = "\
What mjrtool does instead of janus-pp-rec's timing options: --audioskew, --silence-distance,
--restamp, --restamp-packets and --restamp-min-th are accepted and ignored: every track is placed
on one timeline from the packets' arrival times (MJR00002), which absorbs clock skew, silence
suppression (DTX) and latency jumps without thresholds. --ignore-first and --payload-type are
accepted and ignored too. --videoorient-ext and --audiolevel-ext give the extension ids when the
recording's header does not (the rotation goes into the output, the audio level into the
report); --metadata is saved as the output's comment; --debug-level 0 prints nothing but errors.";

/// janus-pp-rec's command line.
#[derive(Parser, Debug)]
#[command(
    name = "janus-pp-rec",
    version,
    about = "Janus recordings post-processor (mjrtool's drop-in for janus-pp-rec 1.1)",
    after_help = AFTER_HELP,
    override_usage = "janus-pp-rec [OPTIONS] source.mjr [destination.[opus|ogg|mka|wav|webm|mkv|mp4|srt]]"
)]
pub struct PpRecArgs {
    /// Only print the supported target file extensions per codec
    #[arg(short = 'F', long = "file-extensions")]
    file_extensions: bool,
    /// Only print JSON header
    #[arg(short = 'j', long = "json")]
    json: bool,
    /// Only parse .mjr header
    #[arg(short = 'H', long = "header")]
    header: bool,
    /// Only parse and re-order packets
    #[arg(short = 'p', long = "parse")]
    parse: bool,
    /// Only print extended JSON report (automatically enables --json)
    #[arg(short = 'e', long = "extended-json")]
    extended_json: bool,
    /// Save this metadata string in the target file (its comment tag)
    #[arg(short = 'm', long = "metadata")]
    metadata: Option<String>,
    /// Number of first packets to ignore when processing (ignored)
    #[arg(short = 'i', long = "ignore-first", allow_negative_numbers = true)]
    ignore_first: Option<i64>,
    /// Ignore all RTP packets that don't match the specified payload type (ignored)
    #[arg(short = 'P', long = "payload-type", allow_negative_numbers = true)]
    payload_type: Option<i64>,
    /// ID of the audio-levels RTP extension (when the header's extmap does not say it)
    #[arg(short = 'a', long = "audiolevel-ext", allow_negative_numbers = true)]
    audiolevel_ext: Option<i64>,
    /// ID of the video-orientation RTP extension (when the header's extmap does not say it)
    #[arg(short = 'v', long = "videoorient-ext", allow_negative_numbers = true)]
    videoorient_ext: Option<i64>,
    /// Debug/logging level (0: only errors)
    #[arg(
        short = 'd',
        long = "debug-level",
        default_value_t = 4,
        allow_negative_numbers = true
    )]
    debug_level: i64,
    /// Enable debug/logging timestamps (ignored)
    #[arg(short = 'D', long = "debug-timestamps")]
    debug_timestamps: bool,
    /// Disable color in the logging (mjrtool prints no color)
    #[arg(short = 'o', long = "disable-colors")]
    disable_colors: bool,
    /// Specifies the output format (overrides the format from the destination)
    #[arg(short = 'f', long = "format")]
    format: Option<String>,
    /// For mp4 files write the MOOV atom at the head of the file
    #[arg(short = 't', long = "faststart")]
    faststart: bool,
    /// Audio skew compensation threshold, ms (ignored: see below)
    #[arg(short = 'S', long = "audioskew", allow_negative_numbers = true)]
    audioskew: Option<i64>,
    /// RTP silence suppression distance (ignored: see below)
    #[arg(short = 'C', long = "silence-distance", allow_negative_numbers = true)]
    silence_distance: Option<i64>,
    /// Restamp multiplier (ignored: see below)
    #[arg(short = 'r', long = "restamp", allow_negative_numbers = true)]
    restamp: Option<i64>,
    /// Packets of the restamp moving average (ignored)
    #[arg(short = 'c', long = "restamp-packets", allow_negative_numbers = true)]
    restamp_packets: Option<i64>,
    /// Restamp minimum latency, ms (ignored)
    #[arg(short = 'n', long = "restamp-min-th", allow_negative_numbers = true)]
    restamp_min_th: Option<i64>,
    /// source.mjr \[destination\]
    paths: Vec<PathBuf>,
}

/// Runs janus-pp-rec's command line if `args` (the whole argv) asks for it: `argv[0]` named
/// `janus-pp-rec`, or `mjrtool pp-rec …`.
pub fn dispatch(args: &[OsString]) -> Option<ExitCode> {
    let argv0 = args.first().map(Path::new).and_then(Path::file_name);
    let rest = if argv0.is_some_and(|n| n == "janus-pp-rec") {
        &args[1..]
    } else if args.get(1).is_some_and(|a| a == "pp-rec") {
        &args[2..]
    } else {
        return None;
    };
    let argv = std::iter::once(OsString::from("janus-pp-rec")).chain(rest.iter().cloned());
    let parsed = match PpRecArgs::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            // GOption: help and version exit 0, any other problem 1.
            return Some(ExitCode::from(u8::from(e.use_stderr())));
        }
    };
    if let Err(e) = mjrtool_convert::cleanup::remove_temps_on_signals() {
        eprintln!("janus-pp-rec: signal handlers: {e}");
        return Some(ExitCode::FAILURE);
    }
    Some(match run(&parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = text::line(
                &mut io::stderr().lock(),
                &format!("janus-pp-rec: error: {message}"),
            );
            ExitCode::FAILURE
        }
    })
}

/// janus-pp-rec's lists of target extensions per codec (`-F`).
const EXTENSIONS: [(&str, &str); 11] = [
    ("Opus:  ", "[opus, ogg, mka]"),
    ("G.711: ", "[wav]"),
    ("G.722: ", "[wav]"),
    ("L16:   ", "[wav]"),
    ("VP8:   ", "[webm, mkv]"),
    ("VP9:   ", "[webm, mkv]"),
    ("H.264: ", "[mp4, mkv]"),
    ("AV1:   ", "[mp4]"),
    ("H.265: ", "[mp4, mkv]"),
    ("Text:  ", "[srt]"),
    ("Binary:", "any"),
];

fn run(a: &PpRecArgs) -> Result<(), String> {
    let out = &mut io::stdout().lock();
    let print =
        |out: &mut io::StdoutLock<'_>, s: &str| text::line(out, s).map_err(|e| e.to_string());
    if a.file_extensions {
        print(out, "Supported file extensions:")?;
        for (codec, exts) in EXTENSIONS {
            print(out, &format!("  -- {codec} {exts}"))?;
        }
        return out.flush().map_err(|e| e.to_string());
    }
    let Some(source) = a.paths.first() else {
        return Err(
            "no source file given (usage: janus-pp-rec [OPTIONS] source.mjr [destination])".into(),
        );
    };
    let destination = a.paths.get(1);
    if a.extended_json {
        let json = extended_json(source)?;
        print(out, &json)?;
    } else if a.json {
        print(out, &raw_header(source)?)?;
    } else if a.header {
        header_lines(out, source)?;
    } else if a.parse {
        let packets = count_packets(source)?;
        print(out, &format!("Counted {packets} RTP packets"))?;
        print(out, "Parsing and reordering completed, bye!")?;
    } else {
        let Some(destination) = destination else {
            return Err(
                "no destination file given (usage: janus-pp-rec [OPTIONS] source.mjr destination)"
                    .into(),
            );
        };
        convert_to(a, source, destination)?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn convert_to(a: &PpRecArgs, source: &Path, destination: &Path) -> Result<(), String> {
    let ext = match &a.format {
        Some(f) => f.to_ascii_lowercase(),
        None => destination
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .ok_or("No extension? Unsupported target file")?,
    };
    if a.faststart && ext != "mp4" {
        return Err("Faststart only supported for MP4".into());
    }
    let format = OutputFormat::from_path(Path::new(&format!("x.{ext}")))
        .ok_or_else(|| format!("Unsupported extension '{ext}' (mjrtool cannot write it yet)"))?;
    let options = ConvertOptions {
        // janus-pp-rec replaces the destination.
        force: true,
        format: Some(format),
        metadata: a.metadata.clone(),
        video_orientation_ext: extension_id(a.videoorient_ext),
        audio_level_ext: extension_id(a.audiolevel_ext),
        ..ConvertOptions::default()
    };
    let report = convert::convert(
        &[source.to_path_buf()],
        destination,
        &options,
        &mut |_, _| {},
    )
    .map_err(|e: CliError| e.to_string())?;
    if a.debug_level > 0 {
        text::print_report(&mut io::stderr().lock(), &report).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// An extension id given on the command line: 1 to 255 (RFC 8285); anything else (janus-pp-rec
/// takes -1 for none) is no id.
fn extension_id(v: Option<i64>) -> Option<u8> {
    v.and_then(|v| u8::try_from(v).ok()).filter(|&id| id > 0)
}

/// The JSON info header as stored in the file (`-j`); a legacy `MEETECHO` recording has none.
fn raw_header(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut head = [0u8; 10];
    file.read_exact(&mut head).map_err(|_| {
        format!(
            "{}: expected an MJR header of 10 bytes or more",
            path.display()
        )
    })?;
    if &head[..7] != b"MJR0000" {
        return Err(format!(
            "{}: expected \"MJR00001\" or \"MJR00002\" at byte 0 (a legacy recording has no JSON header)",
            path.display()
        ));
    }
    let len = usize::from(u16::from_be_bytes([head[8], head[9]]));
    let mut json = vec![0u8; len];
    file.read_exact(&mut json).map_err(|_| {
        format!(
            "{}: file ends before its {len}-byte JSON header at byte 10",
            path.display()
        )
    })?;
    String::from_utf8(json).map_err(|_| {
        format!(
            "{}: the JSON header at byte 10 is not UTF-8",
            path.display()
        )
    })
}

fn header_lines(out: &mut dyn Write, path: &Path) -> Result<(), String> {
    let h = crate::batch::read_header(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let kind = match h.kind.letter() {
        "v" => "a video",
        "d" => "a text data",
        _ => "an audio",
    };
    let mut lines = vec![
        format!("This is {kind} recording:"),
        format!("  -- Codec:   {}", h.codec.name()),
    ];
    if let Some(f) = &h.fmtp {
        lines.push(format!("  -- -- fmtp: {f}"));
    }
    lines.push(format!("  -- Created: {}", h.created_us.unwrap_or(0)));
    lines.push(format!("  -- Written: {}", h.first_written_us.unwrap_or(0)));
    if h.opus_red_pt.is_some() {
        lines.push("  -- Audio recording contains RED packets".into());
    }
    if h.encrypted {
        lines.push("  -- Recording is end-to-end encrypted".into());
    }
    for l in lines {
        text::line(out, &l).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn count_packets(path: &Path) -> Result<u64, String> {
    let wrap = |e: mjr::Error| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = mjr::MjrReader::new(file).map_err(wrap)?;
    let mut packets = 0;
    while reader.next_packet().map_err(wrap)?.is_some() {
        packets += 1;
    }
    Ok(packets)
}

/// `-e`: the header object with janus-pp-rec's `"extended"` report.
fn extended_json(path: &Path) -> Result<String, String> {
    let raw = raw_header(path)?;
    let mut object: Map<String, Value> = serde_json::from_str(&raw)
        .map_err(|e| format!("{}: the JSON header is not an object: {e}", path.display()))?;
    let mut extended = Map::new();
    extended.insert("packets".into(), count_packets(path)?.into());
    let info = convert::info(&[path.to_path_buf()], &ConvertOptions::default()).ok();
    let input = info
        .as_ref()
        .and_then(|i| i.tracks.as_ref())
        .and_then(|t| t.inputs.first());
    let duration = input
        .and_then(|i| Some((i.track.end_ns? - i.track.first_ns?) as f64 / 1e9))
        .unwrap_or(0.0);
    extended.insert("duration".into(), duration.into());
    if let Some(size) = input.and_then(|i| i.track.info.size) {
        let resolution =
            serde_json::json!([{ "ts": 0.0, "width": size.width, "height": size.height }]);
        extended.insert(
            "codec".into(),
            serde_json::json!({ "resolution": resolution }),
        );
    } else if object.get("t").and_then(Value::as_str) == Some("v") {
        extended.insert("codec".into(), Value::Object(Map::new()));
    }
    object.insert("extended".into(), Value::Object(extended));
    Ok(Value::Object(object).to_string())
}
