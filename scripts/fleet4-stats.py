#!/usr/bin/env python3
"""stats.py -- summarise and sanity-check a fleet4 run.

    python3 scripts/fleet4-stats.py EVENTS.ndjson LABELS.ndjson [EVENTS2 LABELS2 ...] [--catalog PATH]

Prints per-kind session counts, events-per-session quantiles and cost per kind;
exits 1 on any inconsistency (unlabelled session, label without events, runaway
whose onset_event_id is not one of its events, unknown kind, part_of pointing
nowhere, llm event without model/provider, malformed event, ...).
"""
import datetime as _dt
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.normpath(os.path.join(
    HERE, '..', 'models', 'model_prices_and_context_window.json'))
RUNAWAY_KINDS = {'cost_spike', 'loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway',
                 'retry_storm', 'context_growth', 'subagent_fanout', 'session_budget'}
NORMAL_KINDS = {'normal', 'batch_edit', 'huge_doc', 'new_agent', 'long_task', 'legit_retry',
                'polling', 'writer_reviewer', 'wide_fanout', 'model_upgrade', 'day_peak',
                'pagination', 'escalation', 'handoff_return'}
TOKF = ('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens')


def load_catalog(path):
    d = json.load(open(path))
    return {k: v for k, v in d.items() if isinstance(v, dict) and 'input_cost_per_token' in v}


def price(cat, e):
    if 'cost_usd' in e:
        return float(e['cost_usd'])
    if e.get('kind', 'llm') != 'llm':
        return 0.0
    p = cat.get(e.get('model'))
    if p is None:
        return None
    ip = p.get('input_cost_per_token') or 0
    op = p.get('output_cost_per_token') or 0
    cr = p.get('cache_read_input_token_cost')
    cw = p.get('cache_creation_input_token_cost')
    rp = p.get('output_cost_per_reasoning_token')
    g = lambda k: e.get(k, 0) or 0
    return (g('input_tokens') * ip + g('output_tokens') * op + g('cache_read_tokens') * (ip if cr is None else cr)
            + g('cache_write_tokens') * (ip if cw is None else cw) + g('reasoning_tokens') * (op if rp is None else rp))


def parse_ts(v):
    if isinstance(v, bool):
        raise ValueError('bool ts')
    if isinstance(v, int):
        return v
    s = v.replace('Z', '+00:00')
    d = _dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        raise ValueError('naive ts')
    return int(round(d.timestamp() * 1000))


def q(xs, p):
    if not xs:
        return 0
    xs = sorted(xs)
    i = min(len(xs) - 1, max(0, int(round(p * (len(xs) - 1)))))
    return xs[i]


def check(evpath, labpath, cat, out):
    errs = []

    def err(m):
        if len(errs) < 30:
            errs.append(m)
        else:
            errs.append(None)

    seen = {}
    sess = {}       # sid -> dict(n, cost, ids set, parent, first, last)
    dups = 0
    late = 0
    maxlate = 0
    hi = None
    lo_ts = None
    hi_ts = None
    tsforms = {'int': 0, 'str': 0}
    n_lines = 0
    cost_given = 0
    n_llm = 0
    with open(evpath) as f:
        for ln, line in enumerate(f, 1):
            n_lines += 1
            try:
                e = json.loads(line)
            except Exception:
                err('%s:%d not JSON' % (evpath, ln))
                continue
            eid = e.get('event_id')
            if eid in seen:
                if seen[eid] != line:
                    err('%s:%d duplicate event_id %s with different content' % (evpath, ln, eid))
                dups += 1
                continue
            seen[eid] = line
            for k in ('event_id', 'ts', 'session_id', 'agent_id'):
                if k not in e:
                    err('%s:%d missing %s' % (evpath, ln, k))
            try:
                ts = parse_ts(e['ts'])
            except Exception:
                err('%s:%d bad ts %r' % (evpath, ln, e.get('ts')))
                continue
            tsforms['int' if isinstance(e['ts'], int) else 'str'] += 1
            if hi is not None and ts < hi:
                late += 1
                maxlate = max(maxlate, hi - ts)
            hi = ts if hi is None else max(hi, ts)
            lo_ts = ts if lo_ts is None else min(lo_ts, ts)
            hi_ts = ts if hi_ts is None else max(hi_ts, ts)
            k = e.get('kind', 'llm')
            if k not in ('llm', 'tool', 'handoff'):
                err('%s:%d bad kind %r' % (evpath, ln, k))
            if k == 'llm':
                n_llm += 1
                if not e.get('model') or not e.get('provider'):
                    err('%s:%d llm event without model/provider' % (evpath, ln))
            if k == 'handoff' and not e.get('target_agent_id'):
                err('%s:%d handoff without target_agent_id' % (evpath, ln))
            if e.get('status', 'ok') not in ('ok', 'error', 'retry'):
                err('%s:%d bad status' % (evpath, ln))
            for t in TOKF:
                v = e.get(t, 0)
                if not isinstance(v, int) or v < 0:
                    err('%s:%d bad %s' % (evpath, ln, t))
            if 'cost_usd' in e:
                cost_given += 1
                if not isinstance(e['cost_usd'], (int, float)) or e['cost_usd'] < 0:
                    err('%s:%d bad cost_usd' % (evpath, ln))
            c = price(cat, e)
            if c is None:
                err('%s:%d model %r not in catalog and no cost_usd' % (evpath, ln, e.get('model')))
                c = 0.0
            sid = e['session_id']
            S = sess.get(sid)
            if S is None:
                S = sess[sid] = {'n': 0, 'cost': 0.0, 'ids': set(), 'parent': e.get('parent_session_id'),
                                 'first': ts, 'last': ts, 'agent': e['agent_id']}
            S['n'] += 1
            S['cost'] += c
            S['ids'].add(eid)
            S['first'] = min(S['first'], ts)
            S['last'] = max(S['last'], ts)
    labels = {}
    with open(labpath) as f:
        for ln, line in enumerate(f, 1):
            d = json.loads(line)
            sid = d.get('session_id')
            if sid in labels:
                err('%s:%d duplicate label for %s' % (labpath, ln, sid))
            labels[sid] = d
    for sid in sess:
        if sid not in labels:
            err('session %s has no label' % sid)
    for sid, d in labels.items():
        for k in ('label', 'kind', 'task_id', 'agent_id', 'task_type'):
            if k not in d:
                err('label %s lacks %s' % (sid, k))
        if 'onset_event_id' not in d:
            err('label %s lacks onset_event_id' % sid)
        if sid not in sess:
            err('label %s has no events' % sid)
            continue
        lab, kind = d.get('label'), d.get('kind')
        if lab == 'runaway':
            if kind not in RUNAWAY_KINDS:
                err('runaway %s has bad kind %r' % (sid, kind))
            if d.get('onset_event_id') not in sess[sid]['ids']:
                err('runaway %s onset_event_id %r not among its events' % (sid, d.get('onset_event_id')))
        elif lab == 'normal':
            if kind not in NORMAL_KINDS:
                err('normal %s has bad kind %r' % (sid, kind))
            if d.get('onset_event_id') is not None:
                err('normal %s has an onset' % sid)
        else:
            err('label %s bad label %r' % (sid, lab))
        if 'part_of' in d:
            p = labels.get(d['part_of'])
            if p is None or d['part_of'] not in sess:
                err('label %s part_of %r points nowhere' % (sid, d['part_of']))
            elif p.get('label') != 'runaway' or p.get('kind') != 'subagent_fanout':
                err('label %s part_of %r is not a fan-out runaway' % (sid, d['part_of']))
            if sess[sid]['parent'] != d['part_of']:
                err('label %s part_of differs from parent_session_id' % sid)
        par = sess[sid]['parent']
        if par is not None and par not in sess:
            err('session %s parent %s has no events' % (sid, par))
    # ---------------- report
    w = out.write
    w('=== %s\n' % evpath)
    top = [s for s in sess if sess[s]['parent'] is None]
    run_top = [s for s in top if labels.get(s, {}).get('label') == 'runaway']
    w('lines %d  unique events %d  duplicates %d (%.2f%%)  late deliveries %d (max %.1f s)\n' % (
        n_lines, len(seen), dups, 100.0 * dups / max(1, n_lines), late, maxlate / 1000.0))
    w('sessions %d  top-level %d  sub-sessions %d  runaway top-level %d (%.1f%%)\n' % (
        len(sess), len(top), len(sess) - len(top), len(run_top), 100.0 * len(run_top) / max(1, len(top))))
    agents = set(v['agent'] for v in sess.values())
    w('agents %d  span %.1f h  ts forms: %d epoch-ms, %d RFC3339  llm events %d  events with cost_usd %d\n' % (
        len(agents), (hi_ts - lo_ts) / 3600000.0 if hi_ts else 0, tsforms['int'], tsforms['str'], n_llm, cost_given))
    tot = sum(v['cost'] for v in sess.values())
    w('total cost $%.2f\n' % tot)
    groups = {}
    for sid, d in labels.items():
        if sid not in sess:
            continue
        key = (d.get('label'), d.get('kind'))
        g = groups.setdefault(key, {'top': 0, 'sub': 0, 'n': [], 'c': [], 'dur': []})
        g['top' if sess[sid]['parent'] is None else 'sub'] += 1
        g['n'].append(sess[sid]['n'])
        g['c'].append(sess[sid]['cost'])
        g['dur'].append((sess[sid]['last'] - sess[sid]['first']) / 60000.0)
    w('%-8s %-16s %5s %5s | %6s %6s %6s %6s %6s | %10s %9s %9s %9s | %7s\n' % (
        'label', 'kind', 'top', 'sub', 'ev_p10', 'p50', 'p90', 'p99', 'max', 'cost_sum', 'c_mean', 'c_p50', 'c_max',
        'min_p50'))
    for key in sorted(groups, key=lambda k: (k[0] != 'normal', k[1])):
        g = groups[key]
        n, c = g['n'], g['c']
        w('%-8s %-16s %5d %5d | %6d %6d %6d %6d %6d | %10.2f %9.4f %9.4f %9.3f | %7.1f\n' % (
            key[0], key[1], g['top'], g['sub'], q(n, .1), q(n, .5), q(n, .9), q(n, .99), max(n),
            sum(c), sum(c) / len(c), q(c, .5), max(c), q(g['dur'], .5)))
    ok = not errs
    if errs:
        w('INCONSISTENCIES (%d):\n' % len(errs))
        for m in errs:
            if m:
                w('  ' + m + '\n')
    else:
        w('consistency: OK\n')
    w('\n')
    return ok


def main():
    args = sys.argv[1:]
    catp = DEFAULT_CATALOG
    if '--catalog' in args:
        i = args.index('--catalog')
        catp = args[i + 1]
        del args[i:i + 2]
    if not args or len(args) % 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cat = load_catalog(catp)
    ok = True
    for i in range(0, len(args), 2):
        ok = check(args[i], args[i + 1], cat, sys.stdout) and ok
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
