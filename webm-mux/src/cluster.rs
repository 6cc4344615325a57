//! The cluster being built, held until its size is known, with the frames it shares rather than
//! copies.
//!
//! Rules, and why:
//!
//! * A cluster's size comes first in the file (EBML, RFC 8794 §6: the shortest VINT), so the
//!   cluster is held until it closes. Its element headers (Timestamp, each block's ID, size,
//!   track, time and flags) are written into one buffer; a frame handed over as [`Bytes`] is
//!   not copied there but held (a reference count), and written where it goes when the cluster
//!   is written out. Each frame's bytes are then copied once, by the output writer, instead of
//!   twice (into the cluster, then out of it). The file is the same byte for byte.
//! * Only frames of at least [`HOLD_MIN`] bytes are held: copying a small one (an Opus packet)
//!   costs less than a write call of its own.
//! * At most [`HOLD_MAX`] frames are held per cluster; the next ones are copied. A held frame
//!   keeps the buffer it is a slice of alive (for `mjrtool`, a 256 KiB read of a recording or
//!   a 64 KiB block of assembled frames), so this caps what a cluster can keep alive besides
//!   its own bytes: [`HOLD_MAX`] such buffers, whatever the input.

use std::io;

use bytes::Bytes;
use mjrtool_core::SharedWrite;

/// Frames shorter than this are copied into the cluster, not held.
pub(crate) const HOLD_MIN: usize = 512;
/// Most frames a cluster holds (the next ones are copied).
pub(crate) const HOLD_MAX: usize = 256;

/// A block's payload as the muxer is given it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// Bytes the caller keeps: copied into the cluster.
    Borrowed(&'a [u8]),
    /// A shared buffer: held until the cluster is written, when large enough.
    Shared(&'a Bytes),
}

impl Payload<'_> {
    /// The payload's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Payload::Borrowed(b) => b,
            Payload::Shared(b) => b,
        }
    }

    /// How many of its bytes go into the cluster's own buffer when it is added now to `c`.
    pub(crate) fn copied_len(&self, c: &ClusterBuf) -> usize {
        match self {
            Payload::Shared(b) if c.would_hold(b.len()) => 0,
            _ => self.bytes().len(),
        }
    }
}

/// The cluster being built: its bytes in order, partly in `inline`, partly held.
#[derive(Debug, Default)]
pub(crate) struct ClusterBuf {
    /// Headers and copied payloads.
    inline: Vec<u8>,
    /// Held payloads, each with the length of `inline` at which it goes.
    held: Vec<(usize, Bytes)>,
    /// Sum of the held payloads' lengths.
    held_len: usize,
}

impl ClusterBuf {
    /// An empty cluster with room for `capacity` bytes of headers and copies.
    pub(crate) fn with_capacity(capacity: usize) -> ClusterBuf {
        ClusterBuf {
            inline: Vec::with_capacity(capacity),
            held: Vec::new(),
            held_len: 0,
        }
    }

    /// The cluster's size so far (its body: what its size field will say).
    pub(crate) fn len(&self) -> usize {
        self.inline.len() + self.held_len
    }

    /// The buffer headers are written into (appended after everything so far).
    pub(crate) fn inline(&mut self) -> &mut Vec<u8> {
        &mut self.inline
    }

    fn would_hold(&self, len: usize) -> bool {
        len >= HOLD_MIN && self.held.len() < HOLD_MAX
    }

    /// Appends a payload: held if it is shared and large enough (and the cluster holds fewer
    /// than [`HOLD_MAX`]), else copied.
    pub(crate) fn push(&mut self, data: Payload<'_>) {
        match data {
            Payload::Shared(b) if self.would_hold(b.len()) => {
                self.held.push((self.inline.len(), b.clone()));
                self.held_len += b.len();
            }
            _ => self.inline.extend_from_slice(data.bytes()),
        }
    }

    /// Makes room for `len` more bytes of headers and copies, growing by doubling up to `max`
    /// (or exactly what is needed past it).
    pub(crate) fn reserve(&mut self, len: usize, max: usize) {
        let need = self.inline.len() + len;
        if need > self.inline.capacity() {
            let grown = (2 * self.inline.capacity()).min(max);
            self.inline
                .reserve_exact(need.max(grown) - self.inline.len());
        }
    }

    /// Writes the cluster's body to `w`, in order.
    ///
    /// # Errors
    ///
    /// Those of `w`.
    pub(crate) fn write_to<W: SharedWrite>(&self, w: &mut W) -> io::Result<()> {
        let mut from = 0;
        for (at, payload) in &self.held {
            w.write_all(&self.inline[from..*at])?;
            w.write_shared(payload)?;
            from = *at;
        }
        w.write_all(&self.inline[from..])
    }

    /// Empties the cluster (letting the held frames go); gives back the memory of a buffer grown
    /// past `keep` bytes (it held a block larger than a cluster), keeping `start` bytes.
    pub(crate) fn clear(&mut self, keep: usize, start: usize) {
        self.inline.clear();
        self.held.clear();
        self.held_len = 0;
        if self.inline.capacity() > keep {
            self.inline = Vec::with_capacity(start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is held or copied, the cluster writes the bytes in the order they came.
        #[test]
        fn a_cluster_writes_what_it_was_given_in_order(
            parts in prop::collection::vec((any::<bool>(), 0usize..2000, any::<u8>()), 0..(HOLD_MAX + 40)),
        ) {
            let mut c = ClusterBuf::with_capacity(16);
            let mut expected = Vec::new();
            for (shared, len, byte) in parts {
                let header = [byte, 0xA3];
                c.inline().extend_from_slice(&header);
                expected.extend_from_slice(&header);
                let data = Bytes::from(vec![byte; len]);
                c.push(if shared { Payload::Shared(&data) } else { Payload::Borrowed(&data) });
                expected.extend_from_slice(&data);
                prop_assert_eq!(c.len(), expected.len());
            }
            prop_assert!(c.held.len() <= HOLD_MAX);
            let mut out = Vec::new();
            c.write_to(&mut out).unwrap();
            prop_assert!(out == expected, "the written bytes differ");
        }
    }

    #[test]
    fn held_frames_are_let_go_when_the_cluster_is_cleared() {
        let data = Bytes::from(vec![1u8; 4096]);
        let mut c = ClusterBuf::with_capacity(16);
        c.push(Payload::Shared(&data));
        c.push(Payload::Shared(&data.slice(..100)));
        assert_eq!(c.held.len(), 1, "a short frame is copied, not held");
        assert!(!data.is_unique());
        c.clear(1 << 20, 16);
        assert!(data.is_unique());
        assert_eq!(c.len(), 0);
    }
}
