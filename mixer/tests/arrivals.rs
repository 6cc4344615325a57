//! How arrival times steer the timeline: one very late packet must not move a track, a real pause
//! must (even when the sender's RTP clock stood still across it).

use bytes::Bytes;
use mixer::{CollectSink, Error, FrameSource, Mixer, MixerOptions, SourceFrame, TrackCodec};

const MS: i64 = 1_000_000;
const T0: i64 = 1_700_000_000_000 * MS;

/// Opus frames given as (RTP timestamp, arrival in ms after `T0`).
struct Scripted(std::vec::IntoIter<(u32, i64)>);

impl FrameSource for Scripted {
    fn codec(&self) -> TrackCodec {
        TrackCodec::Opus
    }
    fn start_ns(&self) -> Option<i64> {
        Some(T0)
    }
    fn next_frame(&mut self) -> Result<Option<SourceFrame>, Error> {
        Ok(self.0.next().map(|(ts, at_ms)| SourceFrame {
            rtp_timestamp: ts,
            arrival_ns: Some(T0 + at_ms * MS),
            keyframe: true,
            // A 20 ms CELT frame (TOC 0xF8) with some payload.
            data: Bytes::from_static(&[0xF8, 0x01, 0x02]),
            size: None,
        }))
    }
}

/// Output times (ms) of the real (not silence) packets, and the number of silence packets.
fn run(frames: Vec<(u32, i64)>) -> (Vec<i64>, usize) {
    let mut mixer = Mixer::new(
        vec![Box::new(Scripted(frames.into_iter()))],
        MixerOptions::default(),
    );
    let mut sink = CollectSink::default();
    mixer.run(&mut sink, &mut |_| {}).unwrap();
    let real = sink
        .frames
        .iter()
        .filter(|(_, p)| !p.synthetic)
        .map(|(_, p)| p.time_ns / MS)
        .collect();
    let silence = sink.frames.iter().filter(|(_, p)| p.synthetic).count();
    (real, silence)
}

/// Network jitter of a few ms, never negative (the network only delays).
fn jitter(i: i64) -> i64 {
    (i * 7919) % 9
}

#[test]
fn one_packet_arriving_seconds_late_does_not_move_the_track() {
    // 10 s of audio; packet 200 (at 4 s) is held up for 1.5 s and arrives in order anyway
    // (Janus writes packets as they come; the reorderer has put it back in place).
    let frames: Vec<(u32, i64)> = (0..500i64)
        .map(|i| {
            let late = if i == 200 { 1_500 } else { 0 };
            ((i * 960) as u32, i * 20 + jitter(i) + late)
        })
        .collect();
    let (times, silence) = run(frames);
    let want: Vec<i64> = (0..500).map(|i| i * 20).collect();
    assert_eq!(times, want);
    assert_eq!(silence, 0);
}

#[test]
fn a_pause_with_a_frozen_rtp_clock_stays_a_pause_in_time() {
    // 5 s of audio, then the sender stops for 3 s; when it resumes its RTP clock has moved on by
    // one packet only (as Chrome does after replaceTrack(null) and back). The first packets after
    // the pause arrive with more network delay than the ones after them.
    let mut frames = Vec::new();
    for i in 0..250i64 {
        frames.push(((i * 960) as u32, i * 20 + jitter(i)));
    }
    for k in 0..250i64 {
        let i = 250 + k;
        let extra = if k < 3 { 40 - 10 * k } else { 0 };
        frames.push(((i * 960) as u32, 8_000 + k * 20 + jitter(i) + extra));
    }
    let (times, silence) = run(frames);
    assert_eq!(times[249], 249 * 20);
    // Resumes at 8 s, on the least delayed of the packets that follow, not on the first one's
    // own (40 ms late) arrival.
    assert!(
        (times[250] - 8_000).abs() <= 10,
        "resumed at {} ms",
        times[250]
    );
    for k in 1..250 {
        assert_eq!(times[250 + k] - times[250], k as i64 * 20);
    }
    // The pause is filled with silence, so that audio stays in step with wall-clock time.
    assert!(
        (silence as i64 - 3_000 / 20).abs() <= 2,
        "{silence} silence packets"
    );
}
