#!/usr/bin/env python3
"""fleet10 -- independent simulator of an AI-agent fleet's usage telemetry.

Writes NDJSON usage events (CONTRACT.md section 1) plus one label line per
session.  Standard library only; output is a pure function of
(seed, profile, sessions).

    python3 scripts/fleet10.py --seed S --profile P --sessions N \
        --out EVENTS.ndjson --labels LABELS.ndjson

Profiles: legal, finance, claims, migration, mixed.

Conventions (documented so the data can be priced independently):
  * ts is the completion time of the action.
  * input_tokens excludes cache_read_tokens and cache_write_tokens
    (Anthropic convention); reasoning_tokens are reported separately and are
    NOT included in output_tokens.  Catalog price of an llm event =
      in*input_cost + out*output_cost + cache_read*cache_read_cost
      + cache_write*cache_creation_cost + reasoning*(reasoning_cost|output_cost)
    (missing cache prices fall back to input_cost).
  * cost_usd is present only on events of the mistral provider (the gateway
    reports it) and on the self-hosted model of the mixed profile
    ("acme-vllm/llama-3.3-70b-legal-ft", provider "vllm", unknown to the
    catalog, cost_usd always given).  Mistral events never carry reasoning or
    cache-write tokens, so their cost_usd equals the catalog price exactly.
  * Tool and handoff events carry no tokens and no cost.
"""
import argparse
import datetime
import hashlib
import heapq
import json
import math
import os
import random
import sys
import zlib

T0 = 1751241600.0          # 2025-06-30T00:00:00Z (quarter end)
SPAN = 34 * 3600.0         # session starts fall in [0, SPAN)
PROFILES = ('legal', 'finance', 'claims', 'migration', 'mixed')
DOMAINS = ('legal', 'finance', 'claims', 'migration')
KINDS = ('loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm',
         'context_growth', 'subagent_fanout', 'cost_spike', 'session_budget')
SELF_MODEL = 'acme-vllm/llama-3.3-70b-legal-ft'
SELF_PRICE = (3.5e-07, 6.0e-07)
COST_PROVIDERS = ('mistral', 'vllm')
REASONING = {'o1', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gemini/gemini-2.5-pro'}

USED_MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5', 'claude-opus-4-1',
               'gpt-4.1', 'gpt-4.1-mini', 'gpt-4o-mini', 'gpt-5', 'gpt-5-mini', 'o3', 'o4-mini', 'o1',
               'gemini/gemini-2.5-pro', 'gemini/gemini-2.5-flash',
               'mistral/mistral-small-latest', 'mistral/mistral-medium-latest']

SPIKE = {  # a 5-10x pricier model an agent/router may switch to
    'claude-haiku-4-5': 'claude-opus-4-5',
    'claude-sonnet-4-5': 'claude-opus-4-1',
    'gpt-4.1-mini': 'gpt-4.1',
    'gpt-4o-mini': 'o4-mini',
    'gpt-5-mini': 'gpt-5',
    'gemini/gemini-2.5-flash': 'claude-sonnet-4-5',
    'mistral/mistral-small-latest': 'mistral/mistral-medium-latest',
    'mistral/mistral-medium-latest': 'claude-opus-4-1',
    SELF_MODEL: 'claude-opus-4-5',
    'gpt-4.1': 'o1',
    'o4-mini': 'claude-opus-4-5',
    'o3': 'o1',
    'gpt-5': 'claude-opus-4-1',
}

SPEED = {  # (base seconds, output tokens per second)
    'claude-sonnet-4-5': (1.2, 70), 'claude-haiku-4-5': (0.5, 140), 'claude-opus-4-5': (2.0, 45),
    'claude-opus-4-1': (2.5, 35), 'gpt-4.1': (0.8, 90), 'gpt-4.1-mini': (0.5, 130),
    'gpt-4o-mini': (0.4, 120), 'gpt-5': (2.0, 80), 'gpt-5-mini': (1.0, 120), 'o3': (2.5, 70),
    'o4-mini': (1.2, 120), 'o1': (4.0, 50), 'gemini/gemini-2.5-pro': (1.8, 90),
    'gemini/gemini-2.5-flash': (0.5, 200), 'mistral/mistral-small-latest': (0.35, 150),
    'mistral/mistral-medium-latest': (0.6, 90), SELF_MODEL: (0.5, 60),
}

# agent -> model, output median, reasoning median, base prompt, compaction threshold
AG = {
    'legal-intake-triage': dict(m='gpt-4.1-mini', out=180, base=3500),
    'legal-contract-reviewer': dict(m='claude-sonnet-4-5', out=700, base=6000),
    'legal-clause-extractor': dict(m='claude-haiku-4-5', out=350, base=2500),
    'legal-drafter': dict(m='claude-sonnet-4-5', out=1100, base=5000, cmp=120000),
    'legal-redline-reviewer': dict(m='gpt-5', out=600, rs=1500, base=4500, cmp=150000),
    'legal-research-assistant': dict(m='o3', out=700, rs=2500, base=4000, cmp=90000),
    'legal-ediscovery-classifier': dict(m='gpt-4o-mini', out=60, base=1500),
    'legal-privilege-logger': dict(m='mistral/mistral-medium-latest', out=250, base=3000, cmp=100000),
    'legal-diligence-coordinator': dict(m='claude-sonnet-4-5', out=900, base=6000, cmp=120000),
    'legal-brief-writer': dict(m='claude-opus-4-5', out=3000, base=12000, cmp=150000),
    'fin-invoice-coder': dict(m='mistral/mistral-small-latest', out=150, base=2500),
    'fin-fx-agent': dict(m='gpt-4o-mini', out=120, base=2000),
    'fin-journal-preparer': dict(m='gpt-4.1', out=500, base=4000),
    'fin-approval-agent': dict(m='gpt-4.1-mini', out=100, base=2000),
    'fin-recon-matcher': dict(m='gpt-4.1-mini', out=900, base=3000),
    'fin-close-orchestrator': dict(m='claude-sonnet-4-5', out=600, base=5000, cmp=100000),
    'fin-entity-controller': dict(m='gpt-4.1', out=500, base=4000),
    'fin-variance-analyst': dict(m='o4-mini', out=600, rs=1800, base=3500, cmp=60000),
    'fin-payments-agent': dict(m='gpt-5-mini', out=300, rs=800, base=3000),
    'fin-expense-auditor': dict(m='gemini/gemini-2.5-flash', out=200, base=2000),
    'fin-audit-copilot': dict(m='claude-opus-4-5', out=1500, base=8000, cmp=120000),
    'claims-intake': dict(m='claude-haiku-4-5', out=300, base=3000),
    'claims-adjuster': dict(m='claude-sonnet-4-5', out=800, base=5000, cmp=100000),
    'claims-doc-reader': dict(m='gemini/gemini-2.5-flash', out=500, base=1500),
    'claims-fraud-check': dict(m='o4-mini', out=400, rs=2000, base=3500, cmp=80000),
    'claims-payout': dict(m='gpt-4.1-mini', out=200, base=2500),
    'claims-customer-comms': dict(m='claude-haiku-4-5', out=250, base=2500),
    'claims-coverage-agent': dict(m='gpt-4.1', out=400, base=4000, cmp=150000),
    'claims-subrogation': dict(m='claude-sonnet-4-5', out=700, base=5000, cmp=100000),
    'claims-siu-investigator': dict(m='claude-opus-4-5', out=1200, base=8000, cmp=150000),
    'mig-planner': dict(m='gpt-5', out=1500, rs=3000, base=9000, cmp=200000),
    'mig-area-lead': dict(m='claude-sonnet-4-5', out=800, base=6000, cmp=120000),
    'mig-module-worker': dict(m='claude-sonnet-4-5', out=900, base=7000, cmp=110000),
    'mig-dep-bumper': dict(m='gpt-5-mini', out=300, rs=600, base=3000, cmp=150000),
    'mig-ci-triager': dict(m='gpt-4.1', out=400, base=4000, cmp=150000),
    'mig-reviewer': dict(m='o3', out=800, rs=3000, base=5000, cmp=150000),
    'mig-architect': dict(m='claude-opus-4-5', out=2000, base=10000, cmp=160000),
}

TRAP_PRIORITY = ['outage', 'model_upgrade', 'new_pricey_agent', 'huge_document', 'long_by_nature',
                 'wide_fanout', 'deep_delegation', 'redline_rounds', 'handoff_rounds',
                 'polling_wait', 'final_report', 'test_reruns', 'legit_retries',
                 'batch_same_tool', 'compaction', 'burst', 'no_task_type']


# ----------------------------------------------------------------- helpers
def L(r, med, sig, lo, hi):
    v = med * math.exp(sig * r.gauss(0.0, 1.0))
    return int(min(hi, max(lo, v)))


def lnr(r, med, sig):
    return med * math.exp(sig * r.gauss(0.0, 1.0))


def wchoice(r, pairs):
    tot = sum(w for _, w in pairs)
    x = r.random() * tot
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def ahash(tool, args):
    s = json.dumps([tool, args], sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(s.encode()).hexdigest()[:16]


def load_catalog(path):
    with open(path) as f:
        d = json.load(f)
    cat = {}
    for m in USED_MODELS:
        if m not in d:
            raise SystemExit('model %s missing from catalog %s' % (m, path))
        e = d[m]
        ic = e['input_cost_per_token']
        oc = e['output_cost_per_token']
        cat[m] = dict(prov=e.get('litellm_provider', 'unknown'), ic=ic, oc=oc,
                      crc=e.get('cache_read_input_token_cost', ic),
                      cwc=e.get('cache_creation_input_token_cost', ic),
                      rc=e.get('output_cost_per_reasoning_token', oc),
                      win=e.get('max_input_tokens') or 128000)
    if SELF_MODEL in d:
        raise SystemExit('self-hosted model name unexpectedly in catalog')
    cat[SELF_MODEL] = dict(prov='vllm', ic=SELF_PRICE[0], oc=SELF_PRICE[1], crc=SELF_PRICE[0],
                           cwc=SELF_PRICE[0], rc=SELF_PRICE[1], win=128000)
    return cat


def price(c, inp, out, cr, cw, rs):
    return inp * c['ic'] + out * c['oc'] + cr * c['crc'] + cw * c['cwc'] + rs * c['rc']


def day_cycle(h):   # interactive traffic, peak ~15 UTC (EU afternoon / US morning)
    return 0.16 + 0.84 * math.exp(-((h - 15.0) / 4.3) ** 2)


def night_cycle(h):  # batch work scheduled overnight
    d = ((h - 2.5 + 12) % 24) - 12
    return 0.3 + 0.7 * math.exp(-(d / 3.5) ** 2)


def flat_cycle(h):
    return 0.55 + 0.45 * day_cycle(h)


CYCLES = {'day': day_cycle, 'night': night_cycle, 'flat': flat_cycle}


class C(object):
    """one planned agent action: LLM requests `tool(args)`, then the tool runs"""
    __slots__ = ('tool', 'args', 'res', 'lat', 'pre', 'pt', 'gap', 'llm')

    def __init__(self, tool, args, res=500, lat=0.5, pre=0, pt=None, gap=None, llm=True):
        self.tool, self.args, self.res, self.lat = tool, args, res, lat
        self.pre, self.pt, self.gap, self.llm = pre, pt, gap, llm


class Task(object):
    def __init__(self, W, dom, tt, start, rw):
        self.dom, self.tt, self.start, self.rw = dom, tt, start, rw
        self.tid = W.task_id(dom)
        self.tags = None
        self.burst = False


class RW(object):
    """one runaway: kind, variant and where it is truncated"""

    def __init__(self, W, kind, dom):
        r = W.r
        self.kind, self.dom = kind, dom
        self.variant = {
            'loop_repeat': lambda: wchoice(r, [('pure', 5), ('inter', 5)]),
            'retry_storm': lambda: wchoice(r, [('tool_fast', 3), ('llm_reinvoke', 4.5), ('llm_retry', 2.5)]),
            'context_growth': lambda: wchoice(r, [('fast', 4), ('slow', 3.5), ('nocache', 2.5)]),
            'subagent_fanout': lambda: wchoice(r, [('flat', 5.5), ('recursive', 4.5)]),
            'cost_spike': lambda: wchoice(r, [('switch', 4.5), ('context', 3), ('from_start', 2.5)]),
        }.get(kind, lambda: 'base')()
        fcap = {'legal': 2400, 'finance': 1600, 'claims': 1500, 'migration': 4000}[dom]
        self.cap = L(r, 430, 0.8, 130, fcap)                 # events from onset
        self.dur = L(r, 2.2 * 3600, 0.6, 1500, 10 * 3600)    # wall-clock budget from onset
        self.cap_sess = L(r, 140, 0.6, 60, 600)             # sub-sessions for fan-out
        if kind == 'subagent_fanout':
            self.cap = 10 ** 9
        self.n = 0
        self.sess = 0
        self.deadline = None
        self.root = None

    def done(self, s):
        return self.n >= self.cap or s.t >= self.deadline


# ----------------------------------------------------------------- world
class World(object):
    def __init__(self, seed, profile, cat):
        self.seed, self.profile, self.cat = seed, profile, cat
        self.r = random.Random(seed * 1000003 + zlib.crc32(profile.encode()))
        self.ev = []
        self.labels = []
        self.order = 0
        self.mixed = profile == 'mixed'
        self.outage = None
        self.upgrade = None
        r = self.r
        self.t_new = r.uniform(0.33, 0.45) * SPAN
        if self.mixed:
            ot = r.uniform(13.0, 16.0) * 3600.0
            self.outage = ('anthropic' if r.random() < 0.7 else 'openai', ot, ot + r.uniform(600, 1200))
            self.upgrade = dict(t=r.uniform(0.45, 0.55) * SPAN,
                                agents=('claims-intake', 'claims-customer-comms'),
                                old='claude-haiku-4-5', new='claude-sonnet-4-5')
        self._tids = set()

    def hexid(self, n):
        return '%0*x' % (n, self.r.getrandbits(4 * n))

    def uuid(self):
        h = self.hexid(32)
        return '%s-%s-4%s-%s%s-%s' % (h[:8], h[8:12], h[13:16], '89ab'[int(h[16], 16) & 3], h[17:20], h[20:32])

    def session_id(self, dom):
        if dom == 'legal':
            return 'sess_' + self.hexid(24)
        if dom == 'finance':
            return 'run-' + self.uuid()
        if dom == 'claims':
            return self.uuid()
        return 'mig_' + self.hexid(16)

    def task_id(self, dom):
        while True:
            r = self.r
            if dom == 'legal':
                t = 'MAT-2025-%06d' % r.randint(0, 999999)
            elif dom == 'finance':
                t = 'FIN-%s' % self.hexid(10).upper()
            elif dom == 'claims':
                t = 'CLM-%08d' % r.randint(10 ** 7, 10 ** 8 - 1)
            else:
                t = 'task_%s' % self.hexid(12)
            if t not in self._tids:
                self._tids.add(t)
                return t


# ----------------------------------------------------------------- sessions
DOM_OF = {}
for _a in AG:
    DOM_OF[_a] = {'legal': 'legal', 'fin': 'finance', 'claims': 'claims', 'mig': 'migration'}[_a.split('-')[0]]


class Sess(object):
    def __init__(self, W, agent, tt, task, t, parent=None, model=None, depth=None, ref=None):
        r = W.r
        self.W, self.agent, self.ag, self.tt, self.task = W, agent, AG[agent], tt, task
        self.t = t
        self.parent = parent
        self.depth = depth if depth is not None else (parent.depth + 1 if parent else 0)
        dom = DOM_OF[agent]
        self.sid = W.session_id(dom)
        self.ref = ref or ('%s-%s' % (agent.split('-')[1][:4], W.hexid(6)))
        self.hist = []
        self.seen = set()
        self.k = 0
        self.pending = False
        self.rwg = None
        self.flaky = r.random() < (0.2 if agent == 'fin-payments-agent' else 0.05)
        self.traps = []
        m = model or self.ag['m']
        if W.upgrade and agent in W.upgrade['agents'] and t >= W.upgrade['t'] and model is None:
            m = W.upgrade['new']
            self.trap('model_upgrade')
        if W.mixed and agent == 'legal-privilege-logger' and model is None:
            m = SELF_MODEL
        self.model = m
        send_tt = not (W.mixed and agent == 'fin-fx-agent')
        base = {}
        if dom in ('legal', 'claims'):
            base['v'] = 1
        base['event_id'] = None
        base['ts'] = None
        base['session_id'] = self.sid
        base['agent_id'] = agent
        if send_tt and tt:
            base['task_type'] = tt
        else:
            self.trap('no_task_type')
        base['task_id'] = task.tid
        if parent is not None:
            base['parent_session_id'] = parent.sid
        base.update(task.tags)
        self.base = base
        self.epoch_ms = W.mixed and dom in ('finance', 'migration')
        self.omit_kind = W.mixed and dom == 'migration'
        self.lab = dict(session_id=self.sid, label='normal', kind='normal', onset_event_id=None,
                        task_id=task.tid, part_of=None, agent_id=agent,
                        task_type=tt if send_tt else None,
                        parent_session_id=parent.sid if parent is not None else None,
                        depth=self.depth, domain=dom, traps=self.traps, n_events=0)
        W.labels.append(self.lab)

    def trap(self, name):
        if name not in self.traps:
            self.traps.append(name)

    # runaway membership ------------------------------------------------
    def onset(self, rw):
        self.pending = True
        self.rwg = rw
        self.lab['label'] = 'runaway'
        self.lab['kind'] = rw.kind
        self.lab['variant'] = rw.variant
        rw.root = self
        rw.deadline = self.t + rw.dur

    def join(self, rw, root):
        self.pending = True
        self.rwg = rw
        self.lab['label'] = 'runaway'
        self.lab['kind'] = rw.kind
        self.lab['part_of'] = root.sid
        rw.sess += 1

    # emission ----------------------------------------------------------
    def _emit(self, d, dur, gap):
        W = self.W
        self.t += gap + dur
        ev = dict(self.base)
        ev.update(d)
        eid = W.uuid()
        ev['event_id'] = eid
        W.ev.append((self.t, W.order, ev, self))
        W.order += 1
        self.lab['n_events'] += 1
        if self.pending:
            self.lab['onset_event_id'] = eid
            self.pending = False
        if self.rwg is not None:
            self.rwg.n += 1
        return ev

    def llm(self, m, inp, out, cr=0, cw=0, rs=0, tool=None, args=None, status='ok', gap=None):
        W = self.W
        r = W.r
        c = W.cat[m]
        if gap is None:
            gap = r.uniform(0.05, 0.6)
        prov = c['prov']
        o = W.outage
        if o is not None and prov == o[0] and status == 'ok':
            tail = r.uniform(0, 90)
            k = 0
            while o[1] <= self.t + gap < o[2] + tail and k < 30:
                el = r.uniform(0.2, 2.5) if r.random() < 0.7 else r.uniform(20, 60)
                d = {'kind': 'llm', 'model': m, 'provider': prov, 'input_tokens': 0, 'output_tokens': 0,
                     'status': 'error' if k == 0 else 'retry', 'latency_ms': int(el * 1000)}
                if prov in COST_PROVIDERS:
                    d['cost_usd'] = 0.0
                self._emit(d, el, gap)
                gap = min(60.0, 2.0 ** k) * r.uniform(0.5, 1.0)
                k += 1
            if k:
                self.trap('outage')
        sp = SPEED[m]
        lat = sp[0] * math.exp(0.25 * r.gauss(0, 1)) + (out + rs) / float(sp[1]) + (inp + cw + cr) / 250000.0
        if status != 'ok' and r.random() < 0.5:
            lat *= r.uniform(0.2, 0.7)
        d = {'kind': 'llm', 'model': m, 'provider': prov, 'input_tokens': int(inp), 'output_tokens': int(out)}
        if self.omit_kind:
            del d['kind']
        if cr:
            d['cache_read_tokens'] = int(cr)
        if cw:
            d['cache_write_tokens'] = int(cw)
        if rs:
            d['reasoning_tokens'] = int(rs)
        if tool:
            d['tool'] = tool
            d['args_hash'] = ahash(tool, args)
        d['status'] = status
        d['latency_ms'] = int(lat * 1000)
        if prov in COST_PROVIDERS:
            d['cost_usd'] = price(c, int(inp), int(out), int(cr), int(cw), int(rs))
        return self._emit(d, lat, gap)

    def tool(self, name, args, lat, status='ok', gap=None, retries=True):
        r = self.W.r
        if gap is None:
            gap = r.uniform(0.01, 0.15)
        if retries and status == 'ok' and self.flaky and r.random() < 0.12:
            self.flaky = False
            nfail = r.choice([2, 2, 3])
            for i in range(nfail):
                self._emit({'kind': 'tool', 'tool': name, 'args_hash': ahash(name, args),
                            'status': 'retry', 'latency_ms': int(r.uniform(0.2, 6.0) * 1000)},
                           r.uniform(0.2, 6.0), gap)
                gap = (2 ** i) * r.uniform(0.8, 2.5)
            self.trap('legit_retries')
        d = {'kind': 'tool', 'tool': name, 'args_hash': ahash(name, args), 'status': status,
             'latency_ms': int(lat * 1000)}
        return self._emit(d, lat, gap)

    def handoff(self, target, args):
        r = self.W.r
        lat = r.uniform(0.02, 0.25)
        d = {'kind': 'handoff', 'tool': 'transfer_to_' + target.replace('-', '_'),
             'args_hash': ahash('handoff', args), 'target_agent_id': target, 'status': 'ok',
             'latency_ms': int(lat * 1000)}
        return self._emit(d, lat, r.uniform(0.01, 0.1))


class Convo(object):
    """prompt size and provider-side prompt caching of one agent conversation"""

    def __init__(self, s, base=None, cmp=-1, stateless=False):
        r = s.W.r
        self.s = s
        self.model = s.model
        self.base = base if base is not None else int(s.ag['base'] * r.uniform(0.9, 1.1))
        self.size = self.base
        self.cmp = s.ag.get('cmp') if cmp == -1 else cmp
        self.trim = None               # set at first call for agents without compaction
        self.cached = 0
        self.lt = -1e18
        self.lm = None
        self.extra = 0
        self.no_compact = False
        self.stateless = None
        prov = s.W.cat[self.model]['prov']
        self.cache = prov in ('anthropic', 'openai', 'gemini')
        self.p_hit = 0.7 if prov == 'gemini' else 0.93
        self._cmp = False

    def add(self, n):
        self.size += int(n)

    def fix(self):
        """freeze current prompt as the per-call prefix (stateless batch agents)"""
        self.stateless = self.size

    def call(self, out=None, tool=None, args=None, rs=None, status='ok', gap=None, model=None):
        s = self.s
        W = s.W
        r = W.r
        m = model or self.model
        c = W.cat[m]
        prov = c['prov']
        ag = s.ag
        if out is None:
            out = L(r, ag['out'], 0.55, 8, 16000)
        if rs is None:
            rs = L(r, ag.get('rs') or 900, 0.6, 30, 40000) if m in REASONING else 0
        elif m not in REASONING:
            rs = 0
        if m != self.lm:
            self.cached = 0
            self.lm = m
        win = c['win']
        if self.trim is None:
            self.trim = 0 if self.cmp else max(48000, int(self.size * 1.6))
        if self.size > win * 0.97:           # framework sliding-window truncation
            self.size = int(win * r.uniform(0.8, 0.9))
            self.cached = 0
        elif self.trim and not self.no_compact and self.stateless is None and self.size > self.trim:
            self.size = int(self.base + (self.trim - self.base) * r.uniform(0.45, 0.65))   # drop oldest turns
            self.cached = 0
        total = self.size
        cr = 0
        cache = self.cache and prov in ('anthropic', 'openai', 'gemini')
        if cache and self.cached >= 1024 and s.t - self.lt < (300 if prov == 'anthropic' else 900) \
                and r.random() < self.p_hit:
            cr = min(self.cached, total)
            if prov == 'openai':
                cr -= cr % 128
        new = total - cr
        cw = 0
        if prov == 'anthropic' and cache and total >= 1024:
            tail = min(new, r.randint(20, 500))
            cw = new - tail
            inp = tail
        else:
            inp = new
        inp += self.extra
        ev = s.llm(m, inp, out, cr, cw, rs, tool, args, status, gap)
        self.lt = s.t
        if cache:
            self.cached = total if self.stateless is None else min(total, self.stateless)
        if status == 'ok':
            self.size = total + out
        if self.cmp and not self.no_compact and not self._cmp and self.size > self.cmp:
            self.compact()
        return ev

    def compact(self):
        s = self.s
        r = s.W.r
        summ = L(r, 3000, 0.4, 800, 9000)
        self._cmp = True
        self.call(out=summ, gap=r.uniform(0.05, 0.3))
        self._cmp = False
        self.size = self.base + summ
        self.cached = 0
        s.trap('compaction')


def step(s, cv, c, tstatus='ok', out=None, rs=None, gap=None):
    r = s.W.r
    if c.pt is not None:
        s.tool(c.pt[0], c.pt[1], lnr(r, 0.4, 0.5))
    if c.pre:
        cv.add(c.pre)
    elif cv.stateless is not None:
        cv.add(r.randint(40, 260))       # the per-item question
    if c.llm:
        cv.call(out=out, tool=c.tool, args=c.args, rs=rs, gap=gap if gap is not None else c.gap)
        s.tool(c.tool, c.args, c.lat, status=tstatus)
    else:
        s.tool(c.tool, c.args, c.lat, status=tstatus, gap=gap if gap is not None else c.gap)
    cv.add(c.res)
    if cv.stateless is not None:
        cv.size = cv.stateless
    s.hist.append(c)


def final(s, cv, out=None):
    cv.call(out=out)


# ----------------------------------------------------------------- menus
PAIRS = ['EURUSD', 'GBPUSD', 'USDJPY', 'USDCHF', 'AUDUSD', 'USDCAD', 'NZDUSD', 'EURGBP', 'EURJPY', 'USDSEK',
         'USDNOK', 'USDDKK', 'USDPLN', 'USDMXN', 'USDBRL', 'USDINR', 'USDCNY', 'USDSGD', 'USDHKD', 'USDZAR',
         'USDKRW', 'USDTRY', 'EURCHF', 'EURSEK', 'USDILS', 'USDCZK', 'USDHUF', 'USDTHB', 'USDIDR', 'USDPHP']


def _fxdate(k):
    d = datetime.date(2025, 6, 30) - datetime.timedelta(days=(k // len(PAIRS)))
    return d.isoformat()


def T(tool, w, argf, res, lat, pre=0, pt=None):
    return (tool, w, argf, res, lat, pre, pt)


MENUS = {
    'intake': [T('lookup_client', 3, lambda s, k: {'client': s.ref}, 600, 0.3),
               T('conflict_check', 4, lambda s, k: {'party': '%s-p%d' % (s.ref, k)}, 900, 0.8),
               T('search_matters', 2, lambda s, k: {'q': '%s/%d' % (s.ref, k)}, 1200, 0.6),
               T('create_matter', 1, lambda s, k: {'client': s.ref, 'n': k}, 200, 0.4)],
    'review': [T('get_section', 5, lambda s, k: {'doc': s.ref, 'sec': k}, 900, 0.15),
               T('compare_playbook', 3, lambda s, k: {'doc': s.ref, 'clause': k}, 1400, 0.5),
               T('flag_risk', 2, lambda s, k: {'doc': s.ref, 'sec': k, 'sev': k % 3}, 150, 0.2),
               T('add_comment', 2, lambda s, k: {'doc': s.ref, 'c': k}, 100, 0.2),
               T('search_precedent', 1, lambda s, k: {'q': '%s#%d' % (s.ref, k)}, 2500, 1.1)],
    'clause': [T('extract_clause', 1, lambda s, k: {'contract': s.ref, 'clause': k}, 600, 0.4)],
    'draft': [T('get_clause', 3, lambda s, k: {'doc': s.ref, 'clause': k}, 900, 0.2),
              T('propose_redline', 4, lambda s, k: {'doc': s.ref, 'clause': k, 'v': k}, 400, 0.3),
              T('check_playbook', 2, lambda s, k: {'clause': '%s.%d' % (s.ref, k)}, 1200, 0.4)],
    'rreview': [T('diff_versions', 3, lambda s, k: {'doc': s.ref, 'v': k}, 1800, 0.4),
                T('check_playbook', 2, lambda s, k: {'clause': '%s.%d' % (s.ref, k)}, 1200, 0.4),
                T('add_comment', 3, lambda s, k: {'doc': s.ref, 'c': k}, 100, 0.2)],
    'research': [T('search_caselaw', 5, lambda s, k: {'q': '%s:%d' % (s.ref, k), 'jur': 'us-fed'}, 2200, 1.4),
                 T('fetch_opinion', 3, lambda s, k: {'cite': '%s/op%d' % (s.ref, k)}, 7000, 0.9),
                 T('shepardize', 2, lambda s, k: {'cite': '%s/op%d' % (s.ref, k)}, 800, 0.8),
                 T('search_statutes', 1, lambda s, k: {'q': '%s:s%d' % (s.ref, k)}, 1500, 1.0)],
    'ediscovery': [T('tag_document', 1, lambda s, k: {'doc': '%s-%06d' % (s.ref, k)}, 20, 0.06, pre=1800)],
    'privlog': [T('review_doc', 4, lambda s, k: {'doc': '%s-d%d' % (s.ref, k)}, 2500, 0.5),
                T('log_entry', 3, lambda s, k: {'doc': '%s-d%d' % (s.ref, k), 'basis': k % 4}, 80, 0.2),
                T('get_custodian', 1, lambda s, k: {'c': '%s-c%d' % (s.ref, k % 7), 'k': k}, 300, 0.3)],
    'brief': [T('research_memo', 2, lambda s, k: {'m': '%s-%d' % (s.ref, k)}, 6000, 0.8),
              T('cite_check', 2, lambda s, k: {'cite': '%s-%d' % (s.ref, k)}, 700, 0.9),
              T('draft_section', 3, lambda s, k: {'brief': s.ref, 'sec': k}, 300, 0.3)],
    'dlist': [T('list_data_room', 1, lambda s, k: {'room': s.ref}, 3000, 1.2),
              T('read_index', 1, lambda s, k: {'room': s.ref, 'p': k}, 2500, 0.6)],
    'daggr': [T('aggregate_findings', 2, lambda s, k: {'room': s.ref, 'k': k}, 4000, 0.6),
              T('risk_matrix', 1, lambda s, k: {'room': s.ref, 'k': k}, 1500, 0.4)],
    # finance
    'invoice': [T('get_invoice', 3, lambda s, k: {'inv': '%s-%d' % (s.ref, k)}, 900, 0.3),
                T('lookup_vendor', 3, lambda s, k: {'vendor_q': '%s-v%d' % (s.ref, k)}, 500, 0.4),
                T('check_po', 2, lambda s, k: {'po': '%s-po%d' % (s.ref, k)}, 400, 0.5),
                T('suggest_gl_code', 2, lambda s, k: {'inv': s.ref, 'line': k}, 200, 0.2),
                T('post_coding', 1, lambda s, k: {'inv': s.ref, 'n': k}, 80, 0.7)],
    'fx': [T('get_fx_rate', 1, lambda s, k: {'pair': PAIRS[(k + s.fx0) % len(PAIRS)],
                                             'date': _fxdate(k + s.fx0)}, 60, 0.15)],
    'jprep': [T('get_trial_balance', 2, lambda s, k: {'entity': s.ref, 'k': k}, 3000, 1.0),
              T('draft_journal', 3, lambda s, k: {'je': s.ref, 'line': k}, 300, 0.3),
              T('validate_journal', 2, lambda s, k: {'je': s.ref, 'rev': k}, 400, 0.5)],
    'recon': [T('post_matches', 1, lambda s, k: {'ledger': s.ref, 'offset': 200 * k}, 120, 0.6, pre=5200,
                pt=lambda s, k: ('fetch_lines', {'ledger': s.ref, 'offset': 200 * k}))],
    'close': [T('get_close_checklist', 2, lambda s, k: {'entity': s.ref, 'period': '2025-06', 'k': k}, 2000, 0.5),
              T('get_entity_list', 1, lambda s, k: {'group': s.ref, 'k': k}, 800, 0.4),
              T('check_subledger_status', 2, lambda s, k: {'entity': s.ref, 'sl': k}, 400, 0.6)],
    'variance': [T('query_gl', 4, lambda s, k: {'acct': '%s-%d' % (s.ref, k), 'period': '2025-06'}, 2500, 1.2),
                 T('get_budget', 2, lambda s, k: {'acct': '%s-%d' % (s.ref, k)}, 600, 0.4),
                 T('drilldown', 3, lambda s, k: {'acct': s.ref, 'dim': 'cc%d' % k}, 1800, 1.5),
                 T('compare_periods', 1, lambda s, k: {'acct': s.ref, 'p': k}, 1200, 0.8)],
    'payments': [T('get_payment_batch', 1, lambda s, k: {'batch': s.ref, 'page': k}, 2500, 0.6),
                 T('verify_beneficiary', 3, lambda s, k: {'ben': '%s-b%d' % (s.ref, k)}, 300, 0.9),
                 T('check_sanctions', 2, lambda s, k: {'name': '%s-n%d' % (s.ref, k)}, 250, 1.2),
                 T('approve_payment', 1, lambda s, k: {'pay': '%s-p%d' % (s.ref, k)}, 60, 0.5)],
    'expense': [T('get_report', 1, lambda s, k: {'rep': s.ref, 'k': k}, 800, 0.3),
                T('ocr_receipt', 3, lambda s, k: {'rcpt': '%s-r%d' % (s.ref, k)}, 300, 0.8, pre=1600),
                T('check_policy', 2, lambda s, k: {'rep': s.ref, 'item': k}, 400, 0.3),
                T('flag_item', 1, lambda s, k: {'rep': s.ref, 'item': k}, 50, 0.2)],
    'audit': [T('sample_transactions', 2, lambda s, k: {'pop': s.ref, 'seed': k}, 3000, 1.5),
              T('get_support_doc', 3, lambda s, k: {'txn': '%s-t%d' % (s.ref, k)}, 4000, 0.9, pre=0),
              T('test_control', 2, lambda s, k: {'ctl': '%s-c%d' % (s.ref, k)}, 800, 0.6)],
    # claims
    'cintake': [T('get_policy', 3, lambda s, k: {'policy': s.ref}, 1500, 0.4),
                T('verify_identity', 2, lambda s, k: {'claimant': s.ref, 'k': k}, 200, 0.9),
                T('create_claim', 1, lambda s, k: {'claim': s.ref, 'k': k}, 150, 0.5),
                T('request_documents', 1, lambda s, k: {'claim': s.ref, 'k': k}, 100, 0.3)],
    'adjuster': [T('get_claim', 2, lambda s, k: {'claim': s.ref, 'k': k}, 1200, 0.3),
                 T('get_extractions', 3, lambda s, k: {'claim': s.ref, 'doc': k}, 2500, 0.4),
                 T('estimate_damage', 2, lambda s, k: {'claim': s.ref, 'item': k}, 900, 1.1),
                 T('check_coverage', 2, lambda s, k: {'claim': s.ref, 'peril': k}, 1100, 0.6),
                 T('get_policy', 1, lambda s, k: {'policy': '%s-pol' % s.ref, 'sec': k}, 1800, 0.4)],
    'ocr': [T('store_extraction', 1, lambda s, k: {'doc': s.ref, 'page': k}, 250, 0.2, pre=1700)],
    'fraud': [T('query_claims_history', 3, lambda s, k: {'claimant': s.ref, 'k': k}, 1800, 1.1),
              T('score_risk', 2, lambda s, k: {'claim': s.ref, 'model': 'v7', 'k': k}, 300, 0.7),
              T('check_watchlist', 2, lambda s, k: {'party': '%s-%d' % (s.ref, k)}, 200, 0.9),
              T('network_analysis', 1, lambda s, k: {'claim': s.ref, 'hop': k}, 2200, 2.5)],
    'payout': [T('calculate_payout', 1, lambda s, k: {'claim': s.ref, 'k': k}, 500, 0.4),
               T('issue_payment', 1, lambda s, k: {'claim': s.ref, 'k': k}, 150, 1.2),
               T('notify_claimant', 1, lambda s, k: {'claim': s.ref, 'k': k}, 80, 0.3)],
    'comms': [T('get_claim_status', 3, lambda s, k: {'claim': s.ref}, 500, 0.3),
              T('get_adjuster_notes', 2, lambda s, k: {'claim': s.ref, 'k': k}, 1200, 0.4),
              T('draft_message', 2, lambda s, k: {'claim': s.ref, 'v': k}, 100, 0.1),
              T('send_message', 1, lambda s, k: {'claim': s.ref, 'ch': k % 2, 'k': k}, 60, 0.6)],
    'coverage': [T('get_policy', 2, lambda s, k: {'policy': s.ref, 'k': k}, 2200, 0.4),
                 T('search_policy_wording', 4, lambda s, k: {'q': '%s:%d' % (s.ref, k)}, 1600, 0.8),
                 T('get_endorsements', 1, lambda s, k: {'policy': s.ref, 'e': k}, 900, 0.4)],
    'subro': [T('search_police_reports', 3, lambda s, k: {'q': '%s:%d' % (s.ref, k)}, 2000, 1.6),
              T('get_third_party_policy', 2, lambda s, k: {'tp': '%s-%d' % (s.ref, k)}, 1500, 0.9),
              T('search_court_records', 2, lambda s, k: {'q': '%s:c%d' % (s.ref, k)}, 2400, 2.0),
              T('calc_recovery', 1, lambda s, k: {'claim': s.ref, 'k': k}, 500, 0.3),
              T('draft_demand_letter', 1, lambda s, k: {'claim': s.ref, 'v': k}, 200, 0.2)],
    'siu': [T('network_analysis', 2, lambda s, k: {'claim': s.ref, 'hop': k}, 3500, 2.5),
            T('get_claim_file', 3, lambda s, k: {'claim': s.ref, 'part': k}, 6000, 0.6, pre=1800),
            T('social_media_check', 1, lambda s, k: {'party': '%s-%d' % (s.ref, k)}, 1500, 3.0)],
    # migration
    'plan': [T('list_modules', 1, lambda s, k: {'repo': s.ref, 'k': k}, 2500, 2.0),
             T('read_file', 3, lambda s, k: {'repo': s.ref, 'path': 'src/%d' % k}, 2500, 0.2),
             T('build_dep_graph', 1, lambda s, k: {'repo': s.ref, 'k': k}, 4000, 8.0)],
    'worker': [T('read_file', 3, lambda s, k: {'path': '%s/f%d' % (s.ref, k)}, 2200, 0.15),
               T('apply_edit', 5, lambda s, k: {'file': '%s/f%d' % (s.ref, k), 'codemod': s.task.tags['feature']},
                 900, 0.3),
               T('grep_code', 2, lambda s, k: {'q': '%s?%d' % (s.ref, k)}, 1200, 0.8)],
    'depbump': [T('read_manifest', 2, lambda s, k: {'repo': s.ref, 'k': k}, 1500, 0.3),
                T('check_registry', 2, lambda s, k: {'pkg': '%s-pkg%d' % (s.ref, k)}, 400, 0.9),
                T('bump_version', 2, lambda s, k: {'pkg': '%s-pkg%d' % (s.ref, k), 'to': 'latest'}, 300, 0.3),
                T('read_changelog', 1, lambda s, k: {'pkg': '%s-pkg%d' % (s.ref, k)}, 2500, 1.0)],
    'ci': [T('fetch_ci_log', 2, lambda s, k: {'run': s.ref, 'job': k}, 9000, 1.5),
           T('search_code', 3, lambda s, k: {'q': '%s~%d' % (s.ref, k)}, 1500, 0.9),
           T('read_file', 2, lambda s, k: {'path': '%s/p%d' % (s.ref, k)}, 2200, 0.2),
           T('git_blame', 1, lambda s, k: {'path': '%s/p%d' % (s.ref, k)}, 900, 0.7)],
    'mreview': [T('get_diff', 4, lambda s, k: {'pr': s.ref, 'file': k}, 2500, 0.4),
                T('run_static_analysis', 1, lambda s, k: {'pr': s.ref, 'k': k}, 1800, 12.0),
                T('add_review_comment', 2, lambda s, k: {'pr': s.ref, 'c': k}, 80, 0.3)],
    'arch': [T('read_file', 3, lambda s, k: {'path': '%s/a%d' % (s.ref, k)}, 4000, 0.2),
             T('dep_graph_query', 2, lambda s, k: {'repo': s.ref, 'q': k}, 5000, 2.5),
             T('write_adr', 1, lambda s, k: {'adr': s.ref, 'sec': k}, 200, 0.3)],
}
MENU_W = dict((k, sum(e[1] for e in v)) for k, v in MENUS.items())


def pick(s, mname):
    r = s.W.r
    menu = MENUS[mname]
    x = r.random() * MENU_W[mname]
    e = menu[-1]
    for e in menu:
        x -= e[1]
        if x <= 0:
            break
    s.k += 1
    k = s.k
    args = e[2](s, k)
    h = ahash(e[0], args)
    tries = 0
    while h in s.seen and tries < 6:      # fixed-argument tool already used: pick another
        x = r.random() * MENU_W[mname]
        for e in menu:
            x -= e[1]
            if x <= 0:
                break
        args = e[2](s, k)
        h = ahash(e[0], args)
        tries += 1
    if h in s.seen:
        args = dict(args)
        args['page'] = k
        h = ahash(e[0], args)
    s.seen.add(h)
    pre = L(r, e[5], 0.5, 80, 30 * e[5]) if e[5] else 0
    pt = e[6](s, k) if e[6] else None
    return C(e[0], args, L(r, e[3], 0.6, 20, 25 * e[3]), lnr(r, e[4], 0.5), pre, pt)


def plan_of(s, mname, n):
    return [pick(s, mname) for _ in range(n)]


# ----------------------------------------------------------------- runaways
def rw_loop_repeat(s, cv, menu, rw):
    r = s.W.r
    tgt = s.hist[-1] if (r.random() < 0.6 or len(s.hist) < 2) else r.choice(s.hist[-6:])
    inter = rw.variant == 'inter'
    s.onset(rw)
    while not rw.done(s):
        step(s, cv, tgt, gap=r.uniform(0.05, 1.5))
        if inter:
            for _ in range(r.choice([1, 1, 2, 3])):
                step(s, cv, pick(s, menu))


def rw_loop_cycle(s, cv, menu, rw):
    r = s.W.r
    n = r.randint(2, 5)
    cyc = []
    for _ in range(n):
        if s.hist and r.random() < 0.3:
            cyc.append(r.choice(s.hist[-4:]))
        else:
            cyc.append(pick(s, menu))
    for c in cyc:
        step(s, cv, c)
    s.onset(rw)
    while not rw.done(s):
        for c in cyc:
            step(s, cv, c)
            if rw.done(s):
                break


def rw_step(s, cv, menu, rw):
    s.onset(rw)
    while not rw.done(s):
        step(s, cv, pick(s, menu))


def rw_retry(s, cv, menu, rw):
    r = s.W.r
    c = pick(s, menu)
    v = rw.variant
    if c.pre:
        cv.add(c.pre)
    if v == 'llm_retry':
        s.onset(rw)
        every = r.randint(6, 25)
        i = 0
        while not rw.done(s):
            i += 1
            cv.call(tool=c.tool, args=c.args, status='error' if i % every == 0 else 'retry',
                    out=L(r, 500, 0.7, 30, 4000), gap=r.uniform(0.2, 2.5))
        return
    cv.call(tool=c.tool, args=c.args)
    s.onset(rw)
    s.tool(c.tool, c.args, r.uniform(0.05, 2.0), status='error', retries=False)
    every = r.randint(8, 30)
    i = 0
    while not rw.done(s):
        i += 1
        st = 'error' if r.random() < 0.15 else 'retry'
        if v == 'tool_fast':
            if i % every == 0:
                cv.add(L(r, 200, 0.4, 50, 800))
                cv.call(tool=c.tool, args=c.args, gap=r.uniform(0.05, 0.5))
            s.tool(c.tool, c.args, r.uniform(0.03, 1.5), status=st, gap=r.uniform(0.05, 1.5), retries=False)
        else:
            cv.add(L(r, 200, 0.4, 50, 800))
            cv.call(tool=c.tool, args=c.args, gap=r.uniform(0.05, 0.8))
            s.tool(c.tool, c.args, r.uniform(0.03, 2.0), status=st, retries=False)


def rw_context(s, cv, menu, rw):
    r = s.W.r
    cv.no_compact = True
    cv.stateless = None
    v = rw.variant
    med = {'fast': 6000, 'slow': 1400, 'nocache': 2500}[v]
    if v == 'nocache':
        cv.p_hit = 0.1
    s.onset(rw)
    while not rw.done(s):
        c = pick(s, menu)
        c.res = L(r, med, 0.5, 200, 40000)
        step(s, cv, c)


def rw_spike(s, cv, menu, rw):
    r = s.W.r
    if rw.variant == 'switch' or rw.variant == 'from_start':
        s.onset(rw)
        cv.model = SPIKE.get(cv.model, 'claude-opus-4-1')
        s.lab['spike_model'] = cv.model
    else:
        s.onset(rw)
        typ = cv.size + (s.hist[-1].pre if s.hist else 0)
        cv.extra = int(max(typ, 4000) * r.uniform(4.0, 9.0))
        cv.p_hit = min(cv.p_hit, 0.5)
    while not rw.done(s):
        step(s, cv, pick(s, menu))


def rw_budget(s, cv, menu, rw):
    r = s.W.r
    ag = s.ag
    s.onset(rw)
    om = r.uniform(1.4, 2.4)
    rm = r.uniform(2.0, 3.2)
    while not rw.done(s):
        c = pick(s, menu)
        c.res = int(c.res * r.uniform(1.0, 1.8))
        rs = L(r, (ag.get('rs') or 900) * rm, 0.5, 200, 60000) if cv.model in REASONING else None
        step(s, cv, c, out=L(r, ag['out'] * om, 0.5, 50, 20000), rs=rs, gap=r.uniform(2.0, 25.0))


RUN = {'loop_repeat': rw_loop_repeat, 'loop_cycle': rw_loop_cycle, 'step_runaway': rw_step,
       'retry_storm': rw_retry, 'context_growth': rw_context, 'cost_spike': rw_spike,
       'session_budget': rw_budget}


def run_plan(s, cv, plan, menu, rw, fin=True, final_out=None):
    """execute planned actions; a runaway takes over at a random step.  returns True if truncated"""
    r = s.W.r
    if rw is not None and rw.kind == 'cost_spike' and rw.variant == 'from_start':
        s.onset(rw)
        cv.model = SPIKE.get(cv.model, 'claude-opus-4-1')
        s.lab['spike_model'] = cv.model
        want = L(r, 70, 0.6, 25, 500)
        i = 0
        while not rw.done(s) and (i < len(plan) or i < want):
            step(s, cv, plan[i] if i < len(plan) else pick(s, menu))
            i += 1
        final(s, cv, final_out)
        return True
    j = None
    if rw is not None:
        n = len(plan)
        if rw.kind == 'step_runaway' and r.random() < 0.5:
            j = n
        else:
            j = r.randint(max(1, int(n * 0.2)), max(1, n - 1))
    for i, c in enumerate(plan):
        if j is not None and i == j:
            RUN[rw.kind](s, cv, menu, rw)
            return True
        step(s, cv, c)
    if j is not None:
        RUN[rw.kind](s, cv, menu, rw)
        return True
    if fin:
        final(s, cv, final_out)
    return False


def poll(s, cv, tool, args, lo, hi, dur, llm_p=0.6, rw=None, npre=None):
    """legitimate wait: the same status call with long gaps; optional tight-loop runaway"""
    r = s.W.r
    t_end = s.t + dur
    n = 0
    while s.t < t_end or (rw is not None):
        if rw is not None and n == npre:
            s.onset(rw)
        tight = rw is not None and n >= npre
        if tight and rw.done(s):
            break
        g = r.uniform(0.3, 4.0) if tight else r.uniform(lo, hi)
        if r.random() < llm_p:
            cv.call(tool=tool, args=args, gap=g, out=L(r, 40, 0.4, 5, 200))
            s.tool(tool, args, lnr(r, 0.3, 0.4))
        else:
            s.tool(tool, args, lnr(r, 0.3, 0.4), gap=g)
        cv.add(L(r, 60, 0.3, 10, 300))
        n += 1
        if tight and r.random() < 0.2:
            step(s, cv, pick(s, s.menu))
    if n >= 5 and rw is None:
        s.trap('polling_wait')
    return n


# ----------------------------------------------------------------- fan-out
def fanout(P, cv, specs, conc, child_fn, rw=None, extra=None, batch=(1, 5)):
    """spawn one sub-agent per spec with at most `conc` running; wait for all.
    with a flat fan-out runaway, spawning continues beyond the specs"""
    W = P.W
    r = W.r
    heap = []
    nb = 0

    def spawn(spec, joined, force_llm):
        nonlocal nb
        if len(heap) >= conc:
            tfree = heapq.heappop(heap)
            if tfree > P.t:
                P.t = tfree
        if nb <= 0 or force_llm:
            cv.call(tool='spawn_subagent', args=spec, out=L(r, 250, 0.5, 30, 2000))
            nb = r.randint(*batch)
        nb -= 1
        P.tool('spawn_subagent', spec, r.uniform(0.08, 0.5), retries=False)
        cv.add(L(r, 120, 0.4, 30, 600))
        ch = child_fn(P, spec, P.t + r.uniform(0.3, 2.5), joined)
        heapq.heappush(heap, ch.t)

    for spec in specs:
        spawn(spec, False, False)
    if rw is not None:
        P.onset(rw)
        i = 0
        while rw.sess < rw.cap_sess and P.t < rw.deadline:
            spawn(extra(i), True, i == 0)
            i += 1
    if heap:
        P.t = max(P.t, max(heap)) + r.uniform(0.5, 5.0)


def fan_recursive(P, cv, rw, agent, tt, menu, w0, setup=None):
    """recursive delegation: every sub-agent delegates again with a normal width"""
    W = P.W
    r = W.r
    maxd = r.randint(5, 9)
    P.onset(rw)
    heap = []
    cnt = [0]
    seq = [0]

    def spawn_from(par, pcv, d, w):
        pcv.call(tool='spawn_subagent', args={'scope': par.ref, 'n': w}, out=L(r, 250, 0.5, 30, 2000))
        for i in range(w):
            if cnt[0] >= rw.cap_sess:
                break
            cnt[0] += 1
            spec = {'agent': agent, 'scope': '%s/%d' % (par.ref, i)}
            par.tool('spawn_subagent', spec, r.uniform(0.08, 0.5), retries=False)
            seq[0] += 1
            heapq.heappush(heap, (par.t + r.uniform(0.3, 2.5), seq[0], par, d + 1, spec['scope']))

    spawn_from(P, cv, 0, w0)
    end = P.t
    while heap:
        st, _, par, d, scope = heapq.heappop(heap)
        if st > rw.deadline:
            break
        ch = Sess(W, agent, tt, P.task, st, parent=par, depth=par.depth + 1, ref=scope)
        ch.join(rw, P)
        ccv = Convo(ch)
        if setup:
            setup(ch, ccv)
        for _ in range(r.randint(1, 3)):
            step(ch, ccv, pick(ch, menu))
        if d < maxd and cnt[0] < rw.cap_sess:
            spawn_from(ch, ccv, d, r.randint(2, 4))
        if r.random() < 0.5:
            step(ch, ccv, pick(ch, menu))
        final(ch, ccv, L(r, 300, 0.5, 40, 2000))
        end = max(end, ch.t)
    P.t = max(P.t, min(end, rw.deadline)) + r.uniform(1, 30)
    P.tool('await_subagents', {'scope': P.ref}, r.uniform(0.1, 1.0), status='error', retries=False)


# ----------------------------------------------------------------- handoff rounds
def hand(a, acv, b_agent, payload):
    acv.call(tool='transfer_to_' + b_agent.replace('-', '_'), args=payload, out=L(a.W.r, 150, 0.5, 20, 1500))
    a.handoff(b_agent, payload)


def resume(b, a):
    b.t = max(b.t, a.t) + b.W.r.uniform(0.2, 2.0)


# ================================================================= LEGAL
def f_matter_intake(W, task, t, rw):
    s = Sess(W, 'legal-intake-triage', 'matter_intake', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'intake', L(W.r, 4, 0.45, 2, 10)), 'intake', rw)


def contract_reviewer(W, task, t, rw, parent=None, tt='contract_review', small=False, ref=None):
    r = W.r
    D = L(r, 30000 if small else 100000, 0.6, 8000, 950000)
    if D > 150000:
        model = r.choice(['gemini/gemini-2.5-pro', 'gpt-4.1'])
    else:
        model = None
    s = Sess(W, 'legal-contract-reviewer', tt, task, t, parent=parent, model=model, ref=ref)
    if D >= 200000:
        s.trap('huge_document')
    cv = Convo(s)
    s.tool('load_document', {'doc': s.ref}, lnr(r, 2.5, 0.5))
    cv.add(D)
    n = L(r, 6 if small else 12, 0.45, 3, 30)
    trunc = run_plan(s, cv, plan_of(s, 'review', n), 'review', rw, final_out=L(r, 2200, 0.4, 300, 8000))
    return s, cv, trunc


def f_contract_review(W, task, t, rw):
    r = W.r
    if rw is None or not (rw.kind == 'cost_spike' and rw.variant == 'context'):
        contract_reviewer(W, task, t, rw)
        return
    # prompt-cache invalidation: a changing header is injected above the document,
    # every call re-writes the whole document to the cache
    rw.variant = 'cachebust'
    D = L(r, 90000, 0.45, 30000, 140000)
    s = Sess(W, 'legal-contract-reviewer', 'contract_review', task, t)
    cv = Convo(s)
    s.tool('load_document', {'doc': s.ref}, lnr(r, 2.5, 0.5))
    cv.add(D)
    for c in plan_of(s, 'review', r.randint(2, 8)):
        step(s, cv, c)
    s.onset(rw)
    cv.p_hit = 0.0
    while not rw.done(s):
        step(s, cv, pick(s, 'review'))


def clause_extractor(W, task, t, rw, parent=None, nmed=32, ref=None):
    r = W.r
    s = Sess(W, 'legal-clause-extractor', 'clause_extraction', task, t, parent=parent, ref=ref)
    cv = Convo(s)
    s.tool('load_document', {'doc': s.ref}, lnr(r, 1.5, 0.5))
    cv.add(L(r, 35000, 0.5, 8000, 120000))
    cv.fix()
    n = L(r, nmed, 0.6, 5, 160)
    if n >= 25:
        s.trap('batch_same_tool')
    if not run_plan(s, cv, plan_of(s, 'clause', n), 'clause', rw, fin=False):
        s.tool('compile_clause_table', {'doc': s.ref}, lnr(r, 0.8, 0.4))
        final(s, cv, L(r, 900, 0.4, 100, 4000))
    return s


def f_clause_extraction(W, task, t, rw):
    clause_extractor(W, task, t, rw)


def f_redline(W, task, t, rw):
    r = W.r
    D = Sess(W, 'legal-drafter', 'redline', task, t)
    cvD = Convo(D)
    D.tool('load_document', {'doc': D.ref}, lnr(r, 1.5, 0.5))
    cvD.add(L(r, 30000, 0.5, 8000, 90000))
    rounds = wchoice(r, [(1, 25), (2, 25), (3, 20), (4, 15), (5, 10), (6, 5)])
    k = r.randint(1, 3) if rw is not None else None
    R = None
    cvR = None
    stale = {}

    def sc(sess, role, slot, par, menu):
        key = (role, slot, par)
        if key not in stale:
            stale[key] = pick(sess, menu)
        return stale[key]

    i = 0
    while True:
        is_stale = rw is not None and i >= k
        if rw is not None and i == k:
            D.onset(rw)
        par = (i - k) % 2 if is_stale else None
        for j in range(r.randint(2, 4) if not is_stale else 3):
            step(D, cvD, sc(D, 'D', j, par, 'draft') if is_stale else pick(D, 'draft'))
        payload = {'doc': D.ref, 'v': ('s%d' % par) if is_stale else i}
        hand(D, cvD, 'legal-redline-reviewer', payload)
        if R is None:
            R = Sess(W, 'legal-redline-reviewer', 'redline', task, D.t + r.uniform(0.2, 2.0), parent=D)
            cvR = Convo(R)
            cvR.add(L(r, 25000, 0.5, 6000, 80000))
        else:
            resume(R, D)
        if rw is not None and i == k:
            R.join(rw, D)
        for j in range(r.randint(2, 3) if not is_stale else 2):
            step(R, cvR, sc(R, 'R', j, par, 'rreview') if is_stale else pick(R, 'rreview'))
        last = rw is None and i == rounds - 1
        if last:
            step(R, cvR, C('approve_redline', {'doc': D.ref, 'v': i}, 50, 0.3))
        hand(R, cvR, 'legal-drafter', {'doc': D.ref, 'ok': last, 'v': ('s%d' % par) if is_stale else i})
        resume(D, R)
        i += 1
        if last or (rw is not None and i > k and rw.done(D)):
            break
    if rw is None:
        step(D, cvD, C('finalize_document', {'doc': D.ref}, 200, 1.0))
        final(D, cvD, L(r, 600, 0.4, 100, 3000))
        if rounds >= 3:
            D.trap('redline_rounds')
            R.trap('redline_rounds')


def f_research(W, task, t, rw):
    s = Sess(W, 'legal-research-assistant', 'legal_research', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'research', L(W.r, 12, 0.5, 4, 35)), 'research', rw,
             final_out=L(W.r, 1800, 0.4, 300, 6000))


def f_ediscovery(W, task, t, rw):
    r = W.r
    model = 'gpt-4o-mini' if zlib.crc32(task.tags['tenant'].encode()) % 2 == 0 else 'gemini/gemini-2.5-flash'
    s = Sess(W, 'legal-ediscovery-classifier', 'ediscovery_review', task, t, model=model)
    s.trap('long_by_nature')
    cv = Convo(s)
    cv.fix()
    n = L(r, 480, 0.7, 180, 4000)
    plan = plan_of(s, 'ediscovery', n)
    out = []
    for i, c in enumerate(plan):  # periodic checkpoints (tool only)
        out.append(c)
        if i % 250 == 249:
            out.append(C('write_checkpoint', {'run': s.ref, 'n': i}, 0, 0.3, llm=False))
    run_plan(s, cv, out, 'ediscovery', rw, final_out=200)


def f_privilege_log(W, task, t, rw):
    s = Sess(W, 'legal-privilege-logger', 'privilege_log', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'privlog', L(W.r, 18, 0.5, 6, 45)), 'privlog', rw)


def f_diligence(W, task, t, rw):
    r = W.r
    P = Sess(W, 'legal-diligence-coordinator', 'due_diligence', task, t)
    cv = Convo(P)
    for c in plan_of(P, 'dlist', r.randint(2, 4)):
        step(P, cv, c)
    w = L(r, 9, 0.75, 3, 60)
    deep = r.random() < 0.25
    specs = [{'contract': '%s-c%d' % (P.ref, i)} for i in range(w)]

    def child(par, spec, st, joined):
        sref = spec['contract'] + ('#%s' % spec['attempt'] if 'attempt' in spec else '')
        if joined:
            s = Sess(W, 'legal-contract-reviewer', 'diligence_review', task, st, parent=par, ref=sref)
            s.join(rw, P)
            ccv = Convo(s)
            s.tool('load_document', {'doc': spec['contract']}, lnr(r, 2.0, 0.5))
            ccv.add(L(r, 20000, 0.6, 4000, 90000))
            run_plan(s, ccv, plan_of(s, 'review', r.randint(2, 4)), 'review', None)
            return s
        s, ccv, _ = contract_reviewer(W, task, st, None, parent=par, tt='diligence_review', small=True, ref=sref)
        if deep:
            s.trap('deep_delegation')
            m = r.randint(2, 5)
            fanout(s, ccv, [{'doc': sref, 'part': j} for j in range(m)], 5,
                   lambda p2, sp2, st2, j2: clause_extractor(W, task, st2, None, parent=p2, nmed=10,
                                                            ref='%s.%d' % (sref, sp2['part'])))
            final(s, ccv, 400)
        return s

    if rw is not None and rw.kind == 'subagent_fanout' and rw.variant == 'recursive':
        def setup(ch, ccv):
            ch.tool('load_document', {'doc': ch.ref}, lnr(r, 2.0, 0.5))
            ccv.add(L(r, 15000, 0.6, 3000, 60000))
        fan_recursive(P, cv, rw, 'legal-contract-reviewer', 'diligence_review', 'review', min(w, 6), setup)
        return
    if w >= 20:
        P.trap('wide_fanout')
    if deep:
        P.trap('deep_delegation')
    if rw is not None:
        fanout(P, cv, specs, r.choice([6, 8, 10]), child, rw=rw,
               extra=lambda i: {'contract': '%s-c%d' % (P.ref, i % w), 'attempt': i // w + 1})
        return
    fanout(P, cv, specs, r.choice([6, 8, 10]), child)
    for c in plan_of(P, 'daggr', r.randint(2, 4)):
        step(P, cv, c)
    final(P, cv, L(r, 4500, 0.4, 800, 12000))


def f_brief(W, task, t, rw):
    s = Sess(W, 'legal-brief-writer', 'brief_drafting', task, t)
    s.trap('new_pricey_agent')
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'brief', L(W.r, 12, 0.4, 6, 25)), 'brief', rw, final_out=L(W.r, 6000, 0.3, 2000, 14000))


# ================================================================= FINANCE
def f_invoice(W, task, t, rw):
    s = Sess(W, 'fin-invoice-coder', 'ap_invoice_coding', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'invoice', L(W.r, 4, 0.35, 2, 9)), 'invoice', rw)


def f_fx(W, task, t, rw):
    r = W.r
    s = Sess(W, 'fin-fx-agent', 'fx_revaluation', task, t)
    s.fx0 = r.randint(0, len(PAIRS) - 1)
    cv = Convo(s)
    n = L(r, 14, 0.6, 4, 45)
    if n >= 20:
        s.trap('batch_same_tool')
    if not run_plan(s, cv, plan_of(s, 'fx', n), 'fx', rw, fin=False):
        step(s, cv, C('compute_revaluation', {'entity': s.ref}, 800, 1.5))
        step(s, cv, C('post_journal', {'entity': s.ref, 'kind': 'fxreval'}, 100, 0.6))
        final(s, cv, 300)


def f_journal(W, task, t, rw):
    r = W.r
    P = Sess(W, 'fin-journal-preparer', 'journal_approval', task, t)
    cvP = Convo(P)
    for c in plan_of(P, 'jprep', r.randint(2, 5)):
        step(P, cvP, c)
    rejections = wchoice(r, [(0, 75), (1, 18), (2, 7)])
    pp = rw is not None and rw.kind == 'ping_pong'
    tight = rw is not None and rw.kind == 'loop_repeat'
    k = r.randint(0, 1) if pp else None
    A = None
    cvA = None
    rev = 0
    rnd = 0
    while True:
        is_stale = pp and rnd >= k
        if pp and rnd == k:
            P.onset(rw)
        if rnd > 0:
            for j in range(r.randint(1, 3) if not is_stale else 1):
                step(P, cvP, C('validate_journal', {'je': P.ref, 'rev': rev if not is_stale else rnd % 2}, 400, 0.5)
                     if is_stale else pick(P, 'jprep'))
        payload = {'je': P.ref, 'rev': rev if not is_stale else 's%d' % (rnd % 2)}
        hand(P, cvP, 'fin-approval-agent', payload)
        if A is None:
            A = Sess(W, 'fin-approval-agent', 'journal_approval', task, P.t + r.uniform(0.2, 2.0), parent=P)
            A.menu = 'jprep'
            cvA = Convo(A)
        else:
            resume(A, P)
        if pp and rnd == k:
            A.join(rw, P)
        step(A, cvA, C('submit_for_approval', payload, 150, 0.6))
        if is_stale:
            step(A, cvA, C('check_approval_policy', payload, 600, 0.4))
            hand(A, cvA, 'fin-journal-preparer', {'je': P.ref, 'decision': 'rejected', 'p': rnd % 2})
            resume(P, A)
            rnd += 1
            if rw.done(P):
                return
            continue
        human = L(r, 1200, 0.7, 120, 4800)
        if tight:
            poll(A, cvA, 'get_approval_status', {'je': P.ref, 'rev': rev}, 150, 420, human, rw=rw,
                 npre=r.randint(1, 3))
            return
        poll(A, cvA, 'get_approval_status', {'je': P.ref, 'rev': rev}, 150, 420, human)
        if rnd < rejections or pp:
            hand(A, cvA, 'fin-journal-preparer', {'je': P.ref, 'decision': 'rejected', 'rev': rev})
            resume(P, A)
            A.trap('handoff_rounds')
            P.trap('handoff_rounds')
            rev += 1
            rnd += 1
            continue
        step(A, cvA, C('post_journal', {'je': P.ref, 'rev': rev}, 100, 0.8))
        final(A, cvA, 150)
        return


def recon_matcher(W, task, t, rw, parent=None, tt='ledger_reconciliation', imed=80, ref=None, joined=None):
    r = W.r
    model = 'gpt-4.1-mini' if zlib.crc32(task.tags['tenant'].encode()) % 3 else 'gemini/gemini-2.5-flash'
    s = Sess(W, 'fin-recon-matcher', tt, task, t, parent=parent, model=model, ref=ref)
    if joined is not None:
        s.join(*joined)
    cv = Convo(s)
    cv.fix()
    n = L(r, imed, 0.7, 2, 400)
    if tt == 'ledger_reconciliation':
        s.trap('long_by_nature')
    plan = []
    for i in range(n):
        plan.append(pick(s, 'recon'))
        if r.random() < 0.08:
            plan.append(C('investigate_break', {'ledger': s.ref, 'line': r.randint(0, 10 ** 6)}, 1500, 0.9))
    run_plan(s, cv, plan, 'recon', rw, final_out=L(r, 600, 0.4, 100, 3000))
    return s


def f_recon(W, task, t, rw):
    recon_matcher(W, task, t, rw)


def f_close(W, task, t, rw):
    r = W.r
    O = Sess(W, 'fin-close-orchestrator', 'month_end_close', task, t)
    O.menu = 'close'
    cv = Convo(O)
    for c in plan_of(O, 'close', r.randint(2, 4)):
        step(O, cv, c)
    nacc = L(r, 9, 0.75, 4, 60)
    specs = [{'entity': O.ref, 'account': '%s-a%d' % (O.ref, i)} for i in range(nacc)]

    def child(par, spec, st, joined):
        jr = (rw, O) if joined else None
        return recon_matcher(W, task, st, None, parent=par, tt='account_reconciliation',
                             imed=3 if joined else 8, ref=spec['account'] + spec.get('suffix', ''), joined=jr)

    fan = rw is not None and rw.kind == 'subagent_fanout'
    if fan and rw.variant == 'recursive':
        def setup(ch, ccv):
            ccv.fix()
        fan_recursive(O, cv, rw, 'fin-recon-matcher', 'account_reconciliation', 'recon', min(nacc, 6), setup)
        return
    if fan:
        fanout(O, cv, specs, 8, child, rw=rw,
               extra=lambda i: {'entity': O.ref, 'account': '%s-a%d' % (O.ref, i % nacc),
                                'suffix': '/retry%d' % (i // nacc + 1)})
        return
    if r.random() < 0.2:
        ents = r.randint(2, 5)
        O.trap('deep_delegation')

        def lead(par, spec, st, joined):
            E = Sess(W, 'fin-entity-controller', 'entity_close', task, st, parent=par, ref=spec['sub'])
            E.trap('deep_delegation')
            ecv = Convo(E)
            step(E, ecv, C('get_entity_tb', {'entity': spec['sub']}, 2500, 0.8))
            fanout(E, ecv, spec['accts'], 6, child)
            step(E, ecv, C('sign_off_entity', {'entity': spec['sub']}, 100, 0.4))
            final(E, ecv, 300)
            return E
        groups = [{'sub': '%s-e%d' % (O.ref, e), 'accts': specs[e::ents]} for e in range(ents)]
        fanout(O, cv, groups, ents, lead)
    else:
        if nacc >= 20:
            O.trap('wide_fanout')
        fanout(O, cv, specs, 8, child)
    step(O, cv, C('trigger_erp_close', {'entity': O.ref, 'period': '2025-06'}, 300, 2.0))
    tight = rw is not None and rw.kind == 'loop_repeat'
    poll(O, cv, 'erp_job_status', {'job': O.ref + '-close'}, 120, 300, L(r, 1800, 0.5, 600, 4500),
         llm_p=0.5, rw=rw if tight else None, npre=r.randint(2, 6) if tight else None)
    if tight:
        return
    inp = L(r, 60000, 0.3, 30000, 110000)
    out = L(r, 8000, 0.3, 4000, 16000)
    O.llm('claude-opus-4-5', inp, out, tool='publish_report', args={'entity': O.ref},
          gap=r.uniform(0.2, 1.0))
    O.tool('publish_report', {'entity': O.ref}, lnr(r, 1.5, 0.4))
    O.trap('final_report')
    final(O, cv, 200)


def f_variance(W, task, t, rw):
    r = W.r
    s = Sess(W, 'fin-variance-analyst', 'variance_analysis', task, t)
    cv = Convo(s)
    if not run_plan(s, cv, plan_of(s, 'variance', L(r, 11, 0.45, 4, 30)), 'variance', rw, fin=False):
        if r.random() < 0.3:
            s.llm('o3', L(r, 40000, 0.3, 15000, 90000), L(r, 6000, 0.3, 2000, 14000),
                  rs=L(r, 9000, 0.4, 2000, 30000), tool='publish_commentary', args={'acct': s.ref})
            s.tool('publish_commentary', {'acct': s.ref}, lnr(r, 0.8, 0.4))
            s.trap('final_report')
        final(s, cv, 500)


def f_payments(W, task, t, rw):
    s = Sess(W, 'fin-payments-agent', 'payment_run_check', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'payments', L(W.r, 8, 0.4, 4, 18)), 'payments', rw)


def f_expense(W, task, t, rw):
    s = Sess(W, 'fin-expense-auditor', 'expense_audit', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'expense', L(W.r, 6, 0.45, 3, 14)), 'expense', rw)


def f_audit(W, task, t, rw):
    s = Sess(W, 'fin-audit-copilot', 'audit_sampling', task, t)
    s.trap('new_pricey_agent')
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'audit', L(W.r, 13, 0.4, 6, 28)), 'audit', rw, final_out=L(W.r, 4000, 0.4, 800, 10000))


# ================================================================= CLAIMS
def doc_reader(W, task, t, rw, parent=None, tt='document_extraction', pmed=2, ref=None, joined=None):
    r = W.r
    s = Sess(W, 'claims-doc-reader', tt, task, t, parent=parent, ref=ref)
    if joined is not None:
        s.join(*joined)
    cv = Convo(s)
    cv.fix()
    s.tool('fetch_document', {'doc': s.ref}, lnr(r, 0.8, 0.5))
    pages = L(r, pmed, 0.7, 1, 40)
    if rw is not None and rw.kind == 'cost_spike' and rw.variant == 'context':
        # switches to high-resolution page rendering: image tokens x5-10
        for c in plan_of(s, 'ocr', r.randint(1, 4)):
            step(s, cv, c)
        s.onset(rw)
        mult = r.uniform(6, 10)
        while not rw.done(s):
            c = pick(s, 'ocr')
            c.pre = int(c.pre * mult)
            step(s, cv, c)
        return s
    run_plan(s, cv, plan_of(s, 'ocr', pages), 'ocr', rw, final_out=L(r, 400, 0.4, 60, 2000))
    return s


def f_claim(W, task, t, rw):
    r = W.r
    kind = rw.kind if rw is not None else None
    I = Sess(W, 'claims-intake', 'claim_intake', task, t)
    cvI = Convo(I)
    for c in plan_of(I, 'cintake', r.randint(2, 5)):
        step(I, cvI, c)
    hand(I, cvI, 'claims-adjuster', {'claim': I.ref})
    A = Sess(W, 'claims-adjuster', 'claim_adjudication', task, I.t + r.uniform(0.3, 3.0), parent=I, ref=I.ref)
    cvA = Convo(A)
    step(A, cvA, C('get_claim', {'claim': A.ref}, 1200, 0.3))
    step(A, cvA, C('list_documents', {'claim': A.ref}, 400, 0.3))
    nd = L(r, 6, 0.75, 3, 40)
    specs = [{'claim': A.ref, 'doc': d} for d in range(nd)]

    def child(par, spec, st, joined):
        return doc_reader(W, task, st, None, parent=par, pmed=1 if joined else 2,
                          ref='%s-d%s' % (spec['claim'], spec['doc']), joined=(rw, A) if joined else None)

    if kind == 'subagent_fanout':
        if rw.variant == 'recursive':
            def setup(ch, ccv):
                ccv.fix()
                ch.tool('fetch_document', {'doc': ch.ref}, lnr(r, 0.8, 0.5))
            fan_recursive(A, cvA, rw, 'claims-doc-reader', 'document_extraction', 'ocr', nd, setup)
        else:
            fanout(A, cvA, specs, 6, child, rw=rw,
                   extra=lambda i: {'claim': A.ref, 'doc': '%d.p%d' % (i % nd, i // nd + 1)})
        return
    if nd >= 15:
        A.trap('wide_fanout')
    fanout(A, cvA, specs, 6, child)
    a_rw = rw if kind in ('context_growth', 'loop_repeat', 'cost_spike', 'step_runaway') else None
    if a_rw is not None and a_rw.kind == 'cost_spike':
        a_rw.variant = 'switch'
    if run_plan(A, cvA, plan_of(A, 'adjuster', r.randint(3, 7)), 'adjuster', a_rw, fin=False):
        return
    hand(A, cvA, 'claims-fraud-check', {'claim': A.ref})
    F = Sess(W, 'claims-fraud-check', 'fraud_screen', task, A.t + r.uniform(0.3, 3.0), parent=A, ref=A.ref)
    cvF = Convo(F)
    returns = wchoice(r, [(0, 72), (1, 20), (2, 8)])
    pp = kind == 'ping_pong'
    k = r.randint(0, 1) if pp else None
    if pp:
        returns = max(returns, k)
    f_rw = rw if kind in ('loop_cycle', 'session_budget') else None
    rnd = 0
    while True:
        is_stale = pp and rnd >= k
        if f_rw is not None:
            run_plan(F, cvF, plan_of(F, 'fraud', r.randint(3, 7)), 'fraud', f_rw)
            return
        for c in plan_of(F, 'fraud', r.randint(2, 5) if not is_stale else 2):
            step(F, cvF, c)
        if is_stale or rnd < returns:
            hand(F, cvF, 'claims-adjuster', {'claim': A.ref, 'need': 'info', 'q': rnd % 2 if is_stale else rnd})
            resume(A, F)
            if pp and rnd == k:
                A.onset(rw)
                F.join(rw, A)
            if not is_stale:
                A.trap('handoff_rounds')
                F.trap('handoff_rounds')
            for c in plan_of(A, 'adjuster', r.randint(2, 4) if not is_stale else 2):
                step(A, cvA, c)
            hand(A, cvA, 'claims-fraud-check', {'claim': A.ref, 'info': rnd % 2 if is_stale else rnd})
            resume(F, A)
            rnd += 1
            if pp and rnd > k and rw.done(A):
                return
            continue
        break
    if r.random() < 0.85 or kind == 'retry_storm':
        hand(F, cvF, 'claims-payout', {'claim': A.ref, 'decision': 'approve'})
        final(F, cvF, 200)
        P = Sess(W, 'claims-payout', 'payout', task, F.t + r.uniform(0.3, 2.0), parent=F, ref=A.ref)
        cvP = Convo(P)
        plan = [C('calculate_payout', {'claim': A.ref}, 500, 0.4), C('issue_payment', {'claim': A.ref}, 150, 1.2),
                C('notify_claimant', {'claim': A.ref}, 80, 0.3)]
        run_plan(P, cvP, plan, 'payout', rw if kind == 'retry_storm' else None)
    else:
        hand(F, cvF, 'claims-adjuster', {'claim': A.ref, 'decision': 'deny'})
        final(F, cvF, 200)
        resume(A, F)
        step(A, cvA, C('deny_claim', {'claim': A.ref}, 100, 0.5))
        final(A, cvA, 500)


def f_comms(W, task, t, rw):
    s = Sess(W, 'claims-customer-comms', 'customer_update', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'comms', L(W.r, 3, 0.35, 2, 7)), 'comms', rw)


def f_coverage(W, task, t, rw):
    s = Sess(W, 'claims-coverage-agent', 'coverage_question', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'coverage', L(W.r, 5, 0.4, 2, 12)), 'coverage', rw)


def f_subro(W, task, t, rw):
    s = Sess(W, 'claims-subrogation', 'subrogation_review', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'subro', L(W.r, 15, 0.45, 6, 40)), 'subro', rw,
             final_out=L(W.r, 1500, 0.4, 300, 5000))


def f_docx(W, task, t, rw):
    doc_reader(W, task, t, rw, pmed=6)


def f_siu(W, task, t, rw):
    s = Sess(W, 'claims-siu-investigator', 'siu_investigation', task, t)
    s.trap('new_pricey_agent')
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'siu', L(W.r, 14, 0.4, 6, 30)), 'siu', rw, final_out=L(W.r, 3000, 0.4, 600, 9000))


# ================================================================= MIGRATION
def worker(W, task, t, rw, parent=None, tt='module_migration', fmed=6, ref=None, joined=None, small=False):
    r = W.r
    s = Sess(W, 'mig-module-worker', tt, task, t, parent=parent, ref=ref)
    if joined is not None:
        s.join(*joined)
    cv = Convo(s)
    feat = task.tags['feature']
    plan = []
    for i in range(r.randint(1, 2) if small else r.randint(1, 4)):
        plan.append(C('read_file', {'path': '%s/f%d' % (s.ref, i)}, L(r, 2500, 0.6, 200, 20000), lnr(r, 0.15, 0.4)))
    nf = r.randint(1, 3) if small else L(r, fmed, 0.8, 1, 45)
    if nf >= 15:
        s.trap('batch_same_tool')
    for i in range(nf):
        plan.append(C('apply_edit', {'file': '%s/f%d' % (s.ref, i), 'codemod': feat},
                      L(r, 1200, 0.6, 100, 12000), lnr(r, 0.3, 0.4)))
    test = C('run_tests', {'module': s.ref}, L(r, 1500, 0.6, 200, 15000), L(r, 60, 0.8, 8, 600))
    plan.append(test)
    fails = 0 if small else wchoice(r, [(0, 55), (1, 28), (2, 12), (3, 5)])
    for f in range(fails):
        plan.append(C('read_test_output', {'module': s.ref, 'run': f}, L(r, 3000, 0.6, 300, 20000), 0.2))
        for e in range(r.randint(1, 3)):
            plan.append(C('apply_edit', {'file': '%s/f%d' % (s.ref, r.randint(0, nf + 3)), 'fix': '%d.%d' % (f, e)},
                          L(r, 1000, 0.6, 100, 8000), lnr(r, 0.3, 0.4)))
        plan.append(C('run_tests', {'module': s.ref}, L(r, 1500, 0.6, 200, 15000), L(r, 60, 0.8, 8, 600)))
    if fails >= 2:
        s.trap('test_reruns')
    run_plan(s, cv, plan, 'worker', rw, final_out=L(r, 700, 0.4, 100, 3000))
    return s, cv


def f_repo(W, task, t, rw):
    r = W.r
    P = Sess(W, 'mig-planner', 'repo_migration', task, t)
    cv = Convo(P)
    step(P, cv, C('clone_repo', {'repo': P.ref}, 800, L(r, 20, 0.5, 5, 120)))
    for c in plan_of(P, 'plan', r.randint(3, 6)):
        step(P, cv, c)
    nm = L(r, 22, 0.75, 10, 150)
    specs = [{'repo': P.ref, 'module': 'm%d' % i} for i in range(nm)]

    def child(par, spec, st, joined):
        return worker(W, task, st, None, parent=par, ref='%s/%s' % (spec['repo'], spec['module']),
                      joined=(rw, P) if joined else None, small=joined)[0]

    fan = rw is not None and rw.kind == 'subagent_fanout'
    if fan and rw.variant == 'recursive':
        fan_recursive(P, cv, rw, 'mig-module-worker', 'module_migration', 'worker', min(nm, 8))
        return
    if fan:
        fanout(P, cv, specs, r.choice([8, 12, 16]), child, rw=rw,
               extra=lambda i: {'repo': P.ref, 'module': 'm%d' % (i % nm), 'file': i // nm})
        return
    if nm >= 40:
        P.trap('wide_fanout')
    if r.random() < 0.3:
        P.trap('deep_delegation')
        na = r.randint(3, 8)

        def lead(par, spec, st, joined):
            E = Sess(W, 'mig-area-lead', 'area_migration', task, st, parent=par, ref=spec['area'])
            E.trap('deep_delegation')
            ecv = Convo(E)
            for c in plan_of(E, 'plan', r.randint(1, 3)):
                step(E, ecv, c)
            fanout(E, ecv, spec['mods'], r.choice([4, 6, 8]), child)
            step(E, ecv, C('run_integration_tests', {'area': spec['area']}, 2000, L(r, 120, 0.6, 20, 900)))
            final(E, ecv, 500)
            return E
        groups = [{'area': '%s/area%d' % (P.ref, a), 'mods': specs[a::na]} for a in range(na)]
        fanout(P, cv, groups, na, lead)
    else:
        fanout(P, cv, specs, r.choice([8, 12, 16]), child)
    step(P, cv, C('run_ci', {'repo': P.ref}, 300, 2.0))
    poll(P, cv, 'ci_status', {'run': P.ref + '-ci'}, 45, 120, L(r, 900, 0.5, 240, 2700), llm_p=0.3)
    step(P, cv, C('open_pr', {'repo': P.ref}, 200, 1.5))
    final(P, cv, 1200)


def f_apifix(W, task, t, rw):
    worker(W, task, t, rw, tt='api_deprecation_fix', fmed=7)


def f_depbump(W, task, t, rw):
    r = W.r
    s = Sess(W, 'mig-dep-bumper', 'dependency_bump', task, t)
    cv = Convo(s)
    plan = plan_of(s, 'depbump', L(r, 5, 0.4, 2, 12))
    plan.append(C('run_tests', {'repo': s.ref}, 1500, L(r, 90, 0.7, 10, 600)))
    for f in range(wchoice(r, [(0, 60), (1, 28), (2, 12)])):
        plan.append(pick(s, 'depbump'))
        plan.append(C('run_tests', {'repo': s.ref}, 1500, L(r, 90, 0.7, 10, 600)))
    plan.append(C('git_push', {'repo': s.ref, 'branch': 'bump/' + s.ref}, 100, 1.5))
    if run_plan(s, cv, plan, 'depbump', rw, fin=False):
        return
    if r.random() < 0.3:
        poll(s, cv, 'ci_status', {'run': s.ref + '-ci'}, 30, 90, L(r, 600, 0.5, 150, 2000), llm_p=0.5)
    final(s, cv, 300)


def f_ci(W, task, t, rw):
    s = Sess(W, 'mig-ci-triager', 'ci_triage', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'ci', L(W.r, 7, 0.45, 3, 18)), 'ci', rw)


def f_mpr(W, task, t, rw):
    r = W.r
    kind = rw.kind if rw is not None else None
    Wk, cvW = worker(W, task, t, None, tt='migration_pr', fmed=4)
    R = None
    cvR = None
    returns = wchoice(r, [(0, 65), (1, 25), (2, 10)])
    pp = kind == 'ping_pong'
    k = r.randint(0, 1) if pp else None
    if pp:
        returns = max(returns, k)
    stale = {}
    rnd = 0
    while True:
        is_stale = pp and rnd >= k
        if pp and rnd == k:
            Wk.onset(rw)
        if rnd > 0:
            for j in range(r.randint(1, 3) if not is_stale else 2):
                if is_stale:
                    key = ('W', j, rnd % 2)
                    if key not in stale:
                        stale[key] = C('apply_edit', {'file': '%s/f%d' % (Wk.ref, j), 'fix': 'rv%d' % (rnd % 2)},
                                       900, 0.3)
                    step(Wk, cvW, stale[key])
                else:
                    step(Wk, cvW, pick(Wk, 'worker'))
        hand(Wk, cvW, 'mig-reviewer', {'pr': Wk.ref, 'rev': rnd if not is_stale else 's%d' % (rnd % 2)})
        if R is None:
            R = Sess(W, 'mig-reviewer', 'migration_pr', task, Wk.t + r.uniform(0.2, 2.0), parent=Wk, ref=Wk.ref)
            cvR = Convo(R)
        else:
            resume(R, Wk)
        if pp and rnd == k:
            R.join(rw, Wk)
        if kind == 'session_budget':
            run_plan(R, cvR, plan_of(R, 'mreview', r.randint(3, 8)), 'mreview', rw)
            return
        for j in range(r.randint(2, 5) if not is_stale else 2):
            if is_stale:
                key = ('R', j, rnd % 2)
                if key not in stale:
                    stale[key] = pick(R, 'mreview')
                step(R, cvR, stale[key])
            else:
                step(R, cvR, pick(R, 'mreview'))
        if is_stale or rnd < returns:
            hand(R, cvR, 'mig-module-worker', {'pr': Wk.ref, 'changes': rnd % 2 if is_stale else rnd})
            resume(Wk, R)
            if not is_stale:
                R.trap('handoff_rounds')
                Wk.trap('handoff_rounds')
            rnd += 1
            if pp and rnd > k and rw.done(Wk):
                return
            continue
        step(R, cvR, C('merge_pr', {'pr': Wk.ref}, 100, 2.0))
        final(R, cvR, 400)
        return


def f_codereview(W, task, t, rw):
    s = Sess(W, 'mig-reviewer', 'code_review', task, t)
    cv = Convo(s)
    run_plan(s, cv, plan_of(s, 'mreview', L(W.r, 8, 0.45, 3, 20)), 'mreview', rw,
             final_out=L(W.r, 1200, 0.4, 200, 5000))


def f_arch(W, task, t, rw):
    s = Sess(W, 'mig-architect', 'architecture_assessment', task, t)
    s.trap('new_pricey_agent')
    cv = Convo(s)
    cv.add(L(W.r, 60000, 0.4, 20000, 140000))
    run_plan(s, cv, plan_of(s, 'arch', L(W.r, 14, 0.4, 6, 28)), 'arch', rw, final_out=L(W.r, 5000, 0.4, 1000, 12000))


# ================================================================= domains
# task type -> (flow, weight, cycle, is_new_agent)
DOM = {
    'legal': dict(
        tenants=[('hartwell-llp', 5), ('meridian-legal', 3), ('northwind-gc', 2), ('bellweather-llp', 2),
                 ('corvid-insurance-legal', 1)],
        tasks={'matter_intake': (f_matter_intake, 22, 'day', False, 'corporate', 'intake'),
               'contract_review': (f_contract_review, 17, 'day', False, 'corporate', 'contract-review'),
               'clause_extraction': (f_clause_extraction, 15, 'flat', False, 'corporate', 'clause-extraction'),
               'redline': (f_redline, 12, 'day', False, 'corporate', 'redline'),
               'legal_research': (f_research, 12, 'day', False, 'litigation', 'research'),
               'ediscovery_review': (f_ediscovery, 1.0, 'night', False, 'litigation', 'ediscovery'),
               'privilege_log': (f_privilege_log, 9, 'flat', False, 'litigation', 'privilege-log'),
               'due_diligence': (f_diligence, 2.5, 'day', False, 'm-and-a', 'diligence'),
               'brief_drafting': (f_brief, 3.5, 'day', True, 'litigation', 'brief-drafting')},
        hosts={'loop_repeat': [('legal_research', 3), ('clause_extraction', 2), ('contract_review', 2),
                               ('ediscovery_review', 1), ('matter_intake', 1)],
               'loop_cycle': [('contract_review', 2), ('privilege_log', 2), ('legal_research', 2)],
               'ping_pong': [('redline', 1)],
               'step_runaway': [('legal_research', 2), ('clause_extraction', 2), ('privilege_log', 1),
                                ('matter_intake', 1)],
               'retry_storm': [('ediscovery_review', 1), ('clause_extraction', 2), ('privilege_log', 1),
                               ('matter_intake', 1)],
               'context_growth': [('contract_review', 2), ('legal_research', 2)],
               'subagent_fanout': [('due_diligence', 1)],
               'cost_spike': [('ediscovery_review', 2), ('clause_extraction', 2), ('contract_review', 2),
                              ('privilege_log', 1)],
               'session_budget': [('legal_research', 3), ('contract_review', 1)]}),
    'finance': dict(
        tenants=[('globex-corp', 5), ('initech-finance', 3), ('umbrella-holdings', 3), ('stark-treasury', 2),
                 ('wayne-ent', 1)],
        tasks={'ap_invoice_coding': (f_invoice, 27, 'day', False, 'ap', 'invoice-coding'),
               'fx_revaluation': (f_fx, 10, 'flat', False, 'treasury', 'fx-reval'),
               'journal_approval': (f_journal, 12, 'day', False, 'gl-accounting', 'journal-approval'),
               'ledger_reconciliation': (f_recon, 2.6, 'night', False, 'gl-accounting', 'reconciliation'),
               'month_end_close': (f_close, 2.2, 'flat', False, 'controllership', 'month-end-close'),
               'variance_analysis': (f_variance, 12, 'day', False, 'fpa', 'variance'),
               'payment_run_check': (f_payments, 11, 'day', False, 'treasury', 'payments'),
               'expense_audit': (f_expense, 12, 'day', False, 'ap', 'expense-audit'),
               'audit_sampling': (f_audit, 3.5, 'day', True, 'internal-audit', 'audit-copilot')},
        hosts={'loop_repeat': [('journal_approval', 2), ('month_end_close', 1), ('fx_revaluation', 2),
                               ('variance_analysis', 1), ('ap_invoice_coding', 1)],
               'loop_cycle': [('ledger_reconciliation', 2), ('variance_analysis', 2), ('payment_run_check', 1)],
               'ping_pong': [('journal_approval', 1)],
               'step_runaway': [('fx_revaluation', 2), ('variance_analysis', 2), ('ap_invoice_coding', 1),
                                ('expense_audit', 1)],
               'retry_storm': [('payment_run_check', 2), ('ledger_reconciliation', 1), ('ap_invoice_coding', 2)],
               'context_growth': [('variance_analysis', 2), ('ledger_reconciliation', 1)],
               'subagent_fanout': [('month_end_close', 1)],
               'cost_spike': [('ledger_reconciliation', 2), ('ap_invoice_coding', 2), ('expense_audit', 1),
                              ('variance_analysis', 1)],
               'session_budget': [('variance_analysis', 2), ('payment_run_check', 1)]},
        burst=[('month_end_close', 3), ('ledger_reconciliation', 2), ('fx_revaluation', 2.5),
               ('journal_approval', 2.5)]),
    'claims': dict(
        tenants=[('harborline-insurance', 5), ('pinecrest-mutual', 3), ('atlas-pc', 2), ('bluewater-re', 1)],
        tasks={'claim_fnol': (f_claim, 21, 'day', False, 'auto-claims', 'fnol-pipeline'),
               'customer_update': (f_comms, 30, 'day', False, 'customer-care', 'customer-updates'),
               'coverage_question': (f_coverage, 18, 'day', False, 'property-claims', 'coverage'),
               'subrogation_review': (f_subro, 8, 'flat', False, 'subrogation', 'subrogation'),
               'document_extraction': (f_docx, 8, 'night', False, 'property-claims', 'doc-rescan'),
               'siu_investigation': (f_siu, 3.5, 'day', True, 'siu', 'siu-copilot')},
        hosts={'loop_repeat': [('customer_update', 2), ('claim_fnol', 1), ('coverage_question', 1),
                               ('document_extraction', 1)],
               'loop_cycle': [('claim_fnol', 1), ('coverage_question', 1), ('subrogation_review', 1)],
               'ping_pong': [('claim_fnol', 1)],
               'step_runaway': [('subrogation_review', 2), ('coverage_question', 1)],
               'retry_storm': [('document_extraction', 2), ('claim_fnol', 1), ('customer_update', 1)],
               'context_growth': [('claim_fnol', 1), ('subrogation_review', 2)],
               'subagent_fanout': [('claim_fnol', 1)],
               'cost_spike': [('document_extraction', 2), ('customer_update', 1), ('subrogation_review', 1),
                              ('claim_fnol', 1)],
               'session_budget': [('claim_fnol', 1), ('subrogation_review', 1)]}),
    'migration': dict(
        tenants=[('fabrikam-eng', 5), ('contoso-platform', 3), ('tailspin-dev', 2), ('litware-labs', 2)],
        tasks={'repo_migration': (f_repo, 1.4, 'day', False, 'platform', None),
               'api_deprecation_fix': (f_apifix, 20, 'day', False, 'platform', None),
               'dependency_bump': (f_depbump, 29, 'flat', False, 'devex', None),
               'ci_triage': (f_ci, 16, 'day', False, 'devex', None),
               'migration_pr': (f_mpr, 11, 'day', False, 'payments-eng', None),
               'code_review': (f_codereview, 14, 'day', False, 'platform', None),
               'architecture_assessment': (f_arch, 3, 'day', True, 'platform', None)},
        hosts={'loop_repeat': [('api_deprecation_fix', 2), ('dependency_bump', 1)],
               'loop_cycle': [('api_deprecation_fix', 2), ('ci_triage', 1)],
               'ping_pong': [('migration_pr', 1)],
               'step_runaway': [('api_deprecation_fix', 2), ('ci_triage', 1)],
               'retry_storm': [('dependency_bump', 2), ('api_deprecation_fix', 1)],
               'context_growth': [('api_deprecation_fix', 2), ('ci_triage', 2)],
               'subagent_fanout': [('repo_migration', 1)],
               'cost_spike': [('api_deprecation_fix', 2), ('dependency_bump', 1), ('ci_triage', 1)],
               'session_budget': [('code_review', 2), ('migration_pr', 1)]}),
}
CAMPAIGNS = ['java17-upgrade', 'spring-boot-3', 'react-hooks', 'jest-to-vitest', 'py312-upgrade',
             'log4j-removal', 'angularjs-exit', 'k8s-api-v1']


def make_tags(W, task):
    r = W.r
    d = DOM[task.dom]
    spec = d['tasks'][task.tt]
    tags = {'tenant': wchoice(r, d['tenants']), 'team': spec[4],
            'feature': spec[5] if spec[5] else r.choice(CAMPAIGNS),
            'env': wchoice(r, [('prod', 93), ('staging', 5), ('dev', 2)])}
    if r.random() < 0.5:
        tags['labels'] = {'framework': {'legal': 'langgraph', 'finance': 'crewai', 'claims': 'openai-agents',
                                        'migration': 'claude-agent-sdk'}[task.dom],
                          'region': r.choice(['us-east-1', 'eu-west-1', 'eu-central-1'])}
    return tags


def sample_start(r, cyc, lo=0.0, hi=SPAN):
    f = CYCLES[cyc]
    while True:
        t = r.uniform(lo, hi)
        if r.random() < f((t / 3600.0) % 24):
            return t


def build(W, N):
    r = W.r
    doms = list(DOMAINS) if W.mixed else [W.profile]
    rate = r.uniform(0.026, 0.034)
    R = max(len(KINDS) * 4, int(round(N * rate)))
    kinds = []
    for i in range(R):
        kinds.append(KINDS[i % len(KINDS)])
    r.shuffle(kinds)
    tasks = []
    for i in range(N - R):
        dom = doms[i % len(doms)] if W.mixed else doms[0]
        d = DOM[dom]
        tt = wchoice(r, [(k, v[1]) for k, v in d['tasks'].items()])
        spec = d['tasks'][tt]
        lo = W.t_new if spec[3] else 0.0
        task = Task(W, dom, tt, None, None)
        if 'burst' in d and r.random() < 0.075:
            tt = wchoice(r, d['burst'])
            task.tt = tt
            bt, bw = (24 * 3600.0, 720.0) if r.random() < 0.7 else (18 * 3600.0, 900.0)
            task.start = bt + r.uniform(0, bw)
            task.burst = True
        else:
            task.start = sample_start(r, spec[2], lo)
        tasks.append(task)
    for kind in kinds:
        dom = r.choice(doms)
        d = DOM[dom]
        tt = wchoice(r, d['hosts'][kind])
        task = Task(W, dom, tt, sample_start(r, 'day', 0.3 * 3600, 29 * 3600), None)
        task.rw = RW(W, kind, dom)
        if kind == 'cost_spike' and task.rw.variant == 'context' and tt in ('ediscovery_review',):
            task.rw.variant = 'switch'
        tasks.append(task)
    tasks.sort(key=lambda x: x.start)
    for task in tasks:
        task.tags = make_tags(W, task)
        nlab = len(W.labels)
        DOM[task.dom]['tasks'][task.tt][0](W, task, task.start, task.rw)
        if task.burst:
            W.labels[nlab]['traps'].append('burst')
        W.labels[nlab]['top'] = True
    return len(tasks), R


def finish_labels(W):
    for lab in W.labels:
        if lab['label'] == 'normal':
            k = 'normal'
            for tname in TRAP_PRIORITY:
                if tname in lab['traps']:
                    k = tname
                    break
            lab['kind'] = k
        lab.setdefault('top', False)


def fmt_ts(t, epoch):
    ms = int(round(t * 1000.0))
    if epoch:
        return ms
    sec, msr = divmod(ms, 1000)
    return datetime.datetime.fromtimestamp(sec, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + \
        '.%03dZ' % msr


def write(W, out_path, lab_path):
    r = W.r
    items = []
    for (t, o, ev, s) in W.ev:
        ev['ts'] = fmt_ts(T0 + t, s.epoch_ms)
        items.append([t, o, ev])
    extra = []
    if W.mixed:
        n = len(items)
        for it in items:
            x = r.random()
            if x < 0.0007:        # late: appears a few seconds after its event time
                it[0] = it[0] + r.uniform(1.5, 8.0)
            elif x < 0.0007 + 0.002:  # redelivered duplicate appears later
                extra.append([it[0] + r.uniform(2.0, 900.0), n + len(extra), it[2]])
    items.extend(extra)
    items.sort(key=lambda x: (x[0], x[1]))
    with open(out_path, 'w') as f:
        for it in items:
            f.write(json.dumps(it[2], separators=(',', ':')))
            f.write('\n')
    with open(lab_path, 'w') as f:
        for lab in W.labels:
            f.write(json.dumps(lab, separators=(',', ':')))
            f.write('\n')
    return len(items)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--profile', choices=PROFILES, required=True)
    ap.add_argument('--sessions', type=int, required=True, help='top-level sessions (user tasks)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--labels', required=True)
    ap.add_argument('--catalog', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'models',
                                                      'model_prices_and_context_window.json'))
    a = ap.parse_args()
    cat = load_catalog(a.catalog)
    W = World(a.seed, a.profile, cat)
    ntop, R = build(W, a.sessions)
    finish_labels(W)
    n = write(W, a.out, a.labels)
    sys.stderr.write('fleet10 %s seed=%d: %d top-level sessions, %d sessions, %d runaways, %d event lines\n'
                     % (a.profile, a.seed, ntop, len(W.labels), R, n))


if __name__ == '__main__':
    main()
