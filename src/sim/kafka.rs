//! Produces a simulated fleet to Kafka at a steady rate (key = session_id),
//! for load tests and live demos of `runaway watch --brokers`.
//!
//! Owns: pacing and delivery of simulated events. Nothing here decides
//! anything about the events themselves.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

use super::{SimError, SimEvent};

/// Delivery figures of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Produced {
    pub delivered: u64,
    pub failed: u64,
    pub seconds: f64,
}

/// Sends `events` in order to `topic`, about `rate` events per second
/// (0 = as fast as the client takes them). Blocks until every message is
/// acknowledged or has failed.
pub fn produce(events: &[SimEvent], brokers: &str, topic: &str, rate: f64) -> Result<Produced, SimError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SimError::Kafka(format!("cannot start runtime: {e}")))?;
    rt.block_on(produce_async(events, brokers, topic, rate))
}

async fn produce_async(events: &[SimEvent], brokers: &str, topic: &str, rate: f64) -> Result<Produced, SimError> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", "30000")
        .create()
        .map_err(|e| SimError::Kafka(format!("cannot create producer for {brokers}: {e}")))?;
    let started = Instant::now();
    let mut pending: Vec<DeliveryFuture> = Vec::with_capacity(4096);
    let mut out = Produced::default();
    for (i, e) in events.iter().enumerate() {
        if rate > 0.0 {
            let due = started + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                tokio::time::sleep(due - now).await;
            }
        }
        let payload = serde_json::to_string(e).map_err(|err| SimError::Kafka(err.to_string()))?;
        let mut record = FutureRecord::to(topic).key(&*e.session_id).payload(&payload);
        loop {
            match producer.send_result(record) {
                Ok(f) => {
                    pending.push(f);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    // Local queue full: wait for what is in flight, then retry.
                    settle(&mut pending, &mut out).await;
                    record = r;
                }
                Err((err, _)) => return Err(SimError::Kafka(format!("cannot enqueue event {}: {err}", e.event_id))),
            }
        }
        if pending.len() >= 4096 {
            settle(&mut pending, &mut out).await;
        }
    }
    settle(&mut pending, &mut out).await;
    out.seconds = started.elapsed().as_secs_f64();
    tracing::info!(delivered = out.delivered, failed = out.failed, seconds = out.seconds, topic, "simulated events produced");
    if out.failed > 0 {
        return Err(SimError::Kafka(format!("{} of {} events were not delivered", out.failed, events.len())));
    }
    Ok(out)
}

async fn settle(pending: &mut Vec<DeliveryFuture>, out: &mut Produced) {
    for f in pending.drain(..) {
        match f.await {
            Ok(Ok(_)) => out.delivered += 1,
            Ok(Err((err, _))) => {
                tracing::warn!(error = %err, "delivery failed");
                out.failed += 1;
            }
            Err(_) => out.failed += 1,
        }
    }
}
