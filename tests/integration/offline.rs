//! The offline commands over a real archive: `runaway report` against the
//! engine's own figures, `runaway forecast` against synthetic series with a
//! known trend and weekly seasonality, its prediction intervals against
//! what followed (`tests/data/forecast_intervals.json`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use rand::{Rng, SeedableRng};
use runaway::offline::forecast;
use serde_json::Value;

use super::archive::{bin, data, watch};

fn run(args: &[&str]) -> String {
    let o = Command::new(bin()).args(args).output().expect("run runaway");
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// One expected report line: group, spend, actions, sessions, sessions
/// killed, actions after a kill.
type Line = (&'static str, f64, u64, u64, u64, u64);

fn check(archive: &Path, by: &str, expected: &[Line]) {
    let json: Value =
        serde_json::from_str(&run(&["report", "--archive", archive.to_str().unwrap(), "--by", by, "--format", "json"])).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), expected.len(), "{by}: {json:#}");
    for (i, (row, (group, spend, actions, sessions, killed, after))) in rows.iter().zip(expected).enumerate() {
        assert_eq!(row["group"], *group, "{by}: order by spend (by day: by date), TOTAL last");
        assert_eq!(row["total"], i + 1 == expected.len(), "{by}/{group}: only the last row is the total");
        assert!((row["spend_usd"].as_f64().unwrap() - spend).abs() < 1e-3, "{by}/{group}: {row}");
        assert_eq!(row["actions"], *actions, "{by}/{group}");
        assert_eq!(row["sessions"], *sessions, "{by}/{group}");
        assert_eq!(row["sessions_killed"], *killed, "{by}/{group}");
        assert_eq!(row["actions_after_kill"], *after, "{by}/{group}");
    }
    // The other renderings carry the same rows.
    let csv = run(&["report", "--archive", archive.to_str().unwrap(), "--by", by, "--format", "csv"]);
    assert_eq!(csv.lines().count(), expected.len() + 1, "{csv}");
    assert!(csv.starts_with(&format!("{by},spend_usd,")), "{csv}");
    let table = run(&["report", "--archive", archive.to_str().unwrap(), "--by", by]);
    // The last row, above the notes (fallback-priced spend).
    assert!(table.lines().rfind(|l| !l.starts_with("note: ")).unwrap().starts_with("TOTAL"), "{table}");
}

#[test]
fn report_matches_the_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    // s-budget ($40 reported, killed at its 3rd event, 1 event after) is
    // team ops / agent writer; s-loop (7 × $0.01, killed at its 5th, 2 after)
    // is team search / agent scraper.
    check(&archive, "team", &[("ops", 40.0123, 9, 5, 1, 1), ("search", 0.0722, 15, 5, 1, 2), ("TOTAL", 40.0845, 24, 6, 2, 3)]);
    check(
        &archive,
        "agent",
        &[("writer", 40.0, 4, 1, 1, 1), ("scraper", 0.07, 7, 1, 1, 2), ("planner", 0.0145, 13, 4, 0, 0), ("TOTAL", 40.0845, 24, 6, 2, 3)],
    );
    // Time filter: only the 24th.
    let json: Value = serde_json::from_str(&run(&[
        "report",
        "--archive",
        archive.to_str().unwrap(),
        "--by",
        "team",
        "--from",
        "2026-11-24",
        "--to",
        "2026-11-25",
        "--format",
        "json",
    ]))
    .unwrap();
    let total = json.as_array().unwrap().last().unwrap().clone();
    assert_eq!(total["actions"], 10, "{json:#}");
}

/// The contract's chargeback dimensions, the UTC day and any label key.
#[test]
fn report_groups_by_feature_day_and_label() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let total = ("TOTAL", 40.0845, 24, 6, 2, 3);
    // Only s-budget names a feature.
    check(&archive, "feature", &[("summaries", 40.0, 4, 1, 1, 1), ("(none)", 0.0845, 20, 5, 1, 2), total]);
    // s-loop's kill is on the 23rd, s-budget's on the 24th; days in their order.
    check(&archive, "day", &[("2026-11-23", 0.0829, 14, 5, 1, 2), ("2026-11-24", 40.0017, 10, 5, 1, 1), total]);
    // The killed sessions carry no labels.
    check(&archive, "label:region", &[("(none)", 40.0812, 12, 3, 2, 3), ("eu", 0.0033, 12, 4, 0, 0), total]);
    check(&archive, "label:absent", &[("(none)", 40.0845, 24, 6, 2, 3), total]);
    let o = Command::new(bin()).args(["report", "--archive", archive.to_str().unwrap(), "--by", "label:"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("feature, env, model, day or label:KEY"), "{}", String::from_utf8_lossy(&o.stderr));
    // A forecast of one-day groups is no forecast.
    let o = Command::new(bin()).args(["forecast", "--archive", archive.to_str().unwrap(), "--by", "day"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `forecast --by model`: the group column is `model`, the fitted
/// model's column is `fit`, so no header is there twice.
#[test]
fn forecast_by_model_names_each_column_once() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let (code, table, stderr) = outcome(&["forecast", "--archive", archive.to_str().unwrap(), "--by", "model"]);
    assert_eq!(code, Some(0), "{stderr}");
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header[..3], ["model", "days", "fit"], "{table}");
    assert_eq!(header.iter().filter(|h| **h == "model").count(), 1, "{table}");
}

/// Exit code and message of a command, its stdout.
fn outcome(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(bin()).args(args).output().expect("run runaway");
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `--from` at or after `--to` selects nothing by construction: a usage
/// error, not a page of zeros.
#[test]
fn an_inverted_range_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    for cmd in ["report", "forecast"] {
        for (from, to) in [("2026-11-25", "2026-11-23"), ("2026-11-24", "2026-11-24"), ("2026-11-24T12:00:00Z", "2026-11-24")] {
            let (code, stdout, stderr) = outcome(&[cmd, "--archive", archive.to_str().unwrap(), "--from", from, "--to", to]);
            assert_eq!(code, Some(2), "{cmd} {from}..{to}: {stderr}");
            assert!(stdout.is_empty(), "{stdout}");
            assert!(stderr.contains(&format!("--from {from} is not before --to {to}")), "{stderr}");
        }
    }
}

/// `--archive` one level off (the folder holding `archive/`, or the
/// archive's `events/`) read as an empty archive, zeros and exit 0 with
/// nothing to say why; the note now names the archive nearby.
#[test]
fn an_archive_one_level_off_is_named_in_the_note() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.ndjson");
    watch(&sample, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let hint = format!("holds an archive: --archive {}", archive.display());
    for off in [tmp.path().to_path_buf(), archive.join("events")] {
        let off = off.to_str().unwrap();
        for cmd in ["report", "forecast"] {
            let (code, _, stderr) = outcome(&[cmd, "--archive", off, "--format", "json"]);
            assert_eq!(code, Some(0), "{stderr}");
            assert!(stderr.contains(&hint), "{cmd} --archive {off}: {stderr}");
        }
    }
    let (_, _, stderr) = outcome(&["report", "--archive", archive.to_str().unwrap(), "--format", "json"]);
    assert!(!stderr.contains("holds an archive"), "{stderr}");
}

/// `watch` over an input without events leaves an archive directory with
/// nothing in it yet: that reads as empty (exit 0, the empty shapes, a
/// note), while a path that does not exist is a usage error.
#[test]
fn an_archive_without_events_reads_as_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("empty.ndjson");
    std::fs::write(&input, "").unwrap();
    watch(&input, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    assert!(archive.is_dir());
    let a = archive.to_str().unwrap();
    let note = format!("note: no events archived in {a} yet");
    let cases: [(&[&str], &str); 5] = [
        (&["report", "--archive", a, "--format", "json"], "TOTAL"),
        (&["report", "--archive", a, "--format", "csv"], "TOTAL,0.0000,0,0,"),
        (&["forecast", "--archive", a, "--format", "json"], "[]\n"),
        (&["forecast", "--archive", a, "--format", "csv"], "team,date,kind,spend_usd,lo_usd,hi_usd\n"),
        (&["forecast", "--archive", a], "nothing to forecast"),
    ];
    for (args, expect) in cases {
        let (code, stdout, stderr) = outcome(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stdout.contains(expect), "{args:?}: {stdout}");
        if args.contains(&"--format") {
            assert!(stderr.contains(&note), "{args:?}: {stderr}");
        }
    }
    let missing = tmp.path().join("no-such-dir");
    for cmd in ["report", "forecast"] {
        let (code, _, stderr) = outcome(&[cmd, "--archive", missing.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("no such directory"), "{stderr}");
        let (code, _, stderr) = outcome(&[cmd, "--archive", input.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("not a directory"), "{stderr}");
    }
}

/// True daily spend of the synthetic group: trend plus a weekly pattern.
fn truth(day: usize) -> f64 {
    const WEEK: [f64; 7] = [10.0, 14.0, 16.0, 15.0, 12.0, 4.0, 2.0];
    50.0 + 0.8 * day as f64 + WEEK[day % 7]
}

/// Midnight UTC starting day `day` of the synthetic series.
const DAY0_MS: i64 = 1_790_000_000_000 / 86_400_000 * 86_400_000;

/// `YYYY-MM-DD` of day `day` of the synthetic series.
fn date(day: usize) -> String {
    runaway::event::format_rfc3339_ms(DAY0_MS + day as i64 * 86_400_000)[..10].to_string()
}

/// Writes `days` days of the synthetic groups: `steady` follows `truth`
/// with ±3 % deterministic noise, `newbie` has 5 days, `tiny` 2.
fn synthetic(path: &Path, days: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut n = 0;
    let mut line = |team: &str, day: usize, cost: f64| {
        // Four events per day, each its own session (under the session budget).
        for k in 0..4 {
            n += 1;
            let ts = DAY0_MS + day as i64 * 86_400_000 + (k as i64 + 1) * 3_600_000;
            writeln!(
                w,
                r#"{{"event_id":"f-{n}","ts":{ts},"session_id":"{team}-{day}-{k}","agent_id":"a","team":"{team}","kind":"tool","tool":"t{k}","cost_usd":{}}}"#,
                cost / 4.0
            )
            .unwrap();
        }
    };
    for d in 0..days {
        let noise = 1.0 + 0.03 * ((d * 7919 % 13) as f64 / 6.0 - 1.0);
        line("steady", d, truth(d) * noise);
        if d + 5 >= days {
            line("newbie", d, 20.0);
        }
        if d + 2 >= days {
            line("tiny", d, 5.0);
        }
    }
}

#[test]
fn forecast_follows_trend_and_weekly_season() {
    let tmp = tempfile::tempdir().unwrap();
    let days = 70;
    let input = tmp.path().join("synthetic.ndjson");
    synthetic(&input, days);
    watch(&input, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let horizon = 14;
    let budget: f64 = (days..days + 10).map(truth).sum();
    let chart = tmp.path().join("f.svg");
    // The data ends at 04:00 of its last day: `--to` the next midnight says
    // that day is over (else it would be a partial day, left out of the fit).
    let to = date(days);
    let out = run(&[
        "forecast",
        "--archive",
        archive.to_str().unwrap(),
        "--by",
        "team",
        "--to",
        &to,
        "--horizon",
        "14d",
        "--budget",
        &format!("steady={budget}"),
        "--format",
        "json",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let steady = rows.iter().find(|r| r["group"] == "steady").unwrap();
    assert_eq!(steady["model"], "holt_winters_damped");
    assert_eq!(steady["days"], days);
    let daily = steady["daily"].as_array().unwrap();
    assert_eq!(daily.len(), horizon);
    // Stated bound: mean absolute percentage error against the noise-free
    // truth under 6 % over two weeks, and the truth inside the interval on
    // at least 12 of 14 days.
    let mut ape = 0.0;
    let mut inside = 0;
    for (h, d) in daily.iter().enumerate() {
        let t = truth(days + h);
        ape += (d["mean"].as_f64().unwrap() - t).abs() / t;
        inside += (d["lo"].as_f64().unwrap() <= t && t <= d["hi"].as_f64().unwrap()) as usize;
    }
    let mape = 100.0 * ape / horizon as f64;
    assert!(mape < 6.0, "forecast MAPE {mape:.2}% ≥ 6%: {steady:#}");
    assert!(inside >= 12, "truth inside the interval on {inside}/14 days");
    assert!(steady["mape_pct"].as_f64().unwrap() < 10.0, "backtest MAPE: {}", steady["mape_pct"]);
    // The budget is the truth's first ten days: it runs out on day 10 ± 1.
    let runs_out = steady["runs_out"].as_str().unwrap();
    let candidates: Vec<&str> = daily[8..=10].iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert!(candidates.contains(&runs_out), "runs out {runs_out}, expected one of {candidates:?}");
    // Short series: a clear note instead of a crash.
    let newbie = rows.iter().find(|r| r["group"] == "newbie").unwrap();
    assert_eq!(newbie["model"], "trend_only");
    assert!(newbie["note"].as_str().unwrap().contains("trend-only"), "{newbie}");
    // Five days hold one out: no backtest error is measured from one day.
    assert_eq!(newbie["mape_pct"], Value::Null, "{newbie}");
    let tiny = rows.iter().find(|r| r["group"] == "tiny").unwrap();
    assert_eq!(tiny["model"], "too_short");
    assert!(tiny["note"].as_str().unwrap().contains("too short"), "{tiny}");
    // No forecast is no forecast, not $0.
    for key in ["forecast_usd", "forecast_lo_usd", "forecast_hi_usd", "mape_pct"] {
        assert_eq!(tiny[key], Value::Null, "{key}: {tiny}");
    }
    // Money to the micro-dollar, without float noise.
    let money = [&steady["last_7d_usd"], &steady["forecast_usd"], &steady["forecast_hi_usd"], &daily[3]["mean"], &daily[3]["lo"]];
    for v in money {
        let micros = v.as_f64().unwrap() * 1e6;
        assert!((micros - micros.round()).abs() < 1e-3 && v.to_string().split('.').nth(1).is_none_or(|d| d.len() <= 6), "{v}");
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.matches("<polyline").count() >= 3, "chart");
    // The table says the same in words.
    let table = run(&["forecast", "--archive", archive.to_str().unwrap(), "--by", "team", "--to", &to, "--horizon", "14d"]);
    assert!(table.contains("note: tiny: series too short to forecast"), "{table}");
    let newbie_line = table.lines().find(|l| l.starts_with("newbie")).unwrap();
    assert!(newbie_line.contains("n/a"), "{table}");
}

/// `--without-after-kill` forecasts as if kills had been enforced: the
/// fixture's ops session spent $10 after its kill, left out of its history.
#[test]
fn forecast_without_after_kill_leaves_out_spend_past_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let last_7d = |extra: &[&str]| {
        // The fixture's last day (the 24th, all of ops' $40) ends with the range.
        let mut args = vec!["forecast", "--archive", archive.to_str().unwrap(), "--by", "team", "--to", "2026-11-25", "--format", "json"];
        args.extend(extra);
        let text = run(&args);
        assert!(!text.contains("-0.0"), "a series too short to forecast sums no days to 0, not -0: {text}");
        let json: Value = serde_json::from_str(&text).unwrap();
        let ops = json.as_array().unwrap().iter().find(|r| r["group"] == "ops").cloned().unwrap();
        ops["last_7d_usd"].as_f64().unwrap()
    };
    assert!((last_7d(&[]) - 40.0123).abs() < 1e-3);
    assert!((last_7d(&["--without-after-kill"]) - 30.0123).abs() < 1e-3);
    // The table names the interval it shows; one too wide to compute is refused.
    let table = |interval: &str| {
        Command::new(bin())
            .args(["forecast", "--archive", archive.to_str().unwrap(), "--to", "2026-11-25", "--interval", interval])
            .output()
            .expect("run runaway")
    };
    let ok = table("0.995");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("99.5%_interval"), "{}", String::from_utf8_lossy(&ok.stdout));
    let wide = table("0.9999");
    assert_eq!(wide.status.code(), Some(2), "{}", String::from_utf8_lossy(&wide.stderr));
    assert!(String::from_utf8_lossy(&wide.stderr).contains("at most 0.999"), "{}", String::from_utf8_lossy(&wide.stderr));
}

#[test]
fn forecast_refuses_a_range_of_decades_with_the_way_out() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.ndjson");
    // One producer stamped epoch seconds: read as milliseconds, January 1970.
    std::fs::write(
        &input,
        concat!(
            r#"{"event_id":"a","ts":1790000000000,"session_id":"s1","agent_id":"a","team":"t","kind":"tool","tool":"x","cost_usd":1}"#,
            "\n",
            r#"{"event_id":"b","ts":1790000000,"session_id":"s2","agent_id":"a","team":"t","kind":"tool","tool":"x","cost_usd":1}"#,
            "\n"
        ),
    )
    .unwrap();
    watch(&input, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let forecast = |extra: &[&str]| {
        let mut args = vec!["forecast", "--archive", archive.to_str().unwrap()];
        args.extend(extra);
        Command::new(bin()).args(&args).output().expect("run runaway")
    };
    let out = forecast(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("spans 20698 days (1970-01-21 to 2026-09-21)") && stderr.contains("--from"), "{stderr}");
    // The way out it names works.
    let out = forecast(&["--from", "2026-01-01"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn forecast_cmd(archive: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["forecast", "--archive", archive.to_str().unwrap(), "--by", "team", "--horizon", "7d"];
    args.extend(extra);
    let o = Command::new(bin()).args(&args).output().expect("run runaway");
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    o
}

fn stdout_json(o: &Output) -> Vec<Value> {
    serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).unwrap()
}

/// A forecast run at 02:30 (the synthetic groups spend from 01:00 to
/// 04:00) sees part of a day: it is shown, marked partial, left out of the
/// fit, and the forecast starts on it: what it has spent plus the rest of
/// the day (21.5 of 24 hours) of the forecast a run at the midnight before
/// makes for it; the days after are that run's.
#[test]
fn forecast_leaves_a_partial_last_day_out_of_the_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("synthetic.ndjson");
    synthetic(&input, 30);
    watch(&input, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let partial_to = format!("{}T02:30:00Z", date(29));
    let at_0230 = forecast_cmd(&archive, &["--to", &partial_to, "--format", "json"]);
    let at_midnight = forecast_cmd(&archive, &["--to", &date(29), "--format", "json"]);
    let stderr = String::from_utf8_lossy(&at_0230.stderr);
    assert!(stderr.contains(&format!("note: {} is a partial day (the range ends at {}", date(29), date(29))), "{stderr}");
    assert!(String::from_utf8_lossy(&at_midnight.stderr).is_empty(), "a range ending at midnight has no partial day");
    let (rows, before) = (stdout_json(&at_0230), stdout_json(&at_midnight));
    let steady = rows.iter().find(|r| r["group"] == "steady").unwrap();
    let steady_before = before.iter().find(|r| r["group"] == "steady").unwrap();
    assert_eq!(steady["days"], 29, "{steady:#}");
    assert_eq!(steady["partial_day"], date(29));
    assert_eq!(steady_before["partial_day"], Value::Null);
    let history = steady["history"].as_array().unwrap();
    assert_eq!(history.len(), 30);
    assert_eq!(history[29]["partial"], true, "{:#}", history[29]);
    assert!(history[..29].iter().all(|d| d.get("partial").is_none()), "complete days read as they always did");
    // Two of the day's four events are in: about half of a complete day.
    let share = history[29]["spend_usd"].as_f64().unwrap() / history[28]["spend_usd"].as_f64().unwrap();
    assert!((0.3..0.7).contains(&share), "{share}");
    // The forecast starts on the partial day: what is spent and the rest
    // of the midnight run's forecast for it.
    assert_eq!(steady["daily"][0]["date"], date(29));
    for key in ["last_7d_usd", "mape_pct", "params"] {
        assert_eq!(steady[key], steady_before[key], "{key}");
    }
    assert_eq!(steady["daily"].as_array().unwrap()[1..], steady_before["daily"].as_array().unwrap()[1..]);
    let spent = history[29]["spend_usd"].as_f64().unwrap();
    let rest = 21.5 / 24.0;
    let (day, whole) = (&steady["daily"][0], &steady_before["daily"][0]);
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap();
    for k in ["mean", "lo", "hi"] {
        assert!((f(day, k) - (spent + rest * f(whole, k))).abs() < 1e-6, "{k}: {day} vs {whole}, spent {spent}");
    }
    let moved = f(day, "mean") - f(whole, "mean");
    for k in ["forecast_usd", "forecast_lo_usd", "forecast_hi_usd"] {
        assert!((f(steady, k) - (f(steady_before, k) + moved)).abs() < 1e-6, "{k}");
    }
    // CSV names the day's kind; the table says it in words.
    let csv = String::from_utf8(forecast_cmd(&archive, &["--to", &partial_to, "--format", "csv"]).stdout).unwrap();
    assert!(csv.contains(&format!("steady,{},partial,", date(29))), "{csv}");
    assert!(csv.contains(&format!("steady,{},forecast,", date(29))), "{csv}");
    let table = String::from_utf8(forecast_cmd(&archive, &["--to", &partial_to]).stdout).unwrap();
    assert!(table.contains("is a partial day") && table.contains("the forecast starts on it"), "{table}");
    // Without --to the range ends at the latest event: its day is partial
    // and the note names the way to count it as complete.
    let open = forecast_cmd(&archive, &[]);
    assert!(String::from_utf8_lossy(&open.stdout).contains("--to the next midnight counts it as complete"));
    let complete = stdout_json(&forecast_cmd(&archive, &["--to", &date(30), "--format", "json"]));
    assert_eq!(complete.iter().find(|r| r["group"] == "steady").unwrap()["days"], 30);
}

/// A partial day that has already spent far more than a usual day (a
/// runaway this morning) is forecast at least at what it has spent, its
/// interval too, and a budget it has already used up runs out on it.
#[test]
fn a_partial_day_is_forecast_at_least_at_what_it_spent() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("synthetic.ndjson");
    synthetic(&input, 30);
    let spike = DAY0_MS + 29 * 86_400_000 + 5_400_000; // 01:30 of the last day
    let mut text = std::fs::read_to_string(&input).unwrap();
    text += &format!(
        "{{\"event_id\":\"spike\",\"ts\":{spike},\"session_id\":\"spike\",\"agent_id\":\"a\",\"team\":\"steady\",\"kind\":\"tool\",\"tool\":\"x\",\"cost_usd\":500}}\n"
    );
    std::fs::write(&input, text).unwrap();
    watch(&input, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let to = format!("{}T02:30:00Z", date(29));
    let rows = stdout_json(&forecast_cmd(&archive, &["--to", &to, "--format", "json", "--budget", "steady=400"]));
    let steady = rows.iter().find(|r| r["group"] == "steady").unwrap();
    let spent = steady["history"][29]["spend_usd"].as_f64().unwrap();
    assert!(spent > 500.0, "{spent}");
    let day = &steady["daily"][0];
    assert_eq!(day["date"], date(29));
    for k in ["lo", "mean", "hi"] {
        assert!(day[k].as_f64().unwrap() >= spent, "{k} below the {spent} spent: {day}");
    }
    assert!(steady["forecast_lo_usd"].as_f64().unwrap() >= spent, "{steady:#}");
    assert_eq!(steady["runs_out"], date(29), "{steady:#}");
    assert_eq!(steady["runs_out_earliest"], date(29), "{steady:#}");
}

/// No events in range: JSON and CSV stay machine-readable (an empty list,
/// the header row), the note goes to stderr; the table keeps its words.
/// `report` gives its usual shape too (a zero TOTAL row).
#[test]
fn forecast_with_nothing_in_range_keeps_its_format() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let empty = ["--from", "2030-01-01"];
    let json = forecast_cmd(&archive, &[&empty[..], &["--format", "json"]].concat());
    assert!(stdout_json(&json).is_empty());
    assert!(String::from_utf8_lossy(&json.stderr).contains("note: no events in the archive range: nothing to forecast"));
    let csv = forecast_cmd(&archive, &[&empty[..], &["--format", "csv"]].concat());
    assert_eq!(String::from_utf8_lossy(&csv.stdout), "team,date,kind,spend_usd,lo_usd,hi_usd\n");
    assert!(String::from_utf8_lossy(&csv.stderr).contains("nothing to forecast"));
    let table = forecast_cmd(&archive, &empty);
    assert_eq!(String::from_utf8_lossy(&table.stdout), "no events in the archive range: nothing to forecast\n");
    let report: Value =
        serde_json::from_str(&run(&["report", "--archive", archive.to_str().unwrap(), "--from", "2030-01-01", "--format", "json"]))
            .unwrap();
    assert_eq!(report[0]["group"], "TOTAL");
}

/// A standard normal draw (Box-Muller).
fn gauss(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `n` days of a simulated series of `kind`, its week starting on a random day.
fn simulate(kind: &str, n: usize, rng: &mut impl Rng) -> Vec<f64> {
    const WEEK: [f64; 7] = [10.0, 15.0, 20.0, 15.0, 10.0, -30.0, -40.0];
    let start = rng.random_range(0..7);
    let mut level = 100.0;
    (0..n)
        .map(|d| match kind {
            // Linear trend and a weekly pattern: what the model assumes.
            "trend_weekly" => 100.0 + 1.5 * d as f64 + WEEK[(start + d) % 7] + 3.0 * gauss(rng),
            "flat" => 50.0 + 2.0 * gauss(rng),
            // A wandering level: no line fits it for long.
            "random_walk" => {
                level += 2.0 * gauss(rng);
                level + 0.5 * WEEK[(start + d) % 7] + 3.0 * gauss(rng)
            }
            other => panic!("unknown series kind {other}"),
        })
        .collect()
}

#[test]
fn forecast_intervals_cover_what_followed() {
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(data("forecast_intervals.json")).unwrap()).unwrap();
    let floats = |v: &Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect() };
    for case in cases["series"].as_array().unwrap() {
        let (history, after) = (floats(&case["history"]), floats(&case["after"]));
        let fc = forecast::fit(&history).forecast(after.len(), case["interval"].as_f64().unwrap());
        let covered = fc.daily.iter().zip(&after).filter(|(p, t)| p.lo <= **t && **t <= p.hi).count();
        let total: f64 = after.iter().sum();
        assert!(covered as u64 >= case["min_covered"].as_u64().unwrap(), "{}: {covered} covered: {fc:?}", case["name"]);
        assert!(fc.total.lo <= total && total <= fc.total.hi, "{}: total {total} outside {:?}", case["name"], fc.total);
    }
    const RUNS: usize = 200;
    for case in cases["calibration"].as_array().unwrap() {
        let kind = case["kind"].as_str().unwrap();
        let days = case["days"].as_u64().unwrap() as usize;
        let horizon = case["horizon"].as_u64().unwrap() as usize;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (mut daily_in, mut total_in) = (0, 0);
        for _ in 0..RUNS {
            let y = simulate(kind, days + horizon, &mut rng);
            let fc = forecast::fit(&y[..days]).forecast(horizon, 0.9);
            daily_in += fc.daily.iter().zip(&y[days..]).filter(|(p, t)| p.lo <= **t && **t <= p.hi).count();
            let total: f64 = y[days..].iter().sum();
            total_in += (fc.total.lo <= total && total <= fc.total.hi) as usize;
        }
        let daily = daily_in as f64 / (RUNS * horizon) as f64;
        let total = total_in as f64 / RUNS as f64;
        let (d, t) = (floats(&case["daily"]), floats(&case["total"]));
        assert!((d[0]..=d[1]).contains(&daily), "{case}: 90 % daily intervals covered {daily:.3}");
        assert!((t[0]..=t[1]).contains(&total), "{case}: 90 % total intervals covered {total:.3}");
    }
}

#[test]
fn report_counts_an_event_archived_by_two_runs_once() {
    // A redelivery across a file boundary: e1 ($5) ends one file and starts
    // the next; each run archives what it read.
    let tmp = tempfile::tempdir().unwrap();
    let e1 = r#"{"event_id":"e1","ts":"2026-03-03T10:00:00Z","session_id":"s1","agent_id":"a","team":"t","kind":"tool","tool":"x","cost_usd":5}"#;
    let e2 = r#"{"event_id":"e2","ts":"2026-03-03T10:01:00Z","session_id":"s1","agent_id":"a","team":"t","kind":"tool","tool":"y","cost_usd":1}"#;
    for (name, text) in [("part1.ndjson", format!("{e1}\n")), ("part2.ndjson", format!("{e1}\n{e2}\n"))] {
        let input = tmp.path().join(name);
        std::fs::write(&input, text).unwrap();
        watch(&input, tmp.path(), &[]);
    }
    let archive = tmp.path().join("archive");
    // `forecast` reads the same rows (`offline::read::read_events`).
    check(&archive, "team", &[("t", 6.0, 2, 1, 0, 0), ("TOTAL", 6.0, 2, 1, 0, 0)]);
}

/// The report's columns that add up over a partition of the time range.
const ADDITIVE: [&str; 7] = [
    "spend_usd",
    "actions",
    "sessions_killed",
    "spend_after_kill_usd",
    "actions_after_kill",
    "spend_stopped_est_usd",
    "spend_fallback_usd",
];

/// `report --format json` rows over `from..to`, by group.
fn report_rows(archive: &Path, by: &str, from: &str, to: &str) -> std::collections::BTreeMap<String, Value> {
    let json: Value = serde_json::from_str(&run(&[
        "report",
        "--archive",
        archive.to_str().unwrap(),
        "--by",
        by,
        "--from",
        from,
        "--to",
        to,
        "--format",
        "json",
    ]))
    .unwrap();
    json.as_array().unwrap().iter().map(|r| (r["group"].as_str().unwrap().to_string(), r.clone())).collect()
}

/// Reports over the consecutive ranges between `bounds` add up, group by
/// group and column by column, to the report over the whole range: each
/// event, each kill and each kill's estimate belongs to exactly one range.
fn check_partition(archive: &Path, by: &str, bounds: &[&str]) {
    let whole = report_rows(archive, by, bounds[0], bounds[bounds.len() - 1]);
    let mut sums: std::collections::BTreeMap<String, [f64; ADDITIVE.len()]> = std::collections::BTreeMap::new();
    for w in bounds.windows(2) {
        for (group, row) in report_rows(archive, by, w[0], w[1]) {
            let sum = sums.entry(group).or_default();
            for (s, col) in sum.iter_mut().zip(ADDITIVE) {
                *s += row[col].as_f64().unwrap();
            }
        }
    }
    assert_eq!(sums.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>(), "{by} {bounds:?}: groups");
    for (group, sum) in &sums {
        for (s, col) in sum.iter().zip(ADDITIVE) {
            let w = whole[group][col].as_f64().unwrap();
            assert!((s - w).abs() < 1e-6, "{by} {bounds:?}: {group}.{col}: the ranges sum to {s}, the whole range says {w}");
        }
    }
}

/// `tests/data/report_midnight.ndjson`: s-late (ops) is killed at 23:52 on
/// the 10th after $30 in 2 minutes and spends $1 + $2 + $3 within the hour
/// after its kill (two of them past midnight) and $4 later; s-cross
/// (search) starts at 23:40 on the 10th and is killed at 00:05 on the 11th
/// after $30 in 25 minutes, then spends $0.50. Each kill counts once, on
/// its own day, and its estimate (the session's rate for 60 minutes, less
/// what it spent in them) is the same in every range that holds the kill:
/// s-late $15/min → $900 − $6, s-cross $1.20/min → $72 − $0.50.
#[test]
fn report_ranges_add_up_to_the_whole_range() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("report_midnight.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let whole = report_rows(&archive, "team", "2026-02-09", "2026-02-12");
    for (group, killed, stopped) in [("ops", 1, 894.0), ("search", 1, 71.5), ("TOTAL", 2, 965.5)] {
        assert_eq!(whole[group]["sessions_killed"], killed, "{group}");
        let est = whole[group]["spend_stopped_est_usd"].as_f64().unwrap();
        assert!((est - stopped).abs() < 1e-6, "{group}: stopped {est}, expected {stopped}");
    }
    // A day's figures do not depend on where the range ends.
    let day = |to: &str| report_rows(&archive, "day", "2026-02-10", to)["2026-02-10"].clone();
    assert_eq!(day("2026-02-11"), day("2026-02-12"));
    let days = ["2026-02-09", "2026-02-10", "2026-02-11", "2026-02-12"];
    // Cuts between a session's events, between its kill and what followed,
    // and inside the hour after a kill.
    let cuts =
        ["2026-02-09", "2026-02-10", "2026-02-10T23:51:30Z", "2026-02-10T23:53:00Z", "2026-02-11", "2026-02-11T00:07:00Z", "2026-02-12"];
    for by in ["team", "day", "agent"] {
        check_partition(&archive, by, &days);
        check_partition(&archive, by, &cuts);
    }
}

/// Arguments the offline commands refuse (exit 2), each with the words
/// that say why: `ARCHIVE` stands for a real archive's path, `FILE` for a
/// file's, `OUT` for a path to write to.
const USAGE_ERRORS: &[(&[&str], &str)] = &[
    // An archive that is a file: watch once failed with "File exists (os error 17)".
    (&["report", "--archive", "FILE"], "FILE: it is a file, not a directory"),
    (&["forecast", "--archive", "FILE"], "FILE: it is a file, not a directory"),
    (&["watch", "--input", "FILE", "--signals", "OUT", "--archive", "FILE"], "FILE is a file, not a directory"),
    (&["watch", "--input", "FILE", "--signals", "OUT", "--archive", "FILE/archive"], "FILE is a file, not a directory"),
    (&["config", "check", "--input", "FILE", "--signals", "OUT", "--archive", "FILE"], "FILE is a file, not a directory"),
    // A session going on for two thousand years is no estimate.
    (&["report", "--archive", "ARCHIVE", "--stop-horizon-minutes", "1e9"], "must be 0 to 10080 minutes (a week)"),
    (&["report", "--archive", "ARCHIVE", "--stop-horizon-minutes=-1"], "must be 0 to 10080 minutes (a week)"),
    // The first of two budgets for one group was silently dropped.
    (&["forecast", "--archive", "ARCHIVE", "--budget", "ops=5", "--budget", "ops=10"], "a second budget for the same group"),
];

#[test]
fn offline_usage_errors_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("archive_events.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let file = data("archive_events.ndjson");
    let out = tmp.path().join("out.ndjson");
    let paths = [("ARCHIVE", archive.to_str().unwrap()), ("FILE", file.to_str().unwrap()), ("OUT", out.to_str().unwrap())];
    let fill = |text: &str| paths.iter().fold(text.to_string(), |t, (k, v)| t.replace(k, v));
    for (args, why) in USAGE_ERRORS {
        let args: Vec<String> = args.iter().map(|a| fill(a)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = outcome(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.contains(&fill(why)), "{args:?}: {stderr}");
    }
}

/// Spend priced at the fallback rates (a model the catalog lacks) is shown
/// apart: a column, and a note naming its share and the models, under the
/// table and on stderr beside CSV and JSON. The fixture's one call of
/// `mystery-model-9` (500 input, 50 output tokens) costs $0.01125 so.
#[test]
fn report_shows_fallback_priced_spend() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("report_midnight.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let rows = report_rows(&archive, "team", "2026-02-09", "2026-02-12");
    for (group, fallback) in [("ops", 0.0), ("search", 0.01125), ("TOTAL", 0.01125)] {
        assert_eq!(rows[group]["spend_fallback_usd"].as_f64(), Some(fallback), "{group}: {:#}", rows[group]);
    }
    let note = "$0.0112 of the $72.7613 spent (0.02 %, column spend_fallback_usd) is priced at the fallback rates";
    let a = archive.to_str().unwrap();
    for format in ["json", "csv"] {
        let (code, stdout, stderr) = outcome(&["report", "--archive", a, "--format", format]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(!stdout.contains("note:"), "{format}: {stdout}");
        assert!(stderr.contains(note) && stderr.contains("mystery-model-9 ($0.0112)"), "{format}: {stderr}");
    }
    let (_, csv, _) = outcome(&["report", "--archive", a, "--format", "csv"]);
    assert!(csv.lines().next().unwrap().ends_with(",spend_stopped_est_usd,spend_fallback_usd"), "{csv}");
    let (_, table, stderr) = outcome(&["report", "--archive", a]);
    assert!(table.lines().last().unwrap().starts_with(&format!("note: {note}")), "{table}");
    assert!(table.lines().next().unwrap().ends_with("spend_fallback_usd") && !stderr.contains("note:"), "{table}{stderr}");
    // Nothing priced so, nothing said.
    let (_, table, _) = outcome(&["report", "--archive", a, "--from", "2026-02-11"]);
    assert!(!table.contains("note:"), "{table}");
}

/// A group may be named `TOTAL`: the total row is the one with
/// `"total": true` (and the last). Money in JSON is rounded to the
/// micro-dollar: $0.10 + $0.20 is 0.3, not 0.30000000000000004.
#[test]
fn report_json_names_its_total_and_rounds_money() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.ndjson");
    let line = |id: &str, team: &str, cost: f64| {
        format!(
            r#"{{"event_id":"{id}","ts":"2026-03-03T10:00:00Z","session_id":"s-{id}","agent_id":"a","team":"{team}","kind":"tool","tool":"x","cost_usd":{cost}}}"#
        ) + "\n"
    };
    std::fs::write(&input, line("a", "TOTAL", 0.1) + &line("b", "TOTAL", 0.2) + &line("c", "ops", 1.0)).unwrap();
    watch(&input, tmp.path(), &[]);
    let text = run(&["report", "--archive", tmp.path().join("archive").to_str().unwrap(), "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(&text).unwrap();
    let named: Vec<(&str, bool)> = rows.iter().map(|r| (r["group"].as_str().unwrap(), r["total"].as_bool().unwrap())).collect();
    assert_eq!(named, [("ops", false), ("TOTAL", false), ("TOTAL", true)], "{text}");
    assert!(text.contains("\"spend_usd\": 0.3,") && text.contains("\"spend_usd\": 1.3,"), "{text}");
    assert!(!text.contains("0000000"), "float noise: {text}");
}

/// One event with a clock two months ahead, among 1,200 of 30 days, once
/// made every group's last weeks zeros and every forecast about $0, with no
/// word. Without `--to` it is left out (a whole day without events lies
/// before it, and it is at most 0.1 % of the events), the history ends with
/// the rest, and a warning names it and the `--to` that includes it; the
/// forecast is the one of a range ending just after the last other event.
#[test]
fn forecast_leaves_out_a_stray_far_future_event_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.ndjson");
    let mut text = String::new();
    let event = |id: &str, ts: i64, cost: f64| {
        format!(
            r#"{{"event_id":"{id}","ts":{ts},"session_id":"s-{id}","agent_id":"a","team":"t","kind":"tool","tool":"x","cost_usd":{cost}}}"#
        ) + "\n"
    };
    let mut last = 0;
    for d in 0..30 {
        for k in 0..40 {
            last = DAY0_MS + d * 86_400_000 + k * 1_800_000;
            text += &event(&format!("e{d}-{k}"), last, 1.0 + (d % 7) as f64 * 0.1);
        }
    }
    let stray = DAY0_MS + 90 * 86_400_000 + 3_600_000;
    text += &event("stray", stray, 0.25);
    std::fs::write(&input, text).unwrap();
    watch(&input, tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    let forecast = |extra: &[&str]| forecast_cmd(&archive, &[&["--format", "json"][..], extra].concat());
    let open = forecast(&[]);
    let stderr = String::from_utf8_lossy(&open.stderr);
    let include = date(91);
    assert!(
        stderr.contains(&format!(
            "warning: left out of the forecast: 1 event(s) ($0.2500) dated {}, after 60 day(s) without any event",
            date(90)
        )) && stderr.contains(&format!("the history ends on {}", date(29)))
            && stderr.contains(&format!("`--to {include}` includes them")),
        "{stderr}"
    );
    let just_after = runaway::event::format_rfc3339_ms(last + 1);
    let bulk = forecast(&["--to", &just_after]);
    assert!(!String::from_utf8_lossy(&bulk.stderr).contains("warning"), "{}", String::from_utf8_lossy(&bulk.stderr));
    let t = &stdout_json(&open)[0];
    assert_eq!(t, &stdout_json(&bulk)[0]);
    assert!(t["last_7d_usd"].as_f64().unwrap() > 200.0 && t["forecast_usd"].as_f64().unwrap() > 200.0, "{t:#}");
    // The --to it names includes the event: then the days after the rest are zeros.
    let all = forecast(&["--to", &include]);
    assert!(!String::from_utf8_lossy(&all.stderr).contains("warning"));
    assert_eq!(stdout_json(&all)[0]["last_7d_usd"], 0.25);
}

/// A kill whose trigger event is not in the archive (its hour's files
/// removed, say) still counts, once, under `(none)`, and a note says so.
#[test]
fn a_kill_without_its_trigger_event_counts_under_none() {
    let tmp = tempfile::tempdir().unwrap();
    watch(&data("report_midnight.ndjson"), tmp.path(), &[]);
    let archive = tmp.path().join("archive");
    // s-late's events before its kill, and the trigger among them.
    std::fs::remove_dir_all(archive.join("events/dt=2026-02-10/hour=23")).unwrap();
    let rows = report_rows(&archive, "team", "2026-02-09", "2026-02-12");
    assert_eq!(rows["(none)"]["sessions_killed"], 1, "{rows:#?}");
    assert_eq!(rows["search"]["sessions_killed"], 1, "{rows:#?}");
    assert_eq!(rows["TOTAL"]["sessions_killed"], 2, "{rows:#?}");
    let (_, _, stderr) = outcome(&["report", "--archive", archive.to_str().unwrap(), "--format", "json"]);
    assert!(stderr.contains("1 kill(s) in range whose trigger event is not in the archive are counted under (none)"), "{stderr}");
}
