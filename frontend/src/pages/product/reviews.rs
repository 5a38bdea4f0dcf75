//! A product's reviews: the rating summary beside the title and with its histogram, the
//! reviews a page at a time in the chosen order, and helpful votes.

use dioxus::prelude::*;
use reviews_api::types::{RatingSummary, Review, ReviewSort};
use storefront_api::{Api, ApiError};
use uuid::Uuid;

use super::form::ReviewForm;
use crate::browser;
use crate::components::{Loading, Stars};

/// The product's rating summary as the page loaded it: `None` while it loads.
pub type Summary = Option<Result<RatingSummary, ApiError>>;

/// Stars and count beside the title.
#[component]
pub fn SummaryLine(summary: Summary) -> Element {
    match summary {
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
pub fn Reviews(product_id: Uuid, changed: Signal<u32>, summary: Summary) -> Element {
    let api = use_context::<Api>();
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
                match api.reviews(product_id, sort(), cursor.clone()).await {
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
                    match summary {
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
                            span { class: "histogram-fill", width: "{percent(n, count)}%" }
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
            let result = api.mark_helpful(review_id, browser::voter()).await;
            match result {
                Ok((review, voter)) => {
                    browser::set_voter(&voter);
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
                button { class: "button button-small button-secondary", "data-testid": "helpful", disabled: voted(), onclick: vote,
                    if voted() { "Thanks for your vote" } else { "Helpful" }
                }
                span { class: "muted", "data-testid": "helpful-count", if helpful() == 1 { "1 person found this helpful" } else { "{helpful} people found this helpful" } }
            }
            if let Some(error) = problem() {
                p { class: "field-error", role: "alert", "{error}" }
            }
        }
    }
}
