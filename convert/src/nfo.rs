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
//!
//! The tool runs as root on folders that other users write, so a `.nfo` is untrusted: by default
//! its paths must stay inside its folder ([`Nfo::confine`]), and no error repeats what a file
//! holds (a `.nfo` may be a symbolic link to a file the operator would not show).

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
    #[error(".nfo line {line}: expected \"key = value\" or \"[id]\"")]
    BadLine {
        /// 1-based line number.
        line: usize,
    },
    /// Neither audio nor video is named.
    #[error(".nfo names no audio and no video recording")]
    NoMedia,
    /// A path leads outside the `.nfo`'s folder.
    #[error(".nfo {key} path: expected a file inside the .nfo's folder, found {why} (use --allow-nfo-outside to follow it)")]
    Outside {
        /// `audio`, `video` or `data`.
        key: &'static str,
        /// How it leads out.
        why: &'static str,
    },
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
                return Err(NfoError::BadLine { line: i + 1 });
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

    /// Checks that the recordings named by a `.nfo` found in folder `dir` (as returned by
    /// [`parse`](Self::parse) with the same `dir`) are inside that folder: not absolute, no `..`,
    /// and no symbolic link resolving outside it (compared on canonical paths). A file that does
    /// not exist passes: opening it fails later.
    ///
    /// # Errors
    ///
    /// [`NfoError::Outside`] for the first path that leads out.
    pub fn confine(&self, dir: &Path) -> Result<(), NfoError> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let base = dir.canonicalize().ok();
        for (key, path) in [
            ("audio", &self.audio),
            ("video", &self.video),
            ("data", &self.data),
        ] {
            let Some(path) = path else { continue };
            let why = |why| Err(NfoError::Outside { key, why });
            // `parse` joined the value to `dir` (`Path::join` keeps an absolute value as it is).
            let Ok(rel) = path.strip_prefix(dir) else {
                return why("an absolute path");
            };
            if rel.is_absolute() || rel.has_root() {
                return why("an absolute path");
            }
            if rel
                .components()
                .any(|c| c == std::path::Component::ParentDir)
            {
                return why("a \"..\" component");
            }
            if let (Some(base), Ok(real)) = (&base, path.canonicalize()) {
                if !real.starts_with(base) {
                    return why("a symbolic link leading out");
                }
            }
        }
        Ok(())
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
            Err(NfoError::BadLine { line: 2 })
        ));
    }

    #[test]
    fn a_bad_line_is_reported_without_its_text() {
        let e = Nfo::parse("[1]\nroot:secret:0\n", Path::new("d")).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn paths_leading_out_of_the_folder_are_refused() {
        let dir = std::env::temp_dir().join(format!("mjrtool-nfo-{}", std::process::id()));
        let inner = dir.join("rec");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(dir.join("secret.mjr"), b"x").unwrap();
        std::fs::write(inner.join("a.mjr"), b"x").unwrap();
        let _ = std::fs::remove_file(inner.join("link.mjr"));
        std::os::unix::fs::symlink(dir.join("secret.mjr"), inner.join("link.mjr")).unwrap();
        let check = |value: &str| {
            Nfo::parse(&format!("[1]\naudio = {value}\n"), &inner)
                .unwrap()
                .confine(&inner)
        };
        assert_eq!(check("a.mjr"), Ok(()));
        assert_eq!(check("./a.mjr"), Ok(()));
        assert_eq!(check("missing.mjr"), Ok(()));
        for (value, why) in [
            ("/etc/passwd", "an absolute path"),
            ("../secret.mjr", "a \"..\" component"),
            ("sub/../../secret.mjr", "a \"..\" component"),
            ("link.mjr", "a symbolic link leading out"),
        ] {
            assert_eq!(
                check(value),
                Err(NfoError::Outside { key: "audio", why }),
                "{value}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
