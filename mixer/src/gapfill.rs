//! Keeping audio (Opus, multichannel Opus, decoded PCM) in step with wall-clock time across
//! losses and DTX pauses.
//!
//! Lost packets and discontinuous transmission (DTX: the sender stops sending during silence) leave
//! holes in the audio timeline. Containers and players treat such holes inconsistently: an Ogg
//! stream has no timestamps at all (the position is the count of decoded samples, so every hole
//! would pull the rest of the audio earlier), and tools that decode a WebM file to PCM (ffmpeg
//! among them) concatenate the decoded samples and so drift out of sync too. We therefore fill
//! each hole with real Opus packets that decode to silence: every decoder honours them, the file
//! stays in sync in every player and editor, and they cost 3 bytes per 20 ms.
//!
//! A hole gets the whole number of silence packets nearest to its length (none under 10 ms), and
//! the packet follows them: so every packet stays within 10 ms of its own time, and the
//! remainder never accumulates. Overlaps (a packet whose time falls before the end of the previous one)
//! are moved to the end of the previous packet, so the audio never overlaps itself. A sender
//! whose audio clock runs fast against wall time makes more samples than the wall clock has room
//! for: once a packet's time lags half a packet behind the samples written, it is dropped (and
//! counted), the mirror of the silence a slow clock gets, so audio never drifts from the timeline
//! by more than half a packet.

use bytes::Bytes;
use mjrtool_core::opus::{self, toc, OpusHead, SILENCE_20MS};
use mjrtool_core::{Codec, Frame, Nanos, Placement, TrackSpec};

const SILENCE_NS: i64 = 20_000_000;

/// How a track's frames are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// Opus packets (also multistream): their TOC says.
    Opus,
    /// 16-bit PCM: the byte count says, at this many bytes a second.
    Pcm { bytes_per_second: i64 },
}

/// Fills holes in an audio track with silence: Opus silence packets, or zero samples for
/// decoded PCM, 20 ms at a time.
///
/// A push/pop stage: [`push`](Self::push) takes the next packet, [`pop`](Self::pop) hands out
/// the silence before it, one packet at a time, then the packet itself. The silence of a hole is
/// only counted at `push` and made at `pop`, so an hour-long hole costs no memory.
#[derive(Debug)]
pub struct AudioGapFiller {
    measure: Measure,
    next_ns: Option<i64>,
    max_fill_ns: i64,
    filled_packets: u64,
    filled_ns: i64,
    unfilled_gaps: u64,
    invalid_packets: u64,
    dropped_packets: u64,
    real_ns: i64,
    silence: Bytes,
    /// Silence packets still to hand out, and the time of the next one.
    silence_left: u64,
    silence_at_ns: i64,
    /// The packet that follows that silence.
    pending: Option<(Placement, Frame)>,
}

impl Default for AudioGapFiller {
    fn default() -> Self {
        Self::new(6 * 3600 * 1_000_000_000)
    }
}

impl AudioGapFiller {
    /// The filler for a track of `spec`, `None` for a codec it cannot measure or make silence
    /// for (video, data, undecoded G.711/G.722/L16). Multichannel Opus takes its stream count
    /// from the OpusHead in [`TrackSpec::config`].
    pub fn for_spec(spec: &TrackSpec) -> Option<Self> {
        let mut filler = Self::default();
        match spec.codec {
            Codec::Opus => {}
            Codec::MultiOpus => {
                let head = OpusHead::parse(spec.config.as_deref()?).ok()?;
                let streams = head.mapping.map_or(1, |m| m.stream_count);
                filler.silence = Bytes::from(opus::multistream_silence(streams));
            }
            Codec::PcmS16Le => {
                let rate = i64::from(spec.audio_rate()?);
                let frame_bytes = 2 * i64::from(spec.channels.unwrap_or(1).max(1));
                filler.measure = Measure::Pcm {
                    bytes_per_second: rate * frame_bytes,
                };
                let silence_bytes = rate * frame_bytes * SILENCE_NS / 1_000_000_000;
                filler.silence = Bytes::from(vec![0u8; usize::try_from(silence_bytes).ok()?]);
            }
            _ => return None,
        }
        Some(filler)
    }

    /// The duration of one frame in ns, `None` when it is not valid for the codec.
    fn duration_ns(&self, data: &[u8]) -> Option<i64> {
        match self.measure {
            Measure::Opus => toc::packet_samples(data)
                .ok()
                .map(|samples| i64::from(samples) * 1_000_000_000 / 48_000),
            Measure::Pcm { bytes_per_second } => (!data.is_empty() && bytes_per_second > 0)
                .then(|| data.len() as i64 * 1_000_000_000 / bytes_per_second),
        }
    }

    /// A filler of Opus tracks that fills holes up to `max_fill_ns` long (longer ones are left as they are, so
    /// that a corrupt timestamp cannot make us write hours of silence). In all, it inserts at
    /// most an hour of silence plus four times the duration of the real packets.
    pub fn new(max_fill_ns: i64) -> Self {
        AudioGapFiller {
            measure: Measure::Opus,
            next_ns: None,
            max_fill_ns,
            filled_packets: 0,
            filled_ns: 0,
            unfilled_gaps: 0,
            invalid_packets: 0,
            dropped_packets: 0,
            real_ns: 0,
            silence: Bytes::from_static(&SILENCE_20MS),
            silence_left: 0,
            silence_at_ns: 0,
            pending: None,
        }
    }

    /// Takes the next packet at `time_ns`; [`pop`](Self::pop) then hands out the silence that
    /// precedes it and the packet. Packets that are not valid Opus (RFC 6716 §3.4) are dropped
    /// and counted. A packet pushed before the previous one was popped replaces it (the caller
    /// pops until `None` first).
    pub fn push(&mut self, time: Nanos, packet: Frame) {
        let time_ns = time.get();
        let Some(duration_ns) = self.duration_ns(&packet.data.contiguous()) else {
            self.invalid_packets += 1;
            return;
        };
        let mut time = time_ns;
        if let Some(next) = self.next_ns {
            let gap = time.saturating_sub(next);
            // A damaged file can claim hours between packets, again and again: silence is
            // also capped at an hour plus four times the real audio, so that output stays in
            // proportion to input.
            let budget = 3_600_000_000_000i64
                .saturating_add(self.real_ns.saturating_mul(4))
                .saturating_sub(self.filled_ns);
            if gap < -(duration_ns.max(SILENCE_NS) / 2) {
                // Wholly before the samples already written: the sender's clock is fast (or
                // the track was moved back); dropping it keeps the audio on the timeline.
                self.dropped_packets += 1;
                return;
            } else if gap > self.max_fill_ns || gap > budget {
                // Too long to fill: leave the hole (the packet keeps its own time).
                self.unfilled_gaps += 1;
            } else {
                let count = (gap.max(0) + SILENCE_NS / 2) / SILENCE_NS;
                self.silence_left = count as u64;
                self.silence_at_ns = next;
                self.filled_packets += count as u64;
                self.filled_ns += count * SILENCE_NS;
                // Less than half a silence packet early or late: the packet follows the
                // previous one (and its silence) without a hole or an overlap.
                time = next + count * SILENCE_NS;
            }
        }
        self.real_ns = self.real_ns.saturating_add(duration_ns);
        // The next packet is due where this one ends: that counts what was written (samples),
        // not the timestamp, so that Ogg, where the position *is* the sample count, never
        // drifts by more than one silence packet.
        self.next_ns = Some(time.saturating_add(duration_ns));
        let at = Placement {
            time: Nanos(time),
            duration: Some(Nanos(duration_ns)),
        };
        self.pending = Some((at, packet));
    }

    /// The next silence packet or packet, in time order; `None` once the last pushed packet
    /// was handed out.
    pub fn pop(&mut self) -> Option<(Placement, Frame)> {
        if self.silence_left > 0 {
            self.silence_left -= 1;
            let at = Placement {
                time: Nanos(self.silence_at_ns),
                duration: Some(Nanos(SILENCE_NS)),
            };
            self.silence_at_ns += SILENCE_NS;
            let frame = Frame::new(self.silence.clone(), 0, true).with_synthetic(true);
            return Some((at, frame));
        }
        self.pending.take()
    }

    /// Number of silence packets inserted.
    pub fn filled_packets(&self) -> u64 {
        self.filled_packets
    }

    /// Total silence inserted, in nanoseconds.
    pub fn filled_ns(&self) -> i64 {
        self.filled_ns
    }

    /// Holes longer than the fill limit that were left unfilled.
    pub fn unfilled_gaps(&self) -> u64 {
        self.unfilled_gaps
    }

    /// Packets dropped because they lay wholly before the samples already written (a sender
    /// clock running fast against wall time).
    pub fn dropped_packets(&self) -> u64 {
        self.dropped_packets
    }

    /// Packets dropped because their TOC byte was invalid.
    pub fn invalid_packets(&self) -> u64 {
        self.invalid_packets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the tests look at of a placed frame.
    #[derive(Debug)]
    struct Placed {
        time_ns: i64,
        duration_ns: Option<i64>,
        synthetic: bool,
    }

    fn push(f: &mut AudioGapFiller, time_ns: i64, packet: &'static [u8]) {
        f.push(
            Nanos(time_ns),
            Frame::new(Bytes::from_static(packet), 0, true),
        );
    }

    fn drain(f: &mut AudioGapFiller) -> impl Iterator<Item = Placed> + '_ {
        std::iter::from_fn(|| {
            f.pop().map(|(at, frame)| Placed {
                time_ns: at.time.get(),
                duration_ns: at.duration.map(Nanos::get),
                synthetic: frame.synthetic,
            })
        })
    }

    const MS: i64 = 1_000_000;

    fn run(times: &[i64]) -> (Vec<Placed>, AudioGapFiller) {
        let mut f = AudioGapFiller::default();
        let mut out = Vec::new();
        for &t in times {
            // config 1 (SILK NB 20 ms), code 0
            push(&mut f, t * MS, &[0x08, 1, 2, 3]);
            out.extend(drain(&mut f));
        }
        (out, f)
    }

    #[test]
    fn decoded_pcm_gaps_are_filled_with_zero_samples_of_the_right_length() {
        // 8 kHz mono: 20 ms = 160 samples = 320 bytes; a 40 ms hole after the first frame.
        let spec = TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(8_000));
        let mut f = AudioGapFiller::for_spec(&spec).unwrap();
        let frame = |ts| Frame::new(Bytes::from(vec![1u8; 320]), ts, true);
        let mut out = Vec::new();
        for (t, ts) in [(0, 0), (20, 160), (80, 640)] {
            f.push(Nanos(t * MS), frame(ts));
            out.extend(std::iter::from_fn(|| f.pop()));
        }
        let times: Vec<_> = out.iter().map(|(at, _)| at.time.get() / MS).collect();
        assert_eq!(times, [0, 20, 40, 60, 80]);
        let silence: Vec<_> = out.iter().filter(|(_, fr)| fr.synthetic).collect();
        assert_eq!(silence.len(), 2);
        assert!(silence
            .iter()
            .all(|(_, fr)| fr.data.len() == 320 && fr.data.contiguous().iter().all(|&b| b == 0)));
        assert_eq!(f.filled_ns(), 40 * MS);
    }

    #[test]
    fn multichannel_opus_silence_has_one_packet_per_stream() {
        let head = OpusHead::new(6, opus::PRE_SKIP, 48_000);
        let streams = head.mapping.as_ref().unwrap().stream_count;
        let spec = TrackSpec::new(Codec::MultiOpus).with_config(Some(Bytes::from(head.to_bytes())));
        let mut f = AudioGapFiller::for_spec(&spec).unwrap();
        assert_eq!(f.silence.len(), 4 * usize::from(streams) - 1);
        f.push(Nanos(0), Frame::new(f.silence.clone(), 0, true));
        f.push(Nanos(60 * MS), Frame::new(f.silence.clone(), 2880, true));
        assert_eq!(std::iter::from_fn(|| f.pop()).count(), 3); // 2 silences + the packet
        assert!(AudioGapFiller::for_spec(&TrackSpec::new(Codec::MultiOpus)).is_none());
        assert!(AudioGapFiller::for_spec(&TrackSpec::new(Codec::Pcmu)).is_none());
    }

    #[test]
    fn continuous_audio_is_untouched() {
        let (out, f) = run(&[0, 20, 40, 60]);
        assert_eq!(out.len(), 4);
        assert_eq!(f.filled_packets(), 0);
    }

    #[test]
    fn loss_and_dtx_are_filled_to_the_packet() {
        let (out, f) = run(&[0, 20, 100, 1000]);
        // 40..100: 3 silence packets; 120..1000: 44
        assert_eq!(f.filled_packets(), 3 + 44);
        assert_eq!(out.len(), 4 + 47);
        let times: Vec<i64> = out.iter().map(|p| p.time_ns / MS).collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] == 20));
        assert_eq!(*times.last().unwrap(), 1000);
    }

    #[test]
    fn sub_packet_remainders_do_not_accumulate() {
        // Holes of 30 ms: one silence packet each, and the packet follows it; the 10 ms
        // remainders never add up, so every packet stays within 20 ms of its own time and the
        // sample count (what Ogg plays by) equals the timestamps.
        let times = [0, 50, 100, 150, 200];
        let (out, _) = run(&times);
        let placed: Vec<i64> = out.iter().map(|p| p.time_ns / MS).collect();
        assert!(placed.windows(2).all(|w| w[1] - w[0] == 20), "{placed:?}");
        let real: Vec<i64> = out
            .iter()
            .filter(|p| !p.synthetic)
            .map(|p| p.time_ns / MS)
            .collect();
        for (r, t) in real.iter().zip(times) {
            assert!((t - r).abs() < 20, "{real:?}");
        }
    }

    #[test]
    fn overlaps_are_moved_after_the_previous_packet_or_dropped_past_half_a_packet() {
        // 10 ms early: moved to the end of the previous packet; then 15 ms early: dropped.
        let (out, f) = run(&[0, 10, 25]);
        let times: Vec<i64> = out.iter().map(|p| p.time_ns / MS).collect();
        assert_eq!(times, vec![0, 20]);
        assert_eq!(f.dropped_packets(), 1);
    }

    #[test]
    fn a_fast_sender_clock_loses_a_packet_rather_than_drifting() {
        // Packets 19.9 ms apart (a clock 0.5 % fast), each 20 ms long: every 200 packets the
        // samples get a whole packet ahead of the timeline, and one packet is dropped.
        let mut f = AudioGapFiller::default();
        let mut last = None;
        for i in 0..1000i64 {
            let t = i * 19_900_000;
            push(&mut f, t, &[0x08, 1, 2, 3]);
            for p in drain(&mut f) {
                assert!(
                    (p.time_ns - t).abs() <= 10 * MS,
                    "packet {i} at {} for {t}",
                    p.time_ns
                );
                last = Some(p.time_ns);
            }
        }
        assert!(last.is_some());
        assert_eq!(f.dropped_packets(), 5);
        assert_eq!(f.filled_packets(), 0);
    }

    #[test]
    fn invalid_packets_are_dropped() {
        let mut f = AudioGapFiller::default();
        push(&mut f, 0, &[]);
        push(&mut f, 0, &[0x03]); // code 3 without count byte
        assert!(f.pop().is_none());
        assert_eq!(f.invalid_packets(), 2);
    }

    #[test]
    fn silence_stays_in_proportion_to_real_audio() {
        // Ten packets, each claiming to come 5 hours after the previous one.
        let times: Vec<i64> = (0..10).map(|i| i * 5 * 3_600_000).collect();
        let (_, f) = run(&times);
        assert!(
            f.filled_ns() <= 3_600_000 * MS + 4 * 10 * 20 * MS,
            "{}",
            f.filled_ns()
        );
        assert_eq!(f.unfilled_gaps(), 9);
    }

    proptest::proptest! {
        #[test]
        fn output_is_monotonic_and_gapless(steps in proptest::collection::vec((0i64..200, 0usize..4), 1..200)) {
            // Packets of 10/20/40/60 ms (CELT FB configs), times that never go backwards.
            let tocs = [0xF0u8, 0xF8, 0x90, 0x98];
            let mut f = AudioGapFiller::new(1_000 * MS);
            let mut out = Vec::new();
            let mut t = 0;
            for (dt, k) in steps {
                t += dt * MS;
                f.push(Nanos(t), Frame::new(Bytes::copy_from_slice(&[tocs[k], 0]), 0, true));
                out.extend(drain(&mut f));
            }
            for w in out.windows(2) {
                proptest::prop_assert!(w[1].time_ns >= w[0].time_ns + w[0].duration_ns.unwrap());
            }
        }
    }
}
