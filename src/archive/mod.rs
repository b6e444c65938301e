//! The Parquet archive (contract §3): every processed event and every signal
//! as zstd Parquet, Hive-partitioned by event time, written so a file is
//! visible under its final name only once complete.
//!
//! Owns: the [`ArchiveWriter`] (a [`RecordSink`]), its rolling policy, file
//! naming and replay-safe replacement. Files are written under a hidden
//! temporary name, fsynced, then renamed; a file's name derives from the
//! source range it holds, so a replay after `discard_from` rewrites the same
//! names instead of adding duplicates.

pub mod encoder;
pub mod naming;
pub mod schema;

use rustc_hash::FxHashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::datatypes::{Schema, SchemaRef};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::engine::{PricedEvent, SourcePos};
use crate::signal::Signal;
use crate::sink::{RecordSink, SinkError};

use encoder::Encoder;
use naming::ArchiveFile;
use schema::{EventBatch, RowSource, Rows, SignalBatch};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive I/O on {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("archive Parquet encoding of {path}: {source}")]
    Parquet { path: String, source: parquet::errors::ParquetError },
    #[error("archive Arrow batch: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("archive encoder: {0}")]
    Worker(String),
    #[error("archive setting {key}={value} is invalid: {why}")]
    Config { key: &'static str, value: String, why: &'static str },
}

impl From<ArchiveError> for SinkError {
    fn from(e: ArchiveError) -> SinkError {
        SinkError(e.to_string())
    }
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io { path: path.display().to_string(), source }
}

/// Environment variables that tune the archive (the main job's flags are
/// fixed by the contract; these are the archive's knobs).
pub const ENV_ROLL_MB: &str = "RUNAWAY_ARCHIVE_ROLL_MB";
pub const ENV_ROLL_SECS: &str = "RUNAWAY_ARCHIVE_ROLL_SECS";
pub const ENV_ZSTD_LEVEL: &str = "RUNAWAY_ARCHIVE_ZSTD_LEVEL";

/// How the archive writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveConfig {
    pub dir: PathBuf,
    /// A file is closed once its encoded size reaches this (checked at
    /// batch boundaries, so files overshoot by up to one batch).
    pub roll_bytes: u64,
    /// A file is closed once it has been open this long (wall clock), so
    /// a quiet stream still lands in the archive.
    pub roll_age: Duration,
    /// Rows buffered on the caller's thread before they go, as one job, to
    /// the background threads (which build the Arrow batch and encode it).
    pub batch_rows: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Open files at most; the oldest is closed to make room.
    pub max_open_files: usize,
    pub zstd_level: i32,
}

impl ArchiveConfig {
    /// Defaults: 128 MiB or 5 minutes per file, zstd level 1 (level 3
    /// costs ~35 % more writer time for a few % smaller files; see the bench).
    pub fn new(dir: impl Into<PathBuf>) -> ArchiveConfig {
        ArchiveConfig {
            dir: dir.into(),
            roll_bytes: 128 << 20,
            roll_age: Duration::from_secs(300),
            batch_rows: 8192,
            row_group_rows: 128 * 1024,
            max_open_files: 64,
            zstd_level: 1,
        }
    }

    /// Defaults overridden by `RUNAWAY_ARCHIVE_ROLL_MB` (may be fractional),
    /// `RUNAWAY_ARCHIVE_ROLL_SECS` and `RUNAWAY_ARCHIVE_ZSTD_LEVEL`.
    pub fn from_env(dir: impl Into<PathBuf>) -> Result<ArchiveConfig, ArchiveError> {
        let mut cfg = ArchiveConfig::new(dir);
        if let Ok(v) = std::env::var(ENV_ROLL_MB) {
            let mb: f64 = v.trim().parse().map_err(|_| ArchiveError::Config { key: ENV_ROLL_MB, value: v.clone(), why: "not a number" })?;
            if !(mb > 0.0 && mb.is_finite()) {
                return Err(ArchiveError::Config { key: ENV_ROLL_MB, value: v, why: "must be > 0" });
            }
            cfg.roll_bytes = (mb * 1024.0 * 1024.0) as u64;
            // Small files need small batches or they overshoot by a batch.
            cfg.batch_rows = cfg.batch_rows.min(((cfg.roll_bytes / 64) as usize).max(64));
        }
        if let Ok(v) = std::env::var(ENV_ROLL_SECS) {
            let secs: f64 =
                v.trim().parse().map_err(|_| ArchiveError::Config { key: ENV_ROLL_SECS, value: v.clone(), why: "not a number" })?;
            if !(secs > 0.0 && secs.is_finite()) {
                return Err(ArchiveError::Config { key: ENV_ROLL_SECS, value: v, why: "must be > 0" });
            }
            cfg.roll_age = Duration::from_secs_f64(secs);
        }
        if let Ok(v) = std::env::var(ENV_ZSTD_LEVEL) {
            let level: i32 =
                v.trim().parse().map_err(|_| ArchiveError::Config { key: ENV_ZSTD_LEVEL, value: v.clone(), why: "not an integer" })?;
            ZstdLevel::try_new(level).map_err(|_| ArchiveError::Config { key: ENV_ZSTD_LEVEL, value: v, why: "zstd levels are 1..=22" })?;
            cfg.zstd_level = level;
        }
        Ok(cfg)
    }
}

/// Bytes of string data that also end a batch early (huge rows), which
/// bounds a batch's memory and keeps its row buffer's offsets small.
const BATCH_TEXT_BYTES: usize = 32 << 20;

/// One Parquet file being written under its temporary name. Rows gather
/// in a batch buffer here; full batches go to the encoder thread.
struct OpenFile<R: Rows> {
    id: u64,
    final_dir: PathBuf,
    stream: String,
    first: i64,
    last: i64,
    rows: R,
    /// Encoded size so far, as last reported by the encoder.
    size: Arc<AtomicU64>,
    opened: Instant,
    total_rows: u64,
    /// Set when a batch flush finds the file over its roll size; acted on
    /// before the next record with a later offset.
    roll_due: bool,
}

impl<R: Rows> OpenFile<R> {
    #[allow(clippy::too_many_arguments)]
    fn create(
        enc: &mut Encoder,
        final_dir: PathBuf,
        stream: String,
        source_stream: String,
        first: i64,
        rows: R,
        schema: SchemaRef,
        props: WriterProperties,
        unique: &str,
    ) -> Result<OpenFile<R>, ArchiveError> {
        create_dir_durable(&final_dir)?;
        let tmp_path = final_dir.join(naming::tmp_name(&stream, first, unique));
        let f = File::create(&tmp_path).map_err(io_err(&tmp_path))?;
        let (id, size) = enc.open(f, tmp_path, schema, props, source_stream)?;
        Ok(OpenFile { id, final_dir, stream, first, last: first, rows, size, opened: Instant::now(), total_rows: 0, roll_due: false })
    }

    fn note(&mut self, offset: i64) {
        self.first = self.first.min(offset);
        self.last = self.last.max(offset);
        self.total_rows += 1;
    }

    /// Whether the next record would go in after a due roll: rolls happen
    /// only before a record with a later offset (several signals share
    /// their trigger's offset; splitting them would give two files one name).
    fn roll_before(&self, offset: i64) -> bool {
        self.roll_due && offset > self.last
    }

    /// Hands buffered rows to the encoder when a batch is full.
    fn maybe_flush_batch(&mut self, enc: &Encoder, cfg: &ArchiveConfig) -> Result<(), ArchiveError> {
        if self.rows.len() >= cfg.batch_rows || self.rows.text_bytes() >= BATCH_TEXT_BYTES {
            self.flush_batch(enc)?;
            // The size lags by the batches still queued; files overshoot
            // the roll size by at most that much.
            self.roll_due = self.size.load(Ordering::Relaxed) >= cfg.roll_bytes;
        }
        Ok(())
    }

    fn flush_batch(&mut self, enc: &Encoder) -> Result<(), ArchiveError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        enc.write(self.id, self.rows.take(enc))
    }

    /// Queues the footer, fsync and rename; durable after the next barrier.
    fn close(mut self, enc: &Encoder) -> Result<(), ArchiveError> {
        self.flush_batch(enc)?;
        let final_path = self.final_dir.join(naming::final_name(&self.stream, self.first, self.last));
        tracing::debug!(file = %final_path.display(), rows = self.total_rows, "archive file closing");
        enc.close(self.id, final_path, self.final_dir)
    }

    /// Drops the file without making it visible.
    fn abort(self, enc: &Encoder) {
        enc.abort(self.id);
    }
}

impl OpenFile<EventBatch> {
    fn add(&mut self, p: &PricedEvent, row: RowSource, enc: &Encoder, cfg: &ArchiveConfig) -> Result<(), ArchiveError> {
        self.rows.push(p, row)?;
        self.note(row.offset);
        self.maybe_flush_batch(enc, cfg)
    }
}

impl OpenFile<SignalBatch> {
    fn add(&mut self, s: &Signal, row: RowSource, enc: &Encoder, cfg: &ArchiveConfig) -> Result<(), ArchiveError> {
        self.rows.push(s, row);
        self.note(row.offset);
        self.maybe_flush_batch(enc, cfg)
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), ArchiveError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// Creates `dir` and its missing parents, fsyncing each parent so the new
/// entries survive a crash.
fn create_dir_durable(dir: &Path) -> Result<(), ArchiveError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || d.is_dir() {
            break;
        }
        missing.push(d);
        cur = d.parent();
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    for d in missing {
        if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Key of an open file: the partition (hour or day index) and the stream
/// (an index into `ArchiveWriter::streams`).
type FileKey = (i64, u32);

/// Counters for the run summary and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    pub event_rows: u64,
    pub signal_rows: u64,
    pub files_closed: u64,
    pub files_discarded: u64,
}

/// The archive writer: a [`RecordSink`] writing Parquet files.
pub struct ArchiveWriter {
    cfg: ArchiveConfig,
    events_schema: SchemaRef,
    signals_schema: SchemaRef,
    events_props: WriterProperties,
    signals_props: WriterProperties,
    events: FxHashMap<FileKey, OpenFile<EventBatch>>,
    signals: FxHashMap<FileKey, OpenFile<SignalBatch>>,
    /// Sanitized stream names (for file names), indexed by stream id.
    streams: Vec<String>,
    /// Raw stream names (the `source_stream` column), indexed by stream id.
    raw_streams: Vec<String>,
    /// Raw stream name → stream id.
    stream_ids: FxHashMap<String, u32>,
    /// Raw stream name → the name its files are named by, where the shell
    /// gave one (file mode: the path and its content's fingerprint).
    file_names: FxHashMap<String, String>,
    /// The last source looked up and its stream id (records mostly come
    /// from one stream; compared without building the raw name).
    last_source: Option<(SourcePos, u32)>,
    /// Makes temp names unique across writers (pid) and files (counter).
    pid: u32,
    seq: u64,
    records_since_age_check: u32,
    stats: ArchiveStats,
    encoder: Encoder,
}

fn props(cfg: &ArchiveConfig, schema: &Schema, no_dict: &[&str]) -> Result<WriterProperties, ArchiveError> {
    let level = ZstdLevel::try_new(cfg.zstd_level).map_err(|_| ArchiveError::Config {
        key: ENV_ZSTD_LEVEL,
        value: cfg.zstd_level.to_string(),
        why: "zstd levels are 1..=22",
    })?;
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(cfg.row_group_rows.max(1)))
        .set_created_by(format!("runaway {}", env!("CARGO_PKG_VERSION")));
    for col in no_dict {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*col), false);
    }
    // Chunk min/max is kept where a reader prunes by it: time and the
    // numeric columns. On strings it prunes nothing (every row group holds
    // many agents, teams and models, and ids are random) yet costs two
    // string comparisons per value, a seventh of the encoder's work.
    b = b.set_statistics_enabled(EnabledStatistics::Chunk);
    for col in schema::string_leaves(schema) {
        b = b.set_column_statistics_enabled(col, EnabledStatistics::None);
    }
    Ok(b.build())
}

/// How often (in records) open files are checked for their age.
const AGE_CHECK_EVERY: u32 = 1024;

impl ArchiveWriter {
    pub fn open(cfg: ArchiveConfig) -> Result<ArchiveWriter, ArchiveError> {
        create_dir_durable(&cfg.dir)?;
        let events_schema = schema::events_schema();
        let signals_schema = schema::signals_schema();
        let events_props = props(&cfg, &events_schema, schema::EVENTS_NO_DICT)?;
        let signals_props = props(&cfg, &signals_schema, schema::SIGNALS_NO_DICT)?;
        Ok(ArchiveWriter {
            events_schema,
            signals_schema,
            events_props,
            signals_props,
            cfg,
            events: FxHashMap::default(),
            signals: FxHashMap::default(),
            streams: Vec::new(),
            raw_streams: Vec::new(),
            stream_ids: FxHashMap::default(),
            file_names: FxHashMap::default(),
            last_source: None,
            pid: std::process::id(),
            seq: 0,
            records_since_age_check: 0,
            stats: ArchiveStats::default(),
            encoder: Encoder::start()?,
        })
    }

    /// Waits for the encoder to finish everything queued (files closed by a
    /// roll become visible, sizes are current) and reports its errors.
    /// `checkpoint` does this too; tests use it to make rolls deterministic.
    pub fn wait_encoded(&self) -> Result<(), ArchiveError> {
        self.encoder.barrier()
    }

    pub fn config(&self) -> &ArchiveConfig {
        &self.cfg
    }

    pub fn stats(&self) -> ArchiveStats {
        self.stats
    }

    /// Names the files of raw stream `stream` (the `source_stream` column
    /// keeps `stream`) by `files_as` instead; `discard` then takes
    /// `files_as`. Call before the stream's first record.
    pub fn name_files_of(&mut self, stream: &str, files_as: &str) {
        self.file_names.insert(stream.to_string(), files_as.to_string());
    }

    /// Stream id and row source of a source position, without allocating
    /// on the common path (same stream as the previous record).
    fn stream_of(&mut self, source: &SourcePos) -> (u32, RowSource) {
        let (row, same) = match (source, &self.last_source) {
            (SourcePos::File { file, line }, Some((SourcePos::File { file: last, .. }, _))) => {
                (RowSource { offset: *line as i64, kafka_partition: None }, file == last)
            }
            (SourcePos::Kafka { topic, partition, offset }, Some((SourcePos::Kafka { topic: t, partition: p, .. }, _))) => {
                (RowSource { offset: *offset, kafka_partition: Some(*partition) }, topic == t && partition == p)
            }
            (SourcePos::File { line, .. }, _) => (RowSource { offset: *line as i64, kafka_partition: None }, false),
            (SourcePos::Kafka { partition, offset, .. }, _) => (RowSource { offset: *offset, kafka_partition: Some(*partition) }, false),
        };
        if same {
            if let Some((_, id)) = &self.last_source {
                return (*id, row);
            }
        }
        let (raw, _) = source.stream();
        let id = match self.stream_ids.get(&raw) {
            Some(id) => *id,
            None => {
                let id = self.streams.len() as u32;
                self.streams.push(naming::sanitize_stream(self.file_names.get(&raw).unwrap_or(&raw)));
                self.raw_streams.push(raw.clone());
                self.stream_ids.insert(raw, id);
                id
            }
        };
        self.last_source = Some((source.clone(), id));
        (id, row)
    }

    fn unique(&mut self) -> String {
        self.seq += 1;
        format!("{}-{}", self.pid, self.seq)
    }

    pub fn write_event(&mut self, p: &PricedEvent, source: &SourcePos) -> Result<(), ArchiveError> {
        self.age_check()?;
        let (stream, row) = self.stream_of(source);
        let key = (naming::hour_index(p.event.ts_ms), stream);
        match self.events.get_mut(&key) {
            // The common path, one lookup: the file is open and not due to roll.
            Some(f) if !f.roll_before(row.offset) => {
                f.add(p, row, &self.encoder, &self.cfg)?;
                self.stats.event_rows += 1;
                return Ok(());
            }
            Some(_) => self.close_one(Table::Events, &key)?,
            None => {}
        }
        self.make_room()?;
        let unique = self.unique();
        let rows = self.encoder.spare_events().unwrap_or_default();
        let f = OpenFile::create(
            &mut self.encoder,
            naming::events_dir(&self.cfg.dir, key.0),
            self.streams[key.1 as usize].clone(),
            self.raw_streams[key.1 as usize].clone(),
            row.offset,
            rows,
            self.events_schema.clone(),
            self.events_props.clone(),
            &unique,
        )?;
        // In the map before the first row, so an error leaves it to be closed or aborted.
        let f = self.events.entry(key).or_insert(f);
        f.add(p, row, &self.encoder, &self.cfg)?;
        self.stats.event_rows += 1;
        Ok(())
    }

    pub fn write_signal(&mut self, s: &Signal, trigger: &SourcePos) -> Result<(), ArchiveError> {
        let (stream, row) = self.stream_of(trigger);
        let key = (naming::day_index(s.event_ts_ms), stream);
        match self.signals.get_mut(&key) {
            Some(f) if !f.roll_before(row.offset) => {
                f.add(s, row, &self.encoder, &self.cfg)?;
                self.stats.signal_rows += 1;
                return Ok(());
            }
            Some(_) => self.close_one(Table::Signals, &key)?,
            None => {}
        }
        self.make_room()?;
        let unique = self.unique();
        let f = OpenFile::create(
            &mut self.encoder,
            naming::signals_dir(&self.cfg.dir, key.0),
            self.streams[key.1 as usize].clone(),
            self.raw_streams[key.1 as usize].clone(),
            row.offset,
            SignalBatch::default(),
            self.signals_schema.clone(),
            self.signals_props.clone(),
            &unique,
        )?;
        let f = self.signals.entry(key).or_insert(f);
        f.add(s, row, &self.encoder, &self.cfg)?;
        self.stats.signal_rows += 1;
        Ok(())
    }

    fn close_one(&mut self, table: Table, key: &FileKey) -> Result<(), ArchiveError> {
        match table {
            Table::Events => {
                if let Some(f) = self.events.remove(key) {
                    f.close(&self.encoder)?;
                    self.stats.files_closed += 1;
                }
            }
            Table::Signals => {
                if let Some(f) = self.signals.remove(key) {
                    f.close(&self.encoder)?;
                    self.stats.files_closed += 1;
                }
            }
        }
        Ok(())
    }

    /// Closes files open longer than the roll age. Called between records
    /// (at the start of an event), never between an event and its signals.
    fn age_check(&mut self) -> Result<(), ArchiveError> {
        self.records_since_age_check += 1;
        if self.records_since_age_check < AGE_CHECK_EVERY {
            return Ok(());
        }
        self.records_since_age_check = 0;
        let age = self.cfg.roll_age;
        let old_events: Vec<FileKey> = self.events.iter().filter(|(_, f)| f.opened.elapsed() >= age).map(|(k, _)| *k).collect();
        for k in old_events {
            self.close_one(Table::Events, &k)?;
        }
        let old_signals: Vec<FileKey> = self.signals.iter().filter(|(_, f)| f.opened.elapsed() >= age).map(|(k, _)| *k).collect();
        for k in old_signals {
            self.close_one(Table::Signals, &k)?;
        }
        Ok(())
    }

    /// Closes the oldest open file when the open-file cap is reached
    /// (events spread over many hours would otherwise hold many buffers).
    fn make_room(&mut self) -> Result<(), ArchiveError> {
        if self.events.len() + self.signals.len() < self.cfg.max_open_files.max(1) {
            return Ok(());
        }
        let oldest_event = self.events.iter().min_by_key(|(_, f)| f.opened).map(|(k, f)| (f.opened, *k));
        let oldest_signal = self.signals.iter().min_by_key(|(_, f)| f.opened).map(|(k, f)| (f.opened, *k));
        match (oldest_event, oldest_signal) {
            (Some((te, ke)), Some((ts, _))) if te <= ts => self.close_one(Table::Events, &ke),
            (_, Some((_, ks))) => self.close_one(Table::Signals, &ks),
            (Some((_, ke)), None) => self.close_one(Table::Events, &ke),
            (None, None) => Ok(()),
        }
    }

    /// Closes every open file durably.
    pub fn close_all(&mut self) -> Result<(), ArchiveError> {
        let keys: Vec<FileKey> = self.events.keys().copied().collect();
        for k in keys {
            self.close_one(Table::Events, &k)?;
        }
        let keys: Vec<FileKey> = self.signals.keys().copied().collect();
        for k in keys {
            self.close_one(Table::Signals, &k)?;
        }
        self.encoder.barrier()
    }

    /// Removes output of `stream` from `offset` on: open files starting
    /// there are aborted, final files whose first offset is ≥ `offset` and
    /// leftover temp files of the stream are deleted.
    pub fn discard(&mut self, stream: &str, offset: i64) -> Result<(), ArchiveError> {
        let san = naming::sanitize_stream(stream);
        self.discard_open(&san, offset)?;
        // Closes and aborts still queued must land before the directory scan.
        self.encoder.barrier()?;
        for table in ["events", "signals"] {
            let root = self.cfg.dir.join(table);
            if root.is_dir() {
                self.discard_in(&root, &san, offset)?;
            }
        }
        Ok(())
    }

    fn discard_open(&mut self, san: &str, offset: i64) -> Result<(), ArchiveError> {
        let ev: Vec<FileKey> = self.events.iter().filter(|(_, f)| f.stream == san).map(|(k, _)| *k).collect();
        for k in ev {
            if let Some(f) = self.events.remove(&k) {
                if f.first >= offset {
                    f.abort(&self.encoder);
                    self.stats.files_discarded += 1;
                } else {
                    if f.last >= offset {
                        tracing::warn!(
                            stream = san,
                            offset,
                            first = f.first,
                            last = f.last,
                            "discard_from inside an open file; it is kept whole (the shell should checkpoint first)"
                        );
                    }
                    f.close(&self.encoder)?;
                    self.stats.files_closed += 1;
                }
            }
        }
        let sg: Vec<FileKey> = self.signals.iter().filter(|(_, f)| f.stream == san).map(|(k, _)| *k).collect();
        for k in sg {
            if let Some(f) = self.signals.remove(&k) {
                if f.first >= offset {
                    f.abort(&self.encoder);
                    self.stats.files_discarded += 1;
                } else {
                    f.close(&self.encoder)?;
                    self.stats.files_closed += 1;
                }
            }
        }
        Ok(())
    }

    fn discard_in(&mut self, dir: &Path, san: &str, offset: i64) -> Result<(), ArchiveError> {
        let entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
        let mut removed_here = false;
        for entry in entries {
            let entry = entry.map_err(io_err(dir))?;
            let path = entry.path();
            let ft = entry.file_type().map_err(io_err(&path))?;
            if ft.is_dir() {
                self.discard_in(&path, san, offset)?;
                continue;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let remove = match naming::parse_name(name) {
                Some(ArchiveFile::Final { stream, first, .. }) => stream == san && first >= offset,
                // Open files of this stream were closed or aborted above, so
                // any temp file of the stream left is a crash's leftover.
                Some(ArchiveFile::Tmp { stream, .. }) => stream == san,
                None => false,
            };
            if remove {
                std::fs::remove_file(&path).map_err(io_err(&path))?;
                self.stats.files_discarded += 1;
                removed_here = true;
            }
        }
        if removed_here {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Table {
    Events,
    Signals,
}

impl RecordSink for ArchiveWriter {
    fn event(&mut self, p: &PricedEvent, source: &SourcePos) -> Result<(), SinkError> {
        Ok(self.write_event(p, source)?)
    }

    fn signal(&mut self, s: &Signal, trigger: &SourcePos) -> Result<(), SinkError> {
        Ok(self.write_signal(s, trigger)?)
    }

    fn checkpoint(&mut self) -> Result<(), SinkError> {
        Ok(self.close_all()?)
    }

    fn discard_from(&mut self, stream: &str, offset: i64) -> Result<(), SinkError> {
        tracing::info!(stream, offset, "archive: discarding output from offset (it will be written again)");
        Ok(self.discard(stream, offset)?)
    }
}

impl Drop for ArchiveWriter {
    /// Files not closed by a checkpoint are incomplete: never publish them
    /// from a drop (an error path may be unwinding), just remove the temps.
    fn drop(&mut self) {
        for (_, f) in self.events.drain() {
            f.abort(&self.encoder);
        }
        for (_, f) in self.signals.drain() {
            f.abort(&self.encoder);
        }
    }
}
