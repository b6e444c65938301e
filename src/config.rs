//! The main job's configuration: one path, defaults < config file (`--config`)
//! < environment (`RUNAWAY_…`) < flags, validated once at start-up.
//!
//! Owns: the configuration schema, layering and validation. Clap gives the
//! flag and environment layers (each flag has an env var); this module puts
//! the file layer beneath them and the defaults beneath that.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    /// Valid TOML with a value of the wrong type or an unknown key.
    #[error("config file {path}: {message}")]
    Value { path: String, message: String },
    #[error("config key `{key}` (flag --{flag}, env {env}) = {value} is invalid: {allowed}", flag = key.replace('_', "-"), env = env_var(key))]
    Invalid { key: String, value: String, allowed: String },
    #[error("{0}")]
    Missing(String),
    #[error("cannot render the configuration: {0}")]
    Render(String),
}

/// The config file. Every key is optional; keys match the long flags with
/// `-` written as `_`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub input: Option<String>,
    pub signals: Option<PathBuf>,
    pub dlq: Option<PathBuf>,
    pub archive: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub prices: Option<PathBuf>,
    pub brokers: Option<String>,
    pub group: Option<String>,
    pub topic: Option<String>,
    pub kill_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub metrics_addr: Option<String>,
    /// Kafka mode is ready (`/readyz`) once every assigned partition lags by at most this many messages.
    pub ready_max_lag: Option<u64>,
    /// Live policy reload: `on` (file watch and SIGHUP), `sighup` (SIGHUP only), `off`.
    pub policy_reload: Option<String>,
    /// librdkafka properties passed through unchanged (SASL, TLS, tuning).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kafka: BTreeMap<String, String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        toml::from_str(&text).map_err(|e| {
            let path = path.display().to_string();
            if text.parse::<toml::Table>().is_err() {
                ConfigError::Parse { path, message: e.to_string() }
            } else if e.message().starts_with("unknown field") {
                // Serde's message already lists the keys there are.
                ConfigError::Value { path, message: e.to_string() }
            } else {
                ConfigError::Value { path, message: format!("{}{e}", key_hint(&text, e.span())) }
            }
        })
    }
}

/// Whether two paths name one regular file: by their canonical form (a
/// file not there yet by its folder's, so `q/s.ndjson` and
/// `./q/../q/s.ndjson` are one file before either exists), else as written
/// relative to the working directory. A device or pipe (`/dev/null` for
/// both outputs) holds nothing to destroy.
fn same_file(a: &Path, b: &Path) -> bool {
    fn resolved(p: &Path) -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let name = p.file_name()?;
        let folder = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        folder.canonicalize().ok().map(|d| d.join(name))
    }
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y && std::fs::metadata(&x).map_or(true, |m| m.is_file()),
        _ => {
            let abs = |p: &Path| std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf());
            let (x, y) = (abs(a), abs(b));
            x.components().collect::<Vec<_>>() == y.components().collect::<Vec<_>>()
        }
    }
}

/// "key `ready_max_lag` (flag --ready-max-lag, env RUNAWAY_READY_MAX_LAG): "
/// for an error on a top-level key's line, so a value with the wrong type
/// says where else that setting can be given; empty when the key cannot be
/// told from the text.
fn key_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(at) = span.map(|s| s.start).filter(|&at| at <= text.len() && text.is_char_boundary(at)) else { return String::new() };
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let Some((key, _)) = line.split_once('=') else { return String::new() };
    let key = key.trim().trim_matches('"');
    let section = before[..line_start].lines().rev().map(str::trim).find(|l| l.starts_with('['));
    match section {
        None if !key.is_empty() => format!("key `{key}` (flag --{}, env {}): ", key.replace('_', "-"), env_var(key)),
        Some("[kafka]") => format!("librdkafka property `{key}` in [kafka]: "),
        _ => String::new(),
    }
}

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Input {
    /// An NDJSON file, or standard input for `-`.
    File(String),
    Kafka(KafkaConfig),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KafkaConfig {
    pub brokers: String,
    pub group: String,
    pub topic: String,
    pub kill_topic: String,
    pub dlq_topic: String,
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        }
    }
}

/// How the policy file is reloaded while running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyReload {
    /// Watch the file for changes, and reload on SIGHUP.
    On,
    /// Reload on SIGHUP only (for filesystems without change notification).
    Sighup,
    /// Never reload; SIGHUP is logged and ignored.
    Off,
}

impl PolicyReload {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyReload::On => "on",
            PolicyReload::Sighup => "sighup",
            PolicyReload::Off => "off",
        }
    }

    fn parse(s: &str) -> Result<PolicyReload, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" | "watch" => Ok(PolicyReload::On),
            "sighup" | "signal" => Ok(PolicyReload::Sighup),
            "off" | "false" | "no" | "0" => Ok(PolicyReload::Off),
            _ => Err(ConfigError::Invalid {
                key: "policy_reload".into(),
                value: format!("{s:?}"),
                allowed: "on (file watch and SIGHUP), sighup (SIGHUP only) or off".into(),
            }),
        }
    }
}

/// The environment variable that sets config key `key`.
pub fn env_var(key: &str) -> String {
    format!("RUNAWAY_{}", key.to_ascii_uppercase())
}

/// The validated configuration of `runaway watch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchConfig {
    pub input: Input,
    /// Signals NDJSON file (file mode).
    pub signals: Option<PathBuf>,
    /// Dead letters NDJSON file (file mode).
    pub dlq: Option<PathBuf>,
    pub archive: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub prices: Option<PathBuf>,
    pub log_level: String,
    pub log_format: LogFormat,
    pub metrics_addr: Option<String>,
    /// Largest consumer lag (messages, per partition) at which Kafka mode reports ready.
    pub ready_max_lag: u64,
    pub policy_reload: PolicyReload,
}

pub const DEFAULT_GROUP: &str = "runaway";
pub const DEFAULT_TOPIC: &str = "agent.events";
pub const DEFAULT_KILL_TOPIC: &str = "agent.kill";
pub const DEFAULT_DLQ_TOPIC: &str = "agent.events.dlq";
pub const DEFAULT_LOG_LEVEL: &str = "info";
pub const DEFAULT_READY_MAX_LAG: u64 = 1000;

/// Flag and environment layer (from clap): `None` where neither was given.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub input: Option<String>,
    pub signals: Option<PathBuf>,
    pub dlq: Option<PathBuf>,
    pub archive: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub prices: Option<PathBuf>,
    pub brokers: Option<String>,
    pub group: Option<String>,
    pub topic: Option<String>,
    pub kill_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub metrics_addr: Option<String>,
    /// Text from a flag or the environment; validated in `resolve`.
    pub ready_max_lag: Option<String>,
    pub policy_reload: Option<String>,
    /// `key=value` librdkafka properties; later ones win.
    pub kafka: Vec<String>,
}

impl WatchConfig {
    /// Layers `over` (flags and env) on `file` on the defaults, and
    /// validates the result.
    pub fn resolve(file: FileConfig, over: Overrides) -> Result<WatchConfig, ConfigError> {
        // An empty value is never what was meant (`archive = ""` wrote the
        // archive into the working directory): refused from every source,
        // naming the one it came from.
        let paths = [
            ("input", over.input.as_deref().map(Path::new), file.input.as_deref().map(Path::new)),
            ("signals", over.signals.as_deref(), file.signals.as_deref()),
            ("dlq", over.dlq.as_deref(), file.dlq.as_deref()),
            ("archive", over.archive.as_deref(), file.archive.as_deref()),
            ("policy", over.policy.as_deref(), file.policy.as_deref()),
            ("prices", over.prices.as_deref(), file.prices.as_deref()),
        ];
        for (key, from_over, from_file) in paths {
            refuse_blank(key, from_over.map(Path::as_os_str), from_file.map(Path::as_os_str), "a path; leave the key out for its default")?;
        }
        let names = [
            ("group", &over.group, &file.group, DEFAULT_GROUP),
            ("topic", &over.topic, &file.topic, DEFAULT_TOPIC),
            ("kill_topic", &over.kill_topic, &file.kill_topic, DEFAULT_KILL_TOPIC),
            ("dlq_topic", &over.dlq_topic, &file.dlq_topic, DEFAULT_DLQ_TOPIC),
        ];
        for (key, from_over, from_file, default) in names {
            let allowed = format!("a non-empty Kafka name; leave the key out for the default `{default}`");
            refuse_blank(key, from_over.as_deref().map(OsStr::new), from_file.as_deref().map(OsStr::new), &allowed)?;
        }
        let input = over.input.or(file.input);
        let brokers = over.brokers.or(file.brokers);
        let log_level = over.log_level.or(file.log_level).unwrap_or_else(|| DEFAULT_LOG_LEVEL.to_string());
        validate_level(&log_level)?;
        // Case-insensitive like every other word-valued key (`policy_reload`, `log_level`).
        let log_format = match over.log_format.or(file.log_format).map(|f| f.trim().to_ascii_lowercase()).as_deref() {
            None | Some("human") | Some("text") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid { key: "log_format".into(), value: format!("{other:?}"), allowed: "human or json".into() })
            }
        };
        let metrics_addr = over.metrics_addr.or(file.metrics_addr);
        if let Some(a) = &metrics_addr {
            // A host name is resolved when bound (a bind failure is a configuration error too).
            let host_port =
                a.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && !h.contains(char::is_whitespace) && p.parse::<u16>().is_ok());
            if a.parse::<std::net::SocketAddr>().is_err() && !host_port {
                return Err(ConfigError::Invalid {
                    key: "metrics_addr".into(),
                    value: format!("{a:?}"),
                    allowed: "HOST:PORT, e.g. 127.0.0.1:9464 or localhost:9464".into(),
                });
            }
        }
        let ready_max_lag = match over.ready_max_lag {
            Some(text) => text.trim().parse::<u64>().map_err(|_| ConfigError::Invalid {
                key: "ready_max_lag".into(),
                value: format!("{text:?}"),
                allowed: "a whole number of messages >= 0, e.g. 1000".into(),
            })?,
            None => file.ready_max_lag.unwrap_or(DEFAULT_READY_MAX_LAG),
        };
        let policy_reload = match over.policy_reload.or(file.policy_reload) {
            Some(text) => PolicyReload::parse(&text)?,
            None => PolicyReload::On,
        };
        // Checked in file mode too: a typo there should not wait for the
        // day the same configuration runs against a broker.
        let mut properties = file.kafka;
        // `RUNAWAY_KAFKA='a=1;b=2;'`: a trailing (or doubled) separator
        // leaves an empty item, which is no property at all.
        for kv in over.kafka.iter().filter(|kv| !kv.trim().is_empty()) {
            // The entry is not echoed: `sasl.password:secret` is a
            // mistyped secret, not text for a log.
            let (k, v) = kv.split_once('=').ok_or_else(|| ConfigError::Invalid {
                key: "kafka".into(),
                value: format!("an entry of {} characters without `=` (withheld: it may hold a secret)", kv.chars().count()),
                allowed: "key=value, e.g. security.protocol=SASL_SSL".into(),
            })?;
            properties.insert(k.trim().to_string(), v.trim().to_string());
        }
        let input = match (input, brokers) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: "input".into(),
                    value: "both input and brokers".into(),
                    allowed: "either --input (file mode) or --brokers (Kafka mode), not both".into(),
                })
            }
            (Some(path), None) => Input::File(path),
            (None, Some(brokers)) => {
                if brokers.trim().is_empty() {
                    return Err(ConfigError::Invalid {
                        key: "brokers".into(),
                        value: "\"\"".into(),
                        allowed: "HOST:PORT[,HOST:PORT…]".into(),
                    });
                }
                Input::Kafka(KafkaConfig {
                    brokers,
                    group: over.group.or(file.group).unwrap_or_else(|| DEFAULT_GROUP.into()),
                    topic: over.topic.or(file.topic).unwrap_or_else(|| DEFAULT_TOPIC.into()),
                    kill_topic: over.kill_topic.or(file.kill_topic).unwrap_or_else(|| DEFAULT_KILL_TOPIC.into()),
                    dlq_topic: over.dlq_topic.or(file.dlq_topic).unwrap_or_else(|| DEFAULT_DLQ_TOPIC.into()),
                    properties,
                })
            }
            (None, None) => {
                return Err(ConfigError::Missing("no input: give --input FILE|- (file mode) or --brokers HOST:PORT (Kafka mode)".into()))
            }
        };
        let signals = over.signals.or(file.signals);
        let mut dlq = over.dlq.or(file.dlq);
        if let Input::File(input_path) = &input {
            let Some(sig) = &signals else {
                return Err(ConfigError::Missing("file mode needs --signals FILE for the signals it writes".into()));
            };
            if dlq.is_none() {
                let dir = sig.parent().map(Path::to_path_buf).unwrap_or_default();
                dlq = Some(dir.join("dead-letters.ndjson"));
            }
            // Outputs are truncated at start: one naming the input (or the
            // other output) would destroy it.
            let named = [
                ("input", Some(input_path.as_str()).filter(|p| *p != "-").map(Path::new)),
                ("signals", Some(sig.as_path())),
                ("dlq", dlq.as_deref()),
            ];
            for (i, (a, pa)) in named.iter().enumerate() {
                for (b, pb) in &named[i + 1..] {
                    if let (Some(pa), Some(pb)) = (pa, pb) {
                        if same_file(pa, pb) {
                            return Err(ConfigError::Invalid {
                                key: b.to_string(),
                                value: format!("{:?}", pb.display().to_string()),
                                allowed: format!("a file other than the {a} file (outputs are rewritten from the start)"),
                            });
                        }
                    }
                }
            }
        }
        Ok(WatchConfig {
            input,
            signals,
            dlq,
            archive: over.archive.or(file.archive),
            policy: over.policy.or(file.policy),
            prices: over.prices.or(file.prices),
            log_level,
            log_format,
            metrics_addr,
            ready_max_lag,
            policy_reload,
        })
    }

    /// The effective configuration written back as a config file: every
    /// key set, defaults included, so it can be read again with `--config`.
    /// Secret-looking librdkafka properties are masked (see [`is_secret_key`]).
    pub fn to_file_config(&self) -> FileConfig {
        let mut out = FileConfig {
            input: None,
            signals: self.signals.clone(),
            dlq: self.dlq.clone(),
            archive: self.archive.clone(),
            policy: self.policy.clone(),
            prices: self.prices.clone(),
            brokers: None,
            group: None,
            topic: None,
            kill_topic: None,
            dlq_topic: None,
            log_level: Some(self.log_level.clone()),
            log_format: Some(self.log_format.as_str().to_string()),
            metrics_addr: self.metrics_addr.clone(),
            ready_max_lag: Some(self.ready_max_lag),
            policy_reload: Some(self.policy_reload.as_str().to_string()),
            kafka: BTreeMap::new(),
        };
        match &self.input {
            Input::File(path) => out.input = Some(path.clone()),
            Input::Kafka(k) => {
                out.brokers = Some(k.brokers.clone());
                out.group = Some(k.group.clone());
                out.topic = Some(k.topic.clone());
                out.kill_topic = Some(k.kill_topic.clone());
                out.dlq_topic = Some(k.dlq_topic.clone());
                out.kafka = k
                    .properties
                    .iter()
                    .map(|(key, v)| (key.clone(), if is_secret_key(key) { "***".to_string() } else { v.clone() }))
                    .collect();
            }
        }
        out
    }
}

/// The text `runaway config check` prints for a valid configuration: the
/// effective configuration (a config file in its own right, in the TOML
/// form) and the effective policy, as TOML or as one JSON document.
pub fn check_report(
    cfg: &WatchConfig,
    policy: &crate::policy::Policy,
    catalog: &crate::pricing::Catalog,
    json: bool,
) -> Result<String, ConfigError> {
    let render = |e: &dyn std::fmt::Display| ConfigError::Render(e.to_string());
    let effective = cfg.to_file_config();
    if json {
        let doc = serde_json::json!({
            "valid": true,
            "config": effective,
            "policy": policy,
            "prices": { "source": catalog.source(), "models": catalog.len() },
        });
        return serde_json::to_string_pretty(&doc).map(|t| t + "\n").map_err(|e| render(&e));
    }
    let config_toml = toml::to_string(&effective).map_err(|e| render(&e))?;
    let policy_toml = toml::to_string(policy).map_err(|e| render(&e))?;
    let origin = cfg.policy.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "built-in".into());
    Ok(format!(
        "# runaway config check: valid\n# price catalog: {} ({} models)\n#\n\
         # ---- effective configuration (defaults < config file < environment < flags) ----\n{config_toml}\n\
         # ---- effective policy (from {origin}) ----\n{policy_toml}",
        catalog.source(),
        catalog.len()
    ))
}

/// `config check` with nothing to watch (no input, no brokers, no config
/// file): the policy (a file's or the built-in one) and the price catalog
/// alone.
pub fn policy_check_report(
    origin: Option<&str>,
    policy: &crate::policy::Policy,
    catalog: &crate::pricing::Catalog,
    json: bool,
) -> Result<String, ConfigError> {
    let render = |e: &dyn std::fmt::Display| ConfigError::Render(e.to_string());
    if json {
        let doc = serde_json::json!({
            "valid": true,
            "policy": policy,
            "prices": { "source": catalog.source(), "models": catalog.len() },
        });
        return serde_json::to_string_pretty(&doc).map(|t| t + "\n").map_err(|e| render(&e));
    }
    let policy_toml = toml::to_string(policy).map_err(|e| render(&e))?;
    let what = match origin {
        Some(path) => format!("policy {path} is valid"),
        None => "no policy file given: the built-in policy".to_string(),
    };
    Ok(format!(
        "# runaway config check: {what}\n\
         # price catalog: {} ({} models)\n\
         # no input given: only the policy and prices were checked; `watch` also needs \
         --input FILE|- (file mode) or --brokers HOST:PORT (Kafka mode)\n\n{policy_toml}",
        catalog.source(),
        catalog.len()
    ))
}

/// librdkafka properties whose values must not be printed or logged.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // `ssl.key.pem` is a private key inline; `sasl.oauthbearer.config` may carry a client secret.
    ["password", "secret", "token", "private", "sasl.jaas", "key.pem", "ssl_key", "keystore", "oauthbearer.config"]
        .iter()
        .any(|w| k.contains(w))
}

/// Refuses an empty (or blank) value of `key` from the flag/environment
/// layer, or else from the config file.
fn refuse_blank(key: &str, over: Option<&OsStr>, file: Option<&OsStr>, allowed: &str) -> Result<(), ConfigError> {
    let (value, origin) = match (over, file) {
        (Some(v), _) => (v, "flag or environment"),
        (None, Some(v)) => (v, "config file"),
        (None, None) => return Ok(()),
    };
    if value.to_string_lossy().trim().is_empty() {
        return Err(ConfigError::Invalid {
            key: key.into(),
            value: format!("{:?} (from the {origin})", value.to_string_lossy()),
            allowed: allowed.into(),
        });
    }
    Ok(())
}

/// `--config FILE`: an empty one (`RUNAWAY_CONFIG=`) is refused by name
/// rather than read as a file without a name.
pub fn check_config_path(path: &Path) -> Result<(), ConfigError> {
    refuse_blank("config", Some(path.as_os_str()), None, "a config file path; leave it out for none")
}

/// `config check --policy FILE` alone: the same refusal of an empty path as
/// [`WatchConfig::resolve`] makes.
pub fn check_policy_path(path: &Path) -> Result<(), ConfigError> {
    refuse_blank("policy", Some(path.as_os_str()), None, "a path; leave the key out for its default")
}

fn validate_level(level: &str) -> Result<(), ConfigError> {
    match level.to_ascii_lowercase().as_str() {
        "trace" | "debug" | "info" | "warn" | "error" | "off" => Ok(()),
        // Full filter directives (e.g. `runaway=debug,rdkafka=warn`), each
        // parsed here: a bad one would otherwise be dropped with a warning
        // at start-up and the run go on at a level nobody asked for.
        l if l.contains('=') && tracing_subscriber::EnvFilter::try_new(level).is_ok() => Ok(()),
        _ => Err(ConfigError::Invalid {
            key: "log_level".into(),
            value: format!("{level:?}"),
            allowed: "trace, debug, info, warn, error, off, or a RUST_LOG-style directive".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_mode() -> Overrides {
        Overrides { input: Some("in.ndjson".into()), signals: Some("out/s.ndjson".into()), ..Overrides::default() }
    }

    #[test]
    fn flag_beats_file_beats_default() {
        let file = FileConfig { ready_max_lag: Some(5), policy_reload: Some("sighup".into()), ..FileConfig::default() };
        let cfg = WatchConfig::resolve(file.clone(), file_mode()).unwrap();
        assert_eq!((cfg.ready_max_lag, cfg.policy_reload), (5, PolicyReload::Sighup));
        let over = Overrides { ready_max_lag: Some("9".into()), policy_reload: Some("off".into()), ..file_mode() };
        let cfg = WatchConfig::resolve(file, over).unwrap();
        assert_eq!((cfg.ready_max_lag, cfg.policy_reload), (9, PolicyReload::Off));
        let cfg = WatchConfig::resolve(FileConfig::default(), file_mode()).unwrap();
        assert_eq!((cfg.ready_max_lag, cfg.policy_reload), (DEFAULT_READY_MAX_LAG, PolicyReload::On));
    }

    #[test]
    fn invalid_value_names_key_flag_env_value_and_allowed() {
        let over = Overrides { ready_max_lag: Some("-3".into()), ..file_mode() };
        let msg = WatchConfig::resolve(FileConfig::default(), over).unwrap_err().to_string();
        for part in ["`ready_max_lag`", "--ready-max-lag", "RUNAWAY_READY_MAX_LAG", "\"-3\"", "whole number"] {
            assert!(msg.contains(part), "{part} missing in {msg}");
        }
    }

    /// The error `FileConfig::load` gives for a file holding `text`.
    fn load_error(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runaway.toml");
        std::fs::write(&path, text).unwrap();
        FileConfig::load(&path).unwrap_err().to_string()
    }

    #[test]
    fn a_file_value_of_the_wrong_type_names_its_key_flag_and_env() {
        let check = |text: &str, want: &[&str], not: &[&str]| {
            let msg = load_error(text);
            for part in want {
                assert!(msg.contains(part), "{part} missing in {msg}");
            }
            for part in not {
                assert!(!msg.contains(part), "{part} unexpected in {msg}");
            }
        };
        let flag_env = ["key `ready_max_lag`", "--ready-max-lag", "RUNAWAY_READY_MAX_LAG", "line 2"];
        check("brokers = \"b:9092\"\nready_max_lag = \"x\"\n", &flag_env, &["not valid TOML"]);
        check("brokers = \"b:9092\"\nready_max_lag = -3\n", &flag_env, &["not valid TOML"]);
        check("[kafka]\n\"sasl.mechanism\" = 5\n", &["librdkafka property `sasl.mechanism` in [kafka]"], &["not valid TOML", "--"]);
        check("signals_file = \"x\"\n", &["unknown field `signals_file`", "expected one of"], &["not valid TOML", "--signals-file"]);
        check("ready_max_lag = \n", &["is not valid TOML", "line 1"], &[]);
    }

    #[test]
    fn an_output_naming_the_input_or_the_other_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("events.ndjson");
        std::fs::write(&input, "{}\n").unwrap();
        let at = |p: &std::path::Path| p.display().to_string();
        let run = |input: String, signals: &str, dlq: Option<&str>| {
            let over = Overrides { input: Some(input), signals: Some(signals.into()), dlq: dlq.map(Into::into), ..Overrides::default() };
            WatchConfig::resolve(FileConfig::default(), over).map(|_| ()).map_err(|e| e.to_string())
        };
        let e = run(at(&input), &at(&input), None).unwrap_err();
        assert!(e.contains("`signals`") && e.contains("other than the input"), "{e}");
        // The same file by another spelling.
        let e = run(at(&input), &format!("{}/./events.ndjson", dir.path().display()), None).unwrap_err();
        assert!(e.contains("other than the input"), "{e}");
        let e = run(at(&input), &at(&dir.path().join("s.ndjson")), Some(&at(&input))).unwrap_err();
        assert!(e.contains("`dlq`") && e.contains("other than the input"), "{e}");
        let out = at(&dir.path().join("out.ndjson"));
        let e = run(at(&input), &out, Some(&out)).unwrap_err();
        assert!(e.contains("`dlq`") && e.contains("other than the signals"), "{e}");
        // The default dead-letter file beside the signals is fine, and so is
        // standard input.
        assert_eq!(run(at(&input), &out, None), Ok(()));
        assert_eq!(run("-".into(), &out, None), Ok(()));
    }

    #[test]
    fn effective_config_reads_back_identically_and_hides_secrets() {
        let over = Overrides {
            input: None,
            brokers: Some("127.0.0.1:9092".into()),
            kafka: vec!["sasl.password=hunter2".into(), "acks=all".into(), "ssl.key.pem=-----BEGIN PRIVATE KEY-----".into()],
            ..Overrides::default()
        };
        let cfg = WatchConfig::resolve(FileConfig::default(), over).unwrap();
        let written = cfg.to_file_config();
        assert_eq!(written.kafka.get("sasl.password").map(String::as_str), Some("***"));
        assert_eq!(written.kafka.get("ssl.key.pem").map(String::as_str), Some("***"));
        assert_eq!(written.kafka.get("acks").map(String::as_str), Some("all"));
        let text = toml::to_string(&written).unwrap();
        let again: FileConfig = toml::from_str(&text).unwrap();
        let cfg2 = WatchConfig::resolve(again, Overrides::default()).unwrap();
        assert_eq!(cfg2.to_file_config(), written);
    }
}
