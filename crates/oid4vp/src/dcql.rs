//! DCQL (OpenID4VP 1.0 §6) for Open Badges: building the query a verifier sends for a badge
//! template, and checking that presented credentials satisfy a query. The matching itself is
//! the workspace's DCQL engine (`rosette-dcql`); [`check_satisfied`] adapts verified
//! credentials to its [`Candidate`](rosette_dcql::Candidate)s.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// `https://www.w3.org/2018/credentials#VerifiableCredential` (the expanded IRI under both the
/// VC 1.1 and 2.0 contexts).
pub const VC_TYPE_IRI: &str = "https://www.w3.org/2018/credentials#VerifiableCredential";
/// The expanded IRI of `OpenBadgeCredential` (and of its alias `AchievementCredential`).
pub const OB_TYPE_IRI: &str =
    "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential";
/// Formats a Rosette verifier asks for.
pub const SUPPORTED_FORMATS: [&str; 2] = ["ldp_vc", "jwt_vc_json"];

/// Which badges a verifier asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BadgeQuery {
    /// Only badges for this achievement id (`credentialSubject.achievement.id`).
    pub achievement_id: Option<String>,
    /// Only badges for an achievement of this name (`credentialSubject.achievement.name`).
    pub achievement_name: Option<String>,
    /// Accepted formats, of [`SUPPORTED_FORMATS`]; empty means both.
    pub formats: Vec<String>,
}

impl BadgeQuery {
    /// Any Open Badge, in any supported format.
    pub fn any_badge() -> Self {
        Self::default()
    }

    /// A query for `formats` narrowed by an achievement id and / or name.
    pub fn new(
        achievement_id: Option<String>,
        achievement_name: Option<String>,
        formats: Vec<String>,
    ) -> Self {
        Self {
            achievement_id,
            achievement_name,
            formats,
        }
    }

    /// The DCQL query: one credential query per format (`badge_ldp_vc`, `badge_jwt_vc_json`),
    /// each with the OB 3.0 `type_values` as expanded IRIs (B.1.1) and claim paths from the
    /// credential root (B.1.2); with several formats, a `credential_sets` entry makes any one
    /// of them enough.
    pub fn to_dcql(&self) -> Value {
        let formats: Vec<&str> = if self.formats.is_empty() {
            SUPPORTED_FORMATS.to_vec()
        } else {
            SUPPORTED_FORMATS
                .iter()
                .copied()
                .filter(|f| self.formats.iter().any(|g| g == f))
                .collect()
        };
        let mut claims = Vec::new();
        if let Some(id) = &self.achievement_id {
            claims.push(json!({"id": "achievement_id", "path": ["credentialSubject", "achievement", "id"], "values": [id]}));
        }
        match &self.achievement_name {
            Some(name) => claims.push(json!({"id": "achievement_name", "path": ["credentialSubject", "achievement", "name"], "values": [name]})),
            None => claims.push(json!({"id": "achievement_name", "path": ["credentialSubject", "achievement", "name"]})),
        }
        let credentials: Vec<Value> = formats
            .iter()
            .map(|format| {
                json!({
                    "id": format!("badge_{format}"),
                    "format": format,
                    "meta": {"type_values": [[VC_TYPE_IRI, OB_TYPE_IRI]]},
                    "claims": claims,
                })
            })
            .collect();
        let mut query = json!({ "credentials": credentials });
        if formats.len() > 1
            && let Some(object) = query.as_object_mut()
        {
            let options: Vec<Value> = formats
                .iter()
                .map(|f| json!([format!("badge_{f}")]))
                .collect();
            object.insert(
                "credential_sets".into(),
                json!([{ "options": options, "required": true }]),
            );
        }
        query
    }
}

/// One credential query of a DCQL query, as much as the verifier needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct QuerySummary {
    pub(crate) format: String,
    pub(crate) multiple: bool,
}

/// The credential queries of `query` by id; `None` when it is not a DCQL query.
pub(crate) fn credential_queries(query: &Value) -> Option<BTreeMap<String, QuerySummary>> {
    let mut out = BTreeMap::new();
    for q in query.get("credentials")?.as_array()? {
        let id = q.get("id")?.as_str()?.to_owned();
        let format = q.get("format")?.as_str()?.to_owned();
        let multiple = q.get("multiple").and_then(Value::as_bool).unwrap_or(false);
        out.insert(id, QuerySummary { format, multiple });
    }
    Some(out)
}

/// Expanded `type` IRIs of a W3C credential (B.1.1), by JSON-LD expansion of its `@context`
/// and `type` with the bundled contexts (`rosette_dcql::w3c`); empty when it cannot be expanded.
pub fn expanded_types(credential: &Value) -> Vec<String> {
    rosette_dcql::w3c::expanded_types(credential).unwrap_or_default()
}

/// Checks that `presented` (per query id: each presented credential's format and decoded
/// JSON, the VC object for a VC-JWT) satisfies `query` (§6.4, §8.6) with `rosette-dcql`:
/// every credential matches its query's format, type values and claim values, and every
/// required credential set (or, without sets, every credential query) is answered. The error
/// says what is wrong.
pub fn check_satisfied(
    query: &Value,
    presented: &BTreeMap<String, Vec<(String, Value)>>,
) -> Result<(), String> {
    let query = rosette_dcql::DcqlQuery::from_json(query)
        .map_err(|e| format!("the request's DCQL query does not parse: {e}"))?;
    let mut candidates: BTreeMap<String, Vec<rosette_dcql::Candidate>> = BTreeMap::new();
    for (id, list) in presented {
        let mut out = Vec::with_capacity(list.len());
        for (format, credential) in list {
            let candidate = match format.as_str() {
                "jwt_vc_json" => rosette_dcql::Candidate::jwt_vc_json(credential),
                _ => rosette_dcql::Candidate::ldp_vc(credential.clone()),
            }
            .map_err(|e| format!("{id}: the credential's types cannot be expanded: {e}"))?;
            out.push(rosette_dcql::Candidate {
                format: format.clone(),
                ..candidate
            });
        }
        if !out.is_empty() {
            candidates.insert(id.clone(), out);
        }
    }
    rosette_dcql::check_presented(&query, &candidates).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn badge(name: &str) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {"achievement": {"id": "urn:a", "name": name}}
        })
    }

    #[test]
    fn two_formats_make_a_credential_set() {
        let q = BadgeQuery::any_badge().to_dcql();
        assert_eq!(q["credentials"].as_array().unwrap().len(), 2);
        assert_eq!(
            q["credential_sets"][0]["options"],
            json!([["badge_ldp_vc"], ["badge_jwt_vc_json"]])
        );
        let mut presented = BTreeMap::new();
        presented.insert(
            "badge_jwt_vc_json".to_owned(),
            vec![("jwt_vc_json".to_owned(), badge("X"))],
        );
        assert_eq!(check_satisfied(&q, &presented), Ok(()));
        assert!(check_satisfied(&q, &BTreeMap::new()).is_err());
    }

    #[test]
    fn claim_values_and_types_must_match() {
        let q = BadgeQuery::new(None, Some("Rust".into()), vec!["ldp_vc".into()]).to_dcql();
        assert!(q.get("credential_sets").is_none());
        let mut presented = BTreeMap::new();
        presented.insert(
            "badge_ldp_vc".to_owned(),
            vec![("ldp_vc".to_owned(), badge("Rust"))],
        );
        assert_eq!(check_satisfied(&q, &presented), Ok(()));
        presented.insert(
            "badge_ldp_vc".to_owned(),
            vec![("ldp_vc".to_owned(), badge("Go"))],
        );
        assert!(check_satisfied(&q, &presented).is_err());
        let mut not_ob = badge("Rust");
        not_ob["type"] = json!(["VerifiableCredential"]);
        presented.insert(
            "badge_ldp_vc".to_owned(),
            vec![("ldp_vc".to_owned(), not_ob)],
        );
        assert!(check_satisfied(&q, &presented).is_err());
        presented.insert(
            "badge_ldp_vc".to_owned(),
            vec![("jwt_vc_json".to_owned(), badge("Rust"))],
        );
        assert!(check_satisfied(&q, &presented).is_err());
    }

    #[test]
    fn achievement_credential_expands_to_the_open_badge_iri() {
        let types = expanded_types(&json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "AchievementCredential"]
        }));
        assert!(types.contains(&VC_TYPE_IRI.to_owned()), "{types:?}");
        assert!(types.contains(&OB_TYPE_IRI.to_owned()), "{types:?}");
    }
}
