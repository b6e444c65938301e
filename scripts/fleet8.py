#!/usr/bin/env python3
"""fleet8 -- independent, labelled synthetic AI-agent usage fleet for `runaway`.

Written only against /work/shared/CONTRACT.md (section 1 event, section 2
reasons) and the price catalog in models/.  Standard library only; output is a
pure function of (--seed, --profile, --sessions, catalog file).

Usage
-----
    python3 scripts/fleet8.py --seed 1 --profile security --sessions 1000 \
        --out /work/fl/fleet8/security-s1.ndjson \
        --labels /work/fl/fleet8/security-s1.labels.ndjson
    python3 scripts/fleet8-stats.py EVENTS LABELS      # checks + summary

--sessions used for /work/fl/fleet8 (~150k-400k events per file):
security 1000, commerce 800, planning 700, science 1300, mixed 700.

Domains (--profile)
-------------------
security  pentest / vuln-triage: recon scanners sweeping hundreds of hosts
          (same tool, different args), triage <-> exploit-verification,
          exploit payload iteration, report writers on opus (big calls).
commerce  catalog enrichment over thousands of SKUs (descriptions, image
          captions), price monitors polling competitor prices in rounds with
          minutes-long waits, returns/refund agents waiting on a human.
planning  MCTS planners spawning heavy-tailed numbers of rollout sub-sessions,
          tree-of-thought with nested branches, proposer/critic debates that
          hand off a few rounds, o-series / gpt-5 / thinking solvers whose
          reasoning tokens vary ~10x call to call.
science   HPC/bioinformatics job runners (submit then poll the same args for
          hours with waits), literature reviews with heavy prompt caching,
          notebooks whose context grows then is compacted, liquid-handler
          agents iterating 96/384 wells.
mixed     all four in one stream.

Fleet-wide events (every profile): 24-48 h of event time with a daily rhythm;
scheduled bursts (hundreds of sessions start within ~2 min); a fleet-wide
model upgrade at T_up (every agent's cost per action rises ~2-3x from then on,
sessions in flight switch mid-session); one or two provider outages (burst of
retry/error LLM calls in many sessions at once, exponential backoff, some
SDKs give up); a brand-new pricier agent appearing mid-stream; one unknown
model name used rarely; one legacy agent that sends no task_type.

Events: contract section 1.  `ts` mixes RFC 3339 (Z with ms, +00:00 with us,
-05:00 offset, whole seconds) and epoch millis, per emitter and per tool proxy.
Bus order = event time + per-session producer lag (never reordered within a
session, jittered across sessions).  ~0.3% redeliveries (identical line,
same event_id, a little later).  cost_usd is sent by "gateway" agents (catalog
price times a negotiated discount, so it is the truth) and by a few paid tools;
elsewhere it is absent and must be priced from the catalog.  reasoning_tokens
are reported separately from output_tokens (priced at the output rate).

Runaway kinds (label kind; onset_event_id = first event emitted by the
runaway behaviour; before it the session is normal):
  loop_repeat     same tool + same args_hash over and over (LLM call + tool
                  call per iteration, or tight re-polling of a job with an LLM
                  call each time).  Onset: first LLM call of iteration 1.
  loop_cycle      a cycle of 2-4 (tool,args) pairs repeated without waits.
  ping_pong       handoffs A->B->A... (B is a separate child session labelled
                  part_of A, or 30%: both speakers inside one session).
                  For debates, onset is the first handoff past the planned
                  legit rounds.
  step_runaway    distinct, plausible steps that never converge; onset = first
                  event after the session's planned normal length.
  retry_storm     a tool (or the LLM endpoint) starts failing and the agent
                  retries forever with no/short backoff; onset = first failure.
  context_growth  compaction/windowing stops; every step appends 5-40k tokens
                  until the model's context cap, then stays pinned there.
  cost_spike      switch to a far pricier config (opus-4-1/o1/gpt-5.5(-cyber)
                  and/or huge reasoning/output), >=10x per call; onset = first
                  call on that config.
  session_budget  an already-expensive agent keeps working past its planned
                  end with 2-4x costlier steps; nothing spikes, spend piles up.
  subagent_fanout root spawns sub-agents without bound (children sometimes
                  recurse); onset = root's first spawn of the runaway phase;
                  children spawned after it are labelled part_of the root.
Onsets vary: early (first units), mid, late, at a model switch (fallback
model), or when a tool starts returning errors.  Post-onset runs are long
(150-4000 events or until a large spend cap).

Normal traps (label "normal", kind = trap name): long_scan, sku_batch,
plate_batch, price_poll_rounds, hitl_wait, mcts_branching, tot_branching,
debate_rounds, reasoning_variance, job_polling, cached_long_context,
context_compaction, single_expensive_call, provider_outage,
model_upgrade_midsession, new_pricey_agent, scheduled_burst, legit_retry
(2-3 retries then ok), handoff_escalation, unknown_model, legacy_no_task_type.
"""

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.join(HERE, '..', 'models', 'model_prices_and_context_window.json')
PROFILES = ('security', 'commerce', 'planning', 'science', 'mixed')
KINDS = ('loop_repeat', 'loop_cycle', 'ping_pong', 'step_runaway', 'retry_storm',
         'context_growth', 'cost_spike', 'session_budget', 'subagent_fanout')
UNKNOWN_MODEL = 'northwind-ft-llm-8b'
BASE = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)

# fleet-wide upgrade path (applied at T_up); token multiplier tunes 2-3x/action
UPGRADE = {
    'gpt-4.1-mini': 'gpt-5.4-mini', 'gpt-5-mini': 'gpt-5.4-mini', 'gpt-4o-mini': 'gpt-4.1-mini',
    'gpt-4.1-nano': 'gpt-5.4-nano', 'gpt-5-nano': 'gpt-5.4-nano', 'gpt-4.1': 'gpt-5.4',
    'gpt-4o': 'gpt-5.4', 'gpt-4o-2024-11-20': 'gpt-5.4', 'gpt-5': 'gpt-5.2', 'o4-mini': 'o3', 'o3': 'gpt-5.5',
    'claude-haiku-4-5': 'claude-sonnet-4-5', 'claude-haiku-4-5-20251001': 'claude-sonnet-4-5-20250929',
    'claude-sonnet-4-5': 'claude-opus-4-5', 'claude-sonnet-4-5-20250929': 'claude-opus-4-5-20251101',
    'gemini/gemini-2.5-flash': 'gemini/gemini-3.6-flash',
    'gemini/gemini-2.5-flash-lite': 'gemini/gemini-3.1-flash-lite',
    'gemini/gemini-2.5-pro': 'gemini/gemini-3.1-pro-preview',
    'deepseek-chat': 'deepseek-v4-flash', 'deepseek-reasoner': 'deepseek-v4-flash',
    'mistral/magistral-small-latest': 'mistral/magistral-medium-latest',
    'mistral/devstral-medium-latest': 'mistral/magistral-medium-latest',
}
FALLBACK = {  # model switched to at a 'model_switch' onset (not pricier per se)
    'anthropic': ['gpt-4.1', 'gemini/gemini-2.5-flash', 'gpt-5-mini'],
    'openai': ['claude-sonnet-4-5', 'gemini/gemini-2.5-flash', 'deepseek-chat'],
    'gemini': ['gpt-4.1-mini', 'claude-haiku-4-5'],
    'deepseek': ['gpt-4o-mini', 'gemini/gemini-2.5-flash-lite'],
    'mistral': ['gpt-4.1-mini', 'claude-haiku-4-5'],
}
SPIKE_MODELS = ['claude-opus-4-1', 'o1', 'gpt-5.5', 'claude-opus-4-5', 'gpt-5.5-cyber']
REASONING_PREFIX = ('o1', 'o3', 'o4', 'gpt-5', 'claude-opus', 'claude-sonnet', 'gemini/gemini-2.5-pro',
                    'gemini/gemini-3', 'deepseek-reasoner', 'deepseek-v4-pro', 'mistral/magistral')
TOOL_COST = {'shodan_lookup': 0.002, 'fetch_competitor_price': 0.0004, 'submit_job': 0.05,
             'reverse_image_search': 0.001}


def S(**kw):
    return kw


# --------------------------------------------------------------------------- specs
SPECS = {
    # ------------------------------------------------------------ security
    'recon_scan': S(domain='security', task_type='recon_scan', style='batch', w=3.0,
                    agents=['sec-recon-nmap', 'sec-recon-asm', 'sec-recon-cloud', 'sec-recon-legacy'],
                    legacy_agent='sec-recon-legacy',
                    models=['gpt-4.1-mini', 'gpt-5-mini', 'claude-haiku-4-5'], ctx0=3500, res=700, out=160,
                    window=14000, n_med=40, n_sig=1.1, n_max=1500, item='host',
                    main='nmap_scan', extra=[('http_probe', .45), ('tls_inspect', .2), ('shodan_lookup', .08)],
                    trap=('long_scan', 150), child='subdomain_worker', p_child=.15, partner='vuln_triage',
                    tenants=['redteam-ops', 'appsec'], burst=True),
    'vuln_triage': S(domain='security', task_type='vuln_triage', style='general', w=2.0,
                     agents=['sec-triage', 'sec-triage-sca'],
                     models=['claude-sonnet-4-5', 'gpt-4.1', 'claude-sonnet-4-5-20250929'], ctx0=6000, res=900,
                     out=450, compact=70000, n_med=14, n_sig=.8, n_max=200,
                     vocab=[('read_finding', 4), ('cve_lookup', 3), ('query_asset_db', 2), ('severity_score', 2),
                            ('update_ticket', 1)], partner='exploit_verify', p_handoff=.06,
                     tenants=['appsec', 'soc']),
    'exploit_verify': S(domain='security', task_type='exploit_verification', style='general', w=1.2,
                        agents=['sec-exploit-verify', 'sec-exploit-web'],
                        models=['gpt-5', 'claude-sonnet-4-5', 'o4-mini'], ctx0=5000, res=1200, out=350, rs=1500,
                        compact=90000, n_med=12, n_sig=.9, n_max=250, unknown_p=.04,
                        vocab=[('run_exploit', 5), ('check_callback', 3), ('craft_payload', 2), ('read_finding', 1)],
                        partner='vuln_triage', tenants=['redteam-ops']),
    'pentest_report': S(domain='security', task_type='pentest_report', style='general', w=.8,
                        agents=['sec-report-writer'], models=['claude-opus-4-5', 'claude-sonnet-4-5'],
                        ctx0=20000, res=4000, out=2200, n_med=9, n_sig=.6, n_max=60, compact=150000,
                        vocab=[('read_evidence', 4), ('render_markdown', 1), ('fetch_screenshot', 1)],
                        child='section_writer', p_child=.35, partner='sec_reviewer', tenants=['redteam-ops']),
    'sec_redteam_premium': S(domain='security', task_type='adversary_emulation', style='general', w=1.0,
                             new=True, agents=['sec-redteam-opus-v1'], models=['claude-opus-4-1'],
                             ctx0=9000, res=1500, out=700, rs=2000, n_med=18, n_sig=.7, n_max=200,
                             compact=120000,
                             vocab=[('run_exploit', 3), ('lateral_move_sim', 2), ('read_finding', 2),
                                    ('c2_beacon_check', 1)], partner='sec_reviewer', tenants=['redteam-ops']),
    'subdomain_worker': S(domain='security', task_type='subdomain_scan', style='mini', sub=True,
                          agents=['sec-subdomain-worker'], models=['gpt-4.1-nano', 'gpt-5-nano'], ctx0=1500,
                          res=400, out=90, n_med=4, n_sig=.6, n_max=20,
                          vocab=[('dns_resolve', 2), ('nmap_scan', 2), ('http_probe', 1)]),
    'section_writer': S(domain='security', task_type='report_section', style='mini', sub=True,
                        agents=['sec-section-writer'], models=['claude-sonnet-4-5'], ctx0=8000, res=2500,
                        out=1500, n_med=3, n_sig=.5, n_max=10, vocab=[('read_evidence', 1)]),
    'sec_reviewer': S(domain='security', task_type='report_review', style='mini', sub=True,
                      agents=['sec-reviewer'], models=['gpt-4.1', 'claude-sonnet-4-5'], ctx0=6000, res=1500,
                      out=500, n_med=3, n_sig=.5, n_max=10, vocab=[('read_evidence', 2), ('check_claim', 1)]),
    # ------------------------------------------------------------ commerce
    'catalog_enrich': S(domain='commerce', task_type='sku_description_batch', style='batch', w=3.0,
                        agents=['cat-enrich-eu', 'cat-enrich-us', 'cat-enrich-mkt', 'cat-enrich-legacy'],
                        legacy_agent='cat-enrich-legacy',
                        models=['gpt-4o-mini', 'gpt-4.1-mini', 'gemini/gemini-2.5-flash', 'deepseek-chat'],
                        ctx0=1800, res=600, out=380, window=5000, n_med=60, n_sig=1.0, n_max=3000, item='sku',
                        pre='fetch_product', main='update_listing', extra=[('translate_listing', .15)],
                        trap=('sku_batch', 300), child='category_worker', p_child=.12, partner='cat_compliance',
                        tenants=['shop-eu', 'shop-us', 'marketplace'], burst=True, unknown_p=.006),
    'image_caption': S(domain='commerce', task_type='image_captioning', style='batch', w=2.0,
                       agents=['img-caption-a', 'img-caption-b'],
                       models=['gpt-4o-mini', 'gemini/gemini-2.5-flash-lite', 'claude-haiku-4-5'], ctx0=1400,
                       res=1100, out=120, window=4000, n_med=70, n_sig=1.0, n_max=3000, item='img',
                       pre='fetch_image', main='save_caption', extra=[('reverse_image_search', .05)],
                       trap=('sku_batch', 300), partner='cat_compliance', tenants=['shop-eu', 'marketplace'],
                       burst=True),
    'price_monitor': S(domain='commerce', task_type='price_monitoring', style='price', w=1.5,
                       agents=['price-watch-1', 'price-watch-2'], models=['gpt-4.1-nano', 'gpt-4o-mini'],
                       ctx0=2000, res=150, out=220, window=6000, n_med=7, n_sig=.7, n_max=40,
                       vocab=[('fetch_competitor_price', 3), ('update_price', 1), ('read_rules', 1)],
                       partner='ops_escalation', tenants=['shop-us', 'marketplace']),
    'returns_refund': S(domain='commerce', task_type='returns_refund', style='hitl', w=2.0,
                        agents=['returns-bot', 'refunds-agent'],
                        models=['claude-haiku-4-5', 'gpt-4.1-mini', 'claude-sonnet-4-5'], ctx0=4000, res=700,
                        out=300, compact=60000, n_med=1.6, n_sig=.6, n_max=8, partner='fraud_check',
                        vocab=[('lookup_order', 2), ('get_return_policy', 1), ('risk_score', 1),
                               ('issue_refund', 1)],
                        p_handoff=.12, tenants=['shop-eu', 'shop-us']),
    'catalog_premium': S(domain='commerce', task_type='sku_description_premium', style='batch', w=1.0,
                         new=True, agents=['cat-enrich-premium-v2'], models=['gpt-5.5'], ctx0=3500, res=900,
                         out=900, rs=800, window=9000, n_med=40, n_sig=.8, n_max=800, item='sku',
                         pre='fetch_product', main='update_listing', extra=[('brand_voice_check', .3)],
                         partner='cat_compliance', tenants=['marketplace']),
    'category_worker': S(domain='commerce', task_type='category_enrich', style='mini', sub=True,
                         agents=['cat-category-worker'], models=['gpt-4o-mini'], ctx0=1500, res=500, out=300,
                         n_med=5, n_sig=.6, n_max=30, vocab=[('fetch_product', 1), ('update_listing', 1)]),
    'cat_compliance': S(domain='commerce', task_type='listing_compliance', style='mini', sub=True,
                        agents=['cat-compliance'], models=['gpt-4.1-mini', 'claude-haiku-4-5'], ctx0=2500,
                        res=400, out=250, n_med=3, n_sig=.5, n_max=10, vocab=[('policy_check', 1)]),
    'fraud_check': S(domain='commerce', task_type='fraud_check', style='mini', sub=True,
                     agents=['fraud-check-agent'], models=['gpt-4.1-mini'], ctx0=3000, res=500, out=200,
                     n_med=3, n_sig=.5, n_max=10, vocab=[('risk_score', 2), ('order_history', 1)]),
    'ops_escalation': S(domain='commerce', task_type='ops_escalation', style='mini', sub=True,
                        agents=['ops-escalation'], models=['gpt-4.1-mini'], ctx0=2000, res=300, out=200,
                        n_med=2, n_sig=.5, n_max=8, vocab=[('open_ticket', 1)]),
    # ------------------------------------------------------------ planning
    'mcts_planning': S(domain='planning', task_type='mcts_planning', style='tree', w=2.2,
                       agents=['route-mcts', 'inventory-mcts', 'sched-mcts'], models=['gpt-5', 'o4-mini', 'o3'],
                       ctx0=5000, res=600, out=500, rs=3000, rs_sig=.8, n_med=2.2, n_sig=.5, n_max=5,
                       child='mcts_rollout', partner='plan_verifier', tenants=['logistics-ai', 'ops-research'],
                       vocab=[('expand_node', 2), ('simulate', 2), ('backprop', 1)],
                       burst=True),
    'tot_solver': S(domain='planning', task_type='tree_of_thought', style='tot', w=1.3,
                    agents=['tot-solver', 'tot-solver-claude'], models=['claude-sonnet-4-5', 'gpt-5'],
                    ctx0=4000, res=500, out=700, rs=2500, rs_sig=.9, n_med=3, n_sig=.4, n_max=5,
                    child='tot_branch', partner='plan_verifier', tenants=['research-lab'],
                    vocab=[('evaluate_thought', 2), ('select_branch', 1)]),
    'debate': S(domain='planning', task_type='debate_critique', style='debate', w=1.5,
                agents=['debate-proposer', 'debate-proposer-b'], models=['claude-sonnet-4-5', 'gpt-5', 'gpt-4.1'],
                ctx0=5000, res=800, out=600, rs=800, n_med=3.5, n_sig=.35, n_max=8, compact=100000,
                partner='debate_critic', vocab=[('retrieve_evidence', 1)], tenants=['research-lab', 'logistics-ai']),
    'reasoning_solver': S(domain='planning', task_type='constraint_solving', style='general', w=1.8,
                          agents=['solver-o3', 'solver-gpt5', 'solver-claude-think', 'solver-deepseek'],
                          models=['o3', 'gpt-5', 'claude-sonnet-4-5', 'deepseek-reasoner', 'o4-mini'],
                          ctx0=6000, res=900, out=600, rs=5000, rs_sig=1.05, n_med=8, n_sig=.8, n_max=120,
                          compact=110000, vocab=[('run_solver', 3), ('verify_plan', 2), ('lookup_constraints', 1)],
                          partner='plan_verifier', p_handoff=.05, tenants=['ops-research', 'logistics-ai'],
                          unknown_p=.03),
    'planner_pro': S(domain='planning', task_type='strategic_planning', style='general', w=1.0, new=True,
                     agents=['planner-o1-pro'], models=['o1'], ctx0=8000, res=1200, out=900, rs=9000, rs_sig=.9,
                     n_med=6, n_sig=.6, n_max=60, compact=120000,
                     vocab=[('run_solver', 2), ('verify_plan', 2)], partner='plan_verifier',
                     tenants=['ops-research']),
    'mcts_rollout': S(domain='planning', task_type='mcts_rollout', style='mini', sub=True,
                      agents=['mcts-rollout-worker', 'mcts-rollout-fast'],
                      models=['gpt-5-nano', 'gpt-4.1-nano', 'gemini/gemini-2.5-flash-lite'], ctx0=1800, res=300,
                      out=120, n_med=4, n_sig=.5, n_max=14, vocab=[('simulate', 3), ('score_state', 1)]),
    'tot_branch': S(domain='planning', task_type='tot_branch', style='mini', sub=True,
                    agents=['tot-branch'], models=['o4-mini', 'gpt-5-mini'], ctx0=2500, res=300, out=400, rs=1500,
                    rs_sig=.9, n_med=2, n_sig=.5, n_max=6, vocab=[('evaluate_thought', 1)]),
    'debate_critic': S(domain='planning', task_type='debate_critique', style='mini', sub=True,
                       agents=['debate-critic'], models=['gpt-5', 'claude-sonnet-4-5'], ctx0=5000, res=600,
                       out=500, rs=800, n_med=2, n_sig=.4, n_max=6, vocab=[('check_claim', 1)]),
    'plan_verifier': S(domain='planning', task_type='plan_verification', style='mini', sub=True,
                       agents=['plan-verifier'], models=['gpt-5-mini'], ctx0=3000, res=400, out=300, rs=600,
                       n_med=2, n_sig=.5, n_max=6, vocab=[('verify_plan', 1)]),
    # ------------------------------------------------------------ science
    'hpc_pipeline': S(domain='science', task_type='hpc_pipeline', style='poll', w=2.0,
                      agents=['bio-pipeline-runner', 'alphafold-runner', 'md-sim-runner'],
                      models=['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash'], ctx0=3000, res=250,
                      out=200, window=12000, n_med=22, n_sig=1.0, n_max=200, partner='lab_pi',
                      vocab=[('job_status', 2), ('submit_job', 1), ('fetch_results', 1)],
                      tenants=['genomics-core', 'structural-bio'], burst=True),
    'lit_review': S(domain='science', task_type='literature_review', style='general', w=1.6,
                    agents=['litreview-claude', 'litreview-gemini', 'litreview-gpt'],
                    models=['claude-sonnet-4-5', 'gemini/gemini-2.5-pro', 'gpt-4.1'], ctx0=45000, res=2500,
                    out=500, n_med=70, n_sig=.8, n_max=900, compact=170000, cache_hit=.97,
                    vocab=[('pubmed_search', 3), ('fetch_paper', 4), ('extract_table', 1), ('cite_graph', 1)],
                    trap=('cached_long_context', 0), child='paper_summarizer', p_child=.3, partner='lab_pi',
                    tenants=['genomics-core', 'pharma-rd']),
    'notebook': S(domain='science', task_type='notebook_analysis', style='notebook', w=2.0,
                  agents=['nb-analyst', 'nb-scrna', 'nb-proteomics'],
                  models=['claude-sonnet-4-5', 'gpt-4.1', 'gemini/gemini-2.5-flash', 'deepseek-chat'],
                  ctx0=7000, res=3500, out=500, compact=95000, n_med=30, n_sig=.9, n_max=400,
                  vocab=[('execute_cell', 3), ('read_dataframe', 1), ('plot_figure', 1)],
                  partner='stats_reviewer', p_handoff=.05, tenants=['genomics-core', 'pharma-rd'],
                  unknown_p=.02),
    'lab_automation': S(domain='science', task_type='lab_automation', style='batch', w=1.5,
                        agents=['liquid-handler-agent', 'plate-reader-agent'], models=['gpt-4.1-nano', 'gpt-5-mini'],
                        ctx0=2500, res=200, out=100, window=5000, n_med=96, n_sig=.7, n_max=1536, item='well',
                        main='dispense', extra=[('read_plate', .06), ('camera_check', .03)],
                        trap=('plate_batch', 200), partner='lab_pi', tenants=['wetlab-automation']),
    'protein_design': S(domain='science', task_type='protein_design', style='general', w=1.0, new=True,
                        agents=['protein-design-agent'], models=['claude-opus-4-5', 'gpt-5.4'], ctx0=15000,
                        res=3000, out=1200, rs=3000, n_med=15, n_sig=.7, n_max=200, compact=150000,
                        vocab=[('fold_structure', 2), ('score_binding', 2), ('fetch_pdb', 1)], partner='lab_pi',
                        tenants=['structural-bio']),
    'paper_summarizer': S(domain='science', task_type='paper_summary', style='mini', sub=True,
                          agents=['paper-summarizer'], models=['gemini/gemini-2.5-flash', 'claude-haiku-4-5'],
                          ctx0=12000, res=6000, out=600, n_med=2, n_sig=.5, n_max=8,
                          vocab=[('fetch_paper', 2), ('extract_table', 1)]),
    'stats_reviewer': S(domain='science', task_type='stats_review', style='mini', sub=True,
                        agents=['stats-reviewer'], models=['gpt-4.1', 'claude-sonnet-4-5'], ctx0=6000, res=800,
                        out=400, n_med=2, n_sig=.5, n_max=8, vocab=[('rerun_test', 1)]),
    'lab_pi': S(domain='science', task_type='pi_assistant', style='mini', sub=True,
                agents=['lab-pi-assistant'], models=['gpt-4.1-mini'], ctx0=3000, res=500, out=300, n_med=2,
                n_sig=.5, n_max=8, vocab=[('lims_query', 1)]),
}
# generic child for fan-out runaways of archetypes without a child spec
FANOUT_CHILD = {'security': 'subdomain_worker', 'commerce': 'category_worker', 'planning': 'mcts_rollout',
                'science': 'paper_summarizer'}
BURSTS = {  # (hour-of-day UTC, minute, spec ids)
    'security': [(1, 0, ['recon_scan']), (13, 30, ['recon_scan', 'vuln_triage'])],
    'commerce': [(2, 0, ['catalog_enrich', 'image_caption']), (9, 0, ['catalog_enrich'])],
    'planning': [(5, 0, ['mcts_planning']), (17, 0, ['mcts_planning', 'reasoning_solver'])],
    'science': [(0, 0, ['hpc_pipeline']), (20, 0, ['hpc_pipeline', 'lab_automation'])],
}


class Abort(Exception):
    pass


def H(s):
    return hashlib.blake2b(s.encode(), digest_size=8).hexdigest()


class Catalog:
    def __init__(self, path):
        with open(path) as f:
            d = json.load(f)
        self.d = {k: v for k, v in d.items() if isinstance(v, dict)}

    def provider(self, m):
        v = self.d.get(m)
        if v is None:
            return 'vllm-selfhosted'
        p = v.get('litellm_provider', 'unknown')
        return 'vertex_ai' if p.startswith('vertex_ai') else p

    def max_in(self, m):
        v = self.d.get(m) or {}
        return int(v.get('max_input_tokens') or 200000)

    def price(self, m, i, o, cr, cw, rs):
        v = self.d.get(m)
        if v is None:
            return None
        ic = v.get('input_cost_per_token') or 0.0
        oc = v.get('output_cost_per_token') or 0.0
        crc = v.get('cache_read_input_token_cost')
        cwc = v.get('cache_creation_input_token_cost')
        rc = v.get('output_cost_per_reasoning_token')
        crc = ic if crc is None else crc
        cwc = ic if cwc is None else cwc
        rc = oc if rc is None else rc
        return i * ic + o * oc + cr * crc + cw * cwc + rs * rc


def is_reasoning(m):
    return m.startswith(REASONING_PREFIX)


# --------------------------------------------------------------------------- agents
class Agent:
    def __init__(self, G, spec_id, aid):
        r = G.r
        sp = SPECS[spec_id]
        self.G, self.spec_id, self.sp, self.id = G, spec_id, sp, aid
        self.domain = sp['domain']
        self.task_type = sp['task_type']
        self.model0 = r.choice(sp['models'])
        self.len_mult = math.exp(r.gauss(0, .35))
        self.out_mult = math.exp(r.gauss(0, .3))
        self.ctx_mult = math.exp(r.gauss(0, .25))
        self.gap_mult = math.exp(r.gauss(0, .35))
        self.weight = math.exp(r.gauss(0, .6))
        prov = G.cat.provider(self.model0)
        self.cache = sp.get('cache', True) and prov in ('anthropic', 'openai', 'gemini', 'deepseek')
        self.cache_hit = sp.get('cache_hit', .85)
        self.gateway = r.random() < .25
        self.discount = r.choice([1.0, .92, .85, .8])
        self.ts_style = r.choices(['z3', 'epoch', 'off', 'z0', 'est'], [.34, .34, .12, .1, .1])[0]
        self.tool_epoch = self.ts_style != 'z0' and r.random() < .4
        self.eid_style = r.choice(['uuid', 'evt', 'seq'])
        self.sid_style = r.choice(['uuid', 'pref', 'dated'])
        self.v1 = r.random() < .4
        self.emit_tt = aid != sp.get('legacy_agent')
        self.emit_task = r.random() < .85
        self.tenant = r.choice(sp.get('tenants', [sp['domain']]))
        self.dims = {}
        if r.random() < .7:
            self.dims['tenant'] = self.tenant
        if r.random() < .5:
            self.dims['team'] = r.choice(['platform', 'ml-ops', 'agents', 'data', sp['domain'] + '-eng'])
        if r.random() < .4:
            self.dims['feature'] = sp['task_type'].split('_')[0]
        if r.random() < .6:
            self.dims['env'] = r.choices(['prod', 'staging'], [.9, .1])[0]
        self.lbl = {'region': r.choice(['us-east-1', 'eu-west-1', 'ap-south-1'])} if r.random() < .3 else None
        self.patient = r.random() < .4
        self.max_retries = r.randint(3, 8)
        self.p_tool_retry = r.uniform(.004, .025)
        self.unknown_p = sp.get('unknown_p', 0) if r.random() < .6 else 0
        self.n_med = sp['n_med'] * self.len_mult
        self.typ_ctx = (sp['ctx0'] * self.ctx_mult + (sp.get('window') or sp.get('compact') or 30000) * .35)
        self.typ_out = sp['out'] * self.out_mult
        self.typ_rs = sp.get('rs', 0) if is_reasoning(self.model0) else 0
        self.c_call = self.call_cost(self.model0)
        self.up_model = UPGRADE.get(self.model0)
        self.up_k = 1.0
        if self.up_model:
            old = self.c_call
            tgt = old * r.uniform(2.0, 3.0)
            base = self.call_cost(self.up_model, k=0.0)
            per_k = self.call_cost(self.up_model) - base
            self.up_k = min(2.5, max(.4, (tgt - base) / per_k)) if per_k > 0 else 1.0

    def call_cost(self, m, k=1.0):
        c = self.typ_ctx
        cr = c * .6 if self.cache else 0
        p = self.G.cat.price(m, c - cr, self.typ_out * k, cr, 0, self.typ_rs * k)
        return p or 0.0


# --------------------------------------------------------------------------- sessions
class Sess:
    def __init__(self, G, agent, t, parent=None, task_id=None):
        self.G, self.a, self.r = G, agent, G.r
        self.t = int(t)
        self.t_start = int(t)
        self.last_t = 0
        self.parent = parent
        self.task_id = task_id
        self.sid = G.new_sid(agent, t)
        self.ev = []
        self.batch = '%06x' % self.r.getrandbits(24)
        sp = agent.sp
        self.ctx = sp['ctx0'] * agent.ctx_mult * math.exp(self.r.gauss(0, .2))
        self.prev_prompt = 0
        self.last_model = None
        self.force_model = None
        self.no_compact = False
        self.grow_add = 0
        self.ctx_cap = None
        self.out_boost = 1.0
        self.rs_extra = 0
        self.fresh_p = 0.0
        self.flags = set()
        self.spent = 0.0
        self.want_onset = False
        self.onset = None
        self.onset_idx = None
        self.label = 'normal'
        self.kind = None
        self.part_of = None
        self.last_call = None
        self.partner_sess = None
        self.n_children = 0
        self.in_runaway = False
        G.sessions.append(self)

    # ---- helpers
    def gap(self, scale=1.0):
        return int(1200 * self.a.gap_mult * scale * math.exp(self.r.gauss(0, .8)))

    def model(self):
        if self.force_model:
            return self.force_model
        a = self.a
        if a.up_model and self.t >= self.G.t_up:
            if self.t_start < self.G.t_up:
                self.flags.add('model_upgrade_midsession')
            return a.up_model
        if a.unknown_p and self.r.random() < a.unknown_p:
            self.flags.add('unknown_model')
            return UNKNOWN_MODEL
        return a.model0

    def _emit(self, d, agent=None):
        a = agent or self.a
        if self.t <= self.last_t:
            self.t = self.last_t + 1
        self.last_t = self.t
        d['_t'] = self.t
        d['_a'] = a
        d['_s'] = self
        d['event_id'] = self.G.new_eid(a, self, len(self.ev))
        self.ev.append(d)
        self.spent += d.get('_c', 0.0)
        if self.want_onset:
            self.want_onset = False
            self.onset = d['event_id']
            self.onset_idx = len(self.ev) - 1
        return d

    # ---- actions
    def llm(self, tool=None, out=None, out_scale=1.0, gap=None, fresh=False, ctx_add=0, model=None,
            speaker=None, rs_scale=1.0):
        G, r = self.G, self.r
        a = speaker or self.a
        sp = a.sp
        self.t += self.gap() if gap is None else int(gap)
        m = model or (self.model() if speaker is None else a.model0)
        prov = G.cat.provider(m)
        if m != self.last_model:
            self.prev_prompt = 0
            self.last_model = m
        # compaction (normal behaviour of agents that have it)
        comp = sp.get('compact')
        if comp and not self.no_compact and self.ctx > comp * self.a.ctx_mult and speaker is None:
            self.flags.add('context_compaction')
            self._call(m, prov, int(self.ctx), int(r.uniform(1200, 3500)), 0, None, a, fresh=False)
            self.ctx = sp['ctx0'] * a.ctx_mult + self.ctx * r.uniform(.08, .2)
            self.prev_prompt = 0
            self.t += self.gap(.3)
        self._outage(m, prov, a)
        if r.random() < .003:  # legit 429 then ok
            for _ in range(r.randint(1, 2)):
                self._fail_llm(m, prov, 'retry', a)
                self.t += int(r.uniform(500, 4000))
            self.flags.add('legit_retry')
        C = int(self.ctx + ctx_add)
        cap = int(G.cat.max_in(m) * .96)
        if self.ctx_cap:
            cap = min(cap, self.ctx_cap)
        if C > cap:
            C = cap
            self.ctx = cap
        if out is None:
            out = sp['out'] * a.out_mult * math.exp(r.gauss(0, .55))
        out = int(min(32000, max(8, out * out_scale * self.out_boost * (a.up_k if m == a.up_model else 1.0))))
        rs = 0
        rs_med = sp.get('rs', 0)
        if is_reasoning(m) and (rs_med or self.rs_extra):
            rs = rs_med * math.exp(r.gauss(0, sp.get('rs_sig', .6))) * rs_scale
            if m == a.up_model:
                rs *= a.up_k
            rs = int(min(64000, rs + self.rs_extra * math.exp(r.gauss(0, .35))))
        fresh = fresh or (self.fresh_p and r.random() < self.fresh_p)
        self._call(m, prov, C, out, rs, tool, a, fresh=fresh)
        self.ctx = C + out

    def _call(self, m, prov, C, out, rs, tool, a, fresh=False, status='ok'):
        r, G = self.r, self.G
        cr = cw = 0
        inp = C
        if self.a.cache and not fresh and self.prev_prompt > 0 and m != UNKNOWN_MODEL:
            if r.random() < self.a.cache_hit:
                cr = int(min(self.prev_prompt, C) * r.uniform(.92, 1.0))
            inp = C - cr
            if prov == 'anthropic' and inp > 1024:
                cw = int(inp * r.uniform(.85, .97))
                inp -= cw
        self.prev_prompt = C + out
        lat = int(300 + out * r.uniform(7, 22) + rs * r.uniform(3, 8) + C * .003)
        self.t += lat
        cost = G.cat.price(m, inp, out, cr, cw, rs)
        d = {'kind': 'llm', 'model': m, 'provider': prov, 'input_tokens': inp, 'output_tokens': out}
        if cr:
            d['cache_read_tokens'] = cr
        if cw:
            d['cache_write_tokens'] = cw
        if rs:
            d['reasoning_tokens'] = rs
        if tool:
            d['tool'] = tool
        d['status'] = status
        d['latency_ms'] = lat
        if cost is None:
            cost = (inp + cr) * 2e-7 + (out + rs) * 8e-7  # internal rate of the self-hosted model
            if a.gateway:
                d['cost_usd'] = round(cost, 6)
            else:
                cost = 0.0
        elif a.gateway:
            cost = round(cost * a.discount, 6)
            d['cost_usd'] = cost
        d['_c'] = cost
        return self._emit(d, a)

    def _fail_llm(self, m, prov, status, a=None):
        a = a or self.a
        lat = int(self.r.choice([self.r.uniform(80, 600), self.r.uniform(2000, 30000)]))
        self.t += lat
        d = {'kind': 'llm', 'model': m, 'provider': prov, 'input_tokens': 0, 'output_tokens': 0,
             'status': status, 'latency_ms': lat, '_c': 0.0}
        if a.gateway:
            d['cost_usd'] = 0.0
        return self._emit(d, a)

    def _outage(self, m, prov, a):
        G, r = self.G, self.r
        for (o0, o1, oprov, p) in G.outages:
            if oprov == prov and o0 <= self.t < o1 and r.random() < p:
                self.flags.add('provider_outage')
                k = 0
                while self.t < o1 and r.random() < p + .1:
                    self._fail_llm(m, prov, r.choice(['retry', 'retry', 'error']), a)
                    k += 1
                    if (not a.patient and self.parent is None and self.label == 'normal'
                            and k >= a.max_retries):
                        self._fail_llm(m, prov, 'error', a)
                        raise Abort()
                    self.t += int(min(60000, 1000 * 2 ** min(k, 6)) * r.uniform(.5, 1.5))
                return

    def tool(self, name, args, status='ok', lat=None, res=None, gap=None, retries=True, speaker=None):
        r = self.r
        a = speaker or self.a
        self.t += int(r.uniform(20, 400)) if gap is None else int(gap)
        if lat is None:
            lat = int(TOOL_LAT.get(name, 350) * math.exp(r.gauss(0, .8)))
        if retries and status == 'ok' and r.random() < a.p_tool_retry:
            for _ in range(r.choice([1, 1, 2, 2, 3])):
                self._tool_ev(name, args, r.choice(['retry', 'error']), int(lat * r.uniform(.2, 1.5)), a)
                self.t += int(r.uniform(300, 6000))
            self.flags.add('legit_retry')
        self._tool_ev(name, args, status, lat, a)
        if res is None:
            res = a.sp['res'] * math.exp(r.gauss(0, .7))
        self.ctx += res + self.grow_add * math.exp(r.gauss(0, .3))
        win = a.sp.get('window')
        if win and not self.no_compact:
            lim = a.sp['ctx0'] * a.ctx_mult + win
            if self.ctx > lim:
                self.ctx = lim
        self.last_call = (name, args)

    def _tool_ev(self, name, args, status, lat, a):
        self.t += lat
        d = {'kind': 'tool', 'tool': name, 'args_hash': H(name + '|' + args), 'status': status, 'latency_ms': lat}
        c = TOOL_COST.get(name)
        if c is not None and status == 'ok':
            d['cost_usd'] = c
            d['_c'] = c
        return self._emit(d, a)

    def handoff(self, target, speaker=None):
        self.t += int(self.r.uniform(30, 400))
        return self._emit({'kind': 'handoff', 'target_agent_id': target, 'status': 'ok',
                           'latency_ms': int(self.r.uniform(5, 80))}, speaker)

    def wait(self, ms):
        self.t += int(ms)

    def item(self, i):
        return '%s-%s-%05d' % (self.a.sp.get('item', 'it'), self.batch, i)

    def ev_since_onset(self):
        return 0 if self.onset_idx is None else len(self.ev) - self.onset_idx


TOOL_LAT = {'nmap_scan': 9000, 'http_probe': 1500, 'tls_inspect': 2000, 'shodan_lookup': 700, 'run_exploit': 6000,
            'check_callback': 3000, 'fetch_product': 250, 'update_listing': 300, 'fetch_image': 600,
            'save_caption': 200, 'fetch_competitor_price': 900, 'submit_job': 1500, 'job_status': 250,
            'fetch_results': 2500, 'pubmed_search': 1200, 'fetch_paper': 2000, 'execute_cell': 4000,
            'dispense': 3500, 'read_plate': 9000, 'run_solver': 5000, 'simulate': 800, 'fold_structure': 30000,
            'request_human_approval': 300, 'spawn_subagent': 120, 'spawn_rollout': 80}


# --------------------------------------------------------------------------- work units per style
def vocab_pick(s):
    voc = s.a.sp.get('vocab') or [('do_step', 1)]
    return s.r.choices([v[0] for v in voc], [v[1] for v in voc])[0]


def work(s, i):
    """One unit of distinct, plausible work for the session's style."""
    st = s.a.sp['style']
    sp = s.a.sp
    r = s.r
    if st == 'batch':
        it = s.item(i)
        if sp.get('pre'):
            s.tool(sp['pre'], it, gap=r.uniform(50, 600))
        s.llm(tool=sp['main'], gap=s.gap(.4))
        s.tool(sp['main'], it)
        for name, p in sp.get('extra', ()):
            if r.random() < p:
                s.llm(tool=name, out_scale=.4, gap=s.gap(.3))
                s.tool(name, it + '/' + name)
    elif st == 'poll':
        job = 'job-%s-%d' % (s.batch, i)
        s.llm(tool='submit_job')
        s.tool('submit_job', job + '/params')
        for k in range(r.randint(2, 6)):
            s.wait(r.uniform(20000, 90000))
            s.tool('job_status', job, gap=0)
        s.tool('fetch_results', job)
        s.llm(out_scale=1.5)
    elif st == 'price':
        sku = 'sku-%s-%d' % (s.batch, i)
        s.tool('fetch_competitor_price', sku + '@' + r.choice(['amzn', 'ebay', 'wmt', 'otto']))
        s.llm(tool='update_price', out_scale=.5)
        if r.random() < .3:
            s.tool('update_price', sku)
    elif st == 'hitl':
        order = 'ord-%s-%d' % (s.batch, i)
        s.tool('lookup_order', order)
        s.llm(tool='get_return_policy')
        s.tool('get_return_policy', order + '/policy')
        s.llm(tool='send_email', out_scale=1.3)
        s.tool('send_email', order + '/mail')
    elif st in ('tree', 'tot'):
        node = 'node-%s-%d' % (s.batch, i)
        s.llm(tool='expand_node', rs_scale=.6)
        s.tool('expand_node', node)
        s.tool('simulate', node + '/sim')
    elif st == 'notebook':
        s.llm(tool='execute_cell')
        s.tool('execute_cell', 'cell-%s-%d' % (s.batch, i))
    else:  # general / mini / debate
        name = vocab_pick(s)
        args = '%s:%s:%d' % (name, s.batch, i)
        if s.last_call and s.last_call[0] == name and r.random() < .06:
            args = s.last_call[1]  # legit re-read of the same thing
        s.llm(tool=name)
        s.tool(name, args)
        if r.random() < .15:
            s.llm(out_scale=.6)


def loopcall(s):
    st = s.a.sp['style']
    if st == 'poll':
        return ('job_status', getattr(s, 'job', 'job-%s-0' % s.batch))
    if s.last_call and s.last_call[0] not in ('spawn_subagent', 'spawn_rollout', 'request_human_approval'):
        return s.last_call
    sp = s.a.sp
    name = sp.get('main') or vocab_pick(s)
    return (name, '%s:%s:stuck' % (name, s.batch))


def cyclecalls(s):
    r = s.r
    sp = s.a.sp
    names = []
    if s.last_call and s.last_call[0] not in ('spawn_subagent', 'spawn_rollout'):
        names.append(s.last_call[0])
    if sp.get('main'):
        names += [sp['main']] + [e[0] for e in sp.get('extra', ())]
    names += [v[0] for v in sp.get('vocab', [])]
    names += ['read_state', 'validate_output', 'search_docs']
    uniq = []
    for n in names:
        if n not in uniq:
            uniq.append(n)
    L = r.choice([2, 2, 3, 3, 4])
    pick = uniq[:1] + r.sample(uniq[1:], L - 1)
    return [(n, '%s:%s:cyc%d' % (n, s.batch, j)) for j, n in enumerate(pick)]


# --------------------------------------------------------------------------- normal flows (lists of units)
def plan_n(s):
    a = s.a
    return max(1, min(a.sp['n_max'], int(round(a.n_med * math.exp(s.r.gauss(0, a.sp['n_sig']))))))


def units_for(G, s):
    st = s.a.sp['style']
    sp = s.a.sp
    r = s.r
    n = plan_n(s)
    s.planned = n
    U = []
    if st in ('batch', 'general', 'notebook'):
        U.append(lambda: s.llm(tool='plan', out_scale=1.5))
        for i in range(n):
            U.append(lambda i=i: work(s, i))
        if sp.get('child') and r.random() < sp.get('p_child', 0):
            k = max(1, min(40, int(math.exp(r.gauss(1.2, .7)))))
            U.insert(r.randint(1, len(U)), lambda k=k: G.spawn_normal(s, sp['child'], k))
        if sp.get('partner') and r.random() < sp.get('p_handoff', 0):
            U.insert(r.randint(1, len(U)), lambda: G.escalate(s))
        U.append(lambda: s.llm(out_scale=2.5))
        trap = sp.get('trap')
        if trap and n >= trap[1]:
            s.flags.add(trap[0])
        if sp['task_type'] == 'constraint_solving' or sp.get('rs', 0) >= 5000:
            s.flags.add('reasoning_variance')
    elif st == 'poll':
        jobs = r.choice([1, 1, 1, 2, 2, 3])
        per = [max(3, int(n * r.uniform(.5, 1.5) / jobs)) for _ in range(jobs)]
        if sum(per) > 30:
            s.flags.add('job_polling')
        U.append(lambda: s.llm(tool='plan', out_scale=1.5))
        for j in range(jobs):
            job = 'job-%s-%d' % (s.batch, j)

            def submit(job=job):
                s.job = job
                s.llm(tool='submit_job')
                s.tool('submit_job', job + '/params')
            U.append(submit)
            iv = r.uniform(20000, 120000)
            for k in range(per[j]):
                def poll(job=job, k=k, iv=iv):
                    s.wait(min(300000, iv * (1.15 ** min(k, 12))) * r.uniform(.8, 1.2))
                    s.tool('job_status', job, gap=0)
                    if k % 10 == 9:
                        s.llm(tool='job_status', out_scale=.3)
                U.append(poll)
            U.append(lambda job=job: (s.tool('fetch_results', job, res=r.uniform(3000, 12000)),
                                      s.llm(out_scale=2)))
        U.append(lambda: s.llm(out_scale=2))
    elif st == 'price':
        K = max(3, min(60, int(math.exp(r.gauss(2.6, .5)))))
        skus = ['sku-%s-%d@%s' % (s.batch, k, r.choice(['amzn', 'ebay', 'wmt', 'otto'])) for k in range(K)]
        iv = r.uniform(300000, 900000)
        if n >= 4:
            s.flags.add('price_poll_rounds')

        def rnd(q):
            if q:
                s.wait(iv * r.uniform(.9, 1.1))
            for sku in skus:
                s.tool('fetch_competitor_price', sku, gap=r.uniform(100, 1500))
            s.llm(tool='update_price', out_scale=1.0)
            if r.random() < .35:
                s.tool('update_price', r.choice(skus).split('@')[0])
        for q in range(n):
            U.append(lambda q=q: rnd(q))
    elif st == 'hitl':
        s.flags.add('hitl_wait')
        for c in range(n):
            order = 'ord-%s-%d' % (s.batch, c)
            U.append(lambda o=order: (s.tool('lookup_order', o, gap=r.uniform(500, 3000)),
                                      s.llm(tool='get_return_policy')))
            U.append(lambda o=order: (s.tool('get_return_policy', o + '/policy'), s.llm(tool='risk_score')))
            if r.random() < sp.get('p_handoff', 0):
                U.append(lambda: G.escalate(s))
            rounds = 1 if r.random() < .8 else 2
            for q in range(rounds):
                U.append(lambda o=order, q=q: (s.llm(tool='request_human_approval'),
                                               s.tool('request_human_approval', '%s/appr%d' % (o, q))))
                U.append(lambda: s.wait(min(4 * 3600e3, 60000 * math.exp(r.gauss(2.4, .9)))))
                U.append(lambda: s.llm(tool='issue_refund', out_scale=.6))
            U.append(lambda o=order: (s.tool(r.choice(['issue_refund', 'deny_return']), o),
                                      s.tool('send_email', o + '/mail')))
    elif st == 'tree':
        waves = n
        U.append(lambda: s.llm(tool='spawn_rollout', out_scale=1.5, rs_scale=1.5))
        wscale = r.uniform(3, 7)
        tot = 0
        for w in range(waves):
            width = int(min(300, wscale / (1 - r.random()) ** (1 / 1.25)))
            tot += width
            U.append(lambda w=w, width=width: G.wave(s, w, width))
            U.append(lambda w=w: (s.llm(tool='backprop'), s.tool('backprop', 'w%d:%s' % (w, s.batch))))
        if tot >= 30:
            s.flags.add('mcts_branching')
        U.append(lambda: s.llm(out_scale=2))
    elif st == 'tot':
        s.flags.add('tot_branching')
        U.append(lambda: s.llm(tool='spawn_subagent', out_scale=1.2))
        for lvl in range(n):
            b = r.randint(2, 5)
            U.append(lambda lvl=lvl, b=b: G.tot_level(s, lvl, b))
            U.append(lambda: s.llm(tool='select_branch', rs_scale=1.2))
        U.append(lambda: s.llm(out_scale=2))
    elif st == 'debate':
        s.flags.add('debate_rounds')
        U.append(lambda: (s.llm(tool='retrieve_evidence'), s.tool('retrieve_evidence', 'ev:%s' % s.batch)))
        rounds = max(2, min(sp['n_max'], int(round(n))))
        for q in range(rounds):
            U.append(lambda q=q: G.debate_round(s, q))
        s.debate_end = len(U)
        U.append(lambda: s.llm(out_scale=2.5))
    elif st == 'mini':
        for i in range(n):
            U.append(lambda i=i: work(s, i))
        U.append(lambda: s.llm(out_scale=1.3))
    # rare single very expensive call
    if st != 'mini' and r.random() < .012 and len(U) > 1:
        def big():
            m = r.choice(['claude-opus-4-5', 'o3', s.model()]) if r.random() < .5 else None
            s.llm(fresh=True, ctx_add=r.uniform(60000, 170000), out=r.uniform(6000, 16000), model=m)
            s.flags.add('single_expensive_call')
        U.insert(r.randint(1, len(U) - 1), big)
    return U


# --------------------------------------------------------------------------- runaway routines
def rw_continue(s, rw, step):
    i = 10000
    tmax = s.t + rw.get('tmax', 8 * 3600e3)
    while s.ev_since_onset() < rw['L'] and (s.spent - rw['s0'] < rw['cap'] or s.ev_since_onset() < 120) \
            and (s.t < tmax or s.ev_since_onset() < 150):
        step(i)
        i += 1


def rw_loop_repeat(G, s, rw):
    r = s.r
    tool, args = loopcall(s)
    err = rw['trigger'] == 'tool_errors'
    tight = s.a.sp['style'] == 'poll' or r.random() < .25
    res = r.uniform(100, 900)

    def step(i):
        s.llm(tool=tool, gap=r.uniform(150, 2500), out_scale=r.uniform(.3, .8))
        st = 'error' if err and r.random() < .85 else 'ok'
        s.tool(tool, args, status=st, res=res, gap=r.uniform(20, 200) if tight else None, retries=False)
        if not tight and r.random() < .12:
            s.llm(out_scale=.4)
    rw_continue(s, rw, step)


def rw_loop_cycle(G, s, rw):
    r = s.r
    cyc = cyclecalls(s)
    err = rw['trigger'] == 'tool_errors'

    def step(i):
        for (tool, args) in cyc:
            s.llm(tool=tool, gap=r.uniform(200, 3000), out_scale=r.uniform(.4, .9))
            st = 'error' if err and tool == cyc[0][0] and r.random() < .8 else 'ok'
            s.tool(tool, args, status=st, retries=False)
    rw_continue(s, rw, step)


def rw_ping_pong(G, s, rw):
    r = s.r
    P = G.agent_of(s.a.sp.get('partner') or 'plan_verifier')
    ps = s.partner_sess
    shared = ps is None and r.random() < .3
    if ps is not None:
        ps.label, ps.kind, ps.part_of = 'runaway', 'ping_pong', s.sid
        ps.want_onset = True
        ps.in_runaway = True
    elif not shared:
        ps = G.new_session(P, s.t + r.uniform(200, 2000), parent=s)
        ps.label, ps.kind, ps.part_of = 'runaway', 'ping_pong', s.sid
        ps.want_onset = True
        ps.in_runaway = True
    with_tool = r.random() < .5
    first = [True]

    def step(i):
        if not first[0] or r.random() < .5:
            s.llm(tool='handoff', out_scale=r.uniform(.4, 1.0))
        first[0] = False
        s.handoff(P.id)
        if shared:
            s.llm(speaker=P, out_scale=r.uniform(.4, 1.0))
            if with_tool:
                nm = (P.sp.get('vocab') or [('check', 1)])[0][0]
                s.tool(nm, '%s:%s:%d' % (nm, s.batch, i % 3), speaker=P, retries=False)
            s.handoff(s.a.id, speaker=P)
        else:
            ps.t = max(ps.t, s.t) + int(r.uniform(100, 1500))
            ps.llm(out_scale=r.uniform(.4, 1.0))
            if with_tool:
                nm = (P.sp.get('vocab') or [('check', 1)])[0][0]
                ps.tool(nm, '%s:%s:%d' % (nm, s.batch, i % 3), retries=False)
            ps.handoff(s.a.id)
            s.t = max(s.t, ps.t) + int(r.uniform(100, 1500))
    rw_continue(s, rw, step)


def rw_step(G, s, rw):
    rw_continue(s, rw, lambda i: work(s, i))


def rw_retry(G, s, rw):
    r = s.r
    var = r.choices(['agent', 'tool_only', 'llm429'], [.55, .3, .15])[0]
    tool, args = loopcall(s)
    if rw['trigger'] == 'tool_errors' and var == 'llm429':
        var = 'agent'
    m = s.model()

    def step(i):
        if var == 'agent':
            s.llm(tool=tool, gap=r.uniform(100, 1500), out_scale=r.uniform(.2, .5))
            s.tool(tool, args, status=r.choice(['error', 'retry']), lat=int(r.uniform(40, 4000)),
                   res=r.uniform(80, 300), gap=r.uniform(10, 100), retries=False)
        elif var == 'tool_only':
            s.tool(tool, args, status=r.choice(['error', 'retry', 'retry']), lat=int(r.uniform(30, 2500)),
                   res=r.uniform(50, 150), gap=r.uniform(100, 2500), retries=False)
            if r.random() < .06:
                s.llm(tool=tool, out_scale=.3)
        else:
            s.t += int(r.uniform(80, 1500))
            s._fail_llm(m, s.G.cat.provider(m), r.choice(['retry', 'retry', 'error']))
    rw_continue(s, rw, step)


def rw_context(G, s, rw):
    r = s.r
    s.no_compact = True
    m = s.model()
    cap = int(min(G.cat.max_in(m) * .95, r.uniform(180000, 700000)))
    s.ctx_cap = cap
    s.grow_add = max(4000, (cap - s.ctx) / r.uniform(40, 150))
    rw_continue(s, rw, lambda i: work(s, i))


def rw_spike(G, s, rw):
    r = s.r
    a = s.a
    c0 = max(a.c_call, 1e-4)
    choices = list(SPIKE_MODELS)
    if a.domain != 'security':
        choices.remove('gpt-5.5-cyber')
    m = r.choice(choices)
    s.force_model = m
    s.out_boost = r.uniform(1.5, 4)
    target = c0 * r.uniform(10, 60)
    s.rs_extra = 0
    for _ in range(12):
        c = G.cat.price(m, a.typ_ctx * .4, a.typ_out * s.out_boost, a.typ_ctx * .6, 0, s.rs_extra)
        if c >= target:
            break
        s.rs_extra = s.rs_extra * 1.8 + 4000
        if s.rs_extra > 30000:
            s.rs_extra = 30000
            if s.out_boost >= 8:
                break
            s.out_boost = min(8, s.out_boost * 1.4)
    rw_continue(s, rw, lambda i: work(s, i))


def rw_budget(G, s, rw):
    r = s.r
    s.out_boost = r.uniform(2, 4)
    s.fresh_p = r.uniform(.3, .8)
    rw['L'] = max(rw['L'], 300)
    rw['cap'] = max(rw['cap'], 150)
    rw_continue(s, rw, lambda i: work(s, i))


def rw_fanout(G, s, rw):
    r = s.r
    cs = s.a.sp.get('child') or FANOUT_CHILD[s.a.domain]
    if s.a.sp['style'] in ('tree', 'tot'):   # wide fan-out is normal here: runaway must be wider/deeper
        total = int(min(2500, max(400, math.exp(r.gauss(math.log(800), .5)))))
    else:
        total = int(min(1200, max(100, math.exp(r.gauss(math.log(220), .6)))))
    per_llm = r.randint(2, 12)
    gap_med = r.uniform(1500, 12000)  # root keeps spawning for tens of minutes to hours
    p_rec = r.uniform(0, .12)
    made = [0]
    root_n = int(total * r.uniform(.6, .95))  # spawned by the root itself; the rest by recursing children

    def spawn(parent, depth):
        parent.tool('spawn_subagent', '%s:%s:%d' % (cs, parent.batch, made[0]), lat=int(r.uniform(40, 300)),
                    res=60, retries=False, gap=gap_med * math.exp(r.gauss(0, .9)))
        made[0] += 1
        c = G.new_session(G.agent_of(cs), parent.t + r.uniform(100, 1500), parent=parent)
        c.label, c.kind, c.part_of, c.want_onset, c.in_runaway = 'runaway', 'subagent_fanout', s.sid, True, True
        k = r.randint(1, 5)
        for j in range(k):
            work(c, j)
            if depth < 4 and r.random() < p_rec and made[0] < total - (root_n - j_root[0]):
                for _ in range(r.randint(1, 4)):
                    spawn(c, depth + 1)
        c.llm(out_scale=.8)

    j_root = [0]
    while j_root[0] < root_n or made[0] < total:
        if j_root[0] % per_llm == 0:
            s.llm(tool='spawn_subagent', out_scale=r.uniform(.3, .8), gap=r.uniform(100, 1500))
        spawn(s, 1)
        j_root[0] += 1


ROUTINES = {'loop_repeat': rw_loop_repeat, 'loop_cycle': rw_loop_cycle, 'ping_pong': rw_ping_pong,
            'step_runaway': rw_step, 'retry_storm': rw_retry, 'context_growth': rw_context,
            'cost_spike': rw_spike, 'session_budget': rw_budget, 'subagent_fanout': rw_fanout}


# --------------------------------------------------------------------------- generator
class Gen:
    def __init__(self, seed, profile, N, cat):
        self.r = r = random.Random(zlib.crc32(('fleet8/%s/%d' % (profile, seed)).encode()))
        self.seed, self.profile, self.N, self.cat = seed, profile, N, cat
        self.t0 = int((BASE + dt.timedelta(days=r.randint(0, 30), hours=r.randint(0, 23))).timestamp() * 1000)
        self.span = int(r.uniform(26, 46) * 3600e3)
        self.t_up = self.t0 + int(self.span * r.uniform(.42, .62))
        self.t_new = self.t0 + int(self.span * r.uniform(.3, .6))
        self.domains = ['security', 'commerce', 'planning', 'science'] if profile == 'mixed' else [profile]
        self.specs = [k for k, v in SPECS.items() if v['domain'] in self.domains]
        self.top = [k for k in self.specs if not SPECS[k].get('sub')]
        self.sessions = []
        self.sid_n = 0
        self.agents = {}
        for k in self.specs:
            self.agents[k] = [Agent(self, k, aid) for aid in SPECS[k]['agents']]
        provs = {}
        for k in self.top:
            for a in self.agents[k]:
                p = cat.provider(a.model0)
                provs[p] = provs.get(p, 0) + SPECS[k]['w']
        pl = sorted(provs, key=lambda p: -provs[p])[:2]
        # one provider's gateway reports cost_usd (the truth); a few other agents report it too
        gw = r.choice(pl)
        for L in self.agents.values():
            for a in L:
                a.gateway = (cat.provider(a.model0) == gw and r.random() < .85) or r.random() < .06
        self.gateway_provider = gw
        self.outages = []
        for j in range(r.choice([1, 2, 2])):
            o0 = self.t0 + int(self.span * r.uniform(.15, .85))
            self.outages.append((o0, o0 + int(r.uniform(8, 25) * 60000), pl[j % len(pl)], r.uniform(.6, .9)))

    # ---- ids
    def new_sid(self, a, t):
        self.sid_n += 1
        r = self.r
        if a.sid_style == 'uuid':
            return self.uuid()
        if a.sid_style == 'pref':
            return 'sess_%012x%03d' % (r.getrandbits(48), self.sid_n % 1000)
        d = dt.datetime.fromtimestamp(t / 1000, dt.timezone.utc).strftime('%Y%m%d')
        return '%s-%s-%06d' % (a.id, d, self.sid_n)

    def uuid(self):
        x = '%032x' % self.r.getrandbits(128)
        return '%s-%s-4%s-%x%s-%s' % (x[:8], x[8:12], x[13:16], 8 | (int(x[16], 16) & 3), x[17:20], x[20:])

    def new_eid(self, a, s, n):
        if a.eid_style == 'uuid':
            return self.uuid()
        if a.eid_style == 'evt':
            return 'evt_%020x' % self.r.getrandbits(80)
        return '%s:%05d:%s' % (s.sid, n, a.id[:3])

    def agent_of(self, spec_id):
        if spec_id not in self.agents:
            self.agents[spec_id] = [Agent(self, spec_id, aid) for aid in SPECS[spec_id]['agents']]
        L = self.agents[spec_id]
        return self.r.choices(L, [a.weight for a in L])[0]

    def new_session(self, a, t, parent=None, task_id=None):
        s = Sess(self, a, t, parent=parent, task_id=task_id if parent is None else parent.task_id)
        if parent is not None:
            parent.n_children += 1
        return s

    # ---- structured helpers used by flows
    def run_child(self, c, k=None):
        for j in range(k if k is not None else plan_n(c)):
            work(c, j)
        c.llm(out_scale=1.2)

    def spawn_normal(self, s, cs, k):
        r = self.r
        ends = []
        s.llm(tool='spawn_subagent', out_scale=.6)
        for j in range(k):
            s.tool('spawn_subagent', '%s:%s:n%d' % (cs, s.batch, j), lat=int(r.uniform(40, 300)), res=60)
            c = self.new_session(self.agent_of(cs), s.t + r.uniform(100, 1500), parent=s)
            try:
                self.run_child(c)
            except Abort:
                pass
            ends.append(c.t)
        s.t = max([s.t] + ends) + int(r.uniform(500, 3000))
        s.ctx += 300 * k

    def wave(self, s, w, width):
        r = self.r
        ends = []
        for k in range(width):
            s.tool('spawn_rollout', 'w%d:%s:%d' % (w, s.batch, k), lat=int(r.uniform(20, 150)), res=40,
                   gap=r.uniform(5, 200))
            c = self.new_session(self.agent_of('mcts_rollout'), s.t + r.uniform(50, 1200), parent=s)
            try:
                if r.random() < .0004:  # a rollout that itself loops (sub-session runaway root)
                    self.child_runaway(c)
                else:
                    self.run_child(c)
            except Abort:
                pass
            ends.append(c.t)
        s.t = max(ends + [s.t]) + int(r.uniform(300, 3000))
        s.ctx += 120 * width

    def child_runaway(self, c):
        work(c, 0)
        c.label, c.kind = 'runaway', self.r.choice(['loop_repeat', 'retry_storm'])
        c.want_onset = True
        c.in_runaway = True
        rw = {'kind': c.kind, 'trigger': 'plain', 'L': int(self.r.uniform(150, 900)),
              'cap': 1e9, 's0': c.spent}
        ROUTINES[c.kind](self, c, rw)

    def tot_level(self, s, lvl, b, depth=0):
        r = self.r
        ends = []
        for k in range(b):
            s.tool('spawn_subagent', 'tot%d:%s:%d' % (lvl, s.batch, k), lat=int(r.uniform(40, 200)), res=50)
            c = self.new_session(self.agent_of('tot_branch'), s.t + r.uniform(100, 1000), parent=s)
            try:
                self.run_child(c)
                if depth < 2 and r.random() < .45:
                    self.tot_level(c, lvl, r.randint(2, 4), depth + 1)
                    c.llm(out_scale=.8)
            except Abort:
                pass
            ends.append(c.t)
        s.t = max(ends + [s.t]) + int(r.uniform(300, 2000))
        s.ctx += 500 * b

    def debate_round(self, s, q):
        r = self.r
        s.llm(tool='handoff')
        if s.partner_sess is None:
            s.partner_sess = self.new_session(self.agent_of('debate_critic'), s.t + r.uniform(100, 800), parent=s)
        cs = s.partner_sess
        s.handoff(cs.a.id)
        cs.t = max(cs.t, s.t) + int(r.uniform(100, 1500))
        cs.llm()
        if r.random() < .5:
            cs.tool('check_claim', 'claim:%s:%d' % (s.batch, q))
        cs.handoff(s.a.id)
        s.t = max(s.t, cs.t) + int(r.uniform(100, 1500))
        s.ctx += cs.ctx * .2

    def escalate(self, s):
        r = self.r
        P = self.agent_of(s.a.sp['partner'])
        s.llm(tool='handoff', out_scale=.6)
        s.handoff(P.id)
        c = self.new_session(P, s.t + r.uniform(100, 1500), parent=s)
        self.run_child(c, r.randint(1, 3))
        c.handoff(s.a.id)
        s.t = max(s.t, c.t) + int(r.uniform(200, 2000))
        s.flags.add('handoff_escalation')

    # ---- schedule
    def rhythm(self, t):
        h = (t / 3600e3) % 24
        d = min(abs(h - 15), 24 - abs(h - 15))
        return .18 + .82 * math.exp(-(d / 4.5) ** 2 / 2)

    def pick_spec(self, t):
        ks, ws = [], []
        for k in self.top:
            sp = SPECS[k]
            if sp.get('new') and t < self.t_new:
                continue
            ks.append(k)
            ws.append(sp['w'] * (.9 if sp.get('new') else 1.0))
        return self.r.choices(ks, ws)[0]

    def schedule(self):
        r, N = self.r, self.N
        starts = []
        bl = []
        for dom in self.domains:
            for (hh, mm, specs) in BURSTS[dom]:
                day0 = self.t0 - self.t0 % 86400000
                for d in range(3):
                    t = day0 + d * 86400000 + hh * 3600000 + mm * 60000
                    if self.t0 + 1800e3 < t < self.t0 + self.span - 4 * 3600e3:
                        bl.append((t, specs))
        r.shuffle(bl)
        bl = bl[:2 if len(self.domains) == 1 else 4]
        per = int(min(500, max(150, N * r.uniform(.08, .12) / (1 if len(self.domains) == 1 else 2))))
        if bl:  # first outage hits while a scheduled burst is in flight: hundreds of sessions see it at once
            bt, bspecs = bl[0]
            pw = {}
            for k in bspecs:
                for a in self.agents[k]:
                    pp = self.cat.provider(a.model0)
                    pw[pp] = pw.get(pp, 0) + a.weight
            o0 = bt + int(r.uniform(3, 15) * 60000)
            self.outages[0] = (o0, o0 + int(r.uniform(10, 25) * 60000), max(pw, key=pw.get), r.uniform(.6, .9))
        for (t, specs) in bl:
            c = int(per * r.uniform(.7, 1.3))
            for _ in range(c):
                starts.append((t + int(min(150000, r.expovariate(1 / 25000.0))), r.choice(specs), True))
        while len(starts) < N:
            t = self.t0 + int(r.random() * self.span)
            if r.random() < self.rhythm(t):
                starts.append((t, self.pick_spec(t), False))
        starts.sort(key=lambda x: x[0])
        return starts[:max(N, len(starts))]

    def choose_runaways(self, starts):
        r = self.r
        n = int(round(len(starts) * r.uniform(.055, .085)))
        kinds = []
        while len(kinds) < n:
            k = list(KINDS)
            r.shuffle(k)
            kinds += k
        kinds = kinds[:n]
        taken = {}
        idx = list(range(len(starts)))
        for kind in kinds:
            for _ in range(400):
                i = r.choice(idx)
                if i in taken or starts[i][0] > self.t0 + self.span - 5 * 3600e3:
                    continue
                sp = SPECS[starts[i][1]]
                if kind == 'session_budget':
                    a_cost = max(a.c_call for a in self.agents[starts[i][1]])
                    if a_cost < .006:
                        continue
                taken[i] = kind
                break
        return taken

    def run(self):
        r = self.r
        starts = self.schedule()
        rws = self.choose_runaways(starts)
        for i, (t, spec_id, burst) in enumerate(starts):
            kind = rws.get(i)
            L = self.agents[spec_id]
            if kind == 'session_budget':
                L2 = [a for a in L if a.c_call >= .006] or L
                a = r.choices(L2, [x.weight for x in L2])[0]
            else:
                a = r.choices(L, [x.weight for x in L])[0]
            tid = ('task-%s' % self.uuid()[:13]) if a.emit_task else None
            s = self.new_session(a, t, task_id=tid)
            if burst:
                s.flags.add('scheduled_burst')
            if SPECS[spec_id].get('new'):
                s.flags.add('new_pricey_agent')
            U = units_for(self, s)
            if kind is None:
                try:
                    for u in U:
                        u()
                except Abort:
                    pass
                continue
            self.run_runaway(s, U, kind)

    def run_runaway(self, s, U, kind):
        r = self.r
        s.label, s.kind = 'runaway', kind
        n = len(U)
        if kind in ('step_runaway', 'session_budget'):
            k = n - 1
        elif kind == 'ping_pong' and hasattr(s, 'debate_end'):
            k = s.debate_end
        else:
            mode = r.choices(['early', 'mid', 'late'], [.3, .4, .3])[0]
            if mode == 'early':
                k = r.randint(0, min(3, n - 1))
            elif mode == 'mid':
                k = int((n - 1) * r.uniform(.2, .6))
            else:
                k = int((n - 1) * r.uniform(.6, .95))
        k = max(0, min(k, n - 1))
        if kind in ('loop_repeat', 'loop_cycle', 'retry_storm'):
            trig = r.choices(['plain', 'model_switch', 'tool_errors'], [.45, .2, .35])[0]
        elif kind in ('cost_spike', 'subagent_fanout'):
            trig = 'plain'
        else:
            trig = r.choices(['plain', 'model_switch'], [.75, .25])[0]
        s.in_runaway = True
        for u in U[:k]:
            u()
        if trig == 'model_switch':
            m = s.model()
            s.force_model = r.choice(FALLBACK.get(self.cat.provider(m), FALLBACK['openai']))
        s.want_onset = True
        rw = {'kind': kind, 'trigger': trig, 'L': int(min(4000, max(150, math.exp(r.gauss(math.log(500), .75))))),
              'cap': min(2500, max(12, math.exp(r.gauss(math.log(min(150, max(20, 3000 * s.a.c_call))), .9)))),
              's0': s.spent,
              'tmax': r.uniform(4, 10) * 3600e3}
        s.trigger = trig
        ROUTINES[kind](self, s, rw)

    # ---- output
    def fmt_ts(self, t, style):
        if style == 'epoch':
            return t
        d = dt.datetime.fromtimestamp(t / 1000, dt.timezone.utc)
        if style == 'z0':
            return d.strftime('%Y-%m-%dT%H:%M:%SZ')
        if style == 'off':
            return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%06d+00:00' % ((t % 1000) * 1000)
        if style == 'est':
            d2 = d.astimezone(dt.timezone(dt.timedelta(hours=-5)))
            return d2.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d-05:00' % (t % 1000)
        return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (t % 1000)

    def render(self, d):
        s, a = d['_s'], d['_a']
        o = {}
        if a.v1:
            o['v'] = 1
        o['event_id'] = d['event_id']
        style = a.ts_style
        if d['kind'] == 'tool' and a.tool_epoch:
            style = 'epoch'
        o['ts'] = self.fmt_ts(d['_t'], style)
        o['session_id'] = s.sid
        o['agent_id'] = a.id
        if s.a.emit_tt:
            o['task_type'] = a.task_type if a is s.a else s.a.task_type
        if s.task_id:
            o['task_id'] = s.task_id
        if s.parent is not None:
            o['parent_session_id'] = s.parent.sid
        o.update(a.dims)
        if a.lbl:
            o['labels'] = a.lbl
        if d['kind'] != 'llm' or self.r.random() < .7:
            o['kind'] = d['kind']
        for k in ('model', 'provider', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens',
                  'reasoning_tokens', 'cost_usd', 'tool', 'args_hash', 'target_agent_id'):
            if k in d:
                o[k] = d[k]
        if d['status'] != 'ok' or self.r.random() < .6:
            o['status'] = d['status']
        o['latency_ms'] = d['latency_ms']
        return json.dumps(o, separators=(',', ':'))

    def write(self, out_path, labels_path):
        r = self.r
        rows = []
        for si, s in enumerate(self.sessions):
            if not s.ev:
                continue
            lag = r.uniform(0, 800)
            b = 0
            for j, d in enumerate(s.ev):
                x = d['_t'] + lag + r.expovariate(1 / 250.0)
                if r.random() < .004:
                    x += r.uniform(2000, 30000)
                b = max(b, x)
                rows.append((b, si, j, d))
        rows.sort(key=lambda x: (x[0], x[1], x[2]))
        lines = []
        redeliv = []
        for (b, si, j, d) in rows:
            line = self.render(d)
            lines.append((b, len(lines), line))
            if r.random() < .003:
                redeliv.append((b + r.uniform(50, 60000), len(lines) + 10 ** 9, line))
        lines += redeliv
        lines.sort(key=lambda x: (x[0], x[1]))
        with open(out_path, 'w') as f:
            for (_, _, line) in lines:
                f.write(line)
                f.write('\n')
        prio = ['new_pricey_agent', 'model_upgrade_midsession', 'provider_outage', 'single_expensive_call',
                'long_scan', 'sku_batch', 'plate_batch', 'price_poll_rounds', 'hitl_wait', 'mcts_branching',
                'tot_branching', 'debate_rounds', 'job_polling', 'reasoning_variance', 'context_compaction',
                'cached_long_context', 'handoff_escalation', 'unknown_model', 'scheduled_burst', 'legit_retry']
        with open(labels_path, 'w') as f:
            for s in sorted((x for x in self.sessions if x.ev), key=lambda x: x.ev[0]['_t']):
                if s.label == 'runaway':
                    kind, onset = s.kind, s.onset
                    if onset is None:  # routine never emitted (should not happen)
                        raise SystemExit('runaway without onset: %s' % s.sid)
                else:
                    kind, onset = 'normal', None
                    p = s.parent
                    fl = set(s.flags)
                    if p is not None and p.label == 'normal':
                        fl |= p.flags & {'mcts_branching', 'tot_branching', 'debate_rounds'}
                    if s.a.sp['task_type'] == 'literature_review':
                        fl.add('cached_long_context')
                    if not s.a.emit_tt:
                        fl.add('legacy_no_task_type')
                    for k in prio + ['legacy_no_task_type']:
                        if k in fl:
                            kind = k
                            break
                f.write(json.dumps({'session_id': s.sid, 'label': s.label, 'kind': kind, 'onset_event_id': onset,
                                    'task_id': s.task_id, 'part_of': s.part_of, 'agent_id': s.a.id,
                                    'task_type': s.a.task_type if s.a.emit_tt else 'unknown'},
                                   separators=(',', ':')) + '\n')
        return len(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--profile', choices=PROFILES, required=True)
    ap.add_argument('--sessions', type=int, required=True, help='top-level sessions (sub-sessions on top)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--labels', required=True)
    ap.add_argument('--catalog', default=DEFAULT_CATALOG)
    args = ap.parse_args()
    cat = Catalog(args.catalog)
    G = Gen(args.seed, args.profile, args.sessions, cat)
    G.run()
    n = G.write(args.out, args.labels)
    sys.stderr.write('fleet8: %s seed=%d: %d events, %d sessions -> %s\n'
                     % (args.profile, args.seed, n, sum(1 for s in G.sessions if s.ev), args.out))


if __name__ == '__main__':
    main()
