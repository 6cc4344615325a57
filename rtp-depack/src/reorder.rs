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

/// Extends 32-bit RTP timestamps to 64 bits (one implementation, in the core).
pub use mjrtool_core::TsUnwrapper;

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
    /// behind, or more than 3000 ahead), or whose timestamps fit none of their neighbours (under
    /// a [`RestartRule`]), confirmed by [`RESTART_CONFIRM`] packets agreeing on the
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

/// When a packet's RTP timestamp says it belongs to another numbering (see [`Reorderer`],
/// "Restarts"). A sender that restarts picks a random timestamp base, so its packets are
/// hours of media away from what their sequence numbers imply in the old stream; a duplicate
/// repeats the timestamp of the packet it copies, and a late or lost packet's timestamp fits
/// its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartRule {
    /// The RTP clock rate, in Hz (at least 1).
    pub clock_hz: u32,
    /// Media time a timestamp may stray from its neighbours' beyond what the sequence distance
    /// explains, in ms (10 s by default).
    pub far_ms: u64,
    /// Media time one packet may cover at most when arrival times are known, in ms (a long
    /// frame: 200 by default). A longer stretch must match the arrival times.
    pub packet_ms: u64,
    /// The same when arrival times are unknown (1000 by default: a DTX silence packet, a
    /// one-packet frame of a slow screen share).
    pub packet_ms_blind: u64,
}

impl RestartRule {
    /// The default rule for a clock of `clock_hz`.
    pub fn for_clock(clock_hz: u32) -> Self {
        RestartRule {
            clock_hz: clock_hz.max(1),
            far_ms: 10_000,
            packet_ms: 200,
            packet_ms_blind: 1_000,
        }
    }

    /// Whether `t`, `dseq` packets from `r`, fits the same stream.
    fn fits(&self, dseq: u64, r: Timing, t: Timing) -> bool {
        let dmedia_ms =
            i64::from(t.ts.wrapping_sub(r.ts) as i32) * 1000 / i64::from(self.clock_hz.max(1));
        let (wall, per_packet) = match (r.arrival_ms, t.arrival_ms) {
            (Some(a), Some(b)) => (Some(b - a), self.packet_ms),
            _ => (None, self.packet_ms_blind),
        };
        let allowed = self.far_ms.saturating_add(dseq.saturating_mul(per_packet));
        dmedia_ms.unsigned_abs() <= allowed
            || wall.is_some_and(|w| dmedia_ms.abs_diff(w) <= self.far_ms)
    }
}

/// A packet's RTP timestamp and arrival time (ms, any origin), for [`RestartRule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timing {
    ts: u32,
    arrival_ms: Option<i64>,
}

/// Packets at most this far ahead of the highest are the stream's continuation whatever their
/// timestamp (unless it goes back): a DTX silence or a pause moves the timestamp by seconds
/// while the sequence number moves by one.
const CONTINUATION: i64 = 4;

/// How far the timestamp check looks for a packet on each side of a new one.
const NEIGHBOUR_SCAN: i64 = 16;

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
///
/// A new numbering may also land near the old one (a few hundred below it, where its packets
/// look like duplicates, or a few thousand ahead, where they look like a loss). Packets pushed
/// with their timestamp ([`Reorderer::push_timed`]) under a [`RestartRule`] are checked against
/// the nearest packets held or handed out: one whose timestamp fits none of them is a restart
/// candidate too, and the candidates must also agree on timestamps. The continuation of the
/// stream (at most a few sequence numbers ahead, timestamp not going back) is never checked, so
/// that a DTX silence or a pause is no restart.
#[derive(Debug)]
pub struct Reorderer<T> {
    window: usize,
    slots: Vec<Option<(i64, T)>>,
    /// Timing of the packet held in each slot.
    slot_timing: Vec<Option<Timing>>,
    released: Vec<i64>,
    /// Timing of the packet last released from each slot.
    released_timing: Vec<Option<Timing>>,
    /// How timestamps tell a restart (none: sequence numbers only).
    rule: Option<RestartRule>,
    /// The highest packet of the segment stored so far, with its timing.
    top: Option<(i64, Timing)>,
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
    candidates: Vec<(u16, Option<Timing>, T)>,
    /// Packets of the current stream pushed since the first candidate.
    since_candidate: usize,
    /// Set by [`Reorderer::new_stream`]: the base the next packet's extended number gets.
    fresh_base: Option<i64>,
}

impl<T> Reorderer<T> {
    /// A reorderer that holds at most `window` packets (at least 1).
    pub fn new(window: usize) -> Self {
        let window = window.clamp(1, 1 << 15);
        let cap = (window * 2).next_power_of_two();
        Reorderer {
            window,
            slots: (0..cap).map(|_| None).collect(),
            slot_timing: vec![None; cap],
            released: vec![i64::MIN; cap],
            released_timing: vec![None; cap],
            rule: None,
            top: None,
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
            fresh_base: None,
        }
    }

    /// The same reorderer, telling restarts by timestamps too, as `rule` says (for packets
    /// pushed with [`Reorderer::push_timed`]).
    pub fn with_restart_rule(mut self, rule: RestartRule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// Jumps ahead larger than this are not loss but a candidate restart.
    fn reset_distance(&self) -> i64 {
        (self.slots.len() as i64 * 4).max(3000)
    }

    /// Whether `seq` is far from the current stream (see [`Reorderer`], "Restarts").
    fn is_far(&self, seq: u16) -> bool {
        let Some(next) = self.next else { return false };
        let Some(ext) = self.peek_ext(seq) else {
            return false;
        };
        ext < next - self.slots.len() as i64 || ext > self.highest.max(next) + self.reset_distance()
    }

    /// The extended sequence number `seq` would get, without moving the unwrapper.
    fn peek_ext(&self, seq: u16) -> Option<i64> {
        let h = self.unwrapper.highest?;
        Some(self.seg_offset + h + i64::from(seq.wrapping_sub(h as u16) as i16))
    }

    /// The timing of the packet held or released as `ext`, if known.
    fn known(&self, ext: i64) -> Option<Timing> {
        let idx = (ext as usize) & self.mask;
        if self.slots[idx].as_ref().is_some_and(|(e, _)| *e == ext) {
            self.slot_timing[idx]
        } else if self.released[idx] == ext {
            self.released_timing[idx]
        } else {
            None
        }
    }

    /// Whether the timestamp of a packet numbered `seq` fits none of its neighbours (see
    /// [`Reorderer`], "Restarts").
    fn is_foreign(&self, seq: u16, t: Timing) -> bool {
        let (Some(rule), Some((top, top_t)), Some(ext)) = (self.rule, self.top, self.peek_ext(seq))
        else {
            return false;
        };
        let fits = |e: i64, r: Timing| rule.fits(ext.abs_diff(e), r, t);
        if ext > top && ext - top <= CONTINUATION {
            // Onwards: only a timestamp going back far is foreign, or one that fits the restart
            // candidates held (the new numbering's) and not the stream's top.
            let back_ms = i64::from(top_t.ts.wrapping_sub(t.ts) as i32) * 1000
                / i64::from(rule.clock_hz.max(1));
            if back_ms > 0 && back_ms.unsigned_abs() > rule.far_ms {
                return true;
            }
            return self.candidates.last().is_some_and(|&(c, ct, _)| {
                let dseq = u64::from((seq.wrapping_sub(c) as i16).unsigned_abs());
                ct.is_some_and(|ct| rule.fits(dseq, ct, t)) && !fits(top, top_t)
            });
        }
        if let Some(own) = self.known(ext) {
            return !fits(ext, own);
        }
        let below = (1..=NEIGHBOUR_SCAN).find_map(|d| self.known(ext - d).map(|r| (ext - d, r)));
        let above = (1..=NEIGHBOUR_SCAN).find_map(|d| self.known(ext + d).map(|r| (ext + d, r)));
        match (below, above) {
            (None, None) => !fits(top, top_t),
            (b, a) => !b.into_iter().chain(a).any(|(e, r)| fits(e, r)),
        }
    }

    /// Adds a packet, telling restarts by sequence numbers only.
    pub fn push(&mut self, seq: u16, item: T) {
        self.push_inner(seq, None, item);
    }

    /// Adds a packet with its RTP timestamp and arrival time (ms, any origin, if known): under a
    /// [`RestartRule`], a timestamp that fits none of its neighbours makes it a restart candidate
    /// even when its sequence number looks like a duplicate, a late packet or a loss.
    pub fn push_timed(&mut self, seq: u16, ts: u32, arrival_ms: Option<i64>, item: T) {
        self.push_inner(seq, Some(Timing { ts, arrival_ms }), item);
    }

    fn push_inner(&mut self, seq: u16, timing: Option<Timing>, item: T) {
        self.stats.received += 1;
        self.flushing = false;
        if self.is_far(seq) || timing.is_some_and(|t| self.is_foreign(seq, t)) {
            self.hold_candidate(seq, timing, item);
            return;
        }
        if !self.candidates.is_empty() {
            self.since_candidate += 1;
            if self.since_candidate >= RESTART_CONFIRM {
                self.drop_candidates();
            }
        }
        if let Some(base) = self.fresh_base.take() {
            self.seg_offset = base - i64::from(seq);
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
        self.slot_timing[idx] = timing;
        if let Some(t) = timing {
            if self.top.is_none_or(|(e, _)| ext > e) {
                self.top = Some((ext, t));
            }
        }
        self.held += 1;
    }

    /// Holds a packet far from the stream; restarts once enough agree.
    fn hold_candidate(&mut self, seq: u16, timing: Option<Timing>, item: T) {
        if self.candidates.iter().any(|(s, _, _)| *s == seq) {
            self.stats.duplicates += 1;
            return;
        }
        if let Some(&(last, last_t, _)) = self.candidates.last() {
            let step = i64::from(seq.wrapping_sub(last) as i16);
            let disagree = match (self.rule, last_t, timing) {
                (Some(rule), Some(r), Some(t)) => !rule.fits(step.unsigned_abs(), r, t),
                _ => false,
            };
            if step.abs() > self.window as i64 || disagree {
                // A numbering of its own: what was held were strays.
                self.drop_candidates();
            }
        }
        if self.candidates.is_empty() {
            self.since_candidate = 0;
        }
        self.candidates.push((seq, timing, item));
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
        self.top = None;
        self.committed = false;
        let held = std::mem::replace(&mut self.candidates, Vec::with_capacity(RESTART_CONFIRM));
        for (seq, timing, item) in held {
            self.stats.received -= 1;
            self.push_inner(seq, timing, item);
        }
    }

    /// The packets pushed from now on are another stream (a new SSRC): those held are handed
    /// out, and the next packets are numbered on their own, in a new segment (a jump of two
    /// cycles), so that numbers the new stream shares with the old one (Janus continues the
    /// numbering from the first new packet that reaches it, so a new packet sent earlier but
    /// arriving later gets a number of the old stream) are neither duplicates nor late.
    pub fn new_stream(&mut self) {
        self.drop_candidates();
        while self.held > 0 {
            self.release_one(false);
        }
        self.pending_lost = 0;
        if self.next.is_none() {
            return;
        }
        self.fresh_base = Some(self.highest.max(self.next.unwrap_or(0)) + (1 << 17));
        self.unwrapper = SeqUnwrapper::default();
        self.next = None;
        self.top = None;
        self.committed = false;
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
                self.released_timing[idx] = self.slot_timing[idx].take();
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
