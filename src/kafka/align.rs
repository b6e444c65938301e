//! Event-time alignment of the partitions being consumed.
//!
//! Owns: the decoded records held back because another assigned partition
//! is behind them in event time, and the rule that releases them. Pure:
//! wall time comes in as an argument, records are opaque, no Kafka types.
//!
//! Why: in a catch-up librdkafka hands out each partition's backlog in
//! chunks (a fetch's worth, `max.partition.fetch.bytes`), so one
//! partition's records can arrive hours of event time ahead of another's.
//! Detection keeps state shared across partitions (baselines, agent and
//! fleet windows, sub-agent trees, ping-pong pairs, provider outages), and
//! read in that order it decides differently from file mode on the same
//! events. Released through here, records reach detection merged by event
//! time, nearly the order of a file sorted by `ts`.
//!
//! The rule. A record is released when it is the earliest (by `ts`) at the
//! head of any partition's queue and no partition with nothing queued may
//! still deliver something earlier. Such a partition holds a record back
//! unless it already delivered a record at or after `ts`, or it has read
//! all the broker holds (librdkafka's last fetch says so): what it
//! delivers next is new, so waiting for it restores no order (in a live
//! stream every partition is caught up, and nothing is held; a partition
//! whose producer's clock runs behind holds nothing back either).
//!
//! A partition not fetched yet, or with records left on the broker, is
//! waited for however long it is silent. Two bounds keep holding finite
//! whatever the input: no record waits longer than `max_hold` of wall
//! time, and no more than `max_held` records are held at once; past
//! either, the earliest is released anyway (`Release::Forced`). Records
//! without an event time (dead letters) wait only behind their own
//! partition's queue.
//!
//! Invariant: each partition's records leave in the order they came in, so
//! offsets stay in order and at-least-once bookkeeping is untouched.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The alignment's bounds (`runaway.align.*` properties).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignOptions {
    /// Whether records are aligned at all (off: released as they come).
    pub enabled: bool,
    /// Wall time a record is held at most.
    pub max_hold: Duration,
    /// Records held at most, over all partitions.
    pub max_held: usize,
}

impl Default for AlignOptions {
    fn default() -> Self {
        AlignOptions { enabled: true, max_hold: Duration::from_secs(1), max_held: 100_000 }
    }
}

impl AlignOptions {
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

struct Held<T> {
    ts: Option<i64>,
    arrived: Instant,
    item: T,
}

struct Lane<T> {
    partition: i32,
    queue: VecDeque<Held<T>>,
    /// Latest event time this partition delivered.
    latest_ts: Option<i64>,
    /// The offset after the latest record it delivered.
    next_offset: Option<i64>,
    /// Whether it has read all the broker held at its last fetch: only then
    /// is its lag in event time a live stream's jitter, not a backlog.
    caught_up: bool,
}

/// Why a record was released (for metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// No partition may still deliver an earlier record.
    InOrder,
    /// Held for `max_hold`, or over `max_held`: released before a
    /// partition that may still be behind it.
    Forced,
    /// Flushed for a rebalance or shutdown.
    Flushed,
}

/// Records of several partitions, released merged by event time.
pub struct Aligner<T> {
    opts: AlignOptions,
    lanes: Vec<Lane<T>>,
    held: usize,
}

impl<T> Aligner<T> {
    pub fn new(opts: AlignOptions) -> Aligner<T> {
        Aligner { opts, lanes: Vec::new(), held: 0 }
    }

    /// Records held now.
    pub fn held(&self) -> usize {
        self.held
    }

    /// A partition was assigned, to be read from `start` (its committed
    /// offset, or where a state replay begins; None: from its low
    /// watermark). Until it is known to have read all the broker holds, it
    /// may hold others back.
    pub fn assign(&mut self, partition: i32, start: Option<i64>) {
        if !self.lanes.iter().any(|l| l.partition == partition) {
            self.lanes.push(Lane { partition, queue: VecDeque::new(), latest_ts: None, next_offset: start, caught_up: false });
        }
    }

    /// A partition went away; what it held is returned in order (the caller
    /// flushes before a hand-over, so this is normally empty).
    pub fn remove(&mut self, partition: i32) -> Vec<T> {
        let Some(i) = self.lanes.iter().position(|l| l.partition == partition) else { return Vec::new() };
        let lane = self.lanes.swap_remove(i);
        self.held -= lane.queue.len();
        lane.queue.into_iter().map(|h| h.item).collect()
    }

    /// Takes in the record at `offset` of `partition`, with its event time
    /// if it has one.
    pub fn push(&mut self, partition: i32, offset: i64, ts: Option<i64>, item: T, now: Instant) {
        let i = match self.lanes.iter().position(|l| l.partition == partition) {
            Some(i) => i,
            None => {
                self.assign(partition, None);
                self.lanes.len() - 1
            }
        };
        let lane = &mut self.lanes[i];
        if let Some(t) = ts {
            lane.latest_ts = Some(lane.latest_ts.map_or(t, |l| l.max(t)));
        }
        lane.next_offset = Some(offset.saturating_add(1));
        lane.queue.push_back(Held { ts, arrived: now, item });
        self.held += 1;
    }

    /// Notes which partitions have read all the broker holds:
    /// `watermarks(partition)` is the (low, high) extent of the partition
    /// as the client last saw it, if it has seen it. A partition that has
    /// delivered nothing yet stands at its start, else at its low watermark.
    pub fn refresh_backlog(&mut self, mut watermarks: impl FnMut(i32) -> Option<(i64, i64)>) {
        for lane in &mut self.lanes {
            lane.caught_up = match watermarks(lane.partition) {
                Some((low, high)) => lane.next_offset.unwrap_or(low) >= high,
                None => false,
            };
        }
    }

    /// The next record that may go to detection now, with its partition.
    pub fn pop_ready(&mut self, now: Instant) -> Option<(i32, T, Release)> {
        let i = self.earliest_head()?;
        let head = self.lanes[i].queue.front()?;
        let release = if !self.opts.enabled() || self.nothing_earlier_expected(i, head.ts) {
            Release::InOrder
        } else if self.held > self.opts.max_held || now.saturating_duration_since(head.arrived) >= self.opts.max_hold {
            Release::Forced
        } else {
            return None;
        };
        self.take(i, release)
    }

    /// The next record in event-time order whatever may still come (for a
    /// rebalance or shutdown).
    pub fn pop_any(&mut self) -> Option<(i32, T, Release)> {
        let i = self.earliest_head()?;
        self.take(i, Release::Flushed)
    }

    fn take(&mut self, i: usize, release: Release) -> Option<(i32, T, Release)> {
        let lane = &mut self.lanes[i];
        let held = lane.queue.pop_front()?;
        self.held -= 1;
        Some((lane.partition, held.item, release))
    }

    /// The lane whose head is earliest; a head without event time counts as
    /// earliest (it waits only behind its own lane).
    fn earliest_head(&self) -> Option<usize> {
        let mut best: Option<(usize, i64)> = None;
        for (i, lane) in self.lanes.iter().enumerate() {
            let Some(h) = lane.queue.front() else { continue };
            let ts = h.ts.unwrap_or(i64::MIN);
            if best.is_none_or(|(_, b)| ts < b) {
                best = Some((i, ts));
            }
        }
        best.map(|(i, _)| i)
    }

    /// True when no partition with nothing queued may still deliver a
    /// record earlier than `ts` (lanes with a queue were compared already).
    fn nothing_earlier_expected(&self, lane: usize, ts: Option<i64>) -> bool {
        let Some(ts) = ts else { return true };
        self.lanes.iter().enumerate().all(|(j, other)| {
            // A partition that has read all the broker holds delivers only
            // new records next; one not fetched yet, or with records left on
            // the broker, will deliver (a first fetch can be slow), and only
            // the hold bounds release records past it.
            j == lane || !other.queue.is_empty() || other.caught_up || other.latest_ts.is_some_and(|t| t >= ts)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> AlignOptions {
        AlignOptions { enabled: true, max_hold: Duration::from_secs(2), max_held: 1_000 }
    }

    /// Pushes `(partition, ts)` records at `t0 + at_ms` and drains what is
    /// ready after each push; returns the release order as (partition, ts).
    fn run(a: &mut Aligner<(i32, i64)>, t0: Instant, steps: &[(u64, i32, i64)]) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        for &(at_ms, p, ts) in steps {
            let now = t0 + Duration::from_millis(at_ms);
            a.push(p, 0, Some(ts), (p, ts), now);
            while let Some((_, item, _)) = a.pop_ready(now) {
                out.push(item);
            }
        }
        out
    }

    #[test]
    fn a_partition_ahead_in_event_time_waits_for_the_one_behind() {
        let t0 = Instant::now();
        let mut a = Aligner::new(opts());
        a.assign(0, None);
        a.assign(1, None);
        // Partition 0's chunk runs an hour ahead; partition 1's follows.
        let hour = 3_600_000;
        let out = run(&mut a, t0, &[(0, 0, hour), (0, 0, hour + 10), (1, 1, 5), (1, 1, hour + 5)]);
        assert_eq!(out, vec![(1, 5), (0, hour), (1, hour + 5)], "with a backlog behind it, partition 1 may still deliver before hour + 10");
        let out = run(&mut a, t0, &[(2, 1, hour + 60_000)]);
        assert_eq!(out, vec![(0, hour + 10)]);
        assert_eq!(a.held(), 1, "partition 0 may still deliver records before partition 1's last");
    }

    #[test]
    fn a_live_stream_is_never_held() {
        let t0 = Instant::now();
        let mut a = Aligner::new(opts());
        a.assign(0, None);
        a.assign(1, None);
        a.push(0, 0, Some(999_900), (0, 999_900), t0);
        a.push(1, 0, Some(1_000_000), (1, 1_000_000), t0);
        // Both have read all the broker holds (offset 0 was the last).
        a.refresh_backlog(|_| Some((0, 1)));
        assert_eq!(std::iter::from_fn(|| a.pop_ready(t0)).count(), 2);
        let out = run(&mut a, t0, &[(1, 0, 1_000_400), (2, 0, 1_000_900), (3, 1, 1_000_500)]);
        assert_eq!(out, vec![(0, 1_000_400), (0, 1_000_900), (1, 1_000_500)]);
        assert_eq!(a.held(), 0);
    }

    #[test]
    fn a_partition_that_has_read_all_the_broker_holds_holds_nothing_back() {
        let t0 = Instant::now();
        let mut a = Aligner::new(opts());
        a.assign(0, None);
        a.assign(1, None);
        a.push(0, 0, Some(50_000), (0, 50_000), t0);
        assert!(a.pop_ready(t0).is_none(), "partition 1 is not fetched yet");
        // Partition 1 is empty on the broker: read to its end.
        a.refresh_backlog(|p| Some((0, if p == 0 { 1 } else { 0 })));
        assert_eq!(a.pop_ready(t0).map(|(p, _, w)| (p, w)), Some((0, Release::InOrder)));
        // Caught up hours behind (a producer's clock, or an idle
        // partition): what it delivers next is new; nothing waits for it.
        a.push(1, 0, Some(10_000), (1, 10_000), t0);
        assert!(a.pop_ready(t0).is_some());
        a.refresh_backlog(|_| Some((0, 1)));
        a.push(0, 1, Some(99_000_000), (0, 99_000_000), t0);
        assert_eq!(a.pop_ready(t0).map(|(p, _, w)| (p, w)), Some((0, Release::InOrder)));
    }

    #[test]
    fn holding_is_bounded_in_time_and_count() {
        let t0 = Instant::now();
        let mut a = Aligner::new(AlignOptions { max_held: 3, ..opts() });
        a.assign(0, None);
        a.assign(1, None);
        a.push(0, 0, Some(0), (0, 0), t0);
        a.push(1, 0, Some(0), (1, 0), t0);
        assert_eq!(a.pop_ready(t0).map(|(p, _, w)| (p, w)), Some((0, Release::InOrder)));
        assert_eq!(a.pop_ready(t0).map(|(p, _, w)| (p, w)), Some((1, Release::InOrder)));
        for i in 0..4 {
            a.push(0, 0, Some(10_000 + i), (0, 10_000 + i), t0);
        }
        // Partition 1 is behind and not quiet: only the count forces one out.
        assert_eq!(a.pop_ready(t0).map(|(_, item, w)| (item, w)), Some(((0, 10_000), Release::Forced)));
        assert!(a.pop_ready(t0).is_none());
        // Partition 1 keeps delivering (never quiet) at early event times.
        let soon = t0 + Duration::from_millis(200);
        a.push(1, 0, Some(1), (1, 1), soon);
        assert_eq!(a.pop_ready(soon).map(|(p, _, w)| (p, w)), Some((1, Release::InOrder)));
        assert!(a.pop_ready(soon).is_none());
        let later = t0 + Duration::from_secs(2);
        a.push(1, 0, Some(2), (1, 2), later);
        let released: Vec<(i32, Release)> = std::iter::from_fn(|| a.pop_ready(later).map(|(p, _, w)| (p, w))).collect();
        assert_eq!(released, vec![(1, Release::InOrder), (0, Release::Forced), (0, Release::Forced), (0, Release::Forced)]);
        assert_eq!(a.held(), 0);
    }

    #[test]
    fn records_without_event_time_wait_only_behind_their_own_partition() {
        let t0 = Instant::now();
        let mut a: Aligner<u32> = Aligner::new(opts());
        a.assign(0, None);
        a.assign(1, None);
        a.push(0, 0, Some(90_000), 1, t0);
        a.push(0, 0, None, 2, t0);
        a.push(1, 0, None, 3, t0);
        assert_eq!(a.pop_ready(t0).map(|(_, i, _)| i), Some(3));
        assert!(a.pop_ready(t0).is_none(), "the dead letter of partition 0 stays behind its queue's head");
        assert_eq!(a.pop_any().map(|(_, i, w)| (i, w)), Some((1, Release::Flushed)));
        assert_eq!(a.pop_any().map(|(_, i, _)| i), Some(2));
        assert!(a.pop_any().is_none());
    }

    #[test]
    fn each_partition_keeps_its_order_and_nothing_is_lost() {
        // A pseudo-random interleaving of three partitions, each in its own
        // order but far apart in event time.
        let t0 = Instant::now();
        let mut a = Aligner::new(AlignOptions { max_held: 50, ..opts() });
        let mut seed = 7u64;
        let mut next = [0i64; 3];
        let mut out = Vec::new();
        for step in 0..3_000u64 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let p = (seed >> 33) as usize % 3;
            next[p] += (seed >> 40) as i64 % 5_000;
            let now = t0 + Duration::from_millis(step);
            a.push(p as i32, 0, Some(next[p] + p as i64 * 100_000), (p as i32, next[p]), now);
            while let Some((_, item, _)) = a.pop_ready(now) {
                out.push(item);
            }
        }
        while let Some((_, item, _)) = a.pop_any() {
            out.push(item);
        }
        assert_eq!(out.len(), 3_000);
        for p in 0..3 {
            let seq: Vec<i64> = out.iter().filter(|(q, _)| *q == p).map(|(_, t)| *t).collect();
            assert!(seq.windows(2).all(|w| w[0] <= w[1]), "partition {p} out of order");
        }
    }

    #[test]
    fn off_releases_at_once() {
        let t0 = Instant::now();
        let mut a = Aligner::new(AlignOptions { enabled: false, ..opts() });
        a.assign(0, None);
        a.assign(1, None);
        a.push(0, 0, Some(9_999_999), 1, t0);
        assert_eq!(a.pop_ready(t0).map(|(_, i, w)| (i, w)), Some((1, Release::InOrder)));
    }

    #[test]
    fn a_silent_partition_with_a_backlog_is_waited_for_up_to_the_hold_bound() {
        // Its first fetch is slow: silence is not idleness while the broker
        // holds records it has not delivered (or its extent is unknown).
        let t0 = Instant::now();
        let mut a = Aligner::new(opts());
        a.assign(0, None);
        a.assign(1, Some(40));
        a.push(0, 0, Some(50_000), (0, 50_000), t0);
        a.refresh_backlog(|p| Some((0, if p == 0 { 1 } else { 100 })));
        let late = t0 + Duration::from_millis(900);
        assert!(a.pop_ready(late).is_none(), "silent, partition 1 still has 60 records to deliver");
        a.refresh_backlog(|p| if p == 0 { Some((0, 1)) } else { None });
        assert!(a.pop_ready(late).is_none(), "nor when its extent is unknown");
        let (p, _, why) = a.pop_ready(t0 + Duration::from_secs(2)).expect("the hold bound");
        assert_eq!((p, why), (0, Release::Forced));
        // Started at its end (committed there), it has nothing to wait for.
        let mut b = Aligner::new(opts());
        b.assign(0, None);
        b.assign(1, Some(100));
        b.push(0, 0, Some(50_000), (0, 50_000), t0);
        b.refresh_backlog(|p| Some((0, if p == 0 { 1 } else { 100 })));
        assert_eq!(b.pop_ready(t0).map(|(p, _, w)| (p, w)), Some((0, Release::InOrder)));
    }
}
