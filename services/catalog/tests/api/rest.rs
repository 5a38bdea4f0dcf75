//! The REST API as shoppers, admins and the Reviews service use it.

use std::collections::HashSet;

use catalog::seed;
use catalog_api::types;

use crate::helpers::{self, api_error, product_input};

fn active_seed_products() -> Vec<seed::SeedProduct> {
    seed::products().into_iter().filter(|p| p.active).collect()
}

#[tokio::test]
async fn lists_active_products_a_page_at_a_time_by_name() {
    let catalog = helpers::spawn().await;
    let page = catalog
        .client
        .list_products()
        .send()
        .await
        .expect("a page")
        .into_inner();

    let active = active_seed_products().len();
    assert_eq!(page.total_items, i64::try_from(active).expect("fits"));
    assert_eq!(page.page, 1);
    assert_eq!(page.page_size, 24, "the default page size");
    assert_eq!(page.items.len(), 24);
    assert_eq!(page.total_pages, (page.total_items + 23) / 24);
    let names: Vec<_> = page.items.iter().map(|p| p.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "without a search the listing is by name");
    assert!(page.items.iter().all(|p| p.active));
}

#[tokio::test]
async fn pages_neither_overlap_nor_leave_gaps() {
    let catalog = helpers::spawn().await;
    let mut seen = HashSet::new();
    let mut page_number = 1;
    loop {
        let page = catalog
            .client
            .list_products()
            .category("groceries")
            .page_size(10)
            .page(page_number)
            .send()
            .await
            .expect("a page")
            .into_inner();
        for product in &page.items {
            assert!(seen.insert(product.id), "{} appears twice", product.name);
        }
        if i64::from(page_number) >= page.total_pages {
            assert_eq!(seen.len(), usize::try_from(page.total_items).expect("fits"));
            break;
        }
        page_number += 1;
    }
    let expected = active_seed_products()
        .iter()
        .filter(|p| p.category_slug == "groceries")
        .count();
    assert_eq!(seen.len(), expected);
}

#[tokio::test]
async fn filters_by_category_and_price_and_sorts_by_price() {
    let catalog = helpers::spawn().await;
    let page = catalog
        .client
        .list_products()
        .category("audio")
        .min_price(5_000)
        .max_price(20_000)
        .sort(types::ProductSort::PriceAsc)
        .page_size(100)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert!(!page.items.is_empty());
    assert!(
        page.items
            .iter()
            .all(|p| p.category.slug.as_str() == "audio")
    );
    assert!(
        page.items
            .iter()
            .all(|p| (5_000..=20_000).contains(&p.price.amount_minor))
    );
    let prices: Vec<_> = page.items.iter().map(|p| p.price.amount_minor).collect();
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "ascending: {prices:?}"
    );

    let descending = catalog
        .client
        .list_products()
        .sort(types::ProductSort::PriceDesc)
        .send()
        .await
        .expect("a page")
        .into_inner();
    let prices: Vec<_> = descending
        .items
        .iter()
        .map(|p| p.price.amount_minor)
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "descending: {prices:?}"
    );
}

#[tokio::test]
async fn search_ranks_the_product_named_first() {
    let catalog = helpers::spawn().await;
    let products = active_seed_products();
    // One product from several categories, searched by its full name.
    for wanted in products.iter().step_by(97) {
        let page = catalog
            .client
            .list_products()
            .q(wanted.name.as_str())
            .send()
            .await
            .expect("search results")
            .into_inner();
        let first = page.items.first().map(|p| p.name.as_str());
        assert_eq!(
            first,
            Some(wanted.name.as_str()),
            "searching {:?}",
            wanted.name
        );
    }
}

#[tokio::test]
async fn search_finds_words_from_descriptions_and_attributes_and_nothing_for_nonsense() {
    let catalog = helpers::spawn().await;
    let by_origin = catalog
        .client
        .list_products()
        .q("Colombia")
        .send()
        .await
        .expect("results")
        .into_inner();
    assert!(by_origin.total_items > 0, "attribute values are searchable");
    assert!(
        by_origin
            .items
            .iter()
            .all(|p| p.attributes.values().any(|v| v.as_str() == "Colombia"))
    );

    let nothing = catalog
        .client
        .list_products()
        .q("xylophonequark")
        .send()
        .await
        .expect("results")
        .into_inner();
    assert_eq!(nothing.total_items, 0);
    assert!(nothing.items.is_empty());
}

#[tokio::test]
async fn gets_one_product_with_its_picture() {
    let catalog = helpers::spawn().await;
    let wanted = &seed::products()[0];
    let product = catalog
        .client
        .get_product()
        .product_id(wanted.id)
        .send()
        .await
        .expect("the product")
        .into_inner();
    assert_eq!(product.sku.as_str(), wanted.sku);
    assert_eq!(product.price.amount_minor, wanted.price_minor);
    assert_eq!(product.price.currency.as_str(), "USD");
    assert_eq!(product.attributes.len(), wanted.attributes.len());

    let image = catalog
        .http
        .get(catalog.url(&product.image_url))
        .send()
        .await
        .expect("a response");
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    let svg = image.text().await.expect("a body");
    assert!(
        svg.starts_with("<svg") && svg.contains(&wanted.name),
        "{svg}"
    );

    let (status, error) = api_error(
        catalog
            .client
            .get_product()
            .product_id(uuid::Uuid::new_v4())
            .send()
            .await,
    );
    assert_eq!(status, 404);
    assert_eq!(error.code, "product_not_found");
}

#[tokio::test]
async fn lists_categories_with_their_active_product_counts() {
    let catalog = helpers::spawn().await;
    let categories = catalog
        .client
        .list_categories()
        .send()
        .await
        .expect("categories")
        .into_inner()
        .items;
    let slugs: HashSet<_> = categories.iter().map(|c| c.slug.to_string()).collect();
    let expected: HashSet<_> = seed::category_slugs().map(str::to_owned).collect();
    assert_eq!(slugs, expected);
    let total: i64 = categories.iter().map(|c| c.product_count).sum();
    assert_eq!(
        total,
        i64::try_from(active_seed_products().len()).expect("fits")
    );
}

#[tokio::test]
async fn an_admin_creates_updates_and_deletes_a_product() {
    let catalog = helpers::spawn_empty().await;
    let input: types::ProductInput =
        serde_json::from_value(product_input("LANTERN-1")).expect("valid input");
    let created = catalog
        .admin
        .create_product()
        .body(input.clone())
        .send()
        .await
        .expect("created");
    assert_eq!(created.status(), 201);
    let created = created.into_inner();
    assert_eq!(created.name, "Test Lantern");
    assert!(created.active, "active by default");

    let listed = catalog
        .client
        .list_products()
        .q("lantern")
        .send()
        .await
        .expect("results")
        .into_inner();
    assert_eq!(
        listed.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![created.id]
    );

    let mut changed = input;
    changed.price.amount_minor = 1999;
    changed.stock = 0;
    let updated = catalog
        .admin
        .update_product()
        .product_id(created.id)
        .body(changed)
        .send()
        .await
        .expect("updated")
        .into_inner();
    assert_eq!(updated.price.amount_minor, 1999);
    assert_eq!(updated.stock, 0);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(updated.created_at, created.created_at);

    let deleted = catalog
        .admin
        .delete_product()
        .product_id(created.id)
        .send()
        .await
        .expect("deleted");
    assert_eq!(deleted.status(), 204);
    let (status, _) = api_error(
        catalog
            .client
            .get_product()
            .product_id(created.id)
            .send()
            .await,
    );
    assert_eq!(status, 404);
    let (status, _) = api_error(
        catalog
            .admin
            .delete_product()
            .product_id(created.id)
            .send()
            .await,
    );
    assert_eq!(status, 404, "deleting twice finds nothing the second time");
}

#[tokio::test]
async fn the_review_context_names_what_reviewers_may_rate() {
    let catalog = helpers::spawn().await;
    let shoe = seed::products()
        .into_iter()
        .find(|p| p.category_slug == "shoes")
        .expect("a shoe");
    let context = catalog
        .client
        .get_review_context()
        .product_id(shoe.id)
        .send()
        .await
        .expect("a context")
        .into_inner();
    assert_eq!(context.product_id, shoe.id);
    assert_eq!(context.name, shoe.name);
    assert_eq!(context.category.slug.as_str(), "shoes");
    assert_eq!(
        context.review_attributes,
        vec!["fit".to_owned(), "comfort".to_owned()]
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_are_served() {
    let catalog = helpers::spawn().await;
    let health = catalog
        .http
        .get(catalog.url("/healthz"))
        .send()
        .await
        .expect("a response");
    assert_eq!(health.status(), 200);
    let ready = catalog
        .http
        .get(catalog.url("/readyz"))
        .send()
        .await
        .expect("a response");
    assert_eq!(ready.status(), 200);

    let product = &seed::products()[1];
    catalog
        .client
        .get_product()
        .product_id(product.id)
        .send()
        .await
        .expect("the product");
    catalog
        .client
        .list_products()
        .q("lamp")
        .send()
        .await
        .expect("a search");
    let response = catalog
        .http
        .get(catalog.url("/v1/products/not-a-uuid"))
        .send()
        .await
        .expect("a response");
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );

    let metrics = catalog.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("localmart_requests_total{")
                && line.contains(r#"route="/v1/products/{product_id}""#)
                && line.contains(r#"status="200""#)),
        "{metrics}"
    );
    assert!(metrics.contains(r#"status="400""#), "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("localmart_requests_total{")
                && line.contains(r#"route="/v1/products?q""#)),
        "a search counts apart from listings: {metrics}"
    );
    assert!(
        metrics.contains("localmart_request_duration_seconds_bucket"),
        "{metrics}"
    );
    // Saturation: the pool that served the lookup (the test Catalog's holds 5), and the
    // requests in flight (the `/metrics` request itself is no API request) against the
    // limit.
    for series in [
        r#"localmart_pool_max_connections{pool="postgresql"} 5"#,
        r#"localmart_requests_in_flight{protocol="http"} 0"#,
        r#"localmart_requests_in_flight_limit{protocol="http"} 512"#,
    ] {
        assert!(
            metrics.lines().any(|line| line == series),
            "{series} in {metrics}"
        );
    }
    let open: u32 = ["in_use", "idle"]
        .iter()
        .filter_map(|state| {
            let series =
                format!(r#"localmart_pool_connections{{pool="postgresql",state="{state}"}} "#);
            metrics
                .lines()
                .find_map(|line| line.strip_prefix(series.as_str())?.parse::<u32>().ok())
        })
        .sum();
    assert!(
        (1..=10).contains(&open),
        "{open} connections open: {metrics}"
    );
}

#[tokio::test]
async fn shutdown_is_clean_and_closes_the_port() {
    let catalog = helpers::spawn().await;
    let expected = catalog
        .client
        .list_products()
        .q("organic")
        .send()
        .await
        .expect("results")
        .into_inner()
        .total_items;
    // Requests racing the shutdown: each is either answered completely or not accepted.
    let racing: Vec<_> = (0..20)
        .map(|_| {
            let client = catalog.client.clone();
            tokio::spawn(async move {
                client
                    .list_products()
                    .q("organic")
                    .send()
                    .await
                    .map(|page| page.into_inner().total_items)
            })
        })
        .collect();
    let (base_url, http) = (catalog.base_url.clone(), catalog.http.clone());
    tokio::time::timeout(std::time::Duration::from_secs(30), catalog.stop())
        .await
        .expect("the service stops");
    for request in racing {
        if let Ok(total) = request.await.expect("the task ran") {
            assert_eq!(total, expected, "an answered request is complete");
        }
    }
    assert!(
        http.get(format!("{base_url}/healthz"))
            .send()
            .await
            .is_err(),
        "the port is closed"
    );
}

#[tokio::test]
async fn losing_the_database_makes_it_unready_and_answers_a_clean_500() {
    let catalog = helpers::spawn().await;
    let database = catalog.database();
    let admin = sqlx::PgPool::connect(&database.admin_url())
        .await
        .expect("an admin connection");
    sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", database.name))
        .execute(&admin)
        .await
        .expect("dropped");

    let ready = catalog
        .http
        .get(catalog.url("/readyz"))
        .send()
        .await
        .expect("a response");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.expect("JSON");
    assert!(
        body["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("PostgreSQL"),
        "{body}"
    );
    let alive = catalog
        .http
        .get(catalog.url("/healthz"))
        .send()
        .await
        .expect("a response");
    assert_eq!(alive.status(), 200, "the process itself is still alive");

    let (status, error) = api_error(catalog.client.list_categories().send().await);
    assert_eq!((status, error.code.as_str()), (500, "internal"));
    assert!(
        error.message.contains(&error.request_id),
        "the message quotes the request id: {}",
        error.message
    );
    assert!(
        !error.message.to_lowercase().contains("database \""),
        "no internals leak: {}",
        error.message
    );
}

#[tokio::test]
async fn a_price_range_with_its_minimum_above_its_maximum_matches_nothing() {
    let catalog = helpers::spawn().await;
    let page = catalog
        .client
        .list_products()
        .min_price(500)
        .max_price(100)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!((page.total_items, page.items.len()), (0, 0));
}

#[tokio::test]
async fn the_catalog_serves_only_a_migrated_database_and_does_not_migrate_it_itself() {
    let database = testkit::postgres::fresh_database()
        .await
        .expect("a database");
    let config = catalog::testing::config(&database).expect("a configuration");
    let refused = platform::testing::TestServer::<catalog::Catalog>::start(config.clone()).await;
    let message = format!("{:#}", refused.expect_err("an empty database is refused"));
    assert!(message.contains("run `catalog migrate` first"), "{message}");

    catalog::migrate(&config).await.expect("migrated");
    platform::testing::TestServer::<catalog::Catalog>::start(config)
        .await
        .expect("a migrated database is served");
}
