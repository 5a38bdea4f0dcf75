//! What product pages ask for on every view, kept in memory for a moment: the first pages
//! of review listings (FerretDB sorts a product's reviews for each: 60 pages a second for a
//! product with 298 reviews, `docs/benchmarks.md`) and the rating summaries (a lookup in
//! the store each, for every product on a listing page).
//!
//! An answer is kept for [`Recent::new`]'s `ttl` at most, and dropped as soon as this
//! service writes to its product (a review written or deleted, a helpful vote), so this
//! service's own answers always show its own writes. Another Reviews process on the same
//! store is not heard: its writes show here within the `ttl`, which the contract states. An
//! answer read while a write was made is not kept, since it may predate the write. When
//! many requests miss the same answer at once (it expired, or the service just started),
//! one reads it from the store and the others wait for it.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use reviews_api::types::ReviewPage;
use uuid::Uuid;

use crate::cursor::Order;
use crate::turns::Turns;

/// Beyond this many answers a cache is emptied rather than grown.
const MAX_KEPT: usize = 10_000;

/// What a kept answer is about, so a write to that product drops it.
pub trait OfProduct {
    fn product(&self) -> Uuid;
}

/// A rating summary is kept by its product.
impl OfProduct for Uuid {
    fn product(&self) -> Uuid {
        *self
    }
}

/// Which first page: the product, the order, the rating filter and the page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub product: Uuid,
    pub order: Order,
    pub rating: Option<u32>,
    pub limit: u32,
}

impl OfProduct for Key {
    fn product(&self) -> Uuid {
        self.product
    }
}

/// The first pages of listings.
pub type FirstPages = Recent<Key, ReviewPage>;
/// Each product's reviews per star (index 0 is one star), which its summary comes from.
pub type StarCounts = Recent<Uuid, [i64; 5]>;

#[derive(Debug)]
pub struct Recent<K, V> {
    kept: Mutex<HashMap<K, (Instant, V)>>,
    ttl: Duration,
    /// Moved on by every write, so an answer read across one is not kept.
    writes: AtomicU64,
    /// Loads take turns per product, so that many requests missing the same answer at
    /// once (after it expired, or at start) make one read of the store, not one each.
    loading: Turns<Uuid>,
}

/// What a read knew before it asked the store.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl<K: OfProduct + Eq + Hash, V: Clone> Recent<K, V> {
    /// Answers kept for `ttl` at most; a zero `ttl` keeps none.
    pub fn new(ttl: Duration) -> Self {
        Self {
            kept: Mutex::default(),
            ttl,
            writes: AtomicU64::new(0),
            loading: Turns::default(),
        }
    }

    /// The answers for `keys`: kept ones, and the others loaded by `load` (one call for
    /// all of them) and kept. While a request loads a product's answers, others that miss
    /// them wait, then take what it kept.
    pub async fn get_or_load<E, F, Fut>(&self, keys: &[K], load: F) -> Result<HashMap<K, V>, E>
    where
        K: Clone,
        F: FnOnce(Vec<K>) -> Fut,
        Fut: Future<Output = Result<Vec<(K, V)>, E>>,
    {
        let (mut found, missing) = self.lookup(keys);
        if missing.is_empty() {
            return Ok(found);
        }
        if self.ttl.is_zero() {
            found.extend(load(missing).await?);
            return Ok(found);
        }
        let products: Vec<Uuid> = missing.iter().map(OfProduct::product).collect();
        let _loading = self.loading.turns(products).await;
        let (loaded_meanwhile, missing) = self.lookup(&missing);
        found.extend(loaded_meanwhile);
        if !missing.is_empty() {
            let ticket = self.ticket();
            for (key, answer) in load(missing).await? {
                self.keep(ticket, key.clone(), answer.clone());
                found.insert(key, answer);
            }
        }
        Ok(found)
    }

    /// [`get_or_load`](Self::get_or_load) for one answer, which `load` reads.
    pub async fn get_or_load_one<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        if let Some(answer) = self.get(&key) {
            return Ok(answer);
        }
        if self.ttl.is_zero() {
            return load.await;
        }
        let _loading = self.loading.turn(key.product()).await;
        if let Some(answer) = self.get(&key) {
            return Ok(answer);
        }
        let ticket = self.ticket();
        let answer = load.await?;
        self.keep(ticket, key, answer.clone());
        Ok(answer)
    }

    /// The kept answers among `keys`, and the keys of the others.
    fn lookup(&self, keys: &[K]) -> (HashMap<K, V>, Vec<K>)
    where
        K: Clone,
    {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for key in keys {
            match self.get(key) {
                Some(answer) => {
                    found.insert(key.clone(), answer);
                }
                None => missing.push(key.clone()),
            }
        }
        (found, missing)
    }

    fn kept(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let kept = self.kept();
        let (at, answer) = kept.get(key)?;
        (at.elapsed() < self.ttl).then(|| answer.clone())
    }

    /// Take before reading from the store what [`keep`](Self::keep) will keep.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.writes.load(Ordering::Acquire))
    }

    /// Keeps `answer`, read after `ticket` was taken, unless a write came since.
    pub fn keep(&self, ticket: Ticket, key: K, answer: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut kept = self.kept();
        // Checked under the lock that writes take, so none slips in between.
        if self.writes.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.insert(key, (Instant::now(), answer));
    }

    /// Drops every answer about `product`, after this service wrote to it.
    pub fn forget(&self, product: Uuid) {
        let mut kept = self.kept();
        self.writes.fetch_add(1, Ordering::AcqRel);
        kept.retain(|key, _| key.product() != product);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(product: Uuid) -> Key {
        Key {
            product,
            order: Order::Newest,
            rating: None,
            limit: 10,
        }
    }

    fn page(cursor: &str) -> ReviewPage {
        ReviewPage {
            items: Vec::new(),
            next_cursor: Some(cursor.to_owned()),
        }
    }

    #[test]
    fn a_page_is_kept_until_its_product_is_written_to() {
        let pages = FirstPages::new(Duration::from_secs(60));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        pages.keep(pages.ticket(), key(a), page("a"));
        pages.keep(pages.ticket(), key(b), page("b"));
        assert_eq!(pages.get(&key(a)), Some(page("a")));
        pages.forget(a);
        assert_eq!(pages.get(&key(a)), None);
        assert_eq!(
            pages.get(&key(b)),
            Some(page("b")),
            "another product's stays"
        );
    }

    #[test]
    fn a_page_read_across_a_write_is_not_kept() {
        let pages = FirstPages::new(Duration::from_secs(60));
        let product = Uuid::new_v4();
        let ticket = pages.ticket();
        pages.forget(product);
        pages.keep(ticket, key(product), page("old"));
        assert_eq!(pages.get(&key(product)), None);
    }

    #[test]
    fn a_page_is_kept_for_the_ttl_at_most() {
        let product = Uuid::new_v4();
        let none = FirstPages::new(Duration::ZERO);
        none.keep(none.ticket(), key(product), page("p"));
        assert_eq!(none.get(&key(product)), None);
        let brief = FirstPages::new(Duration::from_millis(20));
        brief.keep(brief.ticket(), key(product), page("p"));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(brief.get(&key(product)), None);
    }

    #[test]
    fn star_counts_are_kept_by_product_until_it_is_written_to() {
        let counts = StarCounts::new(Duration::from_secs(60));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        counts.keep(counts.ticket(), a, [1, 0, 0, 0, 2]);
        counts.keep(counts.ticket(), b, [0, 0, 3, 0, 0]);
        counts.forget(a);
        assert_eq!(counts.get(&a), None);
        assert_eq!(counts.get(&b), Some([0, 0, 3, 0, 0]));
    }

    #[tokio::test]
    async fn requests_missing_the_same_answer_at_once_load_it_once() {
        let counts = std::sync::Arc::new(StarCounts::new(Duration::from_secs(60)));
        let loads = std::sync::Arc::new(AtomicU64::new(0));
        let product = Uuid::new_v4();
        let requests: Vec<_> = (0..16)
            .map(|_| {
                let (counts, loads) = (counts.clone(), loads.clone());
                tokio::spawn(async move {
                    counts
                        .get_or_load(&[product], |missing| async move {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            Ok::<_, ()>(
                                missing
                                    .into_iter()
                                    .map(|id| (id, [0, 0, 0, 0, 1]))
                                    .collect(),
                            )
                        })
                        .await
                })
            })
            .collect();
        for request in requests {
            let answer = request.await.expect("ran").expect("loaded");
            assert_eq!(answer[&product], [0, 0, 0, 0, 1]);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
