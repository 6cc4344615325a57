//! The conversion pipelines behind `mjrtool convert`, `mux` and `info`.

use std::fs::File;
use std::path::{Path, PathBuf};

use mixer::{MixError, Mixer, MixerOptions, NullSink, Progress, TrackInfo};
use mjr::{Header, MjrReader, ReaderOptions};
use mjrtool_core::Codec;
use serde::Serialize;
use thiserror::Error;

use crate::nfo::{Nfo, NfoError};
use crate::output::AtomicOutput;
use crate::report::build_report;
pub use crate::report::{
    InfoReport, InputReport, RawInfo, Report, ReportWarning, SkipReason, Skipped,
};
use crate::sinks::OutputError;
use crate::source::Source;
use crate::target::{mix_error, mux_options, output_format, stream_output, Target};
use crate::track::{MjrTrack, TrackError, TrackStats};

/// Everything that can make a command fail. Each message is one line that names the file and,
/// where it applies, the byte offset.
#[derive(Debug, Error)]
pub enum CliError {
    /// A recording could not be opened or read.
    #[error("{path}: {source}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: TrackError,
    },
    /// A file could not be opened, created or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// An input does not start like a recording (its bytes are not shown: the tool may read
    /// files the operator cannot).
    #[error("{path}: not an MJR recording: expected \"MJR00002\", \"MJR00001\" or \"MEETECHO\" at byte 0")]
    NotMjr {
        /// The file.
        path: PathBuf,
    },
    /// A `.nfo` file is malformed.
    #[error("{path}: {source}")]
    Nfo {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: NfoError,
    },
    /// Writing the output failed.
    #[error("{path}: {source}")]
    Output {
        /// The output file.
        path: PathBuf,
        /// What went wrong.
        source: OutputError,
    },
    /// The request cannot be satisfied (bad combination of inputs and output format…).
    #[error("{0}")]
    Usage(String),
    /// `--strict` was given and something was worth a warning.
    #[error("{0} (strict mode)")]
    Strict(String),
}

/// Pre-skip (48 kHz samples) written in OpusHead and as Matroska CodecDelay (see
/// [`mjrtool_core::opus::PRE_SKIP`]). (`janus-pp-rec` writes 0, which `opusinfo` rejects as
/// implausible.)
pub const OPUS_PRE_SKIP: u16 = mjrtool_core::opus::PRE_SKIP;

/// Container of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// WebM (VP8/Opus in Matroska, `webm` DocType).
    Webm,
    /// Matroska (`.mkv`, `.mka`).
    Mkv,
    /// Ogg Opus (`.opus`, `.ogg`, `.oga`): one Opus or multichannel Opus track.
    Ogg,
    /// MP4 (`.mp4`, `.m4a`, `.m4v`): H.264, H.265, AV1, VP9, Opus, PCM; faststart for a file,
    /// fragmented for a stream.
    Mp4,
    /// WAV (`.wav`): one audio track as 16-bit PCM (G.711, G.722, L16 decoded).
    Wav,
    /// SubRip subtitles (`.srt`): one text data track.
    Srt,
    /// WebVTT subtitles (`.vtt`): one text data track.
    Vtt,
    /// The messages of one binary data track back to back (`.bin`, `.raw`, `.data`), like
    /// janus-pp-rec's dump.
    Raw,
}

impl OutputFormat {
    /// The format implied by a file name's extension.
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "webm" => Some(OutputFormat::Webm),
            "mkv" | "mka" => Some(OutputFormat::Mkv),
            "opus" | "ogg" | "oga" => Some(OutputFormat::Ogg),
            "mp4" | "m4a" | "m4v" => Some(OutputFormat::Mp4),
            "wav" => Some(OutputFormat::Wav),
            "srt" => Some(OutputFormat::Srt),
            "vtt" => Some(OutputFormat::Vtt),
            "bin" | "raw" | "data" => Some(OutputFormat::Raw),
            _ => None,
        }
    }
}

/// How to convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Align tracks on wall-clock time (default), or start each at zero.
    pub align: bool,
    /// Turn every warning (damaged file, skipped packet) into an error, where it arises: the
    /// reader's damage and the tracks' warnings stop the reading at that packet, recordings left
    /// out stop the conversion before anything is written. Opus packets dropped by the timeline
    /// are only known once it has run: the conversion then fails without publishing the output.
    pub strict: bool,
    /// Overwrite an existing output.
    pub force: bool,
    /// Output format; from the output's extension when `None`.
    pub format: Option<OutputFormat>,
    /// Reorder window in packets.
    pub reorder_window: usize,
    /// What to do with VP8 frames after a loss.
    pub after_loss: crate::track::AfterLoss,
    /// Flush the output to the disk (fsync) before renaming it into place.
    pub sync: bool,
    /// Follow `.nfo` paths that lead outside the `.nfo`'s folder (absolute, `..`, symbolic
    /// links); refused by default.
    pub allow_nfo_outside: bool,
    /// VP9 SVC: keep only the spatial layers up to this id (`None`: all, the full size).
    pub max_spatial_layer: Option<u8>,
    /// Convert the other recordings when one cannot be (unsupported codec, encryption, no
    /// playable frame) instead of failing; it is listed in the report either way.
    pub skip_unsupported: bool,
    /// Text saved as the output's comment (janus-pp-rec `--metadata`): Matroska's COMMENT
    /// tag, MP4's `©cmt`.
    pub metadata: Option<String>,
    /// More tags of the output, `(name, text)` with Matroska tag names (a session's ROOM and
    /// USER…); the recording date and the recordings' descriptions are added on their own.
    pub tags: Vec<(String, String)>,
    /// The id of the video-orientation RTP extension (janus-pp-rec `-v`), when the recordings'
    /// extmap does not say it.
    pub video_orientation_ext: Option<u8>,
    /// The id of the audio-level RTP extension (janus-pp-rec `-a`), when the recordings' extmap
    /// does not say it.
    pub audio_level_ext: Option<u8>,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            align: true,
            strict: false,
            force: false,
            format: None,
            reorder_window: crate::track::DEFAULT_REORDER_WINDOW,
            after_loss: crate::track::AfterLoss::default(),
            sync: false,
            skip_unsupported: false,
            allow_nfo_outside: false,
            max_spatial_layer: None,
            metadata: None,
            tags: Vec::new(),
            video_orientation_ext: None,
            audio_level_ext: None,
        }
    }
}

/// Expands the command line's inputs: a `.nfo` becomes its audio and video recordings, which
/// must be inside the `.nfo`'s folder unless `allow_outside` (see [`Nfo::confine`]).
///
/// # Errors
///
/// A `.nfo` cannot be read, is malformed, or names a file outside its folder.
pub fn expand_inputs(
    inputs: &[PathBuf],
    allow_outside: bool,
) -> Result<(Vec<PathBuf>, Option<Nfo>), CliError> {
    let mut out = Vec::new();
    let mut nfo_found = None;
    for p in inputs {
        let is_nfo = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("nfo"));
        if is_nfo {
            let text = std::fs::read_to_string(p).map_err(|source| CliError::Io {
                path: p.clone(),
                source,
            })?;
            let dir = p.parent().unwrap_or(Path::new("."));
            let nfo = Nfo::parse(&text, dir).map_err(|source| CliError::Nfo {
                path: p.clone(),
                source,
            })?;
            if !allow_outside {
                nfo.confine(dir).map_err(|source| CliError::Nfo {
                    path: p.clone(),
                    source,
                })?;
            }
            out.extend(nfo.audio.iter().cloned());
            out.extend(nfo.video.iter().cloned());
            out.extend(nfo.data.iter().cloned());
            nfo_found = Some(nfo);
        } else {
            out.push(p.clone());
        }
    }
    Ok((out, nfo_found))
}

/// Whether `path` is a header-only recording: a format magic (`MJR00002`, `MJR00001`) and
/// nothing more.
fn header_only(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    // Only a regular file can be looked at twice (a named pipe is read once, by the reader).
    if !meta.is_file() || meta.len() > 8 {
        return false;
    }
    std::fs::read(path).is_ok_and(|b| b == b"MJR00002" || b == b"MJR00001")
}

/// The error for recordings that would be lost, unless `skip` (`--skip-unsupported`).
fn refuse_lost(skipped: &[Skipped], skip: bool) -> Result<(), CliError> {
    match skipped.iter().find(|s| s.reason.loses_media()) {
        Some(s) if !skip => Err(CliError::Usage(format!(
            "{}: {}; not converted (use --skip-unsupported to convert the other recordings without it)",
            s.path.display(),
            s.reason
        ))),
        _ => Ok(()),
    }
}

struct Opened {
    path: PathBuf,
    track: MjrTrack<File>,
}

fn open_tracks(
    inputs: &[PathBuf],
    options: &ConvertOptions,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Opened>, CliError> {
    let mut tracks = Vec::new();
    for path in inputs {
        if header_only(path) {
            skipped.push(Skipped {
                path: path.clone(),
                reason: SkipReason::HeaderOnly,
            });
            continue;
        }
        let file = File::open(path).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?;
        let reader_options = ReaderOptions {
            strict: options.strict,
            ..ReaderOptions::default()
        };
        let track_options = crate::track::TrackOptions {
            reorder_window: options.reorder_window,
            after_loss: options.after_loss,
            max_spatial_layer: options.max_spatial_layer,
            video_orientation_ext: options.video_orientation_ext,
            audio_level_ext: options.audio_level_ext,
            strict: options.strict,
        };
        match MjrTrack::with_options(file, reader_options, track_options) {
            Ok(track) => tracks.push(Opened {
                path: path.clone(),
                track,
            }),
            Err(TrackError::Unsupported(why)) => skipped.push(Skipped {
                path: path.clone(),
                reason: SkipReason::Unsupported { why },
            }),
            Err(source) => return Err(input_failed(path, source)),
        }
    }
    Ok(tracks)
}

/// The timeline over `paths` again, from their first byte, as the conversion built it (to size
/// an MP4's head, [`crate::mp4_head`]).
pub(crate) fn reopen(
    paths: &[PathBuf],
    options: &ConvertOptions,
) -> Result<Mixer<Source>, CliError> {
    let opened = open_tracks(paths, options, &mut Vec::new())?;
    let mut sources = Vec::with_capacity(opened.len());
    for o in opened {
        sources.push(Source::new(o.track, true).map_err(|e| input_failed(&o.path, e))?);
    }
    Ok(Mixer::new(
        sources,
        MixerOptions::default().with_align(options.align),
    ))
}

/// A `.nfo`'s data-channel recording is left out (with why) when the container cannot hold it
/// beside the media: the `.nfo` names it, the user did not ask for it by name.
fn leave_out_unheld_data(
    mut opened: Vec<Opened>,
    format: OutputFormat,
    nfo: Option<&Nfo>,
    skipped: &mut Vec<Skipped>,
) -> Vec<Opened> {
    let Some(data) = nfo.and_then(|n| n.data.clone()) else {
        return opened;
    };
    let codecs: Vec<Codec> = opened.iter().map(|o| o.track.codec().clone()).collect();
    if opened.len() < 2 || crate::container::can_hold(format, &codecs) {
        return opened;
    }
    if let Some(i) = opened.iter().position(|o| o.path == data) {
        opened.remove(i);
        skipped.push(Skipped {
            path: data,
            reason: SkipReason::DataNotHeld {
                container: crate::container::extension(format).to_string(),
            },
        });
    }
    opened
}

/// Converts `inputs` (`.mjr` files or `.nfo` files) into one `output` file. `progress` gets
/// `(bytes read, total bytes)` now and then.
pub fn convert(
    inputs: &[PathBuf],
    output: &Path,
    options: &ConvertOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, CliError> {
    let given = inputs;
    let (inputs, nfo) = expand_inputs(given, options.allow_nfo_outside)?;
    if output != Path::new(STDOUT) {
        let mut protected: Vec<PathBuf> = given.iter().chain(&inputs).cloned().collect();
        protected.extend(nfo.as_ref().and_then(|n| n.data.clone()));
        if let Some(why) = crate::output::input_clash(output, &protected) {
            return Err(CliError::Usage(format!("{}: {why}", output.display())));
        }
    }
    let format = output_format(options, output)?;
    let total: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mut skipped = Vec::new();
    let opened = open_tracks(&inputs, options, &mut skipped)?;
    if opened.is_empty() {
        return Err(CliError::Usage(match skipped.first() {
            Some(s) => format!("{}: {}; nothing to convert", s.path.display(), s.reason),
            None => "no input recordings".into(),
        }));
    }
    refuse_lost(&skipped, options.skip_unsupported)?;
    strict_skips(options, &skipped)?;
    let opened = leave_out_unheld_data(opened, format, nfo.as_ref(), &mut skipped);
    let codecs: Vec<Codec> = opened.iter().map(|o| o.track.codec().clone()).collect();
    if let Some(why) = crate::container::refusal(format, &codecs) {
        return Err(CliError::Usage(format!("{}: {why}", output.display())));
    }
    let paths: Vec<PathBuf> = opened.iter().map(|o| o.path.clone()).collect();
    let headers: Vec<Header> = opened.iter().map(|o| o.track.header().clone()).collect();
    let mut sources = Vec::with_capacity(opened.len());
    for o in opened {
        // G.711, G.722 and L16 are decoded to PCM: no container here stores them as recorded.
        sources.push(
            Source::new(o.track, true)
                .map_err(|e| input_failed(&o.path, e))?
                .read_ahead(),
        );
    }
    let mut mixer = Mixer::new(sources, MixerOptions::default().with_align(options.align));
    let infos = mixer
        .prepare::<OutputError>()
        .map_err(|e| mix_error(&paths, output, e))?;
    if infos.iter().all(|i| i.empty) {
        return Err(CliError::Usage(format!(
            "{}: no playable frame in the input",
            paths[0].display()
        )));
    }
    if options.strict {
        strict_skips(options, &empty_tracks(&mixer, &paths, &infos))?;
    }
    let mut mux_options = mux_options(format, nfo.as_ref().and_then(|n| n.name.clone()), &infos);
    mux_options.tags = output_tags(options, &headers, &infos);
    let target = Target {
        format,
        mux_options,
        paths: &paths,
        output,
        options,
    };
    let mut on_progress = |p: Progress| progress(p.bytes, total);
    let (summary, file) = match stream_output(output)? {
        Some(stream) => {
            // A pipe or a device: WebM without Cues or Duration (they need seeking).
            let (summary, out) = target.write_stream(&mut mixer, stream, &mut on_progress)?;
            crate::output::flush(out).map_err(|e| target.error(e.into()))?;
            (summary, None)
        }
        None => {
            let (guard, writer) =
                AtomicOutput::create(output, options.force).map_err(|source| CliError::Io {
                    path: output.to_path_buf(),
                    source,
                })?;
            let align = guard.block_size();
            let (summary, writer, head) =
                target.write_file(&mut mixer, writer, align, &mut on_progress)?;
            (summary, Some((guard, writer, head)))
        }
    };
    let stats: Vec<TrackStats> = (0..paths.len())
        .filter_map(|i| mixer.source(i).map(Source::track_stats))
        .collect();
    let report = build_report(
        Some(output),
        Some(format),
        &paths,
        headers,
        summary,
        stats,
        skipped,
    );
    refuse_lost(&report.skipped, options.skip_unsupported)?;
    // Strict mode stopped every warning known earlier where it arose (the reader's damage, header
    // times, packets that are not RTP, recordings left out). What only the timeline's run tells
    // (Opus packets it dropped) is known here, after writing: the output is then not published.
    if options.strict {
        if let Some(w) = report.warnings.first() {
            return Err(CliError::Strict(w.to_string()));
        }
    }
    if let Some((guard, writer, head)) = file {
        guard
            .commit(writer, &head.bytes, head.reserved, options.sync)
            .map_err(|source| CliError::Io {
                path: output.to_path_buf(),
                source,
            })?;
    }
    Ok(report)
}

/// In strict mode, the first recording left out, as the error the report's warning would be.
fn strict_skips(options: &ConvertOptions, skipped: &[Skipped]) -> Result<(), CliError> {
    match skipped.first() {
        Some(s) if options.strict => Err(CliError::Strict(
            ReportWarning::Skipped {
                path: s.path.clone(),
                reason: s.reason.clone(),
            }
            .to_string(),
        )),
        _ => Ok(()),
    }
}

/// The tracks that the timeline found empty (no frame at all), as the report leaves them out.
fn empty_tracks(mixer: &Mixer<Source>, paths: &[PathBuf], infos: &[TrackInfo]) -> Vec<Skipped> {
    (0..paths.len().min(infos.len()))
        .filter(|&i| infos[i].empty)
        .map(|i| {
            let packets = mixer.source(i).map_or(0, |s| s.track_stats().mjr_packets);
            Skipped::empty_track(&paths[i], packets)
        })
        .collect()
}

/// The output name that means standard output.
pub const STDOUT: &str = "-";

/// An input's error, with what the mjr reader would echo of a file's first bytes left out.
pub(crate) fn input_failed(path: &Path, source: TrackError) -> CliError {
    match source {
        TrackError::Mjr(mjr::Error::NotMjr { .. }) => CliError::NotMjr {
            path: path.to_path_buf(),
        },
        // The same line as the report's warning, where strict mode stopped the track.
        TrackError::Strict(message) => CliError::Strict(format!("{}: {message}", path.display())),
        source => CliError::Input {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// The output's tags: the options' (COMMENT from `--metadata`, then any others), the
/// recording date (DATE_RECORDED, the earliest track's first frame, UTC) and the recordings'
/// descriptions (DESCRIPTION, the distinct ones joined by "; ").
fn output_tags(
    options: &ConvertOptions,
    headers: &[Header],
    infos: &[TrackInfo],
) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut add = |name: &str, text: String| tags.push((name.to_string(), text));
    if let Some(m) = &options.metadata {
        add("COMMENT", m.clone());
    }
    let first_ns = infos.iter().filter_map(|i| i.first_wall_ns).min();
    if let Some(ns) = first_ns {
        add("DATE_RECORDED", crate::time::rfc3339_us(ns / 1_000));
    }
    let mut descriptions: Vec<&str> = Vec::new();
    for d in headers.iter().filter_map(|h| h.description.as_deref()) {
        if !d.trim().is_empty() && !descriptions.contains(&d) {
            descriptions.push(d);
        }
    }
    if !descriptions.is_empty() {
        add("DESCRIPTION", descriptions.join("; "));
    }
    tags.extend(options.tags.iter().cloned());
    tags
}

/// Matroska's DateUTC counts ns from 2001-01-01T00:00:00Z.
pub(crate) fn unix_ns_to_matroska(ns: i64) -> i64 {
    ns - 978_307_200 * 1_000_000_000
}

/// Reads recordings to the end without writing anything, gathering what `info` shows.
pub fn info(inputs: &[PathBuf], options: &ConvertOptions) -> Result<InfoReport, CliError> {
    let (inputs, _) = expand_inputs(inputs, options.allow_nfo_outside)?;
    let mut skipped = Vec::new();
    let opened = open_tracks(&inputs, options, &mut skipped)?;
    let mut other = Vec::new();
    for s in &skipped {
        let mut raw = match s.reason {
            SkipReason::HeaderOnly => RawInfo {
                path: s.path.clone(),
                header: None,
                packets: 0,
                packet_time_range_ms: None,
                warnings: Vec::new(),
                not_converted: String::new(),
            },
            _ => raw_info(&s.path, options)?,
        };
        raw.not_converted = s.reason.to_string();
        other.push(raw);
    }
    if opened.is_empty() {
        return Ok(InfoReport {
            tracks: None,
            other,
        });
    }
    let paths: Vec<PathBuf> = opened.iter().map(|o| o.path.clone()).collect();
    let headers: Vec<Header> = opened.iter().map(|o| o.track.header().clone()).collect();
    let mut mixer = Mixer::new(
        opened.into_iter().map(|o| o.track).collect(),
        MixerOptions::default().with_align(options.align),
    );
    let summary = mixer
        .run(&mut NullSink, &mut |_| {})
        .map_err(|e| match e {
            MixError::Source { track, source } => MixError::Source { track, source },
            _ => MixError::NoTracks,
        })
        .map_err(|e| mix_error(&paths, Path::new(STDOUT), e))?;
    let stats: Vec<TrackStats> = (0..paths.len())
        .filter_map(|i| mixer.source(i).map(MjrTrack::track_stats))
        .collect();
    let report = build_report(None, None, &paths, headers, summary, stats, Vec::new());
    Ok(InfoReport {
        tracks: Some(report),
        other,
    })
}

fn raw_info(path: &Path, options: &ConvertOptions) -> Result<RawInfo, CliError> {
    let wrap = |source: mjr::Error| input_failed(path, TrackError::Mjr(source));
    let file = File::open(path).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = MjrReader::with_options(
        file,
        ReaderOptions {
            strict: options.strict,
            ..ReaderOptions::default()
        },
    )
    .map_err(wrap)?;
    let mut packets = 0;
    let mut range: Option<(u32, u32)> = None;
    while let Some(p) = reader.next_packet().map_err(wrap)? {
        packets += 1;
        if let Some(t) = p.time_ms {
            let r = range.get_or_insert((t, t));
            r.0 = r.0.min(t);
            r.1 = r.1.max(t);
        }
    }
    Ok(RawInfo {
        path: path.to_path_buf(),
        header: Some(reader.header().clone()),
        packets,
        packet_time_range_ms: range,
        warnings: reader.warnings().iter().map(|w| w.to_string()).collect(),
        not_converted: String::new(),
    })
}
