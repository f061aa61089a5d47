//! Throughput of the store's primitives, 1 KB records, on the memory store and redb (every
//! write durable on return).
//!
//! Run: `cargo bench -p rosette-storage --bench store`. Criterion reports elements/s: one
//! element is one operation (insert, get, CAS), one record of a flushed batch, or one record
//! checked when reopening.
//!
//! sled, for comparison, only when asked for twice: built with `--features sled` and run with
//! `ROSETTE_BENCH_SLED=1`. It is what hung `cargo test --workspace --all-targets` (a deadlock
//! inside sled 0.34.7, sled issue 1412), and feature unification can turn the feature on in a
//! workspace build, so the feature alone does not run it.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rosette_storage::{MemoryStore, RedbStore, Store, Table, WriteBatch};

const T: Table = Table::new("bench");
const T2: Table = Table::new("bench_index");
const PREFILL: u64 = 10_000;

fn key(i: u64) -> [u8; 8] {
    i.to_be_bytes()
}

type Engine = (&'static str, fn(&std::path::Path) -> Arc<dyn Store>);

/// The on-disk engines to measure.
fn disk_engines() -> Vec<Engine> {
    #[allow(unused_mut)]
    let mut engines: Vec<Engine> = vec![("redb", |p| {
        Arc::new(RedbStore::open(p.join("store.redb")).expect("open"))
    })];
    #[cfg(feature = "sled")]
    if std::env::var_os("ROSETTE_BENCH_SLED").is_some() {
        engines.push(("sled", |p| {
            Arc::new(rosette_storage::SledStore::open(p.join("store")).expect("open"))
        }));
    }
    engines
}

fn backends() -> Vec<(&'static str, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let mut backends: Vec<(&'static str, Arc<dyn Store>, Option<tempfile::TempDir>)> =
        vec![("memory", Arc::new(MemoryStore::new()), None)];
    for (name, open) in disk_engines() {
        let dir = tempfile::tempdir().expect("temp dir");
        backends.push((name, open(dir.path()), Some(dir)));
    }
    backends
}

fn store_ops(c: &mut Criterion) {
    let value = vec![0x5au8; 1024];
    let mut group = c.benchmark_group("store");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, store, _dir) in backends() {
        for i in 0..PREFILL {
            store.insert(T, &key(i), &value).expect("prefill");
        }
        store.flush().expect("flush");

        group.throughput(Throughput::Elements(1));
        let mut next = PREFILL;
        group.bench_function(BenchmarkId::new("insert_1k", name), |b| {
            b.iter(|| {
                next += 1;
                store.insert(T, &key(next), &value).expect("insert")
            })
        });
        let mut i = 0u64;
        group.bench_function(BenchmarkId::new("get_1k", name), |b| {
            b.iter(|| {
                // A stride through the prefilled keys, so reads are not all one cache line.
                i = (i + 7919) % PREFILL;
                black_box(store.get(T, &key(i)).expect("get"))
            })
        });
        store.insert(T, b"cas", b"0").expect("seed");
        let mut flip = false;
        group.bench_function(BenchmarkId::new("cas", name), |b| {
            b.iter(|| {
                let (old, new): (&[u8], &[u8]) = if flip { (b"1", b"0") } else { (b"0", b"1") };
                flip = !flip;
                store
                    .compare_and_swap(T, b"cas", Some(old), Some(new))
                    .expect("cas")
                    .expect("no conflict")
            })
        });
        group.throughput(Throughput::Elements(10));
        let mut unflushed = 0u64;
        group.bench_function(BenchmarkId::new("apply_10x1k", name), |b| {
            b.iter(|| {
                unflushed += 1;
                let mut batch = WriteBatch::new();
                for r in 0..10 {
                    let k = key(500_000_000 + unflushed * 10 + r);
                    batch.insert(T, k, value.clone()).insert(T2, k, "x");
                }
                store.apply(batch).expect("apply");
            })
        });
        // A row group of 10 records and an index entry each, applied atomically, then flushed:
        // what a durable bulk import pays per group.
        group.throughput(Throughput::Elements(10));
        let mut batch_no = 0u64;
        group.bench_function(BenchmarkId::new("apply_10x1k_then_flush", name), |b| {
            b.iter(|| {
                batch_no += 1;
                let mut batch = WriteBatch::new();
                for r in 0..10 {
                    let k = key(1_000_000 + batch_no * 10 + r);
                    batch.insert(T, k, value.clone()).insert(T2, k, "x");
                }
                store.apply(batch).expect("apply");
                store.flush().expect("flush");
            })
        });
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("insert_1k_then_flush", name), |b| {
            b.iter(|| {
                next += 1;
                store.insert(T, &key(next), &value).expect("insert");
                store.flush().expect("flush");
            })
        });
    }
    group.finish();
}

/// Opening reads every entry once to check the content digest: the cost of a restart.
fn reopen(c: &mut Criterion) {
    for (name, open) in disk_engines() {
        reopen_engine(c, name, open);
    }
}

fn reopen_engine(c: &mut Criterion, name: &str, open: fn(&std::path::Path) -> Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path();
    {
        let store = open(path);
        let value = vec![0x5au8; 1024];
        for chunk in 0..PREFILL / 100 {
            let mut batch = WriteBatch::new();
            for i in chunk * 100..(chunk + 1) * 100 {
                batch.insert(T, key(i), value.clone());
            }
            store.apply(batch).expect("apply");
        }
        store.flush().expect("flush");
    }
    let mut group = c.benchmark_group("store");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(PREFILL));
    group.bench_function(BenchmarkId::new("reopen_10k_x_1k", name), |b| {
        b.iter(|| drop(open(path)))
    });
    group.finish();
}

criterion_group!(benches, store_ops, reopen);
criterion_main!(benches);
