//! The behaviour every `Store` backend must have, run against each backend.

use std::sync::{Arc, Barrier};
use std::thread;

use rosette_storage::{CasConflict, MAX_SCAN_LIMIT, StorageError, Store, Table, WriteBatch};

const T1: Table = Table::new("conf_one");
const T2: Table = Table::new("conf_two");

fn get_insert_remove(s: &dyn Store) {
    assert_eq!(s.get(T1, b"k").unwrap(), None);
    assert_eq!(s.insert(T1, b"k", b"v1").unwrap(), None);
    assert_eq!(s.insert(T1, b"k", b"v2").unwrap(), Some(b"v1".to_vec()));
    assert_eq!(s.get(T1, b"k").unwrap(), Some(b"v2".to_vec()));
    // Tables are separate key spaces.
    assert_eq!(s.get(T2, b"k").unwrap(), None);
    s.insert(T2, b"k", b"other").unwrap();
    assert_eq!(s.get(T1, b"k").unwrap(), Some(b"v2".to_vec()));
    assert_eq!(s.remove(T1, b"k").unwrap(), Some(b"v2".to_vec()));
    assert_eq!(s.remove(T1, b"k").unwrap(), None);
    assert_eq!(s.get(T1, b"k").unwrap(), None);
    assert_eq!(s.get(T2, b"k").unwrap(), Some(b"other".to_vec()));
}

fn binary_keys_and_values(s: &dyn Store) {
    let key = [0u8, 255, 10, 0];
    s.insert(T1, &key, b"").unwrap();
    assert_eq!(s.get(T1, &key).unwrap(), Some(Vec::new()));
    s.insert(T1, b"", b"empty key").unwrap();
    assert_eq!(s.get(T1, b"").unwrap(), Some(b"empty key".to_vec()));
    let big = vec![0xa5u8; 1 << 20];
    s.insert(T1, b"big", &big).unwrap();
    assert_eq!(s.get(T1, b"big").unwrap(), Some(big));
}

fn keys(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    entries
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect()
}

fn scan_prefix_pages_in_key_order(s: &dyn Store) {
    for i in (0..25).rev() {
        s.insert(
            T1,
            format!("a/{i:02}").as_bytes(),
            format!("v{i}").as_bytes(),
        )
        .unwrap();
    }
    for k in ["a", "a0", "b/00", "A/00", "`"] {
        s.insert(T1, k.as_bytes(), b"x").unwrap();
    }
    s.insert(T2, b"a/99", b"other table").unwrap();

    let mut pages = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = s.scan_prefix(T1, b"a/", after.as_deref(), 10).unwrap();
        after = page.last().map(|(k, _)| k.clone());
        let done = page.len() < 10;
        pages.push(page);
        if done {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    let all: Vec<_> = pages.concat();
    assert_eq!(
        keys(&all),
        (0..25).map(|i| format!("a/{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(all[3].1, b"v3");

    // A cursor before the prefix starts at the prefix; one after it gives nothing.
    assert_eq!(
        keys(&s.scan_prefix(T1, b"a/", Some(b"0"), 2).unwrap()),
        ["a/00", "a/01"]
    );
    assert_eq!(
        keys(&s.scan_prefix(T1, b"a/", Some(b"a/"), 1).unwrap()),
        ["a/00"]
    );
    assert!(
        s.scan_prefix(T1, b"a/", Some(b"a/24"), 10)
            .unwrap()
            .is_empty()
    );
    assert!(s.scan_prefix(T1, b"a/", Some(b"b"), 10).unwrap().is_empty());
    assert!(s.scan_prefix(T1, b"a/", None, 0).unwrap().is_empty());
    assert!(s.scan_prefix(T1, b"zzz", None, 10).unwrap().is_empty());
    // The empty prefix is the whole table, ordered by bytes.
    let whole = s.scan_prefix(T1, b"", None, 1000).unwrap();
    assert_eq!(whole.len(), 30);
    assert_eq!(keys(&whole)[..3], ["A/00", "`", "a"]);
    assert_eq!(keys(&whole)[28..], ["a0", "b/00"]);
    // An unknown table is empty.
    assert!(
        s.scan_prefix(Table::new("conf_never_written"), b"", None, 10)
            .unwrap()
            .is_empty()
    );
}

fn scan_prefix_limit_is_capped(s: &dyn Store) {
    let mut batch = WriteBatch::new();
    for i in 0..MAX_SCAN_LIMIT + 5 {
        batch.insert(T1, format!("{i:06}"), "v");
    }
    s.apply(batch).unwrap();
    assert_eq!(
        s.scan_prefix(T1, b"", None, usize::MAX).unwrap().len(),
        MAX_SCAN_LIMIT
    );
    assert_eq!(s.len(T1).unwrap(), MAX_SCAN_LIMIT + 5);
}

fn scan_prefix_with_high_bytes(s: &dyn Store) {
    s.insert(T1, &[0xff, 0xff], b"1").unwrap();
    s.insert(T1, &[0xff, 0xff, 0x00], b"2").unwrap();
    s.insert(T1, &[0xff, 0xfe], b"3").unwrap();
    let got = s.scan_prefix(T1, &[0xff, 0xff], None, 10).unwrap();
    assert_eq!(
        got,
        [
            (vec![0xff, 0xff], b"1".to_vec()),
            (vec![0xff, 0xff, 0x00], b"2".to_vec())
        ]
    );
}

fn compare_and_swap_semantics(s: &dyn Store) {
    // Absent → create.
    assert_eq!(
        s.compare_and_swap(T1, b"c", None, Some(b"1")).unwrap(),
        Ok(())
    );
    // Create again: conflict, showing the current value; nothing written.
    assert_eq!(
        s.compare_and_swap(T1, b"c", None, Some(b"2")).unwrap(),
        Err(CasConflict {
            current: Some(b"1".to_vec())
        })
    );
    // Wrong expectation.
    assert_eq!(
        s.compare_and_swap(T1, b"c", Some(b"0"), Some(b"2"))
            .unwrap(),
        Err(CasConflict {
            current: Some(b"1".to_vec())
        })
    );
    assert_eq!(s.get(T1, b"c").unwrap(), Some(b"1".to_vec()));
    // Right expectation.
    assert_eq!(
        s.compare_and_swap(T1, b"c", Some(b"1"), Some(b"2"))
            .unwrap(),
        Ok(())
    );
    assert_eq!(s.get(T1, b"c").unwrap(), Some(b"2".to_vec()));
    // Swap to None removes.
    assert_eq!(
        s.compare_and_swap(T1, b"c", Some(b"2"), None).unwrap(),
        Ok(())
    );
    assert_eq!(s.get(T1, b"c").unwrap(), None);
    // Expecting a value on an absent key.
    assert_eq!(
        s.compare_and_swap(T1, b"c", Some(b"2"), Some(b"3"))
            .unwrap(),
        Err(CasConflict { current: None })
    );
    // Absent → absent succeeds and writes nothing.
    assert_eq!(s.compare_and_swap(T1, b"c", None, None).unwrap(), Ok(()));
    assert_eq!(s.len(T1).unwrap(), 0);
}

fn apply_writes_across_tables(s: &dyn Store) {
    s.insert(T1, b"gone", b"x").unwrap();
    let mut batch = WriteBatch::new();
    batch
        .insert(T1, "a", "1")
        .insert(T2, "a", "2")
        .remove(T1, "gone")
        .insert(T1, "twice", "first")
        .insert(T1, "twice", "second")
        .insert(T2, "removed-later", "x")
        .remove(T2, "removed-later");
    assert_eq!(batch.len(), 7);
    s.apply(batch).unwrap();
    assert_eq!(s.get(T1, b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(s.get(T2, b"a").unwrap(), Some(b"2".to_vec()));
    assert_eq!(s.get(T1, b"gone").unwrap(), None);
    assert_eq!(s.get(T1, b"twice").unwrap(), Some(b"second".to_vec()));
    assert_eq!(s.get(T2, b"removed-later").unwrap(), None);
    assert_eq!((s.len(T1).unwrap(), s.len(T2).unwrap()), (2, 1));
    // An empty batch is a no-op.
    s.apply(WriteBatch::new()).unwrap();
    assert_eq!(s.len(T1).unwrap(), 2);
}

fn len_and_is_empty(s: &dyn Store) {
    assert_eq!(s.len(T1).unwrap(), 0);
    assert!(s.is_empty(T1).unwrap());
    for i in 0..7u8 {
        s.insert(T1, &[i], b"v").unwrap();
    }
    s.insert(T1, &[3], b"overwritten").unwrap();
    assert_eq!(s.len(T1).unwrap(), 7);
    assert!(!s.is_empty(T1).unwrap());
    s.remove(T1, &[0]).unwrap();
    assert_eq!(s.len(T1).unwrap(), 6);
    assert!(s.is_empty(T2).unwrap());
    s.flush().unwrap();
}

fn apply_checked_requirements(s: &dyn Store) {
    s.insert(T1, b"code", b"unused").unwrap();
    // A failing requirement writes nothing and names the key.
    let mut batch = WriteBatch::new();
    batch
        .require_value(T1, "code", "unused")
        .require_absent(T2, "token")
        .require_value(T2, "missing", "x")
        .insert(T1, "code", "used")
        .insert(T2, "token", "t");
    let failed = s.apply_checked(batch.clone()).unwrap().unwrap_err();
    assert_eq!(
        (failed.table, failed.key.as_slice(), failed.current),
        (T2, &b"missing"[..], None)
    );
    assert_eq!(s.get(T1, b"code").unwrap(), Some(b"unused".to_vec()));
    assert_eq!(s.get(T2, b"token").unwrap(), None);
    // `apply` reports the same as an error.
    match s.apply(batch) {
        Err(StorageError::RequirementFailed { table, key }) => {
            assert_eq!((table, key.as_slice()), (T2, &b"missing"[..]))
        }
        other => panic!("{other:?}"),
    }
    // Requirements that hold: everything lands.
    let mut batch = WriteBatch::new();
    batch
        .require_value(T1, "code", "unused")
        .require_absent(T2, "token")
        .insert(T1, "code", "used")
        .insert(T2, "token", "t");
    assert_eq!(s.apply_checked(batch.clone()).unwrap(), Ok(()));
    assert_eq!(s.get(T1, b"code").unwrap(), Some(b"used".to_vec()));
    assert_eq!(s.get(T2, b"token").unwrap(), Some(b"t".to_vec()));
    // The same batch again: the code is used now.
    let failed = s.apply_checked(batch).unwrap().unwrap_err();
    assert_eq!(
        (failed.table, failed.key.as_slice(), failed.current),
        (T1, &b"code"[..], Some(b"used".to_vec()))
    );
    // Requirements alone, and an empty batch.
    let mut only = WriteBatch::new();
    only.require_value(T1, "code", "used");
    assert_eq!(s.apply_checked(only).unwrap(), Ok(()));
    assert_eq!(s.apply_checked(WriteBatch::new()).unwrap(), Ok(()));
    assert_eq!((s.len(T1).unwrap(), s.len(T2).unwrap()), (1, 1));
}

/// A batch that writes one key several times leaves the last write, removals included.
fn batch_writing_a_key_twice_keeps_the_last_write(s: &dyn Store) {
    s.insert(T1, b"gone", b"old").unwrap();
    let mut batch = WriteBatch::new();
    batch
        .insert(T1, "k", "first")
        .insert(T1, "k", "second")
        .remove(T1, "gone")
        .insert(T1, "gone", "back")
        .insert(T1, "removed", "briefly")
        .remove(T1, "removed")
        .require_absent(T1, "k");
    assert_eq!(s.apply_checked(batch).unwrap(), Ok(()));
    assert_eq!(s.get(T1, b"k").unwrap(), Some(b"second".to_vec()));
    assert_eq!(s.get(T1, b"gone").unwrap(), Some(b"back".to_vec()));
    assert_eq!(s.get(T1, b"removed").unwrap(), None);
}

/// Read, then write with the value read as a requirement (how the agent counts PIN attempts):
/// 8 threads x 25 increments of one counter lose no update.
fn checked_increments_lose_no_update(store: &Arc<dyn Store>) {
    const THREADS: u32 = 8;
    const EACH: u32 = 25;
    store.insert(T1, b"counter", b"0").unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let store = Arc::clone(store);
            thread::spawn(move || {
                let mut done = 0;
                while done < EACH {
                    let seen = store.get(T1, b"counter").unwrap().unwrap();
                    let n: u32 = String::from_utf8(seen.clone()).unwrap().parse().unwrap();
                    let mut batch = WriteBatch::new();
                    batch.require_value(T1, "counter", seen).insert(
                        T1,
                        "counter",
                        (n + 1).to_string(),
                    );
                    if store.apply_checked(batch).unwrap().is_ok() {
                        done += 1;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        store.get(T1, b"counter").unwrap(),
        Some((THREADS * EACH).to_string().into_bytes())
    );
}

/// A redemption that consumes a code and issues a token in one checked batch: of 50
/// concurrent attempts exactly one lands, and exactly one token exists.
fn fifty_threads_redeem_with_checked_batches(store: &Arc<dyn Store>) {
    const THREADS: usize = 50;
    store.insert(T1, b"code", b"unused").unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (store, barrier) = (Arc::clone(store), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut batch = WriteBatch::new();
                batch
                    .require_value(T1, "code", "unused")
                    .insert(T1, "code", format!("used by {i}"))
                    .insert(T2, format!("token/{i}"), "issued");
                barrier.wait();
                store.apply_checked(batch).unwrap().is_ok()
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|&won| won)
        .count();
    assert_eq!(wins, 1);
    assert_eq!(store.len(T2).unwrap(), 1);
    let (token, _) = store
        .scan_prefix(T2, b"token/", None, 10)
        .unwrap()
        .remove(0);
    let winner = String::from_utf8(token)
        .unwrap()
        .replace("token/", "used by ");
    assert_eq!(store.get(T1, b"code").unwrap(), Some(winner.into_bytes()));
}

/// The single-use primitive: 50 concurrent redemptions of one code, exactly one wins.
fn fifty_threads_cas_one_key_exactly_one_wins(store: &Arc<dyn Store>) {
    const THREADS: usize = 50;
    for round in 0..20u32 {
        let key = format!("code/{round}");
        store.insert(T1, key.as_bytes(), b"unused").unwrap();
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (store, barrier, key) = (Arc::clone(store), Arc::clone(&barrier), key.clone());
                thread::spawn(move || {
                    let mine = format!("redeemed by {i}");
                    barrier.wait();
                    store
                        .compare_and_swap(
                            T1,
                            key.as_bytes(),
                            Some(b"unused"),
                            Some(mine.as_bytes()),
                        )
                        .unwrap()
                        .is_ok()
                        .then_some(mine)
                })
            })
            .collect();
        let winners: Vec<String> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(
            store.get(T1, key.as_bytes()).unwrap(),
            Some(winners[0].clone().into_bytes())
        );
    }
}

/// Concurrent batches and CAS on overlapping keys: every batch lands whole.
fn concurrent_batches_land_whole(store: &Arc<dyn Store>) {
    let handles: Vec<_> = (0..8u32)
        .map(|t| {
            let store = Arc::clone(store);
            thread::spawn(move || {
                for i in 0..50u32 {
                    let mut batch = WriteBatch::new();
                    let v = format!("{t}:{i}");
                    batch
                        .insert(T1, "shared", v.clone())
                        .insert(T2, "shared", v.clone());
                    batch.insert(T1, format!("own/{t}/{i}"), v);
                    store.apply(batch).unwrap();
                    // CAS on the key the batches also write: never corrupts them.
                    let _ = store
                        .compare_and_swap(T2, b"counter", None, Some(b"0"))
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.len(T1).unwrap(), 1 + 8 * 50);
    // The last batch to commit wrote both tables.
    assert_eq!(
        store.get(T1, b"shared").unwrap(),
        store.get(T2, b"shared").unwrap()
    );
}

fn tables_lists_the_written_tables(s: &dyn Store) {
    assert_eq!(s.tables().unwrap(), Vec::<String>::new());
    s.insert(T2, b"k", b"v").unwrap();
    let mut batch = WriteBatch::new();
    batch.insert(T1, "a", "1").insert(T1, "b", "2");
    s.apply(batch).unwrap();
    // Reads of unknown tables create nothing that is listed as holding entries.
    s.get(Table::new("conf_only_read"), b"k").unwrap();
    let listed = s.tables().unwrap();
    let non_empty: Vec<&String> = listed
        .iter()
        .filter(|name| {
            let table = Table::interned(name).unwrap();
            !s.is_empty(table).unwrap()
        })
        .collect();
    assert_eq!(non_empty, ["conf_one", "conf_two"]);
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "tables are listed in name order");
}

macro_rules! conformance {
    ($($backend:ident),*) => {$(
        mod $backend {
            #[test]
            fn get_insert_remove() { super::get_insert_remove(&*crate::$backend().store) }
            #[test]
            fn binary_keys_and_values() { super::binary_keys_and_values(&*crate::$backend().store) }
            #[test]
            fn scan_prefix_pages_in_key_order() { super::scan_prefix_pages_in_key_order(&*crate::$backend().store) }
            #[test]
            fn scan_prefix_limit_is_capped() { super::scan_prefix_limit_is_capped(&*crate::$backend().store) }
            #[test]
            fn scan_prefix_with_high_bytes() { super::scan_prefix_with_high_bytes(&*crate::$backend().store) }
            #[test]
            fn compare_and_swap_semantics() { super::compare_and_swap_semantics(&*crate::$backend().store) }
            #[test]
            fn apply_writes_across_tables() { super::apply_writes_across_tables(&*crate::$backend().store) }
            #[test]
            fn len_and_is_empty() { super::len_and_is_empty(&*crate::$backend().store) }
            #[test]
            fn apply_checked_requirements() { super::apply_checked_requirements(&*crate::$backend().store) }
            #[test]
            fn batch_writing_a_key_twice_keeps_the_last_write() {
                super::batch_writing_a_key_twice_keeps_the_last_write(&*crate::$backend().store)
            }
            #[test]
            fn checked_increments_lose_no_update() {
                super::checked_increments_lose_no_update(&crate::$backend().store)
            }
            #[test]
            fn fifty_threads_redeem_with_checked_batches() {
                super::fifty_threads_redeem_with_checked_batches(&crate::$backend().store)
            }
            #[test]
            fn fifty_threads_cas_one_key_exactly_one_wins() {
                super::fifty_threads_cas_one_key_exactly_one_wins(&crate::$backend().store)
            }
            #[test]
            fn tables_lists_the_written_tables() { super::tables_lists_the_written_tables(&*crate::$backend().store) }
            #[test]
            fn concurrent_batches_land_whole() { super::concurrent_batches_land_whole(&crate::$backend().store) }
        }
    )*};
}

conformance!(memory, redb, redb_on_flush, watched_redb, postgres);
#[cfg(feature = "sled-tests")]
conformance!(sled);
#[cfg(feature = "sqlite")]
conformance!(sqlite);
