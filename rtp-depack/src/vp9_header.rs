//! The whole VP9 uncompressed header (VP9 bitstream spec section 6.2, semantics in 7.2), read
//! to its last bit so a frame can be rewritten as hidden (show_frame = 0), which the payload
//! rules do to every layer frame of a superframe but the last.

use mjrtool_core::PayloadError;

use crate::bits::BitReader;
use crate::vp9_frame::invalid;

/// Reference frame slots of a VP9 decoder (NUM_REF_FRAMES = 8), with the size of the frame each
/// holds as far as the headers seen so far tell (VP9 spec section 6.2: `frame_size_with_refs`
/// takes an inter frame's size from a slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp9RefSlots {
    sizes: [Option<(u32, u32)>; 8],
}

impl Vp9RefSlots {
    /// Slots whose sizes are all unknown.
    pub fn new() -> Self {
        Vp9RefSlots::default()
    }

    /// The (width, height) slot `index` holds, if known.
    pub fn size(&self, index: usize) -> Option<(u32, u32)> {
        self.sizes.get(index).copied().flatten()
    }

    /// Records a decoded frame: each slot in its `refresh_frame_flags` (all 8 for a key frame,
    /// none for show_existing_frame) now holds a frame of its size.
    pub fn update(&mut self, header: &Vp9UncompressedHeader) {
        for (i, slot) in self.sizes.iter_mut().enumerate() {
            if header.refresh_frame_flags >> i & 1 == 1 {
                *slot = Some((header.width, header.height));
            }
        }
    }
}

/// The fields of a VP9 uncompressed header (VP9 spec section 6.2) that say what the frame is,
/// where its header ends, and the bit positions a rewrite needs.
///
/// ```text
/// frame_marker f(2) | profile f(2) | [profile 3: reserved_zero f(1)] | show_existing_frame f(1)
/// frame_type f(1) | show_frame f(1) | error_resilient_mode f(1)
/// key frame: sync code, color_config, frame_size, render_size
/// else:      [show_frame = 0: intra_only f(1)] | [!error_resilient: reset_frame_context f(2)]
///            intra_only: sync code, [profile > 0: color_config], refresh_frame_flags f(8),
///                        frame_size, render_size
///            inter:      refresh_frame_flags f(8), 3 x (ref_frame_idx f(3), sign_bias f(1)),
///                        frame_size_with_refs, allow_high_precision_mv f(1),
///                        interpolation filter
/// [!error_resilient: refresh_frame_context f(1), frame_parallel_decoding_mode f(1)]
/// frame_context_idx f(2) | loop_filter_params | quantization_params | segmentation_params
/// tile_info | header_size_in_bytes f(16)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vp9UncompressedHeader {
    /// Profile, 0 to 3.
    pub profile: u8,
    /// The frame only shows the frame in slot `frame_to_show_map_idx` again.
    pub show_existing_frame: bool,
    /// `frame_type` is KEY_FRAME.
    pub keyframe: bool,
    /// show_frame.
    pub show_frame: bool,
    /// error_resilient_mode.
    pub error_resilient_mode: bool,
    /// intra_only (read only when show_frame is 0).
    pub intra_only: bool,
    /// reset_frame_context.
    pub reset_frame_context: u8,
    /// The slots this frame refreshes (0xFF for a key frame).
    pub refresh_frame_flags: u8,
    /// ref_frame_idx and ref_frame_sign_bias of LAST, GOLDEN and ALTREF (inter frames).
    pub refs: [(u8, bool); 3],
    /// The slot an inter frame took its size from (found_ref), if any.
    pub size_from_slot: Option<u8>,
    /// FrameWidth.
    pub width: u32,
    /// FrameHeight.
    pub height: u32,
    /// The render size, when render_and_frame_size_different is 1.
    pub render_size: Option<(u32, u32)>,
    /// allow_high_precision_mv and the interpolation filter (4 = switchable), inter frames.
    pub motion: (bool, u8),
    /// refresh_frame_context, frame_parallel_decoding_mode, frame_context_idx.
    pub context: (bool, bool, u8),
    /// loop_filter_level and loop_filter_sharpness.
    pub loop_filter: (u8, u8),
    /// base_q_idx.
    pub base_q_idx: u8,
    /// segmentation_enabled.
    pub segmentation_enabled: bool,
    /// tile_cols_log2 and tile_rows_log2.
    pub tiles: (u8, u8),
    /// header_size_in_bytes: the compressed header's length.
    pub header_size_in_bytes: u16,
    /// Bit position of show_frame.
    pub show_frame_bit: usize,
    /// Bits of the uncompressed header (trailing_bits not counted).
    pub bits: usize,
}

type Read<T> = Result<T, PayloadError>;

/// A reader that turns running out of bytes into a typed error.
pub(crate) struct Fields<'a> {
    pub r: BitReader<'a>,
    len: usize,
}

impl<'a> Fields<'a> {
    pub fn new(frame: &'a [u8]) -> Self {
        Fields {
            r: BitReader::new(frame),
            len: frame.len(),
        }
    }

    pub fn f(&mut self, n: u32) -> Read<u32> {
        self.r.bits(n).ok_or_else(|| PayloadError {
            codec: "VP9",
            expected: "a whole uncompressed header",
            found: format!("the frame ends after {} bytes", self.len),
            offset: self.r.position() / 8,
        })
    }
    pub fn flag(&mut self) -> Read<bool> {
        Ok(self.f(1)? == 1)
    }
    /// `su(n)` (section 4.9): n bits then a sign bit.
    fn skip_su(&mut self, n: u32) -> Read<()> {
        self.f(n + 1).map(drop)
    }
}

/// The fields every uncompressed header starts with (section 6.2), to error_resilient_mode.
pub(crate) struct Prefix {
    pub profile: u8,
    pub show_existing_frame: bool,
    pub keyframe: bool,
    /// Where show_frame is, in bits.
    pub show_frame_bit: usize,
    pub show_frame: bool,
    pub error_resilient_mode: bool,
}

/// Reads frame_marker to error_resilient_mode; a show_existing_frame header to its end
/// (frame_to_show_map_idx), with `show_frame` set.
///
/// # Errors
///
/// The frame ends inside these fields, frame_marker is not 2, or profile 3's reserved bit is set.
pub(crate) fn read_prefix(b: &mut Fields<'_>) -> Read<Prefix> {
    let marker = b.f(2)?;
    if marker != 2 {
        return Err(invalid("frame_marker 2", format!("{marker}"), 0));
    }
    let low = b.f(1)?;
    let profile = (b.f(1)? << 1 | low) as u8;
    if profile == 3 && b.flag()? {
        return Err(invalid("reserved_zero 0", "1".into(), 0));
    }
    let mut p = Prefix {
        profile,
        show_existing_frame: b.flag()?,
        keyframe: false,
        show_frame_bit: 0,
        show_frame: true,
        error_resilient_mode: false,
    };
    if p.show_existing_frame {
        b.f(3)?; // frame_to_show_map_idx
        return Ok(p);
    }
    p.keyframe = !b.flag()?;
    p.show_frame_bit = b.r.position();
    p.show_frame = b.flag()?;
    p.error_resilient_mode = b.flag()?;
    Ok(p)
}

impl Vp9UncompressedHeader {
    /// Reads the uncompressed header at the start of `frame` (a plain frame, not a superframe),
    /// taking an inter frame's size from `slots` when it says found_ref.
    ///
    /// # Errors
    ///
    /// The frame ends inside the header, frame_marker is not 2, a reserved bit is set, a sync
    /// code is not 0x49 0x83 0x42, an inter frame takes its size from a slot of unknown size,
    /// or header_size_in_bytes is 0 or runs past the frame.
    pub fn read(frame: &[u8], slots: &Vp9RefSlots) -> Read<Vp9UncompressedHeader> {
        Vp9UncompressedHeader::read_within(frame, frame.len(), slots)
    }

    /// [`read`](Self::read) of a frame `len` bytes long, of which `frame` is the start: what
    /// it reads lies in `frame`, and header_size_in_bytes is checked against `len`.
    pub(crate) fn read_within(
        frame: &[u8],
        len: usize,
        slots: &Vp9RefSlots,
    ) -> Read<Vp9UncompressedHeader> {
        let mut b = Fields::new(frame);
        let p = read_prefix(&mut b)?;
        let mut h = Vp9UncompressedHeader {
            profile: p.profile,
            show_existing_frame: p.show_existing_frame,
            keyframe: p.keyframe,
            show_frame_bit: p.show_frame_bit,
            show_frame: p.show_frame,
            error_resilient_mode: p.error_resilient_mode,
            ..Vp9UncompressedHeader::default()
        };
        if h.show_existing_frame {
            h.bits = b.r.position();
            return Ok(h);
        }
        if h.keyframe {
            sync_code(&mut b)?;
            color_config(&mut b, h.profile)?;
            h.refresh_frame_flags = 0xFF;
            frame_size(&mut b, &mut h)?;
        } else {
            h.intra_only = !h.show_frame && b.flag()?;
            if !h.error_resilient_mode {
                h.reset_frame_context = b.f(2)? as u8;
            }
            if h.intra_only {
                sync_code(&mut b)?;
                if h.profile > 0 {
                    color_config(&mut b, h.profile)?;
                }
                h.refresh_frame_flags = b.f(8)? as u8;
                frame_size(&mut b, &mut h)?;
            } else {
                h.refresh_frame_flags = b.f(8)? as u8;
                for r in &mut h.refs {
                    *r = (b.f(3)? as u8, b.flag()?);
                }
                frame_size_with_refs(&mut b, &mut h, slots)?;
                let high_precision = b.flag()?;
                let filter = if b.flag()? { 4 } else { b.f(2)? as u8 };
                h.motion = (high_precision, filter);
            }
        }
        if !h.error_resilient_mode {
            h.context.0 = b.flag()?;
            h.context.1 = b.flag()?;
        }
        h.context.2 = b.f(2)? as u8;
        loop_filter_params(&mut b, &mut h)?;
        quantization_params(&mut b, &mut h)?;
        segmentation_params(&mut b, &mut h)?;
        tile_info(&mut b, &mut h)?;
        h.header_size_in_bytes = b.f(16)? as u16;
        h.bits = b.r.position();
        let body = h.bits.div_ceil(8);
        if h.header_size_in_bytes == 0 || body + usize::from(h.header_size_in_bytes) > len {
            return Err(invalid(
                "a compressed header of 1 byte or more within the frame",
                format!(
                    "header_size_in_bytes {} after {body} of {len} bytes",
                    h.header_size_in_bytes,
                ),
                body.saturating_sub(2),
            ));
        }
        Ok(h)
    }

    /// The frame rewritten with show_frame = 0, or `None` when it needs no change (it is
    /// already hidden, or is a show_existing_frame). `frame` must be the one this header was
    /// read from.
    ///
    /// A key frame only has its show_frame bit cleared. An inter frame also gains an
    /// intra_only bit (0) after error_resilient_mode, since that field is only present when
    /// show_frame is 0 (section 6.2): every later bit of the uncompressed header moves by one,
    /// the header is padded with zero bits to a byte boundary (trailing_bits), and the
    /// compressed header and tiles follow unchanged, so the frame grows by at most one byte.
    /// `None` too if `frame` is shorter than the header says.
    pub fn hidden(&self, frame: &[u8]) -> Option<Vec<u8>> {
        if self.show_existing_frame || !self.show_frame {
            return None;
        }
        let at = self.show_frame_bit;
        if self.keyframe {
            let mut out = frame.to_vec();
            *out.get_mut(at / 8)? &= !(0x80 >> (at % 8));
            return Some(out);
        }
        let mut w = BitWriter::default();
        let mut r = BitReader::new(frame);
        w.copy(&mut r, at)?; // up to show_frame
        r.bits(1)?;
        w.put(false); // show_frame = 0
        w.copy(&mut r, 1)?; // error_resilient_mode
        w.put(false); // intra_only = 0
        w.copy(&mut r, self.bits - at - 2)?;
        let mut out = w.bytes;
        out.extend_from_slice(frame.get(self.bits.div_ceil(8)..)?);
        Some(out)
    }
}

/// A most-significant-bit-first writer; the last byte is zero-padded.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    fn put(&mut self, bit: bool) {
        if self.bits % 8 == 0 {
            self.bytes.push(0);
        }
        if bit {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> (self.bits % 8);
            }
        }
        self.bits += 1;
    }

    fn copy(&mut self, r: &mut BitReader<'_>, n: usize) -> Option<()> {
        for _ in 0..n {
            self.put(r.flag()?);
        }
        Some(())
    }
}

/// frame_sync_code (section 6.2.1).
pub(crate) fn sync_code(b: &mut Fields<'_>) -> Read<()> {
    let sync = b.f(24)?;
    if sync != 0x49_83_42 {
        return Err(invalid(
            "the frame sync code 49 83 42",
            format!("{sync:06x}"),
            b.r.position() / 8 - 3,
        ));
    }
    Ok(())
}

/// color_config (section 6.2.2).
fn color_config(b: &mut Fields<'_>, profile: u8) -> Read<()> {
    if profile >= 2 {
        b.f(1)?; // ten_or_twelve_bit
    }
    let color_space = b.f(3)?;
    if color_space != 7 {
        b.f(1)?; // color_range
        if profile == 1 || profile == 3 {
            b.f(2)?; // subsampling_x, subsampling_y
            if b.flag()? {
                return Err(invalid("reserved_zero 0", "1".into(), b.r.position() / 8));
            }
        }
    } else if (profile == 1 || profile == 3) && b.flag()? {
        return Err(invalid("reserved_zero 0", "1".into(), b.r.position() / 8));
    }
    Ok(())
}

/// frame_size and render_size (sections 6.2.3, 6.2.4).
fn frame_size(b: &mut Fields<'_>, h: &mut Vp9UncompressedHeader) -> Read<()> {
    h.width = b.f(16)? + 1;
    h.height = b.f(16)? + 1;
    render_size(b, h)
}

fn render_size(b: &mut Fields<'_>, h: &mut Vp9UncompressedHeader) -> Read<()> {
    if b.flag()? {
        h.render_size = Some((b.f(16)? + 1, b.f(16)? + 1));
    }
    Ok(())
}

/// frame_size_with_refs (section 6.2.5).
fn frame_size_with_refs(
    b: &mut Fields<'_>,
    h: &mut Vp9UncompressedHeader,
    slots: &Vp9RefSlots,
) -> Read<()> {
    let refs = h.refs;
    for (slot, _) in refs {
        if b.flag()? {
            let (w, hgt) = slots.size(usize::from(slot)).ok_or_else(|| {
                invalid(
                    "a reference slot of known size (found_ref)",
                    format!("slot {slot}, not yet refreshed by a frame seen"),
                    b.r.position() / 8,
                )
            })?;
            (h.width, h.height) = (w, hgt);
            h.size_from_slot = Some(slot);
            return render_size(b, h);
        }
    }
    frame_size(b, h)
}

/// loop_filter_params (section 6.2.8).
fn loop_filter_params(b: &mut Fields<'_>, h: &mut Vp9UncompressedHeader) -> Read<()> {
    h.loop_filter = (b.f(6)? as u8, b.f(3)? as u8);
    if b.flag()? && b.flag()? {
        // delta enabled and updated: 4 ref deltas, 2 mode deltas
        for _ in 0..6 {
            if b.flag()? {
                b.skip_su(6)?;
            }
        }
    }
    Ok(())
}

/// quantization_params (section 6.2.9).
fn quantization_params(b: &mut Fields<'_>, h: &mut Vp9UncompressedHeader) -> Read<()> {
    h.base_q_idx = b.f(8)? as u8;
    for _ in 0..3 {
        if b.flag()? {
            b.skip_su(4)?; // delta_q
        }
    }
    Ok(())
}

/// segmentation_params (section 6.2.11).
fn segmentation_params(b: &mut Fields<'_>, h: &mut Vp9UncompressedHeader) -> Read<()> {
    h.segmentation_enabled = b.flag()?;
    if !h.segmentation_enabled {
        return Ok(());
    }
    let read_prob = |b: &mut Fields<'_>| -> Read<()> {
        if b.flag()? {
            b.f(8)?;
        }
        Ok(())
    };
    if b.flag()? {
        // update_map: 7 tree probs, then temporal_update and 3 pred probs
        for _ in 0..7 {
            read_prob(b)?;
        }
        if b.flag()? {
            for _ in 0..3 {
                read_prob(b)?;
            }
        }
    }
    if b.flag()? {
        b.f(1)?; // segmentation_abs_or_delta_update
        const BITS: [u32; 4] = [8, 6, 2, 0];
        const SIGNED: [bool; 4] = [true, true, false, false];
        for _segment in 0..8 {
            for j in 0..4 {
                if b.flag()? {
                    b.f(BITS[j] + u32::from(SIGNED[j]))?;
                }
            }
        }
    }
    Ok(())
}

/// tile_info (section 6.2.14), with MiCols and Sb64Cols from the frame width (section 7.2).
fn tile_info(b: &mut Fields<'_>, h: &mut Vp9UncompressedHeader) -> Read<()> {
    let mi_cols = (h.width + 7) >> 3;
    let sb64_cols = (mi_cols + 7) >> 3;
    let mut min_log2 = 0;
    while (64u32 << min_log2) < sb64_cols {
        min_log2 += 1;
    }
    let mut max_log2 = 1;
    while (sb64_cols >> max_log2) >= 4 {
        max_log2 += 1;
    }
    max_log2 -= 1;
    let mut cols = min_log2;
    while cols < max_log2 && b.flag()? {
        cols += 1;
    }
    let mut rows = b.f(1)?;
    if rows == 1 {
        rows += b.f(1)?;
    }
    h.tiles = (cols as u8, rows as u8);
    Ok(())
}
