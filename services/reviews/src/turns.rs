//! Turns taken per key: work on one key (a review, a product) is done one at a time, while
//! work on other keys goes on beside it. A key has a lock only while someone holds or
//! waits for its turn, so nothing grows with the number of keys.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Debug)]
pub struct Turns<K> {
    /// The lock of every key someone holds or waits for.
    locks: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K> Default for Turns<K> {
    fn default() -> Self {
        Self {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

/// Turns held: they end when this is dropped.
#[derive(Debug)]
pub struct Turn<'a, K: Hash + Eq> {
    turns: &'a Turns<K>,
    keys: Vec<K>,
    held: Vec<OwnedMutexGuard<()>>,
}

impl<K: Hash + Eq + Ord + Clone> Turns<K> {
    fn locks(&self) -> MutexGuard<'_, HashMap<K, Arc<AsyncMutex<()>>>> {
        self.locks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `key`'s turn, once every earlier one is over.
    pub async fn turn(&self, key: K) -> Turn<'_, K> {
        self.turns(vec![key]).await
    }

    /// The turn of every key in `keys` at once. Keys are taken in order, so two callers
    /// never wait on each other.
    pub async fn turns(&self, mut keys: Vec<K>) -> Turn<'_, K> {
        keys.sort_unstable();
        keys.dedup();
        let locks: Vec<Arc<AsyncMutex<()>>> = {
            let mut all = self.locks();
            keys.iter()
                .map(|key| Arc::clone(all.entry(key.clone()).or_default()))
                .collect()
        };
        // Built first, so a caller that gives up while waiting still forgets unused locks.
        let mut turn = Turn {
            turns: self,
            keys,
            held: Vec::with_capacity(locks.len()),
        };
        for lock in locks {
            turn.held.push(lock.lock_owned().await);
        }
        turn
    }
}

impl<K: Hash + Eq> Drop for Turn<'_, K> {
    fn drop(&mut self) {
        self.held.clear();
        let mut all = self
            .turns
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for key in &self.keys {
            // Only the map holds it: no one else holds or waits for this key's turn.
            if all
                .get(key)
                .is_some_and(|lock| Arc::strong_count(lock) == 1)
            {
                all.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_keys_turn_waits_for_the_last_and_not_for_other_keys() {
        let turns = Turns::default();
        let first = turns.turn("review a").await;
        let same = tokio::time::timeout(Duration::from_millis(50), turns.turn("review a"));
        assert!(same.await.is_err(), "a second turn on the same key waits");
        let other = tokio::time::timeout(Duration::from_millis(50), turns.turn("review b"));
        assert!(other.await.is_ok(), "another key does not");
        drop(first);
        drop(turns.turns(vec!["review b", "review a"]).await);
        assert!(
            turns.locks().is_empty(),
            "no lock is kept once no one waits"
        );
    }
}
