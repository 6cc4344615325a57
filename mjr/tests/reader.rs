//! Writer -> reader round trips, damaged files, odd headers.

use std::io::Read;

use mjr::{
    Codec, Error, FormatVersion, Header, MediaKind, MjrReader, MjrWriter, ReaderOptions, Warning,
};
use proptest::prelude::*;

/// A reader that returns at most `step` bytes per call.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        self.1 = self.1 % 7 + 1;
        Ok(n)
    }
}

fn rtp(seq: u16, len: usize) -> Vec<u8> {
    let mut p = vec![
        0x80,
        96,
        (seq >> 8) as u8,
        seq as u8,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
    ];
    p.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seq as u8)));
    p
}

fn header(version: FormatVersion, kind: MediaKind) -> Header {
    let codec = if kind == MediaKind::Video {
        Codec::Vp8
    } else {
        Codec::Opus
    };
    let mut h = Header::new(kind, codec);
    h.version = version;
    if version != FormatVersion::Legacy {
        h.fmtp = Some("minptime=10;useinbandfec=1".into());
        h.created_us = Some(1_700_000_000_000_000);
        h.first_written_us = Some(1_700_000_000_250_000);
        h.extmaps
            .insert(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level".into());
    }
    h
}

fn write(h: &Header, packets: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut w = MjrWriter::new(Vec::new(), h).unwrap();
    for (t, p) in packets {
        w.write_rtp(*t, p).unwrap();
    }
    w.finish().unwrap()
}

fn read_all<R: Read>(r: R) -> (Header, Vec<mjr::Packet>, Vec<Warning>) {
    let mut r = MjrReader::new(r).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push(p);
    }
    (r.header().clone(), out, r.warnings().to_vec())
}

const VERSIONS: [FormatVersion; 3] = [
    FormatVersion::Legacy,
    FormatVersion::Mjr1,
    FormatVersion::Mjr2,
];

fn packets_strategy() -> impl Strategy<Value = Vec<(u32, Vec<u8>)>> {
    prop::collection::vec((0u32..5000, any::<u16>(), 0usize..1500), 0..40).prop_map(|v| {
        let mut t = 0;
        v.into_iter()
            .map(|(dt, seq, len)| {
                t += dt;
                (t, rtp(seq, len))
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn writer_then_reader_gives_back_everything(
        v in 0usize..3, video in any::<bool>(), packets in packets_strategy(), step in 1usize..5000
    ) {
        let version = VERSIONS[v];
        let kind = if video { MediaKind::Video } else { MediaKind::Audio };
        let h = header(version, kind);
        let bytes = write(&h, &packets);
        let (got_h, got, warnings) = read_all(Trickle(&bytes, step));
        prop_assert_eq!(&got_h, &h);
        prop_assert!(warnings.is_empty(), "{:?}", warnings);
        prop_assert_eq!(got.len(), packets.len());
        for (g, (t, p)) in got.iter().zip(&packets) {
            prop_assert_eq!(&g.data[..], &p[..]);
            prop_assert_eq!(g.time_ms, (version == FormatVersion::Mjr2).then_some(*t));
        }
        // Same result in one read.
        let (_, whole, _) = read_all(&bytes[..]);
        prop_assert_eq!(whole, got);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600), v in 0usize..3) {
        let mut file = VERSIONS[v].magic().to_vec();
        if v > 0 {
            file.extend_from_slice(&[0, 2, b'{', b'}']);
        }
        file.extend_from_slice(&data);
        for input in [&data[..], &file[..]] {
            if let Ok(mut r) = MjrReader::new(input) {
                let mut n = 0;
                while let Ok(Some(p)) = r.next_packet() {
                    prop_assert!(p.offset as usize + p.data.len() <= input.len());
                    n += 1;
                    prop_assert!(n <= input.len());
                }
                prop_assert!(r.position() <= input.len() as u64);
            }
        }
    }

    #[test]
    fn garbage_between_frames_is_skipped(
        packets in packets_strategy(), cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 1..300), v in 0usize..3
    ) {
        prop_assume!(!packets.is_empty());
        let version = VERSIONS[v];
        let h = header(version, MediaKind::Video);
        let at = cut.index(packets.len() + 1);
        let mut w = MjrWriter::new(Vec::new(), &h).unwrap();
        for (i, (t, p)) in packets.iter().enumerate() {
            if i == at {
                w.write_raw(&junk).unwrap();
            }
            w.write_rtp(*t, p).unwrap();
        }
        if at == packets.len() {
            w.write_raw(&junk).unwrap();
        }
        let bytes = w.finish().unwrap();
        let (_, got, _) = read_all(&bytes[..]);
        // At most two frames are lost: the one before the junk (its length ends in garbage, so
        // bytes may have been inserted into it) and the one right after it (when the junk
        // happens to end like a frame header); every other comes out once, in order.
        let got: Vec<&[u8]> = got.iter().map(|g| &g.data[..]).collect();
        let may_lose = [at.checked_sub(1), Some(at)];
        let ok = (0..4).any(|lose: usize| {
            let kept: Vec<&[u8]> = packets
                .iter()
                .enumerate()
                .filter(|(i, _)| !(0..2).any(|k| lose >> k & 1 == 1 && may_lose[k] == Some(*i)))
                .map(|(_, (_, p))| &p[..])
                .collect();
            kept == got
        });
        prop_assert!(ok, "junk at {}: {} of {} packets", at, got.len(), packets.len());
    }
}

#[test]
fn truncation_at_every_offset_keeps_the_frames_before_the_cut() {
    for version in VERSIONS {
        let h = header(version, MediaKind::Audio);
        let packets: Vec<(u32, Vec<u8>)> = (0..6)
            .map(|i| (i * 20, rtp(i as u16, 30 + i as usize)))
            .collect();
        let bytes = write(&h, &packets);
        let header_len = MjrReader::new(&bytes[..]).unwrap().position() as usize;
        for cut in 0..bytes.len() {
            let part = &bytes[..cut];
            match MjrReader::new(part) {
                Err(_) => assert!(cut < header_len, "{version:?}: header fails at {cut}"),
                Ok(mut r) => {
                    let mut got = Vec::new();
                    while let Some(p) = r.next_packet().unwrap() {
                        got.push(p);
                    }
                    let complete = packets
                        .iter()
                        .scan(header_len, |end, (_, p)| {
                            *end += 10 + p.len();
                            Some(*end)
                        })
                        .filter(|end| *end <= cut)
                        .count();
                    assert_eq!(got.len(), complete, "{version:?} cut at {cut}");
                    let clean = cut == header_len
                        || got
                            .last()
                            .is_some_and(|p| p.offset as usize + 10 + p.data.len() == cut);
                    assert_eq!(
                        r.warning_count() == 0,
                        clean,
                        "{version:?} cut at {cut}: {:?}",
                        r.warnings()
                    );
                }
            }
        }
    }
}

#[test]
fn strict_mode_turns_damage_into_an_error() {
    let h = header(FormatVersion::Mjr2, MediaKind::Video);
    let bytes = write(&h, &[(0, rtp(1, 50)), (5, rtp(2, 50))]);
    let cut = &bytes[..bytes.len() - 3];
    let options = ReaderOptions {
        strict: true,
        ..ReaderOptions::default()
    };
    let mut r = MjrReader::with_options(cut, options).unwrap();
    assert!(r.next_packet().unwrap().is_some());
    let e = r.next_packet().unwrap_err();
    assert!(matches!(e, Error::Strict(Warning::Truncated { .. })), "{e}");
    assert!(e.to_string().contains("byte"), "{e}");
}

#[test]
fn torn_frame_is_dropped_and_the_next_frames_kept() {
    // A frame header claims 1000 bytes but only 20 were written before the next frame.
    let h = header(FormatVersion::Mjr2, MediaKind::Video);
    let mut w = MjrWriter::new(Vec::new(), &h).unwrap();
    w.write_rtp(0, &rtp(1, 40)).unwrap();
    w.write_raw(b"MEET\0\0\0\x05\x03\xe8").unwrap();
    w.write_raw(&rtp(2, 8)).unwrap();
    for i in 3..8 {
        w.write_rtp(10 * i, &rtp(i as u16, 100)).unwrap();
    }
    let bytes = w.finish().unwrap();
    let (_, got, warnings) = read_all(&bytes[..]);
    let seqs: Vec<u16> = got
        .iter()
        .map(|p| u16::from_be_bytes([p.data[2], p.data[3]]))
        .collect();
    assert_eq!(seqs, [1, 3, 4, 5, 6, 7]);
    assert!(
        matches!(warnings[..], [Warning::TornFrame { .. }]),
        "{warnings:?}"
    );
}

#[test]
fn odd_and_unknown_header_fields_are_accepted() {
    let json = br#"{"t":"v","c":"VP8","s":"1700000000000000","u":1.7e15,"e":0,"x":{"3":"urn:x","bad":1},"zz":[1,2],"f":42}"#;
    let mut file = b"MJR00002".to_vec();
    file.extend_from_slice(&(json.len() as u16).to_be_bytes());
    file.extend_from_slice(json);
    let r = MjrReader::new(&file[..]).unwrap();
    let h = r.header();
    assert_eq!((h.kind, &h.codec), (MediaKind::Video, &Codec::Vp8));
    assert_eq!(h.created_us, Some(1_700_000_000_000_000));
    assert_eq!(h.first_written_us, Some(1_700_000_000_000_000));
    assert_eq!(h.fmtp.as_deref(), Some("42"));
    assert_eq!(h.extmaps.get(&3).map(String::as_str), Some("urn:x"));
    assert_eq!(h.extra.get("zz"), Some(&serde_json::json!([1, 2])));
    assert!(r.warning_count() >= 4, "{:?}", r.warnings());
    // The unknown key survives a rewrite.
    let again = MjrWriter::new(Vec::new(), h).unwrap().finish().unwrap();
    assert_eq!(MjrReader::new(&again[..]).unwrap().header().extra, h.extra);
    // Strict mode refuses the odd fields.
    let strict = ReaderOptions {
        strict: true,
        ..ReaderOptions::default()
    };
    assert!(matches!(
        MjrReader::with_options(&file[..], strict),
        Err(Error::Strict(_))
    ));
}

#[test]
fn bad_inputs_say_what_and_where() {
    let e = MjrReader::new(&b""[..]).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let e = MjrReader::new(&b"RIFF\0\0\0\0WAVEfmt "[..]).unwrap_err();
    assert!(e.to_string().contains("not an MJR recording"), "{e}");
    let e = MjrReader::new(&b"MJR00002\0\x05{\"t\":"[..]).unwrap_err();
    assert!(e.to_string().contains("byte 10"), "{e}");
    let e = MjrReader::new(&b"MJR00002\x01\x00{}"[..]).unwrap_err();
    assert!(matches!(e, Error::UnexpectedEof { .. }), "{e}");
}

#[test]
fn data_recordings_carry_their_time() {
    let mut h = Header::new(MediaKind::Data, Codec::Text);
    h.created_us = Some(5);
    let mut w = MjrWriter::new(Vec::new(), &h).unwrap();
    w.write_data(3, 1_700_000_000_123_456, b"hello").unwrap();
    let bytes = w.finish().unwrap();
    let (got_h, got, warnings) = read_all(&bytes[..]);
    assert_eq!(got_h.kind, MediaKind::Data);
    assert!(warnings.is_empty());
    assert_eq!(got[0].data_time_us, Some(1_700_000_000_123_456));
    assert_eq!(&got[0].data[..], b"hello");
    assert_eq!(got[0].time_ms, Some(3));
}

#[test]
fn garbage_only_file_ends_with_one_warning() {
    let h = header(FormatVersion::Mjr1, MediaKind::Audio);
    let mut bytes = write(&h, &[]);
    bytes.extend(std::iter::repeat_n(0xAB, 1_000_000));
    let mut r = MjrReader::new(&bytes[..]).unwrap();
    assert!(r.next_packet().unwrap().is_none());
    assert_eq!(r.bytes_skipped(), 1_000_000);
    assert_eq!(r.warning_count(), 1);
}

#[test]
fn repeated_header_is_skipped() {
    let h = header(FormatVersion::Mjr2, MediaKind::Audio);
    let one = write(&h, &[(0, rtp(1, 10))]);
    let mut two = one.clone();
    two.extend_from_slice(&write(&h, &[(0, rtp(2, 10))]));
    let (_, got, warnings) = read_all(&two[..]);
    assert_eq!(got.len(), 2);
    assert!(matches!(warnings[..], [Warning::RepeatedHeader { .. }]));
}
