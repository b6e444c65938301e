//! The `runaway` binary: parse, set up logging, dispatch, map errors to
//! exit codes. Everything else lives in the library.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use runaway::archive::{ArchiveConfig, ArchiveWriter};
use runaway::cli::{Cli, Command, ForecastArgs, ReportArgs, WatchArgs};
use runaway::config::{FileConfig, Input, LogFormat, WatchConfig};
use runaway::file_mode::{self, FileOutputs};
use runaway::{Catalog, Engine, Policy};

/// Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.
const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Watch(args) => watch(args),
        Command::Report(args) => report(args),
        Command::Forecast(args) => forecast(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("runaway: configuration error: {e:#}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("runaway: error: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

enum Failure {
    Config(anyhow::Error),
    Runtime(anyhow::Error),
}

fn init_logging(level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

fn watch(args: WatchArgs) -> Result<(), Failure> {
    let file = match &args.config {
        Some(p) => FileConfig::load(p).map_err(|e| Failure::Config(e.into()))?,
        None => FileConfig::default(),
    };
    let cfg = WatchConfig::resolve(file, args.overrides()).map_err(|e| Failure::Config(e.into()))?;
    init_logging(&cfg.log_level, cfg.log_format);
    let policy = match &cfg.policy {
        Some(p) => Policy::load(p).map_err(|e| Failure::Config(e.into()))?,
        None => Policy::default(),
    };
    let catalog = match &cfg.prices {
        Some(p) => Catalog::load(p).map_err(|e| Failure::Config(e.into()))?,
        None => Catalog::embedded(),
    };
    tracing::info!(policy_version = %policy.version, catalog = catalog.source(), models = catalog.len(), "starting");
    let mut engine = Engine::new(catalog, Arc::new(policy));
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
            let mut archive = match &cfg.archive {
                Some(dir) => Some(open_file_mode_archive(dir, path)?),
                None => None,
            };
            let sink = archive.as_mut().map(|a| a as &mut dyn runaway::sink::RecordSink);
            let summary = file_mode::run(&mut engine, path, &outputs, sink, &|| stop.load(Ordering::Relaxed))
                .map_err(|e| Failure::Runtime(e.into()))?;
            eprint!("{summary}");
            Ok(())
        }
        Input::Kafka(_) => Err(Failure::Config(anyhow::anyhow!("Kafka mode is not built into this binary yet"))),
    }
}

fn offline_failure(e: runaway::offline::OfflineError) -> Failure {
    use runaway::offline::{read::ReadError, OfflineError};
    match e {
        OfflineError::Arg { .. } | OfflineError::Read(ReadError::Dimension(_) | ReadError::Time(_)) => Failure::Config(e.into()),
        _ => Failure::Runtime(e.into()),
    }
}

fn report(args: ReportArgs) -> Result<(), Failure> {
    init_logging("warn", LogFormat::Human);
    let opts = runaway::offline::ReportOptions {
        archive: args.archive,
        by: args.by,
        from: args.from,
        to: args.to,
        format: args.format,
        stop_horizon_minutes: args.stop_horizon_minutes,
    };
    let out = runaway::offline::run_report(&opts).map_err(offline_failure)?;
    print!("{out}");
    Ok(())
}

fn forecast(args: ForecastArgs) -> Result<(), Failure> {
    init_logging("warn", LogFormat::Human);
    let opts = runaway::offline::ForecastOptions {
        archive: args.archive,
        by: args.by,
        from: args.from,
        to: args.to,
        horizon: args.horizon,
        budgets: args.budgets,
        format: args.format,
        chart: args.chart,
        coverage: args.interval,
    };
    let out = runaway::offline::run_forecast(&opts).map_err(offline_failure)?;
    print!("{out}");
    Ok(())
}

/// Opens the archive for a file-mode run and drops what an earlier run of
/// the same input left there: the run rewrites all of it, so a rerun
/// replaces rows instead of duplicating them.
fn open_file_mode_archive(dir: &std::path::Path, input: &str) -> Result<ArchiveWriter, Failure> {
    let cfg = ArchiveConfig::from_env(dir).map_err(|e| Failure::Config(e.into()))?;
    let mut writer = ArchiveWriter::open(cfg).map_err(|e| Failure::Runtime(e.into()))?;
    // The stream name file mode gives its records (see `file_mode::run`).
    let stream = if input == "-" { "<stdin>" } else { input };
    // A missing input fails the run in `file_mode::run`; keep the old rows then.
    if input == "-" || std::path::Path::new(input).is_file() {
        writer.discard(stream, 0).map_err(|e| Failure::Runtime(e.into()))?;
    }
    Ok(writer)
}

/// Sets `flag` on SIGINT/SIGTERM, from a small signal-handling thread.
fn ctrlc_flag(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::spawn(move || {
        rt.block_on(async {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return,
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            flag.store(true, Ordering::Relaxed);
        })
    });
    Ok(())
}
