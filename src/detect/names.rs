//! A small cache from an interned name to something derived from its text
//! (an id, a hash), found by the name's allocation instead of its bytes.
//!
//! Owns: nothing shared; each user keeps its own cache. Why it is sound:
//! the decoder hands out one `Arc<str>` per distinct name, so the same
//! allocation recurs event after event; an entry holds a clone of the
//! `Arc`, so that allocation cannot be freed and reused for other text
//! while the entry lives. A pointer match is therefore always the same
//! text. A name that arrives in another allocation (another decoder, or
//! after the decoder's interner was reset) simply misses and is derived
//! again from its bytes: the cache changes speed, never results.

use std::sync::Arc;

/// One slot: the name it was filled for, and what was derived from it.
type Slot<V> = Option<(Arc<str>, V)>;

/// Direct-mapped: one entry per slot, the newest name wins.
pub(crate) struct PtrCache<V: Copy> {
    slots: Box<[Slot<V>]>,
}

impl<V: Copy> PtrCache<V> {
    /// `slots` is rounded up to a power of two.
    pub fn new(slots: usize) -> PtrCache<V> {
        PtrCache { slots: (0..slots.max(1).next_power_of_two()).map(|_| None).collect() }
    }

    fn index(&self, name: &Arc<str>) -> usize {
        // Allocations are at least 8-byte aligned: drop the low bits.
        let p = Arc::as_ptr(name) as *const u8 as usize;
        ((p >> 4) ^ (p >> 12)) & (self.slots.len() - 1)
    }

    /// The value stored for this very allocation, if any.
    pub fn get(&self, name: &Arc<str>) -> Option<V> {
        match self.slots.get(self.index(name)) {
            Some(Some((held, v))) if Arc::ptr_eq(held, name) => Some(*v),
            _ => None,
        }
    }

    pub fn put(&mut self, name: &Arc<str>, v: V) {
        let i = self.index(name);
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = Some((name.clone(), v));
        }
    }

    /// The cached value, or `derive(name)` remembered for next time.
    pub fn get_or(&mut self, name: &Arc<str>, derive: impl FnOnce(&str) -> V) -> V {
        if let Some(v) = self.get(name) {
            return v;
        }
        let v = derive(name);
        self.put(name, v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_only_the_same_allocation() {
        let mut c = PtrCache::new(8);
        let a: Arc<str> = Arc::from("search");
        let same_text: Arc<str> = Arc::from("search");
        assert_eq!(c.get_or(&a, |s| s.len()), 6);
        assert_eq!(c.get(&a), Some(6));
        // Equal text in another allocation is derived again, never mixed up.
        assert_eq!(c.get(&same_text), None);
        let mut calls = 0;
        assert_eq!(
            c.get_or(&same_text, |s| {
                calls += 1;
                s.len()
            }),
            6
        );
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_held_name_keeps_its_allocation() {
        let mut c = PtrCache::new(1);
        let a: Arc<str> = Arc::from("x");
        c.put(&a, 1u32);
        // The cache holds a clone: the allocation outlives the caller's.
        assert_eq!(Arc::strong_count(&a), 2);
        let b: Arc<str> = Arc::from("y");
        c.put(&b, 2);
        assert_eq!(Arc::strong_count(&a), 1);
        assert_eq!(c.get(&b), Some(2));
    }
}
