//! The on-disk backend, on redb: one file, ACID transactions on copy-on-write B-trees with
//! checksummed pages.
//!
//! Each table is a redb table of byte keys and values; the store's own bookkeeping lives in
//! `_rosette_meta` (table names cannot start with `_`). Every write (insert, remove, CAS,
//! batch) is committed, with the writes of concurrent callers (group commit, `group.rs`), in one
//! redb write transaction without an fsync, after the group's writes were appended to a
//! write-ahead journal next to the file (`<file>.journal`, `journal.rs`): fsynced there with
//! [`Durability::OnReturn`], so a write is on disk when it returns; only written to the OS with
//! [`Durability::OnFlush`], so it survives a killed process and reaches the disk by the next
//! flush. [`flush`](Store::flush) is a checkpoint (one durable redb commit), after which the
//! journal starts over; opening applies the journal's records past the last checkpoint (see the
//! crate README for the measurements behind this).
//!
//! Guarantees kept from the sled store, and how:
//! - damaged or foreign files are refused ([`StorageError::StoreCorrupted`]): redb checks every
//!   page's checksum on open (`set_check_integrity_on_open`), a format marker is required, and
//!   the running content digest and per-table counts (updated in every write transaction) are
//!   recomputed on open, so records changed behind the store's back are noticed too;
//! - a new store becomes visible at its path only whole: it is built in a staging file, marker
//!   included, and renamed into place, so a file at the path without the marker is never new;
//! - redb panics on some damage in debug builds (and may elsewhere): every redb call runs under
//!   `catch_unwind`, and a panic becomes [`StorageError::StoreCorrupted`].
//!
//! Not noticed (unlike sled's seal file): the whole file replaced by an older, intact copy of
//! itself. redb keeps one file, so an older copy is a consistent store, just an old one.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition, TableError,
    TableHandle,
};

use crate::digest::entry_hash;
use crate::files::{StoreId, new_store_id, panic_message, sync_parent};
use crate::group::{Applied, GroupCommit, Outcome, Request, duplicate, unconditional_conflict};
use crate::journal::{CHECKPOINT_BYTES, Journal, journal_path};
use crate::store::{Entry, MAX_SCAN_LIMIT, Write, WriteBatch};
use crate::{CasConflict, RequirementFailed, StorageError, Store, Table};

type Bytes = &'static [u8];

/// The store's own bookkeeping; no [`Table`] can have this name.
const META: TableDefinition<Bytes, Bytes> = TableDefinition::new("_rosette_meta");
const FORMAT_KEY: &[u8] = b"format";
/// The store's random id (16 bytes): tells copies of different stores apart in messages.
const ID_KEY: &[u8] = b"id";
/// XOR of [`entry_hash`] over every entry of every table, as a big-endian `u64`.
const DIGEST_KEY: &[u8] = b"digest";
/// Prefix of the per-table entry counts (`count/<table>`, big-endian `u64`).
const COUNT_PREFIX: &[u8] = b"count/";
/// The last journal record whose writes this file holds (big-endian `u64`; absent: none).
const JOURNAL_SEQ_KEY: &[u8] = b"journal_seq";
/// The on-disk format this build writes: version 2 has a write-ahead journal next to the file.
const FORMAT: &[u8] = b"rosette-storage/redb-5/2";
/// The format before the journal; opening upgrades it (a build that reads only it would ignore
/// the journal and lose its writes, so the marker changes).
const FORMAT_V1: &[u8] = b"rosette-storage/redb-5/1";
/// Suffix of the staging file a new store is built in.
const STAGING_SUFFIX: &str = ".rosette-init";

fn definition(table: Table) -> TableDefinition<'static, Bytes, Bytes> {
    TableDefinition::new(table.as_str())
}

/// When a [`RedbStore`]'s writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every write is durable when it returns: each group of concurrent writes is one journal
    /// record with an fsync (and one redb commit without). The default.
    #[default]
    OnReturn,
    /// sled's guarantee: a write survives a killed process when it returns (its journal record
    /// is written to the OS, not fsynced) and a power loss once a later [`flush`](Store::flush)
    /// returns; a power loss loses the writes since the last flush, whole batches at a time and
    /// never a flushed one. The caller flushes where durability matters, and periodically.
    OnFlush,
}

/// A [`Store`] in one file on disk, backed by redb.
///
/// One process may hold a store open at a time; a second [`open`](RedbStore::open) fails with
/// [`StorageError::Locked`]. Share one `RedbStore` (as `Arc<dyn Store>`) between threads.
/// With [`Durability::OnReturn`] (the default) every write is durable when it returns; with
/// [`Durability::OnFlush`] it survives a killed process when it returns and a power loss once a
/// later [`flush`](Store::flush) returns.
/// Reads never wait for writes (each read is a redb read transaction on the last commit).
/// Opening reads the whole file once to check page checksums and the content digest.
pub struct RedbStore {
    db: Database,
    path: PathBuf,
    durability: Durability,
    /// Concurrent writes waiting to be committed together.
    group: GroupCommit<Request, Outcome>,
    /// The write-ahead journal. Its lock is taken before any redb write transaction, so it
    /// also orders checkpoints with commits.
    journal: Mutex<Journal>,
}

impl RedbStore {
    /// Opens the store in file `path`, creating it if `path` does not exist.
    ///
    /// Fails with [`StorageError::StoreCorrupted`] if the file is damaged or is not a Rosette
    /// store (an empty file is refused too: it is a store whose contents were lost, since a new
    /// store only appears at its path complete), and with [`StorageError::Locked`] if another
    /// process has it open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::open_with(path, Durability::OnReturn)
    }

    /// [`open`](Self::open), with writes durable as `durability` says.
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StorageError> {
        let path = path.as_ref();
        let corrupted = |reason: String| StorageError::StoreCorrupted {
            reason: format!("{}: {reason}", path.display()),
        };
        match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => create(path)?,
            Err(source) => return Err(StorageError::Io { source }),
            Ok(meta) if meta.is_dir() => {
                return Err(corrupted(
                    "is a directory, not a store file (a sled store? see `rosette-agent store \
                     migrate`)"
                        .to_owned(),
                ));
            }
            Ok(meta) if meta.len() == 0 => {
                return Err(corrupted(
                    "the file is empty: its contents were lost or it is not a Rosette store"
                        .to_owned(),
                ));
            }
            Ok(_) => {}
        }
        let db = open_db(path, false)?;
        let marks = verify(&db).map_err(|e| match e {
            StorageError::StoreCorrupted { reason } => corrupted(reason),
            other => other,
        })?;
        let journal = recover(&db, path, &marks)?;
        Ok(Self {
            db,
            path: path.to_path_buf(),
            durability,
            group: GroupCommit::new(),
            journal: Mutex::new(journal),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commits `request` (its checks, then its writes), grouped with the requests of
    /// concurrent callers into one redb write transaction (see `group.rs`). Returns the value
    /// the request's first write replaced.
    fn write(&self, request: Request) -> Outcome {
        self.group.submit(
            request,
            |group| match guard(|| self.commit_group(&group)) {
                Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
                Err(e) => group.iter().map(|_| Err(duplicate(&e))).collect(),
            },
            || {
                Err(StorageError::EngineBug {
                    reason: "a grouped write got no outcome".to_owned(),
                })
            },
        )
    }

    /// One write transaction for a whole group: each request's checks read through the
    /// transaction (so they see the writes of the requests before it); a request whose check
    /// fails writes nothing and the others go on. Digest and counts are updated once.
    ///
    /// The group's writes are appended to the journal (fsynced with [`Durability::OnReturn`])
    /// before redb commits them without an fsync; see `journal.rs`.
    fn commit_group(&self, group: &[Request]) -> Result<Vec<Applied>, StorageError> {
        let mut journal = self.journal.lock().unwrap_or_else(PoisonError::into_inner);
        let mut txn = self.db.begin_write().map_err(map_err)?;
        txn.set_durability(redb::Durability::None)
            .map_err(|e| StorageError::EngineBug {
                reason: e.to_string(),
            })?;
        let mut outcomes = Vec::with_capacity(group.len());
        let mut applied: Vec<&Write> = Vec::new();
        {
            let mut tables = BTreeMap::new();
            let mut changes = Changes::default();
            'requests: for request in group {
                for check in &request.checks {
                    let table = open_in(&txn, &mut tables, check.table)?;
                    let current = table
                        .get(check.key.as_slice())
                        .map_err(map_err)?
                        .map(|v| v.value().to_vec());
                    if current.as_deref() != check.expected.as_deref() {
                        outcomes.push(Err(RequirementFailed {
                            table: check.table,
                            key: check.key.clone(),
                            current,
                        }));
                        continue 'requests;
                    }
                }
                let mut first_old = None;
                for (n, w) in request.writes.iter().enumerate() {
                    let old = apply_write(&txn, &mut tables, w, &mut changes)?;
                    if n == 0 {
                        first_old = old;
                    }
                }
                applied.extend(&request.writes);
                outcomes.push(Ok(first_old));
            }
            drop(tables);
            let seq = (!applied.is_empty()).then(|| journal.next_seq());
            changes.record(&txn, seq, &self.path)?;
        }
        if applied.is_empty() {
            // Every check failed: nothing to commit.
            return Ok(outcomes);
        }
        journal.append(applied, self.durability == Durability::OnReturn)?;
        if let Err(e) = txn.commit().map_err(map_err) {
            // Not committed, so not to be applied on reopen either.
            journal.retract_last()?;
            return Err(e);
        }
        if journal.len() >= CHECKPOINT_BYTES {
            self.checkpoint(&mut journal)?;
        }
        Ok(outcomes)
    }

    /// One durable redb commit, which makes every earlier commit durable, so the journal's
    /// records are no longer needed.
    fn checkpoint(&self, journal: &mut Journal) -> Result<(), StorageError> {
        durable_empty_commit(&self.db)?;
        journal.restart();
        Ok(())
    }

    fn read<R>(
        &self,
        table: Table,
        absent: R,
        f: impl FnOnce(&redb::ReadOnlyTable<Bytes, Bytes>) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        guard(|| {
            let txn = self.db.begin_read().map_err(map_err)?;
            match txn.open_table(definition(table)) {
                Ok(t) => f(&t),
                // Tables are created by their first write.
                Err(TableError::TableDoesNotExist(_)) => Ok(absent),
                Err(e) => Err(map_err(e)),
            }
        })
    }
}

/// Opens `table` in the write transaction once, keeping it for the rest of the group.
fn open_in<'t, 'txn>(
    txn: &'txn redb::WriteTransaction,
    tables: &'t mut BTreeMap<Table, redb::Table<'txn, Bytes, Bytes>>,
    table: Table,
) -> Result<&'t mut redb::Table<'txn, Bytes, Bytes>, StorageError> {
    use std::collections::btree_map::Entry as MapEntry;
    match tables.entry(table) {
        MapEntry::Occupied(e) => Ok(e.into_mut()),
        MapEntry::Vacant(e) => Ok(e.insert(txn.open_table(definition(table)).map_err(map_err)?)),
    }
}

/// What a write transaction changed in the bookkeeping: the digest delta and count deltas.
#[derive(Default)]
struct Changes {
    digest: u64,
    counts: BTreeMap<Table, i64>,
}

impl Changes {
    /// Writes the changes (and `journal_seq`, the journal record the transaction commits) to
    /// the bookkeeping table of `txn`.
    fn record(
        self,
        txn: &redb::WriteTransaction,
        journal_seq: Option<u64>,
        path: &Path,
    ) -> Result<(), StorageError> {
        let mut meta = txn.open_table(META).map_err(map_err)?;
        let bad_meta = || StorageError::StoreCorrupted {
            reason: format!("{}: the digest or a table count is damaged", path.display()),
        };
        if self.digest != 0 {
            let current = read_u64(&meta, DIGEST_KEY)?.ok_or_else(bad_meta)?;
            meta.insert(DIGEST_KEY, (current ^ self.digest).to_be_bytes().as_slice())
                .map_err(map_err)?;
        }
        for (table, delta) in self.counts {
            if delta == 0 {
                continue;
            }
            let key = count_key(table.as_str());
            let current = read_u64(&meta, &key)?.unwrap_or(0);
            let next = current.checked_add_signed(delta).ok_or_else(bad_meta)?;
            meta.insert(key.as_slice(), next.to_be_bytes().as_slice())
                .map_err(map_err)?;
        }
        if let Some(seq) = journal_seq {
            meta.insert(JOURNAL_SEQ_KEY, seq.to_be_bytes().as_slice())
                .map_err(map_err)?;
        }
        Ok(())
    }
}

/// Applies one write in `txn`, noting its effect on the digest and counts; returns the value
/// it replaced.
fn apply_write<'txn>(
    txn: &'txn redb::WriteTransaction,
    tables: &mut BTreeMap<Table, redb::Table<'txn, Bytes, Bytes>>,
    w: &Write,
    changes: &mut Changes,
) -> Result<Option<Vec<u8>>, StorageError> {
    let table = open_in(txn, tables, w.table)?;
    let old = match &w.value {
        Some(value) => table.insert(w.key.as_slice(), value.as_slice()),
        None => table.remove(w.key.as_slice()),
    }
    .map_err(map_err)?
    .map(|v| v.value().to_vec());
    let name = w.table.as_str().as_bytes();
    if let Some(old) = &old {
        changes.digest ^= entry_hash(name, &w.key, old);
    }
    if let Some(new) = &w.value {
        changes.digest ^= entry_hash(name, &w.key, new);
    }
    *changes.counts.entry(w.table).or_default() +=
        i64::from(w.value.is_some()) - i64::from(old.is_some());
    Ok(old)
}

/// An empty write transaction with immediate durability: makes every earlier commit durable.
fn durable_empty_commit(db: &Database) -> Result<(), StorageError> {
    guard(|| {
        let txn = db.begin_write().map_err(map_err)?;
        txn.commit().map_err(map_err)
    })
}

fn read_u64(
    table: &impl ReadableTable<Bytes, Bytes>,
    key: &[u8],
) -> Result<Option<u64>, StorageError> {
    let Some(value) = table.get(key).map_err(map_err)? else {
        return Ok(None);
    };
    match <[u8; 8]>::try_from(value.value()) {
        Ok(bytes) => Ok(Some(u64::from_be_bytes(bytes))),
        Err(_) => Err(StorageError::StoreCorrupted {
            reason: format!(
                "the bookkeeping value {} is damaged",
                String::from_utf8_lossy(key)
            ),
        }),
    }
}

fn count_key(table: &str) -> Vec<u8> {
    [COUNT_PREFIX, table.as_bytes()].concat()
}

/// Opens the redb file at `path` with a page-checksum check, mapping the ways it can fail.
fn open_db(path: &Path, create: bool) -> Result<Database, StorageError> {
    let opened = guard(|| {
        let mut builder = Database::builder();
        builder.set_check_integrity_on_open(true);
        // The store's working set is small; redb's 1 GiB default cache is for large databases.
        builder.set_cache_size(64 * 1024 * 1024);
        let result = if create {
            builder.create(path)
        } else {
            builder.open(path)
        };
        match result {
            Ok(db) => Ok(Ok(db)),
            Err(DatabaseError::DatabaseAlreadyOpen) => Ok(Err(())),
            Err(e) => Err(map_err(e)),
        }
    })?;
    opened.map_err(|()| StorageError::Locked {
        path: path.to_path_buf(),
    })
}

/// Builds a new store next to `path` and renames it into place, so that a file at `path`
/// always holds the format marker.
fn create(path: &Path) -> Result<(), StorageError> {
    let Some(name) = path.file_name() else {
        return Err(StorageError::Unsupported {
            reason: format!("store path {} has no final component", path.display()),
        });
    };
    let mut staging_name = name.to_os_string();
    staging_name.push(STAGING_SUFFIX);
    let staging = path.with_file_name(staging_name);
    // A leftover from a crash during an earlier creation: it never became the store.
    match fs::remove_file(&staging) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(StorageError::Io { source: e });
        }
        _ => {}
    }
    {
        let db = open_db(&staging, true)?;
        let id: StoreId = new_store_id();
        guard(|| {
            let txn = db.begin_write().map_err(map_err)?;
            {
                let mut meta = txn.open_table(META).map_err(map_err)?;
                for (key, value) in [
                    (FORMAT_KEY, FORMAT),
                    (ID_KEY, id.as_slice()),
                    (DIGEST_KEY, 0u64.to_be_bytes().as_slice()),
                ] {
                    meta.insert(key, value).map_err(map_err)?;
                }
            }
            // Immediate durability: on disk before the rename makes it the store.
            txn.commit().map_err(map_err)
        })?;
    }
    fs::rename(&staging, path).map_err(|source| StorageError::Io { source })?;
    sync_parent(path)
}

/// What [`verify`] read from the bookkeeping that opening needs next.
struct Marks {
    /// The file still has the format before the journal.
    format_v1: bool,
    id: StoreId,
    /// The last journal record the file holds (0: none).
    journal_seq: u64,
}

/// Checks the format marker, then recomputes the digest and the counts from every entry and
/// compares them with the stored ones.
fn verify(db: &Database) -> Result<Marks, StorageError> {
    let corrupted = |reason: String| StorageError::StoreCorrupted { reason };
    guard(|| {
        let txn = db.begin_read().map_err(map_err)?;
        let meta = match txn.open_table(META) {
            Ok(meta) => meta,
            Err(TableError::TableDoesNotExist(_)) => {
                return Err(corrupted(
                    "is a redb file but not a Rosette store (no format marker)".to_owned(),
                ));
            }
            Err(e) => return Err(map_err(e)),
        };
        let format_v1 = match meta.get(FORMAT_KEY).map_err(map_err)? {
            Some(format) if format.value() == FORMAT => false,
            Some(format) if format.value() == FORMAT_V1 => true,
            Some(other) => {
                return Err(corrupted(format!(
                    "holds format {:?}, this build reads {:?}",
                    String::from_utf8_lossy(other.value()),
                    String::from_utf8_lossy(FORMAT)
                )));
            }
            None => {
                return Err(corrupted(
                    "is a redb file but not a Rosette store (no format marker)".to_owned(),
                ));
            }
        };
        let id: StoreId = match meta.get(ID_KEY).map_err(map_err)? {
            Some(id) => id
                .value()
                .try_into()
                .map_err(|_| corrupted("the store id is damaged".to_owned()))?,
            None => return Err(corrupted("the store id is missing".to_owned())),
        };
        let journal_seq = read_u64(&meta, JOURNAL_SEQ_KEY)?.unwrap_or(0);
        let Some(stored_digest) = read_u64(&meta, DIGEST_KEY)? else {
            return Err(corrupted("the content digest is missing".to_owned()));
        };
        let mut stored_counts = BTreeMap::new();
        for entry in meta.range(COUNT_PREFIX..).map_err(map_err)? {
            let (k, v) = entry.map_err(map_err)?;
            let Some(name) = k.value().strip_prefix(COUNT_PREFIX) else {
                break;
            };
            let count = <[u8; 8]>::try_from(v.value())
                .map(u64::from_be_bytes)
                .map_err(|_| {
                    corrupted(format!(
                        "the count of table {} is damaged",
                        String::from_utf8_lossy(name)
                    ))
                })?;
            if count > 0 {
                stored_counts.insert(String::from_utf8_lossy(name).into_owned(), count);
            }
        }
        let mut digest = 0u64;
        let mut counts = BTreeMap::new();
        for handle in txn.list_tables().map_err(map_err)? {
            let name = handle.name().to_owned();
            if name == META.name() {
                continue;
            }
            let table = txn
                .open_table(TableDefinition::<Bytes, Bytes>::new(&name))
                .map_err(map_err)?;
            let mut n = 0u64;
            for entry in table.iter().map_err(map_err)? {
                let (k, v) = entry.map_err(map_err)?;
                digest ^= entry_hash(name.as_bytes(), k.value(), v.value());
                n += 1;
            }
            if n > 0 {
                counts.insert(name, n);
            }
        }
        if stored_counts != counts {
            let differing: Vec<String> = stored_counts
                .keys()
                .chain(counts.keys())
                .filter(|t| stored_counts.get(*t) != counts.get(*t))
                .map(|t| {
                    format!(
                        "{t} holds {} entries, {} were written",
                        counts.get(t).copied().unwrap_or(0),
                        stored_counts.get(t).copied().unwrap_or(0)
                    )
                })
                .collect();
            return Err(corrupted(format!(
                "records were lost or resurrected: {}",
                differing.join("; ")
            )));
        }
        if stored_digest != digest {
            return Err(corrupted(
                "the content digest does not match: records were lost, reverted or altered"
                    .to_owned(),
            ));
        }
        Ok(Marks {
            format_v1,
            id,
            journal_seq,
        })
    })
}

/// Opens the journal of the store at `path` and applies the records its last checkpoint does
/// not hold (writes that were acknowledged before a crash), in one durable commit; upgrades a
/// file of the format before the journal in the same commit.
fn recover(db: &Database, path: &Path, marks: &Marks) -> Result<Journal, StorageError> {
    let (mut journal, records) = Journal::open(&journal_path(path), marks.id, marks.journal_seq)?;
    if records.is_empty() && !marks.format_v1 {
        journal.restart();
        return Ok(journal);
    }
    guard(|| {
        let txn = db.begin_write().map_err(map_err)?;
        {
            let mut tables = BTreeMap::new();
            let mut changes = Changes::default();
            for record in &records {
                for w in &record.writes {
                    apply_write(&txn, &mut tables, w, &mut changes)?;
                }
            }
            drop(tables);
            let last = records.last().map(|r| r.seq);
            changes.record(&txn, last, path)?;
            if marks.format_v1 {
                let mut meta = txn.open_table(META).map_err(map_err)?;
                meta.insert(FORMAT_KEY, FORMAT).map_err(map_err)?;
            }
        }
        txn.commit().map_err(map_err)
    })?;
    if !records.is_empty() {
        tracing::info!(
            store = %path.display(),
            records = records.len(),
            "applied the journal's writes that were not checkpointed"
        );
    }
    journal.restart();
    Ok(journal)
}

/// Runs redb calls, turning their panics (redb asserts on some damaged files) into errors.
fn guard<R>(op: impl FnOnce() -> Result<R, StorageError>) -> Result<R, StorageError> {
    match catch_unwind(AssertUnwindSafe(op)) {
        Ok(result) => result,
        Err(panic) => Err(StorageError::StoreCorrupted {
            reason: format!("the storage engine failed: {}", panic_message(&*panic)),
        }),
    }
}

fn map_err(e: impl Into<redb::Error>) -> StorageError {
    let e: redb::Error = e.into();
    match e {
        redb::Error::Io(source)
            if matches!(
                source.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
            ) =>
        {
            StorageError::StoreCorrupted {
                reason: format!("not a readable store file: {source}"),
            }
        }
        redb::Error::Io(source) => StorageError::Io { source },
        redb::Error::Corrupted(reason) => StorageError::StoreCorrupted {
            reason: format!("the storage engine found damaged data: {reason}"),
        },
        redb::Error::UpgradeRequired(version) => StorageError::StoreCorrupted {
            reason: format!(
                "the file has redb format version {version}, which this build cannot read"
            ),
        },
        redb::Error::RepairAborted => StorageError::StoreCorrupted {
            reason: "the file needed a repair that did not complete".to_owned(),
        },
        redb::Error::ValueTooLarge(len) => StorageError::Unsupported {
            reason: format!("a value of {len} bytes is larger than the engine stores"),
        },
        other => StorageError::EngineBug {
            reason: other.to_string(),
        },
    }
}

impl Drop for RedbStore {
    /// A clean close makes the last writes durable; an error here has nowhere to go.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for RedbStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(table, None, |t| {
            Ok(t.get(key).map_err(map_err)?.map(|v| v.value().to_vec()))
        })
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        self.write(Request::write(table, key, Some(value)))?
            .map_err(unconditional_conflict)
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.write(Request::write(table, key, None))?
            .map_err(unconditional_conflict)
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        let limit = limit.min(MAX_SCAN_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        self.read(table, Vec::new(), |t| {
            let mut out = Vec::new();
            for entry in t.range((lower, Bound::Unbounded)).map_err(map_err)? {
                let (k, v) = entry.map_err(map_err)?;
                if !k.value().starts_with(prefix) {
                    break;
                }
                out.push((k.value().to_vec(), v.value().to_vec()));
                if out.len() == limit {
                    break;
                }
            }
            Ok(out)
        })
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let outcome = self.write(Request::compare_and_swap(table, key, expected, new))?;
        Ok(outcome.map(drop).map_err(|failed| CasConflict {
            current: failed.current,
        }))
    }

    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        if batch.is_empty() && batch.requirements.is_empty() {
            return Ok(Ok(()));
        }
        Ok(self.write(Request::batch(batch))?.map(drop))
    }

    fn flush(&self) -> Result<(), StorageError> {
        // A checkpoint: every write so far becomes durable in the redb file (with OnFlush, that
        // is what makes them durable at all), and the journal starts over.
        let mut journal = self.journal.lock().unwrap_or_else(PoisonError::into_inner);
        if journal.len() == 0 {
            return Ok(());
        }
        self.checkpoint(&mut journal)
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        let count = guard(|| {
            let txn = self.db.begin_read().map_err(map_err)?;
            let meta = txn.open_table(META).map_err(map_err)?;
            read_u64(&meta, &count_key(table.as_str()))
        })?;
        usize::try_from(count.unwrap_or(0)).map_err(|_| StorageError::StoreCorrupted {
            reason: format!(
                "{}: the count of table {table} is damaged",
                self.path.display()
            ),
        })
    }

    fn tables(&self) -> Result<Vec<String>, StorageError> {
        guard(|| {
            let txn = self.db.begin_read().map_err(map_err)?;
            let mut names: Vec<String> = txn
                .list_tables()
                .map_err(map_err)?
                .map(|h| h.name().to_owned())
                .filter(|n| n != META.name())
                .collect();
            names.sort();
            Ok(names)
        })
    }
}
