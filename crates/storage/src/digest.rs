//! Content digests: an order-independent fingerprint of a store's entries, per table.
//!
//! The on-disk stores keep a running digest and per-table counts, updated in the transaction of
//! every write, and recompute both on open to notice records that damage removed or reverted.
//! The same fingerprint, computed by scanning any [`Store`], checks that a migration copied
//! everything and that a store reopens with what it held.

use std::collections::BTreeMap;

use crate::{StorageError, Store, Table};

/// The digest contribution of one entry: FNV-1a over the length-prefixed table and key and
/// the value. Not cryptographic: it catches damage, not an attacker who can write the files.
pub(crate) fn entry_hash(table: &[u8], key: &[u8], value: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(PRIME);
        }
    };
    eat(&(table.len() as u64).to_be_bytes());
    eat(table);
    eat(&(key.len() as u64).to_be_bytes());
    eat(key);
    eat(value);
    // A final mix, so that XOR-ing many hashes does not cancel on similar entries.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// What one table holds, in short: its entry count and the XOR of its entries' hashes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableSummary {
    /// Entries in the table.
    pub entries: u64,
    /// Order-independent digest of every entry (table name, key and value).
    pub digest: u64,
}

/// The [`TableSummary`] of every non-empty table of a store, by table name.
pub type ContentSummary = BTreeMap<String, TableSummary>;

/// Scans every table of `store` and summarizes it. Takes time linear in the store's size; the
/// store should not be written meanwhile, or the summary mixes states.
pub fn content_summary(store: &dyn Store) -> Result<ContentSummary, StorageError> {
    let mut summary = ContentSummary::new();
    for name in store.tables()? {
        let table = Table::interned(&name)?;
        let mut entry = TableSummary::default();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = store.scan_prefix(table, b"", after.as_deref(), crate::MAX_SCAN_LIMIT)?;
            for (key, value) in &page {
                entry.entries += 1;
                entry.digest ^= entry_hash(name.as_bytes(), key, value);
            }
            if page.len() < crate::MAX_SCAN_LIMIT {
                break;
            }
            after = page.last().map(|(k, _)| k.clone());
        }
        if entry.entries > 0 {
            summary.insert(name, entry);
        }
    }
    Ok(summary)
}
