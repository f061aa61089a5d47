//! did:key for Ed25519 (`z6Mk…`, multicodec 0xed) and P-256 (`zDn…`, 0x1200, compressed point).
//!
//! Spec: <https://w3c-ccg.github.io/did-key-spec/>. Decoding works on a fixed stack buffer so
//! the verification hot path does not build a DID document.

use serde_json::{Value, json};

use crate::key::{ED25519_PUB_PREFIX, KeyType, P256_PUB_PREFIX, PublicKey};
use crate::{Did, DidUrl};

/// The longest multibase key we accept: a P-256 key is 49 characters, so this bounds work
/// on hostile input.
const MAX_MULTIBASE_LEN: usize = 128;

/// Why a did:key or multibase key could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidKeyError {
    /// Not of the form `did:key:<multibase>`.
    #[error("not a did:key")]
    NotDidKey,
    /// The multibase value does not use base58btc (`z` prefix).
    #[error("multibase value must be base58btc (`z…`)")]
    NotBase58Btc,
    /// The value is longer than any supported key.
    #[error("multibase value is too long")]
    TooLong,
    /// The base58 text is malformed.
    #[error("invalid base58btc")]
    InvalidBase58,
    /// The multicodec prefix is not Ed25519 or P-256.
    #[error("unsupported multicodec key type")]
    UnsupportedCodec,
    /// The key bytes are malformed.
    #[error("invalid key bytes")]
    InvalidKey,
    /// The DID URL's fragment is not the did:key's own key id.
    #[error("fragment does not name the did:key's key")]
    FragmentMismatch,
    /// The DID URL has a path or query, which did:key does not define.
    #[error("did:key URLs may not have a path or query")]
    UnexpectedPathOrQuery,
}

/// Decodes a multibase (`z…`) multicodec public key.
pub fn decode_multibase_key(value: &str) -> Result<PublicKey, DidKeyError> {
    let b58 = value.strip_prefix('z').ok_or(DidKeyError::NotBase58Btc)?;
    if b58.len() > MAX_MULTIBASE_LEN {
        return Err(DidKeyError::TooLong);
    }
    let mut buf = [0u8; 96];
    let len = bs58::decode(b58)
        .onto(&mut buf[..])
        .map_err(|_| DidKeyError::InvalidBase58)?;
    let bytes = buf.get(..len).ok_or(DidKeyError::InvalidBase58)?;
    if let Some(key) = bytes.strip_prefix(&ED25519_PUB_PREFIX) {
        PublicKey::from_bytes(KeyType::Ed25519, key).map_err(|_| DidKeyError::InvalidKey)
    } else if let Some(key) = bytes.strip_prefix(&P256_PUB_PREFIX) {
        // The did:key spec uses the 33-byte compressed point only.
        if key.len() != 33 {
            return Err(DidKeyError::InvalidKey);
        }
        PublicKey::from_bytes(KeyType::P256, key).map_err(|_| DidKeyError::InvalidKey)
    } else {
        Err(DidKeyError::UnsupportedCodec)
    }
}

/// The did:key DID of a public key.
pub fn did_key(key: &PublicKey) -> Did {
    Did::new_unchecked(format!("did:key:{}", key.to_multibase()))
}

/// The did:key verification method id, `did:key:X#X`.
pub fn verification_method_id(key: &PublicKey) -> DidUrl {
    let mb = key.to_multibase();
    DidUrl::new_unchecked(format!("did:key:{mb}#{mb}"))
}

/// Parses a did:key DID (`did:key:X`) to its key.
pub fn parse_did_key(did: &str) -> Result<PublicKey, DidKeyError> {
    let id = did.strip_prefix("did:key:").ok_or(DidKeyError::NotDidKey)?;
    if id.contains(['#', '?', '/']) {
        return Err(DidKeyError::UnexpectedPathOrQuery);
    }
    decode_multibase_key(id)
}

/// Parses a did:key verification method URL `did:key:X#X` to its key. A bare DID (no
/// fragment) is accepted only when `allow_bare_did` is set, since it names a DID, not a key.
pub fn parse_did_key_url(url: &str, allow_bare_did: bool) -> Result<PublicKey, DidKeyError> {
    let rest = url.strip_prefix("did:key:").ok_or(DidKeyError::NotDidKey)?;
    let (id, fragment) = match rest.split_once('#') {
        Some((id, frag)) => (id, Some(frag)),
        None => (rest, None),
    };
    if id.contains(['?', '/']) {
        return Err(DidKeyError::UnexpectedPathOrQuery);
    }
    match fragment {
        Some(f) if f == id => {}
        Some(_) => return Err(DidKeyError::FragmentMismatch),
        None if allow_bare_did => {}
        None => return Err(DidKeyError::FragmentMismatch),
    }
    decode_multibase_key(id)
}

/// The DID document of a did:key: one Multikey verification method, referenced from
/// `authentication`, `assertionMethod`, `capabilityInvocation` and `capabilityDelegation`.
pub fn did_key_document(key: &PublicKey) -> Value {
    let did = did_key(key);
    let vm = verification_method_id(key);
    json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1"
        ],
        "id": did.as_str(),
        "verificationMethod": [{
            "id": vm.as_str(),
            "type": "Multikey",
            "controller": did.as_str(),
            "publicKeyMultibase": key.to_multibase()
        }],
        "authentication": [vm.as_str()],
        "assertionMethod": [vm.as_str()],
        "capabilityInvocation": [vm.as_str()],
        "capabilityDelegation": [vm.as_str()]
    })
}
