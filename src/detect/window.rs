//! Rolling event-time windows: a bucketed sum (spend per agent, per fleet)
//! and a bucketed HdrHistogram (cost and length baselines).
//!
//! Owns: bucket rotation on event time, bounded memory, quantile caching.
//! Both windows advance only with the timestamps they are given; nothing
//! here reads a clock.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

/// Sum of values over the last `buckets × bucket_ms` of event time.
#[derive(Debug, Clone)]
pub struct RollingSum {
    bucket_ms: i64,
    values: Box<[f64]>,
    /// Bucket number (ts / bucket_ms) of the newest bucket.
    head: i64,
    /// Running sum of `values`, recomputed whenever a bucket rotates out so
    /// float error cannot accumulate.
    sum: f64,
    /// Index of the head bucket in `values`.
    head_slot: usize,
}

/// Whether `ts_ms` falls in bucket number `bucket` of width `width`,
/// without a division (overflow counts as no).
fn in_bucket(ts_ms: i64, bucket: i64, width: i64) -> bool {
    bucket.checked_mul(width).and_then(|start| ts_ms.checked_sub(start)).is_some_and(|d| (0..width).contains(&d))
}

impl RollingSum {
    pub fn new(window_ms: i64, buckets: usize) -> RollingSum {
        let buckets = buckets.max(1);
        RollingSum {
            bucket_ms: (window_ms / buckets as i64).max(1),
            values: vec![0.0; buckets].into_boxed_slice(),
            head: i64::MIN,
            sum: 0.0,
            head_slot: 0,
        }
    }

    fn advance_to(&mut self, bucket: i64) {
        let n = self.values.len() as i64;
        if self.head == i64::MIN || bucket - self.head >= n {
            self.values.iter_mut().for_each(|v| *v = 0.0);
            self.head = bucket;
            self.head_slot = bucket.rem_euclid(n) as usize;
            self.sum = 0.0;
            return;
        }
        while self.head < bucket {
            self.head += 1;
            self.values[self.head.rem_euclid(n) as usize] = 0.0;
        }
        self.head_slot = self.head.rem_euclid(n) as usize;
        self.sum = self.values.iter().sum();
    }

    /// Adds `x` at event time `ts_ms`; values older than the window are
    /// dropped. Returns the window's sum after the add.
    pub fn add(&mut self, ts_ms: i64, x: f64) -> f64 {
        // Most adds land in the head bucket: no division for them.
        if self.head != i64::MIN && in_bucket(ts_ms, self.head, self.bucket_ms) {
            if let Some(v) = self.values.get_mut(self.head_slot) {
                *v += x;
                self.sum += x;
            }
            return self.sum;
        }
        let b = ts_ms.div_euclid(self.bucket_ms);
        if self.head == i64::MIN || b > self.head {
            self.advance_to(b);
        }
        let n = self.values.len() as i64;
        if b > self.head - n {
            self.values[b.rem_euclid(n) as usize] += x;
            self.sum += x;
        }
        self.sum
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Empties the window if its newest bucket starts after `ts_ms`: a time
    /// the stream turned out never to have reached (one event with a clock
    /// far ahead). Whatever the window held before that bucket opened was
    /// already rotated out by it.
    pub fn forget_if_ahead_of(&mut self, ts_ms: i64) {
        if self.head != i64::MIN && self.head.saturating_mul(self.bucket_ms) > ts_ms {
            *self = RollingSum::new(self.bucket_ms * self.values.len() as i64, self.values.len());
        }
    }
}

/// Quantiles cached from a [`RollingHistogram`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quantiles {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// An HdrHistogram over a rolling event-time window, kept as one histogram
/// per sub-window plus the sum of all but the newest, with quantiles cached between
/// refreshes so a lookup costs no scan. Values are scaled integers (the
/// caller picks the unit); one significant digit (~6% relative error) is
/// ample for ratio thresholds and keeps each histogram around a kilobyte.
#[derive(Debug, Clone)]
pub struct RollingHistogram {
    bucket_ms: i64,
    max_buckets: usize,
    buckets: VecDeque<(i64, Histogram<u32>)>,
    /// Every held sub-window but the newest, summed: a value is recorded
    /// once (into the newest) instead of twice, and the newest is folded in
    /// when the next one opens; quantiles merge the two at refresh.
    closed: Histogram<u32>,
    cached: Quantiles,
    since_refresh: u32,
}

fn new_hist() -> Histogram<u32> {
    // Auto-resizing with lowest discernible value 1: construction only
    // fails for invalid bounds, which these constants are not.
    let mut h = Histogram::new(1).expect("valid histogram bounds");
    h.auto(true);
    h
}

impl RollingHistogram {
    pub fn new(window_ms: i64, buckets: usize) -> RollingHistogram {
        let buckets = buckets.max(1);
        RollingHistogram {
            bucket_ms: (window_ms / buckets as i64).max(1),
            max_buckets: buckets,
            buckets: VecDeque::with_capacity(buckets),
            closed: new_hist(),
            cached: Quantiles::default(),
            since_refresh: 0,
        }
    }

    /// As [`RollingSum::forget_if_ahead_of`].
    pub fn forget_if_ahead_of(&mut self, ts_ms: i64) {
        if self.buckets.back().is_some_and(|(n, _)| n.saturating_mul(self.bucket_ms) > ts_ms) {
            *self = RollingHistogram::new(self.bucket_ms * self.max_buckets as i64, self.max_buckets);
        }
    }

    /// Records `value` (≥ 1 after clamping) at event time `ts_ms`.
    pub fn record(&mut self, ts_ms: i64, value: u64) {
        let value = value.max(1);
        // Most values land in the newest sub-window: record there directly.
        if let Some((n, h)) = self.buckets.back_mut() {
            if in_bucket(ts_ms, *n, self.bucket_ms) {
                if h.record(value).is_ok() {
                    self.since_refresh += 1;
                }
                return;
            }
        }
        let newest = self.buckets.back().map(|(n, _)| *n);
        let b = ts_ms.div_euclid(self.bucket_ms);
        let idx = match newest {
            Some(n) if b == n => Some(self.buckets.len() - 1),
            Some(n) if b < n => {
                // Late event: into its own sub-window if still held.
                match self.buckets.iter().position(|(bn, _)| *bn == b) {
                    Some(i) => Some(i),
                    None if b > self.buckets.front().map(|f| f.0).unwrap_or(i64::MAX) => {
                        // A gap sub-window that was never created: use the next older held one.
                        self.buckets.iter().rposition(|(bn, _)| *bn < b)
                    }
                    None => None,
                }
            }
            _ => {
                if let Some((_, newest)) = self.buckets.back() {
                    // `closed`'s range grows to cover it (auto-resize).
                    let _ = self.closed.add(newest);
                }
                self.buckets.push_back((b, new_hist()));
                self.expire(b);
                Some(self.buckets.len() - 1)
            }
        };
        let Some(i) = idx else { return };
        let newest = i + 1 == self.buckets.len();
        if self.buckets[i].1.record(value).is_ok() && (newest || self.closed.record(value).is_ok()) {
            self.since_refresh += 1;
        }
    }

    fn expire(&mut self, newest: i64) {
        let mut changed = false;
        while let Some((n, _)) = self.buckets.front() {
            if *n > newest - self.max_buckets as i64 {
                break;
            }
            if let Some((_, h)) = self.buckets.pop_front() {
                // Never the newest (one was just opened), so `closed` holds
                // every value of `h` and its range covers h's.
                let _ = self.closed.subtract(&h);
                changed = true;
            }
        }
        if changed {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.since_refresh = 0;
        let newest = self.buckets.back().map(|(_, h)| h).filter(|h| !h.is_empty());
        let merged;
        let total = match newest {
            None => &self.closed,
            Some(h) if self.closed.is_empty() => h,
            Some(h) => {
                let mut m = self.closed.clone();
                if m.add(h).is_err() {
                    return;
                }
                merged = m;
                &merged
            }
        };
        let count = total.len();
        if count == 0 {
            self.cached = Quantiles::default();
            return;
        }
        self.cached = Quantiles {
            count,
            p50: total.value_at_quantile(0.50) as f64,
            p95: total.value_at_quantile(0.95) as f64,
            p99: total.value_at_quantile(0.99) as f64,
        };
    }

    /// The quantiles, recomputed lazily once enough new samples arrived
    /// since the last computation (1/32 of the window's samples, between 8
    /// and 64): a scan of the histogram per call would cost more than the
    /// rest of the detector, and a baseline nobody asks about costs nothing.
    pub fn quantiles(&mut self) -> Quantiles {
        let due = (self.len() / 32).clamp(8, 64) as u32;
        if self.since_refresh >= due || (self.cached.count == 0 && !self.is_empty()) {
            self.refresh();
        }
        self.cached
    }

    /// Samples currently in the window (exact, not cached).
    pub fn len(&self) -> u64 {
        self.closed.len() + self.buckets.back().map_or(0, |(_, h)| h.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        let per = |h: &Histogram<u32>| h.distinct_values() * 4 + 128;
        per(&self.closed) + self.buckets.iter().map(|(_, h)| per(h)).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_sum_forgets_old_buckets() {
        let mut s = RollingSum::new(60_000, 6);
        s.add(0, 1.0);
        s.add(30_000, 2.0);
        assert_eq!(s.sum(), 3.0);
        s.add(65_000, 4.0);
        assert_eq!(s.sum(), 6.0); // bucket 0 (0..10s) dropped
        s.add(200_000, 1.0);
        assert_eq!(s.sum(), 1.0);
    }

    #[test]
    fn rolling_histogram_quantiles_and_expiry() {
        let mut h = RollingHistogram::new(3_600_000, 6);
        for i in 0..1000 {
            h.record(i, 100);
        }
        assert!((h.quantiles().p50 - 100.0).abs() <= 6.0);
        assert_eq!(h.quantiles().count, 1000);
        // Two windows later everything old is gone.
        for i in 0..100 {
            h.record(8_000_000 + i, 1000);
        }
        h.refresh();
        assert_eq!(h.len(), 100);
        assert!((h.quantiles().p50 - 1000.0).abs() <= 64.0, "{:?}", h.quantiles());
    }
}
