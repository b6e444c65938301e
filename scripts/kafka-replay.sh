#!/usr/bin/env bash
# Replays an event file through Kafka mode as a backlog and compares the
# session kills with file mode on the same file (not a test: a way to see
# what reading partitions in chunks changes; docs/kafka.md, "What a
# catch-up can change").
# Usage: scripts/kafka-replay.sh FILE [PARTITIONS=1] [KEY=session|task]
#   Starts an in-memory Tansu broker on a free 127.0.0.1 port, produces FILE
#   to agent.events keyed by session_id (or by task_id, falling back to the
#   session, with KEY=task), runs `runaway watch --brokers` until the kill
#   topic is quiet for 20 s, then runs file mode and prints both kill sets.
# Needs python3 with confluent-kafka (scripts/setup-test-deps.sh installs it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
file=${1:?usage: scripts/kafka-replay.sh FILE [PARTITIONS] [session|task]}
parts=${2:-1}
key=${3:-session}

tansu="$(TANSU_FROM_SOURCE="${TANSU_FROM_SOURCE:-1}" scripts/tansu.sh)"
cargo build --release --quiet --bin runaway
bin=target/release/runaway
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="tcp://127.0.0.1:$port"
"$tansu" broker --listener-url "$url" --advertised-listener-url "$url" --storage-engine memory://tansu/ >"$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  "$tansu" topic create agent.events --broker "$url" --partitions "$parts" >/dev/null 2>&1 && break
  sleep 0.2
done
"$tansu" topic create agent.kill --broker "$url" --partitions 1 >/dev/null
"$tansu" topic create agent.events.dlq --broker "$url" --partitions 1 >/dev/null

python3 - "$file" "127.0.0.1:$port" "$key" <<'PY'
import json, sys
from confluent_kafka import Producer
path, brokers, by = sys.argv[1:4]
p = Producer({"bootstrap.servers": brokers, "linger.ms": 20, "enable.idempotence": True, "acks": "all"})
n = 0
for line in open(path, "rb"):
    line = line.rstrip(b"\n")
    try:
        e = json.loads(line)
        k = (e.get("task_id") if by == "task" else None) or e.get("session_id") or ""
    except (ValueError, AttributeError):
        k = ""
    while True:
        try:
            p.produce("agent.events", value=line, key=str(k).encode())
            break
        except BufferError:
            p.poll(0.1)
    n += 1
p.flush(120)
print(f"produced {n} records to {sys.argv[2]} agent.events, keyed by {by}")
PY

"$bin" watch --brokers "127.0.0.1:$port" --group "replay-$$" --log-level warn >"$work/watch.log" 2>&1 &
watch=$!
python3 - "127.0.0.1:$port" "$work/kafka.sig" <<'PY'
import sys, time
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "replay-reader", "auto.offset.reset": "earliest"})
c.subscribe(["agent.kill"])
out, last, start = open(sys.argv[2], "w"), time.time(), time.time()
while time.time() - last < 20 and time.time() - start < 1800:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    out.write(m.value().decode() + "\n")
    last = time.time()
PY
kill -TERM "$watch"
wait "$watch" || true
"$bin" watch --input "$file" --signals "$work/file.sig" >/dev/null 2>&1

python3 - "$work/file.sig" "$work/kafka.sig" <<'PY'
import collections, json, sys
def kills(path):
    out = {}
    for line in open(path):
        s = json.loads(line)
        if s["action"] == "kill" and s["scope"] == "session":
            ev = s["evidence"]
            own = not (ev.get("propagated") or ev.get("stopped_ancestor_session_id") or "parent_session_id" in ev)
            out[s["session_id"]] = (s["reason"], own)
    return out
f, k = kills(sys.argv[1]), kills(sys.argv[2])
print(f"session kills: file mode {len(f)}, Kafka mode {len(k)}, {len(set(f) & set(k))} in common")
of = {s for s, (_, own) in f.items() if own}
ok = {s for s, (_, own) in k.items() if own}
print(f"own kills (not propagated down a tree): file mode {len(of)}, Kafka mode {len(ok)}, {len(of & ok)} in common")
print("  by reason, file mode:", dict(collections.Counter(f[s][0] for s in of)))
print("  by reason, Kafka mode:", dict(collections.Counter(k[s][0] for s in ok)))
print("  only in file mode:", dict(collections.Counter(f[s][0] for s in of - ok)))
print("  only in Kafka mode:", dict(collections.Counter(k[s][0] for s in ok - of)))
PY
