//! Soak: 8 writer threads mixing checked batches, compare-and-swap and paged scans on one
//! store, for `ROSETTE_SOAK_SECONDS` (default 3) per round and `ROSETTE_SOAK_ROUNDS` rounds
//! (default 1), every call watched by the deadlock watchdog.
//!
//! Asserts: no call took 5 s or longer (the watchdog would have reported it), the invariants
//! the primitives promise held (a code redeemed once, no lost counter increment), and the store
//! reopens (its own checks: checksums, digest, counts) with the same per-table digests.
//!
//! CI runs it in release for 60 s x 3 (`scripts/test.sh`); `cargo test` runs a short round.
//! `ROSETTE_SOAK_ENGINE=sled` (with `--features sled`) runs it on the old engine.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use rosette_storage::watch::{DEFAULT_STALL_AFTER, SystemMonotonic, Watchdog, WatchedStore};
use rosette_storage::{RedbStore, StorageError, Store, Table, WriteBatch, content_summary};

const CODES: Table = Table::new("soak_used_codes");
const TOKENS: Table = Table::new("soak_tokens");
const COUNTERS: Table = Table::new("soak_counters");
const THREADS: u64 = 8;
const COUNTER_KEYS: u64 = 8;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn open(engine: &str, dir: &Path) -> Result<Arc<dyn Store>, StorageError> {
    match engine {
        "redb" => Ok(Arc::new(RedbStore::open(dir.join("store.redb"))?)),
        "redb-on-flush" => Ok(Arc::new(RedbStore::open_with(
            dir.join("store.redb"),
            rosette_storage::Durability::OnFlush,
        )?)),
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Arc::new(rosette_storage::SqliteStore::open_with(
            dir.join("store.sqlite"),
            rosette_storage::Durability::OnReturn,
        )?)),
        #[cfg(feature = "sled")]
        "sled" => Ok(Arc::new(rosette_storage::SledStore::open(
            dir.join("sled"),
        )?)),
        other => panic!("ROSETTE_SOAK_ENGINE={other}: not an engine of this build"),
    }
}

#[derive(Default)]
struct Tally {
    redeemed: AtomicU64,
    refused_redeems: AtomicU64,
    increments: AtomicU64,
    cas_conflicts: AtomicU64,
    scans: AtomicU64,
}

fn worker(store: &dyn Store, thread: u64, deadline: Instant, tally: &Tally) {
    let mut rng = rand::thread_rng();
    let mut seq = 0u64;
    while Instant::now() < deadline {
        seq += 1;
        match rng.gen_range(0..10) {
            // Redeem a single-use code and mint a token, atomically (the issuance pattern).
            0..=4 => {
                let code = format!("{:08}", rng.gen_range(0..2_000_000u32));
                let token = format!("{:016x}{thread}{seq:012}", rng.r#gen::<u64>());
                let mut batch = WriteBatch::new();
                batch
                    .require_absent(CODES, code.clone())
                    .insert(CODES, code, thread.to_be_bytes().to_vec())
                    .insert(TOKENS, token, vec![b't'; rng.gen_range(50..600)]);
                match store.apply_checked(batch).expect("apply_checked") {
                    Ok(()) => tally.redeemed.fetch_add(1, Ordering::Relaxed),
                    Err(_) => tally.refused_redeems.fetch_add(1, Ordering::Relaxed),
                };
            }
            // Increment a shared counter with compare-and-swap, retrying on conflict.
            5..=7 => {
                let key = format!("c{}", rng.gen_range(0..COUNTER_KEYS));
                loop {
                    let current = store.get(COUNTERS, key.as_bytes()).expect("get");
                    let n = current.as_deref().map_or(0, |v| {
                        u64::from_be_bytes(v.try_into().expect("8-byte counter"))
                    });
                    let next = (n + 1).to_be_bytes();
                    match store
                        .compare_and_swap(COUNTERS, key.as_bytes(), current.as_deref(), Some(&next))
                        .expect("cas")
                    {
                        Ok(()) => {
                            tally.increments.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Err(_) => {
                            tally.cas_conflicts.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            // Page through the tokens under a random prefix, checking the order.
            _ => {
                let prefix = format!("{:x}", rng.gen_range(0..16u8));
                let mut after: Option<Vec<u8>> = None;
                for _ in 0..3 {
                    let page = store
                        .scan_prefix(TOKENS, prefix.as_bytes(), after.as_deref(), 50)
                        .expect("scan");
                    for pair in page.windows(2) {
                        assert!(pair[0].0 < pair[1].0, "scan out of order");
                    }
                    assert!(page.iter().all(|(k, _)| k.starts_with(prefix.as_bytes())));
                    if page.len() < 50 {
                        break;
                    }
                    after = page.last().map(|(k, _)| k.clone());
                }
                tally.scans.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[test]
fn eight_writers_mixed_operations_no_stall_and_the_store_reopens_intact() {
    let seconds = env_u64("ROSETTE_SOAK_SECONDS", 3);
    let rounds = env_u64("ROSETTE_SOAK_ROUNDS", 1);
    let engine = std::env::var("ROSETTE_SOAK_ENGINE").unwrap_or_else(|_| "redb".to_owned());
    for round in 1..=rounds {
        let dir = tempfile::tempdir().expect("tempdir");
        let watchdog = Watchdog::new(DEFAULT_STALL_AFTER, Arc::new(SystemMonotonic));
        watchdog
            .spawn_monitor(Duration::from_millis(250))
            .expect("monitor");
        let store: Arc<dyn Store> = Arc::new(WatchedStore::new(
            open(&engine, dir.path()).expect("open"),
            Arc::clone(&watchdog),
        ));
        let tally = Arc::new(Tally::default());
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds);
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = Arc::clone(&store);
                let tally = Arc::clone(&tally);
                std::thread::spawn(move || worker(&*store, t, deadline, &tally))
            })
            .collect();
        for t in threads {
            t.join().expect("a soak worker panicked");
        }
        let elapsed = started.elapsed();
        store.flush().expect("flush");

        let redeemed = tally.redeemed.load(Ordering::Relaxed);
        let increments = tally.increments.load(Ordering::Relaxed);
        assert_eq!(
            store.len(CODES).unwrap() as u64,
            redeemed,
            "a code redeemed twice or lost"
        );
        let counted: u64 = store
            .scan_prefix(COUNTERS, b"", None, 100)
            .unwrap()
            .iter()
            .map(|(_, v)| u64::from_be_bytes(v.as_slice().try_into().unwrap()))
            .sum();
        assert_eq!(counted, increments, "a compare-and-swap increment was lost");
        assert_eq!(
            watchdog.stalls_reported(),
            0,
            "the watchdog reported a stuck call"
        );
        let longest = watchdog.longest_call();
        assert!(longest < DEFAULT_STALL_AFTER, "a call took {longest:?}");

        let summary = content_summary(&*store).expect("summary");
        drop(store);
        let reopened = open(&engine, dir.path()).expect("the store reopens after the soak");
        assert_eq!(
            content_summary(&*reopened).expect("summary"),
            summary,
            "the reopened store differs"
        );
        let ops = redeemed
            + tally.refused_redeems.load(Ordering::Relaxed)
            + increments
            + tally.cas_conflicts.load(Ordering::Relaxed)
            + tally.scans.load(Ordering::Relaxed);
        eprintln!(
            "soak {engine} round {round}/{rounds}: {:.1} s, {ops} operations ({:.0}/s): {redeemed} \
             redeemed ({} refused), {increments} CAS increments ({} conflicts), {} scans; longest \
             call {longest:?}; reopened with {} entries, digests equal",
            elapsed.as_secs_f64(),
            ops as f64 / elapsed.as_secs_f64(),
            tally.refused_redeems.load(Ordering::Relaxed),
            tally.cas_conflicts.load(Ordering::Relaxed),
            tally.scans.load(Ordering::Relaxed),
            summary.values().map(|t| t.entries).sum::<u64>(),
        );
    }
}
