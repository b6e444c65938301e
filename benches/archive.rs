//! Archive throughput: rows/s of the Parquet writer alone, and what the
//! archive adds to a file-mode run (same input with and without it).
//!
//!     cargo bench --bench archive -- --warm-up-time 1 --measurement-time 3

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use runaway::archive::{ArchiveConfig, ArchiveWriter};
use runaway::engine::Processed;
use runaway::file_mode::{self, FileOutputs};
use runaway::{Catalog, Engine, Policy, PricedEvent, SourcePos};

#[path = "archive_input.rs"]
mod archive_input;
use archive_input::{line, N};

fn priced_events() -> Vec<(PricedEvent, SourcePos)> {
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
    let mut sigs = Vec::new();
    (0..N)
        .filter_map(|i| {
            let pos = SourcePos::File { file: "bench.ndjson".into(), line: i as u64 + 1 };
            match engine.process_record(line(i).as_bytes(), pos.clone(), 0, &mut sigs) {
                Processed::Event(p) => Some((p, pos)),
                Processed::Dead(_) => None,
            }
        })
        .collect()
}

fn writer(c: &mut Criterion) {
    let events = priced_events();
    let mut g = c.benchmark_group("archive");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events.len() as u64));
    for zstd_level in [3, 1] {
        g.bench_function(format!("writer_rows_zstd{zstd_level}"), |b| {
            b.iter(|| {
                let dir = tempfile::tempdir().unwrap();
                let mut cfg = ArchiveConfig::new(dir.path());
                cfg.zstd_level = zstd_level;
                let mut w = ArchiveWriter::open(cfg).unwrap();
                for (p, pos) in &events {
                    w.write_event(p, pos).unwrap();
                }
                w.close_all().unwrap();
            })
        });
    }
    g.finish();
}

fn file_mode_share(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let input = archive_input::write_input(dir.path());
    let outputs = FileOutputs { signals: dir.path().join("s.ndjson"), dlq: dir.path().join("d.ndjson") };
    let mut g = c.benchmark_group("file_mode");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("without_archive", |b| {
        b.iter(|| {
            let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
            file_mode::run(&mut engine, &input, &outputs, None, &|| false).unwrap()
        })
    });
    g.bench_function("with_archive", |b| {
        b.iter(|| {
            let out = tempfile::tempdir().unwrap();
            let mut w = ArchiveWriter::open(ArchiveConfig::new(out.path())).unwrap();
            let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
            file_mode::run(&mut engine, &input, &outputs, Some(&mut w), &|| false).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, writer, file_mode_share);
criterion_main!(benches);
