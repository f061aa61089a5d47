//! The OAuth / OpenID4VCI error envelope `{error, error_description}` and its codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use rosette_core::open_enum;

open_enum! {
    /// An error code: RFC 6749 §5.2, RFC 6750 §3.1, OpenID4VCI 1.0 §6.3, §8.3.1.2, §9.3, §11.3.
    pub enum ErrorCode {
        /// RFC 6749 §5.2; OpenID4VCI 1.0 §6.3: tx_code missing or unexpected.
        InvalidRequest => "invalid_request",
        /// RFC 6749 §5.2; OpenID4VCI 1.0 §6.3: anonymous access not allowed.
        InvalidClient => "invalid_client",
        /// RFC 6749 §5.2; OpenID4VCI 1.0 §6.3: wrong/expired code or wrong tx_code.
        InvalidGrant => "invalid_grant",
        /// RFC 6749 §5.2.
        UnauthorizedClient => "unauthorized_client",
        /// RFC 6749 §5.2.
        UnsupportedGrantType => "unsupported_grant_type",
        /// RFC 6749 §5.2.
        InvalidScope => "invalid_scope",
        /// RFC 6750 §3.1: the access token is missing, expired or unknown.
        InvalidToken => "invalid_token",
        /// RFC 6750 §3.1.
        InsufficientScope => "insufficient_scope",
        /// OpenID4VCI 1.0 §8.3.1.2.
        InvalidCredentialRequest => "invalid_credential_request",
        /// OpenID4VCI 1.0 §8.3.1.2.
        UnknownCredentialConfiguration => "unknown_credential_configuration",
        /// OpenID4VCI 1.0 §8.3.1.2.
        UnknownCredentialIdentifier => "unknown_credential_identifier",
        /// Draft 13 §7.3.1: a `format` request matching no (single) configuration.
        UnsupportedCredentialFormat => "unsupported_credential_format",
        /// OpenID4VCI 1.0 §8.3.1.2: proofs missing or invalid, or without a c_nonce.
        InvalidProof => "invalid_proof",
        /// OpenID4VCI 1.0 §8.3.1.2: the c_nonce is unknown, stale or used; fetch a new one.
        InvalidNonce => "invalid_nonce",
        /// OpenID4VCI 1.0 §8.3.1.2.
        InvalidEncryptionParameters => "invalid_encryption_parameters",
        /// OpenID4VCI 1.0 §8.3.1.2: final refusal.
        CredentialRequestDenied => "credential_request_denied",
        /// OpenID4VCI 1.0 §9.3.
        InvalidTransactionId => "invalid_transaction_id",
        /// OpenID4VCI 1.0 §11.3.
        InvalidNotificationId => "invalid_notification_id",
        /// OpenID4VCI 1.0 §11.3.
        InvalidNotificationRequest => "invalid_notification_request",
        /// RFC 6749 §4.1.2.1: the server failed; details stay in the log.
        ServerError => "server_error",
    }
}

/// The error response body: RFC 6749 §5.2, OpenID4VCI 1.0 §6.3 and §8.3.1.2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// REQUIRED. The error code.
    pub error: ErrorCode,
    /// OPTIONAL. Human-readable ASCII text (see [`ErrorResponse::new`] for the character set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// OPTIONAL. A page describing the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Members this crate does not know (draft `c_nonce`, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ErrorResponse {
    /// An error with an optional description. The description is reduced to the characters
    /// the spec allows (`%x20-21 / %x23-5B / %x5D-7E`, §8.3.1.2): others become `?`.
    pub fn new(error: ErrorCode, description: Option<&str>) -> Self {
        Self {
            error,
            error_description: description.map(sanitize_description),
            error_uri: None,
            extra: BTreeMap::new(),
        }
    }
}

impl ErrorResponse {
    /// Draft 13–14 compatibility: attaches a fresh `c_nonce` (and its lifetime) to an
    /// `invalid_proof` / `invalid_nonce` body, where those drafts expect it.
    pub fn with_c_nonce(mut self, c_nonce: &crate::CNonce, expires_in: u64) -> Self {
        self.extra
            .insert("c_nonce".to_owned(), Value::from(c_nonce.expose_secret()));
        self.extra
            .insert("c_nonce_expires_in".to_owned(), Value::from(expires_in));
        self
    }

    /// A server fault: 500 `server_error` with a fixed description. Internal detail goes to
    /// the log, never to the client.
    pub fn server_error() -> (u16, Self) {
        (
            500,
            Self::new(ErrorCode::ServerError, Some("internal error")),
        )
    }
}

/// Keeps a description within the allowed ASCII set (no `"`, no `\`, no control characters).
fn sanitize_description(text: &str) -> String {
    text.chars()
        .take(500)
        .map(|c| match c {
            '\u{20}'..='\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}' => c,
            '"' => '\'',
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_is_restricted_to_allowed_ascii() {
        let e = ErrorResponse::new(ErrorCode::InvalidProof, Some("bad \"aud\"\\\n é"));
        assert_eq!(e.error_description.as_deref(), Some("bad 'aud'?? ?"));
    }

    #[test]
    fn server_error_is_generic() {
        let (status, body) = ErrorResponse::server_error();
        assert_eq!(status, 500);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":"server_error","error_description":"internal error"}"#
        );
    }

    #[test]
    fn unknown_code_round_trips() {
        let e: ErrorResponse =
            serde_json::from_str(r#"{"error":"invalid_tx_code","x":1}"#).unwrap();
        assert_eq!(e.error, ErrorCode::Other("invalid_tx_code".into()));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"invalid_tx_code","x":1}"#
        );
    }
}
