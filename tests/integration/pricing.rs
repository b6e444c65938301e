//! Pricing, data-driven from `tests/data/pricing_cases.tsv`: each event's
//! cost and its source, priced with an unchanged subset of LiteLLM's file.

use runaway::pricing::Catalog;

fn catalog() -> Catalog {
    Catalog::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/prices_litellm_subset.json")))
        .expect("LiteLLM-format catalog loads as-is (sample_spec and image models included)")
}

fn check(catalog: &mut Catalog, raw: &str, expected_cost: f64, expected_source: &str) {
    let e = runaway::decode(raw.as_bytes()).expect("case decodes");
    let (priced, _) = catalog.price(&e);
    assert!((priced.cost_usd - expected_cost).abs() < 1e-12, "cost {} != {expected_cost} for {raw}", priced.cost_usd);
    assert_eq!(priced.source.as_str(), expected_source, "source for {raw}");
}

#[test]
fn pricing_cases() {
    let mut c = catalog();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pricing_cases.tsv")).expect("cases");
    let mut n = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let mut parts = line.splitn(3, '\t');
        let (cost, source, raw) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        check(&mut c, raw, cost.parse().expect("cost"), source);
        n += 1;
    }
    assert!(n >= 10);
}

#[test]
fn unknown_model_is_reported_once() {
    let mut c = catalog();
    let raw = br#"{"event_id":"u","ts":1,"session_id":"s","agent_id":"a","model":"mystery-1","input_tokens":10}"#;
    let e = runaway::decode(raw).expect("decodes");
    assert!(c.price(&e).1.is_some(), "first sight is reported");
    assert!(c.price(&e).1.is_none(), "then not again");
    assert!(c.price(&e).0.cost_usd > 0.0, "never free");
}

#[test]
fn a_model_whose_entry_lacks_a_rate_the_call_needs_is_reported_once_and_never_free() {
    let mut c = catalog();
    // twelvelabs.pegasus-1-2-v1:0 states an output rate and no input rate.
    let output_only =
        br#"{"event_id":"o","ts":1,"session_id":"s","agent_id":"a","model":"twelvelabs.pegasus-1-2-v1:0","output_tokens":10}"#;
    let with_input = br#"{"event_id":"i","ts":2,"session_id":"s","agent_id":"a","model":"twelvelabs.pegasus-1-2-v1:0","input_tokens":10}"#;
    let (priced, unknown) = c.price(&runaway::decode(output_only).expect("decodes"));
    assert_eq!((priced.source.as_str(), unknown), ("catalog", None), "the rate it has prices what it can");
    let (priced, unknown) = c.price(&runaway::decode(with_input).expect("decodes"));
    assert_eq!(priced.source.as_str(), "fallback");
    assert!(priced.cost_usd > 0.0 && unknown.is_some(), "priced at the fallback and reported");
    assert!(c.price(&runaway::decode(with_input).expect("decodes")).1.is_none(), "then not again");
    assert_eq!(c.price(&runaway::decode(with_input).expect("decodes")).0.list_price, 0.0, "no list price without an input rate");
    // A stated 0 is a free model, not a missing rate.
    let free = br#"{"event_id":"f","ts":3,"session_id":"s","agent_id":"a","model":"codestral/codestral-latest","input_tokens":10}"#;
    let (priced, unknown) = c.price(&runaway::decode(free).expect("decodes"));
    assert_eq!((priced.cost_usd, priced.source.as_str(), unknown), (0.0, "catalog", None));
}

#[test]
fn an_unknown_model_first_seen_with_a_reported_cost_is_still_reported_when_it_must_be_priced() {
    let mut c = catalog();
    let reported = br#"{"event_id":"r","ts":1,"session_id":"s","agent_id":"a","model":"mystery-2","input_tokens":10,"cost_usd":0.5}"#;
    let unpriced = br#"{"event_id":"u","ts":2,"session_id":"s","agent_id":"a","model":"mystery-2","input_tokens":10}"#;
    let (priced, unknown) = c.price(&runaway::decode(reported).expect("decodes"));
    assert_eq!((priced.cost_usd, priced.list_price, unknown), (0.5, 0.0, None), "a reported cost needs no catalog");
    assert!(c.price(&runaway::decode(unpriced).expect("decodes")).1.is_some(), "the first event priced at the fallback reports it");
}

#[test]
fn the_list_price_is_the_models_whatever_the_call_and_also_beside_a_reported_cost() {
    let mut c = catalog();
    let small = br#"{"event_id":"a","ts":1,"session_id":"s","agent_id":"a","model":"gpt-4o","input_tokens":10,"output_tokens":1}"#;
    let cached = br#"{"event_id":"b","ts":1,"session_id":"s","agent_id":"a","model":"gpt-4o","input_tokens":10,"cache_read_tokens":90000,"output_tokens":800}"#;
    let reported = br#"{"event_id":"c","ts":1,"session_id":"s","agent_id":"a","model":"gpt-4o","input_tokens":10,"cost_usd":9.0}"#;
    // gpt-4o in the subset: $2.50 in, $10 out per million tokens.
    for raw in [&small[..], &cached[..], &reported[..]] {
        let list = c.price(&runaway::decode(raw).expect("decodes")).0.list_price;
        assert!((list - 12.5e-6).abs() < 1e-15, "list price {list} for {}", String::from_utf8_lossy(raw));
    }
    let tool = br#"{"event_id":"d","ts":1,"session_id":"s","agent_id":"a","kind":"tool","tool":"search"}"#;
    assert_eq!(c.price(&runaway::decode(tool).expect("decodes")).0.list_price, 0.0);
}

#[test]
fn a_catalog_with_a_negative_or_absurd_price_is_refused_naming_it() {
    for (json, field, value) in [
        (r#"{"m": {"input_cost_per_token": -1, "output_cost_per_token": 0.00001}}"#, "input_cost_per_token", "-1"),
        (r#"{"m": {"input_cost_per_token": 0.000003, "output_cost_per_token": 15.0}}"#, "output_cost_per_token", "15"),
        (r#"{"m": {"input_cost_per_token": 0.000003, "output_cost_per_token": 1e306}}"#, "output_cost_per_token", "1e306"),
        (
            r#"{"m": {"input_cost_per_token": 0.000003, "cache_read_input_token_cost": -0.0000003}}"#,
            "cache_read_input_token_cost",
            "-0.0000003",
        ),
        (
            r#"{"m": {"input_cost_per_token": 0.000003, "input_cost_per_token_above_200k_tokens": 6.0}}"#,
            "input_cost_per_token_above_200k_tokens",
            "6",
        ),
    ] {
        let err = Catalog::parse(json, "p.json").expect_err(json).to_string();
        assert!(err.contains("model `m`") && err.contains(field) && err.contains(&format!("= {}", value.parse::<f64>().unwrap())), "{err}");
    }
    assert!(
        Catalog::parse(r#"{"m": {"input_cost_per_token": 0, "output_cost_per_token": 1.0}}"#, "p.json").is_ok(),
        "free and $1 per token are the bounds"
    );
}

#[test]
fn a_prices_file_is_laid_over_the_embedded_catalog() {
    // `--prices` with a file of one in-house model and one override: both
    // priced from the file, every other embedded model still from the
    // embedded catalog (a replaced catalog priced them at the fallback).
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prices.json");
    std::fs::write(
        &path,
        r#"{"in-house-llm-v2": {"input_cost_per_token": 1e-7, "output_cost_per_token": 2e-7},
            "GPT-4o": {"input_cost_per_token": 1e-6, "output_cost_per_token": 4e-6}}"#,
    )
    .expect("write");
    let mut c = Catalog::embedded_with(&path).expect("loads");
    assert!(c.source().contains("prices.json") && c.source().contains("embedded"), "{}", c.source());
    assert_eq!(c.len(), Catalog::embedded().len() + 1, "one model added, one replaced");
    for (model, want, source) in [
        ("in-house-llm-v2", 1000.0 * 1e-7 + 100.0 * 2e-7, "catalog"),
        ("openai/gpt-4o", 1000.0 * 1e-6 + 100.0 * 4e-6, "catalog"),
        ("claude-sonnet-4-5", 1000.0 * 3e-6 + 100.0 * 15e-6, "catalog"),
    ] {
        let raw = format!(
            r#"{{"event_id":"x","ts":1,"session_id":"s","agent_id":"a","model":"{model}","input_tokens":1000,"output_tokens":100}}"#
        );
        check(&mut c, &raw, want, source);
    }
    assert!(Catalog::embedded_with(&dir.path().join("missing.json")).is_err(), "a file that cannot be read is still refused");
}
