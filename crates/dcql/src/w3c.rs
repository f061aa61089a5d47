//! The W3C Verifiable Credentials profile of DCQL (OpenID4VP 1.0 Appendix B.1): expanded
//! `type` IRIs, Open Badges 3.0 `type_values`, and [`Candidate`]s from ldp and JWT VCs.

use std::sync::OnceLock;

use rosette_jsonld::{JsonLdProcessor, Options};
use serde_json::Value;

use crate::Candidate;

/// The expanded IRI of `VerifiableCredential` (VCDM 1.1 and 2.0 contexts both map to it).
pub const VERIFIABLE_CREDENTIAL_IRI: &str =
    "https://www.w3.org/2018/credentials#VerifiableCredential";
/// The expanded IRI of `OpenBadgeCredential` (and of its alias `AchievementCredential`).
pub const OPEN_BADGE_CREDENTIAL_IRI: &str =
    "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential";

/// Why a credential's types could not be expanded.
#[derive(Debug, thiserror::Error)]
pub enum TypeExpansionError {
    /// The credential is not a JSON object.
    #[error("the credential is not a JSON object")]
    NotAnObject,
    /// The credential has no `type`.
    #[error("the credential has no type")]
    MissingType,
    /// JSON-LD expansion failed (unknown context, malformed context, …).
    #[error("expanding the credential's types failed: {0}")]
    JsonLd(#[from] rosette_jsonld::JsonLdError),
    /// Expansion gave no absolute type IRI.
    #[error("the credential's types do not expand to IRIs")]
    NoTypes,
}

/// `meta.type_values` asking for an Open Badges 3.0 credential (OB 3.0 + B.1.1).
pub fn ob3_type_values() -> Vec<Vec<String>> {
    vec![vec![
        VERIFIABLE_CREDENTIAL_IRI.to_owned(),
        OPEN_BADGE_CREDENTIAL_IRI.to_owned(),
    ]]
}

fn processor() -> &'static JsonLdProcessor {
    static P: OnceLock<JsonLdProcessor> = OnceLock::new();
    P.get_or_init(JsonLdProcessor::with_bundled_contexts)
}

/// The credential's `type` values as fully expanded IRIs, by JSON-LD expansion of its
/// `@context` and `type` only, with the bundled (offline) contexts. A credential whose
/// context is not bundled fails: DCQL `type_values` cannot be checked without it.
pub fn expanded_types(credential: &Value) -> Result<Vec<String>, TypeExpansionError> {
    expanded_types_with(processor(), credential)
}

/// [`expanded_types`] with a caller's processor (e.g. one with more contexts).
pub fn expanded_types_with(
    processor: &JsonLdProcessor,
    credential: &Value,
) -> Result<Vec<String>, TypeExpansionError> {
    let obj = credential
        .as_object()
        .ok_or(TypeExpansionError::NotAnObject)?;
    let ty = obj.get("type").ok_or(TypeExpansionError::MissingType)?;
    let mut doc = serde_json::Map::new();
    if let Some(ctx) = obj.get("@context") {
        doc.insert("@context".into(), ctx.clone());
    }
    doc.insert("type".into(), ty.clone());
    let expanded = processor.expand(&Value::Object(doc), &Options::default())?;
    let types: Vec<String> = expanded
        .as_array()
        .and_then(|a| a.first())
        .and_then(|n| n.get("@type"))
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(Value::as_str)
                .filter(|t| t.contains(':') && !t.starts_with("_:"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        return Err(TypeExpansionError::NoTypes);
    }
    Ok(types)
}

/// The VC object of a VC-JWT payload: the `vc` claim (VCDM 1.1 JWT) when present, else the
/// payload itself (OB 3.0 §8.2 / VC-JOSE-COSE: the credential is the payload).
pub fn jwt_vc_claims(payload: &Value) -> &Value {
    match payload.get("vc") {
        Some(vc) if vc.is_object() => vc,
        _ => payload,
    }
}

impl Candidate {
    /// An `ldp_vc` candidate from a credential document, with holder binding.
    pub fn ldp_vc(credential: Value) -> Result<Self, TypeExpansionError> {
        Ok(Self {
            format: "ldp_vc".into(),
            expanded_types: expanded_types(&credential)?,
            claims: credential,
            holder_binding: true,
        })
    }

    /// A `jwt_vc_json` candidate from a decoded VC-JWT payload, with holder binding.
    pub fn jwt_vc_json(payload: &Value) -> Result<Self, TypeExpansionError> {
        let vc = jwt_vc_claims(payload).clone();
        Ok(Self {
            format: "jwt_vc_json".into(),
            expanded_types: expanded_types(&vc)?,
            claims: vc,
            holder_binding: true,
        })
    }
}
