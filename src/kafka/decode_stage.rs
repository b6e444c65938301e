//! Decoding consumed records on a thread of its own, ahead of detection.
//!
//! Owns: the decoder thread, the batches travelling to it and back, and
//! their order. The run loop copies each burst of consumed records into a
//! [`RawBatch`] and submits it; the thread decodes every record with its
//! own [`Decoder`] and hands back a [`DecodedBatch`] with the results in
//! the same order. Detection, offsets and outputs stay on the run loop, so
//! the at-least-once bookkeeping is unchanged: a record's offset is stored
//! only after its decoded batch was handled there. What the stage holds is
//! nothing but work not yet handled; the rebalance callback and shutdown
//! drain it before they commit.
//!
//! Why a thread: decoding is the larger half of the per-record work, and
//! with it off the loop that polls the consumer, a two-core host runs
//! decoding beside polling and detection instead of after them.

use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::detect::EventKeys;
use crate::event::{DecodeError, Decoder, Event};

/// Batches submitted and not yet taken back, at most. Bounds the memory
/// of records read ahead of detection (each batch is at most one burst).
pub const MAX_IN_FLIGHT: usize = 4;

/// Where one record sits in a batch's buffer, and where it came from.
#[derive(Debug, Clone)]
pub struct RawMeta {
    pub partition: i32,
    pub offset: i64,
    payload: Range<usize>,
    key: Option<Range<usize>>,
}

/// Consumed records copied out of the client, in consumption order.
#[derive(Debug, Default)]
pub struct RawBatch {
    buf: Vec<u8>,
    records: Vec<RawMeta>,
    /// Empty vectors for the decoder to fill, kept from an earlier batch
    /// so their allocations are reused.
    results: Vec<Result<Event, DecodeError>>,
    keys: Vec<EventKeys>,
}

impl RawBatch {
    pub fn push(&mut self, partition: i32, offset: i64, key: Option<&[u8]>, payload: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(payload);
        let payload = start..self.buf.len();
        let key = key.map(|k| {
            let start = self.buf.len();
            self.buf.extend_from_slice(k);
            start..self.buf.len()
        });
        self.records.push(RawMeta { partition, offset, payload, key });
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn records(&self) -> &[RawMeta] {
        &self.records
    }

    pub fn payload(&self, m: &RawMeta) -> &[u8] {
        &self.buf[m.payload.clone()]
    }

    pub fn key(&self, m: &RawMeta) -> Option<&[u8]> {
        m.key.clone().map(|k| &self.buf[k])
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.records.clear();
    }
}

/// The decoder thread stopped while it held batches.
#[derive(Debug)]
pub struct Gone;

/// A batch with each record's decoding, in the same order.
#[derive(Debug)]
pub struct DecodedBatch {
    pub raw: RawBatch,
    pub results: Vec<Result<Event, DecodeError>>,
    /// Each record's detector keys, hashed here so the detecting thread
    /// does not (a default for a record that did not decode).
    pub keys: Vec<EventKeys>,
    /// Decoding time of the whole batch (for the processing-time metric).
    pub decode_time: Duration,
}

/// The decoder thread and the batches in flight to and from it.
pub struct DecodeStage {
    to_decoder: Option<Sender<RawBatch>>,
    from_decoder: Receiver<DecodedBatch>,
    /// Woken whenever a decoded batch is ready (the run loop awaits it).
    ready: Arc<Notify>,
    in_flight: usize,
    thread: Option<JoinHandle<()>>,
    /// Emptied batches kept for reuse, so steady state allocates nothing.
    spare: Vec<RawBatch>,
}

impl DecodeStage {
    pub fn start() -> std::io::Result<DecodeStage> {
        let (to_decoder, inbox) = mpsc::channel::<RawBatch>();
        let (outbox, from_decoder) = mpsc::channel::<DecodedBatch>();
        let ready = Arc::new(Notify::new());
        let notify = ready.clone();
        let thread = std::thread::Builder::new().name("runaway-decode".into()).spawn(move || {
            let mut decoder = Decoder::default();
            while let Ok(raw) = inbox.recv() {
                let started = Instant::now();
                let mut raw = raw;
                let mut results = std::mem::take(&mut raw.results);
                results.extend(raw.records.iter().map(|m| decoder.decode(raw.payload(m))));
                let mut keys = std::mem::take(&mut raw.keys);
                keys.extend(results.iter().map(|r| r.as_ref().map(EventKeys::of).unwrap_or_default()));
                let batch = DecodedBatch { raw, results, keys, decode_time: started.elapsed() };
                if outbox.send(batch).is_err() {
                    break;
                }
                notify.notify_one();
            }
        })?;
        Ok(DecodeStage { to_decoder: Some(to_decoder), from_decoder, ready, in_flight: 0, thread: Some(thread), spare: Vec::new() })
    }

    /// An empty batch to fill (a reused one when there is one).
    pub fn batch(&mut self) -> RawBatch {
        self.spare.pop().unwrap_or_default()
    }

    /// Gives an emptied batch back for reuse.
    pub fn recycle(&mut self, mut batch: DecodedBatch) {
        batch.raw.clear();
        batch.results.clear();
        batch.raw.results = batch.results;
        batch.keys.clear();
        batch.raw.keys = batch.keys;
        if self.spare.len() < MAX_IN_FLIGHT + 1 {
            self.spare.push(batch.raw);
        }
    }

    /// Sends a batch to be decoded. False when the thread is gone (it only
    /// stops when its channel closes, or by panicking).
    pub fn submit(&mut self, batch: RawBatch) -> bool {
        if batch.is_empty() {
            self.spare.push(batch);
            return true;
        }
        match self.to_decoder.as_ref().map(|tx| tx.send(batch)) {
            Some(Ok(())) => {
                self.in_flight += 1;
                true
            }
            _ => false,
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// True when no more batches should be submitted until some come back.
    pub fn full(&self) -> bool {
        self.in_flight >= MAX_IN_FLIGHT
    }

    pub fn ready(&self) -> Arc<Notify> {
        self.ready.clone()
    }

    /// The next decoded batch if one is ready, without waiting; an error
    /// when batches are in flight but the thread is gone (a panic), which
    /// would otherwise leave the run loop waiting for them for ever.
    pub fn try_take(&mut self) -> Result<Option<DecodedBatch>, Gone> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        match self.from_decoder.try_recv() {
            Ok(b) => {
                self.in_flight -= 1;
                Ok(Some(b))
            }
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => {
                self.in_flight = 0;
                Err(Gone)
            }
        }
    }

    /// The next decoded batch, waiting for it; `None` when nothing is in
    /// flight or the thread died (then the batches are lost to this run,
    /// and their offsets were never stored, so the next owner re-reads
    /// them).
    pub fn take_blocking(&mut self) -> Option<DecodedBatch> {
        if self.in_flight == 0 {
            return None;
        }
        match self.from_decoder.recv() {
            Ok(b) => {
                self.in_flight -= 1;
                Some(b)
            }
            Err(_) => {
                self.in_flight = 0;
                None
            }
        }
    }
}

impl Drop for DecodeStage {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop.
        self.to_decoder = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_come_back_in_order_with_each_record_decoded() {
        let mut stage = DecodeStage::start().expect("thread");
        let good = br#"{"event_id":"e1","ts":1,"session_id":"s","agent_id":"a","kind":"tool","tool":"t"}"#;
        for n in 0..3 {
            let mut b = stage.batch();
            b.push(0, n * 2, Some(b"s"), good);
            b.push(1, n * 2 + 1, None, b"not json");
            assert!(stage.submit(b));
        }
        let mut offsets = Vec::new();
        while let Some(d) = stage.take_blocking() {
            let got: Vec<(i64, bool, Option<&[u8]>)> =
                d.raw.records().iter().zip(&d.results).map(|(m, r)| (m.offset, r.is_ok(), d.raw.key(m))).collect();
            offsets.extend(got.iter().map(|g| g.0));
            assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), [true, false]);
            assert_eq!(got[0].2, Some(&b"s"[..]));
            assert_eq!(got[1].2, None);
            stage.recycle(d);
        }
        assert_eq!(offsets, [0, 1, 2, 3, 4, 5]);
        assert_eq!(stage.in_flight(), 0);
    }

    #[test]
    fn a_vanished_thread_is_reported_not_waited_for() {
        let mut stage = DecodeStage::start().expect("thread");
        let mut b = stage.batch();
        b.push(0, 0, None, b"{}");
        assert!(stage.submit(b));
        // Stand-in for a panic on the decoder thread: its channels close
        // with a batch still counted in flight.
        let (_tx, rx) = mpsc::channel();
        stage.from_decoder = rx;
        drop(_tx);
        assert!(matches!(stage.try_take(), Err(Gone)));
        assert_eq!(stage.in_flight(), 0);
        assert!(stage.take_blocking().is_none());
    }
}
