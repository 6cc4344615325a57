//! What the AV1 payload rules read of the AV1 bitstream: OBU headers (AV1 spec section 5.3),
//! the sequence header (section 5.5), the start of the uncompressed frame header (section
//! 5.9.2), and the `av1C` configuration record (AV1 ISOBMFF binding section 2.3).

use bytes::Bytes;
use mjrtool_core::{PayloadError, VideoSize};

use crate::bits::{leb128, BitReader};

/// OBU types the payload rules look at (AV1 spec section 6.2.2).
pub(crate) mod obu_type {
    pub const SEQUENCE_HEADER: u8 = 1;
    pub const TEMPORAL_DELIMITER: u8 = 2;
    pub const FRAME_HEADER: u8 = 3;
    pub const FRAME: u8 = 6;
    pub const TILE_LIST: u8 = 8;
    pub const PADDING: u8 = 15;
}

/// An OBU header (AV1 spec section 5.3.2).
///
/// ```text
/// obu_forbidden_bit f(1) | obu_type f(4) | obu_extension_flag f(1) | obu_has_size_field f(1)
/// | obu_reserved_1bit f(1)
/// extension: temporal_id f(3) | spatial_id f(2) | extension_header_reserved_3bits f(3)
/// size field: obu_size leb128()
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObuHeader {
    /// obu_type.
    pub obu_type: u8,
    /// The extension byte, if obu_extension_flag is set.
    pub extension: Option<u8>,
    /// obu_size, if obu_has_size_field is set.
    pub size: Option<u32>,
    /// Bytes of header, extension and size field: the OBU's payload starts here.
    pub len: usize,
}

impl ObuHeader {
    /// Reads the header at the start of `obu`.
    ///
    /// # Errors
    ///
    /// `obu` ends inside the header, the forbidden bit is set, or obu_size is not a valid
    /// leb128 below 2^32.
    pub fn parse(obu: &[u8]) -> Result<ObuHeader, PayloadError> {
        let b = *obu
            .first()
            .ok_or_else(|| av1_error("an OBU header", "an empty OBU".into(), 0))?;
        if b & 0x80 != 0 {
            return Err(av1_error("obu_forbidden_bit 0", "1".into(), 0));
        }
        let mut h = ObuHeader {
            obu_type: (b >> 3) & 0x0F,
            extension: None,
            size: None,
            len: 1,
        };
        if b & 0x04 != 0 {
            h.extension = Some(
                *obu.get(1)
                    .ok_or_else(|| av1_error("the OBU extension byte", "the end".into(), 1))?,
            );
            h.len = 2;
        }
        if b & 0x02 != 0 {
            let (size, n) = leb128(&obu[h.len..])
                .ok_or_else(|| av1_error("a leb128 obu_size below 2^32", "none".into(), h.len))?;
            h.size = Some(size);
            h.len += n;
        }
        Ok(h)
    }

    /// spatial_id from the extension, 0 without one.
    pub fn spatial_id(&self) -> u8 {
        self.extension.map_or(0, |e| (e >> 3) & 3)
    }
}

pub(crate) fn av1_error(expected: &'static str, found: String, offset: usize) -> PayloadError {
    PayloadError {
        codec: "AV1",
        expected,
        found,
        offset,
    }
}

/// The sequence header fields the `av1C` record and the track need (AV1 spec section 5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Av1SequenceHeader {
    /// seq_profile (0 to 2 are defined).
    pub seq_profile: u8,
    /// reduced_still_picture_header.
    pub reduced_still_picture_header: bool,
    /// seq_level_idx\[0\].
    pub seq_level_idx_0: u8,
    /// seq_tier\[0\].
    pub seq_tier_0: bool,
    /// high_bitdepth.
    pub high_bitdepth: bool,
    /// twelve_bit.
    pub twelve_bit: bool,
    /// mono_chrome.
    pub monochrome: bool,
    /// subsampling_x.
    pub chroma_subsampling_x: bool,
    /// subsampling_y.
    pub chroma_subsampling_y: bool,
    /// chroma_sample_position (0 unknown, 1 vertical, 2 colocated).
    pub chroma_sample_position: u8,
    /// max_frame_width_minus_1 + 1 and max_frame_height_minus_1 + 1, if they fit 16 bits.
    pub max_size: Option<VideoSize>,
}

impl Av1SequenceHeader {
    /// Reads a sequence header OBU's payload (after its OBU header) up to color_config.
    ///
    /// # Errors
    ///
    /// The payload ends before the fields it announces.
    pub fn parse(payload: &[u8]) -> Result<Av1SequenceHeader, PayloadError> {
        let mut r = BitReader::new(payload);
        read_sequence_header(&mut r).ok_or_else(|| {
            av1_error(
                "a whole sequence header (AV1 spec section 5.5)",
                format!("{} bytes", payload.len()),
                payload.len(),
            )
        })
    }
}

/// sequence_header_obu() (AV1 spec section 5.5.1) to the end of color_config().
fn read_sequence_header(r: &mut BitReader<'_>) -> Option<Av1SequenceHeader> {
    let mut s = Av1SequenceHeader {
        seq_profile: r.bits(3)? as u8,
        ..Av1SequenceHeader::default()
    };
    r.flag()?; // still_picture
    s.reduced_still_picture_header = r.flag()?;
    if s.reduced_still_picture_header {
        s.seq_level_idx_0 = r.bits(5)? as u8;
    } else {
        operating_points(r, &mut s)?;
    }
    let width_bits = r.bits(4)? + 1;
    let height_bits = r.bits(4)? + 1;
    let w = u64::from(r.bits(width_bits)?) + 1;
    let h = u64::from(r.bits(height_bits)?) + 1;
    s.max_size = match (u16::try_from(w), u16::try_from(h)) {
        (Ok(width), Ok(height)) => Some(VideoSize { width, height }),
        _ => None,
    };
    if !s.reduced_still_picture_header && r.flag()? {
        // frame_id_numbers_present_flag: delta_frame_id_length_minus_2, additional_..._minus_1
        r.bits(7)?;
    }
    r.bits(3)?; // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
    if !s.reduced_still_picture_header {
        // interintra_compound, masked_compound, warped_motion, dual_filter
        r.bits(4)?;
        let enable_order_hint = r.flag()?;
        if enable_order_hint {
            r.bits(2)?; // enable_jnt_comp, enable_ref_frame_mvs
        }
        let force_screen_content_tools = if r.flag()? { 2 } else { r.bits(1)? };
        if force_screen_content_tools > 0 && !r.flag()? {
            r.bits(1)?; // seq_force_integer_mv
        }
        if enable_order_hint {
            r.bits(3)?; // order_hint_bits_minus_1
        }
    }
    r.bits(3)?; // enable_superres, enable_cdef, enable_restoration
    color_config(r, &mut s)?;
    Some(s)
}

/// timing_info, decoder_model_info and the operating points (AV1 spec sections 5.5.1 to 5.5.5).
fn operating_points(r: &mut BitReader<'_>, s: &mut Av1SequenceHeader) -> Option<()> {
    let mut buffer_delay_len = 0;
    let mut decoder_model_info = false;
    if r.flag()? {
        // timing_info: num_units_in_display_tick, time_scale, equal_picture_interval
        r.bits(32)?;
        r.bits(32)?;
        if r.flag()? {
            r.uvlc()?; // num_ticks_per_picture_minus_1
        }
        decoder_model_info = r.flag()?;
        if decoder_model_info {
            buffer_delay_len = r.bits(5)? + 1;
            r.bits(32)?; // num_units_in_decoding_tick
            r.bits(10)?; // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
        }
    }
    let initial_display_delay = r.flag()?;
    let count = r.bits(5)? + 1;
    for i in 0..count {
        r.bits(12)?; // operating_point_idc
        let level = r.bits(5)? as u8;
        let tier = level > 7 && r.flag()?;
        if i == 0 {
            s.seq_level_idx_0 = level;
            s.seq_tier_0 = tier;
        }
        if decoder_model_info && r.flag()? {
            // operating_parameters_info: decoder/encoder_buffer_delay, low_delay_mode_flag
            r.bits(buffer_delay_len)?;
            r.bits(buffer_delay_len)?;
            r.flag()?;
        }
        if initial_display_delay && r.flag()? {
            r.bits(4)?; // initial_display_delay_minus_1
        }
    }
    Some(())
}

/// color_config() (AV1 spec section 5.5.2), the fields `av1C` copies.
fn color_config(r: &mut BitReader<'_>, s: &mut Av1SequenceHeader) -> Option<()> {
    s.high_bitdepth = r.flag()?;
    if s.seq_profile == 2 && s.high_bitdepth {
        s.twelve_bit = r.flag()?;
    }
    s.monochrome = s.seq_profile != 1 && r.flag()?;
    let (mut primaries, mut transfer, mut matrix) = (2, 2, 2);
    if r.flag()? {
        primaries = r.bits(8)?;
        transfer = r.bits(8)?;
        matrix = r.bits(8)?;
    }
    if s.monochrome {
        r.flag()?; // color_range
        s.chroma_subsampling_x = true;
        s.chroma_subsampling_y = true;
        return Some(());
    }
    if primaries == 1 && transfer == 13 && matrix == 0 {
        return Some(()); // sRGB: 4:4:4
    }
    r.flag()?; // color_range
    match s.seq_profile {
        0 => (s.chroma_subsampling_x, s.chroma_subsampling_y) = (true, true),
        1 => {}
        _ if s.twelve_bit => {
            s.chroma_subsampling_x = r.flag()?;
            s.chroma_subsampling_y = s.chroma_subsampling_x && r.flag()?;
        }
        _ => s.chroma_subsampling_x = true,
    }
    if s.chroma_subsampling_x && s.chroma_subsampling_y {
        s.chroma_sample_position = r.bits(2)? as u8;
    }
    Some(())
}

/// The `av1C` body (AV1 ISOBMFF binding section 2.3.3) for a sequence header OBU (as stored:
/// with its size field) and what it says.
///
/// ```text
/// marker f(1) = 1 | version f(7) = 1
/// seq_profile f(3) | seq_level_idx_0 f(5)
/// seq_tier_0 | high_bitdepth | twelve_bit | monochrome | chroma_subsampling_x
///   | chroma_subsampling_y | chroma_sample_position f(2)
/// reserved f(3) = 0 | initial_presentation_delay_present f(1) = 0 | reserved f(4) = 0
/// configOBUs: the sequence header OBU
/// ```
pub fn av1_codec_configuration_record(seq: &Av1SequenceHeader, seq_obu: &[u8]) -> Bytes {
    let bit = |on: bool, shift: u8| u8::from(on) << shift;
    let mut out = Vec::with_capacity(4 + seq_obu.len());
    out.push(0x81);
    out.push(seq.seq_profile << 5 | (seq.seq_level_idx_0 & 0x1F));
    out.push(
        bit(seq.seq_tier_0, 7)
            | bit(seq.high_bitdepth, 6)
            | bit(seq.twelve_bit, 5)
            | bit(seq.monochrome, 4)
            | bit(seq.chroma_subsampling_x, 3)
            | bit(seq.chroma_subsampling_y, 2)
            | (seq.chroma_sample_position & 3),
    );
    out.push(0);
    out.extend_from_slice(seq_obu);
    Bytes::from(out)
}

/// The first fields of an uncompressed frame header (AV1 spec section 5.9.2), from a frame or
/// frame header OBU's payload: `(shown, key)`, where shown is show_frame or
/// show_existing_frame and key is frame_type == KEY_FRAME (never for show_existing_frame).
/// `None` if the payload is too short.
pub(crate) fn frame_header_start(payload: &[u8], reduced_still: bool) -> Option<(bool, bool)> {
    if reduced_still {
        return Some((true, true));
    }
    let mut r = BitReader::new(payload);
    if r.flag()? {
        return Some((true, false)); // show_existing_frame
    }
    let frame_type = r.bits(2)?;
    let show_frame = r.flag()?;
    Some((show_frame, frame_type == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_obu_header_with_extension_and_size_reads_back() {
        let h = ObuHeader::parse(&[0x32 | 0x04, 0x08, 0x81, 0x01]).unwrap();
        assert_eq!(h.obu_type, 6);
        assert_eq!(h.spatial_id(), 1);
        assert_eq!(h.size, Some(129));
        assert_eq!(h.len, 4);
        assert!(ObuHeader::parse(&[0x80]).is_err());
        assert!(ObuHeader::parse(&[0x36]).is_err());
    }
}
