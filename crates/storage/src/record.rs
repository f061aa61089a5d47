//! Typed records: a versioned JSON envelope over the byte store, and a small repository helper.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{CasConflict, StorageError, Store, Table, WriteBatch};

/// How many lost races [`Repo::update`] tolerates before giving up. Every lost race is
/// another writer's win, so this bounds starvation, not progress.
const UPDATE_ATTEMPTS: u32 = 1000;
/// Lost races after which [`Repo::update`] starts sleeping between attempts.
const UPDATE_SPIN: u32 = 8;

/// A value stored in one table, in the envelope `{"v": VERSION, "data": …}`.
///
/// Rows are their own types, separate from wire and domain types, so that the stored format
/// changes only on purpose. To change a row's shape, bump [`VERSION`](Record::VERSION) and
/// teach [`migrate`](Record::migrate) to read the older envelopes.
///
/// Encoding is `serde_json` of the type, so it is deterministic as long as the type holds no
/// `HashMap` (use `BTreeMap`).
pub trait Record: Serialize + DeserializeOwned {
    /// The table the records live in.
    const TABLE: Table;
    /// The format version this build writes.
    const VERSION: u32;

    /// The key the record is stored under.
    fn key(&self) -> Vec<u8>;

    /// Reads the `data` of an envelope written at an older (or unknown) `version`.
    ///
    /// Called only when `version != VERSION`. The default refuses every version, which
    /// [`Repo`] reports as [`StorageError::UnsupportedVersion`].
    fn migrate(version: u32, data: serde_json::Value) -> Result<Self, MigrationError> {
        let _ = data;
        Err(MigrationError::UnsupportedVersion { found: version })
    }
}

/// Why [`Record::migrate`] could not read an old envelope.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// No migration exists from this version.
    #[error("no migration from format version {found}")]
    UnsupportedVersion {
        /// The version found in the envelope.
        found: u32,
    },
    /// The old data does not have the shape its version promises.
    #[error("cannot migrate from format version {found}: {reason}")]
    Invalid {
        /// The version found in the envelope.
        found: u32,
        /// What is wrong with it.
        reason: String,
    },
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u32,
    data: &'a T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn {
    v: u32,
    data: serde_json::Value,
}

/// The envelope read straight into `T`: one pass over the bytes, no intermediate
/// `serde_json::Value`. Used when the stored version is the current one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeTyped<T> {
    v: u32,
    data: T,
}

/// Encodes `record` in its envelope, the bytes [`Repo`] stores.
pub fn encode_record<T: Record>(record: &T) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(&EnvelopeOut {
        v: T::VERSION,
        data: record,
    })
    .map_err(|e| StorageError::Encode {
        table: T::TABLE,
        reason: e.to_string(),
    })
}

/// Decodes the envelope stored under `key`, migrating older versions.
///
/// Never panics: damaged bytes are [`StorageError::Corrupted`], versions that cannot be read
/// are [`StorageError::UnsupportedVersion`].
pub fn decode_record<T: Record>(key: &[u8], bytes: &[u8]) -> Result<T, StorageError> {
    let corrupted = |reason: String| StorageError::Corrupted {
        table: T::TABLE,
        key: key.to_vec(),
        reason,
    };
    // Fast path: the current version decodes directly. Anything else (an older version, or
    // bytes that do not decode as `T`) takes the general path below, which names the problem.
    if let Ok(typed) = serde_json::from_slice::<EnvelopeTyped<T>>(bytes)
        && typed.v == T::VERSION
    {
        return Ok(typed.data);
    }
    let envelope: EnvelopeIn = serde_json::from_slice(bytes)
        .map_err(|e| corrupted(format!("not a record envelope: {e}")))?;
    if envelope.v == T::VERSION {
        return serde_json::from_value(envelope.data)
            .map_err(|e| corrupted(format!("version {} data does not decode: {e}", T::VERSION)));
    }
    T::migrate(envelope.v, envelope.data).map_err(|e| match e {
        MigrationError::UnsupportedVersion { found } => StorageError::UnsupportedVersion {
            table: T::TABLE,
            key: key.to_vec(),
            found,
            current: T::VERSION,
        },
        MigrationError::Invalid { found, reason } => {
            corrupted(format!("version {found} data: {reason}"))
        }
    })
}

/// A record as loaded, with the exact bytes it was stored as, for [`Repo::cas`].
///
/// A record migrated from an older version re-encodes to different bytes, so CAS must compare
/// against what was read, not against a re-encoding.
pub struct Stored<T> {
    value: T,
    raw: Vec<u8>,
}

impl<T> Stored<T> {
    /// The record.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Stored<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Stored<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Stored").field(&self.value).finish()
    }
}

/// Typed access to the table of `T`, so the agent's code stays short.
///
/// ```
/// use std::sync::Arc;
/// use rosette_storage::{MemoryStore, Record, Repo, Table};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Offer { id: String, redeemed: bool }
///
/// impl Record for Offer {
///     const TABLE: Table = Table::new("offers");
///     const VERSION: u32 = 1;
///     fn key(&self) -> Vec<u8> { self.id.as_bytes().to_vec() }
/// }
///
/// let offers = Repo::<Offer>::new(Arc::new(MemoryStore::new()));
/// offers.put(&Offer { id: "o1".into(), redeemed: false })?;
/// let loaded = offers.load(b"o1")?.expect("stored");
/// let redeemed = Offer { id: "o1".into(), redeemed: true };
/// // Single use: only the first redemption finds the unredeemed offer.
/// assert!(offers.cas(b"o1", Some(&loaded), Some(&redeemed))?.is_ok());
/// assert!(offers.cas(b"o1", Some(&loaded), Some(&redeemed))?.is_err());
/// # Ok::<(), rosette_storage::StorageError>(())
/// ```
pub struct Repo<T> {
    store: Arc<dyn Store>,
    record: PhantomData<fn() -> T>,
}

impl<T> Clone for Repo<T> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            record: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Repo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repo")
            .field("record", &std::any::type_name::<T>())
            .field("store", &self.store)
            .finish()
    }
}

impl<T: Record> Repo<T> {
    /// A repository for `T` over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            record: PhantomData,
        }
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The record under `key`, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<T>, StorageError> {
        Ok(self.load(key)?.map(Stored::into_inner))
    }

    /// The record under `key` with its stored bytes, for a later [`cas`](Repo::cas).
    pub fn load(&self, key: &[u8]) -> Result<Option<Stored<T>>, StorageError> {
        match self.store.get(T::TABLE, key)? {
            None => Ok(None),
            Some(raw) => Ok(Some(Stored {
                value: decode_record(key, &raw)?,
                raw,
            })),
        }
    }

    /// Stores `record` under its key, replacing any record there.
    pub fn put(&self, record: &T) -> Result<(), StorageError> {
        self.store
            .insert(T::TABLE, &record.key(), &encode_record(record)?)
            .map(drop)
    }

    /// Stores `record` only if its key is free; `Ok(Err(_))` if a record is already there.
    pub fn create(&self, record: &T) -> Result<Result<(), CasConflict>, StorageError> {
        self.store
            .compare_and_swap(T::TABLE, &record.key(), None, Some(&encode_record(record)?))
    }

    /// Replaces the record under `key` with `new` (`None`: removes it) only if it is still
    /// `expected` as loaded (`None`: the key is absent).
    pub fn cas(
        &self,
        key: &[u8],
        expected: Option<&Stored<T>>,
        new: Option<&T>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let new = new.map(encode_record).transpose()?;
        self.store.compare_and_swap(
            T::TABLE,
            key,
            expected.map(|s| s.raw.as_slice()),
            new.as_deref(),
        )
    }

    /// Applies `f` to the record under `key` and stores its answer (`None`: removes the key),
    /// retrying with the fresh value when another writer got there first. Returns the stored
    /// answer.
    pub fn update(
        &self,
        key: &[u8],
        mut f: impl FnMut(Option<T>) -> Option<T>,
    ) -> Result<Option<T>, StorageError> {
        for attempt in 0..UPDATE_ATTEMPTS {
            let current = self.store.get(T::TABLE, key)?;
            let value = current
                .as_deref()
                .map(|raw| decode_record::<T>(key, raw))
                .transpose()?;
            let answer = f(value);
            let encoded = answer.as_ref().map(encode_record).transpose()?;
            if self
                .store
                .compare_and_swap(T::TABLE, key, current.as_deref(), encoded.as_deref())?
                .is_ok()
            {
                return Ok(answer);
            }
            // Back off so the winners finish; sleeping grows with the losses, up to 1 ms.
            if attempt < UPDATE_SPIN {
                std::thread::yield_now();
            } else {
                std::thread::sleep(std::time::Duration::from_micros(u64::from(
                    attempt.min(1000),
                )));
            }
        }
        Err(StorageError::Contended {
            table: T::TABLE,
            key: key.to_vec(),
            attempts: UPDATE_ATTEMPTS,
        })
    }

    /// Removes the record under `key`; whether there was one.
    pub fn remove(&self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(self.store.remove(T::TABLE, key)?.is_some())
    }

    /// Up to `limit` records whose keys start with `prefix`, in key order, after `start_after`
    /// (see [`Store::scan_prefix`]). Fails on the first record that does not decode.
    pub fn scan(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, T)>, StorageError> {
        self.store
            .scan_prefix(T::TABLE, prefix, start_after, limit)?
            .into_iter()
            .map(|(k, raw)| {
                let value = decode_record(&k, &raw)?;
                Ok((k, value))
            })
            .collect()
    }

    /// The number of records in the table.
    pub fn len(&self) -> Result<usize, StorageError> {
        self.store.len(T::TABLE)
    }

    /// Whether the table holds no record.
    pub fn is_empty(&self) -> Result<bool, StorageError> {
        self.store.is_empty(T::TABLE)
    }
}

impl WriteBatch {
    /// Adds "store `record` under its key in its table".
    pub fn put<T: Record>(&mut self, record: &T) -> Result<&mut Self, StorageError> {
        Ok(self.insert(T::TABLE, record.key(), encode_record(record)?))
    }

    /// Adds "remove the record of type `T` under `key`".
    pub fn delete<T: Record>(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        self.remove(T::TABLE, key)
    }

    /// Adds the requirement "the record of type `T` under `key` is still `stored`, byte for
    /// byte, as it was loaded" (see [`Store::apply_checked`]).
    pub fn require_unchanged<T: Record>(
        &mut self,
        key: impl Into<Vec<u8>>,
        stored: &Stored<T>,
    ) -> &mut Self {
        self.require_value(T::TABLE, key, stored.raw.clone())
    }

    /// Adds the requirement "there is no record of type `T` under `key`".
    pub fn require_no_record<T: Record>(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        self.require_absent(T::TABLE, key)
    }
}
