//! Public badge pages and the drop-a-file verification page.
//!
//! A holder publishes a page for a badge this agent issued by answering a one-time challenge
//! with a presentation of the badge (proof of holding: the presentation is signed by the
//! credential subject and bound to the challenge nonce and the issuer's identifier). The page
//! shows the badge, the holder's chosen display name and a verdict computed when it is viewed.
//! Withdrawing takes a fresh proof of holding too: no withdraw secret is kept anywhere.
//!
//! The verification page checks any uploaded badge (JSON, VC-JWT, baked PNG or SVG) and
//! stores nothing. [`PublicService`] holds the logic (no HTTP); [`super::http`] maps it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::OsRng;
use rosette_core::Clock;
use rosette_proof::presentation::Binding;
use rosette_proof::{CheckName, Outcome, Verdict, Verifier};
use rosette_storage::{Repo, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::badge::{
    BadgeFacts, UploadError, decode_data_uri, extract_credential, facts_of, is_signed_presentation,
    presented_credential,
};
use super::records::{PublicBadgeRow, PublicChallengeRow};
use crate::directory::Directory;
use crate::directory::records::{InstitutionRow, scoped_key};
use crate::status::StatusService;

/// Lifetime of a publish / withdraw challenge, in seconds.
pub const CHALLENGE_LIFETIME: i64 = 300;
/// Expired challenges looked at (and removed) per new challenge.
const PURGE_BATCH: usize = 32;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 80;
/// Largest upload the verification page accepts, in bytes.
pub const UPLOAD_LIMIT: usize = 2 * 1024 * 1024;

/// A challenge to answer with a presentation.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    /// The nonce: `challenge` of an `ldp_vp` proof, or `nonce` of a VP-JWT.
    pub nonce: String,
    /// The audience: `domain` of an `ldp_vp` proof, or `aud` of a VP-JWT.
    pub audience: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

/// `POST <issuer>/public-badges` and `…/public-badges/withdraw` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingProof {
    /// The nonce of a challenge from `…/public-badges/challenge`.
    #[serde(default)]
    pub nonce: Option<String>,
    /// A presentation of exactly one badge: an `ldp_vp` object or a VP-JWT string.
    #[serde(default)]
    pub presentation: Option<Value>,
    /// The name to show on the page (publish only; absent: no name is shown).
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A published page.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// Page id.
    pub id: String,
    /// The page's URL.
    pub url: String,
    /// The display name shown, if any.
    pub display_name: Option<String>,
}

/// Why a publish or withdraw request was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No such institution.
    #[error("no such issuer")]
    UnknownIssuer,
    /// The body is not the JSON this endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the endpoint accepts.
    #[error("request body too large")]
    PayloadTooLarge,
    /// No presentation: the caller did not prove that it holds the badge.
    #[error("a presentation of the badge, signed by its holder, is required (proof of holding)")]
    ProofOfHoldingRequired,
    /// The nonce was never issued here, was used, or expired.
    #[error("the nonce is unknown, used or expired; ask for a new challenge")]
    UnknownNonce,
    /// The presentation is bound to another nonce or audience.
    #[error("the presentation is not bound to this challenge: {0}")]
    WrongBinding(String),
    /// The presentation's signature is missing, invalid or not the holder's.
    #[error("the presentation does not prove holding: {0}")]
    InvalidProofOfHolding(String),
    /// The presenter is not the badge's subject.
    #[error("the presenter is not the subject of this badge: {0}")]
    NotTheSubject(String),
    /// The badge itself does not verify.
    #[error("the badge does not verify: {0}")]
    InvalidBadge(String),
    /// The badge was issued by someone else.
    #[error("this badge was not issued by this issuer")]
    NotOurBadge,
    /// Withdraw of a badge that has no page.
    #[error("this badge has no public page")]
    NotPublished,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] rosette_storage::StorageError),
    /// Something else failed inside.
    #[error("internal error: {0}")]
    Internal(String),
}

impl PublishError {
    /// HTTP status and error code.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            Self::UnknownIssuer => (404, "not_found"),
            Self::NotPublished => (404, "not_published"),
            Self::BadRequest(_) => (400, "invalid_request"),
            Self::PayloadTooLarge => (413, "invalid_request"),
            Self::ProofOfHoldingRequired => (401, "proof_of_holding_required"),
            Self::UnknownNonce => (400, "invalid_nonce"),
            Self::WrongBinding(_) => (400, "invalid_binding"),
            Self::InvalidProofOfHolding(_) => (403, "invalid_proof_of_holding"),
            Self::NotTheSubject(_) => (403, "not_the_holder"),
            Self::InvalidBadge(_) => (400, "invalid_badge"),
            Self::NotOurBadge => (400, "not_our_badge"),
            // The database is down or restarting: retry later.
            Self::Storage(rosette_storage::StorageError::Unavailable { .. }) => {
                (503, "temporarily_unavailable")
            }
            Self::Storage(_) | Self::Internal(_) => (500, "server_error"),
        }
    }
}

/// A public page as viewed now.
#[derive(Debug, Clone)]
pub struct BadgePage {
    /// The page's URL.
    pub url: String,
    /// The holder's chosen name.
    pub display_name: Option<String>,
    /// The badge.
    pub facts: BadgeFacts,
    /// Verified at view time.
    pub verdict: Verdict,
    /// The institution's logo as a `data:image/` URI (pages load nothing from elsewhere).
    pub issuer_logo: Option<String>,
}

/// The outcome of checking an upload.
#[derive(Debug, Clone, Serialize)]
pub struct UploadVerdict {
    /// `JSON`, `VC-JWT`, `baked PNG` or `baked SVG`.
    pub source: &'static str,
    /// The badge.
    pub facts: BadgeFacts,
    /// The verdict.
    pub verdict: Verdict,
    /// The issuer's name when it is one of this agent's institutions.
    pub known_issuer: Option<String>,
}

/// Public pages and verification, over the directory's store and clock.
pub struct PublicService {
    dir: Arc<Directory>,
    clock: Arc<dyn Clock>,
    verifier: Verifier,
    /// Seals the stateless challenges (a sub-key of the KEK: challenges survive a restart).
    challenge_key: rosette_oid4vci::NonceSealKey,
}

impl std::fmt::Debug for PublicService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicService").finish_non_exhaustive()
    }
}

impl PublicService {
    /// The public pages of the directory's institutions, verifying with the status role's
    /// verifier (keys resolve as did:key offline and did:web over HTTPS).
    pub fn new(dir: Arc<Directory>, status: &StatusService) -> Self {
        let clock = dir.clock();
        let verifier = status.verifier();
        let challenge_key = rosette_oid4vci::NonceSealKey::new(
            *dir.settings().kek.derive("public-badge-challenge"),
        );
        Self {
            dir,
            clock,
            verifier,
            challenge_key,
        }
    }

    /// The service clock's now (the time a page's verdict is computed).
    pub fn now(&self) -> rosette_core::Timestamp {
        self.clock.now()
    }

    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self.dir.store())
    }

    fn repo<T: rosette_storage::Record>(&self) -> Repo<T> {
        Repo::new(self.store())
    }

    /// The URL of page `id` of `slug`.
    pub fn page_url(&self, slug: &str, id: &str) -> String {
        format!("{}/badges/{id}", self.dir.issuer_id(slug))
    }

    /// Issues a one-time challenge for `slug` (blocking: storage, to check the institution).
    /// Nothing is stored: the challenge is sealed (random bits, expiry, HMAC over the
    /// institution's issuer id), so asking for thousands costs the store nothing.
    pub fn challenge(&self, slug: &str) -> Result<Challenge, PublishError> {
        self.dir
            .institution(slug)?
            .ok_or(PublishError::UnknownIssuer)?;
        let now = self.clock.now();
        let audience = self.dir.issuer_id(slug);
        let nonce = rosette_oid4vci::issue_sealed_nonce(
            &self.challenge_key,
            &audience,
            &mut OsRng,
            now,
            CHALLENGE_LIFETIME,
        );
        Ok(Challenge {
            nonce: nonce.expose_secret().to_owned(),
            audience,
            expires_at: now.plus_seconds(CHALLENGE_LIFETIME).to_rfc3339(),
        })
    }

    /// Whether `nonce` is a live challenge of `slug` (no write).
    fn open_nonce(
        &self,
        slug: &str,
        nonce: &str,
    ) -> Result<rosette_oid4vci::SealedNonce, PublishError> {
        rosette_oid4vci::open_sealed_nonce(
            &self.challenge_key,
            &self.dir.issuer_id(slug),
            nonce,
            self.clock.now(),
        )
        .map_err(|_| PublishError::UnknownNonce)
    }

    /// Marks the challenge used, exactly once even under concurrent use. Only a presentation
    /// that verified gets here, so only holders of a badge write these rows; each sweeps a few
    /// expired ones, so the table holds about the challenges used in the last few minutes.
    fn consume_nonce(
        &self,
        slug: &str,
        sealed: &rosette_oid4vci::SealedNonce,
    ) -> Result<(), PublishError> {
        let repo = self.repo::<PublicChallengeRow>();
        let row = PublicChallengeRow {
            nonce_hash: sealed.id.to_hex(),
            slug: slug.to_owned(),
            expires_at: sealed.expires_at.unix(),
        };
        let now = self.clock.now().unix();
        let mut seen = repo.scan(b"", Some(row.nonce_hash.as_bytes()), PURGE_BATCH)?;
        if seen.len() < PURGE_BATCH {
            seen.extend(repo.scan(b"", None, PURGE_BATCH - seen.len())?);
        }
        for (key, old) in seen {
            if old.expires_at < now {
                repo.remove(&key)?;
            }
        }
        repo.create(&row)?.map_err(|_| PublishError::UnknownNonce)
    }

    /// Checks a proof of holding of one badge issued by `slug`; returns the credential text.
    /// The challenge is checked first and spent last, once the presentation has verified.
    /// `still_valid`: publishing needs a badge that verifies now; withdrawing needs only proof
    /// that the caller holds an authentic badge, so a revoked or expired badge's page (and the
    /// holder's name on it) can always be taken down.
    async fn check_holding(
        self: &Arc<Self>,
        slug: &str,
        proof: &HoldingProof,
        still_valid: bool,
    ) -> Result<String, PublishError> {
        let presentation = proof
            .presentation
            .clone()
            .filter(|p| !p.is_null())
            .ok_or(PublishError::ProofOfHoldingRequired)?;
        let nonce = proof
            .nonce
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| PublishError::BadRequest("nonce is required".into()))?;
        let inst = {
            let (this, slug) = (Arc::clone(self), slug.to_owned());
            blocking(move || {
                this.dir
                    .institution(&slug)?
                    .ok_or(PublishError::UnknownIssuer)
            })
            .await?
        };
        let sealed = self.open_nonce(slug, &nonce)?;
        if !presentation.is_object() && !presentation.is_string() {
            return Err(PublishError::ProofOfHoldingRequired);
        }
        if !is_signed_presentation(&presentation) {
            // A bare credential or an unsigned presentation proves nothing about its sender.
            return Err(PublishError::ProofOfHoldingRequired);
        }
        let binding = Binding {
            nonce,
            audience: self.dir.issuer_id(slug),
        };
        let checked = self
            .verifier
            .verify_presentation(&presentation, &binding)
            .await;
        if let Some(failed) = checked.presentation.first_failure() {
            return Err(match failed.name {
                CheckName::Binding => PublishError::WrongBinding(failed.detail.clone()),
                CheckName::Format => PublishError::BadRequest(failed.detail.clone()),
                _ => PublishError::InvalidProofOfHolding(failed.detail.clone()),
            });
        }
        let [verdict] = checked.credentials.as_slice() else {
            return Err(PublishError::BadRequest(format!(
                "present exactly one badge (got {})",
                checked.credentials.len()
            )));
        };
        let subject_binding = verdict
            .checks
            .iter()
            .rev()
            .find(|c| c.name == CheckName::Binding);
        if let Some(c) = subject_binding.filter(|c| c.outcome == Outcome::Failed) {
            return Err(PublishError::NotTheSubject(c.detail.clone()));
        }
        let counts = |name: CheckName| {
            still_valid || !matches!(name, CheckName::Status | CheckName::ValidityWindow)
        };
        if let Some(failed) = verdict
            .checks
            .iter()
            .find(|c| c.outcome == Outcome::Failed && counts(c.name))
        {
            return Err(PublishError::InvalidBadge(format!(
                "{}: {}",
                failed.name.label(),
                failed.detail
            )));
        }
        if verdict.issuer.as_deref() != Some(inst.did.as_str()) {
            return Err(PublishError::NotOurBadge);
        }
        let credential = presented_credential(&presentation)
            .ok_or_else(|| PublishError::BadRequest("the presentation holds no badge".into()))?;
        // The proof holds: now the challenge is spent (a replay of this presentation fails).
        let (this, slug) = (Arc::clone(self), slug.to_owned());
        blocking(move || this.consume_nonce(&slug, &sealed)).await?;
        Ok(credential)
    }

    /// Publishes (or renames) the page of the presented badge.
    pub async fn publish(
        self: &Arc<Self>,
        slug: &str,
        proof: HoldingProof,
    ) -> Result<Published, PublishError> {
        let display_name = display_name(proof.display_name.as_deref())?;
        let credential = self.check_holding(slug, &proof, true).await?;
        let facts = facts_of(&credential).unwrap_or_default();
        let id = page_id(slug, &facts, &credential);
        let row = PublicBadgeRow {
            slug: slug.to_owned(),
            id: id.clone(),
            credential,
            display_name: display_name.clone(),
            published_at: self.clock.now().unix(),
        };
        let this = Arc::clone(self);
        blocking(move || Ok(this.repo::<PublicBadgeRow>().put(&row)?)).await?;
        tracing::info!(slug = %slug, id = %id, "public badge page published");
        Ok(Published {
            url: self.page_url(slug, &id),
            id,
            display_name,
        })
    }

    /// Withdraws the page of the presented badge; afterwards it answers 404.
    pub async fn withdraw(
        self: &Arc<Self>,
        slug: &str,
        proof: HoldingProof,
    ) -> Result<Published, PublishError> {
        if proof.display_name.is_some() {
            return Err(PublishError::BadRequest(
                "display_name is not taken when withdrawing".into(),
            ));
        }
        let credential = self.check_holding(slug, &proof, false).await?;
        let facts = facts_of(&credential).unwrap_or_default();
        let id = page_id(slug, &facts, &credential);
        let this = Arc::clone(self);
        let key = scoped_key(slug, &id);
        let removed = blocking(move || Ok(this.repo::<PublicBadgeRow>().remove(&key)?)).await?;
        if !removed {
            return Err(PublishError::NotPublished);
        }
        tracing::info!(slug = %slug, id = %id, "public badge page withdrawn");
        Ok(Published {
            url: self.page_url(slug, &id),
            id,
            display_name: None,
        })
    }

    /// The stored page row (blocking: storage).
    pub(super) fn row(&self, slug: &str, id: &str) -> Result<Option<PublicBadgeRow>, PublishError> {
        if id.is_empty() || id.len() > 64 || slug.is_empty() || slug.len() > 64 {
            return Ok(None);
        }
        Ok(self.repo::<PublicBadgeRow>().get(&scoped_key(slug, id))?)
    }

    /// Page `id` of `slug`, verified now; `None` when there is none (or it was withdrawn).
    pub async fn page(
        self: &Arc<Self>,
        slug: &str,
        id: &str,
    ) -> Result<Option<BadgePage>, PublishError> {
        let this = Arc::clone(self);
        let (s, i) = (slug.to_owned(), id.to_owned());
        let found = blocking(move || {
            let Some(row) = this.row(&s, &i)? else {
                return Ok(None);
            };
            let logo = this.dir.institution(&s)?.and_then(|inst| inst.logo);
            Ok(Some((row, logo)))
        })
        .await?;
        let Some((row, logo)) = found else {
            return Ok(None);
        };
        let verdict = self.verifier.verify_text(&row.credential).await;
        Ok(Some(BadgePage {
            url: self.page_url(slug, id),
            display_name: row.display_name,
            facts: facts_of(&row.credential).unwrap_or_default(),
            verdict,
            issuer_logo: logo.filter(|l| l.starts_with("data:image/")),
        }))
    }

    /// The image of page `id`: (content type, bytes). Data URIs are decoded; anything else
    /// (no image, an external URL) becomes a generated badge image.
    pub async fn page_image(
        self: &Arc<Self>,
        slug: &str,
        id: &str,
    ) -> Result<Option<(&'static str, Vec<u8>)>, PublishError> {
        let this = Arc::clone(self);
        let (s, i) = (slug.to_owned(), id.to_owned());
        let Some(row) = blocking(move || this.row(&s, &i)).await? else {
            return Ok(None);
        };
        let facts = facts_of(&row.credential).unwrap_or_default();
        let decoded = facts.image.as_deref().and_then(decode_data_uri);
        Ok(Some(decoded.unwrap_or_else(|| {
            let name = facts.name.as_deref().unwrap_or("Badge");
            (
                "image/svg+xml",
                rosette_baking::default_badge_svg(name).into_bytes(),
            )
        })))
    }

    /// Verifies an uploaded badge. Nothing is stored.
    pub async fn verify_upload(
        self: &Arc<Self>,
        bytes: &[u8],
    ) -> Result<UploadVerdict, UploadError> {
        if bytes.len() > UPLOAD_LIMIT {
            return Err(UploadError::TooLarge);
        }
        let (source, text) = extract_credential(bytes)?;
        let verdict = self.verifier.verify_text(&text).await;
        // Too large to verify is too large to read for the page as well.
        let facts = if rosette_proof::json_too_large(&text).is_some() {
            BadgeFacts::default()
        } else {
            facts_of(&text).unwrap_or_default()
        };
        let known_issuer = match verdict.issuer.clone() {
            Some(issuer) => {
                let this = Arc::clone(self);
                blocking(move || Ok::<_, PublishError>(this.known_issuer(&issuer)))
                    .await
                    .ok()
                    .flatten()
            }
            None => None,
        };
        Ok(UploadVerdict {
            source,
            facts,
            verdict,
            known_issuer,
        })
    }

    /// The name of our institution whose DID is `did`, if any (blocking: storage).
    fn known_issuer(&self, did: &str) -> Option<String> {
        let repo = self.repo::<InstitutionRow>();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = repo
                .scan(b"", after.as_deref(), rosette_storage::MAX_SCAN_LIMIT)
                .ok()?;
            if let Some((_, inst)) = page.iter().find(|(_, i)| i.did == did) {
                return Some(inst.name.clone());
            }
            if page.len() < rosette_storage::MAX_SCAN_LIMIT {
                return None;
            }
            after = page.last().map(|(k, _)| k.clone());
        }
    }
}

async fn blocking<T, F>(f: F) -> Result<T, PublishError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, PublishError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PublishError::Internal(format!("worker failed: {e}")))?
}

fn display_name(given: Option<&str>) -> Result<Option<String>, PublishError> {
    let Some(name) = given.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    rosette_core::text::display_name(name, MAX_DISPLAY_NAME)
        .map(Some)
        .map_err(|e| PublishError::BadRequest(format!("display_name {e}")))
}

/// A stable, unguessable page id: a badge keeps its URL when republished.
fn page_id(slug: &str, facts: &BadgeFacts, credential: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"rosette-public-badge\0");
    digest.update(slug.as_bytes());
    digest.update(b"\0");
    digest.update(
        facts
            .credential_id
            .as_deref()
            .unwrap_or(credential)
            .as_bytes(),
    );
    let full = digest.finalize();
    URL_SAFE_NO_PAD.encode(full.get(..16).unwrap_or(&full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_checked() {
        assert_eq!(
            display_name(Some("  Ada ")).unwrap().as_deref(),
            Some("Ada")
        );
        assert_eq!(display_name(Some("   ")).unwrap(), None);
        assert!(display_name(Some("a\u{7}b")).is_err());
        assert!(display_name(Some(&"x".repeat(81))).is_err());
    }
}
