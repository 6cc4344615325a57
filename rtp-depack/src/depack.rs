//! The [`Depacketizer`] trait and what it hands out.

use bytes::Bytes;
use serde::Serialize;

use crate::rtp::RtpPacket;

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

/// What a depacketizer did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepackStats {
    /// Frames handed out.
    pub frames: u64,
    /// Of which keyframes.
    pub keyframes: u64,
    /// Packets pushed.
    pub packets: u64,
    /// Packets whose payload could not be used (bad descriptor, empty).
    pub malformed: u64,
    /// Frames dropped because a packet of theirs was missing.
    pub frames_dropped_incomplete: u64,
    /// Frames dropped although no packet of theirs was missing, because they cannot be decoded:
    /// for VP8, shorter than the first partition their header declares (their last packets
    /// were lost without a sequence gap), or a keyframe without a start code or with a zero
    /// width or height (RFC 6386 section 9.1). Counted as a loss.
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
