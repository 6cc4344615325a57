//! What a simulated session goes through: the sender's behaviour and the network's, as a
//! [`Scenario`] built from a [`Kind`] preset and a seed.
//!
//! Every preset starts from a benign session (30 fps VP8 with a keyframe every 2 s, 20 ms Opus,
//! 30 ms of one-way delay plus exponential jitter under 40 ms, FIFO delivery) and adds one kind of
//! trouble; [`Kind::Mixed`] draws any combination of them. Times in events are milliseconds from
//! the session start (the first capture of the earlier track).

use mjr::MediaKind;

use crate::rng::Rng;

/// Which tracks an event touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracks {
    /// The audio track only.
    Audio,
    /// The video track only.
    Video,
    /// Both tracks.
    Both,
}

impl Tracks {
    /// Whether the event touches the track of this kind.
    pub fn has(self, kind: MediaKind) -> bool {
        matches!(
            (self, kind),
            (Tracks::Both, _)
                | (Tracks::Audio, MediaKind::Audio)
                | (Tracks::Video, MediaKind::Video)
        )
    }
}

/// The network path of one track: delay, jitter, loss, reordering, duplication.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Constant one-way delay, ms.
    pub base_delay_ms: f64,
    /// Mean of the exponential jitter added to each packet, ms.
    pub jitter_mean_ms: f64,
    /// Largest jitter, ms.
    pub jitter_max_ms: f64,
    /// Probability that a packet is lost on its own.
    pub loss: f64,
    /// Probability, per packet, that a loss burst starts.
    pub loss_burst_rate: f64,
    /// Mean length of a loss burst, packets.
    pub loss_burst_packets: f64,
    /// Probability that a packet is delayed past the ones sent after it (1-20 ms more).
    pub reorder: f64,
    /// Probability that a packet arrives twice (the copy 0-30 ms later).
    pub duplicate: f64,
}

impl Default for Path {
    fn default() -> Self {
        Path {
            base_delay_ms: 30.0,
            jitter_mean_ms: 4.0,
            jitter_max_ms: 40.0,
            loss: 0.0,
            loss_burst_rate: 0.0,
            loss_burst_packets: 0.0,
            reorder: 0.0,
            duplicate: 0.0,
        }
    }
}

/// Something that happens during the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Jitter of another size for a while.
    JitterBurst {
        /// Start, ms from the session start.
        at_ms: u64,
        /// Length, ms.
        len_ms: u64,
        /// Mean jitter during the burst, ms.
        mean_ms: f64,
        /// Largest jitter during the burst, ms.
        max_ms: f64,
        /// Paths affected.
        tracks: Tracks,
    },
    /// The path holds every packet sent from `at_ms` until `at_ms + len_ms`, then releases them
    /// `speedup` times faster than real time until it has caught up (FIFO; RTP timestamps are
    /// untouched).
    Stall {
        /// Start, ms from the session start.
        at_ms: u64,
        /// How long packets are held, ms.
        len_ms: u64,
        /// Release speed relative to real time (> 1).
        speedup: f64,
        /// Paths affected.
        tracks: Tracks,
    },
    /// The first packets of a track are held `delay_ms` (a stall at the track's first packet,
    /// released ten times faster than real time).
    LateStart {
        /// How long the first packet is held, ms.
        delay_ms: u64,
        /// Tracks affected.
        tracks: Tracks,
    },
    /// The sender stops for `len_ms` and resumes with its RTP clock where it stopped (the media
    /// clock does not advance across the pause, as after `replaceTrack(null)` and back).
    Pause {
        /// Start, ms from the session start.
        at_ms: u64,
        /// Length, ms.
        len_ms: u64,
        /// Tracks affected.
        tracks: Tracks,
    },
    /// The publisher goes away for `gap_ms` and comes back with a new encoder (keyframe first).
    /// The sender takes new random sequence and timestamp bases. With a new SSRC, Janus's
    /// switching context continues the recording's sequence numbers and moves its timestamps on
    /// by the time Janus saw pass between the two packets' arrivals; with the same SSRC, Janus
    /// rewrites nothing and the recording jumps to the new bases.
    Restart {
        /// When the publisher goes away, ms from the session start.
        at_ms: u64,
        /// How long it is gone, ms.
        gap_ms: u64,
        /// Keep the SSRC (raw restart) instead of taking a new one.
        same_ssrc: bool,
        /// Tracks affected.
        tracks: Tracks,
    },
    /// Audio discontinuous transmission: no packets during a silence; the RTP timestamp keeps
    /// running, so the next packet jumps.
    Dtx {
        /// Start, ms from the session start.
        at_ms: u64,
        /// Length, ms.
        len_ms: u64,
    },
}

/// The preset families of scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Network jitter only.
    Jitter,
    /// Jitter and a little loss, with short loss bursts.
    Loss,
    /// Bursts of heavy jitter.
    JitterBurst,
    /// Reordered and duplicated packets.
    Reorder,
    /// The first packets of a track held up.
    LateStart,
    /// A stall of up to 5 s on the video path or both, then a fast catch-up.
    Stall,
    /// A pause with the RTP clock standing still.
    Pause,
    /// Publisher restarts with a new SSRC (as Janus records them).
    RestartNewSsrc,
    /// Publisher restarts keeping the SSRC, with new sequence and timestamp bases.
    RestartSameSsrc,
    /// Sequence numbers and timestamps wrapping around early in the session.
    Wraparound,
    /// Sender clocks off by up to ±200 ppm against wall time.
    Drift,
    /// Audio DTX silences.
    Dtx,
    /// Audio starting up to 5 s after video.
    AudioLate,
    /// Video starting up to 5 s after audio.
    VideoLate,
    /// Any combination of the above.
    Mixed,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 15] = [
        Kind::Jitter,
        Kind::Loss,
        Kind::JitterBurst,
        Kind::Reorder,
        Kind::LateStart,
        Kind::Stall,
        Kind::Pause,
        Kind::RestartNewSsrc,
        Kind::RestartSameSsrc,
        Kind::Wraparound,
        Kind::Drift,
        Kind::Dtx,
        Kind::AudioLate,
        Kind::VideoLate,
        Kind::Mixed,
    ];

    /// The kind's name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Jitter => "jitter",
            Kind::Loss => "loss",
            Kind::JitterBurst => "jitter-burst",
            Kind::Reorder => "reorder",
            Kind::LateStart => "late-start",
            Kind::Stall => "stall",
            Kind::Pause => "pause",
            Kind::RestartNewSsrc => "restart-new-ssrc",
            Kind::RestartSameSsrc => "restart-same-ssrc",
            Kind::Wraparound => "wraparound",
            Kind::Drift => "drift",
            Kind::Dtx => "dtx",
            Kind::AudioLate => "audio-late",
            Kind::VideoLate => "video-late",
            Kind::Mixed => "mixed",
        }
    }

    /// The kind named `name` (as [`Kind::name`] writes it).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Everything that defines a simulated session; [`crate::sim::simulate`] turns it into
/// recordings, the same ones every time.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The preset it was made from.
    pub kind: Kind,
    /// Seed of every random choice (the preset's and the simulation's).
    pub seed: u64,
    /// From the first capture of the earlier track to the end of both, ms.
    pub duration_ms: u64,
    /// Audio's first capture minus video's, ms (negative: audio starts first).
    pub audio_offset_ms: i64,
    /// Video frames per second.
    pub fps: u32,
    /// A keyframe every this many video frames (and after every restart).
    pub keyframe_every: u32,
    /// Audio sender clock error: media ticks per wall second are `48000 * (1 + ppm / 1e6)`.
    pub audio_ppm: f64,
    /// Video sender clock error, as `audio_ppm`.
    pub video_ppm: f64,
    /// Start sequence numbers and timestamps just before they wrap around.
    pub wrap: bool,
    /// The audio track's network path.
    pub audio_path: Path,
    /// The video track's network path.
    pub video_path: Path,
    /// What happens, in any order.
    pub events: Vec<Event>,
}

impl Scenario {
    /// A benign session: jitter only.
    pub fn benign(seed: u64, duration_ms: u64) -> Scenario {
        Scenario {
            kind: Kind::Jitter,
            seed,
            duration_ms,
            audio_offset_ms: 0,
            fps: 30,
            keyframe_every: 60,
            audio_ppm: 0.0,
            video_ppm: 0.0,
            wrap: false,
            audio_path: Path::default(),
            video_path: Path::default(),
            events: Vec::new(),
        }
    }

    /// The preset `kind`, its details drawn from `seed`.
    pub fn preset(kind: Kind, seed: u64, duration_ms: u64) -> Scenario {
        let mut s = Scenario::benign(seed, duration_ms);
        s.kind = kind;
        let mut rng = Rng::new(seed).fork(0x5CE7);
        let jitter = rng.uniform(1.0, 8.0);
        s.audio_path.jitter_mean_ms = jitter;
        s.video_path.jitter_mean_ms = jitter;
        if kind == Kind::Mixed {
            for k in Kind::ALL {
                if k != Kind::Mixed && rng.chance(0.3) {
                    add(&mut s, k, &mut rng);
                }
            }
        } else {
            add(&mut s, kind, &mut rng);
        }
        s
    }

    /// A session of a kind drawn from `seed` (any preset, [`Kind::Mixed`] included).
    pub fn random(seed: u64, duration_ms: u64) -> Scenario {
        let kind = Kind::ALL[(Rng::new(seed).fork(0x41ED).next_u64() % 15) as usize];
        Scenario::preset(kind, seed, duration_ms)
    }

    /// A session length drawn from `seed`: 30 to 60 s.
    pub fn default_duration_ms(seed: u64) -> u64 {
        Rng::new(seed).fork(0xD0).range(30_000, 60_000)
    }
}

fn add(s: &mut Scenario, kind: Kind, rng: &mut Rng) {
    let d = s.duration_ms;
    // A moment inside the session, as a fraction of it.
    let mut at = |lo: f64, hi: f64| (d as f64 * rng.uniform(lo, hi)) as u64;
    let at1 = at(0.2, 0.6);
    let at2 = at(0.3, 0.7);
    let both_or_video = if rng.chance(0.5) {
        Tracks::Both
    } else {
        Tracks::Video
    };
    let any_tracks = [Tracks::Audio, Tracks::Video, Tracks::Both][rng.range(0, 2) as usize];
    match kind {
        Kind::Jitter | Kind::Mixed => {
            let mean = rng.uniform(2.0, 10.0);
            s.audio_path.jitter_mean_ms = mean;
            s.video_path.jitter_mean_ms = mean;
        }
        Kind::Loss => {
            for p in [&mut s.audio_path, &mut s.video_path] {
                p.loss = rng.uniform(0.002, 0.02);
                p.loss_burst_rate = 0.002;
                p.loss_burst_packets = rng.uniform(2.0, 8.0);
            }
        }
        Kind::JitterBurst => {
            for k in 0..rng.range(1, 3) {
                s.events.push(Event::JitterBurst {
                    at_ms: (d as f64 * rng.uniform(0.1, 0.8)) as u64 + k,
                    len_ms: rng.range(1_000, 4_000),
                    mean_ms: rng.uniform(40.0, 150.0),
                    max_ms: 400.0,
                    tracks: Tracks::Both,
                });
            }
        }
        Kind::Reorder => {
            for p in [&mut s.audio_path, &mut s.video_path] {
                p.reorder = rng.uniform(0.01, 0.05);
                p.duplicate = rng.uniform(0.005, 0.03);
            }
        }
        Kind::LateStart => s.events.push(Event::LateStart {
            delay_ms: rng.range(200, 2_000),
            tracks: any_tracks,
        }),
        Kind::Stall => s.events.push(Event::Stall {
            at_ms: at1,
            len_ms: rng.range(500, 5_000),
            speedup: rng.uniform(2.0, 8.0),
            tracks: both_or_video,
        }),
        Kind::Pause => s.events.push(Event::Pause {
            at_ms: at1,
            len_ms: rng.range(1_000, 10_000),
            tracks: any_tracks,
        }),
        Kind::RestartNewSsrc | Kind::RestartSameSsrc => s.events.push(Event::Restart {
            at_ms: at2,
            gap_ms: rng.range(300, 5_000),
            same_ssrc: kind == Kind::RestartSameSsrc,
            tracks: Tracks::Both,
        }),
        Kind::Wraparound => s.wrap = true,
        Kind::Drift => {
            let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
            s.audio_ppm = sign * rng.uniform(50.0, 200.0);
            s.video_ppm = -sign * rng.uniform(0.0, 200.0);
        }
        Kind::Dtx => {
            let mut t = rng.range(2_000, 6_000);
            while t + 6_000 < d {
                let len = rng.range(400, 5_000);
                s.events.push(Event::Dtx {
                    at_ms: t,
                    len_ms: len,
                });
                t += len + rng.range(2_000, 10_000);
            }
        }
        Kind::AudioLate => s.audio_offset_ms = rng.range(300, 5_000) as i64,
        Kind::VideoLate => s.audio_offset_ms = -(rng.range(300, 5_000) as i64),
    }
}
