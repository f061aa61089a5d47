//! The DCQL query model (OpenID4VP 1.0 §6.1–§6.3) and its validation.
//!
//! Unknown members are kept in `extra` (the spec says to ignore them, and a verifier that
//! re-serialises a query must not lose them).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ClaimPath, DcqlError, PathElement, W3C_FORMATS};

/// A DCQL query (§6): the `dcql_query` request parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcqlQuery {
    /// REQUIRED, non-empty: the credential queries.
    pub credentials: Vec<CredentialQuery>,
    /// OPTIONAL: which combinations of credentials satisfy the request (§6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A Credential Query (§6.1): one requested credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    /// REQUIRED: `[A-Za-z0-9_-]+`, unique in the query; the key in `vp_token`.
    pub id: String,
    /// REQUIRED: the credential format identifier (`ldp_vc`, `jwt_vc_json`, …).
    pub format: String,
    /// REQUIRED (may be `{}`): format-specific metadata constraints. `None` only so that
    /// [`DcqlQuery::validate`] can name the omission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<CredentialMeta>,
    /// OPTIONAL: the requested claims; absent means the whole (non-selectively-disclosable)
    /// credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    /// OPTIONAL: alternative sets of claim ids, in order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
    /// Whether several credentials may answer this query (default `false`).
    #[serde(default)]
    pub multiple: bool,
    /// OPTIONAL: accepted issuers' trust frameworks (§6.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Vec<TrustedAuthoritiesQuery>>,
    /// Whether the presentation must prove holder binding (default `true`).
    #[serde(default = "default_true")]
    pub require_cryptographic_holder_binding: bool,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

fn default_true() -> bool {
    true
}

/// The `meta` object of a credential query; its members depend on the format.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CredentialMeta {
    /// W3C formats (Appendix B.1.1): alternatives, each a set of fully expanded type IRIs
    /// that must all be among the credential's types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_values: Option<Vec<Vec<String>>>,
    /// SD-JWT VC (Appendix B.3.5): accepted `vct` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct_values: Option<Vec<String>>,
    /// Other members (e.g. mdoc `doctype_value`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A Claims Query (§6.3): one requested claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsQuery {
    /// REQUIRED when `claim_sets` is present: the id claim sets refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED: where the claim is (§7).
    pub path: ClaimPath,
    /// OPTIONAL: accepted values (strings, integers, booleans); any one must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A Credential Set Query (§6.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialSetQuery {
    /// REQUIRED, non-empty: each option is a list of credential query ids that together
    /// satisfy the use case.
    pub options: Vec<Vec<String>>,
    /// Whether the set must be satisfied (default `true`).
    #[serde(default = "default_true")]
    pub required: bool,
    /// Members this version does not know (e.g. `purpose`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A Trusted Authorities Query (§6.1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustedAuthoritiesQuery {
    /// REQUIRED: `aki`, `etsi_tl`, `openid_federation` or another registered type.
    #[serde(rename = "type")]
    pub kind: String,
    /// REQUIRED, non-empty: type-specific identifiers.
    pub values: Vec<String>,
    /// Members this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn non_empty<T>(items: &[T], what: &'static str, at: &str) -> Result<(), DcqlError> {
    if items.is_empty() {
        return Err(DcqlError::EmptyArray {
            what,
            at: at.to_owned(),
        });
    }
    Ok(())
}

impl DcqlQuery {
    /// Parses a query from JSON (the Request Object member, or the decoded request parameter).
    pub fn from_json(value: &Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(value)
    }

    /// The credential query with this id.
    pub fn credential(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.id == id)
    }

    /// Checks the rules of §6.1–§6.3 and Appendix B.1.1 that parsing cannot: ids and their
    /// uniqueness, non-empty arrays, claim set ids, path rules, `meta` presence and W3C
    /// `type_values`. A wallet must refuse a request whose query fails this.
    pub fn validate(&self) -> Result<(), DcqlError> {
        if self.credentials.is_empty() {
            return Err(DcqlError::NoCredentialQueries);
        }
        let mut ids = BTreeSet::new();
        for c in &self.credentials {
            if !valid_id(&c.id) {
                return Err(DcqlError::InvalidId(c.id.clone()));
            }
            if !ids.insert(c.id.as_str()) {
                return Err(DcqlError::DuplicateCredentialId(c.id.clone()));
            }
            c.validate()?;
        }
        if let Some(sets) = &self.credential_sets {
            non_empty(sets, "credential_sets", "query")?;
            for (i, set) in sets.iter().enumerate() {
                let at = format!("credential set {i}");
                non_empty(&set.options, "options", &at)?;
                for option in &set.options {
                    non_empty(option, "option", &at)?;
                    for id in option {
                        if !ids.contains(id.as_str()) {
                            return Err(DcqlError::UnknownCredentialSetId {
                                set: i,
                                id: id.clone(),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl CredentialQuery {
    /// Whether the format is a W3C VC format (Appendix B.1).
    pub fn is_w3c(&self) -> bool {
        W3C_FORMATS.contains(&self.format.as_str())
    }

    fn validate(&self) -> Result<(), DcqlError> {
        let id = &self.id;
        let meta = self
            .meta
            .as_ref()
            .ok_or_else(|| DcqlError::MissingMeta(id.clone()))?;
        if self.is_w3c() {
            let ok = meta
                .type_values
                .as_ref()
                .is_some_and(|alts| !alts.is_empty() && alts.iter().all(|a| !a.is_empty()));
            if !ok {
                return Err(DcqlError::MissingTypeValues(id.clone()));
            }
        }
        if let Some(ta) = &self.trusted_authorities {
            non_empty(ta, "trusted_authorities", id)?;
            for t in ta {
                non_empty(&t.values, "trusted_authorities values", id)?;
            }
        }
        let mut claim_ids = BTreeSet::new();
        if let Some(claims) = &self.claims {
            non_empty(claims, "claims", id)?;
            for claim in claims {
                self.validate_claim(claim)?;
                if let Some(cid) = &claim.id {
                    if !valid_id(cid) {
                        return Err(DcqlError::InvalidId(cid.clone()));
                    }
                    if !claim_ids.insert(cid.as_str()) {
                        return Err(DcqlError::DuplicateClaimId {
                            query: id.clone(),
                            claim: cid.clone(),
                        });
                    }
                }
            }
        }
        if let Some(sets) = &self.claim_sets {
            non_empty(sets, "claim_sets", id)?;
            for set in sets {
                non_empty(set, "claim set", id)?;
                for cid in set {
                    if !claim_ids.contains(cid.as_str()) {
                        return Err(DcqlError::UnknownClaimId {
                            query: id.clone(),
                            claim: cid.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn validate_claim(&self, claim: &ClaimsQuery) -> Result<(), DcqlError> {
        let invalid = |reason| DcqlError::InvalidPath {
            query: self.id.clone(),
            reason,
        };
        let path = claim.path.elements();
        if path.is_empty() {
            return Err(invalid("it is empty"));
        }
        if self.format == "mso_mdoc"
            && !(path.len() == 2 && path.iter().all(|e| matches!(e, PathElement::Key(_))))
        {
            return Err(invalid("an mdoc path is a namespace and an element name"));
        }
        if let Some(values) = &claim.values {
            non_empty(values, "values", &self.id)?;
            let scalar = |v: &Value| v.is_string() || v.is_boolean() || v.is_i64() || v.is_u64();
            if !values.iter().all(scalar) {
                return Err(DcqlError::InvalidClaimValue(self.id.clone()));
            }
        }
        Ok(())
    }
}
