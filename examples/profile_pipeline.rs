//! Runs the bench stream through one stage, once, for profilers that count
//! instructions (`valgrind --tool=callgrind`), which stay exact on a busy
//! machine where wall-clock benches do not.
//! Usage: cargo run --release --example profile_pipeline -- decode|engine|detect [rounds]

#[path = "../benches/stream.rs"]
mod stream;

use std::sync::Arc;

use runaway::event::Decoder;
use runaway::{Catalog, Detector, Engine, Policy, SourcePos};

fn main() {
    let stage = std::env::args().nth(1).unwrap_or_else(|| "engine".into());
    let lines = stream::stream();
    let policy = Arc::new(Policy::default());
    let mut signals = Vec::new();
    match stage.as_str() {
        "decode" => {
            let mut d = Decoder::default();
            let ok = lines.iter().filter(|l| d.decode(l.as_bytes()).is_ok()).count();
            println!("decoded {ok}");
        }
        "engine" => {
            let mut engine = Engine::new(Catalog::embedded(), policy);
            for (i, l) in lines.iter().enumerate() {
                engine.process_record(l.as_bytes(), SourcePos::File { file: "".into(), line: i as u64 }, 0, &mut signals);
            }
            println!("signals {}", signals.len());
        }
        "detect" => {
            let mut catalog = Catalog::embedded();
            let mut d = Decoder::default();
            let events: Vec<_> = lines
                .iter()
                .filter_map(|l| d.decode(l.as_bytes()).ok())
                .map(|e| {
                    let c = catalog.price(&e).0.cost_usd;
                    (e, c)
                })
                .collect();
            // Repeated (second argument, default 1) so a sampling profiler
            // sees detection rather than the stream's generation and decoding.
            let rounds: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(1);
            for _ in 0..rounds {
                let mut det = Detector::new(policy.clone());
                for (e, c) in &events {
                    det.process(e, *c, &mut signals);
                }
            }
            println!("signals {}", signals.len());
        }
        "gen" => println!("lines {}", lines.len()),
        other => eprintln!("unknown stage {other}: gen|decode|engine|detect"),
    }
}
