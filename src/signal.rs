//! Signals (contract §2): what the detector decided, in the shape enforcement
//! hooks read from the kill topic or the signals file.
//!
//! Owns: the signal type, its deterministic id, its JSON encoding. The
//! detector fills every field but `emitted_at`, which is wall-clock and so
//! belongs to the shell that emits it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What the enforcement hook must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Alert,
    Throttle,
    Pause,
    Kill,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Kill => "kill",
            Action::Pause => "pause",
            Action::Throttle => "throttle",
            Action::Alert => "alert",
        }
    }
}

/// What the signal applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Session,
    Agent,
    Fleet,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Session => "session",
            Scope::Agent => "agent",
            Scope::Fleet => "fleet",
        }
    }
}

/// Why the detector decided. Serialized as the contract's snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    SessionBudget,
    CostSpike,
    LoopRepeat,
    LoopCycle,
    PingPong,
    StepRunaway,
    RetryStorm,
    ContextGrowth,
    SubagentFanout,
    TaskBudget,
    AgentBudget,
    FleetBudget,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::SessionBudget,
        Reason::CostSpike,
        Reason::LoopRepeat,
        Reason::LoopCycle,
        Reason::PingPong,
        Reason::StepRunaway,
        Reason::RetryStorm,
        Reason::ContextGrowth,
        Reason::SubagentFanout,
        Reason::TaskBudget,
        Reason::AgentBudget,
        Reason::FleetBudget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SessionBudget => "session_budget",
            Reason::CostSpike => "cost_spike",
            Reason::LoopRepeat => "loop_repeat",
            Reason::LoopCycle => "loop_cycle",
            Reason::PingPong => "ping_pong",
            Reason::StepRunaway => "step_runaway",
            Reason::RetryStorm => "retry_storm",
            Reason::ContextGrowth => "context_growth",
            Reason::SubagentFanout => "subagent_fanout",
            Reason::TaskBudget => "task_budget",
            Reason::AgentBudget => "agent_budget",
            Reason::FleetBudget => "fleet_budget",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Bit for per-session "already alerted" sets.
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// One decision, contract §2. Field order is the JSON field order.
// Deserialize: the Kafka shell reads back the kills its group made (the
// kill topic's tail) to keep them in the archive after a hand-over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub v: u32,
    pub signal_id: String,
    pub action: Action,
    pub scope: Scope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_type: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Arc<str>>,
    pub reason: Reason,
    pub trigger_event_id: Arc<str>,
    pub event_ts: String,
    /// Wall clock at emission; set by the shell, never by the detector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emitted_at: Option<String>,
    pub session_cost_usd: f64,
    pub session_actions: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    pub evidence: serde_json::Value,
    pub policy_id: String,
    pub policy_version: String,
    pub message: String,
    /// Event time of the trigger in epoch ms; for the shell (archive
    /// partitioning), not part of the wire form.
    #[serde(skip)]
    pub event_ts_ms: i64,
}

impl Signal {
    /// The key a Kafka message carrying this signal uses: the session for
    /// session scope, the agent for agent scope, `fleet` otherwise.
    pub fn key(&self) -> &str {
        match self.scope {
            Scope::Session => self.session_id.as_deref().unwrap_or(""),
            Scope::Agent => self.agent_id.as_deref().unwrap_or(""),
            Scope::Fleet => "fleet",
        }
    }

    /// JSON encoding of the signal (one NDJSON line, without newline).
    pub fn to_json(&self) -> String {
        // Serialization of this struct cannot fail: every field is a plain
        // value or a `serde_json::Value`, and maps have string keys.
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// Deterministic id of a decision: the same decision on a replay gets the
/// same id, so hooks can dedupe.
pub fn signal_id(parts: &[&str]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0x1f]);
    }
    format!("sig-{:032x}", h.digest128())
}

/// Rounds a dollar figure for evidence so replays print identical JSON
/// regardless of float noise far below a micro-dollar.
pub fn round_usd(x: f64) -> f64 {
    round_to(x, 1e9)
}

/// Rounds a ratio to four decimals for the same reason.
pub fn round_ratio(x: f64) -> f64 {
    round_to(x, 1e4)
}

/// `x` rounded to `1/scale`; a value so large that scaling it overflows is
/// already coarser than that and is kept (JSON has no infinity: it would
/// be written as null).
fn round_to(x: f64, scale: f64) -> f64 {
    let r = (x * scale).round() / scale;
    if r.is_finite() {
        r
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_keeps_a_value_whose_scaling_overflows() {
        assert_eq!(round_usd(0.123_456_789_49), 0.123_456_789);
        assert_eq!(round_usd(1e308), 1e308);
        assert_eq!(round_ratio(f64::MAX), f64::MAX);
    }
}
