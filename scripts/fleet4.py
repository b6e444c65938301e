#!/usr/bin/env python3
"""fleet4 -- synthetic agent-fleet usage events with labelled runaways.

Standard library only, deterministic for given arguments.

    python3 scripts/fleet4.py --seed N --profile research|analytics|voice|mixed \
        --sessions S --out EVENTS.ndjson --labels LABELS.ndjson

Written by a session that read only the contract (sections 1-2) and the
price catalog, not the detector. Behaviours, traps and the committed runs'
sizes: docs/evaluation.md (`builtin-8`).
"""
import argparse
import datetime as _dt
import hashlib
import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.normpath(os.path.join(
    HERE, '..', 'models', 'model_prices_and_context_window.json'))

RUNAWAY_KINDS = ['cost_spike', 'loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway',
                 'retry_storm', 'context_growth', 'subagent_fanout', 'session_budget']
TRAP_KINDS = ['normal', 'batch_edit', 'huge_doc', 'new_agent', 'long_task', 'legit_retry',
              'polling', 'writer_reviewer', 'wide_fanout', 'model_upgrade', 'day_peak',
              'pagination', 'escalation', 'handoff_return']

# ---------------------------------------------------------------- catalog / pricing


class Price:
    __slots__ = ('ip', 'op', 'cr', 'cw', 'rp', 'maxin', 'provider', 'incat')

    def __init__(self, ip, op, cr, cw, rp, maxin, provider, incat):
        self.ip, self.op, self.cr, self.cw, self.rp = ip, op, cr, cw, rp
        self.maxin, self.provider, self.incat = maxin, provider, incat

    def cost(self, i, o, c_r, c_w, r):
        cr = self.cr if self.cr is not None else self.ip
        cw = self.cw if self.cw is not None else self.ip
        rp = self.rp if self.rp is not None else self.op
        return i * self.ip + o * self.op + c_r * cr + c_w * cw + r * rp

    def blended(self):
        return 3000 * self.ip + 500 * self.op


def load_catalog(path):
    with open(path) as f:
        d = json.load(f)
    out = {}
    for k, v in d.items():
        if not isinstance(v, dict) or 'input_cost_per_token' not in v:
            continue
        out[k] = Price(float(v.get('input_cost_per_token') or 0), float(v.get('output_cost_per_token') or 0),
                       v.get('cache_read_input_token_cost'), v.get('cache_creation_input_token_cost'),
                       v.get('output_cost_per_reasoning_token'), int(v.get('max_input_tokens') or 128000),
                       v.get('litellm_provider', 'unknown'), True)
    return out


# models that are NOT in the catalog: gateway always reports cost_usd for them
OFF_CATALOG = {
    'ft:gpt-4.1-mini-2025-04-14:{org}:triage-v3:{sfx}': ('openai', 8e-7, 3.2e-6, 2e-7, None, 1000000),
    'ft:gpt-4o-mini-2024-07-18:{org}:billing:{sfx}': ('openai', 3e-7, 1.2e-6, 1.5e-7, None, 128000),
    'selfhosted/llama-3.1-8b-instruct-awq': ('vllm', 4e-8, 4e-8, None, None, 32000),
    'gpt-realtime-2025-08-28': ('openai', 4e-6, 1.6e-5, 4e-7, None, 32000),
    'selfhosted/qwen2.5-72b-instruct': ('vllm', 3e-7, 6e-7, None, None, 128000),
}

REASONING_MODELS = ('o1', 'o3', 'o4-mini', 'gpt-5', 'deepseek-reasoner', 'deepseek/deepseek-r1', 'claude-opus',
                    'claude-sonnet', 'gemini-2.5-pro', 'gemini/gemini-2.5-pro', 'magistral', 'gemini-3.1-pro',
                    'gemini/gemini-3.1-pro', 'gemini/deep-research')


def is_reasoning(m):
    base = m.split('/', 1)[1] if m.startswith('mistral/') else m
    return any(base.startswith(p) or m.startswith(p) for p in REASONING_MODELS)


# ---------------------------------------------------------------- small helpers

def lognorm(r, mu, sigma=0.5):
    return mu * math.exp(sigma * r.gauss(0.0, 1.0))


def ilog(r, mu, sigma=0.5, lo=1, hi=10 ** 9):
    return int(max(lo, min(hi, round(lognorm(r, mu, sigma)))))


def ahash(s, style):
    h = hashlib.blake2b(s.encode(), digest_size=16).hexdigest()
    if style == 0:
        return h[:16]
    if style == 1:
        return 'sha256:' + hashlib.sha256(s.encode()).hexdigest()[:24]
    return h


B36 = '0123456789abcdefghijklmnopqrstuvwxyz'
CROCK = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'


def b36(n):
    s = ''
    while True:
        n, k = divmod(n, 36)
        s = B36[k] + s
        if n == 0:
            return s


class Onset(Exception):
    pass


class Halt(Exception):
    """the recording window closed (or the session hit the generator's hard cap)"""
    pass


# ---------------------------------------------------------------- gateways (wire format habits)

class Gateway:
    def __init__(self, r, name):
        self.name = name
        self.ts_style = r.choice(['ms', 'ms', 'z', 'z', 'off', 'us', 'zs'])
        self.tz = r.choice([60, 120, -300, -240, 330, 0, 540])
        self.id_style = r.choice(['uuid', 'evt', 'ulid', 'comp'])
        self.omit_zero = r.random() < 0.5
        self.with_v = r.random() < 0.4
        self.cost_share = r.choice([0.0, 0.0, 0.25, 0.6, 1.0])
        self.discount = r.choice([1.0, 1.0, 1.0, 0.9, 0.85])
        self.tool_costs = r.random() < 0.5
        self.llm_tool_field = r.choice([0.0, 0.5, 1.0])
        self.hash_style = r.choice([0, 0, 1, 2])
        self.handoff_hash = r.random() < 0.7
        self.handoff_tool = r.random() < 0.5
        self.dims = r.random() < 0.5
        self.latency = r.random() < 0.85

    def fmt_ts(self, ms):
        if self.ts_style == 'ms':
            return ms
        if self.ts_style in ('z', 'us', 'zs'):
            d = _dt.datetime.fromtimestamp(ms / 1000.0, _dt.timezone.utc)
            if self.ts_style == 'z':
                return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (ms % 1000)
            if self.ts_style == 'zs':
                return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d+00:00' % (ms % 1000)
            return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d%03dZ' % (ms % 1000, (ms * 7) % 1000)
        tz = _dt.timezone(_dt.timedelta(minutes=self.tz))
        d = _dt.datetime.fromtimestamp(ms / 1000.0, tz)
        sign = '+' if self.tz >= 0 else '-'
        a = abs(self.tz)
        return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d%s%02d:%02d' % (ms % 1000, sign, a // 60, a % 60)

    def new_id(self, s):
        r = s.rng
        if self.id_style == 'uuid':
            h = '%032x' % r.getrandbits(128)
            return '%s-%s-4%s-%s-%s' % (h[:8], h[8:12], h[13:16], h[16:20], h[20:32])
        if self.id_style == 'evt':
            return 'evt_' + b36(r.getrandbits(72))
        if self.id_style == 'ulid':
            t = s.t
            out = ''
            for _ in range(10):
                t, k = divmod(t, 32)
                out = CROCK[k] + out
            return out + ''.join(CROCK[r.getrandbits(5)] for _ in range(16))
        return '%s:%d:%s' % (s.sid, s.seq, b36(r.getrandbits(20)))


# ---------------------------------------------------------------- agents

class Agent:
    def __init__(self, **kw):
        self.id = kw.pop('id')
        self.arche = kw.pop('arche')
        self.role = kw.pop('role', 'top')          # top | child | partner
        self.weight = kw.pop('weight', 1.0)
        self.tasks = kw.pop('tasks', [('generic', 1, 5, 20)])
        self.model = kw.pop('model')
        self.tools = kw.pop('tools', ['search'])
        self.out_mu = kw.pop('out_mu', 300)
        self.rsn_mu = kw.pop('rsn_mu', 0)
        self.cache = kw.pop('cache', True)
        self.sys = kw.pop('sys', 1500)
        self.compact_at = kw.pop('compact_at', 40000)
        self.gap = kw.pop('gap', (400, 0.8))        # think time median ms, sigma
        self.schedule = kw.pop('schedule', 'business')
        self.partner = kw.pop('partner', None)
        self.partners = kw.pop('partners', [])
        self.child = kw.pop('child', None)
        self.spawn_tool = kw.pop('spawn_tool', 'spawn_agent')
        self.escalate = kw.pop('escalate', None)
        self.tenants = kw.pop('tenants', ['acme'])
        self.deploy_t = None
        self.upgrade = None                          # (t_ms, model)
        self.agent_trap = None
        self.gw = None
        self.base = kw.pop('base', self.id)
        self.p = kw                                  # archetype extras

    def model_at(self, t):
        if self.upgrade and t >= self.upgrade[0]:
            return self.upgrade[1]
        return self.model


# ---------------------------------------------------------------- session builder

TOOL_LAT = {  # median ms, sigma
    'web_search': (900, 0.5), 'fetch_url': (1400, 0.8), 'read_pdf': (4000, 0.7), 'search_arxiv': (1100, 0.5),
    'vector_search': (120, 0.5), 'rerank': (260, 0.4), 'resolve_doi': (500, 0.6), 'extract_table': (2500, 0.6),
    'search_pubmed': (1300, 0.5), 'write_report': (300, 0.4), 'screen_abstract': (150, 0.4),
    'run_sql': (2500, 1.2), 'describe_table': (300, 0.5), 'list_tables': (250, 0.4), 'fetch_rows': (700, 0.6),
    'submit_job': (900, 0.4), 'job_status': (150, 0.4), 'exec_python': (1800, 1.0), 'update_tile': (350, 0.4),
    'call_api': (600, 0.7), 'read_logs': (1200, 0.7), 'write_file': (400, 0.5), 'upload_artifact': (900, 0.5),
    'lookup_account': (180, 0.5), 'check_order_status': (250, 0.5), 'kb_search': (140, 0.5),
    'schedule_callback': (300, 0.4), 'create_ticket': (400, 0.4), 'update_crm_field': (220, 0.4),
    'fetch_transcript': (600, 0.5), 'list_calls': (400, 0.4), 'send_sms': (350, 0.4), 'issue_refund': (700, 0.5),
    'verify_identity': (500, 0.5), 'reset_router': (2000, 0.6), 'run_diagnostics': (3500, 0.6),
}
TOOL_OUT = {  # tokens the tool result adds to the context
    'web_search': 1400, 'fetch_url': 5000, 'read_pdf': 14000, 'search_arxiv': 1600, 'vector_search': 3500,
    'rerank': 600, 'resolve_doi': 250, 'extract_table': 2500, 'search_pubmed': 1800, 'screen_abstract': 300,
    'run_sql': 1200, 'describe_table': 700, 'list_tables': 500, 'fetch_rows': 2200, 'exec_python': 900,
    'read_logs': 4000, 'call_api': 800, 'fetch_transcript': 9000, 'kb_search': 900, 'lookup_account': 250,
}
TOOL_COST = {'web_search': 0.005, 'fetch_url': 0.001, 'read_pdf': 0.004, 'run_sql': 0.012, 'search_arxiv': 0.0,
             'exec_python': 0.0004, 'send_sms': 0.0079, 'search_pubmed': 0.0}


class Sess:
    def __init__(self, G, A, sid, task_id, task_type, parent, t0, rng, tenant, L):
        self.G, self.A, self.sid, self.task_id, self.task_type = G, A, sid, task_id, task_type
        self.parent, self.t, self.rng, self.tenant, self.L = parent, int(t0), rng, tenant, L
        self.start = int(t0)
        self.n = 0
        self.seq = 0
        self.lines = []
        self.model = A.model_at(t0)
        self.hist = A.sys
        self.pending = rng.randint(60, 900)
        self.warm = rng.random() < 0.8
        self.runaway = None
        self.onset_k = None
        self.in_run = False
        self.onset_id = None
        self.trap = None
        self.part_of = None
        self.kind_override = None
        self.nocompact = False
        self.nocache = False
        self.gw = A.gw
        self.argc = 0
        self.cur = A           # agent currently holding the conversation
        self.feature = rng.choice(A.p.get('features', ['default']))

    # ---- ids / args
    def uargs(self, tool):
        self.argc += 1
        return '%s|%s|%d|%x' % (tool, self.sid, self.argc, self.rng.getrandbits(40))

    # ---- emission
    def _emit(self, ev, dur, gap, agent):
        if self.runaway and not self.in_run and self.n >= self.onset_k:
            raise Onset()
        if self.in_run and (self.t > self.G.t_end or self.n >= self.G.max_actions):
            raise Halt()
        self.t += int(max(0, gap)) + int(max(1, dur))
        gw = self.gw
        eid = gw.new_id(self)
        self.seq += 1
        if self.in_run and self.onset_id is None:
            self.onset_id = eid
        a = agent or self.cur
        o = {}
        if gw.with_v:
            o['v'] = 1
        o['event_id'] = eid
        o['ts'] = gw.fmt_ts(self.t)
        o['session_id'] = self.sid
        o['agent_id'] = a.id
        o['task_type'] = self.task_type
        o['task_id'] = self.task_id
        if self.parent:
            o['parent_session_id'] = self.parent
        o['tenant'] = self.tenant
        if gw.dims:
            o['team'] = a.p.get('team', 'platform')
            o['feature'] = self.feature
            o['env'] = 'prod'
        o.update(ev)
        if gw.latency:
            o['latency_ms'] = int(dur)
        if gw.omit_zero:
            for k in ('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'):
                if o.get(k) == 0:
                    del o[k]
            if o.get('status') == 'ok' and self.rng.random() < 0.7:
                del o['status']
        self.lines.append((self.t, json.dumps(o, separators=(',', ':'))))
        self.n += 1
        return eid

    def think(self, agent=None):
        a = agent or self.cur
        return lognorm(self.rng, a.gap[0], a.gap[1])

    # ---- one LLM call
    def llm(self, out=None, rsn=None, agent=None, model=None, tool=None, status='ok', gap=None,
            force_in=None, force_cr=None, nocache=False, zero=False):
        r = self.rng
        a = agent or self.cur
        m = model or (self.model if a is self.A else a.model_at(self.t))
        P = self.G.price(m)
        new = self.pending
        self.pending = 0
        lim = P.maxin
        if not self.nocompact and self.hist + new > 0.85 * lim:
            # the framework truncates oversized tool output / old turns to fit the window
            new = int(min(new, 0.3 * lim))
            self.hist = int(min(self.hist, 0.3 * lim))
        if out is None:
            out = ilog(r, a.out_mu, 0.6, 3, 16000)
        if rsn is None:
            rsn = ilog(r, a.rsn_mu, 0.7, 0, 60000) if (a.rsn_mu and is_reasoning(m)) else 0
        cw = 0
        use_cache = a.cache and P.cr is not None and not nocache and not self.nocache
        if force_in is not None:
            inp, cr = force_in, (force_cr or 0)
        elif use_cache:
            cr = self.hist if (self.warm or self.n > 0) else 0
            inp = new + (0 if cr else self.hist)
            if P.cw is not None and r.random() < 0.6:
                cw = int(new * r.uniform(0.5, 1.0))
                inp = max(0, inp - cw)
        else:
            inp, cr = self.hist + new, 0
        if inp + cr + cw > P.maxin:
            # context window overflow -> provider refuses
            inp, cr, cw, out, rsn, status = 0, 0, 0, 0, 0, 'error'
        if zero:
            inp, cr, cw, out, rsn = 0, 0, 0, 0, 0
        if status != 'ok' and not zero and force_in is None:
            out, rsn = 0, 0
        ev = {'kind': 'llm', 'model': m, 'provider': P.provider,
              'input_tokens': int(inp), 'output_tokens': int(out), 'cache_read_tokens': int(cr),
              'cache_write_tokens': int(cw), 'reasoning_tokens': int(rsn), 'status': status}
        gw = self.gw
        cost = P.cost(inp, out, cr, cw, rsn)
        if (not P.incat) or r.random() < gw.cost_share:
            ev['cost_usd'] = round(cost * (gw.discount if P.incat else 1.0), 8)
        if tool and r.random() < gw.llm_tool_field:
            ev['tool'] = tool
        tok_ms = a.p.get('tok_ms', 12)
        dur = lognorm(r, 350 + 0.02 * (inp + cr), 0.3) + (out + rsn) * tok_ms * r.uniform(0.7, 1.3)
        if status != 'ok':
            dur = lognorm(r, 400, 0.8)
        if gap is None:
            gap = self.think(a)
        self._emit(ev, dur, gap, a)
        if status == 'ok':
            self.hist += new + out
            if not self.nocompact and self.hist > min(a.compact_at, 0.6 * P.maxin):
                self.compact(a)
        else:
            self.pending = new
        return cost

    def compact(self, a):
        r = self.rng
        keep = self.hist
        self.hist = a.sys
        self.pending = 0
        s_out = ilog(r, 1500, 0.4, 200, 6000)
        self.llm(out=s_out, rsn=0, agent=a, force_in=keep, force_cr=0, gap=r.uniform(20, 200))
        self.hist = a.sys + s_out

    # ---- one tool call
    def tool(self, name, args, status='ok', gap=None, agent=None, dur=None, result=None):
        r = self.rng
        gw = self.gw
        a = agent or self.cur
        ev = {'kind': 'tool', 'tool': name, 'args_hash': ahash(args, gw.hash_style), 'status': status}
        if gw.tool_costs and name in TOOL_COST and TOOL_COST[name] > 0:
            c = TOOL_COST[name]
            if name == 'run_sql':
                c = lognorm(r, c, 1.0)
            ev['cost_usd'] = round(c, 6)
        if dur is None:
            mu, sg = TOOL_LAT.get(name, (500, 0.6))
            dur = lognorm(r, mu, sg)
            if status == 'error':
                dur = r.choice([lognorm(r, 120, 0.5), lognorm(r, 30000, 0.2)])
        if gap is None:
            gap = self.think(a) * 0.3
        self._emit(ev, dur, gap, a)
        if result is None:
            result = ilog(r, TOOL_OUT.get(name, 400), 0.6, 20, 200000) if status == 'ok' else r.randint(30, 200)
        self.pending += result

    def handoff(self, frm, to, payload, gap=None):
        r = self.rng
        gw = self.gw
        ev = {'kind': 'handoff', 'target_agent_id': to.id, 'status': 'ok'}
        if gw.handoff_tool:
            ev['tool'] = 'transfer_to_' + to.base.replace('-', '_')
        if gw.handoff_hash:
            ev['args_hash'] = ahash(payload, gw.hash_style)
        if gap is None:
            gap = self.think(frm) * 0.5
        self._emit(ev, lognorm(r, 60, 0.5), gap, frm)
        self.cur = to
        self.pending += r.randint(100, 500)

    def wait(self, ms):
        self.t += int(ms)

    # ---- sub-agents
    def spawn(self, childA, task_type, kind='normal', part_of=None, L=None, delay=None):
        args = self.uargs(self.A.spawn_tool)
        self.tool(self.A.spawn_tool, args, gap=self.rng.uniform(30, 400), dur=self.rng.uniform(40, 300), result=40)
        t0 = self.t + (delay if delay is not None else self.rng.uniform(150, 2500))
        ch = self.G.new_session(childA, self.task_id, task_type, self.sid, t0, self.tenant, L=L)
        ch.kind_override = kind
        ch.part_of = part_of
        if part_of:
            ch.label_runaway = True
        self.G.run_normal(ch)
        return ch

    def wait_children(self, kids):
        if kids:
            self.t = max(self.t, max(k.t for k in kids)) + int(self.rng.uniform(200, 4000))
        for k in kids:
            self.pending += ilog(self.rng, 700, 0.5, 50, 20000)


# ================================================================ archetypes (normal behaviour)

def pick_tool(s, tools=None):
    tools = tools or s.A.tools
    return s.rng.choice(tools)


def work_step(s, p_llm=0.7, tools=None, agent=None):
    """one unit of ordinary varied work: a tool call with fresh args, usually followed by an LLM call"""
    t = pick_tool(s, tools)
    s.tool(t, s.uargs(t), agent=agent)
    if s.rng.random() < p_llm:
        s.llm(tool=pick_tool(s, tools), agent=agent)


def maybe_legit_retry(s, tool, p):
    """2-3 failed attempts then success (429/5xx with backoff)"""
    r = s.rng
    if r.random() >= p:
        return False
    args = s.uargs(tool)
    k = r.randint(2, 3)
    back = r.uniform(300, 1500)
    for i in range(k):
        s.tool(tool, args, status=r.choice(['error', 'retry']), gap=back)
        back *= r.uniform(1.6, 2.5)
    s.tool(tool, args, gap=back)
    s.trap = s.trap or 'legit_retry'
    return True


# ---- research

def g_planner(s):
    r, A = s.rng, s.A
    s.llm(out=ilog(r, 1200, 0.4), rsn=ilog(r, A.rsn_mu * 2 + 1, 0.5) if A.rsn_mu else 0)
    for _ in range(r.randint(0, 3)):
        s.tool('web_search', s.uargs('web_search'))
    s.llm()
    if s.task_type == 'wide_survey':
        k, kind, ctt = r.randint(30, 60), 'wide_fanout', 'survey_slice'
        s.trap = 'wide_fanout'
    else:
        k, kind, ctt = r.randint(3, 15), 'normal', 'web_research'
    kids = []
    for i in range(k):
        ch = A.child if r.random() < 0.7 else A.p.get('child2', A.child)
        L = r.randint(6, 18) if ctt == 'survey_slice' else None
        kids.append(s.spawn(ch, ctt, kind=kind, L=L))
    s.wait_children(kids)
    for _ in range(r.randint(2, 6)):
        s.llm(out=ilog(r, 2500, 0.5))
    if r.random() < 0.06:
        huge_doc(s)
    s.tool('write_report', s.uargs('write_report'))


def g_researcher(s):
    r, A = s.rng, s.A
    L = s.L
    s.llm()
    while s.n < L:
        t = r.choice(A.tools)
        if not maybe_legit_retry(s, t, 0.015):
            s.tool(t, s.uargs(t))
        if r.random() < 0.6:
            s.llm(tool=r.choice(A.tools))
    s.llm(out=ilog(r, 1200, 0.5))


def g_rag(s):
    r = s.rng
    for _ in range(max(1, s.L // 3)):
        s.tool('vector_search', s.uargs('vector_search'))
        if r.random() < 0.6:
            s.tool('rerank', s.uargs('rerank'))
        s.llm(tool='vector_search')
    if r.random() < 0.04:
        huge_doc(s)


def g_systematic(s):
    r = s.rng
    s.trap = 'long_task'
    s.llm(out=ilog(r, 1500, 0.4))
    while s.n < s.L:
        work_step(s, p_llm=0.55)


def g_factcheck(s):
    r = s.rng
    for _ in range(r.randint(2, 7)):
        s.tool('web_search', s.uargs('web_search'))
        if not maybe_legit_retry(s, 'fetch_url', 0.12):
            s.tool('fetch_url', s.uargs('fetch_url'))
        s.llm(tool='web_search')


def g_batch(s):
    """batch edits: one tool, many distinct args (e.g. resolve every citation, update every tile)"""
    r, A = s.rng, s.A
    bt = A.p['batch_tool']
    s.llm()
    if r.random() < A.p.get('p_batch', 0.5):
        s.trap = 'batch_edit'
        n = r.randint(*A.p.get('batch_n', (30, 150)))
        every = r.randint(6, 20)
        for i in range(n):
            s.tool(bt, s.uargs(bt), gap=r.uniform(50, 600))
            if i % every == every - 1 and r.random() < 0.7:
                s.llm(tool=bt, out=ilog(r, 200, 0.5))
    else:
        for _ in range(r.randint(3, 10)):
            s.tool(bt, s.uargs(bt))
        s.llm()


def g_writer(s):
    """writer / reviewer iterations via handoffs (2-5 rounds normal)"""
    r, A = s.rng, s.A
    rev = A.partner
    s.trap = 'writer_reviewer'
    for _ in range(r.randint(0, 3)):
        work_step(s, 0.4)
    s.llm(out=ilog(r, 2500, 0.4))
    work = s.uargs('draft')
    for rnd in range(r.randint(2, 5)):
        s.handoff(A, rev, work + ':rev%d' % rnd)
        s.llm(agent=rev, out=ilog(r, 800, 0.5))
        if r.random() < 0.3:
            t = r.choice(rev.tools)
            s.tool(t, s.uargs(t), agent=rev)
        s.handoff(rev, A, work + ':ret%d' % rnd)
        s.llm(out=ilog(r, 2500, 0.4))
    t = A.p.get('publish_tool', 'write_file')
    s.tool(t, s.uargs(t))


def huge_doc(s):
    """one very expensive action: an enormous document in a single call"""
    r = s.rng
    P = s.G.price(s.model)
    big = int(min(P.maxin * 0.92, r.uniform(120000, 900000)))
    s.tool('read_pdf', s.uargs('read_pdf'), result=0, dur=lognorm(r, 15000, 0.4))
    s.llm(force_in=big, force_cr=0, out=ilog(r, 3000, 0.4), rsn=0)
    s.trap = s.trap or 'huge_doc'


def g_doc(s):
    r = s.rng
    s.tool('read_pdf', s.uargs('read_pdf'))
    s.llm()
    if r.random() < s.A.p.get('p_huge', 0.25):
        huge_doc(s)
    while s.n < s.L:
        work_step(s, 0.8)
    s.llm(out=ilog(r, 1800, 0.4))


# ---- analytics

def g_sql(s):
    r = s.rng
    s.tool('list_tables', s.uargs('list_tables'))
    for _ in range(r.randint(1, 4)):
        s.tool('describe_table', s.uargs('describe_table'))
    s.llm(tool='run_sql')
    while s.n < s.L:
        if r.random() < 0.1:      # SQL error, model fixes it (args differ)
            s.tool('run_sql', s.uargs('run_sql'), status='error')
            s.llm(tool='run_sql')
        s.tool('run_sql', s.uargs('run_sql'))
        s.llm(tool='run_sql')
    s.llm(out=ilog(r, 900, 0.5))


def g_exporter(s):
    r = s.rng
    s.llm(tool='run_sql')
    q = s.uargs('run_sql')
    s.tool('run_sql', q)
    if r.random() < 0.7:
        pages = r.randint(20, 200)
        s.trap = 'pagination'
    else:
        pages = r.randint(2, 10)
    cursor_style = r.random() < 0.5
    for p in range(pages):
        a = '%s|cursor=%x' % (q, r.getrandbits(48)) if cursor_style else '%s|page=%d' % (q, p + 1)
        s.tool('fetch_rows', a, gap=r.uniform(20, 300), result=0)
        if r.random() < 0.04:
            s.llm(out=ilog(r, 80, 0.5), tool='fetch_rows')
    s.pending += 3000
    s.llm(tool='write_file')
    s.tool('write_file', s.uargs('write_file'))


def g_etl(s):
    r, A = s.rng, s.A
    s.llm(out=ilog(r, 600, 0.5))
    kids = []
    if A.child and r.random() < 0.5:
        for _ in range(r.randint(2, 8)):
            kids.append(s.spawn(A.child, 'partition_query'))
    job = s.uargs('job_status')
    s.tool('submit_job', s.uargs('submit_job'))
    polls = r.randint(5, 40) if r.random() < 0.8 else r.randint(1, 4)
    if polls >= 5:
        s.trap = 'polling'
    period = r.uniform(10000, 120000)
    for i in range(polls):
        s.tool('job_status', job, gap=period * r.uniform(0.9, 1.1), result=60)
    if kids:
        s.wait_children(kids)
    s.llm(out=ilog(r, 500, 0.5))


def g_worker(s):
    r = s.rng
    while s.n < s.L:
        work_step(s, 0.5)
    s.llm()


def g_notebook(s):
    r = s.rng
    s.llm(tool='exec_python')
    while s.n < s.L:
        s.llm(tool='exec_python')
        if r.random() < 0.12:
            s.tool('exec_python', s.uargs('exec_python'), status='error')
            s.llm(tool='exec_python')
        s.tool('exec_python', s.uargs('exec_python'))
    s.llm(out=ilog(r, 1200, 0.5))


def g_long(s):
    r = s.rng
    s.trap = 'long_task'
    s.llm(out=ilog(r, 800, 0.5))
    while s.n < s.L:
        work_step(s, 0.6)
    s.llm(out=ilog(r, 2000, 0.4))


def g_connector(s):
    r = s.rng
    s.llm(tool='call_api')
    while s.n < s.L:
        if not maybe_legit_retry(s, 'call_api', 0.25):
            s.tool('call_api', s.uargs('call_api'))
        if r.random() < 0.3:
            s.llm(tool='call_api')
    s.llm()


def g_short(s):
    while s.n < s.L:
        work_step(s, 0.5)
    s.llm()


# ---- voice

def g_call(s):
    """a voice / chat conversation: many short cheap turns, handoffs and returns, rare escalation"""
    r, A = s.rng, s.A
    T = s.L
    parts = A.partners
    ho_turns = set()
    if parts and r.random() < A.p.get('p_handoff', 0.35):
        for _ in range(r.randint(1, 3)):
            ho_turns.add(r.randint(3, max(4, T - 5)))
    esc_turn = r.randint(3, max(4, T - 3)) if (A.escalate and r.random() < A.p.get('p_esc', 0.08)) else -1
    user_gap = A.p.get('user_gap', (4000, 0.6))
    turn = 0
    while turn < T:
        s.pending += ilog(r, A.p.get('user_tok', 45), 0.7, 3, 2000)
        gap = lognorm(r, user_gap[0], user_gap[1])
        if r.random() < A.p.get('p_tool', 0.1):
            tl = r.choice(A.tools)
            s.llm(tool=tl, gap=gap, out=ilog(r, 30, 0.4))
            if not maybe_legit_retry(s, tl, 0.01):
                s.tool(tl, s.uargs(tl))
            s.llm()
        else:
            s.llm(gap=gap)
        turn += 1
        if turn in ho_turns and s.cur is A:
            B = r.choice(parts)
            s.handoff(A, B, s.uargs('handoff'))
            s.trap = s.trap or 'handoff_return'
            k = r.randint(3, 25)
            for _ in range(k):
                s.pending += ilog(r, A.p.get('user_tok', 45), 0.7, 3, 2000)
                s.llm(agent=B, gap=lognorm(r, user_gap[0], user_gap[1]))
                if r.random() < 0.2:
                    tl = r.choice(B.tools)
                    s.tool(tl, s.uargs(tl), agent=B)
                    s.llm(agent=B)
            turn += k
            s.handoff(B, A, s.uargs('handoff'))
        if turn == esc_turn:
            s.trap = 'escalation'
            for _ in range(r.randint(2, 6)):
                s.pending += ilog(r, 60, 0.6)
                s.llm(model=A.escalate, gap=lognorm(r, user_gap[0], user_gap[1]), out=ilog(r, 220, 0.5))
                turn += 1


def g_postcall(s):
    r, A = s.rng, s.A
    s.tool('list_calls', s.uargs('list_calls'))
    s.llm()
    kids = [s.spawn(A.child, 'call_summary') for _ in range(r.randint(3, 10))]
    s.wait_children(kids)
    s.llm(out=ilog(r, 700, 0.5))
    s.tool('write_file', s.uargs('write_file'))


def g_summarizer(s):
    r = s.rng
    s.tool('fetch_transcript', s.uargs('fetch_transcript'))
    s.llm(out=ilog(r, 400, 0.4))
    if r.random() < 0.5:
        s.tool('update_crm_field', s.uargs('update_crm_field'))


def g_qa(s):
    r = s.rng
    s.tool('fetch_transcript', s.uargs('fetch_transcript'))
    s.llm()
    if r.random() < 0.05:
        huge_doc(s)
    while s.n < s.L:
        s.llm(out=ilog(r, 250, 0.5))


ARCHES = {'planner': g_planner, 'researcher': g_researcher, 'rag': g_rag, 'systematic': g_systematic,
          'factcheck': g_factcheck, 'batch': g_batch, 'writer': g_writer, 'doc': g_doc, 'sql': g_sql,
          'exporter': g_exporter, 'etl': g_etl, 'worker': g_worker, 'notebook': g_notebook, 'long': g_long,
          'connector': g_connector, 'short': g_short, 'call': g_call, 'postcall': g_postcall,
          'summarizer': g_summarizer, 'qa': g_qa, 'partner': g_short}


# ================================================================ runaway behaviours (after onset)

def typical(s):
    for name, w, lo, hi in s.A.tasks:
        if name == s.task_type:
            return (lo + hi) / 2.0
    return 20.0


def is_voice(s):
    return s.A.arche == 'call'


def turn_gap(s):
    if is_voice(s):
        ug = s.A.p.get('user_gap', (4000, 0.6))
        return lognorm(s.rng, ug[0], ug[1])
    return None


def rw_loop_repeat(s):
    r = s.rng
    t = r.choice(s.A.tools)
    args = s.uargs(t)
    n = r.randint(150, 900)
    between = r.choice([0.0, 0.5, 0.9, 1.0, 1.0])
    small = r.random() < 0.5
    for _ in range(n):
        if r.random() < between:
            s.llm(tool=t, out=ilog(r, 60 if small else s.A.out_mu, 0.4), gap=turn_gap(s))
        s.tool(t, args, status='ok' if r.random() > 0.05 else 'error')


def rw_loop_cycle(s):
    r = s.rng
    L = r.randint(2, 6)
    pool = list(s.A.tools)
    cyc = []
    for i in range(L):
        if i > 0 and r.random() < 0.3:
            cyc.append(('llm', None))
        else:
            t = r.choice(pool)
            cyc.append((t, s.uargs(t)))
    if all(c[0] == 'llm' for c in cyc[1:]) and L > 1:
        t = r.choice(pool)
        cyc[-1] = (t, s.uargs(t))
    noise = r.choice([0.0, 0.02, 0.06])
    total = r.randint(200, 1200)
    while total > 0:
        for t, a in cyc:
            if t == 'llm':
                s.llm(out=ilog(r, 120, 0.4), gap=turn_gap(s))
            else:
                s.tool(t, a)
            total -= 1
            if r.random() < noise:
                s.llm(out=ilog(r, 80, 0.5))


def rw_ping_pong(s):
    r, A = s.rng, s.A
    B = A.partner or (A.partners[0] if A.partners else None)
    if B is None:
        return rw_loop_cycle(s)
    if s.cur is not A:
        s.handoff(s.cur, A, s.uargs('handoff'))
    payload = s.uargs('handoff')
    vary = r.random() < 0.3          # payload re-serialised each time (hash changes) in some stacks
    p_llm = r.choice([0.0, 0.5, 1.0, 1.0])
    rounds = r.randint(60, 350)
    cur, oth = A, B
    for i in range(rounds):
        if r.random() < p_llm:
            s.llm(agent=cur, out=ilog(r, 90, 0.5))
        s.handoff(cur, oth, payload + ('|%d' % i if vary else ''), gap=r.uniform(80, 1500))
        cur, oth = oth, cur


def rw_work(s, n, p_llm=0.7, gapfn=None):
    for _ in range(n):
        g = turn_gap(s)
        t = pick_tool(s)
        if is_voice(s):
            s.pending += ilog(s.rng, 45, 0.7)
            s.llm(gap=g)
            if s.rng.random() < 0.2:
                s.tool(t, s.uargs(t))
        else:
            s.tool(t, s.uargs(t))
            if s.rng.random() < p_llm:
                s.llm(tool=pick_tool(s))


def rw_step_runaway(s):
    r = s.rng
    n = int(min(3000, max(200, typical(s) * r.uniform(8, 30))))
    rw_work(s, n, p_llm=r.uniform(0.4, 0.9))


def rw_retry_storm(s):
    r = s.rng
    style = r.choice(['agent', 'gateway', 'mixed'])
    n = r.randint(150, 800)
    t = r.choice(s.A.tools)
    args = s.uargs(t)
    back0 = r.uniform(100, 800)
    cap = r.uniform(2000, 30000)
    k = 0
    for i in range(n):
        back = min(cap, back0 * (1.5 ** min(k, 30))) * r.uniform(0.5, 1.0)
        k += 1
        if r.random() < 0.04:          # a lucky success, then it breaks again
            k = 0
        mode = style if style != 'mixed' else r.choice(['agent', 'gateway'])
        if mode == 'agent':
            if r.random() < 0.25:
                args = s.uargs(t)      # the agent tweaks its arguments
            st = 'ok' if k == 0 else r.choice(['error', 'error', 'retry'])
            s.tool(t, args, status=st, gap=back)
            if r.random() < 0.8:
                s.llm(tool=t, out=ilog(r, 120, 0.5))
        else:
            st = 'ok' if k == 0 else r.choice(['retry', 'retry', 'error'])
            s.llm(status=st, gap=back, zero=(st != 'ok' and r.random() < 0.6))


def rw_context_growth(s):
    r, A = s.rng, s.A
    s.nocompact = True
    s.nocache = r.random() < 0.8
    P = s.G.price(s.model)
    step = max(250, min(8000, P.maxin * r.uniform(0.003, 0.02)))
    maxsteps = r.randint(120, 500)
    i = 0
    while i < maxsteps:
        t = pick_tool(s)
        s.tool(t, s.uargs(t), result=ilog(r, step, 0.25))
        s.llm(tool=t, gap=turn_gap(s))
        i += 1
        if s.hist + s.pending > P.maxin * 0.97:
            for _ in range(r.randint(1, 4)):
                s.llm(status='error')
            if i > 100 and r.random() < 0.5:
                break
            # the framework truncates to 60% and the growth goes on
            s.hist = int(P.maxin * 0.6)
            s.pending = 0


def rw_cost_spike(s):
    r = s.rng
    s.model = s.G.pricier(s.model, 5.0, 10.0, s.rng)
    n = int(min(2500, max(100, typical(s) * r.uniform(2, 8))))
    rw_work(s, n, p_llm=0.8)


def rw_session_budget(s):
    r, A = s.rng, s.A
    # a session that just keeps going with heavy-but-ordinary calls; context plateaus high
    A2 = s.A
    s.hist = max(s.hist, int(min(s.G.price(s.model).maxin * 0.5, r.uniform(30000, 120000))))
    s.nocompact = True
    s.nocache = r.random() < 0.5
    n = int(min(3000, max(300, typical(s) * r.uniform(10, 40))))
    plateau = s.hist
    for _ in range(n):
        t = pick_tool(s)
        if not is_voice(s) or r.random() < 0.3:
            s.tool(t, s.uargs(t), result=r.randint(50, 600))
        s.llm(tool=t, gap=turn_gap(s), out=ilog(r, A2.out_mu * 1.5, 0.5))
        if s.hist > plateau * 1.1:
            s.hist = int(plateau * r.uniform(0.9, 1.0))


def rw_fanout(s):
    r, A = s.rng, s.A
    target = r.randint(40, 200)
    made = 0
    ctt = r.choice(['web_research', 'deep_dive', 'partition_query', 'call_summary']) if A.child else 'x'
    ctt = {'planner': 'web_research', 'etl': 'partition_query', 'postcall': 'call_summary'}.get(A.arche, ctt)
    while made < target:
        wave = min(target - made, r.randint(4, 25))
        s.llm(out=ilog(r, 600, 0.5))
        kids = []
        for _ in range(wave):
            ch = A.child if r.random() < 0.7 else A.p.get('child2', A.child)
            kids.append(s.spawn(ch, ctt, kind='subagent_fanout', part_of=s.sid))
            made += 1
        if r.random() < 0.7:
            s.wait_children(kids)


RUNAWAYS = {'loop_repeat': rw_loop_repeat, 'loop_cycle': rw_loop_cycle, 'ping_pong': rw_ping_pong,
            'step_runaway': rw_step_runaway, 'retry_storm': rw_retry_storm, 'context_growth': rw_context_growth,
            'cost_spike': rw_cost_spike, 'session_budget': rw_session_budget, 'subagent_fanout': rw_fanout}


def supports(A, kind):
    if kind == 'subagent_fanout':
        return A.child is not None and A.arche in ('planner', 'etl', 'postcall')
    if kind == 'ping_pong':
        return A.partner is not None or bool(A.partners)
    return True


# ================================================================ fleets

def model_ok(G, m):
    return m in G.cat


def choose(r, G, names):
    ok = [m for m in names if G.price_or_none(m) is not None]
    return r.choice(ok)


def namer(r, profile):
    style = r.choice(['kebab', 'dotted', 'snake', 'opaque', 'kebabver'])
    org = r.choice(['acme', 'globex', 'initech', 'northwind', 'contoso', 'umbra'])

    def nm(base):
        if style == 'kebab':
            return base
        if style == 'dotted':
            return '%s.%s.%s' % (org, profile[:5], base.replace('-', '_'))
        if style == 'snake':
            return base.replace('-', '_')
        if style == 'opaque':
            return 'agt_%06x' % r.getrandbits(24)
        return '%s-v%d' % (base, r.randint(1, 7))
    return nm, org


SMALL = ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-5-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash',
         'gemini-2.5-flash-lite', 'mistral/mistral-small-latest', 'meta.llama3-8b-instruct-v1:0',
         'deepseek-chat', 'gemini-3.1-flash-lite', 'us.meta.llama3-1-8b-instruct-v1:0', 'mistral/ministral-8b-latest',
         'gpt-4.1-nano', 'gpt-5-nano']
MID = ['gpt-4.1', 'gpt-5', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'mistral/mistral-medium-latest',
       'mistral/mistral-large-latest', 'us.meta.llama3-1-70b-instruct-v1:0', 'deepseek/deepseek-v4-pro', 'gpt-5.1',
       'claude-sonnet-4-6', 'gemini/gemini-2.5-pro']
REASON = ['o3', 'o4-mini', 'gpt-5', 'deepseek-reasoner', 'deepseek/deepseek-r1', 'claude-opus-4-5',
          'gemini-2.5-pro', 'mistral/magistral-medium-latest', 'claude-sonnet-4-5']
CODE = ['mistral/codestral-latest', 'mistral/devstral-medium-latest', 'deepseek/deepseek-coder', 'gpt-4.1',
        'claude-sonnet-4-5', 'gpt-5-mini']
VOICE_SMALL = ['gpt-4o-mini', 'gpt-4.1-nano', 'gemini-2.5-flash-lite', 'mistral/ministral-8b-latest',
               'meta.llama3-8b-instruct-v1:0', 'claude-3-5-haiku-20241022', 'gpt-5-nano', 'mistral/voxtral-small-latest',
               'eu.meta.llama3-2-3b-instruct-v1:0', 'gemini/gemini-2.5-flash-lite', 'deepseek-chat']
PRICEY = ['claude-opus-4-1', 'claude-opus-4-5', 'gpt-5.5', 'o1', 'gpt-5.4', 'gemini-3.1-pro-preview', 'gpt-4.1', 'o3',
          'claude-sonnet-4-5', 'gpt-5', 'gemini-2.5-pro', 'mistral/mistral-medium-latest', 'gpt-5.4-mini',
          'meta.llama3-70b-instruct-v1:0', 'us.meta.llama3-1-405b-instruct-v1:0', 'deepseek/deepseek-v4-pro',
          'claude-sonnet-4-6', 'gpt-5.6-sol', 'mistral/magistral-medium-latest', 'gemini/gemini-3.1-pro-preview',
          'gpt-4.1-mini', 'o4-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash', 'gpt-5-mini',
          'mistral/mistral-large-latest', 'gemini-3-flash-preview', 'gpt-5.6-terra', 'claude-opus-4-6', 'gpt-5.2']


def T(name, w, lo, hi):
    return (name, w, lo, hi)


def fleet_research(G, r, nm):
    A = []
    web = Agent(id=nm('web-researcher'), base='web-researcher', arche='researcher', role='child',
                model=choose(r, G, ['gpt-5-mini', 'claude-sonnet-4-5', 'gemini/gemini-2.5-flash', 'deepseek-chat',
                                    'gpt-4.1-mini', 'claude-haiku-4-5']),
                tools=['web_search', 'fetch_url', 'fetch_url', 'read_pdf'], out_mu=450, rsn_mu=600,
                tasks=[T('web_research', 1, 10, 50), T('survey_slice', 1, 6, 18)], compact_at=r.choice([60000, 90000]),
                team='research')
    acad = Agent(id=nm('paper-reader'), base='paper-reader', arche='researcher', role='child',
                 model=choose(r, G, ['gemini-2.5-pro', 'claude-sonnet-4-6', 'o4-mini', 'mistral/magistral-medium-latest']),
                 tools=['search_arxiv', 'read_pdf', 'extract_table', 'read_pdf'], out_mu=600, rsn_mu=1500,
                 tasks=[T('web_research', 1, 10, 40), T('survey_slice', 1, 6, 18)], compact_at=120000, team='research')
    critic = Agent(id=nm('critic'), base='critic', arche='partner', role='partner',
                   model=choose(r, G, ['claude-sonnet-4-5', 'gpt-4.1', 'gemini-2.5-pro']), tools=['web_search', 'fetch_url'],
                   out_mu=700, team='research')
    planner = Agent(id=nm('deep-planner'), base='deep-planner', arche='planner', weight=3.0,
                    model=choose(r, G, ['o3', 'claude-opus-4-5', 'gpt-5', 'gemini-2.5-pro', 'deepseek/deepseek-r1']),
                    tools=['web_search', 'fetch_url', 'read_pdf'], out_mu=900, rsn_mu=5000,
                    tasks=[T('deep_research', 10, 15, 40), T('wide_survey', 1, 15, 40)], child=web,
                    child2=acad, spawn_tool=r.choice(['spawn_researcher', 'delegate', 'task']), partner=critic,
                    compact_at=150000, gap=(900, 0.7), team='research')
    A += [planner, web, acad, critic]
    for nmb, mdl, ten in (('kb-rag', ['gpt-4.1-mini', 'claude-haiku-4-5', 'mistral/mistral-small-latest'], ['acme', 'globex']),
                          ('support-rag', ['meta.llama3-8b-instruct-v1:0', 'us.meta.llama3-1-8b-instruct-v1:0',
                                           'gemini-2.5-flash-lite'], ['initech']),
                          ('legal-rag', ['claude-sonnet-4-5', 'gpt-4.1', 'gemini/gemini-2.5-pro'], ['northwind'])):
        A.append(Agent(id=nm(nmb), base=nmb, arche='rag', weight=6.0 if nmb != 'legal-rag' else 2.0,
                       model=choose(r, G, mdl), tools=['vector_search', 'rerank'], out_mu=350, tenants=ten,
                       tasks=[T('qa', 5, 3, 12), T('policy_lookup', 2, 3, 8)], compact_at=30000, partner=critic,
                       team='knowledge'))
    A.append(Agent(id=nm('fact-checker'), base='fact-checker', arche='factcheck', weight=3.0,
                   model=choose(r, G, ['gpt-5-mini', 'gemini/gemini-2.5-flash', 'deepseek-chat']),
                   tools=['web_search', 'fetch_url'], out_mu=300, rsn_mu=400, tasks=[T('fact_check', 1, 8, 30)],
                   partner=critic, team='editorial'))
    A.append(Agent(id=nm('sys-reviewer'), base='sys-reviewer', arche='systematic', weight=1.0,
                   model=choose(r, G, ['deepseek-reasoner', 'o4-mini', 'gemini-2.5-pro']),
                   tools=['search_pubmed', 'read_pdf', 'extract_table', 'screen_abstract', 'fetch_url'],
                   out_mu=500, rsn_mu=1800, tasks=[T('systematic_review', 1, 60, 400)], compact_at=100000,
                   team='research'))
    A.append(Agent(id=nm('citation-bot'), base='citation-bot', arche='batch', weight=2.0,
                   model=choose(r, G, ['gpt-4.1-nano', 'mistral/ministral-8b-latest', 'gemini-2.5-flash-lite']),
                   tools=['resolve_doi', 'fetch_url'], batch_tool='resolve_doi', out_mu=200,
                   tasks=[T('citation_check', 1, 5, 20)], team='editorial'))
    editor = Agent(id=nm('editor'), base='editor', arche='partner', role='partner',
                   model=choose(r, G, ['claude-sonnet-4-5', 'gpt-4.1', 'mistral/mistral-large-latest']),
                   tools=['fetch_url'], out_mu=800, team='editorial')
    A.append(editor)
    A.append(Agent(id=nm('brief-writer'), base='brief-writer', arche='writer', weight=2.0,
                   model=choose(r, G, ['claude-sonnet-4-5', 'gpt-5', 'gemini-2.5-pro']),
                   tools=['web_search', 'fetch_url'], out_mu=1200, rsn_mu=800, partner=editor,
                   tasks=[T('newsletter', 1, 8, 20)], publish_tool='write_report', team='editorial'))
    A.append(Agent(id=nm('patent-analyst'), base='patent-analyst', arche='doc', weight=1.5,
                   model=choose(r, G, ['gemini-2.5-pro', 'gpt-4.1', 'gemini/gemini-2.5-pro']),
                   tools=['read_pdf', 'extract_table', 'web_search'], out_mu=700, p_huge=0.3,
                   tasks=[T('patent_landscape', 1, 8, 25)], compact_at=400000, team='ip', partner=critic))
    newb = Agent(id=nm('deep-research-v2'), base='deep-research-v2', arche='planner', weight=2.0,
                 model=choose(r, G, ['claude-opus-4-1', 'gpt-5.5', 'o1']),
                 tools=['web_search', 'fetch_url', 'read_pdf'], out_mu=1200, rsn_mu=6000, child=acad, child2=web,
                 tasks=[T('deep_research', 1, 15, 40)], spawn_tool='delegate', compact_at=150000, partner=critic,
                 team='research')
    newb.agent_trap = 'new_agent'
    A.append(newb)
    return A


def fleet_analytics(G, r, nm):
    A = []
    rev = Agent(id=nm('report-reviewer'), base='report-reviewer', arche='partner', role='partner',
                model=choose(r, G, ['claude-sonnet-4-5', 'gpt-4.1', 'gemini-2.5-pro']),
                tools=['run_sql', 'describe_table'], out_mu=700, team='bi')
    worker = Agent(id=nm('query-worker'), base='query-worker', arche='worker', role='child',
                   model=choose(r, G, ['gpt-4.1-mini', 'deepseek-chat', 'mistral/codestral-latest']),
                   tools=['run_sql', 'fetch_rows', 'exec_python'], out_mu=300,
                   tasks=[T('partition_query', 1, 4, 15)], team='data-eng')
    A += [rev, worker]
    for nmb, mdl, w, ten in (('sql-analyst', ['claude-sonnet-4-5', 'gpt-4.1', 'gemini-2.5-pro'], 6, ['acme', 'globex']),
                             ('sql-copilot', ['gpt-4.1-mini', 'mistral/mistral-medium-latest', 'deepseek-chat'], 6,
                              ['initech', 'umbra'])):
        A.append(Agent(id=nm(nmb), base=nmb, arche='sql', weight=w, model=choose(r, G, mdl),
                       tools=['run_sql', 'describe_table', 'list_tables'], out_mu=400, tenants=ten, partner=rev,
                       tasks=[T('adhoc_query', 4, 6, 20), T('weekly_kpi', 1, 12, 35)], team='bi'))
    A.append(Agent(id=nm('exporter'), base='exporter', arche='exporter', weight=2.5,
                   model=choose(r, G, ['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash']),
                   tools=['run_sql', 'fetch_rows', 'write_file'], out_mu=250, tasks=[T('export', 1, 5, 10)],
                   team='data-eng'))
    A.append(Agent(id=nm('etl-orchestrator'), base='etl-orchestrator', arche='etl', weight=3.0, schedule='nightly',
                   model=choose(r, G, ['gpt-5-mini', 'claude-haiku-4-5', 'mistral/mistral-small-latest']),
                   tools=['submit_job', 'job_status', 'run_sql'], out_mu=300, child=worker,
                   spawn_tool=r.choice(['spawn_worker', 'fan_out', 'dispatch']), tasks=[T('backfill', 1, 8, 40)],
                   team='data-eng'))
    A.append(Agent(id=nm('notebook'), base='notebook', arche='notebook', weight=3.0,
                   model=choose(r, G, CODE), tools=['exec_python', 'run_sql'], out_mu=600,
                   tasks=[T('analysis', 1, 10, 50)], compact_at=60000, partner=rev, team='ds'))
    A.append(Agent(id=nm('forecaster'), base='forecaster', arche='notebook', weight=1.0,
                   model=choose(r, G, ['o3', 'deepseek-reasoner', 'gemini-2.5-pro', 'claude-opus-4-5']),
                   tools=['exec_python', 'run_sql'], out_mu=800, rsn_mu=3000, tasks=[T('forecast', 1, 10, 40)],
                   compact_at=120000, team='ds'))
    A.append(Agent(id=nm('report-writer'), base='report-writer', arche='writer', weight=2.0,
                   model=choose(r, G, ['gpt-5', 'claude-sonnet-4-5', 'mistral/mistral-large-latest']),
                   tools=['run_sql', 'exec_python'], out_mu=1000, partner=rev, tasks=[T('monthly_report', 1, 8, 20)],
                   publish_tool='upload_artifact', team='bi'))
    A.append(Agent(id=nm('rca-investigator'), base='rca-investigator', arche='long', weight=0.8,
                   model=choose(r, G, ['claude-sonnet-4-5', 'gpt-5', 'gemini-2.5-pro']),
                   tools=['run_sql', 'exec_python', 'read_logs', 'describe_table'], out_mu=500, rsn_mu=1000,
                   tasks=[T('root_cause_analysis', 1, 60, 250)], compact_at=120000, partner=rev, team='sre'))
    A.append(Agent(id=nm('dashboard-bot'), base='dashboard-bot', arche='batch', weight=2.0,
                   model=choose(r, G, ['gpt-4.1-nano', 'gemini-2.5-flash-lite', 'mistral/ministral-8b-latest']),
                   tools=['update_tile', 'run_sql'], batch_tool='update_tile', p_batch=0.6, batch_n=(30, 120),
                   out_mu=150, tasks=[T('dashboard_refresh', 1, 5, 15)], team='bi'))
    A.append(Agent(id=nm('api-connector'), base='api-connector', arche='connector', weight=2.5, schedule='flat',
                   model=choose(r, G, ['gpt-4o-mini', 'deepseek-chat', 'meta.llama3-8b-instruct-v1:0']),
                   tools=['call_api', 'write_file'], out_mu=200, tasks=[T('sync', 1, 6, 30)], team='data-eng'))
    A.append(Agent(id=nm('dq-checker'), base='dq-checker', arche='short', weight=5.0, schedule='flat',
                   model=choose(r, G, ['gpt-4.1-nano', 'selfhosted/qwen2.5-72b-instruct', 'mistral/ministral-8b-latest']),
                   tools=['run_sql', 'describe_table'], out_mu=150, tasks=[T('dq_check', 1, 3, 10)], team='data-eng'))
    newb = Agent(id=nm('insights-agent'), base='insights-agent', arche='sql', weight=2.5,
                 model=choose(r, G, ['claude-sonnet-4-6', 'gpt-5.4', 'o3']), out_mu=700, rsn_mu=1200,
                 tools=['run_sql', 'describe_table', 'list_tables'], tasks=[T('adhoc_query', 1, 8, 24)], partner=rev,
                 team='bi')
    newb.agent_trap = 'new_agent'
    A.append(newb)
    return A


def fleet_voice(G, r, nm, org):
    A = []
    ft = 'ft:gpt-4o-mini-2024-07-18:{org}:billing:{sfx}'.format(org=org, sfx=b36(r.getrandbits(30)))
    G.add_offcat(ft, 'ft:gpt-4o-mini-2024-07-18:{org}:billing:{sfx}')
    bill = Agent(id=nm('billing-agent'), base='billing-agent', arche='call', role='top', weight=1.0,
                 model=ft if r.random() < 0.5 else choose(r, G, VOICE_SMALL),
                 tools=['lookup_account', 'issue_refund', 'send_sms'], out_mu=60, sys=1800, compact_at=12000,
                 tasks=[T('billing_call', 1, 20, 120)], user_gap=(4500, 0.6), team='cx', p_handoff=0.0)
    tech = Agent(id=nm('tech-agent'), base='tech-agent', arche='call', role='top', weight=1.0,
                 model=choose(r, G, VOICE_SMALL), tools=['run_diagnostics', 'reset_router', 'kb_search'],
                 out_mu=70, sys=2500, compact_at=15000, tasks=[T('tech_call', 1, 30, 200)], team='cx',
                 user_gap=(5000, 0.6), p_handoff=0.0)
    A += [bill, tech]
    for nmb, lang, w in (('triage-en', 'en', 8), ('triage-es', 'es', 4), ('triage-de', 'de', 3)):
        m = choose(r, G, VOICE_SMALL)
        if nmb == 'triage-en' and r.random() < 0.5:
            m = 'ft:gpt-4.1-mini-2025-04-14:{org}:triage-v3:{sfx}'.format(org=org, sfx=b36(r.getrandbits(30)))
            G.add_offcat(m, 'ft:gpt-4.1-mini-2025-04-14:{org}:triage-v3:{sfx}')
        A.append(Agent(id=nm(nmb), base=nmb, arche='call', weight=w, model=m,
                       tools=['lookup_account', 'check_order_status', 'kb_search', 'verify_identity', 'create_ticket'],
                       out_mu=55, sys=2200, compact_at=r.choice([9000, 14000, 20000]), partners=[bill, tech],
                       partner=bill, escalate=choose(r, G, ['gpt-4.1', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'gpt-5']),
                       tasks=[T('support_call', 6, 50, 600), T('order_status', 3, 50, 140)],
                       user_gap=(r.uniform(3000, 6000), 0.6), p_handoff=0.35, p_esc=0.08, tenants=[lang + '-retail'],
                       team='cx', features=['voice'], tok_ms=6))
    sup = Agent(id=nm('chat-supervisor'), base='chat-supervisor', arche='partner', role='partner',
                model=choose(r, G, ['gpt-4.1', 'claude-sonnet-4-5']), tools=['kb_search'], out_mu=200, team='cx')
    A.append(sup)
    A.append(Agent(id=nm('chat-support'), base='chat-support', arche='call', weight=5,
                   model=choose(r, G, VOICE_SMALL), tools=['kb_search', 'check_order_status', 'create_ticket'],
                   out_mu=120, sys=1800, compact_at=16000, partners=[sup], partner=sup, p_handoff=0.15,
                   tasks=[T('chat', 1, 10, 80)], user_gap=(25000, 0.8), team='cx', features=['chat'],
                   escalate=choose(r, G, ['gpt-4.1', 'claude-sonnet-4-5'])))
    A.append(Agent(id=nm('outbound-reminder'), base='outbound-reminder', arche='call', weight=6, schedule='business',
                   model=choose(r, G, VOICE_SMALL), tools=['schedule_callback', 'send_sms'], out_mu=40, sys=1200,
                   compact_at=8000, tasks=[T('reminder_call', 1, 5, 40)], user_gap=(3500, 0.5), p_handoff=0.0,
                   team='growth', features=['voice']))
    summ = Agent(id=nm('call-summarizer'), base='call-summarizer', arche='summarizer', role='child',
                 model=choose(r, G, ['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash']),
                 tools=['fetch_transcript', 'update_crm_field'], out_mu=400, tasks=[T('call_summary', 1, 3, 6)],
                 team='cx-ops')
    A.append(summ)
    A.append(Agent(id=nm('postcall-batch'), base='postcall-batch', arche='postcall', weight=2, schedule='nightly',
                   model=choose(r, G, ['gpt-4.1-mini', 'claude-haiku-4-5']), tools=['list_calls', 'write_file'],
                   out_mu=300, child=summ, spawn_tool=r.choice(['spawn_summarizer', 'map_calls']),
                   tasks=[T('nightly_summaries', 1, 5, 12)], team='cx-ops'))
    A.append(Agent(id=nm('qa-grader'), base='qa-grader', arche='qa', weight=2,
                   model=choose(r, G, ['gemini-2.5-pro', 'gpt-4.1', 'claude-sonnet-4-5']),
                   tools=['fetch_transcript'], out_mu=300, tasks=[T('qa_review', 1, 3, 8)], compact_at=300000,
                   team='cx-ops'))
    A.append(Agent(id=nm('crm-updater'), base='crm-updater', arche='batch', weight=2,
                   model=choose(r, G, VOICE_SMALL), tools=['update_crm_field', 'lookup_account'],
                   batch_tool='update_crm_field', p_batch=0.5, batch_n=(20, 80), out_mu=80,
                   tasks=[T('crm_sync', 1, 5, 15)], team='cx-ops'))
    newm = 'gpt-realtime-2025-08-28' if r.random() < 0.5 else None
    if newm:
        G.add_offcat(newm, newm)
    newb = Agent(id=nm('concierge-premium'), base='concierge-premium', arche='call', weight=3,
                 model=newm or choose(r, G, ['gpt-4.1-mini', 'claude-haiku-4-5', 'gpt-5-mini', 'gemini/gemini-2.5-flash']),
                 tools=['lookup_account', 'check_order_status', 'kb_search', 'issue_refund'], out_mu=110, sys=3500,
                 compact_at=24000, partners=[bill], partner=bill, tasks=[T('support_call', 1, 50, 400)],
                 user_gap=(4500, 0.6), p_handoff=0.2, team='cx', tenants=['vip-retail'], features=['voice'])
    newb.agent_trap = 'new_agent'
    A.append(newb)
    return A


# ================================================================ generator

class Gen:
    def __init__(self, seed, profile, sessions, catalog):
        self.seed, self.profile, self.S = seed, profile, sessions
        self.cat = load_catalog(catalog)
        self.offcat = {}
        self.r = random.Random('fleet4:%d:%s' % (seed, profile))
        self.sessions = []
        self.sid_style = self.r.choice(['sess', 'uuid', 'run', 'conv'])
        self.tid_style = self.r.choice(['task', 'hex', 'jira'])
        self.nsid = 0
        self.used = set()

    def add_offcat(self, name, tmpl):
        prov, ip, op, cr, cw, mx = OFF_CATALOG[tmpl]
        self.offcat[name] = Price(ip, op, cr, cw, None, mx, prov, False)

    def price_or_none(self, m):
        return self.cat.get(m) or self.offcat.get(m)

    def price(self, m):
        p = self.price_or_none(m)
        if p is None:
            raise KeyError(m)
        return p

    def pricier(self, m, lo, hi, r):
        base = self.price(m).blended()
        c = [x for x in PRICEY if x in self.cat and lo <= self.cat[x].blended() / base <= hi]
        if c:
            return r.choice(c)
        c = sorted((x for x in PRICEY if x in self.cat), key=lambda x: abs(math.log(self.cat[x].blended() / base / 7)))
        return c[0]

    # ids (session and task ids are unique per run)
    def new_sid(self, r, A):
        while True:
            x = self._sid(r, A)
            if x not in self.used:
                self.used.add(x)
                return x

    def new_tid(self, r):
        while True:
            x = self._tid(r)
            if x not in self.used:
                self.used.add(x)
                return x

    def _sid(self, r, A):
        self.nsid += 1
        st = self.sid_style
        if A.arche == 'call' and r.random() < 0.6:
            return 'call_%d%07d' % (r.randint(10, 99), r.getrandbits(23))
        if st == 'sess':
            return 'sess_' + b36(r.getrandbits(60))
        if st == 'uuid':
            h = '%032x' % r.getrandbits(128)
            return '%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
        if st == 'run':
            return 'run-%s-%05d' % (A.base[:8], self.nsid)
        return 'conv/%x' % r.getrandbits(48)

    def _tid(self, r):
        if self.tid_style == 'task':
            return 'task-%d' % r.getrandbits(32)
        if self.tid_style == 'hex':
            return 'T%012x' % r.getrandbits(48)
        return '%s-%d' % (r.choice(['OPS', 'RES', 'DATA', 'CX']), r.randint(1000, 999999))

    def task_len(self, r, A, tt):
        for name, w, lo, hi in A.tasks:
            if name == tt:
                # skewed within [lo, hi]
                return int(lo + (hi - lo) * (r.random() ** 1.6))
        return r.randint(5, 20)

    def new_session(self, A, task_id, task_type, parent, t0, tenant, L=None, rng=None):
        r = rng or random.Random('%d:%s:%d:%d' % (self.seed, self.profile, len(self.sessions), int(t0)))
        sid = self.new_sid(r, A)
        if L is None:
            L = self.task_len(r, A, task_type)
        s = Sess(self, A, sid, task_id, task_type, parent, t0, r, tenant, L)
        s.label_runaway = False
        self.sessions.append(s)
        return s

    def run_normal(self, s):
        ARCHES[s.A.arche](s)

    def run_session(self, s):
        try:
            ARCHES[s.A.arche](s)
        except Onset:
            pass
        if s.runaway:
            s.in_run = True
            try:
                RUNAWAYS[s.runaway](s)
            except Halt:
                pass
            if s.onset_id is None:     # safety: force one runaway action
                self.t_end += 10 ** 9
                s.llm()
                self.t_end -= 10 ** 9

    # ---- fleet
    def build(self):
        r = self.r
        nm, org = namer(r, self.profile)
        self.org = org
        if self.profile == 'research':
            A = fleet_research(self, r, nm)
        elif self.profile == 'analytics':
            A = fleet_analytics(self, r, nm)
        elif self.profile == 'voice':
            A = fleet_voice(self, r, nm, org)
        else:
            A = fleet_research(self, r, nm) + fleet_analytics(self, r, nm) + fleet_voice(self, r, nm, org)
            news = [a for a in A if a.agent_trap == 'new_agent']
            keepnew = r.choice(news)
            A = [a for a in A if a.agent_trap != 'new_agent' or a is keepnew]
            # thin the top-level set so that the fleet stays within 25 agents
            tops = [a for a in A if a.role == 'top' and a.agent_trap is None]
            r.shuffle(tops)
            drop = set()
            need = set()
            while len(A) - len(drop) > 25 and tops:
                a = tops.pop()
                if a.arche in ('planner', 'etl', 'call') and a.weight >= 3:
                    continue
                drop.add(id(a))
            while True:
                keep = [a for a in A if id(a) not in drop]
                need = set()
                for a in keep:
                    if a.role == 'top':
                        for b in [a.partner, a.child, a.p.get('child2')] + list(a.partners):
                            if b is not None:
                                need.add(id(b))
                final = [a for a in A if (a.role == 'top' and id(a) not in drop) or id(a) in need]
                if len(final) <= 25 or not tops:
                    break
                a = tops.pop()
                if not (a.arche in ('planner', 'etl', 'call') and a.weight >= 3):
                    drop.add(id(a))
            A = final
        # uniquify ids (opaque names may collide, versions may repeat)
        seen = set()
        for a in A:
            while a.id in seen:
                a.id = a.id + 'x'
            seen.add(a.id)
        # gateways
        gws = [Gateway(random.Random('gw:%d:%s:%d' % (self.seed, self.profile, i)), 'gw%d' % i)
               for i in range(r.randint(3, 6))]
        # both timestamp forms always occur: one epoch-ms gateway and one RFC 3339 gateway at least
        gws[0].ts_style = 'ms'
        if gws[1].ts_style == 'ms':
            gws[1].ts_style = r.choice(['z', 'off', 'us', 'zs'])
        order = list(A)
        r.shuffle(order)
        for i, a in enumerate(order):
            a.gw = gws[i % len(gws)] if i < len(gws) else r.choice(gws)
        self.gws = gws
        self.agents = A
        # time frame
        day0 = _dt.datetime(2026, 1, 5, tzinfo=_dt.timezone.utc) + _dt.timedelta(days=r.randint(0, 120))
        self.t0 = int(day0.timestamp() * 1000)
        self.span = int(r.choice([1.0, 1.25, 1.5, 1.75]) * 86400000)
        self.t_end = self.t0 + int(self.span * 1.1)
        self.max_actions = 3500
        self.tzshift = r.choice([0, -5, -8, 1, 5.5, 9])
        # new agent deployed mid-run
        for a in A:
            if a.agent_trap == 'new_agent':
                a.deploy_t = self.t0 + int(self.span * r.uniform(0.25, 0.6))
        # planned model upgrade of one agent
        cands = [a for a in A if a.role == 'top' and a.agent_trap is None and a.model in self.cat
                 and a.arche not in ('planner',)]
        r.shuffle(cands)
        for a in cands:
            base = self.cat[a.model].blended()
            ups = [m for m in PRICEY if m in self.cat and 1.7 <= self.cat[m].blended() / base <= 2.5
                   and self.cat[m].provider == self.cat[a.model].provider]
            if not ups:
                ups = [m for m in PRICEY if m in self.cat and 1.7 <= self.cat[m].blended() / base <= 2.5]
            if ups:
                a.upgrade = (self.t0 + int(self.span * r.uniform(0.3, 0.7)), r.choice(ups))
                a.agent_trap = 'model_upgrade'
                break

    def intensity(self, sched, t):
        h = ((t - self.t0) / 3600000.0 + self.tzshift) % 24
        if sched == 'business':
            return 0.12 + math.exp(-((h - 13.5) / 3.2) ** 2)
        if sched == 'nightly':
            return 0.08 + math.exp(-((h - 2.5) / 1.3) ** 2)
        return 0.9 + 0.1 * math.sin(h / 24 * 2 * math.pi)

    def start_time(self, r, A, frac=0.97):
        lo = A.deploy_t or self.t0
        hi = max(lo + 60000, self.t0 + int(self.span * frac))
        for _ in range(200):
            t = r.uniform(lo, hi)
            if r.random() * 1.13 < self.intensity(A.schedule, t):
                return int(t)
        return int(r.uniform(lo, hi))

    def generate(self):
        self.build()
        r = self.r
        tops = [a for a in self.agents if a.role == 'top']
        weights = [a.weight for a in tops]
        plan = []
        for i in range(self.S):
            A = r.choices(tops, weights)[0]
            plan.append(A)
        # runaway assignment: ~3-6% of top-level sessions, spread over the nine kinds
        rate = r.uniform(0.03, 0.06)
        R = max(int(round(self.S * rate)), min(9, self.S // 10))
        kinds = []
        while len(kinds) < R:
            k9 = list(RUNAWAY_KINDS)
            r.shuffle(k9)
            kinds += k9
        kinds = kinds[:R]
        run_of = {}
        idx = list(range(self.S))
        r.shuffle(idx)
        for k in kinds:
            for j in idx:
                if j not in run_of and supports(plan[j], k):
                    run_of[j] = k
                    break
        for i, A in enumerate(plan):
            sr = random.Random('s:%d:%s:%d' % (self.seed, self.profile, i))
            t0 = self.start_time(sr, A, 0.8 if i in run_of else 0.97)
            ws = [w for (_, w, _, _) in A.tasks]
            tt = sr.choices(A.tasks, ws)[0][0]
            s = self.new_session(A, self.new_tid(sr), tt, None, t0, sr.choice(A.tenants), rng=sr)
            if A.upgrade:
                s.model = A.model_at(t0)
            if i in run_of:
                s.runaway = run_of[i]
                typ = typical(s)
                s.onset_k = sr.randint(1, max(2, int(typ * sr.uniform(0.1, 0.9))))
                if s.runaway == 'subagent_fanout':
                    s.onset_k = sr.randint(1, 4)
            self.run_session(s)
            s.top = True
            s.peak = (A.schedule == 'business' and self.intensity('business', t0) > 0.95)

    def label(self, s):
        d = {'session_id': s.sid}
        if s.runaway or s.label_runaway:
            d['label'] = 'runaway'
            d['kind'] = s.runaway or s.kind_override
            d['onset_event_id'] = s.onset_id if s.runaway else (s.first_id)
        else:
            d['label'] = 'normal'
            k = s.trap
            if k is None and s.parent and s.kind_override and s.kind_override != 'normal':
                k = s.kind_override
            if k is None and s.A.agent_trap:
                if s.A.agent_trap == 'new_agent' or (s.A.upgrade and s.start >= s.A.upgrade[0]):
                    k = s.A.agent_trap
            if k is None and getattr(s, 'peak', False):
                k = 'day_peak'
            d['kind'] = k or 'normal'
            d['onset_event_id'] = None
        d['task_id'] = s.task_id
        if s.part_of:
            d['part_of'] = s.part_of
        d['agent_id'] = s.A.id
        d['task_type'] = s.task_type
        return d

    def write(self, out, labels):
        r = random.Random('deliver:%d:%s' % (self.seed, self.profile))
        p_late = r.uniform(0.005, 0.02)
        p_dup = r.uniform(0.0025, 0.0035)
        rows = []
        seq = 0
        for s in self.sessions:
            s.first_id = None
            s.t0 = None
            for ts, line in s.lines:
                if s.first_id is None:
                    s.first_id = json.loads(line)['event_id']
                    s.t0 = ts
                arr = ts
                if r.random() < p_late:
                    arr = ts + r.uniform(300, 5000)
                rows.append((arr, seq, line))
                seq += 1
                if r.random() < p_dup:
                    rows.append((arr + r.uniform(50, 15000), seq, line))
                    seq += 1
            if s.t0 is None:
                s.t0 = s.t
        rows.sort()
        with open(out, 'w') as f:
            for _, _, line in rows:
                f.write(line)
                f.write('\n')
        with open(labels, 'w') as f:
            for s in sorted(self.sessions, key=lambda x: (x.t0, x.sid)):
                if not s.lines:
                    continue
                f.write(json.dumps(self.label(s), separators=(',', ':')))
                f.write('\n')
        return len(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--profile', choices=['research', 'analytics', 'voice', 'mixed'], required=True)
    ap.add_argument('--sessions', type=int, required=True, help='number of top-level sessions')
    ap.add_argument('--out', required=True)
    ap.add_argument('--labels', required=True)
    ap.add_argument('--catalog', default=os.environ.get('FLEET4_CATALOG', DEFAULT_CATALOG))
    a = ap.parse_args(argv)
    G = Gen(a.seed, a.profile, a.sessions, a.catalog)
    G.generate()
    n = G.write(a.out, a.labels)
    print('%s seed=%d: %d sessions (%d top-level), %d lines, agents=%d' % (
        a.profile, a.seed, len(G.sessions), a.sessions, n, len(G.agents)), file=sys.stderr)


if __name__ == '__main__':
    main()
