//! The file written through `FrameSink` is, byte for byte, the one the CLI writes today with
//! explicit `TrackConfig`s (`cli/src/convert.rs`: `webm_tracks`, `OutputTarget::mux_options`,
//! and the mixer's `write_block(track + 1, …)`).

use std::io::Cursor;

use bytes::Bytes;
use mjrtool_core::opus::OpusHead;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use proptest::prelude::*;
use webm_mux::{DocType, Muxer, MuxerOptions, TrackConfig};

/// One input of the CLI: its spec, and whether it had no playable frame (the CLI leaves such a
/// track out of the file and keeps the others' numbers).
#[derive(Debug, Clone)]
struct Input {
    spec: TrackSpec,
    empty: bool,
}

/// A frame the mixer hands over: track index, time (may be negative), keyframe, bytes.
type Placed = (usize, i64, bool, Vec<u8>);

fn options(doc_type: DocType) -> MuxerOptions {
    MuxerOptions {
        doc_type,
        title: Some("a title".into()),
        date_utc_ns: Some(789_012_345_678_000_000),
        writing_app: concat!("mjrtool ", env!("CARGO_PKG_VERSION")).into(),
        ..MuxerOptions::default()
    }
}

/// `webm_tracks` of `cli/src/convert.rs`, as it is today.
fn cli_tracks(inputs: &[Input]) -> Vec<TrackConfig> {
    inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| !i.empty)
        .map(|(n, i)| {
            let number = n as u64 + 1;
            match i.spec.codec {
                Codec::Vp8 => {
                    let (w, h) = i.spec.size.map_or((640, 480), |s| (s.width, s.height));
                    TrackConfig::vp8(number, w, h)
                }
                _ => {
                    let head = OpusHead::new(2, 312, 48_000);
                    TrackConfig::opus(number, 2, head.to_bytes(), 312)
                }
            }
        })
        .collect()
}

/// Today's way: explicit track configs, `write_block`, `set_duration_ns`, `finish`.
fn cli_way(
    doc_type: DocType,
    seekable: bool,
    inputs: &[Input],
    frames: &[Placed],
    duration: i64,
) -> Vec<u8> {
    let tracks = cli_tracks(inputs);
    if seekable {
        let mut m = Muxer::new(Cursor::new(Vec::new()), options(doc_type), tracks).unwrap();
        cli_write(&mut m, frames, duration);
        m.finish().unwrap().into_inner()
    } else {
        let mut m = Muxer::new_streaming(Vec::new(), options(doc_type), tracks).unwrap();
        cli_write(&mut m, frames, duration);
        m.finish().unwrap()
    }
}

/// The mixer's `write_block(track + 1, …)` for each frame, then the CLI's `set_duration_ns`.
fn cli_write<W: mjrtool_core::SharedWrite>(m: &mut Muxer<W>, frames: &[Placed], duration: i64) {
    for (track, time, key, data) in frames {
        let ns = u64::try_from(*time).unwrap_or(0);
        m.write_block(*track as u64 + 1, ns, *key, data).unwrap();
    }
    m.set_duration_ns(u64::try_from(duration).unwrap_or(0));
}

/// The new way: a muxer without tracks, opened with specs and driven through `FrameSink`.
/// Empty inputs are left out with `open_numbered` (the others keep their numbers); without any,
/// plain `FrameSink::open`.
fn sink_way(
    doc_type: DocType,
    seekable: bool,
    inputs: &[Input],
    frames: &[Placed],
    duration: i64,
) -> Vec<u8> {
    if seekable {
        let m = Muxer::create(Cursor::new(Vec::new()), options(doc_type)).unwrap();
        drive(m, inputs, frames, duration).into_inner()
    } else {
        let m = Muxer::create_streaming(Vec::new(), options(doc_type));
        drive(m, inputs, frames, duration)
    }
}

fn drive<W: mjrtool_core::SharedWrite>(
    mut m: Muxer<W>,
    inputs: &[Input],
    frames: &[Placed],
    duration: i64,
) -> W {
    let kept: Vec<usize> = (0..inputs.len()).filter(|&i| !inputs[i].empty).collect();
    if kept.len() == inputs.len() {
        let specs: Vec<TrackSpec> = inputs.iter().map(|i| i.spec.clone()).collect();
        m.open(&specs).unwrap();
    } else {
        let numbered: Vec<(u64, TrackSpec)> = kept
            .iter()
            .map(|&i| (i as u64 + 1, inputs[i].spec.clone()))
            .collect();
        m.open_numbered(&numbered).unwrap();
    }
    for (track, time, key, data) in frames {
        let frame = Frame::new(Bytes::copy_from_slice(data), 0, *key);
        let index = kept.iter().position(|k| k == track).unwrap();
        m.write(index, Placement::at(Nanos(*time)), &frame).unwrap();
    }
    FrameSink::finish(&mut m, Nanos(duration)).unwrap();
    m.into_inner().unwrap()
}

fn vp8(size: Option<(u16, u16)>) -> TrackSpec {
    TrackSpec::new(Codec::Vp8).with_size(size.map(|(width, height)| VideoSize { width, height }))
}

fn input(spec: TrackSpec) -> Input {
    Input { spec, empty: false }
}

/// A session as the mixer gives it: 20 ms Opus packets and 30 fps video with a keyframe every
/// 2 s, the video starting 1.2 s late, over `secs` seconds.
fn session(secs: i64, video: usize, audio: usize) -> Vec<Placed> {
    let mut frames = Vec::new();
    for ms in 0..secs * 1000 {
        if ms % 20 == 0 {
            frames.push((audio, ms * 1_000_000, true, vec![0xF8, 0xFF, 0xFE]));
        }
        let v = ms - 1200;
        if v >= 0 && (v * 3) % 100 == 0 {
            let n = v * 3 / 100;
            let key = n % 60 == 0;
            let len = if key {
                9_000
            } else {
                700 + (n as usize * 37) % 900
            };
            frames.push((video, v * 1_000_000 + 333, key, vec![n as u8; len]));
        }
    }
    frames
}

#[test]
fn the_frame_sink_writes_the_bytes_the_cli_writes_with_track_configs() {
    let inputs = [
        input(vp8(Some((320, 240)))),
        input(TrackSpec::new(Codec::Opus)),
    ];
    let frames = session(12, 0, 1);
    for doc_type in [DocType::Webm, DocType::Matroska] {
        for seekable in [true, false] {
            let old = cli_way(doc_type, seekable, &inputs, &frames, 12_020_000_000);
            let new = sink_way(doc_type, seekable, &inputs, &frames, 12_020_000_000);
            assert!(
                old == new,
                "{doc_type:?}, seekable {seekable}: the bytes differ"
            );
        }
    }
}

#[test]
fn a_track_left_out_keeps_the_other_numbers_as_the_cli_does() {
    // The first input had no playable frame; a video of unknown size gets 640x480.
    let mut inputs = vec![input(TrackSpec::new(Codec::Opus)), input(vp8(None))];
    inputs[0].empty = true;
    let frames: Vec<Placed> = session(5, 1, 0).into_iter().filter(|f| f.0 == 1).collect();
    let old = cli_way(DocType::Webm, true, &inputs, &frames, 5_000_000_000);
    let new = sink_way(DocType::Webm, true, &inputs, &frames, 5_000_000_000);
    assert!(old == new, "the bytes differ");
    let parsed = webm_mux::reader::parse(&new).unwrap();
    assert_eq!(parsed.tracks[0].number, 2);
    assert_eq!(parsed.tracks[0].width, Some(640));
}

fn inputs_strategy() -> impl Strategy<Value = Vec<Input>> {
    let spec = prop_oneof![
        Just(TrackSpec::new(Codec::Opus)),
        Just(vp8(None)),
        (1u16..4000, 1u16..4000).prop_map(|s| vp8(Some(s))),
    ];
    prop::collection::vec((spec, prop::bool::weighted(0.2)), 1..4).prop_map(|v| {
        let mut inputs: Vec<Input> = v
            .into_iter()
            .map(|(spec, empty)| Input { spec, empty })
            .collect();
        inputs[0].empty = false; // at least one track in the file
        inputs
    })
}

/// Frames of the kept tracks, times never decreasing (the first ones may be negative: both
/// ways write them at 0).
fn frames_strategy(inputs: &[Input]) -> impl Strategy<Value = Vec<Placed>> {
    let kept: Vec<usize> = (0..inputs.len()).filter(|&i| !inputs[i].empty).collect();
    prop::collection::vec(
        (
            prop::sample::select(kept),
            0i64..300_000_000,
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 1..300),
        ),
        0..150,
    )
    .prop_map(|v| {
        let mut t = -50_000_000i64;
        v.into_iter()
            .map(|(track, dt, key, data)| {
                t += dt;
                (track, t, key, data)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn any_session_gives_the_same_bytes_both_ways(
        (inputs, frames) in inputs_strategy().prop_flat_map(|i| {
            let f = frames_strategy(&i);
            (Just(i), f)
        }),
        webm in any::<bool>(),
        seekable in any::<bool>(),
        duration in -1_000_000i64..100_000_000_000,
    ) {
        let doc_type = if webm { DocType::Webm } else { DocType::Matroska };
        let old = cli_way(doc_type, seekable, &inputs, &frames, duration);
        let new = sink_way(doc_type, seekable, &inputs, &frames, duration);
        prop_assert!(old == new, "the bytes differ");
    }
}
