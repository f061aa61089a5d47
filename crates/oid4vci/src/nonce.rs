//! Nonce Endpoint: `POST /nonce` (OpenID4VCI 1.0 §7) and single-use c_nonces: stored records
//! ([`issue_nonce`], [`NonceRecord`]) or stateless sealed nonces ([`issue_sealed_nonce`],
//! [`open_sealed_nonce`]) whose use alone is recorded.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use rosette_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

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

/// The key that seals stateless c_nonces (see [`issue_sealed_nonce`]). Zeroized on drop;
/// `Debug` is redacted.
pub struct NonceSealKey([u8; 32]);

impl NonceSealKey {
    /// A key from 32 secret bytes (derive it from a server secret; keep it across restarts,
    /// or nonces handed out before a restart become unknown).
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn tag(&self, scope: &str, body: &[u8]) -> [u8; SEAL_TAG_LEN] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        mac.update(SEAL_LABEL);
        mac.update(&(scope.len() as u64).to_be_bytes());
        mac.update(scope.as_bytes());
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; SEAL_TAG_LEN];
        for (t, f) in tag.iter_mut().zip(full.iter()) {
            *t = *f;
        }
        tag
    }
}

impl Drop for NonceSealKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for NonceSealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceSealKey(<redacted>)")
    }
}

/// Domain separation of the seal's MAC.
const SEAL_LABEL: &[u8] = b"rosette-oid4vci sealed c_nonce v1\0";
/// Format byte of a sealed nonce.
const SEAL_VERSION: u8 = 1;
/// Random bytes per sealed nonce (128 bits: unguessable, never repeats in practice).
const SEAL_RANDOM_LEN: usize = 16;
/// HMAC-SHA256 truncated to 128 bits.
const SEAL_TAG_LEN: usize = 16;
/// version ‖ expiry (i64 BE) ‖ random ‖ tag.
const SEAL_LEN: usize = 1 + 8 + SEAL_RANDOM_LEN + SEAL_TAG_LEN;
/// Longest text [`open_sealed_nonce`] decodes (a sealed nonce is 55 characters).
const SEAL_MAX_TEXT: usize = 64;

/// A sealed c_nonce that opened: authentic, for `scope`, not expired. Its single use is the
/// caller's to enforce: record [`SealedNonce::id`] in the same atomic write that issues the
/// credential, on condition that it is not recorded yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedNonce {
    /// SHA-256 of the nonce: the key of its "used" record.
    pub id: SecretHash,
    /// When it stops being accepted (keep the "used" record at least until then).
    pub expires_at: Timestamp,
}

/// A fresh stateless c_nonce for `scope` (e.g. the credential issuer), valid
/// `lifetime_seconds` from `now`: random bits, the expiry and an HMAC tag under `key`, so
/// issuing it writes nothing. Check it with [`open_sealed_nonce`].
pub fn issue_sealed_nonce<R: CryptoRng + RngCore>(
    key: &NonceSealKey,
    scope: &str,
    rng: &mut R,
    now: Timestamp,
    lifetime_seconds: i64,
) -> CNonce {
    let mut raw = [0u8; SEAL_LEN];
    let expires = now.plus_seconds(lifetime_seconds).unix();
    let (body, tag) = raw.split_at_mut(1 + 8 + SEAL_RANDOM_LEN);
    let (head, random) = body.split_at_mut(1 + 8);
    let (version, expiry) = head.split_at_mut(1);
    version.copy_from_slice(&[SEAL_VERSION]);
    expiry.copy_from_slice(&expires.to_be_bytes());
    rng.fill_bytes(random);
    tag.copy_from_slice(&key.tag(scope, body));
    CNonce::from_presented(URL_SAFE_NO_PAD.encode(raw))
}

/// Opens a nonce made by [`issue_sealed_nonce`] with the same `key` and `scope`.
///
/// [`NonceError::Unknown`] unless it is one of ours for this scope (tag checked in constant
/// time), [`NonceError::Expired`] from its expiry on. Says nothing about earlier use.
pub fn open_sealed_nonce(
    key: &NonceSealKey,
    scope: &str,
    presented: &str,
    now: Timestamp,
) -> Result<SealedNonce, NonceError> {
    if presented.len() > SEAL_MAX_TEXT {
        return Err(NonceError::Unknown);
    }
    let raw = URL_SAFE_NO_PAD
        .decode(presented)
        .map_err(|_| NonceError::Unknown)?;
    let raw: [u8; SEAL_LEN] = raw.try_into().map_err(|_| NonceError::Unknown)?;
    let (body, tag) = raw.split_at(1 + 8 + SEAL_RANDOM_LEN);
    let authentic: bool = key.tag(scope, body).ct_eq(tag).into();
    if !authentic || body.first() != Some(&SEAL_VERSION) {
        return Err(NonceError::Unknown);
    }
    let expiry: [u8; 8] = body
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .ok_or(NonceError::Unknown)?;
    let expires_at = Timestamp::from_unix(i64::from_be_bytes(expiry)).ok_or(NonceError::Unknown)?;
    if now >= expires_at {
        return Err(NonceError::Expired);
    }
    Ok(SealedNonce {
        id: SecretHash::of(presented),
        expires_at,
    })
}
