#!/usr/bin/env python3
"""fleet3 -- independent AI-agent fleet simulator producing usage events
(runaway contract v1, section 1) plus ground-truth labels.

    python3 scripts/fleet3.py --seed N --profile saas|devtools|pipeline|mixed \
        --sessions S --out EVENTS.ndjson --labels LABELS.ndjson

Standard library only.  Deterministic for a given (seed, profile, sessions,
days).  See README.txt next to this file.
"""
import argparse
import bisect
import hashlib
import itertools
import json
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

# ---------------------------------------------------------------------------
# Prices: copied from the runaway price catalog (models/...json) for the models
# used here: (provider, input, output, cache_read, cache_write, reasoning, max_in)
# None means "not listed" (priced as input / output respectively).
CATALOG = {
    'gpt-4.1-nano': ('openai', 1e-07, 4e-07, 2.5e-08, None, None, 1047576),
    'gpt-4.1-mini': ('openai', 4e-07, 1.6e-06, 1e-07, None, None, 1047576),
    'gpt-4.1': ('openai', 2e-06, 8e-06, 5e-07, None, None, 1047576),
    'gpt-4o-mini': ('openai', 1.5e-07, 6e-07, 7.5e-08, None, None, 128000),
    'gpt-4o': ('openai', 2.5e-06, 1e-05, 1.25e-06, None, None, 128000),
    'gpt-4o-2024-08-06': ('openai', 2.5e-06, 1e-05, 1.25e-06, None, None, 128000),
    'o4-mini': ('openai', 1.1e-06, 4.4e-06, 2.75e-07, None, None, 200000),
    'o3': ('openai', 2e-06, 8e-06, 5e-07, None, None, 200000),
    'claude-haiku-4-5': ('anthropic', 1e-06, 5e-06, 1e-07, 1.25e-06, None, 200000),
    'claude-haiku-4-5-20251001': ('anthropic', 1e-06, 5e-06, 1e-07, 1.25e-06, None, 200000),
    'claude-sonnet-4-5': ('anthropic', 3e-06, 1.5e-05, 3e-07, 3.75e-06, None, 200000),
    'claude-sonnet-4-5-20250929': ('anthropic', 3e-06, 1.5e-05, 3e-07, 3.75e-06, None, 200000),
    'claude-opus-4-1': ('anthropic', 1.5e-05, 7.5e-05, 1.5e-06, 1.875e-05, None, 200000),
    'claude-opus-4-5': ('anthropic', 5e-06, 2.5e-05, 5e-07, 6.25e-06, None, 200000),
    'gemini/gemini-2.5-flash-lite': ('gemini', 1e-07, 4e-07, 1e-08, None, 4e-07, 1048576),
    'gemini/gemini-2.5-flash': ('gemini', 3e-07, 2.5e-06, 3e-08, None, 2.5e-06, 1048576),
    'gemini/gemini-2.5-pro': ('gemini', 1.25e-06, 1e-05, 1.25e-07, None, None, 1048576),
    'gemini-2.5-flash': ('vertex_ai', 3e-07, 2.5e-06, 3e-08, None, 2.5e-06, 1048576),
    'gemini-2.5-pro': ('vertex_ai', 1.25e-06, 1e-05, 1.25e-07, None, None, 1048576),
    'mistral/mistral-small-latest': ('mistral', 1.5e-07, 6e-07, 1.5e-08, None, None, 262144),
    'mistral/mistral-medium-latest': ('mistral', 1.5e-06, 7.5e-06, 1.5e-07, None, None, 262144),
    'mistral/mistral-large-latest': ('mistral', 5e-07, 1.5e-06, 5e-08, None, None, 262144),
    'mistral/devstral-medium-latest': ('mistral', 4e-07, 2e-06, 4e-08, None, None, 256000),
    'mistral/codestral-latest': ('mistral', 3e-07, 9e-07, 3e-08, None, None, 128000),
    'meta.llama3-1-8b-instruct-v1:0': ('bedrock', 2.2e-07, 2.2e-07, None, None, None, 128000),
    'meta.llama3-1-70b-instruct-v1:0': ('bedrock', 7.2e-07, 7.2e-07, None, None, None, 128000),
    'deepseek/deepseek-chat': ('deepseek', 2.8e-07, 4.2e-07, 2.8e-08, 0.0, None, 131072),
}
# Models the catalog does NOT have: the gateway always sends cost_usd for them.
NONCAT = {
    'acme/llama-3.3-70b-support-ft': ('together_ai', 8.8e-07, 8.8e-07, None, None, None, 131072),
    'internal/qwen3-32b-extract': ('vllm', 2e-07, 6e-07, 5e-08, None, None, 131072),
}
PRICES = dict(CATALOG)
PRICES.update(NONCAT)

REASONING = {'o3': 1400, 'o4-mini': 700, 'gemini/gemini-2.5-pro': 900, 'gemini-2.5-pro': 900,
             'gemini/gemini-2.5-flash': 250, 'gemini-2.5-flash': 250}
TPS = {  # output tokens per second (latency model)
    'gpt-4.1-nano': 180, 'gpt-4.1-mini': 130, 'gpt-4.1': 80, 'gpt-4o-mini': 120, 'gpt-4o': 90,
    'gpt-4o-2024-08-06': 90, 'o4-mini': 110, 'o3': 60, 'claude-haiku-4-5': 140,
    'claude-haiku-4-5-20251001': 140, 'claude-sonnet-4-5': 70, 'claude-sonnet-4-5-20250929': 70,
    'claude-opus-4-1': 35, 'claude-opus-4-5': 50}
ESCALATE = {
    'gpt-4.1-nano': 'gpt-4.1-mini', 'gpt-4.1-mini': 'gpt-4.1', 'gpt-4o-mini': 'gpt-4o', 'gpt-4.1': 'o3',
    'o4-mini': 'o3', 'claude-haiku-4-5': 'claude-sonnet-4-5', 'claude-haiku-4-5-20251001': 'claude-sonnet-4-5',
    'claude-sonnet-4-5': 'claude-opus-4-5', 'claude-sonnet-4-5-20250929': 'claude-opus-4-1',
    'claude-opus-4-5': 'claude-opus-4-1', 'gemini/gemini-2.5-flash-lite': 'gemini/gemini-2.5-flash',
    'gemini/gemini-2.5-flash': 'gemini/gemini-2.5-pro', 'gemini-2.5-flash': 'gemini-2.5-pro',
    'mistral/mistral-small-latest': 'mistral/mistral-large-latest',
    'mistral/mistral-large-latest': 'mistral/mistral-medium-latest',
    'mistral/devstral-medium-latest': 'claude-sonnet-4-5', 'mistral/codestral-latest': 'mistral/devstral-medium-latest',
    'meta.llama3-1-8b-instruct-v1:0': 'meta.llama3-1-70b-instruct-v1:0',
    'meta.llama3-1-70b-instruct-v1:0': 'gpt-4.1', 'deepseek/deepseek-chat': 'gpt-4.1',
    'acme/llama-3.3-70b-support-ft': 'gpt-4o', 'internal/qwen3-32b-extract': 'gpt-4.1-mini',
    'gemini/gemini-2.5-pro': 'o3', 'gemini-2.5-pro': 'o3', 'gpt-4o': 'o3', 'gpt-4o-2024-08-06': 'o3',
    'o3': 'claude-opus-4-1', 'claude-opus-4-1': 'o3', 'mistral/mistral-medium-latest': 'claude-sonnet-4-5',
}
# planned upgrades of a whole agent: 2-4x per-action cost
UPGRADE = {
    'gpt-4o-mini': 'gpt-4.1-mini', 'claude-haiku-4-5': 'claude-sonnet-4-5',
    'gemini/gemini-2.5-flash': 'gemini/gemini-2.5-pro', 'gpt-4.1-nano': 'gpt-4.1-mini',
    'mistral/mistral-small-latest': 'mistral/mistral-large-latest',
    'meta.llama3-1-8b-instruct-v1:0': 'meta.llama3-1-70b-instruct-v1:0',
    'gemini/gemini-2.5-flash-lite': 'gemini/gemini-2.5-flash', 'gpt-4.1-mini': 'o4-mini',
    'claude-haiku-4-5-20251001': 'claude-sonnet-4-5-20250929', 'deepseek/deepseek-chat': 'gpt-4.1-mini',
    'gemini-2.5-flash': 'gemini-2.5-pro', 'mistral/codestral-latest': 'mistral/devstral-medium-latest',
}

ZIPF_CUM = {}
T0 = datetime(2025, 11, 18, tzinfo=timezone.utc)  # a Tuesday
T0_MS = int(T0.timestamp() * 1000)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
H = 3600 * 1000
MIN = 60 * 1000

PROFILE_EXTRA = {'saas': ['kb_search', 'get_customer', 'web_search', 'get_article'],
                 'devtools': ['read_file', 'bash', 'grep', 'run_tests', 'search_code'],
                 'pipeline': ['run_sql', 'web_fetch', 'get_vendor', 'validate_schema', 'query_ledger']}
RUNAWAY_KINDS = ['session_budget', 'cost_spike', 'loop_repeat', 'loop_cycle', 'ping_pong',
                 'step_runaway', 'retry_storm', 'context_growth', 'subagent_fanout']

# ---------------------------------------------------------------------------
# Tool registry: name -> (argmode, latency_ms_median, result_tokens_median, error_rate, unit_cost_usd, pool)
#  argmode: u unique per call, f fixed per session, s small per-session pool, z zipf over per-session
#  pool, g global pool shared across the fleet
TOOLS = {
    'kb_search': ('z', 300, 1200, .01, 0, 8), 'get_article': ('z', 150, 2500, .005, 0, 6),
    'get_customer': ('f', 120, 400, .005, 0, 1), 'lookup_order': ('s', 200, 700, .01, 0, 3),
    'track_shipment': ('s', 600, 500, .03, 0, 2), 'refund_policy': ('g', 80, 900, 0, 0, 2),
    'issue_refund': ('u', 900, 150, .03, 0, 0), 'create_ticket': ('u', 400, 120, .01, 0, 0),
    'update_ticket': ('u', 350, 100, .01, 0, 0), 'crm_note': ('u', 250, 80, .005, 0, 0),
    'get_account_status': ('f', 150, 500, .005, 0, 1), 'check_availability': ('s', 400, 600, .02, 0, 3),
    'book_slot': ('u', 700, 150, .04, 0, 0), 'send_confirmation': ('u', 500, 60, .01, 0, 0),
    'update_settings': ('u', 300, 80, .01, 0, 0), 'create_project': ('u', 600, 120, .02, 0, 0),
    'crm_lookup': ('f', 250, 900, .01, 0, 1), 'web_search': ('u', 1200, 1500, .02, 0.005, 0),
    'web_fetch': ('u', 1500, 4000, .06, 0, 0), 'get_template': ('g', 80, 700, 0, 0, 4),
    'send_email': ('u', 600, 60, .01, 0, 0), 'list_tables': ('g', 200, 800, 0, 0, 2),
    'describe_table': ('z', 250, 900, .01, 0, 6), 'run_sql': ('u', 1800, 1500, .10, 0, 0),
    'render_chart': ('u', 900, 100, .02, 0, 0), 'fetch_doc': ('u', 800, 9000, .02, 0, 0),
    'store_summary': ('u', 200, 50, .005, 0, 0), 'get_diff': ('f', 600, 6000, .01, 0, 1),
    'get_commits': ('f', 400, 800, 0, 0, 1), 'read_file': ('z', 40, 2500, .01, 0, 40),
    'grep': ('u', 300, 800, .01, 0, 0), 'list_dir': ('z', 30, 300, 0, 0, 8),
    'edit_file': ('u', 60, 200, .03, 0, 0), 'write_file': ('u', 50, 80, .01, 0, 0),
    'run_tests': ('s', 25000, 3000, .02, 0, 3), 'bash': ('u', 3000, 800, .05, 0, 0),
    'post_comment': ('u', 350, 50, .01, 0, 0), 'search_code': ('u', 700, 1200, .01, 0, 0),
    'git_push': ('u', 2500, 150, .02, 0, 0), 'ci_status': ('f', 600, 400, .01, 0, 1),
    'sleep': ('f', 60000, 10, 0, 0, 1), 'get_issue': ('f', 300, 1500, .01, 0, 1),
    'search_issues': ('u', 600, 1200, .01, 0, 0), 'add_label': ('u', 250, 40, .01, 0, 0),
    'ocr_page': ('u', 2500, 1800, .02, 0.0015, 0), 'validate_schema': ('u', 60, 150, 0, 0, 0),
    'write_record': ('u', 120, 40, .005, 0, 0), 'write_label': ('u', 90, 30, .005, 0, 0),
    'split_document': ('f', 400, 600, .01, 0, 1), 'spawn_subagent': ('u', 150, 60, .005, 0, 0),
    'get_job_status': ('f', 300, 200, 0, 0, 1), 'get_chunk': ('f', 120, 3000, .005, 0, 1),
    'clause_library': ('g', 150, 1500, 0, 0, 5), 'glossary_lookup': ('g', 100, 600, 0, 0, 3),
    'fetch_metrics': ('s', 900, 2000, .02, 0, 3), 'render_pdf': ('u', 4000, 50, .03, 0, 0),
    'upload_file': ('u', 1200, 40, .02, 0, 0), 'query_ledger': ('u', 1100, 1800, .03, 0, 0),
    'match_invoice': ('u', 300, 300, .01, 0, 0), 'get_vendor': ('z', 200, 500, .01, 0, 5),
    'flag_exception': ('u', 250, 60, .01, 0, 0), 'profile_table': ('z', 4000, 1500, .03, 0, 6),
    'compare_counts': ('u', 2500, 300, .02, 0, 0), 'open_incident': ('u', 500, 80, .01, 0, 0),
    'translate_segment': ('u', 50, 100, 0, 0, 0), 'submit_result': ('u', 150, 30, .005, 0, 0),
}

CHEAP = ['gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash',
         'gemini/gemini-2.5-flash-lite', 'mistral/mistral-small-latest', 'meta.llama3-1-8b-instruct-v1:0',
         'deepseek/deepseek-chat', 'gemini-2.5-flash', 'claude-haiku-4-5-20251001']
MID = ['gpt-4.1', 'gpt-4o', 'o4-mini', 'claude-sonnet-4-5', 'gemini/gemini-2.5-pro', 'mistral/mistral-large-latest',
       'mistral/devstral-medium-latest', 'meta.llama3-1-70b-instruct-v1:0', 'claude-sonnet-4-5-20250929',
       'gpt-4o-2024-08-06', 'gemini-2.5-pro']
PRICEY = ['o3', 'claude-opus-4-1', 'claude-opus-4-5', 'mistral/mistral-medium-latest']


def T(name, style, turns, tools, **kw):
    d = dict(name=name, style=style, turns=turns, tools=tools, sys=(1500, 5000), out=220, fin=400,
             compact=(60000, 120000), dyn=0.04, par=0.1, first=(60, 400), models=CHEAP, feature=name,
             children=None, child=None, tool_p=0.6, gap=(15000, 0.9), spawn_tool='spawn_subagent')
    d.update(kw)
    return d


def task_catalog():
    saas = [
        T('faq_answer', 'chat', (1.4, .5, 1, 4), [('kb_search', 5), ('get_article', 2)], sys=(1500, 4000),
          out=180, fin=260, tool_p=.7, feature='help_center', w=30,
          models=CHEAP + ['acme/llama-3.3-70b-support-ft']),
        T('order_support', 'chat', (4, .5, 2, 14), [('get_customer', 3), ('lookup_order', 5), ('track_shipment', 2),
          ('refund_policy', 2), ('issue_refund', 1), ('create_ticket', 1), ('kb_search', 2)], sys=(3000, 6000),
          batch_tool='issue_refund',
          out=200, fin=300, tool_p=.8, feature='order_help', w=18,
          models=['gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini/gemini-2.5-flash', 'gpt-4.1']),
        T('support_conversation', 'chat', (11, .6, 4, 60), [('kb_search', 4), ('get_customer', 2),
          ('get_account_status', 2), ('update_ticket', 2), ('crm_note', 1)], sys=(3000, 7000), out=220, fin=320,
          tool_p=.5, compact=(40000, 80000), feature='support_chat', w=12, idle=True, batch_tool='update_ticket',
          models=['gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini/gemini-2.5-flash',
                  'acme/llama-3.3-70b-support-ft']),
        T('account_triage', 'handoff', (2, .4, 1, 5), [('get_customer', 3), ('get_account_status', 2), ('kb_search', 2)],
          feature='triage', w=10, group='saas'),
        T('sales_email_draft', 'agentic', (4, .4, 2, 10), [('crm_lookup', 3), ('web_search', 2), ('get_template', 2),
          ('send_email', 1)], out=300, fin=900, feature='outreach', w=6, batch_tool='send_email',
          models=['gpt-4o', 'claude-sonnet-4-5', 'gpt-4.1', 'gemini/gemini-2.5-pro']),
        T('data_question', 'agentic', (8, .5, 3, 30), [('list_tables', 1), ('describe_table', 3), ('run_sql', 5),
          ('render_chart', 1)], out=300, fin=450, feature='analytics_chat', w=8, batch_tool='describe_table',
          models=['gpt-4.1', 'claude-sonnet-4-5', 'o4-mini', 'gemini/gemini-2.5-pro', 'gpt-4.1-mini']),
        T('doc_summarize', 'doc', (1, .3, 1, 3), [('fetch_doc', 1), ('store_summary', 1)], out=700, fin=900,
          feature='doc_summary', w=6, models=['gemini/gemini-2.5-flash', 'gpt-4.1-mini', 'claude-haiku-4-5',
                                                 'gemini-2.5-flash']),
        T('appointment_booking', 'chat', (4, .4, 2, 10), [('check_availability', 4), ('book_slot', 1),
          ('send_confirmation', 1), ('get_customer', 1)], feature='scheduling', w=6, tool_p=.8),
        T('onboarding_guide', 'chat', (8, .6, 3, 40), [('get_account_status', 2), ('kb_search', 3),
          ('update_settings', 2), ('create_project', 1)], feature='onboarding', w=4, batch_tool='update_settings',
          models=['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash', 'gpt-4o']),
        T('saas_research_sub', 'worker', (3, .4, 1, 8), [('kb_search', 2), ('web_search', 1), ('get_article', 1)],
          child_only=True, feature='research'),
    ]
    dev_models = ['claude-sonnet-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'gpt-4.1', 'o4-mini',
                  'gemini/gemini-2.5-pro', 'mistral/devstral-medium-latest', 'claude-opus-4-5', 'o3']
    devtools = [
        T('pr_description', 'agentic', (2, .3, 1, 4), [('get_diff', 2), ('get_commits', 1)], out=300, fin=900,
          feature='pr_assist', w=12, models=['claude-haiku-4-5', 'gpt-4.1-mini', 'gemini/gemini-2.5-flash',
                                               'mistral/codestral-latest']),
        T('code_review', 'agentic', (14, .5, 5, 60), [('get_diff', 1), ('read_file', 6), ('grep', 2),
          ('post_comment', 3)], out=350, fin=700, feature='code_review', w=14, batch_tool='post_comment',
          models=dev_models, compact=(100000, 150000)),
        T('bugfix', 'agentic', (45, .6, 12, 250), [('grep', 4), ('read_file', 8), ('edit_file', 4), ('run_tests', 3),
          ('bash', 2), ('list_dir', 1)], out=260, fin=500, par=.25, feature='agent_ide', w=18,
          batch_tool='edit_file', models=dev_models, compact=(110000, 160000), sys=(8000, 16000)),
        T('feature_impl', 'agentic', (170, .4, 60, 480), [('grep', 3), ('read_file', 8), ('edit_file', 5),
          ('write_file', 2), ('run_tests', 3), ('bash', 2), ('list_dir', 1)], out=280, fin=700, par=.3,
          feature='agent_ide', w=6, batch_tool='edit_file', models=dev_models, compact=(120000, 160000),
          sys=(9000, 16000), children=(0, 4), child='code_explore', long=True),
        T('refactor_batch', 'agentic', (30, .4, 10, 80), [('grep', 3), ('read_file', 5), ('edit_file', 4),
          ('run_tests', 2)], out=240, fin=500, feature='codemods', w=5, batch_tool='edit_file', batch_always=True,
          models=dev_models, compact=(110000, 160000), sys=(8000, 14000)),
        T('ci_fix', 'agentic', (20, .5, 6, 80), [('read_file', 5), ('grep', 2), ('edit_file', 3), ('bash', 2),
          ('run_tests', 1)], feature='ci_agent', w=10, ci=True, models=dev_models, compact=(100000, 150000),
          sys=(6000, 12000)),
        T('test_gen', 'agentic', (35, .5, 10, 120), [('read_file', 6), ('write_file', 4), ('run_tests', 4),
          ('grep', 1)], feature='test_writer', w=8, batch_tool='write_file', models=dev_models,
          compact=(100000, 150000), sys=(6000, 12000)),
        T('dependency_upgrade', 'agentic', (40, .5, 12, 150), [('read_file', 4), ('bash', 4), ('edit_file', 4),
          ('run_tests', 3), ('web_fetch', 1)], feature='deps_bot', w=5, ci=True, batch_tool='edit_file',
          models=dev_models, compact=(100000, 150000), sys=(6000, 12000)),
        T('repo_qa', 'agentic', (7, .6, 2, 30), [('grep', 3), ('read_file', 5), ('search_code', 3)], out=250,
          fin=600, feature='repo_chat', w=12, models=dev_models + ['gpt-4.1-mini', 'claude-haiku-4-5']),
        T('issue_triage', 'agentic', (3, .4, 1, 8), [('get_issue', 3), ('search_issues', 2), ('add_label', 2)],
          feature='issue_bot', w=10, models=['claude-haiku-4-5', 'gpt-4.1-mini', 'gemini/gemini-2.5-flash',
                                               'mistral/mistral-small-latest', 'deepseek/deepseek-chat']),
        T('code_change_review', 'handoff', (4, .5, 2, 12), [('read_file', 5), ('edit_file', 3), ('run_tests', 2),
          ('get_diff', 1)], feature='coder_reviewer', w=6, group='devtools', sys=(6000, 12000)),
        T('code_explore', 'worker', (10, .5, 3, 40), [('grep', 3), ('read_file', 6), ('list_dir', 1)],
          child_only=True, feature='agent_ide', models=['claude-haiku-4-5', 'claude-sonnet-4-5', 'gpt-4.1-mini']),
    ]
    pipe_cheap = ['gpt-4.1-nano', 'gpt-4.1-mini', 'gemini/gemini-2.5-flash-lite', 'gemini/gemini-2.5-flash',
                  'mistral/mistral-small-latest', 'meta.llama3-1-8b-instruct-v1:0', 'internal/qwen3-32b-extract',
                  'deepseek/deepseek-chat', 'gpt-4o-mini']
    pipeline = [
        T('doc_extract', 'doc', (1, .3, 1, 3), [('fetch_doc', 1), ('ocr_page', 1), ('validate_schema', 1),
          ('write_record', 1)], out=500, fin=600, feature='idp', w=35, models=pipe_cheap, batch=True),
        T('classify_ticket', 'classify', (1, .2, 1, 2), [('write_label', 1)], out=40, fin=40, sys=(800, 2500),
          feature='routing', w=25, models=pipe_cheap, batch=True),
        T('contract_review', 'mapreduce', (2, .3, 1, 4), [('fetch_doc', 1), ('split_document', 1)], out=400,
          fin=2500, feature='legal_review', w=6, children=(5, 40), child='clause_review',
          models=['claude-sonnet-4-5', 'gpt-4.1', 'gemini/gemini-2.5-pro', 'claude-opus-4-5']),
        T('translate_batch', 'mapreduce', (1, .3, 1, 3), [('fetch_doc', 1), ('split_document', 1)], out=200,
          fin=800, feature='localization', w=6, children=(5, 40), child='chunk_translate',
          models=['gpt-4.1-mini', 'gemini/gemini-2.5-flash', 'claude-haiku-4-5']),
        T('report_generation', 'agentic', (8, .4, 4, 25), [('run_sql', 4), ('fetch_metrics', 3), ('render_pdf', 1),
          ('upload_file', 1)], out=300, fin=6000, feature='reporting', w=4,
          models=['gpt-4.1', 'claude-sonnet-4-5', 'gemini/gemini-2.5-pro']),
        T('enrich_record', 'agentic', (4, .4, 2, 10), [('web_search', 3), ('web_fetch', 3), ('write_record', 1)],
          feature='enrichment', w=14, models=pipe_cheap, batch=True, batch_tool='write_record'),
        T('invoice_reconcile', 'agentic', (14, .5, 5, 50), [('query_ledger', 4), ('match_invoice', 4),
          ('get_vendor', 2), ('flag_exception', 1)], feature='finance_ops', w=5, batch_tool='match_invoice',
          models=['gpt-4.1-mini', 'gpt-4.1', 'claude-haiku-4-5', 'mistral/mistral-large-latest']),
        T('etl_qa_agent', 'agentic', (25, .5, 8, 90), [('run_sql', 5), ('profile_table', 3), ('compare_counts', 2),
          ('open_incident', 1)], feature='data_quality', w=3,
          models=['gpt-4.1', 'claude-sonnet-4-5', 'o4-mini', 'gemini/gemini-2.5-pro']),
        T('doc_exception', 'handoff', (2, .4, 1, 5), [('fetch_doc', 1), ('validate_schema', 2), ('get_vendor', 1)],
          feature='idp_exceptions', w=4, group='pipeline'),
        T('clause_review', 'worker', (2, .4, 1, 6), [('get_chunk', 2), ('clause_library', 2)], child_only=True,
          feature='legal_review', models=['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash']),
        T('chunk_translate', 'worker', (1.5, .4, 1, 4), [('get_chunk', 2), ('glossary_lookup', 1)], child_only=True,
          feature='localization', models=['gpt-4.1-mini', 'gemini/gemini-2.5-flash-lite', 'mistral/mistral-small-latest']),
    ]
    return {'saas': saas, 'devtools': devtools, 'pipeline': pipeline}


GROUPS = {  # handoff groups: entry role -> specialists
    'saas': (['triage-router'], ['billing-specialist', 'tech-support-specialist', 'refunds-agent']),
    'devtools': (['coder'], ['reviewer', 'planner']),
    'pipeline': (['extractor'], ['validator', 'exception-router']),
}
GROUP_MODELS = {
    'triage-router': ['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash'],
    'billing-specialist': ['gpt-4o', 'claude-sonnet-4-5', 'gpt-4.1'],
    'tech-support-specialist': ['claude-sonnet-4-5', 'gpt-4.1', 'gemini/gemini-2.5-pro'],
    'refunds-agent': ['gpt-4.1-mini', 'claude-haiku-4-5'],
    'coder': ['claude-sonnet-4-5', 'gpt-4.1', 'mistral/devstral-medium-latest'],
    'reviewer': ['claude-opus-4-5', 'o3', 'claude-sonnet-4-5', 'gemini/gemini-2.5-pro'],
    'planner': ['o3', 'claude-opus-4-5', 'gpt-4.1'],
    'extractor': ['gpt-4.1-mini', 'gemini/gemini-2.5-flash', 'internal/qwen3-32b-extract'],
    'validator': ['gpt-4.1', 'claude-sonnet-4-5', 'gpt-4o'],
    'exception-router': ['gpt-4.1-mini', 'claude-haiku-4-5'],
}

NAME_PARTS = ['svc', 'bot', 'agent', 'assistant', 'worker', 'runner', 'copilot']
ORG_PREFIX = ['acme', 'nimbus', 'helio', 'orbit', 'quill', 'vanta', 'kite', 'lumen', 'tern', 'brio']


# ---------------------------------------------------------------------------
def lognorm(rng, med, sigma, lo=None, hi=None):
    v = med * math.exp(rng.gauss(0.0, sigma))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v


def price_parts(model, it, ot, cr, cw, rt):
    p = PRICES[model]
    i, o, pcr, pcw, pr = p[1], p[2], p[3], p[4], p[5]
    return (it * i + ot * o + cr * (pcr if pcr is not None else i) + cw * (pcw if pcw is not None else i)
            + rt * (pr if pr is not None else o))


def typical_call_cost(model):
    return price_parts(model, 3000, 600, 15000, 0, REASONING.get(model, 0) * 0.6)


def fmt_ts(ms, style):
    if style == 'epoch':
        return ms
    dt = EPOCH + timedelta(milliseconds=ms)
    if style == 'z_ms':
        return dt.strftime('%Y-%m-%dT%H:%M:%S') + '.%03dZ' % (ms % 1000)
    if style == 'z_us':
        return dt.strftime('%Y-%m-%dT%H:%M:%S') + '.%03d%03dZ' % (ms % 1000, (ms * 7) % 1000)
    if style == 'z_s':
        return dt.strftime('%Y-%m-%dT%H:%M:%SZ')
    if style.startswith('off'):
        mins = int(style[3:])
        d2 = dt + timedelta(minutes=mins)
        sign = '+' if mins >= 0 else '-'
        am = abs(mins)
        return d2.strftime('%Y-%m-%dT%H:%M:%S') + '.%03d%s%02d:%02d' % (ms % 1000, sign, am // 60, am % 60)
    raise ValueError(style)


def gauss_h(h, mu, sd):
    d = min(abs(h - mu), 24 - abs(h - mu))
    return math.exp(-0.5 * (d / sd) ** 2)


def diurnal(profile, h):
    if profile == 'saas':
        return 0.15 + 0.55 * gauss_h(h, 9.5, 2.5) + 0.8 * gauss_h(h, 16, 3) + 0.3 * gauss_h(h, 21, 2)
    if profile == 'devtools':
        return 0.06 + 0.9 * gauss_h(h, 10.5, 2.2) + 1.0 * gauss_h(h, 15.5, 2.5)
    if profile == 'pipeline':
        return 0.2 + 1.0 * gauss_h(h, 2.5, 1.5) + 0.5 * gauss_h(h, 13, 3)
    return (diurnal('saas', h) + diurnal('devtools', h) + diurnal('pipeline', h)) / 3


# ---------------------------------------------------------------------------
class Agent:
    def __init__(self, fleet, rng, base, tasks, model, role=None):
        self.base = base
        self.tasks = tasks
        self.model = model
        self.role = role
        self.upgrade = None          # (t_ms, new_model)
        self.created = None          # first allowed session start (new agents)
        self.ephemeral = None        # (period_ms, salt)
        self.ctx_scale = 1.0
        self.out_scale = 1.0
        self.weight = lognorm(rng, 1.0, 0.6)
        self.fallback = rng.choice([m for m in CHEAP + MID if PRICES[m][0] != PRICES[model][0]]) \
            if rng.random() < 0.3 else None
        self.compact_llm = rng.random() < 0.7
        self.team = rng.choice(['platform', 'cx', 'growth', 'data', 'devex', 'ml', 'ops', 'finance-eng', 'legal-tech'])
        gwr = rng.random()
        self.gw = 0.0 if gwr < 0.7 else (1.0 if gwr < 0.85 else rng.uniform(0.2, 0.6))
        self.gw_discount = rng.choice([1.0, 1.0, 1.0, 0.95, 0.9])
        ts = rng.choices(['z_ms', 'epoch', 'z_us', 'off', 'z_s'], [38, 37, 10, 8, 7])[0]
        if ts == 'off':
            ts = 'off%d' % rng.choice([60, 120, -300, 330, -480])
        self.src = dict(
            ts=ts, v=rng.random() < 0.3, sparse=rng.random() < 0.35,
            evid=rng.choice(['uuid', 'evt', 'ulid']),
            fail=rng.choice(['retry', 'error', 'mixed']),
            llm_tool=rng.random() < 0.7, hashlen=rng.choice([8, 12, 12, 16]),
            no_task_type=rng.random() < 0.04, dims=rng.random() < 0.85,
            labels=({'framework': rng.choice(['langgraph', 'openai-agents', 'crewai', 'custom', 'autogen',
                                              'claude-agent-sdk']),
                     'region': rng.choice(['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-1'])}
                    if rng.random() < 0.5 else None),
        )
        self.env_w = rng.choice([(92, 6, 2), (100, 0, 0), (80, 15, 5), (97, 3, 0)])

    def model_at(self, t):
        if self.upgrade and t >= self.upgrade[0]:
            return self.upgrade[1]
        return self.model

    def id_at(self, t):
        if not self.ephemeral:
            return self.base
        period, salt = self.ephemeral
        k = (t - T0_MS + salt) // period
        return '%s-%s' % (self.base, hashlib.md5(('%s%d' % (self.base, k)).encode()).hexdigest()[:6])


class Fleet:
    def __init__(self, profile, seed, days):
        self.profile = profile
        self.seed = seed
        self.rng = random.Random(seed * 7919 + {'saas': 1, 'devtools': 2, 'pipeline': 3, 'mixed': 4}[profile])
        rng = self.rng
        self.days = days if days else round(rng.uniform(1.0, 2.0) * 4) / 4
        self.t_end = T0_MS + int(self.days * 24 * H)
        cat = task_catalog()
        if profile == 'mixed':
            tasks = []
            picks = {'saas': ['support_conversation', 'account_triage', 'faq_answer', 'saas_research_sub'],
                     'devtools': ['feature_impl', 'ci_fix', 'code_change_review', 'code_explore'],
                     'pipeline': ['doc_extract', 'contract_review', 'clause_review', 'enrich_record']}
            extra = {'saas': ['sales_email_draft', 'data_question', 'doc_summarize', 'appointment_booking',
                              'order_support'],
                     'devtools': ['refactor_batch', 'pr_description', 'repo_qa', 'issue_triage', 'test_gen',
                                  'bugfix'],
                     'pipeline': ['classify_ticket', 'translate_batch', 'report_generation', 'invoice_reconcile']}
            share = {'saas': 0.4, 'devtools': 0.25, 'pipeline': 0.35}
            for p in ['saas', 'devtools', 'pipeline']:
                names = picks[p] + [rng.choice(extra[p])]
                if p == 'pipeline':
                    names += ['chunk_translate']
                sub = [dict(t) for t in cat[p] if t['name'] in names]
                tot = sum(t.get('w', 0) for t in sub)
                for t in sub:
                    t['w'] = t.get('w', 0) / tot * share[p] * 100
                    t['profile'] = p
                tasks += sub
            self.groups = dict(GROUPS)
        else:
            tasks = [dict(t) for t in cat[profile]]
            for t in tasks:
                t['profile'] = profile
            self.groups = {profile: GROUPS[profile]}
        self.tasks = {t['name']: t for t in tasks}
        self.top_tasks = [t for t in tasks if not t.get('child_only')]
        self.build_agents()
        self.build_incidents()

    # -- agents ---------------------------------------------------------------
    def build_agents(self):
        rng = self.rng
        self.agents = []
        self.by_task = {}
        used = set()
        target = {'saas': (17, 26), 'devtools': (16, 26), 'pipeline': (15, 24), 'mixed': (30, 36)}[self.profile]
        target = rng.randint(*target)

        def name_for(task):
            for _ in range(50):
                stem = task['name'].replace('_', '-')
                choice = rng.random()
                if choice < 0.4:
                    n = '%s-%s' % (stem, rng.choice(NAME_PARTS))
                elif choice < 0.7:
                    n = '%s-%s-%s' % (rng.choice(ORG_PREFIX), stem, rng.choice(NAME_PARTS))
                else:
                    n = '%s-%s-v%d' % (stem, rng.choice(NAME_PARTS), rng.randint(1, 4))
                if n not in used:
                    used.add(n)
                    return n
            n = '%s-%d' % (task['name'], len(used))
            used.add(n)
            return n

        def add(task, model=None, role=None, base=None):
            model = model or rng.choice(task['models'])
            a = Agent(self, rng, base or name_for(task), [task['name']], model, role)
            self.agents.append(a)
            self.by_task.setdefault(task['name'], []).append(a)
            return a

        # handoff groups
        self.group_agents = {}
        for gname, (entry, specs) in self.groups.items():
            members = {}
            for role in entry + specs:
                base = role if rng.random() < 0.6 else '%s-%s' % (rng.choice(ORG_PREFIX), role)
                used.add(base)
                a = Agent(self, rng, base, [], rng.choice(GROUP_MODELS[role]), role)
                self.agents.append(a)
                members[role] = a
            self.group_agents[gname] = (entry, specs, members)
        for t in self.tasks.values():
            if t['style'] == 'handoff':
                entry, specs, members = self.group_agents[t['group']]
                for role in entry:
                    members[role].tasks.append(t['name'])
                    self.by_task.setdefault(t['name'], []).append(members[role])
        # at least one agent per task
        for t in self.tasks.values():
            if t['name'] not in self.by_task:
                add(t)
        # extras for popular tasks
        pop = [t for t in self.top_tasks if t['style'] != 'handoff']
        while len(self.agents) < target - 2:
            t = rng.choices(pop, [x.get('w', 1) for x in pop])[0]
            add(t)
        # brand-new pricey agents appearing mid-run (3-5x the fleet's per-action cost)
        self.new_agents = []
        for _ in range(rng.randint(1, 2) if self.profile != 'mixed' else 3):
            t = rng.choices(pop, [x.get('w', 1) for x in pop])[0]
            cheap_ref = 'claude-haiku-4-5' if t['models'] is CHEAP else None
            m = rng.choice(['claude-opus-4-5', 'o3', 'claude-sonnet-4-5', 'gemini/gemini-2.5-pro', 'gpt-4o'])
            a = add(t, model=m, base=name_for(t) + '-preview')
            a.created = T0_MS + int((self.t_end - T0_MS) * rng.uniform(0.3, 0.65))
            a.ctx_scale = rng.uniform(1.4, 2.2)
            a.out_scale = rng.uniform(1.2, 1.8)
            a.weight = 1.5
            self.new_agents.append(a)
        # planned upgrades (baseline shift)
        cands = [a for a in self.agents if a.model in UPGRADE and a.created is None and a.tasks]
        rng.shuffle(cands)
        self.upgraded = []
        for a in cands[:rng.randint(1, 3)]:
            a.upgrade = (T0_MS + int((self.t_end - T0_MS) * rng.uniform(0.25, 0.7)), UPGRADE[a.model])
            self.upgraded.append(a)
        # per-deployment agent ids
        cands = [a for a in self.agents if a.role is None and a.created is None]
        rng.shuffle(cands)
        self.ephemeral = []
        for a in cands[:rng.randint(1, 3)]:
            a.ephemeral = (int(rng.uniform(0.3, 3) * H), rng.randint(0, 10 * H))
            self.ephemeral.append(a)
        # tenants
        n_ten = {'saas': 400, 'devtools': 80, 'pipeline': 14, 'mixed': 300}[self.profile]
        self.tenants = ['t-%s-%04d' % (rng.choice(ORG_PREFIX), i) for i in range(n_ten)]
        self.tenant_w = [1.0 / (i + 1) ** 0.9 for i in range(n_ten)]
        self.cum_tenant = []
        c = 0
        for w in self.tenant_w:
            c += w
            self.cum_tenant.append(c)

    def pick_tenant(self, rng):
        x = rng.random() * self.cum_tenant[-1]
        lo, hi = 0, len(self.cum_tenant) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum_tenant[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.tenants[lo]

    def agents_for(self, task, t):
        return [a for a in self.by_task.get(task, []) if a.created is None or a.created <= t]

    def workers_for(self, task_name):
        return self.by_task.get(task_name, [])

    # -- incidents ------------------------------------------------------------
    def build_incidents(self):
        rng = self.rng
        pc = {}
        for a in self.agents:
            pr = PRICES[a.model][0]
            if pr in ('openai', 'anthropic', 'gemini'):
                pc[pr] = pc.get(pr, 0) + 1
        provs = sorted(pc)
        self.incidents = []
        for _ in range(rng.randint(2, 4)):
            p = rng.choices(provs, [pc[x] ** 2 for x in provs])[0]
            while True:
                t = rng.uniform(T0_MS, self.t_end - H)
                h = ((t - T0_MS) / H) % 24
                if rng.random() < (diurnal(self.profile, h) / 1.3) ** 2:
                    break
            if rng.random() < 0.3:   # long partial degradation
                dur, pe = rng.uniform(25, 45) * MIN, rng.uniform(0.25, 0.5)
            else:
                dur, pe = rng.uniform(6, 20) * MIN, rng.uniform(0.6, 0.95)
            self.incidents.append((p, int(t), int(t + dur), pe))

    def incident(self, prov, t):
        for p, a, b, pe in self.incidents:
            if p == prov and a <= t < b:
                return pe
        return None

    def start_time(self, rng):
        while True:
            t = rng.uniform(T0_MS, self.t_end)
            h = ((t - T0_MS) / H) % 24
            if rng.random() * 1.6 < diurnal(self.profile, h):
                return int(t)


# ---------------------------------------------------------------------------
class Sess:
    def __init__(self, fleet, rng, sid, agent, task, t0, task_id, parent=None, tenant=None, env=None, root=None):
        self.f = fleet
        self.rng = rng
        self.sid = sid
        self.agent = agent
        self.first_agent = agent
        self.task = task
        self.t = t0
        self.t_start = t0
        self.task_id = task_id
        self.parent = parent
        self.tenant = tenant or fleet.pick_tenant(rng)
        self.env = env or rng.choices(['prod', 'staging', 'dev'], agent.env_w)[0]
        self.events = []      # (t_ms, event_id, line)
        self.cost = 0.0
        self.n_llm = 0
        self.model = agent.model_at(t0)
        self.models_used = {}
        self.sys = int(rng.uniform(*task['sys']) * agent.ctx_scale)
        self.ctx = 0
        self.pending = int(rng.uniform(*task['first']))
        self.last_out = 0
        self.last_llm_t = -10 ** 15
        self.cache_model = None
        self.compact_at = int(rng.uniform(*task['compact']))
        self.dyn = task['dyn'] * rng.uniform(0.4, 1.6)
        self.esc_left = 0
        self.retry_next = 0
        self.retry_llm = 0
        self.halt_at = None
        self.prefix_frac = None
        self.onset_pending = False
        self.onset_idx = None
        self.traps = []
        self.growth = None
        self.spike_extra = 0
        self.out_mult = 1.0
        self.unique_args = False
        self.argstate = {}
        self.hooks = {}
        self.children = []
        self.tree = None       # shared list of sessions of the tree
        self.label = 'normal'
        self.kind = None
        self.part_of = None
        self.variant = None
        self.params = {}
        self.natural_len = None
        self.agent_ids = {}
        self.idx_counter = 0
        self.root = root or self
        self.llm_costs = []

    # -- helpers ---------------------------------------------------------------
    def trap(self, name):
        if name not in self.traps:
            self.traps.append(name)

    def mark_onset(self):
        self.onset_pending = True

    def halted(self):
        return self.halt_at is not None and self.n_llm >= self.halt_at

    def set_plan(self, n_llm_est):
        if self.natural_len is None:
            self.natural_len = n_llm_est
        if self.prefix_frac is not None and self.halt_at is None:
            self.halt_at = max(getattr(self, 'min_prefix', 1), int(round(n_llm_est * self.prefix_frac)))

    def wait(self, ms):
        self.t += int(ms)

    def user(self, tokens):
        self.pending += int(tokens)

    def _eid(self):
        st = self.agent.src['evid']
        b = self.rng.getrandbits(128)
        if st == 'uuid':
            h = '%032x' % b
            return '%s-%s-4%s-%s-%s' % (h[:8], h[8:12], h[13:16], h[16:20], h[20:32])
        if st == 'evt':
            return 'evt_%020x' % (b >> 48)
        alph = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
        s = ''
        tt = self.t
        for _ in range(10):
            s = alph[tt % 32] + s
            tt //= 32
        for _ in range(16):
            s += alph[b % 32]
            b //= 32
        return s

    def args(self, tool, unique=False):
        spec = TOOLS[tool]
        mode = 'u' if (unique or self.unique_args) else spec[0]
        rng = self.rng
        if mode == 'u':
            self.idx_counter += 1
            key = '%s:u%d:%d' % (self.sid, self.idx_counter, rng.getrandbits(20))
        elif mode == 'f':
            key = '%s:f' % self.sid
        elif mode == 's':
            n = self.argstate.setdefault(tool, rng.randint(1, max(1, spec[5])))
            key = '%s:s%d' % (self.sid, rng.randrange(n))
        elif mode == 'z':
            n = self.argstate.setdefault(tool, rng.randint(max(2, spec[5] // 3), max(3, spec[5])))
            cw = ZIPF_CUM.get(n)
            if cw is None:
                cw = ZIPF_CUM[n] = list(itertools.accumulate(1.0 / (k + 1) ** 0.8 for k in range(n)))
            r = bisect.bisect_left(cw, rng.random() * cw[-1])
            key = '%s:z%d' % (self.sid, min(r, n - 1))
        else:
            key = 'g%d' % rng.randrange(max(1, spec[5]))
        return self.hash(tool, key)

    def hash(self, tool, key):
        return hashlib.blake2b(('%s|%s' % (tool, key)).encode(), digest_size=8).hexdigest()[:self.agent.src['hashlen']]

    def pick_tool(self):
        tools = self.task['tools']
        return self.rng.choices([t[0] for t in tools], [t[1] for t in tools])[0]

    def _agent_id(self, a):
        v = self.agent_ids.get(a)
        if v is None:
            v = a.id_at(self.t_start)
            self.agent_ids[a] = v
        return v

    # -- event emission ----------------------------------------------------------
    def _emit(self, kind, t_end, lat, status='ok', model=None, toks=None, tool=None, args_hash=None,
              target=None, cost=0.0, cost_given=None):
        a = self.agent
        src = a.src
        sparse = src['sparse']
        if self.events and t_end < self.events[-1][0]:
            t_end = self.events[-1][0] + 1
        if t_end > self.t:
            self.t = t_end
        ev = {}
        if src['v']:
            ev['v'] = 1
        eid = self._eid()
        ev['event_id'] = eid
        ev['ts'] = fmt_ts(t_end, src['ts'])
        ev['session_id'] = self.sid
        ev['agent_id'] = self._agent_id(a)
        if not src['no_task_type']:
            ev['task_type'] = self.task['name']
        if self.task_id:
            ev['task_id'] = self.task_id
        if self.parent:
            ev['parent_session_id'] = self.parent.sid
        ev['tenant'] = self.tenant
        if src['dims']:
            ev['team'] = a.team
            ev['feature'] = self.task['feature']
        ev['env'] = self.env
        if src['labels']:
            ev['labels'] = src['labels']
        if not (sparse and kind == 'llm'):
            ev['kind'] = kind
        if kind == 'llm':
            ev['model'] = model
            ev['provider'] = PRICES[model][0]
            it, ot, cr, cw, rt = toks
            names = ('input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens')
            for n, v in zip(names, toks):
                if v or not sparse:
                    if n == 'cache_write_tokens' and not v and ev['provider'] != 'anthropic':
                        continue
                    if n == 'reasoning_tokens' and not v:
                        continue
                    ev[n] = int(v)
            if tool and src['llm_tool']:
                ev['tool'] = tool
        elif kind == 'tool':
            ev['tool'] = tool
            ev['args_hash'] = args_hash
        else:
            ev['target_agent_id'] = target
        if cost_given is not None:
            ev['cost_usd'] = cost_given
            cost = cost_given
        if status != 'ok' or not sparse:
            ev['status'] = status
        ev['latency_ms'] = int(lat)
        if self.onset_pending:
            self.onset_idx = len(self.events)
            self.onset_pending = False
            self.cost_at_onset = self.cost
        self.cost += cost
        self.events.append((t_end, eid, json.dumps(ev, separators=(',', ':'))))
        return eid

    def fail_status(self):
        f = self.agent.src['fail']
        if f == 'mixed':
            return self.rng.choice(['retry', 'error'])
        return f

    # -- LLM call ---------------------------------------------------------------------
    def _failed_llm(self, m, fast=None):
        rng = self.rng
        if fast is None:
            fast = rng.random() < 0.6
        lat = rng.uniform(80, 1500) if fast else rng.uniform(8000, 60000)
        self.t += int(lat)
        toks = (0, 0, 0, 0, 0)
        self._emit('llm', self.t, lat, status=self.fail_status(), model=m, toks=toks,
                   cost_given=(0.0 if m in NONCAT or (self.agent.gw and rng.random() < self.agent.gw) else None))

    def _incident_gate(self, m):
        prov = PRICES[m][0]
        k = 0
        while k < 60:
            pe = self.f.incident(prov, self.t)
            if pe is None or self.rng.random() > pe:
                break
            self._failed_llm(m)
            k += 1
            self.trap('provider_incident')
            if self.agent.fallback and k >= 2 and self.rng.random() < 0.8:
                return self.agent.fallback
            self.t += int(min(60000, 1000 * 2 ** min(k, 8)) * self.rng.uniform(0.5, 1.0))
        return m

    def llm(self, tool=None, out=None, final=False, model=None, big_in=0, count=True, cache_ok=True,
            summarize=False):
        rng = self.rng
        a = self.agent
        m = model or self.model
        if self.esc_left > 0 and model is None:
            m = ESCALATE.get(m, m)
            self.esc_left -= 1
        self.t += int(rng.uniform(5, 250))
        m = self._incident_gate(m)
        if self.retry_llm > 0:
            for _ in range(self.retry_llm):
                self._failed_llm(m, fast=True)
                self.t += int(rng.uniform(500, 4000))
            self.retry_llm = 0
        prov = PRICES[m][0]
        # --- token model ---
        if self.growth is not None:
            g = self.growth
            g['cur'] = min(g['cap'], g['cur'] * (1 + g['rate'] * rng.uniform(0.6, 1.4)))
            prompt = int(g['cur'] * rng.uniform(0.98, 1.02))
            if g['mode'] == 'cache_write':
                cr = min(self.sys, prompt)
                cw = prompt - cr - 40
                it = 40
            else:
                cr = int(self.sys * 0.9) if g['sysc'] else 0
                it = prompt - cr
                cw = 0
        else:
            prompt = self.sys + self.ctx + self.pending + big_in
            dynpart = int(self.ctx * self.dyn)
            new = self.pending + self.last_out + big_in
            warm = (cache_ok and self.cache_model == m and
                    self.t - self.last_llm_t < (300000 if prov == 'anthropic' else 600000))
            cachable = PRICES[m][3] is not None and prompt >= 1024
            if not cachable:
                cached = 0
            elif warm:
                cached = max(0, prompt - new - dynpart)
            else:
                cached = self.sys if rng.random() < 0.85 else 0
            if prov == 'openai' and cached:
                cached = (cached // 128) * 128
            unc = prompt - cached
            if prov == 'anthropic' and cachable:
                cw = max(0, unc - dynpart - int(rng.uniform(5, 60)))
                it = unc - cw
            else:
                cw = 0
                it = unc
            cr = cached
            if self.spike_extra:
                it += int(self.spike_extra * rng.uniform(0.85, 1.15))
        # output
        if out is None:
            med = self.task['fin'] if final else self.task['out']
            out = lognorm(rng, med * a.out_scale * self.out_mult, 0.6, 8, 32000)
        out = int(out)
        rt = 0
        if m in REASONING:
            rt = int(lognorm(rng, REASONING[m] * a.out_scale, 0.8, 0, 30000))
            if m.startswith('gemini') and 'flash' in m and rng.random() < 0.5:
                rt = 0
        maxin = PRICES[m][6]
        tot_in = it + cr + cw
        if tot_in > maxin * 0.97:
            scale = maxin * 0.97 / tot_in
            it, cr, cw = int(it * scale), int(cr * scale), int(cw * scale)
        toks = (it, out, cr, cw, rt)
        cost = price_parts(m, *toks)
        lat = (rng.uniform(250, 1400) + (it + cw) / 40.0 + cr / 400.0
               + (out + rt) * 1000.0 / (TPS.get(m, 100) * rng.uniform(0.7, 1.3)))
        self.t += int(lat)
        cg = None
        if m in NONCAT:
            cg = round(cost * a.gw_discount, 8)
        elif a.gw and rng.random() < a.gw:
            cg = round(cost * a.gw_discount, 8)
        self._emit('llm', self.t, lat, model=m, toks=toks, tool=tool, cost=cost, cost_given=cg)
        self.llm_costs.append(cg if cg is not None else cost)
        self.models_used[m] = self.models_used.get(m, 0) + 1
        self.last_llm_t = self.t
        self.cache_model = m
        if self.growth is None:
            self.ctx += self.pending + out
            self.pending = 0
            self.last_out = out
        if count:
            self.n_llm += 1
        if self.growth is None and not summarize and self.ctx + self.sys > self.compact_at:
            self.compact()
        return toks

    def compact(self):
        rng = self.rng
        if self.agent.compact_llm:
            self.llm(out=lognorm(self.rng, 1800, 0.4, 400, 6000), count=False, summarize=True)
            self.ctx = self.last_out + int(rng.uniform(500, 3000))
        else:
            self.ctx = int(self.ctx * rng.uniform(0.2, 0.4))
        self.last_out = 0
        self.cache_model = None  # prefix changed
        self.trap_compactions = getattr(self, 'trap_compactions', 0) + 1

    # -- tools ---------------------------------------------------------------------------
    def tool(self, name, args=None, status=None, lat=None, res=None, err_ok=True):
        rng = self.rng
        spec = TOOLS[name]
        if args is None:
            args = self.args(name)
        if self.retry_next > 0 and status is None:
            for _ in range(self.retry_next):
                l = lognorm(rng, spec[1], 0.5, 5) if rng.random() < 0.5 else rng.uniform(5000, 30000)
                self.t += int(l)
                self._emit('tool', self.t, l, status=self.fail_status(), tool=name, args_hash=args)
                self.t += int(rng.uniform(300, 5000))
            self.retry_next = 0
        if status is None:
            status = 'error' if (err_ok and rng.random() < spec[3]) else 'ok'
        if lat is None:
            lat = lognorm(rng, spec[1], 0.6, 3)
        self.t += int(rng.uniform(2, 40))
        self.t += int(lat)
        cg = None
        if spec[4] and status == 'ok':
            cg = round(spec[4], 6)
        self._emit('tool', self.t, lat, status=status, tool=name, args_hash=args, cost_given=cg)
        if res is None:
            res = lognorm(rng, spec[2], 0.6, 10) if status == 'ok' else rng.uniform(40, 300)
        self.pending += int(res * self.agent.ctx_scale)
        return status

    def tools_parallel(self, calls):
        rng = self.rng
        t0 = self.t
        outs = []
        for name, args in calls:
            spec = TOOLS[name]
            lat = lognorm(rng, spec[1], 0.6, 3)
            outs.append((t0 + int(lat) + int(rng.uniform(2, 40)), name, args, lat))
        outs.sort()
        keep_retry = self.retry_next
        self.retry_next = 0
        for te, name, args, lat in outs:
            self.t = max(self.t, te - int(lat))
            self.tool(name, args, lat=lat)
        self.retry_next = keep_retry
        self.t = max(self.t, outs[-1][0])

    def turn(self, tool=None, unique=False):
        rng = self.rng
        name = tool or self.pick_tool()
        self.llm(tool=name)
        if rng.random() < self.task['par']:
            calls = [(name, self.args(name, unique))]
            for _ in range(rng.randint(1, 2)):
                n2 = self.pick_tool()
                calls.append((n2, self.args(n2, unique)))
            self.tools_parallel(calls)
        else:
            self.tool(name, self.args(name, unique))

    def handoff(self, target, work_tool=True):
        rng = self.rng
        self.llm(tool='transfer_to_' + (target.role or target.base).replace('-', '_'))
        lat = rng.uniform(5, 80)
        self.t += int(lat)
        self._emit('handoff', self.t, lat, target=self._agent_id(target))
        self.agent = target
        self.model = target.model_at(self.t)
        self.cache_model = None
        self.sys = int(rng.uniform(*self.task['sys']))

    # -- children -------------------------------------------------------------------------
    def spawn(self, child_task, runaway=False, recursive=None, call_llm=True):
        rng = self.rng
        f = self.f
        if call_llm:
            self.llm(tool=self.task['spawn_tool'])
        self.tool(self.task['spawn_tool'], self.args(self.task['spawn_tool'], True), err_ok=False)
        workers = f.workers_for(child_task['name']) or [self.agent]
        w = rng.choice(workers)
        sid = new_session_id(rng, self.f.profile, child=True)
        crng = random.Random(rng.getrandbits(64))
        c = Sess(f, crng, sid, w, child_task, self.t + int(rng.uniform(30, 800)), self.task_id, parent=self,
                 tenant=self.tenant, env=self.env, root=self.root)
        c.tree = self.tree
        self.tree.append(c)
        self.children.append(c)
        if runaway:
            c.label = 'runaway'
            c.kind = 'subagent_fanout'
            c.part_of = self.root.sid
            c.mark_onset()
        else:
            c.kind = 'subagent_child'
            c.trap('subagent_child')
        if recursive:
            flow_worker(c, recursive=recursive)
        else:
            flow_worker(c)
        return c


def new_session_id(rng, profile, child=False):
    st = rng.random()
    b = rng.getrandbits(96)
    if child:
        return 'sub_%024x' % b
    if st < 0.4:
        return 'sess_%024x' % b
    if st < 0.7:
        h = '%024x' % b
        return 'run-%s-%s-%s' % (h[:8], h[8:12], h[12:24])
    return 'conv_%020x' % (b >> 16)


# ---------------------------------------------------------------------------
# normal flows

def run_hooks(s, i):
    fns = s.hooks.pop(i, None)
    if fns:
        for fn in fns:
            fn(s)


def flow_agentic(s, nofinal=False):
    t = s.task
    rng = s.rng
    L = int(lognorm(rng, t['turns'][0], t['turns'][1], t['turns'][2], t['turns'][3]))
    s.set_plan(L)
    for i in range(max(1, L - 1)):
        if s.halted():
            return
        run_hooks(s, i)
        s.turn()
    run_hooks(s, 'end')
    if s.halted() or nofinal:
        return
    s.llm(final=True, tool=None)


def flow_worker(s, recursive=None):
    t = s.task
    rng = s.rng
    L = int(lognorm(rng, t['turns'][0], t['turns'][1], t['turns'][2], t['turns'][3]))
    s.set_plan(L)
    for i in range(L):
        if rng.random() < 0.7:
            s.turn()
        else:
            s.llm()
        if recursive and i == 0:
            # runaway recursive fan-out: each worker spawns more workers
            depth, dmax, cap = recursive['depth'], recursive['dmax'], recursive['cap']
            if depth < dmax:
                for _ in range(rng.randint(recursive['b'][0], recursive['b'][1])):
                    if recursive['count'][0] >= cap:
                        break
                    recursive['count'][0] += 1
                    r2 = dict(recursive)
                    r2['depth'] = depth + 1
                    s.spawn(s.task, runaway=True, recursive=r2, call_llm=rng.random() < 0.3)
    s.llm(final=True)
    if rng.random() < 0.5:
        s.tool('submit_result', err_ok=False)


def flow_chat(s, nofinal=False):
    t = s.task
    rng = s.rng
    U = int(lognorm(rng, t['turns'][0], t['turns'][1], t['turns'][2], t['turns'][3]))
    per = 1 + t['tool_p'] * 1.3
    s.set_plan(int(U * per) + 1)
    idle_turns = set()
    if t.get('idle') and U >= 3 and rng.random() < 0.55:
        s.trap('idle_gaps')
        for _ in range(rng.randint(1, 3)):
            idle_turns.add(rng.randint(1, U - 1))
    for u in range(U):
        if s.halted():
            return
        if u > 0:
            if u in idle_turns:
                s.wait(rng.uniform(0.7, 9) * H)
            else:
                s.wait(lognorm(rng, t['gap'][0], t['gap'][1], 2000, 600000))
            s.user(lognorm(rng, 60, 0.8, 5, 2000))
        run_hooks(s, u)
        k = 0
        while rng.random() < t['tool_p'] / (1 + k) and k < 4:
            s.turn()
            k += 1
        if nofinal and u == U - 1:
            return
        s.llm(final=True)
    run_hooks(s, 'end')


def flow_doc(s, nofinal=False):
    rng = s.rng
    t = s.task
    s.set_plan(3)
    names = [x[0] for x in t['tools']]
    s.tool('fetch_doc', res=lognorm(rng, 9000 if t['name'] == 'doc_summarize' else 3000, 0.8, 300, 120000))
    if 'ocr_page' in names and rng.random() < 0.6:
        for _ in range(int(lognorm(rng, 2, 0.8, 1, 30))):
            s.tool('ocr_page')
    if s.halted():
        return
    run_hooks(s, 0)
    s.llm(tool='validate_schema' if 'validate_schema' in names else None)
    if s.halted():
        return
    if 'validate_schema' in names:
        for _ in range(3):
            st = s.tool('validate_schema')
            if st == 'ok' and rng.random() > 0.12:
                break
            s.llm(tool='validate_schema')
        if not nofinal:
            s.tool('write_record')
    else:
        if not nofinal:
            s.tool(names[-1])
    run_hooks(s, 'end')


def flow_classify(s, nofinal=False):
    s.set_plan(1)
    s.llm(tool='write_label', out=lognorm(s.rng, 40 * s.agent.out_scale, 0.5, 5, 600))
    if s.halted() or nofinal:
        return
    s.tool('write_label')
    if s.rng.random() < 0.15:
        s.llm(out=lognorm(s.rng, 60, 0.5, 5, 300))
        s.tool('write_label')


def flow_mapreduce(s, nofinal=False, fanout=None):
    rng = s.rng
    t = s.task
    f = s.f
    s.set_plan(3)
    s.tool('fetch_doc', res=lognorm(rng, 20000, 0.7, 2000, 200000))
    s.llm(tool='split_document')
    s.tool('split_document')
    if s.halted():
        return
    k = int(rng.uniform(t['children'][0], t['children'][1] + 1))
    s.params['normal_children'] = k
    ctask = f.tasks[t['child']]
    s.trap('subagent_tree')
    per_llm = rng.choice([1, 1, 3, 8, 50])
    for i in range(k):
        s.spawn(ctask, call_llm=(i % per_llm == 0))
        s.t += int(rng.uniform(20, 400))
    if fanout:
        fanout_tail(s, fanout, ctask)
        return
    # wait for children: poll job status with the same args a few times
    end = max(c.t for c in s.children)
    if rng.random() < 0.5:
        while s.t < end:
            s.wait(rng.uniform(5000, 30000))
            s.tool('get_job_status')
    else:
        s.t = max(s.t, end)
    s.t = max(s.t, end) + int(rng.uniform(100, 2000))
    s.pending += sum(c.last_out for c in s.children)
    s.llm(final=True, out=lognorm(rng, t['fin'], 0.5, 200, 16000))
    if not nofinal:
        s.tool('write_record')


def flow_handoff(s, nofinal=False):
    rng = s.rng
    t = s.task
    entry, specs, members = s.f.group_agents[t['group']]
    L = int(lognorm(rng, t['turns'][0], t['turns'][1], t['turns'][2], t['turns'][3]))
    rounds = 1 if rng.random() < 0.6 else 2
    s.set_plan(L + rounds * 6)
    s.trap('handoff')
    home = s.agent
    for i in range(L):
        s.turn()
        if s.halted():
            return
    for r in range(rounds):
        spec = members[rng.choice([x for x in specs if members[x] is not s.agent])]
        s.handoff(spec)
        for _ in range(int(lognorm(rng, 4, 0.5, 1, 15))):
            if s.halted():
                return
            s.turn()
        if rng.random() < 0.85:
            s.handoff(home)
            s.turn()
    if nofinal or s.halted():
        return
    s.llm(final=True)


FLOWS = {'agentic': flow_agentic, 'chat': flow_chat, 'doc': flow_doc, 'classify': flow_classify,
         'mapreduce': flow_mapreduce, 'handoff': flow_handoff, 'worker': flow_worker}


# ---------------------------------------------------------------------------
# normal traps (hooks)

def hook_batch(s):
    rng = s.rng
    tool = s.task.get('batch_tool') or 'write_record'
    n = int(lognorm(rng, 40, 0.6, 12, 220))
    per = rng.choice([1, 1, 2, 4, 8, 20])
    s.trap('batch_edit')
    s.params['batch_n'] = n
    for i in range(n):
        if i % per == 0:
            s.llm(tool=tool, out=lognorm(rng, 350, 0.5, 50, 3000))
        s.tool(tool, s.args(tool, unique=True), lat=lognorm(rng, TOOLS[tool][1], 0.4))
    s.llm()


def hook_big_doc(s):
    rng = s.rng
    s.trap('big_doc')
    maxin = PRICES[s.model][6]
    if rng.random() < 0.6:
        big = int(min(maxin * 0.85, lognorm(rng, 150000, 0.5, 60000, 800000)))
        s.tool('fetch_doc', res=50)
        s.llm(big_in=big, out=lognorm(rng, 1500, 0.5, 200, 8000), cache_ok=False)
        s.params['big_in'] = big
    else:
        o = int(lognorm(rng, 16000, 0.4, 6000, 32000))
        s.llm(out=o)
        s.params['big_out'] = o


def hook_escalate(s):
    s.trap('router_escalation')
    s.esc_left = s.rng.randint(1, 4)
    s.params['escalated_steps'] = s.esc_left


def hook_retry(s):
    s.trap('legit_retry')
    if s.rng.random() < 0.6:
        s.retry_next = s.rng.randint(2, 3)
    else:
        s.retry_llm = s.rng.randint(2, 3)


def hook_ci(s):
    rng = s.rng
    s.trap('ci_polling')
    s.llm(tool='git_push')
    s.tool('git_push')
    n = int(lognorm(rng, 6, 0.5, 3, 25))
    s.params['ci_polls'] = n
    sleep_style = rng.random()
    for i in range(n):
        s.tool('ci_status', err_ok=False)
        if i == n - 1:
            break
        if sleep_style < 0.4:
            s.llm(tool='sleep', out=lognorm(rng, 60, 0.4, 10, 300))
            s.tool('sleep', lat=rng.uniform(20000, 120000), err_ok=False)
        elif sleep_style < 0.7:
            s.llm(tool='ci_status', out=lognorm(rng, 60, 0.4, 10, 300))
            s.wait(rng.uniform(20000, 90000))
        else:
            s.wait(rng.uniform(30000, 120000))
    s.llm()


def hook_children(s):
    rng = s.rng
    t = s.task
    k = rng.randint(max(1, t['children'][0]), t['children'][1])
    ctask = s.f.tasks[t['child']]
    s.trap('subagent_tree')
    for _ in range(k):
        s.spawn(ctask)
    s.t = max([s.t] + [c.t for c in s.children])


def hook_research_children(s):
    rng = s.rng
    ctask = s.f.tasks.get('saas_research_sub')
    if not ctask:
        return
    s.trap('subagent_tree')
    for _ in range(rng.randint(1, 3)):
        s.spawn(ctask)
    s.t = max([s.t] + [c.t for c in s.children])


def hook_repeat_tests(s):
    """legit: run the same test command many times between edits."""
    rng = s.rng
    s.trap('repeat_tests')
    n = rng.randint(6, 14)
    h = s.args('run_tests')
    for _ in range(n):
        s.llm(tool='edit_file')
        s.tool('edit_file', s.args('edit_file', True))
        s.llm(tool='run_tests')
        s.tool('run_tests', h)


def assign_normal_traps(s, rng):
    t = s.task
    style = t['style']
    L_guess = t['turns'][0]
    hooks = s.hooks

    def at(fn, pos=None):
        if pos is None:
            pos = rng.randint(0, max(0, int(L_guess * 0.8)))
        hooks.setdefault(pos, []).append(fn)

    if style in ('agentic', 'chat'):
        if t.get('batch_always') or (t.get('batch_tool') and rng.random() < 0.12):
            at(hook_batch)
        if rng.random() < 0.05:
            at(hook_big_doc)
        if rng.random() < 0.06:
            at(hook_escalate)
        if rng.random() < 0.06:
            at(hook_retry)
        if t.get('ci') and rng.random() < 0.85:
            at(hook_ci, 'end')
        elif t['profile'] == 'devtools' and style == 'agentic' and rng.random() < 0.06:
            at(hook_ci, 'end')
        if t.get('children') and t['style'] == 'agentic' and rng.random() < 0.5:
            at(hook_children)
        if t['name'] in ('support_conversation', 'data_question') and rng.random() < 0.08:
            at(hook_research_children)
        if 'run_tests' in [x[0] for x in t['tools']] and rng.random() < 0.15:
            at(hook_repeat_tests)
    elif style in ('doc', 'handoff'):
        if rng.random() < 0.05:
            at(hook_big_doc, 0)
        if rng.random() < 0.05:
            at(hook_retry, 0)
        if style == 'doc' and t['name'] == 'doc_summarize' and rng.random() < 0.25:
            at(hook_big_doc, 0)
    if t.get('long'):
        s.trap('long_task')


# ---------------------------------------------------------------------------
# runaway tails

def tail_target(rng, med, sigma, lo, hi):
    return int(lognorm(rng, med, sigma, lo, hi))


def rw_loop_repeat(s, stats):
    rng = s.rng
    tools = [x[0] for x in s.task['tools']]
    var = rng.choices(['llm_tool', 'tool_only', 'two_hash', 'noisy', 'slow_poll'], [35, 12, 18, 20, 15])[0]
    if var == 'slow_poll':
        X = rng.choice(['ci_status', 'get_job_status']) if s.task['profile'] != 'saas' else 'track_shipment'
    else:
        X = rng.choice(tools)
    h1 = s.args(X, True)
    h2 = s.args(X, True)
    n = tail_target(rng, 500 if var != 'slow_poll' else 250, 0.8, 150, 3000)
    s.variant = var
    s.params.update(tool=X, tail=n)
    target = len(s.events) + n
    s.mark_onset()
    i = 0
    while len(s.events) < target:
        if var == 'llm_tool':
            s.llm(tool=X)
            s.tool(X, h1, err_ok=False)
        elif var == 'tool_only':
            s.tool(X, h1, err_ok=False)
            s.wait(rng.uniform(50, 1500))
            if i % rng.randint(4, 20) == 0:
                s.llm(tool=X)
        elif var == 'two_hash':
            s.llm(tool=X)
            s.tool(X, h1 if (i % 2 == 0 if s.params.setdefault('alt', rng.random() < 0.6) else rng.random() < 0.5)
                   else h2, err_ok=False)
        elif var == 'noisy':
            s.llm(tool=X)
            s.tool(X, h1, err_ok=False)
            for _ in range(rng.choice([0, 1, 1, 2])):
                Y = rng.choice(tools)
                s.llm(tool=Y)
                s.tool(Y, s.args(Y, True))
        else:
            s.tool(X, h1, err_ok=False, res=lognorm(rng, 300, 0.3))
            s.wait(rng.uniform(15000, 75000))
            if rng.random() < 0.5:
                s.llm(tool=X, out=lognorm(rng, 50, 0.5, 5, 400))
        i += 1


def rw_loop_cycle(s, stats):
    rng = s.rng
    tools = list(dict.fromkeys([x[0] for x in s.task['tools']] + PROFILE_EXTRA[s.task['profile']]))
    c = min(len(tools), rng.randint(2, 5))
    seq = rng.sample(tools, c)
    hashes = [[s.args(x, True)] for x in seq]
    if rng.random() < 0.3:
        j = rng.randrange(c)
        hashes[j].append(s.args(seq[j], True))
    var = rng.choices(['llm_each', 'llm_once'], [75, 25])[0]
    n = tail_target(rng, 450, 0.8, 150, 2500)
    s.variant = var
    s.params.update(cycle=seq, tail=n)
    target = len(s.events) + n
    s.mark_onset()
    k = 0
    while len(s.events) < target:
        if var == 'llm_once':
            s.llm(tool=seq[0])
        for j, x in enumerate(seq):
            if var == 'llm_each':
                s.llm(tool=x)
            hs = hashes[j]
            s.tool(x, hs[k % len(hs)], err_ok=False)
        k += 1


def rw_ping_pong(s, stats):
    rng = s.rng
    t = s.task
    gname = t.get('group') or next(iter(s.f.group_agents))
    entry, specs, members = s.f.group_agents[gname]
    cur = s.agent
    others = [a for a in members.values() if a is not cur]
    k = 2 if rng.random() < 0.75 else 3
    ring = [cur] + rng.sample(others, k - 1)
    n = tail_target(rng, 400, 0.8, 120, 2000)
    work = (rng.randint(0, 1), rng.randint(1, 4))
    s.params.update(agents=[a.base for a in ring], tail=n, work=work)
    s.variant = '%d-agents' % k
    tools = [x[0] for x in t['tools']]
    target = len(s.events) + n
    s.mark_onset()
    i = 0
    while len(s.events) < target:
        for _ in range(rng.randint(*work)):
            x = rng.choice(tools)
            s.llm(tool=x)
            s.tool(x)
        i += 1
        s.handoff(ring[i % k])


def rw_step_runaway(s, stats):
    rng = s.rng
    st = stats.get(s.task['name'], {})
    p99 = st.get('p99_events', 60)
    n = int(min(4000, max(200, p99 * rng.uniform(2.5, 12))))
    s.params.update(tail=n, p99_events=p99)
    s.unique_args = True
    tools = [x[0] for x in s.task['tools']]
    extra = PROFILE_EXTRA[s.task['profile']]
    target = len(s.events) + n
    s.variant = 'varied'
    s.mark_onset()
    while len(s.events) < target:
        x = rng.choice(tools) if rng.random() < 0.8 else rng.choice(extra)
        s.turn(tool=x, unique=True)


def rw_retry_storm(s, stats):
    rng = s.rng
    var = rng.choices(['rate_limit', 'tool_fail', 'backoff'], [30, 45, 25])[0]
    tools = [x[0] for x in s.task['tools']]
    X = rng.choice(tools)
    same_args = rng.random() < 0.6
    h = s.args(X, True)
    n = tail_target(rng, {'rate_limit': 700, 'tool_fail': 400, 'backoff': 200}[var], 0.7, 100, 3000)
    s.variant = var
    s.params.update(tool=X, tail=n, same_args=same_args)
    target = len(s.events) + n
    s.mark_onset()
    cap = rng.uniform(15000, 120000)
    k = 0
    while len(s.events) < target:
        if var == 'rate_limit':
            s._failed_llm(s.model, fast=True)
            s.t += int(rng.uniform(50, 1500))
        elif var == 'tool_fail':
            s.llm(tool=X)
            s.tool(X, h if same_args else s.args(X, True), status='error',
                   lat=rng.uniform(30, 800) if rng.random() < 0.7 else rng.uniform(10000, 30000),
                   res=rng.uniform(50, 400))
        else:
            if rng.random() < 0.5:
                s._failed_llm(s.model)
            else:
                s.tool(X, h, status=s.fail_status(), res=rng.uniform(30, 200))
            s.t += int(min(cap, 500 * 2 ** min(k, 10)) * rng.uniform(0.5, 1.0))
        k += 1


def rw_context_growth(s, stats):
    rng = s.rng
    rate = rng.uniform(0.04, 0.15)
    prov = PRICES[s.model][0]
    mode = 'cache_write' if prov == 'anthropic' and rng.random() < 0.6 else 'input'
    start = max(3000, s.sys + s.ctx + s.pending)
    cap = PRICES[s.model][6] * rng.uniform(0.6, 0.95)
    n = tail_target(rng, 220, 0.7, 60, 900)
    s.unique_args = True
    s.growth = dict(rate=rate, mode=mode, cur=start, cap=cap, sysc=rng.random() < 0.5)
    s.variant = mode
    s.params.update(rate=round(rate, 3), start=start, cap=int(cap), tail=n)
    target = len(s.events) + n
    s.mark_onset()
    while len(s.events) < target:
        if rng.random() < 0.8:
            s.turn()
        else:
            s.llm()


def pick_spike_model(rng, m):
    base = typical_call_cost(m)
    c = [x for x in CATALOG if 5 <= typical_call_cost(x) / base <= 10]
    if not c:
        return None
    same = [x for x in c if PRICES[x][0] == PRICES[m][0]]
    return rng.choice(same if same and rng.random() < 0.7 else c)


def rw_cost_spike(s, stats):
    rng = s.rng
    var = 'model' if rng.random() < 0.6 else 'context'
    new = pick_spike_model(rng, s.model) if var == 'model' else None
    if var == 'model' and new is None:
        var = 'context'
    r = rng.uniform(5, 10)
    n = tail_target(rng, 250, 0.8, 80, 1500)
    s.variant = var
    if var == 'model':
        s.params.update(from_model=s.model, to_model=new,
                        ratio=round(typical_call_cost(new) / typical_call_cost(s.model), 2))
        s.model = new
    else:
        base = sorted(s.llm_costs)[len(s.llm_costs) // 2] if s.llm_costs else typical_call_cost(s.model)
        extra = (r - 1) * base / PRICES[s.model][1]
        extra = min(extra, PRICES[s.model][6] * 0.8)
        s.spike_extra = int(extra)
        s.params.update(ratio=round(r, 2), extra_tokens=int(extra))
    s.params['tail'] = n
    s.unique_args = True
    target = len(s.events) + n
    s.mark_onset()
    while len(s.events) < target:
        if rng.random() < 0.75:
            s.turn()
        else:
            s.llm()


def rw_session_budget(s, stats):
    rng = s.rng
    st = stats.get(s.task['name'], {})
    p99c = max(st.get('p99_cost', 1.0), 0.05)
    mult = rng.uniform(8, 40)
    goal = s.cost + max(p99c * mult, rng.uniform(3, 12))
    var = rng.choice(['huge_outputs', 'long_expensive'])
    if PRICES[s.model][2] < 8e-6 and rng.random() < 0.6:
        s.params['from_model'] = s.model
        s.model = rng.choice(['claude-opus-4-5', 'o3', 'claude-sonnet-4-5', 'gpt-4o', 'gemini/gemini-2.5-pro',
                              'claude-opus-4-1'])
    s.out_mult = rng.uniform(8, 30) if var == 'huge_outputs' else rng.uniform(2, 5)
    s.variant = var
    s.unique_args = True
    s.params.update(goal_usd=round(goal, 2), p99_cost=round(p99c, 4), mult=round(mult, 1), model=s.model)
    s.mark_onset()
    n0 = len(s.events)
    while s.cost < goal and len(s.events) - n0 < 3000:
        if rng.random() < 0.7:
            s.turn()
        else:
            s.llm()


def fanout_tail(s, fan, ctask):
    rng = s.rng
    var = fan['variant']
    total = fan['total']
    s.mark_onset()
    s.params.update(fanout_total=total)
    if var == 'recursive':
        rec = dict(depth=1, dmax=rng.randint(3, 6), b=(2, rng.randint(3, 5)), cap=total, count=[0])
        while rec['count'][0] < total:
            rec['count'][0] += 1
            s.spawn(ctask, runaway=True, recursive=dict(rec), call_llm=True)
            s.t += int(rng.uniform(200, 3000))
    else:
        per_llm = rng.choice([1, 2, 5, 10])
        for i in range(total):
            s.spawn(ctask, runaway=True, call_llm=(i % per_llm == 0))
            if var == 'slow_leak':
                s.t += int(rng.uniform(20000, 120000))
            else:
                s.t += int(rng.uniform(100, 3000))
    s.params['fanout_spawned'] = len([c for c in s.tree if c.label == 'runaway' and c is not s])


def rw_subagent_fanout(s, stats, fan):
    t = s.task
    ctask = s.f.tasks.get(t.get('child') or '') or pick_child_task(s.f, s.rng)
    fanout_tail(s, fan, ctask)


def pick_child_task(f, rng):
    cs = [t for t in f.tasks.values() if t.get('child_only')]
    return rng.choice(cs)


RW = {'loop_repeat': rw_loop_repeat, 'loop_cycle': rw_loop_cycle, 'ping_pong': rw_ping_pong,
      'step_runaway': rw_step_runaway, 'retry_storm': rw_retry_storm, 'context_growth': rw_context_growth,
      'cost_spike': rw_cost_spike, 'session_budget': rw_session_budget}


# ---------------------------------------------------------------------------
def plan(fleet, n, rng):
    """Plan top-level sessions: (start, task, agent, seed)."""
    tops = fleet.top_tasks
    wts = [t.get('w', 1) for t in tops]
    sessions = []
    # pipeline batch jobs: clustered starts
    batchable = [t for t in tops if t.get('batch')]
    i = 0
    while i < n:
        if batchable and fleet.profile in ('pipeline', 'mixed') and rng.random() < (0.035 if fleet.profile == 'pipeline'
                                                                                     else 0.01):
            t = rng.choice(batchable)
            t0 = fleet.start_time(rng)
            ags = fleet.agents_for(t['name'], t0)
            a = rng.choices(ags, [x.weight for x in ags])[0]
            size = min(n - i, int(lognorm(rng, 40, 0.7, 10, 250)))
            ten = fleet.pick_tenant(rng)
            tt = t0
            for _ in range(size):
                tt += int(rng.expovariate(1 / rng.uniform(500, 6000)))
                sessions.append(dict(start=tt, task=t, agent=a, seed=rng.getrandbits(64), tenant=ten, batch=True))
                i += 1
            continue
        t = rng.choices(tops, wts)[0]
        st = fleet.start_time(rng)
        ags = fleet.agents_for(t['name'], st)
        while not ags:
            st = fleet.start_time(rng)
            ags = fleet.agents_for(t['name'], st)
        a = rng.choices(ags, [x.weight for x in ags])[0]
        sessions.append(dict(start=st, task=t, agent=a, seed=rng.getrandbits(64), tenant=None, batch=False))
        i += 1
    return sessions


KIND_W = {
    'saas': {'session_budget': 10, 'cost_spike': 10, 'loop_repeat': 16, 'loop_cycle': 10, 'ping_pong': 14,
             'step_runaway': 10, 'retry_storm': 12, 'context_growth': 12, 'subagent_fanout': 5},
    'devtools': {'session_budget': 10, 'cost_spike': 9, 'loop_repeat': 18, 'loop_cycle': 15, 'ping_pong': 8,
                 'step_runaway': 12, 'retry_storm': 10, 'context_growth': 12, 'subagent_fanout': 6},
    'pipeline': {'session_budget': 9, 'cost_spike': 10, 'loop_repeat': 13, 'loop_cycle': 11, 'ping_pong': 8,
                 'step_runaway': 9, 'retry_storm': 15, 'context_growth': 9, 'subagent_fanout': 9},
    'mixed': {k: 11 for k in RUNAWAY_KINDS},
}


def choose_runaways(fleet, sessions, rng):
    n = len(sessions)
    rate = rng.uniform(0.05, 0.075)
    R = max(len(RUNAWAY_KINDS), int(round(n * rate)))
    kw = KIND_W[fleet.profile]
    kinds = []
    mn = 2 if R >= 27 else 1
    for k in RUNAWAY_KINDS:
        kinds += [k] * mn
    while len(kinds) < R:
        kinds.append(rng.choices(list(kw), list(kw.values()))[0])
    rng.shuffle(kinds)
    free = list(range(n))
    rng.shuffle(free)
    taken = set()
    out = {}
    for k in kinds:
        allow_agentic = rng.random() < 0.15

        def ok(i):
            sp = sessions[i]
            t = sp['task']
            if i in taken:
                return False
            if k == 'ping_pong':
                return t['style'] == 'handoff'
            if k == 'subagent_fanout':
                return t['style'] in ('mapreduce', 'agentic') and (t['style'] == 'mapreduce' or
                                                                   t['profile'] != 'pipeline' or allow_agentic)
            if k == 'step_runaway':
                return t['style'] in ('agentic', 'chat', 'handoff')
            if k == 'session_budget':
                return t['style'] in ('agentic', 'chat', 'handoff', 'doc')
            return True
        for j, i in enumerate(free):
            tt = sessions[i]['task']
            if rng.random() > min(1.0, max(0.1, tt['turns'][0] / 8.0)):
                continue
            if ok(i):
                taken.add(i)
                out[i] = k
                free.pop(j)
                break
    return out, rate


def gen_tree(fleet, sp, rkind, stats, sid_rng):
    rng = random.Random(sp['seed'])
    sid = new_session_id(sid_rng, fleet.profile)
    t = sp['task']
    a = sp['agent']
    tid = None
    if t['profile'] != 'saas' or t['style'] in ('handoff',) or rng.random() < 0.5:
        tid = 'task-%016x' % rng.getrandbits(64)
    s = Sess(fleet, rng, sid, a, t, sp['start'], tid, tenant=sp['tenant'])
    s.tree = [s]
    if a.created is not None:
        s.trap('new_agent')
    if a.upgrade and sp['start'] >= a.upgrade[0]:
        s.trap('model_upgrade')
    if a.ephemeral:
        s.trap('ephemeral_agent')
    if sp.get('batch'):
        s.trap('batch_job')
    flow = FLOWS[t['style']]
    if rkind is None:
        assign_normal_traps(s, rng)
        flow(s)
    else:
        s.label = 'runaway'
        s.kind = rkind
        if rkind == 'subagent_fanout':
            var = rng.choices(['flat', 'recursive', 'slow_leak'], [50, 30, 20])[0]
            total = int(lognorm(rng, 90 if var != 'slow_leak' else 80, 0.6,
                                60 if t['style'] == 'mapreduce' else 40, 700))
            fan = dict(variant=var, total=total)
            s.variant = var
            if t['style'] == 'mapreduce':
                flow_mapreduce(s, fanout=fan)
            else:
                s.prefix_frac = rng.uniform(0.15, 0.7)
                flow(s, nofinal=True)
                s.params['normal_children'] = 0
                rw_subagent_fanout(s, stats, fan)
        elif rkind == 'step_runaway':
            flow(s, nofinal=True)
            RW[rkind](s, stats)
        else:
            s.prefix_frac = rng.uniform(0.1, 0.8)
            s.min_prefix = 2
            if t['style'] in ('doc', 'classify'):
                s.prefix_frac = None
            flow(s, nofinal=True)
            s.halt_at = None
            RW[rkind](s, stats)
        s.halt_at = None
    return s


# ---------------------------------------------------------------------------
PRIO = ['provider_incident', 'big_doc', 'router_escalation', 'legit_retry', 'batch_edit', 'ci_polling',
        'repeat_tests', 'handoff', 'idle_gaps', 'subagent_tree', 'subagent_child', 'model_upgrade', 'new_agent',
        'ephemeral_agent', 'long_task', 'batch_job']


def normal_kind(s):
    for p in PRIO:
        if p in s.traps:
            return p
    return 'normal'


def q(vals, p):
    if not vals:
        return 0
    v = sorted(vals)
    return v[min(len(v) - 1, int(p * len(v)))]


def trial_cost(fleet, a, seed, n=10):
    rng = random.Random(seed)
    costs = []
    t = fleet.tasks[a.tasks[0]]
    for k in range(80):
        if k >= n and len(costs) >= 60:
            break
        s = Sess(fleet, random.Random(rng.getrandbits(64)), 'trial', a, t, a.created + k * 977 * 1000, None)
        s.tree = [s]
        FLOWS[t['style']](s)
        costs += s.llm_costs
    return q(costs, 0.5)


def calibrate_new_agents(fleet, rng):
    """Give each brand-new agent a per-action cost of 3-5x the fleet's median per-action cost
    (searching model x context/output scale, since prompt-cache minimums make cost non-monotonic)."""
    ref = fleet.p50_action
    for a in fleet.new_agents:
        r = rng.uniform(3, 5)
        tgt = r * ref
        pool = PRICEY + MID + CHEAP
        cands = [a.model] + rng.sample(pool, 9)
        best = None
        seed = rng.getrandbits(64)
        for m in cands:
            a.model = m
            for kk in (0.5, 1.0, 2.0):
                a.ctx_scale = a.out_scale = kk
                c = trial_cost(fleet, a, seed)
                err = abs(math.log(max(c, 1e-9) / tgt))
                if best is None or err < best[2]:
                    best = (m, kk, err)
            if best[2] < 0.1:
                break
        m, k0, _ = best
        a.model = m
        bestk = (k0, best[2])
        for g in range(9):
            kk = k0 * 2 ** ((g - 4) / 4.0)
            a.ctx_scale = a.out_scale = kk
            c = trial_cost(fleet, a, seed)
            err = abs(math.log(max(c, 1e-9) / tgt))
            if err < bestk[1]:
                bestk = (kk, err)
        k = bestk[0]
        a.ctx_scale = a.out_scale = k
        a.calib = dict(target_ratio=round(r, 2), fleet_p50_action=ref, scale=round(k, 3), model=m,
                       log_err=round(bestk[1], 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--profile', choices=['saas', 'devtools', 'pipeline', 'mixed'], default='mixed')
    ap.add_argument('--sessions', type=int, default=3000, help='top-level sessions (sub-agent children come extra)')
    ap.add_argument('--days', type=float, default=None, help='simulated days (default: drawn in [1,2])')
    ap.add_argument('--out', required=True)
    ap.add_argument('--labels', required=True)
    ap.add_argument('--dup-rate', type=float, default=0.003)
    args = ap.parse_args()

    fleet = Fleet(args.profile, args.seed, args.days)
    rng = random.Random(fleet.rng.getrandbits(64))
    sid_rng = random.Random(fleet.rng.getrandbits(64))
    sessions = plan(fleet, args.sessions, rng)
    rmap, rate = choose_runaways(fleet, sessions, rng)

    trees = [None] * len(sessions)
    sid_seeds = [sid_rng.getrandbits(64) for _ in sessions]
    # pass 1: normal sessions of established agents
    new_set = set(fleet.new_agents)
    for i, sp in enumerate(sessions):
        if i not in rmap and sp['agent'] not in new_set:
            trees[i] = gen_tree(fleet, sp, None, {}, random.Random(sid_seeds[i]))
    fleet_costs = [c for tr in trees if tr for s in tr.tree for c in s.llm_costs]
    fleet.p50_action = q(fleet_costs, 0.5)
    calibrate_new_agents(fleet, random.Random(fleet.rng.getrandbits(64)))
    # pass 1b: new agents' normal sessions
    for i, sp in enumerate(sessions):
        if i not in rmap and sp['agent'] in new_set:
            trees[i] = gen_tree(fleet, sp, None, {}, random.Random(sid_seeds[i]))
    # per-task stats of normal top-level sessions
    per = {}
    for i, tr in enumerate(trees):
        if tr is None:
            continue
        d = per.setdefault(tr.task['name'], ([], []))
        d[0].append(len(tr.events))
        d[1].append(tr.cost)
    stats = {k: dict(p99_events=q(v[0], 0.99), p99_cost=q(v[1], 0.99), p50_events=q(v[0], 0.5),
                     p50_cost=q(v[1], 0.5)) for k, v in per.items()}
    # pass 2: runaways
    for i, sp in enumerate(sessions):
        if i in rmap:
            trees[i] = gen_tree(fleet, sp, rmap[i], stats, random.Random(sid_seeds[i]))

    # collect
    all_sess = []
    for tr in trees:
        all_sess.extend(tr.tree)
    rows = []
    seq = 0
    jr = random.Random(fleet.rng.getrandbits(64))
    for s in all_sess:
        prev = 0
        for (t, eid, line) in s.events:
            d = t + int(min(500, jr.expovariate(1 / 70.0)))
            if d < prev:
                d = prev
            prev = d
            rows.append((d, seq, line))
            seq += 1
    rows.sort()
    # duplicates (redelivery): singles and small consecutive batches
    ndup = int(len(rows) * args.dup_rate)
    dups = []
    while len(dups) < ndup:
        j = jr.randrange(len(rows))
        blen = 1 if jr.random() < 0.6 else jr.randint(2, 12)
        delay = int(jr.uniform(200, 5000)) if jr.random() < 0.7 else int(jr.uniform(30000, 300000))
        for k in range(j, min(len(rows), j + blen)):
            d, sq, line = rows[k]
            dups.append((d + delay, sq, line))
    rows.extend(dups)
    rows.sort(key=lambda r: (r[0], r[1]))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as fo:
        for r in rows:
            fo.write(r[2])
            fo.write('\n')

    # labels + meta
    stem = args.labels[:-len('.ndjson')] if args.labels.endswith('.ndjson') else args.labels
    meta_path = stem + '.meta.ndjson'
    all_sess.sort(key=lambda s: (s.events[0][0] if s.events else s.t_start))
    with open(args.labels, 'w') as fl, open(meta_path, 'w') as fm:
        for s in all_sess:
            if not s.events:
                continue
            if s.label == 'runaway':
                kind = s.kind
                onset = s.events[s.onset_idx][1] if s.onset_idx is not None else s.events[0][1]
                onset_idx = s.onset_idx if s.onset_idx is not None else 0
            else:
                kind = normal_kind(s)
                onset = None
                onset_idx = None
            lab = {'session_id': s.sid, 'label': s.label, 'kind': kind, 'onset_event_id': onset,
                   'task_id': s.task_id}
            if s.part_of:
                lab['part_of'] = s.part_of
            fl.write(json.dumps(lab) + '\n')
            meta = dict(session_id=s.sid, label=s.label, kind=kind, agent=s.first_agent.base,
                        agent_id=s._agent_id(s.first_agent),
                        agents=sorted({s._agent_id(a) for a in s.agent_ids}), task_type=s.task['name'],
                        task_profile=s.task['profile'], model=s.first_agent.model_at(s.t_start),
                        models=s.models_used, n_events=len(s.events), n_llm=s.n_llm,
                        cost_est_usd=round(s.cost, 6), traps=s.traps, variant=s.variant,
                        params=s.params, onset_index=onset_idx,
                        onset_ts_ms=(s.events[onset_idx][0] if onset_idx is not None else None),
                        natural_llm_turns=s.natural_len,
                        start_ts_ms=s.events[0][0], end_ts_ms=s.events[-1][0],
                        parent_session_id=(s.parent.sid if s.parent else None), part_of=s.part_of,
                        tenant=s.tenant, env=s.env, n_children=len(s.children),
                        task_stats=stats.get(s.task['name']))
            if s.label == 'runaway':
                meta['cost_before_onset'] = round(getattr(s, 'cost_at_onset', 0.0), 6)
            fm.write(json.dumps(meta) + '\n')
        # fleet-level info line
    info = dict(profile=fleet.profile, seed=fleet.seed, days=fleet.days, runaway_rate_target=round(rate, 4),
                top_sessions=len(sessions), sessions=len(all_sess), events=len(rows), duplicates=len(dups),
                fleet_p50_action=fleet.p50_action,
                agents=[dict(base=a.base, tasks=a.tasks, model=a.model, role=a.role, created_ms=a.created,
                             calib=getattr(a, 'calib', None),
                             upgrade=a.upgrade, ephemeral=bool(a.ephemeral), ts=a.src['ts'], gateway=a.gw)
                        for a in fleet.agents],
                incidents=fleet.incidents, task_stats=stats)
    with open(stem + '.fleet.json', 'w') as ff:
        json.dump(info, ff, indent=1)
    print('%s seed=%d days=%.2f top=%d sessions=%d events=%d dups=%d runaways=%d' % (
        fleet.profile, fleet.seed, fleet.days, len(sessions), len(all_sess), len(rows), len(dups), len(rmap)),
        file=sys.stderr)


if __name__ == '__main__':
    main()
