//! Audio decoders for the codecs of Janus recordings that containers like WAV or MP4 want as PCM:
//! G.711 µ-law and A-law, G.722 and L16, all to 16-bit linear samples. Pure Rust, no unsafe code,
//! no allocation beyond the output.
//!
//! * [`g711`]: µ-law and A-law expansion by table lookup, the tables computed at compile time from
//!   the rules of ITU-T G.711 ([`ulaw_to_linear`], [`decode_ulaw`], [`ulaw_to_s16le`] and the
//!   A-law twins).
//! * [`G722Decoder`]: ITU-T G.722 at 64 kbit/s, sub-band ADPCM to 16 kHz samples, state carried
//!   from one call to the next; bit-exact with libavcodec's decoder.
//! * [`l16_to_s16le`], [`decode_l16`]: RFC 3551 L16 (big-endian) samples.
//! * [`PcmDecoder`]: wraps a [`mjrtool_core::FrameSource`] of PCMU, PCMA, G.722, L16 or L16_48
//!   frames (raw RTP payloads) and is a source of decoded [`mjrtool_core::Codec::PcmS16Le`]
//!   frames, with the timestamps rescaled to the sample rate.
//!
//! # Example
//!
//! ```
//! use mjrtool_pcm::{decode_alaw, decode_ulaw, G722Decoder};
//!
//! let mut samples = Vec::new();
//! decode_ulaw(&[0xFF, 0x00, 0x80], &mut samples);
//! decode_alaw(&[0xD5, 0x55], &mut samples);
//! assert_eq!(samples, [0, -32124, 32124, 8, -8]);
//!
//! // G.722: two 16 kHz samples per byte, state kept across packets.
//! let mut g722 = G722Decoder::new();
//! let mut out = Vec::new();
//! g722.decode(&[0xFA; 160], &mut out);
//! g722.decode(&[0xFA; 160], &mut out);
//! assert_eq!(out.len(), 640);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
pub mod g711;
mod g722;
mod l16;

pub use adapter::{PcmCodec, PcmDecoder, PcmError, PcmStats, UnsupportedCodec};
pub use g711::{
    alaw_to_linear, alaw_to_s16le, decode_alaw, decode_ulaw, ulaw_to_linear, ulaw_to_s16le,
};
pub use g722::{decode_g722, G722Decoder};
pub use l16::{decode_l16, l16_to_s16le};
