//! [`FrameData`]: a frame's bytes, in one piece or in the pieces it came in.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::SharedWrite;

/// The bytes of one frame: a single [`Bytes`], or several in order.
///
/// A video frame that came in several packets is kept as the packets' payloads, which are
/// slices of what was read from the recording, so that it is never copied on its way to the
/// output: a container writes the pieces one after the other
/// ([`write_to`](Self::write_to), which hands each to a [`SharedWrite`] by reference). Whoever
/// needs the frame in one piece asks for [`contiguous`](Self::contiguous) (no copy for a frame of
/// one piece) or [`to_bytes`](Self::to_bytes).
///
/// Two `FrameData` are equal when their bytes are, however they are cut; a `FrameData` also
/// compares with byte slices, vectors, arrays and [`Bytes`].
///
/// ```
/// use bytes::Bytes;
/// use mjrtool_core::FrameData;
///
/// let data = FrameData::from_parts([Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]);
/// assert_eq!(data.len(), 4);
/// assert_eq!(data.parts().len(), 2);
/// assert_eq!(&data.contiguous()[..], b"abcd");
/// assert_eq!(data, FrameData::from(&b"abcd"[..]));
///
/// let mut out = Vec::new();
/// data.write_to(&mut out).unwrap();
/// assert_eq!(out, b"abcd");
/// ```
#[derive(Clone)]
pub struct FrameData {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    One(Bytes),
    /// At least two pieces, none empty, and their total length.
    Many(Arc<[Bytes]>, usize),
}

impl FrameData {
    /// Most bytes between the end of one piece and the start of the next for
    /// [`follows`](Self::follows): room for what separates two payloads read one after the
    /// other (a recording's frame header, an RTP header with its extensions and padding, a
    /// payload descriptor).
    pub const GAP: usize = 512;

    /// Whether `next` starts in memory at most [`GAP`](Self::GAP) bytes after `prev` ends: the
    /// two are slices of one read of a recording (or of reads next to each other in memory), so
    /// holding both keeps alive little more than holding one.
    pub fn follows(prev: &[u8], next: &[u8]) -> bool {
        let end = prev.as_ptr() as usize + prev.len();
        let start = next.as_ptr() as usize;
        start >= end && start - end <= Self::GAP
    }

    /// Most runs of memory ([`runs`](Self::runs)) the pieces of a frame the frame assembly
    /// hands out lie in ([`FrameParts::data`](crate::FrameParts::data)): one read of a
    /// recording, or two when the frame straddles them.
    pub const MAX_RUNS: usize = 2;

    /// In how many runs of memory the pieces lie: taken in the order of their addresses, a
    /// piece that starts at most [`GAP`](Self::GAP) bytes after the furthest end so far (or
    /// inside what came before) continues a run, any other starts one. Each run keeps alive its
    /// pieces, the gaps between them, and at most the rest of the two buffers where it starts
    /// and ends.
    pub fn runs(&self) -> usize {
        Self::count_runs(self.parts())
    }

    /// [`runs`](Self::runs) of `parts`.
    pub(crate) fn count_runs(parts: &[Bytes]) -> usize {
        if parts.windows(2).all(|w| Self::follows(&w[0], &w[1])) {
            return usize::from(!parts.is_empty());
        }
        // Out of order (reordered packets) or apart: by address (on the stack for a frame of up
        // to 64 packets).
        let span = |p: &Bytes| (p.as_ptr() as usize, p.as_ptr() as usize + p.len());
        let mut few = [(0, 0); 64];
        let mut many = Vec::new();
        let spans = match few.get_mut(..parts.len()) {
            Some(few) => few,
            None => {
                many.resize(parts.len(), (0, 0));
                &mut many[..]
            }
        };
        for (s, p) in spans.iter_mut().zip(parts) {
            *s = span(p);
        }
        spans.sort_unstable();
        let mut runs = 0;
        let mut end: Option<usize> = None;
        for &mut (start, stop) in spans {
            match end {
                Some(e) if start <= e.saturating_add(Self::GAP) => end = Some(stop.max(e)),
                _ => {
                    runs += 1;
                    end = Some(stop);
                }
            }
        }
        runs
    }

    /// No bytes.
    pub const fn new() -> FrameData {
        FrameData {
            repr: Repr::One(Bytes::new()),
        }
    }

    /// The pieces in order (empty ones are left out).
    pub fn from_parts<I: IntoIterator<Item = Bytes>>(parts: I) -> FrameData {
        let mut parts: Vec<Bytes> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        match parts.len() {
            0 => FrameData::new(),
            1 => FrameData::from(parts.pop().unwrap_or_default()),
            _ => {
                let len = parts.iter().map(Bytes::len).sum();
                FrameData {
                    repr: Repr::Many(parts.into(), len),
                }
            }
        }
    }

    /// At least two `parts`, none empty, of `len` bytes in all (one allocation, for the list).
    pub(crate) fn from_nonempty(parts: &[Bytes], len: usize) -> FrameData {
        FrameData {
            repr: Repr::Many(parts.into(), len),
        }
    }

    /// Bytes in all the pieces.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::One(b) => b.len(),
            Repr::Many(_, len) => *len,
        }
    }

    /// No bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pieces, in order: one for a frame in one piece (none empty, except the one piece of
    /// an empty frame).
    pub fn parts(&self) -> &[Bytes] {
        match &self.repr {
            Repr::One(b) => std::slice::from_ref(b),
            Repr::Many(parts, _) => parts,
        }
    }

    /// The frame in one piece: borrowed when it is one, else the pieces copied together.
    pub fn contiguous(&self) -> Cow<'_, [u8]> {
        match &self.repr {
            Repr::One(b) => Cow::Borrowed(b),
            Repr::Many(..) => Cow::Owned(self.to_vec()),
        }
    }

    /// The first `n` bytes (all of them if there are fewer): borrowed when the first piece holds
    /// them, else copied together.
    pub fn prefix(&self, n: usize) -> Cow<'_, [u8]> {
        let first = &self.parts()[0];
        if first.len() >= n || first.len() == self.len() {
            return Cow::Borrowed(&first[..n.min(first.len())]);
        }
        let mut out = Vec::with_capacity(n.min(self.len()));
        for part in self.parts() {
            let room = n - out.len();
            if room == 0 {
                break;
            }
            out.extend_from_slice(&part[..room.min(part.len())]);
        }
        Cow::Owned(out)
    }

    /// The frame as one [`Bytes`]: the piece itself when it is one, else the pieces copied into
    /// a new buffer.
    pub fn to_bytes(&self) -> Bytes {
        match &self.repr {
            Repr::One(b) => b.clone(),
            Repr::Many(..) => Bytes::from(self.to_vec()),
        }
    }

    /// The bytes, copied into one vector.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.append_to(&mut out);
        out
    }

    /// Appends the bytes to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.len());
        for part in self.parts() {
            out.extend_from_slice(part);
        }
    }

    /// Writes the pieces to `out` in order, each by reference
    /// ([`SharedWrite::write_shared`]).
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn write_to<W: SharedWrite + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        for part in self.parts() {
            out.write_shared(part)?;
        }
        Ok(())
    }

    /// Whether `self`'s bytes are `other`.
    fn equals(&self, other: &[u8]) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let mut rest = other;
        self.parts().iter().all(|part| {
            let (head, tail) = rest.split_at(part.len());
            rest = tail;
            head == &part[..]
        })
    }
}

impl Default for FrameData {
    fn default() -> Self {
        FrameData::new()
    }
}

impl fmt::Debug for FrameData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As `Bytes` shows itself (b"..."), whatever the pieces.
        match &self.repr {
            Repr::One(b) => fmt::Debug::fmt(b, f),
            Repr::Many(..) => fmt::Debug::fmt(&self.to_bytes(), f),
        }
    }
}

impl From<Bytes> for FrameData {
    fn from(b: Bytes) -> Self {
        FrameData { repr: Repr::One(b) }
    }
}

impl From<BytesMut> for FrameData {
    fn from(b: BytesMut) -> Self {
        FrameData::from(b.freeze())
    }
}

impl From<Vec<u8>> for FrameData {
    fn from(v: Vec<u8>) -> Self {
        FrameData::from(Bytes::from(v))
    }
}

impl From<&'static [u8]> for FrameData {
    fn from(s: &'static [u8]) -> Self {
        FrameData::from(Bytes::from_static(s))
    }
}

impl<const N: usize> From<&'static [u8; N]> for FrameData {
    fn from(s: &'static [u8; N]) -> Self {
        FrameData::from(Bytes::from_static(s))
    }
}

impl From<FrameData> for Bytes {
    fn from(d: FrameData) -> Self {
        d.to_bytes()
    }
}

impl PartialEq for FrameData {
    fn eq(&self, other: &FrameData) -> bool {
        match &other.repr {
            Repr::One(b) => self.equals(b),
            Repr::Many(..) => self.len() == other.len() && self.equals(&other.contiguous()),
        }
    }
}

impl Eq for FrameData {}

impl PartialEq<[u8]> for FrameData {
    fn eq(&self, other: &[u8]) -> bool {
        self.equals(other)
    }
}

impl PartialEq<&[u8]> for FrameData {
    fn eq(&self, other: &&[u8]) -> bool {
        self.equals(other)
    }
}

impl<const N: usize> PartialEq<[u8; N]> for FrameData {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.equals(other)
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for FrameData {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.equals(*other)
    }
}

impl PartialEq<Vec<u8>> for FrameData {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.equals(other)
    }
}

impl PartialEq<Bytes> for FrameData {
    fn eq(&self, other: &Bytes) -> bool {
        self.equals(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cut(bytes: &[u8], cuts: &[usize]) -> FrameData {
        let all = Bytes::copy_from_slice(bytes);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        FrameData::from_parts(points.windows(2).map(|w| all.slice(w[0]..w[1])))
    }

    proptest! {
        /// However a frame is cut into pieces, it reads, writes, compares and prefixes as its
        /// bytes.
        #[test]
        fn pieces_read_as_the_bytes_they_cut(
            bytes in prop::collection::vec(any::<u8>(), 0..64),
            cuts in prop::collection::vec(any::<usize>(), 0..6),
            other_cuts in prop::collection::vec(any::<usize>(), 0..6),
            n in 0usize..80,
        ) {
            let data = cut(&bytes, &cuts);
            prop_assert_eq!(data.len(), bytes.len());
            prop_assert_eq!(data.is_empty(), bytes.is_empty());
            prop_assert!(data.parts().iter().all(|p| !p.is_empty()) || data.parts().len() == 1);
            prop_assert_eq!(&data.contiguous()[..], &bytes[..]);
            prop_assert_eq!(&data.to_bytes()[..], &bytes[..]);
            prop_assert_eq!(&data.prefix(n)[..], &bytes[..n.min(bytes.len())]);
            let mut out = Vec::new();
            data.write_to(&mut out).unwrap();
            prop_assert_eq!(&out, &bytes);
            let mut appended = vec![7u8];
            data.append_to(&mut appended);
            prop_assert_eq!(&appended[1..], &bytes[..]);
            prop_assert_eq!(&data, &cut(&bytes, &other_cuts));
            prop_assert!(data == bytes);
            prop_assert_eq!(Bytes::from(data.clone()), Bytes::from(bytes.clone()));
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(data != longer);
            prop_assert!(data != cut(&longer, &other_cuts));
            if let Some(first) = bytes.first() {
                let mut changed = bytes.clone();
                changed[bytes.len() - 1] ^= 1;
                prop_assert!(data != changed);
                prop_assert!(data != cut(&changed, &other_cuts), "{first}");
            }
        }
    }

    #[test]
    fn one_piece_is_borrowed_and_shown_as_bytes() {
        let data = FrameData::from(Bytes::from_static(b"abc"));
        assert!(matches!(data.contiguous(), Cow::Borrowed(_)));
        assert!(matches!(data.prefix(2), Cow::Borrowed(b"ab")));
        let two = FrameData::from_parts([Bytes::from_static(b"ab"), Bytes::from_static(b"c")]);
        assert_eq!(format!("{two:?}"), format!("{data:?}"));
        assert_eq!(format!("{two:?}"), "b\"abc\"");
        assert!(matches!(two.prefix(2), Cow::Borrowed(b"ab")));
        assert_eq!(FrameData::from_parts([]).parts().len(), 1);
        assert_eq!(FrameData::default(), FrameData::from(Vec::new()));
    }
}
