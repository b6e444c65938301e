//! Reads the archive back for the offline commands, with the parquet
//! crate's Arrow reader: only the columns a command needs, only the `dt=`
//! partitions inside the requested time range.
//!
//! Owns: archive discovery (final files only, never temp files), column
//! projection, and the flat rows `report` and `forecast` work on.

use std::collections::HashMap;
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, Float64Array, RecordBatch, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Int32Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::event::parse_rfc3339_ms;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read archive {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot decode Parquet file {path}: {source}")]
    Parquet { path: String, source: parquet::errors::ParquetError },
    #[error("cannot decode a batch of {path}: {source}")]
    Arrow { path: String, source: arrow::error::ArrowError },
    #[error("{path}: column `{column}` is missing or has an unexpected type")]
    Column { path: String, column: String },
    #[error("no archive at {0} (expected {0}/events/dt=…/hour=…/*.parquet)")]
    NoArchive(String),
    #[error("invalid time `{0}` (expected YYYY-MM-DD or RFC 3339)")]
    Time(String),
    #[error("unknown dimension `{0}` (expected team, agent, task_type, tenant, model or env)")]
    Dimension(String),
}

/// A chargeback dimension: which events column groups the spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Team,
    Agent,
    TaskType,
    Tenant,
    Model,
    Env,
}

impl Dimension {
    pub fn parse(s: &str) -> Result<Dimension, ReadError> {
        Ok(match s {
            "team" => Dimension::Team,
            "agent" | "agent_id" => Dimension::Agent,
            "task_type" => Dimension::TaskType,
            "tenant" => Dimension::Tenant,
            "model" => Dimension::Model,
            "env" => Dimension::Env,
            other => return Err(ReadError::Dimension(other.to_string())),
        })
    }

    /// The events column holding this dimension.
    pub fn column(self) -> &'static str {
        match self {
            Dimension::Team => "team",
            Dimension::Agent => "agent_id",
            Dimension::TaskType => "task_type",
            Dimension::Tenant => "tenant",
            Dimension::Model => "model",
            Dimension::Env => "env",
        }
    }
}

/// Group name of rows without a value for the dimension.
pub const NO_GROUP: &str = "(none)";

/// Event-time range, `from` inclusive, `to` exclusive, epoch ms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeRange {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub fn parse_time(s: &str) -> Result<i64, ReadError> {
    let t = s.trim();
    let full = if t.len() == 10 { format!("{t}T00:00:00Z") } else { t.to_string() };
    parse_rfc3339_ms(&full).ok_or_else(|| ReadError::Time(s.to_string()))
}

impl TimeRange {
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<TimeRange, ReadError> {
        Ok(TimeRange { from_ms: from.map(parse_time).transpose()?, to_ms: to.map(parse_time).transpose()? })
    }

    pub fn contains(&self, ts: i64) -> bool {
        self.from_ms.is_none_or(|f| ts >= f) && self.to_ms.is_none_or(|t| ts < t)
    }

    /// Whether any time of day `day` (days since the epoch) is in range.
    fn touches_day(&self, day: i64) -> bool {
        let start = day * 86_400_000;
        let end = start + 86_400_000;
        self.from_ms.is_none_or(|f| end > f) && self.to_ms.is_none_or(|t| start < t)
    }
}

/// One archived event as the offline commands see it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub ts_ms: i64,
    pub session: Arc<str>,
    pub group: Arc<str>,
    pub cost_usd: f64,
    pub after_kill: bool,
}

/// One archived kill of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct KillRow {
    pub session: Arc<str>,
    pub event_ts_ms: i64,
}

fn day_of_dir(name: &str) -> Option<i64> {
    let date = name.strip_prefix("dt=")?;
    parse_rfc3339_ms(&format!("{date}T00:00:00Z")).map(|ms| ms.div_euclid(86_400_000))
}

/// Final Parquet files under `root` (recursively), skipping `dt=`
/// partitions outside `range` and every hidden (temporary) file.
pub fn list_files(root: &Path, range: &TimeRange) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    walk(root, range, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, range: &TimeRange, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let io = |source| ReadError::Io { path: dir.display().to_string(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type().map_err(io)?.is_dir() {
            if let Some(day) = day_of_dir(&name) {
                if !range.touches_day(day) {
                    continue;
                }
            }
            walk(&path, range, out)?;
        } else if name.ends_with(".parquet") {
            out.push(path);
        }
    }
    Ok(())
}

fn progress(len: usize, what: &'static str) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() && len > 1 {
        let pb = indicatif::ProgressBar::new(len as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} files ({eta})") {
            pb.set_style(style);
        }
        pb.set_message(what);
        pb
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Reads `columns` of every batch of `file`, calling `each` per batch.
fn read_file(file: &Path, columns: &[&str], mut each: impl FnMut(&RecordBatch) -> Result<(), ReadError>) -> Result<(), ReadError> {
    let path = file.display().to_string();
    let f = File::open(file).map_err(|source| ReadError::Io { path: path.clone(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|source| ReadError::Parquet { path: path.clone(), source })?;
    let schema = builder.parquet_schema();
    let mut roots = Vec::new();
    for c in columns {
        let idx = schema
            .root_schema()
            .get_fields()
            .iter()
            .position(|f| f.name() == *c)
            .ok_or_else(|| ReadError::Column { path: path.clone(), column: c.to_string() })?;
        roots.push(idx);
    }
    let mask = ProjectionMask::roots(schema, roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|source| ReadError::Parquet { path: path.clone(), source })?;
    for batch in reader {
        let batch = batch.map_err(|source| ReadError::Arrow { path: path.clone(), source })?;
        each(&batch)?;
    }
    Ok(())
}

/// A string column that may be dictionary-encoded.
enum StrCol<'a> {
    Plain(&'a arrow::array::StringArray),
    Dict(&'a arrow::array::DictionaryArray<Int32Type>, &'a arrow::array::StringArray),
}

impl<'a> StrCol<'a> {
    fn of(batch: &'a RecordBatch, name: &str, path: &Path) -> Result<StrCol<'a>, ReadError> {
        let bad = || ReadError::Column { path: path.display().to_string(), column: name.to_string() };
        let col = batch.column_by_name(name).ok_or_else(bad)?;
        match col.data_type() {
            DataType::Utf8 => Ok(StrCol::Plain(col.as_string::<i32>())),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = col.as_dictionary::<Int32Type>();
                let values = d.values().as_string_opt::<i32>().ok_or_else(bad)?;
                Ok(StrCol::Dict(d, values))
            }
            _ => Err(bad()),
        }
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StrCol::Plain(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::Dict(d, values) => {
                if d.is_valid(i) {
                    let k = d.keys().value(i);
                    usize::try_from(k).ok().filter(|k| *k < values.len()).map(|k| values.value(k))
                } else {
                    None
                }
            }
        }
    }
}

/// Interns repeated strings so millions of rows share a few allocations.
#[derive(Default)]
struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(s.to_string(), a.clone());
        a
    }
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str, path: &Path) -> Result<&'a T, ReadError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| ReadError::Column { path: path.display().to_string(), column: name.to_string() })
}

/// Reads the events of the archive at `dir` within `range`, grouped by `dim`.
/// An `event_id` archived more than once (the same event fed to two runs,
/// e.g. a redelivery across a file boundary) counts once: its first row
/// in file order. A run itself archives each event once.
pub fn read_events(dir: &Path, dim: Dimension, range: &TimeRange) -> Result<Vec<EventRow>, ReadError> {
    let root = dir.join("events");
    if !root.is_dir() {
        return Err(ReadError::NoArchive(dir.display().to_string()));
    }
    let files = list_files(&root, range)?;
    let pb = progress(files.len(), "reading events");
    let mut rows = Vec::new();
    let mut sessions = Interner::default();
    let mut groups = Interner::default();
    let mut seen: rustc_hash::FxHashSet<u64> = rustc_hash::FxHashSet::default();
    let group_col = dim.column();
    for file in &files {
        read_file(file, &["event_id", "ts", "session_id", group_col, "cost_usd", "killed_session"], |b| {
            let event_id = StrCol::of(b, "event_id", file)?;
            let ts = column::<TimestampMillisecondArray>(b, "ts", file)?;
            let cost = column::<Float64Array>(b, "cost_usd", file)?;
            let killed = column::<BooleanArray>(b, "killed_session", file)?;
            let session = StrCol::of(b, "session_id", file)?;
            let group = StrCol::of(b, group_col, file)?;
            for i in 0..b.num_rows() {
                let t = ts.value(i);
                if !range.contains(t) || !seen.insert(xxhash_rust::xxh3::xxh3_64(event_id.get(i).unwrap_or("").as_bytes())) {
                    continue;
                }
                rows.push(EventRow {
                    ts_ms: t,
                    session: sessions.get(session.get(i).unwrap_or("")),
                    group: groups.get(group.get(i).unwrap_or(NO_GROUP)),
                    cost_usd: cost.value(i),
                    after_kill: killed.value(i),
                });
            }
            Ok(())
        })?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(rows)
}

/// Reads the session kills of the archive at `dir` (all of time: a kill
/// just before `from` still explains spend after it).
pub fn read_kills(dir: &Path) -> Result<Vec<KillRow>, ReadError> {
    let root = dir.join("signals");
    if !root.is_dir() {
        return Ok(Vec::new()); // no signal was ever archived
    }
    let files = list_files(&root, &TimeRange::default())?;
    let mut kills = Vec::new();
    for file in &files {
        read_file(file, &["action", "scope", "session_id", "event_ts"], |b| {
            let action = StrCol::of(b, "action", file)?;
            let scope = StrCol::of(b, "scope", file)?;
            let session = StrCol::of(b, "session_id", file)?;
            let ts = column::<TimestampMillisecondArray>(b, "event_ts", file)?;
            for i in 0..b.num_rows() {
                if action.get(i) == Some("kill") && scope.get(i) == Some("session") {
                    if let Some(s) = session.get(i) {
                        kills.push(KillRow { session: Arc::from(s), event_ts_ms: ts.value(i) });
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(kills)
}
