//! Errors of the agent's operations and their one mapping to HTTP.
//!
//! Protocol endpoints answer with the OAuth / OpenID4VCI envelope of `rosette-oid4vci`; the
//! admin API uses the same `{error, error_description}` shape with its own codes. Internal
//! failures are logged and answered with a generic 500 body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rosette_oid4vci::{
    BearerError, CredentialRequestError, ErrorResponse, NonceError, NotificationError, ProofError,
    TokenError,
};
use rosette_storage::StorageError;
use serde_json::json;

/// Why a protocol (OpenID4VCI) request failed.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// Token endpoint refusal.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Bad or missing bearer token.
    #[error(transparent)]
    Bearer(#[from] BearerError),
    /// Credential request refused.
    #[error(transparent)]
    Credential(#[from] CredentialRequestError),
    /// Key proof refused.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// c_nonce refused.
    #[error(transparent)]
    Nonce(#[from] NonceError),
    /// Notification refused.
    #[error(transparent)]
    Notification(#[from] NotificationError),
    /// No such institution or offer.
    #[error("not found")]
    NotFound,
    /// The body is larger than the endpoint accepts.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body could not be read.
    #[error("unreadable request body")]
    BadBody,
    /// A re-issuance offer (one credential id) asked for more than one credential.
    #[error("a re-issued credential is issued for one key proof only")]
    ReissueBatch,
    /// The credential could not be built or signed.
    #[error("issuance failed: {0}")]
    Issuance(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl IntoResponse for ProtocolError {
    fn into_response(self) -> Response {
        let (status, body, www) = match &self {
            Self::Token(e) => wire(e.to_wire(), None),
            Self::Bearer(e) => wire(e.to_wire(), Some(e.www_authenticate())),
            Self::Credential(e) => wire(e.to_wire(), None),
            Self::Proof(e) => wire(e.to_wire(), None),
            Self::Nonce(e) => wire(e.to_wire(), None),
            Self::Notification(e) => wire(e.to_wire(), None),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "error_description": "no such resource"}),
                None,
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "invalid_request", "error_description": "request body too large"}),
                None,
            ),
            // OpenID4VCI 1.0 §8.3.1.2: the request is well-formed but will not be honoured.
            Self::ReissueBatch => (
                StatusCode::BAD_REQUEST,
                json!({"error": "credential_request_denied", "error_description": self.to_string()}),
                None,
            ),
            Self::BadBody => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": "unreadable request body"}),
                None,
            ),
            Self::Issuance(_) | Self::Storage(_) => {
                tracing::error!(error = %self, "protocol request failed");
                let (status, body) = ErrorResponse::server_error();
                wire((status, body), None)
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = www.and_then(|w| HeaderValue::from_str(&w).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

fn wire(
    (status, body): (u16, ErrorResponse),
    www: Option<String>,
) -> (StatusCode, serde_json::Value, Option<String>) {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::to_value(body).unwrap_or_else(|_| json!({"error": "server_error"}));
    (status, body, www)
}

/// Why an admin API request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No or unknown bearer token.
    #[error("missing or unknown admin token")]
    Unauthorized,
    /// The token does not grant this.
    #[error("this token may not act on this institution")]
    Forbidden,
    /// No such institution, achievement or offer.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is malformed or breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// The thing exists already.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the endpoint accepts.
    #[error("request body too large")]
    PayloadTooLarge,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Something else failed inside.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request"),
            Self::Storage(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "admin request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let description = match status {
            StatusCode::INTERNAL_SERVER_ERROR => "internal error".to_owned(),
            _ => self.to_string(),
        };
        let mut response = (
            status,
            axum::Json(json!({"error": code, "error_description": description})),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
