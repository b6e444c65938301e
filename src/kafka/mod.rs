//! Kafka mode of `runaway watch` (contract §4): a consumer group on the
//! events topic, signals to the kill topic, bad records to the dead-letter
//! topic, at-least-once.
//!
//! Owns: the Kafka shell: client set-up and start-up checks, the run loop,
//! checkpoints and shutdown. Decisions are the engine's (records are
//! decoded ahead on the decoder thread, `decode_stage`, then priced and
//! checked by `Engine::process_decoded_keyed`, the second half of the same
//! `Engine::process_record` file mode drives). The invariant: an offset is
//! stored only after everything its record caused (signals, dead letters,
//! archive rows) is acknowledged or durable, in partition order; the
//! auto-committer commits stored offsets, and we commit on revoke and
//! shutdown. Per-partition detector state is dropped on revoke and rebuilt
//! on assignment by re-reading up to `runaway.replay.messages` records
//! before the committed offset without emitting anything for them.

mod align;
mod client_log;
mod clients;
mod decode_stage;
mod kill_log;
mod pipeline;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaConfig;
use crate::engine::Engine;
use crate::policy::Policy;
use crate::sink::{RecordSink, SinkError};
use crate::summary::Summary;

use client_log::LogContext;
pub use clients::{
    build as build_client_configs, overridden as overridden_properties, validate as validate_client_configs, ClientConfigs, ShellOptions,
};
use pipeline::{lock, Pipeline, RebalanceContext, Topics};

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("invalid Kafka configuration: {0}")]
    Config(String),
    #[error("cannot reach the Kafka brokers {brokers} within {timeout_ms} ms ({source}); check --brokers and that the broker is up")]
    Unreachable { brokers: String, timeout_ms: u128, source: RdError },
    #[error("the {role} topic `{topic}` does not exist on {brokers}; create it first (runaway does not create topics)")]
    MissingTopic { role: &'static str, topic: String, brokers: String },
    #[error("Kafka client: {0}")]
    Client(RdError),
    #[error("a signal or dead letter was not acknowledged by the broker: {0}")]
    Delivery(RdError),
    #[error("outstanding signals were not acknowledged within runaway.drain.timeout.ms ({} ms) at shutdown; offsets not committed", .0.as_millis())]
    DrainTimeout(Duration),
    #[error("the broker did not answer the final offset commit and group leave within runaway.drain.timeout.ms ({} ms) at shutdown; stopped without them (the next run re-reads from the last commit; kills are not made twice)", .0.as_millis())]
    CloseTimeout(Duration),
    // Its messages name the archive already.
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("cannot start the decoder thread: {0}")]
    DecoderStart(std::io::Error),
    #[error("the decoder thread stopped unexpectedly; records it held are re-read by the next run (their offsets were not stored)")]
    DecoderGone,
}

impl KafkaError {
    /// True when the failure is the operator's configuration (exit 2)
    /// rather than the run (exit 1).
    pub fn is_config(&self) -> bool {
        matches!(self, KafkaError::Config(_) | KafkaError::MissingTopic { .. })
    }
}

/// Runs Kafka mode until `shutdown` completes (e.g. on SIGINT/SIGTERM),
/// then stops fetching, drains in-flight work, flushes the producer,
/// commits, and returns the run's summary.
pub async fn run(
    config: &KafkaConfig,
    engine: Engine,
    sink: Option<Box<dyn RecordSink>>,
    policy_updates: &dyn Fn() -> Option<Arc<Policy>>,
    shutdown: impl Future<Output = ()>,
) -> Result<Summary, KafkaError> {
    let clients = clients::validate(config)?;
    let shell = clients.shell.clone();
    let producer: FutureProducer<LogContext> =
        clients.producer.create_with_context(LogContext::new("producer")).map_err(|e| clients::client_error("producer", &e))?;
    let topics = Topics {
        events: config.topic.clone(),
        kill: config.kill_topic.clone(),
        dlq: config.dlq_topic.clone(),
        group: config.group.clone(),
        kill_reader: {
            // The consumer's settings (brokers, security), reading by
            // assignment only: never a member of the group, never committing.
            let mut reader = clients.consumer.clone();
            reader.set("enable.auto.commit", "false");
            // The end of a partition is where the broker says it is, as
            // it fetches: a high watermark read beforehand can be short
            // (Tansu reports one past the first record of a batch of two).
            reader.set("enable.partition.eof", "true");
            reader
        },
    };
    let decode = decode_stage::DecodeStage::start().map_err(KafkaError::DecoderStart)?;
    let pipeline = Arc::new(Mutex::new(Pipeline::new(engine, decode, sink, producer.clone(), topics, shell.clone())));
    let consumer: StreamConsumer<RebalanceContext> = clients
        .consumer
        .create_with_context(RebalanceContext { pipeline: pipeline.clone(), topic: config.topic.clone(), log: LogContext::new("consumer") })
        .map_err(|e| clients::client_error("consumer", &e))?;

    check_topics(&consumer, config, shell.broker_timeout)?;
    consumer.subscribe(&[&config.topic]).map_err(KafkaError::Client)?;
    tracing::info!(brokers = %config.brokers, group = %config.group, topic = %config.topic,
        kill_topic = %config.kill_topic, dlq_topic = %config.dlq_topic,
        "Kafka mode started; joining the consumer group (partitions are logged when assigned)");

    let result = run_loop(&consumer, &pipeline, &shell, policy_updates, shutdown).await;
    // Not ready from the moment the run ends: an orchestrator sees the
    // instance leaving even while the broker does not answer.
    crate::metrics::set_ready(false);
    // One deadline for the whole shutdown, whatever part the broker fails
    // to answer: deliveries, the producer's flush, the final commit and
    // leaving the group.
    let deadline = std::time::Instant::now() + shell.drain_timeout;
    let drained = match result {
        Ok(()) => drain(&consumer, &pipeline, &producer, &shell, deadline).await,
        Err(e) => Err(e),
    };
    // The summary is taken before the consumer closes: closing runs the
    // revoke hand-over, which holds the pipeline while it waits on the
    // broker, and nothing is processed after the drain.
    let (summary, replayed) = {
        let p = lock(&pipeline);
        (p.summary_now(), p.replayed())
    };
    let closed = close_consumer(consumer, drained.is_ok(), deadline, shell.drain_timeout);
    if drained.is_ok() && closed.is_ok() {
        if let Err(e) = producer.flush(remaining(deadline)) {
            tracing::warn!(error = %e, "producer flush at exit");
        }
    }
    drained?;
    closed?;
    tracing::info!(replayed, "Kafka mode stopped");
    Ok(summary)
}

/// Time left before `deadline` (zero once it has passed).
fn remaining(deadline: std::time::Instant) -> Duration {
    deadline.saturating_duration_since(std::time::Instant::now())
}

/// Commits (when `commit`) and leaves the group on a thread of its own, and
/// waits for that until `deadline`. librdkafka's synchronous commit and its
/// consumer close wait for the broker without a bound; a broker that stopped
/// answering (SIGSTOP, a network partition) would otherwise hold shutdown
/// until it came back. Past the deadline the run ends without them: the
/// offsets stored but not committed are re-read by the next run
/// (at-least-once; kills this group made are not made again).
fn close_consumer(
    consumer: StreamConsumer<RebalanceContext>,
    commit: bool,
    deadline: std::time::Instant,
    drain_timeout: Duration,
) -> Result<(), KafkaError> {
    let (done, finished) = std::sync::mpsc::channel();
    let close = move || {
        if commit {
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => tracing::info!("offsets committed"),
                Err(RdError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
                Err(e) => tracing::warn!(error = %e, "final commit failed; the next run re-reads from the last commit"),
            }
        }
        // Leaving the group runs the revoke hand-over once more (nothing
        // is pending after a clean drain) and closes the consumer.
        drop(consumer);
        let _ = done.send(());
    };
    let timeout = remaining(deadline).max(MIN_CLOSE_WAIT);
    match std::thread::Builder::new().name("runaway-close".into()).spawn(close) {
        Ok(_) => finished.recv_timeout(timeout).map_err(|_| KafkaError::CloseTimeout(drain_timeout)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start a thread to close the consumer; closing it here, unbounded");
            Ok(())
        }
    }
}

/// Least time given to the final commit and group leave, even when the
/// drain used up the deadline (a healthy broker answers in milliseconds).
const MIN_CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Fails fast when the brokers cannot be reached or a topic is missing.
fn check_topics<C: ConsumerContext, K: Consumer<C>>(consumer: &K, config: &KafkaConfig, timeout: Duration) -> Result<(), KafkaError> {
    let md = consumer.fetch_metadata(None, timeout).map_err(|source| KafkaError::Unreachable {
        brokers: config.brokers.clone(),
        timeout_ms: timeout.as_millis(),
        source,
    })?;
    for (role, topic) in [("events", &config.topic), ("kill", &config.kill_topic), ("dead-letter", &config.dlq_topic)] {
        let found = md.topics().iter().find(|t| t.name() == topic.as_str());
        let ok = found.is_some_and(|t| t.error().is_none() && !t.partitions().is_empty());
        if !ok {
            return Err(KafkaError::MissingTopic { role, topic: topic.clone(), brokers: config.brokers.clone() });
        }
    }
    Ok(())
}

async fn run_loop(
    consumer: &StreamConsumer<RebalanceContext>,
    pipeline: &Arc<Mutex<Pipeline>>,
    shell: &ShellOptions,
    policy_updates: &dyn Fn() -> Option<Arc<Policy>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KafkaError> {
    let mut last_housekeeping = std::time::Instant::now();
    let mut shutdown = std::pin::pin!(shutdown);
    // Checkpoints do not stop consumption: a short tick notices when the
    // deliveries of the one under way are acknowledged.
    let mut tick = tokio::time::interval(shell.checkpoint_interval.min(SETTLE_POLL));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // One stream for the whole run: `recv()` per message would register
    // and drop a waker slot each time.
    let mut messages = consumer.stream();
    let decoded = lock(pipeline).decoded_ready();
    loop {
        let (failure, full) = {
            let mut p = lock(pipeline);
            (p.take_failure(), p.decode_full())
        };
        if let Some(e) = failure {
            return Err(e);
        }
        tokio::select! {
            biased;
            _ = &mut shutdown => {
                tracing::info!("shutdown requested; draining");
                return Ok(());
            }
            // Decoded records first: handling them frees the decoder's slots.
            _ = decoded.notified() => {
                lock(pipeline).advance(consumer)?;
            }
            _ = tick.tick() => {
                // Also notices a decoder thread that vanished while full.
                lock(pipeline).advance(consumer)?;
                if let Some(policy) = policy_updates() {
                    lock(pipeline).apply_policy(policy);
                }
                if last_housekeeping.elapsed() >= HOUSEKEEPING {
                    last_housekeeping = std::time::Instant::now();
                    report_state(pipeline);
                }
            }
            m = messages.next(), if !full => {
                // Copy out what is already fetched, without going back
                // through the scheduler, and send it to be decoded. The
                // lock is never held while polling (the rebalance callback
                // runs inside the poll and takes it, and hands over the
                // records staged so far).
                let mut item = m;
                let mut ended = false;
                loop {
                    match item {
                        Some(Ok(msg)) => {
                            if lock(pipeline).stage(&msg) >= BURST {
                                break;
                            }
                        }
                        Some(Err(e)) if is_fatal(&e) => return Err(KafkaError::Client(e)),
                        Some(Err(e)) => tracing::warn!(error = %e, "consumer error; continuing"),
                        None => {
                            ended = true;
                            break;
                        }
                    }
                    // Poll for the next one only when it will be taken.
                    match messages.next().now_or_never() {
                        Some(next) => item = next,
                        None => break,
                    }
                }
                let mut p = lock(pipeline);
                p.submit_staged()?;
                if ended {
                    return Ok(());
                }
                p.advance(consumer)?;
            }
        }
    }
}

/// How often consumer lag and state gauges are refreshed.
const HOUSEKEEPING: Duration = Duration::from_secs(5);

/// Refreshes the detector's state-size gauges. Consumer lag comes from
/// librdkafka's statistics (`RebalanceContext::stats`), never from a
/// broker query here: this runs on the loop that consumes.
fn report_state(pipeline: &Arc<Mutex<Pipeline>>) {
    lock(pipeline).sync_metrics();
}

/// Most messages copied into one decoder batch per wake-up, before
/// shutdown and timers are looked at.
const BURST: usize = 256;

/// How often outstanding deliveries are looked at.
const SETTLE_POLL: Duration = Duration::from_millis(2);

fn is_fatal(e: &RdError) -> bool {
    e.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal)
}

/// Shutdown: everything processed becomes durable (bounded wait for the
/// broker's acknowledgements), the archive is finished, offsets are stored
/// for the final commit (`close_consumer`).
async fn drain(
    consumer: &StreamConsumer<RebalanceContext>,
    pipeline: &Arc<Mutex<Pipeline>>,
    producer: &FutureProducer<LogContext>,
    shell: &ShellOptions,
    deadline: std::time::Instant,
) -> Result<(), KafkaError> {
    // Records consumed before the stop are handled, not dropped: their
    // offsets can then be committed with the rest.
    lock(pipeline).drain_decoder()?;
    while lock(pipeline).settle_all()? {
        if std::time::Instant::now() >= deadline {
            return Err(KafkaError::DrainTimeout(shell.drain_timeout));
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
    lock(pipeline).finish_checkpoint(consumer, true)?;
    if let Err(e) = producer.flush(remaining(deadline)) {
        tracing::warn!(error = %e, "producer flush");
    }
    Ok(())
}
