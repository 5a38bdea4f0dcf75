//! Demo reviews for the seeded shop (`reviews seed`, which `make up` runs), so that its
//! product pages show what a shop with customers shows: every product the Catalog lists
//! gets reviews, most a handful, some a few dozen and a few some hundreds, with ratings
//! spread around a quality of the product's own and helpful votes on some of them.
//!
//! The same catalog always gets the same reviews: everything is drawn from a generator
//! seeded with the product's id. An empty store is filled; one that holds reviews is left
//! as it is.

use anyhow::{Context, Result};
use chrono::{TimeZone, Utc};
use mongodb::bson;
use uuid::Uuid;

use crate::author;
use crate::store::{Review, Store};

/// What a seed did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    /// The store held reviews already and was left as it was.
    LeftAsIs,
    /// This many reviews, with this many helpful votes, were written.
    Written { reviews: usize, votes: usize },
}

/// A product as the seed needs it.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
}

/// Fills an empty store with the demo reviews of every product the Catalog at
/// `catalog_url` lists.
pub async fn seed(store: &Store, catalog_url: &str) -> Result<Seeded> {
    if !store.is_empty().await? {
        return Ok(Seeded::LeftAsIs);
    }
    let products = listed_products(catalog_url).await?;
    let mut reviews = Vec::new();
    let mut votes = Vec::new();
    for product in &products {
        let (mut written, mut voted) = reviews_of(product);
        reviews.append(&mut written);
        votes.append(&mut voted);
    }
    store.load(&reviews, &votes).await?;
    Ok(Seeded::Written {
        reviews: reviews.len(),
        votes: votes.len(),
    })
}

/// Every product the Catalog lists (its public listing, a page at a time).
async fn listed_products(catalog_url: &str) -> Result<Vec<Product>> {
    let client = catalog_api::Client::new(catalog_url, catalog_api::client::HeaderHook::default());
    let mut products = Vec::new();
    for page in 1_i32.. {
        let listed = client
            .list_products()
            .page(page)
            .page_size(100)
            .send()
            .await
            .context("listing the Catalog's products (CATALOG_HTTP_URL)")?
            .into_inner();
        products.extend(listed.items.into_iter().map(|product| Product {
            id: product.id,
            name: product.name,
        }));
        if i64::from(page) >= listed.total_pages {
            break;
        }
    }
    Ok(products)
}

/// The demo reviews of `product` and their helpful votes (review id, voter id), the same
/// every time.
pub fn reviews_of(product: &Product) -> (Vec<Review>, Vec<(String, String)>) {
    let mut dice = Dice::for_product(product.id);
    let count = match dice.unit() {
        share if share < 0.02 => 120 + dice.below(180),
        share if share < 0.12 => 10 + dice.below(25),
        _ => 1 + dice.below(8),
    };
    // How good the product is, around which its ratings spread.
    let quality = 2.6 + dice.unit() * 2.3;
    // A window of about two years, in which the reviews were written.
    let first = Utc.with_ymd_and_hms(2024, 11, 1, 0, 0, 0).single();
    let first = first.map_or(0, |time| time.timestamp_millis());
    let names = dice.below(1000);
    let mut authors = std::collections::HashSet::new();
    let mut next_name = 0;
    let mut reviews = Vec::new();
    let mut votes = Vec::new();
    for _ in 0..count {
        let spread = (dice.unit() + dice.unit() - 1.0) * 2.0;
        let rating = (quality + spread).round().clamp(1.0, 5.0) as i32;
        // One review per author, names compared as the service compares them (so "Ada I."
        // and "Ada L.", which look alike, are one name).
        let author = loop {
            let name = author_name(next_name, names);
            next_name += 1;
            if authors.insert(author::key(&name)) {
                break name;
            }
        };
        let written =
            bson::DateTime::from_millis(first + i64::try_from(dice.below(690 * DAY)).unwrap_or(0));
        let id = dice.uuid().to_string();
        let helpful = if dice.unit() < 0.3 {
            (dice.unit().powi(3) * 24.0) as u64
        } else {
            0
        };
        for _ in 0..helpful {
            votes.push((id.clone(), dice.uuid().to_string()));
        }
        reviews.push(Review {
            id,
            product_id: product.id.to_string(),
            author_key: author::key(&author),
            author,
            rating,
            title: pick(&mut dice, TITLES[rating_band(rating)]).to_owned(),
            body: body(&mut dice, rating, &product.name),
            attributes: std::collections::BTreeMap::new(),
            helpful_count: i32::try_from(helpful).unwrap_or(i32::MAX),
            created_at: written,
            updated_at: written,
        });
    }
    (reviews, votes)
}

const DAY: u64 = 24 * 60 * 60 * 1000;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
    "Liam", "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Amir", "Bea", "Carlos", "Dana", "Emil", "Fatima", "Gus",
    "Hana", "Ivan", "Jade", "Kofi", "Lena", "Marco", "Nora", "Omar", "Priya", "Rafael", "Sofia",
    "Theo", "Una", "Wiktor", "Yara",
];

/// The `n`th name for a product's authors: a first name and an initial, each `n` below
/// 1,248 (48 names, 26 initials) a different string, whatever `offset`.
fn author_name(n: u64, offset: u64) -> String {
    let names = FIRST_NAMES.len() as u64;
    let first = FIRST_NAMES[usize::try_from((n + offset) % names).unwrap_or(0)];
    let initial = b'A' + u8::try_from((n / names + offset) % 26).unwrap_or(0);
    format!("{first} {}.", char::from(initial))
}

/// 1 and 2 stars, 3, 4, 5: the index into the phrase tables.
fn rating_band(rating: i32) -> usize {
    match rating {
        ..=2 => 0,
        3 => 1,
        4 => 2,
        _ => 3,
    }
}

const TITLES: [&[&str]; 4] = [
    &[
        "Disappointed",
        "Not worth the money",
        "Stopped working too soon",
        "Would not buy again",
        "Not as described",
    ],
    &[
        "It's fine",
        "Does the job, nothing more",
        "Mixed feelings",
        "Okay for the price",
        "Average",
    ],
    &[
        "Very good",
        "Solid choice",
        "Happy with it",
        "Good, with one small gripe",
        "Does what it says",
    ],
    &[
        "Exactly what I hoped for",
        "Love it",
        "Worth every cent",
        "Better than expected",
        "Would buy again",
    ],
];

const OPENERS: [&[&str]; 4] = [
    &[
        "I really wanted to like the {name}.",
        "Returned it after two weeks.",
        "The {name} looked great in the pictures.",
    ],
    &[
        "I've had the {name} for about a month now.",
        "Bought it on sale.",
        "It arrived on time and well packed.",
    ],
    &[
        "I've used the {name} almost every day since it arrived.",
        "Bought it to replace an older one.",
        "Got the {name} as a gift and ended up using it a lot.",
    ],
    &[
        "The {name} is one of the best things I bought this year.",
        "I've used it daily for two months.",
        "Bought one, then a second one for my family.",
    ],
];

const DETAILS: [&[&str]; 4] = [
    &[
        "It feels flimsy and one part came loose in the first week.",
        "It does not do what the description promises.",
        "Customer service was friendly, but the product is just not good.",
    ],
    &[
        "It works, but it feels cheaper than I expected.",
        "Some things are great, others are annoying.",
        "Nothing wrong with it, nothing special either.",
    ],
    &[
        "Well made and easy to use; my only gripe is the packaging.",
        "It does everything I need, though the instructions could be clearer.",
        "Good quality for the price.",
    ],
    &[
        "The quality is excellent and it feels like it will last for years.",
        "It does exactly what the description says, and does it well.",
        "Easy to set up, and nothing was missing from the box.",
    ],
];

const CLOSERS: [&[&str]; 4] = [
    &[
        "I would look elsewhere.",
        "Not recommended.",
        "Save your money.",
    ],
    &[
        "Fine if you don't expect too much.",
        "I might try another brand next time.",
        "Three stars feels right.",
    ],
    &["I'd recommend it.", "Would buy again.", "Happy overall."],
    &[
        "Highly recommended.",
        "I would buy it again without thinking twice.",
        "Can't fault it.",
    ],
];

fn pick<'a>(dice: &mut Dice, phrases: &[&'a str]) -> &'a str {
    phrases[usize::try_from(dice.below(phrases.len() as u64)).unwrap_or(0)]
}

fn body(dice: &mut Dice, rating: i32, name: &str) -> String {
    let band = rating_band(rating);
    let sentence = [OPENERS[band], DETAILS[band], CLOSERS[band]]
        .map(|phrases| pick(dice, phrases).replace("{name}", name));
    sentence.join(" ")
}

/// A small deterministic generator (SplitMix64), seeded with a product's id.
struct Dice(u64);

impl Dice {
    fn for_product(id: Uuid) -> Self {
        let (high, low) = id.as_u64_pair();
        Self(high ^ low.rotate_left(29))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(n: u128) -> Product {
        Product {
            id: Uuid::from_u128(n),
            name: "Trail Lantern".to_owned(),
        }
    }

    #[test]
    fn a_product_gets_the_same_reviews_every_time() {
        let (first, first_votes) = reviews_of(&product(7));
        let (again, again_votes) = reviews_of(&product(7));
        assert_eq!(first, again);
        assert_eq!(first_votes, again_votes);
        assert_ne!(
            first,
            reviews_of(&product(8)).0,
            "another product, other reviews"
        );
    }

    #[test]
    fn reviews_are_well_formed_and_each_author_reviews_once() {
        for n in 0..200 {
            let (reviews, votes) = reviews_of(&product(n));
            assert!(!reviews.is_empty());
            let authors: std::collections::HashSet<_> =
                reviews.iter().map(|review| &review.author_key).collect();
            assert_eq!(authors.len(), reviews.len(), "an author twice");
            for review in &reviews {
                assert!((1..=5).contains(&review.rating));
                assert!(review.title.len() <= 120 && !review.body.is_empty());
                let voted = votes.iter().filter(|(id, _)| *id == review.id).count();
                assert_eq!(usize::try_from(review.helpful_count), Ok(voted));
            }
        }
    }

    #[test]
    fn most_products_get_a_handful_and_a_few_get_hundreds() {
        let mut counts: Vec<usize> = (0..200).map(|n| reviews_of(&product(n)).0.len()).collect();
        counts.sort_unstable();
        assert!(counts[100] <= 8, "median {}", counts[100]);
        let hundreds = counts.iter().filter(|count| **count >= 100).count();
        assert!(
            (1..=12).contains(&hundreds),
            "{hundreds} of 200 with hundreds"
        );
    }
}
