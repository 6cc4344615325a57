//! The per-packet depacketizer interface that came before [`crate::FrameAssembler`]: packets
//! already in sequence order in, this crate's own [`Frame`] out. [`Vp8Depacketizer`] and
//! [`OpusDepacketizer`] are thin wrappers over the shared frame assembly (the part after its
//! reorderer), kept for the callers that still drive a [`crate::Reorderer`] themselves; new code
//! uses [`crate::FrameAssembler`], which hands out [`mjrtool_core::Frame`]s and marks restarts.

use bytes::Bytes;
use mjrtool_core::Nanos;
use serde::Serialize;

use crate::assemble::{AfterLoss, Assembled, Assembly, Ordered};
use crate::opus::OpusPayload;
use crate::rtp::RtpPacket;
use crate::vp8::Vp8Payload;

/// A codec frame put together from RTP packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
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

/// One packet handed to a depacketizer, in sequence order (see [`crate::Reorderer`]).
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

/// What the frame assembly did (see [`crate::AssemblyStats`] for the ordering counters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepackStats {
    /// Frames handed out.
    pub frames: u64,
    /// Of which keyframes.
    pub keyframes: u64,
    /// Packets handed to the assembly (in order, after the reorderer).
    pub packets: u64,
    /// Packets whose payload the codec's rules reject (a VP8 descriptor longer than the
    /// payload…).
    pub malformed: u64,
    /// Frames dropped because a packet of theirs was missing.
    pub frames_dropped_incomplete: u64,
    /// Frames dropped although no packet of theirs was missing, because their own header says
    /// they cannot be decoded ([`mjrtool_core::Depacketizer::inspect`]): for VP8, shorter than
    /// the first partition their header declares (their last packets were lost without a
    /// sequence gap), a keyframe without a start code or with a zero width or height (RFC 6386
    /// section 9.1), or DCT partitions that do not fit the frame (section 9.5); for Opus, a packet that RFC 6716 section 3.4 rejects. Counted as a loss.
    pub frames_dropped_corrupt: u64,
    /// Complete frames dropped because an earlier frame they depend on was lost (waiting for
    /// the next keyframe), including those before the first keyframe.
    pub frames_dropped_waiting_keyframe: u64,
    /// Bytes of the frames handed out.
    pub bytes: u64,
}

/// Turns RTP packets (in sequence order) into codec frames.
pub trait Depacketizer {
    /// Adds the next packet.
    fn push(&mut self, input: InputPacket<'_>);
    /// The next finished frame, if any.
    fn pop(&mut self) -> Option<Frame>;
    /// End of input: finishes (or drops) the frame in progress.
    fn finish(&mut self);
    /// Counters so far.
    fn stats(&self) -> &DepackStats;
}

/// Wraps the shared frame assembly in the per-packet interface.
macro_rules! legacy {
    ($(#[$doc:meta])* $name:ident, $payload:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(Assembly<$payload>);

        impl Default for $name {
            fn default() -> Self {
                $name::new(AfterLoss::default())
            }
        }

        impl $name {
            /// A depacketizer that handles the frames after a loss as `after_loss` says.
            pub fn new(after_loss: AfterLoss) -> Self {
                let mut a = Assembly::new($payload);
                a.after_loss = after_loss;
                $name(a)
            }
        }

        impl Depacketizer for $name {
            fn push(&mut self, input: InputPacket<'_>) {
                self.0.push(Ordered {
                    packet: input.packet,
                    ext_seq: input.ext_seq,
                    lost_before: input.lost_before,
                    arrival: input
                        .arrival_ms
                        .map(|ms| Nanos::from_ms(i64::try_from(ms).unwrap_or(i64::MAX))),
                });
            }
            fn pop(&mut self) -> Option<Frame> {
                self.0.pop().map(legacy_frame)
            }
            fn finish(&mut self) {
                self.0.finish();
            }
            fn stats(&self) -> &DepackStats {
                &self.0.stats.depack
            }
        }
    };
}

legacy!(
    /// VP8 frames from packets in sequence order: [`crate::FrameAssembler`]'s rules with
    /// [`Vp8Payload`], behind the per-packet interface.
    Vp8Depacketizer,
    Vp8Payload
);

legacy!(
    /// Opus packets from packets in sequence order: [`crate::FrameAssembler`]'s rules with
    /// [`OpusPayload`], behind the per-packet interface.
    OpusDepacketizer,
    OpusPayload
);

fn legacy_frame(a: Assembled) -> Frame {
    let f = a.frame;
    Frame {
        arrival_ms: f
            .arrival
            .map(|t| u64::try_from(t.as_ms_floor()).unwrap_or(0)),
        width: f.size.map(|s| s.width),
        height: f.size.map(|s| s.height),
        data: f.data.into(),
        rtp_timestamp: f.rtp_timestamp,
        keyframe: f.keyframe,
        first_ext_seq: a.first_ext_seq,
        packets: a.packets,
    }
}
