#!/usr/bin/env python3
"""fleet10-stats: summary and sanity checks for a fleet10 events + labels pair.

    python3 scripts/fleet10-stats.py EVENTS.ndjson LABELS.ndjson [--allow-disorder]

Exits non-zero when a check fails.  Out-of-order events and redelivered
duplicates are only accepted with --allow-disorder (implied when the events
file name starts with "mixed"); even then a late event may be at most 60 s
behind the file's running maximum and a duplicate must repeat its original
exactly.
"""
import argparse
import collections
import datetime
import json
import math
import os
import sys

KINDS = ('loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm',
         'context_growth', 'subagent_fanout', 'cost_spike', 'session_budget')
REQ = ('event_id', 'ts', 'session_id', 'agent_id')
UINT = ('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens',
        'latency_ms')
LABEL_KEYS = ('session_id', 'label', 'kind', 'onset_event_id', 'task_id', 'part_of', 'agent_id', 'task_type')


def parse_ts(v):
    if isinstance(v, bool):
        raise ValueError('bool ts')
    if isinstance(v, (int, float)):
        return float(v)
    s = v
    if s.endswith('Z'):
        s = s[:-1] + '+00:00'
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        raise ValueError('ts without offset')
    return d.timestamp() * 1000.0


def load_catalog(path):
    with open(path) as f:
        d = json.load(f)
    cat = {}
    for m, e in d.items():
        if not isinstance(e, dict) or 'input_cost_per_token' not in e:
            continue
        ic = e['input_cost_per_token']
        oc = e.get('output_cost_per_token', 0.0)
        cat[m] = (ic, oc, e.get('cache_read_input_token_cost', ic), e.get('cache_creation_input_token_cost', ic),
                  e.get('output_cost_per_reasoning_token', oc))
    return cat


def catalog_cost(p, ev):
    return (ev.get('input_tokens', 0) * p[0] + ev.get('output_tokens', 0) * p[1] +
            ev.get('cache_read_tokens', 0) * p[2] + ev.get('cache_write_tokens', 0) * p[3] +
            ev.get('reasoning_tokens', 0) * p[4])


def q(vals, f):
    if not vals:
        return 0
    vals = sorted(vals)
    return vals[min(len(vals) - 1, int(f * len(vals)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('events')
    ap.add_argument('labels')
    ap.add_argument('--allow-disorder', action='store_true')
    ap.add_argument('--catalog', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'models',
                                                      'model_prices_and_context_window.json'))
    a = ap.parse_args()
    allow = a.allow_disorder or os.path.basename(a.events).startswith('mixed')
    cat = load_catalog(a.catalog)
    fails = []

    def fail(msg):
        if len(fails) < 200:
            fails.append(msg)

    # ---- labels
    labs = {}
    with open(a.labels) as f:
        for ln, line in enumerate(f, 1):
            lab = json.loads(line)
            for k in LABEL_KEYS:
                if k not in lab:
                    fail('labels:%d missing key %s' % (ln, k))
            sid = lab['session_id']
            if sid in labs:
                fail('labels: duplicate session %s' % sid)
            labs[sid] = lab
            if lab['label'] not in ('normal', 'runaway'):
                fail('labels: bad label %r' % lab['label'])
            if lab['label'] == 'runaway':
                if lab['kind'] not in KINDS:
                    fail('labels: runaway %s has kind %r' % (sid, lab['kind']))
                if not lab['onset_event_id']:
                    fail('labels: runaway %s without onset' % sid)
            else:
                if lab['kind'] in KINDS:
                    fail('labels: normal %s with runaway kind' % sid)
                if lab['onset_event_id'] is not None or lab['part_of'] is not None:
                    fail('labels: normal %s with onset/part_of' % sid)
    for sid, lab in labs.items():
        if lab['part_of'] is not None:
            root = labs.get(lab['part_of'])
            if root is None:
                fail('labels: %s part_of unknown %s' % (sid, lab['part_of']))
            elif root['label'] != 'runaway' or root['part_of'] is not None or root['kind'] != lab['kind']:
                fail('labels: %s part_of %s is not a matching runaway root' % (sid, lab['part_of']))

    # ---- events
    seen = {}
    sess_ev = collections.defaultdict(set)
    sess_n = collections.Counter()
    sess_cost = collections.Counter()
    onset_seen = set()
    from_onset = collections.Counter()
    kinds = collections.Counter()
    nlines = 0
    ndup = 0
    nlate = 0
    max_late = 0.0
    maxts = -1e30
    tmin, tmax = 1e30, -1e30
    n_cost_given = 0
    n_epoch = 0
    unpriced = collections.Counter()
    total = 0.0
    status = collections.Counter()
    models = collections.Counter()
    with open(a.events) as f:
        for ln, line in enumerate(f, 1):
            nlines += 1
            try:
                ev = json.loads(line)
            except ValueError:
                fail('events:%d not JSON' % ln)
                continue
            miss = [k for k in REQ if k not in ev]
            if miss:
                fail('events:%d missing %s' % (ln, miss))
                continue
            eid = ev['event_id']
            if eid in seen:
                ndup += 1
                if seen[eid] != line:
                    fail('events:%d duplicate event_id %s with different content' % (ln, eid))
                if not allow:
                    fail('events:%d duplicate event_id %s' % (ln, eid))
                continue
            seen[eid] = line
            try:
                ts = parse_ts(ev['ts'])
            except Exception as e:
                fail('events:%d bad ts %r (%s)' % (ln, ev['ts'], e))
                continue
            if not isinstance(ev['ts'], str):
                n_epoch += 1
            if ts < maxts:
                nlate += 1
                max_late = max(max_late, maxts - ts)
                if not allow or maxts - ts > 60000:
                    fail('events:%d ts goes back %.0f ms' % (ln, maxts - ts))
            maxts = max(maxts, ts)
            tmin, tmax = min(tmin, ts), max(tmax, ts)
            kind = ev.get('kind', 'llm')
            kinds[kind] += 1
            if kind not in ('llm', 'tool', 'handoff'):
                fail('events:%d unknown kind %r' % (ln, kind))
            for k in UINT:
                if k in ev and (not isinstance(ev[k], int) or isinstance(ev[k], bool) or ev[k] < 0):
                    fail('events:%d bad %s %r' % (ln, k, ev[k]))
            if ev.get('status', 'ok') not in ('ok', 'error', 'retry'):
                fail('events:%d bad status' % ln)
            status[ev.get('status', 'ok')] += 1
            cost = 0.0
            if kind == 'llm':
                if 'model' not in ev or 'provider' not in ev:
                    fail('events:%d llm without model/provider' % ln)
                    continue
                models[ev['model']] += 1
                p = cat.get(ev['model'])
                if 'cost_usd' in ev:
                    n_cost_given += 1
                    cost = ev['cost_usd']
                    if not isinstance(cost, (int, float)) or cost < 0:
                        fail('events:%d bad cost_usd' % ln)
                    elif p is not None:
                        cc = catalog_cost(p, ev)
                        if abs(cc - cost) > 1e-9 * max(1.0, abs(cc)) + 1e-15:
                            fail('events:%d cost_usd %r != catalog %r' % (ln, cost, cc))
                    elif cost <= 0 and ev.get('input_tokens', 0) + ev.get('output_tokens', 0) > 0:
                        fail('events:%d self-hosted model with non-positive cost' % ln)
                elif p is not None:
                    cost = catalog_cost(p, ev)
                else:
                    unpriced[ev['model']] += 1
            elif kind == 'handoff':
                if 'target_agent_id' not in ev:
                    fail('events:%d handoff without target_agent_id' % ln)
                if 'cost_usd' in ev:
                    cost = ev['cost_usd']
            sid = ev['session_id']
            if sid not in labs:
                fail('events:%d session %s not labelled' % (ln, sid))
                continue
            sess_ev[sid].add(eid)
            sess_n[sid] += 1
            sess_cost[sid] += cost
            total += cost
            lab = labs[sid]
            if lab['onset_event_id'] == eid:
                onset_seen.add(sid)
            if sid in onset_seen:
                from_onset[sid] += cost
    for m, n in unpriced.items():
        fail('model %s unpriced on %d events' % (m, n))
    for sid, lab in labs.items():
        if sid not in sess_ev:
            fail('labels: session %s has no events' % sid)
        elif lab['onset_event_id'] is not None and lab['onset_event_id'] not in sess_ev[sid]:
            fail('labels: onset %s not in session %s' % (lab['onset_event_id'], sid))

    # ---- summary
    out = []
    w = out.append
    top = [l for l in labs.values() if not l.get('parent_session_id')]
    roots = [l for l in labs.values() if l['label'] == 'runaway' and l['part_of'] is None]
    w('events file      %s' % a.events)
    w('event lines      %d  (unique %d, duplicates %d, late %d, max lateness %.1f s, epoch-ms ts %d)'
      % (nlines, len(seen), ndup, nlate, max_late / 1000.0, n_epoch))
    w('event kinds      %s' % dict(kinds))
    w('status           %s' % dict(status))
    w('cost_usd given   %d llm events' % n_cost_given)
    w('time span        %s .. %s (%.1f h)' % (
        datetime.datetime.fromtimestamp(tmin / 1000, datetime.timezone.utc).isoformat()[:19],
        datetime.datetime.fromtimestamp(tmax / 1000, datetime.timezone.utc).isoformat()[:19],
        (tmax - tmin) / 3.6e6))
    w('sessions         %d  (top-level %d, sub-agent %d)' % (len(labs), len(top), len(labs) - len(top)))
    w('sessions by label %s' % dict(collections.Counter(l['label'] for l in labs.values())))
    w('runaways         %d roots (%.2f%% of top-level), %d sessions labelled runaway'
      % (len(roots), 100.0 * len(roots) / max(1, len(top)),
         sum(1 for l in labs.values() if l['label'] == 'runaway')))
    w('spend total      $%.2f   normal $%.2f   runaway sessions $%.2f' % (
        total, sum(sess_cost[s] for s, l in labs.items() if l['label'] == 'normal'),
        sum(sess_cost[s] for s, l in labs.items() if l['label'] == 'runaway')))
    w('')
    w('runaway roots per kind (roots / sessions / events / spend from onset incl. part_of sessions)')
    for k in KINDS:
        rs = [l for l in roots if l['kind'] == k]
        ss = [l for l in labs.values() if l['label'] == 'runaway' and l['kind'] == k]
        ev = sum(sess_n[l['session_id']] for l in ss)
        sp = sum(from_onset[l['session_id']] for l in ss)
        per = [from_onset[l['session_id']] + sum(from_onset[x['session_id']] for x in ss
                                                  if x['part_of'] == l['session_id']) for l in rs]
        w('  %-16s %4d %6d %8d  $%9.2f  (per root median $%.2f, max $%.2f)'
          % (k, len(rs), len(ss), ev, sp, q(per, 0.5), max(per) if per else 0.0))
    w('')
    w('normal sessions per kind (trap name or "normal")')
    c = collections.Counter(l['kind'] for l in labs.values() if l['label'] == 'normal')
    for k, n in c.most_common():
        w('  %-18s %6d' % (k, n))
    w('')
    w('trap mentions (any trap in a session\'s traps list, all labels)')
    c = collections.Counter(t for l in labs.values() for t in (l.get('traps') or []))
    for k, n in c.most_common():
        w('  %-18s %6d' % (k, n))
    w('')
    w('sessions by task_type (normal / runaway, events, median events per session)')
    bt = collections.defaultdict(lambda: [0, 0, 0, []])
    for sid, l in labs.items():
        e = bt[l['task_type']]
        e[0 if l['label'] == 'normal' else 1] += 1
        e[2] += sess_n[sid]
        if l['label'] == 'normal':
            e[3].append(sess_n[sid])
    for k, e in sorted(bt.items(), key=lambda x: -x[1][2]):
        w('  %-26s %6d %4d %8d  p50 %5d  p99 %6d' % (k, e[0], e[1], e[2], q(e[3], 0.5), q(e[3], 0.99)))
    w('')
    trees = collections.Counter(l['task_id'] for l in labs.values())
    run_tasks = set(l['task_id'] for l in roots if l['kind'] == 'subagent_fanout')
    nt = [n for t, n in trees.items() if t not in run_tasks and n > 1]
    rt = [n for t, n in trees.items() if t in run_tasks]
    w('sub-agent trees  normal multi-session tasks %d: p50 %d p90 %d p99 %d max %d sessions'
      % (len(nt), q(nt, .5), q(nt, .9), q(nt, .99), max(nt) if nt else 0))
    w('                 fan-out runaway tasks %d: sizes %s' % (len(rt), sorted(rt)))
    dep = collections.Counter(l.get('depth', 0) for l in labs.values())
    w('                 depth histogram %s' % dict(sorted(dep.items())))
    w('')
    w('llm events by model %s' % dict(models.most_common()))
    w('')
    if fails:
        w('CHECKS FAILED (%d shown):' % len(fails))
        for m in fails[:50]:
            w('  ' + m)
    else:
        w('checks: OK (labels<->events, onsets, part_of, ordering, required fields, cost_usd vs catalog)')
    print('\n'.join(out))
    sys.exit(1 if fails else 0)


if __name__ == '__main__':
    main()
