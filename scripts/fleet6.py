#!/usr/bin/env python3
"""fleet6 -- synthetic usage-event fleet for judging a runaway-agent-spend detector.

What it models
--------------
Three families of agent work that earlier fleets did not cover, each with its
own agents, event sources and traps:

* ``documents`` -- insurance-claim, invoice, KYC, expense and contract
  processing: OCR/extract tools, LLM extraction, validation tools and fix-up
  rounds.  Invoices and scanned claims arrive in bursts of near-identical
  sessions (one batch = one template); contracts are read chunk by chunk
  (hundreds of calls of the same tool with different arguments, stable cost per
  action); medical record bundles are sent as one very large input and then
  queried from the prompt cache; scanned pages go through vision models; a
  batch coordinator spawns per-document sub-agents.
* ``sre`` -- incident response: a commander that queries metrics and logs
  again and again with different time ranges and reasons between queries with
  a paid LLM, compacts its context, goes quiet for long stretches during
  multi-hour incidents, escalates to a database or Kubernetes specialist and
  gets the work handed back a few times, spawns a handful of log
  investigators, and starts a dashboard watcher that re-checks the same
  dashboard every few minutes with an LLM summary until the incident closes.
  Alert triage, runbooks with fixed step sequences applied host by host,
  pager acknowledgement polling, post-mortems on a long cached context and
  nightly capacity reports complete the picture.
* ``evals`` -- eval harnesses: drivers that fan out to 20-200 LLM-judge grader
  sub-sessions (sized by suite type: smoke, safety, regression, full), graders
  doing 1-3 calls each, provider brown-outs answered with HTTP 429 and
  exponential backoff, model-comparison sweeps that run the same prompts on
  models whose prices differ by up to three orders of magnitude (premium
  runners are expensive from their first call), self-consistency samplers
  that send the identical prompt many times, dataset synthesis, red-team
  harnesses and agentic benchmarks on premium models.
* ``mixed`` -- all of the above in one stream (about 45 % documents, 30 % SRE,
  25 % evals of the top-level sessions).

Runaways (label ``runaway``, ``kind`` = contract reason) cover loop_repeat,
loop_cycle, ping_pong, step_runaway, retry_storm, context_growth,
subagent_fanout, cost_spike and session_budget, with onsets that are
immediate, early, mid-session or late, fast and slow paces, bursty and noisy
shapes; a runaway goes on for hundreds to thousands of events or until a cost
limit.  Normal sessions carry a descriptive ``kind``: ``routine`` or the name
of the trap they exhibit (see TRAP_KINDS below).

Each top-level session and all its sub-agent sessions form one case.  When
the case is a runaway, the top-level session's label carries the kind and the
onset event (which may lie in a sub-agent session) and every other session of
the tree is labelled ``runaway`` with ``part_of`` = the top-level session.

Events follow the wire contract section 1: several sources with different
habits (RFC 3339 with ``Z``, with a numeric offset, with microseconds, with
second precision, or epoch milliseconds; explicit or implied ``kind``; zero
token counts written or left out; ``cost_usd`` reported by a gateway or by a
batch API at half price), source lag and batching so the file is in arrival
order rather than strictly in event-time order, a small share of duplicate
deliveries (same event_id, same bytes) and a few percent of sessions with the
optional fields stripped.  Models are names from the LiteLLM price catalog.

How to run
----------
    python3 scripts/fleet6.py --seed 1 --profile documents --sessions 2100 \\
        --out runs/documents.s1.ndjson --labels runs/documents.s1.labels.ndjson

``--sessions`` counts top-level sessions (tasks); sub-agent sessions come on top.  About
200k-300k events come from --sessions 2100 (documents), 2400 (sre), 1000 (evals) and
1900 (mixed); eval suites fan out to many graders, hence the smaller count there.

``--catalog`` points at the LiteLLM JSON (default: ../models/ next to this
script).  The output is fully determined by the arguments.  A one-line summary
goes to stderr.  Check a run with ``scripts/fleet6-stats.py``.

Written by a session that read only the contract (sections 1-2) and the price catalog, not the detector.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import heapq
import json
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

PROFILES = ("documents", "sre", "evals", "mixed")
RUNAWAY_KINDS = ("loop_repeat", "loop_cycle", "ping_pong", "step_runaway", "retry_storm",
                 "context_growth", "subagent_fanout", "cost_spike", "session_budget")

# Normal kinds a session can be labelled with (besides "routine").
TRAP_KINDS = {
    "batch_burst_near_identical": "one of 8-60 near-identical invoice/scan sessions started within minutes (same template, same schema args)",
    "repeated_vendor_lookup": "invoice agent re-runs lookup_vendor with identical args before many line items (idempotent, unmemoised)",
    "validation_fixup_rounds": "validate -> LLM fix -> validate 2-4 times; the revision in the args changes and it converges",
    "premium_escalation_once": "1-3 calls on a premium model for a low-confidence extraction, then back to the cheap model",
    "vision_scanned_pages": "one vision call per scanned page (1-30 pages), image tokens make every call costlier than text",
    "long_document_chunking": "contract read chunk by chunk: 40-600 read_chunk calls with different args, stable cost per action, parallel bursts",
    "huge_single_input": "one 200k-900k token call on a 1M-context model, follow-ups served from the prompt cache",
    "bulk_receipt_report": "expense report with 60-300 receipts: hundreds of cheap OCR/categorise/policy steps",
    "exception_handoff_roundtrip": "invoice or claim handed to an exceptions/fraud desk and back once",
    "vendor_tool_spend": "tool events that carry cost_usd (OCR pages, face match, sanctions) on top of LLM spend",
    "long_incident_quiet_stretches": "incident lasting 2-8 h with 10-70 min quiet stretches and periodic same-args status checks",
    "escalation_round_trips": "incident handed to a specialist and back 2-4 times over hours (legit ping-pong)",
    "compacting_context_sawtooth": "incident context grows by a few k tokens per step and is compacted back (sawtooth)",
    "premium_model_from_start": "incident or benchmark run on a premium model from the first call, bounded length",
    "parallel_query_bursts": "LLM asks for 3-6 metrics/log queries at once: several tool events with the same timestamp",
    "dashboard_watch_bounded": "watcher fetching the same dashboard (same args) every 2-5 min with an LLM summary, for up to 4 h, then stops",
    "runbook_fixed_step_cycle": "cordon/drain/restart/check/uncordon repeated host by host (same tool cycle, different args), health polls",
    "pager_ack_polling": "poll_ack with identical args every 20-60 s for up to 20 min, then escalation",
    "flapping_alert_retriage": "the same alert re-fires and is triaged again with near-identical sessions minutes apart",
    "metrics_range_sweep": "capacity report issuing 40-150 metrics queries over shifted time ranges",
    "cached_long_context": "post-mortem writer on a 40k-150k token context mostly read from cache, final premium synthesis",
    "wide_eval_fanout": "eval driver spawning 20-200 grader sub-sessions (by suite type) with a concurrency limit",
    "results_polling_same_args": "driver polling poll_results with identical args every 20-60 s while graders run",
    "rate_limit_backoff": "HTTP 429 during a provider brown-out answered by 1-6 retries with exponential backoff",
    "premium_sweep_from_first_call": "model-sweep runner on o1-pro/gpt-5-pro/opus: expensive per action from its first call",
    "sequential_model_sweep": "one session runs the same prompts on cheap then premium models (planned, bounded price step)",
    "self_consistency_resampling": "the identical prompt sampled 5-16 times per item (same tokens, same record_vote args)",
    "long_synthesis_run": "dataset synthesis: 100-400 generate/dedupe/write steps",
    "attacker_target_judge_rounds": "red-team rounds cycling attacker, target and judge models with a growing transcript",
    "premium_agent_benchmark": "agentic benchmark on a premium model, 20-80 steps, re-running the same test command",
    "adjudication_handoff": "grader hands a disputed item to an adjudicator and gets it back",
    "eval_grader": "LLM-judge grader sub-session, 1-3 calls",
    "specialist_escalation": "specialist sub-session answering escalations",
    "subagent_worker": "ordinary sub-agent of a normal tree",
}

BASE_KINDS = {"routine", "eval_grader", "subagent_worker", "specialist_escalation"}
TRAP_PRIORITY = {"vendor_tool_spend": 1, "parallel_query_bursts": 2, "vision_scanned_pages": 2, "wide_eval_fanout": 2,
                 "batch_burst_near_identical": 3, "validation_fixup_rounds": 4, "repeated_vendor_lookup": 4,
                 "exception_handoff_roundtrip": 4, "rate_limit_backoff": 5, "compacting_context_sawtooth": 5,
                 "long_incident_quiet_stretches": 6, "premium_escalation_once": 6, "adjudication_handoff": 6,
                 "escalation_round_trips": 7, "premium_model_from_start": 8}

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# --------------------------------------------------------------------------- models
M = {
    "nano41": "gpt-4.1-nano", "mini41": "gpt-4.1-mini", "g41": "gpt-4.1",
    "g4o": "gpt-4o", "g4omini": "gpt-4o-mini",
    "g5": "gpt-5", "g5mini": "gpt-5-mini", "g5nano": "gpt-5-nano", "g5pro": "gpt-5-pro",
    "o3": "o3", "o3pro": "o3-pro", "o4mini": "o4-mini", "o1pro": "o1-pro",
    "haiku": "claude-haiku-4-5", "haiku35": "claude-3-5-haiku-20241022", "sonnet": "claude-sonnet-4-5",
    "sonnet46": "claude-sonnet-4-6", "opus41": "claude-opus-4-1", "opus45": "claude-opus-4-5",
    "gflash": "gemini-2.5-flash", "gflite": "gemini-2.5-flash-lite", "gpro": "gemini-2.5-pro",
    "gemflash": "gemini/gemini-2.5-flash", "gempro": "gemini/gemini-2.5-pro",
    "dschat": "deepseek-chat", "dsr1": "deepseek/deepseek-r1",
    "msmall": "mistral/mistral-small-latest", "mlarge": "mistral/mistral-large-latest",
    "mmedium": "mistral/mistral-medium-latest", "pixtral": "mistral/pixtral-large-latest",
    "llama70": "us.meta.llama3-1-70b-instruct-v1:0", "llamavis": "fireworks_ai/accounts/fireworks/models/llama-v3p2-11b-vision-instruct",
    "tog70": "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "grok": "xai/grok-4.20-reasoning",
}
REASONING = {"o3", "o3-pro", "o4-mini", "o1-pro", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-pro",
             "deepseek/deepseek-r1", "xai/grok-4.20-reasoning"}
TPS = {"gpt-4.1-nano": 180, "gpt-4o-mini": 120, "gemini-2.5-flash-lite": 220, "gemini-2.5-flash": 170,
       "claude-haiku-4-5": 130, "claude-opus-4-1": 35, "o1-pro": 20, "o3-pro": 25, "gpt-5-pro": 25,
       "claude-sonnet-4-5": 70, "gpt-4o": 80, "gemini-2.5-pro": 90}
# pricier candidates for a cost spike
SPIKE_POOL = ["g4o", "g41", "g5", "o3", "sonnet", "sonnet46", "opus41", "opus45", "gpro", "mmedium",
              "pixtral", "o4mini", "mlarge", "llama70"]


def loguni(rng, a, b):
    return math.exp(rng.uniform(math.log(a), math.log(b)))


def jit(rng, x, f=0.1):
    return x * rng.uniform(1 - f, 1 + f)


def wchoice(rng, items):
    tot = sum(w for _, w in items)
    r = rng.random() * tot
    for v, w in items:
        r -= w
        if r <= 0:
            return v
    return items[-1][0]


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CROCK = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def b62(n, width):
    s = []
    for _ in range(width):
        n, r = divmod(n, 62)
        s.append(B62[r])
    return "".join(s)


# --------------------------------------------------------------------------- catalog
class Catalog:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        self.m = {k: v for k, v in raw.items() if isinstance(v, dict) and "input_cost_per_token" in v}

    def provider(self, m):
        return self.m[m].get("litellm_provider") or "unknown"

    def max_in(self, m):
        return self.m[m].get("max_input_tokens") or 128000

    def price(self, m, inp=0, out=0, cr=0, cw=0, rs=0):
        e = self.m.get(m)
        if not e:
            return 0.0
        ic = e.get("input_cost_per_token") or 0.0
        oc = e.get("output_cost_per_token") or 0.0
        crc = e.get("cache_read_input_token_cost")
        crc = ic if crc is None else crc
        cwc = e.get("cache_creation_input_token_cost")
        cwc = ic if cwc is None else cwc
        rc = e.get("output_cost_per_reasoning_token")
        rc = oc if rc is None else rc
        return inp * ic + out * oc + cr * crc + cw * cwc + rs * rc


# --------------------------------------------------------------------------- sources and agents
class Source:
    def __init__(self, name, ts, ids, kind_explicit=True, v=False, omit_zero=False, cost=None,
                 lag=(30, 600), flush=0, skew=0.0, offset=0, status_explicit=False,
                 latency=True, hash_style="hex16", llm_tool=True):
        self.name, self.ts, self.ids = name, ts, ids
        self.kind_explicit, self.v, self.omit_zero, self.cost = kind_explicit, v, omit_zero, cost
        self.lag, self.flush, self.skew, self.offset = lag, flush, skew, offset
        self.status_explicit, self.latency, self.hash_style, self.llm_tool = status_explicit, latency, hash_style, llm_tool


SOURCES = {
    # an LLM gateway that prices every call itself
    "gateway": Source("gateway", "z_ms", "uuid", v=True, cost="catalog", lag=(30, 400),
                      status_explicit=True, hash_style="sha256"),
    # OpenTelemetry collector: epoch ms, batched exports
    "otel": Source("otel", "epoch_ms", "otel", lag=(150, 1500), flush=5000, hash_style="hex16"),
    # python SDK callback: microsecond RFC 3339 with +00:00, kind implied for llm, zero counts left out
    "sdk": Source("sdk", "us_utc", "evt", kind_explicit=False, omit_zero=True, lag=(20, 300),
                  hash_style="hex12", llm_tool=False),
    # batch API result ingester: second precision, half-price cost_usd, arrives minutes later
    "batch": Source("batch", "z_s", "batch", cost="batch50", lag=(15000, 240000), hash_style="hex16"),
    # on-prem daemon in Europe with a skewed clock and a local offset
    "onprem": Source("onprem", "offset", "ulid", offset=60, skew=38000.0, lag=(100, 2500),
                     hash_style="hex16", latency=False),
    # on-prem daemon in the US east coast, slightly behind
    "onprem_us": Source("onprem_us", "offset", "ulid", offset=-300, skew=-4200.0, lag=(100, 2000),
                        hash_style="hex16"),
}


class Agent:
    def __init__(self, key, task_type, source, tenant, team, feature, env="prod", sid="uuid", labels=None):
        self.agent_id = key
        self.task_type = task_type
        self.source = SOURCES[source]
        self.tenant, self.team, self.feature, self.env = tenant, team, feature, env
        self.sid = sid
        self.labels = labels or {}


AGENTS = {a.agent_id: a for a in [
    # documents (10)
    Agent("ap-invoice-bot", "invoice_processing", "batch", "globex-finance", "accounts-payable", "invoice-capture", sid="run"),
    Agent("ap-exceptions-desk", "invoice_exception", "batch", "globex-finance", "accounts-payable", "exceptions", sid="run"),
    Agent("claims-intake", "claim_extraction", "gateway", "northwind-insurance", "claims-ops", "fnol-intake", sid="uuid",
          labels={"line": "auto"}),
    Agent("claims-scan-reader", "scanned_claim_extraction", "sdk", "northwind-insurance", "claims-ops", "mailroom-scan", sid="conv"),
    Agent("siu-fraud-screener", "fraud_screening", "gateway", "northwind-insurance", "siu", "fraud-screen", sid="uuid"),
    Agent("contract-reviewer", "contract_review", "otel", "globex-legal", "legal-ops", "clause-review", sid="hex32"),
    Agent("medical-records-summarizer", "records_summary", "gateway", "northwind-insurance", "medical-review", "records-digest", sid="uuid"),
    Agent("kyc-verifier", "kyc_verification", "onprem", "globex-finance", "onboarding", "kyc", env="prod-eu", sid="ulid"),
    Agent("doc-batch-coordinator", "batch_dispatch", "otel", "northwind-insurance", "claims-ops", "batch-intake", sid="hex32"),
    Agent("expense-auditor", "expense_audit", "sdk", "globex-finance", "finance-ops", "t-and-e", sid="conv"),
    # sre (10)
    Agent("incident-commander", "incident_response", "otel", "platform", "sre", "incident-bot", sid="hex32"),
    Agent("db-specialist", "db_diagnosis", "otel", "platform", "dba", "incident-bot", sid="hex32"),
    Agent("log-investigator", "log_investigation", "otel", "platform", "sre", "incident-bot", sid="hex32"),
    Agent("dashboard-watcher", "dashboard_watch", "sdk", "platform", "sre", "watch", sid="conv"),
    Agent("alert-triage", "alert_triage", "gateway", "platform", "sre", "alert-triage", sid="uuid"),
    Agent("runbook-runner", "runbook", "onprem_us", "platform", "infra", "runbooks", sid="ulid"),
    Agent("postmortem-writer", "postmortem", "gateway", "platform", "sre", "postmortems", sid="uuid"),
    Agent("pager-bot", "paging", "sdk", "platform", "sre", "paging", sid="conv"),
    Agent("capacity-planner", "capacity_report", "gateway", "platform", "capacity", "capacity-report", env="batch", sid="run"),
    Agent("k8s-specialist", "k8s_diagnosis", "otel", "platform", "infra", "incident-bot", sid="hex32"),
    # evals (10)
    Agent("eval-driver", "eval_suite", "otel", "ml-research", "evals", "nightly-evals", env="ci", sid="run"),
    Agent("llm-judge", "eval_grade", "gateway", "ml-research", "evals", "nightly-evals", env="ci", sid="uuid"),
    Agent("judge-adjudicator", "eval_adjudication", "gateway", "ml-research", "evals", "nightly-evals", env="ci", sid="uuid"),
    Agent("sweep-driver", "model_comparison", "sdk", "ml-research", "model-selection", "model-sweeps", env="dev", sid="conv"),
    Agent("sweep-runner", "model_comparison_run", "sdk", "ml-research", "model-selection", "model-sweeps", env="dev", sid="conv"),
    Agent("consistency-sampler", "self_consistency", "gateway", "ml-research", "evals", "consistency", env="ci", sid="uuid"),
    Agent("eval-data-synth", "dataset_synthesis", "batch", "ml-research", "data", "synthetic-data", env="dev", sid="run"),
    Agent("redteam-harness", "redteam", "onprem", "ml-research", "safety", "redteam", env="dev", sid="ulid"),
    Agent("agent-bench-runner", "agent_benchmark", "otel", "ml-research", "agents", "agent-bench", env="ci", sid="hex32"),
    Agent("safety-eval-driver", "safety_suite", "otel", "ml-research", "safety", "safety-evals", env="ci", sid="run"),
]}

TOOL_LAT = {  # name: (lo, hi) ms, log-uniform
    "fetch_invoice": (40, 400), "load_schema": (5, 60), "ocr_document": (900, 6000), "lookup_vendor": (15, 220),
    "match_po_line": (20, 300), "validate_totals": (10, 150), "apply_correction": (10, 120), "post_to_erp": (150, 1800),
    "fetch_document": (60, 700), "ocr_page": (600, 4000), "validate_claim": (15, 200), "apply_fix": (10, 100),
    "lookup_policy": (30, 400), "submit_claim": (200, 1500), "read_page": (50, 400), "rotate_page": (30, 200),
    "split_document": (200, 2500), "read_chunk": (15, 180), "merge_findings": (30, 300), "fetch_bundle": (800, 9000),
    "fetch_id_document": (80, 800), "kyc_face_match": (700, 4000), "sanctions_check": (200, 2500), "address_verify": (150, 1500),
    "enqueue_document": (10, 90), "batch_status": (20, 200), "write_batch_report": (50, 500), "ocr_receipt": (400, 2500),
    "policy_check": (10, 150), "list_receipts": (40, 500),
    "get_alert": (30, 300), "query_metrics": (120, 4000), "search_logs": (400, 12000), "get_traces": (200, 3000),
    "kubectl_get": (150, 2000), "restart_service": (2000, 30000), "check_health": (50, 900), "scale_deployment": (500, 6000),
    "rollback_deploy": (3000, 45000), "post_update": (80, 600), "get_incident_status": (20, 200), "close_incident": (50, 500),
    "fetch_dashboard": (300, 3500), "ack_alert": (40, 300), "cordon_node": (200, 1500), "drain_node": (5000, 120000),
    "uncordon_node": (200, 1500), "fetch_timeline": (300, 4000), "write_section": (30, 300), "page_oncall": (150, 1200),
    "poll_ack": (40, 400), "escalate_secondary": (150, 1200), "run_sql": (100, 8000), "explain_query": (100, 2500),
    "describe_pod": (150, 1500), "spawn_investigator": (20, 200), "fetch_runbook": (30, 300), "get_deploys": (50, 600),
    "check_coverage": (30, 400), "estimate_reserve": (20, 300), "add_claim_note": (10, 150), "lookup_code": (10, 200),
    "load_dataset": (300, 5000), "dispatch_grader": (10, 120), "poll_results": (20, 250), "write_report": (100, 900),
    "fetch_sample": (20, 300), "submit_grade": (10, 150), "rerun_failed": (40, 400), "score_output": (5, 80),
    "record_vote": (5, 60), "aggregate_votes": (10, 120), "dedupe_check": (10, 200), "write_example": (10, 150),
    "send_attack": (20, 300), "score_attack": (10, 150), "bash": (50, 20000), "read_file": (5, 80), "edit_file": (5, 120),
    "run_tests": (3000, 90000), "list_files": (5, 60),
}


def tool_lat(rng, name):
    lo, hi = TOOL_LAT.get(name, (50, 1500))
    return loguni(rng, lo, hi)


SERVICES = ["checkout-api", "payments-gw", "search-svc", "auth", "inventory", "orders-db", "cart", "ledger",
            "notifications", "media-cdn", "recs", "pricing", "shipping", "profile-svc", "gateway-edge"]
DASHBOARDS = ["svc-overview", "latency-slo", "error-budget", "db-replication", "k8s-nodes", "queue-depth", "edge-5xx"]


# --------------------------------------------------------------------------- ids
class Ids:
    def __init__(self, seed_str):
        self.rng = random.Random(seed_str)
        self.seen = set()

    def _uuid(self):
        x = f"{self.rng.getrandbits(128):032x}"
        return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{'89ab'[int(x[16], 16) & 3]}{x[17:20]}-{x[20:]}"

    def _ulid(self, t_ms):
        n = (int(t_ms) << 80) | self.rng.getrandbits(80)
        s = []
        for _ in range(26):
            n, r = divmod(n, 32)
            s.append(CROCK[r])
        return "".join(reversed(s))

    def event(self, fmt, t_ms):
        while True:
            if fmt == "uuid":
                s = self._uuid()
            elif fmt == "evt":
                s = "evt_" + b62(self.rng.getrandbits(130), 22)
            elif fmt == "ulid":
                s = self._ulid(t_ms)
            elif fmt == "otel":
                s = f"{self.rng.getrandbits(128):032x}.{self.rng.getrandbits(64):016x}"
            else:
                s = f"batch_req_{self.rng.getrandbits(96):024x}"
            if s not in self.seen:
                self.seen.add(s)
                return s

    def session(self, fmt, t_ms, agent_id):
        while True:
            if fmt == "uuid":
                s = self._uuid()
            elif fmt == "conv":
                s = "conv_" + b62(self.rng.getrandbits(120), 20)
            elif fmt == "ulid":
                s = self._ulid(t_ms)
            elif fmt == "hex32":
                s = f"{self.rng.getrandbits(128):032x}"
            else:
                d = (EPOCH + timedelta(milliseconds=t_ms)).strftime("%Y%m%d")
                s = f"run-{d}-{self.rng.getrandbits(40):010x}"
            if s not in self.seen:
                self.seen.add(s)
                return s


def args_hash(style, args):
    canon = json.dumps(args, sort_keys=True, separators=(",", ":"))
    d = hashlib.sha256(canon.encode()).hexdigest()
    if style == "sha256":
        return "sha256:" + d[:40]
    if style == "hex12":
        return d[:12]
    return d[:16]


def fmt_ts(ms, style, offset_min):
    if style == "epoch_ms":
        return int(round(ms))
    whole = math.floor(ms)
    dt = EPOCH + timedelta(milliseconds=whole)
    if style == "z_ms":
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{whole % 1000:03d}Z"
    if style == "z_s":
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "us_utc":
        us = int((ms - math.floor(ms / 1000) * 1000) * 1000)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{us:06d}+00:00"
    # local offset
    ld = dt + timedelta(minutes=offset_min)
    sign = "+" if offset_min >= 0 else "-"
    o = abs(offset_min)
    return ld.strftime("%Y-%m-%dT%H:%M:%S.") + f"{whole % 1000:03d}{sign}{o // 60:02d}:{o % 60:02d}"


# --------------------------------------------------------------------------- sessions
class Session:
    def __init__(self, ctx, agent_key, rng, t0, task_id, parent=None, task_type=None):
        self.ctx = ctx
        self.agent = AGENTS[agent_key]
        self.rng = rng
        self.t = float(t0)
        self.sid = ctx.ids.session(self.agent.sid, t0, agent_key)
        self.task_id = task_id
        self.parent = parent
        self.root = parent.root if parent is not None else self
        self.task_type = task_type or self.agent.task_type
        self.events = []
        self.kind = "routine"
        self.sparse = rng.random() < ctx.sparse_rate
        self.rk = None
        self.onset_mode = "mid"
        self.onset_at = None
        self.fired = False
        self.tailing = parent.tailing if parent is not None else False
        self.pace = 1.0
        self.spike_model = None
        self.spike_mult = 1.0
        self.cost = 0.0
        # case bookkeeping (used on the root)
        self.case_kind = None
        self.onset_id = None
        self.await_onset = False
        self.tail_n = 0
        self.tail_cost = 0.0
        ctx.sessions.append(self)

    # ---- runaway plumbing
    def plan_onset(self, est):
        if self.rk is None:
            return
        r = self.rng
        est = max(4, est)
        m = self.onset_mode
        if m == "immediate":
            self.onset_at = r.randint(1, 3)
        elif m == "early":
            self.onset_at = max(2, int(est * r.uniform(0.08, 0.25)))
        elif m == "mid":
            self.onset_at = max(3, int(est * r.uniform(0.35, 0.6)))
        elif m == "late":
            self.onset_at = max(4, int(est * r.uniform(0.75, 0.95)))
        else:  # "end": only the final checkpoint fires
            self.onset_at = 10 ** 9

    def due(self, final=False):
        if self.rk is None or self.fired:
            return False
        if self.onset_at is None:
            self.onset_at = 3
        return final or len(self.events) >= self.onset_at

    def trap(self, kind):
        """Label the session with the most telling trap it has shown so far."""
        if TRAP_PRIORITY.get(kind, 3) > TRAP_PRIORITY.get(self.kind, 3) or self.kind in BASE_KINDS:
            self.kind = kind

    # ---- emission
    def _ev(self, kind, t_end, f, agent=None):
        ag = agent or self.agent
        src = ag.source
        ev = f
        ev["_t"] = t_end
        ev["_s"] = self
        ev["_ag"] = ag
        ev["_src"] = self.agent.source  # one session = one emitting process, even when it speaks for another agent
        ev["kind"] = kind
        ev["event_id"] = self.ctx.ids.event(src.ids, t_end)
        if "args" in ev:
            a = ev.pop("args")
            if a is not None:
                ev["args_hash"] = args_hash(src.hash_style, a)
        cost = 0.0
        if kind == "llm":
            base = self.ctx.cat.price(ev["model"], ev["input_tokens"], ev["output_tokens"],
                                      ev["cache_read_tokens"], ev["cache_write_tokens"], ev["reasoning_tokens"])
            if self.sparse or src.cost is None:
                cost = base
            elif src.cost == "catalog":
                ev["cost_usd"] = round(base, 8)
                cost = ev["cost_usd"]
            else:
                ev["cost_usd"] = round(base * 0.5, 8)
                cost = ev["cost_usd"]
        elif "cost_usd" in ev:
            if self.sparse:
                del ev["cost_usd"]
            else:
                cost = ev["cost_usd"]
        ev["_cost"] = cost
        self.cost += cost
        self.events.append(ev)
        if self.tailing:
            r = self.root
            if r.await_onset:
                r.onset_id = ev["event_id"]
                r.await_onset = False
            r.tail_n += 1
            r.tail_cost += cost
        return ev

    def wait(self, ms):
        self.t += ms

    def llm(self, model, inp, out=0, cr=0, cw=0, rs=None, tool=None, args=None, status="ok",
            think=(60, 600), lat=None, agent=None, brown=True):
        ctx, rng = self.ctx, self.rng
        m = M.get(model, model)
        if think:
            self.t += rng.uniform(*think) * self.pace
        inp, out, cr, cw = int(max(0, inp)), int(max(0, out)), int(max(0, cr)), int(max(0, cw))
        mx = ctx.cat.max_in(m)
        if inp + cr + cw > mx:
            over = inp + cr + cw - mx + rng.randint(200, 3000)
            take = min(inp, over)
            inp -= take
            over -= take
            if over > 0:
                cr = max(0, cr - over)
        if rs is None:
            rs = int(out * rng.uniform(0.3, 2.5)) if (m in REASONING and status == "ok") else 0
        if brown and status == "ok" and not self.tailing and ctx.brownout(m, self.t) and rng.random() < 0.55:
            self.trap("rate_limit_backoff")
            k = wchoice(rng, [(1, 4), (2, 4), (3, 3), (4, 2), (5, 1), (6, 1)])
            retry_after = rng.random() < 0.3
            for i in range(k):
                self.t += rng.uniform(40, 350)
                self._ev("llm", self.t, self._llm_fields(m, 0, 0, 0, 0, 0, tool, args, "retry", rng.uniform(40, 350)), agent)
                if retry_after:
                    self.t += rng.uniform(5000, 30000)
                else:
                    self.t += 1000 * (2 ** i) * rng.uniform(0.5, 1.5)
        if lat is None:
            if status == "retry":
                lat = rng.uniform(30, 400)
            elif status == "error":
                lat = rng.uniform(300, 3000) if rng.random() < 0.8 else rng.uniform(20000, 60000)
            else:
                tps = TPS.get(m, 85) * rng.uniform(0.7, 1.3)
                lat = rng.uniform(220, 1100) + (inp + cr) * rng.uniform(0.004, 0.02) + (out + rs) / tps * 1000
        self.t += lat
        return self._ev("llm", self.t, self._llm_fields(m, inp, out, cr, cw, rs, tool, args, status, lat), agent)

    def _llm_fields(self, m, inp, out, cr, cw, rs, tool, args, status, lat):
        f = {"model": m, "provider": self.ctx.cat.provider(m), "input_tokens": inp, "output_tokens": out,
             "cache_read_tokens": cr, "cache_write_tokens": cw, "reasoning_tokens": rs,
             "status": status, "latency_ms": int(lat)}
        if tool and self.agent.source.llm_tool:
            f["tool"] = tool
            f["args"] = args
        return f

    def tool(self, name, args, status="ok", think=(30, 400), lat=None, cost=None, agent=None):
        rng = self.rng
        if think:
            self.t += rng.uniform(*think) * self.pace
        if lat is None:
            lat = tool_lat(rng, name)
            if status == "error":
                lat = rng.uniform(20, 2500) if rng.random() < 0.85 else rng.uniform(10000, 30000)
            elif status == "retry":
                lat = rng.uniform(10, 300)
        self.t += lat
        f = {"tool": name, "args": args, "status": status, "latency_ms": int(lat)}
        if cost is not None:
            f["cost_usd"] = round(cost, 6)
        return self._ev("tool", self.t, f, agent)

    def par_tools(self, calls, think=(20, 300)):
        """Several tool calls issued at once (parallel tool use)."""
        rng = self.rng
        self.t += rng.uniform(*think) * self.pace
        t0 = self.t
        ends = []
        for c in calls:
            name, args = c[0], c[1]
            cost = c[2] if len(c) > 2 else None
            lat = tool_lat(rng, name)
            f = {"tool": name, "args": args, "status": "ok", "latency_ms": int(lat)}
            if cost is not None:
                f["cost_usd"] = round(cost, 6)
            self._ev("tool", t0 + lat, f)
            ends.append(t0 + lat)
        self.t = max(ends)

    def handoff(self, target, think=(40, 500), agent=None):
        rng = self.rng
        if think:
            self.t += rng.uniform(*think) * self.pace
        lat = rng.uniform(5, 60)
        self.t += lat
        return self._ev("handoff", self.t, {"target_agent_id": target, "status": "ok", "latency_ms": int(lat)}, agent)


# --------------------------------------------------------------------------- context
class Plan:
    def __init__(self, idx, scn, start, extra=None):
        self.idx, self.scn, self.start = idx, scn, start
        self.extra = extra or {}
        self.rk = None
        self.onset_mode = None
        self.root = None


class Ctx:
    def __init__(self, seed, profile, cat):
        self.seed, self.profile, self.cat = seed, profile, cat
        self.master = random.Random(f"fleet6/{seed}/{profile}/master")
        self.ids = Ids(f"fleet6/{seed}/{profile}/ids")
        base = datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(days=seed % 9)
        self.start_ms = (base - EPOCH).total_seconds() * 1000.0
        self.span_ms = self.master.uniform(26, 44) * 3600e3
        self.end_ms = self.start_ms + self.span_ms
        self.hard_end = self.end_ms + 1.5 * 3600e3
        self.sessions = []
        self.sparse_rate = self.master.uniform(0.025, 0.045)
        self.brownouts = {}
        provs = ["openai", "anthropic", "vertex_ai-language-models", "gemini", "mistral"]
        for _ in range(self.master.randint(4, 8)):
            p = wchoice(self.master, [(x, w) for x, w in zip(provs, [4, 3, 2, 1, 1])])
            t0 = self.start_ms + self.master.uniform(0.02, 0.95) * self.span_ms
            self.brownouts.setdefault(p, []).append((t0, t0 + loguni(self.master, 4 * 60e3, 35 * 60e3)))
        self.task_seq = 0

    def brownout(self, model, t):
        for a, b in self.brownouts.get(self.cat.provider(model), ()):
            if a <= t <= b:
                return True
        return False

    def task_id(self, rng, prefix):
        self.task_seq += 1
        return f"{prefix}-{self.task_seq:06d}-{rng.getrandbits(24):06x}"

    def top(self, p, agent_key, prefix, task_type=None):
        rng = random.Random(f"fleet6/{self.seed}/{self.profile}/plan/{p.idx}")
        s = Session(self, agent_key, rng, p.start, self.task_id(rng, prefix), task_type=task_type)
        s.rk = p.rk
        s.onset_mode = p.onset_mode or "mid"
        s.case_kind = p.rk
        p.root = s
        return s

    def child(self, parent, agent_key, t0, task_type=None):
        rng = random.Random(parent.rng.getrandbits(64))
        return Session(self, agent_key, rng, t0, parent.task_id, parent=parent, task_type=task_type)

    def handoff_carrier(self, s, child):
        """Move a pending runaway from s to its sub-session."""
        child.rk, child.onset_mode = s.rk, s.onset_mode
        s.rk = None

    # ---- tails
    def tail_go(self, s, n, cap):
        r = s.root
        if r.await_onset:
            return True
        return r.tail_n < n and r.tail_cost < cap and s.t < self.hard_end

    def tail(self, s, spec):
        kind = s.rk
        s.fired = True
        s.rk = None
        rng = s.rng
        r = s.root
        x = rng.random()
        if x < 0.7:
            n = int(loguni(rng, 150, 450))
        elif x < 0.94:
            n = int(loguni(rng, 450, 1300))
        else:
            n = int(loguni(rng, 1300, 3000))
        if kind == "step_runaway":  # only its length tells it apart: well past the longest normal run
            n = max(2 * n, 600)
        cap = loguni(rng, 25, 700)
        if kind == "session_budget":
            cap = loguni(rng, 60, 900)
        s.tailing = True
        r.await_onset = True
        TAILS[kind](self, s, spec, n, cap)
        if r.await_onset:
            raise RuntimeError(f"tail {kind} emitted nothing ({s.agent.agent_id})")
        return True


def pricier(ctx, rng, cheap, inp, out, cr=0, lo=4.9, hi=28.0):
    """A model whose cost for the same call is lo..hi times that of `cheap` (same provider preferred)."""
    cheap = M.get(cheap, cheap)

    def cost(m):
        return ctx.cat.price(m, inp, out, cr, 0, out * 1.4 if m in REASONING else 0)
    c = cost(cheap)
    prov = ctx.cat.provider(cheap)
    cands = []
    for k in SPIKE_POOL:
        m = M[k]
        if m == cheap or ctx.cat.max_in(m) < inp + cr:
            continue
        r = cost(m) / max(c, 1e-12)
        if lo <= r <= hi:
            cands.append((m, ctx.cat.provider(m) == prov))
    if not cands:
        return None
    same = [m for m, sp in cands if sp]
    if same and rng.random() < 0.65:
        return rng.choice(same)
    return rng.choice([m for m, _ in cands])


def setup_spike(ctx, s, spec):
    """Choose the switch for a cost spike: a model 5-28x pricier for the same call, or a context
    inflated so that the call costs 7-22x more.  spec["spike"]: model, inp (the part a context
    inflation multiplies), fixed (input that stays), cr (cached input, multiplied when mult_cr), out."""
    rng = s.rng
    sp = spec.get("spike")
    if sp is None:
        return
    model = M.get(sp["model"], sp["model"])
    cr = sp.get("cr", 0)
    fixed = sp.get("fixed", 0)
    base = ctx.cat.price(model, sp["inp"] + fixed, sp["out"], cr)
    unit = max(ctx.cat.price(model, sp["inp"], 0, cr if sp.get("mult_cr", True) else 0), 1e-12)
    r = rng.uniform(7, 22)
    mult = 1 + (r - 1) * base / unit
    m = None
    fits = sp.get("ctx_tokens", sp["inp"] + fixed + cr) * mult <= 0.9 * ctx.cat.max_in(model)
    if sp.get("bust_ok") and rng.random() < 0.5:
        return  # the step function busts the cache instead
    if not (sp.get("ctx_ok") and rng.random() < 0.35 and mult <= 25 and fits):
        m = pricier(ctx, rng, model, sp["inp"] + fixed, sp["out"], cr)
    if m or sp.get("bust_ok"):
        s.spike_model = m
        return
    s.spike_mult = min(25.0, max(3.0, mult))


# --------------------------------------------------------------------------- runaway tails
def t_loop_repeat(ctx, s, spec, n, cap):
    rp = spec["repeat"]
    rng = s.rng
    shape = rp.get("shape") or wchoice(rng, [("tight", 3), ("paired", 4), ("noisy", 2), ("bursty", 2)])
    if shape == "paired" and not rp.get("llm"):
        shape = "tight"
    gaps = {"tight": (25, 700), "paired": (150, 2500), "noisy": (150, 2500), "bursty": (30, 500)}.get(shape)
    burst = rng.randint(15, 60)
    i = 0
    while ctx.tail_go(s, n, cap):
        if shape == "slow":
            s.wait(rng.uniform(*rp.get("every", (100e3, 330e3))))
            s.tool(rp["tool"], rp["args"], think=(5, 200))
            if rp.get("llm"):
                m, inp, out = rp["llm"]
                s.llm(m, jit(rng, inp, 0.03), jit(rng, out, 0.3), think=(50, 400))
            if rp.get("post") and rng.random() < 0.25:
                s.tool(*rp["post"](i))
        else:
            if rp.get("llm") and shape != "tight":
                m, inp, out = rp["llm"]
                s.llm(m, jit(rng, inp, 0.02), jit(rng, out, 0.25), tool=rp["tool"], args=rp["args"], think=gaps)
                s.tool(rp["tool"], rp["args"], think=(5, 120))
            else:
                s.tool(rp["tool"], rp["args"], think=gaps)
            if shape == "noisy" and rng.random() < 0.18 and rp.get("noise"):
                nt, na = rp["noise"](i)
                s.tool(nt, na, think=(50, 600))
            if shape == "bursty" and (i + 1) % burst == 0:
                s.wait(loguni(rng, 20e3, 400e3))
        i += 1


def t_loop_cycle(ctx, s, spec, n, cap):
    steps = spec["cycle"]
    rng = s.rng
    shape = wchoice(rng, [("exact", 4), ("jitter", 3), ("slow", 1.5), ("noisy", 1.5)])
    g = (40, 1200) if shape != "slow" else (4e3, 45e3)
    i = 0
    while ctx.tail_go(s, n, cap):
        for st in steps:
            if st[0] == "tool":
                s.tool(st[1], st[2], think=g, status=st[3] if len(st) > 3 else "ok")
            else:
                _, m, inp, out, tl, ta = st
                s.llm(m, inp if shape == "exact" else jit(rng, inp, 0.04), jit(rng, out, 0.2), tool=tl, args=ta, think=g)
        if shape == "noisy" and rng.random() < 0.15 and spec.get("noise"):
            nt, na = spec["noise"](i)
            s.tool(nt, na, think=(50, 800))
        i += 1


def t_ping_pong(ctx, s, spec, n, cap):
    pp = spec["pp"]
    rng = s.rng
    A, B = s.agent, AGENTS[pp["partner"]]
    mode = pp.get("mode") or wchoice(rng, [("two", 3), ("one", 1)])
    b = None
    if mode == "two":
        b = pp.get("session")
        if b is None:
            b = ctx.child(s, pp["partner"], s.t)
        b.tailing = True
    pace = wchoice(rng, [((300, 3000), 3), ((3000, 25000), 2), ((20e3, 120e3), 1)])
    i = 0
    while ctx.tail_go(s, n, cap):
        s.handoff(B.agent_id, think=pace)
        if b is not None:
            b.t = max(b.t, s.t) + rng.uniform(50, 900)
            if rng.random() < 0.85:
                b.llm(pp["mb"], jit(rng, pp["inb"], 0.15), rng.randint(40, 450), think=(30, 300))
            if pp.get("tb") and rng.random() < 0.4:
                b.tool(*pp["tb"](i))
            b.handoff(A.agent_id, think=(30, 400))
            s.t = max(s.t, b.t) + rng.uniform(50, 900)
        else:
            if rng.random() < 0.85:
                s.llm(pp["mb"], jit(rng, pp["inb"], 0.15), rng.randint(40, 450), think=(30, 300), agent=B)
            s.handoff(A.agent_id, think=(30, 400), agent=B)
        if rng.random() < 0.8:
            s.llm(pp["ma"], jit(rng, pp["ina"], 0.15), rng.randint(40, 450), think=(30, 300))
        if pp.get("ta") and rng.random() < 0.3:
            s.tool(*pp["ta"](i))
        i += 1


def t_step_runaway(ctx, s, spec, n, cap):
    step = spec["step"]
    rng = s.rng
    shape = wchoice(rng, [("steady", 4), ("accel", 2), ("bursty", 2)])
    i = spec.get("i0", 0)
    every = rng.randint(30, 120)
    while ctx.tail_go(s, n, cap):
        step(s, i, "normal")
        i += 1
        if shape == "accel":
            s.pace = max(0.08, s.pace * 0.992)
        elif shape == "bursty" and i % every == 0:
            s.wait(loguni(rng, 30e3, 600e3))


def t_retry_storm(ctx, s, spec, n, cap):
    rt = spec["retry"]
    rng = s.rng
    shape = wchoice(rng, [("nobackoff", 4), ("capped", 3), ("reset", 2)])
    cap_ms = rng.uniform(400, 2500)
    billed = rng.random() < 0.3
    i = 0
    while ctx.tail_go(s, n, cap):
        if shape == "nobackoff":
            d = rng.uniform(5, 300)
        elif shape == "capped":
            d = min(cap_ms, 100 * (2 ** min(i, 12))) * rng.uniform(0.8, 1.2)
        else:
            d = 200 * (2 ** (i % 4)) * rng.uniform(0.7, 1.3)
        if "llm" in rt:
            m, inp, out = rt["llm"]
            if rng.random() < 0.015:
                s.llm(m, jit(rng, inp, 0.05), jit(rng, out, 0.3), think=(d, d + 1), brown=False)
            else:
                st = "retry" if rng.random() < 0.85 else "error"
                s.llm(m, inp if billed else 0, 0, status=st, think=(d, d + 1), brown=False, rs=0)
        else:
            st = rt.get("status") or ("error" if rng.random() < 0.7 else "retry")
            if rng.random() < 0.015:
                st = "ok"
            s.tool(rt["tool"], rt["args"], status=st, think=(d, d + 1))
        i += 1


def t_context_growth(ctx, s, spec, n, cap):
    g = spec["grow"]
    rng = s.rng
    m = M.get(g["model"], g["model"])
    cur = float(g["base"])
    mx = ctx.cat.max_in(m) * 0.93
    shape = wchoice(rng, [("linear", 4), ("geometric", 2), ("lumpy", 2)])
    add = loguni(rng, 1500, 14000)
    fac = rng.uniform(1.03, 1.09)
    cache = g.get("cache", True) and rng.random() < 0.35
    prev = cur
    i = 0
    while ctx.tail_go(s, n, cap):
        if cache:
            cr = int(prev * 0.92)
            inp = int(cur) - cr
        else:
            cr, inp = 0, int(cur)
        tl = g["tool"](i) if g.get("tool") else None
        s.llm(m, inp, rng.randint(200, 1500), cr=cr, tool=tl[0] if tl else None, args=tl[1] if tl else None,
              think=g.get("think", (200, 3000)))
        if tl:
            s.tool(tl[0], tl[1], think=(10, 200))
        prev = cur
        if shape == "linear":
            cur += jit(rng, add, 0.3)
        elif shape == "geometric":
            cur *= fac
        else:
            cur += add * 0.2 + (add * rng.uniform(2, 6) if rng.random() < 0.3 else 0)
        cur = min(cur, mx * rng.uniform(0.985, 1.0))
        i += 1


def t_fanout(ctx, s, spec, n, cap):
    f = spec["fan"]
    rng = s.rng
    r = s.root
    shape = f.get("shape") or wchoice(rng, [("waves", 2), ("stream", 2), ("recursive", 1)])
    nmax = int(loguni(rng, *f.get("nmax", (150, 700))))
    spawned = 0
    idx = f.get("i0", 0)

    queue = loguni(rng, 200, 20000) if shape == "recursive" else 400.0  # job-queue delay before a child starts

    def spawn(parent, depth):
        nonlocal spawned, idx
        if f.get("spawn_tool"):
            parent.tool(f["spawn_tool"], f["spawn_args"](idx), think=(10, 300))
        else:
            parent.t += rng.uniform(40, 1500)
        c = f["child"](parent, parent.t + rng.uniform(30, 900) + rng.uniform(0, 2 * queue), idx, depth)
        spawned += 1
        idx += 1
        return c

    def ok():
        return spawned < nmax and r.tail_cost < cap and s.t < ctx.hard_end

    if shape == "waves":
        wave = max(10, f.get("wave", 40))
        while ok():
            for _ in range(wave):
                if not ok():
                    break
                spawn(s, 1)
            until = s.t + rng.uniform(180e3, 720e3)
            while s.t < until and f.get("poll"):
                s.tool(*f["poll"], think=(15e3, 60e3))
            s.t = max(s.t, until)
    elif shape == "stream":
        gap = loguni(rng, 300, 6000)
        while ok():
            s.t += rng.uniform(0.5, 1.5) * gap
            spawn(s, 1)
    else:
        k = rng.randint(2, 5)
        frontier = [s]
        depth = 0
        while frontier and ok():
            depth += 1
            nxt = []
            for node in frontier:
                node.t = max(node.t, s.t if node is s else node.t)
                for _ in range(k):
                    if not ok():
                        break
                    nxt.append(spawn(node, depth))
            frontier = nxt


def t_cost_spike(ctx, s, spec, n, cap):
    setup_spike(ctx, s, spec)
    step = spec["step"]
    i = spec.get("i0", 0)
    while ctx.tail_go(s, n, cap):
        step(s, i, "pricey")
        i += 1


def t_session_budget(ctx, s, spec, n, cap):
    step = spec["step"]
    i = spec.get("i0", 0)
    while ctx.tail_go(s, n, cap):
        step(s, i, "normal")
        i += 1


TAILS = {"loop_repeat": t_loop_repeat, "loop_cycle": t_loop_cycle, "ping_pong": t_ping_pong,
         "step_runaway": t_step_runaway, "retry_storm": t_retry_storm, "context_growth": t_context_growth,
         "subagent_fanout": t_fanout, "cost_spike": t_cost_spike, "session_budget": t_session_budget}


def pmodel(s, model):
    """Model to use in 'pricey' mode."""
    return s.spike_model or model


# =========================================================================== DOCUMENTS
def invoice_flow(ctx, s, tm):
    rng = s.rng
    doc = f"{tm['batch']}-{rng.getrandbits(32):08x}"
    L = max(1, tm["lines"] + rng.randint(-2, 2))
    s.plan_onset(9 + 2 * L)
    model = tm["model"]
    vend = {"vendor": tm["vendor"]}

    def spec(j=0):
        return {
            "repeat": {"tool": "lookup_vendor", "args": vend, "llm": (model, tm["inp"], 120),
                       "noise": lambda i: ("match_po_line", {"po": tm["po"], "doc": doc, "line": j + i})},
            "cycle": [("tool", "match_po_line", {"po": tm["po"], "doc": doc, "line": j}),
                      ("llm", model, tm["inp"] + 400, 180, "apply_correction", {"doc": doc, "rev": 1}),
                      ("tool", "apply_correction", {"doc": doc, "rev": 1}),
                      ("tool", "validate_totals", {"doc": doc, "rev": 1})],
            "pp": {"partner": "ap-exceptions-desk", "ma": model, "mb": M["mini41"], "ina": 2500, "inb": 3200,
                   "tb": lambda i: ("match_po_line", {"po": tm["po"], "doc": doc, "line": 0})},
            "retry": rng.choice([{"tool": "post_to_erp", "args": {"doc": doc}},
                                 {"tool": "ocr_document", "args": {"doc": doc, "pages": tm["pages"]}},
                                 {"llm": (model, tm["inp"], tm["out"])}]),
        }

    s.tool("fetch_invoice", {"doc": doc}, think=(20, 200))
    s.tool("load_schema", {"schema": tm["schema"]}, think=(5, 50))
    s.tool("ocr_document", {"doc": doc, "pages": tm["pages"]}, cost=0.0015 * tm["pages"])
    s.llm(model, jit(rng, tm["inp"], 0.06) + tm["pages"] * 650, jit(rng, tm["out"], 0.12),
          cr=tm["cached"], tool="lookup_vendor", args=vend)
    s.tool("lookup_vendor", vend)
    if s.due():
        return ctx.tail(s, spec())
    reps = 0
    for j in range(L):
        if rng.random() < tm["relookup"]:
            s.tool("lookup_vendor", vend, think=(5, 80))
            reps += 1
        s.tool("match_po_line", {"po": tm["po"], "doc": doc, "line": j}, think=(5, 120))
        if j % 8 == 7:
            s.llm(model, jit(rng, 1800, 0.2), rng.randint(80, 300), cr=tm["cached"])
        if s.due():
            return ctx.tail(s, spec(j))
    s.tool("validate_totals", {"doc": doc, "rev": 0})
    fix = wchoice(rng, [(0, 70), (1, 20), (2, 7), (3, 3)])
    for k in range(fix):
        s.llm(model, jit(rng, 2600, 0.1), rng.randint(100, 400), cr=tm["cached"], tool="apply_correction",
              args={"doc": doc, "rev": k + 1})
        s.tool("apply_correction", {"doc": doc, "rev": k + 1})
        s.tool("validate_totals", {"doc": doc, "rev": k + 1})
    if rng.random() < 0.05:
        s.handoff("ap-exceptions-desk")
        e = ctx.child(s, "ap-exceptions-desk", s.t + rng.uniform(2e3, 60e3))
        e.kind = "specialist_escalation"
        e.llm(M["mini41"], jit(rng, 3000, 0.2), rng.randint(150, 600))
        e.tool("match_po_line", {"po": tm["po"], "doc": doc, "line": 0})
        e.llm(M["mini41"], jit(rng, 3500, 0.2), rng.randint(100, 300))
        e.handoff(s.agent.agent_id)
        s.t = e.t + rng.uniform(1e3, 30e3)
        s.trap("exception_handoff_roundtrip")
    if s.due(final=True):
        return ctx.tail(s, spec(L))
    s.tool("post_to_erp", {"doc": doc})
    if reps >= 6:
        s.trap("repeated_vendor_lookup")
    if fix >= 2:
        s.trap("validation_fixup_rounds")


def invoice_template(rng, batch):
    return {"batch": batch, "schema": rng.choice(["ubl-2.1", "ap-v3", "ap-v4-eu", "zugferd"]),
            "vendor": f"V{rng.randint(10000, 99999)}", "po": f"PO-{rng.randint(100000, 999999)}",
            "lines": wchoice(rng, [(rng.randint(1, 4), 3), (rng.randint(5, 15), 4), (rng.randint(16, 60), 2)]),
            "pages": wchoice(rng, [(1, 5), (2, 3), (rng.randint(3, 8), 1)]),
            "model": rng.choice([M["g4omini"], M["g4omini"], M["mini41"], M["gflash"], M["haiku"]]),
            "inp": rng.randint(1800, 4200), "out": rng.randint(350, 1100),
            "cached": rng.choice([0, 0, 1024, 2048]), "relookup": rng.choice([0.0, 0.1, 0.6, 0.9])}


def scn_doc_invoice(ctx, p):
    s = ctx.top(p, "ap-invoice-bot", "inv")
    tm = p.extra.get("tmpl") or invoice_template(s.rng, f"b{s.rng.getrandbits(20):05x}")
    if p.extra.get("tmpl"):
        s.kind = "batch_burst_near_identical"
    invoice_flow(ctx, s, tm)


def claim_flow(ctx, s, scanned_vision=False, tmpl=None):
    rng = s.rng
    cid = f"CLM-{rng.randint(1000000, 9999999)}"
    pol = f"POL-{rng.randint(100000, 999999)}"
    tm = tmpl or {}
    pages = tm.get("pages") or wchoice(rng, [(rng.randint(1, 3), 5), (rng.randint(4, 12), 3), (rng.randint(13, 30), 1)])
    vis_model = tm.get("vis") or rng.choice([M["gflash"], M["g4omini"], M["pixtral"], M["llamavis"], M["gflite"]])
    ext = tm.get("ext") or rng.choice([M["mini41"], M["g4omini"], M["haiku"], M["gflash"], M["dschat"]])
    budget = s.rk == "session_budget"
    if budget:  # huge scanned bundle read page by page at high detail on a premium model
        vis_model = rng.choice([M["opus41"], M["opus45"], M["o3pro"]])
        pages = rng.randint(60, 200)
    s.plan_onset((pages * (2 if scanned_vision else 1)) + 10)
    state = {"ctx": 3000}

    def page_step(s, i, mode):
        m = vis_model if mode != "pricey" else pmodel(s, vis_model)
        img = rng.randint(1100, 2900) * (4 if budget else 1)
        inp = (img + 600) * (s.spike_mult if mode == "pricey" else 1)
        s.llm(m, inp, rng.randint(250, 900) * (2 if budget else 1), tool="read_page", args={"claim": cid, "page": i})
        if rng.random() < 0.3:
            s.tool("read_page", {"claim": cid, "page": i})

    def grow_tool(i):
        return ("validate_claim", {"claim": cid, "rev": 100 + i})

    def spec(i=0):
        return {
            "repeat": rng.choice([
                {"tool": "ocr_page", "args": {"claim": cid, "page": i}, "llm": None},
                {"tool": "validate_claim", "args": {"claim": cid, "rev": 1}, "llm": (ext, 3400, 300),
                 "noise": lambda k: ("lookup_policy", {"policy": pol, "k": k})},
                {"tool": "read_page", "args": {"claim": cid, "page": i}, "llm": (vis_model, 2400, 400)},
            ]),
            "cycle": [("tool", "validate_claim", {"claim": cid, "rev": 1}),
                      ("llm", ext, 3800, 260, "apply_fix", {"claim": cid, "field": "loss_date"}),
                      ("tool", "apply_fix", {"claim": cid, "field": "loss_date"}),
                      ("tool", "lookup_policy", {"policy": pol})],
            "pp": {"partner": "siu-fraud-screener", "ma": ext, "mb": M["sonnet"], "ina": 3000, "inb": 5200,
                   "tb": lambda k: ("lookup_policy", {"policy": pol})},
            "retry": rng.choice([{"tool": "ocr_page", "args": {"claim": cid, "page": i}},
                                 {"llm": (ext, 3500, 500)}]),
            "grow": {"model": rng.choice([M["gflash"], M["mini41"], M["g41"], M["sonnet46"]]), "base": state["ctx"] + 4000,
                     "tool": grow_tool, "cache": True},
            "step": page_step, "i0": i,
            "spike": {"model": vis_model, "inp": 2600, "out": 500, "ctx_ok": True},
        }

    s.tool("fetch_document", {"claim": cid}, think=(20, 300))
    if scanned_vision:
        s.trap("vision_scanned_pages")
        for i in range(pages):
            page_step(s, i, "normal")
            state["ctx"] += 700
            if s.due():
                return ctx.tail(s, spec(i))
    else:
        done = 0
        while done < pages:
            k = min(pages - done, rng.choice([1, 4, 8]))
            s.par_tools([("ocr_page", {"claim": cid, "page": done + j}, 0.0015) for j in range(k)])
            done += k
            if s.due():
                return ctx.tail(s, spec(done - 1))
        if pages >= 3:
            s.trap("vendor_tool_spend")
    s.llm(ext, 1500 + pages * 850, rng.randint(600, 1500), tool="validate_claim", args={"claim": cid, "rev": 0})
    s.tool("validate_claim", {"claim": cid, "rev": 0})
    if s.due():
        return ctx.tail(s, spec(0))
    fix = wchoice(rng, [(0, 60), (1, 22), (2, 10), (3, 5), (4, 3)])
    for k in range(fix):
        s.llm(ext, jit(rng, 3000 + 900 * k, 0.1), rng.randint(150, 500), tool="apply_fix",
              args={"claim": cid, "field": rng.choice(["loss_date", "vin", "amount", "address"]), "rev": k + 1})
        s.tool("apply_fix", {"claim": cid, "rev": k + 1})
        s.tool("validate_claim", {"claim": cid, "rev": k + 1})
        if s.due():
            return ctx.tail(s, spec(0))
    if fix >= 2:
        s.trap("validation_fixup_rounds")
    if rng.random() < 0.06:
        prem = rng.choice([M["opus41"], M["g5"], M["gpro"], M["sonnet"]])
        for _ in range(rng.randint(1, 3)):
            s.llm(prem, jit(rng, 6000 + pages * 900, 0.2), rng.randint(400, 1500))
        s.trap("premium_escalation_once")
    s.tool("lookup_policy", {"policy": pol})
    s.tool("check_coverage", {"policy": pol, "claim": cid})
    s.llm(ext, jit(rng, 2600, 0.15), rng.randint(150, 450), tool="estimate_reserve", args={"claim": cid})
    s.tool("estimate_reserve", {"claim": cid})
    for k in range(rng.randint(0, 4)):
        s.tool("add_claim_note", {"claim": cid, "n": k})
    if rng.random() < 0.04:
        s.handoff("siu-fraud-screener")
        e = ctx.child(s, "siu-fraud-screener", s.t + rng.uniform(1e3, 20e3))
        e.kind = "specialist_escalation"
        e.llm(M["sonnet"], jit(rng, 5000, 0.2), rng.randint(200, 700))
        e.tool("lookup_policy", {"policy": pol})
        e.llm(M["sonnet"], jit(rng, 5600, 0.2), rng.randint(100, 400))
        e.handoff(s.agent.agent_id)
        s.t = e.t + rng.uniform(500, 10e3)
        s.trap("exception_handoff_roundtrip")
    if s.due(final=True):
        return ctx.tail(s, spec(0))
    s.llm(M["nano41"], jit(rng, 1200, 0.2), rng.randint(30, 120))
    s.tool("submit_claim", {"claim": cid})


def scn_doc_claim(ctx, p):
    s = ctx.top(p, "claims-intake", "clm")
    claim_flow(ctx, s, scanned_vision=False)


def scn_doc_scan(ctx, p):
    s = ctx.top(p, "claims-scan-reader", "scan")
    if p.extra.get("tmpl"):
        s.kind = "batch_burst_near_identical"
    claim_flow(ctx, s, scanned_vision=True, tmpl=p.extra.get("tmpl"))


def scn_doc_contract(ctx, p):
    s = ctx.top(p, "contract-reviewer", "ctr")
    rng = s.rng
    doc = f"MSA-{rng.getrandbits(28):07x}"
    chunks = int(min(600, max(40, loguni(rng, 40, 420) if rng.random() < 0.85 else loguni(rng, 300, 600))))
    budget = s.rk == "session_budget"
    model = rng.choice([M["haiku"], M["gflash"], M["mini41"], M["gflite"], M["dschat"]])
    if budget:
        model = rng.choice([M["opus41"], M["opus45"], M["sonnet46"], M["g5pro"]])
    prefix = rng.randint(2500, 4500)
    cache = model.startswith("claude") or model.startswith("gpt") or model.startswith("gemini")
    par = rng.choice([1, 1, 4, 6, 8])
    s.plan_onset(2 * chunks + 6)
    s.trap("long_document_chunking")
    st = {"ctx": prefix}

    def chunk_step(s, i, mode):
        m = model if mode != "pricey" else pmodel(s, model)
        mult = s.spike_mult if mode == "pricey" else 1
        body = rng.randint(1800, 3600) * (6 if budget else 1)
        s.tool("read_chunk", {"doc": doc, "chunk": i}, think=(5, 150))
        cr = prefix if cache else 0
        s.llm(m, body * mult + (0 if cr else prefix), rng.randint(150, 600) * (3 if budget else 1), cr=cr,
              tool="merge_findings" if i % 25 == 24 else None, args={"doc": doc, "upto": i} if i % 25 == 24 else None,
              think=(20, 300))

    def past_end_step(s, i, mode):  # cursor past the end: empty chunks, cheap, never-ending
        s.tool("read_chunk", {"doc": doc, "chunk": i}, think=(5, 200))
        if rng.random() < 0.7:
            s.llm(model, prefix + rng.randint(30, 200), rng.randint(20, 90), cr=0, think=(10, 200))

    def spec(i):
        return {"repeat": {"tool": "read_chunk", "args": {"doc": doc, "chunk": i}, "llm": (model, prefix + 2600, 300)},
                "step": past_end_step if s.rk == "step_runaway" else chunk_step,
                "i0": chunks if s.rk == "step_runaway" else i,
                "grow": {"model": rng.choice([M["gflash"], M["sonnet46"], M["g41"], M["mini41"]]), "base": st["ctx"] + 3000,
                         "tool": lambda k: ("read_chunk", {"doc": doc, "chunk": i + k}), "cache": True},
                "spike": {"model": model, "inp": 2700, "fixed": 0 if cache else prefix, "cr": prefix if cache else 0,
                          "mult_cr": False, "out": 375, "ctx_ok": True}}

    s.tool("fetch_document", {"doc": doc})
    s.tool("split_document", {"doc": doc, "size": 3000})
    i = 0
    while i < chunks:
        if par > 1 and rng.random() < 0.7:
            k = min(par, chunks - i)
            s.par_tools([("read_chunk", {"doc": doc, "chunk": i + j}) for j in range(k)])
            t0 = s.t
            ends = []
            for j in range(k):
                s.t = t0 + rng.uniform(5, 60)
                s.llm(model, rng.randint(1800, 3600) * (6 if budget else 1) + (0 if cache else prefix),
                      rng.randint(150, 600), cr=prefix if cache else 0, think=None)
                ends.append(s.t)
            s.t = max(ends)
            i += k
        else:
            chunk_step(s, i, "normal")
            i += 1
        st["ctx"] += 400
        if i % 25 == 0:
            s.llm(model, jit(rng, 6000, 0.3), rng.randint(400, 1200), cr=prefix if cache else 0)
        if s.due():
            return ctx.tail(s, spec(i))
    if s.due(final=True):
        return ctx.tail(s, spec(i))
    big = rng.choice([M["g41"], M["sonnet"], M["gpro"], M["mini41"]])
    s.llm(big, min(chunks * 350 + 8000, 400000), rng.randint(1500, 4000))
    s.tool("merge_findings", {"doc": doc, "final": True})


def scn_doc_records(ctx, p):
    s = ctx.top(p, "medical-records-summarizer", "mr")
    rng = s.rng
    bundle = f"MR-{rng.getrandbits(32):08x}"
    model = rng.choice([M["gpro"], M["sonnet46"], M["g41"], M["gflash"]])
    if s.rk == "cost_spike":  # cache bust must be a >=5x step: models whose cache price is 1/10 of input
        model = rng.choice([M["gpro"], M["sonnet46"], M["gflash"]])
    if s.rk == "session_budget":
        model = rng.choice([M["gpro"], M["sonnet46"], M["g41"]])
    huge = int(loguni(rng, 180000, 880000))
    qs = rng.randint(3, 12)
    s.plan_onset(qs + 3)
    if s.rk == "cost_spike":  # the switch must come after cached follow-ups have set the pace
        qs = max(qs, 8)
        s.onset_at = max(s.onset_at, 2 + rng.randint(4, 7))
    s.trap("huge_single_input")
    budget = s.rk == "session_budget"
    if budget:
        huge = int(loguni(rng, 120000, 400000))

    def q_step(s, i, mode):
        if mode == "pricey":
            # cache lost: the whole bundle is re-sent at full input price on every follow-up
            s.llm(model, huge + rng.randint(300, 900), rng.randint(200, 900), tool="lookup_code", args={"q": i},
                  think=(500, 6000))
        elif budget:
            # re-sends a big slice of the bundle uncached with every question: $0.2-$2 a step, no loop
            s.llm(model, huge + rng.randint(500, 20000), rng.randint(400, 2500), tool="lookup_code",
                  args={"q": i}, think=(800, 8000))
            if rng.random() < 0.4:
                s.tool("fetch_bundle", {"bundle": bundle, "part": i % 40})
        else:
            s.llm(model, rng.randint(300, 900), rng.randint(200, 900), cr=huge, think=(500, 6000))

    def spec(i):
        return {"step": q_step, "i0": i, "spike": None,
                "grow": {"model": model, "base": rng.randint(20000, 60000), "cache": True,
                         "tool": lambda k: ("fetch_bundle", {"bundle": bundle, "part": k})}}

    s.tool("fetch_bundle", {"bundle": bundle})
    s.llm(model, huge, rng.randint(1500, 4000), think=(100, 800))
    if s.due():
        return ctx.tail(s, spec(0))
    for i in range(qs):
        q_step(s, i, "normal")
        if s.due():
            return ctx.tail(s, spec(i + 1))
    if s.due(final=True):
        return ctx.tail(s, spec(qs))
    s.llm(M["mini41"], jit(rng, 5000, 0.2), rng.randint(500, 1500))


def scn_doc_kyc(ctx, p):
    s = ctx.top(p, "kyc-verifier", "kyc")
    rng = s.rng
    app = f"APP-{rng.getrandbits(28):07x}"
    s.plan_onset(10)
    s.trap("vendor_tool_spend")
    vis = rng.choice([M["g4omini"], M["gflash"], M["pixtral"]])

    def spec():
        return {"repeat": {"tool": "kyc_face_match", "args": {"app": app, "doc": "passport"}, "llm": (vis, 2200, 150)},
                "retry": {"tool": "sanctions_check", "args": {"app": app}},
                "pp": {"partner": "siu-fraud-screener", "ma": M["mini41"], "mb": M["sonnet"], "ina": 2800, "inb": 4500}}

    s.tool("fetch_id_document", {"app": app})
    s.llm(vis, rng.randint(1800, 3200), rng.randint(200, 500), tool="kyc_face_match", args={"app": app, "doc": "passport"})
    if s.due():
        return ctx.tail(s, spec())
    s.tool("kyc_face_match", {"app": app, "doc": "passport"}, cost=0.02)
    s.tool("sanctions_check", {"app": app}, cost=0.005)
    if s.due():
        return ctx.tail(s, spec())
    s.tool("address_verify", {"app": app}, cost=0.01)
    if rng.random() < 0.15:  # second document
        s.tool("fetch_id_document", {"app": app, "doc": 2})
        s.llm(vis, rng.randint(1800, 3200), rng.randint(200, 500))
        s.tool("kyc_face_match", {"app": app, "doc": "licence"}, cost=0.02)
    if s.due():
        return ctx.tail(s, spec())
    s.llm(M["mini41"], jit(rng, 2500, 0.2), rng.randint(100, 400))
    if rng.random() < 0.05:
        s.handoff("siu-fraud-screener")
        e = ctx.child(s, "siu-fraud-screener", s.t + rng.uniform(2e3, 60e3))
        e.kind = "specialist_escalation"
        e.llm(M["sonnet"], jit(rng, 4200, 0.2), rng.randint(200, 700))
        e.handoff(s.agent.agent_id)
        s.t = e.t + rng.uniform(500, 10e3)
        s.trap("exception_handoff_roundtrip")
    if s.due(final=True):
        return ctx.tail(s, spec())
    s.tool("sanctions_check", {"app": app, "final": True}, cost=0.005)


def scn_doc_coordinator(ctx, p):
    s = ctx.top(p, "doc-batch-coordinator", "bat")
    rng = s.rng
    batch = f"B{rng.getrandbits(24):06x}"
    n = int(loguni(rng, 10, 70))
    kind = rng.choice(["invoice", "claim"])
    tm = invoice_template(rng, batch) if kind == "invoice" else None
    conc = rng.choice([4, 8, 12, 16])
    spawn_events = rng.random() < 0.6
    s.plan_onset(n + 5)

    def child(parent, t0, idx, depth):
        c = ctx.child(parent, "ap-invoice-bot" if kind == "invoice" else "claims-intake", t0)
        c.kind = "subagent_worker"
        if kind == "invoice":
            invoice_flow(ctx, c, tm)
        else:
            claim_flow(ctx, c)
        return c

    def split_child(parent, t0, idx, depth):  # recursive splitter
        c = ctx.child(parent, "doc-batch-coordinator", t0, task_type="bundle_split")
        c.tool("split_document", {"batch": batch, "part": idx, "depth": depth})
        c.llm(M["gflite"], rng.randint(1500, 4000), rng.randint(80, 300), tool="enqueue_document",
              args={"batch": batch, "part": idx})
        return c

    s.tool("fetch_document", {"batch": batch, "manifest": True})
    s.llm(M["mini41"], jit(rng, 3000, 0.2), rng.randint(200, 600))
    heap = [s.t + rng.uniform(0, 2000) for _ in range(conc)]
    kids = []
    for idx in range(n):
        t0 = heapq.heappop(heap)
        if spawn_events:
            s.t = max(s.t, t0)
            s.tool("enqueue_document", {"batch": batch, "doc": idx}, think=(5, 80))
            t0 = s.t
        c = child(s, t0 + rng.uniform(20, 500), idx, 0)
        kids.append(c)
        heapq.heappush(heap, c.t)
        if s.rk and s.rk != "subagent_fanout" and s.due():
            break
    end = max(k.t for k in kids)
    while s.t < end:
        s.tool("batch_status", {"batch": batch}, think=(15e3, 45e3))
        if s.due():
            break
    if n >= 30:
        s.trap("batch_burst_near_identical")

    def spec():
        rec = rng.random() < 0.5
        return {"fan": {"child": split_child if rec else child, "shape": "recursive" if rec else rng.choice(["waves", "stream"]),
                        "wave": n, "spawn_tool": "enqueue_document" if spawn_events else None,
                        "spawn_args": lambda i: {"batch": batch, "doc": i}, "poll": ("batch_status", {"batch": batch}),
                        "i0": n, "nmax": (80, 300) if not rec else (120, 450)},
                "retry": {"tool": "batch_status", "args": {"batch": batch}}}

    if s.due(final=True):
        return ctx.tail(s, spec())
    s.llm(M["mini41"], jit(rng, 6000, 0.3), rng.randint(300, 900))
    s.tool("write_batch_report", {"batch": batch})


def scn_doc_expense(ctx, p):
    s = ctx.top(p, "expense-auditor", "exp")
    rng = s.rng
    rep = f"ER-{rng.getrandbits(28):07x}"
    R = wchoice(rng, [(rng.randint(2, 12), 6), (rng.randint(13, 40), 3), (rng.randint(60, 300), 1)])
    model = rng.choice([M["g5nano"], M["nano41"], M["gflite"], M["msmall"]])
    s.plan_onset(3 * R + 4)
    if R >= 60:
        s.trap("bulk_receipt_report")

    def rstep(s, i, mode):
        s.tool("ocr_receipt", {"report": rep, "receipt": i}, cost=0.001, think=(5, 150))
        s.llm(model, rng.randint(700, 1600), rng.randint(40, 160), tool="policy_check", args={"report": rep, "receipt": i},
              think=(5, 100))
        s.tool("policy_check", {"report": rep, "receipt": i}, think=(5, 60))

    def spec(i):
        return {"step": lambda s2, k, mode: (s2.tool("list_receipts", {"report": rep, "page": k // 20}, think=(5, 80))
                                            if k % 20 == 0 else None, rstep(s2, k, mode)),
                "i0": R + 1,
                "repeat": {"tool": "policy_check", "args": {"report": rep, "receipt": i}, "llm": (model, 1200, 80)},
                "retry": {"tool": "ocr_receipt", "args": {"report": rep, "receipt": i}}}

    s.tool("list_receipts", {"report": rep, "page": 0})
    for i in range(R):
        if i and i % 20 == 0:
            s.tool("list_receipts", {"report": rep, "page": i // 20})
        rstep(s, i, "normal")
        if s.due():
            return ctx.tail(s, spec(i))
    if s.due(final=True):
        return ctx.tail(s, spec(R))
    s.llm(model, jit(rng, 1500 + 60 * R, 0.2), rng.randint(150, 500))


# =========================================================================== SRE
def specialist_round(ctx, sp, rng, svc, model, n_lo=3, n_hi=9):
    for _ in range(rng.randint(n_lo, n_hi)):
        if sp.agent.agent_id == "db-specialist":
            q = rng.choice(["run_sql", "explain_query", "query_metrics"])
            a = {"svc": svc, "q": rng.getrandbits(32)}
        else:
            q = rng.choice(["kubectl_get", "describe_pod", "query_metrics"])
            a = {"svc": svc, "obj": rng.getrandbits(32)}
        sp.llm(model, jit(rng, 7000, 0.4), rng.randint(150, 700), tool=q, args=a, think=(500, 6000))
        sp.tool(q, a)


def scn_sre_incident(ctx, p):
    s = ctx.top(p, "incident-commander", "inc")
    rng = s.rng
    svc = rng.choice(SERVICES)
    inc = f"INC-{rng.randint(10000, 99999)}"
    dur = loguni(rng, 25 * 60e3, 8 * 3600e3)
    t_start = s.t
    t_end = s.t + dur
    budget = s.rk == "session_budget"
    premium = budget or rng.random() < 0.08
    model = rng.choice([M["sonnet"], M["g5"], M["g41"], M["gpro"], M["o4mini"]])
    if premium:
        model = rng.choice([M["opus41"], M["o3"], M["opus45"], M["g5"]])
        s.trap("premium_model_from_start")
    if budget:
        model = rng.choice([M["opus41"], M["opus45"]])
    cheap = rng.choice([M["mini41"], M["haiku"], M["gflash"]])
    prefix = rng.randint(3000, 7000)
    cache = not model.startswith("gemini") and rng.random() < 0.7 and not budget
    st = {"ctx": prefix + 2000, "q": 0, "compactions": 0, "limit": rng.uniform(40000, 70000)}
    avg_gap = rng.uniform(40e3, 150e3)
    s.plan_onset(int(dur / avg_gap * 3) + 10)
    watcher_carrier = s.rk == "loop_repeat" and rng.random() < 0.45
    spec_partner = rng.choice(["db-specialist", "k8s-specialist"])
    specialist = None
    if watcher_carrier:
        s.onset_at = 10 ** 9

    def qargs(i):
        tool = rng.choice(["query_metrics", "query_metrics", "search_logs", "get_traces", "kubectl_get"])
        lo = t_start - rng.randint(5, 240) * 60e3 + i * 60e3
        return tool, {"svc": svc, "metric": rng.choice(["p99", "5xx", "rps", "cpu", "conn"]),
                      "from": int(lo), "to": int(lo + rng.randint(5, 120) * 60e3)}

    def ctx_call(s, m, out, tool=None, args=None, think=(1500, 12000), mult=1.0):
        c = st["ctx"]
        cr = int(c * 0.8) if cache else 0
        big = 4 if budget else 1
        s.llm(m, (c - cr) * mult * big, out * (2 if budget else 1), cr=cr * big * mult, tool=tool, args=args, think=think)

    def maybe_compact(s):
        if st["ctx"] > st["limit"]:
            s.llm(cheap, st["ctx"], rng.randint(800, 2000))
            st["ctx"] = prefix + rng.randint(2000, 5000)
            st["limit"] = rng.uniform(40000, 70000)
            st["compactions"] += 1
            if st["compactions"] >= 2:
                s.trap("compacting_context_sawtooth")

    def inv_step(s, i, mode):
        m = model if mode != "pricey" else pmodel(s, model)
        tl, a = qargs(i)
        ctx_call(s, m, rng.randint(200, 900), tl, a, mult=s.spike_mult if mode == "pricey" else 1.0)
        s.tool(tl, a, cost=(round(rng.uniform(0.0005, 0.02), 5) if tl == "search_logs" else None))
        st["ctx"] += rng.randint(800, 3000)
        maybe_compact(s)

    def pager_step(s, i, mode):  # log pager walking back in time forever: cheap, different cursor every call
        s.tool("search_logs", {"svc": svc, "cursor": f"c{i:06d}", "q": "timeout"}, think=(100, 2500),
               cost=round(rng.uniform(0.0002, 0.003), 5))
        if i % 6 == 0:
            s.llm(cheap, jit(rng, 3500, 0.2), rng.randint(60, 250), think=(100, 1500))

    def fan_child(parent, t0, idx, depth):
        c = ctx.child(parent, "log-investigator", t0)
        pod = f"{svc}-{rng.getrandbits(20):05x}"
        c.tool("search_logs", {"pod": pod, "q": "error"}, cost=round(rng.uniform(0.0003, 0.004), 5))
        c.llm(cheap, rng.randint(2500, 9000), rng.randint(100, 400))
        if rng.random() < 0.4:
            c.tool("describe_pod", {"pod": pod})
        return c

    def make_spec(i):
        tl, a = qargs(i)
        return {
            "repeat": {"tool": tl, "args": a, "llm": (model, st["ctx"], 200),
                       "noise": lambda k: ("get_incident_status", {"incident": inc, "k": k})},
            "cycle": [("tool", "restart_service", {"svc": svc}), ("tool", "check_health", {"svc": svc}),
                      ("llm", model, st["ctx"], 250, "search_logs", {"svc": svc, "q": "crashloop"}),
                      ("tool", "search_logs", {"svc": svc, "q": "crashloop"})],
            "pp": {"partner": spec_partner, "ma": model, "mb": M["sonnet"], "ina": st["ctx"], "inb": 6000,
                   "session": specialist if specialist is not None and rng.random() < 0.6 else None,
                   "tb": lambda k: ("query_metrics", {"svc": svc, "metric": "conn"}),
                   "mode": "two"},
            "step": pager_step if s.rk == "step_runaway" else inv_step, "i0": i,
            "retry": rng.choice([{"tool": "query_metrics", "args": a}, {"llm": (model, st["ctx"], 400)}]),
            "grow": {"model": rng.choice([model, M["gflash"], M["sonnet46"], M["g41"]]), "base": st["ctx"] + 5000,
                     "tool": lambda k: ("search_logs", {"svc": svc, "q": "dump", "k": k}), "cache": True,
                     "think": (1000, 15000)},
            "fan": {"child": fan_child, "spawn_tool": "spawn_investigator" if rng.random() < 0.6 else None,
                    "spawn_args": lambda k: {"svc": svc, "pod": k}, "shape": rng.choice(["stream", "recursive", "stream"]),
                    "nmax": (50, 220),
                    "poll": ("get_incident_status", {"incident": inc})},
            "spike": {"model": model, "inp": 30000 - (24000 if cache else 0), "ctx_tokens": 60000,
                      "cr": 24000 if cache else 0, "out": 550, "ctx_ok": True},
        }

    s.tool("get_alert", {"incident": inc})
    s.tool("get_incident_status", {"incident": inc})
    ctx_call(s, model, rng.randint(300, 900), think=(200, 1500))
    # watcher started by the commander
    watcher_window = None
    if rng.random() < 0.45 or watcher_carrier:
        watcher_window = (s.t + rng.uniform(60e3, 600e3), t_end)
    escalations = wchoice(rng, [(0, 6), (1, 3), (2, 2), (3, 1), (4, 0.5)])
    esc_at = sorted(rng.uniform(t_start + 0.1 * dur, t_start + 0.85 * dur) for _ in range(escalations))
    fan = rng.random() < 0.3
    fan_at = t_start + rng.uniform(0.05, 0.4) * dur
    quiet = 0
    i = 0
    while s.t < t_end:
        if s.due():
            return ctx.tail(s, make_spec(i))
        if esc_at and s.t >= esc_at[0]:
            esc_at.pop(0)
            ctx_call(s, model, rng.randint(200, 500))
            s.handoff(spec_partner)
            if specialist is None:
                specialist = ctx.child(s, spec_partner, s.t + rng.uniform(5e3, 90e3))
                specialist.kind = "specialist_escalation"
            specialist.t = max(specialist.t, s.t + rng.uniform(5e3, 90e3))
            specialist_round(ctx, specialist, rng, svc, M["sonnet"])
            specialist.handoff(s.agent.agent_id)
            s.t = specialist.t + rng.uniform(2e3, 30e3)
            if escalations >= 2:
                s.trap("escalation_round_trips")
            continue
        if fan and s.t >= fan_at:
            fan = False
            for k in range(rng.randint(2, 6)):
                if rng.random() < 0.5:
                    s.tool("spawn_investigator", {"svc": svc, "pod": k}, think=(20, 300))
                fan_child(s, s.t + rng.uniform(100, 3000), k, 1).kind = "subagent_worker"
            continue
        r = rng.random()
        if r < 0.18 and dur > 90 * 60e3:
            gap = rng.uniform(10, 70) * 60e3
            until = min(t_end, s.t + gap)
            while s.t < until:
                s.wait(rng.uniform(5, 20) * 60e3)
                s.tool("get_incident_status", {"incident": inc}, think=(5, 100))
            quiet += 1
            if quiet >= 2:
                s.trap("long_incident_quiet_stretches")
        elif r < 0.45:
            k = rng.randint(3, 6)
            ctx_call(s, model, rng.randint(200, 700), "query_metrics", None, think=(1000, 10000))
            s.par_tools([qargs(i + j) for j in range(k)])
            st["ctx"] += k * rng.randint(600, 2000)
            s.trap("parallel_query_bursts")
        elif r < 0.52:
            a = rng.choice(["restart_service", "scale_deployment", "rollback_deploy"])
            ctx_call(s, model, rng.randint(200, 600), a, {"svc": svc}, think=(2000, 20000))
            s.tool(a, {"svc": svc, "n": i})
            for _ in range(rng.randint(1, 4)):
                s.tool("check_health", {"svc": svc}, think=(10e3, 40e3))
        else:
            inv_step(s, i, "normal")
            s.wait(rng.uniform(5e3, avg_gap))
        maybe_compact(s)
        i += 1
    if s.due(final=True) and not watcher_carrier:
        return ctx.tail(s, make_spec(i))
    ctx_call(s, model, rng.randint(600, 1800))
    s.tool("post_update", {"incident": inc, "status": "resolved"})
    s.tool("close_incident", {"incident": inc})
    if watcher_window:
        w = ctx.child(s, "dashboard-watcher", watcher_window[0])
        if watcher_carrier:
            ctx.handoff_carrier(s, w)
            s.fired = True
        watch_flow(ctx, w, watcher_window[1] - watcher_window[0], incident=inc)


def watch_flow(ctx, w, window, incident=None):
    rng = w.rng
    dash = rng.choice(DASHBOARDS) + ("/" + incident if incident else f"/{rng.getrandbits(16):04x}")
    every = (rng.uniform(90, 180) * 1e3, rng.uniform(200, 330) * 1e3)
    model = rng.choice([M["mini41"], M["haiku"], M["gflash"], M["g4omini"]])
    inp = rng.randint(2500, 8000)
    t_end = w.t + window
    w.kind = "dashboard_watch_bounded"
    zombie = w.rk == "loop_repeat"
    if w.rk and not zombie:
        w.plan_onset(int(window / ((every[0] + every[1]) / 2)) * 2 + 2)
    chan = f"#inc-{rng.getrandbits(12):03x}"

    def spec():
        if zombie:
            return {"repeat": {"tool": "fetch_dashboard", "args": {"dash": dash}, "llm": (model, inp, 250),
                               "shape": "slow", "every": every,
                               "post": lambda k: ("post_update", {"channel": chan, "n": k})}}
        return {"repeat": {"tool": "fetch_dashboard", "args": {"dash": dash}, "llm": (model, inp, 250)},
                "retry": {"tool": "fetch_dashboard", "args": {"dash": dash}}}

    n = 0
    while w.t < t_end:
        w.tool("fetch_dashboard", {"dash": dash}, think=(10, 300))
        w.llm(model, jit(rng, inp, 0.05), rng.randint(120, 400))
        if rng.random() < 0.3:
            w.tool("post_update", {"channel": chan, "n": n})
        n += 1
        if w.due() and not zombie:
            return ctx.tail(w, spec())
        w.wait(rng.uniform(*every))
    if w.rk:
        return ctx.tail(w, spec())


def scn_sre_watch(ctx, p):
    s = ctx.top(p, "dashboard-watcher", "watch")
    window = loguni(s.rng, 30 * 60e3, 4 * 3600e3)
    watch_flow(ctx, s, window)


def scn_sre_triage(ctx, p):
    s = ctx.top(p, "alert-triage", "alrt")
    rng = s.rng
    alert = p.extra.get("alert") or f"ALRT-{rng.getrandbits(24):06x}"
    if p.extra.get("alert"):
        s.kind = "flapping_alert_retriage"
    svc = p.extra.get("svc") or rng.choice(SERVICES)
    model = p.extra.get("model") or rng.choice([M["mini41"], M["haiku"], M["gflash"], M["g4omini"], M["dschat"]])
    s.plan_onset(10)
    partner = rng.choice(["k8s-specialist", "db-specialist"])

    def qa(k):
        return {"svc": svc, "metric": rng.choice(["p99", "5xx", "saturation"]), "window": k}

    def spec():
        a = qa(1)
        return {"repeat": {"tool": "query_metrics", "args": a, "llm": (model, 3000, 150)},
                "retry": rng.choice([{"tool": "query_metrics", "args": a}, {"llm": (model, 2800, 200)}]),
                "pp": {"partner": partner, "ma": model, "mb": M["sonnet"], "ina": 3500, "inb": 6000}}

    s.tool("get_alert", {"alert": alert})
    s.llm(model, jit(rng, 2200, 0.1), rng.randint(100, 300), tool="query_metrics", args=qa(0))
    if s.due():
        return ctx.tail(s, spec())
    s.tool("fetch_runbook", {"alert_rule": alert.split("-")[0] + "/" + svc})
    for k in range(rng.randint(3, 9)):
        if rng.random() < 0.3:
            s.par_tools([("query_metrics", qa(k)), ("search_logs", {"svc": svc, "q": "error", "window": k}),
                         ("get_traces", {"svc": svc, "window": k})])
        else:
            s.tool(rng.choice(["query_metrics", "query_metrics", "search_logs", "get_deploys"]), qa(k))
        if rng.random() < 0.6:
            s.llm(model, jit(rng, 2600 + 800 * k, 0.1), rng.randint(80, 300))
        if s.due():
            return ctx.tail(s, spec())
    if rng.random() < 0.12:
        s.handoff(partner)
        sp = ctx.child(s, partner, s.t + rng.uniform(2e3, 40e3))
        sp.kind = "specialist_escalation"
        specialist_round(ctx, sp, rng, svc, M["sonnet"], 2, 6)
        sp.handoff(s.agent.agent_id)
        s.t = sp.t + rng.uniform(1e3, 10e3)
        s.trap("exception_handoff_roundtrip")
    if s.due(final=True):
        return ctx.tail(s, spec())
    s.llm(model, jit(rng, 3000, 0.1), rng.randint(60, 200), tool="post_update", args={"alert": alert})
    s.tool("post_update", {"alert": alert, "channel": "#alerts-" + svc})
    s.tool("ack_alert", {"alert": alert})


def scn_sre_runbook(ctx, p):
    s = ctx.top(p, "runbook-runner", "rb")
    rng = s.rng
    H = wchoice(rng, [(rng.randint(3, 10), 5), (rng.randint(11, 40), 2)])
    svc = rng.choice(SERVICES)
    model = rng.choice([M["mini41"], M["haiku"], M["llama70"], M["msmall"]])
    s.plan_onset(H * 7 + 3)
    s.trap("runbook_fixed_step_cycle")
    hosts = [f"{svc}-node-{k:04d}" for k in range(H)]

    def host_steps(s, i, mode):
        h = f"{svc}-node-{i:04d}"
        s.tool("cordon_node", {"host": h})
        s.tool("drain_node", {"host": h}, think=(100, 800))
        s.tool("restart_service", {"host": h, "svc": svc})
        s.tool("check_health", {"host": h}, think=(3e3, 12e3))
        s.tool("uncordon_node", {"host": h})
        if i % 5 == 4:
            s.llm(model, jit(rng, 2500, 0.2), rng.randint(60, 220))

    def spec(h):
        return {"cycle": [("tool", "restart_service", {"host": h, "svc": svc}), ("tool", "check_health", {"host": h}, "error"),
                          ("llm", model, 2800, 160, "rollback_deploy", {"host": h}),
                          ("tool", "rollback_deploy", {"host": h})],
                "repeat": {"tool": "check_health", "args": {"host": h}, "llm": None, "shape": rng.choice(["tight", "bursty"])},
                "step": host_steps, "i0": H}

    s.tool("get_alert", {"runbook": f"drain-restart/{svc}"})
    s.llm(model, jit(rng, 2200, 0.2), rng.randint(100, 300))
    for i, h in enumerate(hosts):
        s.tool("cordon_node", {"host": h})
        s.tool("drain_node", {"host": h}, think=(100, 800))
        s.tool("restart_service", {"host": h, "svc": svc})
        for _ in range(wchoice(rng, [(1, 5), (2, 3), (rng.randint(3, 6), 1)])):
            s.tool("check_health", {"host": h}, think=(8e3, 30e3))
        if s.due():
            return ctx.tail(s, spec(h))
        s.tool("uncordon_node", {"host": h})
        if i % rng.choice([1, 5]) == 0:
            s.llm(model, jit(rng, 2500, 0.2), rng.randint(60, 220))
    if s.due(final=True):
        return ctx.tail(s, spec(hosts[-1]))
    s.tool("post_update", {"runbook": svc, "status": "done"})


def scn_sre_pager(ctx, p):
    s = ctx.top(p, "pager-bot", "pg")
    rng = s.rng
    page = f"PG-{rng.getrandbits(28):07x}"
    model = rng.choice([M["nano41"], M["g5nano"], M["gflite"]])
    polls = rng.randint(2, 20)
    s.plan_onset(polls + 4)
    if polls >= 8:
        s.trap("pager_ack_polling")

    def spec():
        return {"repeat": {"tool": "poll_ack", "args": {"page": page}, "llm": None, "shape": rng.choice(["tight", "bursty"])},
                "retry": {"tool": "poll_ack", "args": {"page": page}, "status": "retry"}}

    s.llm(model, jit(rng, 900, 0.2), rng.randint(40, 150))
    s.tool("page_oncall", {"team": rng.choice(["payments", "core", "data", "edge"]), "page": page})
    esc = polls > 12
    for k in range(polls):
        s.tool("poll_ack", {"page": page}, think=(20e3, 60e3))
        if esc and k == 10:
            s.tool("escalate_secondary", {"page": page})
        if s.due():
            return ctx.tail(s, spec())
    if s.due(final=True):
        return ctx.tail(s, spec())
    s.llm(model, jit(rng, 1100, 0.2), rng.randint(40, 150))


def scn_sre_postmortem(ctx, p):
    s = ctx.top(p, "postmortem-writer", "pm")
    rng = s.rng
    inc = f"INC-{rng.randint(10000, 99999)}"
    model = rng.choice([M["sonnet"], M["haiku"], M["g41"], M["sonnet46"]])
    if s.rk == "cost_spike":  # models whose cache reads cost a tenth of fresh input
        model = rng.choice([M["sonnet"], M["haiku"], M["sonnet46"]])
    base = int(loguni(rng, 40000, 150000))
    secs = rng.randint(8, 28)
    s.plan_onset(2 * secs + 3)
    if s.rk == "cost_spike":
        s.onset_at = max(s.onset_at, 2 + 2 * rng.randint(3, 6))
    s.trap("cached_long_context")
    st = {"ctx": base}

    def sec_step(s, i, mode):
        m = model if mode != "pricey" else pmodel(s, model)
        new = rng.randint(500, 2500)
        if mode == "pricey" and s.spike_model is None:  # cache bust: the whole context at full input price
            s.llm(m, new + st["ctx"], rng.randint(300, 1200), tool="write_section", args={"inc": inc, "sec": i})
        else:
            s.llm(m, new, rng.randint(300, 1200), cr=st["ctx"], tool="write_section", args={"inc": inc, "sec": i})
        s.tool("write_section", {"inc": inc, "sec": i})
        st["ctx"] += new

    def spec(i):
        return {"step": sec_step, "i0": i,
                "grow": {"model": model, "base": st["ctx"], "cache": False,
                         "tool": lambda k: ("fetch_timeline", {"inc": inc, "raw": k})},
                "spike": {"model": model, "inp": 1500, "out": 750, "cr": st["ctx"], "bust_ok": True}}

    s.tool("fetch_timeline", {"inc": inc})
    if model.startswith("claude"):
        s.llm(model, rng.randint(300, 900), rng.randint(800, 2000), cw=base)
    else:
        s.llm(model, base, rng.randint(800, 2000))
    for i in range(secs):
        sec_step(s, i, "normal")
        if s.due():
            return ctx.tail(s, spec(i + 1))
    if s.due(final=True):
        return ctx.tail(s, spec(secs))
    if rng.random() < 0.4:
        s.llm(rng.choice([M["opus41"], M["g5"], M["opus45"]]), st["ctx"], rng.randint(2000, 5000))


def scn_sre_capacity(ctx, p):
    s = ctx.top(p, "capacity-planner", "cap")
    rng = s.rng
    Q = rng.randint(40, 150)
    budget = s.rk == "session_budget"
    model = rng.choice([M["gpro"], M["g41"], M["gflash"]])
    if budget:
        model = rng.choice([M["o3"], M["g5"], M["opus45"], M["gpro"]])
    s.plan_onset(Q + Q // 6 + 3)
    s.trap("metrics_range_sweep")
    day = 86400e3

    def qstep(s, i, mode):
        svc = SERVICES[i % len(SERVICES)]
        s.tool("query_metrics", {"svc": svc, "metric": "cpu", "from_day": -30 - i, "to_day": -i}, think=(50, 800))
        if budget or i % 6 == 5:
            s.llm(model, rng.randint(20000, 60000) * (2 if budget else 1), rng.randint(500, 2000) * (2 if budget else 1),
                  think=(300, 3000))

    def past_step(s, i, mode):
        s.tool("query_metrics", {"svc": "all", "metric": "cpu", "from_day": -30 - i, "to_day": -i}, think=(50, 1500))
        if i % 10 == 0:
            s.llm(M["gflite"], rng.randint(3000, 6000), rng.randint(80, 300))

    def spec(i):
        return {"step": past_step if s.rk == "step_runaway" else qstep, "i0": i}

    s.tool("load_dataset", {"report": "capacity", "day": int(ctx.start_ms // day)})
    for i in range(Q):
        qstep(s, i, "normal")
        if s.due():
            return ctx.tail(s, spec(i + 1))
    if s.due(final=True):
        return ctx.tail(s, spec(Q))
    s.llm(model, rng.randint(30000, 90000), rng.randint(2000, 5000))
    s.tool("write_report", {"report": "capacity"})


# =========================================================================== EVALS
SUITES = {"smoke": (20, 30), "safety": (40, 80), "regression": (60, 120), "full": (120, 200)}
JUDGES = ["mini41", "g41", "sonnet", "g5mini", "gflash", "haiku", "o4mini"]


def grader(ctx, parent, t0, idx, judge, suite, run, rk=None, mode=None):
    g = ctx.child(parent, "llm-judge", t0)
    rng = g.rng
    g.kind = "eval_grader"
    if rk:
        g.rk, g.onset_mode = rk, mode or "early"
    calls = wchoice(rng, [(1, 5), (2, 3), (3, 2)])
    g.plan_onset(2)
    item = {"suite": suite, "item": idx, "run": run}

    def spec():
        return {"repeat": {"tool": "submit_grade", "args": item, "llm": (judge, 2500, 200),
                           "shape": rng.choice(["paired", "tight", "noisy"]),
                           "noise": lambda k: ("fetch_sample", item)},
                "retry": {"llm": (judge, 2500, 200)},
                "pp": {"partner": "judge-adjudicator", "ma": judge, "mb": M["sonnet"], "ina": 3000, "inb": 4500,
                       "mode": "two"}}

    if rng.random() < 0.5:
        g.tool("fetch_sample", item, think=(5, 100))
    for c in range(calls):
        g.llm(judge, rng.randint(800, 6000), rng.randint(40, 600), tool="submit_grade" if c == calls - 1 else None,
              args=item if c == calls - 1 else None, think=(5, 200))
        if g.due():
            ctx.tail(g, spec())
            return g
    if rng.random() < 0.3:
        g.tool("submit_grade", item, think=(5, 100))
    if rng.random() < 0.03:
        g.handoff("judge-adjudicator")
        a = ctx.child(g, "judge-adjudicator", g.t + rng.uniform(200, 5000))
        a.kind = "specialist_escalation"
        a.llm(M["sonnet"], rng.randint(3000, 8000), rng.randint(100, 500))
        a.handoff("llm-judge")
        g.t = a.t + rng.uniform(100, 2000)
        g.llm(judge, rng.randint(1000, 3000), rng.randint(40, 200))
        g.trap("adjudication_handoff")
    if g.due(final=True):
        ctx.tail(g, spec())
    return g


def scn_ev_suite(ctx, p, agent="eval-driver"):
    s = ctx.top(p, agent, "evs")
    rng = s.rng
    if agent == "safety-eval-driver":
        suite = "safety"
    else:
        suite = wchoice(rng, [("smoke", 4), ("regression", 3), ("full", 2), ("safety", 1)])
    lo, hi = SUITES[suite]
    n = rng.randint(lo, hi)
    judge = M[rng.choice(JUDGES)]
    run = f"r{rng.getrandbits(32):08x}"
    conc = rng.choice([8, 16, 32, 64])
    dispatch = rng.random() < 0.6
    s.kind = "wide_eval_fanout" if n >= 40 else "routine"
    carrier_idx = None
    if s.rk == "ping_pong" or (s.rk in ("retry_storm", "loop_repeat") and rng.random() < 0.7):
        carrier_idx = rng.randint(0, n - 1)
    s.plan_onset(n * (2 if dispatch else 1) + 4)
    s.tool("load_dataset", {"suite": suite, "run": run})
    s.llm(M["mini41"], jit(rng, 2000, 0.2), rng.randint(80, 300))
    heap = [s.t + rng.uniform(0, 500) for _ in range(conc)]
    poll_every = rng.uniform(20e3, 60e3)
    next_poll = s.t + poll_every
    kids = []
    polls = 0
    for idx in range(n):
        t0 = heapq.heappop(heap)
        while next_poll < t0:
            s.t = max(s.t, next_poll)
            s.tool("poll_results", {"run": run}, think=(0, 50))
            polls += 1
            next_poll += poll_every
        if dispatch:
            s.t = max(s.t, t0)
            s.tool("dispatch_grader", {"run": run, "item": idx}, think=(2, 60))
            t0 = s.t
        g_rk = None
        if carrier_idx == idx:
            g_rk = s.rk
            s.rk = None
        g = grader(ctx, s, t0 + rng.uniform(10, 400), idx, judge, suite, run, g_rk, p.onset_mode)
        kids.append(g)
        heapq.heappush(heap, g.t if g.t < t0 + 3600e3 else t0 + rng.uniform(60e3, 300e3))
    end = min(max(k.t for k in kids), s.t + rng.uniform(30, 60) * 60e3)
    while next_poll < end:
        s.t = max(s.t, next_poll)
        s.tool("poll_results", {"run": run}, think=(0, 50))
        polls += 1
        next_poll += poll_every
    if polls >= 6:
        s.trap("results_polling_same_args")

    def spec():
        return {"fan": {"child": lambda par, t0, i, d: grader(ctx, par, t0, i % n, judge, suite, run, None, None),
                        "shape": rng.choice(["waves", "waves", "stream"]), "wave": n,
                        "spawn_tool": "dispatch_grader" if dispatch else None,
                        "spawn_args": lambda i: {"run": run, "item": i % n, "attempt": 1 + i // n},
                        "poll": ("poll_results", {"run": run}), "i0": n, "nmax": (max(120, 2 * n), 520)},
                "cycle": [("tool", "poll_results", {"run": run}), ("llm", M["mini41"], 2600, 120, "rerun_failed", {"run": run}),
                          ("tool", "rerun_failed", {"run": run, "items": "failed"})],
                "retry": {"llm": (M["g41"], 9000, 800)},
                "repeat": {"tool": "poll_results", "args": {"run": run}, "llm": None, "shape": "tight"}}

    if s.due(final=True):
        return ctx.tail(s, spec())
    s.llm(M["g41"], jit(rng, 3000 + 40 * n, 0.2), rng.randint(400, 1200))
    s.tool("write_report", {"run": run})


def scn_ev_safety(ctx, p):
    scn_ev_suite(ctx, p, agent="safety-eval-driver")


SWEEP_CHEAP = ["g5nano", "nano41", "gflite", "g4omini", "haiku", "mini41", "dschat", "msmall", "gflash"]
SWEEP_PREMIUM = ["o1pro", "g5pro", "o3pro", "opus41", "opus45", "gpro", "g5", "sonnet"]


def scn_ev_sweep(ctx, p):
    s = ctx.top(p, "sweep-driver", "swp")
    rng = s.rng
    P = rng.randint(20, 80)
    prompts = [rng.randint(300, 4000) for _ in range(P)]
    models = rng.sample(SWEEP_CHEAP, rng.randint(2, 4)) + rng.sample(SWEEP_PREMIUM, rng.randint(1, 2))
    models = [M[m] for m in models]
    one = rng.random() < 0.25 and s.rk is None
    s.tool("load_dataset", {"sweep": P, "seed": rng.getrandbits(16)})
    if one:
        s.trap("sequential_model_sweep")
        models.sort(key=lambda m: ctx.cat.price(m, 1000, 500))
        for m in models:
            premium = ctx.cat.price(m, 1000, 500) > 0.02  # premium models only get a short smoke pass
            for k in range(min(P, 12 if premium else 40)):
                s.llm(m, prompts[k], rng.randint(100, 900), think=(20, 300))
                if rng.random() < 0.2:
                    s.tool("score_output", {"model": m, "prompt": k})
        s.tool("write_report", {"sweep": "seq"})
        return
    carrier = None
    if s.rk:
        if s.rk == "session_budget":
            if not any(ctx.cat.price(m, 2000, 800) > 0.05 for m in models):
                models.append(M[rng.choice(["o1pro", "g5pro", "o3pro", "opus41"])])
            carrier = max(models, key=lambda m: ctx.cat.price(m, 2000, 800))
        elif s.rk == "cost_spike":
            carrier = rng.choice([m for m in models if m in [M[x] for x in SWEEP_CHEAP]])
        else:
            carrier = rng.choice(models)
    end = s.t
    for m in models:
        c = ctx.child(s, "sweep-runner", s.t + rng.uniform(100, 5000))
        c.task_type = "model_comparison_run"
        prem = m in [M[x] for x in SWEEP_PREMIUM] and ctx.cat.price(m, 1000, 500) > 0.01
        c.kind = "premium_sweep_from_first_call" if prem else "subagent_worker"
        if m == carrier:
            ctx.handoff_carrier(s, c)
        sweep_run(ctx, c, m, prompts)
        end = max(end, c.t)
    s.t = end + rng.uniform(1e3, 20e3)
    s.llm(M["g41"], jit(rng, 4000 + 30 * P * len(models), 0.2), rng.randint(500, 1500))
    s.tool("write_report", {"sweep": len(models)})


def sweep_run(ctx, c, m, prompts):
    rng = c.rng
    samples = rng.choice([1, 1, 2, 3])
    if ctx.cat.price(m, 1000, 500) > 0.02:  # premium: one pass over at most 30 prompts
        prompts = prompts[:30]
        samples = 1
    P = len(prompts)
    c.plan_onset(P * samples)

    def step(s, i, mode):
        mm = m if mode != "pricey" else pmodel(s, m)
        inp = prompts[i % P] * (s.spike_mult if mode == "pricey" else 1)
        s.llm(mm, inp, rng.randint(150, 1200), think=(20, 400))
        if rng.random() < 0.15:
            s.tool("score_output", {"model": mm, "prompt": i % P, "rep": i // P})

    def spec(i):
        return {"step": step, "i0": i, "retry": {"llm": (m, prompts[i % P], 400)},
                "spike": {"model": m, "inp": 1500, "out": 600, "ctx_ok": False}}

    for i in range(P * samples):
        step(c, i, "normal")
        if c.due():
            return ctx.tail(c, spec(i + 1))
    if c.due(final=True):
        return ctx.tail(c, spec(P * samples))


def scn_ev_consistency(ctx, p):
    s = ctx.top(p, "consistency-sampler", "sc")
    rng = s.rng
    items = rng.randint(5, 16)
    model = M[rng.choice(["mini41", "haiku", "gflash", "g4omini", "g5mini"])]
    ks = [rng.randint(5, 12) for _ in range(items)]
    s.plan_onset(sum(ks) * 2 + items)
    s.trap("self_consistency_resampling")
    toks = [rng.randint(600, 3500) for _ in range(items)]

    def step(s, i, mode):
        it = i % items
        mm = model if mode != "pricey" else pmodel(s, model)
        s.llm(mm, toks[it] * (s.spike_mult if mode == "pricey" else 1), rng.randint(60, 500), think=(10, 200))
        s.tool("record_vote", {"item": it, "rep": i // items}, think=(2, 40))

    def spec(it):
        return {"repeat": {"tool": "record_vote", "args": {"item": it}, "llm": (model, toks[it], 250),
                           "shape": rng.choice(["paired", "paired", "bursty"])},
                "step": step, "i0": it, "spike": {"model": model, "inp": sum(toks) // items, "out": 280, "ctx_ok": False}}

    for it in range(items):
        for k in range(ks[it]):
            s.llm(model, toks[it], rng.randint(60, 500), think=(10, 200))
            s.tool("record_vote", {"item": it}, think=(2, 40))
            if s.due():
                return ctx.tail(s, spec(it))
        s.tool("aggregate_votes", {"item": it})
    if s.due(final=True):
        return ctx.tail(s, spec(items - 1))


def scn_ev_synth(ctx, p):
    s = ctx.top(p, "eval-data-synth", "syn")
    rng = s.rng
    target = int(loguni(rng, 30, 300))
    model = M[rng.choice(["nano41", "mini41", "g4omini", "gflash", "dschat", "haiku"])]
    shots = rng.randint(1200, 3500)
    ds = f"ds-{rng.getrandbits(24):06x}"
    s.plan_onset(int(target * 2.4))
    if target >= 100:
        s.trap("long_synthesis_run")

    def step(s, i, mode):
        mm = model if mode != "pricey" else pmodel(s, model)
        mult = s.spike_mult if mode == "pricey" else 1
        h = f"{rng.getrandbits(48):012x}"
        s.llm(mm, jit(rng, shots, 0.1) * mult, rng.randint(250, 900), tool="dedupe_check", args={"h": h}, think=(20, 400))
        s.tool("dedupe_check", {"ds": ds, "h": h}, think=(2, 60))
        if rng.random() < 0.85:
            s.tool("write_example", {"ds": ds, "n": i}, think=(2, 40))

    def spec(i):
        return {"step": step, "i0": i,
                "grow": {"model": rng.choice([model, M["gflash"], M["mini41"]]), "base": shots + 600 * i, "cache": True,
                         "tool": lambda k: ("dedupe_check", {"ds": ds, "k": k})},
                "spike": {"model": model, "inp": shots, "out": 600, "ctx_ok": True}}

    s.tool("load_dataset", {"seed_set": ds})
    made = 0
    i = 0
    while made < target:
        step(s, i, "normal")
        made += 1 if rng.random() < 0.9 else 0
        i += 1
        if s.due():
            return ctx.tail(s, spec(i))
    if s.due(final=True):
        return ctx.tail(s, spec(i))
    s.tool("write_report", {"ds": ds, "n": made})


def scn_ev_redteam(ctx, p):
    s = ctx.top(p, "redteam-harness", "rt")
    rng = s.rng
    rounds = rng.randint(12, 60)
    attacker = M[rng.choice(["g41", "sonnet", "mlarge", "grok", "dschat"])]
    target = M[rng.choice(["g4omini", "haiku", "gflash", "llama70", "tog70", "msmall"])]
    judge = M[rng.choice(["mini41", "haiku", "gflite"])]
    s.plan_onset(rounds * 4)
    s.trap("attacker_target_judge_rounds")
    st = {"ctx": rng.randint(1500, 3000)}

    def spec(r):
        strat = rng.choice(["roleplay", "encoding", "multi-turn", "authority"])
        return {"cycle": [("llm", attacker, st["ctx"], 400, "send_attack", {"strategy": strat, "r": r}),
                          ("tool", "send_attack", {"strategy": strat, "r": r}),
                          ("llm", target, 1800, 300, None, None),
                          ("llm", judge, 2300, 60, "score_attack", {"r": r}),
                          ("tool", "score_attack", {"r": r})],
                "grow": {"model": attacker, "base": st["ctx"], "cache": True,
                         "tool": lambda k: ("send_attack", {"strategy": strat, "r": r + k})}}

    for r in range(rounds):
        strat = rng.choice(["roleplay", "encoding", "multi-turn", "authority", "translation"])
        s.llm(attacker, st["ctx"], rng.randint(150, 600), tool="send_attack", args={"strategy": strat, "r": r})
        s.tool("send_attack", {"strategy": strat, "r": r})
        s.llm(target, rng.randint(400, 2500), rng.randint(80, 500))
        s.llm(judge, rng.randint(1200, 3000), rng.randint(20, 120), tool="score_attack", args={"r": r})
        s.tool("score_attack", {"r": r})
        st["ctx"] = min(st["ctx"] + rng.randint(300, 1200), 30000)
        if s.due():
            return ctx.tail(s, spec(r))
    if s.due(final=True):
        return ctx.tail(s, spec(rounds))


def scn_ev_agentbench(ctx, p):
    s = ctx.top(p, "agent-bench-runner", "ab")
    rng = s.rng
    steps = rng.randint(20, 80)
    model = M[rng.choice(["opus41", "sonnet", "g5", "o3", "opus45", "sonnet46"])]
    if s.rk == "session_budget":
        model = M[rng.choice(["opus41", "opus45"])]
    prefix = rng.randint(6000, 14000)
    task = f"task-{rng.getrandbits(20):05x}"
    s.plan_onset(steps * 2)
    s.trap("premium_agent_benchmark" if ctx.cat.price(model, 10000, 500) > 0.03 else "premium_model_from_start")
    st = {"ctx": prefix}

    def step(s, i, mode):
        tl = rng.choice(["bash", "read_file", "read_file", "edit_file", "list_files", "run_tests"])
        a = {"task": task, "i": i, "f": rng.getrandbits(20)} if tl != "run_tests" else {"task": task, "suite": "unit"}
        c = st["ctx"]
        first = i == 0 and model.startswith("claude")
        s.llm(model, max(800, c - prefix), rng.randint(150, 1200), cr=0 if first else prefix, cw=prefix if first else 0,
              tool=tl, args=a, think=(100, 1500))
        s.tool(tl, a)
        st["ctx"] = min(c + rng.randint(400, 3000), 150000)
        if st["ctx"] > 120000:
            st["ctx"] = prefix + 20000

    def spec(i):
        return {"step": step, "i0": i,
                "repeat": {"tool": "run_tests", "args": {"task": task, "suite": "unit"}, "llm": (model, st["ctx"] - prefix, 300),
                           "shape": "paired"},
                "grow": {"model": model, "base": st["ctx"], "cache": False,
                         "tool": lambda k: ("bash", {"task": task, "cmd": k})}}

    s.tool("list_files", {"task": task})
    for i in range(steps):
        step(s, i, "normal")
        if s.due():
            return ctx.tail(s, spec(i + 1))
    if s.due(final=True):
        return ctx.tail(s, spec(steps))
    s.tool("run_tests", {"task": task, "suite": "unit"})


# =========================================================================== planning
# name: (fn, domain, supported runaway kinds, weight in its domain)
SCENARIOS = {
    "doc_invoice": (scn_doc_invoice, "documents", {"loop_repeat", "loop_cycle", "ping_pong", "retry_storm"}, 40),
    "doc_claim": (scn_doc_claim, "documents", {"loop_repeat", "loop_cycle", "retry_storm", "ping_pong", "context_growth"}, 18),
    "doc_scan": (scn_doc_scan, "documents", {"loop_repeat", "retry_storm", "cost_spike", "session_budget", "context_growth"}, 12),
    "doc_expense": (scn_doc_expense, "documents", {"step_runaway", "loop_repeat", "retry_storm"}, 13),
    "doc_kyc": (scn_doc_kyc, "documents", {"loop_repeat", "retry_storm", "ping_pong"}, 8),
    "doc_contract": (scn_doc_contract, "documents", {"step_runaway", "context_growth", "cost_spike", "loop_repeat", "session_budget"}, 4.5),
    "doc_records": (scn_doc_records, "documents", {"session_budget", "cost_spike", "context_growth"}, 2.5),
    "doc_coordinator": (scn_doc_coordinator, "documents", {"subagent_fanout", "retry_storm"}, 2),
    "sre_triage": (scn_sre_triage, "sre", {"loop_repeat", "retry_storm", "ping_pong"}, 40),
    "sre_pager": (scn_sre_pager, "sre", {"loop_repeat", "retry_storm"}, 15),
    "sre_incident": (scn_sre_incident, "sre", set(RUNAWAY_KINDS), 13),
    "sre_runbook": (scn_sre_runbook, "sre", {"loop_cycle", "loop_repeat", "step_runaway"}, 11),
    "sre_watch": (scn_sre_watch, "sre", {"loop_repeat", "retry_storm"}, 10),
    "sre_postmortem": (scn_sre_postmortem, "sre", {"context_growth", "cost_spike"}, 7),
    "sre_capacity": (scn_sre_capacity, "sre", {"session_budget", "step_runaway"}, 4),
    "ev_suite": (scn_ev_suite, "evals", {"subagent_fanout", "loop_cycle", "retry_storm", "ping_pong", "loop_repeat"}, 15),
    "ev_safety": (scn_ev_safety, "evals", {"subagent_fanout", "retry_storm", "ping_pong", "loop_repeat"}, 7),
    "ev_sweep": (scn_ev_sweep, "evals", {"cost_spike", "session_budget", "retry_storm"}, 10),
    "ev_consistency": (scn_ev_consistency, "evals", {"loop_repeat", "cost_spike"}, 18),
    "ev_synth": (scn_ev_synth, "evals", {"step_runaway", "context_growth", "cost_spike"}, 12),
    "ev_redteam": (scn_ev_redteam, "evals", {"loop_cycle", "context_growth"}, 15),
    "ev_agentbench": (scn_ev_agentbench, "evals", {"session_budget", "loop_repeat", "context_growth"}, 23),
}
DOMAIN_SHARE = {"documents": {"documents": 1.0}, "sre": {"sre": 1.0}, "evals": {"evals": 1.0},
                "mixed": {"documents": 0.45, "sre": 0.30, "evals": 0.25}}
KIND_WEIGHT = {"loop_repeat": 3, "retry_storm": 3, "step_runaway": 2, "loop_cycle": 2, "context_growth": 2,
               "cost_spike": 2, "ping_pong": 1.5, "session_budget": 1.5, "subagent_fanout": 0.6}


BATCH_P = {"doc_invoice": 0.8, "doc_scan": 0.5}  # probability that a draw is a burst of near-identical sessions


def diurnal_time(ctx, rng, domain):
    while True:
        t = ctx.start_ms + rng.random() * ctx.span_ms
        h = ((t / 3600e3) % 24)
        if domain == "sre":
            w = 0.45 + 0.55 * math.exp(-((h - 16) / 5.0) ** 2)
        elif domain == "evals":
            w = 0.25 + 0.6 * math.exp(-((h - 15) / 4.0) ** 2) + 0.9 * math.exp(-((h - 2.5) / 1.0) ** 2)
        else:
            w = 0.15 + 0.85 * math.exp(-((h - 13) / 4.5) ** 2)
        if rng.random() < w:
            return t


def build_plans(ctx, S):
    rng = ctx.master
    plans = []
    shares = DOMAIN_SHARE[ctx.profile]
    by_dom = {}
    ek = (60 - 8) / math.log(60 / 8)  # mean batch size
    for name, (_, dom, _, w) in SCENARIOS.items():
        q = BATCH_P.get(name, 0.0)
        by_dom.setdefault(dom, []).append((name, w / (q * ek + 1 - q)))  # weights are shares of sessions
    doms = list(shares.items())
    while len(plans) < S:
        dom = wchoice(rng, doms)
        scn = wchoice(rng, by_dom[dom])
        remaining = S - len(plans)
        if scn in BATCH_P and rng.random() < BATCH_P[scn]:
            k = min(remaining, int(loguni(rng, 8, 60)))
            t0 = diurnal_time(ctx, rng, dom)
            # batches tend to land on the quarter hour (scheduled uploads)
            if rng.random() < 0.5:
                t0 = t0 - (t0 % (15 * 60e3)) + rng.uniform(0, 20e3)
            if scn == "doc_invoice":
                tm = invoice_template(rng, f"b{rng.getrandbits(20):05x}")
            else:
                tm = {"pages": rng.randint(1, 6), "vis": M[rng.choice(["gflash", "g4omini", "pixtral"])],
                      "ext": M[rng.choice(["mini41", "g4omini", "haiku"])]}
            workers = rng.choice([4, 8, 12, 16])
            stagger = rng.uniform(3e3, 40e3)
            for j in range(k):
                plans.append(Plan(len(plans), scn, t0 + (j // workers) * stagger + rng.uniform(0, 3000), {"tmpl": tm}))
            continue
        if scn == "sre_triage" and rng.random() < 0.04 and remaining >= 3:
            # a flapping alert: triaged again every few minutes
            k = min(remaining, rng.randint(3, 8))
            t0 = diurnal_time(ctx, rng, dom)
            ex = {"alert": f"ALRT-{rng.getrandbits(24):06x}", "svc": rng.choice(SERVICES),
                  "model": M[rng.choice(["mini41", "haiku", "gflash"])]}
            for j in range(k):
                t0 += rng.uniform(4, 16) * 60e3
                plans.append(Plan(len(plans), scn, t0, dict(ex)))
            continue
        if dom == "evals" and scn in ("ev_suite", "ev_safety") and rng.random() < 0.45:
            # nightly CI suites around 02:00 UTC
            day0 = ctx.start_ms - (ctx.start_ms % 86400e3)
            nights = [day0 + d * 86400e3 + 2 * 3600e3 for d in range(0, 3)]
            nights = [x for x in nights if ctx.start_ms <= x <= ctx.end_ms - 3600e3]
            if nights:
                plans.append(Plan(len(plans), scn, rng.choice(nights) + rng.uniform(0, 25 * 60e3)))
                continue
        plans.append(Plan(len(plans), scn, diurnal_time(ctx, rng, dom)))
    return plans


def assign_runaways(ctx, plans):
    rng = ctx.master
    rate = rng.uniform(0.075, 0.105)
    n_run = int(round(len(plans) * rate))
    if len(plans) >= 60:
        n_run = max(n_run, len(RUNAWAY_KINDS))  # every kind at least once
    kinds = list(RUNAWAY_KINDS) * (2 if n_run >= 40 else 1)
    rng.shuffle(kinds)
    kinds = kinds[:n_run]
    while len(kinds) < n_run:
        kinds.append(wchoice(rng, list(KIND_WEIGHT.items())))
    rng.shuffle(kinds)
    latest = ctx.end_ms - 5 * 3600e3
    total = collections.Counter(p.scn for p in plans)
    taken = collections.Counter()
    for k in kinds:
        groups = {}
        for p in plans:
            if p.rk is None and p.start < latest and k in SCENARIOS[p.scn][2] \
                    and taken[p.scn] < max(2, 0.25 * total[p.scn]):
                groups.setdefault(p.scn, []).append(p)
        if not groups:
            continue
        scn = rng.choice(sorted(groups))
        p = rng.choice(groups[scn])
        taken[scn] += 1
        p.rk = k
        p.onset_mode = wchoice(rng, [("immediate", 0.12), ("early", 0.33), ("mid", 0.35), ("late", 0.2)])
        if k == "session_budget" or (k == "step_runaway" and rng.random() < 0.7):
            p.onset_mode = "end"  # the runaway begins where the normal work would have ended


# =========================================================================== output
def render(ev):
    s = ev["_s"]
    ag = ev["_ag"]
    src = ev["_src"]
    sp = s.sparse
    kind = ev["kind"]
    o = {}
    if src.v:
        o["v"] = 1
    o["event_id"] = ev["event_id"]
    o["ts"] = fmt_ts(ev["_t"] + src.skew, src.ts, src.offset)
    o["session_id"] = s.sid
    o["agent_id"] = ag.agent_id
    if not sp:
        o["task_type"] = s.task_type
        if s.task_id:
            o["task_id"] = s.task_id
    if s.parent is not None:
        o["parent_session_id"] = s.parent.sid
    if not sp:
        o["tenant"] = ag.tenant
        o["team"] = ag.team
        o["feature"] = ag.feature
        o["env"] = ag.env
        if ag.labels:
            o["labels"] = ag.labels
    if kind != "llm" or (src.kind_explicit and not sp):
        o["kind"] = kind
    if kind == "llm":
        o["model"] = ev["model"]
        o["provider"] = ev["provider"]
        for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"):
            v = ev[k]
            if v or (not src.omit_zero and not sp and k in ("input_tokens", "output_tokens")) or \
                    (not src.omit_zero and not sp and k == "cache_read_tokens" and src.name == "gateway"):
                o[k] = v
        if "tool" in ev:
            o["tool"] = ev["tool"]
            if "args_hash" in ev:
                o["args_hash"] = ev["args_hash"]
    elif kind == "tool":
        o["tool"] = ev["tool"]
        if "args_hash" in ev:
            o["args_hash"] = ev["args_hash"]
    else:
        o["target_agent_id"] = ev["target_agent_id"]
    st = ev.get("status", "ok")
    if st != "ok" or (src.status_explicit and not sp):
        o["status"] = st
    if src.latency and not sp and "latency_ms" in ev:
        o["latency_ms"] = ev["latency_ms"]
    if "cost_usd" in ev:
        o["cost_usd"] = ev["cost_usd"]
    if src.name in ("sdk",):
        return json.dumps(o, separators=(", ", ": "))
    return json.dumps(o, separators=(",", ":"))


def generate(seed, profile, n_sessions, cat):
    ctx = Ctx(seed, profile, cat)
    plans = build_plans(ctx, n_sessions)
    assign_runaways(ctx, plans)
    for p in plans:
        SCENARIOS[p.scn][0](ctx, p)
    return ctx, plans


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--profile", choices=PROFILES, required=True)
    ap.add_argument("--sessions", type=int, required=True, help="number of top-level sessions (tasks)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--catalog", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                      "model_prices_and_context_window.json"))
    a = ap.parse_args(argv)
    if a.sessions < 1:
        ap.error("--sessions must be >= 1")
    cat = Catalog(a.catalog)
    missing = [m for m in M.values() if m not in cat.m]
    if missing:
        sys.exit(f"fleet6: models missing from catalog {a.catalog}: {missing}")
    ctx, plans = generate(a.seed, a.profile, a.sessions, cat)

    # ---- labels
    sessions = [s for s in ctx.sessions if s.events]
    labels = []
    for s in sessions:
        r = s.root
        tt = "unknown" if s.sparse else s.task_type
        tid = None if s.sparse else s.task_id
        if r.case_kind:
            if r.onset_id is None:
                raise RuntimeError(f"runaway case without onset: {r.agent.agent_id} {r.case_kind}")
            lab = {"session_id": s.sid, "label": "runaway", "kind": r.case_kind,
                   "onset_event_id": r.onset_id if s is r else None, "task_id": tid,
                   "agent_id": s.agent.agent_id, "task_type": tt}
            if s is not r:
                lab["part_of"] = r.sid
        else:
            lab = {"session_id": s.sid, "label": "normal", "kind": s.kind, "onset_event_id": None,
                   "task_id": tid, "agent_id": s.agent.agent_id, "task_type": tt}
        labels.append(lab)

    # ---- arrival order, duplicates
    rng = random.Random(f"fleet6/{a.seed}/{a.profile}/delivery")
    items = []
    seq = 0
    for s in sessions:
        s.events.sort(key=lambda e: e["_t"])
        src_last = -1e18
        for ev in s.events:
            src = ev["_src"]
            arr = ev["_t"] + loguni(rng, *src.lag)
            if src.flush:
                arr = (math.floor(arr / src.flush) + 1) * src.flush + rng.uniform(0, 300)
            arr = max(arr, src_last)
            src_last = arr
            line = render(ev)
            items.append((arr, seq, line))
            seq += 1
    dup_rate = rng.uniform(0.003, 0.008)
    n_dup = int(len(items) * dup_rate)
    for idx in rng.sample(range(len(items)), n_dup):
        arr, _, line = items[idx]
        items.append((arr + loguni(rng, 300, 300000), seq, line))
        seq += 1
    items.sort()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.labels)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        for _, _, line in items:
            f.write(line)
            f.write("\n")
    with open(a.labels, "w", encoding="utf-8") as f:
        for lab in labels:
            f.write(json.dumps(lab, separators=(",", ":")))
            f.write("\n")
    ts = [ev["_t"] for s in sessions for ev in s.events]
    n_run = sum(1 for l in labels if l["label"] == "runaway")
    roots = sum(1 for s in sessions if s.root is s)
    cases = sum(1 for s in sessions if s.root is s and s.case_kind)
    span_h = (max(ts) - min(ts)) / 3600e3
    print(f"fleet6 {a.profile} seed={a.seed}: events={len(items)} (dups={n_dup}) sessions={len(sessions)} "
          f"top_level={roots} runaway_labelled={n_run} runaway_cases={cases} ({100.0 * cases / max(1, roots):.1f}% of top-level) "
          f"span={span_h:.1f}h", file=sys.stderr)


if __name__ == "__main__":
    main()
