//! Runs the bench stream through one stage, once, for profilers that count
//! instructions (`valgrind --tool=callgrind`), which stay exact on a busy
//! machine where wall-clock benches do not.
//! Usage: cargo run --release --example profile_pipeline -- decode|engine|detect [rounds]
//! (`rounds`, default 1, repeats the stage, each round from fresh state.)
//!
//! `time [rounds]` instead times the three stages as the criterion bench
//! does, interleaved round by round so a busy neighbour slows all three
//! alike, and prints each stage's best and median round.

#[path = "../benches/stream.rs"]
mod stream;

use std::sync::Arc;

use runaway::event::Decoder;
use runaway::{Catalog, Charge, Detector, Engine, Event, Policy, SourcePos};

fn main() {
    let stage = std::env::args().nth(1).unwrap_or_else(|| "engine".into());
    let lines = stream::stream();
    let policy = Arc::new(Policy::default());
    let mut signals = Vec::new();
    // Repeated so a sampling profiler (`perf record`) sees the stage rather
    // than the stream's generation.
    let rounds: Option<usize> = std::env::args().nth(2).and_then(|n| n.parse().ok());
    match stage.as_str() {
        "decode" => {
            let mut ok = 0;
            for _ in 0..rounds.unwrap_or(1) {
                let mut d = Decoder::default();
                ok += lines.iter().filter(|l| d.decode(l.as_bytes()).is_ok()).count();
            }
            println!("decoded {ok}");
        }
        "engine" => {
            let file: Arc<str> = Arc::from("bench.ndjson");
            for _ in 0..rounds.unwrap_or(1) {
                let mut engine = Engine::new(Catalog::embedded(), policy.clone());
                for (i, l) in lines.iter().enumerate() {
                    engine.process_record(l.as_bytes(), SourcePos::File { file: file.clone(), line: i as u64 }, 0, &mut signals);
                }
            }
            println!("signals {}", signals.len());
        }
        "detect" => {
            let events = predecode(&lines);
            for _ in 0..rounds.unwrap_or(1) {
                let mut det = Detector::new(policy.clone());
                for (e, c) in &events {
                    det.process(e, *c, &mut signals);
                }
            }
            println!("signals {}", signals.len());
        }
        "time-detect" => {
            // Detection alone, many rounds: for A/B runs of two builds.
            let events = predecode(&lines);
            let mut secs = Vec::new();
            for _ in 0..rounds.unwrap_or(30) {
                let mut det = Detector::new(policy.clone());
                let t = std::time::Instant::now();
                for (e, c) in &events {
                    det.process(e, *c, &mut signals);
                    signals.clear();
                }
                secs.push(t.elapsed().as_secs_f64());
            }
            secs.sort_by(f64::total_cmp);
            let rate = |x: f64| events.len() as f64 / x / 1e6;
            println!("detect best {:.2} M/s  median {:.2} M/s  ({} rounds)", rate(secs[0]), rate(secs[secs.len() / 2]), secs.len());
        }
        "gen" => println!("lines {}", lines.len()),
        "time" => time_stages(&lines, policy, rounds.unwrap_or(15)),
        other => eprintln!("unknown stage {other}: gen|decode|engine|detect|time|time-detect"),
    }
}

/// The stream decoded and priced as `Engine` does (one decoder, so
/// repeated names share an allocation): the input of the detect stage.
fn predecode(lines: &[String]) -> Vec<(Event, Charge)> {
    let mut d = Decoder::default();
    let mut catalog = Catalog::embedded();
    lines
        .iter()
        .filter_map(|l| d.decode(l.as_bytes()).ok())
        .map(|e| {
            let c = catalog.price(&e).0.into();
            (e, c)
        })
        .collect()
}

fn time_stages(lines: &[String], policy: Arc<Policy>, rounds: usize) {
    use std::time::Instant;
    let events = predecode(lines);
    let file: Arc<str> = Arc::from("bench.ndjson");
    let mut secs: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds {
        let t = Instant::now();
        let mut decoder = Decoder::default();
        let ok = lines.iter().filter(|l| decoder.decode(l.as_bytes()).is_ok()).count();
        secs[0].push(t.elapsed().as_secs_f64());
        assert_eq!(ok, lines.len());

        let mut engine = Engine::new(Catalog::embedded(), policy.clone());
        let mut signals = Vec::new();
        let t = Instant::now();
        for (i, l) in lines.iter().enumerate() {
            let _ = engine.process_record(l.as_bytes(), SourcePos::File { file: file.clone(), line: i as u64 }, 0, &mut signals);
            signals.clear();
        }
        secs[1].push(t.elapsed().as_secs_f64());
        drop(engine);

        let mut det = Detector::new(policy.clone());
        let t = Instant::now();
        for (e, c) in &events {
            det.process(e, *c, &mut signals);
            signals.clear();
        }
        secs[2].push(t.elapsed().as_secs_f64());
    }
    for (name, s) in ["decode", "decode_price_detect", "detect"].iter().zip(secs.iter_mut()) {
        s.sort_by(f64::total_cmp);
        let rate = |x: f64| lines.len() as f64 / x / 1e6;
        println!("{name:<20} best {:.2} M/s  median {:.2} M/s  ({} rounds)", rate(s[0]), rate(s[s.len() / 2]), s.len());
    }
}
