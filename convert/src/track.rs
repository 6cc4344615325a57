//! [`MjrTrack`] reads one `.mjr` recording (MJR reader -> RTP parsing -> RED unwrapping ->
//! frame assembly) as a [`FrameSource`] of frames for the timeline.

use std::collections::VecDeque;
use std::io::Read;

use bytes::Bytes;

use mjr::{Header, MjrReader, ReaderOptions};
use mjrtool_core::{Codec, Frame, FrameSource, MediaKind, Nanos, TrackSpec};
pub use rtp_depack::AfterLoss;
use rtp_depack::{CodecPayload, DepackStats, FrameAssembler, ReorderStats, RtpPacket};
use serde::Serialize;

mod extensions;
pub(crate) use extensions::Oriented;
pub use extensions::{
    AudioLevelStats, AUDIO_LEVEL_URI, MAX_ROTATIONS_LISTED, SPEECH_THRESHOLD_DBOV,
    VIDEO_ORIENTATION_URI,
};

/// Shorthand for this module's results.
type Error = TrackError;

/// Why a recording cannot be read as a track.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The recording could not be read.
    #[error(transparent)]
    Mjr(#[from] mjr::Error),
    /// A codec, medium or encryption this pipeline cannot convert (the words say which).
    #[error("{0}")]
    Unsupported(String),
    /// [`TrackOptions::strict`]: something worth a warning, stopped where it arose (the words
    /// are the warning's, without the recording's name).
    #[error("{0}")]
    Strict(String),
}

/// Counters gathered while reading one recording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrackStats {
    /// Frames read from the MJR file (RTP packets or data frames).
    pub mjr_packets: u64,
    /// Packets that are not valid RTP and were skipped.
    pub invalid_rtp: u64,
    /// Packets with a payload type other than the track's main one that were skipped (RED
    /// packets are unwrapped to their primary encoding, not counted here).
    pub other_payload_type: u64,
    /// DTMF digits (RFC 4733 telephone-event packets) kept out of the audio: distinct events.
    pub telephone_events: u64,
    /// Comfort-noise packets (payload type 13, RFC 3389) passed over: the gap they leave is
    /// filled with silence like any other.
    pub comfort_noise: u64,
    /// Data-channel messages (data recordings).
    pub messages: u64,
    /// Reordering counters (duplicates, out of order, lost, late, resets).
    pub reorder: ReorderStats,
    /// Depacketizer counters (frames, keyframes, dropped frames).
    pub depack: DepackStats,
    /// MJR reader warnings (truncation, garbage skipped…).
    pub mjr_warnings: u64,
    /// Bytes of garbage skipped by the MJR reader.
    pub bytes_skipped: u64,
    /// Distinct SSRCs seen, up to 16.
    pub ssrcs: Vec<u32>,
    /// First and last MJR packet times (ms since the first packet), MJR00002 only.
    pub packet_time_range_ms: Option<(u32, u32)>,
    /// Video size from the first keyframe.
    pub video_size: Option<(u16, u16)>,
    /// Why a header time was not believed, if one was not.
    pub time_warning: Option<String>,
    /// The MJR reader's first warnings, one line each.
    pub warnings: Vec<String>,
    /// Video: the first rotation the video-orientation extension said (degrees clockwise to
    /// show the picture upright, 3GPP TS 26.114 §7.4.5): the one written into the output.
    pub rotation: Option<u16>,
    /// Times the rotation changed after the first.
    pub rotation_changes: u64,
    /// The first rotation and the changes, as (ms from the first packet, degrees), up to
    /// [`MAX_ROTATIONS_LISTED`].
    pub rotations: Vec<(u64, u16)>,
    /// Audio: what the audio-level extension said (RFC 6464), when packets carried it.
    pub audio_level: Option<AudioLevelStats>,
}

impl TrackStats {
    /// Frames dropped: with a hole, damaged, or waiting for a keyframe.
    pub fn frames_dropped(&self) -> u64 {
        self.depack.frames_dropped_incomplete
            + self.depack.frames_dropped_corrupt
            + self.depack.frames_dropped_waiting_keyframe
    }

    /// Sender restarts: new SSRCs, or new numbering under the same SSRC, whichever says more.
    pub fn restarts(&self) -> u64 {
        (self.ssrcs.len() as u64)
            .saturating_sub(1)
            .max(self.reorder.resets)
    }
}

/// The payload rules for `codec`, with the track's options.
fn payload_rules(codec: &Codec, options: &TrackOptions) -> Option<CodecPayload> {
    match (codec, options.max_spatial_layer) {
        (Codec::Vp9, Some(sid)) => Some(CodecPayload::Vp9(
            rtp_depack::Vp9Payload::new().with_max_spatial_layer(sid),
        )),
        _ => CodecPayload::for_codec(codec),
    }
}

/// The longest a data-channel message is shown as a caption: 5 s (chat messages come minutes
/// apart; a caption up for minutes would hide the video).
pub const MAX_CAPTION_NS: i64 = 5_000_000_000;

/// Default reorder window in packets: about 2.5 s of 2 Mbit/s video, far more than any real
/// network reorders, small enough to keep memory flat (packets are ~1.1 kB each).
pub const DEFAULT_REORDER_WINDOW: usize = 512;

/// How [`MjrTrack`] turns packets into frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackOptions {
    /// Packets held back to put late ones in order ([`DEFAULT_REORDER_WINDOW`]).
    pub reorder_window: usize,
    /// What a video track does with the frames after a loss.
    pub after_loss: AfterLoss,
    /// VP9 spatial scalability (SVC): keep only the layers up to this spatial id (`None`: all
    /// layers, the picture at its full size).
    pub max_spatial_layer: Option<u8>,
    /// The id of the video-orientation extension (janus-pp-rec `-v`), when the recording's
    /// extmap does not say it ([`VIDEO_ORIENTATION_URI`]).
    pub video_orientation_ext: Option<u8>,
    /// The id of the audio-level extension (janus-pp-rec `-a`), when the recording's extmap does
    /// not say it ([`AUDIO_LEVEL_URI`]).
    pub audio_level_ext: Option<u8>,
    /// Stop with [`TrackError::Strict`] at the first thing worth a warning that the track
    /// finds itself (a header time not believed, when opening; a packet that is not RTP, when
    /// reading it), instead of counting it. The MJR reader's own warnings follow
    /// [`ReaderOptions::strict`].
    pub strict: bool,
}

impl Default for TrackOptions {
    fn default() -> Self {
        TrackOptions {
            reorder_window: DEFAULT_REORDER_WINDOW,
            after_loss: AfterLoss::default(),
            max_spatial_layer: None,
            video_orientation_ext: None,
            audio_level_ext: None,
            strict: false,
        }
    }
}

/// Reads one `.mjr` recording as a stream of frames.
pub struct MjrTrack<R: Read> {
    reader: MjrReader<R>,
    codec: Codec,
    red_pt: Option<u8>,
    base_ns: Option<i64>,
    /// Reordering, frame assembly, restarts and the after-loss policy (audio and video).
    frames: Option<FrameAssembler<CodecPayload>>,
    /// Messages of a data recording, as read.
    messages: VecDeque<Frame>,
    /// What the recording's fmtp says: channels, and the OpusHead of multichannel Opus.
    channels: Option<u8>,
    config: Option<Bytes>,
    /// The payload type of the media (not telephone events or comfort noise), once known.
    main_pt: Option<u8>,
    /// The RTP timestamp of the last telephone event counted.
    last_event_ts: Option<u32>,
    stats: TrackStats,
    /// The header extensions read from each media packet.
    extensions: extensions::ExtensionReader,
    /// [`TrackOptions::strict`].
    strict: bool,
    reader_done: bool,
    finished: bool,
}

impl<R: Read> MjrTrack<R> {
    /// Opens a recording: reads its header and checks that its codec is one the mixer handles.
    pub fn new(reader: R, options: ReaderOptions) -> Result<Self, Error> {
        Self::with_window(reader, options, DEFAULT_REORDER_WINDOW)
    }

    /// Like [`MjrTrack::new`] with a reorder window of `window` packets.
    pub fn with_window(reader: R, options: ReaderOptions, window: usize) -> Result<Self, Error> {
        Self::with_options(
            reader,
            options,
            TrackOptions {
                reorder_window: window,
                ..TrackOptions::default()
            },
        )
    }

    /// Like [`MjrTrack::new`], with `track` saying how packets become frames.
    pub fn with_options(
        reader: R,
        options: ReaderOptions,
        track: TrackOptions,
    ) -> Result<Self, Error> {
        let window = track.reorder_window;
        let reader = MjrReader::with_options(reader, options)?;
        let header = reader.header();
        if header.encrypted {
            // Insertable-streams (end-to-end) encryption: the payloads are ciphertext, and a
            // file of them would not play.
            return Err(Error::Unsupported(format!(
                "end-to-end encrypted {} recording: its media cannot be decoded without the key",
                header.kind.name()
            )));
        }
        let codec = header.codec.clone();
        let frames = match (header.kind, codec.kind()) {
            (MediaKind::Data, Some(MediaKind::Data)) => None,
            (kind, Some(k)) if kind == k => match payload_rules(&codec, &track) {
                Some(payload) => {
                    Some(FrameAssembler::new(payload, window).with_after_loss(track.after_loss))
                }
                None => {
                    return Err(Error::Unsupported(format!(
                        "{} recording with codec {codec}: no depacketizer for it",
                        kind.name()
                    )))
                }
            },
            (kind, _) => {
                return Err(Error::Unsupported(format!(
                    "{} recording with codec {} (supported: VP8, VP9, H.264, H.265 and AV1 video; \
                     Opus, multiopus, G.711, G.722 and L16 audio; text and binary data)",
                    kind.name(),
                    codec.name()
                )))
            }
        };
        let extensions = extensions::ExtensionReader::new(
            &header.extmaps,
            track.video_orientation_ext,
            track.audio_level_ext,
            codec.clock_rate().map_or(90_000, |c| c.hz()),
        );
        let fmtp = crate::fmtp::Fmtp::parse(header.fmtp.as_deref().unwrap_or(""));
        let (channels, config) = fmtp.audio(&codec).map_err(Error::Unsupported)?;
        let (base_ns, time_warning) =
            recording_start_ns(header.created_us, header.first_written_us);
        if let (true, Some(message)) = (track.strict, &time_warning) {
            return Err(Error::Strict(message.clone()));
        }
        let stats = TrackStats {
            time_warning,
            ..TrackStats::default()
        };
        Ok(MjrTrack {
            red_pt: header.opus_red_pt,
            reader,
            codec,
            base_ns,
            frames,
            messages: VecDeque::new(),
            channels,
            config,
            main_pt: None,
            last_event_ts: None,
            stats,
            extensions,
            strict: track.strict,
            reader_done: false,
            finished: false,
        })
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// Counters so far (complete once [`FrameSource::next_frame`] returned `None`).
    pub fn track_stats(&self) -> TrackStats {
        let mut s = self.stats.clone();
        if let Some(frames) = &self.frames {
            let assembly = frames.stats();
            s.reorder = assembly.reorder;
            s.depack = assembly.depack;
        }
        s.mjr_warnings = self.reader.warning_count();
        s.bytes_skipped = self.reader.bytes_skipped();
        s.warnings
            .extend(self.reader.warnings().iter().map(|w| w.to_string()));
        s
    }

    /// The MJR reader's warnings (the first ones; see [`TrackStats::mjr_warnings`] for the count).
    pub fn warnings(&self) -> &[mjr::Warning] {
        self.reader.warnings()
    }

    /// Counts a packet that is not valid RTP (or a message without a time); in strict mode,
    /// the error that stops the track.
    fn invalid_rtp(&mut self) -> Result<(), Error> {
        self.stats.invalid_rtp += 1;
        if self.strict {
            return Err(Error::Strict(format!(
                "{} packets are not valid RTP and were skipped",
                self.stats.invalid_rtp
            )));
        }
        Ok(())
    }

    fn accept(&mut self, packet: mjr::Packet) -> Result<(), Error> {
        self.stats.mjr_packets += 1;
        if let Some(t) = packet.time_ms {
            let range = self.stats.packet_time_range_ms.get_or_insert((t, t));
            range.0 = range.0.min(t);
            range.1 = range.1.max(t);
        }
        if self.frames.is_none() {
            return self.accept_message(packet);
        }
        let rtp = match RtpPacket::parse(packet.data) {
            Ok(rtp) => rtp,
            Err(_) => return self.invalid_rtp(),
        };
        let rtp = if Some(rtp.header.payload_type) == self.red_pt {
            // Opus in RED (RFC 2198): keep the primary encoding.
            match rtp_depack::red_primary(&rtp) {
                Some(primary) => primary,
                None => return self.invalid_rtp(),
            }
        } else {
            rtp
        };
        if self.codec.is_audio() && !self.is_media(&rtp) {
            return Ok(());
        }
        self.extensions.observe(&rtp, &mut self.stats);
        let ssrc = rtp.header.ssrc;
        if self.stats.ssrcs.len() < 16 && !self.stats.ssrcs.contains(&ssrc) {
            self.stats.ssrcs.push(ssrc);
        }
        // Packet times count from the header's start time: without a believable one, they
        // cannot place the track (it is then placed like an MJR00001 track).
        let arrival = self
            .base_ns
            .zip(packet.time_ms)
            .map(|(base, ms)| Nanos(base) + Nanos::from_ms(i64::from(ms)));
        if let Some(frames) = self.frames.as_mut() {
            frames.push(rtp, arrival);
        }
        Ok(())
    }

    /// Whether an audio packet is the media itself, rather than a DTMF event (RFC 4733: a
    /// dynamic payload type of its own, 4-byte event blocks) or comfort noise (payload type 13,
    /// RFC 3389), which are counted and kept out.
    fn is_media(&mut self, rtp: &RtpPacket) -> bool {
        let pt = rtp.header.payload_type;
        if pt == 13 && self.codec != Codec::Opus {
            self.stats.comfort_noise += 1;
            return false;
        }
        let len = rtp.header.payload_len;
        let event_shaped = pt >= 96 && len > 0 && len % 4 == 0 && len <= 16;
        let static_pt = match self.codec {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::G722 => Some(9),
            _ => None,
        };
        // Without a static type, the first packet that is not event-shaped decides.
        let main = match static_pt.or(self.main_pt) {
            Some(main) => main,
            None if event_shaped => {
                self.count_event(rtp.header.timestamp);
                return false;
            }
            None => {
                self.main_pt = Some(pt);
                return true;
            }
        };
        if pt == main {
            return true;
        }
        if event_shaped {
            self.count_event(rtp.header.timestamp);
        } else {
            self.stats.other_payload_type += 1;
        }
        false
    }

    /// A telephone-event packet: a new event when its timestamp is new (RFC 4733 section 2.5.1:
    /// the packets of one event share the timestamp of its start).
    fn count_event(&mut self, ts: u32) {
        if self.last_event_ts != Some(ts) {
            self.last_event_ts = Some(ts);
            self.stats.telephone_events += 1;
        }
    }

    /// The first message read, lasting until the one after it (at most
    /// [`MAX_CAPTION_NS`]; the last one that long).
    fn next_message(&mut self) -> Option<Frame> {
        let frame = self.messages.pop_front()?;
        let start = frame.arrival.map_or(0, Nanos::get);
        let until_next = self
            .messages
            .front()
            .and_then(|n| n.arrival)
            .map(|n| n.get().saturating_sub(start));
        let duration = until_next.map_or(MAX_CAPTION_NS, |d| d.clamp(1_000_000, MAX_CAPTION_NS));
        Some(frame.with_duration(Some(Nanos(duration))))
    }

    /// A data-channel message: a frame at its arrival time (µs since the epoch in the
    /// recording; RTP timestamps made up from it at 90 kHz, the timeline's clock for data).
    fn accept_message(&mut self, packet: mjr::Packet) -> Result<(), Error> {
        self.stats.messages += 1;
        let arrival_us = packet.data_time_us.or_else(|| {
            let base_us = self.base_ns? / 1_000;
            Some(base_us + i64::from(packet.time_ms?) * 1_000)
        });
        let Some(arrival_us) = arrival_us else {
            return self.invalid_rtp();
        };
        let since_us = arrival_us - self.base_ns.map_or(arrival_us, |b| b / 1_000);
        let ts = (i128::from(since_us) * 90 / 1_000) as u32;
        let frame = Frame::new(packet.data, ts, true)
            .with_arrival(Some(Nanos(arrival_us.saturating_mul(1_000))));
        self.messages.push_back(frame);
        Ok(())
    }
}

impl<R: Read> MjrTrack<R> {
    /// The codec of the track.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }
}

impl<R: Read> FrameSource for MjrTrack<R> {
    type Error = TrackError;

    fn spec(&self) -> TrackSpec {
        TrackSpec::new(self.codec.clone())
            .with_start(self.base_ns.map(Nanos))
            .with_channels(self.channels)
            .with_config(self.config.clone())
            .with_rotation(self.stats.rotation)
    }

    fn position(&self) -> u64 {
        self.reader.position()
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        loop {
            let next = match &mut self.frames {
                Some(frames) => frames.pop(),
                // A message shows until the next one: it waits until that one is read.
                None if self.messages.len() >= 2 || self.reader_done => self.next_message(),
                None => None,
            };
            if let Some(f) = next {
                if self.stats.video_size.is_none() {
                    self.stats.video_size = f.size.map(|s| (s.width, s.height));
                }
                return Ok(Some(f));
            }
            if self.finished {
                return Ok(None);
            }
            if self.reader_done {
                if let Some(frames) = &mut self.frames {
                    frames.finish();
                }
                self.finished = true;
                continue;
            }
            match self.reader.next_packet()? {
                Some(p) => self.accept(p)?,
                None => self.reader_done = true,
            }
        }
    }
}

/// Header times (µs since the Unix epoch) outside 2000-01-01 .. 2100-01-01 are not believed.
const PLAUSIBLE_US: std::ops::Range<i64> = 946_684_800_000_000..4_102_444_800_000_000;
/// The first write (`u`) comes after the file was created (`s`): by a few ms usually, by hours
/// when a publisher joined and sent nothing for a long time. Beyond this window one of them is
/// damaged.
const U_AFTER_S_US: std::ops::RangeInclusive<i64> = -1_000_000..=86_400_000_000;

/// The wall-clock time (ns) that a recording's packet times count from: the header's first-write
/// time `u`, else its creation time `s`; a time outside [`PLAUSIBLE_US`], or a `u` too far from
/// `s`, is not used, with a warning (a bit flip in `u` must not make a file 238 years long).
fn recording_start_ns(
    created_us: Option<i64>,
    first_written_us: Option<i64>,
) -> (Option<i64>, Option<String>) {
    let plausible = |t: Option<i64>| t.filter(|us| PLAUSIBLE_US.contains(us));
    let (s, u) = (plausible(created_us), plausible(first_written_us));
    let mut warning = None;
    if created_us.is_some() && s.is_none() {
        warning = Some(format!(
            "header creation time s = {} µs is implausible (expected a time between 2000 and 2100); not used",
            created_us.unwrap_or_default()
        ));
    }
    let start_us = match (u, s) {
        (Some(u), Some(s)) if !U_AFTER_S_US.contains(&(u - s)) => {
            warning = Some(format!(
                "header first-write time u = {u} µs is {:+.3} s from the creation time s = {s} µs (expected within -1 s .. +24 h); using s",
                (u - s) as f64 / 1e6
            ));
            Some(s)
        }
        (Some(u), _) => Some(u),
        (None, s) => {
            if let Some(bad) = first_written_us {
                warning = Some(format!(
                    "header first-write time u = {bad} µs is implausible (expected a time between 2000 and 2100); {}",
                    if s.is_some() { "using the creation time s" } else { "the track cannot be aligned" }
                ));
            }
            s
        }
    };
    (start_us.map(|us| us * 1000), warning)
}

#[cfg(test)]
mod tests {
    use super::recording_start_ns;

    const NOW_US: i64 = 1_764_000_000_000_000;

    #[test]
    fn plausible_header_times_start_the_recording_at_the_first_write() {
        let (start, warning) = recording_start_ns(Some(NOW_US), Some(NOW_US + 20_000));
        assert_eq!(start, Some((NOW_US + 20_000) * 1000));
        assert_eq!(warning, None);
    }

    #[test]
    fn an_absurd_first_write_time_falls_back_to_the_creation_time_with_a_warning() {
        for bad in [i64::MAX, i64::MIN, NOW_US + (1 << 52), 0, -5] {
            let (start, warning) = recording_start_ns(Some(NOW_US), Some(bad));
            assert_eq!(start, Some(NOW_US * 1000), "u = {bad}");
            assert!(warning.is_some(), "u = {bad}");
        }
        // Plausible on its own, but a year away from the creation time: one of them is wrong.
        let (start, warning) =
            recording_start_ns(Some(NOW_US), Some(NOW_US + 365 * 86_400_000_000));
        assert_eq!(start, Some(NOW_US * 1000));
        assert!(warning.unwrap().contains("using s"));
    }

    #[test]
    fn absurd_times_everywhere_leave_the_track_unaligned() {
        let (start, warning) = recording_start_ns(Some(i64::MAX), Some(i64::MIN));
        assert_eq!(start, None);
        assert!(warning.is_some());
        assert_eq!(recording_start_ns(None, None), (None, None));
    }
}
