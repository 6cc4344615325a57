//! The cluster being built, held until its size is known, with the frames it shares rather than
//! copies.
//!
//! Rules, and why:
//!
//! * A cluster's size comes first in the file (EBML, RFC 8794 §6: the shortest VINT), so the
//!   cluster is held until it closes. Its element headers (Timestamp, each block's ID, size,
//!   track, time and flags) are written into one buffer; a frame handed over as a
//!   [`FrameData`] (its pieces) is not copied there but held (a reference count per piece), and
//!   written where it goes when the cluster is written out. Each frame's bytes are then copied
//!   once, by the output writer, instead of twice (into the cluster, then out of it). The file
//!   is the same byte for byte.
//! * Only frames of at least [`HOLD_MIN`] bytes are held: copying a small one (an Opus packet)
//!   costs less than a write call of its own.
//! * A held piece keeps the buffer it is a slice of alive (for `mjrtool`, a 256 KiB read of a
//!   recording or a 64 KiB block of assembled frames). Pieces next to each other in memory
//!   ([`FrameData::runs`]: the payloads of packets read one after the other, the frames of one
//!   block) make a *run*, which keeps alive its own bytes, the gaps between them (at most
//!   [`FrameData::GAP`] bytes each), and at most two buffers more: those where it starts and
//!   ends. A frame whose first piece [`FrameData::follows`] the last piece held continues its
//!   run. A cluster holds at most [`RUNS_MAX`] runs and [`PIECES_MAX`] pieces; the
//!   next frames are copied. So what a cluster keeps alive besides its own bytes is, whatever
//!   the input, at most 2 × [`RUNS_MAX`] such buffers and [`PIECES_MAX`] gaps.

use std::io;

use bytes::Bytes;
use mjrtool_core::{FrameData, SharedWrite};

/// Frames shorter than this are copied into the cluster, not held.
pub(crate) const HOLD_MIN: usize = 512;
/// Most runs of pieces a cluster holds (the next frames that would start one are copied).
pub(crate) const RUNS_MAX: usize = 128;
/// Most pieces a cluster holds (the next frames are copied).
pub(crate) const PIECES_MAX: usize = 4096;

/// A block's payload as the muxer is given it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// Bytes the caller keeps: copied into the cluster.
    Borrowed(&'a [u8]),
    /// Shared pieces: held until the cluster is written, when large enough.
    Shared(&'a FrameData),
}

impl Payload<'_> {
    /// The payload's length.
    pub(crate) fn len(&self) -> usize {
        match self {
            Payload::Borrowed(b) => b.len(),
            Payload::Shared(d) => d.len(),
        }
    }

    /// The payload in one piece (copied together if it is in several).
    pub(crate) fn contiguous(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Payload::Borrowed(b) => std::borrow::Cow::Borrowed(b),
            Payload::Shared(d) => d.contiguous(),
        }
    }
}

/// How a payload goes into the cluster, as [`ClusterBuf::place`] decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placing {
    /// Held, starting this many runs.
    Held(usize),
    /// Copied into the cluster's own buffer.
    Copied,
}

/// The cluster being built: its bytes in order, partly in `inline`, partly held.
#[derive(Debug, Default)]
pub(crate) struct ClusterBuf {
    /// Headers and copied payloads.
    inline: Vec<u8>,
    /// Held pieces, each with the length of `inline` at which it goes.
    held: Vec<(usize, Bytes)>,
    /// Sum of the held pieces' lengths.
    held_len: usize,
    /// Runs of held pieces (see the module's notes).
    runs: usize,
}

impl ClusterBuf {
    /// An empty cluster with room for `capacity` bytes of headers and copies.
    pub(crate) fn with_capacity(capacity: usize) -> ClusterBuf {
        ClusterBuf {
            inline: Vec::with_capacity(capacity),
            held: Vec::new(),
            held_len: 0,
            runs: 0,
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

    /// How `data` goes in if added now: held if it is shared and large enough (and the cluster
    /// holds fewer than [`RUNS_MAX`] runs and [`PIECES_MAX`] pieces with it; see the module's
    /// notes), else copied. Writing headers into [`inline`](Self::inline) meanwhile does not
    /// change it.
    pub(crate) fn place(&self, data: Payload<'_>) -> Placing {
        let Payload::Shared(data) = data else {
            return Placing::Copied;
        };
        if data.len() < HOLD_MIN || self.held.len() + data.parts().len() > PIECES_MAX {
            return Placing::Copied;
        }
        let parts = data.parts();
        let continues = self
            .held
            .last()
            .is_some_and(|(_, last)| FrameData::follows(last, &parts[0]));
        let runs = data.runs() - usize::from(continues);
        match self.runs + runs <= RUNS_MAX {
            true => Placing::Held(runs),
            false => Placing::Copied,
        }
    }

    /// Appends a payload, as [`place`](Self::place) decided for it.
    pub(crate) fn push(&mut self, data: Payload<'_>, placing: Placing) {
        match (data, placing) {
            (Payload::Shared(d), Placing::Held(runs)) => {
                self.runs += runs;
                self.held_len += d.len();
                let at = self.inline.len();
                self.held.extend(d.parts().iter().map(|p| (at, p.clone())));
            }
            (Payload::Shared(d), _) => {
                for part in d.parts() {
                    self.inline.extend_from_slice(part);
                }
            }
            (Payload::Borrowed(b), _) => self.inline.extend_from_slice(b),
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
            if *at > from {
                w.write_all(&self.inline[from..*at])?;
            }
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
        self.runs = 0;
        if self.inline.capacity() > keep {
            self.inline = Vec::with_capacity(start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Adds `data` as the muxer does: placed, then pushed.
    fn add(c: &mut ClusterBuf, data: Payload<'_>) {
        let placing = c.place(data);
        c.push(data, placing);
    }

    /// A frame of `pieces` pieces of `len` bytes each, slices of one buffer with `gap` bytes
    /// between them (`apart`: each piece its own allocation).
    fn frame(pieces: usize, len: usize, gap: usize, byte: u8, apart: bool) -> FrameData {
        if apart {
            return FrameData::from_parts((0..pieces).map(|_| Bytes::from(vec![byte; len])));
        }
        let read = Bytes::from(vec![byte; pieces * (len + gap)]);
        FrameData::from_parts(
            (0..pieces).map(|i| read.slice(i * (len + gap)..i * (len + gap) + len)),
        )
    }

    proptest! {
        /// Whatever is held or copied, the cluster writes the bytes in the order they came, and
        /// never holds more runs or pieces than its caps.
        #[test]
        fn a_cluster_writes_what_it_was_given_in_order(
            frames in prop::collection::vec(
                (any::<bool>(), 1usize..12, 0usize..2000, 0usize..700, any::<u8>(), any::<bool>()),
                0..(RUNS_MAX + 40),
            ),
        ) {
            let mut c = ClusterBuf::with_capacity(16);
            let mut expected = Vec::new();
            for (shared, pieces, len, gap, byte, apart) in frames {
                let header = [byte, 0xA3];
                c.inline().extend_from_slice(&header);
                expected.extend_from_slice(&header);
                let data = frame(pieces, len / pieces, gap, byte, apart);
                let bytes = data.to_bytes();
                add(&mut c, if shared { Payload::Shared(&data) } else { Payload::Borrowed(&bytes) });
                expected.extend_from_slice(&bytes);
                prop_assert_eq!(c.len(), expected.len());
            }
            prop_assert!(c.runs <= RUNS_MAX);
            prop_assert!(c.held.len() <= PIECES_MAX);
            let mut out = Vec::new();
            c.write_to(&mut out).unwrap();
            prop_assert!(out == expected, "the written bytes differ");
        }
    }

    #[test]
    fn held_frames_are_let_go_when_the_cluster_is_cleared() {
        let data = Bytes::from(vec![1u8; 4096]);
        let mut c = ClusterBuf::with_capacity(16);
        add(&mut c, Payload::Shared(&data.clone().into()));
        add(&mut c, Payload::Shared(&data.slice(..100).into()));
        assert_eq!(c.held.len(), 1, "a short frame is copied, not held");
        assert!(!data.is_unique());
        c.clear(1 << 20, 16);
        assert!(data.is_unique());
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn pieces_read_one_after_the_other_are_one_run() {
        let read = Bytes::from(vec![7u8; 64 << 10]);
        let piece = |i: usize| read.slice(i * 1100..i * 1100 + 1000);
        // A piece far (more than GAP bytes) from any other: allocations made one after the
        // other may lie next to each other in memory.
        let lone = |byte: u8| Bytes::from(vec![byte; 3000]).slice(1000..1600);
        let mut c = ClusterBuf::with_capacity(16);
        // Three frames of the same read, their pieces 100 bytes apart: one run.
        for f in 0..3 {
            c.inline().extend_from_slice(b"hdr");
            add(
                &mut c,
                Payload::Shared(&FrameData::from_parts((0..4).map(|i| piece(f * 4 + i)))),
            );
        }
        assert_eq!((c.runs, c.held.len()), (1, 12));
        // A frame of its own allocation starts a run; so does a piece further than GAP away.
        add(&mut c, Payload::Shared(&lone(1).into()));
        assert_eq!(c.runs, 2);
        let far = read.slice(40_000..41_000);
        add(
            &mut c,
            Payload::Shared(&FrameData::from_parts([piece(20), far])),
        );
        assert_eq!(c.runs, 4);
        // Past the caps, frames are copied.
        let mut lones = Vec::new();
        while c.runs < RUNS_MAX {
            lones.push(lone(2)); // (kept, so that the next is not where this one was)
            add(
                &mut c,
                Payload::Shared(&lones[lones.len() - 1].clone().into()),
            );
            assert!(c.held.len() < 200);
        }
        let held = c.held.len();
        add(&mut c, Payload::Shared(&lone(3).into()));
        assert_eq!(
            c.held.len(),
            held,
            "a cluster holding RUNS_MAX runs copies the next frame"
        );
    }
}
