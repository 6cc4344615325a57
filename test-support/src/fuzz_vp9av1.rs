//! Fuzz bodies for the VP9 and AV1 payload rules, run by the `vp9_depack` and `av1_depack`
//! cargo-fuzz targets and replayed by `tests/fuzz_replay_vp9av1.rs`.
//!
//! Input: one byte for the reorder window, then packets as `seq_step, flags, len, payload`
//! (the same layout as the other depacketizer targets in [`crate::fuzz`]): the sequence number
//! moves by `seq_step - 3`, flags bit 7 is the marker, bit 6 moves the timestamp by
//! `(flags & 0x3F) * 1500`. [`seed`] writes a packet stream in this layout.

use bytes::Bytes;
use mjrtool_core::{Depacketizer, Frame, Nanos};
use rtp_depack::{
    AfterLoss, Av1Payload, FrameAssembler, ObuHeader, RtpBuilder, RtpPacket, Vp9FrameHeader,
    Vp9Payload, RESTART_CONFIRM,
};

/// Runs the packets `data` describes through a frame assembler with `payload`.
fn depack<D: Depacketizer>(data: &[u8], payload: D, after_loss: AfterLoss) -> Vec<Frame> {
    let (&window, mut rest) = data.split_first().unwrap_or((&0, &[]));
    let window = usize::from(window % 32) + 1;
    let mut assembler = FrameAssembler::new(payload, window).with_after_loss(after_loss);
    let mut builder = RtpBuilder::new(0x1234_5678, 96);
    let (mut ts, mut raw, mut frames) = (0u32, Vec::new(), Vec::new());
    while let [seq_step, flags, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        builder.sequence = builder
            .sequence
            .wrapping_add(u16::from(*seq_step))
            .wrapping_sub(3);
        if flags & 0x40 != 0 {
            ts = ts.wrapping_add(u32::from(flags & 0x3F) * 1500);
        }
        builder.build(ts, flags & 0x80 != 0, &tail[..n], &[], &mut raw);
        if let Ok(p) = RtpPacket::parse(Bytes::copy_from_slice(&raw)) {
            let arrival = Nanos::from_ms(i64::from(p.header.sequence));
            assembler.push(p, Some(arrival));
        }
        frames.extend(std::iter::from_fn(|| assembler.pop()));
        assert!(assembler.held() <= window + RESTART_CONFIRM);
        rest = &tail[n..];
    }
    assembler.finish();
    frames.extend(std::iter::from_fn(|| assembler.pop()));
    assert_eq!(assembler.stats().depack.frames, frames.len() as u64);
    frames
}

/// Writes `packets` (payload, marker, new timestamp) in the input layout above.
pub fn seed(packets: &[(Vec<u8>, bool, bool)]) -> Vec<u8> {
    let mut out = vec![15];
    for (payload, marker, new_ts) in packets {
        let len = payload.len().min(255);
        out.extend_from_slice(&[4, (u8::from(*marker) << 7) | (u8::from(*new_ts) * 0x42)]);
        out.push(len as u8);
        out.extend_from_slice(&payload[..len]);
    }
    out
}

/// VP9 frame assembly on arbitrary packets, with every layer and with layer 0 only: a frame
/// handed out starts with a readable uncompressed header, a keyframe's says key frame, and a
/// size, when given, is not zero.
pub fn vp9_depack(data: &[u8]) {
    for (rules, after_loss) in [
        (Vp9Payload::new(), AfterLoss::KeepCompleteFrames),
        (
            Vp9Payload::new().with_max_spatial_layer(0),
            AfterLoss::WaitForKeyframe,
        ),
    ] {
        for f in depack(data, rules, after_loss) {
            let header = Vp9FrameHeader::read(&f.data.contiguous()).expect("a checked frame");
            assert!(!f.keyframe || header.keyframe);
            // A size, when given (a keyframe's, or an inter picture's from its references),
            // is a picture's.
            assert!(f.size.is_none_or(|s| s.width > 0 && s.height > 0));
        }
    }
}

/// AV1 frame assembly on arbitrary packets: a TU handed out is OBUs in the low-overhead format
/// (each with its size field, covering the TU exactly) without temporal delimiters, tile lists
/// or padding, and reading it again gives the facts it came with.
pub fn av1_depack(data: &[u8]) {
    let rules = Av1Payload::new();
    for f in depack(data, rules, AfterLoss::KeepCompleteFrames) {
        let mut at = 0;
        while at < f.data.len() {
            let h = ObuHeader::parse(&f.data.contiguous()[at..]).expect("an OBU header");
            let size = h.size.expect("a size field") as usize;
            assert!(![2, 8, 15].contains(&h.obu_type));
            at += h.len + size;
        }
        assert_eq!(at, f.data.len());
        let facts = rules
            .inspect(&f.data.contiguous())
            .expect("a TU that reads back");
        assert_eq!(facts.keyframe, f.keyframe);
        if f.keyframe {
            assert_eq!(facts.config, f.config);
            assert_eq!(facts.size, f.size);
        }
    }
}
