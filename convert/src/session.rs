//! Grouping the recordings of a folder into sessions, as Janus 1.1's plugins name them.
//!
//! A session is the set of recordings that make one output file. In order:
//!
//! 1. a Record&Play `.nfo` claims the recordings it names ([`Scheme::RecordPlay`]);
//! 2. VideoRoom's default names, `videoroom-<room>-user-<id>-<time>-<audio|video|data>-<mindex>`
//!    (`janus_videoroom.c`, `janus_videoroom_recorder_create`): `<time>` is taken per stream
//!    (`janus_get_real_time()`, µs), so the streams of one publisher are microseconds apart; a
//!    publisher that publishes again gets files with a later time, a new session. Files of one
//!    publisher whose times lie within the tolerance of the session's first, and that do not
//!    repeat a `<media>-<mindex>`, are one session ([`Scheme::VideoRoom`]);
//! 3. SIP's default names, `sip-<user>-<call>-<time>-<own|peer>-<audio|video>` (`janus_sip.c`):
//!    one `<time>` per "record start", so the prefix up to `<time>` is the session ([`Scheme::Sip`]);
//! 4. names from a base the application chose: VideoRoom `<base>-<audio|video|data>-<mindex>`,
//!    SIP `<base>-<user|peer>-<audio|video>`, Record&Play `<base>-<audio|video|data>`
//!    ([`Scheme::BaseName`]); Record&Play's default base `rec-<id>` names the session `<id>`,
//!    as its `.nfo` (`<id>.nfo`, written when the recording stops) will;
//! 5. anything else: recordings whose headers' creation times (`s`) lie within the tolerance of
//!    the earliest one ([`Scheme::CreatedTime`]).
//!
//! Only the first bytes of a recording are read (its header), never its packets.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use mjrtool_core::Codec;
use serde::Serialize;

use crate::nfo::Nfo;

/// How a session's recordings were recognized as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// A Record&Play `.nfo`.
    RecordPlay,
    /// VideoRoom's default names.
    VideoRoom,
    /// SIP's default names.
    Sip,
    /// A base name chosen by the application.
    BaseName,
    /// Creation times within the tolerance.
    CreatedTime,
}

/// One file of a folder, with what its header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its last modification.
    pub modified: Option<SystemTime>,
    /// The codec in its header, if it could be read.
    pub codec: Option<Codec>,
    /// The header's creation time (`s`), µs since the epoch.
    pub created_us: Option<i64>,
    /// Only the format magic: Janus has not written a packet yet.
    pub header_only: bool,
    /// Why the header could not be read.
    pub error: Option<String>,
}

/// Reads what grouping and container choice need from `path`: its size, time and header (the
/// reader stops after the header: [`mjr::MjrReader::new`]).
pub fn probe(path: &Path) -> Probe {
    let meta = std::fs::metadata(path).ok();
    let mut p = Probe {
        path: path.to_path_buf(),
        size: meta.as_ref().map_or(0, |m| m.len()),
        modified: meta.as_ref().and_then(|m| m.modified().ok()),
        codec: None,
        created_us: None,
        header_only: false,
        error: None,
    };
    if is_nfo(path) {
        return p;
    }
    if p.size <= 8 {
        let bytes = std::fs::read(path).unwrap_or_default();
        if bytes == b"MJR00002" || bytes == b"MJR00001" {
            p.header_only = true;
            return p;
        }
    }
    match File::open(path)
        .map_err(mjr::Error::Io)
        .and_then(mjr::MjrReader::new)
    {
        Ok(r) => {
            p.codec = Some(r.header().codec.clone());
            p.created_us = r.header().created_us;
        }
        Err(mjr::Error::NotMjr { .. }) => p.error = Some(
            "not an MJR recording: expected \"MJR00002\", \"MJR00001\" or \"MEETECHO\" at byte 0"
                .into(),
        ),
        Err(e) => p.error = Some(e.to_string()),
    }
    p
}

/// One session: the recordings that make one output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// The output's name without its extension, e.g. `videoroom-1234-user-5678-<time>`.
    pub name: String,
    /// How its recordings were recognized.
    pub scheme: Scheme,
    /// What to hand the conversion: the `.nfo`, or the recordings.
    pub inputs: Vec<PathBuf>,
    /// Every file of the session (the `.nfo` and every recording it names, data included).
    pub files: Vec<PathBuf>,
}

/// How to group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupOptions {
    /// Recordings created within this many µs of a session's first are one session (VideoRoom
    /// times and header creation times).
    pub tolerance_us: i64,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            tolerance_us: 2_000_000,
        }
    }
}

fn is_nfo(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("nfo"))
}

fn is_mjr(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("mjr"))
}

/// The `.mjr` and `.nfo` files of `dir` (not of its sub-folders; hidden files are left out),
/// sorted by name.
///
/// # Errors
///
/// The folder cannot be read.
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let regular = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
        if !hidden && regular && (is_mjr(&path) || is_nfo(&path)) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// What a recording's name says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    /// VideoRoom default: publisher prefix, time, `<media>-<mindex>`.
    VideoRoom {
        prefix: String,
        time: i64,
        stream: String,
    },
    /// A session named by its key (SIP default, base names).
    Keyed { key: String, scheme: Scheme },
}

/// Splits `s` at its last `-`: (before, after).
fn pop(s: &str) -> Option<(&str, &str)> {
    s.rsplit_once('-')
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a recording's file stem as one of Janus's naming schemes.
fn parse_name(stem: &str) -> Option<Named> {
    const MEDIA: [&str; 3] = ["audio", "video", "data"];
    if let Some((rest, mindex)) = pop(stem).filter(|(_, m)| digits(m)) {
        if let Some((rest, media)) = pop(rest).filter(|(_, m)| MEDIA.contains(m)) {
            let stream = format!("{media}-{mindex}");
            if let Some((prefix, time)) = pop(rest).filter(|(_, t)| digits(t)) {
                if prefix.starts_with("videoroom-") && prefix.contains("-user-") {
                    return Some(Named::VideoRoom {
                        prefix: prefix.to_string(),
                        time: time.parse().ok()?,
                        stream,
                    });
                }
            }
            return (!rest.is_empty()).then(|| Named::Keyed {
                key: rest.to_string(),
                scheme: Scheme::BaseName,
            });
        }
    }
    let (rest, media) = pop(stem)?;
    if media != "audio" && media != "video" && media != "data" {
        return None;
    }
    if let Some((prefix, side)) = pop(rest) {
        if side == "own" || side == "peer" {
            if let Some((_, time)) = pop(prefix).filter(|(_, t)| digits(t)) {
                if prefix.starts_with("sip-") && media != "data" && !time.is_empty() {
                    return Some(Named::Keyed {
                        key: prefix.to_string(),
                        scheme: Scheme::Sip,
                    });
                }
            }
        }
        if (side == "user" || side == "peer") && media != "data" && !prefix.is_empty() {
            return Some(Named::Keyed {
                key: prefix.to_string(),
                scheme: Scheme::BaseName,
            });
        }
    }
    (!rest.is_empty()).then(|| Named::Keyed {
        key: rest.to_string(),
        scheme: Scheme::BaseName,
    })
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Groups `files` (as [`list`] returns them, with their [`probe`]s) into sessions, sorted by
/// name; each file is in exactly one session. Names are made unique with `-2`, `-3`…
pub fn group(probes: &[Probe], options: &GroupOptions) -> Vec<Session> {
    let mut sessions = Vec::new();
    let mut claimed: HashSet<PathBuf> = HashSet::new();
    let mjrs: HashSet<&Path> = probes
        .iter()
        .filter(|p| is_mjr(&p.path))
        .map(|p| p.path.as_path())
        .collect();
    for p in probes.iter().filter(|p| is_nfo(&p.path)) {
        let mut files = vec![p.path.clone()];
        let dir = p.path.parent().unwrap_or(Path::new("."));
        let text = std::fs::read_to_string(&p.path).unwrap_or_default();
        if let Ok(nfo) = Nfo::parse(&text, dir) {
            for f in [nfo.audio, nfo.video, nfo.data].into_iter().flatten() {
                if mjrs.contains(f.as_path()) && claimed.insert(f.clone()) {
                    files.push(f);
                }
            }
        }
        claimed.insert(p.path.clone());
        sessions.push(Session {
            name: stem(&p.path),
            scheme: Scheme::RecordPlay,
            inputs: vec![p.path.clone()],
            files,
        });
    }
    let rest: Vec<&Probe> = probes
        .iter()
        .filter(|p| is_mjr(&p.path) && !claimed.contains(&p.path))
        .collect();
    let mut videoroom: BTreeMap<String, Vec<(i64, String, PathBuf)>> = BTreeMap::new();
    let mut keyed: BTreeMap<(String, u8), (Scheme, Vec<PathBuf>)> = BTreeMap::new();
    let mut unnamed = Vec::new();
    for p in rest {
        match parse_name(&stem(&p.path)) {
            Some(Named::VideoRoom {
                prefix,
                time,
                stream,
            }) => videoroom
                .entry(prefix)
                .or_default()
                .push((time, stream, p.path.clone())),
            Some(Named::Keyed { key, scheme }) => {
                keyed
                    .entry((key, scheme as u8))
                    .or_insert_with(|| (scheme, Vec::new()))
                    .1
                    .push(p.path.clone());
            }
            None => unnamed.push(p),
        }
    }
    for (prefix, mut streams) in videoroom {
        streams.sort();
        sessions.extend(cluster_videoroom(&prefix, &streams, options.tolerance_us));
    }
    for ((key, _), (scheme, files)) in keyed {
        sessions.push(Session {
            name: record_play_id(&key).map_or(key.clone(), str::to_string),
            scheme,
            inputs: files.clone(),
            files,
        });
    }
    sessions.extend(cluster_created(&unnamed, options.tolerance_us));
    sessions.sort_by(|a, b| a.name.cmp(&b.name).then(a.files.cmp(&b.files)));
    unique_names(&mut sessions);
    sessions
}

/// The recording id of Record&Play's default base name, `rec-<id>` (`janus_recordplay.c`), which
/// names its session the way the `.nfo` (`<id>.nfo`) written when the recording stops will:
/// converted before that `.nfo` appears (`watch`, after a quiet spell), the session's output
/// has the name it will keep, and the later conversion replaces it instead of adding another.
fn record_play_id(key: &str) -> Option<&str> {
    key.strip_prefix("rec-").filter(|id| digits(id))
}

/// Splits one publisher's streams (sorted by time) into sessions.
fn cluster_videoroom(prefix: &str, streams: &[(i64, String, PathBuf)], tol: i64) -> Vec<Session> {
    let mut out: Vec<Session> = Vec::new();
    let mut first = 0i64;
    let mut seen: HashSet<&str> = HashSet::new();
    for (time, stream, path) in streams {
        let fits = !out.is_empty() && time - first <= tol && !seen.contains(stream.as_str());
        if !fits {
            first = *time;
            seen.clear();
            out.push(Session {
                name: format!("{prefix}-{time}"),
                scheme: Scheme::VideoRoom,
                inputs: Vec::new(),
                files: Vec::new(),
            });
        }
        seen.insert(stream);
        let s = out.last_mut().expect("pushed above");
        s.inputs.push(path.clone());
        s.files.push(path.clone());
    }
    out
}

/// Groups recordings by header creation time; one without a readable time is a session alone.
fn cluster_created(probes: &[&Probe], tol: i64) -> Vec<Session> {
    let mut timed: Vec<(i64, &Path)> = Vec::new();
    let mut out = Vec::new();
    let alone = |p: &Path| Session {
        name: stem(p),
        scheme: Scheme::CreatedTime,
        inputs: vec![p.to_path_buf()],
        files: vec![p.to_path_buf()],
    };
    for p in probes {
        match p.created_us {
            Some(t) => timed.push((t, &p.path)),
            None => out.push(alone(&p.path)),
        }
    }
    timed.sort();
    let mut first = None;
    for (t, path) in timed {
        match first {
            Some(f) if t - f <= tol => {
                let s: &mut Session = out.last_mut().expect("a session was started");
                s.inputs.push(path.to_path_buf());
                s.files.push(path.to_path_buf());
            }
            _ => {
                first = Some(t);
                out.push(alone(path));
            }
        }
    }
    out
}

fn unique_names(sessions: &mut [Session]) {
    let mut used: HashSet<String> = HashSet::new();
    for s in sessions.iter_mut() {
        let mut name = s.name.clone();
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{}-{n}", s.name);
            n += 1;
        }
        s.name = name;
    }
}

/// Lists, probes and groups the recordings of `dir`.
///
/// # Errors
///
/// The folder cannot be read.
pub fn scan(dir: &Path, options: &GroupOptions) -> std::io::Result<(Vec<Session>, Vec<Probe>)> {
    let probes: Vec<Probe> = list(dir)?.iter().map(|p| probe(p)).collect();
    Ok((group(&probes, options), probes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(key: &str, scheme: Scheme) -> Option<Named> {
        Some(Named::Keyed {
            key: key.into(),
            scheme,
        })
    }

    #[test]
    fn each_janus_naming_scheme_is_recognized() {
        assert_eq!(
            parse_name("videoroom-1234-user-5678-1700000000123456-video-1"),
            Some(Named::VideoRoom {
                prefix: "videoroom-1234-user-5678".into(),
                time: 1_700_000_000_123_456,
                stream: "video-1".into()
            })
        );
        assert_eq!(
            parse_name("sip-alice-x7Fq-1700000000123456-peer-audio"),
            keyed("sip-alice-x7Fq-1700000000123456", Scheme::Sip)
        );
        assert_eq!(
            parse_name("lecture-audio-0"),
            keyed("lecture", Scheme::BaseName)
        );
        assert_eq!(
            parse_name("call-7-user-video"),
            keyed("call-7", Scheme::BaseName)
        );
        assert_eq!(
            parse_name("rec-42-audio"),
            keyed("rec-42", Scheme::BaseName)
        );
        assert_eq!(parse_name("whatever"), None);
        assert_eq!(parse_name("-audio"), None);
    }

    fn named(name: &str, created_us: Option<i64>) -> Probe {
        Probe {
            path: PathBuf::from(format!("/r/{name}")),
            size: 100,
            modified: None,
            codec: None,
            created_us,
            header_only: false,
            error: None,
        }
    }

    #[test]
    fn videoroom_streams_microseconds_apart_are_one_session_and_a_republish_another() {
        let probes = [
            named("videoroom-1-user-2-1000000-audio-0.mjr", None),
            named("videoroom-1-user-2-1000004-video-1.mjr", None),
            named("videoroom-1-user-2-9000000-audio-0.mjr", None),
            named("videoroom-1-user-2-9000010-video-1.mjr", None),
            named("videoroom-1-user-3-1000002-audio-0.mjr", None),
        ];
        let s = group(&probes, &GroupOptions::default());
        let names: Vec<(&str, usize)> =
            s.iter().map(|s| (s.name.as_str(), s.files.len())).collect();
        assert_eq!(
            names,
            [
                ("videoroom-1-user-2-1000000", 2),
                ("videoroom-1-user-2-9000000", 2),
                ("videoroom-1-user-3-1000002", 1)
            ]
        );
    }

    #[test]
    fn unnamed_recordings_group_by_creation_time_within_the_tolerance() {
        let probes = [
            named("a.mjr", Some(10_000_000)),
            named("b.mjr", Some(11_500_000)),
            named("c.mjr", Some(20_000_000)),
            named("d.mjr", None),
        ];
        let s = group(&probes, &GroupOptions::default());
        let files: Vec<usize> = s.iter().map(|s| s.files.len()).collect();
        assert_eq!(
            s.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["a", "c", "d"]
        );
        assert_eq!(files, [2, 1, 1]);
    }

    #[test]
    fn record_play_files_before_their_nfo_name_the_session_as_the_nfo_will() {
        let probes = [
            named("rec-42-audio.mjr", None),
            named("rec-42-video.mjr", None),
            named("rec-x-audio.mjr", None),
        ];
        let s = group(&probes, &GroupOptions::default());
        let names: Vec<(&str, usize)> =
            s.iter().map(|s| (s.name.as_str(), s.files.len())).collect();
        // `42.nfo` names the session "42"; a base that is not `rec-<digits>` keeps its name.
        assert_eq!(names, [("42", 2), ("rec-x", 1)]);
    }
}
