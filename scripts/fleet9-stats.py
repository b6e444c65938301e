#!/usr/bin/env python3
"""Sanity report for fleet9 output:  fleet9-stats.py EVENTS LABELS  (exit 1 if a check fails)."""
import collections
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(HERE, '..', 'models', 'model_prices_and_context_window.json')
KINDS = {'llm', 'tool', 'handoff'}
STATUS = {'ok', 'error', 'retry'}
TOKF = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens']
RUNAWAY = ['loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm', 'context_growth',
           'subagent_fanout', 'cost_spike', 'session_budget']


def parse_ts(v):
    if isinstance(v, bool):
        raise ValueError('bool ts')
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        s = v.replace('Z', '+00:00')
        d = datetime.datetime.fromisoformat(s)
        if d.tzinfo is None:
            raise ValueError('no offset')
        return int(round(d.timestamp() * 1000))
    raise ValueError('bad ts type')


def pct(xs, q):
    if not xs:
        return 0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ev_path, lab_path = sys.argv[1], sys.argv[2]
    cat = json.load(open(CATALOG))

    def price(e):
        if 'cost_usd' in e:
            return e['cost_usd'], True
        if e.get('kind', 'llm') != 'llm':
            return 0.0, True
        m = cat.get(e.get('model'))
        if not m:
            return 0.0, False
        ic = m.get('input_cost_per_token') or 0
        oc = m.get('output_cost_per_token') or 0
        rc = m.get('output_cost_per_reasoning_token') or oc
        cr = m.get('cache_read_input_token_cost')
        cr = ic if cr is None else cr
        cw = m.get('cache_creation_input_token_cost')
        cw = ic if cw is None else cw
        return (e.get('input_tokens', 0) * ic + e.get('output_tokens', 0) * oc + e.get('cache_read_tokens', 0) * cr
                + e.get('cache_write_tokens', 0) * cw + e.get('reasoning_tokens', 0) * rc), True

    errors = collections.Counter()
    examples = {}

    def bad(what, line):
        errors[what] += 1
        examples.setdefault(what, line)

    seen = {}
    dups = 0
    dup_mismatch = 0
    last_t = None
    unsorted = 0
    sess_events = collections.defaultdict(list)   # sid -> [event ids]
    sess_info = {}
    ev_session = {}
    sess_cost = collections.Counter()
    sess_parent = {}
    kinds = collections.Counter()
    status = collections.Counter()
    ts_forms = collections.Counter()
    unpriced = 0
    total_cost = 0.0
    models = collections.Counter()
    tmin, tmax = None, None
    n = 0
    with open(ev_path) as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line:
                continue
            n += 1
            try:
                e = json.loads(line)
            except Exception:
                bad('not json', ln)
                continue
            if not isinstance(e, dict):
                bad('not object', ln)
                continue
            for fld in ('event_id', 'session_id', 'agent_id'):
                if not isinstance(e.get(fld), str) or not e.get(fld):
                    bad('missing ' + fld, ln)
            try:
                t = parse_ts(e.get('ts'))
            except Exception:
                bad('bad ts', ln)
                continue
            ts_forms['epoch_ms' if isinstance(e['ts'], int) else 'rfc3339'] += 1
            k = e.get('kind', 'llm')
            if k not in KINDS:
                bad('bad kind', ln)
            if k == 'llm' and (not e.get('model') or not e.get('provider')):
                bad('llm without model/provider', ln)
            if k == 'handoff' and not e.get('target_agent_id'):
                bad('handoff without target', ln)
            for tf in TOKF:
                if tf in e and (not isinstance(e[tf], int) or isinstance(e[tf], bool) or e[tf] < 0):
                    bad('bad ' + tf, ln)
            if 'cost_usd' in e and (not isinstance(e['cost_usd'], (int, float)) or e['cost_usd'] < 0):
                bad('bad cost_usd', ln)
            if e.get('status', 'ok') not in STATUS:
                bad('bad status', ln)
            if 'latency_ms' in e and (not isinstance(e['latency_ms'], int) or e['latency_ms'] < 0):
                bad('bad latency', ln)
            eid = e['event_id']
            if eid in seen:
                dups += 1
                if seen[eid] != line:
                    dup_mismatch += 1
                continue
            seen[eid] = line
            if last_t is not None and t < last_t:
                unsorted += 1
                examples.setdefault('unsorted', ln)
            last_t = t if last_t is None else max(last_t, t)
            tmin = t if tmin is None else min(tmin, t)
            tmax = t if tmax is None else max(tmax, t)
            sid = e['session_id']
            sess_events[sid].append(eid)
            ev_session[eid] = sid
            if sid not in sess_info:
                sess_info[sid] = (e.get('task_type', 'unknown'), e.get('task_id'))
            if e.get('parent_session_id'):
                sess_parent[sid] = e['parent_session_id']
            kinds[k] += 1
            status[e.get('status', 'ok')] += 1
            if k == 'llm':
                models[e.get('model')] += 1
            c, ok = price(e)
            if not ok:
                unpriced += 1
            sess_cost[sid] += c
            total_cost += c
    labels = []
    with open(lab_path) as f:
        for line in f:
            if line.strip():
                labels.append(json.loads(line))
    lab = {l['session_id']: l for l in labels}
    # label checks
    if len(lab) != len(labels):
        bad('duplicate label', 0)
    for l in labels:
        sid = l['session_id']
        if sid not in sess_events:
            bad('label session missing from events', sid)
        if l['label'] not in ('normal', 'runaway'):
            bad('bad label value', sid)
        if l['label'] == 'runaway':
            if l['kind'] not in RUNAWAY:
                bad('runaway with unknown kind', sid)
            if not l.get('onset_event_id'):
                bad('runaway without onset', sid)
        o = l.get('onset_event_id')
        if o is not None:
            if o not in ev_session:
                bad('onset event missing', sid)
            elif ev_session[o] != sid:
                bad('onset event in other session', sid)
        if l.get('part_of') and l['part_of'] not in lab:
            bad('part_of unknown session', sid)
    for sid in sess_events:
        if sid not in lab:
            bad('session without label', sid)

    top = [l for l in labels if not l.get('parent_session_id')]
    print('== %s' % ev_path)
    print('events (lines) %d, unique %d, redelivered duplicates %d (mismatching bytes %d)' % (n, len(seen), dups, dup_mismatch))
    print('sessions %d (top-level %d, sub-agent %d)' % (len(sess_events), len(top), len(labels) - len(top)))
    print('event time span: %s .. %s (%.1f h)' % (
        datetime.datetime.utcfromtimestamp(tmin / 1000).isoformat(), datetime.datetime.utcfromtimestamp(tmax / 1000).isoformat(),
        (tmax - tmin) / 3600000.0))
    print('kinds %s  status %s  ts forms %s' % (dict(kinds), dict(status), dict(ts_forms)))
    print('models:', ', '.join('%s=%d' % kv for kv in models.most_common()))
    # runaways
    rtop = collections.Counter(l['kind'] for l in top if l['label'] == 'runaway')
    rsub = collections.Counter(l['kind'] for l in labels if l['label'] == 'runaway' and l.get('parent_session_id') and not l.get('part_of'))
    rpart = collections.Counter(l['part_of'] for l in labels if l.get('part_of'))
    print('runaway top-level sessions: %d of %d (%.2f%%)' % (sum(rtop.values()), len(top), 100.0 * sum(rtop.values()) / max(1, len(top))))
    for k in RUNAWAY:
        print('   %-16s top=%-3d sub=%d' % (k, rtop.get(k, 0), rsub.get(k, 0)))
    if rpart:
        print('   fan-out member sessions (part_of): %d across %d runaway roots (max %d)' % (
            sum(rpart.values()), len(rpart), max(rpart.values())))
    missing = [k for k in RUNAWAY if rtop.get(k, 0) + rsub.get(k, 0) == 0]
    if missing:
        bad('runaway kind absent: ' + ','.join(missing), 0)
    nk = collections.Counter(l['kind'] for l in labels if l['label'] == 'normal')
    print('normal kinds/traps:', ', '.join('%s=%d' % kv for kv in nk.most_common()))
    # onset positions
    pos = []
    for l in labels:
        if l['label'] == 'runaway' and not l.get('part_of') and l.get('onset_event_id') in ev_session:
            evs = sess_events[l['session_id']]
            pos.append(evs.index(l['onset_event_id']))
    if pos:
        print('runaway onset index in session: p10=%d p50=%d p90=%d, at start=%d' % (
            pct(pos, .1), pct(pos, .5), pct(pos, .9), sum(1 for p in pos if p == 0)))
    # per task type lengths (normal sessions)
    print('per task type, normal sessions: n  len p50/p95/p99  cost p50/p95/p99 ($)')
    bytt = collections.defaultdict(list)
    costtt = collections.defaultdict(list)
    for l in labels:
        if l['label'] == 'normal' and l['session_id'] in sess_events:
            bytt[l['task_type']].append(len(sess_events[l['session_id']]))
            costtt[l['task_type']].append(sess_cost[l['session_id']])
    for tt in sorted(bytt):
        xs, cs = bytt[tt], costtt[tt]
        print('   %-22s %5d  %4d/%4d/%4d   %.4f/%.4f/%.4f' % (tt, len(xs), pct(xs, .5), pct(xs, .95), pct(xs, .99),
                                                           pct(cs, .5), pct(cs, .95), pct(cs, .99)))
    rlen = collections.defaultdict(list)
    rcost = collections.defaultdict(list)
    for l in labels:
        if l['label'] == 'runaway' and not l.get('part_of') and l['session_id'] in sess_events:
            rlen[l['kind']].append(len(sess_events[l['session_id']]))
            rcost[l['kind']].append(sess_cost[l['session_id']])
    print('runaway sessions: len p50/max  cost p50/max')
    for k in RUNAWAY:
        if rlen[k]:
            print('   %-16s %5d/%5d   %.3f/%.3f' % (k, pct(rlen[k], .5), max(rlen[k]), pct(rcost[k], .5), max(rcost[k])))
    # trees
    children = collections.Counter(sess_parent.values())
    depth = {}

    def dep(s):
        d = 0
        seen_ = set()
        while s in sess_parent and s not in seen_:
            seen_.add(s)
            s = sess_parent[s]
            d += 1
        return d
    tasks = collections.defaultdict(list)
    for sid, (tt, tid) in sess_info.items():
        if tid:
            tasks[tid].append(sid)
    for sid in sess_events:
        depth[sid] = dep(sid)
    tsz = [len(v) for v in tasks.values() if len(v) > 1]
    tdp = [max(depth[s] for s in v) for v in tasks.values() if len(v) > 1]
    print('trees (tasks with sub-agents): %d, size p50/p95/max %d/%d/%d, depth p50/p95/max %d/%d/%d, widest node %d' % (
        len(tsz), pct(tsz, .5), pct(tsz, .95), max(tsz or [0]), pct(tdp, .5), pct(tdp, .95), max(tdp or [0]),
        max(children.values() or [0])))
    ntop_normal = [sess_cost[l['session_id']] for l in top if l['label'] == 'normal']
    rcost_all = sum(sess_cost[l['session_id']] for l in labels if l['label'] == 'runaway')
    print('cost total $%.2f (runaway-labelled sessions $%.2f), llm events not priceable (unknown model, no cost_usd): %d' % (
        total_cost, rcost_all, unpriced))
    print('checks: unsorted (non-duplicate) events %d' % unsorted)
    if unsorted:
        bad('events not in time order', examples.get('unsorted'))
    if errors:
        print('FAILED CHECKS:')
        for k, v in errors.items():
            print('   %s: %d (e.g. %s)' % (k, v, examples.get(k)))
        sys.exit(1)
    print('all checks passed')


if __name__ == '__main__':
    main()
