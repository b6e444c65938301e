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
    /// Values stamped past the head that shared time has not reached (an
    /// event held by the clock-jump guard), by bucket number: kept at their
    /// own time, out of the sum, until the head gets there. Moving the head
    /// to them would expire the whole window for one wrong clock; counting
    /// them at the head would put a stream's first spend after a quiet hour
    /// in the hour before it.
    ahead: Vec<(i64, f64)>,
}

/// Buckets ahead of the head a window keeps apart; past it, a value is
/// counted at the head (what one wrong clock can do is bounded either way).
const AHEAD_CAP: usize = 16;

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
            ahead: Vec::new(),
        }
    }

    /// The window's span (set at creation).
    pub fn window_ms(&self) -> i64 {
        self.bucket_ms.saturating_mul(self.values.len() as i64)
    }

    fn advance_to(&mut self, bucket: i64) {
        let n = self.values.len() as i64;
        if self.head == i64::MIN || bucket - self.head >= n {
            self.values.iter_mut().for_each(|v| *v = 0.0);
            self.head = bucket;
            self.head_slot = bucket.rem_euclid(n) as usize;
            self.sum = 0.0;
        } else {
            while self.head < bucket {
                self.head += 1;
                self.values[self.head.rem_euclid(n) as usize] = 0.0;
            }
            self.head_slot = self.head.rem_euclid(n) as usize;
        }
        if !self.ahead.is_empty() {
            self.fold_ahead();
        }
        self.sum = self.values.iter().sum();
    }

    /// Moves values kept ahead into the buckets the head now covers (those
    /// already out of the window are gone).
    #[cold]
    fn fold_ahead(&mut self) {
        let n = self.values.len() as i64;
        let (head, values) = (self.head, &mut self.values);
        self.ahead.retain(|&(b, x)| {
            if b > head {
                return true;
            }
            if b > head - n {
                values[b.rem_euclid(n) as usize] += x;
            }
            false
        });
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

    /// Adds `x` at event time `ts_ms`, which shared time has not reached
    /// (held by the clock-jump guard at `held_ms`): the window does not move
    /// to it, but the value is counted at its own time. Returns the sum of
    /// the window ending at `ts_ms`, the value included: what was spent in
    /// the span before it, by its own clock.
    pub fn add_ahead(&mut self, held_ms: i64, ts_ms: i64, x: f64) -> f64 {
        let b = ts_ms.div_euclid(self.bucket_ms);
        if self.head != i64::MIN && b <= self.head {
            return self.add(ts_ms, x);
        }
        match self.ahead.iter().position(|(k, _)| *k == b) {
            Some(i) => self.ahead[i].1 += x,
            None if self.ahead.len() < AHEAD_CAP => self.ahead.push((b, x)),
            None => return self.add(held_ms, x),
        }
        self.sum_at(ts_ms)
    }

    /// (bucket, value) of what the window ending at `ts_ms` holds: the
    /// buckets up to the head and the values kept ahead up to `ts_ms`.
    fn view(&self, ts_ms: i64) -> Vec<(i64, f64)> {
        let n = self.values.len() as i64;
        let end = if self.head == i64::MIN { ts_ms.div_euclid(self.bucket_ms) } else { self.head.max(ts_ms.div_euclid(self.bucket_ms)) };
        let mut out: Vec<(i64, f64)> = Vec::with_capacity(self.values.len() + self.ahead.len());
        if self.head != i64::MIN {
            for k in (self.head - n + 1).max(end - n + 1)..=self.head {
                let v = self.values[k.rem_euclid(n) as usize];
                if v != 0.0 {
                    out.push((k, v));
                }
            }
        }
        out.extend(self.ahead.iter().copied().filter(|&(k, _)| k > end - n && k <= end));
        out.sort_by_key(|&(k, _)| k);
        out
    }

    /// The sum of the window ending at `ts_ms` (at or after the head).
    fn sum_at(&self, ts_ms: i64) -> f64 {
        self.view(ts_ms).iter().map(|&(_, v)| v).sum()
    }

    /// The earliest event time, from the window ending at `ts_ms` (at or
    /// after the head, as the latest add saw it), at which its sum passes
    /// `ok` if nothing more is added: the time its oldest values drop out,
    /// to the bucket. `ts_ms` itself when it passes already.
    pub fn falls_back_at(&self, ts_ms: i64, ok: impl Fn(f64) -> bool) -> i64 {
        let view = self.view(ts_ms);
        let n = self.values.len() as i64;
        // What remains once every bucket up to the i-th is out, summed anew
        // each time so float error does not build up.
        for i in 0..view.len() {
            let remaining: f64 = view[i..].iter().map(|&(_, v)| v).sum();
            if ok(remaining) {
                return if i == 0 { ts_ms } else { (view[i - 1].0 + n).saturating_mul(self.bucket_ms).max(ts_ms) };
            }
        }
        view.last().map_or(ts_ms, |&(k, _)| (k + n).saturating_mul(self.bucket_ms).max(ts_ms))
    }

    /// Empties the window if its newest bucket starts after `ts_ms`: a time
    /// the stream turned out never to have reached (one event with a clock
    /// far ahead). Whatever the window held before that bucket opened was
    /// already rotated out by it.
    pub fn forget_if_ahead_of(&mut self, ts_ms: i64) {
        if self.head != i64::MIN && self.head.saturating_mul(self.bucket_ms) > ts_ms {
            let ahead = std::mem::take(&mut self.ahead);
            *self = RollingSum::new(self.bucket_ms * self.values.len() as i64, self.values.len());
            self.ahead = ahead;
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

/// An HdrHistogram over a rolling event-time window: one histogram per
/// sub-window, with quantiles cached between refreshes so a lookup costs no
/// scan. Values are scaled integers (the caller picks the unit); one
/// significant digit (~6% relative error) is ample for ratio thresholds and
/// keeps each histogram around a kilobyte.
///
/// The newest sub-window, where almost every value lands, and the sum of
/// the older ones are counted in [`Counts`]: the same buckets as the
/// histograms, without their per-value bookkeeping (recording every value
/// into a histogram, and merging two at every refresh, was a fifth of the
/// detector's time). The newest becomes an HdrHistogram when the next
/// sub-window opens; an expired one is taken out of the sum by its buckets.
/// Every count lands in the bucket it would have, so every quantile is the
/// one a histogram of all the window's values gives (a unit test holds the
/// two to it).
#[derive(Debug, Clone)]
pub struct RollingHistogram {
    bucket_ms: i64,
    max_buckets: usize,
    /// Held sub-windows older than the newest, oldest first.
    older: VecDeque<(i64, Histogram<u32>)>,
    /// The newest sub-window's number, once a value was recorded.
    newest: Option<i64>,
    fresh: Counts,
    /// The `older` sub-windows summed.
    closed: Counts,
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

/// Counts by HdrHistogram bucket index, for `Histogram::new(1)` (lowest
/// discernible value 1, one significant digit): 32 sub-buckets, of which
/// each power of two past the first uses the upper 16. Index arithmetic as
/// in the hdrhistogram crate; a unit test holds the two to the same buckets.
#[derive(Debug, Clone, Default)]
struct Counts {
    counts: Vec<u32>,
    total: u64,
}

/// `64 - log2(sub-bucket count)`.
const LEADING_ZERO_COUNT_BASE: u32 = 59;
const SUB_BUCKET_MASK: u64 = 31;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 4;
const SUB_BUCKET_HALF_COUNT: u64 = 16;

impl Counts {
    fn index(value: u64) -> usize {
        let bucket = LEADING_ZERO_COUNT_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
        let sub_bucket = value >> bucket;
        (((u64::from(bucket) + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF_COUNT) as usize
    }

    /// The lowest value of bucket `index`: recorded in its place, it lands
    /// in the same bucket.
    fn lowest(index: usize) -> u64 {
        let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
        let sub_bucket = (index as u64 & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
        if bucket < 0 {
            sub_bucket - SUB_BUCKET_HALF_COUNT
        } else {
            sub_bucket << bucket
        }
    }

    /// The highest value of bucket `index`, as `Histogram::value_at_quantile`
    /// reports a quantile.
    fn highest(index: usize) -> u64 {
        let bucket = ((index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as u32).saturating_sub(1);
        Self::lowest(index) + (1u64 << bucket) - 1
    }

    fn add(&mut self, value: u64) {
        let index = Self::index(value);
        if index >= self.counts.len() {
            self.counts.resize(index + 1, 0);
        }
        if let Some(c) = self.counts.get_mut(index) {
            *c = c.saturating_add(1);
        }
        self.total += 1;
    }

    fn add_counts(&mut self, other: &Counts) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c = c.saturating_add(*o);
        }
        self.total += other.total;
    }

    /// Takes out what `h` counted (whose values this holds).
    fn subtract(&mut self, h: &Histogram<u32>) {
        for v in h.iter_recorded() {
            let (i, n) = (Self::index(v.value_iterated_to()), v.count_at_value());
            if let Some(c) = self.counts.get_mut(i) {
                let taken = n.min(*c);
                *c -= taken;
                self.total -= u64::from(taken);
            }
        }
    }

    /// A histogram of these counts.
    fn histogram(&self) -> Histogram<u32> {
        let mut h = new_hist();
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                let _ = h.record_n(Self::lowest(i), c);
            }
        }
        h
    }

    fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
    }

    /// p50, p95 and p99 of `a` and `b` together in one pass, as
    /// `Histogram::value_at_quantile` computes each on a histogram of both
    /// (quickest when the two are equally long).
    fn quantiles(a: &Counts, b: &Counts) -> Quantiles {
        let total = a.total + b.total;
        let target = |q: f64| ((q * total as f64).ceil() as u64).max(1);
        let targets = [target(0.50), target(0.95), target(0.99)];
        let mut found = [0u64; 3];
        let (long, short) = if a.counts.len() >= b.counts.len() { (&a.counts, &b.counts) } else { (&b.counts, &a.counts) };
        let count = |i: usize| u64::from(long.get(i).copied().unwrap_or(0)) + u64::from(short.get(i).copied().unwrap_or(0));
        // Eight buckets at a time until a chunk passes the next target
        // (vectorised), then bucket by bucket.
        const CHUNK: usize = 8;
        let (mut next, mut sum, mut i) = (0, 0u64, 0);
        while next < 3 && i < long.len() {
            if let (Some(l), Some(s)) = (long.get(i..i + CHUNK), short.get(i..i + CHUNK)) {
                let chunk: u64 = l.iter().zip(s).map(|(x, y)| u64::from(*x) + u64::from(*y)).sum();
                if sum + chunk < targets[next] {
                    sum += chunk;
                    i += CHUNK;
                    continue;
                }
            }
            sum += count(i);
            while next < 3 && sum >= targets[next] {
                found[next] = Self::highest(i);
                next += 1;
            }
            i += 1;
        }
        Quantiles { count: total, p50: found[0] as f64, p95: found[1] as f64, p99: found[2] as f64 }
    }

    fn heap_bytes(&self) -> usize {
        self.counts.capacity() * 4
    }
}

impl RollingHistogram {
    pub fn new(window_ms: i64, buckets: usize) -> RollingHistogram {
        let buckets = buckets.max(1);
        RollingHistogram {
            bucket_ms: (window_ms / buckets as i64).max(1),
            max_buckets: buckets,
            older: VecDeque::with_capacity(buckets),
            newest: None,
            fresh: Counts::default(),
            closed: Counts::default(),
            cached: Quantiles::default(),
            since_refresh: 0,
        }
    }

    /// As [`RollingSum::forget_if_ahead_of`].
    pub fn forget_if_ahead_of(&mut self, ts_ms: i64) {
        if self.newest.is_some_and(|n| n.saturating_mul(self.bucket_ms) > ts_ms) {
            *self = RollingHistogram::new(self.bucket_ms * self.max_buckets as i64, self.max_buckets);
        }
    }

    /// Records `value` (≥ 1 after clamping) at event time `ts_ms`.
    pub fn record(&mut self, ts_ms: i64, value: u64) {
        let value = value.max(1);
        // Most values land in the newest sub-window: count them there.
        if let Some(n) = self.newest {
            if in_bucket(ts_ms, n, self.bucket_ms) {
                self.fresh.add(value);
                self.since_refresh += 1;
                return;
            }
        }
        let b = ts_ms.div_euclid(self.bucket_ms);
        match self.newest {
            Some(n) if b == n => {}
            Some(n) if b < n => {
                // Late event: into its own sub-window if still held, else
                // into a gap sub-window's next older held one.
                let i = match self.older.iter().position(|(bn, _)| *bn == b) {
                    Some(i) => Some(i),
                    None if self.older.front().is_some_and(|f| b > f.0) => self.older.iter().rposition(|(bn, _)| *bn < b),
                    None => None,
                };
                let Some((_, h)) = i.and_then(|i| self.older.get_mut(i)) else { return };
                if h.record(value).is_ok() {
                    self.closed.add(value);
                    self.since_refresh += 1;
                }
                return;
            }
            _ => {
                if let Some(n) = self.newest {
                    // The newest sub-window closes: a histogram of its own,
                    // taken out of the sum when it expires.
                    self.older.push_back((n, self.fresh.histogram()));
                    self.closed.add_counts(&self.fresh);
                    self.fresh.clear();
                }
                self.newest = Some(b);
                self.expire(b);
            }
        }
        self.fresh.add(value);
        self.since_refresh += 1;
    }

    fn expire(&mut self, newest: i64) {
        let mut changed = false;
        while let Some((n, _)) = self.older.front() {
            if *n > newest - self.max_buckets as i64 {
                break;
            }
            if let Some((_, h)) = self.older.pop_front() {
                self.closed.subtract(&h);
                changed = true;
            }
        }
        if changed {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.since_refresh = 0;
        // Equally long, so the scan can take both eight buckets at a time.
        let len = self.closed.counts.len().max(self.fresh.counts.len());
        self.closed.counts.resize(len, 0);
        self.fresh.counts.resize(len, 0);
        self.cached = if self.is_empty() { Quantiles::default() } else { Counts::quantiles(&self.closed, &self.fresh) };
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
        self.closed.total + self.fresh.total
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        let per = |h: &Histogram<u32>| h.distinct_values() * 4 + 128;
        self.closed.heap_bytes() + self.fresh.heap_bytes() + self.older.iter().map(|(_, h)| per(h)).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod reference {
        //! The rolling histogram as it was before [`Counts`]: every value
        //! recorded into an HdrHistogram. The two must agree exactly.
        use super::super::new_hist;
        use super::*;

        /// An HdrHistogram over a rolling event-time window, kept as one histogram
        /// per sub-window plus the sum of all but the newest, with quantiles cached between
        /// refreshes so a lookup costs no scan. Values are scaled integers (the
        /// caller picks the unit); one significant digit (~6% relative error) is
        /// ample for ratio thresholds and keeps each histogram around a kilobyte.
        #[derive(Debug, Clone)]
        pub struct Reference {
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

        impl Reference {
            pub fn new(window_ms: i64, buckets: usize) -> Reference {
                let buckets = buckets.max(1);
                Reference {
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
                    *self = Reference::new(self.bucket_ms * self.max_buckets as i64, self.max_buckets);
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
        }
    }

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

    const MIN: i64 = 60_000;

    #[test]
    fn a_value_held_ahead_counts_at_its_own_time() {
        // The first spend after a quiet hour: not in the hour before it.
        let mut s = RollingSum::new(60 * MIN, 60);
        s.add(0, 30.0);
        assert_eq!(s.add_ahead(0, 61 * MIN, 15.0), 15.0);
        assert_eq!(s.sum(), 30.0, "the window itself does not move");
        assert_eq!(s.add_ahead(0, 61 * MIN + 1, 5.0), 20.0);
        // The stream gets there: the $30 is gone, what was held ahead is in.
        assert_eq!(s.add(62 * MIN, 1.0), 21.0);
        // One value a year ahead (a wrong clock) empties nothing.
        let mut s = RollingSum::new(60 * MIN, 60);
        s.add(0, 30.0);
        assert_eq!(s.add_ahead(0, 365 * 24 * 60 * MIN, 1.0), 1.0);
        assert_eq!(s.add(10 * MIN, 15.0), 45.0);
        // Past the cap of buckets kept ahead (the year-ahead one is one of
        // them), a value counts at the held time.
        for i in 1..AHEAD_CAP as i64 {
            s.add_ahead(10 * MIN, (100 + i) * 24 * 60 * MIN, 1.0);
        }
        assert_eq!(s.add_ahead(10 * MIN, 1000 * 24 * 60 * MIN, 2.0), 47.0);
    }

    #[test]
    fn falls_back_at_is_when_the_oldest_values_leave() {
        let mut s = RollingSum::new(60 * MIN, 60);
        for i in 0..4 {
            s.add(i * MIN, 10.0);
        }
        assert_eq!(s.add(30 * MIN, 5.0), 45.0);
        // $10 of 00:00 leaves at 01:00: $35.
        assert_eq!(s.falls_back_at(30 * MIN, |x| x <= 40.0), 60 * MIN);
        assert_eq!(s.falls_back_at(30 * MIN, |x| x < 10.0), 63 * MIN);
        assert_eq!(s.falls_back_at(30 * MIN, |x| x < 1.0), 90 * MIN);
        assert_eq!(s.falls_back_at(30 * MIN, |x| x < 100.0), 30 * MIN);
        // Seen from a value held ahead, from its own time.
        let mut s = RollingSum::new(60 * MIN, 60);
        s.add(0, 30.0);
        s.add_ahead(0, 61 * MIN, 50.0);
        assert_eq!(s.falls_back_at(61 * MIN, |x| x <= 40.0), 121 * MIN);
        assert_eq!(s.window_ms(), 60 * MIN);
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

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn counts_buckets_are_the_histograms_buckets(v in 1u64..(1 << 62)) {
            let h = new_hist();
            prop_assert_eq!(Counts::lowest(Counts::index(v)), h.lowest_equivalent(v));
        }

        #[test]
        fn rolling_histogram_agrees_with_recording_every_value(
            steps in proptest::collection::vec((0i64..40, (1u64..5_000_000).prop_map(|v| v >> (v % 23)), 0u8..10), 1..400),
        ) {
            let (window_ms, buckets) = (60_000, 6);
            let mut new = RollingHistogram::new(window_ms, buckets);
            let mut old = reference::Reference::new(window_ms, buckets);
            let mut ts = 1_767_225_600_000i64;
            for (advance_s, value, late) in steps {
                ts += advance_s * 1000;
                // One event in ten is late, up to two minutes.
                let at = if late == 0 { ts - (value as i64 % 120_000) } else { ts };
                new.record(at, value);
                old.record(at, value);
                prop_assert_eq!(new.len(), old.len());
                prop_assert_eq!(new.quantiles(), old.quantiles());
            }
            new.forget_if_ahead_of(ts - 1_000_000);
            old.forget_if_ahead_of(ts - 1_000_000);
            prop_assert_eq!(new.len(), old.len());
        }
    }
}
