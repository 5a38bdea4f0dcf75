//! What the storefront keeps in the browser: the cart's id and an anonymous shopper id
//! (the voter behind "helpful" votes), both in `localStorage` so they survive a reload;
//! and the document's title.

use uuid::Uuid;

const CART_KEY: &str = "localmart.cart_id";
const SHOPPER_KEY: &str = "localmart.shopper_id";

#[cfg(target_arch = "wasm32")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

#[cfg(target_arch = "wasm32")]
fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

#[cfg(target_arch = "wasm32")]
fn store(key: &str, value: Option<&str>) {
    if let Some(storage) = storage() {
        let _ = match value {
            Some(value) => storage.set_item(key, value),
            None => storage.remove_item(key),
        };
    }
}

// Outside a browser (unit tests) nothing persists.
#[cfg(not(target_arch = "wasm32"))]
fn load(_key: &str) -> Option<String> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
fn store(_key: &str, _value: Option<&str>) {}

/// Sets the document's title (outside a browser, nothing).
pub fn set_title(title: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(document) = web_sys::window().and_then(|window| window.document()) {
        document.set_title(title);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = title;
}

pub fn cart_id() -> Option<Uuid> {
    load(CART_KEY)?.parse().ok()
}

pub fn set_cart_id(id: Option<Uuid>) {
    store(CART_KEY, id.map(|id| id.to_string()).as_deref());
}

/// This browser's anonymous shopper id, made on first use.
pub fn shopper_id() -> Uuid {
    if let Some(id) = load(SHOPPER_KEY).and_then(|id| id.parse().ok()) {
        return id;
    }
    let id = uuid::Builder::from_random_bytes(storefront_api::random_bytes()).into_uuid();
    store(SHOPPER_KEY, Some(&id.to_string()));
    id
}
