//! The hot path does not allocate per packet: converting a recording makes a number of heap
//! allocations that grows with its length in chunks, clusters and frames (the list of a
//! multi-packet frame's pieces), not in packets.
//!
//! A counting global allocator wraps the system one (`heap/mod.rs`, shared with `memory.rs`).

use std::io::Cursor;

use mjrtool_convert::track::MjrTrack;
use mjrtool_core::FrameSource;

mod heap;

/// Allocations made while muxing a generated pair into memory, the number of packets, and the
/// number of video frames.
fn allocations_for(alone: &heap::Alone, seconds: u64) -> (u64, u64, u64) {
    let pair = mjr_benches::pair(seconds);
    let packets = [&pair.audio, &pair.video]
        .iter()
        .map(|b| mjr::MjrReader::new(Cursor::new(&b[..])).unwrap().count() as u64)
        .sum();
    let mut video = MjrTrack::new(Cursor::new(&pair.video[..]), Default::default()).unwrap();
    let frames = std::iter::from_fn(|| video.next_frame().unwrap()).count() as u64;
    let mut out = Cursor::new(Vec::with_capacity(pair.video.len() + pair.audio.len()));
    let ((), usage) = alone.measure(|| {
        let sources = vec![
            MjrTrack::new(Cursor::new(&pair.audio[..]), Default::default()).unwrap(),
            MjrTrack::new(Cursor::new(&pair.video[..]), Default::default()).unwrap(),
        ];
        let mut m = mixer::Mixer::new(sources, mixer::MixerOptions::default());
        let infos = m.prepare::<()>().unwrap();
        let head = ogg_opus::OpusHead::new(2, 312, 48_000).to_bytes();
        let size = infos[1].size.unwrap();
        let tracks = vec![
            webm_mux::TrackConfig::opus(1, 2, head, 312),
            webm_mux::TrackConfig::vp8(2, size.width, size.height),
        ];
        let mut muxer =
            webm_mux::Muxer::new(&mut out, webm_mux::MuxerOptions::default(), tracks).unwrap();
        let mut sink = mjr_benches::Blocks(&mut muxer);
        m.run(&mut sink, &mut |_| {}).unwrap();
        muxer.finish().unwrap();
    });
    (usage.allocations, packets, frames)
}

#[test]
fn allocations_do_not_grow_with_packets() {
    let alone = heap::alone();
    let (short, short_packets, short_frames) = allocations_for(&alone, 20);
    let (long, long_packets, long_frames) = allocations_for(&alone, 120);
    eprintln!(
        "20 s: {short} allocations for {short_packets} packets, {short_frames} video frames; \
         120 s: {long} for {long_packets}, {long_frames}"
    );
    assert!(long_packets > 5 * short_packets);
    // Per extra packet, far less than one allocation: one per video frame (the list of its
    // pieces), and chunks of 256 KiB, frame buffers of 64 KiB, clusters and cues.
    let extra = long - short;
    let extra_packets = long_packets - short_packets;
    let extra_frames = long_frames - short_frames;
    assert!(
        extra < extra_frames + extra_packets / 20,
        "{extra} allocations for {extra_packets} more packets, {extra_frames} more video frames"
    );
}
