//! A product: pictures, description, attributes, price and stock, adding to the cart,
//! and its reviews. The Catalog is essential here; the Cart and Reviews are not, so when
//! either is away the rest of the page keeps working and says what is missing.

use catalog_api::types::Product;
use dioxus::prelude::*;
use storefront_api::telemetry::action;
use storefront_api::{Api, ApiError, MAX_QUANTITY, image_src};
use uuid::Uuid;

use crate::app::Route;
use crate::cart::CartStore;
use crate::components::{Loadable, PageTitle, Price, StockBadge};

mod form;
mod reviews;

use reviews::{Reviews, SummaryLine};

#[component]
pub fn ProductPage(id: Uuid) -> Element {
    rsx! {
        div { class: "container section",
            // Another product is another page: its loading, errors and state start afresh.
            Loadable { key: "{id}", label: "Loading the product…", ProductView { id } }
        }
    }
}

/// The product itself, once the Catalog has answered.
#[component]
fn ProductView(id: Uuid) -> Element {
    let product_id = id;
    let api = use_context::<Api>();
    let product_api = api.clone();
    let product = use_resource(use_reactive!(|product_id| {
        let api = product_api.clone();
        async move { api.product(product_id).await }
    }));
    // A change to the reviews (a new one, a vote) asks the summary to load again. The
    // summary is loaded once for the line beside the title and the reviews section.
    let reviews_changed = use_signal(|| 0u32);
    let summary = use_resource(use_reactive!(|product_id| {
        let api = api.clone();
        reviews_changed();
        async move { api.rating_summary(product_id).await }
    }));
    let summary = summary.read().clone();
    let product = match product.suspend()?.cloned() {
        Err(ApiError::NotFound(_)) => return rsx! { Missing {} },
        other => other?,
    };
    rsx! {
        PageTitle { title: "{product.name} · LocalMart" }
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
                SummaryLine { summary: summary.clone() }
                p { class: "product-price", Price { money: product.price.clone() } }
                StockBadge { stock: product.stock }
                BuyBox { product: product.clone() }
                p { class: "product-description", "{product.description}" }
                Attributes { product: product.clone() }
            }
        }
        Reviews { product_id, changed: reviews_changed, summary }
    }
}

#[component]
fn Missing() -> Element {
    rsx! {
        PageTitle { title: "Product not found · LocalMart" }
        section { class: "empty-state",
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
            let result = action("add to cart", cart.add(api, product_id, count)).await;
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
