//! The per-codec depacketizers as they were before the shared frame assembly (VP8 and Opus,
//! each with its own frame assembly, loss and SSRC handling), kept as the reference the
//! assembly must agree with. Only the type names and the imports changed.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use rtp_depack::{AfterLoss, DepackStats, RtpPacket, Vp8Descriptor, Vp8FrameHeader};

/// A codec frame put together from RTP packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefFrame {
    /// The frame as the decoder wants it (payload descriptors removed).
    pub data: Bytes,
    /// RTP timestamp of its packets.
    pub rtp_timestamp: u32,
    /// Whether it decodes on its own (always true for audio).
    pub keyframe: bool,
    /// When its first packet was recorded (ms, the MJR packet time), if known.
    pub arrival_ms: Option<u64>,
    /// Extended sequence number of its first packet.
    pub first_ext_seq: i64,
    /// How many packets it came in.
    pub packets: u32,
    /// Picture width, from a video keyframe.
    pub width: Option<u16>,
    /// Picture height, from a video keyframe.
    pub height: Option<u16>,
}

/// One packet handed to a depacketizer, in sequence order (see [`rtp_depack::Reorderer`]).
#[derive(Debug, Clone, Copy)]
pub struct InputPacket<'a> {
    /// The packet.
    pub packet: &'a RtpPacket,
    /// Its extended sequence number.
    pub ext_seq: i64,
    /// How many packets were lost just before it.
    pub lost_before: u64,
    /// When it was recorded (ms), if known.
    pub arrival_ms: Option<u64>,
}

/// Turns RTP packets (in sequence order) into codec frames.
pub trait Depacketizer {
    /// Adds the next packet.
    fn push(&mut self, input: InputPacket<'_>);
    /// The next finished frame, if any.
    fn pop(&mut self) -> Option<RefFrame>;
    /// End of input: finishes (or drops) the frame in progress.
    fn finish(&mut self);
    /// Counters so far.
    fn stats(&self) -> &DepackStats;
}

/// Largest frame accepted (a 4K keyframe is a few hundred KiB); larger ones are dropped.
const MAX_FRAME: usize = 16 << 20;

#[derive(Debug)]
struct Current {
    timestamp: u32,
    first_ext_seq: i64,
    arrival_ms: Option<u64>,
    keyframe: bool,
    packets: u32,
    broken: bool,
}

/// Puts VP8 frames together. Never hands out a frame with a hole: a frame missing a packet is
/// dropped, and (with [`AfterLoss::WaitForKeyframe`]) so is every frame after it
/// until the next keyframe; frames before the first keyframe, and after a change of SSRC (a new
/// encoder), are dropped too.
#[derive(Debug)]
pub struct OldVp8 {
    after_loss: AfterLoss,
    cur: Option<Current>,
    buf: BytesMut,
    last_ext: Option<i64>,
    last_ssrc: Option<u32>,
    waiting_keyframe: bool,
    out: VecDeque<RefFrame>,
    stats: DepackStats,
}

impl Default for OldVp8 {
    fn default() -> Self {
        OldVp8 {
            after_loss: AfterLoss::default(),
            cur: None,
            buf: BytesMut::new(),
            last_ext: None,
            last_ssrc: None,
            waiting_keyframe: true,
            out: VecDeque::new(),
            stats: DepackStats::default(),
        }
    }
}

impl OldVp8 {
    /// A depacketizer that handles the frames after a loss as `after_loss` says.
    pub fn new(after_loss: AfterLoss) -> Self {
        OldVp8 {
            after_loss,
            ..Self::default()
        }
    }

    /// Something was lost: wait for a keyframe if the policy says so.
    fn lost(&mut self) {
        if self.after_loss == AfterLoss::WaitForKeyframe {
            self.waiting_keyframe = true;
        }
    }

    fn close(&mut self) {
        let Some(cur) = self.cur.take() else { return };
        let data = self.buf.split().freeze();
        if cur.broken {
            self.stats.frames_dropped_incomplete += 1;
            self.lost();
            return;
        }
        // A frame can lack its last packets without a sequence gap (a sender that sets the
        // marker on every packet, or renumbers): its own header then says more than it holds.
        let Some(header) = Vp8FrameHeader::parse(&data) else {
            self.stats.frames_dropped_corrupt += 1;
            self.lost();
            return;
        };
        let size = header.size;
        if self.waiting_keyframe && !cur.keyframe {
            self.stats.frames_dropped_waiting_keyframe += 1;
            return;
        }
        self.waiting_keyframe = false;
        self.stats.frames += 1;
        self.stats.keyframes += u64::from(cur.keyframe);
        self.stats.bytes += data.len() as u64;
        self.out.push_back(RefFrame {
            data,
            rtp_timestamp: cur.timestamp,
            keyframe: cur.keyframe,
            arrival_ms: cur.arrival_ms,
            first_ext_seq: cur.first_ext_seq,
            packets: cur.packets,
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        });
    }
}

impl Depacketizer for OldVp8 {
    fn push(&mut self, input: InputPacket<'_>) {
        self.stats.packets += 1;
        let ext = input.ext_seq;
        if self.last_ext == Some(ext) {
            return; // a duplicate that got past the reorderer
        }
        let p = input.packet;
        // A new SSRC (a publisher that came back; Janus keeps the sequence numbers going) is
        // a discontinuity too: whatever the old stream left unfinished cannot be trusted.
        let new_source = self.last_ssrc.is_some_and(|s| s != p.header.ssrc);
        self.last_ssrc = Some(p.header.ssrc);
        if new_source {
            // A new encoder: its inter frames reference nothing we have, whatever the policy.
            self.waiting_keyframe = true;
        }
        let gap =
            new_source || input.lost_before > 0 || self.last_ext.is_some_and(|l| ext != l + 1);
        let payload = p.payload();
        if payload.is_empty() {
            // Padding only (bandwidth probes): no media, but it takes a sequence number, so it
            // keeps the packets around it contiguous. A gap before it is still a gap after it.
            if !gap {
                self.last_ext = Some(ext);
            }
            return;
        }
        self.last_ext = Some(ext);
        let ts = p.header.timestamp;
        let Some(d) = Vp8Descriptor::parse(payload) else {
            self.stats.malformed += 1;
            // An unusable packet is a hole in whatever frame it belonged to.
            if let Some(cur) = &mut self.cur {
                cur.broken = true;
            }
            self.lost();
            return;
        };
        let vp8 = &payload[d.len..];
        let starts = d.start && d.partition == 0;
        if let Some(cur) = &mut self.cur {
            if cur.timestamp != ts || starts {
                // The previous frame ended without its marker: complete only if nothing is
                // missing between its last packet and this one.
                if gap {
                    cur.broken = true;
                }
                self.close();
            } else if gap {
                cur.broken = true;
            }
        }
        if gap && self.cur.is_none() {
            // Whole packets (maybe whole frames) are missing before this one.
            self.lost();
        }
        match &mut self.cur {
            Some(cur) => {
                cur.packets += 1;
                if self.buf.len() + vp8.len() > MAX_FRAME {
                    cur.broken = true;
                    self.buf.clear();
                } else if !cur.broken {
                    self.buf.extend_from_slice(vp8);
                }
            }
            None => {
                self.buf.clear();
                if self.buf.capacity() < 16 * 1024 {
                    // One allocation serves many frames: each frame is split off it.
                    self.buf.reserve(64 * 1024);
                }
                self.buf.extend_from_slice(vp8);
                self.cur = Some(Current {
                    timestamp: ts,
                    first_ext_seq: ext,
                    arrival_ms: input.arrival_ms,
                    // The P bit of the VP8 payload header (only in the first packet).
                    keyframe: starts && vp8.first().is_some_and(|b| b & 1 == 0),
                    packets: 1,
                    broken: !starts,
                });
            }
        }
        if p.header.marker {
            self.close();
        }
    }

    fn pop(&mut self) -> Option<RefFrame> {
        self.out.pop_front()
    }

    fn finish(&mut self) {
        // A frame still open at the end never got its marker: its tail may be missing.
        if let Some(cur) = &mut self.cur {
            cur.broken = true;
        }
        self.close();
    }

    fn stats(&self) -> &DepackStats {
        &self.stats
    }
}

/// Hands out each packet's payload as a frame; empty payloads are counted as malformed.
#[derive(Debug, Default)]
pub struct OldOpus {
    out: VecDeque<RefFrame>,
    stats: DepackStats,
}

impl Depacketizer for OldOpus {
    fn push(&mut self, input: InputPacket<'_>) {
        self.stats.packets += 1;
        let p = input.packet;
        if p.header.payload_len == 0 {
            self.stats.malformed += 1;
            return;
        }
        let data = p.payload_bytes();
        self.stats.frames += 1;
        self.stats.keyframes += 1;
        self.stats.bytes += data.len() as u64;
        self.out.push_back(RefFrame {
            data,
            rtp_timestamp: p.header.timestamp,
            keyframe: true,
            arrival_ms: input.arrival_ms,
            first_ext_seq: input.ext_seq,
            packets: 1,
            width: None,
            height: None,
        });
    }

    fn pop(&mut self) -> Option<RefFrame> {
        self.out.pop_front()
    }

    fn finish(&mut self) {}

    fn stats(&self) -> &DepackStats {
        &self.stats
    }
}
