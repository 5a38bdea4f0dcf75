//! What a shopper does on a visit, as the storefront's pages do it: each step is the calls
//! one page or one click makes, through [`storefront_api::Api`], the shop's own request
//! layer (the generated clients, a fresh `traceparent` on every call).

use std::fmt;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use catalog_api::types::Product;
use reviews_api::types::{HelpfulVote, ReviewInput, ReviewSort};
use storefront_api::{Api, ApiError, ProductQuery, REVIEWS_PAGE};
use uuid::Uuid;

/// The kinds of visit, each with its share of the traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Journey {
    /// A category's listing, then one of its products.
    Browse,
    /// A search, then the first result.
    Search,
    /// A product page reached from outside (a link, a bookmark).
    Product,
    /// A new cart: two products added, one quantity changed, one line removed, the cart.
    Cart,
    /// A product's reviews read past the first page, one marked helpful, one written.
    Review,
}

impl Journey {
    /// Every journey with its weight: out of 100 visits, how many are of this kind.
    pub const WEIGHTS: [(Journey, u32); 5] = [
        (Journey::Browse, 30),
        (Journey::Search, 20),
        (Journey::Product, 20),
        (Journey::Cart, 20),
        (Journey::Review, 10),
    ];

    /// The journey whose share of the weights `point` (below their total) falls in.
    pub fn at(point: u32) -> Journey {
        let mut left = point;
        for (journey, weight) in Self::WEIGHTS {
            if left < weight {
                return journey;
            }
            left -= weight;
        }
        Journey::Browse
    }

    pub fn total_weight() -> u32 {
        Self::WEIGHTS.iter().map(|(_, weight)| weight).sum()
    }
}

impl fmt::Display for Journey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Journey::Browse => "browse a category",
            Journey::Search => "search",
            Journey::Product => "open a product",
            Journey::Cart => "fill a cart",
            Journey::Review => "read and write reviews",
        })
    }
}

/// What the journeys choose from, read from the shop once before the run.
#[derive(Debug)]
pub struct Shop {
    categories: Vec<String>,
    products: Vec<Product>,
    /// The products a cart line can take a few of (all of them, if none has that stock).
    stocked: Vec<Product>,
    search_terms: Vec<String>,
}

impl Shop {
    /// The shop's categories and every active product, page by page.
    pub async fn read(api: &Api) -> Result<Shop> {
        let categories = api.categories().await.context("reading the categories")?;
        let mut products = Vec::new();
        for page in 1.. {
            let query = ProductQuery {
                page,
                ..ProductQuery::default()
            };
            let listing = api.products(&query).await.context("reading the products")?;
            products.extend(listing.items.into_iter().filter(|product| product.active));
            if i64::from(page) >= listing.total_pages {
                break;
            }
        }
        if products.is_empty() {
            bail!("the shop has no products to visit: is it seeded (`make up` seeds it)?");
        }
        // Shoppers search for words that name products, as they would.
        let mut search_terms: Vec<String> = products
            .iter()
            .flat_map(|product| product.name.split_whitespace())
            .filter(|word| word.len() >= 4 && word.chars().all(char::is_alphabetic))
            .map(str::to_lowercase)
            .collect();
        search_terms.sort();
        search_terms.dedup();
        let mut stocked: Vec<Product> =
            products.iter().filter(|p| p.stock >= 10).cloned().collect();
        if stocked.is_empty() {
            stocked = products.clone();
        }
        Ok(Shop {
            categories: categories.into_iter().map(|c| c.slug.to_string()).collect(),
            products,
            stocked,
            search_terms,
        })
    }

    fn any_product(&self, rng: &mut fastrand::Rng) -> &Product {
        &self.products[rng.usize(..self.products.len())]
    }

    /// A product a cart line can take a few of.
    fn product_in_stock(&self, rng: &mut fastrand::Rng) -> &Product {
        &self.stocked[rng.usize(..self.stocked.len())]
    }
}

/// One simulated shopper: a client of its own and, once it has voted, its voter.
#[derive(Debug)]
pub struct Shopper {
    api: Api,
    voter: Mutex<Option<HelpfulVote>>,
}

impl Shopper {
    pub fn new(api: Api) -> Shopper {
        Shopper {
            api,
            voter: Mutex::new(None),
        }
    }

    /// Walks `journey` through the shop; the error names the step that failed.
    pub async fn visit(
        &self,
        journey: Journey,
        shop: &Shop,
        rng: &mut fastrand::Rng,
    ) -> Result<()> {
        match journey {
            Journey::Browse => self.browse(shop, rng).await,
            Journey::Search => self.search(shop, rng).await,
            Journey::Product => {
                let product = shop.any_product(rng).id;
                self.product_page(product).await.map(drop)
            }
            Journey::Cart => self.fill_a_cart(shop, rng).await,
            Journey::Review => self.review(shop, rng).await,
        }
    }

    async fn browse(&self, shop: &Shop, rng: &mut fastrand::Rng) -> Result<()> {
        let category = shop
            .categories
            .get(rng.usize(..shop.categories.len().max(1)));
        let query = ProductQuery {
            category: category.cloned(),
            page: 1,
            ..ProductQuery::default()
        };
        let listed = self.listing(&query).await?;
        if let Some(product) = pick(&listed, rng) {
            self.product_page(product).await?;
        }
        Ok(())
    }

    async fn search(&self, shop: &Shop, rng: &mut fastrand::Rng) -> Result<()> {
        let term = shop
            .search_terms
            .get(rng.usize(..shop.search_terms.len().max(1)));
        let query = ProductQuery {
            q: Some(term.cloned().unwrap_or_else(|| "a".to_owned())),
            page: 1,
            ..ProductQuery::default()
        };
        let found = self.listing(&query).await?;
        if let Some(&first) = found.first() {
            self.product_page(first).await?;
        }
        Ok(())
    }

    async fn fill_a_cart(&self, shop: &Shop, rng: &mut fastrand::Rng) -> Result<()> {
        let api = &self.api;
        let first = shop.product_in_stock(rng).id;
        let mut second = shop.product_in_stock(rng).id;
        if second == first {
            second = shop.any_product(rng).id;
        }
        let cart = api.create_cart().await.map_err(step("create a cart"))?.id;
        let one = storefront_api::quantity(1)?;
        api.add_line(cart, first, one.clone())
            .await
            .map_err(step("add a product"))?;
        if second != first {
            api.add_line(cart, second, one)
                .await
                .map_err(step("add another product"))?;
            api.remove_line(cart, second)
                .await
                .map_err(step("remove a line"))?;
        }
        let two = storefront_api::quantity(2)?;
        api.set_quantity(cart, first, two)
            .await
            .map_err(step("change a quantity"))?;
        let seen = api.cart(cart).await.map_err(step("open the cart"))?;
        if seen.item_count != 2 {
            bail!(
                "open the cart: {} items, where 2 were left in it",
                seen.item_count
            );
        }
        Ok(())
    }

    async fn review(&self, shop: &Shop, rng: &mut fastrand::Rng) -> Result<()> {
        let api = &self.api;
        let product = shop.any_product(rng).id;
        let first_page = self.product_page(product).await?;
        if let Some(cursor) = first_page.next_cursor {
            api.reviews(product, ReviewSort::Newest, Some(cursor))
                .await
                .map_err(step("read more reviews"))?;
        }
        if let Some(review) = first_page.items.first() {
            let voter = self.voter.lock().map(|voter| voter.clone()).unwrap_or(None);
            let (_, voter) = api
                .mark_helpful(review.id, voter)
                .await
                .map_err(step("mark a review helpful"))?;
            if let Ok(mut kept) = self.voter.lock() {
                *kept = Some(voter);
            }
        }
        api.write_review(product, a_review(rng)?)
            .await
            .map_err(step("write a review"))?;
        Ok(())
    }

    /// A listing page: the products, then their rating summaries in one call.
    async fn listing(&self, query: &ProductQuery) -> Result<Vec<Uuid>> {
        let page = self
            .api
            .products(query)
            .await
            .map_err(step("list products"))?;
        let ids: Vec<Uuid> = page.items.iter().map(|product| product.id).collect();
        if !ids.is_empty() {
            self.api
                .rating_summaries(ids.clone())
                .await
                .map_err(step("rate the listing"))?;
        }
        Ok(ids)
    }

    /// A product page: the product, its rating summary and the newest reviews, together.
    async fn product_page(&self, product: Uuid) -> Result<reviews_api::types::ReviewPage> {
        let api = &self.api;
        let (_, _, reviews) = tokio::try_join!(
            async { api.product(product).await.map_err(step("open a product")) },
            async {
                api.rating_summary(product)
                    .await
                    .map_err(step("rate a product"))
            },
            async {
                let page = api.reviews(product, ReviewSort::Newest, None).await;
                page.map_err(step("read the reviews"))
            },
        )?;
        if reviews.items.len() > REVIEWS_PAGE as usize {
            bail!(
                "read the reviews: {} on a page of {REVIEWS_PAGE}",
                reviews.items.len()
            );
        }
        Ok(reviews)
    }
}

/// Names the step a failed call was, for the summary.
fn step(name: &'static str) -> impl Fn(ApiError) -> anyhow::Error {
    move |error| anyhow::anyhow!("{name}: {error}")
}

fn pick(ids: &[Uuid], rng: &mut fastrand::Rng) -> Option<Uuid> {
    (!ids.is_empty()).then(|| ids[rng.usize(..ids.len())])
}

/// What shoppers write: a few reviews that read like reviews, under a name of their own
/// (one review per author and product). The name is random even when the run is seeded,
/// so a repeated run writes new reviews rather than being refused the old ones.
fn a_review(rng: &mut fastrand::Rng) -> Result<ReviewInput> {
    const REVIEWS: [(u32, &str, &str); 5] = [
        (
            5,
            "Does what it says",
            "Arrived quickly and works exactly as described. Would buy again.",
        ),
        (
            4,
            "Good value",
            "Solid for the price. The finish could be better, but I use it every day.",
        ),
        (
            3,
            "It's fine",
            "Nothing wrong with it, nothing special either. Smaller than I expected.",
        ),
        (
            5,
            "A gift that landed",
            "Bought it for my brother and he has not stopped talking about it.",
        ),
        (
            2,
            "Not for me",
            "The description oversells it. It works, but I am sending it back.",
        ),
    ];
    let (rating, title, body) = REVIEWS[rng.usize(..REVIEWS.len())];
    let author = format!("Shopper {:08x}", fastrand::u32(..));
    Ok(ReviewInput {
        attributes: None,
        author: author.as_str().try_into()?,
        body: body.try_into()?,
        rating: reviews_api::types::Stars(rating.try_into()?),
        title: title.try_into()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_journey_gets_its_share_of_the_weights() {
        let total = Journey::total_weight();
        assert_eq!(total, 100);
        for (journey, weight) in Journey::WEIGHTS {
            let share = (0..total)
                .filter(|&point| Journey::at(point) == journey)
                .count();
            assert_eq!(share, weight as usize, "{journey}");
        }
    }

    #[test]
    fn written_reviews_are_valid_review_inputs() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20 {
            let review = a_review(&mut rng).expect("a review the contract takes");
            assert!(review.author.to_string().starts_with("Shopper "));
        }
    }
}
