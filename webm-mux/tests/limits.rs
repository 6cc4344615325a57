//! The reader's [`Limits`]: past a cap, a typed error that says which cap and where; at the
//! defaults, what the muxer writes reads as before.

use std::io::Cursor;

use webm_mux::reader::{parse, parse_with_limits, Limits, ReadError, MAX_DEPTH};
use webm_mux::{Muxer, MuxerOptions, TrackConfig};

/// A WebM file of one VP8 track with `blocks` one-byte blocks, 40 ms apart.
fn file_with_blocks(blocks: u64) -> Vec<u8> {
    let tracks = vec![TrackConfig::vp8(1, 320, 240)];
    let mut m = Muxer::new(Cursor::new(Vec::new()), MuxerOptions::default(), tracks).unwrap();
    for i in 0..blocks {
        m.write_block(1, i * 40_000_000, i == 0, b"v").unwrap();
    }
    m.finish().unwrap().into_inner()
}

#[test]
fn the_default_limits_read_what_the_muxer_writes() {
    assert_eq!(Limits::default().max_depth, MAX_DEPTH);
    assert_eq!(parse(&file_with_blocks(50)).unwrap().blocks.len(), 50);
}

#[test]
fn blocks_past_the_cap_are_refused_at_the_first_one_past_it() {
    let file = file_with_blocks(50);
    let limits = Limits::default().with_max_blocks(20);
    match parse_with_limits(&file, &limits) {
        Err(ReadError::TooMany {
            what,
            limit,
            offset,
        }) => {
            assert_eq!((what, limit), ("blocks", 20));
            assert!(offset < file.len(), "{offset}");
        }
        other => panic!("expected TooMany, found {other:?}"),
    }
    let at_cap = Limits::default().with_max_blocks(50);
    assert_eq!(parse_with_limits(&file, &at_cap).unwrap().blocks.len(), 50);
}

#[test]
fn nesting_past_the_depth_cap_is_refused_with_the_cap() {
    // Tracks > TrackEntry > Video is nested three deep under the Segment.
    let file = file_with_blocks(3);
    let limits = Limits::default().with_max_depth(2);
    let error = parse_with_limits(&file, &limits).unwrap_err();
    assert!(
        matches!(error, ReadError::TooDeep { limit: 2, .. }),
        "{error:?}"
    );
    assert!(error
        .to_string()
        .starts_with("elements nested deeper than 2 at byte "));
}
