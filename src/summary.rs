//! The run summary: what a `watch` run saw and decided, printed for people
//! at the end (stderr) and kept as figures for tests.
//!
//! Owns: the tallies of one run. Fed by the shells; reads no state itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::detect::{DetectorStats, Outcome};
use crate::engine::PricedEvent;
use crate::signal::Signal;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub records: u64,
    pub events: u64,
    pub duplicates: u64,
    pub dead_letters: u64,
    pub sessions: BTreeSet<String>,
    pub spend_usd: f64,
    pub signals: BTreeMap<(String, String), u64>,
    pub sessions_killed: u64,
    /// Spend of killed sessions after their kill: what enforcement would have stopped.
    pub spend_after_kill_usd: f64,
    pub events_after_kill: u64,
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
                if !self.sessions.contains(&*p.event.session_id) {
                    self.sessions.insert(p.event.session_id.to_string());
                }
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
        self.unknown_models = unknown_models;
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
        writeln!(f, "  sessions {}  spend ${:.2}", self.sessions.len(), self.spend_usd)?;
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
        if !self.unknown_models.is_empty() {
            writeln!(f, "  models not in the catalog, priced at the fallback rate: {}", self.unknown_models.join(", "))?;
        }
        Ok(())
    }
}
