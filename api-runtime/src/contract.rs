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

/// The conversions of a generated string type with limits, `pub struct X(String)` with a
/// `fn check(&str) -> Result<(), ConversionError>` of its own: `Deref` to `str`'s
/// `String`, `From<X> for String`, and `FromStr`, `TryFrom<&str>`, `TryFrom<String>` and
/// `Deserialize`, each of which checks the value first, so no `X` breaks the limits.
#[macro_export]
macro_rules! checked_string {
    ($name:ident) => {
        impl ::std::ops::Deref for $name {
            type Target = ::std::string::String;
            fn deref(&self) -> &::std::string::String {
                &self.0
            }
        }

        impl ::std::convert::From<$name> for ::std::string::String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::check(value)?;
                Ok(Self(value.to_owned()))
            }
        }

        impl ::std::convert::TryFrom<&str> for $name {
            type Error = $crate::ConversionError;
            fn try_from(value: &str) -> ::std::result::Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for $name {
            type Error = $crate::ConversionError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, Self::Error> {
                Self::check(&value)?;
                Ok(Self(value))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value =
                    <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::try_from(value).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

/// In a generated type's `check`: returns `Err(message)` from it unless `value` matches
/// `pattern` (the spec's pattern, translated by the generator to `regex-lite` syntax,
/// whose matching takes time linear in the value). The regex is compiled once.
#[macro_export]
macro_rules! check_pattern {
    ($value:expr, $pattern:literal, $message:literal) => {{
        static PATTERN: ::std::sync::LazyLock<::regex_lite::Regex> =
            ::std::sync::LazyLock::new(|| {
                ::regex_lite::Regex::new($pattern).expect("the generator translated the pattern")
            });
        if PATTERN.find($value).is_none() {
            return Err($message.into());
        }
    }};
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

    /// A string of one to three letters, as a generated type with limits is.
    #[derive(Debug, PartialEq, Serialize)]
    struct Code(String);

    impl Code {
        fn check(value: &str) -> Result<(), ConversionError> {
            crate::check_pattern!(value, "^[a-z]{1,3}$", "must be one to three letters");
            Ok(())
        }
    }

    crate::checked_string!(Code);

    #[test]
    fn every_way_into_a_checked_string_checks_it() {
        assert_eq!("abc".parse::<Code>().expect("fits").as_str(), "abc");
        assert!("abcd".parse::<Code>().is_err());
        assert!("AB".parse::<Code>().is_err(), "the pattern is checked");
        assert!(Code::try_from("").is_err());
        assert!(Code::try_from(String::from("abcd")).is_err());
        let refused = serde_json::from_str::<Code>("\"abcd\"").expect_err("too long");
        assert!(
            refused.to_string().contains("one to three letters"),
            "{refused}"
        );
        let code: Code = serde_json::from_str("\"ab\"").expect("fits");
        assert_eq!(String::from(code), "ab");
    }

    #[test]
    fn a_conversion_error_reads_as_its_message() {
        let error = ConversionError::from(format!("{} is too long", "name"));
        assert_eq!(error.to_string(), "name is too long");
        assert_eq!(format!("{error:?}"), "\"name is too long\"");
    }
}
