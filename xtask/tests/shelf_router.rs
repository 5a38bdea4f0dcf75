//! The generated server of the fixture spec, driven through its axum router: the
//! rejections the generator promises happen before the handler runs, and the responses
//! carry exactly the statuses, bodies and content types the spec declares.

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex};

use api_runtime::{BearerToken, ServiceError};
use axum::body::{Body, to_bytes};
use http::{Request, StatusCode, header};
use shelf_api::server::{
    CreateItemHeaders, CreateItemResponse, DeleteItemPath, DeleteItemResponse, GetItemLabelPath,
    GetItemLabelResponse, GetItemPath, GetItemResponse, ListItemsQuery, ListItemsResponse,
    ShelfApi, router,
};
use shelf_api::types;
use tower::ServiceExt;
use uuid::Uuid;

/// An id whose deletion makes the handler answer with a status the spec does not declare.
const MISBEHAVING_ID: Uuid = Uuid::from_u128(7);
/// An id whose deletion fails on our side, with a cause that must stay in the log.
const FAILING_ID: Uuid = Uuid::from_u128(8);

#[derive(Clone, Default)]
struct Shelf {
    items: Arc<Mutex<BTreeMap<Uuid, types::Item>>>,
    /// The item each idempotency key created.
    created: Arc<Mutex<BTreeMap<Uuid, Uuid>>>,
}

impl Shelf {
    fn items(&self) -> std::sync::MutexGuard<'_, BTreeMap<Uuid, types::Item>> {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn item(&self, id: Uuid) -> Result<types::Item, ServiceError> {
        self.items()
            .get(&id)
            .cloned()
            .ok_or_else(|| ServiceError::new(StatusCode::NOT_FOUND, "not_found", "no such item"))
    }
}

impl ShelfApi for Shelf {
    async fn list_items(&self, query: ListItemsQuery) -> Result<ListItemsResponse, ServiceError> {
        let items = self
            .items()
            .values()
            .filter(|item| query.tag.is_none() || item.tag == query.tag)
            .take(usize::try_from(query.limit).unwrap_or(0))
            .cloned()
            .collect();
        Ok(ListItemsResponse::Ok(types::ItemList { items }))
    }

    async fn create_item(
        &self,
        token: BearerToken,
        headers: CreateItemHeaders,
        body: types::ItemInput,
    ) -> Result<CreateItemResponse, ServiceError> {
        token.require(|token| token == "let-me-in")?;
        let mut created = self
            .created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(earlier) = headers.idempotency_key.and_then(|key| created.get(&key)) {
            return Ok(CreateItemResponse::Created(self.item(*earlier)?));
        }
        let item = types::Item {
            id: Uuid::new_v4(),
            name: body.name.to_string(),
            tag: body.tag,
        };
        self.items().insert(item.id, item.clone());
        if let Some(key) = headers.idempotency_key {
            created.insert(key, item.id);
        }
        Ok(CreateItemResponse::Created(item))
    }

    async fn get_item(&self, path: GetItemPath) -> Result<GetItemResponse, ServiceError> {
        Ok(GetItemResponse::Ok(self.item(path.item_id)?))
    }

    async fn delete_item(&self, path: DeleteItemPath) -> Result<DeleteItemResponse, ServiceError> {
        if path.item_id == MISBEHAVING_ID {
            return Err(ServiceError::new(
                StatusCode::CONFLICT,
                "conflict",
                "undeclared",
            ));
        }
        if path.item_id == FAILING_ID {
            return Err(ServiceError::internal("the shelf's secret disk broke"));
        }
        self.item(path.item_id)?;
        self.items().remove(&path.item_id);
        Ok(DeleteItemResponse::NoContent)
    }

    async fn get_item_label(
        &self,
        path: GetItemLabelPath,
    ) -> Result<GetItemLabelResponse, ServiceError> {
        let item = self.item(path.item_id)?;
        Ok(GetItemLabelResponse::Ok(format!("ITEM: {}", item.name)))
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }

    fn error_code(&self) -> String {
        self.json()["code"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default()
    }
}

async fn send(shelf: &Shelf, request: Request<Body>) -> Answer {
    let response = router(shelf.clone())
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    Answer {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(shelf: &Shelf, uri: &str) -> Answer {
    send(
        shelf,
        Request::get(uri)
            .header("x-request-id", "req-1")
            .body(Body::empty())
            .expect("a request"),
    )
    .await
}

async fn post(shelf: &Shelf, token: Option<&str>, content_type: &str, body: &str) -> Answer {
    post_with(shelf, token, content_type, &[], body).await
}

async fn post_with(
    shelf: &Shelf,
    token: Option<&str>,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut request = Request::post("/v1/items").header(header::CONTENT_TYPE, content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    send(
        shelf,
        request
            .body(Body::from(body.to_owned()))
            .expect("a request"),
    )
    .await
}

#[tokio::test]
async fn creates_and_reads_items_with_declared_statuses_and_content_types() {
    let shelf = Shelf::default();
    let created = post(
        &shelf,
        Some("let-me-in"),
        "application/json",
        r#"{"name": "lamp", "tag": "red"}"#,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.content_type, "application/json");
    let id = created.json()["id"].as_str().expect("an id").to_owned();

    let item = get(&shelf, &format!("/v1/items/{id}")).await;
    assert_eq!(
        (item.status, item.json()["name"].as_str()),
        (StatusCode::OK, Some("lamp"))
    );

    let label = get(&shelf, &format!("/v1/items/{id}/label")).await;
    assert_eq!(
        (
            label.status,
            label.content_type.as_str(),
            label.body.as_str()
        ),
        (StatusCode::OK, "text/plain", "ITEM: lamp")
    );

    let deleted = send(
        &shelf,
        Request::delete(format!("/v1/items/{id}"))
            .body(Body::empty())
            .expect("a request"),
    )
    .await;
    assert_eq!(
        (deleted.status, deleted.body.as_str()),
        (StatusCode::NO_CONTENT, "")
    );

    let gone = get(&shelf, &format!("/v1/items/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.json()["request_id"],
        "req-1",
        "the error body carries the request id"
    );
}

#[tokio::test]
async fn query_defaults_apply_and_limits_are_enforced() {
    let shelf = Shelf::default();
    for n in 0..12 {
        post(
            &shelf,
            Some("let-me-in"),
            "application/json",
            &format!(r#"{{"name": "item {n}"}}"#),
        )
        .await;
    }
    let listed = get(&shelf, "/v1/items").await;
    assert_eq!(
        listed.json()["items"].as_array().map(Vec::len),
        Some(10),
        "the spec's default limit"
    );

    for (query, named) in [
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("limit=many", "limit"),
        ("tag=blue", "tag"),
        ("name=elevenchars", "name"),
    ] {
        let answer = get(&shelf, &format!("/v1/items?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.error_code(), "invalid_query", "{query}");
        let message = answer.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(named), "{query}: {message}");
    }
}

#[tokio::test]
async fn malformed_requests_never_reach_the_handler() {
    let shelf = Shelf::default();
    let cases = [
        (
            None,
            "application/json",
            r#"{"name": "x"}"#,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Some("let-me-in"),
            "text/plain",
            r#"{"name": "x"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Some("let-me-in"),
            "application/json",
            r#"{"name": "#,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            Some("let-me-in"),
            "application/json",
            r#"{"name": "x", "colour": "red"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Some("let-me-in"),
            "application/json",
            r#"{"name": ""}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (token, content_type, body, status, code) in cases {
        let answer = post(&shelf, token, content_type, body).await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (status, code),
            "{body}: {}",
            answer.body
        );
    }
    assert!(
        shelf.items().is_empty(),
        "no refused request reached the handler"
    );

    let bad_id = get(&shelf, "/v1/items/not-a-uuid").await;
    assert_eq!(
        (bad_id.status, bad_id.error_code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_path")
    );
}

#[tokio::test]
async fn header_parameters_are_read_whatever_their_case_and_checked_before_the_handler() {
    let shelf = Shelf::default();
    let key = Uuid::new_v4().to_string();
    let body = r#"{"name": "vase"}"#;
    let mut ids = Vec::new();
    for name in ["Idempotency-Key", "idempotency-key", "IDEMPOTENCY-KEY"] {
        let answer = post_with(
            &shelf,
            Some("let-me-in"),
            "application/json",
            &[(name, &key)],
            body,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{name}: {}",
            answer.body
        );
        ids.push(answer.json()["id"].clone());
    }
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one item for one key: {ids:?}"
    );

    let refused = [
        vec![("Idempotency-Key", "not-a-uuid")],
        vec![
            ("Idempotency-Key", key.as_str()),
            ("Idempotency-Key", key.as_str()),
        ],
    ];
    for headers in refused {
        let answer = post_with(
            &shelf,
            Some("let-me-in"),
            "application/json",
            &headers,
            body,
        )
        .await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_header"),
            "{headers:?}: {}",
            answer.body
        );
    }
    assert_eq!(
        shelf.items().len(),
        1,
        "no refused request reached the handler"
    );
}

#[tokio::test]
async fn an_undeclared_status_becomes_the_declared_500() {
    let shelf = Shelf::default();
    let answer = send(
        &shelf,
        Request::delete(format!("/v1/items/{MISBEHAVING_ID}"))
            .body(Body::empty())
            .expect("a request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.error_code(), "internal");
}

#[tokio::test]
async fn a_failure_on_our_side_quotes_the_request_id_and_keeps_the_cause_to_the_log() {
    let shelf = Shelf::default();
    let answer = send(
        &shelf,
        Request::delete(format!("/v1/items/{FAILING_ID}"))
            .header("x-request-id", "req-500")
            .body(Body::empty())
            .expect("a request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = answer.json();
    assert_eq!(
        (body["code"].as_str(), body["request_id"].as_str()),
        (Some("internal"), Some("req-500"))
    );
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("req-500"), "{message}");
    assert!(
        !answer.body.contains("secret disk"),
        "the cause leaked: {}",
        answer.body
    );
}

#[tokio::test]
async fn a_wrong_token_is_refused_by_the_handler_with_a_401() {
    let shelf = Shelf::default();
    let answer = post(
        &shelf,
        Some("guess"),
        "application/json",
        r#"{"name": "x"}"#,
    )
    .await;
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    assert!(shelf.items().is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_the_error_body() {
    let shelf = Shelf::default();
    let unknown = get(&shelf, "/v2/items").await;
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (StatusCode::NOT_FOUND, "route_not_found")
    );
    let wrong_method = send(
        &shelf,
        Request::put("/v1/items")
            .body(Body::empty())
            .expect("a request"),
    )
    .await;
    assert_eq!(
        (wrong_method.status, wrong_method.error_code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn the_generated_client_sends_what_its_header_hook_adds() {
    let probes: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let record = {
        let probes = Arc::clone(&probes);
        move |request: Request<Body>| {
            let probe = request
                .headers()
                .get("x-probe")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            probes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(probe);
            request
        }
    };
    let app = router(Shelf::default()).layer(tower::util::MapRequestLayer::new(record));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(axum::serve(listener, app).into_future());

    let hook = shelf_api::client::HeaderHook::new(|headers| {
        headers.insert("x-probe", http::HeaderValue::from_static("from-the-hook"));
    });
    let client = shelf_api::Client::new(&url, hook);
    let listed = client
        .list_items()
        .limit(5)
        .send()
        .await
        .expect("a listing");
    assert!(listed.into_inner().items.is_empty());

    let plain = shelf_api::Client::new(&url, shelf_api::client::HeaderHook::default());
    plain.list_items().send().await.expect("a listing");
    let probes = probes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(
        probes,
        [Some("from-the-hook".to_owned()), None],
        "the hook's header, then nothing from the default hook"
    );
}
