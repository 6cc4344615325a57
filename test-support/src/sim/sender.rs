//! The sender: captures frames on its own (possibly drifting) clock, stamps them with RTP
//! timestamps, and packetizes them, through pauses, DTX silences and restarts.

use mjr::MediaKind;
use rtp_depack::{OpusPacketizer, RtpBuilder, Vp8Packetizer};

use super::payload::{opus_frame, vp8_frame};
use super::scenario::{Event, Scenario};
use super::{TruthFrame, SESSION_START_NS};
use crate::rng::Rng;

/// Largest RTP payload, as browsers use.
const MAX_PAYLOAD: usize = 1100;
/// Time between two packets of one video frame on the wire (pacing), ns.
const PACING_NS: i64 = 200_000;

/// One RTP packet as the sender sent it.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// Wall-clock time it left the sender, ns since the epoch.
    pub send_ns: i64,
    /// Truth id of its frame.
    pub frame: u32,
    /// The RTP packet.
    pub bytes: Vec<u8>,
}

/// A change of the sender's course at a wall-clock time (ns from the session start).
#[derive(Debug, Clone, Copy)]
enum Change {
    Pause { len_ns: f64 },
    Restart { gap_ns: f64, same_ssrc: bool },
    Dtx { len_ns: f64 },
}

fn changes(s: &Scenario, kind: MediaKind) -> Vec<(f64, Change)> {
    let ms = 1e6;
    let mut out: Vec<(f64, Change)> = s
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::Pause {
                at_ms,
                len_ms,
                tracks,
            } if tracks.has(kind) => Some((
                at_ms as f64 * ms,
                Change::Pause {
                    len_ns: len_ms as f64 * ms,
                },
            )),
            Event::Restart {
                at_ms,
                gap_ms,
                same_ssrc,
                tracks,
            } if tracks.has(kind) => Some((
                at_ms as f64 * ms,
                Change::Restart {
                    gap_ns: gap_ms as f64 * ms,
                    same_ssrc,
                },
            )),
            Event::Dtx { at_ms, len_ms } if kind == MediaKind::Audio => Some((
                at_ms as f64 * ms,
                Change::Dtx {
                    len_ns: len_ms as f64 * ms,
                },
            )),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The sender's RTP state.
struct Stream {
    rtp: RtpBuilder,
    ts: u32,
    vp8: Vp8Packetizer,
    epoch: u32,
    frames_in_epoch: u32,
}

impl Stream {
    fn new(kind: MediaKind, wrap: bool, rng: &mut Rng, duration_s: f64) -> Stream {
        let pt = if kind == MediaKind::Video { 96 } else { 111 };
        let mut rtp = RtpBuilder::new(rng.next_u64() as u32, pt);
        let ts = if wrap {
            // Wrap within the first seconds (well inside the session).
            rtp.sequence = u16::MAX - rng.range(0, 150) as u16;
            let rate = if kind == MediaKind::Video {
                90_000.0
            } else {
                48_000.0
            };
            let before = (rate * rng.uniform(0.5, (duration_s / 2.0).max(1.0))) as u32;
            u32::MAX - before
        } else {
            rtp.sequence = rng.next_u64() as u16;
            rng.next_u64() as u32
        };
        Stream {
            rtp,
            ts,
            vp8: Vp8Packetizer::new(MAX_PAYLOAD, Some(rng.next_u64() as u16)),
            epoch: 0,
            frames_in_epoch: 0,
        }
    }

    /// A new encoder and RTP state: new random bases, and a new SSRC unless `same_ssrc` (Janus
    /// rewrites what it records across an SSRC change: see [`super::janus`]).
    fn restart(&mut self, same_ssrc: bool, rng: &mut Rng) {
        if !same_ssrc {
            self.rtp.ssrc = rng.next_u64() as u32;
        }
        self.rtp.sequence = rng.next_u64() as u16;
        self.ts = rng.next_u64() as u32;
        self.vp8 = Vp8Packetizer::new(MAX_PAYLOAD, Some(rng.next_u64() as u16));
        self.epoch += 1;
        self.frames_in_epoch = 0;
    }
}

/// Sends the track of `kind`: appends its frames to `truth` (ids continue from its length) and
/// returns its packets in send order.
pub(crate) fn send_track(
    s: &Scenario,
    kind: MediaKind,
    rng: &mut Rng,
    truth: &mut Vec<TruthFrame>,
) -> Vec<Sent> {
    let video = kind == MediaKind::Video;
    let (rate, ppm) = if video {
        (90_000.0, s.video_ppm)
    } else {
        (48_000.0, s.audio_ppm)
    };
    let period_ns = if video {
        1e9 / f64::from(s.fps.max(1))
    } else {
        20e6
    };
    let step = (rate * period_ns / 1e9).round() as u32;
    // The sender's clock runs (1 + ppm) fast: its frames come that much more often.
    let wall_period = period_ns / (1.0 + ppm * 1e-6);
    let offset_ns = s.audio_offset_ms as f64 * 1e6;
    let mut t = match (video, offset_ns > 0.0) {
        (true, false) => -offset_ns,
        (false, true) => offset_ns,
        _ => 0.0,
    };
    let end = s.duration_ms as f64 * 1e6;
    let mut stream = Stream::new(kind, s.wrap, rng, s.duration_ms as f64 / 1e3);
    let mut changes = changes(s, kind).into_iter().peekable();
    let mut dtx_until = f64::MIN;
    let mut packets = Vec::new();
    let mut payloads: Vec<(Vec<u8>, bool)> = Vec::new();
    while t + wall_period <= end {
        if let Some(&(at, change)) = changes.peek() {
            if t >= at {
                changes.next();
                match change {
                    Change::Pause { len_ns } => t += len_ns,
                    Change::Dtx { len_ns } => dtx_until = at + len_ns,
                    Change::Restart { gap_ns, same_ssrc } => {
                        stream.restart(same_ssrc, rng);
                        t += gap_ns;
                    }
                }
                continue;
            }
        }
        if t < dtx_until {
            // Silence: nothing is sent, the media clock runs on.
            t += wall_period;
            stream.ts = stream.ts.wrapping_add(step);
            continue;
        }
        let id = truth.len() as u32;
        let keyframe = !video || stream.frames_in_epoch % s.keyframe_every.max(1) == 0;
        let frame = if video {
            let len = if keyframe {
                rng.range(4_000, 6_000)
            } else {
                rng.range(400, 2_500)
            };
            vp8_frame(id, keyframe, len as usize, rng)
        } else {
            opus_frame(id, rng.range(20, 120) as usize, rng)
        };
        payloads.clear();
        let mut collect = |p: &[u8], m: bool| payloads.push((p.to_vec(), m));
        if video {
            stream.vp8.packetize(&frame, &mut collect);
        } else {
            OpusPacketizer.packetize(&frame, &mut collect);
        }
        let capture_ns = SESSION_START_NS + t.round() as i64;
        for (k, (payload, marker)) in payloads.iter().enumerate() {
            let mut bytes = Vec::with_capacity(payload.len() + 12);
            stream
                .rtp
                .build(stream.ts, *marker, payload, &[], &mut bytes);
            packets.push(Sent {
                send_ns: capture_ns + k as i64 * PACING_NS,
                frame: id,
                bytes,
            });
        }
        truth.push(TruthFrame {
            id,
            kind,
            capture_ns,
            duration_ns: wall_period.round() as i64,
            keyframe,
            epoch: stream.epoch,
            packets: payloads.len() as u32,
            packets_arrived: 0,
            first_arrival_ns: None,
        });
        stream.frames_in_epoch += 1;
        t += wall_period;
        stream.ts = stream.ts.wrapping_add(step);
    }
    packets
}
