//! The seek index: which clusters the Cues name, and how many are kept until the end.
//!
//! Rules, and why:
//!
//! * A cue point names a cluster that starts with a keyframe of its track (the muxer offers
//!   only those), so a player that jumps to it can decode from its first block.
//! * A track gets a new point only when at least the spacing (default 1 s of media time, at
//!   least 1 ms) has passed since its previous one. A player seeks to the point at or before the target and
//!   decodes forward, so a finer index buys little, while a keyframe every millisecond would
//!   otherwise cost a point (24 bytes of memory, about 20 bytes of file) each.
//! * At most `max_points` are held. When a new point would go past that, every other point of
//!   each track is dropped (its first is kept) and the spacing doubles. Points stay spread evenly
//!   over the whole file, and each track still starts with its first keyframe.
//!
//! Bound: never more than `max(max_points, 2 × tracks)` points in memory, 24 bytes each, and
//! consecutive points of one track at least the current spacing apart, so a track has at most
//! `duration / spacing + 1` of them. The points are in the order their clusters were written.

use std::io::{self, Write};

use crate::ebml::*;

/// One point: a cluster that starts with a keyframe of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CuePoint {
    /// Time of the cluster (and of the keyframe), ms.
    pub time_ms: u64,
    /// The cluster's position from the start of the Segment's data.
    pub cluster_pos: u64,
    /// Index of the track in the muxer's list (not its number).
    pub track: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct TrackCues {
    /// Earliest time of the next point, ms (`None`: no point yet).
    next_ms: Option<u64>,
    /// Points seen while thinning (which are even).
    seen: usize,
    /// Time of the last point kept while thinning.
    last_kept_ms: Option<u64>,
}

/// Cue points collected while muxing, bounded as the module docs say.
#[derive(Debug, Clone)]
pub(crate) struct CueIndex {
    points: Vec<CuePoint>,
    tracks: Vec<TrackCues>,
    spacing_ms: u64,
    max_points: usize,
}

impl CueIndex {
    /// An empty index for `tracks` tracks.
    pub fn new(tracks: usize, spacing_ms: u64, max_points: usize) -> CueIndex {
        CueIndex {
            points: Vec::new(),
            tracks: vec![TrackCues::default(); tracks],
            spacing_ms: spacing_ms.max(1),
            max_points: max_points.max(2 * tracks).max(2),
        }
    }

    /// Whether a keyframe of `track` at `time_ms`, opening a cluster, would get a point.
    pub fn wants(&self, track: usize, time_ms: u64) -> bool {
        self.tracks[track]
            .next_ms
            .is_none_or(|next| time_ms >= next)
    }

    /// Adds a point (after [`CueIndex::wants`] said yes), thinning first if the index is full.
    pub fn push(&mut self, track: usize, time_ms: u64, cluster_pos: u64) {
        if self.points.len() >= self.max_points {
            self.thin();
        }
        if !self.wants(track, time_ms) {
            // Thinning doubled the spacing and this point is now too close to the last kept one.
            return;
        }
        self.points.push(CuePoint {
            time_ms,
            cluster_pos,
            track,
        });
        self.tracks[track].next_ms = Some(time_ms.saturating_add(self.spacing_ms));
    }

    /// Drops every other point of each track and doubles the spacing.
    fn thin(&mut self) {
        for t in &mut self.tracks {
            t.seen = 0;
            t.last_kept_ms = None;
        }
        let tracks = &mut self.tracks;
        self.points.retain(|p| {
            let t = &mut tracks[p.track];
            let keep = t.seen % 2 == 0;
            t.seen += 1;
            if keep {
                t.last_kept_ms = Some(p.time_ms);
            }
            keep
        });
        self.spacing_ms = self.spacing_ms.saturating_mul(2).max(1);
        for t in &mut self.tracks {
            if let Some(last) = t.last_kept_ms {
                t.next_ms = Some(last.saturating_add(self.spacing_ms));
            }
        }
    }

    /// The points held, in file order.
    pub fn points(&self) -> &[CuePoint] {
        &self.points
    }

    /// The spacing now in force, ms.
    pub fn spacing_ms(&self) -> u64 {
        self.spacing_ms
    }

    /// Writes the Cues element to `w` (`numbers[i]` is the track number of track index `i`),
    /// a few KiB at a time, and returns the bytes written. Nothing is written without points.
    ///
    /// # Errors
    ///
    /// Those of `w`.
    pub fn write<W: Write>(&self, w: &mut W, numbers: &[u64]) -> io::Result<u64> {
        if self.points.is_empty() {
            return Ok(0);
        }
        let mut enc = PointEncoder::default();
        let body: u64 = self
            .points
            .iter()
            .map(|p| enc.encode(p, numbers).len() as u64)
            .sum();
        let mut buf = Vec::with_capacity(64 << 10);
        write_id(&mut buf, CUES);
        write_size(&mut buf, body);
        let total = buf.len() as u64 + body;
        for p in &self.points {
            buf.extend_from_slice(enc.encode(p, numbers));
            if buf.len() >= 60 << 10 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
        Ok(total)
    }
}

/// Encodes CuePoint elements in reused buffers.
#[derive(Default)]
struct PointEncoder {
    positions: Vec<u8>,
    body: Vec<u8>,
    out: Vec<u8>,
}

impl PointEncoder {
    fn encode(&mut self, p: &CuePoint, numbers: &[u64]) -> &[u8] {
        self.positions.clear();
        write_uint(&mut self.positions, CUE_TRACK, numbers[p.track]);
        write_uint(&mut self.positions, CUE_CLUSTER_POSITION, p.cluster_pos);
        self.body.clear();
        write_uint(&mut self.body, CUE_TIME, p.time_ms);
        write_binary(&mut self.body, CUE_TRACK_POSITIONS, &self.positions);
        self.out.clear();
        write_binary(&mut self.out, CUE_POINT, &self.body);
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Offers keyframes of `track` at the given times, as the muxer does (cluster positions
    /// are the times, to check which points survive).
    fn offer(index: &mut CueIndex, keys: &[(usize, u64)]) {
        for &(track, ms) in keys {
            if index.wants(track, ms) {
                index.push(track, ms, ms);
            }
        }
    }

    #[test]
    fn a_keyframe_every_millisecond_gets_a_point_a_second() {
        let mut index = CueIndex::new(1, 1000, 1 << 20);
        let keys: Vec<(usize, u64)> = (0..100_000).map(|ms| (0, ms)).collect();
        offer(&mut index, &keys);
        assert_eq!(index.points().len(), 100);
        assert!(index.points().iter().all(|p| p.time_ms % 1000 == 0));
    }

    #[test]
    fn a_full_index_halves_and_doubles_its_spacing() {
        let mut index = CueIndex::new(1, 1000, 8);
        let keys: Vec<(usize, u64)> = (0..9).map(|s| (0, s * 1000)).collect();
        offer(&mut index, &keys);
        let times: Vec<u64> = index.points().iter().map(|p| p.time_ms).collect();
        assert_eq!(times, [0, 2000, 4000, 6000, 8000]);
        assert_eq!(index.spacing_ms(), 2000);
    }

    #[test]
    fn cues_element_reads_back() {
        let mut index = CueIndex::new(2, 1, 100);
        offer(&mut index, &[(0, 0), (1, 5), (0, 300_000)]);
        let mut out = Vec::new();
        let n = index.write(&mut out, &[7, 9]).unwrap();
        assert_eq!(n, out.len() as u64);
        let (id, id_len) = read_id(&out).unwrap();
        assert_eq!(id, CUES);
        let (size, size_len) = read_size(&out[id_len..]).unwrap();
        assert_eq!(size, Some((out.len() - id_len - size_len) as u64));
    }

    proptest! {
        #[test]
        fn points_stay_under_the_cap_spaced_and_each_track_keeps_its_first(
            gaps in prop::collection::vec((0usize..3, 0u64..3000), 1..3000),
            spacing in 0u64..2000,
            max in 0usize..64,
        ) {
            let mut t = 0;
            let keys: Vec<(usize, u64)> = gaps.iter().map(|&(track, gap)| { t += gap; (track, t) }).collect();
            let mut index = CueIndex::new(3, spacing, max);
            let mut firsts = [None; 3];
            for &(track, ms) in &keys {
                firsts[track].get_or_insert(ms);
                if index.wants(track, ms) {
                    index.push(track, ms, ms);
                }
                prop_assert!(index.points().len() <= max.max(6));
            }
            for (track, first) in firsts.iter().enumerate() {
                let times: Vec<u64> = index.points().iter().filter(|p| p.track == track).map(|p| p.time_ms).collect();
                prop_assert_eq!(times.first(), first.as_ref());
                for w in times.windows(2) {
                    prop_assert!(w[1] - w[0] >= index.spacing_ms(), "{:?} closer than {}", w, index.spacing_ms());
                }
            }
            prop_assert!(index.points().windows(2).all(|w| w[0].cluster_pos <= w[1].cluster_pos));
        }
    }
}
