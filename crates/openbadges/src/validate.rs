//! Credential validation: the 1EdTech JSON Schema plus the checks the schema cannot
//! express (OB 3.0 §9.1 step 1; checklist §1).

use crate::context::{self, VcVersion};
use crate::datetime::DateTimeStamp;
use crate::model::{AchievementCredential, EndorsementCredential};
use crate::schema::{self, CredentialKind, SchemaVariant};
use serde_json::Value;
use std::fmt;

/// Where a violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationSource {
    /// The 1EdTech JSON Schema of this variant.
    Schema(SchemaVariant),
    /// A rule the schema cannot express.
    Semantic,
}

/// One problem with a credential: the JSON Pointer of the offending value and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer (RFC 6901) into the credential; empty for the whole document.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Which check found it.
    pub source: ViolationSource,
}

impl Violation {
    fn semantic(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            source: ViolationSource::Semantic,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// Why an incoming credential could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The bytes are not JSON.
    #[error("not JSON: {0}")]
    Json(serde_json::Error),
    /// The JSON is not an AchievementCredential/OpenBadgeCredential or EndorsementCredential.
    #[error("not an Open Badges 3.0 credential: type is {found}")]
    NotAnOpenBadge {
        /// The `type` value found (JSON text).
        found: String,
    },
    /// Schema or semantic violations (all of them).
    #[error("{} violation(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<Violation>),
    /// Valid by the checks, but the typed model could not represent it.
    #[error("does not fit the typed model: {0}")]
    Model(serde_json::Error),
}

/// A typed Open Badges 3.0 credential of either kind.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OpenBadgesCredential {
    /// AchievementCredential / OpenBadgeCredential.
    Achievement(Box<AchievementCredential>),
    /// EndorsementCredential.
    Endorsement(Box<EndorsementCredential>),
}

fn type_contains(value: &Value, name: &str) -> bool {
    match value.get("type") {
        Some(Value::String(s)) => s == name,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(name)),
        _ => false,
    }
}

/// The OB credential kind named by the top-level `type`, if any.
pub fn credential_kind(value: &Value) -> Option<CredentialKind> {
    if type_contains(value, "AchievementCredential") || type_contains(value, "OpenBadgeCredential")
    {
        Some(CredentialKind::Achievement)
    } else if type_contains(value, "EndorsementCredential") {
        Some(CredentialKind::Endorsement)
    } else {
        None
    }
}

/// Validates a credential against the bundled schema (chosen by its `type`) and the
/// semantic rules, returning its kind or every violation found.
///
/// VC 1.1 credentials fail every bundled schema (they need the unpublished "any…"
/// schemas); for them call [`semantic_violations`] alone.
pub fn validate_credential(
    value: &Value,
    variant: SchemaVariant,
) -> Result<CredentialKind, Vec<Violation>> {
    let Some(kind) = credential_kind(value) else {
        return Err(vec![Violation::semantic(
            "/type",
            "type must contain AchievementCredential, OpenBadgeCredential or EndorsementCredential",
        )]);
    };
    let mut violations = schema::schema_violations(value, variant, kind);
    violations.extend(semantic_violations(value));
    if violations.is_empty() {
        Ok(kind)
    } else {
        Err(violations)
    }
}

/// Parses bytes from an untrusted source, validates them and returns the typed credential.
/// Never panics, whatever the input.
///
/// VC 2.0 credentials get the JSON Schema of `variant` and the semantic checks. VC 1.1
/// credentials (which displayers must still accept) get the semantic checks only: the
/// 1EdTech schemas for them ("any…" schemas) are not published in any form we have.
pub fn read_credential(
    bytes: &[u8],
    variant: SchemaVariant,
) -> Result<OpenBadgesCredential, ReadError> {
    let value: Value = serde_json::from_slice(bytes).map_err(ReadError::Json)?;
    if credential_kind(&value).is_none() {
        return Err(ReadError::NotAnOpenBadge {
            found: value
                .get("type")
                .map_or_else(|| "absent".to_owned(), Value::to_string),
        });
    }
    let vc11 = value
        .get("@context")
        .and_then(|c| context::check_contexts(c).ok())
        .is_some_and(|info| info.vc == VcVersion::V1_1);
    if vc11 {
        let violations = semantic_violations(&value);
        if !violations.is_empty() {
            return Err(ReadError::Invalid(violations));
        }
    } else {
        validate_credential(&value, variant).map_err(ReadError::Invalid)?;
    }
    typed_credential(value).map_err(ReadError::Model)
}

/// Converts a JSON value to the typed model without validating it: `EndorsementCredential`
/// by `type`, anything else is read as an AchievementCredential.
pub fn typed_credential(value: Value) -> Result<OpenBadgesCredential, serde_json::Error> {
    Ok(match credential_kind(&value) {
        Some(CredentialKind::Endorsement) => {
            OpenBadgesCredential::Endorsement(Box::new(serde_json::from_value(value)?))
        }
        _ => OpenBadgesCredential::Achievement(Box::new(serde_json::from_value(value)?)),
    })
}

/// The checks the JSON Schema cannot express, for an AchievementCredential or
/// EndorsementCredential given as JSON:
/// - `@context`: VC first, an OB 3.0 context second; `extensions.json` when a 1EdTech type is used;
/// - the subject of an AchievementCredential has `id` or `identifier` (§9.1 step 1);
/// - `credentialStatus` is a single object;
/// - `credentialSchema` entries have `id` and `type`, and a 1EdTech-validated list names
///   this credential's 1EdTech schema;
/// - each `Result.resultDescription` names a ResultDescription of the same achievement,
///   `achievedLevel` one of its rubric levels, and a `Status` result has `status`;
/// - dates are dateTimeStamps and `validUntil` is not before `validFrom`.
pub fn semantic_violations(value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if !value.is_object() {
        out.push(Violation::semantic(
            "",
            "a credential must be a JSON object",
        ));
        return out;
    }
    let kind = credential_kind(value);
    check_context(value, &mut out);
    check_dates(value, &mut out);
    check_status(value, &mut out);
    if let Some(kind) = kind {
        check_credential_schema(value, kind, &mut out);
    }
    if kind == Some(CredentialKind::Achievement)
        && let Some(subject) = value.get("credentialSubject")
    {
        check_subject(subject, &mut out);
    }
    out
}

fn check_context(value: &Value, out: &mut Vec<Violation>) {
    match value.get("@context").map(context::check_contexts) {
        None => out.push(Violation::semantic("/@context", "@context is required")),
        Some(Err(e)) => out.push(Violation::semantic("/@context", e.to_string())),
        Some(Ok(info)) => {
            if !info.has_extensions && context::uses_1edtech_types(value) {
                out.push(Violation::semantic(
                    "/@context",
                    format!(
                        "a 1EdTech type ({}) is used but {} is not in @context",
                        context::ONE_EDTECH_TYPES.join(", "),
                        context::OB_EXTENSIONS_CONTEXT
                    ),
                ));
            }
        }
    }
}

fn check_dates(value: &Value, out: &mut Vec<Violation>) {
    let vc = value
        .get("@context")
        .and_then(|c| context::check_contexts(c).ok())
        .map(|i| i.vc);
    let (from_key, until_key) = match vc {
        Some(VcVersion::V1_1) => ("issuanceDate", "expirationDate"),
        _ => ("validFrom", "validUntil"),
    };
    if vc == Some(VcVersion::V1_1)
        && credential_kind(value) == Some(CredentialKind::Achievement)
        && !value.get("name").is_some_and(Value::is_string)
    {
        out.push(Violation::semantic(
            "/name",
            "name is required in a VC 1.1 OB 3.0 credential",
        ));
    }
    let mut parse = |key: &str| -> Option<DateTimeStamp> {
        let v = value.get(key)?;
        match v.as_str().map(DateTimeStamp::parse) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                out.push(Violation::semantic(format!("/{key}"), e.to_string()));
                None
            }
            None => {
                out.push(Violation::semantic(format!("/{key}"), "must be a string"));
                None
            }
        }
    };
    let from = parse(from_key);
    let until = parse(until_key);
    if from.is_none() && value.get(from_key).is_none() {
        out.push(Violation::semantic(
            format!("/{from_key}"),
            format!("{from_key} is required"),
        ));
    }
    if let (Some(from), Some(until)) = (from, until)
        && until < from
    {
        out.push(Violation::semantic(
            format!("/{until_key}"),
            format!("{until_key} {until} is before {from_key} {from}"),
        ));
    }
}

fn check_status(value: &Value, out: &mut Vec<Violation>) {
    match value.get("credentialStatus") {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(_)) => out.push(Violation::semantic(
            "/credentialStatus",
            "credentialStatus must be a single object, not an array (OB 3.0 allows at most one)",
        )),
        Some(_) => out.push(Violation::semantic(
            "/credentialStatus",
            "credentialStatus must be an object",
        )),
    }
}

fn check_credential_schema(value: &Value, kind: CredentialKind, out: &mut Vec<Violation>) {
    let Some(cs) = value.get("credentialSchema") else {
        return;
    };
    let entries: Vec<(String, &Value)> = match cs {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/credentialSchema/{i}"), v))
            .collect(),
        other => vec![("/credentialSchema".to_owned(), other)],
    };
    let expected: [&str; 3] = match kind {
        CredentialKind::Achievement => [
            schema::achievement_schema_id(SchemaVariant::Purl),
            schema::achievement_schema_id(SchemaVariant::Strict),
            schema::achievement_schema_id(SchemaVariant::JsonLd),
        ],
        CredentialKind::Endorsement => [
            schema::endorsement_schema_id(SchemaVariant::Purl),
            schema::endorsement_schema_id(SchemaVariant::Strict),
            schema::endorsement_schema_id(SchemaVariant::Purl),
        ],
    };
    let mut uses_1edtech = false;
    let mut names_ours = false;
    for (path, entry) in &entries {
        let id = entry.get("id").and_then(Value::as_str);
        let ty = entry.get("type").and_then(Value::as_str);
        if id.is_none() {
            out.push(Violation::semantic(
                path.clone(),
                "credentialSchema entry needs a string id",
            ));
        }
        if ty.is_none() {
            out.push(Violation::semantic(
                path.clone(),
                "credentialSchema entry needs a string type",
            ));
        }
        if ty == Some(context::JSON_SCHEMA_VALIDATOR_TYPE) {
            uses_1edtech = true;
            names_ours |= id.is_some_and(|id| expected.contains(&id));
        }
    }
    if uses_1edtech && !names_ours {
        out.push(Violation::semantic(
            "/credentialSchema",
            format!(
                "one credentialSchema entry must be {{id: {}, type: {}}}",
                expected[0],
                context::JSON_SCHEMA_VALIDATOR_TYPE
            ),
        ));
    }
}

fn check_subject(subject: &Value, out: &mut Vec<Violation>) {
    let has_id = subject.get("id").is_some_and(Value::is_string);
    let has_identifier = match subject.get("identifier") {
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(_)) => true,
        _ => false,
    };
    if !has_id && !has_identifier {
        out.push(Violation::semantic(
            "/credentialSubject",
            "credentialSubject must have an id or an identifier (OB 3.0 §9.1 step 1)",
        ));
    }
    let results: Vec<(usize, &Value)> = match subject.get("result") {
        Some(Value::Array(items)) => items.iter().enumerate().collect(),
        Some(other @ Value::Object(_)) => vec![(0, other)],
        _ => return,
    };
    let single = !matches!(subject.get("result"), Some(Value::Array(_)));
    let descriptions: Vec<&Value> = match subject.pointer("/achievement/resultDescription") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other @ Value::Object(_)) => vec![other],
        _ => Vec::new(),
    };
    let levels: Vec<&str> = descriptions
        .iter()
        .flat_map(|d| match d.get("rubricCriterionLevel") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(l @ Value::Object(_)) => vec![l],
            _ => Vec::new(),
        })
        .filter_map(|l| l.get("id").and_then(Value::as_str))
        .collect();
    for (i, result) in results {
        let base = if single {
            "/credentialSubject/result".to_owned()
        } else {
            format!("/credentialSubject/result/{i}")
        };
        let Some(rd_id) = result.get("resultDescription").and_then(Value::as_str) else {
            continue;
        };
        let Some(rd) = descriptions
            .iter()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(rd_id))
        else {
            out.push(Violation::semantic(
                format!("{base}/resultDescription"),
                format!(
                    "resultDescription {rd_id:?} is not the id of a ResultDescription of this achievement"
                ),
            ));
            continue;
        };
        if rd.get("resultType").and_then(Value::as_str) == Some("Status")
            && result.get("status").is_none()
        {
            out.push(Violation::semantic(
                format!("{base}/status"),
                "status is required when the ResultDescription's resultType is Status",
            ));
        }
        // The spec's own "complete" example links achievedLevel to a level of another
        // ResultDescription, so any rubric level of the achievement is accepted.
        if let Some(level) = result.get("achievedLevel").and_then(Value::as_str)
            && !levels.contains(&level)
        {
            out.push(Violation::semantic(
                format!("{base}/achievedLevel"),
                format!(
                    "achievedLevel {level:?} is not the id of a rubricCriterionLevel of this achievement"
                ),
            ));
        }
    }
}

/// Runs every reader on untrusted bytes and discards the results: [`read_credential`] for
/// each schema variant, then [`semantic_violations`] and [`typed_credential`] on whatever
/// JSON there is. The fuzz target's body; it must never panic.
pub fn check_untrusted(bytes: &[u8]) {
    for variant in [
        SchemaVariant::Purl,
        SchemaVariant::Strict,
        SchemaVariant::JsonLd,
    ] {
        let _ = read_credential(bytes, variant);
    }
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        let _ = semantic_violations(&value);
        if let Ok(typed) = typed_credential(value) {
            // Writing back must work for anything that was read.
            let _ = match typed {
                OpenBadgesCredential::Achievement(c) => serde_json::to_vec(&c),
                OpenBadgesCredential::Endorsement(c) => serde_json::to_vec(&c),
            };
        }
    }
}
