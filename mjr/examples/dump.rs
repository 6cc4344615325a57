//! Prints a recording's header and a summary of its packets: `cargo run -p mjr --example dump FILE.mjr`.

use std::io::BufReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: dump FILE.mjr")?;
    let mut r = mjr::MjrReader::new(BufReader::new(std::fs::File::open(path)?))?;
    println!("{}", serde_json::to_string_pretty(r.header())?);
    let (mut n, mut bytes, mut last_ms) = (0u64, 0u64, None);
    while let Some(p) = r.next_packet()? {
        n += 1;
        bytes += p.data.len() as u64;
        last_ms = p.time_ms.or(last_ms);
    }
    println!("{n} packets, {bytes} bytes, last time {last_ms:?} ms");
    for w in r.warnings() {
        println!("warning: {w}");
    }
    Ok(())
}
