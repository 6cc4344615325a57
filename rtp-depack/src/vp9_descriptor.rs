//! The VP9 payload descriptor (RFC 9628 section 4.2) and its scalability structure (section
//! 4.2.1), read and written with every length checked.

use mjrtool_core::{PayloadError, VideoSize};

/// Layer indices (the L byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp9LayerIndex {
    /// Temporal layer (TID, 3 bits).
    pub tid: u8,
    /// Switching up point (U).
    pub switching_up: bool,
    /// Spatial layer (SID, 3 bits).
    pub sid: u8,
    /// Inter-layer dependency (D): the layer frame depends on the one below.
    pub inter_layer: bool,
}

/// One picture of the picture group in a scalability structure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vp9GroupPicture {
    /// Temporal layer (TID).
    pub tid: u8,
    /// Switching up point (U).
    pub switching_up: bool,
    /// Reference indices (R of them, at most 3): picture ID differences.
    pub p_diffs: Vec<u8>,
}

/// The scalability structure (SS, RFC 9628 section 4.2.1).
///
/// ```text
///      +-+-+-+-+-+-+-+-+
/// V:   | N_S |Y|G|-|-|-|
///      +-+-+-+-+-+-+-+-+              -\
/// Y:   |     WIDTH     | (16 bits)     . N_S + 1 times
///      |     HEIGHT    | (16 bits)     .
///      +-+-+-+-+-+-+-+-+              -/
/// G:   |      N_G      |
///      +-+-+-+-+-+-+-+-+                          -\
/// N_G: | TID |U| R |-|-|                           . N_G times
///      +-+-+-+-+-+-+-+-+              -\           .
///      |    P_DIFF     | (8 bits)      . R times   .
///      +-+-+-+-+-+-+-+-+              -/          -/
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vp9Scalability {
    /// Spatial layers in the stream (N_S + 1, 1 to 8).
    pub spatial_layers: u8,
    /// Each spatial layer's size (Y), or empty.
    pub sizes: Vec<VideoSize>,
    /// The picture group (G), or empty.
    pub group: Vec<Vp9GroupPicture>,
}

/// The payload descriptor at the start of every VP9 packet (RFC 9628 section 4.2).
///
/// ```text
/// flexible mode (F = 1)               non-flexible mode (F = 0)
///      +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
///      |I|P|L|F|B|E|V|Z|                   |I|P|L|F|B|E|V|Z|
///      +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
/// I:   |M| PICTURE ID  |              I:   |M| PICTURE ID  |
/// M:   | EXTENDED PID  |              M:   | EXTENDED PID  |
///      +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
/// L:   | TID |U| SID |D|              L:   | TID |U| SID |D|
///      +-+-+-+-+-+-+-+-+                   |   TL0PICIDX   |
/// P,F: | P_DIFF      |N| up to 3 times     +-+-+-+-+-+-+-+-+
///      +-+-+-+-+-+-+-+-+              V:   | SS ...        |
/// V:   | SS ...        |
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vp9Descriptor {
    /// Picture ID (I), 7 or 15 bits.
    pub picture_id: Option<u16>,
    /// The picture ID has 15 bits (M).
    pub long_picture_id: bool,
    /// Inter-picture predicted (P).
    pub inter_picture: bool,
    /// Flexible mode (F).
    pub flexible: bool,
    /// Start of a layer frame (B).
    pub start: bool,
    /// End of a layer frame (E).
    pub end: bool,
    /// Not a reference for upper spatial layers (Z).
    pub not_reference_for_upper: bool,
    /// Layer indices (L).
    pub layer: Option<Vp9LayerIndex>,
    /// TL0PICIDX (non-flexible mode with L).
    pub tl0_pic_idx: Option<u8>,
    /// Reference indices (flexible mode with P): up to 3 picture ID differences (1 to 127).
    pub p_diffs: Vec<u8>,
    /// The scalability structure (V).
    pub scalability: Option<Vp9Scalability>,
    /// Descriptor length: the VP9 bytes start here.
    pub len: usize,
}

/// A cursor over the descriptor that says where it ran out.
struct Cursor<'a> {
    p: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn byte(&mut self, expected: &'static str) -> Result<u8, PayloadError> {
        let b = *self.p.get(self.at).ok_or_else(|| PayloadError {
            codec: "VP9",
            expected,
            found: format!("a payload of {} bytes", self.p.len()),
            offset: self.at,
        })?;
        self.at += 1;
        Ok(b)
    }

    fn u16(&mut self, expected: &'static str) -> Result<u16, PayloadError> {
        Ok(u16::from(self.byte(expected)?) << 8 | u16::from(self.byte(expected)?))
    }
}

impl Vp9Descriptor {
    /// Reads the descriptor at the start of an RTP payload.
    ///
    /// # Errors
    ///
    /// The payload ends inside the descriptor (the fields its flags announce), a fourth
    /// reference index is announced, or a reference index is 0.
    pub fn parse(p: &[u8]) -> Result<Vp9Descriptor, PayloadError> {
        let mut c = Cursor { p, at: 0 };
        let b0 = c.byte("a payload descriptor (RFC 9628 section 4.2)")?;
        let mut d = Vp9Descriptor {
            inter_picture: b0 & 0x40 != 0,
            flexible: b0 & 0x10 != 0,
            start: b0 & 0x08 != 0,
            end: b0 & 0x04 != 0,
            not_reference_for_upper: b0 & 0x01 != 0,
            ..Vp9Descriptor::default()
        };
        if b0 & 0x80 != 0 {
            let m = c.byte("the picture ID the I bit announces")?;
            d.long_picture_id = m & 0x80 != 0;
            d.picture_id = Some(if d.long_picture_id {
                u16::from(m & 0x7F) << 8 | u16::from(c.byte("the 15-bit picture ID")?)
            } else {
                u16::from(m)
            });
        }
        if b0 & 0x20 != 0 {
            let l = c.byte("the layer indices the L bit announces")?;
            d.layer = Some(Vp9LayerIndex {
                tid: l >> 5,
                switching_up: l & 0x10 != 0,
                sid: (l >> 1) & 7,
                inter_layer: l & 1 != 0,
            });
            if !d.flexible {
                d.tl0_pic_idx = Some(c.byte("TL0PICIDX (non-flexible mode)")?);
            }
        }
        if d.flexible && d.inter_picture {
            d.p_diffs = read_p_diffs(&mut c)?;
        }
        if b0 & 0x02 != 0 {
            d.scalability = Some(read_scalability(&mut c)?);
        }
        d.len = c.at;
        Ok(d)
    }

    /// Appends the descriptor (its fields as set; `len` is not used).
    pub fn write(&self, out: &mut Vec<u8>) {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        let has_p_diffs = self.flexible && self.inter_picture && !self.p_diffs.is_empty();
        out.push(
            flag(self.picture_id.is_some(), 0x80)
                | flag(self.inter_picture, 0x40)
                | flag(self.layer.is_some(), 0x20)
                | flag(self.flexible, 0x10)
                | flag(self.start, 0x08)
                | flag(self.end, 0x04)
                | flag(self.scalability.is_some(), 0x02)
                | flag(self.not_reference_for_upper, 0x01),
        );
        match self.picture_id {
            Some(id) if self.long_picture_id => {
                out.extend_from_slice(&[0x80 | (id >> 8) as u8 & 0x7F, id as u8])
            }
            Some(id) => out.push(id as u8 & 0x7F),
            None => {}
        }
        if let Some(l) = self.layer {
            out.push(
                (l.tid & 7) << 5
                    | flag(l.switching_up, 0x10)
                    | (l.sid & 7) << 1
                    | u8::from(l.inter_layer),
            );
            if !self.flexible {
                out.push(self.tl0_pic_idx.unwrap_or(0));
            }
        }
        if has_p_diffs {
            let n = self.p_diffs.len().min(3);
            for (i, p) in self.p_diffs[..n].iter().enumerate() {
                out.push((p & 0x7F) << 1 | u8::from(i + 1 < n));
            }
        }
        if let Some(ss) = &self.scalability {
            write_scalability(ss, out);
        }
    }
}

/// Reads the reference indices: P_DIFF (7 bits) and N (another follows), at most 3.
fn read_p_diffs(c: &mut Cursor<'_>) -> Result<Vec<u8>, PayloadError> {
    let mut p_diffs = Vec::with_capacity(3);
    loop {
        let at = c.at;
        let b = c.byte("a reference index (P_DIFF), flexible mode with P")?;
        if b >> 1 == 0 {
            return Err(PayloadError {
                codec: "VP9",
                expected: "a reference index P_DIFF of 1 or more",
                found: "0".into(),
                offset: at,
            });
        }
        p_diffs.push(b >> 1);
        if b & 1 == 0 {
            return Ok(p_diffs);
        }
        if p_diffs.len() == 3 {
            return Err(PayloadError {
                codec: "VP9",
                expected: "at most 3 reference indices",
                found: "N set on the third".into(),
                offset: at,
            });
        }
    }
}

/// Reads the scalability structure (see [`Vp9Scalability`]).
fn read_scalability(c: &mut Cursor<'_>) -> Result<Vp9Scalability, PayloadError> {
    let v = c.byte("the scalability structure the V bit announces")?;
    let mut ss = Vp9Scalability {
        spatial_layers: (v >> 5) + 1,
        ..Vp9Scalability::default()
    };
    if v & 0x10 != 0 {
        for _ in 0..ss.spatial_layers {
            let width = c.u16("a spatial layer's WIDTH and HEIGHT (SS, Y bit)")?;
            let height = c.u16("a spatial layer's WIDTH and HEIGHT (SS, Y bit)")?;
            ss.sizes.push(VideoSize { width, height });
        }
    }
    if v & 0x08 != 0 {
        let n_g = c.byte("the picture group size N_G (SS, G bit)")?;
        for _ in 0..n_g {
            let g = c.byte("a picture group entry (SS)")?;
            let mut pic = Vp9GroupPicture {
                tid: g >> 5,
                switching_up: g & 0x10 != 0,
                p_diffs: Vec::new(),
            };
            for _ in 0..(g >> 2) & 3 {
                pic.p_diffs
                    .push(c.byte("a picture group reference index (SS)")?);
            }
            ss.group.push(pic);
        }
    }
    Ok(ss)
}

fn write_scalability(ss: &Vp9Scalability, out: &mut Vec<u8>) {
    let layers = ss.spatial_layers.clamp(1, 8);
    let with_sizes = ss.sizes.len() == usize::from(layers);
    let with_group = !ss.group.is_empty();
    out.push((layers - 1) << 5 | u8::from(with_sizes) << 4 | u8::from(with_group) << 3);
    if with_sizes {
        for s in &ss.sizes {
            out.extend_from_slice(&s.width.to_be_bytes());
            out.extend_from_slice(&s.height.to_be_bytes());
        }
    }
    if with_group {
        let pics = &ss.group[..ss.group.len().min(255)];
        out.push(pics.len() as u8);
        for pic in pics {
            let r = pic.p_diffs.len().min(3);
            out.push((pic.tid & 7) << 5 | u8::from(pic.switching_up) << 4 | (r as u8) << 2);
            out.extend_from_slice(&pic.p_diffs[..r]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_descriptor_field_survives_a_write_and_parse() {
        let d = Vp9Descriptor {
            picture_id: Some(0x1234),
            long_picture_id: true,
            inter_picture: true,
            flexible: true,
            start: true,
            end: false,
            not_reference_for_upper: true,
            layer: Some(Vp9LayerIndex {
                tid: 2,
                switching_up: true,
                sid: 1,
                inter_layer: true,
            }),
            tl0_pic_idx: None,
            p_diffs: vec![1, 5, 127],
            scalability: Some(Vp9Scalability {
                spatial_layers: 2,
                sizes: vec![
                    VideoSize {
                        width: 80,
                        height: 60,
                    },
                    VideoSize {
                        width: 160,
                        height: 120,
                    },
                ],
                group: vec![Vp9GroupPicture {
                    tid: 1,
                    switching_up: false,
                    p_diffs: vec![2, 1],
                }],
            }),
            len: 0,
        };
        let mut buf = Vec::new();
        d.write(&mut buf);
        let back = Vp9Descriptor::parse(&buf).unwrap();
        assert_eq!(
            back,
            Vp9Descriptor {
                len: buf.len(),
                ..d
            }
        );
        for cut in 0..buf.len() {
            assert!(Vp9Descriptor::parse(&buf[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn non_flexible_mode_carries_tl0picidx_and_a_short_picture_id() {
        let d = Vp9Descriptor {
            picture_id: Some(0x55),
            layer: Some(Vp9LayerIndex::default()),
            tl0_pic_idx: Some(9),
            start: true,
            end: true,
            ..Vp9Descriptor::default()
        };
        let mut buf = Vec::new();
        d.write(&mut buf);
        assert_eq!(buf, [0xAC, 0x55, 0x00, 9]);
        assert_eq!(
            Vp9Descriptor::parse(&buf).unwrap(),
            Vp9Descriptor { len: 4, ..d }
        );
        // A fourth reference index is refused.
        assert!(Vp9Descriptor::parse(&[0x50, 0x03, 0x03, 0x03, 0x02]).is_err());
    }
}
