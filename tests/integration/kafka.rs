//! Kafka mode against a real broker (Tansu): the kill topic carries the
//! same session kills as file mode on the same events, across a crash, a
//! broker stall, a two-instance group and a second instance joining
//! mid-stream; malformed messages go to the
//! dead-letter topic; start-up fails fast on a bad broker or topic.
//!
//! Data-driven: `check(fixture, scenario)` runs one scenario over one
//! fixture and compares with file mode; `check_startup` covers start-up
//! failures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::broker::{Broker, Record, Runaway};

const EVENTS: &str = "agent.events";
const KILL: &str = "agent.kill";
const DLQ: &str = "agent.events.dlq";
const PARTITIONS: i32 = 4;
const WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    /// Produce everything, run one instance, stop it with SIGTERM.
    Plain,
    /// SIGKILL the instance mid-stream, restart it in the same group.
    Crash,
    /// SIGSTOP the broker for 10 s mid-stream, then SIGCONT.
    BrokerStall,
    /// Two instances in one group share the partitions.
    TwoInstances,
    /// A second instance joins while the first is consuming: the first
    /// hands partitions over mid-stream, with records still arriving.
    JoinMidStream,
}

/// What file mode decides on a fixture: kills and dead-letter reasons.
struct FileMode {
    kills: BTreeMap<(String, String), String>,
    /// Kills not propagated along a tree (see [`own_kills`]).
    own_kills: BTreeSet<(String, String)>,
    dead_reasons: Vec<String>,
    events: u64,
}

fn fixture(name: &str) -> (String, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path.display().to_string(), text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect())
}

fn file_mode(path: &str) -> FileMode {
    let dir = tempfile::tempdir().expect("tempdir");
    let signals = dir.path().join("signals.ndjson");
    let dlq = dir.path().join("dlq.ndjson");
    let out = Command::new(env!("CARGO_BIN_EXE_runaway"))
        .args(["watch", "--input", path, "--signals"])
        .arg(&signals)
        .arg("--dlq")
        .arg(&dlq)
        .output()
        .expect("run file mode");
    assert!(out.status.success(), "file mode failed: {}", String::from_utf8_lossy(&out.stderr));
    let signals = std::fs::read_to_string(&signals).expect("signals");
    let kills = kills_of(signals.lines().map(str::to_string));
    let own_kills = own_kills(signals.lines().map(str::to_string));
    let dead_reasons =
        std::fs::read_to_string(&dlq).expect("dlq").lines().map(|l| json(l)["reason"].as_str().expect("reason").to_string()).collect();
    let events = summary_figure(&String::from_utf8_lossy(&out.stderr), "events");
    FileMode { kills, own_kills, dead_reasons, events }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// (session, reason) → signal_id of every kill; panics when one session's
/// kill appears with two different ids (hooks dedupe by id).
fn kills_of(values: impl Iterator<Item = String>) -> BTreeMap<(String, String), String> {
    let mut kills = BTreeMap::new();
    for v in values {
        let s = json(&v);
        if s["action"] != "kill" {
            continue;
        }
        let key = (s["session_id"].as_str().unwrap_or("").to_string(), s["reason"].as_str().unwrap_or("").to_string());
        let id = s["signal_id"].as_str().expect("signal_id").to_string();
        if let Some(prev) = kills.insert(key.clone(), id.clone()) {
            assert_eq!(prev, id, "kill {key:?} re-emitted with a different signal_id");
        }
    }
    kills
}

/// A figure of the run summary printed on stderr, e.g. `records 480`.
fn summary_figure(log: &str, name: &str) -> u64 {
    let at = log.rfind("runaway watch summary").unwrap_or_else(|| panic!("no summary in log:\n{log}"));
    let rest = &log[at..];
    let i = rest.find(&format!("{name} ")).unwrap_or_else(|| panic!("no `{name}` in summary:\n{rest}"));
    rest[i + name.len() + 1..].split_whitespace().next().and_then(|n| n.parse().ok()).expect("number")
}

/// Waits (at most `WAIT`) until `group` has committed every partition of
/// the events topic that holds records up to its end; a partition without
/// records has nothing to commit.
fn wait_caught_up(broker: &Broker, group: &str, partitions: i32, r: &Runaway) {
    let high = broker.end_offsets(EVENTS, partitions);
    let deadline = Instant::now() + WAIT;
    while !broker.committed(group, EVENTS, partitions).iter().zip(&high).all(|(c, h)| *h == 0 || c == h) {
        assert!(Instant::now() < deadline, "never caught up; log:\n{}", r.log_text());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs `watch` with `args` until `group` has caught up with the events
/// topic, stops it with SIGTERM and returns its log; it must exit 0.
fn run_until_caught_up(broker: &Broker, group: &str, partitions: i32, args: &[String], log: PathBuf) -> String {
    let mut r = Runaway::start(args, log);
    wait_caught_up(broker, group, partitions, &r);
    let (st, log) = r.terminate(Duration::from_secs(30));
    assert!(st.success(), "exit {st:?}; log:\n{log}");
    log
}

fn runaway_args(broker: &Broker, group: &str) -> Vec<String> {
    let mut a: Vec<String> =
        ["watch", "--brokers", &broker.addr, "--group", group, "--topic", EVENTS, "--kill-topic", KILL, "--dlq-topic", DLQ]
            .iter()
            .map(|s| s.to_string())
            .collect();
    a.extend(["--log-format".into(), "json".into()]);
    // Short group timeouts: a join takes ~3 s on Tansu instead of ~20 s.
    for kv in ["session.timeout.ms=6000", "heartbeat.interval.ms=500", "max.poll.interval.ms=8000", "auto.commit.interval.ms=200"] {
        a.extend(["--kafka".into(), kv.into()]);
    }
    a
}

fn start_broker() -> Broker {
    let b = Broker::start();
    b.create_topic(EVENTS, PARTITIONS as u32);
    b.create_topic(KILL, 1);
    b.create_topic(DLQ, 1);
    b
}

fn read_kills(broker: &Broker, expected: usize) -> Vec<Record> {
    broker.read_until(KILL, WAIT, |r| {
        r.iter()
            .filter(|m| json(&m.value)["action"] == "kill")
            .map(|m| json(&m.value)["session_id"].as_str().unwrap_or("").to_string())
            .collect::<BTreeSet<_>>()
            .len()
            >= expected
    })
}

/// Partitions of the last assignment an instance logged (JSON logs).
fn current_partitions(r: &Runaway) -> BTreeSet<i32> {
    let mut cur = BTreeSet::new();
    for line in r.log_text().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        match v["fields"]["message"].as_str() {
            Some("partitions assigned") => {
                cur = v["fields"]["partitions"]
                    .as_str()
                    .unwrap_or("")
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
            }
            Some("partitions revoked") => cur.clear(),
            _ => {}
        }
    }
    cur
}

/// Waits until two instances of one group hold disjoint partitions that
/// together cover the topic.
fn wait_for_split(r1: &Runaway, r2: &Runaway) {
    let deadline = Instant::now() + WAIT;
    loop {
        let (a, b) = (current_partitions(r1), current_partitions(r2));
        if !a.is_empty() && !b.is_empty() && a.is_disjoint(&b) && a.len() + b.len() == PARTITIONS as usize {
            return;
        }
        assert!(Instant::now() < deadline, "the group never split the partitions: {a:?} {b:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops both instances of a group (each must exit 0 and have processed
/// events; together at least `expected_events`). Returns their events and
/// the first one's log.
fn stop_both(mut r1: Runaway, mut r2: Runaway, expected_events: u64) -> (u64, String) {
    let (st1, log1) = r1.terminate(Duration::from_secs(30));
    let (st2, log2) = r2.terminate(Duration::from_secs(30));
    assert!(st1.success() && st2.success(), "exits {st1:?} {st2:?}; logs:\n{log1}\n{log2}");
    let (e1, e2) = (summary_figure(&log1, "events"), summary_figure(&log2, "events"));
    assert!(e1 > 0 && e2 > 0, "both instances work: {e1} + {e2}");
    assert!(e1 + e2 >= expected_events, "events {e1} + {e2} < {expected_events}");
    (e1 + e2, log1)
}

fn check(fixture_name: &str, scenario: Scenario) {
    let (path, lines) = fixture(fixture_name);
    let expected = file_mode(&path);
    assert!(!expected.kills.is_empty(), "fixture {fixture_name} must kill some sessions");
    let broker = start_broker();
    let producer = broker.producer();
    let group = format!("runaway-{scenario:?}").to_lowercase();
    let dir = tempfile::tempdir().expect("tempdir");
    let args = runaway_args(&broker, &group);
    let n = lines.len() as u64;
    let (first, second) = lines.split_at(lines.len() / 2);

    let processed: u64 = match scenario {
        Scenario::Plain => {
            broker.produce_lines(&producer, EVENTS, &lines);
            // Metrics on, with librdkafka statistics (the lag's source) often.
            let with_metrics = || {
                let metrics = format!("127.0.0.1:{}", crate::broker::free_port());
                let mut args = args.clone();
                args.extend(["--metrics-addr".into(), metrics.clone(), "--kafka".into(), "statistics.interval.ms=200".into()]);
                (args, metrics)
            };
            // Caught up: every partition reports a lag of 0 and /readyz says so.
            let caught_up = |r: &Runaway, metrics: &str| {
                let deadline = Instant::now() + WAIT;
                loop {
                    let m = crate::ops::parse_metrics(&crate::ops::http_get(metrics, "/metrics").map(|r| r.1).unwrap_or_default());
                    let lags: Vec<f64> =
                        (0..PARTITIONS).filter_map(|p| m.get(&format!("runaway_consumer_lag{{partition=\"{p}\"}}")).copied()).collect();
                    let ready = crate::ops::http_get(metrics, "/readyz").map(|r| r.0).unwrap_or(0);
                    if lags.len() == PARTITIONS as usize && lags.iter().all(|l| *l == 0.0) && ready == 200 {
                        break;
                    }
                    assert!(Instant::now() < deadline, "lags {lags:?}, /readyz {ready}; log:\n{}", r.log_text());
                    std::thread::sleep(Duration::from_millis(100));
                }
            };
            let (args1, metrics) = with_metrics();
            let mut r = Runaway::start(&args1, dir.path().join("r.log"));
            read_kills(&broker, expected.kills.len());
            caught_up(&r, &metrics);
            let (st, log) = r.terminate(Duration::from_secs(30));
            assert!(st.success(), "exit {st:?}; log:\n{log}");
            let records = summary_figure(&log, "records");
            assert_eq!(records, n, "every record processed exactly once; log:\n{log}");
            assert!(!log.contains("in 0 events (what enforcement stops)"), "the fixture has events after a kill; log:\n{log}");
            // A restart in the same group re-reads committed records only to
            // rebuild its state: they were counted by the run that read them.
            let (args2, metrics) = with_metrics();
            let mut r2 = Runaway::start(&args2, dir.path().join("r2.log"));
            caught_up(&r2, &metrics);
            let (st, log2) = r2.terminate(Duration::from_secs(30));
            assert!(st.success(), "exit {st:?}; log:\n{log2}");
            assert!(log2.contains(&format!("\"replayed\":{n}")), "state rebuilt from every committed record; log:\n{log2}");
            assert_eq!(summary_figure(&log2, "records"), 0, "log:\n{log2}");
            assert!(log2.contains("spend after their kill $0.00 in 0 events"), "log:\n{log2}");
            records
        }
        Scenario::Crash => {
            // Sessions straddle the crash: the first three events of every
            // session are committed before it, the kills come after it, so
            // the restart must rebuild state (replay) to emit them.
            let (committed_part, rest) = lines.split_at(lines.len() * 3 / 10);
            let (in_flight, rest) = rest.split_at(rest.len() / 5);
            broker.produce_lines(&producer, EVENTS, committed_part);
            let mut r1 = Runaway::start(&args, dir.path().join("r1.log"));
            let deadline = Instant::now() + WAIT;
            while broker.committed(&group, EVENTS, PARTITIONS).iter().map(|o| (*o).max(0)).sum::<i64>() < committed_part.len() as i64 {
                assert!(Instant::now() < deadline, "first part never committed; log:\n{}", r1.log_text());
                std::thread::sleep(Duration::from_millis(100));
            }
            broker.produce_lines(&producer, EVENTS, in_flight);
            std::thread::sleep(Duration::from_millis(150));
            r1.kill9();
            broker.produce_lines(&producer, EVENTS, rest);
            let committed: i64 = broker.committed(&group, EVENTS, PARTITIONS).iter().map(|o| (*o).max(0)).sum();
            let mut r2 = Runaway::start(&args, dir.path().join("r2.log"));
            read_kills(&broker, expected.kills.len());
            let (st, log) = r2.terminate(Duration::from_secs(30));
            assert!(st.success(), "exit {st:?}; log:\n{log}");
            let records = summary_figure(&log, "records");
            assert_eq!(records, n - committed as u64, "the restart processes exactly what was not committed; log:\n{log}");
            n
        }
        Scenario::BrokerStall => {
            let mut r = Runaway::start(&args, dir.path().join("r.log"));
            broker.produce_lines(&producer, EVENTS, first);
            let seen = broker.read_until(KILL, WAIT, |r| !r.is_empty());
            assert!(!seen.is_empty(), "no kill before the stall; log:\n{}", r.log_text());
            broker.signal("STOP");
            let stalled = Instant::now();
            std::thread::scope(|s| {
                // Produced during the outage; delivered once it ends.
                s.spawn(|| broker.produce_lines(&producer, EVENTS, second));
                std::thread::sleep(Duration::from_secs(10).saturating_sub(stalled.elapsed()));
                broker.signal("CONT");
            });
            read_kills(&broker, expected.kills.len());
            let (st, log) = r.terminate(Duration::from_secs(30));
            assert!(st.success(), "exit {st:?}; log:\n{log}");
            let records = summary_figure(&log, "records");
            assert!(records >= n, "records {records} < {n}: events lost; log:\n{log}");
            records
        }
        Scenario::TwoInstances => {
            let r1 = Runaway::start(&args, dir.path().join("r1.log"));
            let r2 = Runaway::start(&args, dir.path().join("r2.log"));
            wait_for_split(&r1, &r2);
            broker.produce_lines(&producer, EVENTS, &lines);
            read_kills(&broker, expected.kills.len());
            stop_both(r1, r2, expected.events).0
        }
        Scenario::JoinMidStream => {
            // Both instances archive into one directory: a partition handed
            // over mid-stream must end up with each event in one row.
            let archive = dir.path().join("archive");
            let mut args = args.clone();
            args.extend(["--archive".into(), archive.display().to_string()]);
            let (before, during) = lines.split_at(lines.len() * 2 / 5);
            broker.produce_lines(&producer, EVENTS, before);
            let r1 = Runaway::start(&args, dir.path().join("r1.log"));
            let deadline = Instant::now() + WAIT;
            while broker.committed(&group, EVENTS, PARTITIONS).iter().map(|o| (*o).max(0)).sum::<i64>() == 0 {
                assert!(Instant::now() < deadline, "the first instance never committed; log:\n{}", r1.log_text());
                std::thread::sleep(Duration::from_millis(100));
            }
            let mut r2 = None;
            std::thread::scope(|s| {
                // A trickle through the whole join (about 5 s until the
                // group settles here), so the first instance is consuming
                // when it is told to give partitions up. Whether a record is
                // in flight at that instant is up to timing (the revoke log
                // line says how many were drained); the outcome must not be.
                s.spawn(|| {
                    for chunk in during.chunks(4) {
                        broker.produce_lines(&producer, EVENTS, chunk);
                        std::thread::sleep(Duration::from_millis(80));
                    }
                });
                r2 = Some(Runaway::start(&args, dir.path().join("r2.log")));
            });
            let r2 = r2.expect("second instance started");
            wait_for_split(&r1, &r2);
            read_kills(&broker, expected.kills.len());
            let (events, log1) = stop_both(r1, r2, expected.events);
            assert!(log1.contains("partitions revoked"), "the first instance gave partitions up; log:\n{log1}");
            let want = expected.events as usize;
            assert_eq!(crate::archive::event_rows(&archive), (want, want), "archive rows and distinct events");
            events
        }
    };
    assert!(processed >= n);

    let kill_msgs: Vec<Record> =
        broker.read_until(KILL, Duration::from_secs(3), |_| false).into_iter().filter(|m| json(&m.value)["action"] == "kill").collect();
    for m in &kill_msgs {
        let v = json(&m.value);
        assert_eq!(m.key.as_deref(), v["session_id"].as_str(), "kill keyed by session_id");
        assert!(v["emitted_at"].is_string(), "emitted_at stamped: {}", m.value);
    }
    let kills = kills_of(kill_msgs.iter().map(|m| m.value.clone()));
    let names = |k: &BTreeMap<(String, String), String>| k.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(names(&kills), names(&expected.kills), "same session kills as file mode ({scenario:?})");
    assert_eq!(kills, expected.kills, "same signal ids as file mode ({scenario:?})");
    // Everything consumed was committed.
    let high = broker.end_offsets(EVENTS, PARTITIONS);
    assert_eq!(high.iter().sum::<i64>(), n as i64);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let committed = broker.committed(&group, EVENTS, PARTITIONS);
        if committed == high {
            break;
        }
        assert!(Instant::now() < deadline, "committed {committed:?} != high watermarks {high:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn kafka_kills_match_file_mode() {
    check("kafka_events.ndjson", Scenario::Plain);
}

#[test]
fn kafka_crash_and_restart_loses_no_kill() {
    check("kafka_events.ndjson", Scenario::Crash);
}

#[test]
fn kafka_broker_stall_resumes_without_loss() {
    check("kafka_events.ndjson", Scenario::BrokerStall);
}

/// A stop requested while the broker does not answer ends within
/// `runaway.drain.timeout.ms` (librdkafka's final commit and group leave
/// wait for the broker without a bound), exit 1 naming the timeout, and
/// `/readyz` turns 503 at once.
#[test]
fn kafka_a_stop_during_a_broker_outage_ends_within_the_drain_timeout() {
    let broker = start_broker();
    let (_, lines) = fixture("kafka_events.ndjson");
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = format!("127.0.0.1:{}", crate::broker::free_port());
    let mut args = runaway_args(&broker, &format!("g-outage-stop-{}", std::process::id()));
    args.extend(["--metrics-addr".into(), metrics.clone(), "--kafka".into(), "runaway.drain.timeout.ms=3000".into()]);
    let mut r = Runaway::start(&args, dir.path().join("r.log"));
    broker.produce_lines(&broker.producer(), EVENTS, &lines);
    assert!(!broker.read_until(KILL, WAIT, |r| !r.is_empty()).is_empty(), "no kill; log:\n{}", r.log_text());
    broker.signal("STOP");
    std::thread::sleep(Duration::from_millis(500));
    r.signal("TERM");
    let asked = Instant::now();
    let mut ready = 200;
    while asked.elapsed() < Duration::from_secs(2) {
        ready = crate::ops::http_get(&metrics, "/readyz").map(|r| r.0).unwrap_or(0);
        if ready != 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (st, log) = r.wait_exit(Duration::from_secs(20));
    let took = asked.elapsed();
    broker.signal("CONT");
    assert_ne!(ready, 200, "/readyz still 200 after the stop request; log:\n{log}");
    assert_eq!(st.code(), Some(1), "exit {st:?}; log:\n{log}");
    assert!(log.contains("within runaway.drain.timeout.ms (3000 ms) at shutdown"), "the error names the timeout; log:\n{log}");
    assert!(took < Duration::from_secs(8), "stopped after {took:?}; log:\n{log}");
}

#[test]
fn kafka_two_instances_split_the_partitions() {
    check("kafka_events.ndjson", Scenario::TwoInstances);
}

#[test]
fn kafka_instance_joining_mid_stream_takes_over_cleanly() {
    check("kafka_events.ndjson", Scenario::JoinMidStream);
}

/// A session this group killed before a crash or hand-over is not killed
/// again under another id by the state rebuilt after it (contract §2:
/// killed at most once): on assignment runaway reads the kill topic's tail
/// for its group's kills (header `runaway.group`). Another group's kill
/// of a session is not its own and does not stop it.
#[test]
fn kafka_a_session_this_group_already_killed_is_not_killed_again() {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseRecord, Producer};
    let (path, lines) = fixture("kafka_events.ndjson");
    let expected = file_mode(&path);
    let mut sessions: Vec<String> = expected.kills.keys().map(|(s, _)| s.clone()).collect();
    sessions.dedup();
    assert!(sessions.len() >= 3, "the fixture kills several sessions: {:?}", expected.kills);
    let (ours, theirs) = (sessions[0].clone(), sessions[1].clone());
    let group = "runaway-killed-before";

    let broker = start_broker();
    let producer = broker.producer();
    // An earlier instance of this group killed `ours` (at another event:
    // another id); another group killed `theirs`.
    for (session, by) in [(&ours, group), (&theirs, "another-group")] {
        let value = serde_json::json!({"v": 1, "signal_id": format!("sig-earlier-{session}"), "action": "kill", "scope": "session",
            "session_id": session, "agent_id": "a", "reason": "step_runaway", "trigger_event_id": "e-earlier",
            "event_ts": "2026-01-01T00:00:00.000Z", "session_cost_usd": 1.0, "session_actions": 9, "evidence": {},
            "policy_id": "default/step_runaway", "policy_version": "builtin-20", "message": "an earlier instance's kill"})
        .to_string();
        let headers = OwnedHeaders::new().insert(Header { key: "runaway.group", value: Some(by) });
        producer
            .send(BaseRecord::to(KILL).key(session.as_str()).payload(&value).headers(headers))
            .map_err(|(e, _)| e)
            .expect("produce kill");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
    broker.produce_lines(&producer, EVENTS, &lines);

    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive");
    let mut args = runaway_args(&broker, group);
    args.extend(["--archive".to_string(), archive.display().to_string()]);
    let log = run_until_caught_up(&broker, group, PARTITIONS, &args, dir.path().join("r.log"));
    let emitted: Vec<Record> = broker
        .read_until(KILL, Duration::from_secs(3), |_| false)
        .into_iter()
        .filter(|m| !json(&m.value)["signal_id"].as_str().unwrap_or("").starts_with("sig-earlier-"))
        .collect();
    assert!(emitted.iter().all(|m| m.headers.get("runaway.group").map(String::as_str) == Some(group)), "every signal names its group");
    let killed: BTreeSet<String> = kills_of(emitted.iter().map(|m| m.value.clone())).into_keys().map(|(s, _)| s).collect();
    let want: BTreeSet<String> = sessions.iter().filter(|s| **s != ours).cloned().collect();
    assert_eq!(killed, want, "every file-mode kill but the one this group made before; log:\n{log}");
    // The read stops at each partition's end, as it means to: no error line.
    assert!(!log.contains("PartitionEOF"), "the end of the kill topic logged as an error:\n{log}");
    // The audit trail holds the kill the hooks acted on, not the withheld one.
    let ids = crate::archive::python_in(
        &archive,
        &format!("import duckdb; print(*[r[0] for r in duckdb.sql(\"select signal_id from read_parquet('signals/**/*.parquet', hive_partitioning=1) where session_id = '{ours}'\").fetchall()])"),
    );
    assert_eq!(ids.split_whitespace().collect::<Vec<_>>(), vec![format!("sig-earlier-{ours}")], "archive rows of {ours}");
}

#[test]
fn kafka_an_agent_pause_this_group_made_is_not_sent_again_under_another_id_while_it_holds() {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseRecord, Producer};
    let group = "runaway-paused-before";
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "version = \"held\"\n[defaults]\nagent_budget_usd = 1.0\n").expect("policy");
    // Two agents each spend $0.60 a call from 00:00:02: both cross $1 at
    // their second call, 00:00:03.
    let mut lines = Vec::new();
    for agent in ["held", "ended"] {
        for i in 0..3 {
            lines.push(
                serde_json::json!({"event_id": format!("{agent}-{i}"), "ts": format!("2026-01-01T00:00:0{}.000Z", 2 + i),
                    "session_id": format!("s-{agent}"), "agent_id": agent, "kind": "llm", "model": "gpt-4o", "cost_usd": 0.6})
                .to_string(),
            );
        }
    }
    let broker = start_broker();
    let producer = broker.producer();
    // Before a crash an instance of this group paused both agents, at an
    // event its state then saw (another id): `held` until 01:00, still in
    // force at the new crossing; `ended` until 00:00:02.500, over by then.
    for (agent, resume_at) in [("held", "2026-01-01T01:00:00.000Z"), ("ended", "2026-01-01T00:00:02.500Z")] {
        let value = serde_json::json!({"v": 1, "signal_id": format!("sig-earlier-{agent}"), "action": "pause", "scope": "agent",
            "agent_id": agent, "reason": "agent_budget", "trigger_event_id": "e-earlier", "event_ts": "2026-01-01T00:00:01.000Z",
            "session_cost_usd": 1.2, "session_actions": 2, "evidence": {"resume_at": resume_at},
            "policy_id": "default/agent_budget", "policy_version": "held", "message": "an earlier instance's pause"})
        .to_string();
        let headers = OwnedHeaders::new().insert(Header { key: "runaway.group", value: Some(group) });
        producer.send(BaseRecord::to(KILL).key(agent).payload(&value).headers(headers)).map_err(|(e, _)| e).expect("produce pause");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
    broker.produce_lines(&producer, EVENTS, &lines);

    let archive = dir.path().join("archive");
    let mut args = runaway_args(&broker, group);
    args.extend(["--archive".to_string(), archive.display().to_string(), "--policy".to_string(), policy.display().to_string()]);
    // Two sessions fill two partitions at most: the others have nothing to commit.
    let log = run_until_caught_up(&broker, group, PARTITIONS, &args, dir.path().join("r.log"));
    let paused: Vec<String> = broker
        .read_until(KILL, Duration::from_secs(3), |_| false)
        .into_iter()
        .map(|m| json(&m.value))
        .filter(|s| s["action"] == "pause" && !s["signal_id"].as_str().unwrap_or("").starts_with("sig-earlier-"))
        .map(|s| s["agent_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(paused, vec!["ended".to_string()], "only the crossing after the earlier pause ended is sent; log:\n{log}");
    assert!(log.contains("decision already made by this group under another id"), "{log}");
    let placed: Vec<(i32, i64, String)> = broker
        .read_until(KILL, Duration::from_secs(3), |_| false)
        .into_iter()
        .map(|m| (m.partition, m.offset, json(&m.value)["signal_id"].as_str().unwrap_or("").to_string()))
        .collect();
    assert!(log.contains(r#""holds":2"#), "both earlier pauses read from the kill topic ({placed:?}): {log}");
    // The audit trail holds the pause the hooks acted on.
    let ids = crate::archive::python_in(
        &archive,
        "import duckdb; print(*[r[0] for r in duckdb.sql(\"select signal_id from read_parquet('signals/**/*.parquet', hive_partitioning=1) where agent_id = 'held' and action = 'pause'\").fetchall()])",
    );
    assert_eq!(ids.split_whitespace().collect::<Vec<_>>(), vec!["sig-earlier-held"], "archive rows of held's pause");
}

/// Kills decided on a session's own events or its own children, not
/// propagated along a tree: which children a tree kill reaches depends on
/// how partitions interleave (each is stopped at its next event).
fn own_kills(values: impl Iterator<Item = String>) -> BTreeSet<(String, String)> {
    values
        .map(|v| json(&v))
        .filter(|s| s["action"] == "kill" && s["evidence"]["propagated"].is_null())
        .map(|s| (s["session_id"].as_str().unwrap_or("").to_string(), s["reason"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[test]
fn kafka_sample_fleet_read_as_a_backlog_on_four_partitions_keeps_every_session_kill() {
    // Produced first and read as a backlog: librdkafka hands out each
    // partition's records in chunks, hours of event time apart, and the
    // sample's sub-agent tree is keyed by session, so parent and children
    // sit on different partitions. Aligned by event time, detection sees
    // nearly file order: the same sessions killed, for the same reasons,
    // those a tree kill reaches included (without alignment 10 of 16).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson");
    let text = std::fs::read_to_string(&path).expect("sample");
    let lines: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = file_mode(&path.display().to_string());
    assert!(expected.own_kills.iter().any(|(_, r)| r == "subagent_fanout"), "the sample has a fan-out kill: {:?}", expected.own_kills);
    assert!(expected.kills.len() > expected.own_kills.len(), "the sample's tree kill reaches children: {:?}", expected.kills);

    let broker = Broker::start();
    broker.create_topic(EVENTS, 4);
    broker.create_topic(KILL, 1);
    broker.create_topic(DLQ, 1);
    let producer = broker.producer();
    broker.produce_lines(&producer, EVENTS, &lines);
    let group = "runaway-sample-four-partitions";
    run_until_caught_up(&broker, group, 4, &runaway_args(&broker, group), dir.path().join("r.log"));
    let values: Vec<String> = broker.read_until(KILL, Duration::from_secs(3), |_| false).into_iter().map(|m| m.value).collect();
    let sessions = |kills: &BTreeMap<(String, String), String>| -> BTreeSet<(String, String)> { kills.keys().cloned().collect() };
    let got = kills_of(values.into_iter());
    assert_eq!(sessions(&got), sessions(&expected.kills), "the same session kills as file mode, on four partitions");
}

#[test]
fn kafka_malformed_messages_go_to_the_dlq() {
    let (path, lines) = fixture("kafka_malformed.ndjson");
    let expected = file_mode(&path);
    assert_eq!(expected.dead_reasons.len(), 5);
    let broker = start_broker();
    let producer = broker.producer();
    broker.produce_lines(&producer, EVENTS, &lines);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Runaway::start(&runaway_args(&broker, "runaway-dlq"), dir.path().join("r.log"));
    let dead = broker.read_until(DLQ, WAIT, |r| r.len() >= expected.dead_reasons.len());
    read_kills(&broker, expected.kills.len());
    let (st, log) = r.terminate(Duration::from_secs(30));
    assert!(st.success(), "exit {st:?}; log:\n{log}");
    assert_eq!(summary_figure(&log, "dead letters"), 5, "dead letters in summary; log:\n{log}");
    assert_eq!(summary_figure(&log, "events"), expected.events, "the good events around them are processed");

    let mut reasons: Vec<String> = dead.iter().map(|m| m.headers["runaway.reason"].clone()).collect();
    let mut want = expected.dead_reasons.clone();
    reasons.sort();
    want.sort();
    assert_eq!(reasons, want, "reason headers");
    for m in &dead {
        assert!(lines.contains(&m.value), "raw bytes kept: {}", m.value);
        assert!(!m.headers["runaway.error"].is_empty());
        assert_eq!(m.headers["runaway.source.topic"], EVENTS);
        let p: i32 = m.headers["runaway.source.partition"].parse().expect("partition header");
        let o: i64 = m.headers["runaway.source.offset"].parse().expect("offset header");
        assert!((0..PARTITIONS).contains(&p) && o >= 0);
    }
    let kills = kills_of(broker.read_until(KILL, Duration::from_secs(2), |_| false).into_iter().map(|m| m.value));
    assert_eq!(kills, expected.kills);
}

/// A malformed record larger than the producer may send (the broker took
/// it from another client) is not a poison pill: its dead letter carries the
/// first part and says so, and the records after it are read.
#[test]
fn kafka_dead_letter_too_large_to_send_is_cut_and_reading_goes_on() {
    let broker = start_broker();
    let good = |i: usize| {
        format!(r#"{{"event_id":"g{i}","ts":1767225600000,"session_id":"s","agent_id":"a","kind":"tool","tool":"t","args_hash":"h{i}"}}"#)
    };
    let huge = format!("not json {}", "x".repeat(50_000));
    broker.produce_lines(&broker.producer(), EVENTS, &[good(1), huge.clone(), good(2)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = runaway_args(&broker, "runaway-dlq-huge");
    // As if the events topic took larger records than this producer sends.
    args.extend(["--kafka".into(), "message.max.bytes=20000".into()]);
    let mut r = Runaway::start(&args, dir.path().join("r.log"));
    let dead = broker.read_until(DLQ, WAIT, |r| !r.is_empty());
    let (st, log) = r.terminate(Duration::from_secs(30));
    assert!(st.success(), "exit {st:?}; log:\n{log}");
    assert_eq!(summary_figure(&log, "events"), 2, "the records after it are read; log:\n{log}");
    assert_eq!(dead.len(), 1, "one dead letter");
    let m = &dead[0];
    assert_eq!(m.headers["runaway.truncated_from"], huge.len().to_string());
    assert!(m.value.len() < 20_000 && m.value.len() > 10_000 && huge.starts_with(&m.value), "the first part: {} bytes", m.value.len());
    assert_eq!(m.headers["runaway.reason"], "not_json");
}

/// Start-up must fail fast with a clear message.
fn check_startup(create_topics: &[&str], reachable: bool, want_code: i32, want_text: &str) {
    let broker = Broker::start();
    for t in create_topics {
        broker.create_topic(t, 1);
    }
    let mut args = runaway_args(&broker, "runaway-startup");
    if !reachable {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let dead = format!("127.0.0.1:{}", l.local_addr().expect("addr").port());
        drop(l);
        args[2] = dead;
    }
    args.extend(["--kafka".into(), "runaway.broker.timeout.ms=3000".into()]);
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let mut r = Runaway::start(&args, dir.path().join("r.log"));
    let (st, log) = r.wait_exit(Duration::from_secs(20));
    assert_eq!(st.code(), Some(want_code), "log:\n{log}");
    assert!(log.contains(want_text), "expected `{want_text}` in:\n{log}");
    assert!(started.elapsed() < Duration::from_secs(15), "fails fast");
    if !reachable {
        // Each client reports the outage several times a second; the reason
        // must not drown in the repeats (20 to 30 lines in 3 s unfolded).
        let repeats = log.lines().filter(|l| l.contains(r#""level":"WARN""#) || l.contains(r#""level":"ERROR""#)).count();
        assert!(repeats <= 12, "repeated client errors are folded, got {repeats} lines:\n{log}");
    }
}

#[test]
fn kafka_startup_fails_fast() {
    check_startup(&[EVENTS, KILL, DLQ], false, 1, "cannot reach the Kafka brokers");
    check_startup(&[EVENTS, DLQ], true, 2, "`agent.kill` does not exist");
}

/// An enforcement hook example consumes the kill topic and acts once per
/// signal id, however often the signal is delivered.
fn check_hook(program: &str, args: &[&str]) {
    let broker = start_broker();
    let producer = broker.producer();
    let sig = |id: &str, session: &str, action: &str| {
        format!(
            r#"{{"v":1,"signal_id":"{id}","action":"{action}","scope":"session","session_id":"{session}","agent_id":"a","reason":"loop_repeat","trigger_event_id":"e","event_ts":"2026-01-01T00:00:00.000Z","session_cost_usd":1.0,"session_actions":5,"evidence":{{}},"policy_id":"p","policy_version":"1","message":"m"}}"#
        )
    };
    // The second message redelivers the first signal (same id).
    let signals = vec![sig("sig-1", "s-a", "kill"), sig("sig-1", "s-a", "kill"), sig("sig-2", "s-b", "kill"), sig("sig-3", "s-c", "alert")];
    broker.produce_lines(&producer, KILL, &signals);
    let on_topic = broker.read_until(KILL, WAIT, |r| r.len() >= signals.len()).len();
    assert_eq!(on_topic, signals.len(), "signals on the kill topic");
    let addr = broker.addr.clone();
    let mut cmd = Command::new(program);
    cmd.args(args).args(["--brokers", &addr, "--topic", KILL, "--group", "hook-test", "--max-messages", "4"]);
    for kv in ["session.timeout.ms=6000", "heartbeat.interval.ms=500"] {
        cmd.args(["-X", kv]);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd
        .stdout(std::fs::File::create(&out_path).expect("out"))
        .stderr(std::fs::File::create(&err_path).expect("err"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{program} did not finish; stdout:\n{}\nstderr:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default(),
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    assert!(status.success(), "{program} failed: {}\n{stdout}", std::fs::read_to_string(&err_path).unwrap_or_default());
    let acted: Vec<&str> = stdout.lines().collect();
    assert_eq!(acted.len(), 3, "one action per signal id:\n{stdout}");
    assert!(
        acted[0].starts_with("KILL session s-a") && acted[1].starts_with("KILL session s-b") && acted[2].starts_with("ALERT s-c"),
        "{stdout}"
    );
}

#[test]
fn kafka_hook_examples_act_once_per_signal() {
    let examples = Path::new(env!("CARGO_BIN_EXE_runaway")).parent().expect("target dir").join("examples/hook");
    assert!(examples.exists(), "{} missing: `cargo test` builds the examples", examples.display());
    check_hook(examples.to_str().expect("path"), &[]);
    let hook_py = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hook.py");
    let probe = Command::new("python3").args(["-c", "import confluent_kafka"]).output().expect("python3");
    assert!(probe.status.success(), "python3 cannot import confluent_kafka: run scripts/setup-test-deps.sh");
    check_hook("python3", &[hook_py.to_str().expect("path")]);
}

/// Contract §3: every event lands in exactly one archive row across crashes.
/// A checkpoint waits for its deliveries (here: dead letters on every fifth
/// record) while reading goes on; the archive must be cut where the offsets
/// were taken, or a restart from a commit rewrites rows a file already holds.
#[test]
fn kafka_archive_keeps_each_event_once_across_a_crash() {
    let broker = Broker::start();
    broker.create_topic(EVENTS, 1);
    broker.create_topic(KILL, 1);
    broker.create_topic(DLQ, 1);
    let lines: Vec<String> = (0..60_000)
        .map(|i| match i % 5 {
            4 => format!("not json {i}"),
            _ => format!(
                r#"{{"event_id":"e{i}","ts":{},"session_id":"s{}","agent_id":"a","kind":"tool","tool":"t","args_hash":"h{i}"}}"#,
                1_767_225_600_000i64 + i,
                i % 97
            ),
        })
        .collect();
    let valid = lines.iter().filter(|l| l.starts_with('{')).count();
    broker.produce_lines(&broker.producer(), EVENTS, &lines);
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive");
    let group = "runaway-archive-crash";
    let mut args = runaway_args(&broker, group);
    args.extend(["--archive".into(), archive.display().to_string()]);
    let end = broker.end_offsets(EVENTS, 1)[0];

    let mut r1 = Runaway::start(&args, dir.path().join("r1.log"));
    let deadline = Instant::now() + WAIT;
    loop {
        let c = broker.committed(group, EVENTS, 1)[0];
        if c > 0 {
            assert!(c < end, "read everything before a kill could land; log:\n{}", r1.log_text());
            eprintln!("killed after the commit of offset {c} of {end}");
            break;
        }
        assert!(Instant::now() < deadline, "never committed; log:\n{}", r1.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
    r1.kill9();
    let mut r2 = Runaway::start(&args, dir.path().join("r2.log"));
    let deadline = Instant::now() + WAIT;
    while broker.committed(group, EVENTS, 1)[0] != end {
        assert!(Instant::now() < deadline, "never caught up; log:\n{}", r2.log_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    let (st, log) = r2.terminate(Duration::from_secs(30));
    assert!(st.success(), "exit {st:?}; log:\n{log}");
    assert_eq!(crate::archive::event_rows(&archive), (valid, valid), "archive rows and distinct events; restart log:\n{log}");
}
