//! A minimal IVF reader (the container ffmpeg writes raw VP8, VP9 and AV1 into), for the
//! fixtures: the one IVF reader of the workspace's tests, benches and generators.
//!
//! IVF: a 32-byte file header ("DKIF", version, header size, FourCC, width, height, rate, scale,
//! frame count), then frames of a 12-byte header (u32 LE size, u64 LE timestamp) and data.

use thiserror::Error;

/// A parsed IVF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ivf<'a> {
    /// FourCC, e.g. `VP80`.
    pub fourcc: [u8; 4],
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Frame rate numerator (timebase denominator).
    pub rate: u32,
    /// Frame rate denominator (timebase numerator).
    pub scale: u32,
    /// `(timestamp, data)` of each frame.
    pub frames: Vec<(u64, &'a [u8])>,
}

/// Why an IVF file could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IvfError {
    /// The file does not start with the IVF signature.
    #[error("not an IVF file: expected \"DKIF\" at offset 0")]
    NotIvf,
    /// The file ends inside a header or a frame.
    #[error(
        "IVF file truncated at offset {offset}: expected {expected} more bytes, {available} left"
    )]
    Truncated {
        /// Where the missing part starts.
        offset: usize,
        /// Bytes needed.
        expected: usize,
        /// Bytes left.
        available: usize,
    },
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a whole IVF file held in memory.
///
/// # Errors
///
/// [`IvfError`] if the signature is missing or the file ends inside a header or a frame.
pub fn parse(buf: &[u8]) -> Result<Ivf<'_>, IvfError> {
    if buf.len() < 4 || &buf[..4] != b"DKIF" {
        return Err(IvfError::NotIvf);
    }
    if buf.len() < 32 {
        return Err(IvfError::Truncated {
            offset: 0,
            expected: 32,
            available: buf.len(),
        });
    }
    let header_len = (u16le(buf, 6) as usize).max(32);
    let mut ivf = Ivf {
        fourcc: [buf[8], buf[9], buf[10], buf[11]],
        width: u16le(buf, 12),
        height: u16le(buf, 14),
        rate: u32le(buf, 16),
        scale: u32le(buf, 20),
        frames: Vec::new(),
    };
    let mut at = header_len.min(buf.len());
    while at < buf.len() {
        let left = buf.len() - at;
        if left < 12 {
            return Err(IvfError::Truncated {
                offset: at,
                expected: 12,
                available: left,
            });
        }
        let size = u32le(buf, at) as usize;
        let ts = u64::from_le_bytes(buf[at + 4..at + 12].try_into().expect("8 bytes"));
        at += 12;
        if buf.len() - at < size {
            return Err(IvfError::Truncated {
                offset: at,
                expected: size,
                available: buf.len() - at,
            });
        }
        ivf.frames.push((ts, &buf[at..at + size]));
        at += size;
    }
    Ok(ivf)
}

/// The frames of a committed IVF fixture, copied out, in order.
///
/// # Panics
///
/// If `ivf` is not a whole IVF file (fixtures are; use [`parse`] for anything else).
pub fn frames(ivf: &[u8]) -> Vec<Vec<u8>> {
    parse(ivf)
        .unwrap_or_else(|e| panic!("IVF fixture: {e}"))
        .frames
        .into_iter()
        .map(|(_, f)| f.to_vec())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fixture() {
        let ivf = parse(crate::synth::FIXTURE_VP8_IVF).unwrap();
        assert_eq!(&ivf.fourcc, b"VP80");
        assert_eq!((ivf.width, ivf.height), (320, 240));
        assert_eq!(ivf.frames.len(), 60);
    }

    #[test]
    fn truncation_is_an_error_not_a_panic() {
        let f = crate::synth::FIXTURE_VP8_IVF;
        for cut in [0, 3, 20, 33, 50, f.len() - 1] {
            assert!(parse(&f[..cut]).is_err(), "cut at {cut}");
        }
    }
}
