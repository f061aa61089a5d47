//! Client Identifiers and their prefixes (OpenID4VP 1.0 §5.9).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use rosette_core::open_enum;

open_enum! {
    /// A Client Identifier Prefix (OpenID4VP 1.0 §5.9.3): the text before the first `:` of a
    /// `client_id`. A `client_id` without `:` is [`ClientIdPrefix::PreRegistered`] (§5.9.2).
    pub enum ClientIdPrefix {
        /// §5.9.3 `redirect_uri`: the id is the redirect / response URI; requests are unsigned.
        RedirectUri => "redirect_uri",
        /// §5.9.3 `decentralized_identifier`: the id is a DID; requests are signed with one of
        /// its keys (`kid` a DID URL).
        DecentralizedIdentifier => "decentralized_identifier",
        /// §5.9.3 `x509_san_dns`: a DNS name from the leaf certificate of `x5c`.
        X509SanDns => "x509_san_dns",
        /// §5.9.3 `x509_hash`: base64url SHA-256 of the leaf certificate.
        X509Hash => "x509_hash",
        /// §5.9.3 `verifier_attestation`: a Verifier Attestation JWT in the JOSE header.
        VerifierAttestation => "verifier_attestation",
        /// §5.9.3 `openid_federation`: an OpenID Federation entity id.
        OpenidFederation => "openid_federation",
        /// §5.9.3 / Appendix A.2 `origin`: reserved for the Digital Credentials API; a wallet
        /// refuses it in ordinary requests.
        Origin => "origin",
        /// §5.9.2: no prefix; the verifier is known to the wallet in advance.
        PreRegistered => "pre-registered",
    }
}

/// A `client_id` (OpenID4VP 1.0 §5.2, §5.9), kept whole: the prefix is part of the identifier
/// and of every comparison (a VP-JWT `aud` must equal it byte for byte, §14.1).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps a `client_id` as received or configured. Never fails: an unknown prefix is kept.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// `decentralized_identifier:<did>`.
    pub fn decentralized_identifier(did: &str) -> Self {
        Self(format!("decentralized_identifier:{did}"))
    }

    /// `redirect_uri:<uri>`.
    pub fn redirect_uri(uri: &str) -> Self {
        Self(format!("redirect_uri:{uri}"))
    }

    /// The whole identifier, prefix included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The prefix (§5.9.3); [`ClientIdPrefix::PreRegistered`] when there is no `:`.
    pub fn prefix(&self) -> ClientIdPrefix {
        match self.0.split_once(':') {
            // "pre-registered" is our name for "no prefix", never a wire prefix.
            Some(("pre-registered", _)) => ClientIdPrefix::Other("pre-registered".to_owned()),
            Some((prefix, _)) => ClientIdPrefix::from(prefix),
            None => ClientIdPrefix::PreRegistered,
        }
    }

    /// The identifier after the prefix (the DID, the URI, …); the whole value when pre-registered.
    pub fn identifier(&self) -> &str {
        match self.0.split_once(':') {
            Some((_, rest)) => rest,
            None => &self.0,
        }
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.0)
    }
}

impl Serialize for ClientId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClientId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_text_before_first_colon() {
        let c = ClientId::new("decentralized_identifier:did:web:example.org");
        assert_eq!(c.prefix(), ClientIdPrefix::DecentralizedIdentifier);
        assert_eq!(c.identifier(), "did:web:example.org");
        let r = ClientId::redirect_uri("https://v.example/cb");
        assert_eq!(r.prefix(), ClientIdPrefix::RedirectUri);
        assert_eq!(r.identifier(), "https://v.example/cb");
    }

    #[test]
    fn no_prefix_is_pre_registered_and_unknown_prefixes_are_kept() {
        assert_eq!(
            ClientId::new("verifier-1").prefix(),
            ClientIdPrefix::PreRegistered
        );
        assert_eq!(
            ClientId::new("web-origin:x").prefix(),
            ClientIdPrefix::Other("web-origin".into())
        );
        assert_eq!(
            ClientId::new("pre-registered:x").prefix(),
            ClientIdPrefix::Other("pre-registered".into())
        );
    }
}
