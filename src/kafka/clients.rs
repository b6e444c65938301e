//! librdkafka client configuration for Kafka mode: our defaults, the user's
//! pass-through properties (`--kafka key=value`, `[kafka]`), and the few
//! settings correctness depends on, layered in that order.
//!
//! Owns: building the consumer and producer `ClientConfig`s and the
//! `runaway.*` tuning options carried in the same property map. Does not
//! own: creating clients or talking to brokers.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError as RdError;
use rdkafka::types::RDKafkaConfRes;

use crate::config::KafkaConfig;

use super::align::AlignOptions;
use super::KafkaError;

/// Tuning of the Kafka shell itself, read from `runaway.*` keys of the
/// property map (they are not passed to librdkafka).
#[derive(Debug, Clone, PartialEq)]
pub struct ShellOptions {
    /// Per partition, how many messages before the committed offset are
    /// re-read on assignment to rebuild detector state (no output).
    pub replay_messages: i64,
    /// Checkpoint (cut the archive where the offsets are taken, await deliveries, store offsets)
    /// after this many messages...
    pub checkpoint_messages: u64,
    /// ...or after this long with unacknowledged work.
    pub checkpoint_interval: Duration,
    /// Bound of start-up metadata checks and of blocking broker calls.
    pub broker_timeout: Duration,
    /// How long shutdown and revocation wait for outstanding deliveries.
    pub drain_timeout: Duration,
    /// The producer's `message.max.bytes`: a dead letter's copy of a larger
    /// record is cut to fit (the record itself stays in the events topic).
    pub message_max_bytes: usize,
    /// Event-time alignment of the partitions read (`align`).
    pub align: AlignOptions,
    /// Whether a partition without a committed offset is read from its end
    /// (`auto.offset.reset=latest`): it then has no backlog to wait for.
    pub starts_at_end: bool,
}

impl Default for ShellOptions {
    fn default() -> Self {
        ShellOptions {
            replay_messages: 100_000,
            checkpoint_messages: 2_000,
            checkpoint_interval: Duration::from_millis(200),
            broker_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(30),
            message_max_bytes: LIBRDKAFKA_MESSAGE_MAX_BYTES,
            align: AlignOptions::default(),
            starts_at_end: false,
        }
    }
}

const SHELL_PREFIX: &str = "runaway.";

/// librdkafka's default `message.max.bytes`.
const LIBRDKAFKA_MESSAGE_MAX_BYTES: usize = 1_000_000;

/// Settings at-least-once processing relies on: offsets are stored by us
/// after durability and committed by the auto-committer, never earlier.
const CONSUMER_FIXED: &[(&str, &str)] = &[("enable.auto.commit", "true"), ("enable.auto.offset.store", "false")];

/// Defaults a user may override.
const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("auto.offset.reset", "earliest"),
    ("enable.partition.eof", "false"),
    ("allow.auto.create.topics", "false"),
    // Low broker wait keeps event→kill latency small at low rates.
    ("fetch.wait.max.ms", "10"),
    // A partition whose prefetch queue filled up is fetched again after
    // this long (librdkafka's default, 1000 ms, stalled a partition for up
    // to a second once we had drained its queue during a backlog).
    ("fetch.queue.backoff.ms", "10"),
    ("auto.commit.interval.ms", "1000"),
    // Consumer lag (`runaway_consumer_lag`, `/readyz`) comes from these
    // statistics; 0 turns them off, and with them the lag figures and the
    // caught-up check of `/readyz`.
    ("statistics.interval.ms", "5000"),
];

const PRODUCER_DEFAULTS: &[(&str, &str)] = &[("linger.ms", "1")];

/// Kill signals must be neither lost nor duplicated by producer retries.
const PRODUCER_FIXED: &[(&str, &str)] = &[("enable.idempotence", "true"), ("acks", "all")];

/// The librdkafka properties and shell options of one run.
#[derive(Debug, Clone)]
pub struct ClientConfigs {
    pub consumer: ClientConfig,
    pub producer: ClientConfig,
    pub shell: ShellOptions,
}

/// Splits the user's properties into librdkafka ones and `runaway.*` shell
/// options, and layers defaults < user < fixed for each client.
pub fn build(cfg: &KafkaConfig) -> Result<ClientConfigs, KafkaError> {
    let (user, mut shell) = split_properties(&cfg.properties)?;
    let mut consumer = ClientConfig::new();
    consumer.set("bootstrap.servers", &cfg.brokers).set("group.id", &cfg.group);
    let mut producer = ClientConfig::new();
    producer.set("bootstrap.servers", &cfg.brokers);
    for (k, v) in CONSUMER_DEFAULTS {
        consumer.set(*k, *v);
    }
    for (k, v) in PRODUCER_DEFAULTS {
        producer.set(*k, *v);
    }
    for (k, v) in &user {
        consumer.set(k, v);
        producer.set(k, v);
    }
    for (key, given, used) in overridden_in(&user) {
        tracing::warn!(key, given = %given, used, "Kafka property ignored: at-least-once processing needs this value");
    }
    for (k, v) in CONSUMER_FIXED {
        consumer.set(*k, *v);
    }
    for (k, v) in PRODUCER_FIXED {
        producer.set(*k, *v);
    }
    // `group.id` belongs to --group; a pass-through one would split config.
    consumer.set("group.id", &cfg.group);
    shell.starts_at_end = matches!(consumer.get("auto.offset.reset"), Some("latest" | "largest" | "end"));
    shell.message_max_bytes = producer.get("message.max.bytes").and_then(|v| v.parse().ok()).unwrap_or(LIBRDKAFKA_MESSAGE_MAX_BYTES);
    // Producer-only and consumer-only keys given once for both clients
    // would make librdkafka log a warning per client; that is harmless.
    Ok(ClientConfigs { consumer, producer, shell })
}

/// Builds both clients' settings and has librdkafka check every property
/// (names, value types, enum values) without creating a client: a
/// configuration object is filled in, nothing connects, no thread starts.
/// `config check` and `watch` both go through this, so they refuse alike.
pub fn validate(cfg: &KafkaConfig) -> Result<ClientConfigs, KafkaError> {
    let clients = build(cfg)?;
    for (role, c) in [("consumer", &clients.consumer), ("producer", &clients.producer)] {
        c.create_native_config().map_err(|e| client_error(role, &e))?;
    }
    Ok(clients)
}

/// A client set-up error that never shows a property's value: librdkafka's
/// text for a bad property quotes it (`sasl.pasword hunter2` for a mistyped
/// password key), so only the key and what is wrong with it are said.
pub fn client_error(role: &str, e: &RdError) -> KafkaError {
    match e {
        RdError::ClientConfig(code, _, key, _) => {
            let what = if *code == RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN {
                "no such librdkafka property (see librdkafka's CONFIGURATION.md)"
            } else {
                "invalid value for this librdkafka property (value withheld)"
            };
            KafkaError::Config(format!("{role}: property `{key}`: {what}"))
        }
        other => KafkaError::Config(format!("{role}: {other}")),
    }
}

/// The properties the user gave that at-least-once processing overrides:
/// (key, value given, value used). `config check` warns of each, as
/// `watch` does at start-up.
pub fn overridden(cfg: &KafkaConfig) -> Vec<(&'static str, String, &'static str)> {
    match split_properties(&cfg.properties) {
        Ok((user, _)) => overridden_in(&user),
        Err(_) => Vec::new(),
    }
}

/// [`overridden`] of the user's librdkafka properties, split already.
fn overridden_in(user: &BTreeMap<String, String>) -> Vec<(&'static str, String, &'static str)> {
    CONSUMER_FIXED
        .iter()
        .chain(PRODUCER_FIXED)
        .filter_map(|&(key, fixed)| user.get(key).filter(|v| v.as_str() != fixed).map(|v| (key, v.clone(), fixed)))
        .collect()
}

fn split_properties(props: &BTreeMap<String, String>) -> Result<(BTreeMap<String, String>, ShellOptions), KafkaError> {
    let mut user = BTreeMap::new();
    let mut shell = ShellOptions::default();
    for (k, v) in props {
        let Some(name) = k.strip_prefix(SHELL_PREFIX) else {
            user.insert(k.clone(), v.clone());
            continue;
        };
        let num = |min: u64| -> Result<u64, KafkaError> {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n >= min)
                .ok_or_else(|| KafkaError::Config(format!("property {k}={v:?} must be an integer ≥ {min}")))
        };
        match name {
            "replay.messages" => shell.replay_messages = num(0)?.min(i64::MAX as u64) as i64,
            "checkpoint.messages" => shell.checkpoint_messages = num(1)?,
            "checkpoint.ms" => shell.checkpoint_interval = Duration::from_millis(num(1)?),
            "broker.timeout.ms" => shell.broker_timeout = Duration::from_millis(num(1)?),
            "drain.timeout.ms" => shell.drain_timeout = Duration::from_millis(num(1)?),
            "align" => {
                shell.align.enabled = match v.trim().to_ascii_lowercase().as_str() {
                    "true" | "on" | "1" => true,
                    "false" | "off" | "0" => false,
                    _ => return Err(KafkaError::Config(format!("property {k}={v:?} must be true or false"))),
                }
            }
            "align.max.hold.ms" => shell.align.max_hold = Duration::from_millis(num(1)?),
            "align.max.records" => shell.align.max_held = usize::try_from(num(1)?).unwrap_or(usize::MAX),
            _ => {
                return Err(KafkaError::Config(format!(
                    "unknown property {k}; runaway.* properties are replay.messages, checkpoint.messages, \
                     checkpoint.ms, broker.timeout.ms, drain.timeout.ms, align, \
                     align.max.hold.ms, align.max.records"
                )))
            }
        }
    }
    Ok((user, shell))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(props: &[(&str, &str)]) -> KafkaConfig {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            group: "g".into(),
            topic: "t".into(),
            kill_topic: "k".into(),
            dlq_topic: "d".into(),
            properties: props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn layering_defaults_user_fixed() {
        let c = build(&cfg(&[
            ("security.protocol", "SASL_SSL"),
            ("fetch.wait.max.ms", "50"),
            ("enable.auto.offset.store", "true"),
            ("acks", "1"),
            ("group.id", "other"),
            ("runaway.replay.messages", "7"),
            ("runaway.align", "false"),
            ("runaway.align.max.records", "10"),
        ]))
        .unwrap();
        assert_eq!(c.consumer.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.producer.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.consumer.get("fetch.wait.max.ms"), Some("50"));
        assert_eq!(c.consumer.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.producer.get("acks"), Some("all"));
        assert_eq!(c.producer.get("enable.idempotence"), Some("true"));
        assert_eq!(c.consumer.get("group.id"), Some("g"));
        assert_eq!(c.consumer.get("runaway.replay.messages"), None);
        assert_eq!(c.shell.replay_messages, 7);
        assert!(!c.shell.align.enabled());
        assert_eq!(c.shell.align.max_held, 10);
        assert_eq!(c.consumer.get("runaway.align"), None);
        assert!(!c.shell.starts_at_end, "earliest by default");
        assert!(build(&cfg(&[("auto.offset.reset", "latest")])).unwrap().shell.starts_at_end);
    }

    /// librdkafka checks properties without a client; errors name the key
    /// and never the value.
    #[test]
    fn properties_are_checked_locally_and_values_withheld() {
        type Props<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Props, Option<&str>)] = &[
            (&[("sasl.pasword", "hunter2")], Some("property `sasl.pasword`: no such librdkafka property")),
            (&[("linger.ms", "abc")], Some("property `linger.ms`: invalid value")),
            (&[("security.protocol", "hunter2")], Some("property `security.protocol`: invalid value")),
            (&[("nonexistent.prop", "1")], Some("`nonexistent.prop`: no such")),
            (&[("linger.ms", "5"), ("security.protocol", "SASL_SSL"), ("sasl.password", "hunter2")], None),
        ];
        for (props, want) in cases {
            match (validate(&cfg(props)), want) {
                (Ok(_), None) => {}
                (Err(e), Some(part)) => {
                    let msg = e.to_string();
                    assert!(msg.contains(part) && !msg.contains("hunter2") && !msg.contains("abc"), "{props:?}: {msg}");
                }
                (got, _) => panic!("{props:?}: {:?}", got.map(|_| ())),
            }
        }
    }

    #[test]
    fn unknown_shell_option_is_an_error() {
        assert!(matches!(build(&cfg(&[("runaway.nope", "1")])), Err(KafkaError::Config(_))));
        assert!(matches!(build(&cfg(&[("runaway.checkpoint.ms", "x")])), Err(KafkaError::Config(_))));
    }
}
