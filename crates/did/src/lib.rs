//! rosette-did: signing keys, did:key, did:web, JWK and compact JWS.
//!
//! - [`key`]: [`SigningKey`] / [`PublicKey`] for Ed25519 and P-256 with JWK import/export.
//!   Raw sign/verify go straight to `ed25519-dalek` / `p256` for speed.
//! - [`did_key`]: did:key encoding, decoding and DID documents.
//! - [`did_web`]: did:web ↔ URL mapping, documents, and HTTPS resolution with a TTL cache.
//! - [`resolve`]: the [`VerificationMethodResolver`] used by the proof layer.
//! - [`jws`]: RFC 7515 compact JWS sign/decode/verify.
//!
//! `ssi-jwk` supplies the JWK interchange type; [`Did`] and [`DidUrl`] are checked against the
//! DID Core 1.0 syntax by our own scanner (private `syntax` module).

#![warn(missing_docs)]

pub mod did_key;
pub mod did_web;
pub mod jws;
pub mod key;
pub mod resolve;
mod syntax;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use did_key::{did_key, verification_method_id};
pub use key::{KeyError, KeyType, PrivateJwk, PublicKey, Signature, SignatureError, SigningKey};
pub use resolve::{
    DidResolver, ProofPurpose, ResolveError, ResolvedMethod, VerificationMethodResolver,
};
/// `ssi-jwk`'s JWK, our JWK interchange type.
pub use ssi_jwk::JWK;

/// A DID string was not syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} at byte {position}")]
pub struct InvalidDid {
    /// `DID` or `DID URL`.
    pub kind: &'static str,
    /// Byte offset of the first invalid character.
    pub position: usize,
}

/// A DID (`did:method:id`), validated against the DID-core syntax.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did(String);

impl Did {
    /// Parses and validates a DID (no path, query or fragment).
    pub fn parse(s: &str) -> Result<Self, InvalidDid> {
        syntax::did(s)
            .map(|()| Did(s.to_owned()))
            .map_err(|position| InvalidDid {
                kind: "DID",
                position,
            })
    }

    /// For strings this crate built from validated parts.
    pub(crate) fn new_unchecked(s: String) -> Self {
        Did(s)
    }

    /// The DID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The method name (`key`, `web`, …).
    pub fn method(&self) -> &str {
        self.0
            .strip_prefix("did:")
            .and_then(|r| r.split(':').next())
            .unwrap_or_default()
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.0)
    }
}

/// A DID URL (`did:method:id[/path][?query][#fragment]`), validated.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidUrl(String);

impl DidUrl {
    /// Parses and validates a DID URL.
    pub fn parse(s: &str) -> Result<Self, InvalidDid> {
        syntax::did_url(s)
            .map(|()| DidUrl(s.to_owned()))
            .map_err(|position| InvalidDid {
                kind: "DID URL",
                position,
            })
    }

    pub(crate) fn new_unchecked(s: String) -> Self {
        DidUrl(s)
    }

    /// The DID URL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The DID part (before any path, query or fragment).
    pub fn did(&self) -> Did {
        let end = self.0.find(['/', '?', '#']).unwrap_or(self.0.len());
        Did(self.0.get(..end).unwrap_or_default().to_owned())
    }

    /// The fragment, without `#`.
    pub fn fragment(&self) -> Option<&str> {
        self.0.split_once('#').map(|(_, f)| f)
    }
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidUrl({})", self.0)
    }
}

impl std::str::FromStr for Did {
    type Err = InvalidDid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Did {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Did {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for DidUrl {
    type Err = InvalidDid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for DidUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DidUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
