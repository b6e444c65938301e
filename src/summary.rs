//! The run summary: what a `watch` run saw and decided, printed for people
//! at the end (stderr) and kept as figures for tests.
//!
//! Owns: the tallies of one run. Fed by the shells; reads no state itself.

use std::collections::BTreeMap;
use std::fmt;

use rustc_hash::FxHashSet;
use xxhash_rust::xxh3::xxh3_64;

use crate::detect::{DetectorStats, Outcome};
use crate::engine::PricedEvent;
use crate::signal::Signal;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub records: u64,
    pub events: u64,
    pub duplicates: u64,
    pub dead_letters: u64,
    /// Blank lines of a file input: layout, not records (the Kafka shell
    /// has no such thing; an empty message there is a dead letter), but
    /// counted, so no line goes unaccounted for.
    pub blank_lines: u64,
    pub sessions: DistinctSessions,
    pub spend_usd: f64,
    pub signals: BTreeMap<(String, String), u64>,
    pub sessions_killed: u64,
    /// Spend of killed sessions after their kill: what enforcement would have stopped.
    pub spend_after_kill_usd: f64,
    pub events_after_kill: u64,
    /// Events far ahead of their stream's time, counted at that time.
    pub events_clock_ahead: u64,
    pub unknown_models: Vec<String>,
}

impl Summary {
    pub fn add_event(&mut self, p: &PricedEvent) {
        self.records += 1;
        match p.outcome {
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Processed | Outcome::AfterKill => {
                self.events += 1;
                self.spend_usd += p.cost_usd;
                self.sessions.add(&p.event.session_id);
            }
        }
    }

    pub fn add_dead_letter(&mut self) {
        self.records += 1;
        self.dead_letters += 1;
    }

    pub fn add_signal(&mut self, s: &Signal) {
        *self.signals.entry((s.action.as_str().to_string(), s.reason.as_str().to_string())).or_default() += 1;
        if s.action == crate::signal::Action::Kill {
            self.sessions_killed += 1;
        }
    }

    pub fn finish(&mut self, stats: &DetectorStats, unknown_models: Vec<String>) {
        self.spend_after_kill_usd = stats.spend_after_kill_usd;
        self.events_after_kill = stats.events_after_kill;
        self.events_clock_ahead = stats.events_clock_ahead;
        self.unknown_models = unknown_models;
    }
}

impl Summary {
    /// The summary's content as JSON fields, the same as the human form
    /// shows: signals by action and reason, the models priced at the
    /// fallback rate (`--log-format json` prints these; a JSON summary
    /// with only a total of signals hid what the run decided).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut by_action: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        for ((action, reason), n) in &self.signals {
            by_action.entry(action).or_default().insert(reason, *n);
        }
        let v = serde_json::json!({
            "records": self.records,
            "events": self.events,
            "duplicates": self.duplicates,
            "dead_letters": self.dead_letters,
            "blank_lines": self.blank_lines,
            "sessions": self.sessions.len(),
            "sessions_at_least": self.sessions.saturated(),
            "spend_usd": self.spend_usd,
            "signals": self.signals.values().sum::<u64>(),
            "signals_by_action_reason": by_action,
            "sessions_killed": self.sessions_killed,
            "events_after_kill": self.events_after_kill,
            "spend_after_kill_usd": self.spend_after_kill_usd,
            "events_clock_ahead": self.events_clock_ahead,
            "fallback_priced_models": self.unknown_models,
        });
        match v {
            serde_json::Value::Object(m) => m,
            _ => unreachable!("a JSON object literal"),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "runaway watch summary")?;
        writeln!(
            f,
            "  records {}  events {}  duplicates {}  dead letters {}",
            self.records, self.events, self.duplicates, self.dead_letters
        )?;
        if self.blank_lines > 0 {
            writeln!(f, "  blank lines {} (skipped: layout, not records)", self.blank_lines)?;
        }
        writeln!(f, "  sessions {}  spend ${:.2}", self.sessions, self.spend_usd)?;
        let total: u64 = self.signals.values().sum();
        writeln!(f, "  signals {total}")?;
        for ((action, reason), n) in &self.signals {
            writeln!(f, "    {action:<8} {reason:<16} {n}")?;
        }
        writeln!(
            f,
            "  sessions killed {}  spend after their kill ${:.2} in {} events (what enforcement stops)",
            self.sessions_killed, self.spend_after_kill_usd, self.events_after_kill
        )?;
        if self.events_clock_ahead > 0 {
            writeln!(
                f,
                "  events far ahead of their stream's time (a wrong clock or unit, or the first after a quiet spell longer than clock_jump_minutes), counted at the stream's time: {}",
                self.events_clock_ahead
            )?;
        }
        if !self.unknown_models.is_empty() {
            writeln!(f, "  models the catalog could not price, priced at the fallback rate: {}", self.unknown_models.join(", "))?;
        }
        Ok(())
    }
}

/// Distinct session ids of a run, counted exactly up to [`DistinctSessions::CAP`]
/// and then shown as "at least" that many: a service that runs for weeks
/// must not keep every id it ever saw (this held them all as strings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistinctSessions {
    /// 64-bit hashes of the ids: two ids sharing one is a 1 in 2^64 event
    /// per pair, an error a summary count can carry.
    seen: FxHashSet<u64>,
    saturated: bool,
}

impl DistinctSessions {
    /// Distinct ids counted exactly (about 16 MB of hashes at most).
    pub const CAP: usize = 1_000_000;

    pub fn add(&mut self, id: &str) {
        if self.saturated {
            return;
        }
        self.seen.insert(xxh3_64(id.as_bytes()));
        self.saturated = self.seen.len() >= Self::CAP;
    }

    /// The count, exact unless [`DistinctSessions::saturated`].
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// True once the cap was reached: the true count is at least `len()`.
    pub fn saturated(&self) -> bool {
        self.saturated
    }
}

impl fmt::Display for DistinctSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.saturated {
            write!(f, "{}+", self.len())
        } else {
            write!(f, "{}", self.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DistinctSessions, Summary};

    /// The JSON summary says what the human one says.
    #[test]
    fn json_summary_has_the_human_summarys_content() {
        let mut s = Summary { records: 3, events: 2, dead_letters: 1, sessions_killed: 1, ..Summary::default() };
        s.signals.insert(("kill".into(), "session_budget".into()), 1);
        s.signals.insert(("alert".into(), "cost_spike".into()), 2);
        s.unknown_models = vec!["my-private-model".into()];
        let j = serde_json::Value::Object(s.to_json());
        assert_eq!(j["signals"], 3);
        assert_eq!(j["signals_by_action_reason"]["kill"]["session_budget"], 1);
        assert_eq!(j["signals_by_action_reason"]["alert"]["cost_spike"], 2);
        assert_eq!(j["fallback_priced_models"][0], "my-private-model");
        let human = s.to_string();
        assert!(human.contains("session_budget") && human.contains("my-private-model"), "{human}");
    }

    #[test]
    fn distinct_sessions_count_exactly_then_stop_at_the_cap() {
        let mut d = DistinctSessions::default();
        for i in 0..10 {
            d.add(&format!("s{}", i % 4));
        }
        assert_eq!((d.len(), d.to_string()), (4, "4".to_string()));
        for i in 0..DistinctSessions::CAP + 10 {
            d.add(&format!("t{i}"));
        }
        assert!(d.saturated());
        assert_eq!(d.len(), DistinctSessions::CAP);
        assert_eq!(d.to_string(), format!("{}+", DistinctSessions::CAP));
    }
}
