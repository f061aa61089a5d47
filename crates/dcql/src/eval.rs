//! Matching credentials against a query (OpenID4VP 1.0 §6.4) and checking a presented
//! `vp_token` against it (§8.6).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{CredentialQuery, DcqlError, DcqlQuery};

/// A credential as DCQL sees it: format, expanded types, claims and whether it can be
/// presented with holder binding. Build one with [`Candidate::ldp_vc`] or
/// [`Candidate::jwt_vc_json`] for W3C credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The format identifier (`ldp_vc`, `jwt_vc_json`, …).
    pub format: String,
    /// The credential's `type` values as fully expanded IRIs (Appendix B.1.1).
    pub expanded_types: Vec<String>,
    /// The claims that paths start from: the VC object (for a JWT VC the `vc` claim, or the
    /// payload itself in the OB 3.0 §8.2 / VCDM 2.0 form).
    pub claims: Value,
    /// Whether the holder can prove control of the credential's subject key.
    pub holder_binding: bool,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Per credential query id, the indices of the candidates that match it, in input order.
    pub matches: BTreeMap<String, Vec<usize>>,
    /// Per credential set (same order as the query's `credential_sets`), which options can be
    /// met; empty when the query has none.
    pub sets: Vec<SetResult>,
    /// Whether the query can be answered: every required credential set has a satisfiable
    /// option, or, without `credential_sets`, every credential query has a match.
    pub can_be_satisfied: bool,
    multiple: BTreeMap<String, bool>,
    set_options: Vec<Vec<Vec<String>>>,
}

/// Which options of one credential set can be met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetResult {
    /// Whether the set is required.
    pub required: bool,
    /// Indices (into `options`) of the options whose every credential query has a match.
    pub matching_options: Vec<usize>,
}

impl Evaluation {
    /// The candidate indices matching credential query `id` (empty if none or unknown).
    pub fn matching(&self, id: &str) -> &[usize] {
        self.matches.get(id).map_or(&[], Vec::as_slice)
    }

    /// What to present, if the query can be answered: per credential query id, the candidate
    /// indices to send (the first match, or all matches when the query allows `multiple`).
    /// With `credential_sets`, each set contributes its first satisfiable option (§6.4.2: the
    /// verifier lists options by preference); optional sets are included when satisfiable, and
    /// credential queries outside every set are not requested. `None` when a required part
    /// cannot be met: then nothing may be sent (§6.4.2).
    pub fn selection(&self) -> Option<BTreeMap<String, Vec<usize>>> {
        if !self.can_be_satisfied {
            return None;
        }
        let ids: Vec<&String> = if self.sets.is_empty() {
            self.matches.keys().collect()
        } else {
            let mut ids = Vec::new();
            for (set, options) in self.sets.iter().zip(&self.set_options) {
                if let Some(option) = set.matching_options.first().and_then(|&i| options.get(i)) {
                    ids.extend(option.iter());
                }
            }
            ids
        };
        let mut out = BTreeMap::new();
        for id in ids {
            let found = self.matching(id);
            let chosen: Vec<usize> = if self.multiple.get(id).copied().unwrap_or(false) {
                found.to_vec()
            } else {
                found.iter().take(1).copied().collect()
            };
            if chosen.is_empty() {
                return None;
            }
            out.insert(id.clone(), chosen);
        }
        Some(out)
    }
}

/// Matches `candidates` against every credential query of `query` (§6.4) and works out
/// whether, and with what, the query can be answered. The query should have passed
/// [`DcqlQuery::validate`]; an invalid one gives a meaningful but unspecified answer.
///
/// A candidate matches a credential query when its format is the query's; it has holder
/// binding if the query requires it; its expanded types contain every IRI of one
/// `type_values` alternative (W3C formats) or its `vct` is listed (`dc+sd-jwt`); it satisfies
/// the claims (all of them, or the first satisfiable `claim_sets` option); and the query has no
/// `trusted_authorities` (a wallet cannot tell from a W3C credential which trust framework
/// certifies its issuer, so such a query never matches here).
pub fn evaluate(query: &DcqlQuery, candidates: &[Candidate]) -> Evaluation {
    let matches: BTreeMap<String, Vec<usize>> = query
        .credentials
        .iter()
        .map(|cq| {
            let found = candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| candidate_matches(cq, c))
                .map(|(i, _)| i)
                .collect();
            (cq.id.clone(), found)
        })
        .collect();
    let has = |id: &String| matches.get(id).is_some_and(|m| !m.is_empty());
    let sets: Vec<SetResult> = query
        .credential_sets
        .iter()
        .flatten()
        .map(|set| SetResult {
            required: set.required,
            matching_options: set
                .options
                .iter()
                .enumerate()
                .filter(|(_, option)| option.iter().all(has))
                .map(|(i, _)| i)
                .collect(),
        })
        .collect();
    let can_be_satisfied = if query.credential_sets.is_some() {
        sets.iter()
            .all(|s| !s.required || !s.matching_options.is_empty())
    } else {
        query.credentials.iter().all(|c| has(&c.id))
    };
    Evaluation {
        matches,
        sets,
        can_be_satisfied,
        multiple: query
            .credentials
            .iter()
            .map(|c| (c.id.clone(), c.multiple))
            .collect(),
        set_options: query
            .credential_sets
            .iter()
            .flatten()
            .map(|s| s.options.clone())
            .collect(),
    }
}

/// Whether one candidate answers one credential query (see [`evaluate`]).
pub(crate) fn candidate_matches(cq: &CredentialQuery, c: &Candidate) -> bool {
    if c.format != cq.format {
        return false;
    }
    if cq.require_cryptographic_holder_binding && !c.holder_binding {
        return false;
    }
    if cq.trusted_authorities.is_some() {
        return false;
    }
    meta_matches(cq, c) && claims_match(cq, c)
}

fn meta_matches(cq: &CredentialQuery, c: &Candidate) -> bool {
    let meta = cq.meta.as_ref();
    if cq.is_w3c() {
        return match meta.and_then(|m| m.type_values.as_ref()) {
            Some(alternatives) => alternatives
                .iter()
                .any(|alt| alt.iter().all(|t| c.expanded_types.contains(t))),
            None => !c.expanded_types.is_empty(),
        };
    }
    if cq.format == "dc+sd-jwt" {
        let Some(vct) = c.claims.get("vct").and_then(Value::as_str) else {
            return false;
        };
        return meta
            .and_then(|m| m.vct_values.as_ref())
            .is_none_or(|allowed| allowed.iter().any(|a| a == vct));
    }
    // Other formats (mso_mdoc, …) are not held by this wallet: never a match.
    false
}

fn claims_match(cq: &CredentialQuery, c: &Candidate) -> bool {
    let Some(claims) = &cq.claims else {
        return true;
    };
    let ok: Vec<bool> = claims
        .iter()
        .map(|q| q.path.matches(&c.claims, q.values.as_deref()))
        .collect();
    match &cq.claim_sets {
        None => ok.iter().all(|&b| b),
        Some(sets) => sets.iter().any(|set| {
            set.iter().all(|cid| {
                claims
                    .iter()
                    .position(|q| q.id.as_deref() == Some(cid.as_str()))
                    .and_then(|i| ok.get(i).copied())
                    .unwrap_or(false)
            })
        }),
    }
}

/// The verifier's DCQL check of a received `vp_token` (§6.4, §8.1, §8.6), once each
/// presentation has been verified and its credential turned into a [`Candidate`]: keys must
/// be query ids, arrays non-empty and of one element unless `multiple`, each credential must
/// match its query, and required credential sets (or, without sets, every query) must be met.
pub fn check_presented(
    query: &DcqlQuery,
    presented: &BTreeMap<String, Vec<Candidate>>,
) -> Result<(), DcqlError> {
    for (id, creds) in presented {
        let cq = query
            .credential(id)
            .ok_or_else(|| DcqlError::UnknownPresentedId(id.clone()))?;
        if creds.is_empty() {
            return Err(DcqlError::EmptyPresentation(id.clone()));
        }
        if creds.len() > 1 && !cq.multiple {
            return Err(DcqlError::MultipleNotAllowed(id.clone()));
        }
        if let Some(index) = creds.iter().position(|c| !candidate_matches(cq, c)) {
            return Err(DcqlError::PresentedMismatch {
                id: id.clone(),
                index,
            });
        }
    }
    match &query.credential_sets {
        Some(sets) => {
            for (i, set) in sets.iter().enumerate() {
                let met = set
                    .options
                    .iter()
                    .any(|option| option.iter().all(|id| presented.contains_key(id)));
                if set.required && !met {
                    return Err(DcqlError::RequiredSetUnmet(i));
                }
            }
        }
        None => {
            if let Some(missing) = query
                .credentials
                .iter()
                .find(|c| !presented.contains_key(&c.id))
            {
                return Err(DcqlError::MissingCredential(missing.id.clone()));
            }
        }
    }
    Ok(())
}
