//! VP9 over RTP (RFC 9628) through the shared frame assembly: the fixture packetized in both
//! modes comes back byte for byte through shuffling and duplicates, losses never yield a frame
//! that was not sent, and two spatial layers make one superframe per picture.

mod ivf;

use bytes::{Bytes, BytesMut};
use ivf::{assemble, rtp_packets, shuffle};
use mjrtool_core::{Codec, VideoSize};
use mjrtool_core::{Depacketizer, FrameParts};
use mjrtool_test_support::fixtures::{fixture_path, ivf_file, ivf_fixture};
use mjrtool_test_support::tools::{decode_pictures, file_md5s, have, temp_dir};
use proptest::prelude::*;
use rtp_depack::{
    CodecPayload, Vp9FrameHeader, Vp9Packetizer, Vp9Payload, Vp9RefSlots, Vp9UncompressedHeader,
};

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
        let frames = ivf_fixture("vp9-160x120.ivf");
        let pictures: Vec<Vec<&[u8]>> = frames.iter().map(|f| vec![f.as_slice()]).collect();
        let packets = rtp_packets(&packetize(&pictures, packetizer(mtu, flexible, short_id)));
        let out = assemble(vp9_rules(), shuffle(packets, 32, seed), 32);
        prop_assert_eq!(out.len(), frames.len());
        for (got, want) in out.iter().zip(&frames) {
            prop_assert_eq!(&got.data.contiguous()[..], &want[..]);
            let key = Vp9FrameHeader::read(want).unwrap().keyframe;
            prop_assert_eq!(got.keyframe, key);
            // Every picture says its size, inter pictures too (the shown frame's).
            prop_assert_eq!(got.size, Some(QQVGA));
        }
        prop_assert_eq!(out.iter().filter(|f| f.keyframe).count(), 2);
    }

    #[test]
    fn with_losses_every_frame_handed_out_is_one_that_was_sent(
        mtu in 20usize..600, flexible: bool, seed: u64, loss in 1u64..20,
    ) {
        let frames = ivf_fixture("vp9-160x120.ivf");
        let pictures: Vec<Vec<&[u8]>> = frames.iter().map(|f| vec![f.as_slice()]).collect();
        let mut packets = rtp_packets(&packetize(&pictures, packetizer(mtu, flexible, false)));
        let mut x = seed | 1;
        packets.retain(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % 100 >= loss
        });
        for f in assemble(vp9_rules(), shuffle(packets, 16, seed), 16) {
            let i = ((f.rtp_timestamp - 9000) / 3000) as usize;
            prop_assert_eq!(&f.data.contiguous()[..], &frames[i][..]);
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
    let src = fixture_path("vp9-160x120.ivf");
    let out = dir.join("80x60.ivf");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&src)
        .args(["-vf", "scale=80:60"])
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
    mjrtool_test_support::ivf::frames(&std::fs::read(out).unwrap())
}

/// Per decoded picture: (pts, bytes of its YUV 4:2:0 planes), and ffmpeg's warnings and
/// errors.
fn decoded_sizes(path: &std::path::Path) -> (Vec<(i64, usize)>, String) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "warning", "-i"])
        .arg(path)
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg runs");
    let pictures = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split(',').map(str::trim).collect();
            (cols[2].parse().unwrap(), cols[4].parse().unwrap())
        })
        .collect();
    (pictures, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn two_spatial_layers_make_one_superframe_per_picture_or_only_the_lower_layer() {
    if !have("ffmpeg") {
        eprintln!("ffmpeg missing: skipped");
        return;
    }
    let dir = temp_dir("vp9-svc");
    let low = encode_80x60(&dir);
    let high = ivf_fixture("vp9-160x120.ivf");
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
            let index = superframe(&f.data.contiguous());
            assert_eq!(index.len(), 2);
            let lower = Vp9FrameHeader::read(&index[0]).unwrap();
            assert!(!lower.show_frame, "the lower layer frame is hidden");
            assert!((0..=1).contains(&(index[0].len() - layers[0].len())));
            assert_eq!(
                &index[0][index[0].len() - 20..],
                &layers[0][layers[0].len() - 20..]
            );
            assert_eq!(&index[1][..], layers[1]);
            let key = Vp9FrameHeader::read(layers[0]).unwrap().keyframe;
            assert_eq!(f.keyframe, key);
            assert_eq!(f.size, Some(QQVGA));
        }
        // ffmpeg shows one picture per timestamp, the top layer's.
        let data: Vec<Bytes> = both.iter().map(|f| f.data.to_bytes()).collect();
        let path = dir.join("both.ivf");
        std::fs::write(&path, ivf_file(b"VP90", 160, 120, &data)).unwrap();
        let (shown, errors) = decoded_sizes(&path);
        assert_eq!(errors, "");
        let want: Vec<(i64, usize)> = (0..pictures.len() as i64)
            .map(|i| (i, 160 * 120 * 3 / 2))
            .collect();
        assert_eq!(shown, want);
        // Only spatial layer 0.
        let rules = CodecPayload::Vp9(Vp9Payload::new().with_max_spatial_layer(0));
        let base = assemble(rules, rtp_packets(&payloads), 16);
        assert_eq!(base.len(), pictures.len());
        for (f, layers) in base.iter().zip(&pictures) {
            assert_eq!(&f.data.contiguous()[..], layers[0]);
            assert_eq!(f.size, Some(sizes[0]));
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
    if !have("ffmpeg") {
        eprintln!("ffmpeg missing: skipped");
        return;
    }
    let frames = ivf_fixture("vp9-160x120.ivf");
    let pictures: Vec<Vec<&[u8]>> = frames.iter().map(|f| vec![f.as_slice()]).collect();
    let packets = rtp_packets(&packetize(&pictures, Vp9Packetizer::new(200, true)));
    let out: Vec<Bytes> = assemble(vp9_rules(), shuffle(packets, 16, 3), 16)
        .into_iter()
        .map(|f| f.data.to_bytes())
        .collect();
    let dir = temp_dir("vp9-md5");
    let path = dir.join("out.ivf");
    std::fs::write(&path, ivf_file(b"VP90", 160, 120, &out)).unwrap();
    let want = file_md5s(&fixture_path("vp9-160x120.ivf"));
    let got = file_md5s(&path); // decoded without a word
    assert_eq!(got.len(), 30);
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(dir);
}

/// The fixture's frames with the reference slots as a decoder has them before each.
fn fixture_with_slots() -> Vec<(Vec<u8>, Vp9RefSlots)> {
    let mut slots = Vp9RefSlots::new();
    ivf_fixture("vp9-160x120.ivf")
        .into_iter()
        .map(|f| {
            let before = slots;
            slots.update(&Vp9UncompressedHeader::read(&f, &slots).unwrap());
            (f, before)
        })
        .collect()
}

/// A show_existing_frame frame (VP9 spec section 6.2), profile 0: 10 0 0 1 and the slot.
fn show_existing(slot: u8) -> Bytes {
    Bytes::copy_from_slice(&[0x88 | slot])
}

#[test]
fn a_hidden_key_or_inter_frame_decodes_in_ffmpeg_to_the_picture_the_shown_one_gives() {
    if !have("ffmpeg") {
        eprintln!("ffmpeg missing: skipped");
        return;
    }
    let frames = fixture_with_slots();
    let dir = temp_dir("vp9-hidden");
    let want = file_md5s(&fixture_path("vp9-160x120.ivf"));
    let mut checked = (0, 0);
    // Frames 0..i as sent, then frame i hidden followed by a frame showing a slot it refreshed.
    for i in [0, 1, 2, 7, 14, 15, 16, 29] {
        let (frame, slots) = &frames[i];
        let header = Vp9UncompressedHeader::read(frame, slots).unwrap();
        if header.refresh_frame_flags == 0 {
            continue;
        }
        let hidden = header.hidden(frame).unwrap();
        let again = Vp9UncompressedHeader::read(&hidden, slots).unwrap();
        assert!(!again.show_frame && !again.intra_only);
        let slot = header.refresh_frame_flags.trailing_zeros() as u8;
        let mut stream: Vec<Bytes> = frames[..i]
            .iter()
            .map(|(f, _)| Bytes::copy_from_slice(f))
            .collect();
        let pair = [Bytes::from(hidden), show_existing(slot)];
        stream.push(Bytes::from(rtp_depack_superframe(&pair)));
        let path = dir.join(format!("{i}.ivf"));
        std::fs::write(&path, ivf_file(b"VP90", 160, 120, &stream)).unwrap();
        let (ok, got, errors) = decode_pictures(&["-i", path.to_str().unwrap()], None);
        assert!(ok && errors.is_empty(), "frame {i}: {errors}");
        assert_eq!(got, want[..=i], "frame {i}");
        if header.keyframe {
            checked.0 += 1;
        } else {
            checked.1 += 1;
        }
    }
    assert!(checked.0 == 2 && checked.1 >= 5, "{checked:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A superframe of `frames` (VP9 spec Annex B) with 2-byte sizes, written here independently.
fn rtp_depack_superframe(frames: &[Bytes]) -> Vec<u8> {
    let marker = 0xC0 | 1 << 3 | (frames.len() as u8 - 1);
    let mut out: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    out.push(marker);
    for f in frames {
        out.extend_from_slice(&(f.len() as u16).to_le_bytes());
    }
    out.push(marker);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn hiding_a_frame_changes_only_show_frame_and_adds_at_most_one_byte(
        i in 0usize..30, widths in proptest::collection::vec(1u32..5000, 8),
        body in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let (mut frame, known) = fixture_with_slots().swap_remove(i);
        frame.extend_from_slice(&body); // any compressed data
        // Any slot sizes: inter frames taking their size from a slot get other tile bits.
        let mut slots = Vp9RefSlots::new();
        for (s, w) in widths.iter().enumerate() {
            let mut one = Vp9UncompressedHeader {
                refresh_frame_flags: 1 << s,
                width: *w,
                height: 120,
                ..Default::default()
            };
            if known.size(s).is_none() {
                one.refresh_frame_flags = 0;
            }
            slots.update(&one);
        }
        let header = Vp9UncompressedHeader::read(&frame, &slots).unwrap();
        let hidden = header.hidden(&frame).unwrap();
        let grew = hidden.len() - frame.len();
        prop_assert!(grew <= 1);
        let again = Vp9UncompressedHeader::read(&hidden, &slots).unwrap();
        prop_assert!(!again.show_frame);
        let inserted = usize::from(!header.keyframe);
        let mut want = header.clone();
        want.show_frame = false;
        want.bits += inserted;
        prop_assert_eq!(&again, &want);
        // The compressed header and tiles follow unchanged.
        let tail = frame.len() - header.bits.div_ceil(8);
        prop_assert_eq!(&hidden[again.bits.div_ceil(8)..], &frame[frame.len() - tail..]);
        // Hidden frames need no change.
        prop_assert_eq!(again.hidden(&hidden), None);
    }

    #[test]
    fn damaged_frames_never_panic_and_a_lower_layer_left_shown_is_counted(
        i in 0usize..30, cut in 0usize..40, flip in any::<u16>(),
        noise in proptest::collection::vec(any::<u8>(), 0..24),
    ) {
        let frames = fixture_with_slots();
        let (frame, slots) = &frames[i];
        let mut damaged = frame[..cut.min(frame.len())].to_vec();
        if let Some(b) = damaged.get_mut(usize::from(flip) % 40) {
            *b ^= (flip >> 8) as u8 | 1;
        }
        for bytes in [&damaged[..], &noise[..]] {
            if let Ok(h) = Vp9UncompressedHeader::read(bytes, slots) {
                if let Some(out) = h.hidden(bytes) {
                    prop_assert!(out.len() - bytes.len() <= 1);
                }
            }
            // As the lower layer of a picture: kept, counted when its header cannot be read.
            let mut rules = Vp9Payload::new();
            let top = &frames[15].0; // a key frame
            let lower_unreadable = Vp9UncompressedHeader::read(bytes, &Vp9RefSlots::new()).is_err();
            let picture = [bytes, &top[..]];
            if bytes.is_empty() {
                continue;
            }
            let result = complete_picture(&mut rules, &picture);
            if let Ok(data) = result {
                let index = superframe(&data);
                if lower_unreadable {
                    prop_assert_eq!(&index[0][..], bytes);
                    prop_assert_eq!(rules.layers_not_hidden(), 1);
                }
                prop_assert_eq!(&index[1][..], &top[..]);
            }
        }
    }
}

/// Packetizes one picture of `layers` and hands it to `rules` as the frame assembly would.
fn complete_picture(rules: &mut Vp9Payload, layers: &[&[u8]]) -> Result<Bytes, String> {
    let mut joined = Vec::new();
    let mut p = Vp9Packetizer::new(1200, true);
    let mut payloads = Vec::new();
    p.packetize_picture(layers, &mut |payload, _| payloads.push(payload.to_vec()));
    for payload in payloads {
        let mut out = Vec::new();
        rules
            .depacketize(&Bytes::from(payload), &mut out)
            .map_err(|e| e.to_string())?;
        joined.extend(out.iter().flat_map(|b| b.iter().copied()));
    }
    rules
        .complete(FrameParts::new(
            &[Bytes::from(joined)],
            &mut BytesMut::new(),
        ))
        .map(|(data, _)| data.to_bytes())
        .map_err(|e| e.to_string())
}

#[test]
fn a_picture_whose_first_key_picture_has_only_the_base_layer_declares_the_top_size() {
    let frames = ivf_fixture("vp9-160x120.ivf");
    let sizes = [
        VideoSize {
            width: 80,
            height: 60,
        },
        QQVGA,
    ];
    // The SS announces two layers, but the key picture carries only layer 0.
    let pictures: Vec<Vec<&[u8]>> = vec![vec![frames[0].as_slice()]];
    let p = Vp9Packetizer::new(300, false).with_layer_sizes(&sizes);
    let out = assemble(vp9_rules(), rtp_packets(&packetize(&pictures, p)), 16);
    assert_eq!(out.len(), 1);
    assert!(out[0].keyframe);
    assert_eq!(out[0].size, Some(QQVGA));
    // Keeping only layer 0, the size is layer 0's.
    let p = Vp9Packetizer::new(300, false).with_layer_sizes(&sizes);
    let rules = CodecPayload::Vp9(Vp9Payload::new().with_max_spatial_layer(0));
    let out = assemble(rules, rtp_packets(&packetize(&pictures, p)), 16);
    assert_eq!(out[0].size, Some(sizes[0]));
}
