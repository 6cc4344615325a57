//! Frame assembly: the one stage, shared by every codec, that turns RTP packets into whole codec
//! frames. A codec only brings its payload rules (an [`mjrtool_core::Depacketizer`]); ordering,
//! loss, restarts and what to do after a loss are decided here, the same way for all.
//!
//! # Rules
//!
//! * **Order first.** Packets go through a [`Reorderer`] (bounded window): duplicates are dropped,
//!   late packets put back in place, and sequence numbers it gives up on are counted as lost.
//! * **A frame is the packets of one RTP timestamp**, from a packet the depacketizer says starts
//!   a frame ([`mjrtool_core::PacketRole::starts_frame`]) to the packet with the marker bit, which
//!   ends a video frame (RFC 3550 section 5.1; RFC 7741 section 4.1 for VP8). A frame also ends
//!   where the next one visibly begins (a new timestamp, or a start) when its marker was lost or
//!   never sent. For audio and data every packet is a whole frame (RFC 3551 section 4.1: the
//!   marker there only flags the start of a talkspurt), so a frame is handed out as soon as its
//!   packet is in order.
//! * **Never a frame with a hole.** A sequence gap inside a frame, or between its last packet and
//!   the next frame when its marker was not seen, drops the frame
//!   ([`DepackStats::frames_dropped_incomplete`]): the missing packet may hold its tail. So does a
//!   frame that did not begin with a start, a payload the depacketizer rejects
//!   ([`DepackStats::malformed`]), and a frame larger than [`Limits::max_frame_bytes`].
//! * **A frame's own header has the last word.** [`mjrtool_core::Depacketizer::inspect`] reads
//!   the whole frame: damage there (a frame shorter than its header declares, which is how a lost
//!   tail shows when the sender renumbers its packets) drops it as corrupt
//!   ([`DepackStats::frames_dropped_corrupt`]), and it says whether the frame is a keyframe.
//! * **Restarts are discontinuities.** A new SSRC (a new encoder: Janus keeps the sequence
//!   numbers going across it) or a new segment of the reorderer (the same SSRC back with new
//!   sequence and timestamp bases: its extended sequence numbers jump by at least 65536) marks the
//!   first frame handed out after it with [`Frame::discontinuity`], since its timestamps may map
//!   to the wall clock differently. Both count as a loss for the after-loss policy, and after a
//!   new SSRC a keyframe is needed whatever the policy: the new encoder's inter frames reference
//!   nothing received. The reorderer gets each packet's timestamp and arrival, with the codec's
//!   clock rate ([`crate::RestartRule`]), so that a new numbering that lands near the old one is
//!   not taken for duplicates, late packets or a loss.
//! * **After a loss**, [`AfterLoss`] decides: keep the complete frames (the default) or wait for
//!   the next keyframe. Frames before the first keyframe are always dropped
//!   ([`DepackStats::frames_dropped_waiting_keyframe`]); audio frames are all keyframes, so this
//!   costs them nothing.
//! * **No copy, or one.** The depacketizer finishes a frame from its parts
//!   ([`mjrtool_core::Depacketizer::complete`] with a [`FrameParts`]): a frame whose parts are
//!   the payloads as they came (VP8, a VP9 picture of one layer frame, Opus, PCM) is handed out
//!   as those slices of the packets
//!   ([`FrameParts::data`]: a [`mjrtool_core::FrameData`] of several pieces, when they lie close
//!   together in memory); one rewritten (length prefixes, OBU sizes, a superframe index) or
//!   whose parts lie apart is copied once, into a block the frames share.
//!
//! Padding-only packets (an empty payload: bandwidth probes) carry no media but take a sequence
//! number: they keep the packets around them contiguous, and are counted apart
//! ([`AssemblyStats::padding`]).

use std::borrow::Cow;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use mjrtool_core::{Depacketizer, Frame, FrameParts, MediaKind, Nanos};
use serde::Serialize;

use crate::depack::DepackStats;
use crate::reorder::{ReorderStats, Reordered, Reorderer, RestartRule};
use crate::rtp::RtpPacket;

/// What the frame assembly does with the frames that follow a loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterLoss {
    /// Drop every frame until the next keyframe: the picture freezes for that time but is
    /// never damaged, since the dropped frames reference what was lost.
    WaitForKeyframe,
    /// Drop only the frames that have a hole; keep the complete frames after them. A decoder
    /// shows them with artefacts until the next keyframe (they reference a picture it never
    /// saw), as janus-pp-rec's output does, but no frame is cut, and the video keeps moving
    /// under loss (with 3 % loss and a keyframe every 2.5 s, the freeze would keep 3 % of the
    /// frames). The default.
    #[default]
    KeepCompleteFrames,
}

/// Largest frame accepted by default: 16 MiB (a 4K keyframe is a few hundred KiB).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 << 20;

/// Bounds on what untrusted input can make the frame assembly hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame put together, in bytes ([`DEFAULT_MAX_FRAME_BYTES`]). A frame that grows
    /// past it is dropped (counted with the incomplete frames) and its packets are not kept.
    pub max_frame_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
        }
    }
}

/// What a [`FrameAssembler`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AssemblyStats {
    /// Ordering: duplicates, reordered, lost, late packets, restarts, strays.
    pub reorder: ReorderStats,
    /// Frames handed out and dropped, and why.
    pub depack: DepackStats,
    /// Padding-only packets (no payload), passed over.
    pub padding: u64,
    /// Sender restarts seen: new SSRCs and new sequence numberings.
    pub discontinuities: u64,
}

/// The one frame-assembly stage: RTP packets in, whole codec frames out, for any codec `D`.
/// See the [module docs](crate::assemble) for the rules.
///
/// It is a push/pop stage: [`push`](Self::push) each packet as read, [`pop`](Self::pop) the
/// frames it completed, [`finish`](Self::finish) at the end of the input, and `pop` again.
/// Memory is bounded by the reorder window and [`Limits::max_frame_bytes`], provided the caller
/// pops after each push.
#[derive(Debug)]
pub struct FrameAssembler<D> {
    reorder: Reorderer<(RtpPacket, Option<Nanos>)>,
    frames: Assembly<D>,
    /// The SSRC of the stream and of the one before it.
    ssrcs: (Option<u32>, Option<u32>),
    /// Packets of the previous SSRC that came after the switch to the new one.
    late_after_switch: u64,
}

impl<D: Depacketizer> FrameAssembler<D> {
    /// An assembler for `depacketizer`'s codec that holds at most `reorder_window` packets to put
    /// late ones back in order (at least 1), keeps the complete frames after a loss, and has the
    /// default [`Limits`].
    pub fn new(depacketizer: D, reorder_window: usize) -> Self {
        let mut reorder = Reorderer::new(reorder_window);
        if let Some(rate) = depacketizer.codec().clock_rate() {
            reorder = reorder.with_restart_rule(RestartRule::for_clock(rate.hz()));
        }
        FrameAssembler {
            reorder,
            frames: Assembly::new(depacketizer),
            ssrcs: (None, None),
            late_after_switch: 0,
        }
    }

    /// The same assembler, handling the frames after a loss as `after_loss` says.
    pub fn with_after_loss(mut self, after_loss: AfterLoss) -> Self {
        self.frames.after_loss = after_loss;
        self
    }

    /// The same assembler, with other bounds.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.frames.limits = limits;
        self
    }

    /// Adds a packet as read (in any order), recorded at `arrival` (wall-clock time since the
    /// Unix epoch) if known. Frames it completes are ready for [`pop`](Self::pop).
    pub fn push(&mut self, packet: RtpPacket, arrival: Option<Nanos>) {
        let (seq, ts) = (packet.header.sequence, packet.header.timestamp);
        let ssrc = packet.header.ssrc;
        match self.ssrcs {
            (Some(current), _) if current == ssrc => {}
            (Some(_), Some(previous)) if previous == ssrc => {
                // A late packet of the stream before the switch: its slot is gone.
                self.late_after_switch += 1;
                return;
            }
            (Some(current), _) => {
                self.reorder.new_stream();
                self.drain();
                self.ssrcs = (Some(ssrc), Some(current));
            }
            (None, _) => self.ssrcs = (Some(ssrc), None),
        }
        let arrival_ms = arrival.map(Nanos::as_ms_floor);
        self.reorder
            .push_timed(seq, ts, arrival_ms, (packet, arrival));
        self.drain();
    }

    /// The next complete frame, in decoding order.
    pub fn pop(&mut self) -> Option<Frame> {
        self.frames.pop().map(|a| a.frame)
    }

    /// End of input: releases the packets held for reordering (their holes are losses) and
    /// drops the frame in progress if its marker never came (its tail may be missing).
    pub fn finish(&mut self) {
        self.reorder.flush();
        self.drain();
        self.frames.finish();
    }

    /// Counters so far (complete after [`finish`](Self::finish)).
    pub fn stats(&self) -> AssemblyStats {
        let mut reorder = self.reorder.stats();
        reorder.late += self.late_after_switch;
        AssemblyStats {
            reorder,
            ..self.frames.stats.clone()
        }
    }

    /// Packets held for reordering.
    pub fn held(&self) -> usize {
        self.reorder.held()
    }

    /// The codec's depacketizer.
    pub fn depacketizer(&self) -> &D {
        &self.frames.depack
    }

    fn drain(&mut self) {
        while let Some(Reordered::Packet {
            ext_seq,
            item: (packet, arrival),
            lost_before,
        }) = self.reorder.pop()
        {
            self.frames.push(Ordered {
                packet: &packet,
                ext_seq,
                lost_before,
                arrival,
            });
        }
    }
}

/// One packet in sequence order, as the reorderer releases it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ordered<'a> {
    pub packet: &'a RtpPacket,
    pub ext_seq: i64,
    pub lost_before: u64,
    pub arrival: Option<Nanos>,
}

/// A frame handed out, with where it came from.
#[derive(Debug)]
pub(crate) struct Assembled {
    pub frame: Frame,
    pub first_ext_seq: i64,
    pub packets: u32,
}

/// The frame in progress.
#[derive(Debug)]
struct Partial {
    timestamp: u32,
    first_ext_seq: i64,
    arrival: Option<Nanos>,
    packets: u32,
    bytes: usize,
    broken: bool,
}

/// Frame assembly over packets already in sequence order (the part of [`FrameAssembler`] after
/// its reorderer).
#[derive(Debug)]
pub(crate) struct Assembly<D> {
    depack: D,
    pub after_loss: AfterLoss,
    pub limits: Limits,
    /// Audio and data: every packet is a whole frame.
    whole_packets: bool,
    cur: Option<Partial>,
    /// The payload slices of the frame in progress.
    parts: Vec<Bytes>,
    /// Where frames of several parts are put together: blocks of [`FrameParts::BLOCK`] bytes
    /// that the frames handed out share, so that joining them allocates once per block, not
    /// once per frame.
    arena: BytesMut,
    /// What the depacketizer made of the current packet.
    scratch: Vec<Bytes>,
    /// The last packet that keeps the sequence contiguous (not a padding packet after a gap).
    last_ext: Option<i64>,
    /// SSRC and extended sequence number of the last packet seen.
    last_seen: Option<(u32, i64)>,
    waiting_keyframe: bool,
    /// The first frame from this extended sequence number on follows a restart.
    discontinuity_from: Option<i64>,
    out: VecDeque<Assembled>,
    pub stats: AssemblyStats,
}

impl<D: Depacketizer> Assembly<D> {
    pub fn new(depack: D) -> Self {
        let whole_packets = matches!(
            depack.codec().kind(),
            Some(MediaKind::Audio | MediaKind::Data)
        );
        Assembly {
            depack,
            after_loss: AfterLoss::default(),
            limits: Limits::default(),
            whole_packets,
            cur: None,
            parts: Vec::new(),
            arena: BytesMut::new(),
            scratch: Vec::new(),
            last_ext: None,
            last_seen: None,
            waiting_keyframe: true,
            discontinuity_from: None,
            out: VecDeque::new(),
            stats: AssemblyStats::default(),
        }
    }

    pub fn pop(&mut self) -> Option<Assembled> {
        self.out.pop_front()
    }

    /// Something was lost: wait for a keyframe if the policy says so.
    fn lost(&mut self) {
        self.depack.lost();
        if self.after_loss == AfterLoss::WaitForKeyframe {
            self.waiting_keyframe = true;
        }
    }

    /// Notes a restart before `input`; true if there is one.
    fn restart(&mut self, input: &Ordered<'_>) -> bool {
        let ssrc = input.packet.header.ssrc;
        let ext = input.ext_seq;
        let prev = self.last_seen.replace((ssrc, ext));
        let new_ssrc = prev.is_some_and(|(s, _)| s != ssrc);
        // The reorderer moves a new numbering at least a whole cycle on.
        let new_segment = prev.is_some_and(|(_, e)| ext.saturating_sub(e) >= 1 << 16);
        if new_ssrc {
            self.depack.lost();
            self.waiting_keyframe = true;
        }
        if new_ssrc || new_segment {
            self.stats.discontinuities += 1;
            // A frame after the first restart not handed out yet carries the mark.
            self.discontinuity_from.get_or_insert(ext);
        }
        new_ssrc
    }

    pub fn push(&mut self, input: Ordered<'_>) {
        self.stats.depack.packets += 1;
        let ext = input.ext_seq;
        if self.last_ext == Some(ext) {
            return; // a duplicate that got past the reorderer
        }
        let new_ssrc = self.restart(&input);
        let gap = new_ssrc || input.lost_before > 0 || self.last_ext.is_some_and(|l| ext != l + 1);
        let p = input.packet;
        if p.header.payload_len == 0 {
            // A gap before a padding packet is still a gap after it.
            self.stats.padding += 1;
            if !gap {
                self.last_ext = Some(ext);
            }
            return;
        }
        self.last_ext = Some(ext);
        self.scratch.clear();
        let role = match self
            .depack
            .depacketize(&p.payload_bytes(), &mut self.scratch)
        {
            Ok(role) => role,
            Err(_) => {
                self.stats.depack.malformed += 1;
                // An unusable packet is a hole in whatever frame it belonged to.
                if let Some(cur) = &mut self.cur {
                    cur.broken = true;
                }
                self.lost();
                return;
            }
        };
        let ts = p.header.timestamp;
        if let Some(cur) = &mut self.cur {
            if cur.timestamp != ts || role.starts_frame {
                // The previous frame ended without its marker: complete only if nothing is
                // missing between its last packet and this one.
                cur.broken |= gap;
                self.close();
            } else {
                cur.broken |= gap;
            }
        }
        if gap && self.cur.is_none() {
            // Whole packets (maybe whole frames) are missing before this one.
            self.lost();
        }
        let cur = self.cur.get_or_insert_with(|| {
            self.parts.clear();
            Partial {
                timestamp: ts,
                first_ext_seq: ext,
                arrival: input.arrival,
                packets: 0,
                bytes: 0,
                broken: !role.starts_frame,
            }
        });
        cur.packets += 1;
        let len: usize = self.scratch.iter().map(Bytes::len).sum();
        if cur.bytes.saturating_add(len) > self.limits.max_frame_bytes {
            cur.broken = true;
        }
        cur.bytes = cur.bytes.saturating_add(len);
        if cur.broken {
            self.parts.clear(); // nothing of a dropped frame is kept
        } else {
            self.parts
                .extend(self.scratch.drain(..).filter(|b| !b.is_empty()));
        }
        if self.whole_packets || p.header.marker {
            self.close();
        }
    }

    /// Ends the frame in progress: hands it out, or counts why not.
    fn close(&mut self) {
        let Some(cur) = self.cur.take() else { return };
        if cur.broken {
            self.parts.clear();
            self.stats.depack.frames_dropped_incomplete += 1;
            self.lost();
            return;
        }
        let completed = self
            .depack
            .complete(FrameParts::new(&self.parts, &mut self.arena));
        self.parts.clear();
        let Ok((data, facts)) = completed else {
            self.stats.depack.frames_dropped_corrupt += 1;
            self.lost();
            return;
        };
        if data.is_empty() {
            // The payload rules keep it for the next frame (H.264/H.265 parameter sets before
            // a picture, `Depacketizer::complete`): nothing to hand out, nothing lost.
            return;
        }
        if self.waiting_keyframe && !facts.keyframe {
            self.stats.depack.frames_dropped_waiting_keyframe += 1;
            return;
        }
        self.waiting_keyframe = false;
        let discontinuity = self
            .discontinuity_from
            .is_some_and(|from| cur.first_ext_seq >= from);
        if discontinuity {
            self.discontinuity_from = None;
        }
        let stats = &mut self.stats.depack;
        stats.frames += 1;
        stats.keyframes += u64::from(facts.keyframe);
        stats.bytes += data.len() as u64;
        self.out.push_back(Assembled {
            frame: Frame::new(data, cur.timestamp, facts.keyframe)
                .with_arrival(cur.arrival)
                .with_size(facts.size)
                .with_config(facts.config)
                .with_discontinuity(discontinuity),
            first_ext_seq: cur.first_ext_seq,
            packets: cur.packets,
        });
    }

    /// End of input: a frame still open never got its marker, so its tail may be missing.
    pub fn finish(&mut self) {
        if let Some(cur) = &mut self.cur {
            cur.broken = true;
        }
        self.close();
    }
}

/// A read position in a frame's parts (see [`FrameParts`]), as if they were joined: what a
/// depacketizer's `complete` walks them with, to copy them once.
#[derive(Debug, Clone)]
pub(crate) struct PartsCursor<'p, T = Bytes> {
    parts: &'p [T],
    /// The part read, and the offset in it.
    part: usize,
    offset: usize,
}

impl<'p, T: AsRef<[u8]>> PartsCursor<'p, T> {
    pub fn new(parts: &'p [T]) -> Self {
        PartsCursor {
            parts,
            part: 0,
            offset: 0,
        }
    }

    /// The rest of the current part (empty at the end).
    fn here(&self) -> &'p [u8] {
        self.parts
            .get(self.part)
            .map_or(&[], |p| p.as_ref().get(self.offset..).unwrap_or_default())
    }

    /// The next `N` bytes, across parts if need be; `None` past the end.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        if let Some(a) = self.here().first_chunk::<N>() {
            self.offset += N;
            return Some(*a);
        }
        let mut a = [0; N];
        for b in &mut a {
            while self.here().is_empty() {
                if self.part >= self.parts.len() {
                    return None;
                }
                self.part += 1;
                self.offset = 0;
            }
            *b = self.here()[0];
            self.offset += 1;
        }
        Some(a)
    }

    /// The next `n` bytes (fewer at the end): borrowed when they lie in one part, else gathered.
    pub fn take(&mut self, n: usize) -> Cow<'p, [u8]> {
        while self.here().is_empty() && self.part < self.parts.len() {
            self.part += 1;
            self.offset = 0;
        }
        if let Some(slice) = self.here().get(..n) {
            self.offset += n;
            return Cow::Borrowed(slice);
        }
        let mut gathered = Vec::with_capacity(n);
        self.advance(n, |stretch| gathered.extend_from_slice(stretch));
        Cow::Owned(gathered)
    }

    /// Moves on `n` bytes (or to the end), handing each stretch of a part to `each`.
    fn advance(&mut self, mut n: usize, mut each: impl FnMut(&'p [u8])) {
        while n > 0 && self.part < self.parts.len() {
            let here = self.here();
            let take = here.len().min(n);
            each(&here[..take]);
            n -= take;
            if take == here.len() {
                self.part += 1;
                self.offset = 0;
            } else {
                self.offset += take;
            }
        }
    }

    /// Moves on `n` bytes (or to the end).
    pub fn skip(&mut self, n: usize) {
        self.advance(n, |_| {});
    }

    /// Fills `buf` with the next bytes (its start only, at the end).
    pub fn read(&mut self, buf: &mut [u8]) {
        let mut at = 0;
        self.advance(buf.len(), |stretch| {
            buf[at..at + stretch.len()].copy_from_slice(stretch);
            at += stretch.len();
        });
    }

    /// Copies the next `n` bytes (fewer at the end) to `out`.
    pub fn copy_to(&mut self, n: usize, out: &mut BytesMut) {
        self.advance(n, |stretch| out.extend_from_slice(stretch));
    }
}
