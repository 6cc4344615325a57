//! What the H.264 and H.265 tests share besides the fixtures and tools of
//! `mjrtool-test-support`: the fixture's access units in a form the tests edit, packetizing,
//! assembling, and a writer of parameter sets.
#![allow(dead_code)] // each test file uses some of them

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, Nanos};
use mjrtool_test_support::fixtures::{self, AccessUnit, H26x};
use rtp_depack::{
    AssemblyStats, CodecPayload, FrameAssembler, H264Packetizer, H265Packetizer, RtpBuilder,
    RtpPacket,
};

/// Ticks of the 90 kHz clock between the fixtures' pictures (15 fps).
pub const TICKS: u32 = 6000;

/// The fixture's access units, each as its NAL units copied out (so that a test may edit them),
/// cut by the shared splitter of `mjrtool-test-support` (not the crate's).
pub fn fixture_access_units(codec: &Codec, name: &str) -> Vec<Vec<Vec<u8>>> {
    fixtures::access_units(&fixtures::fixture(name), h26x(codec))
        .iter()
        .map(AccessUnit::to_owned_nals)
        .collect()
}

fn h26x(codec: &Codec) -> H26x {
    match codec {
        Codec::H264 => H26x::H264,
        Codec::H265 => H26x::H265,
        other => panic!("not H.264 or H.265: {other:?}"),
    }
}

/// The NAL unit type.
pub fn nal_type(codec: &Codec, nal: &[u8]) -> u8 {
    h26x(codec).nal_type(nal)
}

/// Whether the access unit decodes on its own: an IDR (H.264) or IRAP (H.265) slice.
pub fn is_key(codec: &Codec, au: &[Vec<u8>]) -> bool {
    au.iter().any(|n| h26x(codec).is_key(n))
}

/// RTP packets of the access units (timestamps [`TICKS`] apart, from `ts0`), payloads of at
/// most `mtu` bytes.
pub fn packetize(codec: &Codec, aus: &[Vec<Vec<u8>>], mtu: usize, seq0: u16) -> Vec<RtpPacket> {
    let mut builder = RtpBuilder::new(0x2640_0001, 100);
    builder.sequence = seq0;
    let mut packets = Vec::new();
    let mut h264 = H264Packetizer::new(mtu);
    let mut h265 = H265Packetizer::new(mtu);
    for (i, au) in aus.iter().enumerate() {
        let nals: Vec<&[u8]> = au.iter().map(Vec::as_slice).collect();
        let ts = 1000 + i as u32 * TICKS;
        let mut emit = |payload: &[u8], marker: bool| {
            assert!(payload.len() <= mtu.max(4), "{} > {mtu}", payload.len());
            let mut raw = Vec::new();
            builder.build(ts, marker, payload, &[], &mut raw);
            packets.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
        };
        match codec {
            Codec::H264 => h264.packetize_nals(&nals, &mut emit),
            _ => h265.packetize_nals(&nals, &mut emit),
        }
    }
    packets
}

/// RTP packets of the access units as [`packetize`] makes them, except that what comes before
/// each access unit's first slice (parameter sets, SEI, delimiter) is sent apart, on a
/// timestamp of its own one tick before the picture's, its last packet with the marker bit
/// when `marker`: what some senders do with their parameter sets.
pub fn packetize_sets_apart(
    codec: &Codec,
    aus: &[Vec<Vec<u8>>],
    mtu: usize,
    marker: bool,
) -> Vec<RtpPacket> {
    let mut builder = RtpBuilder::new(0x2640_0001, 100);
    let mut packets = Vec::new();
    let mut h264 = H264Packetizer::new(mtu);
    let mut h265 = H265Packetizer::new(mtu);
    let slice = |n: &[u8]| match codec {
        Codec::H264 => (1..=5).contains(&(n[0] & 0x1F)),
        _ => (n[0] >> 1) & 0x3F <= 31,
    };
    for (i, au) in aus.iter().enumerate() {
        let ts = 1000 + i as u32 * TICKS;
        let first = au.iter().position(|n| slice(n)).unwrap_or(au.len());
        for (part, ts, last_marker) in [(&au[..first], ts - 1, marker), (&au[first..], ts, true)] {
            if part.is_empty() {
                continue;
            }
            let nals: Vec<&[u8]> = part.iter().map(Vec::as_slice).collect();
            let mut emit = |payload: &[u8], m: bool| {
                let mut raw = Vec::new();
                builder.build(ts, m && last_marker, payload, &[], &mut raw);
                packets.push(RtpPacket::parse(Bytes::from(raw)).unwrap());
            };
            match codec {
                Codec::H264 => h264.packetize_nals(&nals, &mut emit),
                _ => h265.packetize_nals(&nals, &mut emit),
            }
        }
    }
    packets
}

/// Sent with their parameter sets apart ([`packetize_sets_apart`], with and without the marker
/// bit), the access units come back as the frames they are, none dropped.
pub fn assert_sets_apart_come_back(codec: &Codec, aus: &[Vec<Vec<u8>>]) {
    for marker in [true, false] {
        let packets = packetize_sets_apart(codec, aus, 300, marker);
        let (frames, stats, _) = assemble(codec, packets, 8);
        assert_eq!(frames.len(), aus.len(), "marker {marker}: {stats:?}");
        for f in &frames {
            let i = ((f.rtp_timestamp - 1000) / TICKS) as usize;
            assert!(
                f.data.contiguous()[..] == fixtures::length_prefixed(&aus[i])[..],
                "frame {i}"
            );
            assert_eq!(f.keyframe, is_key(codec, &aus[i]));
            assert_eq!(f.config.is_some(), f.keyframe);
        }
        let d = &stats.depack;
        assert_eq!(d.frames_dropped_incomplete + d.frames_dropped_corrupt, 0);
        assert_eq!(d.frames_dropped_waiting_keyframe, 0);
    }
}

/// Runs packets through the shared frame assembly with the codec's rules.
pub fn assemble(
    codec: &Codec,
    packets: impl IntoIterator<Item = RtpPacket>,
    window: usize,
) -> (Vec<Frame>, AssemblyStats, CodecPayload) {
    let rules = CodecPayload::for_codec(codec).unwrap();
    let mut assembler = FrameAssembler::new(rules, window);
    let mut frames = Vec::new();
    for (i, p) in packets.into_iter().enumerate() {
        assembler.push(p, Some(Nanos::from_ms(i as i64)));
        frames.extend(std::iter::from_fn(|| assembler.pop()));
    }
    assembler.finish();
    frames.extend(std::iter::from_fn(|| assembler.pop()));
    (frames, assembler.stats(), assembler.depacketizer().clone())
}

/// Writes bits, exp-Golomb codes and finally the NAL unit with emulation prevention bytes.
#[derive(Default)]
pub struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    pub fn u(&mut self, n: u32, v: u64) -> &mut Self {
        for i in (0..n).rev() {
            self.bits.push(v >> i & 1 == 1);
        }
        self
    }
    pub fn ue(&mut self, v: u64) -> &mut Self {
        let len = 64 - (v + 1).leading_zeros();
        self.u(len - 1, 0).u(len, v + 1)
    }
    pub fn se(&mut self, v: i64) -> &mut Self {
        self.ue(if v > 0 {
            2 * v as u64 - 1
        } else {
            2 * v.unsigned_abs()
        })
    }
    /// The NAL unit: `header`, then the RBSP with its stop bit, escaped (section 7.4.1).
    pub fn nal(&mut self, header: &[u8]) -> Vec<u8> {
        self.bits.push(true);
        while self.bits.len() % 8 != 0 {
            self.bits.push(false);
        }
        let mut out = header.to_vec();
        let mut zeros = 0;
        for byte in self.bits.chunks(8) {
            let b = byte.iter().fold(0u8, |a, &bit| a << 1 | u8::from(bit));
            if zeros >= 2 && b <= 3 {
                out.push(3);
                zeros = 0;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            out.push(b);
        }
        out
    }
}
