//! Namespace scope as a map with an undo log.
//!
//! Both the parser (resolving prefixes) and the canonicalizer (which namespace
//! is in scope, which one an output ancestor rendered) need "the binding of
//! this prefix here" while walking a tree depth-first. A stack of declarations
//! searched from the top makes every lookup cost the number of declarations in
//! scope, so a document of many nested elements each declaring many prefixes
//! costs their product. Here a lookup costs at most a short scan, or one hash
//! probe once many bindings are open: entering an element opens a frame, each
//! declaration overwrites the binding and records what it replaced, and leaving
//! the element restores those. Every binding is made once and undone once, so a
//! whole walk is linear in the declarations. A frame is the length of the undo
//! log when it opened ([`Mark`]), which the walker keeps with the element it
//! is in (a recursion's stack frame, the parser's open-element stack).

use std::collections::HashMap;
use std::hash::Hash;

/// Up to this many bindings in the open frames, a lookup scans them: a few
/// compares cost less than hashing a string, and an assertion seldom has more
/// in scope (samlp, saml, xs, xsi, ds). Past it the hash map is built and kept
/// in step, so no lookup ever costs more than this many compares. 8 also lets
/// the generated documents of the libxml2 differential test reach both paths
/// (and the switch between them in the middle of a walk).
const SCAN_LIMIT: usize = 8;

/// Where a frame began: what [`ScopedMap::close`] and [`ScopedSlots::close`]
/// restore.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark(usize);

/// A prefix -> binding map whose changes are undone frame by frame.
#[derive(Debug)]
pub(crate) struct ScopedMap<K, V> {
    /// The innermost binding of every key; built once more than
    /// [`SCAN_LIMIT`] bindings are open.
    map: Option<HashMap<K, V>>,
    /// Every binding made in an open frame: key, value, and (once the map
    /// exists) the value it replaced there.
    undo: Vec<(K, V, Option<V>)>,
}

impl<K, V> Default for ScopedMap<K, V> {
    fn default() -> Self {
        // As for ScopedSlots: no growth on a SAML document.
        ScopedMap {
            map: None,
            undo: Vec::with_capacity(16),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Copy> ScopedMap<K, V> {
    /// Starts the frame of a new element; [`ScopedMap::close`] with the mark
    /// undoes every [`ScopedMap::bind`] made after this.
    pub(crate) fn open(&mut self) -> Mark {
        Mark(self.undo.len())
    }

    /// Forgets every binding and frame, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.undo.clear();
        self.map = None;
    }

    /// Binds `key` in the current frame (shadowing an outer binding).
    pub(crate) fn bind(&mut self, key: K, value: V) {
        match &mut self.map {
            Some(map) => {
                let previous = map.insert(key.clone(), value);
                self.undo.push((key, value, previous));
            }
            None => {
                self.undo.push((key, value, None));
                if self.undo.len() > SCAN_LIMIT {
                    // Replaying the open bindings in order records what each
                    // one shadowed, as if the map had existed all along.
                    let mut map = HashMap::with_capacity(self.undo.len());
                    for (k, v, previous) in &mut self.undo {
                        *previous = map.insert(k.clone(), *v);
                    }
                    self.map = Some(map);
                }
            }
        }
    }

    /// Ends the frame that began at `mark` (the innermost open one),
    /// restoring the bindings it shadowed.
    pub(crate) fn close(&mut self, Mark(mark): Mark) {
        let Some(map) = &mut self.map else {
            self.undo.truncate(mark);
            return;
        };
        while self.undo.len() > mark {
            let Some((key, _, previous)) = self.undo.pop() else {
                break;
            };
            match previous {
                Some(v) => {
                    map.insert(key, v);
                }
                None => {
                    map.remove(&key);
                }
            }
        }
    }

    /// The innermost binding of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        match &self.map {
            Some(map) => map.get(key).copied(),
            None => self
                .undo
                .iter()
                .rev()
                .find(|(k, _, _)| k == key)
                .map(|(_, v, _)| *v),
        }
    }

    /// Every key bound in an open frame, in no particular order; a key
    /// bound more than once may appear more than once (no allocation).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        let (hashed, scanned) = match &self.map {
            Some(map) => (Some(map.keys()), None),
            None => (None, Some(self.undo.iter().map(|(k, _, _)| k))),
        };
        hashed
            .into_iter()
            .flatten()
            .chain(scanned.into_iter().flatten())
    }

    /// The bindings in effect, one per key, in no particular order.
    #[cfg(test)]
    pub(crate) fn bindings(&self) -> Vec<(&K, V)> {
        match &self.map {
            Some(map) => map.iter().map(|(k, v)| (k, *v)).collect(),
            None => {
                let mut out: Vec<(&K, V)> = Vec::new();
                for (k, v, _) in self.undo.iter().rev() {
                    if !out.iter().any(|(seen, _)| *seen == k) {
                        out.push((k, *v));
                    }
                }
                out
            }
        }
    }
}

/// The same frames and undo log over small dense keys (the parser numbers
/// prefixes as it meets them): a binding is a vector slot, no hashing.
#[derive(Debug)]
pub(crate) struct ScopedSlots<V> {
    slots: Vec<Option<V>>,
    undo: Vec<(u32, Option<V>)>,
}

impl<V> Default for ScopedSlots<V> {
    fn default() -> Self {
        // Sized for a SAML document (a handful of prefixes, about 8 levels),
        // so that parsing one does not grow them.
        ScopedSlots {
            slots: Vec::with_capacity(8),
            undo: Vec::with_capacity(16),
        }
    }
}

impl<V: Copy> ScopedSlots<V> {
    /// See [`ScopedMap::open`].
    pub(crate) fn open(&mut self) -> Mark {
        Mark(self.undo.len())
    }

    /// Binds slot `key` in the current frame.
    pub(crate) fn bind(&mut self, key: u32, value: V) {
        let i = key as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        if let Some(slot) = self.slots.get_mut(i) {
            let previous = slot.replace(value);
            self.undo.push((key, previous));
        }
    }

    /// See [`ScopedMap::close`].
    pub(crate) fn close(&mut self, Mark(mark): Mark) {
        while self.undo.len() > mark {
            let Some((key, previous)) = self.undo.pop() else {
                break;
            };
            if let Some(slot) = self.slots.get_mut(key as usize) {
                *slot = previous;
            }
        }
    }

    pub(crate) fn get(&self, key: u32) -> Option<V> {
        self.slots.get(key as usize).copied().flatten()
    }

    /// Declarations made in the open frames, shadowed ones included.
    pub(crate) fn declarations(&self) -> usize {
        self.undo.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_restores_shadowed_and_removes_new_bindings() {
        let mut s: ScopedMap<&str, u32> = ScopedMap::default();
        let outer = s.open();
        s.bind("a", 1);
        let inner = s.open();
        s.bind("a", 2);
        s.bind("b", 3);
        s.bind("a", 4);
        assert_eq!((s.get(&"a"), s.get(&"b")), (Some(4), Some(3)));
        s.close(inner);
        assert_eq!((s.get(&"a"), s.get(&"b")), (Some(1), None));
        s.close(outer);
        assert_eq!(s.get(&"a"), None);
        assert!(s.bindings().is_empty());
    }

    #[test]
    fn hashed_and_scanned_lookups_agree_across_the_threshold() {
        let mut s: ScopedMap<u32, u32> = ScopedMap::default();
        let outer = s.open();
        for k in 0..10 {
            s.bind(k, k);
        }
        let inner = s.open();
        for k in 5..15 {
            s.bind(k, 100 + k);
        }
        // 20 bindings open: the map was built while the first frame filled.
        assert_eq!(
            (s.get(&4), s.get(&5), s.get(&14)),
            (Some(4), Some(105), Some(114))
        );
        assert_eq!(s.bindings().len(), 15);
        s.close(inner);
        assert_eq!((s.get(&5), s.get(&14)), (Some(5), None));
        assert_eq!(s.bindings().len(), 10);
        s.close(outer);
        assert_eq!(s.get(&0), None);
    }

    #[test]
    fn slots_close_restores_shadowed_and_clears_new_bindings() {
        let mut s: ScopedSlots<u32> = ScopedSlots::default();
        let outer = s.open();
        s.bind(3, 1);
        let inner = s.open();
        s.bind(3, 2);
        s.bind(0, 5);
        assert_eq!(
            (s.get(3), s.get(0), s.get(9), s.declarations()),
            (Some(2), Some(5), None, 3)
        );
        s.close(inner);
        assert_eq!((s.get(3), s.get(0), s.declarations()), (Some(1), None, 1));
        s.close(outer);
        assert_eq!((s.get(3), s.declarations()), (None, 0));
    }
}
