//! The status role's storage rows: per-institution settings, index allocations, the lists
//! (with their signed copy cached), each credential's position, and the change log.

use rosette_storage::{Record, Table};
use serde::{Deserialize, Serialize};

use crate::directory::records::scoped_key;

/// Which purpose an institution's new credentials carry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StatusSettingsRow {
    pub(crate) slug: String,
    pub(crate) purpose: String,
}

impl Record for StatusSettingsRow {
    const TABLE: Table = Table::new("status_settings");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.slug.as_bytes().to_vec()
    }
}

/// The list currently allocating indices for (institution, purpose), and which are taken.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StatusAllocRow {
    pub(crate) slug: String,
    pub(crate) purpose: String,
    pub(crate) number: u32,
    /// Base64 of the allocation bitmap (bit set = index handed out or reserved).
    pub(crate) taken: String,
}

impl Record for StatusAllocRow {
    const TABLE: Table = Table::new("status_alloc");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.purpose)
    }
}

/// One status list: its bits and the signed credential last served for them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StatusListRow {
    pub(crate) slug: String,
    pub(crate) purpose: String,
    pub(crate) number: u32,
    /// Base64 of the bitstring (bit set = revoked / suspended).
    pub(crate) bits: String,
    /// The signed list credential for these bits; `None` after a change.
    pub(crate) signed: Option<String>,
    pub(crate) etag: Option<String>,
}

impl Record for StatusListRow {
    const TABLE: Table = Table::new("status_lists");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        list_key(&self.slug, &self.purpose, self.number)
    }
}

pub(crate) fn list_key(slug: &str, purpose: &str, number: u32) -> Vec<u8> {
    scoped_key(slug, &format!("{purpose}/{number}"))
}

/// Where an issued credential's bit is, and its state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct CredentialStatusRow {
    pub(crate) slug: String,
    pub(crate) credential_id: String,
    pub(crate) purpose: String,
    pub(crate) number: u32,
    pub(crate) index: u64,
    /// `active`, `revoked` or `suspended`.
    pub(crate) state: String,
    pub(crate) reason: Option<String>,
    pub(crate) changed_at: Option<i64>,
    /// Bits of the earlier copies of a re-issued credential (same `id`): revoking or suspending
    /// the credential sets them too, so no superseded copy stays valid; reinstating clears only
    /// the current copy's bit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) earlier: Vec<StatusPosition>,
    /// The award this credential delivers (the offer it was claimed from): one award to one
    /// learner may be delivered in several formats, each its own credential, and a status
    /// change applies to all of them. Absent in rows written before awards, which then stand
    /// alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) award: Option<String>,
}

impl CredentialStatusRow {
    /// The row that lists this credential under its award, written with it.
    pub(crate) fn award_member(&self) -> Option<AwardCredentialRow> {
        self.award.as_ref().map(|award| AwardCredentialRow {
            slug: self.slug.clone(),
            award: award.clone(),
            credential_id: self.credential_id.clone(),
        })
    }
}

/// One credential of an award: lets a status change find the award's other formats.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AwardCredentialRow {
    pub(crate) slug: String,
    pub(crate) award: String,
    pub(crate) credential_id: String,
}

impl Record for AwardCredentialRow {
    const TABLE: Table = Table::new("award_credentials");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        award_member_key(&self.slug, &self.award, &self.credential_id)
    }
}

/// Key of one credential of an award; [`award_prefix`] is the prefix of all of them.
pub(crate) fn award_member_key(slug: &str, award: &str, credential_id: &str) -> Vec<u8> {
    [award_prefix(slug, award), credential_id.as_bytes().to_vec()].concat()
}

/// The key prefix of every credential of `award` (ids cannot hold a NUL).
pub(crate) fn award_prefix(slug: &str, award: &str) -> Vec<u8> {
    scoped_key(slug, &format!("{award}\0"))
}

/// Where one copy's bit is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StatusPosition {
    pub(crate) purpose: String,
    pub(crate) number: u32,
    pub(crate) index: u64,
}

impl Record for CredentialStatusRow {
    const TABLE: Table = Table::new("credential_status");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.credential_id)
    }
}

/// One admin change, for the audit listing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StatusChangeRow {
    pub(crate) slug: String,
    /// Time-ordered key: zero-padded unix seconds, then a random suffix.
    pub(crate) seq: String,
    pub(crate) credential_id: String,
    pub(crate) action: String,
    pub(crate) state: String,
    pub(crate) reason: Option<String>,
    pub(crate) at: i64,
}

impl Record for StatusChangeRow {
    const TABLE: Table = Table::new("status_changes");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.seq)
    }
}
