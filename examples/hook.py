"""An enforcement hook for runaway's kill topic (contract §2).

Consumes the kill topic, dedupes signals by ``signal_id`` (runaway emits at
least once; a replay repeats the same id) and calls a handler per new
signal. Offsets are stored only after the handler returned, so a crash
re-delivers a signal, never skips one.

    pip install confluent-kafka
    python3 examples/hook.py --brokers 127.0.0.1:9092 [--topic agent.kill] [--group runaway-hook] [-X key=value]...

In file mode (``runaway watch --signals FILE``) it follows the signals file
instead, as ``tail -F`` would, from its first line; no Kafka client needed:

    python3 examples/hook.py --file signals.ndjson

A file has no committed offsets: a restarted hook reads the file again
from the start and acts on every signal again, so keep the handlers
idempotent (killing a session twice is harmless) or remember the ids.

Replace ``kill_session`` & co. with calls into your agent runtime.
"""
import argparse
import json
import os
import signal
import sys
import time
from collections import OrderedDict


def kill_session(s):
    print(f"KILL session {s.get('session_id')} ({s['reason']}): {s.get('message', '')}", flush=True)


def pause(s):
    print(f"PAUSE {s['scope']} {s.get('agent_id', 'fleet')}: {s.get('message', '')}", flush=True)


def throttle(s):
    print(f"THROTTLE {s['scope']} {s.get('agent_id', 'fleet')}: {s.get('message', '')}", flush=True)


def alert(s):
    print(f"ALERT {s.get('session_id') or s.get('agent_id') or 'fleet'} ({s['reason']}): {s.get('message', '')}", flush=True)


HANDLERS = {"kill": kill_session, "pause": pause, "throttle": throttle, "alert": alert}


class Seen:
    """The last ``cap`` signal ids."""

    def __init__(self, cap=100_000):
        self.ids = OrderedDict()
        self.cap = cap

    def first_time(self, signal_id):
        if signal_id in self.ids:
            return False
        self.ids[signal_id] = None
        if len(self.ids) > self.cap:
            self.ids.popitem(last=False)
        return True


def act(line, seen):
    """Acts on one signal (JSON text) unless its id was seen."""
    try:
        s = json.loads(line)
        if seen.first_time(s["signal_id"]):
            HANDLERS.get(s.get("action"), alert)(s)
    except (ValueError, KeyError, TypeError) as e:
        print(f"hook: not a signal ({e}); skipped", file=sys.stderr)


def follow_file(path, running, max_messages):
    """Follows a signals file as runaway appends to it; returns an exit code."""
    seen, n = Seen(), 0
    print(f"hook: following {path}", file=sys.stderr)
    while running() and not os.path.exists(path):
        time.sleep(0.2)  # runaway creates it on start
    if not running():
        return 0
    with open(path, encoding="utf-8") as f:
        pending = ""
        while running():
            chunk = f.readline()
            if not chunk:
                time.sleep(0.2)
                continue
            pending += chunk
            if not pending.endswith("\n"):
                continue  # a line still being written
            line, pending = pending.strip(), ""
            if not line:
                continue
            act(line, seen)
            n += 1
            if max_messages and n >= max_messages:
                break
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", help="follow this signals file (file mode) instead of consuming Kafka")
    ap.add_argument("--brokers", default="127.0.0.1:9092")
    ap.add_argument("--topic", default="agent.kill")
    ap.add_argument("--group", default="runaway-hook")
    ap.add_argument("--max-messages", type=int, default=0, help="stop after this many messages (0 = run until Ctrl-C/SIGTERM)")
    ap.add_argument("-X", action="append", default=[], metavar="KEY=VALUE", help="any librdkafka property (SASL, TLS, timeouts)")
    args = ap.parse_args()
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.file:
        return follow_file(args.file, lambda: running, args.max_messages)

    from confluent_kafka import Consumer, KafkaException

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        "enable.auto.offset.store": False,
        **dict(kv.split("=", 1) for kv in args.X),
    })
    consumer.subscribe([args.topic])
    seen, n = Seen(), 0
    print(f"hook: consuming {args.topic} on {args.brokers} as {args.group}", file=sys.stderr)
    try:
        while running:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                print(f"hook: consumer error: {msg.error()}", file=sys.stderr)
                continue
            act(msg.value(), seen)
            consumer.store_offsets(message=msg)
            n += 1
            if args.max_messages and n >= args.max_messages:
                break
    except KafkaException as e:
        print(f"hook: {e}", file=sys.stderr)
        return 1
    finally:
        consumer.close()  # commits stored offsets and leaves the group
    return 0


if __name__ == "__main__":
    sys.exit(main())
