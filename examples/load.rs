//! Load harness for Kafka mode (not a test): end-to-end events/s of
//! `runaway watch --brokers` against a bare rdkafka consume loop on the
//! same broker and topic in the same run (the median of `LOAD_ROUNDS`
//! alternating rounds, default 3), then event→kill latency at a fixed
//! event rate. Run through `scripts/kafka-load.sh`, which starts a
//! Tansu broker and creates the topics.
//!
//!   cargo run --release --example load -- BROKERS RUNAWAY_BIN [EVENTS] [RATE] [SECONDS]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Message, Offset, TopicPartitionList};

const EVENTS: &str = "load.events";
const KILL: &str = "load.kill";
const DLQ: &str = "load.dlq";
const PARTITIONS: i32 = 4;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: load BROKERS RUNAWAY_BIN [EVENTS=200000] [RATE=5000] [SECONDS=10]");
        std::process::exit(2);
    }
    let brokers = args[1].clone();
    let bin = args[2].clone();
    let total: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let rate: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let seconds: u64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(10);

    // 1. Backlog: `total` ordinary events, then one loop session per
    //    partition as a sentinel (its kill says "everything before is done"),
    //    and one at the head of each partition that marks the start.
    let producer = make_producer(&brokers, "5");
    let t0 = now_ms();
    let mut seq = 0u64;
    let mut per_partition = [10i64; PARTITIONS as usize];
    for p in 0..PARTITIONS {
        produce_loop_session(&producer, p, &format!("start-{p}"), t0, &mut seq);
    }
    for i in 0..total {
        let p = ((i / 8) % PARTITIONS as usize) as i32;
        per_partition[p as usize] += 1;
        let session = format!("bulk-{}", i / 8);
        let line = event_json(&format!("b{i}"), &session, t0 + i as i64 / 50, i % 8 == 7, None);
        send(&producer, p, &session, &line);
    }
    for p in 0..PARTITIONS {
        produce_loop_session(&producer, p, &format!("end-{p}"), t0 + total as i64 / 50, &mut seq);
        per_partition[p as usize] += 10;
    }
    producer.flush(Duration::from_secs(120)).expect("flush backlog");
    let backlog = total + PARTITIONS as usize * 10;
    eprintln!("backlog: {backlog} messages on {EVENTS}");

    // 2-3. Rounds of the bare loop and runaway, alternating, each reading
    // the whole backlog afresh (a new consumer group, a new runaway
    // process): one pair of readings moves by ±20 % on a shared 2-core host,
    // mostly with the bare loop, so the ratio reported is the median of
    // LOAD_ROUNDS rounds (default 3), every round printed. The last
    // round's runaway stays up for the latency phase.
    // LOAD_BROKER_PID (set by scripts/kafka-load.sh): the broker's CPU in
    // each phase, to see whether the host's 2 cores were already full.
    let broker_pid: Option<u32> = std::env::var("LOAD_BROKER_PID").ok().and_then(|p| p.parse().ok());
    let broker_cpu = move || broker_pid.map_or(f64::NAN, cpu_seconds);
    let rounds: usize = std::env::var("LOAD_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let kills = KillWatcher::start(&brokers, KILL, None);
    kills.wait_ready(&brokers);
    let mut readings: Vec<(f64, f64)> = Vec::new();
    let mut child = None;
    for round in 1..=rounds {
        // Bare loop: assign all partitions from the beginning, count.
        let cpu_before = cpu_seconds(std::process::id());
        let broker_before = broker_cpu();
        let bare = bare_loop(&brokers, backlog, round);
        let bare_cpu = cpu_seconds(std::process::id()) - cpu_before;
        let bare_broker = broker_cpu() - broker_before;
        let bare_rate = backlog as f64 / bare.as_secs_f64();

        // runaway watch on the same topic, from the beginning.
        let group = format!("load-{}-{round}", std::process::id());
        let metrics_addr = free_addr();
        let mut c = spawn_runaway(&bin, &brokers, &group, &metrics_addr);
        // runaway's own count of records read, scraped every 10 ms: when it
        // read its first and its last backlog record.
        let child_pid = c.id();
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut first = None;
        // (runaway, broker) CPU seconds when the first record was seen.
        let mut cpu_at_first = (0.0, 0.0);
        let (read_first, read_last, read_cpu, read_broker) = loop {
            let n = scrape_records(&metrics_addr);
            if std::env::var_os("LOAD_TRACE").is_some() && n > 0 {
                eprintln!("trace {:?} {n}", first.map(|f: Instant| f.elapsed()));
            }
            if n > 0 && first.is_none() {
                first = Some(Instant::now());
                cpu_at_first = (cpu_seconds(child_pid), broker_cpu());
            }
            if let Some(f) = first.filter(|_| n >= backlog as u64) {
                break (f, Instant::now(), cpu_seconds(child_pid) - cpu_at_first.0, broker_cpu() - cpu_at_first.1);
            }
            assert!(Instant::now() < deadline, "runaway's metrics never showed the whole backlog read");
            if let Ok(Some(status)) = c.try_wait() {
                panic!("runaway exited early ({status}); its stderr is above");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let read = read_last.duration_since(read_first);
        let watch_rate = backlog as f64 / read.as_secs_f64();
        readings.push((watch_rate, bare_rate));
        eprintln!(
            "round {round}: bare loop {bare_rate:.0} msg/s ({:.3} s), runaway {watch_rate:.0} ev/s ({:.3} s), ratio {:.2}",
            bare.as_secs_f64(),
            read.as_secs_f64(),
            watch_rate / bare_rate
        );
        if broker_pid.is_some() {
            eprintln!(
                "  cores busy while reading (of {}): bare loop {:.2} + broker {:.2}; runaway {:.2} + broker {:.2} (10 ms scrape resolution); CPU per event: bare loop {:.2} us, runaway {:.2} us",
                std::thread::available_parallelism().map_or(0, |n| n.get()),
                bare_cpu / bare.as_secs_f64(),
                bare_broker / bare.as_secs_f64(),
                read_cpu / read.as_secs_f64(),
                read_broker / read.as_secs_f64(),
                bare_cpu * 1e6 / backlog as f64,
                read_cpu * 1e6 / backlog as f64
            );
        }
        if round < rounds {
            let _ = c.kill();
            let _ = c.wait();
        } else {
            child = Some(c);
        }
    }
    let mut child = child.expect("the last round's runaway");
    // Before the latency phase, the end sentinels' kills seen on the kill
    // topic: a runaway that has read the backlog may still be starting its
    // kill producer (its idempotent-producer id). Any round's kills count:
    // every round decides the same, under the same signal ids.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let seen = kills.seen.lock().expect("lock").clone();
        let ends = (0..PARTITIONS).filter(|p| seen.contains_key(&format!("end-{p}"))).count();
        if ends == PARTITIONS as usize {
            break;
        }
        assert!(Instant::now() < deadline, "runaway did not kill the sentinel sessions");
        std::thread::sleep(Duration::from_millis(5));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let ratios: Vec<f64> = readings.iter().map(|(w, b)| w / b).collect();
    println!(
        "throughput: runaway {:.0} ev/s, bare loop {:.0} ev/s, ratio {:.2} (target >= 0.8; medians of {rounds} rounds, ratios {})",
        median(readings.iter().map(|r| r.0).collect()),
        median(readings.iter().map(|r| r.1).collect()),
        median(ratios.clone()),
        ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" ")
    );

    // 4. Latency at a fixed rate: one session in five loops (kill at its
    //    5th call); latency = kill seen on the kill topic - trigger produced.
    // The same trigger events read straight off the events topic: the
    // broker's own produce→consume latency, for comparison.
    // LOAD_TRANSIT=0 leaves it out: it is one more consumer polling the
    // broker, which on a shared 2-core host slows everything else.
    let transit = (std::env::var("LOAD_TRANSIT").as_deref() != Ok("0")).then(|| KillWatcher::start(&brokers, EVENTS, Some(per_partition)));
    if let Some(t) = &transit {
        t.wait_ready(&brokers);
    }
    // Telemetry producers batch a little; LOAD_LINGER_MS=0 sends each event alone.
    let linger = std::env::var("LOAD_LINGER_MS").unwrap_or_else(|_| "2".to_string());
    let producer = make_producer(&brokers, &linger);
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let start = Instant::now();
    let n = rate * seconds as usize;
    let mut triggers = 0usize;
    let base = now_ms();
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let s = i / 6;
        let session = format!("lat-{s}");
        let p = (s % PARTITIONS as usize) as i32;
        let step = i % 6;
        let looping = s % 5 == 0;
        let id = format!("l{i}");
        let line = event_json(&id, &session, base + i as i64, false, looping.then_some(()));
        if looping && step == 4 {
            sent.lock().expect("lock").insert(id.clone(), Instant::now());
            triggers += 1;
        }
        send(&producer, p, &session, &line);
    }
    let backlog_at_end = producer.in_flight_count();
    let behind = Instant::now().duration_since(start).as_secs_f64() - seconds as f64;
    producer.flush(Duration::from_secs(30)).expect("flush");
    eprintln!("latency phase: linger.ms={linger}, producer queue at end {backlog_at_end}, pacing overrun {behind:.3} s");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lat = Vec::new();
    while Instant::now() < deadline {
        let got = kills.by_trigger.lock().expect("lock").clone();
        let sent = sent.lock().expect("lock");
        lat = sent.iter().filter_map(|(id, t)| got.get(id).map(|r| r.duration_since(*t).as_secs_f64() * 1000.0)).collect();
        if lat.len() >= triggers {
            break;
        }
        drop(sent);
        std::thread::sleep(Duration::from_millis(50));
    }
    {
        // Latency by second of the phase: a broker whose cost grows with its
        // log shows as a climb from the first seconds to the last.
        let got = kills.by_trigger.lock().expect("lock");
        let sent = sent.lock().expect("lock");
        let mut by_second: Vec<Vec<f64>> = vec![Vec::new(); seconds as usize + 1];
        for (id, t) in sent.iter() {
            if let Some(r) = got.get(id) {
                let sec = (t.duration_since(start).as_secs() as usize).min(seconds as usize);
                by_second[sec].push(r.duration_since(*t).as_secs_f64() * 1000.0);
            }
        }
        let line: Vec<String> = by_second
            .iter_mut()
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.sort_by(|a, b| a.total_cmp(b));
                format!("{:.0}/{:.0}", percentile(v, 0.5), percentile(v, 0.99))
            })
            .collect();
        eprintln!("latency p50/p99 ms by second: {}", line.join(" "));
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |q: f64| percentile(&lat, q);
    if let Some(transit) = &transit {
        let seen = transit.by_event.lock().expect("lock");
        let sent = sent.lock().expect("lock");
        let mut t: Vec<f64> =
            sent.iter().filter_map(|(id, at)| seen.get(id).map(|r| r.duration_since(*at).as_secs_f64() * 1000.0)).collect();
        t.sort_by(|a, b| a.total_cmp(b));
        let q = |x: f64| percentile(&t, x);
        println!(
            "broker transit of the same trigger events (producer -> {EVENTS} -> consumer): p50 {:.1} ms, p99 {:.1} ms",
            q(0.5),
            q(0.99)
        );
        // What runaway adds on top: kill seen minus trigger event seen by a
        // plain consumer (runaway's fetch, detection, kill produce, kill fetch).
        let kills = kills.by_trigger.lock().expect("lock");
        let mut d: Vec<f64> =
            sent.keys().filter_map(|id| Some(kills.get(id)?.saturating_duration_since(*seen.get(id)?).as_secs_f64() * 1000.0)).collect();
        d.sort_by(|a, b| a.total_cmp(b));
        let q = |x: f64| percentile(&d, x);
        println!("added by runaway over broker transit: p50 {:.1} ms, p99 {:.1} ms ({} kills)", q(0.5), q(0.99), d.len());
    }
    println!(
        "latency at {rate} ev/s for {seconds} s: {} of {triggers} kills, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 <= 20 ms)",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
    kills.stop.store(true, Ordering::Relaxed);
    if let Some(t) = &transit {
        t.stop.store(true, Ordering::Relaxed);
    }
}

/// The `q` quantile of sorted values (nearest rank); NaN when empty.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted.get(((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or(f64::NAN)
}

/// User + system CPU seconds of a process so far (Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the `)`.
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    let ticks = field(11) + field(12);
    ticks / 100.0
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn make_producer(brokers: &str, linger: &str) -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", linger)
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer")
}

fn send(producer: &ThreadedProducer<DefaultProducerContext>, partition: i32, key: &str, line: &str) {
    let mut rec = BaseRecord::to(EVENTS).partition(partition).key(key).payload(line);
    loop {
        match producer.send(rec) {
            Ok(()) => return,
            Err((_, r)) => {
                rec = r;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// An event; `loop_call` makes it the same tool call every time, its
/// session's own: one call that many sessions make is a fleet-common
/// lookup, not a loop. Loops carry the ordinary sessions' task type: in a
/// type of their own every session of it would be a loop, and four kills
/// among them make the detector doubt its repeat limit (a type that
/// repeats by design).
fn event_json(id: &str, session: &str, ts: i64, tool: bool, loop_call: Option<()>) -> String {
    if loop_call.is_some() {
        return format!(
            r#"{{"event_id":"{id}","ts":{ts},"session_id":"{session}","agent_id":"agent-load","task_type":"load","kind":"tool","tool":"search","args_hash":"same-{session}"}}"#
        );
    }
    if tool {
        format!(
            r#"{{"event_id":"{id}","ts":{ts},"session_id":"{session}","agent_id":"agent-load","kind":"tool","tool":"fetch","args_hash":"{id}"}}"#
        )
    } else {
        format!(
            r#"{{"event_id":"{id}","ts":{ts},"session_id":"{session}","agent_id":"agent-load","task_type":"load","model":"gpt-4o-mini","provider":"openai","input_tokens":200,"output_tokens":20,"cost_usd":0.0001}}"#
        )
    }
}

fn produce_loop_session(producer: &ThreadedProducer<DefaultProducerContext>, p: i32, session: &str, ts: i64, seq: &mut u64) {
    for _ in 0..10 {
        *seq += 1;
        send(producer, p, session, &event_json(&format!("{session}-{seq}"), session, ts, false, Some(())));
    }
}

fn assign_all(consumer: &BaseConsumer, topic: &str, offset: Offset) {
    let mut tpl = TopicPartitionList::new();
    let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
    for t in md.topics() {
        for p in t.partitions() {
            tpl.add_partition_offset(topic, p.id(), offset).expect("tpl");
        }
    }
    consumer.assign(&tpl).expect("assign");
}

fn bare_loop(brokers: &str, expect: usize, round: usize) -> Duration {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bare-{}-{round}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .create()
        .expect("consumer");
    if std::env::var_os("LOAD_BARE_GROUP").is_some() {
        consumer.subscribe(&[EVENTS]).expect("subscribe");
    } else {
        assign_all(&consumer, EVENTS, Offset::Beginning);
    }
    let mut n = 0usize;
    let mut bytes = 0usize;
    let mut first = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    while n < expect && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            first.get_or_insert_with(Instant::now);
            bytes += m.payload().map_or(0, <[u8]>::len);
            n += 1;
        }
    }
    assert!(n >= expect, "bare loop saw only {n} of {expect} messages");
    std::hint::black_box(bytes);
    first.map_or(Duration::ZERO, |f| f.elapsed())
}

/// A free 127.0.0.1 port, as HOST:PORT.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").to_string()
}

/// Records runaway has read (sum of `runaway_events_total` over outcomes);
/// 0 while its metrics endpoint is not up yet.
fn scrape_records(addr: &str) -> u64 {
    use std::io::{Read, Write};
    let Ok(mut c) = std::net::TcpStream::connect(addr) else { return 0 };
    let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
    if c.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n").is_err() {
        return 0;
    }
    let mut body = String::new();
    let _ = c.read_to_string(&mut body);
    body.lines().filter(|l| l.starts_with("runaway_events_total{")).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>()
        as u64
}

fn spawn_runaway(bin: &str, brokers: &str, group: &str, metrics_addr: &str) -> Child {
    Command::new(bin)
        .args(["watch", "--brokers", brokers, "--group", group, "--topic", EVENTS, "--kill-topic", KILL, "--dlq-topic", DLQ])
        .args(["--metrics-addr", metrics_addr])
        .args(["--log-level", "warn", "--kafka", "session.timeout.ms=6000", "--kafka", "heartbeat.interval.ms=500"])
        // LOAD_RUNAWAY_ARGS="--kafka fetch.wait.max.ms=2 …": extra flags for tuning runs.
        .args(std::env::var("LOAD_RUNAWAY_ARGS").unwrap_or_default().split_whitespace())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn runaway")
}

/// Reads the kill topic from its end on a thread; records when each
/// session's kill and each trigger event's kill was first seen.
struct KillWatcher {
    seen: Arc<Mutex<HashMap<String, Instant>>>,
    by_trigger: Arc<Mutex<HashMap<String, Instant>>>,
    by_event: Arc<Mutex<HashMap<String, Instant>>>,
    stop: Arc<AtomicBool>,
    topic: &'static str,
}

impl KillWatcher {
    /// Returns once the watcher sees a probe record produced now: kills
    /// seen later are timed by a watcher that was already reading (a
    /// watcher still joining would see the first and last kill together).
    fn wait_ready(&self, brokers: &str) {
        let probe = format!("probe-{}", now_ms());
        let producer = make_producer(brokers, "0");
        // A valid event of a session of its own: on the events topic,
        // runaway processes it like any other (no kill, no dead letter).
        let line = format!(
            r#"{{"event_id":"{probe}","ts":{},"session_id":"{probe}","agent_id":"probe","kind":"tool","tool":"probe","args_hash":"{probe}"}}"#,
            now_ms()
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut next_send = Instant::now();
        while !self.seen.lock().expect("lock").contains_key(&probe) && !self.by_event.lock().expect("lock").contains_key(&probe) {
            assert!(Instant::now() < deadline, "watcher never saw its probe record on {}", self.topic);
            if Instant::now() >= next_send {
                // Partition 0 of the watched topic; sent again while unseen.
                let rec = BaseRecord::to(self.topic).partition(0).key(&probe).payload(&line);
                let _ = producer.send(rec);
                next_send = Instant::now() + Duration::from_millis(500);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = producer.flush(Duration::from_secs(10));
    }

    /// Reads `topic` from its start, or from `from` (offset per partition).
    fn start(brokers: &str, topic: &'static str, from: Option<[i64; PARTITIONS as usize]>) -> KillWatcher {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", format!("killwatch-{}", std::process::id()))
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", std::env::var("LOAD_WATCH_WAIT_MS").unwrap_or_else(|_| "5".into()))
            .create()
            .expect("consumer");
        // The kill topic is fresh per run (Tansu 0.6 reports odd end
        // offsets, so the events topic is read from its start too).
        match from {
            None => assign_all(&consumer, topic, Offset::Beginning),
            Some(offsets) => {
                let mut tpl = TopicPartitionList::new();
                for (p, o) in offsets.iter().enumerate() {
                    tpl.add_partition_offset(topic, p as i32, Offset::Offset(*o)).expect("tpl");
                }
                consumer.assign(&tpl).expect("assign");
            }
        }
        let w = KillWatcher { seen: Arc::default(), by_trigger: Arc::default(), by_event: Arc::default(), stop: Arc::default(), topic };
        let (seen, by_trigger, by_event, stop) = (w.seen.clone(), w.by_trigger.clone(), w.by_event.clone(), w.stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50)) {
                    let at = Instant::now();
                    let Ok(v) = serde_json::from_slice::<serde_json::Value>(m.payload().unwrap_or_default()) else { continue };
                    if topic == EVENTS {
                        if let Some(id) = v["event_id"].as_str() {
                            by_event.lock().expect("lock").entry(id.to_string()).or_insert(at);
                        }
                        continue;
                    }
                    if let Some(s) = v["session_id"].as_str() {
                        seen.lock().expect("lock").entry(s.to_string()).or_insert(at);
                    }
                    if let Some(t) = v["trigger_event_id"].as_str() {
                        by_trigger.lock().expect("lock").entry(t.to_string()).or_insert(at);
                    }
                }
            }
        });
        w
    }
}
