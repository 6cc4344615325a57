//! VP9 over RTP (RFC 9628) through the shared frame assembly: the fixture packetized in both
//! modes comes back byte for byte through shuffling and duplicates, losses never yield a frame
//! that was not sent, and two spatial layers make one superframe per picture.

mod ivf;

use bytes::Bytes;
use ivf::{assemble, fixture, framemd5, have_ffmpeg, rtp_packets, shuffle, temp_dir, write_ivf};
use mjrtool_core::{Codec, VideoSize};
use proptest::prelude::*;
use rtp_depack::{CodecPayload, Vp9FrameHeader, Vp9Packetizer, Vp9Payload};

const QQVGA: VideoSize = VideoSize {
    width: 160,
    height: 120,
};

/// Packets for `pictures` (each a list of layer frames), as (payload, marker, picture index).
fn packetize(pictures: &[Vec<&[u8]>], mut p: Vp9Packetizer) -> Vec<(Vec<u8>, bool, usize)> {
    let mut out = Vec::new();
    for (i, layers) in pictures.iter().enumerate() {
        p.packetize_picture(layers, &mut |payload, marker| {
            out.push((payload.to_vec(), marker, i))
        });
    }
    out
}

fn packetizer(mtu: usize, flexible: bool, short_id: bool) -> Vp9Packetizer {
    let p = Vp9Packetizer::new(mtu, flexible);
    if short_id {
        p.with_short_picture_id()
    } else {
        p
    }
}

fn vp9_rules() -> CodecPayload {
    CodecPayload::for_codec(&Codec::Vp9).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_fixture_comes_back_byte_for_byte_through_shuffling_and_duplicates(
        mtu in 20usize..1400, flexible: bool, short_id: bool, seed: u64,
    ) {
        let frames = fixture("vp9-160x120.ivf");
        let pictures: Vec<Vec<&[u8]>> = frames.iter().map(|f| vec![f.as_slice()]).collect();
        let packets = rtp_packets(&packetize(&pictures, packetizer(mtu, flexible, short_id)));
        let out = assemble(vp9_rules(), shuffle(packets, 32, seed), 32);
        prop_assert_eq!(out.len(), frames.len());
        for (got, want) in out.iter().zip(&frames) {
            prop_assert_eq!(&got.data[..], &want[..]);
            let key = Vp9FrameHeader::read(want).unwrap().keyframe;
            prop_assert_eq!(got.keyframe, key);
            prop_assert_eq!(got.size, key.then_some(QQVGA));
        }
        prop_assert_eq!(out.iter().filter(|f| f.keyframe).count(), 2);
    }

    #[test]
    fn with_losses_every_frame_handed_out_is_one_that_was_sent(
        mtu in 20usize..600, flexible: bool, seed: u64, loss in 1u64..20,
    ) {
        let frames = fixture("vp9-160x120.ivf");
        let pictures: Vec<Vec<&[u8]>> = frames.iter().map(|f| vec![f.as_slice()]).collect();
        let mut packets = rtp_packets(&packetize(&pictures, packetizer(mtu, flexible, false)));
        let mut x = seed | 1;
        packets.retain(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % 100 >= loss
        });
        for f in assemble(vp9_rules(), shuffle(packets, 16, seed), 16) {
            let i = ((f.rtp_timestamp - 9000) / 3000) as usize;
            prop_assert_eq!(&f.data[..], &frames[i][..]);
        }
    }
}

#[test]
fn a_frame_split_over_packets_is_rejected_when_a_layer_never_ends() {
    // A packet of one layer frame without its E bit, then the marker: no whole layer frame.
    let mut payload = vec![0x88]; // I clear, B set
    payload.extend_from_slice(&[0x82, 0x49, 0x83, 0x42]);
    let packets = rtp_packets(&[(payload, true, 0)]);
    assert!(assemble(vp9_rules(), packets, 4).is_empty());
}

/// The fixture re-encoded at 80x60 with the same key frame pattern, by ffmpeg, into `dir`.
fn encode_80x60(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let src = format!("{}/../fixtures/vp9-160x120.ivf", env!("CARGO_MANIFEST_DIR"));
    let out = dir.join("80x60.ivf");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", &src, "-vf", "scale=80:60"])
        .args([
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "50k",
            "-g",
            "15",
            "-keyint_min",
            "15",
        ])
        .args([
            "-lag-in-frames",
            "0",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-f",
            "ivf",
        ])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    ivf::read_ivf(&std::fs::read(out).unwrap())
}

#[test]
fn two_spatial_layers_make_one_superframe_per_picture_or_only_the_lower_layer() {
    if !have_ffmpeg() {
        eprintln!("ffmpeg missing: skipped");
        return;
    }
    let dir = temp_dir("vp9-svc");
    let low = encode_80x60(&dir);
    let high = fixture("vp9-160x120.ivf");
    assert_eq!(low.len(), high.len());
    let pictures: Vec<Vec<&[u8]>> = low
        .iter()
        .zip(&high)
        .map(|(l, h)| vec![l.as_slice(), h.as_slice()])
        .collect();
    let sizes = [
        VideoSize {
            width: 80,
            height: 60,
        },
        QQVGA,
    ];
    for flexible in [false, true] {
        let p = Vp9Packetizer::new(300, flexible).with_layer_sizes(&sizes);
        let payloads = packetize(&pictures, p);
        // Both layers, one superframe each.
        let both = assemble(vp9_rules(), shuffle(rtp_packets(&payloads), 16, 7), 16);
        assert_eq!(both.len(), pictures.len());
        for (f, layers) in both.iter().zip(&pictures) {
            let index = superframe(&f.data);
            assert_eq!(index.len(), 2);
            assert_eq!(&index[0][..], layers[0]);
            assert_eq!(&index[1][..], layers[1]);
            let key = Vp9FrameHeader::read(layers[0]).unwrap().keyframe;
            assert_eq!(f.keyframe, key);
            assert_eq!(f.size, key.then_some(QQVGA));
        }
        // Only spatial layer 0.
        let rules = CodecPayload::Vp9(Vp9Payload::new().with_max_spatial_layer(0));
        let base = assemble(rules, rtp_packets(&payloads), 16);
        assert_eq!(base.len(), pictures.len());
        for (f, layers) in base.iter().zip(&pictures) {
            assert_eq!(&f.data[..], layers[0]);
            let key = Vp9FrameHeader::read(layers[0]).unwrap().keyframe;
            assert_eq!(f.size, key.then_some(sizes[0]));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Splits a superframe at its index (VP9 spec Annex B), written out here independently of the
/// crate's own reader.
fn superframe(data: &[u8]) -> Vec<Bytes> {
    let marker = *data.last().unwrap();
    assert_eq!(marker & 0xE0, 0xC0, "a superframe marker");
    let mag = usize::from((marker >> 3) & 3) + 1;
    let n = usize::from(marker & 7) + 1;
    let index = data.len() - (2 + mag * n);
    assert_eq!(data[index], marker);
    let mut at = 0;
    (0..n)
        .map(|i| {
            let b = &data[index + 1 + i * mag..index + 1 + (i + 1) * mag];
            let size = b.iter().rev().fold(0usize, |v, &x| v << 8 | usize::from(x));
            at += size;
            Bytes::copy_from_slice(&data[at - size..at])
        })
        .collect()
}

#[test]
fn ffmpeg_decodes_the_reassembled_stream_to_the_fixture_hashes_without_error() {
    if !have_ffmpeg() {
        eprintln!("ffmpeg missing: skipped");
        return;
    }
    let frames = fixture("vp9-160x120.ivf");
    let pictures: Vec<Vec<&[u8]>> = frames.iter().map(|f| vec![f.as_slice()]).collect();
    let packets = rtp_packets(&packetize(&pictures, Vp9Packetizer::new(200, true)));
    let out: Vec<Bytes> = assemble(vp9_rules(), shuffle(packets, 16, 3), 16)
        .into_iter()
        .map(|f| f.data)
        .collect();
    let dir = temp_dir("vp9-md5");
    let path = dir.join("out.ivf");
    std::fs::write(&path, write_ivf(b"VP90", 160, 120, &out)).unwrap();
    let fixture_path = format!("{}/../fixtures/vp9-160x120.ivf", env!("CARGO_MANIFEST_DIR"));
    let (want, _) = framemd5(std::path::Path::new(&fixture_path));
    let (got, errors) = framemd5(&path);
    assert_eq!(errors, "");
    assert_eq!(got.len(), 30);
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(dir);
}
