//! Which container a set of tracks goes into when the caller does not say: the one that holds
//! every codec as recorded (no transcoding) and plays in the most places.

use mjrtool_core::{Codec, MediaKind};

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

#[cfg(test)]
mod tests {
    use super::*;

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
