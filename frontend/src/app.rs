//! The shop's routes and the frame every page shares: header with search and cart,
//! category navigation, footer.

use dioxus::prelude::*;

use crate::cart::CartStore;
use crate::components::{Categories, use_categories};
use crate::pages::{CartPage, CategoryPage, Home, ListingSort, NotFound, ProductPage, SearchPage};
use crate::telemetry;
use storefront_api::Api;

/// Every page of the shop, with its parameters typed. Listing state (page, sort, price
/// range, query) lives in the address, so a listing can be bookmarked, shared and
/// reloaded; a parameter that does not parse counts as absent.
#[derive(Routable, Clone, Debug, PartialEq)]
#[rustfmt::skip]
pub enum Route {
    #[layout(Shell)]
        #[route("/")]
        Home {},
        #[route("/category/:slug?:page&:sort&:min&:max")]
        CategoryPage {
            slug: String,
            page: Option<u32>,
            sort: Option<ListingSort>,
            min: Option<i64>,
            max: Option<i64>,
        },
        #[route("/search?:q&:page&:sort")]
        SearchPage { q: String, page: Option<u32>, sort: Option<ListingSort> },
        #[route("/product/:id")]
        ProductPage { id: uuid::Uuid },
        #[route("/cart")]
        CartPage {},
        #[route("/:..segments")]
        NotFound { segments: Vec<String> },
}

impl Route {
    pub fn category(slug: &str) -> Self {
        Self::CategoryPage {
            slug: slug.to_owned(),
            page: None,
            sort: None,
            min: None,
            max: None,
        }
    }

    pub fn search(q: &str) -> Self {
        Self::SearchPage {
            q: q.to_owned(),
            page: None,
            sort: None,
        }
    }

    pub fn product(id: &uuid::Uuid) -> Self {
        Self::ProductPage { id: *id }
    }

    /// The route's template: what telemetry names a page by (no ids, no search text).
    pub fn template(&self) -> &'static str {
        match self {
            Self::Home {} => "/",
            Self::CategoryPage { .. } => "/category/:slug",
            Self::SearchPage { .. } => "/search",
            Self::ProductPage { .. } => "/product/:id",
            Self::CartPage {} => "/cart",
            Self::NotFound { .. } => "/:..segments",
        }
    }
}

#[component]
pub fn App() -> Element {
    let api = use_context_provider(Api::same_origin);
    let cart = use_context_provider(CartStore::new);
    // Loaded once, for the header and every page that lists the categories.
    let categories = {
        let api = api.clone();
        use_resource(move || {
            let api = api.clone();
            async move { api.categories().await }
        })
    };
    use_context_provider(|| Categories(categories));
    use_future(move || cart.refresh(api.clone()));
    rsx! { Router::<Route> {} }
}

#[component]
fn Shell() -> Element {
    let route = use_route::<Route>();
    telemetry::shown(&route.to_string(), route.template());
    rsx! {
        a { class: "skip-link", href: "#content", "Skip to content" }
        Header {}
        main { id: "content", tabindex: "-1", Outlet::<Route> {} }
        footer { class: "site-footer",
            div { class: "container",
                p { "LocalMart is a reference shop for learning contract-first microservices." }
                p { class: "muted", "Prices in the catalog's currency; carts keep for 7 days." }
            }
        }
    }
}

#[component]
fn Header() -> Element {
    let cart = use_context::<CartStore>();
    let categories = use_categories();
    let mut query = use_signal(String::new);
    let count = cart.item_count();
    let cart_label = match count {
        0 => "Cart, empty".to_owned(),
        1 => "Cart, 1 item".to_owned(),
        n => format!("Cart, {n} items"),
    };
    rsx! {
        header { class: "site-header",
            div { class: "container header-row",
                Link { class: "brand", to: Route::Home {},
                    span { class: "brand-mark", "aria-hidden": "true", "L" }
                    span { "LocalMart" }
                }
                form {
                    class: "search",
                    role: "search",
                    onsubmit: move |event: FormEvent| {
                        event.prevent_default();
                        let q = query.read().trim().to_owned();
                        navigator().push(Route::search(&q));
                    },
                    label { class: "visually-hidden", r#for: "search-input", "Search products" }
                    input {
                        id: "search-input",
                        r#type: "search",
                        name: "q",
                        placeholder: "Search products",
                        autocomplete: "off",
                        value: "{query}",
                        oninput: move |event| query.set(event.value()),
                    }
                    button { r#type: "submit", class: "button", "Search" }
                }
                Link { class: "cart-link", to: Route::CartPage {},
                    span { class: "visually-hidden", "{cart_label}" }
                    svg { class: "cart-icon", "aria-hidden": "true", view_box: "0 0 24 24", width: "22", height: "22",
                        fill: "none", stroke: "currentColor", stroke_width: "2", stroke_linecap: "round", stroke_linejoin: "round",
                        circle { cx: "9", cy: "20", r: "1.5" }
                        circle { cx: "18", cy: "20", r: "1.5" }
                        path { d: "M2 3h3l2.6 12.4a1.5 1.5 0 0 0 1.5 1.1h8.8a1.5 1.5 0 0 0 1.5-1.2L21 7H6" }
                    }
                    span { "aria-hidden": "true", "Cart" }
                    span { class: "cart-count", "aria-hidden": "true", "data-testid": "cart-count", "{count}" }
                }
            }
            // The bar keeps its line while the categories load (or if they cannot), so
            // the page below does not jump when they come.
            nav { class: "category-nav", "aria-label": "Categories",
                div { class: "container",
                    if let Some(Ok(categories)) = &*categories.read() {
                        for category in categories.iter() {
                            Link { key: "{category.id}", to: Route::category(&category.slug), "{category.name}" }
                        }
                    } else {
                        span { class: "category-placeholder", "aria-hidden": "true", "\u{a0}" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use catalog_api::types::ProductSort;

    use super::*;

    #[test]
    fn a_listing_address_keeps_its_typed_state() {
        let route = Route::CategoryPage {
            slug: "shoes".to_owned(),
            page: Some(2),
            sort: Some(ListingSort(ProductSort::PriceAsc)),
            min: Some(1000),
            max: None,
        };
        let address = route.to_string();
        assert!(address.starts_with("/category/shoes?"), "{address}");
        assert!(address.contains("sort=price_asc"), "{address}");
        assert_eq!(Route::from_str(&address).ok(), Some(route));
    }

    #[test]
    fn what_an_address_cannot_say_counts_as_absent() {
        let parsed = Route::from_str("/search?q=lamp&page=two&sort=cheapest").ok();
        let expected = Route::SearchPage {
            q: "lamp".to_owned(),
            page: None,
            sort: None,
        };
        assert_eq!(parsed, Some(expected));
        let product = uuid::Uuid::from_u128(7);
        assert_eq!(
            Route::from_str(&format!("/product/{product}")).ok(),
            Some(Route::product(&product))
        );
        assert!(matches!(
            Route::from_str("/product/not-an-id"),
            Ok(Route::NotFound { .. })
        ));
    }
}
