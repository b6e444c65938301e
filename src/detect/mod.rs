//! The pure detection core: priced events in, state and signals out.
//!
//! Owns: every decision of contract §2 and the state behind it: sessions,
//! sub-agent trees, cost and length baselines, agent and fleet windows,
//! redelivery dedupe, eviction. Invariants, stated as absences: no I/O, no
//! async, no clock (all time is event time, advanced by a watermark), no
//! Kafka or file types, no randomness, no iteration over hash maps where
//! order could reach an output. Same events in, same signals out.

mod names;
mod session;
mod tree;
pub mod window;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::json;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::event::{format_rfc3339_ms, Event, EventKind, Status};
use crate::policy::{Policy, Thresholds};
use crate::signal::{round_ratio, round_usd, signal_id, Action, Reason, Scope, Signal};
use names::PtrCache;
use session::{id_hash, recent_ones, Call, Marks, PingPong, Session, SessionTable};
use tree::{Parent, Trees, MAX_TREE_DEPTH};
use window::{Quantiles, RollingHistogram, RollingSum};

/// Thresholds resolved for one (agent, task type) with their rule ids.
#[derive(Debug)]
pub struct Resolved {
    pub t: Thresholds,
    generation: u64,
    /// Where this (agent, task type)'s baselines sit in the store, per
    /// level: a hint checked against the slot's key, so a lookup is an
    /// index instead of a hash. Atomics only so `Resolved` is `Sync`.
    slots: [AtomicU32; 3],
    /// `t.disabled` as a set of `Reason::bit`s: asked about ten times per event.
    disabled: u16,
    /// The (agent, task type) these are for: a session keeps its first
    /// agent's thresholds while others act in it, and its signals name the
    /// policy table they came from, not the acting agent's.
    subject: (Arc<str>, Arc<str>),
}

impl Resolved {
    fn new(t: Thresholds, generation: u64) -> Resolved {
        let disabled = t.disabled.iter().fold(0, |bits, r| bits | r.bit());
        Resolved {
            t,
            generation,
            slots: std::array::from_fn(|_| AtomicU32::new(u32::MAX)),
            disabled,
            subject: (Arc::from(""), Arc::from("")),
        }
    }

    fn enabled(&self, r: Reason) -> bool {
        self.disabled & r.bit() == 0
    }
}

/// An event's price as the shell found it: what the event cost, and the
/// list price of its model (USD for one input and one output token, 0 when
/// unknown), which tells a pricier model from a bigger context, and how
/// many times its cost at the model's base rates the call cost for its
/// long-context tier (1, or 0 for unknown, when none applies).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Charge {
    pub cost_usd: f64,
    pub list_price: f64,
    pub tier_premium: f64,
    /// The LLM event called an embedding model (pricing's
    /// [`crate::pricing::Priced::embedding`]).
    pub embedding: bool,
}

impl Charge {
    /// The call's cost at its model's base rates, which `cost_spike` and
    /// its baselines judge: a context growing past a long-context tier
    /// (twice the rates past 200k tokens) is a longer context, which
    /// `context_growth` judges, not a pricier call; its budgets count what
    /// it cost.
    fn at_base_rates(self) -> f64 {
        self.cost_usd / self.tier_premium.max(1.0)
    }
}

impl From<f64> for Charge {
    /// A cost without a list price: the rules that compare models' prices
    /// do not judge the event.
    fn from(cost_usd: f64) -> Charge {
        Charge { cost_usd, list_price: 0.0, tier_premium: 1.0, embedding: false }
    }
}

/// What the detector did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Counted and checked.
    Processed,
    /// Redelivery of an event id already seen: ignored entirely.
    Duplicate,
    /// The session was already killed: counted in spend, no new decision.
    AfterKill,
}

/// Counters for metrics and the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DetectorStats {
    pub events: u64,
    pub duplicates: u64,
    pub events_after_kill: u64,
    pub spend_after_kill_usd: f64,
    pub sessions_seen: u64,
    pub sessions_evicted_idle: u64,
    pub sessions_evicted_cap: u64,
    pub baselines_evicted: u64,
    pub spend_usd: f64,
    /// Events that came more than `clock_jump_minutes` after their stream's
    /// time without a confirmed jump: counted at the stream's time.
    pub events_clock_ahead: u64,
}

/// Sizes of the detector's state, for metrics and the memory harness.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StateSizes {
    pub sessions: usize,
    pub baselines: usize,
    pub tasks: usize,
    pub agents: usize,
    pub dedupe_ids: usize,
}

/// What a baseline measures per LLM call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    /// Cost in nano-USD.
    Cost,
    /// Context size in tokens (input + cache read + cache write).
    Context,
    /// The model's list price in nano-USD (one input and one output
    /// token); kept for an agent's own baseline only.
    Price,
}

/// Which baseline: one level of the hierarchy, packed into one integer
/// (agent id high, task type id low; `ANY` for a level above) so a key
/// compares and hashes as a `u64`. Its order is the hierarchy's: every
/// (agent, task type) before every task type, the fleet last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct BaselineKey(u64);

impl BaselineKey {
    /// Interned ids never reach it (`OVERFLOW_NAME` is below).
    const ANY: u32 = u32::MAX;
    const FLEET: BaselineKey = BaselineKey(u64::MAX);

    fn agent_task(agent: u32, task_type: u32) -> BaselineKey {
        BaselineKey((u64::from(agent.min(OVERFLOW_NAME)) << 32) | u64::from(task_type.min(OVERFLOW_NAME)))
    }

    fn task_type(task_type: u32) -> BaselineKey {
        BaselineKey((u64::from(Self::ANY) << 32) | u64::from(task_type.min(OVERFLOW_NAME)))
    }

    fn scope_name(&self) -> &'static str {
        if *self == Self::FLEET {
            "fleet"
        } else if (self.0 >> 32) as u32 == Self::ANY {
            "task_type"
        } else {
            AGENT_SCOPE
        }
    }
}

/// Scope name of an agent's own baseline on its task type (evidence
/// `baseline_scope`), the only one that says what *this* agent costs.
const AGENT_SCOPE: &str = "agent_task_type";

/// One level's baselines: both metrics live in one entry, so an LLM call
/// finds its three levels once for both.
struct Baseline {
    key: BaselineKey,
    cost: RollingHistogram,
    context: RollingHistogram,
    price: RollingHistogram,
    starts: RecentStarts,
    last_used: u64,
}

/// The list prices its agent's last sessions started on (an agent's own
/// baseline only): a pricier model that several of them started on is the
/// agent's model now (a rollout, or a model picked per session by design),
/// not one session's runaway.
#[derive(Default, Clone, Copy)]
struct RecentStarts {
    /// Nano-USD list prices, a ring; 0 = empty.
    prices: [u32; RECENT_STARTS],
    next: u8,
}

const RECENT_STARTS: usize = 16;

/// Of an agent's last `RECENT_STARTS` sessions, how many must have started
/// on a model at least as pricey for it to be the agent's own model: the
/// session judged and one more. A rollout starts every new session on the
/// new model, so the second comes within the first's few calls; a session
/// that runs away on a pricier model is alone on it.
const STARTS_MAKING_A_MODEL_NORMAL: usize = 2;

impl RecentStarts {
    fn note(&mut self, price_nano: u64) {
        self.prices[self.next as usize % RECENT_STARTS] = price_nano.min(u64::from(u32::MAX)) as u32;
        self.next = ((self.next as usize + 1) % RECENT_STARTS) as u8;
    }

    /// Sessions among the last that started on a model priced at least
    /// `price_nano` (within rounding).
    fn at_least(&self, price_nano: f64) -> usize {
        self.prices.iter().filter(|&&p| p > 0 && f64::from(p) >= 0.99 * price_nano).count()
    }
}

impl Baseline {
    fn hist(&mut self, metric: Metric) -> &mut RollingHistogram {
        match metric {
            Metric::Cost => &mut self.cost,
            Metric::Context => &mut self.context,
            Metric::Price => &mut self.price,
        }
    }
}

/// Baselines in slots, found by key through an index or directly by a slot
/// hint; a slot freed by eviction is reused.
#[derive(Default)]
struct BaselineStore {
    index: FxHashMap<BaselineKey, u32>,
    slots: Vec<Option<Baseline>>,
    free: Vec<u32>,
}

impl BaselineStore {
    fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of `key`: the hint if it still holds that key, else the
    /// index (refreshing the hint).
    fn find(&self, key: BaselineKey, hint: &AtomicU32) -> Option<u32> {
        let h = hint.load(Ordering::Relaxed);
        if let Some(Some(b)) = self.slots.get(h as usize) {
            if b.key == key {
                return Some(h);
            }
        }
        let i = *self.index.get(&key)?;
        hint.store(i, Ordering::Relaxed);
        Some(i)
    }

    fn insert(&mut self, b: Baseline, hint: &AtomicU32) -> u32 {
        let key = b.key;
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(b);
                i
            }
            None => {
                self.slots.push(Some(b));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, i);
        hint.store(i, Ordering::Relaxed);
        i
    }

    fn get_mut(&mut self, i: u32) -> Option<&mut Baseline> {
        self.slots.get_mut(i as usize).and_then(Option::as_mut)
    }

    /// Evicts the least recently used baseline that is not the fleet's
    /// (ties broken by key, for determinism).
    fn evict_lru(&mut self) -> bool {
        let victim = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.as_ref().map(|b| (i, b)))
            .filter(|(_, b)| b.key != BaselineKey::FLEET)
            .min_by(|a, b| a.1.last_used.cmp(&b.1.last_used).then_with(|| a.1.key.cmp(&b.1.key)))
            .map(|(i, b)| (i, b.key));
        match victim {
            Some((i, key)) => {
                self.index.remove(&key);
                self.slots[i] = None;
                self.free.push(i as u32);
                true
            }
            None => false,
        }
    }

    fn heap_bytes(&self) -> usize {
        self.slots.iter().flatten().map(|b| b.cost.heap_bytes() + b.context.heap_bytes() + b.price.heap_bytes() + 64).sum()
    }
}

/// Distributions of finished sessions: actions, spend (micro-USD),
/// handoffs and, for sessions that spawned any, sub-sessions.
struct Normals {
    actions: RollingHistogram,
    cost_micros: RollingHistogram,
    children: RollingHistogram,
    /// Sessions below a parent at any depth (its children included), of
    /// parents with children: equal to `children` for one-level trees.
    descendants: RollingHistogram,
    handoffs: RollingHistogram,
    /// Its trees the fan-out rule killed, against those begun.
    fanout: RuleKills,
    /// The same for the rule on whole trees (parents with grandchildren).
    deep_fanout: RuleKills,
    /// The most spins (`CallRing::most_spins`) of its finished sessions.
    spins: RollingHistogram,
    /// Its sessions `loop_repeat` killed for spins, against those begun.
    repeats: RuleKills,
    /// The longest run of polls (`CallRing::most_polls`) of its finished
    /// sessions that polled: how long its work waits on CI or a job.
    polls: RollingHistogram,
    /// The longest run round the same one to three tools
    /// (`session::ToolRun`) of its finished sessions.
    tool_runs: RollingHistogram,
    /// Its sessions (or tasks) `ping_pong` killed, against sessions begun:
    /// a writer and a critic revising a draft 3–10 rounds with LLM calls
    /// only (no leg brings a new tool call) were killed at the static 12
    /// handoffs, two in three, and killed never became the normal.
    ping_pongs: RuleKills,
}

/// A rule's kills in a task type against the type's sessions (or trees)
/// begun, counts halved as they grow (recent ones weigh more; bounded).
/// Begun, not finished: a session finishes only after its idle timeout,
/// so in a burst (or the first half hour of a run) none has, and four
/// runaways alone would make every session of the type.
///
/// A killed session never becomes its type's normal. When the normal
/// formed on a type's small trees only, its wide ones are killed one after
/// another and the normal never learns them: an eval suite of 20–30
/// graders one night and 150 the next is held to 60 for ever; a sampler
/// that asks the same prompt 5–12 times is killed at 5 every time.
/// Runaways are rare by nature, so a limit that kills a large share of a
/// type's sessions is wrong about the type, not about the sessions.
#[derive(Debug, Clone, Copy, Default)]
struct RuleKills {
    started: u32,
    killed: u32,
    /// The rule's figure (children, repeats) at the widest kill.
    widest: u32,
}

/// Kills a type must have had before its limit may be doubted.
const CENSOR_MIN_KILLS: u32 = 4;
/// Share of a type's sessions begun that were killed (1 in this many)
/// that says its limit is below its normal.
const CENSOR_SHARE: u32 = 4;
/// The most a limit doubted so may rise: a type whose every session runs
/// away (a bad deploy) is still stopped.
const CENSOR_MAX_RAISE: u64 = 4;

impl RuleKills {
    fn note_started(&mut self) {
        self.started += 1;
        if self.started >= 64 {
            self.started /= 2;
            self.killed /= 2;
        }
    }

    fn note_killed(&mut self, figure: u32) {
        self.killed += 1;
        self.widest = self.widest.max(figure);
    }

    /// The limit to use instead of `limit` when this type's kills show
    /// it is too low: twice its widest kill, at most `CENSOR_MAX_RAISE`
    /// times `limit`.
    fn raised(&self, limit: u64) -> Option<u64> {
        let doubted = self.killed >= CENSOR_MIN_KILLS && self.killed * CENSOR_SHARE >= self.started.max(self.killed);
        let raised = (2 * u64::from(self.widest)).min(CENSOR_MAX_RAISE * limit);
        (doubted && raised > limit).then_some(raised)
    }
}

/// A ping-pong kill counted in its task type (`Normals::ping_pongs`); out
/// of line, off the per-event path.
#[cold]
#[inline(never)]
fn note_ping_pong_kill(normals: &mut FxHashMap<u32, Normals>, g: &crate::policy::Global, task_type: u32, alternations: u32) {
    if let Some(n) = open_normals(normals, g, task_type) {
        n.ping_pongs.note_killed(alternations);
    }
}

/// `normals`' entry for `task_type`, opened if the table has room for one
/// more (`max_baselines`).
fn open_normals<'a>(normals: &'a mut FxHashMap<u32, Normals>, g: &crate::policy::Global, task_type: u32) -> Option<&'a mut Normals> {
    if normals.len() >= g.max_baselines as usize && !normals.contains_key(&task_type) {
        return None;
    }
    Some(normals.entry(task_type).or_insert_with(|| Normals::new(g)))
}

impl Normals {
    fn new(g: &crate::policy::Global) -> Normals {
        let window_ms = g.baseline_window_hours as i64 * 3_600_000;
        let buckets = g.baseline_buckets as usize;
        Normals {
            actions: RollingHistogram::new(window_ms, buckets),
            cost_micros: RollingHistogram::new(window_ms, buckets),
            children: RollingHistogram::new(window_ms, buckets),
            descendants: RollingHistogram::new(window_ms, buckets),
            handoffs: RollingHistogram::new(window_ms, buckets),
            fanout: RuleKills::default(),
            deep_fanout: RuleKills::default(),
            spins: RollingHistogram::new(window_ms, buckets),
            repeats: RuleKills::default(),
            polls: RollingHistogram::new(window_ms, buckets),
            tool_runs: RollingHistogram::new(window_ms, buckets),
            ping_pongs: RuleKills::default(),
        }
    }

    fn forget_if_ahead_of(&mut self, ts_ms: i64) {
        for h in [
            &mut self.actions,
            &mut self.cost_micros,
            &mut self.children,
            &mut self.descendants,
            &mut self.handoffs,
            &mut self.spins,
            &mut self.polls,
            &mut self.tool_runs,
        ] {
            h.forget_if_ahead_of(ts_ms);
        }
    }

    fn spread(&mut self, spread: Spread) -> &mut RollingHistogram {
        match spread {
            Spread::Children => &mut self.children,
            Spread::Descendants => &mut self.descendants,
        }
    }

    fn spread_kills(&self, spread: Spread) -> RuleKills {
        match spread {
            Spread::Children => self.fanout,
            Spread::Descendants => self.deep_fanout,
        }
    }

    /// Learns a finished session; `deeper` counts the sessions below its
    /// children.
    fn record(&mut self, s: &Session, deeper: u32) {
        self.actions.record(s.last_ts, s.actions as u64);
        self.cost_micros.record(s.last_ts, (s.cost_usd * 1e6).round() as u64);
        if s.children > 0 {
            self.children.record(s.last_ts, s.children as u64);
            self.descendants.record(s.last_ts, u64::from(s.children.saturating_add(deeper)));
        }
        self.handoffs.record(s.last_ts, s.handoffs as u64);
        self.spins.record(s.last_ts, u64::from(s.calls.most_spins()));
        self.tool_runs.record(s.last_ts, u64::from(s.tool_run.most));
        if s.calls.most_polls() > 0 {
            self.polls.record(s.last_ts, u64::from(s.calls.most_polls()));
        }
    }
}

#[derive(Default)]
struct TaskTree {
    cost_usd: f64,
    sessions: u32,
    killed: Option<Reason>,
    ping_pong: PingPong,
    ping_pong_sides: PingPongSides,
    /// The sessions a ping-pong kill of the task stops: the sides that
    /// kept handing the work back ([`PingPongSides::came_back`]), not
    /// every worker of the tree. A locale worker stuck with its reviewer
    /// is no reason to stop the twenty other locales.
    ping_pong_sessions: [u32; 2],
    last_ts: i64,
}

/// Which sessions make a task's run of alternating handoffs: a busy run
/// is a ping-pong only when one side keeps coming back, the same session
/// handing off again and again (whether its partner is one session or a
/// fresh one each round). An eval suite's graders, each handing its item
/// to an adjudicator once, alternate the same two agents in one task for
/// as long as the suite runs without any session repeating itself.
#[derive(Default, Clone, Copy)]
struct PingPongSides {
    /// Hashes of the sessions of the three latest handoffs, oldest first.
    latest: [u32; 3],
    /// Handoffs of the run made by a session that made the one two or
    /// three before (a pair's round trip, or a round of three agents).
    same_side: u32,
    /// The latest two sessions that came back so: the sides a ping-pong
    /// kill stops, not a session that handed its work over once.
    came_back: [u32; 2],
}

impl PingPongSides {
    /// Records a handoff by `session`, the `alternations`-th of its run.
    fn record(&mut self, session: u32, alternations: u32) {
        if alternations <= 1 {
            *self = PingPongSides::default();
        } else if alternations > 2 && self.latest[..2].contains(&session) {
            self.same_side += 1;
            if self.came_back[1] != session {
                self.came_back = [self.came_back[1], session];
            }
        }
        self.latest = [self.latest[1], self.latest[2], session];
    }

    /// At least a third of the run's handoffs came back from a session that
    /// had handed off before.
    fn one_stuck_side(&self, alternations: u32) -> bool {
        u64::from(self.same_side) * 3 >= u64::from(alternations)
    }
}

struct AgentWindow {
    spend: RollingSum,
    /// The latest pause: when it was decided, and when it ends (the event
    /// time its window spend falls back to the budget if the agent spends
    /// nothing more).
    paused: InForce,
}

/// A pause or throttle in force over event times `(since - window, until)`:
/// events from a stream far behind the one that decided it (a wrong clock
/// far ahead decided it) are not covered by it.
#[derive(Clone, Copy)]
struct InForce {
    since: i64,
    until: i64,
}

impl InForce {
    const NONE: InForce = InForce { since: i64::MIN, until: i64::MIN };

    fn covers(self, ts: i64, window_ms: i64) -> bool {
        ts < self.until && ts > self.since.saturating_sub(window_ms)
    }
}

/// Failures of one provider (or model) across the fleet: is it in an
/// outage, so that sessions retrying it are its victims, not runaways?
struct ProviderHealth {
    calls: RollingSum,
    failures: RollingSum,
    /// Sessions (id hash) with a failed call, and when the latest was; the
    /// most recent `MAX_ERRING` only, which is all a threshold needs.
    erring: Vec<(u64, i64)>,
    /// The provider's (or model's) name, for evidence.
    name: Arc<str>,
}

const MAX_ERRING: usize = 64;
/// Providers and models tracked for outages; later ones are not judged.
const MAX_PROVIDERS: usize = 4096;

/// What makes a provider's failures an outage, as evidence.
#[derive(Debug, Clone, Copy)]
struct Outage {
    sessions: u32,
    failure_share: f64,
}

impl ProviderHealth {
    fn new(g: &crate::policy::Global, name: Arc<str>) -> ProviderHealth {
        let window_ms = outage_window_ms(g);
        ProviderHealth { calls: RollingSum::new(window_ms, 10), failures: RollingSum::new(window_ms, 10), erring: Vec::new(), name }
    }

    /// Counts one call; returns the outage it is part of, if any.
    fn note(&mut self, ts: i64, session: u64, failed: bool, g: &crate::policy::Global) -> Option<Outage> {
        let calls = self.calls.add(ts, 1.0);
        let failures = self.failures.add(ts, if failed { 1.0 } else { 0.0 });
        if failed {
            match self.erring.iter_mut().find(|(h, _)| *h == session) {
                Some(e) => e.1 = e.1.max(ts),
                None => {
                    if self.erring.len() >= MAX_ERRING {
                        // The least recent goes (ties: the first found).
                        if let Some(i) = self.erring.iter().enumerate().min_by_key(|(_, e)| e.1).map(|(i, _)| i) {
                            self.erring.swap_remove(i);
                        }
                    }
                    self.erring.push((session, ts));
                }
            }
        }
        if !failed {
            return None;
        }
        self.judge(ts, calls, failures, g)
    }

    /// The outage under way at `ts`, if any, without counting a call: for
    /// a session's failing tool calls, judged by its LLM calls' provider.
    fn current(&self, ts: i64, g: &crate::policy::Global) -> Option<Outage> {
        self.judge(ts, self.calls.sum(), self.failures.sum(), g)
    }

    fn judge(&self, ts: i64, calls: f64, failures: f64, g: &crate::policy::Global) -> Option<Outage> {
        if g.outage_min_sessions == 0 || calls <= 0.0 {
            return None;
        }
        let since = ts.saturating_sub(outage_window_ms(g));
        let sessions = self.erring.iter().filter(|(_, t)| *t > since).count() as u32;
        let failure_share = failures / calls;
        (sessions >= g.outage_min_sessions && failure_share >= g.outage_error_share).then_some(Outage { sessions, failure_share })
    }
}

fn outage_window_ms(g: &crate::policy::Global) -> i64 {
    g.outage_window_minutes as i64 * 60_000
}

struct Fleet {
    spend: RollingSum,
    /// Level signalled last (1 throttle, 2 pause), and while it is in force.
    level: u8,
    paused: InForce,
}

/// A fleet level is released once window spend falls below this share of it.
const FLEET_RELEASE: f64 = 0.9;

/// The hashes of an event's ids the detector looks it up by, computed once
/// by whoever holds the event first: the Kafka shell's decoder thread, so
/// the detecting thread neither hashes nor reads the id strings again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventKeys {
    event_id: u64,
    session: (u64, u64),
}

impl EventKeys {
    pub fn of(e: &Event) -> EventKeys {
        EventKeys { event_id: xxh3_64(e.event_id.as_bytes()), session: id_hash(&e.session_id) }
    }
}

/// Bounded memory of event ids: two generations of 64-bit hashes; when the
/// young one fills, the old one is dropped. Remembers at least `cap / 2`
/// and at most `cap` most recent ids.
///
/// Both generations share one table, each entry's lowest bit saying which
/// it belongs to (ids are compared on their other 63 bits): a new id, the
/// common case, costs one probe where two tables cost two. The table holds
/// the entries themselves in cache lines of eight (0 is empty), an id
/// going to the first free entry of its line or of the lines after it: on
/// a long stream, whose ids are far apart in memory, a probe reads one
/// cache line, where a table with separate control bytes (hashbrown's)
/// reads two. Every event asks it, so that miss is a large share of the
/// detector's time.
struct Dedupe {
    /// A power of two long, at most 7/8 full, so every probe sequence ends
    /// at an empty entry.
    lines: Vec<DedupeLine>,
    /// `64 - log2(lines.len())`: a line is the top bits of the entry's hash.
    shift: u32,
    len: usize,
    /// The young generation's bit (0 or 1) and how many entries carry it.
    young: u64,
    young_len: usize,
    half: usize,
}

#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct DedupeLine([u64; 8]);

/// The table's hash of an entry: its id bits, not its generation bit,
/// spread over the whole word (the line is taken from the top bits).
fn dedupe_hash(entry: u64) -> u64 {
    (entry >> 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// An id's entry bits: the hash without its lowest bit, never 0 (empty).
/// Ids hashing to 0 or 1 are taken as 2 or 3: one more pair of ids in 2^63
/// that cannot be told apart.
fn dedupe_id(h: u64) -> u64 {
    match h & !1 {
        0 => 2,
        id => id,
    }
}

const DEDUPE_MIN_LINES: usize = 1 << 7;

impl Dedupe {
    fn new(cap: usize) -> Dedupe {
        Dedupe {
            lines: vec![DedupeLine::default(); DEDUPE_MIN_LINES],
            shift: 64 - DEDUPE_MIN_LINES.trailing_zeros(),
            len: 0,
            young: 0,
            young_len: 0,
            half: (cap / 2).max(1),
        }
    }

    /// Where the probe for `id` stops: its entry, or the empty one where it
    /// would go, as (line, entry).
    fn probe(&self, id: u64) -> (usize, usize) {
        let mask = self.lines.len() - 1;
        let mut line = self.home_line(id);
        // Ends: the table always has an empty entry.
        while let Some(DedupeLine(entries)) = self.lines.get(line) {
            if let Some(i) = entries.iter().position(|e| *e == 0 || *e & !1 == id) {
                return (line, i);
            }
            line = (line + 1) & mask;
        }
        (line, 0)
    }

    fn entry_mut(&mut self, (line, i): (usize, usize)) -> Option<&mut u64> {
        self.lines.get_mut(line).and_then(|l| l.0.get_mut(i))
    }

    /// Puts every entry of `entries` into an empty table of `lines` lines.
    fn rebuild(&mut self, lines: usize, entries: Vec<u64>) {
        self.lines.clear();
        self.lines.resize(lines, DedupeLine::default());
        self.shift = 64 - lines.trailing_zeros();
        self.len = entries.len();
        for e in entries {
            let at = self.probe(e & !1);
            if let Some(slot) = self.entry_mut(at) {
                *slot = e;
            }
        }
    }

    fn entries(&self, keep: impl Fn(u64) -> bool) -> Vec<u64> {
        self.lines.iter().flat_map(|l| l.0).filter(|e| *e != 0 && keep(*e)).collect()
    }

    /// The line the probe for `id` starts at.
    fn home_line(&self, id: u64) -> usize {
        (dedupe_hash(id) >> self.shift) as usize & (self.lines.len() - 1)
    }

    /// Asks the CPU for the line `h` is looked up in.
    fn prefetch(&self, h: u64) {
        if let Some(l) = self.lines.get(self.home_line(dedupe_id(h))) {
            session::prefetch(l);
        }
    }

    /// True when `h` was already seen; remembers it otherwise.
    fn seen(&mut self, h: u64) -> bool {
        if self.young_len >= self.half {
            // The old generation goes; the young one becomes the old one.
            let young = self.young;
            let kept = self.entries(|e| e & 1 == young);
            self.rebuild(self.lines.len(), kept);
            self.young ^= 1;
            self.young_len = 0;
        }
        if (self.len + 1) > self.lines.len() * 7 {
            let all = self.entries(|_| true);
            self.rebuild(self.lines.len() * 2, all);
        }
        let id = dedupe_id(h);
        let young = self.young;
        let at = self.probe(id);
        let Some(slot) = self.entry_mut(at) else { return false };
        if *slot == 0 {
            *slot = id | young;
            self.len += 1;
            self.young_len += 1;
            return false;
        }
        // An id only in the old generation is young again, kept for
        // another generation.
        if *slot & 1 != young {
            *slot = id | young;
            self.young_len += 1;
        }
        true
    }

    fn len(&self) -> usize {
        self.len
    }

    fn heap_bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<DedupeLine>()
    }

    /// True when `h` is remembered; remembers nothing new.
    fn contains(&self, h: u64) -> bool {
        let at = self.probe(dedupe_id(h));
        self.lines.get(at.0).and_then(|l| l.0.get(at.1)).is_some_and(|e| *e != 0)
    }
}

/// Children counted per parent not seen yet, keyed by the parent id's
/// hash, in two generations like [`Dedupe`]: bounded by `cap` parents, the
/// oldest forgotten first (a parent that never appears costs nothing for ever).
struct Orphans {
    young: FxHashMap<u64, u32>,
    old: FxHashMap<u64, u32>,
    half: usize,
}

impl Orphans {
    fn new(cap: usize) -> Orphans {
        Orphans { young: FxHashMap::default(), old: FxHashMap::default(), half: (cap / 2).max(1) }
    }

    fn add(&mut self, parent: u64) {
        if self.young.len() >= self.half && !self.young.contains_key(&parent) {
            std::mem::swap(&mut self.old, &mut self.young);
            self.young.clear();
        }
        let earlier = self.old.remove(&parent).unwrap_or(0);
        let n = self.young.entry(parent).or_insert(0);
        *n = n.saturating_add(earlier).saturating_add(1);
    }

    /// The children counted for `parent`, forgotten here.
    fn take(&mut self, parent: u64) -> u32 {
        if self.young.is_empty() && self.old.is_empty() {
            return 0;
        }
        self.young.remove(&parent).unwrap_or(0).saturating_add(self.old.remove(&parent).unwrap_or(0))
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

const NANO: f64 = 1e9;

/// Quantiles of a baseline and the scope they came from (`agent_task_type`,
/// `task_type`, `fleet`: what `scope_name` says).
type ScopedQuantiles = (&'static str, Quantiles);

/// The baselines an event wants looked up.
#[derive(Clone, Copy)]
struct Wanted {
    cost: bool,
    context: bool,
    /// The call's list price in nano-USD, or 0 when not wanted.
    price: f64,
    /// `spike_price_ratio`.
    price_ratio: f64,
}

/// The baselines found for an event (see [`Detector::baselines_for`]).
#[derive(Default)]
struct Found {
    cost: Option<ScopedQuantiles>,
    context: Option<ScopedQuantiles>,
    price: Option<PriceNormal>,
}

/// What an agent's own calls are priced at (list prices, nano-USD), and
/// whether the call's model is pricier than that by the ratio, and not one
/// another of the agent's recent sessions started on too.
#[derive(Clone, Copy)]
struct PriceNormal {
    p99: f64,
    /// Pricier than the agent's models, and no other recent session of the
    /// agent started on one that pricey.
    pricier: bool,
    /// Pricier than the agent's models, but its recent sessions start on
    /// such a model too: a rollout, the agent's model now.
    rolled_out: bool,
    /// No pricier than the model of one in twenty of the agent's calls
    /// (its p95): a model the agent uses as a matter of course (a router
    /// sending the harder steps to a bigger model), not a switch.
    usual: bool,
}

/// Slack on a list-price quantile, for the histograms' relative error
/// (one significant digit): a model at the quantile is within it.
const LIST_PRICE_SLACK: f64 = 1.1;

// Seeds keep a provider and a model of the same name apart in provider health.
fn provider_key(name: &str) -> u64 {
    xxh3_64_with_seed(name.as_bytes(), 1)
}

/// A model's provider-health key, and its id in a session's cost level
/// (never 0, which means "no model").
fn model_keys(name: &str) -> (u64, u32) {
    (xxh3_64_with_seed(name.as_bytes(), 2), (xxh3_64(name.as_bytes()) as u32).max(1))
}

/// The key of a sub-agent tree: its task id's 128-bit hash (a collision
/// between two live task ids, one in 2^128 per pair, would merge them).
fn task_key(task_id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(task_id.as_bytes())
}

/// Tokens an LLM call read as context.
/// The redelivery-memory key of "`child` was spawned by `parent`". Not
/// salted with a shard epoch, unlike event keys: the fact outlives the
/// child's partition being handed away and back.
fn spawn_key(child: u64, parent: &str) -> u64 {
    const SPAWN: u64 = 0x5b1a_9e7f_c0de_d00d;
    child.rotate_left(17) ^ xxh3_64(parent.as_bytes()) ^ SPAWN
}

fn context_tokens(e: &Event) -> u64 {
    e.input_tokens.saturating_add(e.cache_read_tokens).saturating_add(e.cache_write_tokens)
}

/// Runs `f` out of line. Decisions are rare; building their evidence
/// inline spread the per-event path over more instruction cache than a
/// core has, and decoding and detection then evicted each other's code.
#[cold]
#[inline(never)]
fn cold<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// USD in whole micro-dollars. Budgets are compared so, not as float sums:
/// spend equal to a ceiling must be equal whatever order its parts were
/// added in (3 × $0.10 sums to $0.30000000000000004, 2 × $0.15 to $0.3).
fn micros(usd: f64) -> i64 {
    (usd * 1e6).round() as i64
}

/// Spend over a limit by at least a micro-dollar.
fn over(spend: f64, limit: f64) -> bool {
    micros(spend) > micros(limit)
}

/// Spend at a limit or above, to the micro-dollar.
fn reaches(spend: f64, limit: f64) -> bool {
    micros(spend) >= micros(limit)
}

/// Two dollar figures for a message, with as many decimals (2 to 6) as it
/// takes to tell them apart: spend over a ceiling by a fraction of a cent
/// must not read as equal to it.
fn usd_pair(a: f64, b: f64) -> (String, String) {
    for d in 2..6 {
        let (x, y) = (format!("{a:.d$}"), format!("{b:.d$}"));
        if x != y {
            return (x, y);
        }
    }
    (format!("{a:.6}"), format!("{b:.6}"))
}

fn to_nano(usd: f64) -> u64 {
    (usd * NANO).round().max(1.0) as u64
}

/// The detector. Feed it events in arrival order with [`Detector::process`].
pub struct Detector {
    policy: Arc<Policy>,
    generation: u64,
    rules: FxHashMap<(Arc<str>, Arc<str>), Arc<Resolved>>,
    sessions: SessionTable,
    /// Eviction queue: (deadline, session). One entry per live session;
    /// a popped entry whose session moved on is pushed again.
    expiry: BinaryHeap<Reverse<(i64, Arc<str>)>>,
    /// Sessions killed and then evicted: a late event must not kill twice.
    killed_evicted: Dedupe,
    /// Spend of sessions that went idle and were evicted unkilled, so a
    /// session that resumes (a human approved after an hour) is held to its
    /// ceiling with what it spent before the pause.
    paused: PausedSessions,
    /// Sub-sessions seen before their parent (Kafka interleaves partitions,
    /// and a child keyed by its own id may sit on another one): counted
    /// here and handed to the parent when it appears.
    orphans: Orphans,
    /// Sub-agent trees below their first level (see `tree`).
    trees: Trees,
    baselines: BaselineStore,
    /// What a finished session of each task type looks like, and of the fleet.
    /// Keyed by interned task type id.
    normals: FxHashMap<u32, Normals>,
    fleet_normals: Normals,
    /// Keyed by the 128-bit hash of the task id ([`task_key`]), computed
    /// once per event: the tree is looked up up to three times per event.
    tasks: FxHashMap<u128, TaskTree>,
    /// Keyed by interned agent id; agents past the interner's cap by name.
    agents: FxHashMap<u32, AgentWindow>,
    agents_overflow: FxHashMap<Arc<str>, AgentWindow>,
    fleet: Fleet,
    /// Keyed by the hash of a provider name or, for calls naming none, of a model.
    providers: FxHashMap<u64, ProviderHealth>,
    dedupe: Dedupe,
    tools: FxHashMap<Arc<str>, u32>,
    tool_names: Vec<Arc<str>>,
    /// Hash of each interned tool's name: the seed of its calls' signatures.
    tool_seeds: Vec<u64>,
    /// What is derived from a name's text, by the name's allocation: a
    /// tool's (id, seed), a provider's health key, a model's (health key,
    /// id within a session's cost level).
    tool_cache: PtrCache<(u32, u64)>,
    provider_keys: PtrCache<u64>,
    model_keys: PtrCache<(u64, u32)>,
    /// Times each shard was dropped (only shards ever dropped are present).
    shard_epochs: FxHashMap<u32, u32>,
    /// How many sessions made each call (by its unsalted signature), to
    /// tell observations from loops (see `CommonCalls`).
    common_calls: CommonCalls,
    /// Interned agent and task type names (ids for baseline keys).
    names: FxHashMap<Arc<str>, u32>,
    name_of: Vec<Arc<str>>,
    watermark: i64,
    /// Event time of the event being processed as shared state sees it
    /// (windows, baselines, idle eviction): its own, unless it jumped ahead
    /// of its shard's time unconfirmed (see `note_event_time`).
    now: i64,
    /// Event time up to which every active shard has read: sessions idle
    /// past it are over. With one shard (file mode) it is the watermark.
    eviction_mark: i64,
    /// Per shard: the latest event time it delivered and the tick of its
    /// latest event. Partitions are read in chunks, so one may run hours of
    /// event time ahead of another in a catch-up; evicting by the leader's
    /// time would end the laggard's live sessions (and forget a parent
    /// before its children on another partition arrive).
    shard_marks: Vec<ShardMark>,
    tick: u64,
    stats: DetectorStats,
}

#[derive(Debug, Clone, Copy)]
struct ShardMark {
    shard: u32,
    mark: i64,
    last_tick: u64,
    /// Events in a row that came more than `clock_jump_minutes` after `mark`.
    ahead: u32,
    /// Set by the very first event of the detector, with nothing to judge
    /// it by: until `CLOCK_JUMP_CONFIRM_EVENTS` events within
    /// `clock_jump_minutes` of it confirm it, as many in a row far behind it
    /// show it was one wrong clock, and time goes back to them.
    provisional: bool,
    /// Events (provisional mark) that came within `clock_jump_minutes` of it.
    support: u32,
    /// Events in a row (provisional mark) far behind it.
    behind: u32,
}

impl ShardMark {
    fn new(shard: u32, tick: u64) -> ShardMark {
        ShardMark { shard, mark: i64::MIN, last_tick: tick, ahead: 0, provisional: false, support: 0, behind: 0 }
    }
}

/// Events in a row, each more than `clock_jump_minutes` after its shard's
/// time, that make the shard's time jump to them: the stream really moved
/// on (it resumed after a quiet spell), not one host's clock.
pub const CLOCK_JUMP_CONFIRM_EVENTS: u32 = 8;

/// A shard that delivered nothing for this many events is idle (a quiet
/// partition) and no longer holds session eviction back. Far above what
/// chunked reading of many partitions keeps a busy one waiting.
const SHARD_IDLE_EVENTS: u64 = 250_000;

const MAX_TOOLS: usize = 1 << 16;
/// Names remembered by allocation per cache (tools, providers, models):
/// fleets use tens to hundreds of each.
const NAME_CACHE_SLOTS: usize = 512;
const MAX_NAMES: usize = 1 << 20;
/// The id every name past `MAX_NAMES` shares.
const OVERFLOW_NAME: u32 = u32::MAX - 1;

impl Detector {
    pub fn new(policy: Arc<Policy>) -> Detector {
        let g = &policy.global;
        let fleet_normals = Normals::new(g);
        Detector {
            fleet: Fleet { spend: RollingSum::new(g.fleet_window_minutes as i64 * 60_000, 60), level: 0, paused: InForce::NONE },
            providers: FxHashMap::default(),
            dedupe: Dedupe::new(g.dedupe_capacity as usize),
            killed_evicted: Dedupe::new(g.dedupe_capacity as usize / 4),
            paused: PausedSessions::default(),
            orphans: Orphans::new(g.max_sessions as usize),
            trees: Trees::default(),
            policy,
            generation: 1,
            rules: FxHashMap::default(),
            sessions: SessionTable::default(),
            expiry: BinaryHeap::new(),
            baselines: BaselineStore::default(),
            normals: FxHashMap::default(),
            fleet_normals,
            tasks: FxHashMap::default(),
            agents: FxHashMap::default(),
            agents_overflow: FxHashMap::default(),
            tools: FxHashMap::default(),
            tool_names: vec![Arc::from("")],
            tool_seeds: vec![0],
            tool_cache: PtrCache::new(NAME_CACHE_SLOTS),
            provider_keys: PtrCache::new(NAME_CACHE_SLOTS),
            model_keys: PtrCache::new(NAME_CACHE_SLOTS),
            shard_epochs: FxHashMap::default(),
            common_calls: CommonCalls::default(),
            names: FxHashMap::default(),
            name_of: Vec::new(),
            watermark: i64::MIN,
            now: i64::MIN,
            eviction_mark: i64::MIN,
            shard_marks: Vec::new(),
            tick: 0,
            stats: DetectorStats::default(),
        }
    }

    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    /// Swaps in a new policy without losing state: sessions pick up their
    /// new thresholds at their next event; windows keep their contents.
    pub fn set_policy(&mut self, policy: Arc<Policy>) {
        if policy.global.outage_window_minutes != self.policy.global.outage_window_minutes {
            // Provider health windows are sized at creation: start them over.
            self.providers.clear();
        }
        self.policy = policy;
        self.generation += 1;
        self.rules.clear();
    }

    pub fn stats(&self) -> DetectorStats {
        self.stats
    }

    pub fn sizes(&self) -> StateSizes {
        StateSizes {
            sessions: self.sessions.len(),
            baselines: self.baselines.len() + self.normals.len(),
            tasks: self.tasks.len(),
            agents: self.agents.len() + self.agents_overflow.len(),
            dedupe_ids: self.dedupe.len(),
        }
    }

    /// Event-time watermark: the latest event time seen.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Forgets every session of a shard (a Kafka partition revoked from
    /// this instance); shared baselines and windows are kept.
    ///
    /// The shard's redelivery memory is forgotten with it: if the shard comes
    /// back, its replayed events rebuild session state instead of being
    /// skipped as duplicates of what was dropped.
    pub fn drop_shard(&mut self, shard: u32) {
        self.sessions.retain(|s| s.shard != shard);
        let sessions = &self.sessions;
        self.trees.retain(|lo| sessions.holds_low_hash(lo));
        // Its sessions' events are read again from the last commit, by this
        // detector or another: what they spent before a pause with them.
        self.paused.forget_shard(shard);
        self.shard_marks.retain(|m| m.shard != shard);
        *self.shard_epochs.entry(shard).or_insert(0) += 1;
    }

    /// Declares a shard this detector will read (a Kafka partition just
    /// assigned): until it delivers events past a session's idle deadline,
    /// or stays silent for a while (`SHARD_IDLE_EVENTS`), sessions are not
    /// ended by the time of shards read ahead of it.
    pub fn assign_shard(&mut self, shard: u32) {
        if !self.shard_marks.iter().any(|m| m.shard == shard) {
            self.shard_marks.push(ShardMark::new(shard, self.tick));
        }
    }

    /// The dedupe key of an event: its id's hash, salted with the epoch of
    /// its shard once that shard has been dropped (never in file mode).
    fn dedupe_key(&self, event_id_hash: u64, shard: u32) -> u64 {
        match self.shard_epochs.get(&shard) {
            // After a hand-over every event of the shard takes this path:
            // no allocation here (a concatenated buffer per event was one).
            Some(&epoch) => event_id_hash ^ xxh3_64(&((u64::from(shard) << 32) | u64::from(epoch)).to_le_bytes()),
            None => event_id_hash,
        }
    }

    /// Asks the CPU for the state an event with these keys will touch first
    /// (its dedupe entry, its session), to be read soon. A shell holding a
    /// batch of decoded events calls this some events ahead of processing
    /// them, so those cache misses overlap the work between. Changes nothing.
    pub fn prefetch(&self, keys: &EventKeys, shard: u32) {
        self.dedupe.prefetch(self.dedupe_key(keys.event_id, shard));
        self.sessions.prefetch(keys.session);
    }

    /// Processes one priced event; signals it causes are appended to `out`.
    pub fn process(&mut self, e: &Event, charge: impl Into<Charge>, out: &mut Vec<Signal>) -> Outcome {
        self.process_in_shard(e, charge.into(), 0, out)
    }

    /// As [`Detector::process`], tagging a new session with `shard`.
    pub fn process_in_shard(&mut self, e: &Event, charge: Charge, shard: u32, out: &mut Vec<Signal>) -> Outcome {
        self.process_keyed(e, EventKeys::of(e), charge, shard, out)
    }

    /// As [`Detector::process_in_shard`], with the event's keys computed
    /// already (`EventKeys::of(e)`, by the thread that decoded it).
    pub fn process_keyed(&mut self, e: &Event, keys: EventKeys, charge: Charge, shard: u32, out: &mut Vec<Signal>) -> Outcome {
        debug_assert_eq!(keys, EventKeys::of(e), "keys of another event");
        // An embedding call looks text up for the agent, as a search tool
        // does: judged as one of the agent's LLM calls, a RAG agent's
        // near-free lookups become its normal cost per call (every answer
        // then a spike) and break every run of growing contexts.
        let lookup;
        let (e, charge) = match charge.embedding && e.kind == EventKind::Llm {
            true => {
                lookup = e.as_lookup_tool_call();
                (&lookup, Charge { list_price: 0.0, tier_premium: 1.0, ..charge })
            }
            false => (e, charge),
        };
        let Charge { cost_usd, list_price, .. } = charge;
        let key = self.dedupe_key(keys.event_id, shard);
        if self.dedupe.seen(key) {
            self.stats.duplicates += 1;
            return Outcome::Duplicate;
        }
        self.stats.events += 1;
        self.stats.spend_usd += cost_usd;
        self.tick += 1;
        let (now, moved) = self.note_event_time(shard, e.ts_ms);
        self.now = now;
        self.watermark = self.watermark.max(now);
        if moved {
            self.evict_idle();
        }

        let entered = self.enter_session(e, keys.session, cost_usd, shard, out);
        let outcome = match &entered {
            Some(s) => self.session_scope(e, charge, s, out),
            None => Outcome::AfterKill,
        };
        if let (Outcome::Processed, Some(s)) = (outcome, &entered) {
            self.learn(e, charge.at_base_rates(), list_price, s.slot, &s.rules);
        }
        if outcome == Outcome::AfterKill {
            self.stats.events_after_kill += 1;
            self.stats.spend_after_kill_usd += cost_usd;
        }
        if cost_usd > 0.0 {
            let (slot, rules) = match entered {
                Some(s) => (Some(s.slot), s.rules),
                None => (None, self.resolve(&e.agent_id, &e.task_type)),
            };
            self.agent_scope(e, cost_usd, slot, &rules, out);
            self.fleet_scope(e, cost_usd, slot, out);
        }
        outcome
    }

    fn resolve(&mut self, agent: &Arc<str>, task_type: &Arc<str>) -> Arc<Resolved> {
        if let Some(r) = self.rules.get(&(agent.clone(), task_type.clone())) {
            return r.clone();
        }
        let r = Arc::new(Resolved {
            subject: (agent.clone(), task_type.clone()),
            ..Resolved::new(self.policy.resolve(agent, task_type), self.generation)
        });
        if self.rules.len() > 100_000 {
            self.rules.clear();
        }
        self.rules.insert((agent.clone(), task_type.clone()), r.clone());
        r
    }

    /// Id of an agent or task type name; past `MAX_NAMES` distinct names
    /// the rest share one id (their baselines merge rather than grow).
    fn intern_name(&mut self, name: &Arc<str>) -> u32 {
        if let Some(id) = self.names.get(name) {
            return *id;
        }
        if self.names.len() >= MAX_NAMES {
            return OVERFLOW_NAME;
        }
        let id = self.names.len() as u32;
        self.names.insert(name.clone(), id);
        self.name_of.push(name.clone());
        id
    }

    /// The (agent, task type) ids of the agent acting in `e`, given its
    /// session's: usually the session's own agent, whose id it holds; a
    /// session shared by agents (handoffs) looks the others up by name.
    fn acting_ids(&mut self, e: &Event, session_ids: (u32, u32)) -> (u32, u32) {
        let own = self.name_of.get(session_ids.0 as usize).is_some_and(|n| Arc::ptr_eq(n, &e.agent_id) || **n == *e.agent_id);
        if own {
            session_ids
        } else {
            (self.intern_name(&e.agent_id), session_ids.1)
        }
    }

    /// The name behind an interned id (`?` past the interner's cap).
    fn name(&self, id: u32) -> Arc<str> {
        self.name_of.get(id as usize).cloned().unwrap_or_else(|| Arc::from("?"))
    }

    /// Id and name hash of a tool; past `MAX_TOOLS` distinct names the
    /// rest share id 0 (evidence shows no name) but keep their own hash.
    fn intern_tool(&mut self, tool: &Arc<str>) -> (u32, u64) {
        if let Some(v) = self.tool_cache.get(tool) {
            return v;
        }
        let v = self.intern_tool_text(tool);
        self.tool_cache.put(tool, v);
        v
    }

    fn intern_tool_text(&mut self, tool: &Arc<str>) -> (u32, u64) {
        if let Some(&id) = self.tools.get(tool) {
            if let Some(&seed) = self.tool_seeds.get(id as usize) {
                return (id, seed);
            }
        }
        let seed = xxh3_64(tool.as_bytes());
        if self.tool_names.len() >= MAX_TOOLS {
            return (0, seed);
        }
        let id = self.tool_names.len() as u32;
        self.tool_names.push(tool.clone());
        self.tool_seeds.push(seed);
        self.tools.insert(tool.clone(), id);
        (id, seed)
    }

    // -----------------------------------------------------------------
    // Session scope

    /// Finds or opens the event's session and counts the event in it and in
    /// its task tree. None when the session was killed and then evicted.
    fn enter_session(&mut self, e: &Event, session_key: (u64, u64), cost: f64, shard: u32, out: &mut Vec<Signal>) -> Option<Entered> {
        let (slot, is_new, decided) = match self.sessions.find_hashed(session_key) {
            Some(slot) => (slot, false, false),
            None => {
                let h = xxh3_64(e.session_id.as_bytes());
                if self.killed_evicted.contains(h) {
                    return None;
                }
                let slot = self.open_session(e, shard);
                if let Some(task_type) = self.sessions.get(slot).map(|s| s.ids.1) {
                    if let Some(n) = self.type_normals(task_type) {
                        n.repeats.note_started();
                        n.ping_pongs.note_started();
                    }
                }
                // Its spend carries over the pause, for its ceiling; its
                // actions are carried apart: signals report the session so
                // far, while step rules and the task types' normal lengths
                // go by the spans between pauses.
                if let Some((cost, actions)) = self.paused.resume(h) {
                    if let Some(s) = self.sessions.get_mut(slot) {
                        s.cost_usd += cost;
                        s.actions_before_pause = actions;
                    }
                }
                // Sub-agent tree: count the child, check its parent's fan-out.
                // Once per child: a child whose partition was handed away and
                // back opens again on the replay, and must not count twice.
                if let Some(parent) = &e.parent_session_id {
                    self.trees.link(id_hash(&e.session_id), Parent { key: id_hash(parent), id: parent.clone() });
                    if !self.dedupe.seen(spawn_key(h, parent)) {
                        self.on_child_spawned(e, parent, out);
                    }
                }
                // Children that came first (from another partition) count now.
                // Killed so at its first event, that event is the decision's
                // trigger, not spend after a kill.
                let adopted = self.orphans.take(h);
                let decided = adopted > 0 && {
                    // The parent was opened just above: always found.
                    self.count_children(e, &e.session_id, adopted, None, out);
                    self.sessions.get(slot).is_some_and(|s| s.killed)
                };
                (slot, true, decided)
            }
        };
        let task_key = e.task_id.as_deref().map(task_key);
        let task_killed = match task_key {
            Some(t) => {
                let task = self.tasks.entry(t).or_default();
                task.cost_usd += cost;
                task.last_ts = task.last_ts.max(self.now);
                if is_new {
                    task.sessions += 1;
                }
                match task.killed {
                    Some(Reason::PingPong) => {
                        let side = xxh3_64(e.session_id.as_bytes()) as u32;
                        task.ping_pong_sessions.contains(&side).then_some(Reason::PingPong)
                    }
                    killed => killed,
                }
            }
            None => None,
        };
        let generation = self.generation;
        let stale = self.sessions.get(slot)?.rules.generation != generation;
        // Re-resolved for the agent the session opened with, not the one
        // acting now: a reload must not hand a shared session's ceiling to
        // whichever agent acts first after it.
        let fresh = match stale {
            true => self.sessions.get(slot).map(|s| s.rules.subject.clone()).map(|(agent, tt)| self.resolve(&agent, &tt)),
            false => None,
        };
        let s = self.sessions.get_mut(slot)?;
        if let Some(rules) = fresh {
            s.rules = rules;
        }
        s.cost_usd += cost;
        s.max_event_usd = s.max_event_usd.max(cost as f32);
        s.marks.or(Marks::SPENT, cost > 0.0);
        s.actions = s.actions.saturating_add(1);
        let gap = s.rules.t.repeat_poll_gap_seconds as i64 * 1000;
        if gap > 0 && s.last_ts != i64::MIN {
            let since = e.ts_ms.saturating_sub(s.last_ts);
            // Idle: the time between the two events that neither call's
            // latency explains, whether the source stamps a call at its
            // start or at its end. The poll gap of it is a wait; a slow
            // LLM call (a reasoning model thinking for half a minute) is
            // paid work, not waiting, and a stuck loop on one must be
            // stopped as early as on a fast model. (A tool call that
            // itself lasted the gap, `sleep`, waits: `check_session`.) A
            // tenth of the gap (2 s by default) makes a free call a poll:
            // orchestration code sleeps a few seconds between status
            // checks, a harness re-running a command waits well under a
            // second.
            let busy = (i64::from(s.last_latency_ds) * 100).max(e.latency_ms.map_or(0, |ms| ms.min(i64::MAX as u64) as i64));
            let idle = since.saturating_sub(busy);
            s.marks.or(Marks::WAITED, idle >= gap);
            s.marks.or(Marks::IDLED, idle >= gap / 10);
        }
        s.last_latency_ds = e.latency_ms.map_or(0, |ms| (ms / 100).min(u64::from(u16::MAX)) as u16);
        s.last_ts = s.last_ts.max(e.ts_ms);
        Some(Entered { slot, rules: s.rules.clone(), task_key, task_killed, decided })
    }

    /// Session and task-tree decisions for an event already counted.
    fn session_scope(&mut self, e: &Event, charge: Charge, entered: &Entered, out: &mut Vec<Signal>) -> Outcome {
        let Entered { slot, ref rules, task_key, task_killed, decided } = *entered;
        if decided {
            return Outcome::Processed;
        }
        if self.sessions.get(slot).is_none_or(|s| s.killed) {
            return Outcome::AfterKill;
        }
        let stopped_above = e.parent_session_id.as_ref().and_then(|p| self.tree_stopped_above(p));

        // Tree-wide kills reach every session of the tree at its next event
        // (a ping-pong kill, the sessions that handed the work back and forth).
        if let Some(reason) = task_killed {
            let evidence = json!({"task_id": e.task_id.as_deref(), "propagated": true});
            let message = format!("session belongs to task {} already stopped for {}", e.task_id.as_deref().unwrap_or(""), reason.as_str());
            self.decide(e, slot, Decision { action: Action::Kill, reason, figures: None, evidence, message }, out);
            return Outcome::Processed;
        }
        if let Some(stopped) = stopped_above {
            let parent = e.parent_session_id.as_deref().unwrap_or("");
            let (evidence, message) = match stopped {
                None => (
                    json!({"parent_session_id": parent, "propagated": true}),
                    format!("parent session {parent} was stopped for sub-agent fan-out"),
                ),
                Some(ancestor) => (
                    json!({"parent_session_id": parent, "stopped_ancestor_session_id": &*ancestor, "propagated": true}),
                    format!("session {ancestor}, above parent session {parent}, was stopped for sub-agent fan-out"),
                ),
            };
            self.decide(e, slot, Decision { action: Action::Kill, reason: Reason::SubagentFanout, figures: None, evidence, message }, out);
            // Its own children follow it: the whole tree below the killed
            // parent stops, however deep.
            if let Some(s) = self.sessions.get_mut(slot) {
                s.alerted |= Reason::SubagentFanout.bit();
            }
            return Outcome::Processed;
        }

        if let Some(d) = self.check_session(e, charge, slot, task_key, rules) {
            self.decide(e, slot, d, out);
            return Outcome::Processed;
        }
        let task_type_id = self.sessions.get(slot).map_or(0, |s| s.ids.1);
        if let Some(d) = self.check_task(e, task_key, task_type_id, rules) {
            if let Some(task) = task_key.and_then(|t| self.tasks.get_mut(&t)) {
                task.killed = Some(d.reason);
                if d.reason == Reason::PingPong {
                    // Its sides are stopped; the task's other sessions
                    // handing work over start a run of their own.
                    task.ping_pong_sessions = task.ping_pong_sides.came_back;
                    task.ping_pong = PingPong::default();
                    task.ping_pong_sides = PingPongSides::default();
                }
            }
            self.decide(e, slot, d, out);
        }
        Outcome::Processed
    }

    /// Whether the tree above a session whose parent is `parent` was
    /// stopped for fan-out: `Some(None)` when its parent was,
    /// `Some(Some(ancestor))` when a session higher up was.
    fn tree_stopped_above(&self, parent: &Arc<str>) -> Option<Option<Arc<str>>> {
        let stopped = |s: &Session| s.killed && s.children > 0 && s.alerted & Reason::SubagentFanout.bit() != 0;
        let mut key = id_hash(parent);
        if self.sessions.find_hashed(key).and_then(|slot| self.sessions.get(slot)).is_some_and(stopped) {
            return Some(None);
        }
        for _ in 2..=MAX_TREE_DEPTH {
            let up = self.trees.parent_of(key)?;
            if self.sessions.find_hashed(up.key).and_then(|slot| self.sessions.get(slot)).is_some_and(stopped) {
                return Some(Some(up.id.clone()));
            }
            key = up.key;
        }
        None
    }

    #[inline(never)]
    fn open_session(&mut self, e: &Event, shard: u32) -> u32 {
        let rules = self.resolve(&e.agent_id, &e.task_type);
        let ids = (self.intern_name(&e.agent_id), self.intern_name(&e.task_type));
        let mut s = Session::new(e.task_id.clone(), e.tenant.clone(), rules, shard);
        s.ids = ids;
        s.cost.agent = ids.0;
        self.stats.sessions_seen += 1;
        if self.sessions.len() >= self.policy.global.max_sessions as usize {
            self.evict_oldest();
        }
        let idle = self.idle_ms();
        self.expiry.push(Reverse((e.ts_ms.saturating_add(idle), e.session_id.clone())));
        self.sessions.insert(&e.session_id, s)
    }

    fn idle_ms(&self) -> i64 {
        self.policy.global.session_idle_minutes as i64 * 60_000
    }

    #[cold]
    #[inline(never)]
    fn on_child_spawned(&mut self, e: &Event, parent: &Arc<str>, out: &mut Vec<Signal>) {
        if !self.count_children(e, parent, 1, Some(&e.session_id), out) {
            let h = xxh3_64(parent.as_bytes());
            if !self.killed_evicted.contains(h) {
                self.orphans.add(h);
            }
        }
    }

    /// Adds `n` children to `parent` and checks its fan-out, then that of
    /// each tree above it; false when `parent` is not a live session. `e`
    /// is the event that showed them, `spawned` the child it opened (none
    /// when a parent adopts children that came before it).
    #[cold]
    #[inline(never)]
    fn count_children(&mut self, e: &Event, parent: &Arc<str>, n: u32, spawned: Option<&Arc<str>>, out: &mut Vec<Signal>) -> bool {
        let key = id_hash(parent);
        let Some(slot) = self.sessions.find_hashed(key) else { return false };
        let Some(p) = self.sessions.get_mut(slot) else { return false };
        let first_children = p.children == 0 && n > 0;
        p.children = p.children.saturating_add(n);
        let (children, ids, rules, killed) = (p.children, p.ids, p.rules.clone(), p.killed);
        if !killed {
            if first_children {
                if let Some(n) = self.type_normals(ids.1) {
                    n.fanout.note_started();
                }
            }
            if rules.enabled(Reason::SubagentFanout) {
                if let Some(limit) = self.fanout_limit(ids.1, &rules.t, Spread::Children) {
                    if children as u64 > limit.limit && !self.cheap_under_a_guess(e, &limit, &rules.t) {
                        if let Some(n) = self.type_normals(ids.1) {
                            n.fanout.note_killed(children);
                        }
                        let message = format!(
                            "session {parent} spawned {children} sub-sessions, above the limit of {} for task type {}",
                            limit.limit,
                            self.name(ids.1)
                        );
                        let evidence = json!({
                            "children": children,
                            "limit": limit.limit,
                            "normal_p95_children": limit.normal.map(|q| q.p95),
                            "normal_basis": limit.basis,
                            "type_trees_killed": limit.kills.killed,
                            "type_trees_begun": limit.kills.started,
                            "tree_cost_usd": self.tree_cost(e).map(round_usd),
                            "spawned_session_id": spawned.map(|s| &**s),
                        });
                        let figures = Some((f64::from(children), limit.limit as f64));
                        self.kill_for_fanout(
                            e,
                            slot,
                            parent,
                            Decision { action: Action::Kill, reason: Reason::SubagentFanout, figures, evidence, message },
                            out,
                        );
                    }
                }
            }
            // A direct child can be the spawn that takes the whole tree past
            // its limit (the parent's children wide, its grandchildren deep).
            // (`check_tree` skips a parent the children limit just killed.)
            let deeper = self.trees.deeper(key);
            if deeper > 0 {
                self.check_tree(e, slot, parent, deeper, 1, spawned, out);
            }
        }
        self.count_deeper(e, key, n, spawned, out);
        true
    }

    /// Counts `n` new sessions below `parent` in every live tree above it
    /// (its parent's, its grandparent's, ...) and checks each tree's size
    /// against what its root's task type spawns in all: a runaway that
    /// recurses (each sub-agent spawning a few more) stays within the
    /// normal of direct children at every level.
    fn count_deeper(&mut self, e: &Event, parent: (u64, u64), n: u32, spawned: Option<&Arc<str>>, out: &mut Vec<Signal>) {
        let mut below = parent;
        for depth in 2..=MAX_TREE_DEPTH {
            let Some(Parent { key, id }) = self.trees.parent_of(below).cloned() else { return };
            let Some(slot) = self.sessions.find_hashed(key) else { return };
            let (deeper, first) = self.trees.add_deeper(key, n);
            below = key;
            if first {
                if let Some(ids) = self.sessions.get(slot).map(|a| a.ids) {
                    if let Some(n) = self.type_normals(ids.1) {
                        n.deep_fanout.note_started();
                    }
                }
            }
            self.check_tree(e, slot, &id, deeper, depth, spawned, out);
        }
    }

    /// Checks the whole tree below the session in `slot` (its children and
    /// `deeper` sessions below them) against what its task type spawns in
    /// all; `depth` is how far below it the latest spawn sits.
    #[allow(clippy::too_many_arguments)]
    fn check_tree(
        &mut self,
        e: &Event,
        slot: u32,
        id: &Arc<str>,
        deeper: u32,
        depth: u32,
        spawned: Option<&Arc<str>>,
        out: &mut Vec<Signal>,
    ) {
        let Some(a) = self.sessions.get(slot) else { return };
        let (children, ids, rules, killed) = (a.children, a.ids, a.rules.clone(), a.killed);
        if killed || !rules.enabled(Reason::SubagentFanout) {
            return;
        }
        let Some(mut limit) = self.fanout_limit(ids.1, &rules.t, Spread::Descendants) else { return };
        // Never below what the parent may spawn itself: a tree is not
        // judged stricter for one grandchild than the same width
        // without it.
        if let Some(direct) = self.fanout_limit(ids.1, &rules.t, Spread::Children) {
            if direct.limit > limit.limit {
                limit = FanoutLimit { basis: "children_limit", ..direct };
            }
        }
        let total = children.saturating_add(deeper);
        if total as u64 <= limit.limit {
            return;
        }
        if let Some(n) = self.type_normals(ids.1) {
            n.deep_fanout.note_killed(total);
        }
        let message = format!(
            "session {id} has {total} sub-sessions in its tree ({children} spawned by it, the rest by them), above the limit of {} for task type {}",
            limit.limit,
            self.name(ids.1)
        );
        let evidence = json!({
            "descendants": total,
            "children": children,
            "depth": depth,
            "limit": limit.limit,
            "normal_p95_descendants": limit.normal.map(|q| q.p95),
            "normal_basis": limit.basis,
            "type_trees_killed": limit.kills.killed,
            "type_trees_begun": limit.kills.started,
            "tree_cost_usd": self.tree_cost(e).map(round_usd),
            "spawned_session_id": spawned.map(|s| &**s),
        });
        let figures = Some((f64::from(total), limit.limit as f64));
        self.kill_for_fanout(
            e,
            slot,
            id,
            Decision { action: Action::Kill, reason: Reason::SubagentFanout, figures, evidence, message },
            out,
        );
    }

    /// The fan-out limit of a parent of `task_type`, for its direct
    /// children or its whole tree; None when no limit applies.
    fn fanout_limit(&mut self, task_type: u32, t: &Thresholds, spread: Spread) -> Option<FanoutLimit> {
        let (own, kills) = match self.normals.get_mut(&task_type) {
            Some(n) => (Some(n.spread(spread).quantiles()), n.spread_kills(spread)),
            None => (None, RuleKills::default()),
        };
        let fleet = self.fleet_normals.spread(spread).quantiles();
        let min = t.fanout_min_parents as u64;
        let (limit, basis, normal) = match own {
            // Or 1.5x its p99, when more: a type whose trees are mostly
            // small but now and then wide (a crew of 30-50 for a big job)
            // has a tail that the ratio times its p95 cuts into.
            Some(q) if q.count >= min => {
                // Whole trees sum their levels' widths: a longer tail, held
                // to the ratio over their p99.
                let tail = match spread {
                    Spread::Children => FANOUT_P99_RATIO * q.p99,
                    Spread::Descendants => t.fanout_ratio * q.p99,
                };
                (ceil_limit((t.fanout_ratio * q.p95).max(tail), t.fanout_min_children), "task_type", Some(q))
            }
            // A task type without a normal of its own is not held to the
            // fleet's: fleets mix types of very different fan-out (chat
            // spawns 2, a map-reduce 40), so the fleet's normal can only
            // raise the cap a type has before its normal forms. Held lower,
            // its wide trees would be killed and never become its normal.
            _ if fleet.count >= min => {
                let limit = ceil_limit(t.fanout_ratio * fleet.p95, t.fanout_min_children.max(t.fanout_cap_without_baseline));
                (limit, "fleet", Some(fleet))
            }
            // Before any tree has finished nothing says how deep a type's
            // trees go, and each of its parents is still held to the cap on
            // its own children: a whole tree's own cap is far wider, there
            // only for a recursion without end.
            _ if matches!(spread, Spread::Descendants) => match t.fanout_tree_cap_without_baseline {
                0 => return None,
                cap => (u64::from(cap.max(t.fanout_min_children)), "static", None),
            },
            _ if t.fanout_cap_without_baseline > 0 => ((t.fanout_cap_without_baseline.max(t.fanout_min_children)) as u64, "static", None),
            _ => return None,
        };
        // The few trees a young type has finished can likewise only raise
        // its cap: a survey that always spawns 50 workers, seen once at 35,
        // is not a runaway at 41.
        let (limit, basis, normal) = match own {
            Some(q) if q.count > 0 && q.count < min && ceil_limit(t.fanout_ratio * q.p99, 0) > limit => {
                (ceil_limit(t.fanout_ratio * q.p99, 0), "task_type_young", Some(q))
            }
            _ => (limit, basis, normal),
        };
        let (limit, basis) = match kills.raised(limit) {
            Some(raised) => (raised, "task_type_kills"),
            None => (limit, basis),
        };
        Some(FanoutLimit { limit, basis, normal, kills })
    }

    /// A tree held only to the static cap (nothing known of how wide its
    /// type's trees go, nor the fleet's) that has so far spent less than
    /// the fleet's finished sessions do at their p95: the cap is a guess,
    /// and a first wide batch of cheap workers (41 extractions, $0.17 in
    /// all) is more likely work than a runaway. Waiting until it has spent
    /// one such session costs at most that; its trees that finish then
    /// teach the type its width. Judged on the task tree's spend, so only
    /// for events that carry a `task_id`.
    fn cheap_under_a_guess(&mut self, e: &Event, limit: &FanoutLimit, t: &Thresholds) -> bool {
        if limit.basis != "static" {
            return false;
        }
        let Some(tree) = self.tree_cost(e) else { return false };
        let fleet = self.fleet_normals.cost_micros.quantiles();
        fleet.count >= u64::from(t.step_min_sessions) && tree * 1e6 < fleet.p95
    }

    /// Spend so far of the event's task tree.
    fn tree_cost(&self, e: &Event) -> Option<f64> {
        e.task_id.as_deref().and_then(|id| self.tasks.get(&task_key(id))).map(|t| t.cost_usd)
    }

    /// Kills `parent`, at `slot` (and, through it, its tree) for fan-out
    /// (`d`, a kill for `subagent_fanout`).
    fn kill_for_fanout(&mut self, e: &Event, slot: u32, parent: &Arc<str>, d: Decision, out: &mut Vec<Signal>) {
        let Decision { action, reason, figures, evidence, message } = d;
        let Some(p) = self.sessions.get_mut(slot) else { return };
        p.killed = true;
        p.alerted |= reason.bit();
        let (task_id, tenant, cost, actions, ids) = (p.task_id.clone(), p.tenant.clone(), p.cost_usd, p.actions_so_far(), p.ids);
        let (agent, tt) = (self.name(ids.0), self.name(ids.1));
        let policy_id = self.policy.rule_id(reason, &agent, &tt);
        out.push(cold(|| {
            self.signal(SignalParts {
                action,
                scope: Scope::Session,
                session_id: Some(parent.clone()),
                agent_id: Some(agent),
                task_type: Some(tt),
                task_id,
                tenant,
                reason,
                trigger: e,
                session_cost_usd: cost,
                session_actions: actions,
                figures,
                evidence,
                policy_id,
                message,
            })
        }));
    }

    /// Session-local decisions, in priority order; the first kill wins.
    fn check_session(&mut self, e: &Event, charge: Charge, slot: u32, task_key: Option<u128>, rules: &Resolved) -> Option<Decision> {
        let Charge { cost_usd: cost, list_price, .. } = charge;
        let t = &rules.t;
        let on = |r: Reason| rules.enabled(r);

        // Interned before borrowing the session mutably.
        let tool = e.tool.as_ref().map(|tool| self.intern_tool(tool));
        let (ids, actions, id_hi, spent) = self.sessions.get(slot).map(|s| (s.ids, s.actions, s.id_hi, s.cost_usd))?;
        let agent_now = if tool.is_some() || e.kind == EventKind::Llm { self.acting_ids(e, ids) } else { ids };
        // Another agent of the session making the same call is not the
        // first one repeating itself: a specialist handed the work looks
        // the customer up again. The session's own agent keeps the plain
        // signature.
        let agent_salt = if agent_now.0 == ids.0 { 0 } else { u64::from(agent_now.0).wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) };
        let call = match (tool, &e.args_hash) {
            // An LLM call that requests tool(args) and the tool call that
            // executes it are one call: same signature, counted once.
            (Some((tool_id, seed)), Some(args)) => Some(Call::new(xxh3_64_with_seed(args.as_bytes(), seed ^ agent_salt) as u32, tool_id)),
            _ => None,
        };
        // The call as its session's own agent would sign it: work handed to
        // another agent that only repeats what was done is no progress.
        let plain_sig = match (tool, &e.args_hash) {
            (Some((_, seed)), Some(args)) if agent_salt != 0 => Some(xxh3_64_with_seed(args.as_bytes(), seed) as u32),
            _ => None,
        };
        // LLM calls are judged against the acting agent's normal (in a
        // session shared by agents, not always the one that opened it).
        let acting = if e.kind == EventKind::Llm { agent_now } else { ids };
        let context = if e.kind == EventKind::Llm { context_tokens(e) } else { 0 };
        let llm_priced = e.kind == EventKind::Llm && cost > 0.0;
        let wanted = Wanted {
            cost: llm_priced,
            context: context > 0,
            price: if llm_priced && rules.t.spike_price_ratio > 0.0 { list_price * NANO } else { 0.0 },
            price_ratio: rules.t.spike_price_ratio,
        };
        let Found { cost: baseline, context: context_baseline, price: price_baseline } = self.baselines_for(acting, rules, wanted);
        // Only sessions past the floor can be step runaways: look the normal up then.
        let step_normal = if actions > rules.t.step_min_actions {
            self.normals.get_mut(&ids.1).map(|n| (n.actions.quantiles(), n.cost_micros.quantiles()))
        } else {
            None
        };
        // What the type's finished sessions spend, looked up only at an
        // event that adds spend, once the session has spent enough for it
        // to matter.
        let spend_normal = match step_normal {
            _ if cost <= 0.0 => None,
            Some((_, c)) => Some(c),
            None if rules.t.spend_ratio > 0.0 && spent > rules.t.spend_min_usd => {
                self.normals.get_mut(&ids.1).map(|n| n.cost_micros.quantiles())
            }
            None => None,
        };

        // The model's ids: its health key, and its id within a cost level.
        let model = if e.kind == EventKind::Llm { e.model.as_ref().map(|m| self.model_keys.get_or(m, model_keys)) } else { None };
        // Whose fleet-wide health this LLM call counts in: its provider, or
        // its model when it names none (name and health key).
        let health = match (e.kind, &e.provider, &e.model, model) {
            (EventKind::Llm, Some(p), _, _) => Some((p, self.provider_keys.get_or(p, provider_key))),
            (EventKind::Llm, None, Some(m), Some(keys)) => Some((m, keys.0)),
            _ => None,
        };
        let outage = match e.kind {
            EventKind::Llm => health.and_then(|(name, key)| self.note_provider_health(e, name, key, id_hi)),
            _ if e.status != Status::Ok => self.sessions.get(slot).and_then(|s| self.provider_outage_of(s.provider)),
            _ => None,
        };

        // A handoff within a task is judged on the task's tree (`check_task`).
        // Its limit is looked up only once the run could reach the least
        // it can be (the policy's count): one handoff adds at most two
        // (round trips are counted in any order, `PingPong::record`).
        let session_handoff = e.kind == EventKind::Handoff && e.task_id.is_none();
        let may_be_stuck = session_handoff
            && self.sessions.get(slot).is_some_and(|s| s.ping_pong.alternations().saturating_add(2) >= t.ping_pong_handoffs);
        let ping_pong_limit = if may_be_stuck { Some(self.ping_pong_limit(ids.1, t)) } else { None };

        let s = self.sessions.get_mut(slot)?;
        if e.kind == EventKind::Llm {
            s.provider = health.map_or(0, |(_, key)| key);
        }

        // --- session budget
        if on(Reason::SessionBudget)
            && t.session_budget_usd > 0.0
            && s.cost_usd > t.session_budget_usd
            && over(s.cost_usd, t.session_budget_usd)
        {
            return Some(cold(|| {
                let (spent, ceiling) = usd_pair(s.cost_usd, t.session_budget_usd);
                Decision {
                    action: Action::Kill,
                    reason: Reason::SessionBudget,
                    figures: Some((s.cost_usd, t.session_budget_usd)),
                    evidence: json!({"ceiling_usd": t.session_budget_usd, "ceiling_basis": "policy", "session_cost_usd": round_usd(s.cost_usd)}),
                    message: format!("session spend ${spent} crossed its ceiling of ${ceiling}"),
                }
            }));
        }

        // --- retry storm
        // What was attempted, for forgiving retries that recovered: an LLM
        // call's model (a retry asks the same model; the provider is not
        // named on every event), else its provider; a tool call's tool and
        // arguments (a retry repeats the call; an agent trying other
        // arguments on a failing tool is not retrying it).
        let op = match e.kind {
            EventKind::Llm => model.map(|keys| keys.0).or(health.map(|(_, key)| key)).map_or(1, |key| (key ^ (key >> 32)) as u32 | 1),
            EventKind::Tool => match (call, tool) {
                (Some(c), _) => c.sig & !1,
                (None, Some((_, seed))) => (seed ^ (seed >> 32)) as u32 & !1,
                (None, None) => 2,
            },
            _ => 4,
        };
        session::note_attempt(s, op, e.status != Status::Ok, t.retry_forgive);
        if on(Reason::RetryStorm) && e.status != Status::Ok {
            let n = recent_ones(s.retry_bits, t.retry_window.min(64));
            if let (true, Some((key, o))) = (n >= t.retry_kill, &outage) {
                // Many sessions failing on one provider at once: an outage.
                // Its victims retrying are not runaways; say so once.
                if s.alerted & Reason::RetryStorm.bit() == 0 {
                    s.alerted |= Reason::RetryStorm.bit();
                    return Some(cold(|| Decision {
                        action: Action::Alert,
                        reason: Reason::RetryStorm,
                        figures: Some((n as f64, t.retry_kill as f64)),
                        evidence: json!({"retries_in_window": n, "window_actions": t.retry_window, "provider_outage_suspected": true, "outage_of": key, "outage_sessions": o.sessions, "outage_failure_share": round_ratio(o.failure_share), "status": e.status.as_str(), "alert_only": true}),
                        message: format!(
                            "{n} of the last {} actions failed, during a suspected outage of {key} ({} sessions failing): not killed",
                            t.retry_window, o.sessions
                        ),
                    }));
                }
            } else if n >= t.retry_kill {
                return Some(cold(|| Decision {
                    action: Action::Kill,
                    reason: Reason::RetryStorm,
                    figures: Some((n as f64, t.retry_kill as f64)),
                    evidence: json!({"retries_in_window": n, "window_actions": t.retry_window, "tool": e.tool.as_deref(), "status": e.status.as_str()}),
                    message: format!("{n} of the last {} actions were retries or errors that did not recover", t.retry_window),
                }));
            }
        }

        // --- repeated calls and cycles
        // A tool call that itself lasted the poll gap (sleep, wait for CI)
        // was the session waiting: the call after it is a poll, whether
        // the source stamps events at the start of a call or at its end.
        // One that cost something itself (an image or a video rendered in
        // half a minute) was paid work: the same render asked for again
        // is a repeat, not a check on a job.
        let waits = e.kind == EventKind::Tool
            && cost <= 0.0
            && t.repeat_poll_gap_seconds > 0
            && e.latency_ms.is_some_and(|ms| ms >= u64::from(t.repeat_poll_gap_seconds) * 1000);
        let executes_request = match (call, e.kind) {
            (Some(c), EventKind::Tool) => std::mem::take(&mut s.pending_call) == c.sig.max(1),
            _ => false,
        };
        // Polls are the session waiting, not stepping: neither a poll nor
        // the tool call carrying out a poll the LLM asked for counts toward
        // its length (`step_runaway`, and the type's normal lengths). An
        // assistant checking the inbox every quarter hour all day is one
        // span of hundreds of actions, most of them waiting.
        if e.kind == EventKind::Tool && call.is_some() && s.marks.take(Marks::POLL_ASKED) && executes_request {
            s.not_a_step();
        }
        if e.kind == EventKind::Llm {
            s.pending_call = call.map_or(0, |c| c.sig.max(1));
        } else if let (EventKind::Tool, Some(c)) = (e.kind, call.filter(|_| e.status != Status::Ok)) {
            // A failed call stays pending: the harness trying it again at
            // once, with no LLM call between, is the same request still
            // being carried out. Its attempts are retries, retry_storm's to
            // judge (and forgive when one succeeds), not the agent
            // repeating itself; an LLM call asking for it again is.
            s.pending_call = c.sig.max(1);
        }
        if let Some(mut c) = call.filter(|_| !executes_request) {
            // One pass over the calls still in the window after this push:
            // is the call new, and how often it recurred with nothing new in
            // between. Repeats count only while nothing new happens: a
            // coding agent re-running the same tests after each new edit is
            // making progress; one re-running them with nothing new is not.
            let window = t.repeat_window as usize;
            // A call after a wait is a poll: an agent checking on CI every
            // half minute repeats itself by design, so polls kill later.
            // A poll counts toward a kill only when it cost something: a
            // wait loop in orchestration code checking a job's status with
            // no LLM call between spends nothing, and stopping it saves
            // nothing. Such a loop waits a few seconds between checks, so a
            // free call after a shorter idle spell is a poll too. (A free
            // repeat made back to back still counts: a harness re-running a
            // command without pause is stuck.)
            let spent = s.marks.take(Marks::SPENT);
            let idled = s.marks.take(Marks::IDLED);
            // The plain call (any agent's) is looked for in the same scan:
            // a call new to this agent but done before in the session is
            // not progress.
            let (mut repeats, plain_done_before) = s.calls.recurrence_and_presence(c.sig, plain_sig, window.saturating_sub(1));
            let seen = repeats.seen;
            // One look-up in the fleet's call table either way: a call new
            // to the session counts toward its commonness.
            let plain = plain_sig.unwrap_or(c.sig);
            let common = if seen { self.common_calls.is_common(plain) } else { self.common_calls.note_new(plain) };
            // A wait anywhere since the call's previous occurrence makes
            // the repeat a poll: a coding agent's "sleep 30, check CI,
            // sleep 30" repeats its sleep after a short check, yet each
            // round waited for CI.
            let waited = s.marks.take(Marks::WAITED);
            if waited || (idled && !spent) || (seen && s.calls.waited_since(c.sig, window.saturating_sub(1))) {
                c.mark_polled();
            }
            let poll = seen && c.waited();
            if poll {
                s.not_a_step();
            }
            s.marks.set(Marks::POLL_ASKED, poll && e.kind == EventKind::Llm);
            if common {
                c.mark_common();
            }
            if spent {
                c.mark_spent();
            }
            repeats.add(c);
            if !seen {
                c.mark_novel();
            }
            if !seen && !plain_done_before {
                // Something new happened: the current handoff leg is busy.
                s.ping_pong.note_progress();
                if let Some(task) = task_key.and_then(|t| self.tasks.get_mut(&t)) {
                    task.ping_pong.note_progress();
                }
            }
            s.calls.note_poll_run(seen && c.polled(), !seen && !plain_done_before);
            // A free poll (orchestration code checking a job after a wait,
            // no LLM call between) spends nothing, as for loop_repeat: it
            // neither lengthens a run round the same tools nor breaks one.
            if !c.waited() || c.spent() {
                s.tool_run.note(&s.calls, c.tool_id());
            }
            s.calls.push(c, window);
            let spins = repeats.spins();
            s.calls.note_spins(spins);
            if on(Reason::LoopRepeat) {
                // Spins (repeats with no wait before them) kill at
                // `repeat_kill` (or the task type's normal when it repeats
                // more); with polls among them, at `repeat_poll_kill`.
                // The type's own limit is looked up only for a session
                // already past the policy's (rare).
                let spin_limit = if spins >= t.repeat_kill { Some(spin_limit(self.normals.get_mut(&ids.1), t)) } else { None };
                let spin_kill = spin_limit.as_ref().is_some_and(|l| spins >= l.limit);
                let (mut hit, mut limit) = match &spin_limit {
                    Some(l) if spin_kill => (spins, l.limit),
                    _ => (repeats.poll_hits(), t.repeat_poll_kill),
                };
                // Polls past the policy's count: a task type whose work
                // waits that long by design is learned.
                let waits = if !spin_kill && hit >= limit {
                    waits_by_design(self.normals.get_mut(&ids.1), t, s.calls.poll_run(), hit)
                } else {
                    None
                };
                if let Some(w) = &waits {
                    (hit, limit) = (u32::from(s.calls.poll_run()), w.limit);
                }
                // A wait whose polls have cost less than what its task
                // type's sessions spend at the median is not runaway spend
                // yet: an overnight job checked every ten minutes on a small
                // context, killed at its 25th check, would lose the job.
                // (Waits only: repeats of an observation, `click()` made
                // by every session, count like polls but wait for nothing.
                // The run counts the polls after the first check.)
                let wait_run = u32::from(s.calls.poll_run()) + 1;
                if hit >= limit
                    && !spin_kill
                    && !c.common()
                    && wait_run >= hit
                    && cheap_wait(self.normals.get_mut(&ids.1), t, wait_run, s.cost.level)
                {
                    hit = 0;
                }
                if hit >= limit {
                    if spin_kill {
                        if let Some(n) = open_normals(&mut self.normals, &self.policy.global, ids.1) {
                            n.repeats.note_killed(spins);
                        }
                    }
                    // The type's spin kills are looked up only for spins.
                    let spin_kills = spin_limit.as_ref().map(|l| l.kills);
                    let spin_limit = spin_limit.unwrap_or_else(|| SpinLimit::policy(t));
                    let tool = self.tool_names.get(c.tool_id() as usize).cloned();
                    let count = repeats.count;
                    let basis = match &waits {
                        Some(w) => w.basis,
                        None if spin_kill => spin_limit.basis,
                        None => "policy_polls",
                    };
                    return Some(cold(|| {
                        Decision {
                        action: Action::Kill,
                        reason: Reason::LoopRepeat,
                        figures: Some((hit as f64, limit as f64)),
                        evidence: json!({"tool": tool.as_deref(), "args_hash": e.args_hash.as_deref(), "kind": e.kind.as_str(), "count": count, "repeats": hit, "polls": repeats.polls, "free_polls": repeats.free_polls, "free_looks": if repeats.span_spent { repeats.free_looks } else { 0 }, "limit": limit, "limit_basis": basis, "normal_p95_spins": spin_limit.p95, "normal_p95_poll_run": waits.as_ref().map(|w| w.p95), "type_sessions_killed": spin_kills.map(|k| k.killed), "type_sessions_begun": spin_kills.map(|k| k.started), "window_calls": t.repeat_window}),
                        message: match &waits {
                            Some(w) => format!(
                                "the same call {}({}) was polled {hit} times in a row with nothing new, past the {} polls its task type waits by design",
                                tool.as_deref().unwrap_or("?"),
                                e.args_hash.as_deref().unwrap_or(""),
                                w.limit
                            ),
                            None => format!(
                                "the same call {}({}) was made {count} times in the last {} calls",
                                tool.as_deref().unwrap_or("?"),
                                e.args_hash.as_deref().unwrap_or(""),
                                t.repeat_window
                            ),
                        },
                    }
                    }));
                }
            }
            if on(Reason::LoopCycle) {
                let repeats = (t.cycle_repeats as usize, t.repeat_poll_kill as usize);
                let found = find_cycle(&s.calls, t.cycle_max_period as usize, repeats, window);
                // A poll loop (check CI, sleep) as long as the type's work
                // waits by design is not yet one.
                let waits = match &found {
                    Some(f) if f.basis != "policy" => waits_by_design(self.normals.get_mut(&ids.1), t, s.calls.poll_run(), f.polled as u32),
                    _ => None,
                };
                let found = found.filter(|_| waits.as_ref().is_none_or(|w| u32::from(s.calls.poll_run()) >= w.limit));
                // A cycle of waits (sleep 600, check the job) that has cost
                // less than the type's median session is waiting, as a run
                // of polls is (see loop_repeat).
                let found = found.filter(|f| {
                    f.basis == "policy" || !cheap_wait(self.normals.get_mut(&ids.1), t, u32::from(s.calls.poll_run()) + 1, s.cost.level)
                });
                if let Some(found) = found {
                    let names: Vec<&str> =
                        found.cycle.iter().map(|c| self.tool_names.get(c.tool_id() as usize).map(|n| &**n).unwrap_or("?")).collect();
                    let (period, repeats, polled) = (found.cycle.len(), found.repeats, found.polled);
                    // Figures: the turns made against the turns that kill
                    // (before builtin-22 the period stood in as a baseline),
                    // or, past a type's learned wait, its run of polls
                    // against that limit.
                    let run = s.calls.poll_run();
                    let (observed, limit) =
                        waits.as_ref().map_or((repeats as f64, repeats as f64), |w| (f64::from(run), f64::from(w.limit)));
                    return Some(cold(|| Decision {
                        action: Action::Kill,
                        reason: Reason::LoopCycle,
                        figures: Some((observed, limit)),
                        evidence: json!({"cycle": names, "period": period, "repeats": repeats, "limit": limit, "limit_basis": waits.as_ref().map_or(found.basis, |w| w.basis), "window_calls": window, "polls": polled, "poll_run": waits.as_ref().map(|_| run), "normal_p95_poll_run": waits.as_ref().map(|w| w.p95)}),
                        message: format!("the call sequence {} repeated {repeats} times", names.join(" → ")),
                    }));
                }
            }
            // A run round the same tools far longer than its task type's
            // sessions make, arguments new every time (a request id or a
            // timestamp in each call hides the loop from the rules above).
            let run = s.tool_run;
            let reason = if run.period > 1 { Reason::LoopCycle } else { Reason::LoopRepeat };
            // A run that spawned sub-agents (a planner starting its
            // rollouts) is fan-out's to judge, against its type's trees.
            let spawning = u64::from(s.children) * 2 >= u64::from(run.len);
            if t.tool_run_min_calls > 0 && u32::from(run.len) >= t.tool_run_min_calls && !spawning && on(reason) {
                if let Some(limit) = tool_run_limit(self.normals.get_mut(&ids.1), t).filter(|l| u32::from(run.len) >= l.limit) {
                    let names: Vec<&str> = s
                        .calls
                        .last_steps(usize::from(run.period))
                        .iter()
                        .map(|id| self.tool_names.get(*id as usize).map(|n| &**n).unwrap_or("?"))
                        .collect();
                    return Some(cold(|| {
                        Decision {
                        action: Action::Kill,
                        reason,
                        figures: Some((f64::from(run.len), f64::from(limit.limit))),
                        evidence: json!({"tools": names, "period": run.period, "tool_run": run.len, "limit": limit.limit, "limit_basis": "task_type_tool_run", "normal_p95_tool_run": limit.p95, "normal_sessions": limit.sessions}),
                        message: format!(
                            "{} calls in a row going round {}, arguments new or not, where its task type's sessions make {:.0} at the p95 (the limit is {})",
                            run.len,
                            names.join(" → "),
                            limit.p95,
                            limit.limit
                        ),
                    }
                    }));
                }
            }
        }

        s.marks.or(Marks::WAITED, waits);

        // --- ping-pong (per session when the event has no task)
        if e.kind == EventKind::Handoff {
            s.handoffs = s.handoffs.saturating_add(1);
            if let (Some(target), true) = (&e.target_agent_id, session_handoff) {
                s.ping_pong.record(xxh3_64(e.agent_id.as_bytes()) as u32, xxh3_64(target.as_bytes()) as u32);
                if let Some(limit) = ping_pong_limit.filter(|l| on(Reason::PingPong) && s.ping_pong.stuck(l.idle, l.busy)) {
                    note_ping_pong_kill(&mut self.normals, &self.policy.global, ids.1, s.ping_pong.pair_alternations());
                    return Some(ping_pong_decision(e, target, &s.ping_pong, limit));
                }
            }
        }

        // --- cost per action: context growth and spikes (LLM calls)
        // --- context growth: the context climbing call after call (in
        // tokens, so a pricier model is not mistaken for a longer context)
        if context > 0 {
            let prev = s.last_context as u64;
            // A step is an increase of at most 2x; a bigger jump is one large
            // input (a document), not growth, and restarts the run.
            s.last_context = context.min(u32::MAX as u64) as u32;
            if prev > 0 && context > prev && context <= prev.saturating_mul(2) {
                s.growth_run += 1;
            } else {
                s.growth_run = 0;
                s.run_start = s.last_context;
            }
            let grown_by = s.last_context.saturating_sub(s.run_start) as u64;
            s.marks.set(Marks::CONTEXT_OUTLIER, false);
            if let Some((scope, q)) = &context_baseline {
                // Judged by others' baseline (the agent's own is young), a
                // climb is measured from where it started when that is
                // higher: a coding agent starting at 15k cached tokens is
                // no runaway for climbing past 4x a chat fleet's 3.6k. Its
                // own baseline, once mature, knows its level.
                let own = *scope == AGENT_SCOPE;
                let normal = if own { q.p95 } else { q.p95.max(f64::from(s.run_start)) };
                let limit = t.growth_ratio * normal;
                // Not learned past 2x p95: a growing session must not drag
                // the baseline it is judged against up behind it.
                s.marks.set(Marks::CONTEXT_OUTLIER, context as f64 >= 2.0 * normal);
                // The run itself must add at least a normal context's worth:
                // a big document read once (a jump that starts a new run),
                // then small steps, is not growth.
                let steep = grown_by as f64 >= q.p95;
                // A longer climb needs less height: a session whose context
                // rose call after call for three times as long, to well
                // past its normal, has not been compacting either.
                let long_climb =
                    t.growth_long_steps > 0 && s.growth_run + 1 >= t.growth_long_steps && context as f64 >= t.growth_long_ratio * normal;
                if on(Reason::ContextGrowth)
                    && s.growth_run + 1 >= t.growth_steps
                    && (context as f64 >= limit || long_climb)
                    && steep
                    && q.p95 > 0.0
                {
                    return Some(cold(|| Decision {
                        action: Action::Kill,
                        reason: Reason::ContextGrowth,
                        figures: Some((context as f64, normal)),
                        evidence: json!({"growing_calls": s.growth_run + 1, "context_tokens": context, "grown_by_tokens": grown_by, "baseline_p95_tokens": q.p95, "climb_start_tokens": (normal > q.p95).then_some(s.run_start), "baseline_scope": scope, "baseline_samples": q.count, "cost_usd": round_usd(cost)}),
                        message: format!(
                            "context grew {} calls in a row to {context} tokens, {:.1}x {}",
                            s.growth_run + 1,
                            context as f64 / normal,
                            if normal > q.p95 { "where the climb started (above its baseline's p95)" } else { "the p95 of its baseline" }
                        ),
                    }));
                }
                // Held: grown (not jumped) to well above its normal, then
                // level there, call after call: pinned at its context window
                // and never compacting. It climbs no further, so the rule
                // above never sees it. A normal session compacts (drops),
                // keeps growing (a long one), or came there in one jump (a
                // document read once, which latches nothing).
                let high = q.p95 > 0.0 && context as f64 >= t.growth_hold_ratio * normal;
                if !high {
                    s.high_run = 0;
                    s.marks.set(Marks::GREW_HIGH, s.marks.get(Marks::GREW_HIGH) && context as f64 >= normal);
                } else {
                    s.marks.or(Marks::GREW_HIGH, s.growth_run + 1 >= t.growth_steps && steep);
                    let anchor = s.high_anchor as f64;
                    let level = s.high_run > 0 && (context as f64 - anchor).abs() <= 0.05 * anchor;
                    if !s.marks.get(Marks::GREW_HIGH) {
                        s.high_run = 0;
                    } else if level {
                        s.high_run = s.high_run.saturating_add(1);
                    } else {
                        s.high_run = 1;
                        s.high_anchor = s.last_context;
                    }
                }
                if on(Reason::ContextGrowth) && t.growth_hold_calls > 0 && u32::from(s.high_run) >= t.growth_hold_calls {
                    return Some(cold(|| Decision {
                        action: Action::Kill,
                        reason: Reason::ContextGrowth,
                        figures: Some((context as f64, normal)),
                        evidence: json!({"held_calls": s.high_run, "hold_ratio": t.growth_hold_ratio, "context_tokens": context, "grown_by_tokens": grown_by, "baseline_p95_tokens": q.p95, "climb_start_tokens": (normal > q.p95).then_some(s.run_start), "baseline_scope": scope, "baseline_samples": q.count, "cost_usd": round_usd(cost)}),
                        message: format!(
                            "context grew to {context} tokens, {:.1}x {}, and stayed there {} calls in a row",
                            context as f64 / normal,
                            if normal > q.p95 { "where its climb started" } else { "the p95 of its baseline" },
                            s.high_run
                        ),
                    }));
                }
            }
        }

        // --- cost per call: spikes (LLM calls)
        if e.kind == EventKind::Llm {
            s.switch_cost_level(acting.0);
        }
        if e.kind == EventKind::Llm && cost > 0.0 {
            let billed = cost;
            let cost = charge.at_base_rates();
            let s_cost = &mut s.cost;
            s_cost.llm_calls += 1;
            let level = s_cost.level as f64;
            let token_level = s_cost.token_level as f64;
            let reference = baseline.as_ref().map(|b| b.1);
            // A pricier model (cost per token up) is judged against the
            // baseline's median; a jump in cost per call alone (a much bigger
            // context) only when it also leaves the baseline's range (its
            // p99), since normal sessions grow their context too.
            // A switch to a model of exactly the ratio's price (3x) is one:
            // the product of two prices rounds either way, a session's
            // level is an f32.
            let ratio = t.spike_ratio * RATIO_SLACK;
            let above_median = reference.is_none_or(|q| cost >= ratio * q.p50 / NANO);
            let above_range = reference.is_none_or(|q| cost >= (ratio * q.p50).max(q.p99) / NANO);
            // Against the session's own level, by the call and by the token:
            // cost per token jumps with a pricier model whatever the context
            // size, so a model switch shows even when call sizes are noisy.
            let tokens = context + e.output_tokens + e.reasoning_tokens;
            let per_token = if tokens > 0 { cost / tokens as f64 } else { 0.0 };
            let level_spike = level > 0.0 && cost >= ratio * level;
            // A jump in cost per call needs a bigger context (at least
            // twice the agent's usual tokens per call): one on the same
            // tokens is a prompt-cache miss, or a pricier model (below).
            let tokens_level = s_cost.tokens_level as f64;
            let more_tokens = tokens == 0 || tokens_level == 0.0 || tokens as f64 >= 2.0 * tokens_level;
            // The same model costs more per token on a prompt-cache miss
            // (an agent's first call after a handoff or a pause): only a
            // call on another model than its level's, or on unnamed models,
            // is a jump in price.
            let model = model.map_or(0, |m| m.1);
            let other_model = model == 0 || s_cost.model == 0 || model != s_cost.model;
            let token_spike = token_level > 0.0 && per_token >= ratio * token_level && other_model;
            let first = s_cost.llm_calls <= t.spike_session_reference;
            // The first calls set the session's own level (its context
            // fills up in its first steps), unless a call leaves its
            // baseline's range by the spike ratio itself: an agent whose
            // calls never pass 6k tokens jumping to 60k at its second call
            // has not found its level, it has left it.
            let beyond_range = reference.is_some_and(|q| cost >= ratio * q.p99 / NANO);
            // Nor has a session whose every call so far leaves its agent's
            // own range (a pricier model from the first call): it has no
            // level of its own to be judged against, and its agent's history
            // says what it should cost. Only the agent's own baseline says
            // so: a new agent is judged by others', and may be pricier by
            // nature.
            // A model whose list price is many times what the agent's calls
            // are priced at (the p99 of its models' list prices) is a
            // pricier model however small, big or cached the call: cost per
            // call or per token only shows it against a level the session
            // set on its usual model, and one on the pricier model from its
            // first call has none.
            let agent_list_p99 = price_baseline.map(|q| q.p99 / NANO);
            let pricier_model = price_baseline.is_some_and(|q| q.pricier);
            // A session on a model its agent's recent sessions also started
            // on (a rollout) sets its own level like any other: the agent's
            // cost history is the old model's until the new one's calls
            // replace it, and would otherwise flag every new session.
            let rolled_out = price_baseline.is_some_and(|q| q.rolled_out);
            let unsettled = level == 0.0 && beyond_range && !rolled_out && baseline.as_ref().is_some_and(|b| b.0 == AGENT_SCOPE);
            // A jump in cost per token onto a model the agent's calls run
            // on as a matter of course is its usual mix, not a switch.
            let usual_model = price_baseline.is_some_and(|q| q.usual);
            let call_spike = unsettled || (level_spike && more_tokens && above_range && (!first || beyond_range));
            let spike = call_spike || pricier_model || (token_spike && above_median && !usual_model);
            s_cost.spike_bits = (s_cost.spike_bits << 1) | u64::from(spike);
            // Each level follows the session's own calls but not its own
            // outliers: a sustained jump stays visible against where it came from.
            // The first calls define the session's cost level whatever they
            // cost (a session's context fills up in its first steps); the
            // cost per token is stable per model, so it excludes outliers at once.
            if !unsettled && !pricier_model && (!level_spike || (first && !beyond_range)) {
                s_cost.level = follow(level, cost, first, s_cost.llm_calls) as f32;
                s_cost.tokens_level = follow(tokens_level, tokens as f64, first, s_cost.llm_calls) as f32;
            }
            if !token_spike && !pricier_model && per_token > 0.0 {
                s_cost.token_level = follow(token_level, per_token, first, s_cost.llm_calls) as f32;
                s_cost.model = model;
            }

            if on(Reason::CostSpike) && spike {
                let spiking = recent_ones(s_cost.spike_bits, t.spike_window);
                let base = reference.map(|q| q.p50 / NANO).filter(|b| *b > 0.0);
                let against = base.unwrap_or(level).max(level);
                // The signal's figures are the comparison that made this
                // call a spike: a pricier model can cost less per call than
                // the agent's usual calls (fewer tokens), and "0.5x its
                // normal" would contradict the kill.
                let list_p99 = agent_list_p99.filter(|p| *p > 0.0 && list_price > 0.0);
                let compared = match (call_spike, pricier_model, list_p99) {
                    (true, _, _) => SpikeBasis::CostPerCall { cost, normal: against },
                    (false, true, Some(p99)) => SpikeBasis::ListPrice { price: list_price, agent_p99: p99 },
                    _ => SpikeBasis::CostPerToken { per_token, level: token_level },
                };
                if spiking >= t.spike_sustain && s_cost.llm_calls > t.spike_session_reference {
                    return Some(cold(|| Decision {
                        action: Action::Kill,
                        reason: Reason::CostSpike,
                        figures: Some(compared.figures()),
                        evidence: json!({"compared": compared.name(), "cost_usd": round_usd(billed), "cost_at_base_rates_usd": (billed > cost).then(|| round_usd(cost)), "baseline_p50_usd": base.map(round_usd), "baseline_scope": baseline.as_ref().map(|b| b.0), "baseline_samples": baseline.as_ref().map(|b| b.1.count), "session_level_usd": (level > 0.0).then(|| round_usd(level)), "from_first_call": level == 0.0, "session_usd_per_mtok": (token_level > 0.0).then(|| round_usd(token_level * 1e6)), "usd_per_mtok": round_usd(per_token * 1e6), "spiking_calls": spiking, "window_calls": t.spike_window, "model": e.model.as_deref(), "model_list_usd_per_mtok": (list_price > 0.0).then(|| round_usd(list_price * 1e6)), "agent_p99_list_usd_per_mtok": agent_list_p99.map(|p| round_usd(p * 1e6)), "sustained": true}),
                        message: format!(
                            "{} for {spiking} of the last {} calls{}",
                            compared.describe(e.model.as_deref()),
                            t.spike_window,
                            compared.call_cost(billed)
                        ),
                    }));
                }
                if s.alerted & Reason::CostSpike.bit() == 0 {
                    s.alerted |= Reason::CostSpike.bit();
                    return Some(cold(|| Decision {
                        action: Action::Alert,
                        reason: Reason::CostSpike,
                        figures: Some(compared.figures()),
                        evidence: json!({"compared": compared.name(), "cost_usd": round_usd(billed), "cost_at_base_rates_usd": (billed > cost).then(|| round_usd(cost)), "baseline_p50_usd": base.map(round_usd), "baseline_scope": baseline.as_ref().map(|b| b.0), "session_level_usd": (level > 0.0).then(|| round_usd(level)), "from_first_call": level == 0.0, "session_usd_per_mtok": (token_level > 0.0).then(|| round_usd(token_level * 1e6)), "usd_per_mtok": round_usd(per_token * 1e6), "model": e.model.as_deref(), "sustained": false, "alert_only": true}),
                        message: format!("one call: {}{}", compared.describe(e.model.as_deref()), compared.call_cost(billed)),
                    }));
                }
            }
        }

        // --- step runaway against the task type's normal: far more actions
        // than its finished sessions take, and more spend than they reach.
        // A batch (one tool over many different inputs) is work, not a
        // runaway. While the task type is young only a static cap applies:
        // another type's normal says nothing about a type long by nature.
        if on(Reason::StepRunaway) && s.actions > t.step_min_actions {
            let min = t.step_min_sessions as u64;
            let limits = match step_normal {
                Some((q, c)) if q.count >= min => Some((step_limit(&q, t), Some(c.p95 / 1e6), "task_type", Some(q))),
                _ if t.step_cap_without_baseline > 0 => {
                    Some(((t.step_cap_without_baseline.max(t.step_min_actions)) as u64, None, "static", None))
                }
                _ => None,
            };
            if let Some((limit, cost_gate, basis, normal)) = limits {
                // Against the static cap (nothing known of the type), a
                // batch may also be a pipeline of two steps per item (fetch
                // a document, then an LLM call extracting its fields).
                let steps_per_item = if normal.is_none() { 2 } else { 1 };
                // Spared within reason: a research lead issuing a new search
                // every step for 50x its type's length is no batch job
                // (its calls look the same: new input each time).
                let spared = |s: &session::Session| {
                    s.actions as u64 <= limit.saturating_mul(BATCH_SPARED_LIMITS) && looks_like_batch(&s.calls, steps_per_item)
                };
                if s.actions as u64 > limit && cost_gate.is_none_or(|c| s.cost_usd > c) && !spared(s) {
                    return Some(cold(|| Decision {
                        action: Action::Kill,
                        reason: Reason::StepRunaway,
                        figures: Some((s.actions as f64, limit as f64)),
                        evidence: json!({"actions": s.actions, "limit": limit, "task_type": &*e.task_type, "normal_basis": basis, "normal_p95_actions": normal.map(|q| q.p95), "normal_sessions": normal.map(|q| q.count), "session_cost_usd": round_usd(s.cost_usd), "normal_p95_cost_usd": cost_gate.map(round_usd)}),
                        message: format!(
                            "session took {} actions (polls not counted), above the limit of {limit} for task type {} ({basis} normal)",
                            s.actions, e.task_type
                        ),
                    }));
                }
            }
        }

        // --- spend far beyond what the task type's finished sessions
        // spend: a ceiling learned per type, for the runaway that stays
        // under the policy's ceiling but spends many times its kind of work
        // (each call normal, none repeated, no spike: only the total tells).
        // Its single most expensive event does not count: one big document
        // in a cheap type is not a runaway, however far it goes past.
        // Measured from the type's p95, not its p99: of the 50 or more
        // finished sessions a normal needs, the p99 is the costliest one
        // or two, which is where a runaway the rules missed ends up, and
        // one such session would raise the ceiling to a multiple of itself.
        let spend = s.cost_usd - f64::from(s.max_event_usd);
        if on(Reason::SessionBudget) && t.spend_ratio > 0.0 && spend > t.spend_min_usd {
            if let Some(c) = spend_normal.filter(|c| c.count >= u64::from(t.spend_min_sessions)) {
                let p95 = c.p95 / 1e6;
                let limit = (t.spend_ratio * p95).max(t.spend_min_usd);
                if over(spend, limit) {
                    // The costliest event is kept as an f32: reported as the
                    // decimal it stands for (0.1, not 0.100000001), and the
                    // spend besides it from that.
                    let (cost_usd, costliest) = (s.cost_usd, f32_decimal(s.max_event_usd));
                    let spend = cost_usd - costliest;
                    return Some(cold(|| {
                        let evidence = json!({
                            "ceiling_usd": round_usd(limit),
                            "ceiling_basis": "task_type",
                            "normal_p95_cost_usd": round_usd(p95),
                            "normal_sessions": c.count,
                            "session_cost_usd": round_usd(cost_usd),
                            "costliest_event_usd": round_usd(costliest),
                        });
                        let message = format!(
                            "session spend ${cost_usd:.2} (${spend:.2} besides its costliest event) passed {:.0}x the p95 of what task type {}'s sessions spend (${p95:.2}): ceiling ${limit:.2}",
                            t.spend_ratio, e.task_type
                        );
                        Decision { action: Action::Kill, reason: Reason::SessionBudget, figures: Some((spend, limit)), evidence, message }
                    }));
                }
            }
        }
        None
    }

    /// Decisions about the whole sub-agent tree (one task id).
    fn check_task(&mut self, e: &Event, task_key: Option<u128>, task_type_id: u32, rules: &Resolved) -> Option<Decision> {
        let t = &rules.t;
        let task_id = e.task_id.as_ref()?;
        let task = self.tasks.get_mut(&task_key?)?;
        if rules.enabled(Reason::TaskBudget)
            && t.task_budget_usd > 0.0
            && task.cost_usd > t.task_budget_usd
            && over(task.cost_usd, t.task_budget_usd)
        {
            return Some(cold(|| {
                let (spent, ceiling) = usd_pair(task.cost_usd, t.task_budget_usd);
                Decision {
                    action: Action::Kill,
                    reason: Reason::TaskBudget,
                    figures: Some((task.cost_usd, t.task_budget_usd)),
                    evidence: json!({"task_id": &**task_id, "tree_cost_usd": round_usd(task.cost_usd), "tree_sessions": task.sessions, "ceiling_usd": t.task_budget_usd}),
                    message: format!("task {task_id} spent ${spent} across {} sessions, above its ceiling of ${ceiling}", task.sessions),
                }
            }));
        }
        if e.kind == EventKind::Handoff {
            if let Some(target) = &e.target_agent_id {
                task.ping_pong.record(xxh3_64(e.agent_id.as_bytes()) as u32, xxh3_64(target.as_bytes()) as u32);
                task.ping_pong_sides.record(xxh3_64(e.session_id.as_bytes()) as u32, task.ping_pong.alternations());
                let pp = task.ping_pong;
                let stuck_side = task.ping_pong_sides.one_stuck_side(pp.alternations());
                let mut limit = self.ping_pong_limit(task_type_id, t);
                if !stuck_side {
                    limit.busy = 0;
                }
                if rules.enabled(Reason::PingPong) && pp.stuck(limit.idle, limit.busy) {
                    note_ping_pong_kill(&mut self.normals, &self.policy.global, task_type_id, pp.pair_alternations());
                    return Some(ping_pong_decision(e, target, &pp, limit));
                }
            }
        }
        None
    }

    /// Counts an LLM call in the health of its provider (or, when the call
    /// names none, of its model); returns the outage and whose it is when
    /// the call failed during one.
    fn note_provider_health(&mut self, e: &Event, name: &Arc<str>, key: u64, session: u64) -> Option<(String, Outage)> {
        let g = &self.policy.global;
        if self.providers.len() >= MAX_PROVIDERS && !self.providers.contains_key(&key) {
            return None;
        }
        let h = self.providers.entry(key).or_insert_with(|| ProviderHealth::new(g, name.clone()));
        let outage = h.note(self.now, session, e.status != Status::Ok, g)?;
        Some((name.to_string(), outage))
    }

    /// For a failing call that is not an LLM call: the outage of the
    /// provider the session's latest LLM call used, if one is under way.
    /// Its retries are that outage's victims as much as its LLM calls are.
    fn provider_outage_of(&self, provider: u64) -> Option<(String, Outage)> {
        let h = self.providers.get(&provider)?;
        let outage = h.current(self.now, &self.policy.global)?;
        Some((h.name.to_string(), outage))
    }

    /// Alternating handoffs that make a ping-pong: with most legs idle, the
    /// policy's count, or `PING_PONG_P95_RATIO` times the task type's
    /// normal handoffs per session (p95) when more; whatever the legs
    /// bring, `ping_pong_busy_ratio` times the task type's normal once
    /// trusted (of the first limit before).
    fn ping_pong_limit(&mut self, task_type_id: u32, t: &Thresholds) -> PingPongLimit {
        let normal = self.normals.get_mut(&task_type_id).map(|n| n.handoffs.quantiles()).filter(|q| q.count >= t.step_min_sessions as u64);
        let mut idle = normal
            .map_or(t.ping_pong_handoffs as u64, |q| ceil_limit(PING_PONG_P95_RATIO * q.p95, t.ping_pong_handoffs))
            .min(u32::MAX as u64) as u32;
        let mut basis = if normal.is_some() { "task_type" } else { "static" };
        // A limit that kills a large share of the type's sessions is wrong
        // about the type ([`RuleKills`]).
        let raised = self.normals.get(&task_type_id).and_then(|n| n.ping_pongs.raised(u64::from(idle)));
        if let Some(r) = raised.filter(|r| *r > u64::from(idle)) {
            idle = r.min(u32::MAX as u64) as u32;
            basis = "task_type_kills";
        }
        let busy = if t.ping_pong_busy_ratio <= 0.0 {
            0
        } else {
            let base = match normal {
                // A handoff of a task is one of its sessions' handoffs,
                // and a round trip is two: alternations within one task
                // against twice a session's normal.
                Some(q) => t.ping_pong_busy_ratio * 2.0 * q.p95,
                None => t.ping_pong_busy_ratio * f64::from(idle),
            };
            ceil_limit(base, idle).min(u32::MAX as u64) as u32
        };
        PingPongLimit { idle, busy, normal, basis }
    }

    /// The hierarchy of baselines an event is judged against, most
    /// specific first: its agent on its task type, its task type, the fleet.
    fn baseline_keys(ids: (u32, u32)) -> [BaselineKey; 3] {
        [BaselineKey::agent_task(ids.0, ids.1), BaselineKey::task_type(ids.1), BaselineKey::FLEET]
    }

    /// The most specific mature cost and context baselines for the event,
    /// each when wanted (young ones fall back to the next level), and the
    /// agent's own baseline of its models' list prices when `price` (no
    /// fallback: only the agent's history says what models it runs).
    /// Creates missing levels so the event can be recorded into them
    /// afterwards.
    fn baselines_for(&mut self, ids: (u32, u32), rules: &Resolved, wanted: Wanted) -> Found {
        let Wanted { cost, context, price, price_ratio } = wanted;
        if !cost && !context && price <= 0.0 {
            return Found::default();
        }
        let g = &self.policy.global;
        let min = g.baseline_min_samples as u64;
        let window_ms = g.baseline_window_hours as i64 * 3_600_000;
        let buckets = g.baseline_buckets as usize;
        let max = g.max_baselines as usize;
        let mut found = Found::default();
        for (level, k) in Self::baseline_keys(ids).into_iter().enumerate() {
            let hint = &rules.slots[level];
            match self.baselines.find(k, hint) {
                Some(i) => {
                    let Some(b) = self.baselines.get_mut(i) else { continue };
                    b.last_used = self.tick;
                    if cost && found.cost.is_none() && b.cost.len() >= min {
                        found.cost = Some((k.scope_name(), b.cost.quantiles()));
                    }
                    if context && found.context.is_none() && b.context.len() >= min {
                        found.context = Some((k.scope_name(), b.context.quantiles()));
                    }
                    if price > 0.0 && level == 0 && b.price.len() >= min {
                        let q = b.price.quantiles();
                        let p99 = q.p99;
                        let usual = price <= LIST_PRICE_SLACK * q.p95;
                        // The recent starts are counted only for a call that is pricier.
                        let pricey = price >= price_ratio * RATIO_SLACK * p99;
                        let rolled_out = pricey && b.starts.at_least(price) >= STARTS_MAKING_A_MODEL_NORMAL;
                        found.price = Some(PriceNormal { p99, pricier: pricey && !rolled_out, rolled_out, usual });
                    }
                }
                None => {
                    if self.baselines.len() >= max && self.baselines.evict_lru() {
                        self.stats.baselines_evicted += 1;
                    }
                    let new = || RollingHistogram::new(window_ms, buckets);
                    self.baselines.insert(
                        Baseline {
                            key: k,
                            cost: new(),
                            context: new(),
                            price: new(),
                            starts: RecentStarts::default(),
                            last_used: self.tick,
                        },
                        hint,
                    );
                }
            }
        }
        found
    }

    /// Records an LLM call's cost and context (each when given) into its
    /// three levels, and its model's list price (when given) into the
    /// agent's own.
    fn record_baselines(&mut self, ids: (u32, u32), rules: &Resolved, ts_ms: i64, values: [(Metric, Option<u64>); 3]) {
        for (level, k) in Self::baseline_keys(ids).into_iter().enumerate() {
            let hint = &rules.slots[level];
            if let Some(b) = self.baselines.find(k, hint).and_then(|i| self.baselines.get_mut(i)) {
                for (metric, value) in values {
                    if let Some(v) = value.filter(|_| level == 0 || metric != Metric::Price) {
                        b.hist(metric).record(ts_ms, v);
                    }
                }
            }
        }
    }

    /// Emits a session-scope decision; a kill marks the session killed.
    #[cold]
    #[inline(never)]
    fn decide(&mut self, e: &Event, slot: u32, d: Decision, out: &mut Vec<Signal>) {
        let Decision { action, reason, figures, evidence, message } = d;
        let Some(s) = self.sessions.get_mut(slot) else { return };
        if action == Action::Kill {
            s.killed = true;
        }
        let (cost, actions, task_id, tenant) = (s.cost_usd, s.actions_so_far(), s.task_id.clone(), s.tenant.clone());
        // The table the session's thresholds came from (its first agent's),
        // which is not the acting agent's in a session shared by agents.
        let rules = s.rules.clone();
        let policy_id = self.policy.rule_id(reason, &rules.subject.0, &rules.subject.1);
        out.push(cold(|| {
            self.signal(SignalParts {
                action,
                scope: Scope::Session,
                session_id: Some(e.session_id.clone()),
                agent_id: Some(e.agent_id.clone()),
                task_type: Some(e.task_type.clone()),
                task_id,
                tenant,
                reason,
                trigger: e,
                session_cost_usd: cost,
                session_actions: actions,
                figures,
                evidence,
                policy_id,
                message,
            })
        }));
    }

    // -----------------------------------------------------------------
    // Agent and fleet scope

    fn agent_scope(&mut self, e: &Event, cost: f64, slot: Option<u32>, rules: &Arc<Resolved>, out: &mut Vec<Signal>) {
        // Usually the session's own agent, whose id it holds; a session
        // shared by agents (handoffs) looks the others up by name, and holds
        // each to its own table's budget (the session's thresholds are its
        // first agent's).
        let own = slot.and_then(|i| self.sessions.get(i)).map(|s| s.ids);
        let (agent, other) = match own {
            Some(ids) => {
                let agent = self.acting_ids(e, ids).0;
                (agent, (agent != ids.0).then(|| self.resolve(&e.agent_id, &e.task_type)))
            }
            None => (self.intern_name(&e.agent_id), None),
        };
        let rules = other.as_ref().unwrap_or(rules);
        let budget = rules.t.agent_budget_usd;
        if !rules.enabled(Reason::AgentBudget) || budget <= 0.0 {
            return;
        }
        let window_ms = self.policy.global.agent_window_minutes as i64 * 60_000;
        let (now, ts) = (self.now, e.ts_ms);
        let new_window = || AgentWindow { spend: RollingSum::new(window_ms, 60), paused: InForce::NONE };
        let a = if agent == OVERFLOW_NAME {
            self.agents_overflow.entry(e.agent_id.clone()).or_insert_with(new_window)
        } else {
            self.agents.entry(agent).or_insert_with(new_window)
        };
        let spend = if ts > now { a.spend.add_ahead(now, ts, cost) } else { a.spend.add(now, cost) };
        // A pause holds until its `resume_at`; an agent over its budget at
        // or after it (spend in flight, or a new crossing) is paused again.
        if spend <= budget || !over(spend, budget) || a.paused.covers(ts, a.spend.window_ms()) {
            return;
        }
        let resume_at = a.spend.falls_back_at(ts, |s| !over(s, budget));
        a.paused = InForce { since: ts, until: resume_at };
        let window_min = a.spend.window_ms() / 60_000;
        let (sc, sa) = self.session_figures(slot);
        let policy_id = self.policy.rule_id(Reason::AgentBudget, &rules.subject.0, &rules.subject.1);
        out.push(cold(|| {
            let (spent, of) = usd_pair(spend, budget);
            let resume = format_rfc3339_ms(resume_at);
            self.signal(SignalParts {
                action: Action::Pause,
                scope: Scope::Agent,
                session_id: Some(e.session_id.clone()),
                agent_id: Some(e.agent_id.clone()),
                task_type: None,
                task_id: None,
                tenant: e.tenant.clone(),
                reason: Reason::AgentBudget,
                trigger: e,
                session_cost_usd: sc,
                session_actions: sa,
                figures: Some((spend, budget)),
                evidence: json!({"window_minutes": window_min, "spend_usd": round_usd(spend), "budget_usd": budget, "resume_at": resume}),
                policy_id,
                message: format!(
                    "agent {} spent ${spent} in the last {window_min} minutes, above its budget of ${of}: paused until {resume}",
                    e.agent_id
                ),
            })
        }));
    }

    fn fleet_scope(&mut self, e: &Event, cost: f64, slot: Option<u32>, out: &mut Vec<Signal>) {
        let (now, ts) = (self.now, e.ts_ms);
        let spend = if ts > now { self.fleet.spend.add_ahead(now, ts, cost) } else { self.fleet.spend.add(now, cost) };
        let g = &self.policy.global;
        let (budget, throttle_at, pause_at) = (g.fleet_budget_usd, g.fleet_throttle_at, g.fleet_pause_at);
        // The fleet budget is global: only `[defaults]` may switch it off.
        if budget <= 0.0 || self.policy.defaults.disabled.contains(&Reason::FleetBudget) {
            return;
        }
        // Plain comparisons first: rounding to micro-dollars moves a figure
        // by less than one, so only a spend that near a level needs it.
        let at_level = |limit: f64| spend >= limit - 1e-6 && reaches(spend, limit);
        let (level, action, at) = if at_level(pause_at * budget) {
            (2, Action::Pause, pause_at)
        } else if at_level(throttle_at * budget) {
            (1, Action::Throttle, throttle_at)
        } else {
            return;
        };
        // The level signalled last holds until its `resume_at`; a higher
        // one, or a level reached at or after it, is signalled.
        let in_force = if self.fleet.paused.covers(ts, self.fleet.spend.window_ms()) { self.fleet.level } else { 0 };
        if level <= in_force {
            return;
        }
        // Hysteresis: a level holds until spend falls 10 % below it, so a
        // fleet hovering at it is not released and told again every bucket.
        let release = FLEET_RELEASE * at * budget;
        let resume_at = self.fleet.spend.falls_back_at(ts, |s| micros(s) < micros(release));
        self.fleet.level = level;
        self.fleet.paused = InForce { since: ts, until: resume_at };
        let window_minutes = self.fleet.spend.window_ms() / 60_000;
        let share = spend / budget;
        let (sc, sa) = self.session_figures(slot);
        out.push(cold(|| {
            let resume = format_rfc3339_ms(resume_at);
            self.signal(SignalParts {
                action,
                scope: Scope::Fleet,
                session_id: None,
                agent_id: None,
                task_type: None,
                task_id: None,
                tenant: None,
                reason: Reason::FleetBudget,
                trigger: e,
                session_cost_usd: sc,
                session_actions: sa,
                figures: Some((spend, budget)),
                evidence: json!({"level": at, "window_minutes": window_minutes, "spend_usd": round_usd(spend), "budget_usd": budget, "trigger_session_id": &*e.session_id, "resume_at": resume}),
                policy_id: "global/fleet_budget".to_string(),
                message: format!(
                    "fleet spent ${spend:.2} in the last {} minutes, {:.0}% of its ${:.2} budget: {} until {resume}",
                    window_minutes,
                    share * 100.0,
                    budget,
                    action.as_str()
                ),
            })
        }));
    }

    fn session_figures(&self, slot: Option<u32>) -> (f64, u64) {
        slot.and_then(|i| self.sessions.get(i)).map(|s| (s.cost_usd, s.actions_so_far())).unwrap_or((0.0, 0))
    }

    // -----------------------------------------------------------------
    // Eviction

    /// Notes an event of `shard` at `ts_ms`: the time shared state sees it
    /// at, and whether the eviction mark moved.
    ///
    /// An event more than `clock_jump_minutes` after its shard's time is
    /// seen at the shard's time unless `CLOCK_JUMP_CONFIRM_EVENTS` such
    /// events in a row confirm the jump: one host with a wrong clock (or a
    /// producer's wrong unit that still decodes) must not age every window, baseline and
    /// live session at once (a window that jumped years ahead would drop
    /// every later event as too old). Its own session still sees its time.
    fn note_event_time(&mut self, shard: u32, ts_ms: i64) -> (i64, bool) {
        let tick = self.tick;
        let i = match self.shard_marks.iter().position(|m| m.shard == shard) {
            Some(i) => i,
            None => {
                self.shard_marks.push(ShardMark::new(shard, tick));
                self.shard_marks.len() - 1
            }
        };
        let jump = self.policy.global.clock_jump_minutes as i64 * 60_000;
        // A shard's first event (a partition just assigned) is judged by the
        // time of the others, when there are others.
        let reference = if self.shard_marks[i].mark == i64::MIN {
            self.shard_marks.iter().filter(|o| o.shard != shard).map(|o| o.mark).max().filter(|&r| r != i64::MIN)
        } else {
            None
        };
        let m = &mut self.shard_marks[i];
        m.last_tick = tick;
        if jump > 0 && m.provisional {
            if m.mark.saturating_sub(ts_ms) > jump {
                m.behind += 1;
                if m.behind >= CLOCK_JUMP_CONFIRM_EVENTS {
                    // The stream never was at the first event's time.
                    *m = ShardMark { mark: ts_ms, ..ShardMark::new(shard, tick) };
                    self.rebase_time(ts_ms);
                    return (ts_ms, false);
                }
            } else if ts_ms.saturating_sub(m.mark) <= jump {
                m.behind = 0;
                m.support += 1;
                m.provisional = m.support < CLOCK_JUMP_CONFIRM_EVENTS;
            }
        }
        if ts_ms <= m.mark {
            m.ahead = 0;
            return (ts_ms, false);
        }
        let held_at = if m.mark != i64::MIN { Some(m.mark) } else { reference };
        if let Some(held_at) = held_at.filter(|&h| jump > 0 && ts_ms.saturating_sub(h) > jump) {
            m.ahead += 1;
            if m.ahead < CLOCK_JUMP_CONFIRM_EVENTS {
                self.stats.events_clock_ahead += 1;
                return (held_at, false);
            }
        }
        if m.mark == i64::MIN && reference.is_none() && self.eviction_mark == i64::MIN {
            m.provisional = jump > 0;
        }
        m.ahead = 0;
        m.mark = ts_ms;
        let mark = if self.shard_marks.len() == 1 {
            ts_ms
        } else {
            let active_since = tick.saturating_sub(SHARD_IDLE_EVENTS);
            self.shard_marks.iter().filter(|m| m.last_tick >= active_since).map(|m| m.mark).min().unwrap_or(ts_ms)
        };
        if mark > self.eviction_mark {
            self.eviction_mark = mark;
            return (ts_ms, true);
        }
        (ts_ms, false)
    }

    /// Takes shared time back to `ts_ms` from a time only the first event,
    /// with a clock far ahead, had claimed: every window that event
    /// moved into the future is emptied (what it held before was rotated
    /// out by that move), so later events count again.
    #[cold]
    fn rebase_time(&mut self, ts_ms: i64) {
        self.stats.events_clock_ahead += 1; // the first event, counted at its own time then
        self.now = ts_ms;
        self.watermark = ts_ms;
        self.eviction_mark = self.eviction_mark.min(ts_ms);
        self.fleet.spend.forget_if_ahead_of(ts_ms);
        for a in self.agents.values_mut().chain(self.agents_overflow.values_mut()) {
            a.spend.forget_if_ahead_of(ts_ms);
        }
        for p in self.providers.values_mut() {
            p.calls.forget_if_ahead_of(ts_ms);
            p.failures.forget_if_ahead_of(ts_ms);
        }
        for b in self.baselines.slots.iter_mut().flatten() {
            b.cost.forget_if_ahead_of(ts_ms);
            b.context.forget_if_ahead_of(ts_ms);
        }
        for n in self.normals.values_mut().chain(std::iter::once(&mut self.fleet_normals)) {
            n.forget_if_ahead_of(ts_ms);
        }
    }

    fn evict_idle(&mut self) {
        let idle = self.idle_ms();
        while let Some(Reverse((deadline, _))) = self.expiry.peek() {
            if *deadline > self.eviction_mark {
                break;
            }
            let Some(Reverse((_, id))) = self.expiry.pop() else { break };
            let last = match self.sessions.by_id(&id) {
                Some(s) => s.last_ts,
                None => continue,
            };
            if last.saturating_add(idle) > self.eviction_mark {
                self.expiry.push(Reverse((last.saturating_add(idle), id)));
                continue;
            }
            self.finish_session(&id);
            self.stats.sessions_evicted_idle += 1;
        }
        // Trees idle past the same horizon are done too.
        if self.tick % 4096 == 0 {
            let horizon = self.eviction_mark.saturating_sub(idle);
            self.tasks.retain(|_, t| t.last_ts > horizon);
        }
    }

    /// Evicts the least recently active session (cap reached).
    #[cold]
    #[inline(never)]
    fn evict_oldest(&mut self) {
        let idle = self.idle_ms();
        while let Some(Reverse((_, id))) = self.expiry.pop() {
            let last = match self.sessions.by_id(&id) {
                Some(s) => s.last_ts,
                None => continue,
            };
            // Stale heap entry: the session moved on since; requeue unless it is the oldest.
            if let Some(Reverse((next, _))) = self.expiry.peek() {
                if last.saturating_add(idle) > *next {
                    self.expiry.push(Reverse((last.saturating_add(idle), id)));
                    continue;
                }
            }
            self.finish_session(&id);
            self.stats.sessions_evicted_cap += 1;
            return;
        }
    }

    /// A session ended: learn its length and fan-out, then forget it.
    #[inline(never)]
    fn finish_session(&mut self, id: &Arc<str>) {
        let key = id_hash(id);
        let Some(s) = self.sessions.remove_hashed(key) else { return };
        let deeper = self.trees.forget(key);
        if s.killed {
            let _ = self.killed_evicted.seen(xxh3_64(id.as_bytes()));
            return;
        }
        if s.cost_usd > 0.0 {
            self.paused.hold(xxh3_64(id.as_bytes()), s.cost_usd, s.actions_so_far(), s.shard, s.rules.t.session_budget_usd);
        }
        if let Some(n) = self.type_normals(s.ids.1) {
            n.record(&s, deeper);
        }
        self.fleet_normals.record(&s, deeper);
    }

    /// A task type's normals, opened if the table has room for one more
    /// (`max_baselines`).
    fn type_normals(&mut self, task_type: u32) -> Option<&mut Normals> {
        open_normals(&mut self.normals, &self.policy.global, task_type)
    }

    /// Approximate bytes of detector state, for the memory harness.
    pub fn approx_state_bytes(&self) -> usize {
        let sessions: usize = self
            .sessions
            .iter()
            // Index entry, the session, its rings, and its id's text (held by the expiry queue).
            .map(|s| std::mem::size_of::<(u64, u32)>() + std::mem::size_of::<Session>() + s.heap_bytes() + 32)
            .sum();
        let baselines = self.baselines.heap_bytes();
        sessions + baselines + self.expiry.len() * 24 + self.dedupe.heap_bytes() + self.orphans.len() * 16 + self.trees.len() * 32
    }

    fn signal(&self, p: SignalParts<'_>) -> Signal {
        let subject = p.session_id.as_deref().or(p.agent_id.as_deref()).unwrap_or("fleet");
        let id = signal_id(&[p.action.as_str(), p.scope.as_str(), subject, p.reason.as_str(), &p.trigger.event_id, &p.policy_id]);
        let (observed, baseline, ratio) = match p.figures {
            Some((o, b)) => {
                let ratio = if b > 0.0 { Some(round_ratio(o / b)) } else { None };
                (Some(round_usd(o)), Some(round_usd(b)), ratio)
            }
            None => (None, None, None),
        };
        Signal {
            v: 1,
            signal_id: id,
            action: p.action,
            scope: p.scope,
            session_id: p.session_id,
            agent_id: p.agent_id,
            task_type: p.task_type,
            task_id: p.task_id,
            tenant: p.tenant,
            reason: p.reason,
            trigger_event_id: p.trigger.event_id.clone(),
            event_ts: format_rfc3339_ms(p.trigger.ts_ms),
            emitted_at: None,
            session_cost_usd: round_usd(p.session_cost_usd),
            session_actions: p.session_actions,
            observed,
            baseline,
            ratio,
            evidence: p.evidence,
            policy_id: p.policy_id,
            policy_version: self.policy.version.clone(),
            message: p.message,
            event_ts_ms: p.trigger.ts_ms,
        }
    }
}

struct SignalParts<'a> {
    action: Action,
    scope: Scope,
    session_id: Option<Arc<str>>,
    agent_id: Option<Arc<str>>,
    task_type: Option<Arc<str>>,
    task_id: Option<Arc<str>>,
    tenant: Option<Arc<str>>,
    reason: Reason,
    trigger: &'a Event,
    session_cost_usd: f64,
    session_actions: u64,
    figures: Option<(f64, f64)>,
    evidence: serde_json::Value,
    policy_id: String,
    message: String,
}

/// An event counted in its session: where the session sits and the
/// thresholds in force for it.
struct Entered {
    slot: u32,
    rules: Arc<Resolved>,
    /// The event's task id, hashed ([`task_key`]).
    task_key: Option<u128>,
    task_killed: Option<Reason>,
    /// Already decided while entering (a parent killed at its first event
    /// for children that came before it): nothing more to check.
    decided: bool,
}

struct Decision {
    /// Kill, or alert only (a single cost spike).
    action: Action,
    reason: Reason,
    figures: Option<(f64, f64)>,
    evidence: serde_json::Value,
    message: String,
}

/// The spin limit of `loop_repeat` for a session of a task type with
/// normals `n`, and what it rests on.
struct SpinLimit {
    limit: u32,
    basis: &'static str,
    p95: Option<f64>,
    kills: RuleKills,
}

impl SpinLimit {
    fn policy(t: &Thresholds) -> SpinLimit {
        SpinLimit { limit: t.repeat_kill, basis: "policy", p95: None, kills: RuleKills::default() }
    }
}

/// `repeat_kill`, unless the task type shows it repeats more by design.
/// Its finished sessions can only have spun `repeat_kill` times or more
/// under a limit raised before, so their normal is used only then: 2× the
/// p95 of their most spins, once `step_min_sessions` have finished (2× the
/// p99 of the fewer before). A limit that kills a quarter of the sessions
/// the type began (at least 4) is doubted and rises to twice the most
/// spins killed, at most 4× (a sampler asking one prompt 5–12 times is
/// killed at 5 every time, and killed, never becomes the normal). Never
/// above `repeat_poll_kill`: at worst a type's spins are judged like its
/// polls.
#[cold]
#[inline(never)]
fn spin_limit(n: Option<&mut Normals>, t: &Thresholds) -> SpinLimit {
    let mut out = SpinLimit::policy(t);
    let Some(n) = n else { return out };
    out.kills = n.repeats;
    let cap = t.repeat_poll_kill.max(t.repeat_kill);
    let q = n.spins.quantiles();
    let rk = f64::from(t.repeat_kill);
    // The few sessions a young type has finished can likewise only raise
    // it (2× their p99): a doubted limit must not fall back while the
    // sessions it let finish are still too few to form the normal.
    let learned = if q.count >= u64::from(t.step_min_sessions) {
        (q.p95 >= rk).then_some((q.p95, "task_type"))
    } else {
        (q.count > 0 && q.p99 >= rk).then_some((q.p99, "task_type_young"))
    };
    if let Some((spins, basis)) = learned {
        let learned = ceil_limit(2.0 * spins, t.repeat_kill).min(u64::from(cap)) as u32;
        if learned > out.limit {
            out = SpinLimit { limit: learned, basis, p95: Some(q.p95), ..out };
        }
    }
    if let Some(raised) = n.repeats.raised(u64::from(t.repeat_kill)) {
        let raised = raised.min(u64::from(cap)) as u32;
        if raised > out.limit {
            out = SpinLimit { limit: raised, basis: "task_type_kills", ..out };
        }
    }
    out
}

/// Whether `polls` polls at the session's cost level per LLM call
/// (`level`, USD) have cost less than the median of what its task type's
/// finished sessions spend, once `step_min_sessions` have finished.
#[cold]
#[inline(never)]
fn cheap_wait(n: Option<&mut Normals>, t: &Thresholds, polls: u32, level: f32) -> bool {
    let Some(n) = n else { return false };
    let q = n.cost_micros.quantiles();
    q.count >= u64::from(t.step_min_sessions) && f64::from(polls) * f64::from(level) * 1e6 < q.p50
}

/// When a run round the same tools ([`session::ToolRun`]) is a loop.
struct ToolRunLimit {
    limit: u32,
    p95: f64,
    sessions: u64,
}

/// `step_ratio` × the p95 of the longest tool runs of the task type's
/// finished sessions (or `step_p99_ratio` × their p99, when more: a type
/// whose batches are now and then long), never below
/// `tool_run_min_calls`, once `step_min_sessions` have finished; nothing
/// before: a young type's batches are not known yet, and a batch is such
/// a run.
#[cold]
#[inline(never)]
fn tool_run_limit(n: Option<&mut Normals>, t: &Thresholds) -> Option<ToolRunLimit> {
    let q = n?.tool_runs.quantiles();
    if q.count < u64::from(t.step_min_sessions) || t.step_ratio <= 0.0 {
        return None;
    }
    let limit = ceil_limit((t.step_ratio * q.p95).max(t.step_p99_ratio * q.p99), t.tool_run_min_calls).min(u64::from(u32::MAX)) as u32;
    Some(ToolRunLimit { limit, p95: q.p95, sessions: q.count })
}

/// How long a task type's sessions wait by design: the longest run of
/// polls (`CallRing::poll_run`: repeats after a wait, the checks and the
/// sleeps between them, with nothing new since) of its finished sessions
/// that polled.
struct PollNormal {
    /// Polls in a run that kill: 2x the p95 of those sessions' longest
    /// runs (of a young type, their p99), at most 4x `repeat_poll_kill`.
    limit: u32,
    p95: f64,
    basis: &'static str,
}

/// The learned run of polls, when it allows more than the policy's check
/// (`policy_run`: the polls that check saw in the repeat window): a coding
/// agent that waits 20 minutes for CI, sleeping 30 s between checks, makes
/// 40 rounds where `repeat_poll_kill` and the 48-call window allow 24.
/// Killed sessions never finish, so the normal forms on the waits the
/// policy let through; twice their p95 is room for the longer waits it
/// cut short. A slow loop of one call in such a type is judged the same
/// way: by its shape it is a poll.
#[cold]
#[inline(never)]
fn waits_by_design(n: Option<&mut Normals>, t: &Thresholds, run: u16, policy_run: u32) -> Option<PollNormal> {
    let q = n?.polls.quantiles();
    let (polls, basis) = if q.count >= u64::from(t.step_min_sessions) {
        (q.p95, "task_type_polls")
    } else if q.count > 0 {
        (q.p99, "task_type_polls_young")
    } else {
        return None;
    };
    let limit = ceil_limit(2.0 * polls, 0).min(4 * u64::from(t.repeat_poll_kill)) as u32;
    (limit > policy_run.max(1) && run > 0).then_some(PollNormal { limit, p95: q.p95, basis })
}

/// When alternating handoffs make a ping-pong: `idle` of them with most
/// legs bringing nothing new, `busy` whatever the legs bring (0 = never).
#[derive(Debug, Clone, Copy)]
struct PingPongLimit {
    idle: u32,
    busy: u32,
    normal: Option<Quantiles>,
    /// What `idle` rests on: static, task_type, or task_type_kills
    /// (`Normals::ping_pongs`).
    basis: &'static str,
}

/// The comparison that made an LLM call a cost spike, for its signal's
/// `observed`, `baseline` and `ratio` (contract §2: the figure compared).
#[derive(Clone, Copy)]
enum SpikeBasis {
    /// Cost per call (USD) against its normal: the baseline's median or
    /// the session's own level, whichever is higher.
    CostPerCall { cost: f64, normal: f64 },
    /// Cost per token (USD) against the session's own level: a pricier
    /// model on calls no bigger than before.
    CostPerToken { per_token: f64, level: f64 },
    /// The model's list price (USD per input plus output token) against
    /// the p99 of the list prices its agent's calls run at.
    ListPrice { price: f64, agent_p99: f64 },
}

impl SpikeBasis {
    fn name(self) -> &'static str {
        match self {
            SpikeBasis::CostPerCall { .. } => "cost_per_call",
            SpikeBasis::CostPerToken { .. } => "cost_per_token",
            SpikeBasis::ListPrice { .. } => "model_list_price",
        }
    }

    /// (observed, baseline): USD per call, or USD per million tokens for
    /// the per-token comparisons (per-token dollars are too small to read).
    fn figures(self) -> (f64, f64) {
        match self {
            SpikeBasis::CostPerCall { cost, normal } => (cost, normal),
            SpikeBasis::CostPerToken { per_token, level } => (round_usd(per_token * 1e6), round_usd(level * 1e6)),
            SpikeBasis::ListPrice { price, agent_p99 } => (round_usd(price * 1e6), round_usd(agent_p99 * 1e6)),
        }
    }

    /// What the call was billed, where the figures do not say it: a
    /// cost per call compared at the model's base rates (past a
    /// long-context tier), or a comparison of prices.
    fn call_cost(self, billed: f64) -> String {
        match self {
            SpikeBasis::CostPerCall { cost, .. } if billed > cost => {
                format!(" (at the model's base rates; billed ${billed:.4} with its long-context tier)")
            }
            SpikeBasis::CostPerCall { .. } => String::new(),
            _ => format!(" (cost per call ${billed:.4})"),
        }
    }

    fn describe(self, model: Option<&str>) -> String {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::INFINITY };
        match self {
            SpikeBasis::CostPerCall { cost, normal } => format!("cost per call ${cost:.4} at {:.1}x its normal", ratio(cost, normal)),
            SpikeBasis::CostPerToken { per_token, level } => format!(
                "{} at ${:.2} per million tokens, {:.1}x the session's ${:.2}",
                model.unwrap_or("the model"),
                per_token * 1e6,
                ratio(per_token, level),
                level * 1e6
            ),
            SpikeBasis::ListPrice { price, agent_p99 } => format!(
                "{} lists at {:.1}x the prices its agent's calls run at (p99)",
                model.unwrap_or("the model"),
                ratio(price, agent_p99)
            ),
        }
    }
}

fn ping_pong_decision(e: &Event, target: &Arc<str>, pp: &session::PingPong, limit: PingPongLimit) -> Decision {
    let PingPongLimit { idle: limit, busy: busy_limit, normal, basis } = limit;
    let (limit, busy_limit) = (pp.scaled(limit), pp.scaled(busy_limit));
    let n = pp.alternations();
    Decision {
        action: Action::Kill,
        reason: Reason::PingPong,
        figures: Some((n as f64, limit as f64)),
        evidence: json!({
            "agents": [&*e.agent_id, &**target],
            "agents_in_run": pp.agents_in_run(),
            "alternating_handoffs": n,
            "legs_without_new_calls": pp.idle_legs(),
            "legs_with_new_calls": pp.busy_legs,
            "limit": limit,
            "limit_with_new_calls": (u32::from(pp.idle_legs()) < 2 * u32::from(pp.busy_legs)).then_some(busy_limit),
            "normal_basis": basis,
            "normal_p95_handoffs": normal.map(|q| q.p95),
            "task_id": e.task_id.as_deref(),
        }),
        message: match pp.agents_in_run() {
            2 => format!(
                "work was handed back and forth between {} and {target} {n} times in a row, {} of the legs with nothing new",
                e.agent_id,
                pp.idle_legs()
            ),
            k => format!(
                "work was passed round {k} agents {n} times in a row (latest {} to {target}), {} of the legs with nothing new",
                e.agent_id,
                pp.idle_legs()
            ),
        },
    }
}

/// How many times its step limit a batch may run before it is judged like
/// any other session.
const BATCH_SPARED_LIMITS: u64 = 10;

/// A batch: most recent calls use one tool (or, with `steps_per_item` 2,
/// two tools between them), nearly all on inputs not seen before in the
/// window (a batch edit across files, extraction over many documents).
fn looks_like_batch(calls: &session::CallRing, steps_per_item: usize) -> bool {
    let mut tools: Vec<(u32, u32, u32)> = Vec::new(); // (tool, calls, novel calls)
    let mut total = 0u32;
    for c in calls.iter_newest_first() {
        total += 1;
        match tools.iter_mut().find(|t| t.0 == c.tool_id()) {
            Some(t) => {
                t.1 += 1;
                t.2 += u32::from(c.novel());
            }
            None => tools.push((c.tool_id(), 1, u32::from(c.novel()))),
        }
    }
    tools.sort_unstable_by_key(|t| std::cmp::Reverse(t.1));
    let (n, novel) = tools.iter().take(steps_per_item.max(1)).fold((0, 0), |(n, novel), t| (n + t.1, novel + t.2));
    // In tenths of the window: 6 for one tool, 8 for two.
    let share = if steps_per_item >= 2 { 8 } else { 6 };
    total >= 8 && n * 10 >= total * share && novel * 10 >= n * 9
}

/// Moves a session level toward a new value: the mean of the first calls,
/// then an exponentially weighted average.
fn follow(level: f64, x: f64, first: bool, calls: u32) -> f64 {
    if level == 0.0 {
        x
    } else if first {
        level + (x - level) / calls.max(1) as f64
    } else {
        level + 0.25 * (x - level)
    }
}

/// A count limit from a multiple of a normal, never below `floor`.
/// Actions past which a session of a task type is a step runaway:
/// `step_ratio` × the type's p95, or less when its normal lengths end
/// abruptly. The tail is extrapolated at its own slope: p99 × (p99/p95)^3,
/// at least `step_p99_ratio` × p99. A type whose lengths are bounded
/// (p99 close to p95) gets a limit near its p99; a long-tailed one (p99
/// well above p95) keeps `step_ratio` × p95, which is then the lower.
/// The tail is judged only once the type has `TAIL_MIN_SESSIONS` finished
/// sessions: a p99 of fewer is little more than their maximum.
fn step_limit(q: &Quantiles, t: &Thresholds) -> u64 {
    let by_p95 = t.step_ratio * q.p95;
    if q.count < TAIL_MIN_SESSIONS || q.p95 <= 0.0 {
        return ceil_limit(by_p95, t.step_min_actions);
    }
    let slope = (q.p99 / q.p95).max(1.0);
    let by_tail = q.p99 * slope.powi(3).max(t.step_p99_ratio);
    ceil_limit(by_p95.min(by_tail), t.step_min_actions)
}

const TAIL_MIN_SESSIONS: u64 = 200;

fn ceil_limit(x: f64, floor: u32) -> u64 {
    (x.ceil() as u64).max(floor as u64)
}

/// Share of its ceiling from which an idle session is held among the costly
/// (see `PausedSessions`).
const PAUSED_MIN_SHARE: f64 = 0.1;
/// Costly paused sessions held; past it the oldest go.
const PAUSED_CAP: usize = 1 << 16;
/// Cheap paused sessions held; past it the oldest go.
const PAUSED_CHEAP_CAP: usize = 1 << 16;

/// Spend of sessions evicted idle, by id hash: a session that resumes after
/// a pause longer than the idle TTL continues where it was instead of
/// starting again from zero. Every session is held, however little it
/// spent: one spending a little in each stretch between long pauses would
/// otherwise pass its ceiling without ever reaching it. Most never resume,
/// so the cheap are held apart, and a flood of them (every finished session
/// goes through here) cannot push out one close to its ceiling.
#[derive(Debug)]
struct PausedSessions {
    /// At least `PAUSED_MIN_SHARE` of their ceiling spent.
    costly: PausedTier,
    cheap: PausedTier,
}

impl Default for PausedSessions {
    fn default() -> Self {
        Self { costly: PausedTier::new(PAUSED_CAP), cheap: PausedTier::new(PAUSED_CHEAP_CAP) }
    }
}

impl PausedSessions {
    fn hold(&mut self, h: u64, cost: f64, actions: u64, shard: u32, budget: f64) {
        let tier = if budget > 0.0 && cost >= PAUSED_MIN_SHARE * budget { &mut self.costly } else { &mut self.cheap };
        tier.hold(h, cost, actions, shard);
    }

    /// The spend and actions a session had when it was held.
    fn resume(&mut self, h: u64) -> Option<(f64, u32)> {
        self.costly.resume(h).or_else(|| self.cheap.resume(h))
    }

    fn forget_shard(&mut self, shard: u32) {
        self.costly.forget_shard(shard);
        self.cheap.forget_shard(shard);
    }
}

/// Paused sessions by id hash, oldest first out past `cap`.
#[derive(Debug)]
struct PausedTier {
    /// Cost, shard, actions, and the sequence number of the entry.
    held: FxHashMap<u64, (f64, u32, u32, u64)>,
    /// (id hash, sequence number), oldest first; an entry whose session
    /// resumed (or was held again since) is skipped.
    order: std::collections::VecDeque<(u64, u64)>,
    seq: u64,
    cap: usize,
}

impl PausedTier {
    fn new(cap: usize) -> Self {
        Self { held: FxHashMap::default(), order: std::collections::VecDeque::new(), seq: 0, cap }
    }

    fn hold(&mut self, h: u64, cost: f64, actions: u64, shard: u32) {
        self.seq += 1;
        self.held.insert(h, (cost, shard, actions.min(u64::from(u32::MAX)) as u32, self.seq));
        self.order.push_back((h, self.seq));
        while self.held.len() > self.cap || self.order.len() > 2 * self.cap {
            let Some((old, seq)) = self.order.pop_front() else { break };
            if self.held.get(&old).is_some_and(|v| v.3 == seq) {
                self.held.remove(&old);
            }
        }
    }

    fn resume(&mut self, h: u64) -> Option<(f64, u32)> {
        self.held.remove(&h).map(|(cost, _, actions, _)| (cost, actions))
    }

    fn forget_shard(&mut self, shard: u32) {
        self.held.retain(|_, v| v.1 != shard);
    }
}

/// Multiple of a task type's p95 handoffs per session still within its
/// normal. At the p95 itself, the type's longest normal sessions were
/// killed at their last rounds, and since a killed session never joins
/// the normal, the p95 stayed where the limit cut it.
const PING_PONG_P95_RATIO: f64 = 1.5;

/// Multiple of a task type's p99 children that is still within its normal.
const FANOUT_P99_RATIO: f64 = 1.5;

/// What a fan-out limit counts: a parent's own children, or every
/// session below it.
#[derive(Debug, Clone, Copy)]
enum Spread {
    Children,
    Descendants,
}

struct FanoutLimit {
    limit: u64,
    basis: &'static str,
    normal: Option<Quantiles>,
    kills: RuleKills,
}

/// What a "this many times" threshold is multiplied by: a cost exactly at
/// it (a model of exactly 3x the price) meets it despite rounding.
const RATIO_SLACK: f64 = 1.0 - 1e-6;

/// Longest cycle that can be a poll loop.
const POLL_CYCLE_MAX_PERIOD: usize = 3;

/// Calls the fleet makes with identical arguments in many sessions:
/// observations (`screenshot()`, `scroll(down)`, `git_status()`, `sleep(5)`)
/// whose result changes with the world, not with the arguments. An agent
/// reading a long page scrolls and looks 20 times with the same two calls;
/// a stuck agent repeats a call of its own (`click(#submit)`,
/// `read_file(src/x.rs)`). A common call repeated is weak evidence, like a
/// poll: it kills at `repeat_poll_kill`, not at `repeat_kill`; a free look
/// in a loop that pays for its decisions does not count at all, and a
/// cycle of observations only is no `loop_cycle`.
///
/// Counts a call once per session window it is new in, in a count-min
/// sketch: two rows of byte counters, a call's count the smaller of its
/// two, raised only where it is the smaller (conservative update). Every
/// `COMMON_CALLS_DECAY` counted calls every counter is halved, so calls the
/// fleet stopped making fade out. An exact table of every signature was
/// the detector's largest random-access structure (a megabyte, one cache
/// miss per new call); the sketch's 128 KiB stay in a core's cache. A
/// sketch can only overcount: a rare call taken for common is weaker
/// evidence (it kills at `repeat_poll_kill`), and needs both of its
/// counters raised to `COMMON_CALL_SESSIONS` by other calls.
#[derive(Debug)]
struct CommonCalls {
    /// Row 0 then row 1, `COMMON_CALLS_WIDTH` counters each.
    rows: Box<[u8]>,
    counted: u32,
}

/// Sessions that must have made a call identically before it is common.
const COMMON_CALL_SESSIONS: u32 = 20;
const COMMON_CALLS_WIDTH: usize = 1 << 16;
/// Counted calls between two halvings: as many as the sketch has counters
/// per row, so a row's counters hold about one stray count each.
const COMMON_CALLS_DECAY: u32 = 1 << 16;

impl Default for CommonCalls {
    fn default() -> CommonCalls {
        CommonCalls { rows: vec![0; 2 * COMMON_CALLS_WIDTH].into_boxed_slice(), counted: 0 }
    }
}

impl CommonCalls {
    /// The call's counter in each row: two independent multiplicative
    /// hashes of the (already hashed) signature, each taking its top 16 bits.
    fn slots(sig: u32) -> [usize; 2] {
        let x = u64::from(sig);
        let a = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48;
        let b = (x ^ 0x5851_F42D_4C95_7F2D).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) >> 48;
        [a as usize, COMMON_CALLS_WIDTH + b as usize]
    }

    fn count(&self, slots: [usize; 2]) -> u8 {
        slots.iter().map(|i| self.rows.get(*i).copied().unwrap_or(0)).min().unwrap_or(0)
    }

    /// Counts a session the call is new in; whether it is common now.
    fn note_new(&mut self, sig: u32) -> bool {
        if self.counted >= COMMON_CALLS_DECAY {
            self.counted = 0;
            for n in self.rows.iter_mut() {
                *n /= 2;
            }
        }
        self.counted += 1;
        let slots = Self::slots(sig);
        let n = self.count(slots).saturating_add(1);
        for i in slots {
            if let Some(c) = self.rows.get_mut(i) {
                *c = (*c).max(n);
            }
        }
        u32::from(n) >= COMMON_CALL_SESSIONS
    }

    fn is_common(&self, sig: u32) -> bool {
        u32::from(self.count(Self::slots(sig))) >= COMMON_CALL_SESSIONS
    }
}

/// A cycle found by [`find_cycle`].
struct Cycle {
    /// One turn of it, oldest call first.
    cycle: Vec<Call>,
    /// Turns it was seen to make.
    repeats: usize,
    /// Calls among them made after a wait (polls).
    polled: usize,
    /// Where the turns needed came from: `policy` (`cycle_repeats`),
    /// `policy_polls` (`repeat_poll_kill`, a poll loop) or `window` (a poll
    /// loop whose period fits fewer turns in the repeat window).
    basis: &'static str,
}

/// A cycle: the newest `period × repeats.0` calls are one sequence of
/// `period` calls, with at least two distinct calls, repeated. When some
/// of those calls came after a wait and the sequence is short, it is a
/// poll loop (check CI, sleep, check again) and needs `repeats.1` turns, or
/// as many as a ring of `window` calls holds.
fn find_cycle(calls: &session::CallRing, max_period: usize, repeats: (usize, usize), window: usize) -> Option<Cycle> {
    // Policy validation bounds periods and turns to 16 and the ring to 256
    // calls; copied to the stack because this runs on every tool call.
    // Cheap pre-check: a cycle needs the newest call to recur `period` back.
    let newest = calls.nth_newest(0)?;
    if !(2..=max_period).any(|i| calls.nth_newest(i).is_some_and(|c| c.sig == newest.sig)) {
        return None;
    }
    let mut recent = [Call::new(0, 0); 256];
    let mut n = 0;
    for c in calls.iter_newest_first().take(256) {
        recent[n] = c;
        n += 1;
    }
    let recent = &recent[..n];
    let periodic = |period: usize, need: usize| (period..need).all(|i| recent[i].sig == recent[i - period].sig);
    for period in 2..=max_period {
        let need = period * repeats.0;
        if recent.len() < need {
            break;
        }
        if recent[period].sig != recent[0].sig || !periodic(period, need) {
            continue;
        }
        let first = recent[0].sig;
        if recent[..period].iter().all(|c| c.sig == first) {
            continue; // one call repeated: that is loop_repeat's
        }
        // A sequence of observations only (scroll, screenshot, scroll…)
        // shows nothing by its shape: the page moves under the same calls.
        // Their repeats still count as polls (loop_repeat), and a session
        // doing nothing else is a step runaway in the end.
        if recent[..period].iter().all(|c| c.common()) {
            return None;
        }
        let mut turns = repeats.0;
        let mut basis = "policy";
        let polled = |need: usize| recent[..need].iter().filter(|c| c.polled()).count();
        // Waiting is a check and a wait (and perhaps a short decision):
        // a longer sequence with a slow step in it (a test run stamped at
        // its end looks like a wait) is work going round, not a poll. A
        // longer one made wholly of calls after waits is waiting too: a
        // staged rollout checks its status a few times, then pauses and
        // resumes it, minutes apart.
        if (period <= POLL_CYCLE_MAX_PERIOD && polled(need) > 0) || polled(need) == need {
            turns = repeats.1.max(repeats.0).min(window / period);
            basis = if turns < repeats.1 { "window" } else { "policy_polls" };
            if turns < repeats.0 || recent.len() < period * turns || !periodic(period, period * turns) {
                // Not yet enough turns; a longer period here would only be
                // this same poll loop taken two turns at a time.
                return None;
            }
            // A wait loop that never paid for a call (see loop_repeat's
            // free polls) spends nothing.
            if !recent[..period * turns].iter().any(|c| c.spent()) {
                return None;
            }
        }
        // Shorter periods were tried first; report the sequence oldest-first.
        let mut cycle: Vec<Call> = recent[..period].to_vec();
        cycle.reverse();
        return Some(Cycle { cycle, repeats: turns, polled: polled(period * turns), basis });
    }
    None
}

impl Detector {
    /// Feeds a processed LLM call into its baselines unless its session
    /// flagged it as an outlier, or the session is killed: baselines stay
    /// robust to what they flag.
    fn learn(&mut self, e: &Event, cost: f64, list_price: f64, slot: u32, rules: &Resolved) {
        if e.kind != EventKind::Llm {
            return;
        }
        let (spiked, context_outlier, ids, first_call) = match self.sessions.get(slot) {
            Some(s) if !s.killed => {
                (s.cost.spike_bits & 1 == 1, s.marks.get(Marks::CONTEXT_OUTLIER), (s.cost.agent, s.ids.1), s.cost.llm_calls == 1)
            }
            _ => return,
        };
        // The model a session starts on is noted spike or not: how many
        // sessions start on it is what makes it the agent's own.
        if first_call && cost > 0.0 && list_price > 0.0 {
            let hint = &rules.slots[0];
            if let Some(b) = self.baselines.find(BaselineKey::agent_task(ids.0, ids.1), hint).and_then(|i| self.baselines.get_mut(i)) {
                b.starts.note(to_nano(list_price));
            }
        }
        let cost = (cost > 0.0 && !spiked).then(|| to_nano(cost));
        let context = Some(context_tokens(e)).filter(|c| *c > 0 && !context_outlier);
        let price = cost.and((list_price > 0.0).then(|| to_nano(list_price)));
        if cost.is_some() || context.is_some() {
            self.record_baselines(ids, rules, self.now, [(Metric::Cost, cost), (Metric::Context, context), (Metric::Price, price)]);
        }
    }
}

/// The shortest decimal that reads back as `v`, as an f64: an f32 kept to
/// save state widened without its binary noise (0.1f32 is 0.100000001 as
/// an f64). For decisions only, never per event.
#[cold]
fn f32_decimal(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_f32_cost_reads_back_as_its_decimal() {
        assert_eq!(f32_decimal(0.1), 0.1);
        assert_eq!(f32_decimal(2.5), 2.5);
        assert_eq!(2.7 - f32_decimal(0.1), 2.7 - 0.1);
        assert_ne!(f64::from(0.1f32), 0.1, "the noise this removes");
    }

    #[test]
    fn fanout_kills_doubt_a_limit_that_kills_a_quarter_of_its_trees() {
        let mut k = RuleKills::default();
        let kill = |k: &mut RuleKills, children: u32| {
            k.note_started();
            k.note_killed(children);
        };
        for _ in 0..13 {
            k.note_started();
        }
        for _ in 0..4 {
            kill(&mut k, 51);
        }
        assert_eq!(k.raised(50), None, "4 kills of 17 trees: not yet a quarter");
        kill(&mut k, 51);
        assert_eq!(k.raised(50), Some(102), "twice the widest killed");
        kill(&mut k, 900);
        assert_eq!(k.raised(50), Some(200), "at most 4x the limit");
        // Bounded, and recent trees weigh more: many trees later, the
        // limit stands again.
        for _ in 0..1000 {
            k.note_started();
        }
        assert!(k.started < 64);
        assert_eq!(k.raised(50), None);
        // Kills are judged against the trees begun, not only those
        // finished: in a burst none has finished yet, and a few runaways
        // among many live trees are no reason to doubt the limit.
        let mut k = RuleKills::default();
        for _ in 0..40 {
            k.note_started();
        }
        for _ in 0..8 {
            kill(&mut k, 51);
        }
        assert_eq!(k.raised(50), None, "8 kills of 48 trees begun, none finished");
    }

    #[test]
    fn dedupe_remembers_two_generations_and_keeps_an_id_seen_again() {
        let id = |i: u64| xxh3_64(&i.to_le_bytes());
        let mut d = Dedupe::new(8);
        for i in 0..6 {
            assert!(!d.seen(id(i)));
        }
        assert!((0..6).all(|i| d.contains(id(i))), "both generations");
        // 0, now old, is seen again: young again, it outlives 1..4.
        assert!(d.seen(id(0)));
        assert!(!d.seen(id(6)));
        assert!(!d.seen(id(7)), "the young generation was full: the old one goes");
        assert!([0, 4, 5, 6, 7].iter().all(|&i| d.contains(id(i))));
        assert!((1..4).all(|i| !d.contains(id(i))));
        assert_eq!(d.len(), 5);
        // Ids differing only in the lowest bit are one id (63 bits compared).
        let mut d = Dedupe::new(8);
        assert!(!d.seen(2));
        assert!(d.seen(3));
        // So are 0 and 1, the empty slot's bits, which are taken as 2.
        assert!(d.seen(0) && d.seen(1));
        assert!(!d.seen(4));
    }

    #[test]
    fn dedupe_grows_and_forgets_in_generations_on_a_long_stream() {
        let id = |i: u64| xxh3_64(&i.to_le_bytes());
        let cap = 100_000;
        let mut d = Dedupe::new(cap);
        for i in 0..1_000_000u64 {
            assert!(!d.seen(id(i)), "id {i} taken for one seen");
            if i % 7 == 0 {
                assert!(d.seen(id(i - i % 1000)), "id {} forgotten too soon", i - i % 1000);
            }
            assert!(d.len() <= cap);
        }
        // The newest half a capacity is remembered, anything older than a capacity is not.
        assert!((1_000_000 - cap as u64 / 2..1_000_000).all(|i| d.contains(id(i))));
        assert!((0..800_000u64).filter(|i| i % 1000 != 0).all(|i| !d.contains(id(i))));
        assert!(d.heap_bytes() <= 4 * cap * 8, "{} bytes", d.heap_bytes());
    }

    /// A finished session of type "t", `i` minutes into the day.
    fn test_session(i: i64) -> Session {
        let rules = Arc::new(Resolved::new(Policy::default().resolve("a", "t"), 0));
        let mut s = Session::new(None, None, rules, 0);
        s.last_ts = 1_767_225_600_000 + i * 60_000;
        s.actions = 10;
        s
    }

    #[test]
    fn spin_limit_follows_a_type_that_repeats_by_design() {
        let t = Thresholds::default();
        let g = crate::policy::Global::default();
        let mut n = Normals::new(&g);
        let limit = |n: &mut Normals| {
            let l = spin_limit(Some(n), &t);
            (l.limit, l.basis)
        };
        assert_eq!(limit(&mut n), (t.repeat_kill, "policy"));
        // Finished sessions that never spun `repeat_kill` times say nothing.
        for i in 0..50 {
            let mut s = test_session(i);
            s.calls.note_spins((i % 5) as u32);
            n.record(&s, 0);
        }
        assert_eq!(limit(&mut n), (t.repeat_kill, "policy"), "a normal type keeps the policy's limit");
        // Kills that make a quarter of the type's sessions begun: doubted.
        for _ in 0..20 {
            n.repeats.note_started();
        }
        for _ in 0..10 {
            n.repeats.note_started();
            n.repeats.note_killed(t.repeat_kill);
        }
        assert_eq!(limit(&mut n), (2 * t.repeat_kill, "task_type_kills"));
        // Sessions that finished under the raised limit form the normal.
        let mut n = Normals::new(&g);
        for i in 0..40 {
            let mut s = test_session(i);
            s.calls.note_spins(6 + (i % 7) as u32);
            n.record(&s, 0);
        }
        let l = spin_limit(Some(&mut n), &t);
        assert_eq!((l.limit, l.basis), (t.repeat_poll_kill.min(24), "task_type"), "2x p95 (12), never above the poll limit");
        // One finished session past the limit already raises it (young type).
        let mut n = Normals::new(&g);
        let mut s = test_session(1);
        s.calls.note_spins(7);
        n.record(&s, 0);
        assert_eq!(limit(&mut n), (14, "task_type_young"));
    }

    #[test]
    fn paused_sessions_stay_bounded_and_resume_once() {
        let mut p = PausedTier::new(PAUSED_CAP);
        p.hold(1, 5.0, 4, 0);
        assert_eq!(p.resume(1), Some((5.0, 4)));
        assert_eq!(p.resume(1), None);
        // Held, resumed, held again: the first entry's turn in the queue
        // must not take the second with it.
        p.hold(2, 1.0, 1, 0);
        for h in 100..100 + PAUSED_CAP as u64 - 1 {
            p.hold(h, 3.0, 1, 1);
        }
        assert!(p.resume(2).is_some());
        p.hold(2, 7.0, 2, 0);
        p.hold(99_999_999, 3.0, 1, 1);
        assert_eq!(p.resume(2), Some((7.0, 2)));
        for h in 200_000_000..200_000_000 + 3 * PAUSED_CAP as u64 {
            p.hold(h, 3.0, 1, 1);
        }
        assert!(p.held.len() <= PAUSED_CAP && p.order.len() <= 2 * PAUSED_CAP);
        p.forget_shard(1);
        assert!(p.held.is_empty());
    }

    #[test]
    fn a_flood_of_cheap_paused_sessions_keeps_a_costly_one() {
        let mut p = PausedSessions::default();
        p.hold(1, 20.0, 40, 0, 25.0);
        p.hold(2, 0.5, 3, 0, 25.0);
        for h in 100..100 + 2 * PAUSED_CHEAP_CAP as u64 {
            p.hold(h, 0.01, 1, 0, 25.0);
        }
        assert_eq!(p.resume(1), Some((20.0, 40)), "the costly one outlives the flood");
        assert_eq!(p.resume(2), None, "the cheap one went with the flood's oldest");
        assert!(p.cheap.held.len() <= PAUSED_CHEAP_CAP);
        // Without a ceiling every session is cheap, and still held.
        p.hold(3, 100.0, 1, 0, 0.0);
        assert_eq!(p.resume(3), Some((100.0, 1)));
    }

    #[test]
    fn budgets_compare_to_the_micro_dollar_and_say_so() {
        let sum = |parts: &[f64]| parts.iter().sum::<f64>();
        // Float sums on either side of an equal figure are equal.
        assert!(!over(sum(&[0.1, 0.1, 0.1]), 0.3) && !over(sum(&[0.15, 0.15]), 0.3));
        assert!(!over(sum(&[0.1; 250]), 25.0) && !over(sum(&[5.0; 5]), 25.0));
        assert!(over(sum(&[0.1; 4]), 0.3) && over(25.000001, 25.0));
        assert!(reaches(sum(&[0.1; 8]), 0.8) && !reaches(0.799999, 0.8));
        // A figure just over a ceiling never reads as equal to it.
        assert_eq!(usd_pair(25.001, 25.0), ("25.001".to_string(), "25.000".to_string()));
        assert_eq!(usd_pair(25.000001, 25.0), ("25.000001".to_string(), "25.000000".to_string()));
        assert_eq!(usd_pair(26.0, 25.0), ("26.00".to_string(), "25.00".to_string()));
    }

    #[test]
    fn common_calls_stay_bounded_and_keep_what_is_common() {
        let mut c = CommonCalls::default();
        for _ in 0..2 * COMMON_CALL_SESSIONS {
            let _ = c.note_new(7);
        }
        assert!(c.is_common(7));
        // A decay's worth of calls made once each halves every count: the
        // rare calls stay rare, the common one stays common.
        for sig in 1000..1000 + COMMON_CALLS_DECAY {
            let _ = c.note_new(sig);
        }
        assert!(c.is_common(7));
        let taken_for_common = (1000..1000 + COMMON_CALLS_DECAY).filter(|s| c.is_common(*s)).count();
        assert_eq!(taken_for_common, 0);
        // Once the fleet stops making it, the common call fades out.
        for sig in 2_000_000..2_000_000 + 2 * COMMON_CALLS_DECAY {
            let _ = c.note_new(sig);
        }
        assert!(!c.is_common(7));
    }

    fn normal(count: u64, p95: f64, p99: f64) -> Quantiles {
        Quantiles { count, p50: p95 / 2.0, p95, p99 }
    }

    #[test]
    fn orphans_are_counted_per_parent_and_bounded() {
        let mut o = Orphans::new(8);
        for _ in 0..3 {
            o.add(7);
        }
        // Parents that never appear fill the table; the oldest generation goes.
        for p in 100..120 {
            o.add(p);
            o.add(7); // still spawning: kept young, count carried over
        }
        assert!(o.len() <= 8, "bounded: {}", o.len());
        assert_eq!(o.take(7), 23);
        assert_eq!(o.take(7), 0, "handed over once");
        assert_eq!(o.take(100), 0, "forgotten with its generation");
    }

    #[test]
    fn step_limit_follows_the_tail_of_the_normal_lengths() {
        let t = Policy::default().resolve("a", "t");
        // Bounded lengths (p99 near p95): 1.5 x p99, well under 2.5 x p95.
        assert_eq!(step_limit(&normal(300, 100.0, 104.0), &t), 156);
        // A long tail (p99 1.5 x p95) extrapolates past 2.5 x p95: that stays.
        assert_eq!(step_limit(&normal(300, 100.0, 150.0), &t), 250);
        // Too few sessions for a p99: 2.5 x p95 only.
        assert_eq!(step_limit(&normal(199, 100.0, 104.0), &t), 250);
        // Never below the floor.
        assert_eq!(step_limit(&normal(300, 10.0, 10.0), &t), u64::from(t.step_min_actions));
    }
}
