//! Fleet simulator (`runaway simulate`): a seeded, deterministic multi-agent
//! fleet in contract §1 events, with labeled runaways of every kind the
//! detector claims and labeled false-positive traps, written as NDJSON (or
//! produced to Kafka) plus a labels NDJSON file.
//!
//! Owns: the fleet description (`fleet`), session behaviour (`session`), the
//! output formats and the Kafka producer (`kafka`). It never reads the
//! detector or the policy: its figures come from what agent fleets do.

pub mod fleet;
pub mod kafka;
pub mod session;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use session::generate;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Top-level sessions (sub-agent sessions come on top).
    pub sessions: u32,
    /// Span over which sessions start, hours.
    pub hours: f64,
    pub seed: u64,
    /// Event time of the span start, epoch ms.
    pub start_ms: i64,
}

impl SimConfig {
    /// 2026-01-05T00:00:00Z, a Monday: a fixed start so a seed gives the same bytes.
    pub const DEFAULT_START_MS: i64 = 1_767_571_200_000;
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("invalid simulation setting: {0}")]
    Invalid(String),
    #[error("kafka: {0}")]
    Kafka(String),
}

/// One usage event as it goes on the wire (contract §1). Optional fields
/// are left out when absent, as a real producer would.
#[derive(Debug, Clone, Serialize)]
pub struct SimEvent {
    #[serde(skip)]
    pub ts_ms: i64,
    /// Order of creation: breaks ties between equal timestamps.
    #[serde(skip)]
    pub seq: u64,
    pub event_id: Arc<str>,
    pub ts: Ts,
    pub session_id: Arc<str>,
    pub agent_id: Arc<str>,
    pub task_type: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_session_id: Option<Arc<str>>,
    pub tenant: Arc<str>,
    pub team: Arc<str>,
    pub env: &'static str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Arc<str>>,
    #[serde(skip_serializing_if = "is_zero")]
    pub input_tokens: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub output_tokens: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cache_read_tokens: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub reasoning_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_agent_id: Option<Arc<str>>,
    pub status: &'static str,
    pub latency_ms: u64,
}

/// Event time as a producer writes it: most send RFC 3339 text, some epoch
/// milliseconds (both are contract §1).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Ts {
    Text(String),
    Millis(i64),
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// Ground truth for one session (one NDJSON line of the labels file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Label {
    pub session_id: String,
    /// `normal` or `runaway`.
    pub label: String,
    /// Runaway reason (contract §2 names) or trap name (`normal`,
    /// `batch_edit`, `expensive_action`, `new_agent`, `long_by_nature`,
    /// `legit_retry`, `baseline_shift`, `handoff_return`, `subagent`,
    /// `unknown_model`).
    pub kind: String,
    /// First event of the runaway behaviour (runaways only).
    pub onset_event_id: Option<String>,
    pub task_id: Option<String>,
    /// Extension: the runaway session this one is part of (sub-agents of a
    /// fan-out runaway); their spend counts to that runaway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    /// Extension: agent and task type that started the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
}

/// Everything one simulation produced, events in bus order.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub events: Vec<SimEvent>,
    pub labels: Vec<Label>,
}

impl Simulation {
    /// Writes the events as NDJSON.
    pub fn write_events(&self, path: &Path) -> Result<(), SimError> {
        write_lines(path, self.events.iter().map(|e| serde_json::to_string(e).unwrap_or_default()))
    }

    /// Writes the labels as NDJSON.
    pub fn write_labels(&self, path: &Path) -> Result<(), SimError> {
        write_lines(path, self.labels.iter().map(|l| serde_json::to_string(l).unwrap_or_default()))
    }
}

/// Writes one line per item to `path`, or to standard output for `-`
/// (so a fleet can be piped straight into `runaway watch --input -`).
fn write_lines(path: &Path, lines: impl Iterator<Item = String>) -> Result<(), SimError> {
    let err = |source| SimError::Write { path: path.display().to_string(), source };
    let sink: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        Box::new(std::fs::File::create(path).map_err(err)?)
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 20, sink);
    for l in lines {
        w.write_all(l.as_bytes()).and_then(|_| w.write_all(b"\n")).map_err(err)?;
    }
    w.flush().map_err(err)
}
