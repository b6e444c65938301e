#!/usr/bin/env python3
"""stats.py -- summarize and sanity-check a fleet5 run.

  python3 scripts/fleet5-stats.py EVENTS.ndjson LABELS.ndjson [EVENTS2 LABELS2 ...]

Prints per-kind session counts, events-per-session quantiles, cost per kind.
Exits 1 on any inconsistency: a session without label, a label without events,
a runaway whose onset_event_id is missing (or in another session), unknown
label/event kinds, part_of pointing nowhere, llm events without model,
handoffs without target, duplicate event_ids with differing content, bad ts.
"""
import datetime as _dt
import json
import os
import re
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.normpath(os.path.join(HERE, "..", "models", "model_prices_and_context_window.json"))
RUNAWAY = {"cost_spike", "loop_repeat", "loop_cycle", "ping_pong", "step_runaway", "retry_storm",
           "context_growth", "subagent_fanout", "session_budget"}
TRAPS = {"scroll_read", "screenshot_after_each_action", "page_load_wait", "round_robin_chat",
         "supervisor_delegation", "debate_rounds", "human_pause", "cron_burst", "provider_fallback",
         "new_agent_pricier", "huge_vision_input", "long_thread", "wide_crew", "legit_retry"}
DATE_RE = re.compile(r"(-\d{8}|-\d{4}-\d{2}-\d{2})$")
RFC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def load_catalog():
    with open(CATALOG) as f:
        d = json.load(f)
    return {k: v for k, v in d.items() if isinstance(v, dict) and "input_cost_per_token" in v}


def resolve(cat, name):
    c = [name]
    if "/" in name:
        c.append(name.split("/", 1)[1])
    for x in list(c):
        m = DATE_RE.search(x)
        if m:
            c.append(x[:m.start()])
    for x in c:
        if x in cat:
            return x
    return None


def price(v, e):
    i = v.get("input_cost_per_token") or 0
    o = v.get("output_cost_per_token") or 0
    cr = v.get("cache_read_input_token_cost")
    cw = v.get("cache_creation_input_token_cost")
    r = v.get("output_cost_per_reasoning_token")
    return (e.get("input_tokens", 0) * i + e.get("output_tokens", 0) * o
            + e.get("cache_read_tokens", 0) * (i if cr is None else cr)
            + e.get("cache_write_tokens", 0) * (i if cw is None else cw)
            + e.get("reasoning_tokens", 0) * (o if r is None else r))


def ts_ms(ts):
    if isinstance(ts, int):
        return ts
    if not RFC_RE.match(ts):
        raise ValueError(ts)
    return int(_dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def q(xs, p):
    if not xs:
        return 0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))]


def check(ev_path, lab_path, cat):
    errs = []
    sess_events = defaultdict(int)
    sess_cost = defaultdict(float)
    sess_span = {}
    seen = {}
    event_session = {}
    n_lines = n_dup = n_late = 0
    unpriced = 0
    cost_present = 0
    n_llm = 0
    ts_kinds = defaultdict(int)
    models = defaultdict(int)
    last = None
    tmin, tmax = None, None
    with open(ev_path) as f:
        for ln, line in enumerate(f, 1):
            n_lines += 1
            e = json.loads(line)
            eid = e.get("event_id")
            if eid in seen:
                n_dup += 1
                if seen[eid] != line:
                    errs.append("line %d: duplicate %s with different content" % (ln, eid))
                continue
            seen[eid] = line
            for fld in ("event_id", "ts", "session_id", "agent_id"):
                if fld not in e:
                    errs.append("line %d: missing %s" % (ln, fld))
            try:
                t = ts_ms(e["ts"])
            except Exception:
                errs.append("line %d: bad ts %r" % (ln, e.get("ts")))
                continue
            ts_kinds["epoch_ms" if isinstance(e["ts"], int) else ("Z" if e["ts"].endswith("Z") else "offset")] += 1
            if last is not None and t < last - 1000:
                n_late += 1
            last = t if last is None else max(last, t)
            tmin = t if tmin is None else min(tmin, t)
            tmax = t if tmax is None else max(tmax, t)
            sid = e["session_id"]
            event_session[eid] = sid
            sess_events[sid] += 1
            a, b = sess_span.get(sid, (t, t))
            sess_span[sid] = (min(a, t), max(b, t))
            k = e.get("kind", "llm")
            if k not in ("llm", "tool", "handoff"):
                errs.append("line %d: bad kind %r" % (ln, k))
            if k == "llm":
                n_llm += 1
                if not e.get("model") or not e.get("provider"):
                    errs.append("line %d: llm event without model/provider" % ln)
                    continue
                models[e["model"]] += 1
                if "cost_usd" in e:
                    cost_present += 1
                    c = e["cost_usd"]
                else:
                    key = resolve(cat, e["model"])
                    if key is None:
                        unpriced += 1
                        errs.append("line %d: model %r not in catalog and no cost_usd" % (ln, e["model"]))
                        c = 0.0
                    else:
                        c = price(cat[key], e)
                for fld in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                            "reasoning_tokens"):
                    if not isinstance(e.get(fld, 0), int) or e.get(fld, 0) < 0:
                        errs.append("line %d: bad %s" % (ln, fld))
                sess_cost[sid] += c
            if k == "handoff" and not e.get("target_agent_id"):
                errs.append("line %d: handoff without target_agent_id" % ln)
            if e.get("status", "ok") not in ("ok", "error", "retry"):
                errs.append("line %d: bad status" % ln)
    labels = {}
    with open(lab_path) as f:
        for ln, line in enumerate(f, 1):
            l = json.loads(line)
            sid = l["session_id"]
            if sid in labels:
                errs.append("labels line %d: duplicate label for %s" % (ln, sid))
            labels[sid] = l
    for sid in sess_events:
        if sid not in labels:
            errs.append("session %s has events but no label" % sid)
    for sid, l in labels.items():
        if sid not in sess_events:
            errs.append("label %s has no events" % sid)
        if l.get("label") not in ("normal", "runaway"):
            errs.append("label %s: bad label %r" % (sid, l.get("label")))
        k = l.get("kind")
        if l.get("label") == "runaway":
            if k not in RUNAWAY:
                errs.append("label %s: runaway with kind %r" % (sid, k))
            o = l.get("onset_event_id")
            if not o or event_session.get(o) != sid:
                errs.append("label %s: onset_event_id %r not among its events" % (sid, o))
        else:
            if k != "normal" and k not in TRAPS:
                errs.append("label %s: normal with kind %r" % (sid, k))
            if l.get("onset_event_id") is not None:
                errs.append("label %s: normal session with onset" % sid)
        if "part_of" in l:
            p = labels.get(l["part_of"])
            if p is None or p.get("label") != "runaway" or p.get("kind") != "subagent_fanout":
                errs.append("label %s: part_of %r is not a subagent_fanout runaway" % (sid, l["part_of"]))
        for fld in ("task_id", "agent_id", "task_type"):
            if not l.get(fld):
                errs.append("label %s: missing %s" % (sid, fld))
    # report
    out = []
    out.append("== %s" % os.path.basename(ev_path))
    out.append("lines %d, unique events %d, duplicates %d, late(>1s behind max) %d, span %.1fh, sessions %d"
               % (n_lines, n_lines - n_dup, n_dup, n_late, ((tmax or 0) - (tmin or 0)) / 3600000.0, len(labels)))
    out.append("ts formats: %s; llm events %d, with cost_usd %.1f%%"
               % (dict(ts_kinds), n_llm, 100.0 * cost_present / max(n_llm, 1)))
    top = "parent_session_id"
    by = defaultdict(list)
    for sid, l in labels.items():
        tag = "%s/%s" % (l["label"], l["kind"])
        by[tag].append(sid)
    ntop = sum(1 for l in labels.values() if not l.get(top))
    nrun_top = sum(1 for l in labels.values() if not l.get(top) and l["label"] == "runaway")
    out.append("top-level sessions %d, runaway top-level %d (%.1f%%), sub-sessions %d, part_of %d"
               % (ntop, nrun_top, 100.0 * nrun_top / max(ntop, 1), len(labels) - ntop,
                  sum(1 for l in labels.values() if "part_of" in l)))
    out.append("%-40s %6s %6s %6s %6s %6s %6s %11s %9s %9s %8s" % ("label/kind", "sess", "ev_p10", "ev_p50", "ev_p90",
                                                         "ev_max", "ev_sum", "cost_sum", "cost_p50", "cost_p90", "dur_p50h"))
    for tag in sorted(by):
        sids = by[tag]
        ne = [sess_events.get(s, 0) for s in sids]
        cs = [sess_cost.get(s, 0.0) for s in sids]
        du = [(sess_span[s][1] - sess_span[s][0]) / 3600000.0 for s in sids if s in sess_span]
        out.append("%-40s %6d %6d %6d %6d %6d %6d %11.2f %9.4f %9.4f %8.2f" % (
            tag, len(sids), q(ne, .1), q(ne, .5), q(ne, .9), max(ne), sum(ne), sum(cs), q(cs, .5), q(cs, .9), q(du, .5)))
    tot = sum(sess_cost.values())
    rc = sum(sess_cost[s] for s, l in labels.items() if l["label"] == "runaway")
    out.append("total cost %.2f USD, runaway-labelled %.2f (%.1f%%); distinct model strings %d"
               % (tot, rc, 100 * rc / max(tot, 1e-9), len(models)))
    if errs:
        out.append("ERRORS (%d):" % len(errs))
        out.extend("  " + x for x in errs[:50])
    return out, errs


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        print(__doc__)
        return 2
    cat = load_catalog()
    bad = 0
    for i in range(0, len(args), 2):
        out, errs = check(args[i], args[i + 1], cat)
        print("\n".join(out))
        print()
        bad += len(errs)
    print("RESULT: %s" % ("OK" if not bad else "%d inconsistencies" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
