//! The one mapping of the agent's errors to HTTP.
//!
//! Protocol endpoints answer with the OAuth / OpenID4VCI envelope of `rosette-oid4vci`; the
//! admin API uses the same `{error, error_description}` shape with its own codes. Internal
//! failures are logged and answered with a generic 500 body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rosette_oid4vci::ErrorResponse;
use serde_json::json;

use rosette_storage::StorageError;

use crate::error::{AdminError, ProtocolError};

/// Seconds a client is asked to wait (`Retry-After`) when the database is unavailable.
pub(crate) const RETRY_AFTER_SECONDS: u32 = 5;

/// Whether `e` means "the database is not answering": down, restarting or out of
/// connections. Such failures answer 503 (with `Retry-After`, added by [`retry_after`]) and
/// the code `temporarily_unavailable`; a retry later can succeed.
pub(crate) fn is_unavailable(e: &StorageError) -> bool {
    matches!(e, StorageError::Unavailable { .. })
}

/// The JSON answer for an unavailable database.
pub(crate) fn unavailable_body() -> serde_json::Value {
    json!({
        "error": "temporarily_unavailable",
        "error_description": "the service is temporarily unavailable; try again shortly"
    })
}

/// Adds `Retry-After` to every 503 that does not carry one (the database is unavailable, or
/// a storage call is stuck).
pub(crate) async fn retry_after(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
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
            // 410 with a code per state, so wallets can say what the claim page says.
            Self::OfferGone(state) => (
                StatusCode::GONE,
                json!({"error": format!("offer_{state}"), "error_description": match *state {
                    "claimed" => "this badge has already been collected",
                    "locked" => "this offer is locked after too many wrong PINs",
                    "expired" => "this offer has expired",
                    _ => "this offer can no longer be claimed",
                }}),
                None,
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "invalid_request", "error_description": "request body too large"}),
                None,
            ),
            // OpenID4VCI 1.0 §8.3.1.2: the request is well-formed but will not be honoured.
            Self::AlreadyIssued(_) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "credential_request_denied", "error_description": self.to_string()}),
                None,
            ),
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
            Self::Storage(e) if is_unavailable(e) => {
                tracing::warn!(error = %self, "protocol request: database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, unavailable_body(), None)
            }
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

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request"),
            Self::Storage(e) if is_unavailable(e) => {
                tracing::warn!(error = %self, "admin request: database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            }
            Self::Storage(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "admin request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let description = match status {
            StatusCode::INTERNAL_SERVER_ERROR => "internal error".to_owned(),
            StatusCode::SERVICE_UNAVAILABLE => {
                "the service is temporarily unavailable; try again shortly".to_owned()
            }
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

impl From<tokio::task::JoinError> for ProtocolError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Issuance(format!("worker failed: {e}"))
    }
}

impl From<tokio::task::JoinError> for AdminError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("worker failed: {e}"))
    }
}

/// The body of a protocol request, or the protocol error for an unreadable or too large one.
pub(crate) fn protocol_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ProtocolError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ProtocolError::PayloadTooLarge
        } else {
            ProtocolError::BadBody
        }
    })
}

/// The body of an admin request, or the admin error for an unreadable or too large one.
pub(crate) fn admin_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AdminError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AdminError::PayloadTooLarge
        } else {
            AdminError::Invalid("unreadable request body".into())
        }
    })
}

/// A JSON admin body, or `invalid_request` saying what is wrong with it.
pub(crate) fn admin_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::Invalid(format!("invalid JSON body: {e}")))
}
