//! Operating runaway, through the real binary: configuration layering and
//! validation (`config check`), logging, live policy reload (file watch and
//! SIGHUP), and the `/metrics`, `/healthz`, `/readyz` endpoint.
//!
//! Data-driven: configuration cases are `tests/data/ops_config_cases.json`;
//! the metrics scrape compares against `tests/data/ops_metrics_expected.txt`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_runaway");

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The binary with an empty environment, so a developer's or CI's
/// `RUNAWAY_…`/`RUST_LOG` cannot leak into a case.
fn runaway(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().current_dir(cwd);
    cmd
}

// ---- configuration ------------------------------------------------------

#[test]
fn config_cases() {
    let text = std::fs::read_to_string(data_dir().join("ops_config_cases.json")).expect("config cases fixture");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("config cases are JSON");
    assert!(cases.len() >= 10, "fixture lost its cases");
    for case in &cases {
        check_config(case);
    }
}

/// Runs `runaway config check --format json` as the case says (config
/// file text, environment, flags) and compares exit code, effective keys
/// and messages.
fn check_config(case: &Value) {
    let name = case["name"].as_str().expect("case name");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir().display().to_string();
    let mut cmd = runaway(dir.path());
    cmd.args(["config", "check", "--format", "json"]);
    if let Some(file) = case["file"].as_str() {
        std::fs::write(dir.path().join("runaway.toml"), file).expect("write config file");
        cmd.arg("runaway.toml");
    }
    for a in case["args"].as_array().into_iter().flatten() {
        cmd.arg(a.as_str().expect("string arg").replace("@DATA", &data));
    }
    if let Some(policy) = case["policy_text"].as_str() {
        std::fs::write(dir.path().join("policy.toml"), policy).expect("write policy file");
        cmd.args(["--policy", "policy.toml"]);
    }
    for (k, v) in case["env"].as_object().into_iter().flatten() {
        cmd.env(k, v.as_str().expect("string env value"));
    }
    let out = cmd.output().expect("run runaway config check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want_exit = case["exit"].as_i64().expect("exit");
    assert_eq!(out.status.code(), Some(want_exit as i32), "{name}: exit code\nstdout: {stdout}\nstderr: {stderr}");
    for needle in case["stderr"].as_array().into_iter().flatten() {
        let needle = needle.as_str().expect("string");
        assert!(stderr.contains(needle), "{name}: stderr lacks {needle:?}\nstderr: {stderr}");
    }
    for needle in case["stderr_lacks"].as_array().into_iter().flatten() {
        let needle = needle.as_str().expect("string");
        assert!(!stderr.contains(needle), "{name}: stderr must not show {needle:?}\nstderr: {stderr}");
    }
    for needle in case["stdout_lacks"].as_array().into_iter().flatten() {
        let needle = needle.as_str().expect("string");
        assert!(!stdout.contains(needle), "{name}: stdout must not show {needle:?}\nstdout: {stdout}");
    }
    if want_exit != 0 {
        return;
    }
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e}): {stdout}"));
    assert_eq!(doc["valid"], Value::Bool(true), "{name}");
    for (key, want) in case["config"].as_object().into_iter().flatten() {
        assert_eq!(&doc["config"][key], want, "{name}: config key {key}");
    }
    for (dotted, want) in case["policy"].as_object().into_iter().flatten() {
        let got = dotted.split('.').fold(&doc["policy"], |v, k| &v[k]);
        assert_eq!(got, want, "{name}: policy key {dotted}");
    }
}

#[test]
fn config_check_toml_output_is_a_config_file_that_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = runaway(dir.path())
        .args(["config", "check", "--input", "in.ndjson", "--signals", "s.ndjson", "--ready-max-lag", "42"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let config_part = stdout.split("# ---- effective policy").next().expect("config part");
    std::fs::write(dir.path().join("effective.toml"), config_part).expect("write");
    let again = runaway(dir.path()).args(["config", "check", "--format", "json", "effective.toml"]).output().expect("run");
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
    let doc: Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(doc["config"]["ready_max_lag"], 42);
    assert_eq!(doc["config"]["input"], "in.ndjson");
}

// ---- logs ---------------------------------------------------------------

#[test]
fn log_cases() {
    // (name, extra args, env, lines stderr must contain, lines it must not)
    type LogCase<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str], &'a [&'a str]);
    let cases: &[LogCase] = &[
        ("human by default", &[], &[], &["INFO", "starting", "policy_version"], &["{\"timestamp\""]),
        ("json on request", &["--log-format", "json"], &[], &["{\"timestamp\"", "\"level\":\"INFO\"", "\"message\":\"starting\""], &[]),
        ("level flag filters", &["--log-level", "warn"], &[], &[], &["starting"]),
        ("RUST_LOG wins over the flag", &["--log-level", "warn"], &[("RUST_LOG", "debug")], &["dead letter", "starting"], &[]),
    ];
    for (name, args, env, want, not_want) in cases {
        check_logs(name, args, env, want, not_want);
    }
}

fn check_logs(name: &str, args: &[&str], env: &[(&str, &str)], want: &[&str], not_want: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = data_dir().join("ops_metrics_events.ndjson");
    let mut cmd = runaway(dir.path());
    cmd.args(["watch", "--signals", "s.ndjson", "--input"]).arg(&input).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run watch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
    for w in want {
        assert!(stderr.contains(w), "{name}: stderr lacks {w:?}\n{stderr}");
    }
    for w in not_want {
        assert!(!stderr.contains(w), "{name}: stderr must not contain {w:?}\n{stderr}");
    }
    if args.contains(&"json") {
        for line in stderr.lines().filter(|l| l.starts_with('{')) {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: log line not JSON ({e}): {line}"));
            assert!(v["fields"]["message"].is_string(), "{name}: {line}");
        }
    }
}

/// Two runs writing their signals to one folder share its default
/// dead-letter file, and each rewrites it: the second run warns before it
/// replaces the first one's dead letters, naming how many and `--dlq`; a
/// run given its own `--dlq` replaces nothing and says nothing.
#[test]
fn a_run_warns_before_it_replaces_the_default_dead_letters() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.ndjson"), "not json\nnor this\n").unwrap();
    std::fs::write(dir.path().join("b.ndjson"), "{\"broken\"\n").unwrap();
    let warning = "out/dead-letters.ndjson holds 2 dead letter(s) of an earlier run and this run replaces it";
    // (input, signals, extra args, whether the warning is due, dead letters left in out/dead-letters.ndjson)
    let cases: &[(&str, &str, &[&str], bool, usize)] = &[
        ("a.ndjson", "out/a.ndjson", &[], false, 2),
        ("b.ndjson", "out/b.ndjson", &["--dlq", "out/b.dead-letters.ndjson"], false, 2),
        ("b.ndjson", "out/b.ndjson", &[], true, 1),
        ("a.ndjson", "elsewhere/a.ndjson", &[], false, 1),
    ];
    for (input, signals, extra, warns, left) in cases {
        let out = runaway(dir.path()).args(["watch", "--input", input, "--signals", signals]).args(*extra).output().expect("run watch");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{input} {extra:?}: {stderr}");
        assert_eq!(stderr.contains(warning) && stderr.contains("--dlq FILE"), *warns, "{input} {signals} {extra:?}: {stderr}");
        let kept = std::fs::read_to_string(dir.path().join("out/dead-letters.ndjson")).unwrap();
        assert_eq!(kept.lines().count(), *left, "{input} {signals} {extra:?}");
    }
}

/// The run summary in JSON mode says what the human one says (signals by
/// action and reason, models priced at the fallback rate) and, like it, is
/// printed whatever the log level.
#[test]
fn json_run_summary_has_the_human_content_at_any_level() {
    let input = data_dir().join("ops_summary_events.ndjson");
    for level in ["info", "warn", "error", "off"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = |format: &str| {
            let out = runaway(dir.path())
                .args(["watch", "--signals", "s.ndjson", "--log-format", format, "--log-level", level, "--input"])
                .arg(&input)
                .output()
                .expect("run watch");
            assert_eq!(out.status.code(), Some(0), "{level}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        let human = run("human");
        assert!(human.contains("kill     session_budget   1") && human.contains("fallback rate: my-private-model"), "{level}: {human}");
        let json = run("json");
        let summary: Vec<Value> = json
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["fields"]["message"] == "run summary")
            .collect();
        assert_eq!(summary.len(), 1, "{level}: one JSON summary line\n{json}");
        let f = &summary[0]["fields"];
        assert_eq!(f["signals"], 1, "{level}: {f}");
        assert_eq!(f["signals_by_action_reason"]["kill"]["session_budget"], 1, "{level}: {f}");
        assert_eq!(f["fallback_priced_models"], serde_json::json!(["my-private-model"]), "{level}: {f}");
        assert_eq!((f["sessions_killed"].as_u64(), f["dead_letters"].as_u64()), (Some(1), Some(2)), "{level}: {f}");
    }
}

/// `watch` refuses a bad librdkafka property before connecting, naming the
/// key and never showing the value (a mistyped password key is the likely case).
#[test]
fn watch_withholds_the_value_of_a_bad_kafka_property() {
    let dir = tempfile::tempdir().expect("tempdir");
    for kv in ["sasl.pasword=hunter2", "security.protocol=hunter2"] {
        let out = runaway(dir.path()).args(["watch", "--brokers", "127.0.0.1:1", "--kafka", kv]).output().expect("run watch");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let key = kv.split_once('=').map(|(k, _)| k).unwrap_or(kv);
        assert_eq!(out.status.code(), Some(2), "{kv}: {stderr}");
        assert!(stderr.contains(&format!("`{key}`")) && !stderr.contains("hunter2"), "{kv}: {stderr}");
    }
}

// ---- a live watch process -----------------------------------------------

/// `runaway watch --input -` fed through a pipe held open, with metrics on
/// a free port.
struct LiveWatch {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: String,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

impl LiveWatch {
    fn start(dir: tempfile::TempDir, extra: &[&str]) -> LiveWatch {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = runaway(dir.path())
            .args(["watch", "--input", "-", "--signals", "signals.ndjson", "--metrics-addr", &addr, "--log-format", "json"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runaway watch");
        let mut w = LiveWatch { stdin: None, child, addr, dir };
        w.stdin = w.child.stdin.take();
        w.wait_for("endpoint up", |m| m.contains_key("runaway_ready"));
        w
    }

    fn feed(&mut self, lines: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(lines.as_bytes()).expect("write to runaway's stdin");
        stdin.flush().expect("flush");
    }

    fn scrape(&self) -> BTreeMap<String, f64> {
        let (_, body) = http_get(&self.addr, "/metrics").unwrap_or_default();
        parse_metrics(&body)
    }

    fn metric(&self, key: &str) -> f64 {
        self.scrape().get(key).copied().unwrap_or(0.0)
    }

    /// Polls /metrics until `ok` holds (10 s at most).
    fn wait_for(&mut self, what: &str, ok: impl Fn(&BTreeMap<String, f64>) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let m = self.scrape();
            if ok(&m) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("runaway exited early ({status}) waiting for {what}: {}", self.stderr_so_far());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("timed out waiting for {what}; last scrape: {m:?}\n{}", self.stderr_so_far());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn stderr_so_far(&mut self) -> String {
        let _ = self.child.kill();
        read_stderr(&mut self.child)
    }

    /// Closes stdin, waits for a clean exit, returns (stderr, signals).
    fn finish(mut self) -> (String, Vec<Value>) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().expect("wait for runaway");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "watch exit code; stderr:\n{stderr}");
        let signals = std::fs::read_to_string(self.dir.path().join("signals.ndjson")).expect("signals file");
        let signals = signals.lines().map(|l| serde_json::from_str(l).expect("signal JSON")).collect();
        (stderr, signals)
    }
}

pub(crate) fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// `name{labels} value` lines of a Prometheus text scrape.
pub(crate) fn parse_metrics(body: &str) -> BTreeMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn event(id: &str, second: u32, session: &str, cost: f64) -> String {
    format!(
        "{{\"event_id\":\"{id}\",\"ts\":\"2026-01-01T00:00:{second:02}Z\",\"session_id\":\"{session}\",\"agent_id\":\"coder\",\"model\":\"gpt-4o\",\"cost_usd\":{cost}}}\n"
    )
}

/// (session, policy_version) of each kill signal, in order.
fn kills(signals: &[Value]) -> Vec<(String, String)> {
    signals
        .iter()
        .filter(|s| s["action"] == "kill")
        .map(|s| (s["session_id"].as_str().unwrap_or("").to_string(), s["policy_version"].as_str().unwrap_or("").to_string()))
        .collect()
}

const PROCESSED: &str = "runaway_events_total{outcome=\"processed\"}";

// ---- metrics ------------------------------------------------------------

#[test]
fn metrics_match_what_was_processed() {
    check_metrics("ops_metrics_events.ndjson", "ops_metrics_expected.txt");
}

/// Feeds `input` to a live watch and waits until /metrics shows every
/// sample of `expected` (a fixture of `name{labels} value` lines).
fn check_metrics(input: &str, expected: &str) {
    let events = std::fs::read_to_string(data_dir().join(input)).expect("input fixture");
    let want: BTreeMap<String, f64> = parse_metrics(&std::fs::read_to_string(data_dir().join(expected)).expect("expected fixture"));
    assert!(!want.is_empty());
    let mut w = LiveWatch::start(tempfile::tempdir().expect("tempdir"), &[]);
    assert_eq!(http_get(&w.addr, "/healthz").expect("healthz").0, 200);
    assert_eq!(http_get(&w.addr, "/readyz").expect("readyz").0, 200, "file mode is ready once started");
    assert_eq!(http_get(&w.addr, "/nope").expect("404").0, 404);
    w.feed(&events);
    let records = events.lines().filter(|l| !l.trim().is_empty()).count() as f64;
    let counted = |m: &BTreeMap<String, f64>| m.iter().filter(|(k, _)| k.starts_with("runaway_events_total{")).map(|(_, v)| v).sum::<f64>();
    w.wait_for("every record counted", |m| {
        counted(m) == records && m.get("runaway_tracked_sessions").copied() == want.get("runaway_tracked_sessions").copied()
    });
    let got = w.scrape();
    check_process_metrics(&got);
    for (k, v) in &want {
        let g = got.get(k).copied();
        assert!(g.is_some_and(|g| (g - v).abs() < 1e-9), "{k}: want {v}, got {g:?}\nfull scrape: {got:#?}");
    }
    let (_, signals) = w.finish();
    assert_eq!(signals.len() as f64, want.iter().filter(|(k, _)| k.starts_with("runaway_signals_total")).map(|(_, v)| v).sum::<f64>());
}

/// The standard `process_*` metrics are read from the OS at each scrape:
/// this process's own figures, not zeros or placeholders.
fn check_process_metrics(m: &BTreeMap<String, f64>) {
    let get = |k: &str| m.get(k).copied().unwrap_or_else(|| panic!("{k} missing from the scrape: {m:#?}"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs_f64();
    let started = get("process_start_time_seconds");
    assert!(started <= now + 1.0 && started > now - 600.0, "process_start_time_seconds {started} vs now {now}");
    assert!(get("process_resident_memory_bytes") > 1e6, "resident memory of a running watch");
    assert!(get("process_virtual_memory_bytes") >= get("process_resident_memory_bytes"));
    // A counter of whole seconds (the metrics facade's counters are integers).
    assert!(get("process_cpu_seconds_total") >= 0.0);
    assert!(get("process_open_fds") >= 3.0 && get("process_max_fds") >= get("process_open_fds"));
    assert!(get("process_threads") >= 2.0, "the metrics server runs on a thread of its own");
}

// ---- live policy --------------------------------------------------------

#[test]
fn policy_reload_changes_decisions_mid_stream_and_broken_policy_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    std::fs::copy(data_dir().join("ops_policy_v1.toml"), &policy).expect("copy v1");
    let mut w = LiveWatch::start(dir, &["--policy", "policy.toml"]);
    assert_eq!(w.metric("runaway_policy_info{version=\"ops-v1\"}"), 1.0);

    // v1: budget $5. A spends $6 and is killed; A2 spends $2 and is not.
    w.feed(&(event("a1", 0, "A", 3.0) + &event("a2", 1, "A", 3.0) + &event("b1", 2, "A2", 2.0)));
    w.wait_for("batch 1", |m| m.get(PROCESSED) == Some(&3.0));

    // Replace the file by rename, as editors and config managers do.
    let tmp = w.dir.path().join("policy.toml.new");
    std::fs::copy(data_dir().join("ops_policy_v2.toml"), &tmp).expect("copy v2");
    std::fs::rename(&tmp, &policy).expect("rename v2 into place");
    w.wait_for("v2 accepted", |m| m.get("runaway_policy_reloads_total") == Some(&1.0));

    // v2: budget $1.50. A2 (state kept: $2 so far) is killed at its next event; so is B at $2.
    w.feed(&(event("b2", 3, "A2", 0.1) + &event("c1", 4, "B", 2.0)));
    w.wait_for("batch 2", |m| m.get(PROCESSED) == Some(&5.0));
    assert_eq!(w.metric("runaway_policy_info{version=\"ops-v2\"}"), 1.0);
    assert_eq!(w.metric("runaway_policy_info{version=\"ops-v1\"}"), 0.0);

    // A broken policy (written in place) is rejected; v2 stays in force.
    std::fs::copy(data_dir().join("ops_policy_broken.toml"), &policy).expect("write broken policy");
    w.wait_for("broken policy rejected", |m| m.get("runaway_policy_reload_errors_total") == Some(&1.0));
    w.feed(&(event("d1", 5, "C", 1.0) + &event("e1", 6, "D", 2.0)));
    w.wait_for("batch 3", |m| m.get(PROCESSED) == Some(&7.0));
    assert_eq!(w.metric("runaway_policy_reloads_total"), 1.0, "the broken file must not count as a reload");

    let (stderr, signals) = w.finish();
    let want: Vec<(String, String)> =
        [("A", "ops-v1"), ("A2", "ops-v2"), ("B", "ops-v2"), ("D", "ops-v2")].iter().map(|(s, v)| (s.to_string(), v.to_string())).collect();
    assert_eq!(kills(&signals), want, "C ($1.00) is under v2's $1.50, and the broken policy's $0.50 never applied");
    assert!(stderr.contains("policy reload rejected") && stderr.contains("defaults.spike_ratio"), "{stderr}");
}

#[test]
fn sighup_reloads_when_file_watching_is_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    std::fs::copy(data_dir().join("ops_policy_v1.toml"), &policy).expect("copy v1");
    let mut w = LiveWatch::start(dir, &["--policy", "policy.toml", "--policy-reload", "sighup"]);
    std::fs::copy(data_dir().join("ops_policy_v2.toml"), &policy).expect("write v2");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(w.metric("runaway_policy_reloads_total"), 0.0, "sighup mode must not watch the file");
    send_sighup(&w.child);
    w.wait_for("reload on SIGHUP", |m| m.get("runaway_policy_reloads_total") == Some(&1.0));
    w.feed(&event("x1", 0, "X", 2.0));
    w.wait_for("event", |m| m.get(PROCESSED) == Some(&1.0));
    let (_, signals) = w.finish();
    assert_eq!(kills(&signals), vec![("X".to_string(), "ops-v2".to_string())]);
}

#[test]
fn sighup_without_a_policy_file_is_ignored_not_fatal() {
    let mut w = LiveWatch::start(tempfile::tempdir().expect("tempdir"), &[]);
    send_sighup(&w.child);
    std::thread::sleep(Duration::from_millis(300));
    w.feed(&event("y1", 0, "Y", 30.0));
    w.wait_for("event after SIGHUP", |m| m.get(PROCESSED) == Some(&1.0));
    let (stderr, signals) = w.finish();
    assert_eq!(kills(&signals), vec![("Y".to_string(), runaway::policy::BUILTIN_VERSION.to_string())]);
    assert!(stderr.contains("SIGHUP ignored"), "{stderr}");
}

#[test]
fn sigterm_stops_a_watch_whose_input_pipe_is_quiet() {
    let mut w = LiveWatch::start(tempfile::tempdir().expect("tempdir"), &[]);
    w.feed(&event("q1", 0, "Q", 30.0));
    w.wait_for("the event", |m| m.get(PROCESSED) == Some(&1.0));
    // The pipe stays open and silent: the stop must not wait for input.
    let Some(status) = terminate(&mut w.child) else {
        panic!("still running 10 s after SIGTERM with its input open: {}", w.stderr_so_far())
    };
    let stderr = read_stderr(&mut w.child);
    assert_eq!(status.code(), Some(0), "clean exit; stderr:\n{stderr}");
    assert!(stderr.contains("runaway watch summary") || stderr.contains("run summary"), "summary printed: {stderr}");
    let signals = std::fs::read_to_string(w.dir.path().join("signals.ndjson")).expect("signals file");
    assert_eq!(signals.lines().count(), 1, "the kill decided before the stop is written: {signals}");
}

/// A writer that pauses inside a line must not hold back what was decided
/// before it: a hook tailing the signals file sees the kill at once.
#[test]
fn a_kill_is_visible_while_the_writer_pauses_inside_the_next_line() {
    let mut w = LiveWatch::start(tempfile::tempdir().expect("tempdir"), &[]);
    let next = event("q2", 1, "R", 1.0);
    w.feed(&format!("{}{}", event("q1", 0, "Q", 30.0), &next[..20]));
    if !lines_appear(&w.dir.path().join("signals.ndjson"), 1) {
        panic!("the kill is still not in the signals file 10 s later: {}", w.stderr_so_far());
    }
    w.feed(&next[20..]);
    let (_, signals) = w.finish();
    assert_eq!(signals.len(), 1, "{signals:?}");
}

/// Discarding an output into `/dev/null` is a run like any other: only
/// regular files are fsynced (fsync on a device fails with EINVAL).
#[test]
fn outputs_to_dev_null_run_to_a_clean_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = data_dir().join("ops_metrics_events.ndjson");
    let out = runaway(dir.path())
        .args(["watch", "--input", input.to_str().expect("utf-8 path"), "--signals", "/dev/null", "--dlq", "/dev/null"])
        .output()
        .expect("run runaway watch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("signals"), "summary printed: {stderr}");
}

/// A closed or full stderr (`runaway watch … 2>&1 | head -1`) is no
/// failure of the run: logs and the summary are lost, the outputs are not.
/// A report whose reader went away ends quietly; one that cannot be
/// written at all fails with exit 1.
#[test]
fn closed_or_full_standard_streams_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = data_dir().join("ops_metrics_events.ndjson");
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").expect("open /dev/full");
    let archive = dir.path().join("archive");
    let signals = dir.path().join("signals.ndjson");
    let status = runaway(dir.path())
        .args(["watch", "--input", input.to_str().expect("utf-8 path"), "--signals", signals.to_str().expect("utf-8 path")])
        .arg("--archive")
        .arg(&archive)
        .stderr(full())
        .status()
        .expect("run runaway watch");
    assert_eq!(status.code(), Some(0), "watch with stderr on /dev/full");
    assert!(lines_appear(&signals, 1), "signals written");

    let mut report = runaway(dir.path())
        .args(["report", "--archive"])
        .arg(&archive)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run runaway report");
    drop(report.stdout.take());
    let out = report.wait_with_output().expect("report ends");
    assert_eq!(out.status.code(), Some(0), "report into a closed pipe: {}", String::from_utf8_lossy(&out.stderr));

    let out = runaway(dir.path()).args(["report", "--archive"]).arg(&archive).stdout(full()).output().expect("run runaway report");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "report onto a full disk: {stderr}");
    assert!(stderr.contains("cannot write to standard output"), "{stderr}");
}

/// A named pipe given as `--input FILE` is as live as standard input: a
/// kill decided before the writer paused inside a line is visible at once,
/// and SIGTERM stops the run while the pipe is open and quiet.
#[test]
fn a_named_pipe_input_is_read_live_like_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("events.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let mut child = runaway(dir.path())
        .args(["watch", "--input", "events.pipe", "--signals", "signals.ndjson"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runaway watch");
    // Opening for writing waits until runaway opens the pipe for reading.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).expect("open the pipe for writing");
    let next = event("f2", 1, "R", 1.0);
    writer.write_all(format!("{}{}", event("f1", 0, "F", 30.0), &next[..20]).as_bytes()).expect("write");
    writer.flush().expect("flush");
    let path = dir.path().join("signals.ndjson");
    if !lines_appear(&path, 1) {
        let _ = child.kill();
        panic!("the kill is still not in the signals file 10 s later: {}", read_stderr(&mut child));
    }
    let Some(status) = terminate(&mut child) else { panic!("still running 10 s after SIGTERM with the pipe open and quiet") };
    drop(writer);
    let stderr = read_stderr(&mut child);
    assert_eq!(status.code(), Some(0), "clean exit; stderr:\n{stderr}");
    let signals = std::fs::read_to_string(&path).expect("signals file");
    assert_eq!(signals.lines().count(), 1, "{signals}");
}

/// With `--archive`, a named pipe is opened once, by the reader, and only
/// when there is a writer: a writer connecting after the start loses
/// nothing (the archive's name for the input once opened the pipe, closed
/// it and opened it again, so the first writer's lines were lost), and
/// SIGTERM stops a run still waiting for its writer.
#[test]
fn a_named_pipe_with_an_archive_is_opened_once_and_a_stop_needs_no_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("events.pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo").success(), "mkfifo failed");
    let spawn = || {
        runaway(dir.path())
            .args(["watch", "--input", "events.pipe", "--signals", "signals.ndjson", "--archive", "archive"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runaway watch")
    };
    let mut child = spawn();
    std::thread::sleep(Duration::from_millis(500));
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).expect("open the pipe for writing");
    std::thread::sleep(Duration::from_millis(300));
    let lines: String = (0..3).map(|i| event(&format!("p{i}"), i, "P", 0.01)).collect();
    writer.write_all(lines.as_bytes()).expect("the writer's lines go in");
    drop(writer);
    let Some(status) = exit_within(&mut child) else {
        let _ = child.kill();
        panic!("still running 10 s after its writer closed the pipe: {}", read_stderr(&mut child));
    };
    let stderr = read_stderr(&mut child);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("records 3 "), "every line the writer sent was read: {stderr}");

    let mut child = spawn();
    std::thread::sleep(Duration::from_millis(500));
    let Some(status) = terminate(&mut child) else { panic!("still running 10 s after SIGTERM, waiting for a writer") };
    assert_eq!(status.code(), Some(0), "{}", read_stderr(&mut child));
}

/// The archive's counters count what it published: files, rows, bytes.
#[test]
fn archive_counters_count_the_files_published() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = runaway(dir.path())
        .env("RUNAWAY_ARCHIVE_ROLL_SECS", "1")
        .args(["watch", "--input", "-", "--signals", "signals.ndjson", "--archive", "archive", "--metrics-addr", &addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runaway watch");
    // Fed steadily: the archive rolls its files as records arrive.
    let mut stdin = child.stdin.take().expect("stdin");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut fed = 0u32;
    let m = loop {
        // Age is looked at every thousand-odd records.
        let burst: String = (fed..fed + 300).map(|i| event(&format!("a{i}"), i % 60, &format!("A{}", i / 50), 0.01)).collect();
        stdin.write_all(burst.as_bytes()).expect("feed");
        stdin.flush().expect("flush");
        fed += 300;
        let m = parse_metrics(&http_get(&addr, "/metrics").map(|r| r.1).unwrap_or_default());
        if m.get("runaway_archive_files_total").copied().unwrap_or(0.0) >= 1.0 {
            break m;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("no archive file counted; last scrape {m:?}: {}", read_stderr(&mut child));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let st = child.wait().expect("wait");
    assert!(st.success(), "{}", read_stderr(&mut child));
    let mut published = Vec::new();
    crate::archive::parquet_files(&dir.path().join("archive"), &mut published);
    let files = m["runaway_archive_files_total"];
    assert!(files >= 1.0 && files <= published.len() as f64, "{files} counted, {} published", published.len());
    assert!(m["runaway_archive_rows_total"] >= 1.0 && m["runaway_archive_bytes_total"] > 0.0, "{m:?}");
}

/// Sends `sig` to a child we spawned and still own (not yet waited for).
fn send(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: kill(2) with a pid we spawned and still own (not yet waited for).
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({sig}) failed: {}", std::io::Error::last_os_error());
}

fn send_sighup(child: &Child) {
    send(child, libc::SIGHUP);
}

/// SIGTERM, then the exit status; None when still running 10 s later.
fn terminate(child: &mut Child) -> Option<std::process::ExitStatus> {
    send(child, libc::SIGTERM);
    exit_within(child)
}

/// The exit status; None when still running 10 s later.
fn exit_within(child: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Whether the file at `path` holds `n` lines within 10 s.
fn lines_appear(path: &Path, n: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(path).unwrap_or_default().lines().count() < n {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// What the child wrote on its piped stderr (all of it once it has exited).
fn read_stderr(child: &mut Child) -> String {
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    stderr
}

/// The Python hook in file mode follows a signals file `watch` wrote and
/// acts once per signal id, a line written twice included; it needs no
/// Kafka client.
#[test]
fn the_python_hook_follows_a_signals_file_and_acts_once_per_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signals = dir.path().join("signals.ndjson");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson");
    let out = runaway(dir.path())
        .args(["watch", "--input", sample.to_str().expect("path"), "--signals", signals.to_str().expect("path")])
        .output()
        .expect("run watch");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut lines: Vec<String> = std::fs::read_to_string(&signals).expect("signals").lines().map(str::to_owned).collect();
    let written: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).expect("signal")).collect();
    assert!(written.len() >= 2, "the sample makes signals");
    // A redelivered line: the same signal twice.
    lines.push(lines[0].clone());
    std::fs::write(&signals, lines.join("\n") + "\n").expect("write");
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hook.py");
    let out = Command::new("python3")
        .args([hook.to_str().expect("path"), "--file", signals.to_str().expect("path"), "--max-messages", &lines.len().to_string()])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acted: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    let expected: Vec<String> = written
        .iter()
        .map(|s| match s["action"].as_str().unwrap_or("") {
            "kill" => format!("KILL session {}", s["session_id"].as_str().unwrap_or("")),
            "pause" => format!("PAUSE {}", s["scope"].as_str().unwrap_or("")),
            "throttle" => format!("THROTTLE {}", s["scope"].as_str().unwrap_or("")),
            _ => "ALERT ".to_owned(),
        })
        .collect();
    assert_eq!(acted.len(), expected.len(), "one action per signal id:\n{}", acted.join("\n"));
    for (a, e) in acted.iter().zip(&expected) {
        assert!(a.starts_with(e.as_str()), "{a} should start with {e}");
    }
}

/// `watch` truncates its signals file when it starts again. A hook that
/// kept reading from where it stopped skipped the new run's first signals
/// (the new file longer than the old) or all of them (shorter), silently.
#[test]
fn the_python_hook_reads_a_rewritten_signals_file_from_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signals = dir.path().join("signals.ndjson");
    let sample_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson");
    let sample = std::fs::read_to_string(&sample_path).expect("sample");
    // The same stream under other session and event ids: as many signals,
    // other signal ids, longer lines (the new file passes where the hook
    // stopped).
    let renamed = dir.path().join("renamed.ndjson");
    let renamed_text = sample
        .replace("\"session_id\":\"", "\"session_id\":\"second-run-")
        .replace("\"parent_session_id\":\"", "\"parent_session_id\":\"second-run-")
        .replace("\"event_id\":\"", "\"event_id\":\"second-run-");
    std::fs::write(&renamed, renamed_text).expect("write");
    let watch = |input: &Path| {
        let out = runaway(dir.path())
            .args(["watch", "--input", input.to_str().expect("path"), "--signals", signals.to_str().expect("path")])
            .output()
            .expect("run watch");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(&signals).expect("signals").lines().count()
    };
    let first = watch(&sample_path);
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hook.py");
    let mut child = Command::new("python3")
        .args([hook.to_str().expect("path"), "--file", signals.to_str().expect("path"), "--max-messages", &(2 * first).to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acted = Vec::new();
    let mut take = |n: usize, acted: &mut Vec<String>| {
        while acted.len() < n {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => acted.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!("the hook acted on {} of {n} signals:\n{}", acted.len(), acted.join("\n"));
                }
            }
        }
    };
    take(first, &mut acted);
    assert_eq!(watch(&renamed), first, "the renamed stream makes as many signals");
    take(2 * first, &mut acted);
    let status = child.wait().expect("hook exits after --max-messages");
    assert!(status.success());
    let second_run = acted[first..].iter().filter(|a| a.contains("second-run-") || !a.starts_with("KILL")).count();
    assert_eq!(second_run, first, "every signal of the second run acted on once:\n{}", acted.join("\n"));
}
