//! Offers: creating and re-issuing them, their tokens and PINs (derived from the server
//! secret), listings, and what the claim page shows.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_core::{SecretString, Timestamp};
use rosette_storage::{Record, StorageError, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::records::{AchievementRow, CodeRow, IssuanceRow, OfferRow, OfferTokenRow};
use super::service::{
    DEFAULT_OFFER_LIFETIME, IssuerService, JWT_VC_JSON, LDP_VC, OFFER_STATES, PIN_LENGTH, Page,
    PageRequest, random_hex,
};
use crate::directory::records::scoped_key;
use crate::error::{AdminError, ProtocolError};
use rosette_oid4vci::{
    CredentialOffer, OfferToken, SecretHash, TxCodeSpec, offer_url_by_reference, offer_url_by_value,
};

/// Offer recipient.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Name (goes into the credential).
    pub name: String,
    /// E-mail (goes into the credential hashed and salted).
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST …/admin/offers` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOffer {
    /// The achievement to award.
    pub achievement_id: String,
    /// The recipient.
    pub recipient: Recipient,
    /// Whether a PIN (tx_code) is required (default true).
    #[serde(default)]
    pub pin: Option<bool>,
    /// Lifetime (default 7 days).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
    /// Offered configurations (default both).
    #[serde(default)]
    pub configurations: Option<Vec<String>>,
}

/// `POST …/admin/credentials/{credential_id}/reissue` body (every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReissueInput {
    /// Lifetime of the new offer (default 7 days).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
    /// Whether a PIN (tx_code) is required (default true).
    #[serde(default)]
    pub pin: Option<bool>,
}

/// An offer as the admin API shows it on creation.
#[derive(Serialize)]
pub struct CreatedOffer {
    /// Offer id.
    pub id: String,
    /// `offered`.
    pub state: &'static str,
    /// `openid-credential-offer://?credential_offer_uri=…`.
    pub offer_url: String,
    /// `openid-credential-offer://?credential_offer=…`.
    pub offer_url_by_value: String,
    /// The PIN, when one is required (deliver on a second channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
    /// Claim page URL.
    pub claim_page: String,
    /// QR (SVG) URL.
    pub qr_svg: String,
    /// QR (PNG) URL.
    pub qr_png: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

impl std::fmt::Debug for CreatedOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedOffer")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What the claim page shows.
#[derive(Debug)]
pub(crate) struct ClaimView {
    pub(crate) institution: String,
    pub(crate) achievement_name: String,
    pub(crate) achievement_description: String,
    pub(crate) image: Option<String>,
    pub(crate) recipient: String,
    pub(crate) pin: bool,
    pub(crate) offer_url: Option<String>,
    pub(crate) state: &'static str,
    pub(crate) expires_at: String,
}

impl IssuerService {
    pub(super) fn offer_token(&self, offer_id: &str) -> OfferToken {
        OfferToken::from_presented(URL_SAFE_NO_PAD.encode(self.derive("offer-token", offer_id)))
    }

    pub(super) fn offer_pin(&self, offer_id: &str) -> SecretString {
        let bytes = self.derive("tx-code", offer_id);
        let mut n = u64::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
        let mut digits = String::with_capacity(PIN_LENGTH);
        for _ in 0..PIN_LENGTH {
            digits.push(char::from(b'0' + (n % 10) as u8));
            n /= 10;
        }
        SecretString::new(digits)
    }

    pub(super) fn offer_uri(&self, slug: &str, offer_id: &str) -> String {
        self.offer_token(offer_id)
            .offer_uri(&format!("{}/offers", self.issuer_id(slug)))
    }

    // ---------------------------------------------------------------- offers

    /// Creates an offer (one atomic write: offer, token index, code state).
    pub fn create_offer(&self, slug: &str, input: NewOffer) -> Result<CreatedOffer, AdminError> {
        self.create_offer_with(slug, input, |_, _| Ok(()))
    }

    /// [`IssuerService::create_offer`], with `extra` adding its own writes and requirements to
    /// the offer's atomic batch (a bulk job's line result).
    pub(super) fn create_offer_with(
        &self,
        slug: &str,
        input: NewOffer,
        extra: impl FnOnce(&mut WriteBatch, &OfferRow) -> Result<(), StorageError>,
    ) -> Result<CreatedOffer, AdminError> {
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &input.achievement_id))?
            .ok_or(AdminError::NotFound("achievement"))?;
        if achievement.archived {
            return Err(AdminError::Invalid("the achievement is archived".into()));
        }
        let recipient_name = rosette_core::text::display_name(&input.recipient.name, 200)
            .map_err(|e| AdminError::Invalid(format!("recipient.name {e}")))?;
        if let Some(email) = &input.recipient.email
            && (!email.contains('@') || email.len() > 320)
        {
            return Err(AdminError::Invalid(format!(
                "not an e-mail address: {email:?}"
            )));
        }
        let configurations = match input.configurations {
            None => vec![LDP_VC.to_owned(), JWT_VC_JSON.to_owned()],
            Some(list) => {
                if list.is_empty() || list.iter().any(|c| c != LDP_VC && c != JWT_VC_JSON) {
                    return Err(AdminError::Invalid(format!(
                        "configurations must be a non-empty subset of [{LDP_VC}, {JWT_VC_JSON}]"
                    )));
                }
                let mut unique = Vec::new();
                for c in list {
                    if !unique.contains(&c) {
                        unique.push(c);
                    }
                }
                unique
            }
        };
        let lifetime = input.expires_in_seconds.unwrap_or(DEFAULT_OFFER_LIFETIME);
        if lifetime == 0 || lifetime > 365 * 86_400 {
            return Err(AdminError::Invalid(
                "expires_in_seconds must be between 1 and 31536000".into(),
            ));
        }
        let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX);
        let pin = input.pin.unwrap_or(true);
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        let salt = random_hex(16);
        let row = OfferRow {
            issued_configurations: Vec::new(),
            holder: None,
            slug: slug.to_owned(),
            id: id.clone(),
            achievement_id: achievement.id.clone(),
            recipient_name,
            email_hash: input
                .recipient
                .email
                .as_deref()
                .map(|e| rosette_openbadges::identity_hash_sha256(e.trim(), &salt)),
            email_salt: salt,
            configurations: configurations.clone(),
            pin,
            created_at: now.unix(),
            expires_at: now.plus_seconds(lifetime).unix(),
            claimed_at: None,
            locked_at: None,
            reissue_of: None,
        };
        self.store_offer_with(row, pin, lifetime, extra)
    }

    /// Writes a new offer atomically (offer, token index, code state) and shows it.
    pub(super) fn store_offer(
        &self,
        row: OfferRow,
        pin: bool,
        lifetime: i64,
    ) -> Result<CreatedOffer, AdminError> {
        self.store_offer_with(row, pin, lifetime, |_, _| Ok(()))
    }

    fn store_offer_with(
        &self,
        row: OfferRow,
        pin: bool,
        lifetime: i64,
        extra: impl FnOnce(&mut WriteBatch, &OfferRow) -> Result<(), StorageError>,
    ) -> Result<CreatedOffer, AdminError> {
        let (slug, id, now) = (row.slug.as_str(), row.id.as_str(), self.now());
        let configurations = row.configurations.clone();
        let token = self.offer_token(id);
        let code = token.pre_authorized_code();
        let tx_code = pin.then(|| self.offer_pin(id));
        let mut state = rosette_oid4vci::PreAuthorizedCodeState::new(
            &code,
            configurations,
            None,
            now,
            lifetime,
        );
        state.tx_code_hash = tx_code
            .as_ref()
            .map(|pin| SecretHash::of(&self.keyed_pin(id, pin.expose_secret())));
        let mut batch = WriteBatch::new();
        batch.require_no_record::<OfferRow>(row.key());
        batch
            .put(&row)?
            .put(&OfferTokenRow {
                token_hash: token.hash().to_hex(),
                slug: slug.to_owned(),
                offer_id: id.to_owned(),
            })?
            .put(&CodeRow {
                slug: slug.to_owned(),
                offer_id: id.to_owned(),
                state,
                keyed_pin: true,
            })?;
        extra(&mut batch, &row)?;
        self.store().apply(batch)?;
        self.created_offer(&row, tx_code.as_ref())
    }

    /// `POST B/admin/credentials/{credential_id}/reissue`: a new offer to the recipient of an
    /// issued credential. Claiming it issues a credential with the same `id`, a newer
    /// `validFrom`, the achievement's current definition and a fresh status entry; the earlier
    /// credential's status bit is left as it is. Unknown credential (or another
    /// institution's): `NotFound`.
    pub fn reissue(
        &self,
        slug: &str,
        credential_id: &str,
        input: ReissueInput,
    ) -> Result<CreatedOffer, AdminError> {
        let issued = self
            .repo::<IssuanceRow>()
            .get(&scoped_key(slug, credential_id))?
            .ok_or(AdminError::NotFound("credential"))?;
        let original = self
            .repo::<OfferRow>()
            .get(&scoped_key(slug, &issued.offer_id))?
            .ok_or(AdminError::NotFound("credential"))?;
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &issued.achievement_id))?
            .ok_or(AdminError::NotFound("achievement"))?;
        if achievement.archived {
            return Err(AdminError::Invalid("the achievement is archived".into()));
        }
        let lifetime = input.expires_in_seconds.unwrap_or(DEFAULT_OFFER_LIFETIME);
        if lifetime == 0 || lifetime > 365 * 86_400 {
            return Err(AdminError::Invalid(
                "expires_in_seconds must be between 1 and 31536000".into(),
            ));
        }
        let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX);
        let pin = input.pin.unwrap_or(true);
        let now = self.now();
        let row = OfferRow {
            issued_configurations: Vec::new(),
            holder: None,
            slug: slug.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            achievement_id: achievement.id.clone(),
            // The same recipient: name and salted e-mail hash carry over unchanged.
            recipient_name: original.recipient_name.clone(),
            email_hash: original.email_hash.clone(),
            email_salt: original.email_salt.clone(),
            // The format of the credential being re-issued only: one credential, one id.
            configurations: vec![issued.configuration_id.clone()],
            pin,
            created_at: now.unix(),
            expires_at: now.plus_seconds(lifetime).unix(),
            claimed_at: None,
            locked_at: None,
            reissue_of: Some(issued.credential_id.clone()),
        };
        self.store_offer(row, pin, lifetime)
    }

    /// A fresh offer to the learner of offer `offer_id`, which expired or was locked by wrong
    /// PINs: the same recipient (name, salted e-mail hash), achievement, formats and PIN
    /// choice, a new link and PIN, the default lifetime. An open or claimed offer is refused
    /// (re-issue a claimed credential instead).
    pub fn renew_offer(&self, slug: &str, offer_id: &str) -> Result<CreatedOffer, AdminError> {
        let old = self
            .repo::<OfferRow>()
            .get(&scoped_key(slug, offer_id))?
            .ok_or(AdminError::NotFound("offer"))?;
        let state = self.offer_state(&old, self.now());
        if state == "offered" || state == "claimed" {
            return Err(AdminError::Invalid(format!(
                "offer {offer_id} is {state}: only an expired or locked offer gets a new one"
            )));
        }
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &old.achievement_id))?
            .ok_or(AdminError::NotFound("achievement"))?;
        if achievement.archived {
            return Err(AdminError::Invalid(format!(
                "achievement {:?} is archived",
                achievement.name
            )));
        }
        let lifetime = i64::try_from(DEFAULT_OFFER_LIFETIME).unwrap_or(i64::MAX);
        let now = self.now();
        let row = OfferRow {
            issued_configurations: Vec::new(),
            holder: None,
            id: uuid::Uuid::new_v4().to_string(),
            created_at: now.unix(),
            expires_at: now.plus_seconds(lifetime).unix(),
            claimed_at: None,
            locked_at: None,
            ..old
        };
        let pin = row.pin;
        self.store_offer(row, pin, lifetime)
    }

    pub(super) fn created_offer(
        &self,
        row: &OfferRow,
        tx_code: Option<&SecretString>,
    ) -> Result<CreatedOffer, AdminError> {
        let offer = self.credential_offer(row);
        let by_value =
            offer_url_by_value(&offer).map_err(|e| AdminError::Internal(e.to_string()))?;
        let claim = format!("{}/claim/{}", self.issuer_id(&row.slug), row.id);
        Ok(CreatedOffer {
            id: row.id.clone(),
            state: "offered",
            offer_url: offer_url_by_reference(&self.offer_uri(&row.slug, &row.id)),
            offer_url_by_value: by_value,
            tx_code: tx_code.map(|t| t.expose_secret().to_owned()),
            qr_svg: format!("{claim}/qr.svg"),
            qr_png: format!("{claim}/qr.png"),
            claim_page: claim,
            expires_at: Timestamp::from_unix(row.expires_at)
                .map(Timestamp::to_rfc3339)
                .unwrap_or_default(),
        })
    }

    pub(super) fn credential_offer(&self, row: &OfferRow) -> CredentialOffer {
        let code = self.offer_token(&row.id).pre_authorized_code();
        let spec = row.pin.then(|| {
            TxCodeSpec::numeric(
                PIN_LENGTH as u32,
                Some("Enter the PIN you received by e-mail"),
            )
        });
        CredentialOffer::pre_authorized(
            self.issuer_id(&row.slug),
            row.configurations.clone(),
            code.expose_secret(),
            spec,
        )
    }

    pub(super) fn offer_state(&self, row: &OfferRow, now: Timestamp) -> &'static str {
        if row.claimed_at.is_some() {
            "claimed"
        } else if row.locked_at.is_some() {
            "locked"
        } else if now.unix() >= row.expires_at {
            "expired"
        } else {
            "offered"
        }
    }

    /// A page of an institution's offers, optionally only those in `state`.
    pub fn list_offers(
        &self,
        slug: &str,
        state: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page, AdminError> {
        if let Some(s) = state
            && !OFFER_STATES.contains(&s)
        {
            return Err(AdminError::Invalid(
                "state must be offered, claimed, expired or locked".into(),
            ));
        }
        let now = self.now();
        let claim_base = format!("{}/claim", self.issuer_id(slug));
        self.page_of::<OfferRow>(
            &format!("{slug}/"),
            page,
            |r| state.is_none_or(|s| s == self.offer_state(r, now)),
            |r| {
                json!({
                    "id": r.id,
                    "state": self.offer_state(r, now),
                    "achievement_id": r.achievement_id,
                    "recipient": {"name": r.recipient_name},
                    "configurations": r.configurations,
                    "pin": r.pin,
                    "created_at": Timestamp::from_unix(r.created_at).map(Timestamp::to_rfc3339),
                    "expires_at": Timestamp::from_unix(r.expires_at).map(Timestamp::to_rfc3339),
                    "claimed_at": r.claimed_at.and_then(Timestamp::from_unix).map(Timestamp::to_rfc3339),
                    "locked_at": r.locked_at.and_then(Timestamp::from_unix).map(Timestamp::to_rfc3339),
                    "claim_page": format!("{claim_base}/{}", r.id),
                    "reissue_of": r.reissue_of,
                })
            },
        )
    }

    /// A page of an institution's issuance records (in credential id order).
    pub fn list_credentials(&self, slug: &str, page: &PageRequest) -> Result<Page, AdminError> {
        self.page_of::<IssuanceRow>(
            &format!("{slug}/"),
            page,
            |_| true,
            |r| {
                json!({
                    "credential_id": r.credential_id,
                    "offer_id": r.offer_id,
                    "achievement_id": r.achievement_id,
                    "configuration_id": r.configuration_id,
                    "format": r.format,
                    "subject_did": r.subject_did,
                    "issued_at": Timestamp::from_unix(r.issued_at).map(Timestamp::to_rfc3339),
                    "reissue_of": r.reissue_of.as_ref().map(|l| json!({
                        "credential_id": l.credential_id,
                        "offer_id": l.offer_id,
                        "issued_at": Timestamp::from_unix(l.issued_at).map(Timestamp::to_rfc3339),
                    })),
                })
            },
        )
    }

    /// The claim page's data.
    pub(crate) fn claim_view(
        &self,
        slug: &str,
        offer_id: &str,
    ) -> Result<ClaimView, ProtocolError> {
        let inst = self.institution(slug)?.ok_or(ProtocolError::NotFound)?;
        let offer = self
            .repo::<OfferRow>()
            .get(&scoped_key(slug, offer_id))?
            .ok_or(ProtocolError::NotFound)?;
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &offer.achievement_id))?
            .ok_or(ProtocolError::NotFound)?;
        let state = self.offer_state(&offer, self.now());
        Ok(ClaimView {
            institution: inst.name,
            achievement_name: achievement.name,
            achievement_description: achievement.description,
            image: achievement.image,
            recipient: offer.recipient_name.clone(),
            pin: offer.pin,
            offer_url: (state == "offered")
                .then(|| offer_url_by_reference(&self.offer_uri(slug, offer_id))),
            state,
            expires_at: Timestamp::from_unix(offer.expires_at)
                .map(Timestamp::to_rfc3339)
                .unwrap_or_default(),
        })
    }

    /// The by-reference offer URL and PIN of an offer (for `--demo`), if still claimable.
    pub fn offer_url_and_pin(
        &self,
        slug: &str,
        offer_id: &str,
    ) -> Result<Option<(String, Option<String>)>, AdminError> {
        let Some(offer) = self.repo::<OfferRow>().get(&scoped_key(slug, offer_id))? else {
            return Ok(None);
        };
        if self.offer_state(&offer, self.now()) != "offered" {
            return Ok(None);
        }
        let pin = offer
            .pin
            .then(|| self.offer_pin(offer_id).expose_secret().to_owned());
        Ok(Some((
            offer_url_by_reference(&self.offer_uri(slug, offer_id)),
            pin,
        )))
    }

    /// Ids of an institution's offers that are still claimable.
    pub fn open_offer_ids(&self, slug: &str) -> Result<Vec<String>, AdminError> {
        let now = self.now();
        let prefix = format!("{slug}/");
        let rows = self.repo::<OfferRow>().scan(
            prefix.as_bytes(),
            None,
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        Ok(rows
            .into_iter()
            .filter(|(_, r)| self.offer_state(r, now) == "offered")
            .map(|(_, r)| r.id.clone())
            .collect())
    }
}
