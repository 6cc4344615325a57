//! Scoring frames placed by another tool (`score_placed`, used by `pprec-score` for
//! janus-pp-rec + ffmpeg): the same measures as for the mixer, from (track, time, id) alone.

use mjr::MediaKind;
use mjrtool_convert::track::AfterLoss;
use mjrtool_test_support::score::{score_placed, Placed};
use mjrtool_test_support::sim::scenario::{Kind, Scenario};
use mjrtool_test_support::sim::{simulate, Session};

/// Every frame that arrived whole, placed at its capture time (less the first), video moved by
/// `video_shift_ns`; a zero-length output end is the truth's end.
fn placed_at_capture(session: &Session, video_shift_ns: i64) -> (Vec<Placed>, i64) {
    let truth = &session.truth.frames;
    let zero = truth.iter().map(|f| f.capture_ns).min().unwrap_or(0);
    let mut frames: Vec<Placed> = truth
        .iter()
        .filter(|f| f.arrived_whole())
        .map(|f| {
            let video = f.kind == MediaKind::Video;
            Placed {
                track: usize::from(video),
                time_ns: f.capture_ns - zero + if video { video_shift_ns } else { 0 },
                id: Some(f.id),
                synthetic: false,
            }
        })
        .collect();
    frames.sort_by_key(|p| (p.track, p.time_ns));
    let end = truth
        .iter()
        .map(|f| f.capture_ns + f.duration_ns - zero)
        .max()
        .unwrap_or(0);
    (frames, end)
}

#[test]
fn frames_placed_at_their_capture_times_score_no_sync_error_and_no_loss() {
    let session = simulate(&Scenario::preset(Kind::Jitter, 5, 8_000));
    let (frames, end) = placed_at_capture(&session, 0);
    let s = score_placed(&session, AfterLoss::KeepCompleteFrames, frames, end);
    assert_eq!(s.sync.max_ns, 0);
    assert_eq!(s.intact_lost, [0, 0]);
    assert_eq!(s.duration_error_ns, 0);
    assert_eq!(s.unknown_or_repeated + s.non_increasing(), 0);
    assert!(s.placed[0] > 300 && s.placed[1] > 200, "{:?}", s.placed);
}

#[test]
fn late_video_shows_as_sync_error_and_missing_frames_as_lost() {
    let session = simulate(&Scenario::preset(Kind::Jitter, 6, 8_000));
    let (mut frames, end) = placed_at_capture(&session, 100_000_000);
    let first_video = frames.iter().position(|p| p.track == 1).expect("video");
    frames.remove(first_video + 10);
    frames.remove(3);
    // A frame without an id is filler, not a loss nor an unknown frame.
    frames.push(Placed {
        track: 0,
        time_ns: end,
        id: None,
        synthetic: true,
    });
    let s = score_placed(&session, AfterLoss::KeepCompleteFrames, frames, end);
    assert_eq!(s.sync.p50_ns, 100_000_000);
    assert_eq!(s.sync.max_ns, 100_000_000);
    assert_eq!(s.intact_lost, [1, 1]);
    assert_eq!((s.silence, s.unknown_or_repeated), (1, 0));
}
