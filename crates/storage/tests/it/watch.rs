//! The deadlock watchdog, with a store that blocks on purpose.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rosette_storage::watch::{MonotonicClock, SystemMonotonic, Watchdog, WatchedStore};
use rosette_storage::{
    CasConflict, Entry, MemoryStore, RequirementFailed, StorageError, Store, Table, WriteBatch,
};

const T: Table = Table::new("watched");

/// A gate that blocked calls wait at until it is opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
    }
    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }
}

/// A memory store whose writes wait at a gate while `block_writes` is set: a deadlocked
/// engine, as far as its callers can tell. Reads are never blocked.
struct BlockingStore {
    inner: MemoryStore,
    block_writes: AtomicBool,
    gate: Gate,
}

impl fmt::Debug for BlockingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlockingStore")
    }
}

impl BlockingStore {
    fn stall(&self) {
        if self.block_writes.load(Ordering::SeqCst) {
            self.gate.wait();
        }
    }
}

impl Store for BlockingStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(table, key)
    }
    fn insert(&self, t: Table, k: &[u8], v: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.stall();
        self.inner.insert(t, k, v)
    }
    fn remove(&self, t: Table, k: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.stall();
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
        self.stall();
        self.inner.compare_and_swap(t, k, e, n)
    }
    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        self.stall();
        self.inner.apply_checked(batch)
    }
    fn flush(&self) -> Result<(), StorageError> {
        self.inner.flush()
    }
    fn len(&self, t: Table) -> Result<usize, StorageError> {
        self.inner.len(t)
    }
    fn tables(&self) -> Result<Vec<String>, StorageError> {
        self.inner.tables()
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct ManualClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

impl MonotonicClock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
}

fn blocking() -> Arc<BlockingStore> {
    Arc::new(BlockingStore {
        inner: MemoryStore::new(),
        block_writes: AtomicBool::new(false),
        gate: Gate::default(),
    })
}

#[test]
fn a_call_past_the_limit_is_reported_with_its_operation_and_reads_go_on() {
    let clock = Arc::new(ManualClock {
        start: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    });
    let watchdog = Watchdog::new(Duration::from_secs(5), clock.clone());
    let inner = blocking();
    let store = Arc::new(WatchedStore::new(inner.clone(), watchdog.clone()));
    store.insert(T, b"readable", b"v").unwrap();
    inner.block_writes.store(true, Ordering::SeqCst);

    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let mut batch = WriteBatch::new();
            batch.insert(T, "offer/1", "x").insert(T, "offer/2", "y");
            store.apply_checked(batch).unwrap().unwrap();
        })
    };
    // Wait until the write is registered (it is blocked at the gate).
    let deadline = Instant::now() + Duration::from_secs(10);
    while format!("{watchdog:?}").contains("in_flight: 0") {
        assert!(Instant::now() < deadline, "the write never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    clock.advance(Duration::from_secs(4));
    assert_eq!(watchdog.check(), Vec::new(), "not stuck before the limit");
    clock.advance(Duration::from_secs(2));
    let stuck = watchdog.check();
    assert_eq!(stuck.len(), 1, "{stuck:?}");
    assert_eq!(
        stuck[0].operation,
        "apply_checked (2 writes, first watched/offer/1)"
    );
    assert_eq!(stuck[0].running_for, Duration::from_secs(6));
    assert_eq!(watchdog.stalls_reported(), 1);
    // Checked again: still stuck, but reported once.
    watchdog.check();
    assert_eq!(watchdog.stalls_reported(), 1);

    // Reads are served while the write is stuck.
    assert_eq!(
        store.get(T, b"readable").unwrap().as_deref(),
        Some(&b"v"[..])
    );
    assert_eq!(store.scan_prefix(T, b"", None, 10).unwrap().len(), 1);

    inner.gate.release();
    writer.join().unwrap();
    assert_eq!(watchdog.stuck(), Vec::new(), "unstuck once it returned");
    assert_eq!(watchdog.longest_call(), Duration::from_secs(6));
    assert_eq!(store.len(T).unwrap(), 3);
}

#[test]
fn the_monitor_thread_notices_a_real_stall() {
    let watchdog = Watchdog::new(Duration::from_millis(100), Arc::new(SystemMonotonic));
    watchdog.spawn_monitor(Duration::from_millis(20)).unwrap();
    let inner = blocking();
    let store = Arc::new(WatchedStore::new(inner.clone(), watchdog.clone()));
    inner.block_writes.store(true, Ordering::SeqCst);
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || store.compare_and_swap(T, b"code", None, Some(b"used")))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while watchdog.stalls_reported() == 0 {
        assert!(
            Instant::now() < deadline,
            "the monitor never reported the stall"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let stuck = watchdog.stuck();
    assert_eq!(stuck.len(), 1);
    assert_eq!(stuck[0].operation, "compare_and_swap watched/code");
    inner.gate.release();
    writer.join().unwrap().unwrap().unwrap();
    assert!(watchdog.stuck().is_empty());
}
