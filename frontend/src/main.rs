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
mod telemetry;

fn main() {
    #[cfg(target_arch = "wasm32")]
    telemetry::install();
    dioxus::launch(app::App);
}
