//! Header sizes, the RF64 switch, limits and refusals, without writing gigabytes: a fake output
//! keeps the header, counts the rest and records the rewrites.

use std::io::{self, Cursor};

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_wav::{SeekOutput, WavError, WavLimits, WavOutput, WavSink};
use proptest::prelude::*;

/// Keeps the first 4 KiB, counts the rest, and applies (and records) rewrites of the kept part.
#[derive(Default)]
struct Counting {
    head: Vec<u8>,
    len: u64,
    patches: Vec<(u64, Vec<u8>)>,
}

impl WavOutput for Counting {
    fn seekable(&self) -> bool {
        true
    }
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let keep = 4096usize.saturating_sub(self.head.len()).min(bytes.len());
        self.head.extend_from_slice(&bytes[..keep]);
        self.len += bytes.len() as u64;
        Ok(())
    }
    fn append_zeros(&mut self, n: u64) -> io::Result<()> {
        let keep = 4096u64.saturating_sub(self.head.len() as u64).min(n);
        self.head.resize(self.head.len() + keep as usize, 0);
        self.len += n;
        Ok(())
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let at = offset as usize;
        self.head[at..at + bytes.len()].copy_from_slice(bytes);
        self.patches.push((offset, bytes.to_vec()));
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn mono(rate: u32) -> TrackSpec {
    TrackSpec::new(Codec::PcmS16Le).with_sample_rate(Some(rate))
}

/// One 20 ms frame at 0, one at `second_at`, the end right after it: on the counting output.
fn two_frames_apart(second_at: Nanos) -> Counting {
    let limits = WavLimits {
        max_gap: Nanos::from_secs(24 * 3600),
        ..WavLimits::default()
    };
    let mut sink = WavSink::new(Counting::default()).with_limits(limits);
    sink.open(&[mono(48_000)]).unwrap();
    let frame = Frame::new(Bytes::from(vec![7u8; 1920]), 0, true);
    sink.write(0, Placement::at(Nanos::ZERO), &frame).unwrap();
    sink.write(0, Placement::at(second_at), &frame).unwrap();
    sink.finish(second_at + Nanos::from_ms(20)).unwrap();
    sink.into_inner().unwrap()
}

#[test]
fn a_file_past_4_gib_becomes_rf64_in_place_with_its_sizes_in_ds64() {
    // 12.5 hours of 48 kHz mono: 4.32e9 bytes.
    let out = two_frames_apart(Nanos::from_secs(45_000));
    let h = &out.head;
    let data = out.len - 80;
    assert!(data > u64::from(u32::MAX));
    assert_eq!(&h[0..4], b"RF64");
    assert_eq!(u32_at(h, 4), u32::MAX);
    assert_eq!(&h[12..16], b"ds64");
    assert_eq!(u32_at(h, 16), 28);
    assert_eq!(u64_at(h, 20), out.len - 8); // RIFF size
    assert_eq!(u64_at(h, 28), data); // data size
    assert_eq!(u64_at(h, 36), data / 2); // samples
    assert_eq!(u32_at(h, 44), 0); // no table
    assert_eq!(&h[72..76], b"data");
    assert_eq!(u32_at(h, 76), u32::MAX);
    // Only the header was rewritten, never the samples.
    assert!(out.patches.iter().all(|(at, b)| at + b.len() as u64 <= 80));
}

#[test]
fn a_file_just_under_4_gib_stays_riff_with_exact_sizes_and_its_junk_chunk() {
    // 11 hours: 3.8e9 bytes.
    let out = two_frames_apart(Nanos::from_secs(39_600));
    let h = &out.head;
    assert_eq!(&h[0..4], b"RIFF");
    assert_eq!(u64::from(u32_at(h, 4)), out.len - 8);
    assert_eq!(&h[12..16], b"JUNK");
    assert_eq!(u64::from(u32_at(h, 76)), out.len - 80);
    assert_eq!(out.patches.len(), 2);
}

#[test]
fn a_timestamp_days_ahead_inserts_at_most_the_gap_cap_and_moves_later_frames_up() {
    let mut sink = WavSink::new(Counting::default());
    sink.open(&[mono(8_000)]).unwrap();
    let frame = Frame::new(Bytes::from(vec![1u8; 320]), 0, true);
    sink.write(0, Placement::at(Nanos::ZERO), &frame).unwrap();
    let far = Nanos::from_secs(5 * 86_400);
    sink.write(0, Placement::at(far), &frame).unwrap();
    sink.write(0, Placement::at(far + Nanos::from_ms(20)), &frame)
        .unwrap();
    sink.finish(far + Nanos::from_ms(40)).unwrap();
    let stats = sink.stats();
    assert_eq!(stats.gaps_capped, 1);
    assert_eq!(stats.silence_samples, 3600 * 8_000);
    assert_eq!(stats.samples, 3600 * 8_000 + 3 * 160);
    let out = sink.into_inner().unwrap();
    assert_eq!(out.len, 80 + 2 * stats.samples);
}

#[test]
fn a_file_past_its_size_limit_is_an_error_not_a_huge_file() {
    let limits = WavLimits {
        max_data_bytes: 1 << 20,
        ..WavLimits::default()
    };
    let mut sink = WavSink::new(Counting::default()).with_limits(limits);
    sink.open(&[mono(48_000)]).unwrap();
    let frame = Frame::new(Bytes::from(vec![1u8; 1920]), 0, true);
    let err = sink
        .write(0, Placement::at(Nanos::from_secs(60)), &frame)
        .unwrap_err();
    assert!(
        matches!(
            err,
            WavError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err}"
    );
    assert!(sink.finish(Nanos::from_secs(61)).is_err());
}

#[test]
fn every_track_a_wav_file_cannot_hold_is_refused_with_what_would_hold_it() {
    let cases: [(Vec<TrackSpec>, &str); 6] = [
        (vec![TrackSpec::new(Codec::Opus)], ".ogg, .webm or .mkv"),
        (vec![TrackSpec::new(Codec::H264)], ".webm, .mkv or .mp4"),
        (
            vec![TrackSpec::new(Codec::Pcmu)],
            "decode it to 16-bit PCM first",
        ),
        (
            vec![TrackSpec::new(Codec::L16)],
            "decode it to 16-bit PCM first",
        ),
        (vec![mono(16_000), mono(16_000)], "use .mkv"),
        (vec![TrackSpec::new(Codec::PcmS16Le)], "at 0 Hz"),
    ];
    for (tracks, advice) in cases {
        let mut sink = WavSink::new(Counting::default());
        let err = sink.open(&tracks).unwrap_err().to_string();
        assert!(err.contains(advice), "{err}");
        assert!(err.contains("pcm_s16le"), "{err}");
        assert_eq!(sink.into_inner().map(|o| o.len).ok(), None);
    }
}

/// One frame for the property: its time step (ms, may go back), its length in bytes.
fn frames() -> impl Strategy<Value = Vec<(i64, usize)>> {
    prop::collection::vec((-30i64..200, 0usize..2000), 0..40)
}

proptest! {
    #[test]
    fn random_frames_never_panic_and_the_header_sizes_equal_the_bytes_written(
        channels in 1u8..=8,
        rate in prop::sample::select(vec![8_000u32, 11_025, 16_000, 44_100, 48_000]),
        start in 0i64..3_000,
        steps in frames(),
        tail in 0i64..500,
    ) {
        let track = mono(rate).with_channels(Some(channels));
        let limits = WavLimits { max_gap: Nanos::from_ms(250), ..WavLimits::default() };
        let mut sink = WavSink::new(SeekOutput::new(Cursor::new(Vec::new()))).with_limits(limits);
        sink.open(&[track]).unwrap();
        let mut t = Nanos::from_ms(start);
        for (i, (step, len)) in steps.iter().enumerate() {
            t = t + Nanos::from_us(step * 1000 + 7);
            let data: Vec<u8> = (0..*len).map(|b| (b + i) as u8).collect();
            sink.write(0, Placement::at(t), &Frame::new(Bytes::from(data), 0, true)).unwrap();
        }
        sink.finish(t + Nanos::from_ms(tail)).unwrap();
        let stats = sink.stats();
        let wav = sink.into_inner().unwrap().into_inner().into_inner();
        let fmt_len = if channels > 2 { 40 } else { 16 };
        let header = 12 + 36 + 8 + fmt_len + 8;
        prop_assert_eq!(u32_at(&wav, 4) as usize, wav.len() - 8);
        prop_assert_eq!(u32_at(&wav, header - 4) as usize, wav.len() - header);
        prop_assert_eq!(stats.samples * 2 * u64::from(channels), (wav.len() - header) as u64);
    }
}
