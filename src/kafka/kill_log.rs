//! What the kill topic says this consumer group already killed.
//!
//! Owns: reading the tail of the kill topic (no group membership, no
//! commits) on partition assignment, and picking out the session kills
//! this group emitted (header `runaway.group`). Why: after a crash or a
//! rebalance the state rebuilt from the events topic can decide a session's
//! kill at another event than the instance that emitted it did; without
//! this the session would be killed twice under two signal ids, and a hook
//! deduping by id would act twice (contract §2: killed at most once). The
//! pipeline then withholds such a kill's signal; the detector's state keeps
//! the decision (the session's later events count after its kill, a tree
//! it stopped stays stopped), as it would have had it read the events once.
//! The same holds for agent pauses and fleet throttles and pauses: a
//! rebuilt window can cross its budget at another event, and while the
//! earlier signal's `resume_at` has not come the crossing is the same
//! one. Kills of another group (a shadow deployment, a replay under a new
//! group) are not ours to honour, and neither are signals of releases
//! that did not stamp the header.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::Headers;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::signal::{Action, Scope, Signal};

use super::client_log::LogContext;
use super::clients::client_error;
use super::KafkaError;

/// Header naming the consumer group whose instance emitted a signal.
pub const GROUP_HEADER: &str = "runaway.group";

/// At most this many of each kill-topic partition's newest messages are
/// read (each kill found is held until its session is decided again).
pub const TAIL_MESSAGES: i64 = 10_000;

/// The kill-topic reader's voice: librdkafka's, except the end of a
/// partition, which is where the read means to stop (rdkafka's default
/// context logged it as an `ERROR` on every start with signals in the
/// topic, tripping alerts on error lines).
struct TailReaderContext(LogContext);

impl ClientContext for TailReaderContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.0.forward_log(level, fac, message);
    }

    fn stats_raw(&self, _statistics: &[u8]) {}

    fn error(&self, error: RdError, reason: &str) {
        // librdkafka reports it as a global error ("Global error:
        // PartitionEOF (Broker: No more messages)").
        if !matches!(error, RdError::PartitionEOF(_) | RdError::Global(RDKafkaErrorCode::PartitionEOF)) {
            self.0.forward_error(&error, reason);
        }
    }
}

impl ConsumerContext for TailReaderContext {}

/// The session kills (scope `session`, action `kill`) and the budget
/// holds (agent or fleet `pause`/`throttle` with a `resume_at`) made by
/// `group`, from the last `per_partition` messages of each partition of
/// `topic`; waits at most `timeout` for them in all.
pub fn decisions_by_group(
    reader: &ClientConfig,
    topic: &str,
    group: &str,
    per_partition: i64,
    timeout: Duration,
) -> Result<Vec<Signal>, KafkaError> {
    let consumer: BaseConsumer<TailReaderContext> = reader
        .create_with_context(TailReaderContext(LogContext::new("kill-topic reader")))
        .map_err(|e| client_error("kill-topic reader", &e))?;
    let md = consumer.fetch_metadata(Some(topic), timeout).map_err(KafkaError::Client)?;
    let mut tpl = TopicPartitionList::new();
    // Partition → the offset just past its last message as the broker
    // reported it before the read (partitions leave at their end-of-
    // partition event, not at that offset: it can be short).
    let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
    for p in md.topics().iter().filter(|t| t.name() == topic).flat_map(|t| t.partitions()) {
        let (low, high) = consumer.fetch_watermarks(topic, p.id(), timeout).map_err(KafkaError::Client)?;
        if high > low {
            let from = low.max(high.saturating_sub(per_partition));
            tpl.add_partition_offset(topic, p.id(), Offset::Offset(from)).map_err(KafkaError::Client)?;
            ends.insert(p.id(), high);
        }
    }
    let mut killed = Vec::new();
    if ends.is_empty() {
        return Ok(killed);
    }
    consumer.assign(&tpl).map_err(KafkaError::Client)?;
    let deadline = Instant::now() + timeout;
    while !ends.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            tracing::warn!(
                topic,
                partitions_unread = ends.len(),
                "kill topic not read to its end in time; a session killed before the hand-over may be killed again"
            );
            break;
        }
        match consumer.poll(left.min(Duration::from_millis(200))) {
            Some(Ok(m)) => {
                let ours = m.headers().is_some_and(|h| h.iter().any(|h| h.key == GROUP_HEADER && h.value == Some(group.as_bytes())));
                if let (true, Some(payload)) = (ours, m.payload()) {
                    if let Some(decision) = session_kill(payload).or_else(|| budget_hold(payload)) {
                        killed.push(decision);
                    }
                }
            }
            // Read to its end (the reader asks for end-of-partition events).
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                ends.remove(&p);
            }
            Some(Err(e)) => tracing::warn!(topic, error = %e, "reading the kill topic"),
            None => {}
        }
    }
    Ok(killed)
}

/// The signal, when it is a session-scope kill of a named session.
fn session_kill(payload: &[u8]) -> Option<Signal> {
    let mut s: Signal = serde_json::from_slice(payload).ok()?;
    if s.action != Action::Kill || s.scope != Scope::Session || s.session_id.is_none() {
        return None;
    }
    // Not on the wire: the archive partitions the signal by it.
    s.event_ts_ms = crate::event::parse_rfc3339_ms(&s.event_ts)?;
    Some(s)
}

/// The signal, when it is an agent or fleet pause or throttle that says
/// until when it holds (`evidence.resume_at`).
fn budget_hold(payload: &[u8]) -> Option<Signal> {
    let mut s: Signal = serde_json::from_slice(payload).ok()?;
    if !matches!(s.action, Action::Pause | Action::Throttle) || s.scope == Scope::Session {
        return None;
    }
    resume_at_ms(&s)?;
    s.event_ts_ms = crate::event::parse_rfc3339_ms(&s.event_ts)?;
    Some(s)
}

/// When a pause or throttle ends (`evidence.resume_at`), in epoch ms.
pub fn resume_at_ms(s: &Signal) -> Option<i64> {
    crate::event::parse_rfc3339_ms(s.evidence.get("resume_at")?.as_str()?)
}

/// Whether `new`, decided by the state rebuilt after a hand-over, is
/// `earlier`'s crossing decided again: the same hold (scope, agent or
/// fleet, action, reason) decided before `earlier`'s `resume_at` came.
pub fn same_hold(earlier: &Signal, new: &Signal) -> bool {
    earlier.scope == new.scope
        && earlier.key() == new.key()
        && earlier.action == new.action
        && earlier.reason == new.reason
        && resume_at_ms(earlier).is_some_and(|end| new.event_ts_ms < end)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hold_decided_again_before_the_earlier_one_ends_is_the_same_hold() {
        let hold = |id: &str, action: &str, scope: &str, agent: &str, ts: &str, resume: &str| {
            let v = serde_json::json!({"v": 1, "signal_id": id, "action": action, "scope": scope, "agent_id": agent,
                "reason": if scope == "fleet" { "fleet_budget" } else { "agent_budget" }, "trigger_event_id": "e1", "event_ts": ts,
                "session_cost_usd": 1.0, "session_actions": 3, "evidence": {"resume_at": resume},
                "policy_id": "default/agent_budget", "policy_version": "builtin-21", "message": "m"});
            super::budget_hold(v.to_string().as_bytes()).expect("a hold")
        };
        let earlier = hold("sig-1", "pause", "agent", "a1", "2026-01-01T00:10:00.000Z", "2026-01-01T01:00:00.000Z");
        let again = hold("sig-2", "pause", "agent", "a1", "2026-01-01T00:12:00.000Z", "2026-01-01T01:02:00.000Z");
        let after = hold("sig-3", "pause", "agent", "a1", "2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z");
        let other_agent = hold("sig-4", "pause", "agent", "a2", "2026-01-01T00:12:00.000Z", "2026-01-01T01:02:00.000Z");
        let throttle = hold("sig-5", "throttle", "fleet", "a1", "2026-01-01T00:12:00.000Z", "2026-01-01T01:02:00.000Z");
        let short = hold("sig-6", "pause", "agent", "a1", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.500Z");
        assert_eq!(super::resume_at_ms(&short), Some(1_767_225_602_500));
        assert!(super::same_hold(&earlier, &again));
        assert!(!super::same_hold(&earlier, &after), "a crossing once the earlier hold ended is a new one");
        assert!(!super::same_hold(&earlier, &other_agent));
        assert!(!super::same_hold(&earlier, &throttle));
        let session_kill = r#"{"v":1,"signal_id":"s","action":"kill","scope":"session","session_id":"s1","reason":"loop_repeat","trigger_event_id":"e","event_ts":"2026-01-01T00:00:01.000Z","session_cost_usd":1.0,"session_actions":3,"evidence":{},"policy_id":"p","policy_version":"v","message":"m"}"#;
        assert!(super::budget_hold(session_kill.as_bytes()).is_none());
    }

    #[test]
    fn only_session_kills_name_a_session() {
        let signal = |action: &str, scope: &str, session: Option<&str>| {
            let mut v = serde_json::json!({"v": 1, "signal_id": "sig-1", "action": action, "scope": scope, "agent_id": "a",
                "reason": "loop_repeat", "trigger_event_id": "e1", "event_ts": "2026-01-01T00:00:01.000Z", "session_cost_usd": 1.0,
                "session_actions": 3, "evidence": {}, "policy_id": "default/loop_repeat", "policy_version": "builtin-20", "message": "m"});
            if let Some(s) = session {
                v["session_id"] = s.into();
            }
            v.to_string()
        };
        let cases: [(String, Option<&str>); 5] = [
            (signal("kill", "session", Some("s1")), Some("s1")),
            (signal("alert", "session", Some("s1")), None),
            (signal("pause", "agent", Some("s1")), None),
            (signal("kill", "session", None), None),
            ("not json".to_string(), None),
        ];
        for (payload, want) in cases {
            let got = super::session_kill(payload.as_bytes());
            assert_eq!(got.as_ref().and_then(|s| s.session_id.as_deref()), want, "{payload}");
            if let Some(s) = got {
                assert_eq!(s.event_ts_ms, 1_767_225_601_000, "event time parsed for the archive");
            }
        }
    }
}
