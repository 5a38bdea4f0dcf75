//! Page cursors: an opaque, URL-safe token naming the last review of a page by its sort
//! keys, so the next page starts strictly after it however many reviews arrive meanwhile.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// How a listing is ordered. Every order ends with newest first, then id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Order {
    Newest,
    Highest,
    Lowest,
    MostHelpful,
}

/// The last review of a page: its sort keys, and which listing the cursor belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub order: Order,
    /// The star filter of the listing, which the next page must repeat.
    pub rating: Option<u32>,
    /// The rating or helpful count of the last review (unused when newest first).
    pub key: i64,
    pub created_at_ms: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising this struct cannot fail: it has no maps with non-string keys.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(token: &str) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| "it is not a cursor this service issued".to_owned())?;
        serde_json::from_slice(&bytes)
            .map_err(|_| "it is not a cursor this service issued".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_the_round_trip() {
        let cursor = Cursor {
            order: Order::Highest,
            rating: Some(4),
            key: 4,
            created_at_ms: 1_700_000_000_000,
            id: "abc".to_owned(),
        };
        let token = cursor.encode();
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{token}"
        );
        assert_eq!(Cursor::decode(&token), Ok(cursor));
    }

    #[test]
    fn foreign_tokens_are_refused() {
        assert!(Cursor::decode("not a cursor").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{\"order\":\"Sideways\"}")).is_err());
    }
}
