//! What the kernel knows about the codecs named on the command line (Janus header names), and
//! the Opus silence packet every container fills gaps with.
//!
//! `cargo run -p mjrtool-core --example codecs -- vp8 opus g722 h266`

use mjrtool_core::{opus, Codec, MediaTime};

fn main() {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = ["vp8", "opus"].map(String::from).to_vec();
    }
    for name in &names {
        let codec = Codec::from_name(name);
        let kind = codec.kind().map_or("unknown", |k| k.name());
        match codec.clock_rate() {
            // One second and a half of RTP timestamps, read as time on the codec's clock.
            Some(rate) => {
                let span = MediaTime::new(i64::from(rate.hz()) * 3 / 2, rate)
                    .since(MediaTime::new(0, rate));
                println!("{codec}: {kind}, {} Hz clock, 1.5 s = {span}", rate.hz());
            }
            None => println!("{codec}: {kind}, no RTP clock known"),
        }
    }
    let samples = opus::toc::packet_samples(&opus::SILENCE_20MS).expect("a valid Opus packet");
    println!(
        "Opus silence packet {:02X?}: {samples} samples at {} Hz",
        opus::SILENCE_20MS,
        opus::RATE_HZ
    );
}
