//! Throughput of the pipeline on one core, on a realistic mixed stream:
//! decode only, decode + price + detect, and detect only on pre-decoded
//! events. Run: `cargo bench --bench pipeline`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use runaway::event::Decoder;
use runaway::{Catalog, Charge, Detector, Engine, Event, Policy, SourcePos};

#[path = "stream.rs"]
mod stream;
use stream::stream;

fn benches(c: &mut Criterion) {
    let lines = stream();
    let policy = Arc::new(Policy::default());
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.sample_size(10);

    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            let mut decoder = Decoder::default();
            for l in &lines {
                ok += decoder.decode(l.as_bytes()).is_ok() as usize;
            }
            assert_eq!(ok, lines.len());
        })
    });

    // One shared name per input, as file mode makes its positions.
    let file: Arc<str> = Arc::from("bench.ndjson");
    g.bench_function("decode_price_detect", |b| {
        b.iter_batched(
            || Engine::new(Catalog::embedded(), policy.clone()),
            |mut engine| {
                let mut signals = Vec::new();
                for (i, l) in lines.iter().enumerate() {
                    let _ = engine.process_record(l.as_bytes(), SourcePos::File { file: file.clone(), line: i as u64 }, 0, &mut signals);
                    signals.clear();
                }
                engine
            },
            BatchSize::PerIteration,
        )
    });

    let mut catalog = Catalog::embedded();
    // Decoded as the pipeline decodes: one decoder for the stream, so names
    // repeated across events share one allocation, as they do in `Engine`.
    let mut decoder = Decoder::default();
    let decoded: Vec<(Event, Charge)> = lines
        .iter()
        .map(|l| {
            let e = decoder.decode(l.as_bytes()).expect("bench stream decodes");
            let cost = catalog.price(&e).0.into();
            (e, cost)
        })
        .collect();
    g.bench_function("detect", |b| {
        b.iter_batched(
            || Detector::new(policy.clone()),
            |mut d| {
                let mut signals = Vec::new();
                for (e, cost) in &decoded {
                    d.process(e, *cost, &mut signals);
                    signals.clear();
                }
                d
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
