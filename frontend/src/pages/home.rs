use dioxus::prelude::*;
use storefront_api::Api;

use crate::app::Route;
use crate::components::{Loadable, PageTitle, ProductGrid, use_categories};

#[component]
pub fn Home() -> Element {
    let mut categories = use_categories();
    rsx! {
        PageTitle { title: "LocalMart" }
        section { class: "hero",
            div { class: "container",
                h1 { "Good things from around the corner" }
                p { "Browse twelve departments of everyday goods, read what other shoppers think, and fill your cart." }
            }
        }
        section { class: "container section",
            h2 { "Shop by category" }
            Loadable { label: "Loading categories…", on_retry: move |_| categories.restart(),
                CategoryGrid {}
            }
        }
        section { class: "container section",
            h2 { "New in" }
            Loadable { label: "Loading products…", NewIn {} }
        }
    }
}

#[component]
fn CategoryGrid() -> Element {
    let categories = use_categories().suspend()?.cloned()?;
    rsx! {
        ul { class: "category-grid",
            for category in categories {
                li { key: "{category.id}", class: "card category-card",
                    Link { class: "card-link", to: Route::category(&category.slug),
                        span { class: "card-title", "{category.name}" }
                        span { class: "muted", "{category.description}" }
                        span { class: "category-count", "{category.product_count} products" }
                    }
                }
            }
        }
    }
}

/// The newest products.
#[component]
fn NewIn() -> Element {
    let api = use_context::<Api>();
    let featured = use_resource(move || {
        let api = api.clone();
        async move { api.newest_products(8).await }
    });
    let page = featured.suspend()?.cloned()?;
    rsx! { ProductGrid { products: page.items, query: String::new() } }
}
