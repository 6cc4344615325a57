//! Re-muxes an Ogg Opus file: `cargo run -p mjrtool-ogg --example remux IN OUT`.
//!
//! Reads every packet with the strict reader and writes them again with
//! [`OggOpusWriter`], keeping the headers.

use mjrtool_ogg::{reader, OggOpusWriter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        return Err("usage: remux IN.opus OUT.opus".into());
    };
    let file = reader::read_opus_file(&std::fs::read(input)?)?;
    let out = std::io::BufWriter::new(std::fs::File::create(output)?);
    let mut w = OggOpusWriter::new(out, 1, &file.head, &file.tags)?;
    for p in &file.packets {
        w.write_packet(p)?;
    }
    let samples = w.samples_written();
    w.finish()?;
    println!(
        "{} packets, {samples} samples, source last granule {}",
        file.packets.len(),
        file.last_granule
    );
    Ok(())
}
