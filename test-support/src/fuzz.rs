//! The bodies of the fuzz targets, one public function per target of `fuzz/` (named after it).
//!
//! Each takes arbitrary bytes and must not panic, hang or allocate without bound; the round-trip
//! bodies also assert that what a writer wrote reads back equal. They live here rather than in the
//! fuzz crate so that two builds run the same code: `cargo fuzz` (each `fuzz/fuzz_targets/*.rs`
//! only calls its body) and plain `cargo test`, whose `tests/fuzz_replay.rs` replays every committed
//! seed and past crash through them without a nightly toolchain or libFuzzer.

use std::io::{Cursor, Read};

use bytes::Bytes;

/// Reads its input in pieces of varying size, to exercise the streaming readers' buffering.
struct Chunked<'a> {
    data: &'a [u8],
    pos: usize,
    step: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        self.step = self.step % 4093 + 7;
        Ok(n)
    }
}

/// A little cursor over the fuzzer's bytes, for the structured targets.
struct Bytes8<'a>(&'a [u8]);

impl<'a> Bytes8<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// Every packet of a recording, or `None` when its header does not parse.
fn read_all<R: Read>(r: R, strict: bool) -> Option<(mjr::Header, Vec<mjr::Packet>, bool)> {
    let options = mjr::ReaderOptions {
        strict,
        ..mjr::ReaderOptions::default()
    };
    let mut reader = mjr::MjrReader::with_options(r, options).ok()?;
    let mut packets = Vec::new();
    let mut failed = false;
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => packets.push(p),
            Ok(None) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    // Bounded memory and linear work, whatever the input (see mjr::BufferStats).
    let stats = reader.buffer_stats();
    assert!(stats.peak_buffer <= mjr::MAX_BUFFER, "{stats:?}");
    assert!(
        stats.bytes_copied <= 8 * reader.position() + mjr::MAX_BUFFER as u64,
        "{stats:?}"
    );
    Some((reader.header().clone(), packets, failed))
}

/// MJR header parser (sans-IO).
pub fn mjr_header(data: &[u8]) {
    let _ = mjr::parse_header(data);
}

/// MJR streaming reader: never panics, packets lie inside the input in increasing order, the
/// result does not depend on how the input is cut into reads, and the buffer stays bounded with
/// work proportional to the input.
pub fn mjr_stream(data: &[u8]) {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let whole = read_all(Cursor::new(body), false);
    let chunked = read_all(
        Chunked {
            data: body,
            pos: 0,
            step: usize::from(step) + 1,
        },
        false,
    );
    assert_eq!(whole.is_some(), chunked.is_some());
    if let (Some((h1, p1, f1)), Some((h2, p2, f2))) = (&whole, &chunked) {
        assert_eq!(h1, h2);
        assert_eq!(p1, p2);
        assert_eq!(f1, f2);
        let mut last = None;
        for p in p1 {
            assert!(p.offset as usize + p.data.len() <= body.len());
            assert!(last.is_none_or(|l| p.offset > l));
            last = Some(p.offset);
        }
    }
    // Strict mode stops at the first warning but agrees on what came before it.
    if let (Some((_, lenient, _)), Some((_, strict, _))) =
        (whole, read_all(Cursor::new(body), true))
    {
        assert!(strict.len() <= lenient.len());
        assert_eq!(strict[..], lenient[..strict.len()]);
    }
}

/// RTP header and header extensions.
pub fn rtp(data: &[u8]) {
    let _ = rtp_depack::RtpHeader::parse(data);
    if let Ok(p) = rtp_depack::RtpPacket::parse(Bytes::copy_from_slice(data)) {
        let h = &p.header;
        assert!(h.payload_offset + h.payload_len <= data.len());
        assert_eq!(p.payload().len(), h.payload_len);
        let mut n = 0usize;
        for e in p.extensions() {
            assert!(e.data.len() <= data.len());
            n += 1;
            assert!(n <= data.len());
        }
    }
}

/// Builds RTP packets from the fuzzer's bytes (sequence steps, timestamps, markers, payloads) and
/// runs them through the shared frame assembly with `payload`'s rules.
fn depack<D: mjrtool_core::Depacketizer>(
    data: &[u8],
    payload: D,
    after_loss: rtp_depack::AfterLoss,
    payload_type: u8,
) -> Vec<mjrtool_core::Frame> {
    let mut input = Bytes8(data);
    let window = usize::from(input.u8().unwrap_or(0) % 32) + 1;
    let mut assembler =
        rtp_depack::FrameAssembler::new(payload, window).with_after_loss(after_loss);
    let mut builder = rtp_depack::RtpBuilder::new(0x1234_5678, payload_type);
    let mut ts: u32 = 0;
    let mut raw = Vec::new();
    let mut frames = Vec::new();
    let mut pushed = 0u64;
    while let (Some(seq_step), Some(flags), Some(len)) = (input.u8(), input.u8(), input.u8()) {
        builder.sequence = builder
            .sequence
            .wrapping_add(u16::from(seq_step))
            .wrapping_sub(3);
        if flags & 0x40 != 0 {
            ts = ts.wrapping_add(u32::from(flags & 0x3F) * 1500);
        }
        let payload = input.take(usize::from(len));
        builder.build(ts, flags & 0x80 != 0, payload, &[], &mut raw);
        if let Ok(p) = rtp_depack::RtpPacket::parse(Bytes::copy_from_slice(&raw)) {
            let arrival = mjrtool_core::Nanos::from_ms(i64::from(p.header.sequence));
            assembler.push(p, Some(arrival));
            pushed += 1;
        }
        frames.extend(std::iter::from_fn(|| assembler.pop()));
        assert!(assembler.held() <= window + rtp_depack::RESTART_CONFIRM);
    }
    assembler.finish();
    frames.extend(std::iter::from_fn(|| assembler.pop()));
    assert!(frames.len() as u64 <= pushed);
    let stats = assembler.stats();
    assert_eq!(stats.depack.frames, frames.len() as u64);
    assert_eq!(
        stats.depack.packets,
        stats.reorder.received
            - stats.reorder.duplicates
            - stats.reorder.late
            - stats.reorder.strays
    );
    for f in &frames {
        assert!(!f.data.is_empty() && f.arrival.is_some());
    }
    frames
}

/// VP8 frame assembly on arbitrary payloads: every frame handed out passes its own header check.
pub fn vp8_depack(data: &[u8]) {
    for after_loss in [
        rtp_depack::AfterLoss::WaitForKeyframe,
        rtp_depack::AfterLoss::KeepCompleteFrames,
    ] {
        for f in depack(data, rtp_depack::Vp8Payload, after_loss, 96) {
            let header =
                rtp_depack::Vp8FrameHeader::parse(&f.data.contiguous()).expect("a checked frame");
            assert_eq!(header.keyframe, f.keyframe);
            assert_eq!(f.size.is_some(), f.keyframe);
        }
    }
}

/// Opus frame assembly on arbitrary payloads: every frame handed out is a valid Opus packet.
pub fn opus_depack(data: &[u8]) {
    let frames = depack(
        data,
        rtp_depack::OpusPayload,
        rtp_depack::AfterLoss::default(),
        111,
    );
    for f in frames {
        assert!(mjrtool_core::opus::toc::packet_samples(&f.data.contiguous()).is_ok());
        assert!(f.keyframe);
    }
}

/// The whole conversion on arbitrary bytes: the input is cut in two recordings, mixed, muxed to
/// WebM (and to Ogg when it is one Opus track), and the output must read back.
pub fn convert(data: &[u8]) {
    use mjrtool_convert::track::{MjrTrack, TrackError};
    let mut input = Bytes8(data);
    let cut = usize::from(input.u16().unwrap_or(0));
    let rest = input.0;
    let (a, b) = rest.split_at(cut.min(rest.len()));
    let mut sources = Vec::new();
    for part in [a, b] {
        if let Ok(t) = MjrTrack::with_window(Cursor::new(part), Default::default(), 64) {
            sources.push(t);
        }
    }
    if sources.is_empty() {
        return;
    }
    let one_opus = sources.len() == 1 && *sources[0].codec() == mjrtool_core::Codec::Opus;
    let mut m = mixer::Mixer::new(sources, mixer::MixerOptions::default());
    // Nothing playable: the conversion refuses before making an output.
    match m.prepare::<()>() {
        Ok(infos) if infos.iter().any(|i| !i.empty) => {}
        _ => return,
    }
    let mut sink = webm_mux::Muxer::create(Cursor::new(Vec::new()), Default::default())
        .expect("a header writes into memory");
    match m.run(&mut sink, &mut |_| {}) {
        Ok(summary) => {
            let out = sink.into_inner().expect("finished").into_inner();
            let parsed = webm_mux::reader::parse(&out).expect("our WebM reads back");
            let frames: u64 = summary.tracks.iter().map(|t| t.frames).sum();
            assert_eq!(parsed.blocks.len() as u64, frames);
        }
        // Reading errors are fine; a muxer error means the mixer broke its time order.
        Err(mixer::MixError::Source {
            source: TrackError::Mjr(_),
            ..
        }) => {}
        Err(e) => panic!("mix failed: {e}"),
    }
    if one_opus {
        let Ok(t) = MjrTrack::with_window(Cursor::new(a), Default::default(), 64) else {
            return;
        };
        let mut m = mixer::Mixer::new(vec![t], mixer::MixerOptions::default());
        match m.prepare::<()>() {
            Ok(infos) if infos.iter().any(|i| !i.empty) => {}
            _ => return,
        }
        let mut ogg = ogg_opus::OggOpusSink::new(Cursor::new(Vec::new()), "fuzz");
        if m.run(&mut ogg, &mut |_| {}).is_ok() {
            let out = ogg.into_inner().expect("finished").into_inner();
            ogg_opus::reader::read_opus_file(&out).expect("our Ogg reads back");
        }
    }
}

/// WebM/Matroska verification reader.
pub fn webm_reader(data: &[u8]) {
    let _ = webm_mux::reader::parse(data);
}

/// Ogg page and packet readers.
pub fn ogg_reader(data: &[u8]) {
    let _ = ogg_opus::reader::read_opus_file(data);
    let mut pages = ogg_opus::reader::OggPageReader::new(data);
    let mut n = 0usize;
    while let Some(Ok(_)) = pages.next() {
        n += 1;
        assert!(n <= data.len());
    }
}

/// MJR writer -> reader: every version, header fields and packets come back equal.
pub fn mjr_roundtrip(data: &[u8]) {
    let mut input = Bytes8(data);
    let version = match input.u8().unwrap_or(0) % 3 {
        0 => mjr::FormatVersion::Legacy,
        1 => mjr::FormatVersion::Mjr1,
        _ => mjr::FormatVersion::Mjr2,
    };
    let flags = input.u8().unwrap_or(0);
    let (kind, codec) = if flags & 1 == 0 {
        (mjr::MediaKind::Audio, mjr::Codec::Opus)
    } else {
        (mjr::MediaKind::Video, mjr::Codec::Vp8)
    };
    let mut header = mjr::Header::new(kind, codec);
    header.version = version;
    if version != mjr::FormatVersion::Legacy {
        let n = usize::from(input.u8().unwrap_or(0) % 40);
        header.fmtp = Some(String::from_utf8_lossy(input.take(n)).into_owned());
        header.created_us = Some(i64::from(input.u16().unwrap_or(0)) * 1_000_003);
        header.first_written_us = header.created_us.map(|c| c + 1_500_000);
    }
    let mut packets = Vec::new();
    let mut time = 0u32;
    while let (Some(len), Some(dt)) = (input.u16(), input.u8()) {
        let len = 12 + usize::from(len) % 1400;
        let mut p = input.take(len).to_vec();
        p.resize(len, 0x4D); // 'M': payloads that look like frame headers must not confuse us
        p[0] = 0x80;
        time = time.saturating_add(u32::from(dt));
        packets.push((time, p));
    }
    let mut writer = mjr::MjrWriter::new(Vec::new(), &header).expect("writing to memory works");
    for (t, p) in &packets {
        writer.write_rtp(*t, p).expect("writing to memory works");
    }
    let bytes = writer.finish().expect("writing to memory works");
    let mut reader = mjr::MjrReader::new(Cursor::new(&bytes)).expect("our header reads back");
    let h = reader.header();
    assert_eq!(h.version, version);
    assert_eq!(h.kind, kind);
    if version != mjr::FormatVersion::Legacy {
        assert_eq!(h.fmtp, header.fmtp);
        assert_eq!(h.created_us, header.created_us);
        assert_eq!(h.first_written_us, header.first_written_us);
    }
    for (t, p) in &packets {
        let got = reader
            .next_packet()
            .expect("our packets read back")
            .expect("a packet");
        assert_eq!(&got.data[..], &p[..]);
        if version == mjr::FormatVersion::Mjr2 {
            assert_eq!(got.time_ms, Some(*t));
        }
    }
    assert!(reader.next_packet().expect("clean end").is_none());
    assert_eq!(reader.warning_count(), 0);
}

/// WebM muxer -> verification reader: the blocks come back with their track, time, key flag and
/// bytes, seekable and streaming.
pub fn webm_roundtrip(data: &[u8]) {
    let mut input = Bytes8(data);
    let streaming = input.u8().unwrap_or(0) & 1 == 1;
    let mut blocks = Vec::new();
    let mut time_ms = 0u64;
    while let (Some(flags), Some(dt), Some(len)) = (input.u8(), input.u8(), input.u8()) {
        let track = u64::from(flags & 1) + 1;
        let keyframe = track == 2 || flags & 2 != 0;
        time_ms += u64::from(dt) * u64::from(flags >> 2 & 0x3F).max(1);
        let mut payload = input.take(usize::from(len)).to_vec();
        if payload.is_empty() {
            payload.push(0);
        }
        blocks.push((track, time_ms, keyframe, payload));
    }
    let tracks = vec![
        webm_mux::TrackConfig::vp8(1, 320, 240),
        webm_mux::TrackConfig::opus(
            2,
            2,
            ogg_opus::OpusHead::new(2, 312, 48_000).to_bytes(),
            312,
        ),
    ];
    let options = webm_mux::MuxerOptions::default();
    let out = if streaming {
        let mut m = webm_mux::Muxer::new_streaming(Vec::new(), options, tracks).expect("header");
        for (t, ms, k, p) in &blocks {
            m.write_block(*t, ms * 1_000_000, *k, p)
                .expect("monotonic blocks are accepted");
        }
        m.finish().expect("finish")
    } else {
        let mut m = webm_mux::Muxer::new(Cursor::new(Vec::new()), options, tracks).expect("header");
        for (t, ms, k, p) in &blocks {
            m.write_block(*t, ms * 1_000_000, *k, p)
                .expect("monotonic blocks are accepted");
        }
        m.finish().expect("finish").into_inner()
    };
    let parsed = webm_mux::reader::parse(&out).expect("our WebM reads back");
    assert_eq!(parsed.blocks.len(), blocks.len());
    for (got, (t, ms, k, p)) in parsed.blocks.iter().zip(&blocks) {
        assert_eq!(got.track, *t);
        assert_eq!(got.timestamp_ms, *ms as i64);
        assert_eq!(got.keyframe, *k);
        assert_eq!(&got.data[..], &p[..]);
    }
}

/// Ogg Opus writer -> reader: the packets come back equal; packets that pass the Opus packet
/// check hold their frames.
pub fn ogg_roundtrip(data: &[u8]) {
    let mut input = Bytes8(data);
    let head = ogg_opus::OpusHead::new(1 + input.u8().unwrap_or(0) % 2, 312, 48_000);
    let tags = ogg_opus::OpusTags::new("fuzz");
    let mut writer =
        ogg_opus::OggOpusWriter::new(Vec::new(), 7, &head, &tags).expect("headers write");
    let mut expected = Vec::new();
    while let Some(len) = input.u16() {
        let packet = input.take(usize::from(len % 1500) + 1).to_vec();
        // A packet the RFC 6716 section 3.4 check accepts holds its frames.
        if let Ok(frames) = ogg_opus::toc::frame_lengths(&packet) {
            let bytes: usize = frames.as_slice().iter().map(|&f| usize::from(f)).sum();
            assert!(bytes < packet.len());
        }
        if writer.write_packet(&packet).is_ok() {
            expected.push(packet);
        }
    }
    let out = writer.finish().expect("finish");
    let file = ogg_opus::reader::read_opus_file(&out).expect("our Ogg reads back");
    assert_eq!(file.packets, expected);
    assert_eq!(file.head, head);
}
