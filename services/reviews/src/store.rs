//! Reviews in a MongoDB-wire database: every query the service makes is here.
//!
//! Every query runs the same on MongoDB 7 and on FerretDB v1, which the native stack and
//! the tests use: no transactions, no text or TTL indexes, and aggregations limited to
//! `$match` and a `$group` with a single `$sum` (the average is computed in Rust).
//!
//! A product's rating summary is a document of its own in `summaries` (its star counts),
//! set from the product's reviews after every review written or deleted, so reading one,
//! or a listing page's batch of them, is a lookup by id rather than a count of reviews.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use mongodb::bson::{self, Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::event::EventHandler;
use mongodb::event::cmap::CmapEvent;
use mongodb::event::command::CommandEvent;
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, IndexModel};
use platform::datastore::Datastore;
use platform::metrics::{Occupancy, Pool};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calls::{Calls, Weight};
use crate::cursor::{Cursor, Order};
use crate::error::ReviewsError;
use crate::turns::Turns;

/// A review as stored. `author_key` (the author as names are compared, `author::key`)
/// backs the unique index that allows one review per author and product. Its helpful
/// votes are documents of their own ([`Vote`]); the review keeps only their count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    #[serde(rename = "_id")]
    pub id: String,
    pub product_id: String,
    pub author: String,
    pub author_key: String,
    pub rating: i32,
    pub title: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
    pub helpful_count: i32,
    pub created_at: bson::DateTime,
    pub updated_at: bson::DateTime,
}

/// One voter's helpful vote on one review. Its id is both, so a voter counts once per
/// review; votes are never read with the reviews.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Vote {
    #[serde(rename = "_id")]
    id: String,
    review_id: String,
    voter: String,
}

impl Vote {
    fn new(review_id: &str, voter: &str) -> Self {
        Self {
            id: format!("{review_id}:{voter}"),
            review_id: review_id.to_owned(),
            voter: voter.to_owned(),
        }
    }
}

/// A product's star counts (index 0 is one star), kept for reading: set from its reviews
/// after each review written or deleted ([`Store::summarise`]), and all of them at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Summary {
    /// The product's id.
    #[serde(rename = "_id")]
    id: String,
    stars: [i64; 5],
}

/// A review stored before votes were documents of their own, with its voters inside.
#[derive(Debug, Deserialize)]
struct VotersInside {
    #[serde(rename = "_id")]
    id: String,
    voters: Vec<String>,
}

/// What [`Store::refold_author_keys`] reads of a review.
#[derive(Debug, Deserialize)]
struct StoredAuthor {
    #[serde(rename = "_id")]
    id: String,
    product_id: String,
    author: String,
    author_key: String,
}

/// One page of a listing, and the cursor of the next when there is one.
#[derive(Debug)]
pub struct Page {
    pub reviews: Vec<Review>,
    pub next: Option<Cursor>,
}

/// The longest the store's work at start or in a maintenance command (counting every
/// review) may take; a request's calls have the store timeout.
pub const MAINTENANCE_TIMEOUT: Duration = Duration::from_secs(60);

/// The index of the votes, by review (to count them and to delete them with it).
pub const VOTES_BY_REVIEW: &str = "votes_by_review";

/// The indexes, one per query shape; the unique one enforces one review per author.
pub const INDEXES: &[&str] = &[
    "product_newest",
    "product_rating",
    "product_helpful",
    "product_author_unique",
];

#[derive(Debug, Clone)]
pub struct Store {
    reviews: Collection<Review>,
    votes: Collection<Vote>,
    summaries: Collection<Summary>,
    /// Taken per review while its count is set from its votes. FerretDB v1 reads and
    /// writes a document in two steps, so two updates of one review at once can lose one
    /// (20 voters at once left a count of 19); in one process they take turns, while votes
    /// on other reviews go on. Several Reviews processes on FerretDB could still race; on
    /// MongoDB each update is atomic anyway.
    recounting: Arc<Turns<String>>,
    /// Taken per product while its summary is set from its reviews, for the same reason.
    summarising: Arc<Turns<String>>,
    /// Turns at the store for light calls and for heavy ones (see `calls`), with the
    /// longest a call may wait and take. The driver bounds connecting and finding a
    /// server, but not waiting for an answer, so a frozen server would hold a request
    /// until its deadline without this.
    calls: Arc<Calls>,
    /// The driver's pool, as its connection events tell it.
    connections: Connections,
}

/// A client span for every command the driver sends while a request is served (`find
/// reviews`, `aggregate reviews`, `insert votes`): opened when the driver starts the
/// command, in the caller's span, and closed when it answers or fails. The driver says
/// which command and collection; the command's contents (a review's words, an author)
/// stay out of the span. Commands made outside a request (the readiness probe, the
/// start-up work) make no span.
fn command_spans(db: Datastore) -> EventHandler<CommandEvent> {
    let open: Arc<std::sync::Mutex<HashMap<i32, tracing::Span>>> = Arc::default();
    EventHandler::callback(move |event| {
        let mut open = open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            CommandEvent::Started(started) => {
                if tracing::Span::current().is_none() {
                    return;
                }
                // The collection is the value of the command's first field (`{find:
                // "reviews", …}`); `getMore` names it under `collection`.
                let collection = started
                    .command
                    .iter()
                    .next()
                    .and_then(|(_, value)| value.as_str())
                    .or_else(|| started.command.get_str("collection").ok());
                let span = db.span(&started.command_name, collection);
                open.insert(started.request_id, span);
            }
            CommandEvent::Succeeded(succeeded) => {
                open.remove(&succeeded.request_id);
            }
            CommandEvent::Failed(failed) => {
                if let Some(span) = open.remove(&failed.request_id) {
                    // The server's code name (`DuplicateKey`): its message may quote data.
                    let kind = match &*failed.failure.kind {
                        ErrorKind::Command(command) => command.code_name.as_str(),
                        _ => "client",
                    };
                    span.record("otel.status_code", "error");
                    span.record("error.type", kind);
                }
            }
            _ => {}
        }
    })
}

/// Connections to the store: a light call may look several documents up at once.
const POOL_SIZE: u32 = 32;

/// The driver's connection pool, counted from its connection (CMAP) events: the driver
/// has no call that reports it. Clones share the counts; the saturation metrics report
/// them ([`Store::connections`]).
#[derive(Clone, Debug, Default)]
pub struct Connections(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    open: AtomicU32,
    checked_out: AtomicU32,
}

impl Connections {
    fn handler(&self) -> EventHandler<CmapEvent> {
        let counts = Arc::clone(&self.0);
        EventHandler::callback(move |event| {
            let (counter, up) = match event {
                CmapEvent::ConnectionCreated(_) => (&counts.open, true),
                CmapEvent::ConnectionClosed(_) => (&counts.open, false),
                CmapEvent::ConnectionCheckedOut(_) => (&counts.checked_out, true),
                CmapEvent::ConnectionCheckedIn(_) => (&counts.checked_out, false),
                _ => return,
            };
            if up {
                counter.fetch_add(1, Ordering::Relaxed);
            } else {
                // Never below zero, whatever order the events come in.
                let _ = counter
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            }
        })
    }
}

impl Pool for Connections {
    fn occupancy(&self) -> Occupancy {
        let open = self.0.open.load(Ordering::Relaxed);
        let in_use = self.0.checked_out.load(Ordering::Relaxed).min(open);
        Occupancy {
            in_use,
            idle: open - in_use,
            max: POOL_SIZE,
        }
    }
}

impl Store {
    /// Connects and creates the indexes; without a reachable database it fails after
    /// `timeout`, which also bounds every later call.
    pub async fn connect(uri: &str, database: &str, timeout: Duration) -> anyhow::Result<Self> {
        let mut options = ClientOptions::parse(uri).await?;
        options.app_name = Some("localmart-reviews".to_owned());
        options.command_event_handler =
            Some(command_spans(Datastore::new("mongodb", uri, database)));
        options.server_selection_timeout = Some(timeout);
        options.connect_timeout = Some(timeout);
        options.max_pool_size = Some(POOL_SIZE);
        let connections = Connections::default();
        options.cmap_event_handler = Some(connections.handler());
        let client = Client::with_options(options)?;
        let database = client.database(database);
        let store = Self {
            reviews: database.collection("reviews"),
            votes: database.collection("votes"),
            summaries: database.collection("summaries"),
            recounting: Arc::default(),
            summarising: Arc::default(),
            calls: Arc::new(Calls::new(timeout)),
            connections,
        };
        store.create_indexes().await?;
        store.move_voters_out().await?;
        store.summarise_all().await?;
        Ok(store)
    }

    /// The store's connection pool, for the saturation metrics.
    pub fn connections(&self) -> Connections {
        self.connections.clone()
    }

    async fn create_indexes(&self) -> Result<(), ReviewsError> {
        let index = |name: &str, keys: Document, unique: bool| {
            IndexModel::builder()
                .keys(keys)
                .options(
                    IndexOptions::builder()
                        .name(name.to_owned())
                        .unique(unique.then_some(true))
                        .build(),
                )
                .build()
        };
        // One index per call: FerretDB v1.24 panics when a single createIndexes names
        // several indexes that already exist, which every restart would do.
        for model in [
            index(
                INDEXES[0],
                doc! { "product_id": 1, "created_at": -1, "_id": -1 },
                false,
            ),
            index(
                INDEXES[1],
                doc! { "product_id": 1, "rating": -1, "created_at": -1, "_id": -1 },
                false,
            ),
            index(
                INDEXES[2],
                doc! { "product_id": 1, "helpful_count": -1, "created_at": -1, "_id": -1 },
                false,
            ),
            index(INDEXES[3], doc! { "product_id": 1, "author_key": 1 }, true),
        ] {
            self.bounded(async { Ok(self.reviews.create_index(model).await?) })
                .await?;
        }
        let by_review = index(VOTES_BY_REVIEW, doc! { "review_id": 1 }, false);
        self.bounded(async { Ok(self.votes.create_index(by_review).await?) })
            .await?;
        Ok(())
    }

    /// Moves the voters that reviews stored before kept inside them to votes of their own,
    /// and drops the list. Each step is safe to repeat, so a start cut short finishes on
    /// the next one.
    async fn move_voters_out(&self) -> Result<(), ReviewsError> {
        let inside = self.reviews.clone_with_type::<VotersInside>();
        let stored: Vec<VotersInside> = self
            .bounded_heavy(async {
                let found = inside
                    .find(doc! { "voters": { "$exists": true } })
                    .projection(doc! { "voters": 1 })
                    .await?;
                Ok(found.try_collect().await?)
            })
            .await?;
        for review in stored {
            for voter in &review.voters {
                self.bounded(self.record_vote(&review.id, voter)).await?;
            }
            self.bounded(async {
                let unset = doc! { "$unset": { "voters": "" } };
                self.reviews
                    .update_one(doc! { "_id": &review.id }, unset)
                    .await?;
                Ok(())
            })
            .await?;
            self.bounded(self.recount(&review.id)).await?;
        }
        Ok(())
    }

    /// Stores `voter`'s vote on the review; a vote already there is no error.
    async fn record_vote(&self, review_id: &str, voter: &str) -> Result<(), ReviewsError> {
        match self.votes.insert_one(Vote::new(review_id, voter)).await {
            Ok(_) => Ok(()),
            Err(err) if is_duplicate_key(&err) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Sets the review's count to its votes, counted now. Votes are only ever added while
    /// the review exists, so a later count is never smaller, and `$max` keeps the larger
    /// of two counts that arrive out of order: the count is never above the votes, and a
    /// count cut short by a crash is made good by the next vote on the review.
    async fn recount(&self, review_id: &str) -> Result<(), ReviewsError> {
        let _turn = self.recounting.turn(review_id.to_owned()).await;
        let votes = self
            .votes
            .count_documents(doc! { "review_id": review_id })
            .await?;
        let votes = i64::try_from(votes).unwrap_or(i64::MAX);
        self.reviews
            .update_one(
                doc! { "_id": review_id },
                doc! { "$max": { "helpful_count": votes } },
            )
            .await?;
        Ok(())
    }

    /// Makes one light call to the store once its turn comes (see `calls`), within the
    /// store timeout for the wait and again for the call; past either the answer is a
    /// 503. A write cut short this way may still be made; every write here is safe to
    /// repeat (a second insert of the review is refused as a duplicate, a vote counts
    /// once, a delete of the deleted is a 404).
    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, ReviewsError>>,
    ) -> Result<T, ReviewsError> {
        self.calls.make(Weight::Light, call).await
    }

    /// [`Self::bounded`] for a heavy call, whose work grows with the data.
    async fn bounded_heavy<T>(
        &self,
        call: impl Future<Output = Result<T, ReviewsError>>,
    ) -> Result<T, ReviewsError> {
        self.calls.make(Weight::Heavy, call).await
    }

    /// Brings every review's `author_key` up to `key`: how names are compared has
    /// changed before, and a review keeps the key of the day it was written. A review
    /// whose new key another review of its product already has keeps its old key, since
    /// both were allowed when written. Returns how many keys changed. It reads every
    /// review's author (within the store timeout), once per start.
    pub async fn refold_author_keys(
        &self,
        key: impl Fn(&str) -> String,
    ) -> Result<u64, ReviewsError> {
        let authors = self.reviews.clone_with_type::<StoredAuthor>();
        let stored: Vec<StoredAuthor> = self
            .bounded_heavy(async {
                let found = authors
                    .find(doc! {})
                    .projection(doc! { "product_id": 1, "author": 1, "author_key": 1 })
                    .await?;
                Ok(found.try_collect().await?)
            })
            .await?;
        let mut changed = 0;
        for review in stored {
            let folded = key(&review.author);
            if folded == review.author_key {
                continue;
            }
            // Asked first rather than read from the unique index's refusal: FerretDB v1
            // refuses an update that breaks a unique index as an internal error, not as
            // the duplicate key MongoDB reports. The start is the only writer of keys
            // here, so nothing can take the key in between.
            let refolded = self
                .bounded(async {
                    let taken = doc! {
                        "product_id": &review.product_id,
                        "author_key": &folded,
                        "_id": { "$ne": &review.id },
                    };
                    if self.reviews.count_documents(taken).await? > 0 {
                        return Ok(false);
                    }
                    let update = doc! { "$set": { "author_key": &folded } };
                    match self
                        .reviews
                        .update_one(doc! { "_id": &review.id }, update)
                        .await
                    {
                        Ok(_) => Ok(true),
                        Err(err) if is_duplicate_key(&err) => Ok(false),
                        Err(err) => Err(err.into()),
                    }
                })
                .await?;
            if refolded {
                changed += 1;
            } else {
                tracing::warn!(
                    review = review.id,
                    "a look-alike of this review's author reviewed the product too; both stay"
                );
            }
        }
        Ok(changed)
    }

    /// Copies every collection of this store's database from the same database at
    /// `source` (another MongoDB-wire server): a document already here under the same id
    /// is replaced, so a copy cut short is finished by running it again. Answers how many
    /// documents were copied. For moving an installation from one store to another; the
    /// service's own checks run on the next start.
    pub async fn copy_from(&self, source: &str) -> anyhow::Result<u64> {
        let name = self.reviews.namespace().db;
        let source = Client::with_uri_str(source).await?.database(&name);
        let target = self.reviews.client().database(&name);
        let mut copied = 0;
        for collection in source.list_collection_names().await? {
            let from = source.collection::<Document>(&collection);
            let to = target.collection::<Document>(&collection);
            let mut documents = from.find(doc! {}).await?;
            while let Some(document) = documents.try_next().await? {
                let id = document
                    .get("_id")
                    .cloned()
                    .ok_or_else(|| anyhow::anyhow!("a document of {collection} has no _id"))?;
                to.replace_one(doc! { "_id": id }, document)
                    .upsert(true)
                    .await?;
                copied += 1;
            }
        }
        Ok(copied)
    }

    /// Whether the store holds no review at all.
    pub async fn is_empty(&self) -> Result<bool, ReviewsError> {
        self.bounded(async { Ok(self.reviews.find_one(doc! {}).await?.is_none()) })
            .await
    }

    /// Writes `reviews` and their helpful `votes` (review id, voter id) as they are, then
    /// sets every summary: for loading a store, not for serving (`demo::seed`).
    pub async fn load(
        &self,
        reviews: &[Review],
        votes: &[(String, String)],
    ) -> Result<(), ReviewsError> {
        const CHUNK: usize = 500;
        for chunk in reviews.chunks(CHUNK) {
            self.reviews.insert_many(chunk).await?;
        }
        let votes: Vec<Vote> = votes
            .iter()
            .map(|(review, voter)| Vote::new(review, voter))
            .collect();
        for chunk in votes.chunks(CHUNK) {
            self.votes.insert_many(chunk).await?;
        }
        self.summarise_all().await
    }

    pub async fn index_names(&self) -> Result<Vec<String>, ReviewsError> {
        self.bounded(async { Ok(self.reviews.list_index_names().await?) })
            .await
    }

    /// Stores the review, then sets its product's summary.
    pub async fn insert(&self, review: &Review) -> Result<(), ReviewsError> {
        self.bounded(async {
            match self.reviews.insert_one(review).await {
                Ok(_) => Ok(()),
                Err(err) if is_duplicate_key(&err) => Err(ReviewsError::DuplicateReview {
                    author: review.author.clone(),
                }),
                Err(err) => Err(err.into()),
            }
        })
        .await?;
        self.summarise_after_change(&review.product_id).await;
        Ok(())
    }

    /// Sets `product`'s summary after one of its reviews changed. The review itself is
    /// already stored, so a failure here does not fail the request: the summary is made
    /// good by the product's next review written or deleted, or by the next start.
    async fn summarise_after_change(&self, product: &str) {
        if let Err(err) = self.bounded_heavy(self.summarise(product)).await {
            tracing::warn!(error = %err, product, "could not set the product's rating summary");
        }
    }

    /// Sets `product`'s summary to its reviews, counted now; one count of a product at a
    /// time (see `summarising`), so two counts never overwrite each other out of order.
    async fn summarise(&self, product: &str) -> Result<(), ReviewsError> {
        let _turn = self.summarising.turn(product.to_owned()).await;
        let counted = self.count_stars(doc! { "product_id": product }).await?;
        let stars = counted.get(product).copied().unwrap_or_default();
        self.keep_summary(product, stars).await
    }

    /// Sets every product's summary from the reviews, once per start: what a crash between
    /// a review and its summary left behind is made good here. Counting every review is
    /// no request's work, so it has [`MAINTENANCE_TIMEOUT`] rather than the store timeout.
    /// It runs before the store serves (and when a store is loaded), so no request's
    /// summarising runs beside it.
    async fn summarise_all(&self) -> Result<(), ReviewsError> {
        let counted = tokio::time::timeout(MAINTENANCE_TIMEOUT, self.count_stars(doc! {}))
            .await
            .map_err(|_| ReviewsError::StoreTimedOut(MAINTENANCE_TIMEOUT))??;
        let kept: Vec<Summary> = self
            .bounded_heavy(async { Ok(self.summaries.find(doc! {}).await?.try_collect().await?) })
            .await?;
        // Products whose last review is gone keep a summary of nothing.
        let emptied = kept
            .iter()
            .filter(|summary| !counted.contains_key(&summary.id))
            .map(|summary| (summary.id.clone(), [0; 5]));
        for (product, stars) in counted.clone().into_iter().chain(emptied) {
            let unchanged = kept
                .iter()
                .any(|summary| summary.id == product && summary.stars == stars);
            if !unchanged {
                self.bounded(self.keep_summary(&product, stars)).await?;
            }
        }
        Ok(())
    }

    async fn keep_summary(&self, product: &str, stars: [i64; 5]) -> Result<(), ReviewsError> {
        self.summaries
            .replace_one(
                doc! { "_id": product },
                Summary {
                    id: product.to_owned(),
                    stars,
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    pub async fn get(&self, id: Uuid) -> Result<Review, ReviewsError> {
        self.bounded(self.find(id)).await
    }

    async fn find(&self, id: Uuid) -> Result<Review, ReviewsError> {
        self.reviews
            .find_one(doc! { "_id": id.to_string() })
            .await?
            .ok_or(ReviewsError::ReviewNotFound(id))
    }

    /// Deletes the review, then its votes, then sets its product's summary, and answers the
    /// review that was deleted (a delete cut
    /// short between them leaves votes of no review, which nothing reads, or a summary
    /// that the next change or start makes good).
    pub async fn delete(&self, id: Uuid) -> Result<Review, ReviewsError> {
        let deleted = self
            .bounded(async {
                Ok(self
                    .reviews
                    .find_one_and_delete(doc! { "_id": id.to_string() })
                    .await?)
            })
            .await?
            .ok_or(ReviewsError::ReviewNotFound(id))?;
        self.bounded(async {
            let votes = doc! { "review_id": id.to_string() };
            self.votes.delete_many(votes).await?;
            Ok(())
        })
        .await?;
        self.summarise_after_change(&deleted.product_id).await;
        Ok(deleted)
    }

    /// Counts `voter` once: the vote is a document whose id is the review and the voter,
    /// so a second one is refused by the store, and the review's count is then set from
    /// its votes ([`recount`](Self::recount)).
    pub async fn mark_helpful(&self, id: Uuid, voter: Uuid) -> Result<Review, ReviewsError> {
        self.bounded(async {
            // A vote only for a review that exists.
            self.find(id).await?;
            let review_id = id.to_string();
            self.record_vote(&review_id, &voter.to_string()).await?;
            self.recount(&review_id).await?;
            self.find(id).await
        })
        .await
    }

    /// One page of a product's reviews in `order`, starting after `after`.
    pub async fn list(
        &self,
        product: Uuid,
        order: Order,
        rating: Option<u32>,
        limit: u32,
        after: Option<&Cursor>,
    ) -> Result<Page, ReviewsError> {
        let mut filter = doc! { "product_id": product.to_string() };
        if let Some(rating) = rating {
            filter.insert("rating", i64::from(rating));
        }
        if let Some(cursor) = after {
            filter.insert("$or", after_cursor(cursor));
        }
        let key = order_key(order);
        let sort = match key {
            Some((field, direction)) => doc! { field: direction, "created_at": -1, "_id": -1 },
            None => doc! { "created_at": -1, "_id": -1 },
        };
        let mut reviews: Vec<Review> = self
            .bounded_heavy(async {
                let found = self.reviews.find(filter).sort(sort);
                Ok(found
                    .limit(i64::from(limit) + 1)
                    .await?
                    .try_collect()
                    .await?)
            })
            .await?;
        let next = if reviews.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            reviews.truncate(usize::try_from(limit).unwrap_or(0));
            reviews.last().map(|last| Cursor {
                order,
                rating,
                key: match key {
                    Some(("rating", _)) => i64::from(last.rating),
                    Some(_) => i64::from(last.helpful_count),
                    None => 0,
                },
                created_at_ms: last.created_at.timestamp_millis(),
                id: last.id.clone(),
            })
        } else {
            None
        };
        Ok(Page { reviews, next })
    }

    /// How many reviews each product has per star (index 0 is one star), from the kept
    /// summaries: a lookup by id each, all at once. (FerretDB v1 hands an `_id` equality
    /// to its backend, but reads every summary for an `_id: {$in: [...]}`: with the demo
    /// catalog's summaries, one product's summary was 14 (SQLite) to 37 (PostgreSQL)
    /// times slower that way.)
    pub async fn star_counts(
        &self,
        products: &[Uuid],
    ) -> Result<HashMap<Uuid, [i64; 5]>, ReviewsError> {
        let lookups = products.iter().map(|product| async move {
            let kept = self
                .summaries
                .find_one(doc! { "_id": product.to_string() })
                .await?;
            Ok::<_, ReviewsError>((*product, kept.map_or([0; 5], |summary| summary.stars)))
        });
        self.bounded(async { futures::future::try_join_all(lookups).await })
            .await
            .map(|counts| counts.into_iter().collect())
    }

    /// Counts the stars of the reviews `filter` matches, per product. A single `$sum` per
    /// group, so it runs the same on FerretDB v1 and MongoDB.
    async fn count_stars(
        &self,
        filter: Document,
    ) -> Result<HashMap<String, [i64; 5]>, ReviewsError> {
        let pipeline = [
            doc! { "$match": filter },
            doc! { "$group": { "_id": { "product": "$product_id", "rating": "$rating" }, "count": { "$sum": 1 } } },
        ];
        let groups: Vec<Document> = self
            .reviews
            .aggregate(pipeline)
            .await?
            .try_collect()
            .await?;
        let mut counts: HashMap<String, [i64; 5]> = HashMap::new();
        for group in groups {
            let key = group.get_document("_id").map_err(|err| {
                ReviewsError::Corrupt(format!("a rating group without its key: {err}"))
            })?;
            let product = key.get_str("product").ok();
            let rating = number(key.get("rating"));
            let count = number(group.get("count"));
            if let (Some(product), Some(rating @ 1..=5), Some(count)) = (product, rating, count) {
                let stars = counts.entry(product.to_owned()).or_default();
                stars[usize::try_from(rating - 1).unwrap_or(0)] += count;
            }
        }
        Ok(counts)
    }
}

/// Ready when the store answers; reads need nothing else.
impl platform::http::Readiness for Store {
    async fn check(&self) -> Result<(), String> {
        let database = self.reviews.client().database("admin");
        database
            .run_command(doc! { "ping": 1 })
            .await
            .map(drop)
            .map_err(|err| format!("the review store does not answer: {err}"))
    }
}

/// The sort field and direction after which `created_at` desc and `_id` desc follow.
fn order_key(order: Order) -> Option<(&'static str, i32)> {
    match order {
        Order::Newest => None,
        Order::Highest => Some(("rating", -1)),
        Order::Lowest => Some(("rating", 1)),
        Order::MostHelpful => Some(("helpful_count", -1)),
    }
}

/// The `$or` that selects what sorts strictly after the cursor's review.
fn after_cursor(cursor: &Cursor) -> Vec<Document> {
    let created = bson::DateTime::from_millis(cursor.created_at_ms);
    let tail = vec![
        doc! { "created_at": { "$lt": created } },
        doc! { "created_at": created, "_id": { "$lt": &cursor.id } },
    ];
    match order_key(cursor.order) {
        None => tail,
        Some((field, direction)) => {
            let beyond = if direction < 0 { "$lt" } else { "$gt" };
            let mut clauses = vec![doc! { field: { beyond: cursor.key } }];
            for mut clause in tail {
                clause.insert(field, cursor.key);
                clauses.push(clause);
            }
            clauses
        }
    }
}

/// Numbers come back as 32- or 64-bit integers (or doubles) depending on the server.
fn number(value: Option<&Bson>) -> Option<i64> {
    match value? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) if n.fract() == 0.0 => Some(*n as i64),
        _ => None,
    }
}

fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match &*err.kind {
        ErrorKind::Write(WriteFailure::WriteError(write)) => write.code == 11000,
        ErrorKind::Command(command) => command.code == 11000,
        _ => false,
    }
}
