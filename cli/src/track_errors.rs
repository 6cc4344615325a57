//! Which input a mixer error comes from.
//!
//! The mixer's errors do not carry the index of the track that failed, so each source is wrapped
//! to note its index when it returns an error; the CLI then names that input instead of a list
//! of all of them. (The mixer could carry the index itself: `Error::Track { index, source }`.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mixer::{FrameSource, TrackCodec};

use crate::convert::{input_failed, CliError};

/// Which input failed first: the mixer's errors do not say, so every source notes its index
/// when it returns an error.
#[derive(Debug, Clone, Default)]
pub(crate) struct FailedTrack(Arc<AtomicUsize>);

/// A source that records its index in a [`FailedTrack`] when it fails.
struct Tagged {
    inner: Box<dyn FrameSource>,
    index: usize,
    failed: FailedTrack,
}

impl FrameSource for Tagged {
    fn codec(&self) -> TrackCodec {
        self.inner.codec()
    }
    fn start_ns(&self) -> Option<i64> {
        self.inner.start_ns()
    }
    fn next_frame(&mut self) -> Result<Option<mixer::SourceFrame>, mixer::Error> {
        let r = self.inner.next_frame();
        if r.is_err() {
            let _ = self.failed.0.compare_exchange(
                usize::MAX,
                self.index,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        r
    }
    fn position(&self) -> u64 {
        self.inner.position()
    }
    fn stats(&self) -> Option<mixer::TrackStats> {
        self.inner.stats()
    }
}

/// Wraps each source so that a failure records its index.
pub(crate) fn tag_sources(
    sources: impl IntoIterator<Item = Box<dyn FrameSource>>,
) -> (Vec<Box<dyn FrameSource>>, FailedTrack) {
    let failed = FailedTrack(Arc::new(AtomicUsize::new(usize::MAX)));
    let sources = sources
        .into_iter()
        .enumerate()
        .map(|(index, inner)| {
            Box::new(Tagged {
                inner,
                index,
                failed: failed.clone(),
            }) as Box<dyn FrameSource>
        })
        .collect();
    (sources, failed)
}

impl FailedTrack {
    /// The input that failed, if a source said so.
    pub(crate) fn index(&self) -> Option<usize> {
        Some(self.0.load(Ordering::Relaxed)).filter(|&i| i != usize::MAX)
    }

    /// `source`, from the mixer, as an error naming the input that failed.
    pub(crate) fn error(&self, paths: &[PathBuf], source: mixer::Error) -> CliError {
        // With one input it is that one; an error no source reported is about the mix itself.
        let index = self.index().or((paths.len() == 1).then_some(0));
        match index.and_then(|i| paths.get(i)) {
            Some(path) => input_failed(path, source),
            None => CliError::Usage(source.to_string()),
        }
    }
}
