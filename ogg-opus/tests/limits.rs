//! The reader's [`Limits`]: a packet past the cap is refused with a typed error, at the default
//! and at a cap set lower.

use mjrtool_ogg::reader::{read_opus_file, read_opus_file_with_limits, Limits, MAX_PACKET_SIZE};
use mjrtool_ogg::{OggError, OggOpusWriter, OpusHead, OpusTags};

/// An Ogg Opus file of one audio packet of `len` bytes (code 0, one 20 ms CELT frame).
fn file_with_packet(len: usize) -> Vec<u8> {
    let head = OpusHead::new(1, 312, 48_000);
    let tags = OpusTags::new("limits test");
    let mut w = OggOpusWriter::new(Vec::new(), 7, &head, &tags).unwrap();
    let mut packet = vec![0u8; len];
    packet[0] = 0xF8;
    w.write_packet(&packet).unwrap();
    w.finish().unwrap()
}

#[test]
fn the_default_limit_is_the_documented_constant() {
    assert_eq!(Limits::default().max_packet_size, MAX_PACKET_SIZE);
    assert_eq!(
        read_opus_file(&file_with_packet(1_000)).unwrap().packets[0].len(),
        1_000
    );
}

#[test]
fn a_packet_past_the_cap_is_refused_with_the_cap_and_where() {
    let file = file_with_packet(1_000);
    let limits = Limits::default().with_max_packet_size(999);
    match read_opus_file_with_limits(&file, limits) {
        Err(OggError::PacketTooLarge { offset, limit }) => {
            assert_eq!(limit, 999);
            assert!(offset > 0 && offset < file.len(), "{offset}");
        }
        other => panic!("expected PacketTooLarge, found {other:?}"),
    }
    let at_cap = Limits::default().with_max_packet_size(1_000);
    assert_eq!(
        read_opus_file_with_limits(&file, at_cap)
            .unwrap()
            .packets
            .len(),
        1
    );
}
