#!/usr/bin/env python3
"""fleet7 -- labelled synthetic usage telemetry for four agent-fleet domains.

Models the per-call usage events (CONTRACT.md section 1) of an AI-agent fleet
over 24-48 hours of event time, with a daily rhythm, scheduled bursts,
sub-agent trees and interleaved sessions, in four domains:

  data          text-to-SQL / analytics agents (schema exploration, query
                drafting with syntax-error retries, validation, charts,
                scheduled dashboard refreshes, long notebook explorations,
                multi-source reports with per-source sub-agents)
  outreach      sales / CRM automation (lead enrichment batches, a
                planner -> writer -> reviewer email crew with handoffs,
                reply triage, nightly CRM hygiene, account research sub-agents)
  localization  translation pipelines (a coordinator fanning out one
                translator sub-session per chunk x language, 3-80 by design,
                glossary / TM lookups, QA review children, re-translation)
  migration     monorepo code migration (hundreds of edit/build/test steps,
                CI polling after sleeps, per-package sub-agents, CI fixers)
  mixed         all four together

About 6-9 % of top-level sessions turn, at a labelled onset event, into one
of nine runaway kinds (loop_repeat, loop_cycle, ping_pong, step_runaway,
retry_storm, context_growth, cost_spike, session_budget, subagent_fanout).
Alarming-but-normal "trap" sessions are labelled normal with a trap kind.

Usage:
  python3 scripts/fleet7.py --seed 1 --profile mixed --sessions 1500 \
      --out /tmp/mixed-s1.ndjson --labels /tmp/mixed-s1.labels.ndjson

--sessions is the number of top-level sessions (sub-sessions come on top).
Standard library only; output is fully determined by --seed/--profile/--sessions.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
from datetime import datetime, timezone

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                       "model_prices_and_context_window.json")

PROVIDER = {
    "claude-sonnet-4-5": "anthropic", "claude-sonnet-4-6": "anthropic", "claude-opus-4-1": "anthropic",
    "claude-opus-4-5": "anthropic", "claude-haiku-4-5": "anthropic",
    "gpt-4.1-mini": "openai", "gpt-4.1": "openai", "gpt-5-mini": "openai", "gpt-5": "openai",
    "gpt-4o-mini": "openai", "o3-mini": "openai",
    "gemini-2.5-flash": "google", "gemini-2.5-pro": "google", "gemini-3.1-pro-preview": "google",
    "deepseek-chat": "deepseek", "deepseek-v4-pro": "deepseek",
    "xai/grok-code-fast-1": "xai", "mistral/devstral-medium-latest": "mistral",
    "mistral/mistral-large-latest": "mistral", "mistral/magistral-medium-latest": "mistral",
}
# sustained switch targets for cost_spike (5-10x the price of the usual model)
SPIKE = {
    "claude-sonnet-4-5": "claude-opus-4-1", "claude-sonnet-4-6": "claude-opus-4-1",
    "gpt-4.1-mini": "gpt-4.1", "gpt-5-mini": "gpt-5", "gpt-4o-mini": "o3-mini",
    "claude-haiku-4-5": "claude-opus-4-5", "gemini-2.5-flash": "gemini-3.1-pro-preview",
    "deepseek-chat": "deepseek-v4-pro", "xai/grok-code-fast-1": "claude-opus-4-5",
    "mistral/devstral-medium-latest": "claude-sonnet-4-5", "mistral/mistral-large-latest": "claude-opus-4-5",
    "gemini-2.5-pro": "claude-opus-4-1", "claude-opus-4-5": "claude-opus-4-1",
}
REASONING = {"gpt-5-mini", "gpt-5", "o3-mini", "gemini-2.5-pro", "gemini-3.1-pro-preview"}

RUNAWAY_KINDS = ["loop_repeat", "loop_cycle", "ping_pong", "step_runaway", "retry_storm",
                 "context_growth", "cost_spike", "session_budget", "subagent_fanout"]

BASE_T = int(datetime(2026, 5, 11, 0, 0, tzinfo=timezone.utc).timestamp() * 1000)
H = 3600_000
MIN = 60_000


def load_prices():
    with open(CATALOG) as f:
        cat = json.load(f)
    prices = {}
    for m in set(PROVIDER) | set(SPIKE.values()):
        e = cat[m]  # KeyError = model not in catalog: fail loudly
        prices[m] = (e.get("input_cost_per_token") or 0.0, e.get("output_cost_per_token") or 0.0,
                     e.get("cache_read_input_token_cost") or 0.0,
                     e.get("cache_creation_input_token_cost") or e.get("input_cost_per_token") or 0.0,
                     e.get("max_input_tokens") or 128000)
    return prices


PRICES = load_prices()


def llm_cost(m, i, o, cr, cw=0):
    p = PRICES[m]
    return i * p[0] + o * p[1] + cr * p[2] + cw * p[3]


def ev_cost(e):
    if "cost_usd" in e:
        return e["cost_usd"]
    if e.get("kind") != "llm":
        return 0.0
    return llm_cost(e["model"], e.get("input_tokens", 0), e.get("output_tokens", 0), e.get("cache_read_tokens", 0),
                    e.get("cache_write_tokens", 0)) + PRICES[e["model"]][1] * e.get("reasoning_tokens", 0)


VENDOR = {"enrich_lead": (0.005, 0.02, 1.0), "run_query": (0.0005, 0.04, 0.5)}


def ahash(tool, args):
    return hashlib.sha1(f"{tool}|{args}".encode()).hexdigest()[:16]


def fmt_ts(ms):
    d = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


# ----------------------------------------------------------------------------
class Gen:
    def __init__(self, seed, profile, n):
        self.rng = random.Random(seed)
        self.seed = seed
        self.profile = profile
        self.n = n
        self.span = int(self.rng.uniform(30, 42) * H)
        self.end = BASE_T + self.span + 6 * H  # hard stop for event time (<= 48 h)
        self.sessions = []
        self.eids = set()
        self.outages = []
        self.epoch_agents = set()
        self.refs = {}

    def eid(self):
        while True:
            e = f"ev_{self.rng.getrandbits(64):016x}"
            if e not in self.eids:
                self.eids.add(e)
                return e

    def sid(self, prefix):
        return f"{prefix}-{self.rng.getrandbits(44):011x}"

    def tid(self):
        return f"task-{self.rng.getrandbits(40):010x}"

    def start_time(self, lo=0.0, hi=None):
        """session start with a daily rhythm (UTC business hours peak)."""
        hi = self.span if hi is None else hi
        r = self.rng
        while True:
            t = r.uniform(lo, hi)
            h = (t / H) % 24
            w = 0.18 + math.exp(-((h - 14.5) ** 2) / (2 * 3.8 ** 2)) + 0.35 * math.exp(-((h - 9) ** 2) / 4)
            if r.random() < w / 1.4:
                return BASE_T + int(t)

    def outage_at(self, prov, t):
        for p, a, b in self.outages:
            if p == prov and a <= t < b:
                return b
        return None


class Session:
    def __init__(self, g, rng, domain, prefix, agent, task_type, t0, task_id=None, parent=None,
                 model=None, cache=True, team=None, tenant=None, feature=None, tags=None):
        self.g, self.rng, self.domain = g, rng, domain
        self.id = g.sid(prefix)
        self.agent, self.task_type = agent, task_type
        self.task_id = task_id or g.tid()
        self.parent = parent
        self.t = t0
        self.t0 = t0
        self.model = model
        self.cache = cache
        self.ctx = rng.randint(2500, 7000)
        self.ctx_base = self.ctx
        self.ctx_cap = rng.randint(60_000, 140_000)
        self.ev = []
        self.label, self.kind, self.onset, self.part_of = "normal", "normal", None, None
        self.onset_next = False
        self.outage_hit = False
        self.children = []
        self.dims = {"team": team, "tenant": tenant, "feature": feature, "env": "prod"}
        self.tags = tags
        self.stop = g.end
        g.sessions.append(self)

    # -- low level
    def _emit(self, d, agent=None, dur=0):
        e = {"v": 1, "event_id": self.g.eid(), "ts": self.t, "session_id": self.id,
             "agent_id": agent or self.agent, "task_type": self.task_type, "task_id": self.task_id}
        if self.parent:
            e["parent_session_id"] = self.parent.id
        for k, v in self.dims.items():
            if v:
                e[k] = v
        if self.tags:
            e["labels"] = self.tags
        e.update(d)
        self.ev.append(e)
        if self.onset_next:
            self.onset = e["event_id"]
            self.onset_next = False
        return e

    def gap(self, lo=40, hi=900):
        self.t += self.rng.randint(lo, hi)

    def sleep(self, ms):
        self.t += int(ms)

    def done(self):
        return self.t >= self.stop

    # -- calls
    def llm(self, out, inp=None, model=None, tool=None, agent=None, status="ok", cache=None,
            lat=None, cost=None, grow=True, cw=0):
        r = self.rng
        model = model or self.model
        prov = PROVIDER[model]
        if status == "ok":
            ob = self.g.outage_at(prov, self.t)
            if ob is not None:  # provider outage: back off until it is over
                self.outage_hit = True
                back = 1000
                while self.t < ob:
                    self._emit({"kind": "llm", "model": model, "provider": prov, "input_tokens": 0,
                                "output_tokens": 0, "status": r.choice(["error", "retry", "retry"]),
                                "latency_ms": r.randint(150, 9000)}, agent)
                    self.t += back + r.randint(0, 800)
                    back = min(back * 2, 45000)
        total = self.ctx if inp is None else inp
        use_cache = self.cache if cache is None else cache
        if use_cache and total > 3000:
            cr = int(total * r.uniform(0.6, 0.92))
        else:
            cr = 0
        i = max(1, total - cr)
        o = max(1, int(out))
        d = {"kind": "llm", "model": model, "provider": prov, "input_tokens": i, "output_tokens": o}
        if cr:
            d["cache_read_tokens"] = cr
        if cw:
            d["cache_write_tokens"] = cw
        if model in REASONING:
            d["reasoning_tokens"] = int(o * r.uniform(0.5, 3.0))
        if tool:
            d["tool"] = tool
        if status != "ok":
            d["status"] = status
            d["output_tokens"] = 0
            d.pop("reasoning_tokens", None)
        if lat is None:
            lat = 350 + o * r.uniform(8, 28) + total / 1000 * r.uniform(4, 18)
            lat = min(max(lat, 500), 30000) if status == "ok" else r.randint(200, 12000)
        d["latency_ms"] = int(lat)
        if cost is not None:
            d["cost_usd"] = round(cost, 6)
        e = self._emit(d, agent)
        self.t += int(lat)
        self.gap()
        if grow and status == "ok" and inp is None:
            self.ctx += o + r.randint(50, 400)
            if self.ctx > self.ctx_cap:  # compaction / summarisation
                self.ctx = self.ctx_base + r.randint(3000, 12000)
        return e

    def tool(self, name, args, lat=(80, 2500), status="ok", agent=None, cost=None, result=(200, 2500)):
        r = self.rng
        lt = r.randint(*lat) if isinstance(lat, tuple) else int(lat)
        d = {"kind": "tool", "tool": name, "args_hash": ahash(name, args), "latency_ms": lt}
        if status != "ok":
            d["status"] = status
        if cost is not None:
            d["cost_usd"] = round(cost, 6)
        e = self._emit(d, agent)
        self.t += lt
        self.gap(20, 400)
        if status == "ok":
            self.ctx += r.randint(*result)
            if self.ctx > self.ctx_cap:
                self.ctx = self.ctx_base + r.randint(3000, 12000)
        return e

    def handoff(self, frm, to):
        e = self._emit({"kind": "handoff", "target_agent_id": to, "latency_ms": self.rng.randint(5, 120)}, frm)
        self.gap(100, 1500)
        return e

    def spawn(self, child_fn, tool="spawn_subagent", args=None, **kw):
        """spawn tool event on the parent, then the child session starting right after."""
        e = self.tool(tool, args or f"child{len(self.children)}:{self.rng.random()}", lat=(30, 400))
        c = child_fn(self.t + self.rng.randint(200, 3000), **kw)
        self.children.append(c)
        return e, c


# ----------------------------------------------------------------------------
# vocabulary
TABLES = ["orders", "order_items", "customers", "sessions", "events_raw", "payments", "refunds", "inventory",
          "shipments", "marketing_touches", "subscriptions", "invoices", "fx_rates", "products",
          "web_pageviews", "support_tickets", "churn_scores", "ad_spend", "warehouses", "returns"]
SCHEMAS = ["analytics", "raw", "finance", "mart", "growth", "ops"]
PKGS = ["billing", "auth", "search", "checkout", "notifications", "catalog", "ledger", "gateway", "profile",
        "reporting", "ui-kit", "feature-flags", "scheduler", "payments-sdk", "media", "i18n", "orders-api",
        "pricing", "webhooks", "identity", "telemetry", "cart", "recommendations", "admin-console"]
MODS = ["index", "client", "server", "handlers", "routes", "models", "utils", "config", "types", "store",
        "hooks", "service", "adapter", "schema", "validators", "middleware", "cache", "worker", "api", "errors"]
LANGS = ["de", "fr", "es", "it", "ja", "ko", "zh-CN", "pt-BR", "nl", "sv", "pl", "tr", "ar", "he", "ru", "id",
         "da", "fi", "nb", "cs", "hu", "th", "vi", "uk"]
TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay"]
TERMS = ["checkout", "wishlist", "subscription", "invoice", "refund", "sign in", "dashboard", "workspace",
         "billing cycle", "trial", "seat", "API key", "webhook", "tenant", "release", "rollback", "shipment"]


def rfile(r, pkg=None):
    pkg = pkg or r.choice(PKGS)
    return f"packages/{pkg}/src/{r.choice(MODS)}{r.choice(['', '_v2', '_impl', '.test'])}.ts", pkg


def rsql(r):
    return f"select ... from {r.choice(SCHEMAS)}.{r.choice(TABLES)} where d>={r.randint(1, 400)} group by {r.randint(1, 9)}"


def lead(r):
    return f"lead_{r.randint(100000, 999999)}"


# ----------------------------------------------------------------------------
# domain: data
def data_adhoc(g, r, t0, trap=None, **_):
    s = Session(g, r, "data", "sqlcp", "sql-copilot", "adhoc_sql", t0, model="claude-sonnet-4-5",
                team="analytics-platform", feature="ask-data")
    schema = r.choice(SCHEMAS)
    s.llm(r.randint(120, 400), tool="list_tables")
    s.tool("list_tables", schema, lat=(60, 600))
    for t in r.sample(TABLES, r.randint(1, 5)):
        s.llm(r.randint(60, 250), tool="describe_table")
        s.tool("describe_table", f"{schema}.{t}", lat=(50, 900), result=(300, 1800))
    if r.random() < 0.3:
        s.tool("search_docs", f"metric definition {r.randint(1, 500)}", lat=(150, 1200))
    s.llm(r.randint(300, 900), tool="run_query")
    fails = r.randint(2, 3) if trap == "retries_then_success" else (1 if r.random() < 0.22 else 0)
    for k in range(fails):
        s.tool("run_query", rsql(r), lat=(200, 3000), status="error", result=(100, 300))
        if trap and k == 0:
            s.llm(r.randint(200, 600), tool="run_query", status="retry", lat=r.randint(300, 2000))
            s.sleep(r.randint(1500, 5000))
        s.llm(r.randint(200, 700), tool="run_query")
    q = rsql(r)
    s.tool("run_query", q, lat=(400, 25000), cost=r.uniform(0.0005, 0.04) if r.random() < 0.5 else None)
    if trap == "huge_result":
        s.llm(r.randint(800, 2500), inp=r.randint(150_000, 190_000), cache=False, grow=False)
    s.tool("validate_result", q, lat=(50, 400))
    s.llm(r.randint(200, 800))
    if r.random() < 0.5:
        s.tool("render_chart", f"{q}|{r.choice(['bar', 'line', 'table'])}", lat=(300, 2500))
    if r.random() < 0.15:
        s.handoff("sql-copilot", "query-reviewer")
        s.llm(r.randint(150, 500), agent="query-reviewer", model="gpt-4.1-mini", cache=False)
        s.handoff("query-reviewer", "sql-copilot")
    s.llm(r.randint(200, 700))
    return s


def data_dashboard(g, r, t0, trap=None, **_):
    s = Session(g, r, "data", "dash", "dash-refresher", "dashboard_refresh", t0, model="gpt-4.1-mini", cache=False,
                team="bi", feature="dashboards", tags={"trigger": "schedule"})
    board = r.randint(1, 60)
    s.tool("load_dashboard", f"board{board}", lat=(50, 300))
    for k in range(r.randint(4, 12)):
        q = f"board{board}:tile{k}"
        s.tool("run_query", q, lat=(300, 20000), cost=r.uniform(0.001, 0.02) if r.random() < 0.6 else None)
        s.tool("validate_result", q, lat=(30, 300))
        s.tool("render_chart", q, lat=(200, 2000))
    s.llm(r.randint(200, 600), inp=r.randint(3000, 9000), tool="post_summary")
    s.tool("post_summary", f"board{board}:slack", lat=(100, 800))
    return s


def data_notebook(g, r, t0, trap=None, **_):
    s = Session(g, r, "data", "nb", "notebook-agent", "notebook_exploration", t0, model="claude-sonnet-4-5",
                team="data-science", feature="notebooks")
    n = r.randint(260, 480) if trap == "long_by_nature" else r.randint(50, 140)
    tools = ["describe_table", "run_query", "python_exec", "python_exec", "plot", "run_query"]
    while len(s.ev) < n:
        tl = r.choice(tools)
        s.llm(r.randint(150, 1200), tool=tl)
        a = rsql(r) if tl == "run_query" else f"{tl}:{r.randint(0, 10**9)}"
        s.tool(tl, a, lat=(100, 15000) if tl != "plot" else (300, 3000),
               status="error" if r.random() < 0.05 else "ok")
        if r.random() < 0.08:
            s.sleep(r.randint(30_000, 300_000))  # human reading the notebook
    return s


def data_metric(g, r, t0, trap=None, **_):
    s = Session(g, r, "data", "mv", "metric-auditor", "metric_validation", t0, model="gpt-4.1-mini", cache=False,
                team="analytics-platform", feature="metric-qa")
    m = f"metric_{r.randint(1, 300)}"
    s.tool("get_lineage", m, lat=(100, 1500))
    s.llm(r.randint(200, 600), tool="run_query")
    for _ in range(r.randint(2, 6)):
        s.tool("run_query", rsql(r), lat=(300, 12000))
        s.llm(r.randint(100, 500))
    if r.random() < 0.3:
        s.tool("file_issue", f"{m}:{r.randint(0, 99999)}", lat=(200, 900))
    s.llm(r.randint(200, 600))
    return s


def data_exec_summary(g, r, t0, trap=None, **_):
    # brand-new agent (appears mid-window) that is pricier by design
    s = Session(g, r, "data", "exs", "insight-writer-v2", "exec_summary", t0, model="claude-opus-4-5",
                team="analytics-platform", feature="exec-briefs")
    s.ctx = r.randint(20_000, 40_000)
    s.ctx_cap = 160_000
    for _ in range(r.randint(3, 6)):
        s.llm(r.randint(200, 500), tool="run_query")
        s.tool("run_query", rsql(r), lat=(500, 15000), result=(3000, 9000))
    s.llm(r.randint(1500, 4000))
    s.llm(r.randint(800, 2500))
    s.tool("publish_doc", f"brief:{r.randint(0, 10**6)}", lat=(200, 1200))
    return s


def data_source_child(g, r, t0, parent=None, **_):
    s = Session(g, r, "data", "src", "source-analyst", "source_analysis", t0, task_id=parent.task_id, parent=parent,
                model="gpt-5-mini", cache=False, team="analytics-platform", feature="reports")
    for _ in range(r.randint(2, 4)):
        s.llm(r.randint(100, 400), tool="describe_table")
        s.tool("describe_table", f"{r.choice(SCHEMAS)}.{r.choice(TABLES)}", lat=(50, 600))
    for _ in range(r.randint(1, 3)):
        s.llm(r.randint(200, 600), tool="run_query")
        s.tool("run_query", rsql(r), lat=(300, 15000))
    s.llm(r.randint(300, 900))
    return s


def data_report(g, r, t0, trap=None, rw=None, **_):
    s = Session(g, r, "data", "rpt", "report-orchestrator", "multi_source_report", t0, model="claude-sonnet-4-5",
                team="analytics-platform", feature="reports")
    s.llm(r.randint(300, 900), tool="spawn_subagent")
    return fanout(g, r, s, data_source_child, r.randint(2, 6), 6, rw,
                  finish=lambda: (s.llm(r.randint(800, 2000)),
                                  s.tool("render_chart", f"report:{r.random()}", lat=(400, 3000)),
                                  s.llm(r.randint(300, 900))))


def fanout(g, r, s, child_fn, n_normal, n_max, rw, finish, tool="spawn_subagent", spacing=(800, 15000),
           argf=None, wait_tool="poll_subagents"):
    """parent spawns n children; a subagent_fanout runaway keeps spawning far beyond n_max."""
    if rw == "subagent_fanout":
        total = int(n_max * r.uniform(4, 9)) + r.randint(5, 30)
        n_normal = n_max
    else:
        total = n_normal
    for k in range(total):
        if s.done():
            break
        if k == n_normal:
            s.onset_next = True
        _, c = s.spawn(lambda t, **kw: child_fn(g, r, t, parent=s, **kw), tool=tool,
                       args=argf(k) if argf else f"{s.id}:{k}")
        if k >= n_normal:
            c.label, c.kind, c.part_of = "runaway", "subagent_fanout", s.id
        if r.random() < 0.35:
            s.llm(r.randint(60, 300), tool=tool)
        s.sleep(r.randint(*spacing))
    if rw != "subagent_fanout":
        last = max((c.t for c in s.children), default=s.t)
        iv = r.randint(8_000, 20_000)
        while s.t < last:
            s.sleep(iv + r.randint(0, 3000))
            iv = min(int(iv * 1.5), 300_000)
            s.tool(wait_tool, s.id, lat=(40, 300))
        finish()
    return s


# ----------------------------------------------------------------------------
# domain: outreach
def out_enrich(g, r, t0, trap=None, **_):
    ten = r.choice(TENANTS)
    s = Session(g, r, "outreach", "enr", "lead-enricher", "lead_enrichment", t0, model="gpt-4o-mini", cache=False,
                team="revops", tenant=ten, feature="enrichment",
                tags={"trigger": "nightly"} if trap in ("batch_lookup", "scheduled_burst") else None)
    n = r.randint(180, 420) if trap == "batch_lookup" else r.randint(8, 45)
    s.tool("crm_search", f"{ten}:segment{r.randint(1, 40)}", lat=(200, 1500))
    s.llm(r.randint(100, 300), tool="enrich_lead")
    for k in range(n):
        ld = lead(r)
        s.tool("enrich_lead", ld, lat=(150, 2500), cost=r.choice([0.01, 0.02, 0.005]),
               status="error" if r.random() < 0.01 else "ok", result=(100, 300))
        if r.random() < 0.25:
            s.tool("web_search", f"company of {ld}", lat=(300, 3000), result=(100, 300))
        if k % 6 == 5:
            s.llm(r.randint(150, 500), inp=r.randint(2000, 6000), tool="crm_update")
        s.tool("crm_update", ld, lat=(80, 700), result=(10, 50))
    s.llm(r.randint(100, 300), inp=r.randint(2000, 5000))
    return s


def out_campaign(g, r, t0, trap=None, **_):
    ten = r.choice(TENANTS)
    s = Session(g, r, "outreach", "cmp", "campaign-planner", "personalized_campaign", t0, model="claude-sonnet-4-5",
                team="growth-marketing", tenant=ten, feature="campaigns")
    s.tool("get_segment", f"{ten}:{r.randint(1, 90)}", lat=(200, 1500))
    s.llm(r.randint(400, 1200))
    s.handoff("campaign-planner", "email-writer")
    leads = [lead(r) for _ in range(r.randint(5, 16))]
    for ld in leads:
        s.tool("get_lead_profile", ld, lat=(80, 900), agent="email-writer")
        s.llm(r.randint(250, 700), model="claude-haiku-4-5", agent="email-writer", tool="save_draft")
        s.tool("save_draft", ld, lat=(50, 400), agent="email-writer")
    s.handoff("email-writer", "email-reviewer")
    s.llm(r.randint(300, 900), model="gpt-4.1-mini", agent="email-reviewer", inp=r.randint(6000, 16000))
    rounds = r.randint(3, 5) if trap == "crew_handoffs" else (1 if r.random() < 0.3 else 0)
    for _ in range(rounds):
        s.handoff("email-reviewer", "email-writer")
        for ld in r.sample(leads, max(1, len(leads) // r.randint(2, 4))):
            s.llm(r.randint(250, 700), model="claude-haiku-4-5", agent="email-writer", tool="save_draft")
            s.tool("save_draft", f"{ld}:rev{r.randint(0, 10**6)}", lat=(50, 400), agent="email-writer")
        s.handoff("email-writer", "email-reviewer")
        s.llm(r.randint(300, 900), model="gpt-4.1-mini", agent="email-reviewer", inp=r.randint(6000, 16000))
    s.handoff("email-reviewer", "campaign-planner")
    s.tool("schedule_send", f"{s.id}", lat=(100, 900))
    s.llm(r.randint(100, 300))
    return s


def out_triage(g, r, t0, trap=None, **_):
    ten = r.choice(TENANTS)
    shifted = t0 >= g.deploy_t
    model = "claude-sonnet-4-5" if shifted else "claude-haiku-4-5"
    s = Session(g, r, "outreach", "tri", "reply-triage", "reply_triage", t0, model=model, cache=True,
                team="sales-ops", tenant=ten, feature="inbox",
                tags={"deploy": "triage-v14" if shifted else "triage-v13"})
    s.tool("fetch_inbox", f"{ten}:{r.randint(0, 10**6)}", lat=(200, 2500))
    for _ in range(r.randint(5, 28)):
        rid = f"reply_{r.randint(0, 10**8)}"
        s.llm(r.randint(40, 200), tool="crm_update")
        s.tool("crm_update", rid, lat=(60, 600))
        if r.random() < 0.3:
            s.llm(r.randint(200, 500), tool="send_email")
            st = 0
            if trap == "retries_then_success" and not getattr(s, "_rt", False):
                s._rt = True
                st = r.randint(2, 3)
            for _ in range(st):
                s.tool("send_email", rid, lat=(100, 900), status="retry")
                s.sleep(r.randint(1000, 8000))
            s.tool("send_email", rid, lat=(150, 1500))
    if trap == "retries_then_success" and not getattr(s, "_rt", False):
        for _ in range(r.randint(2, 3)):
            s.tool("send_email", "digest", lat=(100, 900), status="retry")
            s.sleep(r.randint(1000, 8000))
        s.tool("send_email", "digest", lat=(150, 1500))
    return s


def out_dedupe(g, r, t0, trap=None, **_):
    ten = r.choice(TENANTS)
    s = Session(g, r, "outreach", "ddp", "crm-hygiene", "crm_dedupe", t0, model="gpt-4.1-mini", cache=False,
                team="revops", tenant=ten, feature="crm-hygiene", tags={"trigger": "nightly"})
    for p in range(r.randint(2, 6)):
        s.tool("crm_search", f"{ten}:dupes:page{p}", lat=(300, 3000))
        s.llm(r.randint(150, 500), inp=r.randint(3000, 9000), tool="merge_records")
        for _ in range(r.randint(2, 8)):
            s.tool("merge_records", f"{r.randint(0, 10**9)}", lat=(100, 900))
    return s


def out_research_child(g, r, t0, parent=None, **_):
    s = Session(g, r, "outreach", "wres", "web-researcher", "company_research", t0, task_id=parent.task_id,
                parent=parent, model="gpt-4.1-mini", cache=False, team="sales", tenant=parent.dims["tenant"],
                feature="account-research")
    for _ in range(r.randint(2, 5)):
        s.llm(r.randint(60, 200), tool="web_search")
        s.tool("web_search", f"q{r.randint(0, 10**9)}", lat=(400, 4000))
        if r.random() < 0.6:
            s.tool("fetch_page", f"url{r.randint(0, 10**9)}", lat=(300, 6000), result=(1000, 4000))
    s.llm(r.randint(300, 800))
    return s


def out_research(g, r, t0, trap=None, rw=None, **_):
    s = Session(g, r, "outreach", "acr", "account-researcher", "account_research", t0, model="claude-sonnet-4-5",
                team="sales", tenant=r.choice(TENANTS), feature="account-research")
    s.tool("crm_get", f"account{r.randint(0, 10**6)}", lat=(100, 800))
    s.llm(r.randint(200, 600), tool="spawn_subagent")
    return fanout(g, r, s, out_research_child, r.randint(2, 8), 8, rw,
                  finish=lambda: (s.llm(r.randint(800, 1800)), s.tool("crm_update", s.id, lat=(100, 600))))


# ----------------------------------------------------------------------------
# domain: localization
def loc_translator(g, r, t0, parent=None, premium=False, lang=None, **_):
    model = "gemini-2.5-pro" if premium else r.choice(["gemini-2.5-flash", "gemini-2.5-flash", "deepseek-chat"])
    s = Session(g, r, "localization", "tr", "translator", "chunk_translation", t0, task_id=parent.task_id,
                parent=parent, model=model, cache=False, team="l10n", feature="translation")
    for t in r.sample(TERMS, r.randint(1, 4)):
        s.tool("glossary_lookup", f"{lang}:{t}", lat=(20, 200), result=(20, 80))
    st = "ok"
    if r.random() < 0.03:
        st = "error"
    s.tool("tm_lookup", f"{lang}:{r.randint(0, 10**9)}", lat=(30, 500), status=st)
    s.llm(r.randint(900, 3500), inp=r.randint(2500, 8000))
    if r.random() < 0.5:
        s.llm(r.randint(100, 400), inp=r.randint(4000, 10000))
    s.tool("write_segment", f"{lang}:{r.randint(0, 10**9)}", lat=(30, 300))
    return s


def loc_reviewer(g, r, t0, parent=None, lang=None, **_):
    s = Session(g, r, "localization", "rv", "loc-reviewer", "translation_review", t0, task_id=parent.task_id,
                parent=parent, model="claude-haiku-4-5", cache=True, team="l10n", feature="translation-qa")
    for _ in range(r.randint(3, 10)):
        s.tool("qa_check", f"{lang}:{r.randint(0, 10**9)}", lat=(50, 600))
        if r.random() < 0.4:
            s.llm(r.randint(100, 400), tool="flag_segment")
            s.tool("flag_segment", f"{lang}:{r.randint(0, 10**9)}", lat=(30, 200))
    s.llm(r.randint(200, 600))
    return s


LOC_TYPES = {"doc_translation": (3, 20), "release_notes_l10n": (3, 12), "catalog_localization": (20, 80)}


def loc_coord(g, r, t0, trap=None, rw=None, ttype=None, **_):
    if rw == "subagent_fanout":
        ttype = r.choice(["doc_translation", "release_notes_l10n"])
    ttype = ttype or r.choice(["doc_translation", "doc_translation", "release_notes_l10n", "catalog_localization"])
    lo, hi = LOC_TYPES[ttype]
    if trap == "wide_fanout":
        ttype, (lo, hi) = "catalog_localization", LOC_TYPES["catalog_localization"]
        n = r.randint(55, 80)
    elif ttype == "catalog_localization":
        n = r.randint(20, 50)
    else:
        n = int(lo + (hi - lo) * r.random() ** 1.5)
    premium = r.random() < 0.2
    s = Session(g, r, "localization", "coord", "loc-coordinator", ttype, t0, model="gemini-2.5-flash", cache=False,
                team="l10n", feature=ttype.replace("_", "-"))
    s.tool("load_manifest", f"{s.id}", lat=(100, 1500))
    s.llm(r.randint(300, 900), inp=r.randint(4000, 12000), tool="split_document")
    s.tool("split_document", s.id, lat=(200, 3000))
    s.tool("glossary_sync", r.choice(LANGS), lat=(200, 2000))
    langs = r.sample(LANGS, r.randint(1, min(8, max(1, n // 2))))
    n_rev = min(len(langs), max(1, n // 6)) if n > 4 else 0
    n_tr = n - n_rev
    order = [("tr", langs[k % len(langs)]) for k in range(n_tr)] + [("rv", l) for l in langs[:n_rev]]
    if rw == "subagent_fanout":
        order += [("tr", r.choice(LANGS)) for _ in range(hi * 12)]

    def child(g_, r_, t, parent=None, k=[0]):
        kind_, lang = order[min(k[0], len(order) - 1)]
        k[0] += 1
        if kind_ == "rv":
            return loc_reviewer(g_, r_, t, parent=parent, lang=lang)
        return loc_translator(g_, r_, t, parent=parent, premium=premium, lang=lang)

    def finish():
        for _ in range(r.randint(0, 6)):
            s.llm(r.randint(200, 900), inp=r.randint(3000, 9000), tool="write_segment")
            s.tool("write_segment", f"fix:{r.randint(0, 10**9)}", lat=(30, 300))
        s.tool("publish", s.id, lat=(300, 4000))

    return fanout(g, r, s, child, n, hi, rw, finish, tool="dispatch_translator", spacing=(200, 4000),
                  wait_tool="poll_jobs")


def loc_quick(g, r, t0, trap=None, **_):
    s = Session(g, r, "localization", "qt", "loc-assistant", "quick_translate", t0, model="gemini-2.5-flash",
                cache=False, team="l10n", feature="ad-hoc")
    lang = r.choice(LANGS)
    for t in r.sample(TERMS, r.randint(1, 3)):
        s.tool("glossary_lookup", f"{lang}:{t}", lat=(20, 200), result=(20, 80))
    st = r.randint(2, 3) if trap == "retries_then_success" else 0
    for _ in range(st):
        s.tool("tm_lookup", f"{lang}:q", lat=(2000, 10000), status=r.choice(["error", "retry"]))
        s.sleep(r.randint(2000, 10000))
    s.tool("tm_lookup", f"{lang}:q", lat=(30, 500))
    if trap == "huge_document":
        s.llm(r.randint(20_000, 60_000), inp=r.randint(520_000, 820_000), model="claude-sonnet-4-6", grow=False,
              lat=r.randint(60_000, 240_000))
    else:
        s.llm(r.randint(500, 3000), inp=r.randint(2000, 9000))
    if r.random() < 0.5:
        s.llm(r.randint(100, 400), inp=r.randint(3000, 9000))
    s.tool("write_segment", f"{lang}:{r.randint(0, 10**9)}", lat=(30, 300))
    return s


def loc_glossary(g, r, t0, trap=None, **_):
    s = Session(g, r, "localization", "gl", "term-curator", "glossary_maintenance", t0, model="mistral/mistral-large-latest",
                cache=False, team="l10n", feature="terminology")
    n = r.randint(150, 320) if trap == "glossary_batch" else r.randint(6, 18)
    s.tool("glossary_export", r.choice(LANGS), lat=(300, 3000))
    for k in range(n):
        term = f"{r.choice(LANGS)}:{r.choice(TERMS)}:{r.randint(0, 10**7)}"
        s.tool("glossary_lookup", term, lat=(20, 200), result=(20, 80))
        if k % 5 == 0:
            s.llm(r.randint(100, 400), inp=r.randint(2000, 6000), tool="term_upsert")
        if r.random() < 0.4:
            s.tool("term_upsert", term, lat=(30, 300), result=(10, 30))
    return s


def loc_qa(g, r, t0, trap=None, **_):
    s = Session(g, r, "localization", "qa", "loc-qa-bot", "string_qa", t0, model="claude-haiku-4-5", cache=True,
                team="l10n", feature="string-qa")
    rel = f"rel{r.randint(100, 999)}"
    s.tool("load_strings", rel, lat=(200, 2000))
    for _ in range(r.randint(8, 25)):
        s.tool("qa_check", f"{rel}:{r.randint(0, 10**9)}", lat=(50, 600))
        if r.random() < 0.35:
            s.llm(r.randint(80, 300), tool="flag_segment")
            s.tool("flag_segment", f"{rel}:{r.randint(0, 10**9)}", lat=(30, 200))
    s.llm(r.randint(200, 600))
    return s


# ----------------------------------------------------------------------------
# domain: migration
def ci_wait(s, r, polls, sleep=(20_000, 90_000), agent=None):
    run = f"ci:{s.id}:{r.randint(0, 10**6)}"
    for k in range(polls):
        s.sleep(r.randint(*sleep))
        s.tool("poll_ci", run, lat=(80, 800), agent=agent, result=(20, 80))
    s.tool("fetch_ci_logs", run, lat=(300, 3000), agent=agent, result=(500, 3000))


def mig_pkg(g, r, t0, trap=None, parent=None, scale=1.0, **_):
    s = Session(g, r, "migration", "mig", "migrator", "package_migration", t0,
                task_id=parent.task_id if parent else None, parent=parent, model="claude-sonnet-4-6", cache=True,
                team="platform-eng", feature="ts5-migration")
    pkg = r.choice(PKGS)
    s.tool("grep", f"{pkg}:{r.randint(0, 10**6)}", lat=(100, 2000))
    for _ in range(int(r.randint(4, 14) * scale) + 1):
        f, _p = rfile(r, pkg)
        s.tool("read_file", f, lat=(20, 200), result=(800, 4000))
    if trap == "huge_context":
        s.llm(r.randint(4000, 12000), inp=r.randint(600_000, 900_000), cache=False, grow=False,
              lat=r.randint(40_000, 180_000))
    files = list({rfile(r, pkg)[0] for _ in range(int(r.randint(8, 50) * scale) + 2)})
    for f in files:
        s.llm(r.randint(200, 1500), tool="edit_file")
        s.tool("edit_file", f + f"@{r.randint(0, 10**6)}", lat=(20, 300), result=(100, 600))
    for rnd in range(r.randint(1, 4)):
        s.tool("run_build", f"{pkg}#{rnd}", lat=(20_000, 240_000), result=(500, 3000),
               status="ok" if r.random() < 0.8 else "error")
        s.tool("run_tests", f"{pkg}#{rnd}", lat=(15_000, 300_000), result=(500, 4000))
        s.llm(r.randint(200, 900), tool="edit_file")
        for f in r.sample(files, min(len(files), r.randint(1, 5))):
            s.tool("edit_file", f + f"@fix{rnd}:{r.randint(0, 10**6)}", lat=(20, 300))
    if r.random() < 0.3 and not parent:
        s.handoff("migrator", "code-reviewer")
        s.llm(r.randint(300, 1200), agent="code-reviewer", model="gpt-5-mini", cache=False, inp=r.randint(8000, 30000))
        s.handoff("code-reviewer", "migrator")
        s.llm(r.randint(200, 800), tool="edit_file")
        s.tool("edit_file", files[0] + f"@review:{r.randint(0, 10**6)}", lat=(20, 300))
    s.tool("open_pr", f"{pkg}:{s.id}", lat=(500, 3000))
    ci_wait(s, r, r.randint(2, 7))
    s.llm(r.randint(100, 400))
    return s


def mig_mono(g, r, t0, trap=None, rw=None, **_):
    s = Session(g, r, "migration", "mono", "monorepo-orchestrator", "monorepo_migration", t0, model="claude-sonnet-4-6",
                cache=True, team="platform-eng", feature="ts5-migration")
    s.tool("list_packages", "all", lat=(200, 2000))
    s.llm(r.randint(800, 2500), tool="spawn_subagent")
    return fanout(g, r, s, lambda g_, r_, t, parent=None: mig_pkg(g_, r_, t, parent=parent, scale=0.35),
                  r.randint(4, 30), 30, rw,
                  finish=lambda: (s.tool("run_build", "all", lat=(60_000, 600_000)), ci_wait(s, r, r.randint(3, 8)),
                                  s.llm(r.randint(300, 900))),
                  spacing=(5_000, 60_000))


def mig_upgrade(g, r, t0, trap=None, **_):
    s = Session(g, r, "migration", "upg", "upgrade-agent", "framework_upgrade", t0, model="claude-sonnet-4-6",
                cache=True, team="platform-eng", feature="react19-upgrade")
    n = r.randint(400, 850)
    while len(s.ev) < n:
        pkg = r.choice(PKGS)
        for _ in range(r.randint(2, 6)):
            s.tool("read_file", rfile(r, pkg)[0], lat=(20, 200), result=(500, 3000))
        for _ in range(r.randint(3, 12)):
            s.llm(r.randint(200, 1200), tool="edit_file")
            s.tool("edit_file", rfile(r, pkg)[0] + f"@{r.randint(0, 10**9)}", lat=(20, 300))
        s.tool("run_tests", f"{pkg}:{r.randint(0, 10**6)}", lat=(10_000, 200_000),
               status="ok" if r.random() < 0.85 else "error")
    ci_wait(s, r, r.randint(3, 8))
    return s


def mig_cifix(g, r, t0, trap=None, **_):
    shifted = t0 >= g.deploy_t
    s = Session(g, r, "migration", "cif", "ci-fixer", "ci_fix", t0,
                model="xai/grok-code-fast-1", cache=True, team="dev-productivity", feature="ci-autofix")
    run = f"build{r.randint(0, 10**7)}"
    s.tool("fetch_ci_logs", run, lat=(300, 3000), result=(2000, 8000))
    s.llm(r.randint(200, 800), tool="read_file")
    pkg = r.choice(PKGS)
    for _ in range(r.randint(1, 4)):
        s.tool("read_file", rfile(r, pkg)[0], lat=(20, 200), result=(500, 3000))
    for _ in range(r.randint(1, 4)):
        s.llm(r.randint(200, 900), tool="edit_file")
        s.tool("edit_file", rfile(r, pkg)[0] + f"@{r.randint(0, 10**9)}", lat=(20, 300))
    s.tool("run_tests", f"{pkg}:{r.randint(0, 10**6)}", lat=(10_000, 180_000))
    s.tool("push_branch", run, lat=(500, 4000))
    if trap == "ci_polling":
        ci_wait(s, r, r.randint(20, 45), sleep=(45_000, 120_000))
    else:
        ci_wait(s, r, r.randint(2, 6))
    s.llm(r.randint(100, 400))
    return s


def mig_bump(g, r, t0, trap=None, **_):
    shifted = t0 >= g.deploy_t and trap == "deploy_model_shift"
    s = Session(g, r, "migration", "bump", "dep-bumper", "dependency_bump", t0,
                model="claude-sonnet-4-5" if t0 >= g.deploy_t else "mistral/devstral-medium-latest", cache=True,
                team="dev-productivity", feature="renovate-agent",
                tags={"deploy": "bumper-v8" if t0 >= g.deploy_t else "bumper-v7"})
    pkg = r.choice(PKGS)
    s.tool("read_file", f"packages/{pkg}/package.json", lat=(20, 150))
    s.llm(r.randint(100, 500), tool="edit_file")
    s.tool("edit_file", f"packages/{pkg}/package.json@{r.randint(0, 10**9)}", lat=(20, 200))
    s.tool("run_build", pkg, lat=(20_000, 200_000))
    fl = r.randint(2, 3) if trap == "retries_then_success" else 0
    for _ in range(fl):
        s.tool("run_tests", f"{pkg}:flaky", lat=(10_000, 120_000), status="error")
        s.llm(r.randint(100, 300), tool="run_tests")
    s.tool("run_tests", f"{pkg}:flaky", lat=(10_000, 120_000))
    s.llm(r.randint(100, 400), tool="open_pr")
    s.tool("open_pr", f"{pkg}:{s.id}", lat=(500, 3000))
    return s


def mig_codemod(g, r, t0, trap=None, **_):
    s = Session(g, r, "migration", "cmod", "codemod-runner", "codemod_apply", t0, model="mistral/devstral-medium-latest",
                cache=True, team="platform-eng", feature="codemods")
    s.llm(r.randint(300, 1000), tool="grep")
    s.tool("grep", f"pattern{r.randint(0, 10**6)}", lat=(500, 5000))
    n = r.randint(200, 420) if trap == "repo_wide_edit" else r.randint(6, 30)
    for k in range(n):
        s.tool("edit_file", f"{rfile(r)[0]}#{k}", lat=(15, 150), result=(20, 80))
        if k % 25 == 24:
            s.llm(r.randint(100, 400), inp=r.randint(4000, 9000), tool="edit_file")
    s.tool("run_build", "affected", lat=(30_000, 300_000))
    s.tool("open_pr", s.id, lat=(500, 3000))
    return s


# ----------------------------------------------------------------------------
# runaway tails (generic, driven by domain vocabulary)
def v_data(r):
    return {
        "repeat": [("run_query", rsql(r), (300, 20000)), ("describe_table", f"{r.choice(SCHEMAS)}.{r.choice(TABLES)}", (50, 900)),
                   ("render_chart", f"q{r.randint(0, 10**6)}|bar", (300, 2500)), ("validate_result", f"q{r.randint(0, 10**6)}", (50, 400))],
        "cycle": [[("run_query", rsql(r)), ("validate_result", "v1"), ("describe_table", "analytics.orders")],
                  [("python_exec", f"cell{r.randint(0, 99)}"), ("plot", f"fig{r.randint(0, 99)}")],
                  [("run_query", rsql(r)), ("render_chart", "c"), ("validate_result", "c"), ("search_docs", "kpi")]],
        "varied": ["run_query", "describe_table", "python_exec", "plot", "search_docs", "get_lineage"],
        "retry": [("run_query", (1000, 60000)), ("render_chart", (200, 3000))],
        "peer": "query-reviewer",
        "budget_tool": ("run_query", (2.0, 12.0), (20_000, 300_000)),
    }


def v_out(r):
    return {
        "repeat": [("enrich_lead", lead(r), (150, 2500)), ("crm_update", lead(r), (80, 700)),
                   ("send_email", f"reply_{r.randint(0, 10**8)}", (150, 1500)), ("web_search", f"company {r.randint(0, 999)}", (300, 3000))],
        "cycle": [[("crm_search", "seg"), ("crm_update", lead(r))],
                  [("get_lead_profile", lead(r)), ("save_draft", "d1"), ("crm_get", "a")],
                  [("fetch_inbox", "x"), ("crm_update", "y"), ("send_email", "z")]],
        "varied": ["enrich_lead", "crm_update", "web_search", "get_lead_profile", "save_draft", "crm_search"],
        "retry": [("enrich_lead", (100, 3000)), ("send_email", (100, 2000)), ("crm_update", (5000, 30000))],
        "peer": "email-reviewer",
        "budget_tool": ("enrich_lead", (0.4, 1.6), (300, 3000)),
    }


def v_loc(r):
    lang = r.choice(LANGS)
    return {
        "repeat": [("glossary_lookup", f"{lang}:{r.choice(TERMS)}", (20, 200)), ("qa_check", f"{lang}:{r.randint(0, 10**9)}", (50, 600)),
                   ("tm_lookup", f"{lang}:{r.randint(0, 10**9)}", (30, 500)), ("write_segment", f"{lang}:{r.randint(0, 10**6)}", (30, 300))],
        "cycle": [[("qa_check", f"{lang}:s1"), ("flag_segment", f"{lang}:s1")],
                  [("tm_lookup", f"{lang}:s"), ("write_segment", f"{lang}:s"), ("qa_check", f"{lang}:s")],
                  [("glossary_lookup", f"{lang}:a"), ("glossary_lookup", f"{lang}:b"), ("term_upsert", f"{lang}:a")]],
        "varied": ["glossary_lookup", "tm_lookup", "qa_check", "write_segment", "flag_segment", "term_upsert"],
        "retry": [("tm_lookup", (2000, 30000)), ("write_segment", (100, 3000))],
        "peer": "loc-reviewer",
        "budget_tool": None,
    }


def v_mig(r):
    f = rfile(r)[0]
    pkg = r.choice(PKGS)
    return {
        "repeat": [("run_tests", f"{pkg}:all", (10_000, 120_000)), ("read_file", f, (20, 200)),
                   ("edit_file", f + "@same", (20, 300)), ("run_build", pkg, (20_000, 150_000))],
        "cycle": [[("edit_file", f + "@a"), ("run_build", pkg), ("read_file", "build.log")],
                  [("edit_file", f + "@a"), ("edit_file", f + "@b")],
                  [("run_tests", pkg), ("read_file", f), ("edit_file", f + "@x"), ("grep", "TODO")]],
        "varied": ["read_file", "edit_file", "grep", "run_tests", "edit_file", "run_build"],
        "retry": [("run_build", (2000, 60000)), ("poll_ci", (100, 30000)), ("push_branch", (500, 10000))],
        "peer": "code-reviewer",
        "budget_tool": ("run_e2e_suite", (1.5, 5.0), (120_000, 900_000)),
    }


VOCAB = {"data": v_data, "outreach": v_out, "localization": v_loc, "migration": v_mig}
LAT = {"run_query": (300, 20000), "describe_table": (50, 900), "python_exec": (100, 15000), "plot": (300, 3000),
       "run_tests": (10_000, 150_000), "run_build": (20_000, 150_000), "grep": (100, 2000)}


def tail(g, r, s, kind, n_normal_events, ref=0.0):
    v = VOCAB[s.domain](r)
    s.onset_next = True
    model = s.model
    i0 = len(s.ev)
    need = ref * r.uniform(3.0, 6.0)
    cap = i0 + 3000
    acc = [0.0, i0]

    def more(k, n):
        """go on for n iterations, then on until spend after onset clearly exceeds the type's normal."""
        if s.done() or len(s.ev) >= cap:
            return False
        if k < n:
            return True
        for e in s.ev[acc[1]:]:
            acc[0] += ev_cost(e)
        acc[1] = len(s.ev)
        return acc[0] < need

    def vtool(name, args, lat, status="ok", agent=None):
        c = None
        if status == "ok" and name in VENDOR and r.random() < VENDOR[name][2]:
            c = r.uniform(VENDOR[name][0], VENDOR[name][1])
        return s.tool(name, args, lat=lat, status=status, agent=agent, cost=c)

    if kind == "loop_repeat":
        tl, args, lat = r.choice(v["repeat"])
        n = r.randint(150, 550)
        mode = r.choice(["llm", "llm", "bare", "llm+other"])
        pause = r.choice([(50, 800), (1000, 8000), (200, 3000)])
        k = 0
        while more(k, n):
            k += 1
            if mode != "bare" or k % r.randint(5, 12) == 0:
                s.llm(r.randint(40, 300), tool=tl)
            vtool(tl, args, lat)
            if mode == "llm+other" and r.random() < 0.25:
                o = r.choice(v["varied"])
                s.tool(o, f"{o}:{r.randint(0, 10**9)}", lat=LAT.get(o, (30, 800)))
            s.sleep(r.randint(*pause))
    elif kind == "loop_cycle":
        cyc = r.choice(v["cycle"])
        n = r.randint(70, 260)
        think = r.choice(["each", "once", "once"])
        k = 0
        while more(k, n):
            k += 1
            if think == "once":
                s.llm(r.randint(60, 300), tool=cyc[0][0])
            for tl, a in cyc:
                if think == "each":
                    s.llm(r.randint(60, 300), tool=tl)
                vtool(tl, a, LAT.get(tl, (30, 900)))
            s.sleep(r.randint(100, 4000))
    elif kind == "ping_pong":
        a, b = s.agent, v["peer"]
        n = r.randint(70, 260)
        bm = "gpt-4.1-mini" if s.domain != "migration" else "gpt-5-mini"
        rt = r.choice(v["varied"])
        ra = f"{rt}:{r.randint(0, 10**6)}"
        k = 0
        while more(k, n):
            k += 1
            s.handoff(a, b)
            s.llm(r.randint(80, 400), agent=b, model=bm, cache=False)
            if r.random() < 0.4:
                vtool(rt, ra, (30, 800), agent=b)
            s.handoff(b, a)
            s.llm(r.randint(80, 400))
            s.sleep(r.randint(200, 6000))
    elif kind == "step_runaway":
        n = max(300, min(2500, int(n_normal_events * r.uniform(6, 14))))
        while more(len(s.ev) - i0, n):
            tl = r.choice(v["varied"])
            s.llm(r.randint(100, 900), tool=tl)
            vtool(tl, f"{tl}:{r.randint(0, 10**12)}", LAT.get(tl, (30, 1500)))
            if r.random() < 0.3:
                t2 = r.choice(v["varied"])
                vtool(t2, f"{t2}:{r.randint(0, 10**12)}", LAT.get(t2, (30, 1500)))
    elif kind == "retry_storm":
        tl, lat = r.choice(v["retry"])
        args = f"{tl}:{r.randint(0, 10**6)}"
        n = r.randint(200, 650)
        llm429 = r.random() < 0.35
        back = r.choice([(500, 3000), (2000, 10000), (100, 800)])
        k = 0
        while more(k, n):
            k += 1
            if llm429 and r.random() < 0.5:
                s.llm(0, status="retry", lat=r.randint(100, 1500))
            else:
                s.tool(tl, args if r.random() < 0.7 else f"{tl}:{r.randint(0, 10**6)}", lat=lat,
                       status=r.choice(["error", "retry"]) if r.random() > 0.03 else "ok")
                if r.random() < 0.2:
                    s.llm(r.randint(40, 200), tool=tl)
            s.sleep(r.randint(*back))
    elif kind == "context_growth":
        maxin = PRICES[model][4]
        start = max(s.ctx, 8000)
        target = min(int(maxin * 0.97), int(start * r.uniform(12, 40)))
        step = max(1500, int((target - start) / r.randint(60, 220)))
        ctx = start
        fixed_cr = s.ev and max((e.get("cache_read_tokens", 0) for e in s.ev), default=0) or 0
        while ctx < target and not s.done():
            ctx += int(step * r.uniform(0.5, 1.5))
            tl = r.choice(v["varied"])
            s.llm(r.randint(150, 900), inp=min(ctx, int(maxin * 0.99)), cache=False, tool=tl)
            if s.ev[-1].get("kind") == "llm" and fixed_cr:
                s.ev[-1]["cache_read_tokens"] = int(fixed_cr * r.uniform(0.8, 1.0))
            s.tool(tl, f"{tl}:{r.randint(0, 10**9)}", lat=LAT.get(tl, (30, 1500)))
        k = 0
        while more(k, r.randint(5, 30)):  # keeps going at the ceiling
            k += 1
            s.llm(r.randint(100, 600), inp=int(maxin * r.uniform(0.95, 0.99)), cache=False)
    elif kind == "cost_spike":
        big = SPIKE[model]
        ctxmode = r.random() < 0.3
        n = r.randint(150, 450)
        mult = r.uniform(6, 10)
        base = max(s.ctx, 6000)
        k = 0
        while more(k, n):
            k += 1
            tl = r.choice(v["varied"])
            if ctxmode:
                s.llm(r.randint(200, 1200), inp=min(int(base * mult * r.uniform(0.9, 1.1)), int(PRICES[model][4] * 0.95)),
                      cache=False, tool=tl)
            else:
                s.llm(r.randint(200, 1200), model=big, tool=tl, inp=int(base * r.uniform(0.8, 1.4)))
            s.tool(tl, f"{tl}:{r.randint(0, 10**9)}", lat=LAT.get(tl, (30, 1500)))
    elif kind == "session_budget":
        target = r.uniform(30, 200)
        spent = 0.0
        bt = v["budget_tool"]
        bigm = model if PRICES[model][4] >= 400_000 else None
        while spent < target and not s.done():
            tl = r.choice(v["varied"])
            if bt and r.random() < 0.5:
                cost = r.uniform(*bt[1])
                s.tool(bt[0], f"{bt[0]}:{r.randint(0, 10**9)}", lat=bt[2], cost=cost)
                spent += cost
            m = bigm or ("claude-sonnet-4-6" if s.domain == "localization" else model)
            inp = int(min(PRICES[m][4] * 0.8, r.uniform(80_000, 260_000)))
            e = s.llm(r.randint(1000, 5000), inp=inp, model=m, cache=False, tool=tl)
            spent += llm_cost(m, e["input_tokens"], e["output_tokens"], e.get("cache_read_tokens", 0)) + \
                (PRICES[m][1] * e.get("reasoning_tokens", 0))
            s.tool(tl, f"{tl}:{r.randint(0, 10**9)}", lat=LAT.get(tl, (30, 1500)))
            s.sleep(r.randint(500, 20000))
    s.onset_next = False
    s.label, s.kind = "runaway", kind


def ref_cost(g, builder):
    """p~97 of the normal session cost of this builder (scratch simulation, seeded)."""
    if builder in g.refs:
        return g.refs[builder]
    sg = Gen(g.seed * 1009 + len(g.refs) + 1, g.profile, 0)
    sg.deploy_t, sg.outages, sg.end = g.deploy_t, [], g.end
    sr = random.Random(g.seed * 31 + len(g.refs))
    costs = []
    for _ in range(40):
        sg.sessions = []
        builder(sg, sr, sg.start_time())
        costs.append(sum(ev_cost(e) for x in sg.sessions for e in x.ev))
    costs.sort()
    g.refs[builder] = costs[-2]
    return costs[-2]


def make_runaway(g, r, builder, kind, t0):
    if kind == "subagent_fanout":
        s = builder(g, r, t0, rw=kind)
        s.label, s.kind = "runaway", kind
        return s
    s = builder(g, r, t0)
    n = len(s.ev)
    cut = max(3, int(n * r.uniform(0.3, 0.8)))
    cut = min(cut, n)
    s.ev = s.ev[:cut]
    s.t = s.ev[-1]["ts"] + r.randint(500, 5000)
    # model/context at cut: take the last llm event of the session's own agent
    for e in reversed(s.ev):
        if e["kind"] == "llm" and e["agent_id"] == s.agent:
            s.model = e["model"]
            s.ctx = e["input_tokens"] + e.get("cache_read_tokens", 0)
            break
    tail(g, r, s, kind, cut, ref=ref_cost(g, builder) if kind not in ("retry_storm",) else 0.0)
    return s


# ----------------------------------------------------------------------------
# profiles: (builder, weight, trap kinds that can occur with it), and runaway eligibility
DOMAINS = {
    "data": {
        "mix": [(data_adhoc, 40), (data_dashboard, 18), (data_notebook, 12), (data_metric, 14), (data_report, 9),
                (data_exec_summary, 7)],
        "traps": [(data_adhoc, "retries_then_success", 0.035), (data_adhoc, "huge_result", 0.02),
                  (data_notebook, "long_by_nature", 0.025)],
        "spawner": [data_report],
        "runaway": [data_adhoc, data_adhoc, data_notebook, data_metric, data_dashboard],
    },
    "outreach": {
        "mix": [(out_enrich, 28), (out_campaign, 22), (out_triage, 30), (out_dedupe, 10), (out_research, 10)],
        "traps": [(out_enrich, "batch_lookup", 0.02), (out_campaign, "crew_handoffs", 0.03),
                  (out_triage, "retries_then_success", 0.025)],
        "spawner": [out_research],
        "runaway": [out_enrich, out_campaign, out_triage, out_triage, out_dedupe],
    },
    "localization": {
        "mix": [(loc_coord, 34), (loc_quick, 34), (loc_glossary, 14), (loc_qa, 18)],
        "traps": [(loc_coord, "wide_fanout", 0.025), (loc_quick, "huge_document", 0.03),
                  (loc_quick, "retries_then_success", 0.025), (loc_glossary, "glossary_batch", 0.05)],
        "spawner": [loc_coord],
        "runaway": [loc_quick, loc_glossary, loc_qa, loc_qa],
    },
    "migration": {
        "mix": [(mig_pkg, 22), (mig_mono, 6), (mig_upgrade, 3), (mig_cifix, 30), (mig_bump, 29), (mig_codemod, 10)],
        "traps": [(mig_upgrade, "long_by_nature", 1.0), (mig_cifix, "ci_polling", 0.08),
                  (mig_bump, "retries_then_success", 0.04), (mig_codemod, "repo_wide_edit", 0.04),
                  (mig_pkg, "huge_context", 0.025)],
        "spawner": [mig_mono],
        "runaway": [mig_pkg, mig_cifix, mig_bump, mig_bump, mig_codemod],
    },
}
# mix weights of domains in the mixed profile (by number of top-level sessions)
MIXED = {"data": 0.33, "outreach": 0.30, "localization": 0.20, "migration": 0.17}


def generate(seed, profile, n):
    g = Gen(seed, profile, n)
    r = g.rng
    doms = list(MIXED) if profile == "mixed" else [profile]
    counts = {d: (round(n * MIXED[d]) if profile == "mixed" else n) for d in doms}
    # fleet-wide events fixed before sessions run
    g.deploy_t = BASE_T + int(r.uniform(0.35, 0.6) * g.span)
    provs = {"data": "anthropic", "outreach": "openai", "localization": "google", "migration": "anthropic"}
    for d in doms[:2] if profile == "mixed" else doms:
        a = BASE_T + r.choice([0, 24 * H if g.span > 28 * H else 0]) + int(r.uniform(10, 17) * H)
        g.outages.append((provs[d], a, a + r.randint(5, 11) * MIN))
    g.new_agent_t = BASE_T + int(r.uniform(0.25, 0.45) * g.span)
    specs = []  # (builder, t0, trap, runaway_kind)
    for d in doms:
        cfg = DOMAINS[d]
        nd = counts[d]
        n_run = max(9, round(nd * r.uniform(0.065, 0.085)))
        kinds = [RUNAWAY_KINDS[k % 9] for k in range(n_run)]
        r.shuffle(kinds)
        for k in kinds:
            b = r.choice(cfg["spawner"]) if k == "subagent_fanout" else r.choice(cfg["runaway"])
            specs.append((b, g.start_time(0, g.span - 6 * H), None, k))
        # scheduled bursts (trap): dashboards at 06:00, nightly CRM at 01:30/02:00, nightly l10n/CI at 03:00
        burst_b = {"data": data_dashboard, "outreach": out_dedupe, "localization": loc_qa, "migration": mig_bump}[d]
        nb = 0
        day = 0
        while BASE_T + day * 24 * H < BASE_T + g.span:
            at = BASE_T + day * 24 * H + {"data": 6, "outreach": 2, "localization": 3, "migration": 4}[d] * H
            if at < BASE_T + g.span:
                k = max(15, int(nd * r.uniform(0.025, 0.04)))
                for _ in range(k):
                    specs.append((burst_b, at + r.randint(0, 90_000), "scheduled_burst", None))
                nb += k
            day += 1
        rest = nd - n_run - nb
        builders = [b for b, _ in cfg["mix"]]
        weights = [w for _, w in cfg["mix"]]
        trapmap = {}
        for b, tk, p in cfg["traps"]:
            trapmap.setdefault(b, []).append((tk, p))
        for _ in range(max(0, rest)):
            b = r.choices(builders, weights)[0]
            lo = 0.0
            if b is data_exec_summary:
                lo = g.new_agent_t - BASE_T
            t0 = g.start_time(lo)
            trap = None
            acc = r.random()
            for tk, p in trapmap.get(b, []):
                if acc < p:
                    trap = tk
                    break
                acc -= p
            specs.append((b, t0, trap, None))
    # build sessions in a deterministic order
    for b, t0, trap, rk in specs:
        if rk:
            make_runaway(g, r, b, rk, t0)
        else:
            s = b(g, r, t0, trap=trap)
            if trap:
                s.kind = trap
    # post-hoc trap labels that depend on fleet context
    for s in g.sessions:
        if s.label != "normal" or s.kind != "normal" or s.parent is not None:
            if s.label == "normal" and s.kind == "normal" and s.outage_hit:
                s.kind = "provider_outage"
            continue
        if s.agent == "insight-writer-v2":
            s.kind = "new_agent_pricier"
        elif s.agent in ("reply-triage", "dep-bumper") and s.t0 >= g.deploy_t:
            s.kind = "deploy_model_shift"
        elif s.task_type == "catalog_localization" and len(s.children) >= 40 and s.kind == "normal":
            s.kind = "wide_fanout"
        if s.kind == "normal" and s.outage_hit:
            s.kind = "provider_outage"
    return g


def write(g, out, labels):
    r = random.Random(g.seed * 7919 + 17)
    rows = []
    for si, s in enumerate(g.sessions):
        s.ev = [e for e in s.ev if e["ts"] < g.end] or s.ev[:1]
        if s.onset and s.onset not in {e["event_id"] for e in s.ev}:
            raise SystemExit(f"onset cut off for {s.id}")
        for j, e in enumerate(s.ev):
            rows.append((e["ts"], si, j, e))
    dups = []
    for row in rows:
        if r.random() < 0.002:
            dups.append((row[0] + r.randint(50, 8000), row[1], row[2] + 0.5, row[3]))
    rows.extend(dups)
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    epoch_agents = {"translator", "ci-fixer"}
    with open(out, "w") as f:
        for _, _, _, e in rows:
            d = dict(e)
            if d["agent_id"] not in epoch_agents:
                d["ts"] = fmt_ts(e["ts"])
            f.write(json.dumps(d, separators=(",", ":")) + "\n")
    with open(labels, "w") as f:
        for s in g.sessions:
            lab = {"session_id": s.id, "label": s.label, "kind": s.kind, "onset_event_id": s.onset,
                   "task_id": s.task_id, "agent_id": s.agent, "task_type": s.task_type}
            if s.part_of:
                lab["part_of"] = s.part_of
            if s.parent:
                lab["parent_session_id"] = s.parent.id
            f.write(json.dumps(lab) + "\n")
    return len(rows), len(dups)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=["data", "outreach", "localization", "migration", "mixed"], default="mixed")
    ap.add_argument("--sessions", type=int, default=None,
                    help="top-level sessions (defaults: data 2600, outreach 2000, localization 1600, migration 900, mixed 1800 -> ~150k-300k events)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    a = ap.parse_args()
    n = a.sessions or {"data": 2600, "outreach": 2000, "localization": 1600, "migration": 900, "mixed": 1800}[a.profile]
    g = generate(a.seed, a.profile, n)
    ne, nd = write(g, a.out, a.labels)
    print(f"fleet7: profile={a.profile} seed={a.seed} top-level={n} sessions={len(g.sessions)} "
          f"events={ne} (dups {nd})", file=sys.stderr)


if __name__ == "__main__":
    main()
