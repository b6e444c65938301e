//! `runaway forecast`: daily spend per group and where it is heading.
//!
//! Owns: the daily series, the Holt-Winters fit (additive damped trend,
//! additive weekly seasonality — ETS(A,Ad,A)), its prediction intervals
//! (per day and for the horizon's total), the backtest on a held-out tail,
//! and the budget run-out date.
//!
//! The model, in error-correction form with season length m = 7:
//!   ŷ(t) = l + φ·b + s[t mod m],  e = y(t) − ŷ(t)
//!   l ← l + φ·b + α·e,  b ← φ·b + β·e,  s[t mod m] ← s[t mod m] + γ·e
//! α, β, γ, φ are picked by a grid search minimising the one-step squared
//! error. A series shorter than two weeks cannot show a weekly pattern:
//! from 3 days on it gets a damped-trend-only fit (same equations without
//! the season), below that it is reported as too short.
//!
//! Prediction interval of day h: ŷ(h) ± t · σ · √(1 + Σ_{j<h} c_j² + λ(h)).
//! - 1 + Σ c_j², with c_j = α + β·(φ + … + φ^j) + γ·[j mod m = 0], is the
//!   ETS h-step variance (Hyndman et al., class 1). It takes the fitted
//!   level, trend and season as known, which is what made a 3-day fit's
//!   interval ±6 % and flat over a week.
//! - λ(h) = x(h)ᵀ(XᵀX)⁻¹x(h) is the leverage of day h in the regression
//!   the fit stands in for: an intercept and a linear trend in the day
//!   index (plus six weekday offsets for the seasonal fit), over the n
//!   days of data. It is the variance of estimating those from n days, and
//!   grows with the day's distance from the data's centre.
//! - σ² = SSE / (n − p) and t the Student t quantile with n − p degrees of
//!   freedom, p the regression's coefficients (2, or 8 with the season):
//!   3 days leave one degree of freedom, and a quantile of 6.3 for 90 %.
//!
//! The total over the horizon gets the interval of the sum, from the same
//! σ, t and regression: forecast errors of consecutive days share the
//! shocks before them (day k's shock moves every later day by c_j), so
//! Var(Σ e) = σ²·(Σ_k (1 + c_1 + … + c_{H−k})² + λ(Σ_h x(h))).
//! Spend is never negative, so bounds and points are floored at 0.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Season length: a week of days.
pub const SEASON: usize = 7;
/// Days needed for the seasonal model.
pub const MIN_SEASONAL_DAYS: usize = 2 * SEASON;
/// Days needed for the trend-only fallback.
pub const MIN_TREND_DAYS: usize = 3;
/// Coefficients of the regression behind the trend-only interval:
/// intercept and slope.
const TREND_COEFS: usize = 2;
/// ... and behind the seasonal one: six weekday offsets more (the seventh
/// is the intercept).
const SEASONAL_COEFS: usize = TREND_COEFS + SEASON - 1;

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
    /// One-step residual standard deviation, SSE / (n − p).
    pub sigma: f64,
    /// Degrees of freedom left: n − p.
    pub dof: usize,
    /// Days of data the fit saw.
    n: usize,
    /// (XᵀX)⁻¹ of the regression the interval takes its leverage from,
    /// row-major; empty for a series too short to fit.
    xtx_inv: Vec<f64>,
    level: f64,
    trend: f64,
    season: Vec<f64>,
    /// Index the next forecast step has in the season cycle.
    next_t: usize,
}

/// One day of a forecast, or the horizon's total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A forecast: each day, and the total with the interval of the sum (not
/// the summed daily bounds, which would cover far more than asked).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub daily: Vec<Point>,
    pub total: Point,
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

/// Row of the interval's regression for day `t` of a series of `n` days:
/// intercept, day index (centred, which keeps XᵀX well conditioned), and
/// for the seasonal fit one indicator per weekday but the series' first
/// (the same `t mod 7` the season of the filter is indexed by).
fn design_row(t: usize, n: usize, seasonal: bool) -> Vec<f64> {
    let mut x = vec![1.0, t as f64 - (n as f64 - 1.0) / 2.0];
    if seasonal {
        x.extend((1..SEASON).map(|k| if t % SEASON == k { 1.0 } else { 0.0 }));
    }
    x
}

/// Inverse of the p × p row-major matrix `a` (Gauss-Jordan, partial
/// pivoting); `None` when it is singular.
fn invert(mut a: Vec<f64>, p: usize) -> Option<Vec<f64>> {
    let mut inv: Vec<f64> = (0..p * p).map(|i| if i / p == i % p { 1.0 } else { 0.0 }).collect();
    for col in 0..p {
        let pivot = (col..p).max_by(|&i, &j| a[i * p + col].abs().total_cmp(&a[j * p + col].abs()))?;
        if a[pivot * p + col].abs() < 1e-12 {
            return None;
        }
        for k in 0..p {
            a.swap(col * p + k, pivot * p + k);
            inv.swap(col * p + k, pivot * p + k);
        }
        let d = a[col * p + col];
        for k in 0..p {
            a[col * p + k] /= d;
            inv[col * p + k] /= d;
        }
        for r in (0..p).filter(|&r| r != col) {
            let f = a[r * p + col];
            if f != 0.0 {
                for k in 0..p {
                    a[r * p + k] -= f * a[col * p + k];
                    inv[r * p + k] -= f * inv[col * p + k];
                }
            }
        }
    }
    Some(inv)
}

/// (XᵀX)⁻¹ of the interval's regression over `n` days.
fn regression_inverse(n: usize, seasonal: bool) -> Vec<f64> {
    let p = if seasonal { SEASONAL_COEFS } else { TREND_COEFS };
    let mut xtx = vec![0.0; p * p];
    for t in 0..n {
        let x = design_row(t, n, seasonal);
        for i in 0..p {
            for j in 0..p {
                xtx[i * p + j] += x[i] * x[j];
            }
        }
    }
    // Never singular for the lengths that reach here (3 distinct days for
    // the trend, every weekday at least twice for the season); an empty
    // matrix would only drop the leverage term, never fail the forecast.
    invert(xtx, p).unwrap_or_default()
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
            dof: 0,
            n: y.len(),
            xtx_inv: Vec::new(),
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
    let p = if seasonal { SEASONAL_COEFS } else { TREND_COEFS };
    // n ≥ 3 > 2 and n ≥ 14 > 8: at least one degree of freedom is left.
    let dof = y.len().saturating_sub(p).max(1);
    Fit {
        kind: if seasonal { ModelKind::HoltWintersDamped } else { ModelKind::TrendOnly },
        params,
        sse,
        sigma: (sse / dof as f64).sqrt(),
        dof,
        n: y.len(),
        xtx_inv: regression_inverse(y.len(), seasonal),
        level: st.level,
        trend: st.trend,
        season: st.season,
        next_t: y.len(),
    }
}

impl Fit {
    /// xᵀ(XᵀX)⁻¹x: the variance, in units of σ², of the regression's
    /// estimate at `x`.
    fn leverage(&self, x: &[f64]) -> f64 {
        let p = x.len();
        if self.xtx_inv.len() != p * p {
            return 0.0;
        }
        (0..p).map(|i| x[i] * (0..p).map(|j| self.xtx_inv[i * p + j] * x[j]).sum::<f64>()).sum()
    }

    /// Forecasts `horizon` days, each and in total, with central prediction
    /// intervals of probability `coverage` (e.g. 0.9).
    pub fn forecast(&self, horizon: usize, coverage: f64) -> Forecast {
        let q = 0.5 + coverage.clamp(0.0, 0.999) / 2.0;
        let t = StudentsT::new(0.0, 1.0, self.dof.max(1) as f64).map(|d| d.inverse_cdf(q)).unwrap_or(6.314);
        let p = self.params;
        let seasonal = self.kind == ModelKind::HoltWintersDamped;
        // c_j for j = 1 … horizon − 1: how much a shock moves the forecast j days on.
        let c: Vec<f64> = (1..horizon)
            .scan(0.0, |phi_j, j| {
                *phi_j += p.phi.powi(j as i32); // φ + … + φ^j
                Some(p.alpha + p.beta * *phi_j + if seasonal && j % SEASON == 0 { p.gamma } else { 0.0 })
            })
            .collect();
        let mut daily = Vec::with_capacity(horizon);
        let mut phi_sum = 0.0; // φ + … + φ^h
        let mut var_sum = 0.0; // Σ_{j<h} c_j²
        let mut x_sum: Vec<f64> = Vec::new(); // Σ_h x(h), the total's regression row
        for h in 1..=horizon {
            phi_sum += p.phi.powi(h as i32);
            let s = if seasonal { self.season[(self.next_t + h - 1) % SEASON] } else { 0.0 };
            let mean = self.level + phi_sum * self.trend + s;
            if h > 1 {
                var_sum += c[h - 2] * c[h - 2];
            }
            let x = design_row(self.n + h - 1, self.n, seasonal);
            let sd = self.sigma * (1.0 + var_sum + self.leverage(&x)).sqrt();
            if x_sum.is_empty() {
                x_sum = x;
            } else {
                x_sum.iter_mut().zip(&x).for_each(|(a, b)| *a += b);
            }
            daily.push(Point { mean: mean.max(0.0), lo: (mean - t * sd).max(0.0), hi: (mean + t * sd).max(0.0) });
        }
        // Shock k (k = 1 … H) counts once on its own day and c_1 + … + c_{H−k}
        // on the days after it.
        let mut shocks = 0.0;
        let mut c_cum = 0.0;
        for k in (1..=horizon).rev() {
            shocks += (1.0 + c_cum) * (1.0 + c_cum);
            if let Some(cj) = c.get(horizon - k) {
                c_cum += cj;
            }
        }
        // A fold from +0.0: an empty f64 `sum()` is -0.0, printed as "-0.0".
        let mean = daily.iter().fold(0.0, |sum, d| sum + d.mean);
        let sd = if horizon == 0 { 0.0 } else { self.sigma * (shocks + self.leverage(&x_sum)).sqrt() };
        Forecast { daily, total: Point { mean, lo: (mean - t * sd).max(0.0), hi: mean + t * sd } }
    }
}

impl Forecast {
    /// The forecast with its first day made a partial one: `spent` is
    /// already spent on it and `rest` (0 to 1) of the day is still to
    /// come. The day becomes what is spent plus `rest` of the model's
    /// whole-day forecast, its interval `rest` of the whole day's shifted
    /// by what is spent; so it is never below what is spent. The total
    /// moves by as much, its bounds floored at what is spent; its width is
    /// the whole-day one, a little wide for the part of the day that is
    /// already known.
    pub fn with_partial_first_day(mut self, spent: f64, rest: f64) -> Forecast {
        let rest = if rest.is_finite() { rest.clamp(0.0, 1.0) } else { 1.0 };
        let spent = if spent.is_finite() { spent.max(0.0) } else { 0.0 };
        let Some(first) = self.daily.first_mut() else { return self };
        let whole = *first;
        *first = Point { mean: spent + rest * whole.mean, lo: spent + rest * whole.lo, hi: spent + rest * whole.hi };
        let delta = first.mean - whole.mean;
        let t = self.total;
        let mean = t.mean + delta;
        self.total = Point { mean, lo: (t.lo + delta).clamp(spent, mean), hi: (t.hi + delta).max(mean) };
        self
    }
}

/// Fewest days a backtest scores: the error of one or two held-out days
/// is chance, not a measure (a group with five days of history once
/// showed 1.5 %, the best of its table, while forecasting $1,420 on $52).
pub const MIN_BACKTEST_DAYS: usize = 3;

/// Mean absolute percentage error of a model fitted on all but the last
/// `holdout` days and scored on them (days with zero spend are skipped).
/// `None` when the series is too short to hold anything out, or fewer
/// than [`MIN_BACKTEST_DAYS`] days would be scored.
pub fn backtest_mape(y: &[f64], holdout: usize) -> Option<f64> {
    if holdout < MIN_BACKTEST_DAYS || y.len() < holdout + MIN_TREND_DAYS {
        return None;
    }
    let (train, test) = y.split_at(y.len() - holdout);
    let f = fit(train);
    if f.kind == ModelKind::TooShort {
        return None;
    }
    let pred = f.forecast(holdout, 0.9).daily;
    let errs: Vec<f64> = test.iter().zip(&pred).filter(|(a, _)| **a > 0.0).map(|(a, p)| ((a - p.mean) / a).abs()).collect();
    if errs.len() < MIN_BACKTEST_DAYS {
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
        let p = f.forecast(7, 0.9).daily;
        for (h, pt) in p.iter().enumerate() {
            let truth = 10.0 + 2.0 * (28 + h) as f64;
            assert!((pt.mean - truth).abs() / truth < 0.05, "h={h} {pt:?} vs {truth}");
        }
    }

    #[test]
    fn short_series_fall_back() {
        assert_eq!(fit(&[1.0, 2.0]).kind, ModelKind::TooShort);
        assert_eq!(fit(&[1.0, 2.0, 3.0, 4.0]).kind, ModelKind::TrendOnly);
        assert!(fit(&[]).forecast(3, 0.9).daily.iter().all(|p| p.mean == 0.0));
    }

    /// Three days leave one degree of freedom: the interval is the Student
    /// t one (6.31 at 90 %, not the normal 1.645), widens with the distance
    /// from the data, and the total's is that of the sum.
    #[test]
    fn a_three_day_interval_is_wide_and_widens() {
        let f = fit(&[110.28, 113.63, 128.9]);
        assert_eq!((f.kind, f.dof), (ModelKind::TrendOnly, 1));
        let fc = f.forecast(7, 0.9);
        let half = |p: &Point| (p.hi - p.lo) / 2.0;
        // Day 1 (t = 3, two days from the centre t̄ = 1): λ = 1/3 + 2²/2.
        let lambda1: f64 = 1.0 / 3.0 + 2.0;
        let expect = 6.3138 * f.sigma * (1.0 + lambda1).sqrt();
        assert!((half(&fc.daily[0]) - expect).abs() < 1e-2 * expect, "{:?} vs ±{expect}", fc.daily[0]);
        assert!(fc.daily.windows(2).all(|w| half(&w[1]) > half(&w[0])), "{:?}", fc.daily);
        assert!(half(&fc.daily[6]) > 2.0 * half(&fc.daily[0]), "{:?}", fc.daily);
        // The sum's spread lies between that of independent days and that of
        // days moving together.
        let sds: Vec<f64> = fc.daily.iter().map(half).collect();
        let total = (fc.total.hi - fc.total.mean).max(fc.total.mean - fc.total.lo);
        assert!(total <= sds.iter().sum::<f64>() + 1e-9, "{:?}", fc.total);
        assert!(total >= sds.iter().map(|s| s * s).sum::<f64>().sqrt() - 1e-9, "{:?}", fc.total);
    }

    /// A partial first day is never forecast below what it has spent, and
    /// the rest of it is the model's share of a whole day.
    #[test]
    fn a_partial_first_day_keeps_what_is_spent() {
        let fc = fit(&[100.0, 104.0, 98.0, 102.0, 101.0, 99.0, 100.0]).forecast(3, 0.9);
        let quarter_left = fc.clone().with_partial_first_day(180.0, 0.25);
        let (d0, p0) = (fc.daily[0], quarter_left.daily[0]);
        assert!((p0.mean - (180.0 + 0.25 * d0.mean)).abs() < 1e-9, "{p0:?}");
        assert!(p0.lo >= 180.0 && p0.lo <= p0.mean && p0.mean <= p0.hi, "{p0:?}");
        assert!(((p0.hi - p0.lo) - 0.25 * (d0.hi - d0.lo)).abs() < 1e-9, "{p0:?} vs {d0:?}");
        assert_eq!(quarter_left.daily[1..], fc.daily[1..]);
        let sum = quarter_left.daily.iter().map(|p| p.mean).sum::<f64>();
        let t = quarter_left.total;
        assert!((t.mean - sum).abs() < 1e-9 && t.lo >= 180.0 && t.lo <= t.mean && t.mean <= t.hi, "{t:?}");
        // Nothing spent with the whole day to come is the whole-day forecast.
        assert_eq!(fc.clone().with_partial_first_day(0.0, 1.0), fc);
    }

    #[test]
    fn the_inverse_inverts() {
        let inv = regression_inverse(14, true);
        let p = SEASONAL_COEFS;
        let mut xtx = vec![0.0; p * p];
        for t in 0..14 {
            let x = design_row(t, 14, true);
            for i in 0..p {
                for j in 0..p {
                    xtx[i * p + j] += x[i] * x[j];
                }
            }
        }
        for i in 0..p {
            for j in 0..p {
                let v: f64 = (0..p).map(|k| xtx[i * p + k] * inv[k * p + j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9, "({i},{j}) = {v}");
            }
        }
        assert!(invert(vec![1.0, 2.0, 2.0, 4.0], 2).is_none());
    }
}
