//! How arrival times steer the timeline: one very late packet must not move a track, a real pause
//! must (even when the sender's RTP clock stood still across it).

use std::convert::Infallible;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, FrameSource, Nanos, Placement, TrackSpec};
use mjrtool_timeline::{CollectSink, Mixer, MixerOptions};

type Source = Box<dyn FrameSource<Error = Infallible>>;

const MS: i64 = 1_000_000;
const T0: i64 = 1_700_000_000_000 * MS;

/// Opus frames given as (RTP timestamp, arrival in ms after `T0`).
struct Scripted(std::vec::IntoIter<(u32, i64)>);

impl FrameSource for Scripted {
    type Error = Infallible;
    fn spec(&self) -> TrackSpec {
        TrackSpec::new(Codec::Opus).with_start(Some(Nanos(T0)))
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, Infallible> {
        Ok(self.0.next().map(|(ts, at_ms)| {
            // A 20 ms CELT frame (TOC 0xF8) with some payload.
            Frame::new(Bytes::from_static(&[0xF8, 0x01, 0x02]), ts, true)
                .with_arrival(Some(Nanos(T0 + at_ms * MS)))
        }))
    }
}

/// Output times (ms) of the real (not silence) packets, and the number of silence packets.
fn run(frames: Vec<(u32, i64)>) -> (Vec<i64>, usize) {
    let mut mixer = Mixer::<Source>::new(
        vec![Box::new(Scripted(frames.into_iter()))],
        MixerOptions::default(),
    );
    let mut sink = CollectSink::default();
    mixer.run(&mut sink, &mut |_| {}).unwrap();
    let real = sink
        .frames
        .iter()
        .filter(|(_, _, f)| !f.synthetic)
        .map(|(_, at, _)| at.time.get() / MS)
        .collect();
    let silence = sink.frames.iter().filter(|(_, _, f)| f.synthetic).count();
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

/// Frames of any codec given as (RTP timestamp, arrival in µs after `T0`).
struct Frames {
    codec: Codec,
    frames: std::vec::IntoIter<(u32, i64)>,
    data: Bytes,
}

impl Frames {
    fn new(codec: Codec, frames: Vec<(u32, i64)>) -> Self {
        let data = match codec {
            Codec::Opus => Bytes::from_static(&[0xF8, 0x01, 0x02]),
            _ => Bytes::from_static(&[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]),
        };
        Frames {
            codec,
            frames: frames.into_iter(),
            data,
        }
    }
}

impl FrameSource for Frames {
    type Error = Infallible;
    fn spec(&self) -> TrackSpec {
        TrackSpec::new(self.codec.clone()).with_start(Some(Nanos(T0)))
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, Infallible> {
        Ok(self.frames.next().map(|(ts, at_us)| {
            Frame::new(self.data.clone(), ts, true).with_arrival(Some(Nanos(T0 + at_us * 1000)))
        }))
    }
}

/// Checks each frame against a function of its index (the truth, ns), on the fly: the largest
/// error and whether each track's times strictly increase.
struct Scorer<F: Fn(usize, usize) -> i64> {
    truth: F,
    seen: Vec<usize>,
    last: Vec<Option<i64>>,
    max_err_ns: Vec<i64>,
    not_increasing: usize,
}

impl<F: Fn(usize, usize) -> i64> Scorer<F> {
    fn new(tracks: usize, truth: F) -> Self {
        Scorer {
            truth,
            seen: vec![0; tracks],
            last: vec![None; tracks],
            max_err_ns: vec![0; tracks],
            not_increasing: 0,
        }
    }
}

impl<F: Fn(usize, usize) -> i64> FrameSink for Scorer<F> {
    type Error = Infallible;
    fn open(&mut self, _tracks: &[TrackSpec]) -> Result<(), Infallible> {
        Ok(())
    }
    fn write(&mut self, track: usize, at: Placement, frame: &Frame) -> Result<(), Infallible> {
        if frame.synthetic {
            return Ok(());
        }
        let time_ns = at.time.get();
        let i = self.seen[track];
        self.seen[track] += 1;
        let err = (time_ns - (self.truth)(track, i)).abs();
        self.max_err_ns[track] = self.max_err_ns[track].max(err);
        if self.last[track].is_some_and(|l| time_ns <= l) {
            self.not_increasing += 1;
        }
        self.last[track] = Some(time_ns);
        Ok(())
    }
    fn finish(&mut self, _duration: Nanos) -> Result<(), Infallible> {
        Ok(())
    }
}

#[test]
fn a_stall_that_catches_up_moves_nothing_and_times_keep_increasing() {
    // 30 fps video for 20 s; from 5 s the path stalls: packets are held until 9 s (up to 4 s
    // late), then the backlog arrives ten times faster than real time. The RTP clock is right
    // all along.
    let frame_us = 1_000_000 / 30;
    let mut release_us = 0i64;
    let frames: Vec<(u32, i64)> = (0..600i64)
        .map(|i| {
            let capture = i * frame_us;
            let stalled = (5_000_000..9_000_000).contains(&capture);
            let at = if stalled {
                9_000_000.max(release_us + frame_us / 10)
            } else {
                capture.max(release_us + frame_us / 10)
            };
            release_us = at;
            ((i * 3000) as u32, at + jitter(i) * 1000)
        })
        .collect();
    let mut mixer = Mixer::<Source>::new(
        vec![Box::new(Frames::new(Codec::Vp8, frames))],
        MixerOptions::default(),
    );
    let mut sink = Scorer::new(1, |_, i| i as i64 * frame_us * 1000);
    let summary = mixer.run(&mut sink, &mut |_| {}).unwrap();
    assert_eq!(sink.seen[0], 600);
    assert_eq!(sink.not_increasing, 0);
    assert!(
        sink.max_err_ns[0] <= 10 * MS,
        "off by {} ms",
        sink.max_err_ns[0] / MS
    );
    assert_eq!(summary.tracks[0].reanchors, 0);
}

#[test]
fn late_first_packets_do_not_delay_the_track() {
    // The first 2 s of audio arrive up to 900 ms late (a connection ramping up), the rest on
    // time: the track starts where its least delayed packets put it.
    let frames: Vec<(u32, i64)> = (0..500i64)
        .map(|i| {
            let late = (900 - i * 9).max(0);
            ((i * 960) as u32, (i * 20 + late + jitter(i)) * 1000)
        })
        .collect();
    let mut mixer = Mixer::<Source>::new(
        vec![Box::new(Frames::new(Codec::Opus, frames))],
        MixerOptions::default(),
    );
    let infos = mixer.prepare::<()>().unwrap();
    assert_eq!(infos[0].first_wall_ns, Some(T0));
    let mut sink = Scorer::new(1, |_, i| i as i64 * 20 * MS);
    mixer.run(&mut sink, &mut |_| {}).unwrap();
    assert!(
        sink.max_err_ns[0] <= 2 * MS,
        "off by {} ms",
        sink.max_err_ns[0] / MS
    );
}

#[test]
fn sender_clock_drift_is_followed_over_three_hours() {
    // Audio whose RTP clock runs 200 ppm slow and video whose clock runs 200 ppm fast, for
    // three hours (unfollowed, they would end 4.3 s apart). Arrivals carry 0-8 ms of jitter.
    let hours = 3;
    let audio: Vec<(u32, i64)> = (0..hours * 180_000i64)
        .map(|i| {
            let capture_us = i * 20_000;
            let ts = (capture_us as f64 * 0.048 * (1.0 - 200e-6)) as u32;
            (ts, capture_us + jitter(i) * 1000)
        })
        .collect();
    let video: Vec<(u32, i64)> = (0..hours * 108_000i64)
        .map(|i| {
            let capture_us = i * 100_000 / 3;
            let ts = (capture_us as f64 * 0.09 * (1.0 + 200e-6)) as u32;
            (ts, capture_us + jitter(i + 3) * 1000)
        })
        .collect();
    let mut mixer = Mixer::<Source>::new(
        vec![
            Box::new(Frames::new(Codec::Opus, audio)),
            Box::new(Frames::new(Codec::Vp8, video)),
        ],
        MixerOptions::default(),
    );
    let mut sink = Scorer::new(2, |track, i| {
        if track == 0 {
            i as i64 * 20 * MS
        } else {
            i as i64 * 100 * MS / 3
        }
    });
    mixer.run(&mut sink, &mut |_| {}).unwrap();
    assert_eq!(sink.not_increasing, 0);
    // Each track within 20 ms of its truth all along, so A/V within 40 ms.
    for (track, err) in sink.max_err_ns.iter().enumerate() {
        assert!(*err <= 20 * MS, "track {track} off by {} ms", err / MS);
    }
}

#[test]
fn a_track_whose_every_frame_is_refused_is_empty() {
    // Opus packets whose TOC says code 3 without a frame count byte: the gap filler drops them
    // all, so the track must be reported empty before any sink is made, not after.
    struct Broken(u32);
    impl FrameSource for Broken {
        type Error = Infallible;
        fn spec(&self) -> TrackSpec {
            TrackSpec::new(Codec::Opus).with_start(Some(Nanos(T0)))
        }
        fn next_frame(&mut self) -> Result<Option<Frame>, Infallible> {
            if self.0 == 0 {
                return Ok(None);
            }
            self.0 -= 1;
            Ok(Some(Frame::new(
                Bytes::from_static(&[0x03]),
                self.0 * 960,
                true,
            )))
        }
    }
    let mut mixer = Mixer::<Source>::new(vec![Box::new(Broken(50))], MixerOptions::default());
    let infos = mixer.prepare::<()>().unwrap();
    assert!(infos[0].empty);
    let summary = mixer.run(&mut CollectSink::default(), &mut |_| {}).unwrap();
    assert_eq!(summary.tracks[0].frames, 0);
    assert_eq!(summary.tracks[0].invalid_frames, 50);
}

#[test]
fn a_timestamp_jumping_back_with_useless_arrival_times_never_piles_frames_up() {
    // 30 fps video whose RTP timestamps jump back by 10 s after 3 s, and whose packet times are
    // all the same (a damaged recording: every MJR time 0). Frames must stay a frame apart.
    let frames: Vec<(u32, i64)> = (0..300i64)
        .map(|i| {
            let ts = if i < 90 { i * 3000 } else { i * 3000 - 900_000 };
            ((ts + 5_000_000) as u32, 0)
        })
        .collect();
    let times = video_times(frames);
    assert_eq!(times.len(), 300);
    assert_frames_apart(&times, 20 * MS);
}

#[test]
fn a_track_anchored_late_catches_up_without_piling_frames() {
    // 30 fps video whose first 25 s arrive 400 ms late (a sender that lagged from the start,
    // longer than the start window), then on time: the start is anchored 400 ms late, and once
    // whole blocks of frames prove it, the track catches up, a few ms per frame.
    let frame_us = 1_000_000 / 30;
    let frames: Vec<(u32, i64)> = (0..1800i64)
        .map(|i| {
            let capture = i * frame_us;
            let late = if capture < 25_000_000 { 400_000 } else { 0 };
            ((i * 3000) as u32, capture + late + jitter(i) * 1000)
        })
        .collect();
    let times = video_times(frames);
    assert_eq!(times.len(), 1800);
    assert_frames_apart(&times, 20 * MS);
    // Output times count from the first frame, which was placed 400 ms late: by the end the
    // track is back on its clock, 400 ms earlier relative to that first frame.
    let last = *times.last().unwrap();
    let truth = 1799 * frame_us * 1000 - 400 * MS;
    assert!(
        (last - truth).abs() <= 15 * MS,
        "ends {} ms off",
        (last - truth) / MS
    );
}

/// Output times of a video track of `frames` (RTP timestamp, arrival in µs after `T0`).
fn video_times(frames: Vec<(u32, i64)>) -> Vec<i64> {
    let mut mixer = Mixer::<Source>::new(
        vec![Box::new(Frames::new(Codec::Vp8, frames))],
        MixerOptions::default(),
    );
    let mut sink = CollectSink::default();
    mixer.run(&mut sink, &mut |_| {}).unwrap();
    sink.frames.iter().map(|(_, at, _)| at.time.get()).collect()
}

/// Asserts that consecutive times are at least `min_ns` apart.
fn assert_frames_apart(times: &[i64], min_ns: i64) {
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= min_ns,
            "frames {} ms apart",
            (w[1] - w[0]) / MS
        );
    }
}

/// Keeps the specs a sink is opened with.
struct Specs(Vec<TrackSpec>);

impl FrameSink for Specs {
    type Error = Infallible;
    fn open(&mut self, tracks: &[TrackSpec]) -> Result<(), Infallible> {
        self.0 = tracks.to_vec();
        Ok(())
    }
    fn write(&mut self, _: usize, _: Placement, _: &Frame) -> Result<(), Infallible> {
        Ok(())
    }
    fn finish(&mut self, _: Nanos) -> Result<(), Infallible> {
        Ok(())
    }
}

#[test]
fn a_browsers_jittery_30_fps_clock_is_declared_as_30_fps_and_a_steady_clock_as_itself() {
    // Chrome's steps: 2970, 3060, 2880, 3090… ticks (33.0 ms is the most common, 33.3 the mean).
    let pattern = [2970u32, 3060, 2970, 2880, 3090, 3030, 2970, 3030];
    let mut ts = 0u32;
    let jittery: Vec<(u32, i64)> = (0..300)
        .map(|i| {
            let at = (i64::from(ts) * 1000) / 90;
            let frame = (ts, at);
            ts += pattern[i % pattern.len()];
            frame
        })
        .collect();
    let steady: Vec<(u32, i64)> = (0..300u32)
        .map(|i| (i * 6_000, i64::from(i) * 66_667))
        .collect();
    let odd: Vec<(u32, i64)> = (0..300u32)
        .map(|i| (i * 4_000, i64::from(i) * 44_444))
        .collect();
    for (frames, want) in [
        (jittery, 33_333_333),
        (steady, 66_666_666),
        (odd, 44_444_444), // 22.5 fps: no usual rate near it, kept as measured
    ] {
        let mut mixer = Mixer::new(
            vec![Frames::new(Codec::Vp8, frames)],
            MixerOptions::default(),
        );
        let mut sink = Specs(Vec::new());
        mixer.run(&mut sink, &mut |_| {}).unwrap();
        assert_eq!(sink.0[0].frame_duration, Some(Nanos(want)));
    }
}

#[test]
fn a_track_is_declared_at_the_largest_size_of_its_first_seconds() {
    use mjrtool_core::VideoSize;
    // A scalable sender: the first pictures carry only the base layer, the upper one joins.
    struct Svc(u32);
    impl FrameSource for Svc {
        type Error = Infallible;
        fn spec(&self) -> TrackSpec {
            TrackSpec::new(Codec::Vp9).with_start(Some(Nanos(T0)))
        }
        fn next_frame(&mut self) -> Result<Option<Frame>, Infallible> {
            let i = self.0;
            self.0 += 1;
            let (width, height) = if i < 4 { (320, 240) } else { (640, 480) };
            Ok((i < 90).then(|| {
                Frame::new(
                    Bytes::from_static(&[0x82, 0x49, 0x83, 0x42]),
                    i * 3000,
                    i == 0,
                )
                .with_arrival(Some(Nanos(T0 + i64::from(i) * 33_333_333)))
                .with_size(Some(VideoSize { width, height }))
            }))
        }
    }
    let mut mixer = Mixer::new(vec![Svc(0)], MixerOptions::default());
    let mut sink = Specs(Vec::new());
    mixer.run(&mut sink, &mut |_| {}).unwrap();
    let size = sink.0[0].size.unwrap();
    assert_eq!((size.width, size.height), (640, 480));
}
