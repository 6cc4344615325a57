//! Puts the VP8 frames of an IVF file (what `ffmpeg -c:v libvpx -f ivf` writes) into a seekable
//! WebM without re-encoding, then reads the file back to show its tracks, blocks and cues.
//!
//! `cargo run -p webm-mux --example ivf_to_webm [IN.ivf [OUT.webm]]` (by default the crate's
//! test pattern, written to the temporary directory).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use webm_mux::{reader, Muxer, MuxerOptions, TrackConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let input = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/vp8-320x240.ivf")
    });
    let output = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ivf_to_webm.webm"));
    let ivf = std::fs::read(&input)?;

    // IVF file header (32 bytes): "DKIF", version, header size, fourcc, width, height,
    // time base denominator and numerator, frame count; all little-endian.
    if ivf.len() < 32 || &ivf[0..4] != b"DKIF" || &ivf[8..12] != b"VP80" {
        return Err(format!("{}: not a VP8 IVF file", input.display()).into());
    }
    let le16 = |at: usize| u16::from_le_bytes([ivf[at], ivf[at + 1]]);
    let le32 = |at: usize| u32::from_le_bytes(ivf[at..at + 4].try_into().unwrap());
    let (width, height) = (le16(12), le16(14));
    let (rate, scale) = (u64::from(le32(16)).max(1), u64::from(le32(20)));

    let file = BufWriter::new(File::create(&output)?);
    let mut muxer = Muxer::new(
        file,
        MuxerOptions::default(),
        vec![TrackConfig::vp8(1, width, height)],
    )?;
    // Each frame: a 12-byte header (size, then a 64-bit timestamp in time base units).
    let mut pos = usize::from(le16(6));
    while pos + 12 <= ivf.len() {
        let size = le32(pos) as usize;
        let pts = u64::from_le_bytes(ivf[pos + 4..pos + 12].try_into().unwrap());
        let Some(frame) = ivf.get(pos + 12..pos + 12 + size) else {
            return Err(format!("{}: frame at byte {pos} is cut short", input.display()).into());
        };
        // The VP8 frame tag's first bit is 0 for a keyframe (RFC 6386 §9.1).
        let keyframe = frame.first().is_some_and(|b| b & 1 == 0);
        muxer.write_block(1, pts * scale * 1_000_000_000 / rate, keyframe, frame)?;
        pos += 12 + size;
    }
    muxer.finish()?;

    let parsed = reader::parse(&std::fs::read(&output)?)?;
    let keyframes = parsed.blocks.iter().filter(|b| b.keyframe).count();
    println!(
        "{}: {} {}x{}, {} blocks ({keyframes} keyframes), {:.0} ms, {} cues",
        output.display(),
        parsed.doc_type,
        width,
        height,
        parsed.blocks.len(),
        parsed.duration_ms.unwrap_or(0.0),
        parsed.cues.len()
    );
    Ok(())
}
