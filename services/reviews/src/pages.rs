//! The first pages of review listings, kept in memory: a product page asks for the first
//! page of its reviews on every view, and FerretDB sorts a product's reviews for each
//! (60 pages a second for a product with 298 reviews, `docs/benchmarks.md`).
//!
//! A page is kept for [`FirstPages::new`]'s `ttl` at most, and dropped as soon as this
//! service writes to its product (a review written or deleted, a helpful vote), so this
//! service's own answers always show its own writes. Another Reviews process on the same
//! store is not heard: its writes show here within the `ttl`, which the contract states. A
//! page read while a write was made is not kept, since it may predate the write.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use reviews_api::types::ReviewPage;
use uuid::Uuid;

use crate::cursor::Order;

/// Beyond this many pages the cache is emptied rather than grown.
const MAX_PAGES: usize = 10_000;

/// Which first page: the product, the order, the rating filter and the page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub product: Uuid,
    pub order: Order,
    pub rating: Option<u32>,
    pub limit: u32,
}

#[derive(Debug)]
pub struct FirstPages {
    pages: Mutex<HashMap<Key, (Instant, ReviewPage)>>,
    ttl: Duration,
    /// Moved on by every write, so a page read across one is not kept.
    writes: AtomicU64,
}

/// What a read knew before it asked the store.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl FirstPages {
    /// Pages kept for `ttl` at most; a zero `ttl` keeps none.
    pub fn new(ttl: Duration) -> Self {
        Self {
            pages: Mutex::default(),
            ttl,
            writes: AtomicU64::new(0),
        }
    }

    fn pages(&self) -> MutexGuard<'_, HashMap<Key, (Instant, ReviewPage)>> {
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &Key) -> Option<ReviewPage> {
        let pages = self.pages();
        let (kept, page) = pages.get(key)?;
        (kept.elapsed() < self.ttl).then(|| page.clone())
    }

    /// Take before reading from the store what [`keep`](Self::keep) will keep.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.writes.load(Ordering::Acquire))
    }

    /// Keeps `page`, read after `ticket` was taken, unless a write came since.
    pub fn keep(&self, ticket: Ticket, key: Key, page: ReviewPage) {
        if self.ttl.is_zero() {
            return;
        }
        let mut pages = self.pages();
        // Checked under the lock that writes take, so none slips in between.
        if self.writes.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(key, (Instant::now(), page));
    }

    /// Drops every page of `product`, after this service wrote to it.
    pub fn forget(&self, product: Uuid) {
        let mut pages = self.pages();
        self.writes.fetch_add(1, Ordering::AcqRel);
        pages.retain(|key, _| key.product != product);
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
}
