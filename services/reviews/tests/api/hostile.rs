//! Text built to make a pattern check slow: a review body of 4,999 letters that ends in a
//! NUL is refused (no NUL may be stored), and a backtracking engine takes time quadratic
//! in its length to find that "not blank, no NUL" fails. The generated types check
//! patterns in linear time, so such a refusal costs what any refusal of a body that size
//! costs, and the service stays responsive while a crowd sends them. Both are measured in
//! one run, side by side.

use std::time::{Duration, Instant};

use crate::helpers::{self, product_in};

const SENDERS: usize = 32;

/// A review whose body is `body` and whose rating, last, is `rating`: a bad rating is
/// refused after the body has been checked.
fn review(body: &str, rating: u8) -> String {
    format!(r#"{{"author": "Ada", "title": "Hm", "body": "{body}", "rating": {rating}}}"#)
}

/// What a crowd of `SENDERS` posting `payload` at once saw: the median time to an answer
/// (every one of them a refusal), and how long `/readyz` took meanwhile.
async fn crowd(reviews: &helpers::TestReviews, url: &str, payload: String) -> (Duration, Duration) {
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let request = reviews
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(payload.clone());
            tokio::spawn(async move {
                let sent = Instant::now();
                let status = request.send().await.expect("an answer").status();
                assert!(status.is_client_error(), "{status}");
                sent.elapsed()
            })
        })
        .collect();
    let asked = Instant::now();
    let ready = reviews.http.get(reviews.url("/readyz")).send().await;
    assert_eq!(ready.expect("an answer").status(), 200);
    let readiness = asked.elapsed();
    let mut times = Vec::new();
    for sender in senders {
        times.push(sender.await.expect("a sender"));
    }
    times.sort_unstable();
    (times[times.len() / 2], readiness)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_built_to_be_slow_is_refused_as_fast_as_plain_bad_input() {
    let reviews = helpers::spawn().await;
    let url = reviews.url(&format!(
        "/v1/products/{}/reviews",
        product_in("furniture").id
    ));
    let letters = "a".repeat(4999);
    let plain_text = format!("{letters}b");
    // Warm up the connections and the service.
    crowd(&reviews, &url, review(&plain_text, 0)).await;

    // A body that passes its check, and then a refusal for the rating: the cost of
    // checking a text this long.
    let (plain, plain_readiness) = crowd(&reviews, &url, review(&plain_text, 0)).await;
    // Refused for the NUL at its end, found by the pattern check.
    let (hostile, hostile_readiness) =
        crowd(&reviews, &url, review(&format!("{letters}\\u0000"), 4)).await;
    println!(
        "{SENDERS} at once: a plain refusal {:.1} ms (median), a hostile one {:.1} ms; \
         /readyz meanwhile {:.1} ms and {:.1} ms",
        plain.as_secs_f64() * 1e3,
        hostile.as_secs_f64() * 1e3,
        plain_readiness.as_secs_f64() * 1e3,
        hostile_readiness.as_secs_f64() * 1e3,
    );
    // A floor of 2 ms keeps scheduling noise on a fast run from counting as a slowdown.
    let floor = Duration::from_millis(2);
    assert!(
        hostile <= 4 * plain.max(floor),
        "the hostile text took {hostile:?} against {plain:?}"
    );
    assert!(
        hostile_readiness <= 4 * plain_readiness.max(floor),
        "/readyz took {hostile_readiness:?} under the hostile crowd against {plain_readiness:?}"
    );
}
