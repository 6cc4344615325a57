//! Which container a set of tracks goes into when the caller does not say: the one that holds
//! every codec as recorded (no transcoding) and plays in the most places.

use mjrtool_core::{Codec, MediaKind};

use crate::convert::OutputFormat;

/// The file extension (without the dot) of the container picked for tracks of `codecs`:
///
/// * one audio track: Opus and multichannel Opus -> `opus` (Ogg Opus); G.711, G.722 and L16
///   (decoded to PCM) -> `wav`;
/// * one data track: text -> `srt`, binary -> `bin` (a raw dump);
/// * video with Opus (or no audio): VP8, VP9 and AV1 -> `webm`; H.264 and H.265 -> `mp4`;
/// * anything else (PCM beside video, several audio tracks, captions beside media, codecs that
///   share no container but Matroska) -> `mkv`.
pub fn default_extension(codecs: &[Codec]) -> &'static str {
    let kinds: Vec<MediaKind> = codecs.iter().filter_map(Codec::kind).collect();
    let count = |k: MediaKind| kinds.iter().filter(|&&x| x == k).count();
    let (video, audio, data) = (
        count(MediaKind::Video),
        count(MediaKind::Audio),
        count(MediaKind::Data),
    );
    let opus_like = |c: &Codec| matches!(c, Codec::Opus | Codec::MultiOpus);
    let audio_codecs = || codecs.iter().filter(|c| c.is_audio());
    match (video, audio, data) {
        (0, 1, 0) if audio_codecs().all(opus_like) => "opus",
        (0, 1, 0) => "wav",
        (0, 0, 1) if codecs.contains(&Codec::Binary) => "bin",
        (0, 0, 1) => "srt",
        (v, _, 0) if v >= 1 && audio_codecs().all(opus_like) => {
            let videos = || codecs.iter().filter(|c| c.kind() == Some(MediaKind::Video));
            if videos().all(|c| matches!(c, Codec::Vp8 | Codec::Vp9 | Codec::Av1)) {
                "webm"
            } else if videos().all(|c| matches!(c, Codec::H264 | Codec::H265 | Codec::Av1)) {
                "mp4"
            } else {
                "mkv"
            }
        }
        _ => "mkv",
    }
}

/// Whether a file of `format` can hold tracks of `codecs` (G.711, G.722 and L16 count as the
/// PCM they are decoded to).
pub fn can_hold(format: OutputFormat, codecs: &[Codec]) -> bool {
    use Codec::*;
    let pcm = |c: &Codec| matches!(c, Pcmu | Pcma | G722 | L16 | L16_48 | PcmS16Le);
    let opus = |c: &Codec| matches!(c, Opus | MultiOpus);
    let one = |ok: &dyn Fn(&Codec) -> bool| codecs.len() == 1 && ok(&codecs[0]);
    let all = |ok: &dyn Fn(&Codec) -> bool| !codecs.is_empty() && codecs.iter().all(ok);
    match format {
        OutputFormat::Webm => all(&|c| matches!(c, Vp8 | Vp9 | Av1 | Text) || opus(c)),
        OutputFormat::Mkv => all(&|c| c.kind().is_some() && *c != Binary),
        OutputFormat::Mp4 => all(&|c| matches!(c, H264 | H265 | Av1 | Vp9) || opus(c) || pcm(c)),
        OutputFormat::Ogg => one(&opus),
        OutputFormat::Wav => one(&pcm),
        OutputFormat::Srt | OutputFormat::Vtt => one(&|c| *c == Text),
        OutputFormat::Raw => one(&|c| *c == Binary),
    }
}

/// Every container that can hold tracks of `codecs`, by extension.
pub fn holders(codecs: &[Codec]) -> Vec<&'static str> {
    ALL.iter()
        .filter(|(_, f)| can_hold(*f, codecs))
        .map(|(ext, _)| *ext)
        .collect()
}

/// The usual extension of `format`.
pub fn extension(format: OutputFormat) -> &'static str {
    ALL.iter()
        .find(|(_, f)| *f == format)
        .map_or("?", |(e, _)| e)
}

/// Every output format, by its usual extension.
const ALL: [(&str, OutputFormat); 9] = [
    ("webm", OutputFormat::Webm),
    ("mkv", OutputFormat::Mkv),
    ("mp4", OutputFormat::Mp4),
    ("opus", OutputFormat::Ogg),
    ("wav", OutputFormat::Wav),
    ("srt", OutputFormat::Srt),
    ("vtt", OutputFormat::Vtt),
    ("bin", OutputFormat::Raw),
    ("ogg", OutputFormat::Ogg),
];

/// Why `format` cannot hold `codecs`, naming the containers that can: `None` when it can.
pub fn refusal(format: OutputFormat, codecs: &[Codec]) -> Option<String> {
    if can_hold(format, codecs) {
        return None;
    }
    let names: Vec<&str> = codecs.iter().map(Codec::name).collect();
    let what = match names.len() {
        1 => format!("a {} track", names[0]),
        n => format!("{n} tracks ({})", names.join(", ")),
    };
    let ext = ALL
        .iter()
        .find(|(_, f)| *f == format)
        .map_or("?", |(e, _)| e);
    let mut can: Vec<String> = holders(codecs).iter().map(|e| format!(".{e}")).collect();
    can.dedup();
    Some(match can.len() {
        0 => format!(
            "a .{ext} file cannot hold {what}, and no single file can: convert the recordings one by one"
        ),
        _ => format!("a .{ext} file cannot hold {what}; use {}", can.join(" or ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_that_cannot_hold_the_tracks_names_those_that_can() {
        use Codec::*;
        assert_eq!(refusal(OutputFormat::Mp4, &[H264, Opus]), None);
        assert_eq!(
            refusal(OutputFormat::Webm, &[H264, Opus]).unwrap(),
            "a .webm file cannot hold 2 tracks (h264, opus); use .mkv or .mp4"
        );
        assert_eq!(
            refusal(OutputFormat::Ogg, &[Pcmu]).unwrap(),
            "a .opus file cannot hold a pcmu track; use .mkv or .mp4 or .wav"
        );
        assert_eq!(
            refusal(OutputFormat::Mp4, &[Vp8, Text]).unwrap(),
            "a .mp4 file cannot hold 2 tracks (vp8, text); use .webm or .mkv"
        );
        assert!(refusal(OutputFormat::Mkv, &[Binary, Opus])
            .unwrap()
            .contains("no single file can"));
        // The default container of every shape can hold it.
        for codecs in [
            &[Vp8, Opus][..],
            &[H265],
            &[G722],
            &[Text],
            &[Binary],
            &[Av1, MultiOpus],
        ] {
            let ext = default_extension(codecs);
            let (_, f) = ALL.iter().find(|(e, _)| *e == ext).unwrap();
            assert!(can_hold(*f, codecs), "{codecs:?} -> {ext}");
        }
    }

    #[test]
    fn each_session_shape_gets_the_container_that_holds_it_as_recorded() {
        use Codec::*;
        let cases: &[(&[Codec], &str)] = &[
            (&[Opus], "opus"),
            (&[MultiOpus], "opus"),
            (&[Pcmu], "wav"),
            (&[G722], "wav"),
            (&[Text], "srt"),
            (&[Binary], "bin"),
            (&[Vp8, Opus], "webm"),
            (&[Vp9], "webm"),
            (&[Av1, Opus], "webm"),
            (&[H264, Opus], "mp4"),
            (&[H265], "mp4"),
            (&[H264, Pcma], "mkv"),
            (&[Vp8, Opus, Text], "mkv"),
            (&[Opus, Opus], "mkv"),
            (&[Vp8, H264], "mkv"),
        ];
        for (codecs, ext) in cases {
            assert_eq!(default_extension(codecs), *ext, "{codecs:?}");
        }
    }
}
