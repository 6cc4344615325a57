//! Synthetic recordings: realistic `.mjr` audio/video pairs of any length, made from the committed
//! fixtures by our own packetizers and MJR writer.
//!
//! The VP8 test pattern (4 s, 15 fps, keyframes every 2 s) and the Opus tone (4 s, 20 ms packets)
//! are looped with proper RTP sequence numbers and timestamps, packetized into ~1100-byte packets,
//! given arrival jitter, and optionally lost, reordered, duplicated, or restarted mid-way (new
//! SSRC, sequence and timestamp bases, like a publisher that reconnects), then written in arrival
//! order with MJR00002 packet times, as Janus would. Memory stays flat whatever the duration.

use std::collections::VecDeque;
use std::io::Write;

use mjr::{Codec, FormatVersion, Header, MediaKind, MjrWriter};
use rtp_depack::{OpusPacketizer, RtpBuilder, Vp8Packetizer};

/// The committed VP8 fixture (IVF, 320x240, 60 frames at 15 fps).
pub const FIXTURE_VP8_IVF: &[u8] = include_bytes!("../../fixtures/vp8-320x240.ivf");
/// The committed Opus fixture (Ogg Opus, mono 440 Hz tone, 20 ms packets, 4 s).
pub const FIXTURE_OPUS: &[u8] = include_bytes!("../../fixtures/tone.opus");

/// Frames per second of the VP8 fixture.
pub const VIDEO_FPS: u32 = 15;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Length of the session in ms (from the first track's start to the end of both).
    pub duration_ms: u64,
    /// Audio starts this many ms after video (negative: before).
    pub audio_delay_ms: i64,
    /// Probability that a packet is lost.
    pub loss: f64,
    /// Probability that a packet is swapped with the one before it.
    pub reorder: f64,
    /// Probability that a packet is recorded twice.
    pub duplicate: f64,
    /// If set, both publishers restart this many ms into the session.
    pub restart_at_ms: Option<u64>,
    /// How long the publishers are gone when they restart, ms.
    pub restart_pause_ms: u64,
    /// How a restart shows in the recording. `false` (the default) writes what Janus writes:
    /// the publisher comes back with a new SSRC, and Janus's RTP switching context rewrites
    /// sequence numbers to continue and timestamps to advance by the time that passed. `true`
    /// keeps the SSRC but jumps to new random sequence numbers and timestamps, as a sender that
    /// resets its RTP state would (Janus only rewrites on an SSRC change).
    pub raw_restart: bool,
    /// MJR format version to write.
    pub version: FormatVersion,
    /// Seed of the pseudo-random choices (runs are reproducible).
    pub seed: u64,
    /// Largest RTP payload.
    pub max_payload: usize,
    /// If set, VP8 frames are padded to reach this bitrate (bits/s), to model heavier video.
    /// Padding follows the last partition, which decoders ignore.
    pub video_bitrate: Option<u64>,
    /// Wall-clock time of the session start, µs since the epoch.
    pub start_unix_us: i64,
    /// Maximum arrival jitter, ms.
    pub jitter_ms: u64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            duration_ms: 10_000,
            audio_delay_ms: 0,
            loss: 0.0,
            reorder: 0.0,
            duplicate: 0.0,
            restart_at_ms: None,
            restart_pause_ms: 1000,
            raw_restart: false,
            version: FormatVersion::Mjr2,
            seed: 1,
            max_payload: 1100,
            video_bitrate: None,
            start_unix_us: 1_700_000_000_000_000,
            jitter_ms: 8,
        }
    }
}

/// What was generated, for tests to compare against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackTruth {
    /// Wall-clock time of the first frame's capture, µs since the epoch.
    pub first_capture_us: i64,
    /// Wall-clock time at which the first packet was recorded (the header's `u`), µs.
    pub first_written_us: i64,
    /// Wall-clock time of the end of the last frame, µs.
    pub end_us: i64,
    /// Frames generated.
    pub frames: u64,
    /// RTP packets generated (before loss and duplication).
    pub packets: u64,
    /// Packets dropped as lost.
    pub lost: u64,
    /// Packets written twice.
    pub duplicated: u64,
    /// Bytes of the .mjr file.
    pub bytes: u64,
}

/// The generator's own xorshift stream (not [`crate::rng::Rng`]: the recordings it makes, and
/// every number measured on them, depend on this exact sequence).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
}

/// The fixture's VP8 frames, in order.
pub fn fixture_video_frames() -> Vec<&'static [u8]> {
    crate::ivf::parse(FIXTURE_VP8_IVF)
        .expect("committed IVF fixture parses")
        .frames
        .into_iter()
        .map(|(_, f)| f)
        .collect()
}

/// The fixture's Opus packets, in order.
pub fn fixture_audio_packets() -> Vec<Vec<u8>> {
    ogg_opus::reader::read_opus_file(FIXTURE_OPUS)
        .expect("committed Opus fixture parses")
        .packets
}

struct TrackPlan<'a> {
    kind: MediaKind,
    start_us: i64,
    end_us: i64,
    frame_us: i64,
    ts_step: u32,
    frames: &'a [Vec<u8>],
    pad_to: usize,
}

/// Writes the video track of a synthetic session to `w`.
pub fn write_video<W: Write>(w: W, o: &SynthOptions) -> std::io::Result<TrackTruth> {
    let frames: Vec<Vec<u8>> = fixture_video_frames()
        .into_iter()
        .map(|f| f.to_vec())
        .collect();
    let (v_start, _, end) = bounds(o);
    let pad_to = o
        .video_bitrate
        .map_or(0, |b| (b / 8 / u64::from(VIDEO_FPS)) as usize);
    let plan = TrackPlan {
        kind: MediaKind::Video,
        start_us: v_start,
        end_us: end,
        frame_us: 1_000_000 / i64::from(VIDEO_FPS),
        ts_step: 90_000 / VIDEO_FPS,
        frames: &frames,
        pad_to,
    };
    write_track(w, o, &plan, o.seed)
}

/// Writes the audio track of a synthetic session to `w`.
pub fn write_audio<W: Write>(w: W, o: &SynthOptions) -> std::io::Result<TrackTruth> {
    let packets = fixture_audio_packets();
    let (_, a_start, end) = bounds(o);
    let plan = TrackPlan {
        kind: MediaKind::Audio,
        start_us: a_start,
        end_us: end,
        frame_us: 20_000,
        ts_step: 960,
        frames: &packets,
        pad_to: 0,
    };
    write_track(w, o, &plan, o.seed ^ 0xA0D1_0000)
}

/// (video start, audio start, end) in µs since the epoch.
fn bounds(o: &SynthOptions) -> (i64, i64, i64) {
    let delay = o.audio_delay_ms * 1000;
    let v = o.start_unix_us + (-delay).max(0);
    let a = o.start_unix_us + delay.max(0);
    (v, a, o.start_unix_us + o.duration_ms as i64 * 1000)
}

fn write_track<W: Write>(
    w: W,
    o: &SynthOptions,
    plan: &TrackPlan<'_>,
    seed: u64,
) -> std::io::Result<TrackTruth> {
    let mut rng = Rng::new(seed);
    let codec = match plan.kind {
        MediaKind::Video => Codec::Vp8,
        _ => Codec::Opus,
    };
    let mut header = Header::new(plan.kind, codec);
    header.version = o.version;
    // Janus writes the header when the first packet arrives: `u` is that time.
    let first_written = plan.start_us + (rng.next_u64() % (o.jitter_ms + 1)) as i64 * 1000;
    header.created_us = Some(plan.start_us - 1_500_000);
    header.first_written_us = Some(first_written);
    if plan.kind == MediaKind::Video {
        header.fmtp = None;
    } else {
        header.fmtp = Some("minptime=10;useinbandfec=1".into());
    }
    let mut out = CountingWriter { inner: w, bytes: 0 };
    let mut writer = MjrWriter::new(&mut out, &header)?;
    let mut truth = TrackTruth {
        first_capture_us: plan.start_us,
        first_written_us: first_written,
        ..TrackTruth::default()
    };

    let mut rtp = new_stream(&mut rng, plan.kind);
    let mut ts: u32 = rng.next_u64() as u32;
    let mut vp8 = Vp8Packetizer::new(o.max_payload, Some((rng.next_u64() & 0x7FFF) as u16));
    let mut opus = OpusPacketizer;
    let mut pending: VecDeque<(i64, Vec<u8>)> = VecDeque::new();
    let mut last_time_ms = 0u32;
    let mut frame_index = 0usize;
    let mut capture = plan.start_us;
    let mut restarted = o.restart_at_ms.is_none();
    let mut padded = Vec::new();
    let mut payloads: Vec<(Vec<u8>, bool)> = Vec::new();

    while capture + plan.frame_us <= plan.end_us {
        if !restarted {
            let at = o.start_unix_us + o.restart_at_ms.unwrap_or(0) as i64 * 1000;
            if capture >= at {
                restarted = true;
                capture += o.restart_pause_ms as i64 * 1000;
                if o.raw_restart {
                    let ssrc = rtp.ssrc;
                    rtp = new_stream(&mut rng, plan.kind);
                    rtp.ssrc = ssrc;
                    ts = rng.next_u64() as u32;
                } else {
                    // New SSRC; Janus keeps the sequence going and moves the timestamp on by
                    // the time that passed (`ts` is already one frame ahead).
                    let sequence = rtp.sequence;
                    rtp = new_stream(&mut rng, plan.kind);
                    rtp.sequence = sequence;
                    let rate = u64::from(plan.ts_step) * 1_000_000 / plan.frame_us as u64;
                    ts = ts.wrapping_add((o.restart_pause_ms * rate / 1000) as u32);
                }
                frame_index = 0;
                continue;
            }
        }
        let mut frame: &[u8] = &plan.frames[frame_index % plan.frames.len()];
        if plan.pad_to > frame.len() {
            padded.clear();
            padded.extend_from_slice(frame);
            padded.resize(plan.pad_to, 0);
            frame = &padded;
        }
        payloads.clear();
        match plan.kind {
            MediaKind::Video => vp8.packetize(frame, &mut |p: &[u8], m: bool| {
                payloads.push((p.to_vec(), m))
            }),
            _ => opus.packetize(frame, &mut |p: &[u8], m: bool| {
                payloads.push((p.to_vec(), m))
            }),
        }
        truth.frames += 1;
        for (payload, marker) in &payloads {
            let mut packet = Vec::with_capacity(payload.len() + 12);
            rtp.build(ts, *marker, payload, &[], &mut packet);
            truth.packets += 1;
            if rng.chance(o.loss) {
                truth.lost += 1;
                continue;
            }
            let arrival = capture + (rng.next_u64() % (o.jitter_ms + 1)) as i64 * 1000;
            if rng.chance(o.duplicate) {
                truth.duplicated += 1;
                pending.push_back((arrival, packet.clone()));
            }
            pending.push_back((arrival, packet));
            let n = pending.len();
            if n >= 2 && rng.chance(o.reorder) {
                pending.swap(n - 1, n - 2);
            }
        }
        while pending.len() > 8 {
            let (arrival, p) = pending.pop_front().expect("non-empty");
            last_time_ms = emit(&mut writer, first_written, arrival, last_time_ms, &p)?;
        }
        truth.end_us = capture + plan.frame_us;
        capture += plan.frame_us;
        ts = ts.wrapping_add(plan.ts_step);
        frame_index += 1;
    }
    while let Some((arrival, p)) = pending.pop_front() {
        last_time_ms = emit(&mut writer, first_written, arrival, last_time_ms, &p)?;
    }
    writer.finish()?;
    truth.bytes = out.bytes;
    Ok(truth)
}

fn new_stream(rng: &mut Rng, kind: MediaKind) -> RtpBuilder {
    let mut b = RtpBuilder::new(
        rng.next_u64() as u32,
        if kind == MediaKind::Video { 96 } else { 111 },
    );
    b.sequence = rng.next_u64() as u16;
    b
}

fn emit<W: Write>(
    writer: &mut MjrWriter<W>,
    first_written_us: i64,
    arrival_us: i64,
    last_ms: u32,
    packet: &[u8],
) -> std::io::Result<u32> {
    // Janus writes packets in arrival order, with times that never go backwards.
    let ms = (((arrival_us - first_written_us).max(0)) / 1000) as u32;
    let ms = ms.max(last_ms);
    writer.write_rtp(ms, packet)?;
    Ok(ms)
}

struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Text of a recordplay `.nfo` naming `audio` and `video` files.
pub fn nfo_text(id: u64, audio: Option<&str>, video: Option<&str>) -> String {
    let mut s = format!(
        "[{id}]\r\nname = synthetic session\r\nprivate = false\r\ndate = 2023-11-14 22:13:20\r\n"
    );
    if let Some(a) = audio {
        s.push_str(&format!("audio = {a}\r\n"));
    }
    if let Some(v) = video {
        s.push_str(&format!("video = {v}\r\n"));
    }
    s
}
