//! Decoding of contract §1 events, data-driven from `tests/data/decode_cases.tsv`:
//! each raw record either decodes or becomes a dead letter with its reason,
//! and a decoded one has the field values its case lists.

use runaway::{decode, Event};

fn check(raw: &str, expected: &str, fields: &str) {
    match decode(raw.as_bytes()) {
        Ok(e) => {
            assert_eq!(expected, "ok", "decoded but expected dead letter `{expected}`: {raw}");
            for pair in fields.split_whitespace() {
                let (name, want) = pair.split_once('=').expect("field=value");
                assert_eq!(field(&e, name), want, "field `{name}` of: {raw}");
            }
        }
        Err(e) => assert_eq!(e.code(), expected, "wrong reason ({e}) for: {raw}"),
    }
}

/// A decoded field as the cases write it (`-` for none).
fn field(e: &Event, name: &str) -> String {
    let text = |s: &Option<std::sync::Arc<str>>| s.as_deref().unwrap_or("-").to_string();
    match name {
        "ts" => e.ts_ms.to_string(),
        "session_id" => e.session_id.to_string(),
        "agent_id" => e.agent_id.to_string(),
        "kind" => e.kind.as_str().to_string(),
        "model" => text(&e.model),
        "provider" => text(&e.provider),
        "tool" => text(&e.tool),
        "status" => e.status.as_str().to_string(),
        "input_tokens" => e.input_tokens.to_string(),
        "output_tokens" => e.output_tokens.to_string(),
        "cache_read_tokens" => e.cache_read_tokens.to_string(),
        "cache_write_tokens" => e.cache_write_tokens.to_string(),
        "reasoning_tokens" => e.reasoning_tokens.to_string(),
        other => panic!("the cases name an unknown field `{other}`"),
    }
}

/// The cases: expected (`ok` or a reason code), the raw record, and for
/// `ok` optionally the fields to check (`name=value`, space-separated).
fn cases(text: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(|line| {
        let mut cols = line.splitn(3, '\t');
        let expected = cols.next().unwrap_or("");
        let raw = cols.next().expect("expected<TAB>raw[<TAB>fields]");
        (expected, raw, cols.next().unwrap_or(""))
    })
}

#[test]
fn decode_cases() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/decode_cases.tsv")).expect("cases");
    let mut n = 0;
    for (expected, raw, fields) in cases(&text) {
        check(raw, expected, fields);
        n += 1;
    }
    assert!(n >= 25, "only {n} cases read");
}

#[test]
fn file_mode_keeps_bad_lines_as_dead_letters_and_exits_zero() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/decode_cases.tsv")).expect("cases");
    let input: Vec<&str> = cases(&text).map(|(_, raw, _)| raw).collect();
    let bad = cases(&text).filter(|(expected, _, _)| !matches!(*expected, "ok" | "empty")).count();
    let (stderr, rows) = dead_letters_of(input.join("\n").as_bytes());
    assert_eq!(rows.len(), bad, "every bad line is a dead letter (blank lines are layout)");
    for r in &rows {
        assert!(r["raw"].is_string() && r["reason"].is_string() && r["source"]["line"].as_u64().is_some(), "{r}");
    }
    assert!(stderr.contains("dead letters"), "summary on stderr: {stderr}");
}

/// Runs file mode over `input`; it must exit 0. Returns its stderr and the
/// dead letters written beside the signals file.
fn dead_letters_of(input: &[u8]) -> (String, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("in.ndjson");
    std::fs::write(&path, input).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_runaway"))
        .args(["watch", "--input"])
        .arg(&path)
        .arg("--signals")
        .arg(dir.path().join("signals.ndjson"))
        .output()
        .expect("run runaway");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let dlq = std::fs::read_to_string(dir.path().join("dead-letters.ndjson")).expect("dlq beside signals");
    (stderr, dlq.lines().map(|l| serde_json::from_str(l).expect("dlq json")).collect())
}

#[test]
fn blank_lines_are_skipped_but_counted_in_the_summary() {
    let good = r#"{"event_id":"e1","ts":"2026-01-01T00:00:00Z","session_id":"s","agent_id":"a","model":"gpt-4o"}"#;
    let good2 = good.replace("e1", "e2");
    let (stderr, rows) = dead_letters_of(format!("{good}\n\n   \n{good2}\n\r\n").as_bytes());
    assert!(rows.is_empty(), "layout is no dead letter: {rows:?}");
    assert!(stderr.contains("records 2  events 2  duplicates 0  dead letters 0"), "{stderr}");
    assert!(stderr.contains("blank lines 3 (skipped"), "blank lines accounted for: {stderr}");
}

#[test]
fn a_record_nested_100_000_deep_is_a_dead_letter_and_the_run_goes_on() {
    let good = r#"{"event_id":"e1","ts":"2026-01-01T00:00:00Z","session_id":"s","agent_id":"a","model":"gpt-4o"}"#;
    let deep = format!(
        r#"{{"event_id":"e2","ts":"2026-01-01T00:00:00Z","session_id":"s","agent_id":"a","x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let good2 = good.replace("e1", "e3");
    let (stderr, rows) = dead_letters_of(format!("{good}\n{deep}\n{good2}\n").as_bytes());
    assert_eq!(rows.len(), 1, "{stderr}");
    assert_eq!(rows[0]["reason"], "not_json");
    assert_eq!(rows[0]["source"]["line"], 2);
    assert!(rows[0]["error"].as_str().is_some_and(|e| e.contains("nested deeper than 32")), "{}", rows[0]["error"]);
    assert!(stderr.contains("records 3  events 2  duplicates 0  dead letters 1"), "both good lines read: {stderr}");
}

#[test]
fn a_dead_letter_that_is_not_utf8_keeps_its_exact_bytes() {
    use base64::Engine as _;
    let bad: &[u8] = b"\xff\xfe{\"bad utf8\":1}";
    let (_, rows) = dead_letters_of(&[bad, b"\nnot json\n"].concat());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["reason"], "not_utf8");
    let bytes = base64::engine::general_purpose::STANDARD.decode(rows[0]["raw_base64"].as_str().expect("raw_base64")).expect("base64");
    assert_eq!(bytes, bad, "the exact bytes");
    assert!(rows[1].get("raw_base64").is_none(), "UTF-8 text needs no copy: {}", rows[1]);
    assert_eq!(rows[1]["raw"], "not json");
}

#[test]
fn epoch_seconds_sent_as_milliseconds_are_kept_and_said_once() {
    // 1772532000 is 2026-03-03 in seconds; read as milliseconds it is
    // 1970-01-21: a valid time, most likely a unit mistake.
    let line = |id: &str, ts: i64| {
        format!(r#"{{"event_id":"{id}","ts":{ts},"session_id":"s","agent_id":"a","model":"gpt-4o","input_tokens":10}}"#)
    };
    let input = format!("{}\n{}\n{}\n", line("e1", 1_772_532_000), line("e2", 1_772_532_001), line("e3", 1_772_532_000_000));
    let (stderr, rows) = dead_letters_of(input.as_bytes());
    assert!(rows.is_empty(), "kept, not dead letters: {rows:?}");
    assert!(stderr.contains("events 3"), "{stderr}");
    assert_eq!(stderr.matches("event time in 1970").count(), 1, "said once: {stderr}");
}
