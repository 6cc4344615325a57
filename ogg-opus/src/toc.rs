//! Opus packet TOC byte parsing (RFC 6716 sections 3.1 and 3.2).
//!
//! The first byte of every Opus packet (the TOC byte) holds a 5-bit
//! configuration number (which fixes the frame duration), a stereo flag, and a
//! 2-bit frame-count code. Together with the frame-count byte of code 3
//! packets this gives the packet's duration, which is all an Ogg muxer needs
//! to compute granule positions.

/// Most audio one Opus packet may carry: 120 ms at 48 kHz.
pub const MAX_PACKET_SAMPLES: u32 = 5760;

/// Most frames a code 3 packet may declare (48 frames of 2.5 ms = 120 ms).
pub const MAX_FRAMES: u32 = 48;

/// Why a packet's TOC sequence was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TocError {
    /// The packet has no bytes at all.
    #[error("empty Opus packet: expected at least 1 byte (the TOC byte), found 0")]
    Empty,
    /// A code 3 packet ends right after its TOC byte.
    #[error("code 3 Opus packet has no frame count byte: expected at least 2 bytes, found 1")]
    MissingFrameCount,
    /// A code 3 packet declares zero frames.
    #[error("code 3 Opus packet declares 0 frames: expected 1..=48")]
    ZeroFrames,
    /// A code 3 packet declares more than 48 frames.
    #[error("code 3 Opus packet declares {count} frames: expected 1..=48")]
    TooManyFrames {
        /// Declared frame count.
        count: u32,
    },
    /// The packet would last longer than 120 ms.
    #[error("Opus packet lasts {samples} samples at 48 kHz: expected at most 5760 (120 ms)")]
    TooLong {
        /// Declared duration in 48 kHz samples.
        samples: u32,
    },
}

/// Duration of one frame, in 48 kHz samples, for the configuration in `toc`.
///
/// SILK-only configurations (0..=11) last 10/20/40/60 ms, hybrid ones
/// (12..=15) 10/20 ms and CELT-only ones (16..=31) 2.5/5/10/20 ms.
///
/// ```
/// use ogg_opus::toc::frame_duration_samples;
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

/// Duration of `packet` in 48 kHz samples (frame count x frame duration).
///
/// ```
/// use ogg_opus::toc::packet_samples;
/// assert_eq!(packet_samples(&[0xF8, 0xFF, 0xFE]), Ok(960));
/// assert!(packet_samples(&[]).is_err());
/// ```
///
/// # Errors
/// Everything [`frame_count`] rejects, plus [`TocError::TooLong`] when the
/// packet would exceed 120 ms (5760 samples).
pub fn packet_samples(packet: &[u8]) -> Result<u32, TocError> {
    let frames = frame_count(packet)?;
    // Both factors are small (<= 48 and <= 2880), so this cannot overflow.
    let samples = frames * frame_duration_samples(packet[0]);
    if samples > MAX_PACKET_SAMPLES {
        return Err(TocError::TooLong { samples });
    }
    Ok(samples)
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
                        1 | 2 => {
                            assert_eq!(frame_count(&[toc]), Ok(2));
                            assert_eq!(packet_samples(&[toc, 9]), Ok(2 * frame));
                        }
                        _ => {
                            for m in 1u8..=63 {
                                // Bits 6 and 7 (VBR, padding) must not matter.
                                for flags in [0u8, 0x40, 0x80, 0xC0] {
                                    let pkt = [toc, m | flags];
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
        // 60 ms SILK, code 1 = 120 ms.
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
}
