//! The storage trait every backend implements, and the atomic write batch.

use std::fmt;

use crate::{CasConflict, RequirementFailed, StorageError, Table};

/// The most entries one [`Store::scan_prefix`] call returns; larger limits are lowered to it.
pub const MAX_SCAN_LIMIT: usize = 10_000;

/// A key and its value, as returned by [`Store::scan_prefix`].
pub type Entry = (Vec<u8>, Vec<u8>);

/// An ordered key-value store with named tables.
///
/// The store has no rules about content: keys and values are bytes, ordered by bytes. It offers
/// the few primitives the protocol needs to stay correct under concurrency and crashes:
/// [`compare_and_swap`](Store::compare_and_swap) for single-use values,
/// [`apply`](Store::apply) for writes that must land together, and
/// [`flush`](Store::flush) for durability.
///
/// Object safe: the agent holds an `Arc<dyn Store>`. All methods take `&self` and are safe to
/// call from many threads; each call is atomic with respect to the others.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// The value stored under `key`, if any.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Stores `value` under `key`, returning the value it replaced.
    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError>;

    /// Removes `key`, returning the value it held.
    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Up to `limit` entries whose keys start with `prefix`, in key order.
    ///
    /// With `start_after`, only keys strictly greater than it are returned: pass the last key of
    /// one page to get the next. A page shorter than `limit` is the last one. `limit` is capped
    /// at [`MAX_SCAN_LIMIT`].
    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError>;

    /// Replaces the value of `key` with `new` only if it currently equals `expected`.
    ///
    /// `None` as `expected` means "the key is absent"; `None` as `new` removes the key. Exactly
    /// one of many concurrent callers expecting the same value wins; the others get
    /// `Ok(Err(CasConflict))` carrying the value they found.
    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError>;

    /// Applies every write of `batch` atomically, across tables: after a crash, either all of
    /// them are visible or none is. Writes to the same key apply in order (the last one wins).
    ///
    /// If the batch has requirements ([`WriteBatch::require_value`],
    /// [`WriteBatch::require_absent`]), they are checked atomically with the writes; when one
    /// does not hold, nothing is written and the answer is `Ok(Err(RequirementFailed))`. A
    /// batch without requirements always answers `Ok(Ok(()))` or an error.
    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError>;

    /// [`apply_checked`](Store::apply_checked) for a batch whose requirements are expected to
    /// hold (or that has none): a failed requirement is [`StorageError::RequirementFailed`].
    fn apply(&self, batch: WriteBatch) -> Result<(), StorageError> {
        self.apply_checked(batch)?
            .map_err(|failed| StorageError::RequirementFailed {
                table: failed.table,
                key: failed.key,
            })
    }

    /// Makes every write that returned before this call durable; on return they survive a
    /// crash or power loss.
    fn flush(&self) -> Result<(), StorageError>;

    /// The number of entries in `table`. May take time linear in the table's size.
    fn len(&self, table: Table) -> Result<usize, StorageError>;

    /// The names of the tables that hold entries, in name order (a table emptied by removals
    /// may still be listed). For whole-store work: migration, digests.
    fn tables(&self) -> Result<Vec<String>, StorageError>;

    /// Whether `table` holds no entry.
    fn is_empty(&self, table: Table) -> Result<bool, StorageError> {
        Ok(self.scan_prefix(table, b"", None, 1)?.is_empty())
    }
}

/// One write of a [`WriteBatch`].
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Write {
    pub(crate) table: Table,
    pub(crate) key: Vec<u8>,
    /// `None` removes the key.
    pub(crate) value: Option<Vec<u8>>,
}

/// A condition of a [`WriteBatch`]: `key` in `table` holds `expected` (`None`: is absent).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) table: Table,
    pub(crate) key: Vec<u8>,
    pub(crate) expected: Option<Vec<u8>>,
}

/// Writes applied together by [`Store::apply`]: all of them, or (after a crash) none; with
/// optional requirements checked atomically with them (a multi-key compare-and-swap).
///
/// `Debug` shows tables, keys and sizes, never values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    pub(crate) writes: Vec<Write>,
    pub(crate) requirements: Vec<Requirement>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds "store `value` under `key` in `table`".
    pub fn insert(
        &mut self,
        table: Table,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.writes.push(Write {
            table,
            key: key.into(),
            value: Some(value.into()),
        });
        self
    }

    /// Adds "remove `key` from `table`".
    pub fn remove(&mut self, table: Table, key: impl Into<Vec<u8>>) -> &mut Self {
        self.writes.push(Write {
            table,
            key: key.into(),
            value: None,
        });
        self
    }

    /// Adds the requirement "`key` in `table` holds exactly `value`" (see
    /// [`Store::apply_checked`]).
    pub fn require_value(
        &mut self,
        table: Table,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.requirements.push(Requirement {
            table,
            key: key.into(),
            expected: Some(value.into()),
        });
        self
    }

    /// Adds the requirement "`key` is absent from `table`" (see [`Store::apply_checked`]).
    pub fn require_absent(&mut self, table: Table, key: impl Into<Vec<u8>>) -> &mut Self {
        self.requirements.push(Requirement {
            table,
            key: key.into(),
            expected: None,
        });
        self
    }

    /// The number of writes in the batch.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Whether the batch holds no write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

impl fmt::Debug for WriteBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for w in &self.writes {
            match &w.value {
                Some(v) => list.entry(&format_args!(
                    "insert {}/{} ({} bytes)",
                    w.table,
                    crate::error::KeyDisplay(&w.key),
                    v.len()
                )),
                None => list.entry(&format_args!(
                    "remove {}/{}",
                    w.table,
                    crate::error::KeyDisplay(&w.key)
                )),
            };
        }
        for r in &self.requirements {
            match &r.expected {
                Some(v) => list.entry(&format_args!(
                    "require {}/{} ({} bytes)",
                    r.table,
                    crate::error::KeyDisplay(&r.key),
                    v.len()
                )),
                None => list.entry(&format_args!(
                    "require absent {}/{}",
                    r.table,
                    crate::error::KeyDisplay(&r.key)
                )),
            };
        }
        list.finish()
    }
}
