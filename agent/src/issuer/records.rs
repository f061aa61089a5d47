//! The issuer's storage rows (rosette-storage [`Record`]s): versioned, separate from wire types.
//!
//! Secrets are keyed and stored by their SHA-256 hash only.

use std::fmt;

use rosette_oid4vci::{AccessTokenRecord, PreAuthorizedCodeState, SecretHash};
use rosette_storage::{MigrationError, Record, Table};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directory::records::scoped_key;

/// An achievement definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AchievementRow {
    pub(crate) slug: String,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) criteria: Value,
    pub(crate) image: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) alignment: Vec<Value>,
    pub(crate) result_descriptions: Vec<Value>,
    pub(crate) achievement_type: Option<String>,
    pub(crate) validity_days: Option<u32>,
    pub(crate) archived: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl Record for AchievementRow {
    const TABLE: Table = Table::new("achievements");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.id)
    }
}

/// An offer to one recipient. The offer token, pre-authorized code and PIN are derived from
/// the server secret and the offer id (see `service::derive`); only hashes are stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct OfferRow {
    pub(crate) slug: String,
    pub(crate) id: String,
    pub(crate) achievement_id: String,
    pub(crate) recipient_name: String,
    /// `sha256$…` of e-mail ‖ salt (OB IdentityHash); the address itself is not kept.
    pub(crate) email_hash: Option<String>,
    pub(crate) email_salt: String,
    pub(crate) configurations: Vec<String>,
    pub(crate) pin: bool,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) claimed_at: Option<i64>,
    /// When too many wrong PINs burned the pre-authorized code (version 2).
    pub(crate) locked_at: Option<i64>,
    /// Set on a re-issuance offer: the id of the credential it issues again (same `id`).
    /// Absent in rows written before re-issuance existed, which reads as `None`.
    #[serde(default)]
    pub(crate) reissue_of: Option<String>,
    /// The configurations already issued from this offer: one credential each, never again.
    #[serde(default)]
    pub(crate) issued_configurations: Vec<String>,
    /// The DID of the first key proof the offer was claimed with: the access token serves that
    /// holder only, so the offer's other formats cannot go to someone else.
    #[serde(default)]
    pub(crate) holder: Option<String>,
}

/// Version 1 of [`OfferRow`]: no `locked_at`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferRowV1 {
    slug: String,
    id: String,
    achievement_id: String,
    recipient_name: String,
    email_hash: Option<String>,
    email_salt: String,
    configurations: Vec<String>,
    pin: bool,
    created_at: i64,
    expires_at: i64,
    claimed_at: Option<i64>,
}

impl Record for OfferRow {
    const TABLE: Table = Table::new("offers");
    const VERSION: u32 = 2;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.id)
    }

    fn migrate(version: u32, data: Value) -> Result<Self, MigrationError> {
        if version != 1 {
            return Err(MigrationError::UnsupportedVersion { found: version });
        }
        let v1: OfferRowV1 = serde_json::from_value(data).map_err(|e| MigrationError::Invalid {
            found: 1,
            reason: e.to_string(),
        })?;
        // Offers locked before version 2 existed show as offered/expired; their code
        // state still refuses every PIN.
        Ok(Self {
            slug: v1.slug,
            id: v1.id,
            achievement_id: v1.achievement_id,
            recipient_name: v1.recipient_name,
            email_hash: v1.email_hash,
            email_salt: v1.email_salt,
            configurations: v1.configurations,
            pin: v1.pin,
            created_at: v1.created_at,
            expires_at: v1.expires_at,
            claimed_at: v1.claimed_at,
            locked_at: None,
            reissue_of: None,
            issued_configurations: Vec::new(),
            holder: None,
        })
    }
}

/// Offer token hash → offer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct OfferTokenRow {
    pub(crate) token_hash: String,
    pub(crate) slug: String,
    pub(crate) offer_id: String,
}

impl Record for OfferTokenRow {
    const TABLE: Table = Table::new("offer_tokens");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.token_hash.as_bytes().to_vec()
    }
}

/// Pre-authorized code state, by code hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct CodeRow {
    pub(crate) slug: String,
    pub(crate) offer_id: String,
    pub(crate) state: PreAuthorizedCodeState,
    /// The PIN hash in `state` is of the keyed PIN (HMAC under a KEK sub-key, see
    /// `IssuerService::keyed_pin`), so a copied database cannot be searched for PINs. Rows
    /// written before keyed PINs hash the PIN itself.
    #[serde(default)]
    pub(crate) keyed_pin: bool,
}

impl Record for CodeRow {
    const TABLE: Table = Table::new("codes");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.state.code_hash.to_hex().into_bytes()
    }
}

/// An access token, by its hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AccessTokenRow {
    pub(crate) slug: String,
    pub(crate) offer_id: String,
    pub(crate) record: AccessTokenRecord,
}

impl Record for AccessTokenRow {
    const TABLE: Table = Table::new("access_tokens");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.record.token_hash.to_hex().into_bytes()
    }
}

/// A used c_nonce, by its hash. c_nonces are stateless (sealed, see
/// `rosette_oid4vci::issue_sealed_nonce`): issuing one writes nothing, and its single use is
/// this row, written with an "absent" precondition in the batch that records the issuance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct UsedNonceRow {
    pub(crate) hash: SecretHash,
    pub(crate) slug: String,
    /// The nonce's own expiry: after it the row may be dropped (the nonce is refused anyway).
    pub(crate) expires_at: i64,
}

impl Record for UsedNonceRow {
    const TABLE: Table = Table::new("used_nonces");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.hash.to_hex().into_bytes()
    }
}

/// What was issued to whom, when, in which format, with which id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct IssuanceRow {
    pub(crate) slug: String,
    pub(crate) credential_id: String,
    pub(crate) offer_id: String,
    pub(crate) achievement_id: String,
    pub(crate) configuration_id: String,
    pub(crate) format: String,
    pub(crate) subject_did: String,
    pub(crate) issued_at: i64,
    pub(crate) notification_id: String,
    /// On a re-issued credential: the issuance it replaced (same credential id, so this row
    /// took the earlier row's key). Absent in older rows, which reads as `None`.
    #[serde(default)]
    pub(crate) reissue_of: Option<ReissueLink>,
}

/// The earlier issuance a re-issued credential replaces.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ReissueLink {
    /// The credential id (equal to the new credential's).
    pub(crate) credential_id: String,
    /// The offer the earlier credential was claimed from.
    pub(crate) offer_id: String,
    /// When the earlier credential was issued (unix seconds).
    pub(crate) issued_at: i64,
}

impl Record for IssuanceRow {
    const TABLE: Table = Table::new("issuance");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.credential_id)
    }
}

/// Notification ids handed out with credentials, and the events received for them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct NotificationRow {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) offer_id: String,
    pub(crate) events: Vec<String>,
}

impl Record for NotificationRow {
    const TABLE: Table = Table::new("notifications");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.id.as_bytes().to_vec()
    }
}

/// The server-wide secret offer tokens and PINs are derived from.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct ServerSecretRow {
    pub(crate) name: String,
    pub(crate) secret_hex: String,
}

impl fmt::Debug for ServerSecretRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSecretRow")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Drop for ServerSecretRow {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret_hex);
    }
}

impl Record for ServerSecretRow {
    const TABLE: Table = Table::new("server");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        self.name.as_bytes().to_vec()
    }
}

/// A bulk issue job (see `super::bulk`), shared by every agent on the store. While it runs,
/// `owner` (an agent process) holds it until `lease_until` and renews that lease as it goes;
/// an agent that finds the lease expired takes the job over and carries on from the lines
/// already done. `created` and `errors` are the tallies so far, complete once it finished:
/// which offer each line became and which lines were refused, so the report and the
/// learners' handouts outlive any agent. No PIN or token is kept: both are derived from the
/// server secret and the offer id while the offer is open.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BulkJobRow {
    pub(crate) slug: String,
    pub(crate) id: String,
    pub(crate) total: usize,
    pub(crate) started_at: i64,
    /// 0 while the job runs.
    pub(crate) finished_at: i64,
    /// (line, offer id), in line order.
    pub(crate) created: Vec<(usize, String)>,
    /// (line, why refused), in line order.
    pub(crate) errors: Vec<(usize, String)>,
    pub(crate) failure: Option<String>,
    /// Still running (rows written by versions that ran jobs in memory are finished ones).
    #[serde(default)]
    pub(crate) running: bool,
    /// The agent process running it.
    #[serde(default)]
    pub(crate) owner: String,
    /// Until when (Unix seconds) `owner` holds it.
    #[serde(default)]
    pub(crate) lease_until: i64,
    /// Rows handled so far.
    #[serde(default)]
    pub(crate) processed: usize,
    /// Offers made so far; `created` is filled only when the job ends, so a running job's
    /// row stays small however often its progress is published.
    #[serde(default)]
    pub(crate) created_count: usize,
    /// Chunks of input lines ([`BulkInputRow`]).
    #[serde(default)]
    pub(crate) chunks: u32,
    /// Fields per row: 3, or 4 with the `pin` column.
    #[serde(default)]
    pub(crate) width: usize,
}

/// A chunk of a running job's upload: (line, the line's text), deleted when the job ends.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BulkInputRow {
    pub(crate) slug: String,
    pub(crate) job: String,
    pub(crate) chunk: u32,
    pub(crate) lines: Vec<(usize, String)>,
}

impl Record for BulkInputRow {
    const TABLE: Table = Table::new("bulk_job_input");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &format!("{}/{:06}", self.job, self.chunk))
    }
}

/// What one line of a running job became, written in the same atomic batch as its offer and
/// required absent there: a line is done once, whichever agent runs it, and never twice.
/// Deleted when the job ends (the job row keeps the report).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BulkResultRow {
    pub(crate) slug: String,
    pub(crate) job: String,
    pub(crate) line: usize,
    /// The offer made, or why the line was refused.
    pub(crate) offer_id: Option<String>,
    pub(crate) error: Option<String>,
}

impl BulkResultRow {
    pub(crate) fn key_of(slug: &str, job: &str, line: usize) -> Vec<u8> {
        scoped_key(slug, &format!("{job}/{line:07}"))
    }
}

impl Record for BulkResultRow {
    const TABLE: Table = Table::new("bulk_job_results");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        Self::key_of(&self.slug, &self.job, self.line)
    }
}

impl Record for BulkJobRow {
    const TABLE: Table = Table::new("bulk_jobs");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        scoped_key(&self.slug, &self.id)
    }
}
