//! Verification-method resolution for the proof layer.
//!
//! [`VerificationMethodResolver`] maps a verification method id plus the proof purpose to a
//! [`PublicKey`], checking that the method is listed under the matching verification
//! relationship. did:key has a synchronous fast path ([`DidKeyResolver::resolve_sync`]) that
//! builds no document.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use crate::did_key::{self, DidKeyError};
use crate::did_web::{DidWebError, DidWebResolver};
use crate::{KeyError, PublicKey};

/// A boxed, `Send` future (what [`VerificationMethodResolver::resolve`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The verification relationship a proof claims (the DI `proofPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProofPurpose {
    /// `assertionMethod`: issuing credentials.
    AssertionMethod,
    /// `authentication`: presentations, holder binding.
    Authentication,
    /// `capabilityInvocation`.
    CapabilityInvocation,
    /// `capabilityDelegation`.
    CapabilityDelegation,
}

impl ProofPurpose {
    /// The DID document property naming this relationship.
    pub fn relationship(self) -> &'static str {
        match self {
            ProofPurpose::AssertionMethod => "assertionMethod",
            ProofPurpose::Authentication => "authentication",
            ProofPurpose::CapabilityInvocation => "capabilityInvocation",
            ProofPurpose::CapabilityDelegation => "capabilityDelegation",
        }
    }

    /// Parses a `proofPurpose` value.
    pub fn from_relationship(s: &str) -> Option<Self> {
        Some(match s {
            "assertionMethod" => ProofPurpose::AssertionMethod,
            "authentication" => ProofPurpose::Authentication,
            "capabilityInvocation" => ProofPurpose::CapabilityInvocation,
            "capabilityDelegation" => ProofPurpose::CapabilityDelegation,
            _ => return None,
        })
    }
}

/// A resolved verification method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMethod {
    /// The verification method id (absolute).
    pub id: String,
    /// Its controller (a DID, or a URL for the danger fragment resolver).
    pub controller: String,
    /// The key.
    pub public_key: PublicKey,
}

/// Why a verification method could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The DID method (or URL scheme) is not resolved by this resolver.
    #[error("unsupported DID method or scheme in `{0}`")]
    UnsupportedMethod(String),
    /// The did:key is malformed.
    #[error("invalid did:key: {0}")]
    DidKey(#[from] DidKeyError),
    /// did:web resolution failed.
    #[error("did:web: {0}")]
    DidWeb(#[from] DidWebError),
    /// The verification method id is not a DID URL with a fragment.
    #[error("`{0}` does not reference a verification method")]
    NotAMethodReference(String),
    /// The document has no such verification method.
    #[error("verification method `{0}` not found in the DID document")]
    NotFound(String),
    /// The method exists but is not listed under the required relationship.
    #[error("verification method `{id}` is not authorized for {relationship}")]
    NotAuthorized {
        /// The method id.
        id: String,
        /// The relationship that was required.
        relationship: &'static str,
    },
    /// The method's key could not be used.
    #[error("verification method key: {0}")]
    Key(#[from] KeyError),
    /// The DID document is malformed.
    #[error("malformed DID document: {0}")]
    InvalidDocument(&'static str),
}

/// Resolves verification method ids to keys for a given proof purpose.
pub trait VerificationMethodResolver: Send + Sync {
    /// Resolves `vm` and checks it may be used for `purpose`.
    fn resolve<'a>(
        &'a self,
        vm: &'a str,
        purpose: ProofPurpose,
    ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>>;
}

/// did:key resolution. Every did:key method is in all four relationships (did:key spec), so
/// the purpose always matches.
#[derive(Debug, Clone, Copy, Default)]
pub struct DidKeyResolver {
    allow_bare_did: bool,
}

impl DidKeyResolver {
    /// Accepts only `did:key:X#X`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accepts a bare `did:key:X` as a method reference (some 1EdTech samples do this);
    /// ssi rejects those.
    pub fn allowing_bare_did() -> Self {
        Self {
            allow_bare_did: true,
        }
    }

    /// Synchronous did:key resolution: decodes the key from the id, no document built.
    pub fn resolve_sync(
        &self,
        vm: &str,
        _purpose: ProofPurpose,
    ) -> Result<ResolvedMethod, ResolveError> {
        let public_key = did_key::parse_did_key_url(vm, self.allow_bare_did)?;
        let controller = vm.split_once('#').map_or(vm, |(d, _)| d);
        Ok(ResolvedMethod {
            id: vm.to_owned(),
            controller: controller.to_owned(),
            public_key,
        })
    }
}

impl VerificationMethodResolver for DidKeyResolver {
    fn resolve<'a>(
        &'a self,
        vm: &'a str,
        purpose: ProofPurpose,
    ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>> {
        let out = self.resolve_sync(vm, purpose);
        Box::pin(std::future::ready(out))
    }
}

/// A source of the current time, injected so the did:web cache can be tested.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Resolves did:key (synchronously) and, when configured, did:web. Other methods are refused.
pub struct DidResolver {
    did_key: DidKeyResolver,
    did_web: Option<(DidWebResolver, Clock)>,
}

impl std::fmt::Debug for DidResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DidResolver")
            .field("did_key", &self.did_key)
            .field("did_web", &self.did_web.as_ref().map(|(w, _)| w))
            .finish()
    }
}

impl DidResolver {
    /// did:key only.
    pub fn did_key_only(did_key: DidKeyResolver) -> Self {
        Self {
            did_key,
            did_web: None,
        }
    }

    /// did:key and did:web; `clock` gives `now` for the did:web cache.
    pub fn with_did_web(did_key: DidKeyResolver, did_web: DidWebResolver, clock: Clock) -> Self {
        Self {
            did_key,
            did_web: Some((did_web, clock)),
        }
    }

    async fn resolve_web(
        &self,
        vm: &str,
        purpose: ProofPurpose,
    ) -> Result<ResolvedMethod, ResolveError> {
        let (web, clock) = self
            .did_web
            .as_ref()
            .ok_or_else(|| ResolveError::UnsupportedMethod(vm.to_owned()))?;
        let (did, _) = vm
            .split_once('#')
            .ok_or_else(|| ResolveError::NotAMethodReference(vm.to_owned()))?;
        let doc = web.resolve_document(did, clock()).await?;
        method_from_document(&doc, vm, purpose)
    }
}

impl VerificationMethodResolver for DidResolver {
    fn resolve<'a>(
        &'a self,
        vm: &'a str,
        purpose: ProofPurpose,
    ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>> {
        if vm.starts_with("did:key:") {
            return Box::pin(std::future::ready(self.did_key.resolve_sync(vm, purpose)));
        }
        if vm.starts_with("did:web:") {
            return Box::pin(self.resolve_web(vm, purpose));
        }
        Box::pin(std::future::ready(Err(ResolveError::UnsupportedMethod(
            vm.to_owned(),
        ))))
    }
}

/// Finds verification method `vm` in a DID document and checks it is listed under `purpose`'s
/// relationship (by reference or embedded). Supports `publicKeyMultibase` (Multikey,
/// Ed25519VerificationKey2020), `publicKeyJwk` (JsonWebKey2020) and `publicKeyBase58`
/// (Ed25519VerificationKey2018). Relative ids (`#key-1`) are resolved against the document id.
pub fn method_from_document(
    doc: &Value,
    vm: &str,
    purpose: ProofPurpose,
) -> Result<ResolvedMethod, ResolveError> {
    let doc_id = doc
        .get("id")
        .and_then(Value::as_str)
        .ok_or(ResolveError::InvalidDocument("no id"))?;
    let (vm_did, _) = vm
        .split_once('#')
        .ok_or_else(|| ResolveError::NotAMethodReference(vm.to_owned()))?;
    if vm_did != doc_id {
        return Err(ResolveError::NotFound(vm.to_owned()));
    }
    let is_vm = |id: &str| id == vm || (id.starts_with('#') && absolute(doc_id, id) == vm);

    let relationship = purpose.relationship();
    let mut authorized = false;
    let mut embedded: Option<&Value> = None;
    if let Some(entries) = doc.get(relationship).and_then(Value::as_array) {
        for entry in entries {
            match entry {
                Value::String(id) if is_vm(id) => authorized = true,
                Value::Object(o) if o.get("id").and_then(Value::as_str).is_some_and(is_vm) => {
                    authorized = true;
                    embedded = Some(entry);
                }
                _ => {}
            }
        }
    }
    let method = match embedded {
        Some(m) => m,
        None => doc
            .get("verificationMethod")
            .and_then(Value::as_array)
            .and_then(|vms| {
                vms.iter()
                    .find(|m| m.get("id").and_then(Value::as_str).is_some_and(is_vm))
            })
            .ok_or_else(|| ResolveError::NotFound(vm.to_owned()))?,
    };
    if !authorized {
        return Err(ResolveError::NotAuthorized {
            id: vm.to_owned(),
            relationship,
        });
    }
    let controller =
        method
            .get("controller")
            .and_then(Value::as_str)
            .ok_or(ResolveError::InvalidDocument(
                "verification method without controller",
            ))?;
    let public_key = key_from_method(method)?;
    Ok(ResolvedMethod {
        id: vm.to_owned(),
        controller: controller.to_owned(),
        public_key,
    })
}

fn absolute(doc_id: &str, relative: &str) -> String {
    format!("{doc_id}{relative}")
}

fn key_from_method(method: &Value) -> Result<PublicKey, ResolveError> {
    let ty = method.get("type").and_then(Value::as_str).unwrap_or("");
    if let Some(mb) = method.get("publicKeyMultibase").and_then(Value::as_str) {
        return match ty {
            "Multikey" | "Ed25519VerificationKey2020" => Ok(did_key::decode_multibase_key(mb)?),
            _ => Err(ResolveError::InvalidDocument(
                "publicKeyMultibase on an unsupported method type",
            )),
        };
    }
    if let Some(jwk) = method.get("publicKeyJwk") {
        let jwk: ssi_jwk::JWK = serde_json::from_value(jwk.clone())
            .map_err(|_| ResolveError::InvalidDocument("publicKeyJwk is not a JWK"))?;
        return Ok(PublicKey::from_jwk(&jwk)?);
    }
    if let Some(b58) = method.get("publicKeyBase58").and_then(Value::as_str)
        && ty == "Ed25519VerificationKey2018"
    {
        let mut buf = [0u8; 32];
        let len = bs58::decode(b58)
            .onto(&mut buf[..])
            .map_err(|_| ResolveError::InvalidDocument("publicKeyBase58 is not a key"))?;
        if len != 32 {
            return Err(ResolveError::InvalidDocument(
                "publicKeyBase58 is not a key",
            ));
        }
        return Ok(PublicKey::from_bytes(crate::KeyType::Ed25519, &buf)?);
    }
    Err(ResolveError::InvalidDocument(
        "verification method has no supported key",
    ))
}

/// **Danger:** trusts the key written in the fragment of an `http(s)://…#z6Mk…` method id,
/// without fetching or checking anything at the URL. Only for verifying the 1EdTech sample
/// credentials in tests; never use it as a default.
#[derive(Debug, Clone, Copy)]
pub struct DangerFragmentKeyResolver {
    _private: (),
}

/// Returns the [`DangerFragmentKeyResolver`]. Tests only.
pub fn danger_fragment_key_resolver() -> DangerFragmentKeyResolver {
    DangerFragmentKeyResolver { _private: () }
}

impl DangerFragmentKeyResolver {
    /// Decodes the key in the fragment of `vm`.
    pub fn resolve_sync(&self, vm: &str) -> Result<ResolvedMethod, ResolveError> {
        if !(vm.starts_with("https://") || vm.starts_with("http://")) {
            return Err(ResolveError::UnsupportedMethod(vm.to_owned()));
        }
        let (controller, fragment) = vm
            .split_once('#')
            .ok_or_else(|| ResolveError::NotAMethodReference(vm.to_owned()))?;
        let public_key = did_key::decode_multibase_key(fragment)?;
        Ok(ResolvedMethod {
            id: vm.to_owned(),
            controller: controller.to_owned(),
            public_key,
        })
    }
}

impl VerificationMethodResolver for DangerFragmentKeyResolver {
    fn resolve<'a>(
        &'a self,
        vm: &'a str,
        _purpose: ProofPurpose,
    ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>> {
        Box::pin(std::future::ready(self.resolve_sync(vm)))
    }
}
