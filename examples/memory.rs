//! Memory harness for the detector's bounded state (issue 7). Not a test:
//! it measures and prints, it does not pass or fail on timing.
//!
//! Two phases, each in a fresh child process so one's heap does not blur
//! the other's RSS (read from /proc/self/status VmRSS):
//!
//! * `tracked`: N distinct live sessions (default 1,000,000), K events each
//!   (default 4: LLM and tool calls), all inside the idle TTL so nothing is
//!   evicted. Reports RSS growth and `approx_state_bytes` per tracked session.
//! * `flood`: M distinct session ids (default 10,000,000), one event each,
//!   inside the idle TTL, with `global.max_sessions` = C (default 100,000).
//!   Samples RSS as it goes: it must plateau under the cap's budget.
//!
//! Run: `cargo run --release --example memory` (both phases), or
//! `cargo run --release --example memory -- tracked --sessions 1000000 --events 4`
//! `cargo run --release --example memory -- flood --flood 10000000 --cap 100000`

use std::sync::Arc;
use std::time::Instant;

use runaway::{decode, Detector, Event, EventKind, Policy, Signal};

const BYTES_PER_SESSION_TARGET: f64 = 512.0;
const TRACKED_RSS_TARGET: u64 = 1 << 30;

struct Args {
    phase: Option<String>,
    sessions: u64,
    events: u64,
    flood: u64,
    cap: u32,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { phase: None, sessions: 1_000_000, events: 4, flood: 10_000_000, cap: 100_000 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next().and_then(|v| v.replace('_', "").parse().ok()).ok_or(format!("{name} needs a number"))
        };
        match arg.as_str() {
            "tracked" | "flood" => a.phase = Some(arg),
            "--sessions" => a.sessions = num("--sessions")?,
            "--events" => a.events = num("--events")?.max(1),
            "--flood" => a.flood = num("--flood")?,
            "--cap" => a.cap = u32::try_from(num("--cap")?).map_err(|_| "--cap too large".to_string())?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// A realistic 36-character session id (UUID-shaped).
fn session_id(n: u64) -> Arc<str> {
    Arc::from(format!("{:08x}-0000-4000-8000-{:012x}", n >> 16, n).as_str())
}

struct Templates {
    llm: Event,
    tool: Event,
}

fn templates() -> Templates {
    let llm = decode(
        br#"{"event_id":"t","ts":0,"session_id":"s","agent_id":"agent-7","task_type":"research","model":"gpt-4o","cost_usd":0.0001,"input_tokens":1200,"output_tokens":300}"#,
    )
    .expect("template event decodes");
    let tool = decode(
        br#"{"event_id":"t","ts":0,"session_id":"s","agent_id":"agent-7","task_type":"research","kind":"tool","tool":"web_search","args_hash":"h0","cost_usd":0.0}"#,
    )
    .expect("template event decodes");
    Templates { llm, tool }
}

fn make_event(t: &Templates, session: &Arc<str>, n: u64, round: u64, ts_ms: i64) -> Event {
    let mut e = if round % 2 == 0 { t.llm.clone() } else { t.tool.clone() };
    e.event_id = Arc::from(format!("{session}-{n}").as_str());
    e.session_id = session.clone();
    e.ts_ms = ts_ms;
    if e.kind == EventKind::Tool {
        // Distinct arguments per call, so no loop detector fires.
        e.args_hash = Some(Arc::from(format!("h{round}").as_str()));
    }
    e
}

const BASE_TS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn tracked(a: &Args) {
    let t = templates();
    let policy = Policy::default();
    let mut d = Detector::new(Arc::new(policy));
    let mut out: Vec<Signal> = Vec::new();
    let base = rss_bytes();
    let ids: Vec<Arc<str>> = (0..a.sessions).map(session_id).collect();
    let total = a.sessions * a.events;
    // Spread every event within 20 minutes of event time: all sessions stay
    // live under the 30-minute idle TTL, so this measures tracked state.
    let step_per_event = (20.0 * 60_000.0) / total as f64;
    let start = Instant::now();
    let mut n = 0u64;
    for round in 0..a.events {
        for id in &ids {
            let ts = BASE_TS + (n as f64 * step_per_event) as i64;
            let e = make_event(&t, id, n, round, ts);
            d.process(&e, e.cost_usd.unwrap_or(0.0), &mut out);
            out.clear();
            n += 1;
        }
    }
    let elapsed = start.elapsed();
    // The session ids are held by the harness too; drop our copies so RSS
    // counts only what the detector keeps (its keys share these Arcs).
    drop(ids);
    let after = rss_bytes();
    let sizes = d.sizes();
    let stats = d.stats();
    let grown = after.saturating_sub(base);
    let approx = d.approx_state_bytes() as f64;
    println!(
        "phase tracked: {} sessions x {} events = {} events in {:.1}s ({:.0} events/s)",
        a.sessions,
        a.events,
        total,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  tracked sessions {}  baselines {}  dedupe ids {}  evicted idle {} cap {}",
        sizes.sessions, sizes.baselines, sizes.dedupe_ids, stats.sessions_evicted_idle, stats.sessions_evicted_cap
    );
    println!("  VmRSS {:.1} MiB total (target <= {:.0} MiB)", mib(after), mib(TRACKED_RSS_TARGET));
    println!("  VmRSS growth / tracked session     {:.0} B (everything: ids, sessions, dedupe ids, expiry queue, allocator slack; target <= 512 B)",
        grown as f64 / sizes.sessions.max(1) as f64);
    println!("  approx_state_bytes / session       {:.0} B (the detector's own estimate)", approx / sizes.sessions.max(1) as f64);
    println!("  (VmRSS at start {:.1} MiB; growth {:.1} MiB)", mib(base), mib(grown));
    let ok = after <= TRACKED_RSS_TARGET && grown as f64 / sizes.sessions.max(1) as f64 <= BYTES_PER_SESSION_TARGET;
    println!("  verdict: {}", if ok { "within target" } else { "OVER target" });
}

fn flood(a: &Args) {
    let t = templates();
    let mut policy = Policy::default();
    policy.global.max_sessions = a.cap;
    let dedupe = policy.global.dedupe_capacity as u64;
    let mut d = Detector::new(Arc::new(policy));
    let mut out: Vec<Signal> = Vec::new();
    let base = rss_bytes();
    // Budget: the cap at 512 B a session, dedupe ids at 32 B each (two
    // generations of u64 hash sets), plus what the process held before.
    let budget = base + a.cap as u64 * 512 + dedupe * 32;
    let step = (25.0 * 60_000.0) / a.flood as f64; // inside the idle TTL: only the cap evicts
    let start = Instant::now();
    let mut peak = 0u64;
    let report_every = (a.flood / 10).max(1);
    println!("phase flood: {} distinct sessions, max_sessions {}, dedupe_capacity {}", a.flood, a.cap, dedupe);
    for n in 0..a.flood {
        let id = session_id(n);
        let e = make_event(&t, &id, n, 0, BASE_TS + (n as f64 * step) as i64);
        d.process(&e, e.cost_usd.unwrap_or(0.0), &mut out);
        out.clear();
        if (n + 1) % report_every == 0 {
            let rss = rss_bytes();
            peak = peak.max(rss);
            let s = d.sizes();
            println!(
                "  after {:>10} events: VmRSS {:>7.1} MiB  approx_state {:>6.1} MiB  tracked {:>8}  dedupe ids {:>8}  evicted cap {}",
                n + 1,
                mib(rss),
                mib(d.approx_state_bytes() as u64),
                s.sessions,
                s.dedupe_ids,
                d.stats().sessions_evicted_cap
            );
        }
    }
    let elapsed = start.elapsed();
    println!(
        "  {:.1}s ({:.0} events/s); peak VmRSS {:.1} MiB; budget {:.1} MiB (start {:.1} + cap x 512 B + dedupe x 32 B)",
        elapsed.as_secs_f64(),
        a.flood as f64 / elapsed.as_secs_f64(),
        mib(peak),
        mib(budget),
        mib(base)
    );
    println!("  verdict: {}", if peak <= budget { "within budget" } else { "OVER budget" });
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("memory: {e}");
            std::process::exit(2);
        }
    };
    match a.phase.as_deref() {
        Some("tracked") => tracked(&a),
        Some("flood") => flood(&a),
        _ => {
            // Each phase in its own process: RSS does not shrink back reliably.
            let exe = std::env::current_exe().expect("own path");
            let passthrough: Vec<String> = std::env::args().skip(1).collect();
            for phase in ["tracked", "flood"] {
                let status = std::process::Command::new(&exe).arg(phase).args(&passthrough).status();
                if !status.map(|s| s.success()).unwrap_or(false) {
                    eprintln!("memory: phase {phase} failed");
                    std::process::exit(1);
                }
            }
        }
    }
}
