//! The RTP fixed header (RFC 3550), header extensions (RFC 8285) and a packet builder.

use bytes::Bytes;

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Fewer bytes than the header says.
    #[error("RTP packet too short: expected at least {needed} bytes, found {found}")]
    TooShort {
        /// Bytes needed (fixed header, CSRCs, extension).
        needed: usize,
        /// Bytes there.
        found: usize,
    },
    /// The version bits are not 2.
    #[error("not RTP: expected version 2 in byte 0, found {found}")]
    BadVersion {
        /// The version found.
        found: u8,
    },
    /// The padding count at the end is zero or longer than the payload.
    #[error("bad RTP padding: {padding} padding bytes declared, {available} bytes of payload")]
    BadPadding {
        /// Declared padding.
        padding: usize,
        /// Bytes after the headers.
        available: usize,
    },
}

/// Where a packet's header extension block lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionBlock {
    /// The "defined by profile" field: 0xBEDE for one-byte, 0x100x for two-byte extensions.
    pub profile: u16,
    /// Offset of the extension data (after the 4-byte block header).
    pub offset: usize,
    /// Length of the extension data.
    pub len: usize,
}

/// The RTP fixed header of a packet, with the positions of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit (last packet of a video frame).
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Media timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// Number of CSRCs.
    pub csrc_count: u8,
    /// Padding bytes at the end.
    pub padding_len: u8,
    /// The header extension block, if any.
    pub extension: Option<ExtensionBlock>,
    /// Offset of the payload.
    pub payload_offset: usize,
    /// Length of the payload (padding excluded).
    pub payload_len: usize,
}

fn need(buf: &[u8], needed: usize) -> Result<(), RtpError> {
    if buf.len() < needed {
        return Err(RtpError::TooShort {
            needed,
            found: buf.len(),
        });
    }
    Ok(())
}

impl RtpHeader {
    /// Parses and checks the header of the packet `buf`: every length against what is there.
    pub fn parse(buf: &[u8]) -> Result<RtpHeader, RtpError> {
        need(buf, 12)?;
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion { found: version });
        }
        let csrc_count = buf[0] & 0x0F;
        let mut offset = 12 + 4 * usize::from(csrc_count);
        need(buf, offset)?;
        let extension = if buf[0] & 0x10 != 0 {
            need(buf, offset + 4)?;
            let profile = u16::from_be_bytes([buf[offset], buf[offset + 1]]);
            let len = 4 * usize::from(u16::from_be_bytes([buf[offset + 2], buf[offset + 3]]));
            need(buf, offset + 4 + len)?;
            let block = ExtensionBlock {
                profile,
                offset: offset + 4,
                len,
            };
            offset += 4 + len;
            Some(block)
        } else {
            None
        };
        let available = buf.len() - offset;
        let padding = if buf[0] & 0x20 != 0 {
            usize::from(buf[buf.len() - 1])
        } else {
            0
        };
        if buf[0] & 0x20 != 0 && (padding == 0 || padding > available) {
            return Err(RtpError::BadPadding { padding, available });
        }
        Ok(RtpHeader {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7F,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            csrc_count,
            padding_len: padding as u8,
            extension,
            payload_offset: offset,
            payload_len: available - padding,
        })
    }
}

/// One header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// Its id (1-14 for one-byte, 1-255 for two-byte extensions).
    pub id: u8,
    /// Its data.
    pub data: &'a [u8],
}

/// The extension elements of a block (RFC 8285); malformed data ends the iteration.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    data: &'a [u8],
    two_byte: bool,
    pos: usize,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        loop {
            let b = *self.data.get(self.pos)?;
            if b == 0 {
                self.pos += 1; // padding
                continue;
            }
            let (id, len, start) = if self.two_byte {
                (b, usize::from(*self.data.get(self.pos + 1)?), self.pos + 2)
            } else {
                if b >> 4 == 15 {
                    self.pos = self.data.len(); // reserved id: stop here
                    return None;
                }
                (b >> 4, usize::from(b & 0x0F) + 1, self.pos + 1)
            };
            let Some(data) = self.data.get(start..start + len) else {
                self.pos = self.data.len();
                return None;
            };
            self.pos = start + len;
            return Some(Extension { id, data });
        }
    }
}

/// An RTP packet: its parsed header and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    /// The parsed header.
    pub header: RtpHeader,
    /// The whole packet.
    pub raw: Bytes,
}

impl RtpPacket {
    /// Parses a packet (no copy: the payload stays a slice of `raw`).
    pub fn parse(raw: Bytes) -> Result<RtpPacket, RtpError> {
        let header = RtpHeader::parse(&raw)?;
        Ok(RtpPacket { header, raw })
    }

    /// The payload, padding excluded.
    pub fn payload(&self) -> &[u8] {
        &self.raw[self.header.payload_offset..self.header.payload_offset + self.header.payload_len]
    }

    /// The payload as a shared slice of the packet.
    pub fn payload_bytes(&self) -> Bytes {
        self.raw
            .slice(self.header.payload_offset..self.header.payload_offset + self.header.payload_len)
    }

    /// The header extensions (none when the profile is neither one- nor two-byte).
    pub fn extensions(&self) -> Extensions<'_> {
        match self.header.extension {
            Some(b) if b.profile == 0xBEDE || b.profile & 0xFFF0 == 0x1000 => Extensions {
                data: &self.raw[b.offset..b.offset + b.len],
                two_byte: b.profile != 0xBEDE,
                pos: 0,
            },
            _ => Extensions {
                data: &[],
                two_byte: false,
                pos: 0,
            },
        }
    }

    /// The data of extension `id`, if present.
    pub fn extension(&self, id: u8) -> Option<&[u8]> {
        self.extensions().find(|e| e.id == id).map(|e| e.data)
    }
}

/// Audio level (RFC 6464): `(voice activity, level in -dBov)`.
pub fn audio_level(data: &[u8]) -> Option<(bool, u8)> {
    data.first().map(|b| (b & 0x80 != 0, b & 0x7F))
}

/// Video orientation (3GPP CVO): the clockwise rotation in degrees.
pub fn video_orientation(data: &[u8]) -> Option<u16> {
    data.first().map(|b| u16::from(b & 0x03) * 90)
}

/// Builds RTP packets of one stream; the sequence number advances by one per packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpBuilder {
    /// SSRC of the stream.
    pub ssrc: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number of the next packet.
    pub sequence: u16,
}

impl RtpBuilder {
    /// A stream starting at sequence number 0.
    pub fn new(ssrc: u32, payload_type: u8) -> RtpBuilder {
        RtpBuilder {
            ssrc,
            payload_type: payload_type & 0x7F,
            sequence: 0,
        }
    }

    /// Writes a packet into `out` (cleared first). Extensions use the one-byte form when they
    /// fit it (ids 1-14, 1-16 bytes), else the two-byte form; ids must be non-zero.
    pub fn build(
        &mut self,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        extensions: &[(u8, &[u8])],
        out: &mut Vec<u8>,
    ) {
        out.clear();
        let has_ext = !extensions.is_empty();
        out.push(0x80 | if has_ext { 0x10 } else { 0 });
        out.push(self.payload_type | if marker { 0x80 } else { 0 });
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        if has_ext {
            let one_byte = extensions
                .iter()
                .all(|(id, d)| (1..=14).contains(id) && (1..=16).contains(&d.len()));
            let start = out.len();
            out.extend_from_slice(if one_byte {
                &[0xBE, 0xDE]
            } else {
                &[0x10, 0x00]
            });
            out.extend_from_slice(&[0, 0]);
            for (id, d) in extensions {
                if one_byte {
                    out.push(id << 4 | (d.len() as u8 - 1));
                } else {
                    out.push(*id);
                    out.push(d.len().min(255) as u8);
                }
                out.extend_from_slice(&d[..d.len().min(255)]);
            }
            while (out.len() - start) % 4 != 0 {
                out.push(0);
            }
            let words = ((out.len() - start - 4) / 4) as u16;
            out[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
        }
        out.extend_from_slice(payload);
        self.sequence = self.sequence.wrapping_add(1);
    }
}
