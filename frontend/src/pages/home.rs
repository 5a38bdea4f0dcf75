use dioxus::prelude::*;
use storefront_api::Api;

use crate::app::Route;
use crate::components::{ErrorPanel, Loading, ProductGrid, use_categories};

#[component]
pub fn Home() -> Element {
    let api = use_context::<Api>();
    let mut categories = use_categories();
    let mut featured = use_resource(move || {
        let api = api.clone();
        async move { api.newest_products(8).await }
    });
    rsx! {
        document::Title { "LocalMart" }
        section { class: "hero",
            div { class: "container",
                h1 { "Good things from around the corner" }
                p { "Browse twelve departments of everyday goods, read what other shoppers think, and fill your cart." }
            }
        }
        section { class: "container section",
            h2 { "Shop by category" }
            match categories.read().clone() {
                None => rsx! { Loading { label: "Loading categories…" } },
                Some(Err(error)) => rsx! { ErrorPanel { error, retry: move |_| categories.restart() } },
                Some(Ok(list)) => rsx! {
                    ul { class: "category-grid",
                        for category in list {
                            li { key: "{category.id}", class: "card category-card",
                                Link { class: "card-link", to: Route::category(&category.slug),
                                    span { class: "card-title", "{category.name}" }
                                    span { class: "muted", "{category.description}" }
                                    span { class: "category-count", "{category.product_count} products" }
                                }
                            }
                        }
                    }
                },
            }
        }
        section { class: "container section",
            h2 { "New in" }
            match featured.read().clone() {
                None => rsx! { Loading { label: "Loading products…" } },
                Some(Err(error)) => rsx! { ErrorPanel { error, retry: move |_| featured.restart() } },
                Some(Ok(page)) => rsx! { ProductGrid { products: page.items, query: String::new() } },
            }
        }
    }
}
