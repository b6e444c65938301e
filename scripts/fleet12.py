#!/usr/bin/env python3
"""fleet12 -- synthetic agent-fleet usage events with ground-truth labels.

Usage:
    python3 scripts/fleet12.py --seed S --profile P --sessions N \
        --out EVENTS.ndjson --labels LABELS.ndjson [--catalog FILE]

Profiles: browser, sre, sales, localization, mixed.  The output is a pure
function of (seed, profile, sessions, catalog); only the Python 3 standard
library is used.  --sessions counts TOP-LEVEL sessions; sub-agent children and
handoff receivers come on top.

Written independently of the detector, from the wire contract (CONTRACT.md §1
usage event, §2 reason names) and the LiteLLM price catalog only.

DATA CONVENTIONS (events file)
------------------------------
* One NDJSON line = one action = one usage event (contract §1):
  kind "llm" (one model call), "tool" (one tool call) or "handoff" (work handed
  to `target_agent_id`).  Some emitters omit `kind` on LLM calls (default "llm").
* Required fields always present: event_id, ts, session_id, agent_id, and
  model+provider on LLM calls (model named as in the catalog; provider = the
  catalog's litellm_provider, or "vllm"/"acme" for the two uncatalogued models
  of the mixed profile).
* `ts` is event time (the completion of the call).  Emitters differ:
  RFC 3339 with ms and "Z", with whole seconds, with microseconds and
  "+00:00", with a non-UTC offset (+02:00 / -05:00), or epoch milliseconds
  (JSON integer).  Time base: 2026-04-13T00:00:00Z (a Monday), span ~3 days,
  diurnal load with bursts (incident storms, campaign launches, releases).
* Token counts: input_tokens EXCLUDES cached tokens; cache_read_tokens /
  cache_write_tokens only for models that have those prices in the catalog
  (Anthropic explicit caching writes + reads with a 5 min TTL; OpenAI, Gemini,
  Mistral, DeepSeek automatic caching reads only).  reasoning_tokens are
  reported SEPARATELY from output_tokens (not included in them) and are priced
  at output_cost_per_reasoning_token, falling back to output_cost_per_token.
* Cost: some emitters report `cost_usd` (truth); others leave it out and it
  must be priced from the catalog:
      input*input_cost + output*output_cost + cache_read*cache_read_cost
      + cache_write*cache_creation_cost + reasoning*reasoning_cost
  (a missing cache price falls back to the input price).  Tools cost nothing
  unless they call a paid API (web search, contact enrichment, CAPTCHA
  solving, machine translation), in which case the tool event carries cost_usd.
  Failed calls with status "retry"/"error" and zero tokens cost 0; "billed
  errors" carry tokens and are charged.
* args_hash = first 16 hex of sha256 of the tool's canonical JSON arguments;
  on tool events (and on handoff events for the handoff payload).  LLM events
  of some emitters carry `tool` = the tool the model asked for (no args_hash).
* Sub-agents: the parent emits a spawn tool call (spawn_subagent / delegate /
  Task), the child session starts shortly after with parent_session_id =
  parent and the same task_id.  Handoffs: the sender emits kind "handoff" with
  target_agent_id; the receiver either starts a new session (parent_session_id
  = sender session, same task_id) or, when work comes back to an agent that
  already has a session on the task, that session resumes.
* Delivery: the file is in bus order (≈ event time + 0-0.4 s ingest jitter).
  ~0.5% of events are LATE (delivered 1-20 min after their ts); ~0.3% are
  REDELIVERED: a byte-identical copy of an earlier line (same event_id),
  delivered 2 s - 10 min later.  Sessions are interleaved.
* Optional fields vary by emitter: some omit latency_ms, status on success,
  zero token fields, tenant/team/env, the `v` field, `tool` on LLM calls.

DATA CONVENTIONS (labels file)
------------------------------
One JSON line per session appearing in the events file:
  session_id, label ("normal"|"runaway"), kind, onset_event_id (or null),
  task_id, part_of (only for sessions belonging to a runaway case: the root
  runaway session id), agent_id, task_type (null when the emitter sends none),
  plus: variant, traps (list), domain, top_level (bool), parent_session_id,
  n_events (distinct events), cost_usd (reported cost_usd when present else
  catalog-priced), started_ts (epoch ms).
* Runaways (~7% of top-level sessions): kind = contract §2 reason name.
  onset_event_id = first event of the runaway behaviour; for step_runaway and
  session_budget the first event past where the normal work would have
  ended; for subagent_fanout the first spawn beyond the normal fan-out
  (the task type's upper normal width); for ping_pong the first handoff
  beyond two round trips (normal handoffs come back at most twice).
  A runaway is a normal start that turns; it never finishes - the stream of
  that session simply stops after its tail.
* Sessions belonging to a runaway case carry part_of = root runaway session:
  the other side of a ping-pong (label runaway, kind ping_pong, onset = its
  first event in the bouncing phase), spawning nodes of runaway trees (label
  runaway, kind subagent_fanout), and leaf children (label normal, kind
  "normal", part_of root, onset null).
* Normal sessions: kind "normal" or the name of the trap they contain (first
  trap; all traps in `traps`).  Children of normal sessions are "normal"
  unless they carry a trap of their own.
* Runaways are placed in the last 90% of the time span so that every agent
  and task type has some ordinary history first.

Runaway kinds and variants (see RUNAWAY_VARIANTS), traps (see TRAPS) are
listed in the code below.
"""
import argparse
import bisect
import hashlib
import json
import math
import os
import random
import sys
import time
from collections import deque

BASE_MS = 1776038400000  # 2026-04-13T00:00:00Z
DAY = 86400000
SPAN_DAYS = 3

RUNAWAY_VARIANTS = {
    "loop_repeat": ["tight", "interleaved", "slow_poll", "identical_llm", "stuck_click"],
    "loop_cycle": ["pair", "triple", "quad", "noisy_cycle", "slow_cycle"],
    "ping_pong": ["fast_bare", "slow_hours", "with_work", "new_session_legs"],
    "step_runaway": ["ordinary_varied", "pagination_forever", "cheap_many", "long_type_overrun", "slow_steps"],
    "retry_storm": ["rate_limit_429", "tool_error_loop", "billed_llm_errors", "paid_api_errors"],
    "context_growth": ["dump_uncached", "dump_cached", "accumulate_attachments", "doubling_history"],
    "subagent_fanout": ["flat_fast", "flat_slow", "recursive_tree", "respawn_failed"],
    "cost_spike": ["model_switch_mid", "pricey_from_first", "context_5x", "reasoning_high"],
    "session_budget": ["slow_burn", "paid_tool_burn", "big_outputs", "heavy_reasoning"],
}

TRAPS_COMMON = ["batch_operation", "one_expensive_action", "long_task_type", "legit_retries",
                "wide_fanout", "planned_escalation", "status_polling", "context_trimmed",
                "handoff_return", "new_pricey_agent"]
TRAPS_DOMAIN = {
    "browser": ["screenshot_each_action", "captcha_retry", "page_wait_same_selector",
                "bounded_infinite_scroll", "screenshot_same_args"],
    "sre": ["health_check_repeat", "flaky_ci_rerun", "incident_burst", "big_log_pull"],
    "sales": ["email_batch", "revision_rounds", "search_many_queries", "enrichment_batch"],
    "localization": ["per_language_fanout", "long_doc_cached", "glossary_lookups", "qa_roundtrip"],
}
TRAPS_FLEET = ["provider_outage", "model_upgrade", "price_change", "no_task_type",
               "uncatalogued_model_cost", "uncatalogued_model_nocost"]

# --------------------------------------------------------------------------------------
# emitter styles: how each agent's telemetry shim writes events
STYLES = {
    "A": dict(ts="iso_ms", idf="uuid", cost=True, llm_tool=True, kind_llm=True, v=True, compact=True,
              dims=True, sparse=False, status_ok=True, latency=True),
    "B": dict(ts="epoch", idf="evt", cost=False, llm_tool=False, kind_llm=False, v=False, compact=True,
              dims=False, sparse=True, status_ok=False, latency=True),
    "C": dict(ts="iso_off", idf="uuid", cost=True, llm_tool=True, kind_llm=True, v=False, compact=False,
              dims=True, sparse=False, status_ok=True, latency=False),
    "D": dict(ts="iso_us", idf="hex", cost=False, llm_tool=True, kind_llm=True, v=True, compact=True,
              dims=True, sparse=True, status_ok=False, latency=True),
    "E": dict(ts="iso_s", idf="ulid", cost=True, llm_tool=False, kind_llm=True, v=False, compact=True,
              dims=False, sparse=False, status_ok=True, latency=True),
}


def A(aid, model, style="A", cache="auto", out=(60, 350), sys_=(2500, 6000), reason=None,
      think=(150, 1500), keep_imgs=0, shots=False, shot_args="vary", team="platform", spawn_tool="spawn_subagent",
      trim_at=None, pricey=None, debut=None):
    return dict(id=aid, model=model, style=style, cache=cache, out=out, sys=sys_, reason=reason, think=think,
                keep_imgs=keep_imgs, shots=shots, shot_args=shot_args, team=team, spawn_tool=spawn_tool,
                trim_at=trim_at, pricey=pricey, debut=debut)


REASONING_MODELS = ("gpt-5", "o3", "o4", "gemini-2.5-pro", "gemini-2.5-flash", "deepseek-reasoner",
                    "gemini-3", "magistral")

# --------------------------------------------------------------------------------------
# small helpers


def h16(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def wchoice(r, d):
    ks = list(d.keys())
    ws = list(d.values())
    return r.choices(ks, ws)[0]


def fmt_ts(ms, kind, r_off):
    if kind == "epoch":
        return ms
    s, frac = divmod(ms, 1000)
    if kind == "iso_off":
        off = r_off
        tt = time.gmtime(s + off * 3600)
        sign = "+" if off >= 0 else "-"
        return time.strftime("%Y-%m-%dT%H:%M:%S", tt) + ".%03d%s%02d:00" % (frac, sign, abs(off))
    tt = time.gmtime(s)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", tt)
    if kind == "iso_ms":
        return base + ".%03dZ" % frac
    if kind == "iso_s":
        return base + "Z"
    if kind == "iso_us":
        return base + ".%03d%03d+00:00" % (frac, (ms * 7919) % 1000)
    return base + "Z"


def price(cat, model, it, ot, cr, cw, rt):
    m = cat.get(model)
    if m is None:
        return None
    ip = m.get("input_cost_per_token") or 0.0
    op = m.get("output_cost_per_token") or 0.0
    crp = m.get("cache_read_input_token_cost")
    crp = ip if crp is None else crp
    cwp = m.get("cache_creation_input_token_cost")
    cwp = ip if cwp is None else cwp
    rp = m.get("output_cost_per_reasoning_token")
    rp = op if rp is None else rp
    return it * ip + ot * op + cr * crp + cw * cwp + rt * rp


# --------------------------------------------------------------------------------------
# Domains

SITES = ["shop.northwind-outfitters.com", "portal.cityutilities.gov", "app.hrflow.io", "book.skylane-air.com",
         "my.telco-one.net", "careers.globex.com", "dmv.state-services.org", "store.pixelparts.dev",
         "insure.brightcover.com", "tickets.arenalive.com", "b2b.supplyhub.eu", "returns.megamart.com"]
PATHS = ["login", "signup", "cart", "checkout", "account/settings", "search", "products", "orders", "support/new",
         "forms/claim", "profile/edit", "billing", "apply", "listing", "help", "dashboard"]
SERVICES = ["checkout-api", "payments", "auth-svc", "search-indexer", "cart", "inventory", "notif-worker",
            "gateway", "orders-db-proxy", "pricing", "recs-ml", "media-upload", "ledger", "kafka-connect",
            "session-store", "email-sender"]
NAMESPACES = ["prod", "prod-eu", "prod-us", "staging", "data", "edge", "batch"]
COMPANIES = ["Initech", "Umbrella Health", "Stark Logistics", "Wayne Foods", "Hooli", "Vandelay Imports",
             "Soylent Corp", "Cyberdyne Rail", "Tyrell Bio", "Acme Retail", "Globex Energy", "Wonka Labs",
             "Aperture Freight", "Massive Dynamic", "Oscorp Pharma", "Pied Piper", "Dunder Paper", "Prestige Wkly"]
LANGS = ["de", "fr", "es", "it", "pt-BR", "ja", "ko", "zh-CN", "zh-TW", "nl", "sv", "pl", "tr", "ru", "ar",
         "he", "th", "vi", "id", "cs", "da", "fi", "nb", "uk", "hi", "ro", "hu", "el", "ms", "fil", "bg", "hr",
         "sk", "sl", "lt", "lv", "et", "ca", "sr", "bn"]


def rid(r, n=8):
    return "%0*x" % (n, r.getrandbits(4 * n))


# ---- tool definitions: name -> dict(args=fn(r,s), res=(lo,hi), lat=(lo,hi), cost=None|(lo,hi), img, err)

def _browser_tools():
    def nav(r, s):
        return {"url": "https://%s/%s?ref=%s" % (s.data["site"], r.choice(PATHS), rid(r, 4))}

    def click(r, s):
        if r.random() < 0.5:
            return {"x": r.randint(10, 1270), "y": r.randint(10, 790)}
        return {"selector": "#%s-%d" % (r.choice(["btn", "link", "field", "tab", "chk"]), r.randint(1, 60))}

    def typ(r, s):
        return {"selector": "input[name=f%d]" % r.randint(1, 30), "text_len": r.randint(3, 60)}

    def scroll(r, s):
        s.data["scroll"] += r.choice([400, 600, 800])
        return {"dy": 600, "y": s.data["scroll"]}

    def wait_for(r, s):
        return {"selector": r.choice([".spinner", "#results", ".toast", "form"]), "state": "visible",
                "n": r.randint(1, 999)}

    def read_page(r, s):
        return {"url": "https://%s/%s" % (s.data["site"], r.choice(PATHS)), "mode": "text", "p": r.randint(1, 9)}

    def select(r, s):
        return {"selector": "select#s%d" % r.randint(1, 12), "value": rid(r, 3)}

    def key(r, s):
        return {"key": r.choice(["Enter", "Tab", "Escape", "PageDown"]), "n": r.randint(1, 99)}

    def extract(r, s):
        s.data["page"] += 1
        return {"url": "https://%s/listing?page=%d" % (s.data["site"], s.data["page"]), "table": "main"}

    def captcha(r, s):
        return {"site": s.data["site"], "type": r.choice(["recaptcha_v2", "hcaptcha", "turnstile"]),
                "challenge": rid(r, 10)}

    def upload(r, s):
        return {"selector": "input[type=file]", "file": "doc_%s.pdf" % rid(r, 4)}

    def mfa(r, s):
        return {"account": s.data["site"], "channel": r.choice(["email", "sms", "totp"])}

    return {
        "navigate": dict(args=nav, res=(150, 500), lat=(500, 4000)),
        "click": dict(args=click, res=(20, 80), lat=(80, 700)),
        "type": dict(args=typ, res=(15, 60), lat=(100, 900)),
        "scroll": dict(args=scroll, res=(20, 80), lat=(60, 400)),
        "wait_for": dict(args=wait_for, res=(15, 50), lat=(300, 9000)),
        "read_page": dict(args=read_page, res=(800, 3500), lat=(300, 2500)),
        "select_option": dict(args=select, res=(15, 50), lat=(80, 500)),
        "key_press": dict(args=key, res=(10, 40), lat=(40, 300)),
        "extract_table": dict(args=extract, res=(600, 2800), lat=(400, 3000)),
        "solve_captcha": dict(args=captcha, res=(30, 80), lat=(8000, 45000), cost=(0.001, 0.003)),
        "upload_file": dict(args=upload, res=(20, 60), lat=(500, 4000)),
        "fetch_mfa_code": dict(args=mfa, res=(20, 60), lat=(2000, 30000)),
        "render_api": dict(args=lambda r, s: {"url": "https://%s/%s?p=%d" % (s.data["site"], r.choice(PATHS),
                                                                             r.randint(1, 99999)), "js": True},
                           res=(800, 3000), lat=(2000, 15000), cost=(0.004, 0.015)),
    }


def _sre_tools():
    def svc(s):
        return s.data["svc"]

    def logs(r, s):
        return {"q": '{app="%s",ns="%s"} |= "%s"' % (r.choice([svc(s)] * 3 + SERVICES), s.data["ns"],
                                                     r.choice(["error", "timeout", "OOM", "5xx", "panic", "refused"])),
                "range": r.choice(["5m", "15m", "1h", "6h"]), "limit": r.choice([200, 500, 1000])}

    def metrics(r, s):
        m = r.choice(["rate(http_requests_total{code=~\"5..\"}[5m])", "histogram_quantile(0.99, latency_bucket)",
                      "container_memory_working_set_bytes", "kube_pod_container_status_restarts_total",
                      "node_cpu_seconds_total", "pg_stat_activity_count", "kafka_consumergroup_lag"])
        return {"promql": m, "svc": r.choice([svc(s)] * 3 + SERVICES), "range": r.choice(["30m", "3h", "24h"]),
                "step": r.choice(["15s", "1m", "5m"])}

    def kget(r, s):
        return {"resource": r.choice(["pods", "deploy", "events", "hpa", "nodes", "svc"]), "ns": s.data["ns"],
                "selector": "app=%s" % r.choice([svc(s), svc(s), r.choice(SERVICES)])}

    def kdesc(r, s):
        return {"kind": "pod", "name": "%s-%s-%s" % (svc(s), rid(r, 5), rid(r, 3)), "ns": s.data["ns"]}

    def klogs(r, s):
        return {"pod": "%s-%s-%s" % (svc(s), rid(r, 5), rid(r, 3)), "tail": r.choice([100, 200, 500]),
                "previous": r.random() < 0.3}

    def restart(r, s):
        return {"deploy": svc(s), "ns": s.data["ns"]}

    def rstatus(r, s):
        return {"deploy": svc(s), "ns": s.data["ns"], "rev": s.data["rev"]}

    def tplan(r, s):
        return {"dir": "infra/%s" % s.data["stack"], "workspace": s.data["ns"], "rev": rid(r, 6)}

    def tapply(r, s):
        return {"dir": "infra/%s" % s.data["stack"], "plan": s.data["plan"]}

    def dtrigger(r, s):
        return {"service": svc(s), "version": s.data["ver"], "strategy": r.choice(["canary", "rolling"])}

    def dstatus(r, s):
        return {"deploy_id": s.data["deploy"]}

    def cirerun(r, s):
        return {"pipeline": s.data["pipe"], "job": s.data["job"]}

    def cistatus(r, s):
        return {"run_id": s.data["run"]}

    def cilogs(r, s):
        return {"run_id": s.data["run"], "step": r.choice(["build", "unit", "integration", "lint", "e2e"])}

    def health(r, s):
        return {"url": "https://%s.%s.internal/healthz" % (svc(s), s.data["ns"])}

    def runbook(r, s):
        return {"id": "RB-%03d" % r.randint(1, 140)}

    def slack(r, s):
        return {"channel": "#inc-%s" % s.data["inc"], "msg": rid(r, 8)}

    def gitdiff(r, s):
        return {"repo": "svc-%s" % svc(s), "base": "main", "head": rid(r, 7)}

    def openpr(r, s):
        return {"repo": "svc-%s" % svc(s), "branch": "fix/%s" % rid(r, 5)}

    def sql(r, s):
        return {"db": "orders", "query_hash": rid(r, 10)}

    return {
        "query_logs": dict(args=logs, res=(600, 4500), lat=(400, 6000)),
        "query_metrics": dict(args=metrics, res=(200, 1600), lat=(200, 3000)),
        "kubectl_get": dict(args=kget, res=(200, 1500), lat=(200, 1500)),
        "kubectl_describe": dict(args=kdesc, res=(800, 3000), lat=(200, 1500)),
        "kubectl_logs": dict(args=klogs, res=(1000, 5000), lat=(300, 3000)),
        "kubectl_rollout_restart": dict(args=restart, res=(30, 80), lat=(500, 3000)),
        "kubectl_rollout_status": dict(args=rstatus, res=(30, 120), lat=(500, 5000)),
        "terraform_plan": dict(args=tplan, res=(1200, 8000), lat=(15000, 120000)),
        "terraform_apply": dict(args=tapply, res=(300, 2000), lat=(30000, 300000)),
        "deploy_trigger": dict(args=dtrigger, res=(40, 120), lat=(800, 4000)),
        "deploy_status": dict(args=dstatus, res=(40, 160), lat=(150, 900)),
        "ci_rerun": dict(args=cirerun, res=(30, 90), lat=(500, 2500)),
        "ci_status": dict(args=cistatus, res=(60, 300), lat=(150, 900)),
        "ci_logs": dict(args=cilogs, res=(1500, 6000), lat=(400, 3000)),
        "health_check": dict(args=health, res=(20, 60), lat=(30, 1500)),
        "runbook_fetch": dict(args=runbook, res=(800, 3000), lat=(100, 600)),
        "slack_post": dict(args=slack, res=(10, 30), lat=(150, 800)),
        "git_diff": dict(args=gitdiff, res=(500, 4000), lat=(300, 2000)),
        "open_pr": dict(args=openpr, res=(40, 120), lat=(800, 3000)),
        "sql_readonly": dict(args=sql, res=(300, 2500), lat=(200, 8000)),
        "bq_log_scan": dict(args=lambda r, s: {"table": "logs.%s" % s.data["svc"].replace("-", "_"),
                                               "q": rid(r, 8), "days": r.choice([1, 7, 30])},
                            res=(500, 3000), lat=(3000, 40000), cost=(0.02, 0.35)),
    }


def _sales_tools():
    def search(r, s):
        return {"q": "%s %s %s" % (s.data["co"], r.choice(["funding", "hiring", "CTO", "expansion", "earnings",
                                                          "competitors", "tech stack", "news", "partnership"]),
                                   rid(r, 3)), "n": 10}

    def fetch(r, s):
        return {"url": "https://%s.com/%s" % (s.data["co"].split()[0].lower(),
                                              r.choice(["about", "blog/%s" % rid(r, 5), "careers", "press", "pricing"]))}

    def li(r, s):
        return {"profile": "in/%s" % rid(r, 8)}

    def enrich(r, s):
        s.data["lead"] += 1
        return {"email": "lead%05d@%s.com" % (s.data["lead"] + s.data["lead0"],
                                              s.data["co"].split()[0].lower()), "fields": "all"}

    def csearch(r, s):
        return {"object": r.choice(["account", "contact", "opportunity"]), "q": rid(r, 6)}

    def cget(r, s):
        return {"id": "001%s" % rid(r, 9)}

    def cupd(r, s):
        s.data["lead"] += 1
        return {"id": "003%s" % rid(r, 9), "n": s.data["lead"], "fields": r.choice(["title", "phone", "stage", "owner"])}

    def draft(r, s):
        s.data["lead"] += 1
        return {"lead_id": "003%06d" % (s.data["lead"] + s.data["lead0"]), "template": s.data["tpl"]}

    def queue(r, s):
        return {"lead_id": "003%06d" % (s.data["lead"] + s.data["lead0"]), "sequence": s.data["tpl"]}

    def quote(r, s):
        return {"sku_set": rid(r, 6), "seats": r.randint(10, 5000)}

    def cal(r, s):
        return {"account": s.data["co"], "days": 14}

    return {
        "web_search": dict(args=search, res=(600, 2200), lat=(500, 2500), cost=(0.005, 0.005)),
        "fetch_url": dict(args=fetch, res=(1200, 6000), lat=(300, 4000)),
        "linkedin_lookup": dict(args=li, res=(300, 1200), lat=(600, 3000), cost=(0.01, 0.01)),
        "enrich_contact": dict(args=enrich, res=(150, 500), lat=(300, 2500), cost=(0.02, 0.04)),
        "crm_search": dict(args=csearch, res=(200, 1200), lat=(200, 1200)),
        "crm_get": dict(args=cget, res=(300, 1500), lat=(150, 900)),
        "crm_update": dict(args=cupd, res=(20, 60), lat=(150, 900)),
        "save_draft": dict(args=draft, res=(20, 60), lat=(100, 600)),
        "queue_email": dict(args=queue, res=(20, 50), lat=(100, 600)),
        "price_book": dict(args=quote, res=(500, 2500), lat=(300, 1500)),
        "calendar_lookup": dict(args=cal, res=(100, 500), lat=(200, 900)),
    }


def _loc_tools():
    def fetch(r, s):
        s.data["chunk"] += 1
        return {"file": s.data["file"], "chunk": s.data["chunk"]}

    def gloss(r, s):
        return {"term": rid(r, 5), "lang": s.data["lang"]}

    def tm(r, s):
        return {"seg": rid(r, 10), "lang": s.data["lang"]}

    def mt(r, s):
        return {"seg": rid(r, 10), "lang": s.data["lang"], "engine": "deepl"}

    def write(r, s):
        return {"file": s.data["file"], "lang": s.data["lang"], "chunk": s.data["chunk"], "rev": rid(r, 4)}

    def qa(r, s):
        return {"file": s.data["file"], "lang": s.data["lang"], "checks": r.choice(["all", "placeholders", "length"]),
                "rev": rid(r, 4)}

    def ph(r, s):
        return {"file": s.data["file"], "lang": s.data["lang"], "rev": rid(r, 4)}

    def commit(r, s):
        return {"lang": s.data["lang"], "branch": "l10n/%s" % s.data["rel"]}

    def strings(r, s):
        return {"bundle": s.data["file"], "since": s.data["rel"], "page": r.randint(1, 50)}

    return {
        "fetch_source": dict(args=fetch, res=(900, 4000), lat=(100, 900)),
        "glossary_lookup": dict(args=gloss, res=(30, 160), lat=(40, 400)),
        "tm_lookup": dict(args=tm, res=(60, 320), lat=(60, 500)),
        "mt_translate": dict(args=mt, res=(200, 900), lat=(300, 2000), cost=(0.0008, 0.008)),
        "write_translation": dict(args=write, res=(15, 50), lat=(80, 600)),
        "run_qa_checks": dict(args=qa, res=(200, 2200), lat=(500, 6000)),
        "placeholder_check": dict(args=ph, res=(40, 300), lat=(100, 900)),
        "commit_strings": dict(args=commit, res=(20, 60), lat=(500, 3000)),
        "list_strings": dict(args=strings, res=(800, 3500), lat=(200, 1500)),
    }


def _browser_setup(r, s):
    s.data.update(site=r.choice(SITES), scroll=0, page=0, tab=rid(r, 4), seq=0)


def _sre_setup(r, s):
    s.data.update(svc=r.choice(SERVICES), ns=r.choice(NAMESPACES), rev=r.randint(20, 900), stack=r.choice(
        ["network", "eks-prod", "rds", "iam", "cdn", "queues", "observability"]), plan=rid(r, 8),
        ver="v%d.%d.%d" % (r.randint(1, 9), r.randint(0, 40), r.randint(0, 20)), deploy="dep-%s" % rid(r, 8),
        pipe="svc-%s" % r.choice(SERVICES), job=r.choice(["integration", "e2e", "unit", "build"]), run=rid(r, 9),
        inc=r.randint(1000, 9999))


def _sales_setup(r, s):
    s.data.update(co=r.choice(COMPANIES), lead=0, lead0=r.randint(0, 90000), tpl="seq-%s" % rid(r, 4))


def _loc_setup(r, s):
    s.data.update(file=r.choice(["app/strings.json", "docs/guide.md", "web/checkout.po", "ios/Localizable.strings",
                                 "docs/api-reference.md", "marketing/launch.html", "android/strings.xml"]),
                  chunk=0, lang=r.choice(LANGS), rel="r%d.%d" % (r.randint(20, 30), r.randint(0, 12)))


DOMAINS = {}


def _mk_domains():
    # ---------------------------------------------------------------- browser
    DOMAINS["browser"] = dict(
        tools=_browser_tools(), setup=_browser_setup, team="web-automation",
        actions={"click", "type", "scroll", "navigate", "select_option", "key_press", "upload_file"},
        agents=[
            A("web-operator", "claude-sonnet-4-5", "A", "explicit", (80, 300), (3500, 6500), keep_imgs=3, shots=True,
              team="web-automation"),
            A("cu-runner", "computer-use-preview", "B", None, (40, 160), (1200, 2000), keep_imgs=1, shots=True,
              team="ops-automation", trim_at=2500),
            A("gemini-cu", "gemini-2.5-computer-use-preview-10-2025", "C", None, (60, 250), (3000, 5000), keep_imgs=2,
              shots=True, team="commerce"),
            A("qa-crawler", "claude-haiku-4-5", "D", "explicit", (40, 200), (2500, 4500), keep_imgs=2, shots=True,
              team="qa", trim_at=30000),
            A("scrape-lite", "gpt-4.1-mini", "E", "auto", (50, 300), (1500, 3000), keep_imgs=1, shots=True,
              shot_args="same", team="data"),
            A("auth-helper", "gpt-5-mini", "A", "auto", (60, 200), (2000, 3000), reason=(100, 900), keep_imgs=1,
              shots=True, team="web-automation"),
            A("vision-auditor", "claude-opus-4-5", "A", "explicit", (200, 900), (5000, 8000), keep_imgs=3, shots=True,
              team="accessibility", debut=0.55),
        ],
        tasks={
            "form_fill": dict(agents=["web-operator", "cu-runner", "gemini-cu"], steps=(8, 22), fan=None,
                              tools={"click": 3, "type": 4, "select_option": 1, "scroll": 1, "wait_for": 1,
                                     "key_press": 1, "upload_file": 0.3}, final=(100, 400)),
            "web_checkout": dict(agents=["web-operator", "gemini-cu"], steps=(14, 34),
                                 tools={"click": 4, "type": 2, "navigate": 1, "scroll": 1, "wait_for": 1,
                                        "select_option": 1, "solve_captcha": 0.05}, final=(100, 300)),
            "data_extract": dict(agents=["scrape-lite", "web-operator", "cu-runner"], steps=(10, 28),
                                 tools={"navigate": 2, "read_page": 3, "extract_table": 3, "scroll": 2, "click": 1},
                                 final=(400, 1500), fan=(2, 6), child=("scrape-lite", "page_scrape")),
            "page_scrape": dict(agents=["scrape-lite"], steps=(3, 8), child_only=True,
                                tools={"navigate": 1, "read_page": 2, "extract_table": 2, "scroll": 1},
                                final=(200, 800)),
            "account_setup": dict(agents=["web-operator", "cu-runner"], steps=(12, 28),
                                  tools={"click": 3, "type": 4, "navigate": 1, "wait_for": 1, "select_option": 1,
                                         "solve_captcha": 0.15},
                                  final=(80, 250)),
            "price_monitor": dict(agents=["scrape-lite", "cu-runner"], steps=(3, 9),
                                  tools={"navigate": 2, "read_page": 3, "extract_table": 1}, final=(100, 400)),
            "site_qa_regression": dict(agents=["qa-crawler"], steps=(110, 260), long=True,
                                       tools={"navigate": 2, "click": 4, "type": 2, "scroll": 1, "read_page": 1,
                                              "wait_for": 1}, final=(800, 2500)),
            "login_assist": dict(agents=["auth-helper"], steps=(3, 8), child_only=True,
                                 tools={"type": 3, "click": 2, "fetch_mfa_code": 1, "wait_for": 1}, final=(40, 120)),
            "accessibility_audit": dict(agents=["vision-auditor"], steps=(8, 20),
                                        tools={"navigate": 2, "read_page": 2, "scroll": 2, "click": 1, "key_press": 2},
                                        final=(1200, 3500)),
        },
        poll=("wait_for", lambda r, s: {"selector": "#status-%s" % s.data["tab"], "state": "done"}),
        pingpong=("web-operator", "account_setup", "auth-helper", "login_assist"),
        handoff_pair=("web-operator", "account_setup", "auth-helper", "login_assist"),
        batch=("extract_table", "data_extract"),
        paid="render_api",
        fanout=("web-operator", "data_extract", "scrape-lite", "page_scrape"),
        spike={"claude-sonnet-4-5": "claude-opus-4-1", "gpt-4.1-mini": "gpt-4.1", "claude-haiku-4-5": "claude-opus-4-5",
               "gemini-2.5-computer-use-preview-10-2025": "gpt-5-pro", "computer-use-preview": "claude-opus-4-1",
               "gpt-5-mini": "gpt-5"},
        escalate="claude-opus-4-5",
        loop=[("click", {"selector": "#btn-submit"}), ("navigate", None), ("wait_for", {"selector": "#results", "state": "visible"})],
        cycle=["navigate", "read_page", "click", "scroll", "key_press"],
        errtool="click",
        pagination="scroll",
    )
    # ---------------------------------------------------------------- sre
    DOMAINS["sre"] = dict(
        tools=_sre_tools(), setup=_sre_setup, team="sre", actions=set(),
        agents=[
            A("triage-agent", "claude-sonnet-4-5", "A", "explicit", (100, 500), (5000, 9000), team="sre", trim_at=60000),
            A("k8s-specialist", "gpt-5", "C", "auto", (100, 400), (4000, 7000), reason=(300, 2500), team="platform"),
            A("db-specialist", "claude-opus-4-5", "A", "explicit", (150, 600), (4000, 7000), team="data-platform"),
            A("deploy-bot", "gpt-5-mini", "B", "auto", (40, 200), (2000, 3500), reason=(64, 600), team="release"),
            A("ci-doctor", "gemini-2.5-flash", "D", "auto", (80, 400), (3000, 5000), reason=(100, 1200), team="devex"),
            A("infra-planner", "claude-sonnet-4-5", "E", "explicit", (150, 700), (6000, 10000), team="infra"),
            A("runbook-runner", "claude-haiku-4-5", "B", "explicit", (50, 250), (2500, 4000), team="sre"),
            A("postmortem-writer", "o3", "A", "auto", (1500, 4000), (4000, 6000), reason=(1500, 8000), team="sre"),
            A("capacity-analyst", "gemini-2.5-pro", "C", "auto", (100, 500), (4000, 6000), reason=(200, 1500),
              team="finops", trim_at=120000),
            A("sec-responder", "gpt-5.2", "A", "auto", (200, 800), (6000, 9000), reason=(500, 3000), team="security",
              debut=0.5),
        ],
        tasks={
            "incident_triage": dict(agents=["triage-agent"], steps=(12, 32),
                                    tools={"query_logs": 4, "query_metrics": 4, "kubectl_get": 2, "kubectl_logs": 2,
                                           "runbook_fetch": 1, "slack_post": 1, "health_check": 1, "kubectl_describe": 1},
                                    final=(300, 1200), fan=(1, 4), child=("runbook-runner", "runbook_exec")),
            "k8s_remediation": dict(agents=["k8s-specialist"], steps=(6, 18),
                                    tools={"kubectl_get": 3, "kubectl_describe": 2, "kubectl_logs": 2,
                                           "kubectl_rollout_restart": 0.5, "kubectl_rollout_status": 1,
                                           "query_metrics": 1}, final=(200, 800)),
            "db_investigation": dict(agents=["db-specialist"], steps=(6, 16),
                                     tools={"sql_readonly": 4, "query_metrics": 2, "query_logs": 1}, final=(300, 900)),
            "deploy_rollout": dict(agents=["deploy-bot"], steps=(5, 12), poll=True,
                                   tools={"deploy_trigger": 0.5, "kubectl_rollout_status": 2, "query_metrics": 2,
                                          "health_check": 1, "slack_post": 1}, final=(80, 300)),
            "ci_fix": dict(agents=["ci-doctor"], steps=(10, 28),
                           tools={"ci_status": 2, "ci_logs": 3, "git_diff": 2, "open_pr": 0.3, "ci_rerun": 0.5},
                           final=(200, 800)),
            "terraform_change": dict(agents=["infra-planner"], steps=(6, 16),
                                     tools={"terraform_plan": 1, "git_diff": 2, "slack_post": 1, "query_metrics": 1},
                                     final=(300, 900)),
            "runbook_exec": dict(agents=["runbook-runner"], steps=(5, 14),
                                 tools={"runbook_fetch": 1, "kubectl_get": 2, "health_check": 2, "query_metrics": 1,
                                        "kubectl_rollout_status": 1}, final=(80, 300)),
            "postmortem": dict(agents=["postmortem-writer"], steps=(3, 8),
                               tools={"query_logs": 1, "slack_post": 0.5, "query_metrics": 1, "git_diff": 1},
                               final=(2500, 6000)),
            "capacity_report": dict(agents=["capacity-analyst"], steps=(90, 220), long=True,
                                    tools={"query_metrics": 8, "kubectl_get": 1, "sql_readonly": 1}, final=(2000, 5000)),
            "security_alert": dict(agents=["sec-responder"], steps=(6, 16),
                                   tools={"query_logs": 4, "kubectl_get": 1, "git_diff": 1, "slack_post": 1},
                                   final=(400, 1200)),
        },
        poll=("deploy_status", None),
        pingpong=("triage-agent", "incident_triage", "k8s-specialist", "k8s_remediation"),
        handoff_pair=("triage-agent", "incident_triage", "db-specialist", "db_investigation"),
        batch=("query_metrics", "capacity_report"),
        paid="bq_log_scan",
        fanout=("triage-agent", "incident_triage", "runbook-runner", "runbook_exec"),
        spike={"claude-sonnet-4-5": "claude-opus-4-1", "gpt-5": "claude-opus-4-1", "gpt-5-mini": "gpt-5",
               "gemini-2.5-flash": "gemini-2.5-pro", "claude-haiku-4-5": "claude-opus-4-5", "o3": "o3-pro",
               "gemini-2.5-pro": "claude-opus-4-1", "claude-opus-4-5": "claude-opus-4-1", "gpt-5.2": "gpt-5.2-pro"},
        escalate="claude-opus-4-5",
        loop=[("kubectl_get", None), ("health_check", None), ("ci_status", None), ("query_logs", None)],
        cycle=["kubectl_get", "kubectl_describe", "kubectl_logs", "kubectl_rollout_restart", "kubectl_rollout_status"],
        errtool="ci_rerun",
        pagination="query_logs",
    )
    # ---------------------------------------------------------------- sales
    DOMAINS["sales"] = dict(
        tools=_sales_tools(), setup=_sales_setup, team="revops", actions=set(),
        agents=[
            A("lead-researcher", "gpt-4.1-mini", "A", "auto", (100, 500), (2500, 4000), team="sdr"),
            A("enricher", "gpt-5-nano", "B", "auto", (30, 120), (1200, 2000), reason=(0, 300), team="revops",
              trim_at=20000),
            A("email-writer", "claude-sonnet-4-5", "A", "explicit", (250, 700), (3000, 5000), team="sdr"),
            A("email-reviewer", "gpt-5-mini", "C", "auto", (80, 300), (2000, 3000), reason=(100, 800), team="sdr"),
            A("account-strategist", "claude-opus-4-5", "A", "explicit", (300, 1200), (5000, 8000), team="ae"),
            A("crm-hygiene", "gemini-2.5-flash-lite", "D", "auto", (30, 150), (1500, 2500), team="revops",
              trim_at=25000),
            A("deal-desk", "o3", "E", "auto", (400, 1500), (3000, 5000), reason=(1000, 6000), team="finance"),
            A("meeting-prep", "mistral/mistral-medium-latest", "D", "auto", (300, 900), (2000, 3500), team="ae"),
            A("intent-scorer", "claude-opus-4-1", "A", "explicit", (100, 400), (4000, 6000), team="marketing",
              debut=0.6),
        ],
        tasks={
            "lead_research": dict(agents=["lead-researcher"], steps=(6, 16),
                                  tools={"web_search": 4, "fetch_url": 3, "linkedin_lookup": 1, "crm_get": 1},
                                  final=(300, 900)),
            "list_enrichment": dict(agents=["enricher"], steps=(40, 160), long=True,
                                    tools={"enrich_contact": 6, "crm_update": 3, "crm_search": 1}, final=(100, 400)),
            "email_batch": dict(agents=["email-writer"], steps=(12, 40),
                                tools={"crm_get": 2, "save_draft": 4, "fetch_url": 1}, final=(200, 600)),
            "email_review": dict(agents=["email-reviewer"], steps=(2, 6), child_only=True,
                                 tools={"crm_get": 1, "queue_email": 1}, final=(200, 600)),
            "account_plan": dict(agents=["account-strategist"], steps=(4, 10),
                                 tools={"crm_search": 1, "crm_get": 2, "web_search": 1}, final=(1500, 4000),
                                 fan=(3, 8), child=("lead-researcher", "lead_research")),
            "crm_cleanup": dict(agents=["crm-hygiene"], steps=(60, 220), long=True,
                                tools={"crm_update": 6, "crm_search": 2, "crm_get": 1}, final=(100, 300)),
            "pricing_quote": dict(agents=["deal-desk"], steps=(2, 6),
                                  tools={"price_book": 2, "crm_get": 1}, final=(800, 2000)),
            "meeting_brief": dict(agents=["meeting-prep"], steps=(4, 10),
                                  tools={"crm_get": 2, "web_search": 2, "calendar_lookup": 1, "fetch_url": 1},
                                  final=(800, 2000)),
            "intent_scoring": dict(agents=["intent-scorer"], steps=(4, 10),
                                   tools={"crm_search": 1, "web_search": 2, "crm_update": 1}, final=(300, 800)),
        },
        poll=("crm_search", lambda r, s: {"object": "import_job", "q": "job-%s" % s.data["tpl"]}),
        pingpong=("email-writer", "email_batch", "email-reviewer", "email_review"),
        handoff_pair=("email-writer", "email_batch", "email-reviewer", "email_review"),
        batch=("enrich_contact", "list_enrichment"),
        paid="enrich_contact",
        fanout=("account-strategist", "account_plan", "lead-researcher", "lead_research"),
        spike={"gpt-4.1-mini": "gpt-4.1", "gpt-5-nano": "gpt-5-mini", "claude-sonnet-4-5": "claude-opus-4-1",
               "gpt-5-mini": "gpt-5", "claude-opus-4-5": "claude-opus-4-1", "gemini-2.5-flash-lite": "gemini-2.5-pro",
               "o3": "o3-pro", "mistral/mistral-medium-latest": "claude-opus-4-5", "claude-opus-4-1": "gpt-5-pro"},
        escalate="claude-opus-4-5",
        loop=[("web_search", None), ("crm_get", None), ("fetch_url", None)],
        cycle=["web_search", "fetch_url", "crm_get", "linkedin_lookup", "crm_search"],
        errtool="enrich_contact",
        pagination="web_search",
    )
    # ---------------------------------------------------------------- localization
    DOMAINS["localization"] = dict(
        tools=_loc_tools(), setup=_loc_setup, team="l10n", actions=set(),
        agents=[
            A("loc-coordinator", "gpt-5-mini", "A", "auto", (100, 400), (2500, 4000), reason=(100, 600), team="l10n"),
            A("translator", "claude-sonnet-4-5", "A", "explicit", (400, 1500), (4000, 7000), team="l10n"),
            A("translator-lite", "gemini-2.5-flash", "D", "auto", (300, 1200), (2500, 4000), reason=(0, 400),
              team="l10n"),
            A("translator-eu", "mistral/mistral-large-latest", "B", "auto", (300, 1200), (2500, 4000), team="l10n-eu"),
            A("loc-qa", "gpt-5", "C", "auto", (150, 600), (3000, 5000), reason=(200, 1500), team="l10n"),
            A("doc-translator", "claude-sonnet-4-6", "E", "explicit", (800, 2500), (8000, 14000), team="docs",
              trim_at=70000),
            A("glossary-curator", "gpt-4.1-nano", "B", "auto", (30, 150), (1500, 2500), team="l10n", trim_at=20000),
            A("transcreator", "claude-opus-4-5", "A", "explicit", (500, 1500), (5000, 8000), team="marketing"),
            A("legal-translator", "claude-opus-4-1", "A", "explicit", (800, 2000), (6000, 9000), team="legal",
              debut=0.5),
        ],
        tasks={
            "release_strings": dict(agents=["loc-coordinator"], steps=(3, 8),
                                    tools={"list_strings": 2, "commit_strings": 1, "glossary_lookup": 1},
                                    final=(200, 600), fan=(3, 12), child=("translator*", "translate_strings")),
            "translate_strings": dict(agents=["translator", "translator-lite", "translator-eu"], steps=(6, 20),
                                      tools={"fetch_source": 3, "glossary_lookup": 3, "tm_lookup": 2,
                                             "write_translation": 3, "placeholder_check": 1, "mt_translate": 0.5},
                                      final=(200, 600)),
            "doc_translation": dict(agents=["doc-translator"], steps=(50, 170), long=True,
                                    tools={"fetch_source": 4, "write_translation": 4, "glossary_lookup": 2,
                                           "tm_lookup": 1}, final=(300, 800)),
            "qa_review": dict(agents=["loc-qa"], steps=(4, 12), child_only=True,
                              tools={"run_qa_checks": 3, "placeholder_check": 2, "fetch_source": 1}, final=(200, 700)),
            "glossary_update": dict(agents=["glossary-curator"], steps=(20, 110), long=True,
                                    tools={"glossary_lookup": 6, "tm_lookup": 2}, final=(200, 600)),
            "marketing_transcreation": dict(agents=["transcreator"], steps=(3, 9),
                                            tools={"fetch_source": 2, "glossary_lookup": 2, "write_translation": 2},
                                            final=(1000, 3000)),
            "legal_translation": dict(agents=["legal-translator"], steps=(6, 16),
                                      tools={"fetch_source": 3, "glossary_lookup": 3, "write_translation": 3},
                                      final=(600, 1800)),
        },
        poll=("run_qa_checks", None),
        pingpong=("translator", "translate_strings", "loc-qa", "qa_review"),
        handoff_pair=("translator", "translate_strings", "loc-qa", "qa_review"),
        batch=("glossary_lookup", "glossary_update"),
        paid="mt_translate",
        fanout=("loc-coordinator", "release_strings", "translator-lite", "translate_strings"),
        spike={"claude-sonnet-4-5": "claude-opus-4-1", "gemini-2.5-flash": "gemini-2.5-pro",
               "mistral/mistral-large-latest": "claude-opus-4-5", "gpt-5-mini": "gpt-5", "gpt-5": "gpt-5-pro",
               "claude-sonnet-4-6": "claude-opus-4-1", "gpt-4.1-nano": "gpt-4.1", "claude-opus-4-5": "claude-opus-4-1",
               "claude-opus-4-1": "gpt-5-pro"},
        escalate="claude-opus-4-5",
        loop=[("glossary_lookup", None), ("run_qa_checks", None), ("fetch_source", None)],
        cycle=["fetch_source", "tm_lookup", "write_translation", "placeholder_check", "glossary_lookup"],
        errtool="write_translation",
        pagination="fetch_source",
    )
    for dn, D in DOMAINS.items():
        D["name"] = dn
        D["agent"] = {a["id"]: a for a in D["agents"]}


_mk_domains()

# mixed-profile extra agents (fleet effects)
UNCAT_COST = A("sales-copilot", "acme-sales-llm-v2", "A", None, (200, 600), (2000, 3500), team="sdr")
UNCAT_NOCOST = A("log-summarizer", "llama-3.3-70b-vllm-local", "B", None, (200, 700), (3000, 6000), team="sre")
UNCAT_PRICE = {"acme-sales-llm-v2": (6e-07, 2.4e-06)}
UNCAT_PROVIDER = {"acme-sales-llm-v2": "acme", "llama-3.3-70b-vllm-local": "vllm"}


# --------------------------------------------------------------------------------------
class Sess:
    __slots__ = ("g", "a", "D", "sid", "tt", "task_id", "parent", "t", "model", "base", "hist", "imgs", "cached",
                 "last_llm", "cache_model", "data", "lab", "n", "cost", "first_eid", "extra", "cost_mult",
                 "reason_mult", "start", "top", "fresh", "no_tt", "fallback", "dead", "eids", "style", "off", "out_mult")

    def __init__(self, g, D, agent, tt, task_id, t, parent=None, top=False):
        self.g = g
        r = g.rng
        self.a = agent
        self.D = D
        self.sid = g.new_sid(agent)
        self.tt = tt
        self.task_id = task_id
        self.parent = parent
        self.t = t
        self.start = t
        self.model = g.agent_model(agent, t)
        self.base = r.randint(*agent["sys"])
        self.hist = 0
        self.imgs = deque(maxlen=max(1, agent["keep_imgs"])) if agent["keep_imgs"] else None
        self.cached = 0
        self.last_llm = None
        self.cache_model = None
        self.data = {}
        self.n = 0
        self.cost = 0.0
        self.first_eid = None
        self.extra = 0
        self.cost_mult = g.cost_mult(agent, t)
        self.reason_mult = 1.0
        self.out_mult = 1.0
        self.fresh = False
        self.top = top
        self.no_tt = agent["id"] in g.no_tt_agents
        self.fallback = None
        self.dead = False
        self.eids = set()
        self.style = STYLES[agent["style"]]
        self.off = r.choice([2, -5, 1, 9]) if self.style["ts"] == "iso_off" else 0
        self.lab = dict(label="normal", kind="normal", onset=None, part_of=None, variant=None, traps=[])
        D["setup"](r, self)
        g.sessions.append(self)

    # ---- context
    def ctx(self):
        c = self.base + self.hist + self.extra
        if self.imgs:
            c += sum(self.imgs)
        return c

    def trap(self, name):
        if name not in self.lab["traps"]:
            self.lab["traps"].append(name)
        if self.lab["label"] == "normal" and self.lab["kind"] == "normal":
            self.lab["kind"] = name

    def runaway(self, kind, variant, part_of=None):
        self.lab.update(label="runaway", kind=kind, variant=variant, part_of=part_of)

    def mark_onset(self):
        self.lab["onset"] = "__next__"

    # ---- emission
    def _emit(self, ev):
        g = self.g
        eid = g.new_eid(self.style["idf"])
        st = self.style
        o = {}
        if st["v"]:
            o["v"] = 1
        o["event_id"] = eid
        o["ts"] = fmt_ts(self.t, st["ts"], self.off)
        o["session_id"] = self.sid
        o["agent_id"] = self.a["id"]
        if self.tt and not self.no_tt:
            o["task_type"] = self.tt
        o["task_id"] = self.task_id
        if self.parent:
            o["parent_session_id"] = self.parent
        if st["dims"]:
            o["tenant"] = g.tenant_of(self.task_id)
            o["team"] = self.a["team"]
            o["env"] = "prod"
        o.update(ev)
        if st["ts"] == "iso_off":
            o["labels"] = {"framework": "crewai", "region": "eu-west-1" if self.off > 0 else "us-east-1"}
        if self.lab["onset"] == "__next__":
            self.lab["onset"] = eid
        if self.first_eid is None:
            self.first_eid = eid
        self.n += 1
        self.eids.add(eid)
        line = json.dumps(o, separators=(",", ":") if st["compact"] else (", ", ": "))
        g.out.append((self.t, len(g.out), line, eid))
        return eid

    def wait(self, ms):
        self.t += int(ms)

    def llm(self, tool=None, out=None, model=None, status="ok", zero=False, reasoning=None, think=None,
            tail=None, billed_err=False):
        g = self.g
        r = g.rng
        a = self.a
        if self.dead:
            return None
        self.t += int(think if think is not None else r.randint(*a["think"]))
        m = model or self.model
        if self.fallback and not model:
            m = self.fallback
        # fleet outage (mixed profile)
        if not zero and g.outage and g.provider_of(m) == g.outage[0] and not self.dead:
            attempt = 0
            while g.outage[1] <= self.t < g.outage[2]:
                attempt += 1
                self.trap("provider_outage")
                self._llm_event(m, 0, 0, 0, 0, 0, "retry" if attempt < 8 else "error", r.randint(80, 3000), tool)
                if attempt >= 8:
                    if (r.random() < 0.5 or self.lab["label"] == "runaway") and g.fallback_model(m):
                        self.fallback = g.fallback_model(m)
                        m = self.fallback
                        self.cached = 0
                        break
                    self.dead = True
                    return None
                self.t += int(min(60000, 1000 * 2 ** attempt) * r.uniform(0.8, 1.3))
        if zero:
            return self._llm_event(m, 0, 0, 0, 0, 0, status, r.randint(50, 2500), tool)
        cat = g.cat.get(m)
        mx = (cat or {}).get("max_input_tokens") or 128000
        ctx = self.ctx()
        if ctx > mx * 0.9:
            # framework-side truncation: drop the oldest history to fit the window
            over = ctx - int(mx * 0.6)
            cut = min(self.hist, over)
            self.hist -= cut
            over -= cut
            if over > 0:
                self.extra = max(0, self.extra - over)
            self.cached = 0
            ctx = self.ctx()
        tailn = tail or r.randint(40, 400)
        if self.fresh:
            tailn += self.extra
        tailn = min(tailn, ctx)
        mode = a["cache"]
        if cat is None or cat.get("cache_read_input_token_cost") is None:
            mode = None
        elif mode == "explicit" and cat.get("cache_creation_input_token_cost") is None:
            mode = "auto"
        if self.cache_model != m:
            self.cached = 0
            self.cache_model = m
        if self.last_llm is not None and self.t - self.last_llm > 300000:
            self.cached = 0
        it = ctx
        cr = cw = 0
        if mode == "explicit":
            cr = min(self.cached, ctx - tailn)
            cw = max(0, ctx - tailn - cr)
            it = tailn
            self.cached = cr + cw
        elif mode == "auto":
            if self.cached >= 1024 and r.random() < 0.85:
                cr = (min(self.cached, ctx - (self.extra if self.fresh else 0)) // 128) * 128
                if cr < 1024:
                    cr = 0
            it = ctx - cr
            self.cached = ctx
        ot = int((out if out is not None else r.randint(*a["out"])) * self.out_mult)
        rt = 0
        if reasoning is not None:
            rt = reasoning
        elif a["reason"] and m.startswith(REASONING_MODELS):
            rt = int(r.randint(*a["reason"]) * self.reason_mult)
        elif self.reason_mult > 1:
            rt = int(r.randint(200, 800) * self.reason_mult)
        lat = int(250 + ot * r.uniform(6, 18) + (it + cw) * 0.015 + cr * 0.002 + rt * r.uniform(4, 10))
        self.t += lat
        self.last_llm = self.t
        if status == "ok":
            self.hist += ot
        st = status
        if a["trim_at"] and self.hist > a["trim_at"]:
            self.hist = r.randint(2000, 5000)
            self.cached = 0
        return self._llm_event(m, it, ot, cr, cw, rt, st, lat, tool)

    def _llm_event(self, m, it, ot, cr, cw, rt, status, lat, tool):
        g = self.g
        st = self.style
        ev = {}
        if st["kind_llm"]:
            ev["kind"] = "llm"
        ev["model"] = m
        ev["provider"] = g.provider_of(m)
        toks = (("input_tokens", it), ("output_tokens", ot), ("cache_read_tokens", cr),
                ("cache_write_tokens", cw), ("reasoning_tokens", rt))
        for k, v in toks:
            if v or not st["sparse"]:
                if k in ("cache_read_tokens", "cache_write_tokens") and not v and not st["dims"]:
                    continue
                if k == "reasoning_tokens" and not v and not st["dims"]:
                    continue
                ev[k] = v
        c = price(g.cat, m, it, ot, cr, cw, rt)
        truth = None
        if m in UNCAT_PRICE:
            p = UNCAT_PRICE[m]
            truth = round(it * p[0] + ot * p[1] + cr * p[0] * 0.1, 8)
            ev["cost_usd"] = truth
        elif c is not None and (st["cost"] or self.cost_mult != 1.0):
            truth = round(c * self.cost_mult, 8)
            ev["cost_usd"] = truth
        else:
            truth = c or 0.0
        self.cost += truth
        if tool and st["llm_tool"]:
            ev["tool"] = tool
        if status != "ok" or st["status_ok"]:
            ev["status"] = status
        if st["latency"]:
            ev["latency_ms"] = lat
        return self._emit(ev)

    def tool(self, name, args, status="ok", cost=None, think=None, lat=None, res=None, img=False):
        g = self.g
        r = g.rng
        if self.dead:
            return None
        td = self.D["tools"].get(name) or {}
        self.t += int(think if think is not None else r.randint(5, 150))
        l = int(lat if lat is not None else r.randint(*td.get("lat", (100, 1500))))
        self.t += l
        if img:
            if self.imgs is not None:
                self.imgs.append(r.randint(1100, 1650))
        else:
            rr = res if res is not None else td.get("res", (50, 500))
            self.hist += r.randint(*rr) if status == "ok" else r.randint(40, 200)
        ev = {"kind": "tool", "tool": name, "args_hash": h16({"tool": name, "args": args})}
        if cost is None and "cost" in td and td["cost"] and status != "retry":
            cost = round(r.uniform(*td["cost"]), 6)
        if cost:
            ev["cost_usd"] = cost
            self.cost += cost
        if status != "ok" or self.style["status_ok"]:
            ev["status"] = status
        if self.style["latency"]:
            ev["latency_ms"] = l
        return self._emit(ev)

    def handoff(self, target, note=None):
        r = self.g.rng
        if self.dead:
            return None
        self.t += r.randint(50, 600)
        ev = {"kind": "handoff", "target_agent_id": target,
              "args_hash": h16({"to": target, "task": self.task_id, "note": note or rid(r, 6)})}
        if self.style["status_ok"]:
            ev["status"] = "ok"
        return self._emit(ev)

    # ---- composite actions
    def screenshot(self):
        r = self.g.rng
        self.data["seq"] = self.data.get("seq", 0) + 1
        if self.a["shot_args"] == "same":
            args = {}
            self.trap("screenshot_same_args")
        else:
            args = {"tab": self.data.get("tab"), "seq": self.data["seq"], "scale": 1.0}
        return self.tool("screenshot", args, lat=r.randint(120, 900), img=True)

    def step(self, tool=None, args=None, status="ok", tool_status="ok", cost=None):
        """one ordinary work step: LLM decides, tool runs (+ screenshot for browser agents)."""
        D = self.D
        r = self.g.rng
        if tool is None:
            tool = wchoice(r, D["tasks"][self.tt]["tools"]) if self.tt in D["tasks"] else r.choice(list(D["tools"]))
        e1 = self.llm(tool=tool, status=status)
        if e1 is None:
            return None
        if args is None:
            args = D["tools"][tool]["args"](r, self)
        self.tool(tool, args, status=tool_status, cost=cost)
        if self.a["shots"] and tool in D["actions"]:
            self.screenshot()
        return e1

    def final(self):
        spec = self.D["tasks"].get(self.tt)
        fo = spec["final"] if spec else (100, 500)
        return self.llm(out=self.g.rng.randint(*fo))

    def spawn(self, child_agent, child_tt, args=None, onset=False):
        r = self.g.rng
        self.llm(tool=self.a["spawn_tool"], out=r.randint(80, 300))
        if onset:
            self.mark_onset()
        a = args or {"agent": child_agent["id"], "task": child_tt, "input": rid(r, 8)}
        eid = self.tool(self.a["spawn_tool"], a, lat=r.randint(30, 300), res=(30, 80))
        child = Sess(self.g, self.D, child_agent, child_tt, self.task_id, self.t + r.randint(80, 1500),
                     parent=self.sid)
        return eid, child


# --------------------------------------------------------------------------------------
class Gen:
    def __init__(self, seed, profile, n, cat):
        self.rng = random.Random("fleet12:%s:%s:%d" % (seed, profile, n))
        self.profile = profile
        self.n = n
        self.cat = cat
        self.out = []
        self.sessions = []
        self.eid_n = 0
        self.outage = None
        self.upgrades = {}
        self.price_changes = {}
        self.no_tt_agents = set()
        self.tenants = {}
        self.span = SPAN_DAYS * DAY

    # ---- ids
    def new_eid(self, idf):
        r = self.rng
        self.eid_n += 1
        if idf == "uuid":
            h = "%032x" % r.getrandbits(128)
            return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], h[16:20], h[20:32])
        if idf == "evt":
            return "evt_%s" % rid(r, 20)
        if idf == "hex":
            return rid(r, 24)
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        return "01J" + "".join(alphabet[r.getrandbits(5)] for _ in range(23))

    def new_sid(self, agent):
        return "%s-%s" % (agent["id"].split("-")[0][:6], rid(self.rng, 14))

    def tenant_of(self, task_id):
        t = self.tenants.get(task_id)
        if t is None:
            t = self.rng.choice(["acme", "acme", "globex", "initech", "umbrella", "hooli"])
            self.tenants[task_id] = t
        return t

    def provider_of(self, m):
        c = self.cat.get(m)
        if c:
            return c.get("litellm_provider", "unknown")
        return UNCAT_PROVIDER.get(m, "unknown")

    def agent_model(self, agent, t):
        up = self.upgrades.get(agent["id"])
        if up and t >= up[0]:
            return up[1]
        return agent["model"]

    def cost_mult(self, agent, t):
        pc = self.price_changes.get(agent["id"])
        if pc and t >= pc[0]:
            return pc[1]
        return 1.0

    def fallback_model(self, m):
        return {"anthropic": "gpt-5", "openai": "claude-sonnet-4-5"}.get(self.provider_of(m))

    # ---- time sampling
    def start_time(self, domain, lo=0.0):
        r = self.rng
        hours = {
            "browser": [2, 2, 2, 2, 2, 3, 4, 6, 8, 9, 9, 9, 8, 9, 9, 9, 8, 7, 6, 5, 4, 3, 3, 2],
            "sre": [4, 4, 4, 3, 3, 3, 4, 5, 7, 8, 8, 8, 7, 8, 8, 8, 7, 6, 5, 5, 5, 4, 4, 4],
            "sales": [1, 1, 1, 1, 1, 1, 2, 5, 10, 12, 12, 11, 8, 11, 12, 11, 9, 6, 3, 2, 1, 1, 1, 1],
            "localization": [1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 8, 9, 9, 9, 8, 6, 4, 3, 2, 2, 1, 1],
        }[domain]
        while True:
            if self.bursts and r.random() < 0.22:
                c = r.choice(self.bursts)
                t = c + int(r.gauss(0, 12 * 60000))
            else:
                day = r.randrange(SPAN_DAYS)
                h = r.choices(range(24), hours)[0]
                t = BASE_MS + day * DAY + h * 3600000 + r.randrange(3600000)
            if BASE_MS + lo * self.span <= t < BASE_MS + self.span - 2 * 3600000:
                return t

    # ---- setup of fleet effects
    def setup_fleet(self):
        r = self.rng
        self.bursts = [BASE_MS + r.randrange(self.span - 3 * 3600000) for _ in range(max(4, self.n // 60))]
        if self.profile != "mixed":
            return
        prov = r.choice(["anthropic", "openai"])
        st = BASE_MS + DAY + r.randint(9, 16) * 3600000 + r.randrange(3600000)
        self.outage = (prov, st, st + r.randint(20, 60) * 60000)
        # the outage hits during a busy stretch (a campaign/release burst)
        self.bursts.extend([st + 10 * 60000] * 4)
        tup = BASE_MS + int(self.span * r.uniform(0.35, 0.6))
        self.upgrades = {"triage-agent": (tup, "claude-sonnet-4-6"),
                         "lead-researcher": (tup + r.randint(0, 6) * 3600000, "gpt-5-mini"),
                         "translator-lite": (tup + r.randint(0, 6) * 3600000, "gemini-3-flash-preview")}
        tpc = BASE_MS + int(self.span * r.uniform(0.4, 0.7))
        self.price_changes = {"doc-translator": (tpc, 0.5), "web-operator": (tpc, 1.25)}
        self.no_tt_agents = {"meeting-prep", "runbook-runner", "glossary-curator"}


# --------------------------------------------------------------------------------------
# helpers for session building

def pick_agent(g, D, tt):
    spec = D["tasks"][tt]
    ids = spec["agents"]
    return D["agent"][g.rng.choice(ids)]


def normal_len(g, spec):
    r = g.rng
    lo, hi = spec["steps"]
    x = r.betavariate(2, 3)
    n = int(lo + x * (hi - lo))
    if r.random() < 0.04:
        n = int(hi * r.uniform(1.0, 1.35))
    return max(1, n)


def run_steps(s, n, **kw):
    for _ in range(n):
        if s.dead:
            return
        s.step(**kw)


def child_agent_for(g, D, spec_child):
    aid, tt = spec_child
    if aid.endswith("*"):
        aid = g.rng.choice(D["tasks"][tt]["agents"])
    return D["agent"][aid], tt


def run_children(g, s, D, k, child, stagger=(200, 4000), child_fn=None):
    """spawn k children concurrently, wait for them all, return children."""
    r = g.rng
    kids = []
    t_end = s.t
    langs = r.sample(LANGS, min(k, len(LANGS))) if D["name"] == "localization" else None
    for i in range(k):
        ca, ctt = child_agent_for(g, D, child)
        if langs:
            _, c = s.spawn(ca, ctt, args={"agent": ca["id"], "task": ctt, "lang": langs[i % len(langs)],
                                          "file": s.data["file"]})
            c.data["lang"] = langs[i % len(langs)]
            c.data["file"] = s.data["file"]
        else:
            _, c = s.spawn(ca, ctt)
        if child_fn:
            child_fn(c)
        else:
            n = normal_len(g, D["tasks"][ctt])
            run_steps(c, n)
            c.final()
        t_end = max(t_end, c.t)
        kids.append(c)
        s.t += r.randint(*stagger)
    s.t = max(s.t, t_end + r.randint(200, 3000))
    return kids


def normal_session(g, D, s, n=None):
    spec = D["tasks"][s.tt]
    n = n if n is not None else normal_len(g, spec)
    r = g.rng
    if spec.get("fan") and spec.get("child"):
        k = r.randint(*spec["fan"])
        pre = max(1, n // 3)
        run_steps(s, pre)
        run_children(g, s, D, k, spec["child"])
        run_steps(s, n - pre)
    elif spec.get("poll"):
        pre = max(1, n // 3)
        run_steps(s, pre)
        s.step(tool="deploy_trigger")
        s.llm(tool="deploy_status")
        a = {"deploy_id": s.data["deploy"]}
        iv = r.choice([10000, 15000, 20000, 30000])
        for i in range(r.randint(3, 20)):
            s.tool("deploy_status", a, think=0)
            s.wait(iv * r.uniform(0.9, 1.15))
        s.trap("status_polling")
        run_steps(s, n - pre)
    else:
        run_steps(s, n)
    if not s.dead:
        s.final()


# --------------------------------------------------------------------------------------
# traps

def trap_session(g, D, trap, t0, task_id):
    r = g.rng
    dn = D["name"]
    tasks = D["tasks"]
    top_tasks = [k for k, v in tasks.items() if not v.get("child_only") and not D["agent"][v["agents"][0]]["debut"]]

    def new(tt, agent=None):
        a = agent or pick_agent(g, D, tt)
        s = Sess(g, D, a, tt, task_id, t0, top=True)
        return s

    if trap == "batch_operation" or trap in ("enrichment_batch", "glossary_lookups"):
        tool, tt = D["batch"]
        s = new(tt)
        s.trap(trap)
        run_steps(s, r.randint(2, 5))
        k = r.randint(40, 180)
        for i in range(k):
            if i % r.randint(5, 12) == 0:
                s.llm(tool=tool, out=r.randint(60, 300))
            s.tool(tool, D["tools"][tool]["args"](r, s), think=r.randint(20, 400))
        s.final()
        return s
    if trap == "one_expensive_action":
        tt = r.choice(top_tasks)
        s = new(tt)
        s.trap(trap)
        n = normal_len(g, tasks[tt])
        run_steps(s, n // 2)
        if r.random() < 0.5:
            s.extra += r.randint(60000, 150000)
            s.llm(out=r.randint(1500, 4000))
            s.extra = 0
            s.cached = 0
        else:
            big = r.choice(["o3-pro", "gpt-5-pro", "claude-opus-4-1"])
            s.llm(model=big, out=r.randint(1500, 5000), reasoning=r.randint(2000, 12000) if "pro" in big else None)
        run_steps(s, n - n // 2)
        s.final()
        return s
    if trap == "new_pricey_agent":
        deb = [a for a in D["agents"] if a["debut"]]
        a = deb[0]
        tt = [k for k, v in tasks.items() if a["id"] in v["agents"]][0]
        s = new(tt, a)
        s.trap(trap)
        normal_session(g, D, s)
        return s
    if trap == "long_task_type" or trap == "long_doc_cached":
        longs = [k for k, v in tasks.items() if v.get("long")]
        tt = r.choice(longs)
        s = new(tt)
        s.trap(trap)
        normal_session(g, D, s)
        return s
    if trap in ("legit_retries", "captcha_retry", "flaky_ci_rerun"):
        tt = r.choice(top_tasks)
        s = new(tt)
        s.trap(trap)
        n = normal_len(g, tasks[tt])
        run_steps(s, n // 2)
        k = r.randint(2, 3)
        if trap == "captcha_retry" and D.get("paid"):
            a = D["tools"]["solve_captcha"]["args"](r, s)
            s.llm(tool="solve_captcha")
            for i in range(k):
                s.tool("solve_captcha", a, status="error" if i < k - 1 else "ok")
                if i < k - 1:
                    s.llm(tool="solve_captcha", out=r.randint(40, 120))
                    a = D["tools"]["solve_captcha"]["args"](r, s)
        elif trap == "flaky_ci_rerun" and dn == "sre":
            s.llm(tool="ci_rerun")
            a = D["tools"]["ci_rerun"]["args"](r, s)
            for i in range(k):
                s.tool("ci_rerun", a)
                s.wait(r.randint(120000, 600000))
                s.tool("ci_status", {"run_id": s.data["run"], "attempt": i + 1},
                       status="error" if i < k - 1 else "ok")
                s.llm(tool="ci_rerun", out=r.randint(60, 200))
        elif r.random() < 0.5:
            for i in range(k):
                s.llm(status="retry", zero=True, tool=None)
                s.wait(int(1000 * 2 ** i * r.uniform(0.8, 1.5)))
            s.step()
        else:
            tool = wchoice(r, tasks[tt]["tools"])
            a = D["tools"][tool]["args"](r, s)
            s.llm(tool=tool)
            for i in range(k):
                s.tool(tool, a, status="error" if i < k - 1 else "ok")
                s.wait(int(500 * 2 ** i * r.uniform(0.8, 1.5)))
        run_steps(s, n - n // 2)
        s.final()
        return s
    if trap in ("wide_fanout", "per_language_fanout"):
        co, ctt, cha, chtt = D["fanout"]
        s = new(ctt, D["agent"][co])
        s.trap(trap)
        spec = tasks[ctt]
        run_steps(s, 2)
        k = r.randint(spec["fan"][1] + 8, spec["fan"][1] * 3 + 12)
        if dn == "localization":
            k = min(k, len(LANGS))

        def cf(c):
            run_steps(c, normal_len(g, tasks[chtt]))
            c.final()
        run_children(g, s, D, k, (cha, chtt), stagger=(100, 2500), child_fn=cf)
        run_steps(s, r.randint(1, 4))
        s.final()
        return s
    if trap == "planned_escalation":
        tt = r.choice(top_tasks)
        s = new(tt)
        s.trap(trap)
        run_steps(s, normal_len(g, tasks[tt]))
        s.llm(model=D["escalate"], out=r.randint(800, 3000))
        return s
    if trap == "status_polling":
        tt = r.choice(top_tasks)
        if dn == "sre":
            tt = "deploy_rollout"
        s = new(tt)
        s.trap(trap)
        n = normal_len(g, tasks[tt])
        run_steps(s, max(1, n // 3))
        tool, af = D["poll"]
        a = af(r, s) if af else D["tools"][tool]["args"](r, s)
        if dn == "sre":
            s.step(tool="deploy_trigger")
        s.llm(tool=tool)
        k = r.randint(5, 30)
        via_llm = r.random() < 0.4
        iv = r.choice([10000, 15000, 30000, 60000])
        for i in range(k):
            s.tool(tool, a, think=0)
            if via_llm and i % 3 == 2:
                s.llm(tool=tool, out=r.randint(30, 90))
            s.wait(iv * r.uniform(0.9, 1.1))
        run_steps(s, n - n // 3)
        s.final()
        return s
    if trap == "context_trimmed":
        tt = r.choice(top_tasks)
        s = new(tt)
        s.trap(trap)
        n = max(normal_len(g, tasks[tt]), 12)
        for i in range(n):
            s.step()
            s.hist += r.randint(1500, 5000)
            if i == n // 2 or (i > n // 2 and r.random() < 0.08):
                s.llm(tool="summarize_context", out=r.randint(800, 2000))
                s.hist = r.randint(2000, 4000)
                s.cached = 0
        s.final()
        return s
    if trap in ("handoff_return", "revision_rounds", "qa_roundtrip"):
        aA, ttA, aB, ttB = D["handoff_pair"]
        s = new(ttA, D["agent"][aA])
        s.trap(trap)
        n = normal_len(g, tasks[ttA])
        run_steps(s, n // 2)
        rounds = r.randint(1, 2)
        b = None
        for k in range(rounds):
            s.llm(tool="handoff", out=r.randint(100, 300))
            s.handoff(aB)
            if b is None:
                b = Sess(g, D, D["agent"][aB], ttB, task_id, s.t + r.randint(200, 3000), parent=s.sid)
                b.trap(trap)
            else:
                b.t = max(b.t, s.t + r.randint(200, 3000))
            run_steps(b, normal_len(g, tasks[ttB]))
            b.llm(tool="handoff", out=r.randint(100, 400))
            b.handoff(aA)
            s.t = b.t + r.randint(300, 5000)
            run_steps(s, r.randint(2, 5))
        s.final()
        return s
    # ------------- domain traps
    if trap == "screenshot_each_action":
        tt = r.choice(["form_fill", "web_checkout", "account_setup"])
        s = new(tt)
        s.trap(trap)
        for i in range(normal_len(g, tasks[tt])):
            s.step()
            if r.random() < 0.5:
                s.screenshot()
        s.final()
        return s
    if trap == "screenshot_same_args":
        s = new("data_extract", D["agent"]["scrape-lite"])
        s.trap(trap)
        for i in range(normal_len(g, tasks["price_monitor"]) + 6):
            s.step(tool=r.choice(["click", "scroll", "navigate", "key_press"]))
        s.final()
        return s
    if trap == "page_wait_same_selector":
        tt = r.choice(["web_checkout", "form_fill"])
        s = new(tt)
        s.trap(trap)
        n = normal_len(g, tasks[tt])
        run_steps(s, n // 2)
        a = {"selector": ".spinner", "state": "hidden", "timeout_ms": 10000}
        s.llm(tool="wait_for")
        for i in range(r.randint(3, 6)):
            s.tool("wait_for", a, status="error" if r.random() < 0.6 else "ok", lat=r.randint(3000, 10000))
        run_steps(s, n - n // 2)
        s.final()
        return s
    if trap == "bounded_infinite_scroll":
        s = new("data_extract")
        s.trap(trap)
        run_steps(s, 3)
        for i in range(r.randint(20, 45)):
            s.step(tool="scroll")
        s.step(tool="extract_table")
        s.final()
        return s
    if trap == "health_check_repeat":
        s = new("incident_triage")
        s.trap(trap)
        n = normal_len(g, tasks["incident_triage"])
        run_steps(s, n // 2)
        a = D["tools"]["health_check"]["args"](r, s)
        for i in range(r.randint(3, 7)):
            s.llm(tool="health_check", out=r.randint(40, 150))
            s.tool("health_check", a, status="error" if i < 2 else "ok")
            s.step()
            s.wait(r.randint(30000, 150000))
        run_steps(s, n - n // 2)
        s.final()
        return s
    if trap == "incident_burst":
        # many triage sessions on the same service within minutes (returned as list)
        k = max(1, min(r.randint(4, 9), g.n - g.produced))
        svc = r.choice(SERVICES)
        out = []
        for i in range(k):
            tid = "%s-b%d" % (task_id, i)
            s = Sess(g, D, D["agent"]["triage-agent"], "incident_triage", tid, t0 + r.randint(0, 600000), top=True)
            s.data["svc"] = svc
            s.trap(trap)
            normal_session(g, D, s)
            out.append(s)
        return out
    if trap == "big_log_pull":
        s = new("incident_triage")
        s.trap(trap)
        n = normal_len(g, tasks["incident_triage"])
        run_steps(s, n // 2)
        s.step(tool="kubectl_logs")
        s.hist += r.randint(40000, 90000)
        s.llm(out=r.randint(400, 1200))
        s.hist -= 60000 if s.hist > 70000 else s.hist // 2
        s.cached = 0
        run_steps(s, n - n // 2)
        s.final()
        return s
    if trap == "email_batch":
        s = new("email_batch")
        s.trap(trap)
        run_steps(s, 2)
        for i in range(r.randint(25, 60)):
            s.step(tool="crm_get")
            s.llm(tool="save_draft", out=r.randint(250, 700))
            s.tool("save_draft", D["tools"]["save_draft"]["args"](r, s))
        s.final()
        return s
    if trap == "search_many_queries":
        s = new("lead_research")
        s.trap(trap)
        for i in range(r.randint(18, 40)):
            s.step(tool=r.choice(["web_search", "web_search", "fetch_url"]))
        s.final()
        return s
    raise ValueError(trap)


# --------------------------------------------------------------------------------------
# runaways


def runaway_session(g, D, kind, variant, t0, task_id):
    r = g.rng
    dn = D["name"]
    tasks = D["tasks"]
    top_tasks = [k for k, v in tasks.items() if not v.get("child_only") and not v.get("long")
                 and not D["agent"][v["agents"][0]]["debut"]]

    def new(tt, agent=None):
        a = agent or pick_agent(g, D, tt)
        return Sess(g, D, a, tt, task_id, t0, top=True)

    def prefix(s, frac=(0.2, 0.7)):
        n = normal_len(g, tasks[s.tt])
        k = max(2, int(n * r.uniform(*frac)))
        run_steps(s, k)
        return n, k

    if kind == "loop_repeat":
        s = new(r.choice(top_tasks))
        s.runaway(kind, variant)
        prefix(s)
        tool, fixed = r.choice(D["loop"])
        if variant == "stuck_click":
            tool, fixed = (D["loop"][0] if dn == "browser" else r.choice(D["loop"]))
        if dn == "sre" and tool == "ci_status":
            fixed = {"run_id": s.data["run"]}
        args = fixed or D["tools"][tool]["args"](r, s)
        s.mark_onset()
        if variant == "tight":
            for i in range(r.randint(60, 240)):
                s.llm(tool=tool, out=r.randint(40, 160), think=r.randint(50, 400))
                s.tool(tool, args)
        elif variant == "interleaved":
            others = [x for x in tasks[s.tt]["tools"] if x != tool][:3] or [tool]
            oargs = {o: D["tools"][o]["args"](r, s) for o in others}
            for i in range(r.randint(30, 100)):
                s.llm(tool=tool)
                s.tool(tool, args)
                for j in range(r.randint(1, 2)):
                    o = r.choice(others)
                    if r.random() < 0.3:
                        oargs[o] = D["tools"][o]["args"](r, s)
                    s.llm(tool=o)
                    s.tool(o, oargs[o])
        elif variant == "slow_poll":
            for i in range(r.randint(60, 200)):
                s.llm(tool=tool, out=r.randint(40, 150))
                s.tool(tool, args)
                s.wait(r.randint(60000, 300000))
        elif variant == "identical_llm":
            it_out = r.randint(60, 200)
            for i in range(r.randint(80, 300)):
                s.llm(tool=tool, out=it_out, tail=120, think=r.randint(100, 300))
                s.tool(tool, args, res=(0, 0))
        else:  # stuck_click: action has no effect; screenshot identical
            for i in range(r.randint(50, 200)):
                s.llm(tool=tool, out=r.randint(50, 150))
                s.tool(tool, args)
                if s.a["shots"]:
                    s.tool("screenshot", {"tab": s.data.get("tab"), "seq": "same"}, img=True)
                elif r.random() < 0.5:
                    s.tool(tool, args)
        return s

    if kind == "loop_cycle":
        s = new(r.choice(top_tasks))
        s.runaway(kind, variant)
        prefix(s)
        L = {"pair": 2, "triple": 3, "quad": 4, "noisy_cycle": r.randint(3, 5), "slow_cycle": r.randint(2, 4)}[variant]
        tools = D["cycle"][:]
        r.shuffle(tools)
        cyc = [(t, D["tools"][t]["args"](r, s)) for t in tools[:L]]
        s.mark_onset()
        ncyc = max(8, r.randint(60, 420) // (2 * L)) if variant != "slow_cycle" else r.randint(20, 60)
        for i in range(ncyc):
            for t, a in cyc:
                s.llm(tool=t, out=r.randint(50, 250))
                s.tool(t, a)
                if variant == "noisy_cycle" and r.random() < 0.12:
                    s.step()
            if variant == "slow_cycle":
                s.wait(r.randint(120000, 900000))
        return s

    if kind == "ping_pong":
        aA, ttA, aB, ttB = D["pingpong"]
        root = new(ttA, D["agent"][aA])
        root.runaway(kind, variant)
        prefix(root, (0.3, 0.6))
        if variant == "slow_hours":
            legs = r.randint(14, 36)
        elif variant == "with_work":
            legs = r.randint(16, 60)
        else:
            legs = r.randint(24, 90)
        chain = variant == "new_session_legs"

        def gap():
            return r.randint(900000, 3600000) if variant == "slow_hours" else r.randint(200, 4000)
        sa, sb = root, None
        for leg in range(legs):
            sa.llm(tool="handoff", out=r.randint(80, 300))
            if variant == "with_work" or leg < 2:
                run_steps(sa, r.randint(1, 3))
            if leg == 2:
                sa.mark_onset()
            sa.handoff(aB, note="leg%d" % leg if variant != "with_work" else None)
            if sb is None or chain:
                sb = Sess(g, D, D["agent"][aB], ttB, task_id, sa.t + gap(), parent=sa.sid)
                sb.lab["part_of"] = root.sid
                if leg >= 2:
                    sb.runaway(kind, variant, part_of=root.sid)
                    sb.mark_onset()
            else:
                sb.t = max(sb.t, sa.t + gap())
                if leg == 2:
                    sb.runaway(kind, variant, part_of=root.sid)
                    sb.mark_onset()
            if variant == "with_work" or leg < 1:
                run_steps(sb, r.randint(1, 4))
            sb.llm(tool="handoff", out=r.randint(80, 300))
            sb.handoff(aA, note="back%d" % leg if variant != "with_work" else None)
            if chain and leg >= 2:
                sa = Sess(g, D, D["agent"][aA], ttA, task_id, sb.t + gap(), parent=sb.sid)
                sa.runaway(kind, variant, part_of=root.sid)
                sa.mark_onset()
            else:
                sa.t = sb.t + gap()
        return root

    if kind == "step_runaway":
        if variant == "long_type_overrun":
            tt = r.choice([k for k, v in tasks.items() if v.get("long")])
        elif variant == "cheap_many":
            cheap = [k for k, v in tasks.items() if not v.get("child_only") and not v.get("long")
                     and price(g.cat, D["agent"][v["agents"][0]]["model"], 1000, 0, 0, 0, 0) < 0.0005]
            tt = r.choice(cheap or top_tasks)
        else:
            tt = r.choice(top_tasks)
        s = new(tt)
        s.runaway(kind, variant)
        spec = tasks[tt]
        hi = spec["steps"][1]
        n = normal_len(g, spec)
        run_steps(s, max(n, hi))
        s.mark_onset()
        mult = r.uniform(4, 9) if variant != "long_type_overrun" else r.uniform(1.5, 2.5)
        extra = int(hi * mult)
        extra = max(extra, 60)
        extra = min(extra, 1400)
        for i in range(extra):
            if variant == "pagination_forever":
                s.step(tool=D["pagination"])
            elif variant == "slow_steps":
                s.step()
                s.wait(r.randint(30000, 240000))
            else:
                s.step()
        return s

    if kind == "retry_storm":
        s = new(r.choice(top_tasks))
        s.runaway(kind, variant)
        prefix(s)
        s.mark_onset()
        k = r.randint(80, 400)
        if variant == "rate_limit_429":
            for i in range(k):
                s.llm(status="retry", zero=True, think=r.randint(200, 1500))
        elif variant == "tool_error_loop":
            tool = D["errtool"]
            a = D["tools"][tool]["args"](r, s)
            for i in range(k // 2):
                s.llm(tool=tool, out=r.randint(60, 200))
                s.tool(tool, a if r.random() < 0.7 else D["tools"][tool]["args"](r, s), status="error",
                       lat=r.randint(100, 3000))
        elif variant == "billed_llm_errors":
            for i in range(k):
                s.llm(status="error", out=r.randint(500, 4000), think=r.randint(200, 2000))
        else:  # paid_api_errors
            tool = D["paid"]
            a = D["tools"][tool]["args"](r, s)
            for i in range(k // 2):
                if i % 3 == 0:
                    s.llm(tool=tool, out=r.randint(40, 150))
                s.tool(tool, a, status="error", cost=round(r.uniform(*D["tools"][tool]["cost"]), 6))
        return s

    if kind == "context_growth":
        while True:
            tt = r.choice(top_tasks)
            ag = pick_agent(g, D, tt)
            if ((g.cat.get(ag["model"]) or {}).get("max_input_tokens") or 0) >= 100000:
                break
        s = new(tt, ag)
        s.a = dict(s.a, trim_at=None)
        if variant == "dump_uncached":
            s.a = dict(s.a, cache=None)
        s.runaway(kind, variant)
        prefix(s)
        mx = (g.cat.get(s.model) or {}).get("max_input_tokens") or 128000
        cap = int(min(mx, 400000) * r.uniform(0.65, 0.87))
        s.mark_onset()
        i = 0
        while s.ctx() < cap and i < 150:
            i += 1
            tool = wchoice(r, tasks[tt]["tools"])
            s.llm(tool=tool, out=r.randint(100, 500))
            s.tool(tool, D["tools"][tool]["args"](r, s))
            if variant in ("dump_uncached", "dump_cached"):
                s.hist += r.randint(3000, 9000)
            elif variant == "accumulate_attachments":
                s.extra += r.randint(2000, 6000)
            else:
                s.hist += int(s.ctx() * r.uniform(0.08, 0.2)) + 500
        return s

    if kind == "subagent_fanout":
        co, ctt, cha, chtt = D["fanout"]
        s = new(ctt, D["agent"][co])
        s.runaway(kind, variant)
        fan_hi = tasks[ctt]["fan"][1]
        run_steps(s, r.randint(1, 3))
        count = [0]

        def leaf(c, fail=False):
            c.lab["part_of"] = s.sid
            if fail:
                c.step()
                c.llm(status="error", zero=True)
            else:
                run_steps(c, r.randint(1, 4))
                c.final()

        if variant in ("flat_fast", "flat_slow"):
            k = r.randint(80, 300) if variant == "flat_fast" else r.randint(40, 120)
            for i in range(k):
                _, c = s.spawn(D["agent"][cha], chtt, onset=(i == fan_hi))
                leaf(c)
                if variant == "flat_slow":
                    s.t = max(s.t, c.t) + r.randint(60000, 480000)
                else:
                    s.t += r.randint(300, 3000)
        elif variant == "respawn_failed":
            args = {"agent": cha, "task": chtt, "input": rid(r, 8)}
            k = r.randint(60, 200)
            for i in range(k):
                _, c = s.spawn(D["agent"][cha], chtt, args=args if i >= 2 else None, onset=(i == fan_hi))
                leaf(c, fail=i >= 2)
                s.t = max(s.t, c.t) + r.randint(500, 8000)
        else:  # recursive_tree
            budget = [r.randint(120, 350)]
            q = deque([(s, 0)])
            while q and budget[0] > 0:
                node, d = q.popleft()
                kk = r.randint(2, 4) if node is not s else r.randint(fan_hi + 1, fan_hi + 4)
                for j in range(kk):
                    if budget[0] <= 0:
                        break
                    if node is not s and j == 0:
                        node.runaway(kind, variant, part_of=s.sid)
                    ag = node.a if node is not s else D["agent"][cha]
                    _, c = node.spawn(ag, chtt, onset=(node is s and j == fan_hi) or (node is not s and j == 0))
                    c.lab["part_of"] = s.sid
                    run_steps(c, r.randint(1, 3))
                    budget[0] -= 1
                    q.append((c, d + 1))
                    node.t += r.randint(200, 2000)
        return s

    if kind == "cost_spike":
        while True:
            tt = r.choice(top_tasks)
            ag = pick_agent(g, D, tt)
            if variant != "context_5x" or ((g.cat.get(ag["model"]) or {}).get("max_input_tokens") or 0) >= 120000:
                break
        s = new(tt, ag)
        s.runaway(kind, variant)
        pricey = D["spike"].get(s.model, "claude-opus-4-1")
        k = max(normal_len(g, tasks[tt]), r.randint(12, 45))
        if variant == "pricey_from_first":
            s.model = pricey
            s.mark_onset()
            for i in range(k):
                s.step()
            return s
        prefix(s, (0.2, 0.6))
        s.mark_onset()
        if variant == "model_switch_mid":
            s.model = pricey
        elif variant == "context_5x":
            s.extra += int(s.ctx() * r.uniform(4, 8))
            s.fresh = True
            s.cached = 0
        else:  # reasoning_high
            s.reason_mult = r.uniform(10, 18)
        for i in range(k):
            s.step()
        return s

    if kind == "session_budget":
        tt = r.choice(top_tasks)
        s = new(tt)
        s.runaway(kind, variant)
        spec = tasks[tt]
        n = normal_len(g, spec)
        run_steps(s, n)
        per = max(s.cost, 0.002)
        target = per * r.uniform(15, 40)
        s.mark_onset()
        i = 0
        if variant == "slow_burn":
            s.out_mult = r.uniform(1.3, 2.0)
        elif variant == "big_outputs":
            s.out_mult = r.uniform(6, 12)
        elif variant == "heavy_reasoning":
            s.reason_mult = r.uniform(4, 8)
        tool = D["paid"]
        while s.cost < target and i < 600:
            i += 1
            if variant == "paid_tool_burn":
                if i % 4 == 0:
                    s.llm(tool=tool, out=r.randint(60, 200))
                cst = D["tools"][tool]["cost"]
                s.tool(tool, D["tools"][tool]["args"](r, s), cost=round(r.uniform(cst[0], cst[1]), 6))
            else:
                s.step()
                if variant == "slow_burn":
                    s.hist += r.randint(200, 800)
        return s
    raise ValueError(kind)


# --------------------------------------------------------------------------------------

def generate(seed, profile, n, cat):
    g = Gen(seed, profile, n, cat)
    g.setup_fleet()
    r = g.rng
    domains = ["browser", "sre", "sales", "localization"] if profile == "mixed" else [profile]
    n_run = int(round(n * r.uniform(0.065, 0.078)))
    combos = [(k, v) for k, vs in RUNAWAY_VARIANTS.items() for v in vs]
    plan = []
    while len(plan) < n_run:
        c = combos[:]
        r.shuffle(c)
        plan.extend(c)
    plan = plan[:n_run]
    slots = ["R"] * n_run + ["T"] * int(n * 0.24) + ["N"] * (n - n_run - int(n * 0.24))
    r.shuffle(slots)
    trap_cycle = []
    produced = 0
    g.produced = 0
    i = 0
    tid_n = 0
    ri = 0
    # new pricey agents only after their debut
    while produced < n:
        g.produced = produced
        slot = slots[i % len(slots)]
        i += 1
        dn = r.choice(domains)
        D = DOMAINS[dn]
        tid_n += 1
        task_id = "T%s-%06d" % (rid(r, 4), tid_n)
        if slot == "R":
            kind, variant = plan[ri]
            ri += 1
            t0 = g.start_time(dn, lo=0.10)
            runaway_session(g, D, kind, variant, t0, task_id)
            produced += 1
            continue
        if slot == "T":
            traps = TRAPS_COMMON + TRAPS_DOMAIN[dn]
            if profile == "mixed":
                traps = traps + ["uncatalogued_model_cost", "uncatalogued_model_nocost"]
            trap = r.choice(traps)
            t0 = g.start_time(dn)
            if trap == "new_pricey_agent":
                deb = [a for a in D["agents"] if a["debut"]][0]["debut"]
                t0 = g.start_time(dn, lo=deb)
            if trap.startswith("uncatalogued"):
                ag = UNCAT_COST if trap.endswith("_cost") else UNCAT_NOCOST
                Dd = DOMAINS["sales"] if ag is UNCAT_COST else DOMAINS["sre"]
                tt = "lead_research" if ag is UNCAT_COST else "incident_triage"
                s = Sess(g, Dd, ag, tt, task_id, t0, top=True)
                s.trap(trap)
                run_steps(s, normal_len(g, Dd["tasks"][tt]))
                s.final()
                produced += 1
                continue
            res = trap_session(g, D, trap, t0, task_id)
            produced += len(res) if isinstance(res, list) else 1
            continue
        # plain normal
        tts = [k for k, v in D["tasks"].items() if not v.get("child_only")]
        weights = [0.25 if D["tasks"][k].get("long") else 1.0 for k in tts]
        tt = r.choices(tts, weights)[0]
        a = pick_agent(g, D, tt)
        lo = a["debut"] or 0.0
        t0 = g.start_time(dn, lo=lo)
        s = Sess(g, D, a, tt, task_id, t0, top=True)
        if a["debut"]:
            s.trap("new_pricey_agent")
        normal_session(g, D, s)
        produced += 1
    # fleet-level trap labels
    for s in g.sessions:
        if s.a["id"] in g.upgrades and s.start >= g.upgrades[s.a["id"]][0]:
            s.trap("model_upgrade")
        if s.a["id"] in g.price_changes and s.start >= g.price_changes[s.a["id"]][0]:
            s.trap("price_change")
        if s.no_tt:
            s.trap("no_task_type")
    return g


def finish(g, out_path, labels_path):
    r = g.rng
    out = g.out
    rows = []
    for (ts, seq, line, eid) in out:
        u = r.random()
        if u < 0.005:
            bus = ts + r.randint(60000, 1200000)
        else:
            bus = ts + r.randint(0, 400)
        rows.append((bus, seq, line))
        if r.random() < 0.003:
            rows.append((bus + r.randint(2000, 600000), seq + 0.5, line))
    rows.sort()
    with open(out_path, "w") as f:
        for _, _, line in rows:
            f.write(line)
            f.write("\n")
    # labels
    by_id = {}
    for s in g.sessions:
        by_id[s.sid] = s
    with open(labels_path, "w") as f:
        for s in g.sessions:
            if s.n == 0:
                continue
            lab = s.lab
            part_of = lab.get("part_of")
            onset = lab["onset"]
            if onset == "__next__":
                onset = None
            if lab["label"] == "runaway" and onset is None:
                onset = s.first_eid
            rec = {"session_id": s.sid, "label": lab["label"], "kind": lab["kind"], "onset_event_id": onset,
                   "task_id": s.task_id}
            if part_of:
                rec["part_of"] = part_of
            rec.update({"agent_id": s.a["id"], "task_type": None if (s.no_tt or not s.tt) else s.tt,
                        "variant": lab.get("variant"), "traps": lab["traps"], "domain": s.D["name"],
                        "top_level": s.parent is None, "parent_session_id": s.parent, "n_events": s.n,
                        "cost_usd": round(s.cost, 6), "started_ts": s.start})
            f.write(json.dumps(rec, separators=(",", ":")))
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--profile", required=True, choices=["browser", "sre", "sales", "localization", "mixed"])
    ap.add_argument("--sessions", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--catalog", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                      "model_prices_and_context_window.json"))
    a = ap.parse_args()
    with open(a.catalog) as f:
        cat = json.load(f)
    cat.pop("sample_spec", None)
    _mk_domains()  # fresh domain tables (runaway builders may patch them)
    g = generate(a.seed, a.profile, a.sessions, cat)
    finish(g, a.out, a.labels)


if __name__ == "__main__":
    main()
