//! Data Integrity proofs (VC Data Integrity 1.0, <https://www.w3.org/TR/vc-data-integrity/>)
//! with the EdDSA cryptosuites (<https://www.w3.org/TR/vc-di-eddsa/>):
//! `eddsa-rdfc-2022` (current), `eddsa-2022` (its pre-standard name, same algorithm) and the
//! legacy `Ed25519Signature2020` proof type, which hashes the same way.
//!
//! The three share one transform (§3.3 of VC DI EdDSA): canonicalize the document without its
//! proof and the proof configuration (the proof minus `proofValue`, with the document's
//! `@context`), hash each with SHA-256, sign `proofHash || documentHash` with Ed25519.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canon::{CanonicalizeError, Canonicalizer};

/// The value of `proof.type` for Data Integrity proofs.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// A proof suite we can check, from `proof.type` and `proof.cryptosuite`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Suite {
    /// `DataIntegrityProof` + `eddsa-rdfc-2022`: what Rosette issues.
    EddsaRdfc2022,
    /// `DataIntegrityProof` + `eddsa-2022`: the draft name of the same suite (legacy badges).
    Eddsa2022,
    /// `Ed25519Signature2020`: the legacy Linked Data proof type (legacy badges).
    Ed25519Signature2020,
    /// Anything else, kept as `type` / `cryptosuite` for the error message.
    Other {
        /// `proof.type`.
        proof_type: String,
        /// `proof.cryptosuite`, when present.
        cryptosuite: Option<String>,
    },
}

impl Suite {
    /// Reads the suite of a proof object.
    pub fn of(proof: &Map<String, Value>) -> Self {
        let proof_type = proof
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let cryptosuite = proof.get("cryptosuite").and_then(Value::as_str);
        match (proof_type, cryptosuite) {
            (DATA_INTEGRITY_PROOF, Some("eddsa-rdfc-2022")) => Self::EddsaRdfc2022,
            (DATA_INTEGRITY_PROOF, Some("eddsa-2022")) => Self::Eddsa2022,
            ("Ed25519Signature2020", _) => Self::Ed25519Signature2020,
            _ => Self::Other {
                proof_type: proof_type.to_owned(),
                cryptosuite: cryptosuite.map(str::to_owned),
            },
        }
    }

    /// A short human name: `eddsa-rdfc-2022`, `Ed25519Signature2020`, …
    pub fn name(&self) -> String {
        match self {
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022".into(),
            Self::Eddsa2022 => "eddsa-2022".into(),
            Self::Ed25519Signature2020 => "Ed25519Signature2020".into(),
            Self::Other {
                proof_type,
                cryptosuite: Some(c),
            } => format!("{proof_type}/{c}"),
            Self::Other {
                proof_type,
                cryptosuite: None,
            } => proof_type.clone(),
        }
    }
}

/// What a proof is for (VC DI §2.2 `proofPurpose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofPurpose {
    /// Issuing a credential.
    AssertionMethod,
    /// Authenticating a holder (presentations).
    Authentication,
}

impl ProofPurpose {
    /// The exact spec string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AssertionMethod => "assertionMethod",
            Self::Authentication => "authentication",
        }
    }
}

/// The options of a new `eddsa-rdfc-2022` proof.
#[derive(Clone, Debug)]
pub struct ProofOptions {
    /// The verification method (a DID URL such as `did:key:z6Mk…#z6Mk…`).
    pub verification_method: String,
    /// The proof purpose.
    pub purpose: ProofPurpose,
    /// `created`, an XML Schema dateTime (`2026-11-26T12:00:00Z`).
    pub created: String,
    /// `challenge` (presentations: the verifier's nonce).
    pub challenge: Option<String>,
    /// `domain` (presentations: the verifier's identifier).
    pub domain: Option<String>,
}

/// Why a proof could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The document is not a JSON object.
    #[error("the document to sign must be a JSON object")]
    NotAnObject,
    /// The document already has a proof; Rosette does not add proof sets or chains.
    #[error("the document already has a proof")]
    AlreadySigned,
    /// The document has no `@context`.
    #[error("the document has no @context")]
    NoContext,
    /// The signing key cannot make this suite's signatures.
    #[error("eddsa-rdfc-2022 needs an Ed25519 key")]
    WrongKeyType,
    /// Canonicalization failed (an undefined term, an unknown context, …).
    #[error(transparent)]
    Canonicalize(#[from] CanonicalizeError),
}

/// Why a proof does not verify. (`Unsupported` means "could not check", the others "invalid".)
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// There is no `proof`.
    #[error("the document has no proof")]
    Missing,
    /// The proof object is malformed (a required member missing or of the wrong type).
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The suite is not one we verify.
    #[error("unsupported proof suite {0}")]
    Unsupported(String),
    /// The proof was made for another purpose.
    #[error("proof purpose is {found}, expected {expected}")]
    WrongPurpose {
        /// What the proof says.
        found: String,
        /// What the caller needs.
        expected: &'static str,
    },
    /// `proofValue` is not a base58btc multibase Ed25519 signature.
    #[error("proofValue is not a base58btc-encoded 64-byte signature")]
    BadProofValue,
    /// Canonicalization failed.
    #[error(transparent)]
    Canonicalize(#[from] CanonicalizeError),
    /// The signature does not match: the document or the proof was altered, or another key signed.
    #[error("signature does not match the document")]
    BadSignature,
}

/// The bytes an EdDSA Data Integrity signature covers, with their canonical forms (for vectors).
#[derive(Clone, Debug)]
pub struct HashData {
    /// Canonical N-Quads of the proof configuration.
    pub canonical_proof_config: String,
    /// Canonical N-Quads of the document without its proof.
    pub canonical_document: String,
    /// `SHA-256(proof config) || SHA-256(document)`.
    pub bytes: [u8; 64],
}

/// Computes the data to sign for `document` (without `proof`) and `proof_config` (without
/// `proofValue`; its `@context` is replaced by the document's, VC DI EdDSA §3.3.5).
pub fn hash_data(
    canon: &Canonicalizer,
    document: &Map<String, Value>,
    proof_config: &Map<String, Value>,
) -> Result<HashData, CanonicalizeError> {
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    hash_unsecured(canon, &Value::Object(unsecured), proof_config)
}

/// [`hash_data`] for a document known to carry no proof (no copy is made).
fn hash_unsecured(
    canon: &Canonicalizer,
    unsecured: &Value,
    proof_config: &Map<String, Value>,
) -> Result<HashData, CanonicalizeError> {
    let canonical_proof_config =
        canonical_proof_config(canon, unsecured.get("@context"), proof_config)?;
    let canonical_document = canon.canonicalize(unsecured)?;
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&Sha256::digest(canonical_proof_config.as_bytes()));
    bytes[32..].copy_from_slice(&Sha256::digest(canonical_document.as_bytes()));
    Ok(HashData {
        canonical_proof_config,
        canonical_document,
        bytes,
    })
}

/// The canonical proof configuration: the proof without `proofValue`, with the document's
/// `@context` (VC DI EdDSA §3.3.5).
fn canonical_proof_config(
    canon: &Canonicalizer,
    context: Option<&Value>,
    proof_config: &Map<String, Value>,
) -> Result<String, CanonicalizeError> {
    let mut with_context = Map::with_capacity(proof_config.len() + 1);
    if let Some(context) = context {
        with_context.insert("@context".to_owned(), context.clone());
    }
    for (name, value) in proof_config {
        if name != "proofValue" && name != "@context" {
            with_context.insert(name.clone(), value.clone());
        }
    }
    canon.canonicalize_proof_config(&Value::Object(with_context))
}

/// A secured document split into the unsecured document and its proofs. The document is
/// canonicalized at most once, however many proofs are checked against it.
#[derive(Debug)]
pub struct SecuredDocument {
    unsecured: Value,
    proof: Option<Value>,
    document_hash: std::sync::OnceLock<Result<[u8; 32], CanonicalizeError>>,
}

impl SecuredDocument {
    /// Takes a secured document apart; `None` when it is not a JSON object.
    pub fn split(document: Value) -> Option<Self> {
        let Value::Object(mut object) = document else {
            return None;
        };
        let proof = object.remove("proof");
        Some(Self {
            unsecured: Value::Object(object),
            proof,
            document_hash: std::sync::OnceLock::new(),
        })
    }

    /// The document without its proofs.
    pub fn unsecured(&self) -> &Map<String, Value> {
        // `split` only builds objects.
        match &self.unsecured {
            Value::Object(object) => object,
            _ => unreachable_object(),
        }
    }

    /// The document without its proofs, as a JSON value.
    pub fn unsecured_value(&self) -> &Value {
        &self.unsecured
    }

    /// The proofs: `proof` as one object or an array of them.
    pub fn proofs(&self) -> Result<Vec<&Map<String, Value>>, ProofError> {
        proofs_of(self.proof.as_ref())
    }

    /// Verifies one parsed proof with `verify` (an Ed25519 verifier of the verification
    /// method's key over the 64-byte hash data).
    pub fn verify_proof(
        &self,
        canon: &Canonicalizer,
        proof: &ParsedProof<'_>,
        expected_purpose: ProofPurpose,
        verify: impl FnOnce(&[u8], &[u8; 64]) -> bool,
    ) -> Result<(), ProofError> {
        if proof.purpose != expected_purpose.as_str() {
            return Err(ProofError::WrongPurpose {
                found: proof.purpose.to_owned(),
                expected: expected_purpose.as_str(),
            });
        }
        let document_hash = self
            .document_hash
            .get_or_init(|| {
                canon
                    .canonicalize(&self.unsecured)
                    .map(|c| Sha256::digest(c.as_bytes()).into())
            })
            .as_ref()
            .map_err(|e| ProofError::Canonicalize(e.clone()))?;
        let config = canonical_proof_config(canon, self.unsecured.get("@context"), proof.object)?;
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&Sha256::digest(config.as_bytes()));
        bytes[32..].copy_from_slice(document_hash);
        if verify(&bytes, &proof.signature) {
            Ok(())
        } else {
            Err(ProofError::BadSignature)
        }
    }
}

#[cold]
fn unreachable_object() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// The proof object (without `proofValue`) for `options`, in the member order we emit.
pub fn proof_config(options: &ProofOptions) -> Map<String, Value> {
    let mut proof = Map::new();
    proof.insert("type".into(), DATA_INTEGRITY_PROOF.into());
    proof.insert("cryptosuite".into(), "eddsa-rdfc-2022".into());
    proof.insert("created".into(), options.created.clone().into());
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.clone().into(),
    );
    proof.insert("proofPurpose".into(), options.purpose.as_str().into());
    if let Some(challenge) = &options.challenge {
        proof.insert("challenge".into(), challenge.clone().into());
    }
    if let Some(domain) = &options.domain {
        proof.insert("domain".into(), domain.clone().into());
    }
    proof
}

/// Adds an `eddsa-rdfc-2022` proof to `document`, signing with `sign` (an Ed25519 signer over
/// the 64-byte hash data). The proof is emitted as a one-element array, which every 1EdTech
/// schema variant accepts (the strict one rejects a bare object).
pub fn sign_with(
    canon: &Canonicalizer,
    document: Value,
    options: &ProofOptions,
    sign: impl FnOnce(&[u8]) -> [u8; 64],
) -> Result<Value, SignError> {
    let Value::Object(object) = &document else {
        return Err(SignError::NotAnObject);
    };
    if object.contains_key("proof") {
        return Err(SignError::AlreadySigned);
    }
    if !object.contains_key("@context") {
        return Err(SignError::NoContext);
    }
    let mut proof = proof_config(options);
    let data = hash_unsecured(canon, &document, &proof)?;
    let signature = sign(&data.bytes);
    proof.insert("proofValue".into(), multibase_base58btc(&signature).into());
    let Value::Object(mut signed) = document else {
        return Err(SignError::NotAnObject);
    };
    signed.insert("proof".into(), Value::Array(vec![Value::Object(proof)]));
    Ok(Value::Object(signed))
}

/// The proofs of a document: `proof` as one object or an array of them.
pub fn proofs(document: &Map<String, Value>) -> Result<Vec<&Map<String, Value>>, ProofError> {
    proofs_of(document.get("proof"))
}

fn proofs_of(proof: Option<&Value>) -> Result<Vec<&Map<String, Value>>, ProofError> {
    match proof {
        None => Err(ProofError::Missing),
        Some(Value::Object(p)) => Ok(vec![p]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|p| {
                p.as_object()
                    .ok_or_else(|| ProofError::Malformed("proof is not an object".into()))
            })
            .collect(),
        Some(_) => Err(ProofError::Malformed(
            "proof must be an object or a non-empty array".into(),
        )),
    }
}

/// The parts of a proof a verifier needs before it can check the signature.
#[derive(Clone, Debug)]
pub struct ParsedProof<'a> {
    /// The suite.
    pub suite: Suite,
    /// `verificationMethod`.
    pub verification_method: &'a str,
    /// `proofPurpose`.
    pub purpose: &'a str,
    /// `created`, when present.
    pub created: Option<&'a str>,
    /// `challenge`, when present.
    pub challenge: Option<&'a str>,
    /// `domain` (a string, or the first of an array).
    pub domain: Option<&'a str>,
    /// The decoded signature.
    pub signature: [u8; 64],
    /// The proof object itself.
    pub object: &'a Map<String, Value>,
}

/// Checks the shape of one proof and decodes its signature.
pub fn parse_proof(proof: &Map<String, Value>) -> Result<ParsedProof<'_>, ProofError> {
    let suite = Suite::of(proof);
    if let Suite::Other { .. } = suite {
        return Err(ProofError::Unsupported(suite.name()));
    }
    let text = |name: &str| {
        proof.get(name).and_then(Value::as_str).ok_or_else(|| {
            ProofError::Malformed(format!("proof.{name} is missing or not a string"))
        })
    };
    let verification_method = text("verificationMethod")?;
    let purpose = text("proofPurpose")?;
    let proof_value = text("proofValue")?;
    let signature = decode_multibase_signature(proof_value).ok_or(ProofError::BadProofValue)?;
    let domain = match proof.get("domain") {
        Some(Value::String(d)) => Some(d.as_str()),
        Some(Value::Array(ds)) => ds.first().and_then(Value::as_str),
        _ => None,
    };
    Ok(ParsedProof {
        suite,
        verification_method,
        purpose,
        created: proof.get("created").and_then(Value::as_str),
        challenge: proof.get("challenge").and_then(Value::as_str),
        domain,
        signature,
        object: proof,
    })
}

/// `z` + base58btc, the multibase form of `proofValue`.
pub fn multibase_base58btc(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(1 + bytes.len() * 138 / 100 + 1);
    out.push('z');
    out.push_str(&bs58::encode(bytes).into_string());
    out
}

fn decode_multibase_signature(text: &str) -> Option<[u8; 64]> {
    let encoded = text.strip_prefix('z')?;
    if encoded.len() > 100 {
        return None;
    }
    bs58::decode(encoded).into_vec().ok()?.try_into().ok()
}
