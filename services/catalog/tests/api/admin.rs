//! Wrong admin tokens are limited (`platform::admin`): a guesser gets a few guesses per
//! window, after which every admin call, even one with the right token, is a 429 with
//! `Retry-After` until the window is over; its token is not even compared.

use std::time::Duration;

use catalog::testing::ADMIN_TOKEN;
use platform::admin::AttemptLimit;
use platform::testing::TestServer;

#[tokio::test]
async fn after_a_few_wrong_admin_tokens_every_admin_call_waits_out_the_window() {
    let database = testkit::postgres::fresh_database()
        .await
        .expect("a database");
    let mut config = catalog::testing::config(&database).expect("a configuration");
    config.admin_attempts = AttemptLimit {
        max_failures: 3,
        window: Duration::from_secs(2),
    };
    catalog::seed(&config).await.expect("the demo catalog");
    let catalog = TestServer::<catalog::Catalog>::start(config)
        .await
        .expect("a catalog");
    let http = reqwest::Client::new();
    let missing = format!(
        "{}/v1/products/00000000-0000-4000-8000-000000000000",
        catalog.http_url()
    );
    let delete = |token: &str| http.delete(&missing).bearer_auth(token).send();

    for _ in 0..3 {
        let guess = delete("a-guess").await.expect("an answer");
        assert_eq!(guess.status(), 401);
    }
    let refused = delete("another-guess").await.expect("an answer");
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    let body: serde_json::Value = refused.json().await.expect("the Error body");
    assert_eq!(body["code"], "too_many_attempts", "{body}");
    let right = delete(ADMIN_TOKEN).await.expect("an answer");
    assert_eq!(right.status(), 429, "the right token waits too");

    testkit::poll_until("the window to pass", Duration::from_secs(10), || async {
        let status = delete(ADMIN_TOKEN).await?.status();
        anyhow::ensure!(status == 404, "status {status}");
        Ok(())
    })
    .await
    .expect("the admin is let in once the window is over");
    let guess = delete("a-guess").await.expect("an answer");
    assert_eq!(guess.status(), 401, "a new window takes guesses again");
}
