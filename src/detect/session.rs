//! Per-session detection state: the few bounded rings and counters each
//! session-scope detector needs, kept small because a fleet has millions.
//!
//! Owns: the session-local loop signatures (repeat, cycle), retry bits,
//! cost level and spike history, context-growth run. Does not own:
//! baselines or anything shared across sessions (see `detect`).
//! Also owns the table the live sessions sit in.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_128;

use super::Resolved;

/// One remembered call: a 32-bit signature of (kind, tool, args_hash) and
/// the interned id of its tool (for evidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    pub sig: u32,
    /// Interned tool id; the top bits are flags (new to the window, a
    /// poll, paid for).
    tool: u32,
}

const NOVEL: u32 = 1 << 31;
const POLLED: u32 = 1 << 30;
const SPENT: u32 = 1 << 29;
const COMMON: u32 = 1 << 28;
const FLAGS: u32 = NOVEL | POLLED | SPENT | COMMON;

impl Call {
    pub fn new(sig: u32, tool_id: u32) -> Call {
        Call { sig, tool: tool_id & !FLAGS }
    }

    pub fn tool_id(self) -> u32 {
        self.tool & !FLAGS
    }

    /// True when the call is a poll: the session had waited before it,
    /// or it is an observation (see [`Call::common`]); polls kill later.
    pub fn polled(self) -> bool {
        self.tool & (POLLED | COMMON) != 0
    }

    /// True when the session had waited before this call.
    pub fn waited(self) -> bool {
        self.tool & POLLED != 0
    }

    pub fn mark_polled(&mut self) {
        self.tool |= POLLED;
    }

    /// True when no earlier call in the window had this signature.
    pub fn novel(self) -> bool {
        self.tool & NOVEL != 0
    }

    pub fn mark_novel(&mut self) {
        self.tool |= NOVEL;
    }

    /// True when the session spent money since its previous call (an LLM
    /// call, or a priced tool call, in between or this one itself).
    pub fn spent(self) -> bool {
        self.tool & SPENT != 0
    }

    pub fn mark_spent(&mut self) {
        self.tool |= SPENT;
    }

    /// True when the call is an observation: made identically in many
    /// sessions of the fleet (`screenshot()`, `git_status()`).
    pub fn common(self) -> bool {
        self.tool & COMMON != 0
    }

    pub fn mark_common(&mut self) {
        self.tool |= COMMON;
    }
}

/// Bounded ring of the most recent calls with a tool and arguments, and
/// the most times one call was repeated in it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallRing {
    calls: Vec<Call>,
    next: u16,
    cap: u16,
    /// The most times one call was repeated back to back with nothing new
    /// between (`loop_repeat` spins), learned into the session's task
    /// type's normal. Here, not in `Session`: it fits the ring's padding.
    most_spins: u8,
    /// Repeats after a wait (polls) since the session last did something
    /// new, however far back: a CI wait of 40 rounds outlasts the window.
    /// Every poll counts (a check, and the sleep before it); saturating.
    poll_run: u16,
    /// The longest `poll_run` so far (saturating), learned into the task
    /// type's normal.
    most_polls: u8,
}

impl CallRing {
    pub fn note_spins(&mut self, spins: u32) {
        self.most_spins = self.most_spins.max(spins.min(u32::from(u8::MAX)) as u8);
    }

    pub fn most_spins(&self) -> u8 {
        self.most_spins
    }

    /// Counts a call toward the session's current run of polls: a poll
    /// lengthens it, something new ends it.
    pub fn note_poll_run(&mut self, poll: bool, novel: bool) {
        if novel {
            self.poll_run = 0;
        } else if poll {
            self.poll_run = self.poll_run.saturating_add(1);
            self.most_polls = self.most_polls.max(self.poll_run.min(u16::from(u8::MAX)) as u8);
        }
    }

    pub fn poll_run(&self) -> u16 {
        self.poll_run
    }

    pub fn most_polls(&self) -> u8 {
        self.most_polls
    }

    pub fn push(&mut self, c: Call, cap: usize) {
        let cap = cap.clamp(1, u16::MAX as usize);
        if self.cap as usize != cap {
            // Policy changed the window: keep the newest calls that fit.
            let mut recent: Vec<Call> = self.iter_newest_first().take(cap).collect();
            recent.reverse();
            self.calls = recent;
            self.next = (self.calls.len() % cap) as u16;
            self.cap = cap as u16;
        }
        if self.calls.len() < cap {
            if self.calls.capacity() == 0 {
                // Grown in two steps so short sessions stay small.
                self.calls.reserve_exact(cap.min(8));
            } else if self.calls.len() == self.calls.capacity() {
                self.calls.reserve_exact(cap - self.calls.len());
            }
            self.calls.push(c);
            self.next = (self.calls.len() % cap) as u16;
        } else {
            self.calls[self.next as usize] = c;
            self.next = ((self.next as usize + 1) % cap) as u16;
        }
    }

    /// Calls from the newest backwards.
    pub fn iter_newest_first(&self) -> impl Iterator<Item = Call> + '_ {
        // `next` is where the oldest call sits once the ring is full, and
        // the length while it fills: newest-first is the part before it
        // reversed, then the part after it reversed. No division per call:
        // this runs over the whole window on every tool call.
        let (before, after) = self.calls.split_at((self.next as usize).min(self.calls.len()));
        before.iter().rev().chain(after.iter().rev()).copied()
    }

    /// The newest steps (a step: calls of one tool in a row), newest
    /// first, at most three, within the newest `look_back` calls.
    pub fn recent_steps(&self, look_back: usize) -> RecentSteps {
        let mut steps = RecentSteps { tools: [u32::MAX; 3], calls: [0; 3], len: 0 };
        for c in self.iter_newest_first().take(look_back) {
            let t = c.tool_id();
            if steps.len > 0 && steps.tools[steps.len - 1] == t {
                steps.calls[steps.len - 1] += 1;
                continue;
            }
            if steps.len == steps.tools.len() {
                break;
            }
            steps.tools[steps.len] = t;
            steps.calls[steps.len] = 1;
            steps.len += 1;
        }
        steps
    }

    /// The tools of the last `n` steps (at most three), oldest first.
    pub fn last_steps(&self, n: usize) -> Vec<u32> {
        let steps = self.recent_steps(usize::MAX);
        steps.tools[..steps.len.min(n)].iter().rev().copied().collect()
    }

    pub fn heap_bytes(&self) -> usize {
        self.calls.capacity() * std::mem::size_of::<Call>()
    }

    /// The `i`-th newest call (0 = the newest), by index arithmetic: this
    /// is asked on every tool call.
    pub fn nth_newest(&self, i: usize) -> Option<Call> {
        let len = self.calls.len();
        if i >= len {
            return None;
        }
        // `next` is the length while the ring fills and the oldest slot
        // once it is full; either way the newest sits just before it.
        let next = (self.next as usize).min(len);
        let idx = if next > i { next - 1 - i } else { next + len - 1 - i };
        self.calls.get(idx).copied()
    }

    /// How a call with signature `sig` recurs among the newest `limit`
    /// calls: whether any of them had it, and how many did before the
    /// first one that was new to the window and not `sig` (repeats count
    /// only while nothing new happens in between).
    #[cfg(test)]
    pub fn recurrence(&self, sig: u32, limit: usize) -> Recurrence {
        self.recurrence_and_presence(sig, None, limit).0
    }

    /// Whether the session waited (a call marked [`Call::waited`]) since
    /// the newest call with signature `sig` among the newest `limit`.
    /// Asked only of a repeat: "sleep, check CI, sleep" waited between its
    /// two sleeps, though not right before the second.
    pub fn waited_since(&self, sig: u32, limit: usize) -> bool {
        self.iter_newest_first().take(limit).take_while(|c| c.sig != sig).any(Call::waited)
    }

    /// As [`CallRing::recurrence`], and in the same scan whether `other`
    /// (when given) is among those calls too.
    pub fn recurrence_and_presence(&self, sig: u32, other: Option<u32>, limit: usize) -> (Recurrence, bool) {
        let (before, after) = self.calls.split_at((self.next as usize).min(self.calls.len()));
        // Oldest first is `after` then `before`; drop the oldest beyond `limit`.
        let skip = self.calls.len().saturating_sub(limit);
        let (after, before) =
            (after.get(skip.min(after.len())..).unwrap_or(&[]), before.get(skip.saturating_sub(after.len())..).unwrap_or(&[]));
        // A fold without early exit: this scans the whole window on every
        // call that is new (the common case), so it should vectorise.
        let (seen, other_seen) = match other {
            None => {
                let has = |calls: &[Call]| calls.iter().fold(false, |seen, c| seen | (c.sig == sig));
                (has(before) || has(after), false)
            }
            Some(o) => {
                let has = |calls: &[Call]| calls.iter().fold((false, false), |(a, b), c| (a | (c.sig == sig), b | (c.sig == o)));
                let (x, y) = (has(before), has(after));
                (x.0 | y.0, x.1 | y.1)
            }
        };
        let mut r = Recurrence { seen, ..Recurrence::default() };
        if !seen {
            return (r, other_seen);
        }
        // Spending after each repeat, newest first: what the session paid
        // for after the oldest repeat counted is what the repeats cost.
        let mut spent_after = false;
        for c in before.iter().rev().chain(after.iter().rev()) {
            if c.sig == sig {
                r.tally(*c);
                r.span_spent = spent_after;
            } else if c.novel() {
                break;
            }
            spent_after |= c.spent();
        }
        (r, other_seen)
    }
}

/// A call's repeats in the window (see [`CallRing::recurrence`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Recurrence {
    /// Some call in the window had the signature.
    pub seen: bool,
    /// Repeats with nothing new in between.
    pub count: u32,
    /// Those made after a wait (polls).
    pub polls: u32,
    /// Polls after a wait the session did not pay for: no LLM call or
    /// priced tool call since the call before.
    pub free_polls: u32,
    /// Repeats of an observation made without a wait, and without an LLM
    /// call or priced tool call since the call before.
    pub free_looks: u32,
    /// The session paid for something after the oldest repeat counted.
    pub span_spent: bool,
}

impl Recurrence {
    /// Counts `c`, an older repeat found in the window.
    fn tally(&mut self, c: Call) {
        self.count += 1;
        self.polls += u32::from(c.polled());
        self.free_polls += u32::from(c.waited() && !c.spent());
        self.free_looks += u32::from(c.common() && !c.waited() && !c.spent());
    }

    /// Counts `c`, the newest call.
    pub fn add(&mut self, c: Call) {
        self.tally(c);
        self.span_spent |= c.spent();
    }

    /// Repeats made without waiting first.
    pub fn spins(&self) -> u32 {
        self.count - self.polls
    }

    /// Repeats that count toward the poll limit: all but the polls after
    /// a wait that cost nothing, and but the free looks at an observation
    /// in a loop that pays its way. An agent that scrolls (paid: an LLM
    /// call chose it) and takes a screenshot after each scroll shows
    /// nothing by the screenshots; a harness re-taking the screenshot back
    /// to back, with nothing paid between, is stuck.
    pub fn poll_hits(&self) -> u32 {
        self.count - self.free_polls - if self.span_spent { self.free_looks } else { 0 }
    }
}

/// Alternation of handoffs between two agents in one conversation, and
/// whether the work between the handoffs brought anything new.
///
/// A planner and an executor legitimately alternate for as long as the task
/// takes, but each round brings new calls (the executor edits, queries,
/// fetches); two agents passing a ticket back and forth do not. So a leg
/// (the span between two handoffs) counts as busy when a call new to the
/// conversation's window happened in it, idle otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PingPong {
    /// Hashes of the run's agents (0 = a free place): two trading work
    /// back and forth, or up to [`PING_PONG_AGENTS`] passing it round.
    agents: [u32; PING_PONG_AGENTS],
    /// The run's handoffs from and to each of them.
    gave: [u16; PING_PONG_AGENTS],
    got: [u16; PING_PONG_AGENTS],
    /// Legs of the current run (the spans between its handoffs) with a new
    /// call; the others are idle.
    pub busy_legs: u16,
    /// A new call happened since the last handoff.
    progress: bool,
    /// Whom each of the run's agents hands to: two bits per place, the
    /// target's place plus one (0 = has not handed off yet).
    next: u8,
}

/// Agents a run of handoffs may go round: a pair, or a round-robin of
/// three (a router, two specialists passing a ticket on). A fourth starts
/// a new run.
pub(crate) const PING_PONG_AGENTS: usize = 3;

impl PingPong {
    /// A call new to the conversation happened.
    pub fn note_progress(&mut self) {
        self.progress = true;
    }

    /// Records a handoff; one that keeps the run a ring (each agent
    /// handing to the same one every time: a pair back and forth, or three
    /// round in turn), bringing in one more agent while there is room,
    /// continues it, and the leg it closes counts as busy or idle. A
    /// supervisor handing to one worker, then another, is no ring: its
    /// handoff to another agent than before starts a new run, as does a
    /// handoff to oneself (which ends it).
    pub fn record(&mut self, from: u32, to: u32) {
        // 0 marks a free place.
        let (from, to) = (from.max(1), to.max(1));
        let started = self.gave.iter().any(|g| *g > 0);
        let place = |agents: &mut [u32; PING_PONG_AGENTS], who: u32| {
            let i = agents.iter().position(|a| *a == who || *a == 0)?;
            agents[i] = who;
            Some(i)
        };
        let mut agents = self.agents;
        let places = if from == to { None } else { place(&mut agents, from).zip(place(&mut agents, to)) };
        let next_of = |next: u8, f: usize| (next >> (2 * f)) & 3;
        let in_ring = |(f, t): (usize, usize)| {
            let next = usize::from(next_of(self.next, f));
            next == 0 || next == t + 1
        };
        match places.filter(|p| in_ring(*p)) {
            Some((f, t)) if started => {
                self.agents = agents;
                self.next |= ((t + 1) as u8) << (2 * f);
                self.gave[f] = self.gave[f].saturating_add(1);
                self.got[t] = self.got[t].saturating_add(1);
                if self.progress {
                    self.busy_legs = self.busy_legs.saturating_add(1);
                }
            }
            _ => {
                *self = PingPong::default();
                if from != to {
                    self.agents[..2].copy_from_slice(&[from, to]);
                    self.gave[0] = 1;
                    self.got[1] = 1;
                    self.next = 2;
                }
            }
        }
        self.progress = false;
    }

    /// Handoffs of the run that came back round: each agent's handoffs
    /// matched by as many to it (a round trip of two is 2, a round of
    /// three 3), plus 1 while a leg waits for its answer. Counted in any
    /// order: in Kafka mode agents whose sessions sit on different
    /// partitions have their handoffs read grouped by partition in a
    /// catch-up (all of one side's, then the other's), not alternating.
    pub fn alternations(&self) -> u32 {
        let matched: u32 = self.gave.iter().zip(&self.got).map(|(g, r)| u32::from(*g.min(r))).sum();
        matched + u32::from(self.gave != self.got)
    }

    /// Legs of the run without a new call: every leg (each handoff after
    /// the run's first closes one) that was not busy.
    pub fn idle_legs(&self) -> u16 {
        let handoffs: u32 = self.gave.iter().map(|g| u32::from(*g)).sum();
        let legs = handoffs.saturating_sub(1).min(u32::from(u16::MAX)) as u16;
        legs.saturating_sub(self.busy_legs)
    }

    /// How many agents the run's handoffs go round (at least two): those
    /// that both handed off and were handed to. An intake agent handing a
    /// ticket to a pair that then trades it back and forth is no part of
    /// their ping-pong.
    pub fn agents_in_run(&self) -> usize {
        self.gave.iter().zip(&self.got).filter(|(g, r)| **g > 0 && **r > 0).count().max(2)
    }

    /// `limit`, a number of a pair's alternating handoffs, for this run:
    /// as many rounds, a round of three agents taking three handoffs where
    /// a pair's takes two (a group chat's turns are judged by its rounds).
    pub fn scaled(&self, limit: u32) -> u32 {
        let agents = self.agents_in_run() as u64;
        (u64::from(limit) * agents).div_ceil(2).min(u64::from(u32::MAX)) as u32
    }

    /// The run's alternations in a pair's terms (its rounds times two), for
    /// the type's record of the figures its kills were made at.
    pub fn pair_alternations(&self) -> u32 {
        let agents = self.agents_in_run() as u64;
        (u64::from(self.alternations()) * 2 / agents) as u32
    }

    /// The run is a ping-pong: at least `limit` alternating handoffs (in a
    /// pair's terms, [`PingPong::scaled`]), and at least two idle legs for
    /// each busy one (a planner/executor pair has about one of each per
    /// round); or `busy` of them whatever the legs bring (0 = never).
    pub fn stuck(&self, limit: u32, busy: u32) -> bool {
        let n = self.alternations();
        n >= self.scaled(limit) && (u32::from(self.idle_legs()) >= 2 * u32::from(self.busy_legs) || (busy > 0 && n >= self.scaled(busy)))
    }
}

/// Everything the detector keeps per live session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub task_id: Option<Arc<str>>,
    pub tenant: Option<Arc<str>>,
    pub rules: Arc<Resolved>,
    /// Interned (agent, task type) ids, for baseline keys.
    pub ids: (u32, u32),
    pub cost_usd: f64,
    /// Actions since the session opened (or resumed after an idle pause):
    /// the span step rules and normal lengths go by.
    pub actions: u32,
    /// Actions before an idle pause it resumed from (carried like its
    /// spend, in `cost_usd`): signals report the session so far.
    pub actions_before_pause: u32,
    pub last_ts: i64,
    /// Shard (e.g. Kafka partition) the session's events come from.
    pub shard: u32,
    /// High half of the id's 128-bit hash (see [`SessionTable`]).
    pub id_hi: u64,
    pub killed: bool,
    /// One-bit states ([`Marks`]): waited, spent, idled since the last
    /// call with a tool; context grown high; latest context an outlier.
    pub marks: Marks,
    /// Latency of the session's latest event, in tenths of a second.
    pub last_latency_ds: u16,
    /// Reasons already alerted on (bit per `Reason`).
    pub alerted: u16,
    pub children: u32,
    /// Status bits of recent actions, newest in bit 0: 1 = error/retry.
    pub retry_bits: u64,
    /// The failures (bits aligned with `retry_bits`) of the operation that
    /// failed last, `failing_op`, since it last succeeded.
    pub failing_bits: u64,
    pub failing_op: u32,
    /// Cost level of the agent acting now (the session's own at first).
    pub cost: CostLevel,
    /// Cost levels of the other agents that acted in this session: a
    /// planner on a cheap model hands to an executor on a pricier one and
    /// back, and each is judged against its own level, not the other's.
    // Boxed: one pointer in every session; most never hold a second agent.
    #[allow(clippy::box_collection)]
    pub parked: Option<Box<Vec<CostLevel>>>,
    /// Context tokens of the previous LLM call and the run of increases ending at it.
    pub last_context: u32,
    /// Context tokens of the call the current run of increases started at.
    pub run_start: u32,
    pub growth_run: u32,
    /// LLM calls in a row with the context held level (within 5 % of
    /// `high_anchor`) at `growth_hold_ratio` × its baseline's p95, once it
    /// grew there (`grew_high`).
    pub high_run: u16,
    pub high_anchor: u32,
    /// Health key of the provider (or model) of the latest LLM call: a
    /// failing tool call is judged against that provider's outage.
    pub provider: u64,
    /// Signature of the call the latest LLM call requested, until executed
    /// (0 = none; a signature of 0 is taken as 1, as its tool call's is).
    pub pending_call: u32,
    pub calls: CallRing,
    pub ping_pong: PingPong,
    /// Handoffs made in this session (learned into the task type's normal).
    pub handoffs: u32,
    /// The most one event of the session cost (USD): the learned spend
    /// ceiling judges what the session spent besides it.
    pub max_event_usd: f32,
    pub tool_run: ToolRun,
}

/// A session's one-bit states, packed in a byte: as five `bool`s they
/// took the bytes its [`ToolRun`] now uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Marks(u8);

impl Marks {
    /// The session waited (no event for `repeat_poll_gap_seconds`, or a
    /// tool call that lasted that long) since its last call with a tool.
    pub const WAITED: u8 = 1;
    /// The session spent money since its last call with a tool.
    pub const SPENT: u8 = 1 << 1;
    /// The session sat idle for a tenth of the poll gap (beyond what its
    /// calls' latencies explain) since its last call with a tool: a free
    /// call after that is a poll.
    pub const IDLED: u8 = 1 << 2;
    /// The context grew to `growth_hold_ratio` × its baseline's p95.
    pub const GREW_HIGH: u8 = 1 << 3;
    /// The latest context was an outlier against its baseline (not learned).
    pub const CONTEXT_OUTLIER: u8 = 1 << 4;
    /// The latest LLM call asked for a poll: the tool call carrying it out
    /// is part of the wait too, not a step.
    pub const POLL_ASKED: u8 = 1 << 5;

    pub fn get(self, mark: u8) -> bool {
        self.0 & mark != 0
    }

    pub fn set(&mut self, mark: u8, on: bool) {
        if on {
            self.0 |= mark;
        } else {
            self.0 &= !mark;
        }
    }

    /// Sets `mark` when `on`, leaving it as it was otherwise.
    pub fn or(&mut self, mark: u8, on: bool) {
        if on {
            self.0 |= mark;
        }
    }

    /// Reads `mark` and clears it.
    pub fn take(&mut self, mark: u8) -> bool {
        let was = self.get(mark);
        self.0 &= !mark;
        was
    }
}

/// The newest steps of a call ring ([`CallRing::recent_steps`]).
pub(crate) struct RecentSteps {
    /// Each step's tool, newest first.
    pub tools: [u32; 3],
    /// Calls seen in each step.
    pub calls: [u16; 3],
    /// Steps found.
    pub len: usize,
}

/// The session's current run of calls going round the same one to three
/// tools, whatever their arguments: `fetch_doc` with a fresh request id
/// each time, `submit_order` then `get_order_status` with a new client
/// order id each round. Arguments that never repeat hide such a loop from
/// `loop_repeat` and `loop_cycle`; only its length, against what the task
/// type's sessions do, tells it from a batch. Counted in calls with a tool
/// (a tool call carrying out an LLM call's request is that one call).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ToolRun {
    /// Calls in the current run (saturating).
    pub len: u16,
    /// Tools the run goes round (1 to 3; 0 before the first call).
    pub period: u8,
    /// The longest run so far (saturating), learned into the task type.
    pub most: u8,
}

impl ToolRun {
    /// Counts a call of `tool` before it joins `calls`.
    pub fn note(&mut self, calls: &CallRing, tool: u32) {
        let newest = calls.nth_newest(0).map(Call::tool_id);
        if newest == Some(tool) {
            // The same tool again (or its call right after the LLM asked
            // for it): any run goes on.
            self.len = self.len.saturating_add(1);
            self.period = self.period.max(1);
        } else {
            let RecentSteps { tools: steps, calls: calls_in, len: n } = calls.recent_steps(8);
            let period = match () {
                _ if n >= 2 && steps[1] == tool => 2,
                _ if n >= 3 && steps[2] == tool => 3,
                _ => 1,
            };
            if period > 1 && period == self.period {
                self.len = self.len.saturating_add(1);
            } else {
                // A new run: this call, and for a cycle the steps of its
                // first round (as far as the look back saw them).
                self.period = period;
                self.len = 1 + if period > 1 { calls_in[..usize::from(period)].iter().sum::<u16>() } else { 0 };
            }
        }
        self.most = self.most.max(self.len.min(u16::from(u8::MAX)) as u8);
    }
}

impl Session {
    /// Actions of the session so far, those before an idle pause included.
    pub fn actions_so_far(&self) -> u64 {
        u64::from(self.actions) + u64::from(self.actions_before_pause)
    }

    /// Takes one action out of the session's steps (a poll: the session
    /// was waiting), keeping it in its actions so far.
    pub fn not_a_step(&mut self) {
        if self.actions > 0 {
            self.actions -= 1;
            self.actions_before_pause = self.actions_before_pause.saturating_add(1);
        }
    }

    pub fn new(task_id: Option<Arc<str>>, tenant: Option<Arc<str>>, rules: Arc<Resolved>, shard: u32) -> Session {
        Session {
            task_id,
            tenant,
            rules,
            ids: (0, 0),
            cost_usd: 0.0,
            actions: 0,
            actions_before_pause: 0,
            last_ts: i64::MIN,
            shard,
            id_hi: 0,
            killed: false,
            marks: Marks::default(),
            last_latency_ds: 0,
            alerted: 0,
            children: 0,
            retry_bits: 0,
            failing_bits: 0,
            failing_op: 0,
            cost: CostLevel::default(),
            parked: None,
            last_context: 0,
            run_start: 0,
            growth_run: 0,
            high_run: 0,
            high_anchor: 0,
            provider: 0,
            pending_call: 0,
            calls: CallRing::default(),
            ping_pong: PingPong::default(),
            handoffs: 0,
            max_event_usd: 0.0,
            tool_run: ToolRun::default(),
        }
    }

    /// Makes `agent`'s cost level the current one, parking the previous
    /// agent's. At most `MAX_PARKED` others are kept (the least recent go).
    pub fn switch_cost_level(&mut self, agent: u32) {
        if self.cost.agent == agent {
            return;
        }
        const MAX_PARKED: usize = 8;
        let parked = self.parked.get_or_insert_with(Default::default);
        let next = match parked.iter().position(|l| l.agent == agent) {
            Some(i) => parked.remove(i),
            None => CostLevel { agent, ..CostLevel::default() },
        };
        if parked.len() >= MAX_PARKED {
            parked.remove(0);
        }
        parked.push(std::mem::replace(&mut self.cost, next));
    }

    /// Heap bytes owned by this session alone (shared strings excluded).
    pub fn heap_bytes(&self) -> usize {
        let parked =
            self.parked.as_ref().map_or(0, |p| std::mem::size_of::<Vec<CostLevel>>() + p.capacity() * std::mem::size_of::<CostLevel>());
        self.calls.heap_bytes() + parked
    }
}

/// One agent's LLM call cost within a session, for spikes against its own
/// normal.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CostLevel {
    /// Interned agent id.
    pub agent: u32,
    pub llm_calls: u32,
    /// Slow moving level of the agent's LLM call cost (USD); 0 = none yet.
    pub level: f32,
    /// The same for cost per token (USD).
    pub token_level: f32,
    /// Hash of the model the token level follows (0: calls name none).
    pub model: u32,
    /// Slow moving level of the agent's tokens per LLM call.
    pub tokens_level: f32,
    /// Spike flags of its recent LLM calls, newest in bit 0.
    pub spike_bits: u64,
}

/// Live sessions: found by id with one hash lookup per event, then
/// addressed by slot for the rest of it. Slots sit in fixed-size chunks, so
/// the table grows without doubling and a session never moves; a slot freed
/// by eviction is reused.
///
/// Ids are looked up by a 128-bit hash, never by their text: the index holds
/// its low half, the session its high half, so a lookup touches no string.
/// Two live ids with the same low half (one in 2^64 per pair) go to a
/// small side index on the full 128 bits.
#[derive(Default)]
pub(crate) struct SessionTable {
    index: FxHashMap<u64, u32>,
    collided: FxHashMap<u128, u32>,
    chunks: Vec<Vec<Option<Session>>>,
    free: Vec<u32>,
}

const CHUNK_BITS: u32 = 10;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Asks the CPU to bring the cache line holding the start of `x` into its
/// caches: a hint, nothing on targets without one.
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint to the cache: it reads nothing into
        // the program and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// A session id's 128-bit hash, low and high halves: the table's key.
pub(crate) fn id_hash(id: &str) -> (u64, u64) {
    let h = xxh3_128(id.as_bytes());
    (h as u64, (h >> 64) as u64)
}

impl SessionTable {
    pub fn len(&self) -> usize {
        self.index.len() + self.collided.len()
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        self.find_hashed(id_hash(id))
    }

    /// Asks the CPU for the first cache line of the session with this id
    /// hash, if live (the index itself is small enough to stay cached).
    pub fn prefetch(&self, (lo, _): (u64, u64)) {
        if let Some(s) = self.index.get(&lo).and_then(|slot| self.get(*slot)) {
            prefetch(s);
        }
    }

    pub fn find_hashed(&self, (lo, hi): (u64, u64)) -> Option<u32> {
        let slot = *self.index.get(&lo)?;
        if self.get(slot)?.id_hi == hi {
            return Some(slot);
        }
        self.collided.get(&((hi as u128) << 64 | lo as u128)).copied()
    }

    /// True when a live session's id hash has this low half.
    pub fn holds_low_hash(&self, lo: u64) -> bool {
        self.index.contains_key(&lo)
    }

    pub fn get(&self, slot: u32) -> Option<&Session> {
        self.chunks.get((slot >> CHUNK_BITS) as usize)?.get(slot as usize & (CHUNK - 1))?.as_ref()
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Session> {
        self.chunks.get_mut((slot >> CHUNK_BITS) as usize)?.get_mut(slot as usize & (CHUNK - 1))?.as_mut()
    }

    pub fn by_id(&self, id: &str) -> Option<&Session> {
        self.get(self.find(id)?)
    }

    fn place(&mut self, slot: u32) -> Option<&mut Option<Session>> {
        self.chunks.get_mut((slot >> CHUNK_BITS) as usize)?.get_mut(slot as usize & (CHUNK - 1))
    }

    /// Adds a session under an id not in the table; returns its slot.
    pub fn insert(&mut self, id: &str, s: Session) -> u32 {
        self.insert_hashed(id_hash(id), s)
    }

    fn insert_hashed(&mut self, (lo, hi): (u64, u64), mut s: Session) -> u32 {
        s.id_hi = hi;
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(place) = self.place(slot) {
                    *place = Some(s);
                }
                slot
            }
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                let n = self.chunks.len() - 1;
                let chunk = &mut self.chunks[n];
                chunk.push(Some(s));
                ((n << CHUNK_BITS) + chunk.len() - 1) as u32
            }
        };
        match self.index.entry(lo) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(slot);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert((hi as u128) << 64 | lo as u128, slot);
            }
        }
        slot
    }

    pub fn remove_hashed(&mut self, (lo, hi): (u64, u64)) -> Option<Session> {
        let slot = self.find_hashed((lo, hi))?;
        if self.collided.remove(&((hi as u128) << 64 | lo as u128)).is_none() {
            self.index.remove(&lo);
            // A collided id now takes the index entry it could not have.
            if let Some((&k, &other)) = self.collided.iter().find(|(k, _)| **k as u64 == lo) {
                self.collided.remove(&k);
                self.index.insert(lo, other);
            }
        }
        self.free.push(slot);
        self.place(slot)?.take()
    }

    /// Keeps the sessions `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Session) -> bool) {
        let (chunks, free) = (&mut self.chunks, &mut self.free);
        let mut keep_slot = |slot: u32| {
            let Some(place) = chunks.get_mut((slot >> CHUNK_BITS) as usize).and_then(|c| c.get_mut(slot as usize & (CHUNK - 1))) else {
                return false;
            };
            if place.as_ref().is_some_and(&mut keep) {
                return true;
            }
            *place = None;
            free.push(slot);
            false
        };
        self.collided.retain(|_, slot| keep_slot(*slot));
        self.index.retain(|_, slot| keep_slot(*slot));
        // Promote collided ids whose index entry was freed.
        let orphans: Vec<(u128, u32)> =
            self.collided.iter().filter(|(k, _)| !self.index.contains_key(&(**k as u64))).map(|(k, v)| (*k, *v)).collect();
        for (k, slot) in orphans {
            if let std::collections::hash_map::Entry::Vacant(v) = self.index.entry(k as u64) {
                v.insert(slot);
                self.collided.remove(&k);
            }
        }
    }

    /// Every live session, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Session> + '_ {
        self.chunks.iter().flatten().flatten()
    }
}

/// Ones among the lowest `n` bits.
/// Records an action's outcome in the session's retry bits. `op` names what
/// was attempted (a tool call with its arguments, an LLM call's model); when
/// it succeeds after
/// failing, up to `forgive` of its latest failures are cleared: they were
/// retries that recovered.
pub(crate) fn note_attempt(s: &mut Session, op: u32, failed: bool, forgive: u32) {
    s.retry_bits <<= 1;
    s.failing_bits <<= 1;
    if failed {
        if op != s.failing_op {
            s.failing_op = op;
            s.failing_bits = 0;
        }
        s.retry_bits |= 1;
        s.failing_bits |= 1;
    } else if op == s.failing_op && s.failing_bits != 0 {
        let mut forgiven = 0u64;
        let mut left = s.failing_bits;
        for _ in 0..forgive {
            if left == 0 {
                break;
            }
            // The newest failure is the lowest set bit.
            forgiven |= left & left.wrapping_neg();
            left &= left - 1;
        }
        s.retry_bits &= !forgiven;
        s.failing_bits = 0;
    }
}

pub(crate) fn recent_ones(bits: u64, n: u32) -> u32 {
    let mask = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    (bits & mask).count_ones()
}

#[cfg(test)]
mod tests {
    /// A fleet has millions of sessions: the memory target (512 bytes per
    /// tracked session, all in) rests on this.
    #[test]
    fn a_session_fits_256_bytes() {
        assert!(std::mem::size_of::<super::Session>() <= 256, "Session is {} bytes", std::mem::size_of::<super::Session>());
        assert_eq!(std::mem::size_of::<super::CallRing>(), 32);
    }

    /// Runs round one to three tools, whatever the arguments, with an LLM
    /// call asking for each tool call (two calls of one tool in a row).
    #[test]
    fn a_tool_run_counts_calls_going_round_the_same_tools() {
        let run_after = |tools: &[u32]| {
            let mut ring = super::CallRing::default();
            let mut run = super::ToolRun::default();
            for (i, t) in tools.iter().enumerate() {
                run.note(&ring, *t);
                ring.push(super::Call::new(i as u32, *t), 48);
            }
            run
        };
        let twice = |tools: &[u32]| tools.iter().flat_map(|t| [*t, *t]).collect::<Vec<u32>>();
        let fetch_forever = twice(&[7; 30]);
        assert_eq!((run_after(&fetch_forever).len, run_after(&fetch_forever).period), (60, 1));
        let submit_then_status = twice(&[1, 2].repeat(10));
        assert_eq!((run_after(&submit_then_status).len, run_after(&submit_then_status).period), (40, 2));
        let three_tools = twice(&[1, 2, 3].repeat(10));
        assert_eq!((run_after(&three_tools).len, run_after(&three_tools).period), (60, 3));
        // Something else breaks the run; the longest is remembered.
        let mut broken = twice(&[7; 20]);
        broken.extend(twice(&[1, 2, 3, 4, 5]));
        let run = run_after(&broken);
        assert_eq!((run.len, run.most), (2, 40));
    }

    #[test]
    fn ping_pong_counts_round_trips_in_any_order() {
        let (a, b, c, d) = (1, 2, 3, 4);
        let mut alternating = super::PingPong::default();
        for k in 0..12 {
            let (from, to) = if k % 2 == 0 { (a, b) } else { (b, a) };
            alternating.record(from, to);
        }
        assert_eq!(alternating.alternations(), 12);
        // The same handoffs read grouped by partition (a Kafka catch-up):
        // all of one side's, then the other's.
        let mut grouped = super::PingPong::default();
        (0..6).for_each(|_| grouped.record(a, b));
        assert_eq!(grouped.alternations(), 1, "one way only is no round trip");
        (0..6).for_each(|_| grouped.record(b, a));
        assert_eq!(grouped.alternations(), 12);
        assert_eq!(grouped.idle_legs(), 11);
        // An agent handing to another than before ends the run: a
        // supervisor's round trips with one worker, then another, are no ring.
        grouped.record(a, c);
        assert_eq!(grouped.alternations(), 1);
        // A third agent joins a chain being built into a ring; a fourth
        // ends it.
        grouped.record(c, d);
        assert_eq!(grouped.alternations(), 2);
        let mut four = super::PingPong::default();
        four.record(a, b);
        four.record(b, c);
        four.record(c, d);
        assert_eq!(four.alternations(), 1);
        // An intake agent handing to a pair is not part of its ping-pong.
        let mut intake = super::PingPong::default();
        intake.record(c, a);
        for k in 0..12 {
            let (from, to) = if k % 2 == 0 { (a, b) } else { (b, a) };
            intake.record(from, to);
        }
        assert_eq!(intake.agents_in_run(), 2);
        assert_eq!(intake.scaled(12), 12);
        // A handoff to oneself is no handoff between agents.
        grouped.record(d, d);
        assert_eq!(grouped.alternations(), 0);
    }

    #[test]
    fn ping_pong_counts_rounds_of_three_agents() {
        let (a, b, c) = (1, 2, 3);
        let mut round = super::PingPong::default();
        for k in 0..12 {
            let (from, to) = [(a, b), (b, c), (c, a)][k % 3];
            round.record(from, to);
        }
        assert_eq!(round.alternations(), 12);
        assert_eq!(round.idle_legs(), 11);
        // Twelve handoffs are four rounds of three: a pair's eight.
        assert_eq!(round.pair_alternations(), 8);
        assert!(!round.stuck(12, 0));
        assert!(round.stuck(8, 0));
        // A dispatcher handing out work that never comes back is no round.
        let mut fan = super::PingPong::default();
        for k in 0..12 {
            fan.record(a, [b, c][k % 2]);
        }
        assert_eq!(fan.alternations(), 1);
        // Nor a supervisor's round trips with two workers in turn.
        let mut hub = super::PingPong::default();
        for k in 0..12 {
            let w = [b, c][k % 2];
            hub.record(a, w);
            hub.record(w, a);
        }
        assert!(hub.alternations() <= 2, "{}", hub.alternations());
    }

    #[test]
    fn session_stays_small() {
        let size = std::mem::size_of::<super::Session>();
        println!("Session is {size} bytes");
        assert!(size <= 256, "Session grew to {size} bytes; the memory target is 512 B per tracked session in all");
    }

    fn session(cost: f64) -> super::Session {
        let rules = std::sync::Arc::new(super::Resolved::new(crate::policy::Policy::default().resolve("a", "t"), 0));
        let mut s = super::Session::new(None, None, rules, 0);
        s.cost_usd = cost;
        s
    }

    #[test]
    fn a_success_forgives_at_most_that_many_of_its_own_latest_failures() {
        let run = |attempts: &[(u32, bool)], forgive: u32| {
            let mut s = session(0.0);
            for &(op, failed) in attempts {
                super::note_attempt(&mut s, op, failed, forgive);
            }
            format!("{:b}", s.retry_bits)
        };
        // Two failures, then the same call works: both forgiven.
        assert_eq!(run(&[(7, true), (7, true), (7, false)], 3), "0");
        // Five failures: the newest three are forgiven, the oldest two stay.
        assert_eq!(run(&[(7, true); 5].iter().copied().chain([(7, false)]).collect::<Vec<_>>(), 3), "110000");
        // Another operation's success forgives nothing.
        assert_eq!(run(&[(7, true), (7, true), (8, false)], 3), "110");
        // Failures of an earlier operation stay counted once another fails.
        assert_eq!(run(&[(7, true), (8, true), (8, false)], 3), "100");
        // 0 turns forgiving off.
        assert_eq!(run(&[(7, true), (7, false)], 0), "10");
    }

    #[test]
    fn session_table_keeps_ids_apart_when_their_low_hash_halves_collide() {
        let mut t = super::SessionTable::default();
        let (a, b, c) = ((7, 1), (7, 2), (7, 3));
        t.insert_hashed(a, session(1.0));
        t.insert_hashed(b, session(2.0));
        t.insert_hashed(c, session(3.0));
        assert_eq!(t.len(), 3);
        let cost = |t: &super::SessionTable, h| t.find_hashed(h).and_then(|i| t.get(i)).map(|s| s.cost_usd);
        assert_eq!((cost(&t, a), cost(&t, b), cost(&t, c)), (Some(1.0), Some(2.0), Some(3.0)));
        // Removing the one in the main index hands it to a collided one.
        assert_eq!(t.remove_hashed(a).map(|s| s.cost_usd), Some(1.0));
        assert_eq!((cost(&t, a), cost(&t, b), cost(&t, c)), (None, Some(2.0), Some(3.0)));
        t.retain(|s| s.cost_usd != 2.0);
        assert_eq!((cost(&t, b), cost(&t, c)), (None, Some(3.0)));
        assert_eq!(t.len(), 1);
        // Freed slots are reused.
        let slot = t.insert_hashed((9, 9), session(4.0));
        assert!(slot < 3, "slot {slot} not reused");
        assert_eq!(t.iter().count(), 2);
    }

    /// The scan by hand, as it was written before `recurrence`.
    fn recurrence_by_hand(r: &super::CallRing, sig: u32, limit: usize) -> super::Recurrence {
        let (mut seen, mut count, mut polls, mut free_polls, mut free_looks, mut counting) = (false, 0, 0, 0, 0, true);
        let (mut span_spent, mut spent_after) = (false, false);
        for x in r.iter_newest_first().take(limit) {
            if x.sig == sig {
                seen = true;
                count += u32::from(counting);
                polls += u32::from(counting && x.polled());
                free_polls += u32::from(counting && x.waited() && !x.spent());
                free_looks += u32::from(counting && x.common() && !x.waited() && !x.spent());
                if counting {
                    span_spent = spent_after;
                }
            } else if x.novel() {
                counting = false;
            }
            spent_after |= counting && x.spent();
        }
        super::Recurrence { seen, count, polls, free_polls, free_looks, span_spent }
    }

    #[test]
    fn recurrence_matches_a_plain_scan_of_the_window() {
        let mut r = super::CallRing::default();
        let mut x: u32 = 12345;
        for step in 0..400u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let mut c = super::Call::new(x % 7, 0);
            if x % 3 == 0 {
                c.mark_novel();
            }
            if x % 5 == 0 {
                c.mark_polled();
            }
            if x % 4 != 0 {
                c.mark_spent();
            }
            if x % 11 == 0 {
                c.mark_common();
            }
            for limit in [0, 1, 5, 11, 12, 13, 40] {
                assert_eq!(r.recurrence(x % 7, limit), recurrence_by_hand(&r, x % 7, limit), "step {step} limit {limit}");
            }
            r.push(c, 12);
        }
    }

    fn sigs(r: &super::CallRing) -> Vec<u32> {
        r.iter_newest_first().map(|c| c.sig).collect()
    }

    #[test]
    fn nth_newest_agrees_with_the_newest_first_iterator() {
        let mut r = super::CallRing::default();
        for n in 0..30u32 {
            r.push(super::Call::new(n, 1), 7);
            let all: Vec<u32> = r.iter_newest_first().map(|c| c.sig).collect();
            let nth: Vec<u32> = (0..10).map_while(|i| r.nth_newest(i)).map(|c| c.sig).collect();
            assert_eq!(nth, all, "after {} pushes", n + 1);
        }
    }

    #[test]
    fn call_ring_is_newest_first_while_filling_wrapping_and_resized() {
        let mut r = super::CallRing::default();
        assert!(sigs(&r).is_empty());
        for i in 1..=3 {
            r.push(super::Call::new(i, 0), 5);
        }
        assert_eq!(sigs(&r), [3, 2, 1]);
        for i in 4..=12 {
            r.push(super::Call::new(i, 0), 5);
        }
        assert_eq!(sigs(&r), [12, 11, 10, 9, 8]);
        // A policy change shrinks the window: the newest calls stay.
        r.push(super::Call::new(13, 0), 3);
        assert_eq!(sigs(&r), [13, 12, 11]);
        // And grows it: the ring fills up again from there.
        r.push(super::Call::new(14, 0), 6);
        r.push(super::Call::new(15, 0), 6);
        r.push(super::Call::new(16, 0), 6);
        r.push(super::Call::new(17, 0), 6);
        assert_eq!(sigs(&r), [17, 16, 15, 14, 13, 12]);
    }
}
