#!/usr/bin/env python3
"""fleet11-stats -- sanity statistics and checks for a fleet11 event/label pair.

    python3 scripts/fleet11-stats.py EVENTS.ndjson LABELS.ndjson [--catalog FILE]

Prints per-kind counts (top-level and all sessions), events and spend, per
agent totals, bus-order facts (duplicates, late events, ts forms) and a CHECKS
section (valid JSON, contract required fields and types, one label per
session, onset events exist and belong to their session, part_of targets).
Spend is cost_usd when present, else priced from the catalog (input, output,
cache read/write, reasoning; missing cache rates fall back to the input rate,
missing reasoning rate to the output rate).  Duplicated event_ids count once.
"""
import argparse
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.normpath(os.path.join(HERE, '..', 'models', 'model_prices_and_context_window.json'))
TOK = ('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens')


def price(c, ev):
    i = c.get('input_cost_per_token') or 0.0
    o = c.get('output_cost_per_token') or 0.0
    cr = c.get('cache_read_input_token_cost')
    cw = c.get('cache_creation_input_token_cost')
    r = c.get('output_cost_per_reasoning_token')
    return (ev.get('input_tokens', 0) * i + ev.get('output_tokens', 0) * o
            + ev.get('cache_read_tokens', 0) * (cr if cr is not None else i)
            + ev.get('cache_write_tokens', 0) * (cw if cw is not None else i)
            + ev.get('reasoning_tokens', 0) * (r if r is not None else o))


def ts_form(ts):
    if isinstance(ts, int):
        return 'epoch_ms'
    if ts.endswith('Z'):
        frac = ts[19:-1]
        return 'rfc3339_Z%s' % ('' if not frac else '_frac%d' % (len(frac) - 1))
    return 'rfc3339_offset'


def ts_ms(ts):
    import datetime
    if isinstance(ts, int):
        return ts
    s = ts.replace('Z', '+00:00')
    base, off = s[:19], s[-6:]
    frac = s[19:-6]
    dt = datetime.datetime.strptime(base, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    ms = int(dt.timestamp() * 1000) + (int((frac[1:] + '000')[:3]) if frac else 0)
    sign = 1 if off[0] == '+' else -1
    return ms - sign * (int(off[1:3]) * 3600000 + int(off[4:6]) * 60000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('events')
    ap.add_argument('labels')
    ap.add_argument('--catalog', default=CATALOG)
    a = ap.parse_args()
    cat = json.load(open(a.catalog))
    errors = collections.Counter()
    err_examples = []

    def bad(kind, lineno):
        errors[kind] += 1
        if len(err_examples) < 10:
            err_examples.append('%s at line %d' % (kind, lineno))

    seen = {}
    dup = 0
    dup_mismatch = 0
    late = 0
    maxts = None
    forms = collections.Counter()
    ses_ev = collections.Counter()
    ses_cost = collections.defaultdict(float)
    ses_ids = collections.defaultdict(set)
    ev_sess = {}
    kinds = collections.Counter()
    status = collections.Counter()
    unpriced = collections.Counter()
    with_cost = 0
    model_use = collections.Counter()
    agent_cost = collections.defaultdict(float)
    agent_ev = collections.Counter()
    tt_missing = 0
    nlines = 0
    tmin = tmax = None
    with open(a.events) as f:
        for ln, line in enumerate(f, 1):
            nlines += 1
            try:
                ev = json.loads(line)
            except ValueError:
                bad('invalid_json', ln)
                continue
            if not isinstance(ev, dict):
                bad('not_object', ln)
                continue
            ok = True
            for k in ('event_id', 'session_id', 'agent_id'):
                if not isinstance(ev.get(k), str) or not ev.get(k):
                    bad('missing_' + k, ln)
                    ok = False
            ts = ev.get('ts')
            if not (isinstance(ts, str) or (isinstance(ts, int) and not isinstance(ts, bool))):
                bad('bad_ts', ln)
                ok = False
            kd = ev.get('kind', 'llm')
            if kd not in ('llm', 'tool', 'handoff'):
                bad('bad_kind', ln)
                ok = False
            if kd == 'llm' and not (isinstance(ev.get('model'), str) and isinstance(ev.get('provider'), str)):
                bad('llm_without_model_provider', ln)
                ok = False
            if kd == 'handoff' and not isinstance(ev.get('target_agent_id'), str):
                bad('handoff_without_target', ln)
            for k in TOK + ('latency_ms',):
                if k in ev and (not isinstance(ev[k], int) or isinstance(ev[k], bool) or ev[k] < 0):
                    bad('bad_' + k, ln)
            if 'cost_usd' in ev and (not isinstance(ev['cost_usd'], (int, float)) or ev['cost_usd'] < 0):
                bad('bad_cost_usd', ln)
            if ev.get('status', 'ok') not in ('ok', 'error', 'retry'):
                bad('bad_status', ln)
            for k in ('task_type', 'task_id', 'parent_session_id', 'tenant', 'team', 'feature', 'env', 'tool',
                      'args_hash'):
                if k in ev and not isinstance(ev[k], str):
                    bad('bad_' + k, ln)
            if 'labels' in ev and not (isinstance(ev['labels'], dict) and
                                       all(isinstance(v, str) for v in ev['labels'].values())):
                bad('bad_labels', ln)
            if not ok:
                continue
            try:
                t = ts_ms(ts)
            except Exception:
                bad('unparseable_ts', ln)
                continue
            eid = ev['event_id']
            if eid in seen:
                dup += 1
                if seen[eid] != line:
                    dup_mismatch += 1
                continue
            seen[eid] = line
            forms[ts_form(ts)] += 1
            if maxts is not None and t < maxts - 1000:
                late += 1
            maxts = t if maxts is None else max(maxts, t)
            tmin = t if tmin is None else min(tmin, t)
            tmax = t if tmax is None else max(tmax, t)
            sid = ev['session_id']
            ev_sess[eid] = sid
            ses_ev[sid] += 1
            kinds[kd] += 1
            status[ev.get('status', 'ok')] += 1
            agent_ev[ev['agent_id']] += 1
            if 'task_type' not in ev:
                tt_missing += 1
            if kd == 'llm':
                model_use[ev['model']] += 1
                if 'cost_usd' in ev:
                    c = float(ev['cost_usd'])
                    with_cost += 1
                elif ev['model'] in cat:
                    c = price(cat[ev['model']], ev)
                else:
                    c = 0.0
                    unpriced[ev['model']] += 1
                ses_cost[sid] += c
                agent_cost[ev['agent_id']] += c
    seen = None
    labels = {}
    lab_dups = 0
    with open(a.labels) as f:
        for ln, line in enumerate(f, 1):
            try:
                lab = json.loads(line)
            except ValueError:
                bad('label_invalid_json', ln)
                continue
            for k in ('session_id', 'label', 'kind', 'onset_event_id', 'task_id', 'part_of', 'agent_id', 'task_type',
                      'parent_session_id'):
                if k not in lab:
                    bad('label_missing_' + k, ln)
            if lab['session_id'] in labels:
                lab_dups += 1
            labels[lab['session_id']] = lab
    for sid in ses_ev:
        if sid not in labels:
            errors['session_without_label'] += 1
    for sid, lab in labels.items():
        if sid not in ses_ev:
            errors['label_without_events'] += 1
        if lab['label'] == 'runaway':
            o = lab.get('onset_event_id')
            if not o or o not in ev_sess:
                errors['runaway_onset_missing'] += 1
            elif ev_sess[o] != sid:
                errors['onset_in_other_session'] += 1
        elif lab.get('onset_event_id') is not None:
            errors['normal_with_onset'] += 1
        if lab['label'] not in ('normal', 'runaway'):
            errors['bad_label_value'] += 1
        po = lab.get('part_of')
        if po is not None and (po not in labels or labels[po]['label'] != 'runaway'):
            errors['part_of_not_a_runaway'] += 1
    if lab_dups:
        errors['duplicate_labels'] += lab_dups

    # ---- report
    def money(x):
        return '%.2f' % x

    print('file: %s' % a.events)
    print('lines: %d   unique events: %d   duplicate deliveries: %d (mismatching bytes: %d)' % (
        nlines, len(ev_sess), dup, dup_mismatch))
    print('late (ts > 1 s below running max) events: %d (%.2f%%)' % (late, 100.0 * late / max(1, len(ev_sess))))
    import datetime
    if tmin is not None:
        f = lambda ms: datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')
        print('event time span: %s .. %s UTC (%.1f h)' % (f(tmin), f(tmax), (tmax - tmin) / 3600000.0))
    print('event kinds: %s' % dict(kinds))
    print('status: %s' % dict(status))
    print('ts forms: %s' % dict(forms))
    print('llm events with cost_usd: %d   without task_type: %d' % (with_cost, tt_missing))
    print('unpriced llm events (model not in catalog, no cost_usd): %s' % (dict(unpriced) or 0))
    total = sum(ses_cost.values())
    print('total spend: $%s' % money(total))
    print()
    top = [l for l in labels.values() if l['parent_session_id'] is None]
    print('sessions: %d (top-level %d)   runaway sessions: %d (top-level %d)' % (
        len(labels), len(top), sum(1 for l in labels.values() if l['label'] == 'runaway'),
        sum(1 for l in top if l['label'] == 'runaway')))
    print()
    print('%-8s %-20s %8s %8s %9s %11s %11s %10s' % ('label', 'kind', 'top', 'all', 'events', 'spend$', 'mean_top$',
                                                  'part_of_n'))
    rows = collections.defaultdict(lambda: [0, 0, 0, 0.0, 0.0, 0])
    for sid, l in labels.items():
        r = rows[(l['label'], l['kind'])]
        r[1] += 1
        r[2] += ses_ev.get(sid, 0)
        r[3] += ses_cost.get(sid, 0.0)
        if l['parent_session_id'] is None:
            r[0] += 1
            r[4] += ses_cost.get(sid, 0.0)
        if l.get('part_of'):
            r[5] += 1
    for (lb, kd), r in sorted(rows.items(), key=lambda x: (x[0][0] != 'runaway', x[0][1])):
        print('%-8s %-20s %8d %8d %9d %11s %11s %10d' % (lb, kd, r[0], r[1], r[2], money(r[3]),
                                                       money(r[4] / r[0]) if r[0] else '-', r[5]))
    # case totals: root + part_of sessions
    print()
    print('runaway cases (root + part_of sessions): count, events, spend by kind; variants')
    case = collections.defaultdict(lambda: [0, 0, 0.0, collections.Counter()])
    roots = {sid: l for sid, l in labels.items() if l['label'] == 'runaway' and not l.get('part_of')}
    for sid, l in roots.items():
        c = case[l['kind']]
        c[0] += 1
        c[3][l.get('variant')] += 1
    for sid, l in labels.items():
        root = sid if sid in roots else l.get('part_of')
        if root in roots:
            c = case[roots[root]['kind']]
            c[1] += ses_ev.get(sid, 0)
            c[2] += ses_cost.get(sid, 0.0)
    for kd in sorted(case):
        c = case[kd]
        print('  %-16s cases=%3d events=%7d spend=$%9s  %s' % (kd, c[0], c[1], money(c[2]), dict(c[3])))
    # post-onset actions of roots
    print()
    print('normal sessions by agent: sessions, mean events, mean spend, p95 spend')
    per = collections.defaultdict(list)
    for sid, l in labels.items():
        if l['label'] == 'normal' and not l.get('part_of'):
            per[l['agent_id']].append((ses_ev.get(sid, 0), ses_cost.get(sid, 0.0)))
    for ag in sorted(per):
        v = per[ag]
        costs = sorted(x[1] for x in v)
        print('  %-18s n=%5d  ev=%7.1f  $%8.4f  p95=$%8.4f' % (ag, len(v), sum(x[0] for x in v) / len(v),
                                                           sum(costs) / len(v), costs[int(0.95 * (len(v) - 1))]))
    print()
    print('agents: events, spend')
    for ag in sorted(agent_ev):
        print('  %-18s %8d  $%10s' % (ag, agent_ev[ag], money(agent_cost[ag])))
    print()
    print('models (llm events): %s' % ', '.join('%s=%d' % kv for kv in model_use.most_common()))
    print()
    print('CHECKS: %s' % ('OK' if not errors else 'FAILED'))
    for k, v in sorted(errors.items()):
        print('  %s: %d' % (k, v))
    for e in err_examples:
        print('  e.g. %s' % e)
    return 0 if not errors else 1


if __name__ == '__main__':
    sys.exit(main())
