//! The cart: each line with a quantity stepper and remove, the running subtotal and item
//! count (both computed by the Cart service), a notice when prices may be out of date.

use cart_api::types::CartLine;
use dioxus::prelude::*;

use crate::app::Route;
use crate::cart::{CartStore, Status};
use crate::components::{ErrorPanel, Loading, PageTitle};
use crate::money;
use storefront_api::{Api, ApiError, MAX_QUANTITY, product_image_src};

#[component]
pub fn CartPage() -> Element {
    let api = use_context::<Api>();
    let cart = use_context::<CartStore>();
    // Fresh prices and availability every time the page opens.
    use_future({
        let api = api.clone();
        move || cart.refresh(api.clone())
    });
    let problem = use_signal(|| None::<ApiError>);
    let status = cart.status.read().clone();
    let current = cart.cart.read().clone();
    let body = match (status, current) {
        (Status::Unavailable(error), None) => rsx! {
            ErrorPanel { error, retry: move |_| { spawn(cart.refresh(api.clone())); } }
        },
        (Status::Loading, None) => rsx! { Loading { label: "Loading your cart…" } },
        (_, None) => rsx! { Empty {} },
        (_, Some(current)) if current.lines.is_empty() => rsx! { Empty {} },
        (status, Some(current)) => {
            let subtotal = money::format(current.subtotal.amount_minor, &current.subtotal.currency);
            let items = if current.item_count == 1 {
                "1 item".to_owned()
            } else {
                format!("{} items", current.item_count)
            };
            rsx! {
                if let Status::Unavailable(error) = status {
                    div { class: "notice notice-warning", role: "status",
                        p { "{error} Your cart is shown as it was last loaded." }
                    }
                }
                if current.prices_stale {
                    div { class: "notice notice-warning", role: "status", "data-testid": "prices-stale",
                        p { "Some prices could not be confirmed just now and may have changed. They will be checked again before you pay." }
                    }
                }
                if let Some(error) = problem() {
                    p { class: "notice notice-error", role: "alert", "{error}" }
                }
                div { class: "cart-layout",
                    ul { class: "cart-lines", "data-testid": "cart-lines",
                        for line in current.lines {
                            Line { key: "{line.product_id}", line, problem }
                        }
                    }
                    aside { class: "card cart-summary", "aria-label": "Order summary",
                        h2 { "Summary" }
                        p { class: "summary-row",
                            span { "Items" }
                            span { "data-testid": "item-count", "{items}" }
                        }
                        p { class: "summary-row summary-total",
                            span { "Subtotal" }
                            span { "data-testid": "subtotal", "{subtotal}" }
                        }
                        p { class: "muted", "Taxes and delivery are worked out at checkout." }
                    }
                }
            }
        }
    };
    rsx! {
        PageTitle { title: "Your cart · LocalMart" }
        section { class: "container section",
            h1 { "Your cart" }
            div { "aria-live": "polite", {body} }
        }
    }
}

#[component]
fn Empty() -> Element {
    rsx! {
        div { class: "empty-state", "data-testid": "cart-empty",
            h2 { "Your cart is empty" }
            p { class: "muted", "Find something you like and it will wait for you here." }
            Link { class: "button button-primary", to: Route::Home {}, "Start shopping" }
        }
    }
}

#[component]
fn Line(line: CartLine, problem: Signal<Option<ApiError>>) -> Element {
    let api = use_context::<Api>();
    let cart = use_context::<CartStore>();
    let mut busy = use_signal(|| false);
    let product_id = line.product_id;
    let quantity = u32::try_from(line.quantity).unwrap_or(1);
    let change = {
        let api = api.clone();
        move |to: u32| {
            let api = api.clone();
            spawn(async move {
                busy.set(true);
                let result = if to == 0 {
                    cart.remove(api, product_id).await
                } else {
                    cart.set_quantity(api, product_id, to).await
                };
                problem.set(result.err());
                busy.set(false);
            });
        }
    };
    let (fewer, more, typed, remove) = (change.clone(), change.clone(), change.clone(), change);
    let unit = money::format(line.unit_price.amount_minor, &line.unit_price.currency);
    let total = money::format(line.line_total.amount_minor, &line.line_total.currency);
    let name = line.name.clone();
    rsx! {
        li { class: if line.available { "cart-line card" } else { "cart-line card unavailable" }, "data-testid": "cart-line",
            img { src: product_image_src(&product_id), alt: "Picture of {name}", width: "96", height: "72" }
            div { class: "cart-line-info",
                Link { class: "cart-line-name", to: Route::product(&product_id), "{name}" }
                p { class: "muted", "{unit} each" }
                if !line.available {
                    p { class: "notice notice-warning", "This product is no longer for sale and is not counted." }
                }
                if line.price_stale {
                    p { class: "muted", "Price not confirmed" }
                }
            }
            div { class: "stepper", role: "group", "aria-label": "Quantity of {name}",
                button { r#type: "button", "aria-label": "One fewer {name}", disabled: busy() || quantity <= 1, onclick: move |_| fewer(quantity - 1), "−" }
                input {
                    r#type: "number",
                    min: 1,
                    max: MAX_QUANTITY,
                    "aria-label": "Quantity of {name}",
                    "data-testid": "line-quantity",
                    value: "{quantity}",
                    disabled: busy(),
                    onchange: move |event| {
                        if let Ok(value) = event.value().parse::<u32>()
                            && value != quantity
                        {
                            typed(value.clamp(1, MAX_QUANTITY));
                        }
                    },
                }
                button { r#type: "button", "aria-label": "One more {name}", disabled: busy() || quantity >= MAX_QUANTITY, onclick: move |_| more(quantity + 1), "+" }
            }
            p { class: "cart-line-total", "data-testid": "line-total", "{total}" }
            button { class: "button button-small button-secondary", "data-testid": "remove-line", disabled: busy(), onclick: move |_| remove(0), "Remove" }
        }
    }
}
