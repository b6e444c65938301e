"""An enforcement hook for runaway's kill topic (contract §2).

Consumes the kill topic, dedupes signals by ``signal_id`` (runaway emits at
least once; a replay repeats the same id) and calls a handler per new
signal. Offsets are stored only after the handler returned, so a crash
re-delivers a signal, never skips one.

    pip install confluent-kafka
    python3 examples/hook.py --brokers 127.0.0.1:9092 [--topic agent.kill] [--group runaway-hook] [-X key=value]...

In file mode (``runaway watch --signals FILE``) it follows the signals file
instead, as ``tail -F`` would, from its first line, and from the first line
again when a new ``watch`` run rewrites the file; no Kafka client needed:

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


def rewritten(f, path, first, last, last_end):
    """Whether ``path`` is no longer the file ``f`` was reading: replaced (a
    new inode), cut shorter, or rewritten from the start (``runaway watch``
    truncates its signals file when it starts again, and a new run can
    write past where the hook stopped before it looks: the bytes where the
    first line and the last line read were must still be those lines)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False  # between a rename and the new file: wait
    if st.st_ino != os.fstat(f.fileno()).st_ino or st.st_size < last_end:
        return True
    with open(path, "rb") as g:
        if first and g.read(len(first)) != first:
            return True
        if last:
            g.seek(last_end - len(last))
            return g.read(len(last)) != last
    return False


def follow_file(path, running, max_messages):
    """Follows a signals file as runaway appends to it, from the start again
    when a new run rewrites it; returns an exit code."""
    seen, n = Seen(), 0
    print(f"hook: following {path}", file=sys.stderr)
    while running():
        while running() and not os.path.exists(path):
            time.sleep(0.2)  # runaway creates it on start
        if not running():
            return 0
        with open(path, "rb") as f:
            pending, first, last, last_end = b"", b"", b"", 0
            while running():
                chunk = f.readline()
                if not chunk:
                    if rewritten(f, path, first, last, last_end):
                        print(f"hook: {path} was rewritten (runaway started again); reading it from the start", file=sys.stderr)
                        break  # signals seen before are still deduped by id
                    time.sleep(0.2)
                    continue
                pending += chunk
                if not pending.endswith(b"\n"):
                    continue  # a line still being written
                if rewritten(f, path, first, last, last_end):
                    # What was just read may be the middle of a new run's line.
                    print(f"hook: {path} was rewritten (runaway started again); reading it from the start", file=sys.stderr)
                    break
                line, pending = pending, b""
                first = first or line
                last, last_end = line, f.tell()
                text = line.decode("utf-8", errors="replace").strip()
                if not text:
                    continue
                act(text, seen)
                n += 1
                if max_messages and n >= max_messages:
                    return 0
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
