//! Replays the committed seeds of the `vp9_depack` and `av1_depack` fuzz targets through the
//! bodies in `mjrtool_test_support::fuzz_vp9av1`, so that plain `cargo test` runs them.

use mjrtool_test_support::fuzz_vp9av1::{av1_depack, seed, vp9_depack};
use rtp_depack::{Av1Packetizer, Vp9Packetizer};

const EXTRA: [&[u8]; 4] = [
    b"",
    &[0u8; 1],
    &[0xFF; 64],
    &[7, 4, 0xC2, 3, 0xFF, 0xFF, 0xFF],
];

fn replay(name: &str, target: fn(&[u8])) {
    mjrtool_test_support::replay::replay(name, target, 1, &EXTRA);
}

#[test]
fn every_committed_vp9_input_runs_without_a_panic() {
    replay("vp9_depack", vp9_depack);
}

#[test]
fn every_committed_av1_input_runs_without_a_panic() {
    replay("av1_depack", av1_depack);
}

/// The first frames of a fixture IVF file.
fn ivf_frames(name: &str, count: usize) -> Vec<Vec<u8>> {
    let data = std::fs::read(
        mjrtool_test_support::replay::fuzz_dir()
            .join("../fixtures")
            .join(name),
    )
    .unwrap();
    let mut frames = mjrtool_test_support::ivf::frames(&data);
    frames.truncate(count);
    frames
}

/// Packets of `frames` as fuzz input, each picture on a new timestamp.
fn stream(
    frames: &[Vec<u8>],
    mut packetize: impl FnMut(&[u8], &mut dyn FnMut(&[u8], bool)),
) -> Vec<u8> {
    let mut packets = Vec::new();
    for f in frames {
        let mut first = true;
        packetize(f, &mut |p, marker| {
            packets.push((p.to_vec(), marker, first));
            first = false;
        });
    }
    seed(&packets)
}

#[test]
fn streams_packetized_from_the_fixtures_pass_both_bodies() {
    let vp9 = ivf_frames("vp9-160x120.ivf", 3);
    let mut p = Vp9Packetizer::new(200, true);
    let input = stream(&vp9, |f, emit| p.packetize(f, emit));
    vp9_depack(&input);
    let av1 = ivf_frames("av1-160x120.ivf", 3);
    let mut p = Av1Packetizer::new(200);
    let input = stream(&av1, |f, emit| p.packetize(f, emit));
    av1_depack(&input);
}

/// Writes the seed corpora (run once with `--ignored`; the seeds are committed).
#[test]
#[ignore]
fn write_seed_corpora() {
    let vp9 = ivf_frames("vp9-160x120.ivf", 4);
    let av1 = ivf_frames("av1-160x120.ivf", 4);
    let write = |name: &str, file: &str, data: Vec<u8>| {
        let dir = mjrtool_test_support::replay::fuzz_dir()
            .join("corpus")
            .join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), data).unwrap();
    };
    for (i, flexible) in [true, false].into_iter().enumerate() {
        let mut p = Vp9Packetizer::new(120 + 60 * i, flexible);
        write(
            "vp9_depack",
            &format!("fixture-{i}"),
            stream(&vp9[..2 + i], |f, e| p.packetize(f, e)),
        );
    }
    let mut p = Vp9Packetizer::new(150, false).with_layer_sizes(&[
        mjrtool_core::VideoSize {
            width: 160,
            height: 120,
        },
        mjrtool_core::VideoSize {
            width: 160,
            height: 120,
        },
    ]);
    let layers = stream(&vp9[..2], |f, e| {
        p.packetize_picture(&[&f[..f.len().min(300)], f], e)
    });
    write("vp9_depack", "two-layers", layers);
    for (i, lengths) in [false, true].into_iter().enumerate() {
        let mut p = Av1Packetizer::new(90 + 80 * i);
        if lengths {
            p = p.with_length_fields();
        }
        write(
            "av1_depack",
            &format!("fixture-{i}"),
            stream(&av1[..2 + i], |f, e| p.packetize(f, e)),
        );
    }
}
