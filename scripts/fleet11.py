#!/usr/bin/env python3
"""fleet11 -- independent synthetic usage-event generator for `runaway`.

Written only from the wire contract (CONTRACT.md section 1, reason names of
section 2) and the LiteLLM price catalog in models/.  Python 3 stdlib only.

    python3 scripts/fleet11.py --seed S --profile P --sessions N \
        --out EVENTS.ndjson --labels LABELS.ndjson [--catalog FILE]

Output is a pure function of (seed, profile, sessions) (and the catalog file).
Profiles: soc, dataeng, priorauth, catalog, mixed.  --sessions is the number
of TOP-LEVEL sessions (sessions without parent_session_id); sub-agent and
handoff sessions come on top of that.

DATA CONVENTIONS (README for the data)
--------------------------------------
Events (one contract section-1 object per line):
* One event = one action: an LLM call (`kind` "llm"; some agents omit
  `kind`, which then defaults to llm), a tool call (`kind` "tool"), or a
  handoff (`kind` "handoff", with `target_agent_id`).
* `ts` is the time the action COMPLETED (when its usage became known);
  `latency_ms` is its duration, so the action started at ts - latency_ms.
  Forms used: RFC 3339 UTC with milliseconds ("...T12:00:00.123Z"), RFC 3339
  with microseconds, RFC 3339 without fraction, RFC 3339 with a +01:00
  offset, and integer epoch milliseconds.  The form is fixed per agent; the
  single-domain profiles use mostly the ".mmmZ" form, `mixed` uses all.
* Bus order: lines are sorted by event time except (a) ~0.5% of events are
  delivered late (1 s .. 5 min after their ts), (b) ~0.3% of events are
  redelivered later as byte-identical duplicates (same event_id), and (c) one
  to three "rebalance replays" re-deliver a block of 80-300 consecutive
  events a little later.  Duplicates must count once.
* Tokens are disjoint counts: input_tokens = uncached prompt tokens;
  cache_read_tokens = prompt tokens served from cache; cache_write_tokens =
  prompt tokens written to cache (only for models whose catalog entry has
  cache_creation_input_token_cost, i.e. explicit-cache models); output_tokens
  EXCLUDES reasoning_tokens, which are reported separately (only for
  reasoning-capable models).  Prompt size of a call = input + cache_read +
  cache_write.  Some agents omit zero-valued token fields (default 0).
* Price of an LLM event = input*input_cost_per_token
  + output*output_cost_per_token + cache_read*cache_read_input_token_cost
  + cache_write*cache_creation_input_token_cost
  + reasoning*output_cost_per_reasoning_token, where a missing cache rate
  falls back to input_cost_per_token and a missing reasoning rate to
  output_cost_per_token.  No tiered (above-N-tokens) prices are used.
* `cost_usd` appears only on LLM events of agents whose gateway reports cost
  (per agent, see AGENTS; e.g. pa-extractor, cat-worker, cat-imagetag,
  ops-helpdesk).  When present it equals the catalog price above (rounded to
  1e-9) EXCEPT: (1) in `mixed`, after a mid-run provider price change,
  cat-imagetag's reported cost_usd is 1.35x the catalog price; (2) the
  off-catalog model `acme/helpdesk-ft-v3` (mixed only) always reports
  cost_usd; the off-catalog `vllm/qwen2.5-72b-instruct-awq` (self-hosted,
  mixed only) never does (unpriceable).  Tool and handoff events never carry
  cost_usd (tools are treated as free).
* Failed LLM calls (status "retry"/"error") with all token counts 0 were not
  billed; some failed calls do carry tokens (the model answered but the
  answer was rejected) and are billed like any call.
* `args_hash` is a hex digest of (tool, normalized args); same tool + same
  args => same hash within a file.  Hash length is fixed per agent (12, 16
  or 40 hex chars).  LLM events may carry `tool` = the tool the model asked
  for; handoffs are preceded by an LLM call asking for a transfer_to_* tool.
* Sub-agents: a parent calls a spawn tool (spawn_enrichment, spawn_worker,
  spawn_profiler, spawn_doc_extraction, delegate_subtask), then the child
  session starts with parent_session_id = parent and the same task_id.
  Handoffs: the sender emits a handoff event; the receiver is a new session
  (parent_session_id = sender, same task_id) or, when work comes back, the
  sender's existing session resumes.
* Chargeback dims tenant/team/env are always set; some agents add `labels`
  and/or "v": 1.  In `mixed`, agents ops-helpdesk, ops-summarizer and
  cat-pricing emit no task_type.
* Fleet-level effects (mixed only): an openai outage of 40-60 min (~45-55%
  into the run) and an anthropic outage of 12-20 min (~70-80%): every LLM
  call of that provider in the window is preceded by failed, unbilled
  attempts (status retry/error, zero tokens) with exponential backoff capped
  at 120 s, until the window ends.  de-analyst sessions starting after the
  midpoint use gpt-5.4-mini instead of gpt-5-mini (model upgrade).
  cat-imagetag reports cost_usd at 1.35x catalog for sessions starting after
  ~65% of the run (price change).  New agents (soc-malware-re, de-perf-tuner,
  pa-clinical-v2, cat-copy-premium) appear 40-45% into the run, pricier than
  the rest of their fleet.
* Event times start at a profile/seed-dependent day in March 2026 and
  top-level session starts spread over 30-44 hours.

Labels (one line per session, every session of the event file):
  session_id, label ("normal"|"runaway"), kind, onset_event_id, task_id,
  part_of, agent_id, task_type (null when the events omit it),
  parent_session_id, plus extras: domain, variant, top_level, traps,
  n_events, cost_usd (catalog/cost_usd priced, deduplicated), start_ts,
  onset_ts, fleet (fleet-level effects seen by the session).
* kind for runaways is the contract reason; for normals "normal" or a trap
  name (batch_edit, expensive_action, new_pricey_agent, long_by_nature,
  legit_retries, handoff_return, wide_fanout, planned_escalation,
  status_polling, context_trim, recheck, outage_retries, model_upgrade,
  price_change, fanout_child).  A normal session inherits a fleet-effect
  name (outage_retries, model_upgrade, price_change) only when it carries
  no other trap; the `fleet` key always lists the effects it saw.
* onset_event_id = the first event emitted by the runaway behaviour in that
  session.  For step_runaway and session_budget it is the first event after
  the point where the session's normal work (its drawn normal length) would
  have ended.  For ping_pong it is the root's first transfer decision of the
  endless exchange; for subagent_fanout it is the first spawn call beyond the
  session's normal fan-out (the first spawn at all for agents that normally
  do not spawn, and for recursive trees).
* part_of: sessions belonging to a runaway case carry the root session's id:
  the other side(s) of a ping-pong (label runaway, kind ping_pong), children
  of a fan-out runaway that spawn further children (label runaway, kind
  subagent_fanout) and leaf children of a fan-out runaway (label normal,
  kind fanout_child - their own behaviour is ordinary).  Normal sub-sessions
  spawned by a runaway root BEFORE its onset carry part_of too (kind normal).
* Runaways never "finish": the generator stops emitting for that session
  after its runaway tail (tens to hundreds of actions).
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.normpath(os.path.join(HERE, '..', 'models', 'model_prices_and_context_window.json'))
PROFILES = ('soc', 'dataeng', 'priorauth', 'catalog', 'mixed')
KINDS = ('loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm',
         'context_growth', 'subagent_fanout', 'cost_spike', 'session_budget')
VARIANTS = {
    'loop_repeat': ['tight', 'interleaved', 'slow_noisy', 'small_argset', 'stuck_poll'],
    'loop_cycle': ['clean', 'noisy', 'tool_only', 'slow'],
    'ping_pong': ['fast', 'hours', 'fresh_partner', 'slow_subtle'],
    'step_runaway': ['plain', 'tool_heavy', 'slow'],
    'retry_storm': ['llm_429', 'tool_error', 'partial', 'billed_error'],
    'context_growth': ['linear', 'slow', 'accelerating'],
    'subagent_fanout': ['flat_fast', 'flat_slow', 'recursive', 'respawn'],
    'cost_spike': ['switch', 'subtle_switch', 'big_context', 'reasoning'],
    'session_budget': ['plain', 'docs', 'pricey_normal'],
}
# well-known models used for price escalations (pricier-model picks)
LADDER = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-6', 'claude-opus-4-5', 'claude-opus-4-1',
          'gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-4o-mini', 'gpt-4o', 'gpt-5-nano', 'gpt-5-mini',
          'gpt-5', 'gpt-5.2', 'gpt-5.4-mini', 'gpt-5.4', 'gpt-5.5', 'o3', 'o4-mini', 'o3-pro', 'gpt-5-pro',
          'gemini-2.5-flash-lite', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-3.5-flash',
          'gemini-3.1-pro-preview', 'deepseek-chat', 'mistral/mistral-medium-latest',
          'mistral/mistral-large-latest', 'mistral/devstral-medium-latest', 'xai/grok-4.5',
          'xai/grok-code-fast-1']
REASONING_PREFIX = ('o1', 'o3', 'o4', 'gpt-5', 'deepseek-reasoner', 'gemini-2.5-pro', 'gemini-2.5-flash',
                    'gemini-3', 'xai/grok-4')
OFF_CATALOG = {
    'acme/helpdesk-ft-v3': dict(provider='acme-gateway', i=1.6e-6, o=6.4e-6, cr=None, cw=None, r=None,
                                max=128000, known=False, reports=True),
    'vllm/qwen2.5-72b-instruct-awq': dict(provider='self-hosted', i=0.0, o=0.0, cr=None, cw=None, r=None,
                                          max=32768, known=False, reports=False),
}


def T(name, w=1.0, lat=(200, 1500), res=(200, 1500), err=0.02):
    return dict(name=name, w=w, lat=lat, res=res, err=err)


def A(name, **kw):
    d = dict(name=name, task_types=[], models=[], prefix=(4000, 8000), task_in=(300, 1500), out=(150, 700),
             reason=(0, 0), tools=[], par=(1, 1), poll=None, handoff_to=[], ret_p=0.0, child=None,
             trim_at=80000, weight=0.0, top=True, long=False, batch_tool=None, cost_usd=False, ts='z_ms',
             appears=0.0, new_pricey=False, per_item=None, no_task_type=False, eid='uuid', hash_len=16,
             explicit_kind=True, omit_zero=False, omit_ok=False, think=(60, 900), cache=True, labels=None,
             team=None, domain=None, v=False, final_tool=None, tps=(50, 120))
    d.update(kw)
    d['tooltab'] = {t['name']: t for t in d['tools']}
    return d


# ---------------------------------------------------------------- domains
def soc_agents():
    ti = [T('virustotal_lookup', 3, (300, 1800), (400, 2500)), T('abuseipdb_check', 2, (150, 900), (150, 600)),
          T('greynoise_ip', 2, (150, 700), (150, 500)), T('whois_lookup', 1, (200, 1200), (300, 900)),
          T('shodan_host', 1, (300, 2000), (500, 3000)), T('passive_dns', 1, (200, 1500), (300, 2000))]
    siem_poll = dict(submit='siem_search_submit', status='siem_job_status', result='siem_job_results',
                     every=(3000, 15000), n=(1, 7), p=0.5, reps=(1, 2))
    return [
        A('soc-triage', team='secops-l1', task_types=[('alert_triage', 1, (5, 16))],
          models=[('claude-haiku-4-5', 7), ('claude-sonnet-4-5', 3)], prefix=(5000, 9000), out=(120, 700),
          tools=ti + [T('siem_alert_get', 2, (100, 500), (600, 2500)), T('asset_inventory_get', 1.5),
                      T('user_directory_get', 1), T('case_update', 1, (80, 400), (50, 150))],
          poll=siem_poll, handoff_to=[('soc-investigator', 0.22)], child=dict(agent='soc-enricher',
          tool='spawn_enrichment', p=0.15, n=(2, 5)), trim_at=60000, weight=50, batch_tool='case_update',
          final_tool='case_update'),
        A('soc-investigator', team='secops-l2', task_types=[('incident_investigation', 1, (12, 40))],
          models=[('claude-sonnet-4-6', 6), ('gpt-5', 4)], reason=(300, 4000), prefix=(9000, 14000),
          out=(200, 1200), par=(1, 2),
          tools=[T('siem_search_submit', 2, (200, 800), (100, 200)), T('edr_process_tree', 2, (500, 3000), (800, 4000)),
                 T('edr_file_search', 1.5, (800, 6000), (300, 2500)), T('edr_network_conns', 1.5, (500, 4000), (600, 3000)),
                 T('virustotal_lookup', 1.5, (300, 1800), (400, 2500)), T('mitre_attack_lookup', 1),
                 T('sandbox_submit', 0.5, (1000, 3000), (100, 200)), T('case_update', 1, (80, 400), (50, 150)),
                 T('ticket_comment', 0.5, (100, 600), (50, 120))],
          poll=dict(siem_poll, n=(2, 10), p=0.7, reps=(1, 3)), handoff_to=[('soc-responder', 0.15)], ret_p=0.2,
          child=dict(agent='soc-enricher', tool='spawn_enrichment', p=0.35, n=(3, 10)), trim_at=90000,
          weight=8, batch_tool='ticket_comment', final_tool='case_update'),
        A('soc-responder', team='secops-ir', task_types=[('containment', 1, (4, 10))],
          models=[('claude-sonnet-4-5', 1)], prefix=(6000, 8000),
          tools=[T('edr_isolate_host', 1, (1000, 5000), (100, 300)), T('okta_suspend_user', 1, (300, 1200), (80, 200)),
                 T('firewall_block_ip', 1, (400, 2000), (80, 200)), T('case_update', 1), T('ticket_comment', 1)],
          ret_p=0.15, weight=5, batch_tool='firewall_block_ip', final_tool='case_update'),
        A('soc-enricher', team='secops-l1', task_types=[('ioc_enrichment', 1, (2, 7))], top=False,
          models=[('gpt-5-mini', 6), ('gpt-4.1-mini', 4)], reason=(100, 800), prefix=(2000, 3500), out=(80, 400),
          tools=ti, par=(1, 3), hash_len=12),
        A('soc-phish', team='secops-l1', task_types=[('phishing_triage', 1, (4, 12))],
          models=[('gemini-2.5-flash', 6), ('gpt-4.1-mini', 4)], reason=(0, 600), prefix=(4000, 6000),
          tools=[T('email_header_parse', 2, (50, 300), (500, 2000)), T('urlscan_submit', 1.5, (300, 900), (80, 150)),
                 T('mailbox_search', 1, (500, 3000), (300, 2000)), T('mailbox_purge', 0.5, (800, 4000), (60, 120)),
                 T('virustotal_lookup', 1.5, (300, 1800), (400, 2500))],
          poll=dict(submit='urlscan_submit', status='urlscan_result', result=None, every=(2000, 8000), n=(1, 6),
                    p=0.4, reps=(1, 1)),
          handoff_to=[('soc-investigator', 0.08)], weight=25, batch_tool='mailbox_purge'),
        A('soc-hunter', team='secops-hunt', task_types=[('threat_hunt', 1, (50, 120))], long=True,
          models=[('gemini-2.5-pro', 5), ('gemini-2.5-flash', 5)], reason=(200, 2500), prefix=(8000, 12000),
          tools=[T('siem_search_submit', 3, (200, 800), (100, 200)), T('edr_file_search', 1.5, (800, 6000), (300, 2500)),
                 T('mitre_attack_lookup', 1), T('hunt_notebook_append', 1, (100, 300), (50, 100)),
                 T('siem_job_results', 1, (300, 2500), (1500, 8000))],
          poll=dict(siem_poll, n=(2, 12), p=1.0, reps=(3, 10)), trim_at=150000, weight=4,
          batch_tool='hunt_notebook_append'),
        A('soc-reporter', team='secops-mgmt', task_types=[('shift_report', 1, (3, 9))],
          models=[('gpt-4.1-mini', 1)], out=(300, 2500),
          tools=[T('case_list', 1, (200, 800), (1000, 5000)), T('case_get', 2, (100, 400), (400, 1500)),
                 T('metrics_query', 1, (300, 2000), (300, 1200)), T('report_publish', 0.3)],
          weight=8, batch_tool='case_get', final_tool='report_publish'),
        A('soc-malware-re', team='secops-re', task_types=[('malware_analysis', 1, (8, 20))], new_pricey=True,
          appears=0.4, models=[('claude-opus-4-1', 1)], prefix=(12000, 20000), out=(400, 2500),
          tools=[T('sandbox_report_get', 1, (500, 2000), (3000, 12000)), T('disasm_function', 2, (300, 2000), (1500, 6000)),
                 T('strings_extract', 1, (200, 1000), (1000, 5000)), T('yara_scan', 1, (500, 3000), (100, 400)),
                 T('virustotal_lookup', 1, (300, 1800), (400, 2500))], weight=4, trim_at=120000),
    ]


def dataeng_agents():
    return [
        A('de-analyst', team='analytics-eng', task_types=[('adhoc_query', 1, (5, 18))],
          models=[('gpt-5-mini', 6), ('claude-sonnet-4-5', 4)], reason=(100, 1500), prefix=(6000, 10000),
          tools=[T('list_schemas', 0.5, (100, 500), (100, 400)), T('list_tables', 1, (100, 600), (300, 1500)),
                 T('describe_table', 3, (80, 400), (300, 1800)), T('sample_rows', 2, (300, 3000), (500, 3000)),
                 T('run_query', 4, (300, 20000), (200, 4000), 0.12), T('explain_query', 1, (100, 800), (300, 1500))],
          handoff_to=[('de-doctor', 0.06)], child=dict(agent='de-profiler', tool='spawn_profiler', p=0.1, n=(2, 4)),
          weight=40, batch_tool='describe_table'),
        A('de-dbt', team='data-platform', task_types=[('dbt_run', 1, (6, 20))],
          models=[('mistral/devstral-medium-latest', 4), ('xai/grok-code-fast-1', 3), ('claude-sonnet-4-5', 3)],
          prefix=(7000, 12000), out=(150, 1500),
          tools=[T('dbt_compile', 1, (2000, 20000), (300, 2000), 0.05), T('dbt_run_model', 2, (5000, 180000), (200, 1500), 0.1),
                 T('dbt_test', 1.5, (3000, 60000), (200, 1200), 0.1), T('read_file', 2, (20, 100), (300, 3000)),
                 T('edit_file', 1.5, (20, 100), (50, 150)), T('git_diff', 0.5, (50, 200), (200, 2000))],
          poll=dict(submit='dbt_cloud_job_trigger', status='dbt_cloud_job_status', result='dbt_cloud_job_artifacts',
                    every=(15000, 60000), n=(3, 15), p=0.5, reps=(1, 1)),
          weight=25, batch_tool='edit_file', hash_len=40),
        A('de-backfill', team='data-platform', task_types=[('backfill', 1, (40, 120))], long=True,
          models=[('gpt-4.1-nano', 5), ('gemini-2.5-flash-lite', 5)], prefix=(3000, 5000), out=(60, 300),
          tools=[T('run_partition', 4, (20000, 240000), (100, 300), 0.03), T('check_row_counts', 1.5, (300, 5000), (100, 300)),
                 T('mark_partition_done', 1, (50, 200), (30, 80))], par=(2, 5), trim_at=30000, weight=4,
          batch_tool='mark_partition_done'),
        A('de-doctor', team='data-platform', task_types=[('pipeline_incident', 1, (8, 30))],
          models=[('claude-sonnet-4-6', 5), ('o4-mini', 5)], reason=(500, 6000), prefix=(8000, 12000),
          tools=[T('airflow_task_logs', 2, (300, 2000), (2000, 12000)), T('airflow_task_state', 1.5, (100, 500), (100, 400)),
                 T('read_file', 1.5, (20, 100), (300, 3000)), T('edit_file', 1, (20, 100), (50, 150)),
                 T('run_query', 1.5, (300, 20000), (200, 4000), 0.1), T('airflow_clear_task', 0.5, (200, 800), (50, 100)),
                 T('slack_post', 0.3, (100, 400), (30, 60))],
          handoff_to=[('de-dbt', 0.1)], ret_p=0.2, child=dict(agent='de-profiler', tool='spawn_profiler', p=0.3, n=(2, 5)),
          weight=12, trim_at=100000, batch_tool='airflow_clear_task', final_tool='slack_post'),
        A('de-profiler', team='data-quality', task_types=[('data_quality_check', 1, (2, 6))], top=False,
          models=[('gpt-5-nano', 5), ('deepseek-chat', 5)], reason=(100, 600), prefix=(2000, 3000), out=(80, 400),
          tools=[T('profile_column', 2, (500, 8000), (200, 800)), T('run_query', 1, (300, 10000), (200, 2000), 0.05),
                 T('compare_snapshots', 1, (1000, 9000), (200, 900))]),
        A('de-schema', team='data-platform', task_types=[('schema_migration', 1, (5, 14))],
          models=[('claude-sonnet-4-5', 1)], prefix=(6000, 9000),
          tools=[T('describe_table', 2, (80, 400), (300, 1800)), T('generate_ddl', 1, (50, 200), (200, 800)),
                 T('apply_migration', 1, (500, 30000), (80, 300), 0.05), T('run_query', 1, (300, 10000), (200, 2000), 0.08)],
          weight=10, batch_tool='apply_migration', ts='z_us'),
        A('de-perf-tuner', team='analytics-eng', task_types=[('query_optimization', 1, (6, 16))], new_pricey=True,
          appears=0.45, models=[('gpt-5-pro', 1)], reason=(1500, 7000), prefix=(8000, 12000), out=(300, 1500),
          tools=[T('explain_query', 2, (100, 800), (800, 4000)), T('run_query', 1, (300, 20000), (200, 3000), 0.05),
                 T('warehouse_stats', 1, (300, 1500), (500, 2000))], weight=4),
    ]


def priorauth_agents():
    lab = {'phi': 'redacted', 'lob': 'commercial'}
    return [
        A('pa-intake', team='um-intake', task_types=[('pa_intake', 1, (5, 14))],
          models=[('claude-haiku-4-5', 6), ('gpt-4.1-mini', 4)], prefix=(5000, 8000),
          tools=[T('fetch_fax', 1, (1000, 4000), (100, 300)), T('ocr_page', 2, (2000, 8000), (800, 3000)),
                 T('ehr_patient_lookup', 1.5, (300, 1500), (500, 2500)), T('payer_lookup', 1, (200, 800), (200, 600)),
                 T('eligibility_check', 1, (500, 3000), (200, 600), 0.04), T('create_case', 0.5, (200, 600), (50, 100))],
          child=dict(agent='pa-extractor', tool='spawn_doc_extraction', p=0.75, n=(1, 6)),
          handoff_to=[('pa-clinical', 0.7)], weight=45, batch_tool='ocr_page', labels=lab, v=True),
        A('pa-extractor', team='um-intake', task_types=[('doc_extraction', 1, (1, 4))], top=False,
          models=[('gemini-2.5-flash', 7), ('gemini-2.5-flash-lite', 3)], reason=(0, 1500), prefix=(2000, 3000),
          task_in=(15000, 120000), out=(800, 3000),
          tools=[T('extract_fields', 1, (50, 200), (100, 300)), T('validate_codes', 1, (100, 600), (100, 400))],
          cost_usd=True, labels=lab, v=True, trim_at=400000),
        A('pa-clinical', team='um-clinical', task_types=[('clinical_review', 1, (6, 18))],
          models=[('claude-sonnet-4-6', 6), ('claude-opus-4-5', 4)], prefix=(40000, 90000), out=(300, 1500),
          tools=[T('payer_policy_lookup', 1.5, (300, 1500), (2000, 8000)), T('icd10_lookup', 1, (50, 300), (100, 400)),
                 T('cpt_lookup', 1, (50, 300), (100, 400)), T('ehr_query', 2, (300, 2500), (1000, 6000)),
                 T('criteria_check', 1, (200, 900), (300, 1200))],
          handoff_to=[('pa-appeals', 0.18)], ret_p=0.25, weight=8, trim_at=160000, labels=lab, v=True,
          batch_tool='criteria_check', final_tool='record_determination'),
        A('pa-appeals', team='um-appeals', task_types=[('appeal_drafting', 1, (8, 24))],
          models=[('claude-opus-4-5', 5), ('gpt-5', 5)], reason=(1000, 6000), prefix=(20000, 50000), out=(800, 4000),
          tools=[T('ehr_query', 2, (300, 2500), (1000, 6000)), T('literature_search', 1.5, (800, 4000), (1500, 5000)),
                 T('payer_policy_lookup', 1, (300, 1500), (2000, 8000)), T('draft_letter_save', 1, (100, 400), (50, 100)),
                 T('fax_send', 0.3, (2000, 9000), (50, 100), 0.05)],
          ret_p=0.3, weight=12, trim_at=180000, labels=lab, v=True, batch_tool='draft_letter_save'),
        A('pa-status', team='um-intake', task_types=[('status_followup', 1, (2, 6))],
          models=[('gpt-5-nano', 1)], reason=(50, 400), prefix=(1500, 2500), out=(60, 300),
          tools=[T('payer_portal_login', 1, (500, 2000), (50, 100)), T('case_note_add', 1, (100, 300), (30, 60))],
          poll=dict(submit='portal_submit_inquiry', status='check_pa_status', result=None, every=(30000, 120000),
                    n=(2, 10), p=0.9, reps=(1, 1)), weight=20, labels=lab, batch_tool='case_note_add'),
        A('pa-clinical-v2', team='um-clinical', task_types=[('clinical_review', 1, (6, 18))], new_pricey=True,
          appears=0.4, models=[('claude-opus-4-1', 1)], prefix=(60000, 100000), out=(400, 1800),
          tools=[T('payer_policy_lookup', 1.5, (300, 1500), (2000, 8000)), T('ehr_query', 2, (300, 2500), (1000, 6000)),
                 T('criteria_check', 1, (200, 900), (300, 1200))], weight=5, trim_at=180000, labels=lab, v=True),
    ]


def catalog_agents():
    return [
        A('cat-planner', team='catalog-ops', task_types=[('catalog_enrichment', 1, (3, 8))],
          models=[('gpt-5', 5), ('claude-sonnet-4-5', 5)], reason=(200, 2000), prefix=(6000, 9000),
          tools=[T('catalog_query', 1, (500, 4000), (1000, 4000)), T('plan_batches', 1, (100, 600), (300, 1500)),
                 T('get_batch_status', 1, (80, 300), (100, 400))],
          child=dict(agent='cat-worker', tool='spawn_worker', p=1.0, n=(5, 200), lognorm=20),
          poll=dict(submit=None, status='get_batch_status', result=None, every=(30000, 120000), n=(1, 4), p=0.6,
                    reps=(1, 1)),
          weight=4, final_tool='publish_catalog', batch_tool='plan_batches'),
        A('cat-worker', team='catalog-ops', task_types=[('batch_enrichment', 1, (4, 12))], top=False,
          models=[('gpt-4.1-mini', 5), ('gemini-2.5-flash', 3), ('gpt-5-mini', 2)], reason=(0, 500),
          prefix=(2500, 4000), out=(150, 600), trim_at=40000, cost_usd=True, omit_zero=True,
          tools=[T('get_batch_products', 1, (200, 1500), (1500, 6000)), T('update_product', 3, (60, 400), (30, 80), 0.01),
                 T('fetch_image', 0.6, (200, 1200), (300, 900))],
          per_item=dict(get='get_batch_products', put='update_product', extra=('fetch_image', 0.2)), hash_len=12),
        A('cat-imagetag', team='catalog-ops', task_types=[('image_tagging', 1, (4, 16))],
          models=[('gpt-4o-mini', 6), ('gemini-2.5-flash', 4)], prefix=(3000, 4500), out=(100, 500),
          tools=[T('fetch_image', 2, (200, 1200), (1000, 2500)), T('detect_attributes', 1, (300, 1500), (200, 600)),
                 T('update_product', 2, (60, 400), (30, 80))], cost_usd=True, weight=28, batch_tool='update_product'),
        A('cat-taxonomy', team='catalog-ops', task_types=[('taxonomy_mapping', 1, (5, 14))],
          models=[('gpt-5-mini', 1)], reason=(100, 1000), prefix=(5000, 12000),
          tools=[T('taxonomy_search', 2, (100, 600), (500, 2500)), T('get_product', 2, (60, 300), (300, 1200)),
                 T('set_category', 1, (60, 300), (30, 80))],
          handoff_to=[('cat-qa', 0.15)], weight=25, batch_tool='set_category'),
        A('cat-qa', team='trust-safety', task_types=[('listing_qa', 1, (3, 10))],
          models=[('claude-haiku-4-5', 1)], prefix=(6000, 9000),
          tools=[T('get_product', 2, (60, 300), (300, 1200)), T('policy_check', 1.5, (200, 900), (200, 800)),
                 T('flag_listing', 0.5, (80, 300), (30, 60))],
          handoff_to=[('cat-taxonomy', 0.04)], ret_p=0.25, weight=22, batch_tool='flag_listing', omit_ok=True),
        A('cat-pricing', team='pricing', task_types=[('competitor_pricing', 1, (4, 12))],
          models=[('gpt-4.1-mini', 6), ('deepseek-chat', 4)], prefix=(3000, 5000),
          tools=[T('scrape_competitor', 2, (2000, 10000), (500, 3000), 0.06), T('get_price_history', 1, (200, 900), (300, 1500)),
                 T('propose_price', 1, (60, 300), (30, 80))],
          poll=dict(submit='scrape_job_submit', status='scrape_job_status', result='scrape_job_results',
                    every=(10000, 40000), n=(2, 10), p=0.5, reps=(1, 1)), weight=10, batch_tool='propose_price'),
        A('cat-copy-premium', team='brand', task_types=[('premium_copywriting', 1, (5, 12))], new_pricey=True,
          appears=0.45, models=[('claude-opus-4-1', 1)], prefix=(8000, 14000), out=(1500, 4000),
          tools=[T('get_product', 2, (60, 300), (300, 1200)), T('brand_guide_get', 1, (100, 400), (2000, 6000)),
                 T('update_product', 1, (60, 400), (30, 80))], weight=5),
    ]


def ops_agents():
    return [
        A('ops-helpdesk', team='it-ops', task_types=[('helpdesk', 1, (3, 10))], no_task_type=True,
          models=[('acme/helpdesk-ft-v3', 1)], prefix=(3000, 5000),
          tools=[T('kb_search', 2, (100, 800), (500, 2500)), T('ticket_get', 1, (80, 300), (300, 1000)),
                 T('ticket_reply', 1, (100, 400), (30, 60))], weight=20, ts='z_us', batch_tool='ticket_reply'),
        A('ops-summarizer', team='it-ops', task_types=[('summarize', 1, (2, 8))], no_task_type=True,
          models=[('vllm/qwen2.5-72b-instruct-awq', 1)], prefix=(1500, 3000),
          tools=[T('doc_fetch', 1, (100, 900), (1000, 5000)), T('wiki_post', 0.5, (100, 400), (30, 60))],
          weight=10, ts='z_s', explicit_kind=False, trim_at=25000),
    ]


DOMAIN_FUNS = dict(soc=soc_agents, dataeng=dataeng_agents, priorauth=priorauth_agents, catalog=catalog_agents)
DOMAIN_CHILD = dict(soc=dict(agent='soc-enricher', tool='spawn_enrichment', n=(2, 5)),
                    dataeng=dict(agent='de-profiler', tool='spawn_profiler', n=(2, 4)),
                    priorauth=dict(agent='pa-extractor', tool='spawn_doc_extraction', n=(1, 4)),
                    catalog=dict(agent='cat-worker', tool='spawn_worker', n=(5, 40)),
                    ops=dict(agent='ops-summarizer', tool='delegate_subtask', n=(1, 3)))
PP_PARTNER = {'soc-triage': 'soc-investigator', 'soc-investigator': 'soc-triage', 'soc-responder': 'soc-investigator',
              'soc-phish': 'soc-investigator', 'soc-hunter': 'soc-investigator', 'soc-reporter': 'soc-investigator',
              'de-analyst': 'de-doctor', 'de-doctor': 'de-analyst', 'de-dbt': 'de-doctor', 'de-schema': 'de-analyst',
              'de-backfill': 'de-doctor', 'pa-intake': 'pa-clinical', 'pa-clinical': 'pa-appeals',
              'pa-appeals': 'pa-clinical', 'pa-status': 'pa-intake', 'cat-planner': 'cat-qa',
              'cat-taxonomy': 'cat-qa', 'cat-qa': 'cat-taxonomy', 'cat-imagetag': 'cat-qa', 'cat-pricing': 'cat-qa',
              'ops-helpdesk': 'ops-summarizer', 'ops-summarizer': 'ops-helpdesk'}
TENANTS = dict(soc=['mssp-northwind', 'mssp-globex', 'acme-bank', 'initech'],
               dataeng=['analytics', 'finance-dw', 'growth', 'ml-platform'],
               priorauth=['bluecrest-health', 'sunvale-medical', 'orchard-hmo'],
               catalog=['shop-eu', 'shop-us', 'marketplace-3p'], ops=['internal'])


def build_agents(profile):
    agents = []
    doms = ['soc', 'dataeng', 'priorauth', 'catalog'] if profile == 'mixed' else [profile]
    for dom in doms:
        for a in DOMAIN_FUNS[dom]():
            a['domain'] = dom
            agents.append(a)
    if profile == 'mixed':
        for a in ops_agents():
            a['domain'] = 'ops'
            agents.append(a)
        for a in agents:  # ts form per domain in mixed
            if a['domain'] == 'soc':
                a['ts'] = 'epoch_ms'
            elif a['domain'] == 'priorauth':
                a['ts'] = 'offset'
            elif a['domain'] == 'dataeng' and a['ts'] == 'z_ms':
                a['ts'] = 'z_s' if a['name'] == 'de-dbt' else 'z_ms'
            if a['domain'] in ('soc', 'dataeng', 'priorauth', 'catalog'):
                a['weight'] *= 0.9
        for a in agents:
            if a['name'] == 'cat-pricing':
                a['no_task_type'] = True
    else:
        # a little format variety in single-domain profiles too
        for a in agents:
            if a['name'] in ('soc-phish', 'cat-pricing', 'pa-status', 'de-profiler'):
                a['ts'] = 'epoch_ms'
            if a['name'] in ('soc-enricher', 'cat-qa', 'de-dbt', 'pa-extractor'):
                a['eid'] = 'prefixed'
    return {a['name']: a for a in agents}


# ---------------------------------------------------------------- helpers
def fmt_ts(ms, style):
    if style == 'epoch_ms':
        return ms
    if style == 'offset':
        ms2 = ms + 3600000
        base = datetime.datetime.fromtimestamp(ms2 // 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
        return '%s.%03d+01:00' % (base, ms2 % 1000)
    base = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
    if style == 'z_s':
        return base + 'Z'
    if style == 'z_us':
        return '%s.%03d%03dZ' % (base, ms % 1000, (ms * 7) % 1000)
    return '%s.%03dZ' % (base, ms % 1000)


class Sess(object):
    def __init__(self, g, agent, tt, nsteps, task_id, parent, t0, tenant, top):
        self.g = g
        self.sid = g.new_sid()
        self.a = agent
        self.tt = tt
        self.nsteps = nsteps
        self.task_id = task_id
        self.parent = parent
        self.t = int(t0)
        self.t0 = int(t0)
        self.tenant = tenant
        self.env = 'staging' if g.rng.random() < 0.03 else 'prod'
        self.model = g.pick_model(agent, t0)
        self.prefix = g.rng.randint(*agent['prefix'])
        self.conv = 0
        self.pending = 0
        self.last_llm = None
        self.last_model = None
        self.argc = 0
        self.used = {}
        self.n = 0
        self.cost = 0.0
        self.onset_pending = False
        self.no_trim = False
        self.price_mult = 1.0
        self.fleet = []
        self.worker_model = None
        self.plan = {}
        self.lab = dict(session_id=self.sid, label='normal', kind='normal', onset_event_id=None, task_id=task_id,
                        part_of=None, agent_id=agent['name'], task_type=None if agent['no_task_type'] else tt,
                        parent_session_id=parent.sid if parent else None, domain=agent['domain'], variant=None,
                        top_level=parent is None, traps=[])
        g.sessions.append(self)


class Gen(object):
    def __init__(self, seed, profile, nsess, catalog):
        self.rng = random.Random('fleet11|%s|%s|%s' % (seed, profile, nsess))
        self.seed, self.profile, self.N = seed, profile, nsess
        self.cat = catalog
        self._mi = {}
        self.agents = build_agents(profile)
        pidx = PROFILES.index(profile)
        self.T0 = 1772409600000 + (pidx * 3 + (seed % 5) * 2) * 86400000
        self.D = int(self.rng.uniform(30, 44) * 3600000)
        self.events = []
        self.sessions = []
        self.sid_n = 0
        self.outage = None
        self.upgrade = None
        self.pricechg = None
        if profile == 'mixed':
            st = self.T0 + int(self.D * self.rng.uniform(0.45, 0.55))
            st2 = self.T0 + int(self.D * self.rng.uniform(0.7, 0.8))
            self.outage = [('openai', st, st + self.rng.randint(40, 60) * 60000),
                           ('anthropic', st2, st2 + self.rng.randint(12, 20) * 60000)]
            self.upgrade = ('de-analyst', 'gpt-5-mini', 'gpt-5.4-mini', self.T0 + int(self.D * 0.5))
            self.pricechg = ('cat-imagetag', 1.35, self.T0 + int(self.D * 0.65))
        self.call_cost = {}
        for a in self.agents.values():
            m = a['models'][0][0]
            mi = self.minfo(m)
            pre = sum(a['prefix']) / 2.0
            self.call_cost[a['name']] = self.price(mi, 2000, sum(a['out']) / 2.0, pre, 0, 0)

    # --- ids / models
    def new_sid(self):
        self.sid_n += 1
        return 'ses_%s_%08x%05d' % (self.profile[:3], self.rng.getrandbits(32), self.sid_n)

    def new_eid(self, a):
        b = self.rng.getrandbits(128)
        if a['eid'] == 'prefixed':
            return 'evt_%032x' % b
        h = '%032x' % b
        return '%s-%s-4%s-%s-%s' % (h[:8], h[8:12], h[13:16], h[16:20], h[20:32])

    def minfo(self, m):
        mi = self._mi.get(m)
        if mi:
            return mi
        c = self.cat.get(m)
        if c is not None:
            mi = dict(provider=(c.get('litellm_provider') or 'unknown').replace('-language-models', ''),
                      i=c.get('input_cost_per_token') or 0.0, o=c.get('output_cost_per_token') or 0.0,
                      cr=c.get('cache_read_input_token_cost'), cw=c.get('cache_creation_input_token_cost'),
                      r=c.get('output_cost_per_reasoning_token'), max=c.get('max_input_tokens') or 128000,
                      known=True, reports=False)
        else:
            mi = dict(OFF_CATALOG[m])
        mi['cc'] = 'explicit' if mi['cw'] else ('auto' if mi['cr'] else None)
        mi['reasoning'] = m.startswith(REASONING_PREFIX) and 'lite' not in m and 'gpt-5-chat' not in m
        self._mi[m] = mi
        return mi

    @staticmethod
    def price(mi, i, o, cr, cw, r):
        return (i * mi['i'] + o * mi['o'] + cr * (mi['cr'] if mi['cr'] is not None else mi['i'])
                + cw * (mi['cw'] if mi['cw'] is not None else mi['i'])
                + r * (mi['r'] if mi['r'] is not None else mi['o']))

    def pick_model(self, a, t0):
        ms = a['models']
        m = self.rng.choices([x[0] for x in ms], [x[1] for x in ms])[0]
        if self.upgrade and a['name'] == self.upgrade[0] and m == self.upgrade[1] and t0 >= self.upgrade[3]:
            m = self.upgrade[2]
        return m

    def pricier(self, m, lo, hi, out_tok=500, in_tok=6000):
        base = self.price(self.minfo(m), in_tok, out_tok, 0, 0, 0)
        prov = self.minfo(m)['provider']
        cands = []
        for c in LADDER:
            if c == m or c not in self.cat:
                continue
            r = self.price(self.minfo(c), in_tok, out_tok, 0, 0, 0) / max(base, 1e-12)
            if lo <= r <= hi:
                cands.append((0 if self.minfo(c)['provider'] == prov else 1, c))
        if not cands:
            best = None
            for c in LADDER:
                if c == m or c not in self.cat:
                    continue
                r = self.price(self.minfo(c), in_tok, out_tok, 0, 0, 0) / max(base, 1e-12)
                if r > 1.5 and (best is None or abs(math.log(r / ((lo + hi) / 2))) < best[0]):
                    best = (abs(math.log(r / ((lo + hi) / 2))), c)
            return best[1] if best else 'claude-opus-4-1'
        cands.sort()
        same = [c for p, c in cands if p == 0]
        return self.rng.choice(same if same else [c for p, c in cands])

    # --- emission
    def emit(self, s, ev):
        eid = self.new_eid(s.a)
        if s.onset_pending:
            s.lab['onset_event_id'] = eid
            s.lab['onset_ts_ms'] = s.t
            s.onset_pending = False
        self.events.append((s.t, len(self.events), s, eid, ev))
        s.n += 1
        return eid

    def skew(self, lo, hi, p=1.6):
        return lo + int((hi - lo) * (self.rng.random() ** p))

    def llm(self, s, tool=None, model=None, extra_in=0, out=None, reason=None, status='ok', bill=True,
            keep_extra=True, no_cache=False):
        a, rng = s.a, self.rng
        m = model or s.model
        mi = self.minfo(m)
        s.t += rng.randint(*a['think'])
        for prov, o_st, o_end in (self.outage or ()):
            if status != 'ok' or mi['provider'] != prov:
                continue
            k = 0
            while o_st <= s.t < o_end and k < 30:
                lat = rng.randint(150, 2500)
                s.t += lat
                self._emit_llm(s, m, mi, 0, 0, 0, 0, 0, tool, rng.choice(('retry', 'retry', 'error')), lat, 0.0)
                if 'outage_retries' not in s.fleet:
                    s.fleet.append('outage_retries')
                s.t += int(min(120000, 1000 * 2 ** k) * rng.uniform(0.5, 1.0))
                k += 1
        if status != 'ok' and not bill:
            lat = rng.randint(80, 2500)
            s.t += lat
            self._emit_llm(s, m, mi, 0, 0, 0, 0, 0, tool, status, lat, 0.0)
            return 0.0
        new = s.pending + extra_in
        prev = s.prefix + s.conv
        total = prev + new
        cap = int(mi['max'] * 0.97)
        if total > cap:
            total = cap
            new = min(new, cap // 2)
            prev = total - new
        cc = mi['cc'] if a['cache'] and not no_cache else None
        warm = (s.last_llm is not None and s.last_model == m and
                (s.t - s.last_llm) < (300000 if cc == 'explicit' else 600000))
        cr = cw = 0
        if cc == 'explicit':
            if warm:
                cr = prev
                cw = int(new * rng.uniform(0.85, 1.0))
            else:
                if rng.random() < 0.7:
                    cr = min(s.prefix, prev)
                cw = prev - cr + int(new * rng.uniform(0.85, 1.0))
        elif cc == 'auto':
            if warm and prev >= 1024:
                cr = (int(prev * rng.uniform(0.8, 1.0)) // 128) * 128
            elif s.prefix >= 1024 and rng.random() < 0.6:
                cr = (min(s.prefix, prev) // 128) * 128
        inp = max(total - cr - cw, rng.randint(8, 120))
        if out is None:
            out = self.skew(a['out'][0], a['out'][1])
        if reason is None:
            reason = rng.randint(*a['reason']) if (mi['reasoning'] and a['reason'][1] > 0) else 0
        tps = rng.randint(*a['tps'])
        lat = int(250 + (inp + cw) / 12.0 + cr / 60.0 + (out + reason) * 1000.0 / tps)
        s.t += lat
        c = self.price(mi, inp, out, cr, cw, reason)
        self._emit_llm(s, m, mi, inp, out, cr, cw, reason, tool, status, lat, c)
        s.conv += (new if keep_extra else s.pending) + out
        s.pending = 0
        s.last_llm = s.t
        s.last_model = m
        return c

    def _emit_llm(self, s, m, mi, inp, out, cr, cw, reason, tool, status, lat, c):
        a = s.a
        ev = {}
        if a['explicit_kind']:
            ev['kind'] = 'llm'
        ev['model'] = m
        ev['provider'] = mi['provider']
        for k, v in (('input_tokens', inp), ('output_tokens', out), ('cache_read_tokens', cr),
                     ('cache_write_tokens', cw), ('reasoning_tokens', reason)):
            if v or not a['omit_zero'] or k in ('input_tokens', 'output_tokens'):
                ev[k] = int(v)
        if mi['known']:
            s.cost += c
            if a['cost_usd']:
                ev['cost_usd'] = round(c * s.price_mult, 9)
                s.cost += c * (s.price_mult - 1.0)
        elif mi['reports']:
            ev['cost_usd'] = round(c, 9)
            s.cost += c
        if tool:
            ev['tool'] = tool
        if status != 'ok' or not a['omit_ok']:
            ev['status'] = status
        ev['latency_ms'] = int(lat)
        self.emit(s, ev)

    def fresh(self, s, name):
        s.argc += 1
        arg = '%s#%s#%d' % (name, s.sid, s.argc)
        s.used.setdefault(name, []).append(arg)
        return arg

    def hsh(self, s, name, args):
        return hashlib.sha1(('%s\x00%s' % (name, args)).encode()).hexdigest()[:s.a['hash_len']]

    def tool(self, s, name, args=None, status=None, lat=None, res=None):
        rng = self.rng
        spec = s.a['tooltab'].get(name) or T(name)
        s.t += rng.randint(5, 150)
        if args is None:
            used = s.used.get(name)
            if used and rng.random() < 0.04:
                args = rng.choice(used)  # occasional legit re-read
            else:
                args = self.fresh(s, name)
        if status is None:
            status = 'error' if rng.random() < spec['err'] else 'ok'
        if lat is None:
            lat = self.skew(spec['lat'][0], spec['lat'][1])
        s.t += lat
        ev = {'kind': 'tool', 'tool': name, 'args_hash': self.hsh(s, name, args)}
        if status != 'ok' or not s.a['omit_ok']:
            ev['status'] = status
        ev['latency_ms'] = int(lat)
        self.emit(s, ev)
        if res is None:
            res = rng.randint(*spec['res']) if status == 'ok' else rng.randint(60, 400)
        s.pending += res
        return status

    def handoff(self, s, target):
        s.t += self.rng.randint(20, 200)
        lat = self.rng.randint(20, 300)
        s.t += lat
        ev = {'kind': 'handoff', 'target_agent_id': target}
        if not s.a['omit_ok']:
            ev['status'] = 'ok'
        ev['latency_ms'] = lat
        self.emit(s, ev)

    def pick_tool(self, s, exclude=()):
        ts = [t for t in s.a['tools'] if t['name'] not in exclude] or s.a['tools']
        return self.rng.choices(ts, [t['w'] for t in ts])[0]['name']

    def maybe_trim(self, s):
        a = s.a
        lim = min(a['trim_at'], int(self.minfo(s.model)['max'] * 0.8))
        if not s.no_trim and s.prefix + s.conv + s.pending > lim:
            self.llm(s, out=self.rng.randint(1200, 4000))
            s.conv = self.rng.randint(2000, 6000)
            return True
        return False

    def work_step(self, s, par=None, tool=None):
        a, rng = s.a, self.rng
        k = rng.randint(*(par or a['par']))
        names = [tool or self.pick_tool(s)]
        for _ in range(k - 1):
            names.append(self.pick_tool(s))
        self.maybe_trim(s)
        self.llm(s, tool=names[0])
        for nm in names:
            st = self.tool(s, nm)
            if st == 'error' and rng.random() < 0.35:
                # immediate same-args retry, one time, then move on
                self.tool(s, nm, args=s.used.get(nm, [None])[-1] if s.used.get(nm) else None)

    def item_step(self, s):
        pi = s.a['per_item']
        self.maybe_trim(s)
        s.pending += self.rng.randint(200, 900)
        self.llm(s, tool=pi['put'])
        if self.rng.random() < pi['extra'][1]:
            self.tool(s, pi['extra'][0])
        self.tool(s, pi['put'])

    def new_session(self, agent_name, task_id, parent, t0, tenant, top=False, tt=None, nsteps=None):
        a = self.agents[agent_name]
        tts = a['task_types']
        ttrow = self.rng.choices(tts, [x[1] for x in tts])[0]
        lo, hi = ttrow[2]
        n = nsteps if nsteps is not None else lo + int((hi - lo) * self.rng.random() ** 1.3)
        s = Sess(self, a, tt or ttrow[0], n, task_id, parent, t0, tenant, top)
        if self.pricechg and agent_name == self.pricechg[0] and t0 >= self.pricechg[2]:
            s.price_mult = self.pricechg[1]
            s.fleet.append('price_change')
        if self.upgrade and agent_name == self.upgrade[0] and t0 >= self.upgrade[3]:
            s.fleet.append('model_upgrade')
        if a['long']:
            s.lab['kind'] = 'long_by_nature'
        if a['new_pricey']:
            s.lab['kind'] = 'new_pricey_agent'
        return s

    # --- session scripts
    def run_session(self, s, depth=0, allow_handoff=True):
        a, rng = s.a, self.rng
        plan = s.plan
        s.pending += rng.randint(*a['task_in'])
        if a['per_item']:
            self.llm(s, tool=a['per_item']['get'])
            self.tool(s, a['per_item']['get'])
        self.llm(s)
        n = s.nsteps
        phases = {}
        if a['poll'] and rng.random() < a['poll']['p']:
            for _ in range(rng.randint(*a['poll']['reps'])):
                phases.setdefault(rng.randint(0, max(0, n - 1)), []).append('poll')
        if (a['child'] and rng.random() < a['child']['p'] and plan.get('rw') != 'subagent_fanout'
                and plan.get('trap') != 'wide_fanout'):
            phases.setdefault(rng.randint(0, max(0, min(n - 1, 2))), []).append('spawn')
        trap = plan.get('trap')
        if trap in ('batch_edit', 'expensive_action', 'legit_retries', 'planned_escalation', 'status_polling',
                    'context_trim', 'wide_fanout', 'recheck'):
            phases.setdefault(rng.randint(0, max(0, n - 1)), []).append(trap)
        rw = plan.get('rw')
        at = plan.get('at')
        for i in range(n + 1):
            if rw and i == at:
                self.runaway(s, rw, plan['variant'])
                return
            if i == n:
                break
            for ph in phases.get(i, ()):
                self.phase(s, ph)
            if a['per_item']:
                self.item_step(s)
            else:
                self.work_step(s)
        # epilogue
        if trap == 'handoff_return':
            target = (a['handoff_to'][0][0] if a['handoff_to'] else PP_PARTNER[a['name']])
            self.handoff_flow(s, target, rng.choice((1, 2, 2)), depth, trap=True)
            return
        if allow_handoff and depth < 3:
            for target, p in a['handoff_to']:
                if rng.random() < p:
                    ret = 1 if rng.random() < self.agents[target]['ret_p'] else 0
                    self.handoff_flow(s, target, ret, depth)
                    return
        self.finish(s)

    def finish(self, s):
        a = s.a
        self.llm(s, tool=a['final_tool'], out=self.skew(a['out'][0], a['out'][1] * 2))
        if a['final_tool']:
            self.tool(s, a['final_tool'])

    def handoff_flow(self, s, target, returns, depth, trap=False):
        rng = self.rng
        self.llm(s, tool='transfer_to_' + target.split('-', 1)[1].replace('-', '_'))
        self.handoff(s, target)
        ps = self.new_session(target, s.task_id, s, s.t + rng.randint(500, 90000), s.tenant)
        if trap:
            ps.lab['kind'] = 'handoff_return'
        if s.lab.get('part_of'):
            ps.lab['part_of'] = s.lab['part_of']
        ps.pending += rng.randint(1000, 4000)
        for _ in range(returns):
            self.llm(ps)
            for _ in range(rng.randint(1, 4)):
                self.work_step(ps)
            self.llm(ps, tool='transfer_back')
            self.handoff(ps, s.a['name'])
            s.t = max(s.t, ps.t) + rng.randint(500, 120000)
            s.pending += rng.randint(500, 2000)
            self.llm(s)
            for _ in range(rng.randint(1, 4)):
                self.work_step(s)
            self.llm(s, tool='transfer_to_' + target.split('-', 1)[1].replace('-', '_'))
            self.handoff(s, target)
            ps.t = max(ps.t, s.t) + rng.randint(500, 120000)
            ps.pending += rng.randint(500, 2000)
        self.run_session(ps, depth + 1, allow_handoff=depth < 2)

    def child_spec(self, s):
        return s.a['child'] or DOMAIN_CHILD[s.a['domain']]

    def spawn_one(self, s, ch, args=None, t_start=None, nsteps=None):
        self.tool(s, ch['tool'], args=args, status='ok', lat=self.rng.randint(40, 400), res=self.rng.randint(30, 90))
        c = self.new_session(ch['agent'], s.task_id, s, (t_start or s.t) + self.rng.randint(100, 3000), s.tenant,
                             nsteps=nsteps)
        if s.worker_model and ch['agent'] == 'cat-worker':
            c.model = s.worker_model
        return c

    def spawn_phase(self, s, n=None, wide=False):
        rng = self.rng
        ch = self.child_spec(s)
        if n is None:
            if ch.get('lognorm'):
                n = int(rng.lognormvariate(math.log(ch['lognorm']), 0.85))
                n = max(ch['n'][0], min(ch['n'][1], n))
            else:
                n = rng.randint(*ch['n'])
        if ch['agent'] == 'cat-worker' and s.worker_model is None:
            wa = self.agents['cat-worker']
            s.worker_model = self.pick_model(wa, s.t)
        self.llm(s, tool=ch['tool'])
        conc = rng.randint(8, 25)
        kids = []
        done = 0
        while done < n:
            wave = []
            for _ in range(min(conc, n - done)):
                c = self.spawn_one(s, ch)
                self.run_session(c, depth=9, allow_handoff=False)
                wave.append(c)
                done += 1
            kids.extend(wave)
            s.t = max([s.t] + [c.t for c in wave]) + rng.randint(200, 5000)
            if done < n:
                if s.a['poll']:
                    self.tool(s, s.a['poll']['status'], args='batchjob#' + s.sid)
                self.llm(s, tool=ch['tool'])
        s.pending += sum(rng.randint(100, 500) for _ in range(min(len(kids), 30)))
        return kids

    def poll_phase(self, s, n=None, every=None):
        rng = self.rng
        p = s.a['poll'] or dict(submit='job_submit', status='job_status', result='job_results', every=(5000, 20000),
                                n=(2, 6))
        if n is None:
            n = rng.randint(*p['n'])
        every = every or p['every']
        if p['submit']:
            self.llm(s, tool=p['submit'])
            self.tool(s, p['submit'])
        job = self.fresh(s, p['status'])
        for _ in range(n):
            s.t += rng.randint(*every)
            self.tool(s, p['status'], args=job, status='ok', res=rng.randint(40, 120))
        if p['result']:
            self.tool(s, p['result'], args=job)

    def phase(self, s, name):
        rng, a = self.rng, s.a
        if name == 'poll':
            self.poll_phase(s)
        elif name == 'spawn':
            self.spawn_phase(s)
        elif name == 'wide_fanout':
            ch = self.child_spec(s)
            n = rng.randint(120, 200) if ch.get('lognorm') else rng.randint(15, 45)
            self.spawn_phase(s, n=n)
        elif name == 'batch_edit':
            tn = a['batch_tool'] or self.pick_tool(s)
            n = rng.randint(15, 80)
            done = 0
            while done < n:
                self.llm(s, tool=tn)
                for _ in range(min(n - done, rng.randint(1, 6))):
                    self.tool(s, tn, args=self.fresh(s, tn))
                    done += 1
        elif name == 'expensive_action':
            mi = self.minfo(s.model)
            big = int(min(mi['max'] * 0.9, rng.randint(150000, 600000)))
            model = None
            if mi['max'] < 150000:
                model = 'gemini-2.5-pro'
                big = rng.randint(200000, 700000)
            self.llm(s, model=model, extra_in=big, keep_extra=False, no_cache=True,
                     out=rng.randint(2000, 8000))
        elif name == 'legit_retries':
            tn = self.pick_tool(s)
            args = self.fresh(s, tn)
            self.llm(s, tool=tn)
            for _ in range(rng.randint(2, 3)):
                self.tool(s, tn, args=args, status=rng.choice(('error', 'retry')))
                s.t += rng.randint(500, 8000)
            self.tool(s, tn, args=args, status='ok')
            if rng.random() < 0.4:
                for _ in range(rng.randint(2, 3)):
                    self.llm(s, status='retry', bill=False)
                    s.t += rng.randint(1000, 10000)
        elif name == 'planned_escalation':
            m2 = self.pricier(s.model, 5, 10)
            s.lab['escalated_to'] = m2
            for _ in range(rng.randint(2, 5)):
                tn = self.pick_tool(s)
                self.llm(s, model=m2, tool=tn)
                self.tool(s, tn)
        elif name == 'status_polling':
            self.poll_phase(s, n=rng.randint(12, 45), every=(5000, 30000))
        elif name == 'context_trim':
            for _ in range(rng.randint(1, 2)):
                for _ in range(rng.randint(6, 14)):
                    tn = self.pick_tool(s)
                    self.llm(s, tool=tn)
                    self.tool(s, tn, res=rng.randint(5000, 15000))
                self.llm(s, out=rng.randint(1500, 4000))
                s.conv = rng.randint(2000, 6000)
        elif name == 'recheck':
            tn = self.pick_tool(s)
            args = self.fresh(s, tn)
            for _ in range(rng.randint(2, 4)):
                self.llm(s, tool=tn)
                self.tool(s, tn, args=args)
                self.work_step(s)
                s.t += rng.randint(20000, 300000)

    # --- runaways
    def runaway(self, s, kind, var):
        s.lab['label'] = 'runaway'
        s.lab['kind'] = kind
        s.lab['variant'] = var
        getattr(self, 'rw_' + kind)(s, var)

    def loop_tool(self, s):
        # a read-ish tool of the agent (not the batch/final tool)
        return self.pick_tool(s, exclude=(s.a['batch_tool'], s.a['final_tool']))

    def rw_loop_repeat(self, s, var):
        rng = self.rng
        tn = self.loop_tool(s)
        args = self.fresh(s, tn)
        s.onset_pending = True
        if var == 'tight':
            for _ in range(rng.randint(40, 200)):
                self.maybe_trim(s)
                self.llm(s, tool=tn)
                self.tool(s, tn, args=args)
        elif var == 'interleaved':
            for _ in range(rng.randint(30, 120)):
                self.maybe_trim(s)
                self.llm(s, tool=tn)
                self.tool(s, tn, args=args)
                if rng.random() < 0.7:
                    self.work_step(s, tool=self.pick_tool(s, exclude=(tn,)))
        elif var == 'slow_noisy':
            for _ in range(rng.randint(25, 80)):
                self.maybe_trim(s)
                self.llm(s, tool=tn)
                self.tool(s, tn, args=args)
                for _ in range(rng.randint(1, 3)):
                    self.work_step(s, tool=self.pick_tool(s, exclude=(tn,)))
                s.t += rng.randint(30000, 240000)
        elif var == 'small_argset':
            argset = [args] + [self.fresh(s, tn) for _ in range(rng.randint(1, 2))]
            for _ in range(rng.randint(40, 150)):
                self.maybe_trim(s)
                self.llm(s, tool=tn)
                self.tool(s, tn, args=rng.choice(argset))
        else:  # stuck_poll: a status poll that never completes
            p = s.a['poll'] or dict(status='job_status', submit='job_submit')
            self.llm(s, tool=p['status'])
            job = self.fresh(s, p['status'])
            every = rng.choice(((3000, 10000), (10000, 30000), (30000, 90000)))
            for i in range(rng.randint(150, 600)):
                s.t += rng.randint(*every)
                self.tool(s, p['status'], args=job, status='ok', res=rng.randint(40, 120))
                if i % rng.randint(8, 20) == 0:
                    self.maybe_trim(s)
                    self.llm(s, tool=p['status'], out=rng.randint(30, 120))

    def rw_loop_cycle(self, s, var):
        rng = self.rng
        L = rng.choice((2, 2, 3, 3, 4))
        names = []
        for _ in range(L):
            names.append(self.pick_tool(s, exclude=tuple(names)))
        elems = [(nm, self.fresh(s, nm)) for nm in names]
        if len(set(names)) < L:  # too few distinct tools: same tool, distinct args is still a cycle
            elems = [(nm, self.fresh(s, nm)) for nm in names]
        s.onset_pending = True
        reps = rng.randint(25, 100) if var != 'slow' else rng.randint(20, 50)
        for r in range(reps):
            for j, (nm, args) in enumerate(elems):
                if var == 'tool_only':
                    if j == 0:
                        self.maybe_trim(s)
                        self.llm(s, tool=nm)
                    self.tool(s, nm, args=args)
                else:
                    self.maybe_trim(s)
                    self.llm(s, tool=nm)
                    self.tool(s, nm, args=args)
            if var == 'noisy' and rng.random() < 0.3:
                self.work_step(s)
            if var == 'slow':
                s.t += rng.randint(60000, 300000)

    def rw_step_runaway(self, s, var):
        rng, a = self.rng, s.a
        hi = a['task_types'][0][2][1]
        steps = min(250, max(40, hi * rng.randint(3, 10)))
        s.onset_pending = True
        for _ in range(steps):
            if a['per_item']:
                self.item_step(s)
            elif var == 'tool_heavy':
                self.work_step(s, par=(2, 4))
            else:
                self.work_step(s)
            if var == 'slow':
                s.t += rng.randint(30000, 600000)

    def rw_retry_storm(self, s, var):
        rng = self.rng
        s.onset_pending = True
        if var == 'llm_429':
            for _ in range(rng.randint(80, 400)):
                self.llm(s, status=rng.choice(('retry', 'retry', 'error')), bill=False)
                s.t += rng.randint(50, 1500)
        elif var == 'tool_error':
            tn = self.loop_tool(s)
            fixed = rng.random() < 0.5
            args = self.fresh(s, tn)
            for _ in range(rng.randint(40, 150)):
                self.maybe_trim(s)
                self.llm(s, tool=tn)
                self.tool(s, tn, args=args if fixed else self.fresh(s, tn), status='error')
        elif var == 'partial':
            tn = self.loop_tool(s)
            for i in range(rng.randint(60, 200)):
                if i % 2 == 0:
                    self.maybe_trim(s)
                    self.llm(s, tool=tn)
                st = 'error' if rng.random() < 0.65 else 'ok'
                self.tool(s, tn, status=st)
        else:  # billed_error: the model answers, the answer is rejected, again and again
            for _ in range(rng.randint(40, 120)):
                self.maybe_trim(s)
                self.llm(s, status='error', bill=True)
                s.pending += rng.randint(100, 300)

    def rw_context_growth(self, s, var):
        rng = self.rng
        s.no_trim = True
        mi = self.minfo(s.model)
        cap = int(mi['max'] * 0.97)
        s.onset_pending = True
        n = rng.randint(40, 150) if var != 'slow' else rng.randint(80, 220)
        at_cap = 0
        grow = rng.randint(6000, 20000)
        for i in range(n):
            if var == 'linear':
                add = int(grow * rng.uniform(0.8, 1.2))
            elif var == 'slow':
                add = rng.randint(1500, 4500)
            else:
                add = int(max(2000, (s.prefix + s.conv) * rng.uniform(0.08, 0.18)))
            tn = self.pick_tool(s)
            self.llm(s, tool=tn)
            self.tool(s, tn, res=add)
            if s.prefix + s.conv >= cap:
                at_cap += 1
                if at_cap > 15:
                    break

    def rw_cost_spike(self, s, var):
        rng = self.rng
        n = rng.randint(30, 150)
        mi = self.minfo(s.model)
        if var == 'reasoning' and not mi['reasoning']:
            var = 'switch'
            s.lab['variant'] = var
        if var in ('switch', 'subtle_switch'):
            lo, hi = (5, 10) if var == 'switch' else (3, 4)
            m2 = self.pricier(s.model, lo, hi)
            s.lab['spike_model'] = m2
            s.model = m2
            s.onset_pending = True
            for _ in range(n):
                self.work_step(s)
        elif var == 'big_context':
            s.onset_pending = True
            base = (s.prefix + 3000)
            for _ in range(n):
                tn = self.pick_tool(s)
                extra = int(min(mi['max'] * 0.7, base * rng.uniform(6, 12)))
                self.llm(s, tool=tn, extra_in=extra, keep_extra=False, no_cache=True)
                self.tool(s, tn)
        else:
            s.onset_pending = True
            for _ in range(n):
                tn = self.pick_tool(s)
                self.maybe_trim(s)
                self.llm(s, tool=tn, reason=rng.randint(12000, 32000), out=self.skew(400, 2500))
                self.tool(s, tn)

    def rw_session_budget(self, s, var):
        rng, a = self.rng, s.a
        target = rng.uniform(8, 50)
        if var != 'docs':
            target = max(2.0, min(target, self.call_cost[a['name']] * 1.3 * 200))
        if var == 'pricey_normal':
            ms = sorted((x[0] for x in a['models']),
                        key=lambda m: self.price(self.minfo(m), 6000, 500, 0, 0, 0))
            s.model = ms[-1]
        s.onset_pending = True
        steps = 0
        mi = self.minfo(s.model)
        while s.cost < target and steps < 250:
            if var == 'docs':
                per = max(0.02, (target - s.cost) / 60.0)
                doc = int(min(mi['max'] * 0.6, max(8000, per / max(mi['i'], 1e-8))))
                tn = self.pick_tool(s)
                self.llm(s, tool=tn, extra_in=int(doc * rng.uniform(0.7, 1.1)), keep_extra=False)
                self.tool(s, tn)
            elif a['per_item']:
                self.item_step(s)
            else:
                self.work_step(s)
            steps += 1
        s.lab['budget_target_usd'] = round(target, 2)

    def rw_ping_pong(self, s, var):
        rng = self.rng
        partner = PP_PARTNER[s.a['name']]
        rounds = dict(fast=(60, 150), hours=(40, 90), fresh_partner=(30, 80), slow_subtle=(15, 30))[var]
        pick = dict(fast=(2000, 20000), hours=(60000, 360000), fresh_partner=(20000, 180000),
                    slow_subtle=(300000, 1200000))[var]
        work = dict(fast=(0, 1), hours=(1, 3), fresh_partner=(1, 2), slow_subtle=(2, 4))[var]
        tname = 'transfer_to_' + partner.split('-', 1)[1].replace('-', '_')
        s.onset_pending = True
        self.llm(s, tool=tname)
        self.handoff(s, partner)
        ps = None
        for r in range(rng.randint(*rounds)):
            if ps is None or var == 'fresh_partner':
                ps = self.new_session(partner, s.task_id, s, s.t + rng.randint(*pick), s.tenant)
                ps.lab.update(label='runaway', kind='ping_pong', part_of=s.sid, variant=var)
                ps.onset_pending = True
                ps.pending += rng.randint(1000, 3000)
            else:
                ps.t = max(ps.t, s.t) + rng.randint(*pick)
                ps.pending += rng.randint(500, 2000)
            self.llm(ps)
            for _ in range(rng.randint(*work)):
                self.work_step(ps)
            self.maybe_trim(ps)
            self.llm(ps, tool='transfer_back')
            self.handoff(ps, s.a['name'])
            s.t = max(s.t, ps.t) + rng.randint(*pick)
            s.pending += rng.randint(500, 2000)
            self.maybe_trim(s)
            self.llm(s)
            for _ in range(rng.randint(*work)):
                self.work_step(s)
            self.llm(s, tool=tname)
            self.handoff(s, partner)

    def rw_subagent_fanout(self, s, var):
        rng = self.rng
        ch = self.child_spec(s)
        if ch['agent'] == 'cat-worker' and s.worker_model is None:
            s.worker_model = self.pick_model(self.agents['cat-worker'], s.t)
        # the normal part of the fan-out first (if the agent normally spawns)
        if s.a['child'] and var != 'recursive':
            kids = self.spawn_phase(s) if not s.a['child'].get('lognorm') else \
                self.spawn_phase(s, n=rng.randint(5, 40))
            for c in kids:
                c.lab['part_of'] = s.sid
        self.llm(s, tool=ch['tool'])
        s.onset_pending = True
        if var in ('flat_fast', 'flat_slow', 'respawn'):
            n = dict(flat_fast=(120, 350), flat_slow=(80, 200), respawn=(80, 250))[var]
            n = rng.randint(*n)
            argset = [self.fresh(s, ch['tool']) for _ in range(rng.randint(3, 8))]
            for i in range(n):
                args = rng.choice(argset) if var == 'respawn' else None
                c = self.spawn_one(s, ch, args=args, nsteps=rng.randint(1, 3))
                c.lab.update(kind='fanout_child', part_of=s.sid)
                self.run_session(c, depth=9, allow_handoff=False)
                if var == 'flat_fast':
                    s.t += rng.randint(300, 5000)
                else:
                    s.t += rng.randint(15000, 90000)
                    if i % 3 == 0:
                        self.maybe_trim(s)
                        self.llm(s, tool=ch['tool'])
        else:
            cap = rng.randint(120, 350)
            count = [0]

            def grow(p, depth):
                k = rng.randint(2, 4)
                for _ in range(k):
                    if count[0] >= cap:
                        return
                    count[0] += 1
                    c = self.spawn_one(p, ch, nsteps=rng.randint(1, 2))
                    c.lab.update(kind='fanout_child', part_of=s.sid)
                    if depth < 7 and count[0] < cap:
                        c.pending += rng.randint(500, 2000)
                        self.llm(c)
                        self.tool(c, self.pick_tool(c))
                        c.lab.update(label='runaway', kind='subagent_fanout', variant='recursive')
                        self.llm(c, tool=ch['tool'])
                        c.onset_pending = True
                        grow(c, depth + 1)
                    else:
                        self.run_session(c, depth=9, allow_handoff=False)
            # breadth: keep the root spawning while the tree grows
            while count[0] < cap:
                grow(s, 1)
                s.t += rng.randint(2000, 20000)
                self.llm(s, tool=ch['tool'])

    # --- top level
    def sample_start(self):
        rng = self.rng
        busy = self.profile != 'soc'
        while True:
            t = self.T0 + rng.randint(0, self.D)
            h = ((t // 3600000) % 24)
            w = (0.35 + 0.65 * max(0.0, math.sin(math.pi * (h - 6) / 14.0))) if busy else \
                (0.7 + 0.3 * max(0.0, math.sin(math.pi * (h - 6) / 14.0)))
            if rng.random() < w:
                return t

    def eligible(self, a, kind):
        if a['new_pricey']:
            return False
        if kind in ('step_runaway', 'session_budget') and a['long']:
            return False
        if kind in ('cost_spike', 'session_budget') and a['domain'] == 'ops':
            return False
        if kind == 'session_budget' and self.call_cost[a['name']] < 0.004:
            return False
        if kind == 'context_growth' and self.minfo(a['models'][0][0])['max'] < 100000:
            return False
        return True

    def generate(self):
        rng = self.rng
        tops = [a for a in self.agents.values() if a['top']]
        starts = sorted(self.sample_start() for _ in range(self.N))
        plans = []
        for t0 in starts:
            av = [a for a in tops if t0 >= self.T0 + a['appears'] * self.D]
            a = rng.choices(av, [x['weight'] for x in av])[0]
            plans.append([t0, a, {}])
        n_rw = int(round(self.N * rng.uniform(0.035, 0.046)))
        order = list(KINDS)
        rng.shuffle(order)
        vcount = {}
        idx = list(range(self.N))
        rng.shuffle(idx)
        used = set()
        for j in range(n_rw):
            kind = order[j % len(order)]
            for i in idx:
                if i in used or not self.eligible(plans[i][1], kind):
                    continue
                if plans[i][0] > self.T0 + 0.93 * self.D:
                    continue
                used.add(i)
                vs = VARIANTS[kind]
                k = vcount.get(kind, rng.randrange(len(vs)))
                vcount[kind] = k + 1
                plans[i][2] = dict(rw=kind, variant=vs[k % len(vs)])
                break
        traps = ['batch_edit', 'expensive_action', 'legit_retries', 'handoff_return', 'wide_fanout',
                 'planned_escalation', 'status_polling', 'context_trim', 'recheck']
        tc = 0
        for i in range(self.N):
            if i in used:
                continue
            a = plans[i][1]
            if a['long'] or a['new_pricey']:
                continue
            if rng.random() < dict(mixed=0.05, soc=0.08, dataeng=0.08).get(self.profile, 0.10):
                tr = traps[(tc + rng.randrange(2)) % len(traps)]
                tc += 1
                if tr == 'planned_escalation' and a['domain'] == 'ops':
                    tr = 'batch_edit'
                if tr == 'wide_fanout' and a['domain'] == 'ops':
                    tr = 'status_polling'
                plans[i][2] = dict(trap=tr)
        for t0, a, plan in plans:
            task_id = 'task_%012x' % rng.getrandbits(48)
            tenant = rng.choice(TENANTS[a['domain']])
            s = self.new_session(a['name'], task_id, None, t0, tenant, top=True)
            s.plan = plan
            if plan.get('trap'):
                s.lab['kind'] = plan['trap']
            rw = plan.get('rw')
            if rw:
                n = s.nsteps
                if rw in ('step_runaway', 'session_budget', 'ping_pong'):
                    plan['at'] = n
                elif rw == 'subagent_fanout':
                    plan['at'] = rng.randint(0, max(0, min(2, n - 1)))
                else:
                    plan['at'] = rng.randint(0 if rng.random() < 0.15 else 1, max(1, n - 1))
                    if plan['at'] > n:
                        plan['at'] = n
            self.run_session(s)
        # children of runaway-case sessions: propagate part_of through sub-trees (handoffs / spawns)
        for s in self.sessions:
            if s.parent is not None and not s.lab['part_of']:
                p = s.parent
                root = p.lab['part_of'] or (p.sid if p.lab['label'] == 'runaway' else None)
                if root:
                    s.lab['part_of'] = root
        # fleet-effect labels / traps on normal sessions
        for s in self.sessions:
            lab = s.lab
            if s.fleet:
                lab['fleet'] = list(s.fleet)
            if lab['label'] == 'normal' and lab['kind'] == 'normal' and s.fleet and not lab['part_of']:
                lab['kind'] = s.fleet[0]
            if lab['kind'] not in ('normal', 'fanout_child') and lab['label'] == 'normal':
                lab['traps'] = [lab['kind']] + [f for f in s.fleet if f != lab['kind']]

    # --- bus order + output
    def write(self, out_path, labels_path):
        rng = self.rng
        evs = self.events
        evs.sort(key=lambda e: (e[0], e[1]))
        keyed = []
        n = len(evs)
        for i, e in enumerate(evs):
            t = e[0]
            r = rng.random()
            if r < 0.005:
                keyed.append((t + rng.randint(1000, 300000), i, i))
            else:
                keyed.append((t, i, i))
            if rng.random() < 0.003:
                keyed.append((t + rng.randint(500, 600000), i + n, i))
        for _ in range(rng.randint(1, 3)):
            st = rng.randint(0, max(0, n - 400))
            ln = rng.randint(80, 300)
            tb = evs[min(n - 1, st + ln)][0] + rng.randint(2000, 60000)
            for j in range(st, min(n, st + ln)):
                keyed.append((tb, 2 * n + j, j))
        keyed.sort()
        lines_cache = {}
        stats_cost = {}
        with open(out_path, 'w') as f:
            for _, _, j in keyed:
                line = lines_cache.get(j)
                if line is None:
                    t, _, s, eid, ev = evs[j]
                    a = s.a
                    d = {}
                    if a['v']:
                        d['v'] = 1
                    d['event_id'] = eid
                    d['ts'] = fmt_ts(t, a['ts'])
                    d['session_id'] = s.sid
                    d['agent_id'] = a['name']
                    if not a['no_task_type']:
                        d['task_type'] = s.tt
                    d['task_id'] = s.task_id
                    if s.parent is not None:
                        d['parent_session_id'] = s.parent.sid
                    d['tenant'] = s.tenant
                    d['team'] = a['team']
                    d['env'] = s.env
                    d.update(ev)
                    if a['labels']:
                        d['labels'] = a['labels']
                    line = json.dumps(d, separators=(',', ':'))
                    lines_cache[j] = line
                f.write(line)
                f.write('\n')
        with open(labels_path, 'w') as f:
            for s in self.sessions:
                lab = dict(s.lab)
                lab['n_events'] = s.n
                lab['cost_usd'] = round(s.cost, 6)
                lab['start_ts'] = fmt_ts(s.t0, 'z_ms')
                if 'onset_ts_ms' in lab:
                    lab['onset_ts'] = fmt_ts(lab.pop('onset_ts_ms'), 'z_ms')
                f.write(json.dumps(lab, separators=(',', ':')) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--profile', choices=PROFILES, required=True)
    ap.add_argument('--sessions', type=int, default=1800)
    ap.add_argument('--out', required=True)
    ap.add_argument('--labels', required=True)
    ap.add_argument('--catalog', default=CATALOG)
    args = ap.parse_args()
    with open(args.catalog) as f:
        cat = json.load(f)
    cat = {k: v for k, v in cat.items() if isinstance(v, dict)}
    sys.setrecursionlimit(10000)
    g = Gen(args.seed, args.profile, args.sessions, cat)
    g.generate()
    g.write(args.out, args.labels)
    nr = sum(1 for s in g.sessions if s.lab['label'] == 'runaway' and s.parent is None)
    sys.stderr.write('%s seed=%d: %d sessions (%d top-level, %d top-level runaways), %d events\n' % (
        args.profile, args.seed, len(g.sessions), args.sessions, nr, len(g.events)))


if __name__ == '__main__':
    main()
