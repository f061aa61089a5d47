//! Migration: every table copied byte for byte between engines, verified by count and digest.

use std::sync::Arc;

use rosette_storage::migrate::{MigrationError, copy_store, verify_copy};
use rosette_storage::{MemoryStore, Store, Table, WriteBatch, content_summary};

const OFFERS: Table = Table::new("mig_offers");
const CODES: Table = Table::new("mig_codes");
const EMPTIED: Table = Table::new("mig_emptied");

/// A store with two tables (one spanning several copy batches) and a table emptied again.
fn source() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let mut batch = WriteBatch::new();
    for i in 0..2_500u32 {
        batch.insert(OFFERS, format!("o/{i:05}"), vec![(i % 256) as u8; 300]);
    }
    batch.insert(CODES, vec![0u8, 255, 7], b"binary key".to_vec());
    batch.insert(CODES, b"".to_vec(), b"".to_vec());
    batch.insert(EMPTIED, "gone", "x");
    store.apply(batch).unwrap();
    store.remove(EMPTIED, b"gone").unwrap();
    store
}

#[test]
fn memory_to_redb_copies_every_entry_and_verifies() {
    let from = source();
    let to = crate::redb();
    let report = copy_store(&*from, &*to.store).unwrap();
    assert_eq!(report.entries(), 2_502);
    assert_eq!(report.tables.get("mig_offers").unwrap().entries, 2_500);
    assert_eq!(report.tables.get("mig_codes").unwrap().entries, 2);
    assert!(!report.tables.contains_key("mig_emptied"));
    assert_eq!(content_summary(&*to.store).unwrap(), report.tables);
    assert_eq!(
        to.store.get(CODES, &[0, 255, 7]).unwrap().as_deref(),
        Some(&b"binary key"[..])
    );
    assert_eq!(to.store.len(OFFERS).unwrap(), 2_500);
}

#[test]
fn a_target_that_is_not_empty_is_refused() {
    let from = source();
    let to = crate::redb();
    to.store.insert(CODES, b"mine", b"x").unwrap();
    match copy_store(&*from, &*to.store) {
        Err(MigrationError::TargetNotEmpty { table }) => assert_eq!(table, "mig_codes"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_differing_copy_is_reported_per_table() {
    let from = source();
    let to = crate::memory();
    copy_store(&*from, &*to.store).unwrap();
    to.store.insert(OFFERS, b"o/00007", b"altered").unwrap();
    match verify_copy(&*from, &*to.store) {
        Err(MigrationError::Mismatch { details }) => {
            assert!(details.contains("table mig_offers"), "{details}");
            assert!(!details.contains("mig_codes"), "{details}");
        }
        other => panic!("{other:?}"),
    }
}

/// The old store's data dir layout: a sled directory, migrated into a new redb file.
#[cfg(feature = "sled")]
#[test]
fn a_sled_store_migrates_into_a_new_redb_file() {
    use rosette_storage::migrate::migrate_sled_store;
    use rosette_storage::{RedbStore, SledStore};
    let dir = tempfile::tempdir().unwrap();
    let sled_dir = dir.path().join("db");
    let expected = {
        let sled = SledStore::open(&sled_dir).unwrap();
        copy_store(&*source(), &sled).unwrap();
        sled.flush().unwrap();
        content_summary(&sled).unwrap()
    };
    let target = dir.path().join("store.redb");
    let report = migrate_sled_store(&sled_dir, &target).unwrap();
    assert_eq!(report.tables, expected);
    let redb = RedbStore::open(&target).unwrap();
    assert_eq!(content_summary(&redb).unwrap(), expected);
    // The sled store is left as it was, and a second migration will not overwrite the target.
    assert!(sled_dir.join("db").is_file());
    drop(redb);
    assert!(matches!(
        migrate_sled_store(&sled_dir, &target),
        Err(MigrationError::TargetExists { .. })
    ));
}

#[cfg(not(feature = "sled"))]
#[test]
fn without_the_sled_feature_migration_says_so() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        rosette_storage::migrate::migrate_sled_store(&dir.path().join("db"), &dir.path().join("s")),
        Err(MigrationError::SledNotBuilt)
    ));
}
