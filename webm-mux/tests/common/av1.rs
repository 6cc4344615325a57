//! AV1 temporal units as the Matroska/ISO BMFF bindings store them, and the `av1C` record
//! (AV1 Codec ISO Media File Format Binding §2.3) from the sequence header (AV1 spec §5.5).

use super::bits::Bits;

/// OBU types (AV1 spec §6.2.2).
const OBU_SEQUENCE_HEADER: u8 = 1;
const OBU_TEMPORAL_DELIMITER: u8 = 2;

/// One OBU of a temporal unit: its type and all its bytes (header, size field, payload), and
/// where its payload starts in them.
pub struct Obu<'a> {
    pub kind: u8,
    pub bytes: &'a [u8],
    pub payload_at: usize,
}

/// The OBUs of a temporal unit in the low overhead bitstream format (AV1 spec §5.3: every OBU
/// has obu_has_size_field = 1, as libaom writes to IVF).
pub fn obus(tu: &[u8]) -> Vec<Obu<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < tu.len() {
        let header = tu[pos];
        assert!(header & 0x02 != 0, "obu_has_size_field");
        let mut at = pos + 1 + usize::from((header >> 2) & 1); // obu_extension_flag
        let mut size = 0usize;
        for i in 0..8 {
            let b = tu[at];
            at += 1;
            size |= usize::from(b & 0x7F) << (7 * i); // leb128
            if b & 0x80 == 0 {
                break;
            }
        }
        out.push(Obu {
            kind: (header >> 3) & 0x0F,
            bytes: &tu[pos..at + size],
            payload_at: at - pos,
        });
        pos = at + size;
    }
    out
}

/// The temporal unit without its temporal delimiter, and whether it holds a sequence header
/// (libaom sends one with every key frame).
pub fn strip_temporal_delimiters(tu: &[u8]) -> (bool, Vec<u8>) {
    let mut out = Vec::with_capacity(tu.len());
    let mut key = false;
    for obu in obus(tu) {
        key |= obu.kind == OBU_SEQUENCE_HEADER;
        if obu.kind != OBU_TEMPORAL_DELIMITER {
            out.extend_from_slice(obu.bytes);
        }
    }
    (key, out)
}

/// The `av1C` body for the first sequence header of `tu`: marker and version 1, profile,
/// level and tier of operating point 0, the color config's bit depth and subsampling, no
/// initial presentation delay, then the sequence header OBU.
pub fn av1c(tu: &[u8]) -> Vec<u8> {
    let obu = obus(tu)
        .into_iter()
        .find(|o| o.kind == OBU_SEQUENCE_HEADER)
        .expect("a sequence header");
    let mut b = Bits::new(&obu.bytes[obu.payload_at..]);
    let profile = b.u(3);
    b.skip(1); // still_picture
    let reduced = b.flag();
    let (level, tier) = if reduced {
        (b.u(5), 0)
    } else {
        assert!(!b.flag(), "timing_info_present_flag: not in the fixture");
        let initial_display_delay = b.flag();
        let points = b.u(5) + 1;
        let mut first = None;
        for _ in 0..points {
            b.skip(12); // operating_point_idc
            let level = b.u(5);
            let tier = if level > 7 { b.u(1) } else { 0 };
            if initial_display_delay && b.flag() {
                b.skip(4);
            }
            first.get_or_insert((level, tier));
        }
        first.unwrap()
    };
    skip_frame_tools(&mut b, reduced);
    let color = color_config(&mut b, profile);
    let mut out = vec![0x81, ((profile as u8) << 5) | level as u8];
    out.push(((tier as u8) << 7) | color);
    out.push(0); // initial_presentation_delay_present 0
    out.extend_from_slice(obu.bytes);
    out
}

/// From frame_width_bits_minus_1 to enable_restoration (AV1 spec §5.5.1).
fn skip_frame_tools(b: &mut Bits, reduced: bool) {
    let width_bits = b.u(4) + 1;
    let height_bits = b.u(4) + 1;
    b.skip((width_bits + height_bits) as usize);
    if !reduced && b.flag() {
        b.skip(7); // frame id lengths
    }
    b.skip(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
    if !reduced {
        b.skip(4); // interintra, masked compound, warped motion, dual filter
        let order_hint = b.flag();
        if order_hint {
            b.skip(2); // enable_jnt_comp, enable_ref_frame_mvs
        }
        let force_screen_content = if b.flag() { 2 } else { b.u(1) };
        if force_screen_content > 0 && !b.flag() {
            b.skip(1); // seq_force_integer_mv
        }
        if order_hint {
            b.skip(3); // order_hint_bits_minus_1
        }
    }
    b.skip(3); // enable_superres, enable_cdef, enable_restoration
}

/// The color config (AV1 spec §5.5.2) as av1C's bits: high_bitdepth, twelve_bit, monochrome,
/// chroma_subsampling_x, chroma_subsampling_y, chroma_sample_position (2).
fn color_config(b: &mut Bits, profile: u32) -> u8 {
    let high = b.flag();
    let twelve = profile == 2 && high && b.flag();
    let mono = profile != 1 && b.flag();
    let (mut primaries, mut transfer, mut matrix) = (2, 2, 2);
    if b.flag() {
        primaries = b.u(8);
        transfer = b.u(8);
        matrix = b.u(8);
    }
    let (sx, sy, position) = if mono {
        b.skip(1); // color_range
        (1, 1, 0)
    } else if primaries == 1 && transfer == 13 && matrix == 0 {
        (0, 0, 0)
    } else {
        b.skip(1); // color_range
        let (sx, sy) = match profile {
            0 => (1, 1),
            1 => (0, 0),
            _ if twelve => {
                let sx = b.u(1);
                (sx, if sx == 1 { b.u(1) } else { 0 })
            }
            _ => (1, 0),
        };
        let position = if sx == 1 && sy == 1 { b.u(2) } else { 0 };
        (sx, sy, position)
    };
    (u8::from(high) << 6)
        | (u8::from(twelve) << 5)
        | (u8::from(mono) << 4)
        | ((sx as u8) << 3)
        | ((sy as u8) << 2)
        | position as u8
}
