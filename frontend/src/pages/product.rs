//! A product: pictures, description, attributes, price and stock, adding to the cart,
//! and its reviews. The Catalog is essential here; the Cart and Reviews are not, so when
//! either is away the rest of the page keeps working and says what is missing.

use catalog_api::types::Product;
use dioxus::prelude::*;
use reviews_api::types::{HelpfulVote, RatingSummary, Review, ReviewSort};
use uuid::Uuid;

use crate::api::{Api, ApiError, Classify, Service, image_src};
use crate::app::Route;
use crate::browser;
use crate::cart::{CartStore, MAX_QUANTITY};
use crate::components::{ErrorPanel, Loading, Price, Stars, StockBadge};
use crate::review_form::{AUTHOR_MAX, BODY_MAX, Draft, Problems, TITLE_MAX};

#[component]
pub fn ProductPage(id: String) -> Element {
    let Ok(product_id) = id.parse::<Uuid>() else {
        return rsx! { Missing {} };
    };
    let api = use_context::<Api>();
    let mut product = use_resource(use_reactive!(|product_id| {
        let api = api.clone();
        async move {
            api.catalog
                .get_product()
                .product_id(product_id)
                .send()
                .await
                .classify(Service::Catalog)
        }
    }));
    // A change to the reviews (a new one, a vote) asks the summary to load again.
    let reviews_changed = use_signal(|| 0u32);
    match product.read().clone() {
        None => {
            rsx! { div { class: "container section", Loading { label: "Loading the product…" } } }
        }
        Some(Err(ApiError::NotFound(_))) => rsx! { Missing {} },
        Some(Err(error)) => rsx! {
            document::Title { "Unavailable · LocalMart" }
            section { class: "container section empty-state",
                h1 { "This product cannot be shown right now" }
                ErrorPanel { error, retry: move |_| product.restart() }
                Link { class: "button button-secondary", to: Route::Home {}, "Back to the shop" }
            }
        },
        Some(Ok(product)) => rsx! {
            document::Title { "{product.name} · LocalMart" }
            div { class: "container section",
                nav { class: "breadcrumbs", "aria-label": "Breadcrumb",
                    Link { to: Route::Home {}, "Home" }
                    span { "aria-hidden": "true", " / " }
                    Link { to: Route::category(&product.category.slug), "{product.category.name}" }
                    span { "aria-hidden": "true", " / " }
                    span { "aria-current": "page", "{product.name}" }
                }
                article { class: "product",
                    div { class: "product-media",
                        img { src: image_src(&product.image_url), alt: "Picture of {product.name}", width: "640", height: "480" }
                    }
                    div { class: "product-info",
                        h1 { "{product.name}" }
                        SummaryLine { product_id, changed: reviews_changed }
                        p { class: "product-price", Price { money: product.price.clone() } }
                        StockBadge { stock: product.stock }
                        BuyBox { key: "{product.id}", product: product.clone() }
                        p { class: "product-description", "{product.description}" }
                        Attributes { product: product.clone() }
                    }
                }
                Reviews { key: "{product.id}", product_id, changed: reviews_changed }
            }
        },
    }
}

#[component]
fn Missing() -> Element {
    rsx! {
        document::Title { "Product not found · LocalMart" }
        section { class: "container section empty-state",
            h1 { "We could not find that product" }
            p { class: "muted", "It may have been removed from the catalog." }
            Link { class: "button", to: Route::Home {}, "Back to the shop" }
        }
    }
}

#[component]
fn Attributes(product: Product) -> Element {
    if product.attributes.is_empty() {
        return rsx! {};
    }
    let rows: Vec<(String, String)> = product
        .attributes
        .iter()
        .map(|(name, value)| (name.replace('_', " "), value.to_string()))
        .collect();
    rsx! {
        table { class: "attributes",
            caption { class: "visually-hidden", "Product details" }
            tbody {
                for (name, value) in rows {
                    tr { key: "{name}",
                        th { scope: "row", "{name}" }
                        td { "{value}" }
                    }
                }
            }
        }
    }
}

/// The quantity picker and add-to-cart; disabled with a message when the Cart is away.
#[component]
fn BuyBox(product: Product) -> Element {
    let api = use_context::<Api>();
    let cart = use_context::<CartStore>();
    let most = u32::try_from(product.stock).unwrap_or(0).min(MAX_QUANTITY);
    let mut quantity = use_signal(|| 1u32);
    let mut busy = use_signal(|| false);
    let mut outcome = use_signal(|| None::<Result<String, ApiError>>);
    let cart_away = cart.is_unavailable();
    let sold_out = most == 0;
    let product_id = product.id;
    let retry_api = api.clone();
    let add = move |_| {
        let api = api.clone();
        let count = quantity();
        async move {
            busy.set(true);
            let result = cart.add(api, product_id, count).await;
            outcome.set(Some(result.map(|()| {
                if count == 1 {
                    "Added 1 to your cart.".to_owned()
                } else {
                    format!("Added {count} to your cart.")
                }
            })));
            busy.set(false);
        }
    };
    let retry = move |_| {
        let api = retry_api.clone();
        async move { cart.refresh(api).await }
    };
    rsx! {
        div { class: "buy-box",
            div { class: "quantity",
                label { r#for: "quantity", "Quantity" }
                div { class: "stepper",
                    button { r#type: "button", "aria-label": "One fewer", disabled: quantity() <= 1, onclick: move |_| quantity -= 1, "−" }
                    input {
                        id: "quantity",
                        r#type: "number",
                        inputmode: "numeric",
                        min: 1,
                        max: most.max(1),
                        value: "{quantity}",
                        oninput: move |event| {
                            if let Ok(value) = event.value().parse::<u32>() {
                                quantity.set(value.clamp(1, most.max(1)));
                            }
                        },
                    }
                    button { r#type: "button", "aria-label": "One more", disabled: quantity() >= most, onclick: move |_| quantity += 1, "+" }
                }
            }
            button {
                class: "button button-primary add-to-cart",
                "data-testid": "add-to-cart",
                disabled: cart_away || sold_out || busy(),
                onclick: add,
                if busy() { "Adding…" } else { "Add to cart" }
            }
            div { "aria-live": "polite",
                if cart_away {
                    div { class: "notice notice-warning", "data-testid": "cart-unavailable",
                        p { "The cart is not available right now, so nothing can be added. Everything else still works." }
                        button { class: "button button-secondary", onclick: retry, "Try again" }
                    }
                } else if sold_out {
                    p { class: "muted", "This product is sold out for now." }
                }
                match outcome() {
                    Some(Ok(message)) => rsx! {
                        p { class: "notice notice-success", "data-testid": "added",
                            "{message} "
                            Link { to: Route::CartPage {}, "View cart" }
                        }
                    },
                    Some(Err(error)) if !error.is_unavailable() => rsx! { p { class: "notice notice-error", role: "alert", "{error}" } },
                    _ => rsx! {},
                }
            }
        }
    }
}

async fn summary(api: Api, product_id: Uuid) -> Result<RatingSummary, ApiError> {
    api.reviews
        .get_rating_summary()
        .product_id(product_id)
        .send()
        .await
        .classify(Service::Reviews)
}

/// Stars and count beside the title.
#[component]
fn SummaryLine(product_id: Uuid, changed: Signal<u32>) -> Element {
    let api = use_context::<Api>();
    let summary = use_resource(use_reactive!(|product_id| {
        let api = api.clone();
        changed();
        summary(api, product_id)
    }));
    match summary.read().clone() {
        Some(Ok(summary)) if summary.count > 0 => rsx! {
            a { class: "summary-line", href: "#reviews", Stars { average: summary.average, count: summary.count } }
        },
        Some(Ok(_)) => rsx! { p { class: "muted summary-line", "No reviews yet" } },
        _ => rsx! {},
    }
}

const REVIEW_SORTS: [(ReviewSort, &str); 4] = [
    (ReviewSort::Newest, "Newest"),
    (ReviewSort::MostHelpful, "Most helpful"),
    (ReviewSort::Highest, "Highest rated"),
    (ReviewSort::Lowest, "Lowest rated"),
];

/// The rating summary with its histogram, the reviews a page at a time, and the form.
#[component]
fn Reviews(product_id: Uuid, changed: Signal<u32>) -> Element {
    let api = use_context::<Api>();
    let summary_api = api.clone();
    let summary = use_resource(move || {
        let api = summary_api.clone();
        changed();
        summary(api, product_id)
    });
    let mut sort = use_signal(|| ReviewSort::Newest);
    // The pages loaded so far, and the cursor of the next one.
    let mut loaded = use_signal(Vec::<Review>::new);
    let mut next = use_signal(|| None::<String>);
    let mut failure = use_signal(|| None::<ApiError>);
    let mut loading = use_signal(|| false);
    let load = {
        let api = api.clone();
        move |cursor: Option<String>| {
            let api = api.clone();
            spawn(async move {
                loading.set(true);
                let mut request = api
                    .reviews
                    .list_reviews()
                    .product_id(product_id)
                    .sort(sort())
                    .limit(5u32);
                if let Some(cursor) = cursor.clone() {
                    request = request.cursor(cursor);
                }
                match request.send().await.classify(Service::Reviews) {
                    Ok(page) => {
                        if cursor.is_none() {
                            loaded.set(page.items);
                        } else {
                            loaded.write().extend(page.items);
                        }
                        next.set(page.next_cursor);
                        failure.set(None);
                    }
                    Err(error) => failure.set(Some(error)),
                }
                loading.set(false);
            });
        }
    };
    // The first page, again whenever the sort or the reviews change.
    let first_page = load.clone();
    use_effect(move || {
        sort();
        changed();
        first_page(None);
    });
    let more = load.clone();
    rsx! {
        section { id: "reviews", class: "reviews", "aria-labelledby": "reviews-title",
            h2 { id: "reviews-title", "Reviews" }
            div { class: "reviews-layout",
                div { class: "reviews-side",
                    match summary.read().clone() {
                        None => rsx! { Loading { label: "Loading ratings…" } },
                        Some(Err(error)) => rsx! {
                            div { class: "notice notice-warning", "data-testid": "reviews-unavailable",
                                p { "Reviews are not available right now. You can still buy this product." }
                                p { class: "muted", "{error}" }
                            }
                        },
                        Some(Ok(summary)) => rsx! { Histogram { summary } },
                    }
                    ReviewForm { product_id, changed }
                }
                div { class: "reviews-main",
                    div { class: "results-bar",
                        label { class: "sort",
                            span { "Sort reviews" }
                            select {
                                onchange: move |event| {
                                    if let Some((value, _)) = REVIEW_SORTS.iter().find(|(value, _)| value.to_string() == event.value()) {
                                        sort.set(*value);
                                    }
                                },
                                for (value, label) in REVIEW_SORTS {
                                    option { value: "{value}", selected: value == sort(), "{label}" }
                                }
                            }
                        }
                    }
                    if let Some(error) = failure() {
                        if !error.is_unavailable() {
                            p { class: "notice notice-error", role: "alert", "{error}" }
                        }
                    }
                    if loaded.read().is_empty() && !loading() && failure().is_none() {
                        p { class: "muted", "data-testid": "no-reviews", "No reviews yet. Be the first to write one." }
                    }
                    ol { class: "review-list", "data-testid": "review-list",
                        for review in loaded() {
                            ReviewItem { key: "{review.id}", review, changed }
                        }
                    }
                    if loading() {
                        Loading { label: "Loading reviews…" }
                    } else if let Some(cursor) = next() {
                        button { class: "button button-secondary", onclick: move |_| more(Some(cursor.clone())), "Show more reviews" }
                    }
                }
            }
        }
    }
}

#[component]
fn Histogram(summary: RatingSummary) -> Element {
    let counts = [
        (5, summary.stars.x5),
        (4, summary.stars.x4),
        (3, summary.stars.x3),
        (2, summary.stars.x2),
        (1, summary.stars.x1),
    ];
    let count = summary.count;
    rsx! {
        div { class: "histogram card", "data-testid": "rating-summary",
            if count == 0 {
                p { class: "muted", "No ratings yet" }
            } else {
                p { class: "histogram-average",
                    strong { "data-testid": "rating-average", "{summary.average:.1}" }
                    Stars { average: summary.average, count: None }
                }
                p { class: "muted", "data-testid": "rating-count", if count == 1 { "1 review" } else { "{count} reviews" } }
            }
            ul { class: "histogram-bars",
                for (stars, n) in counts {
                    li { key: "{stars}",
                        span { class: "histogram-label", "{stars} ★" }
                        span { class: "histogram-track", "aria-hidden": "true",
                            span { class: "histogram-fill", style: "width: {percent(n, count)}%" }
                        }
                        span { class: "histogram-count", "aria-label": "{n} reviews with {stars} stars", "{n}" }
                    }
                }
            }
        }
    }
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole == 0 { 0 } else { part * 100 / whole }
}

#[component]
fn ReviewItem(review: Review, changed: Signal<u32>) -> Element {
    let api = use_context::<Api>();
    let mut helpful = use_signal(|| review.helpful_count);
    let mut voted = use_signal(|| false);
    let mut problem = use_signal(|| None::<ApiError>);
    let review_id = review.id;
    let vote = move |_| {
        let api = api.clone();
        async move {
            let voter = browser::shopper_id().to_string();
            let Ok(voter) = voter.parse() else { return };
            let result = api
                .reviews
                .mark_helpful()
                .review_id(review_id)
                .body(HelpfulVote { voter })
                .send()
                .await
                .classify(Service::Reviews);
            match result {
                Ok(review) => {
                    helpful.set(review.helpful_count);
                    voted.set(true);
                    problem.set(None);
                }
                Err(error) => problem.set(Some(error)),
            }
        }
    };
    let date = review.created_at.format("%-d %B %Y").to_string();
    rsx! {
        li { class: "review",
            div { class: "review-head",
                Stars { average: f64::from(review.rating), count: None }
                h3 { class: "review-title", "{review.title}" }
            }
            p { class: "muted review-meta", "{review.author} · ",
                time { datetime: "{review.created_at.to_rfc3339()}", "{date}" }
            }
            p { class: "review-body", "{review.body}" }
            div { class: "review-actions",
                button { class: "button button-small button-secondary", disabled: voted(), onclick: vote,
                    if voted() { "Thanks for your vote" } else { "Helpful" }
                }
                span { class: "muted", if helpful() == 1 { "1 person found this helpful" } else { "{helpful} people found this helpful" } }
            }
            if let Some(error) = problem() {
                p { class: "field-error", role: "alert", "{error}" }
            }
        }
    }
}

#[component]
fn ReviewForm(product_id: Uuid, changed: Signal<u32>) -> Element {
    let api = use_context::<Api>();
    let mut draft = use_signal(Draft::default);
    let mut problems = use_signal(Problems::default);
    let mut server_error = use_signal(|| None::<ApiError>);
    let mut sending = use_signal(|| false);
    let mut sent = use_signal(|| false);
    let submit = move |event: FormEvent| {
        event.prevent_default();
        let api = api.clone();
        async move {
            let input = match draft.read().validate() {
                Ok(input) => input,
                Err(found) => {
                    problems.set(found);
                    return;
                }
            };
            problems.set(Problems::default());
            sending.set(true);
            let result = api
                .reviews
                .create_review()
                .product_id(product_id)
                .body(input)
                .send()
                .await
                .classify(Service::Reviews);
            sending.set(false);
            match result {
                Ok(_) => {
                    server_error.set(None);
                    draft.set(Draft::default());
                    sent.set(true);
                    changed += 1;
                }
                Err(error) => server_error.set(Some(error)),
            }
        }
    };
    let found = problems();
    if sent() {
        return rsx! {
            div { class: "card review-form", "data-testid": "review-sent",
                h3 { "Thank you for your review" }
                p { class: "muted", "It is now on the product page." }
            }
        };
    }
    rsx! {
        form { class: "card review-form", onsubmit: submit, novalidate: true, "aria-labelledby": "review-form-title",
            h3 { id: "review-form-title", "Write a review" }
            fieldset { class: "star-picker",
                legend { "Your rating" }
                for stars in 1..=5u8 {
                    label { key: "{stars}",
                        input {
                            r#type: "radio",
                            name: "rating",
                            value: "{stars}",
                            checked: draft.read().rating == Some(stars),
                            onchange: move |_| draft.write().rating = Some(stars),
                        }
                        span { "{stars} ★" }
                    }
                }
            }
            FieldError { id: "rating-error", message: found.rating.clone() }
            Field { id: "review-author", label: "Your name", error: found.author.clone(), max: AUTHOR_MAX,
                input {
                    id: "review-author",
                    value: "{draft.read().author}",
                    maxlength: AUTHOR_MAX,
                    "aria-invalid": found.author.is_some(),
                    "aria-describedby": "review-author-error",
                    oninput: move |event| draft.write().author = event.value(),
                }
            }
            Field { id: "review-title", label: "Title", error: found.title.clone(), max: TITLE_MAX,
                input {
                    id: "review-title",
                    value: "{draft.read().title}",
                    maxlength: TITLE_MAX,
                    "aria-invalid": found.title.is_some(),
                    "aria-describedby": "review-title-error",
                    oninput: move |event| draft.write().title = event.value(),
                }
            }
            Field { id: "review-body", label: "Your review", error: found.body.clone(), max: BODY_MAX,
                textarea {
                    id: "review-body",
                    rows: 5,
                    value: "{draft.read().body}",
                    maxlength: BODY_MAX,
                    "aria-invalid": found.body.is_some(),
                    "aria-describedby": "review-body-error",
                    oninput: move |event| draft.write().body = event.value(),
                }
            }
            if let Some(error) = server_error() {
                p { class: "notice notice-error", role: "alert", "data-testid": "review-server-error", "{error}" }
            }
            button { class: "button button-primary", r#type: "submit", disabled: sending(),
                if sending() { "Sending…" } else { "Post review" }
            }
        }
    }
}

#[component]
fn Field(
    id: String,
    label: String,
    error: Option<String>,
    max: usize,
    children: Element,
) -> Element {
    rsx! {
        div { class: "field",
            label { r#for: "{id}", "{label}" }
            {children}
            span { class: "field-hint muted", "Up to {max} characters" }
            FieldError { id: "{id}-error", message: error }
        }
    }
}

#[component]
fn FieldError(id: String, message: Option<String>) -> Element {
    rsx! {
        p { id: "{id}", class: "field-error", role: if message.is_some() { "alert" } else { "" }, "data-testid": "{id}",
            if let Some(message) = &message { "{message}" }
        }
    }
}
