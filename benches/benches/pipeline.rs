//! Throughput of each stage of the pipeline and of a whole conversion.
//!
//! `cargo bench -p mjr-benches` (add `-- <name>` to run one group). Figures are in BENCHMARKS.md.

use std::io::Cursor;
use std::path::PathBuf;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mixer::{CollectSink, Mixer, MixerOptions};
use mjrtool_convert::track::MjrTrack;
use rtp_depack::{
    Depacketizer, InputPacket, OpusDepacketizer, Reordered, Reorderer, RtpPacket, Vp8Depacketizer,
};

/// The RTP packets of a recording, as the MJR reader hands them out.
fn packets(mjr_bytes: &[u8]) -> Vec<Bytes> {
    let mut r = mjr::MjrReader::new(Cursor::new(mjr_bytes)).expect("generated header");
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().expect("generated packets") {
        out.push(p.data);
    }
    out
}

fn mjr_parse(c: &mut Criterion) {
    let pair = mjr_benches::pair(60);
    let mut g = c.benchmark_group("mjr_parse");
    g.throughput(Throughput::Bytes(pair.video.len() as u64));
    g.bench_function("video_60s_streaming_reader", |b| {
        b.iter(|| {
            let mut r = mjr::MjrReader::new(Cursor::new(&pair.video[..])).unwrap();
            let mut n = 0usize;
            while let Some(p) = r.next_packet().unwrap() {
                n += p.data.len();
            }
            n
        })
    });
    g.finish();
}

fn depack_all(packets: &[Bytes], depack: &mut dyn Depacketizer) -> usize {
    let mut reorder = Reorderer::new(512);
    let mut frames = 0;
    let mut drain = |reorder: &mut Reorderer<RtpPacket>, d: &mut dyn Depacketizer| {
        while let Some(Reordered::Packet {
            ext_seq,
            item,
            lost_before,
        }) = reorder.pop()
        {
            d.push(InputPacket {
                packet: &item,
                ext_seq,
                lost_before,
                arrival_ms: None,
            });
            while d.pop().is_some() {
                frames += 1;
            }
        }
    };
    for p in packets {
        let rtp = RtpPacket::parse(p.clone()).unwrap();
        reorder.push(rtp.header.sequence, rtp);
        drain(&mut reorder, depack);
    }
    reorder.flush();
    drain(&mut reorder, depack);
    depack.finish();
    while depack.pop().is_some() {
        frames += 1;
    }
    frames
}

fn depacketize(c: &mut Criterion) {
    let pair = mjr_benches::pair(60);
    let video = packets(&pair.video);
    let audio = packets(&mjr_benches::pair(600).audio);
    let mut g = c.benchmark_group("depacketize");
    g.throughput(Throughput::Elements(video.len() as u64));
    g.bench_function("vp8_reorder_depack", |b| {
        b.iter(|| depack_all(&video, &mut Vp8Depacketizer::default()))
    });
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.bench_function("opus_reorder_depack", |b| {
        b.iter(|| depack_all(&audio, &mut OpusDepacketizer::default()))
    });
    g.finish();
}

/// The placed frames of a pair, as the mixer hands them to a muxer.
fn placed(pair: &mjr_benches::Pair) -> (Vec<mixer::TrackInfo>, CollectSink) {
    let sources = vec![
        MjrTrack::new(Cursor::new(pair.audio.clone()), Default::default()).unwrap(),
        MjrTrack::new(Cursor::new(pair.video.clone()), Default::default()).unwrap(),
    ];
    let mut m = Mixer::new(sources, MixerOptions::default());
    let infos = m.prepare::<()>().unwrap();
    let mut sink = CollectSink::default();
    m.run(&mut sink, &mut |_| {}).unwrap();
    (infos, sink)
}

fn mux(c: &mut Criterion) {
    let pair = mjr_benches::pair(60);
    let (infos, sink) = placed(&pair);
    let bytes: usize = sink.frames.iter().map(|(_, _, f)| f.data.len()).sum();
    let head = ogg_opus::OpusHead::new(2, 312, 48_000);
    let tracks = vec![
        webm_mux::TrackConfig::opus(1, 2, head.to_bytes(), 312),
        webm_mux::TrackConfig::vp8(
            2,
            infos[1].size.unwrap().width,
            infos[1].size.unwrap().height,
        ),
    ];
    let mut g = c.benchmark_group("mux");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("webm_60s_av", |b| {
        b.iter_batched(
            || Cursor::new(Vec::with_capacity(bytes + bytes / 8)),
            |out| {
                let mut m =
                    webm_mux::Muxer::new(out, webm_mux::MuxerOptions::default(), tracks.clone())
                        .unwrap();
                for (t, at, f) in &sink.frames {
                    m.write_block(
                        *t as u64 + 1,
                        at.time.get() as u64,
                        f.keyframe,
                        &f.data.contiguous(),
                    )
                    .unwrap();
                }
                m.finish().unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    let audio: Vec<Bytes> = sink
        .frames
        .iter()
        .filter(|(t, _, _)| *t == 0)
        .map(|(_, _, f)| f.data.to_bytes())
        .collect();
    let audio_bytes: usize = audio.iter().map(|d| d.len()).sum();
    g.throughput(Throughput::Bytes(audio_bytes as u64));
    g.bench_function("ogg_opus_60s", |b| {
        b.iter(|| {
            let tags = ogg_opus::OpusTags::new("bench");
            let mut w =
                ogg_opus::OggOpusWriter::new(Vec::with_capacity(audio_bytes * 2), 1, &head, &tags)
                    .unwrap();
            for d in &audio {
                w.write_packet(d).unwrap();
            }
            w.finish().unwrap()
        })
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("mjr-bench-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pair = mjr_benches::pair(600);
    let video = dir.join("video.mjr");
    let audio = dir.join("audio.mjr");
    std::fs::write(&video, &pair.video).unwrap();
    std::fs::write(&audio, &pair.audio).unwrap();
    let input_bytes = (pair.video.len() + pair.audio.len()) as u64;
    drop(pair);
    let out = dir.join("out.webm");
    let inputs: Vec<PathBuf> = vec![audio, video];
    let options = mjrtool_convert::convert::ConvertOptions {
        force: true,
        ..Default::default()
    };
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(input_bytes));
    g.bench_function("mux_10min_av_to_webm", |b| {
        b.iter(|| {
            mjrtool_convert::convert::convert(&inputs, &out, &options, &mut |_, _| {}).unwrap()
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, mjr_parse, depacketize, mux, end_to_end);
criterion_main!(benches);
