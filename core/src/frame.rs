//! [`Frame`]: one codec frame, the unit that flows from a depacketizer through the timeline to a
//! container.

use bytes::Bytes;
use serde::Serialize;

use crate::{FrameData, Nanos};

/// A picture size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct VideoSize {
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
}

/// One codec frame: a video picture (all its packets' payloads, descriptors removed) or an
/// audio packet, as a decoder wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Frame {
    /// The frame's bytes: slices of the input, never copied where the frame is the packets'
    /// payloads as they came (one piece, or several for a frame that came in several packets).
    pub data: FrameData,
    /// RTP timestamp of the frame (its media clock: it wraps, and jumps at a sender restart).
    pub rtp_timestamp: u32,
    /// Whether the frame decodes on its own (always true for audio).
    pub keyframe: bool,
    /// Wall-clock time (since the Unix epoch) at which the frame's first packet was recorded,
    /// when the recording says so (MJR00002).
    pub arrival: Option<Nanos>,
    /// Picture size, from a video keyframe's own header.
    pub size: Option<VideoSize>,
    /// The first frame after the sender restarted (a new SSRC, or new sequence numbering): its
    /// RTP timestamps may map to wall-clock time differently from the frames before it.
    pub discontinuity: bool,
    /// A frame the pipeline made up (silence filling a hole), not one from the recording.
    pub synthetic: bool,
    /// The codec configuration record in force from this keyframe on, for codecs that have one
    /// (see [`crate::TrackSpec::config`]).
    pub config: Option<Bytes>,
    /// How long the frame lasts, when its source knows better than the timeline (a caption:
    /// until the next message); `None` for media, whose duration the timeline measures.
    pub duration: Option<Nanos>,
}

impl Frame {
    /// A frame with the given bytes, RTP timestamp and keyframe flag; no arrival time, no size,
    /// no discontinuity.
    pub fn new(data: impl Into<FrameData>, rtp_timestamp: u32, keyframe: bool) -> Frame {
        Frame {
            data: data.into(),
            rtp_timestamp,
            keyframe,
            arrival: None,
            size: None,
            discontinuity: false,
            synthetic: false,
            config: None,
            duration: None,
        }
    }

    /// The same frame, lasting `duration`.
    pub fn with_duration(mut self, duration: Option<Nanos>) -> Frame {
        self.duration = duration;
        self
    }

    /// The same frame, with a codec configuration record.
    pub fn with_config(mut self, config: Option<Bytes>) -> Frame {
        self.config = config;
        self
    }

    /// The same frame, recorded at `arrival`.
    pub fn with_arrival(mut self, arrival: Option<Nanos>) -> Frame {
        self.arrival = arrival;
        self
    }

    /// The same frame, with a picture size.
    pub fn with_size(mut self, size: Option<VideoSize>) -> Frame {
        self.size = size;
        self
    }

    /// The same frame, marked as the first after a sender restart (or not).
    pub fn with_discontinuity(mut self, discontinuity: bool) -> Frame {
        self.discontinuity = discontinuity;
        self
    }

    /// The same frame, marked as made up by the pipeline (or not).
    pub fn with_synthetic(mut self, synthetic: bool) -> Frame {
        self.synthetic = synthetic;
        self
    }
}
