#!/usr/bin/env python3
"""Sanity checks for fleet3 output.

    python3 stats.py EVENTS.ndjson [LABELS.ndjson]   (labels default: EVENTS stem + .labels.ndjson)
    python3 stats.py --all runs/                     (every runs/*.ndjson with a labels file)

Prices events independently from the runaway price catalog (cost_usd wins when
present), deduplicates by event_id, and checks the labels against the events.
"""
import collections
import glob
import json
import os
import sys
from datetime import datetime

CATALOG_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'models', 'model_prices_and_context_window.json')


def load_catalog():
    try:
        return json.load(open(CATALOG_PATH))
    except OSError:
        return {}


def price(cat, ev):
    if 'cost_usd' in ev:
        return float(ev['cost_usd']), True
    if ev.get('kind', 'llm') != 'llm':
        return 0.0, True
    p = cat.get(ev.get('model'))
    if not p:
        return 0.0, False
    i = p.get('input_cost_per_token', 0) or 0
    o = p.get('output_cost_per_token', 0) or 0
    cr = p.get('cache_read_input_token_cost')
    cw = p.get('cache_creation_input_token_cost')
    r = p.get('output_cost_per_reasoning_token')
    c = (ev.get('input_tokens', 0) * i + ev.get('output_tokens', 0) * o
         + ev.get('cache_read_tokens', 0) * (cr if cr is not None else i)
         + ev.get('cache_write_tokens', 0) * (cw if cw is not None else i)
         + ev.get('reasoning_tokens', 0) * (r if r is not None else o))
    return c, True


def ts_ms(v):
    if isinstance(v, (int, float)):
        return int(v)
    return int(datetime.fromisoformat(v.replace('Z', '+00:00')).timestamp() * 1000)


def qs(vals, ps=(0.1, 0.5, 0.9, 0.99)):
    if not vals:
        return [0] * len(ps)
    v = sorted(vals)
    return [v[min(len(v) - 1, int(p * len(v)))] for p in ps]


def check(ev_path, lab_path):
    cat = load_catalog()
    seen = set()
    dups = 0
    n_lines = 0
    sess_ev = collections.Counter()
    sess_cost = collections.defaultdict(float)
    sess_first = {}
    ts_forms = collections.Counter()
    given = 0
    unpriced = collections.Counter()
    eids = set()
    agents = set()
    task_types = set()
    models = collections.Counter()
    kinds = collections.Counter()
    status = collections.Counter()
    cache_ratio = []
    ooo = 0
    last_ts = None
    max_back = 0
    agent_cost = collections.defaultdict(list)
    per_action = []
    sess_agent = {}
    lab_label = {}
    for l in open(lab_path):
        d = json.loads(l)
        lab_label[d['session_id']] = d['label']
    with open(ev_path) as f:
        for line in f:
            n_lines += 1
            ev = json.loads(line)
            eid = ev['event_id']
            if eid in seen:
                dups += 1
                continue
            seen.add(eid)
            t = ts_ms(ev['ts'])
            if last_ts is not None and t < last_ts:
                ooo += 1
                max_back = max(max_back, last_ts - t)
            last_ts = t if last_ts is None else max(last_ts, t)
            ts_forms['epoch' if isinstance(ev['ts'], int) else 'rfc3339'] += 1
            sid = ev['session_id']
            sess_ev[sid] += 1
            sess_first.setdefault(sid, eid)
            sess_agent.setdefault(sid, ev['agent_id'])
            c, ok = price(cat, ev)
            if not ok:
                unpriced[ev.get('model')] += 1
            if 'cost_usd' in ev:
                given += 1
            sess_cost[sid] += c
            agents.add(ev['agent_id'])
            task_types.add(ev.get('task_type', 'unknown'))
            k = ev.get('kind', 'llm')
            kinds[k] += 1
            status[ev.get('status', 'ok')] += 1
            if k == 'llm':
                if 'model' not in ev or 'provider' not in ev:
                    raise SystemExit('llm event without model/provider: %s' % line)
                models[ev['model']] += 1
                if ev.get('status', 'ok') == 'ok' and lab_label.get(sid) == 'normal':
                    agent_cost[ev['agent_id']].append(c)
                    per_action.append(c)
                it = ev.get('input_tokens', 0)
                if it > 0 and ev.get('cache_read_tokens', 0) > 0:
                    cache_ratio.append(ev['cache_read_tokens'] / it)
            eids.add(eid)
    labels = [json.loads(l) for l in open(lab_path)]
    lab_by = {l['session_id']: l for l in labels}
    problems = []
    for sid in sess_ev:
        if sid not in lab_by:
            problems.append('session without label: %s' % sid)
    for l in labels:
        if l['session_id'] not in sess_ev:
            problems.append('label without events: %s' % l['session_id'])
        if l['label'] == 'runaway':
            if not l.get('onset_event_id'):
                problems.append('runaway without onset: %s' % l['session_id'])
            if l['kind'] not in ('session_budget', 'cost_spike', 'loop_repeat', 'loop_cycle', 'ping_pong',
                                 'step_runaway', 'retry_storm', 'context_growth', 'subagent_fanout'):
                problems.append('bad kind %s' % l['kind'])
        if l.get('onset_event_id') and l['onset_event_id'] not in eids:
            problems.append('onset not in events: %s' % l['session_id'])
        if l.get('part_of') and l['part_of'] not in lab_by:
            problems.append('part_of unknown: %s' % l['session_id'])

    by = collections.defaultdict(list)
    for l in labels:
        key = (l['label'], l['kind'] + (' (part_of)' if l.get('part_of') else ''))
        by[key].append(l['session_id'])
    tot_cost = sum(sess_cost.values())
    n_sess = len(labels)
    stem = lab_path[:-len('.ndjson')]
    meta_p = stem + '.meta.ndjson'
    meta = [json.loads(l) for l in open(meta_p)] if os.path.exists(meta_p) else []
    tops = {m['session_id'] for m in meta if not m.get('parent_session_id')}
    n_top_run = sum(1 for l in labels if l['label'] == 'runaway' and l['session_id'] in tops)
    n_top = len(tops) or len(labels)
    n_run_all = sum(1 for l in labels if l['label'] == 'runaway')
    print('== %s' % ev_path)
    print('lines %d  unique events %d  duplicates %d (%.2f%%)  sessions %d  agents(ids) %d  task_types %d' % (
        n_lines, len(seen), dups, 100.0 * dups / max(1, n_lines), n_sess, len(agents), len(task_types)))
    print('ts forms %s  cost_usd given %.1f%%  kinds %s  status %s' % (
        dict(ts_forms), 100.0 * given / max(1, len(seen)), dict(kinds), dict(status)))
    print('out-of-order events %d (max back %d ms)  unpriced models %s' % (ooo, max_back, dict(unpriced)))
    print('cache_read/input ratio quantiles p10/p50/p90/p99: %s' % ['%.1f' % x for x in qs(cache_ratio)])
    print('per-action llm cost (normal sessions) p50 %.5f  mean %.5f' % (qs(per_action, [0.5])[0], sum(per_action) / max(1, len(per_action))))
    print('total cost %.2f USD   runaway top-level sessions %d/%d = %.1f%%   runaway incl. part_of children %d/%d' % (
        tot_cost, n_top_run, n_top, 100.0 * n_top_run / max(1, n_top), n_run_all, n_sess))
    fj = stem + '.fleet.json'
    if os.path.exists(fj):
        fi = json.load(open(fj))
        tt = {t for a in fi['agents'] for t in a['tasks']}
        print('fleet: %d agents (base), %d task types, days %.2f, incidents %s' % (
            len(fi['agents']), len(tt), fi['days'],
            ['%s %dmin p=%.2f' % (i[0], (i[2] - i[1]) / 60000, i[3]) for i in fi['incidents']]))
    print('%-9s %-32s %6s %7s %7s %7s %7s %7s %10s %9s' % ('label', 'kind', 'n', 'ev_p10', 'ev_p50', 'ev_p90',
                                                          'ev_p99', 'ev_max', 'cost_sum', 'cost_p50'))
    for key in sorted(by):
        sids = by[key]
        evs = [sess_ev[s] for s in sids]
        cs = [sess_cost[s] for s in sids]
        p = qs(evs)
        print('%-9s %-32s %6d %7d %7d %7d %7d %7d %10.2f %9.4f' % (key[0], key[1], len(sids), p[0], p[1], p[2],
                                                                 p[3], max(evs), sum(cs), qs(cs, [0.5])[0]))
    # model list
    hours = collections.Counter()
    for m in meta:
        if not m.get('parent_session_id'):
            hours[(m['start_ts_ms'] // 3600000) % 24] += 1
    if hours:
        print('top-level session starts by UTC hour: ' + ' '.join('%02d:%d' % (h, hours[h]) for h in range(24)))
    print('models: %s' % ', '.join('%s:%d' % kv for kv in models.most_common()))
    # agent ids appearing in few sessions
    per_agent_sess = collections.Counter(sess_agent.values())
    few = [a for a, n in per_agent_sess.items() if n <= 5]
    print('agent ids with <=5 sessions: %d of %d' % (len(few), len(per_agent_sess)))
    # meta-driven checks
    if meta:
        fleet_med = qs(per_action, [0.5])[0]
        fleet_mean = sum(per_action) / max(1, len(per_action))
        newa = collections.defaultdict(list)
        for m in meta:
            if 'new_agent' in m['traps']:
                newa[m['agent_id']].append(m['session_id'])
        for a, ss in newa.items():
            c = agent_cost.get(a, [])
            print('new agent %-40s sessions %4d  per-action p50 %.5f (x%.1f fleet p50, x%.1f fleet mean)' % (
                a, len(ss), qs(c, [0.5])[0], qs(c, [0.5])[0] / max(fleet_med, 1e-9),
                qs(c, [0.5])[0] / max(fleet_mean, 1e-9)))
        trap_c = collections.Counter()
        for m in meta:
            if m['label'] == 'normal':
                for t in m['traps']:
                    trap_c[t] += 1
        print('normal sessions containing trap: %s' % dict(trap_c.most_common()))
        var = collections.Counter((m['kind'], m['variant']) for m in meta if m['label'] == 'runaway'
                                  and not m.get('part_of'))
        print('runaway variants: %s' % ', '.join('%s/%s:%d' % (k[0], k[1], n) for k, n in sorted(var.items())))
        # onset position
        pos = collections.defaultdict(list)
        for m in meta:
            if m['label'] == 'runaway' and not m.get('part_of'):
                pos[m['kind']].append((m['onset_index'], m['n_events'], m['cost_before_onset'], m['cost_est_usd']))
        for k, v in sorted(pos.items()):
            print('  %-16s onset idx p50 %4d | tail events p50 %5d | cost before onset p50 %.3f | total p50 %.2f' % (
                k, qs([x[0] for x in v], [0.5])[0], qs([x[1] - x[0] for x in v], [0.5])[0],
                qs([x[2] for x in v], [0.5])[0], qs([x[3] for x in v], [0.5])[0]))
    if problems:
        print('PROBLEMS (%d):' % len(problems))
        for p in problems[:20]:
            print('  ' + p)
    else:
        print('OK: every session labeled, every onset_event_id present, kinds valid')
    print()
    return not problems


def main():
    args = sys.argv[1:]
    ok = True
    if args and args[0] == '--all':
        d = args[1] if len(args) > 1 else os.path.join(os.path.dirname(__file__), 'runs')
        for p in sorted(glob.glob(os.path.join(d, '*.ndjson'))):
            if p.endswith('.labels.ndjson') or p.endswith('.meta.ndjson'):
                continue
            lab = p[:-len('.ndjson')] + '.labels.ndjson'
            if os.path.exists(lab):
                ok &= check(p, lab)
    else:
        ev = args[0]
        lab = args[1] if len(args) > 1 else ev[:-len('.ndjson')] + '.labels.ndjson'
        ok = check(ev, lab)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
