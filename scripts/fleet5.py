#!/usr/bin/env python3
"""fleet5 -- synthetic usage-event generator for a runaway-agent-spend detector.

Character: agent *frameworks and interaction styles* (computer-use agents,
multi-agent teams, human-in-the-loop assistants).  Standard library only,
deterministic for given arguments.

  python3 scripts/fleet5.py --seed N --profile P --sessions S --out EVENTS.ndjson --labels LABELS.ndjson
"""
import argparse
import bisect
import datetime as _dt
import hashlib
import json
import math
import os
import re
import sys
from collections import deque
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.normpath(os.path.join(HERE, "..", "models",
                                                "model_prices_and_context_window.json"))

RUNAWAY_KINDS = ["cost_spike", "loop_repeat", "loop_cycle", "ping_pong", "step_runaway",
                 "retry_storm", "context_growth", "subagent_fanout", "session_budget"]
TRAPS = ["scroll_read", "screenshot_after_each_action", "page_load_wait", "round_robin_chat",
         "supervisor_delegation", "debate_rounds", "human_pause", "cron_burst",
         "provider_fallback", "new_agent_pricier", "huge_vision_input", "long_thread",
         "wide_crew", "legit_retry"]

# ----------------------------------------------------------------------------
# catalog / pricing
# ----------------------------------------------------------------------------
CAT = {}
# self-hosted models, not in the catalog: always sent with cost_usd
SELF_HOSTED = {
    "Qwen/Qwen2.5-VL-72B-Instruct": (6e-7, 1.8e-6, 131072),
    "meta-llama/Llama-3.3-70B-Instruct": (3.5e-7, 7e-7, 131072),
    "bytedance/UI-TARS-1.5-7B": (8e-8, 2.4e-7, 65536),
}
DATED = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929", "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-opus-4-1": "claude-opus-4-1-20250805", "claude-opus-4-5": "claude-opus-4-5-20251101",
    "gpt-4.1": "gpt-4.1-2025-04-14", "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "o3": "o3-2025-04-16", "o4-mini": "o4-mini-2025-04-16", "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07", "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18", "computer-use-preview": "computer-use-preview-2025-03-11",
}
FAMILY = {}  # catalog key -> anthropic|openai|gemini|mistral|deepseek|xai|selfhosted
# sustained switch targets for cost_spike / new_agent_pricier (about 5-10x)
ESCALATE = {
    "claude-sonnet-4-5": ["claude-opus-4-1"], "claude-haiku-4-5": ["claude-opus-4-5"],
    "gpt-4.1-mini": ["gpt-4.1"], "gpt-5-mini": ["gpt-5"], "gpt-4o-mini": ["o4-mini"],
    "gpt-4o": ["o1"], "computer-use-preview": ["claude-opus-4-1"], "gpt-4.1": ["o1"],
    "gemini/gemini-2.5-flash": ["gemini/gemini-3.1-pro-preview"],
    "gemini-2.5-flash": ["gemini-3.1-pro-preview"],
    "gemini/gemini-2.5-computer-use-preview-10-2025": ["claude-opus-4-1"],
    "mistral/mistral-small-latest": ["mistral/mistral-medium-latest"],
    "mistral/mistral-large-latest": ["claude-sonnet-4-5"], "deepseek/deepseek-chat": ["o4-mini"],
    "o4-mini": ["claude-opus-4-5"], "gemini-2.5-pro": ["claude-opus-4-1"], "o3": ["o1"],
    "xai/grok-4.3": ["claude-opus-4-5"],
    "Qwen/Qwen2.5-VL-72B-Instruct": ["claude-sonnet-4-5"],
    "meta-llama/Llama-3.3-70B-Instruct": ["gpt-4.1"], "bytedance/UI-TARS-1.5-7B": ["gpt-4.1-mini"],
}
REASONING = {"o3", "o4-mini", "o1", "gpt-5", "gpt-5-mini", "gemini-2.5-pro",
             "gemini/gemini-3.1-pro-preview", "gemini-3.1-pro-preview", "gemini/gemini-2.5-flash",
             "gemini-2.5-flash"}
_DATE_RE = re.compile(r"(-\d{8}|-\d{4}-\d{2}-\d{2})$")


def load_catalog(path):
    with open(path) as f:
        d = json.load(f)
    for k, v in d.items():
        if isinstance(v, dict) and "input_cost_per_token" in v:
            CAT[k] = v


def resolve(name):
    """What a reasonable catalog lookup does: exact, strip 'provider/', strip date suffix."""
    cands = [name]
    if "/" in name:
        cands.append(name.split("/", 1)[1])
    for c in list(cands):
        m = _DATE_RE.search(c)
        if m:
            cands.append(c[:m.start()])
    for c in cands:
        if c in CAT:
            return c
    return None


def unit_prices(key):
    if key in SELF_HOSTED:
        i, o, _ = SELF_HOSTED[key]
        return i, o, i, i, o
    v = CAT[key]
    i = v.get("input_cost_per_token") or 0.0
    o = v.get("output_cost_per_token") or 0.0
    cr = v.get("cache_read_input_token_cost")
    cw = v.get("cache_creation_input_token_cost")
    r = v.get("output_cost_per_reasoning_token")
    return i, o, (i if cr is None else cr), (i if cw is None else cw), (o if r is None else r)


def max_input(key):
    if key in SELF_HOSTED:
        return SELF_HOSTED[key][2]
    return CAT[key].get("max_input_tokens") or 128000


def price(key, inp, out, cr, cw, rs):
    i, o, c_r, c_w, r = unit_prices(key)
    return inp * i + out * o + cr * c_r + cw * c_w + rs * r


def family(key):
    if key in SELF_HOSTED:
        return "selfhosted"
    if key.startswith("claude"):
        return "anthropic"
    if "gemini" in key:
        return "gemini"
    if key.startswith("mistral/"):
        return "mistral"
    if key.startswith("deepseek/"):
        return "deepseek"
    if key.startswith("xai/"):
        return "xai"
    return "openai"


# ----------------------------------------------------------------------------
# sources (gateways / SDK exporters): wire style differs per source
# ----------------------------------------------------------------------------
SOURCE_TEMPLATES = [
    # ts style, model naming, cost share, sends task_type, openai via, gemini via, id style, sparse, v
    dict(name="litellm-proxy", ts="z_ms", naming="prefixed", cost=0.35, task_type=True,
         openai="openai", gemini="gemini", ids="uuid", sparse=False, v=True),
    dict(name="otel-collector", ts="epoch_ms", naming="plain", cost=0.0, task_type=True,
         openai="openai", gemini="vertex_ai", ids="hex", sparse=True, v=False),
    dict(name="azure-apim", ts="offset", naming="prefixed", cost=1.0, task_type=False,
         openai="azure", gemini="vertex_ai", ids="evt", sparse=False, v=True),
    dict(name="sdk-callback", ts="z_s", naming="dated", cost=0.15, task_type=True,
         openai="openai", gemini="gemini", ids="uuid", sparse=True, v=False),
    dict(name="browser-runtime", ts="us", naming="plain", cost=0.6, task_type=False,
         openai="openai", gemini="gemini", ids="evt", sparse=True, v=False),
    dict(name="crew-telemetry", ts="epoch_ms", naming="dated", cost=0.0, task_type=True,
         openai="azure", gemini="gemini", ids="hex", sparse=False, v=True),
]
TS_OFFSETS = [60, 120, -300, 330]  # minutes, for "offset" sources


def fmt_ts(ms, style, off_min):
    if style == "epoch_ms":
        return int(ms)
    ms = int(ms)
    if style == "offset":
        tz = _dt.timezone(_dt.timedelta(minutes=off_min))
        d = _dt.datetime.fromtimestamp(ms / 1000.0, tz)
        sign = "+" if off_min >= 0 else "-"
        a = abs(off_min)
        return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03d%s%02d:%02d" % (ms % 1000, sign, a // 60, a % 60)
    d = _dt.datetime.fromtimestamp(ms // 1000, _dt.timezone.utc)
    base = d.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "z_ms":
        return base + ".%03dZ" % (ms % 1000)
    if style == "z_s":
        return base + "Z"
    return base + ".%03d%03d+00:00" % (ms % 1000, (ms * 7) % 1000)  # "us"


_WM = {}


def wire_model(key, src, rng=None):
    ck = (key, src["name"])
    if ck in _WM:
        return _WM[ck]
    fam = family(key)
    if fam == "selfhosted":
        _WM[ck] = (key, "vllm")
        return key, "vllm"
    prov = {"anthropic": "anthropic", "openai": src["openai"], "gemini": src["gemini"],
            "mistral": "mistral", "deepseek": "deepseek", "xai": "xai"}[fam]
    name = key
    naming = src["naming"]
    if naming in ("dated",) and key in DATED:
        name = DATED[key]
    if naming == "prefixed":
        if key in DATED and int(hashlib.md5((key + src["name"]).encode()).hexdigest(), 16) % 2:
            name = DATED[key]
        if "/" not in name:
            pre = {"anthropic": "anthropic", "openai": src["openai"], "gemini": "vertex_ai"}.get(fam)
            if pre:
                name = pre + "/" + name
    r = resolve(name)
    assert r is not None and unit_prices(r) == unit_prices(key), (key, name, r)
    _WM[ck] = (name, prov)
    return name, prov


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def ahash(tool, args):
    return hashlib.sha256((tool + "|" + args).encode()).hexdigest()[:24]


def clip(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def lognorm_int(rng, median, sigma, lo, hi):
    return int(clip(round(median * math.exp(rng.gauss(0, sigma))), lo, hi))


class Ctx:
    """Prompt context: system part + sliding-window history."""
    __slots__ = ("sys", "items", "hist", "cap", "prev", "broken", "last_t")

    def __init__(self, sys_tokens, cap):
        self.sys = sys_tokens
        self.items = deque()
        self.hist = 0
        self.cap = cap
        self.prev = 0
        self.broken = False
        self.last_t = None

    def add(self, n):
        n = int(n)
        self.items.append(n)
        self.hist += n
        while self.cap is not None and self.hist > self.cap and self.items:
            self.hist -= self.items.popleft()
            self.broken = True

    def prompt(self):
        return self.sys + self.hist


# ----------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------
class Gen:
    def __init__(self, seed, profile, n_sessions):
        self.seed = seed
        self.profile = profile
        self.n = n_sessions
        self.rng = random.Random("fleet5:%d:%s" % (seed, profile))
        self.events = []   # internal event dicts
        self.labels = []
        self.t0 = int(_dt.datetime(2025, 11, 10, tzinfo=_dt.timezone.utc).timestamp() * 1000) \
            + (seed % 7) * 86400000
        self.span = int(self.rng.uniform(26, 36) * 3600000)
        self.sources = []
        for tpl in SOURCE_TEMPLATES:
            s = dict(tpl)
            s["off"] = self.rng.choice(TS_OFFSETS)
            s["cost"] = clip(s["cost"] + self.rng.uniform(-0.1, 0.1), 0, 1) if 0 < s["cost"] < 1 else s["cost"]
            self.sources.append(s)
        self._ids = set()

    # ids -------------------------------------------------------------------
    def new_id(self, style, prefix=""):
        r = self.rng
        while True:
            if style == "uuid":
                h = "%032x" % r.getrandbits(128)
                s = "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], h[16:20], h[20:32])
            elif style == "hex":
                s = "%016x" % r.getrandbits(64)
            else:
                s = "%s_%s" % (prefix or "evt", "%026x" % r.getrandbits(104))
            if s not in self._ids:
                self._ids.add(s)
                return s


# ----------------------------------------------------------------------------
# deployments (agents) per profile
# ----------------------------------------------------------------------------
def D(agent, style, task_types, models, src, weight=1.0, **kw):
    d = dict(agent=agent, style=style, task_types=task_types, models=models, src=src, weight=weight)
    d.update(kw)
    return d


def roster_computer_use(rng):
    P = lambda *xs: rng.choice(xs)
    return [
        D("web-navigator", "browser", ["web_research", "data_extraction"],
          [P("claude-sonnet-4-5", "claude-haiku-4-5")], 0, 2.0, tenant="acme", team="growth"),
        D("form-filler", "browser", ["form_fill"], [P("claude-sonnet-4-5", "gpt-4.1")], 4, 1.6,
          tenant="acme", team="ops"),
        D("checkout-bot", "browser", ["checkout"], ["computer-use-preview"], 2, 1.0,
          tenant="globex", team="commerce"),
        D("qa-clicker", "browser", ["ui_regression_test"], [P("gpt-4.1-mini", "gemini/gemini-2.5-flash")], 1, 1.4,
          tenant="initech", team="qa", scroll_batch=True),
        D("desktop-ops", "browser", ["desktop_admin"], ["claude-sonnet-4-5"], 3, 1.0,
          tenant="initech", team="it"),
        D("gemini-cu-agent", "browser", ["web_research", "form_fill"],
          ["gemini/gemini-2.5-computer-use-preview-10-2025"], 4, 0.9, tenant="globex", team="research"),
        D("ui-tars-runner", "browser", ["ui_regression_test", "data_extraction"],
          ["bytedance/UI-TARS-1.5-7B"], 1, 1.2, tenant="initech", team="qa"),
        D("qwen-vl-scraper", "browser", ["data_extraction"], ["Qwen/Qwen2.5-VL-72B-Instruct"], 5, 1.0,
          tenant="acme", team="data"),
        D("price-compare", "browser_orch", ["price_comparison"], [P("gpt-4.1-mini", "claude-haiku-4-5")], 5, 0.7,
          tenant="globex", team="commerce", worker="tab-worker"),
        D("planner-executor", "planexec", ["travel_booking", "form_fill"], [P("o4-mini", "claude-sonnet-4-5")], 0, 0.7,
          tenant="acme", team="travel", partners=["pe-executor"], worker_model="claude-haiku-4-5"),
    ], ["tab-worker", "pe-executor"]


def roster_teams(rng):
    P = lambda *xs: rng.choice(xs)
    return [
        D("gc-manager", "groupchat", ["code_review", "feature_design"], [P("gpt-4.1", "claude-sonnet-4-5")], 1, 1.6,
          tenant="acme", team="platform", partners=["gc-coder", "gc-critic", "gc-tester", "gc-writer"]),
        D("gc-research-lead", "groupchat", ["market_analysis"], [P("gemini-2.5-flash", "gpt-5-mini")], 5, 1.0,
          tenant="globex", team="strategy", partners=["gc-analyst", "gc-skeptic", "gc-writer"]),
        D("sup-orchestrator", "supervisor", ["data_pipeline_fix", "report_generation"],
          [P("claude-sonnet-4-5", "o3")], 5, 1.5, tenant="initech", team="data",
          partners=["w-sql", "w-python", "w-search", "w-summarizer"]),
        D("sup-support", "supervisor", ["ticket_resolution"], ["gpt-4o-mini"], 2, 1.2,
          tenant="globex", team="support", partners=["w-kb", "w-billing", "w-escalation"]),
        D("debate-pro", "debate", ["policy_review", "fact_check"], [P("claude-haiku-4-5", "gpt-4.1-mini")], 3, 0.9,
          tenant="acme", team="legal", partners=["debate-con", "debate-judge"]),
        D("crew-manager", "crew", ["due_diligence", "literature_review"], [P("gpt-4.1", "claude-sonnet-4-5")], 5, 1.1,
          tenant="initech", team="research", worker="crew-researcher"),
        D("crew-content", "crew", ["content_batch"], ["mistral/mistral-small-latest"], 0, 0.9,
          tenant="globex", team="marketing", worker="crew-writer"),
        D("parallel-analyst", "parallel", ["risk_assessment"], [P("gemini/gemini-2.5-flash", "deepseek/deepseek-chat")], 1, 0.8,
          tenant="acme", team="risk", partners=["pa-credit", "pa-market", "pa-ops"]),
        D("swarm-coder", "supervisor", ["bug_fix"], ["meta-llama/Llama-3.3-70B-Instruct"], 3, 0.7,
          tenant="initech", team="platform", partners=["w-tests", "w-patch"]),
    ], ["gc-coder", "gc-critic", "gc-tester", "gc-writer", "gc-analyst", "gc-skeptic", "w-sql", "w-python",
        "w-search", "w-summarizer", "w-kb", "w-billing", "w-escalation", "debate-con", "debate-judge",
        "crew-researcher", "crew-writer", "pa-credit", "pa-market", "pa-ops", "w-tests", "w-patch"]


def roster_assistants(rng):
    P = lambda *xs: rng.choice(xs)
    return [
        D("email-triage", "cron", ["email_triage"], [P("gpt-4o-mini", "claude-haiku-4-5")], 2, 0.0,
          tenant="acme", team="workplace", period=60, cron_share=0.22),
        D("calendar-sync", "cron", ["calendar_sync"], ["gpt-4.1-mini"], 1, 0.0,
          tenant="globex", team="workplace", period=30, cron_share=0.12),
        D("ops-healthcheck", "cron", ["service_healthcheck"], ["deepseek/deepseek-chat"], 1, 0.0,
          tenant="initech", team="sre", period=15, cron_share=0.10, fixed_args=True),
        D("exec-assistant", "thread", ["exec_support"], [P("claude-sonnet-4-5", "gpt-4o")], 0, 0.9,
          tenant="acme", team="exec"),
        D("support-copilot", "thread", ["customer_chat"], ["azure-gpt4o"], 2, 1.0,
          tenant="globex", team="support"),
        D("expense-approver", "hitl", ["expense_review"], ["gpt-4.1-mini"], 3, 1.0,
          tenant="initech", team="finance", partners=["policy-checker"],
          fallback=["claude-haiku-4-5"]),
        D("travel-booker", "hitl", ["travel_request"], ["claude-sonnet-4-5"], 0, 0.8,
          tenant="acme", team="travel", partners=["approval-agent"], fallback=["gpt-4.1"]),
        D("hr-helpdesk", "chat", ["hr_question"], ["mistral/mistral-large-latest"], 4, 1.1,
          tenant="globex", team="hr", fallback=["gemini/gemini-2.5-flash"]),
        D("it-helpdesk", "chat", ["it_request"], [P("gemini-2.5-flash", "gpt-5-mini")], 1, 1.1,
          tenant="initech", team="it", fallback=["claude-haiku-4-5", "gpt-4o-mini"]),
        D("oncall-bot", "ops", ["incident_triage"], [P("claude-sonnet-4-5", "o4-mini")], 5, 0.8,
          tenant="initech", team="sre", fallback=["gpt-4.1"], worker="log-digger"),
        D("meeting-notes", "chat", ["meeting_summary"], ["xai/grok-4.3"], 4, 0.6,
          tenant="acme", team="workplace", fallback=["gpt-4.1-mini"]),
    ], ["policy-checker", "approval-agent", "log-digger"]


def build_roster(profile, rng):
    if profile == "computer_use":
        deps, extra = roster_computer_use(rng)
    elif profile == "teams":
        deps, extra = roster_teams(rng)
    elif profile == "assistants":
        deps, extra = roster_assistants(rng)
    else:
        a, ea = roster_computer_use(rng)
        b, eb = roster_teams(rng)
        c, ec = roster_assistants(rng)
        # subsample so the mixed fleet stays a plausible size; keep every style present
        keep = lambda L, n: sorted(rng.sample(range(len(L)), n))
        a = [a[i] for i in keep(a, 6)]
        b = [b[i] for i in keep(b, 5)]
        c = [c[i] for i in keep(c, 8)]
        deps = a + b + c
        styles = {d["style"] for d in deps}
        if "browser" not in styles:
            deps.append(roster_computer_use(rng)[0][0])
        if "groupchat" not in styles:
            deps.append(roster_teams(rng)[0][0])
        if "crew" not in styles:
            deps.append(roster_teams(rng)[0][5])
        if "cron" not in styles:
            deps.append(roster_assistants(rng)[0][0])
        extra = ea + eb + ec
    # support-copilot is behind azure: map pseudo-model
    for d in deps:
        d["models"] = ["gpt-4o" if m == "azure-gpt4o" else m for m in d["models"]]
        if d["agent"] == "support-copilot":
            d["src"] = 2
    return deps, extra


# ----------------------------------------------------------------------------
# session builder
# ----------------------------------------------------------------------------
class Sess:
    def __init__(self, g, dep, t0, task_type, task_id, parent=None, kind="normal", label="normal",
                 agent=None, sid=None):
        self.g = g
        self.rng = g.rng
        self.dep = dep
        self.src = g.sources[dep["src"]]
        self.agent = agent or dep["agent"]
        self.sid = sid or g.new_id(self.src["ids"], "sess")
        self.task_type = task_type
        self.task_id = task_id
        self.parent = parent
        self.t = t0
        self.kind = kind
        self.label = label
        self.onset = None
        self._mark = False
        self.part_of = None
        self.n = 0
        self.cost = 0.0
        self.model = dep["models"][0]
        self.fallback = list(dep.get("fallback", []))
        r = self.rng
        self.ctx = Ctx(int(r.uniform(1500, 5000)), None)
        self.caching = dep.get("caching", r.random() < 0.8)
        self.ms_tok = r.uniform(8, 25)

    # -- emission ------------------------------------------------------------
    def _emit(self, ev):
        ev["event_id"] = self.g.new_id(self.src["ids"], "evt")
        ev["session_id"] = self.sid
        ev["_t"] = self.t
        ev["_s"] = self
        self.g.events.append(ev)
        if self._mark:
            self.onset = ev["event_id"]
            self._mark = False
        self.n += 1
        return ev

    def mark_onset(self):
        self._mark = True

    def gap(self, lo, hi):
        self.t += int(self.rng.uniform(lo, hi))

    def llm(self, out=None, extra_in=0, tool=None, status="ok", model=None, agent=None,
            reasoning=None, add_out=True, out_scale=1.0, errtok=False):
        r = self.rng
        key = model or self.model
        ctx = self.ctx
        tail = int(r.uniform(30, 400))
        prompt = ctx.prompt() + tail
        mx = max_input(key)
        if prompt + extra_in > mx * 0.97:
            # the client truncates to fit (sustained context growth ends up saturated)
            over = prompt + extra_in - int(mx * 0.97)
            extra_in = max(0, extra_in - over)
            prompt = min(prompt, int(mx * 0.97) - extra_in)
        if out is None:
            out = int(r.uniform(40, 260))
        out = int(out * out_scale)
        rs = 0
        if key in REASONING:
            rs = int(reasoning if reasoning is not None else r.uniform(0, 3) ** 2 * 350)
        fam = family(key)
        cached = 0
        ttl = 300000 if fam == "anthropic" else 600000
        if self.caching and ctx.last_t is not None and self.t - ctx.last_t < ttl:
            cached = ctx.sys if ctx.broken else min(ctx.prev, prompt)
        inp, cr, cw = prompt, 0, 0
        if fam == "anthropic":
            if self.caching:
                cr = cached
                inp = min(tail, prompt - cached)
                cw = max(0, prompt - cached - inp)
        elif fam in ("openai", "gemini", "deepseek", "xai"):
            if prompt >= 1024 and cached >= 1024:
                cr = (cached // 128) * 128 if fam == "openai" else int(cached * 0.95)
                inp = prompt - cr
        inp += extra_in
        if status != "ok":
            # rejected calls: usually nothing billed; sometimes the prompt was processed
            if errtok and r.random() < 0.3:
                out, rs = int(r.uniform(0, 30)), 0
            else:
                inp, cr, cw, out, rs = (inp if errtok else 0), 0, 0, 0, 0
            lat = int(r.uniform(80, 1200)) if r.random() < 0.8 else int(r.uniform(10000, 60000))
        else:
            lat = int(r.uniform(250, 1400) + prompt / 1000.0 * r.uniform(4, 15)
                      + out * self.ms_tok + rs * 6)
        self.t += lat
        ev = {"kind": "llm", "model": key, "input_tokens": inp, "output_tokens": out,
              "cache_read_tokens": cr, "cache_write_tokens": cw, "reasoning_tokens": rs,
              "status": status, "latency_ms": lat}
        if tool:
            ev["tool"] = tool
        if agent:
            ev["agent_id"] = agent
        c = price(key, inp, out, cr, cw, rs)
        ev["_cost"] = c
        self.cost += c
        self._emit(ev)
        if status == "ok":
            ctx.prev = prompt
            ctx.broken = False
            ctx.last_t = self.t
            if add_out:
                ctx.add(out + tail)
        self.gap(5, 120)
        return ev

    def tool(self, name, args, status="ok", lat=None, agent=None, ctx_add=0):
        r = self.rng
        if lat is None:
            lat = int(r.uniform(30, 900))
        self.t += lat
        ev = {"kind": "tool", "tool": name, "args_hash": ahash(name, args), "status": status,
              "latency_ms": lat, "_cost": 0.0}
        if agent:
            ev["agent_id"] = agent
        self._emit(ev)
        if ctx_add:
            self.ctx.add(ctx_add)
        self.gap(5, 80)
        return ev

    def handoff(self, target, agent=None, child=None):
        self.t += int(self.rng.uniform(2, 40))
        ev = {"kind": "handoff", "target_agent_id": target, "status": "ok",
              "latency_ms": int(self.rng.uniform(1, 30)), "_cost": 0.0}
        if agent:
            ev["agent_id"] = agent
        if child:
            ev["labels"] = {"child_session_id": child}
        self._emit(ev)
        self.gap(5, 60)
        return ev


# ----------------------------------------------------------------------------
# style engines: each has setup(), normal_step(), and a loop vocabulary
# ----------------------------------------------------------------------------
URLS = ["/search", "/products", "/cart", "/account", "/orders", "/docs", "/settings", "/reports",
        "/inbox", "/admin/users", "/checkout", "/results", "/profile", "/dashboard", "/tickets"]


class Style:
    cu = False

    def __init__(self, s):
        self.s = s
        self.r = s.rng
        self.u = 0

    def uniq(self):
        self.u += 1
        return "%d:%d" % (self.u, self.r.getrandbits(30))

    def setup(self):
        pass

    def normal_len(self):
        return 40

    def normal_step(self):
        raise NotImplementedError

    def loop_action(self):
        """one (tool, args) that the agent might get stuck repeating"""
        raise NotImplementedError

    def cycle_vocab(self):
        raise NotImplementedError

    def partners(self):
        return self.s.dep.get("partners") or ["%s-reviewer" % self.s.agent]

    def heavy(self):
        return 1.0


class Browser(Style):
    cu = True

    def setup(self):
        s, r = self.s, self.r
        key = s.model
        mx = max_input(key)
        self.shot = int(r.uniform(1100, 1800)) if mx > 20000 else int(r.uniform(700, 1100))
        cap = int(r.uniform(4, 10)) * self.shot + int(r.uniform(2000, 8000))
        s.ctx.cap = min(cap, int(mx * 0.7) - s.ctx.sys)
        if mx < 20000:
            s.ctx.sys = int(r.uniform(900, 1600))
            s.ctx.cap = int(mx * 0.75) - s.ctx.sys
        self.scroll_amt = r.choice(["3", "5", "10", "page"])
        self.p_shot = r.uniform(0.82, 0.97)
        self.batch = s.dep.get("scroll_batch", False)
        self.trap = s.kind
        if self.trap == "screenshot_after_each_action":
            self.p_shot = 1.0

    def normal_len(self):
        med = {"form_fill": 70, "checkout": 90, "web_research": 140, "data_extraction": 120,
               "ui_regression_test": 110, "desktop_admin": 80, "travel_booking": 120,
               "price_comparison": 60}.get(self.s.task_type, 100)
        if self.trap == "screenshot_after_each_action":
            return lognorm_int(self.r, 200, 0.25, 120, 300)
        return lognorm_int(self.r, med, 0.45, 30, 300)

    def screenshot(self):
        self.s.tool("screenshot", "{}", lat=int(self.r.uniform(120, 700)), ctx_add=self.shot)

    def act(self, name, args):
        s = self.s
        s.llm(tool=name, out=int(self.r.uniform(30, 220)))
        s.tool(name, args, lat=int(self.r.uniform(40, 600)))
        if self.r.random() < self.p_shot:
            if self.trap == "screenshot_after_each_action" and self.r.random() < 0.3:
                s.gap(300, 1500)
                self.screenshot()  # settle + verify: two identical screenshots back to back
            self.screenshot()

    def scroll_read(self, k):
        s = self.s
        every = self.r.choice([1, 1, 2, 3]) if not self.batch else self.r.choice([3, 4, 6])
        for i in range(k):
            if i % every == 0:
                s.llm(tool="scroll", out=int(self.r.uniform(40, 300)))
            s.tool("scroll", '{"dir":"down","amount":"%s"}' % self.scroll_amt, lat=int(self.r.uniform(60, 300)))
            s.gap(100, 900)
            self.screenshot()

    def wait_load(self, k):
        for _ in range(k):
            self.s.tool("wait", '{"seconds":2}', lat=2000 + int(self.r.uniform(0, 40)))
            self.screenshot()
            if self.r.random() < 0.5:
                self.s.llm(tool="wait", out=int(self.r.uniform(20, 80)))

    def normal_step(self):
        r, s = self.r, self.s
        x = r.random()
        if x < 0.50:
            t = r.choice(["click", "click", "click", "type", "key", "double_click", "drag"])
            self.act(t, '{"x":%d,"y":%d,"u":"%s"}' % (r.randint(0, 1279), r.randint(0, 799), self.uniq()))
        elif x < 0.60:
            self.act("navigate", '{"url":"%s?q=%s"}' % (r.choice(URLS), self.uniq()))
            if r.random() < 0.3:
                self.wait_load(1)
        elif x < 0.74:
            self.scroll_read(r.randint(1, 4))
        elif x < 0.88:
            for _ in range(r.randint(2, 7)):
                self.act("click", '{"field":"%s"}' % self.uniq())
                s.tool("type", '{"text":"%s"}' % self.uniq(), lat=int(r.uniform(100, 1500)))
        elif x < 0.93:
            self.wait_load(r.randint(1, 2))
        else:
            s.llm(tool="extract", out=int(r.uniform(200, 1200)))
            s.tool("read_page", '{"u":"%s"}' % self.uniq(), ctx_add=int(r.uniform(800, 4000)))

    def trap_step(self):
        r = self.r
        if self.trap == "scroll_read":
            self.scroll_read(r.randint(12, 30))
        elif self.trap == "page_load_wait":
            self.wait_load(r.randint(3, 8))
        elif self.trap == "huge_vision_input":
            mx = max_input(self.s.model)
            big = int(min(mx * 0.85, r.uniform(90000, 700000))) - self.s.ctx.prompt()
            self.s.tool("open_document", '{"doc":"%s"}' % self.uniq(), lat=int(r.uniform(500, 4000)))
            self.s.llm(extra_in=max(big, 5000), out=int(r.uniform(500, 3000)), tool="extract")
        elif self.trap == "legit_retry":
            for _ in range(r.randint(1, 3)):
                self.s.llm(status="retry", tool="click")
                self.s.gap(500, 8000)
            self.normal_step()
        else:
            self.normal_step()

    def loop_action(self):
        r = self.r
        return r.choice([("click", '{"x":%d,"y":%d}' % (r.randint(0, 1279), r.randint(0, 799))),
                         ("click", '{"selector":"button#%s"}' % self.uniq()),
                         ("scroll", '{"dir":"down","amount":"%s"}' % self.scroll_amt),
                         ("key", '{"key":"Return"}'),
                         ("type", '{"text":"%s"}' % self.uniq())])

    def loop_iter(self, name, args, p_llm):
        if self.r.random() < p_llm:
            self.s.llm(tool=name, out=int(self.r.uniform(30, 160)))
        self.s.tool(name, args, lat=int(self.r.uniform(40, 500)))
        if self.r.random() < max(self.p_shot, 0.9):
            self.screenshot()

    def cycle_vocab(self):
        r = self.r
        u1, u2 = self.uniq(), self.uniq()
        pool = [("navigate", '{"url":"/item/%s"}' % u1), ("back", "{}"), ("screenshot", "{}"),
                ("click", '{"selector":"a#%s"}' % u2), ("switch_tab", '{"i":1}'), ("switch_tab", '{"i":0}'),
                ("key", '{"key":"Escape"}'), ("click", '{"selector":"#close"}')]
        return pool


class PlanExec(Browser):
    """planner agent hands steps to an executor browser agent and gets results back"""

    def normal_step(self):
        s, r = self.s, self.r
        ex = self.partners()[0]
        if r.random() < 0.25:
            s.llm(out=int(r.uniform(200, 900)), tool="plan")
            s.handoff(ex)
            for _ in range(r.randint(1, 4)):
                s.llm(model=s.dep.get("worker_model", s.model), agent=ex, tool="click",
                      out=int(r.uniform(30, 150)))
                s.tool("click", '{"u":"%s"}' % self.uniq(), agent=ex)
                s.tool("screenshot", "{}", agent=ex, ctx_add=self.shot // 3)
            s.handoff(s.agent, agent=ex)
        else:
            Browser.normal_step(self)


class Orchestrator(Browser):
    pass


class GroupChat(Style):
    def setup(self):
        s, r = self.s, self.r
        parts = list(self.partners())
        r.shuffle(parts)
        self.members = [s.agent] + parts[:r.randint(2, min(4, len(parts)))]
        s.ctx.cap = int(r.uniform(12000, 40000))
        self.i = 0
        self.round_robin = r.random() < 0.7
        self.out_med = r.uniform(250, 900)

    def normal_len(self):
        turns = lognorm_int(self.r, 28 if self.s.kind == "round_robin_chat" else 14, 0.35, 10, 40)
        return int(turns * 2.4)

    def next_speaker(self, cur):
        if self.round_robin:
            return self.members[(self.members.index(cur) + 1) % len(self.members)]
        return self.r.choice([m for m in self.members if m != cur])

    def normal_step(self):
        s, r = self.s, self.r
        cur = self.members[self.i % len(self.members)] if self.round_robin else getattr(self, "cur", s.agent)
        self.cur = cur
        s.llm(agent=cur if cur != s.agent else None, out=int(self.out_med * math.exp(r.gauss(0, 0.5))))
        if r.random() < 0.25:
            t = r.choice(["python_exec", "web_search", "read_file", "run_tests"])
            s.tool(t, '{"q":"%s"}' % self.uniq(), agent=cur if cur != s.agent else None,
                   ctx_add=int(r.uniform(200, 2500)))
        nxt = self.next_speaker(cur)
        s.handoff(nxt, agent=cur if cur != s.agent else None)
        self.cur = nxt
        self.i += 1

    trap_step = normal_step

    def loop_action(self):
        r = self.r
        return r.choice([("web_search", '{"q":"%s"}' % self.uniq()), ("run_tests", '{"suite":"all"}'),
                         ("read_file", '{"path":"src/%s.py"}' % self.uniq())])

    def loop_iter(self, name, args, p_llm):
        if self.r.random() < p_llm:
            self.s.llm(tool=name, out=int(self.r.uniform(60, 400)))
        self.s.tool(name, args, ctx_add=int(self.r.uniform(100, 600)))

    def cycle_vocab(self):
        u = self.uniq()
        return [("read_file", '{"path":"src/%s.py"}' % u), ("edit_file", '{"path":"src/%s.py","patch":"p1"}' % u),
                ("run_tests", '{"suite":"unit"}'), ("git_diff", "{}"), ("edit_file", '{"path":"src/%s.py","patch":"p0"}' % u),
                ("web_search", '{"q":"%s"}' % u)]

    def partners(self):
        return self.s.dep.get("partners") or ["helper"]


class Supervisor(GroupChat):
    def setup(self):
        GroupChat.setup(self)
        self.workers = list(self.partners())

    def normal_len(self):
        k = lognorm_int(self.r, 28 if self.s.kind == "supervisor_delegation" else 7, 0.35,
                        20 if self.s.kind == "supervisor_delegation" else 3, 45)
        return int(k * 5.5)

    def normal_step(self):
        s, r = self.s, self.r
        w = r.choice(self.workers)
        s.llm(out=int(r.uniform(120, 600)), tool="delegate")
        s.handoff(w)
        for _ in range(r.randint(1, 4)):
            if r.random() < 0.6:
                t = r.choice(["sql_query", "python_exec", "web_search", "kb_lookup", "http_get"])
                s.tool(t, '{"q":"%s"}' % self.uniq(), agent=w)
            s.llm(agent=w, out=int(r.uniform(150, 900)), add_out=False)
        s.handoff(s.agent, agent=w)
        s.ctx.add(int(r.uniform(150, 700)))

    trap_step = normal_step


class Debate(GroupChat):
    def setup(self):
        GroupChat.setup(self)
        p = self.partners()
        self.con, self.judge = p[0], p[1] if len(p) > 1 else p[0]
        self.rounds = self.r.randint(3, 4) if self.s.kind == "debate_rounds" else 2

    def normal_len(self):
        return self.rounds * 4 + 3

    def normal_step(self):
        s, r = self.s, self.r
        s.llm(out=int(r.uniform(400, 1400)))
        s.handoff(self.con)
        s.llm(agent=self.con, out=int(r.uniform(400, 1400)))
        s.handoff(s.agent, agent=self.con)

    trap_step = normal_step

    def finish(self):
        s = self.s
        s.handoff(self.judge)
        s.llm(agent=self.judge, out=int(self.r.uniform(300, 900)), reasoning=800)


class Parallel(GroupChat):
    """one session, several agents working concurrently (interleaved events)"""

    def normal_len(self):
        return lognorm_int(self.r, 45, 0.35, 20, 120)

    def normal_step(self):
        s, r = self.s, self.r
        t0 = s.t
        ends = []
        for w in self.partners():
            s.t = t0 + int(r.uniform(0, 1500))
            for _ in range(r.randint(1, 4)):
                s.tool(r.choice(["fetch_filings", "compute_var", "query_db"]), '{"u":"%s"}' % self.uniq(), agent=w)
                s.llm(agent=w, out=int(r.uniform(100, 600)), add_out=False)
            ends.append(s.t)
        s.t = max(ends)
        s.llm(out=int(r.uniform(300, 900)))

    trap_step = normal_step


class Worker(GroupChat):
    """short child sessions of crews / orchestrators"""

    def setup(self):
        self.s.ctx.cap = int(self.r.uniform(8000, 30000))

    def normal_len(self):
        return lognorm_int(self.r, 14, 0.4, 5, 40)

    def normal_step(self):
        s, r = self.s, self.r
        t = r.choice(["web_search", "fetch_url", "python_exec", "read_doc", "write_section"])
        s.llm(tool=t, out=int(r.uniform(100, 700)))
        s.tool(t, '{"u":"%s"}' % self.uniq(), ctx_add=int(r.uniform(300, 3000)))


class BrowserWorker(Browser):
    def normal_len(self):
        return lognorm_int(self.r, 22, 0.4, 8, 50)


class Crew(Worker):
    def setup(self):
        self.s.ctx.cap = int(self.r.uniform(20000, 60000))

    def normal_len(self):
        return lognorm_int(self.r, 10, 0.3, 5, 25)


class CronJob(Style):
    def setup(self):
        self.s.ctx.cap = 6000

    def normal_len(self):
        return self.r.randint(3, 9)

    def normal_step(self):
        s, r = self.s, self.r
        fixed = s.dep.get("fixed_args")
        if self.u == 0:
            self.u = 1
            name = {"email_triage": "list_messages", "calendar_sync": "list_events"}.get(s.task_type, "check_service")
            s.tool(name, '{"since":"1h"}' if fixed or r.random() < 0.5 else '{"u":"%s"}' % self.uniq(),
                   ctx_add=int(r.uniform(500, 3000)))
        s.llm(tool="apply_label", out=int(r.uniform(20, 120)))
        t = r.choice(["apply_label", "draft_reply", "archive", "create_event", "post_status"])
        if fixed:
            self.u += 1
            s.tool("check_service", '{"check":%d}' % self.u)
        else:
            s.tool(t, '{"u":"%s"}' % self.uniq())

    trap_step = normal_step

    def loop_action(self):
        return ("list_messages", '{"page_token":"%s"}' % self.uniq())

    def loop_iter(self, name, args, p_llm):
        if self.r.random() < p_llm:
            self.s.llm(tool=name, out=int(self.r.uniform(20, 120)))
        self.s.tool(name, args, ctx_add=int(self.r.uniform(300, 1500)))

    def cycle_vocab(self):
        u = self.uniq()
        return [("create_event", '{"id":"%s"}' % u), ("list_events", '{"day":"today"}'),
                ("delete_event", '{"id":"%s"}' % u), ("list_events", '{"day":"today"}'),
                ("get_message", '{"id":"%s"}' % u), ("apply_label", '{"id":"%s","l":"todo"}' % u)]


class Chat(CronJob):
    def setup(self):
        self.s.ctx.cap = int(self.r.uniform(20000, 90000))

    def normal_len(self):
        return lognorm_int(self.r, 12, 0.5, 3, 50)

    def normal_step(self):
        s, r = self.s, self.r
        if r.random() < 0.4:
            t = r.choice(["search_kb", "get_ticket", "lookup_user", "create_ticket", "calendar_lookup"])
            s.llm(tool=t, out=int(r.uniform(30, 150)))
            s.tool(t, '{"u":"%s"}' % self.uniq(), ctx_add=int(r.uniform(300, 3000)))
        s.llm(out=int(r.uniform(100, 700)))
        s.gap(5000, 90000)  # the user reads and types
        s.ctx.add(int(r.uniform(20, 200)))

    trap_step = normal_step


class Thread(Chat):
    def normal_len(self):
        return lognorm_int(self.r, 14, 0.5, 4, 60)


class Hitl(Chat):
    pass


class Ops(Chat):
    def normal_len(self):
        return lognorm_int(self.r, 30, 0.5, 10, 80)

    def normal_step(self):
        s, r = self.s, self.r
        t = r.choice(["query_logs", "get_metrics", "describe_pod", "get_deploys", "read_runbook"])
        s.llm(tool=t, out=int(r.uniform(80, 400)))
        s.tool(t, '{"q":"%s"}' % self.uniq(), lat=int(r.uniform(200, 6000)), ctx_add=int(r.uniform(500, 5000)))

    trap_step = normal_step


STYLES = {"browser": Browser, "browser_orch": Orchestrator, "planexec": PlanExec, "groupchat": GroupChat,
          "supervisor": Supervisor, "debate": Debate, "parallel": Parallel, "crew": Crew,
          "cron": CronJob, "chat": Chat, "thread": Thread, "hitl": Hitl, "ops": Ops,
          "worker": Worker, "browser_worker": BrowserWorker}
STYLE_TRAPS = {
    "browser": ["scroll_read", "screenshot_after_each_action", "page_load_wait", "huge_vision_input", "legit_retry"],
    "browser_orch": ["wide_crew", "scroll_read", "legit_retry"],
    "planexec": ["supervisor_delegation", "page_load_wait", "legit_retry", "scroll_read"],
    "groupchat": ["round_robin_chat", "legit_retry", "provider_fallback"],
    "supervisor": ["supervisor_delegation", "legit_retry"],
    "debate": ["debate_rounds"],
    "parallel": ["legit_retry", "huge_vision_input"],
    "crew": ["wide_crew", "legit_retry"],
    "cron": [],
    "chat": ["provider_fallback", "legit_retry", "huge_vision_input"],
    "thread": ["long_thread", "human_pause", "provider_fallback"],
    "hitl": ["human_pause", "provider_fallback", "legit_retry"],
    "ops": ["provider_fallback", "legit_retry", "human_pause"],
}
TRAP_RATE = {"browser": 0.45, "browser_orch": 0.3, "planexec": 0.35, "groupchat": 0.5, "supervisor": 0.35,
             "debate": 0.6, "parallel": 0.2, "crew": 0.12, "chat": 0.3, "thread": 0.75, "hitl": 0.7, "ops": 0.3}


# ----------------------------------------------------------------------------
# session programs
# ----------------------------------------------------------------------------
def child_dep(g, dep, agent):
    d = dict(dep)
    d["agent"] = agent
    d["style"] = "browser_worker" if dep["style"] in ("browser_orch", "browser") else "worker"
    d["models"] = [g.rng.choice([dep["models"][0], dep.get("worker_model", dep["models"][0])])]
    return d


def run_children(g, s, st, k, kind_children, label_children, spacing, sequential_wait=True, mark_from=None):
    """manager spawns k child sessions; returns the end time of the last child"""
    r = g.rng
    dep = s.dep
    worker = dep.get("worker") or (dep.get("partners") or ["sub-agent"])[0]
    cdep = child_dep(g, dep, worker)
    ends = []
    for i in range(k):
        if mark_from is not None and i == mark_from:
            s.mark_onset()
        s.llm(tool="spawn_agent", out=int(r.uniform(60, 400)))
        sid = g.new_id(s.src["ids"], "sess")
        s.handoff(worker, child=sid)
        is_run = mark_from is not None and i >= mark_from
        c = Sess(g, cdep, s.t + int(r.uniform(50, 3000)), cdep["task_types"][0] + "_subtask",
                 s.task_id, parent=s.sid, sid=sid,
                 kind=(kind_children if is_run or mark_from is None else "normal"),
                 label=("runaway" if is_run else "normal"))
        if is_run:
            c.part_of = s.sid
            c.mark_onset()
        elif mark_from is None:
            c.kind = kind_children
        cst = STYLES[cdep["style"]](c)
        cst.setup()
        L = cst.normal_len()
        while c.n < L:
            cst.normal_step()
        g.finish(c)
        ends.append(c.t)
        s.gap(*spacing)
        s.ctx.add(int(r.uniform(100, 500)))
    return max(ends) if ends else s.t


def fallback_call(s, chain_fail=False, n_fail=None):
    """primary provider errors -> fallback to another provider's model -> (normally) success"""
    r = s.rng
    chain = [s.model] + (s.fallback or ["gpt-4.1-mini"])
    nf = n_fail if n_fail is not None else r.randint(1, len(chain) - 1 if len(chain) > 1 else 1)
    for j in range(nf):
        s.llm(model=chain[j % len(chain)], status="error", errtok=False)
        s.gap(50, 2500)
    if not chain_fail:
        s.llm(model=chain[nf % len(chain)], out=int(r.uniform(100, 700)))


def do_runaway(g, s, st, kind, L_normal):
    """the session has run as a normal session of its kind; now it turns (onset = next event)"""
    r = g.rng
    dep = s.dep
    cost0, n0 = s.cost, s.n
    est_normal = max(s.cost / max(s.n, 1) * L_normal, 1e-4)
    min_ev = r.randint(100, 260)
    cap = r.uniform(20, 120) * est_normal

    def over():
        # long enough and expensive enough: the runaway has made its point
        return s.n - n0 >= min_ev and s.cost - cost0 > cap

    s.mark_onset()
    if kind == "loop_repeat":
        name, args = st.loop_action()
        p_llm = r.choice([1.0, 1.0, 0.7, 0.35])
        for _ in range(lognorm_int(r, 260, 0.6, 90, 1100)):
            st.loop_iter(name, args, p_llm)
            if over():
                break
    elif kind == "loop_cycle":
        pool = st.cycle_vocab()
        c = r.randint(2, 6)
        cyc = r.sample(pool, min(c, len(pool)))
        with_llm = [r.random() < 0.5 for _ in cyc]
        if not any(with_llm) and r.random() < 0.5:
            with_llm[0] = True
        reps = lognorm_int(r, 900, 0.5, 250, 2500) // (len(cyc) + sum(with_llm))
        for _ in range(max(reps, 40)):
            if over():
                break
            for (name, args), wl in zip(cyc, with_llm):
                if wl:
                    s.llm(tool=name, out=int(r.uniform(30, 250)))
                s.tool(name, args, ctx_add=int(r.uniform(100, 900)))
    elif kind == "ping_pong":
        parts = st.partners()
        m = r.choice([2, 2, 3])
        ag = [s.agent] + r.sample(parts, min(m - 1, len(parts)))
        turns = lognorm_int(r, 320, 0.5, 120, 1400)
        s.ctx.cap = s.ctx.cap or 30000
        for i in range(turns):
            a = ag[i % len(ag)]
            nxt = ag[(i + 1) % len(ag)]
            s.llm(agent=None if a == s.agent else a, out=int(r.uniform(25, 220)))
            s.handoff(nxt, agent=None if a == s.agent else a)
            if over():
                break
    elif kind == "step_runaway":
        target = n0 + int(L_normal * r.uniform(5, 16)) + 100
        while s.n < target and not over():
            st.normal_step()
    elif kind == "retry_storm":
        v = r.choice(["api", "tool", "flap"])
        n = lognorm_int(r, 350, 0.5, 120, 1500)
        backoff = r.uniform(200, 2000)
        if v == "api":
            for i in range(n):
                s.llm(status=r.choice(["retry", "retry", "error"]), errtok=r.random() < 0.3)
                s.gap(backoff * 0.5, backoff * 1.5 + min(i, 6) * 500)
                if r.random() < 0.04:
                    s.llm(out=int(r.uniform(40, 200)))  # the odd call that gets through
                if over():
                    break
        elif v == "tool":
            name, _ = st.loop_action()
            for i in range(n // 2):
                s.tool(name, '{"attempt":%d,"u":"%s"}' % (i, st.uniq()) if r.random() < 0.6 else '{"same":1}',
                       status=r.choice(["error", "error", "retry"]), lat=int(r.uniform(1000, 30000)))
                s.llm(tool=name, out=int(r.uniform(40, 200)))
                if over():
                    break
        else:
            chain = [s.model] + (s.fallback or [r.choice(["gpt-4.1-mini", "claude-haiku-4-5"])])
            for i in range(n):
                s.llm(model=chain[i % len(chain)], status=r.choice(["error", "retry"]), errtok=r.random() < 0.5)
                s.gap(100, 3000)
                if over():
                    break
    elif kind == "context_growth":
        s.ctx.cap = None
        s.caching = s.caching and r.random() < 0.5
        inc_scale = r.uniform(0.6, 3.0)
        steps = lognorm_int(r, 260, 0.5, 100, 900)
        for _ in range(steps):
            st.normal_step()
            s.ctx.add(int(r.uniform(500, 3000) * inc_scale))
            if s.n - n0 >= min_ev and s.cost - cost0 > cap * 1.5:
                break
            if s.ctx.prompt() > max_input(s.model) * 0.95:
                # context window exhausted: the call fails, the agent keeps going anyway
                s.llm(status="error", errtok=True)
                break
    elif kind == "cost_spike":
        s.model = r.choice(ESCALATE.get(s.model, ["claude-opus-4-1"]))
        if s.fallback:
            s.fallback = [s.model]
        mult = r.uniform(12, 90)
        while s.cost - cost0 < mult * est_normal and s.n < n0 + 3000:
            st.normal_step()
    elif kind == "session_budget":
        # keeps working with heavy, steady (not growing) calls well past any ceiling
        extra = int(min(max_input(s.model) * 0.5, r.uniform(20000, 90000)))
        s.ctx.sys += extra
        target = max(r.uniform(15, 80) * est_normal, r.uniform(3, 30))
        while s.cost - cost0 < target and s.n < n0 + 4000:
            st.normal_step()
            if r.random() < 0.3:
                s.llm(out=int(r.uniform(800, 4000)), reasoning=int(r.uniform(0, 3000)))
    elif kind == "subagent_fanout":
        k = lognorm_int(r, 90, 0.5, 40, 200)
        end = run_children(g, s, st, k, "subagent_fanout", "runaway", (1000, 40000), mark_from=0)
        s.t = max(s.t, end)
    else:
        raise ValueError(kind)


def finish_style(g, s, st):
    r = g.rng
    if isinstance(st, Debate):
        st.finish()
    elif not isinstance(st, CronJob):
        s.llm(out=int(r.uniform(150, 900)))


def run_session(g, dep, t0, kind, label, task_type=None):
    r = g.rng
    tt = task_type or r.choice(dep["task_types"])
    task_id = g.new_id("hex", "task")
    s = Sess(g, dep, t0, tt, "task-" + task_id, kind=kind, label=label)
    st = STYLES[dep["style"]](s)
    st.setup()
    if kind == "new_agent_pricier":
        pass  # the deployment itself carries the pricier model
    L = st.normal_len()
    # where a runaway turns
    onset_at = int(L * r.uniform(0.15, 0.8)) if label == "runaway" else None
    trap_positions = set()
    if label == "normal" and kind in ("scroll_read", "page_load_wait", "huge_vision_input", "legit_retry",
                                      "provider_fallback"):
        k = 1 if kind == "huge_vision_input" else r.randint(1, 3)
        trap_positions = {int(L * r.uniform(0.1, 0.9)) for _ in range(k)}
    pause_at = int(L * r.uniform(0.3, 0.7)) if kind == "human_pause" else None
    visits = None
    if kind == "long_thread":
        nv = r.randint(4, 15)
        thread_budget = r.uniform(4, 20) * 3600000 / nv
        visits = sorted(int(L * x) for x in (r.random() for _ in range(nv)))
        L = max(L, 8)
    # crews spawn their children early
    crew_like = dep["style"] in ("crew", "browser_orch")
    spawned = False
    steps = 0
    while s.n < L:
        if onset_at is not None and s.n >= onset_at:
            break
        if crew_like and not spawned and s.n >= 2:
            spawned = True
            if kind == "wide_crew":
                k = r.randint(25, 50)
            else:
                k = lognorm_int(r, 7, 0.5, 3, 20)
            if label == "runaway" and kind == "subagent_fanout":
                k = lognorm_int(r, 6, 0.4, 3, 14)
            end = run_children(g, s, st, k, "wide_crew" if kind == "wide_crew" else "normal", "normal",
                               (300, 8000))
            s.t = max(s.t, end) + int(r.uniform(500, 5000))
            continue
        if trap_positions and s.n >= min(trap_positions):
            trap_positions.discard(min(trap_positions))
            if kind == "provider_fallback":
                fallback_call(s)
            elif kind == "legit_retry" and not isinstance(st, Browser):
                for _ in range(r.randint(1, 3)):
                    s.llm(status="retry")
                    s.gap(500, 8000)
                st.normal_step()
            elif kind == "huge_vision_input" and not isinstance(st, Browser):
                s.tool("upload_document", '{"doc":"%s"}' % st.uniq())
                big = int(min(max_input(s.model) * 0.85, r.uniform(80000, 600000))) - s.ctx.prompt()
                s.llm(extra_in=max(big, 5000), out=int(r.uniform(500, 3000)))
            else:
                st.trap_step()
            continue
        if kind in ("scroll_read", "page_load_wait") and r.random() < 0.04:
            st.trap_step()
            continue
        if pause_at is not None and s.n >= pause_at:
            pause_at = None
            s.tool(r.choice(["request_human_approval", "ask_user", "await_confirmation"]), '{"u":"%s"}' % st.uniq())
            s.t += int(math.exp(r.uniform(math.log(600000), math.log(5 * 3600000))))
            s.tool("get_human_response", '{"u":"%s"}' % st.uniq(), lat=int(r.uniform(50, 400)))
            continue
        if visits and s.n >= visits[0]:
            visits.pop(0)
            s.t += int(math.exp(r.uniform(math.log(900000), math.log(max(1000000, thread_budget / 2)))))
            s.llm(out=int(r.uniform(100, 600)))  # the user comes back to the thread
            continue
        if s.fallback and r.random() < 0.01:
            fallback_call(s)  # the occasional provider error even in plain sessions
            continue
        st.normal_step()
        steps += 1
    if label == "runaway":
        do_runaway(g, s, st, kind, L)
    finish_style(g, s, st)
    g.finish(s)
    return s


# ----------------------------------------------------------------------------
# fleet schedule
# ----------------------------------------------------------------------------
def diurnal_start(g):
    """session start within the span, busier in (UTC) business hours"""
    r = g.rng
    while True:
        x = r.uniform(0, g.span - 1800000)
        h = ((g.t0 + x) / 3600000.0) % 24
        w = 0.25 + 0.75 * math.exp(-((h - 14.5) / 4.5) ** 2)
        if r.random() < w:
            return g.t0 + int(x)


def Gen_finish(self, s):
    lab = {"session_id": s.sid, "label": s.label, "kind": s.kind, "onset_event_id": s.onset,
           "task_id": s.task_id, "agent_id": s.agent,
           "task_type": s.task_type if s.src["task_type"] else "unknown"}
    if s.part_of:
        lab["part_of"] = s.part_of
    if s.parent:
        lab["parent_session_id"] = s.parent
    if s.label == "runaway" and s.onset is None:
        raise RuntimeError("runaway without onset %s %s" % (s.kind, s.sid))
    self.labels.append(lab)


Gen.finish = Gen_finish


def plan_and_run(g):
    r = g.rng
    deps, _ = build_roster(g.profile, r)
    # new_agent_pricier: a new deployment appears mid-run on a pricier model (same work as an existing one)
    cands = [d for d in deps if d["style"] not in ("cron",) and d["weight"] > 0]
    base = r.choice(cands)
    newd = dict(base)
    newd["agent"] = base["agent"] + r.choice(["-v2", "-next", "-pro"])
    newd["models"] = [r.choice(ESCALATE.get(base["models"][0], ["claude-opus-4-1"]))]
    newd["weight"] = base["weight"] * r.uniform(0.25, 0.5)
    newd["from_t"] = g.t0 + int(g.span * r.uniform(0.35, 0.6))
    newd["trap"] = "new_agent_pricier"
    deps.append(newd)
    # a second variant: an existing agent is redeployed on a pricier model from some time on
    base2 = r.choice([d for d in cands if d is not base])
    redep = dict(base2)
    redep["models"] = [r.choice(ESCALATE.get(base2["models"][0], ["claude-opus-4-1"]))]
    redep["from_t"] = g.t0 + int(g.span * r.uniform(0.4, 0.7))
    redep["trap"] = "new_agent_pricier"
    base2["until_t"] = redep["from_t"]
    frac = (redep["from_t"] - g.t0) / float(g.span)
    redep["weight"] = base2["weight"] * (1 - frac)
    base2["weight"] = base2["weight"] * frac
    deps.append(redep)

    cron = [d for d in deps if d["style"] == "cron"]
    inter = [d for d in deps if d["style"] != "cron"]
    cron_jobs = []
    for d in cron:
        n_this = int(g.n * d["cron_share"])
        period = d["period"] * 60000
        slots = list(range(int(math.ceil(g.t0 / period)) * period, g.t0 + g.span - 600000, period))
        per = max(1, n_this // max(1, len(slots)))
        users = ["u%03d" % i for i in range(per + 5)]
        for ts in slots:
            for u in users[:per + r.randint(-min(2, per - 1), 2)]:
                cron_jobs.append((d, ts + int(abs(r.gauss(0, 15000))), "cron_burst", "normal"))
    n_inter = max(g.n - len(cron_jobs), int(g.n * 0.3))
    # runaways among top-level sessions
    rate = r.uniform(0.03, 0.06)
    n_cron_run = min(len(cron_jobs), r.randint(1, 3)) if cron_jobs else 0
    n_run = max(len(RUNAWAY_KINDS), int(round((n_inter + len(cron_jobs)) * rate)) - n_cron_run)
    kinds = list(RUNAWAY_KINDS)
    r.shuffle(kinds)
    while len(kinds) < n_run:
        kinds.append(r.choice(RUNAWAY_KINDS))
    kinds = kinds[:n_run]
    run_slots = set(r.sample(range(n_inter), min(n_run, n_inter)))
    # one or two runaways hide in the cron traffic if any
    kinds_iter = iter(kinds)
    W = [d["weight"] for d in inter]
    jobs = []
    for i in range(n_inter):
        t0 = diurnal_start(g)
        if i in run_slots:
            kind = next(kinds_iter)
            ok = [d for d in inter if d["weight"] > 0 and
                  (kind != "context_growth" or max_input(d["models"][0]) >= 120000)]
            dep = r.choices(ok, [d["weight"] for d in ok])[0]
            label = "runaway"
        else:
            dep = r.choices(inter, W)[0]
            label = "normal"
            kind = "normal"
        # deployment windows
        if "from_t" in dep and t0 < dep["from_t"]:
            t0 = dep["from_t"] + int(r.uniform(0, g.t0 + g.span - dep["from_t"] - 1800000))
        if "until_t" in dep and t0 >= dep["until_t"]:
            t0 = g.t0 + int(r.uniform(0, dep["until_t"] - g.t0))
        if label == "normal":
            if dep.get("trap") == "new_agent_pricier":
                kind = "new_agent_pricier"
            elif r.random() < TRAP_RATE.get(dep["style"], 0.3):
                tr = [t for t in STYLE_TRAPS.get(dep["style"], []) if t != "wide_crew"]
                if dep["style"] in ("crew", "browser_orch") and r.random() < 0.25:
                    tr = ["wide_crew"]
                if tr:
                    kind = r.choice(tr)
            if kind in ("long_thread",):
                t0 = min(t0, g.t0 + int(g.span * r.uniform(0.0, 0.4)))
        jobs.append((dep, t0, kind, label))
    # cron bursts, with a few runaways hidden in them
    n0 = len(jobs)
    jobs.extend(cron_jobs)
    cron_idx = list(range(n0, len(jobs)))
    for i in r.sample(cron_idx, n_cron_run):
        d, ts, _, _ = jobs[i]
        jobs[i] = (d, ts, r.choice(["session_budget", "loop_repeat", "retry_storm", "loop_cycle"]), "runaway")
    jobs.sort(key=lambda j: j[1])
    for dep, t0, kind, label in jobs:
        run_session(g, dep, t0, kind, label)


# ----------------------------------------------------------------------------
# output: bus order, small disorder, duplicates, per-source wire format
# ----------------------------------------------------------------------------
FIELD_ORDER = ["v", "event_id", "ts", "session_id", "agent_id", "task_type", "task_id", "parent_session_id",
               "tenant", "team", "env", "kind", "model", "provider", "input_tokens", "output_tokens",
               "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd", "tool",
               "args_hash", "target_agent_id", "status", "latency_ms", "labels"]


def serialize(g, ev, wire_rng):
    s = ev["_s"]
    src = s.src
    o = {}
    if src["v"]:
        o["v"] = 1
    o["event_id"] = ev["event_id"]
    o["ts"] = fmt_ts(ev["_t"], src["ts"], src["off"])
    o["session_id"] = s.sid
    o["agent_id"] = ev.get("agent_id", s.agent)
    if src["task_type"]:
        o["task_type"] = s.task_type
    o["task_id"] = s.task_id
    if s.parent:
        o["parent_session_id"] = s.parent
    o["tenant"] = s.dep.get("tenant", "default")
    o["team"] = s.dep.get("team", "default")
    if not src["sparse"]:
        o["env"] = "prod"
    o["kind"] = ev["kind"]
    if ev["kind"] == "llm":
        key = ev["model"]
        name, prov = wire_model(key, src, wire_rng)
        o["model"] = name
        o["provider"] = prov
        for f in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"):
            if ev[f] or not src["sparse"]:
                o[f] = ev[f]
        if key in SELF_HOSTED or wire_rng.random() < src["cost"]:
            o["cost_usd"] = round(ev["_cost"], 8)
    for f in ("tool", "args_hash", "target_agent_id"):
        if f in ev:
            o[f] = ev[f]
    if ev["status"] != "ok" or not src["sparse"]:
        o["status"] = ev["status"]
    o["latency_ms"] = ev["latency_ms"]
    if "labels" in ev:
        o["labels"] = ev["labels"]
    return json.dumps(o, separators=(",", ":"))


def write(g, out_path, labels_path):
    r = random.Random("fleet5-wire:%d:%s" % (g.seed, g.profile))
    evs = g.events
    # arrival order: event time plus, for a few events, a delay of a few seconds
    keyed = []
    for i, ev in enumerate(evs):
        a = ev["_t"]
        if r.random() < 0.006:
            a += int(r.uniform(1000, 9000))
        keyed.append((a, i))
    # duplicate deliveries (~0.3%): same event_id, identical content
    dups = [(evs[i]["_t"] + int(r.uniform(50, 20000)), i) for i in range(len(evs)) if r.random() < 0.003]
    dupset = {i for _, i in dups}
    keyed.extend(dups)
    keyed.sort()
    cache = {}
    with open(out_path, "w") as f:
        for a, i in keyed:
            line = cache.get(i)
            if line is None:
                line = serialize(g, evs[i], r)
                if i in dupset:
                    cache[i] = line
            f.write(line)
            f.write("\n")
    with open(labels_path, "w") as f:
        for lab in g.labels:
            f.write(json.dumps(lab, separators=(",", ":")) + "\n")
    return len(keyed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--profile", required=True, choices=["computer_use", "teams", "assistants", "mixed"])
    ap.add_argument("--sessions", type=int, required=True, help="top-level sessions (children come on top)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--catalog", default=DEFAULT_CATALOG)
    a = ap.parse_args()
    load_catalog(a.catalog)
    g = Gen(a.seed, a.profile, a.sessions)
    plan_and_run(g)
    total = write(g, a.out, a.labels)
    nrun = sum(1 for l in g.labels if l["label"] == "runaway")
    print("%s seed=%d: %d events (%d lines), %d sessions, %d runaway-labelled, span %.1fh"
          % (a.profile, a.seed, len(g.events), total, len(g.labels), nrun,
             (max(e["_t"] for e in g.events) - min(e["_t"] for e in g.events)) / 3600000.0), file=sys.stderr)


if __name__ == "__main__":
    main()
