//! Product listings: a category's products and search results, each a page at a time,
//! sorted, and (in a category) filtered by price. The address holds the state.

use crate::app::Route;
use crate::components::{Loadable, Pagination, ProductGrid, use_categories};
use crate::money;
use crate::pagination::parse_page;
use catalog_api::types::ProductPage;
use dioxus::prelude::*;
use storefront_api::{Api, ApiError, ProductQuery as Query};

/// The currency the price filter's boxes are read in: the Catalog's.
const CURRENCY: &str = "USD";

const SORTS: [(&str, &str); 5] = [
    ("relevance", "Best match"),
    ("name", "Name"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("newest", "Newest"),
];

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[component]
pub fn CategoryPage(slug: String, page: String, sort: String, min: String, max: String) -> Element {
    let query = Query {
        category: Some(slug.clone()),
        q: None,
        page: parse_page(&page),
        sort: sort.parse().ok(),
        min_price: min.parse().ok(),
        max_price: max.parse().ok(),
    };
    let categories = use_categories();
    let category = categories
        .read()
        .clone()
        .and_then(Result::ok)
        .and_then(|items| items.into_iter().find(|category| *category.slug == slug));
    let title = category
        .as_ref()
        .map_or_else(|| slug.clone(), |category| category.name.clone());

    let to = {
        let (slug, sort, min, max) = (slug.clone(), sort.clone(), min.clone(), max.clone());
        Callback::new(move |page: u32| Route::CategoryPage {
            slug: slug.clone(),
            page: page.to_string(),
            sort: sort.clone(),
            min: min.clone(),
            max: max.clone(),
        })
    };
    let on_sort = {
        let (slug, min, max) = (slug.clone(), min.clone(), max.clone());
        move |sort: String| {
            navigator().push(Route::CategoryPage {
                slug: slug.clone(),
                page: String::new(),
                sort,
                min: min.clone(),
                max: max.clone(),
            });
        }
    };
    rsx! {
        document::Title { "{title} · LocalMart" }
        div { class: "container section",
            nav { class: "breadcrumbs", "aria-label": "Breadcrumb",
                Link { to: Route::Home {}, "Home" }
                span { "aria-hidden": "true", " / " }
                span { "aria-current": "page", "{title}" }
            }
            h1 { "{title}" }
            if let Some(category) = &category {
                p { class: "muted lead", "{category.description}" }
            }
            div { class: "listing",
                PriceFilter { key: "{slug}", slug: slug.clone(), sort: sort.clone(), min: min.clone(), max: max.clone() }
                Results { query, to, sort: sort.clone(), on_sort }
            }
        }
    }
}

#[component]
pub fn SearchPage(q: String, page: String, sort: String) -> Element {
    let text = q.trim().to_owned();
    let query = Query {
        category: None,
        q: non_empty(&text),
        page: parse_page(&page),
        sort: sort.parse().ok(),
        min_price: None,
        max_price: None,
    };
    let to = {
        let (q, sort) = (q.clone(), sort.clone());
        Callback::new(move |page: u32| Route::SearchPage {
            q: q.clone(),
            page: page.to_string(),
            sort: sort.clone(),
        })
    };
    let on_sort = {
        let q = q.clone();
        move |sort: String| {
            navigator().push(Route::SearchPage {
                q: q.clone(),
                page: String::new(),
                sort,
            });
        }
    };
    if text.is_empty() {
        return rsx! {
            document::Title { "Search · LocalMart" }
            section { class: "container section empty-state",
                h1 { "Search the shop" }
                p { class: "muted", "Type a product name, a brand or a material into the search box above." }
            }
        };
    }
    rsx! {
        document::Title { "“{text}” · LocalMart" }
        div { class: "container section",
            h1 { "Results for “{text}”" }
            Results { query, to, sort: sort.clone(), on_sort }
        }
    }
}

/// The sort control, the grid and the page links of one listing.
#[component]
fn Results(
    query: Query,
    to: Callback<u32, Route>,
    sort: String,
    on_sort: EventHandler<String>,
) -> Element {
    let api = use_context::<Api>();
    let searching = query.q.clone();
    let mut result = use_resource(use_reactive!(|query| {
        let api = api.clone();
        async move { api.products(&query).await }
    }));
    let sorts = SORTS
        .iter()
        .filter(|(value, _)| searching.is_some() || *value != "relevance");
    let selected = if sort.is_empty() {
        if searching.is_some() {
            "relevance".to_owned()
        } else {
            "name".to_owned()
        }
    } else {
        sort
    };
    rsx! {
        div { class: "results",
            div { class: "results-bar",
                match &*result.read() {
                    Some(Ok(page)) => rsx! {
                        p { class: "muted", role: "status", "data-testid": "result-count",
                            if page.total_items == 1 { "1 product" } else { "{page.total_items} products" }
                        }
                    },
                    _ => rsx! { p {} },
                }
                label { class: "sort",
                    span { "Sort by" }
                    select {
                        value: "{selected}",
                        onchange: move |event| on_sort.call(event.value()),
                        for (value, label) in sorts {
                            option { value: *value, selected: *value == selected, "{label}" }
                        }
                    }
                }
            }
            Loadable { label: "Loading products…", on_retry: move |_| result.restart(),
                ResultsGrid { result, searching, to }
            }
        }
    }
}

/// A listing's products and page links, or why there are none.
#[component]
fn ResultsGrid(
    result: Resource<Result<ProductPage, ApiError>>,
    searching: Option<String>,
    to: Callback<u32, Route>,
) -> Element {
    let page = result.suspend()?.cloned()?;
    if page.items.is_empty() {
        return rsx! {
            div { class: "empty-state", "data-testid": "empty-results",
                if let Some(q) = &searching {
                    h2 { "No products match “{q}”" }
                    p { class: "muted", "Check the spelling, try a shorter or more general word, or browse a category from the menu above." }
                } else {
                    h2 { "Nothing here at these prices" }
                    p { class: "muted", "Widen the price range to see more products." }
                }
            }
        };
    }
    rsx! {
        ProductGrid { products: page.items, query: searching.clone().unwrap_or_default() }
        Pagination {
            current: u32::try_from(page.page).unwrap_or(1),
            total: u32::try_from(page.total_pages).unwrap_or(1),
            to,
        }
    }
}

/// Lowest and highest price, typed in the currency's major units and kept in the
/// address as minor units.
#[component]
fn PriceFilter(slug: String, sort: String, min: String, max: String) -> Element {
    let shown = |minor: &str| {
        minor
            .parse::<i64>()
            .map(|minor| {
                money::format(minor, CURRENCY)
                    .trim_start_matches('$')
                    .replace(',', "")
            })
            .unwrap_or_default()
    };
    let mut low = use_signal(|| shown(&min));
    let mut high = use_signal(|| shown(&max));
    let mut problem = use_signal(|| None::<String>);
    let apply = move |event: FormEvent| {
        event.prevent_default();
        let read = |text: &str, which: &str| -> Result<String, String> {
            if text.trim().is_empty() {
                return Ok(String::new());
            }
            money::parse(text, CURRENCY)
                .map(|minor| minor.to_string())
                .ok_or_else(|| format!("The {which} price should be an amount like 25 or 19.99."))
        };
        match (read(&low.read(), "lowest"), read(&high.read(), "highest")) {
            (Ok(min), Ok(max)) => {
                problem.set(None);
                navigator().push(Route::CategoryPage {
                    slug: slug.clone(),
                    page: String::new(),
                    sort: sort.clone(),
                    min,
                    max,
                });
            }
            (Err(message), _) | (_, Err(message)) => problem.set(Some(message)),
        }
    };
    rsx! {
        form { class: "filters card", onsubmit: apply, "aria-label": "Price filter",
            h2 { class: "filters-title", "Price" }
            div { class: "filter-row",
                label { r#for: "min-price", "From" }
                input { id: "min-price", inputmode: "decimal", placeholder: "0", value: "{low}", oninput: move |event| low.set(event.value()) }
            }
            div { class: "filter-row",
                label { r#for: "max-price", "To" }
                input { id: "max-price", inputmode: "decimal", placeholder: "Any", value: "{high}", oninput: move |event| high.set(event.value()) }
            }
            if let Some(message) = problem() {
                p { class: "field-error", role: "alert", "{message}" }
            }
            button { class: "button", r#type: "submit", "Apply" }
        }
    }
}
