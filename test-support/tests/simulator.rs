//! Properties of the session simulator: the truth is consistent, the recordings are what Janus
//! would write, and the same seed gives the same bytes.

use std::collections::HashSet;

use mjr::{MjrReader, ReaderOptions};
use mjrtool_test_support::sim::scenario::{Event, Kind, Scenario, Tracks};
use mjrtool_test_support::sim::{simulate, Session};
use rtp_depack::RtpHeader;

/// (arrival ns, RTP header) of every packet of a recording, checking it reads back cleanly.
fn read_back(file: &[u8]) -> Vec<(i64, RtpHeader)> {
    let mut r = MjrReader::with_options(
        file,
        ReaderOptions {
            strict: true,
            ..ReaderOptions::default()
        },
    )
    .expect("header reads");
    let base_ns = r.header().first_written_us.expect("u is written") * 1000;
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().expect("a simulated recording is clean") {
        let time = i64::from(p.time_ms.expect("MJR00002 packets have times"));
        out.push((
            base_ns + time * 1_000_000,
            RtpHeader::parse(&p.data).expect("RTP"),
        ));
    }
    out
}

fn short(kind: Kind, seed: u64) -> Session {
    simulate(&Scenario::preset(kind, seed, 8_000))
}

#[test]
fn truth_ids_are_unique_and_index_the_frames() {
    for kind in Kind::ALL {
        let s = short(kind, 11);
        let ids: HashSet<u32> = s.truth.frames.iter().map(|f| f.id).collect();
        assert_eq!(ids.len(), s.truth.frames.len(), "{kind:?}");
        assert!(s
            .truth
            .frames
            .iter()
            .enumerate()
            .all(|(i, f)| f.id as usize == i));
    }
}

#[test]
fn no_packet_arrives_before_its_frame_is_captured() {
    for kind in Kind::ALL {
        let s = short(kind, 12);
        for f in &s.truth.frames {
            if let Some(a) = f.first_arrival_ns {
                // 30 ms of base delay at least.
                assert!(a >= f.capture_ns + 30_000_000, "{kind:?} frame {}", f.id);
            }
            assert_eq!(f.first_arrival_ns.is_some(), f.packets_arrived > 0);
        }
    }
}

#[test]
fn recordings_read_back_with_every_packet_written_in_arrival_order() {
    for kind in Kind::ALL {
        let s = short(kind, 13);
        for (file, t) in [(&s.audio, &s.truth.audio), (&s.video, &s.truth.video)] {
            let packets = read_back(file);
            assert_eq!(packets.len() as u64, t.packets_written, "{kind:?}");
            assert_eq!(
                t.packets_written,
                t.packets_sent - t.packets_lost + t.duplicates
            );
            assert!(packets.windows(2).all(|w| w[0].0 <= w[1].0), "{kind:?}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_session_and_another_seed_another() {
    let a = short(Kind::Mixed, 5);
    let b = short(Kind::Mixed, 5);
    assert_eq!(
        (&a.audio, &a.video, &a.truth),
        (&b.audio, &b.video, &b.truth)
    );
    let c = short(Kind::Mixed, 6);
    assert_ne!(a.video, c.video);
}

#[test]
fn loss_is_counted_in_the_truth() {
    let s = simulate(&Scenario::preset(Kind::Loss, 3, 20_000));
    let lost = s.truth.audio.packets_lost + s.truth.video.packets_lost;
    assert!(lost > 0);
    let incomplete = s.truth.frames.iter().filter(|f| !f.arrived_whole()).count();
    assert!(incomplete > 0);
}

fn scenario_with(events: Vec<Event>) -> Scenario {
    let mut s = Scenario::benign(9, 10_000);
    s.events = events;
    s
}

#[test]
fn a_restart_with_a_new_ssrc_continues_sequence_numbers_as_janus_does() {
    let s = simulate(&scenario_with(vec![Event::Restart {
        at_ms: 5_000,
        gap_ms: 2_000,
        same_ssrc: false,
        tracks: Tracks::Both,
    }]));
    let packets = read_back(&s.audio);
    let ssrcs: HashSet<u32> = packets.iter().map(|p| p.1.ssrc).collect();
    assert_eq!(ssrcs.len(), 2);
    assert!(packets
        .windows(2)
        .all(|w| w[1].1.sequence == w[0].1.sequence.wrapping_add(1)));
    // The timestamp moved on by the 2 s gap and a packet (48 kHz), give or take the two
    // packets' jitter (under 40 ms), as Janus measures it between their arrivals.
    let jump = packets
        .windows(2)
        .find(|w| w[0].1.ssrc != w[1].1.ssrc)
        .map(|w| w[1].1.timestamp.wrapping_sub(w[0].1.timestamp))
        .expect("a switch");
    assert!(
        (96_000 + 960 - 1_920..=96_000 + 960 + 1_920).contains(&jump),
        "{jump}"
    );
}

#[test]
fn a_restart_with_the_same_ssrc_jumps_to_new_bases() {
    let s = simulate(&scenario_with(vec![Event::Restart {
        at_ms: 5_000,
        gap_ms: 1_000,
        same_ssrc: true,
        tracks: Tracks::Both,
    }]));
    let packets = read_back(&s.video);
    let ssrcs: HashSet<u32> = packets.iter().map(|p| p.1.ssrc).collect();
    assert_eq!(ssrcs.len(), 1);
    let epochs: HashSet<u32> = s.truth.frames.iter().map(|f| f.epoch).collect();
    assert_eq!(epochs.len(), 2);
}

#[test]
fn across_a_pause_the_rtp_clock_stands_still() {
    let s = simulate(&scenario_with(vec![Event::Pause {
        at_ms: 4_000,
        len_ms: 3_000,
        tracks: Tracks::Audio,
    }]));
    let packets = read_back(&s.audio);
    let audio: Vec<_> = s
        .truth
        .frames
        .iter()
        .filter(|f| f.kind.name() == "audio")
        .collect();
    let (i, gap) = audio
        .windows(2)
        .enumerate()
        .map(|(i, w)| (i, w[1].capture_ns - w[0].capture_ns))
        .max_by_key(|x| x.1)
        .expect("frames");
    assert!(gap >= 3_000_000_000);
    // Audio packets are never split: packet i is frame i (no loss in a benign session).
    let step = packets[i + 1]
        .1
        .timestamp
        .wrapping_sub(packets[i].1.timestamp);
    assert_eq!(step, 960);
}

#[test]
fn a_drifting_sender_clock_gives_more_media_ticks_per_wall_second() {
    let mut sc = Scenario::benign(4, 20_000);
    sc.audio_ppm = 200.0;
    let s = simulate(&sc);
    let audio: Vec<_> = s
        .truth
        .frames
        .iter()
        .filter(|f| f.kind.name() == "audio")
        .collect();
    let wall_ns = audio.last().unwrap().capture_ns - audio[0].capture_ns;
    let ticks = (audio.len() as i64 - 1) * 960;
    let ppm = (ticks as f64 / 48_000.0 * 1e9 / wall_ns as f64 - 1.0) * 1e6;
    assert!((ppm - 200.0).abs() < 1.0, "{ppm}");
}

#[test]
fn wraparound_sessions_wrap_sequence_and_timestamp() {
    let s = simulate(&Scenario::preset(Kind::Wraparound, 2, 10_000));
    for file in [&s.audio, &s.video] {
        let p = read_back(file);
        assert!(p.windows(2).any(|w| w[1].1.sequence < w[0].1.sequence));
        assert!(p.windows(2).any(|w| w[1].1.timestamp < w[0].1.timestamp));
    }
}
