//! Command-line interface: the clap definitions of every subcommand. Each
//! flag of `watch` also reads an environment variable (`RUNAWAY_…`) and a
//! config-file key of the same name.
//!
//! Owns: argument parsing only; `main.rs` dispatches, the library works.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

#[derive(Debug, Parser)]
#[command(name = "runaway", version, about = "Stops runaway spend of AI agent fleets while it happens")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch a stream of usage events and emit kill/pause/throttle/alert signals.
    Watch(WatchArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Generate a simulated agent fleet with labeled runaways (NDJSON or Kafka).
    Simulate(SimulateArgs),
    /// Replay labeled events through the detector and score it against static caps.
    Eval(EvalArgs),
    /// Showback/chargeback from the archive: spend, sessions, kills, enforcement lag.
    Report(ReportArgs),
    /// Daily spend per group from the archive, forecast with trend and weekly seasonality.
    Forecast(ForecastArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration `watch` would run with (file < env < flags) and print
    /// it and the effective policy. Exit 0 when valid, 2 when not.
    Check(ConfigCheckArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ConfigCheckArgs {
    /// Config file (TOML); same as --config.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format: toml or json.
    #[arg(long, default_value = "toml", value_parser = ["toml", "json"])]
    pub format: String,
    #[command(flatten)]
    pub watch: WatchArgs,
}

#[derive(Debug, Args, Clone)]
pub struct SimulateArgs {
    /// Events output file, NDJSON, or `-` for standard output.
    #[arg(long, env = "RUNAWAY_SIM_OUT", required_unless_present = "brokers")]
    pub out: Option<PathBuf>,
    /// Labels output file, NDJSON (one line per session).
    #[arg(long, env = "RUNAWAY_SIM_LABELS")]
    pub labels: Option<PathBuf>,
    /// Top-level sessions to simulate (sub-agent sessions come on top).
    #[arg(long, env = "RUNAWAY_SIM_SESSIONS", default_value_t = 2000)]
    pub sessions: u32,
    /// Span over which sessions start, hours.
    #[arg(long, env = "RUNAWAY_SIM_HOURS", default_value_t = 24.0)]
    pub hours: f64,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, env = "RUNAWAY_SIM_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Event time of the span start (RFC 3339); default 2026-01-05T00:00:00Z.
    #[arg(long, env = "RUNAWAY_SIM_START")]
    pub start: Option<String>,
    /// Kafka bootstrap servers: produce to Kafka instead of writing --out.
    /// Its own variable: `RUNAWAY_BROKERS`, exported for `watch`, must not
    /// turn a simulation to a file into one to a broker.
    #[arg(long, env = "RUNAWAY_SIM_BROKERS", conflicts_with = "out")]
    pub brokers: Option<String>,
    /// Topic to produce to (Kafka mode).
    #[arg(long, env = "RUNAWAY_TOPIC", default_value = "agent.events")]
    pub topic: String,
    /// Events per second (Kafka mode; 0 = as fast as possible).
    #[arg(long, env = "RUNAWAY_SIM_RATE", default_value_t = 0.0)]
    pub rate: f64,
}

#[derive(Debug, Args, Clone)]
pub struct EvalArgs {
    /// Events file (NDJSON), e.g. from `runaway simulate`.
    #[arg(long)]
    pub events: PathBuf,
    /// Labels file (NDJSON) from `runaway simulate`.
    #[arg(long)]
    pub labels: PathBuf,
    /// Policy file (TOML); built-in defaults without it.
    #[arg(long, env = "RUNAWAY_POLICY")]
    pub policy: Option<PathBuf>,
    /// Output format: table or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// What the offline commands read: which archive, grouped how, over when.
#[derive(Debug, Args, Clone)]
pub struct ArchiveQuery {
    /// Archive directory written by `watch --archive`.
    #[arg(long, env = "RUNAWAY_ARCHIVE")]
    pub archive: PathBuf,
    /// Group by: team, agent, task_type, tenant, feature, env, model, day
    /// (UTC date; report only) or label:KEY (a key of the events' labels).
    #[arg(long, default_value = "team")]
    pub by: String,
    /// Event time from (inclusive): YYYY-MM-DD or RFC 3339.
    #[arg(long)]
    pub from: Option<String>,
    /// Event time to (exclusive): YYYY-MM-DD or RFC 3339.
    #[arg(long)]
    pub to: Option<String>,
}

/// Arguments of `runaway report`.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    #[command(flatten)]
    pub query: ArchiveQuery,
    /// Output format: table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Minutes a killed session is assumed to have kept spending at its own
    /// pre-kill rate, for the "spend stopped" estimate (0 to 10080, a week).
    #[arg(long, default_value_t = 60.0)]
    pub stop_horizon_minutes: f64,
}

/// Arguments of `runaway forecast`.
#[derive(Debug, Args, Clone)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub query: ArchiveQuery,
    /// Days to forecast after the last day of data, e.g. 30d.
    #[arg(long, default_value = "30d")]
    pub horizon: String,
    /// GROUP=USD: spend the group may make over the horizon, counted from the
    /// first forecast day (the day after the last complete day; a partial
    /// last day is the first forecast day, what it has spent included);
    /// once per group, repeatable for other groups.
    #[arg(long = "budget", value_name = "GROUP=USD")]
    pub budgets: Vec<String>,
    /// Output format: table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Also write an SVG chart of history, forecast and interval.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Leave out spend after a kill (outcome `after_kill`): forecast the
    /// fleet as if every kill had been enforced at once. For an archive of
    /// a replay, where kills were decided but nothing enforced them.
    #[arg(long)]
    pub without_after_kill: bool,
    /// Central coverage of the prediction interval.
    #[arg(long, default_value_t = 0.9)]
    pub interval: f64,
}

#[derive(Debug, Args, Clone, Default)]
pub struct WatchArgs {
    /// Config file (TOML); its keys are the long flags with `_` for `-`.
    #[arg(long, env = "RUNAWAY_CONFIG", value_parser = any_path())]
    pub config: Option<PathBuf>,
    /// NDJSON input file, or `-` for standard input (file mode).
    #[arg(long, env = "RUNAWAY_INPUT")]
    pub input: Option<String>,
    /// Signals output file, NDJSON (file mode).
    #[arg(long, env = "RUNAWAY_SIGNALS", value_parser = any_path())]
    pub signals: Option<PathBuf>,
    /// Dead-letter output file, NDJSON (file mode; default beside --signals).
    #[arg(long, env = "RUNAWAY_DLQ", value_parser = any_path())]
    pub dlq: Option<PathBuf>,
    /// Archive directory (Parquet, Hive-partitioned).
    #[arg(long, env = "RUNAWAY_ARCHIVE", value_parser = any_path())]
    pub archive: Option<PathBuf>,
    /// Policy file (TOML); built-in defaults without it.
    #[arg(long, env = "RUNAWAY_POLICY", value_parser = any_path())]
    pub policy: Option<PathBuf>,
    /// Price catalog (LiteLLM's model_prices_and_context_window.json format), laid over the
    /// embedded one: its entries are added, replacing embedded entries of the same name.
    #[arg(long, env = "RUNAWAY_PRICES", value_parser = any_path())]
    pub prices: Option<PathBuf>,
    /// Kafka bootstrap servers (Kafka mode).
    #[arg(long, env = "RUNAWAY_BROKERS")]
    pub brokers: Option<String>,
    /// Consumer group id (default `runaway`).
    #[arg(long, env = "RUNAWAY_GROUP")]
    pub group: Option<String>,
    /// Events topic (default `agent.events`).
    #[arg(long, env = "RUNAWAY_TOPIC")]
    pub topic: Option<String>,
    /// Kill topic signals are produced to (default `agent.kill`).
    #[arg(long, env = "RUNAWAY_KILL_TOPIC")]
    pub kill_topic: Option<String>,
    /// Dead-letter topic (default `agent.events.dlq`).
    #[arg(long, env = "RUNAWAY_DLQ_TOPIC")]
    pub dlq_topic: Option<String>,
    /// librdkafka property, `key=value`; repeatable (SASL, TLS, tuning).
    #[arg(long = "kafka", value_name = "KEY=VALUE", env = "RUNAWAY_KAFKA", value_delimiter = ';')]
    pub kafka: Vec<String>,
    /// Log level or RUST_LOG-style directive (default info; RUST_LOG wins when set).
    #[arg(long, env = "RUNAWAY_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Log format: human or json.
    #[arg(long, env = "RUNAWAY_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Serve Prometheus metrics, /healthz and /readyz on HOST:PORT.
    #[arg(long, env = "RUNAWAY_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// Kafka mode: /readyz is 200 once every assigned partition lags by at most this many messages (default 1000).
    #[arg(long, env = "RUNAWAY_READY_MAX_LAG")]
    pub ready_max_lag: Option<String>,
    /// Live policy reload: on (file watch and SIGHUP; default), sighup (SIGHUP only), off.
    #[arg(long, env = "RUNAWAY_POLICY_RELOAD")]
    pub policy_reload: Option<String>,
}

/// A path parser that lets an empty value through, so configuration
/// validation refuses it naming the key, flag and variable (clap's own
/// `PathBuf` parser names only the flag, also for an empty `RUNAWAY_…`).
fn any_path() -> impl TypedValueParser<Value = PathBuf> {
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

impl WatchArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            input: self.input.clone(),
            signals: self.signals.clone(),
            dlq: self.dlq.clone(),
            archive: self.archive.clone(),
            policy: self.policy.clone(),
            prices: self.prices.clone(),
            brokers: self.brokers.clone(),
            group: self.group.clone(),
            topic: self.topic.clone(),
            kill_topic: self.kill_topic.clone(),
            dlq_topic: self.dlq_topic.clone(),
            log_level: self.log_level.clone(),
            log_format: self.log_format.clone(),
            metrics_addr: self.metrics_addr.clone(),
            ready_max_lag: self.ready_max_lag.clone(),
            policy_reload: self.policy_reload.clone(),
            kafka: self.kafka.clone(),
        }
    }
}
