#!/usr/bin/env python3
"""fleet8-stats -- summarise and validate a fleet8 events file against its labels.

    python3 scripts/fleet8-stats.py EVENTS.ndjson LABELS.ndjson [--catalog models/...json] [-v]

Prints events, sessions, spend (cost_usd when present, else priced from the
catalog; reasoning tokens at the reasoning rate or the output rate; unknown
models count 0 and are listed), label counts by (label, kind), runaway spend
from onset (root session from its onset_event_id, part_of sessions from their
onset, grouped per case and per kind), and checks:
  * every line is JSON with the contract's required fields and types
    (event_id, ts as RFC 3339 or epoch ms, session_id, agent_id; model and
    provider on llm events; target_agent_id on handoffs; uint counts; enums);
  * event_ids unique except deliberate redeliveries (byte-identical line);
  * event time never goes backwards within a session (first deliveries);
  * every label's session has events, every session has exactly one label;
  * every runaway has an onset_event_id that is an event of its own session,
    normals have none; part_of points at a runaway root of the same kind;
  * the label's agent_id appears in the session; both ts forms occur.
Exit status 1 on any inconsistency.
"""

import argparse
import collections
import datetime as dt
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.join(HERE, '..', 'models', 'model_prices_and_context_window.json')
KINDS = {'loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm', 'context_growth',
         'cost_spike', 'session_budget', 'subagent_fanout'}
RFC3339 = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$')
COUNTS = ('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens',
          'latency_ms')


def parse_ts(v):
    if isinstance(v, bool):
        raise ValueError('bool ts')
    if isinstance(v, int):
        if v < 0:
            raise ValueError('negative ts')
        return v
    if isinstance(v, str) and RFC3339.match(v):
        s = v.replace('Z', '+00:00')
        m = re.match(r'^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$', s)
        frac = (m.group(2) or '.0')[1:]
        base = dt.datetime.fromisoformat(m.group(1) + m.group(3))
        return int(base.timestamp()) * 1000 + int((frac + '000')[:3])
    raise ValueError('bad ts %r' % (v,))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('events')
    ap.add_argument('labels')
    ap.add_argument('--catalog', default=DEFAULT_CATALOG)
    ap.add_argument('-v', action='store_true', help='print every error, not only the first 20')
    a = ap.parse_args()
    cat = {k: v for k, v in json.load(open(a.catalog)).items() if isinstance(v, dict)}

    errors = []

    def err(msg):
        errors.append(msg)

    def price(e):
        if 'cost_usd' in e:
            return float(e['cost_usd']), True
        if e.get('kind', 'llm') != 'llm':
            return 0.0, True
        p = cat.get(e.get('model'))
        if p is None:
            return 0.0, False
        ic = p.get('input_cost_per_token') or 0.0
        oc = p.get('output_cost_per_token') or 0.0
        crc = p.get('cache_read_input_token_cost')
        cwc = p.get('cache_creation_input_token_cost')
        rc = p.get('output_cost_per_reasoning_token')
        crc = ic if crc is None else crc
        cwc = ic if cwc is None else cwc
        rc = oc if rc is None else rc
        g = e.get
        return (g('input_tokens', 0) * ic + g('output_tokens', 0) * oc + g('cache_read_tokens', 0) * crc
                + g('cache_write_tokens', 0) * cwc + g('reasoning_tokens', 0) * rc), True

    first_line = {}
    sess_events = collections.defaultdict(list)   # sid -> [(event_id, cost, ts)]
    sess_agents = collections.defaultdict(set)
    has_parent = set()
    sess_ids = collections.defaultdict(set)
    n_lines = n_dup = 0
    ts_forms = collections.Counter()
    unknown_models = collections.Counter()
    with_cost = 0
    kinds = collections.Counter()
    status = collections.Counter()
    t_min = t_max = None
    with open(a.events) as f:
        for ln, line in enumerate(f, 1):
            n_lines += 1
            line = line.rstrip('\n')
            try:
                e = json.loads(line)
            except ValueError:
                err('line %d: not JSON' % ln)
                continue
            if not isinstance(e, dict):
                err('line %d: not an object' % ln)
                continue
            eid = e.get('event_id')
            if not isinstance(eid, str) or not eid:
                err('line %d: event_id missing' % ln)
                continue
            if eid in first_line:
                n_dup += 1
                if first_line[eid] != line:
                    err('line %d: event_id %s reused with different content' % (ln, eid))
                continue
            first_line[eid] = line
            for k in ('session_id', 'agent_id'):
                if not isinstance(e.get(k), str) or not e.get(k):
                    err('line %d: %s missing' % (ln, k))
            try:
                ts = parse_ts(e.get('ts'))
                ts_forms['epoch_ms' if isinstance(e['ts'], int) else 'rfc3339'] += 1
            except (ValueError, KeyError) as x:
                err('line %d: ts: %s' % (ln, x))
                ts = None
            k = e.get('kind', 'llm')
            kinds[k] += 1
            if k not in ('llm', 'tool', 'handoff'):
                err('line %d: unknown kind %r' % (ln, k))
            if k == 'llm':
                for f2 in ('model', 'provider'):
                    if not isinstance(e.get(f2), str) or not e.get(f2):
                        err('line %d: llm event without %s' % (ln, f2))
            if k == 'handoff' and not isinstance(e.get('target_agent_id'), str):
                err('line %d: handoff without target_agent_id' % ln)
            for c in COUNTS:
                if c in e and (not isinstance(e[c], int) or isinstance(e[c], bool) or e[c] < 0):
                    err('line %d: %s not a uint' % (ln, c))
            st = e.get('status', 'ok')
            status[st] += 1
            if st not in ('ok', 'error', 'retry'):
                err('line %d: bad status %r' % (ln, st))
            if 'cost_usd' in e:
                with_cost += 1
                if not isinstance(e['cost_usd'], (int, float)) or e['cost_usd'] < 0:
                    err('line %d: bad cost_usd' % ln)
            for opt in ('task_type', 'task_id', 'parent_session_id', 'tenant', 'team', 'feature', 'env',
                        'tool', 'args_hash'):
                if opt in e and not isinstance(e[opt], str):
                    err('line %d: %s not a string' % (ln, opt))
            if 'labels' in e and not (isinstance(e['labels'], dict)
                                      and all(isinstance(v, str) for v in e['labels'].values())):
                err('line %d: labels not string->string' % ln)
            cost, known = price(e)
            if not known:
                unknown_models[e.get('model')] += 1
            sid = e.get('session_id')
            if sess_events[sid] and ts is not None and sess_events[sid][-1][2] is not None \
                    and ts < sess_events[sid][-1][2]:
                err('line %d: ts goes backwards within session %s' % (ln, sid))
            sess_events[sid].append((eid, cost, ts))
            sess_agents[sid].add(e.get('agent_id'))
            if 'parent_session_id' in e:
                has_parent.add(sid)
            sess_ids[sid].add(eid)
            if ts is not None:
                t_min = ts if t_min is None else min(t_min, ts)
                t_max = ts if t_max is None else max(t_max, ts)

    labels = {}
    with open(a.labels) as f:
        for ln, line in enumerate(f, 1):
            try:
                L = json.loads(line)
            except ValueError:
                err('labels line %d: not JSON' % ln)
                continue
            for k in ('session_id', 'label', 'kind', 'onset_event_id', 'task_id', 'part_of', 'agent_id', 'task_type'):
                if k not in L:
                    err('labels line %d: missing %s' % (ln, k))
            sid = L.get('session_id')
            if sid in labels:
                err('labels: session %s labelled twice' % sid)
            labels[sid] = L

    for sid, L in labels.items():
        if sid not in sess_events:
            err('label %s: session has no events' % sid)
            continue
        if L['label'] == 'runaway':
            if L['kind'] not in KINDS:
                err('label %s: runaway kind %r not a contract reason' % (sid, L['kind']))
            if L['onset_event_id'] not in sess_ids[sid]:
                err('label %s: onset_event_id %r not in session' % (sid, L['onset_event_id']))
            if L['part_of'] is not None:
                root = labels.get(L['part_of'])
                if root is None or root['label'] != 'runaway' or root['kind'] != L['kind'] or root['part_of']:
                    err('label %s: part_of %s is not a runaway root of the same kind' % (sid, L['part_of']))
        elif L['label'] == 'normal':
            if L['onset_event_id'] is not None or L['part_of'] is not None:
                err('label %s: normal with onset/part_of' % sid)
        else:
            err('label %s: bad label %r' % (sid, L['label']))
        if L['agent_id'] not in sess_agents[sid]:
            err('label %s: agent_id %s not seen in session' % (sid, L['agent_id']))
    for sid in sess_events:
        if sid not in labels:
            err('session %s has events but no label' % sid)
    if not (ts_forms['epoch_ms'] and ts_forms['rfc3339']):
        err('stream does not mix both ts forms: %s' % dict(ts_forms))

    # ---- summary
    n_ev = sum(len(v) for v in sess_events.values())
    spend = sum(c for v in sess_events.values() for (_, c, _) in v)
    print('file            %s' % a.events)
    print('lines           %d  (unique events %d, redeliveries %d = %.2f%%)'
          % (n_lines, n_ev, n_dup, 100.0 * n_dup / max(1, n_lines)))
    top = [L for L in labels.values() if L['part_of'] is None]
    ntop = sum(1 for sid in sess_events if sid not in has_parent)
    rtop = sum(1 for sid, L in labels.items() if L['label'] == 'runaway' and sid not in has_parent)
    print('sessions        %d  (labels %d; top-level %d, sub-sessions %d)'
          % (len(sess_events), len(labels), ntop, len(sess_events) - ntop))
    print('top-level runaways %d = %.1f%% of top-level sessions' % (rtop, 100.0 * rtop / max(1, ntop)))
    if t_min is not None:
        print('event time      %s .. %s  (%.1f h)' % (
            dt.datetime.fromtimestamp(t_min / 1000, dt.timezone.utc).isoformat(),
            dt.datetime.fromtimestamp(t_max / 1000, dt.timezone.utc).isoformat(), (t_max - t_min) / 3600e3))
    print('event kinds     %s   status %s' % (dict(kinds), dict(status)))
    print('ts forms        %s   events with cost_usd %d (%.1f%%)'
          % (dict(ts_forms), with_cost, 100.0 * with_cost / max(1, n_ev)))
    if unknown_models:
        print('unpriced models %s' % dict(unknown_models))
    print('spend           $%.2f' % spend)

    cnt = collections.Counter((L['label'], L['kind']) for L in labels.values())
    print('labels by (label, kind):')
    for (lab, kind), n in sorted(cnt.items()):
        print('  %-8s %-26s %6d' % (lab, kind, n))
    roots = [L for L in labels.values() if L['label'] == 'runaway' and L['part_of'] is None]
    print('runaway roots   %d  (+%d part_of sessions)'
          % (len(roots), sum(1 for L in labels.values() if L['label'] == 'runaway' and L['part_of'])))

    def from_onset(sid, onset):
        evs = sess_events[sid]
        idx = next((i for i, x in enumerate(evs) if x[0] == onset), 0)
        return sum(c for (_, c, _) in evs[idx:]), len(evs) - idx

    case = collections.defaultdict(lambda: [0.0, 0, 0])   # root -> spend, events, sessions
    for sid, L in labels.items():
        if L['label'] != 'runaway' or sid not in sess_events:
            continue
        c, n = from_onset(sid, L['onset_event_id'])
        root = L['part_of'] or sid
        case[root][0] += c
        case[root][1] += n
        case[root][2] += 1
    byk = collections.defaultdict(lambda: [0, 0.0, 0, []])
    for root, (c, n, ns) in case.items():
        k = labels[root]['kind']
        byk[k][0] += 1
        byk[k][1] += c
        byk[k][2] += n
        byk[k][3].append(n)
    tot = sum(v[1] for v in byk.values())
    print('runaway spend from onset: $%.2f (%.1f%% of spend)' % (tot, 100.0 * tot / max(spend, 1e-9)))
    print('  %-16s %5s %11s %9s %9s' % ('kind', 'cases', 'spend$', 'events', 'med.ev'))
    for k in sorted(byk):
        n, c, ev, lst = byk[k]
        lst.sort()
        print('  %-16s %5d %11.2f %9d %9d' % (k, n, c, ev, lst[len(lst) // 2]))
    if errors:
        print('INCONSISTENCIES: %d' % len(errors))
        for m in errors[: None if a.v else 20]:
            print('  ' + m)
        sys.exit(1)
    print('OK: consistent')


if __name__ == '__main__':
    main()
