//! The form that writes a review, checked in the page before it is sent.

use dioxus::prelude::*;
use storefront_api::telemetry::action;
use storefront_api::{Api, ApiError};
use uuid::Uuid;

use crate::review_form::{AUTHOR_MAX, BODY_MAX, Draft, Problems, TITLE_MAX};

#[component]
pub fn ReviewForm(product_id: Uuid, changed: Signal<u32>) -> Element {
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
            let result = action("post review", api.write_review(product_id, input)).await;
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
