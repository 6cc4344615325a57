//! Building boxes in memory (ISO/IEC 14496-12 §4.2): a box is a 32-bit size, a four-character
//! type and its body; a full box adds a version byte and 24 bits of flags.
//!
//! ```text
//! +--------+--------+----------------------+-------------------+
//! | size32 | type4  | [version8 flags24]   | body …            |
//! +--------+--------+----------------------+-------------------+
//! size32 = 1: a 64-bit largesize follows the type (used for a large mdat only).
//! ```
//!
//! Every box but `mdat` is built here, in memory, and is small (the sample tables of a few
//! hours are some MiB): a box over 4 GiB is an [`Mp4Error::Overflow`], never a wrapped size.

use crate::error::Mp4Error;

/// A growing buffer of nested boxes; [`BoxBuf::open`] starts one, [`BoxBuf::close`] patches its
/// size.
#[derive(Debug, Default)]
pub(crate) struct BoxBuf {
    pub(crate) buf: Vec<u8>,
    open: Vec<usize>,
}

impl BoxBuf {
    pub(crate) fn new() -> BoxBuf {
        BoxBuf::default()
    }

    /// Starts a box of type `kind`.
    pub(crate) fn open(&mut self, kind: &[u8; 4]) {
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.extend_from_slice(kind);
    }

    /// Starts a full box of type `kind` (§4.2.2).
    pub(crate) fn open_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) {
        self.open(kind);
        self.u32(u32::from(version) << 24 | (flags & 0x00FF_FFFF));
    }

    /// Ends the innermost open box, writing its size.
    pub(crate) fn close(&mut self) -> Result<(), Mp4Error> {
        let start = self.open.pop().unwrap_or(0);
        let len = (self.buf.len() - start) as u64;
        let size = crate::error::fit("box size", u32::MAX, len)?;
        self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
        Ok(())
    }

    /// A box holding `body` as it is.
    pub(crate) fn leaf(&mut self, kind: &[u8; 4], body: &[u8]) -> Result<(), Mp4Error> {
        self.open(kind);
        self.bytes(body);
        self.close()
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// A 32-bit field, or (version 1 boxes) a 64-bit one.
    pub(crate) fn u32_or_u64(&mut self, wide: bool, v: u64) {
        if wide {
            self.u64(v);
        } else {
            self.u32(v as u32);
        }
    }

    /// The unity transformation matrix of `mvhd` and `tkhd` (§8.2.2.3).
    pub(crate) fn unity_matrix(&mut self) {
        self.matrix(0, 0, 0);
    }

    /// The `tkhd` matrix (§8.2.2.3) that turns a `w`x`h` picture `clockwise` degrees (0, 90,
    /// 180 or 270) for display. A point (p, q) is shown at (a·p + c·q + x, b·p + d·q + y), y
    /// pointing down, with a, b, c, d, x, y in 16.16 fixed point in the order a, b, u, c, d,
    /// v, x, y, w (u, v = 0 and w = 1 in 2.30): a quarter turn clockwise is (a, b, c, d) =
    /// (0, 1, -1, 0), moved right by the height (x = h) so that the picture stays at x >= 0.
    pub(crate) fn matrix(&mut self, clockwise: u16, w: u16, h: u16) {
        const ONE: i64 = 0x0001_0000;
        // 16.16: a width past 32 767 does not fit a signed value; its bits are written as
        // they are (players read an offset that large as unsigned anyway).
        let (w, h) = (i64::from(w) << 16, i64::from(h) << 16);
        let (a, b, c, d, x, y) = match clockwise % 360 {
            90 => (0, ONE, -ONE, 0, h, 0),
            180 => (-ONE, 0, 0, -ONE, w, h),
            270 => (0, -ONE, ONE, 0, 0, w),
            _ => (ONE, 0, 0, ONE, 0, 0),
        };
        for v in [a, b, 0, c, d, 0, x, y, 0x4000_0000] {
            self.u32(v as u32);
        }
    }
}

/// The header of an `mdat` holding `payload` bytes: 8 bytes, or 16 with a 64-bit largesize when
/// the box passes 4 GiB (§4.2.2).
pub(crate) fn mdat_header(payload: u64) -> Result<Vec<u8>, Mp4Error> {
    let small = payload.checked_add(8).filter(|&n| n <= u64::from(u32::MAX));
    let mut h = Vec::with_capacity(16);
    match small {
        Some(n) => {
            h.extend_from_slice(&(n as u32).to_be_bytes());
            h.extend_from_slice(b"mdat");
        }
        None => {
            let n = payload.checked_add(16).ok_or(Mp4Error::Overflow {
                what: "mdat size",
                limit: u64::MAX - 16,
                found: payload,
            })?;
            h.extend_from_slice(&1u32.to_be_bytes());
            h.extend_from_slice(b"mdat");
            h.extend_from_slice(&n.to_be_bytes());
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_boxes_carry_their_sizes() {
        let mut b = BoxBuf::new();
        b.open(b"moov");
        b.open_full(b"mvhd", 1, 3);
        b.bytes(&[7]);
        b.close().unwrap();
        b.close().unwrap();
        assert_eq!(
            b.buf,
            [
                0, 0, 0, 21, b'm', b'o', b'o', b'v', 0, 0, 0, 13, b'm', b'v', b'h', b'd', 1, 0, 0,
                3, 7
            ]
        );
    }

    #[test]
    fn an_mdat_past_4_gib_gets_a_64_bit_largesize() {
        assert_eq!(
            mdat_header(10).unwrap(),
            [0, 0, 0, 18, b'm', b'd', b'a', b't']
        );
        let big = u64::from(u32::MAX);
        let h = mdat_header(big).unwrap();
        assert_eq!(&h[..8], &[0, 0, 0, 1, b'm', b'd', b'a', b't']);
        assert_eq!(u64::from_be_bytes(h[8..].try_into().unwrap()), big + 16);
        assert!(mdat_header(u64::MAX).is_err());
    }
}
