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
