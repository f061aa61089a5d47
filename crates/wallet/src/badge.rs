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
    /// The learner: `credentialSubject.id` (the holder's DID for claimed badges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Whether the credential names a status list (`credentialStatus`). Summaries stored
    /// before this field existed read as `true`, so they are never shown as needing no check.
    #[serde(default = "yes")]
    pub has_status: bool,
    /// The last revocation/suspension check with the issuer's status list, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_check: Option<StatusCheck>,
    /// The offer the badge was claimed from (an opaque per-claim key, never the code itself):
    /// the copies of one award in several formats share it, so they are listed as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
}

fn yes() -> bool {
    true
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

/// What the issuer's status list said when the wallet last asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Revocation {
    /// Neither revoked nor suspended.
    Active,
    /// Revoked by the issuer (permanent).
    Revoked,
    /// Suspended by the issuer (may be lifted).
    Suspended,
}

/// One status-list check: its result and when it was made (RFC 3339).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCheck {
    /// What the list said.
    pub result: Revocation,
    /// When the wallet checked, RFC 3339.
    pub checked_at: String,
}

/// How long an "active" answer from the status list counts as current: older answers are
/// shown as "not checked recently" rather than "valid", since the issuer may have revoked
/// the badge since.
pub const STATUS_FRESH_SECONDS: i64 = 24 * 3600;

/// Whether a badge can be relied on now, from its dates, its proof and the last status check:
/// what `list` and `show` print. Never "valid" without a recent check (or no status list).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Standing {
    /// Kept although its proof did not verify.
    Unverified,
    /// `validUntil` has passed.
    Expired,
    /// `validFrom` is in the future.
    NotYetValid,
    /// The issuer revoked it (as of `checked_at`).
    Revoked {
        /// When the revocation was seen.
        checked_at: String,
    },
    /// The issuer suspended it (as of `checked_at`).
    Suspended {
        /// When the suspension was seen.
        checked_at: String,
    },
    /// Valid, and not revoked as of a check `seconds_ago` seconds ago.
    Valid {
        /// When the status list was read.
        checked_at: String,
        /// Age of that check.
        seconds_ago: i64,
    },
    /// Valid by its dates and the issuer offers no status list (nothing to check).
    ValidNoStatusList,
    /// The last check said active, but it is older than [`STATUS_FRESH_SECONDS`].
    NotCheckedRecently {
        /// When the status list was last read.
        checked_at: String,
        /// Age of that check.
        seconds_ago: i64,
    },
    /// The status list was never read for this badge.
    NotChecked,
}

impl Standing {
    /// A stable machine-readable code (`--json`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Revoked { .. } => "revoked",
            Self::Suspended { .. } => "suspended",
            Self::Valid { .. } | Self::ValidNoStatusList => "valid",
            Self::NotCheckedRecently { .. } => "not_checked_recently",
            Self::NotChecked => "not_checked",
        }
    }

    /// When the status list was last read, if ever.
    pub fn checked_at(&self) -> Option<&str> {
        match self {
            Self::Revoked { checked_at }
            | Self::Suspended { checked_at }
            | Self::Valid { checked_at, .. }
            | Self::NotCheckedRecently { checked_at, .. } => Some(checked_at),
            _ => None,
        }
    }

    /// What people read: "valid (checked 2 min ago)", "revoked", "not checked".
    pub fn describe(&self) -> String {
        match self {
            Self::Unverified => "unverified".to_owned(),
            Self::Expired => "expired".to_owned(),
            Self::NotYetValid => "not yet valid".to_owned(),
            Self::Revoked { .. } => "revoked".to_owned(),
            Self::Suspended { .. } => "suspended".to_owned(),
            Self::Valid { seconds_ago, .. } => format!("valid (checked {})", ago(*seconds_ago)),
            Self::ValidNoStatusList => "valid (no status list)".to_owned(),
            Self::NotCheckedRecently { seconds_ago, .. } => {
                format!("not checked since {}", ago(*seconds_ago))
            }
            Self::NotChecked => "not checked".to_owned(),
        }
    }
}

/// "just now", "2 min ago", "3 h ago", "5 days ago".
pub fn ago(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", s / 60),
        3600..86_400 => format!("{} h ago", s / 3600),
        _ => match s / 86_400 {
            1 => "1 day ago".to_owned(),
            d => format!("{d} days ago"),
        },
    }
}

impl BadgeSummary {
    /// The badge's [`Standing`] at `now`. Revocation outranks the dates (a revoked badge is
    /// revoked even once expired); a suspension or an "active" answer counts only while the
    /// dates hold.
    pub fn standing(&self, now: Timestamp) -> Standing {
        if self.unverified.is_some() {
            return Standing::Unverified;
        }
        if let Some(StatusCheck {
            result: Revocation::Revoked,
            checked_at,
        }) = &self.status_check
        {
            return Standing::Revoked {
                checked_at: checked_at.clone(),
            };
        }
        match self.status(now) {
            BadgeStatus::Expired => return Standing::Expired,
            BadgeStatus::NotYetValid => return Standing::NotYetValid,
            _ => {}
        }
        let Some(check) = &self.status_check else {
            return if self.has_status {
                Standing::NotChecked
            } else {
                Standing::ValidNoStatusList
            };
        };
        let checked_at = check.checked_at.clone();
        let seconds_ago = Timestamp::parse(&check.checked_at)
            .map_or(i64::MAX, |t| now.unix().saturating_sub(t.unix()));
        match check.result {
            Revocation::Suspended => Standing::Suspended { checked_at },
            _ if seconds_ago <= STATUS_FRESH_SECONDS => Standing::Valid {
                checked_at,
                seconds_ago,
            },
            _ => Standing::NotCheckedRecently {
                checked_at,
                seconds_ago,
            },
        }
    }

    /// The key under which copies of one award are listed as one row: the same issuer,
    /// achievement, learner and offer. A badge without an offer (imported) is its own award.
    pub fn award_key(&self, wallet_id: &str) -> String {
        match &self.offer {
            Some(offer) => format!(
                "{}\u{1f}{}\u{1f}{}\u{1f}{offer}",
                self.issuer,
                self.achievement_id.as_deref().unwrap_or(&self.name),
                self.subject.as_deref().unwrap_or_default(),
            ),
            None => format!("\u{1f}{wallet_id}"),
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
        subject: text(subject.and_then(|s| s.get("id"))),
        has_status: vc.get("credentialStatus").is_some_and(|s| !s.is_null()),
        status_check: None,
        offer: None,
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
