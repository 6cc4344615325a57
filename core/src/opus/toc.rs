//! Opus packet framing (RFC 6716 sections 3.1 to 3.4): the TOC byte, the frame lengths, and
//! the rules every packet must follow.
//!
//! The first byte of every Opus packet (the TOC byte) holds a 5-bit configuration number (which
//! fixes the frame duration), a stereo flag, and a 2-bit frame-count code `c`:
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+
//! | config  |s| c |     c = 0: one frame          c = 1: two frames of equal size
//! +-+-+-+-+-+-+-+-+     c = 2: two frames, the first one's length coded after the TOC byte
//!                       c = 3: M frames, after a frame count byte |v|p|  M (6 bits)  |
//! ```
//!
//! A frame length is coded in one byte (0..=251) or two (`b0 >= 252`: `b1 * 4 + b0`), so at most
//! 1275. Code 3 with `p` set has padding: length bytes (each 255 adds 254 and asks for another)
//! right after the count byte, and that many bytes at the end. With `v` set (VBR) the lengths of
//! the first M - 1 frames follow the padding length; otherwise (CBR) all M frames share what is
//! left equally.
//!
//! [`packet_samples`] checks all of RFC 6716 section 3.4 (R1 to R7) and gives the duration: a
//! packet it accepts is one a decoder accepts, so the Ogg writer and the timeline's gap filler
//! refuse everything else.

/// Most audio one Opus packet may carry: 120 ms at 48 kHz.
pub const MAX_PACKET_SAMPLES: u32 = 5760;

/// Most frames a code 3 packet may declare (48 frames of 2.5 ms = 120 ms).
pub const MAX_FRAMES: u32 = 48;

/// Longest Opus frame, in bytes (RFC 6716 section 3.2.1; rule R2).
pub const MAX_FRAME_BYTES: usize = 1275;

/// Why a packet was rejected. The rule it breaks (RFC 6716 section 3.4) is in each variant's
/// documentation; byte offsets count from the TOC byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TocError {
    /// The packet has no bytes at all (R1).
    #[error("empty Opus packet: expected at least 1 byte (the TOC byte), found 0")]
    Empty,
    /// A code 3 packet ends right after its TOC byte (R6, R7).
    #[error("code 3 Opus packet has no frame count byte: expected at least 2 bytes, found 1")]
    MissingFrameCount,
    /// A code 3 packet declares zero frames (R5).
    #[error("code 3 Opus packet declares 0 frames: expected 1..=48")]
    ZeroFrames,
    /// A code 3 packet declares more than 48 frames (R5).
    #[error("code 3 Opus packet declares {count} frames: expected 1..=48")]
    TooManyFrames {
        /// Declared frame count.
        count: u32,
    },
    /// The packet would last longer than 120 ms (R5).
    #[error("Opus packet lasts {samples} samples at 48 kHz: expected at most 5760 (120 ms)")]
    TooLong {
        /// Declared duration in 48 kHz samples.
        samples: u32,
    },
    /// A code 1 packet whose two frames cannot have equal sizes (R3).
    #[error(
        "code 1 Opus packet has {len} bytes after its TOC byte: expected an even number (two equal frames)"
    )]
    OddCode1Length {
        /// Bytes after the TOC byte.
        len: usize,
    },
    /// The packet ends where a frame length byte should be (R4, R7).
    #[error("Opus packet ends at byte {offset}: expected a frame length byte there")]
    MissingFrameLength {
        /// Where the length byte should be.
        offset: usize,
    },
    /// A frame length says more bytes than the packet has left (R4, R7).
    #[error("Opus frame length at byte {offset} says {len} bytes: expected at most {available}, the bytes left")]
    FrameOverrun {
        /// Offset of the length byte(s).
        offset: usize,
        /// The length they code.
        len: usize,
        /// Bytes the packet has left for it.
        available: usize,
    },
    /// A frame whose length is implied by the packet's size is longer than 1275 bytes (R2).
    #[error("Opus frame of {len} bytes: expected at most 1275")]
    FrameTooLarge {
        /// The frame's length.
        len: usize,
    },
    /// A code 3 packet ends inside its padding length (R6, R7).
    #[error("code 3 Opus packet ends at byte {offset}: expected a padding length byte there")]
    MissingPaddingLength {
        /// Where the padding length byte should be.
        offset: usize,
    },
    /// A code 3 packet declares more padding than it has bytes left (R6, R7).
    #[error("code 3 Opus packet declares {padding} bytes of padding: expected at most {available}, the bytes left")]
    PaddingOverrun {
        /// Declared padding.
        padding: usize,
        /// Bytes left after the padding length.
        available: usize,
    },
    /// A code 3 constant-bitrate packet whose frames cannot have equal sizes (R6).
    #[error("code 3 CBR Opus packet has {len} bytes of frames: expected a multiple of its {frames} frames")]
    CbrNotMultiple {
        /// Bytes left for the frames.
        len: usize,
        /// Declared frame count.
        frames: u32,
    },
}

/// The frame lengths of a valid packet, from [`frame_lengths`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLengths {
    lens: [u16; MAX_FRAMES as usize],
    count: usize,
}

impl FrameLengths {
    /// The length of each frame in bytes, in order (0 for a frame the encoder left out, DTX).
    #[must_use]
    pub fn as_slice(&self) -> &[u16] {
        &self.lens[..self.count]
    }

    fn push(&mut self, len: usize) -> Result<(), TocError> {
        if len > MAX_FRAME_BYTES {
            return Err(TocError::FrameTooLarge { len });
        }
        // Callers push at most 48 frames and 1275 fits a u16.
        self.lens[self.count] = len as u16;
        self.count += 1;
        Ok(())
    }
}

/// Duration of one frame, in 48 kHz samples, for the configuration in `toc`.
///
/// SILK-only configurations (0..=11) last 10/20/40/60 ms, hybrid ones
/// (12..=15) 10/20 ms and CELT-only ones (16..=31) 2.5/5/10/20 ms.
///
/// ```
/// use mjrtool_core::opus::toc::frame_duration_samples;
/// assert_eq!(frame_duration_samples(0xF8), 960); // config 31: CELT FB 20 ms
/// assert_eq!(frame_duration_samples(3 << 3), 2880); // config 3: SILK NB 60 ms
/// ```
#[must_use]
pub fn frame_duration_samples(toc: u8) -> u32 {
    let config = toc >> 3;
    match config {
        // SILK-only: NB, MB, WB, each 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1920, 2880][usize::from(config & 3)],
        // Hybrid: SWB, FB, each 10, 20 ms.
        12..=15 => [480, 960][usize::from(config & 1)],
        // CELT-only: NB, WB, SWB, FB, each 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][usize::from(config & 3)],
    }
}

/// Whether the TOC byte's stereo flag (bit 2) is set.
#[must_use]
pub fn is_stereo(toc: u8) -> bool {
    toc & 0x04 != 0
}

/// Number of frames in `packet`, from its TOC byte (and, for code 3, its
/// frame-count byte).
///
/// # Errors
/// [`TocError::Empty`] for an empty packet; for code 3,
/// [`TocError::MissingFrameCount`], [`TocError::ZeroFrames`] or
/// [`TocError::TooManyFrames`].
pub fn frame_count(packet: &[u8]) -> Result<u32, TocError> {
    let toc = *packet.first().ok_or(TocError::Empty)?;
    match toc & 0x03 {
        0 => Ok(1),
        1 | 2 => Ok(2),
        _ => {
            let count_byte = *packet.get(1).ok_or(TocError::MissingFrameCount)?;
            let count = u32::from(count_byte & 0x3F);
            if count == 0 {
                Err(TocError::ZeroFrames)
            } else if count > MAX_FRAMES {
                Err(TocError::TooManyFrames { count })
            } else {
                Ok(count)
            }
        }
    }
}

/// Duration of `packet` in 48 kHz samples, once [`frame_lengths`] has checked that the packet
/// is valid (RFC 6716 section 3.4).
///
/// ```
/// use mjrtool_core::opus::toc::packet_samples;
/// assert_eq!(packet_samples(&[0xF8, 0xFF, 0xFE]), Ok(960));
/// assert!(packet_samples(&[]).is_err());
/// assert!(packet_samples(&[0xF9, 0xFF]).is_err()); // code 1: 1 byte cannot make two equal frames
/// ```
///
/// # Errors
/// Everything [`frame_lengths`] rejects.
pub fn packet_samples(packet: &[u8]) -> Result<u32, TocError> {
    let frames = frame_lengths(packet)?.as_slice().len() as u32;
    Ok(frames * frame_duration_samples(packet[0]))
}

/// Checks `packet` against every rule of RFC 6716 section 3.4 (R1 to R7) and gives the length of
/// each of its frames.
///
/// ```
/// use mjrtool_core::opus::toc::frame_lengths;
/// // Code 2: a first frame of 2 bytes, the second takes the rest (1 byte).
/// assert_eq!(frame_lengths(&[0xFA, 2, 7, 7, 9]).unwrap().as_slice(), &[2, 1]);
/// ```
///
/// # Errors
/// [`TocError::Empty`] (R1), [`TocError::FrameTooLarge`] (R2), [`TocError::OddCode1Length`] (R3),
/// [`TocError::MissingFrameLength`] and [`TocError::FrameOverrun`] (R4, R7);
/// for code 3 [`TocError::MissingFrameCount`], [`TocError::ZeroFrames`],
/// [`TocError::TooManyFrames`], [`TocError::TooLong`] (R5), [`TocError::MissingPaddingLength`],
/// [`TocError::PaddingOverrun`] and [`TocError::CbrNotMultiple`] (R6, R7).
pub fn frame_lengths(packet: &[u8]) -> Result<FrameLengths, TocError> {
    let count = frame_count(packet)?;
    let samples = count * frame_duration_samples(packet[0]);
    if samples > MAX_PACKET_SAMPLES {
        return Err(TocError::TooLong { samples });
    }
    let mut out = FrameLengths {
        lens: [0; MAX_FRAMES as usize],
        count: 0,
    };
    let n = packet.len();
    match packet[0] & 0x03 {
        0 => out.push(n - 1)?,
        1 => {
            if (n - 1) % 2 != 0 {
                return Err(TocError::OddCode1Length { len: n - 1 });
            }
            out.push((n - 1) / 2)?;
            out.push((n - 1) / 2)?;
        }
        2 => {
            let (first, used) = coded_length(packet, 1, n)?;
            out.push(first)?;
            out.push(n - 1 - used - first)?;
        }
        _ => code3_lengths(packet, count, &mut out)?,
    }
    Ok(out)
}

/// The frame length coded at `at` (RFC 6716 section 3.2.1), which must fit before `end`, and
/// how many bytes coded it.
fn coded_length(packet: &[u8], at: usize, end: usize) -> Result<(usize, usize), TocError> {
    let missing = |offset| TocError::MissingFrameLength { offset };
    let b0 = usize::from(*packet[..end].get(at).ok_or(missing(at))?);
    let (len, used) = if b0 < 252 {
        (b0, 1)
    } else {
        let b1 = usize::from(*packet[..end].get(at + 1).ok_or(missing(at + 1))?);
        (b1 * 4 + b0, 2)
    };
    let available = end - at - used;
    if len > available {
        return Err(TocError::FrameOverrun {
            offset: at,
            len,
            available,
        });
    }
    Ok((len, used))
}

/// Code 3 (RFC 6716 section 3.2.5): padding, then CBR or VBR frame lengths.
fn code3_lengths(packet: &[u8], count: u32, out: &mut FrameLengths) -> Result<(), TocError> {
    let flags = packet[1];
    let mut pos = 2;
    let mut padding = 0usize;
    if flags & 0x40 != 0 {
        loop {
            let b = *packet
                .get(pos)
                .ok_or(TocError::MissingPaddingLength { offset: pos })?;
            pos += 1;
            if b < 255 {
                padding += usize::from(b);
                break;
            }
            padding += 254;
        }
    }
    let available = packet.len() - pos;
    if padding > available {
        return Err(TocError::PaddingOverrun { padding, available });
    }
    let end = packet.len() - padding;
    if flags & 0x80 == 0 {
        let len = end - pos;
        if len % count as usize != 0 {
            return Err(TocError::CbrNotMultiple { len, frames: count });
        }
        for _ in 0..count {
            out.push(len / count as usize)?;
        }
        return Ok(());
    }
    // VBR: the lengths of the first M - 1 frames, then the frames; the last takes the rest.
    let mut claimed = 0usize;
    for _ in 1..count {
        let (len, used) = coded_length(packet, pos, end - claimed)?;
        pos += used;
        claimed += len;
        out.push(len)?;
    }
    out.push(end - pos - claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frame duration in tenths of a millisecond, straight from the RFC 6716
    /// section 3.1 table, written out config by config.
    const TABLE_TENTH_MS: [u32; 32] = [
        100, 200, 400, 600, // SILK NB
        100, 200, 400, 600, // SILK MB
        100, 200, 400, 600, // SILK WB
        100, 200, // Hybrid SWB
        100, 200, // Hybrid FB
        25, 50, 100, 200, // CELT NB
        25, 50, 100, 200, // CELT WB
        25, 50, 100, 200, // CELT SWB
        25, 50, 100, 200, // CELT FB
    ];

    #[test]
    fn every_config_and_code() {
        for config in 0u8..32 {
            let frame = TABLE_TENTH_MS[usize::from(config)] * 48 / 10;
            for stereo in [0u8, 4] {
                for code in 0u8..4 {
                    let toc = (config << 3) | stereo | code;
                    assert_eq!(frame_duration_samples(toc), frame);
                    assert_eq!(is_stereo(toc), stereo != 0);
                    match code {
                        0 => {
                            assert_eq!(frame_count(&[toc]), Ok(1));
                            assert_eq!(packet_samples(&[toc, 1, 2]), Ok(frame));
                        }
                        1 => {
                            assert_eq!(frame_count(&[toc]), Ok(2));
                            assert_eq!(packet_samples(&[toc, 9, 9]), Ok(2 * frame));
                        }
                        2 => {
                            assert_eq!(frame_count(&[toc]), Ok(2));
                            assert_eq!(packet_samples(&[toc, 1, 9]), Ok(2 * frame));
                        }
                        _ => {
                            for m in 1u8..=63 {
                                // Bits 6 and 7 (VBR, padding) must not change the duration.
                                for flags in [0u8, 0x40, 0x80, 0xC0] {
                                    let mut pkt = vec![toc, m | flags];
                                    if flags & 0x40 != 0 {
                                        pkt.push(0); // no padding
                                    }
                                    if flags & 0x80 != 0 {
                                        pkt.extend(std::iter::repeat_n(0, usize::from(m) - 1));
                                    }
                                    let total = u32::from(m) * frame;
                                    let got = packet_samples(&pkt);
                                    if m > 48 {
                                        assert_eq!(
                                            got,
                                            Err(TocError::TooManyFrames { count: m.into() })
                                        );
                                    } else if total > 5760 {
                                        assert_eq!(got, Err(TocError::TooLong { samples: total }));
                                    } else {
                                        assert_eq!(got, Ok(total));
                                        assert_eq!(frame_count(&pkt), Ok(u32::from(m)));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn spot_checks() {
        // 60 ms SILK, code 3 with 2 frames = 120 ms: the maximum.
        assert_eq!(packet_samples(&[(3 << 3) | 3, 2]), Ok(5760));
        assert_eq!(
            packet_samples(&[(3 << 3) | 3, 3]),
            Err(TocError::TooLong { samples: 8640 })
        );
        // 48 x 2.5 ms CELT = 120 ms.
        assert_eq!(packet_samples(&[(16 << 3) | 3, 48]), Ok(5760));
        // 60 ms SILK, code 1 = 120 ms (two empty frames).
        assert_eq!(packet_samples(&[(11 << 3) | 1]), Ok(5760));
        assert_eq!(packet_samples(&[0xF8, 0xFF, 0xFE]), Ok(960));
    }

    #[test]
    fn errors() {
        assert_eq!(frame_count(&[]), Err(TocError::Empty));
        assert_eq!(packet_samples(&[]), Err(TocError::Empty));
        assert_eq!(packet_samples(&[0xFB]), Err(TocError::MissingFrameCount));
        assert_eq!(packet_samples(&[0xFB, 0]), Err(TocError::ZeroFrames));
        assert_eq!(packet_samples(&[0xFB, 0xC0]), Err(TocError::ZeroFrames));
        assert_eq!(
            frame_count(&[0xFB, 49]),
            Err(TocError::TooManyFrames { count: 49 })
        );
        // Error messages say what was expected and found.
        let msg = TocError::TooLong { samples: 8640 }.to_string();
        assert!(msg.contains("8640") && msg.contains("5760"), "{msg}");
    }

    /// A packet: the given head bytes, then `body` bytes of 0xAA.
    fn pkt(head: &[u8], body: usize) -> Vec<u8> {
        let mut p = head.to_vec();
        p.extend(std::iter::repeat_n(0xAA, body));
        p
    }

    macro_rules! rule_cases {
        ($($name:ident: $packet:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let packet: Vec<u8> = $packet;
                let got = frame_lengths(&packet).map(|f| f.as_slice().to_vec());
                let want: Result<Vec<u16>, TocError> = $want;
                assert_eq!(got, want, "{packet:02x?}");
            }
        )*};
    }

    // TOC 0xF8..0xFB: config 31 (CELT FB 20 ms), mono, codes 0 to 3.
    rule_cases! {
        r1_an_empty_packet_is_refused: vec![] => Err(TocError::Empty);
        r1_a_lone_toc_byte_is_one_empty_frame: vec![0xF8] => Ok(vec![0]);
        r2_code_0_frame_of_1275_bytes_is_accepted: pkt(&[0xF8], 1275) => Ok(vec![1275]);
        r2_code_0_frame_of_1276_bytes_is_refused: pkt(&[0xF8], 1276)
            => Err(TocError::FrameTooLarge { len: 1276 });
        r2_code_1_frames_over_1275_bytes_are_refused: pkt(&[0xF9], 2 * 1276)
            => Err(TocError::FrameTooLarge { len: 1276 });
        r2_code_2_second_frame_over_1275_bytes_is_refused: pkt(&[0xF9 + 1, 0], 1276)
            => Err(TocError::FrameTooLarge { len: 1276 });
        r2_code_3_cbr_frames_over_1275_bytes_are_refused: pkt(&[0xFB, 2], 2 * 1276)
            => Err(TocError::FrameTooLarge { len: 1276 });
        r2_code_3_vbr_last_frame_over_1275_bytes_is_refused: pkt(&[0xFB, 0x82, 1], 1 + 1276)
            => Err(TocError::FrameTooLarge { len: 1276 });
        r3_code_1_with_an_even_payload_is_two_equal_frames: pkt(&[0xF9], 6) => Ok(vec![3, 3]);
        r3_code_1_with_an_odd_payload_is_refused: pkt(&[0xF9], 5)
            => Err(TocError::OddCode1Length { len: 5 });
        r4_code_2_without_a_length_byte_is_refused: vec![0xFA]
            => Err(TocError::MissingFrameLength { offset: 1 });
        r4_code_2_missing_the_second_length_byte_is_refused: vec![0xFA, 252]
            => Err(TocError::MissingFrameLength { offset: 2 });
        r4_code_2_two_byte_length_is_read: pkt(&[0xFA, 253, 1], 257 + 3) => Ok(vec![257, 3]);
        r4_code_2_length_past_the_end_is_refused: pkt(&[0xFA, 5], 4)
            => Err(TocError::FrameOverrun { offset: 1, len: 5, available: 4 });
        r4_code_2_first_frame_may_take_everything: pkt(&[0xFA, 4], 4) => Ok(vec![4, 0]);
        r5_code_3_without_a_count_byte_is_refused: vec![0xFB] => Err(TocError::MissingFrameCount);
        r5_code_3_with_no_frames_is_refused: vec![0xFB, 0x80] => Err(TocError::ZeroFrames);
        r5_code_3_over_120_ms_is_refused: pkt(&[0xFB, 7], 7)
            => Err(TocError::TooLong { samples: 6720 });
        r5_code_3_of_exactly_120_ms_is_accepted: pkt(&[0xFB, 6], 12) => Ok(vec![2; 6]);
        r6_cbr_bytes_not_a_multiple_of_the_frames_are_refused: pkt(&[0xFB, 3], 7)
            => Err(TocError::CbrNotMultiple { len: 7, frames: 3 });
        r6_cbr_padding_is_left_out_of_the_frames: pkt(&[0xFB, 0x43, 2], 6 + 2) => Ok(vec![2; 3]);
        r6_cbr_padding_of_255_adds_254_and_asks_for_more: pkt(&[0xFB, 0x41, 255, 1], 255 + 3)
            => Ok(vec![3]);
        r6_padding_length_cut_short_is_refused: vec![0xFB, 0x41, 255]
            => Err(TocError::MissingPaddingLength { offset: 3 });
        r6_padding_longer_than_the_packet_is_refused: pkt(&[0xFB, 0x41, 9], 8)
            => Err(TocError::PaddingOverrun { padding: 9, available: 8 });
        r7_vbr_lengths_are_read_and_the_last_frame_takes_the_rest: pkt(&[0xFB, 0x83, 1, 2], 6)
            => Ok(vec![1, 2, 3]);
        r7_vbr_missing_length_bytes_are_refused: vec![0xFB, 0x83, 0]
            => Err(TocError::MissingFrameLength { offset: 3 });
        r7_vbr_lengths_past_the_end_are_refused: pkt(&[0xFB, 0x83, 2, 2], 3)
            => Err(TocError::FrameOverrun { offset: 3, len: 2, available: 1 });
        r7_vbr_lengths_may_not_reach_into_the_padding: pkt(&[0xFB, 0xC2, 2, 3], 2 + 2)
            => Err(TocError::FrameOverrun { offset: 3, len: 3, available: 2 });
        r7_vbr_with_padding_is_accepted: pkt(&[0xFB, 0xC2, 2, 1], 1 + 4 + 2) => Ok(vec![1, 4]);
    }
}
