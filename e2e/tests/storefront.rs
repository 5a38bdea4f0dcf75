//! A shopper's journeys through the storefront in real headless Chromium, through the
//! edge, against the real services; screenshots of every page at phone and desktop
//! widths go to the artifacts directory (see `e2e::artifacts`).

use anyhow::{Context, Result, ensure};
use e2e::Shop;
use e2e::webdriver::Browser;
use serde_json::Value;

/// A product as the test needs it, read from the Catalog's public API through the edge.
#[derive(Debug)]
struct Product {
    id: String,
    name: String,
    price_minor: i64,
}

/// The first product of `category` (by name) with at least `stock` units.
async fn product_in(shop: &Shop, category: &str, stock: i64) -> Result<Product> {
    let page: Value = reqwest::get(shop.page(&format!(
        "/api/catalog/v1/products?category={category}&sort=name&page_size=50"
    )))
    .await?
    .json()
    .await?;
    let product = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|product| product["stock"].as_i64().unwrap_or(0) >= stock)
        .with_context(|| format!("no product in {category} with {stock} in stock"))?;
    Ok(Product {
        id: product["id"].as_str().context("an id")?.to_owned(),
        name: product["name"].as_str().context("a name")?.to_owned(),
        price_minor: product["price"]["amount_minor"]
            .as_i64()
            .context("a price")?,
    })
}

/// US dollars as a shopper reads them, written independently of the storefront's code.
fn usd(cents: i64) -> String {
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (index, digit) in dollars.chars().enumerate() {
        if index > 0 && (dollars.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:02}", cents % 100)
}

/// Screenshots of the current page at phone and desktop widths, once the pictures in
/// view have loaded (those further down load lazily, when scrolled to).
async fn snap(browser: &Browser, name: &str) -> Result<()> {
    let dir = e2e::artifacts()?;
    for (width, height, size) in [(375, 812, "phone"), (1280, 900, "desktop")] {
        browser.resize(width, height).await?;
        testkit::poll_until("the pictures to load", e2e::webdriver::WAIT, || async {
            let loaded = browser
                .execute(
                    "return Array.from(document.images)
                        .filter(image => image.getBoundingClientRect().top < window.innerHeight)
                        .every(image => image.complete)",
                )
                .await?;
            ensure!(loaded == Value::Bool(true), "still loading");
            Ok(())
        })
        .await?;
        browser
            .screenshot(&dir.join(format!("{name}-{size}.png")))
            .await?;
    }
    Ok(())
}

/// How many reviews the Reviews service holds for a product, through the edge.
async fn review_count(shop: &Shop, product: &Product) -> Result<i64> {
    let summary: Value = reqwest::get(shop.page(&format!(
        "/api/reviews/v1/products/{}/rating-summary",
        product.id
    )))
    .await?
    .json()
    .await?;
    summary["count"].as_i64().context("a count")
}

/// Checks that the page, once its categories are shown, has not shifted its layout by
/// more than web.dev's "good" CLS, 0.1: the sum of the shifts so far not caused by input
/// (what the storefront's Web Vitals report is the largest window of them).
async fn assert_settled(browser: &Browser, page: &str) -> Result<()> {
    browser.find(".category-nav a").await?;
    let shifted = browser
        .execute(
            "const seen = new PerformanceObserver(() => {});
             seen.observe({ type: 'layout-shift', buffered: true });
             return seen.takeRecords().filter(e => !e.hadRecentInput).reduce((sum, e) => sum + e.value, 0);",
        )
        .await?;
    let shifted = shifted.as_f64().unwrap_or(f64::MAX);
    ensure!(shifted < 0.1, "{page} shifted by {shifted} as it loaded");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_browses_searches_and_fills_a_cart() -> Result<()> {
    let shop = Shop::start().await?;
    let browser = shop.browser().await?;
    let product = product_in(&shop, "shoes", 5).await?;

    // Nothing jumps as a page fills in (a listing opened directly, then the home page).
    browser.goto(&shop.page("/category/shoes")).await?;
    browser.find(".product-card").await?;
    assert_settled(&browser, "a category").await?;
    browser.goto(&shop.page("/")).await?;
    browser.find(".category-card").await?;
    assert_settled(&browser, "the home page").await?;
    snap(&browser, "home").await?;

    // Browse a category from the home page.
    let shoes = browser
        .find_text(".category-card .card-title", "Shoes", |text| {
            text == "Shoes"
        })
        .await?;
    browser.click(&shoes).await?;
    browser
        .find_text("h1", "Shoes", |text| text == "Shoes")
        .await?;
    browser.find(".product-card").await?;
    snap(&browser, "category").await?;

    // Search for the product by name, from the header.
    let search = browser.find("#search-input").await?;
    browser.type_into(&search, &product.name).await?;
    browser.click_on("form.search button[type=submit]").await?;
    browser
        .find_text("h1", "the query echoed", |text| {
            text.contains(&product.name)
        })
        .await?;
    let result = browser
        .find_text(".product-card .card-title", &product.name, |text| {
            text == product.name
        })
        .await?;
    let marked = browser.find_all(".product-card .card-title mark").await?;
    ensure!(!marked.is_empty(), "the query is not marked in the results");
    snap(&browser, "search").await?;

    // Open it and add 2 to the cart.
    browser.click(&result).await?;
    browser
        .find_text("h1", &product.name, |text| text == product.name)
        .await?;
    snap(&browser, "product").await?;
    browser.click_on("button[aria-label='One more']").await?;
    let quantity = browser.find("#quantity").await?;
    ensure!(
        browser.property(&quantity, "value").await? == "2",
        "the quantity picker did not go to 2"
    );
    browser.click_on("[data-testid=add-to-cart]").await?;
    browser
        .find_text("[data-testid=added]", "the confirmation", |text| {
            text.starts_with("Added 2 to your cart.")
        })
        .await?;
    browser
        .find_text("[data-testid=cart-count]", "2 items", |text| text == "2")
        .await?;

    // In the cart, change it to 3: the total follows.
    browser.click_on(".cart-link").await?;
    browser
        .find_text("[data-testid=item-count]", "2 items", |text| {
            text == "2 items"
        })
        .await?;
    browser
        .click_on("[data-testid=cart-line] button[aria-label^='One more']")
        .await?;
    let total = usd(3 * product.price_minor);
    browser
        .find_text("[data-testid=item-count]", "3 items", |text| {
            text == "3 items"
        })
        .await?;
    browser
        .find_text("[data-testid=subtotal]", &total, |text| text == total)
        .await?;
    browser
        .find_text("[data-testid=line-total]", &total, |text| text == total)
        .await?;
    browser
        .find_text("[data-testid=cart-count]", "3 in the header", |text| {
            text == "3"
        })
        .await?;
    snap(&browser, "cart").await?;

    // Remove it: the cart is empty.
    browser.click_on("[data-testid=remove-line]").await?;
    browser.find("[data-testid=cart-empty]").await?;
    browser
        .find_text("[data-testid=cart-count]", "0 in the header", |text| {
            text == "0"
        })
        .await?;
    snap(&browser, "cart-empty").await?;

    // The cart is remembered: a reload shows the same (empty) cart, not an error.
    browser.goto(&shop.page("/cart")).await?;
    browser.find("[data-testid=cart-empty]").await?;

    // Every call the storefront made to a service carried its own W3C trace context.
    let log = shop.edge_log()?;
    // The app's calls, that is: not the test's own setup calls (reqwest), and not the
    // pictures, which the browser loads itself for `<img>` elements.
    let api_calls: Vec<&str> = log
        .lines()
        .filter(|line| {
            line.contains(" /api/") && line.contains("Chrome") && !line.contains("/image\"")
        })
        .collect();
    ensure!(
        api_calls.len() >= 10,
        "only {} API calls in the edge's log",
        api_calls.len()
    );
    let mut trace_ids = std::collections::HashSet::new();
    for line in &api_calls {
        let traceparent = line.rsplit("traceparent=").next().unwrap_or_default();
        let parts: Vec<&str> = traceparent.split('-').collect();
        let well_formed = parts.len() == 4
            && parts[0] == "00"
            && parts[1].len() == 32
            && parts[2].len() == 16
            && parts[1..3]
                .iter()
                .all(|id| id.chars().all(|c| c.is_ascii_hexdigit()));
        ensure!(
            well_formed,
            "an API call without a valid traceparent: {line}"
        );
        trace_ids.insert(parts[1].to_owned());
    }
    ensure!(
        trace_ids.len() >= 10,
        "the calls share trace ids: {trace_ids:?}"
    );

    // Every page ran under the edge's Content-Security-Policy without breaking it.
    let reports = browser.security_reports().await?;
    ensure!(
        reports.is_empty(),
        "the pages broke the Content-Security-Policy: {reports:#?}"
    );

    browser.quit().await?;
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_reviews_a_product() -> Result<()> {
    let shop = Shop::start().await?;
    let browser = shop.browser().await?;
    let product = product_in(&shop, "books", 1).await?;

    browser
        .goto(&shop.page(&format!("/product/{}", product.id)))
        .await?;
    browser.find("[data-testid=no-reviews]").await?;

    // Everything but a title: the form says what is missing and sends nothing.
    browser.click_on(".star-picker input[value='4']").await?;
    browser
        .type_into(&browser.find("#review-author").await?, "Ada")
        .await?;
    browser
        .type_into(
            &browser.find("#review-body").await?,
            "Read it in one sitting.",
        )
        .await?;
    browser.click_on(".review-form button[type=submit]").await?;
    browser
        .find_text(
            "[data-testid=review-title-error]",
            "the validation message",
            |text| text == "Please write a title.",
        )
        .await?;
    ensure!(
        review_count(&shop, &product).await? == 0,
        "a review without a title was sent"
    );
    snap(&browser, "review-invalid").await?;

    // With a title it is posted, listed, and counted in the summary.
    browser
        .type_into(
            &browser.find("#review-title").await?,
            "Could not put it down",
        )
        .await?;
    browser.click_on(".review-form button[type=submit]").await?;
    browser.find("[data-testid=review-sent]").await?;
    browser
        .find_text(".review-title", "the new review", |text| {
            text == "Could not put it down"
        })
        .await?;
    browser
        .find_text("[data-testid=rating-count]", "1 review", |text| {
            text == "1 review"
        })
        .await?;
    browser
        .find_text("[data-testid=rating-average]", "4.0", |text| text == "4.0")
        .await?;
    ensure!(
        review_count(&shop, &product).await? == 1,
        "the Reviews service does not hold the review"
    );
    snap(&browser, "product-reviewed").await?;

    // A helpful vote: the browser is issued a voter on its first vote, keeps it, and so
    // counts once however often it votes, across reloads.
    browser.click_on("[data-testid=helpful]").await?;
    let once = |text: &str| text == "1 person found this helpful";
    browser
        .find_text("[data-testid=helpful-count]", "1 vote", once)
        .await?;
    let voter = browser
        .execute("return localStorage.getItem('localmart.voter');")
        .await?;
    ensure!(
        voter.as_str().is_some_and(|voter| voter.len() == 76),
        "the browser keeps no voter: {voter}"
    );
    browser
        .goto(&shop.page(&format!("/product/{}", product.id)))
        .await?;
    browser.click_on("[data-testid=helpful]").await?;
    browser
        .find_text("[data-testid=helpful]", "thanks", |text| {
            text == "Thanks for your vote"
        })
        .await?;
    browser
        .find_text("[data-testid=helpful-count]", "still 1 vote", once)
        .await?;
    let reports = browser.security_reports().await?;
    ensure!(
        reports.is_empty(),
        "the product page broke the Content-Security-Policy: {reports:#?}"
    );

    browser.quit().await?;
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_product_page_still_sells_while_reviews_are_down() -> Result<()> {
    let mut shop = Shop::start().await?;
    let browser = shop.browser().await?;
    let product = product_in(&shop, "garden", 1).await?;
    shop.stop_reviews().await?;

    browser
        .goto(&shop.page(&format!("/product/{}", product.id)))
        .await?;
    browser
        .find_text("h1", &product.name, |text| text == product.name)
        .await?;
    browser
        .find_text(
            "[data-testid=reviews-unavailable]",
            "the outage notice",
            |text| text.contains("Reviews are not available right now"),
        )
        .await?;
    let add = browser.find("[data-testid=add-to-cart]").await?;
    testkit::poll_until(
        "add-to-cart to be enabled",
        e2e::webdriver::WAIT,
        || async {
            ensure!(browser.enabled(&add).await?, "disabled");
            Ok(())
        },
    )
    .await?;
    browser.click(&add).await?;
    browser
        .find_text("[data-testid=added]", "the confirmation", |text| {
            text.starts_with("Added 1 to your cart.")
        })
        .await?;
    browser
        .find_text("[data-testid=cart-count]", "1 in the header", |text| {
            text == "1"
        })
        .await?;
    snap(&browser, "product-reviews-down").await?;

    browser.quit().await?;
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_to_cart_is_disabled_with_a_message_while_the_cart_is_down() -> Result<()> {
    let mut shop = Shop::start().await?;
    let browser = shop.browser().await?;
    let product = product_in(&shop, "audio", 1).await?;
    shop.stop_cart().await?;

    browser
        .goto(&shop.page(&format!("/product/{}", product.id)))
        .await?;
    browser
        .find_text("h1", &product.name, |text| text == product.name)
        .await?;
    browser
        .find_text(
            "[data-testid=cart-unavailable]",
            "the outage notice",
            |text| text.contains("The cart is not available right now"),
        )
        .await?;
    let add = browser.find("[data-testid=add-to-cart]").await?;
    ensure!(
        !browser.enabled(&add).await?,
        "add-to-cart is enabled while the cart is down"
    );
    // The rest of the page still works: the reviews load.
    browser.find("[data-testid=no-reviews]").await?;
    snap(&browser, "product-cart-down").await?;

    browser.quit().await?;
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_says_when_the_catalog_is_down_and_loads_on_try_again() -> Result<()> {
    let mut shop = Shop::start().await?;
    let browser = shop.browser().await?;
    let product = product_in(&shop, "books", 1).await?;
    shop.catalog.stop().await?;

    browser
        .goto(&shop.page(&format!("/product/{}", product.id)))
        .await?;
    browser
        .find_text("[role=alert] p", "the outage notice", |text| {
            text.contains("The catalog service is not available right now")
        })
        .await?;
    snap(&browser, "product-catalog-down").await?;

    // The page's one boundary loads it anew on "Try again".
    shop.catalog.restart().await?;
    browser.click_on("[role=alert] button").await?;
    browser
        .find_text("h1", &product.name, |text| text == product.name)
        .await?;
    // The header's categories, which failed with the page, are back too.
    browser
        .find_text(".category-nav a", "the category bar", |text| {
            !text.is_empty()
        })
        .await?;

    browser.quit().await?;
    shop.stop().await
}
