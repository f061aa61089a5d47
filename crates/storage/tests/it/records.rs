//! Typed records: the envelope, migrations, corrupted bytes and the `Repo` helper.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::thread;

use rosette_storage::{
    MemoryStore, MigrationError, Record, Repo, StorageError, Store, Table, WriteBatch,
    decode_record, encode_record,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Offer {
    id: String,
    achievement: String,
    redeemed: bool,
    claims: BTreeMap<String, String>,
}

impl Record for Offer {
    const TABLE: Table = Table::new("offers");
    const VERSION: u32 = 2;

    fn key(&self) -> Vec<u8> {
        self.id.as_bytes().to_vec()
    }

    /// Version 1 had no claims and called the achievement `badge`.
    fn migrate(version: u32, data: serde_json::Value) -> Result<Self, MigrationError> {
        #[derive(Deserialize)]
        struct V1 {
            id: String,
            badge: String,
            redeemed: bool,
        }
        match version {
            1 => {
                let v1: V1 = serde_json::from_value(data).map_err(|e| MigrationError::Invalid {
                    found: 1,
                    reason: e.to_string(),
                })?;
                Ok(Self {
                    id: v1.id,
                    achievement: v1.badge,
                    redeemed: v1.redeemed,
                    claims: BTreeMap::new(),
                })
            }
            found => Err(MigrationError::UnsupportedVersion { found }),
        }
    }
}

/// A record with the default `migrate`: no older version is readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Counter {
    name: String,
    n: u64,
}

impl Record for Counter {
    const TABLE: Table = Table::new("counters");
    const VERSION: u32 = 1;

    fn key(&self) -> Vec<u8> {
        self.name.as_bytes().to_vec()
    }
}

fn offer(id: &str) -> Offer {
    Offer {
        id: id.to_owned(),
        achievement: "urn:uuid:a1".to_owned(),
        redeemed: false,
        claims: BTreeMap::from([
            ("z".to_owned(), "last".to_owned()),
            ("a".to_owned(), "first".to_owned()),
        ]),
    }
}

fn repo<T: Record>() -> Repo<T> {
    Repo::new(Arc::new(MemoryStore::new()))
}

#[test]
fn the_envelope_is_deterministic_json() {
    let bytes = encode_record(&offer("o1")).unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"v":2,"data":{"id":"o1","achievement":"urn:uuid:a1","redeemed":false,"claims":{"a":"first","z":"last"}}}"#
    );
    assert_eq!(encode_record(&offer("o1")).unwrap(), bytes);
    assert_eq!(decode_record::<Offer>(b"o1", &bytes).unwrap(), offer("o1"));
}

#[test]
fn put_get_remove_len_and_scan() {
    let offers = repo::<Offer>();
    assert!(offers.is_empty().unwrap());
    for i in 0..5 {
        offers.put(&offer(&format!("o{i}"))).unwrap();
    }
    offers
        .store()
        .insert(Table::new("other"), b"o9", b"not an offer")
        .unwrap();
    assert_eq!(offers.get(b"o3").unwrap(), Some(offer("o3")));
    assert_eq!(offers.get(b"o7").unwrap(), None);
    assert_eq!(offers.len().unwrap(), 5);
    let page = offers.scan(b"o", Some(b"o1"), 2).unwrap();
    assert_eq!(
        page,
        [(b"o2".to_vec(), offer("o2")), (b"o3".to_vec(), offer("o3"))]
    );
    assert!(offers.remove(b"o3").unwrap());
    assert!(!offers.remove(b"o3").unwrap());
    assert_eq!(offers.len().unwrap(), 4);
}

#[test]
fn create_refuses_an_existing_key() {
    let offers = repo::<Offer>();
    assert!(offers.create(&offer("o1")).unwrap().is_ok());
    let mut other = offer("o1");
    other.achievement = "urn:uuid:other".to_owned();
    let conflict = offers.create(&other).unwrap().unwrap_err();
    assert_eq!(conflict.current, Some(encode_record(&offer("o1")).unwrap()));
    assert_eq!(offers.get(b"o1").unwrap(), Some(offer("o1")));
}

#[test]
fn older_versions_migrate_and_cas_against_what_was_read() {
    let offers = repo::<Offer>();
    let v1 = br#"{"v":1,"data":{"id":"o1","badge":"urn:uuid:b","redeemed":false}}"#;
    offers.store().insert(Offer::TABLE, b"o1", v1).unwrap();
    let loaded = offers.load(b"o1").unwrap().unwrap();
    assert_eq!(loaded.achievement, "urn:uuid:b");
    assert!(loaded.claims.is_empty());
    // CAS compares against the v1 bytes as read, not a v2 re-encoding.
    let mut redeemed = loaded.clone_inner();
    redeemed.redeemed = true;
    assert!(
        offers
            .cas(b"o1", Some(&loaded), Some(&redeemed))
            .unwrap()
            .is_ok()
    );
    assert!(
        offers
            .cas(b"o1", Some(&loaded), Some(&redeemed))
            .unwrap()
            .is_err()
    );
    // The write upgraded the stored record.
    let raw = offers.store().get(Offer::TABLE, b"o1").unwrap().unwrap();
    assert!(raw.starts_with(br#"{"v":2,"#));
}

trait CloneInner<T> {
    fn clone_inner(&self) -> T;
}

impl<T: Clone> CloneInner<T> for rosette_storage::Stored<T> {
    fn clone_inner(&self) -> T {
        (**self).clone()
    }
}

#[test]
fn unknown_versions_are_refused_with_a_clear_error() {
    let store = MemoryStore::new();
    store
        .insert(Offer::TABLE, b"new", br#"{"v":3,"data":{}}"#)
        .unwrap();
    store
        .insert(
            Counter::TABLE,
            b"old",
            br#"{"v":0,"data":{"name":"old","n":1}}"#,
        )
        .unwrap();
    let offers = Repo::<Offer>::new(Arc::new(store));
    match offers.get(b"new") {
        Err(StorageError::UnsupportedVersion {
            table,
            key,
            found: 3,
            current: 2,
        }) => {
            assert_eq!((table, key.as_slice()), (Offer::TABLE, &b"new"[..]));
        }
        other => panic!("{other:?}"),
    }
    let counters = Repo::<Counter>::new(Arc::clone(offers.store()));
    let err = counters.get(b"old").unwrap_err();
    assert_eq!(
        err.to_string(),
        "record counters/old has format version 0; this build writes version 1 and cannot migrate from 0"
    );
}

#[test]
fn corrupted_records_are_errors_not_panics() {
    let cases: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("not json", b"\xff\xfe garbage"),
        ("truncated", br#"{"v":2,"data":{"id":"o1","achiev"#),
        ("no envelope", br#"{"id":"o1"}"#),
        ("extra envelope field", br#"{"v":2,"data":{},"x":1}"#),
        ("version is a string", br#"{"v":"2","data":{}}"#),
        ("negative version", br#"{"v":-1,"data":{}}"#),
        ("wrong data shape", br#"{"v":2,"data":{"id":1}}"#),
        ("data is null", br#"{"v":2,"data":null}"#),
        (
            "v1 data of the wrong shape",
            br#"{"v":1,"data":{"id":"o1"}}"#,
        ),
        ("deep nesting", &[b'['; 100_000]),
    ];
    let offers = repo::<Offer>();
    for (name, bytes) in cases {
        offers
            .store()
            .insert(Offer::TABLE, name.as_bytes(), bytes)
            .unwrap();
        match offers.get(name.as_bytes()) {
            Err(StorageError::Corrupted { table, key, reason }) => {
                assert_eq!(table, Offer::TABLE);
                assert_eq!(key, name.as_bytes());
                assert!(!reason.is_empty());
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A scan stops at the first corrupted record with the same error.
    assert!(matches!(
        offers.scan(b"", None, 100),
        Err(StorageError::Corrupted { .. })
    ));
}

#[test]
fn update_retries_until_it_wins() {
    let counters = repo::<Counter>();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (counters, barrier) = (counters.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..100 {
                    counters
                        .update(b"hits", |c| {
                            let n = c.map_or(0, |c| c.n);
                            Some(Counter {
                                name: "hits".to_owned(),
                                n: n + 1,
                            })
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(counters.get(b"hits").unwrap().unwrap().n, 800);
    // Returning None removes the record.
    assert_eq!(counters.update(b"hits", |_| None).unwrap(), None);
    assert_eq!(counters.get(b"hits").unwrap(), None);
}

#[test]
fn records_go_into_atomic_batches() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let (offers, counters) = (
        Repo::<Offer>::new(Arc::clone(&store)),
        Repo::<Counter>::new(Arc::clone(&store)),
    );
    offers.put(&offer("gone")).unwrap();
    let mut batch = WriteBatch::new();
    batch
        .put(&offer("o1"))
        .unwrap()
        .put(&Counter {
            name: "offers".to_owned(),
            n: 1,
        })
        .unwrap();
    batch.delete::<Offer>("gone");
    assert_eq!(
        format!("{batch:?}"),
        "[insert offers/o1 (105 bytes), insert counters/offers (38 bytes), remove offers/gone]"
    );
    store.apply(batch).unwrap();
    assert_eq!(offers.get(b"o1").unwrap(), Some(offer("o1")));
    assert_eq!(offers.get(b"gone").unwrap(), None);
    assert_eq!(counters.get(b"offers").unwrap().unwrap().n, 1);
}

#[test]
fn single_use_redemption_through_the_repo() {
    let offers = repo::<Offer>();
    offers.put(&offer("o1")).unwrap();
    let barrier = Arc::new(Barrier::new(50));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (offers, barrier) = (offers.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let loaded = offers.load(b"o1").unwrap().unwrap();
                if loaded.redeemed {
                    return false;
                }
                let mut redeemed = loaded.clone_inner();
                redeemed.redeemed = true;
                offers
                    .cas(b"o1", Some(&loaded), Some(&redeemed))
                    .unwrap()
                    .is_ok()
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|&won| won)
        .count();
    assert_eq!(wins, 1);
    assert!(offers.get(b"o1").unwrap().unwrap().redeemed);
}

#[test]
fn checked_batches_of_records() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let (offers, counters) = (
        Repo::<Offer>::new(Arc::clone(&store)),
        Repo::<Counter>::new(Arc::clone(&store)),
    );
    offers.put(&offer("o1")).unwrap();
    let loaded = offers.load(b"o1").unwrap().unwrap();
    let mut redeemed = loaded.clone_inner();
    redeemed.redeemed = true;
    let redeem = |stored: &rosette_storage::Stored<Offer>| {
        let mut batch = WriteBatch::new();
        batch
            .require_unchanged(b"o1".to_vec(), stored)
            .require_no_record::<Counter>("token-for-o1");
        batch
            .put(&redeemed)
            .unwrap()
            .put(&Counter {
                name: "token-for-o1".to_owned(),
                n: 1,
            })
            .unwrap();
        store.apply_checked(batch).unwrap()
    };
    assert!(redeem(&loaded).is_ok());
    let failed = redeem(&loaded).unwrap_err();
    assert_eq!(
        (failed.table, failed.key.as_slice()),
        (Offer::TABLE, &b"o1"[..])
    );
    assert!(offers.get(b"o1").unwrap().unwrap().redeemed);
    assert_eq!(counters.len().unwrap(), 1);
}

#[test]
fn debug_output_never_shows_values() {
    let store = MemoryStore::new();
    store.insert(Offer::TABLE, b"o1", b"secret-value").unwrap();
    assert_eq!(format!("{store:?}"), r#"{"offers": 1}"#);
    let mut batch = WriteBatch::new();
    batch
        .insert(Offer::TABLE, "o1", "secret-value")
        .require_value(Offer::TABLE, "o1", "secret-value");
    let shown = format!("{batch:?}");
    assert!(!shown.contains("secret"), "{shown}");
}
