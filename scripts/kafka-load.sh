#!/usr/bin/env bash
# Load harness for Kafka mode (not a test): starts an in-memory Tansu broker
# on a free 127.0.0.1 port, creates the load topics, builds runaway and the
# `load` example in release mode, and reports
#   - end-to-end events/s of `runaway watch --brokers` vs a bare rdkafka
#     consume loop on the same broker and topic (target ratio >= 0.8; the
#     median of LOAD_ROUNDS alternating rounds), and
#   - event->kill latency p50/p99 at a fixed event rate (target p99 <= 20 ms).
# Usage: scripts/kafka-load.sh [EVENTS=200000] [RATE=5000] [SECONDS=10]
# RUNAWAY_BIN=path runs another runaway binary (or a wrapper, e.g. under perf).
# LOAD_RUNAWAY_ARGS adds flags to runaway (e.g. "--kafka fetch.wait.max.ms=2");
# LOAD_LINGER_MS sets the event producer's linger (default 2);
# LOAD_WATCH_WAIT_MS the kill watcher's fetch.wait.max.ms (default 5);
# LOAD_ROUNDS (default 3): rounds of the throughput phase, the bare loop
# and a fresh runaway alternating; the ratio printed is their median.
# LOAD_BARE_GROUP=1 makes the bare loop a group member (subscribe) instead of
# assigning partitions; LOAD_TRACE=1 prints runaway's records-read count at
# every scrape (to see stalls).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A Tansu built from source unless TANSU_BIN names another broker: the
# prebuilt one's own transit times (seconds at p99) would swamp the figures.
tansu="$(TANSU_FROM_SOURCE="${TANSU_FROM_SOURCE:-1}" scripts/tansu.sh)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="tcp://127.0.0.1:$port"

cargo build --release --quiet --bin runaway --example load

# LOAD_STORAGE picks the broker's storage engine (default memory://tansu/);
# a relative sqlite:// file lands in a fresh directory under /dev/shm.
broker_dir="$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)"
(cd "$broker_dir" && exec "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" --storage-engine "${LOAD_STORAGE:-memory://tansu/}") >/dev/null 2>&1 &
broker_pid=$!
trap 'kill "$broker_pid" 2>/dev/null || true; rm -rf "$broker_dir"' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
"$tansu" topic create load.events --broker "$url" --partitions 4 >/dev/null
"$tansu" topic create load.kill --broker "$url" --partitions 1 >/dev/null
"$tansu" topic create load.dlq --broker "$url" --partitions 1 >/dev/null

LOAD_BROKER_PID="$broker_pid" target/release/examples/load "127.0.0.1:$port" "${RUNAWAY_BIN:-target/release/runaway}" "${1:-200000}" "${2:-5000}" "${3:-10}"
