//! Decodes a G.711 µ-law stream to raw 16-bit little-endian PCM, 8 kHz mono.
//!
//! `cargo run -p mjrtool-pcm --example mulaw_to_raw -- [IN.pcmu] [OUT.raw]`
//!
//! With no input, decodes one second of a 440 Hz tone compressed here; the output (default
//! `tone.raw` in the current folder) plays with `ffplay -f s16le -ar 8000 -ac 1 tone.raw`. It is
//! written under a temporary name and renamed, so no half-written file ever has the final name.

use std::f64::consts::PI;

/// One second of a 440 Hz tone at 8 kHz, µ-law compressed by the G.711 segment rule (the
/// biased magnitude's highest bit gives the segment, the four bits below its step the interval).
fn tone() -> Vec<u8> {
    (0..8_000)
        .map(|n| {
            let x = (8_000.0 * (2.0 * PI * 440.0 * f64::from(n) / 8_000.0).sin()) as i32;
            let biased = (x.abs() / 4).min(8158) + 33;
            let segment = 26 - biased.leading_zeros() as i32;
            let interval = (biased >> (segment + 1)) & 0x0F;
            let sign = if x < 0 { 0x80 } else { 0 };
            !(sign | (segment << 4) | interval) as u8
        })
        .collect()
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let input = match args.next() {
        Some(path) => std::fs::read(path)?,
        None => tone(),
    };
    let output = args.next().unwrap_or_else(|| "tone.raw".into());

    let mut pcm = Vec::with_capacity(input.len() * 2);
    mjrtool_pcm::ulaw_to_s16le(&input, &mut pcm);

    let mut partial = output.clone();
    partial.push(".partial");
    std::fs::write(&partial, &pcm)?;
    std::fs::rename(&partial, &output)?;
    println!(
        "{} µ-law bytes -> {} samples ({:.2} s at 8 kHz) in {}",
        input.len(),
        pcm.len() / 2,
        pcm.len() as f64 / 2.0 / 8_000.0,
        output.to_string_lossy()
    );
    Ok(())
}
