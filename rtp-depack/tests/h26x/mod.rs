//! What the H.264 and H.265 tests share: the fixtures split into access units by a splitter of
//! their own (not the crate's), packetizing, assembling, and ffmpeg as the independent decoder.
#![allow(dead_code)] // each test file uses some of them

use std::io::Write;
use std::process::{Command, Stdio};

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, Nanos};
use rtp_depack::{
    AssemblyStats, CodecPayload, FrameAssembler, H264Packetizer, H265Packetizer, RtpBuilder,
    RtpPacket,
};

/// Ticks of the 90 kHz clock between the fixtures' pictures (15 fps).
pub const TICKS: u32 = 6000;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("fixture")
}

/// The NAL unit type.
pub fn nal_type(codec: &Codec, nal: &[u8]) -> u8 {
    match codec {
        Codec::H264 => nal[0] & 0x1F,
        _ => nal[0] >> 1 & 0x3F,
    }
}

/// Whether `nal` is a slice, and whether it is the first slice of its picture.
fn slice(codec: &Codec, nal: &[u8]) -> Option<bool> {
    let t = nal_type(codec, nal);
    match codec {
        // first_mb_in_slice == 0 is the single bit 1.
        Codec::H264 => (1..=5).contains(&t).then(|| nal[1] & 0x80 != 0),
        // first_slice_segment_in_pic_flag.
        _ => (t < 32).then(|| nal[2] & 0x80 != 0),
    }
}

/// A NAL unit that may only come before the slices of a picture.
fn prefix(codec: &Codec, nal: &[u8]) -> bool {
    let t = nal_type(codec, nal);
    match codec {
        Codec::H264 => matches!(t, 6..=9),
        _ => matches!(t, 32..=35 | 39),
    }
}

/// The access units of an Annex B stream, each as its NAL units: cut at every `00 00 01`,
/// trailing zero bytes dropped, a new unit at a prefix NAL unit or first slice after a slice.
pub fn access_units(codec: &Codec, data: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut aus: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut after_slice = false;
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        let mut nal = data[s..end].to_vec();
        while nal.last() == Some(&0) {
            nal.pop();
        }
        let new_au = match slice(codec, &nal) {
            Some(first) => first && after_slice,
            None => prefix(codec, &nal) && after_slice,
        };
        if new_au || aus.is_empty() {
            aus.push(Vec::new());
            after_slice = false;
        }
        after_slice |= slice(codec, &nal).is_some();
        aus.last_mut().unwrap().push(nal);
    }
    aus
}

/// An access unit with each NAL unit behind its 4-byte big-endian length.
pub fn avcc(au: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in au {
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}

/// A length-prefixed frame back in Annex B form.
pub fn annexb(frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = frame;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&rest[4..4 + len]);
        rest = &rest[4 + len..];
    }
    assert!(rest.is_empty());
    out
}

/// Whether the access unit decodes on its own: an IDR (H.264) or IRAP (H.265) slice.
pub fn is_key(codec: &Codec, au: &[Vec<u8>]) -> bool {
    au.iter().any(|n| match codec {
        Codec::H264 => nal_type(codec, n) == 5,
        _ => (16..=23).contains(&nal_type(codec, n)),
    })
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

/// ffmpeg's per-frame hashes of an Annex B stream (`format`: h264 or hevc) and what it wrote
/// to stderr; `None` when ffmpeg is not installed.
pub fn framemd5(format: &str, stream: &[u8]) -> Option<(Vec<String>, String)> {
    let mut child = Command::new("ffmpeg")
        .args([
            "-v", "error", "-f", format, "-i", "-", "-f", "framemd5", "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take().unwrap();
    let data = stream.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let hashes = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap_or("").trim().to_string())
        .collect();
    Some((hashes, String::from_utf8_lossy(&out.stderr).into_owned()))
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
