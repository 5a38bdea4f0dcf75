//! The products the Catalog reads most (a product page, an offer the Cart validates or
//! prices), kept in memory and dropped as soon as PostgreSQL says they changed.
//!
//! Every write to `products` or `categories` sends a notification on
//! [`CHANNEL`] (a trigger, migration `0002`), whoever made it: this instance, another
//! Catalog, or an admin in `psql`. Each instance listens on a connection of its own
//! ([`Cache::listen`], [`Changes::follow`]) and drops what a notification names; the instance that wrote also drops it
//! itself before answering, so its own next read is never the old one. Other instances
//! drop it when the notification arrives, milliseconds after the commit.
//!
//! Two rules keep the cache from ever holding an old row for good:
//! - **Only while listening.** Until the listener is connected, and from the moment it is
//!   lost until it is connected again, reads go to PostgreSQL and nothing is kept; each
//!   (re)connection starts from an empty cache, since notifications sent while it was
//!   away are gone.
//! - **A fill that raced a change is dropped.** A read takes a [`Ticket`] before it asks
//!   PostgreSQL; every invalidation moves the generation on, and a fill whose ticket is
//!   older keeps nothing (its row may predate the change).
//!
//! A product is also read again once it has been kept for [`MAX_AGE`]: should
//! notifications stop arriving while the connection still looks alive (a network
//! partition, which TCP notices only much later), no answer is older than that.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use platform::metrics::{Counter, Gauge, Metrics};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::store::Product;

/// The channel the trigger notifies: the payload is a product's id, or [`EVERYTHING`].
pub const CHANNEL: &str = "catalog_changes";

/// The payload that means "anything may have changed" (a category, which every product
/// of it shows).
pub const EVERYTHING: &str = "*";

/// The longest a product is kept, whatever is heard.
pub const MAX_AGE: Duration = Duration::from_secs(30);

/// How long to wait before connecting the listener again after it failed.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// Products by id, bounded, kept only while the listener is connected.
#[derive(Debug, Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    products: RwLock<HashMap<Uuid, Kept>>,
    /// The most products kept; 0 keeps none.
    capacity: usize,
    /// Moved on by every invalidation.
    generation: AtomicU64,
    /// Whether the listener is connected, so that changes reach the cache.
    listening: AtomicBool,
    metrics: CacheMetrics,
}

#[derive(Debug)]
struct Kept {
    product: Arc<Product>,
    since: Instant,
}

/// What `/metrics` shows of the cache.
#[derive(Debug, Clone, Default)]
struct CacheMetrics {
    hits: Counter,
    misses: Counter,
    heard: Counter,
    listening: Gauge,
}

/// What a read knew of the cache before it asked PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    generation: u64,
}

impl Cache {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                products: RwLock::new(HashMap::new()),
                capacity,
                generation: AtomicU64::new(0),
                listening: AtomicBool::new(false),
                metrics: CacheMetrics::default(),
            }),
        }
    }

    /// Shows the cache's hits and misses, the changes it heard and whether it is
    /// listening on the service's `/metrics`.
    pub fn register(&self, metrics: &Metrics) {
        let own = &self.inner.metrics;
        metrics.register(
            "catalog_cache_hits",
            "Products read from memory",
            own.hits.clone(),
        );
        metrics.register(
            "catalog_cache_misses",
            "Products read from PostgreSQL (not kept, or not kept yet)",
            own.misses.clone(),
        );
        metrics.register(
            "catalog_changes_heard",
            "Change notifications heard from PostgreSQL",
            own.heard.clone(),
        );
        metrics.register(
            "catalog_cache_listening",
            "1 while changes are heard (and products kept), 0 while reads go to PostgreSQL",
            own.listening.clone(),
        );
    }

    /// The product kept for `id`, if any.
    pub fn get(&self, id: Uuid) -> Option<Arc<Product>> {
        let kept = if self.inner.listening.load(Ordering::Acquire) {
            self.read()
                .get(&id)
                .filter(|kept| kept.since.elapsed() < MAX_AGE)
                .map(|kept| Arc::clone(&kept.product))
        } else {
            None
        };
        let counter = if kept.is_some() {
            &self.inner.metrics.hits
        } else {
            &self.inner.metrics.misses
        };
        counter.inc();
        kept
    }

    /// Take before reading from PostgreSQL what [`fill`](Self::fill) will keep.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            generation: self.inner.generation.load(Ordering::Acquire),
        }
    }

    /// Keeps `products`, read from PostgreSQL after `ticket` was taken, unless something
    /// changed since or the listener is not connected.
    pub fn fill(&self, ticket: Ticket, products: impl IntoIterator<Item = Arc<Product>>) {
        if self.inner.capacity == 0 {
            return;
        }
        let mut kept = self.write();
        // Checked under the lock that invalidations take, so none can slip in between.
        if !self.inner.listening.load(Ordering::Acquire)
            || self.inner.generation.load(Ordering::Acquire) != ticket.generation
        {
            return;
        }
        let since = Instant::now();
        for product in products {
            if kept.len() >= self.inner.capacity && !kept.contains_key(&product.id) {
                // Bounded, not clever: any one product makes room.
                let Some(evicted) = kept.keys().next().copied() else {
                    break;
                };
                kept.remove(&evicted);
            }
            kept.insert(product.id, Kept { product, since });
        }
    }

    /// Drops what a notification's payload names: one product, or everything.
    pub fn invalidate(&self, payload: &str) {
        match payload.parse::<Uuid>() {
            Ok(id) => self.forget(|kept| {
                kept.remove(&id);
            }),
            Err(_) => {
                if payload != EVERYTHING {
                    tracing::warn!(
                        payload,
                        "unexpected catalog change notification; dropping every product kept"
                    );
                }
                self.forget(HashMap::clear);
            }
        }
    }

    /// Drops `id`: the writer's own drop, so its next read is the new row.
    pub fn invalidate_product(&self, id: Uuid) {
        self.forget(|kept| {
            kept.remove(&id);
        });
    }

    /// How many products are kept (for tests and metrics).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn forget(&self, change: impl FnOnce(&mut HashMap<Uuid, Kept>)) {
        let mut kept = self.write();
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        change(&mut kept);
    }

    /// The listener is connected: start from nothing (changes may have been missed).
    fn listening(&self) {
        self.forget(HashMap::clear);
        self.inner.listening.store(true, Ordering::Release);
        self.inner.metrics.listening.set(1);
    }

    /// The listener is lost: read through to PostgreSQL until it is back.
    fn deaf(&self) {
        self.inner.listening.store(false, Ordering::Release);
        self.inner.metrics.listening.set(0);
        self.forget(HashMap::clear);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Uuid, Kept>> {
        // A panic while holding the lock leaves a map that is still a valid cache.
        self.inner
            .products
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Uuid, Kept>> {
        self.inner
            .products
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The connection that hears of changes, subscribed by [`Cache::listen`]; [`follow`]
/// keeps the cache to what it hears.
///
/// [`follow`]: Changes::follow
#[derive(Debug)]
pub struct Changes {
    pool: PgPool,
    cache: Cache,
    listener: Option<PgListener>,
}

impl Cache {
    /// Subscribes a connection of `pool` to the catalog's changes; from then on, products
    /// are kept. `None` when the cache keeps nothing (capacity 0).
    pub async fn listen(&self, pool: &PgPool) -> Result<Option<Changes>, sqlx::Error> {
        if self.inner.capacity == 0 {
            return Ok(None);
        }
        let listener = subscribe(pool).await?;
        self.listening();
        Ok(Some(Changes {
            pool: pool.clone(),
            cache: self.clone(),
            listener: Some(listener),
        }))
    }
}

impl Changes {
    /// Drops what each change names until `stopping` is cancelled. When the connection is
    /// lost, reads go through to PostgreSQL until it is subscribed again.
    pub async fn follow(mut self, stopping: CancellationToken) {
        loop {
            if let Some(mut listener) = self.listener.take() {
                loop {
                    let received = tokio::select! {
                        () = stopping.cancelled() => return,
                        received = listener.try_recv() => received,
                    };
                    match received {
                        Ok(Some(notification)) => {
                            self.cache.invalidate(notification.payload());
                            self.cache.inner.metrics.heard.inc();
                        }
                        Ok(None) => {
                            tracing::warn!(
                                "lost the connection that hears catalog changes; reading through until it is back"
                            );
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "hearing catalog changes failed; reading through until it is back");
                            break;
                        }
                    }
                }
                self.cache.deaf();
            }
            tokio::select! {
                () = stopping.cancelled() => return,
                () = tokio::time::sleep(RECONNECT_AFTER) => {}
            }
            match subscribe(&self.pool).await {
                Ok(listener) => {
                    self.cache.listening();
                    tracing::info!("hearing catalog changes again");
                    self.listener = Some(listener);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for catalog changes yet; reading through to PostgreSQL");
                }
            }
        }
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn product(id: Uuid, price_minor: i64) -> Arc<Product> {
        let now = chrono::Utc::now();
        Arc::new(Product {
            id,
            sku: "SKU-1".to_owned(),
            name: "Lamp".to_owned(),
            description: String::new(),
            category_slug: "home".to_owned(),
            category_name: "Home".to_owned(),
            price_minor,
            currency: "EUR".to_owned(),
            stock: 1,
            active: true,
            attributes: sqlx::types::Json(BTreeMap::new()),
            review_attributes: Vec::new(),
            created_at: now,
            updated_at: now,
            wire: Arc::default(),
        })
    }

    fn listening(capacity: usize) -> Cache {
        let cache = Cache::new(capacity);
        cache.listening();
        cache
    }

    #[test]
    fn nothing_is_kept_while_not_listening() {
        let cache = Cache::new(10);
        let id = Uuid::new_v4();
        cache.fill(cache.ticket(), [product(id, 100)]);
        assert!(cache.get(id).is_none());

        cache.listening();
        cache.fill(cache.ticket(), [product(id, 100)]);
        assert_eq!(cache.get(id).map(|p| p.price_minor), Some(100));

        cache.deaf();
        assert!(cache.get(id).is_none(), "a lost listener drops everything");
    }

    #[test]
    fn a_fill_that_raced_a_change_keeps_nothing() {
        let cache = listening(10);
        let (id, other) = (Uuid::new_v4(), Uuid::new_v4());
        let ticket = cache.ticket();
        // The change lands while the read that took the ticket is in PostgreSQL.
        cache.invalidate(&other.to_string());
        cache.fill(ticket, [product(id, 100)]);
        assert!(cache.get(id).is_none());
    }

    #[test]
    fn a_notification_drops_its_product_or_everything() {
        let cache = listening(10);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.fill(cache.ticket(), [product(a, 1), product(b, 2)]);
        cache.invalidate(&a.to_string());
        assert!(cache.get(a).is_none());
        assert!(cache.get(b).is_some());
        cache.invalidate(EVERYTHING);
        assert!(cache.is_empty());
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let cache = listening(3);
        let products: Vec<_> = (0..10).map(|n| product(Uuid::new_v4(), n)).collect();
        cache.fill(cache.ticket(), products.iter().cloned());
        assert_eq!(cache.len(), 3);
        let none = listening(0);
        none.fill(none.ticket(), products);
        assert!(none.is_empty());
    }
}
