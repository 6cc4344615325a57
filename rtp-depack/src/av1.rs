//! AV1 over RTP (AOM "RTP Payload Format For AV1", v1.0): the aggregation header and OBU
//! elements, the payload rules for the shared frame assembly ([`Av1Payload`]), and a
//! packetizer ([`Av1Packetizer`]).
//!
//! # Temporal units
//!
//! A frame here is a temporal unit (TU): the packets of one RTP timestamp, the last with the
//! marker (section 4.1). Packets carry OBU elements, which may be fragmented across packets: Z
//! says the first element continues one from the previous packet, Y that the last continues
//! in the next. The format has no bit for the first packet of a TU, so the rules tell it from
//! what it carries: a packet that does not begin inside an element (Z = 0) starts a TU when it
//! has N set, or when its first OBU is a temporal delimiter, a sequence header or metadata
//! after a shown frame, or a frame (header) of a spatial layer that already had its shown frame
//! in this TU (AV1 spec section 7.5: one shown frame per spatial layer and TU). Whether a
//! frame is shown is in the first byte of its header, which a sender may put in a later packet
//! than the OBU header (the format lets it cut an OBU element anywhere): the first bytes of a
//! fragmented OBU are gathered across the packets that continue it until they can be read.
//!
//! # Output
//!
//! [`complete`](mjrtool_core::Depacketizer::complete) reassembles the elements and writes each
//! OBU in the low-overhead bitstream format (AV1 spec section 5.2) that ISO BMFF and Matroska
//! store: obu_has_size_field = 1 with a leb128 obu_size; temporal delimiters, tile lists and
//! padding OBUs are dropped. `depacketize` hands it each packet's payload behind a 4-byte
//! little-endian length of its own making, so that `complete` finds the packets again.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};
use mjrtool_core::{
    Codec, Depacketizer as PayloadRules, FrameData, FrameFacts, FrameParts, PacketRole,
    PayloadError,
};

use crate::assemble::PartsCursor;
use crate::av1_obu::{
    av1_codec_configuration_record, av1_error, frame_header_start, obu_type, Av1SequenceHeader,
    ObuHeader,
};
use crate::bits::{leb128, leb128_len, write_leb128};

/// The aggregation header (section 4.4) and where the packet's OBU elements lie.
///
/// ```text
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// |Z|Y| W |N|-|-|-|
/// +-+-+-+-+-+-+-+-+
/// W = 1..3: W elements, each but the last preceded by its leb128 length;
/// W = 0: any number of elements, each preceded by its leb128 length.
/// ```
struct Aggregation {
    z: bool,
    y: bool,
    n: bool,
    /// Byte ranges of the elements in the payload.
    elements: Vec<std::ops::Range<usize>>,
}

impl Aggregation {
    fn parse(p: &[u8]) -> Result<Aggregation, PayloadError> {
        let &h = p
            .first()
            .ok_or_else(|| av1_error("an aggregation header", "an empty payload".into(), 0))?;
        let w = usize::from((h >> 4) & 3);
        let mut agg = Aggregation {
            z: h & 0x80 != 0,
            y: h & 0x40 != 0,
            n: h & 0x08 != 0,
            elements: Vec::new(),
        };
        let mut at = 1;
        while at < p.len() && (w == 0 || agg.elements.len() < w) {
            let len = if w != 0 && agg.elements.len() + 1 == w {
                p.len() - at
            } else {
                let (len, n) = leb128(&p[at..]).ok_or_else(|| {
                    av1_error("an OBU element's leb128 length", "none".into(), at)
                })?;
                at += n;
                len as usize
            };
            if p.len() - at < len {
                return Err(av1_error(
                    "an OBU element inside the payload",
                    format!("{len} bytes with {} left", p.len() - at),
                    at,
                ));
            }
            agg.elements.push(at..at + len);
            at += len;
        }
        if w != 0 && agg.elements.len() != w {
            return Err(av1_error(
                "as many OBU elements as W says",
                format!("{} of {w}", agg.elements.len()),
                p.len(),
            ));
        }
        Ok(agg)
    }
}

/// The most of an OBU's first bytes kept across packets to read what [`Av1Payload::note`]
/// needs: OBU header, extension, a leb128 obu_size of up to 8 bytes, and the frame header's
/// first byte (show_existing_frame, frame_type, show_frame: AV1 spec section 5.9.2).
const HEAD_MAX: usize = 16;

/// What the TU in progress has shown so far (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TuState {
    any: bool,
    frames: bool,
    /// Bit `s` set: spatial layer `s` had its shown frame.
    shown_layers: u8,
}

/// The AV1 payload format, for the shared frame assembly: each TU becomes one frame in the
/// low-overhead format (see the `av1` module docs in the source).
///
/// A TU is a keyframe when it has a sequence header and its first frame is a shown KEY_FRAME;
/// keyframes carry the `av1C` record ([`av1_codec_configuration_record`]) and the sequence
/// header's maximum frame size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Av1Payload {
    tu: TuState,
    /// reduced_still_picture_header of the last sequence header seen.
    reduced_still: bool,
    /// The first bytes of an OBU fragmented (Y) before [`note`](Self::note) could read it:
    /// the format lets a sender cut an OBU element anywhere, even right after its OBU header,
    /// so the next packets' continuations (Z) are added until it can. `len` bytes of `bytes`.
    head: Option<([u8; HEAD_MAX], usize)>,
}

impl Av1Payload {
    /// The rules, before any sequence header.
    pub fn new() -> Self {
        Av1Payload::default()
    }

    /// Whether an OBU element that starts a packet starts a new TU.
    fn starts_tu(&self, header: &ObuHeader) -> bool {
        let tu = self.tu;
        match header.obu_type {
            obu_type::TEMPORAL_DELIMITER => true,
            obu_type::SEQUENCE_HEADER => tu.frames || !tu.any,
            5 => tu.shown_layers != 0 || !tu.any,
            obu_type::FRAME | obu_type::FRAME_HEADER => {
                tu.shown_layers >> header.spatial_id() != 0 || !tu.any
            }
            _ => false,
        }
    }

    /// Notes an OBU from its first bytes (all of it, or its first fragments); false if they
    /// are too few to read what the TU rules need. Noting more of the same OBU again is
    /// harmless.
    fn note(&mut self, element: &[u8]) -> bool {
        let Ok(h) = ObuHeader::parse(element) else {
            // Only a cut header can fail here (a forbidden bit set fails the frame later).
            return element.first().is_none_or(|b| b & 0x80 != 0);
        };
        let payload = element.get(h.len..).unwrap_or(&[]);
        self.tu.any = true;
        match h.obu_type {
            obu_type::SEQUENCE_HEADER => match payload.first() {
                Some(&b) => self.reduced_still = b & 0x08 != 0,
                None => return false,
            },
            obu_type::FRAME | obu_type::FRAME_HEADER => {
                self.tu.frames = true;
                match frame_header_start(payload, self.reduced_still) {
                    Some((true, _)) => self.tu.shown_layers |= 1 << h.spatial_id(),
                    Some((false, _)) => {}
                    None => return false,
                }
            }
            _ => {}
        }
        true
    }

    /// Notes the OBU elements of a packet that begin in it, and the continuation of an OBU
    /// whose first bytes were too few to read (see [`Av1Payload::head`]).
    fn note_packet(&mut self, payload: &[u8], agg: &Aggregation) {
        let count = agg.elements.len();
        let head = self.head.take();
        for (i, r) in agg.elements.iter().enumerate() {
            let element = &payload[r.clone()];
            let continues_next = i + 1 == count && agg.y;
            let (mut bytes, mut len) = match (i, agg.z, head) {
                (0, true, Some(head)) => head,
                (0, true, None) => continue,
                _ => ([0; HEAD_MAX], 0),
            };
            let add = element.len().min(HEAD_MAX - len);
            bytes[len..len + add].copy_from_slice(&element[..add]);
            len += add;
            let read = self.note(&bytes[..len]);
            if !read && continues_next && len < HEAD_MAX {
                self.head = Some((bytes, len));
            }
        }
    }
}

/// The facts a TU's OBUs give, gathered as they are written.
#[derive(Default)]
struct TuFacts {
    seq: Option<(Av1SequenceHeader, std::ops::Range<usize>)>,
    first_frame: Option<(bool, bool)>,
}

impl TuFacts {
    /// Notes the OBU written at `obu` in `out`, whose payload starts `header_len` bytes in. A
    /// key TU has its sequence header before its first frame (AV1 spec 7.5): a frame before
    /// any sequence header makes the TU no keyframe, whatever earlier TUs said.
    fn note(&mut self, h: &ObuHeader, out: &[u8], obu: std::ops::Range<usize>) {
        let payload = &out[obu.start + h.len..obu.end];
        match h.obu_type {
            obu_type::SEQUENCE_HEADER if self.seq.is_none() => {
                if let Ok(seq) = Av1SequenceHeader::parse(payload) {
                    self.seq = Some((seq, obu));
                }
            }
            obu_type::FRAME | obu_type::FRAME_HEADER if self.first_frame.is_none() => {
                self.first_frame = match &self.seq {
                    Some((seq, _)) => frame_header_start(payload, seq.reduced_still_picture_header),
                    None => Some((false, false)),
                };
            }
            _ => {}
        }
    }

    fn facts(&self, out: &[u8]) -> FrameFacts {
        match &self.seq {
            Some((seq, range)) if self.first_frame == Some((true, true)) => FrameFacts {
                keyframe: true,
                size: seq.max_size,
                config: Some(av1_codec_configuration_record(seq, &out[range.clone()])),
            },
            _ => FrameFacts::default(),
        }
    }
}

/// Writes one OBU element (an OBU with or without its size field), given in pieces (its
/// fragments), in the low-overhead format to `out`, unless it is a kind the output drops; notes
/// it in `facts`.
fn write_obu(
    pieces: &[&[u8]],
    out: &mut BytesMut,
    facts: &mut TuFacts,
) -> Result<(), PayloadError> {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    // The header (at most 2 bytes and an 8-byte obu_size) lies in the first bytes.
    let mut head = [0; 16];
    let mut cursor = PartsCursor::new(pieces);
    let head = &mut head[..total.min(16)];
    cursor.read(head);
    let h = ObuHeader::parse(head)?;
    let payload_len = total - h.len;
    match h.size {
        Some(size) if size as usize != payload_len => {
            return Err(av1_error(
                "an obu_size equal to the OBU element's length",
                format!("obu_size {size} for {payload_len} bytes"),
                0,
            ))
        }
        _ => {}
    }
    if matches!(
        h.obu_type,
        obu_type::TEMPORAL_DELIMITER | obu_type::TILE_LIST | obu_type::PADDING
    ) {
        return Ok(());
    }
    let start = out.len();
    out.put_u8(head[0] | 0x02);
    out.extend(h.extension);
    put_leb128(payload_len, out);
    let written = ObuHeader {
        size: Some(payload_len as u32),
        len: out.len() - start,
        ..h
    };
    let mut cursor = PartsCursor::new(pieces);
    cursor.skip(h.len);
    cursor.copy_to(payload_len, out);
    facts.note(&written, out, start..out.len());
    Ok(())
}

/// Appends `value` as leb128 (AV1 spec section 4.10.5), in as few bytes as it takes.
fn put_leb128(mut value: usize, out: &mut BytesMut) {
    while value >= 0x80 {
        out.put_u8((value & 0x7F) as u8 | 0x80);
        value >>= 7;
    }
    out.put_u8(value as u8);
}

impl PayloadRules for Av1Payload {
    fn codec(&self) -> Codec {
        Codec::Av1
    }

    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        let agg = Aggregation::parse(payload)?;
        let first = (!agg.z)
            .then(|| agg.elements.first())
            .flatten()
            .and_then(|r| ObuHeader::parse(&payload[r.clone()]).ok());
        let starts = !agg.z && (agg.n || first.is_some_and(|h| self.starts_tu(&h)));
        if starts {
            self.tu = TuState::default();
        }
        self.note_packet(payload, &agg);
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        out.push(Bytes::copy_from_slice(&len.to_le_bytes()));
        out.push(payload.clone());
        Ok(PacketRole {
            starts_frame: starts,
        })
    }

    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError> {
        let mut facts = TuFacts::default();
        let mut at = 0;
        while at < frame.len() {
            let h = ObuHeader::parse(&frame[at..])?;
            let size = h.size.ok_or_else(|| {
                av1_error(
                    "an OBU with its size field (low-overhead format)",
                    "none".into(),
                    at,
                )
            })? as usize;
            let end = at + h.len + size;
            if end > frame.len() {
                return Err(av1_error(
                    "an OBU inside the TU",
                    format!("{size} bytes"),
                    at,
                ));
            }
            facts.note(&h, frame, at..end);
            at = end;
        }
        Ok(facts.facts(frame))
    }

    fn complete(
        &mut self,
        mut parts: FrameParts<'_>,
    ) -> Result<(FrameData, FrameFacts), PayloadError> {
        let (packets, cut) = packets(parts.parts(), parts.len());
        // The OBUs take no more room than the packets they came in: a size field is no longer
        // than the element length it replaces, or than the 5 bytes of a packet's headers.
        let mut out = parts.buffer(parts.len());
        let mut facts = TuFacts::default();
        // The pieces of the OBU that continues in the next packet (Y, then Z), if one is open.
        let mut fragment: Vec<&[u8]> = Vec::new();
        let mut open = false;
        for (at, p) in &packets {
            let agg = Aggregation::parse(p)?;
            let count = agg.elements.len();
            for (i, r) in agg.elements.into_iter().enumerate() {
                let continues = i == 0 && agg.z;
                let to_next = i + 1 == count && agg.y;
                match (continues, open) {
                    (true, true) => fragment.push(&p[r]),
                    (false, false) if !to_next => write_obu(&[&p[r]], &mut out, &mut facts)?,
                    (false, false) => {
                        fragment.push(&p[r]);
                        open = true;
                    }
                    _ => {
                        return Err(av1_error(
                            "OBU fragments that continue in the next packet (Y, then Z)",
                            format!("Z {} after Y {open}", agg.z),
                            at + 4,
                        ))
                    }
                }
                if continues && !to_next {
                    write_obu(&fragment, &mut out, &mut facts)?;
                    fragment.clear();
                    open = false;
                }
            }
        }
        if let Some(e) = cut {
            return Err(e);
        }
        if open {
            return Err(av1_error(
                "the end of the last OBU",
                "Y on the last packet".into(),
                parts.len(),
            ));
        }
        if out.is_empty() {
            return Err(av1_error("at least one OBU in the TU", "none".into(), 0));
        }
        let f = facts.facts(&out);
        Ok((out.into(), f))
    }
}

/// A packet's payload in a TU's parts, and where its length starts.
type Packet<'p> = (usize, Cow<'p, [u8]>);

/// The packets of a TU's parts (each behind the length `depacketize` put in front of it) with
/// where each starts, borrowed from the parts; then, if the last one is cut, why.
fn packets(parts: &[Bytes], total: usize) -> (Vec<Packet<'_>>, Option<PayloadError>) {
    let mut at = PartsCursor::new(parts);
    let mut packets = Vec::new();
    let mut pos = 0;
    while pos < total {
        let Some(len) = at
            .array()
            .map(|b| u32::from_le_bytes(b) as usize)
            .filter(|&len| total - pos >= 4 && total - pos - 4 >= len)
        else {
            let cut = av1_error("whole packets", "a cut one".into(), pos);
            return (packets, Some(cut));
        };
        packets.push((pos, at.take(len)));
        pos += 4 + len;
    }
    (packets, None)
}

/// Splits AV1 temporal units into RTP payloads of at most `max_payload` bytes (at least 4): drops
/// temporal delimiters, takes the size field off each OBU, and packs the OBU elements with W
/// (up to 3 elements, the last without a length) or with a length on every element,
/// fragmenting them across packets (Z, Y). N is set on the first packet of a TU that has a
/// sequence header.
#[derive(Debug, Clone)]
pub struct Av1Packetizer {
    max_payload: usize,
    use_w: bool,
}

impl Av1Packetizer {
    /// A packetizer that uses W where it can.
    pub fn new(max_payload: usize) -> Self {
        Av1Packetizer {
            max_payload: max_payload.max(4),
            use_w: true,
        }
    }

    /// The same, with W = 0 and a length field on every element.
    pub fn with_length_fields(mut self) -> Self {
        self.use_w = false;
        self
    }

    /// Emits `(payload, marker)` for each packet of `tu` (OBUs in the low-overhead format; an
    /// OBU without a size field takes the rest); the marker is on the last one. Stops at the
    /// first malformed OBU.
    pub fn packetize(&mut self, tu: &[u8], emit: &mut dyn FnMut(&[u8], bool)) {
        let elements = rtp_elements(tu);
        let new_sequence = elements
            .first()
            .is_some_and(|e| (e[0] >> 3) & 0x0F == obu_type::SEQUENCE_HEADER);
        let mut packets: Vec<(bool, bool, Vec<&[u8]>)> = Vec::new();
        let (mut pieces, mut used, mut z) = (Vec::new(), 1, false);
        for element in &elements {
            let mut rest = &element[..];
            loop {
                let need = leb128_len(rest.len()) + rest.len();
                if used + need <= self.max_payload {
                    pieces.push(rest);
                    used += need;
                    break;
                }
                let room = self.max_payload - used;
                let take = room.saturating_sub(leb128_len(room));
                let y = take > 0;
                if y {
                    pieces.push(&rest[..take]);
                    rest = &rest[take..];
                }
                packets.push((z, y, std::mem::take(&mut pieces)));
                (used, z) = (1, y);
            }
        }
        if !pieces.is_empty() {
            packets.push((z, false, pieces));
        }
        packets.retain(|(_, _, p)| !p.is_empty());
        let count = packets.len();
        let mut buf = Vec::with_capacity(self.max_payload);
        for (i, (z, y, pieces)) in packets.into_iter().enumerate() {
            let w = if self.use_w && pieces.len() <= 3 {
                pieces.len()
            } else {
                0
            };
            let n = i == 0 && new_sequence;
            buf.clear();
            buf.push(u8::from(z) << 7 | u8::from(y) << 6 | (w as u8) << 4 | u8::from(n) << 3);
            for (j, piece) in pieces.iter().enumerate() {
                if w == 0 || j + 1 < w {
                    write_leb128(piece.len(), &mut buf);
                }
                buf.extend_from_slice(piece);
            }
            emit(&buf, i + 1 == count);
        }
    }
}

/// The OBUs of `tu` as RTP OBU elements: without size field, temporal delimiters dropped.
fn rtp_elements(tu: &[u8]) -> Vec<Vec<u8>> {
    let mut elements = Vec::new();
    let mut at = 0;
    while at < tu.len() {
        let Ok(h) = ObuHeader::parse(&tu[at..]) else {
            break;
        };
        let size = h.size.map_or(tu.len() - at - h.len, |s| s as usize);
        let Some(payload) = tu.get(at + h.len..at + h.len + size) else {
            break;
        };
        if h.obu_type != obu_type::TEMPORAL_DELIMITER {
            let mut e = vec![tu[at] & !0x02];
            e.extend(h.extension);
            e.extend_from_slice(payload);
            elements.push(e);
        }
        at += h.len + size;
    }
    elements
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A TU of OBUs of `types` with these payloads, in the low-overhead format; and the same
    /// without the OBUs the output drops.
    fn tu(obus: &[(u8, Vec<u8>)]) -> (Vec<u8>, Vec<u8>) {
        let (mut all, mut kept) = (Vec::new(), Vec::new());
        for (t, payload) in obus {
            let mut obu = vec![t << 3 | 0x02];
            write_leb128(payload.len(), &mut obu);
            obu.extend_from_slice(payload);
            all.extend_from_slice(&obu);
            if !matches!(*t, obu_type::TEMPORAL_DELIMITER | obu_type::PADDING) {
                kept.extend_from_slice(&obu);
            }
        }
        (all, kept)
    }

    proptest! {
        #[test]
        fn a_tu_completed_from_its_parts_however_cut_is_the_tu_without_dropped_obus(
            obus in proptest::collection::vec(
                (prop::sample::select(vec![2u8, 3, 4, 5, 15]),
                 proptest::collection::vec(any::<u8>(), 0..300)), 1..6),
            mtu in 4..200usize,
            lengths: bool,
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let (all, kept) = tu(&obus);
            let mut p = Av1Packetizer::new(mtu);
            if lengths {
                p = p.with_length_fields();
            }
            let mut rules = Av1Payload::new();
            let mut parts = Vec::new();
            p.packetize(&all, &mut |payload, _| {
                rules.depacketize(&Bytes::copy_from_slice(payload), &mut parts).unwrap();
            });
            let mut block = BytesMut::new();
            let got = rules.complete(FrameParts::new(&parts, &mut block)).map(|f| f.0.to_bytes());
            let want = (!kept.is_empty()).then_some(kept);
            prop_assert_eq!(got.as_deref().ok(), want.as_deref());
            // The same bytes cut anywhere else give the same frame, or the same error.
            let joined = parts.concat();
            let mut at: Vec<usize> = cuts.iter().map(|c| c % (joined.len() + 1)).collect();
            at.extend([0, joined.len()]);
            at.sort_unstable();
            let recut: Vec<Bytes> =
                at.windows(2).map(|w| Bytes::copy_from_slice(&joined[w[0]..w[1]])).collect();
            let again = rules.complete(FrameParts::new(&recut, &mut block)).map(|f| f.0.to_bytes());
            prop_assert_eq!(again, got);
        }
    }
}
