//! Two Opus tracks of one session on one timeline: the second starts 1.5 s after the first,
//! and the first loses 300 ms of packets. The timeline places the late track at its real offset
//! and fills the hole with silence, so both stay in step with the wall clock.
//!
//! `cargo run -p mjrtool-timeline --example two_tracks`

use bytes::Bytes;
use mjrtool_core::{opus, Codec, Frame, FrameSource, Nanos, TrackSpec};
use mjrtool_timeline::{CollectSink, Mixer, MixerOptions};

/// `count` 20 ms Opus packets from wall-clock time `start`, less those in `lost`.
struct Talk {
    start: Nanos,
    count: u32,
    lost: std::ops::Range<u32>,
    next: u32,
}

impl FrameSource for Talk {
    type Error = std::convert::Infallible;

    fn spec(&self) -> TrackSpec {
        TrackSpec::new(Codec::Opus).with_start(Some(self.start))
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error> {
        while self.lost.contains(&self.next) {
            self.next += 1;
        }
        if self.next >= self.count {
            return Ok(None);
        }
        let rtp_ts = self.next * 960; // 20 ms at 48 kHz
        self.next += 1;
        let packet = Bytes::from_static(&opus::SILENCE_20MS);
        Ok(Some(Frame::new(packet, rtp_ts, true)))
    }
}

fn main() {
    let host = Talk {
        start: Nanos::from_secs(1_700_000_000),
        count: 150,   // 3 s
        lost: 50..65, // 300 ms from 1 s in
        next: 0,
    };
    let guest = Talk {
        start: Nanos::from_secs(1_700_000_000) + Nanos::from_ms(1_500),
        count: 100, // 2 s
        lost: 0..0,
        next: 0,
    };
    let mut mixer = Mixer::new(vec![host, guest], MixerOptions::default());
    let mut sink = CollectSink::default();
    let summary = match mixer.run(&mut sink, &mut |_| {}) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    for (i, track) in summary.tracks.iter().enumerate() {
        println!(
            "track {i}: starts at {} ms, {} frames, of which {} silence packets ({} ms)",
            track.info.offset_ns / 1_000_000,
            track.frames,
            track.silence_packets,
            track.silence_ns / 1_000_000
        );
    }
    println!(
        "{} frames handed to the sink, {} ms in all",
        sink.frames.len(),
        summary.duration_ns / 1_000_000
    );
}
