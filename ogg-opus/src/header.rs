//! The two Ogg Opus header packets (RFC 7845 section 5): the identification
//! header `OpusHead` and the comment header `OpusTags`.

use crate::OggError;

const HEAD_MAGIC: &[u8; 8] = b"OpusHead";
const TAGS_MAGIC: &[u8; 8] = b"OpusTags";
/// Size of an `OpusHead` packet without a channel mapping table.
const HEAD_FIXED_LEN: usize = 19;

/// Channel mapping table of an `OpusHead` whose mapping family is not 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMapping {
    /// Number of Opus streams in each Ogg packet (at least 1).
    pub stream_count: u8,
    /// How many of those streams are coupled (stereo); at most `stream_count`.
    pub coupled_count: u8,
    /// One entry per output channel: the decoded channel index feeding it,
    /// or 255 for silence.
    pub mapping: Vec<u8>,
}

/// The Ogg Opus identification header (`OpusHead`, RFC 7845 section 5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusHead {
    /// Header version; writers use 1, readers accept 0..=15.
    pub version: u8,
    /// Output channel count (at least 1).
    pub channels: u8,
    /// Samples (at 48 kHz) to discard from the decoder output at the start.
    pub pre_skip: u16,
    /// Sample rate of the original input, informational only (0 = unknown).
    pub input_sample_rate: u32,
    /// Gain to apply to the output, in Q7.8 dB.
    pub output_gain: i16,
    /// Channel mapping family: 0 = mono/stereo, 1 = Vorbis order, 255 = undefined.
    pub mapping_family: u8,
    /// Channel mapping table; present exactly when `mapping_family != 0`.
    pub mapping: Option<ChannelMapping>,
}

impl OpusHead {
    /// A version 1 header with zero output gain.
    ///
    /// For 1 or 2 channels this uses mapping family 0 (no table). For more
    /// channels it uses family 255 with one uncoupled stream per channel,
    /// which is the only layout that needs no further information.
    #[must_use]
    pub fn new(channels: u8, pre_skip: u16, input_sample_rate: u32) -> Self {
        let (mapping_family, mapping) = if channels <= 2 {
            (0, None)
        } else {
            (
                255,
                Some(ChannelMapping {
                    stream_count: channels,
                    coupled_count: 0,
                    mapping: (0..channels).collect(),
                }),
            )
        };
        Self {
            version: 1,
            channels,
            pre_skip,
            input_sample_rate,
            output_gain: 0,
            mapping_family,
            mapping,
        }
    }

    /// Serializes the header packet.
    ///
    /// The mapping table is written when `mapping` is `Some`, whatever the
    /// family; keep the two consistent (see [`OpusHead::parse`]).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let table_len = self.mapping.as_ref().map_or(0, |m| 2 + m.mapping.len());
        let mut out = Vec::with_capacity(HEAD_FIXED_LEN + table_len);
        out.extend_from_slice(HEAD_MAGIC);
        out.push(self.version);
        out.push(self.channels);
        out.extend_from_slice(&self.pre_skip.to_le_bytes());
        out.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        out.extend_from_slice(&self.output_gain.to_le_bytes());
        out.push(self.mapping_family);
        if let Some(m) = &self.mapping {
            out.push(m.stream_count);
            out.push(m.coupled_count);
            out.extend_from_slice(&m.mapping);
        }
        out
    }

    /// Parses and validates an `OpusHead` packet.
    ///
    /// Trailing bytes after the structure are ignored, as RFC 7845 asks.
    ///
    /// # Errors
    /// [`OggError::BadMagic`], [`OggError::HeaderTooShort`] or
    /// [`OggError::InvalidField`] (version with non-zero major nibble, zero
    /// channels, family 0 with more than 2 channels, family 1 with more than
    /// 8, zero streams, more coupled streams than streams, more than 255
    /// decoded channels, or a mapping entry out of range).
    pub fn parse(buf: &[u8]) -> Result<Self, OggError> {
        const H: &str = "OpusHead";
        check_magic(buf, HEAD_MAGIC, H)?;
        if buf.len() < HEAD_FIXED_LEN {
            return Err(OggError::HeaderTooShort {
                header: H,
                needed: HEAD_FIXED_LEN,
                found: buf.len(),
            });
        }
        let invalid = |field, offset, expected, found: u64| OggError::InvalidField {
            header: H,
            field,
            offset,
            expected,
            found,
        };
        let version = buf[8];
        if version >> 4 != 0 {
            return Err(invalid("version", 8, "0..=15", version.into()));
        }
        let channels = buf[9];
        if channels == 0 {
            return Err(invalid("channel count", 9, "at least 1", 0));
        }
        let pre_skip = u16::from_le_bytes([buf[10], buf[11]]);
        let input_sample_rate = u32::from_le_bytes([buf[12], buf[13], buf[14], buf[15]]);
        let output_gain = i16::from_le_bytes([buf[16], buf[17]]);
        let mapping_family = buf[18];
        let mapping = if mapping_family == 0 {
            if channels > 2 {
                return Err(invalid(
                    "channel count",
                    9,
                    "1 or 2 for mapping family 0",
                    channels.into(),
                ));
            }
            None
        } else {
            if mapping_family == 1 && channels > 8 {
                return Err(invalid(
                    "channel count",
                    9,
                    "1..=8 for mapping family 1",
                    channels.into(),
                ));
            }
            let needed = HEAD_FIXED_LEN + 2 + usize::from(channels);
            if buf.len() < needed {
                return Err(OggError::HeaderTooShort {
                    header: H,
                    needed,
                    found: buf.len(),
                });
            }
            let stream_count = buf[19];
            let coupled_count = buf[20];
            if stream_count == 0 {
                return Err(invalid("stream count", 19, "at least 1", 0));
            }
            if coupled_count > stream_count {
                return Err(invalid(
                    "coupled stream count",
                    20,
                    "at most the stream count",
                    coupled_count.into(),
                ));
            }
            let decoded = u32::from(stream_count) + u32::from(coupled_count);
            if decoded > 255 {
                return Err(invalid(
                    "coupled stream count",
                    20,
                    "stream count + coupled count <= 255",
                    coupled_count.into(),
                ));
            }
            let mapping = buf[21..needed].to_vec();
            if let Some(i) = mapping
                .iter()
                .position(|&c| c != 255 && u32::from(c) >= decoded)
            {
                return Err(invalid(
                    "channel mapping",
                    21 + i,
                    "a decoded channel index below streams + coupled streams, or 255",
                    mapping[i].into(),
                ));
            }
            Some(ChannelMapping {
                stream_count,
                coupled_count,
                mapping,
            })
        };
        Ok(Self {
            version,
            channels,
            pre_skip,
            input_sample_rate,
            output_gain,
            mapping_family,
            mapping,
        })
    }
}

/// The Ogg Opus comment header (`OpusTags`, RFC 7845 section 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpusTags {
    /// Encoder/muxer vendor string.
    pub vendor: String,
    /// User comments as `(key, value)`; written as `KEY=value`. Keys must not
    /// contain `=` (the first `=` separates key and value when parsing).
    pub comments: Vec<(String, String)>,
}

impl OpusTags {
    /// Tags with the given vendor string and no comments.
    #[must_use]
    pub fn new(vendor: impl Into<String>) -> Self {
        Self {
            vendor: vendor.into(),
            comments: Vec::new(),
        }
    }

    /// Serializes the header packet.
    ///
    /// (Strings longer than 4 GiB cannot be represented and are cut.)
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let body: usize = self
            .comments
            .iter()
            .map(|(k, v)| 4 + k.len() + 1 + v.len())
            .sum();
        let mut out = Vec::with_capacity(16 + self.vendor.len() + body);
        out.extend_from_slice(TAGS_MAGIC);
        put_string(&mut out, &[self.vendor.as_bytes()]);
        put_u32(&mut out, self.comments.len());
        for (k, v) in &self.comments {
            put_string(&mut out, &[k.as_bytes(), b"=", v.as_bytes()]);
        }
        out
    }

    /// Parses an `OpusTags` packet.
    ///
    /// Every length and count is checked against the bytes left, so no
    /// allocation exceeds the input size. Data after the last comment (RFC
    /// 7845 allows padding or binary data there) is ignored.
    ///
    /// # Errors
    /// [`OggError::BadMagic`], [`OggError::HeaderTooShort`],
    /// [`OggError::InvalidField`] (a length or count larger than the data
    /// left), [`OggError::InvalidUtf8`] or [`OggError::CommentWithoutEquals`].
    pub fn parse(buf: &[u8]) -> Result<Self, OggError> {
        check_magic(buf, TAGS_MAGIC, "OpusTags")?;
        let mut pos = TAGS_MAGIC.len();
        let vendor_len = read_u32(buf, pos)?;
        pos += 4;
        let vendor_bytes = take(buf, pos - 4, pos, vendor_len, "vendor string length")?;
        let vendor = std::str::from_utf8(vendor_bytes)
            .map_err(|_| OggError::InvalidUtf8 {
                field: "vendor",
                offset: pos,
            })?
            .to_owned();
        pos += vendor_bytes.len();
        let count = read_u32(buf, pos)?;
        let count_pos = pos;
        pos += 4;
        // Each comment needs at least its 4-byte length field.
        if count > (buf.len() - pos) / 4 {
            return Err(OggError::InvalidField {
                header: "OpusTags",
                field: "comment count",
                offset: count_pos,
                expected: "a count that fits in the remaining bytes (4 bytes per comment minimum)",
                found: count as u64,
            });
        }
        let mut comments = Vec::with_capacity(count);
        for _ in 0..count {
            let len = read_u32(buf, pos)?;
            pos += 4;
            let bytes = take(buf, pos - 4, pos, len, "comment length")?;
            let text = std::str::from_utf8(bytes).map_err(|_| OggError::InvalidUtf8 {
                field: "comment",
                offset: pos,
            })?;
            let (k, v) = text
                .split_once('=')
                .ok_or(OggError::CommentWithoutEquals { offset: pos })?;
            comments.push((k.to_owned(), v.to_owned()));
            pos += bytes.len();
        }
        Ok(Self { vendor, comments })
    }
}

fn check_magic(buf: &[u8], magic: &[u8; 8], name: &'static str) -> Result<(), OggError> {
    if buf.starts_with(magic) {
        Ok(())
    } else {
        Err(OggError::BadMagic {
            expected: name,
            found: buf[..buf.len().min(8)].to_vec(),
        })
    }
}

fn read_u32(buf: &[u8], pos: usize) -> Result<usize, OggError> {
    match buf.get(pos..pos + 4) {
        Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
        None => Err(OggError::HeaderTooShort {
            header: "OpusTags",
            needed: pos + 4,
            found: buf.len(),
        }),
    }
}

/// `len` bytes at `pos`, or an error naming the length field at `field_pos`.
fn take<'a>(
    buf: &'a [u8],
    field_pos: usize,
    pos: usize,
    len: usize,
    field: &'static str,
) -> Result<&'a [u8], OggError> {
    buf.get(pos..)
        .and_then(|rest| rest.get(..len))
        .ok_or(OggError::InvalidField {
            header: "OpusTags",
            field,
            offset: field_pos,
            expected: "a length that fits in the remaining bytes",
            found: len as u64,
        })
}

fn put_u32(out: &mut Vec<u8>, v: usize) {
    let v = u32::try_from(v).unwrap_or(u32::MAX);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Writes a length-prefixed string made of `parts`, cut at `u32::MAX` bytes.
fn put_string(out: &mut Vec<u8>, parts: &[&[u8]]) {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut left = usize::try_from(u32::MAX).map_or(total, |max| total.min(max));
    put_u32(out, left);
    for p in parts {
        let n = p.len().min(left);
        out.extend_from_slice(&p[..n]);
        left -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_layout() {
        let mut h = OpusHead::new(2, 312, 48_000);
        h.output_gain = -256;
        let b = h.to_bytes();
        assert_eq!(
            b,
            [
                b'O', b'p', b'u', b's', b'H', b'e', b'a', b'd', 1, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0,
                0x00, 0xFF, 0
            ]
        );
        assert_eq!(OpusHead::parse(&b).unwrap(), h);
    }

    #[test]
    fn head_errors() {
        let good = OpusHead::new(1, 0, 0).to_bytes();
        assert!(matches!(
            OpusHead::parse(&good[..18]),
            Err(OggError::HeaderTooShort {
                needed: 19,
                found: 18,
                ..
            })
        ));
        assert!(matches!(
            OpusHead::parse(b"OpusTags"),
            Err(OggError::BadMagic { .. })
        ));
        let mut b = good.clone();
        b[8] = 0x10;
        assert!(matches!(
            OpusHead::parse(&b),
            Err(OggError::InvalidField {
                field: "version",
                found: 16,
                ..
            })
        ));
        let mut b = good.clone();
        b[9] = 0;
        assert!(OpusHead::parse(&b).is_err());
        let mut b = good.clone();
        b[9] = 3;
        assert!(OpusHead::parse(&b).is_err());
        // Family 1 needs its table.
        let mut b = good.clone();
        b[18] = 1;
        assert!(matches!(
            OpusHead::parse(&b),
            Err(OggError::HeaderTooShort { needed: 22, .. })
        ));
        b.extend_from_slice(&[1, 0, 1]); // mapping entry 1 >= 1 decoded channel
        assert!(matches!(
            OpusHead::parse(&b),
            Err(OggError::InvalidField {
                offset: 21,
                found: 1,
                ..
            })
        ));
        // Trailing bytes are fine.
        let mut b = good.clone();
        b.push(0xAA);
        assert_eq!(OpusHead::parse(&b).unwrap(), OpusHead::new(1, 0, 0));
        // Multichannel default from new().
        let h = OpusHead::new(6, 0, 0);
        assert_eq!(OpusHead::parse(&h.to_bytes()).unwrap(), h);
    }

    #[test]
    fn tags_layout_and_errors() {
        let t = OpusTags {
            vendor: "v".into(),
            comments: vec![("TITLE".into(), "a=b".into())],
        };
        let b = t.to_bytes();
        assert_eq!(&b[..8], b"OpusTags");
        assert_eq!(&b[8..13], &[1, 0, 0, 0, b'v']);
        assert_eq!(&b[13..17], &[1, 0, 0, 0]);
        assert_eq!(&b[17..21], &[9, 0, 0, 0]);
        assert_eq!(&b[21..], b"TITLE=a=b");
        assert_eq!(OpusTags::parse(&b).unwrap(), t);

        // Huge comment count is rejected before allocating.
        let mut h = b[..17].to_vec();
        h[13..17].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            OpusTags::parse(&h),
            Err(OggError::InvalidField {
                field: "comment count",
                offset: 13,
                ..
            })
        ));
        // Vendor length past the end.
        let mut h = b.clone();
        h[8] = 200;
        assert!(matches!(
            OpusTags::parse(&h),
            Err(OggError::InvalidField {
                field: "vendor string length",
                offset: 8,
                found: 200,
                ..
            })
        ));
        // Comment without '='.
        let mut h = b.clone();
        h[26] = b'_';
        h[28] = b'_';
        assert!(matches!(
            OpusTags::parse(&h),
            Err(OggError::CommentWithoutEquals { offset: 21 })
        ));
        // Truncated anywhere: error, never panic.
        for n in 0..b.len() {
            assert!(OpusTags::parse(&b[..n]).is_err());
        }
    }
}
