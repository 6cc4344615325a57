//! The Record&Play plugin's `.nfo` files.
//!
//! Janus's recordplay plugin writes, next to each recording's `.mjr` files, an INI-style file:
//!
//! ```text
//! [1234]
//! name = Lorenzo says hello!
//! date = 2014-10-22 14:44:36
//! audio = rec-sample-audio.mjr
//! video = rec-sample-video.mjr
//! ```
//!
//! `audio`, `video` and `data` name files relative to the `.nfo`'s own folder; each is optional.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A parsed `.nfo` file, with paths resolved against its folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nfo {
    /// The recording id (the `[section]` name).
    pub id: Option<String>,
    /// The recording's name.
    pub name: Option<String>,
    /// The recording's date, as written.
    pub date: Option<String>,
    /// Audio recording, if any.
    pub audio: Option<PathBuf>,
    /// Video recording, if any.
    pub video: Option<PathBuf>,
    /// Data-channel recording, if any.
    pub data: Option<PathBuf>,
}

/// Why a `.nfo` file could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NfoError {
    /// A line is neither a section, a `key = value` pair, a comment nor blank.
    #[error(".nfo line {line}: expected \"key = value\" or \"[id]\", found {found:?}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// The line, shortened.
        found: String,
    },
    /// Neither audio nor video is named.
    #[error(".nfo names no audio and no video recording")]
    NoMedia,
}

impl Nfo {
    /// Parses the text of a `.nfo` file found in folder `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Nfo, NfoError> {
        let mut nfo = Nfo::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                nfo.id.get_or_insert_with(|| section.trim().to_string());
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(NfoError::BadLine {
                    line: i + 1,
                    found: line.chars().take(60).collect(),
                });
            };
            let value = value.trim().to_string();
            let path = || Some(dir.join(&value));
            match key.trim().to_ascii_lowercase().as_str() {
                "name" => nfo.name = Some(value.clone()),
                "date" => nfo.date = Some(value.clone()),
                "audio" => nfo.audio = path(),
                "video" => nfo.video = path(),
                "data" => nfo.data = path(),
                _ => {}
            }
        }
        if nfo.audio.is_none() && nfo.video.is_none() {
            return Err(NfoError::NoMedia);
        }
        Ok(nfo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_janus_layout_with_crlf() {
        let text = "[1234]\r\nname = Lorenzo says hello!\r\nprivate = false\r\ndate = 2014-10-22 14:44:36\r\naudio = a.mjr\r\nvideo = v.mjr\r\n";
        let nfo = Nfo::parse(text, Path::new("/rec")).unwrap();
        assert_eq!(nfo.id.as_deref(), Some("1234"));
        assert_eq!(nfo.name.as_deref(), Some("Lorenzo says hello!"));
        assert_eq!(nfo.audio, Some(PathBuf::from("/rec/a.mjr")));
        assert_eq!(nfo.video, Some(PathBuf::from("/rec/v.mjr")));
        assert_eq!(nfo.data, None);
    }

    #[test]
    fn audio_only_is_fine_and_nothing_is_an_error() {
        let nfo = Nfo::parse("[1]\naudio = a.mjr\n", Path::new("d")).unwrap();
        assert!(nfo.video.is_none());
        assert_eq!(
            Nfo::parse("[1]\nname = x\n", Path::new("d")),
            Err(NfoError::NoMedia)
        );
        assert!(matches!(
            Nfo::parse("[1]\ngarbage\n", Path::new("d")),
            Err(NfoError::BadLine { line: 2, .. })
        ));
    }
}
