#!/usr/bin/env python3
"""fleet9 -- independent simulator of an AI-agent fleet's usage telemetry.

Profiles: content, recruiting, dataeng, tutoring, mixed.
Writes contract section-1 usage events (NDJSON, global event-time order) and
one label line per session.  Standard library only; deterministic for a given
(seed, profile, sessions).

    python3 scripts/fleet9.py --seed S --profile P --sessions N \
        --out EVENTS.ndjson --labels LABELS.ndjson

--sessions is the number of top-level sessions (user tasks); sub-agent
sessions come on top of that.
"""
import argparse
import hashlib
import json
import math
import os
import random
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(HERE, '..', 'models', 'model_prices_and_context_window.json')

EPOCH0 = 1757894400000  # 2025-09-15T00:00:00Z
SPAN_MS = 34 * 3600 * 1000

# ms per output token, time to first token (ms)
SPEED = {
    'claude-sonnet-4-5': (14, 900), 'claude-haiku-4-5': (6, 450), 'claude-3-5-haiku-latest': (7, 500),
    'claude-opus-4-5': (22, 1400), 'claude-opus-4-1': (30, 1800),
    'gpt-4.1': (12, 700), 'gpt-4.1-mini': (6, 400), 'gpt-4o-mini': (6, 380), 'gpt-5': (13, 1500),
    'gpt-5-mini': (7, 900), 'o3': (15, 2500), 'o4-mini': (8, 1500), 'o1': (25, 4000),
    'gemini/gemini-2.5-pro': (11, 1600), 'gemini/gemini-2.5-flash': (5, 600),
    'gemini/gemini-3.1-pro-preview': (12, 1800),
    'mistral/mistral-medium-latest': (10, 600), 'mistral/mistral-small-latest': (5, 350),
    'deepseek/deepseek-chat': (16, 900),
}
REASONING = {'gpt-5', 'gpt-5-mini', 'o3', 'o4-mini', 'o1', 'gemini/gemini-2.5-pro',
             'gemini/gemini-2.5-flash', 'gemini/gemini-3.1-pro-preview'}
# sustained switch to a model 5-10x pricier
SPIKE = {
    'claude-haiku-4-5': 'claude-opus-4-5', 'claude-3-5-haiku-latest': 'claude-opus-4-5',
    'claude-sonnet-4-5': 'claude-opus-4-1', 'gpt-4.1-mini': 'gpt-4.1', 'gpt-5-mini': 'gpt-5',
    'gpt-4o-mini': 'o4-mini', 'gemini/gemini-2.5-flash': 'gemini/gemini-3.1-pro-preview',
    'mistral/mistral-small-latest': 'mistral/mistral-medium-latest', 'deepseek/deepseek-chat': 'o4-mini',
    'gpt-4.1': 'o1', 'gpt-5': 'o1', 'gemini/gemini-2.5-pro': 'claude-opus-4-1',
    'o4-mini': 'claude-opus-4-5', 'mistral/mistral-medium-latest': 'claude-opus-4-1', 'o3': 'o1',
}
UNKNOWN_MODEL = ('acme-orca-70b-instruct-ft3', 'selfhosted')

RUNAWAY_KINDS = ['loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm',
                 'context_growth', 'subagent_fanout', 'cost_spike', 'session_budget']


class Stop(Exception):
    pass


def load_catalog():
    with open(CATALOG) as f:
        return json.load(f)


# ----------------------------------------------------------------------------
# tools: name -> (latency median ms, result tokens median, error rate, cost_usd or None)
TOOLS = {
    # generic
    'web_search': (900, 1200, 0.01, 0.005), 'fetch_url': (1300, 3500, 0.03, None),
    'read_doc': (250, 2500, 0.005, None), 'write_doc': (300, 80, 0.005, None),
    'spawn_subagent': (120, 60, 0.0, None), 'kv_get': (40, 120, 0.002, None),
    'send_email': (600, 60, 0.01, None), 'notify_slack': (300, 40, 0.01, None),
    # content
    'brand_guide_lookup': (200, 1800, 0.003, None), 'seo_audit': (2500, 1400, 0.02, 0.01),
    'keyword_volume': (700, 500, 0.02, 0.002), 'generate_image': (9000, 120, 0.03, 0.04),
    'post_preview': (350, 300, 0.01, None), 'glossary_check': (150, 400, 0.003, None),
    'cms_publish': (900, 100, 0.02, None), 'plagiarism_check': (3000, 300, 0.02, 0.01),
    'asset_fetch': (500, 2200, 0.01, None), 'translate_memory': (300, 700, 0.005, None),
    # recruiting
    'ats_get_job': (400, 1500, 0.01, None), 'fetch_resume': (350, 2800, 0.01, None),
    'ats_update_candidate': (300, 60, 0.01, None), 'calendar_freebusy': (700, 500, 0.02, None),
    'calendar_book': (800, 120, 0.03, None), 'ats_get_status': (300, 200, 0.01, None),
    'inbox_search': (900, 900, 0.01, None), 'linkedin_enrich': (1500, 900, 0.04, 0.02),
    'background_check_order': (2000, 200, 0.02, 1.5), 'jd_template': (200, 1200, 0.0, None),
    # dataeng
    'list_partitions': (800, 900, 0.01, None), 'read_sample': (1200, 2000, 0.01, None),
    'warehouse_query': (6000, 700, 0.02, None), 'run_backfill_partition': (25000, 250, 0.02, None),
    'dbt_run': (40000, 1500, 0.03, None), 'dbt_test': (30000, 1800, 0.0, None),
    'edit_model_sql': (200, 100, 0.0, None), 'read_model_sql': (150, 1600, 0.0, None),
    'airflow_task_status': (400, 150, 0.01, None), 'airflow_trigger': (900, 100, 0.02, None),
    'get_schema': (500, 1300, 0.01, None), 'profile_column': (3000, 600, 0.02, None),
    'query_logs': (2500, 3000, 0.02, None), 'warehouse_scan_full': (180000, 900, 0.0, 3.2),
    # tutoring
    'curriculum_lookup': (200, 1500, 0.003, None), 'get_student_progress': (300, 700, 0.005, None),
    'rubric_lookup': (150, 900, 0.002, None), 'generate_question': (250, 250, 0.005, None),
    'math_eval': (120, 80, 0.005, None), 'save_quiz': (300, 50, 0.01, None),
    'record_grade': (200, 40, 0.01, None), 'video_clip_search': (800, 600, 0.01, None),
}


def ahash(tool, key):
    return hashlib.sha256((tool + '|' + key).encode()).hexdigest()[:16]


class Agent:
    def __init__(self, aid, role, model, rng, profile):
        self.id = aid
        self.role = role
        self.model = model
        self.cache = rng.random() < 0.7
        self.cache_bust = rng.random() < 0.15  # rewrites its prompt head every call
        r = rng.random()
        self.ts_mode = 'ms' if r < 0.3 else 'rfc'
        self.reports_cost = rng.random() < 0.25
        self.cost_factor = 0.85 if rng.random() < 0.2 else 1.0  # negotiated discount at gateway
        self.max_retries = rng.choice([2, 3, 3, 4, 5, 6, 8])
        self.backoff = rng.choice([500, 1000, 2000])
        self.omit_zero = rng.random() < 0.4
        self.omit_kind = rng.random() < 0.3
        self.omit_status = rng.random() < 0.5
        self.send_v = rng.random() < 0.5
        self.send_tt = True
        self.team = None
        self.start_t = 0
        self.upgrade = None  # (t, model)
        self.sys = rng.randint(900, 6000)


# ----------------------------------------------------------------------------
class Gen:
    def __init__(self, seed, profile, n_sessions):
        self.seed = seed
        self.profile = profile
        self.n = n_sessions
        self.rng = random.Random('fleet9:%d:%s:%d' % (seed, profile, n_sessions))
        self.idrng = random.Random('fleet9-ids:%d:%s' % (seed, profile))
        self.cat = load_catalog()
        self.events = []
        self.labels = []
        self.seq = 0
        self.keyc = 0
        self.outage = None
        self.norm_len = {}
        self.norm_cost = {}
        self.setup()

    # ids ------------------------------------------------------------------
    def nid(self, prefix, bits=64):
        return prefix + '%0*x' % (bits // 4, self.idrng.getrandbits(bits))

    def newkey(self):
        self.keyc += 1
        return 'k%d' % self.keyc

    def ln(self, med, sig, lo=1, hi=10 ** 9):
        v = int(round(med * math.exp(self.rng.gauss(0, sig))))
        return max(lo, min(hi, v))

    # fleet setup -----------------------------------------------------------
    def setup(self):
        rng = self.rng
        profs = ['content', 'recruiting', 'dataeng', 'tutoring'] if self.profile == 'mixed' else [self.profile]
        self.types = {}
        self.agents_by_type = {}
        self.partners = {}
        for p in profs:
            for tt, spec in TASKS[p].items():
                self.types[tt] = dict(spec, profile=p)
        self.tenants = {
            'content': ['northwind-media', 'lumen-retail', 'brightpath-saas', 'okapi-travel'],
            'recruiting': ['talentforge', 'hirewell-health', 'quanta-logistics'],
            'dataeng': ['dataops-core', 'finance-analytics', 'growth-bi', 'risk-platform'],
            'tutoring': ['mathbridge-k12', 'lingua-academy', 'uni-open-courses'],
        }
        pre = {'content': 'cs', 'recruiting': 'rc', 'dataeng': 'de', 'tutoring': 'tu'}
        for tt, spec in self.types.items():
            n = spec.get('agents', 3)
            lst = []
            for k in range(n):
                m = rng.choice(spec['models'])
                a = Agent('%s-%s-%d' % (pre[spec['profile']], tt.replace('_', '-'), k + 1), tt, m, rng, spec['profile'])
                a.team = spec['profile'] + '-' + rng.choice(['platform', 'apps', 'ops'])
                lst.append(a)
            self.agents_by_type[tt] = lst
        # partner pools for handoffs / ping-pong
        for p in profs:
            for role in PARTNERS[p]:
                lst = []
                for k in range(2):
                    m = rng.choice(['claude-sonnet-4-5', 'gpt-4.1', 'gpt-5-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash'])
                    a = Agent('%s-%s-%d' % (pre[p], role, k + 1), role, m, rng, p)
                    a.team = p + '-review'
                    lst.append(a)
                self.partners[role] = lst
        # trap: brand-new agent pricier than the fleet, appears mid-run
        top = [t for t, s in self.types.items() if s['weight'] > 0]
        tnew = rng.choice(top)
        base = self.agents_by_type[tnew][0]
        na = Agent(base.id.rsplit('-', 1)[0] + '-v2', tnew, rng.choice(['claude-sonnet-4-5', 'gpt-5', 'gpt-4.1']), rng, self.types[tnew]['profile'])
        na.team = base.team
        na.start_t = EPOCH0 + int(SPAN_MS * rng.uniform(0.35, 0.6))
        na.pricey = rng.uniform(1.8, 2.6)  # token volume multiplier: longer prompts, more verbose
        self.agents_by_type[tnew].append(na)
        self.new_agent = na
        if self.profile == 'mixed':
            # fleet-wide model upgrade: one agent becomes ~3x pricier for all later sessions
            cands = [a for t in top for a in self.agents_by_type[t] if a.model == 'claude-haiku-4-5' and a is not na]
            if not cands:
                a = self.agents_by_type[rng.choice(top)][0]
                a.model = 'claude-haiku-4-5'
                cands = [a]
            up = rng.choice(cands)
            up.upgrade = (EPOCH0 + int(SPAN_MS * rng.uniform(0.3, 0.5)), 'claude-sonnet-4-5')
            self.upgraded = up
            # provider outage: the provider with most agents, during a busy hour
            pc = {}
            for t in self.types:
                for a in self.agents_by_type[t]:
                    if a.model in self.cat:
                        pv = self.cat[a.model]['litellm_provider']
                        pc[pv] = pc.get(pv, 0) + 1
            prov = sorted(pc.items(), key=lambda x: (-x[1], x[0]))[0][0]
            day = rng.choice([0, 1]) if SPAN_MS > 30 * 3600000 else 0
            t0 = EPOCH0 + day * 86400000 + rng.randint(9 * 60, 15 * 60) * 60000
            self.outage = (prov, t0, t0 + rng.randint(25, 45) * 60000)
            # agent that sends no task_type
            nt = self.agents_by_type[rng.choice(top)][-1]
            if nt is na:
                nt = self.agents_by_type[tnew][0]
            nt.send_tt = False
            self.no_tt_agent = nt
            # agent on a model not in the catalog
            ua = self.agents_by_type[rng.choice(top)][0]
            if ua in (up, nt, na):
                ua = self.agents_by_type[rng.choice(top)][1]
            ua.model = UNKNOWN_MODEL[0]
            ua.cache = False
            self.unknown_agent = ua
            # mixed ts forms per event for a few agents, offset timestamps for one
            allag = [a for t in self.types for a in self.agents_by_type[t]]
            for a in rng.sample(allag, max(2, len(allag) // 10)):
                a.ts_mode = 'mix'
            rng.choice(allag).ts_mode = 'rfc_off'

    def typical(self, table, tt, default):
        xs = table.get(tt) or []
        if len(xs) < 15:
            return default, default * 4
        xs = sorted(xs)
        return xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]

    def price(self, model, it, ot, cr, cw, rt):
        e = self.cat.get(model)
        if not e:
            return None
        ic = e.get('input_cost_per_token') or 0
        oc = e.get('output_cost_per_token') or 0
        rc = e.get('output_cost_per_reasoning_token') or oc
        crc = e.get('cache_read_input_token_cost')
        if crc is None:
            crc = ic
        cwc = e.get('cache_creation_input_token_cost')
        if cwc is None:
            cwc = ic
        return it * ic + ot * oc + cr * crc + cw * cwc + rt * rc

    def max_ctx(self, model):
        e = self.cat.get(model)
        return min((e or {}).get('max_input_tokens') or 128000, 400000)

    # ------------------------------------------------------------------------
    def pick_agent(self, tt, t):
        lst = [a for a in self.agents_by_type[tt] if a.start_t <= t]
        if self.new_agent in lst and self.rng.random() < 0.5:
            return self.new_agent
        return self.rng.choice(lst)

    def run(self):
        rng = self.rng
        top = [(t, s['weight']) for t, s in self.types.items() if s['weight'] > 0]
        names = [t for t, _ in top]
        cum = []
        acc = 0
        for _, w in top:
            acc += w
            cum.append(acc)
        # diurnal arrival profile
        hours = SPAN_MS // 3600000
        hw = [0.35 + 0.65 * max(0.0, math.sin(math.pi * (((h % 24) - 6) / 16.0))) if 6 <= h % 24 <= 22 else 0.3 for h in range(hours)]
        starts = []
        for _ in range(self.n):
            h = rng.choices(range(hours), weights=hw)[0]
            starts.append(EPOCH0 + h * 3600000 + rng.randint(0, 3599999))
        starts.sort()
        # runaway plan: ~2.2% of top-level sessions, kinds cycled so all nine appear
        nrun = max(9, int(round(self.n * rng.uniform(0.018, 0.026))))
        idx = rng.sample(range(self.n), nrun)
        kinds = []
        while len(kinds) < nrun:
            k = RUNAWAY_KINDS[:]
            rng.shuffle(k)
            kinds += k
        plan = dict(zip(idx, kinds))
        for i, t0 in enumerate(starts):
            x = rng.random() * acc
            j = 0
            while cum[j] < x:
                j += 1
            tt = names[j]
            rw = plan.get(i)
            self.session(tt, t0, None, None, rw=rw, tenant=rng.choice(self.tenants[self.types[tt]['profile']]))

    # ------------------------------------------------------------------------
    def session(self, tt, t0, parent, task_id, rw=None, tenant=None, part_of=None, rfan=None, depth=0, agent=None):
        spec = self.types[tt]
        a = agent or self.pick_agent(tt, t0)
        if task_id is None and (a.send_tt or self.rng.random() < 0.5):
            task_id = self.nid('task_', 48)
        s = Sess(self, tt, a, t0, parent, task_id, tenant, depth)
        s.part_of = part_of
        s.rfan = rfan
        if rw is None and parent is not None and part_of is None and self.rng.random() < 0.001:
            rw = self.rng.choice(['loop_repeat', 'retry_storm', 'context_growth', 'step_runaway', 'loop_cycle', 'session_budget'])
        s.rw = rw
        if rw:
            r = self.rng.random()
            s.rw_at = 0 if r < 0.2 else self.rng.randint(1, max(1, spec['cp']))
        try:
            if part_of is not None:
                s.onset_pending = True
            if rw and s.rw_at == 0:
                s.cp()  # runaway from the very first action
            spec['fn'](s)
            s.cp(final=True)
            if s.spike_on:
                s.sustain_spike()
        except Stop:
            pass
        s.finish()
        return s.t


class Sess:
    def __init__(self, g, tt, agent, t0, parent, task_id, tenant, depth):
        self.g = g
        self.rng = g.rng
        self.tt = tt
        self.spec = g.types[tt]
        self.a0 = agent
        self.a = agent
        self.sid = g.nid('ses_', 64)
        self.t = t0
        self.t0 = t0
        self.parent = parent
        self.task_id = task_id
        self.tenant = tenant
        self.depth = depth
        self.env = 'prod' if self.rng.random() < 0.95 else 'staging'
        self.model = agent.model
        if agent.upgrade and t0 >= agent.upgrade[0]:
            self.model = agent.upgrade[1]
        self.vol = getattr(agent, 'pricey', 1.0)
        self.sys = agent.sys
        self.hist = 0
        self.prev_prompt = 0
        self.last_llm_t = -10 ** 12
        self.cache_ok = False
        self.strategy = self.spec.get('ctx', 'window')
        self.ctx_limit = self.spec.get('ctx_limit', 24000)
        self.n = 0
        self.cpn = 0
        self.rw = None
        self.rw_at = 0
        self.rw_started = False
        self.onset = None
        self.onset_pending = False
        self.spike_on = False
        self.spike_llm = 0
        self.stuff = 0
        self.traps = []
        self.part_of = None
        self.rfan = None
        self.children = 0
        self.retries = 0
        self.llm_calls = 0
        self.cost = 0.0
        self.nocache = False
        self.in_compact = False
        self.onset_llm_only = False
        self.flaky = self.rng.choice([2, 3]) if self.rng.random() < 0.06 else 0
        if getattr(agent, 'pricey', None):
            self.trap('new_pricey_agent')
        if agent.upgrade and t0 >= agent.upgrade[0]:
            self.trap('model_upgrade')
        if not agent.send_tt:
            self.trap('no_task_type')
        if agent.model not in g.cat:
            self.trap('unknown_model')

    # -- emit -----------------------------------------------------------------
    def trap(self, name):
        if name not in self.traps:
            self.traps.append(name)

    def emit(self, ev, lat):
        g = self.g
        a = self.a
        self.t += max(1, lat)
        e = {}
        if a.send_v:
            e['v'] = 1
        eid = g.nid('evt_', 80)
        e['event_id'] = eid
        e['_t'] = self.t
        e['session_id'] = self.sid
        e['agent_id'] = a.id
        if self.a0.send_tt:
            e['task_type'] = self.tt
        if self.task_id:
            e['task_id'] = self.task_id
        if self.parent:
            e['parent_session_id'] = self.parent
        if self.tenant:
            e['tenant'] = self.tenant
        e['team'] = a.team
        e['env'] = self.env
        k = ev.pop('kind')
        if not (k == 'llm' and a.omit_kind):
            e['kind'] = k
        for f, v in ev.items():
            if v is None:
                continue
            if a.omit_zero and f.endswith('_tokens') and v == 0:
                continue
            e[f] = v
        st = e.get('status', 'ok')
        if st == 'ok' and a.omit_status:
            e.pop('status', None)
        e['latency_ms'] = int(lat)
        e['_a'] = a
        g.seq += 1
        e['_s'] = g.seq
        g.events.append(e)
        self.n += 1
        if self.onset_pending and self.onset is None and (not self.onset_llm_only or k == 'llm'):
            self.onset = eid
            self.onset_pending = False
        c = ev.get('cost_usd')
        if c is None and k == 'llm':
            c = g.price(ev['model'], ev.get('input_tokens', 0), ev.get('output_tokens', 0), ev.get('cache_read_tokens', 0),
                        ev.get('cache_write_tokens', 0), ev.get('reasoning_tokens', 0))
        self.cost += c or 0
        return e

    def gap(self, lo=60, hi=900):
        self.t += self.rng.randint(lo, hi)

    # -- llm ------------------------------------------------------------------
    def llm(self, out=(60, 400), new=300, tool=None, model=None, reason=True, status='ok', big=0):
        g = self.g
        rng = self.rng
        model = model or self.model
        self.gap()
        # provider outage
        if g.outage and model in g.cat and g.cat[model]['litellm_provider'] == g.outage[0] and g.outage[1] <= self.t < g.outage[2]:
            self.outage_retry(model)
        if isinstance(out, tuple):
            out = rng.randint(*out)
        out = int(out * self.vol)
        new = int(new * self.vol) + big + self.stuff
        prompt = self.sys + self.hist + new
        mc = g.max_ctx(model)
        if prompt > mc:
            prompt = mc
        prov = g.cat[model]['litellm_provider'] if model in g.cat else UNKNOWN_MODEL[1]
        cr = cw = 0
        within = (self.t - self.last_llm_t) < 300000
        if self.a.cache and model in g.cat and not self.nocache:
            if prov == 'anthropic':
                if within and self.cache_ok and model == getattr(self, 'last_model', None):
                    cr = min(self.prev_prompt, prompt) if not self.a.cache_bust else 0
                elif not self.a.cache_bust:
                    cr = 0
                tail = rng.randint(3, 60)
                if self.a.cache_bust:
                    cw = 0
                    it = prompt
                else:
                    cw = max(0, prompt - cr - tail)
                    it = prompt - cr - cw
            else:
                if within and self.cache_ok and not self.a.cache_bust and self.prev_prompt >= 1024 and model == getattr(self, 'last_model', None):
                    cr = (min(self.prev_prompt, prompt) // 128) * 128
                it = prompt - cr
        else:
            it = prompt
        rt = 0
        if model in REASONING and reason:
            rt = int(out * rng.uniform(0.5, 4.0))
        sp, ttft = SPEED.get(model, (12, 900))
        lat = int(ttft * rng.uniform(0.6, 1.8) + (out + rt) * sp * rng.uniform(0.8, 1.3) + prompt * 0.004)
        if status != 'ok':
            out, rt = 0, 0
            lat = rng.randint(200, 2500) if rng.random() < 0.7 else rng.randint(20000, 60000)
        ev = {'kind': 'llm', 'model': model, 'provider': prov,
              'input_tokens': it, 'output_tokens': out, 'cache_read_tokens': cr,
              'cache_write_tokens': cw, 'reasoning_tokens': rt, 'tool': tool, 'status': status}
        if status != 'ok':
            ev.update(input_tokens=0, cache_read_tokens=0, cache_write_tokens=0)
        if (self.a.reports_cost or prov == 'selfhosted' and self.rng.random() < 0.0) and model in g.cat:
            c = g.price(model, ev['input_tokens'], out, ev['cache_read_tokens'], ev['cache_write_tokens'], rt)
            ev['cost_usd'] = round(c * self.a.cost_factor, 8)
        if self.onset_pending and self.spike_on and model != self.model:
            pass
        self.emit(ev, lat)
        if status == 'ok':
            self.prev_prompt = prompt
            self.last_llm_t = self.t
            self.cache_ok = True
            self.last_model = model
            self.hist += new - self.stuff - big + out
            self.llm_calls += 1
            if self.spike_on:
                self.spike_llm += 1
            self.manage_ctx()

    def outage_retry(self, model):
        g = self.g
        rng = self.rng
        i = 0
        self.trap('outage')
        while g.outage[1] <= self.t < g.outage[2]:
            last = i >= self.a.max_retries
            self._fail_llm(model, last)
            if last:
                if rng.random() < 0.5:
                    raise Stop()
                self.t = g.outage[2] + rng.randint(30000, 600000)
                return
            self.t += min(60000, self.a.backoff * (2 ** i)) + rng.randint(0, 800)
            i += 1

    def _fail_llm(self, model, last):
        rng = self.rng
        prov = self.g.cat[model]['litellm_provider'] if model in self.g.cat else UNKNOWN_MODEL[1]
        lat = rng.randint(250, 1500) if rng.random() < 0.6 else rng.randint(30000, 60000)
        self.emit({'kind': 'llm', 'model': model, 'provider': prov, 'input_tokens': 0, 'output_tokens': 0,
                   'status': 'error' if last else 'retry'}, lat)
        self.retries += 1

    def manage_ctx(self):
        if self.in_compact or self.strategy == 'none' or (self.rw_started and self.rw == 'context_growth'):
            return
        if self.strategy == 'window' and self.hist > self.ctx_limit:
            self.hist = int(self.ctx_limit * self.rng.uniform(0.45, 0.7))
            self.cache_ok = False
        elif self.strategy == 'compact' and self.hist > self.ctx_limit:
            # summarization call over the whole history, then restart from the summary
            self.trap('compaction')
            self.gap()
            summ = self.rng.randint(600, 2000)
            self.in_compact = True
            self.llm(out=summ, new=200, tool=None, reason=False)
            self.in_compact = False
            self.hist = summ + self.rng.randint(200, 800)
            self.cache_ok = False

    # -- tools ----------------------------------------------------------------
    def tool(self, name, key=None, result=None, status=None, lat=None, retry=True, cost=None):
        rng = self.rng
        med_lat, med_res, err, tcost = TOOLS[name]
        if key is None:
            key = self.g.newkey()
        h = ahash(name, key)
        tries = 0
        if self.flaky and status is None and retry and self.n > 3 and name != 'spawn_subagent':
            force = self.flaky
            self.flaky = 0
        else:
            force = 0
        while True:
            self.gap(20, 300)
            st = status
            if st is None:
                st = 'error' if (force > 0 or rng.random() < err) else 'ok'
                force -= 1
            l = lat if lat is not None else int(med_lat * math.exp(rng.gauss(0, 0.5)))
            if st != 'ok':
                l = int(l * rng.uniform(0.1, 1.5))
            ev = {'kind': 'tool', 'tool': name, 'args_hash': h, 'status': st}
            c = cost if cost is not None else tcost
            if c is not None and st == 'ok':
                ev['cost_usd'] = round(c * rng.uniform(0.9, 1.1), 6)
            if st != 'ok' and retry and status is None and tries < 3:
                ev['status'] = 'retry'
            self.emit(ev, l)
            if st == 'ok' or status is not None or not retry:
                break
            tries += 1
            self.retries += 1
            if tries > 3:
                break
            if tries >= 2:
                self.trap('legit_retries')
            self.t += self.a.backoff * (2 ** (tries - 1)) + rng.randint(0, 500)
            if rng.random() < 0.3:
                self.llm(out=(30, 150), new=rng.randint(80, 300), tool=name)
        res = result if result is not None else int(med_res * math.exp(rng.gauss(0, 0.6)))
        self.hist += res
        return h

    def step(self, tools, key=None, result=None, out=(60, 350)):
        name = tools if isinstance(tools, str) else self.rng.choice(tools)
        self.llm(out=out, new=self.rng.randint(50, 400), tool=name)
        return self.tool(name, key, result)

    def handoff(self, target):
        self.gap(50, 400)
        self.emit({'kind': 'handoff', 'target_agent_id': target.id, 'status': 'ok'}, self.rng.randint(5, 120))
        self.a = target
        self.model = target.model
        self.cache_ok = False

    def wait(self, ms):
        self.t += int(ms)

    # -- sub-agents -----------------------------------------------------------
    def spawn(self, ctype, n, conc=4, kw=None, part_of=None, rfan=None, run_each=None):
        """spawn n children (pool of conc slots); wait for all; returns end time."""
        g = self.g
        rng = self.rng
        slots = [self.t] * conc
        ends = []
        for i in range(n):
            slots.sort()
            start = max(self.t, slots[0])
            self.t = start
            self.llm(out=(40, 200), new=rng.randint(100, 400), tool='spawn_subagent') if (i == 0 or rng.random() < 0.15) else None
            self.tool('spawn_subagent', retry=False, status='ok')
            self.children += 1
            cs = g.session(ctype, self.t + rng.randint(50, 600), self.sid, self.task_id, tenant=self.tenant,
                           part_of=part_of or self.part_of, rfan=rfan, depth=self.depth + 1)
            slots[0] = cs
            ends.append(cs)
        end = max(ends + [self.t])
        self.t = end
        self.cache_ok = False
        self.hist += min(20000, n * rng.randint(150, 500))
        return end

    def cp(self, final=False):
        """checkpoint: a possible onset point for the planned runaway."""
        self.cpn += 1
        if self.rw and not self.rw_started and (final or self.cpn > self.rw_at):
            self.rw_started = True
            run_runaway(self)

    def sustain_spike(self):
        target = self.spike_need
        tools = self.spec['tools']
        while self.spike_llm < target:
            self.step(tools)

    def finish(self):
        g = self.g
        kind = 'normal'
        label = 'normal'
        if self.part_of:
            label, kind = 'runaway', 'subagent_fanout'
            onset = self.onset
        elif self.rw and self.onset is not None:
            label, kind = 'runaway', self.rw
            onset = self.onset
        else:
            onset = None
            if self.traps:
                kind = self.traps[0]
            g.norm_len.setdefault(self.tt, []).append(self.n)
            g.norm_cost.setdefault(self.tt, []).append(self.cost)
        g.labels.append({
            'session_id': self.sid, 'label': label, 'kind': kind, 'onset_event_id': onset,
            'task_id': self.task_id, 'part_of': self.part_of, 'agent_id': self.a0.id, 'task_type': self.tt,
            'parent_session_id': self.parent, 'depth': self.depth, 'traps': self.traps,
            'task_type_sent': self.a0.send_tt, '_t0': self.t0, 'n_events': self.n,
        })


# ----------------------------------------------------------------------------
# runaway behaviours
def run_runaway(s):
    g = s.g
    rng = s.rng
    k = s.rw
    tools = s.spec['tools']
    s.onset_pending = True
    K = g.ln(70, 0.75, 18, 700)
    if k not in ('context_growth', 'cost_spike', 'step_runaway', 'session_budget'):
        # the agent's usual history truncation keeps running during a loop
        s.strategy = 'window'
        s.ctx_limit = min(s.ctx_limit, rng.randint(12000, 30000))
    if k == 'loop_repeat':
        name = rng.choice(tools)
        key = g.newkey()
        with_llm = rng.random() < 0.8
        other = rng.uniform(0, 0.3)
        res = int(TOOLS[name][1] * rng.uniform(0.3, 1.0))
        for i in range(K):
            if with_llm:
                s.llm(out=(40, 220), new=rng.randint(60, 300), tool=name)
            s.tool(name, key, result=res, status='ok', lat=int(TOOLS[name][0] * rng.uniform(0.7, 1.3)))
            if rng.random() < other:
                s.tool(rng.choice(tools), status='ok')
        raise Stop()
    if k == 'loop_cycle':
        L = rng.randint(2, 4)
        cyc = [(rng.choice(tools), g.newkey()) for _ in range(L)]
        C = max(6, K // L)
        llm_p = rng.uniform(0.5, 1.0)
        for i in range(C):
            for name, key in cyc:
                if rng.random() < llm_p:
                    s.llm(out=(40, 250), new=rng.randint(60, 300), tool=name)
                s.tool(name, key, result=int(TOOLS[name][1] * 0.5), status='ok')
        raise Stop()
    if k == 'ping_pong':
        roles = s.spec.get('partner') or PARTNERS[s.spec['profile']]
        B = rng.choice(g.partners[rng.choice(roles)])
        A = s.a
        R = max(8, K // 3)
        tname = rng.choice(tools)
        key = g.newkey()
        talk = rng.random() < 0.85
        for i in range(R):
            s.handoff(B)
            if talk:
                s.llm(out=(80, 500), new=rng.randint(200, 900), tool=None)
                if rng.random() < 0.4:
                    s.tool(tname, key, status='ok')
            s.handoff(A)
            if talk:
                s.llm(out=(80, 500), new=rng.randint(200, 900), tool=None)
        raise Stop()
    if k == 'step_runaway':
        s.strategy = 'compact' if rng.random() < 0.5 else 'window'
        s.ctx_limit = min(s.ctx_limit, 40000)
        med, hi = g.typical(g.norm_len, s.tt, s.spec['cp'] * 6)
        target = max(hi * rng.uniform(1.6, 4.0), med * rng.uniform(8, 25), 80)
        while s.n < target:
            s.step(tools)
        raise Stop()
    if k == 'retry_storm':
        shape = rng.choice(['tool_llm', 'tool_tight', 'llm_ratelimit'])
        name = rng.choice(tools)
        key = g.newkey()
        cap = rng.choice([0, 2000, 15000, 60000])
        for i in range(K):
            if shape == 'llm_ratelimit':
                if rng.random() < 0.15:
                    s.llm(out=(30, 120), new=100, tool=name)
                else:
                    s._fail_llm(s.model, rng.random() < 0.3)
            else:
                if shape == 'tool_llm':
                    s.llm(out=(40, 200), new=rng.randint(100, 400), tool=name)
                st = 'error' if rng.random() < 0.5 else 'retry'
                s.tool(name, key if rng.random() < 0.85 else None, status=st, retry=False)
            if cap:
                s.t += min(cap, 500 * (2 ** min(i, 10))) + rng.randint(0, 300)
        raise Stop()
    if k == 'context_growth':
        s.strategy = 'none'
        if rng.random() < 0.7:
            s.nocache = True  # growth shows in input_tokens; otherwise in cache_read/cache_write
        mc = g.max_ctx(s.model)
        lim = int(mc * rng.uniform(0.6, 0.95))
        i = 0
        while s.sys + s.hist < lim and i < 900:
            name = rng.choice(tools)
            s.llm(out=(100, 600), new=rng.randint(100, 500), tool=name)
            s.tool(name, result=rng.randint(1500, 9000))
            i += 1
        for _ in range(rng.randint(0, 3)):
            s._fail_llm(s.model, True)
        raise Stop()
    if k == 'subagent_fanout':
        child = s.spec.get('child') or CHILD_DEFAULT[s.spec['profile']]
        if rng.random() < 0.5:
            n = g.ln(180, 0.6, 50, 900)
            s.spawn(child, n, conc=rng.randint(4, 16), part_of=s.sid)
        else:
            budget = [g.ln(160, 0.5, 60, 600)]
            b = rng.randint(2, 4)
            s.spawn(child, b + 1, conc=b + 1, part_of=s.sid, rfan=(s.sid, rng.randint(5, 9), budget, b))
        s.llm(out=(200, 800), new=2000)
        raise Stop()
    if k == 'cost_spike':
        s.onset_llm_only = True
        s.spike_on = True
        s.spike_need = rng.randint(12, 60)
        if s.model in SPIKE and rng.random() < 0.7:
            s.model = SPIKE[s.model]
        else:
            s.stuff = int(max(20000, (s.sys + 4000) * rng.uniform(5, 10)))
            s.stuff = min(s.stuff, int(g.max_ctx(s.model) * 0.5))
        return  # continues normal work, at the new price
    if k == 'session_budget':
        s.strategy = 'window'
        s.ctx_limit = max(s.ctx_limit, 30000)
        med, hi = g.typical(g.norm_cost, s.tt, 0.5)
        target = max(hi * rng.uniform(2.5, 8), med * rng.uniform(15, 60))
        i = 0
        while s.cost < target and i < 700:
            i += 1
            s.llm(out=(2500, 9000), new=rng.randint(1000, 6000), tool='write_doc')
            s.tool('write_doc', status='ok')
            if rng.random() < 0.3:
                s.tool(rng.choice(tools))
        raise Stop()


def fan_child(s):
    """called in a child of a recursive runaway fan-out after its own small job."""
    if not s.rfan:
        return
    root, depth_left, budget, b = s.rfan
    if depth_left <= 0 or budget[0] <= 0:
        return
    n = s.rng.randint(max(1, b - 1), b + 1)
    n = min(n, budget[0])
    budget[0] -= n
    s.spawn(s.tt, n, conc=n, part_of=root, rfan=(root, depth_left - 1, budget, b))


# ----------------------------------------------------------------------------
# task types.  Each fn drives one session; s.cp() marks possible runaway onsets.
def _intro(s, lookup=None):
    if lookup:
        s.step(lookup)
    s.llm(out=(150, 700), new=s.rng.randint(300, 1500))


def _final(s, out=(300, 1500)):
    s.llm(out=out, new=s.rng.randint(100, 600))


def _maybe_expensive(s, p=0.03):
    if s.rng.random() < p:
        s.trap('one_expensive_call')
        m = SPIKE.get(s.model, s.model)
        s.llm(out=(2000, 6000), new=s.rng.randint(60000, 120000), model=m if s.rng.random() < 0.5 else None)


# ---- content
def t_blog_post(s):
    g, r = s.g, s.rng
    _intro(s, 'brand_guide_lookup')
    for _ in range(g.ln(5, 0.5, 1, 20)):
        s.step(['web_search', 'fetch_url', 'fetch_url', 'read_doc'])
        s.cp()
    s.llm(out=(1500, 4000), new=400, tool='write_doc')
    s.tool('write_doc')
    rounds = r.choice([1, 1, 1, 2, 2, 3])
    writer = s.a
    ed = r.choice(g.partners['editor'])
    for i in range(rounds):
        s.handoff(ed)
        s.step('read_doc')
        s.llm(out=(300, 1200), new=300)
        s.cp()
        s.handoff(writer)
        s.llm(out=(1200, 3500), new=800, tool='write_doc')
        s.tool('write_doc')
    if rounds >= 2:
        s.trap('review_rounds')
    seo = r.choice(g.partners['seo'])
    s.handoff(seo)
    s.step('seo_audit')
    kws = r.randint(3, 12)
    s.llm(out=(100, 300), new=300, tool='keyword_volume')
    for _ in range(kws):
        s.tool('keyword_volume')
    s.cp()
    s.handoff(writer)
    if r.random() < 0.7:
        s.spawn('image_prompt', r.randint(1, 4), conc=2)
    _maybe_expensive(s)
    s.step('cms_publish')
    _final(s, (100, 400))


def t_image_prompt(s):
    r = s.rng
    s.llm(out=(150, 500), new=r.randint(500, 1500))
    s.cp()
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        s.step('generate_image')
    _final(s, (60, 200))
    fan_child(s)


def t_campaign_launch(s):
    g, r = s.g, s.rng
    _intro(s, 'brand_guide_lookup')
    s.step('read_doc')
    s.cp()
    locales = r.choice([2, 3, 4, 6, 8, 12, 16, 24])
    channels = r.choice([1, 2, 3, 4, 5])
    n = locales * channels
    if n >= 24:
        s.trap('wide_tree')
    s.spawn('localize_copy', n, conc=r.choice([4, 8, 12]))
    s.cp()
    s.llm(out=(600, 2000), new=1500)
    for _ in range(min(n, 40)):
        s.tool('post_preview')
    s.cp()
    _final(s)


def t_localize_copy(s):
    r = s.rng
    s.step('translate_memory')
    s.llm(out=(300, 1200), new=r.randint(400, 1200))
    s.cp()
    s.step('glossary_check')
    if r.random() < 0.3:
        s.llm(out=(200, 800), new=300)
    _final(s, (50, 200))
    fan_child(s)


def t_content_plan(s):
    g, r = s.g, s.rng
    _intro(s, 'brand_guide_lookup')
    s.step(['web_search', 'keyword_volume'])
    s.cp()
    n = r.randint(2, 5)
    s.trap('deep_tree')
    s.spawn('plan_section', n, conc=n)
    s.cp()
    _final(s, (800, 2500))


def t_plan_section(s):
    r = s.rng
    s.llm(out=(300, 900), new=r.randint(500, 1500))
    s.step(['web_search', 'keyword_volume', 'read_doc'])
    s.cp()
    if s.depth < 2 or r.random() < 0.5:
        s.spawn('blog_brief', r.randint(1, 4), conc=3)
    _final(s, (300, 1000))
    fan_child(s)


def t_blog_brief(s):
    r = s.rng
    for _ in range(r.randint(1, 4)):
        s.step(['web_search', 'keyword_volume', 'fetch_url'])
        s.cp()
    _final(s, (400, 1200))
    fan_child(s)


def t_social_snippets(s):
    g, r = s.g, s.rng
    _intro(s, 'brand_guide_lookup')
    n = g.ln(18, 0.6, 4, 120)
    if n >= 20:
        s.trap('batch_tool')
    per = r.choice([1, 3, 5, 10])
    for i in range(n):
        if i % per == 0:
            s.llm(out=(200, 900), new=r.randint(200, 600), tool='post_preview')
            s.cp()
        s.tool('post_preview')
    _final(s, (200, 600))


def t_brand_voice_audit(s):
    g, r = s.g, s.rng
    s.trap('long_by_nature')
    _intro(s, 'brand_guide_lookup')
    for i in range(g.ln(45, 0.6, 12, 260)):
        s.step(['asset_fetch', 'asset_fetch', 'read_doc', 'plagiarism_check'])
        if i % 4 == 0:
            s.cp()
    _final(s, (1500, 4000))


def t_newsletter(s):
    g, r = s.g, s.rng
    _intro(s)
    for _ in range(g.ln(4, 0.6, 1, 15)):
        s.step(['read_doc', 'fetch_url', 'web_search'])
        s.cp()
    s.llm(out=(1500, 3500), new=600, tool='write_doc')
    s.tool('write_doc')
    _maybe_expensive(s, 0.06)
    s.step('send_email')
    _final(s, (50, 200))


# ---- recruiting
def t_resume_screen_batch(s):
    g, r = s.g, s.rng
    _intro(s, 'ats_get_job')
    n = g.ln(35, 0.9, 5, 400)
    if n >= 25:
        s.trap('batch_tool')
    if n >= 80:
        s.trap('long_by_nature')
    every = r.choice([0, 5, 10])
    for i in range(n):
        s.tool('fetch_resume')
        s.llm(out=(80, 300), new=r.randint(200, 500), tool='ats_update_candidate', reason=False)
        s.hist -= r.randint(1500, 3000)  # per-candidate context is dropped after scoring
        s.hist = max(0, s.hist)
        s.tool('ats_update_candidate')
        if every and i % every == 0:
            s.cp()
        elif not every and i % 10 == 0:
            s.cp()
    _final(s, (400, 1500))


def t_screen_fanout(s):
    g, r = s.g, s.rng
    _intro(s, 'ats_get_job')
    n = g.ln(20, 0.7, 4, 150)
    if n >= 24:
        s.trap('wide_tree')
    s.cp()
    s.spawn('screen_candidate', n, conc=r.choice([5, 10, 20]))
    s.cp()
    _final(s, (500, 1500))


def t_screen_candidate(s):
    r = s.rng
    s.step('fetch_resume')
    if r.random() < 0.3:
        s.step('linkedin_enrich')
    s.cp()
    s.llm(out=(150, 500), new=300, tool='ats_update_candidate')
    s.tool('ats_update_candidate')
    fan_child(s)


def t_interview_scheduling(s):
    g, r = s.g, s.rng
    _intro(s, 'ats_get_status')
    people = r.randint(2, 5)
    for p in range(people):
        s.step('calendar_freebusy')
    s.cp()
    polls = g.ln(6, 0.7, 1, 40)
    key = g.newkey()
    wait = r.choice([120000, 300000, 600000, 900000])
    if polls >= 4:
        s.trap('polling_wait')
    for i in range(polls):
        s.wait(wait * r.uniform(0.9, 1.2))
        if r.random() < 0.3:
            s.llm(out=(20, 80), new=200, tool='calendar_freebusy', reason=False)
        s.tool('calendar_freebusy', key)
        if i % 5 == 4:
            s.cp()
    s.step('calendar_book')
    s.step('send_email')
    s.cp()
    _final(s, (100, 300))


def t_reference_check(s):
    g, r = s.g, s.rng
    _intro(s, 'ats_get_status')
    ref_agent = r.choice(g.partners['reference'])
    me = s.a
    s.handoff(ref_agent)
    for _ in range(r.randint(1, 3)):
        s.step('send_email')
    s.cp()
    key = g.newkey()
    polls = g.ln(4, 0.6, 1, 20)
    if polls >= 4:
        s.trap('polling_wait')
    for _ in range(polls):
        s.wait(r.randint(600000, 1800000))
        s.tool('inbox_search', key)
    s.llm(out=(400, 1200), new=1500)
    s.cp()
    s.handoff(me)
    s.step('ats_update_candidate')
    if r.random() < 0.2:
        s.step('background_check_order')
    _final(s, (200, 800))


def t_job_description(s):
    g, r = s.g, s.rng
    _intro(s, 'jd_template')
    for _ in range(g.ln(3, 0.5, 1, 10)):
        s.step(['ats_get_job', 'web_search', 'read_doc'])
        s.cp()
    for _ in range(r.randint(1, 3)):
        s.llm(out=(800, 2000), new=500, tool='write_doc')
        s.tool('write_doc')
        s.cp()
    _maybe_expensive(s, 0.05)
    _final(s, (100, 300))


def t_candidate_outreach(s):
    g, r = s.g, s.rng
    _intro(s, 'ats_get_job')
    n = g.ln(25, 0.7, 3, 200)
    if n >= 25:
        s.trap('batch_tool')
    for i in range(n):
        if r.random() < 0.4:
            s.tool('linkedin_enrich')
        s.llm(out=(150, 400), new=r.randint(300, 800), tool='send_email', reason=False)
        s.hist = max(0, s.hist - 600)
        s.tool('send_email')
        if i % 8 == 0:
            s.cp()
    _final(s, (200, 500))


# ---- dataeng
def t_schema_inference(s):
    g, r = s.g, s.rng
    _intro(s, 'list_partitions')
    n = g.ln(8, 0.7, 2, 60)
    for i in range(n):
        s.tool('read_sample')
        if i % 3 == 0:
            s.llm(out=(200, 700), new=300, tool='read_sample')
            s.cp()
    s.llm(out=(800, 2500), new=800)
    for _ in range(r.randint(1, 4)):
        s.step('profile_column')
    s.cp()
    _final(s, (500, 1500))


def t_partition_backfill(s):
    g, r = s.g, s.rng
    _intro(s, 'list_partitions')
    n = r.choice([24, 24, 48, 72, 96, 168, 240, 360, 720])
    n = int(n * r.uniform(0.6, 1.0))
    s.trap('batch_tool')
    if n > 120:
        s.trap('long_by_nature')
    burst = r.random() < 0.5
    for i in range(n):
        if burst and r.random() < 0.06:
            # rate limited: 1-3 legitimate retries with backoff
            nr = r.randint(1, 3)
            key = g.newkey()
            for j in range(nr):
                s.tool('run_backfill_partition', key, status='retry', lat=r.randint(100, 600))
                s.wait(r.choice([5000, 15000, 30000, 60000]) * (j + 1))
            s.trap('rate_limited_backfill')
            if nr >= 2:
                s.trap('legit_retries')
            s.tool('run_backfill_partition', key, status='ok')
        else:
            s.tool('run_backfill_partition')
        if i % 12 == 0:
            s.llm(out=(60, 250), new=r.randint(200, 600), tool='run_backfill_partition', reason=False)
            s.hist = min(s.hist, 8000)
            s.cp()
    s.step('warehouse_query')
    _final(s, (200, 600))


def t_dag_run(s):
    g, r = s.g, s.rng
    _intro(s, 'airflow_trigger')
    n = g.ln(8, 0.6, 2, 50)
    if n >= 20:
        s.trap('wide_tree')
    s.cp()
    s.spawn('dag_task', n, conc=r.choice([2, 4, 8]))
    s.cp()
    key = g.newkey()
    for _ in range(r.randint(1, 4)):
        s.wait(r.randint(30000, 180000))
        s.tool('airflow_task_status', key)
    _final(s, (200, 700))


def t_dag_task(s):
    g, r = s.g, s.rng
    for _ in range(g.ln(3, 0.5, 1, 12)):
        s.step(['warehouse_query', 'get_schema', 'read_model_sql'])
        s.cp()
    if s.depth < 3 and r.random() < 0.15:
        s.trap('deep_tree')
        s.spawn('dag_task', r.randint(2, 4), conc=2)
    _final(s, (80, 300))
    fan_child(s)


def t_dbt_test_fix(s):
    g, r = s.g, s.rng
    _intro(s, 'read_model_sql')
    tkey = g.newkey()
    s.step('dbt_run')
    s.step('dbt_test', key=tkey)
    s.cp()
    iters = r.choice([0, 1, 1, 2, 2, 3, 4, 5])
    if iters >= 2:
        s.trap('dbt_test_loop')
    for i in range(iters):
        s.step('read_model_sql')
        s.llm(out=(300, 1200), new=600, tool='edit_model_sql')
        s.tool('edit_model_sql')  # a different fix each time
        s.tool('dbt_run', tkey + 'r')
        s.llm(out=(40, 150), new=300, tool='dbt_test')
        s.tool('dbt_test', tkey)  # identical test invocation re-run after each fix
        s.cp()
    _final(s, (200, 800))


def t_pipeline_monitor(s):
    g, r = s.g, s.rng
    _intro(s, 'airflow_task_status')
    key = g.newkey()
    polls = g.ln(8, 0.8, 2, 60)
    if polls >= 4:
        s.trap('polling_wait')
    wait = r.choice([60000, 120000, 300000])
    for i in range(polls):
        s.wait(wait * r.uniform(0.95, 1.1))
        s.tool('airflow_task_status', key)
        if i % 6 == 5:
            s.llm(out=(30, 120), new=200, tool='airflow_task_status', reason=False)
            s.cp()
    s.step(['query_logs', 'notify_slack'])
    _final(s, (100, 400))


def t_data_quality(s):
    g, r = s.g, s.rng
    _intro(s, 'get_schema')
    n = g.ln(14, 0.7, 3, 120)
    if n >= 25:
        s.trap('batch_tool')
    for i in range(n):
        s.tool('profile_column')
        if i % 5 == 0:
            s.llm(out=(100, 400), new=300, tool='profile_column')
            s.hist = min(s.hist, 10000)
            s.cp()
    if r.random() < 0.04:
        s.trap('one_expensive_call')
        s.tool('warehouse_scan_full')
    _final(s, (400, 1200))


def t_incident_triage(s):
    g, r = s.g, s.rng
    _intro(s)
    for _ in range(g.ln(7, 0.8, 2, 70)):
        s.step(['query_logs', 'warehouse_query', 'airflow_task_status', 'get_schema'])
        s.cp()
    _maybe_expensive(s, 0.04)
    s.step('notify_slack')
    _final(s, (400, 1200))


# ---- tutoring
def t_tutoring_chat(s):
    g, r = s.g, s.rng
    s.trap('long_by_nature')
    _intro(s, 'get_student_progress')
    turns = g.ln(28, 0.7, 5, 160)
    for i in range(turns):
        s.wait(r.randint(15000, 240000))  # student typing / thinking
        s.llm(out=(120, 700), new=r.randint(40, 400))
        if r.random() < 0.15:
            s.step(['curriculum_lookup', 'math_eval', 'video_clip_search'])
        if r.random() < 0.06:
            s.spawn('grade_answer', 1, conc=1)
        if i % 3 == 0:
            s.cp()
    _final(s, (200, 600))


def t_homework_help(s):
    g, r = s.g, s.rng
    _intro(s)
    for i in range(g.ln(4, 0.6, 1, 20)):
        s.wait(r.randint(10000, 120000))
        s.llm(out=(150, 800), new=r.randint(60, 400))
        if r.random() < 0.3:
            s.step(['math_eval', 'curriculum_lookup'])
        s.cp()
    _final(s, (100, 300))


def t_quiz_generation(s):
    g, r = s.g, s.rng
    _intro(s, 'curriculum_lookup')
    n = g.ln(15, 0.6, 4, 80)
    if n >= 20:
        s.trap('batch_tool')
    for i in range(n):
        s.llm(out=(150, 500), new=r.randint(100, 300), tool='generate_question')
        s.hist = min(s.hist, 12000)
        s.tool('generate_question')
        if i % 4 == 0:
            s.cp()
    if r.random() < 0.5:
        s.spawn('validate_question', n, conc=r.choice([4, 8]))
        if n >= 24:
            s.trap('wide_tree')
    s.step('save_quiz')
    _final(s, (100, 300))


def t_validate_question(s):
    r = s.rng
    s.llm(out=(100, 400), new=r.randint(300, 800))
    s.cp()
    if r.random() < 0.4:
        s.step('math_eval')
    fan_child(s)


def t_grade_answer(s):
    r = s.rng
    s.step('rubric_lookup')
    s.cp()
    s.llm(out=(150, 600), new=r.randint(300, 1200), tool='record_grade')
    s.tool('record_grade')
    fan_child(s)


def t_grading_batch(s):
    g, r = s.g, s.rng
    _intro(s, 'rubric_lookup')
    n = g.ln(25, 0.7, 4, 180)
    s.trap('wide_tree' if n >= 24 else 'batch_tool')
    s.cp()
    s.spawn('grade_answer', n, conc=r.choice([6, 10, 16]))
    s.cp()
    _final(s, (300, 900))


def t_lesson_plan(s):
    g, r = s.g, s.rng
    _intro(s, 'curriculum_lookup')
    s.cp()
    s.trap('deep_tree')
    s.spawn('lesson_unit', r.randint(2, 4), conc=2)
    s.cp()
    _final(s, (800, 2500))


def t_lesson_unit(s):
    r = s.rng
    s.step(['curriculum_lookup', 'video_clip_search'])
    s.llm(out=(400, 1200), new=600)
    s.cp()
    if s.depth < 2 or r.random() < 0.4:
        s.spawn('activity_design', r.randint(1, 3), conc=3)
    _final(s, (300, 900))
    fan_child(s)


def t_activity_design(s):
    r = s.rng
    for _ in range(r.randint(1, 3)):
        s.step(['video_clip_search', 'generate_question', 'curriculum_lookup'])
        s.cp()
    _final(s, (300, 900))
    fan_child(s)


def t_essay_feedback(s):
    g, r = s.g, s.rng
    _intro(s, 'rubric_lookup')
    s.llm(out=(1500, 4000), new=r.randint(3000, 12000))
    s.cp()
    for _ in range(r.randint(0, 3)):
        s.wait(r.randint(20000, 200000))
        s.llm(out=(200, 800), new=r.randint(100, 400))
        s.cp()
    _maybe_expensive(s, 0.06)
    _final(s, (100, 400))


def t_progress_report(s):
    g, r = s.g, s.rng
    _intro(s)
    n = g.ln(28, 0.5, 8, 90)
    if n >= 20:
        s.trap('batch_tool')
    for i in range(n):
        s.tool('get_student_progress')
        if i % 7 == 0:
            s.llm(out=(200, 600), new=300, tool='get_student_progress')
            s.hist = min(s.hist, 15000)
            s.cp()
    s.llm(out=(1500, 3500), new=800, tool='write_doc')
    s.tool('write_doc')
    s.step('send_email')
    _final(s, (100, 300))


CHEAP = ['claude-haiku-4-5', 'gpt-4.1-mini', 'gpt-5-mini', 'gemini/gemini-2.5-flash', 'gpt-4o-mini',
         'mistral/mistral-small-latest', 'deepseek/deepseek-chat', 'claude-3-5-haiku-latest']
MID = ['claude-sonnet-4-5', 'gpt-4.1', 'gpt-5', 'gemini/gemini-2.5-pro', 'o4-mini', 'mistral/mistral-medium-latest']

TASKS = {
    'content': {
        'blog_post': dict(fn=t_blog_post, weight=22, cp=8, models=MID + ['claude-haiku-4-5'], tools=['web_search', 'fetch_url', 'read_doc', 'keyword_volume'], child='image_prompt', ctx='window', ctx_limit=30000, agents=4),
        'image_prompt': dict(fn=t_image_prompt, weight=0, cp=2, models=CHEAP, tools=['generate_image'], ctx='none', agents=3),
        'campaign_launch': dict(fn=t_campaign_launch, weight=7, cp=3, models=MID, tools=['read_doc', 'post_preview', 'brand_guide_lookup'], child='localize_copy', ctx='window', agents=3),
        'localize_copy': dict(fn=t_localize_copy, weight=0, cp=2, models=CHEAP, tools=['translate_memory', 'glossary_check'], ctx='none', agents=4),
        'content_plan': dict(fn=t_content_plan, weight=5, cp=2, models=MID, tools=['web_search', 'keyword_volume', 'read_doc'], child='plan_section', ctx='window', agents=2),
        'plan_section': dict(fn=t_plan_section, weight=0, cp=2, models=MID + CHEAP[:2], tools=['web_search', 'keyword_volume'], child='blog_brief', ctx='none', agents=3),
        'blog_brief': dict(fn=t_blog_brief, weight=0, cp=2, models=CHEAP, tools=['web_search', 'keyword_volume', 'fetch_url'], ctx='none', agents=3),
        'social_snippets': dict(fn=t_social_snippets, weight=20, cp=4, models=CHEAP, tools=['post_preview', 'brand_guide_lookup'], ctx='window', ctx_limit=16000, agents=4),
        'brand_voice_audit': dict(fn=t_brand_voice_audit, weight=5, cp=10, models=MID, tools=['asset_fetch', 'read_doc', 'plagiarism_check'], ctx='compact', ctx_limit=60000, agents=2),
        'newsletter': dict(fn=t_newsletter, weight=16, cp=4, models=MID + CHEAP[:3], tools=['read_doc', 'fetch_url', 'web_search'], ctx='none', agents=3),
    },
    'recruiting': {
        'resume_screen_batch': dict(fn=t_resume_screen_batch, weight=14, cp=6, models=CHEAP + ['gpt-4.1'], tools=['fetch_resume', 'ats_update_candidate'], child='screen_candidate', ctx='window', ctx_limit=20000, agents=4),
        'screen_fanout': dict(fn=t_screen_fanout, weight=6, cp=2, models=MID, tools=['ats_get_job', 'fetch_resume'], child='screen_candidate', ctx='window', agents=2),
        'screen_candidate': dict(fn=t_screen_candidate, weight=0, cp=1, models=CHEAP, tools=['fetch_resume', 'linkedin_enrich', 'ats_update_candidate'], ctx='none', agents=4),
        'interview_scheduling': dict(fn=t_interview_scheduling, weight=24, cp=4, models=CHEAP, tools=['calendar_freebusy', 'calendar_book', 'send_email', 'ats_get_status'], child='screen_candidate', ctx='window', agents=4),
        'reference_check': dict(fn=t_reference_check, weight=12, cp=3, models=MID + CHEAP[:2], tools=['send_email', 'inbox_search', 'ats_update_candidate'], partner=['reference'], child='screen_candidate', ctx='window', agents=3),
        'job_description': dict(fn=t_job_description, weight=14, cp=4, models=MID, tools=['ats_get_job', 'web_search', 'read_doc', 'jd_template'], child='screen_candidate', ctx='none', agents=3),
        'candidate_outreach': dict(fn=t_candidate_outreach, weight=14, cp=4, models=CHEAP, tools=['linkedin_enrich', 'send_email', 'ats_get_job'], child='screen_candidate', ctx='window', ctx_limit=14000, agents=3),
    },
    'dataeng': {
        'schema_inference': dict(fn=t_schema_inference, weight=14, cp=4, models=MID + CHEAP[:3], tools=['read_sample', 'get_schema', 'profile_column'], child='dag_task', ctx='window', ctx_limit=30000, agents=3),
        'partition_backfill': dict(fn=t_partition_backfill, weight=8, cp=10, models=CHEAP, tools=['run_backfill_partition', 'warehouse_query', 'list_partitions'], child='dag_task', ctx='window', ctx_limit=10000, agents=3),
        'dag_run': dict(fn=t_dag_run, weight=12, cp=2, models=CHEAP + ['gpt-4.1'], tools=['airflow_trigger', 'airflow_task_status'], child='dag_task', ctx='window', agents=3),
        'dag_task': dict(fn=t_dag_task, weight=0, cp=3, models=CHEAP + MID[:2], tools=['warehouse_query', 'get_schema', 'read_model_sql'], child='dag_task', ctx='none', agents=5),
        'dbt_test_fix': dict(fn=t_dbt_test_fix, weight=14, cp=4, models=MID, tools=['dbt_run', 'dbt_test', 'read_model_sql', 'edit_model_sql'], child='dag_task', ctx='window', ctx_limit=40000, agents=3),
        'pipeline_monitor': dict(fn=t_pipeline_monitor, weight=16, cp=3, models=CHEAP, tools=['airflow_task_status', 'query_logs', 'notify_slack'], child='dag_task', ctx='window', agents=3),
        'data_quality': dict(fn=t_data_quality, weight=14, cp=4, models=CHEAP + MID[:2], tools=['profile_column', 'get_schema', 'warehouse_query'], child='dag_task', ctx='window', agents=3),
        'incident_triage': dict(fn=t_incident_triage, weight=10, cp=6, models=MID, tools=['query_logs', 'warehouse_query', 'airflow_task_status', 'get_schema'], child='dag_task', ctx='compact', ctx_limit=50000, agents=3),
    },
    'tutoring': {
        'tutoring_chat': dict(fn=t_tutoring_chat, weight=20, cp=12, models=MID + CHEAP[:3], tools=['curriculum_lookup', 'math_eval', 'video_clip_search'], child='grade_answer', ctx='compact', ctx_limit=28000, agents=4),
        'homework_help': dict(fn=t_homework_help, weight=24, cp=4, models=CHEAP, tools=['math_eval', 'curriculum_lookup'], child='grade_answer', ctx='none', agents=4),
        'quiz_generation': dict(fn=t_quiz_generation, weight=12, cp=4, models=CHEAP + ['gpt-4.1'], tools=['generate_question', 'curriculum_lookup', 'save_quiz'], child='validate_question', ctx='window', agents=3),
        'validate_question': dict(fn=t_validate_question, weight=0, cp=1, models=CHEAP, tools=['math_eval'], ctx='none', agents=3),
        'grade_answer': dict(fn=t_grade_answer, weight=0, cp=1, models=CHEAP, tools=['rubric_lookup', 'record_grade'], ctx='none', agents=4),
        'grading_batch': dict(fn=t_grading_batch, weight=10, cp=2, models=MID, tools=['rubric_lookup', 'record_grade'], child='grade_answer', ctx='window', agents=3),
        'lesson_plan': dict(fn=t_lesson_plan, weight=6, cp=2, models=MID, tools=['curriculum_lookup', 'video_clip_search'], child='lesson_unit', ctx='window', agents=2),
        'lesson_unit': dict(fn=t_lesson_unit, weight=0, cp=2, models=MID + CHEAP[:2], tools=['curriculum_lookup', 'video_clip_search'], child='activity_design', ctx='none', agents=3),
        'activity_design': dict(fn=t_activity_design, weight=0, cp=2, models=CHEAP, tools=['video_clip_search', 'generate_question'], ctx='none', agents=3),
        'essay_feedback': dict(fn=t_essay_feedback, weight=14, cp=3, models=MID, tools=['rubric_lookup'], child='grade_answer', ctx='none', agents=3),
        'progress_report': dict(fn=t_progress_report, weight=8, cp=4, models=CHEAP + ['gpt-4.1'], tools=['get_student_progress', 'write_doc', 'send_email'], child='grade_answer', ctx='window', agents=2),
    },
}
PARTNERS = {'content': ['editor', 'seo'], 'recruiting': ['reference', 'hiring-manager'],
            'dataeng': ['reviewer', 'oncall'], 'tutoring': ['mentor', 'grader-lead']}
CHILD_DEFAULT = {'content': 'blog_brief', 'recruiting': 'screen_candidate', 'dataeng': 'dag_task', 'tutoring': 'grade_answer'}


# ----------------------------------------------------------------------------
def fmt_ts(ms, mode, rng):
    if mode == 'mix':
        mode = 'ms' if rng.random() < 0.5 else 'rfc'
    if mode == 'ms':
        return ms
    off = 0
    if mode == 'rfc_off':
        off = 2 * 3600000
    tm = time.gmtime((ms + off) // 1000)
    s = '%04d-%02d-%02dT%02d:%02d:%02d.%03d' % (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ms + off) % 1000)
    return s + ('+02:00' if off else 'Z')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--profile', required=True, choices=['content', 'recruiting', 'dataeng', 'tutoring', 'mixed'])
    ap.add_argument('--sessions', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--labels', required=True)
    args = ap.parse_args()
    g = Gen(args.seed, args.profile, args.sessions)
    g.run()
    evs = g.events
    evs.sort(key=lambda e: (e['_t'], e['_s']))
    frng = random.Random('fleet9-fmt:%d:%s' % (args.seed, args.profile))
    lines = []
    for e in evs:
        a = e.pop('_a')
        t = e.pop('_t')
        e.pop('_s')
        e['ts'] = fmt_ts(t, a.ts_mode, frng)
        # put ts right after event_id for readability
        out = {}
        for k, v in e.items():
            if k == 'ts':
                continue
            out[k] = v
            if k == 'event_id':
                out['ts'] = e['ts']
        lines.append(json.dumps(out, separators=(',', ':')))
    if args.profile == 'mixed':
        # ~0.2% redelivered duplicates: same bytes again a little later in the stream
        dup = []
        n = len(lines)
        pos = sorted(frng.sample(range(n), max(1, n // 500)))
        res = []
        pend = []
        j = 0
        for i, ln in enumerate(lines):
            res.append(ln)
            if j < len(pos) and pos[j] == i:
                pend.append((i + frng.randint(0, 25), ln))
                j += 1
            keep = []
            for (at, l2) in pend:
                if at <= i:
                    res.append(l2)
                else:
                    keep.append((at, l2))
            pend = keep
        res += [l2 for _, l2 in pend]
        lines = res
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    g.labels.sort(key=lambda l: (l['_t0'], l['session_id']))
    with open(args.labels, 'w') as f:
        for l in g.labels:
            l.pop('_t0')
            f.write(json.dumps(l, separators=(',', ':')) + '\n')


if __name__ == '__main__':
    main()
