//! EBML (RFC 8794): element IDs used by WebM/Matroska, and writing and reading primitives.

#![allow(missing_docs)] // the IDs are named after the Matroska elements they stand for

pub const EBML: u32 = 0x1A45_DFA3;
pub const EBML_VERSION: u32 = 0x4286;
pub const EBML_READ_VERSION: u32 = 0x42F7;
pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
pub const DOC_TYPE: u32 = 0x4282;
pub const DOC_TYPE_VERSION: u32 = 0x4287;
pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
pub const VOID: u32 = 0xEC;
pub const SEGMENT: u32 = 0x1853_8067;
pub const SEEK_HEAD: u32 = 0x114D_9B74;
pub const SEEK: u32 = 0x4DBB;
pub const SEEK_ID: u32 = 0x53AB;
pub const SEEK_POSITION: u32 = 0x53AC;
pub const INFO: u32 = 0x1549_A966;
pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
pub const DURATION: u32 = 0x4489;
pub const MUXING_APP: u32 = 0x4D80;
pub const WRITING_APP: u32 = 0x5741;
pub const TITLE: u32 = 0x7BA9;
pub const DATE_UTC: u32 = 0x4461;
pub const TRACKS: u32 = 0x1654_AE6B;
pub const TRACK_ENTRY: u32 = 0xAE;
pub const TRACK_NUMBER: u32 = 0xD7;
pub const TRACK_UID: u32 = 0x73C5;
pub const TRACK_TYPE: u32 = 0x83;
pub const FLAG_DEFAULT: u32 = 0x88;
pub const FLAG_LACING: u32 = 0x9C;
pub const CODEC_ID: u32 = 0x86;
pub const CODEC_PRIVATE: u32 = 0x63A2;
pub const CODEC_DELAY: u32 = 0x56AA;
pub const SEEK_PRE_ROLL: u32 = 0x56BB;
/// TrackEntry > DefaultDuration: the usual duration of a frame, in ns.
pub const DEFAULT_DURATION: u32 = 0x23E383;
pub const NAME: u32 = 0x536E;
pub const LANGUAGE: u32 = 0x22_B59C;
pub const VIDEO: u32 = 0xE0;
pub const PIXEL_WIDTH: u32 = 0xB0;
pub const PIXEL_HEIGHT: u32 = 0xBA;
pub const AUDIO: u32 = 0xE1;
pub const SAMPLING_FREQUENCY: u32 = 0xB5;
pub const CHANNELS: u32 = 0x9F;
/// TrackEntry > Audio > BitDepth: bits per sample (PCM).
pub const BIT_DEPTH: u32 = 0x6264;
pub const CLUSTER: u32 = 0x1F43_B675;
pub const TIMESTAMP: u32 = 0xE7;
pub const SIMPLE_BLOCK: u32 = 0xA3;
pub const BLOCK_GROUP: u32 = 0xA0;
pub const BLOCK: u32 = 0xA1;
pub const REFERENCE_BLOCK: u32 = 0xFB;
/// BlockGroup > BlockDuration: how long the block lasts, in ticks of the TimestampScale.
pub const BLOCK_DURATION: u32 = 0x9B;
pub const CUES: u32 = 0x1C53_BB6B;
pub const CUE_POINT: u32 = 0xBB;
pub const CUE_TIME: u32 = 0xB3;
pub const CUE_TRACK_POSITIONS: u32 = 0xB7;
pub const CUE_TRACK: u32 = 0xF7;
pub const CUE_CLUSTER_POSITION: u32 = 0xF1;
pub const TAGS: u32 = 0x1254_C367;
pub const TAG: u32 = 0x7373;
pub const TARGETS: u32 = 0x63C0;
pub const TARGET_TYPE_VALUE: u32 = 0x68CA;
pub const SIMPLE_TAG: u32 = 0x67C8;
pub const TAG_NAME: u32 = 0x45A3;
pub const TAG_LANGUAGE: u32 = 0x447A;
pub const TAG_STRING: u32 = 0x4487;
pub const PROJECTION: u32 = 0x7670;
pub const PROJECTION_TYPE: u32 = 0x7671;
pub const PROJECTION_POSE_ROLL: u32 = 0x7675;
pub const CHAPTERS: u32 = 0x1043_A770;
pub const ATTACHMENTS: u32 = 0x1941_A469;

/// The 8-byte "unknown size" marker (all value bits set).
pub const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

/// Writes an element ID (its bytes as they are, 1 to 4).
pub fn write_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = (id.leading_zeros() / 8).min(3) as usize;
    out.extend_from_slice(&bytes[skip..]);
}

/// How many bytes the shortest size VINT for `size` takes (an all-ones value is reserved).
pub fn size_len(size: u64) -> usize {
    (1..=8).find(|&n| size < (1u64 << (7 * n)) - 1).unwrap_or(8)
}

/// Writes `size` as a VINT of exactly `len` bytes (1-8); `size` must fit.
pub fn write_size_fixed(out: &mut Vec<u8>, size: u64, len: usize) {
    debug_assert!((1..=8).contains(&len) && size < (1u64 << (7 * len)) - 1);
    let v = size | (1u64 << (7 * len));
    out.extend_from_slice(&v.to_be_bytes()[8 - len..]);
}

/// Writes `size` as the shortest VINT.
pub fn write_size(out: &mut Vec<u8>, size: u64) {
    write_size_fixed(out, size, size_len(size));
}

/// Writes an unsigned integer element (shortest big-endian form).
pub fn write_uint(out: &mut Vec<u8>, id: u32, v: u64) {
    let n = (8 - (v.leading_zeros() / 8) as usize).max(1);
    write_id(out, id);
    write_size(out, n as u64);
    out.extend_from_slice(&v.to_be_bytes()[8 - n..]);
}

/// Writes a signed integer element (shortest two's-complement form).
pub fn write_int(out: &mut Vec<u8>, id: u32, v: i64) {
    let n = (1..=8)
        .find(|&n| n == 8 || (v >= -(1i64 << (8 * n - 1)) && v < (1i64 << (8 * n - 1))))
        .unwrap_or(8);
    write_id(out, id);
    write_size(out, n as u64);
    out.extend_from_slice(&v.to_be_bytes()[8 - n..]);
}

/// Writes an 8-byte float element.
pub fn write_float(out: &mut Vec<u8>, id: u32, v: f64) {
    write_id(out, id);
    write_size(out, 8);
    out.extend_from_slice(&v.to_be_bytes());
}

/// Writes a binary element.
pub fn write_binary(out: &mut Vec<u8>, id: u32, v: &[u8]) {
    write_id(out, id);
    write_size(out, v.len() as u64);
    out.extend_from_slice(v);
}

/// Writes a string element (UTF-8 or ASCII).
pub fn write_string(out: &mut Vec<u8>, id: u32, v: &str) {
    write_binary(out, id, v.as_bytes());
}

/// Writes a master element whose children `body` writes.
pub fn write_master(out: &mut Vec<u8>, id: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    body(&mut inner);
    write_binary(out, id, &inner);
}

/// Reads an element ID at the start of `buf`: `(id, length)`; `None` if invalid or cut.
pub fn read_id(buf: &[u8]) -> Option<(u32, usize)> {
    let first = *buf.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 || buf.len() < len {
        return None;
    }
    let id = buf[..len].iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
    Some((id, len))
}

/// Reads a size VINT at the start of `buf`: `(size, length)`, size `None` for "unknown".
#[allow(clippy::type_complexity)]
pub fn read_size(buf: &[u8]) -> Option<(Option<u64>, usize)> {
    let first = *buf.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || buf.len() < len {
        return None;
    }
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let v = buf[1..len]
        .iter()
        .fold(u64::from(first & mask), |a, &b| a << 8 | u64::from(b));
    let unknown = v == (1u64 << (7 * len)) - 1;
    Some(((!unknown).then_some(v), len))
}

/// Reads a big-endian unsigned integer of up to 8 bytes.
pub fn read_uint(buf: &[u8]) -> Option<u64> {
    (buf.len() <= 8).then(|| buf.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
}

/// Reads a 4- or 8-byte float (0 bytes is 0.0).
pub fn read_float(buf: &[u8]) -> Option<f64> {
    match buf.len() {
        0 => Some(0.0),
        4 => Some(f64::from(f32::from_be_bytes(buf.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(buf.try_into().ok()?)),
        _ => None,
    }
}
