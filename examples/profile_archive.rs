//! Runs the archive bench's file-mode input with and without the archive
//! and prints wall time and the calling thread's CPU time, which stays
//! meaningful on a busy machine where wall-clock benches do not (the
//! archive threads' CPU is listed apart: it is the caller's cost that
//! archiving adds to a run), the final checkpoint's wait and how often the
//! caller was preempted. Also a target for `perf record`.
//! `writer` runs the archive writer alone on pre-decoded events.
//! Usage: cargo run --release --example profile_archive -- [with|without|both|writer] [runs]

#[path = "../benches/archive_input.rs"]
mod archive_input;

use std::sync::Arc;
use std::time::{Duration, Instant};

use runaway::archive::{ArchiveConfig, ArchiveWriter};
use runaway::engine::Processed;
use runaway::file_mode::{self, FileOutputs};
use runaway::sink::{RecordSink, SinkError};
use runaway::{Catalog, Engine, Policy, SourcePos};

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time of this process's threads whose name starts with `archive-`
/// (Linux; empty elsewhere), by name.
fn archive_threads_cpu() -> Vec<(String, Duration)> {
    let tick = 1e3 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64; // SAFETY: plain query
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_string();
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: utime and stime are the 12th and 13th.
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
        if comm.starts_with("archive-") && fields.len() > 12 {
            let ticks: f64 = fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
            out.push((comm, Duration::from_secs_f64(ticks * tick / 1e3)));
        }
    }
    out.sort();
    out
}

/// Times during which the calling thread was taken off its CPU while it
/// could run (another thread or process wanted it).
fn preemptions() -> i64 {
    // SAFETY: an all-zero rusage is valid, and `ru` is a valid out-pointer.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    ru.ru_nivcsw
}

/// The archive, timing its final checkpoint (the wait for the background
/// threads to drain, close and fsync).
struct Timed {
    w: ArchiveWriter,
    finish: Duration,
}

impl RecordSink for Timed {
    fn event(&mut self, p: &runaway::PricedEvent, source: &SourcePos) -> Result<(), SinkError> {
        self.w.event(p, source)
    }
    fn signal(&mut self, s: &runaway::Signal, trigger: &SourcePos) -> Result<(), SinkError> {
        self.w.signal(s, trigger)
    }
    fn checkpoint(&mut self) -> Result<(), SinkError> {
        self.w.checkpoint()
    }
    fn discard_from(&mut self, stream: &str, offset: i64) -> Result<(), SinkError> {
        self.w.discard_from(stream, offset)
    }
    fn finish(&mut self) -> Result<(), SinkError> {
        let t = Instant::now();
        let r = self.w.finish();
        self.finish = t.elapsed();
        r
    }
}

struct Run {
    wall: Duration,
    cpu: Duration,
    threads: Vec<(String, Duration)>,
    finish: Duration,
    preempted: i64,
}

fn run_once(input: &str, outputs: &FileOutputs, archive: bool) -> Run {
    let out = tempfile::tempdir().expect("tempdir");
    let mut w = archive.then(|| Timed { w: ArchiveWriter::open(ArchiveConfig::new(out.path())).expect("archive"), finish: Duration::ZERO });
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
    let (t0, c0, p0) = (Instant::now(), thread_cpu(), preemptions());
    let sink = w.as_mut().map(|w| w as &mut dyn RecordSink);
    file_mode::run(&mut engine, input, outputs, sink, &|| false).expect("run");
    let (wall, cpu, preempted) = (t0.elapsed(), thread_cpu() - c0, preemptions() - p0);
    Run { wall, cpu, threads: archive_threads_cpu(), finish: w.map_or(Duration::ZERO, |w| w.finish), preempted }
}

fn print(what: &str, wall: Duration, cpu: Duration, threads: &[(String, Duration)], extra: &str) {
    let threads: Vec<String> = threads.iter().map(|(name, t)| format!("{name} {:.0} ms", t.as_secs_f64() * 1e3)).collect();
    println!(
        "{what:<16} wall {:>7.1} ms  caller cpu {:>7.1} ms  {}  {extra}",
        wall.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3,
        threads.join("  ")
    );
}

fn writer_only(runs: usize) {
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(Policy::default()));
    let mut sigs = Vec::new();
    let events: Vec<_> = (0..archive_input::N)
        .filter_map(|i| {
            let pos = SourcePos::File { file: "bench.ndjson".into(), line: i as u64 + 1 };
            match engine.process_record(archive_input::line(i).as_bytes(), pos.clone(), 0, &mut sigs) {
                Processed::Event(p) => Some((p, pos)),
                Processed::Dead(_) => None,
            }
        })
        .collect();
    for _ in 0..runs {
        let out = tempfile::tempdir().expect("tempdir");
        let mut w = ArchiveWriter::open(ArchiveConfig::new(out.path())).expect("archive");
        let (t0, c0) = (Instant::now(), thread_cpu());
        for (p, pos) in &events {
            w.write_event(p, pos).expect("write");
        }
        w.close_all().expect("close");
        print("writer", t0.elapsed(), thread_cpu() - c0, &archive_threads_cpu(), "");
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "both".into());
    let runs: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    if mode == "writer" {
        return writer_only(runs);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = archive_input::write_input(dir.path());
    let outputs = FileOutputs { signals: dir.path().join("s.ndjson"), dlq: dir.path().join("d.ndjson") };
    let modes: &[bool] = match mode.as_str() {
        "with" => &[true],
        "without" => &[false],
        _ => &[false, true],
    };
    for _ in 0..runs {
        for &archive in modes {
            let r = run_once(&input, &outputs, archive);
            let extra = format!("final checkpoint {:.1} ms  preempted {}", r.finish.as_secs_f64() * 1e3, r.preempted);
            print(if archive { "with_archive" } else { "without_archive" }, r.wall, r.cpu, &r.threads, &extra);
        }
    }
}
