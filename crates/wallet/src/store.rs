//! The wallet directory: `wallet.json` (KDF parameters, wrapped data key, sealed holder key)
//! and `badges.bin` (sealed records), both replaced atomically (write, sync, rename).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::{CryptoRng, RngCore};
use rosette_did::{KeyType, SigningKey};
use serde::{Deserialize, Serialize};

use rosette_core::Timestamp;

use crate::badge::{BadgeSummary, CredentialFormat, StatusCheck};
use crate::crypto::{KdfParams, Passphrase, SymmetricKey};

const HEADER_FILE: &str = "wallet.json";
const STORE_FILE: &str = "badges.bin";
const HEADER_FORMAT: &str = "rosette-wallet/1";
const STORE_MAGIC: &[u8; 8] = b"RWSTORE1";
const STORE_END: &[u8; 8] = b"RWSTEND1";
const SALT_LEN: usize = 16;
const DATA_KEY_AAD: &[u8] = b"rosette-wallet/1 data key";
const HOLDER_KEY_AAD: &[u8] = b"rosette-wallet/1 holder key";
/// A record larger than this is refused on read (the store is ours, but may be damaged).
const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

/// A stored badge's id: a random UUID, so the clear part of the store says nothing about it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BadgeId(String);

impl BadgeId {
    fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string(),
        )
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BadgeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A badge as kept in the wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBadge {
    /// How the credential is secured.
    pub format: CredentialFormat,
    /// The credential exactly as received: JSON text or a compact JWT.
    pub credential: String,
    /// When the wallet received it, RFC 3339.
    pub received_at: String,
    /// What `list` shows.
    pub summary: BadgeSummary,
    /// Where it came from (the Credential Issuer Identifier, or `import`).
    pub source: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    kdf: KdfHeader,
    /// base64(nonce || sealed data key) under the passphrase key.
    wrapped_data_key: String,
    /// base64(nonce || sealed private JWK) under the data key.
    holder_key: String,
    /// The holder's DID (public).
    holder_did: String,
}

#[derive(Serialize, Deserialize)]
struct KdfHeader {
    algorithm: String,
    #[serde(flatten)]
    params: KdfParams,
    salt: String,
}

#[derive(Clone)]
struct Entry {
    summary: Vec<u8>,
    badge: Vec<u8>,
}

/// What [`Wallet::add_newest`] did with one badge.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// No copy was stored: added under this new id.
    Added(BadgeId),
    /// An older copy (earlier `validFrom`) was replaced; the badge keeps the older copy's id.
    Replaced {
        /// The wallet id (unchanged).
        id: BadgeId,
        /// The replaced copy's `validFrom`.
        previous_issued: Option<String>,
    },
    /// The wallet has a newer copy (later `validFrom`); nothing stored.
    KeptNewer {
        /// The stored copy's wallet id.
        id: BadgeId,
        /// The stored copy's `validFrom`.
        stored_issued: Option<String>,
    },
    /// The wallet has a copy with the same `validFrom`; nothing stored.
    KeptSame {
        /// The stored copy's wallet id.
        id: BadgeId,
    },
}

impl Placement {
    /// The wallet id the badge is (or its stored copy is) kept under.
    pub fn id(&self) -> &BadgeId {
        match self {
            Self::Added(id)
            | Self::Replaced { id, .. }
            | Self::KeptNewer { id, .. }
            | Self::KeptSame { id } => id,
        }
    }

    /// Whether the new badge was written.
    pub fn is_stored(&self) -> bool {
        matches!(self, Self::Added(_) | Self::Replaced { .. })
    }
}

/// Where `new` goes among `known` badges (`None`: no copy, add it): the newest stored copy of
/// the same credential (equal `id` and issuer) decides. Dates that do not parse count as older
/// than any that do.
fn place(known: &[(BadgeId, BadgeSummary)], new: &BadgeSummary) -> Option<Placement> {
    let credential_id = new.credential_id.as_deref()?;
    let date = |s: &BadgeSummary| s.issued.as_deref().and_then(Timestamp::parse);
    let newest = known
        .iter()
        .filter(|(_, s)| {
            s.credential_id.as_deref() == Some(credential_id) && s.issuer == new.issuer
        })
        .max_by_key(|(_, s)| date(s));
    let (id, stored) = newest?;
    Some(match date(new).cmp(&date(stored)) {
        std::cmp::Ordering::Greater => Placement::Replaced {
            id: id.clone(),
            previous_issued: stored.issued.clone(),
        },
        std::cmp::Ordering::Equal => Placement::KeptSame { id: id.clone() },
        std::cmp::Ordering::Less => Placement::KeptNewer {
            id: id.clone(),
            stored_issued: stored.issued.clone(),
        },
    })
}

/// [`Wallet::add_newest`] failed; nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddNewestError {
    /// The stored badges could not be read to compare with.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// An open (unlocked) wallet. Holds the data key and the holder key in memory, both zeroized
/// on drop; `Debug` shows neither.
pub struct Wallet {
    dir: PathBuf,
    data_key: SymmetricKey,
    holder: SigningKey,
    entries: BTreeMap<BadgeId, Entry>,
}

impl fmt::Debug for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet")
            .field("dir", &self.dir)
            .field("holder", &self.holder.did_key().to_string())
            .field("badges", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// `init` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The directory already holds a wallet.
    #[error("a wallet already exists in {0}")]
    AlreadyExists(PathBuf),
    /// The KDF parameters are out of range.
    #[error("invalid key derivation parameters: {0}")]
    Kdf(String),
    /// Encryption failed.
    #[error("encryption failed")]
    Seal,
    /// Writing the files failed.
    #[error("cannot write the wallet: {0}")]
    Io(#[from] std::io::Error),
}

/// `open` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// No wallet in the directory.
    #[error("no wallet in {0} (run `rosette-wallet init`)")]
    NotFound(PathBuf),
    /// The passphrase does not unlock the data key.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// A file is damaged (truncated, altered, or not a wallet file).
    #[error("the wallet store is corrupted: {0}")]
    Corrupted(String),
    /// Reading failed.
    #[error("cannot read the wallet: {0}")]
    Io(#[from] std::io::Error),
}

/// Reading a record failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No badge with this id (or id prefix).
    #[error("no badge with id {0}")]
    NotFound(String),
    /// More than one badge starts with this prefix.
    #[error("id prefix {0} matches several badges")]
    Ambiguous(String),
    /// The record does not decrypt or decode.
    #[error("the record {0} is corrupted")]
    Corrupted(BadgeId),
}

/// Adding records failed; nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Encryption or encoding failed.
    #[error("cannot seal the record")]
    Seal,
    /// Writing the store failed.
    #[error("cannot write the wallet store: {0}")]
    Io(#[from] std::io::Error),
}

/// `delete` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeleteError {
    /// No such badge.
    #[error("no badge with id {0}")]
    NotFound(BadgeId),
    /// Writing the store failed.
    #[error("cannot write the wallet store: {0}")]
    Io(#[from] std::io::Error),
}

impl Wallet {
    /// Whether `dir` holds a wallet.
    pub fn exists(dir: &Path) -> bool {
        dir.join(HEADER_FILE).exists()
    }

    /// Creates a wallet in `dir` (created if missing) with a fresh holder key of `key_type`.
    pub fn init<R: CryptoRng + RngCore>(
        dir: &Path,
        passphrase: &Passphrase,
        key_type: KeyType,
        params: KdfParams,
        rng: &mut R,
    ) -> Result<Self, InitError> {
        if Self::exists(dir) {
            return Err(InitError::AlreadyExists(dir.to_owned()));
        }
        std::fs::create_dir_all(dir)?;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let kek = SymmetricKey::derive(passphrase, &salt, params)
            .map_err(|e| InitError::Kdf(e.to_string()))?;
        let data_key = SymmetricKey::generate(rng);
        let wrapped = kek
            .seal(data_key.as_bytes(), DATA_KEY_AAD, rng)
            .map_err(|_| InitError::Seal)?;
        let holder = SigningKey::generate(key_type, rng);
        let sealed_holder = data_key
            .seal(holder.to_jwk_json().as_bytes(), HOLDER_KEY_AAD, rng)
            .map_err(|_| InitError::Seal)?;
        let header = Header {
            format: HEADER_FORMAT.to_owned(),
            kdf: KdfHeader {
                algorithm: "argon2id".to_owned(),
                params,
                salt: STANDARD.encode(salt),
            },
            wrapped_data_key: STANDARD.encode(wrapped),
            holder_key: STANDARD.encode(sealed_holder),
            holder_did: holder.did_key().to_string(),
        };
        let wallet = Self {
            dir: dir.to_owned(),
            data_key,
            holder,
            entries: BTreeMap::new(),
        };
        // The store first: a header without a store would read as a corrupted wallet.
        wallet.write_store(&wallet.entries)?;
        let json = serde_json::to_vec_pretty(&header).map_err(|_| InitError::Seal)?;
        write_atomic(&dir.join(HEADER_FILE), &json)?;
        Ok(wallet)
    }

    /// Unlocks the wallet in `dir`.
    pub fn open(dir: &Path, passphrase: &Passphrase) -> Result<Self, OpenError> {
        let header_path = dir.join(HEADER_FILE);
        let bytes = match std::fs::read(&header_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(OpenError::NotFound(dir.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let header: Header = serde_json::from_slice(&bytes)
            .map_err(|e| OpenError::Corrupted(format!("{HEADER_FILE}: {e}")))?;
        if header.format != HEADER_FORMAT || header.kdf.algorithm != "argon2id" {
            return Err(OpenError::Corrupted(format!(
                "{HEADER_FILE}: unknown format {:?}",
                header.format
            )));
        }
        let b64 = |field: &str, text: &str| {
            STANDARD
                .decode(text)
                .map_err(|_| OpenError::Corrupted(format!("{HEADER_FILE}: {field} is not base64")))
        };
        let salt = b64("salt", &header.kdf.salt)?;
        let kek = SymmetricKey::derive(passphrase, &salt, header.kdf.params)
            .map_err(|e| OpenError::Corrupted(format!("{HEADER_FILE}: kdf: {e}")))?;
        // A wrong passphrase and an altered wrapped key look the same to the AEAD; the
        // passphrase is by far the likelier cause.
        let data_key = kek
            .open(
                &b64("wrapped_data_key", &header.wrapped_data_key)?,
                DATA_KEY_AAD,
            )
            .map_err(|_| OpenError::WrongPassphrase)?;
        let data_key = SymmetricKey::from_slice(&data_key)
            .ok_or_else(|| OpenError::Corrupted(format!("{HEADER_FILE}: data key length")))?;
        let jwk = data_key
            .open(&b64("holder_key", &header.holder_key)?, HOLDER_KEY_AAD)
            .map_err(|_| OpenError::Corrupted(format!("{HEADER_FILE}: holder key")))?;
        let jwk = std::str::from_utf8(&jwk)
            .map_err(|_| OpenError::Corrupted(format!("{HEADER_FILE}: holder key")))?;
        let holder = SigningKey::from_jwk_str(jwk)
            .map_err(|_| OpenError::Corrupted(format!("{HEADER_FILE}: holder key")))?;
        let entries = read_store(&dir.join(STORE_FILE))?;
        Ok(Self {
            dir: dir.to_owned(),
            data_key,
            holder,
            entries,
        })
    }

    /// The holder key credentials are bound to.
    pub fn holder_key(&self) -> &SigningKey {
        &self.holder
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of stored badges.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no badge is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every badge's summary, in id order. Decrypts only the small summary records.
    pub fn list(&self) -> Result<Vec<(BadgeId, BadgeSummary)>, ReadError> {
        self.entries
            .iter()
            .map(|(id, entry)| {
                let plain = self
                    .data_key
                    .open(&entry.summary, &aad(b"summary", id))
                    .map_err(|_| ReadError::Corrupted(id.clone()))?;
                let summary =
                    serde_json::from_slice(&plain).map_err(|_| ReadError::Corrupted(id.clone()))?;
                Ok((id.clone(), summary))
            })
            .collect()
    }

    /// Finds the badge whose id is `text` or uniquely starts with it.
    pub fn resolve(&self, text: &str) -> Result<BadgeId, ReadError> {
        let text = text.trim();
        if let Some((id, _)) = self.entries.get_key_value(&BadgeId(text.to_owned())) {
            return Ok(id.clone());
        }
        let mut matches = self
            .entries
            .keys()
            .filter(|id| !text.is_empty() && id.0.starts_with(text));
        match (matches.next(), matches.next()) {
            (Some(id), None) => Ok(id.clone()),
            (Some(_), Some(_)) => Err(ReadError::Ambiguous(text.to_owned())),
            _ => Err(ReadError::NotFound(text.to_owned())),
        }
    }

    /// The full badge.
    pub fn get(&self, id: &BadgeId) -> Result<StoredBadge, ReadError> {
        let entry = self
            .entries
            .get(id)
            .ok_or_else(|| ReadError::NotFound(id.0.clone()))?;
        let plain = self
            .data_key
            .open(&entry.badge, &aad(b"badge", id))
            .map_err(|_| ReadError::Corrupted(id.clone()))?;
        serde_json::from_slice(&plain).map_err(|_| ReadError::Corrupted(id.clone()))
    }

    /// Stores `badges` in one atomic write: all of them or, on error, none.
    pub fn add<R: CryptoRng + RngCore>(
        &mut self,
        badges: &[StoredBadge],
        rng: &mut R,
    ) -> Result<Vec<BadgeId>, WriteError> {
        let mut sealed = Vec::with_capacity(badges.len());
        for badge in badges {
            let id = loop {
                let id = BadgeId::generate(rng);
                if !self.entries.contains_key(&id) {
                    break id;
                }
            };
            let summary = serde_json::to_vec(&badge.summary).map_err(|_| WriteError::Seal)?;
            let full =
                zeroize::Zeroizing::new(serde_json::to_vec(badge).map_err(|_| WriteError::Seal)?);
            let entry = Entry {
                summary: self
                    .data_key
                    .seal(&summary, &aad(b"summary", &id), rng)
                    .map_err(|_| WriteError::Seal)?,
                badge: self
                    .data_key
                    .seal(&full, &aad(b"badge", &id), rng)
                    .map_err(|_| WriteError::Seal)?,
            };
            sealed.push((id, entry));
        }
        let ids: Vec<BadgeId> = sealed.iter().map(|(id, _)| id.clone()).collect();
        self.entries.extend(sealed);
        if let Err(e) = self.write_store(&self.entries) {
            for id in &ids {
                self.entries.remove(id);
            }
            return Err(e.into());
        }
        Ok(ids)
    }

    /// Stores each of `badges` unless the wallet already has a copy at least as new, in one
    /// atomic write. A copy is the same credential when its `id` and issuer are equal (an
    /// issuer re-issuing a badge keeps its `id`); the later `validFrom` wins and replaces the
    /// older copy under the older copy's wallet id. Badges without an `id` are always added.
    pub fn add_newest<R: CryptoRng + RngCore>(
        &mut self,
        badges: &[StoredBadge],
        rng: &mut R,
    ) -> Result<Vec<Placement>, AddNewestError> {
        let mut known: Vec<(BadgeId, BadgeSummary)> = self.list()?;
        let mut next = self.entries.clone();
        let mut placements = Vec::with_capacity(badges.len());
        for badge in badges {
            let placement = match place(&known, &badge.summary) {
                None => Placement::Added(loop {
                    let id = BadgeId::generate(rng);
                    if !next.contains_key(&id) {
                        break id;
                    }
                }),
                Some(p) => p,
            };
            if placement.is_stored() {
                let id = placement.id().clone();
                next.insert(id.clone(), self.seal_entry(&id, badge, rng)?);
                known.retain(|(k, _)| k != &id);
                known.push((id, badge.summary.clone()));
            }
            placements.push(placement);
        }
        if placements.iter().any(Placement::is_stored) {
            self.write_store(&next).map_err(WriteError::from)?;
            self.entries = next;
        }
        Ok(placements)
    }

    fn seal_entry<R: CryptoRng + RngCore>(
        &self,
        id: &BadgeId,
        badge: &StoredBadge,
        rng: &mut R,
    ) -> Result<Entry, WriteError> {
        let summary = serde_json::to_vec(&badge.summary).map_err(|_| WriteError::Seal)?;
        let full =
            zeroize::Zeroizing::new(serde_json::to_vec(badge).map_err(|_| WriteError::Seal)?);
        Ok(Entry {
            summary: self
                .data_key
                .seal(&summary, &aad(b"summary", id), rng)
                .map_err(|_| WriteError::Seal)?,
            badge: self
                .data_key
                .seal(&full, &aad(b"badge", id), rng)
                .map_err(|_| WriteError::Seal)?,
        })
    }

    /// Records the result of status-list checks on stored badges, in one atomic write; the
    /// credentials themselves are unchanged.
    pub fn record_status_checks<R: CryptoRng + RngCore>(
        &mut self,
        checks: &[(BadgeId, StatusCheck)],
        rng: &mut R,
    ) -> Result<(), AddNewestError> {
        if checks.is_empty() {
            return Ok(());
        }
        let mut next = self.entries.clone();
        for (id, check) in checks {
            let mut badge = self.get(id)?;
            badge.summary.status_check = Some(check.clone());
            next.insert(id.clone(), self.seal_entry(id, &badge, rng)?);
        }
        self.write_store(&next).map_err(WriteError::from)?;
        self.entries = next;
        Ok(())
    }

    /// Removes a badge.
    pub fn delete(&mut self, id: &BadgeId) -> Result<(), DeleteError> {
        let Some(entry) = self.entries.remove(id) else {
            return Err(DeleteError::NotFound(id.clone()));
        };
        if let Err(e) = self.write_store(&self.entries) {
            self.entries.insert(id.clone(), entry);
            return Err(e.into());
        }
        Ok(())
    }

    fn write_store(&self, entries: &BTreeMap<BadgeId, Entry>) -> std::io::Result<()> {
        let size: usize = entries
            .iter()
            .map(|(id, e)| 10 + id.0.len() + e.summary.len() + e.badge.len())
            .sum();
        let mut out = Vec::with_capacity(size + 24);
        out.extend_from_slice(STORE_MAGIC);
        out.extend_from_slice(
            &u64::try_from(entries.len())
                .unwrap_or(u64::MAX)
                .to_le_bytes(),
        );
        for (id, entry) in entries {
            for part in [id.0.as_bytes(), &entry.summary, &entry.badge] {
                let len = u32::try_from(part.len()).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "record too large")
                })?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(part);
            }
        }
        out.extend_from_slice(STORE_END);
        write_atomic(&self.dir.join(STORE_FILE), &out)
    }
}

/// Associated data binding a sealed value to its kind and record id, so records cannot be
/// swapped between ids or between summary and body.
fn aad(kind: &[u8], id: &BadgeId) -> Vec<u8> {
    let mut out = Vec::with_capacity(kind.len() + 1 + id.0.len());
    out.extend_from_slice(kind);
    out.push(b':');
    out.extend_from_slice(id.0.as_bytes());
    out
}

fn read_store(path: &Path) -> Result<BTreeMap<BadgeId, Entry>, OpenError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OpenError::Corrupted(format!("{STORE_FILE} is missing")));
        }
        Err(e) => return Err(e.into()),
    };
    let corrupted = |what: &str| OpenError::Corrupted(format!("{STORE_FILE}: {what}"));
    let mut reader = Reader(&bytes);
    if reader.take(8) != Some(&STORE_MAGIC[..]) {
        return Err(corrupted("not a wallet store"));
    }
    let count = reader
        .take(8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| corrupted("truncated"))?;
    let mut entries = BTreeMap::new();
    for _ in 0..count {
        let id = reader.part().ok_or_else(|| corrupted("truncated"))?;
        let id = String::from_utf8(id.to_vec()).map_err(|_| corrupted("bad record id"))?;
        let summary = reader
            .part()
            .ok_or_else(|| corrupted("truncated"))?
            .to_vec();
        let badge = reader
            .part()
            .ok_or_else(|| corrupted("truncated"))?
            .to_vec();
        entries.insert(BadgeId(id), Entry { summary, badge });
    }
    if reader.take(8) != Some(&STORE_END[..]) || !reader.0.is_empty() {
        return Err(corrupted("truncated or has trailing data"));
    }
    Ok(entries)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn part(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        let len = usize::try_from(len).ok().filter(|l| *l <= MAX_RECORD_LEN)?;
        self.take(len)
    }
}

/// Writes `bytes` to `path` via a synced temporary file and a rename, so a crash leaves the
/// old or the new file, never half of one. Files are private to the user.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}
