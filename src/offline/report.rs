//! `runaway report`: showback/chargeback from the archive — spend, actions,
//! sessions, unit costs, kills, the spend that leaked past a kill
//! (enforcement lag) and an estimate of the spend the kills stopped.
//!
//! Owns: the aggregation, its three renderings (table, CSV, JSON) and the
//! note on spend priced at the fallback rates.
//!
//! A kill belongs to the period of its event time and to the group of the
//! event that triggered it (the signal's `trigger_event_id`), so it is
//! counted in exactly one of the ranges that partition a period, and in one
//! group; every additive column of reports over such ranges sums to the
//! whole period's.
//!
//! Spend the kills stopped is an estimate: a killed session is assumed to
//! have gone on spending at its own pre-kill rate for
//! `stop_horizon_minutes` more, had nobody stopped it; what it still spent
//! in those minutes is subtracted, and the result is floored at zero. The
//! rate is its spend in the horizon before the kill over the minutes from
//! its first event in that span to the kill (at least one minute). Both
//! spans are the kill's own, read beyond the range where they cross its
//! ends, so a kill's estimate does not depend on the range it is read in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::read::{EventRow, KillRow, NO_GROUP};
use super::Format;

/// One group's line of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportRow {
    pub group: String,
    #[serde(serialize_with = "super::usd")]
    pub spend_usd: f64,
    pub actions: u64,
    pub sessions: u64,
    #[serde(serialize_with = "super::unit_usd")]
    pub cost_per_session_usd: f64,
    #[serde(serialize_with = "super::unit_usd")]
    pub cost_per_action_usd: f64,
    /// Kills in range triggered by an event of the group.
    pub sessions_killed: u64,
    /// Spend of events that arrived after their session's kill.
    #[serde(serialize_with = "super::usd")]
    pub spend_after_kill_usd: f64,
    pub actions_after_kill: u64,
    /// Estimated spend the kills prevented (see the module doc).
    #[serde(serialize_with = "super::usd")]
    pub spend_stopped_est_usd: f64,
    /// Spend priced at the fallback rates (`cost_source = 'fallback'`): a
    /// model the price catalog lacks, priced at a premium placeholder.
    /// Part of `spend_usd`, shown apart because it is a guess.
    #[serde(serialize_with = "super::usd")]
    pub spend_fallback_usd: f64,
    /// The total row: a group may be named `TOTAL` too.
    pub total: bool,
}

/// The order of the group rows; the total is always last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Largest spend first.
    Spend,
    /// By group name (dates in their order).
    Group,
}

/// A killed session's spend around its kill, within the stop horizon.
#[derive(Default)]
struct AroundKill {
    kill_ts: i64,
    /// Earliest event before the kill, within the horizon.
    first_ts: Option<i64>,
    spend_before: f64,
    spend_after: f64,
}

/// Aggregates events and kills per group. Rows are sorted by `order`; the
/// last row is the total (`group` = `TOTAL`, `total` = true).
/// `events` may hold rows beyond the range (`in_range` false): they count
/// toward the estimates of the kills in range only.
pub fn build(events: &[EventRow], kills: &[KillRow], stop_horizon_minutes: f64, order: Order) -> Vec<ReportRow> {
    let horizon_ms = (stop_horizon_minutes * 60_000.0).round() as i64;
    let mut groups: BTreeMap<Arc<str>, (ReportRow, HashSet<Arc<str>>)> = BTreeMap::new();
    let mut around: HashMap<&str, AroundKill> =
        kills.iter().map(|k| (&*k.session, AroundKill { kill_ts: k.event_ts_ms, ..Default::default() })).collect();
    for e in events {
        if e.in_range {
            let (row, seen) = groups.entry(e.group.clone()).or_default();
            row.spend_usd += e.cost_usd;
            row.actions += 1;
            if e.fallback {
                row.spend_fallback_usd += e.cost_usd;
            }
            seen.insert(e.session.clone());
            if e.after_kill {
                row.spend_after_kill_usd += e.cost_usd;
                row.actions_after_kill += 1;
            }
        }
        let Some(s) = around.get_mut(&*e.session) else { continue };
        if e.after_kill {
            // Beyond the horizon is past what the estimate imagines; before
            // the kill (clocks of two hosts) is after it all the same.
            if e.ts_ms <= s.kill_ts + horizon_ms && e.ts_ms >= s.kill_ts - horizon_ms {
                s.spend_after += e.cost_usd;
            }
        } else if e.ts_ms <= s.kill_ts && e.ts_ms >= s.kill_ts - horizon_ms {
            s.spend_before += e.cost_usd;
            s.first_ts = Some(s.first_ts.map_or(e.ts_ms, |f| f.min(e.ts_ms)));
        }
    }
    let none: Arc<str> = Arc::from(NO_GROUP);
    for k in kills {
        let group = k.group.clone().unwrap_or_else(|| none.clone());
        let (row, _) = groups.entry(group).or_default();
        row.sessions_killed += 1;
        let Some(s) = around.get(&*k.session) else { continue };
        let rate = match s.first_ts {
            Some(first) => s.spend_before / ((s.kill_ts - first) as f64 / 60_000.0).max(1.0),
            None => 0.0,
        };
        row.spend_stopped_est_usd += (rate * stop_horizon_minutes - s.spend_after).max(0.0);
    }
    let mut total = ReportRow { group: "TOTAL".to_string(), total: true, ..Default::default() };
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
        total.spend_fallback_usd += row.spend_fallback_usd;
        rows.push(finish_row(row));
    }
    total.sessions = all_sessions.len() as u64;
    if order == Order::Spend {
        // (Else already in group order: the groups' map is a BTreeMap.)
        rows.sort_by(|a, b| b.spend_usd.total_cmp(&a.spend_usd).then_with(|| a.group.cmp(&b.group)));
    }
    rows.push(finish_row(total));
    rows
}

fn finish_row(mut r: ReportRow) -> ReportRow {
    r.cost_per_session_usd = if r.sessions > 0 { r.spend_usd / r.sessions as f64 } else { 0.0 };
    r.cost_per_action_usd = if r.actions > 0 { r.spend_usd / r.actions as f64 } else { 0.0 };
    r
}

const HEADERS: [&str; 11] = [
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
    "spend_fallback_usd",
];

fn cells(r: &ReportRow) -> [String; 11] {
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
        format!("{:.4}", r.spend_fallback_usd),
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
            let body: Vec<[String; 11]> = rows.iter().map(cells).collect();
            super::table(&headers, &body)
        }
    }
}

/// Models named in the fallback note; the rest are counted.
const NOTE_MODELS: usize = 10;

/// The note on spend priced at the fallback rates, naming its share of
/// all spend and the models (costliest first), or `None` when there is none.
pub fn fallback_note(total: &ReportRow, models: &BTreeMap<String, f64>) -> Option<String> {
    if models.is_empty() {
        return None;
    }
    let mut by_spend: Vec<(&String, &f64)> = models.iter().collect();
    by_spend.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let mut named: Vec<String> = by_spend.iter().take(NOTE_MODELS).map(|(m, usd)| format!("{m} (${usd:.4})")).collect();
    if by_spend.len() > NOTE_MODELS {
        named.push(format!("and {} more", by_spend.len() - NOTE_MODELS));
    }
    let share = if total.spend_usd > 0.0 { 100.0 * total.spend_fallback_usd / total.spend_usd } else { 0.0 };
    let per_mtok = |rate: Option<f64>| rate.map_or("?".to_string(), |r| format!("{}", r * 1e6));
    let rates = &crate::pricing::FALLBACK_PRICE;
    Some(format!(
        "${:.4} of the ${:.4} spent ({share:.2} %, column spend_fallback_usd) is priced at the fallback rates (${} / ${} per million input / output tokens), for models the price catalog has no price (or no rate for a kind of token) for: {}; the real cost may be far lower or higher (`watch --prices FILE` prices them on a rerun)",
        total.spend_fallback_usd,
        total.spend_usd,
        per_mtok(rates.input_cost_per_token),
        per_mtok(rates.output_cost_per_token),
        named.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts_min: i64, session: &str, group: &str, cost: f64, after_kill: bool) -> EventRow {
        EventRow {
            ts_ms: ts_min * 60_000,
            session: session.into(),
            group: group.into(),
            cost_usd: cost,
            after_kill,
            fallback: false,
            in_range: true,
        }
    }

    #[test]
    fn stopped_spend_uses_the_sessions_own_rate() {
        // 10 minutes at $1/min, killed at minute 10, $0.5 leaked after.
        let mut events: Vec<EventRow> = (0..=10).map(|m| ev(m, "s", "a", if m == 0 { 0.0 } else { 1.0 }, false)).collect();
        events.push(ev(11, "s", "a", 0.5, true));
        events.push(ev(3, "t", "b", 2.0, false));
        let kills = vec![KillRow { session: "s".into(), event_ts_ms: 10 * 60_000, group: Some("a".into()) }];
        let rows = build(&events, &kills, 60.0, Order::Spend);
        let a = rows.iter().find(|r| r.group == "a").unwrap();
        assert_eq!(a.sessions_killed, 1);
        assert!((a.spend_usd - 10.5).abs() < 1e-9);
        assert!((a.spend_after_kill_usd - 0.5).abs() < 1e-9);
        assert!((a.spend_stopped_est_usd - 59.5).abs() < 1e-9);
        let total = rows.last().unwrap();
        assert_eq!((total.group.as_str(), total.sessions, total.actions), ("TOTAL", 2, 13));
    }
}
