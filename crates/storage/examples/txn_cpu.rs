//! CPU and wall time (all threads, the engine's own included) per checked write batch:
//! `cargo run --release -p rosette-storage --example txn_cpu -- [batches] [rows] [threads]
//! [redb|redb-onflush|sled]` (sled needs `--features sled`), hash-like keys. With several threads,
//! concurrent batches are group-committed (one engine transaction per group), which is what
//! the figure per batch shows.
//!
//! Reads `/proc/self/stat` (Linux), so the figure holds while other processes load the box.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rosette_storage::{Durability, RedbStore, Store, Table, WriteBatch};

fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let batches: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rows: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let threads: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = args.next().unwrap_or_else(|| "redb".to_owned());
    let store: std::sync::Arc<dyn Store> = match engine.as_str() {
        "redb" => std::sync::Arc::new(RedbStore::open(dir.path().join("s")).expect("open")),
        "redb-onflush" => std::sync::Arc::new(
            RedbStore::open_with(dir.path().join("s"), Durability::OnFlush).expect("open"),
        ),
        #[cfg(feature = "sled")]
        "sled" => std::sync::Arc::new(
            rosette_storage::SledStore::open(dir.path().join("s")).expect("open"),
        ),
        #[cfg(feature = "sqlite")]
        "sqlite" => std::sync::Arc::new(
            rosette_storage::SqliteStore::open_with(dir.path().join("s"), Durability::OnReturn)
                .expect("open"),
        ),
        #[cfg(feature = "sqlite")]
        "sqlite-onflush" => std::sync::Arc::new(
            rosette_storage::SqliteStore::open_with(dir.path().join("s"), Durability::OnFlush)
                .expect("open"),
        ),
        other => panic!("unknown engine {other} (sled needs --features sled)"),
    };
    let tables = [
        Table::new("t_a"),
        Table::new("t_b"),
        Table::new("t_c"),
        Table::new("t_d"),
    ];
    let (c0, t0) = (cpu(), Instant::now());
    let per_thread = batches / threads;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || {
                let value = vec![b'x'; 300];
                for n in 0..per_thread {
                    let i = t * per_thread + n;
                    let mut batch = WriteBatch::new();
                    // Hash-like keys, as the agent's (token and nonce hashes): writes land all
                    // over the trees, not on their last leaf.
                    let key = format!("{:016x}{i:048x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                    batch.require_absent(tables[0], key.clone().into_bytes());
                    for r in 0..rows {
                        let t = tables[(r as usize) % tables.len()];
                        batch.insert(t, format!("{key}{r}").into_bytes(), value.clone());
                    }
                    store
                        .apply_checked(batch)
                        .expect("apply")
                        .expect("fresh key");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("writer thread");
    }
    let batches = per_thread * threads;
    let (cpu_used, wall) = (cpu() - c0, t0.elapsed());
    println!(
        "{batches} batches of {rows} rows from {threads} threads: {:.1} µs CPU and {:.1} µs wall per batch",
        cpu_used.as_secs_f64() * 1e6 / batches as f64,
        wall.as_secs_f64() * 1e6 / batches as f64
    );
}
