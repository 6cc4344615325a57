//! [`AudioPayload`]: the payload rules of the audio codecs whose RTP payload is the frame
//! itself: G.711 (PCMU, PCMA), G.722 and L16 (RFC 3551 §4.5), and multichannel Opus.

use bytes::Bytes;
use mjrtool_core::{Codec, Depacketizer, FrameFacts, PacketRole, PayloadError};

/// Payload rules for PCMU, PCMA, G.722, L16 and multichannel Opus: each RTP payload is one
/// frame, handed out as it is (RFC 3551 §4.1: for audio the marker only flags a talkspurt).
/// A frame is refused when it is empty, or for L16 when it holds half a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPayload {
    codec: Codec,
}

impl AudioPayload {
    /// The rules for `codec`, `None` unless it is one of PCMU, PCMA, G.722, L16 (16 or 48 kHz)
    /// or multichannel Opus.
    pub fn new(codec: &Codec) -> Option<AudioPayload> {
        matches!(
            codec,
            Codec::Pcmu | Codec::Pcma | Codec::G722 | Codec::L16 | Codec::L16_48 | Codec::MultiOpus
        )
        .then(|| AudioPayload {
            codec: codec.clone(),
        })
    }

    fn error(&self, expected: &'static str, found: String, offset: usize) -> PayloadError {
        PayloadError {
            codec: static_name(&self.codec),
            expected,
            found,
            offset,
        }
    }
}

/// The codec's name, for errors (whose field is `'static`).
fn static_name(codec: &Codec) -> &'static str {
    match codec {
        Codec::Pcmu => "PCMU",
        Codec::Pcma => "PCMA",
        Codec::G722 => "G.722",
        Codec::L16 | Codec::L16_48 => "L16",
        _ => "multiopus",
    }
}

impl Depacketizer for AudioPayload {
    fn codec(&self) -> Codec {
        self.codec.clone()
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
        if frame.is_empty() {
            return Err(self.error("at least one byte of audio", "none".into(), 0));
        }
        if matches!(self.codec, Codec::L16 | Codec::L16_48) && frame.len() % 2 != 0 {
            return Err(self.error(
                "whole 16-bit samples",
                format!("{} bytes", frame.len()),
                frame.len() - 1,
            ));
        }
        Ok(FrameFacts {
            keyframe: true,
            ..FrameFacts::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_is_one_whole_frame_and_half_an_l16_sample_is_refused() {
        let mut pcmu = AudioPayload::new(&Codec::Pcmu).unwrap();
        let mut out = Vec::new();
        let p = Bytes::from_static(&[0xFF; 160]);
        assert!(pcmu.depacketize(&p, &mut out).unwrap().starts_frame);
        assert_eq!(out, std::slice::from_ref(&p));
        assert!(pcmu.inspect(&p).unwrap().keyframe);
        assert!(pcmu.inspect(&[]).is_err());
        let l16 = AudioPayload::new(&Codec::L16).unwrap();
        assert!(l16.inspect(&[0, 1, 2]).is_err());
        assert!(l16.inspect(&[0, 1]).is_ok());
        assert!(AudioPayload::new(&Codec::Opus).is_none());
    }
}
