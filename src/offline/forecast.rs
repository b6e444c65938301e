//! `runaway forecast`: daily spend per group and where it is heading.
//!
//! Owns: the daily series, the Holt-Winters fit (additive damped trend,
//! additive weekly seasonality — ETS(A,Ad,A)), its prediction intervals,
//! the backtest on a held-out tail, and the budget run-out date.
//!
//! The model, in error-correction form with season length m = 7:
//!   ŷ(t) = l + φ·b + s[t mod m],  e = y(t) − ŷ(t)
//!   l ← l + φ·b + α·e,  b ← φ·b + β·e,  s[t mod m] ← s[t mod m] + γ·e
//! α, β, γ, φ are picked by a grid search minimising the one-step squared
//! error. The h-step variance is σ²·(1 + Σ_{j<h} c_j²) with
//! c_j = α + β·(φ + … + φ^j) + γ·[j mod m = 0] (Hyndman et al., class 1),
//! σ² the one-step residual variance. Spend is never negative, so bounds
//! and points are floored at 0. A series shorter than two weeks cannot
//! show a weekly pattern: from 3 days on it gets a damped-trend-only fit
//! (same equations without the season), below that it is reported as too
//! short.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// Season length: a week of days.
pub const SEASON: usize = 7;
/// Days needed for the seasonal model.
pub const MIN_SEASONAL_DAYS: usize = 2 * SEASON;
/// Days needed for the trend-only fallback.
pub const MIN_TREND_DAYS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// ETS(A,Ad,A): damped trend plus weekly seasonality.
    HoltWintersDamped,
    /// ETS(A,Ad,N): not enough days for a weekly pattern.
    TrendOnly,
    /// Not enough days for anything.
    TooShort,
}

/// Fitted smoothing parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub phi: f64,
}

/// A fitted model, ready to forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub kind: ModelKind,
    pub params: Params,
    pub sse: f64,
    /// One-step residual standard deviation.
    pub sigma: f64,
    level: f64,
    trend: f64,
    season: Vec<f64>,
    /// Index the next forecast step has in the season cycle.
    next_t: usize,
}

/// One day of a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

const ALPHAS: [f64; 10] = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95];
const BETAS: [f64; 5] = [0.0, 0.01, 0.03, 0.1, 0.2];
const GAMMAS: [f64; 5] = [0.0, 0.05, 0.1, 0.2, 0.4];
const PHIS: [f64; 4] = [0.8, 0.9, 0.98, 1.0];

struct State {
    level: f64,
    trend: f64,
    season: Vec<f64>,
}

fn initial_state(y: &[f64], seasonal: bool) -> State {
    if seasonal {
        let w1: f64 = y[..SEASON].iter().sum::<f64>() / SEASON as f64;
        let w2: f64 = y[SEASON..2 * SEASON].iter().sum::<f64>() / SEASON as f64;
        let trend = (w2 - w1) / SEASON as f64;
        // Week-one deviations from the week's trend line (centred on day 3).
        let mid = (SEASON as f64 - 1.0) / 2.0;
        let season = y[..SEASON].iter().enumerate().map(|(i, v)| v - (w1 + trend * (i as f64 - mid))).collect();
        // Level just before the series starts, so the loop can run from t = 0.
        State { level: w1 - trend * (SEASON as f64 - 1.0) / 2.0 - trend, trend, season }
    } else {
        let trend = (y[y.len().min(3) - 1] - y[0]) / (y.len().min(3) - 1) as f64;
        State { level: y[0] - trend, trend, season: vec![0.0; SEASON] }
    }
}

/// Runs the filter over `y`; returns the SSE and the final state.
fn run(y: &[f64], p: Params, seasonal: bool) -> (f64, State) {
    let mut st = initial_state(y, seasonal);
    let mut sse = 0.0;
    for (t, &obs) in y.iter().enumerate() {
        let si = t % SEASON;
        let s = if seasonal { st.season[si] } else { 0.0 };
        let pred = st.level + p.phi * st.trend + s;
        let e = obs - pred;
        sse += e * e;
        st.level = st.level + p.phi * st.trend + p.alpha * e;
        st.trend = p.phi * st.trend + p.beta * e;
        if seasonal {
            st.season[si] += p.gamma * e;
        }
    }
    (sse, st)
}

/// Fits the best model the series length allows.
pub fn fit(y: &[f64]) -> Fit {
    let seasonal = y.len() >= MIN_SEASONAL_DAYS;
    if y.len() < MIN_TREND_DAYS || y.iter().any(|v| !v.is_finite()) {
        return Fit {
            kind: ModelKind::TooShort,
            params: Params { alpha: 0.0, beta: 0.0, gamma: 0.0, phi: 1.0 },
            sse: 0.0,
            sigma: 0.0,
            level: y.last().copied().filter(|v| v.is_finite()).unwrap_or(0.0),
            trend: 0.0,
            season: vec![0.0; SEASON],
            next_t: y.len(),
        };
    }
    let gammas: &[f64] = if seasonal { &GAMMAS } else { &[0.0] };
    let mut best: Option<(f64, Params)> = None;
    for &alpha in &ALPHAS {
        for &beta in BETAS.iter().filter(|b| **b <= alpha) {
            for &gamma in gammas.iter().filter(|g| **g <= 1.0 - alpha) {
                for &phi in &PHIS {
                    let p = Params { alpha, beta, gamma, phi };
                    let (sse, _) = run(y, p, seasonal);
                    if sse.is_finite() && best.is_none_or(|(b, _)| sse < b) {
                        best = Some((sse, p));
                    }
                }
            }
        }
    }
    let (sse, params) = best.unwrap_or((0.0, Params { alpha: 0.5, beta: 0.0, gamma: 0.0, phi: 1.0 }));
    let (_, st) = run(y, params, seasonal);
    let k = if seasonal { 4 + SEASON } else { 4 };
    let dof = y.len().saturating_sub(k).max(1) as f64;
    Fit {
        kind: if seasonal { ModelKind::HoltWintersDamped } else { ModelKind::TrendOnly },
        params,
        sse,
        sigma: (sse / dof).sqrt(),
        level: st.level,
        trend: st.trend,
        season: st.season,
        next_t: y.len(),
    }
}

impl Fit {
    /// Forecasts `horizon` days with a central prediction interval of
    /// probability `coverage` (e.g. 0.9).
    pub fn forecast(&self, horizon: usize, coverage: f64) -> Vec<Point> {
        let z = Normal::new(0.0, 1.0).map(|n| n.inverse_cdf(0.5 + coverage.clamp(0.0, 0.999) / 2.0)).unwrap_or(1.645);
        let p = self.params;
        let seasonal = self.kind == ModelKind::HoltWintersDamped;
        let mut out = Vec::with_capacity(horizon);
        let mut phi_sum = 0.0; // φ + … + φ^h
        let mut var_sum = 0.0; // Σ_{j<h} c_j²
        for h in 1..=horizon {
            phi_sum += p.phi.powi(h as i32);
            let s = if seasonal { self.season[(self.next_t + h - 1) % SEASON] } else { 0.0 };
            let mean = self.level + phi_sum * self.trend + s;
            if h > 1 {
                let j = h - 1;
                let phi_j: f64 = (1..=j).map(|i| p.phi.powi(i as i32)).sum();
                let c = p.alpha + p.beta * phi_j + if seasonal && j % SEASON == 0 { p.gamma } else { 0.0 };
                var_sum += c * c;
            }
            let sd = self.sigma * (1.0 + var_sum).sqrt();
            out.push(Point { mean: mean.max(0.0), lo: (mean - z * sd).max(0.0), hi: (mean + z * sd).max(0.0) });
        }
        out
    }
}

/// Mean absolute percentage error of a model fitted on all but the last
/// `holdout` days and scored on them (days with zero spend are skipped).
/// `None` when the series is too short to hold anything out.
pub fn backtest_mape(y: &[f64], holdout: usize) -> Option<f64> {
    if holdout == 0 || y.len() < holdout + MIN_TREND_DAYS {
        return None;
    }
    let (train, test) = y.split_at(y.len() - holdout);
    let f = fit(train);
    if f.kind == ModelKind::TooShort {
        return None;
    }
    let pred = f.forecast(holdout, 0.9);
    let errs: Vec<f64> = test.iter().zip(&pred).filter(|(a, _)| **a > 0.0).map(|(a, p)| ((a - p.mean) / a).abs()).collect();
    if errs.is_empty() {
        return None;
    }
    Some(100.0 * errs.iter().sum::<f64>() / errs.len() as f64)
}

/// Held-out tail used for the backtest: two weeks when the series allows
/// a seasonal fit on the rest, else a quarter of the series.
pub fn holdout_days(n: usize) -> usize {
    if n >= MIN_SEASONAL_DAYS + 14 {
        14
    } else {
        n / 4
    }
}

/// First forecast day (0-based) on which cumulative spend reaches
/// `budget`, using each day's value picked by `value`.
pub fn runs_out(points: &[Point], budget: f64, value: impl Fn(&Point) -> f64) -> Option<usize> {
    let mut cum = 0.0;
    for (i, p) in points.iter().enumerate() {
        cum += value(p);
        if cum >= budget {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_series() {
        let y: Vec<f64> = (0..28).map(|t| 10.0 + 2.0 * t as f64).collect();
        let f = fit(&y);
        assert_eq!(f.kind, ModelKind::HoltWintersDamped);
        let p = f.forecast(7, 0.9);
        for (h, pt) in p.iter().enumerate() {
            let truth = 10.0 + 2.0 * (28 + h) as f64;
            assert!((pt.mean - truth).abs() / truth < 0.05, "h={h} {pt:?} vs {truth}");
        }
    }

    #[test]
    fn short_series_fall_back() {
        assert_eq!(fit(&[1.0, 2.0]).kind, ModelKind::TooShort);
        assert_eq!(fit(&[1.0, 2.0, 3.0, 4.0]).kind, ModelKind::TrendOnly);
        assert!(fit(&[]).forecast(3, 0.9).iter().all(|p| p.mean == 0.0));
    }
}
