//! PostgreSQL-only behaviour: the schema version, agents starting together, and a database
//! that goes away and comes back. Each test that stops the server starts its own cluster.

use std::sync::Arc;
use std::thread;

use rosette_storage::{PgOptions, PgStore, SCHEMA_VERSION, StorageError, Store, Table};
use rosette_test_postgres::Cluster;

const T: Table = Table::new("pg_tests");

#[test]
fn schema_newer_than_this_build_is_refused() {
    let url = Cluster::fresh_database();
    let store = PgStore::connect(&url, PgOptions::default()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store.insert(T, b"k", b"v").unwrap();
    drop(store);
    let database = url.rsplit('/').next().unwrap();
    Cluster::shared().psql(database, "UPDATE rosette_schema SET version = 99");
    let err = PgStore::connect(&url, PgOptions::default()).unwrap_err();
    assert!(
        matches!(err, StorageError::SchemaTooNew { found: 99, known } if known == SCHEMA_VERSION),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("version 99") && message.contains("newer"),
        "{message}"
    );
    // Nothing was changed: the data is still there.
    assert_eq!(
        Cluster::shared()
            .psql(database, "SELECT count(*) FROM rosette_kv")
            .trim(),
        "1"
    );
}

#[test]
fn agents_starting_together_migrate_once() {
    let url = Cluster::fresh_database();
    let stores: Vec<PgStore> = thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| PgStore::connect(&url, PgOptions::default())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    for store in &stores {
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }
    stores[0].insert(T, b"shared", b"1").unwrap();
    assert_eq!(stores[7].get(T, b"shared").unwrap(), Some(b"1".to_vec()));
}

#[test]
fn database_down_is_unavailable_then_recovers_without_reconnecting_by_hand() {
    let cluster = Cluster::start();
    let url = cluster.create_database("down");
    let options = PgOptions {
        connect_timeout: std::time::Duration::from_secs(1),
        call_timeout: std::time::Duration::from_secs(3),
        ..PgOptions::default()
    };
    let store = Arc::new(PgStore::connect(&url, options).unwrap());
    store.insert(T, b"before", b"1").unwrap();
    cluster.stop();
    for _ in 0..3 {
        match store.get(T, b"before") {
            Err(StorageError::Unavailable { .. }) => {}
            other => panic!("with the server down: {other:?}"),
        }
        match store.insert(T, b"during", b"x") {
            Err(StorageError::Unavailable { .. }) => {}
            other => panic!("with the server down: {other:?}"),
        }
    }
    cluster.restart();
    // The pool drops the dead connections and opens new ones.
    let mut recovered = false;
    for _ in 0..50 {
        if store.get(T, b"before").ok() == Some(Some(b"1".to_vec())) {
            recovered = true;
            break;
        }
        thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        recovered,
        "the store did not recover after the server came back"
    );
    store.insert(T, b"after", b"2").unwrap();
    assert_eq!(store.get(T, b"during").unwrap(), None);
}

#[test]
fn debug_output_never_shows_the_password() {
    let url = Cluster::fresh_database().replace("rosette@", "rosette:hunter2@");
    let store = PgStore::connect(&url, PgOptions::default()).unwrap();
    let shown = format!("{store:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("127.0.0.1"), "{shown}");
}

#[test]
fn unreachable_server_is_unavailable_not_a_panic() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = PgOptions {
        connect_timeout: std::time::Duration::from_secs(1),
        ..PgOptions::default()
    };
    let err =
        PgStore::connect(&format!("postgres://rosette@127.0.0.1:{port}/x"), options).unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    let err = PgStore::connect("mysql://nope", PgOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not a PostgreSQL URL"), "{err}");
}
