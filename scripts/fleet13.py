#!/usr/bin/env python3
"""fleet13 -- independent synthetic agent-fleet usage generator (held-out test data).

Usage:
  python3 scripts/fleet13.py --seed S --profile P --sessions N \
      --out EVENTS.ndjson --labels LABELS.ndjson [--catalog FILE]

Profiles: travel, procurement, gameqa, scribe, mixed.  --sessions counts
TOP-LEVEL sessions; sub-agent and handoff sessions come on top.
Output is a pure function of (seed, profile, sessions, catalog); Python stdlib only.

Data conventions (wire contract CONTRACT.md section 1)
------------------------------------------------------
* One NDJSON line = one action: kind "llm" (a model call), "tool" (a tool call)
  or "handoff" (work passed to `target_agent_id`).  Some agents omit `kind` on
  LLM events (default "llm"), omit `status` when ok, omit `latency_ms`,
  `task_id` or `args_hash`; a few send `"v": 1`.
* `ts`: each agent uses one form: RFC 3339 UTC with ms ("...T12:00:00.123Z"),
  RFC 3339 with a non-UTC offset ("...T13:00:00.123+01:00"), RFC 3339 without
  fraction, RFC 3339 with microseconds, or epoch milliseconds (integer).
* Tokens: `input_tokens` excludes cached tokens; `cache_read_tokens` /
  `cache_write_tokens` only for models whose catalog entry prices cache reads
  (Anthropic agents write the cache on the first call, then read it; OpenAI /
  Gemini report implicit cache reads).  `reasoning_tokens` are reported for
  reasoning models SEPARATELY from `output_tokens` (output excludes reasoning)
  and are priced at output_cost_per_reasoning_token, else output_cost_per_token.
* Cost: when `cost_usd` is present it is the truth; gateway-routed agents
  report it (catalog price, rounded to 1e-7), some paid tools report it
  (fare APIs, risk scores, drug-interaction checks).  Otherwise price =
  input*input_cost + output*output_cost + cache_read*cache_read_cost
  + cache_write*cache_creation_cost + reasoning*reasoning_cost (missing cache
  prices fall back to input price).
* Sub-agents: the parent emits a tool event (tool spawn_subagent /
  spawn_tester / delegate_search ...) then a child session starts with
  `parent_session_id` = parent and the same `task_id`.
* Handoffs: sender emits kind "handoff" with target_agent_id; the receiver is a
  new session (parent_session_id = sender, same task_id), or, when work comes
  back to an agent that already has a session in that task, that session
  resumes (same session_id).
* Bus order ~ event time: delivery = event time + small jitter; ~0.5% of
  events are delivered late (30 s .. 20 min after their ts); ~0.3% of events
  are redelivered later as byte-identical duplicates (same event_id).
* Time span: 3 days starting 2026-11-02T00:00Z, diurnal load (per domain),
  plus bursts (disruption waves, build drops, clinic rush, month-end).

Labels file: one line per session_id present in the events file:
  session_id, label ("normal"|"runaway"), kind (contract reason for runaways;
  "normal" or a trap name for normals), onset_event_id (first event emitted by
  the runaway behaviour in that session, else null), task_id, part_of (root
  runaway session for member sessions of a runaway case), agent_id,
  task_type (null when the agent omits it), plus extras: variant, traps,
  domain, role, est_cost_usd (generator's own priced cost of the session).
Runaway variants (kind: variants): loop_repeat: same_call_tight, same_call_slow,
llm_rerequest, repeat_with_filler, empty_result_repeat; loop_cycle: cycle2,
cycle3, cycle4_ui, cycle_with_llm_noise; ping_pong: two_agent_bounce,
fresh_receiver_each_time, slow_bounce, bounce_after_progress; step_runaway:
exhaustive_search, endless_revision, slow_crawl, varied_tools_forever;
retry_storm: tight_error_retry, rate_limited_llm, timeouts_same_args,
jittered_no_giveup, llm_retry_each; context_growth: accumulate_results,
reappend_document, cached_prefix_growth, slow_linear_growth; subagent_fanout:
unbounded_per_item, recursive_delegation, respawn_on_failure, slow_fanout;
cost_spike: model_switch_mid, huge_context_from_start, reasoning_blowup,
fallback_to_premium, premium_from_start; session_budget: uncached_big_docs,
slow_burn_long, premium_grind, gradual_escalation.
Traps (label normal, kind = trap): batch_op, one_expensive_action,
new_pricier_agent, long_by_nature, legit_retries, wide_fanout,
planned_escalation, status_polling, context_growth_trimmed / context_trimmed,
handoff_roundtrip, fare_recheck / supplier_reminders / crash_repro_retries /
ehr_refresh (same call repeated with long waits); mixed only: provider_outage,
model_upgrade, price_change, unknown_model_cost_reported,
unknown_model_no_cost, plus agents that omit task_type.

Onset definitions: step_runaway / session_budget: first event past the end of
the planned normal work; subagent_fanout: first spawn beyond the planned
normal fan-out; ping_pong: first re-send of the same work after it came back;
others: first event of the pathological behaviour.
"""
import argparse
import hashlib
import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone

T0 = int(datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp() * 1000)
DAYS = 3
DAY_MS = 86400000

# ----------------------------------------------------------------------------
# catalog / pricing


def load_catalog(path):
    with open(path) as f:
        return json.load(f)


def price(cat, model, it=0, ot=0, cr=0, cw=0, rt=0):
    p = cat.get(model)
    if p is None:
        return None
    ic = p.get("input_cost_per_token", 0.0) or 0.0
    oc = p.get("output_cost_per_token", 0.0) or 0.0
    crc = p.get("cache_read_input_token_cost", ic)
    cwc = p.get("cache_creation_input_token_cost", ic)
    rtc = p.get("output_cost_per_reasoning_token", oc)
    return it * ic + ot * oc + cr * (crc if crc is not None else ic) + \
        cw * (cwc if cwc is not None else ic) + rt * (rtc if rtc is not None else oc)


# ----------------------------------------------------------------------------
# models used by agents: (catalog name, provider, cache style, reasoning)
#   cache style: "anthropic" (write then read), "auto" (implicit reads), None

M = {
    "sonnet": ("claude-sonnet-4-5", "anthropic", "anthropic", False),
    "sonnet46": ("claude-sonnet-4-6", "anthropic", "anthropic", False),
    "opus": ("claude-opus-4-1", "anthropic", "anthropic", False),
    "opus45": ("claude-opus-4-5", "anthropic", "anthropic", False),
    "haiku": ("claude-haiku-4-5", "anthropic", "anthropic", False),
    "gpt5": ("gpt-5", "openai", "auto", True),
    "gpt52": ("gpt-5.2", "openai", "auto", True),
    "gpt5mini": ("gpt-5-mini", "openai", "auto", True),
    "gpt5pro": ("gpt-5-pro", "openai", None, True),
    "gpt54mini": ("gpt-5.4-mini", "openai", "auto", True),
    "gpt41": ("gpt-4.1", "openai", "auto", False),
    "gpt41mini": ("gpt-4.1-mini", "openai", "auto", False),
    "gpt41nano": ("gpt-4.1-nano", "openai", "auto", False),
    "o3": ("o3", "openai", "auto", True),
    "o4mini": ("o4-mini", "openai", "auto", True),
    "cua": ("computer-use-preview", "openai", None, False),
    "gemcu": ("gemini-2.5-computer-use-preview-10-2025", "vertex_ai", None, False),
    "gempro": ("gemini-2.5-pro", "vertex_ai", "auto", True),
    "gemflash": ("gemini-2.5-flash", "vertex_ai", "auto", True),
    "gem31pro": ("gemini/gemini-3.1-pro-preview", "gemini", "auto", True),
    "mistral_s": ("mistral/mistral-small-latest", "mistral", None, False),
    "mistral_m": ("mistral/mistral-medium-latest", "mistral", None, False),
    "mistral_l": ("mistral/mistral-large-latest", "mistral", None, False),
    "llama70": ("meta.llama3-1-70b-instruct-v1:0", "bedrock", None, False),
    "llama4": ("together_ai/meta-llama/Llama-4-Scout-17B-16E-Instruct", "together_ai", None, False),
    # not in the catalog (mixed profile only)
    "ft_unknown": ("acme/travel-ft-v3", "acme", None, False),
    "selfhost": ("vllm/qwen3-32b-awq", "vllm", None, False),
}

# pricier replacement used by cost_spike model switches (>=5x)
PRICIER = {
    "sonnet": "opus", "haiku": "opus45", "gpt5": "gpt5pro", "gpt5mini": "gpt5",
    "gpt41mini": "gpt41", "gpt41": "opus45", "o4mini": "o3", "gemflash": "gempro",
    "gempro": "opus", "mistral_s": "mistral_m", "mistral_m": "opus45",
    "llama70": "sonnet", "cua": "opus45", "gemcu": "opus", "gpt41nano": "gpt41mini",
    "o3": "gpt5pro", "llama4": "gpt41", "mistral_l": "sonnet", "gpt54mini": "gpt5pro",
    "sonnet46": "opus", "opus45": "gpt5pro", "gem31pro": "opus",
}

# ----------------------------------------------------------------------------
# domains


def A(aid, model, role, ts="z_ms", gateway=False, omit=(), weight=1.0, think=(300, 2500)):
    return dict(id=aid, model=model, role=role, ts=ts, gateway=gateway, omit=set(omit),
                weight=weight, think=think)


def T(name, agent, steps, tools, sys_tok, doc=0, weight=1.0, human=0.0, fan=None,
      handoff=None, final_big=False, note=None):
    return dict(name=name, agent=agent, steps=steps, tools=tools, sys=sys_tok, doc=doc,
                weight=weight, human=human, fan=fan, handoff=handoff, final_big=final_big,
                note=note)


# tool spec: name -> (arg space size, latency range ms, result tokens range, paid cost)
TOOLS = {
    # travel
    "search_flights": (5000, (800, 6000), (900, 3500), 0.0),
    "search_hotels": (5000, (700, 5000), (800, 3000), 0.0),
    "gds_fare_quote": (3000, (400, 2500), (300, 900), 0.0025),
    "check_fare": (3000, (300, 1800), (150, 500), 0.0),
    "get_fare_rules": (2000, (300, 1500), (600, 2200), 0.0),
    "hold_seat": (2000, (500, 3000), (80, 200), 0.0),
    "book_itinerary": (2000, (1200, 6000), (150, 400), 0.0),
    "charge_card": (1000, (800, 4000), (60, 160), 0.0),
    "seat_map": (2000, (400, 2000), (500, 1500), 0.0),
    "loyalty_lookup": (500, (200, 900), (100, 300), 0.0),
    "visa_requirements": (300, (400, 2000), (500, 1800), 0.0),
    "currency_convert": (100, (50, 300), (30, 60), 0.0),
    "send_email": (5000, (200, 900), (20, 60), 0.0),
    "get_pnr": (2000, (200, 1000), (300, 900), 0.0),
    "delegate_search": (5000, (50, 200), (40, 80), 0.0),
    # procurement
    "send_rfq": (20000, (300, 1500), (40, 120), 0.0),
    "send_reminder": (20000, (200, 900), (30, 80), 0.0),
    "get_quote_status": (20000, (200, 800), (100, 400), 0.0),
    "erp_query": (8000, (600, 9000), (400, 4000), 0.0),
    "inventory_lookup": (5000, (300, 2500), (150, 900), 0.0),
    "fetch_contract": (800, (500, 3000), (2000, 6000), 0.0),
    "extract_clauses": (4000, (200, 1200), (300, 1200), 0.0),
    "vendor_risk_score": (3000, (800, 3000), (150, 400), 0.012),
    "create_po": (3000, (500, 2500), (80, 200), 0.0),
    "approval_request": (3000, (200, 800), (50, 120), 0.0),
    "spawn_subagent": (50000, (50, 300), (30, 80), 0.0),
    # gameqa
    "screenshot": (100000, (150, 900), (1200, 1900), 0.0),
    "send_input": (100000, (80, 600), (20, 60), 0.0),
    "click": (100000, (60, 400), (20, 50), 0.0),
    "install_build": (200, (20000, 120000), (60, 200), 0.0),
    "launch_game": (200, (5000, 40000), (50, 150), 0.0),
    "collect_logs": (5000, (1000, 8000), (1500, 6000), 0.0),
    "upload_artifact": (5000, (1000, 15000), (30, 80), 0.0),
    "file_bug": (5000, (300, 1500), (40, 100), 0.0),
    "query_crash_db": (5000, (300, 2500), (400, 1500), 0.0),
    "spawn_tester": (50000, (50, 300), (30, 80), 0.0),
    "wait": (50, (1000, 30000), (5, 10), 0.0),
    "job_status": (1000, (100, 600), (40, 120), 0.0),
    # scribe
    "fetch_transcript": (10000, (300, 2500), (3000, 9000), 0.0),
    "ehr_read": (10000, (300, 2000), (500, 2500), 0.0),
    "icd10_lookup": (70000, (100, 700), (60, 250), 0.0),
    "cpt_lookup": (10000, (100, 700), (60, 250), 0.0),
    "drug_interaction_check": (5000, (300, 1500), (200, 600), 0.004),
    "ehr_write_draft": (10000, (400, 2500), (30, 80), 0.0),
    "guideline_search": (5000, (500, 3000), (800, 2500), 0.0),
}

DOMAINS = {}

DOMAINS["travel"] = dict(
    agents=[
        A("travel-concierge", "sonnet", "lead", ts="z_ms", think=(500, 4000)),
        A("fare-search-worker", "gpt41mini", "worker", ts="epoch", omit=("latency_ms",)),
        A("payments-specialist", "gpt41", "specialist", ts="off", gateway=True),
        A("visa-specialist", "gempro", "specialist", ts="z_s"),
        A("disruption-rebooker", "o4mini", "lead", ts="z_ms", think=(200, 1500)),
        A("itinerary-writer", "mistral_s", "lead", ts="us", omit=("status", "kind")),
        A("corporate-travel-desk", "gpt5", "lead", ts="z_ms", gateway=True),
    ],
    tasks=[
        T("flight_booking", "travel-concierge", (10, 28),
          ["search_flights", "check_fare", "get_fare_rules", "seat_map", "hold_seat",
           "book_itinerary", "loyalty_lookup", "currency_convert"], 3500, weight=3, human=0.35,
          fan=("fare-search-worker", "provider_search", (0, 4), 0.35, "delegate_search"),
          handoff=("payments-specialist", "payment", 0.45)),
        T("hotel_booking", "travel-concierge", (8, 22),
          ["search_hotels", "check_fare", "get_fare_rules", "hold_seat", "book_itinerary",
           "loyalty_lookup"], 3500, weight=2, human=0.35,
          handoff=("payments-specialist", "payment", 0.4)),
        T("trip_planning", "travel-concierge", (25, 70),
          ["search_flights", "search_hotels", "check_fare", "visa_requirements",
           "currency_convert", "seat_map", "get_fare_rules", "send_email"], 4000, weight=1,
          human=0.4, fan=("fare-search-worker", "provider_search", (2, 6), 0.5, "delegate_search"),
          handoff=("visa-specialist", "visa_check", 0.35), note="long_by_nature"),
        T("provider_search", "fare-search-worker", (3, 9),
          ["gds_fare_quote", "search_flights", "search_hotels", "check_fare"], 1200, weight=0),
        T("payment", "payments-specialist", (3, 9),
          ["charge_card", "get_pnr", "send_email", "currency_convert"], 1800, weight=0),
        T("visa_check", "visa-specialist", (3, 8),
          ["visa_requirements", "get_pnr", "send_email"], 2500, weight=0),
        T("rebooking", "disruption-rebooker", (12, 40),
          ["get_pnr", "search_flights", "check_fare", "hold_seat", "book_itinerary",
           "send_email", "get_fare_rules"], 2200, weight=2,
          handoff=("payments-specialist", "payment", 0.25)),
        T("itinerary_summary", "itinerary-writer", (2, 6), ["get_pnr", "send_email"], 900,
          weight=1.2),
        T("corporate_policy_trip", "corporate-travel-desk", (10, 30),
          ["search_flights", "search_hotels", "get_fare_rules", "check_fare", "book_itinerary",
           "send_email"], 5000, weight=1, human=0.2,
          handoff=("payments-specialist", "payment", 0.5)),
    ],
    diurnal=[1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 8, 8, 8, 8, 9, 9, 9, 8, 7, 6, 4, 2, 1],
    loop_tool="search_flights", cycle=["search_flights", "check_fare", "hold_seat"],
    retry_tool="charge_card", batch_tool="gds_fare_quote", poll_tool="get_pnr",
    spawn_tool="delegate_search", repeat_trap=("check_fare", "fare_recheck"),
)

DOMAINS["procurement"] = dict(
    agents=[
        A("buyer-agent", "gpt5", "lead", ts="z_ms", think=(400, 3000)),
        A("finance-approver", "sonnet", "specialist", ts="off", gateway=True),
        A("contract-analyst", "sonnet", "lead", ts="z_ms", think=(300, 2000)),
        A("legal-reviewer", "opus45", "specialist", ts="z_ms"),
        A("rfq-worker", "gpt5mini", "worker", ts="epoch", omit=("latency_ms",)),
        A("inventory-bot", "mistral_m", "lead", ts="z_s", omit=("status",)),
        A("erp-sync", "llama70", "lead", ts="us", omit=("args_hash", "kind")),
    ],
    tasks=[
        T("rfq_round", "buyer-agent", (8, 20),
          ["send_rfq", "erp_query", "inventory_lookup", "get_quote_status", "vendor_risk_score"],
          3000, weight=3, fan=("rfq-worker", "supplier_followup", (0, 5), 0.3, "spawn_subagent"),
          handoff=("finance-approver", "po_approval", 0.5)),
        T("supplier_followup", "rfq-worker", (3, 8),
          ["get_quote_status", "send_reminder", "erp_query"], 1200, weight=0),
        T("po_approval", "finance-approver", (3, 10),
          ["erp_query", "approval_request", "create_po", "vendor_risk_score"], 2500, weight=0),
        T("contract_review", "contract-analyst", (10, 30),
          ["fetch_contract", "extract_clauses", "erp_query", "vendor_risk_score"], 3000,
          doc=(30000, 90000), weight=2, handoff=("legal-reviewer", "legal_review", 0.3)),
        T("legal_review", "legal-reviewer", (3, 8), ["extract_clauses", "fetch_contract"], 4000,
          doc=(20000, 60000), weight=0),
        T("annual_contract_review", "contract-analyst", (40, 110),
          ["fetch_contract", "extract_clauses", "erp_query", "vendor_risk_score"], 3000,
          doc=(60000, 140000), weight=0.5, note="long_by_nature"),
        T("inventory_check", "inventory-bot", (3, 10), ["inventory_lookup", "erp_query"], 1500,
          weight=2.5),
        T("erp_reconcile", "erp-sync", (6, 18), ["erp_query", "inventory_lookup", "create_po"],
          1500, weight=1.5),
    ],
    diurnal=[1, 1, 1, 1, 1, 1, 2, 5, 9, 10, 10, 9, 7, 9, 10, 9, 8, 5, 3, 2, 1, 1, 1, 1],
    loop_tool="erp_query", cycle=["erp_query", "inventory_lookup"],
    retry_tool="erp_query", batch_tool="send_rfq", poll_tool="get_quote_status",
    spawn_tool="spawn_subagent", repeat_trap=("send_reminder", "supplier_reminders"),
)

DOMAINS["gameqa"] = dict(
    agents=[
        A("qa-lead", "gpt5", "lead", ts="z_ms"),
        A("cu-tester", "sonnet", "worker", ts="epoch", think=(100, 900)),
        A("cu-tester-gem", "gemcu", "worker", ts="z_ms", think=(100, 900), omit=("latency_ms",)),
        A("crash-triager", "o3", "lead", ts="off"),
        A("log-summarizer", "gemflash", "lead", ts="z_s", omit=("task_id",)),
        A("perf-bot", "gpt41mini", "lead", ts="us", omit=("kind", "status")),
    ],
    tasks=[
        T("smoke_test", "cu-tester", (15, 40), ["screenshot", "send_input", "click", "launch_game",
                                               "collect_logs"], 2500, weight=2.5,
          handoff=("crash-triager", "crash_repro", 0.12)),
        T("level_playthrough", "cu-tester-gem", (40, 110), ["screenshot", "send_input", "click",
                                                            "collect_logs"], 2500, weight=1.5,
          note="long_by_nature"),
        T("crash_repro", "crash-triager", (10, 30), ["query_crash_db", "install_build",
                                                     "launch_game", "collect_logs", "file_bug"],
          3000, weight=1.5),
        T("full_regression", "qa-lead", (8, 20), ["install_build", "job_status", "file_bug",
                                                  "upload_artifact"], 3000, weight=1,
          fan=("cu-tester", "platform_pass", (4, 12), 1.0, "spawn_tester"),
          handoff=("crash-triager", "crash_repro", 0.2)),
        T("platform_pass", "cu-tester", (8, 25), ["screenshot", "send_input", "click",
                                                  "launch_game"], 2500, weight=0),
        T("log_triage", "log-summarizer", (4, 14), ["collect_logs", "query_crash_db", "file_bug"],
          2000, weight=2),
        T("perf_capture", "perf-bot", (5, 15), ["launch_game", "collect_logs", "upload_artifact",
                                                "wait"], 1500, weight=1.2),
        T("soak_test", "cu-tester", (150, 320), ["screenshot", "send_input", "wait", "click"],
          2500, weight=0.3, note="long_by_nature"),
    ],
    diurnal=[3, 3, 3, 3, 3, 3, 4, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 4, 3],
    loop_tool="click", cycle=["click", "screenshot", "send_input", "screenshot"],
    retry_tool="install_build", batch_tool="query_crash_db", poll_tool="job_status",
    spawn_tool="spawn_tester", repeat_trap=("launch_game", "crash_repro_retries"),
)

DOMAINS["scribe"] = dict(
    agents=[
        A("scribe-drafter", "sonnet", "lead", ts="z_ms", gateway=True),
        A("note-reviewer", "gpt5", "specialist", ts="off"),
        A("coder", "gpt5mini", "lead", ts="epoch"),
        A("summary-bot", "haiku", "lead", ts="z_s", omit=("latency_ms", "status")),
        A("intake-bot", "mistral_s", "lead", ts="us", omit=("kind",)),
        A("careplan-writer", "gempro", "lead", ts="z_ms"),
    ],
    tasks=[
        T("visit_note", "scribe-drafter", (6, 18), ["fetch_transcript", "ehr_read", "icd10_lookup",
                                                    "ehr_write_draft"], 3500,
          doc=(6000, 22000), weight=4, handoff=("note-reviewer", "note_review", 0.4)),
        T("discharge_summary", "scribe-drafter", (15, 40), ["fetch_transcript", "ehr_read",
                                                            "drug_interaction_check",
                                                            "ehr_write_draft", "guideline_search"],
          3500, doc=(20000, 60000), weight=1.2, handoff=("note-reviewer", "note_review", 0.5),
          fan=("coder", "coding_chunk", (1, 4), 0.4, "spawn_subagent")),
        T("coding_chunk", "coder", (3, 10), ["icd10_lookup", "cpt_lookup"], 1500, weight=0),
        T("note_review", "note-reviewer", (2, 6), ["ehr_read", "guideline_search"], 2000, weight=0),
        T("coding", "coder", (6, 20), ["icd10_lookup", "cpt_lookup", "ehr_read"], 2500, weight=2),
        T("visit_summary", "summary-bot", (2, 6), ["ehr_read", "ehr_write_draft"], 1500,
          doc=(3000, 9000), weight=2),
        T("intake", "intake-bot", (4, 12), ["ehr_read", "ehr_write_draft"], 1200, weight=1.5),
        T("care_plan", "careplan-writer", (8, 24), ["ehr_read", "guideline_search",
                                                    "drug_interaction_check", "ehr_write_draft"],
          3000, doc=(8000, 25000), weight=1),
        T("psych_intake", "scribe-drafter", (40, 90), ["fetch_transcript", "ehr_read",
                                                       "ehr_write_draft", "guideline_search"],
          3500, doc=(40000, 90000), weight=0.35, note="long_by_nature"),
    ],
    diurnal=[1, 1, 1, 1, 1, 1, 2, 6, 10, 10, 9, 8, 6, 8, 9, 9, 8, 6, 4, 3, 2, 1, 1, 1],
    loop_tool="ehr_read", cycle=["ehr_read", "icd10_lookup", "ehr_write_draft"],
    retry_tool="ehr_write_draft", batch_tool="icd10_lookup", poll_tool="ehr_read",
    spawn_tool="spawn_subagent", repeat_trap=("ehr_read", "ehr_refresh"),
)

TS_FORMS = ["z_ms", "off", "z_s", "us", "epoch"]
RUNAWAY_KINDS = ["loop_repeat", "loop_cycle", "ping_pong", "step_runaway", "retry_storm",
                 "context_growth", "subagent_fanout", "cost_spike", "session_budget"]
VARIANTS = {
    "loop_repeat": ["same_call_tight", "same_call_slow", "llm_rerequest", "repeat_with_filler",
                    "empty_result_repeat"],
    "loop_cycle": ["cycle2", "cycle3", "cycle4_ui", "cycle_with_llm_noise"],
    "ping_pong": ["two_agent_bounce", "fresh_receiver_each_time", "slow_bounce",
                  "bounce_after_progress"],
    "step_runaway": ["exhaustive_search", "endless_revision", "slow_crawl", "varied_tools_forever"],
    "retry_storm": ["tight_error_retry", "rate_limited_llm", "timeouts_same_args",
                    "jittered_no_giveup", "llm_retry_each"],
    "context_growth": ["accumulate_results", "reappend_document", "cached_prefix_growth",
                       "slow_linear_growth"],
    "subagent_fanout": ["unbounded_per_item", "recursive_delegation", "respawn_on_failure",
                        "slow_fanout"],
    "cost_spike": ["model_switch_mid", "huge_context_from_start", "reasoning_blowup",
                   "fallback_to_premium", "premium_from_start"],
    "session_budget": ["uncached_big_docs", "slow_burn_long", "premium_grind",
                       "gradual_escalation"],
}


# ----------------------------------------------------------------------------
# helpers


def fmt_ts(t, form, off_h):
    if form == "epoch":
        return int(t)
    dt = datetime.fromtimestamp(t / 1000.0, tz=timezone.utc)
    if form == "off":
        dt2 = dt.astimezone(timezone(timedelta(hours=off_h)))
        s = dt2.strftime("%Y-%m-%dT%H:%M:%S") + ".%03d" % (int(t) % 1000)
        sign = "+" if off_h >= 0 else "-"
        return s + "%s%02d:00" % (sign, abs(off_h))
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if form == "z_s":
        return base + "Z"
    if form == "us":
        return base + ".%06dZ" % ((int(t) % 1000) * 1000 + (int(t * 1000) % 1000))
    return base + ".%03dZ" % (int(t) % 1000)


def hid(rng, n=16):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def args_hash(tool, arg):
    return hashlib.sha256(("%s|%s" % (tool, arg)).encode()).hexdigest()[:16]


def logu(rng, lo, hi):
    return int(round(math.exp(rng.uniform(math.log(max(lo, 1)), math.log(max(hi, 1))))))


# ----------------------------------------------------------------------------
# generator


class Gen:
    def __init__(self, seed, profile, n, cat):
        self.seed, self.profile, self.n, self.cat = seed, profile, n, cat
        self.events = []       # (t, seq, sid, dict)
        self.labels = {}       # sid -> label dict
        self.seq = 0
        self.sess_cost = {}
        self.fleet = {}        # mixed-profile fleet effects
        self.agent_index = {}
        for dname, d in DOMAINS.items():
            for a in d["agents"]:
                self.agent_index[a["id"]] = (dname, a)

    # ---- session creation
    def new_session(self, rng, dname, agent_id, task, task_id, parent=None, t=0):
        a = self.agent_index[agent_id][1]
        sid = ("sess_" if rng.random() < 0.6 else "") + hid(rng, 20)
        s = dict(sid=sid, agent=a, dname=dname, task=task, task_id=task_id, parent=parent, t=t,
                 ctx=0, n=0, model=a["model"], cached=False, rng=rng, off_h=rng.choice(
                     [1, 2, -5, 5, 9, -8, 0]) if a["ts"] == "off" else 0,
                 pending=None, first=None)
        s["sys"] = task["sys"] + rng.randint(-200, 200)
        s["doc"] = logu(rng, *task["doc"]) if task["doc"] else 0
        self.sess_cost[sid] = 0.0
        return s

    def label(self, s, label="normal", kind="normal", onset=None, part_of=None, **extra):
        lab = dict(session_id=s["sid"], label=label, kind=kind, onset_event_id=onset,
                   task_id=s["task_id"], agent_id=s["agent"]["id"],
                   task_type=None if self.no_tt(s) else s["task"]["name"])
        if part_of:
            lab["part_of"] = part_of
        lab["domain"] = s["dname"]
        lab.update(extra)
        self.labels[s["sid"]] = lab
        return lab

    def no_tt(self, s):
        return s["agent"]["id"] in self.fleet.get("no_task_type", ())

    # ---- event emission
    def emit(self, s, e):
        a = s["agent"]
        rng = s["rng"]
        self.seq += 1
        eid = hid(rng, 32)
        if a["ts"] in ("epoch", "us"):
            eid = "%s-%s-%s-%s-%s" % (eid[:8], eid[8:12], eid[12:16], eid[16:20], eid[20:])
        elif a["ts"] == "z_s":
            eid = "evt_%s_%05d" % (s["sid"][-10:], s["n"])
        ev = {"event_id": eid, "ts": None, "session_id": s["sid"], "agent_id": a["id"]}
        if a["id"] in ("payments-specialist", "finance-approver"):
            ev = {"v": 1, **ev}
        if not self.no_tt(s):
            ev["task_type"] = s["task"]["name"]
        if "task_id" not in a["omit"] and s["task_id"]:
            ev["task_id"] = s["task_id"]
        if s["parent"]:
            ev["parent_session_id"] = s["parent"]
        ev["tenant"] = self.tenant(s)
        if a["gateway"]:
            ev["env"] = "prod"
        ev.update(e)
        for k in ("latency_ms", "args_hash"):
            if k in a["omit"] and k in ev:
                del ev[k]
        if "status" in a["omit"] and ev.get("status") == "ok":
            del ev["status"]
        if "kind" in a["omit"] and ev.get("kind") == "llm":
            del ev["kind"]
        ev["_t"] = s["t"]
        ev["ts"] = fmt_ts(s["t"], a["ts"], s["off_h"])
        self.events.append(ev)
        s["n"] += 1
        c = ev.pop("_cost", 0.0)
        self.sess_cost[s["sid"]] = self.sess_cost.get(s["sid"], 0.0) + (c or 0.0)
        if s["first"] is None:
            s["first"] = eid
        return eid

    def tenant(self, s):
        return {"travel": "acme-travel", "procurement": "northwind-supply",
                "gameqa": "pixelforge", "scribe": "stmarys-health"}[s["dname"]]

    def think(self, s, lo=None, hi=None):
        a = s["agent"]
        lo = a["think"][0] if lo is None else lo
        hi = a["think"][1] if hi is None else hi
        s["t"] += logu(s["rng"], lo, hi)

    # ---- LLM call
    def llm(self, s, tool=None, out=None, extra_in=0, model=None, status="ok", reasoning=None,
            ctx_add=None, uncached=False, big_out=False, cost_mult=1.0, zero=False,
            latency=None):
        rng = s["rng"]
        mkey = model or s["model"]
        mname, prov, cstyle, reas = M[mkey]
        # provider outage (mixed): fail with backoff until window ends
        out_w = self.fleet.get("outage")
        if out_w and prov == out_w[0] and not zero and status == "ok":
            back = 2000
            while out_w[1] <= s["t"] < out_w[2]:
                self.llm(s, tool=tool, model=mkey, status="error", zero=True,
                         latency=rng.randint(400, 30000))
                s.setdefault("traps", set()).add("provider_outage")
                s["t"] += back + rng.randint(0, back // 2)
                back = min(back * 2, 240000)
        if out is None:
            out = logu(rng, 40, 260) if tool else logu(rng, 250, 1400)
            if big_out:
                out = logu(rng, 900, 3500)
        fixed = s["sys"] + s["doc"]
        hist = s["ctx"] + extra_in + logu(rng, 30, 300)
        e = {"kind": "llm", "model": mname, "provider": prov}
        it = ot = cr = cw = rt = 0
        if not zero:
            ot = out
            if cstyle == "anthropic" and not uncached:
                if not s["cached"]:
                    cw, it = fixed, hist
                    s["cached"] = True
                else:
                    cr, it = fixed, hist
                    # anthropic agents also move the stable part of history into cache
                    if hist > 6000:
                        cr += int(hist * 0.7)
                        it = hist - int(hist * 0.7)
            elif cstyle == "auto" and not uncached and s["n"] > 0 and fixed > 1024:
                cr = (fixed // 128) * 128
                it = fixed - cr + hist
            else:
                it = fixed + hist
            if reas or reasoning:
                rt = reasoning if reasoning is not None else logu(rng, 64, 1800 if tool else 3000)
            e["input_tokens"] = it
            e["output_tokens"] = ot
            if cr:
                e["cache_read_tokens"] = cr
            if cw:
                e["cache_write_tokens"] = cw
            if rt:
                e["reasoning_tokens"] = rt
        else:
            e["input_tokens"] = 0
            e["output_tokens"] = 0
        if tool:
            e["tool"] = tool
        e["status"] = status
        if latency is None:
            latency = int(250 + ot * rng.uniform(8, 25) + (it + cr) / 40 + rt * 6)
        e["latency_ms"] = latency
        c = price(self.cat, mname, it, ot, cr, cw, rt)
        # fleet price change / gateway-reported cost
        rep = None
        if c is not None:
            mult = cost_mult
            pc = self.fleet.get("price_change")
            if pc and s["agent"]["id"] == pc[0] and s["t"] >= pc[1]:
                mult *= pc[2]
                s.setdefault("traps", set()).add("price_change")
            if s["agent"]["gateway"] or mult != 1.0:
                rep = round(c * mult, 7)
                c = rep
        elif mname == M["ft_unknown"][0]:
            c = (it * 4e-6 + ot * 1.6e-5)
            rep = round(c, 7)
        else:
            c = 0.0
        if rep is not None:
            e["cost_usd"] = rep
        e["_cost"] = c
        s["t"] += latency
        eid = self.emit(s, e)
        if not zero:
            s["ctx"] += (ot if ctx_add is None else ctx_add)
        return eid

    # ---- tool call
    def tool(self, s, name, arg=None, status="ok", result=None, latency=None, ctx_mult=1.0):
        rng = s["rng"]
        space, lat, res, paid = TOOLS[name]
        if arg is None:
            arg = rng.randrange(space)
        if latency is None:
            latency = logu(rng, *lat)
        e = {"kind": "tool", "tool": name, "args_hash": args_hash(name, arg), "status": status,
             "latency_ms": latency}
        if paid:
            e["cost_usd"] = paid
            e["_cost"] = paid
        s["t"] += latency
        eid = self.emit(s, e)
        if result is None:
            result = logu(rng, *res) if status == "ok" else rng.randint(20, 80)
        s["ctx"] += int(result * ctx_mult)
        return eid

    def handoff(self, s, target):
        e = {"kind": "handoff", "target_agent_id": target, "status": "ok",
             "latency_ms": s["rng"].randint(20, 300)}
        s["t"] += e["latency_ms"]
        return self.emit(s, e)

    # ---- normal step (LLM decides a tool, tool runs)
    def step(self, s, tools=None, arg=None, **kw):
        rng = s["rng"]
        tl = tools or s["task"]["tools"]
        tname = rng.choice(tl)
        self.llm(s, tool=tname)
        self.think(s, 20, 300)
        self.tool(s, tname, arg=arg, **kw)
        self.think(s)
        if s["task"]["human"] and rng.random() < s["task"]["human"] * 0.3:
            s["t"] += logu(rng, 5000, 120000)   # waiting on the traveller/user
        return tname

    def trim(self, s):
        # agents summarise history when it gets long (normal behaviour)
        if s["ctx"] > 60000 and s["agent"]["role"] != "worker":
            self.llm(s, out=s["rng"].randint(600, 1500))
            s["ctx"] = s["rng"].randint(3000, 8000)
            s.setdefault("traps", set()).add("context_trimmed")
        elif s["ctx"] > 24000 and s["agent"]["id"].startswith("cu-tester"):
            s["ctx"] = s["rng"].randint(6000, 12000)   # keeps last N screenshots only

    # ---- child / handoff sessions (normal)
    def run_child(self, parent, agent_id, task_name, spawn=True, steps=None, rng=None,
                  label=True, part_of=None, fail=False):
        d = DOMAINS[parent["dname"]]
        task = next(t for t in d["tasks"] if t["name"] == task_name)
        rng = rng or random.Random("%s|child|%s|%d" % (self.seed, parent["sid"], parent["n"]))
        c = self.new_session(rng, parent["dname"], agent_id, task, parent["task_id"],
                             parent=parent["sid"], t=parent["t"] + rng.randint(80, 2500))
        n = steps if steps is not None else rng.randint(*task["steps"])
        self.llm(c, tool=rng.choice(task["tools"]))
        for i in range(n):
            if fail and i == n - 1:
                self.tool(c, rng.choice(task["tools"]), status="error")
                break
            self.step(c)
            self.trim(c)
        if not fail:
            self.llm(c)
        if label:
            self.label(c, part_of=part_of, role="subagent" if spawn else "handoff_receiver",
                       traps=sorted(c.get("traps", ())))
        return c

    # ---- a normal body; returns nothing. hooks: extra traps
    def normal_body(self, s, n, traps, stop_at=None):
        """Runs n steps of ordinary work with the task's natural features.
        stop_at: if given, run only the first stop_at steps (runaway turns there)."""
        rng = s["rng"]
        task = s["task"]
        d = DOMAINS[s["dname"]]
        self.llm(s, tool=rng.choice(task["tools"]), out=rng.randint(80, 400))
        fan_at = handoff_at = -1
        if task["fan"] and (rng.random() < task["fan"][3] or "wide_fanout" in traps):
            fan_at = rng.randint(0, max(0, n // 2))
        if task["handoff"] and (rng.random() < task["handoff"][2] or
                                "handoff_roundtrip" in traps):
            handoff_at = rng.randint(max(1, n // 2), max(1, n - 1))
        limit = n if stop_at is None else min(stop_at, n)
        for i in range(limit):
            if i == fan_at:
                ca, ct, (lo, hi), _, sp = task["fan"]
                k = rng.randint(lo, hi)
                if "wide_fanout" in traps:
                    k = rng.randint(15, 35)
                kids = []
                for j in range(k):
                    self.llm(s, tool=sp, out=rng.randint(60, 200)) if j == 0 else None
                    self.tool(s, sp)
                    kids.append(self.run_child(s, ca, ct))
                    s["t"] += rng.randint(50, 400)
                if kids:
                    s["t"] = max(c["t"] for c in kids) + rng.randint(200, 3000)
                    self.llm(s, extra_in=sum(rng.randint(200, 600) for _ in kids))
                continue
            if i == handoff_at:
                rt = 1
                if "handoff_roundtrip" in traps:
                    rt = rng.randint(2, 3)
                self.handoff_rounds(s, task["handoff"], rt)
                continue
            self.step(s)
            self.trim(s)
        return limit

    def handoff_rounds(self, s, ho, rounds, bounce_extra=0, fresh_each=False,
                       onset_round=None, root=None, slow=False):
        """Sender s hands off to ho agent; receiver returns work (rounds times)."""
        rng = s["rng"]
        agent_id, task_name = ho[0], ho[1]
        d = DOMAINS[s["dname"]]
        task = next(t for t in d["tasks"] if t["name"] == task_name)
        recv = None
        onset_s = onset_r = None
        members = []
        for r in range(rounds):
            self.llm(s, out=rng.randint(100, 400))
            he = self.handoff(s, agent_id)
            if onset_round is not None and r == onset_round:
                onset_s = he
            t0 = s["t"] + rng.randint(100, 3000)
            if recv is None or fresh_each:
                crng = random.Random("%s|ho|%s|%d" % (self.seed, s["sid"], s["n"]))
                recv = self.new_session(crng, s["dname"], agent_id, task, s["task_id"],
                                        parent=s["sid"], t=t0)
                members.append(recv)
                if onset_round is None:
                    self.label(recv, part_of=root, role="handoff_receiver")
            else:
                recv["t"] = max(recv["t"], t0)
            k = rng.randint(1, 3) if r < rounds - 1 else rng.randint(*task["steps"])
            if r > 0 and onset_round is not None:
                k = rng.randint(1, 2)
            self.llm(recv, tool=task["tools"][0])
            for _ in range(k):
                self.step(recv)
            self.llm(recv, out=rng.randint(100, 500))
            if True:   # work always comes back to the sender
                be = self.handoff(recv, s["agent"]["id"])
                if onset_round is not None and r >= onset_round and "onset" not in recv:
                    recv["onset"] = be
                s["t"] = recv["t"] + rng.randint(200, 2000)
                if slow:
                    s["t"] += logu(rng, 60000, 900000)
                if r < rounds - 1:
                    self.step(s)   # address feedback
                s["ctx"] = min(s["ctx"], 30000)   # agents summarise long threads
                recv["ctx"] = min(recv["ctx"], 20000)
            else:
                s["t"] = max(s["t"], recv["t"] + rng.randint(200, 2000))
        return members, onset_s

    # ---------------------------------------------------------------- sessions
    def top_session(self, i, dname, rng, start, kind=None, trap=None):
        kname = kind[0] if kind else None
        d = DOMAINS[dname]
        tasks = [t for t in d["tasks"] if t["weight"] > 0]
        task = rng.choices(tasks, [t["weight"] for t in tasks])[0]
        if trap == "long_by_nature":
            longs = [t for t in tasks if t["note"] == "long_by_nature"]
            task = rng.choice(longs)
        elif trap == "wide_fanout":
            fans = [t for t in tasks if t["fan"]]
            task = rng.choice(fans)
        elif trap == "handoff_roundtrip" or kname == "ping_pong":
            hos = [t for t in tasks if t["handoff"]]
            task = rng.choice(hos)
        elif kname == "subagent_fanout":
            fans = [t for t in tasks if t["fan"]] or tasks
            task = rng.choice(fans)
        agent_id = task["agent"]
        if trap == "new_pricier_agent":
            agent_id = self.new_agent(dname, task)
        if kname in ("loop_repeat", "loop_cycle") and "args_hash" in \
                self.agent_index[agent_id][1]["omit"]:
            task = next(t for t in tasks if "args_hash" not in
                        self.agent_index[t["agent"]][1]["omit"] and t["note"] is None)
            agent_id = task["agent"]
        task_id = ("task-" if rng.random() < 0.7 else "T") + hid(rng, 12)
        s = self.new_session(rng, dname, agent_id, task, task_id, t=start)
        if s["agent"]["id"] in self.fleet.get("upgrade", {}):
            newm, at = self.fleet["upgrade"][s["agent"]["id"]]
            if start >= at:
                s["model"] = newm
                s.setdefault("traps", set()).add("model_upgrade")
        if kind:
            self.runaway(s, kind, rng)
        else:
            self.normal(s, trap, rng)

    def new_agent(self, dname, task):
        base = self.agent_index[task["agent"]][1]
        aid = base["id"] + "-premium"
        if aid not in self.agent_index:
            m = PRICIER.get(base["model"], "opus45")
            self.agent_index[aid] = (dname, dict(base, id=aid, model=m, gateway=False))
        return aid

    def normal(self, s, trap, rng):
        task = s["task"]
        d = DOMAINS[s["dname"]]
        traps = {trap} if trap else set()
        n = rng.randint(*task["steps"])
        if trap == "batch_op":
            bt = d["batch_tool"]
            k = rng.randint(25, 80)
            self.llm(s, tool=bt, out=rng.randint(300, 900))
            for j in range(k):
                self.tool(s, bt, arg="batch-%d-%d" % (s["n"], j), ctx_mult=0.3)
                s["t"] += rng.randint(20, 800)
                if j % 10 == 9:
                    self.llm(s, tool=bt, out=rng.randint(80, 300))
            n = max(2, n // 3)
        self.normal_body(s, n, traps)
        if trap == "one_expensive_action":
            # one huge read of a document with a big model, then normal finish
            self.llm(s, model=PRICIER.get(s["model"], "opus45"), extra_in=rng.randint(60000, 150000),
                     uncached=True, big_out=True, ctx_add=0)
        if trap == "legit_retries":
            tn = d["retry_tool"]
            arg = rng.randrange(10000)
            self.llm(s, tool=tn)
            for r in range(rng.randint(2, 3)):
                self.tool(s, tn, arg=arg, status=rng.choice(["error", "retry"]))
                s["t"] += int(1000 * (2 ** r) * rng.uniform(1, 2))
            self.tool(s, tn, arg=arg)
        if trap == "status_polling":
            pt = d["poll_tool"]
            arg = rng.randrange(10000)
            self.llm(s, tool=pt)
            for r in range(rng.randint(8, 30)):
                self.tool(s, pt, arg=arg, ctx_mult=0.1)
                s["t"] += rng.randint(10000, 60000)
            self.llm(s)
        if trap == "domain_repeat":
            rt_, _ = d["repeat_trap"]
            arg = rng.randrange(10000)
            for r in range(rng.randint(3, 6)):
                self.llm(s, tool=rt_)
                self.tool(s, rt_, arg=arg, status="error" if s["dname"] == "gameqa" and r < 3
                          else "ok")
                s["t"] += logu(rng, 20000, 1800000 if s["dname"] == "procurement" else 300000)
        if trap == "context_growth_trimmed":
            for r in range(rng.randint(8, 16)):
                self.step(s)
                s["ctx"] += rng.randint(3000, 7000)
            self.llm(s, out=rng.randint(800, 1500))
            s["ctx"] = rng.randint(3000, 6000)
            for r in range(rng.randint(2, 6)):
                self.step(s)
        if trap == "planned_escalation":
            self.llm(s, model=PRICIER.get(s["model"], "opus45"), big_out=True)
        else:
            self.llm(s, big_out=task["final_big"])
        tr = traps | s.get("traps", set())
        if trap == "domain_repeat":
            kind = d["repeat_trap"][1]
        elif trap:
            kind = trap
        else:
            kind = next((k for k in ("provider_outage", "price_change", "model_upgrade",
                                     "context_trimmed") if k in tr), "normal")
        self.label(s, kind=kind, traps=sorted(tr), role="root")

    # ---------------------------------------------------------------- runaways
    def runaway(self, s, kv, rng):
        kind, variant = kv
        d = DOMAINS[s["dname"]]
        task = s["task"]
        n = rng.randint(*task["steps"])
        turn = rng.randint(max(1, n // 4), max(1, (3 * n) // 4))
        onset = None
        part = []
        lab_extra = {}
        if kind == "session_budget" or kind == "step_runaway":
            turn = n   # normal work completes, then keeps going
        if kind == "cost_spike" and variant in ("huge_context_from_start", "premium_from_start"):
            turn = 0
        if turn > 0:
            self.normal_body(s, n, set(), stop_at=turn)
        else:
            pass
        mark = len(self.events)

        def first_new():
            for ev in self.events[mark:]:
                if ev["session_id"] == s["sid"]:
                    return ev["event_id"]
            return None

        if kind == "loop_repeat":
            tn = d["loop_tool"] if rng.random() < 0.6 else rng.choice(task["tools"])
            if tn in ("wait", "spawn_subagent", "spawn_tester", "delegate_search"):
                tn = d["loop_tool"]
            arg = "stuck-%d" % rng.randrange(1 << 30)
            reps = rng.randint(30, 220)
            for r in range(reps):
                if variant == "llm_rerequest":
                    self.llm(s, tool=tn, ctx_add=rng.randint(40, 120))
                    if r % 4 == 0:
                        self.tool(s, tn, arg=arg, result=rng.randint(300, 800), ctx_mult=0.2)
                    s["t"] += rng.randint(100, 900)
                    continue
                self.llm(s, tool=tn, ctx_add=rng.randint(30, 120))
                self.tool(s, tn, arg=arg,
                          result=rng.randint(0, 20) if variant == "empty_result_repeat"
                          else rng.randint(200, 900), ctx_mult=0.3)
                if variant == "same_call_slow":
                    s["t"] += logu(rng, 20000, 120000)
                elif variant == "repeat_with_filler" and r % 3 == 2:
                    self.tool(s, rng.choice([t for t in task["tools"] if t != tn] or [tn]))
                else:
                    self.think(s, 100, 1200)
                s["ctx"] = min(s["ctx"], 40000)
        elif kind == "loop_cycle":
            cyc = list(d["cycle"])
            if variant == "cycle2":
                cyc = cyc[:2]
            elif variant == "cycle3" and len(cyc) >= 3:
                cyc = cyc[:3]
            elif variant == "cycle4_ui":
                cyc = (cyc * 2)[:4]
            args = ["cyc-%d-%d" % (k, rng.randrange(1 << 30)) for k in range(len(cyc))]
            if len(set(cyc)) < len(cyc):   # same tool at two positions: same arg when same tool
                first = {}
                for k, tn in enumerate(cyc):
                    args[k] = first.setdefault(tn, args[k])
            reps = rng.randint(15, 90)
            for r in range(reps):
                for k, tn in enumerate(cyc):
                    noise = variant == "cycle_with_llm_noise"
                    self.llm(s, tool=tn, out=rng.randint(30, 400 if noise else 120),
                             ctx_add=rng.randint(20, 80))
                    self.tool(s, tn, arg=args[k], ctx_mult=0.2)
                    self.think(s, 100, 3000 if noise else 800)
                s["ctx"] = min(s["ctx"], 40000)
        elif kind == "ping_pong":
            ho = task["handoff"] or next(t["handoff"] for t in d["tasks"] if t["handoff"])
            rounds = rng.randint(12, 60)
            fresh = variant == "fresh_receiver_each_time"
            if variant == "bounce_after_progress":
                self.handoff_rounds(s, ho, 1, root=s["sid"])   # one legit round-trip first
            members, onset = self.handoff_rounds(
                s, ho, rounds, bounce_extra=1, fresh_each=fresh, onset_round=1,
                slow=variant == "slow_bounce")
            for m in members:
                if fresh:
                    self.label(m, part_of=s["sid"], role="ping_pong_peer", variant=variant)
                else:
                    self.label(m, label="runaway", kind="ping_pong", onset=m.get("onset"),
                               part_of=s["sid"], role="ping_pong_peer", variant=variant)
        elif kind == "step_runaway":
            extra = rng.randint(60, 300)
            tools = task["tools"]
            for r in range(extra):
                if variant == "endless_revision":
                    self.llm(s, big_out=True, ctx_add=rng.randint(100, 400))
                    if r % 3 == 0:
                        self.tool(s, rng.choice(tools), ctx_mult=0.3)
                else:
                    self.step(s, tools=tools, ctx_mult=0.4)
                if variant == "slow_crawl":
                    s["t"] += logu(rng, 30000, 240000)
                s["ctx"] = min(s["ctx"], 30000)   # agent keeps trimming: no context growth
        elif kind == "retry_storm":
            tn = d["retry_tool"]
            arg = "r-%d" % rng.randrange(1 << 30)
            reps = rng.randint(40, 300)
            if variant == "rate_limited_llm":
                for r in range(reps):
                    self.llm(s, tool=tn, status=rng.choice(["retry", "error"]), zero=True,
                             latency=rng.randint(80, 600))
                    s["t"] += rng.randint(50, 1500)
            else:
                self.llm(s, tool=tn)
                for r in range(reps):
                    lat = rng.randint(25000, 31000) if variant == "timeouts_same_args" else None
                    st = "retry" if variant == "jittered_no_giveup" and r % 2 else "error"
                    self.tool(s, tn, arg=arg, status=st, latency=lat)
                    if variant == "llm_retry_each":
                        self.llm(s, tool=tn, ctx_add=rng.randint(50, 150))
                    if variant == "jittered_no_giveup":
                        s["t"] += rng.randint(1000, 6000)
                    else:
                        s["t"] += rng.randint(20, 600)
                    s["ctx"] = min(s["ctx"], 30000)
        elif kind == "context_growth":
            reps = rng.randint(60, 260)
            mname = M[s["model"]][0]
            maxin = self.maxin(s)
            growth = {"accumulate_results": (3000, 9000), "reappend_document": (8000, 20000),
                      "cached_prefix_growth": (2500, 7000),
                      "slow_linear_growth": (900, 2000)}[variant]
            for r in range(reps):
                if s["ctx"] + s["sys"] + s["doc"] > maxin * 0.95:
                    break
                if variant == "cached_prefix_growth":
                    s["doc"] += rng.randint(*growth)   # whole transcript re-cached each turn
                    s["cached"] = s["cached"]
                    self.step(s, ctx_mult=0.1)
                else:
                    self.step(s, ctx_mult=0.0)
                    s["ctx"] += rng.randint(*growth)
        elif kind == "subagent_fanout":
            fan = task["fan"] or ("rfq-worker", "supplier_followup", (0, 5), 0, "spawn_subagent")
            ca, ct, (lo, hi), _, sp = fan
            if ca not in [a["id"] for a in d["agents"]]:
                pass
            normal_k = rng.randint(lo, hi)
            self.llm(s, tool=sp)
            total = normal_k + (rng.randint(60, 250) if variant != "recursive_delegation"
                                else rng.randint(20, 60))
            kids = []
            for j in range(total):
                te = self.tool(s, sp)
                if j == normal_k and onset is None:
                    onset = te
                crng = random.Random("%s|fan|%s|%d" % (self.seed, s["sid"], j))
                if variant == "recursive_delegation" and j >= normal_k and crng.random() < 0.5:
                    c = self.new_session(crng, s["dname"], ca, next(
                        t for t in d["tasks"] if t["name"] == ct), s["task_id"], parent=s["sid"],
                        t=s["t"] + crng.randint(100, 1500))
                    self.llm(c, tool=sp)
                    conset = None
                    for g in range(crng.randint(3, 12)):
                        e2 = self.tool(c, sp)
                        conset = conset or e2
                        self.run_child(c, ca, ct, steps=crng.randint(1, 4), rng=random.Random(
                            "%s|g|%s|%d" % (self.seed, c["sid"], g)), part_of=s["sid"])
                        c["t"] += crng.randint(100, 2000)
                    self.label(c, label="runaway", kind="subagent_fanout", onset=conset,
                               part_of=s["sid"], role="recursive_spawner", variant=variant)
                    kids.append(c)
                else:
                    fail = variant == "respawn_on_failure" and j >= normal_k
                    kids.append(self.run_child(s, ca, ct, steps=crng.randint(1, 5), rng=crng,
                                               part_of=s["sid"] if j >= normal_k else None,
                                               fail=fail))
                if variant == "slow_fanout":
                    s["t"] += logu(rng, 60000, 400000)
                elif variant == "respawn_on_failure":
                    s["t"] = kids[-1]["t"] + rng.randint(200, 2000)
                    self.llm(s, tool=sp, ctx_add=50)
                else:
                    s["t"] += rng.randint(50, 800)
                s["ctx"] = min(s["ctx"], 30000)
            # earlier normal children are part of the case too
            for c in kids[:normal_k]:
                self.labels[c["sid"]]["part_of"] = s["sid"]
        elif kind == "cost_spike":
            reps = rng.randint(25, 120)
            pm = PRICIER.get(s["model"], "opus45")
            for r in range(reps):
                if variant in ("model_switch_mid", "fallback_to_premium", "premium_from_start"):
                    if variant == "fallback_to_premium" and r == 0:
                        self.llm(s, status="error", zero=True, latency=rng.randint(200, 30000))
                    tn = rng.choice(task["tools"])
                    self.llm(s, tool=tn, model=pm)
                    self.tool(s, tn)
                elif variant == "huge_context_from_start":
                    if r == 0:
                        s["doc"] = min(s["doc"] + rng.randint(8, 12) * max(s["sys"] + s["doc"],
                                                                          4000),
                                       int(self.maxin(s) * 0.8))
                    tn = rng.choice(task["tools"])
                    self.llm(s, tool=tn, uncached=True)
                    self.tool(s, tn, ctx_mult=0.2)
                else:   # reasoning_blowup: same model, reasoning effort maxed
                    tn = rng.choice(task["tools"])
                    mname = M[s["model"]][0]
                    if M[s["model"]][3]:
                        self.llm(s, tool=tn, reasoning=rng.randint(15000, 30000))
                    else:
                        self.llm(s, tool=tn, model=pm)
                    self.tool(s, tn)
                self.think(s)
                s["ctx"] = min(s["ctx"], 30000)
        elif kind == "session_budget":
            base = max(self.sess_cost[s["sid"]], 0.01)
            target = max(base * rng.uniform(15, 40), rng.uniform(1.5, 6.0))
            for r in range(600):
                if self.sess_cost[s["sid"]] >= target and r >= 40:
                    break
                scale = max(1.0, (target / base) / 25.0)
                tn = rng.choice(task["tools"])
                if variant == "uncached_big_docs":
                    self.llm(s, tool=tn, uncached=True, ctx_add=0,
                             extra_in=int(rng.randint(20000, 60000) * min(scale, 3)))
                elif variant == "premium_grind":
                    self.llm(s, tool=tn, extra_in=int(rng.randint(5000, 15000) * min(scale, 8)),
                             ctx_add=0, big_out=rng.random() < 0.3)
                elif variant == "gradual_escalation":
                    self.llm(s, tool=tn, ctx_add=0,
                             extra_in=int(200 * r * min(scale, 10) * rng.uniform(0.5, 1.5)))
                else:   # slow_burn_long
                    self.llm(s, tool=tn, extra_in=int(rng.randint(2000, 6000) * min(scale, 10)),
                             ctx_add=0)
                    s["t"] += logu(rng, 20000, 200000)
                self.tool(s, tn, ctx_mult=0.0)
                self.think(s)
        if onset is None:
            onset = first_new()
        self.label(s, label="runaway", kind=kind, onset=onset, variant=variant, role="root",
                   turn_step=turn, planned_steps=n, traps=sorted(s.get("traps", ())))

    def maxin(self, s):
        mname = M[s["model"]][0]
        return max(100000, min(self.cat.get(mname, {}).get("max_input_tokens") or 200000, 400000))

    # ---------------------------------------------------------------- main
    def run(self):
        P = self.profile
        dnames = list(DOMAINS) if P == "mixed" else [P]
        master = random.Random("fleet13|%s|%s|%d" % (self.seed, P, self.n))
        if P == "mixed":
            prov = master.choice(["anthropic", "openai"])
            st = T0 + DAY_MS + master.randint(9, 15) * 3600000
            self.fleet["outage"] = (prov, st, st + master.randint(20, 60) * 60000)
            mid = T0 + int(DAYS * DAY_MS * master.uniform(0.4, 0.6))
            self.fleet["upgrade"] = {"buyer-agent": ("gpt52", mid), "travel-concierge":
                                     ("sonnet46", mid), "coder": ("gpt54mini", mid)}
            self.fleet["price_change"] = ("scribe-drafter", mid + 3600000 * 5, 1.35)
            self.fleet["no_task_type"] = ("itinerary-writer", "log-summarizer", "intake-bot")
            # unknown-model agents
            self.agent_index["booking-ft-agent"] = ("travel", A(
                "booking-ft-agent", "ft_unknown", "lead", ts="z_ms"))
            self.agent_index["qa-selfhost-bot"] = ("gameqa", A(
                "qa-selfhost-bot", "selfhost", "lead", ts="epoch"))
        else:
            self.fleet["no_task_type"] = {"gameqa": ("log-summarizer",),
                                          "travel": ("itinerary-writer",)}.get(P, ())
        # plan kinds per top-level session
        plan = []
        nr = int(round(self.n * master.uniform(0.06, 0.08)))
        kinds = [(RUNAWAY_KINDS[k % 9], VARIANTS[RUNAWAY_KINDS[k % 9]][(k // 9) % len(
            VARIANTS[RUNAWAY_KINDS[k % 9]])]) for k in range(nr)]
        trap_names = ["batch_op", "one_expensive_action", "new_pricier_agent", "long_by_nature",
                      "legit_retries", "wide_fanout", "planned_escalation", "status_polling",
                      "context_growth_trimmed", "handoff_roundtrip", "domain_repeat"]
        ntr = int(self.n * 0.12)
        traps = [trap_names[k % len(trap_names)] for k in range(ntr)]
        plan = [("R", k) for k in kinds] + [("T", t) for t in traps] + \
            [("N", None)] * (self.n - nr - ntr)
        master.shuffle(plan)
        # start times: diurnal + bursts
        bursts = [T0 + master.randrange(DAYS * DAY_MS) for _ in range(3)]
        if "outage" in self.fleet:
            bursts[0] = self.fleet["outage"][1] - 15 * 60000
        for i, (typ, what) in enumerate(plan):
            rng = random.Random("fleet13|%s|%s|%d|s%d" % (self.seed, P, self.n, i))
            dname = dnames[i % len(dnames)] if P == "mixed" else P
            diurnal = DOMAINS[dname]["diurnal"]
            if rng.random() < 0.08:
                start = rng.choice(bursts) + rng.randrange(20 * 60000)
            else:
                day = rng.randrange(DAYS)
                hr = rng.choices(range(24), diurnal)[0]
                start = T0 + day * DAY_MS + hr * 3600000 + rng.randrange(3600000)
            if typ == "R":
                # runaways keep time-ordering sane: avoid starting in the last 6 h
                start = min(start, T0 + DAYS * DAY_MS - 6 * 3600000)
            if P == "mixed" and typ == "N" and rng.random() < 0.03:
                self.unknown_model_session(rng, start, i)
                continue
            self.top_session(i, dname, rng, start, kind=what if typ == "R" else None,
                             trap=what if typ == "T" else None)

    def unknown_model_session(self, rng, start, i):
        aid = "booking-ft-agent" if i % 2 else "qa-selfhost-bot"
        dname = self.agent_index[aid][0]
        d = DOMAINS[dname]
        task = dict(next(t for t in d["tasks"] if t["weight"] > 0 and t["fan"] is None and
                         t["handoff"] is None), fan=None, handoff=None)
        s = self.new_session(rng, dname, aid, task, "task-" + hid(rng, 12), t=start)
        self.normal_body(s, rng.randint(*task["steps"]), set())
        self.llm(s)
        self.label(s, kind="unknown_model_cost_reported" if aid == "booking-ft-agent"
                   else "unknown_model_no_cost", traps=["unknown_model"], role="root")

    def write(self, out, labels_path):
        rng = random.Random("fleet13|deliver|%s|%s|%d" % (self.seed, self.profile, self.n))
        rows = []
        for k, ev in enumerate(self.events):
            t = ev.pop("_t")
            line = json.dumps(ev, separators=(",", ":"))
            r = rng.random()
            if r < 0.005:
                dt = t + rng.randint(30000, 1200000)   # late
            else:
                dt = t + rng.randint(0, 400)
            rows.append((dt, k, line))
            if rng.random() < 0.003:
                rows.append((dt + rng.randint(2000, 900000), k, line))   # redelivery
        rows.sort()
        with open(out, "w") as f:
            for _, _, line in rows:
                f.write(line + "\n")
        seen = set()
        with open(labels_path, "w") as f:
            for ev in self.events:
                sid = ev["session_id"]
                if sid in seen:
                    continue
                seen.add(sid)
                lab = self.labels[sid]
                lab["est_cost_usd"] = round(self.sess_cost.get(sid, 0.0), 6)
                f.write(json.dumps(lab, separators=(",", ":")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--profile", required=True, choices=["travel", "procurement", "gameqa",
                                                         "scribe", "mixed"])
    ap.add_argument("--sessions", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--catalog", default=None)
    a = ap.parse_args()
    cat_path = a.catalog
    if cat_path is None:
        import os
        cat_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                "model_prices_and_context_window.json")
    g = Gen(a.seed, a.profile, a.sessions, load_catalog(cat_path))
    g.run()
    g.write(a.out, a.labels)


if __name__ == "__main__":
    main()
