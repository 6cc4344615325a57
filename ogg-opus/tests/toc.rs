//! Opus packet validation (RFC 6716 section 3.4) against packets built from their frames, and
//! against a second, independent reading of the rules for every truncation of them.

use mjrtool_ogg::toc::{self, TocError};
use proptest::prelude::*;

/// A frame length coded as in RFC 6716 section 3.2.1.
fn coded_len(len: usize) -> Vec<u8> {
    if len < 252 {
        vec![len as u8]
    } else {
        let b0 = 252 + (len - 252) % 4;
        vec![b0 as u8, ((len - b0) / 4) as u8]
    }
}

/// How a packet is laid out.
#[derive(Debug, Clone)]
struct Layout {
    toc: u8,
    /// Frame lengths (for codes 0 to 2, one or two of them).
    frames: Vec<usize>,
    vbr: bool,
    /// Padding bytes for code 3 (`None`: no padding flag).
    padding: Option<usize>,
}

/// Writes `layout` as a packet (RFC 6716 section 3.2); frame bytes are arbitrary.
fn build(l: &Layout) -> Vec<u8> {
    let mut p = vec![l.toc];
    match l.toc & 3 {
        0 | 1 => {}
        2 => p.extend(coded_len(l.frames[0])),
        _ => {
            p.push(l.frames.len() as u8 | if l.vbr { 0x80 } else { 0 });
            if let Some(padding) = l.padding {
                p[1] |= 0x40;
                p.extend(std::iter::repeat_n(255, padding / 254));
                p.push((padding % 254) as u8);
            }
            if l.vbr {
                for &f in &l.frames[..l.frames.len() - 1] {
                    p.extend(coded_len(f));
                }
            }
        }
    }
    for (i, &f) in l.frames.iter().enumerate() {
        p.extend(std::iter::repeat_n(0x30 + i as u8, f));
    }
    p.extend(std::iter::repeat_n(0, l.padding.unwrap_or(0)));
    p
}

fn frame_len() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..300, 1 => 0usize..=1275]
}

/// Layouts that obey every rule.
fn valid_layout() -> impl Strategy<Value = Layout> {
    (
        0u8..32,
        any::<bool>(),
        0u8..4,
        any::<bool>(),
        prop::option::of(0usize..700),
    )
        .prop_flat_map(|(config, stereo, code, vbr, padding)| {
            let toc = (config << 3) | (u8::from(stereo) << 2) | code;
            let max = (5760 / toc::frame_duration_samples(toc)).min(48) as usize;
            let count = match code {
                0 => 1..2,
                1 | 2 => 2..3,
                _ => 1..max + 1,
            };
            (
                Just(toc),
                prop::collection::vec(frame_len(), count),
                Just(vbr),
                Just(padding),
            )
        })
        .prop_map(|(toc, mut frames, vbr, padding)| {
            let code = toc & 3;
            let vbr = code == 3 && vbr;
            if code == 1 || (code == 3 && !vbr) {
                let first = frames[0];
                frames.iter_mut().for_each(|f| *f = first);
            }
            let padding = if code == 3 { padding } else { None };
            Layout {
                toc,
                frames,
                vbr,
                padding,
            }
        })
}

/// A second reading of RFC 6716 section 3.4: walks the packet with a cursor and says whether
/// it is valid, and its frame lengths.
fn model(p: &[u8]) -> Option<Vec<usize>> {
    fn len_at(p: &[u8], at: &mut usize) -> Option<usize> {
        let b0 = usize::from(*p.get(*at)?);
        *at += 1;
        if b0 < 252 {
            return Some(b0);
        }
        let b1 = usize::from(*p.get(*at)?);
        *at += 1;
        Some(4 * b1 + b0)
    }
    let toc = *p.first()?; // R1
                           // Frame durations in tenths of a millisecond, config by config (RFC 6716 section 3.1).
    const TENTH_MS: [usize; 32] = [
        100, 200, 400, 600, 100, 200, 400, 600, 100, 200, 400, 600, // SILK
        100, 200, 100, 200, // Hybrid
        25, 50, 100, 200, 25, 50, 100, 200, 25, 50, 100, 200, 25, 50, 100, 200, // CELT
    ];
    let frame_ms_x10 = TENTH_MS[usize::from(toc >> 3)];
    let mut at = 1;
    let frames = match toc & 3 {
        0 => vec![p.len() - 1],
        1 => {
            if (p.len() - 1) % 2 == 1 {
                return None; // R3
            }
            vec![(p.len() - 1) / 2; 2]
        }
        2 => {
            let a = len_at(p, &mut at)?;
            let rest = p.len().checked_sub(at)?.checked_sub(a)?; // R4
            vec![a, rest]
        }
        _ => {
            let fc = *p.get(1)?;
            at = 2;
            let m = usize::from(fc & 0x3F);
            if m == 0 || m * frame_ms_x10 > 1200 {
                return None; // R5
            }
            let mut padding = 0;
            if fc & 0x40 != 0 {
                loop {
                    let b = usize::from(*p.get(at)?);
                    at += 1;
                    padding += if b == 255 { 254 } else { b };
                    if b != 255 {
                        break;
                    }
                }
            }
            let mut frames = Vec::new();
            if fc & 0x80 != 0 {
                for _ in 1..m {
                    frames.push(len_at(p, &mut at)?);
                }
            }
            let room = p.len().checked_sub(at)?.checked_sub(padding)?; // R6, R7
            if fc & 0x80 != 0 {
                let last = room.checked_sub(frames.iter().sum())?; // R7
                frames.push(last);
            } else {
                if room % m != 0 {
                    return None; // R6
                }
                frames = vec![room / m; m];
            }
            frames
        }
    };
    // R2
    frames.iter().all(|&f| f <= 1275).then_some(frames)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn packets_built_by_the_rules_are_accepted_with_their_frames(l in valid_layout()) {
        let p = build(&l);
        let got = toc::frame_lengths(&p);
        prop_assert!(got.is_ok(), "{:?} -> {:?}", l, got);
        let lens: Vec<usize> = got.unwrap().as_slice().iter().map(|&f| usize::from(f)).collect();
        prop_assert_eq!(&lens, &l.frames);
        prop_assert_eq!(model(&p), Some(l.frames.clone()));
        let samples = l.frames.len() as u32 * toc::frame_duration_samples(l.toc);
        prop_assert_eq!(toc::packet_samples(&p), Ok(samples));
    }

    #[test]
    fn every_truncation_is_judged_as_the_rules_say(l in valid_layout()) {
        let p = build(&l);
        for n in 0..p.len() {
            let cut = &p[..n];
            let got = toc::frame_lengths(cut)
                .map(|f| f.as_slice().iter().map(|&x| usize::from(x)).collect::<Vec<_>>());
            prop_assert_eq!(got.clone().ok(), model(cut), "cut at {} of {:02x?}: {:?}", n, p, got);
        }
    }

    #[test]
    fn any_bytes_are_judged_as_the_rules_say(p in prop::collection::vec(any::<u8>(), 0..40)) {
        let got = toc::frame_lengths(&p)
            .map(|f| f.as_slice().iter().map(|&x| usize::from(x)).collect::<Vec<_>>());
        prop_assert_eq!(got.ok(), model(&p));
    }
}

#[test]
fn a_single_byte_past_a_valid_code_1_packet_breaks_it() {
    let l = Layout {
        toc: 0xF9,
        frames: vec![40, 40],
        vbr: false,
        padding: None,
    };
    let mut p = build(&l);
    p.push(0);
    assert_eq!(
        toc::packet_samples(&p),
        Err(TocError::OddCode1Length { len: 81 })
    );
}
