#!/usr/bin/env python3
"""fleet6-stats -- validate a usage-event file against the wire contract section 1 and check a
labels file against it, then print a summary.

    python3 scripts/fleet6-stats.py EVENTS.ndjson [LABELS.ndjson] [--catalog PATH] [--max-errors N]

Event checks (contract section 1): every line is a JSON object; event_id, session_id, agent_id are
non-empty strings; ts is an RFC 3339 string or integer epoch milliseconds in a plausible range;
kind is llm|tool|handoff (default llm); llm events have model and provider; token counts are
unsigned integers; cost_usd is a number >= 0; status is ok|error|retry; latency_ms is an unsigned
integer; handoff events have target_agent_id; labels is an object of strings; an llm event without
cost_usd names a model of the price catalog.  A repeated event_id must repeat the same event
(redelivery); a different payload under the same id is a violation.  Within a session,
parent_session_id and task_id must not change.

Label checks: one object per line with session_id, label (normal|runaway), kind, onset_event_id,
task_id, agent_id, task_type, optional part_of; session ids unique; every labelled session exists
in the events and every session of the events is labelled; a runaway root has a contract reason as
kind and an onset_event_id that exists and belongs to its case (the root or a session part_of it);
part_of names an existing runaway root; normal sessions have no onset and no part_of; agent_id,
task_id and task_type agree with the session's events; a session whose parent belongs to a
runaway case belongs to the same case.

Prints per-kind counts, events, sessions, span, and spend by label.  Exits 1 on any violation.
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import sys
from datetime import datetime, timezone

REASONS = {"session_budget", "cost_spike", "loop_repeat", "loop_cycle", "ping_pong", "step_runaway",
           "retry_storm", "context_growth", "subagent_fanout", "agent_budget", "fleet_budget"}
KINDS = {"llm", "tool", "handoff"}
STATUSES = {"ok", "error", "retry"}
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
STR_FIELDS = ("task_type", "task_id", "parent_session_id", "tenant", "team", "feature", "env", "model",
              "provider", "tool", "args_hash", "target_agent_id")
KNOWN = {"v", "event_id", "ts", "session_id", "agent_id", "task_type", "task_id", "parent_session_id", "tenant",
         "team", "feature", "env", "labels", "kind", "model", "provider", *TOKENS, "cost_usd", "tool", "args_hash",
         "target_agent_id", "status", "latency_ms"}
RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
MIN_MS = 946684800000     # 2000-01-01
MAX_MS = 4102444800000    # 2100-01-01


def is_uint(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def parse_ts(v):
    """Return (epoch_ms float, form) or raise ValueError."""
    if isinstance(v, bool):
        raise ValueError("ts is a boolean")
    if isinstance(v, int):
        ms = float(v)
        form = "epoch_ms"
    elif isinstance(v, str):
        m = RFC3339.match(v)
        if not m:
            raise ValueError(f"ts not RFC 3339: {v!r}")
        frac = m.group(7) or ""
        off = m.group(8)
        base = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6)}"
        try:
            dt = datetime.fromisoformat(base + ("+00:00" if off in "Zz" else off))
        except ValueError as e:
            raise ValueError(f"ts invalid: {v!r} ({e})")
        ms = dt.timestamp() * 1000.0 + (float(frac) * 1000.0 if frac else 0.0)
        if off in "Zz":
            form = "rfc3339_Z" + ("_frac%d" % (len(frac) - 1) if frac else "_s")
        else:
            form = "rfc3339_offset" + ("_frac%d" % (len(frac) - 1) if frac else "_s")
    elif isinstance(v, float):
        raise ValueError("ts is a float (epoch milliseconds must be an integer)")
    else:
        raise ValueError(f"ts has type {type(v).__name__}")
    if not (MIN_MS <= ms <= MAX_MS):
        raise ValueError(f"ts out of range: {v!r}")
    return ms, form


class Catalog:
    def __init__(self, path):
        self.m = {}
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                raw = json.load(f)
            self.m = {k: v for k, v in raw.items() if isinstance(v, dict) and "input_cost_per_token" in v}

    def price(self, e):
        c = self.m.get(e.get("model"))
        if not c:
            return 0.0
        ic = c.get("input_cost_per_token") or 0.0
        oc = c.get("output_cost_per_token") or 0.0
        crc = c.get("cache_read_input_token_cost")
        crc = ic if crc is None else crc
        cwc = c.get("cache_creation_input_token_cost")
        cwc = ic if cwc is None else cwc
        rc = c.get("output_cost_per_reasoning_token")
        rc = oc if rc is None else rc
        g = lambda k: e.get(k) or 0
        return (g("input_tokens") * ic + g("output_tokens") * oc + g("cache_read_tokens") * crc
                + g("cache_write_tokens") * cwc + g("reasoning_tokens") * rc)


class Report:
    def __init__(self, max_errors):
        self.n = 0
        self.by = collections.Counter()
        self.shown = 0
        self.max = max_errors

    def err(self, where, msg, cat=None):
        self.n += 1
        self.by[cat or msg.split(":")[0]] += 1
        if self.shown < self.max:
            print(f"VIOLATION {where}: {msg}", file=sys.stderr)
            self.shown += 1


def check_event(o, rep, where, cat):
    ok = True

    def bad(msg, c=None):
        nonlocal ok
        ok = False
        rep.err(where, msg, c)

    if not isinstance(o, dict):
        bad("not a JSON object", "not an object")
        return False
    for k in ("event_id", "session_id", "agent_id"):
        if k not in o:
            bad(f"missing required field: {k}", f"missing {k}")
        elif not isinstance(o[k], str) or not o[k]:
            bad(f"{k} must be a non-empty string", f"bad {k}")
    if "ts" not in o:
        bad("missing required field: ts", "missing ts")
    else:
        try:
            parse_ts(o["ts"])
        except ValueError as e:
            bad(f"bad ts: {e}", "bad ts")
    if "v" in o and not (isinstance(o["v"], int) and not isinstance(o["v"], bool) and o["v"] >= 1):
        bad("v must be a positive integer", "bad v")
    kind = o.get("kind", "llm")
    if kind not in KINDS:
        bad(f"unknown kind: {kind!r}", "unknown kind")
    for k in STR_FIELDS:
        if k in o and not isinstance(o[k], str):
            bad(f"{k} must be a string", f"bad {k}")
    if "labels" in o:
        lb = o["labels"]
        if not isinstance(lb, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in lb.items()):
            bad("labels must be an object of string to string", "bad labels")
    for k in TOKENS:
        if k in o and not is_uint(o[k]):
            bad(f"{k} must be an unsigned integer: {o[k]!r}", f"bad {k}")
    if "cost_usd" in o:
        c = o["cost_usd"]
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c < 0:
            bad(f"cost_usd must be a number >= 0: {c!r}", "bad cost_usd")
    if "status" in o and o["status"] not in STATUSES:
        bad(f"unknown status: {o['status']!r}", "bad status")
    if "latency_ms" in o and not is_uint(o["latency_ms"]):
        bad(f"latency_ms must be an unsigned integer: {o['latency_ms']!r}", "bad latency_ms")
    if kind == "llm":
        for k in ("model", "provider"):
            if not isinstance(o.get(k), str) or not o.get(k):
                bad(f"llm event without {k}", f"llm missing {k}")
        if "cost_usd" not in o and isinstance(o.get("model"), str) and cat.m and o["model"] not in cat.m:
            bad(f"llm event cannot be priced: model {o['model']!r} not in catalog and no cost_usd", "unpriced model")
    if kind == "handoff" and (not isinstance(o.get("target_agent_id"), str) or not o.get("target_agent_id")):
        bad("handoff event without target_agent_id", "handoff missing target_agent_id")
    return ok


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="validate a fleet6 events file (contract section 1) and its labels")
    ap.add_argument("events")
    ap.add_argument("labels_pos", nargs="?", metavar="LABELS")
    ap.add_argument("--labels", dest="labels_opt")
    ap.add_argument("--catalog", default=os.path.join(here, "..", "models", "model_prices_and_context_window.json"))
    ap.add_argument("--max-errors", type=int, default=25)
    a = ap.parse_args(argv)
    labels_path = a.labels_opt or a.labels_pos
    cat = Catalog(a.catalog)
    if not cat.m:
        print(f"note: no price catalog at {a.catalog}; models are not checked and spend covers cost_usd only",
              file=sys.stderr)
    rep = Report(a.max_errors)

    lines = 0
    kinds = collections.Counter()
    statuses = collections.Counter()
    forms = collections.Counter()
    extra_fields = collections.Counter()
    seen = {}                 # event_id -> canonical payload
    dups = 0
    sess = {}                 # session_id -> info
    ev_session = {}           # event_id -> session_id
    ev_cost = {}              # event_id -> cost
    min_ts, max_ts = None, None
    out_of_order = 0
    last_ts = None
    with_cost = 0
    models = collections.Counter()

    with open(a.events, "rb") as f:
        for ln, raw in enumerate(f, 1):
            lines += 1
            where = f"{a.events}:{ln}"
            try:
                o = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                rep.err(where, f"not JSON: {e}", "not JSON")
                continue
            if not check_event(o, rep, where, cat):
                continue
            eid = o["event_id"]
            canon = json.dumps(o, sort_keys=True)
            if eid in seen:
                if seen[eid] != canon:
                    rep.err(where, f"event_id {eid} repeated with a different payload", "conflicting duplicate")
                else:
                    dups += 1
                continue
            seen[eid] = canon
            ms, form = parse_ts(o["ts"])
            forms[form] += 1
            if last_ts is not None and ms < last_ts:
                out_of_order += 1
            last_ts = ms
            min_ts = ms if min_ts is None else min(min_ts, ms)
            max_ts = ms if max_ts is None else max(max_ts, ms)
            kind = o.get("kind", "llm")
            kinds[kind] += 1
            statuses[o.get("status", "ok")] += 1
            for k in o:
                if k not in KNOWN:
                    extra_fields[k] += 1
            if "cost_usd" in o:
                c = float(o["cost_usd"])
                with_cost += 1
            elif kind == "llm":
                c = cat.price(o)
            else:
                c = 0.0
            if kind == "llm":
                models[o["model"]] += 1
            sid = o["session_id"]
            ev_session[eid] = sid
            ev_cost[eid] = c
            s = sess.get(sid)
            if s is None:
                s = sess[sid] = {"first_ms": ms, "agent": o["agent_id"], "agents": set(), "n": 0, "cost": 0.0,
                                 "parent": o.get("parent_session_id"), "task_id": o.get("task_id"),
                                 "task_type": o.get("task_type"), "has_tt": False, "has_tid": False,
                                 "last_ms": ms}
            else:
                if o.get("parent_session_id") != s["parent"]:
                    rep.err(where, f"session {sid}: parent_session_id changes within the session", "parent changes")
                if "task_id" in o and s["task_id"] is not None and o["task_id"] != s["task_id"]:
                    rep.err(where, f"session {sid}: task_id changes within the session", "task_id changes")
                if ms < s["first_ms"]:
                    s["first_ms"] = ms
                    s["agent"] = o["agent_id"]
                s["last_ms"] = max(s["last_ms"], ms)
            if s["task_id"] is None and "task_id" in o:
                s["task_id"] = o["task_id"]
            if "task_type" in o:
                s["has_tt"] = True
                s["task_type"] = o["task_type"]
            if "task_id" in o:
                s["has_tid"] = True
            s["agents"].add(o["agent_id"])
            s["n"] += 1
            s["cost"] += c

    # ------------------------------------------------------------------ labels
    labels = {}
    if labels_path:
        with open(labels_path, "rb") as f:
            for ln, raw in enumerate(f, 1):
                where = f"{labels_path}:{ln}"
                try:
                    lab = json.loads(raw)
                except ValueError as e:
                    rep.err(where, f"label not JSON: {e}", "label not JSON")
                    continue
                if not isinstance(lab, dict):
                    rep.err(where, "label not an object", "label not an object")
                    continue
                okl = True
                for k in ("session_id", "label", "kind", "agent_id", "task_type"):
                    if not isinstance(lab.get(k), str) or not lab.get(k):
                        rep.err(where, f"label field {k} missing or not a non-empty string", f"label bad {k}")
                        okl = False
                for k in ("onset_event_id", "task_id"):
                    if k not in lab:
                        rep.err(where, f"label field {k} missing", f"label missing {k}")
                        okl = False
                    elif lab[k] is not None and not isinstance(lab[k], str):
                        rep.err(where, f"label field {k} must be a string or null", f"label bad {k}")
                        okl = False
                if "part_of" in lab and not isinstance(lab["part_of"], str):
                    rep.err(where, "part_of must be a string", "label bad part_of")
                    okl = False
                if lab.get("label") not in ("normal", "runaway"):
                    rep.err(where, f"label must be normal or runaway: {lab.get('label')!r}", "label bad label")
                    okl = False
                if not okl:
                    continue
                sid = lab["session_id"]
                if sid in labels:
                    rep.err(where, f"session {sid} labelled twice", "label duplicate session")
                    continue
                lab["_where"] = where
                labels[sid] = lab

        def case_of(sid):
            lab = labels.get(sid)
            if lab is None or lab["label"] != "runaway":
                return None
            return lab.get("part_of") or sid

        for sid, lab in labels.items():
            where = lab["_where"]
            s = sess.get(sid)
            if s is None:
                rep.err(where, f"labelled session {sid} has no events", "label session missing")
                continue
            if lab["agent_id"] != s["agent"]:
                rep.err(where, f"agent_id {lab['agent_id']!r} differs from the session's first event "
                               f"({s['agent']!r})", "label agent mismatch")
            if s["has_tid"] and lab["task_id"] != s["task_id"]:
                rep.err(where, f"task_id {lab['task_id']!r} differs from events ({s['task_id']!r})",
                        "label task_id mismatch")
            if not s["has_tid"] and lab["task_id"] is not None:
                rep.err(where, "task_id given but the session's events carry none", "label task_id mismatch")
            tt = s["task_type"] if s["has_tt"] else "unknown"
            if lab["task_type"] != tt:
                rep.err(where, f"task_type {lab['task_type']!r} differs from events ({tt!r})", "label task_type mismatch")
            if lab["label"] == "normal":
                if lab["onset_event_id"] is not None:
                    rep.err(where, "normal session with an onset_event_id", "normal with onset")
                if "part_of" in lab:
                    rep.err(where, "normal session with part_of", "normal with part_of")
            elif "part_of" in lab:
                root = labels.get(lab["part_of"])
                if root is None:
                    rep.err(where, f"part_of {lab['part_of']} is not a labelled session", "part_of missing")
                elif root["label"] != "runaway" or "part_of" in root:
                    rep.err(where, f"part_of {lab['part_of']} is not a runaway root", "part_of not a root")
                elif root["kind"] != lab["kind"]:
                    rep.err(where, f"kind {lab['kind']!r} differs from its root's {root['kind']!r}", "part_of kind")
                if lab["onset_event_id"] is not None:
                    rep.err(where, "part_of session carries an onset (the root carries it)", "onset on part_of")
                if lab["part_of"] == sid:
                    rep.err(where, "session is part_of itself", "part_of self")
            else:
                if lab["kind"] not in REASONS:
                    rep.err(where, f"runaway kind {lab['kind']!r} is not a contract reason", "runaway kind")
                oid = lab["onset_event_id"]
                if oid is None:
                    rep.err(where, "runaway root without onset_event_id", "root without onset")
                elif oid not in ev_session:
                    rep.err(where, f"onset_event_id {oid} not in events", "onset missing")
                elif case_of(ev_session[oid]) != sid:
                    rep.err(where, f"onset_event_id {oid} belongs to session {ev_session[oid]}, outside the case",
                            "onset outside case")
        for sid, s in sess.items():
            if sid not in labels:
                rep.err(a.events, f"session {sid} ({s['agent']}) has events but no label", "session unlabelled")
                continue
            par = s["parent"]
            if par and par in labels:
                pc, mc = case_of(par), case_of(sid)
                if pc is not None and pc != mc:
                    rep.err(labels[sid]["_where"], f"session {sid} is a child of runaway case {pc} but labelled "
                                                   f"{'case ' + mc if mc else 'normal'}", "child outside parent case")

    # ------------------------------------------------------------------ summary
    uniq = len(seen)
    print(f"file: {a.events}")
    print(f"lines: {lines}  unique events: {uniq}  duplicate deliveries: {dups}  "
          f"arrived before an earlier-stamped line: {out_of_order}")
    print("event kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print("status: " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
    print("ts forms: " + ", ".join(f"{k}={v}" for k, v in sorted(forms.items())))
    print(f"events with cost_usd: {with_cost}  distinct models: {len(models)}")
    if extra_fields:
        print("fields beyond the contract: " + ", ".join(f"{k}={v}" for k, v in extra_fields.most_common()))
    if min_ts is not None:
        f = lambda ms: datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"span: {f(min_ts)} .. {f(max_ts)} = {(max_ts - min_ts) / 3600e3:.1f} h")
    tops = [sid for sid, s in sess.items() if not s["parent"]]
    agents = collections.Counter(s["agent"] for s in sess.values())
    print(f"sessions: {len(sess)}  top-level: {len(tops)}  sub-agent: {len(sess) - len(tops)}  agents: {len(agents)}")
    missing_tt = sum(1 for s in sess.values() if not s["has_tt"])
    print(f"sessions without task_type: {missing_tt} ({100.0 * missing_tt / max(1, len(sess)):.1f}%)")
    if labels:
        spend = collections.defaultdict(float)
        evn = collections.Counter()
        sesn = collections.Counter()
        kind_n = collections.Counter()
        kind_spend = collections.defaultdict(float)
        for sid, s in sess.items():
            lab = labels.get(sid)
            if not lab:
                continue
            spend[lab["label"]] += s["cost"]
            evn[lab["label"]] += s["n"]
            sesn[lab["label"]] += 1
            key = (lab["label"], lab["kind"])
            kind_n[key] += 1
            kind_spend[key] += s["cost"]
        roots = [sid for sid, l in labels.items() if l["label"] == "runaway" and "part_of" not in l]
        top_run = sum(1 for sid in roots if sid in sess and not sess[sid]["parent"])
        print("spend by label: " + ", ".join(
            f"{k}=${spend[k]:,.2f} ({evn[k]} events, {sesn[k]} sessions)" for k in ("normal", "runaway")))
        print(f"runaway cases: {len(roots)}  ({100.0 * top_run / max(1, len(tops)):.1f}% of top-level sessions)  "
              f"sessions labelled runaway: {sesn['runaway']}")
        print("label kinds (sessions, spend):")
        for (lb, k), n in sorted(kind_n.items(), key=lambda x: (x[0][0], -x[1])):
            extra = ""
            if lb == "runaway":
                nroots = sum(1 for sid in roots if labels[sid]["kind"] == k)
                extra = f" cases={nroots}"
            print(f"  {lb:8s} {k:32s} {n:6d}  ${kind_spend[(lb, k)]:12,.2f}{extra}")
    print("top agents by sessions: " + ", ".join(f"{k}={v}" for k, v in agents.most_common(12)))
    if rep.n:
        print(f"FAIL: {rep.n} violations: " + ", ".join(f"{k}={v}" for k, v in rep.by.most_common()),
              file=sys.stderr)
        print(f"FAIL: {rep.n} violations")
        return 1
    print("OK: no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
