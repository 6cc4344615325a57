//! Prints a small chat as SRT, then as WebVTT: `cargo run -p mjrtool-subtitles --example chat`.

use bytes::Bytes;
use mjrtool_core::{Codec, Frame, FrameSink, Nanos, Placement, TrackSpec};
use mjrtool_subtitles::{SubtitleFormat, SubtitleSink};

const CHAT: [(i64, &str); 4] = [
    (1_000, "Alice: hello"),
    (1_300, "Bob: hi <3"),
    (4_000, "Alice: see the plan:\n\nstep 1 --> step 2"),
    (20_000, "Bob: bye"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for format in [SubtitleFormat::Srt, SubtitleFormat::WebVtt] {
        let mut sink = SubtitleSink::new(Vec::new(), format);
        sink.open(&[TrackSpec::new(Codec::Text)])?;
        for (ms, text) in CHAT {
            let frame = Frame::new(Bytes::from_static(text.as_bytes()), 0, true);
            sink.write(0, Placement::at(Nanos::from_ms(ms)), &frame)?;
        }
        sink.finish(Nanos::from_secs(21))?;
        println!("--- .{} ({:?})", format.extension(), sink.stats());
        print!("{}", String::from_utf8(sink.into_inner()?)?);
    }
    Ok(())
}
