//! Storage rows of public badge pages. The challenge nonce is keyed by its SHA-256 hash only.

use rosette_storage::{Record, Table};
use serde::{Deserialize, Serialize};

use crate::directory::records::scoped_key;

/// A published badge page: the credential as presented and the holder's chosen name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PublicBadgeRow {
    pub(crate) slug: String,
    pub(crate) id: String,
    /// The credential text (JSON or compact JWT), verified again at every view.
    pub(crate) credential: String,
    pub(crate) display_name: Option<String>,
    pub(crate) published_at: i64,
}

impl Record for PublicBadgeRow {
    const TABLE: Table = Table::new("public_badges");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.id)
    }
}

/// An open publish / withdraw challenge (key: SHA-256 of the nonce); consumed on use.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PublicChallengeRow {
    pub(crate) nonce_hash: String,
    pub(crate) slug: String,
    pub(crate) expires_at: i64,
}

impl Record for PublicChallengeRow {
    const TABLE: Table = Table::new("public_badge_challenges");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.nonce_hash.as_bytes().to_vec()
    }
}
