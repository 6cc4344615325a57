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
    /// Sequence jumps too large to be loss (a new stream): the buffer restarted.
    pub resets: u64,
}

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
        }
    }

    /// Jumps larger than this (either way) start a new stream rather than count as loss.
    fn reset_distance(&self) -> i64 {
        (self.slots.len() as i64 * 4).max(3000)
    }

    /// Adds a packet.
    pub fn push(&mut self, seq: u16, item: T) {
        self.stats.received += 1;
        self.flushing = false;
        let ext = self.unwrapper.unwrap(seq);
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
            if next - ext > self.reset_distance() {
                self.reset(seq, item);
            } else if self.released[(ext as usize) & self.mask] == ext {
                self.stats.duplicates += 1;
            } else {
                self.stats.late += 1;
            }
            return;
        }
        if ext - self.highest.max(next) > self.reset_distance() {
            self.reset(seq, item);
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

    fn reset(&mut self, seq: u16, item: T) {
        self.stats.resets += 1;
        // Hand out what is held, in order, without counting the jump as loss.
        while self.held > 0 {
            self.release_one(false);
        }
        self.pending_lost = 0;
        self.unwrapper = SeqUnwrapper::default();
        let ext = self.unwrapper.unwrap(seq);
        self.next = Some(ext);
        self.highest = ext;
        self.committed = false;
        self.stats.received -= 1;
        self.push(seq, item);
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

    /// End of input: [`Reorderer::pop`] now releases everything held, skipping holes.
    pub fn flush(&mut self) {
        self.flushing = true;
    }

    /// Packets held, waiting for earlier ones.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Counters so far.
    pub fn stats(&self) -> ReorderStats {
        self.stats.clone()
    }
}
