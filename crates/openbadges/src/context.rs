//! `@context` values and the OB 3.0 context rule (checklist §0, §1.1).

use serde_json::Value;

/// VC Data Model 2.0 context; first entry of every credential we issue.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// VC Data Model 1.1 context; accepted on input only.
pub const VC_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// OB 3.0.3 context: the current one, second entry of every credential we issue.
pub const OB_CONTEXT_3_0_3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// OB 3.0.2 context (accepted on input).
pub const OB_CONTEXT_3_0_2: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json";
/// OB 3.0.1 context (accepted on input).
pub const OB_CONTEXT_3_0_1: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json";
/// The original, unversioned OB 3.0 context (accepted on input).
pub const OB_CONTEXT_3_0: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context.json";
/// 1EdTech extensions context, required when a 1EdTech type is used.
pub const OB_EXTENSIONS_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";

/// `credentialSchema.type` of the 1EdTech JSON Schema validator.
pub const JSON_SCHEMA_VALIDATOR_TYPE: &str = "1EdTechJsonSchemaValidator2019";
/// `credentialStatus.type` of the 1EdTech revocation list.
pub const REVOCATION_LIST_TYPE: &str = "1EdTechRevocationList";
/// `refreshService.type` of the 1EdTech refresh service.
pub const CREDENTIAL_REFRESH_TYPE: &str = "1EdTechCredentialRefresh";
/// The types defined only by [`OB_EXTENSIONS_CONTEXT`].
pub const ONE_EDTECH_TYPES: [&str; 3] = [
    JSON_SCHEMA_VALIDATOR_TYPE,
    REVOCATION_LIST_TYPE,
    CREDENTIAL_REFRESH_TYPE,
];

/// Version of the VC data model a credential uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum VcVersion {
    /// VC 1.1 (`credentials/v1`, `issuanceDate`, `expirationDate`).
    V1_1,
    /// VC 2.0 (`credentials/v2`, `validFrom`, `validUntil`).
    V2_0,
}

/// Which OB 3.0 context file a credential uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ObContextVersion {
    /// `context.json`.
    V3_0,
    /// `context-3.0.1.json`.
    V3_0_1,
    /// `context-3.0.2.json`.
    V3_0_2,
    /// `context-3.0.3.json`.
    V3_0_3,
}

impl ObContextVersion {
    /// Recognises one of the four OB 3.0 context URLs.
    pub fn from_url(url: &str) -> Option<Self> {
        match url {
            OB_CONTEXT_3_0 => Some(Self::V3_0),
            OB_CONTEXT_3_0_1 => Some(Self::V3_0_1),
            OB_CONTEXT_3_0_2 => Some(Self::V3_0_2),
            OB_CONTEXT_3_0_3 => Some(Self::V3_0_3),
            _ => None,
        }
    }

    /// The context URL.
    pub fn url(self) -> &'static str {
        match self {
            Self::V3_0 => OB_CONTEXT_3_0,
            Self::V3_0_1 => OB_CONTEXT_3_0_1,
            Self::V3_0_2 => OB_CONTEXT_3_0_2,
            Self::V3_0_3 => OB_CONTEXT_3_0_3,
        }
    }
}

/// What [`check_contexts`] found in an acceptable `@context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextInfo {
    /// VC data model version (from the first entry).
    pub vc: VcVersion,
    /// OB context version (from the second entry).
    pub ob: ObContextVersion,
    /// Whether `extensions.json` is listed.
    pub has_extensions: bool,
}

/// Why an `@context` value is not an OB 3.0 one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// `@context` is missing or not an array.
    #[error("@context must be an array of at least two contexts")]
    NotAnArray,
    /// The first entry is neither VC 2.0 nor VC 1.1.
    #[error(
        "first @context must be {VC_V2_CONTEXT} (or {VC_V1_CONTEXT} for VC 1.1), found {found}"
    )]
    NotVcFirst {
        /// The entry found (JSON text).
        found: String,
    },
    /// The second entry is not one of the OB 3.0 context URLs.
    #[error(
        "second @context must be an OB 3.0 context (3.0, 3.0.1, 3.0.2 or 3.0.3), found {found}"
    )]
    NotObSecond {
        /// The entry found (JSON text), or `nothing`.
        found: String,
    },
}

/// Checks an incoming credential's `@context`: VC 2.0 (or VC 1.1) first, an OB 3.0 context
/// (any of 3.0, 3.0.1, 3.0.2, 3.0.3) second, anything after that.
pub fn check_contexts(context: &Value) -> Result<ContextInfo, ContextError> {
    let entries = context.as_array().ok_or(ContextError::NotAnArray)?;
    let vc = match entries.first() {
        Some(Value::String(s)) if s == VC_V2_CONTEXT => VcVersion::V2_0,
        Some(Value::String(s)) if s == VC_V1_CONTEXT => VcVersion::V1_1,
        Some(other) => {
            return Err(ContextError::NotVcFirst {
                found: other.to_string(),
            });
        }
        None => return Err(ContextError::NotAnArray),
    };
    let ob = match entries.get(1) {
        Some(Value::String(s)) => {
            ObContextVersion::from_url(s).ok_or_else(|| ContextError::NotObSecond {
                found: format!("{s:?}"),
            })?
        }
        Some(other) => {
            return Err(ContextError::NotObSecond {
                found: other.to_string(),
            });
        }
        None => {
            return Err(ContextError::NotObSecond {
                found: "nothing".into(),
            });
        }
    };
    let has_extensions = entries
        .iter()
        .any(|e| e.as_str() == Some(OB_EXTENSIONS_CONTEXT));
    Ok(ContextInfo {
        vc,
        ob,
        has_extensions,
    })
}

/// The `@context` we issue: VC 2.0, OB 3.0.3 and, when a 1EdTech type is used, the
/// extensions context.
pub fn issuance_contexts(uses_1edtech_types: bool) -> Vec<&'static str> {
    let mut v = vec![VC_V2_CONTEXT, OB_CONTEXT_3_0_3];
    if uses_1edtech_types {
        v.push(OB_EXTENSIONS_CONTEXT);
    }
    v
}

/// True when any `type` anywhere in `value` is one of [`ONE_EDTECH_TYPES`].
pub fn uses_1edtech_types(value: &Value) -> bool {
    // Depth-first over an explicit stack: input depth is attacker-controlled.
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(t) = map.get("type") {
                    let hit = match t {
                        Value::String(s) => ONE_EDTECH_TYPES.contains(&s.as_str()),
                        Value::Array(items) => items
                            .iter()
                            .any(|i| i.as_str().is_some_and(|s| ONE_EDTECH_TYPES.contains(&s))),
                        _ => false,
                    };
                    if hit {
                        return true;
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_all_ob_versions_and_vc11() {
        for (url, v) in [
            (OB_CONTEXT_3_0, ObContextVersion::V3_0),
            (OB_CONTEXT_3_0_1, ObContextVersion::V3_0_1),
            (OB_CONTEXT_3_0_2, ObContextVersion::V3_0_2),
            (OB_CONTEXT_3_0_3, ObContextVersion::V3_0_3),
        ] {
            let info = check_contexts(&json!([VC_V2_CONTEXT, url])).unwrap();
            assert_eq!(
                (info.vc, info.ob, info.has_extensions),
                (VcVersion::V2_0, v, false)
            );
            assert_eq!(v.url(), url);
        }
        let info = check_contexts(&json!([
            VC_V1_CONTEXT,
            OB_CONTEXT_3_0_1,
            OB_EXTENSIONS_CONTEXT
        ]))
        .unwrap();
        assert_eq!(info.vc, VcVersion::V1_1);
        assert!(info.has_extensions);
    }

    #[test]
    fn rejects_wrong_order_and_shapes() {
        assert_eq!(
            check_contexts(&json!(VC_V2_CONTEXT)),
            Err(ContextError::NotAnArray)
        );
        assert_eq!(check_contexts(&json!([])), Err(ContextError::NotAnArray));
        assert!(matches!(
            check_contexts(&json!([OB_CONTEXT_3_0_3, VC_V2_CONTEXT])),
            Err(ContextError::NotVcFirst { .. })
        ));
        assert!(matches!(
            check_contexts(&json!([VC_V2_CONTEXT])),
            Err(ContextError::NotObSecond { .. })
        ));
        assert!(matches!(
            check_contexts(&json!([
                VC_V2_CONTEXT,
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.9.json"
            ])),
            Err(ContextError::NotObSecond { .. })
        ));
    }

    #[test]
    fn detects_1edtech_types_at_any_depth() {
        assert!(uses_1edtech_types(
            &json!({"a": [{"b": {"type": "1EdTechRevocationList"}}]})
        ));
        assert!(uses_1edtech_types(
            &json!({"type": ["x", "1EdTechCredentialRefresh"]})
        ));
        assert!(!uses_1edtech_types(
            &json!({"type": "BitstringStatusListEntry"})
        ));
        assert_eq!(issuance_contexts(true).len(), 3);
        assert_eq!(
            issuance_contexts(false),
            vec![VC_V2_CONTEXT, OB_CONTEXT_3_0_3]
        );
    }
}
