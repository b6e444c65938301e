//! librdkafka's voice in our logs: its log lines and client errors go to
//! `tracing`, with a client error that repeats folded into one line per
//! interval.
//!
//! Owns: the level mapping and repeat folding (`RepeatGate`) of one client,
//! `LogContext`: the producer's `ClientContext`, and what the consumer's
//! context speaks through. Does not own: rebalance handling or statistics
//! (`pipeline::RebalanceContext`).
//!
//! Why fold: with the brokers down librdkafka reports `AllBrokersDown`
//! and `BrokerTransportFailure` several times a second from each client,
//! about 140 lines in the ten seconds before start-up gives up, burying
//! the one line that says what is wrong.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError as RdError;

/// How long a repeated client error stays quiet after it was logged.
pub const REPEAT_INTERVAL: Duration = Duration::from_secs(30);

/// Distinct errors remembered; past this the memory starts over (a flood of
/// distinct texts is then logged in full rather than growing the map).
const MAX_KEYS: usize = 64;

/// Decides which occurrences of a repeated message are logged: the first,
/// then at most one per `interval`, carrying how many were held back.
#[derive(Debug)]
pub struct RepeatGate {
    interval: Duration,
    seen: Mutex<HashMap<String, Held>>,
}

#[derive(Debug, Clone, Copy)]
struct Held {
    logged_at: Instant,
    suppressed: u64,
}

impl Default for RepeatGate {
    fn default() -> Self {
        RepeatGate::new(REPEAT_INTERVAL)
    }
}

impl RepeatGate {
    pub fn new(interval: Duration) -> RepeatGate {
        RepeatGate { interval, seen: Mutex::new(HashMap::new()) }
    }

    /// `Some(n)` when this occurrence of `key` is to be logged, `n` being
    /// how many occurrences were held back since it was last logged.
    pub fn admit(&self, key: &str, now: Instant) -> Option<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = seen.get_mut(key) {
            if now.saturating_duration_since(held.logged_at) < self.interval {
                held.suppressed += 1;
                return None;
            }
            let suppressed = held.suppressed;
            *held = Held { logged_at: now, suppressed: 0 };
            return Some(suppressed);
        }
        if seen.len() >= MAX_KEYS {
            seen.clear();
        }
        seen.insert(key.to_owned(), Held { logged_at: now, suppressed: 0 });
        Some(0)
    }
}

/// How one client (the producer, or the consumer inside its own context)
/// speaks: librdkafka's log lines and client errors to `tracing`, repeats
/// folded by its own gate.
pub struct LogContext {
    client: &'static str,
    gate: RepeatGate,
}

impl LogContext {
    pub fn new(client: &'static str) -> LogContext {
        LogContext { client, gate: RepeatGate::default() }
    }

    /// Logs a client error unless the same error was logged less than the
    /// gate's interval ago. The reason is not part of what repeats: it
    /// carries counts and timings ("1/1 brokers are down", "after 0ms in
    /// state CONNECT") that change with every report.
    pub fn forward_error(&self, error: &RdError, reason: &str) {
        let (client, text) = (self.client, error.to_string());
        let Some(repeated) = self.gate.admit(&format!("error\u{0}{text}"), Instant::now()) else { return };
        if repeated == 0 {
            tracing::warn!(client, error = %text, reason, "kafka client error");
        } else {
            tracing::warn!(client, error = %text, reason, repeated, "kafka client error (repeated since last logged)");
        }
    }

    /// Forwards one librdkafka log line. Warnings and errors that repeat (a
    /// refused connection every second while a broker is down) are folded
    /// like client errors, keyed by their text without its closing
    /// parenthesis, where librdkafka puts timings and its own suppression
    /// counts.
    pub fn forward_log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        use RDKafkaLogLevel::{Alert, Critical, Debug, Emerg, Error, Info, Notice, Warning};
        // Pass-through properties go to both clients on purpose; librdkafka
        // warns about the half that does not apply to each.
        let level = if fac == "CONFWARN" && (message.contains("is a consumer property") || message.contains("is a producer property")) {
            Debug
        } else {
            level
        };
        let repeats = || {
            let stem = match message.rfind(" (") {
                Some(i) if message.ends_with(')') => &message[..i],
                _ => message,
            };
            self.gate.admit(&format!("log\u{0}{fac}\u{0}{stem}"), Instant::now()).is_none()
        };
        match level {
            Emerg | Alert | Critical | Error => {
                if !repeats() {
                    tracing::error!(facility = fac, "librdkafka: {message}")
                }
            }
            Warning => {
                if !repeats() {
                    tracing::warn!(facility = fac, "librdkafka: {message}")
                }
            }
            Notice | Info => tracing::info!(facility = fac, "librdkafka: {message}"),
            Debug => tracing::debug!(facility = fac, "librdkafka: {message}"),
        }
    }
}

impl ClientContext for LogContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.forward_log(level, fac, message);
    }

    /// Producer statistics (a pass-through `statistics.interval.ms` reaches
    /// both clients) are not used; rdkafka's default would log them all.
    fn stats_raw(&self, _statistics: &[u8]) {}

    fn error(&self, error: RdError, reason: &str) {
        self.forward_error(&error, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_logged_once_per_interval_with_the_count_held_back() {
        let gate = RepeatGate::new(Duration::from_secs(30));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_millis(s);
        assert_eq!(gate.admit("down", at(0)), Some(0));
        assert_eq!(gate.admit("down", at(100)), None);
        assert_eq!(gate.admit("down", at(29_999)), None);
        // Another error is not held back by the first.
        assert_eq!(gate.admit("refused", at(29_999)), Some(0));
        assert_eq!(gate.admit("down", at(30_000)), Some(2));
        assert_eq!(gate.admit("down", at(30_001)), None);
        assert_eq!(gate.admit("down", at(70_000)), Some(1));
    }

    #[test]
    fn distinct_keys_past_the_cap_are_all_logged() {
        let gate = RepeatGate::new(Duration::from_secs(30));
        let now = Instant::now();
        for i in 0..(3 * MAX_KEYS) {
            assert_eq!(gate.admit(&format!("e{i}"), now), Some(0));
        }
        assert!(gate.seen.lock().unwrap_or_else(PoisonError::into_inner).len() <= MAX_KEYS);
    }
}
