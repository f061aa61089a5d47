//! VC-JWT: credentials secured as a compact JWS.
//!
//! We issue the `jwt_vc_json` form of OpenID4VCI 1.0 Appendix A.1.1 (VCDM 1.1 §6.3.1 JWT
//! encoding): header `{alg, kid, typ: "JWT"}`, registered claims `iss`, `sub`, `jti`, `nbf`,
//! `exp` mapped from the credential, and the credential itself in the `vc` claim. Reading also
//! accepts the Open Badges 3.0 §8.2 form, where the credential's members are the payload.

use rosette_did::SigningKey;
use rosette_did::jws::{self, DecodedJws, JwsAlgorithm, JwsHeader};
use serde_json::{Map, Value};

/// Claims a JWT adds around the credential in the OB 3.0 §8.2 (top-level) form.
const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "jti", "nbf", "exp", "iat", "aud"];

/// Why a VC-JWT could not be made.
#[derive(Debug, thiserror::Error)]
pub enum JwtSignError {
    /// The credential is not a JSON object.
    #[error("the credential must be a JSON object")]
    NotAnObject,
    /// `issuer` (its `id`) is missing.
    #[error("the credential has no issuer id")]
    NoIssuer,
    /// `validFrom` / `validUntil` / `issuanceDate` is not a date-time.
    #[error("{field} is not an RFC 3339 date-time: {value}")]
    BadDate {
        /// The member.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A Data Integrity proof is present; Rosette signs a credential one way or the other.
    #[error("the credential already carries a proof")]
    AlreadySigned,
    /// The JWS could not be made (key and algorithm disagree).
    #[error(transparent)]
    Jws(#[from] jws::JwsError),
}

/// The JOSE header Rosette puts on JWTs it signs: `alg` from the key, `kid`, `typ`.
pub(crate) fn header_for(key: &SigningKey, kid: &str, typ: &str) -> JwsHeader {
    let mut header = JwsHeader::new(JwsAlgorithm::for_key_type(key.key_type()));
    header.kid = Some(kid.to_owned());
    header.typ = Some(typ.to_owned());
    header
}

/// Signs `credential` as a `jwt_vc_json` VC-JWT with `key`, naming `kid` in the header.
pub fn sign(credential: &Value, key: &SigningKey, kid: &str) -> Result<String, JwtSignError> {
    let object = credential.as_object().ok_or(JwtSignError::NotAnObject)?;
    if object.contains_key("proof") {
        return Err(JwtSignError::AlreadySigned);
    }
    let issuer = issuer_id(object).ok_or(JwtSignError::NoIssuer)?;
    let date = |names: [&'static str; 2]| -> Result<Option<i64>, JwtSignError> {
        for field in names {
            if let Some(value) = object.get(field).and_then(Value::as_str) {
                let t =
                    rosette_core::Timestamp::parse(value).ok_or_else(|| JwtSignError::BadDate {
                        field,
                        value: value.to_owned(),
                    })?;
                return Ok(Some(t.unix()));
            }
        }
        Ok(None)
    };
    let claims = Claims {
        iss: issuer,
        sub: object
            .get("credentialSubject")
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str),
        jti: object.get("id").and_then(Value::as_str),
        nbf: date(["validFrom", "issuanceDate"])?,
        exp: date(["validUntil", "expirationDate"])?,
        vc: credential,
    };
    let header = header_for(key, kid, "JWT");
    // Serialising borrowed strings and a Value cannot fail.
    let payload = serde_json::to_vec(&claims).unwrap_or_default();
    Ok(jws::sign_compact(&header, &payload, key)?)
}

/// The payload of a VC-JWT we issue, borrowing from the credential (no copy of it is made).
#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    vc: &'a Value,
}

/// A decoded VC-JWT whose signature has not been checked yet.
#[derive(Debug)]
pub struct UnverifiedJwtVc {
    /// The decoded JWS.
    pub jws: DecodedJws,
    /// The JWT claims, without the `vc` claim (moved to `credential`).
    pub claims: Map<String, Value>,
    /// The credential (always a JSON object): the `vc` claim, or the payload without JWT
    /// claims (OB 3.0 §8.2).
    pub credential: Value,
}

impl UnverifiedJwtVc {
    /// The credential's members.
    pub fn credential_object(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.credential
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }
}

/// Why a text is not a VC-JWT we can read.
#[derive(Debug, thiserror::Error)]
pub enum JwtDecodeError {
    /// Not a compact JWS.
    #[error(transparent)]
    Jws(#[from] jws::JwsError),
    /// The payload is not a JSON object.
    #[error("the JWT payload is not a JSON object")]
    PayloadNotObject,
    /// The `vc` claim is not an object.
    #[error("the vc claim is not an object")]
    VcNotObject,
}

/// Decodes a VC-JWT (without verifying it).
pub fn decode(text: &str) -> Result<UnverifiedJwtVc, JwtDecodeError> {
    let jws = jws::decode_compact(text.trim())?;
    let mut claims: Map<String, Value> =
        serde_json::from_slice(&jws.payload).map_err(|_| JwtDecodeError::PayloadNotObject)?;
    let credential = match claims.remove("vc") {
        Some(vc @ Value::Object(_)) => vc,
        Some(_) => return Err(JwtDecodeError::VcNotObject),
        None => {
            let mut top = claims.clone();
            for claim in REGISTERED_CLAIMS {
                top.remove(claim);
            }
            Value::Object(top)
        }
    };
    Ok(UnverifiedJwtVc {
        jws,
        claims,
        credential,
    })
}

/// The credential's issuer identifier (`issuer` as a string, or `issuer.id`).
pub fn issuer_id(credential: &Map<String, Value>) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(id) => Some(id),
        Value::Object(profile) => profile.get("id")?.as_str(),
        _ => None,
    }
}

/// Checks that the JWT's registered claims agree with the credential (OB 3.0 §8.2.6,
/// VCDM 1.1 §6.3.1): `iss` = issuer, `jti` = id, `sub` = subject id, `nbf`/`exp` = validity.
/// Returns each disagreement as a sentence.
pub fn claim_mismatches(vc: &UnverifiedJwtVc) -> Vec<String> {
    let mut problems = Vec::new();
    let cred = vc.credential_object();
    let claim_str = |name: &str| vc.claims.get(name).and_then(Value::as_str);
    match (claim_str("iss"), issuer_id(cred)) {
        (Some(iss), Some(issuer)) if iss == issuer => {}
        (iss, issuer) => problems.push(format!("iss {iss:?} does not match the issuer {issuer:?}")),
    }
    if let (Some(jti), Some(id)) = (claim_str("jti"), cred.get("id").and_then(Value::as_str)) {
        if jti != id {
            problems.push(format!("jti {jti} does not match the credential id {id}"));
        }
    }
    let subject = cred
        .get("credentialSubject")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str);
    if let (Some(sub), Some(subject)) = (claim_str("sub"), subject) {
        if sub != subject {
            problems.push(format!("sub {sub} does not match the subject {subject}"));
        }
    }
    for (field, claim) in [
        ("validFrom", "nbf"),
        ("issuanceDate", "nbf"),
        ("validUntil", "exp"),
        ("expirationDate", "exp"),
    ] {
        let (Some(value), Some(n)) = (
            cred.get(field).and_then(Value::as_str),
            vc.claims.get(claim).and_then(Value::as_i64),
        ) else {
            continue;
        };
        match rosette_core::Timestamp::parse(value) {
            Some(t) if t.unix() == n => {}
            _ => problems.push(format!("{claim} {n} does not match {field} {value}")),
        }
    }
    problems
}
