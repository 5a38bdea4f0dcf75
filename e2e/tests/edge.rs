//! The edge as an attacker meets it: the shop's one public port, with the real services
//! behind it. What a visitor can reach there is what the storefront uses, nothing more;
//! every answer carries the browser's security headers; the edge's own refusals are the
//! contracts' JSON error; writes are rate-limited, and voters too, so one client cannot
//! stuff helpful votes; the telemetry path takes only small posts of spans and metrics;
//! and the access log keeps no ids and no search text. Run on its own:
//! `cargo test -p e2e --test edge`.

use anyhow::{Context, Result, ensure};
use e2e::Shop;
use serde_json::{Value, json};

/// The admin token of the test services: a visitor who knows it still gets nowhere.
const ADMIN: &str = "Bearer admin";

async fn error_code(response: reqwest::Response) -> Result<(u16, String)> {
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .await
        .context("the edge's error body is JSON")?;
    for field in ["code", "message", "request_id"] {
        ensure!(body[field].is_string(), "no {field} in {body}");
    }
    Ok((status, body["code"].as_str().unwrap_or_default().to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_operations_are_not_offered_through_the_shop() -> Result<()> {
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    let product = shop.first_product().await?;
    let product_url = shop.page(&format!(
        "/api/catalog/v1/products/{}",
        product["id"].as_str().unwrap_or_default()
    ));

    let attempts = [
        http.post(shop.page("/api/catalog/v1/products"))
            .json(&json!({"sku": "X-1"})),
        http.put(&product_url)
            .json(&json!({"price": {"amount_minor": 0, "currency": "USD"}})),
        http.delete(&product_url),
        http.delete(shop.page(&format!("/api/reviews/v1/reviews/{}", uuid::Uuid::new_v4()))),
    ];
    for attempt in attempts {
        let response = attempt.header("Authorization", ADMIN).send().await?;
        assert_eq!(
            error_code(response).await?,
            (403, "not_allowed_here".to_owned())
        );
    }
    let after: Value = http.get(&product_url).send().await?.json().await?;
    assert_eq!(after["price"], product["price"], "the price is untouched");
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() -> Result<()> {
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    for (path, kind) in [
        ("/", "text/html"),
        ("/product/anything", "text/html"),
        ("/api/catalog/v1/categories", "application/json"),
        ("/favicon.svg", "image/svg+xml"),
        ("/api/nothing-here", "application/json"),
    ] {
        let response = http.get(shop.page(path)).send().await?;
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            header("content-type").starts_with(kind),
            "{path}: {headers:?}"
        );
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: CSP {csp:?} lacks {directive}"
            );
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("server"), "nginx", "{path}: no version");
    }
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edges_own_refusals_are_json_errors() -> Result<()> {
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    let product = shop.first_product().await?;
    let reviews = shop.page(&format!(
        "/api/reviews/v1/products/{}/reviews",
        product["id"].as_str().unwrap_or_default()
    ));

    let huge = json!({"author": "Ada", "rating": 5, "title": "Big", "body": "a".repeat(20_000)});
    let response = http.post(&reviews).json(&huge).send().await?;
    assert_eq!(
        error_code(response).await?,
        (413, "body_too_large".to_owned())
    );

    // Any URI, even one full of quotes, gets a body that parses.
    let response = http.get(shop.page("/api/%22%7D%22quote")).send().await?;
    assert_eq!(error_code(response).await?, (404, "not_found".to_owned()));

    let response = http
        .get(shop.page("/api/catalog/v1/categories"))
        .header("X-Padding", "x".repeat(10_000))
        .send()
        .await?;
    assert_eq!(
        error_code(response).await?,
        (431, "headers_too_large".to_owned())
    );
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_writes_from_one_client_is_slowed_with_429s() -> Result<()> {
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    let creates: Vec<_> = (0..120)
        .map(|_| {
            let request = http.post(shop.page("/api/cart/v1/carts"));
            tokio::spawn(async move { request.send().await })
        })
        .collect();
    let (mut created, mut limited) = (0, 0);
    for create in creates {
        let response = create.await??;
        match response.status().as_u16() {
            201 => created += 1,
            429 => {
                assert_eq!(response.headers()["retry-after"], "1");
                assert_eq!(error_code(response).await?.1, "too_many_requests");
                limited += 1;
            }
            other => anyhow::bail!("a create answered {other}"),
        }
    }
    assert!(created >= 40, "the burst goes through: {created} created");
    assert!(limited >= 40, "the flood does not: {limited} refused");
    // Reads are not limited.
    let read = http
        .get(shop.page("/api/catalog/v1/categories"))
        .send()
        .await?;
    assert_eq!(read.status(), 200);
    shop.stop().await
}

/// Sends `GET path` on an open connection and reads the whole answer; its status.
async fn get_on(connection: &mut tokio::net::TcpStream, path: &str) -> Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("GET {path} HTTP/1.1\r\nHost: shop\r\n\r\n");
    connection.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let read = connection.read(&mut chunk).await?;
        ensure!(read > 0, "the edge closed a kept-alive connection");
        answer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&answer);
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length = text[..end]
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .context("the answer has a Content-Length")?;
        if answer.len() >= end + 4 + length {
            let status = text.split(' ').nth(1).context("a status line")?;
            return Ok(status.parse()?);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_shoppers_keep_their_connections_open_at_once() -> Result<()> {
    // Browsers keep their connections to the shop open between pages. An edge with too few
    // connections closes idle ones to take new ones, and a request sent on one as it closes
    // fails: `make load` found that at 200 shoppers.
    let shop = Shop::start().await?;
    let address = shop.url.trim_start_matches("http://").trim_end_matches('/');
    let mut shoppers = Vec::new();
    for _ in 0..600 {
        let mut connection = tokio::net::TcpStream::connect(address).await?;
        assert_eq!(get_on(&mut connection, "/").await?, 200);
        shoppers.push(connection);
    }
    for (n, connection) in shoppers.iter_mut().enumerate() {
        let again = get_on(connection, "/api/catalog/v1/categories").await;
        assert_eq!(
            again.with_context(|| format!("shopper {n}'s second page"))?,
            200
        );
    }
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_gets_a_handful_of_voters_so_cannot_stuff_helpful_votes() -> Result<()> {
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    let product = shop.first_product().await?;
    let review: Value = http
        .post(shop.page(&format!(
            "/api/reviews/v1/products/{}/reviews",
            product["id"].as_str().unwrap_or_default()
        )))
        .json(&json!({"author": "Ada", "rating": 5, "title": "Good", "body": "Works well."}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let vote_url = shop.page(&format!(
        "/api/reviews/v1/reviews/{}/helpful",
        review["id"].as_str().unwrap_or_default()
    ));

    // 200 tries at a fresh voter, each voting as soon as it has one.
    let (mut issued, mut limited, mut helpful) = (0, 0, 0);
    for _ in 0..200 {
        let response = http
            .post(shop.page("/api/reviews/v1/voters"))
            .send()
            .await?;
        match response.status().as_u16() {
            201 => {
                issued += 1;
                let voter: Value = response.json().await?;
                let voted: Value = http
                    .post(&vote_url)
                    .json(&voter)
                    .send()
                    .await?
                    .json()
                    .await?;
                helpful = voted["helpful_count"].as_i64().context("a count")?;
            }
            429 => {
                assert_eq!(response.headers()["retry-after"], "60");
                assert_eq!(error_code(response).await?.1, "too_many_requests");
                limited += 1;
            }
            other => anyhow::bail!("asking for a voter answered {other}"),
        }
    }
    // The first and a burst of five, and the next minute's if the test spans one.
    assert!((6..=7).contains(&issued), "{issued} voters issued");
    assert_eq!((helpful, limited), (issued, 200 - issued));

    // A voter the client makes up counts for nothing.
    let made_up = json!({"voter": "visitor-1"});
    let response = http.post(&vote_url).json(&made_up).send().await?;
    assert_eq!(response.status(), 422);
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_keeps_no_cart_ids_and_no_search_text() -> Result<()> {
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    let product = shop.first_product().await?;
    let cart: Value = http
        .post(shop.page("/api/cart/v1/carts"))
        .send()
        .await?
        .json()
        .await?;
    let cart_id = cart["id"].as_str().context("a cart id")?.to_owned();
    let added = http
        .post(shop.page(&format!("/api/cart/v1/carts/{cart_id}/lines")))
        .json(&json!({"product_id": product["id"], "quantity": 1}))
        .send()
        .await?;
    assert_eq!(added.status(), 200);
    let searched = http
        .get(shop.page("/api/catalog/v1/products?q=secretive+lantern"))
        .send()
        .await?;
    assert_eq!(searched.status(), 200);

    let log = shop.edge_log()?;
    assert!(
        log.contains("\"POST /api/cart/v1/carts/:id/lines\""),
        "the route is logged: {log}"
    );
    assert!(!log.contains(&cart_id), "a cart id in the log: {log}");
    assert!(!log.contains("secretive"), "search text in the log: {log}");
    shop.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_telemetry_path_takes_only_small_posts_of_spans_and_metrics() -> Result<()> {
    // The test shop exports no telemetry, so what the storefront sends is taken and dropped.
    let shop = Shop::start().await?;
    let http = reqwest::Client::new();
    for signal in ["traces", "metrics"] {
        let path = shop.page(&format!("/otlp/v1/{signal}"));
        let sent = http.post(&path).body("{}").send().await?;
        assert_eq!(sent.status().as_u16(), 204, "POST {signal}");
        assert_eq!(
            error_code(http.get(&path).send().await?).await?,
            (403, "not_allowed_here".to_owned()),
            "GET {signal}"
        );
    }
    // Logs are the services' alone: a POST there is one to the shop's pages.
    let logs = http
        .post(shop.page("/otlp/v1/logs"))
        .body("{}")
        .send()
        .await?;
    assert_eq!(
        error_code(logs).await?,
        (403, "not_allowed_here".to_owned())
    );
    let huge = http
        .post(shop.page("/otlp/v1/traces"))
        .body(vec![b' '; 100 * 1024])
        .send()
        .await?;
    assert_eq!(error_code(huge).await?, (413, "body_too_large".to_owned()));
    shop.stop().await
}
