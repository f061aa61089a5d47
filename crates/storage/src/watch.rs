//! A deadlock watchdog for any [`Store`]: [`WatchedStore`] registers every call while it runs,
//! and a [`Watchdog`] reports the calls that have not returned within a set time.
//!
//! Why: sled 0.34.7 once deadlocked inside a write (its IO threads and writer waiting on each
//! other) and the agent hung at 0 % CPU with nothing in its logs. Whatever the engine, a call
//! stuck that long is now logged with its operation, and the agent's readiness check turns
//! unready while one is stuck, so an orchestrator can restart it; calls not caught in the stall
//! (reads, on an engine whose reads do not wait for writes) keep being served.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::error::KeyDisplay;
use crate::store::{Entry, WriteBatch};
use crate::{CasConflict, RequirementFailed, StorageError, Store, Table};

/// The default time after which a storage call counts as stuck.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(5);

/// Where the watchdog reads the time: monotonic, passed in so tests can move it.
pub trait MonotonicClock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The operating system's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemMonotonic;

impl MonotonicClock for SystemMonotonic {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A storage call that has been running for longer than the watchdog's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckCall {
    /// What the call is, e.g. `apply_checked (3 writes: offers/o-1, …)`. Keys are shown
    /// escaped and cut, as in errors; values never.
    pub operation: String,
    /// How long it has been running.
    pub running_for: Duration,
}

/// What a call is doing, kept cheaply while it runs and formatted only when reported.
struct Operation {
    kind: &'static str,
    table: Option<Table>,
    /// The call's (first) key, cut to 64 bytes.
    key: Vec<u8>,
    /// For batches: how many writes.
    writes: usize,
}

impl Operation {
    fn new(kind: &'static str, table: Option<Table>, key: &[u8], writes: usize) -> Self {
        Self {
            kind,
            table,
            key: key.get(..64).unwrap_or(key).to_vec(),
            writes,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind)?;
        if self.writes > 0 {
            write!(f, " ({} writes, first", self.writes)?;
        }
        if let Some(table) = self.table {
            write!(f, " {table}/{}", KeyDisplay(&self.key))?;
        }
        if self.writes > 0 {
            f.write_str(")")?;
        }
        Ok(())
    }
}

struct InFlight {
    operation: Operation,
    started: Instant,
    /// Whether the watchdog already logged this call as stuck.
    reported: bool,
}

/// The registry of storage calls in flight, and the judge of which are stuck.
pub struct Watchdog {
    stall_after: Duration,
    clock: Arc<dyn MonotonicClock>,
    calls: Mutex<BTreeMap<u64, InFlight>>,
    next_id: AtomicU64,
    /// The longest completed call, in nanoseconds.
    longest_nanos: AtomicU64,
    /// Calls ever reported stuck.
    stalls: AtomicU64,
}

impl fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watchdog")
            .field("stall_after", &self.stall_after)
            .field("in_flight", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl Watchdog {
    /// A watchdog that counts a call as stuck once it has run for `stall_after`.
    pub fn new(stall_after: Duration, clock: Arc<dyn MonotonicClock>) -> Arc<Self> {
        Arc::new(Self {
            stall_after,
            clock,
            calls: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
            longest_nanos: AtomicU64::new(0),
            stalls: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, InFlight>> {
        // Every change to the map is a single insert or remove: never half-done.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The time after which a call counts as stuck.
    pub fn stall_after(&self) -> Duration {
        self.stall_after
    }

    /// The calls running for longer than [`stall_after`](Self::stall_after), oldest first.
    pub fn stuck(&self) -> Vec<StuckCall> {
        let now = self.clock.now();
        let mut stuck: Vec<StuckCall> = self
            .lock()
            .values()
            .filter_map(|call| {
                let running_for = now.saturating_duration_since(call.started);
                (running_for >= self.stall_after).then(|| StuckCall {
                    operation: call.operation.to_string(),
                    running_for,
                })
            })
            .collect();
        stuck.sort_by_key(|c| std::cmp::Reverse(c.running_for));
        stuck
    }

    /// [`stuck`](Self::stuck), logging each call the first time it is found stuck. The
    /// monitor thread calls this periodically.
    pub fn check(&self) -> Vec<StuckCall> {
        let now = self.clock.now();
        let mut calls = self.lock();
        for call in calls.values_mut() {
            let running_for = now.saturating_duration_since(call.started);
            if running_for >= self.stall_after && !call.reported {
                call.reported = true;
                self.stalls.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    operation = %call.operation,
                    running_for = ?running_for,
                    limit = ?self.stall_after,
                    "storage call stuck: not returned within the limit (engine deadlock or \
                     stalled disk?)"
                );
            }
        }
        drop(calls);
        self.stuck()
    }

    /// The longest time any completed call took.
    pub fn longest_call(&self) -> Duration {
        Duration::from_nanos(self.longest_nanos.load(Ordering::Relaxed))
    }

    /// How many calls have been reported stuck since the watchdog was made.
    pub fn stalls_reported(&self) -> u64 {
        self.stalls.load(Ordering::Relaxed)
    }

    /// Starts a thread that runs [`check`](Self::check) every `every` until the watchdog is
    /// dropped.
    pub fn spawn_monitor(self: &Arc<Self>, every: Duration) -> std::io::Result<()> {
        let watchdog: Weak<Self> = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("storage-watchdog".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    let Some(watchdog) = watchdog.upgrade() else {
                        return;
                    };
                    watchdog.check();
                }
            })
            .map(drop)
    }

    fn begin(&self, operation: Operation) -> CallGuard<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let started = self.clock.now();
        self.lock().insert(
            id,
            InFlight {
                operation,
                started,
                reported: false,
            },
        );
        CallGuard {
            watchdog: self,
            id,
            started,
        }
    }
}

/// Removes its call from the registry when the call returns (or unwinds).
struct CallGuard<'a> {
    watchdog: &'a Watchdog,
    id: u64,
    started: Instant,
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        let took = self
            .watchdog
            .clock
            .now()
            .saturating_duration_since(self.started);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.watchdog
            .longest_nanos
            .fetch_max(nanos, Ordering::Relaxed);
        let call = self.watchdog.lock().remove(&self.id);
        if let Some(call) = call.filter(|c| c.reported) {
            tracing::warn!(
                operation = %call.operation,
                took = ?took,
                "stuck storage call returned"
            );
        }
    }
}

/// A [`Store`] whose every call is registered with a [`Watchdog`] while it runs.
pub struct WatchedStore<S: ?Sized = dyn Store> {
    inner: Arc<S>,
    watchdog: Arc<Watchdog>,
}

impl<S: Store + ?Sized> WatchedStore<S> {
    /// Watches the calls made to `inner`.
    pub fn new(inner: Arc<S>, watchdog: Arc<Watchdog>) -> Self {
        Self { inner, watchdog }
    }

    /// The watchdog judging this store's calls.
    pub fn watchdog(&self) -> &Arc<Watchdog> {
        &self.watchdog
    }
}

impl<S: Store + ?Sized> fmt::Debug for WatchedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchedStore")
            .field("inner", &self.inner)
            .field("watchdog", &self.watchdog)
            .finish()
    }
}

fn batch_operation(kind: &'static str, batch: &WriteBatch) -> Operation {
    let first = batch.writes.first();
    Operation::new(
        kind,
        first.map(|w| w.table),
        first.map_or(&[][..], |w| w.key.as_slice()),
        batch.writes.len(),
    )
}

impl<S: Store + ?Sized> Store for WatchedStore<S> {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("get", Some(table), key, 0));
        self.inner.get(table, key)
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("insert", Some(table), key, 0));
        self.inner.insert(table, key, value)
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("remove", Some(table), key, 0));
        self.inner.remove(table, key)
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("scan_prefix", Some(table), prefix, 0));
        self.inner.scan_prefix(table, prefix, start_after, limit)
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("compare_and_swap", Some(table), key, 0));
        self.inner.compare_and_swap(table, key, expected, new)
    }

    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        let _call = self
            .watchdog
            .begin(batch_operation("apply_checked", &batch));
        self.inner.apply_checked(batch)
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StorageError> {
        let _call = self.watchdog.begin(batch_operation("apply", &batch));
        self.inner.apply(batch)
    }

    fn flush(&self) -> Result<(), StorageError> {
        let _call = self.watchdog.begin(Operation::new("flush", None, b"", 0));
        self.inner.flush()
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("len", Some(table), b"", 0));
        self.inner.len(table)
    }

    fn tables(&self) -> Result<Vec<String>, StorageError> {
        let _call = self.watchdog.begin(Operation::new("tables", None, b"", 0));
        self.inner.tables()
    }

    fn is_empty(&self, table: Table) -> Result<bool, StorageError> {
        let _call = self
            .watchdog
            .begin(Operation::new("is_empty", Some(table), b"", 0));
        self.inner.is_empty(table)
    }
}
