//! What a recording's fmtp (the `f` of its header: the SDP format parameters Janus negotiated)
//! says about its audio: the channel count, and for multichannel Opus the stream layout.

use bytes::Bytes;
use mjrtool_core::opus::{ChannelMapping, OpusHead, PRE_SKIP};
use mjrtool_core::Codec;

/// The `key=value` pairs of an fmtp line, separated by `;` (RFC 4566 §6, `a=fmtp`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fmtp {
    params: Vec<(String, String)>,
}

impl Fmtp {
    /// Splits `line` into its parameters; keys are matched without regard to case, and
    /// pieces without `=` are kept with an empty value.
    pub fn parse(line: &str) -> Fmtp {
        let params = line
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .take(64)
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_string()),
                None => (p.to_ascii_lowercase(), String::new()),
            })
            .collect();
        Fmtp { params }
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The channel count and codec configuration (an OpusHead for multichannel Opus) of an
    /// audio track of `codec`: L16's `channels`; multiopus's `channel_mapping`, `num_streams`
    /// and `coupled_streams` (the parameters Chrome and Janus use for surround Opus).
    ///
    /// # Errors
    ///
    /// A multiopus recording without a consistent layout, as a sentence: its audio cannot be
    /// decoded without one.
    pub fn audio(&self, codec: &Codec) -> Result<(Option<u8>, Option<Bytes>), String> {
        match codec {
            Codec::L16 | Codec::L16_48 => {
                let channels = self.get("channels").and_then(|c| c.parse::<u8>().ok());
                Ok((channels.filter(|&c| c > 0), None))
            }
            Codec::MultiOpus => {
                let head = self.multiopus_head()?;
                Ok((Some(head.channels), Some(Bytes::from(head.to_bytes()))))
            }
            _ => Ok((None, None)),
        }
    }

    /// The OpusHead (channel mapping family 1, RFC 7845 §5.1.1.2) of a multiopus track.
    fn multiopus_head(&self) -> Result<OpusHead, String> {
        let bad = |what: &str| {
            format!(
                "multiopus recording: expected {what} in its fmtp (channel_mapping=…;num_streams=…;coupled_streams=…), found {:?}",
                self.params
            )
        };
        let mapping: Vec<u8> = self
            .get("channel_mapping")
            .ok_or_else(|| bad("channel_mapping"))?
            .split(',')
            .map(|c| c.trim().parse::<u8>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("channel_mapping as numbers"))?;
        let number = |key: &str| -> Result<u8, String> {
            self.get(key)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(key))
        };
        let (streams, coupled) = (number("num_streams")?, number("coupled_streams")?);
        let decoded = u16::from(streams) + u16::from(coupled);
        let valid = !mapping.is_empty()
            && streams >= 1
            && coupled <= streams
            && mapping.iter().all(|&m| m == 255 || u16::from(m) < decoded);
        let channels = u8::try_from(mapping.len()).map_err(|_| bad("at most 255 channels"))?;
        if !valid {
            return Err(bad("a mapping onto num_streams + coupled_streams channels"));
        }
        let mut head = OpusHead::new(channels, PRE_SKIP, 48_000);
        head.mapping_family = 1;
        head.mapping = Some(ChannelMapping {
            stream_count: streams,
            coupled_count: coupled,
            mapping,
        });
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromes_surround_fmtp_gives_a_family_1_opus_head() {
        let f = Fmtp::parse("channel_mapping=0,4,1,2,3,5;num_streams=4;coupled_streams=2");
        let (channels, config) = f.audio(&Codec::MultiOpus).unwrap();
        assert_eq!(channels, Some(6));
        let head = OpusHead::parse(&config.unwrap()).unwrap();
        assert_eq!(head.mapping_family, 1);
        let m = head.mapping.unwrap();
        assert_eq!((m.stream_count, m.coupled_count), (4, 2));
        assert_eq!(m.mapping, [0, 4, 1, 2, 3, 5]);
    }

    #[test]
    fn a_multiopus_fmtp_that_does_not_add_up_is_refused_with_what_it_needs() {
        for bad in [
            "",
            "channel_mapping=0,1;num_streams=1",
            "channel_mapping=0,9;num_streams=1;coupled_streams=1",
            "channel_mapping=x;num_streams=1;coupled_streams=0",
        ] {
            let e = Fmtp::parse(bad).audio(&Codec::MultiOpus).unwrap_err();
            assert!(e.contains("expected"), "{e}");
        }
    }

    #[test]
    fn l16_channels_come_from_the_fmtp_when_it_says() {
        let f = Fmtp::parse("channels=2; foo");
        assert_eq!(f.audio(&Codec::L16_48).unwrap(), (Some(2), None));
        assert_eq!(Fmtp::parse("").audio(&Codec::L16).unwrap(), (None, None));
        assert_eq!(f.get("foo"), Some(""));
    }
}
