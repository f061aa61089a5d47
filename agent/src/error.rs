//! Errors of the agent's operations. Their one mapping to HTTP is in `crate::web::error`.

use rosette_oid4vci::{
    BearerError, CredentialRequestError, NonceError, NotificationError, ProofError, TokenError,
};
use rosette_storage::StorageError;

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
    /// The offer exists but can no longer be claimed: its state, `claimed`, `locked` (too
    /// many wrong PINs) or `expired`. Only the holder of the offer link learns this, as the
    /// claim page already tells them.
    #[error("the offer is {0}")]
    OfferGone(&'static str),
    /// The body is larger than the endpoint accepts.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body could not be read.
    #[error("unreadable request body")]
    BadBody,
    /// A re-issuance offer (one credential id) asked for more than one credential.
    #[error("a re-issued credential is issued for one key proof only")]
    ReissueBatch,
    /// The offer already delivered what it grants: this configuration (one credential per
    /// configuration per offer), any credential of a re-issuance offer, or it was claimed with
    /// another holder key (an access token serves the holder of its first key proof only).
    #[error("{0}")]
    AlreadyIssued(&'static str),
    /// The credential could not be built or signed.
    #[error("issuance failed: {0}")]
    Issuance(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
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
