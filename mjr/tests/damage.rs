//! Damage the reader must survive in bounded memory and linear time: megabytes of garbage made
//! of frame-header prefixes, and bytes inserted into a frame.

use std::io::Read;

use mjr::{Codec, FormatVersion, Header, MediaKind, MjrReader, MjrWriter, Warning, MAX_BUFFER};
use proptest::prelude::*;

/// A reader that returns at most `step` bytes per call (odd sizes, so reads never line up with
/// frames).
struct Chunked<'a>(&'a [u8], usize);

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn rtp(seq: u16, len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seq as u8)));
    p
}

fn header(version: FormatVersion) -> Header {
    let mut h = Header::new(MediaKind::Video, Codec::Vp8);
    h.version = version;
    h
}

/// The packets of a recording, its warnings and how its buffer was used.
fn read_all<R: Read>(r: R) -> (Vec<Vec<u8>>, Vec<Warning>, mjr::BufferStats) {
    let mut r = MjrReader::new(r).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push(p.data.to_vec());
    }
    (out, r.warnings().to_vec(), r.buffer_stats())
}

/// Garbage made of frame-header prefixes, `len` bytes of it.
fn garbage(pattern: &[u8], len: usize) -> Vec<u8> {
    pattern.iter().copied().cycle().take(len).collect()
}

const PATTERNS: [&[u8]; 5] = [b"M", b"MEETECHO", b"MJR0000", b"MJR00002", b"MEETMEEMEM"];

/// Eight packets with `junk` written after the fourth.
fn recording_with_junk(version: FormatVersion, junk: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let packets: Vec<Vec<u8>> = (0..8).map(|i| rtp(i, 200 + 37 * i as usize)).collect();
    let mut w = MjrWriter::new(Vec::new(), &header(version)).unwrap();
    for (i, p) in packets.iter().enumerate() {
        w.write_rtp(20 * i as u32, p).unwrap();
        if i == 3 {
            w.write_raw(junk).unwrap();
        }
    }
    (w.finish().unwrap(), packets)
}

#[test]
fn megabytes_of_header_prefixes_between_frames_are_skipped() {
    let versions = [
        FormatVersion::Mjr2,
        FormatVersion::Legacy,
        FormatVersion::Mjr1,
    ];
    for (n, pattern) in PATTERNS.iter().enumerate() {
        let version = versions[n % 3];
        let (file, packets) = recording_with_junk(version, &garbage(pattern, 2_500_000 + n));
        for (got, warnings, stats) in [read_all(&file[..]), read_all(Chunked(&file, 4093))] {
            // The frame before the junk goes with it (its length ends in garbage).
            let mut expected = packets.clone();
            expected.remove(3);
            let seqs = |v: &[Vec<u8>]| v.iter().map(|p| p[3]).collect::<Vec<u8>>();
            assert_eq!(
                seqs(&got),
                seqs(&expected),
                "{version:?} {pattern:?} {warnings:?}"
            );
            assert_eq!(got, expected);
            assert!(
                matches!(warnings[..], [Warning::MisalignedFrame { .. }]),
                "{warnings:?}"
            );
            assert!(stats.peak_buffer <= MAX_BUFFER, "{stats:?}");
        }
    }
}

/// Reads `junk_len` bytes of `pattern` between frames and gives the work done: bytes read plus
/// bytes moved between buffers.
fn work(version: FormatVersion, pattern: &[u8], junk_len: usize) -> (u64, mjr::BufferStats) {
    let (file, _) = recording_with_junk(version, &garbage(pattern, junk_len));
    let (_, _, stats) = read_all(&file[..]);
    (file.len() as u64 + stats.bytes_copied, stats)
}

#[test]
fn the_work_of_skipping_garbage_grows_linearly_and_the_buffer_stays_bounded() {
    for pattern in PATTERNS {
        for version in [FormatVersion::Mjr2, FormatVersion::Legacy] {
            let (small, s1) = work(version, pattern, 1 << 20);
            let (large, s4) = work(version, pattern, 4 << 20);
            // Four times the garbage: about four times the work (quadratic would be 16).
            assert!(
                large < 5 * small,
                "{pattern:?} {version:?}: {small} -> {large}"
            );
            for s in [s1, s4] {
                assert!(s.peak_buffer <= MAX_BUFFER, "{s:?}");
            }
        }
    }
}

#[test]
fn frames_claiming_the_largest_length_do_not_grow_the_buffer() {
    // Garbage of plausible headers (RTP version 2 after them) each claiming 65535 bytes: every
    // candidate needs a look 64 KiB ahead.
    let mut unit = b"MEETECHO\xff\xff\x80".to_vec();
    unit.extend_from_slice(b"MEET\0\0\0\0\xff\xff\x80");
    for version in [FormatVersion::Legacy, FormatVersion::Mjr2] {
        let (small, _) = work(version, &unit, 1 << 20);
        let (large, s) = work(version, &unit, 4 << 20);
        assert!(large < 5 * small, "{version:?}: {small} -> {large}");
        assert!(s.peak_buffer <= MAX_BUFFER, "{s:?}");
    }
}

/// A recording of `packets` with `junk` inserted `at` bytes into the body of packet `victim`.
fn with_insertion(
    version: FormatVersion,
    packets: &[Vec<u8>],
    victim: usize,
    at: usize,
    junk: &[u8],
) -> Vec<u8> {
    let mut w = MjrWriter::new(Vec::new(), &header(version)).unwrap();
    for (i, p) in packets.iter().enumerate() {
        w.write_rtp(10 * i as u32, p).unwrap();
    }
    let mut file = w.finish().unwrap();
    let mut r = MjrReader::new(&file[..]).unwrap();
    let offset = (0..=victim)
        .map(|_| r.next_packet().unwrap().unwrap().offset)
        .last()
        .unwrap();
    let insert_at = offset as usize + 10 + at;
    file.splice(insert_at..insert_at, junk.iter().copied());
    file
}

#[test]
fn bytes_inserted_into_a_frame_drop_that_frame_and_only_it() {
    let packets: Vec<Vec<u8>> = (0..6).map(|i| rtp(i, 100 + 50 * i as usize)).collect();
    for version in [
        FormatVersion::Legacy,
        FormatVersion::Mjr1,
        FormatVersion::Mjr2,
    ] {
        for victim in 0..packets.len() {
            for (at, junk_len) in [(12, 1), (40, 7), (5, 300), (60, 70_000)] {
                let junk: Vec<u8> = (0..junk_len).map(|i| (i * 7 + 3) as u8).collect();
                let file = with_insertion(version, &packets, victim, at, &junk);
                let (got, warnings, _) = read_all(&file[..]);
                let mut expected = packets.clone();
                expected.remove(victim);
                assert_eq!(
                    got, expected,
                    "{version:?} victim {victim}, {junk_len} bytes"
                );
                assert!(
                    matches!(warnings[..], [Warning::MisalignedFrame { len, .. }]
                        if len == packets[victim].len() as u64),
                    "{warnings:?}"
                );
            }
        }
    }
}

proptest! {
    #[test]
    fn a_frame_with_inserted_bytes_never_comes_out(
        lens in prop::collection::vec(0usize..1500, 1..12),
        victim in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 1..400),
        step in 1usize..5000,
        v in 0usize..3,
    ) {
        let version = [FormatVersion::Legacy, FormatVersion::Mjr1, FormatVersion::Mjr2][v];
        let packets: Vec<Vec<u8>> =
            lens.iter().enumerate().map(|(i, &n)| rtp(i as u16, n)).collect();
        let victim = victim.index(packets.len());
        let at = at.index(packets[victim].len());
        let file = with_insertion(version, &packets, victim, at, &junk);
        let (got, _, _) = read_all(Chunked(&file, step));
        // The damaged frame never comes out; the others do, unless the junk ends like a frame
        // header that swallows the next one.
        prop_assert!(!got.iter().any(|g| g.len() == packets[victim].len() && g[..4] == packets[victim][..4]));
        let expected: Vec<&Vec<u8>> = packets.iter().enumerate().filter(|(i, _)| *i != victim).map(|(_, p)| p).collect();
        let missing = expected.iter().filter(|p| !got.contains(p)).count();
        prop_assert!(missing <= 1, "{} missing", missing);
        prop_assert!(got.len() <= expected.len());
    }
}

/// Eighty packets with a few bytes of garbage after every second one (40 damaged spots).
fn recording_with_garbage_after_every_second_packet() -> Vec<u8> {
    let mut w = MjrWriter::new(Vec::new(), &header(FormatVersion::Mjr2)).unwrap();
    for i in 0..80u16 {
        w.write_rtp(20 * u32::from(i), &rtp(i, 100)).unwrap();
        if i % 2 == 1 {
            w.write_raw(b"junk").unwrap();
        }
    }
    w.finish().unwrap()
}

#[test]
fn warnings_past_the_limit_are_counted_but_not_kept() {
    let file = recording_with_garbage_after_every_second_packet();
    let count = |limits: mjr::Limits| {
        let options = mjr::ReaderOptions {
            limits,
            ..mjr::ReaderOptions::default()
        };
        let mut r = MjrReader::with_options(&file[..], options).unwrap();
        while r.next_packet().unwrap().is_some() {}
        (r.warnings().len(), r.warning_count())
    };
    let (kept, counted) = count(mjr::Limits::default());
    assert_eq!(kept, mjr::Limits::default().max_warnings_kept);
    assert!(counted >= 39, "{counted} warnings");
    assert_eq!(
        count(mjr::Limits::default().with_max_warnings_kept(3)),
        (3, counted)
    );
}
