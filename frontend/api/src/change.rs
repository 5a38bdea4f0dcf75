//! Idempotency keys for the shopper's changes to the cart.
//!
//! Every change goes with an `Idempotency-Key` (the Cart contract's header), a new one per
//! change the shopper makes. When a change could not be confirmed (the Cart or the
//! network was unavailable, so it may or may not have been made), the same change asked
//! for next is the shopper trying again: it goes with the same key, and the Cart makes it
//! at most once.

use std::sync::{Arc, Mutex, PoisonError};

use uuid::Uuid;

use crate::ApiError;

/// The key of the last change that could not be confirmed, shared by every clone of the
/// [`Api`](crate::Api).
#[derive(Clone, Debug, Default)]
pub struct ChangeKeys {
    unconfirmed: Arc<Mutex<Option<(String, Uuid)>>>,
}

impl ChangeKeys {
    /// The key to send `change` (a description such as `add <cart> <product> <units>`)
    /// with: the unconfirmed one when this is the same change again, otherwise a new one.
    pub fn key_for(&self, change: &str) -> Uuid {
        let unconfirmed = self.lock();
        match unconfirmed.as_ref() {
            Some((pending, key)) if pending == change => *key,
            _ => new_key(),
        }
    }

    /// Remembers how `change`, sent with `key`, ended.
    pub fn settle<T>(&self, change: String, key: Uuid, result: &Result<T, ApiError>) {
        let mut unconfirmed = self.lock();
        *unconfirmed = match result {
            Err(err) if err.is_unavailable() => Some((change, key)),
            _ => None,
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(String, Uuid)>> {
        self.unconfirmed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn new_key() -> Uuid {
    uuid::Builder::from_random_bytes(crate::random_bytes()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Service;

    #[test]
    fn only_the_same_change_after_an_unconfirmed_one_reuses_its_key() {
        let keys = ChangeKeys::default();
        let first = keys.key_for("add c p 1");
        assert_eq!(first.get_version_num(), 4, "a random UUID");
        assert_ne!(keys.key_for("add c p 1"), first, "nothing unconfirmed yet");

        keys.settle::<()>(
            "add c p 1".to_owned(),
            first,
            &Err(ApiError::Unavailable(Service::Cart)),
        );
        assert_eq!(keys.key_for("add c p 1"), first, "the shopper trying again");
        assert_ne!(keys.key_for("add c p 2"), first, "another change");

        keys.settle("add c p 1".to_owned(), first, &Ok(()));
        assert_ne!(
            keys.key_for("add c p 1"),
            first,
            "confirmed: a new add is a new change"
        );

        keys.settle::<()>(
            "add c p 1".to_owned(),
            first,
            &Err(ApiError::Refused("out of stock".to_owned())),
        );
        assert_ne!(keys.key_for("add c p 1"), first, "a refusal made no change");
    }
}
