//! Prices events from a model price catalog in the format of LiteLLM's
//! `model_prices_and_context_window.json` (the upstream file is accepted
//! unchanged; `models/` ships a trimmed copy, embedded in the binary).
//!
//! Owns: catalog parsing, model-name resolution (provider prefixes, dated
//! snapshots), the cost formula, and the documented behaviour for models the
//! catalog lacks: they are priced at the fallback rates (never free), and
//! each such model is reported once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::event::{Event, EventKind};

/// The catalog shipped in `models/`, embedded so the binary needs no files.
pub const EMBEDDED_CATALOG: &str = include_str!("../models/model_prices_and_context_window.json");

/// Per-token prices of one model, USD.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ModelPrice {
    #[serde(default)]
    pub input_cost_per_token: f64,
    #[serde(default)]
    pub output_cost_per_token: f64,
    #[serde(default)]
    pub cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    pub cache_creation_input_token_cost: Option<f64>,
    #[serde(default)]
    pub output_cost_per_reasoning_token: Option<f64>,
}

impl ModelPrice {
    /// Cost of one call. Cached reads default to the input price and cache
    /// writes to the input price when the catalog gives no separate rate;
    /// reasoning tokens are billed on top of `output_tokens` at the
    /// reasoning rate, or the output rate when none is given.
    pub fn cost(&self, e: &Event) -> f64 {
        let cache_read = self.cache_read_input_token_cost.unwrap_or(self.input_cost_per_token);
        let cache_write = self.cache_creation_input_token_cost.unwrap_or(self.input_cost_per_token);
        let reasoning = self.output_cost_per_reasoning_token.unwrap_or(self.output_cost_per_token);
        e.input_tokens as f64 * self.input_cost_per_token
            + e.output_tokens as f64 * self.output_cost_per_token
            + e.cache_read_tokens as f64 * cache_read
            + e.cache_write_tokens as f64 * cache_write
            + e.reasoning_tokens as f64 * reasoning
    }

    /// The model's list price: USD for one input and one output token.
    /// What it costs per call depends on the call; this does not, so it
    /// tells a pricier model from a bigger or uncached context.
    pub fn list_price(&self) -> f64 {
        self.input_cost_per_token + self.output_cost_per_token
    }
}

/// Where an event's cost came from (archived beside the cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// `cost_usd` on the event.
    Reported,
    /// Priced from the catalog.
    Catalog,
    /// Model missing from the catalog: priced at the fallback rates.
    Fallback,
    /// Nothing to price (a tool call or handoff without `cost_usd`).
    Unpriced,
}

impl CostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Reported => "reported",
            CostSource::Catalog => "catalog",
            CostSource::Fallback => "fallback",
            CostSource::Unpriced => "unpriced",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read price catalog {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("price catalog {path} is not a JSON object of models: {message}")]
    Parse { path: String, message: String },
    #[error("price catalog {path} has no priced models")]
    Empty { path: String },
    #[error("price catalog {path}: model `{model}` has {field} = {value}; a price per token must be at least 0 and at most {MAX_PRICE_PER_TOKEN} USD")]
    InvalidPrice { path: String, model: String, field: &'static str, value: f64 },
}

/// Highest price per token a catalog may state: over a thousand times the
/// priciest model's output rate. A larger figure is a unit mistake (USD per
/// million tokens) that would make every call cost thousands.
pub const MAX_PRICE_PER_TOKEN: f64 = 1.0;

impl ModelPrice {
    /// The first rate that is negative, not finite or past
    /// [`MAX_PRICE_PER_TOKEN`]: a negative price would turn spend negative
    /// and hide a runaway from every budget.
    fn invalid_rate(&self) -> Option<(&'static str, f64)> {
        [
            ("input_cost_per_token", Some(self.input_cost_per_token)),
            ("output_cost_per_token", Some(self.output_cost_per_token)),
            ("cache_read_input_token_cost", self.cache_read_input_token_cost),
            ("cache_creation_input_token_cost", self.cache_creation_input_token_cost),
            ("output_cost_per_reasoning_token", self.output_cost_per_reasoning_token),
        ]
        .into_iter()
        .find_map(|(field, v)| v.filter(|v| !(0.0..=MAX_PRICE_PER_TOKEN).contains(v)).map(|v| (field, v)))
    }
}

/// Rates applied to models the catalog lacks: deliberately those of a
/// premium model, so an unknown model is over- rather than under-counted.
pub const FALLBACK_PRICE: ModelPrice = ModelPrice {
    input_cost_per_token: 15.0e-6,
    output_cost_per_token: 75.0e-6,
    cache_read_input_token_cost: Some(1.5e-6),
    cache_creation_input_token_cost: Some(18.75e-6),
    output_cost_per_reasoning_token: None,
};

/// A loaded catalog plus a cache of resolved model names.
#[derive(Debug, Clone)]
pub struct Catalog {
    models: HashMap<String, ModelPrice>,
    resolved: FxHashMap<Arc<str>, Resolved>,
    fallback: ModelPrice,
    source: String,
}

/// Result of pricing one event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    pub cost_usd: f64,
    pub source: CostSource,
    /// The catalog's [`ModelPrice::list_price`] of the event's model, also
    /// when the cost was reported; 0 when the catalog lacks the model or
    /// the event names none.
    pub list_price: f64,
}

/// A model seen for the first time that the catalog does not know; the
/// shell logs and counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownModel(pub Arc<str>);

impl Catalog {
    /// The embedded catalog from `models/`.
    pub fn embedded() -> Catalog {
        // The embedded file is checked by a unit test; if it were ever
        // broken the binary would still price every model at the fallback.
        Catalog::parse(EMBEDDED_CATALOG, "embedded models/").unwrap_or_else(|_| Catalog {
            models: HashMap::new(),
            resolved: FxHashMap::default(),
            fallback: FALLBACK_PRICE,
            source: "empty".into(),
        })
    }

    /// Loads a catalog file (LiteLLM's file unchanged, or ours).
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read { path: path.display().to_string(), source })?;
        Catalog::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Catalog, CatalogError> {
        let raw: HashMap<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| CatalogError::Parse { path: origin.to_string(), message: e.to_string() })?;
        let mut models = HashMap::with_capacity(raw.len());
        for (name, v) in raw {
            // LiteLLM's file carries a `sample_spec` documentation entry and
            // non-token-priced models (images, audio); keep what prices tokens.
            if name == "sample_spec" {
                continue;
            }
            let has_token_price = v.get("input_cost_per_token").is_some_and(|x| x.is_number())
                || v.get("output_cost_per_token").is_some_and(|x| x.is_number());
            if !has_token_price {
                continue;
            }
            if let Ok(p) = serde_json::from_value::<ModelPrice>(v) {
                if let Some((field, value)) = p.invalid_rate() {
                    return Err(CatalogError::InvalidPrice { path: origin.to_string(), model: name, field, value });
                }
                models.insert(name.to_ascii_lowercase(), p);
            }
        }
        if models.is_empty() {
            return Err(CatalogError::Empty { path: origin.to_string() });
        }
        Ok(Catalog { models, resolved: FxHashMap::default(), fallback: FALLBACK_PRICE, source: origin.to_string() })
    }

    pub fn len(&self) -> usize {
        self.models.len()
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Looks a model up, trying the names it is commonly written under.
    pub fn lookup(&self, model: &str, provider: Option<&str>) -> Option<ModelPrice> {
        for candidate in candidates(model, provider) {
            if let Some(p) = self.models.get(&candidate) {
                return Some(*p);
            }
        }
        None
    }

    /// Prices one event. Returns the price and, the first time a model is
    /// missing from the catalog on an event it had to price, that model's
    /// name.
    pub fn price(&mut self, e: &Event) -> (Priced, Option<UnknownModel>) {
        let Some(model) = &e.model else {
            let priced = match e.cost_usd {
                Some(c) => Priced { cost_usd: c, source: CostSource::Reported, list_price: 0.0 },
                None => Priced { cost_usd: 0.0, source: CostSource::Unpriced, list_price: 0.0 },
            };
            return (priced, None);
        };
        if e.cost_usd.is_none() && e.kind != EventKind::Llm && e.input_tokens + e.output_tokens + e.cache_read_tokens == 0 {
            return (Priced { cost_usd: 0.0, source: CostSource::Unpriced, list_price: 0.0 }, None);
        }
        let resolved = match self.resolved.get_mut(model) {
            Some(r) => r,
            None => {
                let price = self.lookup(model, e.provider.as_deref());
                self.resolved.entry(model.clone()).or_insert(Resolved { price, warned: false })
            }
        };
        let list_price = resolved.price.map_or(0.0, |p| p.list_price());
        if let Some(c) = e.cost_usd {
            return (Priced { cost_usd: c, source: CostSource::Reported, list_price }, None);
        }
        match resolved.price {
            Some(p) => (Priced { cost_usd: p.cost(e), source: CostSource::Catalog, list_price }, None),
            None => {
                let first_miss = (!std::mem::replace(&mut resolved.warned, true)).then(|| UnknownModel(model.clone()));
                (Priced { cost_usd: self.fallback.cost(e), source: CostSource::Fallback, list_price }, first_miss)
            }
        }
    }
}

/// A model name as resolved in the catalog, and whether its absence was
/// reported.
#[derive(Debug, Clone, Copy)]
struct Resolved {
    price: Option<ModelPrice>,
    warned: bool,
}

/// Names to try for a model: as given, with/without a provider prefix, and
/// without a dated snapshot suffix (`-2024-08-06`, `-20241022`, `@20241022`).
fn candidates(model: &str, provider: Option<&str>) -> Vec<String> {
    let m = model.trim().to_ascii_lowercase();
    let mut out = vec![m.clone()];
    let bare = m.rsplit_once('/').map(|(_, b)| b.to_string());
    if let Some(b) = &bare {
        out.push(b.clone());
    }
    if let Some(p) = provider {
        out.push(format!("{}/{}", p.to_ascii_lowercase(), bare.as_deref().unwrap_or(&m)));
    }
    let base = bare.unwrap_or(m);
    if let Some(stripped) = strip_snapshot(&base) {
        out.push(stripped.clone());
        if let Some(p) = provider {
            out.push(format!("{}/{}", p.to_ascii_lowercase(), stripped));
        }
    }
    // LiteLLM keys some providers' models only under a prefix
    // (`mistral/mistral-large-latest`); a bare name given without a
    // provider is tried under those prefixes last.
    let unprefixed: Vec<String> = out.iter().filter(|c| !c.contains('/')).cloned().collect();
    for c in unprefixed {
        for prefix in PREFIXED_PROVIDERS {
            out.push(format!("{prefix}/{c}"));
        }
    }
    out
}

/// Providers whose models LiteLLM's catalog lists under a `provider/` key.
const PREFIXED_PROVIDERS: &[&str] = &["mistral", "gemini", "deepseek", "xai", "groq"];

fn strip_snapshot(m: &str) -> Option<String> {
    if let Some((head, tail)) = m.rsplit_once('@') {
        if tail.chars().all(|c| c.is_ascii_digit()) {
            return Some(head.to_string());
        }
    }
    // -YYYY-MM-DD. `get`, not indexing: in a non-ASCII name the cut may fall
    // inside a character (and then there is no ASCII date suffix anyway).
    if let Some(tail) = m.len().checked_sub(11).filter(|&n| n > 0).and_then(|n| m.get(n..)) {
        let tb = tail.as_bytes();
        if tb[0] == b'-' && tb[5] == b'-' && tb[8] == b'-' && tail[1..].bytes().filter(|c| c.is_ascii_digit()).count() == 8 {
            return Some(m[..m.len() - 11].to_string());
        }
    }
    // -YYYYMMDD
    if let Some(tail) = m.len().checked_sub(9).filter(|&n| n > 0).and_then(|n| m.get(n..)) {
        if tail.starts_with('-') && tail[1..].bytes().all(|c| c.is_ascii_digit()) {
            return Some(m[..m.len() - 9].to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_covers_the_main_families() {
        let c = Catalog::parse(EMBEDDED_CATALOG, "embedded").unwrap();
        for m in [
            "gpt-4o",
            "gpt-4o-mini",
            "claude-sonnet-4-5",
            "claude-opus-4-1",
            "claude-3-5-haiku-20241022",
            "gemini-2.5-pro",
            "mistral/mistral-large-latest",
            // Bare names of models LiteLLM lists only under a provider prefix.
            "mistral-large-latest",
            "Mistral-Large-Latest",
        ] {
            assert!(c.lookup(m, None).is_some(), "{m} missing");
        }
        assert!(c.lookup("gpt-4o-2024-08-06", None).is_some());
        assert!(c.lookup("claude-sonnet-4-5-20250929", None).is_some());
        assert!(c.lookup("claude-sonnet-4-5-20991231", None).is_some(), "dated snapshot falls back to its family");
        assert!(c.lookup("anthropic/claude-sonnet-4-5@20991231", None).is_some());
        assert!(c.lookup("mistral-large-latest", Some("mistral")).is_some());
        assert!(c.models.keys().any(|k| k.contains("llama")), "no Meta Llama model");
    }

    #[test]
    fn non_ascii_model_names_do_not_panic() {
        let c = Catalog::parse(EMBEDDED_CATALOG, "embedded").unwrap();
        for m in ["gpt-4o-mini-2024-07-1é", "claude-é-2025092", "é-20250929", "ééééééé", "a-2024-08-0é"] {
            let _ = c.lookup(m, Some("openai"));
            let _ = strip_snapshot(m);
        }
        assert_eq!(strip_snapshot("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o"));
        assert_eq!(strip_snapshot("é-20241022").as_deref(), Some("é"));
        assert_eq!(strip_snapshot("-20241022"), None);
    }
}
