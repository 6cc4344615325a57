//! Converts a Janus session (a video recording, and an audio one that starts 1.5 s later) into
//! one WebM, and prints where each track landed.
//!
//! `cargo run -p mjrtool-convert --example session [AUDIO.mjr VIDEO.mjr [OUT_DIR]]`: by default the
//! example pair committed in the repository's `examples/` folder, written to the temporary
//! directory.

use std::path::PathBuf;

use mjrtool_convert::convert::{convert, ConvertOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let examples = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"));
    let audio = args.next().unwrap_or_else(|| examples.join("audio.mjr"));
    let video = args.next().unwrap_or_else(|| examples.join("video.mjr"));
    let dir = args
        .next()
        .unwrap_or_else(|| std::env::temp_dir().join("mjrtool-session-example"));
    std::fs::create_dir_all(&dir)?;

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
