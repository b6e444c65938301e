//! `runaway report`: showback/chargeback from the archive — spend, actions,
//! sessions, unit costs, kills, the spend that leaked past a kill
//! (enforcement lag) and an estimate of the spend the kills stopped.
//!
//! Owns: the aggregation and its three renderings (table, CSV, JSON).
//!
//! Spend the kills stopped is an estimate: a killed session is assumed to
//! have gone on spending at its own pre-kill rate (spend before the kill /
//! minutes from its first event to the kill, at least one minute) for
//! `stop_horizon_minutes` more, had nobody stopped it; what it still spent
//! after the kill is subtracted, and the result is floored at zero.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::read::{EventRow, KillRow, NO_GROUP};
use super::Format;

/// One group's line of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportRow {
    pub group: String,
    pub spend_usd: f64,
    pub actions: u64,
    pub sessions: u64,
    pub cost_per_session_usd: f64,
    pub cost_per_action_usd: f64,
    pub sessions_killed: u64,
    /// Spend of events that arrived after their session's kill.
    pub spend_after_kill_usd: f64,
    pub actions_after_kill: u64,
    /// Estimated spend the kills prevented (see the module doc).
    pub spend_stopped_est_usd: f64,
}

#[derive(Default)]
struct SessionFacts {
    group: Option<Arc<str>>,
    first_ts: i64,
    spend_before_kill: f64,
    spend_after_kill: f64,
}

/// Aggregates events and kills per group. Rows are sorted by spend
/// (largest first); the last row is the total (`group` = `TOTAL`).
pub fn build(events: &[EventRow], kills: &[KillRow], stop_horizon_minutes: f64) -> Vec<ReportRow> {
    let mut groups: BTreeMap<Arc<str>, (ReportRow, HashSet<Arc<str>>)> = BTreeMap::new();
    let mut sessions: HashMap<Arc<str>, SessionFacts> = HashMap::new();
    for e in events {
        let (row, seen) = groups.entry(e.group.clone()).or_default();
        row.spend_usd += e.cost_usd;
        row.actions += 1;
        seen.insert(e.session.clone());
        if e.after_kill {
            row.spend_after_kill_usd += e.cost_usd;
            row.actions_after_kill += 1;
        }
        let s = sessions.entry(e.session.clone()).or_insert_with(|| SessionFacts { first_ts: e.ts_ms, ..Default::default() });
        // A session belongs to the group of its earliest event.
        if s.group.is_none() || e.ts_ms < s.first_ts {
            s.group = Some(e.group.clone());
        }
        s.first_ts = s.first_ts.min(e.ts_ms);
        if e.after_kill {
            s.spend_after_kill += e.cost_usd;
        } else {
            s.spend_before_kill += e.cost_usd;
        }
    }
    let mut killed_seen: HashSet<&str> = HashSet::new();
    for k in kills {
        // A session is killed at most once; a replayed archive must not
        // count it twice either.
        if !killed_seen.insert(&k.session) {
            continue;
        }
        let Some(s) = sessions.get(&k.session) else { continue }; // killed outside the range read
        let Some(group) = &s.group else { continue };
        let Some((row, _)) = groups.get_mut(group) else { continue };
        row.sessions_killed += 1;
        let minutes = ((k.event_ts_ms - s.first_ts) as f64 / 60_000.0).max(1.0);
        let rate = s.spend_before_kill / minutes;
        row.spend_stopped_est_usd += (rate * stop_horizon_minutes - s.spend_after_kill).max(0.0);
    }
    let mut total = ReportRow { group: "TOTAL".to_string(), ..Default::default() };
    let mut all_sessions: HashSet<Arc<str>> = HashSet::new();
    let mut rows: Vec<ReportRow> = Vec::with_capacity(groups.len() + 1);
    for (name, (mut row, seen)) in groups {
        row.group = if name.is_empty() { NO_GROUP.to_string() } else { name.to_string() };
        row.sessions = seen.len() as u64;
        all_sessions.extend(seen);
        total.spend_usd += row.spend_usd;
        total.actions += row.actions;
        total.sessions_killed += row.sessions_killed;
        total.spend_after_kill_usd += row.spend_after_kill_usd;
        total.actions_after_kill += row.actions_after_kill;
        total.spend_stopped_est_usd += row.spend_stopped_est_usd;
        rows.push(finish_row(row));
    }
    total.sessions = all_sessions.len() as u64;
    rows.sort_by(|a, b| b.spend_usd.total_cmp(&a.spend_usd).then_with(|| a.group.cmp(&b.group)));
    rows.push(finish_row(total));
    rows
}

fn finish_row(mut r: ReportRow) -> ReportRow {
    r.cost_per_session_usd = if r.sessions > 0 { r.spend_usd / r.sessions as f64 } else { 0.0 };
    r.cost_per_action_usd = if r.actions > 0 { r.spend_usd / r.actions as f64 } else { 0.0 };
    r
}

const HEADERS: [&str; 10] = [
    "group",
    "spend_usd",
    "actions",
    "sessions",
    "cost_per_session_usd",
    "cost_per_action_usd",
    "sessions_killed",
    "spend_after_kill_usd",
    "actions_after_kill",
    "spend_stopped_est_usd",
];

fn cells(r: &ReportRow) -> [String; 10] {
    [
        r.group.clone(),
        format!("{:.4}", r.spend_usd),
        r.actions.to_string(),
        r.sessions.to_string(),
        format!("{:.4}", r.cost_per_session_usd),
        format!("{:.6}", r.cost_per_action_usd),
        r.sessions_killed.to_string(),
        format!("{:.4}", r.spend_after_kill_usd),
        r.actions_after_kill.to_string(),
        format!("{:.4}", r.spend_stopped_est_usd),
    ]
}

/// Renders the report; `dimension` names the group column.
pub fn render(rows: &[ReportRow], dimension: &str, format: Format) -> String {
    let mut headers = HEADERS.map(str::to_string);
    headers[0] = dimension.to_string();
    match format {
        Format::Json => serde_json::to_string_pretty(rows).unwrap_or_default() + "\n",
        Format::Csv => {
            let mut out = headers.join(",") + "\n";
            for r in rows {
                out += &cells(r).map(|c| super::csv_field(&c)).join(",");
                out.push('\n');
            }
            out
        }
        Format::Table => {
            let body: Vec<[String; 10]> = rows.iter().map(cells).collect();
            super::table(&headers, &body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts_min: i64, session: &str, group: &str, cost: f64, after_kill: bool) -> EventRow {
        EventRow { ts_ms: ts_min * 60_000, session: session.into(), group: group.into(), cost_usd: cost, after_kill }
    }

    #[test]
    fn stopped_spend_uses_the_sessions_own_rate() {
        // 10 minutes at $1/min, killed at minute 10, $0.5 leaked after.
        let mut events: Vec<EventRow> = (0..=10).map(|m| ev(m, "s", "a", if m == 0 { 0.0 } else { 1.0 }, false)).collect();
        events.push(ev(11, "s", "a", 0.5, true));
        events.push(ev(3, "t", "b", 2.0, false));
        let kills = vec![KillRow { session: "s".into(), event_ts_ms: 10 * 60_000 }];
        let rows = build(&events, &kills, 60.0);
        let a = rows.iter().find(|r| r.group == "a").unwrap();
        assert_eq!(a.sessions_killed, 1);
        assert!((a.spend_usd - 10.5).abs() < 1e-9);
        assert!((a.spend_after_kill_usd - 0.5).abs() < 1e-9);
        assert!((a.spend_stopped_est_usd - 59.5).abs() < 1e-9);
        let total = rows.last().unwrap();
        assert_eq!((total.group.as_str(), total.sessions, total.actions), ("TOTAL", 2, 13));
    }
}
