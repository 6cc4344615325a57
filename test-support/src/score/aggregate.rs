//! Scores of many sessions: distributions per scenario kind, and the worst sessions with what
//! reproduces them.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Goals, SessionScore, Spread};
use crate::sim::scenario::Kind;

/// What is known about the sessions of one kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KindStats {
    /// Sessions scored (the mixer stopping counts too).
    pub sessions: u64,
    /// Sessions the mixer refused with an error.
    pub errors: u64,
    /// Sessions that missed a goal (errors included).
    pub failing: u64,
    /// |A/V sync error| of every video frame of every session, ns.
    pub sync_abs_ns: Vec<i64>,
    /// Largest |duration error|, ns.
    pub duration_error_max_ns: i64,
    /// Intact frames lost, all sessions.
    pub intact_lost: u64,
    /// Non-increasing timestamps, all sessions.
    pub non_increasing: u64,
}

impl KindStats {
    /// Spread of the pooled sync errors.
    pub fn sync(&self) -> Spread {
        Spread::of(&self.sync_abs_ns)
    }
}

/// A session that missed a goal, with what rebuilds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Its preset.
    pub kind: Kind,
    /// Its seed.
    pub seed: u64,
    /// Its duration, ms.
    pub duration_ms: u64,
    /// Its largest |sync error|, ns (`i64::MAX` when the mixer stopped).
    pub sync_max_ns: i64,
    /// The goals missed, or the mixer's error.
    pub misses: Vec<String>,
}

/// Scores of many sessions.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    /// The goals sessions are held to.
    pub goals: Goals,
    /// Per kind.
    pub kinds: BTreeMap<Kind, KindStats>,
    /// Every session that missed a goal.
    pub failures: Vec<Failure>,
}

impl Aggregate {
    /// An empty aggregate holding sessions to `goals`.
    pub fn new(goals: Goals) -> Self {
        Aggregate {
            goals,
            ..Aggregate::default()
        }
    }

    /// Adds a session's score.
    pub fn add(&mut self, s: &SessionScore) {
        let k = self.kinds.entry(s.kind).or_default();
        k.sessions += 1;
        k.sync_abs_ns
            .extend(s.sync_errors_ns.iter().map(|e| e.saturating_abs()));
        k.duration_error_max_ns = k
            .duration_error_max_ns
            .max(s.duration_error_ns.saturating_abs());
        k.intact_lost += s.intact_lost_total();
        k.non_increasing += s.non_increasing();
        let misses = s.misses(&self.goals);
        if !misses.is_empty() {
            k.failing += 1;
            self.failures.push(Failure {
                kind: s.kind,
                seed: s.seed,
                duration_ms: s.duration_ms,
                sync_max_ns: s.sync.max_ns,
                misses,
            });
        }
    }

    /// Adds a session the mixer refused.
    pub fn add_error(&mut self, kind: Kind, seed: u64, duration_ms: u64, error: &str) {
        let k = self.kinds.entry(kind).or_default();
        k.sessions += 1;
        k.errors += 1;
        k.failing += 1;
        self.failures.push(Failure {
            kind,
            seed,
            duration_ms,
            sync_max_ns: i64::MAX,
            misses: vec![format!("mixer error: {error}")],
        });
    }

    /// All kinds together.
    pub fn total(&self) -> KindStats {
        let mut t = KindStats::default();
        for k in self.kinds.values() {
            t.sessions += k.sessions;
            t.errors += k.errors;
            t.failing += k.failing;
            t.sync_abs_ns.extend_from_slice(&k.sync_abs_ns);
            t.duration_error_max_ns = t.duration_error_max_ns.max(k.duration_error_max_ns);
            t.intact_lost += k.intact_lost;
            t.non_increasing += k.non_increasing;
        }
        t
    }

    /// The table: one row per kind and a total, in ms.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<18} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7} {:>8}",
            "kind",
            "sessions",
            "sync p50",
            "sync p99",
            "sync max",
            "dur err",
            "lost",
            "non-inc",
            "failing"
        );
        let row = |out: &mut String, name: &str, k: &KindStats| {
            let s = k.sync();
            let ms = |ns: i64| ns as f64 / 1e6;
            let _ = writeln!(
                out,
                "{:<18} {:>8} {:>8.1} {:>8.1} {:>9.1} {:>9.1} {:>7} {:>7} {:>8}",
                name,
                k.sessions,
                ms(s.p50_ns),
                ms(s.p99_ns),
                ms(s.max_ns),
                ms(k.duration_error_max_ns),
                k.intact_lost,
                k.non_increasing,
                k.failing
            );
        };
        for (kind, k) in &self.kinds {
            row(&mut out, kind.name(), k);
        }
        row(&mut out, "all", &self.total());
        out
    }

    /// The `n` worst failing sessions (largest sync error first), one line each with the
    /// arguments that rebuild it.
    pub fn worst(&self, n: usize) -> String {
        let mut f: Vec<&Failure> = self.failures.iter().collect();
        f.sort_by(|a, b| b.sync_max_ns.cmp(&a.sync_max_ns).then(a.seed.cmp(&b.seed)));
        let mut out = String::new();
        for x in f.into_iter().take(n) {
            let _ = writeln!(
                out,
                "--kind {} --seed {} --ms {}: {}",
                x.kind.name(),
                x.seed,
                x.duration_ms,
                x.misses.join("; ")
            );
        }
        out
    }
}
