//! What the integration tests share beyond the fixtures and tools of `mjrtool-test-support`:
//! muxing tracks of timed frames into a file in each layout.
#![allow(dead_code)] // each test binary uses part of it

use std::io::Cursor;

use bytes::Bytes;
use mjrtool_core::{Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_mp4::Mp4Muxer;
use mjrtool_test_support::tools::have;

/// Which layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Faststart,
    /// Faststart written samples first, behind 16 KiB left for the head.
    SamplesFirst,
    Fragmented,
}

impl Layout {
    /// Every layout.
    pub const ALL: [Layout; 3] = [Layout::Faststart, Layout::SamplesFirst, Layout::Fragmented];
}

/// A track's frames with their times, for [`mux`].
pub struct Input {
    pub spec: TrackSpec,
    /// (time, bytes, keyframe)
    pub frames: Vec<(Nanos, Bytes, bool)>,
}

/// Muxes the inputs, frames interleaved by time, into a file.
pub fn mux(layout: Layout, inputs: &[Input], duration: Nanos) -> Vec<u8> {
    let specs: Vec<TrackSpec> = inputs.iter().map(|i| i.spec.clone()).collect();
    let mut all: Vec<(Nanos, usize, usize)> = Vec::new();
    for (t, input) in inputs.iter().enumerate() {
        all.extend(input.frames.iter().enumerate().map(|(k, f)| (f.0, t, k)));
    }
    all.sort();
    let feed = |sink: &mut dyn FrameSink<Error = mjrtool_mp4::Mp4Error>| {
        sink.open(&specs).unwrap();
        for &(at, t, k) in &all {
            let (_, data, key) = &inputs[t].frames[k];
            let frame = Frame::new(data.clone(), 0, *key);
            sink.write(t, Placement::at(at), &frame).unwrap();
        }
        sink.finish(duration).unwrap();
    };
    match layout {
        Layout::Faststart => {
            let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
            feed(&mut m);
            m.into_inner()
        }
        Layout::SamplesFirst => {
            // 16 KiB left for the head, more than these files need.
            let mut file = Cursor::new(vec![0; 16384]);
            file.set_position(16384);
            let mut m = Mp4Muxer::samples_first(file, 16384, 4096);
            feed(&mut m);
            let (mut file, head) = m.into_samples_and_head().unwrap();
            assert_eq!(head.len(), 16384);
            mjrtool_mp4::insert_head(&mut file, &head, 16384).unwrap();
            file.into_inner()
        }
        Layout::Fragmented => {
            let mut m = Mp4Muxer::fragmented(Vec::new());
            feed(&mut m);
            m.into_inner()
        }
    }
}

/// Whether ffmpeg and ffprobe are installed (tests that need them are skipped without, and
/// fail when `CI` or `MJRTOOL_REQUIRE_TOOLS` is set).
pub fn have_ffmpeg() -> bool {
    have("ffprobe") && have("ffmpeg")
}
