//! Writes a long recording of any video codec, or of Opus, from a short encoded clip played
//! over and over: for benchmarks (`benches/compare-codecs.sh`).
//!
//! ```text
//! mjr-codec h264|h265|vp9|av1 CLIP.(h264|h265|ivf) FPS SECONDS OUT.mjr
//! mjr-codec opus CLIP.opus - SECONDS OUT.mjr
//! ```

use std::fs::File;
use std::io::BufWriter;

use mjrtool_core::Codec;
use mjrtool_test_support::recordings;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [codec, clip, fps, seconds, out] = &args[..] else {
        eprintln!("usage: mjr-codec CODEC CLIP FPS SECONDS OUT.mjr");
        std::process::exit(2);
    };
    let codec = Codec::from_name(codec);
    let clip = std::fs::read(clip).unwrap_or_else(|e| fail(&format!("{clip}: {e}")));
    let seconds: u32 = seconds
        .parse()
        .unwrap_or_else(|_| fail("SECONDS: a number"));
    let out = BufWriter::new(File::create(out).unwrap_or_else(|e| fail(&format!("{out}: {e}"))));
    let written = if codec == Codec::Opus {
        let file = ogg_opus::reader::read_opus_file(&clip)
            .unwrap_or_else(|e| fail(&format!("not Ogg Opus: {e}")));
        recordings::write_opus(out, codec, None, &file.packets, seconds)
    } else {
        let fps: u32 = fps.parse().unwrap_or_else(|_| fail("FPS: a number"));
        let frames = recordings::video_frames(&codec, &clip);
        recordings::write_video(out, codec, &frames, fps, seconds)
    };
    if let Err(e) = written.and_then(|w| w.into_inner().map_err(|e| e.into_error())) {
        fail(&e.to_string());
    }
}

fn fail(why: &str) -> ! {
    eprintln!("mjr-codec: {why}");
    std::process::exit(1);
}
