//! VP8 frames that lost packets without a sequence gap, or whose keyframe header is damaged:
//! the frame's own header (RFC 6386 section 9.1) gives them away, and they are dropped.

use bytes::Bytes;
use rtp_depack::{
    AfterLoss, Depacketizer, Frame, InputPacket, RtpBuilder, RtpPacket, Vp8Depacketizer,
    Vp8FrameHeader, Vp8Packetizer,
};

/// A VP8 frame of `len` bytes whose first partition is `first_part` bytes; a keyframe carries
/// the start code and `size`. The first partition starts with 8 zero bytes, which the boolean
/// decoder reads as all-zero header fields (RFC 6386 sections 7, 19.2): one DCT partition, the
/// rest of the frame; `fill` fills the bytes after them.
fn frame(size: Option<(u16, u16)>, len: usize, first_part: u32, fill: u8) -> Vec<u8> {
    let tag = (first_part << 5 | 0x10 | u32::from(size.is_none())).to_le_bytes();
    let mut f = tag[..3].to_vec();
    if let Some((w, h)) = size {
        f.extend_from_slice(&[0x9d, 0x01, 0x2a]);
        f.extend_from_slice(&w.to_le_bytes());
        f.extend_from_slice(&h.to_le_bytes());
    }
    let zeros = f.len() + 8;
    f.resize(len.min(zeros), 0);
    f.resize(len, fill);
    f
}

/// Packetizes `frames` (100-byte payloads), one timestamp each; `keep` decides which packets
/// are sent (by frame index and packet index); the sequence numbers of the packets sent are
/// contiguous, as a sender that renumbers would make them; `marker_on_all` sets the marker on
/// every packet.
fn send(
    frames: &[Vec<u8>],
    keep: impl Fn(usize, usize) -> bool,
    marker_on_all: bool,
) -> Vec<RtpPacket> {
    let mut b = RtpBuilder::new(7, 96);
    b.sequence = 65530;
    let mut v = Vp8Packetizer::new(100, Some(3));
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let mut k = 0;
        v.packetize(f, &mut |payload, marker| {
            if keep(i, k) {
                let mut raw = Vec::new();
                b.build(
                    3000 * i as u32,
                    marker || marker_on_all,
                    payload,
                    &[],
                    &mut raw,
                );
                out.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
            }
            k += 1;
        });
    }
    out
}

fn depacketize(packets: &[RtpPacket], d: &mut Vp8Depacketizer) -> Vec<Frame> {
    let mut out = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        d.push(InputPacket {
            packet: p,
            ext_seq: 100 + i as i64,
            lost_before: 0,
            arrival_ms: None,
        });
        out.extend(std::iter::from_fn(|| d.pop()));
    }
    d.finish();
    out.extend(std::iter::from_fn(|| d.pop()));
    out
}

/// A keyframe and four inter frames of 350 bytes (4 packets each), whose first partition
/// reaches into their last packet.
fn stream() -> Vec<Vec<u8>> {
    let mut frames = vec![frame(Some((320, 240)), 350, 330, 1)];
    frames.extend((2..6).map(|i| frame(None, 350, 340, i)));
    frames
}

#[test]
fn a_frame_missing_its_last_packet_without_a_sequence_gap_is_dropped() {
    let frames = stream();
    // Frame 2 loses its last packet; the numbering closes the gap.
    for marker_on_all in [false, true] {
        let packets = send(&frames, |i, k| !(i == 2 && k == 3), marker_on_all);
        for policy in [AfterLoss::WaitForKeyframe, AfterLoss::KeepCompleteFrames] {
            let mut d = Vp8Depacketizer::new(policy);
            let out = depacketize(&packets, &mut d);
            for f in &out {
                assert!(
                    frames.iter().any(|g| g[..] == f.data[..]),
                    "a cut frame came out"
                );
                assert!(Vp8FrameHeader::parse(&f.data).is_some());
            }
            let kept: Vec<u8> = out.iter().map(|f| f.data[20]).collect();
            let s = d.stats();
            if marker_on_all {
                // Every packet closes a frame: only the frames' first packets start one, and
                // each is shorter than its first partition.
                assert_eq!(kept, [] as [u8; 0], "{policy:?}");
                assert!(s.frames_dropped_corrupt >= 5, "{policy:?} {s:?}");
                continue;
            }
            assert_eq!(s.frames_dropped_corrupt, 1, "{policy:?} {s:?}");
            match policy {
                AfterLoss::WaitForKeyframe => assert_eq!(kept, [1, 2]),
                _ => assert_eq!(kept, [1, 2, 4, 5]),
            }
        }
    }
}

#[test]
fn keyframes_with_a_zero_size_or_no_start_code_are_dropped() {
    let mut no_start_code = frame(Some((320, 240)), 200, 50, 1);
    no_start_code[3] = 0x9c;
    let keyframes = [
        frame(Some((0, 240)), 200, 50, 1),
        frame(Some((320, 0)), 200, 50, 1),
        frame(Some((0xC000, 240)), 200, 50, 1), // a scale but no width
        no_start_code,
    ];
    for key in keyframes {
        let frames = vec![
            key,
            frame(None, 150, 40, 2),
            frame(Some((64, 48)), 150, 40, 3),
        ];
        let packets = send(&frames, |_, _| true, false);
        let mut d = Vp8Depacketizer::new(AfterLoss::WaitForKeyframe);
        let out = depacketize(&packets, &mut d);
        // The damaged keyframe and the frame that depends on it go; the next keyframe is kept.
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].width, out[0].height), (Some(64), Some(48)));
        assert_eq!(d.stats().frames_dropped_corrupt, 1);
        assert_eq!(d.stats().frames_dropped_waiting_keyframe, 1);
    }
}

#[test]
fn the_frame_header_is_read_as_rfc_6386_draws_it() {
    let key = frame(Some((0x4140, 0x80F0)), 61, 50, 0);
    let h = Vp8FrameHeader::parse(&key).unwrap();
    assert!(h.keyframe && h.show_frame);
    assert_eq!((h.version, h.first_part_size, h.dct_partitions), (0, 50, 1));
    assert_eq!(
        h.size,
        Some((0x0140, 0x00F0)),
        "the scale bits are not part of the size"
    );
    // No byte left for the DCT partition; one byte short of the first partition.
    assert_eq!(Vp8FrameHeader::parse(&key[..60]), None);
    assert_eq!(Vp8FrameHeader::parse(&key[..59]), None);
    assert_eq!(Vp8FrameHeader::parse(&key[..9]), None);
    let inter = frame(None, 44, 40, 0);
    let h = Vp8FrameHeader::parse(&inter).unwrap();
    assert_eq!((h.keyframe, h.first_part_size, h.size), (false, 40, None));
    assert_eq!(Vp8FrameHeader::parse(&inter[..43]), None);
    assert_eq!(Vp8FrameHeader::parse(&inter[..42]), None);
    assert_eq!(Vp8FrameHeader::parse(&inter[..2]), None);
}
