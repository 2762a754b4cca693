//! Secrets Vigil hands out: API tokens, alert source tokens, webhook signing secrets, the
//! setup token, temporary passwords. Each is 32 random bytes; the ones that prove who
//! calls carry a recognisable prefix (a leaked one is easy to grep for) and are stored
//! only as a hash, with the last four characters kept as a hint for lists.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, hex-encoded.
pub fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of `value`, hex-encoded: what is stored of a token (a random token needs
/// no slow hash: it cannot be guessed from a dictionary).
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Whether two secrets are equal, in a time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A new token, shown once: the token, what to store, and its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub token: String,
    pub hash: String,
    /// The last four characters, which lists show to tell tokens apart.
    pub hint: String,
}

/// Issues a token that starts with `prefix`.
pub fn issue(prefix: &str) -> Issued {
    let token = format!("{prefix}{}", random());
    Issued {
        hash: hash(&token),
        hint: token[token.len() - 4..].to_owned(),
        token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_is_prefixed_and_stored_only_as_its_hash() {
        let issued = issue("vigil_test_");
        assert!(issued.token.starts_with("vigil_test_"));
        assert_eq!(issued.token.len(), "vigil_test_".len() + 64);
        assert_eq!(issued.hash, hash(&issued.token));
        assert_ne!(issued.hash, issued.token);
        assert!(issued.token.ends_with(&issued.hint) && issued.hint.len() == 4);
        assert_ne!(issue("vigil_test_").token, issued.token);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
