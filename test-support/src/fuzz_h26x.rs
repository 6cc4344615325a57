//! The bodies of the H.264 and H.265 depacketizer fuzz targets (`fuzz/fuzz_targets/h264_depack.rs`
//! and `h265_depack.rs`), replayed by `tests/fuzz_replay_h26x.rs` in plain `cargo test`.
//!
//! The input is read as RTP packets (sequence step, flags, length, payload: the same layout as
//! the VP8 and Opus targets) and run through the shared frame assembly with the codec's payload
//! rules, under both after-loss policies. Every frame handed out must be whole length-prefixed
//! NAL units; a keyframe must hold an IDR (IRAP) slice and carry a size and a configuration
//! record of the declared layout. The same bytes are then packetized as one Annex B access unit
//! and depacketized back, which must give its NAL units.

use bytes::{Bytes, BytesMut};
use mjrtool_core::{Depacketizer, Frame, FrameParts, Nanos};
use rtp_depack::{
    AfterLoss, FrameAssembler, H264Packetizer, H264Payload, H265Packetizer, H265Payload,
    RtpBuilder, RtpPacket,
};

/// H.264 frame assembly on arbitrary payloads.
pub fn h264_depack(data: &[u8]) {
    for after_loss in [AfterLoss::WaitForKeyframe, AfterLoss::KeepCompleteFrames] {
        for f in assemble(data, H264Payload::new(), after_loss) {
            let types = check_nals(&f.data.contiguous(), |n| n[0] & 0x1F);
            check_key(&f, types.contains(&5));
            if let Some(c) = &f.config {
                assert!(
                    c.len() > 7 && c[0] == 1 && c[4] == 0xFF && c[5] == 0xE1,
                    "{c:?}"
                );
            }
        }
    }
    packetize_back(data, 1, |au, mtu, emit| {
        H264Packetizer::new(mtu).packetize(au, &mut { emit })
    });
}

/// H.265 frame assembly on arbitrary payloads.
pub fn h265_depack(data: &[u8]) {
    for after_loss in [AfterLoss::WaitForKeyframe, AfterLoss::KeepCompleteFrames] {
        for f in assemble(data, H265Payload::new(), after_loss) {
            let types = check_nals(&f.data.contiguous(), |n| n[0] >> 1 & 0x3F);
            check_key(&f, types.iter().any(|t| (16..=23).contains(t)));
            if let Some(c) = &f.config {
                assert!(
                    c.len() > 23 && c[0] == 1 && c[21] & 3 == 3 && c[22] == 3,
                    "{c:?}"
                );
            }
        }
    }
    packetize_back(data, 2, |au, mtu, emit| {
        H265Packetizer::new(mtu).packetize(au, &mut { emit })
    });
}

/// The NAL unit types of a frame that must be exactly length-prefixed NAL units, none empty.
fn check_nals(frame: &[u8], nal_type: impl Fn(&[u8]) -> u8) -> Vec<u8> {
    let mut rest = frame;
    let mut types = Vec::new();
    assert!(!rest.is_empty());
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("a 4-byte length")) as usize;
        assert!(
            len > 0 && rest.len() >= 4 + len,
            "a NAL unit inside the frame"
        );
        types.push(nal_type(&rest[4..]));
        rest = &rest[4 + len..];
    }
    types
}

fn check_key(f: &Frame, has_random_access_slice: bool) {
    if f.keyframe {
        assert!(has_random_access_slice);
        assert!(f.size.is_some_and(|s| s.width > 0 && s.height > 0));
        assert!(f.config.is_some());
    } else {
        assert!(f.config.is_none() && f.size.is_none());
    }
}

/// Builds RTP packets from the fuzzer's bytes and runs them through the frame assembly.
fn assemble<D: Depacketizer>(data: &[u8], rules: D, after_loss: AfterLoss) -> Vec<Frame> {
    let mut input = data;
    let mut take = |n: usize| {
        let n = n.min(input.len());
        let (a, b) = input.split_at(n);
        input = b;
        a
    };
    let window = usize::from(take(1).first().copied().unwrap_or(0) % 32) + 1;
    let mut assembler = FrameAssembler::new(rules, window).with_after_loss(after_loss);
    let mut builder = RtpBuilder::new(0x0264_0265, 100);
    let (mut ts, mut raw, mut frames) = (0u32, Vec::new(), Vec::new());
    while let [step, flags, len] = *take(3) {
        builder.sequence = builder
            .sequence
            .wrapping_add(u16::from(step))
            .wrapping_sub(3);
        if flags & 0x40 != 0 {
            ts = ts.wrapping_add(u32::from(flags & 0x3F) * 1500);
        }
        let payload = take(usize::from(len));
        builder.build(ts, flags & 0x80 != 0, payload, &[], &mut raw);
        if let Ok(p) = RtpPacket::parse(Bytes::copy_from_slice(&raw)) {
            let arrival = Nanos::from_ms(i64::from(p.header.sequence));
            assembler.push(p, Some(arrival));
        }
        frames.extend(std::iter::from_fn(|| assembler.pop()));
    }
    assembler.finish();
    frames.extend(std::iter::from_fn(|| assembler.pop()));
    let stats = assembler.stats();
    assert_eq!(stats.depack.frames, frames.len() as u64);
    frames
}

type Packetize = fn(&[u8], usize, &mut dyn FnMut(&[u8], bool));

/// Packetizes `data` as one Annex B access unit with a small payload size and checks that the
/// payload rules give its NAL units back, in AVCC form.
fn packetize_back(data: &[u8], header_len: usize, packetize: Packetize) {
    let mtu = usize::from(data.first().copied().unwrap_or(0) % 64) + 3;
    let nals: Vec<&[u8]> = rtp_depack::annexb_nals(data)
        .filter(|n| n.len() >= header_len)
        .collect();
    let mut want = Vec::new();
    for n in &nals {
        want.extend_from_slice(&(n.len() as u32).to_be_bytes());
        want.extend_from_slice(n);
    }
    let mut payloads = Vec::new();
    packetize(data, mtu, &mut |p, marker| {
        assert!(p.len() <= mtu.max(header_len + 2));
        payloads.push((Bytes::copy_from_slice(p), marker));
    });
    assert_eq!(
        payloads.iter().filter(|p| p.1).count(),
        usize::from(!nals.is_empty())
    );
    // A NAL unit whose own type is one of the packet types (or undefined) is read as such
    // once sent alone: only the absence of a panic is checked then.
    let reserved = nals.iter().any(|n| match header_len {
        1 => matches!(n[0] & 0x1F, 0 | 24..),
        _ => n[0] >> 1 & 0x3F >= 48,
    });
    let mut pieces = Vec::new();
    let mut h264 = H264Payload::new();
    let mut h265 = H265Payload::new();
    for (p, _) in &payloads {
        let r = match header_len {
            1 => h264.depacketize(p, &mut pieces),
            _ => h265.depacketize(p, &mut pieces),
        };
        assert!(r.is_ok() || reserved, "{r:?}");
    }
    if reserved || nals.is_empty() {
        return;
    }
    let mut block = BytesMut::new();
    let parts = FrameParts::new(&pieces, &mut block);
    let frame = match header_len {
        1 => h264.complete(parts),
        _ => h265.complete(parts),
    };
    // An access unit without a slice is held for the next picture: nothing is handed out.
    let pictured = nals.iter().any(|n| match header_len {
        1 => (1..=5).contains(&(n[0] & 0x1F)),
        _ => n[0] >> 1 & 0x3F <= 31,
    });
    let frame = frame.expect("whole NAL units").0;
    match pictured {
        true => assert_eq!(frame, want[..]),
        false => assert!(frame.is_empty()),
    }
}
