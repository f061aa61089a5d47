//! Validation against the bundled 1EdTech JSON Schemas (draft 2019-09), fully offline.

use crate::validate::{Violation, ViolationSource};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;
use std::sync::OnceLock;

/// Which published variant of the 1EdTech OB 3.0 JSON Schemas to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaVariant {
    /// What the purl `schema/json/…_schema.json` URL serves: the tolerant "JSON-LD Schema
    /// adaptation" that accepts compacted single values (e.g. `proof` as an object).
    Purl,
    /// The strict plain-JSON schemas (`…-jsonschema1.json`): sets must be arrays.
    Strict,
    /// The `schema/json-ld/` variant (AchievementCredential only; same content as Strict).
    /// EndorsementCredentials are checked with the Strict schema.
    JsonLd,
}

/// The kind of OB credential, which picks the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// `AchievementCredential` / `OpenBadgeCredential`.
    Achievement,
    /// `EndorsementCredential`.
    Endorsement,
}

/// Bundled schema files: (`$id`, text). All are registered with every validator so a
/// reference by `$id` resolves offline.
const BUNDLED: [(&str, &str); 9] = [
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        include_str!("../schemas/purl/ob_v3p0_achievementcredential_schema.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json",
        include_str!("../schemas/purl/ob_v3p0_endorsementcredential_schema.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json",
        include_str!("../schemas/purl/ob_v3p0_profile_schema.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_getopenbadgecredentialsresponse_schema.json",
        include_str!("../schemas/purl/ob_v3p0_getopenbadgecredentialsresponse_schema.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_imsx_statusinfo_schema.json",
        include_str!("../schemas/purl/ob_v3p0_imsx_statusinfo_schema.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json",
        include_str!("../schemas/strict/achievementcredential.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential-jsonschema1.json",
        include_str!("../schemas/strict/endorsementcredential.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile-jsonschema1.json",
        include_str!("../schemas/strict/profile.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json",
        include_str!("../schemas/jsonld/ob_v3p0_achievementcredential_schema.json"),
    ),
];

/// `$id` of the AchievementCredential schema for a variant.
pub const fn achievement_schema_id(variant: SchemaVariant) -> &'static str {
    match variant {
        SchemaVariant::Purl => BUNDLED[0].0,
        SchemaVariant::Strict => BUNDLED[5].0,
        SchemaVariant::JsonLd => BUNDLED[8].0,
    }
}

/// `$id` of the EndorsementCredential schema for a variant (JsonLd uses Strict).
pub const fn endorsement_schema_id(variant: SchemaVariant) -> &'static str {
    match variant {
        SchemaVariant::Purl => BUNDLED[1].0,
        SchemaVariant::Strict | SchemaVariant::JsonLd => BUNDLED[6].0,
    }
}

/// The `credentialSchema.id` an issuer puts in an AchievementCredential (the purl URL).
pub const ACHIEVEMENT_CREDENTIAL_SCHEMA_URL: &str = achievement_schema_id(SchemaVariant::Purl);
/// The `credentialSchema.id` for an EndorsementCredential.
pub const ENDORSEMENT_CREDENTIAL_SCHEMA_URL: &str = endorsement_schema_id(SchemaVariant::Purl);

/// The text of a bundled schema, by `$id`.
pub fn bundled_schema(id: &str) -> Option<&'static str> {
    BUNDLED
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, text)| *text)
}

/// Refuses every external reference: validation must never touch the network or disk.
struct Offline;

impl Retrieve for Offline {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!(
            "external schema references are disabled (offline): {}",
            uri.as_str()
        )
        .into())
    }
}

fn build(id: &str) -> Result<Validator, String> {
    let mut options = jsonschema::options()
        .with_draft(Draft::Draft201909)
        .with_retriever(Offline);
    let mut root = None;
    for (rid, text) in BUNDLED {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("{rid}: {e}"))?;
        if rid == id {
            root = Some(value.clone());
        }
        options = options.with_resource(rid, Draft::Draft201909.create_resource(value));
    }
    let root = root.ok_or_else(|| format!("{id} is not bundled"))?;
    options.build(&root).map_err(|e| format!("{id}: {e}"))
}

type Slot = OnceLock<Result<Validator, String>>;
static PURL_AC: Slot = OnceLock::new();
static PURL_EC: Slot = OnceLock::new();
static STRICT_AC: Slot = OnceLock::new();
static STRICT_EC: Slot = OnceLock::new();
static JSONLD_AC: Slot = OnceLock::new();

/// The compiled validator for a variant and kind, built once per process.
fn validator(variant: SchemaVariant, kind: CredentialKind) -> &'static Result<Validator, String> {
    let (slot, id) = match (variant, kind) {
        (SchemaVariant::Purl, CredentialKind::Achievement) => (&PURL_AC, BUNDLED[0].0),
        (SchemaVariant::Purl, CredentialKind::Endorsement) => (&PURL_EC, BUNDLED[1].0),
        (SchemaVariant::Strict, CredentialKind::Achievement) => (&STRICT_AC, BUNDLED[5].0),
        (SchemaVariant::Strict | SchemaVariant::JsonLd, CredentialKind::Endorsement) => {
            (&STRICT_EC, BUNDLED[6].0)
        }
        (SchemaVariant::JsonLd, CredentialKind::Achievement) => (&JSONLD_AC, BUNDLED[8].0),
    };
    slot.get_or_init(|| build(id))
}

/// A bundled schema did not compile (a packaging error, never caused by input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bundled schema {variant:?}/{kind:?} failed to compile: {message}")]
pub struct SchemaCompileError {
    /// The variant whose schema failed.
    pub variant: SchemaVariant,
    /// The credential kind whose schema failed.
    pub kind: CredentialKind,
    /// The compiler's message.
    pub message: String,
}

/// Compiles every bundled validator now (otherwise each is compiled on first use), so a
/// service can fail at start-up rather than on its first credential.
pub fn warm_up() -> Result<(), SchemaCompileError> {
    for variant in [
        SchemaVariant::Purl,
        SchemaVariant::Strict,
        SchemaVariant::JsonLd,
    ] {
        for kind in [CredentialKind::Achievement, CredentialKind::Endorsement] {
            if let Err(message) = validator(variant, kind) {
                return Err(SchemaCompileError {
                    variant,
                    kind,
                    message: message.clone(),
                });
            }
        }
    }
    Ok(())
}

/// JSON Schema violations of `value` against the bundled schema for `variant` and `kind`,
/// each with the JSON Pointer of the offending value (`/credentialSubject/achievement/criteria`).
pub fn schema_violations(
    value: &Value,
    variant: SchemaVariant,
    kind: CredentialKind,
) -> Vec<Violation> {
    match validator(variant, kind) {
        Ok(v) => v
            .iter_errors(value)
            .map(|e| {
                let mut path = e.instance_path.as_str().to_owned();
                // Point at the missing property itself, not at its parent object.
                if let ValidationErrorKind::Required {
                    property: Value::String(name),
                } = &e.kind
                {
                    path.push('/');
                    path.push_str(&name.replace('~', "~0").replace('/', "~1"));
                }
                Violation {
                    path,
                    message: shorten(e.masked().to_string()),
                    source: ViolationSource::Schema(variant),
                }
            })
            .collect(),
        Err(e) => vec![Violation {
            path: String::new(),
            message: format!("bundled schema failed to compile: {e}"),
            source: ViolationSource::Schema(variant),
        }],
    }
}

// Messages are masked (no input echoed) but an enum list in a schema can still be long.
const MAX_MESSAGE: usize = 300;

fn shorten(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_bundled_validators_compile() {
        assert_eq!(warm_up(), Ok(()));
        for (id, text) in BUNDLED {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                v["$id"],
                json!(id),
                "bundled file registered under its own $id"
            );
            assert_eq!(bundled_schema(id), Some(text));
        }
    }

    #[test]
    fn external_references_are_never_fetched() {
        let schema = json!({"$ref": "https://example.com/not-bundled.json"});
        let err = jsonschema::options()
            .with_draft(Draft::Draft201909)
            .with_retriever(Offline)
            .build(&schema)
            .unwrap_err();
        assert!(err.to_string().contains("offline"), "{err}");
    }
}
