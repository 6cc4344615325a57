//! NAL unit helpers shared by H.264 and H.265: Annex B splitting, emulation-prevention removal
//! (the RBSP that [`crate::bits::BitReader`] reads), bounded parameter-set tables, and the pieces the depacketizers push
//! for the frame assembly and how [`pieces_to_avcc`] turns them into length-prefixed NAL units.
//!
//! # Pieces between `depacketize` and `complete`
//!
//! A NAL unit that arrives whole (single NAL packet, STAP-A, AP) has a known length, but one
//! that arrives in fragments (FU-A, FU) only has it at its last fragment, after its first piece
//! went to the assembly. So each piece is pushed behind a 4-byte big-endian word:
//!
//! ```text
//!  bits 31-30 | bits 29-0
//!  00         | length of the whole NAL unit that follows   (already the AVCC form)
//!  10         | length of the first piece of a fragmented NAL unit (its header, rebuilt, and data)
//!  11         | length of a further piece of the same fragmented NAL unit
//! ```
//!
//! A frame of whole NAL units only is therefore already in AVCC form (ISO/IEC 14496-15
//! section 5.3.2: 4-byte lengths) and [`pieces_to_avcc`] only joins its parts, as for any codec;
//! a frame with fragments is written from its parts into AVCC in one copy, into a buffer of the
//! exact size.

use bytes::{BufMut, Bytes, BytesMut};
use mjrtool_core::{FrameParts, PayloadError};

use crate::assemble::PartsCursor;

/// Largest parameter set kept (bytes): real ones are tens of bytes, a few hundred with scaling
/// lists and VUI.
pub(crate) const MAX_PARAM_SET: usize = 4096;

/// Bytes of a NAL unit read for a slice header or parameter set (after emulation prevention is
/// removed, at most this many are looked at).
const MAX_RBSP: usize = MAX_PARAM_SET;

const KIND_MASK: u32 = 0xC000_0000;
const KIND_WHOLE: u32 = 0;
const KIND_FU_START: u32 = 0x8000_0000;
const KIND_FU_MORE: u32 = 0xC000_0000;
/// Largest piece length the 30 bits hold (RTP payloads are far smaller).
const MAX_PIECE: usize = 0x3FFF_FFFF;
/// Headers are carved out of blocks of this size, so pushing one does not allocate.
const HEADER_BLOCK: usize = 4096;

/// The NAL units of an Annex B byte stream (ITU-T H.264 Annex B, H.265 Annex B): what lies
/// between start codes (`00 00 01`, with any leading zero bytes), trailing zero bytes removed.
/// Bytes before the first start code are skipped.
pub fn annexb_nals(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = match find_start_code(data) {
        Some((_, end)) => &data[end..],
        None => &data[data.len()..],
    };
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let (nal, next) = match find_start_code(rest) {
            Some((at, end)) => (&rest[..at], &rest[end..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let trimmed = match nal.iter().rposition(|&b| b != 0) {
            Some(last) => &nal[..=last],
            None => &nal[..0],
        };
        if !trimmed.is_empty() {
            return Some(trimmed);
        }
    })
}

/// Where the first `00 00 01` starts and where it ends.
fn find_start_code(data: &[u8]) -> Option<(usize, usize)> {
    let at = data.windows(3).position(|w| w == [0, 0, 1])?;
    Some((at, at + 3))
}

/// The RBSP of (at most the first [`MAX_RBSP`] bytes of) `payload`, the bytes after a NAL unit
/// header: every emulation prevention byte (the `03` of `00 00 03`, H.264 section 7.4.1,
/// H.265 section 7.4.2) removed.
pub(crate) fn rbsp(payload: &[u8]) -> Vec<u8> {
    let payload = &payload[..payload.len().min(MAX_RBSP)];
    let mut out = Vec::with_capacity(payload.len());
    let mut zeros = 0;
    for &b in payload {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Parameter sets by id (`0..ids`), the latest of each; a set is copied out of its frame only
/// when it differs from the one kept, so a table holds at most `ids` sets of at most
/// [`MAX_PARAM_SET`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamTable {
    slots: Vec<Option<Bytes>>,
}

impl ParamTable {
    pub fn new(ids: usize) -> Self {
        ParamTable {
            slots: vec![None; ids],
        }
    }

    /// Keeps `nal` as set `id`; ignored if the id is out of range or the set too large.
    pub fn set(&mut self, id: u32, nal: &[u8]) {
        if nal.len() > MAX_PARAM_SET {
            return;
        }
        if let Some(slot) = self.slots.get_mut(id as usize) {
            if slot.as_deref() != Some(nal) {
                *slot = Some(Bytes::copy_from_slice(nal));
            }
        }
    }

    pub fn get(&self, id: u32) -> Option<&Bytes> {
        self.slots.get(id as usize)?.as_ref()
    }
}

/// The NAL units of a frame without a picture (parameter sets, SEI, delimiters), held for the
/// next frame: a sender may give its parameter sets a timestamp of their own, before the
/// picture's, and a picture's first slice starts a frame of its own (see the depacketizers),
/// so what came before it in its access unit arrives as a frame apart. Both go back in front
/// of the next picture, in-band where they were sent. At most [`Carry::MAX`] bytes are held
/// (more: only the latest).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Carry {
    held: Vec<u8>,
}

impl Carry {
    /// Bytes held at most.
    pub const MAX: usize = 64 << 10;

    /// Holds a length-prefixed frame without a picture.
    pub fn hold(&mut self, frame: &[u8]) {
        if self.held.len() + frame.len() > Self::MAX {
            self.held.clear();
        }
        if frame.len() <= Self::MAX {
            self.held.extend_from_slice(frame);
        }
    }

    /// Lets go of what is held.
    pub fn clear(&mut self) {
        self.held.clear();
    }

    /// `frame` with what is held in front of it (one copy, only when something is held).
    pub fn prepend(&mut self, frame: Bytes) -> Bytes {
        if self.held.is_empty() {
            return frame;
        }
        let mut out = BytesMut::with_capacity(self.held.len() + frame.len());
        out.extend_from_slice(&self.held);
        out.extend_from_slice(&frame);
        self.held.clear();
        out.freeze()
    }
}

/// Writes the piece headers (see the [module docs](self)) and remembers the open fragmented
/// NAL unit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Pieces {
    headers: BytesMut,
    /// The type of the NAL unit whose fragments are coming, if one is open.
    pub open_fu: Option<u8>,
}

impl Pieces {
    /// The header word, then `extra` (a rebuilt NAL unit header), carved out of the block.
    fn header(&mut self, word: u32, extra: &[u8]) -> Bytes {
        if self.headers.capacity() < 4 + extra.len() {
            self.headers = BytesMut::with_capacity(HEADER_BLOCK);
        }
        self.headers.put_u32(word);
        self.headers.extend_from_slice(extra);
        self.headers.split().freeze()
    }

    /// A whole NAL unit (not empty, at most [`MAX_PIECE`] bytes: an RTP payload is smaller).
    pub fn whole(&mut self, out: &mut Vec<Bytes>, nal: Bytes) {
        self.open_fu = None;
        out.push(self.header(KIND_WHOLE | nal.len().min(MAX_PIECE) as u32, &[]));
        out.push(nal);
    }

    /// The first fragment of a NAL unit of type `nal_type`: its rebuilt header and data; `end`
    /// (a start that is also the last fragment) leaves nothing open.
    pub fn fu_start(
        &mut self,
        out: &mut Vec<Bytes>,
        nal_type: u8,
        header: &[u8],
        data: Bytes,
        end: bool,
    ) {
        self.open_fu = (!end).then_some(nal_type);
        let len = (header.len() + data.len()).min(MAX_PIECE) as u32;
        out.push(self.header(KIND_FU_START | len, header));
        out.push(data);
    }

    /// A further fragment of the open NAL unit; `end` closes it.
    pub fn fu_more(&mut self, out: &mut Vec<Bytes>, data: Bytes, end: bool) {
        out.push(self.header(KIND_FU_MORE | data.len().min(MAX_PIECE) as u32, &[]));
        out.push(data);
        if end {
            self.open_fu = None;
        }
    }
}

/// Turns the pieces of one frame (see the [module docs](self)) into AVCC: NAL units each behind
/// its 4-byte big-endian length, copied once. A frame of whole NAL units is already AVCC and is
/// only joined ([`FrameParts::join`]); a frame with fragments is walked twice: once over the
/// piece header words, for each NAL unit's length and the total, then once to write it all into
/// a buffer of the exact size carved out of the frame assembly's block.
///
/// # Errors
///
/// The pieces do not follow one another as [`Pieces`] writes them: a length past the end, a
/// continuation with no first fragment before it, an empty frame. Offsets count from the start
/// of the parts joined.
pub(crate) fn pieces_to_avcc(
    codec: &'static str,
    frame: &mut FrameParts<'_>,
) -> Result<Bytes, PayloadError> {
    let (parts, total) = (frame.parts(), frame.len());
    let mut size = Sizes::default();
    // The pieces as the depacketizers push them each start a part: walked part by part. Parts
    // cut anywhere else are walked byte position by byte position.
    let aligned = each_aligned(parts, |pos, word, _, _| size.add(codec, pos, word))?;
    if !aligned {
        size = Sizes::default();
        let mut at = PartsCursor::new(parts);
        let mut pos = 0;
        while pos < total {
            let (word, body) = next_piece(codec, &mut at, total, pos)?;
            size.add(codec, pos, word)?;
            at.skip(body);
            pos += 4 + body;
        }
    }
    if total == 0 {
        return Err(PayloadError {
            codec,
            expected: "at least one NAL unit",
            found: "an empty frame".into(),
            offset: 0,
        });
    }
    if !size.fragmented {
        return Ok(frame.join());
    }
    let mut out = frame.buffer(size.out_len);
    let mut len_at = 0;
    let mut write = |word: u32, body: &mut dyn FnMut(&mut BytesMut)| {
        if word & KIND_MASK == KIND_FU_MORE {
            body(&mut out);
            let nal_len = (out.len() - len_at - 4) as u32;
            out[len_at..len_at + 4].copy_from_slice(&nal_len.to_be_bytes());
        } else {
            len_at = out.len();
            out.put_u32(word & !KIND_MASK);
            body(&mut out);
        }
    };
    if aligned {
        each_aligned(parts, |_, word, a, b| {
            write(word, &mut |out| {
                out.extend_from_slice(a);
                out.extend_from_slice(b);
            });
            Ok(())
        })?;
    } else {
        let mut at = PartsCursor::new(parts);
        let mut pos = 0;
        while pos < total {
            let (word, body) = next_piece(codec, &mut at, total, pos)?;
            write(word, &mut |out| at.copy_to(body, out));
            pos += 4 + body;
        }
    }
    Ok(out.freeze())
}

/// What the first walk over a frame's pieces finds: the AVCC size, and whether any NAL unit
/// is fragmented.
#[derive(Debug, Default)]
struct Sizes {
    out_len: usize,
    fragmented: bool,
    in_fu: bool,
}

impl Sizes {
    /// Counts the piece of header `word` at `pos`.
    fn add(&mut self, codec: &'static str, pos: usize, word: u32) -> Result<(), PayloadError> {
        let body = (word & !KIND_MASK) as usize;
        match word & KIND_MASK {
            KIND_WHOLE => {
                self.in_fu = false;
                self.out_len += 4 + body;
            }
            KIND_FU_START => {
                self.in_fu = true;
                self.fragmented = true;
                self.out_len += 4 + body;
            }
            KIND_FU_MORE if self.in_fu => self.out_len += body,
            _ => {
                return Err(PayloadError {
                    codec,
                    expected: "a NAL unit or the first fragment of one",
                    found: "a fragment with no first fragment before it".into(),
                    offset: pos,
                })
            }
        }
        Ok(())
    }
}

/// Hands `each` every piece (its position, header word and body, in two slices) as long as each
/// piece is one part (header word and body) or two (header word, then body), as
/// [`Pieces`] pushes them; false as soon as one is not (then some pieces may have been handed
/// out: walk again otherwise).
fn each_aligned(
    parts: &[Bytes],
    mut each: impl FnMut(usize, u32, &[u8], &[u8]) -> Result<(), PayloadError>,
) -> Result<bool, PayloadError> {
    let (mut i, mut pos) = (0, 0);
    while let Some(head) = parts.get(i) {
        let Some(word) = head.first_chunk::<4>().map(|w| u32::from_be_bytes(*w)) else {
            return Ok(false);
        };
        let (body, rest) = ((word & !KIND_MASK) as usize, &head[4..]);
        let next = parts.get(i + 1).map_or(&[][..], |b| &b[..]);
        let (data, used): (&[u8], _) = if body == rest.len() {
            (&[], 1)
        } else if body == rest.len() + next.len() && i + 1 < parts.len() {
            (next, 2)
        } else {
            return Ok(false);
        };
        each(pos, word, rest, data)?;
        pos += 4 + body;
        i += used;
    }
    Ok(true)
}

/// The header word at `pos` (where `at` is) and the length of the body after it, checked
/// against the frame's `total` length.
fn next_piece(
    codec: &'static str,
    at: &mut PartsCursor<'_>,
    total: usize,
    pos: usize,
) -> Result<(u32, usize), PayloadError> {
    let word = (total - pos >= 4)
        .then(|| at.array().map(u32::from_be_bytes))
        .flatten()
        .ok_or_else(|| truncated(codec, total, pos + 4))?;
    let body = (word & !KIND_MASK) as usize;
    if total - pos - 4 < body {
        return Err(truncated(codec, total, pos + 4 + body));
    }
    Ok((word, body))
}

/// The old two-copy completion, kept as the oracle of [`pieces_to_avcc`]: the frame joined
/// first, then rewritten.
#[cfg(test)]
pub(crate) fn records_to_avcc(codec: &'static str, frame: Bytes) -> Result<Bytes, PayloadError> {
    let mut pos = 0;
    let mut out_len = 0usize;
    let mut fragmented = false;
    let mut in_fu = false;
    while pos < frame.len() {
        let (word, body) = piece(codec, &frame, pos)?;
        match word & KIND_MASK {
            KIND_WHOLE => {
                in_fu = false;
                out_len += 4 + body;
            }
            KIND_FU_START => {
                in_fu = true;
                fragmented = true;
                out_len += 4 + body;
            }
            KIND_FU_MORE if in_fu => out_len += body,
            _ => {
                return Err(PayloadError {
                    codec,
                    expected: "a NAL unit or the first fragment of one",
                    found: "a fragment with no first fragment before it".into(),
                    offset: pos,
                })
            }
        }
        pos += 4 + body;
    }
    if frame.is_empty() {
        return Err(PayloadError {
            codec,
            expected: "at least one NAL unit",
            found: "an empty frame".into(),
            offset: 0,
        });
    }
    if !fragmented {
        return Ok(frame);
    }
    let mut out = BytesMut::with_capacity(out_len);
    let mut len_at = 0;
    pos = 0;
    while pos < frame.len() {
        let (word, body) = piece(codec, &frame, pos)?;
        let data = &frame[pos + 4..pos + 4 + body];
        if word & KIND_MASK == KIND_FU_MORE {
            out.extend_from_slice(data);
            let nal_len = (out.len() - len_at - 4) as u32;
            out[len_at..len_at + 4].copy_from_slice(&nal_len.to_be_bytes());
        } else {
            len_at = out.len();
            out.put_u32(body as u32);
            out.extend_from_slice(data);
        }
        pos += 4 + body;
    }
    Ok(out.freeze())
}

/// The header word at `pos` and the length of the body after it, checked against the frame.
#[cfg(test)]
fn piece(codec: &'static str, frame: &[u8], pos: usize) -> Result<(u32, usize), PayloadError> {
    let word = frame
        .get(pos..pos + 4)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        .ok_or_else(|| truncated(codec, frame.len(), pos + 4))?;
    let body = (word & !KIND_MASK) as usize;
    if frame.len() - pos - 4 < body {
        return Err(truncated(codec, frame.len(), pos + 4 + body));
    }
    Ok((word, body))
}

fn truncated(codec: &'static str, len: usize, needed: usize) -> PayloadError {
    PayloadError {
        codec,
        expected: "a whole NAL unit",
        found: format!("the frame ends after {len} of {needed} bytes"),
        offset: len,
    }
}

/// The NAL units of an AVCC frame (4-byte big-endian lengths), up to the first length that
/// does not fit.
pub(crate) fn avcc_nals(frame: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = frame;
    std::iter::from_fn(move || {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let nal = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some(nal)
    })
}

/// What the H.264 and H.265 packetizers differ in: the NAL unit header's length and how the
/// aggregation and fragmentation headers are made from it.
pub(crate) trait NalFormat {
    /// Bytes of a NAL unit header (1 for H.264, 2 for H.265).
    const HEADER_LEN: usize;
    /// Appends the header of an aggregation packet of `nals` (STAP-A, AP).
    fn aggregation_header(nals: &[&[u8]], out: &mut Vec<u8>);
    /// Appends the headers of a fragment of `nal` (FU-A, FU), `start`/`end` for the first/last.
    fn fragment_header(nal: &[u8], start: bool, end: bool, out: &mut Vec<u8>);
}

/// Packetizes one access unit (`nals`, in decoding order) for payloads of at most `max`
/// bytes: consecutive NAL units that fit together go in one aggregation packet, a NAL unit that
/// fits alone in a single NAL unit packet, a larger one in fragments. The marker is on the last
/// packet. Empty NAL units and ones shorter than their header are left out.
pub(crate) fn packetize_nals<F: NalFormat>(
    max: usize,
    nals: &[&[u8]],
    buf: &mut Vec<u8>,
    emit: &mut impl FnMut(&[u8], bool),
) {
    let nals: Vec<&[u8]> = nals
        .iter()
        .copied()
        .filter(|n| n.len() >= F::HEADER_LEN)
        .collect();
    let max = max.max(F::HEADER_LEN + 2);
    let mut i = 0;
    while i < nals.len() {
        let mut j = i;
        let mut size = F::HEADER_LEN;
        while j < nals.len() && nals[j].len() <= 0xFFFF && size + 2 + nals[j].len() <= max {
            size += 2 + nals[j].len();
            j += 1;
        }
        buf.clear();
        if j - i >= 2 {
            F::aggregation_header(&nals[i..j], buf);
            for nal in &nals[i..j] {
                buf.extend_from_slice(&(nal.len() as u16).to_be_bytes());
                buf.extend_from_slice(nal);
            }
            i = j;
            emit(buf, i == nals.len());
        } else if nals[i].len() <= max {
            i += 1;
            emit(nals[i - 1], i == nals.len());
        } else {
            let nal = nals[i];
            i += 1;
            let last_nal = i == nals.len();
            let mut start = true;
            F::fragment_header(nal, true, false, buf);
            let room = max.saturating_sub(buf.len()).max(1);
            let mut chunks = nal[F::HEADER_LEN..].chunks(room).peekable();
            while let Some(chunk) = chunks.next() {
                let end = chunks.peek().is_none();
                buf.clear();
                F::fragment_header(nal, start, end, buf);
                buf.extend_from_slice(chunk);
                emit(buf, end && last_nal);
                start = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{H264Packetizer, H264Payload, H265Packetizer, H265Payload};
    use mjrtool_core::Depacketizer;
    use proptest::prelude::*;

    /// One piece as a depacketizer pushes it.
    #[derive(Debug, Clone)]
    enum Op {
        Whole(Vec<u8>),
        Start(Vec<u8>, Vec<u8>, bool),
        More(Vec<u8>, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        let data = || proptest::collection::vec(any::<u8>(), 0..24);
        prop_oneof![
            data().prop_map(Op::Whole),
            (
                proptest::collection::vec(any::<u8>(), 1..3),
                data(),
                any::<bool>()
            )
                .prop_map(|(h, d, end)| Op::Start(h, d, end)),
            (data(), any::<bool>()).prop_map(|(d, end)| Op::More(d, end)),
        ]
    }

    /// The parts of a frame made of `ops`, empty ones left out as the frame assembly does.
    fn parts_of(ops: &[Op]) -> Vec<Bytes> {
        let (mut p, mut out) = (Pieces::default(), Vec::new());
        for op in ops {
            match op.clone() {
                Op::Whole(d) => p.whole(&mut out, d.into()),
                Op::Start(h, d, end) => p.fu_start(&mut out, 1, &h, d.into(), end),
                Op::More(d, end) => p.fu_more(&mut out, d.into(), end),
            }
        }
        out.retain(|b| !b.is_empty());
        out
    }

    /// `bytes` cut at `cuts` (offsets modulo its length).
    fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Bytes> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        at.extend([0, bytes.len()]);
        at.sort_unstable();
        at.windows(2)
            .map(|w| Bytes::copy_from_slice(&bytes[w[0]..w[1]]))
            .collect()
    }

    fn one_copy(
        codec: &'static str,
        parts: &[Bytes],
        block: &mut BytesMut,
    ) -> Result<Bytes, PayloadError> {
        pieces_to_avcc(codec, &mut FrameParts::new(parts, block))
    }

    proptest! {
        #[test]
        fn one_copy_avcc_equals_joining_then_rewriting_for_any_pieces_however_cut(
            ops in proptest::collection::vec(op(), 0..12),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            garbage in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut block = BytesMut::new();
            let parts = parts_of(&ops);
            let joined = Bytes::from(parts.concat());
            for codec in ["H.264", "H.265"] {
                let want = records_to_avcc(codec, joined.clone());
                prop_assert_eq!(one_copy(codec, &parts, &mut block), want.clone());
                prop_assert_eq!(one_copy(codec, &cut(&joined, &cuts), &mut block), want);
                let want = records_to_avcc(codec, Bytes::from(garbage.clone()));
                prop_assert_eq!(one_copy(codec, &cut(&garbage, &cuts), &mut block), want);
            }
        }

        #[test]
        fn h264_and_h265_complete_from_parts_as_from_the_joined_frame(
            nals in proptest::collection::vec(
                (0..6usize, proptest::collection::vec(any::<u8>(), 1..200)), 1..6),
            max in 8..300usize,
        ) {
            let nals_spec = nals;
            for h265 in [false, true] {
                let (codec, types): (_, [u8; 6]) = match h265 {
                    false => ("H.264", [0x41, 0x06, 0x65, 0x67, 0x68, 0x01]),
                    true => ("H.265", [2, 38, 78, 64, 66, 68]),
                };
                let nals: Vec<Vec<u8>> = nals_spec
                    .iter()
                    .map(|(t, body)| [&[types[*t]][..], &[1][..h265 as usize], body].concat())
                    .collect();
                let refs: Vec<&[u8]> = nals.iter().map(Vec::as_slice).collect();
                let mut payloads = Vec::new();
                let mut emit = |p: &[u8], _| payloads.push(Bytes::copy_from_slice(p));
                match h265 {
                    false => H264Packetizer::new(max).packetize_nals(&refs, &mut emit),
                    true => H265Packetizer::new(max).packetize_nals(&refs, &mut emit),
                }
                let (mut a, mut b) = (H264Payload::new(), H265Payload::new());
                let mut parts = Vec::new();
                for p in &payloads {
                    match h265 {
                        false => a.depacketize(p, &mut parts).unwrap(),
                        true => b.depacketize(p, &mut parts).unwrap(),
                    };
                }
                parts.retain(|b| !b.is_empty());
                // A frame without a slice is kept for the next one (`Carry`): nothing now.
                let slices: &[usize] = if h265 { &[0, 1] } else { &[0, 2, 5] };
                let pictured = nals_spec.iter().any(|(t, _)| slices.contains(t));
                let want = match pictured {
                    true => records_to_avcc(codec, Bytes::from(parts.concat())).unwrap(),
                    false => Bytes::new(),
                };
                let mut block = BytesMut::new();
                let frame = FrameParts::new(&parts, &mut block);
                let (got, _) = match h265 {
                    false => a.complete(frame).unwrap(),
                    true => b.complete(frame).unwrap(),
                };
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn fragments_are_written_into_the_block_and_whole_nal_units_of_one_part_are_not_copied() {
        let mut p = Pieces::default();
        let mut out = Vec::new();
        p.fu_start(&mut out, 5, &[0x65], Bytes::from_static(&[1, 2]), false);
        p.fu_more(&mut out, Bytes::from_static(&[3]), true);
        let mut block = BytesMut::with_capacity(1024);
        let at = block.as_ptr();
        let avcc = one_copy("H.264", &out, &mut block).unwrap();
        assert_eq!(&avcc[..], &[0, 0, 0, 4, 0x65, 1, 2, 3]);
        assert_eq!(avcc.as_ptr(), at);
        // The rest of the block is kept for the next frame.
        assert_eq!(block.capacity(), 1024 - avcc.len());
        let whole = Bytes::from_static(&[0, 0, 0, 2, 0x41, 9]);
        let same = one_copy("H.264", std::slice::from_ref(&whole), &mut block).unwrap();
        assert_eq!(same.as_ptr(), whole.as_ptr());
    }

    #[test]
    fn annexb_splits_on_three_and_four_byte_start_codes_and_drops_trailing_zeros() {
        let s = [
            9, 9, 0, 0, 0, 1, 0x67, 1, 0, 0, 0, 0, 1, 0x68, 2, 0, 0, 1, 0x65, 0, 3,
        ];
        let nals: Vec<&[u8]> = annexb_nals(&s).collect();
        assert_eq!(nals, [&[0x67, 1][..], &[0x68, 2], &[0x65, 0, 3]]);
        assert_eq!(annexb_nals(&[0, 0, 1]).count(), 0);
    }

    #[test]
    fn emulation_prevention_bytes_are_removed() {
        assert_eq!(rbsp(&[0, 0, 3, 1, 0, 0, 3, 0, 3]), [0, 0, 1, 0, 0, 0, 3]);
    }

    #[test]
    fn whole_nal_pieces_are_already_avcc_and_fragments_are_joined() {
        let mut p = Pieces::default();
        let mut out = Vec::new();
        p.whole(&mut out, Bytes::from_static(&[0x67, 1, 2]));
        let joined: Vec<u8> = out.concat();
        let same = records_to_avcc("H.264", Bytes::from(joined.clone())).unwrap();
        assert_eq!(&same[..], &joined[..]);
        p.fu_start(&mut out, 5, &[0x65], Bytes::from_static(&[1, 2]), false);
        p.fu_more(&mut out, Bytes::from_static(&[3]), false);
        p.fu_more(&mut out, Bytes::from_static(&[4, 5]), true);
        let avcc = records_to_avcc("H.264", Bytes::from(out.concat())).unwrap();
        assert_eq!(
            &avcc[..],
            &[0, 0, 0, 3, 0x67, 1, 2, 0, 0, 0, 6, 0x65, 1, 2, 3, 4, 5]
        );
        let nals: Vec<&[u8]> = avcc_nals(&avcc).collect();
        assert_eq!(nals.len(), 2);
        let mut lone = Vec::new();
        p.fu_more(&mut lone, Bytes::from_static(&[3]), false);
        assert!(records_to_avcc("H.264", Bytes::from(lone.concat())).is_err());
        assert!(records_to_avcc("H.264", Bytes::new()).is_err());
        assert!(records_to_avcc("H.264", Bytes::from_static(&[0, 0, 0, 9, 1])).is_err());
    }
}
