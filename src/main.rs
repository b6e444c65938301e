//! The `runaway` binary: parse, set up logging, dispatch, map errors to
//! exit codes. Everything else lives in the library.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use runaway::cli::{Cli, Command, WatchArgs};
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
            let summary = file_mode::run(&mut engine, path, &outputs, None, &|| stop.load(Ordering::Relaxed))
                .map_err(|e| Failure::Runtime(e.into()))?;
            eprint!("{summary}");
            Ok(())
        }
        Input::Kafka(kafka) => watch_kafka(kafka, engine),
    }
}

/// Kafka mode: a tokio runtime for the shell; SIGINT/SIGTERM end the run
/// gracefully (drain, flush, commit, exit 0).
fn watch_kafka(kafka: &runaway::config::KafkaConfig, engine: Engine) -> Result<(), Failure> {
    // One task drives the shell; librdkafka has its own threads.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::Runtime)?;
    let summary = rt.block_on(runaway::kafka::run(kafka, engine, None, shutdown_signal())).map_err(|e| {
        if e.is_config() {
            Failure::Config(e.into())
        } else {
            Failure::Runtime(e.into())
        }
    })?;
    eprint!("{summary}");
    Ok(())
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
