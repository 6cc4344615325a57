//! The library behind `mjrtool`: conversion pipelines, the `.nfo` parser, synthetic recordings.
//!
//! Everything the command-line tool does is available here, so that other programs can convert
//! recordings without spawning a process:
//!
//! ```no_run
//! use std::path::PathBuf;
//! use mjrtool::convert::{convert, ConvertOptions};
//!
//! let inputs = vec![PathBuf::from("audio.mjr"), PathBuf::from("video.mjr")];
//! let report = convert(&inputs, "session.webm".as_ref(), &ConvertOptions::default(), &mut |_, _| {})?;
//! println!("{} ms", report.duration_ms);
//! # Ok::<(), mjrtool::convert::CliError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cleanup;
pub mod convert;
pub mod ivf;
pub mod nfo;
pub mod output;
pub mod synth;
pub mod text;
pub mod time;
mod track_errors;
