//! [`Source`]: one input track as the timeline reads it: the recording's frames as they are,
//! or decoded to PCM for a container that needs PCM (WAV, Matroska, MP4 with G.711, G.722 or
//! L16); read on a thread of its own once the timeline is under way ([`Source::read_ahead`]).

use std::fs::File;
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;

use mjrtool_core::{Codec, Frame, FrameSource, TrackSpec};
use mjrtool_pcm::{PcmCodec, PcmDecoder, PcmError};

use crate::track::{MjrTrack, TrackError, TrackStats};

/// Frames handed out before a read-ahead source moves to its thread: the timeline's start
/// (where it looks ahead to place the tracks) is read where it is asked for.
const AHEAD_AFTER: u64 = 1024;
/// Frames per batch sent from the reading thread at most.
const BATCH_FRAMES: usize = 512;
/// Bytes of frames per batch at most (a batch ends after the frame that passes it). Each batch
/// handed over may wake a thread (in a VM, an interrupt to the other core): batches of 1 MiB,
/// with the file writer's of 1 MiB, took the hour of VP8 + Opus from 10,500 context switches
/// to 3,000 and its mux from 0.52 s to 0.45 s (median of 7 interleaved runs; 256 KiB batches
/// before, 2 MiB ones were no faster). The memory a track holds ahead stays small.
const BATCH_BYTES: usize = 1 << 20;
/// Batches waiting at most: with the one being read and the one being handed out, a track
/// holds some 3 MiB of frames ahead of the timeline, plus one frame.
const BATCHES: usize = 2;

/// The reading half: the recording, as recorded or decoded.
// A conversion holds one per recording: the decoder's extra 250 bytes do not matter.
#[allow(clippy::large_enum_variant)]
enum Reader {
    Track(MjrTrack<File>),
    Decoded(PcmDecoder<MjrTrack<File>>),
}

impl Reader {
    fn track(&self) -> &MjrTrack<File> {
        match self {
            Reader::Track(t) => t,
            Reader::Decoded(d) => d.get_ref(),
        }
    }

    fn spec(&self) -> TrackSpec {
        match self {
            Reader::Track(t) => t.spec(),
            Reader::Decoded(d) => d.spec(),
        }
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, TrackError> {
        match self {
            Reader::Track(t) => t.next_frame(),
            Reader::Decoded(d) => d.next_frame().map_err(|e| match e {
                PcmError::Source(e) => e,
                other => TrackError::Unsupported(other.to_string()),
            }),
        }
    }
}

/// Frames read on the thread, with what the recording said at the batch's end.
struct Batch {
    frames: Vec<Frame>,
    /// The end of the track (`Ok`) or what stopped it, after these frames.
    end: Option<Result<(), TrackError>>,
    stats: TrackStats,
    position: u64,
}

/// A reader moved to its own thread.
struct Away {
    batches: Receiver<Batch>,
    /// What is left of the last batch.
    frames: std::vec::IntoIter<Frame>,
    end: Option<Result<(), TrackError>>,
    stats: TrackStats,
    position: u64,
    thread: JoinHandle<Reader>,
}

// One per recording; boxing the reader would cost a pointer chase per frame for nothing.
#[allow(clippy::large_enum_variant)]
enum State {
    Here(Reader),
    Away(Away),
    /// The thread stopped without giving the reader back (it panicked).
    Lost(TrackStats, u64),
}

/// One input track of a conversion.
pub struct Source {
    state: State,
    /// The track, as it was when the reader moved to its thread.
    spec: TrackSpec,
    /// Whether to move to a thread after [`AHEAD_AFTER`] frames.
    ahead: bool,
    served: u64,
}

impl Source {
    /// `track`, decoded to PCM when `decode` and its codec is one [`PcmDecoder`] knows.
    ///
    /// # Errors
    ///
    /// [`TrackError::Unsupported`] if the decoder refuses the codec after all.
    pub fn new(track: MjrTrack<File>, decode: bool) -> Result<Source, TrackError> {
        let reader = if decode && needs_decoding(track.codec()) {
            PcmDecoder::new(track)
                .map(Reader::Decoded)
                .map_err(|e| TrackError::Unsupported(e.to_string()))?
        } else {
            Reader::Track(track)
        };
        let spec = reader.spec();
        Ok(Source {
            state: State::Here(reader),
            spec,
            ahead: false,
            served: 0,
        })
    }

    /// The same source, read on a thread of its own once the timeline is under way (after its
    /// first 1,024 frames): reading, reordering and depacketizing then overlap with the
    /// timeline and the muxer. The frames are the same, in the same order; at most about 768 KiB
    /// of them wait ahead of the timeline.
    pub fn read_ahead(mut self) -> Source {
        self.ahead = true;
        self
    }

    /// The recording's counters (while the thread reads: as of the last batch it sent).
    pub fn track_stats(&self) -> TrackStats {
        match &self.state {
            State::Here(r) => r.track().track_stats(),
            State::Away(a) => a.stats.clone(),
            State::Lost(stats, _) => stats.clone(),
        }
    }

    /// Moves the reader to a thread.
    fn send_away(&mut self) {
        let State::Here(_) = self.state else { return };
        let placeholder = State::Lost(TrackStats::default(), 0);
        let State::Here(mut reader) = std::mem::replace(&mut self.state, placeholder) else {
            return;
        };
        let stats = reader.track().track_stats();
        let position = reader.track().position();
        self.spec = reader.spec();
        let (tx, batches) = mpsc::sync_channel::<Batch>(BATCHES);
        let thread = std::thread::spawn(move || {
            loop {
                let mut frames = Vec::with_capacity(BATCH_FRAMES);
                let mut bytes = 0;
                let mut end = None;
                while frames.len() < BATCH_FRAMES && bytes < BATCH_BYTES {
                    match reader.next_frame() {
                        Ok(Some(f)) => {
                            bytes += f.data.len();
                            frames.push(f);
                        }
                        Ok(None) => {
                            end = Some(Ok(()));
                            break;
                        }
                        Err(e) => {
                            end = Some(Err(e));
                            break;
                        }
                    }
                }
                let done = end.is_some();
                let batch = Batch {
                    frames,
                    end,
                    stats: reader.track().track_stats(),
                    position: reader.track().position(),
                };
                // The timeline stopped listening (an error elsewhere): stop reading.
                if tx.send(batch).is_err() || done {
                    break;
                }
            }
            reader
        });
        self.state = State::Away(Away {
            batches,
            frames: Vec::new().into_iter(),
            end: None,
            stats,
            position,
            thread,
        });
    }

    /// The next frame from the thread; at the end, the reader comes back (with its final
    /// counters).
    fn next_away(&mut self) -> Result<Option<Frame>, TrackError> {
        let State::Away(away) = &mut self.state else {
            return Ok(None);
        };
        loop {
            if let Some(f) = away.frames.next() {
                return Ok(Some(f));
            }
            if let Some(end) = away.end.take() {
                let State::Away(away) =
                    std::mem::replace(&mut self.state, State::Lost(TrackStats::default(), 0))
                else {
                    return end.map(|()| None);
                };
                self.state = match away.thread.join() {
                    Ok(reader) => State::Here(reader),
                    Err(_) => State::Lost(away.stats, away.position),
                };
                return end.map(|()| None);
            }
            match away.batches.recv() {
                Ok(b) => {
                    // The last batch is used up: take the next one as it is.
                    away.frames = b.frames.into_iter();
                    away.end = b.end;
                    away.stats = b.stats;
                    away.position = b.position;
                }
                Err(_) => {
                    away.end = Some(Err(TrackError::Unsupported(
                        "the thread reading the recording stopped".into(),
                    )));
                }
            }
        }
    }
}

/// Whether frames of `codec` are not PCM yet but can be decoded to it: G.711, G.722, L16.
pub fn needs_decoding(codec: &Codec) -> bool {
    PcmCodec::for_codec(codec).is_some()
}

impl FrameSource for Source {
    type Error = TrackError;

    fn spec(&self) -> TrackSpec {
        match &self.state {
            State::Here(r) => r.spec(),
            _ => self.spec.clone(),
        }
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, TrackError> {
        if self.ahead && self.served == AHEAD_AFTER {
            self.send_away();
        }
        self.served += 1;
        match &mut self.state {
            State::Here(r) => r.next_frame(),
            State::Away(_) => self.next_away(),
            State::Lost(..) => Ok(None),
        }
    }

    fn position(&self) -> u64 {
        match &self.state {
            State::Here(r) => r.track().position(),
            State::Away(a) => a.position,
            State::Lost(_, p) => *p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mjr::ReaderOptions;

    /// An Opus recording of `n` 20 ms packets, every 7th one arriving after the next.
    fn recording(n: u32) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("mjrtool-ahead-{}-{n}.mjr", std::process::id()));
        let f = File::create(&path).unwrap();
        let header = mjr::Header::new(mjr::MediaKind::Audio, mjr::Codec::Opus);
        let mut w = mjr::MjrWriter::new(f, &header).unwrap();
        let mut order: Vec<u32> = (0..n).collect();
        for i in (6..n as usize).step_by(7) {
            order.swap(i - 1, i);
        }
        let mut packet = Vec::new();
        let mut rtp = rtp_depack::RtpBuilder::new(7, 111);
        for i in order {
            let body = [0xF8, (i % 251) as u8, (i / 251) as u8];
            packet.clear();
            rtp.sequence = i as u16;
            rtp.build(i * 960, true, &body, &[], &mut packet);
            w.write_rtp(i * 20, &packet).unwrap();
        }
        w.finish().unwrap();
        path
    }

    fn open(path: &std::path::Path) -> Source {
        open_with(path, ReaderOptions::default())
    }

    fn open_with(path: &std::path::Path, options: ReaderOptions) -> Source {
        let track = MjrTrack::new(File::open(path).unwrap(), options).unwrap();
        Source::new(track, true).unwrap()
    }

    fn drain(s: &mut Source) -> Vec<Frame> {
        std::iter::from_fn(|| s.next_frame().unwrap()).collect()
    }

    #[test]
    fn a_source_read_on_its_thread_gives_the_same_frames_and_counters() {
        for n in [10, AHEAD_AFTER as u32, 5_000] {
            let path = recording(n);
            let mut here = open(&path);
            let mut away = open(&path).read_ahead();
            let (a, b) = (drain(&mut here), drain(&mut away));
            assert_eq!(a.len(), n as usize);
            assert_eq!(a, b, "{n} packets");
            assert_eq!(here.track_stats(), away.track_stats());
            assert_eq!(here.position(), away.position());
            assert!(
                matches!(away.state, State::Here(_)),
                "the reader came back at the end"
            );
            assert_eq!(
                away.next_frame().unwrap(),
                None,
                "and the end stays the end"
            );
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn an_error_met_on_the_thread_comes_after_the_same_frames_as_without_it() {
        let path = recording(3_000);
        // Damage past the frames the thread takes over: garbage where a frame header should be.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[0x55; 64]);
        std::fs::write(&path, &bytes).unwrap();
        let strict = ReaderOptions {
            strict: true,
            ..ReaderOptions::default()
        };
        let run = |mut s: Source| {
            let mut n = 0;
            loop {
                match s.next_frame() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => return (n, None),
                    Err(e) => return (n, Some(e.to_string())),
                }
            }
        };
        let here = run(open_with(&path, strict));
        let away = run(open_with(&path, strict).read_ahead());
        assert!(
            here.1.is_some(),
            "strict reading stops at the garbage: {here:?}"
        );
        assert!(here.0 > AHEAD_AFTER as usize);
        assert_eq!(here, away);
        std::fs::remove_file(&path).unwrap();
    }
}
