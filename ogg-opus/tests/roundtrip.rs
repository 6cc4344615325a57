//! Writer -> reader round trips, page-level invariants, reader error cases
//! and robustness against arbitrary input.

use mjrtool_ogg::reader::{self, parse_page, OggPacketReader, OggPageReader, MAX_PACKET_SIZE};
use mjrtool_ogg::{crc, toc, ChannelMapping, OggError, OggOpusWriter, OpusHead, OpusTags};
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

/// Builds one page by hand (CRC filled in with the crate's CRC).
fn page(flags: u8, granule: u64, serial: u32, seq: u32, lacing: &[u8], body: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(b"OggS");
    p.push(0);
    p.push(flags);
    p.extend_from_slice(&granule.to_le_bytes());
    p.extend_from_slice(&serial.to_le_bytes());
    p.extend_from_slice(&seq.to_le_bytes());
    p.extend_from_slice(&[0; 4]);
    p.push(lacing.len() as u8);
    p.extend_from_slice(lacing);
    p.extend_from_slice(body);
    let c = crc::crc32(&p);
    p[22..26].copy_from_slice(&c.to_le_bytes());
    p
}

/// Cheap deterministic filler bytes.
fn fill(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

/// A valid Opus packet (RFC 6716 section 3.4): any TOC, random frame bytes.
fn opus_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..32,
        any::<bool>(),
        0u8..4,
        any::<u8>(),
        0usize..2000,
        any::<u64>(),
    )
        .prop_map(|(config, stereo, code, m, body_len, seed)| {
            build_packet(config, stereo, code, m, body_len, seed)
        })
}

/// A frame length as RFC 6716 section 3.2.1 codes it (at most 1275).
fn coded_len(len: usize) -> Vec<u8> {
    if len < 252 {
        vec![len as u8]
    } else {
        let b0 = 252 + (len - 252) % 4;
        vec![b0 as u8, ((len - b0) / 4) as u8]
    }
}

/// A valid packet of about `body_len` bytes after its TOC byte with the given code; one that
/// code cannot carry becomes a padded code 3 packet with as many frames. For code 3, `m` picks
/// the frame count (within 120 ms) and, with bit 6, variable frame sizes.
fn build_packet(config: u8, stereo: bool, code: u8, m: u8, body_len: usize, seed: u64) -> Vec<u8> {
    let toc = (config << 3) | (u8::from(stereo) << 2);
    let body = fill(body_len, seed | 1);
    match code {
        0 if body_len <= 1275 => return [&[toc][..], &body].concat(),
        1 if body_len <= 2550 => return [&[toc | 1][..], &body[..body_len & !1]].concat(),
        2 if body_len <= 1275 => {
            return [&[toc | 2][..], &coded_len(body_len / 2), &body].concat();
        }
        _ => {}
    }
    let max = (5760 / toc::frame_duration_samples(toc)).min(48) as usize;
    let frames = match code {
        0 => 1,
        1 | 2 => 2,
        _ => 1 + usize::from(m) % max,
    };
    let vbr = code == 3 && m & 0x40 != 0 && frames > 1;
    let frame = (body_len / frames).min(1275);
    let lengths: Vec<u8> = if vbr {
        (1..frames).flat_map(|_| coded_len(frame)).collect()
    } else {
        Vec::new()
    };
    let padding = body_len - frame * frames;
    let mut p = vec![toc | 3, frames as u8 | if vbr { 0x80 } else { 0 }];
    if padding > 0 {
        p[1] |= 0x40;
        p.extend(std::iter::repeat_n(255, padding / 254));
        p.push((padding % 254) as u8);
    }
    p.extend(lengths);
    p.extend_from_slice(&body[..frame * frames]);
    p.extend(std::iter::repeat_n(0, padding));
    p
}

fn write_stream(
    serial: u32,
    head: &OpusHead,
    tags: &OpusTags,
    packets: &[Vec<u8>],
) -> (Vec<u8>, u64) {
    let mut w = OggOpusWriter::new(Vec::new(), serial, head, tags).unwrap();
    let mut total = 0u64;
    for p in packets {
        w.write_packet(p).unwrap();
        total += u64::from(toc::packet_samples(p).unwrap());
        assert_eq!(w.samples_written(), total);
    }
    (w.finish().unwrap(), total)
}

/// Checks everything the writer promises about the stream layout.
fn check_stream(bytes: &[u8], serial: u32, head: &OpusHead, tags: &OpusTags, packets: &[Vec<u8>]) {
    let pre_skip = u64::from(head.pre_skip);
    let total: u64 = packets
        .iter()
        .map(|p| u64::from(toc::packet_samples(p).unwrap()))
        .sum();

    // Page level.
    let pages: Vec<_> = OggPageReader::new(bytes).map(Result::unwrap).collect();
    assert!(pages.len() >= 2);
    let last = pages.len() - 1;
    let mut prev_granule = 0;
    for (i, pg) in pages.iter().enumerate() {
        assert_eq!(pg.serial, serial);
        assert_eq!(
            pg.sequence, i as u32,
            "page sequence numbers consecutive from 0"
        );
        assert_eq!(pg.is_bos(), i == 0, "BOS only on the first page");
        assert_eq!(pg.is_eos(), i == last, "EOS only on the last page");
        assert!(pg.body.len() <= mjrtool_ogg::PAGE_MAX_BODY);
        if pg.completed_packets() == 0 {
            assert_eq!(pg.granule(), None, "page {i} completes no packet");
        } else {
            let g = pg
                .granule()
                .expect("page with a completed packet has a granule");
            assert!(g >= prev_granule, "granules monotonic");
            prev_granule = g;
        }
    }
    assert_eq!(
        pages[0].lacing,
        [head.to_bytes().len() as u8],
        "OpusHead alone on the first page"
    );
    assert_eq!(pages[0].granule(), Some(0));
    let expected_final = if packets.is_empty() {
        0
    } else {
        pre_skip + total
    };
    assert_eq!(pages[last].granule(), Some(expected_final));

    // Packet level: granule of each page = pre_skip + samples completed so far.
    let mut cum = 0u64;
    let mut n = 0;
    for (i, p) in OggPacketReader::new(bytes).enumerate() {
        let p = p.unwrap();
        assert_eq!(p.bos, i == 0);
        if i < 2 {
            // Header packets finish their page (alone), with granule 0.
            assert_eq!(p.granule, Some(0));
            let pg = &pages[p.page_index as usize];
            assert_eq!(pg.completed_packets(), 1);
            assert!(*pg.lacing.last().unwrap() < 255);
            if let Some(next) = pages.get(p.page_index as usize + 1) {
                assert!(!next.is_continued());
            }
            continue;
        }
        assert_eq!(p.data, packets[n]);
        n += 1;
        cum += u64::from(toc::packet_samples(&p.data).unwrap());
        if let Some(g) = p.granule {
            assert_eq!(g, pre_skip + cum);
        }
        assert_eq!(p.eos, n == packets.len());
    }
    assert_eq!(n, packets.len());
    // Page duration policy: at most 1 s plus one packet per page.
    let mut page_samples = vec![0u64; pages.len()];
    for p in OggPacketReader::new(bytes).skip(2) {
        let p = p.unwrap();
        page_samples[p.page_index as usize] += u64::from(toc::packet_samples(&p.data).unwrap());
    }
    assert!(page_samples.iter().all(|&s| s < 48_000 + 5760));

    // Whole file.
    let f = reader::read_opus_file(bytes).unwrap();
    assert_eq!(&f.head, head);
    assert_eq!(&f.tags, tags);
    assert_eq!(f.packets, packets);
    assert_eq!(f.last_granule, expected_final);
}

fn head_strategy() -> impl Strategy<Value = OpusHead> {
    let simple = (0u8..16, 1u8..=2, any::<u16>(), any::<u32>(), any::<i16>()).prop_map(
        |(version, channels, pre_skip, rate, gain)| OpusHead {
            version,
            channels,
            pre_skip,
            input_sample_rate: rate,
            output_gain: gain,
            mapping_family: 0,
            mapping: None,
        },
    );
    let mapped = (
        prop_oneof![Just(1u8), Just(255u8), 2u8..255],
        1u8..=8,
        1u8..=8,
        any::<u8>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 8),
    )
        .prop_map(|(family, channels, streams, coupled, pre_skip, raw)| {
            let coupled = coupled % (streams + 1);
            let decoded = u16::from(streams) + u16::from(coupled);
            let mapping = raw[..usize::from(channels)]
                .iter()
                .map(|&r| {
                    if r == 255 {
                        255
                    } else {
                        (u16::from(r) % decoded) as u8
                    }
                })
                .collect();
            OpusHead {
                version: 1,
                channels,
                pre_skip,
                input_sample_rate: 48_000,
                output_gain: 0,
                mapping_family: family,
                mapping: Some(ChannelMapping {
                    stream_count: streams,
                    coupled_count: coupled,
                    mapping,
                }),
            }
        });
    prop_oneof![simple, mapped]
}

fn tags_strategy() -> impl Strategy<Value = OpusTags> {
    (
        ".{0,40}",
        prop::collection::vec(("[^=]{0,20}", ".{0,60}"), 0..8),
    )
        .prop_map(|(vendor, comments)| OpusTags { vendor, comments })
}

// ---------------------------------------------------------------- CRC

#[test]
fn crc_of_hand_built_page() {
    // Page: BOS, granule 0, serial 1, seq 0, one 5-byte segment "hello".
    let p = page(0x02, 0, 1, 0, &[5], b"hello");
    // Expected value computed with an independent bit-by-bit implementation
    // (poly 0x04C11DB7, init 0, no reflection, CRC field zeroed).
    assert_eq!(&p[22..26], &0xB6FB_1A3Bu32.to_le_bytes());

    let pg = parse_page(&p, 0).unwrap();
    assert_eq!(pg.body, b"hello");
    assert!(pg.is_bos() && !pg.is_eos() && !pg.is_continued());
    assert_eq!(pg.granule(), Some(0));
    assert_eq!(pg.len(), p.len());

    // The reader validates the CRC: any single-bit change is caught.
    for i in 0..p.len() {
        if i < 5 || (22..28).contains(&i) {
            continue; // capture/version, CRC, segment table change the structure
        }
        let mut bad = p.clone();
        bad[i] ^= 0x10;
        match parse_page(&bad, 0) {
            Err(OggError::CrcMismatch {
                offset: 0,
                stored,
                computed,
            }) => {
                assert_eq!(stored, 0xB6FB_1A3B);
                assert_ne!(computed, stored);
            }
            other => panic!("byte {i}: expected CRC mismatch, got {other:?}"),
        }
    }
    let mut bad = p.clone();
    bad[23] ^= 1;
    assert!(matches!(
        parse_page(&bad, 0),
        Err(OggError::CrcMismatch { .. })
    ));
}

#[test]
fn writer_pages_have_valid_crc() {
    let (bytes, _) = write_stream(
        9,
        &OpusHead::new(2, 312, 0),
        &OpusTags::new("x"),
        &[vec![0xFC, 1, 2]],
    );
    let mut off = 0;
    while off < bytes.len() {
        let pg = parse_page(&bytes, off).unwrap();
        let mut copy = bytes[off..off + pg.len()].to_vec();
        let stored = u32::from_le_bytes([copy[22], copy[23], copy[24], copy[25]]);
        copy[22..26].fill(0);
        assert_eq!(crc::crc32(&copy), stored);
        off += pg.len();
    }
}

// ---------------------------------------------------------------- reader errors

fn errs(buf: &[u8]) -> OggError {
    OggPacketReader::new(buf)
        .find_map(Result::err)
        .expect("expected an error")
}

#[test]
fn reader_error_cases() {
    let p0 = page(0x02, 0, 5, 0, &[3], b"abc");
    let p1 = page(0x00, 10, 5, 1, &[2], b"de");

    // Good stream.
    let good = [p0.clone(), p1.clone()].concat();
    let pk: Vec<_> = OggPacketReader::new(&good).map(Result::unwrap).collect();
    assert_eq!(pk.len(), 2);
    assert_eq!(pk[1].granule, Some(10));

    // Missing BOS.
    let np0 = page(0x00, 0, 5, 0, &[3], b"abc");
    assert!(matches!(errs(&np0), OggError::MissingBos { offset: 0 }));
    // Sequence gap.
    let gap = [p0.clone(), page(0, 10, 5, 2, &[2], b"de")].concat();
    assert!(matches!(
        errs(&gap),
        OggError::PageSequence {
            offset: 31,
            expected: 1,
            found: 2
        }
    ));
    // Other serial.
    let other = [p0.clone(), page(0, 10, 6, 1, &[2], b"de")].concat();
    assert!(matches!(
        errs(&other),
        OggError::SerialMismatch {
            offset: 31,
            expected: 5,
            found: 6
        }
    ));
    // Second BOS.
    let bos2 = [p0.clone(), page(0x02, 10, 5, 1, &[2], b"de")].concat();
    assert!(matches!(
        errs(&bos2),
        OggError::UnexpectedBos {
            offset: 31,
            page_index: 1
        }
    ));
    // Page after EOS.
    let eos = [page(0x06, 0, 5, 0, &[3], b"abc"), p1.clone()].concat();
    assert!(matches!(errs(&eos), OggError::DataAfterEos { offset: 31 }));
    // Continuation flag without an unfinished packet.
    let cont = [p0.clone(), page(0x01, 10, 5, 1, &[2], b"de")].concat();
    assert!(matches!(
        errs(&cont),
        OggError::UnexpectedContinuation { offset: 31 }
    ));
    // Unfinished packet not continued.
    let big = vec![7u8; 255];
    let unfinished = [page(0x02, u64::MAX, 5, 0, &[255], &big), p1.clone()].concat();
    assert!(matches!(
        errs(&unfinished),
        OggError::MissingContinuation { pending: 255, .. }
    ));
    // Input ends inside a packet.
    let open = page(0x02, u64::MAX, 5, 0, &[255], &big);
    assert!(matches!(
        errs(&open),
        OggError::UnterminatedPacket { pending: 255, .. }
    ));
    // Truncated page.
    assert!(matches!(
        errs(&good[..good.len() - 1]),
        OggError::Truncated {
            offset: 31,
            needed: 30,
            available: 29
        }
    ));
    // Garbage between pages.
    let junk = [p0.clone(), b"xxxxx".to_vec()].concat();
    assert!(matches!(
        errs(&junk),
        OggError::BadCapture { offset: 31, .. }
    ));
    // Bad version.
    let mut v = p0.clone();
    v[4] = 1;
    assert!(matches!(
        errs(&v),
        OggError::BadVersion {
            offset: 0,
            found: 1
        }
    ));
    // Error messages carry the offset.
    assert!(errs(&gap).to_string().contains("at byte 31"));
}

#[test]
fn reader_caps_packet_size() {
    let seg = vec![0u8; 255 * 255];
    let lacing = vec![255u8; 255];
    let mut buf = page(0x02, u64::MAX, 1, 0, &lacing, &seg);
    let mut seq = 1;
    while buf.len() < MAX_PACKET_SIZE + 200_000 {
        buf.extend(page(0x01, u64::MAX, 1, seq, &lacing, &seg));
        seq += 1;
    }
    assert!(matches!(
        errs(&buf),
        OggError::PacketTooLarge {
            limit: MAX_PACKET_SIZE,
            ..
        }
    ));
}

#[test]
fn packet_spanning_pages_and_granule_minus_one() {
    let head = OpusHead::new(1, 3840, 16_000);
    let tags = OpusTags::new("big");
    let huge = build_packet(31, false, 0, 0, 100_000, 3);
    let packets = vec![
        vec![0xF8, 0xFF, 0xFE],
        huge,
        vec![0xF8, 0xFF, 0xFE],
        build_packet(0, true, 3, 1, 255 * 40 - 2, 5),
    ];
    let (bytes, total) = write_stream(1, &head, &tags, &packets);
    assert_eq!(total, 960 * 3 + 960);
    check_stream(&bytes, 1, &head, &tags, &packets);
    let pages: Vec<_> = OggPageReader::new(&bytes).map(Result::unwrap).collect();
    assert!(pages.iter().any(|p| p.is_continued()));
    assert!(pages.iter().any(|p| p.granule().is_none()));
}

#[test]
fn large_tags_span_pages() {
    let head = OpusHead::new(2, 312, 48_000);
    let mut tags = OpusTags::new("v");
    tags.comments
        .push(("METADATA_BLOCK_PICTURE".into(), "A".repeat(30_000)));
    let packets = vec![vec![0xFC, 0, 1]; 3];
    let (bytes, _) = write_stream(2, &head, &tags, &packets);
    check_stream(&bytes, 2, &head, &tags, &packets);
    // Header-only stream with big tags.
    let (bytes, _) = write_stream(2, &head, &tags, &[]);
    check_stream(&bytes, 2, &head, &tags, &[]);
}

#[test]
fn one_second_pages() {
    let head = OpusHead::new(1, 312, 48_000);
    let packets = vec![vec![0xF8, 0xFF, 0xFE]; 250];
    let (bytes, _) = write_stream(3, &head, &OpusTags::new("x"), &packets);
    let granules: Vec<_> = OggPageReader::new(&bytes)
        .map(|p| p.unwrap().granule())
        .collect();
    let g = |s: u64| Some(312 + s);
    assert_eq!(
        granules,
        [
            Some(0),
            Some(0),
            g(48_000),
            g(96_000),
            g(144_000),
            g(192_000),
            g(240_000)
        ]
    );
}

// ---------------------------------------------------------------- proptests

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn writer_reader_round_trip(
        serial in any::<u32>(),
        head in head_strategy(),
        tags in tags_strategy(),
        packets in prop::collection::vec(opus_packet(), 1..2000),
    ) {
        let (bytes, _) = write_stream(serial, &head, &tags, &packets);
        check_stream(&bytes, serial, &head, &tags, &packets);
    }

    #[test]
    fn writer_reader_round_trip_big_packets(
        head in head_strategy(),
        sizes in prop::collection::vec(prop_oneof![0usize..600, 60_000usize..140_000], 1..12),
    ) {
        let packets: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| build_packet((i % 32) as u8, i % 2 == 0, (i % 4) as u8, i as u8, n, i as u64))
            .collect();
        let (bytes, _) = write_stream(77, &head, &OpusTags::default(), &packets);
        check_stream(&bytes, 77, &head, &OpusTags::default(), &packets);
    }
}

proptest! {
    #[test]
    fn head_round_trip(head in head_strategy()) {
        let bytes = head.to_bytes();
        prop_assert_eq!(OpusHead::parse(&bytes).unwrap(), head);
        for n in 0..bytes.len() {
            prop_assert!(OpusHead::parse(&bytes[..n]).is_err());
        }
    }

    #[test]
    fn tags_round_trip(tags in tags_strategy()) {
        let bytes = tags.to_bytes();
        prop_assert_eq!(OpusTags::parse(&bytes).unwrap(), tags);
    }

    #[test]
    fn header_parsers_never_panic(data in prop::collection::vec(any::<u8>(), 0..300), magic in 0u8..3) {
        let mut buf = match magic { 0 => b"OpusHead".to_vec(), 1 => b"OpusTags".to_vec(), _ => Vec::new() };
        buf.extend(data);
        let _ = OpusHead::parse(&buf);
        let _ = OpusTags::parse(&buf);
    }

    #[test]
    fn toc_never_panics(packet in prop::collection::vec(any::<u8>(), 0..4)) {
        if let Ok(s) = toc::packet_samples(&packet) {
            prop_assert!((120..=5760).contains(&s));
            prop_assert_eq!(s, toc::frame_count(&packet).unwrap() * toc::frame_duration_samples(packet[0]));
        }
    }

    #[test]
    fn reader_never_panics_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..2048), ogg in any::<bool>()) {
        let mut buf = if ogg { b"OggS\0".to_vec() } else { Vec::new() };
        buf.extend(data);
        for p in OggPacketReader::new(&buf) { let _ = p; }
        let _ = reader::read_opus_file(&buf);
    }

    #[test]
    fn reader_never_panics_on_damaged_file(
        packets in prop::collection::vec(opus_packet(), 1..40),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let (bytes, _) = write_stream(5, &OpusHead::new(1, 0, 0), &OpusTags::new("t"), &packets);
        // Truncation: an error unless cut exactly at a page boundary.
        let n = cut.index(bytes.len());
        let r = reader::read_opus_file(&bytes[..n]);
        if let Ok(f) = r {
            prop_assert!(f.packets.len() <= packets.len());
            prop_assert_eq!(&f.packets[..], &packets[..f.packets.len()]);
        }
        // Bit flip: always detected (CRC or structure), never a panic.
        let mut bad = bytes.clone();
        bad[flip.index(bytes.len())] ^= mask;
        prop_assert!(reader::read_opus_file(&bad).is_err());
    }

    /// Structurally random pages with valid CRCs, so the checks behind the
    /// CRC (flags, sequence, serial, lacing, continuation) get exercised.
    #[test]
    fn reader_never_panics_on_random_valid_crc_pages(
        pages in prop::collection::vec(
            (0u8..8, 0u32..3, 0u32..2, prop::collection::vec(prop_oneof![Just(255u8), any::<u8>()], 0..20), any::<u64>()),
            0..12,
        ),
    ) {
        let mut buf = Vec::new();
        let mut seq = 0u32;
        let mut body_total = 0usize;
        for (flags, dseq, serial, lacing, granule) in pages {
            let len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
            body_total += len;
            buf.extend(page(flags, granule, serial, seq, &lacing, &vec![0xAB; len]));
            seq = seq.wrapping_add(dseq);
        }
        let mut got = 0usize;
        for p in OggPacketReader::new(&buf) {
            match p {
                Ok(p) => got += p.data.len(),
                Err(_) => break,
            }
        }
        prop_assert!(got <= body_total);
        let _ = reader::read_opus_file(&buf);
    }
}
