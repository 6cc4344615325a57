//! Opus facts that every container needs: packet framing and durations ([`toc`]), the
//! identification header ([`OpusHead`]), the packet that decodes to silence, and the pre-skip of
//! the encoders WebRTC uses.

mod head;
pub mod toc;

pub use head::{ChannelMapping, OpusHead, OpusHeadError};

/// A 20 ms Opus packet (CELT-only, fullband, mono, one frame) whose silence flag is set: every
/// decoder outputs 20 ms of digital silence for it, whatever the stream's channel count.
pub const SILENCE_20MS: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// The 20 ms silence of a multistream Opus packet of `streams` streams (RFC 7845 §5.1.1, the
/// `multiopus` of Janus): [`SILENCE_20MS`] once per stream, each but the last in the
/// self-delimiting framing of RFC 6716 Appendix B (its frame's length after the TOC byte).
pub fn multistream_silence(streams: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::from(streams) * 4);
    for _ in 1..streams.max(1) {
        out.extend_from_slice(&[SILENCE_20MS[0], 2, SILENCE_20MS[1], SILENCE_20MS[2]]);
    }
    out.extend_from_slice(&SILENCE_20MS);
    out
}

/// Pre-skip (48 kHz samples) to declare for WebRTC Opus: the look-ahead of libopus, the encoder
/// of every WebRTC browser (6.5 ms). Decoders drop these first samples, which puts the first
/// decoded sample at the RTP timestamp of the first packet (RFC 7845 §4.2). Ogg's OpusHead and
/// Matroska's CodecDelay both carry it.
pub const PRE_SKIP: u16 = 312;

/// The sample rate every Opus packet's duration is counted in (RFC 7587 §4.1).
pub const RATE_HZ: u32 = 48_000;
