//! The archive's background pipeline: a builder thread that turns buffered
//! rows into Arrow record batches, and an encoder thread that turns those
//! into Parquet (dictionary, statistics, zstd) and closes files (footer,
//! fsync, rename, directory fsync). The shell's thread only copies rows into
//! batch buffers; building and encoding overlap with it and with each other.
//!
//! Owns: both threads, their job queues (bounded: a slow disk back-pressures
//! the shell instead of growing memory) and their error reporting. Jobs run
//! in order through both stages; a [`Encoder::barrier`] returns once every
//! earlier job is done, which is what makes `checkpoint` durable. A file
//! whose batch could not be built or written is never published: its close
//! removes it instead.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::schema::{EventBatch, Pending};
use super::ArchiveError;

/// Batches queued to each stage at most (each up to `batch_rows` rows):
/// the builder's queue, then the encoder's.
const QUEUE: usize = 8;
/// Emptied event buffers kept for reuse at most.
const SPARES: usize = 4;

/// What the shell asks for; the builder thread turns each into a [`Step`].
// `Open` is large (writer properties) but rare; boxing it buys nothing.
#[allow(clippy::large_enum_variant)]
enum Job {
    Open { id: u64, file: File, tmp_path: PathBuf, schema: SchemaRef, props: WriterProperties, stream: String, size: Arc<AtomicU64> },
    Write { id: u64, rows: Pending },
    Close { id: u64, final_path: PathBuf, final_dir: PathBuf },
    Abort { id: u64 },
    Barrier { done: SyncSender<()> },
}

/// What the encoder thread does, in the order the shell asked.
#[allow(clippy::large_enum_variant)]
enum Step {
    Open {
        id: u64,
        file: File,
        tmp_path: PathBuf,
        schema: SchemaRef,
        props: WriterProperties,
        size: Arc<AtomicU64>,
    },
    /// A built batch, or why it could not be built.
    Write {
        id: u64,
        batch: Result<RecordBatch, ArrowError>,
    },
    Close {
        id: u64,
        final_path: PathBuf,
        final_dir: PathBuf,
    },
    Abort {
        id: u64,
    },
    Barrier {
        done: SyncSender<()>,
    },
}

struct Writing {
    writer: ArrowWriter<File>,
    tmp_path: PathBuf,
    size: Arc<AtomicU64>,
    /// A batch was lost: the file must not be published.
    failed: bool,
    /// Rows written so far (for `runaway_archive_rows_total` at publication).
    rows: u64,
}

/// Handle to the two threads.
pub struct Encoder {
    jobs: Option<SyncSender<Job>>,
    /// Event buffers the builder is done with, for the shell to refill.
    spares: Receiver<EventBatch>,
    builder: Option<JoinHandle<()>>,
    encoder: Option<JoinHandle<()>>,
    /// First error either thread met; sticky, reported at the next call.
    error: Arc<Mutex<Option<String>>>,
    next_id: u64,
}

fn record(error: &Mutex<Option<String>>, e: ArchiveError) {
    tracing::error!(error = %e, "archive encoder failed");
    if let Ok(mut slot) = error.lock() {
        slot.get_or_insert_with(|| e.to_string());
    }
}

/// The builder thread: record batches from buffered rows (whose emptied
/// buffers go back to the shell), everything else passed on as is. It ends
/// when the shell's queue closes, which closes the encoder's.
fn build(jobs: Receiver<Job>, steps: SyncSender<Step>, spares: SyncSender<EventBatch>) {
    // Schema and source stream of each open file.
    let mut files: HashMap<u64, (SchemaRef, String)> = HashMap::new();
    for job in jobs {
        let step = match job {
            Job::Open { id, file, tmp_path, schema, props, stream, size } => {
                files.insert(id, (schema.clone(), stream));
                Step::Open { id, file, tmp_path, schema, props, size }
            }
            Job::Write { id, rows } => {
                let Some((schema, stream)) = files.get(&id) else { continue };
                let batch = rows.to_record_batch(schema, stream);
                if let Pending::Events(mut buf) = rows {
                    buf.clear();
                    let _ = spares.try_send(buf); // enough spares: dropped
                }
                Step::Write { id, batch }
            }
            Job::Close { id, final_path, final_dir } => {
                files.remove(&id);
                Step::Close { id, final_path, final_dir }
            }
            Job::Abort { id } => {
                files.remove(&id);
                Step::Abort { id }
            }
            Job::Barrier { done } => Step::Barrier { done },
        };
        if steps.send(step).is_err() {
            return; // the encoder thread is gone; the shell sees it at its next send
        }
    }
}

/// The encoder thread.
fn encode(steps: Receiver<Step>, error: Arc<Mutex<Option<String>>>) {
    let mut open: HashMap<u64, Writing> = HashMap::new();
    for step in steps {
        match step {
            Step::Open { id, file, tmp_path, schema, props, size } => match ArrowWriter::try_new(file, schema, Some(props)) {
                Ok(writer) => {
                    open.insert(id, Writing { writer, tmp_path, size, failed: false, rows: 0 });
                }
                Err(source) => record(&error, ArchiveError::Parquet { path: tmp_path.display().to_string(), source }),
            },
            Step::Write { id, batch } => {
                if let Some(w) = open.get_mut(&id) {
                    let written = match batch {
                        Ok(batch) => w
                            .writer
                            .write(&batch)
                            .map(|()| batch.num_rows() as u64)
                            .map_err(|source| ArchiveError::Parquet { path: w.tmp_path.display().to_string(), source }),
                        Err(e) => Err(ArchiveError::Arrow(e)),
                    };
                    match written {
                        Ok(rows) => w.rows += rows,
                        Err(e) => {
                            w.failed = true;
                            record(&error, e);
                        }
                    }
                    w.size.store((w.writer.bytes_written() + w.writer.in_progress_size()) as u64, Ordering::Relaxed);
                }
            }
            Step::Close { id, final_path, final_dir } => {
                if let Some(w) = open.remove(&id) {
                    if w.failed {
                        tracing::warn!(file = %final_path.display(), "archive file lost a batch; removed instead of published");
                        abort(w);
                    } else if let Err(e) = close(w, &final_path, &final_dir) {
                        record(&error, e);
                    }
                }
            }
            Step::Abort { id } => {
                if let Some(w) = open.remove(&id) {
                    abort(w);
                }
            }
            Step::Barrier { done } => {
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

fn abort(w: Writing) {
    drop(w.writer);
    if let Err(e) = std::fs::remove_file(&w.tmp_path) {
        tracing::warn!(file = %w.tmp_path.display(), error = %e, "cannot remove aborted archive temp file");
    }
}

/// Footer, fsync, rename, directory fsync: only then is the file visible.
/// A file that cannot be finished (a full disk) is removed, never left
/// behind under its temporary name holding the space.
fn close(w: Writing, final_path: &std::path::Path, final_dir: &std::path::Path) -> Result<(), ArchiveError> {
    let (tmp, rows) = (w.tmp_path, w.rows);
    let finished = w
        .writer
        .into_inner()
        .map_err(|source| ArchiveError::Parquet { path: tmp.display().to_string(), source })
        .and_then(|file| file.sync_all().map_err(super::io_err(&tmp)))
        .and_then(|()| std::fs::rename(&tmp, final_path).map_err(super::io_err(final_path)));
    if let Err(e) = finished {
        if let Err(rm) = std::fs::remove_file(&tmp) {
            tracing::warn!(file = %tmp.display(), error = %rm, "cannot remove an archive temp file that could not be finished");
        }
        return Err(e);
    }
    super::sync_dir(final_dir)?;
    let bytes = std::fs::metadata(final_path).map(|m| m.len()).unwrap_or(0);
    crate::metrics::record_archive_file(rows, bytes);
    tracing::debug!(file = %final_path.display(), rows, bytes, "archive file closed");
    Ok(())
}

impl Encoder {
    pub fn start() -> Result<Encoder, ArchiveError> {
        let (tx, rx) = sync_channel(QUEUE);
        let (step_tx, step_rx) = sync_channel(QUEUE);
        let (spare_tx, spare_rx) = sync_channel(SPARES);
        let error = Arc::new(Mutex::new(None));
        let e2 = error.clone();
        let spawn_err = |source| ArchiveError::Io { path: "archive encoder thread".into(), source };
        let encoder = std::thread::Builder::new().name("archive-encoder".into()).spawn(move || encode(step_rx, e2)).map_err(spawn_err)?;
        // If this spawn fails, `step_tx` is dropped with the closure, so the
        // encoder thread ends by itself.
        let builder =
            std::thread::Builder::new().name("archive-builder".into()).spawn(move || build(rx, step_tx, spare_tx)).map_err(spawn_err)?;
        Ok(Encoder { jobs: Some(tx), spares: spare_rx, builder: Some(builder), encoder: Some(encoder), error, next_id: 0 })
    }

    /// The first error of either thread, if any.
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

    /// Starts a file whose rows all come from source stream `stream`;
    /// returns its id and the size the encoder keeps updated.
    pub fn open(
        &mut self,
        file: File,
        tmp_path: PathBuf,
        schema: SchemaRef,
        props: WriterProperties,
        stream: String,
    ) -> Result<(u64, Arc<AtomicU64>), ArchiveError> {
        self.check()?;
        self.next_id += 1;
        let id = self.next_id;
        let size = Arc::new(AtomicU64::new(0));
        self.send(Job::Open { id, file, tmp_path, schema, props, stream, size: size.clone() })?;
        Ok((id, size))
    }

    /// An emptied event buffer to refill, if the builder has one spare.
    pub fn spare_events(&self) -> Option<EventBatch> {
        self.spares.try_recv().ok()
    }

    /// Queues buffered rows of file `id` to be built and encoded.
    pub fn write(&self, id: u64, rows: Pending) -> Result<(), ArchiveError> {
        self.check()?;
        self.send(Job::Write { id, rows })
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
        // Closing the shell's queue ends the builder, whose exit closes the
        // encoder's queue.
        drop(self.jobs.take());
        for t in [self.builder.take(), self.encoder.take()].into_iter().flatten() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file whose footer cannot be written (a full disk: `/dev/full`
    /// answers every write with ENOSPC) is not published and its temp file
    /// is removed, not left holding the space.
    #[test]
    fn a_file_that_cannot_be_finished_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tmp_path = dir.path().join(".tmp-x.inprogress");
        std::fs::write(&tmp_path, b"partial").expect("temp file");
        let full = File::options().write(true).open("/dev/full").expect("/dev/full");
        let schema =
            Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new("n", arrow::datatypes::DataType::Int64, false)]));
        let writer = ArrowWriter::try_new(full, schema, None).expect("writer");
        let w = Writing { writer, tmp_path: tmp_path.clone(), size: Arc::new(AtomicU64::new(0)), failed: false, rows: 0 };
        let final_path = dir.path().join("x.parquet");
        assert!(close(w, &final_path, dir.path()).is_err(), "the footer cannot be written");
        assert!(!tmp_path.exists(), "temp file left behind");
        assert!(!final_path.exists(), "published");
    }
}
