//! Nonce Endpoint: `POST /nonce` (OpenID4VCI 1.0 §7) and single-use c_nonce records.

use std::collections::BTreeMap;
use std::fmt;

use rand::{CryptoRng, RngCore};
use rosette_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, ErrorResponse};
use crate::secret::{CNonce, SecretHash};
use crate::unix_seconds;

/// Nonce Response, OpenID4VCI 1.0 §7.2. Send with `Cache-Control: no-store`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NonceResponse {
    /// REQUIRED. The c_nonce.
    pub c_nonce: String,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl NonceResponse {
    /// The body carrying `nonce`.
    pub fn new(nonce: &CNonce) -> Self {
        Self {
            c_nonce: nonce.expose_secret().to_owned(),
            extra: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for NonceResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceResponse")
            .field("c_nonce", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What the issuer stores per c_nonce. Index storage by `hash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NonceRecord {
    /// SHA-256 of the nonce.
    pub hash: SecretHash,
    /// When it was issued.
    #[serde(with = "unix_seconds")]
    pub issued_at: Timestamp,
    /// When it stops being accepted.
    #[serde(with = "unix_seconds")]
    pub expires_at: Timestamp,
    /// Set by [`NonceRecord::consume`]; persist with compare-and-swap `false → true`, and
    /// answer [`NonceError::AlreadyUsed`] if the swap fails.
    pub used: bool,
}

/// A fresh c_nonce valid `lifetime_seconds` from `now`, and its record to store.
pub fn issue_nonce<R: CryptoRng + RngCore>(
    rng: &mut R,
    now: Timestamp,
    lifetime_seconds: i64,
) -> (CNonce, NonceRecord) {
    let nonce = CNonce::generate(rng);
    let record = NonceRecord {
        hash: nonce.hash(),
        issued_at: now,
        expires_at: now.plus_seconds(lifetime_seconds),
        used: false,
    };
    (nonce, record)
}

/// Why a c_nonce was refused. All map to `invalid_nonce` (§8.3.1.2: the wallet refetches).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// Not issued by us (no record, or the hash differs).
    #[error("unknown c_nonce")]
    Unknown,
    /// Past its lifetime.
    #[error("c_nonce expired")]
    Expired,
    /// Already used by an earlier proof.
    #[error("c_nonce already used")]
    AlreadyUsed,
}

impl NonceError {
    /// HTTP status and body: 400 `invalid_nonce`.
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        (
            400,
            ErrorResponse::new(ErrorCode::InvalidNonce, Some(&self.to_string())),
        )
    }
}

impl NonceRecord {
    /// Checks that `presented` is this live, unused nonce, without using it up.
    pub fn check(&self, presented: &str, now: Timestamp) -> Result<(), NonceError> {
        if !self.hash.matches(presented) {
            return Err(NonceError::Unknown);
        }
        if self.used {
            return Err(NonceError::AlreadyUsed);
        }
        if now >= self.expires_at {
            return Err(NonceError::Expired);
        }
        Ok(())
    }

    /// [`NonceRecord::check`], then marks the nonce used (single use, §13.8). Persist.
    pub fn consume(&mut self, presented: &str, now: Timestamp) -> Result<(), NonceError> {
        self.check(presented, now)?;
        self.used = true;
        Ok(())
    }
}
