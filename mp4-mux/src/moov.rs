//! `ftyp` and `moov` (ISO/IEC 14496-12 §4.3, §8.2 to §8.8): the movie header, one `trak` per
//! track with its edit list and sample tables, and `mvex` for a fragmented file.
//!
//! Times: the movie timescale is [`MOVIE_TIMESCALE`] (ms), each track's media timescale is its
//! own ([`crate::entry`]). A track whose first sample comes after the start of the output gets
//! an empty edit of that length (§8.6.6), so players keep it apart from the others; an Opus
//! track's edit starts at the pre-skip, which decoders drop (Opus-ISOBMFF §4.4).

use crate::bmff::BoxBuf;
use crate::entry::{rescale, TrackSetup};
use crate::error::Mp4Error;
use crate::table::SampleTable;

/// Ticks per second of the movie timeline (`mvhd`, `tkhd`, `elst` durations).
pub(crate) const MOVIE_TIMESCALE: u32 = 1000;

/// What `moov` needs to know of one track.
pub(crate) struct Trak<'a> {
    pub(crate) setup: &'a TrackSetup,
    /// Sum of the sample durations, media ticks.
    pub(crate) media_duration: u64,
    /// Time of the first sample from the start of the output, media ticks (faststart: an empty
    /// edit; fragmented files carry it in `tfdt` instead).
    pub(crate) offset: u64,
    /// The sample tables (faststart), none for a fragmented file.
    pub(crate) table: Option<&'a SampleTable>,
    /// The first keyframe (VP9's `vpcC` reads its profile).
    pub(crate) first_key: Option<&'a [u8]>,
}

/// Writes `ftyp` (§4.3).
pub(crate) fn ftyp(fragmented: bool) -> Result<Vec<u8>, Mp4Error> {
    let mut b = BoxBuf::new();
    b.open(b"ftyp");
    b.bytes(b"isom");
    b.u32(0x200);
    b.bytes(b"isomiso2");
    if fragmented {
        b.bytes(b"iso6");
    }
    b.bytes(b"mp41");
    b.close()?;
    Ok(b.buf)
}

/// Writes `moov`; chunk offsets move by `base`, 64-bit (`co64`) when `wide`.
pub(crate) fn moov(
    traks: &[Trak<'_>],
    duration_ms: u64,
    base: u64,
    wide: bool,
    tags: &[(String, String)],
) -> Result<Vec<u8>, Mp4Error> {
    let fragmented = traks.iter().all(|t| t.table.is_none());
    let mut b = BoxBuf::new();
    b.open(b"moov");
    let spans: Vec<u64> = traks.iter().map(track_span).collect();
    let movie = spans.iter().copied().fold(duration_ms, u64::max);
    mvhd(&mut b, if fragmented { 0 } else { movie }, traks.len())?;
    for (i, t) in traks.iter().enumerate() {
        trak(&mut b, t, i as u32 + 1, spans[i], base, wide)?;
    }
    if fragmented {
        b.open(b"mvex");
        for i in 0..traks.len() {
            b.open_full(b"trex", 0, 0);
            b.u32(i as u32 + 1); // track_ID
            b.u32(1); // default_sample_description_index
            b.zeros(12); // default duration, size, flags
            b.close()?;
        }
        b.close()?;
    }
    crate::tags::udta(&mut b, tags)?;
    b.close()?;
    Ok(b.buf)
}

/// The track's length on the movie timeline: its empty edit and its media edit.
fn track_span(t: &Trak<'_>) -> u64 {
    let (empty, media) = edit_lengths(t);
    empty.saturating_add(media)
}

/// (empty edit, media edit) in movie ticks.
fn edit_lengths(t: &Trak<'_>) -> (u64, u64) {
    let ts = t.setup.timescale;
    let media = t.media_duration.saturating_sub(u64::from(t.setup.skip));
    (
        rescale(t.offset, ts, MOVIE_TIMESCALE),
        rescale(media, ts, MOVIE_TIMESCALE),
    )
}

fn mvhd(b: &mut BoxBuf, duration: u64, tracks: usize) -> Result<(), Mp4Error> {
    let wide = duration > u64::from(u32::MAX);
    b.open_full(b"mvhd", u8::from(wide), 0);
    b.u32_or_u64(wide, 0); // creation_time
    b.u32_or_u64(wide, 0); // modification_time
    b.u32(MOVIE_TIMESCALE);
    b.u32_or_u64(wide, duration);
    b.u32(0x0001_0000); // rate 1.0
    b.u16(0x0100); // volume 1.0
    b.zeros(10);
    b.unity_matrix();
    b.zeros(24); // pre_defined
    b.u32(tracks as u32 + 1); // next_track_ID
    b.close()
}

fn trak(
    b: &mut BoxBuf,
    t: &Trak<'_>,
    id: u32,
    span: u64,
    base: u64,
    wide: bool,
) -> Result<(), Mp4Error> {
    b.open(b"trak");
    tkhd(b, t, id, if t.table.is_some() { span } else { 0 })?;
    if t.table.is_some() {
        edts(b, t)?;
    }
    b.open(b"mdia");
    let duration = if t.table.is_some() {
        t.media_duration
    } else {
        0
    };
    let v1 = duration > u64::from(u32::MAX);
    b.open_full(b"mdhd", u8::from(v1), 0);
    b.u32_or_u64(v1, 0);
    b.u32_or_u64(v1, 0);
    b.u32(t.setup.timescale);
    b.u32_or_u64(v1, duration);
    b.u16(0x55C4); // language "und" (ISO 639-2/T, 5 bits a letter)
    b.u16(0);
    b.close()?;
    b.open_full(b"hdlr", 0, 0);
    b.u32(0);
    b.bytes(t.setup.handler());
    b.zeros(12);
    b.bytes(if t.setup.video.is_some() {
        b"VideoHandler\0"
    } else {
        b"SoundHandler\0"
    });
    b.close()?;
    b.open(b"minf");
    if t.setup.video.is_some() {
        b.open_full(b"vmhd", 0, 1);
        b.zeros(8);
    } else {
        b.open_full(b"smhd", 0, 0);
        b.zeros(4);
    }
    b.close()?;
    b.open(b"dinf");
    b.open_full(b"dref", 0, 0);
    b.u32(1);
    b.open_full(b"url ", 0, 1); // media data in this file
    b.close()?;
    b.close()?;
    b.close()?;
    b.open(b"stbl");
    t.setup.write_stsd(b, t.first_key)?;
    match t.table {
        Some(table) => table.write(b, base, wide)?,
        None => {
            for kind in [b"stts", b"stsc", b"stco"] {
                b.open_full(kind, 0, 0);
                b.u32(0);
                b.close()?;
            }
            b.open_full(b"stsz", 0, 0);
            b.zeros(8);
            b.close()?;
        }
    }
    b.close()?; // stbl
    b.close()?; // minf
    b.close()?; // mdia
    b.close()
}

fn tkhd(b: &mut BoxBuf, t: &Trak<'_>, id: u32, duration: u64) -> Result<(), Mp4Error> {
    let v1 = duration > u64::from(u32::MAX);
    b.open_full(b"tkhd", u8::from(v1), 3); // enabled, in movie
    b.u32_or_u64(v1, 0);
    b.u32_or_u64(v1, 0);
    b.u32(id);
    b.u32(0);
    b.u32_or_u64(v1, duration);
    b.zeros(8);
    b.u16(0); // layer
    b.u16(0); // alternate_group
    b.u16(if t.setup.video.is_some() { 0 } else { 0x0100 }); // volume
    b.u16(0);
    let (w, h) = t.setup.video.unwrap_or((0, 0));
    b.matrix(t.setup.rotation, w, h);
    b.u32(u32::from(w) << 16);
    b.u32(u32::from(h) << 16);
    b.close()
}

/// `edts`/`elst` (§8.6.6): an empty edit for a late start, then the media from the pre-skip on.
/// Left out when neither is needed.
fn edts(b: &mut BoxBuf, t: &Trak<'_>) -> Result<(), Mp4Error> {
    let (empty, media) = edit_lengths(t);
    if empty == 0 && t.setup.skip == 0 {
        return Ok(());
    }
    let skip = u64::from(t.setup.skip);
    let v1 = empty.max(media).max(skip) > u64::from(i32::MAX as u32);
    b.open(b"edts");
    b.open_full(b"elst", u8::from(v1), 0);
    b.u32(if empty > 0 { 2 } else { 1 });
    if empty > 0 {
        b.u32_or_u64(v1, empty);
        b.u32_or_u64(v1, if v1 { u64::MAX } else { u64::from(u32::MAX) }); // media_time = -1
        b.u32(0x0001_0000);
    }
    b.u32_or_u64(v1, media);
    b.u32_or_u64(v1, skip);
    b.u32(0x0001_0000); // media_rate 1.0
    b.close()?;
    b.close()
}
