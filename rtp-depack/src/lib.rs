//! RTP for Janus recordings: headers and extensions, reordering, and codec depacketizers.
//!
//! * [`RtpHeader`] / [`RtpPacket`] parse the RFC 3550 fixed header with CSRCs, padding and
//!   RFC 8285 header extensions (one- and two-byte), every length checked; [`RtpBuilder`]
//!   writes packets.
//! * [`Reorderer`] puts packets back in sequence order within a bounded window, drops
//!   duplicates, and counts loss, lateness and restarts (a sender back with new sequence and
//!   timestamp bases under the same SSRC: a new segment once [`RESTART_CONFIRM`] packets agree); [`SeqUnwrapper`] and
//!   [`TsUnwrapper`] extend sequence numbers and timestamps across wrap-arounds.
//! * [`Depacketizer`] turns ordered packets into codec frames: [`Vp8Depacketizer`] (RFC 7741;
//!   never a frame with a hole, resumes at the next keyframe after a loss) and
//!   [`OpusDepacketizer`] (RFC 7587). [`Vp8Packetizer`] and [`OpusPacketizer`] do the reverse.
//! * [`red_primary`] takes the primary encoding out of a RED packet (RFC 2198) without a copy.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use rtp_depack::{Depacketizer, InputPacket, Reordered, Reorderer, RtpBuilder, RtpPacket,
//!                  Vp8Depacketizer, Vp8Packetizer};
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
//! let mut reorder = Reorderer::new(16);
//! for p in packets {
//!     reorder.push(p.header.sequence, p);
//! }
//! reorder.flush();
//! let mut vp8 = Vp8Depacketizer::default();
//! while let Some(Reordered::Packet { ext_seq, item, lost_before }) = reorder.pop() {
//!     vp8.push(InputPacket { packet: &item, ext_seq, lost_before, arrival_ms: None });
//! }
//! let out = vp8.pop().unwrap();
//! assert_eq!(out.data, frame);
//! assert_eq!((out.keyframe, out.width, out.height), (true, Some(64), Some(48)));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assemble;
mod depack;
mod opus;
mod red;
mod reorder;
mod rtp;
mod vp8;

pub use assemble::{AfterLoss, AssemblyStats, FrameAssembler, Limits, DEFAULT_MAX_FRAME_BYTES};
pub use depack::{
    DepackStats, Depacketizer, Frame, InputPacket, OpusDepacketizer, Vp8Depacketizer,
};
pub use opus::{OpusPacketizer, OpusPayload};
pub use red::red_primary;
pub use reorder::{ReorderStats, Reordered, Reorderer, SeqUnwrapper, TsUnwrapper, RESTART_CONFIRM};
pub use rtp::{
    audio_level, video_orientation, Extension, ExtensionBlock, Extensions, RtpBuilder, RtpError,
    RtpHeader, RtpPacket,
};
pub use vp8::{vp8_keyframe_info, Vp8Descriptor, Vp8FrameHeader, Vp8Packetizer, Vp8Payload};
