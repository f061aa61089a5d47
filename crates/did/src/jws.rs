//! RFC 7515 compact JWS: sign (EdDSA, ES256), decode, verify (EdDSA, ES256; RS256 and PS256
//! via `ssi-jws` with a JWK).
//!
//! Decoding never panics on hostile input: the length is capped, base64url must be unpadded
//! and canonical, `alg: none` is refused, as are `crit` extensions (we implement none) and a
//! `jwk` header that carries a private key.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use ssi_jwk::JWK;

use crate::{KeyError, KeyType, PublicKey, SignatureError, SigningKey};

/// Largest compact JWS [`decode_compact`] accepts (1 MiB).
pub const MAX_COMPACT_LEN: usize = 1024 * 1024;

/// A JWS `alg` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwsAlgorithm {
    /// Ed25519.
    EdDSA,
    /// ECDSA P-256 / SHA-256.
    ES256,
    /// ECDSA P-384 / SHA-384 (recognised, not verified: `ssi-jws` is built without P-384).
    ES384,
    /// RSASSA-PKCS1-v1_5 / SHA-256 (verify only).
    RS256,
    /// RSASSA-PSS / SHA-256 (verify only).
    PS256,
    /// Any other value, kept verbatim.
    Other(String),
}

impl JwsAlgorithm {
    /// The `alg` string.
    pub fn as_str(&self) -> &str {
        match self {
            JwsAlgorithm::EdDSA => "EdDSA",
            JwsAlgorithm::ES256 => "ES256",
            JwsAlgorithm::ES384 => "ES384",
            JwsAlgorithm::RS256 => "RS256",
            JwsAlgorithm::PS256 => "PS256",
            JwsAlgorithm::Other(s) => s,
        }
    }

    /// The algorithm we sign with for a key type.
    pub fn for_key_type(key_type: KeyType) -> Self {
        match key_type {
            KeyType::Ed25519 => JwsAlgorithm::EdDSA,
            KeyType::P256 => JwsAlgorithm::ES256,
        }
    }

    fn from_str(s: &str) -> Self {
        match s {
            "EdDSA" => JwsAlgorithm::EdDSA,
            "ES256" => JwsAlgorithm::ES256,
            "ES384" => JwsAlgorithm::ES384,
            "RS256" => JwsAlgorithm::RS256,
            "PS256" => JwsAlgorithm::PS256,
            other => JwsAlgorithm::Other(other.to_owned()),
        }
    }

    fn key_type(&self) -> Option<KeyType> {
        match self {
            JwsAlgorithm::EdDSA => Some(KeyType::Ed25519),
            JwsAlgorithm::ES256 => Some(KeyType::P256),
            _ => None,
        }
    }
}

impl fmt::Display for JwsAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JwsAlgorithm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JwsAlgorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(JwsAlgorithm::from_str(&s))
    }
}

/// A JOSE header. Unknown members are kept in `extra`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct JwsHeader {
    /// `alg` (REQUIRED).
    pub alg: JwsAlgorithm,
    /// `kid`: the key id, usually a verification method URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `typ`, e.g. `JWT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// `cty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// `jwk`: the signer's public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<JWK>,
    /// `crit`: extensions the verifier must understand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<Vec<String>>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl JwsHeader {
    /// A header with only `alg`.
    pub fn new(alg: JwsAlgorithm) -> Self {
        Self {
            alg,
            kid: None,
            typ: None,
            cty: None,
            jwk: None,
            crit: None,
            extra: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for JwsHeader {
    // JWK's own Debug would print a private key; headers we accept never hold one, but
    // a caller-built header might.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwsHeader")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("typ", &self.typ)
            .field("cty", &self.cty)
            .field(
                "jwk",
                &self.jwk.as_ref().map(|j| {
                    if j.is_public() {
                        j.to_string()
                    } else {
                        "<private, redacted>".to_owned()
                    }
                }),
            )
            .field("crit", &self.crit)
            .field("extra", &self.extra)
            .finish()
    }
}

/// JWS signing, decoding or verification failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// Input longer than [`MAX_COMPACT_LEN`].
    #[error("JWS longer than {0} bytes")]
    TooLarge(usize),
    /// Not three dot-separated parts.
    #[error("not a compact JWS (expected three parts)")]
    NotCompact,
    /// A required part is empty.
    #[error("empty JWS {0}")]
    EmptyPart(&'static str),
    /// A part is not unpadded canonical base64url.
    #[error("JWS {0} is not base64url")]
    InvalidBase64(&'static str),
    /// The header is not a JSON object of the right shape.
    #[error("invalid JWS header: {0}")]
    InvalidHeader(String),
    /// `alg: none` (unsigned) is never accepted.
    #[error("unsigned JWS (alg none) rejected")]
    AlgNone,
    /// `crit` lists an extension we do not implement (or is empty).
    #[error("unsupported critical header parameter(s): {0}")]
    UnsupportedCritical(String),
    /// The `jwk` header carries private key material.
    #[error("the jwk header contains a private key")]
    PrivateKeyInHeader,
    /// The algorithm does not fit the key.
    #[error("algorithm {alg} does not match the key")]
    AlgorithmKeyMismatch {
        /// The header's algorithm.
        alg: String,
    },
    /// The algorithm is not supported here.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// Verification with the embedded key was asked but there is no `jwk` header.
    #[error("no jwk header")]
    MissingJwk,
    /// The key could not be used.
    #[error("key: {0}")]
    Key(#[from] KeyError),
    /// The signature is malformed or does not verify.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
}

/// Signs `payload` under `header` and returns `header.payload.signature`. The header's `alg`
/// must match the key, and a `jwk` header must be public.
pub fn sign_compact(
    header: &JwsHeader,
    payload: &[u8],
    key: &SigningKey,
) -> Result<String, JwsError> {
    if header.alg.key_type() != Some(key.key_type()) {
        return Err(JwsError::AlgorithmKeyMismatch {
            alg: header.alg.to_string(),
        });
    }
    if header.jwk.as_ref().is_some_and(|j| !j.is_public()) {
        return Err(JwsError::PrivateKeyInHeader);
    }
    let header_json =
        serde_json::to_vec(header).map_err(|e| JwsError::InvalidHeader(e.to_string()))?;
    let mut out = String::with_capacity(b64_len(header_json.len()) + b64_len(payload.len()) + 90);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let sig = key.sign(out.as_bytes());
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(sig.as_bytes(), &mut out);
    Ok(out)
}

fn b64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// A decoded (not yet verified) compact JWS.
#[derive(Debug, Clone)]
pub struct DecodedJws {
    /// The protected header.
    pub header: JwsHeader,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature.
    pub signature: Vec<u8>,
    signing_input: String,
}

impl DecodedJws {
    /// The JWS signing input (`base64url(header) . base64url(payload)`).
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// Verifies with an Ed25519 or P-256 key; `alg` must be `EdDSA` or `ES256` to match.
    pub fn verify(&self, key: &PublicKey) -> Result<(), JwsError> {
        if self.header.alg.key_type() != Some(key.key_type()) {
            return Err(JwsError::AlgorithmKeyMismatch {
                alg: self.header.alg.to_string(),
            });
        }
        Ok(key.verify(self.signing_input(), &self.signature)?)
    }

    /// Verifies with a JWK: Ed25519/P-256 go through [`DecodedJws::verify`]; RSA keys (RS256,
    /// PS256, ≥ 2048 bits) through `ssi-jws`.
    pub fn verify_with_jwk(&self, jwk: &JWK) -> Result<(), JwsError> {
        if !jwk.is_public() {
            return Err(JwsError::Key(KeyError::UnexpectedPrivateKey));
        }
        match &jwk.params {
            ssi_jwk::Params::RSA(_) => {
                let alg = match self.header.alg {
                    JwsAlgorithm::RS256 => ssi_jwk::Algorithm::RS256,
                    JwsAlgorithm::PS256 => ssi_jwk::Algorithm::PS256,
                    _ => {
                        return Err(JwsError::AlgorithmKeyMismatch {
                            alg: self.header.alg.to_string(),
                        });
                    }
                };
                ssi_jws::verify_bytes(alg, self.signing_input(), jwk, &self.signature)
                    .map_err(|_| JwsError::Signature(SignatureError::Invalid))
            }
            _ => {
                let key = PublicKey::from_jwk(jwk)?;
                self.verify(&key)
            }
        }
    }

    /// Verifies with the key in the `jwk` header. This only proves that whoever holds that
    /// key signed; the caller must still bind the key to the expected issuer.
    pub fn verify_with_embedded_jwk(&self) -> Result<(), JwsError> {
        let jwk = self.header.jwk.as_ref().ok_or(JwsError::MissingJwk)?;
        self.verify_with_jwk(jwk)
    }
}

/// Decodes a compact JWS without verifying it.
pub fn decode_compact(jws: &str) -> Result<DecodedJws, JwsError> {
    if jws.len() > MAX_COMPACT_LEN {
        return Err(JwsError::TooLarge(MAX_COMPACT_LEN));
    }
    let mut parts = jws.splitn(4, '.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::NotCompact);
    };
    if h.is_empty() {
        return Err(JwsError::EmptyPart("header"));
    }
    if s.is_empty() {
        return Err(JwsError::EmptyPart("signature"));
    }
    let header_bytes = URL_SAFE_NO_PAD
        .decode(h)
        .map_err(|_| JwsError::InvalidBase64("header"))?;
    let payload = URL_SAFE_NO_PAD
        .decode(p)
        .map_err(|_| JwsError::InvalidBase64("payload"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JwsError::InvalidBase64("signature"))?;
    // RFC 7515 §4: duplicate member names must be rejected (serde would keep one silently).
    serde_json::from_slice::<UniqueMembers>(&header_bytes)
        .map_err(|e| JwsError::InvalidHeader(format!("{e}")))?;
    let header: JwsHeader = serde_json::from_slice(&header_bytes)
        .map_err(|e| JwsError::InvalidHeader(format!("{e}")))?;
    if header.alg.as_str().eq_ignore_ascii_case("none") {
        return Err(JwsError::AlgNone);
    }
    if let Some(crit) = &header.crit {
        // We implement no JWS extensions, so any listed one is unsupported (RFC 7515 §4.1.11);
        // an empty list is itself invalid.
        if crit.is_empty() {
            return Err(JwsError::UnsupportedCritical("(empty list)".to_owned()));
        }
        return Err(JwsError::UnsupportedCritical(crit.join(",")));
    }
    if header.jwk.as_ref().is_some_and(|j| !j.is_public()) {
        return Err(JwsError::PrivateKeyInHeader);
    }
    let signing_input_len = h.len() + 1 + p.len();
    let signing_input = jws
        .get(..signing_input_len)
        .ok_or(JwsError::NotCompact)?
        .to_owned();
    Ok(DecodedJws {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Deserializes only to check that a JSON object has no duplicate member names.
struct UniqueMembers;

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueMembers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueMembers, A::Error> {
                let mut seen = std::collections::BTreeSet::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if !seen.insert(key.into_owned()) {
                        return Err(serde::de::Error::custom("duplicate header member"));
                    }
                }
                Ok(UniqueMembers)
            }
        }
        d.deserialize_map(Visitor)
    }
}
