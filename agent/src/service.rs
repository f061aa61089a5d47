//! The agent's logic, HTTP-free: institutions, achievements, offers and OpenID4VCI issuance
//! on a [`Store`]. Every call is synchronous (storage and signing block); the HTTP layer runs
//! them on the blocking pool.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use rosette_core::{Clock, SecretString, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_oid4vci::{
    AuthorizationServerMetadata, BatchCredentialIssuance, BearerError, CredentialConfiguration,
    CredentialDisplay, CredentialIssuerMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, GrantType, IssuerDisplay, KeyProofExpectations, NonceError, NonceResponse,
    NonceSealKey, NotificationError, NotificationRequest, OfferToken, SecretHash, TokenError,
    TokenRequest, TokenResponse, TokenSettings, TxCodeSpec, check_distinct_keys,
    issue_sealed_nonce, offer_url_by_reference, offer_url_by_value, open_sealed_nonce, redeem,
    unverified_proof_nonce, validate_credential_request, validate_jwt_proof,
};
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner};
use rosette_storage::{Record, Repo, Store, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::error::{AdminError, ProtocolError};
use crate::records::{
    AccessTokenRow, AchievementRow, AdminTokenRow, CodeRow, DidMethod, InstitutionRow, IssuanceRow,
    KeyRow, NotificationRow, OfferRow, OfferTokenRow, ReissueLink, ServerSecretRow, UsedNonceRow,
    scoped_key,
};

/// The `ldp_vc` configuration id.
pub const LDP_VC: &str = "OpenBadgeCredential_ldp_vc";
/// The `jwt_vc_json` configuration id.
pub const JWT_VC_JSON: &str = "OpenBadgeCredential_jwt_vc_json";
/// Default offer lifetime: 7 days.
pub const DEFAULT_OFFER_LIFETIME: u64 = 7 * 24 * 3600;
/// Digits of generated PINs.
const PIN_LENGTH: usize = 6;
/// Attempts at a compare-and-swap before giving up (each lost race is another's win).
const CAS_ATTEMPTS: usize = 64;
/// Items per admin listing page when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: usize = 100;
/// The largest `limit` of an admin listing page.
pub const MAX_PAGE_LIMIT: usize = 1000;
/// Offer states a listing can filter on.
const OFFER_STATES: [&str; 4] = ["offered", "claimed", "expired", "locked"];

/// Which page of an admin listing to answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageRequest {
    /// Items per page: 1..=[`MAX_PAGE_LIMIT`], default [`DEFAULT_PAGE_LIMIT`].
    #[serde(default)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page; none: the first page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One page of an admin listing: `{items, next_cursor}`; `next_cursor` is null on the last
/// page. Items come in storage key order, which is stable across pages.
#[derive(Debug, Serialize)]
pub struct Page {
    /// The items.
    pub items: Vec<Value>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

/// Runtime settings.
#[derive(Debug)]
pub struct Settings {
    /// Public base URL without trailing slash, e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    /// The operator token (full admin access).
    pub operator_token: SecretString,
    /// Largest batch (proofs per credential request).
    pub batch_size: u32,
    /// Wrong PINs allowed per offer.
    pub max_tx_code_attempts: u32,
    /// Access token lifetime in seconds.
    pub access_token_lifetime: i64,
    /// c_nonce lifetime in seconds.
    pub nonce_lifetime: i64,
}

impl Settings {
    /// Laptop defaults for `public_url` with the given operator token.
    pub fn new(public_url: impl Into<String>, operator_token: SecretString) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            operator_token,
            batch_size: 10,
            max_tx_code_attempts: 5,
            access_token_lifetime: 600,
            nonce_lifetime: 300,
        }
    }
}

/// Who presented an admin token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The operator: everything.
    Operator,
    /// An institution admin: its own data only.
    Institution(String),
}

/// `POST /admin/institutions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInstitution {
    /// `[a-z0-9-]{1,40}`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Home page.
    #[serde(default)]
    pub url: Option<String>,
    /// Logo URL.
    #[serde(default)]
    pub logo: Option<String>,
    /// `key` (default) or `web`.
    #[serde(default)]
    pub did_method: Option<DidMethod>,
}

/// `PUT B/admin/institution` body: how the institution presents itself (issuer metadata
/// `display`, the `issuer` of new credentials, the pages).
#[derive(Debug, Deserialize)]
pub struct InstitutionDisplay {
    /// Display name (1 to 200 characters).
    pub name: String,
    /// Home page, `https://` or `http://`; absent or empty: none.
    #[serde(default)]
    pub url: Option<String>,
    /// Logo: an `https://` URL or a `data:image/…;base64,` URI of at most 256 KiB; absent or
    /// empty: none.
    #[serde(default)]
    pub logo: Option<String>,
}

/// The answer to creating an institution (the admin token is shown only here).
#[derive(Serialize)]
pub struct CreatedInstitution {
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Issuer DID.
    pub did: String,
    /// Credential Issuer Identifier.
    pub issuer: String,
    /// The institution's admin token.
    pub admin_token: String,
}

impl std::fmt::Debug for CreatedInstitution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInstitution")
            .field("slug", &self.slug)
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

/// Achievement criteria.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Criteria {
    /// Narrative (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    /// Criteria URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `POST/PUT …/admin/achievements` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Criteria.
    pub criteria: Criteria,
    /// Image URL (or `data:` URI).
    #[serde(default)]
    pub image: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// OB Alignment objects.
    #[serde(default)]
    pub alignment: Vec<Value>,
    /// OB ResultDescription objects.
    #[serde(default)]
    pub result_descriptions: Vec<Value>,
    /// OB achievementType.
    #[serde(default)]
    pub achievement_type: Option<String>,
    /// Credential validity in days (validUntil); none: no expiry.
    #[serde(default)]
    pub validity_days: Option<u32>,
}

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

/// What the protocol endpoints need of an institution, built once per slug: its row, its
/// issuer metadata and the proof algorithms per configuration. Dropped from the cache when the
/// institution's display changes ([`Service::update_institution_display`]).
#[derive(Debug)]
struct IssuerContext {
    inst: InstitutionRow,
    issuer_id: String,
    metadata: CredentialIssuerMetadata,
}

/// The agent: storage, clock, settings and per-institution signers.
pub struct Service {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    canon: Canonicalizer,
    offer_secret: SecretString,
    /// Seals the stateless c_nonces (derived from the server secret, so nonces survive a
    /// restart).
    nonce_key: NonceSealKey,
    // Private cache of loaded signing keys; keyed by slug, never serialised.
    signers: Mutex<BTreeMap<String, Arc<CredentialSigner>>>,
    // Private cache of institutions as the protocol endpoints see them; keyed by slug,
    // never serialised.
    issuers: Mutex<BTreeMap<String, Arc<IssuerContext>>>,
    /// Bumped (under the `issuers` lock) whenever an institution row changes, so that a context
    /// built from a row read before the change is not cached after it.
    issuers_generation: std::sync::atomic::AtomicU64,
    /// Status list indices reserved for issuance (see [`crate::status`]).
    pub(crate) status: crate::status::StatusState,
    /// Where the last sweep of used nonces stopped (see [`Service::sweep_used_nonces`]).
    nonce_sweep_after: Mutex<Option<Vec<u8>>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("public_url", &self.settings.public_url)
            .finish_non_exhaustive()
    }
}

fn valid_slug(slug: &str) -> bool {
    (1..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

fn random_token() -> String {
    let mut buf = [0u8; 32];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

impl Service {
    /// A service over `store`; creates the server secret on first use.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Result<Self, AdminError> {
        let secrets = Repo::<ServerSecretRow>::new(Arc::clone(&store));
        let fresh = ServerSecretRow {
            name: "offer_secret".into(),
            secret_hex: random_hex(32),
        };
        // First start wins; later starts read what was stored.
        let _ = secrets.create(&fresh)?;
        let stored = secrets
            .get(b"offer_secret")?
            .ok_or_else(|| AdminError::Internal("server secret missing".into()))?;
        let offer_secret = SecretString::new(stored.secret_hex.clone());
        let nonce_key = NonceSealKey::new(derive(&offer_secret, "c-nonce-seal", ""));
        Ok(Self {
            store,
            clock,
            settings,
            canon: Canonicalizer::bundled(),
            offer_secret,
            nonce_key,
            signers: Mutex::new(BTreeMap::new()),
            issuers: Mutex::new(BTreeMap::new()),
            issuers_generation: std::sync::atomic::AtomicU64::new(0),
            status: crate::status::StatusState::default(),
            nonce_sweep_after: Mutex::new(None),
        })
    }

    /// Drops used-nonce rows whose nonce has expired, looking at up to `limit` rows from where
    /// the last sweep stopped (wrapping around), and returns how many it dropped. An expired
    /// nonce is refused by its own seal before its row is ever consulted, so the row guards
    /// nothing any more; without this the table would grow by one row per issuance forever.
    /// The server runs it every minute.
    pub fn sweep_used_nonces(&self, limit: usize) -> Result<usize, rosette_storage::StorageError> {
        let now = self.now().unix();
        let mut after = self.nonce_sweep_after.lock().map_err(|_| {
            rosette_storage::StorageError::EngineBug {
                reason: "nonce sweep cursor poisoned".into(),
            }
        })?;
        let rows = self
            .repo::<UsedNonceRow>()
            .scan(b"", after.as_deref(), limit)?;
        *after = if rows.len() < limit {
            None
        } else {
            rows.last().map(|(key, _)| key.clone())
        };
        let mut batch = WriteBatch::new();
        let mut dropped = 0;
        for (key, row) in &rows {
            if row.expires_at < now {
                batch.delete::<UsedNonceRow>(key.clone());
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.store.apply(batch)?;
        }
        Ok(dropped)
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The clock (the verifier role shares it).
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    fn repo<T: rosette_storage::Record>(&self) -> Repo<T> {
        Repo::new(Arc::clone(&self.store))
    }

    /// `<public>/issuers/<slug>`.
    pub fn issuer_id(&self, slug: &str) -> String {
        format!("{}/issuers/{slug}", self.settings.public_url)
    }

    /// HMAC-SHA256(server secret, label ‖ 0 ‖ offer id): offer tokens and PINs are derived,
    /// so the claim page can show the offer again while storage holds only hashes.
    fn derive(&self, label: &str, offer_id: &str) -> [u8; 32] {
        derive(&self.offer_secret, label, offer_id)
    }

    fn offer_token(&self, offer_id: &str) -> OfferToken {
        OfferToken::from_presented(URL_SAFE_NO_PAD.encode(self.derive("offer-token", offer_id)))
    }

    fn offer_pin(&self, offer_id: &str) -> SecretString {
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

    fn offer_uri(&self, slug: &str, offer_id: &str) -> String {
        self.offer_token(offer_id)
            .offer_uri(&format!("{}/offers", self.issuer_id(slug)))
    }

    // ---------------------------------------------------------------- admin: auth

    /// Who `token` belongs to.
    pub fn authenticate(&self, token: Option<&str>) -> Result<Caller, AdminError> {
        let token = token.ok_or(AdminError::Unauthorized)?;
        if SecretHash::of(self.settings.operator_token.expose_secret()).matches(token) {
            return Ok(Caller::Operator);
        }
        let hash = SecretHash::of(token).to_hex();
        match self.repo::<AdminTokenRow>().get(hash.as_bytes())? {
            Some(row) => Ok(Caller::Institution(row.slug.clone())),
            None => Err(AdminError::Unauthorized),
        }
    }

    /// Checks that `caller` may act on `slug` and that it exists.
    pub fn authorize(&self, caller: &Caller, slug: &str) -> Result<InstitutionRowView, AdminError> {
        if let Caller::Institution(own) = caller
            && own != slug
        {
            return Err(AdminError::Forbidden);
        }
        let row = self
            .repo::<InstitutionRow>()
            .get(slug.as_bytes())?
            .ok_or(AdminError::NotFound("institution"))?;
        Ok(InstitutionRowView(row))
    }

    /// One page of the records of `T` under `prefix` that `keep` accepts, shown by `show`.
    /// The cursor is the base64url key suffix (after `prefix`) of the last item shown.
    fn page_of<T: Record>(
        &self,
        prefix: &str,
        request: &PageRequest,
        keep: impl Fn(&T) -> bool,
        show: impl Fn(&T) -> Value,
    ) -> Result<Page, AdminError> {
        let limit = request.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(AdminError::Invalid(format!(
                "limit must be between 1 and {MAX_PAGE_LIMIT}"
            )));
        }
        let mut after = match &request.cursor {
            None => None,
            Some(cursor) => {
                let suffix = URL_SAFE_NO_PAD
                    .decode(cursor)
                    .map_err(|_| AdminError::Invalid("invalid cursor".into()))?;
                Some([prefix.as_bytes(), &suffix].concat())
            }
        };
        let repo = self.repo::<T>();
        // One more than a page, to know whether another page follows.
        let mut kept: Vec<(Vec<u8>, T)> = Vec::with_capacity(limit + 1);
        while kept.len() <= limit {
            let chunk = repo.scan(prefix.as_bytes(), after.as_deref(), limit + 1)?;
            let exhausted = chunk.len() <= limit;
            for (key, row) in chunk {
                after = Some(key.clone());
                if keep(&row) && kept.len() <= limit {
                    kept.push((key, row));
                }
            }
            if exhausted {
                break;
            }
        }
        let next_cursor = if kept.len() > limit {
            kept.truncate(limit);
            kept.last()
                .map(|(key, _)| URL_SAFE_NO_PAD.encode(key.get(prefix.len()..).unwrap_or_default()))
        } else {
            None
        };
        Ok(Page {
            items: kept.iter().map(|(_, row)| show(row)).collect(),
            next_cursor,
        })
    }

    // ---------------------------------------------------------------- institutions

    /// Creates an institution with a fresh Ed25519 key.
    pub fn create_institution(
        &self,
        input: NewInstitution,
    ) -> Result<CreatedInstitution, AdminError> {
        if !valid_slug(&input.slug) {
            return Err(AdminError::Invalid(
                "slug must match [a-z0-9-]{1,40}".into(),
            ));
        }
        if input.name.trim().is_empty() {
            return Err(AdminError::Invalid("name must not be empty".into()));
        }
        let method = input.did_method.unwrap_or(DidMethod::Key);
        let key = SigningKey::generate(KeyType::Ed25519, &mut OsRng);
        let did = match method {
            DidMethod::Key => key.did_key().as_str().to_owned(),
            DidMethod::Web => self.did_web(&input.slug)?,
        };
        let row = InstitutionRow {
            slug: input.slug.clone(),
            name: input.name.clone(),
            url: input.url,
            logo: input.logo,
            did_method: method,
            did: did.clone(),
            created_at: self.now().unix(),
        };
        let key_row = KeyRow {
            slug: input.slug.clone(),
            private_jwk: key.to_jwk_json().to_string(),
        };
        let admin_token = random_token();
        let token_row = AdminTokenRow {
            token_hash: SecretHash::of(&admin_token).to_hex(),
            slug: input.slug.clone(),
            created_at: self.now().unix(),
        };
        let mut batch = WriteBatch::new();
        batch.require_no_record::<InstitutionRow>(row.key());
        batch.put(&row)?.put(&key_row)?.put(&token_row)?;
        if self.store.apply_checked(batch)?.is_err() {
            return Err(AdminError::Conflict(format!(
                "institution {} exists",
                input.slug
            )));
        }
        tracing::info!(slug = %row.slug, did = %row.did, "institution created");
        Ok(CreatedInstitution {
            slug: row.slug.clone(),
            name: row.name.clone(),
            did,
            issuer: self.issuer_id(&row.slug),
            admin_token,
        })
    }

    /// Changes how an institution presents itself. The issuer metadata and credentials issued
    /// from now on carry the new name, web site and logo; credentials already issued keep what
    /// was signed into them. The DID and keys do not change.
    pub fn update_institution_display(
        &self,
        slug: &str,
        display: InstitutionDisplay,
    ) -> Result<Value, AdminError> {
        if !valid_slug(slug) {
            return Err(AdminError::NotFound("institution"));
        }
        let before = self
            .repo::<InstitutionRow>()
            .load(slug.as_bytes())?
            .ok_or(AdminError::NotFound("institution"))?;
        let mut row = InstitutionRow::clone(&before);
        let name = display.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AdminError::Invalid(
                "name must be 1 to 200 characters".into(),
            ));
        }
        let url = display
            .url
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &url
            && !(url.len() <= 2048
                && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")))
        {
            return Err(AdminError::Invalid(
                "url must be an https:// or http:// URL".into(),
            ));
        }
        let logo = display
            .logo
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        if let Some(logo) = &logo {
            let data_image = logo.starts_with("data:image/")
                && logo.contains(";base64,")
                && logo.len() <= 350_000;
            let https =
                logo.len() <= 2048 && url::Url::parse(logo).is_ok_and(|u| u.scheme() == "https");
            if !(data_image || https) {
                return Err(AdminError::Invalid(
                    "logo must be an https:// URL or a data:image/…;base64, URI of at most 256 KiB"
                        .into(),
                ));
            }
        }
        row.name = name.to_owned();
        row.url = url;
        row.logo = logo;
        let mut batch = WriteBatch::new();
        batch.require_unchanged::<InstitutionRow>(row.key(), &before);
        batch.put(&row)?;
        if self.store.apply_checked(batch)?.is_err() {
            return Err(AdminError::Conflict(
                "the institution changed at the same time; try again".into(),
            ));
        }
        self.store.flush()?;
        {
            let mut cache = self
                .issuers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.issuers_generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            cache.remove(slug);
        }
        tracing::info!(slug = %row.slug, "institution display changed");
        Ok(json!({
            "slug": row.slug,
            "name": row.name,
            "url": row.url,
            "logo": row.logo,
            "did": row.did,
            "issuer": self.issuer_id(&row.slug),
        }))
    }

    /// A new admin token for an existing institution (used by `--demo` on every start).
    pub fn mint_admin_token(&self, slug: &str) -> Result<String, AdminError> {
        let admin_token = random_token();
        self.repo::<AdminTokenRow>().put(&AdminTokenRow {
            token_hash: SecretHash::of(&admin_token).to_hex(),
            slug: slug.to_owned(),
            created_at: self.now().unix(),
        })?;
        Ok(admin_token)
    }

    fn did_web(&self, slug: &str) -> Result<String, AdminError> {
        let url = url::Url::parse(&self.issuer_id(slug))
            .map_err(|e| AdminError::Invalid(format!("public URL: {e}")))?;
        let did = rosette_did::did_web::did_web_from_url(&url)
            .map_err(|e| AdminError::Invalid(format!("did:web: {e}")))?;
        Ok(did.as_str().to_owned())
    }

    /// A page of the institutions, by slug.
    pub fn list_institutions(&self, page: &PageRequest) -> Result<Page, AdminError> {
        self.page_of::<InstitutionRow>("", page, |_| true, |r| self.institution_json(r))
    }

    fn institution_json(&self, r: &InstitutionRow) -> Value {
        json!({"slug": r.slug, "name": r.name, "url": r.url, "logo": r.logo, "did_method": r.did_method, "did": r.did, "issuer": self.issuer_id(&r.slug)})
    }

    pub(crate) fn institution(
        &self,
        slug: &str,
    ) -> Result<Option<InstitutionRow>, rosette_storage::StorageError> {
        if !valid_slug(slug) {
            return Ok(None);
        }
        self.repo::<InstitutionRow>().get(slug.as_bytes())
    }

    /// The institution's protocol context, from the cache or built from storage.
    fn issuer_context(&self, slug: &str) -> Result<Arc<IssuerContext>, ProtocolError> {
        if let Ok(cache) = self.issuers.lock()
            && let Some(ctx) = cache.get(slug)
        {
            return Ok(Arc::clone(ctx));
        }
        let generation = self
            .issuers_generation
            .load(std::sync::atomic::Ordering::Acquire);
        let inst = self.institution(slug)?.ok_or(ProtocolError::NotFound)?;
        let ctx = Arc::new(IssuerContext {
            issuer_id: self.issuer_id(&inst.slug),
            metadata: self.metadata_for(&inst),
            inst,
        });
        if let Ok(mut cache) = self.issuers.lock()
            && self
                .issuers_generation
                .load(std::sync::atomic::Ordering::Acquire)
                == generation
        {
            cache.insert(slug.to_owned(), Arc::clone(&ctx));
        }
        Ok(ctx)
    }

    pub(crate) fn signer(
        &self,
        inst: &InstitutionRow,
    ) -> Result<Arc<CredentialSigner>, ProtocolError> {
        if let Ok(cache) = self.signers.lock()
            && let Some(s) = cache.get(&inst.slug)
        {
            return Ok(Arc::clone(s));
        }
        let row = self
            .repo::<KeyRow>()
            .get(inst.slug.as_bytes())?
            .ok_or_else(|| ProtocolError::Issuance("signing key missing".into()))?;
        let key = SigningKey::from_jwk_str(&row.private_jwk)
            .map_err(|e| ProtocolError::Issuance(format!("signing key: {e}")))?;
        let vm = match inst.did_method {
            DidMethod::Key => key.did_key_verification_method().as_str().to_owned(),
            DidMethod::Web => format!("{}#{}", inst.did, key.public_key().to_multibase()),
        };
        let signer = Arc::new(CredentialSigner::new(self.canon.clone(), key, vm));
        if let Ok(mut cache) = self.signers.lock() {
            cache.insert(inst.slug.clone(), Arc::clone(&signer));
        }
        Ok(signer)
    }

    /// The did:web document of a did:web institution.
    pub fn did_document(&self, slug: &str) -> Result<Value, ProtocolError> {
        let inst = self.institution(slug)?.ok_or(ProtocolError::NotFound)?;
        if inst.did_method != DidMethod::Web {
            return Err(ProtocolError::NotFound);
        }
        let signer = self.signer(&inst)?;
        let did = rosette_did::Did::parse(&inst.did)
            .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
        Ok(rosette_did::did_web::did_web_document(
            &did,
            std::slice::from_ref(signer.key().public_key()),
        ))
    }

    // ---------------------------------------------------------------- metadata

    /// Credential Issuer Metadata of an institution.
    pub fn issuer_metadata(&self, slug: &str) -> Result<CredentialIssuerMetadata, ProtocolError> {
        Ok(self.issuer_context(slug)?.metadata.clone())
    }

    fn metadata_for(&self, inst: &InstitutionRow) -> CredentialIssuerMetadata {
        let issuer = self.issuer_id(&inst.slug);
        let mut display = CredentialDisplay::new(format!("{} Open Badge", inst.name), Some("en"));
        display.description = Some(format!(
            "An Open Badges 3.0 achievement credential from {}",
            inst.name
        ));
        display.background_color = Some("#1e40af".into());
        display.text_color = Some("#ffffff".into());
        let logo = inst.logo.as_ref().and_then(|uri| {
            serde_json::from_value(json!({"uri": uri, "alt_text": inst.name})).ok()
        });
        display.logo = logo.clone();
        let algs = vec!["EdDSA".to_owned(), "ES256".to_owned()];
        let types = vec![
            "VerifiableCredential".to_owned(),
            "OpenBadgeCredential".to_owned(),
        ];
        let mut configs = BTreeMap::new();
        configs.insert(
            LDP_VC.to_owned(),
            CredentialConfiguration::ldp_vc(
                vec![
                    "https://www.w3.org/ns/credentials/v2".into(),
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json".into(),
                ],
                types.clone(),
                algs.clone(),
                display.clone(),
            ),
        );
        configs.insert(
            JWT_VC_JSON.to_owned(),
            CredentialConfiguration::jwt_vc_json(types, vec!["EdDSA".into()], algs, display),
        );
        let mut metadata = CredentialIssuerMetadata::new(&issuer, configs);
        metadata.batch_credential_issuance = (self.settings.batch_size >= 2)
            .then(|| BatchCredentialIssuance::new(self.settings.batch_size));
        let issuer_display: Option<IssuerDisplay> = serde_json::from_value(json!({"name": inst.name, "locale": "en", "logo": inst.logo.as_ref().map(|uri| json!({"uri": uri, "alt_text": inst.name}))})).ok();
        metadata.display = issuer_display.map(|d| vec![d]);
        metadata
    }

    /// OAuth AS metadata of an institution.
    pub fn as_metadata(&self, slug: &str) -> Result<AuthorizationServerMetadata, ProtocolError> {
        let _ = self.issuer_context(slug)?;
        Ok(AuthorizationServerMetadata::pre_authorized_only(
            &self.issuer_id(slug),
            true,
        ))
    }

    // ---------------------------------------------------------------- achievements

    /// Creates an achievement after checking it makes a valid OB 3.0 credential.
    pub fn create_achievement(
        &self,
        slug: &str,
        input: AchievementInput,
    ) -> Result<Value, AdminError> {
        let now = self.now().unix();
        let row = AchievementRow {
            slug: slug.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            name: input.name,
            description: input.description,
            criteria: serde_json::to_value(input.criteria)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
            image: input.image,
            tags: input.tags,
            alignment: input.alignment,
            result_descriptions: input.result_descriptions,
            achievement_type: input.achievement_type,
            validity_days: input.validity_days,
            archived: false,
            created_at: now,
            updated_at: now,
        };
        self.check_achievement(&row)?;
        self.repo::<AchievementRow>().put(&row)?;
        Ok(self.achievement_json(&row))
    }

    /// Replaces an achievement's definition.
    pub fn update_achievement(
        &self,
        slug: &str,
        id: &str,
        input: AchievementInput,
    ) -> Result<Value, AdminError> {
        let repo = self.repo::<AchievementRow>();
        let key = scoped_key(slug, id);
        let old = repo.get(&key)?.ok_or(AdminError::NotFound("achievement"))?;
        let row = AchievementRow {
            name: input.name,
            description: input.description,
            criteria: serde_json::to_value(input.criteria)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
            image: input.image,
            tags: input.tags,
            alignment: input.alignment,
            result_descriptions: input.result_descriptions,
            achievement_type: input.achievement_type,
            validity_days: input.validity_days,
            updated_at: self.now().unix(),
            ..old
        };
        self.check_achievement(&row)?;
        repo.put(&row)?;
        Ok(self.achievement_json(&row))
    }

    /// Archives an achievement: no new offers.
    pub fn archive_achievement(&self, slug: &str, id: &str) -> Result<Value, AdminError> {
        let now = self.now().unix();
        let updated = self
            .repo::<AchievementRow>()
            .update(&scoped_key(slug, id), |row| {
                row.map(|mut r| {
                    r.archived = true;
                    r.updated_at = now;
                    r
                })
            })?;
        let row = updated.ok_or(AdminError::NotFound("achievement"))?;
        Ok(self.achievement_json(&row))
    }

    /// An institution's achievements.
    pub fn list_achievements(&self, slug: &str) -> Result<Vec<Value>, AdminError> {
        let prefix = format!("{slug}/");
        let rows = self.repo::<AchievementRow>().scan(
            prefix.as_bytes(),
            None,
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        Ok(rows.iter().map(|(_, r)| self.achievement_json(r)).collect())
    }

    fn achievement_url(&self, slug: &str, id: &str) -> String {
        format!("{}/achievements/{id}", self.issuer_id(slug))
    }

    fn achievement_json(&self, r: &AchievementRow) -> Value {
        json!({
            "id": r.id,
            "url": self.achievement_url(&r.slug, &r.id),
            "name": r.name,
            "description": r.description,
            "criteria": r.criteria,
            "image": r.image,
            "tags": r.tags,
            "alignment": r.alignment,
            "result_descriptions": r.result_descriptions,
            "achievement_type": r.achievement_type,
            "validity_days": r.validity_days,
            "archived": r.archived,
        })
    }

    /// The OB 3.0 Achievement object.
    fn achievement_object(&self, r: &AchievementRow) -> Value {
        let mut a = serde_json::Map::new();
        a.insert("id".into(), json!(self.achievement_url(&r.slug, &r.id)));
        a.insert("type".into(), json!(["Achievement"]));
        a.insert("name".into(), json!(r.name));
        a.insert("description".into(), json!(r.description));
        a.insert("criteria".into(), r.criteria.clone());
        if let Some(image) = &r.image {
            a.insert("image".into(), json!({"id": image, "type": "Image"}));
        }
        if !r.tags.is_empty() {
            a.insert("tag".into(), json!(r.tags));
        }
        if !r.alignment.is_empty() {
            a.insert("alignment".into(), json!(r.alignment));
        }
        if !r.result_descriptions.is_empty() {
            a.insert("resultDescription".into(), json!(r.result_descriptions));
        }
        if let Some(t) = &r.achievement_type {
            a.insert("achievementType".into(), json!(t));
        }
        Value::Object(a)
    }

    fn check_achievement(&self, row: &AchievementRow) -> Result<(), AdminError> {
        if row.name.trim().is_empty() {
            return Err(AdminError::Invalid("name must not be empty".into()));
        }
        let sample = self.unsigned_credential(
            row,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "Sample",
            None,
            "salt",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "Sample issuer",
            None,
            self.now(),
        );
        rosette_openbadges::prepare_for_issuance(
            sample,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            &self.now().to_rfc3339(),
            || uuid::Uuid::new_v4().to_string(),
            rosette_openbadges::SchemaVariant::Strict,
        )
        .map(drop)
        .map_err(|e| match e {
            rosette_openbadges::IssuanceError::Invalid(violations) => AdminError::Invalid(format!(
                "the achievement does not make a valid Open Badges 3.0 credential: {}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            other => AdminError::Invalid(other.to_string()),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn unsigned_credential(
        &self,
        achievement: &AchievementRow,
        subject_did: &str,
        recipient_name: &str,
        email_hash: Option<&str>,
        email_salt: &str,
        issuer_did: &str,
        issuer_name: &str,
        issuer_url: Option<&str>,
        now: Timestamp,
    ) -> Value {
        let mut identifiers = vec![json!({
            "type": "IdentityObject",
            "hashed": false,
            "identityHash": recipient_name,
            "identityType": "name",
        })];
        if let Some(hash) = email_hash {
            identifiers.push(json!({
                "type": "IdentityObject",
                "hashed": true,
                "identityHash": hash,
                "identityType": "emailAddress",
                "salt": email_salt,
            }));
        }
        let mut issuer = json!({"id": issuer_did, "type": ["Profile"], "name": issuer_name});
        if let (Some(url), Some(obj)) = (issuer_url, issuer.as_object_mut()) {
            obj.insert("url".into(), json!(url));
        }
        let mut credential = json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": achievement.name,
            "issuer": issuer,
            "validFrom": now.to_rfc3339(),
            "credentialSubject": {
                "id": subject_did,
                "type": ["AchievementSubject"],
                "identifier": identifiers,
                "achievement": self.achievement_object(achievement),
            },
            "credentialSchema": [{
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019"
            }]
        });
        if let (Some(days), Some(obj)) = (achievement.validity_days, credential.as_object_mut()) {
            obj.insert(
                "validUntil".into(),
                json!(now.plus_seconds(i64::from(days) * 86_400).to_rfc3339()),
            );
        }
        credential
    }

    // ---------------------------------------------------------------- offers

    /// Creates an offer (one atomic write: offer, token index, code state).
    pub fn create_offer(&self, slug: &str, input: NewOffer) -> Result<CreatedOffer, AdminError> {
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &input.achievement_id))?
            .ok_or(AdminError::NotFound("achievement"))?;
        if achievement.archived {
            return Err(AdminError::Invalid("the achievement is archived".into()));
        }
        if input.recipient.name.trim().is_empty() {
            return Err(AdminError::Invalid(
                "recipient.name must not be empty".into(),
            ));
        }
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
            slug: slug.to_owned(),
            id: id.clone(),
            achievement_id: achievement.id.clone(),
            recipient_name: input.recipient.name.trim().to_owned(),
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
        self.store_offer(row, pin, lifetime)
    }

    /// Writes a new offer atomically (offer, token index, code state) and shows it.
    fn store_offer(
        &self,
        row: OfferRow,
        pin: bool,
        lifetime: i64,
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
            .map(|pin| SecretHash::of(pin.expose_secret()));
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
            })?;
        self.store.apply(batch)?;
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

    fn created_offer(
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

    fn credential_offer(&self, row: &OfferRow) -> CredentialOffer {
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

    fn offer_state(&self, row: &OfferRow, now: Timestamp) -> &'static str {
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

    // ---------------------------------------------------------------- OpenID4VCI

    /// `GET B/offers/<token>`: the Credential Offer object.
    pub fn offer_by_token(
        &self,
        slug: &str,
        token: &str,
    ) -> Result<CredentialOffer, ProtocolError> {
        if token.len() > 128 {
            return Err(ProtocolError::NotFound);
        }
        let hash = OfferToken::from_presented(token).hash().to_hex();
        let index = self
            .repo::<OfferTokenRow>()
            .get(hash.as_bytes())?
            .ok_or(ProtocolError::NotFound)?;
        if index.slug != slug {
            return Err(ProtocolError::NotFound);
        }
        let offer = self
            .repo::<OfferRow>()
            .get(&scoped_key(slug, &index.offer_id))?
            .ok_or(ProtocolError::NotFound)?;
        if self.offer_state(&offer, self.now()) != "offered" {
            return Err(ProtocolError::NotFound);
        }
        Ok(self.credential_offer(&offer))
    }

    fn token_settings(&self) -> TokenSettings {
        TokenSettings {
            access_token_lifetime: self.settings.access_token_lifetime,
            max_tx_code_attempts: self.settings.max_tx_code_attempts,
            anonymous_access: true,
            // The draft-13 c_nonce of the token response is a sealed one (see `token`).
            c_nonce_in_token_response: None,
        }
    }

    /// `POST B/token`: redeems a pre-authorized code. Single use and the wrong-PIN counter are
    /// enforced with compare-and-swap on the stored code state.
    pub fn token(&self, slug: &str, body: &[u8]) -> Result<TokenResponse, ProtocolError> {
        let request = TokenRequest::from_form(body)?;
        match &request.grant_type {
            None => return Err(TokenError::MissingGrantType.into()),
            Some(GrantType::PreAuthorizedCode) => {}
            Some(other) => {
                return Err(TokenError::UnsupportedGrantType(other.as_str().to_owned()).into());
            }
        }
        let code = request
            .pre_authorized_code
            .as_deref()
            .ok_or(TokenError::MissingPreAuthorizedCode)?;
        let key = SecretHash::of(code).to_hex().into_bytes();
        // Looked up before the code is spent, so nothing can fail after that but the write.
        let ctx = self.issuer_context(slug)?;
        let codes = self.repo::<CodeRow>();
        let settings = self.token_settings();
        for _ in 0..CAS_ATTEMPTS {
            let stored = codes.load(&key)?.ok_or(TokenError::UnknownCode)?;
            // A code of one institution presented at another is unknown here.
            if stored.slug != slug {
                return Err(TokenError::UnknownCode.into());
            }
            let mut state = stored.state.clone();
            let now = self.now();
            let result = redeem(&mut state, &request, &settings, now, &mut OsRng);
            if state == stored.state {
                // Nothing changed (refused before any state change): nothing to persist.
                return match result {
                    Ok(_) => Err(ProtocolError::Issuance(
                        "redeem succeeded without state change".into(),
                    )),
                    Err(e) => Err(e.into()),
                };
            }
            let mut batch = WriteBatch::new();
            batch.require_unchanged::<CodeRow>(key.clone(), &stored);
            // This wrong PIN was the last one allowed: the offer shows as locked from now on.
            let limit = settings.max_tx_code_attempts;
            if state.failed_tx_code_attempts >= limit
                && stored.state.failed_tx_code_attempts < limit
            {
                let offer_key = scoped_key(slug, &stored.offer_id);
                if let Some(offer) = self.repo::<OfferRow>().load(&offer_key)? {
                    let mut locked = (*offer).clone();
                    locked.locked_at = Some(now.unix());
                    batch.require_unchanged::<OfferRow>(offer_key, &offer);
                    batch.put(&locked)?;
                }
            }
            batch.put(&CodeRow {
                slug: stored.slug.clone(),
                offer_id: stored.offer_id.clone(),
                state,
            })?;
            if let Ok(grant) = &result {
                batch.put(&AccessTokenRow {
                    slug: slug.to_owned(),
                    offer_id: stored.offer_id.clone(),
                    record: grant.record.clone(),
                })?;
            }
            if self.store.apply_checked(batch)?.is_err() {
                // Another request changed the state first (redeemed it, or counted a wrong
                // PIN): decide again on the fresh state.
                continue;
            }
            return match result {
                Ok(grant) => {
                    tracing::debug!(slug, offer = %stored.offer_id, "pre-authorized code redeemed");
                    let mut response = grant.response();
                    // Draft 13-14 wallets take their first c_nonce from here.
                    let nonce = issue_sealed_nonce(
                        &self.nonce_key,
                        &ctx.issuer_id,
                        &mut OsRng,
                        now,
                        self.settings.nonce_lifetime,
                    );
                    response.c_nonce = Some(nonce.expose_secret().to_owned());
                    response.c_nonce_expires_in =
                        Some(u64::try_from(self.settings.nonce_lifetime).unwrap_or(0));
                    Ok(response)
                }
                Err(e) => Err(e.into()),
            };
        }
        Err(TokenError::CodeAlreadyUsed.into())
    }

    /// `POST B/nonce`: a sealed c_nonce (HMAC over random bits, the expiry and the
    /// Credential Issuer Identifier); nothing is stored until it is used.
    pub fn nonce(&self, slug: &str) -> Result<NonceResponse, ProtocolError> {
        let ctx = self.issuer_context(slug)?;
        let nonce = issue_sealed_nonce(
            &self.nonce_key,
            &ctx.issuer_id,
            &mut OsRng,
            self.now(),
            self.settings.nonce_lifetime,
        );
        Ok(NonceResponse::new(&nonce))
    }

    fn access_token(
        &self,
        slug: &str,
        authorization: Option<&str>,
    ) -> Result<AccessTokenRow, ProtocolError> {
        let presented = rosette_oid4vci::bearer_token(authorization)?;
        let row = self
            .repo::<AccessTokenRow>()
            .get(SecretHash::of(presented).to_hex().as_bytes())?
            .ok_or(BearerError::UnknownToken)?;
        // A token of one institution is unknown at another.
        if row.slug != slug {
            return Err(BearerError::UnknownToken.into());
        }
        row.record.authorize(presented, self.now())?;
        Ok(row)
    }

    /// `POST B/credential`: checks the bearer token, the request and every key proof, then
    /// signs one credential per proof key and records, in one checked batch, the issuance,
    /// the use of the c_nonce(s) (precondition: not used yet, so a replayed nonce issues
    /// nothing) and the offer's claim time.
    pub fn credential(
        &self,
        slug: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<CredentialResponse, ProtocolError> {
        let token = self.access_token(slug, authorization)?;
        let ctx = self.issuer_context(slug)?;
        let (inst, metadata, issuer_id) = (&ctx.inst, &ctx.metadata, ctx.issuer_id.as_str());
        let request = CredentialRequest::from_json(body)?;
        let valid = validate_credential_request(&request, metadata, &token.record)?;
        let config_id = valid.credential_configuration_id.clone();
        let format = if config_id == LDP_VC {
            CredentialFormat::LdpVc
        } else {
            CredentialFormat::JwtVcJson
        };
        let algs = metadata
            .credential_configurations_supported
            .get(&config_id)
            .and_then(|c| c.jwt_proof_algs())
            .unwrap_or_default();
        let now = self.now();
        let used_nonces = self.repo::<UsedNonceRow>();
        let mut keys = Vec::with_capacity(valid.jwt_proofs.len());
        // Distinct nonces of this request (a batch usually shares one), by hash.
        let mut nonces: BTreeMap<String, UsedNonceRow> = BTreeMap::new();
        for jwt in &valid.jwt_proofs {
            let nonce = unverified_proof_nonce(jwt)?;
            let sealed = open_sealed_nonce(&self.nonce_key, issuer_id, &nonce, now)?;
            let hash = sealed.id.to_hex();
            // Refused early so that a replay costs no signature; the batch below re-checks.
            if !nonces.contains_key(&hash) && used_nonces.load(hash.as_bytes())?.is_some() {
                return Err(NonceError::AlreadyUsed.into());
            }
            let mut expect = KeyProofExpectations::new(issuer_id, Some(&nonce), now, algs);
            expect.client_id = token.record.client_id.as_deref();
            keys.push(validate_jwt_proof(jwt, &expect)?);
            nonces.insert(
                hash,
                UsedNonceRow {
                    hash: sealed.id,
                    slug: slug.to_owned(),
                    expires_at: sealed.expires_at.unix(),
                },
            );
        }
        check_distinct_keys(&keys)?;

        let offers = self.repo::<OfferRow>();
        let offer_key = scoped_key(slug, &token.offer_id);
        let mut offer = offers.load(&offer_key)?.ok_or(ProtocolError::NotFound)?;
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &offer.achievement_id))?
            .ok_or(ProtocolError::Issuance("achievement missing".into()))?;
        // A re-issuance carries one credential id, so it issues exactly one credential.
        let reissue_of = match &offer.reissue_of {
            Some(id) => {
                if keys.len() != 1 {
                    return Err(ProtocolError::ReissueBatch);
                }
                let earlier = self
                    .repo::<IssuanceRow>()
                    .get(&scoped_key(slug, id))?
                    .ok_or(ProtocolError::Issuance(
                        "re-issued credential missing".into(),
                    ))?;
                Some(ReissueLink {
                    credential_id: id.clone(),
                    offer_id: earlier.offer_id.clone(),
                    issued_at: earlier.issued_at,
                })
            }
            None => None,
        };
        let signer = self.signer(inst)?;
        let notification_id = uuid::Uuid::new_v4().to_string();
        let mut credentials = Vec::with_capacity(keys.len());
        let mut issued = Vec::with_capacity(keys.len());
        let mut status_rows = Vec::with_capacity(keys.len());
        for key in &keys {
            let unsigned = self.unsigned_credential(
                &achievement,
                &key.did,
                &offer.recipient_name,
                offer.email_hash.as_deref(),
                &offer.email_salt,
                &inst.did,
                &inst.name,
                inst.url.as_deref(),
                now,
            );
            let mut unsigned = unsigned;
            if let (Some(link), Some(obj)) = (&reissue_of, unsigned.as_object_mut()) {
                obj.insert("id".into(), json!(link.credential_id));
            }
            let uuid = uuid::Uuid::new_v4().to_string();
            let prepared = rosette_openbadges::prepare_for_issuance(
                unsigned,
                &inst.did,
                &now.to_rfc3339(),
                || uuid.clone(),
                rosette_openbadges::SchemaVariant::Strict,
            )
            .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            let mut prepared = serde_json::to_value(prepared)
                .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            let credential_id = prepared
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let (entry, status_row) =
                self.status
                    .entry_for(self, slug, &credential_id, offer.reissue_of.is_some())?;
            prepared["credentialStatus"] = entry;
            status_rows.push(status_row);
            let signed = signer
                .sign(&prepared, format, now)
                .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            credentials.push(match signed {
                rosette_proof::SignedCredential::Json(v) => v,
                rosette_proof::SignedCredential::Jwt(jwt) => Value::String(jwt),
            });
            issued.push(IssuanceRow {
                slug: slug.to_owned(),
                credential_id,
                offer_id: offer.id.clone(),
                achievement_id: achievement.id.clone(),
                configuration_id: config_id.clone(),
                format: format.as_str().to_owned(),
                subject_did: key.did.clone(),
                issued_at: now.unix(),
                notification_id: notification_id.clone(),
                reissue_of: reissue_of.clone(),
            });
        }
        let notification = NotificationRow {
            id: notification_id.clone(),
            slug: slug.to_owned(),
            offer_id: offer.id.clone(),
            events: Vec::new(),
        };
        for _ in 0..CAS_ATTEMPTS {
            let mut batch = WriteBatch::new();
            for (hash, used) in &nonces {
                batch.require_no_record::<UsedNonceRow>(hash.clone().into_bytes());
                batch.put(used)?;
            }
            for row in &issued {
                batch.put(row)?;
            }
            for row in &status_rows {
                batch.put(row)?;
            }
            batch.put(&notification)?;
            // The first issuance marks the offer claimed, in the same write.
            if offer.claimed_at.is_none() {
                batch.require_unchanged::<OfferRow>(offer_key.clone(), &offer);
                let mut claimed = (*offer).clone();
                claimed.claimed_at = Some(now.unix());
                batch.put(&claimed)?;
            }
            match self.store.apply_checked(batch)? {
                Ok(()) => {
                    tracing::debug!(slug, offer = %offer.id, count = credentials.len(), format = format.as_str(), "credentials issued");
                    return Ok(CredentialResponse::issued(
                        credentials,
                        Some(notification_id),
                        valid.dialect,
                    ));
                }
                // Another request of the same offer changed it first: look again.
                Err(failed) if failed.table == OfferRow::TABLE => {
                    offer = offers.load(&offer_key)?.ok_or(ProtocolError::NotFound)?;
                }
                // A concurrent request used the nonce first.
                Err(_) => return Err(NonceError::AlreadyUsed.into()),
            }
        }
        Err(ProtocolError::Issuance(
            "the offer kept changing while recording the issuance".into(),
        ))
    }

    /// `POST B/notification`.
    pub fn notification(
        &self,
        slug: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<(), ProtocolError> {
        let token = self.access_token(slug, authorization)?;
        let request = NotificationRequest::from_json(body)?;
        let repo = self.repo::<NotificationRow>();
        let known = repo
            .get(request.notification_id.as_bytes())?
            .is_some_and(|r| r.slug == slug && r.offer_id == token.offer_id);
        if !known {
            return Err(NotificationError::UnknownNotificationId.into());
        }
        let event = request.event.as_str().to_owned();
        repo.update(request.notification_id.as_bytes(), |row| {
            row.map(|mut r| {
                if !r.events.contains(&event) {
                    r.events.push(event.clone());
                }
                r
            })
        })?;
        Ok(())
    }

    /// Makes every write durable.
    pub fn flush(&self) -> Result<(), rosette_storage::StorageError> {
        self.store.flush()
    }
}

/// A read institution, as returned by [`Service::authorize`].
#[derive(Debug, Clone)]
pub struct InstitutionRowView(pub(crate) InstitutionRow);

impl InstitutionRowView {
    /// The institution's slug.
    pub fn slug(&self) -> &str {
        &self.0.slug
    }
}

/// HMAC-SHA256(secret, label ‖ 0 ‖ id): the server's derived secrets.
fn derive(secret: &SecretString, label: &str, id: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable_hmac());
    mac.update(label.as_bytes());
    mac.update(&[0]);
    mac.update(id.as_bytes());
    mac.finalize().into_bytes().into()
}

// HMAC accepts keys of any length; this cannot happen.
fn unreachable_hmac() -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).expect("HMAC takes any key length")
}

/// Offers created from a CSV upload: header `name,email,achievement_id[,pin]`.
#[derive(Debug, Serialize)]
pub struct BulkResult {
    /// The offers created, in row order.
    pub created: Vec<CreatedOffer>,
    /// The rows refused, with their 1-based line numbers.
    pub errors: Vec<BulkRowError>,
}

/// A refused CSV row.
#[derive(Debug, Serialize)]
pub struct BulkRowError {
    /// 1-based line number in the upload.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Service {
    /// Creates one offer per valid CSV row (the format of [`crate::bulk::parse_csv`]); each
    /// row's offer is written atomically.
    pub fn bulk_offers(&self, slug: &str, text: &str) -> Result<BulkResult, AdminError> {
        let rows = match crate::bulk::parse_csv(text) {
            Ok(rows) => rows,
            // A header and no row: nothing to do, nothing wrong.
            Err(crate::bulk::StartError::NoRows) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut result = BulkResult {
            created: Vec::new(),
            errors: Vec::new(),
        };
        for row in rows {
            let input = match row.offer {
                Ok(input) => input,
                Err(message) => {
                    result.errors.push(BulkRowError {
                        line: row.line,
                        message,
                    });
                    continue;
                }
            };
            match self.create_offer(slug, input) {
                Ok(offer) => result.created.push(offer),
                Err(AdminError::Storage(e)) => return Err(AdminError::Storage(e)),
                Err(e) => result.errors.push(BulkRowError {
                    line: row.line,
                    message: e.to_string(),
                }),
            }
        }
        Ok(result)
    }
}
