//! What the storefront keeps in the browser: the cart's id and the anonymous voter
//! Reviews issued it (who "helpful" votes come from), both in `localStorage` so they
//! survive a reload; and the document's title.

use reviews_api::types::HelpfulVote;
use uuid::Uuid;

const CART_KEY: &str = "localmart.cart_id";
const VOTER_KEY: &str = "localmart.voter";

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

/// The voter Reviews issued this browser, if it has one (and it is still of the
/// contract's shape).
pub fn voter() -> Option<HelpfulVote> {
    let voter = load(VOTER_KEY)?.parse().ok()?;
    Some(HelpfulVote { voter })
}

pub fn set_voter(voter: &HelpfulVote) {
    store(VOTER_KEY, Some(&voter.voter.to_string()));
}
