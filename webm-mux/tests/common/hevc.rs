//! An HEVCDecoderConfigurationRecord (`hvcC`, ISO 14496-15 §8.3.3.1) from a stream's VPS, SPS
//! and PPS, with the fields the SPS gives (ISO 23008-2 §7.3.2.2.1 and §7.3.3).

use super::bits::{rbsp, Bits};

/// The `hvcC` body for these parameter sets (each one NAL unit with its 2-byte header), with
/// lengthSizeMinusOne 3.
pub fn hvcc(vps: &[u8], sps: &[u8], pps: &[u8]) -> Vec<u8> {
    let payload = rbsp(&sps[2..]);
    let mut b = Bits::new(&payload);
    b.skip(4); // sps_video_parameter_set_id
    let max_sub_layers_minus1 = b.u(3);
    let temporal_id_nested = b.u(1);
    // profile_tier_level(1, max_sub_layers_minus1): the general part is 12 bytes, which the
    // record copies as they are (profile space, tier, profile, compatibility and constraint
    // flags, level).
    let general_at = b.position() / 8;
    let general = payload[general_at..general_at + 12].to_vec();
    b.skip(96);
    let mut sub_profile = Vec::new();
    for _ in 0..max_sub_layers_minus1 {
        sub_profile.push((b.flag(), b.flag()));
    }
    if max_sub_layers_minus1 > 0 {
        b.skip(2 * (8 - max_sub_layers_minus1 as usize));
    }
    for (profile, level) in sub_profile {
        b.skip(if profile { 88 } else { 0 } + if level { 8 } else { 0 });
    }
    b.ue(); // sps_seq_parameter_set_id
    let chroma_format_idc = b.ue();
    if chroma_format_idc == 3 {
        b.skip(1); // separate_colour_plane_flag
    }
    b.ue(); // pic_width_in_luma_samples
    b.ue(); // pic_height_in_luma_samples
    if b.flag() {
        for _ in 0..4 {
            b.ue(); // conformance window offsets
        }
    }
    let bit_depth_luma_minus8 = b.ue();
    let bit_depth_chroma_minus8 = b.ue();

    let mut out = vec![1];
    out.extend_from_slice(&general); // general_profile_space .. general_level_idc
    out.extend_from_slice(&[0xF0, 0x00]); // reserved, min_spatial_segmentation_idc 0
    out.push(0xFC); // reserved, parallelismType 0 (unknown)
    out.push(0xFC | chroma_format_idc as u8);
    out.push(0xF8 | bit_depth_luma_minus8 as u8);
    out.push(0xF8 | bit_depth_chroma_minus8 as u8);
    out.extend_from_slice(&[0, 0]); // avgFrameRate unknown
                                    // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
    out.push((((max_sub_layers_minus1 + 1) as u8) << 3) | ((temporal_id_nested as u8) << 2) | 3);
    out.push(3); // numOfArrays
    for nal in [vps, sps, pps] {
        out.push(0x80 | ((nal[0] >> 1) & 0x3F)); // array_completeness 1, NAL_unit_type
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&(nal.len() as u16).to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}
