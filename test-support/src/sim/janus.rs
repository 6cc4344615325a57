//! What Janus does to a publisher's RTP before recording it: its switching context
//! (`janus_rtp_header_update` in Janus's `rtp.c`) hides SSRC changes, so a publisher that comes
//! back with a new SSRC continues the recording's sequence numbers, and its timestamps continue
//! from the last ones plus the time Janus saw pass between the two packets (its own arrival clock,
//! at a nominal 48 or 90 kHz). Packets of an unchanged SSRC keep their offsets, whatever their
//! jumps (a sender that resets its RTP state under the same SSRC is recorded as it is).
//!
//! Unlike a context freshly reset, the first packet maps to itself here: the recording starts with
//! the sender's own (random) bases.

/// Janus's switching context for one track.
#[derive(Debug, Clone, Default)]
pub(crate) struct SwitchingContext {
    state: Option<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    last_ssrc: u32,
    base_ts: u32,
    base_ts_prev: u32,
    base_seq: u16,
    base_seq_prev: u16,
    last_ts: u32,
    last_seq: u16,
    last_time_ns: i64,
}

impl SwitchingContext {
    /// Rewrites the sequence number and timestamp of `packet` (an RTP packet, at least 12
    /// bytes) that arrived at `arrival_ns`, on a clock of `khz` kHz.
    pub(crate) fn rewrite(&mut self, packet: &mut [u8], arrival_ns: i64, khz: u32) {
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        let ts = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
        let s = self.state.get_or_insert(State {
            last_ssrc: ssrc,
            base_ts: ts,
            base_ts_prev: ts,
            base_seq: seq,
            base_seq_prev: seq.wrapping_sub(1),
            last_ts: ts,
            last_seq: seq.wrapping_sub(1),
            last_time_ns: arrival_ns,
        });
        if ssrc != s.last_ssrc {
            s.last_ssrc = ssrc;
            let elapsed_us = (arrival_ns - s.last_time_ns).max(0) / 1000;
            let ticks = ((elapsed_us * i64::from(khz)) / 1000).max(1) as u32;
            s.base_ts_prev = s.last_ts.wrapping_add(ticks);
            s.base_ts = ts;
            s.base_seq_prev = s.last_seq;
            s.base_seq = seq;
        }
        s.last_ts = ts.wrapping_sub(s.base_ts).wrapping_add(s.base_ts_prev);
        s.last_seq = seq
            .wrapping_sub(s.base_seq)
            .wrapping_add(s.base_seq_prev)
            .wrapping_add(1);
        s.last_time_ns = arrival_ns;
        packet[2..4].copy_from_slice(&s.last_seq.to_be_bytes());
        packet[4..8].copy_from_slice(&s.last_ts.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, 111];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p
    }

    fn seq_ts(p: &[u8]) -> (u16, u32) {
        (
            u16::from_be_bytes([p[2], p[3]]),
            u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        )
    }

    #[test]
    fn one_ssrc_is_recorded_as_sent_and_a_new_one_continues_it() {
        let mut c = SwitchingContext::default();
        let mut a = packet(65535, 1000, 7);
        c.rewrite(&mut a, 0, 48);
        assert_eq!(seq_ts(&a), (65535, 1000));
        let mut b = packet(0, 1960, 7);
        c.rewrite(&mut b, 20_000_000, 48);
        assert_eq!(seq_ts(&b), (0, 1960));
        // New SSRC 2 s later with random bases: continues, timestamp + 2 s at 48 kHz.
        let mut n = packet(4242, 99, 8);
        c.rewrite(&mut n, 2_020_000_000, 48);
        assert_eq!(seq_ts(&n), (1, 1960 + 96_000));
        let mut m = packet(4243, 99 + 960, 8);
        c.rewrite(&mut m, 2_040_000_000, 48);
        assert_eq!(seq_ts(&m), (2, 1960 + 96_000 + 960));
    }
}
