//! The demo catalog: 12 categories and 540 products, the same on every machine.
//!
//! Products are combinations of a category's brands, qualities and kinds of item; prices,
//! stock and attributes come from a stable hash of the SKU, so every run produces exactly
//! the same catalog, ids included (UUID v5 of the SKU). A few products are out of stock
//! and a few are not for sale, so the shop shows those states too.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::image::stable_hash;

/// The namespace of the seed's UUID v5 ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6c6f_6361_6c6d_6172_742d_7365_6564_0001);

pub const PRODUCTS_PER_CATEGORY: usize = 45;

struct CategorySeed {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    review_attributes: &'static [&'static str],
    brands: &'static [&'static str],
    qualities: &'static [&'static str],
    kinds: &'static [&'static str],
    /// Lowest and highest price in cents.
    price_range: (i64, i64),
    /// Attribute names and the values they take.
    attributes: &'static [(&'static str, &'static [&'static str])],
}

const CATEGORIES: &[CategorySeed] = &[
    CategorySeed {
        slug: "electronics",
        name: "Electronics",
        description: "Gadgets, chargers and smart devices for everyday life.",
        review_attributes: &["battery_life", "build_quality"],
        brands: &["Voltra", "Nexon", "Lumio"],
        qualities: &["Compact", "Smart", "Wireless", "Portable", "Rugged"],
        kinds: &[
            "Power Bank",
            "Tablet",
            "E-Reader",
            "Smartwatch",
            "Webcam",
            "Charger",
            "Projector",
            "Drone",
            "Router",
        ],
        price_range: (1_999, 79_999),
        attributes: &[
            ("colour", &["black", "silver", "white"]),
            ("warranty", &["1 year", "2 years"]),
            ("connectivity", &["Bluetooth 5.3", "Wi-Fi 6", "USB-C"]),
        ],
    },
    CategorySeed {
        slug: "audio",
        name: "Audio",
        description: "Headphones, speakers and everything that makes sound.",
        review_attributes: &["sound_quality", "comfort"],
        brands: &["Sonora", "Bassline", "Echofield"],
        qualities: &[
            "Noise-Cancelling",
            "Studio",
            "Wireless",
            "Compact",
            "Waterproof",
        ],
        kinds: &[
            "Headphones",
            "Earbuds",
            "Speaker",
            "Soundbar",
            "Turntable",
            "Microphone",
            "Amplifier",
            "Radio",
            "Subwoofer",
        ],
        price_range: (1_499, 59_999),
        attributes: &[
            ("colour", &["black", "sand", "navy"]),
            ("battery", &["20 h", "30 h", "mains"]),
            ("driver", &["10 mm", "40 mm", "50 mm"]),
        ],
    },
    CategorySeed {
        slug: "clothing",
        name: "Clothing",
        description: "Everyday wear in honest materials.",
        review_attributes: &["fit", "material"],
        brands: &["Northwear", "Linnea", "Harbor & Co"],
        qualities: &["Organic", "Classic", "Relaxed", "Slim", "Recycled"],
        kinds: &[
            "T-Shirt",
            "Hoodie",
            "Jeans",
            "Rain Jacket",
            "Sweater",
            "Chinos",
            "Shirt",
            "Fleece",
            "Shorts",
        ],
        price_range: (1_299, 18_999),
        attributes: &[
            ("colour", &["black", "olive", "navy", "ecru"]),
            ("material", &["cotton", "wool", "linen"]),
            ("size", &["S", "M", "L", "XL"]),
        ],
    },
    CategorySeed {
        slug: "shoes",
        name: "Shoes",
        description: "Shoes for running, walking and standing around looking good.",
        review_attributes: &["fit", "comfort"],
        brands: &["Stride", "Terrafoot", "Kestrel"],
        qualities: &["Lightweight", "Trail", "Waterproof", "Cushioned", "Minimal"],
        kinds: &[
            "Running Shoe",
            "Sneaker",
            "Hiking Boot",
            "Sandal",
            "Loafer",
            "Slipper",
            "Chelsea Boot",
            "Court Shoe",
            "Clog",
        ],
        price_range: (2_999, 22_999),
        attributes: &[
            ("colour", &["black", "grey", "tan"]),
            ("sole", &["rubber", "EVA foam", "leather"]),
            ("size", &["40", "42", "44", "46"]),
        ],
    },
    CategorySeed {
        slug: "home-kitchen",
        name: "Home & Kitchen",
        description: "Cookware, appliances and small helpers for the kitchen.",
        review_attributes: &["durability", "ease_of_use"],
        brands: &["Ferro", "Casalina", "Brightpan"],
        qualities: &["Cast Iron", "Non-Stick", "Stainless", "Ceramic", "Electric"],
        kinds: &[
            "Skillet",
            "Kettle",
            "Knife Set",
            "Blender",
            "Toaster",
            "Dutch Oven",
            "Coffee Grinder",
            "Cutting Board",
            "Mixing Bowl",
        ],
        price_range: (999, 34_999),
        attributes: &[
            ("material", &["steel", "ceramic", "bamboo"]),
            ("capacity", &["1 l", "1.7 l", "5 l"]),
            ("dishwasher_safe", &["yes", "no"]),
        ],
    },
    CategorySeed {
        slug: "furniture",
        name: "Furniture",
        description: "Tables, chairs and shelves that last.",
        review_attributes: &["comfort", "assembly"],
        brands: &["Oakhaus", "Nordform", "Loftline"],
        qualities: &[
            "Solid Oak",
            "Modular",
            "Folding",
            "Mid-Century",
            "Upholstered",
        ],
        kinds: &[
            "Desk",
            "Bookshelf",
            "Armchair",
            "Dining Table",
            "Bed Frame",
            "Sofa",
            "Stool",
            "Sideboard",
            "Wardrobe",
        ],
        price_range: (4_999, 149_999),
        attributes: &[
            ("material", &["oak", "walnut", "pine"]),
            ("finish", &["oiled", "lacquered", "natural"]),
            ("assembly", &["required", "none"]),
        ],
    },
    CategorySeed {
        slug: "books",
        name: "Books",
        description: "Novels, cookbooks and guides.",
        review_attributes: &["readability"],
        brands: &["Paperlane", "Inkwell Press", "Quarto"],
        qualities: &[
            "Illustrated",
            "Pocket",
            "Collected",
            "Annotated",
            "Hardcover",
        ],
        kinds: &[
            "Cookbook",
            "Travel Guide",
            "Mystery Novel",
            "Field Guide",
            "Poetry Collection",
            "History",
            "Atlas",
            "Biography",
            "Sketchbook",
        ],
        price_range: (799, 4_999),
        attributes: &[
            ("format", &["hardcover", "paperback"]),
            ("language", &["English", "French", "German"]),
            ("pages", &["192", "320", "480"]),
        ],
    },
    CategorySeed {
        slug: "toys-games",
        name: "Toys & Games",
        description: "Board games, puzzles and toys for every age.",
        review_attributes: &["fun", "durability"],
        brands: &["Playwise", "Tumbletop", "Brickly"],
        qualities: &["Wooden", "Cooperative", "Classic", "Educational", "Deluxe"],
        kinds: &[
            "Board Game",
            "Puzzle",
            "Building Set",
            "Card Game",
            "Train Set",
            "Kite",
            "Marble Run",
            "Plush Bear",
            "Chess Set",
        ],
        price_range: (999, 12_999),
        attributes: &[
            ("age", &["3+", "8+", "12+"]),
            ("players", &["1-4", "2-6", "1"]),
            ("material", &["wood", "cardboard", "plastic"]),
        ],
    },
    CategorySeed {
        slug: "sports-outdoors",
        name: "Sports & Outdoors",
        description: "Gear for the trail, the pitch and the campsite.",
        review_attributes: &["durability", "weight"],
        brands: &["Summit", "Riverstone", "Altura"],
        qualities: &["Ultralight", "Insulated", "Packable", "Pro", "Weatherproof"],
        kinds: &[
            "Tent",
            "Backpack",
            "Sleeping Bag",
            "Yoga Mat",
            "Water Bottle",
            "Headlamp",
            "Trekking Poles",
            "Bike Helmet",
            "Camp Stove",
        ],
        price_range: (1_499, 49_999),
        attributes: &[
            ("weight", &["350 g", "900 g", "1.8 kg"]),
            ("colour", &["orange", "forest", "slate"]),
            ("season", &["3-season", "4-season"]),
        ],
    },
    CategorySeed {
        slug: "beauty",
        name: "Beauty",
        description: "Skin care and grooming, kind to people and planet.",
        review_attributes: &["scent", "skin_feel"],
        brands: &["Velora", "Purebloom", "Saltmoss"],
        qualities: &[
            "Hydrating",
            "Fragrance-Free",
            "Vegan",
            "Gentle",
            "Refillable",
        ],
        kinds: &[
            "Face Cream",
            "Shampoo",
            "Body Wash",
            "Lip Balm",
            "Serum",
            "Sunscreen",
            "Hand Cream",
            "Soap Bar",
            "Cleanser",
        ],
        price_range: (499, 6_999),
        attributes: &[
            ("volume", &["50 ml", "200 ml", "500 ml"]),
            ("skin_type", &["all", "dry", "sensitive"]),
            ("scent", &["unscented", "citrus", "lavender"]),
        ],
    },
    CategorySeed {
        slug: "garden",
        name: "Garden",
        description: "Tools, planters and seeds for gardens and balconies.",
        review_attributes: &["durability", "ease_of_use"],
        brands: &["Greenhand", "Rootwell", "Fernbrook"],
        qualities: &[
            "Ergonomic",
            "Galvanised",
            "Self-Watering",
            "Heavy-Duty",
            "Compact",
        ],
        kinds: &[
            "Pruning Shears",
            "Planter",
            "Watering Can",
            "Hose Reel",
            "Trowel",
            "Seed Kit",
            "Rake",
            "Wheelbarrow",
            "Bird Feeder",
        ],
        price_range: (799, 24_999),
        attributes: &[
            ("material", &["steel", "terracotta", "recycled plastic"]),
            ("colour", &["green", "charcoal", "clay"]),
            ("outdoor_rated", &["yes"]),
        ],
    },
    CategorySeed {
        slug: "groceries",
        name: "Groceries",
        description: "Pantry staples, coffee and treats.",
        review_attributes: &["taste", "freshness"],
        brands: &["Fieldmark", "Old Mill", "Sunridge"],
        qualities: &[
            "Organic",
            "Single-Origin",
            "Stone-Ground",
            "Wildflower",
            "Roasted",
        ],
        kinds: &[
            "Coffee Beans",
            "Olive Oil",
            "Honey",
            "Pasta",
            "Granola",
            "Dark Chocolate",
            "Green Tea",
            "Peanut Butter",
            "Rice",
        ],
        price_range: (299, 2_999),
        attributes: &[
            ("weight", &["250 g", "500 g", "1 kg"]),
            ("origin", &["Italy", "Colombia", "Kenya", "Spain"]),
            ("diet", &["vegan", "vegetarian"]),
        ],
    },
];

/// A product of the demo catalog before it is stored.
#[derive(Debug, Clone)]
pub struct SeedProduct {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_slug: &'static str,
    pub price_minor: i64,
    pub stock: i32,
    pub active: bool,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
}

/// A well-spread number from `hash` and `salt`. The SplitMix64 finaliser spreads the
/// bits, so SKUs that differ in one character still get unrelated numbers, and each
/// salt gives an independent one.
fn mix(hash: u64, salt: u64) -> u64 {
    let mut x = hash ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn pick<'a>(choices: &[&'a str], hash: u64, salt: u64) -> &'a str {
    let index = usize::try_from(mix(hash, salt) % choices.len() as u64).unwrap_or(0);
    choices[index]
}

/// Every product of the demo catalog, in a fixed order.
pub fn products() -> Vec<SeedProduct> {
    let epoch = DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
    let mut products = Vec::new();
    for (c, category) in CATEGORIES.iter().enumerate() {
        let combinations = category.kinds.iter().flat_map(|kind| {
            category
                .qualities
                .iter()
                .map(move |quality| (*quality, *kind))
        });
        for (n, (quality, kind)) in combinations.take(PRODUCTS_PER_CATEGORY).enumerate() {
            let sku = format!("{}-{:04}", category.slug.to_uppercase(), n + 1);
            let hash = stable_hash(&sku);
            let brand = pick(category.brands, hash, 1);
            let (low, high) = category.price_range;
            let span = u64::try_from(high - low).unwrap_or(1).max(1);
            // Prices end in 99 cents, as shops like them to.
            let price_minor =
                (low + i64::try_from(mix(hash, 10) % span).unwrap_or(0)) / 100 * 100 + 99;
            let stock = match mix(hash, 11) % 20 {
                0 => 0,
                1 => 3,
                other => i32::try_from(other * 7).unwrap_or(50),
            };
            let mut attributes = std::collections::BTreeMap::new();
            for (i, (name, values)) in category.attributes.iter().enumerate() {
                attributes.insert(
                    (*name).to_owned(),
                    pick(values, hash, 2 + i as u64).to_owned(),
                );
            }
            attributes.insert("brand".to_owned(), brand.to_owned());
            let name = format!("{brand} {quality} {kind}");
            let description = format!(
                "The {quality} {kind} by {brand}: {lower} made to be used every day. \
                 One of our {category} favourites, chosen for how well it is made and how long it lasts.",
                quality = quality.to_lowercase(),
                lower = kind.to_lowercase(),
                category = category.name.to_lowercase(),
            );
            products.push(SeedProduct {
                id: Uuid::new_v5(&NAMESPACE, sku.as_bytes()),
                active: (c * PRODUCTS_PER_CATEGORY + n) % 37 != 36,
                created_at: epoch
                    + Duration::hours(
                        i64::try_from(c * PRODUCTS_PER_CATEGORY + n).unwrap_or(0) * 7,
                    ),
                sku,
                name,
                description,
                category_slug: category.slug,
                price_minor,
                stock,
                attributes,
            });
        }
    }
    products
}

/// Loads the demo catalog into an empty database and returns how many products it
/// inserted: 0 when the database already holds products.
pub async fn load(pool: &PgPool) -> Result<usize> {
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(pool)
        .await?;
    if existing > 0 {
        tracing::info!(existing, "the catalog already holds products; seed skipped");
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    for category in CATEGORIES {
        sqlx::query(
            "INSERT INTO categories (id, slug, name, description, review_attributes) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(Uuid::new_v5(&NAMESPACE, category.slug.as_bytes()))
        .bind(category.slug)
        .bind(category.name)
        .bind(category.description)
        .bind(category.review_attributes)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("inserting category {}", category.slug))?;
    }
    let products = products();
    for product in &products {
        sqlx::query(
            "INSERT INTO products (id, sku, name, description, category_id, price_minor, currency, stock, active, attributes, created_at, updated_at) \
             SELECT $1, $2, $3, $4, c.id, $6, 'USD', $7, $8, $9, $10, $10 FROM categories c WHERE c.slug = $5",
        )
        .bind(product.id)
        .bind(&product.sku)
        .bind(&product.name)
        .bind(&product.description)
        .bind(product.category_slug)
        .bind(product.price_minor)
        .bind(product.stock)
        .bind(product.active)
        .bind(sqlx::types::Json(&product.attributes))
        .bind(product.created_at)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("inserting product {}", product.sku))?;
    }
    tx.commit().await?;
    Ok(products.len())
}

/// The slugs of the demo categories, for tests and docs.
pub fn category_slugs() -> impl Iterator<Item = &'static str> {
    CATEGORIES.iter().map(|category| category.slug)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_demo_catalog_is_large_varied_and_unique() {
        let products = products();
        assert!(products.len() >= 500, "{} products", products.len());
        assert!(CATEGORIES.len() >= 10);
        let skus: HashSet<_> = products.iter().map(|p| &p.sku).collect();
        let names: HashSet<_> = products.iter().map(|p| &p.name).collect();
        assert_eq!(skus.len(), products.len(), "SKUs repeat");
        assert_eq!(names.len(), products.len(), "names repeat");
        assert!(
            products.iter().any(|p| p.stock == 0),
            "nothing is out of stock"
        );
        assert!(products.iter().any(|p| !p.active), "everything is for sale");
        assert!(
            products
                .iter()
                .all(|p| p.price_minor > 0 && p.price_minor % 100 == 99)
        );
        let origins: HashSet<_> = products
            .iter()
            .filter_map(|p| p.attributes.get("origin"))
            .collect();
        assert!(origins.len() > 1, "attributes vary: {origins:?}");
    }

    #[test]
    fn the_demo_catalog_is_the_same_every_time() {
        let (first, second) = (products(), products());
        assert!(
            first
                .iter()
                .zip(&second)
                .all(|(a, b)| a.id == b.id && a.price_minor == b.price_minor)
        );
    }
}
