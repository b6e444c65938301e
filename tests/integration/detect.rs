//! Detection decisions, data-driven: each fixture in `tests/data/detect/`
//! is replayed after the shared warm-up (or, a `budget_*` fixture, alone
//! with its own policy) and checked against its `.expect`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use runaway::{Action, Catalog, Engine, Policy, Processed, Signal, SourcePos};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/detect").join(name)
}

/// The policy a fixture is replayed with: its own `<fixture>.toml`, if it
/// has one, else the built-in one.
fn fixture_policy(fixture: &str) -> Policy {
    match std::fs::read_to_string(data(&format!("{fixture}.toml"))) {
        Ok(text) => Policy::parse(&text, &format!("{fixture}.toml")).unwrap_or_else(|e| panic!("{fixture}.toml: {e}")),
        Err(_) => Policy::default(),
    }
}

/// Replays warm-up + fixture through the engine with the default policy,
/// or a fixture with a policy of its own alone with it.
fn replay(fixture: &str) -> (Vec<Signal>, usize) {
    replay_with(fixture, fixture_policy(fixture))
}

fn replay_with(fixture: &str, policy: Policy) -> (Vec<Signal>, usize) {
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(policy));
    let mut signals = Vec::new();
    let mut dead = 0;
    let own_policy = data(&format!("{fixture}.toml")).exists();
    let fixture_file = format!("{fixture}.ndjson");
    let files = if own_policy { vec![fixture_file.as_str()] } else { vec!["warmup.ndjson", fixture_file.as_str()] };
    for file in files {
        let text = std::fs::read_to_string(data(file)).unwrap_or_else(|e| panic!("fixture {file}: {e}"));
        for (i, line) in text.lines().enumerate() {
            let pos = SourcePos::File { file: file.into(), line: i as u64 + 1 };
            if let Processed::Dead(_) = engine.process_record(line.as_bytes(), pos, 0, &mut signals) {
                dead += 1;
            }
        }
    }
    (signals, dead)
}

/// Checks a fixture against its expectations (see `gen.py`):
/// `kill <session> <reason> <max actions at kill>`, `nokill <session>`,
/// `signals <reason> <count>`, or
/// `signal <action> <reason> <trigger event id> [<field>=<value> ...]`.
fn check(fixture: &str) {
    let expect = std::fs::read_to_string(data(&format!("{fixture}.expect"))).expect("expect file");
    let (signals, dead) = replay(fixture);
    assert_eq!(dead, 0, "{fixture}: fixture lines must all decode");
    let kills: Vec<&Signal> = signals.iter().filter(|s| s.action == Action::Kill).collect();
    let warm_kills: Vec<_> = kills.iter().filter(|s| s.session_id.as_deref().is_some_and(|x| x.starts_with("warm-"))).collect();
    assert!(warm_kills.is_empty(), "{fixture}: warm-up sessions must not be killed: {warm_kills:#?}");
    for line in expect.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["nokill", session] => {
                let k: Vec<_> = kills.iter().filter(|s| s.session_id.as_deref() == Some(*session)).collect();
                assert!(k.is_empty(), "{fixture}: {session} must not be killed, got {k:#?}");
            }
            ["kill", session, reason, max_actions] => {
                let k: Vec<_> = kills.iter().filter(|s| s.session_id.as_deref() == Some(*session)).collect();
                assert_eq!(k.len(), 1, "{fixture}: {session} must be killed exactly once; signals: {signals:#?}");
                assert_eq!(k[0].reason.as_str(), *reason, "{fixture}: {session} killed for the wrong reason: {:#?}", k[0]);
                let max: u64 = max_actions.parse().expect("max actions");
                assert!(
                    k[0].session_actions <= max,
                    "{fixture}: {session} killed too late: after {} actions (allowed {max})",
                    k[0].session_actions
                );
                assert!(!k[0].evidence.is_null() && k[0].evidence.as_object().is_some_and(|o| !o.is_empty()), "evidence missing");
            }
            ["signals", reason, count] => {
                let n = signals.iter().filter(|s| s.reason.as_str() == *reason).count();
                assert_eq!(n.to_string(), *count, "{fixture}: {reason} signals; got {signals:#?}");
            }
            ["signal", action, reason, trigger, fields @ ..] => {
                let found = signals
                    .iter()
                    .find(|s| s.action.as_str() == *action && s.reason.as_str() == *reason && &*s.trigger_event_id == *trigger)
                    .unwrap_or_else(|| panic!("{fixture}: no {action} for {reason} at {trigger}; signals: {signals:#?}"));
                let json: serde_json::Value = serde_json::from_str(&found.to_json()).expect("signal JSON");
                for field in fields {
                    let (path, want) = field.split_once('=').unwrap_or_else(|| panic!("bad field {field:?}"));
                    let want: serde_json::Value =
                        serde_json::from_str(want).unwrap_or_else(|_| serde_json::Value::String(want.to_string()));
                    let got = path.split('.').fold(&json, |v, k| &v[k]);
                    assert_eq!(got, &want, "{fixture}: {path} of the {action} at {trigger}: {json:#}");
                }
            }
            other => panic!("bad expect line {other:?}"),
        }
    }
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { check(stringify!($name)); } )*
        const FIXTURES: &[&str] = &[$(stringify!($name)),*];
    };
}

/// Every `.expect` in the fixture directory has its test above: a fixture
/// written by `gen.py` but never listed would otherwise pass by not running.
#[test]
fn every_fixture_file_is_checked() {
    let dir = data("");
    let mut unlisted = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixture directory") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".expect") {
            if stem != "warmup" && !FIXTURES.contains(&stem) {
                unlisted.push(stem.to_string());
            }
        }
    }
    assert!(unlisted.is_empty(), "fixtures without a test in tests/integration/detect.rs: {unlisted:?}");
}

fixtures! {
    trap_batch_edit,
    trap_one_expensive_action,
    trap_new_agent_pricier,
    trap_escalation_burst,
    trap_provider_outage,
    trap_provider_outage_tools,
    trap_long_task_type,
    trap_legit_retries,
    trap_recovered_retries,
    trap_deployment_shift,
    trap_rollout_one_at_a_time,
    trap_planner_executor,
    trap_quick_status_poll,
    trap_ci_polling,
    trap_large_batch_edit,
    trap_long_doc_past_price_tier,
    trap_free_job_polls,
    trap_rag_embeddings,
    trap_ping_pong_spares_other_workers,
    runaway_context_growth_between_lookups,
    runaway_slow_model_loop,
    runaway_paid_render_regenerate,
    trap_overnight_job_paid_polls,
    trap_overnight_job_slept,
    trap_heartbeat_assistant,
    runaway_costly_sleep_forever,
    runaway_costly_wait_forever,
    trap_staged_rollout,
    trap_long_growing_context,
    trap_ci_sleep_tool,
    trap_ci_sleep_requested,
    trap_young_agent_starts_high,
    trap_young_batch_pipeline,
    trap_handoff_refetch,
    trap_wide_map_reduce,
    trap_orchestrator_wait,
    trap_writer_reviewer,
    trap_writer_critic_rounds,
    trap_debate_rounds,
    runaway_writer_critic_forever,
    trap_young_wide_fanout,
    trap_scroll_read,
    trap_crew_tail,
    trap_long_page_read,
    trap_censored_wide_suites,
    trap_consistency_sampler,
    trap_working_set_early,
    trap_deep_tree_type,
    trap_one_big_event_in_cheap_type,
    runaway_loop_repeat,
    runaway_harness_spin,
    runaway_young_costly_fanout,
    trap_young_cheap_wide_batch,
    runaway_ci_wait_forever_learned,
    trap_ci_long_wait_learned,
    runaway_harness_retries_forever,
    trap_retried_after_request,
    runaway_screenshot_spin,
    runaway_fanout_after_doubt,
    runaway_sampler_spin,
    runaway_context_jump_early,
    runaway_loop_burst,
    runaway_pricier_from_first_call,
    runaway_pricier_model_small_calls,
    runaway_pricier_per_token,
    trap_router_mixing_models,
    runaway_ping_pong_round,
    runaway_stuck_click,
    runaway_budget_across_pause,
    runaway_budget_across_cheap_pauses,
    runaway_loop_cycle,
    runaway_ping_pong,
    runaway_ping_pong_session,
    runaway_ping_pong_busy,
    runaway_ping_pong_busy_learned,
    runaway_poll_forever,
    runaway_nonce_loop,
    runaway_exactly_spike_ratio,
    runaway_rollout_stages_forever,
    runaway_ci_sleep_requested_forever,
    runaway_young_agent_grows_on,
    runaway_search_forever,
    runaway_cycle_slow_step,
    runaway_step_runaway,
    runaway_retry_storm,
    runaway_retry_storm_tools,
    runaway_context_growth,
    runaway_context_sawtooth,
    runaway_context_pinned,
    runaway_cost_spike,
    runaway_session_budget,
    runaway_subagent_fanout,
    runaway_recursive_fanout,
    runaway_recursive_fanout_first,
    runaway_tree_crossed_by_direct_child,
    runaway_spend_beyond_type,
    runaway_spend_past_missed_ones,
    budget_agent_quiet_gap,
    budget_agent_clock_ahead,
    budget_fleet_quiet_gap,
    budget_mixed_agent_tables,
    budget_float_boundary,
    budget_fleet_float_boundary,
    budget_fleet_rearm_zero_cost,
    budget_agent_recross,
    budget_task_tree,
}

/// Every reason `disabled` accepts switches its rule off: each is replayed
/// in a fixture where it fires, then with `[defaults] disabled = [it]`.
#[test]
fn every_disabled_name_switches_its_rule_off() {
    use runaway::Reason;
    let cases = [
        (Reason::SessionBudget, "runaway_session_budget"),
        (Reason::CostSpike, "runaway_cost_spike"),
        (Reason::LoopRepeat, "runaway_loop_repeat"),
        (Reason::LoopCycle, "runaway_loop_cycle"),
        (Reason::PingPong, "runaway_ping_pong"),
        (Reason::StepRunaway, "runaway_step_runaway"),
        (Reason::RetryStorm, "runaway_retry_storm"),
        (Reason::ContextGrowth, "runaway_context_growth"),
        (Reason::SubagentFanout, "runaway_subagent_fanout"),
        (Reason::TaskBudget, "budget_task_tree"),
        (Reason::AgentBudget, "budget_agent_recross"),
        (Reason::FleetBudget, "budget_fleet_quiet_gap"),
    ];
    assert_eq!(cases.len(), Reason::ALL.len(), "a reason without a case");
    for (reason, fixture) in cases {
        let fired = |signals: &[Signal]| signals.iter().filter(|s| s.reason == reason).count();
        let (on, _) = replay(fixture);
        assert!(fired(&on) > 0, "{fixture} must fire {}: {on:#?}", reason.as_str());
        let own = std::fs::read_to_string(data(&format!("{fixture}.toml"))).unwrap_or_default();
        let line = format!("disabled = [\"{}\"]", reason.as_str());
        let text = match own.contains("[defaults]\n") {
            true => own.replacen("[defaults]\n", &format!("[defaults]\n{line}\n"), 1),
            false => format!("{own}\n[defaults]\n{line}\n"),
        };
        let policy = Policy::parse(&text, "disabled").unwrap_or_else(|e| panic!("{text}: {e}"));
        let (off, _) = replay_with(fixture, policy);
        assert_eq!(fired(&off), 0, "{fixture} with {line}: {off:#?}");
    }
}

/// After a live reload of the window sizes, windows that existed keep
/// their size until a restart (the log says so): signals report the window
/// they summed, not the configured one.
#[test]
fn budget_signals_report_the_window_in_force_after_a_reload() {
    let policy = |text: &str| Arc::new(Policy::parse(text, "reload").expect("policy"));
    let mut engine = Engine::new(
        Catalog::embedded(),
        policy("version = \"w-1\"\n[global]\nfleet_budget_usd = 1000.0\n[defaults]\nsession_budget_usd = 0.0\nagent_budget_usd = 1000.0\n"),
    );
    let mut signals = Vec::new();
    let mut n = 0;
    let mut send = |engine: &mut Engine, signals: &mut Vec<Signal>, minute: i64, cost: f64| {
        n += 1;
        let line = format!(
            r#"{{"event_id":"e{n}","ts":{},"session_id":"s{n}","agent_id":"a","model":"gpt-4o","cost_usd":{cost}}}"#,
            1_767_225_600_000i64 + minute * 60_000 + n
        );
        engine.process_record(line.as_bytes(), SourcePos::File { file: "t".into(), line: n as u64 }, 0, signals);
    };
    send(&mut engine, &mut signals, 0, 50.0);
    engine.detector_mut().set_policy(policy(
        "version = \"w-2\"\n[global]\nfleet_budget_usd = 60.0\nfleet_window_minutes = 30\nagent_window_minutes = 30\n[defaults]\nsession_budget_usd = 0.0\nagent_budget_usd = 50.0\n",
    ));
    send(&mut engine, &mut signals, 40, 1.0);
    let fleet = signals.iter().find(|s| s.reason.as_str() == "fleet_budget").expect("fleet throttle: $51 in the 60 minutes in force");
    assert_eq!(fleet.evidence["window_minutes"], 60, "{fleet:#?}");
    assert!(fleet.message.contains("in the last 60 minutes"), "{}", fleet.message);
    let agent = signals.iter().find(|s| s.reason.as_str() == "agent_budget").expect("agent pause");
    assert_eq!(agent.evidence["window_minutes"], 60, "{agent:#?}");
}

#[test]
fn a_recursive_fanout_is_killed_by_its_whole_tree() {
    let (signals, _) = replay("runaway_recursive_fanout");
    let k = signals.iter().find(|s| s.action == Action::Kill && s.session_id.as_deref() == Some("run-recursive")).expect("kill");
    let ev = &k.evidence;
    assert_eq!((ev["descendants"].as_u64(), ev["children"].as_u64(), ev["depth"].as_u64()), (Some(9), Some(3), Some(2)), "{k:#?}");
    assert_eq!((ev["limit"].as_u64(), ev["normal_basis"].as_str()), (Some(8), Some("task_type")), "{k:#?}");
    // Below the lead, a session two levels down names the stopped ancestor.
    let below = signals.iter().find(|s| s.session_id.as_deref() == Some("run-recursive-h0-0-0")).expect("kill below");
    assert_eq!(below.evidence["stopped_ancestor_session_id"], "run-recursive", "{below:#?}");
    // Before any tree has finished, only the wide cap on whole trees holds.
    let (signals, _) = replay("runaway_recursive_fanout_first");
    let k = signals.iter().find(|s| s.session_id.as_deref() == Some("run-swarm")).expect("kill");
    let ev = &k.evidence;
    assert_eq!(
        (ev["descendants"].as_u64(), ev["limit"].as_u64(), ev["normal_basis"].as_str()),
        (Some(321), Some(320), Some("static")),
        "{k:#?}"
    );
}

#[test]
fn spend_beyond_its_type_is_killed_by_the_learned_ceiling_alone() {
    let (signals, _) = replay("runaway_spend_beyond_type");
    let k = signals.iter().find(|s| s.action == Action::Kill && s.session_id.as_deref() == Some("run-spend")).expect("kill");
    assert_eq!((k.evidence["ceiling_basis"].as_str(), k.evidence["ceiling_usd"].as_f64()), (Some("task_type"), Some(2.5)), "{k:#?}");
    assert!(k.evidence["normal_sessions"].as_u64().is_some_and(|n| n >= 50), "{k:#?}");
    // No other rule sees it in time: without the learned ceiling it runs
    // on (until its 200 calls of one tool in a row, past its type's runs).
    let off =
        Policy::parse("version = \"no-learned-ceiling\"\n[defaults]\nspend_ratio = 0\ntool_run_min_calls = 0\n", "test").expect("policy");
    let (signals, _) = replay_with("runaway_spend_beyond_type", off);
    let kills: Vec<_> = signals.iter().filter(|s| s.action == Action::Kill && s.session_id.as_deref() == Some("run-spend")).collect();
    assert!(kills.is_empty(), "{kills:#?}");
}

#[test]
fn a_pinned_context_is_killed_by_the_hold_rule_alone() {
    let (signals, _) = replay("runaway_context_pinned");
    let k = signals.iter().find(|s| s.action == Action::Kill).expect("kill");
    assert_eq!(k.evidence["held_calls"], 8, "{k:#?}");
    // Without the hold rule the climb rule (4x p95) never fires on it;
    // only step runaway stops it, twice as late.
    let off = Policy::parse("version = \"no-hold\"\n[defaults]\ngrowth_hold_calls = 0\n", "test").expect("policy");
    let (late, _) = replay_with("runaway_context_pinned", off);
    let kills: Vec<_> = late.iter().filter(|s| s.action == Action::Kill).collect();
    assert!(kills.iter().all(|s| s.reason.as_str() != "context_growth"), "{kills:#?}");
    assert!(kills.iter().all(|s| s.session_actions >= 2 * k.session_actions), "{kills:#?}");
}

#[test]
fn session_budget_kills_at_the_crossing_event() {
    let (signals, _) = replay("runaway_session_budget");
    let k = signals.iter().find(|s| s.reason.as_str() == "session_budget").expect("kill");
    // $1 per call, ceiling $25: the 26th call crosses it.
    assert_eq!(k.session_actions, 26);
    assert!(k.session_cost_usd > 25.0 && k.session_cost_usd <= 26.0);
}

#[test]
fn fleet_and_agent_budgets_throttle_then_pause() {
    let policy = Policy::parse(
        r#"
version = "budget-test"
[global]
fleet_budget_usd = 100.0
fleet_window_minutes = 60
[defaults]
agent_budget_usd = 50.0
session_budget_usd = 0.0
"#,
        "test",
    )
    .expect("policy");
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(policy));
    let mut signals = Vec::new();
    for i in 0..120u64 {
        let agent = if i % 2 == 0 { "a" } else { "b" };
        let line = format!(
            r#"{{"event_id":"e{i}","ts":{},"session_id":"s{i}","agent_id":"{agent}","model":"m","cost_usd":1.0}}"#,
            1_767_225_600_000u64 + i * 1000
        );
        engine.process_record(line.as_bytes(), SourcePos::File { file: "t".into(), line: i }, 0, &mut signals);
    }
    let got: Vec<(String, String, String)> =
        signals.iter().map(|s| (s.action.as_str().to_string(), s.scope.as_str().to_string(), s.reason.as_str().to_string())).collect();
    let expected = vec![
        ("pause".to_string(), "agent".to_string(), "agent_budget".to_string()), // agent a at its 51st dollar
        ("pause".to_string(), "agent".to_string(), "agent_budget".to_string()),
    ];
    let fleet: Vec<_> = got.iter().filter(|g| g.2 == "fleet_budget").collect();
    assert_eq!(fleet.len(), 2, "{got:?}");
    assert_eq!(fleet[0].0, "throttle");
    assert_eq!(fleet[1].0, "pause");
    let agents: Vec<_> = got.iter().filter(|g| g.2 == "agent_budget").cloned().collect();
    assert_eq!(agents, expected);
    let throttle = signals.iter().find(|s| s.action == Action::Throttle).expect("throttle");
    assert_eq!(&*throttle.trigger_event_id, "e79"); // the 80th dollar
    assert!(signals.iter().all(|s| s.policy_version == "budget-test"));
}

#[test]
fn redelivered_events_count_once_and_kill_once() {
    let (first, _) = replay("runaway_loop_repeat");
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
    let mut signals = Vec::new();
    for file in ["warmup.ndjson", "runaway_loop_repeat.ndjson"] {
        let text = std::fs::read_to_string(data(file)).expect("fixture");
        for (i, line) in text.lines().enumerate() {
            // every event delivered twice
            for _ in 0..2 {
                let pos = SourcePos::File { file: file.into(), line: i as u64 };
                engine.process_record(line.as_bytes(), pos, 0, &mut signals);
            }
        }
    }
    let strip = |v: &[Signal]| v.iter().map(|s| s.to_json()).collect::<Vec<_>>();
    assert_eq!(strip(&first), strip(&signals));
    assert_eq!(engine.detector().stats().duplicates, engine.detector().stats().events);
}

#[test]
fn a_dropped_shard_that_comes_back_rebuilds_its_state_from_a_replay() {
    // Kafka mode drops a revoked partition's sessions; when the partition
    // comes back, the shell replays its recent messages. Those must rebuild
    // state, not be skipped as redeliveries of what was dropped: the kill
    // comes exactly as in a run without the interruption.
    let text = std::fs::read_to_string(data("runaway_loop_repeat.ndjson")).expect("fixture");
    let lines: Vec<&str> = text.lines().take(40).collect();
    let pos = |i: usize| SourcePos::Kafka { topic: "t".into(), partition: 3, offset: i as i64 };
    let kills = |interrupt_after: Option<usize>| {
        let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
        let mut signals = Vec::new();
        if let Some(n) = interrupt_after {
            for (i, l) in lines.iter().enumerate().take(n) {
                engine.process_record(l.as_bytes(), pos(i), 3, &mut signals);
            }
            engine.detector_mut().drop_shard(3);
        }
        for (i, l) in lines.iter().enumerate() {
            engine.process_record(l.as_bytes(), pos(i), 3, &mut signals);
        }
        signals
            .iter()
            .filter(|s| s.action == Action::Kill)
            .map(|s| (s.reason.as_str().to_string(), s.session_actions, s.trigger_event_id.to_string()))
            .collect::<Vec<_>>()
    };
    let straight = kills(None);
    assert_eq!(straight.len(), 1, "{straight:?}");
    assert_eq!(straight[0].0, "loop_repeat");
    assert_eq!(kills(Some(14)), straight);
}

#[test]
fn a_child_replayed_after_its_partition_came_back_counts_once_toward_fan_out() {
    // Parent on partition 0; its children on partition 1, which is handed
    // away and back: the replay opens the children again. Counted twice,
    // 4 children would pass the limit of 5 here.
    let policy = Policy::parse("version = \"fanout-test\"\n[defaults]\nfanout_cap_without_baseline = 5\nfanout_min_children = 2\n", "test")
        .expect("policy");
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(policy));
    let mut signals = Vec::new();
    let mut offset = 0i64;
    let mut send = |engine: &mut Engine, signals: &mut Vec<Signal>, partition: u32, line: String| {
        offset += 1;
        let pos = SourcePos::Kafka { topic: "t".into(), partition: partition as i32, offset };
        engine.process_record(line.as_bytes(), pos, partition, signals);
    };
    let event = |id: &str, ts: u64, session: &str, parent: Option<&str>| {
        let parent = parent.map(|p| format!(r#","parent_session_id":"{p}""#)).unwrap_or_default();
        format!(
            r#"{{"event_id":"{id}","ts":{ts},"session_id":"{session}","agent_id":"planner","task_id":"t1"{parent},"model":"gpt-4o","provider":"openai","input_tokens":100,"output_tokens":10}}"#
        )
    };
    let t0 = 1_767_000_000_000u64;
    send(&mut engine, &mut signals, 0, event("p-1", t0, "parent", None));
    let children =
        |from: u64, to: u64| (from..to).map(move |c| (c, event(&format!("c{c}-1"), t0 + c * 1000, &format!("child-{c}"), Some("parent"))));
    for (_, line) in children(1, 5) {
        send(&mut engine, &mut signals, 1, line);
    }
    engine.detector_mut().drop_shard(1);
    engine.detector_mut().assign_shard(1);
    for (_, line) in children(1, 5) {
        send(&mut engine, &mut signals, 1, line);
    }
    let kills = |signals: &[Signal]| signals.iter().filter(|s| s.action == Action::Kill).count();
    assert_eq!(kills(&signals), 0, "{signals:#?}");
    // Counting still works: the 6th distinct child passes the limit.
    for (_, line) in children(5, 7) {
        send(&mut engine, &mut signals, 1, line);
    }
    let k = signals.iter().find(|s| s.action == Action::Kill).expect("fan-out kill");
    assert_eq!((k.reason.as_str(), k.session_id.as_deref()), ("subagent_fanout", Some("parent")));
    assert_eq!(k.evidence["children"], 6, "{k:#?}");
}

/// A clock far ahead on the very first event of a run, or on the first
/// event of a partition assigned later, must not carry the fleet's windows
/// into the future (every later event would be too old to count: budgets
/// and baselines dead for the rest of the run).
#[test]
fn a_first_event_far_ahead_does_not_disable_the_windows() {
    const T0: i64 = 1_767_225_600_000;
    let policy = || {
        let text = "version = \"clock\"\n[global]\nfleet_budget_usd = 10.0\nfleet_window_minutes = 60\n";
        Arc::new(Policy::parse(text, "test").expect("policy"))
    };
    let call = |id: &str, ts: i64, session: &str, cost: f64| {
        format!(r#"{{"event_id":"{id}","ts":{ts},"session_id":"{session}","agent_id":"a","model":"gpt-4o","cost_usd":{cost}}}"#)
    };
    // (shard, line) in order; returns the fleet signals as (action, trigger).
    let run = |lines: &[(u32, String)]| {
        let mut engine = Engine::new(Catalog::embedded(), policy());
        let mut signals = Vec::new();
        for (i, (shard, l)) in lines.iter().enumerate() {
            engine.detector_mut().assign_shard(*shard);
            engine.process_record(l.as_bytes(), SourcePos::File { file: "t".into(), line: i as u64 }, *shard, &mut signals);
        }
        let fleet: Vec<(String, String)> = signals
            .iter()
            .filter(|s| s.reason.as_str() == "fleet_budget")
            .map(|s| (s.action.as_str().to_string(), s.trigger_event_id.to_string()))
            .collect();
        (fleet, engine.detector().stats().events_clock_ahead)
    };
    let steady = |from: i64, to: i64, shard: u32| -> Vec<(u32, String)> {
        (from..to).map(|i| (shard, call(&format!("e{i}"), T0 + i * 10_000, &format!("S{}", i % 3), 1.0))).collect()
    };
    let clean = run(&steady(0, 20, 0));
    assert_eq!(clean.0, vec![("throttle".into(), "e7".into()), ("pause".into(), "e9".into())], "{clean:?}");

    // A clock a year ahead, first (microseconds are dead letters now): once eight events in a row
    // show the stream is far behind it, time goes back and windows count.
    let mut first = vec![(0, call("skewed", T0 + 365 * 86_400_000, "X", 1.0))];
    first.extend(steady(0, 30, 0));
    let (fleet, ahead) = run(&first);
    assert_eq!(ahead, 1);
    assert_eq!(fleet.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["throttle", "pause"], "{fleet:?}");

    // The first event of a partition assigned later is judged by the time
    // of the others: held there, it changes nothing.
    let mut later = steady(0, 3, 0);
    later.push((1, call("skewed", T0 + 365 * 86_400_000, "X", 0.001)));
    later.extend(steady(3, 20, 0));
    assert_eq!(run(&later), (clean.0.clone(), 1));
}

/// The sample fleet replayed as a Kafka consumer may see it: keyed by
/// session into `partitions` shards, read in chunks of `chunk` events per
/// shard in turn (librdkafka fetches per partition), or one whole shard
/// after the other (`chunk` 0). Returns the kills that are not propagated
/// along a tree (a child is stopped at its next event after its tree's
/// kill, so which children are depends on the interleaving).
fn sample_kills_in_partition_order(partitions: u64, chunk: usize) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson")).expect("sample");
    let mut shards: Vec<Vec<&str>> = vec![Vec::new(); partitions as usize];
    for line in text.lines() {
        let sid = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v["session_id"].as_str().map(str::to_string))
            .unwrap_or_default();
        // FNV-1a: any stable key hash partitions like a Kafka producer does.
        let h = sid.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        shards[(h % partitions) as usize].push(line);
    }
    let mut order: Vec<(u32, &str)> = Vec::new();
    if chunk == 0 {
        for (p, lines) in shards.iter().enumerate().rev() {
            order.extend(lines.iter().map(|l| (p as u32, *l)));
        }
    } else {
        let mut at = vec![0usize; shards.len()];
        while shards.iter().zip(&at).any(|(s, a)| *a < s.len()) {
            for (p, lines) in shards.iter().enumerate() {
                let end = (at[p] + chunk).min(lines.len());
                order.extend(lines[at[p]..end].iter().map(|l| (p as u32, *l)));
                at[p] = end;
            }
        }
    }
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
    for p in 0..partitions {
        engine.detector_mut().assign_shard(p as u32); // as the Kafka shell does on assignment
    }
    let mut signals = Vec::new();
    for (i, (shard, line)) in order.iter().enumerate() {
        engine.process_record(line.as_bytes(), SourcePos::File { file: "sample".into(), line: i as u64 }, *shard, &mut signals);
    }
    signals
        .iter()
        .filter(|s| s.action == Action::Kill && s.evidence.get("propagated").is_none())
        .map(|s| (s.session_id.as_deref().unwrap_or("").to_string(), s.reason.as_str().to_string()))
        .collect()
}

/// What the order partitions are read in cannot change: which sessions are
/// killed, and the loop kills (rules that read only the session's own
/// calls). A session that is a runaway on several counts may be stopped by
/// another of them first: rules judged against fleet normals (cost per
/// call, steps) and the ceiling race, and the fleet learns its normals in
/// the order it reads.
pub(crate) fn order_free(kills: &BTreeSet<(String, String)>) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let sessions = kills.iter().map(|(s, _)| s.clone()).collect();
    let loops = ["loop_repeat", "loop_cycle", "ping_pong", "retry_storm"];
    let local = kills.iter().filter(|(_, r)| loops.contains(&r.as_str())).cloned().collect();
    (sessions, local)
}

#[test]
fn partition_interleaving_keeps_the_sample_kills() {
    let file_order = sample_kills_in_partition_order(1, 0);
    assert!(file_order.iter().any(|(_, r)| r == "subagent_fanout"), "the sample has a fan-out kill: {file_order:?}");
    for (partitions, chunk) in [(2, 0), (2, 500), (2, 3000), (4, 100), (4, 0)] {
        let got = sample_kills_in_partition_order(partitions, chunk);
        assert!(got.iter().any(|(_, r)| r == "subagent_fanout"), "{got:?}");
        assert_eq!(
            order_free(&got),
            order_free(&file_order),
            "{partitions} partitions read {chunk} events at a time (0: one after the other)"
        );
    }
}

/// One event stamped far ahead (another host's clock a year wrong; a
/// timestamp in microseconds is already a dead letter) is counted at the stream's time: live sessions are not
/// ended by it. A stream that really moves on (eight events in a row past
/// `clock_jump_minutes`) does move the stream's time.
#[test]
fn one_event_far_ahead_does_not_age_the_stream_but_a_resumed_stream_does() {
    const T0: i64 = 1_767_225_600_000;
    let tool = |id: &str, ts: i64, session: &str| {
        format!(r#"{{"event_id":"{id}","ts":{ts},"session_id":"{session}","agent_id":"a","kind":"tool","tool":"t","args_hash":"{id}"}}"#)
    };
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
    let mut signals = Vec::new();
    let mut feed = |engine: &mut Engine, lines: Vec<String>| {
        for (i, l) in lines.iter().enumerate() {
            engine.process_record(l.as_bytes(), SourcePos::File { file: "t".into(), line: i as u64 }, 0, &mut signals);
        }
    };
    feed(&mut engine, (0..3).map(|i| tool(&format!("a{i}"), T0 + i * 1000, "A")).collect());
    feed(&mut engine, vec![tool("skewed", T0 + 365 * 86_400_000, "B"), tool("a3", T0 + 3000, "A")]);
    let stats = engine.detector().stats();
    assert_eq!((stats.events_clock_ahead, stats.sessions_evicted_idle), (1, 0), "{stats:?}");
    // Three hours later the fleet resumes: the first seven are held at the
    // stream's time, the eighth confirms the jump and idle A is over.
    let resumed = T0 + 3 * 3_600_000;
    feed(&mut engine, (0..8).map(|i| tool(&format!("c{i}"), resumed + i * 1000, &format!("C{i}"))).collect());
    let stats = engine.detector().stats();
    assert_eq!(stats.events_clock_ahead, 1 + 7, "{stats:?}");
    assert!(stats.sessions_evicted_idle >= 1, "A idle for three hours is evicted once the stream moved on: {stats:?}");
}
