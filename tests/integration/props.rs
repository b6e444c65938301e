//! Property tests: no panic on any input line; the same input gives
//! byte-identical signals; interleaving sessions differently does not change
//! session-scope kills.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use runaway::{Action, Catalog, Engine, Policy, Scope, SourcePos};

fn engine(policy: &Arc<Policy>) -> Engine {
    Engine::new(Catalog::embedded(), policy.clone())
}

fn run(policy: &Arc<Policy>, lines: &[String]) -> Vec<String> {
    let mut e = engine(policy);
    let mut signals = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        e.process_record(l.as_bytes(), SourcePos::File { file: "p".into(), line: i as u64 }, 0, &mut signals);
    }
    signals.iter().map(|s| s.to_json()).collect()
}

/// One action of a generated session.
#[derive(Debug, Clone)]
enum Step {
    Llm { tokens: u32, cost: Option<u32> },
    Tool { tool: u8, args: u8, status: u8 },
    Handoff { to: u8 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u32..200_000, proptest::option::of(0u32..5_000)).prop_map(|(tokens, cost)| Step::Llm { tokens, cost }),
        (0u8..4, 0u8..4, 0u8..3).prop_map(|(tool, args, status)| Step::Tool { tool, args, status }),
        (0u8..3).prop_map(|to| Step::Handoff { to }),
    ]
}

fn session_lines(sid: usize, steps: &[Step], t0: u64) -> Vec<String> {
    steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let head = format!(
                r#""event_id":"s{sid}-e{i}","ts":{},"session_id":"s{sid}","agent_id":"agent{}","task_type":"tt{}""#,
                t0 + i as u64 * 1000,
                sid % 3,
                sid % 2
            );
            match st {
                Step::Llm { tokens, cost } => match cost {
                    Some(c) => format!(r#"{{{head},"model":"gpt-4o","input_tokens":{tokens},"cost_usd":{}}}"#, *c as f64 / 1000.0),
                    None => format!(r#"{{{head},"model":"gpt-4o","input_tokens":{tokens},"output_tokens":100}}"#),
                },
                Step::Tool { tool, args, status } => format!(
                    r#"{{{head},"kind":"tool","tool":"t{tool}","args_hash":"a{args}","status":"{}"}}"#,
                    ["ok", "error", "retry"][*status as usize]
                ),
                Step::Handoff { to } => format!(r#"{{{head},"kind":"handoff","target_agent_id":"agent{to}"}}"#),
            }
        })
        .collect()
}

/// A policy whose session-scope decisions depend only on the session's own
/// events: baseline-relative detectors are off, since baselines are shared
/// across sessions and so depend on interleaving by design (contract §4);
/// so is the provider-outage gate of retry storms (fleet-wide failures).
fn session_local_policy() -> Arc<Policy> {
    Arc::new(
        Policy::parse(
            r#"
version = "props"
[global]
outage_min_sessions = 0
[defaults]
disabled = ["cost_spike", "context_growth", "step_runaway", "subagent_fanout"]
session_budget_usd = 20.0
"#,
            "props",
        )
        .expect("policy"),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn no_panic_on_arbitrary_lines(lines in proptest::collection::vec(any::<Vec<u8>>(), 0..40)) {
        let policy = Arc::new(Policy::default());
        let mut e = engine(&policy);
        let mut signals = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            e.process_record(l, SourcePos::File { file: "p".into(), line: i as u64 }, 0, &mut signals);
        }
    }

    #[test]
    fn no_panic_on_mangled_events(
        field in prop::sample::select(vec!["event_id","ts","session_id","agent_id","kind","model","input_tokens","cost_usd","status","labels","args_hash"]),
        value in prop::sample::select(vec!["null","-1","1e400","\"x\"","[]","{}","true","18446744073709551616","-0.0","\"2026-13-45T99:00:00Z\""]),
    ) {
        let line = format!(r#"{{"event_id":"e","ts":1,"session_id":"s","agent_id":"a","model":"m","{field}":{value}}}"#);
        let policy = Arc::new(Policy::default());
        let mut e = engine(&policy);
        let mut signals = Vec::new();
        e.process_record(line.as_bytes(), SourcePos::File { file: "p".into(), line: 1 }, 0, &mut signals);
    }

    #[test]
    fn same_input_gives_byte_identical_signals(
        sessions in proptest::collection::vec(proptest::collection::vec(step(), 1..40), 1..8)
    ) {
        let mut lines = Vec::new();
        for (sid, steps) in sessions.iter().enumerate() {
            lines.extend(session_lines(sid, steps, 1_767_225_600_000));
        }
        lines.sort_by_key(|l| l.split("\"ts\":").nth(1).and_then(|t| t.split(',').next()).and_then(|t| t.parse::<u64>().ok()));
        let policy = Arc::new(Policy::default());
        prop_assert_eq!(run(&policy, &lines), run(&policy, &lines));
    }

    #[test]
    fn interleaving_does_not_change_session_kills(
        sessions in proptest::collection::vec(proptest::collection::vec(step(), 1..60), 2..6),
        seed in any::<u64>(),
    ) {
        let policy = session_local_policy();
        let per_session: Vec<Vec<String>> =
            sessions.iter().enumerate().map(|(sid, steps)| session_lines(sid, steps, 1_767_225_600_000)).collect();
        // Interleaving A: session after session. B: a seeded shuffle that
        // keeps each session's own order.
        let a: Vec<String> = per_session.iter().flatten().cloned().collect();
        let mut cursors = vec![0usize; per_session.len()];
        let mut b = Vec::new();
        let mut x = seed | 1;
        while b.len() < a.len() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            let k = (x % per_session.len() as u64) as usize;
            if cursors[k] < per_session[k].len() {
                b.push(per_session[k][cursors[k]].clone());
                cursors[k] += 1;
            }
        }
        let kills = |lines: &[String]| -> BTreeSet<(String, String, String)> {
            let mut e = engine(&policy);
            let mut signals = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                e.process_record(l.as_bytes(), SourcePos::File { file: "p".into(), line: i as u64 }, 0, &mut signals);
            }
            signals
                .iter()
                .filter(|s| s.action == Action::Kill && s.scope == Scope::Session)
                .map(|s| (s.session_id.as_deref().unwrap_or("").to_string(), s.reason.as_str().to_string(), s.trigger_event_id.to_string()))
                .collect()
        };
        prop_assert_eq!(kills(&a), kills(&b));
    }
}
