//! Operational metrics and health: the Prometheus recorder, the small
//! recording functions every shell calls, and the HTTP endpoint serving
//! `/metrics`, `/healthz` and `/readyz`.
//!
//! Owns: metric names, labels and types; readiness state. The recording
//! functions are no-ops until [`install`] ran, so library code and tests
//! can call them unconditionally. Hot-path counters are pre-registered
//! handles (one atomic add each), not per-call registry lookups. The
//! standard `process_*` metrics (CPU, memory, file descriptors, threads,
//! start time) are read from the OS at each scrape.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, Counter, Gauge, Histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::detect::{Detector, Outcome};
use crate::engine::PricedEvent;
use crate::signal::Signal;

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot set up the metrics recorder: {0}")]
    Recorder(String),
    #[error("cannot listen for metrics on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
}

pub const EVENTS_TOTAL: &str = "runaway_events_total";
pub const SIGNALS_TOTAL: &str = "runaway_signals_total";
pub const DEAD_LETTERS_TOTAL: &str = "runaway_dead_letters_total";
pub const CONSUMER_LAG: &str = "runaway_consumer_lag";
pub const PROCESSING_SECONDS: &str = "runaway_processing_seconds";
pub const TRACKED_SESSIONS: &str = "runaway_tracked_sessions";
pub const BASELINES: &str = "runaway_baselines";
pub const DEDUPE_IDS: &str = "runaway_dedupe_ids";
pub const ARCHIVE_FILES_TOTAL: &str = "runaway_archive_files_total";
pub const ARCHIVE_ROWS_TOTAL: &str = "runaway_archive_rows_total";
pub const ARCHIVE_BYTES_TOTAL: &str = "runaway_archive_bytes_total";
pub const EVENTS_AFTER_KILL_TOTAL: &str = "runaway_events_after_kill_total";
pub const EVENTS_CLOCK_AHEAD_TOTAL: &str = "runaway_events_clock_ahead_total";
pub const SESSIONS_EVICTED_TOTAL: &str = "runaway_sessions_evicted_total";
pub const SPEND_USD_TOTAL: &str = "runaway_spend_usd_total";
pub const POLICY_RELOADS_TOTAL: &str = "runaway_policy_reloads_total";
pub const POLICY_RELOAD_ERRORS_TOTAL: &str = "runaway_policy_reload_errors_total";
pub const POLICY_INFO: &str = "runaway_policy_info";
pub const READY: &str = "runaway_ready";
pub const BUILD_INFO: &str = "runaway_build_info";
pub const ALIGN_HELD_RECORDS: &str = "runaway_align_held_records";
pub const ALIGN_FORCED_TOTAL: &str = "runaway_align_forced_releases_total";

/// Buckets of the per-record processing time, seconds (1 µs .. 100 ms).
const PROCESSING_BUCKETS: [f64; 11] = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2, 1e-1];

/// What happened to one record, as the `outcome` label of `runaway_events_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    Processed,
    Duplicate,
    AfterKill,
    DeadLetter,
}

impl EventOutcome {
    pub const ALL: [EventOutcome; 4] =
        [EventOutcome::Processed, EventOutcome::Duplicate, EventOutcome::AfterKill, EventOutcome::DeadLetter];

    pub fn as_str(self) -> &'static str {
        match self {
            EventOutcome::Processed => "processed",
            EventOutcome::Duplicate => "duplicate",
            EventOutcome::AfterKill => "after_kill",
            EventOutcome::DeadLetter => "dead_letter",
        }
    }
}

impl From<Outcome> for EventOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Processed => EventOutcome::Processed,
            Outcome::Duplicate => EventOutcome::Duplicate,
            Outcome::AfterKill => EventOutcome::AfterKill,
        }
    }
}

/// Pre-registered handles of the per-record metrics.
struct Handles {
    prometheus: PrometheusHandle,
    process: metrics_process::Collector,
    events: [Counter; 4],
    processing: Histogram,
    spend: Gauge,
    tracked_sessions: Gauge,
    baselines: Gauge,
    dedupe_ids: Gauge,
    after_kill: Counter,
    clock_ahead: Counter,
    evicted_idle: Counter,
    evicted_cap: Counter,
}

static HANDLES: OnceLock<Handles> = OnceLock::new();

/// The text of a `/metrics` scrape: the `process_*` figures read now, then
/// everything recorded.
pub fn render() -> Option<String> {
    let h = HANDLES.get()?;
    h.process.collect();
    Some(h.prometheus.render())
}

/// Installs the global Prometheus recorder (once per process; later calls
/// return the same handle) and registers every metric so a scrape shows
/// them at zero before the first event.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    if let Some(h) = HANDLES.get() {
        return Ok(h.prometheus.clone());
    }
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(PROCESSING_SECONDS.to_string()), &PROCESSING_BUCKETS)
        .map_err(|e| MetricsError::Recorder(e.to_string()))?
        .install_recorder()
        .map_err(|e| MetricsError::Recorder(e.to_string()))?;
    describe();
    let process = metrics_process::Collector::default();
    process.describe();
    process.collect();
    let handles = Handles {
        prometheus: prometheus.clone(),
        process,
        events: EventOutcome::ALL.map(|o| counter!(EVENTS_TOTAL, "outcome" => o.as_str())),
        processing: metrics::histogram!(PROCESSING_SECONDS),
        spend: gauge!(SPEND_USD_TOTAL),
        tracked_sessions: gauge!(TRACKED_SESSIONS),
        baselines: gauge!(BASELINES),
        dedupe_ids: gauge!(DEDUPE_IDS),
        after_kill: counter!(EVENTS_AFTER_KILL_TOTAL),
        clock_ahead: counter!(EVENTS_CLOCK_AHEAD_TOTAL),
        evicted_idle: counter!(SESSIONS_EVICTED_TOTAL, "cause" => "idle"),
        evicted_cap: counter!(SESSIONS_EVICTED_TOTAL, "cause" => "cap"),
    };
    // Touch the counters so they render at 0 (the exporter hides metrics never touched).
    for c in &handles.events {
        c.increment(0);
    }
    handles.after_kill.increment(0);
    handles.clock_ahead.increment(0);
    handles.evicted_idle.increment(0);
    handles.evicted_cap.increment(0);
    handles.spend.increment(0.0);
    counter!(POLICY_RELOADS_TOTAL).increment(0);
    counter!(POLICY_RELOAD_ERRORS_TOTAL).increment(0);
    counter!(ARCHIVE_FILES_TOTAL).increment(0);
    counter!(ARCHIVE_ROWS_TOTAL).increment(0);
    counter!(ARCHIVE_BYTES_TOTAL).increment(0);
    counter!(ALIGN_FORCED_TOTAL).increment(0);
    gauge!(ALIGN_HELD_RECORDS).set(0.0);
    gauge!(READY).set(0.0);
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    // Histogram samples queue up until drained; drain them every second so
    // memory stays flat between scrapes (and without any scraper at all).
    let upkeep = prometheus.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            upkeep.run_upkeep();
        })
        .map_err(|e| MetricsError::Recorder(e.to_string()))?;
    // A concurrent install lost the race: both recorders cannot be global,
    // and `install_recorder` already failed for the loser above.
    let _ = HANDLES.set(handles);
    Ok(prometheus)
}

fn describe() {
    describe_counter!(EVENTS_TOTAL, "Records read, by outcome: processed, duplicate, after_kill, dead_letter.");
    describe_counter!(SIGNALS_TOTAL, "Signals emitted, by action and reason.");
    describe_counter!(DEAD_LETTERS_TOTAL, "Records sent to the dead-letter output, by reason.");
    describe_gauge!(CONSUMER_LAG, "Kafka consumer lag in messages, by partition.");
    describe_histogram!(PROCESSING_SECONDS, Unit::Seconds, "Time to decode, price and check one record (one record in 16 is timed).");
    describe_gauge!(TRACKED_SESSIONS, "Sessions held in detector state.");
    describe_gauge!(BASELINES, "Cost, length and fan-out baselines held in detector state.");
    describe_gauge!(DEDUPE_IDS, "Event ids remembered for redelivery dedupe.");
    describe_counter!(ARCHIVE_FILES_TOTAL, "Parquet files committed to the archive.");
    describe_counter!(ARCHIVE_ROWS_TOTAL, "Rows committed to the archive.");
    describe_counter!(ARCHIVE_BYTES_TOTAL, Unit::Bytes, "Bytes committed to the archive.");
    describe_counter!(EVENTS_AFTER_KILL_TOTAL, "Events of sessions already killed (enforcement lag).");
    describe_counter!(
        EVENTS_CLOCK_AHEAD_TOTAL,
        "Events far ahead of their stream's event time (clock_jump_minutes), counted at the stream's time."
    );
    describe_counter!(SESSIONS_EVICTED_TOTAL, "Sessions evicted from state, by cause: idle (event-time TTL) or cap (max_sessions).");
    describe_gauge!(SPEND_USD_TOTAL, "Spend counted, USD (monotonic; a gauge because it is fractional).");
    describe_counter!(POLICY_RELOADS_TOTAL, "New policy versions accepted by the reloader.");
    describe_counter!(POLICY_RELOAD_ERRORS_TOTAL, "Policy reloads rejected (the old policy stayed).");
    describe_gauge!(POLICY_INFO, "1 for the policy version in force, labelled by version.");
    describe_gauge!(READY, "1 when /readyz answers 200.");
    describe_gauge!(BUILD_INFO, "1, labelled with the runaway version.");
    describe_gauge!(ALIGN_HELD_RECORDS, "Kafka mode: records held back until the partitions behind them in event time catch up.");
    describe_counter!(
        ALIGN_FORCED_TOTAL,
        "Kafka mode: held records released before a partition behind them caught up (runaway.align.max.hold.ms or .max.records reached)."
    );
}

/// Counts one record by outcome.
pub fn record_event(outcome: EventOutcome) {
    if let Some(h) = HANDLES.get() {
        h.events[outcome as usize].increment(1);
    }
}

/// Counts whatever one record became: a priced event (outcome and spend) or
/// a dead letter (outcome and reason). The one call a shell needs per record.
pub fn record_processed(p: &crate::engine::Processed) {
    match p {
        crate::engine::Processed::Event(e) => record_priced(e),
        crate::engine::Processed::Dead(d) => record_dead_letter(d.reason),
    }
}

/// Counts one priced event: its outcome and, unless a duplicate, its spend.
pub fn record_priced(p: &PricedEvent) {
    if let Some(h) = HANDLES.get() {
        h.events[EventOutcome::from(p.outcome) as usize].increment(1);
        if p.outcome != Outcome::Duplicate {
            h.spend.increment(p.cost_usd);
        }
    }
}

/// Counts one dead letter by its stable reason code.
pub fn record_dead_letter(reason: &'static str) {
    if let Some(h) = HANDLES.get() {
        h.events[EventOutcome::DeadLetter as usize].increment(1);
        counter!(DEAD_LETTERS_TOTAL, "reason" => reason).increment(1);
    }
}

/// Counts one emitted signal by action and reason.
pub fn record_signal(s: &Signal) {
    if HANDLES.get().is_some() {
        counter!(SIGNALS_TOTAL, "action" => s.action.as_str(), "reason" => s.reason.as_str()).increment(1);
    }
}

/// Records the processing time of one record.
pub fn record_processing(elapsed: Duration) {
    if let Some(h) = HANDLES.get() {
        h.processing.record(elapsed.as_secs_f64());
    }
}

/// Times one record's processing: `let t = metrics::timer(); …; t.done();`.
pub struct Timer(Option<quanta::Instant>);

/// One record in this many is timed. Two clock reads per record took a
/// tenth of Kafka mode's polling thread (a clock read costs as much as a
/// sixth of the work it times on a VM without a usable TSC); a sample keeps
/// the histogram's shape and its mean.
pub const PROCESSING_SAMPLE: u32 = 16;

thread_local! {
    static RECORDS_SEEN: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

pub fn timer() -> Timer {
    if HANDLES.get().is_none() {
        return Timer(None);
    }
    // The first record of each run of 16 (so a short run is timed too).
    let n = RECORDS_SEEN.with(|c| {
        let n = c.get();
        c.set(n.wrapping_add(1));
        n
    });
    Timer((n % PROCESSING_SAMPLE == 0).then(quanta::Instant::now))
}

impl Timer {
    pub fn done(self) {
        self.done_plus(Duration::ZERO);
    }

    /// Records the time since the timer started plus `earlier`: work done
    /// for the same record elsewhere (Kafka mode decodes on its own thread).
    pub fn done_plus(self, earlier: Duration) {
        if let Some(start) = self.0 {
            record_processing(start.elapsed() + earlier);
        }
    }
}

/// Copies the detector's state sizes and eviction counters into metrics.
/// Cheap (no iteration over state); shells call it every few thousand
/// records and at the end of a run.
pub fn sync_detector(d: &Detector) {
    if let Some(h) = HANDLES.get() {
        let sizes = d.sizes();
        let stats = d.stats();
        h.tracked_sessions.set(sizes.sessions as f64);
        h.baselines.set(sizes.baselines as f64);
        h.dedupe_ids.set(sizes.dedupe_ids as f64);
        h.after_kill.absolute(stats.events_after_kill);
        h.clock_ahead.absolute(stats.events_clock_ahead);
        h.evicted_idle.absolute(stats.sessions_evicted_idle);
        h.evicted_cap.absolute(stats.sessions_evicted_cap);
    }
}

/// Records one archive file committed with `rows` rows and `bytes` bytes
/// (called by the archive after its rename).
pub fn record_archive_file(rows: u64, bytes: u64) {
    if HANDLES.get().is_some() {
        counter!(ARCHIVE_FILES_TOTAL).increment(1);
        counter!(ARCHIVE_ROWS_TOTAL).increment(rows);
        counter!(ARCHIVE_BYTES_TOTAL).increment(bytes);
    }
}

/// Counts a new policy accepted by the reloader.
pub fn record_policy_reload() {
    if HANDLES.get().is_some() {
        counter!(POLICY_RELOADS_TOTAL).increment(1);
    }
}

/// Counts a policy reload rejected (the old policy stays in force).
pub fn record_policy_reload_error() {
    if HANDLES.get().is_some() {
        counter!(POLICY_RELOAD_ERRORS_TOTAL).increment(1);
    }
}

static POLICY_VERSION: Mutex<Option<String>> = Mutex::new(None);

/// Marks `version` as the policy in force (`runaway_policy_info{version}` 1, the previous one 0).
pub fn set_policy_version(version: &str) {
    if HANDLES.get().is_none() {
        return;
    }
    let mut current = POLICY_VERSION.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(old) = current.as_deref() {
        if old != version {
            gauge!(POLICY_INFO, "version" => old.to_string()).set(0.0);
        }
    }
    gauge!(POLICY_INFO, "version" => version.to_string()).set(1.0);
    *current = Some(version.to_string());
}

// ---- readiness ----------------------------------------------------------

/// What `/readyz` decides on. File mode calls [`set_ready`]`(true)` once
/// started; Kafka mode reports its assignment and per-partition lag and is
/// ready once assigned and every assigned partition lags by at most
/// `max_lag` messages.
#[derive(Debug, Default)]
struct Readiness {
    forced: Option<bool>,
    assignment: Option<Vec<i32>>,
    lags: BTreeMap<i32, i64>,
    max_lag: i64,
}

impl Readiness {
    fn ready(&self) -> bool {
        if let Some(f) = self.forced {
            return f;
        }
        match &self.assignment {
            Some(parts) if !parts.is_empty() => parts.iter().all(|p| self.lags.get(p).is_some_and(|lag| *lag <= self.max_lag)),
            _ => false,
        }
    }
}

static READINESS: Mutex<Readiness> = Mutex::new(Readiness { forced: None, assignment: None, lags: BTreeMap::new(), max_lag: 0 });

fn with_readiness<T>(f: impl FnOnce(&mut Readiness) -> T) -> T {
    let mut r = READINESS.lock().unwrap_or_else(|p| p.into_inner());
    let out = f(&mut r);
    if HANDLES.get().is_some() {
        gauge!(READY).set(if r.ready() { 1.0 } else { 0.0 });
    }
    out
}

/// Sets readiness outright (file mode: ready once started; any mode: not
/// ready while shutting down).
pub fn set_ready(ready: bool) {
    with_readiness(|r| r.forced = Some(ready));
}

/// Kafka mode: the lag (messages) at which a partition counts as caught up.
pub fn set_ready_max_lag(max_lag: u64) {
    with_readiness(|r| r.max_lag = i64::try_from(max_lag).unwrap_or(i64::MAX));
}

/// Kafka mode: the partitions currently assigned to this instance. Lags of
/// partitions no longer assigned are forgotten (their gauge zeroed: this
/// instance no longer reads them). A partition newly assigned reads NaN,
/// unknown, until librdkafka's next statistics: a backlog that built up
/// during a rebalance must not show as 0 meanwhile.
pub fn set_assignment(partitions: &[i32]) {
    with_readiness(|r| {
        let keep: Vec<i32> = partitions.to_vec();
        let gone: Vec<i32> = r.lags.keys().copied().filter(|p| !keep.contains(p)).collect();
        for p in gone {
            r.lags.remove(&p);
            if HANDLES.get().is_some() {
                gauge!(CONSUMER_LAG, "partition" => p.to_string()).set(0.0);
            }
        }
        let before = r.assignment.take().unwrap_or_default();
        if HANDLES.get().is_some() {
            for p in keep.iter().filter(|p| !before.contains(p) && !r.lags.contains_key(p)) {
                gauge!(CONSUMER_LAG, "partition" => p.to_string()).set(f64::NAN);
            }
        }
        r.assignment = Some(keep);
    });
}

/// Kafka mode: records held for event-time alignment now.
pub fn set_align_held(held: usize) {
    if HANDLES.get().is_some() {
        gauge!(ALIGN_HELD_RECORDS).set(held as f64);
    }
}

/// Kafka mode: one held record released before its turn.
pub fn record_align_forced() {
    if HANDLES.get().is_some() {
        counter!(ALIGN_FORCED_TOTAL).increment(1);
    }
}

/// Kafka mode: the consumer lag of one partition (high watermark minus
/// next offset to read).
pub fn set_consumer_lag(partition: i32, lag: i64) {
    if HANDLES.get().is_some() {
        gauge!(CONSUMER_LAG, "partition" => partition.to_string()).set(lag as f64);
    }
    with_readiness(|r| {
        r.lags.insert(partition, lag);
    });
}

/// Kafka mode: the lag of an assigned partition is not known now (it is not
/// being fetched, so its high watermark is stale): NaN, and not ready.
pub fn forget_consumer_lag(partition: i32) {
    if HANDLES.get().is_some() {
        gauge!(CONSUMER_LAG, "partition" => partition.to_string()).set(f64::NAN);
    }
    with_readiness(|r| {
        r.lags.remove(&partition);
    });
}

/// Whether `/readyz` answers 200 now.
pub fn is_ready() -> bool {
    READINESS.lock().unwrap_or_else(|p| p.into_inner()).ready()
}

// ---- HTTP endpoint ------------------------------------------------------

/// The metrics/health endpoint, served from a background thread.
pub struct MetricsServer {
    addr: SocketAddr,
}

impl MetricsServer {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Binds `addr` and serves `/metrics`, `/healthz`, `/readyz` until the
/// process exits. Installs the recorder if not done yet.
pub fn serve(addr: &str) -> Result<MetricsServer, MetricsError> {
    let handle = install()?;
    let listener = TcpListener::bind(addr).map_err(|source| MetricsError::Bind { addr: addr.to_string(), source })?;
    let local = listener.local_addr().map_err(|source| MetricsError::Bind { addr: addr.to_string(), source })?;
    std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || {
            for conn in listener.incoming() {
                match conn {
                    Ok(stream) => {
                        if let Err(e) = answer(stream, &handle) {
                            tracing::debug!(error = %e, "metrics request failed");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "metrics accept failed"),
                }
            }
        })
        .map_err(|source| MetricsError::Bind { addr: addr.to_string(), source })?;
    tracing::info!(addr = %local, "serving /metrics, /healthz, /readyz");
    Ok(MetricsServer { addr: local })
}

/// Answers one HTTP/1.x request and closes the connection. Scrapes are
/// rare and small; one at a time is plenty and keeps this dependency-free.
fn answer(stream: TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; no request body is expected.
    let mut header = String::new();
    loop {
        header.clear();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", render().unwrap_or_else(|| handle.render())),
        ("GET" | "HEAD", "/healthz") => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_string()),
        ("GET" | "HEAD", "/readyz") => {
            if is_ready() {
                ("200 OK", "text/plain; charset=utf-8", "ready\n".to_string())
            } else {
                ("503 Service Unavailable", "text/plain; charset=utf-8", "not ready\n".to_string())
            }
        }
        ("GET" | "HEAD", _) => ("404 Not Found", "text/plain; charset=utf-8", "try /metrics, /healthz or /readyz\n".to_string()),
        _ => ("405 Method Not Allowed", "text/plain; charset=utf-8", "GET only\n".to_string()),
    };
    let mut out = stream;
    write!(out, "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
    if method != "HEAD" {
        out.write_all(body.as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag_gauge(partition: i32) -> Option<f64> {
        let text = install().expect("recorder").render();
        let key = format!("{CONSUMER_LAG}{{partition=\"{partition}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&key)).map(|v| v.trim().parse().expect("a number"))
    }

    #[test]
    fn a_partition_assigned_again_reads_unknown_lag_until_its_next_reading() {
        install().expect("recorder");
        // Partitions far from any other test's.
        set_assignment(&[900, 901]);
        assert!(lag_gauge(900).is_some_and(f64::is_nan), "unknown before the first statistics");
        set_consumer_lag(900, 7);
        set_consumer_lag(901, 0);
        assert_eq!((lag_gauge(900), lag_gauge(901)), (Some(7.0), Some(0.0)));
        // An eager rebalance: everything revoked, then assigned again while
        // a backlog builds up that no statistics have seen yet.
        set_assignment(&[]);
        assert_eq!(lag_gauge(900), Some(0.0), "no longer read here");
        set_assignment(&[900, 901]);
        assert!(lag_gauge(900).is_some_and(f64::is_nan) && lag_gauge(901).is_some_and(f64::is_nan));
        set_consumer_lag(901, 5000);
        assert_eq!(lag_gauge(901), Some(5000.0));
        // Kept across an incremental assignment; unknown again when not fetched.
        set_assignment(&[900, 901, 902]);
        assert_eq!(lag_gauge(901), Some(5000.0));
        forget_consumer_lag(901);
        assert!(lag_gauge(901).is_some_and(f64::is_nan));
        set_assignment(&[]);
    }

    #[test]
    fn kafka_readiness_needs_assignment_and_lag_within_bound() {
        let mut r = Readiness { max_lag: 10, ..Readiness::default() };
        assert!(!r.ready(), "nothing assigned yet");
        r.assignment = Some(vec![0, 1]);
        assert!(!r.ready(), "lag unknown");
        r.lags.insert(0, 3);
        r.lags.insert(1, 11);
        assert!(!r.ready(), "partition 1 behind");
        r.lags.insert(1, 10);
        assert!(r.ready());
        r.forced = Some(false);
        assert!(!r.ready(), "forced off while shutting down");
    }
}
