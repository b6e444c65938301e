//! The input of the archive bench and `examples/profile_archive.rs` (included
//! with `#[path]`, not a bench itself): N NDJSON events 10 ms apart from a
//! few agents and teams.

use std::io::Write;
use std::path::Path;

pub const N: usize = 200_000;

pub fn line(i: usize) -> String {
    let ts = 1_795_000_000_000_i64 + i as i64 * 10;
    format!(
        r#"{{"event_id":"ev-{i}","ts":{ts},"session_id":"s-{s}","agent_id":"agent-{a}","task_type":"t{t}","team":"team-{a}","tenant":"ten-{t}","env":"prod","kind":"llm","model":"gpt-4o-mini","provider":"openai","input_tokens":{it},"output_tokens":{ot},"tool":"search","args_hash":"h{h}","latency_ms":{l},"labels":{{"region":"eu"}}}}"#,
        s = i / 25,
        a = i % 13,
        t = i % 5,
        it = 100 + i % 1000,
        ot = 10 + i % 100,
        h = i % 50,
        l = 200 + i % 300
    )
}

/// Writes the N lines to `dir/in.ndjson` and returns its path.
#[allow(dead_code)]
pub fn write_input(dir: &Path) -> String {
    let input = dir.join("in.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).expect("create input"));
    for i in 0..N {
        writeln!(f, "{}", line(i)).expect("write input");
    }
    f.flush().expect("flush input");
    input.to_str().expect("utf-8 temp path").to_string()
}
