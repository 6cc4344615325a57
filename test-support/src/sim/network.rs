//! The network between the sender and Janus: delay and jitter (FIFO), jitter bursts, stalls that
//! hold packets and release them faster than real time, held-up first packets, loss (alone and in
//! bursts), reordering and duplicates.

use mjr::MediaKind;

use super::scenario::{Event, Path, Scenario};
use super::sender::Sent;
use crate::rng::Rng;

const MS: f64 = 1e6;

/// One packet as Janus received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Wall-clock time it reached Janus, ns since the epoch.
    pub arrival_ns: i64,
    /// Its index in the sender's list.
    pub packet: usize,
}

/// A span of send times during which packets are held, then released `speedup` times faster
/// than real time.
#[derive(Debug, Clone, Copy)]
struct Hold {
    from_ns: i64,
    len_ns: i64,
    speedup: f64,
}

impl Hold {
    /// The earliest a packet sent at `send_ns` can leave the hold.
    fn release(&self, send_ns: i64) -> i64 {
        if send_ns < self.from_ns {
            return i64::MIN;
        }
        self.from_ns + self.len_ns + ((send_ns - self.from_ns) as f64 / self.speedup) as i64
    }
}

fn holds(s: &Scenario, kind: MediaKind, first_send_ns: i64, start_ns: i64) -> Vec<Hold> {
    s.events
        .iter()
        .filter_map(|e| match *e {
            Event::Stall {
                at_ms,
                len_ms,
                speedup,
                tracks,
            } if tracks.has(kind) => Some(Hold {
                from_ns: start_ns + (at_ms as f64 * MS) as i64,
                len_ns: (len_ms as f64 * MS) as i64,
                speedup: speedup.max(1.01),
            }),
            Event::LateStart { delay_ms, tracks } if tracks.has(kind) => Some(Hold {
                from_ns: first_send_ns,
                len_ns: (delay_ms as f64 * MS) as i64,
                speedup: 10.0,
            }),
            _ => None,
        })
        .collect()
}

/// Jitter (mean, max) in ms for a packet sent at `send_ns`.
fn jitter_at(
    s: &Scenario,
    path: &Path,
    kind: MediaKind,
    send_ns: i64,
    start_ns: i64,
) -> (f64, f64) {
    let rel_ms = (send_ns - start_ns) as f64 / MS;
    for e in &s.events {
        if let Event::JitterBurst {
            at_ms,
            len_ms,
            mean_ms,
            max_ms,
            tracks,
        } = *e
        {
            if tracks.has(kind) && rel_ms >= at_ms as f64 && rel_ms < (at_ms + len_ms) as f64 {
                return (mean_ms, max_ms);
            }
        }
    }
    (path.jitter_mean_ms, path.jitter_max_ms)
}

/// Delivers the packets of one track: returns what reached Janus, in arrival order (ties in
/// send order).
pub(crate) fn deliver(
    s: &Scenario,
    kind: MediaKind,
    packets: &[Sent],
    start_ns: i64,
    rng: &mut Rng,
) -> Vec<Delivery> {
    let path = if kind == MediaKind::Video {
        &s.video_path
    } else {
        &s.audio_path
    };
    let first_send = packets.first().map_or(start_ns, |p| p.send_ns);
    let holds = holds(s, kind, first_send, start_ns);
    let mut out = Vec::with_capacity(packets.len() + packets.len() / 16);
    let mut fifo = i64::MIN;
    let mut in_burst = false;
    for (i, p) in packets.iter().enumerate() {
        if in_burst {
            in_burst = !rng.chance(1.0 / path.loss_burst_packets.max(1.0));
            continue;
        }
        if rng.chance(path.loss_burst_rate) {
            in_burst = true;
            continue;
        }
        if rng.chance(path.loss) {
            continue;
        }
        let (mean, max) = jitter_at(s, path, kind, p.send_ns, start_ns);
        let delay = path.base_delay_ms + rng.exponential(mean, max);
        let mut arrival = p.send_ns + (delay * MS) as i64;
        for h in &holds {
            arrival = arrival.max(h.release(p.send_ns));
        }
        // The path delivers in order...
        arrival = arrival.max(fifo);
        fifo = arrival;
        // ...except for the odd packet that takes longer.
        if rng.chance(path.reorder) {
            arrival += (rng.uniform(1.0, 20.0) * MS) as i64;
        }
        out.push(Delivery {
            arrival_ns: arrival,
            packet: i,
        });
        if rng.chance(path.duplicate) {
            out.push(Delivery {
                arrival_ns: arrival + (rng.uniform(0.0, 30.0) * MS) as i64,
                packet: i,
            });
        }
    }
    out.sort_by_key(|d| (d.arrival_ns, d.packet));
    out
}
