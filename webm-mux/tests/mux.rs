//! Muxer -> reader round trips, Cues, and checks by ffprobe/ffmpeg/mkvinfo on a real VP8 stream.

use std::io::Cursor;
use std::process::Command;

use mjrtool_test_support::fixtures::ivf_fixture;
use mjrtool_test_support::tools::have;
use proptest::prelude::*;
use webm_mux::reader::{parse, ParsedFile};
use webm_mux::{DocType, Muxer, MuxerOptions, TrackConfig};

fn opus_head() -> Vec<u8> {
    let mut h = b"OpusHead\x01\x02".to_vec();
    h.extend_from_slice(&312u16.to_le_bytes());
    h.extend_from_slice(&48_000u32.to_le_bytes());
    h.extend_from_slice(&[0, 0, 0]);
    h
}

fn tracks() -> Vec<TrackConfig> {
    vec![
        TrackConfig::opus(1, 2, opus_head(), 312),
        TrackConfig::vp8(2, 320, 240),
    ]
}

type Block = (u64, u64, bool, Vec<u8>);

fn blocks_strategy() -> impl Strategy<Value = Vec<Block>> {
    prop::collection::vec(
        (
            1u64..=2,
            0u64..400,
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 1..200),
        ),
        0..120,
    )
    .prop_map(|v| {
        let mut t = 0u64;
        v.into_iter()
            .map(|(track, dt, key, data)| {
                t += dt * 1_000_000;
                (track, t, key || track == 1, data)
            })
            .collect()
    })
}

fn mux(blocks: &[Block], streaming: bool, options: MuxerOptions) -> Vec<u8> {
    if streaming {
        let mut m = Muxer::new_streaming(Vec::new(), options, tracks()).unwrap();
        for (t, ns, k, d) in blocks {
            m.write_block(*t, *ns, *k, d).unwrap();
        }
        m.finish().unwrap()
    } else {
        let mut m = Muxer::new(Cursor::new(Vec::new()), options, tracks()).unwrap();
        for (t, ns, k, d) in blocks {
            m.write_block(*t, *ns, *k, d).unwrap();
        }
        m.finish().unwrap().into_inner()
    }
}

/// Every cue names a cluster whose first block of the cue's track is a keyframe at the cue's
/// time, with no block of that track before it in the cluster.
fn check_cues(file: &[u8], p: &ParsedFile) {
    for c in &p.cues {
        let at = p.segment_data + c.cluster_position as usize;
        assert_eq!(
            &file[at..at + 4],
            &[0x1F, 0x43, 0xB6, 0x75],
            "cue at {} is not a cluster",
            c.time_ms
        );
        assert!(p.clusters.contains(&c.cluster_position));
        let first = p
            .blocks
            .iter()
            .find(|b| b.cluster == c.cluster_position && b.track == c.track)
            .expect("the cued cluster holds a block of the cue's track");
        assert!(first.keyframe, "cue at {} names a delta frame", c.time_ms);
        assert_eq!(first.timestamp_ms as u64, c.time_ms);
    }
}

proptest! {
    #[test]
    fn muxed_blocks_read_back(blocks in blocks_strategy(), streaming in any::<bool>(), max_ms in 100u64..6000) {
        let options = MuxerOptions { max_cluster_duration_ms: max_ms, ..MuxerOptions::default() };
        let file = mux(&blocks, streaming, options);
        let p = parse(&file).unwrap();
        prop_assert_eq!(p.blocks.len(), blocks.len());
        for (g, (t, ns, k, d)) in p.blocks.iter().zip(&blocks) {
            prop_assert_eq!(g.track, *t);
            prop_assert_eq!(g.timestamp_ms, (*ns / 1_000_000) as i64);
            prop_assert_eq!(g.keyframe, *k);
            prop_assert_eq!(&g.data, d);
        }
        prop_assert_eq!(p.tracks.len(), 2);
        prop_assert_eq!(p.tracks[0].codec_delay_ns, Some(6_500_000));
        prop_assert_eq!(p.tracks[1].width, Some(320));
        if streaming {
            prop_assert!(p.duration_ms.is_none() && p.cues.is_empty());
        } else {
            check_cues(&file, &p);
            // Every video keyframe after the first block of its cluster starts a cluster with a cue.
            let video_keys = blocks.iter().filter(|b| b.0 == 2 && b.2).count();
            prop_assert!(p.cues.len() <= video_keys);
            if let Some(last) = blocks.last() {
                let d = p.duration_ms.unwrap();
                prop_assert!(d >= (last.1 / 1_000_000) as f64);
            }
        }
    }

    #[test]
    fn random_and_mutated_files_never_panic(
        blocks in blocks_strategy(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(), junk in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut file = mux(&blocks, false, MuxerOptions::default());
        for (i, b) in &flips {
            let i = i.index(file.len());
            file[i] = *b;
        }
        let _ = parse(&file[..cut.index(file.len() + 1)]);
        let _ = parse(&junk);
    }
}

#[test]
fn clusters_start_on_video_keyframes_and_are_cued() {
    let mut blocks = Vec::new();
    for i in 0..300u64 {
        // 30 fps video with a keyframe every second, 20 ms audio.
        if i % 2 == 0 {
            blocks.push((2, i * 33_333_333, i % 30 == 0, vec![i as u8; 50]));
        }
        blocks.push((1, i * 20_000_000, true, vec![1; 10]));
    }
    blocks.sort_by_key(|b| b.1);
    let file = mux(&blocks, false, MuxerOptions::default());
    let p = parse(&file).unwrap();
    check_cues(&file, &p);
    assert!(p.cues.len() >= 5, "{:?}", p.cues);
    assert!(p.cues.iter().all(|c| c.track == 2));
    assert_eq!(p.tracks[1].codec_id, "V_VP8");
}

#[test]
fn audio_only_files_get_a_cue_per_cluster() {
    let blocks: Vec<Block> = (0..1000u64)
        .map(|i| (1, i * 20_000_000, true, vec![0xFC]))
        .collect();
    let mut m = Muxer::new(
        Cursor::new(Vec::new()),
        MuxerOptions {
            doc_type: DocType::Matroska,
            ..MuxerOptions::default()
        },
        vec![TrackConfig::opus(1, 2, opus_head(), 312)],
    )
    .unwrap();
    for (t, ns, k, d) in &blocks {
        m.write_block(*t, *ns, *k, d).unwrap();
    }
    m.set_duration_ns(20_000_000_000);
    let file = m.finish().unwrap().into_inner();
    let p = parse(&file).unwrap();
    assert_eq!(p.doc_type, "matroska");
    assert_eq!(p.duration_ms, Some(20_000.0));
    assert_eq!(p.cues.len(), p.clusters.len());
    assert!(p.clusters.len() >= 4);
    check_cues(&file, &p);
}

#[test]
fn out_of_order_blocks_are_refused() {
    let mut m = Muxer::new(Cursor::new(Vec::new()), MuxerOptions::default(), tracks()).unwrap();
    m.write_block(2, 1_000_000_000, true, b"a").unwrap();
    assert!(m.write_block(2, 500_000_000, false, b"b").is_err());
    assert!(m.write_block(9, 2_000_000_000, false, b"b").is_err());
}

/// The 60 VP8 frames of the committed fixture.
fn ivf_frames() -> Vec<Vec<u8>> {
    ivf_fixture("vp8-320x240.ivf")
}

#[test]
fn ffprobe_ffmpeg_and_mkvinfo_accept_a_real_vp8_stream() {
    let frames = ivf_frames();
    assert_eq!(frames.len(), 60);
    let mut m = Muxer::new(
        Cursor::new(Vec::new()),
        MuxerOptions::default(),
        vec![TrackConfig::vp8(1, 320, 240)],
    )
    .unwrap();
    for (i, f) in frames.iter().enumerate() {
        m.write_block(1, i as u64 * 1_000_000_000 / 15, f[0] & 1 == 0, f)
            .unwrap();
    }
    let file = m.finish().unwrap().into_inner();
    let dir = std::env::temp_dir().join(format!("webm-mux-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vp8.webm");
    std::fs::write(&path, &file).unwrap();
    if have("ffprobe") {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height:format=duration",
                "-of",
                "default=nw=1",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("codec_name=vp8")
                && text.contains("width=320")
                && text.contains("height=240"),
            "{text}"
        );
        let dur: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("duration="))
            .unwrap()
            .parse()
            .unwrap();
        assert!((dur - 4.0).abs() < 0.01, "{text}");
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "framemd5", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.starts_with('#'))
                .count(),
            60
        );
    }
    if have("mkvinfo") {
        let out = Command::new("mkvinfo")
            .arg("-a")
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_lowercase()
            + &String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(out.status.success(), "{text}");
        assert!(
            !text.contains("error") && !text.contains("warning"),
            "{text}"
        );
        assert!(text.matches("cue point").count() >= 2, "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_keyframe_every_millisecond_gets_bounded_cues_and_every_block_reads_back() {
    // 200 s of 1-byte video keyframes 1 ms apart, beside 20 ms audio; at most 64 cue points:
    // a point a second would be 200, so the index is thinned to one every 4 s.
    let mut blocks: Vec<Block> = Vec::new();
    for ms in 0..200_000u64 {
        if ms % 20 == 0 {
            blocks.push((1, ms * 1_000_000, true, vec![0xFC]));
        }
        blocks.push((2, ms * 1_000_000, true, vec![(ms % 251) as u8]));
    }
    let options = MuxerOptions {
        max_cue_points: 64,
        ..MuxerOptions::default()
    };
    let mut m = Muxer::new(Cursor::new(Vec::new()), options, tracks()).unwrap();
    for (t, ns, k, d) in &blocks {
        m.write_block(*t, *ns, *k, d).unwrap();
    }
    let stats = m.stats();
    let file = m.finish().unwrap().into_inner();
    let p = parse(&file).unwrap();
    assert_eq!(p.blocks.len(), blocks.len());
    assert!(p.blocks.iter().zip(&blocks).all(|(g, (t, ns, k, d))| {
        g.track == *t && g.timestamp_ms as u64 == ns / 1_000_000 && g.keyframe == *k && g.data == *d
    }));
    assert_eq!(p.clusters.len(), 200_000, "a cluster per video keyframe");
    check_cues(&file, &p);
    assert!(p.cues.iter().all(|c| c.track == 2));
    assert_eq!(stats.cue_spacing_ms, 4_000);
    assert_eq!(p.cues.len() as u64, stats.cue_points);
    assert_eq!(p.cues.len(), 50, "{:?}", p.cues);
    assert!(p
        .cues
        .windows(2)
        .all(|w| w[1].time_ms - w[0].time_ms >= 4_000));
}

/// A seekable output that keeps no bytes: only the position and the length.
#[derive(Default)]
struct Discard {
    pos: u64,
    len: u64,
}

impl std::io::Write for Discard {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pos += buf.len() as u64;
        self.len = self.len.max(self.pos);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for Discard {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = match to {
            std::io::SeekFrom::Start(p) => p,
            std::io::SeekFrom::End(d) => self.len.saturating_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

#[test]
fn two_million_tiny_keyframes_keep_a_cue_point_a_second() {
    let mut m = Muxer::new(
        Discard::default(),
        MuxerOptions::default(),
        vec![TrackConfig::vp8(1, 16, 16)],
    )
    .unwrap();
    for ms in 0..2_000_000u64 {
        m.write_block(1, ms * 1_000_000, true, &[0x10]).unwrap();
    }
    let s = m.stats();
    assert_eq!(s.clusters, 1_999_999, "the last cluster is still open");
    assert_eq!(s.cue_points, 2_000, "2 000 s at one point a second");
    let out = m.finish().unwrap();
    assert_eq!(out.len, out.pos);
}

#[test]
fn ffmpeg_seeks_and_mkvinfo_accepts_thinned_cues_over_millisecond_keyframes() {
    // 600 real VP8 keyframes 1 ms apart; points every 10 ms, at most 8: thinned to 80 ms.
    let key = ivf_frames().swap_remove(30);
    assert_eq!(key[0] & 1, 0, "frame 30 of the fixture is a keyframe");
    let options = MuxerOptions {
        cue_spacing_ms: 10,
        max_cue_points: 8,
        ..MuxerOptions::default()
    };
    let mut m = Muxer::new(
        Cursor::new(Vec::new()),
        options,
        vec![TrackConfig::vp8(1, 320, 240)],
    )
    .unwrap();
    for ms in 0..600u64 {
        m.write_block(1, ms * 1_000_000, true, &key).unwrap();
    }
    let file = m.finish().unwrap().into_inner();
    let p = parse(&file).unwrap();
    check_cues(&file, &p);
    assert_eq!(p.cues.len(), 8, "{:?}", p.cues);
    let dir = std::env::temp_dir().join(format!("webm-mux-cues-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.webm");
    std::fs::write(&path, &file).unwrap();
    if have("ffmpeg") {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-ss", "0.3", "-i"])
            .arg(&path)
            .args(["-f", "framemd5", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let frames = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count();
        assert!((290..=310).contains(&frames), "{frames} frames after 0.3 s");
    }
    if have("mkvinfo") {
        let out = Command::new("mkvinfo")
            .arg("-a")
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_lowercase()
            + &String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(out.status.success(), "{text}");
        assert!(
            !text.contains("error") && !text.contains("warning"),
            "{text}"
        );
        assert_eq!(text.matches("cue point").count(), 8, "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file made through the `FrameSink` path (`Muxer::create`, `open` with specs, `write`,
/// `finish`): the real VP8 stream beside 20 ms Opus silence, checked by ffprobe (codecs, size,
/// duration), ffmpeg (decodes every frame of both tracks cleanly) and `mkvinfo -a`.
#[test]
fn ffprobe_ffmpeg_and_mkvinfo_accept_a_file_made_through_the_frame_sink() {
    use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};

    let size = VideoSize {
        width: 320,
        height: 240,
    };
    let tracks = [
        TrackSpec::new(Codec::Vp8).with_size(Some(size)),
        TrackSpec::new(Codec::Opus),
    ];
    let mut m = Muxer::create(Cursor::new(Vec::new()), MuxerOptions::default()).unwrap();
    m.open(&tracks).unwrap();
    let video = ivf_frames();
    let silence = Frame::new(bytes::Bytes::from_static(&[0xF8, 0xFF, 0xFE]), 0, true);
    for ms in (0..4000).step_by(20) {
        let at = Placement::at(Nanos::from_ms(ms));
        // 15 fps: a frame every 66.7 ms, written at or before the audio of the same time.
        for (i, f) in video.iter().enumerate() {
            let t = i as i64 * 1000 / 15;
            if t >= ms - 20 && t < ms {
                let frame = Frame::new(bytes::Bytes::copy_from_slice(f), 0, f[0] & 1 == 0);
                m.write(0, Placement::at(Nanos::from_ms(t)), &frame)
                    .unwrap();
            }
        }
        m.write(1, at, &silence).unwrap();
    }
    FrameSink::finish(&mut m, Nanos::from_ms(4000)).unwrap();
    let file = m.into_inner().unwrap().into_inner();
    let parsed = parse(&file).unwrap();
    assert_eq!(parsed.blocks.iter().filter(|b| b.track == 1).count(), 60);
    assert_eq!(parsed.blocks.iter().filter(|b| b.track == 2).count(), 200);

    let dir = std::env::temp_dir().join(format!("webm-mux-sink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sink.webm");
    std::fs::write(&path, &file).unwrap();
    if have("ffprobe") {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries"])
            .arg("stream=codec_name,width,height,channels:format=duration")
            .args(["-of", "default=nw=1"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for want in [
            "codec_name=vp8",
            "width=320",
            "height=240",
            "codec_name=opus",
            "channels=2",
            "duration=4.000000",
        ] {
            assert!(text.contains(want), "{want} not in {text}");
        }
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-map", "0", "-f", "framemd5", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = String::from_utf8_lossy(&out.stdout);
        let frames = |stream: &str| lines.lines().filter(|l| l.starts_with(stream)).count();
        assert_eq!(frames("0,"), 60, "{lines}");
        // The pre-skip (6.5 ms) is trimmed from the first packet's output; the rest decodes.
        assert!(frames("1,") >= 199, "{lines}");
    }
    if have("mkvinfo") {
        let out = Command::new("mkvinfo")
            .arg("-a")
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_lowercase()
            + &String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(out.status.success(), "{text}");
        assert!(
            !text.contains("error") && !text.contains("warning"),
            "{text}"
        );
        assert!(
            text.contains("codec id: a_opus") && text.contains("codec id: v_vp8"),
            "{text}"
        );
        assert!(
            text.contains("codec-inherent delay: 00:00:00.006500000"),
            "{text}"
        );
        assert!(text.contains("seek pre-roll: 00:00:00.080000000"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

impl mjrtool_core::SharedWrite for Discard {}
