//! Makes a synthetic Janus session (a video recording, and an audio one that starts 1.5 s later,
//! with a little loss and reordering), converts the pair into one WebM, and prints where each
//! track landed.
//!
//! `cargo run -p mjrtool-convert --example session [OUT_DIR]` (by default the temporary directory)

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use mjrtool_convert::convert::{convert, ConvertOptions};
use mjrtool_convert::synth::{self, SynthOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("mjrtool-session-example"));
    std::fs::create_dir_all(&dir)?;
    let session = SynthOptions {
        duration_ms: 3_000,
        audio_delay_ms: 1_500,
        loss: 0.01,
        reorder: 0.02,
        ..SynthOptions::default()
    };
    let video = dir.join("video.mjr");
    let audio = dir.join("audio.mjr");
    synth::write_video(BufWriter::new(File::create(&video)?), &session)?;
    synth::write_audio(BufWriter::new(File::create(&audio)?), &session)?;

    let output = dir.join("session.webm");
    let options = ConvertOptions {
        force: true, // replace the output of an earlier run
        ..ConvertOptions::default()
    };
    let report = convert(&[audio, video], &output, &options, &mut |_, _| {})?;
    println!("{}: {:.0} ms", output.display(), report.duration_ms);
    for input in &report.inputs {
        println!(
            "  {} starts at {:.0} ms",
            input.path.display(),
            input.offset_ms
        );
    }
    Ok(())
}
