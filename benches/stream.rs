//! A deterministic, realistic mixed event stream shared by the benches and
//! the profiling example (included with `#[path]`, not a bench itself).

pub const EVENTS: usize = 200_000;

/// A deterministic fleet: 4,000 interleaved sessions of 40 agents on 8 task
/// types; LLM calls (some with `cost_usd`, most priced from the catalog),
/// tool calls with arguments, a few handoffs and failed calls. No session
/// names a parent (`parent_session_id`): the sub-agent tree path (one more
/// map lookup per event of a child session, a walk up its tree when it
/// opens) is not in these figures.
pub fn stream() -> Vec<String> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral/mistral-large-latest"];
    let tools = ["read_file", "search", "edit_file", "run_tests", "web_search", "fetch_page"];
    let mut step = vec![0u64; 4000];
    let mut out = Vec::with_capacity(EVENTS);
    let t0 = 1_767_225_600_000u64;
    for i in 0..EVENTS as u64 {
        let s = rnd(4000) as usize;
        step[s] += 1;
        let agent = s % 40;
        let tt = s % 8;
        let ts = t0 + i * 20;
        let head = format!(
            r#""event_id":"ev-{i}","ts":{ts},"session_id":"sess-{s}","agent_id":"agent-{agent}","task_type":"task-{tt}","task_id":"task-{}","team":"team-{}","tenant":"tenant-{}""#,
            s / 3,
            agent % 5,
            agent % 3
        );
        let line = match rnd(10) {
            0..=4 => {
                let tool = tools[rnd(tools.len() as u64) as usize];
                let tokens = 2000 + step[s] * 600 + rnd(500);
                if rnd(4) == 0 {
                    format!(
                        r#"{{{head},"kind":"llm","model":"{}","provider":"openai","input_tokens":{tokens},"output_tokens":{},"cost_usd":{:.6},"tool":"{tool}","args_hash":"h{}","latency_ms":900}}"#,
                        models[agent % 5],
                        200 + rnd(300),
                        tokens as f64 * 2.5e-6,
                        rnd(100_000)
                    )
                } else {
                    format!(
                        r#"{{{head},"kind":"llm","model":"{}","input_tokens":{tokens},"output_tokens":{},"cache_read_tokens":{},"tool":"{tool}","args_hash":"h{}","latency_ms":900}}"#,
                        models[agent % 5],
                        200 + rnd(300),
                        rnd(1000),
                        rnd(100_000)
                    )
                }
            }
            5..=8 => {
                let status = if rnd(30) == 0 { "error" } else { "ok" };
                format!(
                    r#"{{{head},"kind":"tool","tool":"{}","args_hash":"h{}","status":"{status}","latency_ms":40}}"#,
                    tools[rnd(tools.len() as u64) as usize],
                    rnd(100_000)
                )
            }
            _ => format!(r#"{{{head},"kind":"handoff","target_agent_id":"agent-{}"}}"#, rnd(40)),
        };
        out.push(line);
    }
    out
}
