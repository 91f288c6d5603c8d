//! A map whose entries expire, with an index by expiry: the one
//! implementation behind the pending-request store, the replay cache and the
//! web layer's session store.
//!
//! Purging expired entries and evicting the entry closest to expiry cost
//! O(log n) each (a `BTreeSet` ordered by expiry beside the `HashMap`), so a
//! bounded store stays cheap at capacity. Bounds are the caller's: this map
//! never refuses or drops an entry on its own.

use std::collections::{BTreeSet, HashMap};

/// Entries keyed by string, each with an expiry instant `T` (any ordered
/// time: `DateTime<Utc>` for injected clocks, `Instant` for the session
/// store). An entry is live while `now < expiry`.
#[derive(Debug)]
pub struct ExpiringMap<T, V> {
    map: HashMap<String, (T, V)>,
    by_expiry: BTreeSet<(T, String)>,
}

impl<T: Ord + Copy, V> Default for ExpiringMap<T, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord + Copy, V> ExpiringMap<T, V> {
    /// An empty map.
    pub fn new() -> Self {
        ExpiringMap {
            map: HashMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    /// Entries held, expired ones included until purged.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// True when `key` is held, live or not.
    pub fn contains_key(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The value under `key` if it is live at `now`.
    pub fn get_live(&self, key: &str, now: T) -> Option<&V> {
        match self.map.get(key) {
            Some((expires, v)) if now < *expires => Some(v),
            _ => None,
        }
    }

    /// Inserts or replaces the entry under `key`.
    pub fn insert(&mut self, key: String, expires: T, value: V) {
        if let Some((old, _)) = self.map.get(&key) {
            self.by_expiry.remove(&(*old, key.clone()));
        }
        self.by_expiry.insert((expires, key.clone()));
        self.map.insert(key, (expires, value));
    }

    /// Removes the entry under `key`, returning its expiry and value.
    pub fn remove(&mut self, key: &str) -> Option<(T, V)> {
        let (expires, value) = self.map.remove(key)?;
        self.by_expiry.remove(&(expires, key.to_owned()));
        Some((expires, value))
    }

    /// Moves the expiry of the entry under `key`, if it is held.
    pub fn set_expiry(&mut self, key: &str, expires: T) {
        if let Some((old, _)) = self.map.get_mut(key) {
            let previous = std::mem::replace(old, expires);
            self.by_expiry.remove(&(previous, key.to_owned()));
            self.by_expiry.insert((expires, key.to_owned()));
        }
    }

    /// Drops every entry expired at `now`.
    pub fn purge(&mut self, now: T) {
        self.purge_with(now, |_| {});
    }

    /// Drops every entry expired at `now`, handing each value to `removed`.
    pub fn purge_with(&mut self, now: T, mut removed: impl FnMut(V)) {
        self.purge_with_keys(now, |_, v| removed(v));
    }

    /// Drops every entry expired at `now`, handing each key and value to
    /// `removed`.
    pub fn purge_with_keys(&mut self, now: T, mut removed: impl FnMut(String, V)) {
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, key)) = self.by_expiry.pop_first() {
                if let Some((_, v)) = self.map.remove(&key) {
                    removed(key, v);
                }
            }
        }
    }

    /// Drops the entry closest to expiry.
    pub fn evict_oldest(&mut self) {
        let _ = self.pop_oldest();
    }

    /// Removes and returns the entry closest to expiry (key and value).
    pub fn pop_oldest(&mut self) -> Option<(String, V)> {
        let (_, key) = self.by_expiry.pop_first()?;
        let (_, v) = self.map.remove(&key)?;
        Some((key, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_moves_the_expiry_index() {
        let mut m: ExpiringMap<u32, &str> = ExpiringMap::new();
        m.insert("a".into(), 10, "first");
        m.insert("a".into(), 20, "second");
        m.purge(15);
        assert_eq!(m.get_live("a", 15), Some(&"second"));
        m.set_expiry("a", 5);
        m.purge(6);
        assert!(m.is_empty());
    }

    #[test]
    fn evicts_closest_to_expiry_first() {
        let mut m: ExpiringMap<u32, ()> = ExpiringMap::new();
        m.insert("late".into(), 30, ());
        m.insert("soon".into(), 10, ());
        m.evict_oldest();
        assert!(m.contains_key("late"));
        assert!(!m.contains_key("soon"));
        assert_eq!(m.get_live("late", 30), None, "not live at its expiry");
    }
}
