//! What the kill topic says this consumer group already killed.
//!
//! Owns: reading the tail of the kill topic (no group membership, no
//! commits) on partition assignment, and picking out the session kills
//! this group emitted (header `runaway.group`). Why: after a crash or a
//! rebalance the state rebuilt from the events topic can decide a session's
//! kill at another event than the instance that emitted it did; without
//! this the session would be killed twice under two signal ids, and a hook
//! deduping by id would act twice (contract §2: killed at most once).
//! Kills of another group (a shadow deployment, a replay under a new
//! group) are not ours to honour, and neither are signals of releases
//! that did not stamp the header.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{Message, Offset, TopicPartitionList};

use super::clients::client_error;
use super::KafkaError;

/// Header naming the consumer group whose instance emitted a signal.
pub const GROUP_HEADER: &str = "runaway.group";

/// The sessions killed (scope `session`, action `kill`) by `group`, from
/// the last `per_partition` messages of each partition of `topic`; waits
/// at most `timeout` for them in all.
pub fn sessions_killed_by_group(
    reader: &ClientConfig,
    topic: &str,
    group: &str,
    per_partition: i64,
    timeout: Duration,
) -> Result<Vec<String>, KafkaError> {
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
                    if let Some(session) = session_kill(payload) {
                        killed.push(session);
                    }
                }
            }
            Some(Err(e)) => tracing::warn!(topic, error = %e, "reading the kill topic"),
            None => {}
        }
    }
    Ok(killed)
}

/// The session a signal kills, when it is a session-scope kill.
fn session_kill(payload: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Signal {
        action: Option<String>,
        scope: Option<String>,
        session_id: Option<String>,
    }
    let s: Signal = serde_json::from_slice(payload).ok()?;
    (s.action.as_deref() == Some("kill") && s.scope.as_deref() == Some("session")).then_some(s.session_id).flatten()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_session_kills_name_a_session() {
        let cases: [(&str, Option<&str>); 5] = [
            (r#"{"action":"kill","scope":"session","session_id":"s1","agent_id":"a"}"#, Some("s1")),
            (r#"{"action":"alert","scope":"session","session_id":"s1"}"#, None),
            (r#"{"action":"pause","scope":"agent","agent_id":"a","session_id":"s1"}"#, None),
            (r#"{"action":"kill","scope":"session"}"#, None),
            ("not json", None),
        ];
        for (payload, want) in cases {
            assert_eq!(super::session_kill(payload.as_bytes()).as_deref(), want, "{payload}");
        }
    }
}
