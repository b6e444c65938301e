"""An enforcement hook for runaway's kill topic (contract §2).

Consumes the kill topic, dedupes signals by ``signal_id`` (runaway emits at
least once; a replay repeats the same id) and calls a handler per new
signal. Offsets are stored only after the handler returned, so a crash
re-delivers a signal, never skips one.

    pip install confluent-kafka
    python3 examples/hook.py --brokers 127.0.0.1:9092 [--topic agent.kill] [--group runaway-hook] [-X key=value]...

Replace ``kill_session`` & co. with calls into your agent runtime.
"""
import argparse
import json
import signal
import sys
from collections import OrderedDict

from confluent_kafka import Consumer, KafkaException


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brokers", default="127.0.0.1:9092")
    ap.add_argument("--topic", default="agent.kill")
    ap.add_argument("--group", default="runaway-hook")
    ap.add_argument("--max-messages", type=int, default=0, help="stop after this many messages (0 = run until Ctrl-C/SIGTERM)")
    ap.add_argument("-X", action="append", default=[], metavar="KEY=VALUE", help="any librdkafka property (SASL, TLS, timeouts)")
    args = ap.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        "enable.auto.offset.store": False,
        **dict(kv.split("=", 1) for kv in args.X),
    })
    consumer.subscribe([args.topic])
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
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
            try:
                s = json.loads(msg.value())
                if seen.first_time(s["signal_id"]):
                    HANDLERS.get(s.get("action"), alert)(s)
            except (ValueError, KeyError) as e:
                print(f"hook: not a signal ({e}); skipped", file=sys.stderr)
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
