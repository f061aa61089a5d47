//! Read-side queries of the console: dashboard counts and the issued-credentials table. They
//! read the agent's rows directly (one prefix scan per table), HTTP-free; time comes from the
//! service's clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rosette_core::Timestamp;
use rosette_storage::{Record, Repo, StorageError};

use crate::directory::Directory;
use crate::error::AdminError;
use crate::issuer::records::{AchievementRow, IssuanceRow, OfferRow};
use crate::status::records::{CredentialStatusRow, StatusSettingsRow};
use crate::verifier::VerifierService;

/// Days shown in the dashboard's activity table.
pub(crate) const DAYS: i64 = 14;
/// Rows per page of the credentials table.
pub(crate) const PAGE_SIZE: usize = 25;
/// States the credentials table can filter on.
pub(crate) const STATES: [&str; 6] = [
    "offered",
    "claimed",
    "expired",
    "locked",
    "revoked",
    "suspended",
];

/// Every row of `T` under `prefix`, page by page (the store caps one scan).
pub(crate) fn scan_all<T: Record>(
    service: &Directory,
    prefix: &str,
) -> Result<Vec<T>, StorageError> {
    let repo = Repo::<T>::new(Arc::clone(service.store()));
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let chunk = repo.scan(
            prefix.as_bytes(),
            after.as_deref(),
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        let done = chunk.len() < rosette_storage::MAX_SCAN_LIMIT;
        after = chunk.last().map(|(key, _)| key.clone());
        out.extend(chunk.into_iter().map(|(_, row)| row));
        if done || after.is_none() {
            return Ok(out);
        }
    }
}

fn offer_state(row: &OfferRow, now: i64) -> &'static str {
    // The same rule as the service's listing (claimed > locked > expired > offered).
    if row.claimed_at.is_some() {
        "claimed"
    } else if row.locked_at.is_some() {
        "locked"
    } else if now >= row.expires_at {
        "expired"
    } else {
        "offered"
    }
}

/// One day of the dashboard's activity table.
#[derive(Debug, Clone)]
pub(crate) struct Day {
    /// `YYYY-MM-DD` (UTC).
    pub(crate) date: String,
    /// Offers created that day.
    pub(crate) offers: u64,
    /// Offers claimed that day.
    pub(crate) claimed: u64,
    /// Presentation requests answered (created) that day.
    pub(crate) verifications: u64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default)]
pub(crate) struct DashboardData {
    /// Achievements defined (not archived).
    pub(crate) achievements: u64,
    /// Archived achievements.
    pub(crate) archived: u64,
    /// Offers sent (all states).
    pub(crate) offers: u64,
    /// Offers still claimable.
    pub(crate) open: u64,
    /// Offers claimed.
    pub(crate) claimed: u64,
    /// Offers expired or locked unclaimed.
    pub(crate) lapsed: u64,
    /// Credentials revoked.
    pub(crate) revoked: u64,
    /// Credentials suspended now.
    pub(crate) suspended: u64,
    /// Credentials issued.
    pub(crate) issued: u64,
    /// Presentation requests that got an answer (a verdict).
    pub(crate) verifications: u64,
    /// The last [`DAYS`] days, oldest first.
    pub(crate) days: Vec<Day>,
    /// The largest daily figure (the scale of the bars), at least 1.
    pub(crate) peak: u64,
}

/// The dashboard of `slug`.
pub(crate) fn dashboard(
    verifier: &VerifierService,
    slug: &str,
) -> Result<DashboardData, AdminError> {
    let service = verifier.directory();
    let prefix = format!("{slug}/");
    let now = service.clock().now().unix();
    let today = now.div_euclid(86_400);
    let first = today - (DAYS - 1);
    let mut data = DashboardData {
        days: (first..=today)
            .map(|day| Day {
                date: Timestamp::from_unix(day * 86_400)
                    .map(Timestamp::to_rfc3339)
                    .and_then(|t| t.get(..10).map(str::to_owned))
                    .unwrap_or_default(),
                offers: 0,
                claimed: 0,
                verifications: 0,
            })
            .collect(),
        ..DashboardData::default()
    };
    let mut bump = |at: i64, pick: fn(&mut Day) -> &mut u64| {
        let day = at.div_euclid(86_400);
        if day >= first
            && let Some(slot) = usize::try_from(day - first)
                .ok()
                .and_then(|i| data.days.get_mut(i))
        {
            *pick(slot) += 1;
        }
    };
    let mut counts = DashboardData::default();
    for a in scan_all::<AchievementRow>(service, &prefix)? {
        if a.archived {
            counts.archived += 1;
        } else {
            counts.achievements += 1;
        }
    }
    for o in scan_all::<OfferRow>(service, &prefix)? {
        counts.offers += 1;
        match offer_state(&o, now) {
            "offered" => counts.open += 1,
            "claimed" => counts.claimed += 1,
            _ => counts.lapsed += 1,
        }
        bump(o.created_at, |d| &mut d.offers);
        if let Some(at) = o.claimed_at {
            bump(at, |d| &mut d.claimed);
        }
    }
    counts.issued = scan_all::<IssuanceRow>(service, &prefix)?.len() as u64;
    // Revoked and suspended count awards, as the credentials list shows them: an award claimed
    // in two formats is one learner's one badge. Rows from before awards count on their own.
    let mut revoked = BTreeSet::new();
    let mut suspended = BTreeSet::new();
    for s in scan_all::<CredentialStatusRow>(service, &prefix)? {
        let award = s.award.clone().unwrap_or_else(|| s.credential_id.clone());
        match s.state.as_str() {
            "revoked" => revoked.insert(award),
            "suspended" => suspended.insert(award),
            _ => false,
        };
    }
    counts.revoked = revoked.len() as u64;
    counts.suspended = suspended.difference(&revoked).count() as u64;
    // Presentation requests with a verdict (accepted or not); the verifier owns their rows.
    let requests = verifier.list_requests(slug)?;
    for request in requests.iter().filter(|r| !r["result"].is_null()) {
        counts.verifications += 1;
        if let Some(at) = request["created_at"].as_str().and_then(Timestamp::parse) {
            bump(at.unix(), |d| &mut d.verifications);
        }
    }
    counts.days = std::mem::take(&mut data.days);
    counts.peak = counts
        .days
        .iter()
        .map(|d| d.offers.max(d.claimed).max(d.verifications))
        .max()
        .unwrap_or(0)
        .max(1);
    Ok(counts)
}

/// One line of the issued-credentials table: one award (an offer), whatever formats it was
/// claimed in. A status change to any of its credentials applies to all of them, so the line
/// has one state and one set of actions.
#[derive(Debug, Clone)]
pub(crate) struct CredentialLine {
    /// The offer.
    pub(crate) offer_id: String,
    /// Recipient name.
    pub(crate) recipient: String,
    /// Achievement name.
    pub(crate) achievement: String,
    /// `offered`, `claimed`, `expired`, `locked`, `revoked` or `suspended`.
    pub(crate) state: &'static str,
    /// The id of the award's first credential, once claimed: the one the actions name (the
    /// issuer applies a status change to every credential of the award).
    pub(crate) credential_id: Option<String>,
    /// Every credential of the award: (id, its format as people name it).
    pub(crate) copies: Vec<(String, String)>,
    /// Offer creation date (`YYYY-MM-DD`).
    pub(crate) created: String,
    /// Why it was revoked or suspended.
    pub(crate) reason: Option<String>,
    /// Its status entry's purpose is `suspension` (so it can be suspended).
    pub(crate) suspendable: bool,
    /// The offer was a re-issue of this credential.
    pub(crate) reissue_of: Option<String>,
    created_at: i64,
}

impl CredentialLine {
    /// A revoke form applies.
    pub(crate) fn can_revoke(&self) -> bool {
        self.credential_id.is_some() && self.state != "revoked"
    }

    /// A suspend form applies.
    pub(crate) fn can_suspend(&self) -> bool {
        self.credential_id.is_some() && self.suspendable && self.state == "claimed"
    }

    /// A reinstate form applies.
    pub(crate) fn can_reinstate(&self) -> bool {
        self.credential_id.is_some() && self.state == "suspended"
    }
}

/// What the credentials table shows: a search, a state filter and a page number (from 1).
#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialQuery {
    /// Recipient name (substring, any case), recipient e-mail (exact) or credential/offer id.
    pub(crate) q: Option<String>,
    /// One of [`STATES`].
    pub(crate) state: Option<String>,
    /// 1-based page.
    pub(crate) page: usize,
}

/// One page of the table.
#[derive(Debug, Clone)]
pub(crate) struct CredentialPage {
    /// The lines of this page, newest offer first.
    pub(crate) lines: Vec<CredentialLine>,
    /// Lines matching in all.
    pub(crate) total: usize,
    /// Pages in all (at least 1).
    pub(crate) pages: usize,
}

fn matches(line: &CredentialLine, offer: &OfferRow, q: &str) -> bool {
    let needle = q.to_lowercase();
    if line.recipient.to_lowercase().contains(&needle)
        || line.offer_id == q
        || line
            .copies
            .iter()
            .any(|(id, _)| id == q || id.to_lowercase().contains(&needle))
    {
        return true;
    }
    // Only a salted hash of the e-mail is kept: hash the query with this offer's salt.
    q.contains('@')
        && offer.email_hash.as_deref()
            == Some(rosette_openbadges::identity_hash_sha256(q, &offer.email_salt).as_str())
}

/// The issued-credentials table of `slug`.
pub(crate) fn credentials(
    service: &Directory,
    slug: &str,
    query: &CredentialQuery,
) -> Result<CredentialPage, AdminError> {
    let prefix = format!("{slug}/");
    let now = service.clock().now().unix();
    let names: BTreeMap<String, String> = scan_all::<AchievementRow>(service, &prefix)?
        .into_iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let mut issued: BTreeMap<String, Vec<IssuanceRow>> = BTreeMap::new();
    for row in scan_all::<IssuanceRow>(service, &prefix)? {
        issued.entry(row.offer_id.clone()).or_default().push(row);
    }
    let statuses: BTreeMap<String, CredentialStatusRow> =
        scan_all::<CredentialStatusRow>(service, &prefix)?
            .into_iter()
            .map(|s| (s.credential_id.clone(), s))
            .collect();
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let mut lines = Vec::new();
    for offer in scan_all::<OfferRow>(service, &prefix)? {
        let base = CredentialLine {
            offer_id: offer.id.clone(),
            recipient: offer.recipient_name.clone(),
            achievement: names
                .get(&offer.achievement_id)
                .cloned()
                .unwrap_or_else(|| "(unknown achievement)".into()),
            state: offer_state(&offer, now),
            credential_id: None,
            copies: Vec::new(),
            created: Timestamp::from_unix(offer.created_at)
                .map(Timestamp::to_rfc3339)
                .and_then(|t| t.get(..10).map(str::to_owned))
                .unwrap_or_default(),
            reason: None,
            suspendable: false,
            reissue_of: offer.reissue_of.clone(),
            created_at: offer.created_at,
        };
        let mut line = base;
        let mut copies: Vec<&IssuanceRow> = issued.get(&offer.id).into_iter().flatten().collect();
        copies.sort_by(|a, b| {
            a.format
                .cmp(&b.format)
                .then_with(|| a.credential_id.cmp(&b.credential_id))
        });
        for credential in copies {
            line.credential_id
                .get_or_insert_with(|| credential.credential_id.clone());
            line.copies.push((
                credential.credential_id.clone(),
                crate::verifier::labels::format(&credential.format),
            ));
            // The award's state is its most severe copy's (they agree unless a change was
            // interrupted half-way; then the line still offers the action that finishes it).
            let state = match statuses.get(&credential.credential_id) {
                Some(status) => {
                    line.suspendable |= status.purpose == "suspension";
                    if status.reason.is_some() {
                        line.reason.clone_from(&status.reason);
                    }
                    match status.state.as_str() {
                        "revoked" => "revoked",
                        "suspended" => "suspended",
                        _ => "claimed",
                    }
                }
                None => "claimed",
            };
            let rank = |s: &str| match s {
                "revoked" => 3,
                "suspended" => 2,
                "claimed" => 1,
                _ => 0,
            };
            if rank(state) > rank(line.state) {
                line.state = state;
            }
        }
        let offer_lines = [line];
        for line in offer_lines {
            if query.state.as_deref().is_some_and(|s| s != line.state) {
                continue;
            }
            if q.is_some_and(|q| !matches(&line, &offer, q)) {
                continue;
            }
            lines.push(line);
        }
    }
    lines.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.offer_id.cmp(&b.offer_id))
    });
    let total = lines.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.clamp(1, pages);
    let lines = lines
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Ok(CredentialPage {
        lines,
        total,
        pages,
    })
}

/// The status purpose new credentials of `slug` carry (`revocation` unless set).
pub(crate) fn status_purpose(service: &Directory, slug: &str) -> Result<String, StorageError> {
    Ok(Repo::<StatusSettingsRow>::new(Arc::clone(service.store()))
        .get(slug.as_bytes())?
        .map_or_else(|| "revocation".to_owned(), |r| r.purpose.clone()))
}

/// An achievement of `slug`.
pub(crate) fn achievement(
    service: &Directory,
    slug: &str,
    id: &str,
) -> Result<AchievementRow, AdminError> {
    if id.is_empty() || id.len() > 64 {
        return Err(AdminError::NotFound("achievement"));
    }
    Repo::<AchievementRow>::new(Arc::clone(service.store()))
        .get(&crate::directory::records::scoped_key(slug, id))?
        .ok_or(AdminError::NotFound("achievement"))
}

/// The achievements of `slug`, by name.
pub(crate) fn achievements(
    service: &Directory,
    slug: &str,
) -> Result<Vec<AchievementRow>, AdminError> {
    let mut rows = scan_all::<AchievementRow>(service, &format!("{slug}/"))?;
    rows.sort_by_key(|a| a.name.to_lowercase());
    Ok(rows)
}
