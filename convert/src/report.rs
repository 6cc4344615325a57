//! What a conversion reports: per input, what was skipped and why, and typed warnings that
//! render to one line each.

use std::path::{Path, PathBuf};

use mixer::Summary;
use mjr::Header;
use serde::Serialize;

use crate::convert::OutputFormat;
use crate::track::TrackStats;

/// Per-input part of a [`Report`].
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// The recording.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// Where its track starts in the output, ms (the A/V offset).
    pub offset_ms: f64,
    /// What the timeline did with the track.
    #[serde(flatten)]
    pub track: mixer::TrackSummary,
    /// What reading the recording found (packets, losses, frames, warnings).
    pub source: Option<TrackStats>,
}

/// What a conversion did (printed by the CLI, as JSON with `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The output file.
    pub output: Option<PathBuf>,
    /// Its format.
    pub format: Option<OutputFormat>,
    /// Whether tracks were aligned on wall-clock time.
    pub aligned: bool,
    /// Output duration, ms.
    pub duration_ms: f64,
    /// One per track.
    pub inputs: Vec<InputReport>,
    /// Recordings that were left out, with why.
    pub skipped: Vec<Skipped>,
    /// What is worth a warning (`--strict` turns the first into an error).
    pub warnings: Vec<ReportWarning>,
}

/// Something worth a warning about one input; [`std::fmt::Display`] renders it as one line that
/// names the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum ReportWarning {
    /// The recording was left out.
    Skipped {
        /// The recording.
        path: PathBuf,
        /// Why.
        #[serde(flatten)]
        reason: SkipReason,
    },
    /// The reader salvaged damage (a truncation, garbage skipped, a misaligned frame…).
    Damage {
        /// The recording.
        path: PathBuf,
        /// What and where, as the reader says it.
        message: String,
    },
    /// More damage than the report lists one by one.
    MoreDamage {
        /// The recording.
        path: PathBuf,
        /// How many more.
        count: u64,
    },
    /// A header time was not believed (see the message), another one was used.
    HeaderTime {
        /// The recording.
        path: PathBuf,
        /// Which time, its value and what was done.
        message: String,
    },
    /// Packets that are not RTP.
    InvalidRtp {
        /// The recording.
        path: PathBuf,
        /// How many.
        packets: u64,
    },
    /// Opus packets that break RFC 6716 §3.4, dropped.
    InvalidOpus {
        /// The recording.
        path: PathBuf,
        /// How many.
        packets: u64,
    },
}

impl std::fmt::Display for ReportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportWarning::Skipped { path, reason } => {
                write!(f, "{}: skipped: {reason}", path.display())
            }
            ReportWarning::Damage { path, message }
            | ReportWarning::HeaderTime { path, message } => {
                write!(f, "{}: {message}", path.display())
            }
            ReportWarning::MoreDamage { path, count } => {
                write!(f, "{}: {count} more warnings", path.display())
            }
            ReportWarning::InvalidRtp { path, packets } => write!(
                f,
                "{}: {packets} packets are not valid RTP and were skipped",
                path.display()
            ),
            ReportWarning::InvalidOpus { path, packets } => write!(
                f,
                "{}: {packets} Opus packets that break RFC 6716 were dropped",
                path.display()
            ),
        }
    }
}

/// Why a recording was left out of a conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum SkipReason {
    /// The file holds the format's magic and nothing else: Janus writes such a file when a
    /// publisher never sent that medium. Nothing is lost by leaving it out.
    HeaderOnly,
    /// The recording has a header but not one packet.
    NoPackets,
    /// A codec, medium or encryption that cannot be converted (with `--skip-unsupported`).
    Unsupported {
        /// Why, in words.
        why: String,
    },
    /// Packets were recorded, but none of them made a playable frame (with
    /// `--skip-unsupported`).
    NoPlayableFrame {
        /// Packets in the recording.
        packets: u64,
    },
    /// A data-channel recording named by a `.nfo` that the chosen container cannot hold beside
    /// the media.
    DataNotHeld {
        /// The container's extension.
        container: String,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::HeaderOnly => {
                f.write_str("header only: the publisher never sent this medium")
            }
            SkipReason::NoPackets => f.write_str("no packet recorded"),
            SkipReason::Unsupported { why } => f.write_str(why),
            SkipReason::NoPlayableFrame { packets } => {
                write!(f, "no playable frame in its {packets} packets")
            }
            SkipReason::DataNotHeld { container } => write!(
                f,
                "a .{container} file cannot hold this data channel beside the media; convert it alone (.srt, .vtt or .bin) or to .mkv"
            ),
        }
    }
}

impl SkipReason {
    /// Whether leaving the recording out loses media (then a conversion fails unless told to
    /// skip such recordings).
    pub fn loses_media(&self) -> bool {
        matches!(
            self,
            SkipReason::Unsupported { .. } | SkipReason::NoPlayableFrame { .. }
        )
    }
}

/// A recording left out of a conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The recording.
    pub path: PathBuf,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

impl Skipped {
    /// A recording the timeline found empty: no packet at all, or `packets` that gave no
    /// playable frame.
    pub(crate) fn empty_track(path: &Path, packets: u64) -> Skipped {
        Skipped {
            path: path.to_path_buf(),
            reason: if packets == 0 {
                SkipReason::NoPackets
            } else {
                SkipReason::NoPlayableFrame { packets }
            },
        }
    }
}

/// The report of a run: `stats` are the sources' own counters, one per input.
pub(crate) fn build_report(
    output: Option<&Path>,
    format: Option<OutputFormat>,
    paths: &[PathBuf],
    headers: Vec<Header>,
    summary: Summary,
    stats: Vec<TrackStats>,
    mut skipped: Vec<Skipped>,
) -> Report {
    let mut warnings = Vec::new();
    // Tracks that turned out empty are left out too: say why.
    for ((path, track), s) in paths.iter().zip(&summary.tracks).zip(&stats) {
        if track.info.empty {
            skipped.push(Skipped::empty_track(path, s.mjr_packets));
        }
    }
    for s in &skipped {
        warnings.push(ReportWarning::Skipped {
            path: s.path.clone(),
            reason: s.reason.clone(),
        });
    }
    let inputs: Vec<InputReport> = paths
        .iter()
        .zip(headers)
        .zip(summary.tracks)
        .zip(stats)
        .map(|(((path, header), track), s)| {
            let path_buf = || path.clone();
            if let Some(message) = &s.time_warning {
                warnings.push(ReportWarning::HeaderTime {
                    path: path_buf(),
                    message: message.clone(),
                });
            }
            for w in &s.warnings {
                warnings.push(ReportWarning::Damage {
                    path: path_buf(),
                    message: w.clone(),
                });
            }
            if s.mjr_warnings > s.warnings.len() as u64 {
                warnings.push(ReportWarning::MoreDamage {
                    path: path_buf(),
                    count: s.mjr_warnings - s.warnings.len() as u64,
                });
            }
            if s.invalid_rtp > 0 {
                warnings.push(ReportWarning::InvalidRtp {
                    path: path_buf(),
                    packets: s.invalid_rtp,
                });
            }
            if track.invalid_frames > 0 {
                warnings.push(ReportWarning::InvalidOpus {
                    path: path_buf(),
                    packets: track.invalid_frames,
                });
            }
            InputReport {
                path: path.clone(),
                header,
                offset_ms: track.info.offset_ns as f64 / 1e6,
                track,
                source: Some(s),
            }
        })
        .collect();
    Report {
        output: output.map(Path::to_path_buf),
        format,
        aligned: summary.aligned,
        duration_ms: summary.duration_ns as f64 / 1e6,
        inputs,
        skipped,
        warnings,
    }
}

/// What `mjrtool info` reports for one file that the mixer cannot play (data, other codecs).
#[derive(Debug, Clone, Serialize)]
pub struct RawInfo {
    /// The recording.
    pub path: PathBuf,
    /// Its header (none in a header-only file).
    pub header: Option<Header>,
    /// Packets in the file.
    pub packets: u64,
    /// First and last MJR packet times (ms), MJR00002 only.
    pub packet_time_range_ms: Option<(u32, u32)>,
    /// Reader warnings.
    pub warnings: Vec<String>,
    /// Why it cannot be converted (data channel, codec, encryption).
    pub not_converted: String,
}

/// Everything `mjrtool info` prints.
#[derive(Debug, Clone, Serialize)]
pub struct InfoReport {
    /// Recordings the mixer can play, analysed in full (placed relative to each other).
    pub tracks: Option<Report>,
    /// Other recordings: header and packet counts only.
    pub other: Vec<RawInfo>,
}
