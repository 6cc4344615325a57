//! Recordings of every codec Janus records, made from the committed fixtures (`fixtures/`) by
//! our own packetizers and MJR writer: the frames as an encoder made them, packetized as a
//! WebRTC sender would, at the times a Janus recorder would have written them.

use std::io::{self, Write};

use mjr::{FormatVersion, Header, MjrWriter};
use mjrtool_core::{Codec, MediaKind};
use rtp_depack::{Av1Packetizer, H264Packetizer, H265Packetizer, RtpBuilder, Vp9Packetizer};

/// The header times of every generated recording: 2023-11-14T22:13:20Z (µs).
pub const START_US: i64 = 1_700_000_000_000_000;

/// The bytes of a committed fixture (`fixtures/<name>`).
pub use crate::fixtures::fixture;

/// The access units of an Annex B stream (H.264 or H.265), split where a new picture begins:
/// at a parameter set, or at a slice whose first-slice flag is set.
pub fn annexb_access_units(stream: &[u8], hevc: bool) -> Vec<Vec<u8>> {
    let mut units: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut seen_slice = false;
    for nal in rtp_depack::annexb_nals(stream) {
        let Some(&first) = nal.first() else { continue };
        let (is_param, is_slice, first_slice) = if hevc {
            let t = (first >> 1) & 0x3F;
            let fs = nal.get(2).is_some_and(|b| b & 0x80 != 0);
            ((32..=34).contains(&t) || t == 35, t < 32, fs)
        } else {
            let t = first & 0x1F;
            let fs = nal.get(1).is_some_and(|b| b & 0x80 != 0);
            (matches!(t, 6..=9), matches!(t, 1 | 5), fs)
        };
        if seen_slice && (is_param || (is_slice && first_slice)) {
            units.push(std::mem::take(&mut current));
            seen_slice = false;
        }
        current.extend_from_slice(&[0, 0, 0, 1]);
        current.extend_from_slice(nal);
        seen_slice |= is_slice;
    }
    if !current.is_empty() {
        units.push(current);
    }
    units
}

/// A recording being written: an MJR writer and an RTP builder.
struct Recorder<W: Write> {
    writer: MjrWriter<W>,
    rtp: RtpBuilder,
    raw: Vec<u8>,
}

impl<W: Write> Recorder<W> {
    fn new(
        out: W,
        kind: MediaKind,
        codec: Codec,
        fmtp: Option<&str>,
        pt: u8,
    ) -> io::Result<Recorder<W>> {
        let mut header = Header::new(kind, codec);
        header.version = FormatVersion::Mjr2;
        header.created_us = Some(START_US);
        header.first_written_us = Some(START_US);
        header.fmtp = fmtp.map(str::to_string);
        Ok(Recorder {
            writer: MjrWriter::new(out, &header)?,
            rtp: RtpBuilder::new(0x1234_5678, pt),
            raw: Vec::new(),
        })
    }

    fn packet(
        &mut self,
        time_ms: u32,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> io::Result<()> {
        self.rtp
            .build(timestamp, marker, payload, &[], &mut self.raw);
        self.writer.write_rtp(time_ms, &self.raw)
    }

    fn finish(self) -> io::Result<W> {
        self.writer.finish()
    }
}

/// The frames of a video fixture (Annex B for H.264/H.265, IVF for VP9/AV1).
pub fn video_frames(codec: &Codec, file: &[u8]) -> Vec<Vec<u8>> {
    match codec {
        Codec::H264 => annexb_access_units(file, false),
        Codec::H265 => annexb_access_units(file, true),
        Codec::Vp9 | Codec::Av1 => crate::ivf::frames(file),
        other => panic!("no video frames for {other}"),
    }
}

/// Writes a video recording of `codec` to `out`: `frames` over and over (each pass must start
/// with a keyframe) at `fps` for `seconds`, packetized at 1100-byte payloads.
///
/// # Errors
///
/// Writing to `out` failed.
pub fn write_video<W: Write>(
    out: W,
    codec: Codec,
    frames: &[Vec<u8>],
    fps: u32,
    seconds: u32,
) -> io::Result<W> {
    let mut rec = Recorder::new(out, MediaKind::Video, codec.clone(), None, 96)?;
    let mut h264 = H264Packetizer::new(1100);
    let mut h265 = H265Packetizer::new(1100);
    let mut vp9 = Vp9Packetizer::new(1100, false);
    let mut av1 = Av1Packetizer::new(1100);
    let mut payloads: Vec<(Vec<u8>, bool)> = Vec::new();
    let count = u64::from(fps) * u64::from(seconds);
    for (i, frame) in (0..count).zip(frames.iter().cycle()) {
        let ts = (i * 90_000 / u64::from(fps)) as u32;
        let ms = (i * 1_000 / u64::from(fps)) as u32;
        payloads.clear();
        let mut emit = |p: &[u8], m: bool| payloads.push((p.to_vec(), m));
        match codec {
            Codec::H264 => h264.packetize(frame, &mut emit),
            Codec::H265 => h265.packetize(frame, &mut emit),
            Codec::Vp9 => vp9.packetize(frame, &mut emit),
            _ => av1.packetize(frame, &mut emit),
        }
        for (p, marker) in &payloads {
            rec.packet(ms, ts, *marker, p)?;
        }
    }
    rec.finish()
}

/// Writes an Opus recording to `out`: `packets` (20 ms each) over and over for `seconds`.
///
/// # Errors
///
/// Writing to `out` failed.
pub fn write_opus<W: Write>(
    out: W,
    codec: Codec,
    fmtp: Option<&str>,
    packets: &[Vec<u8>],
    seconds: u32,
) -> io::Result<W> {
    let mut rec = Recorder::new(out, MediaKind::Audio, codec, fmtp, 111)?;
    for (i, packet) in (0..u64::from(seconds) * 50).zip(packets.iter().cycle()) {
        rec.packet((i * 20) as u32, (i * 960) as u32, i == 0, packet)?;
    }
    rec.finish()
}

/// A video recording of `codec` (VP9, H.264, H.265 or AV1) from its fixture: 30 frames at
/// 15 fps, a keyframe every second, 1100-byte payloads.
pub fn video(codec: Codec) -> Vec<u8> {
    let name = match codec {
        Codec::H264 => "h264-160x120.h264",
        Codec::H265 => "h265-160x120.h265",
        Codec::Vp9 => "vp9-160x120.ivf",
        Codec::Av1 => "av1-160x120.ivf",
        ref other => panic!("no video fixture for {other}"),
    };
    let frames = video_frames(&codec, &fixture(name));
    write_video(Vec::new(), codec, &frames, 15, 2).expect("writing to memory")
}

/// An audio recording of `codec` from its fixture, 20 ms a packet (5 ms for 48 kHz stereo L16,
/// whose 20 ms would not fit a packet), with the fmtp Janus would record.
pub fn audio(codec: Codec) -> Vec<u8> {
    let (fixture_name, bytes_per_packet, ts_step, ms_step, pt, fmtp) = match codec {
        Codec::Pcmu => ("tone.pcmu", 160, 160, 20, 0, None),
        Codec::Pcma => ("tone.pcma", 160, 160, 20, 8, None),
        Codec::G722 => ("tone.g722", 160, 160, 20, 9, None),
        Codec::L16 => ("tone-16k.s16be", 640, 320, 20, 100, None),
        Codec::L16_48 => ("tone-48k.s16be", 960, 240, 5, 100, Some("channels=2")),
        Codec::Opus => return opus("tone.opus", codec, None),
        Codec::MultiOpus => {
            let fmtp = "channel_mapping=0,4,1,2,3,5;num_streams=4;coupled_streams=2";
            return opus("surround.opus", codec, Some(fmtp));
        }
        other => panic!("no audio fixture for {other}"),
    };
    let data = fixture(fixture_name);
    let mut rec =
        Recorder::new(Vec::new(), MediaKind::Audio, codec, fmtp, pt).expect("writing to memory");
    for (i, chunk) in data.chunks(bytes_per_packet).enumerate() {
        let i = i as u32;
        rec.packet(i * ms_step, i * ts_step, i == 0, chunk)
            .expect("writing to memory");
    }
    rec.finish().expect("writing to memory")
}

/// An Opus recording from an Ogg Opus fixture (2 s).
fn opus(name: &str, codec: Codec, fmtp: Option<&str>) -> Vec<u8> {
    let file = ogg_opus::reader::read_opus_file(&fixture(name)).expect("committed fixture");
    let seconds = (file.packets.len() / 50) as u32;
    write_opus(Vec::new(), codec, fmtp, &file.packets, seconds).expect("writing to memory")
}

/// A text data-channel recording of `messages`, each at its ms from the start.
pub fn text(messages: &[(u32, &str)]) -> Vec<u8> {
    let mut header = Header::new(MediaKind::Data, Codec::Text);
    header.version = FormatVersion::Mjr2;
    header.created_us = Some(START_US);
    header.first_written_us = Some(START_US);
    let mut writer = MjrWriter::new(Vec::new(), &header).expect("writing to memory");
    for &(ms, text) in messages {
        let us = START_US + i64::from(ms) * 1_000;
        writer
            .write_data(ms, us, text.as_bytes())
            .expect("writing to memory");
    }
    writer.finish().expect("writing to memory")
}
