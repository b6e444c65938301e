#!/usr/bin/env python3
"""Sanity summary for a fleet12 events file + labels file.

    python3 scripts/fleet12-stats.py EVENTS.ndjson LABELS.ndjson [--catalog FILE]

Prints sessions by label/kind/variant, events and spend per kind (cost_usd when
present, else priced from the catalog), duplicates (and whether they are
byte-identical), late events, and consistency checks: every session in the
events has a label and vice versa, onset events exist and belong to their
session, part_of roots exist and are runaways, parents exist, required fields.
Exits 1 if a check fails.
"""
import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime


def parse_ts(v):
    if isinstance(v, (int, float)):
        return int(v)
    s = v.replace("Z", "+00:00")
    return int(datetime.fromisoformat(s).timestamp() * 1000)


def price(cat, model, it, ot, cr, cw, rt):
    m = cat.get(model)
    if m is None:
        return None
    ip = m.get("input_cost_per_token") or 0.0
    op = m.get("output_cost_per_token") or 0.0
    crp = m.get("cache_read_input_token_cost")
    crp = ip if crp is None else crp
    cwp = m.get("cache_creation_input_token_cost")
    cwp = ip if cwp is None else cwp
    rp = m.get("output_cost_per_reasoning_token")
    rp = op if rp is None else rp
    return it * ip + ot * op + cr * crp + cw * cwp + rt * rp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("labels")
    ap.add_argument("--catalog", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                      "model_prices_and_context_window.json"))
    a = ap.parse_args()
    cat = json.load(open(a.catalog))
    problems = []
    seen = {}
    dup = 0
    dup_diff = 0
    late = 0
    maxts = None
    ev_sess = {}
    sess_events = Counter()
    sess_cost = defaultdict(float)
    sess_first = {}
    sess_last = {}
    sess_parent = {}
    kinds = Counter()
    status = Counter()
    ts_forms = Counter()
    unpriced = Counter()
    reported = 0
    n_lines = 0
    for ln, line in enumerate(open(a.events), 1):
        n_lines += 1
        line = line.rstrip("\n")
        e = json.loads(line)
        for f in ("event_id", "ts", "session_id", "agent_id"):
            if f not in e:
                problems.append("line %d: missing %s" % (ln, f))
        eid = e["event_id"]
        if eid in seen:
            dup += 1
            if seen[eid] != line:
                dup_diff += 1
            continue
        seen[eid] = line
        ts = parse_ts(e["ts"])
        ts_forms["epoch_ms" if isinstance(e["ts"], int) else
                 ("Z" if e["ts"].endswith("Z") else e["ts"][-6:])] += 1
        if maxts is not None and ts < maxts - 60000:
            late += 1
        maxts = ts if maxts is None else max(maxts, ts)
        sid = e["session_id"]
        ev_sess[eid] = sid
        sess_events[sid] += 1
        sess_first[sid] = min(sess_first.get(sid, ts), ts)
        sess_last[sid] = max(sess_last.get(sid, ts), ts)
        if e.get("parent_session_id"):
            sess_parent[sid] = e["parent_session_id"]
        k = e.get("kind", "llm")
        kinds[k] += 1
        status[e.get("status", "ok")] += 1
        if k not in ("llm", "tool", "handoff"):
            problems.append("line %d: bad kind %r" % (ln, k))
        if k == "llm" and ("model" not in e or "provider" not in e):
            problems.append("line %d: llm without model/provider" % ln)
        if k == "handoff" and "target_agent_id" not in e:
            problems.append("line %d: handoff without target" % ln)
        for f in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"):
            if f in e and (not isinstance(e[f], int) or e[f] < 0):
                problems.append("line %d: bad %s" % (ln, f))
        if "cost_usd" in e:
            reported += 1
            c = e["cost_usd"]
            if c < 0:
                problems.append("line %d: negative cost" % ln)
        elif k == "llm":
            c = price(cat, e["model"], e.get("input_tokens", 0), e.get("output_tokens", 0),
                      e.get("cache_read_tokens", 0), e.get("cache_write_tokens", 0), e.get("reasoning_tokens", 0))
            if c is None:
                unpriced[e["model"]] += 1
                c = 0.0
        else:
            c = 0.0
        sess_cost[sid] += c
    labels = {}
    for ln, line in enumerate(open(a.labels), 1):
        l = json.loads(line)
        if l["session_id"] in labels:
            problems.append("labels line %d: duplicate session %s" % (ln, l["session_id"]))
        labels[l["session_id"]] = l
    # checks
    for sid in sess_events:
        if sid not in labels:
            problems.append("session %s has no label" % sid)
    for sid, l in labels.items():
        if sid not in sess_events:
            problems.append("label for unknown session %s" % sid)
            continue
        if l["label"] not in ("normal", "runaway"):
            problems.append("bad label %s" % sid)
        o = l.get("onset_event_id")
        if l["label"] == "runaway" and not o:
            problems.append("runaway %s without onset" % sid)
        if o:
            if o not in ev_sess:
                problems.append("onset %s of %s not in events" % (o, sid))
            elif ev_sess[o] != sid:
                problems.append("onset %s belongs to %s not %s" % (o, ev_sess[o], sid))
        p = l.get("part_of")
        if p:
            if p not in labels:
                problems.append("part_of root %s of %s missing" % (p, sid))
            elif labels[p]["label"] != "runaway":
                problems.append("part_of root %s of %s is not a runaway" % (p, sid))
        if l.get("n_events") is not None and l["n_events"] != sess_events[sid]:
            problems.append("n_events mismatch %s: %s vs %s" % (sid, l["n_events"], sess_events[sid]))
        if l.get("cost_usd") is not None and abs(l["cost_usd"] - sess_cost[sid]) > 1e-4 + 1e-4 * sess_cost[sid]:
            problems.append("cost mismatch %s: %s vs %.6f" % (sid, l["cost_usd"], sess_cost[sid]))
    for sid, p in sess_parent.items():
        if p not in sess_events:
            problems.append("parent %s of %s not in events" % (p, sid))
    n_ev = len(seen)
    total = sum(sess_cost.values())
    top = [s for s in labels if s not in sess_parent]
    top_run = [s for s in top if labels[s]["label"] == "runaway"]
    print("== %s" % a.events)
    print("lines %d  distinct events %d  duplicates %d (non-identical %d)  late(>60s behind) %d (%.2f%%)"
          % (n_lines, n_ev, dup, dup_diff, late, 100.0 * late / max(1, n_ev)))
    print("sessions %d  top-level %d  top-level runaways %d (%.1f%%)  spend $%.2f"
          % (len(labels), len(top), len(top_run), 100.0 * len(top_run) / max(1, len(top)), total))
    span = (max(sess_last.values()) - min(sess_first.values())) / 3600000.0
    print("event kinds %s  status %s  span %.1f h" % (dict(kinds), dict(status), span))
    print("ts forms %s  events with cost_usd %d" % (dict(ts_forms), reported))
    if unpriced:
        print("unpriced models (no cost_usd, not in catalog): %s" % dict(unpriced))
    agg = defaultdict(lambda: [0, 0, 0.0, []])
    for sid, l in labels.items():
        key = (l["label"], l["kind"])
        x = agg[key]
        x[0] += 1
        x[1] += sess_events[sid]
        x[2] += sess_cost[sid]
        x[3].append(sess_cost[sid])
    print("%-8s %-28s %6s %8s %10s %9s %9s" % ("label", "kind", "sess", "events", "spend$", "med$", "max$"))
    for key in sorted(agg):
        n, e, c, cs = agg[key]
        cs.sort()
        print("%-8s %-28s %6d %8d %10.2f %9.4f %9.2f" % (key[0], key[1], n, e, c, cs[len(cs) // 2], cs[-1]))
    var = Counter((l["kind"], l.get("variant")) for l in labels.values()
                  if l["label"] == "runaway" and not l.get("part_of"))
    print("runaway roots by kind/variant:")
    byk = defaultdict(list)
    for (k, v), n in sorted(var.items()):
        byk[k].append("%s=%d" % (v, n))
    for k in sorted(byk):
        print("  %-16s %s" % (k, " ".join(byk[k])))
    trapc = Counter(t for l in labels.values() for t in (l.get("traps") or []))
    print("traps (all sessions): %s" % dict(sorted(trapc.items())))
    pc = Counter(l["part_of"] is not None and l["label"] for l in labels.values() if l.get("part_of"))
    print("part_of members: %s" % dict(pc))
    # normal spend per task type (sanity on realism)
    tt = defaultdict(list)
    for sid, l in labels.items():
        if l["label"] == "normal" and l["kind"] == "normal":
            tt[(l["agent_id"], l.get("task_type"))].append((sess_events[sid], sess_cost[sid]))
    print("plain-normal sessions per agent/task_type: n, median events, median $, p95 $")
    for k in sorted(tt, key=lambda x: (x[0], str(x[1]))):
        v = tt[k]
        ev = sorted(x[0] for x in v)
        cs = sorted(x[1] for x in v)
        print("  %-20s %-24s %5d %6d %9.4f %9.4f" % (k[0], k[1], len(v), ev[len(ev) // 2], cs[len(cs) // 2],
                                                  cs[int(len(cs) * 0.95)]))
    if problems:
        print("PROBLEMS (%d):" % len(problems))
        for p in problems[:40]:
            print("  " + p)
        sys.exit(1)
    print("checks OK")


if __name__ == "__main__":
    main()
