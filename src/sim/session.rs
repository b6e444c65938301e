//! Session behaviour of the simulated fleet: how a normal session of a task
//! type unfolds (ReAct turns: an LLM call that may request a tool, the tool
//! call, context growing with every result until the runtime compacts it),
//! how multi-agent sessions hand off and research sessions fan out to
//! sub-agents, and how each injected runaway and each false-positive trap
//! departs from that.
//!
//! Owns: the generator and its plan (which session is what). Deterministic:
//! one ChaCha8 stream seeded from `--seed` drives every choice, and events
//! are emitted in (event time, creation order) order.

use std::collections::HashSet;
use std::sync::Arc;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::fleet::{self, Agent, TaskType, AGENTS};
use super::{Label, SimConfig, SimError, SimEvent, Simulation, Ts};
use crate::event::format_rfc3339_ms;
use crate::pricing::{Catalog, ModelPrice, FALLBACK_PRICE};

/// Runaway kinds (named as the contract's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunawayKind {
    SessionBudget,
    CostSpike,
    LoopRepeat,
    LoopCycle,
    PingPong,
    StepRunaway,
    RetryStorm,
    ContextGrowth,
    SubagentFanout,
}

impl RunawayKind {
    pub const ALL: [RunawayKind; 9] = [
        RunawayKind::SessionBudget,
        RunawayKind::CostSpike,
        RunawayKind::LoopRepeat,
        RunawayKind::LoopCycle,
        RunawayKind::PingPong,
        RunawayKind::StepRunaway,
        RunawayKind::RetryStorm,
        RunawayKind::ContextGrowth,
        RunawayKind::SubagentFanout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunawayKind::SessionBudget => "session_budget",
            RunawayKind::CostSpike => "cost_spike",
            RunawayKind::LoopRepeat => "loop_repeat",
            RunawayKind::LoopCycle => "loop_cycle",
            RunawayKind::PingPong => "ping_pong",
            RunawayKind::StepRunaway => "step_runaway",
            RunawayKind::RetryStorm => "retry_storm",
            RunawayKind::ContextGrowth => "context_growth",
            RunawayKind::SubagentFanout => "subagent_fanout",
        }
    }

    /// Task types this runaway is injected into.
    fn task_types(self) -> &'static [&'static str] {
        match self {
            RunawayKind::PingPong => &["ticket_triage"],
            RunawayKind::SubagentFanout => &["research_report"],
            RunawayKind::ContextGrowth => &["data_extraction", "sql_analyst"],
            RunawayKind::SessionBudget => &["code_fix", "sql_analyst", "data_extraction"],
            _ => &["code_fix", "sql_analyst", "data_extraction", "support_reply", "sales_outreach"],
        }
    }

    /// Share of top-level sessions that carry this runaway.
    const RATE: f64 = 0.003;
}

/// Injected false-positive traps (the others — new agents, long task
/// types, the deployment shift — come from the fleet itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapKind {
    BatchEdit,
    ExpensiveAction,
    LegitRetry,
}

impl TrapKind {
    pub const ALL: [TrapKind; 3] = [TrapKind::BatchEdit, TrapKind::ExpensiveAction, TrapKind::LegitRetry];

    pub fn as_str(self) -> &'static str {
        match self {
            TrapKind::BatchEdit => "batch_edit",
            TrapKind::ExpensiveAction => "expensive_action",
            TrapKind::LegitRetry => "legit_retry",
        }
    }

    fn task_types(self) -> &'static [&'static str] {
        match self {
            TrapKind::BatchEdit => &["code_fix", "data_extraction"],
            _ => &["code_fix", "sql_analyst", "data_extraction", "support_reply", "sales_outreach", "doc_qa"],
        }
    }

    fn rate(self) -> f64 {
        match self {
            TrapKind::BatchEdit => 0.008,
            TrapKind::ExpensiveAction => 0.015,
            TrapKind::LegitRetry => 0.025,
        }
    }
}

/// All trap names a labels file can carry (normal sessions).
pub const TRAP_NAMES: &[&str] =
    &["batch_edit", "expensive_action", "legit_retry", "new_agent", "long_by_nature", "baseline_shift", "handoff_return", "unknown_model"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Normal,
    Runaway(RunawayKind),
    Trap(TrapKind),
}

struct Plan {
    agent: &'static Agent,
    task_type: &'static TaskType,
    /// Start, as a fraction of the span.
    start: f64,
    role: Role,
}

/// A session being generated.
struct Sess {
    id: Arc<str>,
    /// The agent acting now (changes on handoffs).
    agent: Arc<str>,
    home_agent: Arc<str>,
    tt: &'static TaskType,
    tt_name: Arc<str>,
    task_id: Option<Arc<str>>,
    parent: Option<Arc<str>>,
    tenant: Arc<str>,
    team: Arc<str>,
    model: Arc<str>,
    provider: Arc<str>,
    price: ModelPrice,
    reports_cost: bool,
    caching: bool,
    epoch_ts: bool,
    /// Tokens in the conversation now, and how many of them the provider
    /// has cached from the previous call.
    ctx: u64,
    cached: u64,
    ts: i64,
    spend: f64,
    events: u32,
    /// Per-session offset of argument values, so sessions touch different
    /// files/rows/urls; `fresh` counts never-repeated values.
    arg_base: u64,
    fresh: u64,
    /// Arguments of the calls made so far (normal turns).
    used: Vec<String>,
}

struct Gen {
    rng: ChaCha8Rng,
    catalog: Catalog,
    cfg: SimConfig,
    events: Vec<SimEvent>,
    labels: Vec<Label>,
    seq: u64,
    ids: HashSet<u64>,
}

/// Generates the whole fleet for `cfg`.
pub fn generate(cfg: &SimConfig) -> Result<Simulation, SimError> {
    if cfg.sessions == 0 {
        return Err(SimError::Invalid("--sessions must be at least 1".into()));
    }
    if !(cfg.hours.is_finite() && cfg.hours > 0.0) {
        return Err(SimError::Invalid(format!("--hours must be positive, got {}", cfg.hours)));
    }
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(cfg.seed),
        catalog: Catalog::embedded(),
        cfg: cfg.clone(),
        events: Vec::new(),
        labels: Vec::new(),
        seq: 0,
        ids: HashSet::new(),
    };
    let plans = g.plan();
    for p in &plans {
        g.run_plan(p);
    }
    g.add_redeliveries();
    g.events.sort_by_key(|e| (e.ts_ms, e.seq));
    Ok(Simulation { events: g.events, labels: g.labels })
}

impl Gen {
    // ---------------------------------------------------------------- plan

    fn plan(&mut self) -> Vec<Plan> {
        let total: f64 = AGENTS.iter().map(|a| a.weight).sum();
        let mut plans = Vec::with_capacity(self.cfg.sessions as usize);
        for _ in 0..self.cfg.sessions {
            let mut pick = self.rng.random::<f64>() * total;
            let mut agent = &AGENTS[0];
            for a in AGENTS {
                if pick < a.weight {
                    agent = a;
                    break;
                }
                pick -= a.weight;
            }
            let tt = fleet::task_type(self.weighted(agent.task_types));
            let start = self.start_fraction(agent.appears_at);
            plans.push(Plan { agent, task_type: tt, start, role: Role::Normal });
        }
        // Injections go to ordinary sessions of established agents only, so
        // every label names one thing.
        let eligible = |p: &Plan| {
            p.role == Role::Normal && p.agent.appears_at == 0.0 && p.agent.model.is_none() && p.agent.id != fleet::DEPLOY_SHIFT_AGENT
        };
        let n = self.cfg.sessions as f64;
        let mut wanted: Vec<Role> = Vec::new();
        let per_kind = ((n * RunawayKind::RATE).round() as usize).max(1);
        for k in RunawayKind::ALL {
            wanted.extend(std::iter::repeat_n(Role::Runaway(k), per_kind));
        }
        for t in TrapKind::ALL {
            wanted.extend(std::iter::repeat_n(Role::Trap(t), ((n * t.rate()).round() as usize).max(1)));
        }
        for role in wanted {
            let types = match role {
                Role::Runaway(k) => k.task_types(),
                Role::Trap(t) => t.task_types(),
                Role::Normal => continue,
            };
            let candidates: Vec<usize> =
                plans.iter().enumerate().filter(|(_, p)| eligible(p) && types.contains(&p.task_type.name)).map(|(i, _)| i).collect();
            if candidates.is_empty() {
                continue;
            }
            let i = candidates[self.rng.random_range(0..candidates.len())];
            plans[i].role = role;
        }
        plans
    }

    fn weighted(&mut self, items: &'static [(&'static str, f64)]) -> &'static str {
        let total: f64 = items.iter().map(|x| x.1).sum();
        let mut pick = self.rng.random::<f64>() * total;
        for (name, w) in items {
            if pick < *w {
                return name;
            }
            pick -= w;
        }
        items[items.len() - 1].0
    }

    /// A start time in [lo, 1) of the span, denser in (UTC) business hours.
    fn start_fraction(&mut self, lo: f64) -> f64 {
        loop {
            let f = lo + (1.0 - lo) * self.rng.random::<f64>();
            let hour = (f * self.cfg.hours) % 24.0;
            let d = (hour - 14.0) / 4.5;
            let w = 0.3 + 0.7 * (-0.5 * d * d).exp();
            if self.rng.random::<f64>() < w {
                return f;
            }
        }
    }

    // ---------------------------------------------------------- primitives

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box–Muller.
        let u1 = self.rng.random::<f64>().max(1e-12);
        let u2 = self.rng.random::<f64>();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * z).exp()
    }

    /// Log-uniform in [lo, hi].
    fn logu(&mut self, (lo, hi): (u64, u64)) -> u64 {
        if hi <= lo {
            return lo;
        }
        let (a, b) = ((lo.max(1) as f64).ln(), (hi as f64).ln());
        (a + (b - a) * self.rng.random::<f64>()).exp().round() as u64
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.rng.random_range(lo..=hi)
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn hex_id(&mut self, prefix: &str, digits: usize) -> Arc<str> {
        loop {
            let v = self.rng.next_u64() & ((1u64 << (digits * 4).min(63)) - 1);
            if self.ids.insert(v) {
                return Arc::from(format!("{prefix}{v:0digits$x}"));
            }
        }
    }

    fn turns(&mut self, tt: &TaskType) -> u64 {
        (self.lognormal(tt.turns_median, tt.turns_sigma).round() as u64).clamp(1, 2_000)
    }

    fn price_of(&self, model: &str, provider: &str) -> ModelPrice {
        self.catalog.lookup(model, Some(provider)).unwrap_or(FALLBACK_PRICE)
    }

    /// Model as an agent's SDK names it on the wire: some pin dated snapshots.
    fn wire_model(agent: &str, model: &'static str) -> &'static str {
        match (agent, model) {
            ("coder-beta", "claude-sonnet-4-5") => "claude-sonnet-4-5-20250929",
            ("support-bot-globex", "gpt-4o-mini") => "gpt-4o-mini-2024-07-18",
            _ => model,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_session(
        &mut self,
        agent: &'static Agent,
        agent_id: &str,
        tt: &'static TaskType,
        start_ms: i64,
        task_id: Option<Arc<str>>,
        parent: Option<Arc<str>>,
        model: (&'static str, &'static str),
    ) -> Sess {
        let id = self.hex_id("sess-", 12);
        let wire = Self::wire_model(agent_id, model.0);
        let price = self.price_of(model.0, model.1);
        let arg_base = self.range(0, 5_000);
        // The user's request (or the parent's brief) opens the conversation.
        let opening = self.logu((40, 1_500));
        Sess {
            id,
            agent: Arc::from(agent_id),
            home_agent: Arc::from(agent_id),
            tt,
            tt_name: Arc::from(tt.name),
            task_id,
            parent,
            tenant: Arc::from(agent.tenant),
            team: Arc::from(agent.team),
            model: Arc::from(wire),
            provider: Arc::from(model.1),
            price,
            reports_cost: agent.reports_cost && model.0 != fleet::UNKNOWN_MODEL,
            caching: agent.caching,
            epoch_ts: matches!(agent.id, "sdr-bot" | "extractor-1"),
            ctx: tt.system_tokens + opening,
            cached: 0,
            ts: start_ms,
            spend: 0.0,
            events: 0,
            arg_base,
            fresh: 0,
            used: Vec::new(),
        }
    }

    fn set_model(&self, s: &mut Sess, model: (&'static str, &'static str)) {
        s.model = Arc::from(model.0);
        s.provider = Arc::from(model.1);
        s.price = self.price_of(model.0, model.1);
        s.cached = 0; // a new model has no cached prefix
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        s: &mut Sess,
        kind: &'static str,
        tokens: (u64, u64, u64, u64),
        tool: Option<&str>,
        args: Option<&str>,
        target: Option<&str>,
        status: &'static str,
        latency_ms: u64,
        cost_override: Option<f64>,
    ) -> Arc<str> {
        let (input, output, cache_read, reasoning) = tokens;
        s.ts += latency_ms.max(1) as i64;
        let event_id = self.hex_id("ev-", 15);
        let is_llm = kind == "llm";
        let cost = if is_llm {
            // The fleet's models all state both base rates (the embedded
            // catalog's, or the fallback's); a missing one counts 0 here as
            // it did before rates could be missing. Base rates only, also
            // past a long-context tier (a context-growth runaway on gpt-5.5
            // passes 272k tokens): the simulated bill, and with it every
            // seed's events and docs/evaluation.md's figures, stay as they were.
            let p = &s.price;
            let (input_rate, output_rate) = (p.input_cost_per_token.unwrap_or(0.0), p.output_cost_per_token.unwrap_or(0.0));
            input as f64 * input_rate
                + output as f64 * output_rate
                + cache_read as f64 * p.cache_read_input_token_cost.unwrap_or(input_rate)
                + reasoning as f64 * p.output_cost_per_reasoning_token.unwrap_or(output_rate)
        } else {
            cost_override.unwrap_or(0.0)
        };
        s.spend += cost;
        s.events += 1;
        let reported = if s.reports_cost && (is_llm || cost_override.is_some()) { Some((cost * 1e8).round() / 1e8) } else { None };
        let ev = SimEvent {
            ts_ms: s.ts,
            seq: self.seq,
            event_id: event_id.clone(),
            ts: if s.epoch_ts { Ts::Millis(s.ts) } else { Ts::Text(format_rfc3339_ms(s.ts)) },
            session_id: s.id.clone(),
            agent_id: s.agent.clone(),
            task_type: s.tt_name.clone(),
            task_id: s.task_id.clone(),
            parent_session_id: s.parent.clone(),
            tenant: s.tenant.clone(),
            team: s.team.clone(),
            env: "prod",
            kind,
            model: if is_llm { Some(s.model.clone()) } else { None },
            provider: if is_llm { Some(s.provider.clone()) } else { None },
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: cache_read,
            reasoning_tokens: reasoning,
            cost_usd: reported,
            tool: tool.map(Arc::from),
            args_hash: args.map(args_hash),
            target_agent_id: target.map(Arc::from),
            status,
            latency_ms,
        };
        self.seq += 1;
        self.events.push(ev);
        // Orchestration overhead before the next action.
        s.ts += self.range(5, 250) as i64;
        event_id
    }

    /// One LLM call over the whole context. `req` is the tool it asks for.
    /// `uncached` forces a cache miss (a rebuilt prompt); `extra` adds input
    /// that is read once and not kept.
    fn llm(&mut self, s: &mut Sess, req: Option<(&str, &str)>, uncached: bool, extra: u64) -> Arc<str> {
        let out = self.logu(s.tt.output_tokens);
        let reasoning = if s.tt.reasoning_tokens.1 > 0 { self.logu(s.tt.reasoning_tokens) } else { 0 };
        let cache_read = if s.caching && !uncached { s.cached.min(s.ctx) } else { 0 };
        let input = s.ctx - cache_read + extra;
        let jitter = 0.6 + self.rng.random::<f64>();
        let latency = ((250 + (out + reasoning) * 9) as f64 * jitter) as u64 + (input + cache_read) / 400;
        let id = self.push(s, "llm", (input, out, cache_read, reasoning), req.map(|r| r.0), req.map(|r| r.1), None, "ok", latency, None);
        s.ctx += out;
        s.cached = s.ctx;
        id
    }

    /// An LLM call that failed before generating (rate limit, overload): not billed.
    fn llm_failed(&mut self, s: &mut Sess, status: &'static str) -> Arc<str> {
        let latency = self.range(80, 2_500);
        self.push(s, "llm", (0, 0, 0, 0), None, None, None, status, latency, None)
    }

    fn tool_latency(&mut self, tool: &str) -> u64 {
        let range = match tool {
            "run_tests" => (4_000, 90_000),
            "bash" => (300, 30_000),
            "run_query" => (200, 20_000),
            "web_search" => (400, 3_000),
            "fetch_url" => (300, 8_000),
            "spawn_subagent" => (20, 200),
            _ => (30, 2_500),
        };
        self.logu(range)
    }

    /// Paid third-party tools report their cost when the runtime bills.
    fn tool_cost(tool: &str) -> Option<f64> {
        match tool {
            "web_search" => Some(0.005),
            "enrich_contact" => Some(0.01),
            _ => None,
        }
    }

    fn tool(&mut self, s: &mut Sess, tool: &str, args: &str, status: &'static str, result: u64) -> Arc<str> {
        let latency = self.tool_latency(tool);
        let id = self.push(s, "tool", (0, 0, 0, 0), Some(tool), Some(args), None, status, latency, Self::tool_cost(tool));
        s.ctx += result;
        id
    }

    fn handoff(&mut self, s: &mut Sess, target: &str) -> Arc<str> {
        let latency = self.range(5, 60);
        let id = self.push(s, "handoff", (0, 0, 0, 0), None, None, Some(target), "ok", latency, None);
        s.agent = Arc::from(target);
        id
    }

    /// The runtime summarises the history once it passes the task type's limit.
    fn maybe_compact(&mut self, s: &mut Sess) {
        if s.ctx > s.tt.compact_at {
            self.llm(s, None, false, 0);
            let summary = self.range(1_500, 4_000);
            s.ctx = s.tt.system_tokens + summary;
            s.cached = 0;
        }
    }

    fn pick_tool(&mut self, tt: &'static TaskType) -> &'static str {
        self.weighted(tt.tools)
    }

    /// Arguments of a normal call. Mostly a value the session has not
    /// touched yet; now and then (re-reading a file after an edit, checking
    /// a record again) one it used before, but not the call it just made.
    /// Test runs are the exception: the same test command, re-run after edits.
    fn pick_args(&mut self, s: &mut Sess, tool: &str) -> String {
        if matches!(tool, "run_tests" | "list_tables") {
            let v = if self.chance(0.8) { 0 } else { 1 };
            return format!("{tool}:{}:{}", s.tenant, s.arg_base + v);
        }
        let prefix = format!("{tool}:");
        let reusable: Vec<usize> = s
            .used
            .iter()
            .enumerate()
            .filter(|(_, a)| a.starts_with(&prefix) && Some(a.as_str()) != s.used.last().map(|l| l.as_str()))
            .map(|(i, _)| i)
            .collect();
        if !reusable.is_empty() && self.chance(0.12) {
            let i = reusable[self.rng.random_range(0..reusable.len())];
            return s.used[i].clone();
        }
        let pool = s.tt.args_pool.max(1) as u64;
        let v = self.range(0, pool.saturating_mul(50));
        format!("{tool}:{}:{}", s.tenant, s.arg_base * 97 + v)
    }

    /// Arguments never used before in this session.
    fn fresh_args(&mut self, s: &mut Sess, tool: &str) -> String {
        s.fresh += 1;
        format!("{tool}:{}:{}:n{}", s.tenant, s.arg_base, s.fresh)
    }

    fn result_size(&mut self, s: &Sess) -> u64 {
        self.logu(s.tt.result_tokens)
    }

    /// One ReAct turn: the LLM asks for a tool, the tool runs.
    fn turn(&mut self, s: &mut Sess) -> Arc<str> {
        // An agent that is making progress does not repeat the call it just
        // made (a test run follows an edit, not another test run).
        let mut tool = self.pick_tool(s.tt);
        let mut args = self.pick_args(s, tool);
        for _ in 0..8 {
            if s.used.last() != Some(&args) {
                break;
            }
            tool = self.pick_tool(s.tt);
            args = self.pick_args(s, tool);
        }
        self.turn_with(s, tool, &args)
    }

    fn turn_with(&mut self, s: &mut Sess, tool: &str, args: &str) -> Arc<str> {
        s.used.push(args.to_string());
        let first = self.llm(s, Some((tool, args)), false, 0);
        let r = self.result_size(s);
        self.tool(s, tool, args, "ok", r);
        self.maybe_compact(s);
        first
    }

    fn fresh_turn(&mut self, s: &mut Sess) -> Arc<str> {
        let tool = self.pick_tool(s.tt);
        let args = self.fresh_args(s, tool);
        self.turn_with(s, tool, &args)
    }

    fn final_turn(&mut self, s: &mut Sess) -> Arc<str> {
        self.llm(s, None, false, 0)
    }

    fn label(&mut self, s: &Sess, runaway: bool, kind: &str, onset: Option<Arc<str>>, part_of: Option<Arc<str>>) {
        self.labels.push(Label {
            session_id: s.id.to_string(),
            label: if runaway { "runaway" } else { "normal" }.to_string(),
            kind: kind.to_string(),
            onset_event_id: onset.map(|o| o.to_string()),
            task_id: s.task_id.as_ref().map(|t| t.to_string()),
            part_of: part_of.map(|p| p.to_string()),
            agent_id: Some(s.home_agent.to_string()),
            task_type: Some(s.tt.name.to_string()),
        });
    }

    // ------------------------------------------------------------ sessions

    fn run_plan(&mut self, p: &Plan) {
        let span_ms = (self.cfg.hours * 3_600_000.0) as i64;
        let start_ms = self.cfg.start_ms + (p.start * span_ms as f64) as i64;
        let shifted = p.agent.id == fleet::DEPLOY_SHIFT_AGENT && p.start >= fleet::DEPLOY_SHIFT_AT;
        let model = if shifted { fleet::DEPLOY_SHIFT_MODEL } else { p.agent.model.unwrap_or((p.task_type.model, p.task_type.provider)) };
        let mark = self.labels.len();
        let task_id = Some(self.hex_id("task-", 10));
        let mut s = self.new_session(p.agent, p.agent.id, p.task_type, start_ms, task_id, None, model);
        let natural = if p.agent.appears_at > 0.0 {
            "new_agent"
        } else if shifted {
            "baseline_shift"
        } else if p.agent.model.is_some() {
            "unknown_model"
        } else if p.task_type.name == "codebase_migration" {
            "long_by_nature"
        } else {
            "normal"
        };
        match p.role {
            Role::Runaway(k) => self.runaway(&mut s, k),
            Role::Trap(t) => {
                self.trap(&mut s, t);
                self.label(&s, false, t.as_str(), None, None);
            }
            Role::Normal => {
                let kind = self.normal(&mut s, natural);
                self.label(&s, false, kind, None, None);
            }
        }
        // Sub-agent labels were pushed as the children ran, the parent's
        // last: put the parent first, for readability.
        if self.labels.len() > mark + 1 {
            if let Some(parent) = self.labels.pop() {
                self.labels.insert(mark, parent);
            }
        }
    }

    /// A normal session of its task type; returns the label kind.
    fn normal(&mut self, s: &mut Sess, natural: &'static str) -> &'static str {
        if !s.tt.handoff_to.is_empty() {
            return self.normal_handoff(s, natural);
        }
        if let Some((child_tt, lo, hi)) = s.tt.subagents {
            self.normal_orchestrator(s, child_tt, lo, hi);
            return natural;
        }
        let n = self.turns(s.tt);
        for _ in 1..n {
            self.turn(s);
        }
        self.final_turn(s);
        natural
    }

    /// Router → specialist; now and then the specialist hands back once.
    fn normal_handoff(&mut self, s: &mut Sess, natural: &'static str) -> &'static str {
        let router = s.agent.clone();
        for _ in 0..self.range(1, 2) {
            self.turn(s);
        }
        let spec = s.tt.handoff_to[self.rng.random_range(0..s.tt.handoff_to.len())];
        let transfer = format!("transfer_to_{spec}");
        self.llm(s, Some((&transfer, "{}")), false, 0);
        self.handoff(s, spec);
        for _ in 0..self.range(1, 4) {
            self.turn(s);
        }
        if self.chance(0.15) {
            let back = format!("transfer_to_{router}");
            self.llm(s, Some((&back, "{}")), false, 0);
            self.handoff(s, &router);
            self.final_turn(s);
            return "handoff_return";
        }
        self.final_turn(s);
        natural
    }

    /// Plans, spawns a few sub-agents in parallel, waits, writes up.
    fn normal_orchestrator(&mut self, s: &mut Sess, child_tt: &'static str, lo: u32, hi: u32) {
        self.turn_with(s, "plan_outline", &format!("plan:{}", s.arg_base));
        let k = self.range(lo as u64, hi as u64);
        let mut end = s.ts;
        for i in 0..k {
            let end_i = self.spawn_child(s, child_tt, i, "subagent", false, None);
            end = end.max(end_i);
        }
        s.ts = end + self.range(50, 500) as i64;
        s.ctx += k * self.range(400, 1_500);
        for _ in 0..self.range(1, 3) {
            let args = self.fresh_args(s, "write_section");
            self.turn_with(s, "write_section", &args);
        }
        self.final_turn(s);
    }

    /// The spawn call in the parent and the whole child session, which runs
    /// concurrently from the spawn on. Returns the child's end time.
    fn spawn_child(
        &mut self,
        s: &mut Sess,
        child_tt: &'static str,
        i: u64,
        kind: &'static str,
        runaway: bool,
        part_of: Option<Arc<str>>,
    ) -> i64 {
        let args = format!("spawn:{}:{}", s.arg_base, i);
        self.llm(s, Some(("spawn_subagent", &args)), false, 0);
        self.tool(s, "spawn_subagent", &args, "ok", 60);
        let tt = fleet::task_type(child_tt);
        let home = fleet::agent_by_id(&s.home_agent);
        let mut c = self.new_session(home, fleet::SUBAGENT_AGENT, tt, s.ts, s.task_id.clone(), Some(s.id.clone()), (tt.model, tt.provider));
        c.tenant = s.tenant.clone();
        c.team = s.team.clone();
        c.reports_cost = s.reports_cost;
        let n = self.turns(tt);
        let mut first = None;
        for _ in 1..n {
            let id = self.turn(&mut c);
            first.get_or_insert(id);
        }
        let last = self.final_turn(&mut c);
        let onset = if runaway { Some(first.unwrap_or(last)) } else { None };
        self.label(&c, runaway, kind, onset, part_of);
        c.ts
    }

    // ------------------------------------------------------------- traps

    fn trap(&mut self, s: &mut Sess, t: TrapKind) {
        match t {
            TrapKind::BatchEdit => {
                for _ in 0..self.range(1, 3) {
                    self.turn(s);
                }
                let tool = if s.tt.name == "code_fix" { "edit_file" } else { "extract_fields" };
                for _ in 0..self.range(30, 120) {
                    let args = self.fresh_args(s, tool);
                    self.llm(s, Some((tool, &args)), false, 0);
                    let r = self.range(80, 400);
                    self.tool(s, tool, &args, "ok", r);
                    self.maybe_compact(s);
                }
                if s.tt.name == "code_fix" {
                    let args = self.pick_args(s, "run_tests");
                    self.turn_with(s, "run_tests", &args);
                }
                self.final_turn(s);
            }
            TrapKind::ExpensiveAction => {
                let n = self.turns(s.tt).max(3);
                let at = self.range(1, n - 1);
                for i in 1..n {
                    if i == at {
                        // One large document read once (a 300-page contract,
                        // a full log dump), then summarised away.
                        let big = self.range(100_000, 180_000);
                        let tool = self.pick_tool(s.tt);
                        let args = self.pick_args(s, tool);
                        self.llm(s, Some((tool, &args)), true, big);
                        let r = self.result_size(s);
                        self.tool(s, tool, &args, "ok", r);
                    } else {
                        self.turn(s);
                    }
                }
                self.final_turn(s);
            }
            TrapKind::LegitRetry => {
                let n = self.turns(s.tt).max(2);
                let at = self.range(1, n - 1);
                for i in 1..n {
                    if i != at {
                        self.turn(s);
                        continue;
                    }
                    let retries = self.range(2, 3);
                    if self.chance(0.5) {
                        // Provider rate limit: the SDK retries the call.
                        for _ in 0..retries {
                            self.llm_failed(s, "retry");
                            s.ts += self.range(500, 4_000) as i64;
                        }
                        self.turn(s);
                    } else {
                        // A flaky tool (timeout), retried with the same args.
                        let tool = self.pick_tool(s.tt);
                        let args = self.pick_args(s, tool);
                        self.llm(s, Some((tool, &args)), false, 0);
                        for _ in 0..retries {
                            self.tool(s, tool, &args, "error", 60);
                            self.llm(s, Some((tool, &args)), false, 0);
                        }
                        let r = self.result_size(s);
                        self.tool(s, tool, &args, "ok", r);
                    }
                }
                self.final_turn(s);
            }
        }
    }

    // ----------------------------------------------------------- runaways

    fn runaway(&mut self, s: &mut Sess, k: RunawayKind) {
        let onset: Arc<str> = match k {
            RunawayKind::StepRunaway => {
                // A session that should have ended after its normal length
                // and just keeps exploring: new files, new queries.
                let normal = self.turns(s.tt);
                for _ in 1..normal {
                    self.turn(s);
                }
                let extra = self.range(200, 600);
                let onset = self.fresh_turn(s);
                for _ in 1..extra {
                    self.fresh_turn(s);
                }
                onset
            }
            RunawayKind::PingPong => {
                for _ in 0..self.range(1, 2) {
                    self.turn(s);
                }
                let router = s.agent.clone();
                let spec = s.tt.handoff_to[self.rng.random_range(0..s.tt.handoff_to.len())];
                let to_spec = format!("transfer_to_{spec}");
                let to_router = format!("transfer_to_{router}");
                self.llm(s, Some((&to_spec, "{}")), false, 0);
                self.handoff(s, spec);
                self.turn(s);
                self.llm(s, Some((&to_router, "{}")), false, 0);
                self.handoff(s, &router);
                // From here each agent insists the ticket belongs to the other.
                let onset = self.llm(s, Some((&to_spec, "{}")), false, 0);
                self.handoff(s, spec);
                let legs = self.range(100, 300);
                for leg in 0..legs {
                    if self.chance(0.3) {
                        self.turn(s);
                    }
                    let (transfer, target) = if leg % 2 == 0 { (&to_router, router.as_ref()) } else { (&to_spec, spec) };
                    self.llm(s, Some((transfer, "{}")), false, 0);
                    self.handoff(s, target);
                    self.maybe_compact(s);
                }
                onset
            }
            RunawayKind::SubagentFanout => {
                self.turn_with(s, "plan_outline", &format!("plan:{}", s.arg_base));
                let (child_tt, _, normal_max) = s.tt.subagents.unwrap_or(("web_research", 2, 5));
                let total = self.range(45, 160);
                let mut onset = None;
                let mut i = 0;
                let root = s.id.clone();
                while i < total {
                    let batch = self.range(3, 8).min(total - i);
                    let mut end = s.ts;
                    for _ in 0..batch {
                        let first_of_spawn = self.events.len();
                        let e = self.spawn_child(s, child_tt, i, "subagent_fanout", true, Some(root.clone()));
                        if i == normal_max as u64 {
                            // The spawn call beyond what the task ever needs.
                            onset = self.events.get(first_of_spawn).map(|e| e.event_id.clone());
                        }
                        end = end.max(e);
                        i += 1;
                    }
                    s.ts = end + self.range(50, 500) as i64;
                    s.ctx += batch * self.range(300, 900);
                    self.llm(s, None, false, 0);
                    self.maybe_compact(s);
                }
                onset.unwrap_or_else(|| self.final_turn(s))
            }
            _ => {
                let pre = self.range(1, (s.tt.turns_median as u64).max(1));
                for _ in 0..pre {
                    self.turn(s);
                }
                self.runaway_phase(s, k)
            }
        };
        self.label(s, true, k.as_str(), Some(onset), None);
    }

    /// The single-session runaways after their normal start; returns the onset.
    fn runaway_phase(&mut self, s: &mut Sess, k: RunawayKind) -> Arc<str> {
        match k {
            RunawayKind::LoopRepeat => {
                let tool = self.pick_tool(s.tt);
                let args = self.fresh_args(s, tool);
                let r0 = self.result_size(s);
                let onset = self.llm(s, Some((tool, &args)), false, 0);
                self.tool(s, tool, &args, "ok", r0);
                for _ in 0..self.range(100, 400) {
                    if self.chance(0.25) {
                        // Something in between: a thought, or a side call.
                        if self.chance(0.5) {
                            self.llm(s, None, false, 0);
                        } else {
                            self.turn(s);
                        }
                    }
                    self.llm(s, Some((tool, &args)), false, 0);
                    self.tool(s, tool, &args, "ok", r0);
                    self.maybe_compact(s);
                }
                onset
            }
            RunawayKind::LoopCycle => {
                let len = self.range(2, 5) as usize;
                let mut cycle = Vec::with_capacity(len);
                while cycle.len() < len {
                    let tool = self.pick_tool(s.tt);
                    let args = self.fresh_args(s, tool);
                    let r = self.result_size(s);
                    cycle.push((tool, args, r));
                }
                let mut onset = None;
                for _ in 0..self.range(30, 120) {
                    for (tool, args, r) in &cycle {
                        let id = self.llm(s, Some((tool, args)), false, 0);
                        onset.get_or_insert(id);
                        self.tool(s, tool, args, "ok", *r);
                        self.maybe_compact(s);
                    }
                }
                onset.unwrap_or_else(|| self.final_turn(s))
            }
            RunawayKind::RetryStorm => {
                let tool = self.pick_tool(s.tt);
                let args = self.pick_args(s, tool);
                let onset = self.llm(s, Some((tool, &args)), false, 0);
                let llm_level = self.chance(0.35);
                for _ in 0..self.range(150, 500) {
                    if llm_level && self.chance(0.6) {
                        // The provider keeps answering 429/overloaded and the
                        // loop around the SDK retries without backoff.
                        let status = if self.chance(0.7) { "retry" } else { "error" };
                        self.llm_failed(s, status);
                        continue;
                    }
                    let status = if self.chance(0.85) { "error" } else { "retry" };
                    let r = self.range(40, 250);
                    self.tool(s, tool, &args, status, r);
                    self.llm(s, Some((tool, &args)), false, 0);
                    self.maybe_compact(s);
                }
                onset
            }
            RunawayKind::ContextGrowth => {
                // The agent re-stuffs every result into a rebuilt prompt
                // (no cache hits) and never trims it.
                let limit: u64 = 1_000_000;
                let mut onset = None;
                for _ in 0..self.range(40, 150) {
                    let tool = self.pick_tool(s.tt);
                    let args = self.fresh_args(s, tool);
                    let id = self.llm(s, Some((tool, &args)), true, 0);
                    onset.get_or_insert(id);
                    let r = self.range(6_000, 30_000);
                    self.tool(s, tool, &args, "ok", r);
                    if s.ctx >= limit {
                        for _ in 0..self.range(2, 6) {
                            self.llm_failed(s, "error");
                        }
                        break;
                    }
                }
                onset.unwrap_or_else(|| self.final_turn(s))
            }
            RunawayKind::SessionBudget => {
                // Grinding with a huge rebuilt context: every step re-reads
                // the whole working set; the steps themselves look ordinary.
                let target = self.range(40, 250) as f64;
                let mut onset = None;
                for _ in 0..600 {
                    s.ctx = self.range(80_000, 180_000);
                    let tool = self.pick_tool(s.tt);
                    let args = self.fresh_args(s, tool);
                    let id = self.llm(s, Some((tool, &args)), true, 0);
                    onset.get_or_insert(id);
                    let r = self.result_size(s);
                    self.tool(s, tool, &args, "ok", r);
                    if s.spend >= target {
                        break;
                    }
                }
                onset.unwrap_or_else(|| self.final_turn(s))
            }
            RunawayKind::CostSpike => {
                let spike = fleet::spike_model(s.tt.model);
                self.set_model(s, spike);
                let onset = self.turn(s);
                for _ in 0..self.range(100, 400) {
                    self.turn(s);
                }
                onset
            }
            // Handled in `runaway`.
            RunawayKind::StepRunaway | RunawayKind::PingPong | RunawayKind::SubagentFanout => self.final_turn(s),
        }
    }

    /// At-least-once delivery: a few events arrive twice, seconds later.
    fn add_redeliveries(&mut self) {
        let n = self.events.len();
        let dups = n / 700;
        for _ in 0..dups {
            let i = self.rng.random_range(0..n);
            let mut e = self.events[i].clone();
            e.ts_ms += self.range(1_000, 30_000) as i64; // arrival, not event time
            e.seq = self.seq;
            self.seq += 1;
            self.events.push(e);
        }
    }
}

/// Hash of a tool's normalized arguments, as a runtime would compute it.
fn args_hash(args: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(args.as_bytes()))
}
