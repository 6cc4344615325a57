//! The session simulator: a sender with known capture times, a network, and Janus recording what
//! arrives into two MJR00002 files (Opus audio, VP8 video), the way Janus writes them.
//!
//! Rules the simulation keeps, so that the truth is exact:
//!
//! * every frame carries its truth id in its payload ([`payload`]), and `truth.frames[id]` is that
//!   frame: its capture time on the wall clock, kind, keyframe flag, encoder epoch;
//! * the RTP timestamp of each frame is what the sender's own clock says (drift, frozen across a
//!   pause, jumping across DTX, new random bases after a restart); the capture
//!   time is where it really belongs;
//! * Janus rewrites sequence numbers and timestamps across a change of SSRC (`janus`), in
//!   arrival order, as its switching context does;
//! * Janus writes each packet when it arrives: the header's `u` is the first packet's arrival,
//!   `s` the moment the recorder was created (before any capture), and each MJR00002 packet time
//!   is the whole milliseconds since `u`, never going backwards.

pub mod payload;
pub mod scenario;

mod janus;
mod network;
mod sender;

use mjr::{Codec, Header, MediaKind, MjrWriter};

use crate::rng::Rng;
use network::Delivery;
use scenario::Scenario;
use sender::Sent;

/// Wall-clock time of the session start (the first capture of the earlier track), ns since the
/// epoch.
pub const SESSION_START_NS: i64 = 1_700_000_000_000_000_000;

/// One frame the sender captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthFrame {
    /// Its id, carried in its payload; also its index in [`Truth::frames`].
    pub id: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// When it was captured, ns since the epoch (wall clock).
    pub capture_ns: i64,
    /// Its duration on the wall clock, ns (the sender's frame period, drift included).
    pub duration_ns: i64,
    /// Whether it decodes on its own (every Opus packet does).
    pub keyframe: bool,
    /// Encoder epoch: 0, then one more after each restart of the publisher.
    pub epoch: u32,
    /// RTP packets it was sent in.
    pub packets: u32,
    /// How many of them reached Janus at least once.
    pub packets_arrived: u32,
    /// When the first of its packets to arrive reached Janus, ns since the epoch.
    pub first_arrival_ns: Option<i64>,
}

impl TruthFrame {
    /// Whether every packet of the frame reached Janus.
    pub fn arrived_whole(&self) -> bool {
        self.packets_arrived == self.packets
    }
}

/// What was recorded for one track.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackTruth {
    /// Packets sent.
    pub packets_sent: u64,
    /// Packets written to the recording (duplicates included).
    pub packets_written: u64,
    /// Packets lost on the way.
    pub packets_lost: u64,
    /// Extra copies written.
    pub duplicates: u64,
    /// The header's `u`: arrival of the first packet, µs since the epoch (`None`: no packet).
    pub first_written_us: Option<i64>,
}

/// Everything the sender did and the network delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// Every captured frame of both tracks, indexed by id (audio first, then video).
    pub frames: Vec<TruthFrame>,
    /// The audio recording.
    pub audio: TrackTruth,
    /// The video recording.
    pub video: TrackTruth,
}

/// A simulated session: its recordings and the truth about them.
#[derive(Debug, Clone)]
pub struct Session {
    /// What it was made from.
    pub scenario: Scenario,
    /// The audio recording (MJR00002, Opus).
    pub audio: Vec<u8>,
    /// The video recording (MJR00002, VP8).
    pub video: Vec<u8>,
    /// The truth.
    pub truth: Truth,
}

/// Simulates `scenario`: the same scenario always gives the same bytes.
pub fn simulate(scenario: &Scenario) -> Session {
    let rng = Rng::new(scenario.seed);
    // The recorder is created before anything is captured (at PeerConnection set-up).
    let created_us = SESSION_START_NS / 1000 - rng.fork(0xC8EA7E).range(300_000, 3_000_000) as i64;
    let mut truth = Truth::default();
    let mut tracks = Vec::with_capacity(2);
    for (salt, kind) in [(1, MediaKind::Audio), (2, MediaKind::Video)] {
        let mut rng = rng.fork(salt);
        let sent = sender::send_track(scenario, kind, &mut rng, &mut truth.frames);
        let delivered = network::deliver(scenario, kind, &sent, SESSION_START_NS, &mut rng);
        tracks.push((kind, sent, delivered));
    }
    let mut files = Vec::with_capacity(2);
    for (kind, sent, delivered) in &tracks {
        let t = record(*kind, sent, delivered, created_us, &mut truth.frames);
        let (bytes, track_truth) = t;
        match kind {
            MediaKind::Audio => truth.audio = track_truth,
            _ => truth.video = track_truth,
        }
        files.push(bytes);
    }
    let video = files.pop().unwrap_or_default();
    let audio = files.pop().unwrap_or_default();
    Session {
        scenario: scenario.clone(),
        audio,
        video,
        truth,
    }
}

/// Writes what Janus would record for one track, and counts what arrived of each frame.
fn record(
    kind: MediaKind,
    sent: &[Sent],
    delivered: &[Delivery],
    created_us: i64,
    frames: &mut [TruthFrame],
) -> (Vec<u8>, TrackTruth) {
    let codec = if kind == MediaKind::Video {
        Codec::Vp8
    } else {
        Codec::Opus
    };
    let mut header = Header::new(kind, codec);
    let first_written_us = delivered.first().map(|d| d.arrival_ns.div_euclid(1000));
    header.created_us = Some(created_us);
    header.first_written_us = first_written_us;
    if kind == MediaKind::Audio {
        header.fmtp = Some("minptime=10;useinbandfec=1".into());
    }
    let mut w = MjrWriter::new(Vec::new(), &header).expect("writing to memory cannot fail");
    let mut seen = vec![false; sent.len()];
    let mut last_ms = 0u32;
    let mut context = janus::SwitchingContext::default();
    let khz = if kind == MediaKind::Video { 90 } else { 48 };
    let mut packet = Vec::new();
    for d in delivered {
        let base_ns = first_written_us.unwrap_or(0) * 1000;
        let ms = u32::try_from((d.arrival_ns - base_ns).max(0) / 1_000_000).unwrap_or(u32::MAX);
        last_ms = last_ms.max(ms);
        packet.clear();
        packet.extend_from_slice(&sent[d.packet].bytes);
        context.rewrite(&mut packet, d.arrival_ns, khz);
        w.write_rtp(last_ms, &packet)
            .expect("writing to memory cannot fail");
        if !seen[d.packet] {
            seen[d.packet] = true;
            let f = &mut frames[sent[d.packet].frame as usize];
            f.packets_arrived += 1;
            f.first_arrival_ns.get_or_insert(d.arrival_ns);
        }
    }
    let arrived = seen.iter().filter(|s| **s).count() as u64;
    let truth = TrackTruth {
        packets_sent: sent.len() as u64,
        packets_written: delivered.len() as u64,
        packets_lost: sent.len() as u64 - arrived,
        duplicates: delivered.len() as u64 - arrived,
        first_written_us,
    };
    (w.finish().expect("writing to memory cannot fail"), truth)
}
