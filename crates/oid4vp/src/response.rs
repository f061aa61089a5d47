//! The Authorization Response (OpenID4VP 1.0 §8): the `vp_token` (§8.1) sent by `direct_post`
//! (§8.2), its form encoding, and [`ResponseError`], the one enum every verifier-side failure
//! maps through to a §8.5 code.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::{ErrorCode, ErrorResponse};
use crate::secret::State;

/// Largest `direct_post` body [`parse_direct_post`] reads (1 MiB).
pub const MAX_RESPONSE_LEN: usize = 1024 * 1024;

/// The `vp_token` (OpenID4VP 1.0 §8.1): per DCQL credential query id, the presentations
/// answering it (always an array; one element unless the query sets `multiple`).
pub type VpToken = BTreeMap<String, Vec<Value>>;

/// A parsed Authorization Response (OpenID4VP 1.0 §8.1, §8.2, §8.5).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AuthorizationResponse {
    /// The wallet answered with presentations.
    VpToken {
        /// The presentations, by DCQL query id.
        vp_token: VpToken,
        /// The request's `state`, echoed.
        state: Option<State>,
    },
    /// The wallet reported an error (§8.5).
    Error {
        /// The code.
        error: ErrorCode,
        /// The wallet's description, if any.
        error_description: Option<String>,
        /// The request's `state`, echoed.
        state: Option<State>,
    },
}

impl AuthorizationResponse {
    /// The echoed `state`.
    pub fn state(&self) -> Option<&State> {
        match self {
            Self::VpToken { state, .. } | Self::Error { state, .. } => state.as_ref(),
        }
    }
}

/// Parses a `direct_post` body (`application/x-www-form-urlencoded`, §8.2): `vp_token` is a
/// JSON object of arrays (string or object presentations), or `error` is set. A repeated
/// parameter, an encrypted `response` (`direct_post.jwt`, not supported) and a pre-1.0 shape
/// (a `presentation_submission`, non-array values) are refused.
pub fn parse_direct_post(body: &[u8]) -> Result<AuthorizationResponse, ResponseError> {
    if body.len() > MAX_RESPONSE_LEN {
        return Err(ResponseError::BodyTooLarge);
    }
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if params.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(ResponseError::DuplicateParameter(k.into_owned()));
        }
    }
    if params.contains_key("response") {
        return Err(ResponseError::EncryptedResponseUnsupported);
    }
    if params.contains_key("presentation_submission") {
        return Err(ResponseError::PresentationSubmissionPresent);
    }
    let state = params
        .get("state")
        .map(|s| State::from_presented(s.clone()));
    if let Some(error) = params.get("error") {
        return Ok(AuthorizationResponse::Error {
            error: ErrorCode::from(error.as_str()),
            error_description: params.get("error_description").cloned(),
            state,
        });
    }
    let text = params
        .get("vp_token")
        .ok_or(ResponseError::MissingVpToken)?;
    let value: Value = serde_json::from_str(text).map_err(|_| ResponseError::VpTokenNotJson)?;
    let Value::Object(map) = value else {
        return Err(ResponseError::VpTokenNotObject);
    };
    let mut vp_token = VpToken::new();
    for (id, entry) in map {
        let Value::Array(items) = entry else {
            return Err(ResponseError::VpTokenNotArray { id });
        };
        if items.is_empty() {
            return Err(ResponseError::EmptyPresentationList { id });
        }
        if items
            .iter()
            .any(|p| !matches!(p, Value::String(_) | Value::Object(_)))
        {
            return Err(ResponseError::PresentationMalformed {
                id,
                reason: "a presentation is a JSON object or a JWT string".into(),
            });
        }
        vp_token.insert(id, items);
    }
    if vp_token.is_empty() {
        return Err(ResponseError::VpTokenNotObject);
    }
    Ok(AuthorizationResponse::VpToken { vp_token, state })
}

/// The `direct_post` form body a wallet sends (§8.2): `vp_token` as a JSON string, and
/// `state` when the request had one.
pub fn direct_post_form(vp_token: &VpToken, state: Option<&str>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair(
        "vp_token",
        &serde_json::to_string(vp_token).unwrap_or_default(),
    );
    if let Some(state) = state {
        out.append_pair("state", state);
    }
    out.finish()
}

/// The `direct_post` form body of a wallet error (§8.5), e.g. from
/// [`RequestError::to_error_response`](crate::RequestError::to_error_response).
pub fn direct_post_error_form(error: &ErrorResponse, state: Option<&str>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair("error", error.error.as_str());
    if let Some(d) = &error.error_description {
        out.append_pair("error_description", d);
    }
    if let Some(state) = state {
        out.append_pair("state", state);
    }
    out.finish()
}

/// What the verifier answers a successful `direct_post` with (§8.2): 200 and a JSON object,
/// with `redirect_uri` only in same-device flows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DirectPostAck {
    /// OPTIONAL: where the wallet sends the user next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

/// Why a verifier refuses a response. Every variant names the violation; [`Self::code`] maps
/// them to §8.5 codes and [`Self::violation`] to a stable name (the one place both are decided).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The body is larger than [`MAX_RESPONSE_LEN`].
    #[error("the response body is too large")]
    BodyTooLarge,
    /// The body is not a form.
    #[error("the response body is not a form")]
    MalformedBody,
    /// A parameter appears twice.
    #[error("parameter {0} appears more than once")]
    DuplicateParameter(String),
    /// `response` (`direct_post.jwt`) was sent; Rosette asks for `direct_post`.
    #[error("encrypted responses (direct_post.jwt) were not requested")]
    EncryptedResponseUnsupported,
    /// A pre-1.0 Presentation Exchange response.
    #[error("presentation_submission is not part of OpenID4VP 1.0; answer the DCQL query")]
    PresentationSubmissionPresent,
    /// Neither `vp_token` nor `error`.
    #[error("vp_token is missing")]
    MissingVpToken,
    /// `vp_token` is not JSON.
    #[error("vp_token is not JSON")]
    VpTokenNotJson,
    /// `vp_token` is not a non-empty JSON object.
    #[error("vp_token is not a non-empty JSON object keyed by DCQL query id")]
    VpTokenNotObject,
    /// §8.1: a value is not an array (pre-1.0 dialect).
    #[error("vp_token entry {id} is not an array")]
    VpTokenNotArray {
        /// The query id.
        id: String,
    },
    /// An empty array.
    #[error("vp_token entry {id} is an empty array")]
    EmptyPresentationList {
        /// The query id.
        id: String,
    },
    /// A key that is no credential query id of the request.
    #[error("vp_token entry {id} answers no credential query of the request")]
    UnknownQueryId {
        /// The key.
        id: String,
    },
    /// §8.1: more than one presentation for a query without `multiple`.
    #[error("vp_token entry {id} has several presentations but the query is not multiple")]
    TooManyPresentations {
        /// The query id.
        id: String,
    },
    /// `state` is missing, unknown, already answered or expired.
    #[error("state is unknown, expired or already answered")]
    UnknownState,
    /// The `state` differs from the request's.
    #[error("state does not match the request")]
    StateMismatch,
    /// The wallet reported an error instead of presenting.
    #[error("the wallet answered {error}: {}", description.as_deref().unwrap_or(""))]
    WalletError {
        /// The wallet's code.
        error: ErrorCode,
        /// Its description.
        description: Option<String>,
    },
    /// A presentation cannot be read.
    #[error("presentation for {id} is malformed: {reason}")]
    PresentationMalformed {
        /// The query id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The presentation's format is not the query's.
    #[error("presentation for {id} is {got}, the query asked for {expected}")]
    FormatMismatch {
        /// The query id.
        id: String,
        /// The query's format.
        expected: String,
        /// What came.
        got: String,
    },
    /// §14.1: the presentation's `nonce` / `challenge` is not the request's nonce.
    #[error("presentation for {id} is bound to another nonce")]
    WrongNonce {
        /// The query id.
        id: String,
    },
    /// §14.1: `aud` / `domain` is not this verifier's full `client_id`.
    #[error("presentation for {id} is bound to another audience: {got:?}")]
    WrongAudience {
        /// The query id.
        id: String,
        /// The audience found.
        got: Option<String>,
    },
    /// The VP-JWT `exp` has passed (or `nbf`/`iat` lie in the future).
    #[error("presentation for {id} is outside its validity window")]
    PresentationExpired {
        /// The query id.
        id: String,
    },
    /// The presentation's own proof does not verify, or is not by its holder.
    #[error("presentation for {id} has an invalid proof: {reason}")]
    InvalidPresentationProof {
        /// The query id.
        id: String,
        /// Why.
        reason: String,
    },
    /// A presentation with no credential in it.
    #[error("presentation for {id} contains no credential")]
    NoCredential {
        /// The query id.
        id: String,
    },
    /// Holder binding: the presenter is not the credential's subject.
    #[error("presentation for {id}: the holder is not the credential subject")]
    HolderNotSubject {
        /// The query id.
        id: String,
    },
    /// A credential's proof, issuer key, format or schema check failed.
    #[error("credential in {id} is invalid: {reason}")]
    InvalidCredential {
        /// The query id.
        id: String,
        /// The first failed check.
        reason: String,
    },
    /// A credential's `validUntil` has passed or `validFrom` lies ahead.
    #[error("credential in {id} is outside its validity window: {reason}")]
    CredentialExpired {
        /// The query id.
        id: String,
        /// The check's detail.
        reason: String,
    },
    /// A credential's status says revoked or suspended.
    #[error("credential in {id} is revoked or suspended: {reason}")]
    CredentialRevoked {
        /// The query id.
        id: String,
        /// The check's detail.
        reason: String,
    },
    /// A credential's issuer is not in the request's trusted list.
    #[error("credential in {id} is issued by {issuer}, which this request does not trust")]
    UntrustedIssuer {
        /// The query id.
        id: String,
        /// The issuer.
        issuer: String,
    },
    /// The presented credentials do not satisfy the DCQL query.
    #[error("the presented credentials do not satisfy the query: {0}")]
    QueryNotSatisfied(String),
    /// The stored request is unusable (no nonce, no DCQL query): a verifier bug, not the wallet's.
    #[error("the stored request is incomplete: {0}")]
    RequestIncomplete(&'static str),
}

impl ResponseError {
    /// The §8.5 / RFC 6749 code (the one place this is decided).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::FormatMismatch { .. } => ErrorCode::VpFormatsNotSupported,
            Self::UntrustedIssuer { .. } | Self::QueryNotSatisfied(_) => ErrorCode::AccessDenied,
            Self::WalletError { error, .. } => error.clone(),
            Self::RequestIncomplete(_) => ErrorCode::ServerError,
            _ => ErrorCode::InvalidRequest,
        }
    }

    /// A stable snake_case name of the violation (the `violation` member of the error body).
    pub fn violation(&self) -> &'static str {
        match self {
            Self::BodyTooLarge => "body_too_large",
            Self::MalformedBody => "malformed_body",
            Self::DuplicateParameter(_) => "duplicate_parameter",
            Self::EncryptedResponseUnsupported => "encrypted_response_unsupported",
            Self::PresentationSubmissionPresent => "presentation_submission_present",
            Self::MissingVpToken => "missing_vp_token",
            Self::VpTokenNotJson => "vp_token_not_json",
            Self::VpTokenNotObject => "vp_token_not_object",
            Self::VpTokenNotArray { .. } => "vp_token_not_array",
            Self::EmptyPresentationList { .. } => "empty_presentation_list",
            Self::UnknownQueryId { .. } => "unknown_query_id",
            Self::TooManyPresentations { .. } => "too_many_presentations",
            Self::UnknownState => "unknown_state",
            Self::StateMismatch => "state_mismatch",
            Self::WalletError { .. } => "wallet_error",
            Self::PresentationMalformed { .. } => "presentation_malformed",
            Self::FormatMismatch { .. } => "format_mismatch",
            Self::WrongNonce { .. } => "wrong_nonce",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::PresentationExpired { .. } => "presentation_expired",
            Self::InvalidPresentationProof { .. } => "invalid_presentation_proof",
            Self::NoCredential { .. } => "no_credential",
            Self::HolderNotSubject { .. } => "holder_not_subject",
            Self::InvalidCredential { .. } => "invalid_credential",
            Self::CredentialExpired { .. } => "credential_expired",
            Self::CredentialRevoked { .. } => "credential_revoked",
            Self::UntrustedIssuer { .. } => "untrusted_issuer",
            Self::QueryNotSatisfied(_) => "query_not_satisfied",
            Self::RequestIncomplete(_) => "request_incomplete",
        }
    }

    /// HTTP status and body for the wallet: 400 with the code, description and violation;
    /// 500 with a generic body for [`Self::RequestIncomplete`] (our fault, details to the log).
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        match self {
            Self::RequestIncomplete(_) => (
                500,
                ErrorResponse::new(ErrorCode::ServerError, Some("internal error")),
            ),
            // The code stays invalid_request (OpenID4VP has no code for size); the status says
            // what HTTP says of a body past the limit.
            Self::BodyTooLarge => (
                413,
                ErrorResponse::new(self.code(), Some(&self.to_string()))
                    .with_violation(self.violation()),
            ),
            _ => (
                400,
                ErrorResponse::new(self.code(), Some(&self.to_string()))
                    .with_violation(self.violation()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_round_trip() {
        let mut token = VpToken::new();
        token.insert("badge".into(), vec![Value::from("a.b.c")]);
        let form = direct_post_form(&token, Some("st"));
        let parsed = parse_direct_post(form.as_bytes()).unwrap();
        assert_eq!(
            parsed,
            AuthorizationResponse::VpToken {
                vp_token: token,
                state: Some(State::from_presented("st"))
            }
        );
    }

    #[test]
    fn shapes_of_older_drafts_are_refused() {
        let not_array = "vp_token=%7B%22a%22%3A%22x.y.z%22%7D";
        assert_eq!(
            parse_direct_post(not_array.as_bytes()),
            Err(ResponseError::VpTokenNotArray { id: "a".into() })
        );
        assert_eq!(
            parse_direct_post(b"vp_token=x.y.z"),
            Err(ResponseError::VpTokenNotJson)
        );
        assert_eq!(
            parse_direct_post(b"vp_token=%7B%7D&vp_token=%7B%7D"),
            Err(ResponseError::DuplicateParameter("vp_token".into()))
        );
        assert_eq!(
            parse_direct_post(b"response=eyJ"),
            Err(ResponseError::EncryptedResponseUnsupported)
        );
    }

    #[test]
    fn wallet_errors_are_parsed() {
        let r = parse_direct_post(b"error=access_denied&state=s").unwrap();
        assert!(matches!(
            r,
            AuthorizationResponse::Error {
                error: ErrorCode::AccessDenied,
                ..
            }
        ));
        assert_eq!(r.state().map(State::expose_secret), Some("s"));
    }

    #[test]
    fn wire_mapping_names_the_violation() {
        let (status, body) = ResponseError::WrongNonce { id: "b".into() }.to_wire();
        assert_eq!(status, 400);
        assert_eq!(body.error, ErrorCode::InvalidRequest);
        assert_eq!(body.violation(), Some("wrong_nonce"));
        let (status, body) = ResponseError::RequestIncomplete("nonce").to_wire();
        assert_eq!((status, body.violation()), (500, None));
    }
}
