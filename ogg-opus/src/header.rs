//! The two Ogg Opus header packets (RFC 7845 section 5): the identification
//! header `OpusHead` (a codec fact Matroska shares, so it lives in
//! [`mjrtool_core::opus`] and is re-exported here) and the comment header
//! `OpusTags`.

use crate::OggError;
pub use mjrtool_core::opus::{ChannelMapping, OpusHead};

const TAGS_MAGIC: &[u8; 8] = b"OpusTags";

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
