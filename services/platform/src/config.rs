//! Settings from environment variables: each service declares a typed struct and fills it
//! with [`var`] and [`var_or`], so a wrong value fails at start with a message naming the
//! variable rather than later with a confusing error.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result};

/// The variable's value parsed, or `None` when it is unset or empty.
pub fn var<T>(name: &str) -> Result<Option<T>>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse()
            .map(Some)
            .map_err(|err| anyhow::anyhow!("{name}={value:?} is not valid: {err}")),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {name}")),
    }
}

/// The variable's value parsed, or `default` when it is unset or empty.
pub fn var_or<T>(name: &str, default: T) -> Result<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    Ok(var(name)?.unwrap_or(default))
}

/// Whether the switch in variable `name` is on: `1`, `true`, `yes` or `on` (in any case)
/// is on; unset, empty, `0`, `false`, `no` or `off` is off; anything else is refused.
pub fn flag(name: &str) -> Result<bool> {
    Ok(var::<Flag>(name)?.is_some_and(|Flag(on)| on))
}

/// The value of a switch, as [`flag`] reads it.
struct Flag(bool);

impl FromStr for Flag {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Self(true)),
            "0" | "false" | "no" | "off" => Ok(Self(false)),
            _ => Err("a switch is 1 or 0 (true or false, yes or no, on or off)"),
        }
    }
}

/// A value that must never reach a log: its `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl Secret<String> {
    /// Whether `given` is the secret, compared in constant time: every byte of the
    /// secret is compared whatever was given, so the time taken says nothing about how
    /// much of a guess was right, nor how long the secret is.
    pub fn matches(&self, given: &str) -> bool {
        let (given, expected) = (given.as_bytes(), self.0.as_bytes());
        let mut difference = u8::from(given.len() != expected.len());
        for (index, byte) in expected.iter().enumerate() {
            difference |= byte ^ given.get(index).copied().unwrap_or(0);
        }
        difference == 0
    }
}

/// The token the README once printed: never accepted outside development mode.
pub const WELL_KNOWN_ADMIN_TOKEN: &str = "localmart-admin";

/// The shortest admin token accepted outside development mode.
pub const MIN_ADMIN_TOKEN_LEN: usize = 24;

/// The signing key development mode falls back on: never accepted outside it.
pub const WELL_KNOWN_SIGNING_KEY: &str = "localmart-development-signing-key";

/// The shortest signing key accepted outside development mode.
pub const MIN_SIGNING_KEY_LEN: usize = 32;

/// What a secret from the environment must be outside development mode.
struct Unguessable {
    /// What to give, for the message when it is missing.
    what: &'static str,
    /// Taken in development mode when the variable is unset; refused outside it.
    well_known: &'static str,
    min_len: usize,
}

const ADMIN_TOKEN: Unguessable = Unguessable {
    what: "give the admin operations a token",
    well_known: WELL_KNOWN_ADMIN_TOKEN,
    min_len: MIN_ADMIN_TOKEN_LEN,
};

const SIGNING_KEY: Unguessable = Unguessable {
    what: "give the service a key to sign with",
    well_known: WELL_KNOWN_SIGNING_KEY,
    min_len: MIN_SIGNING_KEY_LEN,
};

/// The admin token from variable `name`. Outside development mode
/// (`LOCALMART_DEV_MODE=1`) a missing, well-known or short token is refused, so a service
/// never starts guarded by a token anyone could guess; `make up` generates one per
/// installation.
pub fn admin_token(name: &str) -> Result<Secret<String>> {
    unguessable(name, var(name)?, flag("LOCALMART_DEV_MODE")?, &ADMIN_TOKEN)
}

/// A key the service signs what it issues with (e.g. anonymous voter ids), from variable
/// `name`, under the same rules as [`admin_token`]: anyone who knows the key can forge
/// what it signs.
pub fn signing_key(name: &str) -> Result<Secret<String>> {
    unguessable(name, var(name)?, flag("LOCALMART_DEV_MODE")?, &SIGNING_KEY)
}

fn unguessable(
    name: &str,
    value: Option<String>,
    dev_mode: bool,
    rule: &Unguessable,
) -> Result<Secret<String>> {
    let Unguessable {
        what,
        well_known,
        min_len,
    } = rule;
    match value {
        Some(value) if dev_mode => Ok(Secret::new(value)),
        None if dev_mode => Ok(Secret::new((*well_known).to_owned())),
        None => anyhow::bail!(
            "{name} is not set: {what} of {min_len} or more characters (`make up` generates \
             one), or set LOCALMART_DEV_MODE=1"
        ),
        Some(value) if value == *well_known => anyhow::bail!(
            "{name} is the well-known development value; choose another, or set LOCALMART_DEV_MODE=1"
        ),
        Some(value) if value.chars().count() < *min_len => anyhow::bail!(
            "{name} is shorter than {min_len} characters, or set LOCALMART_DEV_MODE=1"
        ),
        Some(value) => Ok(Secret::new(value)),
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: FromStr> FromStr for Secret<T> {
    type Err = T::Err;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_is_read_as_people_write_it() {
        for on in ["1", "true", "TRUE", "yes", "On"] {
            assert!(on.parse::<Flag>().expect("a switch").0, "{on}");
        }
        for off in ["0", "false", "False", "no", "off"] {
            assert!(!off.parse::<Flag>().expect("a switch").0, "{off}");
        }
        assert!("2".parse::<Flag>().is_err() && "enabled".parse::<Flag>().is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn a_secret_matches_only_itself() {
        let secret = Secret::new("hunter2".to_owned());
        assert!(secret.matches("hunter2"));
        assert!(!secret.matches("hunter3") && !secret.matches("hunter") && !secret.matches(""));
        assert!(
            !secret.matches("hunter2hunter2"),
            "a longer guess with the secret as prefix"
        );
    }

    #[test]
    fn an_admin_token_must_be_unguessable_outside_development_mode() {
        let long = "x".repeat(MIN_ADMIN_TOKEN_LEN);
        let check = |token: Option<&str>, dev| {
            unguessable("ADMIN_TOKEN", token.map(str::to_owned), dev, &ADMIN_TOKEN)
                .map(|secret| secret.expose().clone())
                .map_err(|err| err.to_string())
        };
        assert!(check(None, false).expect_err("refused").contains("not set"));
        assert!(
            check(Some(WELL_KNOWN_ADMIN_TOKEN), false)
                .expect_err("refused")
                .contains("well-known")
        );
        assert!(
            check(Some("short"), false)
                .expect_err("refused")
                .contains("shorter")
        );
        assert_eq!(check(Some(&long), false), Ok(long.clone()));
        assert_eq!(check(None, true), Ok(WELL_KNOWN_ADMIN_TOKEN.to_owned()));
        assert_eq!(check(Some("short"), true), Ok("short".to_owned()));
    }

    #[test]
    fn a_signing_key_is_held_to_its_own_length() {
        let check = |key: &str| unguessable("KEY", Some(key.to_owned()), false, &SIGNING_KEY);
        let token_long = "x".repeat(MIN_ADMIN_TOKEN_LEN);
        assert!(
            check(&token_long).is_err(),
            "long enough for a token, not for a key"
        );
        assert!(check(WELL_KNOWN_SIGNING_KEY).is_err());
        assert!(check(&"x".repeat(MIN_SIGNING_KEY_LEN)).is_ok());
    }
}
