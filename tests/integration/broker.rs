//! A real Kafka-compatible broker for tests: Tansu on a free 127.0.0.1
//! port, in memory, killed on drop; plus small rdkafka helpers to produce
//! fixtures and read topics back, and a guard for a `runaway` child.
//!
//! The binary comes from `$TANSU_BIN` or `.tools/bin/tansu` (installed by
//! `scripts/tansu.sh`); without it the tests fail saying so.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Message, Offset, TopicPartitionList};

pub fn tansu_bin() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU_BIN") {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/tansu");
    assert!(local.exists(), "Tansu broker binary not found: run scripts/tansu.sh (installs .tools/bin/tansu) or set TANSU_BIN");
    local
}

pub(crate) fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// One in-memory Tansu broker; killed on drop.
pub struct Broker {
    child: Child,
    pub addr: String,
    bin: PathBuf,
}

impl Broker {
    pub fn start() -> Broker {
        let bin = tansu_bin();
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&bin)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; run scripts/tansu.sh", bin.display()));
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "tansu did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker { child, addr, bin }
    }

    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(&self.bin)
            .args(["topic", "create", name, "--broker", &format!("tcp://{}", self.addr), "--partitions", &partitions.to_string()])
            .output()
            .expect("run tansu topic create");
        assert!(out.status.success(), "topic create {name}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the broker: an outage without data loss.
    pub fn signal(&self, sig: &str) {
        send_signal(self.child.id(), sig);
    }

    pub fn producer(&self) -> ThreadedProducer<DefaultProducerContext> {
        ClientConfig::new()
            .set("bootstrap.servers", &self.addr)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .create()
            .expect("test producer")
    }

    /// Produces `lines` (NDJSON) keyed by their `session_id` (raw line
    /// bytes, so malformed lines go through unchanged).
    pub fn produce_lines(&self, producer: &ThreadedProducer<DefaultProducerContext>, topic: &str, lines: &[String]) {
        for line in lines {
            let key = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("session_id").and_then(|s| s.as_str()).map(str::to_string))
                .unwrap_or_else(|| "malformed".to_string());
            let mut rec = BaseRecord::to(topic).key(&key).payload(line.as_str());
            loop {
                match producer.send(rec) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        rec = r;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(30)).expect("test producer flush");
    }

    /// Reads `topic` from the beginning until `done` holds for the messages
    /// so far or `timeout` passes; returns what was read.
    pub fn read_until(&self, topic: &str, timeout: Duration, done: impl Fn(&[Record]) -> bool) -> Vec<Record> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.addr)
            .set("group.id", format!("reader-{}", free_port()))
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "50")
            .create()
            .expect("test consumer");
        let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
        let mut tpl = TopicPartitionList::new();
        for t in md.topics() {
            for p in t.partitions() {
                tpl.add_partition_offset(topic, p.id(), Offset::Beginning).expect("tpl");
            }
        }
        consumer.assign(&tpl).expect("assign");
        let mut out = Vec::new();
        let deadline = Instant::now() + timeout;
        while !done(&out) && Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                let mut headers = BTreeMap::new();
                if let Some(h) = m.headers() {
                    for hd in h.iter() {
                        headers.insert(hd.key.to_string(), String::from_utf8_lossy(hd.value.unwrap_or_default()).into_owned());
                    }
                }
                out.push(Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    value: String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                    headers,
                });
            }
        }
        out
    }

    /// Committed offsets of `group` on `topic`, by partition (-1 for none).
    pub fn committed(&self, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
        let consumer: BaseConsumer =
            ClientConfig::new().set("bootstrap.servers", &self.addr).set("group.id", group).create().expect("consumer");
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(topic, p);
        }
        let c = consumer.committed_offsets(tpl, Duration::from_secs(10)).expect("committed offsets");
        (0..partitions)
            .map(|p| match c.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => -1,
            })
            .collect()
    }

    /// End offsets of `topic` by partition (last offset + 1, 0 when
    /// empty), read from the messages themselves: Tansu 0.6's ListOffsets
    /// answer is not a usable high watermark.
    pub fn end_offsets(&self, topic: &str, partitions: i32) -> Vec<i64> {
        let all = self.read_until(topic, Duration::from_secs(2), |_| false);
        (0..partitions).map(|p| all.iter().filter(|r| r.partition == p).map(|r| r.offset + 1).max().unwrap_or(0)).collect()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        send_signal(self.child.id(), "CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn send_signal(pid: u32, sig: &str) {
    let st = Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().expect("run kill");
    assert!(st.success(), "kill -{sig} {pid}");
}

/// One message read back from a topic.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: String,
    pub headers: BTreeMap<String, String>,
}

/// A `runaway watch --brokers` child; its stderr goes to a file. Killed on drop.
pub struct Runaway {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Runaway {
    pub fn start(args: &[String], log: PathBuf) -> Runaway {
        let err = File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_runaway"))
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("start runaway");
        Runaway { child: Some(child), log }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (bounded) for the exit.
    pub fn terminate(&mut self, timeout: Duration) -> (ExitStatus, String) {
        self.signal("TERM");
        self.wait_bounded(timeout, "of SIGTERM")
    }

    /// Sends `sig` (e.g. "TERM") without waiting.
    pub fn signal(&self, sig: &str) {
        send_signal(self.child.as_ref().expect("running").id(), sig);
    }

    /// Waits for the process to exit on its own (bounded).
    pub fn wait_exit(&mut self, timeout: Duration) -> (ExitStatus, String) {
        self.wait_bounded(timeout, "")
    }

    fn wait_bounded(&mut self, timeout: Duration, after: &str) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = child.try_wait().expect("wait") {
                return (st, self.log_text());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("runaway did not exit within {timeout:?} {after}; log:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Runaway {
    fn drop(&mut self) {
        self.kill9();
    }
}
