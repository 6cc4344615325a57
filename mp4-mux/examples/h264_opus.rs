//! Writes a small H.264 + Opus MP4 from the repository's fixtures.
//!
//! ```text
//! cargo run -p mjrtool-mp4 --example h264_opus -- out.mp4 [--fragmented]
//! ```
//!
//! The H.264 fixture is Annex B: it is split into NAL units at start codes, grouped into access
//! units (a new one at each parameter set or at a slice with first_mb_in_slice = 0), and each NAL
//! unit is given a 4-byte length, as the frame-format contract hands H.264 frames to muxers.

use std::io::{BufWriter, Cursor};
use std::path::Path;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec, VideoSize};
use mjrtool_mp4::Mp4Muxer;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(name),
    )
    .expect("run from the repository")
}

/// NAL units of an Annex B stream.
fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts: Vec<usize> = (0..data.len().saturating_sub(2))
        .filter(|&i| data[i..i + 3] == [0, 0, 1])
        .map(|i| i + 3)
        .collect();
    starts.push(data.len() + 3);
    starts
        .windows(2)
        .map(|w| {
            let mut end = w[1] - 3;
            while end > w[0] && data[end - 1] == 0 {
                end -= 1;
            }
            &data[w[0]..end]
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map_or("h264_opus.mp4", String::as_str);
    let fragmented = args.iter().any(|a| a == "--fragmented");

    let h264 = fixture("h264-160x120.h264");
    let nals = nal_units(&h264);
    let sps = nals.iter().find(|n| n[0] & 0x1F == 7).ok_or("no SPS")?;
    let pps = nals.iter().find(|n| n[0] & 0x1F == 8).ok_or("no PPS")?;
    // AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1), 4-byte lengths.
    let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
    avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(sps);
    avcc.push(1);
    avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(pps);

    let mut units: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut has_slice = false;
    for n in nals {
        let kind = n[0] & 0x1F;
        let slice = kind == 1 || kind == 5;
        if units.is_empty() || (has_slice && (!slice || n.get(1).is_some_and(|b| b & 0x80 != 0))) {
            units.push((Vec::new(), false));
            has_slice = false;
        }
        let (au, key) = units.last_mut().expect("pushed above");
        au.extend_from_slice(&(n.len() as u32).to_be_bytes());
        au.extend_from_slice(n);
        *key |= kind == 5;
        has_slice |= slice;
    }
    let opus = ogg_opus::reader::read_opus_file(&fixture("tone.opus"))?;

    let tracks = [
        TrackSpec::new(Codec::H264)
            .with_size(Some(VideoSize {
                width: 160,
                height: 120,
            }))
            .with_config(Some(Bytes::from(avcc))),
        TrackSpec::new(Codec::Opus).with_channels(Some(opus.head.channels)),
    ];
    // Frames in time order: video at 15 fps, audio every 20 ms.
    let mut frames: Vec<(Nanos, usize, Frame)> = Vec::new();
    for (i, (au, key)) in units.into_iter().enumerate() {
        let at = Nanos(i as i64 * 1_000_000_000 / 15);
        frames.push((at, 0, Frame::new(au, i as u32 * 6000, key)));
    }
    for (i, p) in opus.packets.into_iter().enumerate() {
        let at = Nanos::from_ms(20 * i as i64);
        frames.push((at, 1, Frame::new(p, i as u32 * 960, true)));
    }
    frames.sort_by_key(|f| (f.0, f.1));
    let end = frames
        .last()
        .map_or(Nanos::ZERO, |f| f.0 + Nanos::from_ms(20));

    let file = BufWriter::new(std::fs::File::create(out)?);
    let feed = |sink: &mut dyn FrameSink<Error = mjrtool_mp4::Mp4Error>| {
        sink.open(&tracks)?;
        for (at, track, frame) in &frames {
            sink.write(*track, Placement::at(*at), frame)?;
        }
        sink.finish(end)
    };
    if fragmented {
        feed(&mut Mp4Muxer::fragmented(file))?;
    } else {
        // A real program spools to a temporary file beside the output; memory will do here.
        feed(&mut Mp4Muxer::faststart(file, Cursor::new(Vec::new())))?;
    }
    println!("wrote {out} ({} frames)", frames.len());
    Ok(())
}
