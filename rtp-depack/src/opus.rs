//! Opus over RTP (RFC 7587): one packet carries one Opus packet.

use std::collections::VecDeque;

use crate::depack::{DepackStats, Depacketizer, Frame, InputPacket};

/// Hands out each packet's payload as a frame; empty payloads are counted as malformed.
#[derive(Debug, Default)]
pub struct OpusDepacketizer {
    out: VecDeque<Frame>,
    stats: DepackStats,
}

impl Depacketizer for OpusDepacketizer {
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
        self.out.push_back(Frame {
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

    fn pop(&mut self) -> Option<Frame> {
        self.out.pop_front()
    }

    fn finish(&mut self) {}

    fn stats(&self) -> &DepackStats {
        &self.stats
    }
}

/// Packetizes Opus: the whole Opus packet in one RTP payload.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpusPacketizer;

impl OpusPacketizer {
    /// Emits `(payload, marker)` once per Opus packet.
    pub fn packetize(&mut self, frame: &[u8], emit: &mut impl FnMut(&[u8], bool)) {
        emit(frame, false);
    }
}
