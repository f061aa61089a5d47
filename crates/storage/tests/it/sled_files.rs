//! The on-disk backend against reopen, locking and damaged files.
//!
//! What sled 0.34 does by itself (measured while writing these tests): a log cut or garbled in
//! the middle often reopens without error, holding only the records before the damage; other
//! damage panics inside sled. `SledStore` turns both into `StorageError::StoreCorrupted` (a
//! panic guard, a format marker and the flush seal), so the properties below hold.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rosette_storage::{SledStore, StorageError, Store, Table, WriteBatch};

const T: Table = Table::new("files");
const RECORDS: u32 = 3000;

fn value(i: u32) -> Vec<u8> {
    vec![(i % 251) as u8; 1000]
}

/// A store at `path` with `RECORDS` flushed 1 KB records, closed.
fn filled(path: &Path) {
    let store = SledStore::open(path).unwrap();
    for chunk in 0..RECORDS / 100 {
        let mut batch = WriteBatch::new();
        for i in chunk * 100..(chunk + 1) * 100 {
            batch.insert(T, format!("k{i:06}"), value(i));
        }
        store.apply(batch).unwrap();
    }
    store.flush().unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// What opening a damaged store gave: an error, or the records it still holds intact.
#[derive(Debug)]
enum Outcome {
    Refused(StorageError),
    Intact,
    Lost { missing_or_wrong: u32 },
}

/// Opens `path` and checks every record; a panic fails the test.
fn reopen_and_check(path: &Path) -> Outcome {
    let checked = catch_unwind(AssertUnwindSafe(|| -> Result<u32, StorageError> {
        let store = SledStore::open(path)?;
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

/// A named way of damaging a closed store's files.
type Damage = (String, Box<dyn Fn(&Path)>);

fn damage(name: impl Into<String>, f: impl Fn(&Path) + 'static) -> Damage {
    (name.into(), Box::new(f))
}

/// Applies each damage to a copy of one filled store; every outcome must be a refusal with
/// `StoreCorrupted` or an intact store. Returns how many were refused.
fn damage_cases(cases: &[Damage]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    filled(&original);
    let mut refused = 0;
    for (i, (name, damage)) in cases.iter().enumerate() {
        let trial = dir.path().join(format!("trial{i}"));
        copy_dir(&original, &trial);
        damage(&trial);
        match reopen_and_check(&trial) {
            Outcome::Refused(StorageError::StoreCorrupted { .. }) => refused += 1,
            Outcome::Intact => {}
            Outcome::Lost { missing_or_wrong } => {
                panic!("{name}: {missing_or_wrong} records lost silently")
            }
            Outcome::Refused(other) => panic!("{name}: refused with the wrong error: {other}"),
        }
    }
    refused
}

fn log_len(path: &Path) -> usize {
    fs::metadata(path.join("db")).unwrap().len() as usize
}

#[test]
fn flushed_writes_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    filled(&path);
    for round in 0..3u8 {
        let store = SledStore::open(&path).unwrap();
        assert_eq!(store.len(T).unwrap(), RECORDS as usize + usize::from(round));
        assert_eq!(store.get(T, b"k000042").unwrap(), Some(value(42)));
        for r in 0..round {
            assert_eq!(store.get(T, &[b'r', r]).unwrap(), Some(vec![r]));
        }
        store.insert(T, &[b'r', round], &[round]).unwrap();
        store.flush().unwrap();
    }
}

#[test]
fn writes_survive_a_clean_close_without_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = SledStore::open(&path).unwrap();
    store.insert(T, b"k", b"v").unwrap();
    drop(store);
    assert_eq!(
        SledStore::open(&path).unwrap().get(T, b"k").unwrap(),
        Some(b"v".to_vec())
    );
}

#[test]
fn a_second_open_is_locked_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let first = SledStore::open(&path).unwrap();
    match SledStore::open(&path) {
        Err(StorageError::Locked { path: locked }) => assert_eq!(locked, path),
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(first);
    SledStore::open(&path).unwrap();
}

#[test]
fn creates_in_an_absent_or_empty_directory_and_drops_a_stale_staging_copy() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    SledStore::open(&empty)
        .unwrap()
        .insert(T, b"k", b"v")
        .unwrap();
    assert_eq!(
        SledStore::open(&empty).unwrap().get(T, b"k").unwrap(),
        Some(b"v".to_vec())
    );

    // A crash while creating leaves the staging directory; it never became the store.
    let path = dir.path().join("store");
    let stale = dir.path().join("store.rosette-init");
    fs::create_dir(&stale).unwrap();
    fs::write(stale.join("db"), b"half-made").unwrap();
    let store = SledStore::open(&path).unwrap();
    assert!(store.is_empty(T).unwrap());
    assert!(!stale.exists());
    assert_eq!(store.path(), path);
}

#[test]
fn a_directory_that_is_not_a_store_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    match SledStore::open(dir.path()) {
        Err(StorageError::StoreCorrupted { reason }) => {
            assert!(reason.contains("not a Rosette store"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"]);
}

#[test]
fn a_truncated_log_is_refused_or_loses_nothing() {
    let cases: Vec<Damage> = (0..=20)
        .map(|step| {
            damage(format!("cut at {}%", step * 5), move |p: &Path| {
                let keep = if step == 20 {
                    log_len(p) - 4096
                } else {
                    log_len(p) * step / 20
                };
                fs::OpenOptions::new()
                    .write(true)
                    .open(p.join("db"))
                    .unwrap()
                    .set_len(keep as u64)
                    .unwrap();
            })
        })
        .collect();
    let refused = damage_cases(&cases);
    // Cutting the whole log (0%) is always noticed; most other cuts are too.
    assert!(refused >= 1, "refused {refused} of {}", cases.len());
    eprintln!(
        "truncation: refused {refused} of {}, the rest intact",
        cases.len()
    );
}

#[test]
fn a_garbled_log_is_refused_or_loses_nothing() {
    let cases: Vec<Damage> = (0..20)
        .map(|step| {
            damage(
                format!("4 KiB garbled at {}%", step * 5),
                move |p: &Path| {
                    let mut bytes = fs::read(p.join("db")).unwrap();
                    let at = (bytes.len() * step / 20).min(bytes.len() - 4096);
                    for b in &mut bytes[at..at + 4096] {
                        *b ^= 0x5a;
                    }
                    fs::write(p.join("db"), bytes).unwrap();
                },
            )
        })
        .collect();
    let refused = damage_cases(&cases);
    eprintln!(
        "garbling: refused {refused} of {}, the rest intact",
        cases.len()
    );
}

#[test]
fn damaged_bookkeeping_files_are_refused() {
    let other = tempfile::tempdir().unwrap();
    let other_store = other.path().join("other");
    filled(&other_store);
    let cases = [
        damage("empty log", |p| fs::write(p.join("db"), b"").unwrap()),
        damage("log removed", |p| fs::remove_file(p.join("db")).unwrap()),
        damage("seal removed", |p| {
            fs::remove_file(p.join("rosette.seal")).unwrap()
        }),
        damage("seal garbled", |p| {
            fs::write(p.join("rosette.seal"), [0x5a; 96]).unwrap()
        }),
        damage("log of another store", move |p| {
            fs::copy(other_store.join("db"), p.join("db")).unwrap();
        }),
        damage("log of the same store, older", |p| {
            // The seal is ahead of the log: as if the log were restored from an old backup.
            let seal = fs::read(p.join("rosette.seal")).unwrap();
            let store = SledStore::open(p).unwrap();
            store.insert(T, b"later", b"x").unwrap();
            store.flush().unwrap();
            drop(store);
            let newer_seal = fs::read(p.join("rosette.seal")).unwrap();
            assert_ne!(seal, newer_seal);
            let old_log = p.with_file_name("old-log");
            fs::copy(p.join("db"), &old_log).unwrap();
            let store = SledStore::open(p).unwrap();
            store.flush().unwrap();
            drop(store);
            fs::copy(&old_log, p.join("db")).unwrap();
        }),
    ];
    assert_eq!(damage_cases(&cases), cases.len());
    drop(other);
}

#[test]
fn sled_rebuilds_a_removed_snapshot() {
    let cases = [damage("snapshot removed", |p| {
        for entry in fs::read_dir(p).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
            {
                fs::remove_file(path).unwrap();
            }
        }
    })];
    assert_eq!(damage_cases(&cases), 0);
}

/// Regression: sled 0.34.7 reads a half-written `snap.*.generating` file left by a crash and
/// then refuses to open, forever (found by `crash::sigkill_during_creation`).
#[test]
fn a_half_written_sled_snapshot_does_not_brick_the_store() {
    let cases = [
        damage("empty snapshot in progress", |p| {
            fs::write(p.join("snap.FFFFFFFFFFFFFFFF.generating"), b"").unwrap();
        }),
        damage("torn snapshot in progress", |p| {
            fs::write(p.join("snap.FFFFFFFFFFFFFFFF.generating"), [7u8; 100]).unwrap();
        }),
    ];
    assert_eq!(damage_cases(&cases), 0);
}

/// The content digest notices records changed, removed or added behind the store's back, the
/// way sled's silent recovery of a damaged log changes them.
#[test]
fn records_changed_behind_the_stores_back_are_refused() {
    fn with_sled(p: &Path, f: impl Fn(&sled::Db)) {
        let db = sled::Config::new().path(p).open().unwrap();
        f(&db);
        db.flush().unwrap();
    }
    let cases = [
        damage("value altered", |p| {
            with_sled(p, |db| {
                db.open_tree("files")
                    .unwrap()
                    .insert("k000007", &b"tampered"[..])
                    .unwrap();
            })
        }),
        damage("record removed", |p| {
            with_sled(p, |db| {
                db.open_tree("files").unwrap().remove("k000007").unwrap();
            })
        }),
        damage("record added", |p| {
            with_sled(p, |db| {
                db.open_tree("files")
                    .unwrap()
                    .insert("zzz", &b"new"[..])
                    .unwrap();
            })
        }),
        damage("table dropped", |p| {
            with_sled(p, |db| {
                db.drop_tree("files").unwrap();
            })
        }),
        damage("record added to a new table", |p| {
            with_sled(p, |db| {
                db.open_tree("other")
                    .unwrap()
                    .insert("k", &b"v"[..])
                    .unwrap();
            })
        }),
    ];
    assert_eq!(damage_cases(&cases), cases.len());
}
