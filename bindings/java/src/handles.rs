//! Handles: what a Java `Client` or `Verifier` holds is a number, not a pointer.
//!
//! Each live facade object sits in a registry under a fresh id (never reused); a native call
//! clones it out (the facade types are `Arc`s inside) under a read lock, and `free` removes it.
//! So a handle used after `close()`, closed twice or closed by one thread while another is using
//! it can never touch freed memory: the call gets [`Fail::Closed`] or finishes on its own clone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{PoisonError, RwLock};

use crate::runtime::{Fail, Out};

/// The live objects of one type.
#[derive(Debug)]
pub struct Registry<T> {
    what: &'static str,
    next: AtomicI64,
    live: RwLock<Option<HashMap<i64, T>>>,
}

impl<T: Clone> Registry<T> {
    /// An empty registry of `what`s (the name closed-handle errors use).
    pub const fn new(what: &'static str) -> Self {
        Self {
            what,
            next: AtomicI64::new(1),
            live: RwLock::new(None),
        }
    }

    /// Stores `value`; its handle (never 0, never reused).
    pub fn insert(&self, value: T) -> i64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        live.get_or_insert_with(HashMap::new).insert(id, value);
        id
    }

    /// A clone of the object behind `handle`, or [`Fail::Closed`].
    pub fn get(&self, handle: i64) -> Out<T> {
        let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
        live.as_ref()
            .and_then(|m| m.get(&handle))
            .cloned()
            .ok_or(Fail::Closed(self.what))
    }

    /// Drops the object behind `handle`; whether it was live (a second free is a no-op).
    pub fn free(&self, handle: i64) -> bool {
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        live.as_mut().and_then(|m| m.remove(&handle)).is_some()
    }

    /// How many objects are live (the leak tests read it).
    pub fn len(&self) -> usize {
        let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
        live.as_ref().map_or(0, HashMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_handle_is_closed_and_a_second_free_does_nothing() {
        let r: Registry<String> = Registry::new("Thing");
        let a = r.insert("a".into());
        let b = r.insert("b".into());
        assert_ne!(a, b);
        assert_eq!(r.get(a).ok().as_deref(), Some("a"));
        assert_eq!(r.len(), 2);
        assert!(r.free(a));
        assert!(!r.free(a));
        assert!(matches!(r.get(a), Err(Fail::Closed("Thing"))));
        assert!(matches!(r.get(0), Err(Fail::Closed(_))));
        assert_eq!(r.len(), 1);
    }
}
