//! Answering an OpenID4VP 1.0 request from the store: stored badges as DCQL candidates, and the
//! `vp_token` (§8.1) for the badges the holder agreed to share, bound to the verifier (§14.1).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_core::Timestamp;
use rosette_dcql::{Candidate, DcqlQuery};
use rosette_did::SigningKey;
use rosette_proof::Canonicalizer;
use rosette_proof::presentation::{Binding, PresentedCredential, sign_jwt_vp, sign_ldp_vp};
use serde_json::Value;

use crate::{CredentialFormat, StoredBadge};

/// Why a badge cannot be matched or a presentation cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresentError {
    /// The stored credential is neither a JSON credential nor a readable VC-JWT.
    #[error("the stored credential is unreadable")]
    Unreadable,
    /// The credential's types could not be expanded (unknown `@context`).
    #[error("the credential's types cannot be expanded: {0}")]
    Types(#[from] rosette_dcql::w3c::TypeExpansionError),
    /// The selection names a credential query the DCQL query does not have.
    #[error("no credential query {0:?} in the request")]
    UnknownQuery(String),
    /// The selection names a badge index that does not exist.
    #[error("no badge at index {0}")]
    UnknownBadge(usize),
    /// A badge is not in the format its credential query asks for.
    #[error("badge {index} is {have}, but query {query:?} asks for {want}")]
    FormatMismatch {
        /// The credential query.
        query: String,
        /// The badge index.
        index: usize,
        /// The badge's format.
        have: &'static str,
        /// The query's format.
        want: String,
    },
    /// The holder key cannot sign this presentation (eddsa-rdfc-2022 needs Ed25519).
    #[error("signing the ldp_vp failed: {0}")]
    SignLdp(#[from] rosette_proof::data_integrity::SignError),
    /// Signing the VP-JWT failed.
    #[error("signing the VP-JWT failed: {0}")]
    SignJwt(#[from] rosette_did::jws::JwsError),
}

/// The JSON claims of a stored credential: the document, or a VC-JWT's `vc` claim / payload.
fn claims_of(badge: &StoredBadge) -> Result<Value, PresentError> {
    match badge.format {
        CredentialFormat::LdpVc => {
            serde_json::from_str(&badge.credential).map_err(|_| PresentError::Unreadable)
        }
        CredentialFormat::JwtVcJson => {
            let payload = badge
                .credential
                .trim()
                .split('.')
                .nth(1)
                .ok_or(PresentError::Unreadable)?;
            let bytes = URL_SAFE_NO_PAD
                .decode(payload)
                .map_err(|_| PresentError::Unreadable)?;
            let payload: Value =
                serde_json::from_slice(&bytes).map_err(|_| PresentError::Unreadable)?;
            Ok(rosette_dcql::w3c::jwt_vc_claims(&payload).clone())
        }
    }
}

/// A stored badge as a DCQL candidate (OpenID4VP 1.0 Appendix B.1). It has holder binding only
/// when its subject is `holder_did`: the holder can prove control of that key and no other.
pub fn dcql_candidate(badge: &StoredBadge, holder_did: &str) -> Result<Candidate, PresentError> {
    let claims = claims_of(badge)?;
    let expanded_types = rosette_dcql::w3c::expanded_types(&claims)?;
    let subjects = match claims.get("credentialSubject") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let holder_binding = subjects
        .iter()
        .any(|s| s.get("id").and_then(Value::as_str) == Some(holder_did));
    Ok(Candidate {
        format: badge.format.as_str().to_owned(),
        expanded_types,
        claims,
        holder_binding,
    })
}

/// The `vp_token` (§8.1): for each credential query id of `selection`, one presentation per
/// selected badge (indices into `badges`), signed by `holder` and bound to `binding`.
/// `ldp_vc` badges go into an `ldp_vp` (eddsa-rdfc-2022, `challenge` = nonce, `domain` =
/// client_id); `jwt_vc_json` badges into a VP-JWT (`aud` = client_id, `nonce`).
pub fn build_vp_token(
    holder: &SigningKey,
    query: &DcqlQuery,
    selection: &BTreeMap<String, Vec<usize>>,
    badges: &[StoredBadge],
    binding: &Binding,
    now: Timestamp,
) -> Result<BTreeMap<String, Vec<Value>>, PresentError> {
    let did = holder.did_key().to_string();
    let kid = holder.did_key_verification_method().to_string();
    let mut token = BTreeMap::new();
    for (id, indices) in selection {
        let cq = query
            .credential(id)
            .ok_or_else(|| PresentError::UnknownQuery(id.clone()))?;
        let mut presentations = Vec::new();
        for &index in indices {
            let badge = badges.get(index).ok_or(PresentError::UnknownBadge(index))?;
            if badge.format.as_str() != cq.format {
                return Err(PresentError::FormatMismatch {
                    query: id.clone(),
                    index,
                    have: badge.format.as_str(),
                    want: cq.format.clone(),
                });
            }
            let vp = match badge.format {
                CredentialFormat::LdpVc => {
                    let doc: Value = serde_json::from_str(&badge.credential)
                        .map_err(|_| PresentError::Unreadable)?;
                    sign_ldp_vp(
                        &Canonicalizer::bundled(),
                        &did,
                        &kid,
                        holder,
                        &[PresentedCredential::Json(doc)],
                        binding,
                        now,
                    )?
                }
                CredentialFormat::JwtVcJson => Value::String(sign_jwt_vp(
                    &did,
                    &kid,
                    holder,
                    &[PresentedCredential::Jwt(badge.credential.trim().to_owned())],
                    binding,
                    now,
                )?),
            };
            presentations.push(vp);
        }
        token.insert(id.clone(), presentations);
    }
    Ok(token)
}
