//! Key proof validation for the `jwt` proof type (OpenID4VCI 1.0 Appendix F.1, F.4).
//!
//! JWS decoding, did:key resolution, JWK import and signature checks are `rosette-did`'s (one
//! JWS implementation in the workspace); this module adds the key-proof rules on top.

use rosette_core::Timestamp;
use rosette_did::PublicKey;
use rosette_did::did_key::{DidKeyError, parse_did_key_url};
use rosette_did::jws::{DecodedJws, JwsError, decode_compact};
use serde_json::Value;

use crate::error::{ErrorCode, ErrorResponse};

/// The required `typ` of a key proof JWT (F.1).
pub const PROOF_JWT_TYP: &str = "openid4vci-proof+jwt";

/// Key proofs longer than this are refused before decoding.
pub const MAX_PROOF_LEN: usize = 16 * 1024;

/// What a key proof must satisfy; built by the issuer per request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct KeyProofExpectations<'a> {
    /// The Credential Issuer Identifier; `aud` must equal it exactly.
    pub audience: &'a str,
    /// The c_nonce the proof must carry (`None` when the issuer has no Nonce Endpoint).
    /// Look it up first with [`unverified_proof_nonce`] and [`crate::NonceRecord::check`].
    pub nonce: Option<&'a str>,
    /// The current time.
    pub now: Timestamp,
    /// Oldest acceptable `iat`, in seconds before `now`.
    pub max_age: i64,
    /// Tolerated clock difference, in seconds, for an `iat` in the future.
    pub clock_skew: i64,
    /// JWS algorithms accepted (the configuration's `proof_signing_alg_values_supported`).
    pub allowed_algs: &'a [String],
    /// The token's `client_id`; if set, an `iss` claim must equal it.
    pub client_id: Option<&'a str>,
}

impl<'a> KeyProofExpectations<'a> {
    /// Expectations with a 5-minute window (`max_age` 300 s, skew 60 s) and no `client_id`.
    pub fn new(
        audience: &'a str,
        nonce: Option<&'a str>,
        now: Timestamp,
        allowed_algs: &'a [String],
    ) -> Self {
        Self {
            audience,
            nonce,
            now,
            max_age: 300,
            clock_skew: 60,
            allowed_algs,
            client_id: None,
        }
    }
}

/// The key a valid proof was signed with: bind the credential to it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HolderKey {
    /// The holder's DID (`did:key:…`); for a `jwk` proof, the did:key of that key.
    pub did: String,
    /// The verification method (`did:key:X#X`).
    pub verification_method: String,
    /// The public key.
    pub public_key: PublicKey,
}

/// Why a key proof was refused. Map with [`ProofError::to_wire`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// Longer than [`MAX_PROOF_LEN`].
    #[error("key proof is too large")]
    TooLarge,
    /// Not a compact JWS (three base64url parts).
    #[error("key proof is not a compact JWS")]
    NotCompactJws,
    /// The header is not a JSON object.
    #[error("key proof header is not a JSON object")]
    InvalidHeader,
    /// The payload is not a JSON object.
    #[error("key proof payload is not a JSON object")]
    InvalidClaims,
    /// No `typ`.
    #[error("key proof has no typ")]
    MissingTyp,
    /// `typ` is not `openid4vci-proof+jwt`.
    #[error("key proof typ must be openid4vci-proof+jwt")]
    WrongTyp(String),
    /// No `alg`.
    #[error("key proof has no alg")]
    MissingAlg,
    /// `alg` is `none`.
    #[error("key proof alg none is not allowed")]
    AlgNone,
    /// `alg` is not in the configuration's list (or is symmetric).
    #[error("key proof alg {0} is not supported")]
    AlgNotAllowed(String),
    /// `alg` does not fit the key type.
    #[error("key proof alg does not match the key")]
    AlgKeyMismatch,
    /// None of `kid`, `jwk`, `x5c`.
    #[error("key proof names no key (kid, jwk or x5c)")]
    NoKey,
    /// More than one of `kid`, `jwk`, `x5c` (F.1: exactly one).
    #[error("key proof has more than one of kid, jwk, x5c")]
    AmbiguousKey,
    /// `x5c` is not supported by this issuer.
    #[error("x5c key proofs are not supported")]
    X5cNotSupported,
    /// `kid` is not a did:key verification method URL (`did:key:X#X`) we can resolve.
    #[error("kid is not a resolvable did:key URL")]
    UnresolvableKid(DidKeyError),
    /// `jwk` is not a usable public key (why, as `rosette-did` says).
    #[error("jwk is not a supported public key")]
    InvalidJwk(String),
    /// The header carries a private key (F.4).
    #[error("key proof header contains a private key")]
    PrivateKeyInHeader,
    /// A `crit` header this issuer does not understand (RFC 7515 §4.1.11).
    #[error("key proof has unsupported crit headers")]
    UnsupportedCrit,
    /// The signature does not verify with the header's key.
    #[error("key proof signature is invalid")]
    BadSignature,
    /// No `aud`.
    #[error("key proof has no aud")]
    MissingAudience,
    /// `aud` is not the Credential Issuer Identifier.
    #[error("key proof aud is not this credential issuer")]
    WrongAudience,
    /// No numeric `iat`.
    #[error("key proof has no iat")]
    MissingIat,
    /// `iat` is in the future beyond the allowed skew.
    #[error("key proof iat is in the future")]
    IatInFuture,
    /// `iat` is older than the allowed age.
    #[error("key proof is too old")]
    IatTooOld,
    /// The issuer requires a c_nonce and the proof has none.
    #[error("key proof has no nonce")]
    MissingNonce,
    /// The proof's nonce is not the expected c_nonce.
    #[error("key proof nonce is not valid")]
    WrongNonce,
    /// `iss` is present and differs from the token's `client_id`.
    #[error("key proof iss is not the client_id")]
    WrongIssuer,
}

impl ProofError {
    /// HTTP status and body: 400 `invalid_nonce` for a wrong nonce (the wallet fetches a
    /// new one), `invalid_proof` for everything else (incl. a missing nonce, §8.3.1.2).
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        let code = match self {
            Self::WrongNonce => ErrorCode::InvalidNonce,
            _ => ErrorCode::InvalidProof,
        };
        (400, ErrorResponse::new(code, Some(&self.to_string())))
    }
}

/// The `nonce` claim of a proof, read WITHOUT verifying anything: only to find the c_nonce
/// record to check before calling [`validate_jwt_proof`]. A proof without a nonce is
/// [`ProofError::MissingNonce`] here, so a caller cannot slip into "no nonce expected".
pub fn unverified_proof_nonce(jwt: &str) -> Result<String, ProofError> {
    let jws = decode(jwt)?;
    match serde_json::from_slice::<Value>(&jws.payload) {
        Ok(Value::Object(claims)) => claims
            .get("nonce")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(ProofError::MissingNonce),
        _ => Err(ProofError::InvalidClaims),
    }
}

/// Size check, then `rosette-did`'s compact JWS decoding with its errors named as key-proof
/// errors. The decoder already refuses `alg: none`, any `crit`, a private `jwk` and duplicate
/// header members.
fn decode(jwt: &str) -> Result<DecodedJws, ProofError> {
    if jwt.len() > MAX_PROOF_LEN {
        return Err(ProofError::TooLarge);
    }
    decode_compact(jwt).map_err(|e| match e {
        // An unsigned JWS (`alg: none`) has an empty signature, which the decoder refuses
        // before reading the header; decode it with a placeholder signature to say which.
        JwsError::EmptyPart("signature") => match decode_compact(&format!("{jwt}AA")) {
            Err(JwsError::AlgNone) => ProofError::AlgNone,
            _ => ProofError::NotCompactJws,
        },
        JwsError::TooLarge(_) => ProofError::TooLarge,
        JwsError::AlgNone => ProofError::AlgNone,
        JwsError::UnsupportedCritical(_) => ProofError::UnsupportedCrit,
        JwsError::PrivateKeyInHeader => ProofError::PrivateKeyInHeader,
        // serde's wording for a header object without the REQUIRED `alg`.
        JwsError::InvalidHeader(why) if why.contains("missing field `alg`") => {
            ProofError::MissingAlg
        }
        JwsError::InvalidHeader(_) => ProofError::InvalidHeader,
        _ => ProofError::NotCompactJws,
    })
}

/// Validates a `jwt` key proof (Appendix F.1 and F.4) and returns the key to bind.
///
/// Checks, in order: size and shape; `typ` = `openid4vci-proof+jwt`; `alg` present, not
/// `none`, in `allowed_algs`; exactly one of `kid` (did:key URL) / `jwk` (no private
/// members) / `x5c` (refused); `alg` fits the key; no unknown `crit`; signature; `aud` =
/// issuer; `iat` within `[now - max_age, now + clock_skew]`; `nonce` = expected c_nonce;
/// `iss` = client_id when both are present.
pub fn validate_jwt_proof(
    jwt: &str,
    expect: &KeyProofExpectations<'_>,
) -> Result<HolderKey, ProofError> {
    let jws = decode(jwt)?;
    let header = &jws.header;

    match header.typ.as_deref() {
        None => return Err(ProofError::MissingTyp),
        Some(t) if is_proof_typ(t) => {}
        Some(other) => return Err(ProofError::WrongTyp(other.to_owned())),
    }
    let alg = header.alg.as_str();
    // MAC algorithms are never acceptable, even if misconfigured into the list.
    if alg.starts_with("HS") || !expect.allowed_algs.iter().any(|a| a == alg) {
        return Err(ProofError::AlgNotAllowed(alg.to_owned()));
    }

    let key = match (&header.kid, &header.jwk, header.extra.get("x5c")) {
        (None, None, None) => return Err(ProofError::NoKey),
        (Some(kid), None, None) => {
            parse_did_key_url(kid, false).map_err(ProofError::UnresolvableKid)?
        }
        (None, Some(jwk), None) => {
            PublicKey::from_jwk(jwk).map_err(|e| ProofError::InvalidJwk(e.to_string()))?
        }
        (None, None, Some(_)) => return Err(ProofError::X5cNotSupported),
        _ => return Err(ProofError::AmbiguousKey),
    };
    if key.key_type().jws_algorithm() != alg {
        return Err(ProofError::AlgKeyMismatch);
    }
    if jws.verify(&key).is_err() {
        return Err(ProofError::BadSignature);
    }

    let claims = match serde_json::from_slice::<Value>(&jws.payload) {
        Ok(Value::Object(map)) => map,
        _ => return Err(ProofError::InvalidClaims),
    };
    let audience_ok = match claims.get("aud") {
        None => return Err(ProofError::MissingAudience),
        Some(Value::String(aud)) => aud == expect.audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expect.audience)),
        Some(_) => false,
    };
    if !audience_ok {
        return Err(ProofError::WrongAudience);
    }
    // iat is a NumericDate (RFC 7519 §2): fractions allowed, truncated here.
    let iat = match claims.get("iat") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    }
    .ok_or(ProofError::MissingIat)?;
    let now = expect.now.unix();
    if iat > now.saturating_add(expect.clock_skew) {
        return Err(ProofError::IatInFuture);
    }
    if iat < now.saturating_sub(expect.max_age) {
        return Err(ProofError::IatTooOld);
    }
    if let Some(expected) = expect.nonce {
        let nonce = claims
            .get("nonce")
            .and_then(Value::as_str)
            .ok_or(ProofError::MissingNonce)?;
        let equal: bool =
            subtle::ConstantTimeEq::ct_eq(nonce.as_bytes(), expected.as_bytes()).into();
        if !equal {
            return Err(ProofError::WrongNonce);
        }
    }
    if let (Some(iss), Some(client_id)) = (claims.get("iss"), expect.client_id)
        && iss.as_str() != Some(client_id)
    {
        return Err(ProofError::WrongIssuer);
    }

    Ok(HolderKey {
        did: rosette_did::did_key(&key).as_str().to_owned(),
        verification_method: rosette_did::verification_method_id(&key)
            .as_str()
            .to_owned(),
        public_key: key,
    })
}

/// `typ` is a media type: compared case-insensitively, `application/` optional (RFC 7515 §4.1.9).
fn is_proof_typ(typ: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => {
            typ.get(12..).unwrap_or_default()
        }
        _ => typ,
    };
    bare.eq_ignore_ascii_case(PROOF_JWT_TYP)
}
