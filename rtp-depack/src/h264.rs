//! H.264 over RTP (RFC 6184, packetization modes 0 and 1): the payload rules for the shared
//! frame assembly ([`H264Payload`]), the sequence parameter set fields a container needs
//! ([`H264Sps`]), the AVCDecoderConfigurationRecord, and a packetizer ([`H264Packetizer`]).

use bytes::{BufMut, Bytes};
use mjrtool_core::{
    Codec, Depacketizer as PayloadRules, FrameData, FrameFacts, FrameParts, PacketRole,
    PayloadError, VideoSize,
};

use crate::bits::BitReader;
use crate::nal::{self, NalFormat, ParamTable, Pieces};

const CODEC: &str = "H.264";
/// NAL unit types (ITU-T H.264 table 7-1) and RTP packet types (RFC 6184 table 1).
const IDR: u8 = 5;
const SPS: u8 = 7;
const PPS: u8 = 8;
const STAP_A: u8 = 24;
const FU_A: u8 = 28;

/// The H.264 payload format (RFC 6184) for the shared frame assembly
/// ([`crate::FrameAssembler`]).
///
/// * **Packets** (section 5.6): a single NAL unit packet (types 1 to 23) is one NAL unit; a
///   STAP-A (24, section 5.7.1) several, each behind a 16-bit size; a FU-A (28, section 5.8)
///   a fragment of one, whose first fragment (S bit) carries the type and the rest follow in
///   order up to the E bit. A fragment without its first one is an error, so the frame it
///   belongs to is dropped. The interleaved mode's STAP-B, MTAP16, MTAP24 and FU-B (25, 26, 27,
///   29) and the undefined types (0, 30, 31) are passed over and counted ([`skipped`]): WebRTC
///   (so Janus) never negotiates packetization-mode 2.
/// * **Access units.** The frame assembly groups packets by timestamp up to the marker; a packet
///   starts a new frame where a new access unit starts (H.264 section 7.4.1.2.3): at an access
///   unit delimiter, SEI, SPS, PPS or types 14 to 18 after a slice, or at a slice whose
///   `first_mb_in_slice` is 0. A picture whose first slice was lost does not look complete. The
///   NAL units before a picture's first slice (its parameter sets, SEI, delimiter) thus make a
///   frame of their own, without a picture, which is handed out with the next picture, in front
///   of it (`nal::Carry`): the same bytes as the access unit sent, whether the sender gave its
///   parameter sets the picture's timestamp or one of their own.
/// * **Frames** are handed out as AVCC (ISO/IEC 14496-15 section 5.3.2: each NAL unit behind
///   its 4-byte big-endian length), parameter sets kept in-band.
/// * **Keyframes and configuration.** SPS and PPS are kept across frames (the latest of each
///   id: 32 SPS and 256 PPS at most, section 7.4.2). A frame is a keyframe if it holds an IDR
///   slice whose PPS, and that PPS's SPS, are known (sent before or in it); it then carries the
///   picture size from the SPS and an AVCDecoderConfigurationRecord of that SPS and PPS. An IDR
///   without known parameter sets is not taken for a keyframe, so the assembly waits for a
///   usable one. And since a lost packet just before a picture's first slice cannot be told
///   from a picture that starts at that slice, an IDR picture without SPS and PPS from a
///   sender that sent them with its previous IDR picture is taken for one whose parameter
///   sets were lost, and dropped as corrupt (they may have changed: a new resolution); a
///   sender that stops sending them in-band loses that one IDR picture.
///
/// [`skipped`]: H264Payload::skipped
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H264Payload {
    pieces: Pieces,
    /// A slice was seen since the last access unit start (or nothing yet).
    vcl_seen: bool,
    sets: ParamSets,
    /// The last IDR access unit carried its SPS and PPS.
    idr_had_params: bool,
    /// NAL units without a picture, for the next one.
    carry: nal::Carry,
    skipped: u64,
}

/// The SPS and PPS kept across frames.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParamSets {
    sps: ParamTable,
    pps: ParamTable,
}

impl Default for H264Payload {
    fn default() -> Self {
        H264Payload {
            pieces: Pieces::default(),
            vcl_seen: true,
            sets: ParamSets {
                sps: ParamTable::new(32),
                pps: ParamTable::new(256),
            },
            idr_had_params: false,
            carry: nal::Carry::default(),
            skipped: 0,
        }
    }
}

impl H264Payload {
    /// Rules with no parameter set known yet.
    pub fn new() -> Self {
        H264Payload::default()
    }

    /// Packets passed over: STAP-B, MTAP16, MTAP24, FU-B and undefined types.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether `nal` starts a new access unit (H.264 section 7.4.1.2.3); notes what it is.
    fn starts_access_unit(&mut self, nal: &[u8]) -> bool {
        let Some(&h) = nal.first() else { return false };
        match h & 0x1F {
            6..=9 | 14..=18 => std::mem::replace(&mut self.vcl_seen, false),
            1..=5 => {
                // first_mb_in_slice is ue(v): 0 is the single bit 1. A picture's first slice
                // starts a frame even after parameter sets (they come back in front of it:
                // `nal::Carry`), so that sets sent on a timestamp of their own do not leave the
                // picture looking cut.
                self.vcl_seen = true;
                nal.get(1).is_none_or(|b| b & 0x80 != 0)
            }
            _ => false,
        }
    }

    /// STAP-A (RFC 6184 section 5.7.1): NAL units each behind a 16-bit size.
    fn stap_a(&mut self, payload: &Bytes, out: &mut Vec<Bytes>) -> Result<bool, PayloadError> {
        let mut pos = 1;
        let mut starts = None;
        while pos < payload.len() {
            let size = payload
                .get(pos..pos + 2)
                .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
                .ok_or_else(|| stap_error(payload.len(), pos + 2))?;
            let end = pos + 2 + size;
            if size == 0 || end > payload.len() {
                return Err(stap_error(payload.len(), end.max(pos + 3)));
            }
            let nal = payload.slice(pos + 2..end);
            let s = self.starts_access_unit(&nal);
            starts.get_or_insert(s);
            self.pieces.whole(out, nal);
            pos = end;
        }
        starts.ok_or_else(|| stap_error(payload.len(), 3))
    }

    /// FU-A (RFC 6184 section 5.8).
    fn fu_a(&mut self, payload: &Bytes, out: &mut Vec<Bytes>) -> Result<bool, PayloadError> {
        let fu = *payload.get(1).ok_or_else(|| PayloadError {
            codec: CODEC,
            expected: "a FU header after the FU indicator",
            found: "a 1-byte FU-A".into(),
            offset: 1,
        })?;
        let (start, end, nal_type) = (fu & 0x80 != 0, fu & 0x40 != 0, fu & 0x1F);
        let data = payload.slice(2..);
        if start {
            let header = payload[0] & 0xE0 | nal_type;
            let mut head = [header, 0];
            head[1] = data.first().copied().unwrap_or(0x80);
            let starts = self.starts_access_unit(&head);
            self.pieces.fu_start(out, nal_type, &[header], data, end);
            return Ok(starts);
        }
        if self.pieces.open_fu != Some(nal_type) {
            return Err(PayloadError {
                codec: CODEC,
                expected: "a FU-A start fragment (S bit) before its other fragments",
                found: format!("a fragment of a type {nal_type} NAL unit without its start"),
                offset: 1,
            });
        }
        self.pieces.fu_more(out, data, end);
        Ok(false)
    }
}

fn stap_error(len: usize, needed: usize) -> PayloadError {
    PayloadError {
        codec: CODEC,
        expected: "STAP-A NAL units of at least 1 byte, each inside the packet",
        found: format!("the packet ends after {len} of {needed} bytes"),
        offset: len,
    }
}

impl PayloadRules for H264Payload {
    fn codec(&self) -> Codec {
        Codec::H264
    }

    /// ```text
    /// RFC 6184 section 5.3, the first byte of every payload (the NAL unit header's layout):
    ///   +---------------+
    ///   |0|1|2|3|4|5|6|7|
    ///   +-+-+-+-+-+-+-+-+
    ///   |F|NRI|  Type   |   Type 1-23: a NAL unit; 24: STAP-A; 28: FU-A
    ///   +---------------+
    /// FU-A (section 5.8): FU indicator (F, NRI, 28), then the FU header:
    ///   |S|E|R|  Type   |   S: first fragment, E: last; Type: the NAL unit's
    /// STAP-A (section 5.7.1): header, then (16-bit size, NAL unit) repeated.
    /// ```
    fn depacketize(
        &mut self,
        payload: &Bytes,
        out: &mut Vec<Bytes>,
    ) -> Result<PacketRole, PayloadError> {
        let Some(&b0) = payload.first() else {
            return Err(PayloadError {
                codec: CODEC,
                expected: "a NAL unit header",
                found: "an empty payload".into(),
                offset: 0,
            });
        };
        let starts_frame = match b0 & 0x1F {
            1..=23 => {
                let starts = self.starts_access_unit(payload);
                self.pieces.whole(out, payload.clone());
                starts
            }
            STAP_A => self.stap_a(payload, out)?,
            FU_A => self.fu_a(payload, out)?,
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
        let avcc = nal::pieces_to_avcc(CODEC, &mut parts)?;
        let is_slice = |n: &[u8]| n.first().is_some_and(|h| (1..=5).contains(&(h & 0x1F)));
        if !nal::avcc_nals(&avcc).any(is_slice) {
            // No picture: its NAL units go in front of the next one; nothing is handed out.
            self.carry.hold(&avcc);
            return Ok((FrameData::new(), FrameFacts::default()));
        }
        let avcc = self.carry.prepend(avcc);
        let types = || nal::avcc_nals(&avcc).filter_map(|n| n.first().map(|h| h & 0x1F));
        if types().any(|t| t == IDR) {
            let had = types().any(|t| t == SPS) && types().any(|t| t == PPS);
            if std::mem::replace(&mut self.idr_had_params, had) && !had {
                return Err(PayloadError {
                    codec: CODEC,
                    expected: "the SPS and PPS this sender sent with its last IDR picture",
                    found: "an IDR picture without them (their packets may be lost)".into(),
                    offset: 0,
                });
            }
        }
        self.sets.update(&avcc);
        let facts = self.sets.facts(&avcc);
        Ok((avcc.into(), facts))
    }
    /// Parameter sets held for the next picture belong to none that will come after a loss.
    fn lost(&mut self) {
        self.carry.clear();
    }
}

impl ParamSets {
    /// Keeps the SPS and PPS of an AVCC frame.
    fn update(&mut self, frame: &[u8]) {
        for nal in nal::avcc_nals(frame) {
            match nal.first().map(|h| h & 0x1F) {
                Some(SPS) => {
                    if let Some(sps) = H264Sps::parse(nal) {
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

    /// Keyframe, size and configuration of an AVCC frame, with the sets known.
    fn facts(&self, frame: &[u8]) -> FrameFacts {
        let Some(idr) = nal::avcc_nals(frame).find(|n| n.first().map(|h| h & 0x1F) == Some(IDR))
        else {
            return FrameFacts::default();
        };
        // Slice header (section 7.3.3): first_mb_in_slice, slice_type, pic_parameter_set_id.
        let rbsp = nal::rbsp(&idr[1..idr.len().min(32)]);
        let mut r = BitReader::new(&rbsp);
        let in_force = (|| {
            r.ue()?;
            r.ue()?;
            let pps = self.pps.get(r.ue()?)?;
            let (_, sps_id) = pps_ids(pps)?;
            let sps_nal = self.sps.get(sps_id)?;
            let sps = H264Sps::parse(sps_nal)?;
            Some((sps_nal, pps, sps))
        })();
        let Some((sps_nal, pps, sps)) = in_force else {
            return FrameFacts::default();
        };
        FrameFacts {
            keyframe: true,
            size: Some(sps.size),
            config: Some(avc_decoder_configuration_record(sps_nal, pps, &sps)),
        }
    }
}

/// `pic_parameter_set_id` and `seq_parameter_set_id` of a PPS NAL unit (section 7.3.2.2).
fn pps_ids(nal: &[u8]) -> Option<(u32, u32)> {
    let rbsp = nal::rbsp(nal.get(1..)?);
    let mut r = BitReader::new(&rbsp);
    Some((r.ue()?, r.ue()?))
}

/// The fields of a sequence parameter set (ITU-T H.264 section 7.3.2.1.1) that a container
/// needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H264Sps {
    /// `seq_parameter_set_id` (0 to 31).
    pub id: u32,
    /// `profile_idc`.
    pub profile_idc: u8,
    /// `chroma_format_idc` (1, 4:2:0, unless a high profile says otherwise).
    pub chroma_format_idc: u8,
    /// `bit_depth_luma_minus8`.
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8`.
    pub bit_depth_chroma_minus8: u8,
    /// The picture size after frame cropping (section 7.4.2.1.1).
    pub size: VideoSize,
}

/// Profiles whose SPS carries chroma format, bit depths and scaling lists (section 7.3.2.1.1).
fn high_profile(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

impl H264Sps {
    /// Reads an SPS NAL unit (header byte included); `None` if it is not one, is cut short, or
    /// gives an id above 31 or a cropped size of 0 or above 65535.
    pub fn parse(nal: &[u8]) -> Option<H264Sps> {
        if nal.first()? & 0x1F != SPS {
            return None;
        }
        let rbsp = nal::rbsp(&nal[1..]);
        let mut r = BitReader::new(&rbsp);
        let profile_idc = r.bits(8)? as u8;
        r.skip(16)?; // constraint_set flags, reserved_zero_2bits, level_idc
        let id = r.ue()?;
        let mut sps = H264Sps {
            id,
            profile_idc,
            chroma_format_idc: 1,
            bit_depth_luma_minus8: 0,
            bit_depth_chroma_minus8: 0,
            size: VideoSize {
                width: 0,
                height: 0,
            },
        };
        let mut separate_colour_plane = false;
        if high_profile(profile_idc) {
            sps.chroma_format_idc = small(r.ue()?, 3)?;
            if sps.chroma_format_idc == 3 {
                separate_colour_plane = r.flag()?;
            }
            sps.bit_depth_luma_minus8 = small(r.ue()?, 6)?;
            sps.bit_depth_chroma_minus8 = small(r.ue()?, 6)?;
            r.skip(1)?; // qpprime_y_zero_transform_bypass_flag
            if r.flag()? {
                let lists = if sps.chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.flag()? {
                        skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }
        r.ue()?; // log2_max_frame_num_minus4
        match r.ue()? {
            0 => {
                r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
            }
            1 => {
                r.skip(1)?; // delta_pic_order_always_zero_flag
                r.se()?; // offset_for_non_ref_pic
                r.se()?; // offset_for_top_to_bottom_field
                for _ in 0..small(r.ue()?, 255)? {
                    r.se()?; // offset_for_ref_frame
                }
            }
            _ => {}
        }
        r.ue()?; // max_num_ref_frames
        r.skip(1)?; // gaps_in_frame_num_value_allowed_flag
        let width_mbs = u64::from(r.ue()?) + 1;
        let height_map_units = u64::from(r.ue()?) + 1;
        let frame_mbs_only = u64::from(r.flag()?);
        if frame_mbs_only == 0 {
            r.skip(1)?; // mb_adaptive_frame_field_flag
        }
        r.skip(1)?; // direct_8x8_inference_flag
        let mut crop = [0u64; 4]; // left, right, top, bottom
        if r.flag()? {
            for c in &mut crop {
                *c = u64::from(r.ue()?);
            }
        }
        // Section 7.4.2.1.1: CropUnitX/Y from ChromaArrayType and frame_mbs_only_flag.
        let chroma_array_type = if separate_colour_plane {
            0
        } else {
            sps.chroma_format_idc
        };
        let (sub_width, sub_height) = match chroma_array_type {
            0 => (1, 1),
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1),
        };
        let crop_x = sub_width;
        let crop_y = sub_height * (2 - frame_mbs_only);
        let width = (width_mbs * 16).checked_sub(crop_x * (crop[0] + crop[1]))?;
        let height = (height_map_units * 16 * (2 - frame_mbs_only))
            .checked_sub(crop_y * (crop[2] + crop[3]))?;
        sps.size = VideoSize {
            width: u16::try_from(width).ok().filter(|&w| w > 0)?,
            height: u16::try_from(height).ok().filter(|&h| h > 0)?,
        };
        (id < 32).then_some(sps)
    }
}

/// `v` as a `u8` if it is at most `max`.
fn small(v: u32, max: u32) -> Option<u8> {
    (v <= max).then_some(v as u8)
}

/// scaling_list() (section 7.3.2.1.1.1): delta_scale values until the next scale is 0.
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            next = (last + delta).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 section 5.3.3.1) of one SPS and one PPS
/// (NAL units, header byte included), with 4-byte NAL unit lengths.
///
/// ```text
/// configurationVersion = 1 | AVCProfileIndication | profile_compatibility | AVCLevelIndication
/// 111111 lengthSizeMinusOne(2) = 3 | 111 numOfSequenceParameterSets(5) = 1
/// (16-bit length, SPS) | numOfPictureParameterSets = 1 | (16-bit length, PPS)
/// profiles 100, 110, 122, 144 only:
/// 111111 chroma_format(2) | 11111 bit_depth_luma_minus8(3) | 11111 bit_depth_chroma_minus8(3)
/// numOfSequenceParameterSetExt = 0
/// ```
pub fn avc_decoder_configuration_record(sps_nal: &[u8], pps_nal: &[u8], sps: &H264Sps) -> Bytes {
    let mut out = Vec::with_capacity(16 + sps_nal.len() + pps_nal.len());
    out.push(1);
    out.extend_from_slice(sps_nal.get(1..4).unwrap_or(&[0, 0, 0]));
    out.push(0xFC | 3);
    out.push(0xE0 | 1);
    out.put_u16(sps_nal.len() as u16);
    out.extend_from_slice(sps_nal);
    out.push(1);
    out.put_u16(pps_nal.len() as u16);
    out.extend_from_slice(pps_nal);
    if matches!(sps.profile_idc, 100 | 110 | 122 | 144) {
        out.push(0xFC | sps.chroma_format_idc & 3);
        out.push(0xF8 | sps.bit_depth_luma_minus8 & 7);
        out.push(0xF8 | sps.bit_depth_chroma_minus8 & 7);
        out.push(0);
    }
    Bytes::from(out)
}

/// H.264's NAL unit header and RTP headers, for the shared packetizer.
struct H264Format;

impl NalFormat for H264Format {
    const HEADER_LEN: usize = 1;

    fn aggregation_header(nals: &[&[u8]], out: &mut Vec<u8>) {
        // F: any F; NRI: the highest (RFC 6184 section 5.7.1).
        let f = nals.iter().fold(0, |a, n| a | n[0] & 0x80);
        let nri = nals.iter().map(|n| n[0] & 0x60).max().unwrap_or(0);
        out.push(f | nri | STAP_A);
    }

    fn fragment_header(nal: &[u8], start: bool, end: bool, out: &mut Vec<u8>) {
        out.push(nal[0] & 0xE0 | FU_A);
        out.push(u8::from(start) << 7 | u8::from(end) << 6 | nal[0] & 0x1F);
    }
}

/// Packetizes H.264 access units (RFC 6184, packetization mode 1) into payloads of at most
/// `max_payload` bytes: NAL units that fit together (parameter sets, small slices) in a STAP-A,
/// one that fits alone in a single NAL unit packet, a larger one in FU-A fragments.
#[derive(Debug, Clone)]
pub struct H264Packetizer {
    max_payload: usize,
    buf: Vec<u8>,
}

impl H264Packetizer {
    /// A packetizer for payloads of at most `max_payload` bytes (at least 3).
    pub fn new(max_payload: usize) -> Self {
        H264Packetizer {
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
        nal::packetize_nals::<H264Format>(self.max_payload, nals, &mut self.buf, emit);
    }
}
