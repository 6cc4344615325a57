//! The writing half of a conversion: the container, where the bytes go (a file written
//! atomically, standard output, a device), and running the timeline into the sink.

use std::fs::File;
use std::path::{Path, PathBuf};

use mixer::{MixError, Mixer, Progress, Summary, TrackInfo};
use mjrtool_core::{FrameSink, SharedWrite};
use mjrtool_subtitles::{BinaryDump, SubtitleFormat, SubtitleSink};
use mjrtool_wav::{SeekOutput, StreamOutput, WavSink};
use mp4_mux::Mp4Muxer;
use ogg_opus::OggOpusSink;
use webm_mux::{DocType, Muxer, MuxerOptions};

use crate::convert::{
    input_failed, unix_ns_to_matroska, CliError, ConvertOptions, OutputFormat, STDOUT,
};
use crate::sinks::OutputError;
use crate::source::Source;
use crate::track::TrackError;

/// The container: `--format`, else the output name's extension.
pub(crate) fn output_format(
    options: &ConvertOptions,
    output: &Path,
) -> Result<OutputFormat, CliError> {
    options
        .format
        .or_else(|| OutputFormat::from_path(output))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{}: cannot tell the output format from its name (use .webm, .mkv, .mp4, .opus, .ogg, .wav, .srt, .vtt or .bin)",
                output.display()
            ))
        })
}

/// Where a stream goes when the output is not a file made here: standard output, or an
/// existing device or pipe ([`device_output`]).
pub(crate) fn stream_output(output: &Path) -> Result<Option<Box<dyn std::io::Write>>, CliError> {
    if output == Path::new(STDOUT) {
        return Ok(Some(Box::new(std::io::stdout().lock())));
    }
    let device = device_output(output)
        .transpose()
        .map_err(|source| CliError::Io {
            path: output.to_path_buf(),
            source,
        })?;
    Ok(device.map(|f| Box::new(f) as Box<dyn std::io::Write>))
}

/// What goes at the start of a file once the rest is written (an MP4's index), over the bytes
/// left for it.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub(crate) bytes: Vec<u8>,
    pub(crate) reserved: u64,
}

/// What the writing half of a conversion needs to know.
pub(crate) struct Target<'a> {
    pub(crate) format: OutputFormat,
    pub(crate) mux_options: MuxerOptions,
    pub(crate) paths: &'a [PathBuf],
    pub(crate) output: &'a Path,
    /// To read the inputs' start again (to size an MP4's head).
    pub(crate) options: &'a ConvertOptions,
}

impl Target<'_> {
    pub(crate) fn error(&self, source: OutputError) -> CliError {
        CliError::Output {
            path: self.output.to_path_buf(),
            source,
        }
    }

    /// The tags for MP4, which has no Info Title: the title as a TITLE tag.
    fn mp4_tags(&self) -> Vec<(String, String)> {
        let o = &self.mux_options;
        let title = o.title.clone().map(|t| ("TITLE".to_string(), t));
        title.into_iter().chain(o.tags.iter().cloned()).collect()
    }

    fn vendor() -> String {
        format!("mjrtool {}", env!("CARGO_PKG_VERSION"))
    }

    /// Runs the timeline into `sink`, then takes the writer back from it.
    fn run_into<K, W>(
        &self,
        mixer: &mut Mixer<Source>,
        mut sink: K,
        into_inner: impl FnOnce(K) -> Result<W, OutputError>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Summary, W), CliError>
    where
        K: FrameSink,
        OutputError: From<K::Error>,
    {
        let summary = run(mixer, &mut sink, self.paths, self.output, progress)?;
        let writer = into_inner(sink).map_err(|e| self.error(e))?;
        Ok((summary, writer))
    }

    /// A stream: WebM/Matroska without Cues or Duration, or Ogg.
    pub(crate) fn write_stream<W: std::io::Write>(
        &self,
        mixer: &mut Mixer<Source>,
        out: W,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Summary, std::io::BufWriter<W>), CliError> {
        let out = std::io::BufWriter::new(out);
        match self.format {
            OutputFormat::Webm | OutputFormat::Mkv => {
                let sink = Muxer::create_streaming(out, self.mux_options.clone());
                self.run_into(mixer, sink, |s| Ok(s.into_inner()?), progress)
            }
            OutputFormat::Ogg => {
                let sink = OggOpusSink::new(out, Self::vendor());
                self.run_into(mixer, sink, |s| Ok(s.into_inner()?), progress)
            }
            OutputFormat::Mp4 => {
                let sink = Mp4Muxer::fragmented(out).with_tags(self.mp4_tags());
                self.run_into(mixer, sink, |s| Ok(s.into_inner()), progress)
            }
            OutputFormat::Wav => {
                let sink = WavSink::new(StreamOutput(out));
                self.run_into(mixer, sink, |s| Ok(s.into_inner()?.into_inner()), progress)
            }
            _ => self.write_data(mixer, out, progress),
        }
    }

    /// Subtitles or a raw dump: the same on a stream and in a file.
    fn write_data<W: std::io::Write>(
        &self,
        mixer: &mut Mixer<Source>,
        out: W,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Summary, W), CliError> {
        let format = match self.format {
            OutputFormat::Srt => SubtitleFormat::Srt,
            OutputFormat::Vtt => SubtitleFormat::WebVtt,
            _ => {
                let sink = BinaryDump::new(out);
                return self.run_into(mixer, sink, |s| Ok(s.into_inner()?), progress);
            }
        };
        let sink = SubtitleSink::new(out, format);
        self.run_into(mixer, sink, |s| Ok(s.into_inner()?), progress)
    }

    /// A file: WebM/Matroska with Cues and Duration, Ogg, WAV, MP4 (faststart)…; with the
    /// head to put in front of what was written (an MP4's `ftyp` and `moov`, as whole blocks
    /// of `align` bytes), empty for the others.
    pub(crate) fn write_file<W: SharedWrite + std::io::Seek>(
        &self,
        mixer: &mut Mixer<Source>,
        writer: W,
        align: u64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Summary, W, Head), CliError> {
        if self.format == OutputFormat::Mp4 {
            // Faststart (the index first) in one pass: the samples are written as they come,
            // behind room left for the index, sized from the first samples.
            let tags = self.mp4_tags();
            let reserve = crate::mp4_head::reserve(self.paths, self.options, &tags, align);
            let mut writer = writer;
            writer
                .seek(std::io::SeekFrom::Start(reserve))
                .map_err(|e| self.error(e.into()))?;
            let sink = Mp4Muxer::samples_first(writer, reserve, align).with_tags(tags);
            let (summary, (writer, head)) =
                self.run_into(mixer, sink, |s| Ok(s.into_samples_and_head()?), progress)?;
            return Ok((
                summary,
                writer,
                Head {
                    bytes: head,
                    reserved: reserve,
                },
            ));
        }
        let (summary, writer) = self.write_other_file(mixer, writer, progress)?;
        Ok((summary, writer, Head::default()))
    }

    /// A file in any container but MP4.
    fn write_other_file<W: SharedWrite + std::io::Seek>(
        &self,
        mixer: &mut Mixer<Source>,
        writer: W,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Summary, W), CliError> {
        match self.format {
            OutputFormat::Webm | OutputFormat::Mkv => {
                let sink = Muxer::create(writer, self.mux_options.clone())
                    .map_err(|e| self.error(e.into()))?;
                self.run_into(mixer, sink, |s| Ok(s.into_inner()?), progress)
            }
            OutputFormat::Ogg => {
                let sink = OggOpusSink::new(writer, Self::vendor());
                self.run_into(mixer, sink, |s| Ok(s.into_inner()?), progress)
            }
            OutputFormat::Wav => {
                let sink = WavSink::new(SeekOutput::new(writer));
                self.run_into(mixer, sink, |s| Ok(s.into_inner()?.into_inner()), progress)
            }
            _ => self.write_data(mixer, writer, progress),
        }
    }
}

/// An output that exists and is not a regular file (a character device such as `/dev/null`, a
/// named pipe, a socket) is written straight into, as a stream: renaming a finished file over
/// it would replace the device or the pipe itself.
pub(crate) fn device_output(output: &Path) -> Option<std::io::Result<File>> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(output).ok()?.file_type();
    let device = kind.is_char_device() || kind.is_fifo() || kind.is_socket();
    device.then(|| File::options().write(true).open(output))
}

/// The muxer's options for `format`: DocType, title, DateUTC of the earliest track.
pub(crate) fn mux_options(
    format: OutputFormat,
    title: Option<String>,
    infos: &[TrackInfo],
) -> MuxerOptions {
    MuxerOptions {
        doc_type: if format == OutputFormat::Webm {
            DocType::Webm
        } else {
            DocType::Matroska
        },
        title,
        date_utc_ns: infos
            .iter()
            .filter_map(|i| i.first_wall_ns)
            .min()
            .map(unix_ns_to_matroska),
        writing_app: format!("mjrtool {}", env!("CARGO_PKG_VERSION")),
        ..MuxerOptions::default()
    }
}

/// Runs the timeline into a container; an error names the input (by the track that failed) or
/// the output.
pub(crate) fn run<K>(
    mixer: &mut Mixer<Source>,
    sink: &mut K,
    paths: &[PathBuf],
    output: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, CliError>
where
    K: FrameSink,
    OutputError: From<K::Error>,
{
    let infos = mixer.prepare::<K::Error>().unwrap_or_default();
    let rotations = (0..infos.len())
        .filter(|&i| !infos[i].empty)
        .map(|i| mixer.source(i).and_then(|s| s.track_stats().rotation))
        .collect();
    let mut sink = crate::track::Oriented { sink, rotations };
    mixer.run(&mut sink, progress).map_err(|e| {
        mix_error(
            paths,
            output,
            match e {
                MixError::Sink(e) => MixError::Sink(OutputError::from(e)),
                MixError::Source { track, source } => MixError::Source { track, source },
                _ => MixError::NoTracks,
            },
        )
    })
}

/// A mixer error as the input's (named by its index) or the output's.
pub(crate) fn mix_error(
    paths: &[PathBuf],
    output: &Path,
    e: MixError<TrackError, OutputError>,
) -> CliError {
    match e {
        MixError::Source { track, source } => match paths.get(track) {
            Some(path) => input_failed(path, source),
            None => CliError::Usage(format!("track {track}: {source}")),
        },
        MixError::Sink(source) => CliError::Output {
            path: output.to_path_buf(),
            source,
        },
        _ => CliError::Usage("no input recordings".into()),
    }
}
