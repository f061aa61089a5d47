//! An in-memory backend with the same semantics as the on-disk one, for tests.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use crate::store::{Entry, MAX_SCAN_LIMIT, WriteBatch};
use crate::{CasConflict, RequirementFailed, StorageError, Store, Table};

type Tables = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

/// A [`Store`] held in memory: a `BTreeMap` per table behind one mutex.
///
/// Every operation holds the lock for its whole duration, so each is atomic and CAS is
/// linearizable. Nothing survives the value being dropped; [`flush`](Store::flush) does nothing.
///
/// `Debug` shows table sizes, never keys or values.
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables = self.lock();
        let mut map = f.debug_map();
        for (table, entries) in tables.iter() {
            map.entry(&table.as_str(), &entries.len());
        }
        map.finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // No operation can panic half-way through a write (they only call BTreeMap methods),
        // so the data behind a poisoned lock is still consistent.
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for MemoryStore {
    fn tables(&self) -> Result<Vec<String>, StorageError> {
        Ok(self
            .lock()
            .iter()
            .filter(|(_, entries)| !entries.is_empty())
            .map(|(table, _)| table.as_str().to_owned())
            .collect())
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.lock().get(&table).and_then(|t| t.get(key)).cloned())
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .lock()
            .entry(table)
            .or_default()
            .insert(key.to_vec(), value.to_vec()))
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.lock().get_mut(&table).and_then(|t| t.remove(key)))
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        let tables = self.lock();
        let Some(t) = tables.get(&table) else {
            return Ok(Vec::new());
        };
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        Ok(t.range::<[u8], _>((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit.min(MAX_SCAN_LIMIT))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let mut tables = self.lock();
        let t = tables.entry(table).or_default();
        let current = t.get(key).map(Vec::as_slice);
        if current != expected {
            return Ok(Err(CasConflict {
                current: current.map(<[u8]>::to_vec),
            }));
        }
        match new {
            Some(value) => t.insert(key.to_vec(), value.to_vec()),
            None => t.remove(key),
        };
        Ok(Ok(()))
    }

    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        let mut tables = self.lock();
        for r in &batch.requirements {
            let current = tables.get(&r.table).and_then(|t| t.get(&r.key));
            if current != r.expected.as_ref() {
                return Ok(Err(RequirementFailed {
                    table: r.table,
                    key: r.key.clone(),
                    current: current.cloned(),
                }));
            }
        }
        for write in batch.writes {
            let t = tables.entry(write.table).or_default();
            match write.value {
                Some(value) => t.insert(write.key, value),
                None => t.remove(&write.key),
            };
        }
        Ok(Ok(()))
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        Ok(self.lock().get(&table).map_or(0, BTreeMap::len))
    }
}
