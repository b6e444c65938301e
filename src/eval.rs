//! Detection-quality evaluation (`runaway eval`): replays labeled events
//! through the [`Engine`] and scores its session kills against the labels,
//! side by side with static caps computed on the same events (25 and 100
//! LLM turns per session, $1 and $5 per session).
//!
//! Owns: the scoring rules, written down here once:
//! - A *kill* is a `kill` signal with `session` scope. It stops its session
//!   and every descendant session (sub-agents, by `parent_session_id`) right
//!   after its trigger event: the trigger is spent, later events are not.
//! - A runaway *case* is a `runaway` label without `part_of`, with its
//!   sessions: itself, the labels `part_of` it, and its descendants.
//!   Spend from onset = cost of the case's events from the onset event on
//!   (file order). Prevented = spend from onset − spend from onset up to each
//!   session's kill (inclusive); never killed prevents 0.
//! - *Caught*: some session of the case is killed. A kill before the onset
//!   counts as caught (and prevents all) but is tallied separately.
//! - *False kill*: a `normal` session killed before its last event. A
//!   session `part_of` a runaway case is a member of that case whatever its
//!   own label (a generator may label a fan-out's leaf workers `normal`):
//!   stopping it is stopping the runaway, so it is not a normal session here.
//! - Static caps: `turns N` kills at the N-th LLM call of a session (a
//!   session with exactly N calls that ends there is not cut short);
//!   `$X` kills at the event whose running session cost first exceeds X.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::detect::Outcome;
use crate::engine::{Engine, Processed, SourcePos};
use crate::policy::Policy;
use crate::pricing::Catalog;
use crate::signal::{Action, Scope, Signal};
use crate::sim::Label;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} line {line}: not a label: {message}")]
    BadLabel { path: String, line: usize, message: String },
}

/// A way of deciding kills, evaluated on the same events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    Detector,
    MaxTurns(u32),
    MaxSpend(f64),
}

impl Strategy {
    pub fn name(&self) -> String {
        match self {
            Strategy::Detector => "runaway".to_string(),
            Strategy::MaxTurns(n) => format!("cap {n} turns"),
            Strategy::MaxSpend(x) => format!("cap ${x}/session"),
        }
    }

    pub const STATIC: [Strategy; 4] = [Strategy::MaxTurns(25), Strategy::MaxTurns(100), Strategy::MaxSpend(1.0), Strategy::MaxSpend(5.0)];
}

/// Runaway figures of one strategy over a set of cases.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RunawayFigures {
    pub cases: u64,
    pub caught: u64,
    pub caught_before_onset: u64,
    pub spend_from_onset_usd: f64,
    pub spend_prevented_usd: f64,
    /// prevented / from onset (1.0 when there was nothing to prevent).
    pub prevented_share: f64,
    pub caught_share: f64,
    /// Over cases caught at or after onset.
    pub median_events_onset_to_kill: Option<f64>,
    pub median_usd_onset_to_kill: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FalseKillFigures {
    pub normal_sessions: u64,
    pub killed: u64,
    pub share: f64,
    /// Label kind -> (sessions, killed).
    pub per_kind: BTreeMap<String, (u64, u64)>,
}

/// One runaway case as the detector handled it (for diagnosis).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseDetail {
    pub session_id: String,
    pub kind: String,
    pub agent_id: Option<String>,
    pub task_type: Option<String>,
    pub caught: bool,
    pub before_onset: bool,
    pub kill_reason: Option<String>,
    pub killed_session: Option<String>,
    pub events_onset_to_kill: u64,
    pub usd_onset_to_kill: f64,
    pub spend_from_onset_usd: f64,
    pub prevented_share: f64,
}

/// A normal session the detector killed early (for diagnosis).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FalseKillDetail {
    pub session_id: String,
    pub kind: String,
    pub agent_id: Option<String>,
    pub task_type: Option<String>,
    pub kill_reason: String,
    pub events_before_kill: u64,
    pub events_in_session: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StrategyReport {
    pub strategy: String,
    pub overall: RunawayFigures,
    pub per_kind: BTreeMap<String, RunawayFigures>,
    pub false_kills: FalseKillFigures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub events: u64,
    pub duplicates: u64,
    pub dead_letters: u64,
    pub sessions: u64,
    pub fleet_spend_usd: f64,
    pub labels_without_events: u64,
    pub onsets_missing: u64,
    pub policy_version: String,
    pub strategies: Vec<StrategyReport>,
    /// Detector only.
    pub cases: Vec<CaseDetail>,
    pub false_kill_details: Vec<FalseKillDetail>,
}

/// One processed (non-duplicate) event, in file order.
struct Ev {
    is_llm: bool,
    cost: f64,
}

/// The replayed events and the detector's kills.
struct Replay {
    events: Vec<Ev>,
    ids: HashMap<Arc<str>, u32>,
    session_ids: Vec<Arc<str>>,
    session_index: HashMap<Arc<str>, u32>,
    parent: Vec<Option<u32>>,
    /// Per session: its event indices, in order.
    by_session: Vec<Vec<u32>>,
    /// Per session: (trigger index, reason) of its first session-scope kill.
    kills: HashMap<u32, (u32, String)>,
    duplicates: u64,
    dead_letters: u64,
}

/// Reads labels (NDJSON).
pub fn read_labels(path: &Path) -> Result<Vec<Label>, EvalError> {
    let f = File::open(path).map_err(|source| EvalError::Read { path: path.display().to_string(), source })?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|source| EvalError::Read { path: path.display().to_string(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Label = serde_json::from_str(&line).map_err(|e| EvalError::BadLabel {
            path: path.display().to_string(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.push(l);
    }
    Ok(out)
}

/// Evaluates the detector under `policy` and the static caps.
pub fn evaluate(events_path: &Path, labels_path: &Path, policy: Policy) -> Result<Report, EvalError> {
    let labels = read_labels(labels_path)?;
    let policy_version = policy.version.to_string();
    let replay = replay(events_path, policy)?;
    Ok(score(&replay, &labels, policy_version))
}

fn replay(path: &Path, policy: Policy) -> Result<Replay, EvalError> {
    let f = File::open(path).map_err(|source| EvalError::Read { path: path.display().to_string(), source })?;
    let mut reader = BufReader::with_capacity(1 << 20, f);
    let mut engine = Engine::new(Catalog::embedded(), Arc::new(policy));
    let mut r = Replay {
        events: Vec::new(),
        ids: HashMap::new(),
        session_ids: Vec::new(),
        session_index: HashMap::new(),
        parent: Vec::new(),
        by_session: Vec::new(),
        kills: HashMap::new(),
        duplicates: 0,
        dead_letters: 0,
    };
    let mut parents_by_name: Vec<Option<Arc<str>>> = Vec::new();
    let mut signals: Vec<Signal> = Vec::new();
    let mut buf = Vec::new();
    let mut line: u64 = 0;
    let file = path.display().to_string();
    let shared_file: std::sync::Arc<str> = file.as_str().into();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| EvalError::Read { path: file.clone(), source })?;
        if n == 0 {
            break;
        }
        line += 1;
        let rec = buf.trim_ascii();
        if rec.is_empty() {
            continue;
        }
        match engine.process_record(rec, SourcePos::File { file: shared_file.clone(), line }, 0, &mut signals) {
            Processed::Dead(_) => r.dead_letters += 1,
            Processed::Event(p) if p.outcome == Outcome::Duplicate => r.duplicates += 1,
            Processed::Event(p) => {
                let e = &p.event;
                let s = match r.session_index.get(&e.session_id) {
                    Some(s) => *s,
                    None => {
                        let s = r.session_ids.len() as u32;
                        r.session_ids.push(e.session_id.clone());
                        r.session_index.insert(e.session_id.clone(), s);
                        r.by_session.push(Vec::new());
                        parents_by_name.push(e.parent_session_id.clone());
                        s
                    }
                };
                let idx = r.events.len() as u32;
                r.ids.entry(e.event_id.clone()).or_insert(idx);
                r.by_session[s as usize].push(idx);
                r.events.push(Ev { is_llm: e.kind == crate::event::EventKind::Llm, cost: p.cost_usd });
            }
        }
        let current = (r.events.len() as u32).saturating_sub(1);
        for sig in signals.drain(..) {
            if sig.action != Action::Kill || sig.scope != Scope::Session {
                continue;
            }
            let Some(sid) = sig.session_id.as_ref() else { continue };
            let Some(&s) = r.session_index.get(sid) else { continue };
            let trigger = r.ids.get(&sig.trigger_event_id).copied().unwrap_or(current);
            r.kills.entry(s).or_insert((trigger, sig.reason.as_str().to_string()));
        }
    }
    r.parent = parents_by_name.iter().map(|p| p.as_ref().and_then(|p| r.session_index.get(p).copied())).collect();
    Ok(r)
}

/// Own kill (trigger index, reason) per session under one strategy.
fn own_kills(r: &Replay, strategy: Strategy) -> HashMap<u32, (u32, String)> {
    match strategy {
        Strategy::Detector => r.kills.clone(),
        Strategy::MaxTurns(n) => {
            let mut out = HashMap::new();
            for (s, idxs) in r.by_session.iter().enumerate() {
                let mut turns = 0;
                for &i in idxs {
                    if r.events[i as usize].is_llm {
                        turns += 1;
                        if turns == n {
                            out.insert(s as u32, (i, strategy.name()));
                            break;
                        }
                    }
                }
            }
            out
        }
        Strategy::MaxSpend(cap) => {
            let mut out = HashMap::new();
            for (s, idxs) in r.by_session.iter().enumerate() {
                let mut spent = 0.0;
                for &i in idxs {
                    spent += r.events[i as usize].cost;
                    if spent > cap {
                        out.insert(s as u32, (i, strategy.name()));
                        break;
                    }
                }
            }
            out
        }
    }
}

/// Effective kill per session: its own, or an ancestor's if earlier.
fn effective_kills(r: &Replay, own: &HashMap<u32, (u32, String)>) -> Vec<Option<(u32, String, u32)>> {
    (0..r.session_ids.len() as u32)
        .map(|s| {
            let mut best: Option<(u32, String, u32)> = None;
            let mut cur = Some(s);
            let mut depth = 0;
            while let Some(c) = cur {
                if let Some((i, reason)) = own.get(&c) {
                    if best.as_ref().is_none_or(|b| *i < b.0) {
                        best = Some((*i, reason.clone(), c));
                    }
                }
                cur = r.parent.get(c as usize).copied().flatten();
                depth += 1;
                if depth > 64 {
                    break; // a parent cycle in bad data
                }
            }
            best
        })
        .collect()
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

#[derive(Default)]
struct Acc {
    f: RunawayFigures,
    events_to_kill: Vec<f64>,
    usd_to_kill: Vec<f64>,
}

impl Acc {
    fn finish(mut self) -> RunawayFigures {
        let f = &mut self.f;
        f.prevented_share = if f.spend_from_onset_usd > 0.0 { f.spend_prevented_usd / f.spend_from_onset_usd } else { 1.0 };
        f.caught_share = if f.cases > 0 { f.caught as f64 / f.cases as f64 } else { 0.0 };
        f.median_events_onset_to_kill = median(&mut self.events_to_kill);
        f.median_usd_onset_to_kill = median(&mut self.usd_to_kill);
        self.f
    }
}

fn score(r: &Replay, labels: &[Label], policy_version: String) -> Report {
    // Case membership: root -> sessions.
    let mut case_sessions: HashMap<&str, Vec<u32>> = HashMap::new();
    for l in labels.iter().filter(|l| l.label == "runaway" && l.part_of.is_none()) {
        case_sessions.entry(l.session_id.as_str()).or_default();
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (s, p) in r.parent.iter().enumerate() {
        if let Some(p) = p {
            children.entry(*p).or_default().push(s as u32);
        }
    }
    for (root, members) in case_sessions.iter_mut() {
        let Some(&rs) = r.session_index.get(*root) else { continue };
        let mut stack = vec![rs];
        while let Some(s) = stack.pop() {
            if members.contains(&s) {
                continue;
            }
            members.push(s);
            stack.extend(children.get(&s).into_iter().flatten().copied());
        }
    }
    for l in labels.iter().filter(|l| l.part_of.is_some()) {
        if let (Some(root), Some(&s)) = (l.part_of.as_deref(), r.session_index.get(l.session_id.as_str())) {
            if let Some(m) = case_sessions.get_mut(root) {
                if !m.contains(&s) {
                    m.push(s);
                }
            }
        }
    }
    let labels_without_events = labels.iter().filter(|l| !r.session_index.contains_key(l.session_id.as_str())).count() as u64;
    let mut onsets_missing = 0;
    let mut strategies = Vec::new();
    let mut cases_detail = Vec::new();
    let mut fk_detail = Vec::new();
    let mut all = vec![Strategy::Detector];
    all.extend(Strategy::STATIC);
    for (si, strategy) in all.iter().enumerate() {
        let own = own_kills(r, *strategy);
        let eff = effective_kills(r, &own);
        let mut overall = Acc::default();
        let mut per_kind: BTreeMap<String, Acc> = BTreeMap::new();
        for l in labels.iter().filter(|l| l.label == "runaway" && l.part_of.is_none()) {
            let onset = l.onset_event_id.as_deref().and_then(|o| r.ids.get(o).copied());
            let (Some(onset), Some(members)) = (onset, case_sessions.get(l.session_id.as_str())) else {
                if si == 0 {
                    onsets_missing += 1;
                }
                continue;
            };
            let mut from_onset = 0.0;
            let mut spent = 0.0;
            let mut first_kill: Option<(u32, String, u32)> = None;
            for &s in members {
                let k = eff[s as usize].clone();
                for &i in &r.by_session[s as usize] {
                    if i < onset {
                        continue;
                    }
                    let c = r.events[i as usize].cost;
                    from_onset += c;
                    if k.as_ref().is_none_or(|k| i <= k.0) {
                        spent += c;
                    }
                }
                if let Some(k) = k {
                    if first_kill.as_ref().is_none_or(|f| k.0 < f.0) {
                        first_kill = Some(k);
                    }
                }
            }
            let caught = first_kill.is_some();
            let before = first_kill.as_ref().is_some_and(|k| k.0 < onset);
            let (mut ev_to_kill, mut usd_to_kill) = (0u64, 0.0);
            if let Some(k) = first_kill.as_ref().filter(|k| k.0 >= onset) {
                for &s in members {
                    for &i in &r.by_session[s as usize] {
                        if i >= onset && i <= k.0 {
                            ev_to_kill += 1;
                            usd_to_kill += r.events[i as usize].cost;
                        }
                    }
                }
            }
            let prevented = (from_onset - spent).max(0.0);
            for acc in [&mut overall, per_kind.entry(l.kind.clone()).or_default()] {
                acc.f.cases += 1;
                acc.f.caught += caught as u64;
                acc.f.caught_before_onset += before as u64;
                acc.f.spend_from_onset_usd += from_onset;
                acc.f.spend_prevented_usd += prevented;
                if caught && !before {
                    acc.events_to_kill.push(ev_to_kill as f64);
                    acc.usd_to_kill.push(usd_to_kill);
                }
            }
            if si == 0 {
                cases_detail.push(CaseDetail {
                    session_id: l.session_id.clone(),
                    kind: l.kind.clone(),
                    agent_id: l.agent_id.clone(),
                    task_type: l.task_type.clone(),
                    caught,
                    before_onset: before,
                    kill_reason: first_kill.as_ref().map(|k| k.1.clone()),
                    killed_session: first_kill.as_ref().map(|k| r.session_ids[k.2 as usize].to_string()),
                    events_onset_to_kill: ev_to_kill,
                    usd_onset_to_kill: usd_to_kill,
                    spend_from_onset_usd: from_onset,
                    prevented_share: if from_onset > 0.0 { prevented / from_onset } else { 1.0 },
                });
            }
        }
        let mut fk = FalseKillFigures::default();
        for l in labels.iter().filter(|l| l.label == "normal" && l.part_of.is_none()) {
            let Some(&s) = r.session_index.get(l.session_id.as_str()) else { continue };
            let idxs = &r.by_session[s as usize];
            let Some(&last) = idxs.last() else { continue };
            let killed = eff[s as usize].as_ref().filter(|k| k.0 < last);
            fk.normal_sessions += 1;
            let e = fk.per_kind.entry(l.kind.clone()).or_default();
            e.0 += 1;
            if let Some(k) = killed {
                fk.killed += 1;
                e.1 += 1;
                if si == 0 {
                    fk_detail.push(FalseKillDetail {
                        session_id: l.session_id.clone(),
                        kind: l.kind.clone(),
                        agent_id: l.agent_id.clone(),
                        task_type: l.task_type.clone(),
                        kill_reason: k.1.clone(),
                        events_before_kill: idxs.iter().filter(|&&i| i <= k.0).count() as u64,
                        events_in_session: idxs.len() as u64,
                    });
                }
            }
        }
        fk.share = if fk.normal_sessions > 0 { fk.killed as f64 / fk.normal_sessions as f64 } else { 0.0 };
        strategies.push(StrategyReport {
            strategy: strategy.name(),
            overall: overall.finish(),
            per_kind: per_kind.into_iter().map(|(k, a)| (k, a.finish())).collect(),
            false_kills: fk,
        });
    }
    Report {
        events: r.events.len() as u64,
        duplicates: r.duplicates,
        dead_letters: r.dead_letters,
        sessions: r.session_ids.len() as u64,
        fleet_spend_usd: r.events.iter().map(|e| e.cost).sum(),
        labels_without_events,
        onsets_missing,
        policy_version,
        strategies,
        cases: cases_detail,
        false_kill_details: fk_detail,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn opt(x: Option<f64>, dollars: bool) -> String {
    match x {
        Some(v) if dollars => format!("${v:.2}"),
        Some(v) => format!("{v:.0}"),
        None => "-".to_string(),
    }
}

impl Report {
    /// The human table: overall figures per strategy, then per runaway kind
    /// and per normal-session kind.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "events {}  duplicates {}  dead letters {}  sessions {}  fleet spend ${:.2}  policy {}",
            self.events, self.duplicates, self.dead_letters, self.sessions, self.fleet_spend_usd, self.policy_version
        );
        if self.labels_without_events > 0 || self.onsets_missing > 0 {
            let _ = writeln!(o, "WARNING: {} labels without events, {} onsets not found", self.labels_without_events, self.onsets_missing);
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<18} {:>9} {:>16} {:>10} {:>11} {:>9} {:>22}",
            "strategy", "runaways", "caught", "prevented", "med events", "med $", "false kills"
        );
        for s in &self.strategies {
            let f = &s.overall;
            let caught = if f.caught_before_onset > 0 {
                format!("{} {} ({}<)", f.caught, pct(f.caught_share), f.caught_before_onset)
            } else {
                format!("{} {}", f.caught, pct(f.caught_share))
            };
            let _ = writeln!(
                o,
                "{:<18} {:>9} {:>16} {:>10} {:>11} {:>9} {:>22}",
                s.strategy,
                f.cases,
                caught,
                pct(f.prevented_share),
                opt(f.median_events_onset_to_kill, false),
                opt(f.median_usd_onset_to_kill, true),
                format!("{}/{} {:.2}%", s.false_kills.killed, s.false_kills.normal_sessions, s.false_kills.share * 100.0)
            );
        }
        let _ = writeln!(o, "(caught: n share (k< = k of them killed before onset); med = median from onset to kill)");
        let _ = writeln!(o);
        let _ = write!(o, "{:<18} {:>5} {:>8}", "runaway kind", "n", "$onset");
        for s in &self.strategies {
            let _ = write!(o, " {:>16}", s.strategy);
        }
        let _ = writeln!(o, "   (caught/prevented)");
        let kinds: Vec<&String> = self.strategies.first().map(|s| s.per_kind.keys().collect()).unwrap_or_default();
        for k in kinds {
            let first = &self.strategies[0].per_kind[k];
            let _ = write!(o, "{:<18} {:>5} {:>8.0}", k, first.cases, first.spend_from_onset_usd);
            for s in &self.strategies {
                let f = &s.per_kind[k];
                let _ = write!(o, " {:>16}", format!("{}/{} {}", f.caught, f.cases, pct(f.prevented_share)));
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o);
        let _ = write!(o, "{:<18} {:>5}", "normal kind", "n");
        for s in &self.strategies {
            let _ = write!(o, " {:>16}", s.strategy);
        }
        let _ = writeln!(o, "   (killed early)");
        let kinds: Vec<&String> = self.strategies.first().map(|s| s.false_kills.per_kind.keys().collect()).unwrap_or_default();
        for k in kinds {
            let n = self.strategies[0].false_kills.per_kind[k].0;
            let _ = write!(o, "{:<18} {:>5}", k, n);
            for s in &self.strategies {
                let (_, killed) = s.false_kills.per_kind.get(k).copied().unwrap_or_default();
                let _ = write!(o, " {:>16}", killed);
            }
            let _ = writeln!(o);
        }
        let missed: Vec<&CaseDetail> = self.cases.iter().filter(|c| !c.caught).collect();
        if !missed.is_empty() {
            let _ = writeln!(o, "\nrunaways the detector missed:");
            for c in missed.iter().take(20) {
                let _ = writeln!(
                    o,
                    "  {} {} {} {} ${:.2} from onset",
                    c.session_id,
                    c.kind,
                    c.agent_id.as_deref().unwrap_or("-"),
                    c.task_type.as_deref().unwrap_or("-"),
                    c.spend_from_onset_usd
                );
            }
        }
        if !self.false_kill_details.is_empty() {
            let _ = writeln!(o, "\nnormal sessions the detector killed early:");
            for f in self.false_kill_details.iter().take(20) {
                let _ = writeln!(
                    o,
                    "  {} {} {} {} by {} at event {}/{}",
                    f.session_id,
                    f.kind,
                    f.agent_id.as_deref().unwrap_or("-"),
                    f.task_type.as_deref().unwrap_or("-"),
                    f.kill_reason,
                    f.events_before_kill,
                    f.events_in_session
                );
            }
        }
        o
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
