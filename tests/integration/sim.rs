//! The fleet simulator and the evaluation: determinism per seed, labels
//! that match the events, every runaway kind and trap present, and the
//! evaluation's arithmetic on a hand-made case (`tests/data/eval_*`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use runaway::eval::{evaluate, Report};
use runaway::sim::session::{RunawayKind, TRAP_NAMES};
use runaway::sim::{generate, SimConfig, Simulation};
use runaway::{decode, EventKind, Policy};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// One mid-sized fleet shared by the property tests.
fn fleet() -> &'static Simulation {
    static SIM: OnceLock<Simulation> = OnceLock::new();
    SIM.get_or_init(|| {
        let cfg = SimConfig { sessions: 800, hours: 12.0, seed: 3, start_ms: SimConfig::DEFAULT_START_MS };
        generate(&cfg).expect("simulation")
    })
}

fn simulate_cli(dir: &Path, tag: &str, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let out = dir.join(format!("{tag}.ndjson"));
    let labels = dir.join(format!("{tag}.labels.ndjson"));
    let status = Command::new(env!("CARGO_BIN_EXE_runaway"))
        .args(["simulate", "--sessions", "150", "--hours", "6", "--seed", &seed.to_string(), "--out"])
        .arg(&out)
        .arg("--labels")
        .arg(&labels)
        .status()
        .expect("run runaway simulate");
    assert!(status.success(), "runaway simulate failed: {status}");
    (std::fs::read(out).expect("events"), std::fs::read(labels).expect("labels"))
}

#[test]
fn simulate_gives_the_same_bytes_for_the_same_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = simulate_cli(dir.path(), "a", 11);
    let b = simulate_cli(dir.path(), "b", 11);
    let c = simulate_cli(dir.path(), "c", 12);
    assert!(!a.0.is_empty() && !a.1.is_empty());
    assert!(a.0 == b.0, "events differ between two runs with seed 11");
    assert!(a.1 == b.1, "labels differ between two runs with seed 11");
    assert!(a.0 != c.0, "seeds 11 and 12 gave the same events");
}

#[test]
fn labels_match_the_events() {
    let sim = fleet();
    let mut events_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    for e in &sim.events {
        events_of.entry(&e.session_id).or_default().insert(&e.event_id);
    }
    let labeled: HashSet<&str> = sim.labels.iter().map(|l| l.session_id.as_str()).collect();
    assert_eq!(labeled.len(), sim.labels.len(), "a session is labeled twice");
    for s in events_of.keys() {
        assert!(labeled.contains(s), "session {s} has events but no label");
    }
    let roots: HashSet<&str> =
        sim.labels.iter().filter(|l| l.label == "runaway" && l.part_of.is_none()).map(|l| l.session_id.as_str()).collect();
    for l in &sim.labels {
        let ids = events_of.get(l.session_id.as_str()).unwrap_or_else(|| panic!("labeled session {} has no events", l.session_id));
        match l.label.as_str() {
            "runaway" => {
                let onset = l.onset_event_id.as_deref().unwrap_or_else(|| panic!("runaway {} has no onset", l.session_id));
                assert!(ids.contains(onset), "onset {onset} is not an event of session {}", l.session_id);
            }
            "normal" => assert!(l.onset_event_id.is_none(), "normal session {} has an onset", l.session_id),
            other => panic!("label {other:?} is neither normal nor runaway"),
        }
        if let Some(root) = &l.part_of {
            assert!(roots.contains(root.as_str()), "{} is part of {root}, which is not a runaway", l.session_id);
        }
    }
}

#[test]
fn every_runaway_kind_and_every_trap_appears() {
    let sim = fleet();
    let kinds: HashSet<(&str, &str)> = sim.labels.iter().map(|l| (l.label.as_str(), l.kind.as_str())).collect();
    for k in RunawayKind::ALL {
        assert!(kinds.contains(&("runaway", k.as_str())), "no {} runaway in the fleet", k.as_str());
    }
    for t in TRAP_NAMES {
        assert!(kinds.contains(&("normal", *t)), "no {t} trap in the fleet");
    }
}

#[test]
fn simulated_events_are_valid_contract_events() {
    let sim = fleet();
    let mut unknown_model_events = 0;
    let catalog = runaway::Catalog::embedded();
    let mut reported = 0;
    for e in &sim.events {
        let line = serde_json::to_string(e).expect("serialize");
        let ev = decode(line.as_bytes()).unwrap_or_else(|err| panic!("dead letter {}: {err}: {line}", err.code()));
        match ev.kind {
            EventKind::Llm => {
                let model = ev.model.as_deref().expect("llm event without model");
                if catalog.lookup(model, ev.provider.as_deref()).is_none() {
                    unknown_model_events += 1;
                }
            }
            EventKind::Tool => assert!(ev.tool.is_some() && ev.args_hash.is_some(), "tool event without tool/args_hash: {line}"),
            EventKind::Handoff => assert!(ev.target_agent_id.is_some(), "handoff without target: {line}"),
        }
        reported += ev.cost_usd.is_some() as usize;
    }
    assert!(unknown_model_events > 0, "no event with a model the catalog lacks");
    // Bus order: event time, except redeliveries, which arrive late.
    let mut seen = HashSet::new();
    let mut last_ts = i64::MIN;
    for e in &sim.events {
        if seen.insert(&e.event_id) {
            assert!(e.ts_ms >= last_ts, "event {} is out of event-time order", e.event_id);
            last_ts = e.ts_ms;
        }
    }
    assert!(seen.len() < sim.events.len(), "no redelivered duplicate in the fleet");
    assert!(reported > 0 && reported < sim.events.len(), "cost_usd should be on some events, not all");
}

/// Runs `eval` on a hand-made case and compares the figures with the
/// expected ones computed by hand (static caps exactly; the detector's own
/// decisions are its business, but its spend base must match).
fn check_eval(events: &str, labels: &str, expected: &str) {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data(expected)).expect("expected file")).expect("expected json");
    let report: Report = evaluate(&data(events), &data(labels), Policy::default()).expect("eval");
    let close = |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-9, "{what}: got {a}, expected {b}");
    let num = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("expected.{k} missing"));
    assert_eq!(report.events as f64, num(&expected, "events"), "events");
    assert_eq!(report.duplicates as f64, num(&expected, "duplicates"), "duplicates");
    assert_eq!(report.dead_letters as f64, num(&expected, "dead_letters"), "dead letters");
    assert_eq!(report.sessions as f64, num(&expected, "sessions"), "sessions");
    assert_eq!(report.strategies.len(), 5, "detector + 4 static caps");
    for s in &report.strategies {
        assert_eq!(s.overall.cases as f64, num(&expected, "cases"), "{} cases", s.strategy);
        close(s.overall.spend_from_onset_usd, num(&expected, "spend_from_onset_usd"), &format!("{} spend from onset", s.strategy));
        assert_eq!(s.false_kills.normal_sessions as f64, num(&expected, "normal_sessions"), "{} normal sessions", s.strategy);
        assert!((0.0..=1.0).contains(&s.overall.prevented_share), "{} prevented share out of range", s.strategy);
        let Some(x) = expected["strategies"].get(&s.strategy) else {
            assert_eq!(s.strategy, "runaway", "no expected figures for {}", s.strategy);
            continue;
        };
        let f = &s.overall;
        assert_eq!(f.caught as f64, num(x, "caught"), "{} caught", s.strategy);
        assert_eq!(f.caught_before_onset as f64, num(x, "caught_before_onset"), "{} caught before onset", s.strategy);
        close(f.spend_prevented_usd, num(x, "spend_prevented_usd"), &format!("{} prevented $", s.strategy));
        close(f.prevented_share, num(x, "prevented_share"), &format!("{} prevented share", s.strategy));
        assert_eq!(f.median_events_onset_to_kill, x["median_events_onset_to_kill"].as_f64(), "{} median events", s.strategy);
        match (f.median_usd_onset_to_kill, x["median_usd_onset_to_kill"].as_f64()) {
            (Some(a), Some(b)) => close(a, b, &format!("{} median $", s.strategy)),
            (a, b) => assert_eq!(a, b, "{} median $", s.strategy),
        }
        assert_eq!(s.false_kills.killed as f64, num(x, "false_kills"), "{} false kills", s.strategy);
        let per_kind = x["per_kind_prevented_share"].as_object().expect("per_kind_prevented_share");
        for (kind, share) in per_kind {
            let got = s.per_kind.get(kind).unwrap_or_else(|| panic!("{} has no figures for {kind}", s.strategy));
            close(got.prevented_share, share.as_f64().unwrap_or(f64::NAN), &format!("{} {kind} prevented share", s.strategy));
        }
    }
}

#[test]
fn eval_arithmetic_on_a_hand_made_case() {
    check_eval("eval_events.ndjson", "eval_labels.ndjson", "eval_expected.json");
}

#[test]
fn eval_cli_prints_a_table_or_json_and_rejects_other_formats() {
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_runaway"))
            .args(["eval", "--format", format, "--events"])
            .arg(data("eval_events.ndjson"))
            .arg("--labels")
            .arg(data("eval_labels.ndjson"))
            .output()
            .expect("run runaway eval")
    };
    let json = run("json");
    assert!(json.status.success(), "eval --format json failed: {}", String::from_utf8_lossy(&json.stderr));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("eval --format json prints JSON");
    assert_eq!(v["strategies"].as_array().map(|a| a.len()), Some(5));
    let table = run("table");
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    for row in ["runaway", "cap 25 turns", "cap 100 turns", "cap $1/session", "cap $5/session"] {
        assert!(text.contains(row), "table lacks row {row}:\n{text}");
    }
    let bad = run("xml");
    assert_eq!(bad.status.code(), Some(2), "an unknown format is a usage error");
}
