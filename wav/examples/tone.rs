//! Writes a WAV file of a 440 Hz tone at 16 kHz with a 200 ms hole in the middle, which the sink
//! fills with silence: `cargo run -p mjrtool-wav --example tone -- out.wav`.

use std::fs::File;
use std::io::BufWriter;

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_wav::{SeekOutput, WavSink};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "tone.wav".into());
    let out = SeekOutput::new(BufWriter::new(File::create(&path)?));
    let mut sink = WavSink::new(out);
    sink.open(&[TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(16_000))])?;
    for i in 0..50i64 {
        if (20..30).contains(&i) {
            continue; // 10 frames of 20 ms lost
        }
        let pcm: Vec<u8> = (0..320)
            .map(|n| {
                let t = (i * 320 + n) as f64 / 16_000.0;
                ((t * 440.0 * std::f64::consts::TAU).sin() * 8_000.0) as i16
            })
            .flat_map(i16::to_le_bytes)
            .collect();
        let frame = Frame::new(Bytes::from(pcm), (i * 320) as u32, true);
        sink.write(0, Placement::at(Nanos::from_ms(20 * i)), &frame)?;
    }
    sink.finish(Nanos::from_secs(1))?;
    println!("{path}: {:?}", sink.stats());
    Ok(())
}
