//! The state of a Kafka-mode run that both the run loop and the consumer's
//! rebalance callback touch: the engine, the archive sink, per-partition
//! positions and the deliveries not yet acknowledged.
//!
//! Owns: the batch of consumed records being filled for the decoder thread
//! (`decode_stage`), what one decoded record causes (detect, produce
//! signals and dead letters, feed the sink), the durability step (deliveries acknowledged, sink
//! checkpointed, then offsets stored), and partition hand-over on
//! rebalance (commit on revoke, drop detector state, state replay on
//! assignment). The callback runs inside the consumer's poll, on the run
//! loop's own task, so the mutex around this state is never contended.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::{BorrowedMessage, Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::detect::EventKeys;
use crate::engine::{DeadLetter, Engine, Processed, SourcePos};
use crate::event::{DecodeError, Event};
use crate::file_mode::stamp;
use crate::signal::Signal;
use crate::sink::RecordSink;
use crate::summary::Summary;

use super::align::{Aligner, Release};
use super::client_log::LogContext;
use super::clients::ShellOptions;
use super::decode_stage::{DecodeStage, DecodedBatch, RawBatch};
use super::KafkaError;

/// Topic names of one run.
#[derive(Debug, Clone)]
pub struct Topics {
    pub events: String,
    pub kill: String,
    pub dlq: String,
    /// The consumer group: stamped on every signal, and whose kills on the
    /// kill topic are honoured after a hand-over (`kill_log`).
    pub group: String,
    /// Client settings for reading the kill topic's tail.
    pub kill_reader: rdkafka::config::ClientConfig,
}

/// What we know of one assigned partition.
#[derive(Debug, Clone, Default)]
struct PartitionState {
    /// Offsets below this were processed and committed by an earlier owner;
    /// they are re-read only to rebuild detector state (no output).
    resume_at: i64,
    /// Output before this offset is durable and its offset stored.
    durable_from: Option<i64>,
    /// Last processed offset + 1 whose offset is not stored yet.
    pending: Option<i64>,
    /// Whether the sink was told to drop output from `durable_from` on.
    discarded: bool,
}

/// A checkpoint under way: offsets to store once the deliveries taken
/// with them are acknowledged. Consumption goes on meanwhile.
#[derive(Default)]
struct Snapshot {
    deliveries: Vec<DeliveryFuture>,
    offsets: BTreeMap<i32, i64>,
}

impl Snapshot {
    /// Drops acknowledged deliveries; an error for a failed one. True when
    /// none is left outstanding.
    fn settle(&mut self) -> Result<bool, KafkaError> {
        let mut failed = None;
        self.deliveries.retain_mut(|fut| match fut.now_or_never() {
            None => true,
            Some(Ok(Ok(_))) => false,
            Some(Ok(Err((e, _)))) => {
                failed.get_or_insert(e);
                false
            }
            Some(Err(_)) => {
                failed.get_or_insert(RdError::Canceled);
                false
            }
        });
        match failed {
            Some(e) => Err(KafkaError::Delivery(e)),
            None => Ok(self.deliveries.is_empty()),
        }
    }

    fn absorb(&mut self, deliveries: Vec<DeliveryFuture>, offsets: BTreeMap<i32, i64>) {
        self.deliveries.extend(deliveries);
        for (p, o) in offsets {
            let e = self.offsets.entry(p).or_insert(o);
            *e = (*e).max(o);
        }
    }
}

/// A record's key (if any) and bytes.
type RecordCopy = (Option<Box<[u8]>>, Box<[u8]>);

/// One decoded record on its way from the decoder to detection, possibly
/// held back by the aligner.
struct Decoded {
    offset: i64,
    decoded: Result<Event, DecodeError>,
    keys: EventKeys,
    decode_time: Duration,
    /// The record's key and bytes, copied only when it failed to decode
    /// (its dead letter carries them).
    dead_copy: Option<RecordCopy>,
}

pub struct Pipeline {
    engine: Engine,
    /// Records consumed and not yet handled, being decoded.
    decode: DecodeStage,
    /// Records decoded and held until the partitions behind them in event
    /// time catch up.
    aligner: Aligner<Decoded>,
    /// Records consumed and not yet sent to the decoder.
    filling: Option<RawBatch>,
    sink: Option<Box<dyn RecordSink>>,
    producer: FutureProducer<LogContext>,
    topics: Topics,
    shell: ShellOptions,
    partitions: BTreeMap<i32, PartitionState>,
    /// Revoked partitions (and whether their work was committed), held
    /// until the next assignment says whether they come back.
    revoked: BTreeMap<i32, (PartitionState, bool)>,
    in_flight: Vec<DeliveryFuture>,
    /// The checkpoint under way, if any.
    checkpointing: Option<Snapshot>,
    signals: Vec<Signal>,
    pub summary: Summary,
    /// Messages processed since the last checkpoint and when the first was.
    unacked: u64,
    unacked_since: Option<Instant>,
    replayed: u64,
    /// What replayed records added to the detector's counters: they were
    /// counted by the run that first read them, not this one's summary.
    replayed_stats: crate::detect::DetectorStats,
    /// Sessions the kill topic says this group killed (read on assignment):
    /// their kills are not emitted again.
    killed_by_group: std::collections::HashMap<String, Signal>,
    /// Agent and fleet holds (pauses, throttles) the kill topic says this
    /// group made: one decided again before its `resume_at` is not emitted
    /// again under another id.
    held_by_group: Vec<Signal>,
    /// A failure inside the rebalance callback, for the run loop to return.
    failure: Option<KafkaError>,
    /// The events topic's name, shared by every record's source position.
    topic_name: Arc<str>,
    /// The same, for librdkafka's C API.
    topic_c: std::ffi::CString,
}

impl Pipeline {
    pub fn new(
        engine: Engine,
        decode: DecodeStage,
        sink: Option<Box<dyn RecordSink>>,
        producer: FutureProducer<LogContext>,
        topics: Topics,
        shell: ShellOptions,
    ) -> Pipeline {
        let topic_name = topics.events.as_str().into();
        // A topic name cannot hold NUL (Kafka allows [a-zA-Z0-9._-]); an
        // empty one only makes every lookup miss.
        let topic_c = std::ffi::CString::new(topics.events.as_str()).unwrap_or_default();
        Pipeline {
            engine,
            decode,
            aligner: Aligner::new(shell.align),
            filling: None,
            sink,
            producer,
            topics,
            shell,
            partitions: BTreeMap::new(),
            revoked: BTreeMap::new(),
            in_flight: Vec::new(),
            checkpointing: None,
            signals: Vec::new(),
            summary: Summary::default(),
            unacked: 0,
            unacked_since: None,
            replayed: 0,
            replayed_stats: crate::detect::DetectorStats::default(),
            killed_by_group: std::collections::HashMap::new(),
            held_by_group: Vec::new(),
            failure: None,
            topic_name,
            topic_c,
        }
    }

    pub fn take_failure(&mut self) -> Option<KafkaError> {
        self.failure.take()
    }

    pub fn replayed(&self) -> u64 {
        self.replayed
    }

    /// True when enough work is unacknowledged to checkpoint now.
    pub fn checkpoint_due(&self) -> bool {
        self.unacked >= self.shell.checkpoint_messages || self.unacked_since.is_some_and(|t| t.elapsed() >= self.shell.checkpoint_interval)
    }

    /// Swaps in a reloaded policy (between messages; state is kept).
    pub fn apply_policy(&mut self, policy: std::sync::Arc<crate::policy::Policy>) {
        crate::reload::apply(self.engine.detector_mut(), policy);
    }

    /// Copies detector state sizes into the metrics gauges.
    pub fn sync_metrics(&self) {
        crate::metrics::sync_detector(self.engine.detector());
        crate::metrics::set_align_held(self.aligner.held());
    }

    /// Copies one consumed record into the batch being filled; returns how
    /// many that batch holds. The batch lives here, not in the run loop,
    /// because a poll between two records can run the rebalance callback,
    /// which must hand over every record consumed before it.
    pub fn stage(&mut self, msg: &BorrowedMessage<'_>) -> usize {
        let decode = &mut self.decode;
        let batch = self.filling.get_or_insert_with(|| decode.batch());
        batch.push(msg.partition(), msg.offset(), msg.key(), msg.payload().unwrap_or(&[]));
        batch.len()
    }

    /// Sends the batch being filled to the decoder thread.
    pub fn submit_staged(&mut self) -> Result<(), KafkaError> {
        let Some(batch) = self.filling.take() else { return Ok(()) };
        if self.decode.submit(batch) {
            Ok(())
        } else {
            Err(KafkaError::DecoderGone)
        }
    }

    /// True when the decoder has as much work as it may hold.
    pub fn decode_full(&self) -> bool {
        self.decode.full()
    }

    /// Woken when a decoded batch is ready.
    pub fn decoded_ready(&self) -> Arc<tokio::sync::Notify> {
        self.decode.ready()
    }

    /// Handles every decoded batch that is ready, then advances
    /// checkpointing; neither waits. What the run loop does on every wake-up.
    pub fn advance<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K) -> Result<(), KafkaError> {
        self.handle_decoded()?;
        // Held records whose wait ran out (the hold bound), or that a
        // partition now known to be caught up no longer holds, go now,
        // even without new records.
        let topic = &self.topic_c;
        self.aligner.refresh_backlog(|p| cached_watermarks(consumer, topic, p));
        self.release_aligned(Instant::now())?;
        self.advance_checkpoint(consumer)
    }

    /// Handles every decoded batch that is ready, without waiting.
    fn handle_decoded(&mut self) -> Result<(), KafkaError> {
        while let Some(batch) = self.decode.try_take().map_err(|_| KafkaError::DecoderGone)? {
            self.handle_batch(batch)?;
        }
        Ok(())
    }

    /// Handles everything consumed so far, waiting for the decoder and
    /// releasing every held record: before a rebalance hands partitions
    /// over, and at shutdown. Returns how many records were handled.
    pub fn drain_decoder(&mut self) -> Result<usize, KafkaError> {
        self.submit_staged()?;
        let mut handled = 0;
        while self.decode.in_flight() > 0 {
            match self.decode.take_blocking() {
                Some(batch) => {
                    handled += batch.raw.len();
                    self.handle_batch(batch)?
                }
                None => return Err(KafkaError::DecoderGone),
            }
        }
        while let Some((partition, record, _)) = self.aligner.pop_any() {
            self.handle(partition, record)?;
        }
        Ok(handled)
    }

    /// Hands every held record that may go now to detection, in event-time
    /// order across partitions.
    fn release_aligned(&mut self, now: Instant) -> Result<(), KafkaError> {
        while let Some((partition, record, how)) = self.aligner.pop_ready(now) {
            if how == Release::Forced {
                crate::metrics::record_align_forced();
            }
            self.handle(partition, record)?;
        }
        Ok(())
    }

    fn handle_batch(&mut self, mut batch: DecodedBatch) -> Result<(), KafkaError> {
        /// How many records ahead a record's state is asked for.
        const PREFETCH_AHEAD: usize = 8;
        let per_record = batch.decode_time / batch.raw.len().max(1) as u32;
        let mut results = std::mem::take(&mut batch.results);
        let records = batch.raw.records();
        let now = Instant::now();
        for (i, (meta, decoded)) in records.iter().zip(results.drain(..)).enumerate() {
            // The state a record a few places on will touch is asked for
            // now: its cache misses overlap the work on the records between.
            if let (Some(ahead), Some(keys)) = (records.get(i + PREFETCH_AHEAD), batch.keys.get(i + PREFETCH_AHEAD)) {
                self.engine.prefetch(keys, ahead.partition.max(0) as u32);
            }
            let keys = batch.keys.get(i).copied().unwrap_or_default();
            let dead_copy = decoded.is_err().then(|| (batch.raw.key(meta).map(Box::from), Box::from(batch.raw.payload(meta))));
            let ts = decoded.as_ref().ok().map(|e| e.ts_ms);
            let record = Decoded { offset: meta.offset, decoded, keys, decode_time: per_record, dead_copy };
            self.aligner.push(meta.partition, meta.offset, ts, record, now);
            self.release_aligned(now)?;
        }
        batch.results = results;
        self.decode.recycle(batch);
        Ok(())
    }

    /// Processes one consumed record, decoded: detection, signals and dead
    /// letters produced, archive rows handed to the sink.
    fn handle(&mut self, partition: i32, record: Decoded) -> Result<(), KafkaError> {
        let Decoded { offset, decoded, keys, decode_time, dead_copy } = record;
        let state = self.partitions.entry(partition).or_default();
        let replay = offset < state.resume_at;
        if !replay && !state.discarded {
            // Nothing was committed for this partition when it was
            // assigned: whatever the sink holds from here on is re-read now.
            if let Some(sink) = self.sink.as_deref_mut() {
                sink.discard_from(&format!("{}-{partition}", self.topics.events), offset)?;
            }
            state.discarded = true;
            state.durable_from.get_or_insert(offset);
        }
        let (dead_key, payload) = match &dead_copy {
            Some((key, payload)) => (key.as_deref(), &payload[..]),
            None => (None, &[][..]),
        };
        let source = SourcePos::Kafka { topic: self.topic_name.clone(), partition, offset };
        let shard = partition.max(0) as u32;
        let timer = crate::metrics::timer();
        let before = replay.then(|| self.engine.detector().stats());
        let processed = self.engine.process_decoded_keyed(decoded, keys, payload, source.clone(), shard, &mut self.signals);
        timer.done_plus(decode_time);
        if let Some(before) = before {
            let after = self.engine.detector().stats();
            let r = &mut self.replayed_stats;
            r.events_after_kill += after.events_after_kill.saturating_sub(before.events_after_kill);
            r.spend_after_kill_usd += after.spend_after_kill_usd - before.spend_after_kill_usd;
            r.events_clock_ahead += after.events_clock_ahead.saturating_sub(before.events_clock_ahead);
        }
        if !replay {
            crate::metrics::record_processed(&processed);
        }
        match processed {
            Processed::Event(p) => {
                if replay {
                    self.replayed += 1;
                } else {
                    self.summary.add_event(&p);
                    if p.outcome != crate::detect::Outcome::Duplicate {
                        if let Some(sink) = self.sink.as_deref_mut() {
                            sink.event(&p, &source)?;
                        }
                    }
                }
            }
            Processed::Dead(d) => {
                if replay {
                    self.replayed += 1;
                } else {
                    tracing::debug!(partition, offset, reason = d.reason, error = %d.error, "dead letter");
                    self.summary.add_dead_letter();
                    self.produce_dead_letter(partition, offset, dead_key, payload, &d)?;
                }
            }
        }
        if replay {
            // Decisions of replayed records were emitted (and acknowledged)
            // before their offsets were committed.
            self.signals.clear();
            return Ok(());
        }
        let mut signals = std::mem::take(&mut self.signals);
        for mut s in signals.drain(..) {
            let earlier = match (s.action, s.scope, s.session_id.as_deref()) {
                (crate::signal::Action::Kill, crate::signal::Scope::Session, Some(id)) => self.killed_by_group.remove(id),
                (
                    crate::signal::Action::Pause | crate::signal::Action::Throttle,
                    crate::signal::Scope::Agent | crate::signal::Scope::Fleet,
                    _,
                ) => {
                    let i = self.held_by_group.iter().position(|e| super::kill_log::same_hold(e, &s));
                    i.map(|i| self.held_by_group.swap_remove(i))
                }
                _ => None,
            };
            if let Some(earlier) = earlier.filter(|e| e.signal_id != s.signal_id) {
                // This group killed the session (or paused the agent, or
                // throttled the fleet, until a time not yet come) before
                // the hand-over (the kill topic says so), and the state
                // rebuilt here decided it at another event. The decision stands in the state
                // (its tree, its later events as after its kill), but a
                // second signal under another id would make hooks act
                // twice: the archive gets the kill the hooks acted on (its
                // earlier row may have been in a file dropped for replay).
                tracing::info!(action = s.action.as_str(), reason = s.reason.as_str(), key = s.key(), signal_id = %s.signal_id, earlier_signal_id = %earlier.signal_id, partition, offset, "decision already made by this group under another id; not emitted again");
                if let Some(sink) = self.sink.as_deref_mut() {
                    sink.signal(&earlier, &source)?;
                }
                continue;
            }
            stamp(&mut s);
            self.summary.add_signal(&s);
            crate::metrics::record_signal(&s);
            tracing::info!(
                action = s.action.as_str(),
                reason = s.reason.as_str(),
                key = s.key(),
                signal_id = %s.signal_id,
                partition,
                offset,
                "signal"
            );
            self.produce_signal(&s)?;
            if let Some(sink) = self.sink.as_deref_mut() {
                sink.signal(&s, &source)?;
            }
        }
        self.signals = signals;
        if let Some(st) = self.partitions.get_mut(&partition) {
            st.pending = Some(offset + 1);
        }
        self.unacked += 1;
        self.unacked_since.get_or_insert_with(Instant::now);
        Ok(())
    }

    fn produce_signal(&mut self, s: &Signal) -> Result<(), KafkaError> {
        let payload = s.to_json();
        let headers = OwnedHeaders::new().insert(Header { key: super::kill_log::GROUP_HEADER, value: Some(self.topics.group.as_str()) });
        let record = FutureRecord::to(&self.topics.kill).key(s.key()).payload(&payload).headers(headers);
        let fut = send(&self.producer, record)?;
        self.in_flight.push(fut);
        Ok(())
    }

    fn produce_dead_letter(
        &mut self,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        full: &[u8],
        d: &DeadLetter,
    ) -> Result<(), KafkaError> {
        let (source_partition, source_offset) = (partition, offset);
        let partition = partition.to_string();
        let offset = offset.to_string();
        // A record the broker took may still be too large for our producer
        // (or the dead-letter topic): its dead letter would then never be
        // acknowledged, its offset never stored, and every restart would
        // stop on it. Cut to fit, the copy says so; the headers name where
        // the whole record stays.
        let room = self.shell.message_max_bytes.saturating_sub(DLQ_RECORD_OVERHEAD + key.map_or(0, <[u8]>::len) + d.error.len());
        let payload = full.get(..room).unwrap_or(full);
        let mut headers = OwnedHeaders::new()
            .insert(Header { key: "runaway.reason", value: Some(d.reason) })
            .insert(Header { key: "runaway.error", value: Some(&d.error) })
            .insert(Header { key: "runaway.source.topic", value: Some(self.topics.events.as_str()) })
            .insert(Header { key: "runaway.source.partition", value: Some(&partition) })
            .insert(Header { key: "runaway.source.offset", value: Some(&offset) });
        if payload.len() < full.len() {
            tracing::warn!(
                partition = source_partition,
                offset = source_offset,
                bytes = full.len(),
                kept = payload.len(),
                "dead letter larger than message.max.bytes; its copy is cut (runaway.truncated_from)"
            );
            headers = headers.insert(Header { key: "runaway.truncated_from", value: Some(&full.len().to_string()) });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topics.dlq).payload(payload).headers(headers);
        if let Some(k) = key {
            record = record.key(k);
        }
        let fut = send(&self.producer, record)?;
        self.in_flight.push(fut);
        Ok(())
    }

    /// Moves everything processed so far (deliveries and the offsets they
    /// cover) into the checkpoint under way.
    fn snapshot(&mut self) -> Result<(), KafkaError> {
        // The archive is cut (its open files closed and made durable) where
        // the offsets are taken, not when the deliveries are acknowledged:
        // records read meanwhile would land in files that also hold records
        // before the offset stored, and a restart from that offset, which
        // drops only files starting at or after it, would write them twice.
        if let Some(sink) = self.sink.as_deref_mut() {
            sink.checkpoint()?;
        }
        let offsets: BTreeMap<i32, i64> = self.partitions.iter_mut().filter_map(|(p, st)| st.pending.take().map(|o| (*p, o))).collect();
        self.unacked = 0;
        self.unacked_since = None;
        let deliveries = std::mem::take(&mut self.in_flight);
        self.checkpointing.get_or_insert_with(Snapshot::default).absorb(deliveries, offsets);
        Ok(())
    }

    /// Advances checkpointing without waiting: completes the checkpoint
    /// under way once all its deliveries are acknowledged (archive
    /// checkpoint, then offsets stored), and starts the next when due.
    fn advance_checkpoint<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K) -> Result<(), KafkaError> {
        if self.checkpointing.is_none() && self.checkpoint_due() {
            self.snapshot()?;
        }
        let Some(snap) = self.checkpointing.as_mut() else { return Ok(()) };
        if snap.settle()? {
            self.finish_checkpoint(consumer, false)?;
        }
        Ok(())
    }

    /// Everything processed so far goes into the checkpoint under way; for
    /// shutdown. Returns whether deliveries are still outstanding.
    pub fn settle_all(&mut self) -> Result<bool, KafkaError> {
        self.snapshot()?;
        match self.checkpointing.as_mut() {
            Some(snap) => Ok(!snap.settle()?),
            None => Ok(false),
        }
    }

    /// After the checkpoint's deliveries succeeded: stores the offsets (the
    /// auto-committer commits them); the archive up to them was made
    /// durable when they were taken. The final run finishes the archive.
    pub fn finish_checkpoint<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, final_run: bool) -> Result<(), KafkaError> {
        if final_run {
            if let Some(mut sink) = self.sink.take() {
                sink.finish()?;
            }
        }
        let offsets = self.checkpointing.take().map(|s| s.offsets).unwrap_or_default();
        self.store(consumer, &offsets)
    }

    fn store<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, offsets: &BTreeMap<i32, i64>) -> Result<(), KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for (p, o) in offsets {
            // Only partitions still ours: a revoked one was settled at revoke.
            if let Some(st) = self.partitions.get_mut(p) {
                st.durable_from = Some(*o);
                tpl.add_partition_offset(&self.topics.events, *p, Offset::Offset(*o)).map_err(KafkaError::Client)?;
            }
        }
        if tpl.count() == 0 {
            return Ok(());
        }
        consumer.store_offsets(&tpl).map_err(KafkaError::Client)?;
        tracing::debug!(offsets = ?offsets, "offsets stored");
        Ok(())
    }

    /// The durability step, blocking: flushes the producer (bounded), checks
    /// every delivery, checkpoints and stores. For the rebalance callback,
    /// which cannot await. Returns whether everything is durable and stored.
    fn checkpoint_blocking<C: ConsumerContext>(&mut self, consumer: &BaseConsumer<C>) -> bool {
        if let Err(e) = self.snapshot() {
            self.failure.get_or_insert(e);
            return false;
        }
        if let Err(e) = self.producer.flush(self.shell.drain_timeout) {
            tracing::error!(error = %e, "producer did not drain in time; offsets not stored");
            return false;
        }
        let settled = match self.checkpointing.as_mut().map(Snapshot::settle) {
            None | Some(Ok(true)) => true,
            Some(Ok(false)) => false,
            Some(Err(e)) => {
                self.failure.get_or_insert(e);
                return false;
            }
        };
        if !settled {
            return false;
        }
        match self.finish_checkpoint(consumer, false) {
            Ok(()) => true,
            Err(e) => {
                self.failure.get_or_insert(e);
                false
            }
        }
    }

    /// Partitions are being taken away: make their work durable and commit.
    /// Their detector state is kept until the next assignment shows they
    /// went elsewhere (an eager rebalance revokes everything and often
    /// gives the same partitions back; the detector's redelivery dedupe
    /// would then stop a replay from rebuilding dropped state).
    fn on_revoke<C: ConsumerContext>(&mut self, consumer: &BaseConsumer<C>, tpl: &TopicPartitionList, cooperative: bool) {
        let drained = self.drain_before_rebalance();
        let durable = self.checkpoint_blocking(consumer);
        let committed = durable
            && match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => true,
                // Nothing stored since the last commit: nothing to commit.
                Err(RdError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => true,
                Err(e) => {
                    // Safe: the next owner re-reads from the last commit.
                    tracing::warn!(error = %e, "commit on revoke failed; the next owner re-reads from the last commit");
                    false
                }
            };
        let mut revoked = Vec::new();
        for el in tpl.elements() {
            let p = el.partition();
            revoked.push(p);
            if let Some(st) = self.partitions.remove(&p) {
                self.revoked.insert(p, (st, durable));
            }
        }
        if cooperative {
            // Incremental protocol: no full re-assignment follows.
            self.forget_revoked();
        }
        // Not ready while holding fewer partitions (none, between an eager
        // revoke and the next assignment, or while the group is lost).
        crate::metrics::set_assignment(&self.partitions.keys().copied().collect::<Vec<_>>());
        tracing::info!(partitions = ?revoked, durable, committed, drained, "partitions revoked");
    }

    /// Records consumed before a rebalance are handled while their
    /// partitions are still ours, so their offsets can be committed now
    /// and none is handled after a hand-over.
    /// Returns how many records were handled.
    fn drain_before_rebalance(&mut self) -> usize {
        self.drain_decoder().unwrap_or_else(|e| {
            self.failure.get_or_insert(e);
            0
        })
    }

    /// Drops the detector state and undurable archive rows of partitions
    /// revoked and not given back.
    fn forget_revoked(&mut self) {
        for (p, (st, durable)) in std::mem::take(&mut self.revoked) {
            if !durable {
                // Rows not made durable will be produced again by whoever
                // consumes the partition next.
                if let (Some(sink), Some(from)) = (self.sink.as_deref_mut(), st.durable_from) {
                    if let Err(e) = sink.discard_from(&format!("{}-{p}", self.topics.events), from) {
                        self.failure.get_or_insert(e.into());
                    }
                }
            }
            self.engine.detector_mut().drop_shard(p.max(0) as u32);
            // Held records were released before the hand-over; any left
            // (none expected) are re-read by the next owner, their offsets
            // never stored.
            let left = self.aligner.remove(p).len();
            if left > 0 {
                tracing::warn!(partition = p, records = left, "held records of a revoked partition left for its next owner");
            }
        }
    }

    /// Partitions were given to us. Ones we just had keep their state and
    /// position. For new ones, find where committed work ends and rewind to
    /// rebuild detector state from the messages before it.
    fn on_assign<C: ConsumerContext>(&mut self, consumer: &BaseConsumer<C>, tpl: &mut TopicPartitionList) {
        self.drain_before_rebalance();
        let mut kept = Vec::new();
        let mut fresh = TopicPartitionList::new();
        for el in tpl.elements() {
            let p = el.partition();
            match self.revoked.remove(&p) {
                Some((st, _)) => {
                    kept.push(p);
                    self.partitions.insert(p, st);
                }
                None => {
                    let _ = fresh.add_partition_offset(el.topic(), p, el.offset());
                }
            }
        }
        self.forget_revoked();
        let committed = if fresh.count() > 0 {
            consumer.committed_offsets(fresh.clone(), self.shell.broker_timeout)
        } else {
            Ok(TopicPartitionList::new())
        };
        let mut report = Vec::new();
        for el in fresh.elements() {
            let p = el.partition();
            let committed_at = match &committed {
                Ok(c) => match c.find_partition(el.topic(), p).map(|e| e.offset()) {
                    Some(Offset::Offset(o)) => Some(o),
                    _ => None,
                },
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "cannot read committed offset; no state replay");
                    None
                }
            };
            let mut st = PartitionState::default();
            let mut start = None;
            if let Some(c) = committed_at {
                st.resume_at = c;
                st.durable_from = Some(c);
                st.discarded = true;
                if let Some(sink) = self.sink.as_deref_mut() {
                    if let Err(e) = sink.discard_from(&format!("{}-{p}", el.topic()), c) {
                        self.failure.get_or_insert(e.into());
                    }
                }
                if self.shell.replay_messages > 0 && c > 0 {
                    let low = match consumer.fetch_watermarks(el.topic(), p, self.shell.broker_timeout) {
                        Ok((low, _)) => low,
                        Err(e) => {
                            tracing::warn!(partition = p, error = %e, "cannot read watermarks; no state replay");
                            c
                        }
                    };
                    // A low watermark above the commit would be a broker
                    // oddity; never rewind past what exists.
                    let from = low.min(c).max(c.saturating_sub(self.shell.replay_messages));
                    if from < c {
                        start = Some(from);
                    }
                }
            }
            report.push((p, committed_at, start));
            self.partitions.insert(p, st);
            // Until it has read what the broker holds from here, records
            // ahead of it wait.
            let from = start.or(committed_at).or(self.shell.starts_at_end.then_some(i64::MAX));
            self.aligner.assign(p, from);
            // Sessions are not ended by another partition's time until this
            // one has caught up (or stays silent).
            self.engine.detector_mut().assign_shard(p.max(0) as u32);
        }
        if fresh.count() > 0 && self.shell.replay_messages > 0 {
            // Sessions this group already killed: the state rebuilt below
            // may decide their kill at another event (another id).
            match super::kill_log::decisions_by_group(
                &self.topics.kill_reader,
                &self.topics.kill,
                &self.topics.group,
                // Kills rarely fill a topic: the few thousand newest hold
                // the ones made after the last commit (what is re-decided).
                self.shell.replay_messages.min(super::kill_log::TAIL_MESSAGES),
                self.shell.broker_timeout,
            ) {
                Ok(decisions) => {
                    let (kills, holds): (Vec<Signal>, Vec<Signal>) =
                        decisions.into_iter().partition(|d| d.scope == crate::signal::Scope::Session);
                    tracing::info!(topic = %self.topics.kill, sessions = kills.len(), holds = holds.len(), "kill topic read: sessions this group already killed, agents and fleet levels it held");
                    self.killed_by_group = kills.into_iter().filter_map(|k| Some((k.session_id.as_deref()?.to_string(), k))).collect();
                    self.held_by_group = holds;
                }
                Err(e) => {
                    tracing::warn!(topic = %self.topics.kill, error = %e, "cannot read the kill topic; a session killed before the hand-over may be killed again")
                }
            }
        }
        for (p, _, start) in &report {
            if let Some(from) = start {
                if let Err(e) = tpl.set_partition_offset(&self.topics.events, *p, Offset::Offset(*from)) {
                    tracing::warn!(partition = p, error = %e, "cannot rewind for state replay");
                    if let Some(st) = self.partitions.get_mut(p) {
                        st.resume_at = 0;
                    }
                }
            }
        }
        tracing::info!(
            partitions = ?self.partitions.keys().copied().collect::<Vec<_>>(),
            kept = ?kept,
            committed = ?report.iter().map(|(p, c, _)| (*p, *c)).collect::<Vec<_>>(),
            replay_from = ?report.iter().filter_map(|(p, _, s)| s.map(|s| (*p, s))).collect::<Vec<_>>(),
            "partitions assigned"
        );
        crate::metrics::set_assignment(&self.partitions.keys().copied().collect::<Vec<_>>());
    }

    /// The run's summary as it stands, engine counters included (the final
    /// one once drained).
    pub fn summary_now(&self) -> Summary {
        let mut stats = self.engine.detector().stats();
        stats.events_after_kill = stats.events_after_kill.saturating_sub(self.replayed_stats.events_after_kill);
        stats.spend_after_kill_usd = (stats.spend_after_kill_usd - self.replayed_stats.spend_after_kill_usd).max(0.0);
        stats.events_clock_ahead = stats.events_clock_ahead.saturating_sub(self.replayed_stats.events_clock_ahead);
        let unknown = self.engine.unknown_models().iter().map(|m| m.to_string()).collect();
        let mut summary = self.summary.clone();
        summary.finish(&stats, unknown);
        summary
    }
}

/// The extent (low, high) of `partition` as the consumer's last fetch
/// response gave it (librdkafka's cached watermarks: no broker round trip,
/// unlike `fetch_watermarks`); None before it has fetched the partition.
fn cached_watermarks<C: ConsumerContext, K: Consumer<C>>(consumer: &K, topic: &std::ffi::CStr, partition: i32) -> Option<(i64, i64)> {
    let (mut low, mut high) = (-1_i64, -1_i64);
    // SAFETY: the client handle is valid while `consumer` is borrowed, the
    // topic name is NUL-terminated, and librdkafka only writes the two
    // out-parameters, which outlive the call.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(consumer.client().native_ptr(), topic.as_ptr(), partition, &mut low, &mut high)
    };
    (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some((low.max(0), high))
}

/// Room kept in a dead letter for its headers, topic name and the record
/// batch's own framing (the key and the error text are counted apart).
const DLQ_RECORD_OVERHEAD: usize = 4096;

/// Produces without waiting; waits briefly and retries while the local
/// queue is full (back-pressure from a slow or stalled broker).
fn send<K, P>(producer: &FutureProducer<LogContext>, mut record: FutureRecord<'_, K, P>) -> Result<DeliveryFuture, KafkaError>
where
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send_result(record) {
            Ok(f) => return Ok(f),
            Err((RdError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull), r)) => {
                record = r;
                producer.poll(std::time::Duration::from_millis(10));
            }
            Err((e, _)) => return Err(KafkaError::Delivery(e)),
        }
    }
}

/// Consumer context: rebalance hand-over on the shared pipeline, and
/// consumer lag from librdkafka's statistics.
pub struct RebalanceContext {
    pub pipeline: Arc<Mutex<Pipeline>>,
    /// The events topic, whose partitions' lag is reported.
    pub topic: String,
    /// How the consumer's logs and errors reach `tracing`.
    pub log: LogContext,
}

/// The lag of one partition in librdkafka's statistics, if they tell it:
/// the high watermark of its last fetch minus where consumption stands.
/// Not while the partition is not being fetched (between an assignment and
/// its first fetch, after a rebalance, while its leader is unknown): its high
/// watermark is then as old as its last fetch, and a backlog that built up
/// since (an outage, a rebalance) would read as no lag at all.
fn partition_lag(p: &rdkafka::statistics::Partition) -> Option<i64> {
    if p.fetch_state != "active" || p.hi_offset < 0 {
        return None;
    }
    // Before a first message is handed over (an idle partition after a
    // restart), where consumption stands is the committed offset, or else
    // where fetching starts.
    let position = [p.app_offset, p.committed_offset, p.next_offset].into_iter().find(|o| *o >= 0)?;
    Some((p.hi_offset - position).max(0))
}

pub fn lock(p: &Mutex<Pipeline>) -> MutexGuard<'_, Pipeline> {
    // A panic while holding the lock cannot leave the state half-updated in
    // a way later code relies on; keep going rather than panic again.
    p.lock().unwrap_or_else(|e| e.into_inner())
}

impl ClientContext for RebalanceContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.log.forward_log(level, fac, message);
    }

    fn error(&self, error: RdError, reason: &str) {
        self.log.forward_error(&error, reason);
    }

    /// Consumer lag per assigned partition from the statistics librdkafka
    /// emits every `statistics.interval.ms`: the high watermark it saw in
    /// its last fetch minus the next offset handed to us. No broker round
    /// trip: a blocking watermark query on the run loop stalled consumption
    /// (up to a second per query on a slow broker).
    fn stats(&self, statistics: rdkafka::Statistics) {
        let Some(topic) = statistics.topics.get(&self.topic) else { return };
        for (&partition, p) in &topic.partitions {
            if partition < 0 || !p.desired {
                continue;
            }
            match partition_lag(p) {
                Some(lag) => crate::metrics::set_consumer_lag(partition, lag),
                None => crate::metrics::forget_consumer_lag(partition),
            }
        }
    }
}

impl ConsumerContext for RebalanceContext {
    fn rebalance(&self, consumer: &BaseConsumer<Self>, err: RDKafkaRespErr, tpl: &mut TopicPartitionList) {
        let cooperative = matches!(consumer.rebalance_protocol(), RebalanceProtocol::Cooperative);
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                lock(&self.pipeline).on_assign(consumer, tpl);
                if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                lock(&self.pipeline).on_revoke(consumer, tpl, cooperative);
                if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                }
            }
            other => {
                tracing::error!(error = ?other, "rebalance error; dropping the assignment");
                let mut p = lock(&self.pipeline);
                p.drain_before_rebalance();
                let parts = std::mem::take(&mut p.partitions);
                for (part, st) in parts {
                    p.revoked.insert(part, (st, false));
                }
                p.forget_revoked();
                consumer.unassign()
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "applying the new assignment failed");
        }
    }

    fn commit_callback(&self, result: rdkafka::error::KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => tracing::debug!(offsets = ?offsets.to_topic_map(), "offsets committed"),
            Err(RdError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => tracing::warn!(error = %e, "offset commit failed; will retry with the next commit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::partition_lag;
    use rdkafka::statistics::Partition;

    fn partition(fetch_state: &str, hi: i64, app: i64, committed: i64, next: i64) -> Partition {
        Partition {
            fetch_state: fetch_state.into(),
            hi_offset: hi,
            app_offset: app,
            committed_offset: committed,
            next_offset: next,
            desired: true,
            ..Partition::default()
        }
    }

    #[test]
    fn a_lag_is_read_only_from_a_partition_being_fetched() {
        assert_eq!(partition_lag(&partition("active", 100, 40, 30, 120)), Some(60), "from what was handed over");
        assert_eq!(partition_lag(&partition("active", 100, -1, 30, 120)), Some(70), "idle since a restart: from the commit");
        assert_eq!(partition_lag(&partition("active", 100, -1, -1, 90)), Some(10), "nothing committed: from the fetch position");
        assert_eq!(partition_lag(&partition("active", 100, 120, -1, 120)), Some(0), "never negative");
        assert_eq!(partition_lag(&partition("active", -1, 40, 30, 40)), None, "no fetch answered yet");
        // After a rebalance the watermark is the one fetched before it.
        for state in ["none", "stopping", "stopped", "offset-query", "offset-wait"] {
            assert_eq!(partition_lag(&partition(state, 100, 100, 100, 100)), None, "{state}");
        }
    }
}
