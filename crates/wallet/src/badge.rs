//! What the wallet shows about a credential without verifying it again.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a credential is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialFormat {
    /// JSON-LD with an embedded Data Integrity proof (OpenID4VCI `ldp_vc`).
    LdpVc,
    /// A VC-JWT (OpenID4VCI `jwt_vc_json`).
    JwtVcJson,
}

impl CredentialFormat {
    /// The OpenID4VCI format identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LdpVc => "ldp_vc",
            Self::JwtVcJson => "jwt_vc_json",
        }
    }
}

/// Whether a badge is usable now, by its validity dates (the proof was checked on the way in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadgeStatus {
    /// Within its validity period.
    Valid,
    /// `validFrom` is in the future.
    NotYetValid,
    /// `validUntil` has passed.
    Expired,
    /// Kept at the holder's request although its proof could not be verified (see
    /// [`BadgeSummary::unverified`]).
    Unverified,
}

/// The facts `list` shows about a stored badge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeSummary {
    /// The achievement's name.
    pub name: String,
    /// The issuer's name, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_name: Option<String>,
    /// The issuer's id (a DID or URL).
    pub issuer: String,
    /// The credential's `id`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// `validFrom` (or `issuanceDate`), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// `validUntil` (or `expirationDate`), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The achievement's id (a public page for the badge class, when it is an https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achievement_id: Option<String>,
    /// How the credential is secured.
    pub format: CredentialFormat,
    /// Why the proof did not verify, when the holder chose to keep the badge anyway
    /// (`import --unverified`); `None` for every badge that verified on the way in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
}

impl BadgeSummary {
    /// The status at `now`: [`BadgeStatus::Unverified`] for a badge kept unverified, else from
    /// the validity dates (unparseable dates are ignored).
    pub fn status(&self, now: Timestamp) -> BadgeStatus {
        let parse = |d: &Option<String>| d.as_deref().and_then(Timestamp::parse);
        if self.unverified.is_some() {
            BadgeStatus::Unverified
        } else if parse(&self.expires).is_some_and(|t| t < now) {
            BadgeStatus::Expired
        } else if parse(&self.issued).is_some_and(|t| t > now) {
            BadgeStatus::NotYetValid
        } else {
            BadgeStatus::Valid
        }
    }
}

/// The text is not a credential the wallet can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SummaryError {
    /// Neither a JSON object nor a compact JWS.
    #[error("not a JSON credential or a VC-JWT")]
    UnsupportedFormat,
    /// A JWT whose payload is not a JSON object.
    #[error("the JWT payload is not a JSON object")]
    BadJwtPayload,
    /// No `issuer`.
    #[error("the credential has no issuer")]
    MissingIssuer,
}

/// Reads the summary of `text`: a JSON-LD credential or a VC-JWT (VCDM 2.0 payload, or a 1.1
/// `vc` claim). The format is detected from the text.
pub fn summarize(text: &str) -> Result<BadgeSummary, SummaryError> {
    let text = text.trim();
    if text.starts_with('{') {
        let value: Value =
            serde_json::from_str(text).map_err(|_| SummaryError::UnsupportedFormat)?;
        return from_credential(&value, CredentialFormat::LdpVc);
    }
    let mut parts = text.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SummaryError::UnsupportedFormat);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| SummaryError::UnsupportedFormat)?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| SummaryError::BadJwtPayload)?;
    if !claims.is_object() {
        return Err(SummaryError::BadJwtPayload);
    }
    let vc = claims
        .get("vc")
        .filter(|v| v.is_object())
        .unwrap_or(&claims);
    let mut summary = from_credential(vc, CredentialFormat::JwtVcJson)?;
    // VC-JWT 1.1 puts the dates in registered claims.
    let date = |claim: &str| {
        claims
            .get(claim)
            .and_then(Value::as_i64)
            .and_then(Timestamp::from_unix)
            .map(Timestamp::to_rfc3339)
    };
    summary.issued = summary
        .issued
        .or_else(|| date("nbf"))
        .or_else(|| date("iat"));
    summary.expires = summary.expires.or_else(|| date("exp"));
    Ok(summary)
}

fn from_credential(vc: &Value, format: CredentialFormat) -> Result<BadgeSummary, SummaryError> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let issuer = vc.get("issuer");
    let (issuer_id, issuer_name) = match issuer {
        Some(Value::String(id)) => (Some(id.clone()), None),
        Some(obj @ Value::Object(_)) => (text(obj.get("id")), language_string(obj.get("name"))),
        _ => (None, None),
    };
    let issuer_id = issuer_id.ok_or(SummaryError::MissingIssuer)?;
    // OB 3.0 has one subject; VCDM allows an array, take the first.
    let subject = match vc.get("credentialSubject") {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let achievement = subject.and_then(|s| s.get("achievement"));
    let name = achievement
        .and_then(|a| language_string(a.get("name")))
        .or_else(|| language_string(vc.get("name")))
        .unwrap_or_else(|| "(unnamed badge)".to_owned());
    Ok(BadgeSummary {
        name,
        issuer_name,
        issuer: issuer_id,
        credential_id: text(vc.get("id")),
        issued: text(vc.get("validFrom")).or_else(|| text(vc.get("issuanceDate"))),
        expires: text(vc.get("validUntil")).or_else(|| text(vc.get("expirationDate"))),
        achievement_id: text(achievement.and_then(|a| a.get("id"))),
        format,
        unverified: None,
    })
}

/// A plain string, or the first value of a language map / `@value` object.
fn language_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map
            .get("@value")
            .and_then(Value::as_str)
            .or_else(|| map.values().find_map(Value::as_str))
            .map(str::to_owned),
        Value::Array(items) => items.iter().find_map(|v| language_string(Some(v))),
        _ => None,
    }
}
