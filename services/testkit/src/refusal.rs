//! What every service's bad-input tests check of a refusal: the contract's `Error` body,
//! naming the request by the id in its `x-request-id` header.

use serde_json::Value;

/// Sends `request` and returns its status and the `code` and `message` of its error
/// body, after checking that the body has the contract's shape and quotes the request id
/// of the response header.
pub async fn error_of(request: reqwest::RequestBuilder) -> (u16, String, String) {
    let response = request.send().await.expect("a response");
    let status = response.status().as_u16();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(
        body["request_id"],
        request_id.as_str(),
        "the body names the request: {body}"
    );
    let text = |key: &str| {
        body[key]
            .as_str()
            .unwrap_or_else(|| panic!("a {key} in {body}"))
            .to_owned()
    };
    (status, text("code"), text("message"))
}
