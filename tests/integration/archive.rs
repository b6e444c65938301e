//! The Parquet archive end to end: `runaway watch --input … --archive DIR`
//! read back with arrow-rs and with outside readers (pyarrow, DuckDB), a
//! rerun replacing instead of duplicating, and a SIGKILL mid-archive
//! followed by a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray, Float64Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runaway::engine::Processed;
use runaway::{Catalog, Engine, Outcome, Policy, SourcePos};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_runaway")
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// `runaway watch` in file mode on `input`, its signals and archive in `out`.
fn watch_command(input: impl AsRef<std::ffi::OsStr>, out: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("watch")
        .arg("--input")
        .arg(input)
        .arg("--signals")
        .arg(out.join("signals.ndjson"))
        .arg("--archive")
        .arg(out.join("archive"))
        .env("RUNAWAY_LOG_LEVEL", "warn");
    cmd
}

/// Runs `runaway watch` in file mode with an archive; panics with stderr on failure.
pub fn watch(input: &Path, out: &Path, envs: &[(&str, &str)]) {
    let mut cmd = watch_command(input, out);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run runaway");
    assert!(o.status.success(), "watch failed: {}", String::from_utf8_lossy(&o.stderr));
}

/// Runs a Python snippet; fails (never skips) when pyarrow/duckdb are absent.
pub fn python(script: &str) -> String {
    python_in(Path::new("."), script)
}

/// Runs a Python snippet in `dir`.
pub fn python_in(dir: &Path, script: &str) -> String {
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("python3 is needed for the outside-reader tests: install Python 3 and run scripts/setup-test-deps.sh");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "python snippet failed (missing pyarrow/duckdb? run scripts/setup-test-deps.sh):\n{err}\n--- script ---\n{script}"
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The events table's rows and distinct event ids, as DuckDB reads them.
pub fn event_rows(archive: &Path) -> (usize, usize) {
    let out = python_in(
        archive,
        "import duckdb; print(*duckdb.sql(\"select count(*), count(distinct event_id) from read_parquet('events/**/*.parquet', hive_partitioning=1)\").fetchall()[0])",
    );
    let f: Vec<usize> = out.split_whitespace().map(|x| x.parse().expect("a count")).collect();
    assert_eq!(f.len(), 2, "duckdb printed: {out}");
    (f[0], f[1])
}

/// Every `*.parquet` file under `dir` (what a reader glob sees).
pub(crate) fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            parquet_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
}

/// Every file whose name starts with `.tmp-` under `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if e.file_name().to_string_lossy().starts_with(".tmp-") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// (event_id, cost_usd, outcome) of every archived event, read with arrow-rs.
fn read_events_arrow(archive: &Path) -> Vec<(String, f64, String)> {
    let mut files = Vec::new();
    parquet_files(&archive.join("events"), &mut files);
    let mut rows = Vec::new();
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).unwrap()).unwrap().build().unwrap();
        for batch in reader {
            let b = batch.unwrap();
            let ids = b.column_by_name("event_id").unwrap().as_string::<i32>().clone();
            let cost = b.column_by_name("cost_usd").unwrap().as_any().downcast_ref::<Float64Array>().unwrap().clone();
            let outcome = arrow::compute::cast(b.column_by_name("outcome").unwrap(), &arrow::datatypes::DataType::Utf8).unwrap();
            let outcome = outcome.as_string::<i32>();
            for i in 0..b.num_rows() {
                rows.push((ids.value(i).to_string(), cost.value(i), outcome.value(i).to_string()));
            }
        }
    }
    rows
}

/// What the engine itself says the archive must hold: event id → (cost, outcome).
fn expected_events(input: &Path) -> BTreeMap<String, (f64, String)> {
    let mut engine = Engine::new(Catalog::embedded(), std::sync::Arc::new(Policy::default()));
    let mut sigs = Vec::new();
    let mut out = BTreeMap::new();
    for (i, line) in std::fs::read_to_string(input).unwrap().lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let pos = SourcePos::File { file: "x".into(), line: i as u64 + 1 };
        if let Processed::Event(p) = engine.process_record(line.as_bytes(), pos, 0, &mut sigs) {
            let outcome = match p.outcome {
                Outcome::Duplicate => continue,
                Outcome::AfterKill => "after_kill",
                Outcome::Processed => "processed",
            };
            out.insert(p.event.event_id.to_string(), (p.cost_usd, outcome.to_string()));
        }
        sigs.clear();
    }
    out
}

/// What a round trip must show.
struct Expected {
    /// `dt=…/hour=…` partitions of `events/`.
    event_partitions: &'static [&'static str],
    /// `dt=…` partitions of `signals/`.
    signal_partitions: &'static [&'static str],
    after_kill_rows: usize,
}

fn partitions(root: &Path, depth: usize) -> BTreeSet<String> {
    let mut files = Vec::new();
    parquet_files(root, &mut files);
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root).unwrap();
            let parts: Vec<_> = rel.components().take(depth).map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            parts.join("/")
        })
        .collect()
}

fn check(input: &Path, expected: Expected) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive");
    let want = expected_events(input);
    let want_cost: f64 = want.values().map(|(c, _)| c).sum();

    for run in 0..2 {
        // The second run replaces the first run's files instead of adding rows.
        watch(input, tmp.path(), &[]);
        let rows = read_events_arrow(&archive);
        assert_eq!(rows.len(), want.len(), "run {run}: one row per unique event");
        for (id, cost, outcome) in &rows {
            let (c, o) = want.get(id).unwrap_or_else(|| panic!("unexpected event {id}"));
            assert!((cost - c).abs() < 1e-12, "{id}: cost {cost} != {c}");
            assert_eq!(outcome, o, "{id}");
        }
        assert_eq!(rows.iter().filter(|r| r.2 == "after_kill").count(), expected.after_kill_rows);
        let ev: Vec<String> = partitions(&archive.join("events"), 2).into_iter().collect();
        assert_eq!(ev, expected.event_partitions, "event partitions");
        let sg: Vec<String> = partitions(&archive.join("signals"), 1).into_iter().collect();
        assert_eq!(sg, expected.signal_partitions, "signal partitions");
        assert!(temp_files(&archive).is_empty(), "temp files left: {:?}", temp_files(&archive));
    }

    // Outside readers: DuckDB with Hive partitioning, and pyarrow's dataset API.
    let a = archive.display();
    let out = python(&format!(
        r#"
import duckdb, pyarrow.dataset as ds, pyarrow.parquet as pq
con = duckdb.connect()
n, ids, cost, parts = con.sql("""
  select count(*), count(distinct event_id), sum(cost_usd), count(distinct (dt, hour))
  from read_parquet('{a}/events/**/*.parquet', hive_partitioning=1)""").fetchall()[0]
sig = con.sql("select count(*), count(distinct signal_id) from read_parquet('{a}/signals/**/*.parquet', hive_partitioning=1)").fetchall()[0]
t = ds.dataset('{a}/events', format='parquet', partitioning='hive').to_table()
# Time pruning relies on ts min/max in every row group.
ts_stats = all(
    f.metadata.row_group(g).column(f.schema_arrow.get_field_index('ts')).statistics.has_min_max
    for f in map(pq.ParquetFile, ds.dataset('{a}/events', format='parquet').files)
    for g in range(f.metadata.num_row_groups))
print(n, ids, repr(cost), parts, sig[0], sig[1], t.num_rows, repr(sum(t.column('cost_usd').to_pylist())), ts_stats, t.schema.field('ts').type)
"#
    ));
    let f: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(f[0].parse::<usize>().unwrap(), want.len(), "duckdb rows: {out}");
    assert_eq!(f[1].parse::<usize>().unwrap(), want.len(), "duckdb distinct event ids: {out}");
    assert!((f[2].parse::<f64>().unwrap() - want_cost).abs() < 1e-9, "duckdb cost: {out}");
    assert_eq!(f[3].parse::<usize>().unwrap(), expected.event_partitions.len(), "duckdb partitions: {out}");
    let signals = std::fs::read_to_string(tmp.path().join("signals.ndjson")).unwrap().lines().count();
    assert_eq!(f[4].parse::<usize>().unwrap(), signals, "one signal row per emitted signal: {out}");
    assert_eq!(f[5], f[4], "signal ids unique: {out}");
    assert_eq!(f[6].parse::<usize>().unwrap(), want.len(), "pyarrow rows: {out}");
    assert!((f[7].parse::<f64>().unwrap() - want_cost).abs() < 1e-9, "pyarrow cost: {out}");
    assert_eq!(f[8], "True", "ts statistics in every row group: {out}");
    assert_eq!(f[9..].join(" "), "timestamp[ms, tz=UTC]", "ts type: {out}");
}

#[test]
fn round_trip_through_arrow_pyarrow_and_duckdb() {
    check(
        &data("archive_events.ndjson"),
        Expected {
            event_partitions: &[
                "dt=2026-11-23/hour=09",
                "dt=2026-11-23/hour=10",
                "dt=2026-11-23/hour=11",
                "dt=2026-11-24/hour=09",
                "dt=2026-11-24/hour=10",
                "dt=2026-11-24/hour=11",
            ],
            signal_partitions: &["dt=2026-11-23", "dt=2026-11-24"],
            after_kill_rows: 3,
        },
    );
}

/// Writes `n` events (every 997th line a redelivery of the line before)
/// spread over 30 hours; returns the number of unique events.
pub fn generate(path: &Path, n: usize) -> usize {
    let mut w = std::io::BufWriter::new(File::create(path).unwrap());
    let start_ms: i64 = 1_795_000_000_000;
    let mut unique = 0;
    let mut last = String::new();
    for i in 0..n {
        if i % 997 == 996 {
            writeln!(w, "{last}").unwrap();
            continue;
        }
        let ts = start_ms + (i as i64 * 30 * 3_600_000) / n as i64;
        last = format!(
            r#"{{"event_id":"ev-{i}","ts":{ts},"session_id":"s-{s}","agent_id":"agent-{a}","task_type":"t{t}","team":"team-{a}","tenant":"ten-{t}","kind":"llm","model":"gpt-4o-mini","provider":"openai","input_tokens":{it},"output_tokens":{ot},"labels":{{"k":"v{a}"}}}}"#,
            s = i / 20,
            a = i % 7,
            t = i % 3,
            it = 100 + i % 1000,
            ot = 10 + i % 100
        );
        writeln!(w, "{last}").unwrap();
        unique += 1;
    }
    unique
}

#[test]
fn sigkill_mid_archive_then_restart_gives_each_event_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("big.ndjson");
    let unique = generate(&input, 200_000);
    let archive = tmp.path().join("archive");
    let small_files = [("RUNAWAY_ARCHIVE_ROLL_MB", "0.05")];

    let mut child = Command::new(bin())
        .arg("watch")
        .arg("--input")
        .arg(&input)
        .arg("--signals")
        .arg(tmp.path().join("signals.ndjson"))
        .arg("--archive")
        .arg(&archive)
        .env("RUNAWAY_LOG_LEVEL", "warn")
        .env(small_files[0].0, small_files[0].1)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once several files have been published, while more are in flight.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut files = Vec::new();
        parquet_files(&archive.join("events"), &mut files);
        if files.len() >= 5 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "run finished before it could be killed; make the input bigger");
        assert!(Instant::now() < deadline, "no archive files appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // What the crash left visible is complete: every *.parquet file reads.
    let a = archive.display();
    let after_crash = python(&format!(
        "import duckdb; print(duckdb.sql(\"select count(*) from read_parquet('{a}/events/**/*.parquet', hive_partitioning=1)\").fetchall()[0][0])"
    ));
    let partial: usize = after_crash.trim().parse().unwrap();
    assert!(partial > 0 && partial < unique, "crash left {partial} of {unique} rows");

    // Restart: the rerun replaces the crashed run's files.
    watch(&input, tmp.path(), &small_files);
    assert!(temp_files(&archive).is_empty(), "temp files left after restart: {:?}", temp_files(&archive));
    assert_eq!(event_rows(&archive), (unique, unique), "rows and distinct ids after restart");
    let mut files = Vec::new();
    parquet_files(&archive.join("events"), &mut files);
    assert!(files.len() > 10, "small roll size should give many files, got {}", files.len());
}

#[test]
fn docs_snippets_run_against_an_archive() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    // A copy under another name is another stream: its run archives every
    // event and signal again, and the snippets count each once all the same.
    let copy = tmp.path().join("copy.ndjson");
    std::fs::copy(data("archive_events.ndjson"), &copy).unwrap();
    watch(&copy, tmp.path(), &[]);
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/archive.md")).unwrap();
    let snippets: Vec<&str> = doc.split("```python\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    assert_eq!(snippets.len(), 2, "docs/archive.md should hold the DuckDB and pyarrow snippets");
    let duck = python_in(tmp.path(), snippets[0]);
    assert!(duck.contains("ops") && duck.contains("40.0123") && duck.contains("loop_repeat"), "{duck}");
    assert!(duck.contains("│ int32 │") && duck.contains("40.0006"), "hourly spend with hour typed as a number: {duck}");
    let pa = python_in(tmp.path(), snippets[1]);
    assert!(pa.starts_with("3 10.02"), "three after-kill rows worth $10.02: {pa}");
}

/// Kafka-style replay through the sink API: records after the last
/// checkpoint are consumed again after `discard_from`, and every offset
/// still lands in exactly one row.
#[test]
fn discard_from_then_replay_keeps_each_offset_once() {
    use runaway::archive::{ArchiveConfig, ArchiveWriter};
    use runaway::sink::RecordSink;
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = ArchiveConfig::new(tmp.path());
    cfg.roll_bytes = 1; // a file per batch: several files between checkpoints
    cfg.batch_rows = 16;
    let lines: Vec<String> = (0..400)
        .map(|i| {
            format!(
                r#"{{"event_id":"k-{i}","ts":{},"session_id":"s{}","agent_id":"a","kind":"tool","cost_usd":0.5}}"#,
                1_795_000_000_000_i64 + i * 60_000,
                i % 9
            )
        })
        .collect();
    let feed = |w: &mut ArchiveWriter, range: std::ops::Range<usize>, engine: &mut Engine| {
        let mut sigs = Vec::new();
        for i in range {
            let pos = SourcePos::Kafka { topic: "agent.events".into(), partition: 3, offset: i as i64 };
            if let Processed::Event(p) = engine.process_record(lines[i].as_bytes(), pos.clone(), 0, &mut sigs) {
                w.event(&p, &pos).unwrap();
            }
            sigs.clear();
            w.wait_encoded().unwrap(); // sizes current: rolls happen at the same rows every run
        }
    };
    {
        let mut engine = Engine::new(Catalog::embedded(), std::sync::Arc::new(Policy::default()));
        let mut w = ArchiveWriter::open(cfg.clone()).unwrap();
        feed(&mut w, 0..250, &mut engine);
        w.checkpoint().unwrap(); // offsets < 250 acknowledged
        feed(&mut w, 250..330, &mut engine); // some of these get rolled into final files
                                             // crash: the writer is dropped without a checkpoint
    }
    let mut files = Vec::new();
    parquet_files(tmp.path(), &mut files);
    let after_checkpoint = files
        .iter()
        .filter_map(|f| runaway::archive::naming::parse_name(&f.file_name().unwrap().to_string_lossy()))
        .filter(|a| matches!(a, runaway::archive::naming::ArchiveFile::Final { first, .. } if *first >= 250))
        .count();
    assert!(after_checkpoint > 0, "the test needs files rolled after the checkpoint");
    let mut engine = Engine::new(Catalog::embedded(), std::sync::Arc::new(Policy::default()));
    let mut w = ArchiveWriter::open(cfg).unwrap();
    w.discard_from("agent.events-3", 250).unwrap();
    feed(&mut w, 250..400, &mut engine);
    w.finish().unwrap();
    let rows = read_events_arrow(tmp.path());
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!((rows.len(), ids.len()), (400, 400));
    assert!(temp_files(tmp.path()).is_empty());
}

/// Standard input cannot be replayed: two runs piped into one archive keep
/// both runs' rows (each run is a stream of its own), while a rerun of the
/// same input file replaces its rows.
#[test]
fn two_stdin_runs_into_one_archive_keep_both() {
    let tmp = tempfile::tempdir().unwrap();
    let input = data("archive_events.ndjson");
    let text = std::fs::read_to_string(&input).unwrap();
    let run_stdin = |lines: &str| {
        let mut child = Command::new(bin())
            .args(["watch", "--input", "-", "--signals"])
            .arg(tmp.path().join("signals.ndjson"))
            .arg("--archive")
            .arg(tmp.path().join("archive"))
            .env("RUNAWAY_LOG_LEVEL", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let first: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let rest: String = text.lines().skip(5).map(|l| format!("{l}\n")).collect();
    run_stdin(&first);
    std::thread::sleep(Duration::from_millis(5)); // runs are named by their start (ms)
    run_stdin(&rest);
    let ids: BTreeSet<String> = read_events_arrow(&tmp.path().join("archive")).into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, expected_events(&input).into_keys().collect(), "both runs' rows are kept");
}

/// A daily export overwritten under one path is a new stream each time it
/// holds other events: its run keeps the earlier runs' rows (before, every
/// run of a path dropped what the last run of that path had archived, so
/// the earlier day was lost). A rerun of the file as it was, or grown at
/// its end, still replaces its own rows.
#[test]
fn an_input_overwritten_with_other_events_keeps_the_earlier_runs_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let source = data("archive_events.ndjson");
    let text = std::fs::read_to_string(&source).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let part = |range: std::ops::Range<usize>| lines[range].iter().map(|l| format!("{l}\n")).collect::<String>();
    let input = tmp.path().join("export.ndjson");
    let out = tmp.path().join("out");
    let archive = out.join("archive");
    let half = lines.len() / 2;

    std::fs::write(&input, part(0..half)).unwrap();
    watch(&input, &out, &[]);
    let (first_rows, _) = event_rows(&archive);
    std::fs::write(&input, part(half..lines.len())).unwrap();
    watch(&input, &out, &[]);
    let ids: BTreeSet<String> = read_events_arrow(&archive).into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, expected_events(&source).into_keys().collect(), "both days' rows are kept");
    // (An event id in both exports, a redelivery across the file boundary,
    // is archived by each: `distinct` may be one short.)
    let (both_rows, distinct) = event_rows(&archive);
    assert!(first_rows > 0 && both_rows > first_rows && both_rows - distinct <= 1, "{first_rows} {both_rows} {distinct}");

    // The second export again: its own rows are replaced, nothing added.
    watch(&input, &out, &[]);
    assert_eq!(event_rows(&archive).0, both_rows, "a rerun replaces its rows");
    // Grown at its end by the first export's lines: still the same stream,
    // so its rows are replaced; the first export's own rows stay beside
    // (the same events archived by two streams, as documented).
    std::fs::write(&input, part(half..lines.len()) + &part(0..half)).unwrap();
    watch(&input, &out, &[]);
    let alone = tmp.path().join("alone");
    watch(&input, &alone, &[]);
    let (grown_rows, _) = event_rows(&alone.join("archive"));
    assert_eq!(event_rows(&archive).0, first_rows + grown_rows, "a grown file replaces its earlier rows");
}

/// Files found under `dir` whose name starts with `prefix`, renamed to
/// start with `with` instead.
fn rename_prefix(dir: &Path, prefix: &str, with: &str) -> usize {
    let mut files = Vec::new();
    parquet_files(dir, &mut files);
    let mut n = 0;
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix(prefix) {
            std::fs::rename(&f, f.with_file_name(format!("{with}{rest}"))).unwrap();
            n += 1;
        }
    }
    n
}

/// A rerun of one input file replaces its rows however its path is
/// spelled: the archive's file names come from the canonical path (as
/// `data/sample.ndjson` from the repository and by its absolute path, the
/// second run once added every row again). Files an earlier build named
/// from the path as given are replaced too.
#[test]
fn a_rerun_replaces_its_rows_under_any_spelling_of_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("archive_events.ndjson")).unwrap();
    std::fs::write(tmp.path().join("in.ndjson"), &text).unwrap();
    let archive = tmp.path().join("archive");
    let run = |input: &str| {
        let o = watch_command(input, tmp.path()).current_dir(tmp.path()).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let absolute = tmp.path().join("in.ndjson").to_str().unwrap().to_string();
    run("in.ndjson");
    let (rows, distinct) = event_rows(&archive);
    assert_eq!(rows, distinct);
    for spelling in
        [absolute.as_str(), "./in.ndjson", &format!("../{}/in.ndjson", tmp.path().file_name().unwrap().to_str().unwrap()), "in.ndjson"]
    {
        run(spelling);
        assert_eq!(event_rows(&archive), (rows, distinct), "after a run of {spelling}");
    }
    // An archive of an earlier build: its files named from `in.ndjson` as given.
    let first_line = format!("{}\n", text.lines().next().unwrap());
    let fingerprint = xxhash_rust::xxh3::xxh3_64(first_line.as_bytes());
    let canonical = std::fs::canonicalize(&absolute).unwrap();
    let now = runaway::archive::naming::sanitize_stream(&format!("{} {fingerprint:016x}", canonical.display()));
    let before = runaway::archive::naming::sanitize_stream(&format!("in.ndjson {fingerprint:016x}"));
    assert!(rename_prefix(&archive, &format!("part-{now}-"), &format!("part-{before}-")) > 0, "no file named from {now}");
    run("in.ndjson");
    assert_eq!(event_rows(&archive), (rows, distinct), "after a rerun over an earlier build's files");
}

/// `killed_session` is true on the row of the event that triggered its
/// session's kill and on every row after it (outcome `after_kill`), so a
/// session killed at its last event has its true row too.
#[test]
fn killed_session_marks_the_kill_trigger_and_what_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.ndjson");
    let mut text = std::fs::read_to_string(data("archive_events.ndjson")).unwrap();
    // Over the $25 session budget at its second and last event.
    for (id, min, cost) in [("last-1", 30, 10), ("last-2", 31, 20)] {
        text += &format!(
            "{{\"event_id\":\"{id}\",\"ts\":\"2026-11-24T11:{min}:00Z\",\"session_id\":\"s-last\",\"agent_id\":\"writer\",\"team\":\"ops\",\"kind\":\"tool\",\"tool\":\"t\",\"cost_usd\":{cost}}}\n"
        );
    }
    std::fs::write(&input, text).unwrap();
    watch(&input, tmp.path(), &[]);
    let mut triggers = BTreeSet::new();
    let mut killed_sessions = BTreeSet::new();
    for line in std::fs::read_to_string(tmp.path().join("signals.ndjson")).unwrap().lines() {
        let s: serde_json::Value = serde_json::from_str(line).unwrap();
        if s["action"] == "kill" && s["scope"] == "session" {
            triggers.insert(s["trigger_event_id"].as_str().unwrap().to_string());
            killed_sessions.insert(s["session_id"].as_str().unwrap().to_string());
        }
    }
    assert!(triggers.contains("last-2"), "{triggers:?}");
    let mut files = Vec::new();
    parquet_files(&tmp.path().join("archive/events"), &mut files);
    let (mut flagged_sessions, mut flagged_triggers, mut after_kill, mut flagged) = (BTreeSet::new(), BTreeSet::new(), 0, 0);
    for f in files {
        for batch in ParquetRecordBatchReaderBuilder::try_new(File::open(&f).unwrap()).unwrap().build().unwrap() {
            let b = batch.unwrap();
            let str_col = |name: &str| arrow::compute::cast(b.column_by_name(name).unwrap(), &arrow::datatypes::DataType::Utf8).unwrap();
            let (ids, sessions, outcome) = (str_col("event_id"), str_col("session_id"), str_col("outcome"));
            let (ids, sessions, outcome) = (ids.as_string::<i32>(), sessions.as_string::<i32>(), outcome.as_string::<i32>());
            let killed = b.column_by_name("killed_session").unwrap().as_boolean().clone();
            for i in 0..b.num_rows() {
                let is_trigger = triggers.contains(ids.value(i));
                let is_after = outcome.value(i) == "after_kill";
                assert_eq!(killed.value(i), is_trigger || is_after, "{}", ids.value(i));
                after_kill += usize::from(is_after);
                flagged += usize::from(killed.value(i));
                if killed.value(i) {
                    flagged_sessions.insert(sessions.value(i).to_string());
                }
                if is_trigger {
                    flagged_triggers.insert(ids.value(i).to_string());
                }
            }
        }
    }
    assert_eq!(flagged_triggers, triggers, "every trigger archived");
    assert_eq!(flagged_sessions, killed_sessions, "every killed session has a true row");
    assert_eq!((flagged, after_kill), (after_kill + triggers.len(), 3));
}

/// An archive write failing mid-run names the archive once.
#[test]
fn an_archive_write_error_says_archive_once() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    // Where the partitions should go, a file: the first write fails.
    std::fs::write(archive.join("events"), "").unwrap();
    let o = watch_command(data("archive_events.ndjson"), tmp.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("runaway: error: archive I/O on "), "{stderr}");
    assert_eq!(stderr.matches("archive:").count(), 0, "{stderr}");
}
