//! Namespace scope as a map with an undo log.
//!
//! Both the parser (resolving prefixes) and the canonicalizer (which namespace
//! is in scope, which one an output ancestor rendered) need "the binding of
//! this prefix here" while walking a tree depth-first. A stack of declarations
//! searched from the top makes every lookup cost the number of declarations in
//! scope, so a document of many nested elements each declaring many prefixes
//! costs their product. Here a lookup is one hash probe: entering an element
//! opens a frame, each declaration overwrites the map entry and records what it
//! replaced, and leaving the element restores those entries. Every binding is
//! made once and undone once, so a whole walk is linear in the declarations.

use std::collections::HashMap;
use std::hash::Hash;

/// A prefix -> binding map whose changes are undone frame by frame.
#[derive(Debug)]
pub(crate) struct ScopedMap<K, V> {
    map: HashMap<K, V>,
    /// Every binding made in an open frame, with the value it replaced.
    undo: Vec<(K, Option<V>)>,
    /// Length of `undo` when each open frame began.
    frames: Vec<usize>,
}

impl<K, V> Default for ScopedMap<K, V> {
    fn default() -> Self {
        ScopedMap {
            map: HashMap::new(),
            undo: Vec::new(),
            frames: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Copy> ScopedMap<K, V> {
    /// Starts the frame of a new element; [`ScopedMap::close`] undoes every
    /// [`ScopedMap::bind`] made after this.
    pub(crate) fn open(&mut self) {
        self.frames.push(self.undo.len());
    }

    /// Binds `key` in the current frame (shadowing an outer binding).
    pub(crate) fn bind(&mut self, key: K, value: V) {
        let previous = self.map.insert(key.clone(), value);
        self.undo.push((key, previous));
    }

    /// Ends the innermost frame, restoring the bindings it shadowed.
    pub(crate) fn close(&mut self) {
        let Some(mark) = self.frames.pop() else {
            return;
        };
        while self.undo.len() > mark {
            let Some((key, previous)) = self.undo.pop() else {
                break;
            };
            match previous {
                Some(v) => {
                    self.map.insert(key, v);
                }
                None => {
                    self.map.remove(&key);
                }
            }
        }
    }

    /// The innermost binding of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.map.get(key).copied()
    }

    /// The bindings in effect, one per key, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, V)> + '_ {
        self.map.iter().map(|(k, v)| (k, *v))
    }
}

/// The same frames and undo log over small dense keys (the parser numbers
/// prefixes as it meets them): a binding is a vector slot, no hashing.
#[derive(Debug)]
pub(crate) struct ScopedSlots<V> {
    slots: Vec<Option<V>>,
    undo: Vec<(u32, Option<V>)>,
    frames: Vec<usize>,
}

impl<V> Default for ScopedSlots<V> {
    fn default() -> Self {
        ScopedSlots {
            slots: Vec::new(),
            undo: Vec::new(),
            frames: Vec::new(),
        }
    }
}

impl<V: Copy> ScopedSlots<V> {
    /// See [`ScopedMap::open`].
    pub(crate) fn open(&mut self) {
        self.frames.push(self.undo.len());
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
    pub(crate) fn close(&mut self) {
        let Some(mark) = self.frames.pop() else {
            return;
        };
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
        s.open();
        s.bind("a", 1);
        s.open();
        s.bind("a", 2);
        s.bind("b", 3);
        s.bind("a", 4);
        assert_eq!((s.get(&"a"), s.get(&"b")), (Some(4), Some(3)));
        s.close();
        assert_eq!((s.get(&"a"), s.get(&"b")), (Some(1), None));
        s.close();
        assert_eq!(s.get(&"a"), None);
        s.close();
        assert_eq!(s.iter().count(), 0);
    }

    #[test]
    fn slots_close_restores_shadowed_and_clears_new_bindings() {
        let mut s: ScopedSlots<u32> = ScopedSlots::default();
        s.open();
        s.bind(3, 1);
        s.open();
        s.bind(3, 2);
        s.bind(0, 5);
        assert_eq!(
            (s.get(3), s.get(0), s.get(9), s.declarations()),
            (Some(2), Some(5), None, 3)
        );
        s.close();
        assert_eq!((s.get(3), s.get(0), s.declarations()), (Some(1), None, 1));
        s.close();
        assert_eq!((s.get(3), s.declarations()), (None, 0));
    }
}
