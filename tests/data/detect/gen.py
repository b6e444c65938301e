#!/usr/bin/env python3
"""Generates the detector fixtures in this folder (deterministic).

Every fixture is replayed after `warmup.ndjson`, normal fleet history that
makes baselines mature, with the built-in policy; a `budget_*` fixture, about
spend windows and policy tables rather than baselines, has a policy of its own
(`<name>.toml`) and is replayed alone with it. Each `<name>.ndjson` holds one
scenario and `<name>.expect` lists what must (not) happen:
    kill    <session> <reason> <max_session_actions_at_kill>
    nokill  <session>
    signals <reason> <count>                  exactly that many signals for the reason
    signal  <action> <reason> <trigger_event_id> [<field>=<value> ...]
            such a signal, its fields (dotted: evidence.spend_usd) equal to
            the values (JSON, else text)
Run: python3 tests/data/detect/gen.py   (rewrites the fixtures)
"""
import json, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MIN = 60_000


class Stream:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.events = []
        self.n = 0

    def ev(self, ts, session, agent, task_type, **kw):
        self.n += 1
        e = {"event_id": f"ev-{self.n:06d}", "ts": ts, "session_id": session,
             "agent_id": agent, "task_type": task_type}
        e.update({k: v for k, v in kw.items() if v is not None})
        self.events.append(e)
        return e

    def llm(self, ts, s, a, tt, model="gpt-4o", inp=2000, out=300, **kw):
        return self.ev(ts, s, a, tt, kind="llm", model=model, provider="openai",
                       input_tokens=inp, output_tokens=out, **kw)

    def tool(self, ts, s, a, tt, tool, args, status="ok", **kw):
        return self.ev(ts, s, a, tt, kind="tool", tool=tool, args_hash=args, status=status, **kw)

    def poll_ci(self, ts, s, a, tt, pr, times, wait):
        """The same CI status check `times` times, a short LLM call before
        each, `wait()` ms of quiet after each."""
        for _ in range(times):
            self.llm(ts, s, a, tt, inp=6000, out=40)
            ts += 1500
            self.tool(ts, s, a, tt, "gh_pr_checks", pr)
            ts += wait()
        return ts

    def open_page(self, ts, s, url):
        """A computer-use agent opens `url`: the LLM call choosing it, the navigation."""
        self.llm(ts, s, "browser", "web_task", inp=2500, tool="navigate", args_hash=url, latency_ms=1500)
        ts += 1600
        self.tool(ts, s, "browser", "web_task", "navigate", url, latency_ms=400)
        return ts + 500

    def look_and_act(self, ts, s, inp, tool, args):
        """One computer-use turn: `screenshot()` (the same arguments in
        every session), the LLM call choosing `tool`, the action."""
        self.tool(ts, s, "browser", "web_task", "screenshot", "{}", latency_ms=200)
        ts += 300
        self.llm(ts, s, "browser", "web_task", inp=inp, tool=tool, latency_ms=1500)
        ts += 1600
        self.tool(ts, s, "browser", "web_task", tool, args, latency_ms=150)
        return ts + 200

    def normal_session(self, start, s, a, tt, steps, model="gpt-4o", base_inp=2000, tools=("read_file", "search", "edit_file", "run_tests")):
        """A healthy ReAct session: context grows a little each step, varied tool calls."""
        ts = start
        inp = base_inp
        for i in range(steps):
            t = self.rng.choice(tools)
            args = f"{t}-{s}-{i}-{self.rng.randrange(10**6)}"
            self.llm(ts, s, a, tt, model=model, inp=int(inp), out=self.rng.randint(150, 400), tool=t, args_hash=args)
            ts += self.rng.randint(2_000, 8_000)
            self.tool(ts, s, a, tt, t, args)
            ts += self.rng.randint(500, 3_000)
            inp += self.rng.randint(300, 1200)
        return ts

    def context_steps(self, ts, s, steps, next_inp, tools=("read_file", "search", "fetch")):
        """After three normal steps, `steps` LLM calls (each with its tool
        call) whose context starts at 6,000 tokens and then follows
        `next_inp(previous)`."""
        ts = self.normal_session(ts, s, "coder", "code_edit", 3)
        inp = 6000
        for i in range(steps):
            t = tools[i % len(tools)]
            args = f"{t}-{i}"
            self.llm(ts, s, "coder", "code_edit", inp=int(inp), tool=t, args_hash=args)
            ts += 3000
            self.tool(ts, s, "coder", "code_edit", t, args)
            ts += 1000
            inp = next_inp(inp)
        return ts

    def context_from_second_call(self, ts, s, first_tool, first_args, steps, inp, prefix, think):
        """A coder session whose first call is small (2,000 tokens, with its
        tool call) and whose next `steps` calls carry `inp(i)` tokens, each
        with its tool call, `think` ms after the LLM call."""
        self.llm(ts, s, "coder", "code_edit", inp=2000, out=300, tool=first_tool, args_hash=first_args)
        ts += 3000
        self.tool(ts, s, "coder", "code_edit", first_tool, first_args)
        ts += 1000
        return self.coder_steps(ts, s, steps, inp, f"{prefix}-", out=400, think=think)

    def coder_steps(self, ts, s, steps, inp, args_prefix, model="gpt-4o", out=300, think=3000):
        """`steps` coder calls of `inp(i)` tokens, each on a new file
        (read, search, edit in turn) with its tool call `think` ms later."""
        for i in range(steps):
            t = ["read_file", "search", "edit_file"][i % 3]
            args = f"{args_prefix}{t}-{i}"
            self.llm(ts, s, "coder", "code_edit", model=model, inp=inp(i), out=out, tool=t, args_hash=args)
            ts += think
            self.tool(ts, s, "coder", "code_edit", t, args)
            ts += 1000
        return ts

    def spawn_levels(self, ts, lead, agent, tt, width, levels, gap, name=lambda parent, j: f"{parent}-{j}"):
        """Below `lead`, `levels` levels of sub-sessions of `agent`, each
        parent spawning `width` (one LLM call each, `gap` ms apart),
        breadth first; `name(parent, j)` names a child."""
        level = [lead]
        for _ in range(levels):
            below = []
            for parent in level:
                for j in range(width):
                    child = name(parent, j)
                    self.llm(ts, child, agent, tt, inp=2000, out=200, parent_session_id=parent)
                    ts += gap
                    below.append(child)
            level = below
        return ts

    def warmup(self, agents=("coder", "helper"), tt="code_edit", sessions=40):
        ts = T0
        for i in range(sessions):
            a = agents[i % len(agents)]
            self.normal_session(ts, f"warm-{tt}-{i}", a, tt, self.rng.randint(8, 18))
            ts += 10 * MIN
        return ts + 60 * MIN  # every warm-up session idle and complete

    def write(self, name, expect, start=0):
        with open(os.path.join(HERE, f"{name}.ndjson"), "w") as f:
            for e in self.events[start:]:
                f.write(json.dumps(e, separators=(",", ":")) + "\n")
        with open(os.path.join(HERE, f"{name}.expect"), "w") as f:
            f.write("\n".join(expect) + "\n")


def fixture(name, build, seed=7):
    st = Stream(seed)
    ts = st.warmup()
    mark = len(st.events)
    expect = build(st, ts)
    st.write(name, expect, start=mark)


def budget_fixture(name, policy, build):
    st = Stream(7)
    expect = build(st, T0)
    st.write(name, expect)
    with open(os.path.join(HERE, f"{name}.toml"), "w") as f:
        f.write(policy)


def warmup_file(seed=7):
    st = Stream(seed)
    st.warmup()
    st.write("warmup", ["# shared history replayed before every fixture"])


# ----------------------------------------------------------------- traps

def batch_edit(st, ts):
    s = "trap-batch"
    for i in range(30):
        args = f"file-{i:03d}.py"
        st.llm(ts, s, "coder", "code_edit", inp=3000 + 100 * i, tool="edit_file", args_hash=args)
        ts += 3000
        st.tool(ts, s, "coder", "code_edit", "edit_file", args)
        ts += 1000
    return ["nokill trap-batch"]


def large_batch_edit(st, ts):
    """One edit in each of 150 files, an LLM call asking for each: 150
    calls of one tool, all arguments new, in a task type whose sessions
    never batch; under `tool_run_min_calls` (200), a batch, not a loop."""
    s = "trap-large-batch"
    ts = st.normal_session(ts, s, "coder", "code_edit", 3)
    for i in range(150):
        args = f"module-{i:03d}.py"
        st.llm(ts, s, "coder", "code_edit", inp=3000 + 20 * i, out=200, tool="edit_file", args_hash=args)
        ts += 3000
        st.tool(ts, s, "coder", "code_edit", "edit_file", args)
        ts += 1000
    st.normal_session(ts, s, "coder", "code_edit", 3)
    return ["nokill trap-large-batch"]


def one_expensive(st, ts):
    s = "trap-bigdoc"
    ts = st.normal_session(ts, s, "coder", "code_edit", 5)
    st.llm(ts, s, "coder", "code_edit", inp=180_000, out=2000)  # one big document
    ts = st.normal_session(ts + 5000, s, "coder", "code_edit", 6)
    return ["nokill trap-bigdoc"]


def working_set_early(st, ts):
    """A session loads its working set at its second call, larger than the
    agent's calls usually are (above their p99, within 3x it), and works
    on it: the first calls set a session's own level, since a context
    fills up in its first steps."""
    st.context_from_second_call(ts, "trap-working-set", "read_file", "spec.md", 12, lambda i: 45_000 + 300 * i, "ws", 4000)
    return ["nokill trap-working-set"]


def escalation_burst(st, ts):
    # A router sends a few hard steps to a ~6x pricier model, then returns
    # to the agent's usual one: an escalation, not a model switch.
    s = "trap-escalation"
    ts = st.normal_session(ts, s, "coder", "code_edit", 6)
    for i in range(4):
        st.llm(ts, s, "coder", "code_edit", model="o1", inp=8000 + 200 * i, tool="search", args_hash=f"hard-{i}")
        ts += 3000
        st.tool(ts, s, "coder", "code_edit", "search", f"hard-{i}")
        ts += 1000
    ts = st.normal_session(ts, s, "coder", "code_edit", 8)
    return ["nokill trap-escalation"]


def new_agent_pricier(st, ts):
    out = []
    for i in range(4):
        s = f"trap-newagent-{i}"
        ts = st.normal_session(ts, s, "analyst-new", "code_edit", 12, model="o1", base_inp=6000)
        out.append(f"nokill {s}")
    return out


def long_task_type(st, ts):
    # research sessions are long by nature: ~150-220 steps each
    out = []
    for i in range(24):
        s = f"research-{i}"
        st.normal_session(ts, s, "researcher", "research", st.rng.randint(75, 110),
                          tools=("web_search", "fetch_page", "read_pdf", "summarize", "note"))
        ts += 40 * MIN
        out.append(f"nokill {s}")
    st.normal_session(ts, "trap-long", "researcher", "research", 120,
                      tools=("web_search", "fetch_page", "read_pdf", "summarize", "note"))
    out.append("nokill trap-long")
    return out


def legit_retries(st, ts):
    s = "trap-retries"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for status in ("error", "retry", "ok"):
        st.tool(ts, s, "coder", "code_edit", "http_get", "same-url", status=status)
        ts += 2000
    st.normal_session(ts, s, "coder", "code_edit", 5)
    return ["nokill trap-retries"]


def retried_after_request(st, ts):
    """The model asks for a command; the harness runs it, it fails, and the
    harness tries it again at once, twice, before it works (error, retry,
    error, retry, ok: five attempts of one request). Three such commands in
    a session of ordinary work: retries that recovered, not a loop."""
    s = "trap-retried-request"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for k in range(3):
        # The model's call took most of the time before the command ran:
        # no idle spell, so the attempts are not polls either.
        st.llm(ts, s, "coder", "code_edit", inp=3000, out=300, tool="bash", args_hash=f"make-{k}", latency_ms=2600)
        ts += 3000
        for status in ("error", "retry", "error", "retry", "ok"):
            st.tool(ts, s, "coder", "code_edit", "bash", f"make-{k}", status=status, latency_ms=800)
            ts += 1200
        ts = st.normal_session(ts, s, "coder", "code_edit", 3)
    return ["nokill trap-retried-request"]


def harness_retries_forever(st, ts):
    """The model asks for a command once; the harness retries it forever,
    every attempt failing: a retry storm, not a repeat."""
    s = "run-harness-retries"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    st.llm(ts, s, "coder", "code_edit", inp=3000, out=300, tool="bash", args_hash="deploy")
    ts += 3000
    for i in range(60):
        st.tool(ts, s, "coder", "code_edit", "bash", "deploy", status="retry" if i % 2 else "error", latency_ms=800)
        ts += 1200
    return ["kill run-harness-retries retry_storm 17"]


def recovered_retries(st, ts):
    # Retries that recover, three times in quick succession: an HTTP call
    # that fails and then works, a model call that fails twice and gets
    # through, a test run that needs a second go. Over half of twenty
    # actions fail, and each failed call was retried until it worked: the
    # retry policy doing its job, not a storm.
    s = "trap-recovered"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for k in range(3):
        for status in ("error", "retry", "ok"):
            st.tool(ts, s, "coder", "code_edit", "http_get", f"url-{k}", status=status)
            ts += 2000
        st.llm(ts, s, "coder", "code_edit", inp=3000, out=0, status="error")
        st.llm(ts + 1000, s, "coder", "code_edit", inp=3000, out=0, status="retry")
        # The call that gets through names no provider (logged by another
        # layer than the failed attempts): the same model is the same call.
        st.ev(ts + 3000, s, "coder", "code_edit", kind="llm", model="gpt-4o", input_tokens=3000, output_tokens=300,
              tool="run_tests", args_hash=f"tests-{k}")
        st.tool(ts + 4000, s, "coder", "code_edit", "run_tests", f"tests-{k}", status="error")
        st.tool(ts + 9000, s, "coder", "code_edit", "run_tests", f"tests-{k}")
        ts += 15000
    # Then a gateway that fails each model call three times before it gets
    # through (the attempts name the provider, the success does not).
    for k in range(4):
        for j, status in enumerate(("error", "retry", "retry")):
            st.llm(ts + j * 2000, s, "coder", "code_edit", inp=3000, out=0, status=status)
        st.ev(ts + 8000, s, "coder", "code_edit", kind="llm", model="gpt-4o", input_tokens=3000, output_tokens=300,
              tool="read_file", args_hash=f"notes-{k}")
        st.tool(ts + 9000, s, "coder", "code_edit", "read_file", f"notes-{k}")
        ts += 12000
    st.normal_session(ts, s, "coder", "code_edit", 5)
    return ["nokill trap-recovered"]


def deployment_shift(st, ts):
    """A deploy moves the coder from gpt-4o to o1 (6x its list price): from
    then on every new session starts on o1, a few seconds apart, so each is
    one of several on the new model within its first calls. That is the
    agent's model now, not one session's runaway: none is killed. (An agent
    that runs one session at a time has its first session on the new model
    killed: alone on it, it looks exactly like a runaway on a pricier model.)"""
    plan = []
    out = []
    for k in range(8):
        s = f"trap-deploy-{k}"
        t = ts + k * 20_000
        inp = 2000
        for i in range(14):
            plan.append((t, s, "llm", i, inp))
            plan.append((t + st.rng.randint(2_000, 6_000), s, "tool", i, None))
            t += st.rng.randint(7_000, 11_000)
            inp += st.rng.randint(300, 1200)
        out.append(f"nokill {s}")
    for t, s, kind, i, inp in sorted(plan, key=lambda p: (p[0], p[1], p[2])):
        tool = ["read_file", "search", "edit_file", "run_tests"][i % 4]
        args = f"{tool}-{s}-{i}"
        if kind == "llm":
            st.llm(t, s, "coder", "code_edit", model="o1", inp=inp, out=st.rng.randint(150, 400), tool=tool, args_hash=args)
        else:
            st.tool(t, s, "coder", "code_edit", tool, args)
    return out


# ----------------------------------------------------------------- runaways

def loop_repeat(st, ts):
    s = "run-repeat"
    ts = st.normal_session(ts, s, "coder", "code_edit", 5)
    # actions so far: 10; then the same call again and again
    for i in range(200):
        st.llm(ts, s, "coder", "code_edit", inp=8000, tool="read_file", args_hash="config.yaml")
        ts += 2000
        st.tool(ts, s, "coder", "code_edit", "read_file", "config.yaml")
        ts += 1000
    return ["kill run-repeat loop_repeat 22"]


def nonce_loop(st, ts):
    """The same command again and again with a fresh request id in its
    arguments each time (so no two calls are identical), an LLM call
    asking for each, on and on: only its length tells it from a batch.
    Killed past `tool_run_min_calls` (the task type's runs are short); the
    repeat rule never sees it (builtin-23)."""
    s = "run-nonce"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for i in range(400):
        args = f"run_command-req-{st.rng.randrange(10**9)}"
        st.llm(ts, s, "coder", "code_edit", inp=5000, out=120, tool="run_command", args_hash=args)
        ts += 2500
        st.tool(ts, s, "coder", "code_edit", "run_command", args, latency_ms=800)
        ts += 1200
    return ["kill run-nonce loop_repeat 420"]


def loop_cycle(st, ts):
    s = "run-cycle"
    ts = st.normal_session(ts, s, "coder", "code_edit", 5)
    seq = [("search", "q-flaky"), ("read_file", "test_x.py"), ("run_tests", "test_x")]
    for i in range(100):
        t, a = seq[i % 3]
        st.tool(ts, s, "coder", "code_edit", t, a)
        ts += 2000
        st.llm(ts, s, "coder", "code_edit", inp=9000)
        ts += 2000
    return ["kill run-cycle loop_cycle 30"]


def ping_pong(st, ts):
    out = []
    task = "task-pp"
    for k in range(60):
        a, b = ("writer", "reviewer") if k % 2 == 0 else ("reviewer", "writer")
        s = f"run-pp-{a}"
        st.llm(ts, s, a, "doc_review", inp=4000, task_id=task)
        ts += 2000
        st.ev(ts, s, a, "doc_review", kind="handoff", target_agent_id=b, task_id=task)
        ts += 2000
    return ["kill run-pp-reviewer ping_pong 16"]


def step_runaway(st, ts):
    s = "run-steps"
    # varied, non-looping calls far beyond the task type's normal (~8-18 steps)
    st.normal_session(ts, s, "coder", "code_edit", 400, base_inp=1500)
    return ["kill run-steps step_runaway 130"]


def retry_storm(st, ts):
    s = "run-retry"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for i in range(200):
        st.llm(ts, s, "coder", "code_edit", inp=5000, status="retry" if i % 2 else "error")
        ts += 1000
    return ["kill run-retry retry_storm 24"]


def retry_storm_tools(st, ts):
    # One call keeps failing: the model asks for it again after each
    # failure, retried twice each time, and between rounds a call to the
    # same tool with other arguments works. That success does not make
    # the failing call's retries ones that recovered.
    s = "run-retry-tools"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for i in range(40):
        st.llm(ts, s, "coder", "code_edit", inp=4000, tool="http_get", args_hash="flaky-endpoint")
        for j, status in enumerate(("error", "retry", "retry")):
            st.tool(ts + 1000 + j * 2000, s, "coder", "code_edit", "http_get", "flaky-endpoint", status=status)
        st.llm(ts + 8000, s, "coder", "code_edit", inp=4000, tool="http_get", args_hash=f"other-{i}")
        st.tool(ts + 9000, s, "coder", "code_edit", "http_get", f"other-{i}")
        ts += 12000
    return ["kill run-retry-tools retry_storm 30"]


def outage_sessions(ts, prefix, steps):
    # Six sessions of one provider's outage, twelve rounds each, staggered;
    # `steps(t, s, i)` writes round i of session s from time t. None of
    # them may be killed.
    sessions = [f"{prefix}-{j}" for j in range(6)]
    for i in range(12):
        for j, s in enumerate(sessions):
            steps(ts + i * 8000 + j * 700, s, i)
    return [f"nokill {s}" for s in sessions]


def provider_outage(st, ts):
    # Six sessions call one provider while it fails two calls in three; each
    # retries with backoff and gets through. Ten failures in twenty actions
    # is a retry storm for one session alone; for six at once it is the
    # provider's outage, and its victims are not killed.
    def steps(t, s, i):
        st.llm(t, s, "coder", "code_edit", inp=3000, out=0, status="error")
        st.llm(t + 1000, s, "coder", "code_edit", inp=3000, out=0, status="retry")
        st.llm(t + 3000, s, "coder", "code_edit", inp=3000, tool="search", args_hash=f"{s}-{i}")
        st.tool(t + 4000, s, "coder", "code_edit", "search", f"{s}-{i}")
    return outage_sessions(ts, "trap-outage", steps)


def provider_outage_tools(st, ts):
    # As above, but after the first failed LLM calls each session's tool
    # steps fail and retry too (they wait on the same provider). Judged by
    # the provider of the session's LLM calls, those retries are the
    # outage's as well: alerted, not killed.
    def steps(t, s, i):
        st.llm(t, s, "coder", "code_edit", inp=3000, out=0, status="error")
        st.llm(t + 1000, s, "coder", "code_edit", inp=3000, tool="search", args_hash=f"{s}-{i}")
        st.tool(t + 2000, s, "coder", "code_edit", "search", f"{s}-{i}", status="error")
        st.tool(t + 4000, s, "coder", "code_edit", "search", f"{s}-{i}", status="retry")
        st.tool(t + 6000, s, "coder", "code_edit", "search", f"{s}-{i}")
    return outage_sessions(ts, "trap-outage-tools", steps)


def context_growth(st, ts):
    # Capped at a 2M-token window: past a billion tokens a call is a dead letter.
    st.context_steps(ts, "run-growth", 60, lambda inp: min(inp * 1.35, 2_000_000))
    return ["kill run-growth context_growth 30"]


def context_sawtooth(st, ts):
    """Context climbs a steady 2,500 tokens a call (each tool result
    appended, nothing ever summarised) to about 3.7x its baseline's p95,
    where the runtime trims the oldest turns and it climbs again: it never
    reaches the climb rule's 4x nor holds one level for the held-context
    rule. Eighteen growing calls in a row to 3x its p95 tell: killed there,
    long before its ceiling."""
    st.context_steps(ts, "run-sawtooth", 120, lambda inp: inp + 2500 if inp < 50_000 else 42_000)
    return ["kill run-sawtooth context_growth 40"]


def context_pinned(st, ts):
    # Context climbs call after call to about 2.5x its baseline's p95 (a
    # level the climb rule, at 4x, never reaches), then stays pinned there,
    # as an agent at its context window that never compacts.
    st.context_steps(ts, "run-pinned", 60, lambda inp: min(inp + 3000, 36_000))
    return ["kill run-pinned context_growth 50"]


def long_growing(st, ts):
    # A long session whose context keeps growing slowly (1.5 % per call)
    # well above its baseline's p95, never pinned: work, not a runaway.
    st.context_steps(ts, "trap-long-growing", 35, lambda inp: inp + 3000 if inp < 24_000 else inp * 1.015,
                     tools=("read_file", "search", "edit_file"))
    return ["nokill trap-long-growing"]


def doc_chunks(st, ts, s, calls, start, step):
    """A document reviewer on gemini-2.5-pro reading a long document chunk
    by chunk: each LLM call carries the chunks so far (`start` tokens, then
    `step(i)` more each call), each followed by the next chunk's fetch."""
    inp = start
    for i in range(calls):
        st.ev(ts, s, "doc-analyst", "long_doc_review", kind="llm", model="gemini-2.5-pro", provider="google",
              input_tokens=int(inp), output_tokens=st.rng.randint(4000, 9000), tool="read_chunk", args_hash=f"{s}-c{i}")
        ts += st.rng.randint(6_000, 12_000)
        st.tool(ts, s, "doc-analyst", "long_doc_review", "read_chunk", f"{s}-c{i}")
        ts += 800
        inp += step(i)
    return ts


def long_doc_past_tier(st, ts):
    """A reviewer type whose sessions read a document chunk by chunk, the
    context climbing below 200k tokens: 25-45k tokens a call for 3-5 calls,
    or for a quarter of them 10-16k for 8-11 calls. A longer one climbs on
    to 430k: past 200k gemini-2.5-pro bills the whole call at twice its
    rates, so one step of 1.2x the tokens costs 2.5x the call before, 3x
    and more the session's lagging level. The same model on a longer
    context is no pricier call (before, the tier's first calls froze the
    level and the session was killed as a sustained spike); compared at the
    model's base rates it is growth."""
    for i in range(80):
        if i < 60:
            ts = doc_chunks(st, ts, f"doc-{i}", st.rng.randint(3, 5), 40_000, lambda i: st.rng.randint(25_000, 45_000))
        else:
            ts = doc_chunks(st, ts, f"doc-{i}", st.rng.randint(8, 11), 40_000, lambda i: st.rng.randint(10_000, 16_000))
        ts += 10 * MIN
    ts += 60 * MIN
    ts = doc_chunks(st, ts, "trap-long-doc", 14, 40_000, lambda i: 30_000)
    # Compared at base rates, a jump is still one: three calls of its
    # usual size, then the whole corpus pasted into every call (ten times
    # the context, billed past the tier too).
    doc_chunks(st, ts + 60 * MIN, "run-doc-jump", 16, 40_000, lambda i: 360_000 if i == 2 else 2_000)
    return ["nokill trap-long-doc", "kill run-doc-jump cost_spike 17"]


def context_jump_early(st, ts):
    """A session's second call jumps to 120k tokens, about ten times what
    the agent's calls ever carry, and stays there (a tool pasting a whole
    repository into the context each turn). Its first calls cannot set its
    level when they leave the baseline's range by the spike ratio itself:
    killed as a sustained spike, not taken for the session's normal."""
    st.context_from_second_call(ts, "run-context-jump", "search", "q-0", 100, lambda i: 120_000 + 100 * i, "cj", 6000)
    return ["kill run-context-jump cost_spike 12"]


def pricier_from_first_call(st, ts):
    """The coder, whose history on this task type is all gpt-4o, starts a
    session on o1 with a bigger context (about 15x its usual cost per call)
    and stays there. The session has no cheaper level of its own to jump
    from, so only its agent's own baseline shows the switch: killed as a
    sustained spike at its fifth call. A new agent on o1 is not (its
    baseline is others'): see trap_new_agent_pricier."""
    s = "run-pricier-first"
    st.coder_steps(ts, s, 60, lambda i: 8000 + 100 * i, "pf-", model="o1")
    return ["kill run-pricier-first cost_spike 9"]


def pricier_model_small_calls(st, ts):
    """The coder, whose history on this task type is all gpt-4o, starts a
    session on o1 (6x gpt-4o's list price) with short calls: each costs
    about 1.5x its usual call, within its range, so neither the cost per
    call nor a cost level of the session's own shows anything. The model's
    list price does: killed as a sustained spike at its fifth call, while
    the agent's other sessions go on on gpt-4o."""
    s = "run-pricier-small"
    plan = []
    for i in range(40):
        plan.append((ts + i * 6_000, s, i))
    for k in range(3):
        other = f"run-pricier-small-peer-{k}"
        for i in range(10):
            plan.append((ts + 2_000 + k * 30_000 + i * 7_000, other, i))
    for t, sess, i in sorted(plan):
        tool = ["read_file", "search", "edit_file"][i % 3]
        args = f"{sess}-{tool}-{i}"
        if sess == s:
            st.llm(t, sess, "coder", "code_edit", model="o1", inp=400, out=100, tool=tool, args_hash=args)
        else:
            st.llm(t, sess, "coder", "code_edit", inp=2000 + 300 * i, out=250, tool=tool, args_hash=args)
        st.tool(t + 1_500, sess, "coder", "code_edit", tool, args)
    return ["kill run-pricier-small cost_spike 10"] + [f"nokill run-pricier-small-peer-{k}" for k in range(3)]


def router_session(st, ts, s, models):
    """A router's session: one LLM call per entry of `models` (each with a
    lookup tool call on new input), gpt-4o-mini's calls and gpt-4o's of
    the same size."""
    for i, model in enumerate(models):
        args = f"{s}-lookup-{i}"
        st.llm(ts, s, "router", "triage", model=model, inp=2500 + 100 * i, out=200, tool="lookup", args_hash=args)
        ts += 3_000
        st.tool(ts, s, "router", "triage", "lookup", args)
        ts += 2_000
    return ts


def router_mixing_models(st, ts):
    """A router sends about one call in three to gpt-4o (16x gpt-4o-mini's
    price per token) and the rest to gpt-4o-mini, as a matter of course.
    A session whose first calls were on gpt-4o-mini, then five of seven
    on gpt-4o, used its agent's usual models: no cost spike. Before the
    agent's list prices were consulted, each gpt-4o call read as a switch
    to a model 16x pricier per token than the session's level."""
    mini, big = "gpt-4o-mini", "gpt-4o"
    for k in range(40):
        models = [big if (k + i) % 3 == 0 else mini for i in range(8)]
        ts = router_session(st, ts, f"run-router-{k}", models) + 5 * MIN
    router_session(st, ts, "run-router-mix", [mini] * 3 + [big, big, mini, big, big, big, mini])
    return ["nokill run-router-mix", "signals cost_spike 0"]


def pricier_per_token(st, ts):
    """The coder, on gpt-4o at the catalog's prices, switches to its
    team's fine-tuned model, which the catalog does not list, billed
    (`cost_usd`) at 6x gpt-4o's price per token on calls of the same
    size: its price per token, not per call nor by list price, is the
    spike. The kill's figures are the prices per million tokens compared
    (the ratio then is the one the rule saw, not a per-call one below 3)."""
    s = "run-finetuned"
    ts = st.coder_steps(ts, s, 4, lambda i: 3000 + 200 * i, "ft-warm-")
    ids = []
    for i in range(20):
        t = ["read_file", "search", "edit_file"][i % 3]
        args = f"ft-{t}-{i}"
        inp, out = 3800 + 200 * i, 300
        cost = 6 * (inp * 2.5e-6 + out * 10e-6)
        ids.append(st.llm(ts, s, "coder", "code_edit", model="acme-coder-ft", inp=inp, out=out, cost_usd=round(cost, 6),
                          tool=t, args_hash=args)["event_id"])
        ts += 3000
        st.tool(ts, s, "coder", "code_edit", t, args)
        ts += 1000
    return ["kill run-finetuned cost_spike 18",
            # 6x per token, against a level that follows calls of
            # several sizes: 5.7x; per call, gpt-4o's calls were smaller.
            f"signal kill cost_spike {ids[4]} evidence.compared=cost_per_token ratio=5.6772"]


def exactly_spike_ratio(st, ts):
    """The coder moves from gpt-4o to a model billed at exactly 3x its price
    per token (Claude Opus 4.1 is 3x Opus 4.5), on calls of the same size:
    a spike at the default ratio of 3 (before builtin-23, 3x the price
    computed as a hair under 3x, and this ran on unflagged)."""
    s = "run-exact-3x"
    for i in range(4):
        st.llm(ts, s, "coder", "code_edit", inp=14000, out=1000, cost_usd=0.09, tool="read_file", args_hash=f"x3-warm-{i}")
        ts += 3000
        st.tool(ts, s, "coder", "code_edit", "read_file", f"x3-warm-{i}")
        ts += 1000
    for i in range(20):
        t = ["read_file", "search", "edit_file"][i % 3]
        st.llm(ts, s, "coder", "code_edit", model="acme-coder-3x", inp=14000, out=1000, cost_usd=0.27, tool=t, args_hash=f"x3-{t}-{i}")
        ts += 3000
        st.tool(ts, s, "coder", "code_edit", t, f"x3-{t}-{i}")
        ts += 1000
    return ["kill run-exact-3x cost_spike 22"]


def loop_burst(st, ts):
    """A bad deploy: right after a start, eight sessions of one task type
    loop on the same lookup while 40 others of the type work normally,
    all within minutes, so none has finished. Kills are judged against the
    sessions the type began, not those finished: eight loops among 48 are
    no reason to doubt the limit, and every loop is killed."""
    plan = []
    for k in range(48):
        s = f"run-burst-{k}"
        t = ts + k * 4000
        looping = k % 6 == 5
        for i in range(12):
            if looping:
                plan.append((t, s, "llm", None, None))
                plan.append((t + 1500, s, "tool", "lookup_order", "order-same"))
            else:
                a = f"{s}-{i}"
                plan.append((t, s, "llm", None, None))
                plan.append((t + 1500, s, "tool", ["lookup_order", "refund", "reply"][i % 3], a))
            t += 3000
    for t, s, kind, tool, args in sorted(plan, key=lambda p: (p[0], p[1])):
        if kind == "llm":
            st.llm(t, s, "triager", "order_triage", model="gpt-4o-mini", inp=1500, out=150)
        else:
            st.tool(t, s, "triager", "order_triage", tool, args)
    return [f"kill run-burst-{k} loop_repeat 10" for k in range(48) if k % 6 == 5]


def cost_spike(st, ts):
    s = "run-spike"
    ts = st.normal_session(ts, s, "coder", "code_edit", 6)
    # the session switched to a ~6x pricier model mid-way
    st.coder_steps(ts, s, 100, lambda i: 8000 + 200 * i, "", model="o1")
    # killed at its 5th call on the pricier model (`spike_sustain` 5 of 7)
    return ["kill run-spike cost_spike 22"]


def session_budget(st, ts):
    # An agent with no history of its own: $1 a call is its own normal,
    # not a spike against a cheaper past, so the ceiling is what stops it.
    s = "run-budget"
    for i in range(40):
        st.ev(ts, s, "deal-desk", "code_edit", kind="llm", model="custom-model", cost_usd=1.0,
              tool="t", args_hash=f"a{i}")
        ts += 5000
    return ["kill run-budget session_budget 26"]


def subagent_fanout(st, ts):
    parent = "run-fanout"
    ts = st.normal_session(ts, parent, "planner", "plan", 2)
    for i in range(100):
        c = f"run-fanout-child-{i}"
        st.llm(ts, c, "worker", "subtask", inp=2000, parent_session_id=parent, task_id="task-fan")
        ts += 1000
    return ["kill run-fanout subagent_fanout 5"]


def planner_executor(st, ts):
    """A planner on a cheap model hands each step to an executor on a
    pricier one and back, for many rounds, each round with new work; the
    executor's first call after each handoff misses its prompt cache. Once
    in one session, once split over two sessions of one task."""
    def rounds(ts, sp, se, task):
        ctx = 3000
        for r in range(14):
            st.llm(ts, sp, "planner", "feature", model="gpt-4o-mini", inp=ctx, out=400, task_id=task)
            ts += 2000
            st.ev(ts, sp, "planner", "feature", kind="handoff", target_agent_id="executor", task_id=task)
            ts += 1000
            for i in range(3):
                t = ["read_file", "edit_file", "run_tests"][i]
                args = f"{t}-{se}-{r}-{i}"
                cached = 0 if i == 0 else ctx
                st.llm(ts, se, "executor", "feature", model="gpt-4o", inp=ctx - cached + 500, out=300,
                       cache_read_tokens=cached, tool=t, args_hash=args, task_id=task)
                ts += 3000
                st.tool(ts, se, "executor", "feature", t, args, task_id=task)
                ts += 1000
                ctx += 700
            st.ev(ts, se, "executor", "feature", kind="handoff", target_agent_id="planner", task_id=task)
            ts += 1000
        return ts
    ts = rounds(ts, "run-pe-one", "run-pe-one", None)
    rounds(ts, "run-pe-planner", "run-pe-executor", "task-pe")
    return ["nokill run-pe-one", "nokill run-pe-planner", "nokill run-pe-executor"]


def ping_pong_busy(st, ts):
    """A triage agent and an investigator hand one alert back and forth,
    each leg enriching it a little more: a lookup with arguments new every
    time, so no leg is idle. Far more handoffs than any task makes."""
    task = "task-ppb"
    for k in range(80):
        a, b = ("triage", "investigator") if k % 2 == 0 else ("investigator", "triage")
        s = f"run-ppb-{a}"
        st.llm(ts, s, a, "alert_triage", inp=5000, tool="intel_lookup", args_hash=f"ioc-{k}", task_id=task)
        ts += 3000
        st.tool(ts, s, a, "alert_triage", "intel_lookup", f"ioc-{k}", task_id=task)
        ts += 1000
        st.ev(ts, s, a, "alert_triage", kind="handoff", target_agent_id=b, task_id=task)
        ts += 2000
    return ["kill run-ppb-investigator ping_pong 60"]


def ping_pong_busy_learned(st, ts):
    """A task type whose sessions hand an alert over once and get it back
    (p95: one handoff per session), learned from a dozen finished tasks.
    Then an eval-style task: 20 graders of one suite, each handing its item
    to a fresh adjudicator once, the same two agents alternating in one
    task with no session repeating itself: not a ping-pong. Then a triage
    agent and an investigator handing one alert back and forth, a new
    lookup on every leg: far beyond the type's normal, killed at 12
    alternations (the static limit of 36 applies only before a normal)."""
    tt = "soc_triage"
    for k in range(12):
        task = f"task-ppl-normal-{k}"
        a, b = f"run-ppl-n{k}-t", f"run-ppl-n{k}-i"
        ts = st.normal_session(ts, a, "triage", tt, 3)
        st.ev(ts, a, "triage", tt, kind="handoff", target_agent_id="investigator", task_id=task)
        ts += 2000
        ts = st.normal_session(ts, b, "investigator", tt, 3)
        st.ev(ts, b, "investigator", tt, kind="handoff", target_agent_id="triage", task_id=task)
        ts += 2000
        st.llm(ts, a, "triage", tt, inp=3000, task_id=task)
        ts += 5 * MIN
    ts += 40 * MIN
    out = []
    for k in range(20):
        g, j = f"run-grade-{k}", f"run-grade-{k}-adj"
        st.llm(ts, g, "triage", tt, inp=2500, task_id="task-suite")
        ts += 1000
        st.ev(ts, g, "triage", tt, kind="handoff", target_agent_id="investigator", task_id="task-suite")
        ts += 1000
        st.llm(ts, j, "investigator", tt, inp=2500, tool="lookup", args_hash=f"item-{k}", task_id="task-suite")
        ts += 1000
        st.ev(ts, j, "investigator", tt, kind="handoff", target_agent_id="triage", task_id="task-suite")
        ts += 1000
        out += [f"nokill {g}", f"nokill {j}"]
    ts += 40 * MIN
    task = "task-ppl"
    for k in range(60):
        a, b = ("triage", "investigator") if k % 2 == 0 else ("investigator", "triage")
        s = f"run-ppl-{a}"
        st.llm(ts, s, a, tt, inp=5000, tool="intel_lookup", args_hash=f"ioc-{k}", task_id=task)
        ts += 3000
        st.tool(ts, s, a, tt, "intel_lookup", f"ioc-{k}", task_id=task)
        ts += 1000
        st.ev(ts, s, a, tt, kind="handoff", target_agent_id=b, task_id=task)
        ts += 2000
    return out + ["kill run-ppl-investigator ping_pong 20"]


def ping_pong_session(st, ts):
    """A router and a specialist in one session each insist the ticket is
    the other's: handoff after handoff, nothing new in between (a transfer
    call that repeats would be a loop_cycle; here the calls name no tool)."""
    s = "run-pp-router"
    st.normal_session(ts, s, "router", "triage", 2)
    ts += 30_000
    for k in range(40):
        a, b = ("router", "billing") if k % 2 == 0 else ("billing", "router")
        st.llm(ts, s, a, "triage", inp=3000)
        ts += 2000
        st.ev(ts, s, a, "triage", kind="handoff", target_agent_id=b)
        ts += 1000
    return ["kill run-pp-router ping_pong 30"]


def ping_pong_round(st, ts):
    """A router and two specialists pass a ticket round, each sure it is
    the next one's: router to billing, billing to tech, tech back to the
    router, an LLM call of the same size before each handoff and nothing
    new in between. Not two agents back and forth, but the same ping-pong."""
    s = "run-pp-round"
    st.normal_session(ts, s, "router", "triage", 2)
    ts += 30_000
    ring = ["router", "billing", "tech"]
    for k in range(40):
        a, b = ring[k % 3], ring[(k + 1) % 3]
        st.llm(ts, s, a, "triage", inp=3000)
        ts += 2000
        st.ev(ts, s, a, "triage", kind="handoff", target_agent_id=b)
        ts += 1000
    # Killed at 18 handoffs: six rounds, as a pair's 12 are six round trips.
    return ["kill run-pp-round ping_pong 40"]


def ci_polling(st, ts):
    """Waiting for CI: the same status check every half minute or so, a
    short LLM call between, eight times; then the work goes on."""
    s = "run-ci-wait"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    ts = st.poll_ci(ts, s, "coder", "code_edit", "pr-42", 8, lambda: st.rng.randint(25_000, 60_000))
    st.normal_session(ts, s, "coder", "code_edit", 3)
    return ["nokill run-ci-wait"]


def poll_forever(st, ts):
    """The same status check after every wait, and nothing ever changes:
    polls kill too, only later than spins."""
    s = "run-poll-forever"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    st.poll_ci(ts, s, "coder", "code_edit", "pr-43", 40, lambda: 30_000)
    return ["kill run-poll-forever loop_repeat 60"]


def ci_sleep_tool(st, ts):
    """Waiting for CI where the wait is a tool call of its own: check the
    status, `sleep` 30-90 s (the event stamped when the sleep ends), check
    again, ten times; then the work goes on."""
    s = "run-ci-sleep"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for _ in range(10):
        st.tool(ts, s, "coder", "code_edit", "ci_status", "pr-77", latency_ms=600)
        wait = st.rng.randint(30_000, 90_000)
        ts += 1_000 + wait
        st.tool(ts, s, "coder", "code_edit", "sleep", "s-60", latency_ms=wait)
        ts += 400
    st.normal_session(ts, s, "coder", "code_edit", 3)
    return ["nokill run-ci-sleep"]


def rollout_stages(st, ts, s, stages):
    """A staged firmware rollout: its status checked four or five times
    (the same number each stage), a minute or two apart, then the rollout paused and resumed (a canary
    hold), `stages` times; every call comes after a wait and a short LLM
    call deciding it."""
    checks = st.rng.randint(4, 5)
    st.llm(ts, s, "fw-agent", "firmware_rollout", inp=3000, out=120, tool="start_rollout", args_hash="ro-7")
    st.tool(ts + 1_500, s, "fw-agent", "firmware_rollout", "start_rollout", "ro-7", latency_ms=900)
    for _ in range(stages):
        calls = [("get_rollout_status", "ro-7")] * checks + [("pause_rollout", "ro-7"), ("resume_rollout", "ro-7")]
        for tool, args in calls:
            ts += st.rng.randint(60_000, 150_000)
            st.llm(ts, s, "fw-agent", "firmware_rollout", inp=3000, out=80, tool=tool, args_hash=args)
            ts += 1_500
            st.tool(ts, s, "fw-agent", "firmware_rollout", tool, args, latency_ms=500)
    return ts


def staged_rollout(st, ts):
    """Three stages of a rollout, then the work goes on: a cycle of six or
    seven calls made wholly after waits is waiting, judged as polls (before
    builtin-23, killed at its third stage as a loop_cycle)."""
    s = "run-rollout"
    ts = rollout_stages(st, ts, s, 3)
    ts += 60_000
    st.llm(ts, s, "fw-agent", "firmware_rollout", inp=3000, out=200)
    st.tool(ts + 1_000, s, "fw-agent", "firmware_rollout", "write_report", "ro-7-done")
    return ["nokill run-rollout"]


def rollout_stages_forever(st, ts):
    """The same rollout paused and resumed stage after stage, never done:
    waiting without end, killed at the poll limit of its status check."""
    s = "run-rollout-forever"
    rollout_stages(st, ts, s, 30)
    return ["kill run-rollout-forever loop_repeat 100"]


def sleep_then_check(st, ts, s, rounds):
    """A coding agent waiting for CI the way Claude Code does: the LLM asks
    for `sleep 30`, the sleep runs 30 s, the LLM asks for the CI status,
    the check runs under a second; `rounds` times. The sleep repeats right
    after a short check, yet every round waited."""
    for _ in range(rounds):
        st.llm(ts, s, "coder", "code_edit", inp=600, out=60, tool="sleep", args_hash="sleep-30")
        ts += 3_000
        st.tool(ts, s, "coder", "code_edit", "sleep", "sleep-30", latency_ms=30_000)
        ts += 30_200
        st.llm(ts, s, "coder", "code_edit", inp=600, out=60, tool="ci_status", args_hash="pr-78")
        ts += 3_000
        st.tool(ts, s, "coder", "code_edit", "ci_status", "pr-78", latency_ms=900)
        ts += 1_000
    return ts


def ci_waits(st, ts, s, pr, rounds, agent="ci-bot", tt="ci_fix"):
    """`rounds` CI checks the way a coding agent waits: the LLM asks for
    `sleep 30`, the sleep runs, the LLM asks for the status, the check runs."""
    for _ in range(rounds):
        st.llm(ts, s, agent, tt, inp=600, out=60, tool="sleep", args_hash="sleep-30", latency_ms=2_500)
        ts += 3_000
        st.tool(ts, s, agent, tt, "sleep", "sleep-30", latency_ms=30_000)
        ts += 30_200
        st.llm(ts, s, agent, tt, inp=600, out=60, tool="ci_status", args_hash=pr, latency_ms=2_500)
        ts += 3_000
        st.tool(ts, s, agent, tt, "ci_status", pr, latency_ms=900)
        ts += 1_000
    return ts


def ci_wait_history(st, ts):
    """Twenty finished sessions of a type whose work waits on CI by design,
    8 to 22 rounds each (the policy's check allows 24 rounds of a sleep and
    a check in its 48-call window), 40 minutes apart."""
    for i in range(20):
        s = f"ci-history-{i}"
        t = st.normal_session(ts, s, "ci-bot", "ci_fix", 3)
        t = ci_waits(st, t, s, f"pr-{i}", st.rng.randint(8, 22))
        st.normal_session(t, s, "ci-bot", "ci_fix", 2)
        ts += 40 * MIN
    return ts


def ci_long_wait_learned(st, ts):
    """A CI run of 20 minutes, checked every 30 s (36 rounds), in that
    type: longer than the policy's 24 rounds, within what the type waits."""
    ts = ci_wait_history(st, ts)
    s = "run-ci-long-wait"
    ts = st.normal_session(ts, s, "ci-bot", "ci_fix", 3)
    ts = ci_waits(st, ts, s, "pr-long", 36)
    st.normal_session(ts, s, "ci-bot", "ci_fix", 2)
    return ["nokill run-ci-long-wait"]


def ci_wait_forever_learned(st, ts):
    """The same type, a CI check that never turns green: still killed,
    at the type's learned wait (at most 4x `repeat_poll_kill` polls)."""
    ts = ci_wait_history(st, ts)
    s = "run-ci-wait-forever"
    ts = st.normal_session(ts, s, "ci-bot", "ci_fix", 3)
    ci_waits(st, ts, s, "pr-stuck", 150)
    return ["kill run-ci-wait-forever loop_cycle 173"]


def ci_sleep_requested(st, ts):
    """Twelve such rounds, then the work goes on: waiting, not looping
    (a tester's fleet: killed at the fifth sleep, 77 % of these waits)."""
    s = "run-ci-sleep-asked"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    ts = sleep_then_check(st, ts, s, 12)
    st.normal_session(ts, s, "coder", "code_edit", 3)
    return ["nokill run-ci-sleep-asked"]


def ci_sleep_requested_forever(st, ts):
    """The same wait that never ends: polls, killed once its checks have
    cost what its type's sessions spend at the median (a 600-token context:
    at 275 actions and $0.33; at the poll limit, 103 actions, before
    builtin-24)."""
    s = "run-ci-sleep-forever"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    sleep_then_check(st, ts, s, 200)
    return ["kill run-ci-sleep-forever loop_cycle 280"]


def coder_session(st, ts, s, agent, start, step, calls):
    """A coding agent's session on a prompt cache: each call reads the
    conversation so far from the cache (`start` tokens, `step` more each
    call) and sends a little new input; a file read between calls."""
    for i in range(calls):
        st.llm(ts, s, agent, "code_fix", model="claude-sonnet-4-5", inp=800, out=300,
               cache_read_tokens=start + i * step, tool="read_file", args_hash=f"{s}-f{i}")
        ts += 4_000
        st.tool(ts, s, agent, "code_fix", "read_file", f"{s}-f{i}", latency_ms=80)
        ts += 1_000
    return ts


def young_agent_starts_high(st, ts):
    """A new coding agent (its own baseline young, judged by the fleet's
    smaller contexts, p95 about 12.7k) whose sessions start at 45k cached
    tokens and grow 3k a call for 12 calls: its normal, not a runaway (a
    tester's fleet: every such session killed for 6.5 hours)."""
    expect = []
    for n in range(4):
        s = f"run-young-coder-{n}"
        ts = coder_session(st, ts, s, "new-coder", 45_000, 3_000, 7) + 60_000
        expect.append(f"nokill {s}")
    return expect


def young_agent_grows_on(st, ts):
    """The same agent's session that never compacts, while its own baseline
    is still young: from 45k, 3k a call: a climb of 18 calls or more to 3x
    where it started kills."""
    ts = coder_session(st, ts, "run-young-coder-a", "new-coder", 45_000, 3_000, 7) + 60_000
    coder_session(st, ts, "run-young-coder-b", "new-coder", 45_000, 3_000, 60)
    return ["nokill run-young-coder-a", "kill run-young-coder-b context_growth 70"]


def young_batch_pipeline(st, ts):
    """A nightly extraction job of a task type seen for the first time:
    for each of 550 documents, fetch it, then an LLM call extracting its
    fields: 1,100 actions, every one on a new input. Past the static cap
    of a young type, but a batch (a tester's fleet: killed at action 1,001,
    21 of 282 such jobs)."""
    s = "run-young-batch"
    for i in range(550):
        st.tool(ts, s, "extractor", "batch_extract", "fetch_doc", f"doc-{i}", latency_ms=300)
        ts += 400
        st.llm(ts, s, "extractor", "batch_extract", model="gpt-4o-mini", inp=3000, out=200,
               tool="extract_fields", args_hash=f"fields-{i}")
        ts += 2_000
    return ["nokill run-young-batch"]


def research_session(st, ts, s, steps):
    """A research lead: each step an LLM call asking for a new search, the
    search running."""
    for i in range(steps):
        st.llm(ts, s, "lead", "deep_research", inp=2500, out=200, tool="web_search", args_hash=f"{s}-q{i}")
        ts += 2_000
        st.tool(ts, s, "lead", "deep_research", "web_search", f"{s}-q{i}", latency_ms=900)
        ts += 1_000
    return ts


def search_forever(st, ts):
    """20 research sessions of 8 searches, then one that never stops
    searching: each query new, so it looks like a batch, but 50x its type's
    length is a runaway (a tester's fleet: never stopped, 800 actions).
    Since builtin-23 its 200 searches in a row, against runs of 8 in its
    type, kill it (`loop_repeat`) two actions before `step_runaway` would."""
    for n in range(20):
        ts = research_session(st, ts, f"run-research-{n}", 8) + 10 * MIN
    research_session(st, ts, "run-search-forever", 400)
    return ["kill run-search-forever loop_repeat 500"]


def handoff_refetch(st, ts):
    """A router and a specialist hand a ticket back and forth a few times,
    and each looks the customer and account up again when the ticket comes
    to it: five identical lookups in the session, no agent repeating itself
    more than three times."""
    s = "run-refetch"
    agents = ["router", "billing", "router", "billing", "router"]
    for k, a in enumerate(agents):
        st.llm(ts, s, a, "triage", inp=2500, tool="get_customer", args_hash="cust-9")
        ts += 1500
        st.tool(ts, s, a, "triage", "get_customer", "cust-9")
        ts += 800
        st.llm(ts, s, a, "triage", inp=2800, tool="get_account", args_hash="acct-9")
        ts += 1500
        st.tool(ts, s, a, "triage", "get_account", "acct-9")
        ts += 800
        if k + 1 < len(agents):
            st.ev(ts, s, a, "triage", kind="handoff", target_agent_id=agents[k + 1])
            ts += 1000
    return ["nokill run-refetch"]


def wide_map_reduce(st, ts):
    """A task type never seen before fans out to 35 workers at once, as a
    map-reduce over documents does: wider than the fleet's trees, not a
    runaway. Without a normal of its own it is held to the cap (40)."""
    parent = "run-mapreduce"
    ts = st.normal_session(ts, parent, "splitter", "doc_batch", 2)
    for i in range(35):
        st.llm(ts, f"run-mapreduce-w{i}", "doc-worker", "doc_summary", inp=3000, parent_session_id=parent, task_id="task-mr")
        ts += 300
    st.normal_session(ts, parent, "splitter", "doc_batch", 2)
    return ["nokill run-mapreduce"]


def cycle_slow_step(st, ts):
    """Work going round with a slow step in it: read, run the tests (a
    minute, the event stamped at its end, so the session looks quiet
    before it), run a script, edit, and again. A slow step does not make
    a four-call cycle a poll loop: three turns kill."""
    s = "run-cycle-slow"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for _ in range(10):
        for t, ms in (("read_file", 800), ("run_tests", 60_000), ("bash", 2_000), ("edit_file", 500)):
            st.llm(ts, s, "coder", "code_edit", inp=4000, tool=t, args_hash=f"{t}-same")
            ts += 2_000 + ms
            st.tool(ts, s, "coder", "code_edit", t, f"{t}-same", latency_ms=ms)
            ts += 300
    return ["kill run-cycle-slow loop_cycle 36"]


def orchestrator_wait(st, ts):
    """Orchestration code waits for its workers: it spawns three, then
    checks the job's status every 6-40 s, thirty times, with no LLM call
    between the checks (it pays for none), while the workers (sessions of
    their own) do the paid work. A free wait loop is not runaway spend."""
    parent = "run-orchestrator"
    st.llm(ts, parent, "orchestrator", "backfill", inp=1500, out=200)
    ts += 3000
    for i in range(3):
        st.tool(ts, parent, "orchestrator", "backfill", "spawn_worker", f"shard-{i}", latency_ms=200)
        ts += 400
    st.tool(ts, parent, "orchestrator", "backfill", "submit_job", "job-7", latency_ms=900)
    ts += 1500
    for k in range(30):
        for i in range(3):
            w = f"run-orchestrator-w{i}"
            st.llm(ts, w, "sql-worker", "backfill_shard", inp=3000, parent_session_id=parent,
                   tool="run_sql", args_hash=f"q-{i}-{k}", latency_ms=2500)
            ts += 700
        ts += st.rng.randint(3_000, 38_000)
        st.tool(ts, parent, "orchestrator", "backfill", "job_status", "job-7", latency_ms=st.rng.randint(60, 400))
        ts += 300
    st.llm(ts, parent, "orchestrator", "backfill", inp=2500, out=300)
    return ["nokill run-orchestrator"]


def harness_spin(st, ts):
    """A harness re-runs the same command back to back, call after call,
    no LLM call between: free in tokens, but stuck. A free repeat made
    without a pause still counts."""
    s = "run-harness-spin"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for _ in range(100):
        ms = st.rng.randint(2_000, 14_000)
        st.tool(ts, s, "coder", "code_edit", "bash", "make-test", latency_ms=ms)
        ts += ms + st.rng.randint(20, 400)
    return ["kill run-harness-spin loop_repeat 14"]


def free_job_polls(st, ts):
    """A simulation agent submits an overnight job and its harness (not
    the model) checks the job's status every 60-120 s, 400 times, with no
    LLM call between, then the agent reads the results. The type's
    sessions otherwise make short runs of any one tool. Free polls spend
    nothing: they are no run round the same tool (before, the tool-run
    rule killed the session at 200 checks)."""
    for i in range(12):
        ts = st.normal_session(ts, f"sim-{i}", "sim-agent", "cfd_study", st.rng.randint(6, 10)) + 10 * MIN
    ts += 60 * MIN
    s = "trap-free-job-polls"
    ts = st.normal_session(ts, s, "sim-agent", "cfd_study", 3)
    st.llm(ts, s, "sim-agent", "cfd_study", inp=3000, tool="submit_job", args_hash="mesh-7")
    ts += 2_000
    st.tool(ts, s, "sim-agent", "cfd_study", "submit_job", "mesh-7", latency_ms=900)
    ts += 1_500
    for k in range(400):
        ts += st.rng.randint(60_000, 120_000)
        st.tool(ts, s, "sim-agent", "cfd_study", "get_job_status", f"job-7-{k}", latency_ms=300)
    ts += 2_000
    st.llm(ts, s, "sim-agent", "cfd_study", inp=4000, tool="read_results", args_hash="job-7")
    ts += 2_000
    st.tool(ts, s, "sim-agent", "cfd_study", "read_results", "job-7")
    return ["nokill trap-free-job-polls"]


def eda_history(st, ts):
    """Twelve finished timing-closure sessions: edits and checks on a
    10k-token context, about $0.50 each."""
    for i in range(12):
        s = f"eda-{i}"
        for k in range(st.rng.randint(14, 20)):
            st.llm(ts, s, "eda-agent", "timing_closure", inp=10_000, out=300, tool="edit_constraints", args_hash=f"{s}-e{k}")
            ts += 4_000
            st.tool(ts, s, "eda-agent", "timing_closure", "edit_constraints", f"{s}-e{k}")
            ts += 2_000
        ts += 10 * MIN
    return ts + 60 * MIN


def eda_job_polled(st, ts, s, polls, gap, inp):
    """The agent submits a job, then checks on it `polls` times, an LLM
    call on an `inp`-token context before each check, `gap(k)` ms apart."""
    st.llm(ts, s, "eda-agent", "timing_closure", inp=10_000, tool="submit_job", args_hash=f"{s}-job")
    ts += 3_000
    st.tool(ts, s, "eda-agent", "timing_closure", "submit_job", f"{s}-job")
    for k in range(polls):
        ts += gap(k)
        st.llm(ts, s, "eda-agent", "timing_closure", inp=inp, out=40, tool="get_job_status", args_hash=f"{s}-job")
        ts += 1_500
        st.tool(ts, s, "eda-agent", "timing_closure", "get_job_status", f"{s}-job")
    return ts


def overnight_job_paid_polls(st, ts):
    """An overnight job checked by the model with a back-off from one
    minute to ten, 45 times (seven hours), on a 600-token context: the whole
    wait costs a fraction of what the type's sessions spend, so it is no
    runaway spend, and killing it at its 25th check would lose the job."""
    ts = eda_history(st, ts)
    ts = eda_job_polled(st, ts, "trap-overnight-job", 45, lambda k: min(60_000 * 2 ** k, 600_000), 600)
    st.llm(ts + 2_000, "trap-overnight-job", "eda-agent", "timing_closure", inp=10_000, tool="read_report", args_hash="rpt")
    return ["nokill trap-overnight-job"]


def job_slept(st, ts, s, rounds, sleep_ms, inp):
    """The model asks for `sleep`, then for the job's status, `rounds`
    times, on an `inp`-token context."""
    st.llm(ts, s, "eda-agent", "timing_closure", inp=10_000, tool="submit_job", args_hash="job-9")
    ts += 3_000
    st.tool(ts, s, "eda-agent", "timing_closure", "submit_job", "job-9")
    for k in range(rounds):
        ts += 2_000
        st.llm(ts, s, "eda-agent", "timing_closure", inp=inp, out=30, tool="sleep", args_hash=str(sleep_ms))
        ts += 1_000
        st.tool(ts, s, "eda-agent", "timing_closure", "sleep", str(sleep_ms), latency_ms=sleep_ms)
        ts += sleep_ms
        st.llm(ts, s, "eda-agent", "timing_closure", inp=inp, out=30, tool="get_job_status", args_hash="job-9")
        ts += 1_000
        st.tool(ts, s, "eda-agent", "timing_closure", "get_job_status", "job-9")
    return ts


def overnight_job_slept(st, ts):
    """The same overnight job waited on with a sleep tool: `sleep(600)`,
    then the job's status, 40 rounds (seven hours), on a 600-token
    context. A cycle of waits that costs less than the type's sessions do
    is waiting, as a run of polls is (killed as a loop_cycle at 24 rounds
    before)."""
    ts = eda_history(st, ts)
    ts = job_slept(st, ts, "trap-overnight-sleep", 40, 600_000, 600)
    st.llm(ts + 2_000, "trap-overnight-sleep", "eda-agent", "timing_closure", inp=10_000, tool="read_report", args_hash="rpt-9")
    return ["nokill trap-overnight-sleep"]


def costly_sleep_forever(st, ts):
    """The same wait on a 30k-token context, a minute's sleep a round, for
    ever: it costs past the type's median session within its first rounds
    and is killed as before."""
    ts = eda_history(st, ts)
    job_slept(st, ts, "run-costly-sleep", 120, 60_000, 30_000)
    return ["kill run-costly-sleep loop_cycle 100"]


def costly_wait_forever(st, ts):
    """The same type checking a job every minute on a 30k-token context,
    for ever: its checks cost past the type's median session by the 25th,
    which kills as before."""
    ts = eda_history(st, ts)
    eda_job_polled(st, ts, "run-costly-wait", 120, lambda k: 60_000, 30_000)
    return ["kill run-costly-wait loop_repeat 52"]


def assistant_work(st, ts, s, steps):
    """An assistant's burst of work: `steps` LLM calls, each with a new
    tool call (read an email, find a slot, draft a reply)."""
    for k in range(steps):
        t = st.rng.choice(("read_email", "calendar_find_slot", "draft_reply", "search_docs"))
        args = f"{s}-{t}-{ts}-{k}"
        st.llm(ts, s, "assistant", "pa_day", inp=st.rng.randint(3_000, 6_000), out=200, tool=t, args_hash=args)
        ts += st.rng.randint(3_000, 8_000)
        st.tool(ts, s, "assistant", "pa_day", t, args)
        ts += 1_000
    return ts


def heartbeat_assistant(st, ts):
    """An always-on assistant: its type's sessions do 8-14 steps of work
    and end; this one stays up ten hours, checking the inbox every quarter
    hour (an LLM call and `check_inbox` with the same query), and works
    for a few steps when mail comes. Its 40 heartbeats are waiting, not
    steps (before, killed by step_runaway against its type's lengths)."""
    for i in range(12):
        ts = assistant_work(st, ts, f"pa-{i}", st.rng.randint(8, 14)) + 40 * MIN
    s = "trap-heartbeat-assistant"
    ts = assistant_work(st, ts, s, 6)
    for k in range(40):
        ts += st.rng.randint(13 * MIN, 17 * MIN)
        st.llm(ts, s, "assistant", "pa_day", inp=3_000, out=40, tool="check_inbox", args_hash="is:unread")
        ts += 2_000
        st.tool(ts, s, "assistant", "pa_day", "check_inbox", "is:unread")
        if k % 8 == 7:
            ts = assistant_work(st, ts + 2_000, s, 3)
    return ["nokill trap-heartbeat-assistant"]


def quick_status_poll(st, ts):
    """Orchestration code polls a search job's status every 3-5 seconds
    (a call of about half a second, then a sleep of a few seconds), twelve
    times with no LLM call between, then the agent reads the results: free
    polls, not a spin. The harness above re-runs its command with no pause."""
    s = "run-quick-poll"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    st.tool(ts, s, "coder", "code_edit", "search_submit", "q-9", latency_ms=300)
    ts += 2_000
    for _ in range(12):
        ms = st.rng.randint(300, 1_200)
        st.tool(ts, s, "coder", "code_edit", "job_status", "job-9", latency_ms=ms)
        ts += ms + st.rng.randint(2_500, 4_500)
    st.tool(ts, s, "coder", "code_edit", "job_results", "job-9", latency_ms=800)
    ts += 2_000
    st.normal_session(ts, s, "coder", "code_edit", 3)
    return ["nokill run-quick-poll"]


def writer_reviewer(st, ts):
    """A writer drafts, a reviewer sends it back with comments, five rounds
    in one session: ten handoffs, and the legs are LLM calls only (no tool
    names anything new). Bounded iteration, not a ping-pong."""
    s = "run-writer-reviewer"
    for k in range(10):
        a, b = ("writer", "reviewer") if k % 2 == 0 else ("reviewer", "writer")
        st.llm(ts, s, a, "report", inp=3000 + 400 * k, out=1800 if a == "writer" else 500, latency_ms=15_000)
        ts += 16_000
        st.ev(ts, s, a, "report", kind="handoff", target_agent_id=b)
        ts += 500
    st.llm(ts, s, "writer", "report", inp=8000, out=2000)
    ts += 9000
    st.tool(ts, s, "writer", "report", "upload_artifact", "report-final")
    return ["nokill run-writer-reviewer"]


def young_wide_fanout(st, ts):
    """A new task type whose every run fans out wide: the first survey
    spawns 35 researchers and finishes; the second spawns 55. With one tree
    of its own seen at 35, 55 is not a runaway: the few trees a young type
    has finished can raise its cap (40) as the fleet's normal can."""
    out = []
    for run, width in (("run-survey-1", 35), ("run-survey-2", 55)):
        st.llm(ts, run, "survey-planner", "wide_survey", inp=3000, out=800)
        ts += 2000
        for i in range(width):
            st.llm(ts, f"{run}-r{i}", "web-researcher", "survey_part", inp=2500, parent_session_id=run)
            ts += 400
        ts += 60_000
        st.llm(ts, run, "survey-planner", "wide_survey", inp=9000, out=1500)
        ts += 40 * MIN  # finished (idle past the session TTL) before the next
        out.append(f"nokill {run}")
    return out


def young_cheap_wide_batch(st, ts):
    """A new task type's first batch: an orchestrator spawns 80 extraction
    workers, one small call each on a cheap model, $0.03 in all. Its type
    has no normal yet (only the static cap of 40 applies), and the whole
    tree has spent less than one of the fleet's ordinary sessions: a guess
    of a cap is no reason to kill 80 workers."""
    run = "run-extract-batch"
    st.llm(ts, run, "batch-orchestrator", "extract_batch", inp=3000, out=500, task_id="task-extract")
    ts += 2000
    for i in range(80):
        st.llm(ts, f"{run}-w{i}", "extract-worker", "extract_item", model="gpt-4o-mini", inp=1500, out=100,
               parent_session_id=run, task_id="task-extract")
        ts += 300
    st.llm(ts + 30_000, run, "batch-orchestrator", "extract_batch", inp=6000, out=800, task_id="task-extract")
    return ["nokill run-extract-batch"]


def young_costly_fanout(st, ts):
    """The same young type, a spawner without end whose workers cost what
    an ordinary session does: past the static cap once the tree has spent
    more than the fleet's sessions do at their p95."""
    run = "run-costly-fanout"
    st.llm(ts, run, "batch-orchestrator", "extract_batch", inp=3000, out=500, task_id="task-costly")
    ts += 2000
    for i in range(300):
        st.llm(ts, f"{run}-w{i}", "extract-worker", "extract_item", inp=12000, out=600,
               parent_session_id=run, task_id="task-costly")
        ts += 300
    return ["kill run-costly-fanout subagent_fanout 1"]


def research_tree(st, ts, lead, branches):
    """A research lead that spawns one helper per entry of `branches`;
    helper i spawns `branches[i]` sub-helpers (one LLM call each); the lead
    sums up and the tree finishes (idle past the session TTL)."""
    st.llm(ts, lead, "research-lead", "deep_research", inp=3000, out=500)
    ts += 2000
    for i, width in enumerate(branches):
        helper = f"{lead}-h{i}"
        st.llm(ts, helper, "research-helper", "research_part", inp=2500, out=300, parent_session_id=lead)
        ts += 500
        for j in range(width):
            st.llm(ts, f"{helper}-{j}", "research-helper", "research_part", inp=2000, out=200, parent_session_id=helper)
            ts += 400
    ts += 30_000
    st.llm(ts, lead, "research-lead", "deep_research", inp=9000, out=1500)
    return ts + 40 * MIN


def deep_tree_type(st, ts):
    """A task type whose trees are two levels deep by nature: the lead
    spawns helpers that spawn sub-helpers. Its first tree (6 helpers of 7
    each, 48 sessions) comes before any tree has finished: a whole tree is
    then held only to a wide cap (320), each parent to the cap on its own
    children (40). Once ten trees of 6-8 sessions have finished, one of 12
    is within twice their p95."""
    ts = research_tree(st, ts, "run-research-first", [7] * 6)
    for k in range(10):
        ts = research_tree(st, ts, f"run-research-{k}", [1 + k % 2, 2, 3])
    ts = research_tree(st, ts, "run-research-wider", [3, 3, 3])
    return ["nokill run-research-first"] + [f"nokill run-research-{k}" for k in range(10)] + ["nokill run-research-wider"]


def recursive_fanout_first(st, ts):
    """A recursion in a fleet where no tree has finished yet: a swarm lead
    whose agents spawn seven each, three levels deep (399 sessions). No
    parent passes the cap on its own children (40); the whole tree is
    killed at the cap on whole trees before any normal (320)."""
    lead = "run-swarm"
    st.llm(ts, lead, "swarm-lead", "swarm", inp=3000, out=500)
    st.spawn_levels(ts + 2000, lead, "swarm-agent", "swarm_part", width=7, levels=3, gap=200)
    return ["kill run-swarm subagent_fanout 1", "kill run-swarm-6-6-6 subagent_fanout 1"]


def recursive_fanout(st, ts):
    """A research type whose twenty finished trees are one level deep (the
    lead spawns 2-3 helpers), then a lead whose helpers each spawn three
    more, which spawn three more: no parent spawns more than three, within
    the normal of direct children at every level, but the tree passes its
    type's normal of whole trees (limit 8, the floor) at its ninth session.
    The lead is killed then; what is spawned below it later, at any depth,
    is killed at its first event."""
    for k in range(20):
        ts = research_tree(st, ts, f"run-research-{k}", [0] * (2 + k % 2))
    lead = "run-recursive"
    st.llm(ts, lead, "research-lead", "deep_research", inp=3000, out=500)
    ts += 2000
    st.llm(ts, lead, "research-lead", "deep_research", inp=3500, out=500)
    ts += 2000
    name = lambda parent, j: f"{lead}-h{j}" if parent == lead else f"{parent}-{j}"  # noqa: E731
    st.spawn_levels(ts, lead, "research-helper", "research_part", width=3, levels=3, gap=400, name=name)
    return [
        "kill run-recursive subagent_fanout 2",
        "kill run-recursive-h2-2 subagent_fanout 1",
        "kill run-recursive-h0-0-0 subagent_fanout 1",
        "kill run-recursive-h2-2-2 subagent_fanout 1",
    ]


def drafting_history(st, ts, sessions=70, long_first=0):
    """`sessions` finished report drafts: six sections each, a 20k-token
    call (about $0.05) and its tool call per section, about $0.32 a
    session; every one idle past the session TTL before what follows.
    The first `long_first` run to 60 sections (about $3.20) before the type
    has a normal of its own, so nothing stops them: they finish, and their
    spend is part of the type's normal from then on."""
    for k in range(sessions):
        s, t = f"draft-{k}", ts + k * 2 * MIN
        for i in range(60 if k < long_first else 6):
            args = f"section-{k}-{i}"
            st.llm(t, s, "drafter", "report_draft", inp=20_000 + st.rng.randint(0, 2000), out=300, tool="write_section", args_hash=args)
            t += 4000
            st.tool(t, s, "drafter", "report_draft", "write_section", args)
            t += 2000
    return ts + sessions * 2 * MIN + 40 * MIN


def spend_beyond_type(st, ts):
    """A drafter that goes on writing section after section: every call
    like its type's, each on a new section (a batch, which `step_runaway`
    spares), no repeat, no spike, no growing context. Only what it spends
    in all tells: past 5x the p95 of its type's finished sessions (the $2.50
    floor here), besides its costliest event."""
    ts = drafting_history(st, ts)
    drafting_without_end(st, ts, "run-spend")
    return ["kill run-spend session_budget 100"]


def drafting_without_end(st, ts, s, sections=200):
    """A drafting session that writes `sections` sections, each new and each
    like its type's: the runaway of the learned-ceiling fixtures."""
    for i in range(sections):
        args = f"runaway-section-{i}"
        st.llm(ts, s, "drafter", "report_draft", inp=20_000 + st.rng.randint(0, 2000), out=300, tool="write_section", args_hash=args)
        ts += 4000
        st.tool(ts, s, "drafter", "report_draft", "write_section", args)
        ts += 2000


def spend_past_missed_ones(st, ts):
    """The same drafter, in a type whose first three sessions ran ten times
    its usual length unstopped: they sit in the top 5 % of the type's
    finished sessions. A ceiling at 5x the type's p99 would be 5x one of
    them ($16, never reached here); at 5x its p95 it is the $2.50 floor,
    as for a type without them."""
    ts = drafting_history(st, ts, long_first=3)
    drafting_without_end(st, ts, "run-spend-past")
    return ["kill run-spend-past session_budget 100"]


def one_big_event_in_cheap_type(st, ts):
    """A drafting session with one $4 call (a whole contract read on a
    pricier provider, `cost_usd` given) among its six sections: far past 5x
    what its type's sessions spend, but by one event, which the learned
    ceiling does not count."""
    ts = drafting_history(st, ts)
    s = "trap-big-event"
    for i in range(6):
        args = f"big-section-{i}"
        if i == 2:
            st.llm(ts, s, "drafter", "report_draft", inp=900_000, out=2000, cost_usd=4.0, tool="write_section", args_hash=args)
        else:
            st.llm(ts, s, "drafter", "report_draft", inp=20_000, out=300, tool="write_section", args_hash=args)
        ts += 4000
        st.tool(ts, s, "drafter", "report_draft", "write_section", args)
        ts += 2000
    return ["nokill trap-big-event"]


def eval_suite(st, ts, run, width):
    """An eval driver fanning out to `width` graders, one LLM call each,
    then summing up; finished (idle past the session TTL) afterwards."""
    st.llm(ts, run, "eval-driver", "eval_suite", inp=3000, out=500)
    ts += 2000
    for i in range(width):
        st.llm(ts, f"{run}-g{i}", "llm-judge", "eval_grade", inp=2000, out=200, parent_session_id=run)
        ts += 300
    ts += 30_000
    st.llm(ts, run, "eval-driver", "eval_suite", inp=6000, out=800)
    return ts + 40 * MIN


def censored_wide_suites(st, ts):
    """An eval suite type that runs 25 graders on some nights and 120 on
    others. The small suites finish first and become the type's normal
    (limit 50); the wide ones are killed at 51 and, killed, never become
    it. Once the fan-out rule has killed a quarter of the trees the type
    began (small ones included), its limit is doubted and rises (twice the
    widest tree killed, at most 4x): the later wide suites run. A tree
    spawning without end is still
    killed (`runaway_fanout_after_doubt`)."""
    out = []
    for k in range(10):
        ts = eval_suite(st, ts, f"run-suite-small-{k}", 25)
    for k in range(10):
        ts = eval_suite(st, ts, f"run-suite-wide-{k}", 120)
    out += ["kill run-suite-wide-0 subagent_fanout 1", "nokill run-suite-wide-8", "nokill run-suite-wide-9"]
    return out


def fanout_after_doubt(st, ts):
    """The type of `trap_censored_wide_suites` after its limit rose: a
    driver re-dispatching graders without end is killed at the raised
    limit (at most 4x the one its normal gives)."""
    for k in range(10):
        ts = eval_suite(st, ts, f"run-suite-small-{k}", 25)
    for k in range(8):
        ts = eval_suite(st, ts, f"run-suite-wide-{k}", 120)
    ts = eval_suite(st, ts, "run-suite-runaway", 1000)
    return ["kill run-suite-runaway subagent_fanout 1"]


def sampler_session(st, ts, run, items, spin=False):
    """A self-consistency sampler: for each item, the same prompt sampled
    5-12 times, each vote recorded with the same arguments, then the votes
    summed up; finished (idle past the session TTL) afterwards. The votes
    name their run, so no call becomes common to the fleet. With
    `spin`, the first item is sampled without end."""
    rng = st.rng
    for it in range(items):
        inp = rng.randint(800, 3000)
        k = 1000 if spin and it == 0 else rng.randint(5, 12)
        for _ in range(k):
            st.llm(ts, run, "sampler", "self_consistency", model="gpt-4o-mini", inp=inp, out=rng.randint(60, 400))
            ts += rng.randint(800, 3000)
            st.tool(ts, run, "sampler", "self_consistency", "record_vote", f"{run}/item-{it}")
            ts += rng.randint(20, 300)
        st.tool(ts, run, "sampler", "self_consistency", "aggregate_votes", f"{run}/item-{it}")
        ts += 500
    return ts + 40 * MIN


def consistency_sampler(st, ts):
    """A task type that samples one prompt 5-12 times per item by design.
    Its first sessions are killed at 5 repeats; killed, they never become
    the type's normal. Once `loop_repeat` has killed a quarter of the type's
    sessions its limit is doubted (twice the most repeats killed, at most
    4x), the sessions that then finish form the type's normal (2x the p95
    of their most repeats) and the later samplers run. One sampling
    without end is still killed (`runaway_sampler_spin`)."""
    for k in range(36):
        ts = sampler_session(st, ts, f"run-sampler-{k}", 8)
    return ["kill run-sampler-0 loop_repeat 10"] + [f"nokill run-sampler-{k}" for k in range(8, 36)]


def sampler_spin(st, ts):
    """The type of `trap_consistency_sampler` after its normal formed: a
    sampler asking one prompt without end is killed at the type's limit
    (never beyond the poll limit, 25)."""
    for k in range(36):
        ts = sampler_session(st, ts, f"run-sampler-{k}", 8)
    sampler_session(st, ts, "run-sampler-spin", 3, spin=True)
    return ["kill run-sampler-spin loop_repeat 50"]


def browser_fleet(st, ts, n=25):
    """Short browser sessions of a computer-use fleet: open a page, look,
    scroll a little, look. `screenshot()` and `scroll(down)` carry the
    same arguments in every session."""
    for i in range(n):
        s = f"run-browse-{i}"
        ts = st.open_page(ts, s, f"url-{i}")
        for _ in range(2):
            ts = st.look_and_act(ts, s, 4000, "scroll", "down")
        ts += 20_000
    return ts


def scroll_read(st, ts):
    """A browser agent reads a long page: scroll down, look, decide, scroll
    down, look… fifteen times, an LLM call each turn. Once the fleet makes
    `screenshot()` and `scroll(down)` in many sessions they are
    observations, not a stuck agent's own call: they kill only as a poll
    loop does (25 turns, or what the window holds)."""
    ts = browser_fleet(st, ts)
    s = "run-scroll-read"
    ts = st.open_page(ts, s, "url-long")
    for _ in range(15):
        ts = st.look_and_act(ts, s, 5000, "scroll", "down")
    st.llm(ts, s, "browser", "web_task", inp=9000, out=600, tool="extract", args_hash="table-1")
    return ["nokill run-scroll-read"]


def long_page_read(st, ts):
    """A browser agent reads a long page to its end: 24 turns of look,
    decide, scroll down. A loop made only of observations shows nothing
    by its shape (the page moves under the same calls): the 48-call window
    holding nothing but it is no evidence. Its paid scrolls still count
    as polls do, and would kill at 25."""
    ts = browser_fleet(st, ts)
    s = "run-long-read"
    ts = st.open_page(ts, s, "url-longer")
    for _ in range(24):
        ts = st.look_and_act(ts, s, 5000, "scroll", "down")
    st.llm(ts, s, "browser", "web_task", inp=12000, out=900, tool="extract", args_hash="table-2")
    return ["nokill run-long-read"]


def screenshot_spin(st, ts):
    """A harness stuck re-taking a screenshot back to back, no LLM call
    between: the call is an observation the fleet makes everywhere, but
    nothing paid for a decision between the looks, so they count."""
    ts = browser_fleet(st, ts)
    s = "run-screenshot-spin"
    ts = st.open_page(ts, s, "url-spin")
    for _ in range(100):
        st.tool(ts, s, "browser", "web_task", "screenshot", "{}", latency_ms=200)
        ts += 350
    return ["kill run-screenshot-spin loop_repeat 27"]


def stuck_click(st, ts):
    """A browser agent stuck on a button that does nothing: click the same
    element, look, click it again… Its own call repeats (the screenshot
    between is an observation): five clicks kill, as any spin does."""
    ts = browser_fleet(st, ts)
    s = "run-stuck-click"
    ts = st.open_page(ts, s, "url-form")
    for _ in range(100):
        ts = st.look_and_act(ts, s, 5000, "click", "#submit")
    return ["kill run-stuck-click loop_repeat 20"]


def crew_tail(st, ts):
    """A task type whose crews are mostly small (3-12 workers) but now and
    then wide (36-45 for a big job): 100 crews, 3 of them wide, the first
    while the type was young (within the cap of 40). The later wide ones
    are within its normal: 2x its p95 (~12) cuts into the tail, 1.5x its
    p99 does not."""
    widths = [st.rng.randint(3, 12) for _ in range(100)]
    widths[5] = 36
    for k in (55, 80):
        widths[k] = st.rng.randint(38, 45)
    for n, width in enumerate(widths + [45]):
        run = f"run-crew-{n}"
        st.llm(ts, run, "crew-lead", "content_batch", inp=3000, out=500)
        ts += 1000
        for i in range(width):
            st.llm(ts, f"{run}-w{i}", "crew-worker", "content_part", inp=2000, parent_session_id=run)
            ts += 200
        ts += 5000
        st.llm(ts, run, "crew-lead", "content_batch", inp=6000, out=900)
        ts += 60_000
    return ["nokill run-crew-5", "nokill run-crew-55", "nokill run-crew-80", "nokill run-crew-100"]


def rollout_one_at_a_time(st, ts):
    """A deploy moves a help-desk agent from gpt-4o-mini to o4-mini (7x its
    list price) with the same prompts, and it runs one ticket at a time:
    every call on o4-mini costs far beyond the agent's own history (its
    calls never vary much) from the first on. The first session on o4-mini
    is alone on it and may be stopped as a runaway; from the second on, two
    of the agent's recent sessions started on o4-mini, which makes it the
    agent's model: each session sets its own level, and none is killed
    (before, every session after the deploy was: the agent's cost history,
    all on gpt-4o-mini, never learned the new calls)."""
    def ticket(ts, s, model):
        for i in range(12):
            st.ev(ts, s, "desk", "ticket", kind="llm", model=model, provider="openai",
                  input_tokens=3000 + st.rng.randint(0, 300), output_tokens=250,
                  tool="kb_search", args_hash=f"kb-{s}-{i}")
            ts += st.rng.randint(5_000, 9_000)
            st.tool(ts, s, "desk", "ticket", "kb_search", f"kb-{s}-{i}")
            ts += st.rng.randint(1_000, 3_000)
        return ts + 20_000
    out = []
    for k in range(20):
        ts = ticket(ts, f"desk-before-{k}", "gpt-4o-mini")
    for k in range(10):
        s = f"trap-rollout-{k}"
        ts = ticket(ts, s, "o4-mini")
        if k > 0:
            out.append(f"nokill {s}")
    return out


def tree_crossed_by_direct_child(st, ts):
    """A research lead's tree: 8 sub-agents spawning 39 readers each (320
    sessions, at the tree limit without a baseline, each sub-agent within
    its own limit of 40), then the lead keeps spawning direct sub-agents.
    The first of those takes the tree past its limit: the lead is killed
    there (before, only a grandchild's spawn checked the tree, and a tree
    growing by direct children alone was never stopped by its size)."""
    root = "fan-root"
    st.llm(ts, root, "lead", "bulk_research", inp=3000, out=500)
    ts += 2000
    for c in range(8):
        child = f"fan-root-c{c}"
        st.llm(ts, child, "scout", "bulk_part", inp=2000, parent_session_id=root, task_id="task-bulk")
        ts += 500
        for g in range(39):
            st.llm(ts, f"{child}-r{g}", "reader", "bulk_read", inp=1500, parent_session_id=child, task_id="task-bulk")
            ts += 200
    for c in range(8, 14):
        st.llm(ts, f"fan-root-c{c}", "scout", "bulk_part", inp=2000, parent_session_id=root, task_id="task-bulk")
        ts += 500
    return ["kill fan-root subagent_fanout 1"]


def budget_across_pause(st, ts):
    """A session waits two hours for a human's approval, long past the idle
    TTL, and resumes: what it spent before the pause still counts ($3 a
    call, $18 before), so it is stopped soon after (by the ceiling its task
    type learned meanwhile, at the first call after; else by the policy's
    $25 at the third). Its actions before the pause count in the signal too,
    though task types' normal lengths are learned from the spans between
    pauses. Its agent has no history of its own, so $3 a call is its
    normal, not a spike."""
    s = "run-paused"
    for i in range(6):
        st.llm(ts, s, "deal-desk", "code_edit", inp=4000, cost_usd=3.0, tool="edit_file", args_hash=f"e-{i}")
        ts += 4000
    # Other sessions go on meanwhile (they move event time past the TTL).
    for k in range(24):
        st.normal_session(ts, f"run-meanwhile-{k}", "helper", "code_edit", 3)
        ts += 5 * MIN
    first = None
    for i in range(5):
        e = st.llm(ts, s, "deal-desk", "code_edit", inp=4000, cost_usd=3.0, tool="edit_file", args_hash=f"f-{i}")
        first = first or e
        ts += 4000
    # The session so far: 6 actions before the pause, 1 after.
    return ["kill run-paused session_budget 9", f"signal kill session_budget {first['event_id']} session_actions=7 session_cost_usd=21.0"]


def budget_across_cheap_pauses(st, ts):
    """A support thread answers a customer every 40 minutes, each answer
    $2.40: each stretch between pauses is a tenth of the $25 ceiling or
    less, and each pause outlasts the idle TTL. What it spent before every
    pause still counts: it is stopped at the answer that takes it past $25
    (the 11th, $26.40), whatever it spent in any one stretch."""
    s = "thread-cheap-stretches"
    first = None
    for i in range(14):
        e = st.llm(ts, s, "inbox-bot", "support_thread", inp=900, cost_usd=2.4)
        if i == 10:
            first = e
        ts += 4000
        # Other sessions go on meanwhile (they move event time past the TTL).
        for k in range(8):
            st.normal_session(ts, f"thread-meanwhile-{i}-{k}", "helper", "code_edit", 3)
            ts += 5 * MIN
    return ["kill thread-cheap-stretches session_budget 11", f"signal kill session_budget {first['event_id']} session_actions=11 session_cost_usd=26.4"]



def critic_session(st, ts, s, rounds, task_type="copy_review"):
    """A writer drafts and a critic sends it back, `rounds` times, LLM
    calls only (no tool names anything new in a leg)."""
    for k in range(2 * rounds):
        a, b = ("writer", "critic") if k % 2 == 0 else ("critic", "writer")
        st.llm(ts, s, a, task_type, inp=2000 + 300 * k, out=1200 if a == "writer" else 450, latency_ms=12_000)
        ts += 12_500
        st.ev(ts, s, a, task_type, kind="handoff", target_agent_id=b)
        ts += 300
    st.llm(ts, s, "writer", task_type, inp=8000, out=1500)
    return ts + 120_000


def writer_critic_rounds(st, ts):
    """A new task type whose writer and critic revise 6-10 rounds (12-20
    handoffs, every leg LLM-only) in every session: the static limit (12)
    kills the first ones, and killed they never become the normal. Once
    `ping_pong` has killed a quarter of the type's sessions (at least 4)
    the limit is doubted, as for spins: twice the most handoffs killed, at
    most 4x; the next dozen run. The doubt lapses once kills fall below a
    quarter of the sessions begun, and the static limit kills again until
    enough sessions have finished to form the type's normal (here the 17th
    and the 21st). An outside tester's fleet lost 41 of 60 such sessions,
    15 now."""
    for k in range(24):
        ts = critic_session(st, ts, f"run-wc-{k}", 6 + k % 5)
    return ["kill run-wc-0 ping_pong 30"] + [f"nokill run-wc-{k}" for k in range(4, 16)]


def writer_critic_forever(st, ts):
    """The type of `trap_writer_critic_rounds` after its limit was doubted:
    a pair revising without end is still killed (at most 4x the static
    limit, 48 handoffs)."""
    for k in range(24):
        ts = critic_session(st, ts, f"run-wc-{k}", 6 + k % 5)
    critic_session(st, ts, "run-wc-forever", 150)
    return ["kill run-wc-forever ping_pong 100"]

def debate_rounds(st, ts):
    """A debate that converges after 3 to 8 rounds (6 to 16 handoffs, LLM
    calls only), all day. Once the type's normal is trusted the limit is
    1.5x its p95 handoffs: at the p95 itself (14) an outside tester's
    debates of 7 and 8 rounds were killed at their last round all day
    (24 %), and killed they never raised the normal."""
    for k in range(90):
        ts = critic_session(st, ts, f"run-debate-{k}", 3 + k % 6, "debate")
    return [f"nokill run-debate-{k}" for k in range(45, 90)]


def rag_turn(st, ts, s, a, tt, inp, q, model="claude-sonnet-4-5"):
    """One agentic-RAG turn: the LLM call planning the search, three
    rewrites of the question each embedded (text-embedding-3-small, an LLM
    event of a few dozen tokens, its cost reported as SDKs report it) and
    searched, the answer."""
    st.ev(ts, s, a, tt, kind="llm", model=model, provider="anthropic", input_tokens=inp, output_tokens=120, latency_ms=2500)
    ts += 2600
    for rewrite in range(3):
        tokens = st.rng.randint(15, 80)
        st.ev(ts, s, a, tt, kind="llm", model="text-embedding-3-small", provider="openai", input_tokens=tokens, cost_usd=tokens * 2e-8, latency_ms=150)
        ts += 200
        st.tool(ts, s, a, tt, "vector_search", f"{s}-{q}-{rewrite}", latency_ms=300)
        ts += 400
    st.ev(ts, s, a, tt, kind="llm", model=model, provider="anthropic", input_tokens=inp + 1500, output_tokens=400, latency_ms=4000)
    return ts + 4100


def rag_embeddings(st, ts):
    """A brand-new RAG assistant: every turn embeds three rewrites of the
    question, so most of its LLM calls are near-free embedding calls. As
    LLM calls they made the agent's normal cost per call an embedding's,
    and every answer on Sonnet a sustained spike. An embedding call is a
    lookup: it is judged as a tool call."""
    out = []
    for i in range(12):
        s = f"rag-{i}"
        t = ts + i * 15 * MIN
        for q in range(st.rng.randint(6, 12)):
            t = rag_turn(st, t, s, "kb-assistant", "kb_qa", st.rng.randint(2500, 4000), q)
        out.append(f"nokill {s}")
    return out + ["signals cost_spike 0"]


def rag_context_hoard(st, ts):
    """A research agent that never prunes its scratchpad: its context
    climbs 6k tokens a round, each round a growing Sonnet call, the
    question embedded, a search. The embedding calls between broke every
    run of growing LLM calls: it ran to the session ceiling (296 actions,
    $25); now stopped at 41."""
    for i in range(6):
        t = ts + i * 12 * MIN
        for q in range(st.rng.randint(6, 10)):
            t = rag_turn(st, t, f"hoard-warm-{i}", "kb-researcher", "kb_research", st.rng.randint(3000, 6000), q)
    s = "run-hoard"
    t = ts + 90 * MIN
    inp = 4000
    for q in range(60):
        t = rag_turn(st, t, s, "kb-researcher", "kb_research", inp, q)
        inp += 6000
    return ["kill run-hoard context_growth 45"] + [f"nokill hoard-warm-{i}" for i in range(6)]


def slow_model_loop(st, ts):
    """A stuck loop on a slow reasoning model: each LLM call thinks for
    25 s and asks for the same search. The calls' own latency is paid
    work, not the session waiting: it was read as a wait, each repeat a
    poll, and the loop ran to the poll limit (25), five times as long."""
    s = "run-slow-loop"
    ts = st.normal_session(ts, s, "coder", "code_edit", 5)
    for i in range(100):
        st.llm(ts, s, "coder", "code_edit", model="o3", inp=6000, out=300, tool="web_search", args_hash="same-query", latency_ms=25000)
        ts += 25100
        st.tool(ts, s, "coder", "code_edit", "web_search", "same-query", latency_ms=900)
        ts += 1000
    return ["kill run-slow-loop loop_repeat 24"]


def paid_render_regenerate(st, ts):
    """The model asks for the same image again and again; each render
    takes 25 s and costs $0.08 (`cost_usd` on the tool event). A paid tool
    call that lasted the poll gap was read as a wait, each render again a
    poll: the loop ran on. A render is paid work, not a check on a job."""
    s = "run-regenerate"
    ts = st.normal_session(ts, s, "coder", "code_edit", 4)
    for i in range(80):
        st.llm(ts, s, "coder", "code_edit", model="gpt-4o-mini", inp=1500, out=80, tool="generate_image", args_hash="hero-banner-v1", latency_ms=1200)
        ts += 1300
        st.tool(ts, s, "coder", "code_edit", "generate_image", "hero-banner-v1", cost_usd=0.08, latency_ms=25000)
        ts += 25100
    return ["kill run-regenerate loop_repeat 22"]


def ping_pong_in_one_worker(st, ts):
    """A release coordinator fans out one translator session per locale,
    all in one task; each hands its batch to a reviewer and gets it back
    once, then translates on. One locale's translator and reviewer hand it
    back and forth without end. The ping-pong kill stopped every session
    of the task (the coordinator and the healthy locales) at its next
    event; it stops the sessions that handed the work back and forth."""
    task = "task-release-42"
    lead = "l10n-lead"
    st.llm(ts, lead, "l10n-coordinator", "l10n_release", model="gpt-4o-mini", inp=3000, task_id=task)
    locales = [f"l10n-{k}" for k in range(6)]
    t = ts + 2000
    for s in locales:
        st.ev(t, lead, "l10n-coordinator", "l10n_release", kind="tool", tool="spawn_translator", args_hash=s, task_id=task)
        t += 500

    def round_trip(t, s):
        st.llm(t, s, "translator", "l10n_locale", model="gpt-4o-mini", inp=2500, parent_session_id=lead, task_id=task)
        st.ev(t + 700, s, "translator", "l10n_locale", kind="handoff", target_agent_id="l10n-reviewer", parent_session_id=lead, task_id=task)
        st.llm(t + 1400, s, "l10n-reviewer", "l10n_locale", model="gpt-4o-mini", inp=2500, parent_session_id=lead, task_id=task)
        st.ev(t + 2100, s, "l10n-reviewer", "l10n_locale", kind="handoff", target_agent_id="translator", parent_session_id=lead, task_id=task)
        return t + 2800

    healthy = [s for s in locales if s != "l10n-3"]
    for s in healthy:
        t = round_trip(t, s)
    for rnd in range(40):
        t = round_trip(t, "l10n-3")
        s = healthy[rnd % len(healthy)]
        st.llm(t, s, "translator", "l10n_locale", model="gpt-4o-mini", inp=2500, tool="translate", args_hash=f"{s}-batch-{rnd}", parent_session_id=lead, task_id=task)
        t += 700
        if rnd % 5 == 4:
            st.tool(t, lead, "l10n-coordinator", "l10n_release", "job_status", f"release-42-{rnd}", task_id=task)
            t += 500
    return ["kill l10n-3 ping_pong 60", f"nokill {lead}"] + [f"nokill {s}" for s in healthy]

FIXTURES = {
    "trap_rag_embeddings": rag_embeddings,
    "runaway_context_growth_between_lookups": rag_context_hoard,
    "runaway_slow_model_loop": slow_model_loop,
    "runaway_paid_render_regenerate": paid_render_regenerate,
    "trap_ping_pong_spares_other_workers": ping_pong_in_one_worker,
    "trap_batch_edit": batch_edit,
    "trap_one_expensive_action": one_expensive,
    "trap_new_agent_pricier": new_agent_pricier,
    "trap_escalation_burst": escalation_burst,
    "trap_provider_outage": provider_outage,
    "trap_provider_outage_tools": provider_outage_tools,
    "trap_long_task_type": long_task_type,
    "trap_legit_retries": legit_retries,
    "trap_recovered_retries": recovered_retries,
    "trap_deployment_shift": deployment_shift,
    "trap_rollout_one_at_a_time": rollout_one_at_a_time,
    "trap_planner_executor": planner_executor,
    "trap_ci_polling": ci_polling,
    "trap_large_batch_edit": large_batch_edit,
    "trap_long_doc_past_price_tier": long_doc_past_tier,
    "trap_free_job_polls": free_job_polls,
    "trap_overnight_job_paid_polls": overnight_job_paid_polls,
    "trap_overnight_job_slept": overnight_job_slept,
    "trap_heartbeat_assistant": heartbeat_assistant,
    "runaway_costly_sleep_forever": costly_sleep_forever,
    "runaway_costly_wait_forever": costly_wait_forever,
    "trap_staged_rollout": staged_rollout,
    "trap_long_growing_context": long_growing,
    "trap_ci_sleep_tool": ci_sleep_tool,
    "trap_handoff_refetch": handoff_refetch,
    "trap_wide_map_reduce": wide_map_reduce,
    "trap_orchestrator_wait": orchestrator_wait,
    "trap_writer_reviewer": writer_reviewer,
    "trap_debate_rounds": debate_rounds,
    "trap_young_wide_fanout": young_wide_fanout,
    "trap_scroll_read": scroll_read,
    "trap_crew_tail": crew_tail,
    "trap_long_page_read": long_page_read,
    "trap_censored_wide_suites": censored_wide_suites,
    "trap_consistency_sampler": consistency_sampler,
    "trap_working_set_early": working_set_early,
    "trap_deep_tree_type": deep_tree_type,
    "trap_one_big_event_in_cheap_type": one_big_event_in_cheap_type,
    "runaway_harness_spin": harness_spin,
    "trap_young_cheap_wide_batch": young_cheap_wide_batch,
    "runaway_young_costly_fanout": young_costly_fanout,
    "trap_ci_long_wait_learned": ci_long_wait_learned,
    "runaway_ci_wait_forever_learned": ci_wait_forever_learned,
    "trap_retried_after_request": retried_after_request,
    "runaway_harness_retries_forever": harness_retries_forever,
    "runaway_screenshot_spin": screenshot_spin,
    "runaway_fanout_after_doubt": fanout_after_doubt,
    "runaway_sampler_spin": sampler_spin,
    "runaway_context_jump_early": context_jump_early,
    "runaway_loop_burst": loop_burst,
    "runaway_pricier_from_first_call": pricier_from_first_call,
    "runaway_pricier_model_small_calls": pricier_model_small_calls,
    "runaway_pricier_per_token": pricier_per_token,
    "trap_router_mixing_models": router_mixing_models,
    "runaway_stuck_click": stuck_click,
    "runaway_budget_across_pause": budget_across_pause,
    "runaway_budget_across_cheap_pauses": budget_across_cheap_pauses,
    "runaway_loop_repeat": loop_repeat,
    "runaway_loop_cycle": loop_cycle,
    "runaway_ping_pong": ping_pong,
    "runaway_ping_pong_session": ping_pong_session,
    "runaway_ping_pong_round": ping_pong_round,
    "runaway_ping_pong_busy": ping_pong_busy,
    "runaway_ping_pong_busy_learned": ping_pong_busy_learned,
    "trap_quick_status_poll": quick_status_poll,
    "runaway_poll_forever": poll_forever,
    "runaway_nonce_loop": nonce_loop,
    "runaway_exactly_spike_ratio": exactly_spike_ratio,
    "runaway_rollout_stages_forever": rollout_stages_forever,
    "runaway_cycle_slow_step": cycle_slow_step,
    "runaway_step_runaway": step_runaway,
    "runaway_retry_storm": retry_storm,
    "runaway_retry_storm_tools": retry_storm_tools,
    "runaway_context_growth": context_growth,
    "runaway_context_sawtooth": context_sawtooth,
    "runaway_context_pinned": context_pinned,
    "runaway_cost_spike": cost_spike,
    "runaway_session_budget": session_budget,
    "runaway_subagent_fanout": subagent_fanout,
    "runaway_recursive_fanout": recursive_fanout,
    "runaway_recursive_fanout_first": recursive_fanout_first,
    "runaway_tree_crossed_by_direct_child": tree_crossed_by_direct_child,
    "runaway_spend_beyond_type": spend_beyond_type,
    "runaway_spend_past_missed_ones": spend_past_missed_ones,
    "trap_ci_sleep_requested": ci_sleep_requested,
    "runaway_ci_sleep_requested_forever": ci_sleep_requested_forever,
    "trap_young_agent_starts_high": young_agent_starts_high,
    "runaway_young_agent_grows_on": young_agent_grows_on,
    "trap_young_batch_pipeline": young_batch_pipeline,
    "runaway_search_forever": search_forever,
    "trap_writer_critic_rounds": writer_critic_rounds,
    "runaway_writer_critic_forever": writer_critic_forever,
}

# ------------------------------------------- budgets, with their own policy

def spend(st, eid, ts, session, agent, cost, **kw):
    """One priced call (its cost stated), with a readable id."""
    return st.ev(ts, session, agent, kw.pop("task_type", "chat"), event_id=eid, kind="llm",
                 model="gpt-4o", provider="openai", cost_usd=cost, **kw)


def agent_quiet_gap(st, ts):
    """Agent D spends $30 at 00:00; the stream is quiet for an hour and a
    minute (past clock_jump_minutes, so the clock guard holds the next
    events at 00:00 until eight confirm the jump); $15 at 01:01 is all D
    spent in the hour before it. Then $30 more at 01:02: $45 in the hour,
    a pause, counted at the events' own times though still held."""
    for i in range(3):
        spend(st, f"d{i}", ts, f"s{i}", "D", 10.0)
    ts += 61 * MIN
    spend(st, "d3", ts, "s3", "D", 15.0)
    for i in range(4, 7):
        spend(st, f"d{i}", ts + MIN, f"s{i}", "D", 10.0)
    return ["signals agent_budget 1",
            "signal pause agent_budget d6 evidence.spend_usd=45.0 evidence.window_minutes=60 evidence.resume_at=2026-01-01T02:01:00.000Z"]


def agent_clock_ahead(st, ts):
    """One event of agent D stamped a year ahead (a host with a wrong clock)
    between its $30 and its $15 ten minutes later: the window is not emptied
    by it, so the $45 in the hour pause D. Its own $50 is over the budget
    in the hour before its own time (a pause), which does not cover events
    a year before it."""
    for i in range(3):
        spend(st, f"d{i}", ts, f"s{i}", "D", 10.0)
    spend(st, "skewed", ts + 365 * 24 * 60 * MIN, "sx", "D", 50.0)
    spend(st, "d3", ts + 10 * MIN, "s3", "D", 15.0)
    return ["signals agent_budget 2", "signal pause agent_budget skewed evidence.spend_usd=50.0",
            "signal pause agent_budget d3 evidence.spend_usd=45.0 evidence.resume_at=2026-01-01T01:00:00.000Z"]


def fleet_quiet_gap(st, ts):
    """The fleet spends $86 of $100 (a throttle), is quiet for 61 minutes,
    then spends $86 again: $86 in the hour, a throttle again (the first one
    ended when the first $86 left the window), never a pause on $172."""
    for i in range(10):
        spend(st, f"a{i}", ts + i * 1000, f"s{i}", f"agent{i % 3}", 8.6)
    ts += 61 * MIN
    for i in range(10):
        spend(st, f"b{i}", ts + i * 1000, f"t{i}", f"agent{i % 3}", 8.6)
    return ["signals fleet_budget 2",
            "signal throttle fleet_budget a9 evidence.spend_usd=86.0",
            "signal throttle fleet_budget b9 evidence.spend_usd=86.0 evidence.window_minutes=60"]


def mixed_agent_tables(st, ts):
    """Session N opens with agent a1 (ceiling $10) and bigbot (ceiling $40,
    agent budget $5) acts in it: the session is held to a1's ceiling and its
    kill names a1's table (the defaults), while bigbot's $6 is held to
    bigbot's own agent budget and names bigbot's table. Session M opens
    with bigbot: $16, under its $40."""
    spend(st, "n0", ts, "N", "a1", 4.0)
    spend(st, "n1", ts + 1000, "N", "a1", 4.0)
    spend(st, "n2", ts + 2000, "N", "bigbot", 6.0)
    for i in range(4):
        spend(st, f"m{i}", ts + (3 + i) * 1000, "M", "bigbot" if i < 2 else "a1", 4.0)
    return ["kill N session_budget 3", "nokill M",
            "signal kill session_budget n2 policy_id=default/session_budget evidence.ceiling_usd=10.0",
            "signal pause agent_budget n2 policy_id=agent:bigbot/agent_budget evidence.budget_usd=5.0"]


def float_boundary(st, ts):
    """Spend equal to a ceiling is not over it, whatever float sums make of
    it: 3 x $0.10 and 2 x $0.15 at a $0.30 ceiling (and 250 x $0.10 and
    5 x $5 at $25) are not killed; 4 x $0.10 is. The same for a task tree
    at $0.30, the agent budget at $0.30 (not paused until over) and the
    fleet's throttle (`budget_fleet_float_boundary`). Agent "big" makes
    calls of $0.10 and then of $5: no cost spike here (switched off)."""
    for i in range(3):
        spend(st, f"f{i}", ts + i * 1000, "F", "a", 0.1)
    for i in range(2):
        spend(st, f"g{i}", ts + 10_000 + i * 1000, "G", "b", 0.15)
    for i in range(4):
        spend(st, f"h{i}", ts + 20_000 + i * 1000, "H", "c", 0.1)
    for i in range(250):
        spend(st, f"i{i}", ts + 30_000 + i * 10, "I", "big", 0.1)
    for i in range(5):
        spend(st, f"j{i}", ts + 40_000 + i * 1000, "J", "big", 5.0)
    for i in range(3):
        spend(st, f"k{i}", ts + 50_000 + i * 1000, f"K{i}", "tree", 0.1, task_id="task-k")
    for i in range(3):
        spend(st, f"p{i}", ts + 60_000 + i * 1000, f"P{i}", "p", 0.1)
    spend(st, "p3", ts + 64_000, "P3", "p", 0.1)
    return ["nokill F", "nokill G", "kill H session_budget 4", "nokill I", "nokill J",
            "nokill K0", "nokill K1", "nokill K2", "signals task_budget 0",
            "signals agent_budget 1", "signal pause agent_budget p3 evidence.spend_usd=0.4"]


def fleet_float_boundary(st, ts):
    """The fleet throttles at 80 % of $1: 8 x $0.10, a float sum of
    $0.7999999999999999, reaches it."""
    for i in range(8):
        spend(st, f"f{i}", ts + i * 1000, f"S{i}", "a", 0.1)
    return ["signals fleet_budget 1", "signal throttle fleet_budget f7"]


def fleet_rearm_zero_cost(st, ts):
    """A fleet pause at $96 of $100; the window moves on while only free
    tool calls arrive; two hours later a new $96 is a new crossing."""
    spend(st, "big1", ts, "s1", "a", 96.0)
    for i in range(12):
        st.ev(ts + (i + 1) * 10 * MIN, f"z{i}", "a", "chat", event_id=f"z{i}", kind="tool", tool="t", args_hash=f"x{i}")
    spend(st, "big2", ts + 121 * MIN, "s2", "a", 96.0)
    return ["signals fleet_budget 2",
            "signal pause fleet_budget big1 evidence.resume_at=2026-01-01T01:00:00.000Z",
            "signal pause fleet_budget big2"]


def agent_recross(st, ts):
    """Agent R passes its $40 at 00:30 ($45): paused until its window falls
    back to $40 at 01:00, when the $10 of 00:00 leaves it. It falls to about
    $5, then crosses again at 01:05: paused again."""
    for i in range(4):
        spend(st, f"r{i + 1}", ts + i * MIN, f"s{i + 1}", "R", 10.0)
    spend(st, "r5", ts + 30 * MIN, "s5", "R", 5.0)
    for i in range(6):
        spend(st, f"r{i + 6}", ts + (35 + 5 * i) * MIN, f"s{i + 6}", "R", 0.01)
    for i in range(4):
        spend(st, f"r{i + 12}", ts + 65 * MIN + i * 1000, f"s{i + 12}", "R", 10.0)
    return ["signals agent_budget 2",
            "signal pause agent_budget r5 evidence.resume_at=2026-01-01T01:00:00.000Z",
            "signal pause agent_budget r15 evidence.spend_usd=45.06"]


def task_tree(st, ts):
    """Two sessions of one task tree, $6 each, against the tree's $10."""
    spend(st, "k0", ts, "T1", "a", 6.0, task_id="task-t")
    spend(st, "k1", ts + 1000, "T2", "a", 6.0, task_id="task-t")
    return ["nokill T1", "kill T2 task_budget 1", "signal kill task_budget k1 evidence.tree_cost_usd=12.0"]


BUDGET_FIXTURES = {
    "budget_task_tree": ('version = "tree"\n[defaults]\ntask_budget_usd = 10.0\n', task_tree),
    "budget_agent_quiet_gap": ('version = "quiet-gap"\n[defaults]\nagent_budget_usd = 40.0\n', agent_quiet_gap),
    "budget_agent_clock_ahead": ('version = "clock-ahead"\n[defaults]\nagent_budget_usd = 40.0\n', agent_clock_ahead),
    "budget_fleet_quiet_gap": ('version = "fleet-gap"\n[global]\nfleet_budget_usd = 100.0\n[defaults]\nsession_budget_usd = 0.0\n', fleet_quiet_gap),
    "budget_mixed_agent_tables": (
        'version = "mixed"\n[defaults]\nsession_budget_usd = 10.0\nagent_budget_usd = 100.0\n'
        '[agent.bigbot]\nsession_budget_usd = 40.0\nagent_budget_usd = 5.0\n', mixed_agent_tables),
    "budget_float_boundary": (
        'version = "float"\n[global]\nfleet_budget_usd = 0.0\n[defaults]\nsession_budget_usd = 0.3\ntask_budget_usd = 0.3\n'
        'agent_budget_usd = 1000.0\ndisabled = ["cost_spike"]\n[agent.big]\nsession_budget_usd = 25.0\n[agent.p]\nagent_budget_usd = 0.3\n', float_boundary),
    "budget_fleet_float_boundary": ('version = "fleet-float"\n[global]\nfleet_budget_usd = 1.0\n', fleet_float_boundary),
    "budget_fleet_rearm_zero_cost": ('version = "rearm"\n[global]\nfleet_budget_usd = 100.0\n[defaults]\nsession_budget_usd = 0.0\n', fleet_rearm_zero_cost),
    "budget_agent_recross": ('version = "recross"\n[defaults]\nagent_budget_usd = 40.0\n', agent_recross),
}

if __name__ == "__main__":
    warmup_file()
    for name, build in FIXTURES.items():
        fixture(name, build)
    for name, (policy, build) in BUDGET_FIXTURES.items():
        budget_fixture(name, policy, build)
    print(f"wrote {len(FIXTURES) + len(BUDGET_FIXTURES)} fixtures to {HERE}")
