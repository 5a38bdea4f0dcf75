use dioxus::prelude::*;

use crate::app::Route;
use crate::components::PageTitle;

#[component]
pub fn NotFound(segments: Vec<String>) -> Element {
    let path = format!("/{}", segments.join("/"));
    rsx! {
        PageTitle { title: "Page not found · LocalMart" }
        section { class: "container empty-state",
            h1 { "We could not find that page" }
            p { class: "muted", "Nothing lives at {path}." }
            Link { class: "button", to: Route::Home {}, "Back to the shop" }
        }
    }
}
