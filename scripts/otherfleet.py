#!/usr/bin/env python3
"""otherfleet: an independent synthetic agent-fleet generator for testing `runaway`.

Writes NDJSON usage events (CONTRACT.md section 1), sorted by event time, plus a
labels file (one label per session) and a sidecar meta file with per-session
details (steps, spend, models, traps, runaway variant) for diagnosis.

    python3 otherfleet.py --seed N --sessions 3000 --out events.ndjson \
        --labels labels.ndjson [--profile coding|support|research|multiagent|mixed]

Python 3.11 stdlib only.
"""
import argparse
import datetime as dt
import hashlib
import json
import math
import random

# ---------------------------------------------------------------- prices
# USD per 1M tokens: input, output, cache read, cache write
PRICES = {
    "gpt-4o": (2.5, 10.0, 1.25, 0.0),
    "gpt-4o-mini": (0.15, 0.60, 0.075, 0.0),
    "gpt-4.1": (2.0, 8.0, 0.50, 0.0),
    "gpt-4.1-mini": (0.40, 1.60, 0.10, 0.0),
    "o3": (2.0, 8.0, 0.50, 0.0),
    "claude-sonnet-4-5": (3.0, 15.0, 0.30, 3.75),
    "claude-opus-4-1": (15.0, 75.0, 1.50, 18.75),
    "claude-3-5-haiku-20241022": (0.80, 4.0, 0.08, 1.0),
    "gemini-2.5-pro": (1.25, 10.0, 0.125, 0.0),
    "gemini-2.5-flash": (0.30, 2.50, 0.03, 0.0),
    "mistral-large-latest": (0.50, 1.50, 0.05, 0.0),
}
CTX_LIMIT = {
    "gpt-4o": 128000, "gpt-4o-mini": 128000, "gpt-4.1": 1000000, "gpt-4.1-mini": 1000000,
    "o3": 200000, "claude-sonnet-4-5": 200000, "claude-opus-4-1": 200000,
    "claude-3-5-haiku-20241022": 200000, "gemini-2.5-pro": 1000000,
    "gemini-2.5-flash": 1000000, "mistral-large-latest": 128000,
}


def provider_of(m):
    if m.startswith(("gpt", "o3")):
        return "openai"
    if m.startswith("claude"):
        return "anthropic"
    if m.startswith("gemini"):
        return "google"
    return "mistral"


# pricier model for a mid-session model switch (5-10x or more per call)
SWITCH_TO = {
    "gpt-4o-mini": ["gpt-4o", "gpt-4.1"],
    "gpt-4.1-mini": ["gpt-4.1", "gpt-4o"],
    "claude-3-5-haiku-20241022": ["claude-sonnet-4-5", "claude-opus-4-1"],
    "gemini-2.5-flash": ["gemini-2.5-pro", "claude-sonnet-4-5"],
    "claude-sonnet-4-5": ["claude-opus-4-1"],
    "gpt-4.1": ["claude-opus-4-1", "o3*"],  # o3* = o3 with heavy reasoning tokens
    "gpt-4o": ["claude-opus-4-1", "o3*"],
    "gemini-2.5-pro": ["claude-opus-4-1"],
    "o3": ["claude-opus-4-1"],
    "mistral-large-latest": ["claude-opus-4-1"],
    "claude-opus-4-1": ["claude-opus-4-1"],
}


def call_cost(model, inp, out, cr, cw, reasoning):
    pi, po, pcr, pcw = PRICES[model]
    if pcw == 0.0:
        pcw = pi
    return (inp * pi + (out + reasoning) * po + cr * pcr + cw * pcw) / 1e6


# ---------------------------------------------------------------- agents
class Agent:
    def __init__(self, name, model, team, tenant, *, cache=False, tsfmt="ms", cost_p=0.0,
                 sys_tok=(3000, 8000), out_tok=(200, 1200), compact_at=90000, start=0.0,
                 reasoning=0, router=None, feature=None, env="prod", sid_style="uuid",
                 upgrade=None):
        self.name, self.model, self.team, self.tenant = name, model, team, tenant
        self.cache, self.tsfmt, self.cost_p = cache, tsfmt, cost_p
        self.sys_tok, self.out_tok, self.compact_at = sys_tok, out_tok, compact_at
        self.start = start          # fraction of the run at which the agent first appears
        self.reasoning = reasoning  # mean reasoning tokens per call
        self.router = router        # (model, burst prob) for legit escalation bursts
        self.feature, self.env, self.sid_style = feature, env, sid_style
        self.upgrade = upgrade      # (fraction of run, new model): deployment baseline shift


# ---------------------------------------------------------------- session builder
class Sess:
    def __init__(self, g, agent, task_type, t0, task_id=None, parent=None, sid=None):
        self.g, self.rng = g, g.rng
        self.agent = agent
        self.cur_agent = agent
        self.task_type = task_type
        self.t = float(t0)
        self.sid = sid or g.new_sid(agent)
        self.task_id, self.parent = task_id, parent
        self.model = agent.model
        if agent.upgrade and t0 >= g.t0 + agent.upgrade[0] * g.span:
            self.model = agent.upgrade[1]
            self.traps_add("model_upgrade")
        self.sys = self.rng.randint(*agent.sys_tok)
        self.ctx = self.sys
        self.cached = 0
        self.last_llm_t = None
        self.events = []  # (ts_ms, seq, line)
        self.costs = []   # (event_id, cumulative cost)
        self.cost = 0.0
        self.n = 0
        self.onset = None
        self.mark_next = False
        self.traps = getattr(self, "traps", [])
        self.children = []
        self.label = ("normal", "normal")
        self.variant = None
        self.handoffs = 0
        self.reasoning_mult = 1.0

    def traps_add(self, t):
        if not hasattr(self, "traps"):
            self.traps = []
        if t not in self.traps:
            self.traps.append(t)

    def mark_onset(self):
        self.mark_next = True

    def _emit(self, ev, cost, latency):
        g = self.g
        eid = g.new_eid()
        ts = int(self.t)
        a = self.cur_agent
        rec = {}
        if g.rng.random() < 0.3:
            rec["v"] = 1
        rec["event_id"] = eid
        rec["ts"] = g.fmt_ts(ts, a.tsfmt)
        rec["session_id"] = self.sid
        rec["agent_id"] = a.name
        rec["task_type"] = self.task_type
        if self.task_id:
            rec["task_id"] = self.task_id
        if self.parent:
            rec["parent_session_id"] = self.parent
        rec["tenant"] = a.tenant
        rec["team"] = a.team
        if a.feature:
            rec["feature"] = a.feature
        rec["env"] = a.env
        rec.update(ev)
        if "cost_usd" not in rec and cost is not None and g.rng.random() < a.cost_p:
            rec["cost_usd"] = round(cost, 7)
        rec["latency_ms"] = int(latency)
        line = json.dumps(rec, separators=(",", ":"))
        self.events.append((ts, g.next_seq(), line))
        if cost:
            self.cost += cost
        self.costs.append((eid, self.cost))
        self.n += 1
        if self.mark_next:
            self.onset = eid
            self.mark_next = False
        return eid

    def gap(self, lo_ms, hi_ms):
        self.t += self.rng.uniform(lo_ms, hi_ms)

    # --- one LLM call
    def llm(self, tool=None, status="ok", out=None, extra_in=0, model=None, agent=None,
            reasoning=None, kind_field=True):
        rng = self.rng
        if agent is not None:
            self.cur_agent = agent
        a = self.cur_agent
        if model is not None:
            m = model
        elif a is self.agent:
            m = self.model
        else:
            m = a.model
        heavy_reason = False
        if m == "o3*":
            m, heavy_reason = "o3", True
        # legit escalation router: short bursts on a pricier model
        if model is None and a.router and self.g.in_burst(self):
            m = a.router[0]
        limit = CTX_LIMIT[m]
        ctx = min(self.ctx + extra_in, int(limit * 0.97))
        if out is None:
            lo, hi = a.out_tok
            out = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        if reasoning is None:
            reasoning = 0
            if m in ("o3",) or a.reasoning:
                base = a.reasoning or 1500
                if heavy_reason:
                    base = rng.randint(12000, 30000)
                reasoning = int(rng.expovariate(1.0 / base))
        # caching
        cr = cw = 0
        prov = provider_of(m)
        if self.last_llm_t is not None and self.t - self.last_llm_t > 5 * 60 * 1000:
            self.cached = 0  # cache expired
        if getattr(self, "_cache_model", None) != m:
            self.cached = 0  # prompt caches are per model
        self._cache_model = m
        if a.cache and self.cached:
            prefix = min(self.cached, ctx)
            cr = (prefix // 1024) * 1024 if prov != "anthropic" else prefix
        inp = ctx - cr
        if a.cache and prov == "anthropic" and inp > 1024:
            cw = int(inp * 0.92)
            inp -= cw
        self.cached = ctx if a.cache else 0
        self.last_llm_t = self.t
        ev = {}
        if kind_field or rng.random() < 0.5:
            ev["kind"] = "llm"
        ev["model"] = m
        if rng.random() < 0.6:
            ev["provider"] = prov
        if status in ("error", "retry") and out == 0:
            # rate limited / failed call: nothing billed
            ev.update(input_tokens=0, output_tokens=0)
            cost = 0.0
            ev["cost_usd"] = 0.0 if rng.random() < 0.5 else None
            if ev["cost_usd"] is None:
                del ev["cost_usd"]
        else:
            ev["input_tokens"] = inp
            ev["output_tokens"] = out
            if cr:
                ev["cache_read_tokens"] = cr
            if cw:
                ev["cache_write_tokens"] = cw
            if reasoning:
                ev["reasoning_tokens"] = reasoning
            cost = call_cost(m, inp, out, cr, cw, reasoning)
            # extra_in is transient (a document read into one call, then summarised away)
            self.ctx = min(self.ctx, ctx) + out
        if tool:
            ev["tool"] = tool
        if status != "ok" or rng.random() < 0.5:
            ev["status"] = status
        tps = {"openai": 90, "anthropic": 70, "google": 140, "mistral": 60}[prov]
        latency = rng.uniform(250, 1800) + (out + reasoning) * 1000.0 / tps + ctx / 200.0
        if status != "ok" and out == 0:
            latency = rng.uniform(80, 900)
        eid = self._emit(ev, cost, latency)
        self.t += latency + rng.uniform(20, 400)
        return eid

    # --- one tool call
    def tool(self, name, args, status="ok", result=None, parallel=False, lat=None):
        rng = self.rng
        if result is None:
            result = int(rng.lognormvariate(math.log(900), 0.8))
        ev = {"kind": "tool", "tool": name, "args_hash": ahash(name, args)}
        if status != "ok" or rng.random() < 0.5:
            ev["status"] = status
        if lat is None:
            lat = TOOL_LAT.get(name, (50, 3000))
            lat = rng.uniform(*lat)
        eid = self._emit(ev, 0.0 if rng.random() < 0.2 else None, lat)
        self.ctx += result if status == "ok" else min(result, 300)
        if not parallel:
            self.t += lat + rng.uniform(5, 120)
        else:
            self.t += rng.uniform(1, 40)
        return eid

    def handoff(self, target, agent=None):
        if agent is not None:
            self.cur_agent = agent
        ev = {"kind": "handoff", "target_agent_id": target.name}
        eid = self._emit(ev, None, self.rng.uniform(5, 60))
        self.t += self.rng.uniform(30, 600)
        self.cur_agent = target
        self.handoffs += 1
        return eid

    def maybe_compact(self, force=False):
        """Context compaction: summarise and reset."""
        if force or self.ctx > self.agent.compact_at:
            self.llm(out=self.rng.randint(1500, 4000))
            self.ctx = self.sys + self.rng.randint(3000, 9000)
            self.cached = 0
            return True
        return False


TOOL_LAT = {
    "read_file": (5, 80), "grep": (30, 900), "list_dir": (5, 60), "edit_file": (10, 150),
    "run_tests": (4000, 120000), "bash": (200, 20000), "web_search": (600, 3500),
    "fetch_url": (400, 9000), "read_pdf": (1500, 15000), "kb_search": (150, 900),
    "lookup_order": (80, 700), "create_ticket": (200, 1500), "send_reply": (100, 600),
    "spawn_agent": (50, 400), "sql_query": (300, 30000), "python": (200, 15000),
    "gh_pr_checks": (400, 2000), "apply_codemod": (50, 500), "refund": (300, 2000),
    "crm_update": (150, 900), "write_file": (10, 150), "http_request": (100, 5000),
}


def ahash(name, args):
    return hashlib.blake2b(f"{name}|{args}".encode(), digest_size=10).hexdigest()


# ---------------------------------------------------------------- the generator
class Gen:
    def __init__(self, seed, hours, profile):
        self.rng = random.Random(seed)
        self.seed = seed
        self.profile = profile
        base = dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.timezone.utc)
        self.t0 = int(base.timestamp() * 1000) + self.rng.randint(0, 23) * 3600 * 1000
        self.span = hours * 3600 * 1000
        self.seq = 0
        self.eid_n = 0
        self.sid_n = 0
        self.task_n = 0
        # provider outages: (start, end, provider, error prob)
        self.outages = []
        for _ in range(self.rng.randint(1, 2)):
            s = self.t0 + self.rng.uniform(0.1, 0.9) * self.span
            self.outages.append((s, s + self.rng.uniform(8, 20) * 60000,
                                 self.rng.choice(["anthropic", "openai", "google"]),
                                 self.rng.uniform(0.2, 0.35)))

    def next_seq(self):
        self.seq += 1
        return self.seq

    def new_eid(self):
        self.eid_n += 1
        h = hashlib.blake2b(f"{self.seed}:{self.eid_n}".encode(), digest_size=8).hexdigest()
        return f"evt_{h}"

    def new_sid(self, agent):
        self.sid_n += 1
        h = hashlib.blake2b(f"s{self.seed}:{self.sid_n}".encode(), digest_size=16).hexdigest()
        st = agent.sid_style
        if st == "uuid":
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
        if st == "run":
            return f"run_{h[:20]}"
        if st == "conv":
            return f"conv-{self.sid_n:06d}-{h[:6]}"
        return f"thread/{h[:12]}"

    def new_task(self):
        self.task_n += 1
        return f"task-{self.seed}-{self.task_n:05d}"

    def fmt_ts(self, ms, style):
        if style == "ms":
            return ms
        d = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
        if style == "z":
            return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
        if style == "zs":
            return d.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == "off":  # local offset (+01:00 / -05:00)
            tz = dt.timezone(dt.timedelta(hours=1))
            return d.astimezone(tz).isoformat(timespec="milliseconds")
        if style == "offw":
            tz = dt.timezone(dt.timedelta(hours=-5))
            return d.astimezone(tz).isoformat(timespec="microseconds")
        return ms

    def in_outage(self, s):
        prov = provider_of(s.model.rstrip("*"))
        for (a, b, p, q) in self.outages:
            if a <= s.t <= b and p == prov:
                return q
        return 0.0

    def in_burst(self, s):
        # an escalation burst: lasts 3-6 LLM calls, starts with prob router[1] per call
        st = getattr(s, "_burst", 0)
        if st > 0:
            s._burst = st - 1
            return True
        if not getattr(s, "_burst_used", False) and self.rng.random() < s.cur_agent.router[1]:
            s._burst = self.rng.randint(2, 5)
            s._burst_used = True
            s.traps_add("escalation_burst")
            return True
        return False

    def diurnal_start(self):
        while True:
            t = self.rng.uniform(0, self.span)
            hour = ((self.t0 + t) / 3600000.0) % 24
            rate = 0.25 + 0.75 * max(0.0, math.sin(math.pi * (hour - 6) / 15)) ** 1.3
            if self.rng.random() < rate:
                return self.t0 + t


# ---------------------------------------------------------------- helpers used by profiles
def llm_with_outage(s, **kw):
    """An LLM call that may hit a provider outage and get legit retried (backoff)."""
    q = s.g.in_outage(s)
    tries = 0
    while q and s.rng.random() < q and tries < 3:
        s.llm(status=s.rng.choice(["error", "retry"]), out=0, tool=kw.get("tool"))
        s.t += 1000 * (2 ** tries) + s.rng.uniform(0, 800)
        tries += 1
        s._outage_errs = getattr(s, "_outage_errs", 0) + 1
        if s._outage_errs >= 3:
            s.traps_add("provider_outage")
    return s.llm(**kw)


def legit_retry(s, tool, args):
    """A tool error followed by 2-3 retries, the last succeeding (at most 2 per session)."""
    s._lr = getattr(s, "_lr", 0) + 1
    if s._lr > 2:
        s.tool(tool, args)
        return
    s.tool(tool, args, status="error", result=200)
    k = s.rng.randint(2, 3)
    for i in range(k):
        s.t += 1000 * (2 ** i) + s.rng.uniform(0, 500)
        s.tool(tool, args, status="retry" if i < k - 1 else "ok",
               result=200 if i < k - 1 else None)
    s.traps_add("legit_retries")


class Vocab:
    """Fresh argument strings per session."""

    def __init__(self, s):
        self.s = s
        self.k = 0

    def new(self, prefix):
        self.k += 1
        return f"{self.s.sid}:{prefix}:{self.k}:{self.s.rng.random():.6f}"


# ================================================================ profiles
# Each profile: agents(), task types with a normal-length range, a `turn` function
# producing one normal turn, and the runaway kinds that make sense for it.

def coding_agents(g):
    return [
        Agent("swe-sonnet", "claude-sonnet-4-5", "platform", "acme", cache=True, tsfmt="z",
              cost_p=0.0, sys_tok=(9000, 16000), out_tok=(150, 1400), compact_at=140000,
              sid_style="run", feature="autofix"),
        Agent("bg-coder-41", "gpt-4.1", "devex", "acme", cache=True, tsfmt="ms", cost_p=1.0,
              sys_tok=(5000, 9000), out_tok=(200, 1600), compact_at=180000, sid_style="uuid",
              feature="background-agent",
              router=("o3", 0.03)),
        Agent("test-fixer-mini", "gpt-4o-mini", "qa", "globex", tsfmt="off", cost_p=0.4,
              sys_tok=(2500, 5000), out_tok=(100, 900), compact_at=60000, sid_style="thread"),
        Agent("review-flash", "gemini-2.5-flash", "devex", "acme", tsfmt="zs", cost_p=0.0,
              sys_tok=(3000, 6000), out_tok=(300, 2500), compact_at=300000, sid_style="run"),
        Agent("migrator-41mini", "gpt-4.1-mini", "platform", "initech", tsfmt="ms", cost_p=0.7,
              sys_tok=(4000, 7000), out_tok=(150, 800), compact_at=150000, sid_style="uuid",
              upgrade=(0.55, "gpt-4.1")),
        # a new agent that appears mid-run with a much pricier normal
        Agent("opus-architect", "claude-opus-4-1", "platform", "acme", cache=True, tsfmt="offw",
              cost_p=0.5, sys_tok=(8000, 14000), out_tok=(300, 2000), compact_at=120000,
              start=0.45, sid_style="conv"),
    ]


CODING_TT = {
    # task type: (agents, length lo, hi, fanout p, fanout range)
    "code_change": (["swe-sonnet", "bg-coder-41", "opus-architect"], 30, 150, 0.15, (1, 4)),
    "fix_tests": (["test-fixer-mini", "swe-sonnet"], 30, 110, 0.05, (1, 3)),
    "code_review": (["review-flash"], 12, 45, 0.0, (0, 0)),
    "migration": (["migrator-41mini", "bg-coder-41"], 50, 150, 0.25, (2, 6)),
}


def coding_turn(s, v, L, allow_finish=True):
    rng = s.rng
    p = s.n / max(L, 1)
    st = s.__dict__.setdefault("_st", {"test": v.new("tests"), "files": [], "batch": False,
                                      "poll": None if rng.random() < 0.08 else "no"})
    if s.maybe_compact():
        return
    if p < 0.3:
        t = rng.choice(["read_file", "read_file", "grep", "list_dir", "bash"])
        llm_with_outage(s, tool=t)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            f = v.new(t)
            st["files"].append(f)
            s.tool(t, f, parallel=True, result=int(rng.lognormvariate(math.log(1500), 0.9)))
        s.t += rng.uniform(100, 2000)
    else:
        r = rng.random()
        if (s.task_type == "migration" or r < 0.06) and not st["batch"] and p < 0.7:
            # batch edit: one tool over many new inputs
            st["batch"] = True
            s.traps_add("batch_edit")
            nb = rng.randint(20, 60)
            tool = rng.choice(["edit_file", "apply_codemod", "write_file"])
            done = 0
            while done < nb:
                llm_with_outage(s, tool=tool, out=rng.randint(400, 3000))
                k = min(nb - done, rng.randint(4, 12))
                for _ in range(k):
                    s.tool(tool, v.new("batch"), parallel=True, result=rng.randint(40, 200))
                done += k
                s.t += rng.uniform(200, 3000)
        elif r < 0.55:
            llm_with_outage(s, tool="edit_file")
            s.tool("edit_file", v.new("edit"), result=rng.randint(50, 400))
        elif r < 0.75:
            llm_with_outage(s, tool="run_tests")
            s.tool("run_tests", st["test"], result=rng.randint(300, 4000))
        elif r < 0.80 and st["poll"] is None and p > 0.6:
            # wait for CI: poll the same check several times with LLM calls between
            st["poll"] = v.new("ci")
            s.traps_add("ci_polling")
            for _ in range(rng.randint(4, 9)):
                s.llm(tool="gh_pr_checks", out=rng.randint(30, 120))
                s.tool("gh_pr_checks", st["poll"], result=rng.randint(80, 200))
                s.t += rng.uniform(20000, 60000)
        elif r < 0.83:
            legit_retry(s, "bash", v.new("bash"))
        else:
            t = rng.choice(["read_file", "grep"])
            # re-reading a file read earlier (same args, but edits happened between)
            if st["files"] and rng.random() < 0.5:
                f = rng.choice(st["files"])
            else:
                f = v.new(t)
            llm_with_outage(s, tool=t)
            s.tool(t, f)


def coding_finish(s, v):
    llm_with_outage(s, out=s.rng.randint(200, 900))


# ---------------------------------------------------------------- support
def support_agents(g):
    return [
        Agent("helpdesk-mini", "gpt-4o-mini", "cx", "globex", tsfmt="ms", cost_p=0.0,
              sys_tok=(1500, 3500), out_tok=(60, 400), sid_style="conv"),
        Agent("billing-haiku", "claude-3-5-haiku-20241022", "cx", "globex", cache=True,
              tsfmt="z", cost_p=1.0, sys_tok=(2500, 4500), out_tok=(80, 450), sid_style="conv"),
        Agent("faq-flash", "gemini-2.5-flash", "cx-eu", "umbrella", tsfmt="off", cost_p=0.3,
              sys_tok=(1000, 2500), out_tok=(40, 300), sid_style="thread",
              router=("gemini-2.5-pro", 0.05)),
        Agent("tier2-4o", "gpt-4o", "cx", "globex", tsfmt="ms", cost_p=0.5,
              sys_tok=(4000, 7000), out_tok=(150, 700), sid_style="conv"),
        Agent("concierge-41", "gpt-4.1", "cx-vip", "umbrella", tsfmt="zs", cost_p=1.0,
              sys_tok=(5000, 9000), out_tok=(200, 900), start=0.5, sid_style="uuid"),
    ]


SUPPORT_TT = {
    "support_chat": (["helpdesk-mini", "faq-flash", "concierge-41"], 3, 12, 0.0, (0, 0)),
    "billing": (["billing-haiku"], 4, 12, 0.0, (0, 0)),
    "faq": (["faq-flash"], 3, 6, 0.0, (0, 0)),
}


def support_turn(s, v, L, allow_finish=True):
    rng = s.rng
    ag = s.g.agents
    # user think time between turns
    if s.n > 0:
        s.t += rng.uniform(8000, 150000)
    r = rng.random()
    if r < 0.5 and L - s.n >= 3:
        t = rng.choice(["kb_search", "lookup_order", "crm_update", "refund"]
                       if s.task_type == "billing" else ["kb_search", "lookup_order"])
        llm_with_outage(s, tool=t)
        if rng.random() < 0.07:
            legit_retry(s, t, v.new(t))
        else:
            s.tool(t, v.new(t), result=rng.randint(200, 1500))
    elif r < 0.57 and s.handoffs == 0 and L - s.n >= 3 and s.cur_agent.name != "tier2-4o":
        # legit escalation to tier 2 (continues there)
        s.handoff(ag["tier2-4o"])
        s.traps_add("legit_handoffs")
        llm_with_outage(s)
    else:
        llm_with_outage(s)


def support_finish(s, v):
    s.tool("send_reply", v.new("reply"), result=20)


# ---------------------------------------------------------------- research
def research_agents(g):
    return [
        Agent("deep-researcher", "gemini-2.5-pro", "insights", "initech", cache=True, tsfmt="ms",
              cost_p=0.0, sys_tok=(6000, 12000), out_tok=(300, 2500), compact_at=160000,
              sid_style="run"),
        Agent("analyst-o3", "o3", "insights", "acme", cache=True, tsfmt="z", cost_p=0.6,
              sys_tok=(4000, 8000), out_tok=(200, 1500), compact_at=110000, reasoning=1800,
              sid_style="uuid"),
        Agent("litreview-sonnet", "claude-sonnet-4-5", "science", "hooli", cache=True,
              tsfmt="offw", cost_p=1.0, sys_tok=(8000, 15000), out_tok=(300, 1800),
              compact_at=120000, sid_style="thread"),
        Agent("scout-flash", "gemini-2.5-flash", "insights", "initech", tsfmt="ms", cost_p=0.0,
              sys_tok=(2000, 4000), out_tok=(150, 900), compact_at=200000, sid_style="run"),
        Agent("mistral-analyst", "mistral-large-latest", "eu-analytics", "umbrella", tsfmt="off",
              cost_p=0.5, sys_tok=(3000, 6000), out_tok=(200, 1200), compact_at=70000,
              sid_style="conv", start=0.3),
    ]


RESEARCH_TT = {
    "deep_research": (["deep-researcher", "analyst-o3"], 100, 400, 0.6, (2, 7)),
    "lit_review": (["litreview-sonnet"], 120, 380, 0.2, (1, 4)),
    "market_scan": (["mistral-analyst", "deep-researcher"], 60, 200, 0.3, (2, 5)),
}
CHILD_TT = {"research": ("research_sub", "scout-flash", 6, 25),
            "coding": ("subtask", "test-fixer-mini", 8, 30),
            "multiagent": ("worker_task", "worker-mini", 5, 20),
            "support": ("subtask", "helpdesk-mini", 3, 6)}


def research_turn(s, v, L, allow_finish=True):
    rng = s.rng
    if s.maybe_compact():
        s.traps_add("context_reset")
        return
    r = rng.random()
    if r < 0.35:
        llm_with_outage(s, tool="web_search")
        for _ in range(rng.choice([1, 1, 2, 3])):
            s.tool("web_search", v.new("q"), parallel=True, result=rng.randint(600, 2000))
        s.t += rng.uniform(500, 3000)
    elif r < 0.75:
        llm_with_outage(s, tool="fetch_url")
        s.tool("fetch_url", v.new("url"), result=int(rng.lognormvariate(math.log(3500), 0.7)))
    elif r < 0.77 and not getattr(s, "_bigdoc", False):
        # one huge document read straight into one call, then summarised away
        s._bigdoc = True
        s.traps_add("big_document")
        llm_with_outage(s, tool="read_pdf")
        s.tool("read_pdf", v.new("pdf"), result=0)
        s.llm(extra_in=rng.randint(120000, 160000), out=rng.randint(1500, 4000))
    elif r < 0.8:
        legit_retry(s, "fetch_url", v.new("url"))
    elif r < 0.9:
        llm_with_outage(s, tool="python")
        s.tool("python", v.new("py"), result=rng.randint(200, 2500))
    else:
        llm_with_outage(s, out=rng.randint(800, 3000))  # write a section


def research_finish(s, v):
    s.llm(out=s.rng.randint(3000, 8000))
    s.tool("write_file", v.new("report"), result=30)


# ---------------------------------------------------------------- multiagent
def multi_agents(g):
    return [
        Agent("planner-o3", "o3", "automation", "acme", cache=True, tsfmt="ms", cost_p=0.5,
              sys_tok=(4000, 7000), out_tok=(200, 1200), reasoning=1200, sid_style="uuid"),
        Agent("planner-sonnet", "claude-sonnet-4-5", "automation", "hooli", cache=True,
              tsfmt="z", cost_p=0.0, sys_tok=(5000, 9000), out_tok=(200, 1200), sid_style="run"),
        Agent("executor-41mini", "gpt-4.1-mini", "automation", "acme", tsfmt="ms", cost_p=0.5,
              sys_tok=(3000, 5000), out_tok=(100, 700), sid_style="uuid"),
        Agent("executor-haiku", "claude-3-5-haiku-20241022", "automation", "hooli", cache=True,
              tsfmt="z", cost_p=0.0, sys_tok=(3000, 5000), out_tok=(100, 700), sid_style="run"),
        Agent("critic-flash", "gemini-2.5-flash", "automation", "acme", tsfmt="zs", cost_p=0.2,
              sys_tok=(2000, 3500), out_tok=(150, 600), sid_style="run"),
        Agent("worker-mini", "gpt-4o-mini", "automation", "acme", tsfmt="ms", cost_p=0.0,
              sys_tok=(1500, 3000), out_tok=(80, 500), sid_style="uuid"),
        Agent("planner-opus", "claude-opus-4-1", "automation", "hooli", cache=True, tsfmt="z",
              cost_p=1.0, sys_tok=(5000, 9000), out_tok=(200, 1000), start=0.5, sid_style="run"),
    ]


# task type: (planners, round trips lo, hi, fanout p, fanout range)
MULTI_TT = {
    "feature_build": (["planner-o3", "planner-sonnet", "planner-opus"], 5, 15, 0.2, (2, 5)),
    "data_pipeline": (["planner-sonnet", "planner-o3"], 3, 8, 0.3, (2, 6)),
    "report_gen": (["planner-o3"], 1, 4, 0.0, (0, 0)),
}
EXECUTOR_OF = {"planner-o3": "executor-41mini", "planner-sonnet": "executor-haiku",
               "planner-opus": "executor-haiku"}


def executor_work(s, v, ex, k=None):
    rng = s.rng
    for _ in range(k or rng.randint(2, 6)):
        t = rng.choice(["sql_query", "python", "http_request", "write_file", "bash"])
        llm_with_outage(s, tool=t, agent=ex)
        if rng.random() < 0.04:
            legit_retry(s, t, v.new(t))
        else:
            s.tool(t, v.new(t), result=rng.randint(200, 2500))


# ================================================================ runaways
def rw_loop_repeat(s, v, n, turn, L):
    rng = s.rng
    variant = rng.choice(["tight", "llm_between", "llm_between", "noisy"])
    s.variant = variant
    tools = {"coding": ["run_tests", "bash", "read_file", "edit_file"],
             "support": ["lookup_order", "kb_search", "crm_update"],
             "research": ["fetch_url", "web_search", "python"],
             "multiagent": ["http_request", "sql_query", "python"]}[s.g.prof_of[s.sid]]
    t = rng.choice(tools)
    a = v.new("stuck")
    res = rng.randint(150, 1500)
    s.mark_onset()
    start = s.n
    while s.n - start < n:
        if variant == "tight":
            s.tool(t, a, result=res, status=rng.choice(["ok", "ok", "ok", "error"]))
        else:
            s.llm(tool=t, out=rng.randint(40, 300))
            s.tool(t, a, result=res)
            if variant == "noisy" and rng.random() < 0.6:
                u = rng.choice(tools)
                s.llm(tool=u, out=rng.randint(40, 300))
                s.tool(u, v.new("noise"), result=rng.randint(100, 800))
        if s.ctx > s.agent.compact_at:
            s.maybe_compact(force=True)


def rw_loop_cycle(s, v, n, turn, L):
    rng = s.rng
    tools = {"coding": ["read_file", "edit_file", "run_tests", "bash", "grep"],
             "support": ["kb_search", "lookup_order", "crm_update", "send_reply"],
             "research": ["web_search", "fetch_url", "python", "read_pdf"],
             "multiagent": ["sql_query", "python", "http_request", "write_file"]}[s.g.prof_of[s.sid]]
    p = rng.randint(2, 4)
    seq = rng.sample(tools, p)
    args = [v.new("cyc") for _ in seq]
    jitter = rng.choice([0.0, 0.0, 0.15, 0.3])
    s.variant = f"period{p}_jitter{jitter}"
    s.mark_onset()
    start = s.n
    while s.n - start < n:
        for t, a in zip(seq, args):
            if rng.random() < 0.8:
                s.llm(tool=t, out=rng.randint(60, 500))
            if jitter and rng.random() < jitter:
                s.llm(out=rng.randint(100, 400))  # an extra thinking call
            s.tool(t, a, result=rng.randint(150, 1200))
        if s.ctx > s.agent.compact_at:
            s.maybe_compact(force=True)


def rw_step(s, v, n, turn, L):
    s.variant = "endless_new_work"
    s.mark_onset()
    start = s.n
    while s.n - start < n:
        turn(s, v, L + n, allow_finish=False)


def rw_retry(s, v, n, turn, L):
    rng = s.rng
    variant = rng.choice(["tool_5xx", "rate_limit", "flaky"])
    s.variant = variant
    s.mark_onset()
    start = s.n
    if variant == "flaky":
        err = rng.uniform(0.35, 0.8)
        s.variant += f"_{err:.2f}"
        while s.n - start < n:
            t = rng.choice(["bash", "http_request", "fetch_url", "python", "sql_query"])
            s.llm(tool=t)
            s.tool(t, v.new("fl"), status=rng.choice(["error", "retry"]) if rng.random() < err
                   else "ok")
            if s.ctx > s.agent.compact_at:
                s.maybe_compact(force=True)
    elif variant == "tool_5xx":
        t = rng.choice(["http_request", "fetch_url", "bash", "sql_query", "lookup_order"])
        i = 0
        while s.n - start < n:
            a = v.new("t")  # agent varies args a bit each attempt
            s.llm(tool=t, out=rng.randint(50, 300))
            s.tool(t, a, status="error", result=200)
            for k in range(rng.randint(1, 3)):
                s.t += min(60000, 1000 * 2 ** k)
                s.tool(t, a, status="retry", result=200)
            i += 1
    else:
        while s.n - start < n:
            s.llm(status="retry", out=0)
            s.t += rng.uniform(500, 20000)
            if rng.random() < 0.15:
                s.llm(out=rng.randint(100, 600))


def rw_context(s, v, n, turn, L):
    rng = s.rng
    per = rng.randint(4000, 15000)
    s.variant = f"+{per}/call"
    s.mark_onset()
    start = s.n
    while s.n - start < n:
        t = rng.choice(["bash", "fetch_url", "sql_query", "read_file"])
        s.llm(tool=t, out=rng.randint(100, 600))
        s.tool(t, v.new("dump"), result=per + rng.randint(-1000, 1000))


def rw_model_switch(s, v, n, turn, L):
    rng = s.rng
    tgt = rng.choice(SWITCH_TO[s.model])
    share = rng.choice([1.0, 1.0, 0.75])
    s.variant = f"{s.model}->{tgt}@{share}"
    orig = s.model
    s.mark_onset()
    start = s.n
    while s.n - start < n:
        s.model = tgt if rng.random() < share else orig
        turn(s, v, L + n, allow_finish=False)
    s.model = orig


def rw_budget(s, v, n, turn, L):
    # heavy, legit-looking work far past any normal spend: big outputs, big fresh inputs,
    # distinct arguments, no growth; goes on until an external cap/human stops it
    rng = s.rng
    target = rng.uniform(60, 250)
    s.variant = f"heavy_generation_to_${target:.0f}"
    while s.cost < target and s.n < 5000:
        t = rng.choice(["fetch_url", "read_file", "sql_query", "write_file"])
        s.llm(tool=t, extra_in=rng.randint(40000, 120000), out=rng.randint(3000, 8000))
        s.tool(t, v.new("h"), result=rng.randint(500, 2000))
        if s.ctx > s.agent.compact_at:
            s.maybe_compact(force=True)


RUNAWAY_FUNCS = {"loop_repeat": rw_loop_repeat, "loop_cycle": rw_loop_cycle,
                 "step_runaway": rw_step, "retry_storm": rw_retry,
                 "context_growth": rw_context, "model_switch": rw_model_switch,
                 "session_budget": rw_budget}

KINDS = {
    "coding": {"loop_repeat": 3, "loop_cycle": 2, "step_runaway": 2, "retry_storm": 2,
               "context_growth": 1.5, "model_switch": 1.5, "session_budget": 1,
               "subagent_fanout": 1},
    "support": {"loop_repeat": 2, "loop_cycle": 2, "ping_pong": 3, "retry_storm": 2,
                "step_runaway": 2, "model_switch": 1.5, "context_growth": 0.5},
    "research": {"loop_repeat": 1.5, "loop_cycle": 1, "step_runaway": 2.5, "retry_storm": 1,
                 "context_growth": 2, "model_switch": 1, "session_budget": 1.5,
                 "subagent_fanout": 2},
    "multiagent": {"ping_pong": 4, "loop_cycle": 1.5, "loop_repeat": 1, "retry_storm": 1,
                   "step_runaway": 1, "subagent_fanout": 1.5, "model_switch": 1,
                   "context_growth": 0.5, "session_budget": 0.5},
}


def extra_steps(rng, kind):
    # how long a runaway goes on after onset before something external ends it
    lo, hi = {"loop_repeat": (120, 1500), "loop_cycle": (150, 1200), "step_runaway": (300, 2000),
              "retry_storm": (100, 900), "context_growth": (60, 400), "model_switch": (100, 600),
              "ping_pong": (150, 800), "session_budget": (250, 700)}.get(kind, (100, 800))
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


# ================================================================ fleet
class Fleet:
    def __init__(self, args):
        self.args = args
        self.g = Gen(args.seed, args.hours, args.profile)
        g = self.g
        g.prof_of = {}
        ags = coding_agents(g) + support_agents(g) + research_agents(g) + multi_agents(g)
        g.agents = {a.name: a for a in ags}
        self.sessions = []
        self.labels = []

    def pick_profile(self):
        if self.args.profile != "mixed":
            return self.args.profile
        r = self.g.rng.random()
        return ("support" if r < 0.38 else "coding" if r < 0.68 else
                "multiagent" if r < 0.92 else "research")

    def pick_agent(self, names, t):
        g = self.g
        ok = [n for n in names if t >= g.t0 + g.agents[n].start * g.span]
        if not ok:
            ok = [n for n in names if g.agents[n].start == 0.0]
        return g.agents[g.rng.choice(ok)]

    def run(self):
        g = self.g
        rng = g.rng
        for i in range(self.args.sessions):
            prof = self.pick_profile()
            t0 = g.diurnal_start()
            kind = None
            if rng.random() < self.args.runaway_rate:
                ks = KINDS[prof]
                kind = rng.choices(list(ks), weights=list(ks.values()))[0]
            if prof == "multiagent":
                self.multi_task(t0, kind)
            else:
                self.single_task(prof, t0, kind)

    # ---- generic single-agent task (coding/support/research)
    def single_task(self, prof, t0, kind):
        g, rng = self.g, self.g.rng
        tts = {"coding": CODING_TT, "support": SUPPORT_TT, "research": RESEARCH_TT}[prof]
        tt = rng.choice(list(tts))
        names, lo, hi, fan_p, fan_rng = tts[tt]
        agent = self.pick_agent(names, t0)
        if kind == "session_budget":  # the priciest agent of the task type
            agent = max((g.agents[n] for n in names if g.agents[n].start == 0.0),
                        key=lambda a: PRICES[a.model][0])
        turn = {"coding": coding_turn, "support": support_turn, "research": research_turn}[prof]
        finish = {"coding": coding_finish, "support": support_finish,
                  "research": research_finish}[prof]
        if kind == "ping_pong" and prof != "support":
            kind = "loop_cycle"
        task_id = g.new_task() if (rng.random() < 0.6 or fan_p > 0 or kind == "subagent_fanout") \
            else None
        s = Sess(g, agent, tt, t0, task_id=task_id)
        g.prof_of[s.sid] = prof
        if agent.start > 0:
            s.traps_add("new_agent")
        v = Vocab(s)
        # normal length: skewed towards the lower part, with a long tail to hi
        L = int(lo + (hi - lo) * rng.betavariate(1.3, 2.2))
        if rng.random() < 0.08:
            L = int(hi * rng.uniform(0.9, 1.0))
            s.traps_add("long_task")
        # human pause (> idle TTL) inside a normal session
        pause_at = None
        if kind is None and prof != "support" and rng.random() < 0.03:
            pause_at = int(L * rng.uniform(0.3, 0.7))
        fan_at = int(L * rng.uniform(0.2, 0.6)) if rng.random() < fan_p else None
        if kind is None or kind in ("session_budget",):
            if kind == "session_budget":
                s.label = ("runaway", kind)
                rw_budget(s, v, 0, turn, L)
            else:
                while s.n < L:
                    if pause_at is not None and s.n >= pause_at:
                        s.t += rng.uniform(35, 90) * 60000
                        s.traps_add("long_pause")
                        pause_at = None
                    if fan_at is not None and s.n >= fan_at:
                        self.spawn_children(s, prof, rng.randint(*fan_rng))
                        fan_at = None
                    turn(s, v, L)
            finish(s, v)
        elif kind == "subagent_fanout":
            s.label = ("runaway", kind)
            onset_n = int(L * rng.uniform(0.1, 0.5))
            while s.n < onset_n:
                turn(s, v, L)
            total = int(math.exp(rng.uniform(math.log(40), math.log(300))))
            normal_max = fan_rng[1] if fan_rng[1] else 3
            self.spawn_children(s, prof, total, onset_child=normal_max + 1, runaway=True)
            s.variant = f"{total}_children"
            finish(s, v)
        elif kind == "ping_pong":  # support: transfer loop between two bots
            s.label = ("runaway", kind)
            onset_n = int(L * rng.uniform(0.2, 0.6))
            while s.n < onset_n:
                turn(s, v, L)
            a1 = s.cur_agent
            a2 = g.agents["billing-haiku"] if a1.name != "billing-haiku" else g.agents["helpdesk-mini"]
            n = extra_steps(rng, kind)
            s.mark_onset()
            st = s.n
            s.variant = f"{a1.name}<->{a2.name}"
            while s.n - st < n:
                s.llm(agent=a1, out=rng.randint(40, 200))
                s.handoff(a2, agent=a1)
                s.llm(agent=a2, out=rng.randint(40, 200))
                s.handoff(a1, agent=a2)
        else:
            s.label = ("runaway", kind)
            if kind == "step_runaway":
                while s.n < L:
                    turn(s, v, L)
            else:
                onset_n = max(2, int(L * rng.uniform(0.1, 0.7)))
                while s.n < onset_n:
                    turn(s, v, L)
            RUNAWAY_FUNCS[kind](s, v, extra_steps(rng, kind), turn, L)
        self.sessions.append(s)

    # ---- children of a session
    def spawn_children(self, s, prof, k, onset_child=None, runaway=False):
        g, rng = self.g, self.g.rng
        ctt, cag, clo, chi = CHILD_TT[prof]
        agent = g.agents[cag]
        v = Vocab(s)
        i = 0
        if not s.task_id:
            s.task_id = g.new_task()
        while i < k:
            batch = min(k - i, rng.randint(3, 8))
            s.llm(tool="spawn_agent", out=rng.randint(200, 800))
            end = s.t
            for _ in range(batch):
                i += 1
                if onset_child is not None and i == onset_child:
                    s.mark_onset()
                s.tool("spawn_agent", v.new("spawn"), parallel=True, result=100)
                c = Sess(g, agent, ctt, s.t + rng.uniform(200, 2000), task_id=s.task_id,
                         parent=s.sid)
                g.prof_of[c.sid] = prof
                cv = Vocab(c)
                L = rng.randint(clo, chi)
                while c.n < L:
                    t = rng.choice(["web_search", "fetch_url", "python", "read_file"])
                    llm_with_outage(c, tool=t)
                    c.tool(t, cv.new(t), result=rng.randint(300, 3000))
                c.llm(out=rng.randint(300, 1200))
                if runaway:
                    c.label = ("runaway", "subagent_fanout")
                    c.part_of = s.sid
                    c.onset = c.costs[0][0]
                self.sessions.append(c)
                s.children.append(c.sid)
                end = max(end, c.t)
            s.t = end + rng.uniform(500, 3000)
            s.llm(out=rng.randint(300, 1500), extra_in=rng.randint(500, 3000) * batch)
            if s.ctx > s.agent.compact_at:
                s.maybe_compact(force=True)

    # ---- planner/executor task
    def multi_task(self, t0, kind):
        g, rng = self.g, self.g.rng
        tt = rng.choice(list(MULTI_TT))
        planners, rlo, rhi, fan_p, fan_rng = MULTI_TT[tt]
        planner = self.pick_agent(planners, t0)
        ex = g.agents[EXECUTOR_OF[planner.name]]
        critic = g.agents["critic-flash"]
        task_id = g.new_task()
        split = rng.random() < 0.25 and kind in (None, "ping_pong")
        s = Sess(g, planner, tt, t0, task_id=task_id)
        g.prof_of[s.sid] = "multiagent"
        if planner.start > 0:
            s.traps_add("new_agent")
        v = Vocab(s)
        es = None
        if split:
            # executor runs in its own session of the same task
            es = Sess(g, ex, tt, t0, task_id=task_id, parent=s.sid)
            g.prof_of[es.sid] = "multiagent"
            ev = Vocab(es)
        R = rng.randint(rlo, rhi)
        if rng.random() < 0.07:
            R = rhi
            s.traps_add("long_task")
        if R >= 5:
            s.traps_add("legit_handoffs")
        onset_r = None
        if kind is not None:
            s.label = ("runaway", kind)
            onset_r = max(1, int(R * rng.uniform(0.2, 0.8)))
            if es:
                es.label = ("runaway", kind)
        fan_at = rng.randint(1, R) if rng.random() < fan_p and kind is None else None
        rt = 0
        while True:
            rt += 1
            if kind is not None and rt == onset_r + 1:
                break
            if kind is None and rt > R:
                break
            llm_with_outage(s, agent=planner)
            if fan_at == rt:
                self.spawn_children(s, "multiagent", rng.randint(*fan_rng))
            if es:
                s.handoff(ex, agent=planner)
                es.t = max(es.t, s.t)
                executor_work(es, ev, ex)
                es.handoff(planner, agent=ex)
                s.t = max(s.t, es.t)
            else:
                s.handoff(ex, agent=planner)
                executor_work(s, v, ex)
                if rng.random() < 0.3:
                    s.handoff(critic, agent=ex)
                    llm_with_outage(s, agent=critic)
                    s.handoff(planner, agent=critic)
                else:
                    s.handoff(planner, agent=ex)
        if kind is None:
            llm_with_outage(s, agent=planner, out=rng.randint(500, 2000))
        elif kind == "ping_pong":
            n = extra_steps(rng, kind)
            s.variant = f"{planner.name}<->{ex.name}" + ("_split" if es else "")
            s.mark_onset()
            if es:
                es.mark_onset()
            start = s.n + (es.n if es else 0)
            while s.n + (es.n if es else 0) - start < n:
                # no progress: planner re-asks, executor bounces back without doing work
                s.llm(agent=planner, out=rng.randint(60, 300))
                if es:
                    s.handoff(ex, agent=planner)
                    es.t = max(es.t, s.t)
                    es.llm(agent=ex, out=rng.randint(40, 200))
                    if rng.random() < 0.3:
                        es.tool("http_request", "stale-status-check", result=120)
                    es.handoff(planner, agent=ex)
                    s.t = max(s.t, es.t)
                else:
                    s.handoff(ex, agent=planner)
                    s.llm(agent=ex, out=rng.randint(40, 200))
                    if rng.random() < 0.3:
                        s.tool("http_request", f"{s.sid}:stale-status-check", result=120)
                    s.handoff(planner, agent=ex)
        elif kind == "subagent_fanout":
            total = int(math.exp(rng.uniform(math.log(40), math.log(300))))
            s.variant = f"{total}_children"
            self.spawn_children(s, "multiagent", total, onset_child=fan_rng[1] + 1 if fan_rng[1]
                                else 6, runaway=True)
        elif kind == "session_budget":
            s.cur_agent = planner
            rw_budget(s, v, 0, None, 0)
        else:
            def mturn(ss, vv, LL, allow_finish=True):
                llm_with_outage(ss, agent=planner)
                ss.handoff(ex, agent=planner)
                executor_work(ss, vv, ex)
                ss.handoff(planner, agent=ex)
            s.cur_agent = ex
            RUNAWAY_FUNCS[kind](s, v, extra_steps(rng, kind), mturn, s.n)
        self.sessions.append(s)
        if es:
            self.sessions.append(es)

    # ---- post-pass and writing
    def finalize(self):
        # session_budget onset: first event where spend exceeds the largest normal session's
        # spend of its task type
        maxn = {}
        for s in self.sessions:
            if s.label[0] == "normal" and s.parent is None:
                maxn[s.task_type] = max(maxn.get(s.task_type, 0.0), s.cost)
        self.normal_max = maxn
        for s in self.sessions:
            if s.label[1] == "session_budget":
                m = maxn.get(s.task_type, 5.0)
                for eid, c in s.costs:
                    if c > m:
                        s.onset = eid
                        break
                else:
                    s.onset = s.costs[-1][0]

    def write(self, out, labels, meta):
        evs = []
        for s in self.sessions:
            evs.extend(s.events)
        # redelivery: a few duplicated events (same event_id) shortly after the original
        rng = self.g.rng
        dups = []
        if self.args.dup_rate > 0:
            for (ts, seq, line) in evs:
                if rng.random() < self.args.dup_rate:
                    dups.append((ts + rng.randint(0, 3000), seq + 10**9, line))
        evs.extend(dups)
        evs.sort()
        with open(out, "w") as f:
            for _, _, line in evs:
                f.write(line)
                f.write("\n")
        with open(labels, "w") as f, open(meta, "w") as fm:
            for s in self.sessions:
                if s.handoffs >= 6:
                    s.traps_add("legit_handoffs")
                lab, kind = s.label
                if lab == "normal" and s.traps:
                    kind = s.traps[0]
                    pri = ["ci_polling", "provider_outage", "escalation_burst", "big_document",
                           "new_agent", "model_upgrade", "legit_handoffs", "batch_edit",
                           "legit_retries", "long_pause", "long_task", "context_reset"]
                    for p in pri:
                        if p in s.traps:
                            kind = p
                            break
                rec = {"session_id": s.sid, "label": lab, "kind": kind,
                       "onset_event_id": s.onset if lab == "runaway" else None,
                       "task_id": s.task_id}
                if getattr(s, "part_of", None):
                    rec["part_of"] = s.part_of
                f.write(json.dumps(rec) + "\n")
                fm.write(json.dumps({
                    "session_id": s.sid, "label": lab, "kind": kind, "traps": s.traps,
                    "variant": s.variant, "agent": s.agent.name, "model": s.agent.model,
                    "task_type": s.task_type, "profile": self.g.prof_of.get(s.sid),
                    "events": s.n, "cost_usd": round(s.cost, 4), "children": len(s.children),
                    "handoffs": s.handoffs, "parent": s.parent, "onset": s.onset,
                    "onset_index": next((i for i, (e, _) in enumerate(s.costs) if e == s.onset),
                                        None),
                    "cost_at_onset": next((round(c, 4) for e, c in s.costs if e == s.onset),
                                          None),
                }) + "\n")
        return len(evs), len(dups)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sessions", type=int, default=3000, help="top-level sessions (tasks)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--meta", help="sidecar per-session details (default <labels>.meta.ndjson)")
    ap.add_argument("--profile", default="mixed",
                    choices=["coding", "support", "research", "multiagent", "mixed"])
    ap.add_argument("--hours", type=float, help="time span (default 12-48 h, from the seed)")
    ap.add_argument("--runaway-rate", type=float, default=0.12)
    ap.add_argument("--dup-rate", type=float, default=0.002, help="redelivered duplicate events")
    args = ap.parse_args()
    if args.hours is None:
        args.hours = 12 + (args.seed * 13) % 37
    fl = Fleet(args)
    fl.run()
    fl.finalize()
    meta = args.meta or args.labels.replace(".ndjson", "") + ".meta.ndjson"
    n, nd = fl.write(args.out, args.labels, meta)
    nr = sum(1 for s in fl.sessions if s.label[0] == "runaway")
    print(f"profile={args.profile} seed={args.seed} hours={args.hours} sessions={len(fl.sessions)} "
          f"runaway_sessions={nr} events={n} (dups {nd})")
    print("max normal top-level session spend per task type:",
          {k: round(v, 2) for k, v in sorted(fl.normal_max.items())})


if __name__ == "__main__":
    main()
