//! Anonymous voter ids, issued and signed by this service.
//!
//! A voter id is a random id and its HMAC-SHA256 under the service's signing key
//! (`<32 hex digits>.<43 base64url characters>`). A helpful vote names one, so a client can
//! no longer count itself as a thousand voters by making up a thousand strings: every voter
//! comes from `issueVoter`, and the edge limits how many one client address may have. Without
//! accounts a client can still collect voter ids slowly; `docs/security.md` says what this
//! stops and what it does not.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use platform::config::Secret;
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// What is signed: the id, under a label, so a signature made for something else with the
/// same key is never a voter's.
const LABEL: &[u8] = b"localmart voter ";

/// Issues voter ids and recognises the ones it issued.
#[derive(Clone)]
pub struct Voters {
    key: Secret<String>,
}

impl std::fmt::Debug for Voters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Voters").finish_non_exhaustive()
    }
}

impl Voters {
    pub fn new(key: Secret<String>) -> Self {
        Self { key }
    }

    fn mac(&self, id: Uuid) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.key.expose().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(LABEL);
        mac.update(id.simple().to_string().as_bytes());
        mac
    }

    /// A new voter id: a random id and its signature.
    pub fn issue(&self) -> String {
        let id = Uuid::new_v4();
        let signature = self.mac(id).finalize().into_bytes();
        format!("{}.{}", id.simple(), URL_SAFE_NO_PAD.encode(signature))
    }

    /// The id inside `voter` if this service issued it (compared in constant time), or
    /// `None` for anything else.
    pub fn recognise(&self, voter: &str) -> Option<Uuid> {
        let (id, signature) = voter.split_once('.')?;
        let id: Uuid = Uuid::try_parse(id).ok().filter(|_| id.len() == 32)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(id).verify_slice(&signature).ok()?;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voters(key: &str) -> Voters {
        Voters::new(Secret::new(key.to_owned()))
    }

    #[test]
    fn an_issued_voter_is_recognised_and_has_the_contracts_shape() {
        let voters = voters("a key of thirty-two characters..");
        let voter = voters.issue();
        assert_eq!(voter.len(), 76, "{voter}");
        let (id, signature) = voter.split_once('.').expect("two parts");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(signature.len(), 43);
        assert_eq!(voters.recognise(&voter), id.parse().ok());
        assert_ne!(voters.issue(), voter, "every voter is new");
    }

    #[test]
    fn made_up_or_altered_voters_are_not_recognised() {
        let voters = voters("a key of thirty-two characters..");
        let voter = voters.issue();
        let other_key = self::voters("another key of thirty-two chars.").issue();
        let (id, signature) = voter.split_once('.').expect("two parts");
        let other_id = Uuid::new_v4().simple().to_string();
        let last = if signature.ends_with('A') { 'B' } else { 'A' };
        for forged in [
            other_key,
            format!("{other_id}.{signature}"),
            format!("{id}.{}", &signature[1..]),
            format!("{id}.{}{last}", &signature[..42]),
            Uuid::new_v4().to_string(),
            format!(
                "{}.{signature}",
                Uuid::parse_str(id).expect("an id").hyphenated()
            ),
            String::new(),
        ] {
            assert_eq!(voters.recognise(&forged), None, "{forged}");
        }
    }
}
