//! Recipient identities: building and matching `IdentityObject`s (OB 3.0 §9.3).

use crate::model::{Extra, IdentityObject};
use crate::vocab::IdentityType;
use sha2::{Digest, Sha256};

/// Why an identity could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityMatchError {
    /// `identityHash` is not `<algorithm>$<hex>`.
    #[error("identityHash is not of the form algorithm$hex: {0:?}")]
    MalformedHash(String),
    /// The hash algorithm is not supported (only `sha256` is; `md5` is legacy).
    #[error("unsupported identityHash algorithm {0:?} (only sha256 is supported)")]
    UnsupportedAlgorithm(String),
}

/// `sha256$` + lowercase hex of SHA-256(UTF-8(identity ‖ salt)), the OB 2.0/3.0 IdentityHash.
pub fn identity_hash_sha256(identity: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(identity.as_bytes());
    h.update(salt.as_bytes());
    format!("sha256${}", hex::encode(h.finalize()))
}

impl IdentityObject {
    /// A hashed e-mail identity: `identityHash` = `sha256$hex(SHA-256(email ‖ salt))`.
    ///
    /// The e-mail is hashed exactly as given (no case folding), as OB 2.0 did.
    pub fn hashed_email(email: &str, salt: &str) -> Self {
        Self::hashed(IdentityType::EmailAddress, email, salt)
    }

    /// A hashed identity of any type.
    pub fn hashed(identity_type: IdentityType, identity: &str, salt: &str) -> Self {
        Self {
            kind: "IdentityObject".into(),
            hashed: true,
            identity_hash: identity_hash_sha256(identity, salt),
            identity_type,
            salt: Some(salt.to_owned()),
            extra: Extra::new(),
        }
    }

    /// A plaintext identity (`hashed: false`).
    pub fn plaintext(identity_type: IdentityType, identity: &str) -> Self {
        Self {
            kind: "IdentityObject".into(),
            hashed: false,
            identity_hash: identity.to_owned(),
            identity_type,
            salt: None,
            extra: Extra::new(),
        }
    }

    /// Whether `known` (of type `identity_type`) is the identity this object describes
    /// (OB 3.0 §9.3): hash `known ‖ salt` when hashed, else compare the plaintext.
    pub fn matches(
        &self,
        identity_type: &IdentityType,
        known: &str,
    ) -> Result<bool, IdentityMatchError> {
        if &self.identity_type != identity_type {
            return Ok(false);
        }
        if !self.hashed {
            return Ok(self.identity_hash == known);
        }
        let (alg, digest) = self
            .identity_hash
            .split_once('$')
            .ok_or_else(|| IdentityMatchError::MalformedHash(self.identity_hash.clone()))?;
        if !alg.eq_ignore_ascii_case("sha256") {
            return Err(IdentityMatchError::UnsupportedAlgorithm(alg.to_owned()));
        }
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IdentityMatchError::MalformedHash(
                self.identity_hash.clone(),
            ));
        }
        let expected = identity_hash_sha256(known, self.salt.as_deref().unwrap_or(""));
        // Hex case is not significant.
        Ok(expected
            .get("sha256$".len()..)
            .is_some_and(|hex| hex.eq_ignore_ascii_case(digest)))
    }
}
