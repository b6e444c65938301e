//! The offline commands over the archive: `runaway report` (showback /
//! chargeback) and `runaway forecast` (daily spend, trend + weekly
//! seasonality, budget run-out).
//!
//! Owns: the commands' options, their orchestration and the shared text
//! renderers. Reading is in `read`, the maths in `report` and `forecast`,
//! the SVG in `chart`.

pub mod chart;
pub mod forecast;
pub mod read;
pub mod report;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use read::{Dimension, ReadError, TimeRange};

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("invalid {what} `{value}`: {why}")]
    Arg { what: &'static str, value: String, why: &'static str },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(
        "the archive range spans {days} days ({first} to {last}), more than the {max} a forecast reads (a timestamp in the wrong unit?); narrow it with --from and --to"
    )]
    SpanTooLong { days: i64, first: String, last: String, max: i64 },
}

/// Output format of the offline commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, OfflineError> {
        match s {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(OfflineError::Arg { what: "format", value: s.to_string(), why: "expected table, csv or json" }),
        }
    }
}

/// `v` rounded to `1 / scale`; `-0.0` (a rounded tiny negative) as `0.0`.
fn rounded(v: f64, scale: f64) -> f64 {
    if v.is_finite() {
        (v * scale).round() / scale + 0.0
    } else {
        v
    }
}

/// An amount of money in JSON, to the micro-dollar (the unit budgets are
/// compared in): a sum of many float costs otherwise prints its rounding
/// noise (`132.01869600000012`).
pub(crate) fn usd<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(rounded(*v, 1e6))
}

/// An optional amount of money in JSON, as [`usd`]; `null` for none.
pub(crate) fn usd_opt<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&rounded(*v, 1e6)),
        None => s.serialize_none(),
    }
}

/// A cost per unit (action, session) in JSON, to the nano-dollar: one
/// cheap call costs less than a micro-dollar.
pub(crate) fn unit_usd<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(rounded(*v, 1e9))
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Left-aligned first column, right-aligned numbers.
pub(crate) fn table<const N: usize>(headers: &[String; N], rows: &[[String; N]]) -> String {
    let mut widths: [usize; N] = std::array::from_fn(|i| headers[i].chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String; N]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                s += &format!("{c:<w$}");
            } else {
                s += &format!("  {c:>w$}");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers);
    for r in rows {
        out += &line(r);
    }
    out
}

/// Longest `--stop-horizon-minutes`: a week. The estimate imagines a
/// killed session going on for that long, and `report` reads that far
/// beyond its range for it; a longer run of one session is no longer an
/// estimate of anything (1e9 minutes once read as two thousand years).
pub const MAX_STOP_HORIZON_MINUTES: f64 = 10_080.0;

/// Options of `runaway report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub archive: PathBuf,
    pub by: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: String,
    /// Minutes a killed session is assumed to have gone on spending.
    pub stop_horizon_minutes: f64,
}

/// What an offline command prints: `stdout` for the chosen format, and
/// `notes` and `warnings` for a human, which the binary writes to stderr
/// (warnings in every format: they say the figures leave something out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    pub stdout: String,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

/// The note on a range without events: an archive `watch` created but
/// never wrote an event to says so, rather than looking like a quiet range.
fn no_events_note(archive: &std::path::Path) -> String {
    if read::has_events(archive) {
        return "no events in the archive range".to_string();
    }
    let note = format!("no events archived in {} yet", archive.display());
    match archive_nearby(archive) {
        Some(found) => format!("{note}; {} holds an archive: --archive {}", found.display(), found.display()),
        None => note,
    }
}

/// An archive one level away from a folder that holds none: its parent
/// when the folder is an archive's `events/` or `signals/`, or a folder in
/// it (`--archive out` for `out/archive`). A newcomer pointing one level
/// off saw zeros and exit 0, with nothing to say why.
fn archive_nearby(dir: &std::path::Path) -> Option<PathBuf> {
    let parent = dir.parent().filter(|_| dir.file_name().is_some_and(|n| n == "events" || n == "signals"));
    if let Some(p) = parent.filter(|p| read::has_events(p)) {
        return Some(p.to_path_buf());
    }
    let mut inside: Vec<PathBuf> =
        std::fs::read_dir(dir).ok()?.take(256).filter_map(|e| e.ok().map(|e| e.path())).filter(|p| read::has_events(p)).collect();
    inside.sort();
    inside.into_iter().next()
}

/// Runs `runaway report`, returning the rendered output and the notes for
/// stderr.
pub fn run_report(o: &ReportOptions) -> Result<Output, OfflineError> {
    let dim = Dimension::parse(&o.by)?;
    let format = Format::parse(&o.format)?;
    if !(0.0..=MAX_STOP_HORIZON_MINUTES).contains(&o.stop_horizon_minutes) {
        return Err(OfflineError::Arg {
            what: "--stop-horizon-minutes",
            value: o.stop_horizon_minutes.to_string(),
            why: "must be 0 to 10080 minutes (a week)",
        });
    }
    let range = TimeRange::parse(o.from.as_deref(), o.to.as_deref())?;
    let margin_ms = (o.stop_horizon_minutes * 60_000.0).ceil() as i64;
    let data = read::read_report(&o.archive, &dim, &range, margin_ms)?;
    tracing::info!(events = data.events.len(), kills = data.kills.len(), by = %o.by, "report: archive read");
    // Days read in their order; anything else by what it spent.
    let order = if dim == Dimension::Day { report::Order::Group } else { report::Order::Spend };
    let rows = report::build(&data.events, &data.kills, o.stop_horizon_minutes, order);
    let mut notes = if data.events.iter().all(|e| !e.in_range) { vec![no_events_note(&o.archive)] } else { Vec::new() };
    let mut stdout = report::render(&rows, &o.by, format);
    let mut about_rows: Vec<String> =
        rows.last().and_then(|total| report::fallback_note(total, &data.fallback_models)).into_iter().collect();
    let untriggered = data.kills.iter().filter(|k| k.group.is_none()).count();
    if untriggered > 0 {
        about_rows
            .push(format!("{untriggered} kill(s) in range whose trigger event is not in the archive are counted under {}", read::NO_GROUP));
    }
    for n in about_rows {
        // Under the table, where it is read; beside CSV and JSON, so what a
        // machine reads stays data.
        if format == Format::Table {
            stdout += &format!("note: {n}\n");
        } else {
            notes.push(n);
        }
    }
    Ok(Output { stdout, notes, warnings: Vec::new() })
}

/// Options of `runaway forecast`.
#[derive(Debug, Clone)]
pub struct ForecastOptions {
    pub archive: PathBuf,
    pub by: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `30d` or `30`.
    pub horizon: String,
    /// `GROUP=USD`: spend allowed over the horizon.
    pub budgets: Vec<String>,
    pub format: String,
    pub chart: Option<PathBuf>,
    /// Central coverage of the prediction interval (0.9 = 90 %).
    pub coverage: f64,
    /// Leave out spend after a kill (a replay's archive holds what no hook
    /// stopped).
    pub without_after_kill: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DaySpend {
    pub date: String,
    #[serde(serialize_with = "usd")]
    pub spend_usd: f64,
    /// The range ends inside this day: it is shown, not fitted. Written
    /// only when true, so complete days read as they always did.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayForecast {
    pub date: String,
    #[serde(serialize_with = "usd")]
    pub mean: f64,
    #[serde(serialize_with = "usd")]
    pub lo: f64,
    #[serde(serialize_with = "usd")]
    pub hi: f64,
}

/// One group's forecast.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastRow {
    pub group: String,
    /// Complete days the fit saw (a partial last day is not one of them).
    pub days: usize,
    pub model: forecast::ModelKind,
    pub params: Option<forecast::Params>,
    #[serde(serialize_with = "usd")]
    pub last_7d_usd: f64,
    pub horizon_days: usize,
    /// The horizon's total and its interval; `None` (null) for a series
    /// too short to forecast.
    #[serde(serialize_with = "usd_opt")]
    pub forecast_usd: Option<f64>,
    #[serde(serialize_with = "usd_opt")]
    pub forecast_lo_usd: Option<f64>,
    #[serde(serialize_with = "usd_opt")]
    pub forecast_hi_usd: Option<f64>,
    pub mape_pct: Option<f64>,
    #[serde(serialize_with = "usd_opt")]
    pub budget_usd: Option<f64>,
    /// Day cumulative forecast spend reaches the budget (point forecast).
    pub runs_out: Option<String>,
    /// Earliest plausible run-out (upper bound of the interval).
    pub runs_out_earliest: Option<String>,
    #[serde(skip)]
    pub runs_out_day: Option<usize>,
    pub note: Option<String>,
    /// The partial last day left out of the fit, which is then the first
    /// forecast day.
    pub partial_day: Option<String>,
    pub history: Vec<DaySpend>,
    pub daily: Vec<DayForecast>,
}

impl ForecastRow {
    fn model_label(&self) -> String {
        match self.model {
            forecast::ModelKind::HoltWintersDamped => "holt-winters damped, weekly".to_string(),
            forecast::ModelKind::TrendOnly => "trend only".to_string(),
            forecast::ModelKind::TooShort => "too short".to_string(),
        }
    }
}

fn parse_horizon(s: &str) -> Result<usize, OfflineError> {
    let t = s.trim();
    let digits = t.strip_suffix('d').unwrap_or(t);
    match digits.parse::<usize>() {
        Ok(n) if (1..=366).contains(&n) => Ok(n),
        _ => Err(OfflineError::Arg { what: "horizon", value: s.to_string(), why: "expected days, e.g. 30d (1..=366)" }),
    }
}

fn parse_budgets(items: &[String]) -> Result<BTreeMap<String, f64>, OfflineError> {
    let mut out = BTreeMap::new();
    for item in items {
        let bad = || OfflineError::Arg { what: "budget", value: item.clone(), why: "expected GROUP=USD with USD > 0" };
        let (g, v) = item.rsplit_once('=').ok_or_else(bad)?;
        let usd: f64 = v.trim().trim_start_matches('$').parse().map_err(|_| bad())?;
        if !(usd > 0.0 && usd.is_finite()) {
            return Err(bad());
        }
        // Keeping the last of two was silently dropping the first.
        if out.insert(g.trim().to_string(), usd).is_some() {
            return Err(OfflineError::Arg {
                what: "budget",
                value: item.clone(),
                why: "a second budget for the same group (one --budget per group)",
            });
        }
    }
    Ok(out)
}

fn date_of_day(day: i64) -> String {
    crate::event::format_rfc3339_ms(day * 86_400_000).get(..10).unwrap_or_default().to_string()
}

/// Group → (first day index, daily spend from that day on).
pub type DailySeries = BTreeMap<Arc<str>, (i64, Vec<f64>)>;

/// Daily spend per group, each from its first day to the last day seen
/// in the whole archive range (days without spend count as zero).
pub fn daily_series(events: &[read::EventRow]) -> (DailySeries, Option<i64>) {
    let mut per_day: BTreeMap<Arc<str>, BTreeMap<i64, f64>> = BTreeMap::new();
    let mut last_day: Option<i64> = None;
    for e in events {
        let day = e.ts_ms.div_euclid(86_400_000);
        *per_day.entry(e.group.clone()).or_default().entry(day).or_default() += e.cost_usd;
        last_day = Some(last_day.map_or(day, |d| d.max(day)));
    }
    let mut out = BTreeMap::new();
    if let Some(last) = last_day {
        for (g, days) in per_day {
            let Some((&first, _)) = days.first_key_value() else { continue };
            let series = (first..=last).map(|d| days.get(&d).copied().unwrap_or(0.0)).collect();
            out.insert(g, (first, series));
        }
    }
    (out, last_day)
}

/// The widest prediction interval offered: beyond it the normal quantile
/// runs off to infinity and the label would round to 100 %.
pub const MAX_COVERAGE: f64 = 0.999;

/// A coverage as a percentage label: `90`, `95`, `99.5`, `99.9`.
fn percent_label(coverage: f64) -> String {
    let pct = format!("{:.1}", coverage * 100.0);
    pct.strip_suffix(".0").map(str::to_string).unwrap_or(pct)
}

/// Whether the range's last day, `last_day`, is partial: the range ends
/// inside it rather than at its end. `end_ms` is the range's exclusive end:
/// `--to`, or without it just after the latest event, so without `--to` the
/// latest event's day counts as partial (unless that event is at its last
/// millisecond). Spend never says whether a day is over: a quiet evening in
/// a finished archive looks like the morning of a live one, and counting a
/// live morning as a whole day pulls every fit down. `--to` on the next
/// midnight declares the day complete.
pub fn last_day_is_partial(last_day: i64, end_ms: i64) -> bool {
    end_ms < (last_day + 1) * 86_400_000
}

/// Builds every group's forecast. `to_ms` is the range's `--to`; a partial
/// last day (see [`last_day_is_partial`]) is left out of every fit and
/// becomes the first forecast day: what it has spent plus the fit's
/// forecast for the share of the day after the range's end.
pub fn build_forecast(
    events: &[read::EventRow],
    horizon: usize,
    budgets: &BTreeMap<String, f64>,
    coverage: f64,
    to_ms: Option<i64>,
) -> Vec<ForecastRow> {
    let (series, last_day) = daily_series(events);
    let Some(last_day) = last_day else { return Vec::new() };
    let end_ms = to_ms.or_else(|| events.iter().map(|e| e.ts_ms).max().map(|t| t + 1)).unwrap_or(i64::MAX);
    let partial = last_day_is_partial(last_day, end_ms);
    let first_forecast_day = if partial { last_day } else { last_day + 1 };
    // Share of the partial day after the range's end: still to be spent.
    let rest_of_day = ((last_day + 1) * 86_400_000 - end_ms) as f64 / 86_400_000.0;
    let mut rows = Vec::new();
    for (group, (first_day, all)) in series {
        // Every series runs to `last_day`, so a partial day is each one's last.
        let y = if partial { &all[..all.len() - 1] } else { &all[..] };
        let fit = forecast::fit(y);
        let fc = if fit.kind == forecast::ModelKind::TooShort {
            None
        } else if partial {
            // The fit forecasts whole days; the partial one has spent part of its own.
            let spent = all.last().copied().unwrap_or(0.0);
            Some(fit.forecast(horizon, coverage).with_partial_first_day(spent, rest_of_day))
        } else {
            Some(fit.forecast(horizon, coverage))
        };
        let points = fc.as_ref().map_or(&[][..], |f| &f.daily[..]);
        let mape = forecast::backtest_mape(y, forecast::holdout_days(y.len()));
        let budget = budgets.get(&*group).copied();
        let runs_out_day = budget.and_then(|b| forecast::runs_out(points, b, |p| p.mean));
        let runs_out_earliest = budget.and_then(|b| forecast::runs_out(points, b, |p| p.hi));
        let note = match fit.kind {
            forecast::ModelKind::TooShort => Some(format!(
                "series too short to forecast: {} day(s) of data, need at least {} (a weekly pattern needs {})",
                y.len(),
                forecast::MIN_TREND_DAYS,
                forecast::MIN_SEASONAL_DAYS
            )),
            forecast::ModelKind::TrendOnly => {
                Some(format!("{} day(s) of data < {}: no weekly seasonality, trend-only fallback", y.len(), forecast::MIN_SEASONAL_DAYS))
            }
            forecast::ModelKind::HoltWintersDamped => None,
        };
        let history = all
            .iter()
            .enumerate()
            .map(|(i, v)| DaySpend { date: date_of_day(first_day + i as i64), spend_usd: *v, partial: partial && i + 1 == all.len() })
            .collect();
        let daily: Vec<DayForecast> = points
            .iter()
            .enumerate()
            .map(|(h, p)| DayForecast { date: date_of_day(first_forecast_day + h as i64), mean: p.mean, lo: p.lo, hi: p.hi })
            .collect();
        let total = fc.as_ref().map(|f| f.total);
        rows.push(ForecastRow {
            group: group.to_string(),
            days: y.len(),
            model: fit.kind,
            params: (fit.kind != forecast::ModelKind::TooShort).then_some(fit.params),
            // A fold from +0.0: an empty f64 `sum()` is -0.0, printed as "-0.0".
            last_7d_usd: y.iter().rev().take(7).fold(0.0, |sum, v| sum + v),
            horizon_days: horizon,
            forecast_usd: total.map(|t| t.mean),
            // The interval of the total, not the summed daily bounds.
            forecast_lo_usd: total.map(|t| t.lo),
            forecast_hi_usd: total.map(|t| t.hi),
            mape_pct: mape,
            budget_usd: budget,
            runs_out: runs_out_day.map(|d| daily[d].date.clone()),
            runs_out_earliest: runs_out_earliest.map(|d| daily[d].date.clone()),
            runs_out_day,
            note,
            partial_day: partial.then(|| date_of_day(last_day)),
            history,
            daily,
        });
    }
    rows.sort_by(|a, b| b.last_7d_usd.total_cmp(&a.last_7d_usd).then_with(|| a.group.cmp(&b.group)));
    rows
}

/// The note on a partial last day, naming the way to count it as complete.
fn partial_note(day: &str, to_ms: Option<i64>) -> String {
    let why = match to_ms {
        Some(to) => format!("the range ends at {}", crate::event::format_rfc3339_ms(to)),
        None => "the archive's latest event is on it; --to the next midnight counts it as complete".to_string(),
    };
    format!("{day} is a partial day ({why}): left out of the fits; the forecast starts on it, as what it has spent plus the forecast for the rest of it")
}

/// Renders the rows; `notes` (about the whole range) only reach the table.
fn render_forecast(rows: &[ForecastRow], by: &str, format: Format, coverage: f64, notes: &[String]) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(rows).unwrap_or_default() + "\n",
        Format::Csv => {
            let mut out = format!("{by},date,kind,spend_usd,lo_usd,hi_usd\n");
            for r in rows {
                let g = csv_field(&r.group);
                for d in &r.history {
                    let kind = if d.partial { "partial" } else { "history" };
                    out += &format!("{g},{},{kind},{:.6},,\n", d.date, d.spend_usd);
                }
                for d in &r.daily {
                    out += &format!("{g},{},forecast,{:.6},{:.6},{:.6}\n", d.date, d.mean, d.lo, d.hi);
                }
            }
            out
        }
        Format::Table => {
            let horizon = rows.first().map_or(0, |r| r.horizon_days);
            let headers = [
                by.to_string(),
                "days".into(),
                // Not `model`: that is also a dimension, and `--by model`
                // would print two columns of that name.
                "fit".into(),
                "last_7d_usd".into(),
                format!("next_{horizon}d_usd"),
                format!("{}%_interval", percent_label(coverage)),
                "backtest_mape".into(),
                "budget_usd".into(),
                "runs_out".into(),
            ];
            let body: Vec<[String; 9]> = rows
                .iter()
                .map(|r| {
                    let too_short = r.model == forecast::ModelKind::TooShort;
                    let usd = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
                    [
                        r.group.clone(),
                        r.days.to_string(),
                        r.model_label(),
                        format!("{:.2}", r.last_7d_usd),
                        usd(r.forecast_usd),
                        match (r.forecast_lo_usd, r.forecast_hi_usd) {
                            (Some(lo), Some(hi)) => format!("{lo:.2}..{hi:.2}"),
                            _ => "-".into(),
                        },
                        r.mape_pct.map_or("n/a".into(), |m| format!("{m:.1}%")),
                        r.budget_usd.map_or("-".into(), |b| format!("{b:.2}")),
                        match (&r.budget_usd, &r.runs_out, &r.runs_out_earliest) {
                            (None, _, _) => "-".into(),
                            (Some(_), _, _) if too_short => "n/a".into(),
                            (Some(_), Some(d), Some(e)) if d != e => format!("{d} (earliest {e})"),
                            (Some(_), Some(d), _) => d.clone(),
                            (Some(_), None, Some(e)) => format!("after horizon (earliest {e})"),
                            (Some(_), None, None) => "after horizon".into(),
                        },
                    ]
                })
                .collect();
            if rows.is_empty() {
                return notes.iter().map(|n| format!("{n}\n")).collect();
            }
            let mut out = table(&headers, &body);
            for n in notes {
                out += &format!("note: {n}\n");
            }
            for r in rows {
                if let Some(n) = &r.note {
                    out += &format!("note: {}: {n}\n", r.group);
                }
            }
            out
        }
    }
}

/// Largest share of the range's events that trailing events may hold to be
/// taken for wrong clocks (see [`split_stray_tail`]).
pub const STRAY_MAX_SHARE: f64 = 0.001;

/// Trailing events left out of a forecast as wrong clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct StrayTail {
    pub events: usize,
    pub spend_usd: f64,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Whole days without any event between the history and them.
    pub quiet_days: i64,
}

impl StrayTail {
    fn warning(&self) -> String {
        let day = |ms: i64| date_of_day(ms.div_euclid(86_400_000));
        let dates = if day(self.first_ms) == day(self.last_ms) {
            day(self.first_ms)
        } else {
            format!("{} to {}", day(self.first_ms), day(self.last_ms))
        };
        let include = date_of_day(self.last_ms.div_euclid(86_400_000) + 1);
        format!(
            "left out of the forecast: {} event(s) (${:.4}) dated {dates}, after {} day(s) without any event: at most {} % of the range's events, taken for wrong clocks; the history ends on {} (`--to {include}` includes them)",
            self.events,
            self.spend_usd,
            self.quiet_days,
            STRAY_MAX_SHARE * 100.0,
            date_of_day(self.first_ms.div_euclid(86_400_000) - self.quiet_days - 1),
        )
    }
}

/// Finds where the history really ends when no `--to` says so, and takes
/// the events after it out of `events`. A daily series runs every group to
/// the range's last day, so one event with a clock two months ahead made
/// every group's last weeks zeros and every forecast about $0. Trailing
/// events are stray when a whole UTC day or more without any event lies
/// between them and the rest, and they are at most [`STRAY_MAX_SHARE`] of
/// the events (so never in a range of fewer than a thousand events: a share
/// of so few says nothing). The earliest such cut is taken: several wrong
/// clocks go together.
pub fn split_stray_tail(events: &mut Vec<read::EventRow>) -> Option<StrayTail> {
    let max_tail = (events.len() as f64 * STRAY_MAX_SHARE).floor() as usize;
    if max_tail == 0 {
        return None;
    }
    let mut per_day: BTreeMap<i64, usize> = BTreeMap::new();
    for e in events.iter() {
        *per_day.entry(e.ts_ms.div_euclid(86_400_000)).or_default() += 1;
    }
    // (first day of the tail, quiet days before it)
    let mut cut: Option<(i64, i64)> = None;
    let mut tail = 0;
    let mut later: Option<i64> = None;
    for (&day, &n) in per_day.iter().rev() {
        if let Some(l) = later {
            if l - day >= 2 {
                cut = Some((l, l - day - 1));
            }
        }
        tail += n;
        if tail > max_tail {
            break;
        }
        later = Some(day);
    }
    let (first_day, quiet_days) = cut?;
    let start = first_day * 86_400_000;
    let (stray, kept): (Vec<read::EventRow>, Vec<read::EventRow>) = events.drain(..).partition(|e| e.ts_ms >= start);
    *events = kept;
    Some(StrayTail {
        events: stray.len(),
        spend_usd: stray.iter().fold(0.0, |s, e| s + e.cost_usd),
        first_ms: stray.iter().map(|e| e.ts_ms).min().unwrap_or(start),
        last_ms: stray.iter().map(|e| e.ts_ms).max().unwrap_or(start),
        quiet_days,
    })
}

/// Longest daily series a forecast builds: ten years. A daily series is
/// dense (days without spend count as zero), so one event stamped decades
/// away (epoch seconds read as milliseconds land in January 1970) would
/// otherwise mean millions of days of zeros to hold and fit.
const MAX_SERIES_DAYS: i64 = 3_660;

fn check_span(events: &[read::EventRow]) -> Result<(), OfflineError> {
    let days = events.iter().map(|e| e.ts_ms.div_euclid(86_400_000));
    let (Some(first), Some(last)) = (days.clone().min(), days.max()) else { return Ok(()) };
    let span = last - first + 1;
    if span > MAX_SERIES_DAYS {
        return Err(OfflineError::SpanTooLong { days: span, first: date_of_day(first), last: date_of_day(last), max: MAX_SERIES_DAYS });
    }
    Ok(())
}

/// Runs `runaway forecast`, returning the rendered output and the notes
/// for stderr (and writing the chart when asked). The table carries its
/// notes itself; CSV and JSON keep them out of the data, so what a machine
/// reads parses whatever the archive held.
pub fn run_forecast(o: &ForecastOptions) -> Result<Output, OfflineError> {
    let dim = Dimension::parse(&o.by)?;
    if dim == Dimension::Day {
        return Err(OfflineError::Arg {
            what: "--by",
            value: o.by.clone(),
            why: "a forecast follows each group over days; by day every group is one day",
        });
    }
    let format = Format::parse(&o.format)?;
    let horizon = parse_horizon(&o.horizon)?;
    let budgets = parse_budgets(&o.budgets)?;
    if !(o.coverage > 0.0 && o.coverage <= MAX_COVERAGE) {
        return Err(OfflineError::Arg {
            what: "interval coverage",
            value: o.coverage.to_string(),
            why: "must be above 0 and at most 0.999",
        });
    }
    let range = TimeRange::parse(o.from.as_deref(), o.to.as_deref())?;
    let mut events = read::read_events(&o.archive, &dim, &range)?;
    if o.without_after_kill {
        events.retain(|e| !e.after_kill);
    }
    let mut warnings = Vec::new();
    // A given `--to` is where the user says history ends: nothing before it is stray.
    if range.to_ms.is_none() {
        if let Some(stray) = split_stray_tail(&mut events) {
            warnings.push(stray.warning());
        }
    }
    check_span(&events)?;
    let rows = build_forecast(&events, horizon, &budgets, o.coverage, range.to_ms);
    for g in budgets.keys() {
        if !rows.iter().any(|r| &r.group == g) {
            tracing::warn!(group = %g, "budget given for a group with no spend in the archive range");
        }
    }
    if let Some(path) = &o.chart {
        std::fs::write(path, chart::render_svg(&rows))
            .map_err(|source| OfflineError::Write { path: path.display().to_string(), source })?;
    }
    let mut notes = Vec::new();
    if rows.is_empty() {
        notes.push(format!("{}: nothing to forecast", no_events_note(&o.archive)));
    }
    if let Some(day) = rows.first().and_then(|r| r.partial_day.as_deref()) {
        notes.push(partial_note(day, range.to_ms));
    }
    let stdout = render_forecast(&rows, &o.by, format, o.coverage, &notes);
    if format == Format::Table {
        notes.clear(); // printed in the table's text
    }
    Ok(Output { stdout, notes, warnings })
}
