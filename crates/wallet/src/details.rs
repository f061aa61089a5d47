//! What `show` prints about a credential: the achievement, criteria, skills, evidence, people,
//! dates and how it is secured. Read from the stored text; nothing is verified here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::Value;

use crate::badge::SummaryError;

/// A credential's details, in the words of Open Badges 3.0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BadgeDetails {
    /// The achievement's name.
    pub achievement: Option<String>,
    /// The achievement's description.
    pub description: Option<String>,
    /// The achievement's type (`achievementType`), e.g. "Certificate".
    pub achievement_type: Option<String>,
    /// What the learner had to do (`criteria.narrative`).
    pub criteria: Option<String>,
    /// Where the criteria are published (`criteria.id`).
    pub criteria_url: Option<String>,
    /// Skills and standards the achievement is aligned with.
    pub alignments: Vec<Alignment>,
    /// The achievement's tags.
    pub tags: Vec<String>,
    /// Evidence of the learner's work.
    pub evidence: Vec<Evidence>,
    /// The issuer's name.
    pub issuer_name: Option<String>,
    /// The issuer's id (a DID or URL).
    pub issuer_id: Option<String>,
    /// The issuer's web site.
    pub issuer_url: Option<String>,
    /// The learner's name, when the credential states it in the clear.
    pub learner_name: Option<String>,
    /// The learner's id (usually the wallet's DID).
    pub learner_id: Option<String>,
    /// `validFrom` (or `issuanceDate`).
    pub valid_from: Option<String>,
    /// `validUntil` (or `expirationDate`).
    pub valid_until: Option<String>,
    /// `awardedDate` of the subject, if given.
    pub awarded: Option<String>,
    /// How the credential is secured.
    pub proof: Vec<ProofDetails>,
}

/// One alignment (`achievement.alignment[]`): a skill or standard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Alignment {
    /// `targetName`.
    pub name: String,
    /// `targetFramework`.
    pub framework: Option<String>,
    /// `targetCode`.
    pub code: Option<String>,
    /// `targetUrl`.
    pub url: Option<String>,
}

/// One piece of evidence (`evidence[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Evidence {
    /// `name`.
    pub name: Option<String>,
    /// `description` or `narrative`.
    pub description: Option<String>,
    /// `id` (a URL, usually).
    pub url: Option<String>,
}

/// One proof: a Data Integrity proof, or the VC-JWT signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ProofDetails {
    /// `DataIntegrityProof`, or `JWS (VC-JWT)`.
    pub kind: String,
    /// The cryptosuite (`eddsa-rdfc-2022`) or JWS `alg`.
    pub suite: Option<String>,
    /// The verification method (or the JWS `kid`).
    pub verification_method: Option<String>,
    /// The proof's `created` time.
    pub created: Option<String>,
}

/// Reads the details of `text` (JSON-LD or VC-JWT).
pub fn details(text: &str) -> Result<BadgeDetails, SummaryError> {
    let text = text.trim();
    if text.starts_with('{') {
        let vc: Value = serde_json::from_str(text).map_err(|_| SummaryError::UnsupportedFormat)?;
        let mut out = from_credential(&vc);
        let proofs = match vc.get("proof") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        out.proof = proofs
            .into_iter()
            .map(|p| ProofDetails {
                kind: string(p.get("type")).unwrap_or_else(|| "proof".to_owned()),
                suite: string(p.get("cryptosuite")),
                verification_method: string(p.get("verificationMethod")),
                created: string(p.get("created")),
            })
            .collect();
        return Ok(out);
    }
    let mut parts = text.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SummaryError::UnsupportedFormat);
    };
    let decode = |part: &str| -> Result<Value, SummaryError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| SummaryError::UnsupportedFormat)?;
        serde_json::from_slice(&bytes).map_err(|_| SummaryError::BadJwtPayload)
    };
    let header = decode(header)?;
    let claims = decode(payload)?;
    let vc = claims
        .get("vc")
        .filter(|v| v.is_object())
        .unwrap_or(&claims);
    let mut out = from_credential(vc);
    let date = |claim: &str| {
        claims
            .get(claim)
            .and_then(Value::as_i64)
            .and_then(rosette_core::Timestamp::from_unix)
            .map(rosette_core::Timestamp::to_rfc3339)
    };
    out.valid_from = out.valid_from.or_else(|| date("nbf"));
    out.valid_until = out.valid_until.or_else(|| date("exp"));
    out.proof = vec![ProofDetails {
        kind: "JWS (VC-JWT)".to_owned(),
        suite: string(header.get("alg")),
        verification_method: string(header.get("kid")),
        created: date("iat"),
    }];
    Ok(out)
}

fn from_credential(vc: &Value) -> BadgeDetails {
    let subject = match vc.get("credentialSubject") {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let achievement = subject.and_then(|s| s.get("achievement"));
    let field = |v: Option<&Value>, key: &str| string(v.and_then(|v| v.get(key)));
    let issuer = vc.get("issuer");
    let (issuer_id, issuer_name, issuer_url) = match issuer {
        Some(Value::String(id)) => (Some(id.clone()), None, None),
        Some(obj) => (
            field(Some(obj), "id"),
            field(Some(obj), "name"),
            field(Some(obj), "url"),
        ),
        None => (None, None, None),
    };
    let criteria = achievement.and_then(|a| a.get("criteria"));
    let alignments = list(achievement.and_then(|a| a.get("alignment")))
        .into_iter()
        .filter_map(|a| {
            Some(Alignment {
                name: string(a.get("targetName"))?,
                framework: string(a.get("targetFramework")),
                code: string(a.get("targetCode")),
                url: string(a.get("targetUrl")),
            })
        })
        .collect();
    let evidence = list(vc.get("evidence"))
        .into_iter()
        .map(|e| Evidence {
            name: string(e.get("name")),
            description: string(e.get("description")).or_else(|| string(e.get("narrative"))),
            url: string(e.get("id")),
        })
        .collect();
    let tags = list(achievement.and_then(|a| a.get("tag")))
        .into_iter()
        .filter_map(|t| string(Some(t)))
        .collect();
    // OB 3.0 states a name in the clear as an unhashed identifier of type "name".
    let learner_name = field(subject, "name").or_else(|| {
        list(subject.and_then(|s| s.get("identifier")))
            .into_iter()
            .find(|i| {
                i.get("identityType").and_then(Value::as_str) == Some("name")
                    && i.get("hashed").and_then(Value::as_bool) == Some(false)
            })
            .and_then(|i| string(i.get("identityHash")))
    });
    BadgeDetails {
        achievement: field(achievement, "name").or_else(|| field(Some(vc), "name")),
        description: field(achievement, "description"),
        achievement_type: field(achievement, "achievementType"),
        criteria: field(criteria, "narrative"),
        criteria_url: field(criteria, "id"),
        alignments,
        tags,
        evidence,
        issuer_name,
        issuer_id,
        issuer_url,
        learner_name,
        learner_id: field(subject, "id"),
        valid_from: field(Some(vc), "validFrom").or_else(|| field(Some(vc), "issuanceDate")),
        valid_until: field(Some(vc), "validUntil").or_else(|| field(Some(vc), "expirationDate")),
        awarded: field(subject, "awardedDate"),
        proof: Vec::new(),
    }
}

/// A value or an array of values, as a list.
fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

/// A plain string, or the first value of a language map / `@value` object.
fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map
            .get("@value")
            .and_then(Value::as_str)
            .or_else(|| map.values().find_map(Value::as_str))
            .map(str::to_owned),
        Value::Array(items) => items.iter().find_map(|v| string(Some(v))),
        _ => None,
    }
}
