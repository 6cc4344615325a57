//! What the muxer writes, the crate's reader gives back: every sample's bytes, time, duration
//! and sync flag, in both layouts; and the muxer's refusals.

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameData, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use mjrtool_mp4::{reader, Mp4Error, Mp4Muxer};
use mjrtool_test_support::fixtures::in_pieces;
use proptest::prelude::*;

/// A sample to write: (decode time in media ticks, bytes, keyframe).
type Planned = (u64, Vec<u8>, bool);

fn video_spec() -> TrackSpec {
    TrackSpec::new(Codec::H264)
        .with_size(Some(VideoSize {
            width: 64,
            height: 48,
        }))
        .with_config(Some(Bytes::from_static(&[
            1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0,
        ])))
        .with_frame_duration(Some(Nanos(33_333_333)))
}

/// `ticks` of `hz` as nanoseconds (rounded down: the muxer rounds back to the same tick).
fn ns(ticks: u64, hz: u64) -> Nanos {
    Nanos((u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as i64)
}

fn write_all(sink: &mut dyn FrameSink<Error = Mp4Error>, video: &[Planned], audio: &[Planned]) {
    sink.open(&[
        video_spec(),
        TrackSpec::new(Codec::Opus).with_channels(Some(1)),
    ])
    .unwrap();
    let mut all: Vec<(Nanos, usize, usize)> = Vec::new();
    all.extend(
        video
            .iter()
            .enumerate()
            .map(|(i, s)| (ns(s.0, 90_000), 0, i)),
    );
    all.extend(
        audio
            .iter()
            .enumerate()
            .map(|(i, s)| (ns(s.0, 48_000), 1, i)),
    );
    all.sort();
    for (at, track, i) in all {
        let s = if track == 0 { &video[i] } else { &audio[i] };
        // Video frames come in pieces (the payloads of their packets, as the frame assembly
        // hands them out); each layout writes them as the one sample they make.
        let data = match track {
            0 => FrameData::from_parts(in_pieces(&s.1, &[s.1.len() / 3, s.1.len() / 2])),
            _ => FrameData::from(s.1.clone()),
        };
        let frame = Frame::new(data, 0, s.2);
        sink.write(track, Placement::at(at), &frame).unwrap();
    }
    sink.finish(Nanos::from_secs(100)).unwrap();
}

/// Samples from (step, size, key) triples, starting at `start` ticks.
fn plan(start: u64, steps: Vec<(u64, usize, bool)>, audio: bool) -> Vec<Planned> {
    let mut t = start;
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (step, size, key))| {
            let mut data: Vec<u8> = (0..size).map(|k| (k * 7 + i) as u8).collect();
            if audio {
                data.insert(0, 0xF8); // TOC: CELT 20 ms, one frame (RFC 6716 §3.1)
            }
            let s = (t, data, audio || key || i == 0);
            t += step;
            s
        })
        .collect()
}

fn check_track(track: &reader::Track<'_>, want: &[Planned], last: u32, fragmented: bool) {
    assert_eq!(track.samples.len(), want.len());
    let t0 = want.first().map_or(0, |s| s.0);
    let first = track.samples.first().map_or(0, |s| s.time);
    for (i, (got, w)) in track.samples.iter().zip(want).enumerate() {
        assert_eq!(got.data, &w.1[..], "sample {i} bytes");
        assert_eq!(got.sync, w.2, "sample {i} sync");
        assert_eq!(got.time - first, w.0 - t0, "sample {i} time");
        let d = want.get(i + 1).map_or(u64::from(last), |n| n.0 - w.0);
        assert_eq!(u64::from(got.duration), d, "sample {i} duration");
    }
    if fragmented {
        assert_eq!(first, t0, "tfdt carries the start");
    } else {
        let ms = t0 * 1000 / u64::from(track.timescale);
        assert!(
            track.empty_edit.abs_diff(ms) <= 1,
            "empty edit {} ms for {ms} ms",
            track.empty_edit
        );
    }
}

fn steps(max_step: u64, max_size: usize) -> impl Strategy<Value = Vec<(u64, usize, bool)>> {
    prop::collection::vec((0..max_step, 0..max_size, prop::bool::weighted(0.1)), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_reader_gives_back_every_sample_time_and_flag_in_both_layouts(
        v in steps(9_000, 3_000),
        a in steps(4_000, 200),
        v_start in 0u64..90_000,
        a_start in 0u64..48_000,
        fragmented in any::<bool>(),
    ) {
        let video = plan(v_start, v, false);
        let audio = plan(a_start, a, true);
        let file = if fragmented {
            let mut m = Mp4Muxer::fragmented(Vec::new());
            write_all(&mut m, &video, &audio);
            m.into_inner()
        } else {
            let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
            write_all(&mut m, &video, &audio);
            m.into_inner()
        };
        let parsed = reader::parse(&file).unwrap();
        prop_assert_eq!(parsed.fragmented, fragmented);
        prop_assert_eq!(&parsed.tracks[0].codec, b"avc1");
        prop_assert_eq!(parsed.tracks[0].size, Some((64, 48)));
        prop_assert_eq!(&parsed.tracks[1].codec, b"Opus");
        check_track(&parsed.tracks[0], &video, 3000, fragmented);
        check_track(&parsed.tracks[1], &audio, 960, fragmented);
        if !fragmented && !audio.is_empty() {
            prop_assert_eq!(parsed.tracks[1].media_time, 312);
        }
    }
}

/// A faststart file written samples first behind `reserve` bytes, its head then written in
/// front (growing the file by a multiple of `align` if it needs more): the file and the head's
/// length.
fn samples_first(
    video: &[Planned],
    audio: &[Planned],
    reserve: u64,
    align: u64,
) -> (Vec<u8>, usize) {
    let mut file = Cursor::new(vec![0xEE; reserve as usize]);
    file.set_position(reserve);
    let mut m = Mp4Muxer::samples_first(file, reserve, align);
    write_all(&mut m, video, audio);
    let (mut file, head) = m.into_samples_and_head().unwrap();
    mjrtool_mp4::insert_head(&mut file, &head, reserve).unwrap();
    (file.into_inner(), head.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn samples_first_with_no_reserve_or_alignment_is_byte_for_byte_the_spooled_faststart_file(
        v in steps(9_000, 3_000),
        a in steps(4_000, 200),
    ) {
        let video = plan(0, v, false);
        let audio = plan(100, a, true);
        let mut spooled = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
        write_all(&mut spooled, &video, &audio);
        prop_assert_eq!(samples_first(&video, &audio, 0, 1).0, spooled.into_inner());
    }

    #[test]
    fn a_head_fills_its_reserve_or_grows_by_whole_blocks_and_every_sample_is_found_after_it(
        v in steps(9_000, 3_000),
        a in steps(4_000, 200),
        reserve in prop::sample::select(vec![0u64, 100, 4096, 65_536]),
        align in prop::sample::select(vec![512u64, 4096]),
    ) {
        let video = plan(0, v, false);
        let audio = plan(100, a, true);
        let (file, head) = samples_first(&video, &audio, reserve, align);
        let head = head as u64;
        prop_assert!(head == reserve || (head > reserve && (head - reserve) % align == 0),
            "head {} for reserve {} align {}", head, reserve, align);
        let parsed = reader::parse(&file).unwrap();
        check_track(&parsed.tracks[0], &video, 3000, false);
        check_track(&parsed.tracks[1], &audio, 960, false);
        // ftyp, moov, free, then the mdat header ends the head.
        let mdat = file.windows(4).rposition(|w| w == b"mdat").unwrap() as u64;
        prop_assert!(mdat + 4 == head || mdat + 12 == head, "mdat header at {} of {}", mdat, head);
        prop_assert!(file.windows(4).any(|w| w == b"free"));
    }

    #[test]
    fn head_len_before_finish_is_what_the_head_needs(
        v in steps(9_000, 3_000),
        a in steps(4_000, 200),
    ) {
        let video = plan(0, v, false);
        let audio = plan(100, a, true);
        let (_, exact) = samples_first(&video, &audio, 0, 1);
        // The same samples, not finished: the last durations are not in the tables yet.
        let mut m = Mp4Muxer::samples_first(std::io::sink(), 0, 1);
        m.open(&[video_spec(), TrackSpec::new(Codec::Opus).with_channels(Some(1))]).unwrap();
        let mut all: Vec<(Nanos, usize, &Planned)> = video.iter().map(|s| (ns(s.0, 90_000), 0, s))
            .chain(audio.iter().map(|s| (ns(s.0, 48_000), 1, s))).collect();
        all.sort_by_key(|x| (x.0, x.1));
        for (at, track, s) in all {
            m.write(track, Placement::at(at), &Frame::new(Bytes::from(s.1.clone()), 0, s.2)).unwrap();
        }
        let before = m.head_len().unwrap();
        prop_assert!(before <= exact as u64 && exact as u64 - before <= 32, "{} then {}", before, exact);
    }
}

#[test]
fn the_head_is_only_given_after_finish() {
    let m = Mp4Muxer::samples_first(Vec::new(), 0, 4096);
    let e = m.into_samples_and_head().unwrap_err();
    assert!(matches!(e, Mp4Error::CallOrder { .. }), "{e}");
    let mut f = Mp4Muxer::fragmented(Vec::new());
    write_all(&mut f, &plan(0, vec![(3_000, 10, true)], false), &[]);
    assert!(
        f.into_samples_and_head().is_err(),
        "not a samples-first muxer"
    );
}

#[test]
fn codecs_mp4_cannot_hold_are_refused_at_open_naming_where_they_go() {
    for (codec, hint) in [
        (Codec::Vp8, "WebM"),
        (Codec::Text, ".srt"),
        (Codec::Binary, ".mkv"),
    ] {
        let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
        let e = m
            .open(&[TrackSpec::new(Codec::Opus), TrackSpec::new(codec.clone())])
            .unwrap_err();
        assert!(
            matches!(e, Mp4Error::UnsupportedCodec { track: 1, .. }),
            "{e}"
        );
        assert!(
            e.to_string().contains(hint) && e.to_string().contains(codec.name()),
            "{e}"
        );
        let mut f = Mp4Muxer::fragmented(Vec::new());
        assert!(f.open(&[TrackSpec::new(codec)]).is_err());
        assert!(
            m.into_inner().is_empty() && f.into_inner().is_empty(),
            "nothing written"
        );
    }
}

#[test]
fn video_without_a_size_or_a_config_record_is_refused() {
    let mut m = Mp4Muxer::fragmented(Vec::new());
    let e = m.open(&[TrackSpec::new(Codec::H264).with_config(Some(Bytes::from_static(&[1])))]);
    assert!(matches!(e, Err(Mp4Error::MissingField { .. })));
    let mut m = Mp4Muxer::fragmented(Vec::new());
    let size = Some(VideoSize {
        width: 2,
        height: 2,
    });
    let e = m
        .open(&[TrackSpec::new(Codec::H265).with_size(size)])
        .unwrap_err();
    assert!(e.to_string().contains("hvcC"), "{e}");
}

#[test]
fn calls_out_of_order_unknown_tracks_and_backward_times_are_errors() {
    let frame = Frame::new(Bytes::from_static(&[0xF8, 0xFF, 0xFE]), 0, true);
    let at = |ms| Placement::at(Nanos::from_ms(ms));
    let mut m = Mp4Muxer::faststart(Vec::new(), Cursor::new(Vec::new()));
    assert!(matches!(
        m.write(0, at(0), &frame),
        Err(Mp4Error::CallOrder { .. })
    ));
    m.open(&[TrackSpec::new(Codec::Opus)]).unwrap();
    assert!(matches!(
        m.open(&[TrackSpec::new(Codec::Opus)]),
        Err(Mp4Error::CallOrder { .. })
    ));
    m.write(0, at(40), &frame).unwrap();
    let e = m.write(0, at(20), &frame).unwrap_err();
    assert!(
        matches!(
            e,
            Mp4Error::TimeBackwards {
                previous_ns: 40_000_000,
                found_ns: 20_000_000,
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        m.write(1, at(60), &frame),
        Err(Mp4Error::UnknownTrack {
            index: 1,
            tracks: 1
        })
    ));
    m.finish(Nanos::from_ms(60)).unwrap();
    assert!(matches!(
        m.write(0, at(80), &frame),
        Err(Mp4Error::CallOrder { .. })
    ));
    assert!(matches!(
        m.finish(Nanos::from_ms(60)),
        Err(Mp4Error::CallOrder { .. })
    ));
}

/// An output that keeps its first bytes and counts the rest.
#[derive(Default)]
struct Head {
    kept: Vec<u8>,
    total: u64,
}

impl Write for Head {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = (1usize << 20)
            .saturating_sub(self.kept.len())
            .min(buf.len());
        self.kept.extend_from_slice(&buf[..room]);
        self.total += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A spool that stores nothing: it counts what is written and reads back zeros.
#[derive(Default)]
struct NullSpool {
    len: u64,
    pos: u64,
}

impl Write for NullSpool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for NullSpool {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.len - self.pos).min(buf.len() as u64) as usize;
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for NullSpool {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if let SeekFrom::Start(p) = to {
            self.pos = p;
        }
        Ok(self.pos)
    }
}

#[test]
fn a_file_past_4_gib_gets_co64_offsets_and_a_64_bit_mdat_size() {
    let big = Bytes::from(vec![0u8; 64 << 20]);
    let mut m = Mp4Muxer::faststart(Head::default(), NullSpool::default());
    let pcm = TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(48_000));
    m.open(&[pcm.clone(), pcm]).unwrap();
    // 66 × 64 MiB = 4.125 GiB, the two tracks taking turns: every sample is a chunk of its own,
    // and the last chunks start past 4 GiB.
    let n = 66u64;
    for i in 0..n {
        let at = Placement::at(Nanos::from_secs(i as i64 * 700));
        m.write(i as usize % 2, at, &Frame::new(big.clone(), 0, true))
            .unwrap();
    }
    m.finish(Nanos::from_secs(n as i64 * 700)).unwrap();
    let out = m.into_inner();
    let payload = n * (64 << 20);
    let find = |k: &[u8]| {
        out.kept
            .windows(4)
            .position(|w| w == k)
            .expect("box present")
    };
    assert!(out.kept.windows(4).all(|w| w != b"stco"));
    let co64 = find(b"co64");
    let count = u32::from_be_bytes(out.kept[co64 + 8..co64 + 12].try_into().unwrap());
    assert_eq!(count, 33, "a chunk per sample");
    let mdat = find(b"mdat");
    assert_eq!(
        &out.kept[mdat - 4..mdat],
        &[0, 0, 0, 1],
        "size 1: a largesize follows"
    );
    let large = u64::from_be_bytes(out.kept[mdat + 4..mdat + 12].try_into().unwrap());
    assert_eq!(large, payload + 16);
    let first = u64::from_be_bytes(out.kept[co64 + 12..co64 + 20].try_into().unwrap());
    assert_eq!(
        first,
        mdat as u64 + 12,
        "the chunk starts right after the mdat header"
    );
    assert_eq!(out.total, mdat as u64 - 4 + large);
}

#[test]
fn a_step_longer_than_32_bits_of_ticks_is_an_overflow_error_not_a_wrap() {
    let frame = Frame::new(Bytes::from_static(&[0, 0]), 0, true);
    let mut m = Mp4Muxer::fragmented(Vec::new());
    m.open(&[TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(48_000))])
        .unwrap();
    m.write(0, Placement::at(Nanos::ZERO), &frame).unwrap();
    let e = m
        .write(0, Placement::at(Nanos::from_secs(100_000)), &frame)
        .unwrap_err();
    assert!(matches!(e, Mp4Error::Overflow { .. }), "{e}");
}

impl mjrtool_core::SharedWrite for Head {}
