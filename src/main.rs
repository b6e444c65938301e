//! The `runaway` binary: parse, set up logging, dispatch, map errors to
//! exit codes. Everything else lives in the library.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use clap::{CommandFactory, Parser};

use runaway::archive::{ArchiveConfig, ArchiveWriter};
use runaway::cli::{Cli, Command, ConfigCheckArgs, ConfigCommand, EvalArgs, ForecastArgs, ReportArgs, SimulateArgs, WatchArgs};
use runaway::config::{FileConfig, Input, LogFormat, PolicyReload, WatchConfig};
use runaway::file_mode::{self, FileOutputs};
use runaway::reload::PolicyWatcher;
use runaway::{Catalog, Engine, Policy};

// Writes to a closed or full stderr/stdout must not panic (`print!` does):
// the run's outputs are files and topics, and `runaway watch … | head`
// closing the pipe early is no failure of the run.

/// A line or text on stderr; a failed write is ignored (there is nowhere
/// left to report it).
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// The command's result on stdout. A reader that went away (`| head`) ends
/// the output quietly; any other failed write (a full disk) is an error.
macro_rules! show {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        match write!(out, $($arg)*).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Failure::Runtime(anyhow::Error::new(e).context("cannot write to standard output")))
            }
            _ => Ok(()),
        }
    }};
}

/// Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.
const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Watch(args) => watch(args),
        Command::Config(ConfigCommand::Check(args)) => config_check(args),
        Command::Simulate(args) => simulate(args),
        Command::Eval(args) => eval(args),
        Command::Report(args) => report(args),
        Command::Forecast(args) => forecast(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            tell!("runaway: configuration error: {}\n", describe(&e));
            ExitCode::from(EXIT_CONFIG)
        }
        Err(Failure::Runtime(e)) => {
            tell!("runaway: error: {}\n", describe(&e));
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

/// The error and its causes, each said once: many of our errors already
/// name their cause in their own message.
fn describe(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

enum Failure {
    Config(anyhow::Error),
    Runtime(anyhow::Error),
}

fn init_logging(level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colours only for a terminal: log collectors reading a pipe get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Not its own `eprintln!` of a failed write: that panics on a closed stderr.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).log_internal_errors(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

/// Resolves the configuration: defaults < file < env < flags.
fn resolve_config(args: &WatchArgs) -> Result<WatchConfig, Failure> {
    let file = match &args.config {
        Some(p) => runaway::config::check_config_path(p).and_then(|()| FileConfig::load(p)).map_err(|e| Failure::Config(e.into()))?,
        None => FileConfig::default(),
    };
    WatchConfig::resolve(file, args.overrides()).map_err(|e| Failure::Config(e.into()))
}

/// `RUNAWAY_…` variables set in the environment that no `watch` flag reads.
fn unknown_env_vars() -> Vec<String> {
    let cmd = Cli::command();
    let mut known: Vec<String> = cmd
        .find_subcommand("watch")
        .map(|w| w.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    // Archive tuning has no flag, only these variables.
    known.extend([runaway::archive::ENV_ROLL_MB, runaway::archive::ENV_ROLL_SECS, runaway::archive::ENV_ZSTD_LEVEL].map(String::from));
    let mut unknown: Vec<String> =
        std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).filter(|k| k.starts_with("RUNAWAY_") && !known.contains(k)).collect();
    unknown.sort();
    unknown
}

fn load_policy(path: Option<&std::path::Path>) -> Result<Policy, Failure> {
    match path {
        Some(p) => Policy::load(p).map_err(|e| {
            Failure::Config(anyhow::Error::from(e).context("policy (--policy, RUNAWAY_POLICY or `policy` in the config file)"))
        }),
        None => Ok(Policy::default()),
    }
}

fn load_catalog(prices: Option<&std::path::Path>) -> Result<Catalog, Failure> {
    match prices {
        Some(p) => Catalog::embedded_with(p).map_err(|e| {
            Failure::Config(anyhow::Error::from(e).context("prices (--prices, RUNAWAY_PRICES or `prices` in the config file)"))
        }),
        None => Ok(Catalog::embedded()),
    }
}

/// `runaway config check [FILE]`: validate everything `watch` would
/// validate at start-up, print the effective configuration and policy.
fn config_check(args: ConfigCheckArgs) -> Result<(), Failure> {
    let mut watch_args = args.watch;
    if args.file.is_some() {
        watch_args.config = args.file;
    }
    for var in unknown_env_vars() {
        tell!("runaway: warning: environment variable {var} is not a runaway setting (typo?)\n");
    }
    let nothing_to_watch = watch_args.input.is_none() && watch_args.brokers.is_none() && watch_args.config.is_none();
    if nothing_to_watch {
        // Checking a policy (the built-in one without --policy) and a price
        // overlay needs no input or outputs: a newcomer's first
        // `runaway config check` shows the defaults instead of failing.
        if let Some(path) = &watch_args.policy {
            runaway::config::check_policy_path(path).map_err(|e| Failure::Config(e.into()))?;
        }
        let policy = load_policy(watch_args.policy.as_deref())?;
        let catalog = load_catalog(watch_args.prices.as_deref())?;
        let origin = watch_args.policy.as_ref().map(|p| p.display().to_string());
        let report = runaway::config::policy_check_report(origin.as_deref(), &policy, &catalog, args.format == "json")
            .map_err(|e| Failure::Runtime(e.into()))?;
        show!("{report}")?;
        return Ok(());
    }
    let cfg = resolve_config(&watch_args).map_err(|e| match (e, &watch_args.config) {
        (Failure::Config(e), Some(path)) if looks_like_policy(path) => Failure::Config(e.context(format!(
            "{} looks like a policy file: check it with `runaway config check --policy {}`",
            path.display(),
            path.display()
        ))),
        (e, _) => e,
    })?;
    if let Some(dir) = &cfg.archive {
        check_archive_dir(dir)?;
        ArchiveConfig::from_env(dir.clone()).map_err(|e| Failure::Config(e.into()))?;
    }
    if let Input::Kafka(kafka) = &cfg.input {
        // librdkafka's own checks of the properties, as `watch` makes them
        // at start-up; no client is created, nothing connects.
        runaway::kafka::validate_client_configs(kafka).map_err(|e| Failure::Config(e.into()))?;
        for (key, given, used) in runaway::kafka::overridden_properties(kafka) {
            tell!("runaway: warning: Kafka property {key}={given} is ignored: at-least-once processing needs {key}={used}\n");
        }
    }
    let policy = load_policy(cfg.policy.as_deref())?;
    let catalog = load_catalog(cfg.prices.as_deref())?;
    let report = runaway::config::check_report(&cfg, &policy, &catalog, args.format == "json").map_err(|e| Failure::Runtime(e.into()))?;
    show!("{report}")?;
    Ok(())
}

/// Refuses an archive directory that cannot be one because it, or a folder
/// it would be made in, is a file: creating it failed deep in the archive
/// writer with "File exists (os error 17)".
fn check_archive_dir(dir: &std::path::Path) -> Result<(), Failure> {
    match dir.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists()) {
        Some(a) if !a.is_dir() => Err(Failure::Config(anyhow::anyhow!(
            "archive (--archive, RUNAWAY_ARCHIVE or `archive` in the config file): {} is a file, not a directory",
            a.display()
        ))),
        _ => Ok(()),
    }
}

/// A TOML file with policy tables (`[defaults]`, `[task_type.…]`, `[agent.…]`).
fn looks_like_policy(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| ["defaults", "task_type", "agent", "global"].iter().any(|k| t.contains_key(*k)))
}

fn watch(args: WatchArgs) -> Result<(), Failure> {
    let cfg = resolve_config(&args)?;
    if let Some(dir) = &cfg.archive {
        check_archive_dir(dir)?;
    }
    init_logging(&cfg.log_level, cfg.log_format);
    for var in unknown_env_vars() {
        tracing::warn!(variable = %var, "environment variable is not a runaway setting (typo?)");
    }
    let policy = Arc::new(load_policy(cfg.policy.as_deref())?);
    let catalog = load_catalog(cfg.prices.as_deref())?;
    let watcher = match &cfg.policy {
        Some(path) => Some(PolicyWatcher::start(path, policy.clone(), cfg.policy_reload).map_err(|e| Failure::Runtime(e.into()))?),
        None => {
            if cfg.policy_reload != PolicyReload::Off {
                tracing::debug!("no policy file: built-in policy, nothing to reload");
            }
            runaway::reload::ignore_sighup().map_err(|e| Failure::Runtime(e.into()))?;
            None
        }
    };
    // After the SIGHUP handler is in place: once the endpoint answers, a SIGHUP is safe.
    if let Some(addr) = &cfg.metrics_addr {
        runaway::metrics::serve(addr).map_err(|e| Failure::Config(e.into()))?;
    }
    runaway::metrics::set_ready_max_lag(cfg.ready_max_lag);
    runaway::metrics::set_policy_version(&policy.version);
    tracing::info!(policy_version = %policy.version, catalog = catalog.source(), models = catalog.len(), "starting");
    if cfg.archive.is_none() {
        // Allowed (a hook test, a dry run), but the contract's audit trail
        // and chargeback data are then kept nowhere: say so once.
        tracing::warn!("no --archive: events and signals are not archived (no audit trail, no report or forecast data)");
    }
    let mut engine = Engine::new(catalog, policy);
    match &cfg.input {
        Input::File(path) => {
            let stop = Arc::new(AtomicBool::new(false));
            let s2 = stop.clone();
            // First Ctrl-C finishes at a record boundary with outputs flushed.
            let _ = ctrlc_flag(s2);
            let outputs = FileOutputs {
                signals: cfg.signals.clone().context("signals").map_err(Failure::Config)?,
                dlq: cfg.dlq.clone().context("dlq").map_err(Failure::Config)?,
            };
            warn_before_replacing_dead_letters(&outputs);
            let mut archive = match &cfg.archive {
                Some(dir) => Some(open_file_mode_archive(dir, path)?),
                None => None,
            };
            let sink = archive.as_mut().map(|a| a as &mut dyn runaway::sink::RecordSink);
            // File mode is ready as soon as it runs.
            runaway::metrics::set_ready(true);
            let mut poll_policy = || watcher.as_ref().and_then(PolicyWatcher::try_latest);
            let result = file_mode::run_live(&mut engine, path, &outputs, sink, &|| stop.load(Ordering::Relaxed), &mut poll_policy);
            runaway::metrics::set_ready(false);
            let summary = result.map_err(|e| Failure::Runtime(e.into()))?;
            print_summary(&summary, cfg.log_format);
            Ok(())
        }
        Input::Kafka(kafka) => {
            let sink: Option<Box<dyn runaway::sink::RecordSink>> = match &cfg.archive {
                Some(dir) => {
                    let acfg = ArchiveConfig::from_env(dir).map_err(|e| Failure::Config(e.into()))?;
                    Some(Box::new(ArchiveWriter::open(acfg).map_err(|e| Failure::Runtime(e.into()))?))
                }
                None => None,
            };
            let poll_policy = || watcher.as_ref().and_then(PolicyWatcher::try_latest);
            watch_kafka(kafka, engine, sink, &poll_policy, cfg.log_format)
        }
    }
}

/// The default dead-letter file is shared by every run whose signals go to
/// the same folder (`watch --input A --signals out/a.ndjson`, then
/// `--input B --signals out/b.ndjson`), and each run rewrites it from the
/// start: say what is about to be lost, and how to keep runs apart. A
/// `--dlq` named apart from the default was chosen, like `--signals`.
fn warn_before_replacing_dead_letters(outputs: &FileOutputs) {
    // The contract (§4) fixes this name; `config` resolves `dlq` to it.
    let default = outputs.signals.parent().map(|d| d.join("dead-letters.ndjson"));
    if default.as_deref() != Some(outputs.dlq.as_path()) {
        return;
    }
    if let Some(lines) = file_mode::lines_of(&outputs.dlq) {
        tracing::warn!(
            path = %outputs.dlq.display(),
            lines,
            "{} holds {lines} dead letter(s) of an earlier run and this run replaces it (the default dead-letter file, beside the signals file, is shared by every run writing signals to that folder): give each run its own --dlq FILE to keep them",
            outputs.dlq.display()
        );
    }
}

/// Kafka mode: a tokio runtime for the shell; SIGINT/SIGTERM end the run
/// gracefully (drain, flush, commit, exit 0).
fn watch_kafka(
    kafka: &runaway::config::KafkaConfig,
    engine: Engine,
    sink: Option<Box<dyn runaway::sink::RecordSink>>,
    policy_updates: &dyn Fn() -> Option<Arc<Policy>>,
    log_format: LogFormat,
) -> Result<(), Failure> {
    // One task drives the shell; librdkafka has its own threads.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::Runtime)?;
    let summary = rt.block_on(runaway::kafka::run(kafka, engine, sink, policy_updates, shutdown_signal())).map_err(|e| {
        if e.is_config() {
            Failure::Config(e.into())
        } else {
            Failure::Runtime(e.into())
        }
    })?;
    print_summary(&summary, log_format);
    // A service's operators read the human block from its stderr whatever
    // the log format (as Kafka mode always printed it).
    if matches!(log_format, LogFormat::Json) {
        tell!("{summary}");
    }
    Ok(())
}

/// The end-of-run summary on stderr, whatever the log level: it is the
/// run's result, not a log event. In JSON mode it is one line shaped like
/// the JSON logs (`fields.message` = "run summary") with the same content
/// as the human form, so log collectors parsing stderr line by line keep
/// working.
fn print_summary(summary: &runaway::summary::Summary, format: LogFormat) {
    match format {
        LogFormat::Human => tell!("{summary}"),
        LogFormat::Json => {
            let mut fields = summary.to_json();
            fields.insert("message".into(), "run summary".into());
            let line = serde_json::json!({
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "level": "INFO",
                "fields": fields,
                "target": "runaway",
            });
            tell!("{line}\n");
        }
    }
}

/// Completes on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the run");
            None
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
}

fn simulate(args: SimulateArgs) -> Result<(), Failure> {
    init_logging("info", LogFormat::Human);
    let start_ms = match &args.start {
        Some(t) => {
            runaway::event::parse_rfc3339_ms(t).with_context(|| format!("--start {t:?} is not RFC 3339")).map_err(Failure::Config)?
        }
        None => runaway::sim::SimConfig::DEFAULT_START_MS,
    };
    let cfg = runaway::sim::SimConfig { sessions: args.sessions, hours: args.hours, seed: args.seed, start_ms };
    let sim = runaway::sim::generate(&cfg).map_err(|e| Failure::Config(e.into()))?;
    if let Some(labels) = &args.labels {
        sim.write_labels(labels).map_err(|e| Failure::Runtime(e.into()))?;
    }
    let runaways = sim.labels.iter().filter(|l| l.label == "runaway" && l.part_of.is_none()).count();
    match (&args.brokers, &args.out) {
        (Some(brokers), _) => {
            let p = runaway::sim::kafka::produce(&sim.events, brokers, &args.topic, args.rate).map_err(|e| Failure::Runtime(e.into()))?;
            tell!("produced {} events to {} in {:.1}s\n", p.delivered, args.topic, p.seconds);
        }
        (None, Some(out)) => {
            sim.write_events(out).map_err(|e| Failure::Runtime(e.into()))?;
            tell!("wrote {} events of {} sessions ({} runaways) to {}\n", sim.events.len(), sim.labels.len(), runaways, out.display());
        }
        (None, None) => return Err(Failure::Config(anyhow::anyhow!("give --out FILE or --brokers HOST:PORT"))),
    }
    Ok(())
}

fn eval(args: EvalArgs) -> Result<(), Failure> {
    init_logging("warn", LogFormat::Human);
    let policy = match &args.policy {
        Some(p) => Policy::load(p).map_err(|e| Failure::Config(e.into()))?,
        None => Policy::default(),
    };
    let format = args.format.as_str();
    if format != "table" && format != "json" {
        return Err(Failure::Config(anyhow::anyhow!("--format must be table or json, got {format:?}")));
    }
    let report = runaway::eval::evaluate(&args.events, &args.labels, policy).map_err(|e| Failure::Runtime(e.into()))?;
    if format == "json" {
        show!("{}\n", report.to_json())?;
    } else {
        show!("{}", report.to_table())?;
    }
    Ok(())
}

fn offline_failure(e: runaway::offline::OfflineError) -> Failure {
    use runaway::offline::{read::ReadError, OfflineError};
    match e {
        // A mistyped argument, `--archive` included: the command as given cannot run.
        OfflineError::Arg { .. }
        | OfflineError::Read(
            ReadError::Dimension(_)
            | ReadError::Time(_)
            | ReadError::EmptyRange { .. }
            | ReadError::NoArchive(_)
            | ReadError::NotADirectory(_)
            | ReadError::IsAFile(_),
        ) => Failure::Config(e.into()),
        _ => Failure::Runtime(e.into()),
    }
}

fn report(args: ReportArgs) -> Result<(), Failure> {
    init_logging("warn", LogFormat::Human);
    let opts = runaway::offline::ReportOptions {
        archive: args.query.archive,
        by: args.query.by,
        from: args.query.from,
        to: args.query.to,
        format: args.format,
        stop_horizon_minutes: args.stop_horizon_minutes,
    };
    let out = runaway::offline::run_report(&opts).map_err(offline_failure)?;
    show!("{}", out.stdout)?;
    for n in &out.notes {
        tell!(
            "note: {n}
"
        );
    }
    Ok(())
}

fn forecast(args: ForecastArgs) -> Result<(), Failure> {
    init_logging("warn", LogFormat::Human);
    let opts = runaway::offline::ForecastOptions {
        archive: args.query.archive,
        by: args.query.by,
        from: args.query.from,
        to: args.query.to,
        horizon: args.horizon,
        budgets: args.budgets,
        format: args.format,
        chart: args.chart,
        coverage: args.interval,
        without_after_kill: args.without_after_kill,
    };
    let out = runaway::offline::run_forecast(&opts).map_err(offline_failure)?;
    show!("{}", out.stdout)?;
    for n in &out.notes {
        tell!("note: {n}\n");
    }
    for w in &out.warnings {
        tell!("runaway: warning: {w}\n");
    }
    Ok(())
}

/// Opens the archive for a file-mode run and drops what an earlier run of
/// the same input left there: the run rewrites all of it, so a rerun
/// replaces rows instead of duplicating them. "The same input" is the same
/// file (its canonical path, however the path is spelled) starting with the
/// same first line (`file_mode::archive_stream`): a file overwritten with
/// other events (a daily export under one name) is another stream, whose
/// run keeps the earlier rows. Files named by earlier builds from the path
/// as given are dropped too. Standard input is a new stream each run
/// (`file_mode::run` names it by its start) and replaces nothing.
fn open_file_mode_archive(dir: &std::path::Path, input: &str) -> Result<ArchiveWriter, Failure> {
    let cfg = ArchiveConfig::from_env(dir).map_err(|e| Failure::Config(e.into()))?;
    let mut writer = ArchiveWriter::open(cfg).map_err(|e| Failure::Runtime(e.into()))?;
    // A missing or unreadable input fails the run in `file_mode::run`; keep the old rows then.
    if let Ok(Some(stream)) = file_mode::archive_stream(input) {
        writer.name_files_of(input, &stream.name);
        for name in std::iter::once(&stream.name).chain(&stream.as_given) {
            writer.discard(name, 0).map_err(|e| Failure::Runtime(e.into()))?;
        }
    }
    Ok(writer)
}

/// Sets `flag` on SIGINT/SIGTERM (the same signals Kafka mode stops on),
/// from a small signal-handling thread.
fn ctrlc_flag(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::spawn(move || {
        rt.block_on(shutdown_signal());
        flag.store(true, Ordering::Relaxed);
    });
    Ok(())
}
