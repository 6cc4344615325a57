//! RTP payload for redundant audio (RED, RFC 2198), as Janus records Opus with `or` set.

use crate::rtp::RtpPacket;

/// The primary (newest) encoding of a RED packet, as a packet of its own: same bytes, header
/// pointing at the primary block, payload type of that block. `None` if the RED headers are
/// malformed or run past the payload.
pub fn red_primary(packet: &RtpPacket) -> Option<RtpPacket> {
    let payload = packet.payload();
    let mut pos = 0;
    let mut redundant_len = 0usize;
    // Redundant block headers: F=1, PT (7 bits), timestamp offset (14), length (10).
    loop {
        let b = *payload.get(pos)?;
        if b & 0x80 == 0 {
            break;
        }
        let h = payload.get(pos..pos + 4)?;
        redundant_len += usize::from(u16::from_be_bytes([h[2], h[3]]) & 0x03FF);
        pos += 4;
    }
    // The final header: F=0 and the primary block's payload type.
    let primary_pt = payload[pos] & 0x7F;
    let start = pos + 1 + redundant_len;
    if start > payload.len() {
        return None;
    }
    let mut header = packet.header;
    header.payload_type = primary_pt;
    header.payload_offset += start;
    header.payload_len -= start;
    Some(RtpPacket {
        header,
        raw: packet.raw.clone(),
    })
}
