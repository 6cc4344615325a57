//! [`CodecPayload`]: the payload rules of every codec this crate knows, as one type, so that a
//! caller choosing the codec at run time still has one [`FrameAssembler`](crate::FrameAssembler)
//! type.

use bytes::Bytes;
use mjrtool_core::{
    Codec, Depacketizer, FrameData, FrameFacts, FrameParts, PacketRole, PayloadError,
};

use crate::audio::AudioPayload;
use crate::av1::Av1Payload;
use crate::h264::H264Payload;
use crate::h265::H265Payload;
use crate::opus::OpusPayload;
use crate::vp8::Vp8Payload;
use crate::vp9::Vp9Payload;

/// The payload rules of one of the codecs this crate knows; it delegates to them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecPayload {
    /// VP8 (RFC 7741).
    Vp8(Vp8Payload),
    /// Opus (RFC 7587).
    Opus(OpusPayload),
    /// G.711, G.722, L16 and multichannel Opus: the payload is the frame.
    Audio(AudioPayload),
    /// VP9 (RFC 9628).
    Vp9(Vp9Payload),
    /// AV1 (AOM RTP payload format v1.0).
    Av1(Av1Payload),
    /// H.264 (RFC 6184).
    H264(H264Payload),
    /// H.265 (RFC 7798).
    H265(H265Payload),
}

impl CodecPayload {
    /// The rules for `codec`, `None` for a codec this crate cannot depacketize.
    pub fn for_codec(codec: &Codec) -> Option<CodecPayload> {
        match codec {
            Codec::Vp8 => Some(CodecPayload::Vp8(Vp8Payload)),
            Codec::Opus => Some(CodecPayload::Opus(OpusPayload)),
            Codec::Vp9 => Some(CodecPayload::Vp9(Vp9Payload::new())),
            Codec::Av1 => Some(CodecPayload::Av1(Av1Payload::new())),
            Codec::H264 => Some(CodecPayload::H264(H264Payload::new())),
            Codec::H265 => Some(CodecPayload::H265(H265Payload::new())),
            _ => AudioPayload::new(codec).map(CodecPayload::Audio),
        }
    }
}

impl Depacketizer for CodecPayload {
    fn codec(&self) -> Codec {
        match self {
            CodecPayload::Vp8(d) => d.codec(),
            CodecPayload::Opus(d) => d.codec(),
            CodecPayload::Audio(d) => d.codec(),
            CodecPayload::Vp9(d) => d.codec(),
            CodecPayload::Av1(d) => d.codec(),
            CodecPayload::H264(d) => d.codec(),
            CodecPayload::H265(d) => d.codec(),
        }
    }

    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        match self {
            CodecPayload::Vp8(d) => d.depacketize(payload, out),
            CodecPayload::Opus(d) => d.depacketize(payload, out),
            CodecPayload::Audio(d) => d.depacketize(payload, out),
            CodecPayload::Vp9(d) => d.depacketize(payload, out),
            CodecPayload::Av1(d) => d.depacketize(payload, out),
            CodecPayload::H264(d) => d.depacketize(payload, out),
            CodecPayload::H265(d) => d.depacketize(payload, out),
        }
    }

    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError> {
        match self {
            CodecPayload::Vp8(d) => d.inspect(frame),
            CodecPayload::Opus(d) => d.inspect(frame),
            CodecPayload::Audio(d) => d.inspect(frame),
            CodecPayload::Vp9(d) => d.inspect(frame),
            CodecPayload::Av1(d) => d.inspect(frame),
            CodecPayload::H264(d) => d.inspect(frame),
            CodecPayload::H265(d) => d.inspect(frame),
        }
    }

    fn inspect_data(&self, frame: &FrameData) -> Result<FrameFacts, PayloadError> {
        match self {
            CodecPayload::Vp8(d) => d.inspect_data(frame),
            CodecPayload::Opus(d) => d.inspect_data(frame),
            CodecPayload::Audio(d) => d.inspect_data(frame),
            CodecPayload::Vp9(d) => d.inspect_data(frame),
            CodecPayload::Av1(d) => d.inspect_data(frame),
            CodecPayload::H264(d) => d.inspect_data(frame),
            CodecPayload::H265(d) => d.inspect_data(frame),
        }
    }

    fn complete(&mut self, frame: FrameParts<'_>) -> Result<(FrameData, FrameFacts), PayloadError> {
        match self {
            CodecPayload::Vp8(d) => d.complete(frame),
            CodecPayload::Opus(d) => d.complete(frame),
            CodecPayload::Audio(d) => d.complete(frame),
            CodecPayload::Vp9(d) => d.complete(frame),
            CodecPayload::Av1(d) => d.complete(frame),
            CodecPayload::H264(d) => d.complete(frame),
            CodecPayload::H265(d) => d.complete(frame),
        }
    }

    fn lost(&mut self) {
        match self {
            CodecPayload::Vp8(d) => d.lost(),
            CodecPayload::Opus(d) => d.lost(),
            CodecPayload::Audio(d) => d.lost(),
            CodecPayload::Vp9(d) => d.lost(),
            CodecPayload::Av1(d) => d.lost(),
            CodecPayload::H264(d) => d.lost(),
            CodecPayload::H265(d) => d.lost(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_codec_has_its_own_rules_and_others_none() {
        for codec in [Codec::Vp8, Codec::Opus] {
            let rules = CodecPayload::for_codec(&codec).unwrap();
            assert_eq!(rules.codec(), codec);
        }
        assert_eq!(CodecPayload::for_codec(&Codec::Other("x".into())), None);
        // Opus rules: the payload is the frame, and it must be a valid packet.
        let mut opus = CodecPayload::for_codec(&Codec::Opus).unwrap();
        let mut out = Vec::new();
        let role = opus
            .depacketize(&Bytes::from_static(&[0xF8, 1]), &mut out)
            .unwrap();
        assert!(role.starts_frame);
        assert_eq!(out, [Bytes::from_static(&[0xF8, 1])]);
        assert!(opus.inspect(&[]).is_err());
    }
}
