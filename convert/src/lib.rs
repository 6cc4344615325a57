//! Converting Janus `.mjr` recordings into playable, synchronized, seekable files.
//!
//! This is the library behind the `mjrtool` command line, with no command-line dependency:
//! it probes the inputs (a `.nfo` expands to its recordings; header-only, unsupported and
//! encrypted recordings are typed [`convert::SkipReason`]s), picks the container from the output
//! name, reads each recording as a [`track::MjrTrack`], places the tracks on one timeline
//! (`mjrtool-timeline`), writes the output atomically ([`output::AtomicOutput`]: a temporary
//! file published without replacing anything) and returns a typed [`convert::Report`].
//!
//! ```no_run
//! use std::path::PathBuf;
//! use mjrtool_convert::convert::{convert, ConvertOptions};
//!
//! let inputs = vec![PathBuf::from("audio.mjr"), PathBuf::from("video.mjr")];
//! let report = convert(&inputs, "session.webm".as_ref(), &ConvertOptions::default(), &mut |_, _| {})?;
//! println!("{} ms", report.duration_ms);
//! # Ok::<(), mjrtool_convert::convert::CliError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod cleanup;
pub mod container;
pub mod convert;
pub mod fmtp;
mod mp4_head;
pub mod nfo;
pub mod output;
mod report;
pub mod session;
mod sinks;
pub mod source;
mod target;
pub mod time;
pub mod track;
pub mod watch;
mod writer;

pub use sinks::OutputError;
