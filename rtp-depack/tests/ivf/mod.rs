//! A tiny IVF reader and writer for the VP9 and AV1 tests, and the shared stream plumbing.
#![allow(dead_code)] // each test file uses some of it

use bytes::Bytes;
use mjrtool_core::Frame;
use rtp_depack::{CodecPayload, FrameAssembler, RtpBuilder, RtpPacket};

/// The frames of an IVF file: a 32-byte file header, then per frame a 12-byte header (size u32
/// LE, timestamp u64 LE) and the frame.
pub fn read_ivf(data: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(&data[..4], b"DKIF");
    let mut frames = Vec::new();
    let mut at = 32;
    while at + 12 <= data.len() {
        let size = u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        frames.push(data[at + 12..at + 12 + size].to_vec());
        at += 12 + size;
    }
    frames
}

/// A fixture's frames.
pub fn fixture(name: &str) -> Vec<Vec<u8>> {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    read_ivf(&std::fs::read(path).expect("fixture"))
}

/// An IVF file of `frames` with the given fourcc and size, one timestamp per frame.
pub fn write_ivf(fourcc: &[u8; 4], width: u16, height: u16, frames: &[Bytes]) -> Vec<u8> {
    let mut out = b"DKIF".to_vec();
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&30u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(i as u64).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

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

/// Whether ffmpeg is installed.
pub fn have_ffmpeg() -> bool {
    std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `ffmpeg -v error -i <file> -f framemd5 -`: the hash lines and the error output.
pub fn framemd5(path: &std::path::Path) -> (Vec<String>, String) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg runs");
    let hashes = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap_or("").trim().to_string())
        .collect();
    (hashes, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rtp-depack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
