//! Opus over RTP (RFC 7587): one packet carries one Opus packet.

use bytes::Bytes;
use mjrtool_core::opus::toc::packet_samples;
use mjrtool_core::{Codec, Depacketizer as PayloadRules, FrameFacts, PacketRole, PayloadError};

/// The Opus payload format (RFC 7587 section 4.2): the payload is one whole Opus packet, a
/// frame of its own. [`inspect`](PayloadRules::inspect) checks it against RFC 6716 section 3.4
/// (R1 to R7), so a packet no decoder accepts is dropped at assembly; every valid packet decodes
/// on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpusPayload;

impl PayloadRules for OpusPayload {
    fn codec(&self) -> Codec {
        Codec::Opus
    }

    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        out.push(payload.clone());
        Ok(PacketRole { starts_frame: true })
    }

    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError> {
        packet_samples(frame).map_err(|e| PayloadError {
            codec: "Opus",
            expected: "a packet that RFC 6716 section 3.4 allows",
            found: e.to_string(),
            offset: 0,
        })?;
        Ok(FrameFacts {
            keyframe: true,
            ..FrameFacts::default()
        })
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
