//! The seam between the shells and the archive: a `RecordSink` takes every
//! processed event and signal, and says when they are durable.
//!
//! Owns: the sink contract only. The Parquet archive implements it; the
//! file and Kafka shells drive it. A shell may acknowledge a record
//! upstream (store a Kafka offset) only after a `checkpoint` that followed
//! the record returned `Ok`.

use crate::engine::{PricedEvent, SourcePos};
use crate::signal::Signal;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

pub trait RecordSink: Send {
    /// Takes one processed event (duplicates are not passed).
    fn event(&mut self, p: &PricedEvent, source: &SourcePos) -> Result<(), SinkError>;
    /// Takes one signal; `trigger` is the source position of its trigger event.
    fn signal(&mut self, s: &Signal, trigger: &SourcePos) -> Result<(), SinkError>;
    /// Makes everything taken so far durable (write, fsync, rename).
    fn checkpoint(&mut self) -> Result<(), SinkError>;
    /// Drops output of source stream `stream` (see [`SourcePos::stream`])
    /// from `offset` on, because those records will be consumed again.
    fn discard_from(&mut self, stream: &str, offset: i64) -> Result<(), SinkError>;
    /// Final checkpoint at the end of a run.
    fn finish(&mut self) -> Result<(), SinkError> {
        self.checkpoint()
    }
}

impl SourcePos {
    /// The stream a record belongs to and its position in it: the file and
    /// line, or `topic-partition` and offset.
    pub fn stream(&self) -> (String, i64) {
        match self {
            SourcePos::File { file, line } => (file.to_string(), *line as i64),
            SourcePos::Kafka { topic, partition, offset } => (format!("{topic}-{partition}"), *offset),
        }
    }
}
