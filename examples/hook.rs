//! An enforcement hook: consumes the kill topic (contract §2), dedupes
//! signals by `signal_id` (runaway emits at least once; a replay repeats
//! the same id), and calls a handler per new signal. Offsets are stored
//! only after the handler returned, so a crash re-delivers, never skips.
//!
//!   cargo run --example hook -- --brokers 127.0.0.1:9092 [--topic agent.kill] [--group runaway-hook]
//!       [-X key=value]... [--max-messages N]
//!
//! Replace `kill_session` & co. with calls into your agent runtime.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::Message;
use serde::Deserialize;

/// The fields of a signal this hook acts on (the rest is ignored).
#[derive(Debug, Deserialize)]
struct Signal {
    signal_id: String,
    action: String,
    scope: String,
    session_id: Option<String>,
    agent_id: Option<String>,
    reason: String,
    message: String,
}

fn kill_session(s: &Signal) {
    println!("KILL session {} ({}): {}", s.session_id.as_deref().unwrap_or("?"), s.reason, s.message);
}

fn pause(s: &Signal) {
    println!("PAUSE {} {}: {}", s.scope, s.agent_id.as_deref().unwrap_or("fleet"), s.message);
}

fn throttle(s: &Signal) {
    println!("THROTTLE {} {}: {}", s.scope, s.agent_id.as_deref().unwrap_or("fleet"), s.message);
}

fn alert(s: &Signal) {
    println!("ALERT {} ({}): {}", s.session_id.as_deref().or(s.agent_id.as_deref()).unwrap_or("fleet"), s.reason, s.message);
}

/// Remembers the last `cap` signal ids.
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
    cap: usize,
}

impl Seen {
    fn first_time(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= self.cap {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        self.ids.insert(id.to_string());
        self.order.push_back(id.to_string());
        true
    }
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("usage: hook [--brokers HOST:PORT] [--topic agent.kill] [--group runaway-hook] [-X key=value]... [--max-messages N]");
        return Ok(());
    }
    let brokers = arg("--brokers", "127.0.0.1:9092");
    let topic = arg("--topic", "agent.kill");
    let group = arg("--group", "runaway-hook");
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &brokers)
        .set("group.id", &group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false");
    // -X key=value: any librdkafka property (SASL, TLS, timeouts).
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2).filter(|w| w[0] == "-X").map(|w| &w[1]) {
        if let Some((k, v)) = pair.split_once('=') {
            config.set(k, v);
        }
    }
    let consumer: StreamConsumer = config.create()?;
    consumer.subscribe(&[&topic])?;
    // Stop after this many messages (0 = until Ctrl-C); for tests.
    let max_messages: u64 = arg("--max-messages", "0").parse()?;
    let mut handled = 0u64;
    let mut seen = Seen { ids: HashSet::new(), order: VecDeque::new(), cap: 100_000 };
    eprintln!("hook: consuming {topic} on {brokers} as {group}; Ctrl-C or SIGTERM to stop");
    // One stop listener for the whole run, so a stop during the back-off
    // below is not missed.
    let mut stop = std::pin::pin!(stop_requested());
    loop {
        let msg = tokio::select! {
            _ = &mut stop => break,
            m = consumer.recv() => m,
        };
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                eprintln!("hook: consumer error: {e}");
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => continue,
                }
            }
        };
        match serde_json::from_slice::<Signal>(msg.payload().unwrap_or_default()) {
            Ok(s) if seen.first_time(&s.signal_id) => match s.action.as_str() {
                "kill" => kill_session(&s),
                "pause" => pause(&s),
                "throttle" => throttle(&s),
                _ => alert(&s),
            },
            Ok(_) => {} // a redelivery: already handled
            Err(e) => eprintln!("hook: not a signal ({e}); skipped"),
        }
        consumer.store_offset_from_message(&msg)?;
        handled += 1;
        if max_messages > 0 && handled >= max_messages {
            break;
        }
    }
    consumer.commit_consumer_state(CommitMode::Sync).ok();
    // Leave the group before the runtime goes away.
    drop(consumer);
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, what systemd and Kubernetes send
/// to stop a service: either way the hook commits what it handled and
/// leaves its group.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
