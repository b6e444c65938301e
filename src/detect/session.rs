//! Per-session detection state: the few bounded rings and counters each
//! session-scope detector needs, kept small because a fleet has millions.
//!
//! Owns: the session-local loop signatures (repeat, cycle), retry bits,
//! cost level and spike history, context-growth run. Does not own:
//! baselines or anything shared across sessions (see `detect`).

use std::sync::Arc;

use super::Resolved;

/// One remembered call: a 32-bit signature of (kind, tool, args_hash) and
/// the interned id of its tool (for evidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    pub sig: u32,
    /// Interned tool id; the top bit marks a call new to the session's window.
    tool: u32,
}

const NOVEL: u32 = 1 << 31;

impl Call {
    pub fn new(sig: u32, tool_id: u32) -> Call {
        Call { sig, tool: tool_id & !NOVEL }
    }

    pub fn tool_id(self) -> u32 {
        self.tool & !NOVEL
    }

    /// True when no earlier call in the window had this signature.
    pub fn novel(self) -> bool {
        self.tool & NOVEL != 0
    }

    pub fn mark_novel(&mut self) {
        self.tool |= NOVEL;
    }
}

/// Bounded ring of the most recent calls with a tool and arguments.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallRing {
    calls: Vec<Call>,
    next: u16,
    cap: u16,
}

impl CallRing {
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
        let n = self.calls.len();
        let start = if n == 0 { 0 } else { (self.next as usize + n - 1) % n };
        (0..n).map(move |i| self.calls[(start + n - i) % n])
    }

    pub fn heap_bytes(&self) -> usize {
        self.calls.capacity() * std::mem::size_of::<Call>()
    }
}

/// Alternation of handoffs between two agents in one conversation.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PingPong {
    /// Hashes of the last handoff's source and target agents.
    pub last_from: u64,
    pub last_to: u64,
    pub alternations: u32,
}

impl PingPong {
    /// Records a handoff and returns how many consecutive alternating
    /// handoffs between the same two agents have now been seen.
    pub fn record(&mut self, from: u64, to: u64) -> u32 {
        if self.alternations > 0 && from == self.last_to && to == self.last_from {
            self.alternations += 1;
        } else {
            self.alternations = 1;
        }
        self.last_from = from;
        self.last_to = to;
        self.alternations
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
    pub actions: u32,
    pub last_ts: i64,
    /// Shard (e.g. Kafka partition) the session's events come from.
    pub shard: u32,
    pub killed: bool,
    /// Reasons already alerted on (bit per `Reason`).
    pub alerted: u16,
    pub children: u32,
    /// Status bits of recent actions, newest in bit 0: 1 = error/retry.
    pub retry_bits: u64,
    /// Spike flags of recent LLM calls, newest in bit 0.
    pub spike_bits: u64,
    /// Slow moving level of this session's LLM call cost (USD); 0 = none yet.
    pub level: f32,
    /// The same for cost per token (USD).
    pub token_level: f32,
    pub llm_calls: u32,
    /// Context tokens of the previous LLM call and the run of increases ending at it.
    pub last_context: u32,
    /// Context tokens of the last 8 LLM calls (ring), newest at `ctx_next - 1`.
    pub ctx: [u32; 8],
    pub ctx_next: u8,
    pub growth_run: u32,
    /// The latest context was an outlier against its baseline (not learned).
    pub context_outlier: bool,
    /// Signature of the call the latest LLM call requested, until executed.
    pub pending_call: Option<u32>,
    pub calls: CallRing,
    pub ping_pong: PingPong,
}

impl Session {
    pub fn new(
        task_id: Option<Arc<str>>,
        tenant: Option<Arc<str>>,
        rules: Arc<Resolved>,
        shard: u32,
    ) -> Session {
        Session {
            task_id,
            tenant,
            rules,
            ids: (0, 0),
            cost_usd: 0.0,
            actions: 0,
            last_ts: i64::MIN,
            shard,
            killed: false,
            alerted: 0,
            children: 0,
            retry_bits: 0,
            spike_bits: 0,
            level: 0.0,
            token_level: 0.0,
            llm_calls: 0,
            last_context: 0,
            ctx: [0; 8],
            ctx_next: 0,
            growth_run: 0,
            context_outlier: false,
            pending_call: None,
            calls: CallRing::default(),
            ping_pong: PingPong::default(),
        }
    }

    /// Remembers an LLM call's context and returns how much it grew over the
    /// last `steps` calls (0 when fewer were seen).
    pub fn push_context(&mut self, context: u32, steps: usize) -> u64 {
        let steps = steps.clamp(2, 8);
        let i = self.ctx_next as usize % 8;
        self.ctx[i] = context;
        self.ctx_next = ((i + 1) % 8) as u8;
        let back = self.ctx[(i + 8 - (steps - 1)) % 8];
        if back == 0 {
            0
        } else {
            (context as u64).saturating_sub(back as u64)
        }
    }

    /// Heap bytes owned by this session alone (shared strings excluded).
    pub fn heap_bytes(&self) -> usize {
        self.calls.heap_bytes()
    }
}

/// Ones among the lowest `n` bits.
pub(crate) fn recent_ones(bits: u64, n: u32) -> u32 {
    let mask = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    (bits & mask).count_ones()
}

#[cfg(test)]
mod tests {
    #[test]
    fn session_stays_small() {
        let size = std::mem::size_of::<super::Session>();
        println!("Session is {size} bytes");
        assert!(size <= 256, "Session grew to {size} bytes; the memory target is 512 B per tracked session in all");
    }
}
