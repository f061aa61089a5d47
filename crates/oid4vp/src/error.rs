//! The OAuth error envelope and the OpenID4VP 1.0 error codes (§8.5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use rosette_core::open_enum;

open_enum! {
    /// An error code: OpenID4VP 1.0 §8.5, RFC 6749 §4.1.2.1, RFC 9101 §6.2.
    pub enum ErrorCode {
        /// RFC 6749 §4.1.2.1; §8.5: the request or response is malformed or breaks a rule.
        InvalidRequest => "invalid_request",
        /// §8.5: `client_metadata` for a client the wallet already knows, or a bad client.
        InvalidClient => "invalid_client",
        /// RFC 6749 §4.1.2.1; §8.5: an unknown `scope`.
        InvalidScope => "invalid_scope",
        /// RFC 6749 §4.1.2.1; §8.5: the holder declined, or no credential satisfies the query.
        AccessDenied => "access_denied",
        /// RFC 6749 §4.1.2.1.
        UnauthorizedClient => "unauthorized_client",
        /// RFC 6749 §4.1.2.1.
        UnsupportedResponseType => "unsupported_response_type",
        /// §8.5: none of the requested formats is supported.
        VpFormatsNotSupported => "vp_formats_not_supported",
        /// §8.5: `request_uri_method` has a value the wallet does not know.
        InvalidRequestUriMethod => "invalid_request_uri_method",
        /// §8.5: `transaction_data` the wallet cannot process.
        InvalidTransactionData => "invalid_transaction_data",
        /// §8.5: the wallet is not available (custom URL scheme with no wallet behind it).
        WalletUnavailable => "wallet_unavailable",
        /// RFC 9101 §6.2: the `request_uri` could not be used.
        InvalidRequestUri => "invalid_request_uri",
        /// RFC 9101 §6.2: the Request Object is invalid.
        InvalidRequestObject => "invalid_request_object",
        /// RFC 6749 §4.1.2.1: the server failed; details stay in its log.
        ServerError => "server_error",
    }
}

/// An error response body (RFC 6749 §4.1.2.1, OpenID4VP 1.0 §8.5). Rosette adds
/// `violation`, a stable snake_case name of the rule broken, for people and tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// REQUIRED. The error code.
    pub error: ErrorCode,
    /// OPTIONAL. Human-readable ASCII text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Members this crate does not define (`violation`, `state`, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ErrorResponse {
    /// An error with an optional description, reduced to the characters RFC 6749 allows
    /// (`%x20-21 / %x23-5B / %x5D-7E`); others become `?`.
    pub fn new(error: ErrorCode, description: Option<&str>) -> Self {
        Self {
            error,
            error_description: description.map(sanitize_description),
            extra: BTreeMap::new(),
        }
    }

    /// Adds the `violation` member.
    pub fn with_violation(mut self, violation: &str) -> Self {
        self.extra
            .insert("violation".to_owned(), Value::from(violation));
        self
    }

    /// The `violation` member, when present.
    pub fn violation(&self) -> Option<&str> {
        self.extra.get("violation").and_then(Value::as_str)
    }
}

/// Keeps a description within the allowed ASCII set (no `"`, no `\`, no control characters).
pub(crate) fn sanitize_description(text: &str) -> String {
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
    fn unknown_codes_round_trip_and_descriptions_are_ascii() {
        let e: ErrorResponse = serde_json::from_str(r#"{"error":"x_new","a":1}"#).unwrap();
        assert_eq!(e.error, ErrorCode::Other("x_new".into()));
        let e = ErrorResponse::new(ErrorCode::AccessDenied, Some("é\"\n")).with_violation("v");
        assert_eq!(e.error_description.as_deref(), Some("?'?"));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"access_denied","error_description":"?'?","violation":"v"}"#
        );
    }
}
