//! The institution directory: what every role needs to know of an institution. The store,
//! clock and settings the agent runs on; who an admin token belongs to; an institution's row,
//! issuer id and signing key. It only looks up: creating and changing institutions is the
//! issuer's (`crate::issuer::institutions`).

pub(crate) mod records;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rosette_core::{Clock, Timestamp};
use rosette_did::SigningKey;
use rosette_oid4vci::SecretHash;
use rosette_proof::{Canonicalizer, CredentialSigner};
use rosette_storage::{Repo, Store};

use crate::config::Settings;
use crate::error::{AdminError, ProtocolError};
use records::{AdminTokenRow, DidMethod, InstitutionRow, KeyRow};

/// Who presented an admin token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The operator: everything.
    Operator,
    /// An institution admin: its own data only.
    Institution(String),
}

/// The agent's store, clock and settings, with institution lookup and signing keys.
pub struct Directory {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    canon: Canonicalizer,
    // Private cache of loaded signing keys; keyed by slug, never serialised. Keys never
    // change, so nothing invalidates it.
    signers: Mutex<BTreeMap<String, Arc<CredentialSigner>>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("public_url", &self.settings.public_url)
            .finish_non_exhaustive()
    }
}

/// Untrusted uploads (`/verify`) and wallet answers (verifier `response`) handled at once: a
/// concurrency limit on those routes, so the rest wait with their bodies unread. Verification
/// is CPU-bound: two keep a 2-core machine busy, and memory stays at two requests' worth
/// (about 50 MB for the largest accepted).
pub const MAX_CONCURRENT_VERIFICATIONS: usize = 2;

/// `[a-z0-9-]{1,40}`: the institution slugs the agent accepts.
pub(crate) fn valid_slug(slug: &str) -> bool {
    (1..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Directory {
    /// A directory over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings,
            canon: Canonicalizer::bundled(),
            signers: Mutex::new(BTreeMap::new()),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The clock (the verifier role shares it).
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    pub(crate) fn repo<T: rosette_storage::Record>(&self) -> Repo<T> {
        Repo::new(Arc::clone(&self.store))
    }

    /// `<public>/issuers/<slug>`.
    pub fn issuer_id(&self, slug: &str) -> String {
        format!("{}/issuers/{slug}", self.settings.public_url)
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
            Some(row) if row.expires_at.is_some_and(|at| self.now().unix() >= at) => {
                Err(AdminError::Unauthorized)
            }
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

    /// Who bearer `token` belongs to, if it may act on `slug` (which must exist): the one check of
    /// every admin route.
    pub fn authorize_token(&self, token: Option<&str>, slug: &str) -> Result<Caller, AdminError> {
        let caller = self.authenticate(token)?;
        self.authorize(&caller, slug)?;
        Ok(caller)
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

    pub(crate) fn signer(
        &self,
        inst: &InstitutionRow,
    ) -> Result<Arc<CredentialSigner>, ProtocolError> {
        if let Ok(cache) = self.signers.lock()
            && let Some(s) = cache.get(&inst.slug)
        {
            return Ok(Arc::clone(s));
        }
        let key = self
            .signing_key(&inst.slug)
            .map_err(ProtocolError::Issuance)?;
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

    /// The private signing key of `slug`, unsealed with the KEK (or read in clear from a row
    /// an older version wrote; [`Self::seal_legacy_keys`] seals those at start).
    pub(crate) fn signing_key(&self, slug: &str) -> Result<SigningKey, String> {
        let row = self
            .repo::<KeyRow>()
            .get(slug.as_bytes())
            .map_err(|e| e.to_string())?
            .ok_or("signing key missing")?;
        let jwk = if rosette_core::kek::Kek::is_sealed(&row.private_jwk) {
            let opened = self
                .settings
                .open_sealed(&KeyRow::purpose(slug), &row.private_jwk)
                .map_err(|e| format!("signing key of {slug}: {e}"))?;
            zeroize::Zeroizing::new(String::from_utf8_lossy(&opened).into_owned())
        } else {
            zeroize::Zeroizing::new(row.private_jwk.clone())
        };
        SigningKey::from_jwk_str(&jwk).map_err(|e| format!("signing key of {slug}: {e}"))
    }

    /// Seals, under the KEK, every signing key an older version stored in clear; returns how
    /// many it sealed.
    pub fn seal_legacy_keys(&self) -> Result<usize, rosette_storage::StorageError> {
        let repo = self.repo::<KeyRow>();
        let mut sealed = 0;
        for (_, row) in repo.scan(b"", None, rosette_storage::MAX_SCAN_LIMIT)? {
            if rosette_core::kek::Kek::is_sealed(&row.private_jwk) {
                continue;
            }
            repo.put(&KeyRow {
                slug: row.slug.clone(),
                private_jwk: self
                    .settings
                    .kek
                    .seal(&KeyRow::purpose(&row.slug), row.private_jwk.as_bytes()),
            })?;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// Makes every write durable.
    pub fn flush(&self) -> Result<(), rosette_storage::StorageError> {
        self.store.flush()
    }
}

/// A read institution, as returned by [`Directory::authorize`].
#[derive(Debug, Clone)]
pub struct InstitutionRowView(pub(crate) InstitutionRow);

impl InstitutionRowView {
    /// The institution's slug.
    pub fn slug(&self) -> &str {
        &self.0.slug
    }
}
