//! The issuer role's state and the helpers its concerns share. The logic is split by concern:
//! [`super::institutions`], [`super::achievements`], [`super::offers`], [`super::protocol`]
//! (the OpenID4VCI steps) and [`super::bulk`]; each adds its own `impl IssuerService` block.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use rosette_core::{SecretString, Timestamp};
use rosette_oid4vci::{CredentialIssuerMetadata, NonceSealKey};
use rosette_proof::CredentialSigner;
use rosette_storage::{Record, Repo, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use super::records::ServerSecretRow;
use crate::config::Settings;
use crate::directory::Directory;
use crate::directory::records::InstitutionRow;
use crate::error::{AdminError, ProtocolError};
use crate::status::service::StatusService;
use rosette_core::kek::Kek;

/// The `ldp_vc` configuration id.
pub const LDP_VC: &str = "OpenBadgeCredential_ldp_vc";
/// The `jwt_vc_json` configuration id.
pub const JWT_VC_JSON: &str = "OpenBadgeCredential_jwt_vc_json";
/// Default offer lifetime: 7 days.
pub const DEFAULT_OFFER_LIFETIME: u64 = 7 * 24 * 3600;
/// Digits of generated PINs.
pub(super) const PIN_LENGTH: usize = 6;
/// Attempts at a compare-and-swap before giving up (each lost race is another's win).
pub(super) const CAS_ATTEMPTS: usize = 64;
/// Items per admin listing page when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: usize = 100;
/// The largest `limit` of an admin listing page.
pub const MAX_PAGE_LIMIT: usize = 1000;
/// Offer states a listing can filter on.
pub(super) const OFFER_STATES: [&str; 4] = ["offered", "claimed", "expired", "locked"];

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

/// What the protocol endpoints need of an institution, built once per slug: its row, its
/// issuer metadata and the proof algorithms per configuration. Used from the cache only while
/// the stored row equals `inst` (see `IssuerService::issuer_context`).
#[derive(Debug)]
pub(super) struct IssuerContext {
    pub(super) inst: InstitutionRow,
    pub(super) issuer_id: String,
    pub(super) metadata: CredentialIssuerMetadata,
}

/// The issuer role: institutions, achievements, offers and the OpenID4VCI steps, on the
/// directory's store. Every call is synchronous (storage and signing block).
pub struct IssuerService {
    pub(super) dir: Arc<Directory>,
    /// Reserves a status list entry for each credential issued.
    pub(super) status: Arc<StatusService>,
    offer_secret: SecretString,
    /// Seals the stateless c_nonces (derived from the server secret, so nonces survive a
    /// restart).
    pub(super) nonce_key: NonceSealKey,
    // Private cache of institutions as the protocol endpoints see them; keyed by slug,
    // never serialised.
    pub(super) issuers: Mutex<BTreeMap<String, Arc<IssuerContext>>>,
    /// Where the last sweep of used nonces stopped (see [`IssuerService::sweep_used_nonces`]).
    pub(super) nonce_sweep_after: Mutex<Option<Vec<u8>>>,
}

impl std::fmt::Debug for IssuerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerService")
            .field("public_url", &self.dir.settings().public_url)
            .finish_non_exhaustive()
    }
}

pub(super) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

impl IssuerService {
    /// The issuer over the directory's store; creates the server secret on first use, sealed
    /// under the KEK, and seals secrets an older version stored in clear.
    pub fn new(dir: Arc<Directory>, status: Arc<StatusService>) -> Result<Self, AdminError> {
        let kek = &dir.settings().kek;
        let purpose = &format!("server-secret:{}", "offer_secret");
        let secrets = Repo::<ServerSecretRow>::new(Arc::clone(dir.store()));
        let fresh = ServerSecretRow {
            name: "offer_secret".into(),
            secret_hex: kek.seal(purpose, random_hex(32).as_bytes()),
        };
        // First start wins; later starts read what was stored.
        let _ = secrets.create(&fresh)?;
        let stored = secrets
            .get(b"offer_secret")?
            .ok_or_else(|| AdminError::Internal("server secret missing".into()))?;
        let offer_secret = if Kek::is_sealed(&stored.secret_hex) {
            let opened = dir
                .settings()
                .open_sealed(purpose, &stored.secret_hex)
                .map_err(|e| AdminError::Internal(format!("server secret: {e}")))?;
            SecretString::new(String::from_utf8_lossy(&opened).into_owned())
        } else {
            // Written in clear by an older version: seal it now (same secret, so open offers
            // keep their tokens and PINs).
            secrets.put(&ServerSecretRow {
                name: "offer_secret".into(),
                secret_hex: kek.seal(purpose, stored.secret_hex.as_bytes()),
            })?;
            tracing::info!("server secret sealed under the key-encryption key");
            SecretString::new(stored.secret_hex.clone())
        };
        let keys = dir.seal_legacy_keys()?;
        if keys > 0 {
            tracing::info!(keys, "signing keys sealed under the key-encryption key");
        }
        let nonce_key = NonceSealKey::new(derive(&offer_secret, "c-nonce-seal", ""));
        Ok(Self {
            dir,
            status,
            offer_secret,
            nonce_key,
            issuers: Mutex::new(BTreeMap::new()),
            nonce_sweep_after: Mutex::new(None),
        })
    }

    /// The institution directory the issuer writes to.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.dir
    }

    pub(super) fn settings(&self) -> &Settings {
        self.dir.settings()
    }

    pub(super) fn store(&self) -> &Arc<dyn Store> {
        self.dir.store()
    }

    pub(super) fn now(&self) -> Timestamp {
        self.dir.now()
    }

    pub(super) fn repo<T: Record>(&self) -> Repo<T> {
        self.dir.repo()
    }

    /// `<public>/issuers/<slug>`.
    pub fn issuer_id(&self, slug: &str) -> String {
        self.dir.issuer_id(slug)
    }

    pub(super) fn institution(
        &self,
        slug: &str,
    ) -> Result<Option<InstitutionRow>, rosette_storage::StorageError> {
        self.dir.institution(slug)
    }

    pub(super) fn signer(
        &self,
        inst: &InstitutionRow,
    ) -> Result<Arc<CredentialSigner>, ProtocolError> {
        self.dir.signer(inst)
    }

    /// HMAC-SHA256(server secret, label ‖ 0 ‖ offer id): offer tokens and PINs are derived,
    /// so the claim page can show the offer again while storage holds only hashes.
    pub(super) fn derive(&self, label: &str, offer_id: &str) -> [u8; 32] {
        derive(&self.offer_secret, label, offer_id)
    }

    /// The PIN as its hash is stored: HMAC-SHA256, under a key derived from the sealed server
    /// secret, over the offer id and the PIN. Without the KEK the million six-digit PINs cannot
    /// be tried against a copied database.
    pub(super) fn keyed_pin(&self, offer_id: &str, pin: &str) -> String {
        // Keyed by the server secret, which the store keeps sealed under the KEK: a new KEK
        // re-seals the secret and every stored PIN hash stays valid.
        let key = self.derive("tx-code-hash", "");
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable_hmac());
        mac.update(offer_id.as_bytes());
        mac.update(&[0]);
        mac.update(pin.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// One page of the records of `T` under `prefix` that `keep` accepts, shown by `show`.
    /// The cursor is the base64url key suffix (after `prefix`) of the last item shown.
    pub(super) fn page_of<T: Record>(
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

    /// Makes every write durable.
    pub fn flush(&self) -> Result<(), rosette_storage::StorageError> {
        self.dir.flush()
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
