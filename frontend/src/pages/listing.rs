//! Product listings: a category's products and search results, each a page at a time,
//! sorted, and (in a category) filtered by price. The address holds the state.

use crate::app::Route;
use crate::components::{Loadable, PageTitle, Pagination, ProductGrid, use_categories};
use crate::money;
use crate::pagination::page_number;
use catalog_api::types::{ProductPage, ProductSort};
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

/// A listing's order as the address holds it (`?sort=price_asc`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ListingSort(pub ProductSort);

/// The router needs a default for a sort it cannot read; the address then has none.
impl Default for ListingSort {
    fn default() -> Self {
        Self(ProductSort::Name)
    }
}

impl std::str::FromStr for ListingSort {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse()
            .map(Self)
            .map_err(|_| format!("no sort order {text:?}"))
    }
}

impl std::fmt::Display for ListingSort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[component]
pub fn CategoryPage(
    slug: String,
    page: Option<u32>,
    sort: Option<ListingSort>,
    min: Option<i64>,
    max: Option<i64>,
) -> Element {
    let query = Query {
        category: Some(slug.clone()),
        q: None,
        page: page_number(page),
        sort: sort.map(|sort| sort.0),
        min_price: min,
        max_price: max,
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
        let slug = slug.clone();
        Callback::new(move |page: u32| Route::CategoryPage {
            slug: slug.clone(),
            page: Some(page),
            sort,
            min,
            max,
        })
    };
    let on_sort = {
        let slug = slug.clone();
        move |sort: Option<ListingSort>| {
            navigator().push(Route::CategoryPage {
                slug: slug.clone(),
                page: None,
                sort,
                min,
                max,
            });
        }
    };
    rsx! {
        PageTitle { title: "{title} · LocalMart" }
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
                PriceFilter { key: "{slug}", slug: slug.clone(), sort, min, max }
                Results { query, to, sort, on_sort }
            }
        }
    }
}

#[component]
pub fn SearchPage(q: String, page: Option<u32>, sort: Option<ListingSort>) -> Element {
    let text = q.trim().to_owned();
    let query = Query {
        category: None,
        q: non_empty(&text),
        page: page_number(page),
        sort: sort.map(|sort| sort.0),
        min_price: None,
        max_price: None,
    };
    let to = {
        let q = q.clone();
        Callback::new(move |page: u32| Route::SearchPage {
            q: q.clone(),
            page: Some(page),
            sort,
        })
    };
    let on_sort = {
        let q = q.clone();
        move |sort: Option<ListingSort>| {
            navigator().push(Route::SearchPage {
                q: q.clone(),
                page: None,
                sort,
            });
        }
    };
    if text.is_empty() {
        return rsx! {
            PageTitle { title: "Search · LocalMart" }
            section { class: "container section empty-state",
                h1 { "Search the shop" }
                p { class: "muted", "Type a product name, a brand or a material into the search box above." }
            }
        };
    }
    rsx! {
        PageTitle { title: "“{text}” · LocalMart" }
        div { class: "container section",
            h1 { "Results for “{text}”" }
            Results { query, to, sort, on_sort }
        }
    }
}

/// The sort control, the grid and the page links of one listing.
#[component]
fn Results(
    query: Query,
    to: Callback<u32, Route>,
    sort: Option<ListingSort>,
    on_sort: EventHandler<Option<ListingSort>>,
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
    let selected = match sort {
        Some(sort) => sort.to_string(),
        None if searching.is_some() => "relevance".to_owned(),
        None => "name".to_owned(),
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
                        onchange: move |event| on_sort.call(event.value().parse().ok()),
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
fn PriceFilter(
    slug: String,
    sort: Option<ListingSort>,
    min: Option<i64>,
    max: Option<i64>,
) -> Element {
    let shown = |minor: Option<i64>| {
        minor
            .map(|minor| {
                money::format(minor, CURRENCY)
                    .trim_start_matches('$')
                    .replace(',', "")
            })
            .unwrap_or_default()
    };
    let mut low = use_signal(|| shown(min));
    let mut high = use_signal(|| shown(max));
    let mut problem = use_signal(|| None::<String>);
    let apply = move |event: FormEvent| {
        event.prevent_default();
        let read = |text: &str, which: &str| -> Result<Option<i64>, String> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            money::parse(text, CURRENCY)
                .map(Some)
                .ok_or_else(|| format!("The {which} price should be an amount like 25 or 19.99."))
        };
        match (read(&low.read(), "lowest"), read(&high.read(), "highest")) {
            (Ok(min), Ok(max)) => {
                problem.set(None);
                navigator().push(Route::CategoryPage {
                    slug: slug.clone(),
                    page: None,
                    sort,
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
