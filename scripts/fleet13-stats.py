#!/usr/bin/env python3
"""Sanity summary for fleet13 output.

Usage: python3 scripts/fleet13-stats.py EVENTS.ndjson LABELS.ndjson [--catalog FILE]
Prints sessions by label/kind/variant, events, spend per kind (cost_usd when
present, else priced from the catalog), duplicates, late events, and checks:
every event's session has a label, every label's session exists, onset events
exist and belong to their session, part_of roots exist and are runaways,
duplicates are byte-identical, required fields present. Exit 1 on failure.
"""
import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime


def ts_ms(v):
    if isinstance(v, (int, float)):
        return int(v)
    s = v.replace("Z", "+00:00")
    return int(datetime.fromisoformat(s).timestamp() * 1000)


def price(cat, e):
    if "cost_usd" in e:
        return float(e["cost_usd"]), True
    if e.get("kind", "llm") != "llm":
        return 0.0, True
    p = cat.get(e.get("model"))
    if p is None:
        return 0.0, False
    ic = p.get("input_cost_per_token", 0) or 0
    oc = p.get("output_cost_per_token", 0) or 0
    crc = p.get("cache_read_input_token_cost", ic)
    cwc = p.get("cache_creation_input_token_cost", ic)
    rtc = p.get("output_cost_per_reasoning_token", oc)
    g = lambda k: e.get(k, 0)
    return (g("input_tokens") * ic + g("output_tokens") * oc + g("cache_read_tokens") * crc +
            g("cache_write_tokens") * cwc + g("reasoning_tokens") * rtc), True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("labels")
    ap.add_argument("--catalog", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "models",
                                                      "model_prices_and_context_window.json"))
    a = ap.parse_args()
    cat = json.load(open(a.catalog))
    fails = []
    seen = {}
    ev_sess = {}
    sess_cost = defaultdict(float)
    sess_n = Counter()
    sess_ids = set()
    dup = dup_bad = late = 0
    unpriced = Counter()
    maxts = None
    n = 0
    kinds = Counter()
    tsforms = Counter()
    req_missing = 0
    with open(a.events) as f:
        for line in f:
            n += 1
            line = line.rstrip("\n")
            e = json.loads(line)
            eid = e["event_id"]
            if eid in seen:
                dup += 1
                if seen[eid] != line:
                    dup_bad += 1
                continue
            seen[eid] = line
            for k in ("event_id", "ts", "session_id", "agent_id"):
                if k not in e:
                    req_missing += 1
            k = e.get("kind", "llm")
            kinds[k] += 1
            if k == "llm" and ("model" not in e or "provider" not in e):
                req_missing += 1
            if k == "handoff" and "target_agent_id" not in e:
                req_missing += 1
            tsforms["epoch" if isinstance(e["ts"], int) else
                     ("Z" if e["ts"].endswith("Z") else "offset")] += 1
            t = ts_ms(e["ts"])
            if maxts is not None and t < maxts - 10000:
                late += 1
            maxts = t if maxts is None else max(maxts, t)
            sid = e["session_id"]
            ev_sess[eid] = sid
            sess_ids.add(sid)
            c, ok = price(cat, e)
            if not ok:
                unpriced[e.get("model")] += 1
            sess_cost[sid] += c
            sess_n[sid] += 1
    labels = {}
    with open(a.labels) as f:
        for line in f:
            l = json.loads(line)
            if l["session_id"] in labels:
                fails.append("duplicate label %s" % l["session_id"])
            labels[l["session_id"]] = l
    missing = sess_ids - set(labels)
    extra = set(labels) - sess_ids
    if missing:
        fails.append("%d sessions without label" % len(missing))
    if extra:
        fails.append("%d labels without events" % len(extra))
    bad_onset = bad_part = 0
    for sid, l in labels.items():
        if l["label"] == "runaway":
            o = l.get("onset_event_id")
            if not o or ev_sess.get(o) != sid:
                bad_onset += 1
        elif l.get("onset_event_id") is not None:
            bad_onset += 1
        p = l.get("part_of")
        if p is not None and (p not in labels or labels[p]["label"] != "runaway"):
            bad_part += 1
        for k in ("session_id", "label", "kind", "onset_event_id", "task_id", "agent_id",
                  "task_type"):
            if k not in l:
                fails.append("label missing %s" % k)
                break
    if bad_onset:
        fails.append("%d bad onsets" % bad_onset)
    if bad_part:
        fails.append("%d bad part_of" % bad_part)
    if dup_bad:
        fails.append("%d duplicates not byte-identical" % dup_bad)
    if req_missing:
        fails.append("%d events missing required fields" % req_missing)

    total = sum(sess_cost.values())
    tops = [l for l in labels.values() if l.get("role") == "root" or
            (l.get("part_of") is None and l.get("role") not in ("subagent", "handoff_receiver"))]
    roots = [l for l in labels.values() if l.get("role") == "root"]
    rr = [l for l in roots if l["label"] == "runaway"]
    print("file: %s" % a.events)
    print("lines %d  unique events %d  duplicates %d  late(>10s behind max) %d" %
          (n, len(seen), dup, late))
    print("event kinds %s  ts forms %s" % (dict(kinds), dict(tsforms)))
    print("sessions %d  top-level %d  runaway roots %d (%.1f%%)  total spend $%.2f" %
          (len(labels), len(roots), len(rr), 100.0 * len(rr) / max(1, len(roots)), total))
    if unpriced:
        print("unpriced llm events (model not in catalog, no cost_usd): %s" % dict(unpriced))
    by = defaultdict(lambda: [0, 0, 0.0])
    for sid, l in labels.items():
        key = (l["label"], l["kind"], l.get("variant") or "-")
        by[key][0] += 1
        by[key][1] += sess_n[sid]
        by[key][2] += sess_cost[sid]
    print("\n%-8s %-28s %-26s %6s %8s %11s %9s" % ("label", "kind", "variant", "sess", "events",
                                                   "spend$", "$/sess"))
    for key in sorted(by):
        s, e, c = by[key]
        print("%-8s %-28s %-26s %6d %8d %11.2f %9.3f" % (key + (s, e, c, c / s)))
    bykind = defaultdict(float)
    for sid, l in labels.items():
        bykind[l["label"] + ":" + l["kind"]] += sess_cost[sid]
    # normal per task type baseline
    tt = defaultdict(list)
    for sid, l in labels.items():
        if l["label"] == "normal" and l.get("role") == "root":
            tt[(l["agent_id"], l.get("task_type"))].append((sess_n[sid], sess_cost[sid]))
    print("\nnormal root sessions per (agent, task_type): n, median events, median $, p95 $")
    for k in sorted(tt, key=str):
        v = tt[k]
        ne = sorted(x[0] for x in v)
        cs = sorted(x[1] for x in v)
        print("  %-28s %-24s %5d %6d %9.4f %9.4f" % (k[0], k[1], len(v), ne[len(ne) // 2],
                                                     cs[len(cs) // 2], cs[int(len(cs) * .95)]))
    print("\nchecks: %s" % ("OK" if not fails else "FAIL: " + "; ".join(fails)))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
