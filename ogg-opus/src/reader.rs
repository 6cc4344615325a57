//! A small, strict Ogg reader for verification and for extracting Opus
//! packets from existing `.opus` files.
//!
//! It handles exactly one logical stream, checks every page (capture
//! pattern, version, CRC, sequence numbers, serial, BOS/EOS placement,
//! continuation flags) and reports the first problem with its byte offset.
//! It never panics and caps packets at [`Limits::max_packet_size`] ([`MAX_PACKET_SIZE`] by
//! default).

use crate::{crc, OggError, OpusHead, OpusTags};

/// Largest packet the packet reader reassembles (1 MiB).
pub const MAX_PACKET_SIZE: usize = 1 << 20;

const HEADER_LEN: usize = 27;

/// The caps on what an Ogg file's bytes can make the reader allocate, one value for the crate.
///
/// A page is at most 27 + 255 + 255 × 255 bytes and is borrowed from the input, never copied;
/// only a packet that spans pages is reassembled into memory of its own, so the packet size is
/// the one thing to cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest packet [`OggPacketReader`] reassembles, in bytes; a longer one is
    /// [`OggError::PacketTooLarge`]. Default [`MAX_PACKET_SIZE`] (1 MiB; an Opus packet is
    /// at most 61,440 bytes, RFC 6716 §3.2.5, times 255 streams of a multichannel one).
    pub max_packet_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_packet_size: MAX_PACKET_SIZE,
        }
    }
}

impl Limits {
    /// These limits, with packets of at most `bytes`.
    #[must_use]
    pub fn with_max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = bytes;
        self
    }
}

/// One Ogg page, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OggPage<'a> {
    /// Byte offset of the page in the input.
    pub offset: usize,
    /// Header type flags: 0x01 continued packet, 0x02 BOS, 0x04 EOS.
    pub header_type: u8,
    /// Raw granule position (`u64::MAX` is -1: no packet completes here).
    pub granule_raw: u64,
    /// Bitstream serial number.
    pub serial: u32,
    /// Page sequence number.
    pub sequence: u32,
    /// Segment table (lacing values).
    pub lacing: &'a [u8],
    /// Page body (`lacing` values summed).
    pub body: &'a [u8],
}

impl OggPage<'_> {
    /// Whether the first segment continues a packet from the previous page.
    #[must_use]
    pub fn is_continued(&self) -> bool {
        self.header_type & 0x01 != 0
    }
    /// Whether this is the beginning-of-stream page.
    #[must_use]
    pub fn is_bos(&self) -> bool {
        self.header_type & 0x02 != 0
    }
    /// Whether this is the end-of-stream page.
    #[must_use]
    pub fn is_eos(&self) -> bool {
        self.header_type & 0x04 != 0
    }
    /// Granule position, `None` for -1.
    #[must_use]
    pub fn granule(&self) -> Option<u64> {
        (self.granule_raw != u64::MAX).then_some(self.granule_raw)
    }
    /// Total size of the page in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        HEADER_LEN + self.lacing.len() + self.body.len()
    }
    /// Whether the page carries no segments.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lacing.is_empty()
    }
    /// Number of packets that complete on this page.
    #[must_use]
    pub fn completed_packets(&self) -> usize {
        self.lacing.iter().filter(|&&l| l < 255).count()
    }
}

/// Parses and CRC-checks the page starting at `offset` in `buf`.
///
/// Returns the page; the next page starts at `offset + page.len()`.
///
/// # Errors
/// [`OggError::Truncated`], [`OggError::BadCapture`],
/// [`OggError::BadVersion`] or [`OggError::CrcMismatch`].
pub fn parse_page(buf: &[u8], offset: usize) -> Result<OggPage<'_>, OggError> {
    let rest = buf.get(offset..).unwrap_or(&[]);
    let truncated = |needed| OggError::Truncated {
        offset,
        needed,
        available: rest.len(),
    };
    if rest.len() < 4 {
        return Err(truncated(HEADER_LEN));
    }
    if &rest[..4] != b"OggS" {
        return Err(OggError::BadCapture {
            offset,
            found: [rest[0], rest[1], rest[2], rest[3]],
        });
    }
    if rest.len() < HEADER_LEN {
        return Err(truncated(HEADER_LEN));
    }
    if rest[4] != 0 {
        return Err(OggError::BadVersion {
            offset,
            found: rest[4],
        });
    }
    let nseg = usize::from(rest[26]);
    let table_end = HEADER_LEN + nseg;
    let lacing = rest
        .get(HEADER_LEN..table_end)
        .ok_or(truncated(table_end))?;
    let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
    let page_len = table_end + body_len;
    let page = rest.get(..page_len).ok_or(truncated(page_len))?;
    let le32 = |i: usize| u32::from_le_bytes([page[i], page[i + 1], page[i + 2], page[i + 3]]);
    let stored = le32(22);
    let computed = crc::update(
        crc::update(crc::update(0, &page[..22]), &[0; 4]),
        &page[26..],
    );
    if stored != computed {
        return Err(OggError::CrcMismatch {
            offset,
            stored,
            computed,
        });
    }
    let mut g = [0u8; 8];
    g.copy_from_slice(&page[6..14]);
    Ok(OggPage {
        offset,
        header_type: page[5],
        granule_raw: u64::from_le_bytes(g),
        serial: le32(14),
        sequence: le32(18),
        lacing,
        body: &page[table_end..],
    })
}

/// Iterator over the pages of one logical stream.
///
/// Besides [`parse_page`]'s checks it requires BOS on the first page only,
/// one serial number, consecutive sequence numbers and nothing after the EOS
/// page. It stops after the first error.
#[derive(Debug, Clone)]
pub struct OggPageReader<'a> {
    buf: &'a [u8],
    pos: usize,
    index: u32,
    serial: u32,
    next_seq: u32,
    eos: bool,
    done: bool,
}

impl<'a> OggPageReader<'a> {
    /// Reads pages from the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            index: 0,
            serial: 0,
            next_seq: 0,
            eos: false,
            done: false,
        }
    }

    /// Byte offset of the next page.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    fn read(&mut self) -> Result<OggPage<'a>, OggError> {
        let offset = self.pos;
        if self.eos {
            return Err(OggError::DataAfterEos { offset });
        }
        let page = parse_page(self.buf, offset)?;
        if self.index == 0 {
            if !page.is_bos() {
                return Err(OggError::MissingBos { offset });
            }
            self.serial = page.serial;
        } else {
            if page.is_bos() {
                return Err(OggError::UnexpectedBos {
                    offset,
                    page_index: self.index,
                });
            }
            if page.serial != self.serial {
                return Err(OggError::SerialMismatch {
                    offset,
                    expected: self.serial,
                    found: page.serial,
                });
            }
            if page.sequence != self.next_seq {
                return Err(OggError::PageSequence {
                    offset,
                    expected: self.next_seq,
                    found: page.sequence,
                });
            }
        }
        self.next_seq = page.sequence.wrapping_add(1);
        self.eos = page.is_eos();
        self.index = self.index.saturating_add(1);
        self.pos = offset + page.len();
        Ok(page)
    }
}

impl<'a> Iterator for OggPageReader<'a> {
    type Item = Result<OggPage<'a>, OggError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.buf.len() {
            return None;
        }
        let r = self.read();
        self.done = r.is_err();
        Some(r)
    }
}

/// One reassembled packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OggPacket {
    /// Packet bytes.
    pub data: Vec<u8>,
    /// The page's granule position, set only on the last packet completed on
    /// a page (and `None` if that page's granule is -1).
    pub granule: Option<u64>,
    /// Index (0-based, in stream order) of the page on which the packet completes.
    pub page_index: u32,
    /// Whether the packet completes on the BOS page.
    pub bos: bool,
    /// Whether this is the last packet completed on the EOS page.
    pub eos: bool,
}

/// Iterator over the packets of one logical stream, reassembling packets
/// that span pages. Stops after the first error.
#[derive(Debug, Clone)]
pub struct OggPacketReader<'a> {
    pages: OggPageReader<'a>,
    page: Option<OggPage<'a>>,
    page_index: u32,
    seg: usize,
    body_pos: usize,
    last_complete: Option<usize>,
    pending: Vec<u8>,
    pending_active: bool,
    done: bool,
    limits: Limits,
}

impl<'a> OggPacketReader<'a> {
    /// Reads packets from the start of `buf`, with the default [`Limits`].
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_limits(buf, Limits::default())
    }

    /// Reads packets from the start of `buf`, refusing what goes past `limits`.
    #[must_use]
    pub fn with_limits(buf: &'a [u8], limits: Limits) -> Self {
        Self {
            pages: OggPageReader::new(buf),
            page: None,
            page_index: 0,
            seg: 0,
            body_pos: 0,
            last_complete: None,
            pending: Vec::new(),
            pending_active: false,
            done: false,
            limits,
        }
    }

    fn step(&mut self) -> Option<Result<OggPacket, OggError>> {
        loop {
            if let Some(page) = self.page {
                while let Some(&l) = page.lacing.get(self.seg) {
                    let l = usize::from(l);
                    if self.pending.len() + l > self.limits.max_packet_size {
                        return Some(Err(OggError::PacketTooLarge {
                            offset: page.offset,
                            limit: self.limits.max_packet_size,
                        }));
                    }
                    // The body length equals the lacing sum (checked by parse_page).
                    self.pending
                        .extend_from_slice(&page.body[self.body_pos..self.body_pos + l]);
                    self.body_pos += l;
                    self.pending_active = true;
                    let index = self.seg;
                    self.seg += 1;
                    if l < 255 {
                        let last = self.last_complete == Some(index);
                        self.pending_active = false;
                        return Some(Ok(OggPacket {
                            data: std::mem::take(&mut self.pending),
                            granule: if last { page.granule() } else { None },
                            page_index: self.page_index,
                            bos: page.is_bos(),
                            eos: last && page.is_eos(),
                        }));
                    }
                }
                self.page = None;
                self.page_index = self.page_index.saturating_add(1);
            }
            let offset = self.pages.position();
            let page = match self.pages.next() {
                None if self.pending_active => {
                    return Some(Err(OggError::UnterminatedPacket {
                        offset,
                        pending: self.pending.len(),
                    }))
                }
                None => return None,
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(p)) => p,
            };
            match (page.is_continued(), self.pending_active) {
                (true, false) => return Some(Err(OggError::UnexpectedContinuation { offset })),
                (false, true) => {
                    return Some(Err(OggError::MissingContinuation {
                        offset,
                        pending: self.pending.len(),
                    }))
                }
                _ => {}
            }
            self.seg = 0;
            self.body_pos = 0;
            self.last_complete = page.lacing.iter().rposition(|&l| l < 255);
            self.page = Some(page);
        }
    }
}

impl Iterator for OggPacketReader<'_> {
    type Item = Result<OggPacket, OggError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

/// The content of an Ogg Opus file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusFile {
    /// Identification header.
    pub head: OpusHead,
    /// Comment header.
    pub tags: OpusTags,
    /// Audio packets in order.
    pub packets: Vec<Vec<u8>>,
    /// Granule position of the last page that has one (0 if only headers).
    pub last_granule: u64,
}

/// Reads a whole single-stream Ogg Opus file: `OpusHead` (which must complete
/// on the BOS page), `OpusTags`, then audio packets.
///
/// Audio packets are returned as they are; their TOC bytes are not checked.
///
/// # Errors
/// Any page/packet error of [`OggPacketReader`], [`OggError::MissingHeader`],
/// or the header parse errors of [`OpusHead::parse`] / [`OpusTags::parse`].
pub fn read_opus_file(buf: &[u8]) -> Result<OpusFile, OggError> {
    read_opus_file_with_limits(buf, Limits::default())
}

/// [`read_opus_file`], refusing what goes past `limits`.
///
/// # Errors
/// Those of [`read_opus_file`]; [`OggError::PacketTooLarge`] for a packet past
/// [`Limits::max_packet_size`].
pub fn read_opus_file_with_limits(buf: &[u8], limits: Limits) -> Result<OpusFile, OggError> {
    let mut packets = OggPacketReader::with_limits(buf, limits);
    let mut last_granule = 0;
    let mut next = |what| -> Result<OggPacket, OggError> {
        packets.next().ok_or(OggError::MissingHeader { what })?
    };
    let head_pkt = next("OpusHead")?;
    if !head_pkt.bos {
        return Err(OggError::MissingHeader { what: "OpusHead" });
    }
    let head = OpusHead::parse(&head_pkt.data)?;
    let tags_pkt = next("OpusTags")?;
    let tags = OpusTags::parse(&tags_pkt.data)?;
    for p in [&head_pkt, &tags_pkt] {
        if let Some(g) = p.granule {
            last_granule = g;
        }
    }
    let mut audio = Vec::new();
    for p in packets {
        let p = p?;
        if let Some(g) = p.granule {
            last_granule = g;
        }
        audio.push(p.data);
    }
    Ok(OpusFile {
        head,
        tags,
        packets: audio,
        last_granule,
    })
}
