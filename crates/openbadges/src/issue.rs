//! Preparing an unsigned credential for signing, and a realistic demo credential.

use crate::context::{self, OB_EXTENSIONS_CONTEXT, VC_V1_CONTEXT, VC_V2_CONTEXT};
use crate::datetime::{DateTimeError, DateTimeStamp};
use crate::model::{AchievementCredential, IdentityObject};
use crate::schema::{ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, SchemaVariant};
use crate::validate::{self, Violation};
use serde_json::{Map, Value, json};

/// Why an unsigned credential could not be prepared for issuance.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuanceError {
    /// The input is not a JSON object.
    #[error("the unsigned credential must be a JSON object")]
    NotAnObject,
    /// `issuer` names another issuer than the one signing.
    #[error("issuer.id is {found:?} but the signing issuer is {expected:?}")]
    IssuerMismatch {
        /// The signing issuer's DID.
        expected: String,
        /// The issuer id found in the credential.
        found: String,
    },
    /// `issuer` is neither an IRI string nor an object.
    #[error("issuer must be an IRI or a Profile object")]
    MalformedIssuer,
    /// The issuance timestamp is not a dateTimeStamp.
    #[error("issuance timestamp: {0}")]
    Timestamp(DateTimeError),
    /// The supplied UUID is not in canonical 8-4-4-4-12 hex form.
    #[error("not a canonical UUID: {0:?}")]
    InvalidUuid(String),
    /// The credential uses the VC 1.1 context; we issue VC 2.0 only.
    #[error("credential uses the VC 1.1 context {VC_V1_CONTEXT}; only VC 2.0 is issued")]
    LegacyVcContext,
    /// The type names another kind of credential.
    #[error("type {found} is not an OpenBadgeCredential/AchievementCredential")]
    WrongType {
        /// The `type` value found (JSON text).
        found: String,
    },
    /// The prepared credential fails validation (all violations).
    #[error("{} violation(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<Violation>),
    /// The prepared credential does not fit the typed model.
    #[error("does not fit the typed model: {0}")]
    Model(serde_json::Error),
}

fn is_canonical_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `urn:uuid:<uuid>` after checking the UUID's form.
pub fn urn_uuid(uuid: &str) -> Result<String, IssuanceError> {
    if is_canonical_uuid(uuid) {
        Ok(format!("urn:uuid:{}", uuid.to_ascii_lowercase()))
    } else {
        Err(IssuanceError::InvalidUuid(uuid.to_owned()))
    }
}

fn as_type_array(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(items)) => items.clone(),
        Some(s @ Value::String(_)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn ensure_type(obj: &mut Map<String, Value>, required: &[&str]) {
    let mut types = as_type_array(obj.get("type"));
    for r in required {
        if !types.iter().any(|t| t.as_str() == Some(r)) {
            types.push(Value::String((*r).to_owned()));
        }
    }
    obj.insert("type".into(), Value::Array(types));
}

/// Fills in and checks an unsigned credential before it is signed:
/// - `@context` becomes VC 2.0, OB 3.0.3 (an older OB context is replaced), plus
///   `extensions.json` when a 1EdTech type is used, then any other contexts in order;
/// - `type` becomes an array with `VerifiableCredential` and `OpenBadgeCredential` (unless
///   `AchievementCredential` is there); the subject's with `AchievementSubject`;
/// - `id` is set to `urn:uuid:<new_uuid()>` when absent (the closure is not called otherwise);
/// - `issuer` is set to `issuer_did` when absent; an issuer IRI or Profile without `id` gets
///   it; a different issuer id is an error;
/// - `validFrom` is set to `now` when absent.
///
/// Then validates against `variant` and the semantic rules and returns the typed credential.
///
/// No clock or randomness is used: `now` and the UUID come from the caller.
pub fn prepare_for_issuance(
    unsigned: Value,
    issuer_did: &str,
    now: &str,
    new_uuid: impl FnOnce() -> String,
    variant: SchemaVariant,
) -> Result<AchievementCredential, IssuanceError> {
    let now = DateTimeStamp::parse(now).map_err(IssuanceError::Timestamp)?;
    let Value::Object(mut obj) = unsigned else {
        return Err(IssuanceError::NotAnObject);
    };

    // Contexts.
    let old = as_type_array(obj.get("@context"));
    if old.iter().any(|c| c.as_str() == Some(VC_V1_CONTEXT)) {
        return Err(IssuanceError::LegacyVcContext);
    }
    let mut contexts = vec![json!(VC_V2_CONTEXT), json!(context::OB_CONTEXT_3_0_3)];
    let rest: Vec<Value> = old
        .into_iter()
        .filter(|c| {
            c.as_str().is_none_or(|s| {
                s != VC_V2_CONTEXT && context::ObContextVersion::from_url(s).is_none()
            })
        })
        .collect();
    let needs_ext = context::uses_1edtech_types(&Value::Object(obj.clone()));
    if needs_ext
        && !rest
            .iter()
            .any(|c| c.as_str() == Some(OB_EXTENSIONS_CONTEXT))
    {
        contexts.push(json!(OB_EXTENSIONS_CONTEXT));
    }
    contexts.extend(rest);
    obj.insert("@context".into(), Value::Array(contexts));

    // Types.
    let types = as_type_array(obj.get("type"));
    if types
        .iter()
        .any(|t| t.as_str() == Some("EndorsementCredential"))
    {
        return Err(IssuanceError::WrongType {
            found: Value::Array(types).to_string(),
        });
    }
    let ob_type = if types
        .iter()
        .any(|t| t.as_str() == Some("AchievementCredential"))
    {
        "AchievementCredential"
    } else {
        "OpenBadgeCredential"
    };
    ensure_type(&mut obj, &["VerifiableCredential", ob_type]);
    if let Some(Value::Object(subject)) = obj.get_mut("credentialSubject") {
        ensure_type(subject, &["AchievementSubject"]);
    }

    // Identifier.
    if !obj.contains_key("id") {
        obj.insert("id".into(), Value::String(urn_uuid(&new_uuid())?));
    }

    // Issuer.
    match obj.get_mut("issuer") {
        None => {
            obj.insert("issuer".into(), Value::String(issuer_did.to_owned()));
        }
        Some(Value::String(id)) if id == issuer_did => {}
        Some(Value::String(id)) => {
            return Err(IssuanceError::IssuerMismatch {
                expected: issuer_did.to_owned(),
                found: id.clone(),
            });
        }
        Some(Value::Object(profile)) => match profile.get("id") {
            None => {
                profile.insert("id".into(), Value::String(issuer_did.to_owned()));
                ensure_type(profile, &["Profile"]);
            }
            Some(Value::String(id)) if id == issuer_did => ensure_type(profile, &["Profile"]),
            Some(other) => {
                return Err(IssuanceError::IssuerMismatch {
                    expected: issuer_did.to_owned(),
                    found: other
                        .as_str()
                        .map_or_else(|| other.to_string(), str::to_owned),
                });
            }
        },
        Some(_) => return Err(IssuanceError::MalformedIssuer),
    }

    // Validity.
    if !obj.contains_key("validFrom") {
        obj.insert("validFrom".into(), Value::String(now.as_str().to_owned()));
    }

    let value = Value::Object(obj);
    validate::validate_credential(&value, variant).map_err(IssuanceError::Invalid)?;
    serde_json::from_value(value).map_err(IssuanceError::Model)
}

/// Inputs of [`demo_credential`].
#[derive(Debug, Clone)]
pub struct DemoParams<'a> {
    /// Issuer DID (e.g. `did:key:z6Mk…`).
    pub issuer_did: &'a str,
    /// Issuer display name.
    pub issuer_name: &'a str,
    /// Recipient DID.
    pub subject_did: &'a str,
    /// Recipient e-mail, stored only as a salted SHA-256 hash.
    pub email: &'a str,
    /// Salt for the e-mail hash.
    pub salt: &'a str,
    /// `validFrom` and `awardedDate` (a dateTimeStamp).
    pub valid_from: &'a str,
    /// UUID of the credential id.
    pub uuid: &'a str,
}

/// A small SVG badge (a blue rosette), as the `data:` URI of the achievement image.
pub const DEMO_BADGE_SVG_DATA_URI: &str = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA2NCA2NCI+PGNpcmNsZSBjeD0iMzIiIGN5PSIyOCIgcj0iMjAiIGZpbGw9IiMyNTYzZWIiLz48cGF0aCBkPSJNMjAgNDRsLTQgMTggMTAtNiA2IDggNi04IDEwIDYtNC0xOHoiIGZpbGw9IiMxZTQwYWYiLz48dGV4dCB4PSIzMiIgeT0iMzQiIGZvbnQtc2l6ZT0iMTQiIHRleHQtYW5jaG9yPSJtaWRkbGUiIGZpbGw9IiNmZmYiPk9CPC90ZXh0Pjwvc3ZnPg==";

/// A realistic, valid (strict schema) unsigned OB 3.0 credential: an achievement with
/// criteria, an SVG `data:` image, an alignment, a letter-grade ResultDescription with an
/// `allowedValue` list and a Result pointing at it, and a hashed e-mail identifier besides
/// the subject DID. Deterministic for given parameters.
pub fn demo_credential(p: &DemoParams<'_>) -> Result<AchievementCredential, IssuanceError> {
    let id = urn_uuid(p.uuid)?;
    DateTimeStamp::parse(p.valid_from).map_err(IssuanceError::Timestamp)?;
    let email = IdentityObject::hashed_email(p.email, p.salt);
    let rd_id = format!("{id}#grade");
    let value = json!({
        "@context": context::issuance_contexts(true),
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Rust Verifiable Credentials Practitioner",
        "description": "Awarded for building and verifying Open Badges 3.0 credentials in Rust.",
        "issuer": {
            "id": p.issuer_did,
            "type": ["Profile"],
            "name": p.issuer_name,
            "url": "https://rosette.example/",
        },
        "validFrom": p.valid_from,
        "awardedDate": p.valid_from,
        "credentialSubject": {
            "id": p.subject_did,
            "type": ["AchievementSubject"],
            "identifier": [email],
            "achievement": {
                "id": "https://rosette.example/achievements/rust-vc-practitioner",
                "type": ["Achievement"],
                "achievementType": "Badge",
                "name": "Rust Verifiable Credentials Practitioner",
                "description": "Builds, signs and verifies W3C Verifiable Credentials in Rust.",
                "criteria": {
                    "narrative": "Issue an Open Badges 3.0 credential signed with eddsa-rdfc-2022 and verify it with an independent verifier."
                },
                "image": {
                    "id": DEMO_BADGE_SVG_DATA_URI,
                    "type": "Image",
                    "caption": "Rosette badge"
                },
                "alignment": [{
                    "type": ["Alignment"],
                    "targetName": "Verifiable Credentials Data Model v2.0",
                    "targetUrl": "https://www.w3.org/TR/vc-data-model-2.0/",
                    "targetDescription": "The W3C data model for verifiable credentials.",
                    "targetFramework": "W3C Recommendations",
                    "targetType": "ext:W3CRecommendation"
                }],
                "resultDescription": [{
                    "id": rd_id,
                    "type": ["ResultDescription"],
                    "name": "Final assessment grade",
                    "resultType": "LetterGrade",
                    "allowedValue": ["D", "C", "B", "A"],
                    "requiredValue": "C"
                }],
                "tag": ["rust", "verifiable-credentials", "open-badges"]
            },
            "result": [{
                "type": ["Result"],
                "resultDescription": rd_id,
                "value": "A"
            }]
        },
        "credentialSchema": [{
            "id": ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
            "type": context::JSON_SCHEMA_VALIDATOR_TYPE
        }]
    });
    validate::validate_credential(&value, SchemaVariant::Strict).map_err(IssuanceError::Invalid)?;
    serde_json::from_value(value).map_err(IssuanceError::Model)
}
