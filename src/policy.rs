//! The detection policy: every threshold the detector applies, its version,
//! and per task type / per agent overrides, read from a TOML file.
//!
//! Owns: the policy schema, its defaults, validation, and resolving the
//! thresholds that apply to one (agent, task type). Does not own: reading
//! the file on change (the shell reloads and hands a new `Policy` in).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::signal::Reason;

/// The thresholds each rule reads (fleet budget's are global only).
fn rule_keys(reason: Reason) -> &'static [&'static str] {
    match reason {
        Reason::SessionBudget => &["session_budget_usd", "spend_ratio", "spend_min_usd", "spend_min_sessions"],
        Reason::TaskBudget => &["task_budget_usd"],
        Reason::CostSpike => &["spike_ratio", "spike_price_ratio", "spike_window", "spike_sustain", "spike_session_reference"],
        Reason::LoopRepeat => &["repeat_kill", "repeat_window", "repeat_poll_gap_seconds", "repeat_poll_kill", "tool_run_min_calls"],
        // A cycle lives in the repeat window, and a cycle of polls kills at
        // the repeat rule's poll count (or what the window holds).
        Reason::LoopCycle => {
            &["cycle_repeats", "cycle_max_period", "repeat_window", "repeat_poll_gap_seconds", "repeat_poll_kill", "tool_run_min_calls"]
        }
        Reason::PingPong => &["ping_pong_handoffs", "ping_pong_busy_ratio"],
        Reason::StepRunaway => &["step_ratio", "step_p99_ratio", "step_min_actions", "step_min_sessions", "step_cap_without_baseline"],
        Reason::RetryStorm => &["retry_kill", "retry_window", "retry_forgive"],
        Reason::ContextGrowth => {
            &["growth_steps", "growth_ratio", "growth_long_steps", "growth_long_ratio", "growth_hold_ratio", "growth_hold_calls"]
        }
        Reason::SubagentFanout => &[
            "fanout_ratio",
            "fanout_min_children",
            "fanout_min_parents",
            "fanout_cap_without_baseline",
            "fanout_tree_cap_without_baseline",
        ],
        Reason::AgentBudget => &["agent_budget_usd"],
        Reason::FleetBudget => &[],
    }
}

/// Errors raised while loading or validating a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    /// A file with nothing in it: a write caught half-way or a mistake,
    /// never a wish for the built-in defaults (no `--policy` gives those).
    #[error("policy file {path} is empty: give it a `version` and the keys it overrides, or run without a policy file for the built-in defaults")]
    Empty { path: String },
    #[error("policy file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    /// Valid TOML with an unknown key or a value of the wrong type.
    #[error("policy file {path}: {message}")]
    Value { path: String, message: String },
    #[error("policy key `{key}` = {value} is invalid: {allowed}")]
    Invalid { key: String, value: String, allowed: String },
}

macro_rules! thresholds {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty = $default:expr ),* $(,)?) => {
        /// Thresholds that may differ per task type and per agent.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct Thresholds {
            $( $(#[doc = $doc])* pub $name: $ty, )*
            /// Detectors switched off for this scope (by reason name).
            pub disabled: Vec<Reason>,
        }

        impl Default for Thresholds {
            fn default() -> Self {
                Thresholds { $( $name: $default, )* disabled: Vec::new() }
            }
        }

        /// A partial set of thresholds: an override table in the file.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ThresholdsPatch {
            $( #[serde(default, skip_serializing_if = "Option::is_none")] pub $name: Option<$ty>, )*
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub disabled: Option<Vec<String>>,
        }

        impl ThresholdsPatch {
            /// Whether this table sets any of `keys` (threshold names).
            pub fn sets_any(&self, keys: &[&str]) -> bool {
                false $( || (self.$name.is_some() && keys.contains(&stringify!($name))) )*
            }

            /// Whether this table sets any threshold (`disabled` aside).
            fn sets_threshold(&self) -> bool {
                false $( || self.$name.is_some() )*
            }

            fn apply(&self, t: &mut Thresholds) {
                $( if let Some(v) = &self.$name { t.$name = v.clone(); } )*
                if let Some(d) = &self.disabled {
                    t.disabled = d.iter().filter_map(|s| Reason::parse(s)).collect();
                }
            }
        }
    };
}

thresholds! {
    /// Per-session spend ceiling in USD: kill at the event that crosses it.
    session_budget_usd: f64 = 25.0,
    /// A ceiling learned per task type: kill a session whose spend passes
    /// this multiple of the p95 spend of the type's finished sessions (0 = off).
    spend_ratio: f64 = 5.0,
    /// ... never below this spend in USD.
    spend_min_usd: f64 = 2.5,
    /// Finished sessions a task type needs before its spend normal is trusted.
    spend_min_sessions: u32 = 50,
    /// Spend ceiling in USD for a whole sub-agent tree (one `task_id`).
    task_budget_usd: f64 = 100.0,
    /// Cost per action at or above this multiple of the baseline is a spike.
    spike_ratio: f64 = 3.0,
    /// An LLM call on a model whose list price (one input plus one output
    /// token) is at or above this multiple of the p99 of its agent's usual
    /// models' list prices is a spike, from a session's first call on
    /// (0 = off).
    spike_price_ratio: f64 = 3.0,
    /// Recent priced actions looked at to call a spike sustained.
    spike_window: u32 = 7,
    /// Spiking actions among the recent window that make a spike sustained (kill).
    spike_sustain: u32 = 5,
    /// Priced actions of a session that form its own reference level.
    spike_session_reference: u32 = 3,
    /// Occurrences of the same tool call (tool + args_hash) within `repeat_window` that kill.
    repeat_kill: u32 = 5,
    /// Calls (with a tool) remembered for repeat detection.
    repeat_window: u32 = 48,
    /// A repeat made after the session waited this long (seconds) is a poll
    /// (waiting for CI, a job, a human), not a spin (0 = never). A free
    /// repeat (no LLM call or priced call since the call before) is a poll
    /// after a quarter of this idle; free polls never count toward a kill.
    repeat_poll_gap_seconds: u32 = 20,
    /// Occurrences of the same call that kill when some were polls.
    repeat_poll_kill: u32 = 25,
    /// Full repetitions of a call sequence that make a cycle.
    cycle_repeats: u32 = 3,
    /// Longest call sequence considered a cycle.
    cycle_max_period: u32 = 8,
    /// Consecutive alternating handoffs between two agents that kill when most
    /// legs between them bring no new call (raised to the task type's p95
    /// handoffs per session once that normal is trusted).
    ping_pong_handoffs: u32 = 12,
    /// ... and, whatever the legs bring, at this multiple of twice the task
    /// type's p95 handoffs per session once that normal is trusted (of the
    /// count above before), never below that count: a pair that makes new
    /// calls on every leg, far longer than its type's normal, is handing
    /// work back and forth too, when one side keeps coming back (0 = off).
    ping_pong_busy_ratio: f64 = 3.0,
    /// Kill when a session's actions exceed this multiple of its task type's p95
    /// length and its spend exceeds the p95 spend of that task type's sessions.
    step_ratio: f64 = 2.5,
    /// ... or, for a task type whose lengths end abruptly, this multiple of
    /// its p99 (the tail extrapolated at its own slope when steeper).
    step_p99_ratio: f64 = 1.5,
    /// Never call step runaway below this many actions.
    step_min_actions: u32 = 40,
    /// Completed sessions a task type needs before its normal is trusted.
    step_min_sessions: u32 = 10,
    /// Hard action cap while the task type has no trusted normal (0 = none).
    step_cap_without_baseline: u32 = 1000,
    /// A run of calls going round the same one to three tools, whatever
    /// their arguments (a request id or a timestamp in each hides the loop
    /// from the repeat and cycle rules), kills past `step_ratio` × the p95
    /// of the longest such runs of its task type's finished sessions (or
    /// `step_p99_ratio` × their p99), and never below this many calls (a
    /// batch edit of 200 files is 200; a run that spawned sub-agents is
    /// fan-out's to judge) (0 = off).
    tool_run_min_calls: u32 = 200,
    /// Retries/errors among the last `retry_window` actions that kill.
    retry_kill: u32 = 8,
    /// Actions looked at for a retry storm.
    retry_window: u32 = 20,
    /// Failed attempts no longer counted once the same call succeeds (a
    /// tool with the same arguments; an LLM call to the same model, else
    /// provider): retries that recovered are the retry policy working, not
    /// a storm. At most this many of the latest failures are forgiven per
    /// success, so a call needing more attempts than that, again and
    /// again, still adds up to a storm (0: every failure counts).
    retry_forgive: u32 = 3,
    /// Consecutive LLM calls with a growing context (each at most 2x the one before) that make context growth.
    growth_steps: u32 = 6,
    /// Context (tokens) at this multiple of its baseline's p95, reached by
    /// `growth_steps` growing calls, is a context-growth runaway.
    growth_ratio: f64 = 4.0,
    /// A longer climb needs less: this many growing calls in a row (0: off)
    growth_long_steps: u32 = 18,
    /// ... to this multiple of the baseline's p95 is context growth too.
    growth_long_ratio: f64 = 3.0,
    /// Context that grew (`growth_steps` growing calls) to this multiple of
    /// its baseline's p95 and then stays there ...
    growth_hold_ratio: f64 = 1.5,
    /// ... for this many LLM calls in a row is context growth too: an agent
    /// pinned at its context window, never compacting (0: off).
    growth_hold_calls: u32 = 8,
    /// Kill when a parent has spawned this multiple of its task type's p95 children
    /// (and a whole tree this multiple of the p99 of its type's trees).
    fanout_ratio: f64 = 2.5,
    /// Never call fan-out below this many child sessions.
    fanout_min_children: u32 = 8,
    /// Finished parents a task type needs before its fan-out normal is trusted.
    fanout_min_parents: u32 = 10,
    /// Child cap while the task type has no normal of its own; the fleet's
    /// normal (ratio × its p95) can raise it, not lower it (0 = none).
    fanout_cap_without_baseline: u32 = 40,
    /// Cap on the sessions below a parent at any depth while neither its
    /// task type nor the fleet has a normal of whole trees (0 = none).
    fanout_tree_cap_without_baseline: u32 = 320,
    /// Per-agent spend budget over the agent window, USD (0 = none).
    agent_budget_usd: f64 = 250.0,
}

/// Settings that hold for the whole detector (not overridable per scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Global {
    /// Rolling window of cost baselines, hours of event time.
    pub baseline_window_hours: u32,
    /// Sub-windows the baseline window rolls by.
    pub baseline_buckets: u32,
    /// Samples a baseline needs before it is trusted.
    pub baseline_min_samples: u32,
    /// A session idle this long (event time) is complete and evicted.
    pub session_idle_minutes: u32,
    /// Window of the per-agent budget, minutes.
    pub agent_window_minutes: u32,
    /// Fleet spend budget over the fleet window, USD (0 = none).
    pub fleet_budget_usd: f64,
    /// Window of the fleet budget, minutes.
    pub fleet_window_minutes: u32,
    /// Share of the fleet budget that throttles the fleet.
    pub fleet_throttle_at: f64,
    /// Share of the fleet budget that pauses the fleet.
    pub fleet_pause_at: f64,
    /// Hard cap of tracked sessions (least recently active evicted first).
    pub max_sessions: u32,
    /// Hard cap of cost baselines (least recently used evicted first).
    pub max_baselines: u32,
    /// Event ids remembered for redelivery dedupe.
    pub dedupe_capacity: u32,
    /// A provider (or, for calls that name none, a model) is in an outage
    /// when, within this window of event time, at least
    /// `outage_min_sessions` sessions had failed calls to it and failures
    /// are at least `outage_error_share` of its calls. A retry storm on it
    /// then alerts instead of killing: the sessions are not the cause.
    pub outage_window_minutes: u32,
    /// Distinct sessions with failed calls that make an outage (0 = never).
    pub outage_min_sessions: u32,
    /// Share of a provider's calls that failed that makes an outage.
    pub outage_error_share: f64,
    /// An event more than this many minutes after its stream's event time
    /// (the latest time its file or Kafka partition delivered) is counted
    /// at the stream's time unless 8 such events in a row confirm the jump:
    /// one host with a wrong clock, or a timestamp in microseconds, must
    /// not age every window and live session at once (0 = off).
    pub clock_jump_minutes: u32,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            baseline_window_hours: 24,
            baseline_buckets: 6,
            baseline_min_samples: 30,
            session_idle_minutes: 30,
            agent_window_minutes: 60,
            fleet_budget_usd: 5000.0,
            fleet_window_minutes: 60,
            fleet_throttle_at: 0.80,
            fleet_pause_at: 0.95,
            max_sessions: 2_000_000,
            max_baselines: 50_000,
            dedupe_capacity: 2_000_000,
            outage_window_minutes: 5,
            outage_min_sessions: 5,
            outage_error_share: 0.1,
            clock_jump_minutes: 60,
        }
    }
}

/// The policy as written in the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    global: Global,
    #[serde(default)]
    defaults: ThresholdsPatch,
    #[serde(default)]
    task_type: BTreeMap<String, ThresholdsPatch>,
    #[serde(default)]
    agent: BTreeMap<String, ThresholdsPatch>,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub version: String,
    pub global: Global,
    pub defaults: Thresholds,
    pub task_type: BTreeMap<String, ThresholdsPatch>,
    pub agent: BTreeMap<String, ThresholdsPatch>,
}

/// Version reported when no policy file is given.
pub const BUILTIN_VERSION: &str = "builtin-25";

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: BUILTIN_VERSION.to_string(),
            global: Global::default(),
            defaults: Thresholds::default(),
            task_type: BTreeMap::new(),
            agent: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Loads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read { path: path.display().to_string(), source })?;
        if text.trim().is_empty() {
            return Err(PolicyError::Empty { path: path.display().to_string() });
        }
        Policy::parse(&text, &path.display().to_string())
    }

    /// Parses and validates policy TOML; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        // A value out of range names its file too, as a parse error does:
        // the operator may run several policies.
        Policy::parse_unnamed(text, origin).map_err(|e| match e {
            PolicyError::Invalid { key, value, allowed } => {
                PolicyError::Value { path: origin.to_string(), message: format!("key `{key}` = {value} is invalid: {allowed}") }
            }
            other => other,
        })
    }

    fn parse_unnamed(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let (path, message) = (origin.to_string(), e.to_string());
            if text.parse::<toml::Table>().is_err() {
                PolicyError::Parse { path, message }
            } else {
                PolicyError::Value { path, message }
            }
        })?;
        // Every signal carries the version: a blank one would tell two
        // policies apart no better than none, and look like a value.
        if let Some(v) = file.version.as_deref().filter(|v| v.trim().is_empty()) {
            return Err(PolicyError::Invalid {
                key: "version".into(),
                value: format!("{v:?}"),
                allowed: format!(
                    "a non-empty version, e.g. \"2026-11-25.1\" (or no `version`: the file then runs as {origin}#unversioned)"
                ),
            });
        }
        let mut defaults = Thresholds::default();
        file.defaults.apply(&mut defaults);
        let policy = Policy {
            version: file.version.unwrap_or_else(|| format!("{origin}#unversioned")),
            global: file.global,
            defaults,
            task_type: file.task_type,
            agent: file.agent,
        };
        // Which `[global]` keys the file sets: a message about two of them
        // must not blame one the operator never wrote.
        let global_keys: Vec<String> = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("global").and_then(|g| g.as_table()).map(|g| g.keys().cloned().collect()))
            .unwrap_or_default();
        policy.validate(&file.defaults, &global_keys)?;
        Ok(policy)
    }

    /// The thresholds for one agent running one task type:
    /// defaults < task type override < agent override.
    pub fn resolve(&self, agent: &str, task_type: &str) -> Thresholds {
        let mut t = self.defaults.clone();
        if let Some(p) = self.task_type.get(task_type) {
            p.apply(&mut t);
        }
        if let Some(p) = self.agent.get(agent) {
            p.apply(&mut t);
        }
        t
    }

    /// The policy id of a rule as applied to (agent, task type): names the
    /// most specific table that set anything for that subject.
    pub fn rule_id(&self, reason: Reason, agent: &str, task_type: &str) -> String {
        // The scope whose table set one of the rule's own thresholds: an
        // agent table that only sets `disabled` does not make every other
        // rule that agent's.
        let keys = rule_keys(reason);
        let sets = |patch: Option<&ThresholdsPatch>| patch.is_some_and(|p| p.sets_any(keys));
        if sets(self.agent.get(agent)) {
            format!("agent:{agent}/{}", reason.as_str())
        } else if sets(self.task_type.get(task_type)) {
            format!("task_type:{task_type}/{}", reason.as_str())
        } else {
            format!("default/{}", reason.as_str())
        }
    }

    fn validate(&self, defaults_patch: &ThresholdsPatch, global_keys: &[String]) -> Result<(), PolicyError> {
        let g = &self.global;
        positive_u32("global.baseline_window_hours", g.baseline_window_hours)?;
        range_u32("global.baseline_buckets", g.baseline_buckets, 1, 64)?;
        positive_u32("global.session_idle_minutes", g.session_idle_minutes)?;
        positive_u32("global.agent_window_minutes", g.agent_window_minutes)?;
        positive_u32("global.fleet_window_minutes", g.fleet_window_minutes)?;
        non_negative("global.fleet_budget_usd", g.fleet_budget_usd)?;
        share("global.fleet_throttle_at", g.fleet_throttle_at)?;
        share("global.fleet_pause_at", g.fleet_pause_at)?;
        if g.fleet_pause_at < g.fleet_throttle_at {
            let set = |k: &str| global_keys.iter().any(|g| g == k);
            let from = |k: &str| if set(k) { "set in [global]" } else { "built-in" };
            // The key the file sets is the one at fault; of two, the pause level.
            return Err(if set("fleet_pause_at") || !set("fleet_throttle_at") {
                PolicyError::Invalid {
                    key: "global.fleet_pause_at".into(),
                    value: g.fleet_pause_at.to_string(),
                    allowed: format!("must be >= global.fleet_throttle_at ({}, {})", g.fleet_throttle_at, from("fleet_throttle_at")),
                }
            } else {
                PolicyError::Invalid {
                    key: "global.fleet_throttle_at".into(),
                    value: g.fleet_throttle_at.to_string(),
                    allowed: format!("must be <= global.fleet_pause_at ({}, built-in)", g.fleet_pause_at),
                }
            });
        }
        positive_u32("global.max_sessions", g.max_sessions)?;
        positive_u32("global.max_baselines", g.max_baselines)?;
        positive_u32("global.dedupe_capacity", g.dedupe_capacity)?;
        positive_u32("global.outage_window_minutes", g.outage_window_minutes)?;
        range_u32("global.outage_min_sessions", g.outage_min_sessions, 0, 64)?;
        share("global.outage_error_share", g.outage_error_share)?;
        check_disabled("defaults", defaults_patch)?;
        for (name, p) in &self.task_type {
            check_disabled(&format!("task_type.{name}"), p)?;
        }
        for (name, p) in &self.agent {
            check_disabled(&format!("agent.{name}"), p)?;
        }
        // Each scope is checked as the detector resolves it (defaults < task
        // type < agent), not alone over the built-in values: an override's
        // `spike_sustain` must fit the `spike_window` it inherits, or that
        // rule can never fire for the scope. Any agent may run any task type,
        // so every (agent, task type) pair is a scope of its own.
        let defaults = ("defaults".to_string(), defaults_patch);
        check_scope(&Scope { layers: vec![defaults.clone()] })?;
        for (name, p) in &self.task_type {
            check_scope(&Scope { layers: vec![defaults.clone(), (format!("task_type.{name}"), p)] })?;
        }
        for (name, p) in &self.agent {
            let agent = (format!("agent.{name}"), p);
            check_scope(&Scope { layers: vec![defaults.clone(), agent.clone()] })?;
            // A pair can only go wrong where both tables set thresholds.
            for (tt, tp) in self.task_type.iter().filter(|(_, tp)| p.sets_threshold() && tp.sets_threshold()) {
                check_scope(&Scope { layers: vec![defaults.clone(), (format!("task_type.{tt}"), tp), agent.clone()] })?;
            }
        }
        Ok(())
    }
}

/// One scope's tables, broadest first, as `Policy::resolve` layers them.
struct Scope<'a> {
    layers: Vec<(String, &'a ThresholdsPatch)>,
}

impl Scope<'_> {
    fn thresholds(&self) -> Thresholds {
        let mut t = Thresholds::default();
        for (_, p) in &self.layers {
            p.apply(&mut t);
        }
        t
    }

    /// The most specific table that sets `field`, with its depth; `None`
    /// for the built-in value.
    fn origin(&self, field: &str) -> Option<(usize, &str)> {
        self.layers.iter().enumerate().rev().find(|(_, (_, p))| p.sets_any(&[field])).map(|(i, (name, _))| (i, name.as_str()))
    }

    /// `table.field`, naming the table the value came from (the scope's
    /// own when it is the built-in value).
    fn key(&self, field: &str) -> String {
        let table = self.origin(field).map_or_else(|| self.layers.last().map_or("defaults", |(n, _)| n.as_str()), |(_, n)| n);
        format!("{table}.{field}")
    }

    /// Where a value came from, for a message about another key.
    fn from(&self, field: &str) -> String {
        match self.origin(field) {
            Some((_, name)) => format!("from [{name}]"),
            None => "built-in".to_string(),
        }
    }

    /// Whether this scope is an agent over a task type: messages say so,
    /// since neither table alone is at fault.
    fn pair(&self) -> String {
        match self.layers.as_slice() {
            [_, (tt, _), (agent, _)] => format!(" for {agent} on {tt}"),
            _ => String::new(),
        }
    }

    /// `min <= small <= big` for two keys of one rule (a count within its
    /// window, a lower limit below a higher one). The key set by the more
    /// specific table is named: that is the one the operator just wrote.
    fn within(&self, small_field: &str, small: u32, min: u32, big_field: &str, big: u32) -> Result<(), PolicyError> {
        if small < min {
            return range_u32(&self.key(small_field), small, min, u32::MAX);
        }
        if small <= big {
            return Ok(());
        }
        let depth = |f: &str| self.origin(f).map_or(-1, |(i, _)| i as i64);
        if depth(small_field) >= depth(big_field) {
            Err(PolicyError::Invalid {
                key: self.key(small_field),
                value: small.to_string(),
                allowed: format!("an integer from {min} to {big} (`{big_field}` = {big} {}){}", self.from(big_field), self.pair()),
            })
        } else {
            Err(PolicyError::Invalid {
                key: self.key(big_field),
                value: big.to_string(),
                allowed: format!("at least `{small_field}` = {small} ({}){}", self.from(small_field), self.pair()),
            })
        }
    }
}

/// Every check of one scope's effective thresholds; a message names the
/// table that set the value at fault.
fn check_scope(scope: &Scope) -> Result<(), PolicyError> {
    let t = scope.thresholds();
    let k = |f: &str| scope.key(f);
    non_negative(&k("session_budget_usd"), t.session_budget_usd)?;
    if t.spend_ratio != 0.0 {
        at_least(&k("spend_ratio"), t.spend_ratio, 1.0)?;
    }
    non_negative(&k("spend_min_usd"), t.spend_min_usd)?;
    positive_u32(&k("spend_min_sessions"), t.spend_min_sessions)?;
    non_negative(&k("task_budget_usd"), t.task_budget_usd)?;
    non_negative(&k("agent_budget_usd"), t.agent_budget_usd)?;
    at_least(&k("spike_ratio"), t.spike_ratio, 1.0)?;
    if t.ping_pong_busy_ratio != 0.0 {
        at_least(&k("ping_pong_busy_ratio"), t.ping_pong_busy_ratio, 1.0)?;
    }
    if t.spike_price_ratio != 0.0 {
        at_least(&k("spike_price_ratio"), t.spike_price_ratio, 1.0)?;
    }
    at_least(&k("step_ratio"), t.step_ratio, 1.0)?;
    at_least(&k("step_p99_ratio"), t.step_p99_ratio, 1.0)?;
    at_least(&k("growth_ratio"), t.growth_ratio, 1.0)?;
    at_least(&k("growth_hold_ratio"), t.growth_hold_ratio, 1.0)?;
    at_least(&k("growth_long_ratio"), t.growth_long_ratio, 1.0)?;
    range_u32(&k("growth_long_steps"), t.growth_long_steps, 0, 1_000)?;
    range_u32(&k("growth_hold_calls"), t.growth_hold_calls, 0, 1_000)?;
    at_least(&k("fanout_ratio"), t.fanout_ratio, 1.0)?;
    range_u32(&k("spike_window"), t.spike_window, 1, 64)?;
    scope.within("spike_sustain", t.spike_sustain, 1, "spike_window", t.spike_window)?;
    range_u32(&k("spike_session_reference"), t.spike_session_reference, 1, 64)?;
    range_u32(&k("repeat_window"), t.repeat_window, 2, 256)?;
    scope.within("repeat_kill", t.repeat_kill, 2, "repeat_window", t.repeat_window)?;
    scope.within("repeat_kill", t.repeat_kill, 2, "repeat_poll_kill", t.repeat_poll_kill)?;
    scope.within("repeat_poll_kill", t.repeat_poll_kill, 2, "repeat_window", t.repeat_window)?;
    range_u32(&k("cycle_repeats"), t.cycle_repeats, 2, 16)?;
    range_u32(&k("cycle_max_period"), t.cycle_max_period, 2, 16)?;
    range_u32(&k("ping_pong_handoffs"), t.ping_pong_handoffs, 2, 10_000)?;
    range_u32(&k("retry_window"), t.retry_window, 1, 256)?;
    scope.within("retry_kill", t.retry_kill, 1, "retry_window", t.retry_window)?;
    range_u32(&k("retry_forgive"), t.retry_forgive, 0, 64)?;
    range_u32(&k("growth_steps"), t.growth_steps, 2, 8)?;
    positive_u32(&k("fanout_min_parents"), t.fanout_min_parents)?;
    positive_u32(&k("step_min_sessions"), t.step_min_sessions)?;
    Ok(())
}

/// `disabled` names reasons; checked per table as written (resolving drops
/// names it does not know).
fn check_disabled(table: &str, p: &ThresholdsPatch) -> Result<(), PolicyError> {
    let k = |f: &str| format!("{table}.{f}");
    if let Some(d) = &p.disabled {
        for name in d {
            match Reason::parse(name) {
                None => {
                    return Err(PolicyError::Invalid {
                        key: k("disabled"),
                        value: format!("{name:?}"),
                        allowed: format!("one of {}", Reason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")),
                    })
                }
                // One budget for the whole fleet: a narrower scope cannot
                // switch it off, and accepting it there would do nothing.
                Some(Reason::FleetBudget) if table != "defaults" => {
                    return Err(PolicyError::Invalid {
                        key: k("disabled"),
                        value: format!("{name:?}"),
                        allowed: "fleet_budget only in [defaults] (the fleet budget is fleet-wide; or set global.fleet_budget_usd = 0)"
                            .into(),
                    })
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

fn non_negative(key: &str, v: f64) -> Result<(), PolicyError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(PolicyError::Invalid { key: key.into(), value: v.to_string(), allowed: "a finite number >= 0".into() })
    }
}

fn at_least(key: &str, v: f64, min: f64) -> Result<(), PolicyError> {
    if v.is_finite() && v >= min {
        Ok(())
    } else {
        Err(PolicyError::Invalid { key: key.into(), value: v.to_string(), allowed: format!("a number >= {min}") })
    }
}

fn share(key: &str, v: f64) -> Result<(), PolicyError> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(PolicyError::Invalid { key: key.into(), value: v.to_string(), allowed: "a share in (0, 1]".into() })
    }
}

fn positive_u32(key: &str, v: u32) -> Result<(), PolicyError> {
    range_u32(key, v, 1, u32::MAX)
}

fn range_u32(key: &str, v: u32, min: u32, max: u32) -> Result<(), PolicyError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(PolicyError::Invalid { key: key.into(), value: v.to_string(), allowed: format!("an integer from {min} to {max}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_override_beats_task_type_override() {
        let p = Policy::parse(
            r#"
version = "t1"
[defaults]
session_budget_usd = 10.0
[task_type.research]
session_budget_usd = 40.0
step_ratio = 5.0
[agent.scout]
session_budget_usd = 2.0
"#,
            "test",
        )
        .unwrap();
        assert_eq!(p.version, "t1");
        assert_eq!(p.resolve("other", "chat").session_budget_usd, 10.0);
        assert_eq!(p.resolve("other", "research").session_budget_usd, 40.0);
        let t = p.resolve("scout", "research");
        assert_eq!(t.session_budget_usd, 2.0);
        assert_eq!(t.step_ratio, 5.0);
    }

    #[test]
    fn invalid_value_names_key_and_range() {
        let e = Policy::parse("[defaults]\nspike_ratio = 0.5\n", "p.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("defaults.spike_ratio") && msg.contains(">= 1"), "{msg}");
    }

    /// Each policy text is rejected with an error naming its key.
    fn assert_rejected(cases: &[(&str, &str)]) {
        for (text, key) in cases {
            let e = Policy::parse(text, "p.toml").unwrap_err().to_string();
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn outage_keys_are_validated() {
        assert_rejected(&[
            ("[global]\noutage_error_share = 0.0\n", "global.outage_error_share"),
            ("[global]\noutage_error_share = 1.5\n", "global.outage_error_share"),
            ("[global]\noutage_window_minutes = 0\n", "global.outage_window_minutes"),
            ("[global]\noutage_min_sessions = 65\n", "global.outage_min_sessions"),
        ]);
        let off = Policy::parse("[global]\noutage_min_sessions = 0\n", "p.toml").expect("0 turns the gate off");
        assert_eq!(off.global.outage_min_sessions, 0);
    }

    #[test]
    fn hold_keys_are_validated() {
        assert_rejected(&[
            ("[defaults]\ngrowth_hold_ratio = 0.9\n", "defaults.growth_hold_ratio"),
            ("[task_type.x]\ngrowth_hold_calls = 5000\n", "growth_hold_calls"),
            ("[defaults]\nstep_p99_ratio = 0.5\n", "defaults.step_p99_ratio"),
            ("[defaults]\nspend_ratio = 0.5\n", "defaults.spend_ratio"),
            ("[defaults]\nspend_min_sessions = 0\n", "defaults.spend_min_sessions"),
        ]);
        let off = Policy::parse("[defaults]\ngrowth_hold_calls = 0\n", "p.toml").expect("0 turns the rule off");
        assert_eq!(off.resolve("a", "t").growth_hold_calls, 0);
    }

    #[test]
    fn a_rule_id_names_the_scope_that_set_that_rule() {
        let p = Policy::parse(
            "version = \"v\"\n[task_type.code_fix]\nsession_budget_usd = 5.0\n[task_type.ci]\nrepeat_window = 96\n[agent.coder]\ndisabled = [\"context_growth\"]\nrepeat_kill = 9\n",
            "p.toml",
        )
        .unwrap();
        // A cycle is looked for in the repeat window: a table setting it
        // sets the cycle rule too.
        assert_eq!(p.rule_id(Reason::LoopCycle, "tester", "ci"), "task_type:ci/loop_cycle");
        assert_eq!(p.rule_id(Reason::LoopRepeat, "tester", "ci"), "task_type:ci/loop_repeat");
        assert_eq!(p.rule_id(Reason::SessionBudget, "tester", "ci"), "default/session_budget");
        assert_eq!(p.rule_id(Reason::SessionBudget, "coder", "code_fix"), "task_type:code_fix/session_budget");
        assert_eq!(p.rule_id(Reason::LoopRepeat, "coder", "code_fix"), "agent:coder/loop_repeat");
        assert_eq!(p.rule_id(Reason::LoopCycle, "coder", "code_fix"), "default/loop_cycle");
        // Every threshold belongs to a rule.
        let all = serde_json::to_value(Thresholds::default()).unwrap();
        for key in all.as_object().unwrap().keys().filter(|k| *k != "disabled") {
            assert!(Reason::ALL.iter().any(|r| rule_keys(*r).contains(&key.as_str())), "{key} belongs to no rule");
        }
    }

    /// (policy text, `None` when valid, else what the error must say):
    /// each override scope is checked with the values it inherits.
    const SCOPE_CASES: &[(&str, Option<&[&str]>)] = &[
        // Inherited window smaller than the override's count.
        ("[defaults]\nspike_window = 5\n[agent.a1]\nspike_sustain = 7\n", Some(&["agent.a1.spike_sustain", "from 1 to 5", "[defaults]"])),
        ("[defaults]\nretry_window = 10\n[task_type.t1]\nretry_kill = 15\n", Some(&["task_type.t1.retry_kill", "from 1 to 10"])),
        (
            "[defaults]\nrepeat_window = 10\nrepeat_poll_kill = 10\n[agent.a1]\nrepeat_kill = 11\n",
            Some(&["agent.a1.repeat_kill", "from 2 to 10"]),
        ),
        (
            "[defaults]\nrepeat_window = 10\nrepeat_kill = 4\nrepeat_poll_kill = 10\n[agent.a1]\nrepeat_window = 8\n",
            Some(&["agent.a1.repeat_window", "at least `repeat_poll_kill` = 10"]),
        ),
        ("[defaults]\nrepeat_poll_kill = 20\n[task_type.t1]\nrepeat_kill = 21\n", Some(&["task_type.t1.repeat_kill", "repeat_poll_kill"])),
        // A window shrunk below the built-in count names the window.
        ("[agent.a1]\nspike_window = 3\n", Some(&["agent.a1.spike_window", "at least `spike_sustain` = 5 (built-in)"])),
        // An agent over a task type: an agent setting both keys of a rule
        // fits every task type; one setting one key must fit each type's
        // other key, though neither table alone is wrong.
        ("[task_type.t1]\nspike_window = 4\nspike_sustain = 3\n[agent.a1]\nspike_sustain = 6\nspike_window = 6\n", None),
        (
            "[task_type.t1]\nspike_window = 10\nspike_sustain = 6\n[agent.a1]\nspike_window = 5\n",
            Some(&["agent.a1.spike_window", "spike_sustain", "[task_type.t1]", "for agent.a1 on task_type.t1"]),
        ),
        (
            "[task_type.t1]\nretry_window = 5\nretry_kill = 2\n[agent.a1]\nretry_kill = 6\nretry_forgive = 1\n",
            Some(&["agent.a1.retry_kill", "from 1 to 5", "for agent.a1 on task_type.t1"]),
        ),
        // The converse: an inherited window larger than the built-in one.
        ("[defaults]\nspike_window = 10\n[agent.a1]\nspike_sustain = 9\n", None),
        ("[defaults]\nretry_window = 40\n[task_type.t1]\nretry_kill = 30\n", None),
        ("[defaults]\nrepeat_window = 100\nrepeat_poll_kill = 60\n[agent.a1]\nrepeat_kill = 50\n", None),
        // Single-key checks name the table that set the value.
        ("[task_type.t1]\nspike_ratio = 0.5\n[agent.a1]\nsession_budget_usd = 1.0\n", Some(&["task_type.t1.spike_ratio", ">= 1"])),
        // The version: absent is fine, blank is refused.
        ("version = \"\"\n", Some(&["`version`", "non-empty"])),
        ("version = \"  \"\n", Some(&["`version`", "non-empty"])),
    ];

    #[test]
    fn each_scope_is_checked_with_what_it_inherits() {
        for (text, want) in SCOPE_CASES {
            match (Policy::parse(text, "p.toml"), want) {
                (Ok(_), None) => {}
                (Ok(_), Some(parts)) => panic!("{text:?} accepted; want an error with {parts:?}"),
                (Err(e), None) => panic!("{text:?} refused: {e}"),
                (Err(e), Some(parts)) => {
                    let msg = e.to_string();
                    for part in *parts {
                        assert!(msg.contains(part), "{text:?}: {part:?} missing in {msg}");
                    }
                }
            }
        }
        let p = Policy::parse("[defaults]\nspike_window = 10\n[agent.a1]\nspike_sustain = 9\n", "p.toml").unwrap();
        assert_eq!((p.resolve("a1", "t").spike_window, p.resolve("a1", "t").spike_sustain), (10, 9));
        assert_eq!(Policy::parse("", "p.toml").unwrap().version, "p.toml#unversioned");
    }

    #[test]
    fn fleet_budget_is_disabled_only_fleet_wide() {
        let p = Policy::parse("[defaults]\ndisabled = [\"fleet_budget\"]\n", "p.toml").expect("fleet-wide");
        assert_eq!(p.defaults.disabled, vec![Reason::FleetBudget]);
        assert_rejected(&[
            ("[agent.a1]\ndisabled = [\"fleet_budget\"]\n", "agent.a1.disabled"),
            ("[task_type.t1]\ndisabled = [\"agent_budget\", \"fleet_budget\"]\n", "task_type.t1.disabled"),
        ]);
    }

    #[test]
    fn fleet_levels_out_of_order_name_the_key_the_file_set() {
        let e = Policy::parse("[global]\nfleet_throttle_at = 0.99\n", "p.toml").unwrap_err().to_string();
        assert!(e.contains("global.fleet_throttle_at` = 0.99") && e.contains("(0.95, built-in)"), "{e}");
        let e = Policy::parse("[global]\nfleet_pause_at = 0.5\n", "p.toml").unwrap_err().to_string();
        assert!(e.contains("global.fleet_pause_at` = 0.5") && e.contains("(0.8, built-in)"), "{e}");
        let e = Policy::parse("[global]\nfleet_pause_at = 0.7\nfleet_throttle_at = 0.9\n", "p.toml").unwrap_err().to_string();
        assert!(e.contains("global.fleet_pause_at` = 0.7") && e.contains("(0.9, set in [global])"), "{e}");
    }

    #[test]
    fn an_empty_or_blank_policy_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        for text in ["", "  \n\t\n"] {
            let path = dir.path().join("p.toml");
            std::fs::write(&path, text).expect("write");
            let e = Policy::load(&path).unwrap_err();
            assert!(matches!(e, PolicyError::Empty { .. }) && e.to_string().contains("p.toml is empty"), "{e}");
        }
    }

    #[test]
    fn unknown_key_is_rejected() {
        let e = Policy::parse("[defaults]\nspike_ratoi = 3.0\n", "p.toml").unwrap_err().to_string();
        assert!(e.contains("spike_ratoi") && !e.contains("not valid TOML"), "{e}");
        let e = Policy::parse("[defaults]\nspike_ratio = \"high\"\n", "p.toml").unwrap_err().to_string();
        assert!(e.contains("spike_ratio") && !e.contains("not valid TOML"), "{e}");
        let e = Policy::parse("[defaults\nspike_ratio = 3\n", "p.toml").unwrap_err().to_string();
        assert!(e.contains("not valid TOML"), "{e}");
    }
}
