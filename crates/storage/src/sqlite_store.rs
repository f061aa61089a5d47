//! An on-disk backend on SQLite (bundled, WAL), built with the `sqlite` feature only to compare
//! engines with the same suites and benchmarks (see the crate README); the agent uses redb.
//!
//! One table `entries (tbl, key, value)` keyed by `(tbl, key)`, a `meta` table with the format
//! marker, the content digest and per-table counts, updated in each write transaction and
//! checked on open (with `PRAGMA quick_check`). Writes are group-committed (`group.rs`) in one
//! `BEGIN IMMEDIATE` transaction; `synchronous=FULL` makes each commit durable on return
//! ([`Durability::OnReturn`]), `synchronous=NORMAL` keeps commits through a killed process and
//! makes them durable against power loss at the next [`flush`](Store::flush) (a WAL
//! checkpoint). Our own lock file keeps out a second process.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::digest::entry_hash;
use crate::files::sync_parent;
use crate::group::{Applied, GroupCommit, Outcome, Request, duplicate, unconditional_conflict};
use crate::store::{Entry, MAX_SCAN_LIMIT, WriteBatch};
use crate::{CasConflict, Durability, RequirementFailed, StorageError, Store, Table};

const FORMAT: &[u8] = b"rosette-storage/sqlite/1";
const SCHEMA: &str = "PRAGMA journal_mode=WAL;
CREATE TABLE entries (tbl TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                      PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;";

/// A [`Store`] in one SQLite file (evaluation backend).
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    durability: Durability,
    _lock: File,
    group: GroupCommit<Request, Outcome>,
}

fn map_err(e: rusqlite::Error) -> StorageError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            StorageError::StoreCorrupted {
                reason: format!("the storage engine found damaged data: {e}"),
            }
        }
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StorageError::Io {
                source: io::Error::new(io::ErrorKind::WouldBlock, e.to_string()),
            }
        }
        _ => StorageError::EngineBug {
            reason: e.to_string(),
        },
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl SqliteStore {
    /// Opens the store in file `path`, creating it if absent.
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StorageError> {
        let path = path.as_ref();
        let io = |source| StorageError::Io { source };
        let corrupted = |reason: String| StorageError::StoreCorrupted {
            reason: format!("{}: {reason}", path.display()),
        };
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(path))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StorageError::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => create(path)?,
            Err(source) => return Err(io(source)),
            Ok(m) if m.is_dir() => return Err(corrupted("is a directory".to_owned())),
            Ok(m) if m.len() == 0 => return Err(corrupted("the file is empty".to_owned())),
            Ok(_) => {}
        }
        let writer = connect(path, durability)?;
        let check: String = writer
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| corrupted(map_err(e).to_string()))?;
        if check != "ok" {
            return Err(corrupted(format!("quick_check: {check}")));
        }
        verify(&writer).map_err(|e| match e {
            StorageError::StoreCorrupted { reason } => corrupted(reason),
            StorageError::EngineBug { reason } => corrupted(reason),
            other => other,
        })?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            path: path.to_path_buf(),
            durability,
            _lock: lock,
            group: GroupCommit::new(),
        })
    }

    fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, rusqlite::Error>,
    ) -> Result<R, StorageError> {
        let conn = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match conn {
            Some(c) => c,
            None => connect(&self.path, self.durability)?,
        };
        let result = f(&conn).map_err(map_err);
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        result
    }

    fn write(&self, request: Request) -> Outcome {
        self.group.submit(
            request,
            |group| match self.commit_group(&group) {
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

    fn commit_group(&self, group: &[Request]) -> Result<Vec<Applied>, StorageError> {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map_err)?;
        let mut outcomes = Vec::with_capacity(group.len());
        let mut digest = 0u64;
        let mut counts: BTreeMap<Table, i64> = BTreeMap::new();
        {
            let mut get = tx
                .prepare_cached("SELECT value FROM entries WHERE tbl = ?1 AND key = ?2")
                .map_err(map_err)?;
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO entries (tbl, key, value) VALUES (?1, ?2, ?3)",
                )
                .map_err(map_err)?;
            let mut del = tx
                .prepare_cached("DELETE FROM entries WHERE tbl = ?1 AND key = ?2")
                .map_err(map_err)?;
            'requests: for request in group {
                for check in &request.checks {
                    let current: Option<Vec<u8>> = get
                        .query_row(params![check.table.as_str(), check.key], |r| r.get(0))
                        .optional()
                        .map_err(map_err)?;
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
                    let name = w.table.as_str();
                    let old: Option<Vec<u8>> = get
                        .query_row(params![name, w.key], |r| r.get(0))
                        .optional()
                        .map_err(map_err)?;
                    match &w.value {
                        Some(v) => put.execute(params![name, w.key, v]),
                        None => del.execute(params![name, w.key]),
                    }
                    .map_err(map_err)?;
                    if let Some(old) = &old {
                        digest ^= entry_hash(name.as_bytes(), &w.key, old);
                    }
                    if let Some(new) = &w.value {
                        digest ^= entry_hash(name.as_bytes(), &w.key, new);
                    }
                    *counts.entry(w.table).or_default() +=
                        i64::from(w.value.is_some()) - i64::from(old.is_some());
                    if n == 0 {
                        first_old = old;
                    }
                }
                outcomes.push(Ok(first_old));
            }
        }
        let read_meta = |key: &str| -> Result<u64, StorageError> {
            let v: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            match v {
                None => Ok(0),
                Some(v) => <[u8; 8]>::try_from(v.as_slice())
                    .map(u64::from_be_bytes)
                    .map_err(|_| StorageError::StoreCorrupted {
                        reason: format!("the bookkeeping value {key} is damaged"),
                    }),
            }
        };
        let write_meta = |key: &str, value: u64| -> Result<(), StorageError> {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value.to_be_bytes().to_vec()],
            )
            .map(drop)
            .map_err(map_err)
        };
        if digest != 0 {
            write_meta("digest", read_meta("digest")? ^ digest)?;
        }
        for (table, delta) in counts {
            if delta != 0 {
                let key = format!("count/{table}");
                let next = read_meta(&key)?.checked_add_signed(delta).ok_or_else(|| {
                    StorageError::StoreCorrupted {
                        reason: format!("the count of table {table} is damaged"),
                    }
                })?;
                write_meta(&key, next)?;
            }
        }
        tx.commit().map_err(map_err)?;
        Ok(outcomes)
    }
}

fn connect(path: &Path, durability: Durability) -> Result<Connection, StorageError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(map_err)?;
    let sync = match durability {
        Durability::OnReturn => "FULL",
        Durability::OnFlush => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=60000;"
    ))
    .map_err(map_err)?;
    Ok(conn)
}

fn create(path: &Path) -> Result<(), StorageError> {
    let mut staging = path.as_os_str().to_owned();
    staging.push(".rosette-init");
    let staging = PathBuf::from(staging);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = staging.as_os_str().to_owned();
        name.push(suffix);
        match fs::remove_file(PathBuf::from(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(StorageError::Io { source: e });
            }
            _ => {}
        }
    }
    {
        let conn = Connection::open(&staging).map_err(map_err)?;
        conn.execute_batch(SCHEMA).map_err(map_err)?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('format', ?1), ('digest', ?2)",
            params![FORMAT, 0u64.to_be_bytes().to_vec()],
        )
        .map_err(map_err)?;
        // Back to a single file before the rename: the WAL is folded in on close.
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;")
            .map_err(map_err)?;
    }
    File::open(&staging)
        .and_then(|f| f.sync_all())
        .map_err(|source| StorageError::Io { source })?;
    fs::rename(&staging, path).map_err(|source| StorageError::Io { source })?;
    sync_parent(path)
}

fn verify(conn: &Connection) -> Result<(), StorageError> {
    let corrupted = |reason: &str| StorageError::StoreCorrupted {
        reason: reason.to_owned(),
    };
    let meta = |key: &str| -> Result<Option<Vec<u8>>, StorageError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|_| corrupted("not a Rosette store (no meta table)"))
    };
    if meta("format")?.as_deref() != Some(FORMAT) {
        return Err(corrupted("not a Rosette store (no format marker)"));
    }
    let stored = meta("digest")?
        .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupted("the content digest is missing"))?;
    let mut stmt = conn
        .prepare("SELECT tbl, key, value FROM entries")
        .map_err(map_err)?;
    let mut rows = stmt.query([]).map_err(map_err)?;
    let mut digest = 0u64;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        let tbl: String = row.get(0).map_err(map_err)?;
        let key: Vec<u8> = row.get(1).map_err(map_err)?;
        let value: Vec<u8> = row.get(2).map_err(map_err)?;
        digest ^= entry_hash(tbl.as_bytes(), &key, &value);
        *counts.entry(tbl).or_default() += 1;
    }
    for (tbl, n) in &counts {
        let stored = meta(&format!("count/{tbl}"))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map(u64::from_be_bytes);
        if stored != Some(*n) {
            return Err(corrupted("records were lost or resurrected"));
        }
    }
    if digest != stored {
        return Err(corrupted(
            "the content digest does not match: records were lost, reverted or altered",
        ));
    }
    Ok(())
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(|c| {
            c.prepare_cached("SELECT value FROM entries WHERE tbl = ?1 AND key = ?2")?
                .query_row(params![table.as_str(), key], |r| r.get(0))
                .optional()
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
        let (sql, bound) = match start_after {
            Some(after) if after >= prefix => (
                "SELECT key, value FROM entries WHERE tbl = ?1 AND key > ?2 ORDER BY key LIMIT ?3",
                after,
            ),
            _ => (
                "SELECT key, value FROM entries WHERE tbl = ?1 AND key >= ?2 ORDER BY key LIMIT ?3",
                prefix,
            ),
        };
        self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(params![table.as_str(), bound, limit as i64])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let key: Vec<u8> = row.get(0)?;
                if !key.starts_with(prefix) {
                    break;
                }
                out.push((key, row.get(1)?));
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
        if self.durability == Durability::OnReturn {
            return Ok(());
        }
        let conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        conn.execute_batch("PRAGMA wal_checkpoint(FULL)")
            .map_err(map_err)
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        let v: Option<Vec<u8>> = self.read(|c| {
            c.query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("count/{table}")],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(v.and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map_or(0, u64::from_be_bytes) as usize)
    }

    fn tables(&self) -> Result<Vec<String>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT DISTINCT tbl FROM entries ORDER BY tbl")?;
            let names = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(names)
        })
    }
}
