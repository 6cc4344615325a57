//! RTP for Janus recordings: headers and extensions, reordering, and frame assembly.
//!
//! * [`RtpHeader`] / [`RtpPacket`] parse the RFC 3550 fixed header with CSRCs, padding and
//!   RFC 8285 header extensions (one- and two-byte), every length checked; [`RtpBuilder`]
//!   writes packets.
//! * [`FrameAssembler`] turns RTP packets, in any order, into whole codec frames
//!   ([`mjrtool_core::Frame`]), the same way for every codec: it owns a [`Reorderer`], never hands
//!   out a frame with a hole, marks the first frame after a sender restart, applies the
//!   [`AfterLoss`] policy and the [`Limits`], and counts it all ([`AssemblyStats`]). A codec
//!   brings only its payload rules, an [`mjrtool_core::Depacketizer`]: [`Vp8Payload`] (RFC 7741)
//!   and [`OpusPayload`] (RFC 7587); [`CodecPayload`] is either, chosen at run time. The rules,
//!   and why, are in
//!   [`assemble`].
//! * [`Reorderer`] puts packets back in sequence order within a bounded window, drops
//!   duplicates, and counts loss, lateness and restarts (a sender back with new sequence and
//!   timestamp bases under the same SSRC: a new segment once [`RESTART_CONFIRM`] packets
//!   agree); [`SeqUnwrapper`] and [`TsUnwrapper`] extend sequence numbers and timestamps across
//!   wrap-arounds.
//! * [`Vp8Packetizer`] and [`OpusPacketizer`] do the reverse of the payload rules, for tests and
//!   generators; [`red_primary`] takes the primary encoding out of a RED packet (RFC 2198)
//!   without a copy.
//! * [`Vp8Depacketizer`] and [`OpusDepacketizer`] are the same assembly behind the older
//!   per-packet [`Depacketizer`] interface (packets already in order, this crate's [`Frame`]),
//!   for callers that drive a [`Reorderer`] themselves.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use mjrtool_core::Nanos;
//! use rtp_depack::{FrameAssembler, RtpBuilder, RtpPacket, Vp8Packetizer, Vp8Payload};
//!
//! // A tiny VP8 keyframe (frame header with start code and a 64x48 size), in 3 packets.
//! let mut frame = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 64, 0, 48, 0];
//! frame.extend(std::iter::repeat_n(0xAA, 50));
//! let mut builder = RtpBuilder::new(0x1234, 96);
//! let mut packets = Vec::new();
//! Vp8Packetizer::new(25, Some(1)).packetize(&frame, &mut |payload, marker| {
//!     let mut raw = Vec::new();
//!     builder.build(9000, marker, payload, &[], &mut raw);
//!     packets.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
//! });
//! packets.swap(0, 2); // they arrive out of order
//!
//! // Hold up to 16 packets to put them back in order; keep complete frames after a loss.
//! let mut assembler = FrameAssembler::new(Vp8Payload, 16);
//! let mut frames = Vec::new();
//! for (i, p) in packets.into_iter().enumerate() {
//!     assembler.push(p, Some(Nanos::from_ms(1_000 + i as i64)));
//!     frames.extend(std::iter::from_fn(|| assembler.pop()));
//! }
//! assembler.finish();
//! frames.extend(std::iter::from_fn(|| assembler.pop()));
//!
//! let out = &frames[0];
//! assert_eq!(out.data, frame);
//! assert!(out.keyframe);
//! assert_eq!(out.size.map(|s| (s.width, s.height)), Some((64, 48)));
//! assert_eq!(out.arrival, Some(Nanos::from_ms(1_002))); // its first packet came last
//! assert_eq!(assembler.stats().reorder.reordered, 2);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod assemble;
mod audio;
mod av1;
mod av1_obu;
mod bits;
mod depack;
mod h264;
mod h265;
mod nal;
mod opus;
mod payload;
mod red;
mod reorder;
mod rtp;
mod vp8;
mod vp8_bool;
mod vp9;
mod vp9_descriptor;
mod vp9_frame;
mod vp9_header;

pub use assemble::{AfterLoss, AssemblyStats, FrameAssembler, Limits, DEFAULT_MAX_FRAME_BYTES};
pub use audio::AudioPayload;
pub use av1::{Av1Packetizer, Av1Payload};
pub use av1_obu::{av1_codec_configuration_record, Av1SequenceHeader, ObuHeader};
pub use depack::{
    DepackStats, Depacketizer, Frame, InputPacket, OpusDepacketizer, Vp8Depacketizer,
};
pub use h264::{avc_decoder_configuration_record, H264Packetizer, H264Payload, H264Sps};
pub use h265::{hevc_decoder_configuration_record, H265Packetizer, H265Payload, H265Sps};
pub use nal::annexb_nals;
pub use opus::{OpusPacketizer, OpusPayload};
pub use payload::CodecPayload;
pub use red::red_primary;
pub use reorder::{
    ReorderStats, Reordered, Reorderer, RestartRule, SeqUnwrapper, TsUnwrapper, RESTART_CONFIRM,
};
pub use rtp::{
    audio_level, video_orientation, Extension, ExtensionBlock, Extensions, RtpBuilder, RtpError,
    RtpHeader, RtpPacket,
};
pub use vp8::{vp8_keyframe_info, Vp8Descriptor, Vp8FrameHeader, Vp8Packetizer, Vp8Payload};
pub use vp9::{
    Vp9Descriptor, Vp9FrameHeader, Vp9GroupPicture, Vp9LayerIndex, Vp9Packetizer, Vp9Payload,
    Vp9RefSlots, Vp9Scalability, Vp9UncompressedHeader, VP9_MAX_SUPERFRAME_FRAMES,
};
