//! Reads the archive back for the offline commands, with the parquet
//! crate's Arrow reader: only the columns a command needs, only the `dt=`
//! partitions inside the requested time range.
//!
//! Owns: archive discovery (final files only, never temp files), the
//! `--by` dimensions and the `--from`/`--to` range, column projection, and
//! the flat rows `report` and `forecast` work on: for `report` also the
//! kills in range, each with the group of the event that triggered it, and
//! the rows of the killed sessions just beyond the range that the estimate
//! of the spend a kill stopped needs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, MapArray, RecordBatch, StringArray, TimestampMillisecondArray};
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
    #[error("no archive at {0}: no such directory (`runaway watch --archive {0}` creates it)")]
    NoArchive(String),
    #[error("no archive at {0}: it is a file, not a directory (--archive takes the directory `runaway watch --archive` writes)")]
    IsAFile(String),
    #[error("no archive at {0}: not a directory")]
    NotADirectory(String),
    #[error("invalid time `{0}` (expected YYYY-MM-DD or RFC 3339)")]
    Time(String),
    #[error("empty time range: --from {from} is not before --to {to} (--to is exclusive)")]
    EmptyRange { from: String, to: String },
    #[error("unknown dimension `{0}` (expected {DIMENSIONS})")]
    Dimension(String),
}

/// The `--by` values, as the usage error and the help list them.
pub const DIMENSIONS: &str = "team, agent, task_type, tenant, feature, env, model, day or label:KEY";

/// A chargeback dimension: what groups the spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    /// A string column of the events table.
    Column(&'static str),
    /// The UTC date of the event time.
    Day,
    /// The value of one key of the `labels` map.
    Label(String),
}

impl Dimension {
    pub fn parse(s: &str) -> Result<Dimension, ReadError> {
        Ok(match s {
            "team" => Dimension::Column("team"),
            "agent" | "agent_id" => Dimension::Column("agent_id"),
            "task_type" => Dimension::Column("task_type"),
            "tenant" => Dimension::Column("tenant"),
            "feature" => Dimension::Column("feature"),
            "model" => Dimension::Column("model"),
            "env" => Dimension::Column("env"),
            "day" => Dimension::Day,
            other => match other.strip_prefix("label:") {
                Some(key) if !key.is_empty() => Dimension::Label(key.to_string()),
                _ => return Err(ReadError::Dimension(other.to_string())),
            },
        })
    }

    /// The events column the dimension is read from.
    pub fn column(&self) -> &'static str {
        match self {
            Dimension::Column(c) => c,
            Dimension::Day => "ts",
            Dimension::Label(_) => "labels",
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
    /// Refuses a range that can hold nothing (`from` at or after `to`):
    /// an inverted range is a typo, and its zeros would read as a quiet
    /// period.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<TimeRange, ReadError> {
        let range = TimeRange { from_ms: from.map(parse_time).transpose()?, to_ms: to.map(parse_time).transpose()? };
        if let (Some(f), Some(t), Some(from), Some(to)) = (range.from_ms, range.to_ms, from, to) {
            if f >= t {
                return Err(ReadError::EmptyRange { from: from.to_string(), to: to.to_string() });
            }
        }
        Ok(range)
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

    /// The range grown by `margin_ms` on each bounded side.
    fn widened(&self, margin_ms: i64) -> TimeRange {
        TimeRange { from_ms: self.from_ms.map(|f| f.saturating_sub(margin_ms)), to_ms: self.to_ms.map(|t| t.saturating_add(margin_ms)) }
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
    /// Priced at the fallback rates, for a model the price catalog lacks
    /// (`cost_source = 'fallback'`); read for `report` only.
    pub fallback: bool,
    /// Inside the range asked for. `report` also reads a killed session's
    /// rows up to the stop horizon beyond the range (see [`read_report`]);
    /// those count toward that kill's estimate only.
    pub in_range: bool,
}

/// One session kill, the first the archive holds for its session.
#[derive(Debug, Clone, PartialEq)]
pub struct KillRow {
    pub session: Arc<str>,
    pub event_ts_ms: i64,
    /// Group of the event that triggered the kill (the signal's
    /// `trigger_event_id`); `None` when that event is not in the archive.
    pub group: Option<Arc<str>>,
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

/// The value of `key` in row `i` of a `labels` map column.
fn label_of<'a>(labels: &'a MapArray, keys: &'a StringArray, values: &'a StringArray, i: usize, key: &str) -> Option<&'a str> {
    if labels.is_null(i) {
        return None;
    }
    let offsets = labels.value_offsets();
    let (from, to) = (usize::try_from(offsets[i]).ok()?, usize::try_from(offsets[i + 1]).ok()?);
    (from..to).find(|&j| keys.is_valid(j) && keys.value(j) == key).and_then(|j| values.is_valid(j).then(|| values.value(j)))
}

/// Checks that `dir` is a directory: an archive `watch` created and has
/// not written an event to yet is one without `events/`, and reads as
/// empty; a path that does not exist is a mistyped `--archive`.
fn check_archive_dir(dir: &Path) -> Result<(), ReadError> {
    if dir.is_dir() {
        Ok(())
    } else if dir.is_file() {
        Err(ReadError::IsAFile(dir.display().to_string()))
    } else if dir.exists() {
        Err(ReadError::NotADirectory(dir.display().to_string()))
    } else {
        Err(ReadError::NoArchive(dir.display().to_string()))
    }
}

/// Whether the archive at `dir` has ever had an event written to it.
pub fn has_events(dir: &Path) -> bool {
    dir.join("events").is_dir()
}

/// Reads the events of the archive at `dir` within `range`, grouped by `dim`.
/// An `event_id` archived more than once (the same event fed to two runs,
/// e.g. a redelivery across a file boundary) counts once: its first row
/// in file order. A run itself archives each event once.
pub fn read_events(dir: &Path, dim: &Dimension, range: &TimeRange) -> Result<Vec<EventRow>, ReadError> {
    check_archive_dir(dir)?;
    let mut scan = Scan::new(dim, *range, None, false);
    scan.run(dir)?;
    Ok(scan.rows)
}

/// What `report` reads: the events in range, the kills in range and the
/// rows beyond the range that those kills' estimates need.
#[derive(Debug, Default)]
pub struct ReportData {
    /// The events in range (`in_range`), then the rows of the sessions
    /// killed in range that lie within `margin_ms` beyond it.
    pub events: Vec<EventRow>,
    /// The kills in range (by the kill's event time), one per session.
    pub kills: Vec<KillRow>,
    /// Spend in range priced at the fallback rates, per model.
    pub fallback_models: BTreeMap<String, f64>,
}

/// Reads what `report` needs from the archive at `dir`: every kill signal
/// (a replayed archive may hold a session's kill twice: its first counts),
/// of which those inside `range` are kept; then the events in `range`, and
/// beyond it, up to `margin_ms` before `from` and after `to`, the rows of
/// the sessions killed in range. A kill's figures then come from the same
/// rows whatever range it is read in, so a kill belongs to exactly one of
/// the ranges that partition a period.
pub fn read_report(dir: &Path, dim: &Dimension, range: &TimeRange, margin_ms: i64) -> Result<ReportData, ReadError> {
    check_archive_dir(dir)?;
    let found = read_kills(dir, range)?;
    let killed: HashSet<Arc<str>> = found.iter().map(|(k, _)| k.session.clone()).collect();
    let triggers: HashSet<u64> = found.iter().map(|(_, t)| *t).collect();
    let around = Around { sessions: &killed, triggers: &triggers, wide: range.widened(margin_ms.max(0)) };
    let mut scan = Scan::new(dim, *range, Some(around), true);
    scan.run(dir)?;
    let kills = found.into_iter().map(|(k, t)| KillRow { group: scan.trigger_groups.get(&t).cloned(), ..k }).collect();
    Ok(ReportData { events: scan.rows, kills, fallback_models: scan.fallback_models })
}

/// The kills of a report's range and where their rows lie beyond it.
struct Around<'a> {
    /// Sessions killed in range: their rows in `wide` are read too.
    sessions: &'a HashSet<Arc<str>>,
    /// Hashes of the kills' trigger event ids (one event may stop a
    /// whole sub-agent tree: several kills).
    triggers: &'a HashSet<u64>,
    /// The range grown by the stop horizon.
    wide: TimeRange,
}

/// One pass over the events table.
struct Scan<'a> {
    dim: &'a Dimension,
    range: TimeRange,
    around: Option<Around<'a>>,
    /// Read `cost_source` and `model`, for the fallback-priced spend.
    fallback: bool,
    rows: Vec<EventRow>,
    /// Group of each trigger event found, by its id's hash.
    trigger_groups: HashMap<u64, Arc<str>>,
    fallback_models: BTreeMap<String, f64>,
}

impl<'a> Scan<'a> {
    fn new(dim: &'a Dimension, range: TimeRange, around: Option<Around<'a>>, fallback: bool) -> Scan<'a> {
        Scan { dim, range, around, fallback, rows: Vec::new(), trigger_groups: HashMap::new(), fallback_models: BTreeMap::new() }
    }

    fn run(&mut self, dir: &Path) -> Result<(), ReadError> {
        let root = dir.join("events");
        if !root.is_dir() {
            return Ok(());
        }
        let read_range = self.around.as_ref().map_or(self.range, |a| a.wide);
        let files = list_files(&root, &read_range)?;
        let pb = progress(files.len(), "reading events");
        let mut sessions = Interner::default();
        let mut groups = Interner::default();
        let mut seen: rustc_hash::FxHashSet<u64> = rustc_hash::FxHashSet::default();
        // A date's name, made once per day rather than once per row.
        let mut days: HashMap<i64, Arc<str>> = HashMap::new();
        // `outcome`, not `killed_session`: the kill's trigger row is also of a
        // killed session, but its spend came before the kill.
        let mut columns = vec!["event_id", "ts", "session_id", "cost_usd", "outcome"];
        if self.fallback {
            columns.extend(["cost_source", "model"]);
        }
        if !columns.contains(&self.dim.column()) {
            columns.push(self.dim.column());
        }
        let (dim, range, around, fallback) = (self.dim, self.range, self.around.as_ref(), self.fallback);
        let (rows, trigger_groups, fallback_models) = (&mut self.rows, &mut self.trigger_groups, &mut self.fallback_models);
        for file in &files {
            read_file(file, &columns, |b| {
                let event_id = StrCol::of(b, "event_id", file)?;
                let ts = column::<TimestampMillisecondArray>(b, "ts", file)?;
                let cost = column::<Float64Array>(b, "cost_usd", file)?;
                let outcome = StrCol::of(b, "outcome", file)?;
                let session = StrCol::of(b, "session_id", file)?;
                let group = GroupCol::of(b, dim, file)?;
                let priced = if fallback { Some((StrCol::of(b, "cost_source", file)?, StrCol::of(b, "model", file)?)) } else { None };
                for i in 0..b.num_rows() {
                    let t = ts.value(i);
                    let in_range = range.contains(t);
                    if !in_range {
                        // Beyond the range only a kill's own session counts, near it.
                        let Some(a) = around else { continue };
                        if !a.wide.contains(t) || !session.get(i).is_some_and(|s| a.sessions.contains(s)) {
                            continue;
                        }
                    }
                    let id = xxhash_rust::xxh3::xxh3_64(event_id.get(i).unwrap_or("").as_bytes());
                    if !seen.insert(id) {
                        continue;
                    }
                    let group = match &group {
                        GroupCol::Str(c) => groups.get(c.get(i).unwrap_or(NO_GROUP)),
                        GroupCol::Day => days
                            .entry(t.div_euclid(86_400_000))
                            .or_insert_with_key(|d| {
                                groups.get(crate::event::format_rfc3339_ms(d * 86_400_000).get(..10).unwrap_or_default())
                            })
                            .clone(),
                        GroupCol::Label { key, labels, keys, values } => {
                            groups.get(label_of(labels, keys, values, i, key).unwrap_or(NO_GROUP))
                        }
                    };
                    if around.is_some_and(|a| a.triggers.contains(&id)) {
                        trigger_groups.entry(id).or_insert_with(|| group.clone());
                    }
                    let mut is_fallback = false;
                    if let Some((source, model)) = &priced {
                        if in_range && source.get(i) == Some("fallback") {
                            is_fallback = true;
                            *fallback_models.entry(model.get(i).unwrap_or(NO_GROUP).to_string()).or_default() += cost.value(i);
                        }
                    }
                    rows.push(EventRow {
                        ts_ms: t,
                        session: sessions.get(session.get(i).unwrap_or("")),
                        group,
                        cost_usd: cost.value(i),
                        after_kill: outcome.get(i) == Some("after_kill"),
                        fallback: is_fallback,
                        in_range,
                    });
                }
                Ok(())
            })?;
            pb.inc(1);
        }
        pb.finish_and_clear();
        Ok(())
    }
}

/// Where a batch's rows take their group from.
enum GroupCol<'a> {
    Str(StrCol<'a>),
    Day,
    Label { key: &'a str, labels: &'a MapArray, keys: &'a StringArray, values: &'a StringArray },
}

impl<'a> GroupCol<'a> {
    fn of(batch: &'a RecordBatch, dim: &'a Dimension, path: &Path) -> Result<GroupCol<'a>, ReadError> {
        match dim {
            Dimension::Column(c) => Ok(GroupCol::Str(StrCol::of(batch, c, path)?)),
            Dimension::Day => Ok(GroupCol::Day),
            Dimension::Label(key) => {
                let bad = || ReadError::Column { path: path.display().to_string(), column: "labels".to_string() };
                let labels = batch.column_by_name("labels").and_then(|c| c.as_map_opt()).ok_or_else(bad)?;
                let keys = labels.keys().as_string_opt::<i32>().ok_or_else(bad)?;
                let values = labels.values().as_string_opt::<i32>().ok_or_else(bad)?;
                Ok(GroupCol::Label { key, labels, keys, values })
            }
        }
    }
}

/// Reads the session kills of the archive at `dir` and keeps those whose
/// event time is in `range`, each session's first only: all of time is
/// read, so a session killed before the range (and again in a replayed
/// run) is not taken for killed in it. Returns each with the hash of its
/// trigger event id, in kill time order.
fn read_kills(dir: &Path, range: &TimeRange) -> Result<Vec<(KillRow, u64)>, ReadError> {
    let root = dir.join("signals");
    if !root.is_dir() {
        return Ok(Vec::new()); // no signal was ever archived
    }
    let files = list_files(&root, &TimeRange::default())?;
    // Session → (kill time, trigger event id hash), the earliest kill.
    let mut first: HashMap<Arc<str>, (i64, u64)> = HashMap::new();
    for file in &files {
        read_file(file, &["action", "scope", "session_id", "event_ts", "trigger_event_id"], |b| {
            let action = StrCol::of(b, "action", file)?;
            let scope = StrCol::of(b, "scope", file)?;
            let session = StrCol::of(b, "session_id", file)?;
            let trigger = StrCol::of(b, "trigger_event_id", file)?;
            let ts = column::<TimestampMillisecondArray>(b, "event_ts", file)?;
            for i in 0..b.num_rows() {
                if action.get(i) != Some("kill") || scope.get(i) != Some("session") {
                    continue;
                }
                let Some(s) = session.get(i) else { continue };
                let kill = (ts.value(i), xxhash_rust::xxh3::xxh3_64(trigger.get(i).unwrap_or("").as_bytes()));
                match first.get_mut(s) {
                    Some(k) if kill.0 < k.0 => *k = kill,
                    Some(_) => {}
                    None => {
                        first.insert(Arc::from(s), kill);
                    }
                }
            }
            Ok(())
        })?;
    }
    let mut in_range: Vec<(Arc<str>, (i64, u64))> = first.into_iter().filter(|(_, (t, _))| range.contains(*t)).collect();
    // No hash-map order reaches an output.
    in_range.sort_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| a.0.cmp(&b.0)));
    Ok(in_range.into_iter().map(|(session, (event_ts_ms, trigger))| (KillRow { session, event_ts_ms, group: None }, trigger)).collect())
}
