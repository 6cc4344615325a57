//! What the VP9 and AV1 tests share besides the fixtures and tools of `mjrtool-test-support`:
//! RTP packets of payloads, assembling them, and shuffling them.
#![allow(dead_code)] // each test file uses some of it

use bytes::Bytes;
use mjrtool_core::Frame;
use rtp_depack::{CodecPayload, FrameAssembler, RtpBuilder, RtpPacket};

/// RTP packets for `payloads` (payload, marker, picture index), 3000 ticks per picture.
pub fn rtp_packets(payloads: &[(Vec<u8>, bool, usize)]) -> Vec<RtpPacket> {
    let mut builder = RtpBuilder::new(0x5EED, 96);
    payloads
        .iter()
        .map(|(p, marker, pic)| {
            let mut raw = Vec::new();
            builder.build(9000 + 3000 * *pic as u32, *marker, p, &[], &mut raw);
            RtpPacket::parse(Bytes::from(raw)).unwrap()
        })
        .collect()
}

/// Pushes `packets` through a frame assembler with `rules` and returns its frames.
pub fn assemble(rules: CodecPayload, packets: Vec<RtpPacket>, window: usize) -> Vec<Frame> {
    let mut a = FrameAssembler::new(rules, window);
    let mut frames = Vec::new();
    for p in packets {
        a.push(p, None);
        frames.extend(std::iter::from_fn(|| a.pop()));
    }
    a.finish();
    frames.extend(std::iter::from_fn(|| a.pop()));
    frames
}

/// Delays packets by less than half the window (a stable sort on shifted positions) and
/// duplicates a few.
pub fn shuffle(packets: Vec<RtpPacket>, window: usize, seed: u64) -> Vec<RtpPacket> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let half = (window / 2).max(1) as u64;
    let mut order: Vec<(u64, usize)> = (0..packets.len())
        .map(|i| (i as u64 + next() % half, i))
        .collect();
    order.sort();
    let mut out: Vec<RtpPacket> = order.iter().map(|&(_, i)| packets[i].clone()).collect();
    for _ in 0..out.len() / 10 {
        let i = (next() % out.len() as u64) as usize;
        out.insert(i, out[i].clone());
    }
    out
}
