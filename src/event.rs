//! Usage events (contract §1): the decoded form the detector consumes, and
//! the decoder that turns one raw record into an [`Event`] or a typed
//! [`DecodeError`] destined for the dead-letter output.
//!
//! Owns: field validation, timestamp parsing, defaults, the OpenTelemetry
//! GenAI attribute aliases (README, "OpenTelemetry GenAI attributes"):
//! resolved once the whole record is read, so a contract name beats its
//! aliases in any key order, and the conventions' input and output counts,
//! which include the cached and reasoning tokens, are made the contract's,
//! which do not. Does not own: pricing (see `pricing`), the source
//! position of a record (the shell attaches it to dead letters).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

/// What one action was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Llm,
    Tool,
    Handoff,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Llm => "llm",
            EventKind::Tool => "tool",
            EventKind::Handoff => "handoff",
        }
    }
}

/// Outcome of the action as reported by the agent runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Error,
    Retry,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
            Status::Retry => "retry",
        }
    }
}

/// One decoded, validated usage event. Strings that repeat across events
/// (agent, task type, model, ...) are `Arc<str>` so the detector can keep
/// them without copying.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub v: u32,
    pub event_id: Arc<str>,
    /// Event time, epoch milliseconds UTC.
    pub ts_ms: i64,
    pub session_id: Arc<str>,
    pub agent_id: Arc<str>,
    pub task_type: Arc<str>,
    pub task_id: Option<Arc<str>>,
    pub parent_session_id: Option<Arc<str>>,
    pub tenant: Option<Arc<str>>,
    pub team: Option<Arc<str>>,
    pub feature: Option<Arc<str>>,
    pub env: Option<Arc<str>>,
    pub labels: BTreeMap<String, String>,
    pub kind: EventKind,
    pub model: Option<Arc<str>>,
    pub provider: Option<Arc<str>>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    /// Cost reported by the producer; when `Some` it is the truth.
    pub cost_usd: Option<f64>,
    pub tool: Option<Arc<str>>,
    pub args_hash: Option<Arc<str>>,
    pub target_agent_id: Option<Arc<str>>,
    pub status: Status,
    pub latency_ms: Option<u64>,
}

impl Event {
    /// This embedding call as the detector judges it: a tool call of the
    /// model's name (the lookup it makes), at its cost, without the LLM
    /// call's tokens. Labels are left out: no decision reads them.
    pub fn as_lookup_tool_call(&self) -> Event {
        Event {
            v: self.v,
            event_id: self.event_id.clone(),
            ts_ms: self.ts_ms,
            session_id: self.session_id.clone(),
            agent_id: self.agent_id.clone(),
            task_type: self.task_type.clone(),
            task_id: self.task_id.clone(),
            parent_session_id: self.parent_session_id.clone(),
            tenant: self.tenant.clone(),
            team: self.team.clone(),
            feature: self.feature.clone(),
            env: self.env.clone(),
            labels: BTreeMap::new(),
            kind: EventKind::Tool,
            model: None,
            provider: self.provider.clone(),
            input_tokens: 0,
            output_tokens: 0,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
            cost_usd: self.cost_usd,
            tool: self.tool.clone().or_else(|| self.model.clone()),
            args_hash: self.args_hash.clone(),
            target_agent_id: None,
            status: self.status,
            latency_ms: self.latency_ms,
        }
    }
}

/// Why a record could not become an [`Event`]. The `code` is a stable,
/// machine-readable reason (used in DLQ headers and metrics labels).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("not valid UTF-8")]
    NotUtf8,
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON object")]
    NotObject,
    #[error("required field `{0}` is missing")]
    MissingField(&'static str),
    #[error("field `{field}` is invalid: {detail}")]
    InvalidField { field: &'static str, detail: String },
    #[error("unknown kind `{0}` (expected llm, tool or handoff)")]
    UnknownKind(String),
    #[error("unknown status `{0}` (expected ok, error or retry)")]
    UnknownStatus(String),
    #[error("unsupported schema version {0} (this build reads v1)")]
    UnsupportedVersion(u64),
    #[error("empty record")]
    Empty,
}

impl DecodeError {
    /// Stable reason code for dead letters and metric labels.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::NotUtf8 => "not_utf8",
            DecodeError::NotJson(_) => "not_json",
            DecodeError::NotObject => "not_object",
            DecodeError::MissingField(_) => "missing_field",
            DecodeError::InvalidField { .. } => "invalid_field",
            DecodeError::UnknownKind(_) => "unknown_kind",
            DecodeError::UnknownStatus(_) => "unknown_status",
            DecodeError::UnsupportedVersion(_) => "unsupported_version",
            DecodeError::Empty => "empty",
        }
    }
}

/// Decodes one record (a Kafka message value or an NDJSON line, without
/// its line terminator).
pub fn decode(raw: &[u8]) -> Result<Event, DecodeError> {
    decode_with(raw, &mut Interner::default())
}

/// Shares the strings that repeat across events (agents, sessions, models,
/// tools, ...) so decoding a stream allocates little. Names (agents,
/// models, tools, task types, tenants, ...) and ids (sessions, tasks) are
/// kept apart: the few names are asked for several times per event and
/// their table stays in cache, where one table with every live session's
/// id missed it. Bounded: each table forgets everything once full.
#[derive(Default)]
pub struct Interner {
    names: rustc_hash::FxHashSet<Arc<str>>,
    ids: rustc_hash::FxHashSet<Arc<str>>,
}

impl Interner {
    const NAMES_CAPACITY: usize = 1 << 14;
    const IDS_CAPACITY: usize = 1 << 16;

    fn get(&mut self, s: &str) -> Arc<str> {
        Self::get_in(&mut self.names, Self::NAMES_CAPACITY, s)
    }

    fn get_id(&mut self, s: &str) -> Arc<str> {
        Self::get_in(&mut self.ids, Self::IDS_CAPACITY, s)
    }

    fn get_in(strings: &mut rustc_hash::FxHashSet<Arc<str>>, capacity: usize, s: &str) -> Arc<str> {
        if let Some(a) = strings.get(s) {
            return a.clone();
        }
        if strings.len() >= capacity {
            strings.clear();
        }
        let a: Arc<str> = Arc::from(s);
        strings.insert(a.clone());
        a
    }
}

/// A decoder that keeps an [`Interner`] across records.
#[derive(Default)]
pub struct Decoder {
    interner: Interner,
}

impl Decoder {
    pub fn decode(&mut self, raw: &[u8]) -> Result<Event, DecodeError> {
        decode_with(raw, &mut self.interner)
    }
}

fn decode_with(raw: &[u8], interner: &mut Interner) -> Result<Event, DecodeError> {
    let text = object_text(raw)?;
    // The wire form stays in place: it is large, and moving it in and out
    // of functions copied it three times per record.
    let mut wire = Wire::default();
    if fast_wire(text, &mut wire).is_none() {
        wire = general_wire(text)?;
    }
    wire.take_event(interner)
}

/// The record as text, trimmed, if it can be an object at all.
fn object_text(raw: &[u8]) -> Result<&str, DecodeError> {
    let text = simdutf8::basic::from_utf8(raw).map_err(|_| DecodeError::NotUtf8)?;
    // A byte order mark starts the first line of a file some editors save.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
    if text.is_empty() {
        return Err(DecodeError::Empty);
    }
    if !text.starts_with('{') {
        // serde_json would say "invalid type", which reads worse than this.
        return match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => Err(DecodeError::NotObject),
            Err(e) => Err(DecodeError::NotJson(e.to_string())),
        };
    }
    Ok(text)
}

// Out of line: the rare path, and a large one (the serde visitor), kept
// away from the fast path's instruction cache.
#[cold]
#[inline(never)]
fn general_wire(text: &str) -> Result<Wire<'_>, DecodeError> {
    // sonic-rs recurses once per level of nesting (an unknown field's value
    // is skipped through serde's `IgnoredAny`) and has no limit of its own:
    // a record of 100,000 nested arrays overflowed the thread's stack and
    // aborted the process. A limit, checked first.
    if let Some(at) = nesting_past(text.as_bytes(), MAX_NESTING) {
        return Err(DecodeError::NotJson(format!("nested deeper than {MAX_NESTING} levels at byte {at}")));
    }
    // sonic-rs: a SIMD JSON parser behind the same serde visitor, about
    // twice serde_json's speed on these records.
    sonic_rs::from_str(text).map_err(|e| {
        // Field-level errors are raised through `de::Error::custom` with a
        // marker so they map back to typed variants.
        let msg = e.to_string();
        match FieldFault::parse(&msg) {
            Some(f) => f.into_error(),
            None => DecodeError::NotJson(msg),
        }
    })
}

/// Deepest nesting of objects and arrays a record may have. Contract §1
/// events are flat but for `labels`; serde_json's 128 levels still
/// overflowed a 2 MiB thread stack in a debug build (sonic-rs's frames are
/// large), so a quarter of it.
const MAX_NESTING: usize = 32;

/// The byte offset of the first `{` or `[` that opens level `limit + 1`,
/// counting only brackets outside strings; `None` when the text stays within
/// `limit`. Malformed text is left for the parser to describe.
fn nesting_past(b: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                i += 1;
                while let Some(&s) = b.get(i) {
                    match s {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

// ---------------------------------------------------------------------------
// Fast path. Almost every record is one flat object of plain strings and
// numbers; reading those directly skips the serde machinery, which cost
// about two thirds of decoding. Anything the fast path is not sure of
// returns `None` and goes through `general_wire`, so every error (and its
// message) still comes from the general path, and whatever the fast path
// accepts the general path reads the same way: numbers go through the
// number parser sonic-rs itself uses, and each value is checked by the same
// field functions as in the visitor.

/// Reads `text` (trimmed, starting with `{`) if it is a flat object whose
/// keys and strings have no escapes or control characters, whose values are
/// strings, numbers or `null`, and whose fields all pass the visitor's
/// checks, into `w` (fresh); `None` otherwise, leaving `w` partly filled.
fn fast_wire<'a>(text: &'a str, w: &mut Wire<'a>) -> Option<()> {
    use sonic_number::ParserNumber;
    type Bail = de::value::Error;

    let b = text.as_bytes();
    let mut i = skip_ws(b, 1);
    if *b.get(i)? == b'}' {
        return (i + 1 == b.len()).then_some(());
    }
    loop {
        if *b.get(i)? != b'"' {
            return None;
        }
        let (key, next) = plain_str(text, i + 1)?;
        i = skip_ws(b, next);
        if *b.get(i)? != b':' {
            return None;
        }
        i = skip_ws(b, i + 1);
        let field = Field::of(key);
        match *b.get(i)? {
            b'"' => {
                let (s, next) = plain_str(text, i + 1)?;
                i = next;
                match field {
                    Field::Text(_) => w.set_text(field, Some(Cow::Borrowed(s))).ok()?,
                    Field::Ts => w.ts = Some(parse_rfc3339_ms(s)?),
                    Field::AliasText(a) => w.aliases().text[a as usize] = Some(Cow::Borrowed(s)),
                    Field::AliasTs => w.aliases().ts = Some(parse_rfc3339_ms(s)?),
                    Field::Unknown => {}
                    Field::Count(_) | Field::AliasCount(_) | Field::Cost | Field::Labels => return None,
                }
            }
            c @ (b'-' | b'0'..=b'9') => {
                // As sonic-rs calls it: from the first digit, sign consumed.
                let neg = c == b'-';
                let mut j = i + neg as usize;
                let n = match sonic_number::parse_number(b, &mut j, neg).ok()? {
                    ParserNumber::Unsigned(v) => Num::U(v),
                    ParserNumber::Signed(v) => Num::I(v),
                    ParserNumber::Float(v) => Num::F(v),
                };
                i = j;
                match field {
                    Field::Count(name) => {
                        let v = count_field::<Bail>(name, n).ok()?;
                        w.set_count(name, v);
                    }
                    Field::Ts => w.ts = ts_field::<Bail>(n).ok()?,
                    Field::Cost => w.cost_usd = cost_field::<Bail>(n).ok()?,
                    Field::AliasCount(a) => w.set_alias_count::<Bail>(a, n).ok()?,
                    Field::AliasTs => w.aliases().ts = ts_field::<Bail>(n).ok()?,
                    Field::Unknown => {}
                    Field::Text(_) | Field::AliasText(_) | Field::Labels => return None,
                }
            }
            b'n' if b[i..].starts_with(b"null") => {
                i += 4;
                match field {
                    Field::Count(name) => w.set_count(name, None),
                    Field::Ts => w.ts = None,
                    Field::Cost => w.cost_usd = None,
                    Field::Labels => w.labels = None,
                    Field::Text(_) => w.set_text(field, None).ok()?,
                    Field::AliasText(a) => w.aliases().text[a as usize] = None,
                    Field::AliasCount(a) => w.aliases().counts[a as usize] = None,
                    Field::AliasTs => w.aliases().ts = None,
                    Field::Unknown => {}
                }
            }
            _ => return None,
        }
        i = skip_ws(b, i);
        match *b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return (i + 1 == b.len()).then_some(()),
            _ => return None,
        }
    }
}

#[inline(always)]
fn skip_ws(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b' ' | b'\t' | b'\n' | b'\r') => skip_ws_run(b, i + 1),
        _ => i,
    }
}

fn skip_ws_run(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The string starting at `start` (just after its opening quote) and the
/// index after its closing quote, if it has no escapes or control
/// characters.
fn plain_str(text: &str, start: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let mut end = start;
    // Eight bytes at a time: the scan was a fifth of decoding bytewise.
    loop {
        match b.get(end..end + 8) {
            Some(chunk) => {
                let mut lanes = [0u8; 8];
                lanes.copy_from_slice(chunk);
                let hits = special_lanes(u64::from_le_bytes(lanes));
                if hits != 0 {
                    end += (hits.trailing_zeros() / 8) as usize;
                    break;
                }
                end += 8;
            }
            None => {
                end += b.get(end..)?.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
                break;
            }
        }
    }
    if *b.get(end)? != b'"' {
        return None;
    }
    Some((text.get(start..end)?, end + 1))
}

/// High bit set in each byte lane of `v` that is `"`, a backslash or below
/// 0x20. Lanes above the lowest such lane may be flagged spuriously (borrows
/// run upwards), so only the lowest flag is meaningful.
fn special_lanes(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero(v ^ (ONES * b'"' as u64)) | zero(v ^ (ONES * b'\\' as u64)) | (v.wrapping_sub(ONES * 0x20) & !v & HIGH)
}

// ---------------------------------------------------------------------------
// Wire form. Strings are borrowed where the JSON has no escapes.

#[derive(Default)]
struct Wire<'a> {
    v: Option<u64>,
    event_id: Option<Cow<'a, str>>,
    ts: Option<i64>,
    session_id: Option<Cow<'a, str>>,
    agent_id: Option<Cow<'a, str>>,
    task_type: Option<Cow<'a, str>>,
    task_id: Option<Cow<'a, str>>,
    parent_session_id: Option<Cow<'a, str>>,
    tenant: Option<Cow<'a, str>>,
    team: Option<Cow<'a, str>>,
    feature: Option<Cow<'a, str>>,
    env: Option<Cow<'a, str>>,
    labels: Option<BTreeMap<String, String>>,
    kind: Option<EventKind>,
    model: Option<Cow<'a, str>>,
    provider: Option<Cow<'a, str>>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_tokens: Option<u64>,
    cache_write_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
    cost_usd: Option<f64>,
    tool: Option<Cow<'a, str>>,
    args_hash: Option<Cow<'a, str>>,
    target_agent_id: Option<Cow<'a, str>>,
    status: Option<Status>,
    latency_ms: Option<u64>,
    /// The aliases the record used, resolved against the fields above by
    /// [`Wire::take_aliases`] once the whole record is read, so which
    /// wins does not depend on key order. Boxed: a record in contract
    /// names never allocates it and the wire form stays small.
    aliases: Option<Box<Aliases<'a>>>,
}

/// Values given under alias names (OpenTelemetry GenAI attributes,
/// `timestamp`), indexed by [`AliasText`] and [`AliasCount`].
#[derive(Default)]
struct Aliases<'a> {
    text: [Option<Cow<'a, str>>; AliasText::COUNT],
    counts: [Option<u64>; AliasCount::COUNT],
    ts: Option<i64>,
}

/// A field-level fault carried through serde's string errors.
struct FieldFault {
    tag: String,
    field: String,
    detail: String,
}

const FAULT_MARK: &str = "\u{1}fault\u{1}";

impl FieldFault {
    fn raise<E: de::Error>(tag: &str, field: &str, detail: impl std::fmt::Display) -> E {
        E::custom(format!("{FAULT_MARK}{tag}\u{1}{field}\u{1}{detail}\u{1}"))
    }

    fn parse(msg: &str) -> Option<FieldFault> {
        let rest = msg.split_once(FAULT_MARK)?.1;
        let mut parts = rest.splitn(4, '\u{1}');
        Some(FieldFault { tag: parts.next()?.to_string(), field: parts.next()?.to_string(), detail: parts.next()?.to_string() })
    }

    fn into_error(self) -> DecodeError {
        match self.tag.as_str() {
            "kind" => DecodeError::UnknownKind(self.detail),
            "status" => DecodeError::UnknownStatus(self.detail),
            _ => DecodeError::InvalidField { field: static_field_name(&self.field), detail: self.detail },
        }
    }
}

fn static_field_name(name: &str) -> &'static str {
    const FIELDS: &[&str] = &[
        "v",
        "event_id",
        "ts",
        "session_id",
        "agent_id",
        "task_type",
        "task_id",
        "parent_session_id",
        "tenant",
        "team",
        "feature",
        "env",
        "labels",
        "kind",
        "model",
        "provider",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "cost_usd",
        "tool",
        "args_hash",
        "target_agent_id",
        "status",
        "latency_ms",
    ];
    FIELDS.iter().chain(&AliasCount::KEYS).copied().find(|f| *f == name).unwrap_or("field")
}

impl<'de: 'a, 'a> Deserialize<'de> for Wire<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(WireVisitor(std::marker::PhantomData))
    }
}

struct WireVisitor<'a>(std::marker::PhantomData<&'a ()>);

/// An object key, borrowed from the input unless it has escapes (serde's
/// own `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// Accepts a JSON string or null, borrowing when possible.
struct OptStr<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for OptStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = OptStr<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(OptStr(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(OptStr(Some(Cow::Owned(s.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(OptStr(Some(Cow::Owned(s))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OptStr(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OptStr(None))
            }
            // Numeric ids are common in the wild; keep them as text.
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                Ok(OptStr(Some(Cow::Owned(n.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
                Ok(OptStr(Some(Cow::Owned(n.to_string()))))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Any JSON value, kept only as far as needed to validate a number field.
enum Num {
    U(u64),
    I(i64),
    F(f64),
    Str(String),
    Null,
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Num, E> {
                Ok(Num::U(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Num, E> {
                Ok(Num::I(n))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Num, E> {
                Ok(Num::F(n))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Num, E> {
                Ok(Num::Str(s.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
                Ok(Num::Other("a boolean"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num::Null)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Num::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

// Always inlined: it is on the fast path for every count, and with its
// calls for the aliases the compiler had stopped inlining it.
#[inline(always)]
fn count_field<E: de::Error>(field: &str, n: Num) -> Result<Option<u64>, E> {
    match n {
        Num::U(v) => Ok(Some(v)),
        Num::I(v) => Err(FieldFault::raise("field", field, format!("negative count {v}"))),
        Num::F(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 => Ok(Some(v as u64)),
        Num::F(v) if v < 0.0 => Err(FieldFault::raise("field", field, format!("negative count {v}"))),
        Num::F(v) => Err(FieldFault::raise("field", field, format!("not a whole count: {v}"))),
        Num::Null => Ok(None),
        Num::Str(s) => Err(FieldFault::raise("field", field, format!("expected a non-negative integer, got the string {s:?}"))),
        Num::Other(what) => Err(FieldFault::raise("field", field, format!("expected a non-negative integer, got {what}"))),
    }
}

/// The most tokens of one kind one event may count.
pub const MAX_TOKENS: u64 = 1_000_000_000;

#[cold]
fn too_many_tokens(counts: [Option<u64>; 5]) -> DecodeError {
    const FIELDS: [&str; 5] = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"];
    let (field, n) = FIELDS.into_iter().zip(counts).find(|(_, n)| n.is_some_and(|n| n > MAX_TOKENS)).unwrap_or((FIELDS[0], None));
    DecodeError::InvalidField { field, detail: format!("{} is more than {MAX_TOKENS} tokens for one call", n.unwrap_or(0)) }
}

/// The most one event may cost, in USD.
pub const MAX_COST_USD: f64 = 1_000_000.0;

fn cost_field<E: de::Error>(n: Num) -> Result<Option<f64>, E> {
    let v = match n {
        Num::U(v) => v as f64,
        Num::I(v) => v as f64,
        Num::F(v) => v,
        Num::Null => return Ok(None),
        Num::Str(s) => return Err(FieldFault::raise("field", "cost_usd", format!("expected a number, got the string {s:?}"))),
        Num::Other(what) => return Err(FieldFault::raise("field", "cost_usd", format!("expected a number, got {what}"))),
    };
    if !v.is_finite() || v < 0.0 {
        return Err(FieldFault::raise("field", "cost_usd", format!("must be a finite number >= 0, got {v}")));
    }
    // No single call costs a million dollars: a larger figure is a unit
    // mistake (micro-dollars, cents) that would otherwise kill on sight
    // and turn the run's spend into infinity.
    if v > MAX_COST_USD {
        return Err(FieldFault::raise("field", "cost_usd", format!("must be at most {MAX_COST_USD} (USD for one call), got {v}")));
    }
    Ok(Some(v))
}

fn ts_field<E: de::Error>(n: Num) -> Result<Option<i64>, E> {
    match n {
        Num::U(v) if v <= i64::MAX as u64 => Ok(Some(v as i64)),
        Num::I(v) => Ok(Some(v)),
        Num::F(v) if v.is_finite() && v.abs() < 9.0e15 => Ok(Some(v.round() as i64)),
        Num::Str(s) => parse_rfc3339_ms(&s)
            .map(Some)
            .ok_or_else(|| FieldFault::raise("field", "ts", format!("not RFC 3339 or epoch milliseconds: {s:?}"))),
        Num::Null => Ok(None),
        Num::U(v) => Err(FieldFault::raise("field", "ts", format!("out of range: {v}"))),
        Num::F(v) => Err(FieldFault::raise("field", "ts", format!("out of range: {v}"))),
        Num::Other(what) => Err(FieldFault::raise("field", "ts", format!("expected RFC 3339 text or epoch ms, got {what}"))),
    }
}

/// The last millisecond RFC 3339 can write (9999-12-31T23:59:59.999Z).
const MAX_TS_MS: i64 = 253_402_300_799_999;

/// Parses an RFC 3339 timestamp into epoch milliseconds (UTC).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    // Epoch milliseconds sent as a string are accepted too.
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if let Some(ms) = rfc3339_common_ms(s) {
        return Some(ms);
    }
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// The form producers send, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`
/// with an in-range date and time, read directly (chrono's general parser
/// was about 500 instructions a record). `None` for anything else, which
/// chrono then reads (lowercase, a space separator, leap seconds, ...); a
/// test checks both agree wherever this accepts.
fn rfc3339_common_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // A fixed-size head: indexing it needs no bounds checks.
    let h: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if DIGITS.iter().any(|&k| !h[k].is_ascii_digit()) || h[4] != b'-' || h[7] != b'-' || h[10] != b'T' || h[13] != b':' || h[16] != b':' {
        return None;
    }
    let two = |k: usize| i64::from(h[k] - b'0') * 10 + i64::from(h[k + 1] - b'0');
    let year = two(0) * 100 + two(2);
    let (month, day, hour, minute, second) = (two(5), two(8), two(11), two(14), two(17));
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0;
    if let [b'.', frac @ ..] = rest {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        // chrono keeps nanoseconds; longer fractions are left to it.
        if n == 0 || n > 9 {
            return None;
        }
        for k in 0..3 {
            millis = millis * 10 + frac.get(k).filter(|_| k < n).map_or(0, |c| i64::from(c - b'0'));
        }
        rest = &frac[n..];
    }
    let offset_s = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
            let h = i64::from(h1 - b'0') * 10 + i64::from(h2 - b'0');
            let m = i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0');
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 3600 + m * 60
            } else {
                -(h * 3600 + m * 60)
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn format_rfc3339_ms(ms: i64) -> String {
    match chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => ms.to_string(),
    }
}

impl<'de: 'a, 'a> Visitor<'de> for WireVisitor<'a> {
    type Value = Wire<'a>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a usage event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Wire<'a>, A::Error> {
        let mut w = Wire::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let field = Field::of(&key);
            match field {
                Field::Count(name) => {
                    let v = count_field(name, map.next_value()?)?;
                    w.set_count(name, v);
                }
                Field::Ts => w.ts = ts_field(map.next_value()?)?,
                Field::Cost => w.cost_usd = cost_field(map.next_value()?)?,
                Field::Labels => {
                    let labels: Option<BTreeMap<String, serde_json::Value>> =
                        map.next_value().map_err(|_| FieldFault::raise::<A::Error>("field", "labels", "expected an object of strings"))?;
                    w.labels = labels.map(|m| {
                        m.into_iter()
                            .map(|(k, v)| {
                                let v = match v {
                                    serde_json::Value::String(s) => s,
                                    other => other.to_string(),
                                };
                                (k, v)
                            })
                            .collect()
                    });
                }
                Field::Text(_) => {
                    let v = map.next_value::<OptStr>()?.0;
                    w.set_text(field, v).map_err(|(tag, value)| FieldFault::raise::<A::Error>(tag, tag, value))?;
                }
                Field::AliasText(a) => w.aliases().text[a as usize] = map.next_value::<OptStr>()?.0,
                Field::AliasCount(a) => w.set_alias_count(a, map.next_value()?)?,
                Field::AliasTs => w.aliases().ts = ts_field(map.next_value()?)?,
                Field::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(w)
    }
}

/// What a key of the event object sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// A count, by canonical name.
    Count(&'static str),
    Ts,
    Cost,
    Labels,
    Text(Text),
    /// An alias of a contract field, kept apart until the record is read.
    AliasText(AliasText),
    AliasCount(AliasCount),
    /// `timestamp`, for `ts`.
    AliasTs,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    EventId,
    SessionId,
    AgentId,
    TaskType,
    TaskId,
    ParentSessionId,
    Tenant,
    Team,
    Feature,
    Env,
    Kind,
    Model,
    Provider,
    Tool,
    ArgsHash,
    TargetAgentId,
    Status,
}

/// Text attributes that stand for a contract field the record may lack;
/// the aliases of one field in the order they win (README, OpenTelemetry
/// GenAI attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AliasText {
    /// `session_id`
    ConversationId,
    /// `agent_id`: the agent's id, then its name
    AgentId,
    AgentName,
    /// `kind`
    OperationName,
    /// `model`: the model that answered (and is billed), then the one asked for
    ResponseModel,
    RequestModel,
    /// `provider`: the current name, then the deprecated `gen_ai.system`
    ProviderName,
    System,
    /// `tool`
    ToolName,
    /// `status` error when set and not empty
    ErrorType,
}

impl AliasText {
    const COUNT: usize = AliasText::ErrorType as usize + 1;
}

/// Count attributes that stand for a contract count, current name first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AliasCount {
    /// `input_tokens`, cached tokens included
    Input,
    Prompt,
    /// `output_tokens`, reasoning tokens included
    Output,
    Completion,
    /// `cache_read_tokens`
    CacheRead,
    CacheReadOld,
    /// `cache_write_tokens`
    CacheCreation,
    CacheCreationOld,
    /// `reasoning_tokens`
    Reasoning,
    ReasoningOld,
}

impl AliasCount {
    const KEYS: [&'static str; 10] = [
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
    ];
    const COUNT: usize = AliasCount::KEYS.len();

    fn key(self) -> &'static str {
        AliasCount::KEYS[self as usize]
    }
}

impl Field {
    fn of(key: &str) -> Field {
        use Text::*;
        match key {
            "v" => Field::Count("v"),
            "event_id" => Field::Text(EventId),
            "ts" => Field::Ts,
            "session_id" => Field::Text(SessionId),
            "agent_id" => Field::Text(AgentId),
            "task_type" => Field::Text(TaskType),
            "task_id" => Field::Text(TaskId),
            "parent_session_id" => Field::Text(ParentSessionId),
            "tenant" => Field::Text(Tenant),
            "team" => Field::Text(Team),
            "feature" => Field::Text(Feature),
            "env" => Field::Text(Env),
            "labels" => Field::Labels,
            "kind" => Field::Text(Kind),
            "model" => Field::Text(Model),
            "provider" => Field::Text(Provider),
            "input_tokens" => Field::Count("input_tokens"),
            "output_tokens" => Field::Count("output_tokens"),
            "cache_read_tokens" => Field::Count("cache_read_tokens"),
            "cache_write_tokens" => Field::Count("cache_write_tokens"),
            "reasoning_tokens" => Field::Count("reasoning_tokens"),
            "cost_usd" => Field::Cost,
            "tool" => Field::Text(Tool),
            "args_hash" => Field::Text(ArgsHash),
            "target_agent_id" => Field::Text(TargetAgentId),
            "status" => Field::Text(Status),
            "latency_ms" => Field::Count("latency_ms"),
            _ => Field::alias(key),
        }
    }

    /// The aliases, apart and out of line: in the match above they made
    /// matching a record's keys cost 356 instructions instead of 231
    /// (callgrind, the bench stream of contract names).
    #[cold]
    #[inline(never)]
    fn alias(key: &str) -> Field {
        use AliasCount as C;
        use AliasText as A;
        match key {
            "timestamp" => Field::AliasTs,
            "gen_ai.conversation.id" => Field::AliasText(A::ConversationId),
            "gen_ai.agent.id" => Field::AliasText(A::AgentId),
            "gen_ai.agent.name" => Field::AliasText(A::AgentName),
            "gen_ai.operation.name" => Field::AliasText(A::OperationName),
            "gen_ai.response.model" => Field::AliasText(A::ResponseModel),
            "gen_ai.request.model" => Field::AliasText(A::RequestModel),
            "gen_ai.provider.name" => Field::AliasText(A::ProviderName),
            "gen_ai.system" => Field::AliasText(A::System),
            "gen_ai.tool.name" => Field::AliasText(A::ToolName),
            "error.type" => Field::AliasText(A::ErrorType),
            "gen_ai.usage.input_tokens" => Field::AliasCount(C::Input),
            "gen_ai.usage.prompt_tokens" => Field::AliasCount(C::Prompt),
            "gen_ai.usage.output_tokens" => Field::AliasCount(C::Output),
            "gen_ai.usage.completion_tokens" => Field::AliasCount(C::Completion),
            "gen_ai.usage.cache_read.input_tokens" => Field::AliasCount(C::CacheRead),
            "gen_ai.usage.cache_read_input_tokens" => Field::AliasCount(C::CacheReadOld),
            "gen_ai.usage.cache_creation.input_tokens" => Field::AliasCount(C::CacheCreation),
            "gen_ai.usage.cache_creation_input_tokens" => Field::AliasCount(C::CacheCreationOld),
            "gen_ai.usage.reasoning.output_tokens" => Field::AliasCount(C::Reasoning),
            "gen_ai.usage.reasoning_tokens" => Field::AliasCount(C::ReasoningOld),
            _ => Field::Unknown,
        }
    }
}

/// The kind an event's `kind` (or `gen_ai.operation.name`) names.
fn kind_named(name: &str) -> Option<EventKind> {
    match name {
        "llm" | "chat" | "text_completion" | "generate_content" | "embeddings" => Some(EventKind::Llm),
        "tool" | "execute_tool" => Some(EventKind::Tool),
        "handoff" => Some(EventKind::Handoff),
        _ => None,
    }
}

impl<'a> Aliases<'a> {
    /// The first of `order` the record gave.
    fn text(&mut self, order: &[AliasText]) -> Option<Cow<'a, str>> {
        order.iter().find_map(|&a| self.text[a as usize].take())
    }

    fn count(&self, order: &[AliasCount]) -> Option<u64> {
        order.iter().find_map(|&a| self.counts[a as usize])
    }
}

/// A count that includes `part` (OpenTelemetry's input tokens include the
/// cached ones, its output tokens the reasoning ones) without it. A part
/// larger than the whole cannot be included in it: the producer counted
/// the whole without it (as Anthropic's own API reports input tokens), so
/// it is kept as given rather than read as 0, which would price the call's
/// uncached input as free.
fn without(whole: u64, part: u64) -> u64 {
    whole.checked_sub(part).unwrap_or(whole)
}

impl<'a> Wire<'a> {
    fn aliases(&mut self) -> &mut Aliases<'a> {
        self.aliases.get_or_insert_with(Box::default)
    }

    // Out of line: the aliases' counts stay off the fast path.
    #[inline(never)]
    fn set_alias_count<E: de::Error>(&mut self, a: AliasCount, n: Num) -> Result<(), E> {
        self.aliases().counts[a as usize] = count_field(a.key(), n)?;
        Ok(())
    }

    /// Fills each field the record left out from the first of its aliases
    /// it gave: a field given under its contract name always wins, and of
    /// two aliases the same one whatever the key order. OpenTelemetry's
    /// input and output counts include the cached and reasoning tokens
    /// the contract counts apart, so those are taken out of them.
    #[cold]
    #[inline(never)]
    fn take_aliases(&mut self, a: &mut Aliases<'a>) -> Result<(), DecodeError> {
        use AliasCount as C;
        use AliasText as A;
        self.ts = self.ts.or(a.ts);
        self.session_id = self.session_id.take().or_else(|| a.text(&[A::ConversationId]));
        self.agent_id = self.agent_id.take().or_else(|| a.text(&[A::AgentId, A::AgentName]));
        self.model = self.model.take().or_else(|| a.text(&[A::ResponseModel, A::RequestModel]));
        self.provider = self.provider.take().or_else(|| a.text(&[A::ProviderName, A::System]));
        self.tool = self.tool.take().or_else(|| a.text(&[A::ToolName]));
        if self.kind.is_none() {
            if let Some(op) = a.text(&[A::OperationName]) {
                self.kind = Some(kind_named(&op).ok_or_else(|| DecodeError::UnknownKind(op.into_owned()))?);
            }
        }
        if self.status.is_none() && a.text(&[A::ErrorType]).is_some_and(|t| !t.trim().is_empty()) {
            self.status = Some(Status::Error);
        }
        self.cache_read_tokens = self.cache_read_tokens.or(a.count(&[C::CacheRead, C::CacheReadOld]));
        self.cache_write_tokens = self.cache_write_tokens.or(a.count(&[C::CacheCreation, C::CacheCreationOld]));
        self.reasoning_tokens = self.reasoning_tokens.or(a.count(&[C::Reasoning, C::ReasoningOld]));
        if self.input_tokens.is_none() {
            let cached = self.cache_read_tokens.unwrap_or(0).saturating_add(self.cache_write_tokens.unwrap_or(0));
            self.input_tokens = a.count(&[C::Input, C::Prompt]).map(|n| without(n, cached));
        }
        if self.output_tokens.is_none() {
            self.output_tokens = a.count(&[C::Output, C::Completion]).map(|n| without(n, self.reasoning_tokens.unwrap_or(0)));
        }
        Ok(())
    }

    fn set_count(&mut self, name: &'static str, v: Option<u64>) {
        match name {
            "v" => self.v = v,
            "input_tokens" => self.input_tokens = v,
            "output_tokens" => self.output_tokens = v,
            "cache_read_tokens" => self.cache_read_tokens = v,
            "cache_write_tokens" => self.cache_write_tokens = v,
            "reasoning_tokens" => self.reasoning_tokens = v,
            _ => self.latency_ms = v,
        }
    }

    /// Sets a text field; an unknown `kind` or `status` is the error
    /// (its tag and the value).
    fn set_text(&mut self, field: Field, v: Option<Cow<'a, str>>) -> Result<(), (&'static str, String)> {
        let Field::Text(t) = field else { return Ok(()) };
        match t {
            Text::EventId => self.event_id = v,
            Text::SessionId => self.session_id = v,
            Text::AgentId => self.agent_id = v,
            Text::TaskType => self.task_type = v,
            Text::TaskId => self.task_id = v,
            Text::ParentSessionId => self.parent_session_id = v,
            Text::Tenant => self.tenant = v,
            Text::Team => self.team = v,
            Text::Feature => self.feature = v,
            Text::Env => self.env = v,
            Text::Kind => {
                self.kind = match v.as_deref() {
                    None => None,
                    Some(name) => Some(kind_named(name).ok_or_else(|| ("kind", name.to_string()))?),
                }
            }
            Text::Model => self.model = v,
            Text::Provider => self.provider = v,
            Text::Tool => self.tool = v,
            Text::ArgsHash => self.args_hash = v,
            Text::TargetAgentId => self.target_agent_id = v,
            Text::Status => {
                self.status = match v.as_deref() {
                    None => None,
                    Some("ok") => Some(Status::Ok),
                    Some("error") => Some(Status::Error),
                    Some("retry") => Some(Status::Retry),
                    Some(other) => return Err(("status", other.to_string())),
                }
            }
        }
        Ok(())
    }
}

fn required<'a>(v: Option<Cow<'a, str>>, field: &'static str) -> Result<Cow<'a, str>, DecodeError> {
    match v {
        // A visible ASCII first character settles it without `trim`.
        Some(s) if s.as_bytes().first().is_some_and(u8::is_ascii_graphic) || !s.trim().is_empty() => Ok(s),
        Some(_) => Err(DecodeError::InvalidField { field, detail: "must not be empty".into() }),
        None => Err(DecodeError::MissingField(field)),
    }
}

fn arc(s: Cow<'_, str>) -> Arc<str> {
    Arc::from(s.as_ref())
}

fn opt(s: Option<Cow<'_, str>>) -> Option<Arc<str>> {
    s.filter(|s| !s.is_empty()).map(arc)
}

fn opt_in(s: Option<Cow<'_, str>>, i: &mut Interner) -> Option<Arc<str>> {
    s.filter(|s| !s.is_empty()).map(|s| i.get(&s))
}

fn opt_id(s: Option<Cow<'_, str>>, i: &mut Interner) -> Option<Arc<str>> {
    s.filter(|s| !s.is_empty()).map(|s| i.get_id(&s))
}

impl<'a> Wire<'a> {
    /// Moves the fields out into an event (what is left is spent).
    fn take_event(&mut self, i: &mut Interner) -> Result<Event, DecodeError> {
        let v = self.v.unwrap_or(1);
        if v != 1 {
            return Err(DecodeError::UnsupportedVersion(v));
        }
        if let Some(mut aliases) = self.aliases.take() {
            self.take_aliases(&mut aliases)?;
        }
        let event_id = required(self.event_id.take(), "event_id")?;
        let ts_ms = self.ts.ok_or(DecodeError::MissingField("ts"))?;
        if !(0..=MAX_TS_MS).contains(&ts_ms) {
            // Epoch micro- or nanoseconds read as milliseconds land tens of
            // thousands of years ahead: no RFC 3339 text can carry them in a
            // signal, the archive's partition would be wrong and DuckDB
            // could not convert its timestamps.
            return Err(DecodeError::InvalidField {
                field: "ts",
                detail: format!("{ts_ms} is outside 1970-01-01 to 9999-12-31 (epoch milliseconds expected, not micro- or nanoseconds)"),
            });
        }
        let session_id = required(self.session_id.take(), "session_id")?;
        let agent_id = required(self.agent_id.take(), "agent_id")?;
        let kind = self.kind.unwrap_or(EventKind::Llm);
        let model = opt_in(self.model.take(), i);
        if kind == EventKind::Llm && model.is_none() && self.cost_usd.is_none() {
            // Without a model an LLM call cannot be priced; with a reported
            // cost it still can be counted, so only this combination is bad.
            return Err(DecodeError::MissingField("model"));
        }
        let target_agent_id = opt_in(self.target_agent_id.take(), i);
        if kind == EventKind::Handoff && target_agent_id.is_none() {
            return Err(DecodeError::MissingField("target_agent_id"));
        }
        let counts = [self.input_tokens, self.output_tokens, self.cache_read_tokens, self.cache_write_tokens, self.reasoning_tokens];
        // As for `cost_usd`: no call reads or writes a billion tokens (the
        // widest context windows hold ten million); a larger count is
        // corrupt and, priced, would pause the whole fleet.
        if counts.iter().fold(0, |most, n| most.max(n.unwrap_or(0))) > MAX_TOKENS {
            return Err(too_many_tokens(counts));
        }
        let task_type = match self.task_type.take() {
            Some(t) if !t.is_empty() => i.get(&t),
            _ => i.get("unknown"),
        };
        Ok(Event {
            v: 1,
            event_id: arc(event_id),
            ts_ms,
            session_id: i.get_id(&session_id),
            agent_id: i.get(&agent_id),
            task_type,
            task_id: opt_id(self.task_id.take(), i),
            parent_session_id: opt_id(self.parent_session_id.take(), i),
            tenant: opt_in(self.tenant.take(), i),
            team: opt_in(self.team.take(), i),
            feature: opt_in(self.feature.take(), i),
            env: opt_in(self.env.take(), i),
            labels: self.labels.take().unwrap_or_default(),
            kind,
            model,
            provider: opt_in(self.provider.take(), i),
            input_tokens: self.input_tokens.unwrap_or(0),
            output_tokens: self.output_tokens.unwrap_or(0),
            cache_read_tokens: self.cache_read_tokens.unwrap_or(0),
            cache_write_tokens: self.cache_write_tokens.unwrap_or(0),
            reasoning_tokens: self.reasoning_tokens.unwrap_or(0),
            cost_usd: self.cost_usd,
            tool: opt_in(self.tool.take(), i),
            args_hash: opt(self.args_hash.take()),
            target_agent_id,
            status: self.status.unwrap_or(Status::Ok),
            latency_ms: self.latency_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_minimal_llm_event_with_defaults() {
        let e = decode(br#"{"event_id":"e1","ts":"2026-01-01T00:00:00Z","session_id":"s","agent_id":"a","model":"gpt-4o"}"#).unwrap();
        assert_eq!(e.kind, EventKind::Llm);
        assert_eq!(&*e.task_type, "unknown");
        assert_eq!(e.ts_ms, 1_767_225_600_000);
        assert_eq!(e.status, Status::Ok);
    }

    #[test]
    fn both_timestamp_forms_agree() {
        let a = decode(br#"{"event_id":"e","ts":"2026-01-01T00:00:01.5+00:00","session_id":"s","agent_id":"a","model":"m"}"#).unwrap();
        let b = decode(br#"{"event_id":"e","ts":1767225601500,"session_id":"s","agent_id":"a","model":"m"}"#).unwrap();
        assert_eq!(a.ts_ms, b.ts_ms);
    }

    #[test]
    fn negative_count_is_typed() {
        let e = decode(br#"{"event_id":"e","ts":1,"session_id":"s","agent_id":"a","model":"m","input_tokens":-3}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        assert!(e.to_string().contains("input_tokens"), "{e}");
    }

    /// Whatever the fast path accepts, it must read exactly as the general
    /// path does: checked on the sample fleet and on mutations of it that
    /// aim at the edges (escapes, nesting, odd numbers, aliases, spacing).
    #[test]
    fn fast_path_agrees_with_general_path() {
        let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample.ndjson")).expect("sample");
        let seeds: Vec<&str> = sample.lines().filter(|l| !l.is_empty()).collect();
        let pieces = [
            " ",
            "\t",
            "\n",
            "\\",
            "\"",
            ",",
            "}",
            "{",
            "[",
            "]",
            ":",
            "-",
            ".",
            "e",
            "E",
            "+",
            "0",
            "1",
            "9",
            "null",
            "nul",
            "true",
            "\\u0041",
            "\\n",
            "é",
            "\u{1}",
            "\u{a0}",
            "1e400",
            "-0",
            "01",
            "1.5",
            "\"x\"",
            "{}",
            "[1,{}]",
            r#""labels":{"a":"b"}"#,
            r#""labels":null"#,
            r#""v":2"#,
            r#""v":1.0"#,
            r#""kind":"chat""#,
            r#""kind":"dance""#,
            r#""status":"retry""#,
            r#""status":null"#,
            r#""gen_ai.request.model":"gpt-4o""#,
            r#""gen_ai.agent.name":"n""#,
            r#""gen_ai.response.model":"gpt-4o-mini""#,
            r#""gen_ai.usage.input_tokens":900"#,
            r#""gen_ai.usage.prompt_tokens":null"#,
            r#""gen_ai.usage.cache_read.input_tokens":300"#,
            r#""gen_ai.usage.output_tokens":40"#,
            r#""gen_ai.usage.reasoning.output_tokens":"5""#,
            r#""gen_ai.operation.name":"invoke_agent""#,
            r#""error.type":"timeout""#,
            r#""error.type":7"#,
            r#""timestamp":"2026-01-01T00:00:00Z""#,
            r#""model":null"#,
            r#""model":"""#,
            r#""ts":-5"#,
            r#""ts":1.7e12"#,
            r#""ts":1e300"#,
            r#""ts":"1767225600000""#,
            r#""ts":" 2026-01-01T00:00:00Z""#,
            r#""ts":18446744073709551615"#,
            r#""cost_usd":-1"#,
            r#""cost_usd":0.1e-2"#,
            r#""cost_usd":"1""#,
            r#""input_tokens":3.0"#,
            r#""input_tokens":3.5"#,
            r#""input_tokens":-0"#,
            r#""output_tokens":18446744073709551616"#,
            r#""session_id":12"#,
            r#""session_id":-12"#,
            r#""session_id":1.5"#,
            r#""agent_id":"""#,
            r#""agent_id":" ""#,
            r#""event_id":null"#,
            r#""x":-"#,
            r#""x":true"#,
            r#""x":"a\"b""#,
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n.max(1) as u64) as usize
        };
        let (mut fast, mut total) = (0usize, 0usize);
        let mut check = |line: &str| {
            total += 1;
            let Ok(text) = object_text(line.as_bytes()) else { return };
            let mut w = Wire::default();
            if fast_wire(text, &mut w).is_none() {
                return;
            }
            fast += 1;
            let got = w.take_event(&mut Interner::default());
            let want = general_wire(text).and_then(|mut w| w.take_event(&mut Interner::default()));
            assert_eq!(got, want, "fast and general paths differ on {line}");
        };
        for seed in &seeds {
            check(seed);
        }
        for _ in 0..150_000 {
            let mut l = seeds[rnd(seeds.len())].to_string();
            for _ in 0..1 + rnd(3) {
                let mut p = rnd(l.len() + 1);
                while !l.is_char_boundary(p) {
                    p -= 1;
                }
                match rnd(10) {
                    0..=3 => l.insert_str(p, pieces[rnd(pieces.len())]),
                    4..=5 => {
                        let mut q = (p + 1 + rnd(4)).min(l.len());
                        while !l.is_char_boundary(q) {
                            q += 1;
                        }
                        l.replace_range(p..q, "");
                    }
                    6..=7 => {
                        // A whole extra field, where a field can start.
                        if let Some(c) = l[p..].find(',') {
                            l.insert_str(p + c + 1, &format!("{},", pieces[34 + rnd(pieces.len() - 34)]));
                        }
                    }
                    8 => l = l.replace(',', ", ").replace("\":", "\" : "),
                    _ => {
                        if let Some(d) = l[p..].find(|c: char| c.is_ascii_digit()) {
                            let d = p + d;
                            l.replace_range(d..d + 1, pieces[12 + rnd(8)]);
                        }
                    }
                }
            }
            check(&l);
        }
        assert!(fast * 3 > total, "fast path taken on only {fast} of {total} records");
    }

    #[test]
    fn special_lanes_finds_the_first_special_byte() {
        let special = |c: u8| c == b'"' || c == b'\\' || c < 0x20;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let fills = [b'a', b'!', b' ', 0x7f, 0x80, 0xc3, 0xff, b'"', 0x1f, 0x00, b'\\', b'#', b']'];
        for _ in 0..400_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly ordinary bytes, so special ones land at every position.
            let lanes: [u8; 8] = std::array::from_fn(|k| fills[((x >> (k * 5)) % 13) as usize]);
            let want = lanes.iter().position(|&c| special(c));
            let hits = special_lanes(u64::from_le_bytes(lanes));
            let got = (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize);
            assert_eq!(got, want, "{lanes:?}");
        }
        for c in 0..=255u8 {
            for k in 0..8 {
                let mut lanes = [b'a'; 8];
                lanes[k] = c;
                let hits = special_lanes(u64::from_le_bytes(lanes));
                let got = (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize);
                assert_eq!(got, special(c).then_some(k), "byte {c:#x} at {k}");
            }
        }
    }

    /// The direct RFC 3339 reader must agree with chrono wherever it
    /// accepts, on well-formed and edge-of-range timestamps alike.
    #[test]
    fn common_rfc3339_agrees_with_chrono() {
        let mut x: u64 = 0xD1B5_4A32_D192_ED03;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let chrono_ms = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis());
        let mut accepted = 0;
        for n in 0..400_000 {
            let year = match rnd(4) {
                0 => rnd(10_000),
                1 => 1970 + rnd(100),
                2 => [0, 1, 99, 100, 400, 1600, 1900, 2000, 2100, 9999][rnd(10) as usize],
                _ => 2024 + rnd(4),
            };
            let (month, day) = (rnd(14), if rnd(4) == 0 { rnd(33) } else { 28 + rnd(4) });
            let (hour, minute, second) = (rnd(26), rnd(62), rnd(62));
            let sep = ["T", "T", "T", "t", " "][rnd(5) as usize];
            let frac = match rnd(5) {
                0 => String::new(),
                1 => ".".to_string(),
                _ => format!(".{}", (0..1 + rnd(12)).map(|_| char::from(b'0' + rnd(10) as u8)).collect::<String>()),
            };
            let off = match rnd(6) {
                0 | 1 => "Z".to_string(),
                2 => "z".to_string(),
                3 => format!("+{:02}:{:02}", rnd(26), rnd(62)),
                4 => format!("-{:02}:{:02}", rnd(26), rnd(62)),
                _ => format!("+{:02}{:02}", rnd(24), rnd(60)),
            };
            let mut s = format!("{year:04}-{month:02}-{day:02}{sep}{hour:02}:{minute:02}:{second:02}{frac}{off}");
            if n % 7 == 0 {
                // A stray character somewhere.
                let p = rnd(s.len() as u64 + 1) as usize;
                s.insert(p, [' ', '0', ':', '-', 'x', 'Z', '.'][rnd(7) as usize]);
            }
            if let Some(ms) = rfc3339_common_ms(&s) {
                accepted += 1;
                assert_eq!(Some(ms), chrono_ms(&s), "{s}");
            }
            assert_eq!(parse_rfc3339_ms(&s), chrono_ms(s.trim()), "{s}");
        }
        assert!(accepted > 50_000, "only {accepted} accepted");
        assert_eq!(parse_rfc3339_ms("2026-01-05T00:09:27.474Z"), Some(1_767_571_767_474));
    }

    #[test]
    fn unknown_kind_is_typed() {
        let e = decode(br#"{"event_id":"e","ts":1,"session_id":"s","agent_id":"a","kind":"dance"}"#).unwrap_err();
        assert_eq!(e, DecodeError::UnknownKind("dance".into()));
    }
}
