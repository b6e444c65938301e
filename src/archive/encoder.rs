//! The archive's background encoder: one worker thread that turns record
//! batches into Parquet (dictionary, statistics, zstd), and closes files
//! (footer, fsync, rename, directory fsync), so the shell's thread only
//! fills Arrow builders.
//!
//! Owns: the worker, its job queue (bounded: a slow disk back-pressures the
//! shell instead of growing memory) and its error reporting. Jobs run in
//! order; a [`Encoder::barrier`] returns once every earlier job is done,
//! which is what makes `checkpoint` durable.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::ArchiveError;

/// Batches queued to the worker at most (each up to `batch_rows` rows).
const QUEUE: usize = 16;

// `Open` is large (writer properties) but rare; boxing it buys nothing.
#[allow(clippy::large_enum_variant)]
enum Job {
    Open { id: u64, file: File, tmp_path: PathBuf, schema: SchemaRef, props: WriterProperties, size: Arc<AtomicU64> },
    Write { id: u64, batch: RecordBatch },
    Close { id: u64, final_path: PathBuf, final_dir: PathBuf },
    Abort { id: u64 },
    Barrier { done: SyncSender<()> },
}

struct Writing {
    writer: ArrowWriter<File>,
    tmp_path: PathBuf,
    size: Arc<AtomicU64>,
}

/// Handle to the worker thread.
pub struct Encoder {
    jobs: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<()>>,
    /// First error the worker met; sticky, reported at the next call.
    error: Arc<Mutex<Option<String>>>,
    next_id: u64,
}

fn record(error: &Mutex<Option<String>>, e: ArchiveError) {
    tracing::error!(error = %e, "archive encoder failed");
    if let Ok(mut slot) = error.lock() {
        slot.get_or_insert_with(|| e.to_string());
    }
}

fn work(jobs: Receiver<Job>, error: Arc<Mutex<Option<String>>>) {
    let mut open: HashMap<u64, Writing> = HashMap::new();
    for job in jobs {
        match job {
            Job::Open { id, file, tmp_path, schema, props, size } => match ArrowWriter::try_new(file, schema, Some(props)) {
                Ok(writer) => {
                    open.insert(id, Writing { writer, tmp_path, size });
                }
                Err(source) => record(&error, ArchiveError::Parquet { path: tmp_path.display().to_string(), source }),
            },
            Job::Write { id, batch } => {
                if let Some(w) = open.get_mut(&id) {
                    if let Err(source) = w.writer.write(&batch) {
                        record(&error, ArchiveError::Parquet { path: w.tmp_path.display().to_string(), source });
                    }
                    w.size.store((w.writer.bytes_written() + w.writer.in_progress_size()) as u64, Ordering::Relaxed);
                }
            }
            Job::Close { id, final_path, final_dir } => {
                if let Some(w) = open.remove(&id) {
                    if let Err(e) = close(w, &final_path, &final_dir) {
                        record(&error, e);
                    }
                }
            }
            Job::Abort { id } => {
                if let Some(w) = open.remove(&id) {
                    drop(w.writer);
                    if let Err(e) = std::fs::remove_file(&w.tmp_path) {
                        tracing::warn!(file = %w.tmp_path.display(), error = %e, "cannot remove aborted archive temp file");
                    }
                }
            }
            Job::Barrier { done } => {
                let _ = done.send(());
            }
        }
    }
    // The queue closed with files still open: they were never checkpointed,
    // so they are not published; their temp files are removed.
    for (_, w) in open.drain() {
        drop(w.writer);
        let _ = std::fs::remove_file(&w.tmp_path);
    }
}

/// Footer, fsync, rename, directory fsync: only then is the file visible.
fn close(w: Writing, final_path: &std::path::Path, final_dir: &std::path::Path) -> Result<(), ArchiveError> {
    let tmp = w.tmp_path;
    let file = w.writer.into_inner().map_err(|source| ArchiveError::Parquet { path: tmp.display().to_string(), source })?;
    file.sync_all().map_err(super::io_err(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, final_path).map_err(super::io_err(final_path))?;
    super::sync_dir(final_dir)?;
    tracing::debug!(file = %final_path.display(), "archive file closed");
    Ok(())
}

impl Encoder {
    pub fn start() -> Result<Encoder, ArchiveError> {
        let (tx, rx) = sync_channel(QUEUE);
        let error = Arc::new(Mutex::new(None));
        let e2 = error.clone();
        let worker = std::thread::Builder::new()
            .name("archive-encoder".into())
            .spawn(move || work(rx, e2))
            .map_err(|source| ArchiveError::Io { path: "archive encoder thread".into(), source })?;
        Ok(Encoder { jobs: Some(tx), worker: Some(worker), error, next_id: 0 })
    }

    /// The worker's first error, if any.
    pub fn check(&self) -> Result<(), ArchiveError> {
        match self.error.lock() {
            Ok(slot) => match slot.as_ref() {
                Some(msg) => Err(ArchiveError::Worker(msg.clone())),
                None => Ok(()),
            },
            Err(_) => Err(ArchiveError::Worker("encoder state poisoned".into())),
        }
    }

    fn send(&self, job: Job) -> Result<(), ArchiveError> {
        let jobs = self.jobs.as_ref().ok_or_else(|| ArchiveError::Worker("encoder stopped".into()))?;
        jobs.send(job).map_err(|_| ArchiveError::Worker("encoder thread exited".into()))?;
        Ok(())
    }

    /// Starts a file; returns its id and the size the worker keeps updated.
    pub fn open(&mut self, file: File, tmp_path: PathBuf, schema: SchemaRef, props: WriterProperties) -> Result<(u64, Arc<AtomicU64>), ArchiveError> {
        self.check()?;
        self.next_id += 1;
        let id = self.next_id;
        let size = Arc::new(AtomicU64::new(0));
        self.send(Job::Open { id, file, tmp_path, schema, props, size: size.clone() })?;
        Ok((id, size))
    }

    pub fn write(&self, id: u64, batch: RecordBatch) -> Result<(), ArchiveError> {
        self.check()?;
        self.send(Job::Write { id, batch })
    }

    pub fn close(&self, id: u64, final_path: PathBuf, final_dir: PathBuf) -> Result<(), ArchiveError> {
        self.send(Job::Close { id, final_path, final_dir })
    }

    pub fn abort(&self, id: u64) {
        let _ = self.send(Job::Abort { id });
    }

    /// Waits until every job sent so far is done, then reports any error.
    pub fn barrier(&self) -> Result<(), ArchiveError> {
        let (tx, rx) = sync_channel(1);
        self.send(Job::Barrier { done: tx })?;
        rx.recv().map_err(|_| ArchiveError::Worker("encoder thread exited".into()))?;
        self.check()
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
