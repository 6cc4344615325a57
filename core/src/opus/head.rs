//! The Opus identification header, `OpusHead` (RFC 7845 §5.1).
//!
//! RFC 7845 defines it for Ogg, but it describes the Opus stream, not the page: Matroska stores
//! the same bytes as an Opus track's CodecPrivate. So it lives here, with the other Opus facts,
//! and both containers use it.
//!
//! ```text
//!  0               1               2               3
//!  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      'O'      |      'p'      |      'u'      |      's'      |
//! |      'H'      |      'e'      |      'a'      |      'd'      |
//! |  Version = 1  | Channel Count |           Pre-skip            |
//! |                     Input Sample Rate (Hz)                    |
//! |   Output Gain (Q7.8 in dB)    | Mapping Family|               :
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               :
//! :  Optional Channel Mapping Table (family != 0): stream count,  :
//! :  coupled count, one mapping byte per channel                  :
//! ```
//!
//! Multi-byte fields are little-endian.

const HEAD_MAGIC: &[u8; 8] = b"OpusHead";
/// Size of an `OpusHead` packet without a channel mapping table.
const HEAD_FIXED_LEN: usize = 19;

/// Why an `OpusHead` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpusHeadError {
    /// The bytes do not start with `OpusHead`.
    #[error("expected magic signature \"OpusHead\", found {found:02x?}")]
    BadMagic {
        /// Up to 8 bytes found instead.
        found: Vec<u8>,
    },
    /// Shorter than the fixed layout (or its mapping table) requires.
    #[error("OpusHead: expected at least {needed} bytes, found {found}")]
    TooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        found: usize,
    },
    /// A field has an invalid value.
    #[error("OpusHead field `{field}` at byte {offset}: expected {expected}, found {found}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// Offset of the field in the header.
        offset: usize,
        /// What a valid value looks like.
        expected: &'static str,
        /// Value found.
        found: u64,
    },
}

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

/// The Opus identification header (`OpusHead`, RFC 7845 §5.1): an Ogg Opus stream's first
/// packet, and the CodecPrivate of a Matroska Opus track.
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
    /// [`OpusHeadError::BadMagic`], [`OpusHeadError::TooShort`] or
    /// [`OpusHeadError::InvalidField`] (version with non-zero major nibble, zero
    /// channels, family 0 with more than 2 channels, family 1 with more than
    /// 8, zero streams, more coupled streams than streams, more than 255
    /// decoded channels, or a mapping entry out of range).
    pub fn parse(buf: &[u8]) -> Result<Self, OpusHeadError> {
        if !buf.starts_with(HEAD_MAGIC) {
            return Err(OpusHeadError::BadMagic {
                found: buf[..buf.len().min(8)].to_vec(),
            });
        }
        if buf.len() < HEAD_FIXED_LEN {
            return Err(OpusHeadError::TooShort {
                needed: HEAD_FIXED_LEN,
                found: buf.len(),
            });
        }
        let invalid = |field, offset, expected, found: u64| OpusHeadError::InvalidField {
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
                return Err(OpusHeadError::TooShort {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_bytes_follow_rfc_7845_layout() {
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
    fn damaged_heads_are_refused_with_the_field_at_fault() {
        let good = OpusHead::new(1, 0, 0).to_bytes();
        assert!(matches!(
            OpusHead::parse(&good[..18]),
            Err(OpusHeadError::TooShort {
                needed: 19,
                found: 18,
                ..
            })
        ));
        assert!(matches!(
            OpusHead::parse(b"OpusTags"),
            Err(OpusHeadError::BadMagic { .. })
        ));
        let mut b = good.clone();
        b[8] = 0x10;
        assert!(matches!(
            OpusHead::parse(&b),
            Err(OpusHeadError::InvalidField {
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
            Err(OpusHeadError::TooShort { needed: 22, .. })
        ));
        b.extend_from_slice(&[1, 0, 1]); // mapping entry 1 >= 1 decoded channel
        assert!(matches!(
            OpusHead::parse(&b),
            Err(OpusHeadError::InvalidField {
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
}
