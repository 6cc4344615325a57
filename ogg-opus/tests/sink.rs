//! The Ogg Opus file written through `FrameSink` is the one the CLI writes with the writer.

use bytes::Bytes;
use mjrtool_core::{opus, Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_ogg::{OggOpusSink, OggOpusWriter, OpusHead, OpusTags};

/// Opus packets of many sizes: silence, and packets of one empty CELT frame padded to `n` bytes
/// (RFC 6716 §3.2.5), up to one that spans pages.
fn packets() -> Vec<Vec<u8>> {
    let padded = |n: usize| {
        let runs = (n - 3) / 255;
        let mut p = vec![0xFB, 0x41];
        p.extend(std::iter::repeat_n(255, runs));
        p.push(((n - 3) % 255) as u8);
        p.resize(n, 0);
        p
    };
    (0..400)
        .map(|i| match i % 4 {
            0 => opus::SILENCE_20MS.to_vec(),
            _ => padded(3 + (i * 37) % 1400),
        })
        .chain([padded(20_000), opus::SILENCE_20MS.to_vec()])
        .collect()
}

/// What `cli/src/convert.rs` (`OutputTarget::ogg`) writes today.
fn cli_way(packets: &[Vec<u8>], vendor: &str) -> Vec<u8> {
    let head = OpusHead::new(2, 312, 48_000);
    let tags = OpusTags {
        vendor: vendor.into(),
        comments: Vec::new(),
    };
    let mut w = OggOpusWriter::new(Vec::new(), 0x4A41_4E55, &head, &tags).unwrap();
    for p in packets {
        w.write_packet(p).unwrap();
    }
    w.finish().unwrap()
}

fn sink_way(packets: &[Vec<u8>], vendor: &str) -> Vec<u8> {
    let mut sink = OggOpusSink::new(Vec::new(), vendor);
    sink.open(&[TrackSpec::new(Codec::Opus)]).unwrap();
    let mut t = Nanos::ZERO;
    for p in packets {
        let frame = Frame::new(Bytes::copy_from_slice(p), 0, true);
        sink.write(0, Placement::at(t), &frame).unwrap();
        t = t + Nanos::from_ms(20);
    }
    sink.finish(t).unwrap();
    sink.into_inner().unwrap()
}

#[test]
fn the_sink_writes_the_bytes_the_cli_writes_with_the_writer() {
    let vendor = concat!("mjrtool ", env!("CARGO_PKG_VERSION"));
    let packets = packets();
    let file = sink_way(&packets, vendor);
    assert_eq!(file, cli_way(&packets, vendor));
    // Headers only, too.
    assert_eq!(sink_way(&[], vendor), cli_way(&[], vendor));
}
