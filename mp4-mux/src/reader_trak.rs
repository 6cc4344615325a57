//! The reader's per-track work: sample entries and tables (ISO/IEC 14496-12 §8.5 to §8.7) and
//! fragments (§8.8). Every count is checked against the bytes that hold it, and the number of
//! samples of the whole file against `budget` (the file's length).

use crate::reader::{boxes, find, read_err as err, require, Bx, Cur, ReadError, Sample, Track};

/// Takes `n` samples off `budget`.
fn spend(budget: &mut usize, n: usize, at: usize) -> Result<(), ReadError> {
    *budget = budget
        .checked_sub(n)
        .map_or_else(|| err("no more samples than the file has bytes", n, at), Ok)?;
    Ok(())
}

/// Reads one `trak`; its samples too when `tables` (not fragmented).
pub(crate) fn trak<'a>(
    file: &'a [u8],
    trak: Bx<'a>,
    tables: bool,
    budget: &mut usize,
) -> Result<Track<'a>, ReadError> {
    let list = boxes(trak.body, trak.at)?;
    let mut t = Track::default();
    let mut c = Cur::of(require(&list, b"tkhd", trak)?);
    let (v, _) = c.full()?;
    c.var(v == 1, "tkhd times")?;
    c.var(v == 1, "tkhd times")?;
    t.id = c.u32("tkhd track_ID")?;
    if let Some(edts) = find(&list, b"edts") {
        edits(&mut t, edts)?;
    }
    let mdia = require(&list, b"mdia", trak)?;
    let mdia_list = boxes(mdia.body, mdia.at)?;
    let mut c = Cur::of(require(&mdia_list, b"mdhd", mdia)?);
    let (v, _) = c.full()?;
    c.var(v == 1, "mdhd times")?;
    c.var(v == 1, "mdhd times")?;
    t.timescale = c.u32("mdhd timescale")?;
    t.media_duration = c.var(v == 1, "mdhd duration")?;
    let minf = require(&mdia_list, b"minf", mdia)?;
    let minf_list = boxes(minf.body, minf.at)?;
    let stbl = require(&minf_list, b"stbl", minf)?;
    let stbl_list = boxes(stbl.body, stbl.at)?;
    entry(&mut t, require(&stbl_list, b"stsd", stbl)?)?;
    if tables {
        samples(file, &mut t, &stbl_list, stbl, budget)?;
    }
    Ok(t)
}

fn edits(t: &mut Track<'_>, edts: Bx<'_>) -> Result<(), ReadError> {
    let list = boxes(edts.body, edts.at)?;
    let Some(elst) = find(&list, b"elst") else {
        return Ok(());
    };
    let mut c = Cur::of(elst);
    let (v, _) = c.full()?;
    let n = c.count(if v == 1 { 20 } else { 12 }, "elst entry count")?;
    let mut media_seen = false;
    for _ in 0..n {
        let duration = c.var(v == 1, "elst segment_duration")?;
        let media_time = if v == 1 {
            c.u64("elst media_time")? as i64
        } else {
            i64::from(c.u32("elst media_time")? as i32)
        };
        c.u32("elst media_rate")?;
        if media_time == -1 && !media_seen {
            t.empty_edit = t.empty_edit.saturating_add(duration);
        } else if !media_seen {
            t.media_time = media_time;
            media_seen = true;
        }
    }
    Ok(())
}

/// The first sample entry of `stsd` (§8.5.2): its type, size or audio fields, and config box.
fn entry<'a>(t: &mut Track<'a>, stsd: Bx<'a>) -> Result<(), ReadError> {
    let mut c = Cur::of(stsd);
    c.full()?;
    if c.count(8, "stsd entry count")? == 0 {
        return err("a sample entry", "none", stsd.at);
    }
    let rest = &stsd.body[8..];
    let list = boxes(rest, stsd.at + 8)?;
    let Some(e) = list.first() else {
        return err("a sample entry", "none", stsd.at);
    };
    t.codec = e.kind;
    let mut c = Cur::of(*e);
    c.take(8, "a sample entry header")?;
    let visual = matches!(
        &e.kind,
        b"avc1" | b"avc3" | b"hvc1" | b"hev1" | b"av01" | b"vp09" | b"vp08"
    );
    let fields = if visual {
        c.take(16, "visual sample entry fields")?;
        let w = c.u16("width")?;
        let h = c.u16("height")?;
        t.size = Some((w, h));
        78
    } else {
        c.take(8, "audio sample entry fields")?;
        let ch = c.u16("channelcount")?;
        c.take(6, "audio sample entry fields")?;
        let rate = c.u32("samplerate")? >> 16;
        t.audio = Some((ch, rate));
        28
    };
    if let Some(body) = e.body.get(fields..) {
        if let Ok(kids) = boxes(body, e.at + fields) {
            t.config = kids.first().map(|k| {
                if &k.kind == b"vpcC" {
                    k.body.get(4..).unwrap_or_default()
                } else {
                    k.body
                }
            });
        }
    }
    Ok(())
}

/// Builds the samples from `stts`, `stss`, `stsz`, `stsc` and `stco`/`co64`.
fn samples<'a>(
    file: &'a [u8],
    t: &mut Track<'a>,
    list: &[Bx<'a>],
    stbl: Bx<'a>,
    budget: &mut usize,
) -> Result<(), ReadError> {
    let stsz = require(list, b"stsz", stbl)?;
    let mut sz = Cur::of(stsz);
    sz.full()?;
    let fixed = sz.u32("stsz sample_size")?;
    let count = if fixed == 0 {
        sz.count(4, "stsz sample_count")?
    } else {
        sz.u32("stsz sample_count")? as usize
    };
    spend(budget, count, stsz.at)?;
    let mut stts = Cur::of(require(list, b"stts", stbl)?);
    stts.full()?;
    let mut stts_left = stts.count(8, "stts entry count")?;
    let mut run = (0u32, 0u32);
    let sync = match find(list, b"stss") {
        Some(b) => {
            let mut c = Cur::of(b);
            c.full()?;
            let n = c.count(4, "stss entry count")?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(c.u32("stss sample_number")?);
            }
            Some(v)
        }
        None => None,
    };
    let stsc_box = require(list, b"stsc", stbl)?;
    let mut stsc = Cur::of(stsc_box);
    stsc.full()?;
    let nstsc = stsc.count(12, "stsc entry count")?;
    let mut runs = Vec::with_capacity(nstsc);
    for _ in 0..nstsc {
        runs.push((
            stsc.u32("stsc first_chunk")?,
            stsc.u32("stsc samples_per_chunk")?,
        ));
        stsc.u32("stsc sample_description_index")?;
    }
    let (co, wide) = match (find(list, b"stco"), find(list, b"co64")) {
        (Some(b), _) => (b, false),
        (None, Some(b)) => (b, true),
        _ => return err("an stco or co64 box", "none", stbl.start),
    };
    let mut cc = Cur::of(co);
    cc.full()?;
    let chunks = cc.count(if wide { 8 } else { 4 }, "chunk offset count")?;
    let mut time = 0u64;
    let mut n = 0usize;
    for chunk in 1..=chunks {
        let offset = cc.var(wide, "chunk offset")?;
        let per = runs
            .iter()
            .rev()
            .find(|r| r.0 as usize <= chunk)
            .map_or(0, |r| r.1);
        let mut pos = offset;
        for _ in 0..per {
            if n == count {
                break;
            }
            let size = if fixed == 0 {
                sz.u32("stsz entry_size")?
            } else {
                fixed
            };
            while run.0 == 0 && stts_left > 0 {
                run = (
                    stts.u32("stts sample_count")?,
                    stts.u32("stts sample_delta")?,
                );
                stts_left -= 1;
            }
            let duration = if run.0 > 0 {
                run.0 -= 1;
                run.1
            } else {
                0
            };
            let number = n as u32 + 1;
            let is_sync = sync
                .as_ref()
                .is_none_or(|s| s.binary_search(&number).is_ok());
            let data = usize::try_from(pos)
                .ok()
                .and_then(|p| file.get(p..p.checked_add(size as usize)?))
                .map_or_else(
                    || {
                        err(
                            "a sample inside the file",
                            format!("{size} bytes at {pos}"),
                            co.at,
                        )
                    },
                    Ok,
                )?;
            t.samples.push(Sample {
                time,
                duration,
                sync: is_sync,
                data,
            });
            time = time.saturating_add(u64::from(duration));
            pos = pos.saturating_add(u64::from(size));
            n += 1;
        }
    }
    if n != count {
        return err(
            "chunks holding every sample of stsz",
            format!("{n} of {count}"),
            stsz.at,
        );
    }
    Ok(())
}

/// Defaults of one track (`trex`, §8.8.3): (duration, size, flags).
type Defaults = (u32, u32, u32);

/// Reads the samples of every `moof` (§8.8.4 to §8.8.8).
pub(crate) fn fragments<'a>(
    file: &'a [u8],
    top: &[Bx<'a>],
    mvex: Bx<'a>,
    tracks: &mut [Track<'a>],
    budget: &mut usize,
) -> Result<(), ReadError> {
    let mut trex: Vec<(u32, Defaults)> = Vec::new();
    for b in boxes(mvex.body, mvex.at)?
        .iter()
        .filter(|b| &b.kind == b"trex")
    {
        let mut c = Cur::of(*b);
        c.full()?;
        let id = c.u32("trex track_ID")?;
        c.u32("trex default_sample_description_index")?;
        trex.push((
            id,
            (
                c.u32("trex duration")?,
                c.u32("trex size")?,
                c.u32("trex flags")?,
            ),
        ));
    }
    for moof in top.iter().filter(|b| &b.kind == b"moof") {
        for traf in boxes(moof.body, moof.at)?
            .iter()
            .filter(|b| &b.kind == b"traf")
        {
            traf_samples(file, *moof, *traf, &trex, tracks, budget)?;
        }
    }
    Ok(())
}

fn traf_samples<'a>(
    file: &'a [u8],
    moof: Bx<'a>,
    traf: Bx<'a>,
    trex: &[(u32, Defaults)],
    tracks: &mut [Track<'a>],
    budget: &mut usize,
) -> Result<(), ReadError> {
    let list = boxes(traf.body, traf.at)?;
    let Some(tfhd) = find(&list, b"tfhd") else {
        return err("a tfhd box", "none", traf.start);
    };
    let mut c = Cur::of(tfhd);
    let (_, flags) = c.full()?;
    let id = c.u32("tfhd track_ID")?;
    let Some(t) = tracks.iter_mut().find(|t| t.id == id) else {
        return err("a traf of a track in moov", id, tfhd.at);
    };
    let mut d = trex.iter().find(|x| x.0 == id).map_or((0, 0, 0), |x| x.1);
    let mut base = moof.start as u64;
    if flags & 0x1 != 0 {
        base = c.u64("tfhd base_data_offset")?;
    }
    if flags & 0x2 != 0 {
        c.u32("tfhd sample_description_index")?;
    }
    if flags & 0x8 != 0 {
        d.0 = c.u32("tfhd default_sample_duration")?;
    }
    if flags & 0x10 != 0 {
        d.1 = c.u32("tfhd default_sample_size")?;
    }
    if flags & 0x20 != 0 {
        d.2 = c.u32("tfhd default_sample_flags")?;
    }
    let mut time = t
        .samples
        .last()
        .map_or(0, |s| s.time.saturating_add(u64::from(s.duration)));
    if let Some(tfdt) = find(&list, b"tfdt") {
        let mut c = Cur::of(tfdt);
        let (v, _) = c.full()?;
        time = c.var(v == 1, "tfdt baseMediaDecodeTime")?;
    }
    let mut pos = base;
    for trun in list.iter().filter(|b| &b.kind == b"trun") {
        let mut c = Cur::of(*trun);
        let (_, f) = c.full()?;
        let per = 4 * [0x100, 0x200, 0x400, 0x800]
            .iter()
            .filter(|&&m| f & m != 0)
            .count();
        let n = c.count(per, "trun sample_count")?;
        spend(budget, n, trun.at)?;
        if f & 0x1 != 0 {
            pos = base.saturating_add_signed(i64::from(c.u32("trun data_offset")? as i32));
        }
        let first_flags = if f & 0x4 != 0 {
            Some(c.u32("trun first_sample_flags")?)
        } else {
            None
        };
        for i in 0..n {
            let duration = if f & 0x100 != 0 {
                c.u32("trun sample_duration")?
            } else {
                d.0
            };
            let size = if f & 0x200 != 0 {
                c.u32("trun sample_size")?
            } else {
                d.1
            };
            let mut sflags = if f & 0x400 != 0 {
                c.u32("trun sample_flags")?
            } else {
                d.2
            };
            if i == 0 {
                sflags = first_flags.unwrap_or(sflags);
            }
            if f & 0x800 != 0 {
                c.u32("trun sample_composition_time_offset")?;
            }
            let data = usize::try_from(pos)
                .ok()
                .and_then(|p| file.get(p..p.checked_add(size as usize)?))
                .map_or_else(
                    || {
                        err(
                            "a sample inside the file",
                            format!("{size} bytes at {pos}"),
                            c.offset(),
                        )
                    },
                    Ok,
                )?;
            t.samples.push(Sample {
                time,
                duration,
                sync: sflags & 0x0001_0000 == 0,
                data,
            });
            time = time.saturating_add(u64::from(duration));
            pos = pos.saturating_add(u64::from(size));
        }
    }
    Ok(())
}
