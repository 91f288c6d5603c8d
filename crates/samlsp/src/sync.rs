//! Lock helpers that survive poisoning.
//!
//! Every lock in this workspace guards state that each operation leaves
//! consistent (single map calls, whole-value replacement), so a panic in
//! another thread while holding it leaves nothing half-written: continuing
//! with the inner value is correct, and turning one panic into a panic in
//! every later request is not.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

/// Locks `m`, poisoned or not.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A clone of the value behind `l`, poisoned or not.
pub fn read<T: Clone>(l: &RwLock<T>) -> T {
    l.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Replaces the value behind `l`, poisoned or not.
pub fn write<T>(l: &RwLock<T>, value: T) {
    *l.write().unwrap_or_else(PoisonError::into_inner) = value;
}
