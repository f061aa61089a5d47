//! Every on-disk engine against reopen, locking and damaged files: one body, run per engine.
//!
//! The property: a store reopens with every flushed record intact, or is refused with
//! `StorageError::StoreCorrupted`; never short, never a panic. sled 0.34 on its own broke it
//! (cut and garbled logs reopened silently short); redb checks page checksums.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rosette_storage::{StorageError, Table, WriteBatch};

use crate::DiskEngine;

const T: Table = Table::new("files");
const RECORDS: u32 = 3000;

fn value(i: u32) -> Vec<u8> {
    vec![(i % 251) as u8; 1000]
}

/// A store at `path` with `RECORDS` flushed 1 KB records, closed.
fn filled(engine: DiskEngine, path: &Path) {
    let store = (engine.open)(path).unwrap();
    for chunk in 0..RECORDS / 100 {
        let mut batch = WriteBatch::new();
        for i in chunk * 100..(chunk + 1) * 100 {
            batch.insert(T, format!("k{i:06}"), value(i));
        }
        store.apply(batch).unwrap();
    }
    store.flush().unwrap();
}

/// Copies a store (a file or a directory).
fn copy_store(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_store(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        fs::copy(from, to).unwrap();
    }
}

/// A named way of damaging a closed store's data file.
type Damage = (String, Box<dyn Fn(&Path)>);

/// What opening a damaged store gave: an error, or the records it still holds intact.
#[derive(Debug)]
enum Outcome {
    Refused(StorageError),
    Intact,
    Lost { missing_or_wrong: u32 },
}

/// Opens `path` and checks every record; a panic fails the test.
fn reopen_and_check(engine: DiskEngine, path: &Path) -> Outcome {
    let checked = catch_unwind(AssertUnwindSafe(|| -> Result<u32, StorageError> {
        let store = (engine.open)(path)?;
        let mut bad = 0;
        for i in 0..RECORDS {
            if store.get(T, format!("k{i:06}").as_bytes())? != Some(value(i)) {
                bad += 1;
            }
        }
        Ok(bad)
    }));
    match checked.expect("a damaged store must not panic") {
        Err(e) => Outcome::Refused(e),
        Ok(0) => Outcome::Intact,
        Ok(missing_or_wrong) => Outcome::Lost { missing_or_wrong },
    }
}

/// Applies each damage (to the engine's data file) to a copy of one filled store; every
/// outcome must be a refusal with `StoreCorrupted` or an intact store. Returns how many were
/// refused.
fn damage_cases(engine: DiskEngine, cases: &[Damage]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    filled(engine, &original);
    let mut refused = 0;
    for (i, (name, damage)) in cases.iter().enumerate() {
        let trial = dir.path().join(format!("trial{i}"));
        copy_store(&original, &trial);
        damage(&(engine.data_file)(&trial));
        match reopen_and_check(engine, &trial) {
            Outcome::Refused(StorageError::StoreCorrupted { .. }) => refused += 1,
            Outcome::Intact => {}
            Outcome::Lost { missing_or_wrong } => {
                panic!(
                    "{}: {name}: {missing_or_wrong} records lost silently",
                    engine.name
                )
            }
            Outcome::Refused(other) => {
                panic!(
                    "{}: {name}: refused with the wrong error: {other}",
                    engine.name
                )
            }
        }
    }
    refused
}

fn file_len(file: &Path) -> usize {
    fs::metadata(file).unwrap().len() as usize
}

pub(super) fn flushed_writes_survive_reopen(engine: DiskEngine) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    filled(engine, &path);
    assert!(matches!(reopen_and_check(engine, &path), Outcome::Intact));
    // Reopened stores take writes and keep them.
    {
        let store = (engine.open)(&path).unwrap();
        store.insert(T, b"later", b"v").unwrap();
        store.flush().unwrap();
    }
    let store = (engine.open)(&path).unwrap();
    assert_eq!(store.get(T, b"later").unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(store.len(T).unwrap(), RECORDS as usize + 1);
}

pub(super) fn a_second_open_is_locked_until_the_first_closes(engine: DiskEngine) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let first = (engine.open)(&path).unwrap();
    match (engine.open)(&path) {
        Err(StorageError::Locked { .. }) => {}
        other => panic!("{}: {other:?}", engine.name),
    }
    drop(first);
    (engine.open)(&path).unwrap();
}

pub(super) fn a_file_that_is_not_a_store_is_refused_and_left_alone(engine: DiskEngine) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("text", &b"my notes, not a database"[..]),
        ("zeros", &[0u8; 8192][..]),
    ] {
        let path = dir.path().join(name);
        let file = (engine.data_file)(&path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, bytes).unwrap();
        match (engine.open)(&path) {
            Err(StorageError::StoreCorrupted { .. }) => {}
            other => panic!("{} {name}: {other:?}", engine.name),
        }
        assert_eq!(fs::read(&file).unwrap(), bytes, "{name} was changed");
    }
}

pub(super) fn an_emptied_data_file_is_refused(engine: DiskEngine) {
    let cases: Vec<Damage> = vec![(
        "emptied".into(),
        Box::new(|f: &Path| fs::write(f, b"").unwrap()),
    )];
    assert_eq!(damage_cases(engine, &cases), 1);
}

pub(super) fn a_truncated_file_is_refused_or_loses_nothing(engine: DiskEngine) {
    let cases: Vec<Damage> = (0..=20)
        .map(|step| {
            let damage = move |f: &Path| {
                let keep = if step == 20 {
                    file_len(f) - 4096
                } else {
                    file_len(f) * step / 20
                };
                fs::OpenOptions::new()
                    .write(true)
                    .open(f)
                    .unwrap()
                    .set_len(keep as u64)
                    .unwrap();
            };
            (
                format!("cut at {}%", step * 5),
                Box::new(damage) as Box<dyn Fn(&Path)>,
            )
        })
        .collect();
    let refused = damage_cases(engine, &cases);
    assert!(refused >= 1, "refused {refused} of {}", cases.len());
    eprintln!(
        "{}: truncation: refused {refused} of {}, the rest intact",
        engine.name,
        cases.len()
    );
}

pub(super) fn a_garbled_file_is_refused_or_loses_nothing(engine: DiskEngine) {
    let cases: Vec<Damage> = (0..20)
        .map(|step| {
            let damage = move |f: &Path| {
                let mut bytes = fs::read(f).unwrap();
                let at = (bytes.len() * step / 20).min(bytes.len() - 4096);
                for b in &mut bytes[at..at + 4096] {
                    *b ^= 0x5a;
                }
                fs::write(f, bytes).unwrap();
            };
            (
                format!("4 KiB garbled at {}%", step * 5),
                Box::new(damage) as Box<dyn Fn(&Path)>,
            )
        })
        .collect();
    let refused = damage_cases(engine, &cases);
    eprintln!(
        "{}: garbling: refused {refused} of {}, the rest intact",
        engine.name,
        cases.len()
    );
}

macro_rules! files_suite {
    ($($name:ident => $engine:ident),*) => {$(
        mod $name {
            #[test]
            fn flushed_writes_survive_reopen() { super::flushed_writes_survive_reopen(crate::$engine) }
            #[test]
            fn a_second_open_is_locked_until_the_first_closes() {
                super::a_second_open_is_locked_until_the_first_closes(crate::$engine)
            }
            #[test]
            fn a_file_that_is_not_a_store_is_refused_and_left_alone() {
                super::a_file_that_is_not_a_store_is_refused_and_left_alone(crate::$engine)
            }
            #[test]
            fn an_emptied_data_file_is_refused() { super::an_emptied_data_file_is_refused(crate::$engine) }
            #[test]
            fn a_truncated_file_is_refused_or_loses_nothing() {
                super::a_truncated_file_is_refused_or_loses_nothing(crate::$engine)
            }
            #[test]
            fn a_garbled_file_is_refused_or_loses_nothing() {
                super::a_garbled_file_is_refused_or_loses_nothing(crate::$engine)
            }
        }
    )*};
}

files_suite!(redb => REDB, redb_on_flush => REDB_ON_FLUSH);
#[cfg(feature = "sled-tests")]
files_suite!(sled => SLED);
#[cfg(feature = "sqlite")]
files_suite!(sqlite => SQLITE);

/// redb-only: a redb database that is not a Rosette store (no format marker), a store left
/// half-created, and a directory in the store's place.
mod redb_only {
    use super::*;
    use rosette_storage::{RedbStore, Store};

    #[test]
    fn a_foreign_redb_file_and_a_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foreign.redb");
        {
            let db = ::redb::Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let def: ::redb::TableDefinition<&str, &str> = ::redb::TableDefinition::new("x");
                txn.open_table(def).unwrap().insert("k", "v").unwrap();
            }
            txn.commit().unwrap();
        }
        match RedbStore::open(&path) {
            Err(StorageError::StoreCorrupted { reason }) => {
                assert!(reason.contains("not a Rosette store"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        match RedbStore::open(dir.path()) {
            Err(StorageError::StoreCorrupted { reason }) => {
                assert!(reason.contains("directory"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_stale_staging_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        fs::write(dir.path().join("store.redb.rosette-init"), b"half made").unwrap();
        let store = RedbStore::open(&path).unwrap();
        store.insert(T, b"k", b"v").unwrap();
        drop(store);
        assert!(!dir.path().join("store.redb.rosette-init").exists());
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(store.get(T, b"k").unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn records_changed_behind_the_stores_back_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        filled(crate::REDB, &path);
        // A valid redb write that bypasses the store: checksums hold, the digest does not.
        {
            let db = ::redb::Database::open(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let def: ::redb::TableDefinition<&[u8], &[u8]> =
                    ::redb::TableDefinition::new("files");
                txn.open_table(def)
                    .unwrap()
                    .insert(&b"k000001"[..], &b"edited"[..])
                    .unwrap();
            }
            txn.commit().unwrap();
        }
        match RedbStore::open(&path) {
            Err(StorageError::StoreCorrupted { reason }) => {
                assert!(reason.contains("digest"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// A crash image of an open store: its file and journal copied while it is open (what a
    /// SIGKILL leaves), after `writes` inserts that each returned.
    fn crash_image(writes: u32) -> (tempfile::TempDir, std::path::PathBuf) {
        crash_image_with(writes, rosette_storage::Durability::OnReturn)
    }

    fn crash_image_with(
        writes: u32,
        durability: rosette_storage::Durability,
    ) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.redb");
        let store = RedbStore::open_with(&live, durability).unwrap();
        store.insert(T, b"before", b"checkpointed").unwrap();
        store.flush().unwrap();
        for i in 0..writes {
            store.insert(T, &key(i), &value(i)).unwrap();
        }
        let image = dir.path().join("image.redb");
        fs::copy(&live, &image).unwrap();
        fs::copy(journal_of(&live), journal_of(&image)).unwrap();
        drop(store);
        (dir, image)
    }

    fn key(i: u32) -> Vec<u8> {
        format!("j{i:06}").into_bytes()
    }

    fn journal_of(path: &Path) -> std::path::PathBuf {
        let mut name = path.as_os_str().to_os_string();
        name.push(".journal");
        name.into()
    }

    /// The byte offset just past the journal's last record (it is zero-filled after).
    fn records_end(journal: &[u8]) -> usize {
        journal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
    }

    #[test]
    fn writes_only_in_the_journal_are_applied_on_reopen() {
        let (_dir, image) = crash_image(50);
        let store = RedbStore::open(&image).unwrap();
        assert_eq!(
            store.get(T, b"before").unwrap().as_deref(),
            Some(&b"checkpointed"[..])
        );
        for i in 0..50 {
            assert_eq!(store.get(T, &key(i)).unwrap(), Some(value(i)), "write {i}");
        }
        assert_eq!(store.len(T).unwrap(), 51);
        // Applied once: a second reopen finds the same, and the store takes writes again.
        store.insert(T, b"after", b"x").unwrap();
        drop(store);
        let store = RedbStore::open(&image).unwrap();
        assert_eq!(store.len(T).unwrap(), 52);
    }

    #[test]
    fn a_torn_last_journal_record_is_dropped() {
        let (_dir, image) = crash_image(20);
        let journal = journal_of(&image);
        let mut bytes = fs::read(&journal).unwrap();
        let end = records_end(&bytes);
        // The last record's tail never reached the disk.
        bytes[end - 10..end].fill(0);
        fs::write(&journal, &bytes).unwrap();
        let store = RedbStore::open(&image).unwrap();
        for i in 0..19 {
            assert_eq!(store.get(T, &key(i)).unwrap(), Some(value(i)), "write {i}");
        }
        assert_eq!(store.get(T, &key(19)).unwrap(), None);
    }

    #[test]
    fn a_garbled_journal_record_before_valid_ones_is_refused() {
        let (_dir, image) = crash_image(20);
        let journal = journal_of(&image);
        let mut bytes = fs::read(&journal).unwrap();
        // Inside the first record's value: a crash cannot damage a record that later ones
        // follow, so this is damage, not a torn write.
        bytes[100] ^= 0x55;
        fs::write(&journal, &bytes).unwrap();
        match RedbStore::open(&image) {
            Err(StorageError::StoreCorrupted { reason }) => {
                assert!(reason.contains("journal"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_journal_of_another_store_is_ignored() {
        let (_dir, image) = crash_image(5);
        let (_other_dir, other) = crash_image(5);
        // The image's own journal replaced by another store's: its records are not this
        // store's writes (the checksum covers the store id).
        fs::copy(journal_of(&other), journal_of(&image)).unwrap();
        let store = RedbStore::open(&image).unwrap();
        assert_eq!(store.len(T).unwrap(), 1);
    }

    #[test]
    fn unsynced_journal_records_survive_a_killed_process() {
        let (_dir, image) = crash_image_with(30, rosette_storage::Durability::OnFlush);
        let store = RedbStore::open(&image).unwrap();
        for i in 0..30 {
            assert_eq!(store.get(T, &key(i)).unwrap(), Some(value(i)), "write {i}");
        }
    }

    #[test]
    fn a_lost_unsynced_journal_record_ends_the_replay() {
        // A power loss may write back a later unsynced record and not an earlier one: that is
        // the unflushed window being lost, not damage.
        let (_dir, image) = crash_image_with(20, rosette_storage::Durability::OnFlush);
        let journal = journal_of(&image);
        let mut bytes = fs::read(&journal).unwrap();
        bytes[100] ^= 0x55;
        fs::write(&journal, &bytes).unwrap();
        let store = RedbStore::open(&image).unwrap();
        assert_eq!(store.len(T).unwrap(), 1, "only the flushed write");
    }
}
