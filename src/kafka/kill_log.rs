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
//! Kills of another group (a shadow deployment, a replay under a new
//! group) are not ours to honour, and neither are signals of releases
//! that did not stamp the header.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::signal::{Action, Scope, Signal};

use super::clients::client_error;
use super::KafkaError;

/// Header naming the consumer group whose instance emitted a signal.
pub const GROUP_HEADER: &str = "runaway.group";

/// At most this many of each kill-topic partition's newest messages are
/// read (each kill found is held until its session is decided again).
pub const TAIL_MESSAGES: i64 = 10_000;

/// The session kills (scope `session`, action `kill`) made by `group`,
/// from the last `per_partition` messages of each partition of `topic`;
/// waits at most `timeout` for them in all.
pub fn session_kills_by_group(
    reader: &ClientConfig,
    topic: &str,
    group: &str,
    per_partition: i64,
    timeout: Duration,
) -> Result<Vec<Signal>, KafkaError> {
    let consumer: BaseConsumer = reader.create().map_err(|e| client_error("kill-topic reader", &e))?;
    let md = consumer.fetch_metadata(Some(topic), timeout).map_err(KafkaError::Client)?;
    let mut tpl = TopicPartitionList::new();
    // Partition → the offset just past its last message.
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
                if ends.get(&m.partition()).is_some_and(|end| m.offset() + 1 >= *end) {
                    ends.remove(&m.partition());
                }
                let ours = m.headers().is_some_and(|h| h.iter().any(|h| h.key == GROUP_HEADER && h.value == Some(group.as_bytes())));
                if let (true, Some(payload)) = (ours, m.payload()) {
                    if let Some(kill) = session_kill(payload) {
                        killed.push(kill);
                    }
                }
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

#[cfg(test)]
mod tests {
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
