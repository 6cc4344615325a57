//! Folders of recordings as Janus leaves them: many small sessions in every naming scheme that
//! `mjrtool batch` groups (see `mjrtool_convert::session`), and damaged ones.
//!
//! Each session is a short synthetic VP8 + Opus pair from [`crate::synth`] (our own
//! packetizers and MJR writer), named as the plugin would name it, and started 10 s after the
//! previous one so that creation times never mix sessions up.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::synth::{self, SynthOptions};

/// A session written into a folder, and what grouping should find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The session's name (its output's name without the extension).
    pub name: String,
    /// Its files, sorted.
    pub files: Vec<PathBuf>,
}

/// The naming schemes [`write_session`] can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `videoroom-<room>-user-<id>-<time>-<media>-<mindex>`, streams 3 µs apart.
    VideoRoom,
    /// `sip-<user>-<call>-<time>-own-<media>`.
    Sip,
    /// `<base>-<media>-<mindex>`.
    BaseName,
    /// `rec-<id>-<media>.mjr` and `<id>.nfo`.
    RecordPlay,
    /// Names without a scheme; grouped by header creation time.
    Unnamed,
}

/// All of them, in the order [`generate`] cycles through.
pub const NAMINGS: [Naming; 5] = [
    Naming::VideoRoom,
    Naming::Sip,
    Naming::BaseName,
    Naming::RecordPlay,
    Naming::Unnamed,
];

/// The first session's start, µs since the epoch.
pub const START_US: i64 = 1_700_000_000_000_000;

fn pair(dir: &Path, audio: &str, video: &str, o: &SynthOptions) -> std::io::Result<[PathBuf; 2]> {
    let (a, v) = (dir.join(audio), dir.join(video));
    synth::write_audio(File::create(&a)?, o)?;
    synth::write_video(File::create(&v)?, o)?;
    Ok([a, v])
}

/// Writes session `i` (starting at `START_US + i * 10 s`, `duration_ms` long) named by `naming`.
///
/// # Errors
///
/// Writing a file failed.
pub fn write_session(
    dir: &Path,
    naming: Naming,
    i: u64,
    duration_ms: u64,
) -> std::io::Result<Expected> {
    let t = START_US + i as i64 * 10_000_000;
    let o = SynthOptions {
        duration_ms,
        start_unix_us: t,
        seed: i + 1,
        ..SynthOptions::default()
    };
    let (name, mut files) = match naming {
        Naming::VideoRoom => {
            let p = format!("videoroom-1234-user-{i}");
            let files = pair(
                dir,
                &format!("{p}-{t}-audio-0.mjr"),
                &format!("{p}-{}-video-1.mjr", t + 3),
                &o,
            )?;
            (format!("{p}-{t}"), files.to_vec())
        }
        Naming::Sip => {
            let p = format!("sip-alice{i}-Xq9{i}-{t}");
            let files = pair(
                dir,
                &format!("{p}-own-audio.mjr"),
                &format!("{p}-own-video.mjr"),
                &o,
            )?;
            (p, files.to_vec())
        }
        Naming::BaseName => {
            let p = format!("lecture{i}");
            let files = pair(
                dir,
                &format!("{p}-audio-0.mjr"),
                &format!("{p}-video-1.mjr"),
                &o,
            )?;
            (p, files.to_vec())
        }
        Naming::RecordPlay => {
            let id = 5000 + i;
            let (a, v) = (format!("rec-{id}-audio.mjr"), format!("rec-{id}-video.mjr"));
            let mut files = pair(dir, &a, &v, &o)?.to_vec();
            let nfo = dir.join(format!("{id}.nfo"));
            std::fs::write(&nfo, synth::nfo_text(id, Some(&a), Some(&v)))?;
            files.push(nfo);
            (id.to_string(), files)
        }
        Naming::Unnamed => {
            let files = pair(dir, &format!("anon{i}a.mjr"), &format!("anon{i}v.mjr"), &o)?;
            (format!("anon{i}a"), files.to_vec())
        }
    };
    files.sort();
    Ok(Expected { name, files })
}

/// Writes `count` sessions cycling through [`NAMINGS`], each `duration_ms` long.
///
/// # Errors
///
/// Writing a file failed.
pub fn generate(dir: &Path, count: u64, duration_ms: u64) -> std::io::Result<Vec<Expected>> {
    (0..count)
        .map(|i| write_session(dir, NAMINGS[(i % 5) as usize], i, duration_ms))
        .collect()
}

/// Writes a VideoRoom session `i` whose audio recording's header is cut short (a crash while
/// Janus created it): the session cannot be converted.
///
/// # Errors
///
/// Writing a file failed.
pub fn write_damaged(dir: &Path, i: u64) -> std::io::Result<Expected> {
    let e = write_session(dir, Naming::VideoRoom, i, 200)?;
    let audio = &e.files[0];
    let bytes = std::fs::read(audio)?;
    std::fs::write(audio, &bytes[..14.min(bytes.len())])?;
    Ok(e)
}

/// Writes the same VideoRoom publisher `i` publishing twice, a minute apart: two sessions.
///
/// # Errors
///
/// Writing a file failed.
pub fn write_republish(dir: &Path, i: u64) -> std::io::Result<[Expected; 2]> {
    let first = write_session(dir, Naming::VideoRoom, i, 200)?;
    // Session i + 6 starts 60 s later; rename its publisher to i's.
    let later = write_session(dir, Naming::VideoRoom, i + 6, 200)?;
    let mut files = Vec::new();
    let from = format!("videoroom-1234-user-{}-", i + 6);
    let to = format!("videoroom-1234-user-{i}-");
    for f in &later.files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let renamed = dir.join(name.replacen(&from, &to, 1));
        std::fs::rename(f, &renamed)?;
        files.push(renamed);
    }
    let second = Expected {
        name: later.name.replacen(&from, &to, 1),
        files,
    };
    Ok([first, second])
}
