//! The Arrow schemas of the archive's two tables and the column builders
//! that turn events and signals into record batches.
//!
//! Owns: column names, types and order (the archive's read contract, see
//! `docs/archive.md`). Closed enumerations (kind, status, cost_source,
//! outcome, action, scope, reason) are Arrow dictionaries built from fixed
//! value lists, which costs no hashing. Open low-cardinality strings (agent,
//! team, model, …) are plain Arrow strings stored with Parquet dictionary
//! encoding: building an Arrow dictionary too would hash every value twice
//! (measured: the writer's main cost). Unique ids have the Parquet
//! dictionary switched off (`*_NO_DICT`), it would not pay.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, DictionaryArray, Float64Builder, Int32Builder, Int64Builder, MapBuilder, MapFieldNames,
    StringArray, StringBuilder, TimestampMillisecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::detect::Outcome;
use crate::engine::{PricedEvent, SourcePos};
use crate::event::parse_rfc3339_ms;
use crate::signal::Signal;

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn dict() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

fn labels_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(
            vec![Field::new("keys", DataType::Utf8, false), Field::new("values", DataType::Utf8, true)].into(),
        ),
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
/// Columns whose min/max statistics would not prune anything (random ids).
pub const NO_STATS: &[&str] =
    &["event_id", "session_id", "task_id", "parent_session_id", "args_hash", "signal_id", "trigger_event_id", "message", "evidence"];
pub const SIGNALS_NO_DICT: &[&str] = &["signal_id", "trigger_event_id", "message", "evidence"];

type Dict = StringBuilder;

fn opt_dict(b: &mut Dict, v: Option<&str>) {
    b.append_option(v);
}

/// A dictionary column over a closed set of values: rows append the value's
/// index, the dictionary is the fixed list.
struct FixedDict {
    keys: Int32Builder,
    values: &'static [&'static str],
}

impl FixedDict {
    fn new(values: &'static [&'static str]) -> FixedDict {
        FixedDict { keys: Int32Builder::new(), values }
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

#[derive(Default)]
struct SourceCols {
    stream: StringBuilder,
    offset: Int64Builder,
    kafka_partition: Int32Builder,
    kafka_offset: Int64Builder,
}

impl SourceCols {
    fn append(&mut self, source: &SourcePos) {
        match source {
            SourcePos::File { file, line } => {
                self.stream.append_value(file);
                self.offset.append_value(*line as i64);
                self.kafka_partition.append_null();
                self.kafka_offset.append_null();
            }
            SourcePos::Kafka { topic, partition, offset } => {
                self.stream.append_value(format!("{topic}-{partition}"));
                self.offset.append_value(*offset);
                self.kafka_partition.append_value(*partition);
                self.kafka_offset.append_value(*offset);
            }
        }
    }

    fn finish(&mut self, cols: &mut Vec<ArrayRef>) {
        cols.push(Arc::new(self.stream.finish()));
        cols.push(Arc::new(self.offset.finish()));
        cols.push(Arc::new(self.kafka_partition.finish()));
        cols.push(Arc::new(self.kafka_offset.finish()));
    }
}

/// What a batch builder must offer the rolling file writer.
pub trait Rows: Send {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Takes the buffered rows as a batch and starts empty again.
    fn finish(&mut self) -> Result<RecordBatch, ArrowError>;
}

/// Column builders for `events/`.
pub struct EventRows {
    schema: SchemaRef,
    len: usize,
    v: UInt32Builder,
    event_id: StringBuilder,
    ts: TimestampMillisecondBuilder,
    session_id: StringBuilder,
    agent_id: Dict,
    task_type: Dict,
    task_id: StringBuilder,
    parent_session_id: StringBuilder,
    tenant: Dict,
    team: Dict,
    feature: Dict,
    env: Dict,
    labels: MapBuilder<StringBuilder, StringBuilder>,
    kind: FixedDict,
    model: Dict,
    provider: Dict,
    input_tokens: UInt64Builder,
    output_tokens: UInt64Builder,
    cache_read_tokens: UInt64Builder,
    cache_write_tokens: UInt64Builder,
    reasoning_tokens: UInt64Builder,
    cost_usd: Float64Builder,
    cost_source: FixedDict,
    tool: Dict,
    args_hash: StringBuilder,
    target_agent_id: Dict,
    status: FixedDict,
    latency_ms: UInt64Builder,
    outcome: FixedDict,
    killed_session: BooleanBuilder,
    source: SourceCols,
}

impl EventRows {
    pub fn new(schema: SchemaRef) -> EventRows {
        let names = MapFieldNames { entry: "entries".into(), key: "keys".into(), value: "values".into() };
        EventRows {
            schema,
            len: 0,
            v: Default::default(),
            event_id: StringBuilder::new(),
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            session_id: StringBuilder::new(),
            agent_id: StringBuilder::new(),
            task_type: StringBuilder::new(),
            task_id: StringBuilder::new(),
            parent_session_id: StringBuilder::new(),
            tenant: StringBuilder::new(),
            team: StringBuilder::new(),
            feature: StringBuilder::new(),
            env: StringBuilder::new(),
            labels: MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new()),
            kind: FixedDict::new(KINDS),
            model: StringBuilder::new(),
            provider: StringBuilder::new(),
            input_tokens: Default::default(),
            output_tokens: Default::default(),
            cache_read_tokens: Default::default(),
            cache_write_tokens: Default::default(),
            reasoning_tokens: Default::default(),
            cost_usd: Default::default(),
            cost_source: FixedDict::new(COST_SOURCES),
            tool: StringBuilder::new(),
            args_hash: StringBuilder::new(),
            target_agent_id: StringBuilder::new(),
            status: FixedDict::new(STATUSES),
            latency_ms: Default::default(),
            outcome: FixedDict::new(OUTCOMES),
            killed_session: Default::default(),
            source: Default::default(),
        }
    }

    pub fn append(&mut self, p: &PricedEvent, source: &SourcePos) -> Result<(), ArrowError> {
        let e = &p.event;
        self.v.append_value(e.v);
        self.event_id.append_value(&e.event_id);
        self.ts.append_value(e.ts_ms);
        self.session_id.append_value(&e.session_id);
        self.agent_id.append_value(&e.agent_id);
        self.task_type.append_value(&e.task_type);
        self.task_id.append_option(e.task_id.as_deref());
        self.parent_session_id.append_option(e.parent_session_id.as_deref());
        opt_dict(&mut self.tenant, e.tenant.as_deref());
        opt_dict(&mut self.team, e.team.as_deref());
        opt_dict(&mut self.feature, e.feature.as_deref());
        opt_dict(&mut self.env, e.env.as_deref());
        for (k, v) in &e.labels {
            self.labels.keys().append_value(k);
            self.labels.values().append_value(v);
        }
        self.labels.append(true)?;
        self.kind.append(index_of(KINDS, e.kind.as_str()));
        opt_dict(&mut self.model, e.model.as_deref());
        opt_dict(&mut self.provider, e.provider.as_deref());
        self.input_tokens.append_value(e.input_tokens);
        self.output_tokens.append_value(e.output_tokens);
        self.cache_read_tokens.append_value(e.cache_read_tokens);
        self.cache_write_tokens.append_value(e.cache_write_tokens);
        self.reasoning_tokens.append_value(e.reasoning_tokens);
        self.cost_usd.append_value(p.cost_usd);
        self.cost_source.append(index_of(COST_SOURCES, p.cost_source.as_str()));
        opt_dict(&mut self.tool, e.tool.as_deref());
        self.args_hash.append_option(e.args_hash.as_deref());
        opt_dict(&mut self.target_agent_id, e.target_agent_id.as_deref());
        self.status.append(index_of(STATUSES, e.status.as_str()));
        self.latency_ms.append_option(e.latency_ms);
        let after_kill = p.outcome == Outcome::AfterKill;
        self.outcome.append(usize::from(after_kill));
        self.killed_session.append_value(after_kill);
        self.source.append(source);
        self.len += 1;
        Ok(())
    }
}

impl Rows for EventRows {
    fn len(&self) -> usize {
        self.len
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.v.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.session_id.finish()),
            Arc::new(self.agent_id.finish()),
            Arc::new(self.task_type.finish()),
            Arc::new(self.task_id.finish()),
            Arc::new(self.parent_session_id.finish()),
            Arc::new(self.tenant.finish()),
            Arc::new(self.team.finish()),
            Arc::new(self.feature.finish()),
            Arc::new(self.env.finish()),
            Arc::new(self.labels.finish()),
            self.kind.finish()?,
            Arc::new(self.model.finish()),
            Arc::new(self.provider.finish()),
            Arc::new(self.input_tokens.finish()),
            Arc::new(self.output_tokens.finish()),
            Arc::new(self.cache_read_tokens.finish()),
            Arc::new(self.cache_write_tokens.finish()),
            Arc::new(self.reasoning_tokens.finish()),
            Arc::new(self.cost_usd.finish()),
            self.cost_source.finish()?,
            Arc::new(self.tool.finish()),
            Arc::new(self.args_hash.finish()),
            Arc::new(self.target_agent_id.finish()),
            self.status.finish()?,
            Arc::new(self.latency_ms.finish()),
            self.outcome.finish()?,
            Arc::new(self.killed_session.finish()),
        ];
        self.source.finish(&mut cols);
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), cols)
    }
}

/// Column builders for `signals/`.
pub struct SignalRows {
    schema: SchemaRef,
    len: usize,
    v: UInt32Builder,
    signal_id: StringBuilder,
    action: FixedDict,
    scope: FixedDict,
    session_id: StringBuilder,
    agent_id: Dict,
    task_type: Dict,
    task_id: StringBuilder,
    tenant: Dict,
    reason: FixedDict,
    trigger_event_id: StringBuilder,
    event_ts: TimestampMillisecondBuilder,
    emitted_at: TimestampMillisecondBuilder,
    session_cost_usd: Float64Builder,
    session_actions: UInt64Builder,
    observed: Float64Builder,
    baseline: Float64Builder,
    ratio: Float64Builder,
    evidence: StringBuilder,
    policy_id: Dict,
    policy_version: Dict,
    message: StringBuilder,
    source: SourceCols,
}

impl SignalRows {
    pub fn new(schema: SchemaRef) -> SignalRows {
        SignalRows {
            schema,
            len: 0,
            v: Default::default(),
            signal_id: StringBuilder::new(),
            action: FixedDict::new(ACTIONS),
            scope: FixedDict::new(SCOPES),
            session_id: StringBuilder::new(),
            agent_id: StringBuilder::new(),
            task_type: StringBuilder::new(),
            task_id: StringBuilder::new(),
            tenant: StringBuilder::new(),
            reason: FixedDict::new(REASONS),
            trigger_event_id: StringBuilder::new(),
            event_ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            emitted_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            session_cost_usd: Default::default(),
            session_actions: Default::default(),
            observed: Default::default(),
            baseline: Default::default(),
            ratio: Default::default(),
            evidence: StringBuilder::new(),
            policy_id: StringBuilder::new(),
            policy_version: StringBuilder::new(),
            message: StringBuilder::new(),
            source: Default::default(),
        }
    }

    pub fn append(&mut self, s: &Signal, trigger: &SourcePos) {
        self.v.append_value(s.v);
        self.signal_id.append_value(&s.signal_id);
        self.action.append(index_of(ACTIONS, s.action.as_str()));
        self.scope.append(index_of(SCOPES, s.scope.as_str()));
        self.session_id.append_option(s.session_id.as_deref());
        opt_dict(&mut self.agent_id, s.agent_id.as_deref());
        opt_dict(&mut self.task_type, s.task_type.as_deref());
        self.task_id.append_option(s.task_id.as_deref());
        opt_dict(&mut self.tenant, s.tenant.as_deref());
        self.reason.append(index_of(REASONS, s.reason.as_str()));
        self.trigger_event_id.append_value(&s.trigger_event_id);
        self.event_ts.append_value(s.event_ts_ms);
        self.emitted_at.append_option(s.emitted_at.as_deref().and_then(parse_rfc3339_ms));
        self.session_cost_usd.append_value(s.session_cost_usd);
        self.session_actions.append_value(s.session_actions);
        self.observed.append_option(s.observed);
        self.baseline.append_option(s.baseline);
        self.ratio.append_option(s.ratio);
        self.evidence.append_value(s.evidence.to_string());
        self.policy_id.append_value(&s.policy_id);
        self.policy_version.append_value(&s.policy_version);
        self.message.append_value(&s.message);
        self.source.append(trigger);
        self.len += 1;
    }
}

impl Rows for SignalRows {
    fn len(&self) -> usize {
        self.len
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.v.finish()),
            Arc::new(self.signal_id.finish()),
            self.action.finish()?,
            self.scope.finish()?,
            Arc::new(self.session_id.finish()),
            Arc::new(self.agent_id.finish()),
            Arc::new(self.task_type.finish()),
            Arc::new(self.task_id.finish()),
            Arc::new(self.tenant.finish()),
            self.reason.finish()?,
            Arc::new(self.trigger_event_id.finish()),
            Arc::new(self.event_ts.finish()),
            Arc::new(self.emitted_at.finish()),
            Arc::new(self.session_cost_usd.finish()),
            Arc::new(self.session_actions.finish()),
            Arc::new(self.observed.finish()),
            Arc::new(self.baseline.finish()),
            Arc::new(self.ratio.finish()),
            Arc::new(self.evidence.finish()),
            Arc::new(self.policy_id.finish()),
            Arc::new(self.policy_version.finish()),
            Arc::new(self.message.finish()),
        ];
        self.source.finish(&mut cols);
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Status};
    use crate::pricing::CostSource;
    use crate::signal::{Action, Reason, Scope};

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
