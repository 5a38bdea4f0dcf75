//! Small pieces the pages share.

use catalog_api::types::{Category, Money, Product};
use dioxus::prelude::*;
use reviews_api::types::RatingSummary;

use storefront_api::{Api, ApiError, image_src};

use crate::app::Route;
use crate::highlight;
use crate::money;
use crate::pagination::{self, PageLink};

/// The Catalog's categories, loaded once by the app for the header and the pages.
#[derive(Clone, Copy)]
pub struct Categories(pub Resource<Result<Vec<Category>, ApiError>>);

/// Sets the document's title. Dioxus's `document::Title` runs JavaScript from a string,
/// which the edge's Content-Security-Policy (rightly) forbids; this sets it directly.
#[component]
pub fn PageTitle(title: String) -> Element {
    use_effect(use_reactive!(|title| crate::browser::set_title(&title)));
    rsx! {}
}

/// The shared categories (see [`Categories`]).
pub fn use_categories() -> Resource<Result<Vec<Category>, ApiError>> {
    use_context::<Categories>().0
}

#[component]
pub fn Price(money: Money) -> Element {
    let text = money::format(money.amount_minor, &money.currency);
    rsx! { span { class: "price", "{text}" } }
}

/// In stock, only a few left, or out of stock.
#[component]
pub fn StockBadge(stock: i32) -> Element {
    let (class, text) = match stock {
        ..=0 => ("badge badge-out", "Out of stock".to_owned()),
        1..=5 => ("badge badge-low", format!("Only {stock} left")),
        _ => ("badge badge-in", "In stock".to_owned()),
    };
    rsx! { span { class, "{text}" } }
}

/// Five stars filled to the average, with the figure for screen readers.
#[component]
pub fn Stars(average: f64, count: Option<i64>) -> Element {
    let label = format!("{average:.1} out of 5 stars");
    let width = format!("{}%", (average / 5.0 * 100.0).clamp(0.0, 100.0));
    rsx! {
        span { class: "stars", role: "img", "aria-label": "{label}",
            span { class: "stars-empty", "aria-hidden": "true", "★★★★★" }
            span { class: "stars-full", "aria-hidden": "true", width: "{width}", "★★★★★" }
        }
        if let Some(count) = count {
            span { class: "muted rating-count", "({count})" }
        }
    }
}

/// A product name with the words of a search marked.
#[component]
pub fn Highlighted(text: String, query: String) -> Element {
    rsx! {
        for (index, segment) in highlight::segments(&text, &query).into_iter().enumerate() {
            if segment.matched {
                mark { key: "{index}", "{segment.text}" }
            } else {
                span { key: "{index}", "{segment.text}" }
            }
        }
    }
}

#[component]
pub fn ProductCard(product: Product, summary: Option<RatingSummary>, query: String) -> Element {
    let alt = format!("Picture of {}", product.name);
    rsx! {
        li { class: "card product-card",
            Link { class: "card-link", to: Route::product(&product.id),
                img { class: "card-image", src: image_src(&product.image_url), alt, loading: "lazy", width: "320", height: "240" }
                span { class: "card-body",
                    span { class: "card-category muted", "{product.category.name}" }
                    span { class: "card-title", Highlighted { text: product.name.clone(), query } }
                    span { class: "card-meta",
                        Price { money: product.price.clone() }
                        StockBadge { stock: product.stock }
                    }
                    span { class: "card-rating",
                        match summary {
                            Some(summary) if summary.count > 0 => rsx! { Stars { average: summary.average, count: summary.count } },
                            Some(_) => rsx! { span { class: "muted", "No reviews yet" } },
                            None => rsx! {},
                        }
                    }
                }
            }
        }
    }
}

/// A grid of products, with their ratings fetched in one batch call (and left out when
/// the Reviews service is away: the products still show).
#[component]
pub fn ProductGrid(products: Vec<Product>, query: String) -> Element {
    let api = use_context::<Api>();
    let ids: Vec<uuid::Uuid> = products.iter().map(|product| product.id).collect();
    let summaries = use_resource(use_reactive!(|ids| {
        let api = api.clone();
        async move {
            if ids.is_empty() {
                return Vec::new();
            }
            api.rating_summaries(ids).await.unwrap_or_default()
        }
    }));
    let summaries = summaries.read().clone().unwrap_or_default();
    rsx! {
        ul { class: "product-grid", "data-testid": "product-grid",
            for product in products {
                ProductCard {
                    key: "{product.id}",
                    summary: summaries.iter().find(|summary| summary.product_id == product.id).cloned(),
                    product: product.clone(),
                    query: query.clone(),
                }
            }
        }
    }
}

#[component]
pub fn Loading(label: String) -> Element {
    rsx! {
        div { class: "loading", role: "status", "aria-live": "polite",
            span { class: "spinner", "aria-hidden": "true" }
            span { "{label}" }
        }
    }
}

/// A failure, said plainly, with a way to try again.
/// The one loading and error boundary of the shop. What is inside suspends into
/// `Loading { label }` while its data loads (a component calls `resource.suspend()?`)
/// and fails into an [`ErrorPanel`] (it returns the [`ApiError`] with `?`); "Try again"
/// builds what is inside anew, so its resources load again, calls `on_retry` for
/// resources it does not own, and loads the shop's categories again if they failed too
/// (the header's category bar comes back with the page).
#[component]
pub fn Loadable(label: String, on_retry: Option<EventHandler<()>>, children: Element) -> Element {
    let mut attempt = use_signal(|| 0u32);
    let mut categories = use_categories();
    rsx! {
        ErrorBoundary {
            handle_error: move |errors: ErrorContext| {
                let error = errors.error();
                let retry = move |()| {
                    if let Some(on_retry) = on_retry {
                        on_retry.call(());
                    }
                    if matches!(*categories.peek(), Some(Err(_))) {
                        categories.restart();
                    }
                    attempt += 1;
                    errors.clear_errors();
                };
                match error.as_ref().and_then(|error| error.0.downcast_ref::<ApiError>()) {
                    Some(error) => rsx! { ErrorPanel { error: error.clone(), retry } },
                    None => rsx! {
                        div { class: "notice notice-error", role: "alert",
                            p { "Something went wrong on this page. Please try again." }
                        }
                    },
                }
            },
            SuspenseBoundary {
                key: "{attempt}",
                fallback: move |_| rsx! { Loading { label: label.clone() } },
                {children}
            }
        }
    }
}

#[component]
pub fn ErrorPanel(error: ApiError, retry: Option<EventHandler<()>>) -> Element {
    rsx! {
        div { class: "notice notice-error", role: "alert",
            p { "{error}" }
            if let Some(retry) = retry {
                button { class: "button button-secondary", onclick: move |_| retry.call(()), "Try again" }
            }
        }
    }
}

/// Page links under a listing; `to` builds the address of a page.
#[component]
pub fn Pagination(current: u32, total: u32, to: Callback<u32, Route>) -> Element {
    let links = pagination::links(current, total);
    if links.is_empty() {
        return rsx! {};
    }
    rsx! {
        nav { class: "pagination", "aria-label": "Pages",
            if current > 1 {
                Link { class: "page-link", to: to.call(current - 1), rel: "prev", "‹ Previous" }
            }
            for (index, link) in links.into_iter().enumerate() {
                match link {
                    PageLink::Page(page) if page == current => rsx! {
                        span { key: "{index}", class: "page-link current", "aria-current": "page", "{page}" }
                    },
                    PageLink::Page(page) => rsx! {
                        Link { key: "{index}", class: "page-link", to: to.call(page), "{page}" }
                    },
                    PageLink::Gap => rsx! { span { key: "{index}", class: "page-gap", "…" } },
                }
            }
            if current < total {
                Link { class: "page-link", to: to.call(current + 1), rel: "next", "Next ›" }
            }
        }
    }
}
