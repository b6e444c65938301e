//! Sub-agent trees deeper than one level: which live session spawned
//! which (child → parent), and how many sessions each session has below
//! its own children (grandchildren and deeper).
//!
//! Owns those links and counts only; the fan-out rule that judges them is
//! the detector's. A session's direct children are counted in the session
//! itself (`Session::children`); here every live child session has its link
//! to its parent, and only sessions with grandchildren have a count. A
//! session outside any tree has no entry.
//!
//! Keys are the sessions' 128-bit id hashes (as `SessionTable` keys them),
//! so walking up a tree re-hashes no id. Bounded by the live sessions: a
//! session's entries go when it ends ([`Trees::forget`]) or its shard is
//! dropped ([`Trees::retain`]).

use std::sync::Arc;

use rustc_hash::FxHashMap;

/// Levels walked up from a new session: deeper ancestors are not counted
/// (and a cycle of parent ids in bad input ends here).
pub(crate) const MAX_TREE_DEPTH: u32 = 16;

/// A session's parent: its id hash (both halves) and its id, which a
/// signal about it names.
#[derive(Debug, Clone)]
pub(crate) struct Parent {
    pub key: (u64, u64),
    pub id: Arc<str>,
}

#[derive(Debug, Default)]
pub(crate) struct Trees {
    /// A child session's id hash (low half) → its parent.
    parent_of: FxHashMap<u64, Parent>,
    /// A session's id hash (low half) → sessions below its children.
    deeper: FxHashMap<u64, u32>,
}

impl Trees {
    /// Records that `child` was spawned by `parent`.
    pub fn link(&mut self, child: (u64, u64), parent: Parent) {
        if child != parent.key {
            self.parent_of.insert(child.0, parent);
        }
    }

    pub fn parent_of(&self, session: (u64, u64)) -> Option<&Parent> {
        self.parent_of.get(&session.0)
    }

    /// Counts `n` more sessions below `ancestor`'s children; returns the
    /// new count and whether it was the first.
    pub fn add_deeper(&mut self, ancestor: (u64, u64), n: u32) -> (u32, bool) {
        let count = self.deeper.entry(ancestor.0).or_insert(0);
        let first = *count == 0;
        *count = count.saturating_add(n);
        (*count, first)
    }

    /// How many sessions are below `session`'s children.
    pub fn deeper(&self, session: (u64, u64)) -> u32 {
        self.deeper.get(&session.0).copied().unwrap_or(0)
    }

    /// Forgets a session that ended; returns its count of sessions below
    /// its children.
    pub fn forget(&mut self, session: (u64, u64)) -> u32 {
        self.parent_of.remove(&session.0);
        self.deeper.remove(&session.0).unwrap_or(0)
    }

    /// Keeps only the entries of sessions `live` says are still tracked.
    pub fn retain(&mut self, live: impl Fn(u64) -> bool) {
        self.parent_of.retain(|k, _| live(*k));
        self.deeper.retain(|k, _| live(*k));
    }

    pub fn len(&self) -> usize {
        self.parent_of.len() + self.deeper.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_counts_are_forgotten_with_their_session() {
        let (a, b, c) = ((1, 10), (2, 20), (3, 30));
        let parent = |key| Parent { key, id: Arc::from(format!("s{}", key.0)) };
        let mut t = Trees::default();
        t.link(b, parent(a));
        t.link(c, parent(b));
        t.link(a, parent(a)); // a session is not its own parent
        assert_eq!(t.parent_of(c).map(|p| (p.key, &*p.id)), Some((b, "s2")));
        assert!(t.parent_of(a).is_none());
        assert_eq!(t.add_deeper(a, 1), (1, true));
        assert_eq!(t.add_deeper(a, 2), (3, false));
        assert_eq!(t.forget(a), 3);
        assert_eq!(t.forget(a), 0);
        t.retain(|k| k != c.0);
        assert!(t.parent_of(c).is_none());
        assert_eq!(t.parent_of(b).map(|p| p.key), Some(a));
        assert_eq!(t.len(), 1);
    }
}
