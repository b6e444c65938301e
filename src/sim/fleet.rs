//! The simulated fleet: tenants, teams, agents, and the task types they run,
//! each with its model, tool mix, step-count distribution and context shape.
//!
//! Owns: the fleet's static description only. The figures come from what
//! production agent fleets look like (short support/QA agents on small
//! models, long coding agents on mid-priced models with prompt caching,
//! research orchestrators fanning out to a few web researchers, triage
//! routers handing off to specialists), not from any detector setting.

/// One kind of work. Turn counts are LLM calls per session, lognormal.
#[derive(Debug, Clone)]
pub struct TaskType {
    pub name: &'static str,
    pub model: &'static str,
    pub provider: &'static str,
    /// Median LLM turns per session and the lognormal sigma.
    pub turns_median: f64,
    pub turns_sigma: f64,
    /// Tools with relative weights.
    pub tools: &'static [(&'static str, f64)],
    /// System prompt + tool schemas, tokens.
    pub system_tokens: u64,
    /// Tool-result size range, tokens.
    pub result_tokens: (u64, u64),
    /// Output tokens per LLM call, range.
    pub output_tokens: (u64, u64),
    /// Context at which the runtime compacts (summarises) the history.
    pub compact_at: u64,
    /// Reasoning tokens per call (reasoning models), range; (0,0) if none.
    pub reasoning_tokens: (u64, u64),
    /// Size of the argument space (files, rows, urls) in units of 50
    /// values: where a session's new calls draw their arguments from.
    pub args_pool: u32,
    /// Agents this task type hands work to (multi-agent), if any.
    pub handoff_to: &'static [&'static str],
    /// Sub-agent task type and how many a normal session spawns (min, max).
    pub subagents: Option<(&'static str, u32, u32)>,
}

pub const TASK_TYPES: &[TaskType] = &[
    TaskType {
        name: "support_reply",
        model: "gpt-4o-mini",
        provider: "openai",
        turns_median: 4.0,
        turns_sigma: 0.45,
        tools: &[("search_kb", 0.5), ("get_customer", 0.3), ("create_ticket", 0.2)],
        system_tokens: 2_400,
        result_tokens: (250, 1_600),
        output_tokens: (60, 420),
        compact_at: 40_000,
        reasoning_tokens: (0, 0),
        args_pool: 6,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "ticket_triage",
        model: "claude-haiku-4-5",
        provider: "anthropic",
        turns_median: 4.0,
        turns_sigma: 0.4,
        tools: &[("classify_ticket", 0.3), ("lookup_order", 0.4), ("refund_policy", 0.3)],
        system_tokens: 3_000,
        result_tokens: (200, 1_200),
        output_tokens: (80, 500),
        compact_at: 60_000,
        reasoning_tokens: (0, 0),
        args_pool: 4,
        handoff_to: &["billing-agent", "tech-agent"],
        subagents: None,
    },
    TaskType {
        name: "code_fix",
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        turns_median: 16.0,
        turns_sigma: 0.6,
        tools: &[("read_file", 0.3), ("grep", 0.15), ("edit_file", 0.2), ("run_tests", 0.12), ("list_dir", 0.08), ("bash", 0.15)],
        system_tokens: 6_500,
        result_tokens: (150, 4_000),
        output_tokens: (80, 1_400),
        compact_at: 120_000,
        reasoning_tokens: (0, 0),
        args_pool: 14,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "codebase_migration",
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        turns_median: 170.0,
        turns_sigma: 0.3,
        tools: &[("read_file", 0.35), ("edit_file", 0.35), ("grep", 0.1), ("run_tests", 0.1), ("bash", 0.1)],
        system_tokens: 8_000,
        result_tokens: (150, 3_000),
        output_tokens: (100, 1_200),
        compact_at: 100_000,
        reasoning_tokens: (0, 0),
        args_pool: 400,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "research_report",
        model: "gpt-5",
        provider: "openai",
        turns_median: 6.0,
        turns_sigma: 0.35,
        tools: &[("plan_outline", 0.3), ("write_section", 0.5), ("cite_sources", 0.2)],
        system_tokens: 4_000,
        result_tokens: (500, 3_000),
        output_tokens: (300, 2_000),
        compact_at: 150_000,
        reasoning_tokens: (200, 3_000),
        args_pool: 8,
        handoff_to: &[],
        subagents: Some(("web_research", 2, 5)),
    },
    TaskType {
        name: "web_research",
        model: "gpt-5-mini",
        provider: "openai",
        turns_median: 7.0,
        turns_sigma: 0.4,
        tools: &[("web_search", 0.4), ("fetch_url", 0.45), ("extract_facts", 0.15)],
        system_tokens: 2_000,
        result_tokens: (400, 6_000),
        output_tokens: (100, 800),
        compact_at: 80_000,
        reasoning_tokens: (100, 1_500),
        args_pool: 20,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "data_extraction",
        model: "gemini-2.5-flash",
        provider: "vertex_ai",
        turns_median: 5.0,
        turns_sigma: 0.4,
        tools: &[("read_document", 0.4), ("extract_fields", 0.4), ("validate_schema", 0.2)],
        system_tokens: 3_500,
        result_tokens: (800, 8_000),
        output_tokens: (200, 1_500),
        compact_at: 200_000,
        reasoning_tokens: (0, 0),
        args_pool: 5,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "sql_analyst",
        model: "gpt-4.1-mini",
        provider: "openai",
        turns_median: 7.0,
        turns_sigma: 0.45,
        tools: &[("list_tables", 0.1), ("describe_table", 0.25), ("run_query", 0.5), ("make_chart", 0.15)],
        system_tokens: 3_000,
        result_tokens: (200, 5_000),
        output_tokens: (100, 900),
        compact_at: 100_000,
        reasoning_tokens: (0, 0),
        args_pool: 12,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "sales_outreach",
        model: "mistral/mistral-large-latest",
        provider: "mistral",
        turns_median: 4.0,
        turns_sigma: 0.35,
        tools: &[("crm_lookup", 0.4), ("enrich_contact", 0.3), ("draft_email", 0.3)],
        system_tokens: 1_800,
        result_tokens: (200, 1_200),
        output_tokens: (150, 700),
        compact_at: 30_000,
        reasoning_tokens: (0, 0),
        args_pool: 5,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "doc_qa",
        model: "gemini-2.5-flash-lite",
        provider: "vertex_ai",
        turns_median: 2.5,
        turns_sigma: 0.4,
        tools: &[("retrieve_chunks", 0.8), ("get_document", 0.2)],
        system_tokens: 1_200,
        result_tokens: (800, 4_000),
        output_tokens: (60, 500),
        compact_at: 50_000,
        reasoning_tokens: (0, 0),
        args_pool: 4,
        handoff_to: &[],
        subagents: None,
    },
    // Task types of the agents that only appear late in the span.
    TaskType {
        name: "claims_review",
        model: "claude-opus-4-5",
        provider: "anthropic",
        turns_median: 7.0,
        turns_sigma: 0.4,
        tools: &[("get_claim", 0.35), ("check_policy", 0.35), ("flag_fraud", 0.3)],
        system_tokens: 5_000,
        result_tokens: (400, 3_000),
        output_tokens: (150, 1_000),
        compact_at: 100_000,
        reasoning_tokens: (0, 0),
        args_pool: 6,
        handoff_to: &[],
        subagents: None,
    },
    TaskType {
        name: "contract_review",
        model: "gpt-5.5",
        provider: "openai",
        turns_median: 6.0,
        turns_sigma: 0.4,
        tools: &[("read_clause", 0.6), ("compare_template", 0.4)],
        system_tokens: 4_000,
        result_tokens: (600, 4_000),
        output_tokens: (200, 1_200),
        compact_at: 120_000,
        reasoning_tokens: (0, 0),
        args_pool: 10,
        handoff_to: &[],
        subagents: None,
    },
];

pub fn task_type(name: &str) -> &'static TaskType {
    TASK_TYPES.iter().find(|t| t.name == name).unwrap_or(&TASK_TYPES[0])
}

/// One agent: who owns it and what it runs.
#[derive(Debug, Clone)]
pub struct Agent {
    pub id: &'static str,
    pub tenant: &'static str,
    pub team: &'static str,
    /// Task types with relative weights.
    pub task_types: &'static [(&'static str, f64)],
    /// Share of the fleet's sessions this agent starts (relative weight).
    pub weight: f64,
    /// The runtime reports `cost_usd` on its events (a gateway that bills);
    /// otherwise cost is left to the catalog.
    pub reports_cost: bool,
    /// Model override for every task type of this agent.
    pub model: Option<(&'static str, &'static str)>,
    /// Uses provider prompt caching (cached prefix billed as cache reads).
    pub caching: bool,
    /// Only starts sessions after this fraction of the span.
    pub appears_at: f64,
}

const fn agent(
    id: &'static str,
    tenant: &'static str,
    team: &'static str,
    task_types: &'static [(&'static str, f64)],
    weight: f64,
    reports_cost: bool,
    caching: bool,
) -> Agent {
    Agent { id, tenant, team, task_types, weight, reports_cost, model: None, caching, appears_at: 0.0 }
}

/// Model of an unknown, in-house deployment: priced at the fallback rates.
pub const UNKNOWN_MODEL: &str = "acme-internal-llm-v3";

/// Model `analyst-2` is moved to by a deployment partway through the span.
pub const DEPLOY_SHIFT_AGENT: &str = "analyst-2";
pub const DEPLOY_SHIFT_MODEL: (&str, &str) = ("gpt-4.1", "openai");
pub const DEPLOY_SHIFT_AT: f64 = 0.45;

pub const AGENTS: &[Agent] = &[
    agent("support-bot-acme", "acme", "support", &[("support_reply", 0.8), ("doc_qa", 0.2)], 14.0, false, true),
    agent("support-bot-globex", "globex", "support", &[("support_reply", 1.0)], 9.0, true, true),
    agent("support-bot-initech", "initech", "cx", &[("support_reply", 0.7), ("doc_qa", 0.3)], 6.0, false, false),
    agent("triage-router", "acme", "support", &[("ticket_triage", 1.0)], 8.0, false, true),
    agent("coder-alpha", "acme", "eng-platform", &[("code_fix", 0.9), ("codebase_migration", 0.1)], 6.0, false, true),
    agent("coder-beta", "globex", "eng-apps", &[("code_fix", 1.0)], 5.0, true, true),
    agent("coder-gamma", "initech", "eng", &[("code_fix", 1.0)], 3.0, false, false),
    agent("migrator", "acme", "eng-platform", &[("codebase_migration", 1.0)], 1.5, false, true),
    agent("researcher-1", "globex", "research", &[("research_report", 1.0)], 3.0, true, false),
    agent("researcher-2", "umbrella", "strategy", &[("research_report", 1.0)], 2.0, false, false),
    agent("extractor-1", "umbrella", "ops", &[("data_extraction", 1.0)], 8.0, true, true),
    agent("extractor-2", "acme", "finance", &[("data_extraction", 0.8), ("doc_qa", 0.2)], 5.0, false, true),
    agent("analyst-1", "globex", "data", &[("sql_analyst", 0.8), ("doc_qa", 0.2)], 5.0, false, true),
    agent("analyst-2", "initech", "finance", &[("sql_analyst", 1.0)], 4.0, true, true),
    agent("sdr-bot", "umbrella", "sales", &[("sales_outreach", 1.0)], 7.0, true, false),
    agent("kb-helper", "initech", "it", &[("doc_qa", 1.0)], 6.0, false, false),
    Agent {
        id: "labs-experimental",
        tenant: "acme",
        team: "labs",
        task_types: &[("doc_qa", 1.0)],
        weight: 0.6,
        reports_cost: false,
        model: Some((UNKNOWN_MODEL, "acme")),
        caching: false,
        appears_at: 0.0,
    },
    Agent {
        id: "claims-assistant",
        tenant: "umbrella",
        team: "claims",
        task_types: &[("claims_review", 1.0)],
        weight: 3.0,
        reports_cost: false,
        model: None,
        caching: true,
        appears_at: 0.6,
    },
    Agent {
        id: "legal-reviewer",
        tenant: "globex",
        team: "legal",
        task_types: &[("contract_review", 1.0)],
        weight: 2.0,
        reports_cost: true,
        model: None,
        caching: false,
        appears_at: 0.75,
    },
];

/// Specialist agents that only run inside handoffs (no sessions of their own).
pub const HANDOFF_AGENTS: &[&str] = &["billing-agent", "tech-agent"];
pub const SUBAGENT_AGENT: &str = "web-researcher";

pub fn agent_by_id(id: &str) -> &'static Agent {
    AGENTS.iter().find(|a| a.id == id).unwrap_or(&AGENTS[0])
}

/// A pricier model a session may be switched to mid-way (fallback routing
/// gone wrong, an "escalate to a stronger model" loop): 5–10x the base rate.
pub fn spike_model(base: &str) -> (&'static str, &'static str) {
    match base {
        "gpt-4o-mini" => ("o4-mini", "openai"),
        "claude-haiku-4-5" => ("claude-opus-4-5", "anthropic"),
        "claude-sonnet-4-5" => ("o1", "openai"),
        "gpt-5-mini" => ("gpt-5.2", "openai"),
        "gemini-2.5-flash" => ("gemini-3.1-pro-preview", "vertex_ai"),
        "gpt-4.1-mini" => ("gpt-4.1", "openai"),
        "gpt-4.1" => ("o3-pro", "openai"),
        "gemini-2.5-flash-lite" => ("gemini-2.5-flash", "vertex_ai"),
        "mistral/mistral-large-latest" => ("mistral/magistral-medium-latest", "mistral"),
        _ => ("claude-opus-4-5", "anthropic"),
    }
}
