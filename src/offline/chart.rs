//! A hand-written SVG chart of the forecast: one panel per group, history
//! as a polyline, the forecast as a dashed polyline over its prediction
//! band, the budget run-out day as a vertical rule. A partial last day is
//! a hollow dot on the first forecast day (the day it is part of).
//!
//! Owns: SVG layout only; numbers come from `forecast`.

use std::fmt::Write;

use super::ForecastRow;

const W: f64 = 900.0;
const PANEL_H: f64 = 220.0;
const PAD_L: f64 = 70.0;
const PAD_R: f64 = 20.0;
const PAD_T: f64 = 30.0;
const PAD_B: f64 = 30.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders every group's history and forecast into one SVG document.
pub fn render_svg(rows: &[ForecastRow]) -> String {
    let height = PANEL_H * rows.len().max(1) as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, row) in rows.iter().enumerate() {
        panel(&mut svg, row, i as f64 * PANEL_H);
    }
    svg.push_str("</svg>\n");
    svg
}

fn panel(svg: &mut String, row: &ForecastRow, top: f64) {
    // Days fitted: a partial last day sits on the first forecast day's x.
    let n_hist = row.history.iter().filter(|d| !d.partial).count();
    let n = (n_hist + row.daily.len()).max(row.history.len());
    let ymax = row.history.iter().map(|d| d.spend_usd).chain(row.daily.iter().map(|d| d.hi)).fold(0.0_f64, f64::max).max(1e-9);
    let plot_w = W - PAD_L - PAD_R;
    let plot_h = PANEL_H - PAD_T - PAD_B;
    let x = |i: usize| PAD_L + plot_w * i as f64 / (n.max(2) - 1) as f64;
    let y = |v: f64| top + PAD_T + plot_h * (1.0 - v / ymax);
    let _ = writeln!(
        svg,
        r#"<text x="{PAD_L}" y="{:.1}" font-weight="bold">{} — {} (backtest MAPE {})</text>"#,
        top + 18.0,
        esc(&row.group),
        esc(&row.model_label()),
        row.mape_pct.map(|m| format!("{m:.1}%")).unwrap_or_else(|| "n/a".into())
    );
    // axes and y labels
    let _ = writeln!(
        svg,
        r##"<line x1="{PAD_L}" y1="{:.1}" x2="{PAD_L}" y2="{:.1}" stroke="#888"/><line x1="{PAD_L}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#888"/>"##,
        y(ymax),
        y(0.0),
        y(0.0),
        W - PAD_R,
        y(0.0)
    );
    for frac in [0.0, 0.5, 1.0] {
        let _ = writeln!(svg, r#"<text x="4" y="{:.1}">${:.2}</text>"#, y(ymax * frac) + 4.0, ymax * frac);
    }
    if let (Some(first), Some(last)) = (row.history.first(), row.daily.last().map(|d| &d.date).or(row.history.last().map(|d| &d.date))) {
        let _ = writeln!(svg, r#"<text x="{PAD_L}" y="{:.1}">{}</text>"#, y(0.0) + 16.0, esc(&first.date));
        let _ = writeln!(svg, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, W - PAD_R, y(0.0) + 16.0, esc(last));
    }
    if !row.daily.is_empty() {
        // band: upper edge forward, lower edge back
        let mut pts = String::new();
        for (j, d) in row.daily.iter().enumerate() {
            let _ = write!(pts, "{:.1},{:.1} ", x(n_hist + j), y(d.hi));
        }
        for (j, d) in row.daily.iter().enumerate().rev() {
            let _ = write!(pts, "{:.1},{:.1} ", x(n_hist + j), y(d.lo));
        }
        let _ = writeln!(svg, r##"<polygon points="{}" fill="#f4a261" fill-opacity="0.3" stroke="none"/>"##, pts.trim_end());
        let mut line = String::new();
        if let Some(last) = row.history.iter().rfind(|d| !d.partial) {
            let _ = write!(line, "{:.1},{:.1} ", x(n_hist - 1), y(last.spend_usd));
        }
        for (j, d) in row.daily.iter().enumerate() {
            let _ = write!(line, "{:.1},{:.1} ", x(n_hist + j), y(d.mean));
        }
        let _ = writeln!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#e76f51" stroke-width="1.5" stroke-dasharray="4 3"/>"##,
            line.trim_end()
        );
    }
    let mut hist = String::new();
    for (i, d) in row.history.iter().enumerate() {
        if d.partial {
            let _ = writeln!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="white" stroke="#264653"><title>{} so far (partial day)</title></circle>"##,
                x(i),
                y(d.spend_usd),
                esc(&d.date)
            );
        } else {
            let _ = write!(hist, "{:.1},{:.1} ", x(i), y(d.spend_usd));
        }
    }
    let _ = writeln!(svg, r##"<polyline points="{}" fill="none" stroke="#264653" stroke-width="1.5"/>"##, hist.trim_end());
    if let Some(day) = row.runs_out_day {
        let xx = x(n_hist + day);
        let _ = writeln!(
            svg,
            r##"<line x1="{xx:.1}" y1="{:.1}" x2="{xx:.1}" y2="{:.1}" stroke="#d62828" stroke-width="1"/><text x="{:.1}" y="{:.1}" fill="#d62828">budget runs out {}</text>"##,
            y(ymax),
            y(0.0),
            xx + 3.0,
            y(ymax) + 10.0,
            esc(row.runs_out.as_deref().unwrap_or(""))
        );
    }
}
