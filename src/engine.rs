//! One record in, everything it causes out: decode, price, detect. The
//! file and Kafka shells both drive this, so they make the same decisions.
//!
//! Owns: the per-record pipeline and the dead-letter record. Does not own:
//! where records come from or where outputs go (no I/O here either).

use std::sync::Arc;

use serde::Serialize;

use crate::detect::{Charge, Detector, EventKeys, Outcome};
use crate::event::{DecodeError, Decoder, Event};
use crate::policy::Policy;
use crate::pricing::{Catalog, CostSource, Priced, UnknownModel};
use crate::signal::{Action, Scope, Signal};

/// Where a record came from, for dead letters and the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SourcePos {
    // Shared names: a position is made for every record and cloned into
    // the archive, so its name is a reference count, not a copy.
    File { file: Arc<str>, line: u64 },
    Kafka { topic: Arc<str>, partition: i32, offset: i64 },
}

/// A record that could not be processed: kept whole, never dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// The raw record as text (lossy only where it was not UTF-8).
    pub raw: String,
    /// The exact bytes, base64 (standard alphabet), when they are not UTF-8
    /// and `raw` therefore could not hold them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_base64: Option<String>,
    pub reason: &'static str,
    pub error: String,
    pub source: SourcePos,
}

impl DeadLetter {
    pub fn new(raw: &[u8], err: &DecodeError, source: SourcePos) -> DeadLetter {
        use base64::Engine as _;
        let (text, raw_base64) = match std::str::from_utf8(raw) {
            Ok(s) => (s.to_string(), None),
            Err(_) => (String::from_utf8_lossy(raw).into_owned(), Some(base64::engine::general_purpose::STANDARD.encode(raw))),
        };
        DeadLetter { raw: text, raw_base64, reason: err.code(), error: err.to_string(), source }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An event with the cost it was counted at.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedEvent {
    pub event: Event,
    pub cost_usd: f64,
    pub cost_source: CostSource,
    pub outcome: Outcome,
    /// The event's session is killed: by this event (it triggered a
    /// session kill of its own session) or before it (`AfterKill`).
    pub killed_session: bool,
}

/// What one record became.
// Unboxed although a dead letter is smaller: every good event would pay an
// allocation for the rare dead one to be small.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Processed {
    Event(PricedEvent),
    Dead(DeadLetter),
}

/// Decoder, price catalog and detector together.
pub struct Engine {
    decoder: Decoder,
    catalog: Catalog,
    detector: Detector,
    unknown_models: Vec<Arc<str>>,
    /// Whether an event time before 1971 was reported (once per run).
    warned_epoch_seconds: bool,
}

impl Engine {
    pub fn new(catalog: Catalog, policy: Arc<Policy>) -> Engine {
        Engine {
            decoder: Decoder::default(),
            catalog,
            detector: Detector::new(policy),
            unknown_models: Vec::new(),
            warned_epoch_seconds: false,
        }
    }

    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    pub fn detector_mut(&mut self) -> &mut Detector {
        &mut self.detector
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Models priced at the fallback rate because the catalog lacks them,
    /// in the order first seen.
    pub fn unknown_models(&self) -> &[Arc<str>] {
        &self.unknown_models
    }

    /// Decodes, prices and checks one raw record. Signals are appended to
    /// `signals`.
    pub fn process_record(&mut self, raw: &[u8], source: SourcePos, shard: u32, signals: &mut Vec<Signal>) -> Processed {
        let decoded = self.decoder.decode(raw);
        self.process_decoded(decoded, raw, source, shard, signals)
    }

    /// The rest of [`Engine::process_record`] for a record decoded
    /// elsewhere (the Kafka shell decodes on a thread of its own, ahead of
    /// detection, with its own [`Decoder`]). `raw` is the record the
    /// decoder was given, kept for the dead letter.
    pub fn process_decoded(
        &mut self,
        decoded: Result<Event, DecodeError>,
        raw: &[u8],
        source: SourcePos,
        shard: u32,
        signals: &mut Vec<Signal>,
    ) -> Processed {
        let keys = decoded.as_ref().map(EventKeys::of).unwrap_or_default();
        self.process_decoded_keyed(decoded, keys, raw, source, shard, signals)
    }

    /// As [`Engine::process_decoded`], with the event's keys computed by
    /// the decoding thread (`EventKeys::of`).
    pub fn process_decoded_keyed(
        &mut self,
        decoded: Result<Event, DecodeError>,
        keys: EventKeys,
        raw: &[u8],
        source: SourcePos,
        shard: u32,
        signals: &mut Vec<Signal>,
    ) -> Processed {
        match decoded {
            Ok(event) => Processed::Event(self.process_event_keyed(event, keys, shard, signals)),
            Err(err) => Processed::Dead(DeadLetter::new(raw, &err, source)),
        }
    }

    /// See [`Detector::prefetch`].
    pub fn prefetch(&self, keys: &EventKeys, shard: u32) {
        self.detector.prefetch(keys, shard);
    }

    /// Prices and checks one decoded event.
    fn process_event_keyed(&mut self, event: Event, keys: EventKeys, shard: u32, signals: &mut Vec<Signal>) -> PricedEvent {
        if event.ts_ms < EPOCH_SECONDS_SUSPECT_MS && !self.warned_epoch_seconds {
            self.warned_epoch_seconds = true;
            warn_epoch_seconds(&event);
        }
        let (priced, unknown) = self.catalog.price(&event);
        if let Some(UnknownModel(m)) = unknown {
            tracing::warn!(model = %m, rate = "fallback", "model not in the price catalog, or its entry lacks a rate the call needs; priced at the fallback rate (never as free)");
            self.unknown_models.push(m);
        }
        let before = signals.len();
        let outcome = self.detector.process_keyed(&event, keys, priced.into(), shard, signals);
        // The archive row is written from this: the trigger's own row must
        // say its session is killed, or a session killed at its last event
        // has no such row.
        let killed_session = outcome == Outcome::AfterKill
            || signals[before..]
                .iter()
                .any(|s| s.action == Action::Kill && s.scope == Scope::Session && s.session_id.as_deref() == Some(&*event.session_id));
        PricedEvent { event, cost_usd: priced.cost_usd, cost_source: priced.source, outcome, killed_session }
    }
}

/// Event times before this (1971-01-01) are valid epoch milliseconds but
/// most likely epoch seconds sent as milliseconds: today's time in seconds
/// read as milliseconds falls in January 1970. Such events are kept (small
/// times are also what hand-written test streams use), and said once.
const EPOCH_SECONDS_SUSPECT_MS: i64 = 31_536_000_000;

#[cold]
fn warn_epoch_seconds(event: &Event) {
    tracing::warn!(
        event_id = %event.event_id,
        ts_ms = event.ts_ms,
        "event time in 1970: if `ts` is epoch seconds, send milliseconds (contract §1); windows and the archive's dt partitions use the time as given (said once per run)"
    );
}

/// The detector sees what pricing found, not how.
impl From<Priced> for Charge {
    fn from(p: Priced) -> Charge {
        Charge { cost_usd: p.cost_usd, list_price: p.list_price, tier_premium: p.tier_premium, embedding: p.embedding }
    }
}
