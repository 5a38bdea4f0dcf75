//! The LocalMart storefront: a Dioxus web app, compiled to WebAssembly and served by the
//! edge next to the services it calls (see `cargo xtask storefront`).

#![expect(
    unused_qualifications,
    reason = "rsx! expands attributes and event handlers into paths that this lint misreads"
)]

mod app;
mod browser;
mod cart;
mod components;
mod highlight;
mod money;
mod pages;
mod pagination;
mod review_form;

fn main() {
    dioxus::launch(app::App);
}
