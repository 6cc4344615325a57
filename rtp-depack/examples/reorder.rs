//! Puts a damaged RTP stream back in order: twelve 20 ms Opus packets (each with an RFC 6464
//! audio level) lose one, arrive with two swapped and one twice; the reorderer hands them out in
//! sequence order, says where the hole is, and counts what happened.
//!
//! `cargo run -p rtp-depack --example reorder`

use bytes::Bytes;
use rtp_depack::{audio_level, Reordered, Reorderer, RtpBuilder, RtpPacket};

/// The RTP header extension id negotiated for the audio level.
const AUDIO_LEVEL_ID: u8 = 1;

fn main() {
    let mut builder = RtpBuilder::new(0x5EED, 111);
    let mut sent = Vec::new();
    for i in 0..12u32 {
        let level = [0x80 | (30 + i as u8)]; // voice activity, -(30 + i) dBov
        let mut raw = Vec::new();
        // A 20 ms Opus packet whose silence flag is set, 960 samples after the previous one.
        builder.build(
            i * 960,
            false,
            &[0xF8, 0xFF, 0xFE],
            &[(AUDIO_LEVEL_ID, &level)],
            &mut raw,
        );
        sent.push(Bytes::from(raw));
    }
    // The network: packet 5 is lost, 2 and 3 swap places, 7 arrives twice.
    let mut arrived = sent.clone();
    arrived.remove(5);
    arrived.swap(2, 3);
    arrived.insert(7, sent[7].clone());

    let mut reorder = Reorderer::new(8);
    for raw in arrived {
        let packet = RtpPacket::parse(raw).expect("the builder writes valid RTP");
        reorder.push(packet.header.sequence, packet);
        drain(&mut reorder);
    }
    reorder.flush();
    drain(&mut reorder);
    let stats = reorder.stats();
    println!(
        "received {}, duplicates {}, reordered {}, lost {}",
        stats.received, stats.duplicates, stats.reordered, stats.lost
    );
}

/// Prints every packet the reorderer is ready to hand out, and the holes before them.
fn drain(reorder: &mut Reorderer<RtpPacket>) {
    while let Some(Reordered::Packet {
        ext_seq,
        item,
        lost_before,
    }) = reorder.pop()
    {
        if lost_before > 0 {
            println!("  ({lost_before} lost)");
        }
        let level = item.extension(AUDIO_LEVEL_ID).and_then(audio_level);
        println!(
            "seq {ext_seq:2}  ts {:5}  {} payload bytes  level {level:?}",
            item.header.timestamp,
            item.payload().len()
        );
    }
}
