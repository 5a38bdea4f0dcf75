//! What the generated types of every contract share, so each generated crate refers to
//! these instead of defining its own copy.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The contract's `Error` body, the same in every spec (the generator checks that each
/// spec's `Error` schema has these three required strings, and maps the schema to this
/// type): a stable machine `code`, a message safe to show that says what to fix, and the
/// request id that finds the request in the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: String,
}

/// Why a value does not fit a generated type: a string that breaks its pattern or
/// length, or a builder missing a required field. Every generated `types::error` module
/// re-exports this one.
pub struct ConversionError(Cow<'static, str>);

impl std::error::Error for ConversionError {}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<&'static str> for ConversionError {
    fn from(message: &'static str) -> Self {
        Self(Cow::Borrowed(message))
    }
}

impl From<String> for ConversionError {
    fn from(message: String) -> Self {
        Self(Cow::Owned(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_the_contract_field_names() {
        let body = ErrorBody {
            code: "cart_not_found".into(),
            message: "No cart has that id.".into(),
            request_id: "r-1".into(),
        };
        let json = serde_json::to_value(&body).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"code": "cart_not_found", "message": "No cart has that id.", "request_id": "r-1"})
        );
    }

    #[test]
    fn a_conversion_error_reads_as_its_message() {
        let error = ConversionError::from(format!("{} is too long", "name"));
        assert_eq!(error.to_string(), "name is too long");
        assert_eq!(format!("{error:?}"), "\"name is too long\"");
    }
}
