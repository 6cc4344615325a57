//! The traits that compose a conversion: [`Depacketizer`] (payload rules of one codec),
//! [`FrameSource`] (one track's frames) and [`FrameSink`] (a container).

use bytes::{Bytes, BytesMut};

use crate::{ClockRate, Codec, Frame, FrameData, Nanos, VideoSize};

/// What a track is, as a source describes it and a sink is opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackSpec {
    /// The codec of its frames.
    pub codec: Codec,
    /// Wall-clock time (since the Unix epoch) at which the recording started, if known: places
    /// the first frame when frames carry no arrival time of their own.
    pub start: Option<Nanos>,
    /// Picture size (video), once known: a source may not know it, the timeline fills it in
    /// from the first keyframe before a sink is opened.
    pub size: Option<VideoSize>,
    /// Audio channels, when the recording says.
    pub channels: Option<u8>,
    /// The usual interval between frames (video), once known: the timeline measures it on the
    /// first frames. Containers may declare it (Matroska's DefaultDuration).
    pub frame_duration: Option<Nanos>,
    /// Audio sample rate in Hz, when it is not the codec's own ([`Codec::sample_rate`]): the
    /// rate of decoded PCM ([`Codec::PcmS16Le`]), or an L16 rate from the recording's fmtp.
    pub sample_rate: Option<u32>,
    /// The codec's configuration record, in the form ISO BMFF and Matroska both store it: `avcC`
    /// (H.264), `hvcC` (H.265), `av1C` (AV1), an `OpusHead` (multichannel Opus). The timeline
    /// fills it in from the first keyframe's [`Frame::config`] when the source has none.
    pub config: Option<Bytes>,
    /// How far to turn the picture clockwise to show it upright (video): 0, 90, 180 or 270
    /// degrees, as the sender's video-orientation extension said (3GPP TS 26.114 §7.4.5).
    /// `None`: not said (shown as it is, nothing written).
    pub rotation: Option<u16>,
}

impl TrackSpec {
    /// A track of `codec`, nothing else known.
    pub fn new(codec: Codec) -> TrackSpec {
        TrackSpec {
            codec,
            start: None,
            size: None,
            channels: None,
            frame_duration: None,
            sample_rate: None,
            config: None,
            rotation: None,
        }
    }

    /// The same track, with a number of audio channels.
    pub fn with_channels(mut self, channels: Option<u8>) -> TrackSpec {
        self.channels = channels;
        self
    }

    /// The same track, with an audio sample rate.
    pub fn with_sample_rate(mut self, sample_rate: Option<u32>) -> TrackSpec {
        self.sample_rate = sample_rate;
        self
    }

    /// The same track, with a codec configuration record.
    pub fn with_config(mut self, config: Option<Bytes>) -> TrackSpec {
        self.config = config;
        self
    }

    /// The clock of its frames' RTP timestamps: the codec's, else (decoded PCM) the sample rate.
    pub fn clock_rate(&self) -> Option<ClockRate> {
        self.codec
            .clock_rate()
            .or_else(|| self.sample_rate.and_then(ClockRate::new))
    }

    /// The audio sample rate: [`TrackSpec::sample_rate`], else the codec's own.
    pub fn audio_rate(&self) -> Option<u32> {
        self.sample_rate.or_else(|| self.codec.sample_rate())
    }

    /// The same track, started at `start`.
    pub fn with_start(mut self, start: Option<Nanos>) -> TrackSpec {
        self.start = start;
        self
    }

    /// The same track, with a picture size.
    pub fn with_size(mut self, size: Option<VideoSize>) -> TrackSpec {
        self.size = size;
        self
    }

    /// The same track, turned `rotation` degrees clockwise for display (see
    /// [`TrackSpec::rotation`]; a value that is not a multiple of 90 is rounded down to one,
    /// modulo 360).
    pub fn with_rotation(mut self, rotation: Option<u16>) -> TrackSpec {
        self.rotation = rotation.map(|r| r % 360 / 90 * 90);
        self
    }

    /// The same track, with a usual frame interval.
    pub fn with_frame_duration(mut self, frame_duration: Option<Nanos>) -> TrackSpec {
        self.frame_duration = frame_duration;
        self
    }
}

/// A source of the frames of one track, in decoding order.
///
/// # For implementations
///
/// Hand out frames in the order a decoder needs them, each with its RTP timestamp (the media
/// clock may wrap and jump; the timeline sorts that out) and, where known, its arrival time.
/// Mark the first frame after a sender restart with [`Frame::discontinuity`]. Return `Ok(None)`
/// at the end, and keep returning it.
pub trait FrameSource {
    /// What can stop the source.
    type Error: std::error::Error + Send + Sync + 'static;
    /// The track.
    fn spec(&self) -> TrackSpec;
    /// The next frame, `Ok(None)` at the end.
    ///
    /// # Errors
    ///
    /// The input could not be read or is damaged beyond what the source salvages.
    fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error>;
    /// Bytes of input consumed so far, for progress reporting (0 if unknown).
    fn position(&self) -> u64 {
        0
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    type Error = S::Error;
    fn spec(&self) -> TrackSpec {
        (**self).spec()
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
        (**self).next_frame()
    }
    fn position(&self) -> u64 {
        (**self).position()
    }
}

/// Where a frame goes on the output timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Presentation time from the start of the output.
    pub time: Nanos,
    /// How long the frame lasts, when known (audio).
    pub duration: Option<Nanos>,
}

impl Placement {
    /// At `time`, duration unknown.
    pub fn at(time: Nanos) -> Placement {
        Placement {
            time,
            duration: None,
        }
    }
}

/// A consumer of frames in time order: a container.
///
/// # For implementations
///
/// [`open`](Self::open) comes first, once, with every track (track `i` of `write` is
/// `tracks[i]`); then [`write`](Self::write) with times that never decrease across all tracks;
/// then [`finish`](Self::finish) once, with the output's duration. A track of a codec the
/// container cannot hold is refused at `open`, with an error that names what would work.
pub trait FrameSink {
    /// What can stop the sink.
    type Error;
    /// Starts the output with these tracks.
    ///
    /// # Errors
    ///
    /// A track the container cannot hold, or the output cannot be written.
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Self::Error>;
    /// Writes one frame of track `track`.
    ///
    /// # Errors
    ///
    /// The frame does not fit (a time going backwards, an unknown track) or the output cannot be
    /// written.
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), Self::Error>;
    /// Ends the output; `duration` is the end of the last frame.
    ///
    /// # Errors
    ///
    /// The output cannot be written.
    fn finish(&mut self, duration: Nanos) -> Result<(), Self::Error>;
}

impl<S: FrameSink + ?Sized> FrameSink for &mut S {
    type Error = S::Error;
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Self::Error> {
        (**self).open(tracks)
    }
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), Self::Error> {
        (**self).write(track, at, frame)
    }
    fn finish(&mut self, duration: Nanos) -> Result<(), Self::Error> {
        (**self).finish(duration)
    }
}

/// Where one RTP packet's payload sits in its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketRole {
    /// The payload begins a frame (VP8's S bit on partition 0, a FU-A start, any Opus packet…).
    pub starts_frame: bool,
}

/// A payload that breaks its format's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{codec} payload: expected {expected}, found {found} at byte {offset}")]
pub struct PayloadError {
    /// The codec.
    pub codec: &'static str,
    /// What the format requires there.
    pub expected: &'static str,
    /// What is there.
    pub found: String,
    /// Where, from the start of the payload or frame.
    pub offset: usize,
}

/// What a frame's own header says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameFacts {
    /// It decodes on its own.
    pub keyframe: bool,
    /// Its picture size, for a video keyframe.
    pub size: Option<VideoSize>,
    /// The codec configuration record in force from this keyframe on (see
    /// [`TrackSpec::config`]), for codecs that have one.
    pub config: Option<Bytes>,
}

/// The payload rules of one codec, and nothing more: reordering, loss, restarts and what to do
/// after a loss are the frame assembly's (in `rtp-depack`), written once for every codec.
///
/// # For implementations
///
/// [`depacketize`](Self::depacketize) strips the payload format's own header from one RTP
/// payload and pushes the codec bytes to `out`: zero-copy slices of `payload` where possible, or
/// small made-up pieces (a NAL header, a length). [`inspect`](Self::inspect) reads a whole
/// frame's own header: whether it is a keyframe, its size, or that it is damaged.
pub trait Depacketizer {
    /// The codec.
    fn codec(&self) -> Codec;
    /// Takes the codec bytes out of one RTP payload.
    ///
    /// # Errors
    ///
    /// The payload breaks the format's rules; the assembly drops its frame.
    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError>;
    /// What a whole frame's own header says.
    ///
    /// # Errors
    ///
    /// The frame is damaged (too short for what its header declares, a keyframe of size 0…):
    /// the assembly drops it and counts it as a loss.
    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError>;
    /// What a frame kept in pieces ([`FrameData`]) says of itself: as
    /// [`inspect`](Self::inspect), which the default calls on the pieces copied together. A codec
    /// whose header lies in the frame's first bytes overrides it to read those (and the frame's
    /// length) without the copy.
    ///
    /// # Errors
    ///
    /// As [`inspect`](Self::inspect).
    fn inspect_data(&self, frame: &FrameData) -> Result<FrameFacts, PayloadError> {
        self.inspect(&frame.contiguous())
    }
    /// Finishes a whole frame, made of the parts [`depacketize`](Self::depacketize) pushed,
    /// into what a container stores, and says what its header says. The default keeps the
    /// parts as they are ([`FrameParts::data`]: no copy) with
    /// [`inspect_data`](Self::inspect_data)'s facts; a codec overrides it to
    /// rewrite the frame (length prefixes in place of start codes, OBU sizes, a superframe
    /// index) or to keep state across frames (parameter sets).
    ///
    /// An empty frame handed back means "nothing to hand out": the rules keep what the frame
    /// held for a later one (H.264 and H.265 keep parameter sets that came without a picture
    /// for the next picture); the assembly then neither hands out nor counts anything.
    ///
    /// # Errors
    ///
    /// As [`inspect`](Self::inspect): the frame is damaged, and is dropped as a loss.
    fn complete(
        &mut self,
        mut frame: FrameParts<'_>,
    ) -> Result<(FrameData, FrameFacts), PayloadError> {
        let frame = frame.data();
        let facts = self.inspect_data(&frame)?;
        Ok((frame, facts))
    }
    /// Something was lost since the last frame [`complete`](Self::complete) saw (a frame
    /// dropped, packets missing, a new stream): what the rules keep for the next frame belongs
    /// to no frame that will come. The default keeps nothing, so does nothing.
    fn lost(&mut self) {}
}

/// The parts of one whole frame, in order, as [`Depacketizer::depacketize`] pushed them, with
/// the block of memory the frame assembly puts frames together in.
///
/// [`data`](Self::data) hands them out as they are (no copy) when they lie one after the other
/// in memory, as the payloads of packets read one after the other from a recording do;
/// [`join`](Self::join) makes them one piece: a frame of one part is that part (no copy, no
/// allocation), a frame of several is copied once, into the block. A codec that rewrites the
/// frame anyway (length prefixes, size fields) reads [`parts`](Self::parts) and writes the result
/// straight into a [`buffer`](Self::buffer) of the block, so the frame is still copied once.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use mjrtool_core::FrameParts;
///
/// let read = Bytes::from_static(b"ab--cd");
/// let parts = [read.slice(0..2), read.slice(4..6)];
/// let mut block = BytesMut::new();
/// let mut frame = FrameParts::new(&parts, &mut block);
/// assert_eq!(frame.len(), 4);
/// assert_eq!(frame.data().parts().len(), 2); // the two slices, not copied
/// assert_eq!(&frame.join()[..], b"abcd");
///
/// // Three parts from three places far apart in memory: copied into one piece.
/// let apart: Vec<Bytes> = [b"ab", b"cd", b"ef"]
///     .into_iter()
///     .map(|s| {
///         let mut v = vec![0; 4096];
///         v[2048..2050].copy_from_slice(s);
///         Bytes::from(v).slice(2048..2050)
///     })
///     .collect();
/// let mut frame = FrameParts::new(&apart, &mut block);
/// assert_eq!(frame.data().parts().len(), 1);
/// assert_eq!(frame.data(), b"abcdef");
/// ```
#[derive(Debug)]
pub struct FrameParts<'a> {
    parts: &'a [Bytes],
    len: usize,
    block: &'a mut BytesMut,
}

impl<'a> FrameParts<'a> {
    /// Size of a new block, when the one held has not room for a frame (several frames of
    /// 2 Mbit/s video). Below the allocator's usual threshold for mapping memory from the kernel
    /// (128 KiB), so a block freed and the next one allocated reuse the heap instead of costing
    /// page faults.
    pub const BLOCK: usize = 64 << 10;

    /// The frame made of `parts`, put together (if need be) in `block`: the frames carved out of
    /// it share it, and a new one of [`BLOCK`](Self::BLOCK) bytes (or the frame's size) replaces
    /// it when it is full. Pass the same block for every frame.
    pub fn new(parts: &'a [Bytes], block: &'a mut BytesMut) -> Self {
        let len = parts.iter().map(Bytes::len).sum();
        FrameParts { parts, len, block }
    }

    /// The same frame without its last part (a trailer of the depacketizer's own making),
    /// sharing the block; `None` for a frame of no parts.
    pub fn without_last(&mut self) -> Option<FrameParts<'_>> {
        let (last, rest) = self.parts.split_last()?;
        Some(FrameParts {
            parts: rest,
            len: self.len - last.len(),
            block: &mut *self.block,
        })
    }

    /// The parts, in order.
    pub fn parts(&self) -> &'a [Bytes] {
        self.parts
    }

    /// Bytes in all the parts.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The frame as it is: its parts, not copied, when they lie in at most
    /// [`FrameData::MAX_RUNS`] runs of memory ([`FrameData::runs`]: slices of one read of the
    /// recording, in any order, or of two reads when the frame straddles them); else
    /// [`join`](Self::join)ed into one piece.
    ///
    /// Parts kept this way keep alive only the memory they lie in: the frame's own bytes, the
    /// gaps between them (at most [`FrameData::GAP`] bytes each), and the rest of the buffers
    /// where each run starts and ends. A frame whose parts lie apart (packets from reads far
    /// from each other) is copied, so that it never holds many buffers for a few bytes each.
    pub fn data(&mut self) -> FrameData {
        match self.parts {
            [] => FrameData::new(),
            [one] => FrameData::from(one.clone()),
            [_, _, ..] if FrameData::count_runs(self.parts) > FrameData::MAX_RUNS => {
                FrameData::from(self.join())
            }
            [_, _, ..] if self.parts.iter().all(|p| !p.is_empty()) => {
                FrameData::from_nonempty(self.parts, self.len)
            }
            parts => FrameData::from_parts(parts.iter().cloned()),
        }
    }

    /// The parts as one frame: the only part itself, else all of them copied into the block.
    pub fn join(&mut self) -> Bytes {
        match self.parts {
            [] => Bytes::new(),
            [one] => one.clone(),
            parts => {
                let mut out = self.buffer(self.len);
                for part in parts {
                    out.extend_from_slice(part);
                }
                out.freeze()
            }
        }
    }

    /// An empty buffer with room for exactly `len` bytes, carved out of the block (writing more
    /// than `len` still works, but allocates). Bytes written into the block itself and not
    /// carved out are dropped.
    pub fn buffer(&mut self, len: usize) -> BytesMut {
        self.block.clear();
        if self.block.capacity() < len {
            *self.block = BytesMut::with_capacity(len.max(Self::BLOCK));
        }
        // The block's first `len` bytes become the buffer, the rest stays the block.
        let rest = self.block.split_off(len);
        std::mem::replace(self.block, rest)
    }
}
