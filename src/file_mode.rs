//! File mode of `runaway watch`: NDJSON from a file or stdin through the
//! engine, signals and dead letters to NDJSON files, events and signals to
//! the archive when one is configured.
//!
//! Owns: line reading, output files, the file-mode run loop. Decisions are
//! the engine's; this shell only moves bytes.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::engine::{Engine, Processed, SourcePos};
use crate::event::format_rfc3339_ms;
use crate::signal::Signal;
use crate::sink::RecordSink;
use crate::summary::Summary;

#[derive(Debug, thiserror::Error)]
pub enum FileModeError {
    #[error("cannot open input {path}: {source}")]
    OpenInput { path: String, source: std::io::Error },
    #[error("cannot read input {path} at line {line}: {source}")]
    Read { path: String, line: u64, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    // Its messages name the archive already.
    #[error(transparent)]
    Archive(#[from] crate::sink::SinkError),
}

/// Output files of a file-mode run.
pub struct FileOutputs {
    pub signals: PathBuf,
    pub dlq: PathBuf,
}

struct Out {
    path: PathBuf,
    w: BufWriter<File>,
}

impl Out {
    fn create(path: &Path) -> Result<Out, FileModeError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| FileModeError::Write { path: dir.display().to_string(), source })?;
        }
        let f = File::create(path).map_err(|source| FileModeError::Write { path: path.display().to_string(), source })?;
        Ok(Out { path: path.to_path_buf(), w: BufWriter::with_capacity(1 << 16, f) })
    }

    fn line(&mut self, s: &str) -> Result<(), FileModeError> {
        self.w
            .write_all(s.as_bytes())
            .and_then(|_| self.w.write_all(b"\n"))
            .map_err(|source| FileModeError::Write { path: self.path.display().to_string(), source })
    }

    fn flush(&mut self) -> Result<(), FileModeError> {
        self.w.flush().map_err(|source| FileModeError::Write { path: self.path.display().to_string(), source })
    }

    fn close(mut self) -> Result<(), FileModeError> {
        let f = self.w.get_ref();
        // Only a regular file can be made durable: fsync on `/dev/null` or a
        // pipe fails (EINVAL) though everything was written.
        let durable = f.metadata().map_or(true, |m| m.is_file());
        self.w
            .flush()
            .and_then(|_| if durable { self.w.get_ref().sync_all() } else { Ok(()) })
            .map_err(|source| FileModeError::Write { path: self.path.display().to_string(), source })
    }
}

/// A live input (standard input, a named pipe, a device), read on a thread
/// of its own: a read that would wait returns `WouldBlock` after a short
/// while instead, so the run loop sees a stop request (SIGINT/SIGTERM) and
/// flushes its outputs while the writer is quiet, even inside a line.
struct Pump {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Pump {
    const POLL: std::time::Duration = std::time::Duration::from_millis(200);

    fn start(mut input: Box<dyn Read + Send>) -> std::io::Result<Pump> {
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        std::thread::Builder::new().name("runaway-input".into()).spawn(move || {
            loop {
                let mut block = vec![0u8; 1 << 16];
                match input.read(&mut block) {
                    Ok(n) => {
                        block.truncate(n);
                        // An empty block is the end of input.
                        if tx.send(Ok(block)).is_err() || n == 0 {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })?;
        Ok(Pump { rx, chunk: Vec::new(), pos: 0, done: false })
    }
}

/// A path opened at its first read.
struct OpenOnRead {
    path: std::path::PathBuf,
    file: Option<File>,
}

impl Read for OpenOnRead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.file.is_none() {
            self.file = Some(File::open(&self.path)?);
        }
        match self.file.as_mut() {
            Some(f) => f.read(out),
            None => Ok(0),
        }
    }
}

impl Read for Pump {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use std::sync::mpsc::RecvTimeoutError;
        if self.pos == self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv_timeout(Self::POLL) {
                Ok(Ok(block)) if block.is_empty() => {
                    self.done = true;
                    return Ok(0);
                }
                Ok(Ok(block)) => {
                    self.chunk = block;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => return Err(std::io::ErrorKind::WouldBlock.into()),
                Err(RecvTimeoutError::Disconnected) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Lines of a regular file that holds any (a last line without its
/// newline counts too); `None` for a missing, empty or non-regular one.
pub fn lines_of(path: &Path) -> Option<u64> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0) {
        return None;
    }
    let mut r = BufReader::new(File::open(path).ok()?);
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let buf = r.fill_buf().ok()?;
        let Some(&end) = buf.last() else { break };
        lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
        last = end;
        let n = buf.len();
        r.consume(n);
    }
    Some(lines + u64::from(last != b'\n'))
}

/// Stamps the wall-clock emission time on a signal.
pub fn stamp(s: &mut Signal) {
    let now = chrono::Utc::now().timestamp_millis();
    s.emitted_at = Some(format_rfc3339_ms(now));
}

/// The names a regular input file's archive files carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveStream {
    /// Its canonical path and a fingerprint of its first line (at most
    /// 64 KiB of it).
    pub name: String,
    /// The name earlier builds gave its files, from the path as given,
    /// when that differs: a rerun replaces those files too.
    pub as_given: Option<String>,
}

/// The names a regular input file's archive files carry: its canonical
/// path and a fingerprint of its first line. A rerun of the file, whole or
/// grown at its end, under any spelling of its path (`data/x.ndjson`,
/// `./data/x.ndjson`, an absolute path, a symlink), starts the same and
/// replaces its rows; a file overwritten with other events under the same
/// path does not (its run would otherwise drop the earlier run's rows,
/// which its input no longer holds). `None` for standard input and other
/// live inputs, which never replace anything.
pub fn archive_stream(input: &str) -> std::io::Result<Option<ArchiveStream>> {
    if input == "-" {
        return Ok(None);
    }
    // Looked at without opening: opening a named pipe waits for its writer
    // and closing it again would break the writer's pipe.
    if !std::fs::metadata(input)?.is_file() {
        return Ok(None);
    }
    let f = File::open(input)?;
    let mut first = Vec::new();
    BufReader::new(f).take(64 * 1024).read_until(b'\n', &mut first)?;
    let fingerprint = xxhash_rust::xxh3::xxh3_64(&first);
    let canonical = std::fs::canonicalize(input)?;
    let name = format!("{} {fingerprint:016x}", canonical.display());
    let as_given = format!("{input} {fingerprint:016x}");
    Ok(Some(ArchiveStream { as_given: (as_given != name).then_some(as_given), name }))
}

/// Runs the engine over `input` (a path, or `-` for stdin) until its end or
/// until `stop` returns true (checked between records).
pub fn run(
    engine: &mut Engine,
    input: &str,
    outputs: &FileOutputs,
    sink: Option<&mut dyn RecordSink>,
    stop: &dyn Fn() -> bool,
) -> Result<Summary, FileModeError> {
    run_live(engine, input, outputs, sink, stop, &mut || None)
}

/// As [`run`], and before each record puts in force the new policy that
/// `poll_policy` returns, if any (e.g. `PolicyWatcher::try_latest`).
pub fn run_live(
    engine: &mut Engine,
    input: &str,
    outputs: &FileOutputs,
    mut sink: Option<&mut dyn RecordSink>,
    stop: &dyn Fn() -> bool,
    poll_policy: &mut dyn FnMut() -> Option<std::sync::Arc<crate::policy::Policy>>,
) -> Result<Summary, FileModeError> {
    let open_error = |source| FileModeError::OpenInput { path: input.to_string(), source };
    // A live input is a stream of its own each run (it cannot be replayed):
    // named by its start, its archive files never replace an earlier run's.
    let started = || chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let (reader, name): (Box<dyn Read>, String) = if input == "-" {
        (Box::new(Pump::start(Box::new(std::io::stdin())).map_err(open_error)?), format!("<stdin {}>", started()))
    } else {
        let meta = std::fs::metadata(input).map_err(open_error)?;
        if meta.is_dir() {
            return Err(open_error(std::io::Error::other("it is a directory: give an NDJSON file, a named pipe or - for stdin")));
        }
        if meta.is_file() {
            (Box::new(File::open(input).map_err(open_error)?), input.to_string())
        } else {
            // Opened on the pump's thread: opening a named pipe waits for
            // its writer, and a stop request must be seen meanwhile.
            let lazy = OpenOnRead { path: input.into(), file: None };
            (Box::new(Pump::start(Box::new(lazy)).map_err(open_error)?), format!("{input} <{}>", started()))
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut signals_out = Out::create(&outputs.signals)?;
    let mut dlq_out = Out::create(&outputs.dlq)?;
    let mut summary = Summary::default();
    let mut signals: Vec<Signal> = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    let mut line_no: u64 = 0;
    let shared_name: std::sync::Arc<str> = name.as_str().into();
    loop {
        if stop() {
            tracing::info!(line = line_no, "stop requested; finishing at a record boundary");
            break;
        }
        buf.clear();
        // About to wait for input (nothing buffered, or below: a live pipe
        // quiet inside a line): make what was decided visible to whoever
        // tails the outputs, once per wait.
        let mut flushed = reader.buffer().is_empty();
        if flushed {
            signals_out.flush()?;
            dlq_out.flush()?;
            crate::metrics::sync_detector(engine.detector());
        }
        let mut stopped = false;
        while let Err(e) = reader.read_until(b'\n', &mut buf) {
            // A live input is quiet: look for a stop request, then wait on
            // (a partial line stays in `buf`).
            if e.kind() != std::io::ErrorKind::WouldBlock {
                return Err(FileModeError::Read { path: name.clone(), line: line_no + 1, source: e });
            }
            if !flushed {
                flushed = true;
                signals_out.flush()?;
                dlq_out.flush()?;
            }
            if stop() {
                stopped = true;
                break;
            }
        }
        if stopped {
            if !buf.is_empty() {
                tracing::warn!(line = line_no + 1, bytes = buf.len(), "stop requested inside an unfinished line; it is not processed");
            }
            tracing::info!(line = line_no, "stop requested while waiting for input");
            break;
        }
        if buf.is_empty() {
            break; // end of input
        }
        line_no += 1;
        let mut rec: &[u8] = &buf;
        while let [rest @ .., b'\n' | b'\r'] = rec {
            rec = rest;
        }
        if rec.iter().all(|b| b.is_ascii_whitespace()) {
            summary.blank_lines += 1; // layout, not records; counted all the same
            continue;
        }
        // Polled after the read, so a policy changed while we waited for input applies to this record.
        if let Some(policy) = poll_policy() {
            crate::reload::apply(engine.detector_mut(), policy);
        }
        if line_no % 4096 == 0 {
            crate::metrics::sync_detector(engine.detector()); // bulk input never waits; keep gauges fresh anyway
        }
        let source = SourcePos::File { file: shared_name.clone(), line: line_no };
        let timer = crate::metrics::timer();
        let processed = engine.process_record(rec, source.clone(), 0, &mut signals);
        timer.done();
        crate::metrics::record_processed(&processed);
        match processed {
            Processed::Event(p) => {
                summary.add_event(&p);
                if let Some(s) = sink.as_deref_mut() {
                    if p.outcome != crate::detect::Outcome::Duplicate {
                        s.event(&p, &source)?;
                    }
                }
            }
            Processed::Dead(d) => {
                tracing::debug!(line = line_no, reason = d.reason, error = %d.error, "dead letter");
                summary.add_dead_letter();
                dlq_out.line(&d.to_json())?;
            }
        }
        for mut s in signals.drain(..) {
            stamp(&mut s);
            crate::metrics::record_signal(&s);
            summary.add_signal(&s);
            signals_out.line(&s.to_json())?;
            if let Some(k) = sink.as_deref_mut() {
                k.signal(&s, &source)?;
            }
        }
    }
    signals_out.close()?;
    dlq_out.close()?;
    crate::metrics::sync_detector(engine.detector());
    if let Some(s) = sink {
        s.finish()?;
    }
    let stats = engine.detector().stats();
    summary.finish(&stats, engine.unknown_models().iter().map(|m| m.to_string()).collect());
    Ok(summary)
}
