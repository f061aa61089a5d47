//! Storage rows of the verifier role. The request row holds the nonce and state in clear (the
//! wallet sees both in the request anyway, and the nonce is needed to check the answer); the
//! poll capability (transaction id) is stored only as a SHA-256 hash.

use rosette_storage::{Record, Table};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directory::records::scoped_key;

/// A presentation request of one institution, from creation to verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PresentationRequestRow {
    pub(crate) slug: String,
    pub(crate) id: String,
    /// The Authorization Request (`rosette_oid4vp::AuthorizationRequest` as JSON).
    pub(crate) request: Value,
    /// `signed`, `redirect_uri` or `by_value`.
    pub(crate) mode: String,
    /// The template it was built from (for display).
    pub(crate) template: Value,
    /// Trusted issuer DIDs; empty = any.
    pub(crate) trusted_issuers: Vec<String>,
    /// The QR payload.
    pub(crate) request_url: String,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    /// Set exactly once, by compare-and-swap, when a response arrives (accepted or not).
    pub(crate) result: Option<Value>,
}

impl Record for PresentationRequestRow {
    const TABLE: Table = Table::new("vp_requests");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.id)
    }
}

/// `state` → request: how a `direct_post` finds its request (key: SHA-256 of the state).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct VpStateRow {
    pub(crate) state_hash: String,
    pub(crate) slug: String,
    pub(crate) id: String,
}

impl Record for VpStateRow {
    const TABLE: Table = Table::new("vp_states");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.state_hash.as_bytes().to_vec()
    }
}

/// Transaction id → request: how the page polls (key: SHA-256 of the transaction id).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct VpTransactionRow {
    pub(crate) transaction_hash: String,
    pub(crate) slug: String,
    pub(crate) id: String,
}

impl Record for VpTransactionRow {
    const TABLE: Table = Table::new("vp_transactions");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.transaction_hash.as_bytes().to_vec()
    }
}
