"""Generates the Kafka-mode fixtures (deterministic; rerun to regenerate).

kafka_events.ndjson: 52 interleaved sessions. 8 loop sessions repeat one paid
tool call (a search API billed per call, `cost_usd`) 7 times, 2.6 s apart
(loop_repeat kill at the 5th; unpaid, they would be a status poll), 4 budget sessions spend $6 per
call over 6 calls (session_budget kill at the 5th, $30 > $25), 40 normal
sessions make 10 cheap, varied calls each.

kafka_malformed.ndjson: good events of 3 sessions (one killed by a loop)
with 5 malformed records between them.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def session_events(kind, sid, n):
    out = []
    for i in range(n):
        e = {"event_id": f"{sid}-e{i}", "session_id": sid, "agent_id": f"agent-{sid.split('-')[1]}", "task_type": "support"}
        if kind == "loop":
            e.update(kind="tool", tool="search", args_hash="h-same", cost_usd=0.002)
        elif kind == "budget":
            e.update(kind="llm", model="gpt-4o", provider="openai", input_tokens=1000, output_tokens=100, cost_usd=6.0)
        elif i % 2 == 0:
            e.update(kind="llm", model="gpt-4o", provider="openai", input_tokens=300 + i, output_tokens=40, cost_usd=0.01)
        else:
            e.update(kind="tool", tool=f"tool{i}", args_hash=f"a{i}")
        out.append(e)
    return out


def interleave(streams):
    events, t = [], T0
    while any(streams):
        for s in streams:
            if s:
                e = s.pop(0)
                e["ts"] = t
                t += 50
                events.append(e)
    return events


def main():
    streams = [session_events("loop", f"s-loop{i}", 7) for i in range(8)]
    streams += [session_events("budget", f"s-budget{i}", 6) for i in range(4)]
    streams += [session_events("ok", f"s-ok{i}", 10) for i in range(40)]
    # Spread the runaways among the normal sessions.
    order = []
    for i in range(40):
        order.append(streams[12 + i])
        if i % 4 == 0 and i // 4 < 12:
            order.append(streams[i // 4])
    order += [s for s in streams[:12] if s not in order]
    with open(os.path.join(HERE, "kafka_events.ndjson"), "w") as f:
        for e in interleave(order):
            f.write(json.dumps(e, separators=(",", ":")) + "\n")

    good = interleave([session_events("loop", "s-dlqloop", 6), session_events("ok", "s-dlqok1", 6), session_events("ok", "s-dlqok2", 6)])
    bad = [
        "this is not json",
        '{"event_id":"x1","ts":1767225600000,"agent_id":"a"}',
        '{"event_id":"x2","ts":1767225600000,"session_id":"s-bad","agent_id":"a","kind":"tool","input_tokens":-5}',
        '{"event_id":"x3","ts":1767225600000,"session_id":"s-bad","agent_id":"a","kind":"teleport"}',
        '[1,2,3]',
    ]
    lines = [json.dumps(e, separators=(",", ":")) for e in good]
    for j, b in enumerate(bad):
        lines.insert(2 + j * 4, b)
    with open(os.path.join(HERE, "kafka_malformed.ndjson"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
