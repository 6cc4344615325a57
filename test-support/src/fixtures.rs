//! The committed fixtures (`fixtures/` at the repository root), read at run time, and cut the
//! way the depacketizers hand frames to the muxers (see `notes/codecs.md`): H.264/H.265 access
//! units with 4-byte lengths, AV1 temporal units without their temporal delimiters, VP9 and VP8
//! frames, Opus packets; and the codec configuration records (`avcC`, `hvcC`, `av1C`) built from
//! them.
//!
//! Every reader and record builder here is written from the specifications, independently of
//! the production crates, so that a test may use it as the oracle of what a depacketizer or a
//! muxer should produce. Each one panics on input it does not expect: the fixtures are known.
//!
//! The one shared copy of what the integration tests of `webm-mux`, `mjrtool-mp4` and
//! `rtp-depack` read the fixtures with (a dev-dependency by path, which `cargo package` drops).
//!
//! # Example
//!
//! ```
//! use mjrtool_test_support::fixtures::{access_units, fixture, H26x};
//!
//! let stream = fixture("h264-160x120.h264");
//! let units = access_units(&stream, H26x::H264);
//! assert_eq!(units.len(), 30);
//! assert_eq!(units.iter().filter(|u| u.key).count(), 2);
//! ```

pub mod av1;
pub mod h26x;

use std::path::{Path, PathBuf};

use bytes::Bytes;

pub use av1::{av1c, obus, strip_temporal_delimiters, Obu};
pub use h26x::{
    access_units, annexb, annexb_nals, avcc, find_nal, hvcc, length_prefixed, rbsp, AccessUnit,
    Bits, H26x,
};

/// Where fixture `name` is (`<repository>/fixtures/<name>`).
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

/// The bytes of fixture `name`, read at run time (so that `cargo package` of a crate whose
/// tests use it needs no fixture in the package).
///
/// # Panics
///
/// If the file cannot be read.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The frames of IVF fixture `name`, in order (see [`crate::ivf`]).
///
/// # Panics
///
/// If the file cannot be read or is not a whole IVF file.
pub fn ivf_fixture(name: &str) -> Vec<Vec<u8>> {
    crate::ivf::frames(&fixture(name))
}

/// An IVF file of `frames` (a 32-byte file header with `fourcc`, the size and a 1/30 s time
/// base, then per frame its 12-byte header: size u32 LE, timestamp u64 LE, the frame's index).
pub fn ivf_file(fourcc: &[u8; 4], width: u16, height: u16, frames: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut out = b"DKIF".to_vec();
    out.extend_from_slice(&0u16.to_le_bytes()); // version
    out.extend_from_slice(&32u16.to_le_bytes()); // header size
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&30u32.to_le_bytes()); // rate
    out.extend_from_slice(&1u32.to_le_bytes()); // scale
    out.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // unused
    for (i, f) in frames.iter().enumerate() {
        let f = f.as_ref();
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(i as u64).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// `bytes` cut into the pieces between `cuts` (each taken modulo the length plus one), as
/// slices of one buffer, the way a frame that came in several packets of one read is held
/// (`mjrtool_core::FrameData`). Empty pieces are left out; no cut gives the whole.
pub fn in_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let all = Bytes::copy_from_slice(bytes);
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    at.extend([0, bytes.len()]);
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| all.slice(w[0]..w[1])).collect()
}

/// Whether a VP9 frame is a shown key frame (VP9 §6.2 uncompressed header: frame_marker (2),
/// profile_low_bit, profile_high_bit, a reserved zero bit in profile 3, show_existing_frame,
/// frame_type 0 = KEY_FRAME).
///
/// # Panics
///
/// If `frame` is empty or its frame_marker is not 2.
pub fn vp9_keyframe(frame: &[u8]) -> bool {
    let b = frame[0];
    assert_eq!(b >> 6, 2, "VP9 frame_marker");
    let profile = ((b >> 5) & 1) | ((b >> 3) & 2);
    let shift = if profile == 3 { 2 } else { 3 };
    (b >> shift) & 1 == 0 && (b >> (shift - 1)) & 1 == 0
}

/// The OpusHead and the audio packets of Ogg Opus fixture `name`.
///
/// # Panics
///
/// If the fixture cannot be read as Ogg Opus.
pub fn opus_packets(name: &str) -> (ogg_opus::OpusHead, Vec<Vec<u8>>) {
    let file =
        ogg_opus::reader::read_opus_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    (file.head, file.packets)
}

/// A video fixture as a depacketizer hands it to a muxer: its configuration record and its
/// frames, each with whether it is a keyframe.
pub type VideoFixture = (Bytes, Vec<(Bytes, bool)>);

/// `h264-160x120.h264`: its `avcC` (first SPS and PPS) and its access units with 4-byte lengths.
pub fn h264_fixture() -> VideoFixture {
    let stream = fixture("h264-160x120.h264");
    let sps = find_nal(&stream, |n| H26x::H264.nal_type(n) == 7);
    let pps = find_nal(&stream, |n| H26x::H264.nal_type(n) == 8);
    let config = avcc(sps, pps);
    (config.into(), length_prefixed_units(&stream, H26x::H264))
}

/// `h265-160x120.h265`: its `hvcC` (first VPS, SPS and PPS) and its access units with 4-byte
/// lengths (in decoding order: the fixture has B-frames).
pub fn h265_fixture() -> VideoFixture {
    let stream = fixture("h265-160x120.h265");
    let nal = |t: u8| find_nal(&stream, move |n| H26x::H265.nal_type(n) == t);
    let config = hvcc(nal(32), nal(33), nal(34));
    (config.into(), length_prefixed_units(&stream, H26x::H265))
}

fn length_prefixed_units(stream: &[u8], codec: H26x) -> Vec<(Bytes, bool)> {
    access_units(stream, codec)
        .iter()
        .map(|u| (u.length_prefixed().into(), u.key))
        .collect()
}

/// `av1-160x120.ivf`: the `av1C` of its first temporal unit, and its temporal units without
/// temporal delimiters, keyframes being those with a sequence header.
pub fn av1_fixture() -> VideoFixture {
    let units = ivf_fixture("av1-160x120.ivf");
    let config = av1c(&units[0]);
    let frames = units
        .iter()
        .map(|tu| {
            let (key, data) = strip_temporal_delimiters(tu);
            (data.into(), key)
        })
        .collect();
    (config.into(), frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_video_fixtures_hold_thirty_frames_and_two_keyframes_each() {
        for (name, (config, frames)) in [
            ("h264", h264_fixture()),
            ("h265", h265_fixture()),
            ("av1", av1_fixture()),
        ] {
            assert!(!config.is_empty(), "{name}");
            assert_eq!(frames.len(), 30, "{name}");
            let keys: Vec<usize> = (0..30).filter(|&i| frames[i].1).collect();
            assert_eq!(keys, [0, 15], "{name}");
        }
        let vp9 = ivf_fixture("vp9-160x120.ivf");
        let keys: Vec<usize> = (0..vp9.len()).filter(|&i| vp9_keyframe(&vp9[i])).collect();
        assert_eq!((vp9.len(), keys), (30, vec![0, 15]));
    }

    #[test]
    fn an_ivf_file_written_reads_back_with_its_frames() {
        let frames = [vec![1u8, 2, 3], vec![], vec![9; 40]];
        let file = ivf_file(b"VP90", 160, 120, &frames);
        let ivf = crate::ivf::parse(&file).unwrap();
        assert_eq!((&ivf.fourcc, ivf.width, ivf.height), (b"VP90", 160, 120));
        let read: Vec<(u64, &[u8])> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (i as u64, &f[..]))
            .collect();
        assert_eq!(ivf.frames, read);
    }

    #[test]
    fn the_opus_fixtures_give_their_channels_and_packets() {
        for (name, channels) in [
            ("tone.opus", 1),
            ("tone-stereo.opus", 2),
            ("surround.opus", 6),
        ] {
            let (head, packets) = opus_packets(name);
            assert_eq!(head.channels, channels, "{name}");
            assert!(!packets.is_empty(), "{name}");
        }
    }
}
