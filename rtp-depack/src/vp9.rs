//! VP9 over RTP (RFC 9628): the payload descriptor with its scalability structure, the payload
//! rules for the shared frame assembly ([`Vp9Payload`]), and a packetizer ([`Vp9Packetizer`]).
//!
//! # Pictures and layer frames
//!
//! A picture is the packets of one RTP timestamp; with spatial scalability it holds one *layer
//! frame* per spatial layer (SID 0 upwards). B marks the first packet of a layer frame, E its
//! last, and the RTP marker the last packet of the picture (RFC 9628 section 4.1). A picture
//! starts at B on spatial layer 0, which is where the frame assembly starts a frame; a layer
//! frame with a missing packet breaks the whole picture, since the assembly drops frames with a
//! hole. The picture becomes one [`mjrtool_core::Frame`]: its one layer frame, or all of them
//! joined as a VP9 superframe (VP9 spec Annex B), which is how decoders and containers take a
//! picture of several frames; every frame of it but the last is rewritten with show_frame = 0
//! (see [`Vp9Payload`]), so a decoder shows one picture per timestamp, the top layer's.
//!
//! # How layer boundaries reach `complete`
//!
//! [`Vp9Payload::depacketize`](mjrtool_core::Depacketizer::depacketize) pushes each packet's VP9
//! bytes as a zero-copy slice, and after the last packet of a layer frame (E) an 8-byte trailer
//! of its own making: the layer frame's length (u32, little-endian), its SID, its P bit, and
//! the tag `V9`. [`complete`](mjrtool_core::Depacketizer::complete) walks the trailers from the
//! end of the joined frame back to its start; a frame they do not cover exactly is dropped as
//! corrupt. A picture of one layer frame that is no superframe (the usual picture of a stream
//! without spatial layers) is not joined: it is handed out as its packets' payloads, and its
//! headers are read from its first bytes.

use bytes::Bytes;
use mjrtool_core::{
    Codec, Depacketizer as PayloadRules, FrameData, FrameFacts, FrameParts, PacketRole,
    PayloadError, VideoSize,
};

pub use crate::vp9_descriptor::{Vp9Descriptor, Vp9GroupPicture, Vp9LayerIndex, Vp9Scalability};
use crate::vp9_frame::{build_superframe, superframe_frames, MAX_SUPERFRAME_FRAMES};
pub use crate::vp9_frame::{Vp9FrameHeader, MAX_SUPERFRAME_FRAMES as VP9_MAX_SUPERFRAME_FRAMES};
pub use crate::vp9_header::{Vp9RefSlots, Vp9UncompressedHeader};

/// Length of the trailer `depacketize` pushes after each layer frame (see the module docs).
const TRAILER: usize = 8;
/// Bytes of a picture's start its headers are first read from (see `complete_one_layer`).
const HEAD: usize = 512;
/// The trailer's tag.
const TAG: [u8; 2] = *b"V9";

/// The layer frame whose packets are being pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpenLayer {
    sid: u8,
    inter_picture: bool,
    bytes: usize,
}

/// The VP9 payload format (RFC 9628), for the shared frame assembly: takes the descriptor off
/// each packet, keeps the spatial layers asked for, and makes each picture one frame (one layer
/// frame, or a superframe of them; see the `vp9` module docs in the source).
///
/// A picture is a keyframe when its lowest layer frame has P = 0 and is a VP9 key frame; its
/// size is the largest of the kept layers' in the last scalability structure (SS), else the
/// size of its last layer frame.
///
/// In a superframe every frame but the last is rewritten with show_frame = 0 (see
/// [`Vp9UncompressedHeader::hidden`]): senders such as Chromium mark every layer frame shown,
/// and decoders that output each shown frame of a superframe (ffmpeg) would otherwise show
/// each picture once per layer, at alternating sizes. A frame whose header cannot be read is
/// kept as it is and counted ([`layers_not_hidden`](Vp9Payload::layers_not_hidden)).
///
/// Hiding a layer frame changes one thing for the decoder beyond output: the next frame may
/// not use the hidden frame's motion vectors (UsePrevFrameMvs needs the last frame shown, VP9
/// spec section 7.2). That frame is the next layer, which differs in size in spatial
/// scalability and so could not use them anyway; layers of equal size (quality layers) that
/// relied on them would decode differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp9Payload {
    max_spatial_layer: u8,
    open: Option<OpenLayer>,
    /// Layer sizes of the last SS that gave them, by SID.
    sizes: [Option<VideoSize>; MAX_SUPERFRAME_FRAMES],
    /// The reference slots' sizes, from every frame handed out.
    slots: Vp9RefSlots,
    layers_not_hidden: u64,
}

impl Default for Vp9Payload {
    fn default() -> Self {
        Vp9Payload {
            max_spatial_layer: 7,
            open: None,
            sizes: [None; MAX_SUPERFRAME_FRAMES],
            slots: Vp9RefSlots::new(),
            layers_not_hidden: 0,
        }
    }
}

impl Vp9Payload {
    /// Rules that keep every spatial layer.
    pub fn new() -> Self {
        Vp9Payload::default()
    }

    /// The same rules, keeping only the layer frames of spatial layers `0..=max_sid` (a lower
    /// resolution of an SVC stream); the others' packets still count for loss.
    pub fn with_max_spatial_layer(mut self, max_sid: u8) -> Self {
        self.max_spatial_layer = max_sid;
        self
    }

    /// Frames of a superframe that were to be hidden but were kept as they came, because their
    /// uncompressed header could not be read (damaged, or an inter frame whose size comes from
    /// a reference slot no frame seen has filled).
    pub fn layers_not_hidden(&self) -> u64 {
        self.layers_not_hidden
    }

    /// The largest kept layer's size in the last SS that gave sizes.
    fn announced_size(&self) -> Option<VideoSize> {
        let kept = usize::from(self.max_spatial_layer).saturating_add(1);
        self.sizes
            .iter()
            .take(kept)
            .flatten()
            .max_by_key(|s| u32::from(s.width) * u32::from(s.height))
            .copied()
    }

    /// Reads each frame's uncompressed header in decoding order, keeping the reference slots'
    /// sizes, and rewrites every frame but the last as hidden. Returns whether a frame changed
    /// and the last frame's header.
    fn hide_all_but_last(&mut self, frames: &mut [Bytes]) -> (bool, Option<Vp9UncompressedHeader>) {
        let mut changed = false;
        let count = frames.len();
        let mut last = None;
        for (i, frame) in frames.iter_mut().enumerate() {
            let header = Vp9UncompressedHeader::read(frame, &self.slots);
            if let Ok(h) = &header {
                self.slots.update(h);
            }
            if i + 1 == count {
                last = header.ok();
                break;
            }
            match header.map(|h| h.hidden(frame)) {
                Ok(Some(hidden)) => {
                    *frame = Bytes::from(hidden);
                    changed = true;
                }
                Ok(None) => {} // hidden already, or show_existing_frame
                Err(_) => self.layers_not_hidden += 1,
            }
        }
        (changed, last)
    }

    /// The picture's size into `facts`: the one the last SS announces for a keyframe, else the
    /// shown frame's (`last`, its uncompressed header).
    fn picture_size(&self, facts: &mut FrameFacts, last: Option<Vp9UncompressedHeader>) {
        // (Not a size of zero: an SS may announce one, and an inter picture whose references'
        // sizes are not known has one.)
        let announced = self
            .announced_size()
            .filter(|s| facts.keyframe && s.width > 0 && s.height > 0);
        if let Some(size) = announced {
            facts.size = Some(size);
        } else if let Some(h) = last {
            // The shown picture's size (an inter picture's too: a scalable stream's upper layer
            // can join after its first keyframe).
            if let (Ok(width @ 1..), Ok(height @ 1..)) =
                (u16::try_from(h.width), u16::try_from(h.height))
            {
                facts.size = Some(VideoSize { width, height });
            }
        }
    }

    /// A picture of one layer frame that is no superframe, finished without joining its
    /// packets: the frame is their payloads ([`FrameParts::data`]), and its headers are read
    /// from its first bytes. `None` for any other picture, before anything is changed: those
    /// are joined and walked by their trailers. Gives what that walk gives for such a picture.
    fn complete_one_layer(
        &mut self,
        parts: &mut FrameParts<'_>,
    ) -> Option<Result<(FrameData, FrameFacts), PayloadError>> {
        let trailer = parts.parts().last()?;
        let whole = parts.len().checked_sub(TRAILER)?;
        let t: [u8; TRAILER] = trailer[..].try_into().ok()?;
        if t[6..] != TAG || u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize != whole {
            return None;
        }
        let inter_picture = t[5] & 1 != 0;
        let mut body = parts.without_last()?;
        // A layer frame that ends like a superframe index is split by the walk.
        let end = body.parts().last()?.last()?;
        if end & 0xE0 == 0xC0 {
            return None;
        }
        let data = body.data();
        // The headers lie in the first bytes (a keyframe's uncompressed header is some 20);
        // should they not, the whole frame is read, as the walk reads it.
        let head = data.prefix(HEAD);
        let mut facts = match head_or_whole(&head, &data, frame_facts) {
            Ok(f) => f,
            Err(e) => return Some(Err(e)),
        };
        facts.keyframe &= !inter_picture;
        let header = head_or_whole(&head, &data, |b| {
            Vp9UncompressedHeader::read_within(b, data.len(), &self.slots)
        });
        if let Ok(h) = &header {
            self.slots.update(h);
        }
        self.picture_size(&mut facts, header.ok());
        Some(Ok((data, facts)))
    }

    fn trailer(open: OpenLayer) -> Bytes {
        let len = u32::try_from(open.bytes).unwrap_or(u32::MAX).to_le_bytes();
        let flags = u8::from(open.inter_picture);
        Bytes::copy_from_slice(&[
            len[0], len[1], len[2], len[3], open.sid, flags, TAG[0], TAG[1],
        ])
    }
}

/// One layer frame found by walking the trailers.
struct LayerFrame {
    inter_picture: bool,
    data: Bytes,
}

/// Splits a joined picture at its trailers (see the module docs), lowest layer first.
fn layer_frames(frame: &Bytes) -> Result<Vec<LayerFrame>, PayloadError> {
    let mut layers = Vec::new();
    let mut end = frame.len();
    while end > 0 {
        let broken = |found: String| PayloadError {
            codec: "VP9",
            expected: "whole layer frames, each ended by a packet with the E bit",
            found,
            offset: end,
        };
        if end < TRAILER || frame[end - 2..end] != TAG || layers.len() == MAX_SUPERFRAME_FRAMES {
            return Err(broken("bytes after the last layer frame's end".into()));
        }
        let t = &frame[end - TRAILER..end];
        let len = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize;
        let start = (end - TRAILER)
            .checked_sub(len)
            .ok_or_else(|| broken(format!("a layer frame of {len} bytes")))?;
        layers.push(LayerFrame {
            inter_picture: t[5] & 1 != 0,
            data: frame.slice(start..end - TRAILER),
        });
        end = start;
    }
    layers.reverse();
    Ok(layers)
}

/// `read` of a frame's first bytes (`head`), or of the whole frame when they are not enough.
fn head_or_whole<T>(
    head: &[u8],
    frame: &FrameData,
    read: impl Fn(&[u8]) -> Result<T, PayloadError>,
) -> Result<T, PayloadError> {
    read(head).or_else(|e| match head.len() == frame.len() {
        true => Err(e),
        false => read(&frame.contiguous()),
    })
}

/// What a VP9 frame (or superframe: its first frame) says of itself.
fn frame_facts(frame: &[u8]) -> Result<FrameFacts, PayloadError> {
    let header = Vp9FrameHeader::read(frame)?;
    Ok(FrameFacts {
        keyframe: header.keyframe,
        size: header.size,
        config: None,
    })
}

impl PayloadRules for Vp9Payload {
    fn codec(&self) -> Codec {
        Codec::Vp9
    }

    /// See [`Vp9Descriptor`] for the layout.
    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        let d = Vp9Descriptor::parse(payload)?;
        if let Some(ss) = &d.scalability {
            if !ss.sizes.is_empty() {
                self.sizes = [None; MAX_SUPERFRAME_FRAMES];
                for (slot, size) in self.sizes.iter_mut().zip(&ss.sizes) {
                    *slot = Some(*size);
                }
            }
        }
        let sid = d.layer.map_or(0, |l| l.sid);
        if sid > self.max_spatial_layer {
            return Ok(PacketRole::default());
        }
        let starts_picture = d.start && sid == 0;
        if d.start {
            if let Some(open) = self.open.take() {
                // An upper layer frame begins while the one below never saw its E bit: end it
                // here. A new picture never closes a layer of an older one.
                if !starts_picture {
                    out.push(Vp9Payload::trailer(open));
                }
            }
            self.open = Some(OpenLayer {
                sid,
                inter_picture: d.inter_picture,
                bytes: 0,
            });
        }
        let body = payload.slice(d.len..);
        match &mut self.open {
            Some(open) if open.sid == sid => open.bytes = open.bytes.saturating_add(body.len()),
            Some(open) => {
                return Err(PayloadError {
                    codec: "VP9",
                    expected: "the next packet of the open layer frame, or a B bit",
                    found: format!("spatial layer {sid} inside layer {}", open.sid),
                    offset: 0,
                })
            }
            None => {} // no start: the assembly drops the frame
        }
        out.push(body);
        if d.end {
            if let Some(open) = self.open.take() {
                out.push(Vp9Payload::trailer(open));
            }
        }
        Ok(PacketRole {
            starts_frame: starts_picture,
        })
    }

    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError> {
        frame_facts(frame)
    }

    fn complete(
        &mut self,
        mut parts: FrameParts<'_>,
    ) -> Result<(FrameData, FrameFacts), PayloadError> {
        if let Some(done) = self.complete_one_layer(&mut parts) {
            return done;
        }
        let frame = parts.join();
        let layers = layer_frames(&frame)?;
        let Some(lowest) = layers.first() else {
            return Err(PayloadError {
                codec: "VP9",
                expected: "at least one layer frame",
                found: "an empty picture".into(),
                offset: 0,
            });
        };
        let mut facts = frame_facts(&lowest.data)?;
        facts.keyframe &= !lowest.inter_picture;
        let mut frames = Vec::with_capacity(layers.len());
        for layer in &layers {
            match superframe_frames(&layer.data) {
                Ok(Some(inner)) => frames.extend(inner),
                Ok(None) => frames.push(layer.data.clone()),
                // One layer frame is handed out as it came, index or not.
                Err(_) if layers.len() == 1 => frames.push(layer.data.clone()),
                Err(e) => return Err(e),
            }
        }
        let (changed, last) = self.hide_all_but_last(&mut frames);
        self.picture_size(&mut facts, last);
        if let ([one], false) = (layers.as_slice(), changed) {
            return Ok((one.data.clone().into(), facts));
        }
        Ok((build_superframe(&frames)?.into(), facts))
    }
}

/// Splits VP9 pictures into RTP payloads of at most `max_payload` bytes (descriptor included),
/// the way RFC 9628 describes: a 15-bit (or 7-bit) picture ID in every packet, layer indices
/// and reference indices (flexible mode) or TL0PICIDX (non-flexible mode), and a scalability
/// structure on the first packet of each key picture.
#[derive(Debug, Clone)]
pub struct Vp9Packetizer {
    max_payload: usize,
    flexible: bool,
    short_picture_id: bool,
    picture_id: u16,
    tl0_pic_idx: u8,
    sizes: Vec<VideoSize>,
}

impl Vp9Packetizer {
    /// A packetizer in flexible mode (`flexible`: P_DIFF reference indices) or non-flexible
    /// mode (TL0PICIDX and a picture group in the SS), with 15-bit picture IDs from 0.
    pub fn new(max_payload: usize, flexible: bool) -> Self {
        Vp9Packetizer {
            max_payload,
            flexible,
            short_picture_id: false,
            picture_id: 0,
            tl0_pic_idx: 0,
            sizes: Vec::new(),
        }
    }

    /// The same, with 7-bit picture IDs.
    pub fn with_short_picture_id(mut self) -> Self {
        self.short_picture_id = true;
        self
    }

    /// The same, sending each spatial layer's size (SID order, at most 8) in the SS.
    pub fn with_layer_sizes(mut self, sizes: &[VideoSize]) -> Self {
        self.sizes = sizes.iter().copied().take(MAX_SUPERFRAME_FRAMES).collect();
        self
    }

    /// Emits `(payload, marker)` for each packet of a one-layer picture.
    pub fn packetize(&mut self, frame: &[u8], emit: &mut dyn FnMut(&[u8], bool)) {
        self.packetize_picture(&[frame], emit);
    }

    /// Emits `(payload, marker)` for each packet of a picture made of `layers` (layer frames,
    /// spatial layer 0 first, at most 8); the marker is on the last packet. The picture is a
    /// key picture when its first layer frame is a VP9 key frame.
    pub fn packetize_picture(&mut self, layers: &[&[u8]], emit: &mut dyn FnMut(&[u8], bool)) {
        let layers = &layers[..layers.len().min(MAX_SUPERFRAME_FRAMES)];
        let key = layers
            .first()
            .and_then(|f| Vp9FrameHeader::read(f).ok())
            .is_some_and(|h| h.keyframe);
        let mut buf = Vec::new();
        for (sid, data) in layers.iter().enumerate() {
            let mut at = 0;
            loop {
                let start = at == 0;
                let d = Vp9Descriptor {
                    picture_id: Some(self.picture_id),
                    long_picture_id: !self.short_picture_id,
                    inter_picture: !key,
                    flexible: self.flexible,
                    start,
                    end: false,
                    not_reference_for_upper: sid + 1 == layers.len(),
                    layer: (layers.len() > 1 || !self.flexible).then_some(Vp9LayerIndex {
                        tid: 0,
                        switching_up: false,
                        sid: sid as u8,
                        inter_layer: sid > 0,
                    }),
                    tl0_pic_idx: (!self.flexible).then_some(self.tl0_pic_idx),
                    p_diffs: if self.flexible && !key {
                        vec![1]
                    } else {
                        vec![]
                    },
                    scalability: (key && sid == 0 && start).then(|| self.scalability(layers)),
                    len: 0,
                };
                buf.clear();
                d.write(&mut buf);
                let room = self.max_payload.saturating_sub(buf.len()).max(1);
                let take = room.min(data.len() - at);
                at += take;
                if at == data.len() {
                    buf[0] |= 0x04; // E
                }
                buf.extend_from_slice(&data[at - take..at]);
                emit(&buf, at == data.len() && sid + 1 == layers.len());
                if at == data.len() {
                    break;
                }
            }
        }
        let mask = if self.short_picture_id { 0x7F } else { 0x7FFF };
        self.picture_id = (self.picture_id + 1) & mask;
        self.tl0_pic_idx = self.tl0_pic_idx.wrapping_add(1);
    }

    fn scalability(&self, layers: &[&[u8]]) -> Vp9Scalability {
        Vp9Scalability {
            spatial_layers: if self.sizes.is_empty() {
                layers.len().max(1) as u8
            } else {
                self.sizes.len() as u8
            },
            sizes: self.sizes.clone(),
            group: if self.flexible {
                Vec::new()
            } else {
                vec![Vp9GroupPicture {
                    tid: 0,
                    switching_up: false,
                    p_diffs: vec![1],
                }]
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use mjrtool_test_support::fixtures::{self, ivf_fixture};
    use proptest::prelude::*;

    /// Finishes `frame` as a picture of one layer frame, cut at `cuts`: with its trailer a part
    /// of its own, as `depacketize` pushes it (kept in pieces), or with the trailer joined to the
    /// frame's last bytes (walked by its trailers).
    fn finish(
        rules: &mut Vp9Payload,
        frame: &[u8],
        cuts: &[usize],
        in_pieces: bool,
        inter_picture: bool,
    ) -> Result<(Bytes, FrameFacts), PayloadError> {
        let trailer = Vp9Payload::trailer(OpenLayer {
            sid: 0,
            inter_picture,
            bytes: frame.len(),
        });
        let mut parts = fixtures::in_pieces(frame, cuts);
        if in_pieces {
            parts.push(trailer);
        } else {
            let mut joined = parts.concat();
            joined.extend_from_slice(&trailer);
            parts = vec![Bytes::from(joined)];
        }
        let mut block = BytesMut::new();
        let done = rules.complete(FrameParts::new(&parts, &mut block));
        if in_pieces && frame.last().is_some_and(|&b| b & 0xE0 != 0xC0) {
            // Kept in pieces: never copied together when its parts lie in one buffer.
            if let Ok((data, _)) = &done {
                assert_eq!(data.parts().len(), parts.len() - 1);
            }
        }
        done.map(|(data, facts)| (data.to_bytes(), facts))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A picture of one layer frame finishes alike whether it is kept in pieces or walked
        /// by its trailers: the same bytes, keyframe flag and size, the same errors, and the
        /// same reference slots for the pictures after it (the fixture's pictures in order,
        /// some with bits flipped).
        #[test]
        fn a_one_layer_picture_finishes_alike_in_pieces_or_joined(
            flips in prop::collection::vec((any::<usize>(), 0u8..8), 0..3),
            cuts in prop::collection::vec(any::<usize>(), 1..5),
            every in 1usize..5,
        ) {
            let frames = ivf_fixture("vp9-160x120.ivf");
            let (mut kept, mut walked) = (Vp9Payload::new(), Vp9Payload::new());
            for (i, f) in frames.iter().enumerate() {
                let mut f = f.clone();
                if i % every == 0 && !f.is_empty() {
                    for (at, bit) in &flips {
                        let n = f.len();
                        f[at % n] ^= 1 << bit;
                    }
                }
                let inter = i % 7 != 0;
                prop_assert_eq!(
                    finish(&mut kept, &f, &cuts, true, inter),
                    finish(&mut walked, &f, &cuts, false, inter),
                    "picture {}", i
                );
            }
        }
    }
}
