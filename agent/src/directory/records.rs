//! The directory's storage rows: institutions, their signing keys and admin tokens.
//!
//! Secrets are keyed and stored by their SHA-256 hash only; the one exception is the
//! institution signing key, which must be usable (it lives in the data directory and never
//! appears in `Debug` output or logs).

use std::fmt;

use rosette_storage::{Record, Table};
use serde::{Deserialize, Serialize};

/// How an institution's DID is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DidMethod {
    /// `did:key` of the signing key (default).
    Key,
    /// `did:web:<host>:issuers:<slug>`, served at `/issuers/<slug>/did.json`.
    Web,
}

/// An institution (tenant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InstitutionRow {
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) url: Option<String>,
    pub(crate) logo: Option<String>,
    pub(crate) did_method: DidMethod,
    pub(crate) did: String,
    pub(crate) created_at: i64,
}

impl Record for InstitutionRow {
    const TABLE: Table = Table::new("institutions");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.slug.as_bytes().to_vec()
    }
}

/// An institution's private signing key (JWK), sealed under the KEK (`kek1.…`); rows written
/// before sealing hold the JWK in clear until the next start seals them.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct KeyRow {
    pub(crate) slug: String,
    pub(crate) private_jwk: String,
}

impl fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRow")
            .field("slug", &self.slug)
            .field("private_jwk", &"<redacted>")
            .finish()
    }
}

impl Drop for KeyRow {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.private_jwk);
    }
}

impl KeyRow {
    /// What the KEK seals a key for: the row it belongs to.
    pub(crate) fn purpose(slug: &str) -> String {
        format!("signing-key:{slug}")
    }
}

impl Record for KeyRow {
    const TABLE: Table = Table::new("signing_keys");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.slug.as_bytes().to_vec()
    }
}

/// An institution admin token, by its hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AdminTokenRow {
    pub(crate) token_hash: String,
    pub(crate) slug: String,
    pub(crate) created_at: i64,
    /// The token's public id (`tok_…`), for listing and revoking; rows written before ids
    /// existed use the first 12 hex digits of the hash.
    #[serde(default)]
    pub(crate) id: String,
    /// What the token is for ("bulk import script").
    #[serde(default)]
    pub(crate) name: String,
    /// After this instant (unix seconds) the token is refused.
    #[serde(default)]
    pub(crate) expires_at: Option<i64>,
}

impl AdminTokenRow {
    /// The public id (see the field).
    pub(crate) fn public_id(&self) -> String {
        if self.id.is_empty() {
            format!(
                "tok_{}",
                self.token_hash.get(..12).unwrap_or(&self.token_hash)
            )
        } else {
            self.id.clone()
        }
    }
}

impl Record for AdminTokenRow {
    const TABLE: Table = Table::new("admin_tokens");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.token_hash.as_bytes().to_vec()
    }
}

/// `<slug>/<id>`: rows of one institution share a prefix, so listing is a prefix scan.
pub(crate) fn scoped_key(slug: &str, id: &str) -> Vec<u8> {
    format!("{slug}/{id}").into_bytes()
}
