//! VP8 over RTP (RFC 7741): the payload descriptor, the frame header (RFC 6386), the payload
//! rules for the shared frame assembly ([`Vp8Payload`]), and a packetizer.

use crate::vp8_bool::log2_dct_partitions;
use bytes::Bytes;
use mjrtool_core::{
    Codec, Depacketizer as PayloadRules, FrameData, FrameFacts, PacketRole, PayloadError, VideoSize,
};

/// The VP8 payload descriptor at the start of every packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp8Descriptor {
    /// Non-reference frame (N).
    pub non_reference: bool,
    /// Start of a partition (S).
    pub start: bool,
    /// Partition index (PID).
    pub partition: u8,
    /// PictureID (7 or 15 bits), if present.
    pub picture_id: Option<u16>,
    /// TL0PICIDX, if present.
    pub tl0_pic_idx: Option<u8>,
    /// Temporal layer index (TID), if present.
    pub tid: Option<u8>,
    /// Layer sync (Y) bit, if TID is present.
    pub layer_sync: bool,
    /// KEYIDX, if present.
    pub key_idx: Option<u8>,
    /// Descriptor length: the VP8 payload starts here.
    pub len: usize,
}

impl Vp8Descriptor {
    /// Parses the descriptor at the start of an RTP payload; `None` if the payload is shorter
    /// than the descriptor says.
    pub fn parse(p: &[u8]) -> Option<Vp8Descriptor> {
        let b0 = *p.first()?;
        let mut d = Vp8Descriptor {
            non_reference: b0 & 0x20 != 0,
            start: b0 & 0x10 != 0,
            partition: b0 & 0x07,
            len: 1,
            ..Vp8Descriptor::default()
        };
        if b0 & 0x80 != 0 {
            let x = *p.get(1)?;
            d.len = 2;
            if x & 0x80 != 0 {
                let m = *p.get(d.len)?;
                if m & 0x80 != 0 {
                    let lo = *p.get(d.len + 1)?;
                    d.picture_id = Some(u16::from(m & 0x7F) << 8 | u16::from(lo));
                    d.len += 2;
                } else {
                    d.picture_id = Some(u16::from(m));
                    d.len += 1;
                }
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(*p.get(d.len)?);
                d.len += 1;
            }
            if x & 0x30 != 0 {
                let t = *p.get(d.len)?;
                if x & 0x20 != 0 {
                    d.tid = Some(t >> 6);
                    d.layer_sync = t & 0x20 != 0;
                }
                if x & 0x10 != 0 {
                    d.key_idx = Some(t & 0x1F);
                }
                d.len += 1;
            }
        }
        Some(d)
    }
}

/// The header at the start of every VP8 frame (RFC 6386 section 9.1), and the layout of the
/// partitions after it (section 9.5).
///
/// ```text
/// frame tag, 3 bytes, little-endian:
///   bit 0: P (0 = keyframe)   bits 1-3: version   bit 4: show_frame   bits 5-23: first_part_size
/// keyframes only, 7 more bytes:
///   9d 01 2a (start code) | width: 14 bits + 2-bit scale (LE) | height: 14 bits + 2-bit scale (LE)
/// then:
///   first partition (first_part_size bytes, boolean-coded, section 7; its header fields in
///     section 19.2 end with log2_nbr_of_dct_partitions, so n = 1, 2, 4 or 8 DCT partitions)
///   sizes of DCT partitions 1 to n-1: 3 bytes each, little-endian (section 9.5)
///   DCT partitions 1 to n-1 (the sizes above), then partition n (the rest of the frame)
/// ```
///
/// [`Vp8FrameHeader::read`] accepts a frame only if all of this fits: the size table and every
/// partition lie inside the frame and no partition is empty (a boolean decoder needs at least
/// one byte). This is the check ffmpeg makes before decoding ("Invalid partitions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp8FrameHeader {
    /// Whether the frame decodes on its own (P bit clear).
    pub keyframe: bool,
    /// The version field (0 to 3 are defined).
    pub version: u8,
    /// Whether the frame is meant to be shown.
    pub show_frame: bool,
    /// Length of the first partition, in bytes (19 bits).
    pub first_part_size: u32,
    /// Width and height in pixels (14 bits each, never 0), for a keyframe.
    pub size: Option<(u16, u16)>,
    /// Number of DCT partitions: 1, 2, 4 or 8 (`1 << log2_nbr_of_dct_partitions`, RFC 6386
    /// section 9.5).
    pub dct_partitions: u8,
}

impl Vp8FrameHeader {
    /// Reads the header of `frame`; `None` if the frame cannot be decoded (see
    /// [`Vp8FrameHeader::read`]).
    pub fn parse(frame: &[u8]) -> Option<Vp8FrameHeader> {
        Vp8FrameHeader::read(frame).ok()
    }

    /// Reads the header of `frame` and checks that the frame can be decoded: the frame tag and
    /// keyframe header (RFC 6386 section 9.1), then the fields of the first partition up to
    /// `log2_nbr_of_dct_partitions` (sections 9.2 to 9.6, 19.2), then the partition sizes
    /// (section 9.5).
    ///
    /// # Errors
    ///
    /// The frame is shorter than its header (3 bytes, 10 for a keyframe) and first partition;
    /// it is a keyframe without the start code or with a zero width or height; its first
    /// partition is empty; or its DCT partition size table, or one of its DCT partitions, does
    /// not fit in the frame or is empty.
    pub fn read(frame: &[u8]) -> Result<Vp8FrameHeader, PayloadError> {
        Vp8FrameHeader::read_within(frame, frame.len())
    }

    /// [`read`](Self::read) for a frame kept in pieces: reads its first bytes (copied together
    /// only when the first piece does not hold the header and first partition).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    pub fn read_data(frame: &FrameData) -> Result<Vp8FrameHeader, PayloadError> {
        let tag = frame.prefix(3);
        let first_part_size = match tag[..] {
            [a, b, c] => (u32::from(a) | u32::from(b) << 8 | u32::from(c) << 16) >> 5,
            _ => 0,
        };
        // The keyframe header, the first partition, and the longest DCT partition size table.
        let head = 10 + first_part_size as usize + 3 * 7;
        Vp8FrameHeader::read_within(&frame.prefix(head), frame.len())
    }

    /// [`read`](Self::read) of a frame `len` bytes long, of which `frame` is the start: at
    /// least the header, the first partition and the DCT partition size table, when the frame
    /// has them.
    fn read_within(frame: &[u8], len: usize) -> Result<Vp8FrameHeader, PayloadError> {
        let tag = frame
            .get(..3)
            .ok_or_else(|| frame_error("a 3-byte frame tag", len, 3))?;
        let bits = u32::from(tag[0]) | u32::from(tag[1]) << 8 | u32::from(tag[2]) << 16;
        let keyframe = bits & 1 == 0;
        let mut header = Vp8FrameHeader {
            keyframe,
            version: ((bits >> 1) & 7) as u8,
            show_frame: bits & 0x10 != 0,
            first_part_size: bits >> 5,
            size: None,
            dct_partitions: 1,
        };
        let mut header_len = 3;
        if keyframe {
            let k = frame
                .get(3..10)
                .ok_or_else(|| frame_error("a 10-byte keyframe header", len, 10))?;
            if k[..3] != [0x9d, 0x01, 0x2a] {
                return Err(PayloadError {
                    codec: "VP8",
                    expected: "the keyframe start code 9d 01 2a",
                    found: format!("{:02x} {:02x} {:02x}", k[0], k[1], k[2]),
                    offset: 3,
                });
            }
            let w = u16::from_le_bytes([k[3], k[4]]) & 0x3FFF;
            let h = u16::from_le_bytes([k[5], k[6]]) & 0x3FFF;
            if w == 0 || h == 0 {
                return Err(PayloadError {
                    codec: "VP8",
                    expected: "a width and height above 0",
                    found: format!("{w}x{h}"),
                    offset: 6,
                });
            }
            header.size = Some((w, h));
            header_len = 10;
        }
        let needed = header_len + header.first_part_size as usize;
        if len < needed {
            return Err(frame_error(
                "the whole first partition its frame tag declares",
                len,
                needed,
            ));
        }
        if header.first_part_size == 0 {
            return Err(PayloadError {
                codec: "VP8",
                expected: "a first partition of at least 1 byte",
                found: "a frame tag with first_part_size 0".to_string(),
                offset: 0,
            });
        }
        let log2 = log2_dct_partitions(&frame[header_len..needed], keyframe);
        header.dct_partitions = 1 << log2;
        check_dct_partitions(frame, len, needed, header.dct_partitions)?;
        Ok(header)
    }
}

/// Checks that the `count` DCT partitions, and the table of their sizes, which start at byte
/// `start` of a frame `len` bytes long that starts with `frame`, lie inside it and that none is
/// empty (RFC 6386 section 9.5).
fn check_dct_partitions(
    frame: &[u8],
    len: usize,
    start: usize,
    count: u8,
) -> Result<(), PayloadError> {
    let table_len = 3 * (usize::from(count) - 1);
    let table = frame
        .get(start..start + table_len)
        .ok_or_else(|| frame_error("the DCT partition size table", len, start + table_len))?;
    let mut at = start + table_len;
    for (i, size) in table.chunks_exact(3).enumerate() {
        let size = usize::from(size[0]) | usize::from(size[1]) << 8 | usize::from(size[2]) << 16;
        if size == 0 {
            return Err(PayloadError {
                codec: "VP8",
                expected: "a DCT partition of at least 1 byte",
                found: format!("size 0 for partition {} of {count}", i + 1),
                offset: start + 3 * i,
            });
        }
        if len - at < size {
            return Err(frame_error("a whole DCT partition", len, at + size));
        }
        at += size;
    }
    if at == len {
        return Err(frame_error(
            "a last DCT partition of at least 1 byte",
            at,
            at + 1,
        ));
    }
    Ok(())
}

/// A frame that ends at byte `len`, before the `needed` bytes that `expected` takes.
fn frame_error(expected: &'static str, len: usize, needed: usize) -> PayloadError {
    PayloadError {
        codec: "VP8",
        expected,
        found: format!("the frame ends after {len} of {needed} bytes"),
        offset: len,
    }
}

/// Width and height of a VP8 frame if it is a keyframe that [`Vp8FrameHeader::parse`] accepts.
pub fn vp8_keyframe_info(frame: &[u8]) -> Option<(u16, u16)> {
    Vp8FrameHeader::parse(frame)?.size
}

/// The VP8 payload format (RFC 7741): takes the payload descriptor off each packet and reads
/// each frame's header. The frame assembly ([`crate::FrameAssembler`]) does the rest.
///
/// A frame starts with the packet whose descriptor has the S bit set and partition index 0
/// (RFC 7741 section 4.2); its last packet carries the RTP marker (section 4.1). The frame is
/// then checked against its own header ([`Vp8FrameHeader::read`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vp8Payload;

impl PayloadRules for Vp8Payload {
    fn codec(&self) -> Codec {
        Codec::Vp8
    }

    /// ```text
    /// RFC 7741 section 4.2, the payload descriptor (at least the first byte):
    ///       0 1 2 3 4 5 6 7
    ///      +-+-+-+-+-+-+-+-+
    ///      |X|R|N|S|R| PID | (REQUIRED)
    ///      +-+-+-+-+-+-+-+-+
    /// X:   |I|L|T|K| RSV   | (OPTIONAL)
    ///      +-+-+-+-+-+-+-+-+
    /// I:   |M| PictureID   | (OPTIONAL; with M set, 8 more bits of PictureID follow)
    ///      +-+-+-+-+-+-+-+-+
    /// L:   |   TL0PICIDX   | (OPTIONAL)
    ///      +-+-+-+-+-+-+-+-+
    /// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
    ///      +-+-+-+-+-+-+-+-+
    /// ```
    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        let d = Vp8Descriptor::parse(payload).ok_or_else(|| PayloadError {
            codec: "VP8",
            expected: "a whole payload descriptor (RFC 7741 section 4.2)",
            found: format!("{} bytes of payload", payload.len()),
            offset: payload.len(),
        })?;
        out.push(payload.slice(d.len..));
        Ok(PacketRole {
            starts_frame: d.start && d.partition == 0,
        })
    }

    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError> {
        Ok(facts(Vp8FrameHeader::read(frame)?))
    }

    /// The header is read from the frame's first bytes: a frame that came in several packets is
    /// handed out as their payloads, never copied.
    fn inspect_data(&self, frame: &FrameData) -> Result<FrameFacts, PayloadError> {
        Ok(facts(Vp8FrameHeader::read_data(frame)?))
    }
}

/// What a VP8 frame header says, as the frame assembly wants it.
fn facts(header: Vp8FrameHeader) -> FrameFacts {
    FrameFacts {
        keyframe: header.keyframe,
        size: header
            .size
            .map(|(width, height)| VideoSize { width, height }),
        config: None,
    }
}

/// Splits VP8 frames into RTP payloads of at most `max_payload` bytes (descriptor included).
#[derive(Debug, Clone)]
pub struct Vp8Packetizer {
    max_payload: usize,
    picture_id: Option<u16>,
    buf: Vec<u8>,
}

impl Vp8Packetizer {
    /// A packetizer; with `Some(picture_id)` every descriptor carries a 15-bit PictureID that
    /// increases by one per frame.
    pub fn new(max_payload: usize, picture_id: Option<u16>) -> Self {
        Vp8Packetizer {
            max_payload,
            picture_id: picture_id.map(|p| p & 0x7FFF),
            buf: Vec::new(),
        }
    }

    /// Emits `(payload, marker)` for each packet of `frame`; the marker is on the last one.
    pub fn packetize(&mut self, frame: &[u8], emit: &mut impl FnMut(&[u8], bool)) {
        let desc_len = if self.picture_id.is_some() { 4 } else { 1 };
        let room = self.max_payload.saturating_sub(desc_len).max(1);
        let mut chunks = frame.chunks(room).peekable();
        let mut first = true;
        if frame.is_empty() {
            self.descriptor(true);
            emit(&self.buf, true);
        }
        while let Some(chunk) = chunks.next() {
            self.descriptor(first);
            self.buf.extend_from_slice(chunk);
            emit(&self.buf, chunks.peek().is_none());
            first = false;
        }
        if let Some(p) = &mut self.picture_id {
            *p = (*p + 1) & 0x7FFF;
        }
    }

    fn descriptor(&mut self, start: bool) {
        self.buf.clear();
        let s = if start { 0x10 } else { 0 };
        match self.picture_id {
            Some(p) => {
                self.buf
                    .extend_from_slice(&[0x80 | s, 0x80, 0x80 | (p >> 8) as u8, p as u8]);
            }
            None => self.buf.push(s),
        }
    }
}
