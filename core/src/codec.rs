//! Codec identity: every codec Janus records, with its media kind and RTP clock rate.

use serde::Serialize;

use crate::ClockRate;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// RTP audio.
    Audio,
    /// RTP video.
    Video,
    /// Data-channel messages.
    Data,
}

impl MediaKind {
    /// The MJR header's `t` value (`a`, `v`, `d`).
    pub fn letter(self) -> &'static str {
        match self {
            MediaKind::Audio => "a",
            MediaKind::Video => "v",
            MediaKind::Data => "d",
        }
    }

    /// `audio`, `video` or `data`.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Data => "data",
        }
    }
}

/// A codec, as Janus names it in a recording's header (`c`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// VP8 video (RFC 7741).
    Vp8,
    /// VP9 video (RFC 9628).
    Vp9,
    /// H.264 video (RFC 6184).
    H264,
    /// H.265 video (RFC 7798).
    H265,
    /// AV1 video (the AOM RTP payload format).
    Av1,
    /// Opus audio (RFC 7587), mono or stereo.
    Opus,
    /// Janus's multichannel Opus (surround: several Opus streams in one packet).
    MultiOpus,
    /// G.711 µ-law (RFC 3551), 8 kHz.
    Pcmu,
    /// G.711 A-law (RFC 3551), 8 kHz.
    Pcma,
    /// G.722 (RFC 3551), 16 kHz audio on an 8 kHz RTP clock.
    G722,
    /// Linear 16-bit PCM, big-endian, 16 kHz (Janus's `l16`).
    L16,
    /// Linear 16-bit PCM, big-endian, 48 kHz (Janus's `l16-48`).
    L16_48,
    /// Data-channel text messages.
    Text,
    /// Data-channel binary messages.
    Binary,
    /// 16-bit signed little-endian linear PCM: not an RTP codec but what the audio decoders
    /// hand out (G.711, G.722, L16) for containers that need PCM. Its rate is the track's
    /// [`crate::TrackSpec::sample_rate`].
    PcmS16Le,
    /// A name this crate does not know, kept as written.
    Other(String),
}

impl Codec {
    /// The codec for a header name (case-insensitive; `g711` is taken as PCMU).
    pub fn from_name(name: &str) -> Codec {
        match name.to_ascii_lowercase().as_str() {
            "vp8" => Codec::Vp8,
            "vp9" => Codec::Vp9,
            "h264" => Codec::H264,
            "h265" | "hevc" => Codec::H265,
            "av1" => Codec::Av1,
            "opus" => Codec::Opus,
            "multiopus" => Codec::MultiOpus,
            "pcmu" | "g711" => Codec::Pcmu,
            "pcma" => Codec::Pcma,
            "g722" => Codec::G722,
            "l16" => Codec::L16,
            "l16-48" => Codec::L16_48,
            "text" => Codec::Text,
            "binary" => Codec::Binary,
            "pcm_s16le" => Codec::PcmS16Le,
            _ => Codec::Other(name.to_string()),
        }
    }

    /// The name Janus writes in the header.
    pub fn name(&self) -> &str {
        match self {
            Codec::Vp8 => "vp8",
            Codec::Vp9 => "vp9",
            Codec::H264 => "h264",
            Codec::H265 => "h265",
            Codec::Av1 => "av1",
            Codec::Opus => "opus",
            Codec::MultiOpus => "multiopus",
            Codec::Pcmu => "pcmu",
            Codec::Pcma => "pcma",
            Codec::G722 => "g722",
            Codec::L16 => "l16",
            Codec::L16_48 => "l16-48",
            Codec::Text => "text",
            Codec::Binary => "binary",
            Codec::PcmS16Le => "pcm_s16le",
            Codec::Other(s) => s,
        }
    }

    /// The media kind of the codec (`None` for a name this crate does not know).
    pub fn kind(&self) -> Option<MediaKind> {
        match self {
            Codec::Vp8 | Codec::Vp9 | Codec::H264 | Codec::H265 | Codec::Av1 => {
                Some(MediaKind::Video)
            }
            Codec::Opus
            | Codec::MultiOpus
            | Codec::Pcmu
            | Codec::Pcma
            | Codec::G722
            | Codec::L16
            | Codec::L16_48
            | Codec::PcmS16Le => Some(MediaKind::Audio),
            Codec::Text | Codec::Binary => Some(MediaKind::Data),
            Codec::Other(_) => None,
        }
    }

    /// The RTP clock rate, when the codec fixes it (data channels have none).
    pub fn clock_rate(&self) -> Option<ClockRate> {
        let hz = match self {
            Codec::Vp8 | Codec::Vp9 | Codec::H264 | Codec::H265 | Codec::Av1 => 90_000,
            Codec::Opus | Codec::MultiOpus | Codec::L16_48 => 48_000,
            // G.722's RTP clock is 8 kHz by RFC 3551's historical error (§4.5.2).
            Codec::Pcmu | Codec::Pcma | Codec::G722 => 8_000,
            Codec::L16 => 16_000,
            Codec::Text | Codec::Binary | Codec::PcmS16Le | Codec::Other(_) => return None,
        };
        ClockRate::new(hz)
    }

    /// The sample rate its audio decodes to (G.722: 16 kHz on an 8 kHz RTP clock), `None` for
    /// video, data and [`Codec::PcmS16Le`] (whose rate is the track's).
    pub fn sample_rate(&self) -> Option<u32> {
        Some(match self {
            Codec::Opus | Codec::MultiOpus | Codec::L16_48 => 48_000,
            Codec::Pcmu | Codec::Pcma => 8_000,
            Codec::G722 | Codec::L16 => 16_000,
            _ => return None,
        })
    }

    /// True for audio codecs.
    pub fn is_audio(&self) -> bool {
        self.kind() == Some(MediaKind::Audio)
    }
}

impl Serialize for Codec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_reads_back_as_itself() {
        for c in [
            Codec::Vp8,
            Codec::Vp9,
            Codec::H264,
            Codec::H265,
            Codec::Av1,
            Codec::Opus,
            Codec::MultiOpus,
            Codec::Pcmu,
            Codec::Pcma,
            Codec::G722,
            Codec::L16,
            Codec::L16_48,
            Codec::Text,
            Codec::Binary,
            Codec::PcmS16Le,
        ] {
            assert_eq!(Codec::from_name(c.name()), c);
            assert!(c.kind().is_some());
            let timed = c.kind() != Some(MediaKind::Data) && c != Codec::PcmS16Le;
            assert_eq!(c.clock_rate().is_some(), timed);
        }
        assert_eq!(Codec::from_name("VP8"), Codec::Vp8);
        assert_eq!(Codec::from_name("x-foo"), Codec::Other("x-foo".into()));
    }

    #[test]
    fn g722_runs_on_an_8_khz_rtp_clock() {
        assert_eq!(Codec::G722.clock_rate().map(ClockRate::hz), Some(8_000));
    }
}
