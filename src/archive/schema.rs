//! The Arrow schemas of the archive's two tables, the row buffers that hold
//! events and signals until the background threads take them, and the
//! column builders that turn those buffers into record batches.
//!
//! Owns: column names, types and order (the archive's read contract, see
//! `docs/archive.md`), and the buffered row layout: the caller's thread only
//! copies an event's fields into a batch buffer ([`EventBatch::push`]); the
//! Arrow columns are built on the builder thread. Closed enumerations (kind, status, cost_source,
//! outcome, action, scope, reason) are Arrow dictionaries built from fixed
//! value lists, which costs no hashing. Open low-cardinality strings (agent,
//! team, model, …) are plain Arrow strings stored with Parquet dictionary
//! encoding: building an Arrow dictionary too would hash every value twice
//! (measured: the writer's main cost). Unique ids have the Parquet
//! dictionary switched off (`*_NO_DICT`), it would not pay.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, DictionaryArray, Float64Array, Float64Builder, Int32Builder, Int64Builder, MapBuilder, MapFieldNames,
    StringArray, StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder, UInt32Array, UInt32Builder, UInt64Array,
    UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::schema::types::ColumnPath;

use crate::detect::Outcome;
use crate::engine::PricedEvent;
use crate::event::{parse_rfc3339_ms, EventKind, Status};
use crate::pricing::CostSource;
use crate::signal::Signal;

use super::encoder::Encoder;

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn dict() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

fn labels_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(vec![Field::new("keys", DataType::Utf8, false), Field::new("values", DataType::Utf8, true)].into()),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

fn source_fields() -> Vec<Field> {
    vec![
        Field::new("source_stream", DataType::Utf8, false),
        Field::new("source_offset", DataType::Int64, false),
        Field::new("kafka_partition", DataType::Int32, true),
        Field::new("kafka_offset", DataType::Int64, true),
    ]
}

/// Schema of `events/`: one row per event.
pub fn events_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("v", DataType::UInt32, false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("ts", ts_type(), false),
        Field::new("session_id", DataType::Utf8, false),
        Field::new("agent_id", DataType::Utf8, false),
        Field::new("task_type", DataType::Utf8, false),
        Field::new("task_id", DataType::Utf8, true),
        Field::new("parent_session_id", DataType::Utf8, true),
        Field::new("tenant", DataType::Utf8, true),
        Field::new("team", DataType::Utf8, true),
        Field::new("feature", DataType::Utf8, true),
        Field::new("env", DataType::Utf8, true),
        Field::new("labels", labels_type(), false),
        Field::new("kind", dict(), false),
        Field::new("model", DataType::Utf8, true),
        Field::new("provider", DataType::Utf8, true),
        Field::new("input_tokens", DataType::UInt64, false),
        Field::new("output_tokens", DataType::UInt64, false),
        Field::new("cache_read_tokens", DataType::UInt64, false),
        Field::new("cache_write_tokens", DataType::UInt64, false),
        Field::new("reasoning_tokens", DataType::UInt64, false),
        Field::new("cost_usd", DataType::Float64, false),
        Field::new("cost_source", dict(), false),
        Field::new("tool", DataType::Utf8, true),
        Field::new("args_hash", DataType::Utf8, true),
        Field::new("target_agent_id", DataType::Utf8, true),
        Field::new("status", dict(), false),
        Field::new("latency_ms", DataType::UInt64, true),
        Field::new("outcome", dict(), false),
        Field::new("killed_session", DataType::Boolean, false),
    ];
    fields.extend(source_fields());
    Arc::new(Schema::new(fields))
}

/// Schema of `signals/`: one row per signal, every contract §2 field.
pub fn signals_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("v", DataType::UInt32, false),
        Field::new("signal_id", DataType::Utf8, false),
        Field::new("action", dict(), false),
        Field::new("scope", dict(), false),
        Field::new("session_id", DataType::Utf8, true),
        Field::new("agent_id", DataType::Utf8, true),
        Field::new("task_type", DataType::Utf8, true),
        Field::new("task_id", DataType::Utf8, true),
        Field::new("tenant", DataType::Utf8, true),
        Field::new("reason", dict(), false),
        Field::new("trigger_event_id", DataType::Utf8, false),
        Field::new("event_ts", ts_type(), false),
        Field::new("emitted_at", ts_type(), true),
        Field::new("session_cost_usd", DataType::Float64, false),
        Field::new("session_actions", DataType::UInt64, false),
        Field::new("observed", DataType::Float64, true),
        Field::new("baseline", DataType::Float64, true),
        Field::new("ratio", DataType::Float64, true),
        Field::new("evidence", DataType::Utf8, false),
        Field::new("policy_id", DataType::Utf8, false),
        Field::new("policy_version", DataType::Utf8, false),
        Field::new("message", DataType::Utf8, false),
    ];
    fields.extend(source_fields());
    Arc::new(Schema::new(fields))
}

/// Columns whose Parquet dictionary would not pay (unique or near-unique).
pub const EVENTS_NO_DICT: &[&str] = &["event_id", "args_hash"];

/// Parquet paths of every string leaf column (plain, dictionary, and the
/// keys and values inside maps and structs).
pub fn string_leaves(schema: &Schema) -> Vec<ColumnPath> {
    fn walk(field: &Field, path: &mut Vec<String>, out: &mut Vec<ColumnPath>) {
        path.push(field.name().clone());
        match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => out.push(ColumnPath::new(path.clone())),
            DataType::Map(entries, _) => walk(entries, path, out),
            DataType::Struct(children) => children.iter().for_each(|c| walk(c, path, out)),
            _ => {}
        }
        path.pop();
    }
    let mut out = Vec::new();
    for f in schema.fields() {
        walk(f, &mut Vec::new(), &mut out);
    }
    out
}
pub const SIGNALS_NO_DICT: &[&str] = &["signal_id", "trigger_event_id", "message", "evidence"];

/// A dictionary column over a closed set of values: rows append the value's
/// index, the dictionary is the fixed list.
struct FixedDict {
    keys: Int32Builder,
    values: &'static [&'static str],
}

impl FixedDict {
    fn with_capacity(values: &'static [&'static str], rows: usize) -> FixedDict {
        FixedDict { keys: Int32Builder::with_capacity(rows), values }
    }

    fn append(&mut self, index: usize) {
        self.keys.append_value(index as i32);
    }

    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let values: ArrayRef = Arc::new(StringArray::from(self.values.to_vec()));
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(self.keys.finish(), values)?))
    }
}

const KINDS: &[&str] = &["llm", "tool", "handoff"];
const STATUSES: &[&str] = &["ok", "error", "retry"];
const COST_SOURCES: &[&str] = &["reported", "catalog", "fallback", "unpriced"];
const OUTCOMES: &[&str] = &["processed", "after_kill"];
const ACTIONS: &[&str] = &["alert", "throttle", "pause", "kill"];
const SCOPES: &[&str] = &["session", "agent", "fleet"];
const REASONS: &[&str] = &[
    "session_budget",
    "cost_spike",
    "loop_repeat",
    "loop_cycle",
    "ping_pong",
    "step_runaway",
    "retry_storm",
    "context_growth",
    "subagent_fanout",
    "task_budget",
    "agent_budget",
    "fleet_budget",
];

/// Index of `value` in `list`; the lists above are checked against the
/// enums' `as_str` by a unit test, so a miss cannot happen for enum values.
fn index_of(list: &[&str], value: &str) -> usize {
    list.iter().position(|v| *v == value).unwrap_or(0)
}

/// The source columns. Every row of a file comes from the same source
/// stream (files are keyed by it), so the stream name is the file's.
struct SourceCols {
    stream: StringBuilder,
    offset: Int64Builder,
    kafka_partition: Int32Builder,
    kafka_offset: Int64Builder,
}

impl SourceCols {
    fn with_capacity(rows: usize, stream: &str) -> SourceCols {
        SourceCols {
            stream: StringBuilder::with_capacity(rows, rows * stream.len()),
            offset: Int64Builder::with_capacity(rows),
            kafka_partition: Int32Builder::with_capacity(rows),
            kafka_offset: Int64Builder::with_capacity(rows),
        }
    }

    fn append(&mut self, stream: &str, pos: &RowSource) {
        self.stream.append_value(stream);
        self.offset.append_value(pos.offset);
        self.kafka_partition.append_option(pos.kafka_partition);
        self.kafka_offset.append_option(pos.kafka_partition.map(|_| pos.offset));
    }

    fn finish(&mut self, cols: &mut Vec<ArrayRef>) {
        cols.push(Arc::new(self.stream.finish()));
        cols.push(Arc::new(self.offset.finish()));
        cols.push(Arc::new(self.kafka_partition.finish()));
        cols.push(Arc::new(self.kafka_offset.finish()));
    }
}

/// Where a row came from within its file's source stream: the offset (file
/// line or Kafka offset) and, for Kafka, the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSource {
    pub offset: i64,
    pub kafka_partition: Option<i32>,
}

/// Rows of one file not yet handed to the background threads. They are
/// filled on the caller's thread with plain copies (no Arrow builders,
/// hashing or allocation per row once the buffers have grown) and become a
/// record batch on the builder thread ([`Pending::to_record_batch`]).
pub trait Rows: Send {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes of string data buffered, so a batch of huge rows is cut early.
    fn text_bytes(&self) -> usize;
    /// Takes the buffered rows and starts empty again, in a buffer the
    /// builder is done with if it has one spare (no fresh pages to fault in),
    /// else in a new one sized like the batch taken.
    fn take(&mut self, enc: &Encoder) -> Pending;
}

/// Rows on their way to the background threads.
pub enum Pending {
    Events(EventBatch),
    Signals(SignalBatch),
}

impl Pending {
    /// Builds the Arrow record batch (on the builder thread); `stream` is
    /// the `source_stream` of every row of the file.
    pub fn to_record_batch(&self, schema: &SchemaRef, stream: &str) -> Result<RecordBatch, ArrowError> {
        match self {
            Pending::Events(b) => b.to_record_batch(schema, stream),
            Pending::Signals(b) => b.to_record_batch(schema, stream),
        }
    }
}

/// The string fields of an event row, in this order in [`EventBatch::text`].
const EV_EVENT_ID: usize = 0;
const EV_SESSION_ID: usize = 1;
const EV_AGENT_ID: usize = 2;
const EV_TASK_TYPE: usize = 3;
const EV_TASK_ID: usize = 4;
const EV_PARENT_SESSION_ID: usize = 5;
const EV_TENANT: usize = 6;
const EV_TEAM: usize = 7;
const EV_FEATURE: usize = 8;
const EV_ENV: usize = 9;
const EV_MODEL: usize = 10;
const EV_PROVIDER: usize = 11;
const EV_TOOL: usize = 12;
const EV_ARGS_HASH: usize = 13;
const EV_TARGET_AGENT_ID: usize = 14;
const EV_STRS: usize = 15;

/// One event as buffered: its fixed-size fields, and where its strings lie
/// in the batch's text.
#[derive(Debug, Clone, Copy)]
struct EventRow {
    v: u32,
    kind: EventKind,
    status: Status,
    cost_source: CostSource,
    outcome: Outcome,
    killed_session: bool,
    /// Bit `i` set: string `i` is null.
    nulls: u16,
    ts_ms: i64,
    /// input, output, cache read, cache write, reasoning.
    tokens: [u64; 5],
    cost_usd: f64,
    latency_ms: Option<u64>,
    source: RowSource,
    /// String `i` is `text[ends[i - 1]..ends[i]]`; the first starts at `start`.
    start: u32,
    ends: [u32; EV_STRS],
    /// The row's labels are `label_ends[labels.0..labels.1]`.
    labels: (u32, u32),
}

/// Buffered events of one file: fixed-size rows plus all their strings
/// back to back in one `String`.
#[derive(Debug, Default)]
pub struct EventBatch {
    rows: Vec<EventRow>,
    text: String,
    /// For each label: where its key and its value end in `text` (the key
    /// starts where the previous label's value, or the row's last string,
    /// ends).
    label_ends: Vec<(u32, u32)>,
}

fn batch_corrupt() -> ArrowError {
    ArrowError::InvalidArgumentError("archive row buffer inconsistent".into())
}

impl EventBatch {
    /// Empties the buffer, keeping its capacity for reuse.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.text.clear();
        self.label_ends.clear();
    }

    /// Buffers one event (caller's thread).
    pub fn push(&mut self, p: &PricedEvent, source: RowSource) -> Result<(), ArrowError> {
        let e = &p.event;
        let text = &mut self.text;
        let start = text.len();
        let labels_from = self.label_ends.len();
        let mut ends = [0u32; EV_STRS];
        let mut nulls = 0u16;
        // Unrolled: no array of options built and walked per row.
        macro_rules! put {
            ($i:expr, $s:expr) => {
                match $s {
                    Some(s) => text.push_str(s),
                    None => nulls |= 1 << $i,
                }
                ends[$i] = text.len() as u32;
            };
        }
        put!(EV_EVENT_ID, Some(&*e.event_id));
        put!(EV_SESSION_ID, Some(&*e.session_id));
        put!(EV_AGENT_ID, Some(&*e.agent_id));
        put!(EV_TASK_TYPE, Some(&*e.task_type));
        put!(EV_TASK_ID, e.task_id.as_deref());
        put!(EV_PARENT_SESSION_ID, e.parent_session_id.as_deref());
        put!(EV_TENANT, e.tenant.as_deref());
        put!(EV_TEAM, e.team.as_deref());
        put!(EV_FEATURE, e.feature.as_deref());
        put!(EV_ENV, e.env.as_deref());
        put!(EV_MODEL, e.model.as_deref());
        put!(EV_PROVIDER, e.provider.as_deref());
        put!(EV_TOOL, e.tool.as_deref());
        put!(EV_ARGS_HASH, e.args_hash.as_deref());
        put!(EV_TARGET_AGENT_ID, e.target_agent_id.as_deref());
        for (k, v) in &e.labels {
            text.push_str(k);
            let key_end = text.len() as u32;
            text.push_str(v);
            self.label_ends.push((key_end, text.len() as u32));
        }
        // Offsets are u32: a batch is cut long before 4 GiB of text, so only
        // a single absurd row gets here; it is refused, the buffer unchanged.
        if text.len() > u32::MAX as usize {
            text.truncate(start);
            self.label_ends.truncate(labels_from);
            return Err(ArrowError::InvalidArgumentError("archive row text exceeds 4 GiB".into()));
        }
        self.rows.push(EventRow {
            v: e.v,
            kind: e.kind,
            status: e.status,
            cost_source: p.cost_source,
            outcome: p.outcome,
            killed_session: p.killed_session,
            nulls,
            ts_ms: e.ts_ms,
            tokens: [e.input_tokens, e.output_tokens, e.cache_read_tokens, e.cache_write_tokens, e.reasoning_tokens],
            cost_usd: p.cost_usd,
            latency_ms: e.latency_ms,
            source,
            start: start as u32,
            ends,
            labels: (labels_from as u32, self.label_ends.len() as u32),
        });
        Ok(())
    }

    fn str_range(r: &EventRow, i: usize) -> (usize, usize) {
        let from = if i == 0 { r.start } else { r.ends[i - 1] };
        (from as usize, r.ends[i] as usize)
    }

    fn str_col(&self, i: usize) -> Result<ArrayRef, ArrowError> {
        let bytes = self.rows.iter().map(|r| {
            let (a, b) = Self::str_range(r, i);
            b.saturating_sub(a)
        });
        let mut col = StringBuilder::with_capacity(self.rows.len(), bytes.sum());
        for r in &self.rows {
            if r.nulls & (1 << i) != 0 {
                col.append_null();
            } else {
                let (a, b) = Self::str_range(r, i);
                col.append_value(self.text.get(a..b).ok_or_else(batch_corrupt)?);
            }
        }
        Ok(Arc::new(col.finish()))
    }

    fn labels_col(&self) -> Result<ArrayRef, ArrowError> {
        let names = MapFieldNames { entry: "entries".into(), key: "keys".into(), value: "values".into() };
        let mut col = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
        for r in &self.rows {
            let pairs = self.label_ends.get(r.labels.0 as usize..r.labels.1 as usize).ok_or_else(batch_corrupt)?;
            let mut from = r.ends[EV_STRS - 1] as usize;
            for &(key_end, value_end) in pairs {
                let (key_end, value_end) = (key_end as usize, value_end as usize);
                col.keys().append_value(self.text.get(from..key_end).ok_or_else(batch_corrupt)?);
                col.values().append_value(self.text.get(key_end..value_end).ok_or_else(batch_corrupt)?);
                from = value_end;
            }
            col.append(true)?;
        }
        Ok(Arc::new(col.finish()))
    }

    fn to_record_batch(&self, schema: &SchemaRef, stream: &str) -> Result<RecordBatch, ArrowError> {
        let rows = &self.rows;
        let n = rows.len();
        let u64s = |f: fn(&EventRow) -> u64| -> ArrayRef { Arc::new(UInt64Array::from_iter_values(rows.iter().map(f))) };
        let mut kind = FixedDict::with_capacity(KINDS, n);
        let mut cost_source = FixedDict::with_capacity(COST_SOURCES, n);
        let mut status = FixedDict::with_capacity(STATUSES, n);
        let mut outcome = FixedDict::with_capacity(OUTCOMES, n);
        let mut killed_session = BooleanBuilder::with_capacity(n);
        let mut latency_ms = UInt64Builder::with_capacity(n);
        let mut source = SourceCols::with_capacity(n, stream);
        for r in rows {
            kind.append(index_of(KINDS, r.kind.as_str()));
            cost_source.append(index_of(COST_SOURCES, r.cost_source.as_str()));
            status.append(index_of(STATUSES, r.status.as_str()));
            let after_kill = r.outcome == Outcome::AfterKill;
            outcome.append(usize::from(after_kill));
            killed_session.append_value(r.killed_session);
            latency_ms.append_option(r.latency_ms);
            source.append(stream, &r.source);
        }
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.v))),
            self.str_col(EV_EVENT_ID)?,
            Arc::new(TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.ts_ms)).with_timezone("UTC")),
            self.str_col(EV_SESSION_ID)?,
            self.str_col(EV_AGENT_ID)?,
            self.str_col(EV_TASK_TYPE)?,
            self.str_col(EV_TASK_ID)?,
            self.str_col(EV_PARENT_SESSION_ID)?,
            self.str_col(EV_TENANT)?,
            self.str_col(EV_TEAM)?,
            self.str_col(EV_FEATURE)?,
            self.str_col(EV_ENV)?,
            self.labels_col()?,
            kind.finish()?,
            self.str_col(EV_MODEL)?,
            self.str_col(EV_PROVIDER)?,
            u64s(|r| r.tokens[0]),
            u64s(|r| r.tokens[1]),
            u64s(|r| r.tokens[2]),
            u64s(|r| r.tokens[3]),
            u64s(|r| r.tokens[4]),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.cost_usd))),
            cost_source.finish()?,
            self.str_col(EV_TOOL)?,
            self.str_col(EV_ARGS_HASH)?,
            self.str_col(EV_TARGET_AGENT_ID)?,
            status.finish()?,
            Arc::new(latency_ms.finish()),
            outcome.finish()?,
            Arc::new(killed_session.finish()),
        ];
        source.finish(&mut cols);
        RecordBatch::try_new(schema.clone(), cols)
    }
}

impl Rows for EventBatch {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn text_bytes(&self) -> usize {
        self.text.len()
    }

    fn take(&mut self, enc: &Encoder) -> Pending {
        let next = enc.spare_events().unwrap_or_else(|| EventBatch {
            rows: Vec::with_capacity(self.rows.len()),
            text: String::with_capacity(self.text.len()),
            label_ends: Vec::with_capacity(self.label_ends.len()),
        });
        Pending::Events(std::mem::replace(self, next))
    }
}

/// Buffered signals of one file: owned copies (signals are few).
#[derive(Debug, Default)]
pub struct SignalBatch {
    rows: Vec<(Signal, RowSource)>,
}

impl SignalBatch {
    /// Buffers one signal (caller's thread).
    pub fn push(&mut self, s: &Signal, source: RowSource) {
        self.rows.push((s.clone(), source));
    }

    fn to_record_batch(&self, schema: &SchemaRef, stream: &str) -> Result<RecordBatch, ArrowError> {
        let n = self.rows.len();
        let mut v = UInt32Builder::with_capacity(n);
        let mut signal_id = StringBuilder::new();
        let mut action = FixedDict::with_capacity(ACTIONS, n);
        let mut scope = FixedDict::with_capacity(SCOPES, n);
        let mut session_id = StringBuilder::new();
        let mut agent_id = StringBuilder::new();
        let mut task_type = StringBuilder::new();
        let mut task_id = StringBuilder::new();
        let mut tenant = StringBuilder::new();
        let mut reason = FixedDict::with_capacity(REASONS, n);
        let mut trigger_event_id = StringBuilder::new();
        let mut event_ts = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut emitted_at = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut session_cost_usd = Float64Builder::with_capacity(n);
        let mut session_actions = UInt64Builder::with_capacity(n);
        let mut observed = Float64Builder::with_capacity(n);
        let mut baseline = Float64Builder::with_capacity(n);
        let mut ratio = Float64Builder::with_capacity(n);
        let mut evidence = StringBuilder::new();
        let mut policy_id = StringBuilder::new();
        let mut policy_version = StringBuilder::new();
        let mut message = StringBuilder::new();
        let mut source = SourceCols::with_capacity(n, stream);
        for (s, pos) in &self.rows {
            v.append_value(s.v);
            signal_id.append_value(&s.signal_id);
            action.append(index_of(ACTIONS, s.action.as_str()));
            scope.append(index_of(SCOPES, s.scope.as_str()));
            session_id.append_option(s.session_id.as_deref());
            agent_id.append_option(s.agent_id.as_deref());
            task_type.append_option(s.task_type.as_deref());
            task_id.append_option(s.task_id.as_deref());
            tenant.append_option(s.tenant.as_deref());
            reason.append(index_of(REASONS, s.reason.as_str()));
            trigger_event_id.append_value(&s.trigger_event_id);
            event_ts.append_value(s.event_ts_ms);
            emitted_at.append_option(s.emitted_at.as_deref().and_then(parse_rfc3339_ms));
            session_cost_usd.append_value(s.session_cost_usd);
            session_actions.append_value(s.session_actions);
            observed.append_option(s.observed);
            baseline.append_option(s.baseline);
            ratio.append_option(s.ratio);
            evidence.append_value(s.evidence.to_string());
            policy_id.append_value(&s.policy_id);
            policy_version.append_value(&s.policy_version);
            message.append_value(&s.message);
            source.append(stream, pos);
        }
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(v.finish()),
            Arc::new(signal_id.finish()),
            action.finish()?,
            scope.finish()?,
            Arc::new(session_id.finish()),
            Arc::new(agent_id.finish()),
            Arc::new(task_type.finish()),
            Arc::new(task_id.finish()),
            Arc::new(tenant.finish()),
            reason.finish()?,
            Arc::new(trigger_event_id.finish()),
            Arc::new(event_ts.finish()),
            Arc::new(emitted_at.finish()),
            Arc::new(session_cost_usd.finish()),
            Arc::new(session_actions.finish()),
            Arc::new(observed.finish()),
            Arc::new(baseline.finish()),
            Arc::new(ratio.finish()),
            Arc::new(evidence.finish()),
            Arc::new(policy_id.finish()),
            Arc::new(policy_version.finish()),
            Arc::new(message.finish()),
        ];
        source.finish(&mut cols);
        RecordBatch::try_new(schema.clone(), cols)
    }
}

impl Rows for SignalBatch {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn text_bytes(&self) -> usize {
        0 // signals are few and small; the row count alone cuts their batches
    }

    fn take(&mut self, _enc: &Encoder) -> Pending {
        Pending::Signals(std::mem::take(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{Action, Reason, Scope};
    use arrow::array::{Array, AsArray, Int32Array, Int64Array, MapArray};

    fn priced(line: &str, outcome: Outcome) -> PricedEvent {
        let event = crate::event::decode(line.as_bytes()).expect("test event decodes");
        PricedEvent { event, cost_usd: 0.25, cost_source: CostSource::Catalog, outcome, killed_session: outcome == Outcome::AfterKill }
    }

    /// Strings, nulls and labels come back from the row buffer in their
    /// columns, row by row, across refills of a recycled buffer.
    #[test]
    fn event_batch_builds_the_rows_it_was_given() {
        let full = r#"{"event_id":"e1","ts":1795000000000,"session_id":"s1","agent_id":"a1","task_type":"t","task_id":"k1","parent_session_id":"p1","tenant":"ten","team":"tm","feature":"f","env":"prod","kind":"handoff","model":"m","provider":"pv","tool":"tl","args_hash":"h","target_agent_id":"a2","status":"retry","latency_ms":7,"labels":{"z":"1","a":""}}"#;
        let bare = r#"{"event_id":"e2","ts":1795000000001,"session_id":"s2","agent_id":"a1","kind":"tool"}"#;
        let schema = events_schema();
        let mut buf = EventBatch::default();
        for round in 0..2 {
            buf.push(&priced(full, Outcome::AfterKill), RowSource { offset: 40, kafka_partition: Some(3) }).unwrap();
            buf.push(&priced(bare, Outcome::Processed), RowSource { offset: 41, kafka_partition: None }).unwrap();
            let b = buf.to_record_batch(&schema, "topic-3").unwrap();
            buf.clear();
            assert_eq!(b.num_rows(), 2, "round {round}");
            let col = |name: &str| b.column_by_name(name).unwrap().clone();
            let strs = |name: &str| -> Vec<Option<String>> { col(name).as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect() };
            let some = |v: &str| Some(v.to_string());
            assert_eq!(strs("event_id"), [some("e1"), some("e2")]);
            assert_eq!(strs("session_id"), [some("s1"), some("s2")]);
            assert_eq!(strs("task_id"), [some("k1"), None]);
            assert_eq!(strs("parent_session_id"), [some("p1"), None]);
            assert_eq!(strs("target_agent_id"), [some("a2"), None]);
            assert_eq!(strs("args_hash"), [some("h"), None]);
            assert_eq!(strs("source_stream"), [some("topic-3"), some("topic-3")]);
            let labels = col("labels");
            let labels = labels.as_any().downcast_ref::<MapArray>().unwrap();
            let row0 = labels.value(0);
            let keys: Vec<&str> = row0.column(0).as_string::<i32>().iter().flatten().collect();
            let values: Vec<&str> = row0.column(1).as_string::<i32>().iter().flatten().collect();
            assert_eq!((keys, values), (vec!["a", "z"], vec!["", "1"]));
            assert_eq!(labels.value(1).len(), 0);
            let kp = col("kafka_partition");
            let kp = kp.as_any().downcast_ref::<Int32Array>().unwrap();
            assert_eq!((kp.value(0), kp.is_null(1)), (3, true));
            let ko = col("kafka_offset");
            let ko = ko.as_any().downcast_ref::<Int64Array>().unwrap();
            assert_eq!((ko.value(0), ko.is_null(1)), (40, true));
            let killed = col("killed_session");
            assert_eq!(killed.as_boolean().iter().collect::<Vec<_>>(), [Some(true), Some(false)]);
        }
    }

    #[test]
    fn fixed_dictionaries_cover_every_enum_value() {
        for k in [EventKind::Llm, EventKind::Tool, EventKind::Handoff] {
            assert!(KINDS.contains(&k.as_str()));
        }
        for v in [Status::Ok, Status::Error, Status::Retry] {
            assert!(STATUSES.contains(&v.as_str()));
        }
        for v in [CostSource::Reported, CostSource::Catalog, CostSource::Fallback, CostSource::Unpriced] {
            assert!(COST_SOURCES.contains(&v.as_str()));
        }
        for v in [Action::Alert, Action::Throttle, Action::Pause, Action::Kill] {
            assert!(ACTIONS.contains(&v.as_str()));
        }
        for v in [Scope::Session, Scope::Agent, Scope::Fleet] {
            assert!(SCOPES.contains(&v.as_str()));
        }
        for r in Reason::ALL {
            assert!(REASONS.contains(&r.as_str()), "{r:?}");
        }
    }
}
