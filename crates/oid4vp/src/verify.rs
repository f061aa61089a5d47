//! The verifier's checks of a response (OpenID4VP 1.0 §8.6, §14.1): the `vp_token` shape,
//! each presentation's proof and binding (VP-JWT `aud` = full `client_id` and `nonce`; Data
//! Integrity `domain` = `client_id` and `challenge` = nonce), holder binding to each
//! credential's subject, each credential (proof, issuer key, validity window, status where
//! present), trusted issuers, and that the DCQL query is satisfied.

use std::collections::{BTreeMap, BTreeSet};

use rosette_core::Timestamp;
use rosette_did::jws;
use rosette_proof::presentation::Binding;
use rosette_proof::{CheckName, Outcome, Verdict, Verifier, jwt_vc};
use serde::Serialize;
use serde_json::Value;

use crate::dcql::{self, QuerySummary};
use crate::request::AuthorizationRequest;
use crate::response::{AuthorizationResponse, ResponseError};

/// Allowed clock skew for VP-JWT `exp` / `nbf` / `iat`.
const SKEW_SECONDS: i64 = 60;

/// Issuers a request accepts: any, or a list of DIDs (compared exactly).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedIssuers(Option<BTreeSet<String>>);

impl TrustedIssuers {
    /// Any issuer whose proof verifies.
    pub fn any() -> Self {
        Self(None)
    }

    /// Only these issuers; an empty list means any.
    pub fn from_list(issuers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let set: BTreeSet<String> = issuers.into_iter().map(Into::into).collect();
        if set.is_empty() {
            Self(None)
        } else {
            Self(Some(set))
        }
    }

    /// Whether `issuer` is accepted.
    pub fn trusts(&self, issuer: &str) -> bool {
        self.0.as_ref().is_none_or(|set| set.contains(issuer))
    }

    /// The list, `None` for any.
    pub fn list(&self) -> Option<&BTreeSet<String>> {
        self.0.as_ref()
    }
}

/// A check this crate adds to the proof layer's [`Verdict`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtraCheck {
    /// How it ended.
    pub outcome: Outcome,
    /// What it found.
    pub detail: String,
}

impl ExtraCheck {
    fn new(outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            outcome,
            detail: detail.into(),
        }
    }
}

/// One presented credential: the proof layer's verdict plus the issuer trust check.
#[derive(Clone, Debug, Serialize)]
pub struct CredentialReport {
    /// Format, issuer, subject, achievement and every check of the credential.
    pub verdict: Verdict,
    /// Whether the issuer is one the request trusts.
    pub trusted_issuer: ExtraCheck,
}

/// One presentation in the `vp_token`.
#[derive(Clone, Debug, Serialize)]
pub struct PresentationReport {
    /// The DCQL credential query id it answers.
    pub query_id: String,
    /// The holder DID, when known.
    pub holder: Option<String>,
    /// Checks of the presentation itself (format, proof, binding).
    pub presentation: Verdict,
    /// One report per credential inside.
    pub credentials: Vec<CredentialReport>,
}

/// Everything [`verify_response_report`] found, accepted or not.
#[derive(Clone, Debug, Serialize)]
pub struct VerificationReport {
    /// Each presentation, in `vp_token` order (by query id).
    pub presentations: Vec<PresentationReport>,
    /// Whether the presented credentials satisfy the DCQL query (skipped after an earlier failure).
    pub query: ExtraCheck,
    /// The first violation; `None` when the response is accepted.
    #[serde(skip)]
    pub error: Option<ResponseError>,
}

impl VerificationReport {
    /// True when the response is accepted.
    pub fn is_accepted(&self) -> bool {
        self.error.is_none()
    }

    /// The accepted set, or the first violation.
    pub fn into_result(self) -> Result<VerifiedPresentationSet, ResponseError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(VerifiedPresentationSet {
                presentations: self.presentations,
            }),
        }
    }
}

/// An accepted response: every presentation and credential verified.
#[derive(Clone, Debug, Serialize)]
pub struct VerifiedPresentationSet {
    /// Each presentation with its credential reports.
    pub presentations: Vec<PresentationReport>,
}

/// Verifies `response` against the stored `request`; see the module docs for the checks.
/// `now` judges VP-JWT lifetimes (credential windows use the `verifier`'s clock).
pub async fn verify_response(
    request: &AuthorizationRequest,
    response: &AuthorizationResponse,
    verifier: &Verifier,
    trusted: &TrustedIssuers,
    now: Timestamp,
) -> Result<VerifiedPresentationSet, ResponseError> {
    verify_response_report(request, response, verifier, trusted, now)
        .await
        .into_result()
}

/// [`verify_response`], returning the full report (every check of every presentation) even
/// when the response is refused, for the verifier's result page.
pub async fn verify_response_report(
    request: &AuthorizationRequest,
    response: &AuthorizationResponse,
    verifier: &Verifier,
    trusted: &TrustedIssuers,
    now: Timestamp,
) -> VerificationReport {
    let mut report = VerificationReport {
        presentations: Vec::new(),
        query: ExtraCheck::new(Outcome::Skipped, "not evaluated"),
        error: None,
    };
    if let Err(e) = check(request, response, verifier, trusted, now, &mut report).await {
        report.error = Some(e);
    }
    report
}

async fn check(
    request: &AuthorizationRequest,
    response: &AuthorizationResponse,
    verifier: &Verifier,
    trusted: &TrustedIssuers,
    now: Timestamp,
    report: &mut VerificationReport,
) -> Result<(), ResponseError> {
    let nonce = request
        .nonce
        .as_ref()
        .ok_or(ResponseError::RequestIncomplete("nonce"))?;
    let query = request
        .dcql_query
        .as_ref()
        .ok_or(ResponseError::RequestIncomplete("dcql_query"))?;
    let queries =
        dcql::credential_queries(query).ok_or(ResponseError::RequestIncomplete("dcql_query"))?;
    let vp_token = match response {
        AuthorizationResponse::Error {
            error,
            error_description,
            ..
        } => {
            return Err(ResponseError::WalletError {
                error: error.clone(),
                description: error_description.clone(),
            });
        }
        AuthorizationResponse::VpToken { vp_token, .. } => vp_token,
    };
    if let Some(expected) = &request.state {
        match response.state() {
            Some(got) if got == expected => {}
            _ => return Err(ResponseError::StateMismatch),
        }
    }
    for (id, presentations) in vp_token {
        let q = queries
            .get(id)
            .ok_or_else(|| ResponseError::UnknownQueryId { id: id.clone() })?;
        if presentations.len() > 1 && !q.multiple {
            return Err(ResponseError::TooManyPresentations { id: id.clone() });
        }
    }
    let binding = Binding {
        nonce: nonce.expose_secret().to_owned(),
        audience: request.client_id.as_str().to_owned(),
    };
    let mut first_error: Option<ResponseError> = None;
    let mut presented: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (id, presentations) in vp_token {
        let Some(q) = queries.get(id) else { continue };
        for presentation in presentations {
            let (entry, credentials, error) =
                check_presentation(id, q, presentation, verifier, trusted, &binding, now).await;
            report.presentations.push(entry);
            presented
                .entry(id.clone())
                .or_default()
                .extend(credentials.into_iter().map(|c| (q.format.clone(), c)));
            if first_error.is_none() {
                first_error = error;
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    match dcql::check_satisfied(query, &presented) {
        Ok(()) => {
            report.query = ExtraCheck::new(Outcome::Passed, "the credentials satisfy the query");
            Ok(())
        }
        Err(why) => {
            report.query = ExtraCheck::new(Outcome::Failed, why.clone());
            Err(ResponseError::QueryNotSatisfied(why))
        }
    }
}

/// Checks one presentation; returns its report, the decoded credentials inside (for DCQL) and
/// the first violation.
async fn check_presentation(
    id: &str,
    query: &QuerySummary,
    presentation: &Value,
    verifier: &Verifier,
    trusted: &TrustedIssuers,
    binding: &Binding,
    now: Timestamp,
) -> (PresentationReport, Vec<Value>, Option<ResponseError>) {
    let mut error = None;
    let mut note = |e: ResponseError| {
        if error.is_none() {
            error = Some(e);
        }
    };
    let shape_ok = matches!(
        (query.format.as_str(), presentation),
        ("ldp_vc", Value::Object(_)) | ("jwt_vc_json", Value::String(_))
    );
    if !shape_ok {
        note(ResponseError::FormatMismatch {
            id: id.to_owned(),
            expected: query.format.clone(),
            got: match presentation {
                Value::String(_) => "a VP-JWT".into(),
                _ => "a JSON-LD presentation".into(),
            },
        });
    }
    // Binding first, by name: a replayed presentation has a valid signature.
    match claimed_binding(presentation) {
        Err(reason) => note(ResponseError::PresentationMalformed {
            id: id.to_owned(),
            reason,
        }),
        Ok(claimed) => {
            if claimed.nonce.as_deref() != Some(binding.nonce.as_str()) {
                note(ResponseError::WrongNonce { id: id.to_owned() });
            } else if !claimed.audiences.iter().any(|a| a == &binding.audience) {
                note(ResponseError::WrongAudience {
                    id: id.to_owned(),
                    got: claimed.audiences.first().cloned(),
                });
            }
            let late = claimed
                .exp
                .is_some_and(|exp| now.unix() > exp.saturating_add(SKEW_SECONDS));
            let early = [claimed.nbf, claimed.iat]
                .into_iter()
                .flatten()
                .any(|t| t > now.unix().saturating_add(SKEW_SECONDS));
            if late || early {
                note(ResponseError::PresentationExpired { id: id.to_owned() });
            }
        }
    }
    let decoded = embedded_credentials(presentation);
    // Untrusted issuers are refused before any key is resolved: their did:web documents are
    // never fetched on a holder's say-so.
    if trusted.list().is_some() {
        let untrusted: Vec<&Value> = decoded
            .iter()
            .filter(|c| {
                c.as_object()
                    .and_then(jwt_vc::issuer_id)
                    .is_none_or(|issuer| !trusted.trusts(issuer))
            })
            .collect();
        if !untrusted.is_empty() {
            let credentials = untrusted
                .iter()
                .map(|c| unverified_report(c, query.format.as_str()))
                .collect::<Vec<_>>();
            let issuer = credentials
                .first()
                .and_then(|c| c.verdict.issuer.clone())
                .unwrap_or_else(|| "an unnamed issuer".to_owned());
            note(ResponseError::UntrustedIssuer {
                id: id.to_owned(),
                issuer,
            });
            let entry = PresentationReport {
                query_id: id.to_owned(),
                holder: None,
                presentation: Verdict::default(),
                credentials,
            };
            return (entry, decoded, error);
        }
    }
    let verdict = verifier.verify_presentation(presentation, binding).await;
    if let Some(failed) = verdict.presentation.first_failure() {
        match failed.name {
            CheckName::Binding => {}
            CheckName::Format => note(ResponseError::PresentationMalformed {
                id: id.to_owned(),
                reason: failed.detail.clone(),
            }),
            _ => note(ResponseError::InvalidPresentationProof {
                id: id.to_owned(),
                reason: failed.detail.clone(),
            }),
        }
    }
    if verdict.credentials.is_empty() {
        note(ResponseError::NoCredential { id: id.to_owned() });
    }
    let mut credentials = Vec::new();
    for credential in &verdict.credentials {
        let trusted_issuer = match credential.issuer.as_deref() {
            Some(issuer) if trusted.trusts(issuer) => ExtraCheck::new(
                Outcome::Passed,
                match trusted.list() {
                    Some(_) => format!("{issuer} is a trusted issuer"),
                    None => format!("any issuer is accepted ({issuer})"),
                },
            ),
            Some(issuer) => {
                note(ResponseError::UntrustedIssuer {
                    id: id.to_owned(),
                    issuer: issuer.to_owned(),
                });
                ExtraCheck::new(Outcome::Failed, format!("{issuer} is not a trusted issuer"))
            }
            None => ExtraCheck::new(Outcome::Failed, "the credential names no issuer"),
        };
        let wanted_format = query.format.as_str();
        if credential
            .format
            .as_deref()
            .is_some_and(|f| f != wanted_format)
        {
            note(ResponseError::FormatMismatch {
                id: id.to_owned(),
                expected: wanted_format.to_owned(),
                got: credential.format.clone().unwrap_or_default(),
            });
        }
        if let Some(failed) = credential.first_failure() {
            let reason = failed.detail.clone();
            note(match failed.name {
                CheckName::Binding => ResponseError::HolderNotSubject { id: id.to_owned() },
                CheckName::ValidityWindow => ResponseError::CredentialExpired {
                    id: id.to_owned(),
                    reason,
                },
                CheckName::Status => ResponseError::CredentialRevoked {
                    id: id.to_owned(),
                    reason,
                },
                _ => ResponseError::InvalidCredential {
                    id: id.to_owned(),
                    reason: format!("{}: {reason}", failed.name.label()),
                },
            });
        }
        credentials.push(CredentialReport {
            verdict: credential.clone(),
            trusted_issuer,
        });
    }
    let entry = PresentationReport {
        query_id: id.to_owned(),
        holder: verdict.holder.clone(),
        presentation: verdict.presentation,
        credentials,
    };
    (entry, decoded, error)
}

/// The report of a credential that was not verified because its issuer is not trusted.
fn unverified_report(credential: &Value, format: &str) -> CredentialReport {
    let object = credential.as_object();
    let issuer = object.and_then(jwt_vc::issuer_id).map(str::to_owned);
    let subject = credential.get("credentialSubject");
    let verdict = Verdict {
        format: Some(format.to_owned()),
        credential_id: credential
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        issuer: issuer.clone(),
        issuer_name: credential
            .get("issuer")
            .and_then(|i| i.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        subject: subject
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        achievement: subject
            .and_then(|s| s.get("achievement"))
            .and_then(|a| a.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        checks: vec![rosette_proof::Check {
            name: CheckName::Proof,
            outcome: Outcome::Skipped,
            detail: "not verified: the issuer is not trusted by this request".to_owned(),
        }],
    };
    let detail = match &issuer {
        Some(i) => format!("{i} is not a trusted issuer"),
        None => "the credential names no issuer".to_owned(),
    };
    CredentialReport {
        verdict,
        trusted_issuer: ExtraCheck::new(Outcome::Failed, detail),
    }
}

/// What a presentation claims to be bound to, read before any signature check.
struct ClaimedBinding {
    nonce: Option<String>,
    audiences: Vec<String>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

fn claimed_binding(presentation: &Value) -> Result<ClaimedBinding, String> {
    match presentation {
        Value::String(jwt) => {
            let decoded =
                jws::decode_compact(jwt.trim()).map_err(|e| format!("not a VP-JWT: {e}"))?;
            let claims: Value = serde_json::from_slice(&decoded.payload)
                .map_err(|_| "the VP-JWT payload is not JSON".to_owned())?;
            let audiences = match claims.get("aud") {
                Some(Value::String(a)) => vec![a.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            let int = |name: &str| claims.get(name).and_then(Value::as_i64);
            Ok(ClaimedBinding {
                nonce: claims
                    .get("nonce")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                audiences,
                exp: int("exp"),
                nbf: int("nbf"),
                iat: int("iat"),
            })
        }
        Value::Object(object) => {
            let proof = match object.get("proof") {
                Some(Value::Array(list)) => list.first(),
                other => other,
            }
            .ok_or("the presentation has no proof")?;
            Ok(ClaimedBinding {
                nonce: proof
                    .get("challenge")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                audiences: proof
                    .get("domain")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .into_iter()
                    .collect(),
                exp: None,
                nbf: None,
                iat: None,
            })
        }
        _ => Err("a presentation is a JSON object or a JWT string".into()),
    }
}

/// The credentials inside a presentation as JSON, VC-JWTs decoded (signatures are checked by
/// the proof layer; this feeds the DCQL match only).
fn embedded_credentials(presentation: &Value) -> Vec<Value> {
    let list = match presentation {
        Value::String(jwt) => jws::decode_compact(jwt.trim())
            .ok()
            .and_then(|d| serde_json::from_slice::<Value>(&d.payload).ok())
            .and_then(|claims| claims.get("vp")?.get("verifiableCredential").cloned()),
        Value::Object(object) => object.get("verifiableCredential").cloned(),
        _ => None,
    };
    let items = match list {
        Some(Value::Array(items)) => items,
        Some(one) => vec![one],
        None => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::String(jwt) => jwt_vc::decode(&jwt).ok().map(|vc| vc.credential),
            Value::Object(ref o) => match o
                .get("id")
                .and_then(Value::as_str)
                .and_then(|i| i.strip_prefix("data:application/vc+jwt,"))
            {
                Some(jwt) => jwt_vc::decode(jwt).ok().map(|vc| vc.credential),
                None => Some(item),
            },
            _ => None,
        })
        .collect()
}
