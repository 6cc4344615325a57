//! The scorer against the mixer: every kind of session meets the goals, except a network stall
//! overlapping a pause with a frozen RTP clock on the same track (ignored: see its reason).

use mixer::MixerOptions;
use mjr::MediaKind;
use mjrtool_convert::track::AfterLoss;
use mjrtool_test_support::score::{keepable, score, score_with, Goals, ScoreOptions};
use mjrtool_test_support::sim::scenario::{Kind, Scenario};
use mjrtool_test_support::sim::{simulate, TruthFrame};

/// Asserts that the sessions of `kind` with these seeds meet every goal.
fn meets_goals(kind: Kind, seeds: &[u64], duration_ms: u64) {
    let sessions: Vec<(u64, u64)> = seeds.iter().map(|&s| (s, duration_ms)).collect();
    sessions_meet_goals(kind, &sessions);
}

/// Asserts that the sessions of `kind` with these (seed, duration in ms) meet every goal.
fn sessions_meet_goals(kind: Kind, sessions: &[(u64, u64)]) {
    for &(seed, duration_ms) in sessions {
        let session = simulate(&Scenario::preset(kind, seed, duration_ms));
        let s = score(&session).expect("the mixer converts a simulated session");
        let misses = s.misses(&Goals::default());
        assert!(
            misses.is_empty(),
            "--kind {} --seed {seed} --ms {duration_ms}: {misses:?}",
            kind.name()
        );
        assert_eq!(s.unknown_or_repeated, 0);
        assert!(s.placed[0] > 0 && s.placed[1] > 0);
    }
}

#[test]
fn jittery_sessions_keep_audio_and_video_in_sync() {
    meets_goals(Kind::Jitter, &[1, 2, 3], 10_000);
}

#[test]
fn sessions_with_light_loss_lose_no_intact_frame_and_stay_in_sync() {
    meets_goals(Kind::Loss, &[1, 2, 3], 10_000);
}

#[test]
fn reordered_and_duplicated_packets_change_nothing() {
    meets_goals(Kind::Reorder, &[1, 2], 10_000);
}

#[test]
fn starting_each_track_at_zero_shows_the_audio_delay_as_sync_error() {
    // What janus-pp-rec + ffmpeg do: the scorer must see it.
    let mut sc = Scenario::benign(8, 8_000);
    sc.audio_offset_ms = 1_500;
    let session = simulate(&sc);
    let options = ScoreOptions {
        mixer: MixerOptions::default().with_align(false),
        ..ScoreOptions::default()
    };
    let s = score_with(&session, &options).expect("converts");
    assert!(
        (s.sync.p50_ns - 1_500_000_000).abs() < 25_000_000,
        "{:?}",
        s.sync
    );
    let aligned = score(&session).expect("converts");
    assert!(aligned.sync.max_ns < 40_000_000, "{:?}", aligned.sync);
}

fn video(id: u32, keyframe: bool, epoch: u32, whole: bool) -> TruthFrame {
    TruthFrame {
        id,
        kind: MediaKind::Video,
        capture_ns: i64::from(id) * 33_000_000,
        duration_ns: 33_000_000,
        keyframe,
        epoch,
        packets: 2,
        packets_arrived: if whole { 2 } else { 1 },
        first_arrival_ns: Some(0),
    }
}

#[test]
fn a_perfect_tool_keeps_complete_frames_from_a_complete_keyframe_of_their_epoch() {
    let frames = [
        video(0, false, 0, true), // before any keyframe
        video(1, true, 0, true),
        video(2, false, 0, false), // damaged
        video(3, false, 0, true),  // kept only by keep-complete-frames
        video(4, true, 0, true),
        video(5, false, 1, true), // new encoder: needs its own keyframe
        video(6, true, 1, true),
    ];
    let wait = keepable(&frames, AfterLoss::WaitForKeyframe);
    assert_eq!(wait, [false, true, false, false, true, false, true]);
    let keep = keepable(&frames, AfterLoss::KeepCompleteFrames);
    assert_eq!(keep, [false, true, false, true, true, false, true]);
}

#[test]
fn a_stalled_path_that_catches_up_keeps_the_tracks_in_sync() {
    meets_goals(Kind::Stall, &[1, 2, 3, 4, 5, 6], 30_000);
}

#[test]
fn a_restart_with_the_same_ssrc_loses_no_intact_frame() {
    // Failing sessions of `timeline-score --sessions 1000` (seed, duration).
    let failing = [
        (549, 31_146),
        (714, 41_195),
        (444, 44_380),
        (144, 38_541),
        (84, 41_262),
    ];
    sessions_meet_goals(Kind::RestartSameSsrc, &failing);
}

#[test]
fn a_restart_with_a_new_ssrc_keeps_the_tracks_in_sync() {
    // Failing sessions of `timeline-score --sessions 1000` (seed, duration).
    let failing = [
        (953, 35_739),
        (158, 32_177),
        (53, 46_170),
        (698, 52_075),
        (458, 43_856),
    ];
    sessions_meet_goals(Kind::RestartNewSsrc, &failing);
}

#[test]
fn an_hour_of_drifting_sender_clocks_stays_in_sync() {
    let mut sc = Scenario::benign(21, 3_600_000);
    sc.kind = Kind::Drift;
    sc.audio_ppm = 200.0;
    sc.video_ppm = -200.0;
    let s = score(&simulate(&sc)).expect("converts");
    assert!(
        s.misses(&Goals::default()).is_empty(),
        "{:?}",
        s.misses(&Goals::default())
    );
}

#[test]
fn sessions_mixing_several_kinds_of_trouble_meet_the_goals() {
    // Sessions of `timeline-score --sessions 1000` that once failed (seed, duration): drift,
    // late starts, restarts and jitter bursts together.
    let once_failing = [(990, 57_432), (675, 56_835), (60, 46_932), (120, 56_431)];
    sessions_meet_goals(Kind::Mixed, &once_failing);
}

#[test]
#[ignore = "known limit: a stall whose backlog is still draining when the sender pauses with a frozen RTP clock looks, within one track, like a longer pause; the track moves by the part of the stall not yet drained (0.5-3 s)"]
fn a_stall_running_into_a_frozen_clock_pause_keeps_sync() {
    let failing = [
        (435, 30_817),
        (600, 42_420),
        (30, 56_068),
        (405, 30_931),
        (105, 54_289),
    ];
    sessions_meet_goals(Kind::Mixed, &failing);
}
