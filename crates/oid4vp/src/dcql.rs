//! DCQL (OpenID4VP 1.0 §6) for Open Badges: building the query a verifier sends for a badge
//! template, and checking that presented credentials satisfy a query.
//!
//! The satisfaction check is deliberately small (format, W3C `type_values` B.1.1, claim paths
//! with `values`, `credential_sets`); it sits behind [`check_satisfied`] so the workspace's
//! DCQL engine can replace it without changing callers.

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

/// Expanded `type` IRIs of a W3C credential (B.1.1), for the contexts Rosette reads: VC 1.1 /
/// 2.0 and Open Badges 3.0. Absolute IRIs pass through; unknown terms are dropped.
pub fn expanded_types(credential: &Value) -> Vec<String> {
    let types: Vec<&str> = match credential.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types
        .into_iter()
        .filter_map(|t| match t {
            "VerifiableCredential" => Some(VC_TYPE_IRI.to_owned()),
            "OpenBadgeCredential" | "AchievementCredential" => Some(OB_TYPE_IRI.to_owned()),
            "EndorsementCredential" => Some(
                "https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential".to_owned(),
            ),
            iri if iri.contains(':') => Some(iri.to_owned()),
            _ => None,
        })
        .collect()
}

/// Checks that `presented` (per query id: each presented credential's format and decoded
/// JSON) satisfies `query` (§6.4): every credential matches its query's format, type values
/// and claim values, and every required credential set (or, without sets, every credential
/// query) is answered. The error says what is missing.
pub fn check_satisfied(
    query: &Value,
    presented: &BTreeMap<String, Vec<(String, Value)>>,
) -> Result<(), String> {
    let queries = query
        .get("credentials")
        .and_then(Value::as_array)
        .ok_or("the request has no DCQL credentials")?;
    let mut answered = Vec::new();
    for q in queries {
        let Some(id) = q.get("id").and_then(Value::as_str) else {
            return Err("a credential query has no id".into());
        };
        let Some(list) = presented.get(id) else {
            continue;
        };
        for (format, credential) in list {
            matches_query(q, format, credential).map_err(|e| format!("{id}: {e}"))?;
        }
        if !list.is_empty() {
            answered.push(id);
        }
    }
    match query.get("credential_sets").and_then(Value::as_array) {
        Some(sets) => {
            for set in sets {
                let required = set.get("required").and_then(Value::as_bool).unwrap_or(true);
                if !required {
                    continue;
                }
                let options = set
                    .get("options")
                    .and_then(Value::as_array)
                    .ok_or("a credential set has no options")?;
                let met = options.iter().any(|option| {
                    option.as_array().is_some_and(|ids| {
                        ids.iter()
                            .all(|i| i.as_str().is_some_and(|i| answered.contains(&i)))
                    })
                });
                if !met {
                    return Err("a required credential set is not answered".into());
                }
            }
        }
        None => {
            for q in queries {
                if let Some(id) = q.get("id").and_then(Value::as_str)
                    && !answered.contains(&id)
                {
                    return Err(format!("credential query {id} is not answered"));
                }
            }
        }
    }
    Ok(())
}

fn matches_query(query: &Value, format: &str, credential: &Value) -> Result<(), String> {
    if query.get("format").and_then(Value::as_str) != Some(format) {
        return Err(format!(
            "a {format} credential answers a query for another format"
        ));
    }
    if let Some(alternatives) = query
        .get("meta")
        .and_then(|m| m.get("type_values"))
        .and_then(Value::as_array)
    {
        let have = expanded_types(credential);
        let ok = alternatives.iter().any(|alt| {
            alt.as_array().is_some_and(|needed| {
                needed
                    .iter()
                    .all(|t| t.as_str().is_some_and(|t| have.iter().any(|h| h == t)))
            })
        });
        if !ok {
            return Err("the credential's types are not the ones asked for".into());
        }
    }
    if let Some(claims) = query.get("claims").and_then(Value::as_array) {
        for claim in claims {
            let path = claim
                .get("path")
                .and_then(Value::as_array)
                .ok_or("a claim has no path")?;
            let found = select(credential, path);
            if found.is_empty() {
                return Err(format!("claim {} is missing", Value::Array(path.clone())));
            }
            if let Some(values) = claim.get("values").and_then(Value::as_array)
                && !found.iter().any(|v| values.contains(v))
            {
                return Err(format!(
                    "claim {} has none of the values asked for",
                    Value::Array(path.clone())
                ));
            }
        }
    }
    Ok(())
}

/// Claims path pointer (§7): strings select members, integers array elements, null all elements.
fn select<'a>(root: &'a Value, path: &[Value]) -> Vec<&'a Value> {
    let mut current = vec![root];
    for step in path {
        let mut next = Vec::new();
        for value in current {
            match (step, value) {
                (Value::String(key), Value::Object(map)) => next.extend(map.get(key)),
                (Value::Number(n), Value::Array(items)) => {
                    if let Some(item) = n
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .and_then(|i| items.get(i))
                    {
                        next.push(item);
                    }
                }
                (Value::Null, Value::Array(items)) => next.extend(items.iter()),
                _ => {}
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn badge(name: &str) -> Value {
        json!({
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
        assert!(
            check_satisfied(&q, &presented)
                .unwrap_err()
                .contains("none of the values")
        );
        let mut not_ob = badge("Rust");
        not_ob["type"] = json!(["VerifiableCredential"]);
        presented.insert(
            "badge_ldp_vc".to_owned(),
            vec![("ldp_vc".to_owned(), not_ob)],
        );
        assert!(
            check_satisfied(&q, &presented)
                .unwrap_err()
                .contains("types")
        );
        presented.insert(
            "badge_ldp_vc".to_owned(),
            vec![("jwt_vc_json".to_owned(), badge("Rust"))],
        );
        assert!(check_satisfied(&q, &presented).is_err());
    }

    #[test]
    fn achievement_credential_expands_to_the_open_badge_iri() {
        let types =
            expanded_types(&json!({"type": ["VerifiableCredential", "AchievementCredential"]}));
        assert_eq!(types, vec![VC_TYPE_IRI.to_owned(), OB_TYPE_IRI.to_owned()]);
    }
}
