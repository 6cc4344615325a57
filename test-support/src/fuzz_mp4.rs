//! The body of the `mp4_roundtrip` fuzz target (run by `fuzz/fuzz_targets/mp4_roundtrip.rs`,
//! replayed by `tests/fuzz_replay_mp4.rs`).
//!
//! The input drives a muxing: byte 0 picks the layout (bit 0: fragmented, with small fragment
//! limits so that inputs make many fragments), whether an Opus track joins the video (bit 1) and
//! the video codec (bits 2-3); then records of 3 bytes (flags, time step in ms, payload length)
//! and the payload. The file written must read back through `mjrtool_mp4::reader` with every
//! sample's bytes, sync flag, and time relative to the track's first sample. The input itself,
//! and the output with one byte changed, go through the reader too, which must not panic.

use std::io::Cursor;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use mp4_mux::{reader, FragmentLimits, Mp4Error, Mp4Muxer};

/// One sample to write: (track, time in ms, keyframe, bytes).
type Planned = (usize, u64, bool, Vec<u8>);

fn plan(data: &[u8], audio: bool) -> Vec<Planned> {
    let mut out = Vec::new();
    let mut ms = 0u64;
    let mut rest = data;
    while let [flags, dt, len, tail @ ..] = rest {
        let track = usize::from(audio && flags & 1 == 1);
        ms += u64::from(*dt) * u64::from(flags >> 2).max(1);
        let n = usize::from(*len).min(tail.len());
        let mut payload = tail[..n].to_vec();
        rest = &tail[n..];
        if track == 1 {
            payload.insert(0, 0xF8); // an Opus TOC: 20 ms, one frame
        }
        let first = !out.iter().any(|p: &Planned| p.0 == track);
        out.push((track, ms, track == 1 || first || flags & 2 != 0, payload));
    }
    out
}

fn specs(codec_bits: u8, audio: bool) -> Vec<TrackSpec> {
    let (codec, config): (Codec, &'static [u8]) = match codec_bits & 3 {
        0 => (Codec::H264, &[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0]),
        1 => (Codec::H265, &[1; 23]),
        2 => (Codec::Av1, &[0x81, 0, 0x0C, 0]),
        _ => (Codec::Vp9, &[]),
    };
    let size = Some(VideoSize {
        width: 32,
        height: 16,
    });
    let video = TrackSpec::new(codec)
        .with_size(size)
        .with_config(Some(Bytes::from_static(config)));
    let mut v = vec![video];
    if audio {
        v.push(TrackSpec::new(Codec::Opus).with_channels(Some(2)));
    }
    v
}

fn feed(sink: &mut dyn FrameSink<Error = Mp4Error>, specs: &[TrackSpec], plan: &[Planned]) {
    sink.open(specs).expect("every track is one MP4 holds");
    for (track, ms, key, payload) in plan {
        let frame = Frame::new(Bytes::from(payload.clone()), 0, *key);
        let at = Placement::at(Nanos::from_ms(*ms as i64));
        sink.write(*track, at, &frame)
            .expect("times never go backwards");
    }
    let end = plan.last().map_or(0, |p| p.1 as i64 + 20);
    sink.finish(Nanos::from_ms(end)).expect("finish");
}

/// Mux, read back, compare; and the reader on damaged input.
pub fn mp4_roundtrip(data: &[u8]) {
    let _ = reader::parse(data);
    let Some((&head, body)) = data.split_first() else {
        return;
    };
    let audio = head & 2 != 0;
    let specs = specs(head >> 2, audio);
    let plan = plan(body, audio);
    let file = if head & 1 == 1 {
        let limits = FragmentLimits {
            max_duration: Nanos::from_ms(100),
            max_bytes: 600,
        };
        let mut m = Mp4Muxer::fragmented_with(Vec::new(), limits);
        feed(&mut m, &specs, &plan);
        m.into_inner()
    } else {
        let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
        feed(&mut m, &specs, &plan);
        m.into_inner()
    };
    let parsed = reader::parse(&file).expect("our MP4 reads back");
    if head & 1 == 0 {
        // The same file written samples first, behind a reserve the head may not fit in.
        let reserve = (body.len() as u64 % 4) * 512;
        let mut out = Cursor::new(vec![0; reserve as usize]);
        out.set_position(reserve);
        let mut m = Mp4Muxer::samples_first(out, reserve, 512);
        feed(&mut m, &specs, &plan);
        let (mut out, head) = m.into_samples_and_head().expect("finished");
        mp4_mux::insert_head(&mut out, &head, reserve).expect("in memory");
        let out = out.into_inner();
        let again = reader::parse(&out).expect("samples first reads back");
        for (a, b) in parsed.tracks.iter().zip(&again.tracks) {
            assert_eq!(a.samples, b.samples, "the same samples either way");
        }
    }
    assert_eq!(parsed.tracks.len(), specs.len());
    for (t, track) in parsed.tracks.iter().enumerate() {
        let want: Vec<&Planned> = plan.iter().filter(|p| p.0 == t).collect();
        assert_eq!(track.samples.len(), want.len(), "track {t}");
        let ticks_per_ms = u64::from(track.timescale) / 1000;
        let (t0, w0) = (
            track.samples.first().map_or(0, |s| s.time),
            want.first().map_or(0, |p| p.1),
        );
        for (s, w) in track.samples.iter().zip(&want) {
            assert_eq!(s.data, &w.3[..], "track {t} bytes");
            assert_eq!(s.sync, w.2, "track {t} sync");
            assert_eq!(s.time - t0, (w.1 - w0) * ticks_per_ms, "track {t} time");
        }
    }
    // One byte changed, where the input says: the reader errs or reads, never panics.
    if let Some(&b) = body.first() {
        let mut damaged = file;
        let at = usize::from(b) * 7 % damaged.len().max(1);
        if let Some(x) = damaged.get_mut(at) {
            *x ^= body.get(1).copied().unwrap_or(0xFF) | 1;
        }
        let _ = reader::parse(&damaged);
    }
}
