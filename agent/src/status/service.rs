//! Credential status for issued credentials: a W3C Bitstring Status List per institution and
//! purpose (`rosette-status` holds the list logic; this module stores, signs and serves it).
//!
//! - Issuance ([`crate::issuer::IssuerService::credential`]) asks `StatusService::entry_for` for a
//!   `credentialStatus`: one `BitstringStatusListEntry` (OB 3.0 allows one status object),
//!   purpose `revocation` unless the institution chose `suspension` (see `StatusSettingsRow`).
//!   Indices are random and never reused: they are reserved in blocks of `RESERVE`, and a
//!   block is flushed to disk before any of its indices is handed out, so a crash can waste
//!   indices but never hand one out twice.
//! - `GET /issuers/{slug}/status/{purpose}/{number}` serves the list credential, signed
//!   (`ldp_vc`, `eddsa-rdfc-2022`) by the institution's key, with `Cache-Control` and `ETag`;
//!   the signed copy is cached in storage until the next change.
//! - `POST /issuers/{slug}/admin/credentials/status` revokes, suspends or reinstates with a
//!   reason; the change is flushed to disk before the answer, so a revocation the API
//!   confirmed survives a crash. `GET /issuers/{slug}/admin/status/changes` lists changes;
//!   `GET|PUT /issuers/{slug}/admin/status/settings` reads or sets the purpose of new credentials.
//!
//! Suspension: a credential carries one entry, so it is suspendable only when it was issued
//! with a `suspension` entry. Revoking such a credential sets its suspension bit for good
//! (the agent refuses to reinstate it); a verifier reports it as suspended.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::rngs::OsRng;
use rosette_proof::CredentialFormat;
use rosette_status::{IndexAllocator, StatusList, StatusListEntry, StatusPurpose};
use rosette_storage::{Repo, Stored, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::records::{
    AwardCredentialRow, CredentialStatusRow, StatusAllocRow, StatusChangeRow, StatusListRow,
    StatusPosition, StatusSettingsRow, award_prefix, list_key,
};
use crate::directory::Directory;
use crate::directory::records::scoped_key;
use crate::error::{AdminError, ProtocolError};

/// Entries per list: the spec's minimum, the herd each credential hides in.
const LIST_LEN: usize = rosette_status::MIN_LIST_LENGTH;
/// Indices reserved (and flushed) at a time: one fsync and one rewrite of the 16 KiB allocation
/// bitmap per this many issued credentials. A crash or restart wastes at most this many indices
/// of a list's 131,072 (they stay unset, belonging to nobody), so a large block costs nothing
/// in privacy and keeps the write off the issuance path (32 cost ~10 % of issuance throughput).
const RESERVE: usize = 1024;
/// How long caches and verifiers may keep a served list (seconds).
pub const LIST_MAX_AGE: u64 = 300;
/// Optimistic-concurrency retries for a list change.
const CAS_ATTEMPTS: usize = 64;

// ---------------------------------------------------------------- the role

/// The status role: reserves an entry for each credential issued, changes a credential's
/// status, and signs and serves the lists.
#[derive(Debug)]
pub struct StatusService {
    dir: Arc<Directory>,
    state: StatusState,
}

impl StatusService {
    /// The status role over the directory's store.
    pub fn new(dir: Arc<Directory>) -> Self {
        Self {
            dir,
            state: StatusState::default(),
        }
    }

    /// The institution directory.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.dir
    }

    /// The `credentialStatus` of a credential about to be issued as part of `award` (the offer
    /// it is claimed from), and the row recording where its bit is (written with the issuance,
    /// with its [`award_member`](CredentialStatusRow::award_member) row).
    pub(crate) fn entry_for(
        &self,
        slug: &str,
        credential_id: &str,
        award: &str,
        reissue: bool,
    ) -> Result<(Value, CredentialStatusRow), ProtocolError> {
        let (entry, mut row) = self
            .state
            .entry_for(&self.dir, slug, credential_id, reissue)?;
        row.award = Some(award.to_owned());
        Ok((entry, row))
    }

    /// Revokes, suspends or reinstates, durably (see `change_status`).
    pub fn change(&self, slug: &str, change: StatusChange) -> Result<Value, AdminError> {
        change_status(&self.dir, slug, change)
    }

    /// The institution's change log.
    pub fn changes(&self, slug: &str) -> Result<Value, AdminError> {
        list_changes(&self.dir, slug)
    }

    /// The purpose of the credentials `slug` issues from now on.
    pub fn purpose(&self, slug: &str) -> Result<StatusPurpose, rosette_storage::StorageError> {
        purpose_of(&self.dir, slug)
    }

    /// Sets the purpose of the credentials `slug` issues from now on (see
    /// `set_status_purpose`).
    pub fn set_purpose(&self, slug: &str, purpose: &str) -> Result<(), AdminError> {
        set_status_purpose(&self.dir, slug, purpose)
    }

    /// The signed list credential and its ETag.
    pub fn signed_list(
        &self,
        slug: &str,
        purpose: &str,
        number: u32,
    ) -> Result<(String, String), ProtocolError> {
        signed_list(&self.dir, slug, purpose, number)
    }

    /// The verifier of the agent's verifying roles: did:key offline, did:web over HTTPS, this
    /// agent's status lists from storage.
    pub fn verifier(&self) -> rosette_proof::Verifier {
        super::source::agent_verifier(&self.dir)
    }
}

// ---------------------------------------------------------------- issuance

/// Indices reserved on disk but not yet handed out, per (slug, purpose).
#[derive(Debug, Default)]
pub(crate) struct StatusState {
    // Private in-process pool; keyed by (slug, purpose), never serialised.
    pools: Mutex<BTreeMap<(String, String), Pool>>,
}

#[derive(Debug)]
struct Pool {
    number: u32,
    free: Vec<u64>,
}

fn decode_b64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD.decode(text).map_err(|e| e.to_string())
}

/// The URL of a list credential.
pub(crate) fn list_url(dir: &Directory, slug: &str, purpose: &str, number: u32) -> String {
    format!("{}/status/{purpose}/{number}", dir.issuer_id(slug))
}

pub(crate) fn purpose_of(
    dir: &Directory,
    slug: &str,
) -> Result<StatusPurpose, rosette_storage::StorageError> {
    Ok(Repo::<StatusSettingsRow>::new(Arc::clone(dir.store()))
        .get(slug.as_bytes())?
        .map_or(StatusPurpose::Revocation, |r| {
            StatusPurpose::parse(&r.purpose)
        }))
}

impl StatusState {
    /// The `credentialStatus` of a credential about to be issued by `slug` with id
    /// `credential_id`; records where its bit is.
    /// The row is returned, not written, so that it joins the issuance's own write batch.
    pub(crate) fn entry_for(
        &self,
        dir: &Directory,
        slug: &str,
        credential_id: &str,
        reissue: bool,
    ) -> Result<(Value, CredentialStatusRow), ProtocolError> {
        let purpose = purpose_of(dir, slug)?;
        let (number, index) = {
            let mut pools = self
                .pools
                .lock()
                .map_err(|_| ProtocolError::Issuance("status pool poisoned".into()))?;
            let key = (slug.to_owned(), purpose.as_str().to_owned());
            let pool = match pools.get_mut(&key) {
                Some(pool) if !pool.free.is_empty() => pool,
                _ => {
                    let fresh = reserve(dir, slug, purpose.as_str())?;
                    pools.insert(key.clone(), fresh);
                    pools
                        .get_mut(&key)
                        .ok_or_else(|| ProtocolError::Issuance("status pool lost".into()))?
                }
            };
            let index = pool
                .free
                .pop()
                .ok_or_else(|| ProtocolError::Issuance("no status index reserved".into()))?;
            (pool.number, index)
        };
        // A re-issue (same id): remember where the earlier copies' bits are. Only re-issue
        // offers look, so ordinary issuance does no extra read.
        let previous = if reissue {
            Repo::<CredentialStatusRow>::new(Arc::clone(dir.store()))
                .get(&scoped_key(slug, credential_id))?
        } else {
            None
        };
        let earlier = match previous {
            Some(previous) => {
                let mut earlier = previous.earlier.clone();
                earlier.push(StatusPosition {
                    purpose: previous.purpose.clone(),
                    number: previous.number,
                    index: previous.index,
                });
                earlier
            }
            None => Vec::new(),
        };
        let row = CredentialStatusRow {
            slug: slug.to_owned(),
            credential_id: credential_id.to_owned(),
            purpose: purpose.as_str().to_owned(),
            number,
            index,
            state: "active".into(),
            reason: None,
            changed_at: None,
            earlier,
            award: None,
        };
        let url = list_url(dir, slug, purpose.as_str(), number);
        Ok((StatusListEntry::new(purpose, index, url).to_json(), row))
    }
}

/// Reserves [`RESERVE`] random unused indices of the current list (starting a new list when it
/// is full), creates the list if new, and flushes before returning.
fn reserve(dir: &Directory, slug: &str, purpose: &str) -> Result<Pool, ProtocolError> {
    let allocs = Repo::<StatusAllocRow>::new(Arc::clone(dir.store()));
    let key = scoped_key(slug, purpose);
    for _ in 0..CAS_ATTEMPTS {
        let stored = allocs.load(&key)?;
        let (mut number, mut allocator) = match &stored {
            Some(row) => (
                row.number,
                decode_b64(&row.taken)
                    .ok()
                    .and_then(|b| IndexAllocator::from_bytes(b).ok())
                    .ok_or_else(|| ProtocolError::Issuance("corrupt status allocation".into()))?,
            ),
            None => (1, new_allocator()?),
        };
        let mut free = Vec::with_capacity(RESERVE);
        while free.len() < RESERVE {
            match allocator.allocate(&mut OsRng) {
                Ok(i) => free.push(i),
                // The list is full: the remaining reserved indices still belong to it; the
                // next reservation starts the next list.
                Err(_) if !free.is_empty() => break,
                Err(_) => {
                    number += 1;
                    allocator = new_allocator()?;
                }
            }
        }
        let mut batch = WriteBatch::new();
        match &stored {
            Some(s) => batch.require_unchanged::<StatusAllocRow>(key.clone(), s),
            None => batch.require_no_record::<StatusAllocRow>(key.clone()),
        };
        batch.put(&StatusAllocRow {
            slug: slug.to_owned(),
            purpose: purpose.to_owned(),
            number,
            taken: STANDARD.encode(allocator.as_bytes()),
        })?;
        let lists = Repo::<StatusListRow>::new(Arc::clone(dir.store()));
        let list_key = list_key(slug, purpose, number);
        if lists.load(&list_key)?.is_none() {
            let empty =
                StatusList::new(LIST_LEN).map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            batch.require_no_record::<StatusListRow>(list_key);
            batch.put(&StatusListRow {
                slug: slug.to_owned(),
                purpose: purpose.to_owned(),
                number,
                bits: STANDARD.encode(empty.as_bytes()),
                signed: None,
                etag: None,
            })?;
        }
        if dir.store().apply_checked(batch)?.is_ok() {
            // Durable before use: after a crash these indices stay taken.
            dir.flush()?;
            return Ok(Pool { number, free });
        }
    }
    Err(ProtocolError::Issuance(
        "status allocation kept changing".into(),
    ))
}

fn new_allocator() -> Result<IndexAllocator, ProtocolError> {
    IndexAllocator::new(LIST_LEN).map_err(|e| ProtocolError::Issuance(e.to_string()))
}

// ---------------------------------------------------------------- admin changes

/// What an admin asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusAction {
    /// Permanently revoke.
    Revoke,
    /// Temporarily suspend (credentials issued with a suspension entry only).
    Suspend,
    /// Lift a suspension.
    Reinstate,
}

impl StatusAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }
}

/// `POST /issuers/{slug}/admin/credentials/status` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The credential's `id`.
    pub credential_id: String,
    /// What to do.
    pub action: StatusAction,
    /// Why (kept in the change log; never published in the list).
    pub reason: Option<String>,
}

/// The most credentials one award is delivered as (one per format, and their re-issues).
const MAX_AWARD_CREDENTIALS: usize = 64;

/// Applies `change` to the credential and to the other credentials of its award, durably: the
/// answer is sent only after the store was flushed.
pub(crate) fn change_status(
    dir: &Directory,
    slug: &str,
    change: StatusChange,
) -> Result<Value, AdminError> {
    if change.reason.as_ref().is_some_and(|r| r.len() > 1000) {
        return Err(AdminError::Invalid(
            "reason is longer than 1000 characters".into(),
        ));
    }
    let creds = Repo::<CredentialStatusRow>::new(Arc::clone(dir.store()));
    let lists = Repo::<StatusListRow>::new(Arc::clone(dir.store()));
    let awards = Repo::<AwardCredentialRow>::new(Arc::clone(dir.store()));
    let cred_key = scoped_key(slug, &change.credential_id);
    for _ in 0..CAS_ATTEMPTS {
        let cred = creds
            .load(&cred_key)?
            .ok_or(AdminError::NotFound("credential"))?;
        let new_state = transition(&cred.purpose, &cred.state, change.action)?;
        // One award delivered in several formats is one thing to revoke, suspend or reinstate:
        // its other credentials follow, where the change applies to them (a sibling already
        // revoked stays revoked).
        let mut members = vec![(cred_key.clone(), new_state, cred)];
        if let Some(award) = members[0].2.award.clone() {
            let prefix = award_prefix(slug, &award);
            for (_, member) in awards.scan(&prefix, None, MAX_AWARD_CREDENTIALS)? {
                if member.credential_id == change.credential_id {
                    continue;
                }
                let key = scoped_key(slug, &member.credential_id);
                let Some(sibling) = creds.load(&key)? else {
                    continue;
                };
                if let Ok(state) = transition(&sibling.purpose, &sibling.state, change.action) {
                    members.push((key, state, sibling));
                }
            }
        }
        // Each copy's current bit follows its new state; earlier copies' bits are only ever set.
        let mut positions = Vec::new();
        for (_, state, row) in &members {
            let set = *state != "active";
            positions.push((
                StatusPosition {
                    purpose: row.purpose.clone(),
                    number: row.number,
                    index: row.index,
                },
                set,
            ));
            if set {
                positions.extend(row.earlier.iter().map(|p| (p.clone(), true)));
            }
        }
        let mut touched: Vec<(Vec<u8>, Stored<StatusListRow>, StatusList)> = Vec::new();
        for (position, set) in &positions {
            let key = list_key(slug, &position.purpose, position.number);
            let slot = match touched.iter().position(|(k, _, _)| *k == key) {
                Some(slot) => slot,
                None => {
                    let list_row = lists
                        .load(&key)?
                        .ok_or_else(|| AdminError::Internal("status list missing".into()))?;
                    let bits = decode_b64(&list_row.bits)
                        .ok()
                        .and_then(|b| StatusList::from_bytes(b).ok())
                        .ok_or_else(|| AdminError::Internal("corrupt status list".into()))?;
                    touched.push((key, list_row, bits));
                    touched.len() - 1
                }
            };
            if let Some((_, _, bits)) = touched.get_mut(slot) {
                bits.set(position.index, *set)
                    .map_err(|e| AdminError::Internal(e.to_string()))?;
            }
        }
        let now = dir.clock().now();
        let mut batch = WriteBatch::new();
        for (key, list_row, bits) in &touched {
            let mut updated_list = (**list_row).clone();
            updated_list.bits = STANDARD.encode(bits.as_bytes());
            updated_list.signed = None;
            updated_list.etag = None;
            batch.require_unchanged::<StatusListRow>(key.clone(), list_row);
            batch.put(&updated_list)?;
        }
        for (key, state, row) in &members {
            let mut updated = (**row).clone();
            updated.state = (*state).to_owned();
            updated.reason.clone_from(&change.reason);
            updated.changed_at = Some(now.unix());
            batch.require_unchanged::<CredentialStatusRow>(key.clone(), row);
            batch.put(&updated)?;
            batch.put(&StatusChangeRow {
                slug: slug.to_owned(),
                seq: format!(
                    "{:012}-{}",
                    now.unix().max(0),
                    uuid::Uuid::new_v4().simple()
                ),
                credential_id: row.credential_id.clone(),
                action: change.action.as_str().to_owned(),
                state: (*state).to_owned(),
                reason: change.reason.clone(),
                at: now.unix(),
            })?;
        }
        if dir.store().apply_checked(batch)?.is_ok() {
            // The API's promise: once it answers, the change survives a crash.
            dir.flush()?;
            let also: Vec<&str> = members[1..]
                .iter()
                .map(|(_, _, row)| row.credential_id.as_str())
                .collect();
            tracing::info!(slug, credential = %change.credential_id, action = change.action.as_str(), award_formats = also.len() + 1, "credential status changed");
            if change.action == StatusAction::Revoke {
                // Each credential of the award (one per format) is one revoked credential.
                metrics::counter!("rosette_credentials_revoked_total")
                    .increment(members.len() as u64);
            }
            let cred = &members[0].2;
            return Ok(json!({
                "credential_id": change.credential_id,
                "state": new_state,
                "status_purpose": cred.purpose,
                "status_list_credential": list_url(dir, slug, &cred.purpose, cred.number),
                "status_list_index": cred.index.to_string(),
                "reason": change.reason,
                "changed_at": now.to_rfc3339(),
                "award_credentials_also_changed": also,
            }));
        }
    }
    Err(AdminError::Conflict(
        "the status list kept changing; try again".into(),
    ))
}

/// The state after `action`, or why it is not allowed.
fn transition(
    purpose: &str,
    state: &str,
    action: StatusAction,
) -> Result<&'static str, AdminError> {
    let conflict = |why: &str| Err(AdminError::Conflict(why.to_owned()));
    match (action, state) {
        (_, "revoked") => conflict("the credential is revoked; revocation is permanent"),
        (StatusAction::Revoke, _) => Ok("revoked"),
        (StatusAction::Suspend, _) if purpose != "suspension" => conflict(
            "the credential was issued with a revocation entry and cannot be suspended; set the institution's status purpose to suspension for new credentials",
        ),
        (StatusAction::Suspend, "suspended") => conflict("the credential is already suspended"),
        (StatusAction::Suspend, _) => Ok("suspended"),
        (StatusAction::Reinstate, "suspended") => Ok("active"),
        (StatusAction::Reinstate, _) => conflict("the credential is not suspended"),
    }
}

pub(crate) fn list_changes(dir: &Directory, slug: &str) -> Result<Value, AdminError> {
    let rows = Repo::<StatusChangeRow>::new(Arc::clone(dir.store())).scan(
        format!("{slug}/").as_bytes(),
        None,
        10_000,
    )?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(_, r)| {
            json!({
                "credential_id": r.credential_id,
                "action": r.action,
                "state": r.state,
                "reason": r.reason,
                "at": rosette_core::Timestamp::from_unix(r.at).map(rosette_core::Timestamp::to_rfc3339),
            })
        })
        .collect();
    Ok(json!({"items": items, "next_cursor": null}))
}

/// Sets the status purpose (`revocation` or `suspension`) of credentials `slug` issues from now
/// on, durably (the admin API and the console's settings page).
pub(crate) fn set_status_purpose(
    dir: &Directory,
    slug: &str,
    purpose: &str,
) -> Result<(), AdminError> {
    if !matches!(purpose, "revocation" | "suspension") {
        return Err(AdminError::Invalid(
            "status_purpose must be revocation or suspension".into(),
        ));
    }
    Repo::<StatusSettingsRow>::new(Arc::clone(dir.store())).put(&StatusSettingsRow {
        slug: slug.to_owned(),
        purpose: purpose.to_owned(),
    })?;
    dir.flush()?;
    Ok(())
}

// ---------------------------------------------------------------- serving the list

/// The signed list credential and its ETag.
pub(crate) fn signed_list(
    dir: &Directory,
    slug: &str,
    purpose: &str,
    number: u32,
) -> Result<(String, String), ProtocolError> {
    let inst = dir.institution(slug)?.ok_or(ProtocolError::NotFound)?;
    let lists = Repo::<StatusListRow>::new(Arc::clone(dir.store()));
    let key = list_key(slug, purpose, number);
    for _ in 0..CAS_ATTEMPTS {
        let row = lists.load(&key)?.ok_or(ProtocolError::NotFound)?;
        if let (Some(body), Some(etag)) = (&row.signed, &row.etag) {
            return Ok((body.clone(), etag.clone()));
        }
        let bits = decode_b64(&row.bits)
            .ok()
            .and_then(|b| StatusList::from_bytes(b).ok())
            .ok_or_else(|| ProtocolError::Issuance("corrupt status list".into()))?;
        let url = list_url(dir, slug, purpose, number);
        let now = dir.clock().now();
        let unsigned = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", rosette_status::BITSTRING_STATUS_LIST_CREDENTIAL],
            "issuer": inst.did,
            "validFrom": now.to_rfc3339(),
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": rosette_status::BITSTRING_STATUS_LIST,
                "statusPurpose": purpose,
                "encodedList": bits.encode(),
            }
        });
        let body = dir
            .signer(&inst)?
            .sign(&unsigned, CredentialFormat::LdpVc, now)
            .map_err(|e| ProtocolError::Issuance(e.to_string()))?
            .to_text();
        let digest = Sha256::digest(body.as_bytes());
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        let mut cached = (*row).clone();
        cached.signed = Some(body.clone());
        cached.etag = Some(etag.clone());
        let mut batch = WriteBatch::new();
        batch.require_unchanged::<StatusListRow>(key.clone(), &row);
        batch.put(&cached)?;
        // A change raced us: sign its bits instead of serving stale ones.
        if dir.store().apply_checked(batch)?.is_ok() {
            return Ok((body, etag));
        }
    }
    Err(ProtocolError::Issuance(
        "the status list kept changing".into(),
    ))
}
