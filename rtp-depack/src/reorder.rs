//! Sequence and timestamp unwrapping, and a bounded reordering buffer.

use std::collections::VecDeque;

use serde::Serialize;

/// Extends 16-bit sequence numbers to 64 bits across wrap-arounds (both ways).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqUnwrapper {
    highest: Option<i64>,
}

impl SeqUnwrapper {
    /// The extended sequence number of `seq`: the value nearest to the highest seen so far.
    pub fn unwrap(&mut self, seq: u16) -> i64 {
        let ext = match self.highest {
            None => i64::from(seq),
            Some(h) => h + i64::from(seq.wrapping_sub(h as u16) as i16),
        };
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }
}

/// Extends 32-bit RTP timestamps to 64 bits: each step from the previous value is taken as the
/// nearest one (within ±2^31 ticks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsUnwrapper {
    last: Option<i64>,
}

impl TsUnwrapper {
    /// The extended timestamp of `ts`.
    pub fn unwrap(&mut self, ts: u32) -> i64 {
        let ext = match self.last {
            None => i64::from(ts),
            Some(l) => l + i64::from(ts.wrapping_sub(l as u32) as i32),
        };
        self.last = Some(ext);
        ext
    }
}

/// What the reorderer did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReorderStats {
    /// Packets pushed.
    pub received: u64,
    /// Copies of a packet already held or released, dropped.
    pub duplicates: u64,
    /// Packets that arrived after a later one and were put back in order.
    pub reordered: u64,
    /// Sequence numbers never received (skipped when the window filled up or at the end).
    pub lost: u64,
    /// Packets that arrived after their place had been given up, dropped.
    pub late: u64,
    /// Restarts: packets far from the stream's sequence numbers (more than twice the window
    /// behind, or more than 3000 ahead), confirmed by [`RESTART_CONFIRM`] packets agreeing on the
    /// new numbering (a sender that restarted with new bases and the same SSRC). What was held
    /// is handed out and a new segment begins.
    pub resets: u64,
    /// Packets far from the stream's sequence numbers that no others confirmed (a corrupt or
    /// very late packet), dropped.
    pub strays: u64,
}

/// How many packets must agree on a new sequence numbering before the reorderer takes it as a
/// restart (two are enough at the end of the input). Until then they are held aside.
pub const RESTART_CONFIRM: usize = 3;

/// A packet released in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reordered<T> {
    /// The next packet.
    Packet {
        /// Its extended sequence number.
        ext_seq: i64,
        /// What was pushed with it.
        item: T,
        /// How many sequence numbers were given up as lost just before it.
        lost_before: u64,
    },
}

/// Puts packets back in sequence order, drops duplicates, and gives up on missing packets once
/// `window` later packets are waiting. Memory is bounded by the window: slots are allocated once.
///
/// # Restarts
///
/// A sender that restarts keeps its SSRC but picks new random sequence and timestamp bases, so
/// its packets land anywhere relative to the old ones; taken as late or duplicate, they would be
/// dropped until the numbering caught up. A packet far from the stream (more than twice the
/// window behind the next one to hand out, or more than 3000 ahead of the highest) is held
/// aside instead: once [`RESTART_CONFIRM`] of them agree on a new numbering (each within the
/// window of the previous one), everything held is handed out and a new segment begins with
/// them ([`ReorderStats::resets`]). One that the next packets of the stream do not confirm is a
/// stray, dropped ([`ReorderStats::strays`]). Extended sequence numbers keep increasing across
/// segments, with a jump of at least 65536, so that depacketizers see the discontinuity.
#[derive(Debug)]
pub struct Reorderer<T> {
    window: usize,
    slots: Vec<Option<(i64, T)>>,
    released: Vec<i64>,
    mask: usize,
    unwrapper: SeqUnwrapper,
    next: Option<i64>,
    highest: i64,
    held: usize,
    pending_lost: u64,
    committed: bool,
    flushing: bool,
    ready: VecDeque<Reordered<T>>,
    stats: ReorderStats,
    /// Added to the unwrapped sequence numbers of the current segment.
    seg_offset: i64,
    /// Packets far from the stream, waiting for confirmation (at most [`RESTART_CONFIRM`]).
    candidates: Vec<(u16, T)>,
    /// Packets of the current stream pushed since the first candidate.
    since_candidate: usize,
}

impl<T> Reorderer<T> {
    /// A reorderer that holds at most `window` packets (at least 1).
    pub fn new(window: usize) -> Self {
        let window = window.clamp(1, 1 << 15);
        let cap = (window * 2).next_power_of_two();
        Reorderer {
            window,
            slots: (0..cap).map(|_| None).collect(),
            released: vec![i64::MIN; cap],
            mask: cap - 1,
            unwrapper: SeqUnwrapper::default(),
            next: None,
            highest: 0,
            held: 0,
            pending_lost: 0,
            committed: false,
            flushing: false,
            ready: VecDeque::with_capacity(cap),
            stats: ReorderStats::default(),
            seg_offset: 0,
            candidates: Vec::with_capacity(RESTART_CONFIRM),
            since_candidate: 0,
        }
    }

    /// Jumps ahead larger than this are not loss but a candidate restart.
    fn reset_distance(&self) -> i64 {
        (self.slots.len() as i64 * 4).max(3000)
    }

    /// Whether `seq` is far from the current stream (see [`Reorderer`], "Restarts").
    fn is_far(&self, seq: u16) -> bool {
        let (Some(next), Some(h)) = (self.next, self.unwrapper.highest) else {
            return false;
        };
        let ext = self.seg_offset + h + i64::from(seq.wrapping_sub(h as u16) as i16);
        ext < next - self.slots.len() as i64 || ext > self.highest.max(next) + self.reset_distance()
    }

    /// Adds a packet.
    pub fn push(&mut self, seq: u16, item: T) {
        self.stats.received += 1;
        self.flushing = false;
        if self.is_far(seq) {
            self.hold_candidate(seq, item);
            return;
        }
        if !self.candidates.is_empty() {
            self.since_candidate += 1;
            if self.since_candidate >= RESTART_CONFIRM {
                self.drop_candidates();
            }
        }
        let ext = self.seg_offset + self.unwrapper.unwrap(seq);
        if self.next.is_none() {
            self.next = Some(ext);
            self.highest = ext;
        }
        let mut next = self.next.unwrap_or(ext);
        if ext < next && !self.committed && self.highest.max(next) - ext < self.slots.len() as i64 {
            // Nothing handed out yet: the stream simply starts earlier than we thought.
            self.next = Some(ext);
            next = ext;
        }
        if ext < next {
            if self.released[(ext as usize) & self.mask] == ext {
                self.stats.duplicates += 1;
            } else {
                self.stats.late += 1;
            }
            return;
        }
        // Make room: give up on the oldest sequence numbers until `ext` fits the slots.
        while ext >= self.next.unwrap_or(ext) + self.slots.len() as i64 {
            self.release_one(true);
        }
        let idx = (ext as usize) & self.mask;
        if self.slots[idx].as_ref().is_some_and(|(e, _)| *e == ext) {
            self.stats.duplicates += 1;
            return;
        }
        if ext < self.highest {
            self.stats.reordered += 1;
        }
        self.highest = self.highest.max(ext);
        self.slots[idx] = Some((ext, item));
        self.held += 1;
    }

    /// Holds a packet far from the stream; restarts once enough agree.
    fn hold_candidate(&mut self, seq: u16, item: T) {
        if self.candidates.iter().any(|(s, _)| *s == seq) {
            self.stats.duplicates += 1;
            return;
        }
        if let Some(&(last, _)) = self.candidates.last() {
            let step = i64::from(seq.wrapping_sub(last) as i16);
            if step.abs() > self.window as i64 {
                // A numbering of its own: what was held were strays.
                self.drop_candidates();
            }
        }
        if self.candidates.is_empty() {
            self.since_candidate = 0;
        }
        self.candidates.push((seq, item));
        if self.candidates.len() >= RESTART_CONFIRM {
            self.restart();
        }
    }

    fn drop_candidates(&mut self) {
        self.stats.strays += self.candidates.len() as u64;
        self.candidates.clear();
    }

    /// Hands out what is held, in order and without counting the jump as loss (unless it is
    /// fewer packets than a restart needs and none was handed out yet: strays then), and starts
    /// a new segment with the candidates.
    fn restart(&mut self) {
        if !self.committed && self.held < RESTART_CONFIRM {
            // The "stream" so far was a stray or two before the real one began.
            for slot in &mut self.slots {
                self.stats.strays += u64::from(slot.take().is_some());
            }
            self.held = 0;
        } else {
            self.stats.resets += 1;
        }
        while self.held > 0 {
            self.release_one(false);
        }
        self.pending_lost = 0;
        let first = self.candidates[0].0;
        // The new segment may begin up to a whole ring (at most 65536 slots) before its first
        // candidate, when earlier packets of it arrive later: two cycles keep the jump from
        // the old segment at least one.
        let base = self.highest.max(self.next.unwrap_or(0)) + (1 << 17);
        self.seg_offset = base - i64::from(first);
        self.unwrapper = SeqUnwrapper::default();
        self.next = None;
        self.highest = base;
        self.committed = false;
        let held = std::mem::replace(&mut self.candidates, Vec::with_capacity(RESTART_CONFIRM));
        for (seq, item) in held {
            self.stats.received -= 1;
            self.push(seq, item);
        }
    }

    /// Releases the slot at `next` (or counts it lost) into the ready queue.
    fn release_one(&mut self, count_loss: bool) {
        let Some(next) = self.next else { return };
        self.committed = true;
        let idx = (next as usize) & self.mask;
        match self.slots[idx].take() {
            Some((ext, item)) if ext == next => {
                self.held -= 1;
                self.released[idx] = ext;
                let lost_before = std::mem::take(&mut self.pending_lost);
                self.ready.push_back(Reordered::Packet {
                    ext_seq: ext,
                    item,
                    lost_before,
                });
            }
            other => {
                self.slots[idx] = other;
                if count_loss {
                    self.stats.lost += 1;
                    self.pending_lost += 1;
                }
            }
        }
        self.next = Some(next + 1);
    }

    /// The next packet in order, if it can be released now.
    pub fn pop(&mut self) -> Option<Reordered<T>> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(r);
            }
            let next = self.next?;
            if self.held == 0 {
                return None;
            }
            let present = self.slots[(next as usize) & self.mask]
                .as_ref()
                .is_some_and(|(e, _)| *e == next);
            // Until the first release, an earlier packet may still come: wait for the window.
            if (present && self.committed)
                || self.flushing
                || self.held >= self.window
                || self.highest - next >= self.window as i64
            {
                self.release_one(true);
            } else {
                return None;
            }
        }
    }

    /// End of input: [`Reorderer::pop`] now releases everything held, skipping holes. Packets
    /// held as a candidate restart are handed out if at least two agree, else dropped as strays.
    pub fn flush(&mut self) {
        if self.candidates.len() >= 2 {
            self.restart();
        } else {
            self.drop_candidates();
        }
        self.flushing = true;
    }

    /// Packets held, waiting for earlier ones (or for a restart to be confirmed).
    pub fn held(&self) -> usize {
        self.held + self.candidates.len()
    }

    /// Counters so far.
    pub fn stats(&self) -> ReorderStats {
        self.stats.clone()
    }
}
