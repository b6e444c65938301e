#!/usr/bin/env python3
"""fleet7-stats -- sanity statistics for a fleet7 events file and its labels.

Checks and prints: JSON validity and required fields (CONTRACT.md section 1),
event/session counts, duplicate event_ids, time span, runaways per kind,
normal trap kinds, spend per task type (cost_usd when present, else priced
from models/model_prices_and_context_window.json), events-per-session
percentiles, that every labelled session has events and every session with
events has a label, that every runaway has an onset event that exists in its
session, and spend of runaways after onset vs the normal p99 of their type.

Usage:
  python3 scripts/fleet7-stats.py EVENTS.ndjson LABELS.ndjson
Exit status 1 if a hard check fails.
"""
import json
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                       "model_prices_and_context_window.json")


def pct(xs, p):
    if not xs:
        return 0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def ts_ms(v):
    if isinstance(v, (int, float)):
        return int(v)
    return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)


def main():
    ev_path, lab_path = sys.argv[1], sys.argv[2]
    cat = json.load(open(CATALOG))
    fails = []
    bad = 0
    seen = set()
    dups = 0
    n = 0
    sess_ev = Counter()
    sess_cost = defaultdict(float)
    sess_ids = defaultdict(list)  # event ids per session (order of file)
    sess_type = {}
    kinds = Counter()
    unknown_models = Counter()
    with_cost = 0
    tmin, tmax = None, None
    last_ts = None
    out_of_order = 0
    status = Counter()
    ts_forms = Counter()
    for ln, line in enumerate(open(ev_path), 1):
        try:
            e = json.loads(line)
        except Exception:
            bad += 1
            continue
        n += 1
        for f in ("event_id", "ts", "session_id", "agent_id"):
            if f not in e:
                fails.append(f"line {ln}: missing {f}")
        if e["event_id"] in seen:
            dups += 1
            continue
        seen.add(e["event_id"])
        k = e.get("kind", "llm")
        kinds[k] += 1
        status[e.get("status", "ok")] += 1
        ts_forms["epoch_ms" if isinstance(e["ts"], int) else "rfc3339"] += 1
        t = ts_ms(e["ts"])
        tmin = t if tmin is None else min(tmin, t)
        tmax = t if tmax is None else max(tmax, t)
        if last_ts is not None and t < last_ts - 10_000:
            out_of_order += 1
        last_ts = max(t, last_ts or t)
        if k not in ("llm", "tool", "handoff"):
            fails.append(f"line {ln}: bad kind {k}")
        if k == "llm" and ("model" not in e or "provider" not in e):
            fails.append(f"line {ln}: llm without model/provider")
        if k == "handoff" and "target_agent_id" not in e:
            fails.append(f"line {ln}: handoff without target")
        for f in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
                  "latency_ms"):
            if f in e and (not isinstance(e[f], int) or e[f] < 0):
                fails.append(f"line {ln}: bad {f}")
        s = e["session_id"]
        sess_ev[s] += 1
        sess_ids[s].append(e["event_id"])
        sess_type[s] = e.get("task_type", "unknown")
        if "cost_usd" in e:
            with_cost += 1
            c = e["cost_usd"]
        elif k == "llm":
            m = cat.get(e["model"])
            if m is None:
                unknown_models[e["model"]] += 1
                c = 0.0
            else:
                ic = m.get("input_cost_per_token") or 0
                oc = m.get("output_cost_per_token") or 0
                rc = m.get("output_cost_per_reasoning_token") or oc
                c = (e.get("input_tokens", 0) * ic + e.get("output_tokens", 0) * oc
                     + e.get("cache_read_tokens", 0) * (m.get("cache_read_input_token_cost") or ic)
                     + e.get("cache_write_tokens", 0) * (m.get("cache_creation_input_token_cost") or ic)
                     + e.get("reasoning_tokens", 0) * rc)
        else:
            c = 0.0
        sess_cost[s] += c
    labels = {}
    lab_bad = 0
    for line in open(lab_path):
        try:
            l = json.loads(line)
        except Exception:
            lab_bad += 1
            continue
        labels[l["session_id"]] = l
    print(f"== {ev_path}")
    print(f"events (lines) {n}, unique {len(seen)}, duplicate redeliveries {dups} ({dups / max(1, n):.2%}), "
          f"bad JSON lines {bad}, bad label lines {lab_bad}")
    print(f"kinds {dict(kinds)}  status {dict(status)}  ts forms {dict(ts_forms)}")
    print(f"events with cost_usd {with_cost} ({with_cost / max(1, len(seen)):.1%}); unknown models {dict(unknown_models)}")
    print(f"span {(tmax - tmin) / 3600_000:.1f} h  from {datetime.utcfromtimestamp(tmin / 1000)} "
          f"to {datetime.utcfromtimestamp(tmax / 1000)}; out-of-order (>10s back) {out_of_order}")
    top = [s for s, l in labels.items() if not l.get("parent_session_id")]
    print(f"sessions with events {len(sess_ev)}, labelled {len(labels)}, top-level {len(top)}, "
          f"sub-sessions {len(labels) - len(top)}")
    nolab = [s for s in sess_ev if s not in labels]
    noev = [s for s in labels if s not in sess_ev]
    if nolab:
        fails.append(f"{len(nolab)} sessions with events but no label")
    if noev:
        fails.append(f"{len(noev)} labelled sessions without events")
    run = [l for l in labels.values() if l["label"] == "runaway"]
    run_top = [l for l in run if not l.get("part_of")]
    print(f"runaways: top-level {len(run_top)} ({len(run_top) / max(1, len(top)):.1%} of top-level), "
          f"fan-out children {len(run) - len(run_top)}")
    # baseline: normal sessions per task type
    ncost = defaultdict(list)
    nev = defaultdict(list)
    for s, l in labels.items():
        if l["label"] == "normal":
            ncost[l["task_type"]].append(sess_cost[s])
            nev[l["task_type"]].append(sess_ev[s])
    per_kind = defaultdict(list)
    for l in run_top:
        s = l["session_id"]
        ids = sess_ids.get(s, [])
        on = l.get("onset_event_id")
        if not on:
            fails.append(f"runaway {s} without onset")
            continue
        if on not in ids:
            fails.append(f"runaway {s}: onset {on} not among its events")
            continue
        after = len(ids) - ids.index(on)
        per_kind[l["kind"]].append((after, sess_cost[s], l["task_type"]))
    print(f"{'runaway kind':18s} {'n':>3s} {'ev_after_onset p50/min':>22s} {'cost p50/min/max':>24s} {'x normal p99 cost':>18s}")
    for k in sorted(per_kind):
        v = per_kind[k]
        afters = [a for a, _, _ in v]
        costs = [c for _, c, _ in v]
        ratios = [c / max(1e-6, pct(ncost[tt], 99)) for _, c, tt in v]
        print(f"{k:18s} {len(v):3d} {pct(afters, 50):>10d} / {min(afters):<9d} "
              f"{pct(costs, 50):8.2f}/{min(costs):6.2f}/{max(costs):7.2f}  {pct(ratios, 50):8.1f} (min {min(ratios):.1f})")
    fo = Counter(l["part_of"] for l in run if l.get("part_of"))
    if fo:
        print(f"fan-out runaway children per parent: min {min(fo.values())} max {max(fo.values())}")
    traps = Counter(l["kind"] for l in labels.values() if l["label"] == "normal" and l["kind"] != "normal")
    print(f"normal trap kinds: {dict(sorted(traps.items()))}")
    print(f"normal sessions kind=normal: {sum(1 for l in labels.values() if l['label'] == 'normal' and l['kind'] == 'normal')}")
    print(f"{'task_type':24s} {'sess':>5s} {'spend$':>9s} {'normal cost p50/p99/max':>26s} {'normal ev p50/p90/p99/max':>26s}")
    types = sorted(set(l["task_type"] for l in labels.values()))
    for tt in types:
        ss = [s for s, l in labels.items() if l["task_type"] == tt]
        sp = sum(sess_cost[s] for s in ss)
        c, ev = ncost[tt], nev[tt]
        print(f"{tt:24s} {len(ss):5d} {sp:9.2f} {pct(c, 50):8.3f}/{pct(c, 99):7.3f}/{max(c or [0]):7.3f} "
              f"{pct(ev, 50):6d}/{pct(ev, 90):5d}/{pct(ev, 99):5d}/{max(ev or [0]):5d}")
    allev = list(sess_ev.values())
    print(f"events/session p50 {pct(allev, 50)} p90 {pct(allev, 90)} p99 {pct(allev, 99)} max {max(allev)}")
    print(f"total spend ${sum(sess_cost.values()):.2f}")
    if fails:
        print(f"FAILED checks ({len(fails)}):")
        for f in fails[:30]:
            print("  ", f)
        sys.exit(1)
    print("all checks OK")


if __name__ == "__main__":
    main()
