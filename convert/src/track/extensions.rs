//! RTP header extensions a track reads as it goes: video orientation (3GPP TS 26.114 §7.4.5)
//! and the audio level of each packet (RFC 6464).

use std::collections::BTreeMap;

use rtp_depack::RtpPacket;
use serde::Serialize;

/// The URI of the video-orientation extension (3GPP TS 26.114 §7.4.5, "CVO").
pub const VIDEO_ORIENTATION_URI: &str = "urn:3gpp:video-orientation";
/// The URI of the client-to-mixer audio level extension (RFC 6464 §4).
pub const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
/// Most rotations listed in [`TrackStats`](super::TrackStats)'s `rotations`, the first one
/// included (the count of changes goes on).
pub const MAX_ROTATIONS_LISTED: usize = 16;
/// Without the voice-activity flag, a packet is speech when its level is above this, in dBov
/// (RFC 6464 §3: the level is 0 to -127 dBov; background noise sits well below -50).
pub const SPEECH_THRESHOLD_DBOV: i8 = -50;
/// The longest a packet is taken to last (a longer gap between two timestamps is a pause or a
/// loss, not a packet's length), and what a first packet is taken to last: 120 ms, Opus's
/// longest packet; 20 ms.
const MAX_PACKET_MS: u64 = 120;
const FIRST_PACKET_MS: u64 = 20;

/// What the audio-level extension said over a track (RFC 6464).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AudioLevelStats {
    /// Packets that carried the extension.
    pub packets: u64,
    /// Sum of their levels, in -dBov (0 = loudest, 127 = silence).
    pub level_sum: u64,
    /// Packets with the voice-activity flag (V) set.
    pub voice_packets: u64,
    /// Time of the packets with V set, ms.
    pub voice_ms: u64,
    /// Time of the packets louder than [`SPEECH_THRESHOLD_DBOV`], ms.
    pub loud_ms: u64,
    /// Time of all the packets that carried the extension, ms.
    pub total_ms: u64,
}

impl AudioLevelStats {
    /// Whether the sender set the voice-activity flag at all: if it did, the flag tells speech;
    /// if not (senders that do not run a detector leave it 0), the level does.
    pub fn uses_voice_flag(&self) -> bool {
        self.voice_packets > 0
    }

    /// Speaking time, ms: the packets with V set, or louder than [`SPEECH_THRESHOLD_DBOV`] when
    /// the sender never sets V ([`AudioLevelStats::uses_voice_flag`]).
    pub fn speaking_ms(&self) -> u64 {
        if self.uses_voice_flag() {
            self.voice_ms
        } else {
            self.loud_ms
        }
    }

    /// How [`AudioLevelStats::speaking_ms`] was told, in words.
    pub fn speaking_by(&self) -> String {
        if self.uses_voice_flag() {
            "voice-activity flag".into()
        } else {
            format!("level above {SPEECH_THRESHOLD_DBOV} dBov")
        }
    }

    /// Mean of the packets' levels, dBov (the mean of the dB values, not of the powers).
    pub fn mean_dbov(&self) -> Option<f64> {
        (self.packets > 0).then(|| -(self.level_sum as f64) / self.packets as f64)
    }
}

/// Which extension ids a track reads, and where it is in the stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtensionReader {
    orientation_id: Option<u8>,
    level_id: Option<u8>,
    clock_hz: u64,
    first_ts: Option<u32>,
    last_ts: Option<u32>,
    /// The rotation in force.
    rotation: Option<u16>,
}

/// The id the header's extmap gives `uri`.
fn id_of(extmaps: &BTreeMap<u8, String>, uri: &str) -> Option<u8> {
    extmaps
        .iter()
        .find(|(_, u)| u.trim().eq_ignore_ascii_case(uri))
        .map(|(id, _)| *id)
}

impl ExtensionReader {
    /// The ids from the options (a janus-pp-rec `-v`/`-a` value), else from the recording's
    /// extmap; `clock_hz` is the RTP clock of the track.
    pub(crate) fn new(
        extmaps: &BTreeMap<u8, String>,
        orientation_id: Option<u8>,
        level_id: Option<u8>,
        clock_hz: u32,
    ) -> Self {
        ExtensionReader {
            orientation_id: orientation_id.or_else(|| id_of(extmaps, VIDEO_ORIENTATION_URI)),
            level_id: level_id.or_else(|| id_of(extmaps, AUDIO_LEVEL_URI)),
            clock_hz: u64::from(clock_hz.max(1)),
            first_ts: None,
            last_ts: None,
            rotation: None,
        }
    }

    /// Reads the extensions of one media packet (in arrival order) into `stats`.
    pub(crate) fn observe(&mut self, rtp: &RtpPacket, stats: &mut super::TrackStats) {
        if self.orientation_id.is_none() && self.level_id.is_none() {
            return;
        }
        let ts = rtp.header.timestamp;
        let first = *self.first_ts.get_or_insert(ts);
        let since_ms = u64::from(ts.wrapping_sub(first)) * 1000 / self.clock_hz;
        let step_ms = self.last_ts.map_or(FIRST_PACKET_MS, |last| {
            let d = u64::from(ts.wrapping_sub(last)) * 1000 / self.clock_hz;
            if d == 0 || d > MAX_PACKET_MS {
                FIRST_PACKET_MS
            } else {
                d
            }
        });
        // A packet out of order or a repeat does not move the clock back.
        if self
            .last_ts
            .is_none_or(|last| ts.wrapping_sub(last) < 1 << 31)
        {
            self.last_ts = Some(ts);
        }
        let cvo = self
            .orientation_id
            .and_then(|id| rtp.extension(id))
            .and_then(rtp_depack::video_orientation);
        // The first rotation becomes the track's; each change after it is counted and, up to
        // MAX_ROTATIONS_LISTED, listed with its time.
        if let Some(degrees) = cvo.filter(|d| self.rotation != Some(*d)) {
            if self.rotation.is_none() {
                stats.rotation = Some(degrees);
            } else {
                stats.rotation_changes += 1;
            }
            if stats.rotations.len() < MAX_ROTATIONS_LISTED {
                stats.rotations.push((since_ms, degrees));
            }
            self.rotation = Some(degrees);
        }
        let level = self
            .level_id
            .and_then(|id| rtp.extension(id))
            .and_then(rtp_depack::audio_level);
        if let Some((voice, minus_dbov)) = level {
            let a = stats
                .audio_level
                .get_or_insert_with(AudioLevelStats::default);
            a.packets += 1;
            a.level_sum += u64::from(minus_dbov);
            a.total_ms += step_ms;
            if voice {
                a.voice_packets += 1;
                a.voice_ms += step_ms;
            }
            if -i16::from(minus_dbov) > i16::from(SPEECH_THRESHOLD_DBOV) {
                a.loud_ms += step_ms;
            }
        }
    }
}

/// A sink whose tracks are turned as the recordings said: each spec gets its rotation
/// ([`TrackSpec::rotation`](mjrtool_core::TrackSpec::rotation)) before the sink is opened. The
/// timeline takes its specs before reading a packet; the rotation is known once the first
/// keyframe has been read, when the sink is opened.
pub(crate) struct Oriented<'a, K: ?Sized> {
    /// The sink.
    pub(crate) sink: &'a mut K,
    /// The rotation of each sink track, in order (`None`: as the spec says).
    pub(crate) rotations: Vec<Option<u16>>,
}

impl<K: mjrtool_core::FrameSink + ?Sized> mjrtool_core::FrameSink for Oriented<'_, K> {
    type Error = K::Error;
    fn open(&mut self, tracks: &[mjrtool_core::TrackSpec]) -> Result<(), K::Error> {
        let turned: Vec<_> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| match self.rotations.get(i).copied().flatten() {
                Some(r) if t.rotation.is_none() => t.clone().with_rotation(Some(r)),
                _ => t.clone(),
            })
            .collect();
        self.sink.open(&turned)
    }
    fn write(
        &mut self,
        track: usize,
        at: mjrtool_core::Placement,
        frame: &mjrtool_core::Frame,
    ) -> Result<(), K::Error> {
        self.sink.write(track, at, frame)
    }
    fn finish(&mut self, duration: mjrtool_core::Nanos) -> Result<(), K::Error> {
        self.sink.finish(duration)
    }
}
