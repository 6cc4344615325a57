//! H.265 over RTP (RFC 7798): the payload rules for the shared frame assembly
//! ([`H265Payload`]), the sequence parameter set fields a container needs ([`H265Sps`]), the
//! HEVCDecoderConfigurationRecord, and a packetizer ([`H265Packetizer`]).

use bytes::{BufMut, Bytes};
use mjrtool_core::{
    Codec, Depacketizer as PayloadRules, FrameData, FrameFacts, FrameParts, PacketRole,
    PayloadError, VideoSize,
};

use crate::bits::BitReader;
use crate::nal::{self, NalFormat, ParamTable, Pieces};

const CODEC: &str = "H.265";
/// NAL unit types (ITU-T H.265 table 7-1) and RTP packet types (RFC 7798 section 4.4).
const VPS: u8 = 32;
const SPS: u8 = 33;
const PPS: u8 = 34;
const AP: u8 = 48;
const FU: u8 = 49;

/// The type of an H.265 NAL unit (its 2-byte header: F, 6-bit type, 6-bit layer id, 3-bit
/// TID + 1).
fn nal_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b >> 1 & 0x3F)
}

/// The H.265 payload format (RFC 7798) for the shared frame assembly
/// ([`crate::FrameAssembler`]).
///
/// * **Packets** (section 4.4): a single NAL unit packet (types 0 to 47) is one NAL unit; an
///   aggregation packet (48, section 4.4.2) several, each behind a 16-bit size; a
///   fragmentation unit (49, section 4.4.3) a fragment of one, from the S bit to the E bit. A
///   fragment without its first one is an error, so its frame is dropped. PACI packets (50,
///   section 4.4.4) and the undefined types 51 to 63 are passed over and counted
///   ([`skipped`]).
/// * **No DONL/DOND fields.** They are present only when `sprop-max-don-diff` is above 0
///   (section 4.4); Janus never negotiates it, so aggregation packets and fragmentation units
///   are read without them.
/// * **Access units**, as for H.264 ([`crate::H264Payload`]): a packet starts a new frame where
///   a new access unit starts (H.265 section 7.4.2.4.4): at an AUD, VPS, SPS, PPS, prefix SEI or
///   types 41 to 44 after a slice, or at a slice with `first_slice_segment_in_pic_flag`. What
///   comes before a picture's first slice (its VPS, SPS, PPS, SEI), sent on the picture's
///   timestamp or on one of its own, is handed out in front of that picture.
/// * **Frames** are handed out with each NAL unit behind its 4-byte big-endian length, parameter
///   sets in-band.
/// * **Keyframes and configuration.** VPS, SPS and PPS are kept across frames (the latest of
///   each id: 16, 16 and 64 at most, sections 7.4.3.1 to 7.4.3.3). A frame is a keyframe if it
///   holds an IRAP picture (types 16 to 23) whose PPS, SPS and VPS are known; it then carries
///   the size from the SPS and an HEVCDecoderConfigurationRecord of those three. As for H.264,
///   an IRAP picture without them from a sender that sent them with its previous IRAP picture
///   is taken for one whose parameter sets were lost, and dropped as corrupt.
///
/// [`skipped`]: H265Payload::skipped
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H265Payload {
    pieces: Pieces,
    /// A slice was seen since the last access unit start (or nothing yet).
    vcl_seen: bool,
    sets: ParamSets,
    /// The last IRAP access unit carried its VPS, SPS and PPS.
    irap_had_params: bool,
    /// NAL units without a picture, for the next one.
    carry: nal::Carry,
    skipped: u64,
}

/// The VPS, SPS and PPS kept across frames.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParamSets {
    vps: ParamTable,
    sps: ParamTable,
    pps: ParamTable,
}

impl Default for H265Payload {
    fn default() -> Self {
        H265Payload {
            pieces: Pieces::default(),
            vcl_seen: true,
            sets: ParamSets {
                vps: ParamTable::new(16),
                sps: ParamTable::new(16),
                pps: ParamTable::new(64),
            },
            irap_had_params: false,
            carry: nal::Carry::default(),
            skipped: 0,
        }
    }
}

impl H265Payload {
    /// Rules with no parameter set known yet.
    pub fn new() -> Self {
        H265Payload::default()
    }

    /// Packets passed over: PACI and undefined types.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether `nal` starts a new access unit (H.265 section 7.4.2.4.4); notes what it is.
    fn starts_access_unit(&mut self, nal: &[u8]) -> bool {
        match nal_type(nal) {
            Some(32..=35 | 39 | 41..=44) => std::mem::replace(&mut self.vcl_seen, false),
            Some(0..=31) => {
                // A picture's first slice segment starts a frame even after parameter sets
                // (they come back in front of it: `nal::Carry`).
                self.vcl_seen = true;
                nal.get(2).is_none_or(|b| b & 0x80 != 0)
            }
            _ => false,
        }
    }

    /// Aggregation packet (RFC 7798 section 4.4.2, no DONL): NAL units behind 16-bit sizes.
    fn aggregation(&mut self, payload: &Bytes, out: &mut Vec<Bytes>) -> Result<bool, PayloadError> {
        let mut pos = 2;
        let mut starts = None;
        while pos < payload.len() {
            let size = payload
                .get(pos..pos + 2)
                .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
                .ok_or_else(|| ap_error(payload.len(), pos + 2))?;
            let end = pos + 2 + size;
            if size < 2 || end > payload.len() {
                return Err(ap_error(payload.len(), end.max(pos + 4)));
            }
            let nal = payload.slice(pos + 2..end);
            let s = self.starts_access_unit(&nal);
            starts.get_or_insert(s);
            self.pieces.whole(out, nal);
            pos = end;
        }
        starts.ok_or_else(|| ap_error(payload.len(), 4))
    }

    /// Fragmentation unit (RFC 7798 section 4.4.3, no DONL).
    fn fragment(&mut self, payload: &Bytes, out: &mut Vec<Bytes>) -> Result<bool, PayloadError> {
        let fu = *payload.get(2).ok_or_else(|| PayloadError {
            codec: CODEC,
            expected: "a FU header after the payload header",
            found: format!("a {}-byte fragmentation unit", payload.len()),
            offset: payload.len(),
        })?;
        let (start, end, t) = (fu & 0x80 != 0, fu & 0x40 != 0, fu & 0x3F);
        let data = payload.slice(3..);
        if start {
            let header = [payload[0] & 0x81 | t << 1, payload[1]];
            let head = [header[0], header[1], data.first().copied().unwrap_or(0x80)];
            let starts = self.starts_access_unit(&head);
            self.pieces.fu_start(out, t, &header, data, end);
            return Ok(starts);
        }
        if self.pieces.open_fu != Some(t) {
            return Err(PayloadError {
                codec: CODEC,
                expected: "a fragmentation unit start (S bit) before its other fragments",
                found: format!("a fragment of a type {t} NAL unit without its start"),
                offset: 2,
            });
        }
        self.pieces.fu_more(out, data, end);
        Ok(false)
    }
}

fn ap_error(len: usize, needed: usize) -> PayloadError {
    PayloadError {
        codec: CODEC,
        expected: "aggregated NAL units of at least 2 bytes, each inside the packet",
        found: format!("the packet ends after {len} of {needed} bytes"),
        offset: len,
    }
}

impl PayloadRules for H265Payload {
    fn codec(&self) -> Codec {
        Codec::H265
    }

    /// ```text
    /// RFC 7798 section 1.1.4, the payload header (the NAL unit header's layout):
    ///   +---------------+---------------+
    ///   |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
    ///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    ///   |F|   Type    |  LayerId  | TID |   Type 0-47: a NAL unit; 48: AP; 49: FU; 50: PACI
    ///   +-------------+-----------------+
    /// FU (section 4.4.3): payload header (type 49), then the FU header:
    ///   |S|E|  FuType   |                   S: first fragment, E: last
    /// AP (section 4.4.2): payload header (type 48), then (16-bit size, NAL unit) repeated.
    /// ```
    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        if payload.len() < 2 {
            return Err(PayloadError {
                codec: CODEC,
                expected: "a 2-byte payload header",
                found: format!("{} bytes", payload.len()),
                offset: payload.len(),
            });
        }
        let starts_frame = match nal_type(payload).unwrap_or(0) {
            0..=47 => {
                let starts = self.starts_access_unit(payload);
                self.pieces.whole(out, payload.clone());
                starts
            }
            AP => self.aggregation(payload, out)?,
            FU => self.fragment(payload, out)?,
            _ => {
                self.skipped += 1;
                false
            }
        };
        Ok(PacketRole { starts_frame })
    }

    fn inspect(&self, frame: &[u8]) -> Result<FrameFacts, PayloadError> {
        let mut sets = self.sets.clone();
        sets.update(frame);
        Ok(sets.facts(frame))
    }

    fn complete(
        &mut self,
        mut parts: FrameParts<'_>,
    ) -> Result<(FrameData, FrameFacts), PayloadError> {
        let frame = nal::pieces_to_avcc(CODEC, &mut parts)?;
        if !nal::avcc_nals(&frame).any(|n| nal_type(n).is_some_and(|t| t <= 31)) {
            // No picture: its NAL units go in front of the next one; nothing is handed out.
            self.carry.hold(&frame);
            return Ok((FrameData::new(), FrameFacts::default()));
        }
        let frame = self.carry.prepend(frame);
        let types = || nal::avcc_nals(&frame).filter_map(nal_type);
        if types().any(|t| (16..=23).contains(&t)) {
            let had = [VPS, SPS, PPS].iter().all(|p| types().any(|t| t == *p));
            if std::mem::replace(&mut self.irap_had_params, had) && !had {
                return Err(PayloadError {
                    codec: CODEC,
                    expected: "the VPS, SPS and PPS this sender sent with its last IRAP picture",
                    found: "an IRAP picture without them (their packets may be lost)".into(),
                    offset: 0,
                });
            }
        }
        self.sets.update(&frame);
        let facts = self.sets.facts(&frame);
        Ok((frame.into(), facts))
    }
    /// Parameter sets held for the next picture belong to none that will come after a loss.
    fn lost(&mut self) {
        self.carry.clear();
    }
}

impl ParamSets {
    /// Keeps the VPS, SPS and PPS of a length-prefixed frame.
    fn update(&mut self, frame: &[u8]) {
        for nal in nal::avcc_nals(frame) {
            match nal_type(nal) {
                Some(VPS) => {
                    // vps_video_parameter_set_id: the first 4 bits (section 7.3.2.1).
                    if let Some(b) = nal.get(2) {
                        self.vps.set(u32::from(b >> 4), nal);
                    }
                }
                Some(SPS) => {
                    if let Some(sps) = H265Sps::parse(nal) {
                        self.sps.set(sps.id, nal);
                    }
                }
                Some(PPS) => {
                    if let Some((pps_id, _)) = pps_ids(nal) {
                        self.pps.set(pps_id, nal);
                    }
                }
                _ => {}
            }
        }
    }

    /// Keyframe, size and configuration of a length-prefixed frame, with the sets known.
    fn facts(&self, frame: &[u8]) -> FrameFacts {
        let irap = nal::avcc_nals(frame).find(|n| matches!(nal_type(n), Some(16..=23)));
        let Some(irap) = irap else {
            return FrameFacts::default();
        };
        // Slice segment header (section 7.3.6.1): first_slice_segment_in_pic_flag,
        // no_output_of_prior_pics_flag (IRAP), slice_pic_parameter_set_id.
        let rbsp = nal::rbsp(irap.get(2..irap.len().min(32)).unwrap_or_default());
        let mut r = BitReader::new(&rbsp);
        let in_force = (|| {
            r.skip(2)?;
            let pps = self.pps.get(r.ue()?)?;
            let (_, sps_id) = pps_ids(pps)?;
            let sps_nal = self.sps.get(sps_id)?;
            let sps = H265Sps::parse(sps_nal)?;
            let vps = self.vps.get(sps.vps_id)?;
            Some((vps, sps_nal, pps, sps))
        })();
        let Some((vps, sps_nal, pps, sps)) = in_force else {
            return FrameFacts::default();
        };
        FrameFacts {
            keyframe: true,
            size: Some(sps.size),
            config: Some(hevc_decoder_configuration_record(vps, sps_nal, pps, &sps)),
        }
    }
}

/// `pps_pic_parameter_set_id` and `pps_seq_parameter_set_id` of a PPS (section 7.3.2.3.1).
fn pps_ids(nal: &[u8]) -> Option<(u32, u32)> {
    let rbsp = nal::rbsp(nal.get(2..)?);
    let mut r = BitReader::new(&rbsp);
    Some((r.ue()?, r.ue()?))
}

/// The fields of a sequence parameter set (ITU-T H.265 section 7.3.2.2.1) that a container
/// needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H265Sps {
    /// `sps_video_parameter_set_id`.
    pub vps_id: u32,
    /// `sps_seq_parameter_set_id` (0 to 15).
    pub id: u32,
    /// `sps_max_sub_layers_minus1`.
    pub max_sub_layers_minus1: u8,
    /// `sps_temporal_id_nesting_flag`.
    pub temporal_id_nesting: bool,
    /// The general part of profile_tier_level (section 7.3.3) as it is coded: profile space,
    /// tier, profile, 32 compatibility flags, 48 bits of constraint flags, level.
    pub general_profile: [u8; 12],
    /// `chroma_format_idc`.
    pub chroma_format_idc: u8,
    /// `bit_depth_luma_minus8`.
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8`.
    pub bit_depth_chroma_minus8: u8,
    /// The picture size inside the conformance window (section 7.4.3.2.1).
    pub size: VideoSize,
}

impl H265Sps {
    /// Reads an SPS NAL unit (2-byte header included); `None` if it is not one, is cut short,
    /// or gives an id above 15 or a size of 0 or above 65535.
    pub fn parse(nal: &[u8]) -> Option<H265Sps> {
        if nal_type(nal)? != SPS {
            return None;
        }
        let rbsp = nal::rbsp(nal.get(2..)?);
        let mut r = BitReader::new(&rbsp);
        let vps_id = r.bits(4)?;
        let max_sub_layers_minus1 = r.bits(3)? as u8;
        let temporal_id_nesting = r.flag()?;
        // profile_tier_level(1, sps_max_sub_layers_minus1), section 7.3.3: byte-aligned here.
        let general_profile: [u8; 12] = rbsp.get(1..13)?.try_into().ok()?;
        r.skip(96)?;
        let subs = usize::from(max_sub_layers_minus1);
        let mut present = [(false, false); 8];
        for p in present.iter_mut().take(subs) {
            *p = (r.flag()?, r.flag()?);
        }
        if subs > 0 {
            r.skip(2 * (8 - subs))?; // reserved_zero_2bits
        }
        for &(profile, level) in present.iter().take(subs) {
            if profile {
                r.skip(88)?; // sub-layer profile space .. constraint flags
            }
            if level {
                r.skip(8)?; // sub_layer_level_idc
            }
        }
        let id = r.ue()?;
        let chroma_format_idc = u8::try_from(r.ue()?).ok().filter(|&c| c <= 3)?;
        let separate_colour_plane = chroma_format_idc == 3 && r.flag()?;
        let width = u64::from(r.ue()?);
        let height = u64::from(r.ue()?);
        let mut window = [0u64; 4]; // left, right, top, bottom
        if r.flag()? {
            for w in &mut window {
                *w = u64::from(r.ue()?);
            }
        }
        let bit_depth_luma_minus8 = u8::try_from(r.ue()?).ok().filter(|&b| b <= 8)?;
        let bit_depth_chroma_minus8 = u8::try_from(r.ue()?).ok().filter(|&b| b <= 8)?;
        // Table 6-1: SubWidthC and SubHeightC; ChromaArrayType 0 with separate planes.
        let (sub_width, sub_height) = match (chroma_format_idc, separate_colour_plane) {
            (1, _) => (2, 2),
            (2, _) => (2, 1),
            _ => (1, 1),
        };
        let w = width.checked_sub(sub_width * (window[0] + window[1]))?;
        let h = height.checked_sub(sub_height * (window[2] + window[3]))?;
        let size = VideoSize {
            width: u16::try_from(w).ok().filter(|&w| w > 0)?,
            height: u16::try_from(h).ok().filter(|&h| h > 0)?,
        };
        (id < 16).then_some(H265Sps {
            vps_id,
            id,
            max_sub_layers_minus1,
            temporal_id_nesting,
            general_profile,
            chroma_format_idc,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            size,
        })
    }
}

/// The HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 section 8.3.3.1) of one VPS, SPS and
/// PPS (NAL units, headers included), with 4-byte NAL unit lengths.
///
/// ```text
/// configurationVersion = 1 | the 12 general profile_tier_level bytes of the SPS
/// 1111 min_spatial_segmentation_idc(12) = 0 | 111111 parallelismType(2) = 0
/// 111111 chromaFormat(2) | 11111 bitDepthLumaMinus8(3) | 11111 bitDepthChromaMinus8(3)
/// avgFrameRate(16) = 0
/// constantFrameRate(2) = 0 numTemporalLayers(3) temporalIdNested(1) lengthSizeMinusOne(2) = 3
/// numOfArrays = 3, then for VPS, SPS, PPS:
///   array_completeness(1) = 1 reserved(1) = 0 NAL_unit_type(6) | numNalus(16) = 1
///   nalUnitLength(16) | the NAL unit
/// ```
pub fn hevc_decoder_configuration_record(
    vps: &[u8],
    sps_nal: &[u8],
    pps: &[u8],
    sps: &H265Sps,
) -> Bytes {
    let mut out = Vec::with_capacity(38 + vps.len() + sps_nal.len() + pps.len());
    out.push(1);
    out.extend_from_slice(&sps.general_profile);
    out.extend_from_slice(&[0xF0, 0x00, 0xFC]);
    out.push(0xFC | sps.chroma_format_idc & 3);
    out.push(0xF8 | sps.bit_depth_luma_minus8 & 7);
    out.push(0xF8 | sps.bit_depth_chroma_minus8 & 7);
    out.put_u16(0);
    let layers = (sps.max_sub_layers_minus1 + 1) & 7;
    out.push(layers << 3 | u8::from(sps.temporal_id_nesting) << 2 | 3);
    out.push(3);
    for (t, nal) in [(VPS, vps), (SPS, sps_nal), (PPS, pps)] {
        out.push(0x80 | t);
        out.put_u16(1);
        out.put_u16(nal.len() as u16);
        out.extend_from_slice(nal);
    }
    Bytes::from(out)
}

/// H.265's NAL unit header and RTP headers, for the shared packetizer.
struct H265Format;

impl NalFormat for H265Format {
    const HEADER_LEN: usize = 2;

    fn aggregation_header(nals: &[&[u8]], out: &mut Vec<u8>) {
        // F: any F; LayerId and TID: the lowest (RFC 7798 section 4.4.2).
        let f = nals.iter().fold(0, |a, n| a | n[0] & 0x80);
        let layer = nals
            .iter()
            .map(|n| u16::from(n[0] & 1) << 5 | u16::from(n[1] >> 3))
            .min()
            .unwrap_or(0);
        let tid = nals.iter().map(|n| n[1] & 7).min().unwrap_or(1);
        out.push(f | AP << 1 | (layer >> 5) as u8);
        out.push(((layer & 0x1F) as u8) << 3 | tid);
    }

    fn fragment_header(nal: &[u8], start: bool, end: bool, out: &mut Vec<u8>) {
        out.push(nal[0] & 0x81 | FU << 1);
        out.push(nal[1]);
        out.push(u8::from(start) << 7 | u8::from(end) << 6 | nal[0] >> 1 & 0x3F);
    }
}

/// Packetizes H.265 access units (RFC 7798, without DONL) into payloads of at most
/// `max_payload` bytes: NAL units that fit together in an aggregation packet, one that fits
/// alone in a single NAL unit packet, a larger one in fragmentation units.
#[derive(Debug, Clone)]
pub struct H265Packetizer {
    max_payload: usize,
    buf: Vec<u8>,
}

impl H265Packetizer {
    /// A packetizer for payloads of at most `max_payload` bytes (at least 4).
    pub fn new(max_payload: usize) -> Self {
        H265Packetizer {
            max_payload,
            buf: Vec::new(),
        }
    }

    /// Emits `(payload, marker)` for each packet of an access unit in Annex B form (start
    /// codes); the marker is on the last one.
    pub fn packetize(&mut self, access_unit: &[u8], emit: &mut impl FnMut(&[u8], bool)) {
        let nals: Vec<&[u8]> = nal::annexb_nals(access_unit).collect();
        self.packetize_nals(&nals, emit);
    }

    /// The same for an access unit given as its NAL units.
    pub fn packetize_nals(&mut self, nals: &[&[u8]], emit: &mut impl FnMut(&[u8], bool)) {
        nal::packetize_nals::<H265Format>(self.max_payload, nals, &mut self.buf, emit);
    }
}
