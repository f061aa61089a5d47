//! `/health/ready` follows the storage watchdog: 503 with the stuck call while a storage call
//! has not returned within the limit, 200 again once it returns.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use rosette_storage::watch::{MonotonicClock, Watchdog, WatchedStore};
use rosette_storage::{
    CasConflict, Entry, MemoryStore, RequirementFailed, StorageError, Store, Table, WriteBatch,
};
use serde_json::Value;
use tower::ServiceExt as _;

const T: Table = Table::new("offers");

/// A memory store whose writes hang until released: a deadlocked engine.
#[derive(Default)]
struct HangingWrites {
    inner: MemoryStore,
    hang: AtomicBool,
    released: Mutex<bool>,
    changed: Condvar,
}

impl fmt::Debug for HangingWrites {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HangingWrites")
    }
}

impl HangingWrites {
    fn maybe_hang(&self) {
        if self.hang.load(Ordering::SeqCst) {
            let mut released = self.released.lock().unwrap();
            while !*released {
                released = self.changed.wait(released).unwrap();
            }
        }
    }
    fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.changed.notify_all();
    }
}

impl Store for HangingWrites {
    fn get(&self, t: Table, k: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(t, k)
    }
    fn insert(&self, t: Table, k: &[u8], v: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.maybe_hang();
        self.inner.insert(t, k, v)
    }
    fn remove(&self, t: Table, k: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.maybe_hang();
        self.inner.remove(t, k)
    }
    fn scan_prefix(
        &self,
        t: Table,
        p: &[u8],
        a: Option<&[u8]>,
        l: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        self.inner.scan_prefix(t, p, a, l)
    }
    fn compare_and_swap(
        &self,
        t: Table,
        k: &[u8],
        e: Option<&[u8]>,
        n: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        self.maybe_hang();
        self.inner.compare_and_swap(t, k, e, n)
    }
    fn apply_checked(&self, b: WriteBatch) -> Result<Result<(), RequirementFailed>, StorageError> {
        self.maybe_hang();
        self.inner.apply_checked(b)
    }
    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }
    fn len(&self, t: Table) -> Result<usize, StorageError> {
        self.inner.len(t)
    }
    fn tables(&self) -> Result<Vec<String>, StorageError> {
        self.inner.tables()
    }
}

#[derive(Debug)]
struct ManualClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl MonotonicClock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
}

async fn ready(app: &axum::Router) -> (StatusCode, Value) {
    let res = app
        .clone()
        .oneshot(Request::get("/health/ready").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn ready_turns_503_while_a_storage_call_is_stuck() {
    let clock = Arc::new(ManualClock {
        start: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    });
    let watchdog = Watchdog::new(Duration::from_secs(5), clock.clone());
    let inner = Arc::new(HangingWrites::default());
    let store = Arc::new(WatchedStore::new(inner.clone(), Arc::clone(&watchdog)));
    let app = rosette_agent::server::ready_router(Arc::clone(&watchdog), store.clone());

    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");

    inner.hang.store(true, Ordering::SeqCst);
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || store.insert(T, b"o-1", b"x"))
    };
    // Until the limit passes, a slow call is not a stuck one.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(ready(&app).await.0, StatusCode::OK);
    *clock.offset.lock().unwrap() += Duration::from_secs(6);
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unready");
    assert!(
        body["reason"].as_str().unwrap().contains("within 5 s"),
        "{body}"
    );
    assert_eq!(
        body["stuck_storage_calls"][0]["operation"],
        "insert offers/o-1"
    );
    assert_eq!(body["stuck_storage_calls"][0]["running_seconds"], 6.0);
    // Reads are still served meanwhile.
    assert_eq!(store.get(T, b"o-1").unwrap(), None);

    inner.release();
    writer.join().unwrap().unwrap();
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
