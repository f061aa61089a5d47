//! Real crash tests, one body for every on-disk engine: a child process writes batches to a
//! store and is SIGKILLed at a random moment; the parent reopens the store and checks it.
//!
//! The child is this test binary, re-run with `ROSETTE_STORAGE_CRASH_DIR` and
//! `ROSETTE_STORAGE_CRASH_ENGINE` set and a filter selecting `crash::crash_writer_child`;
//! without the variables that test does nothing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rand::Rng;
use rosette_storage::{Record, Repo, Store, Table, WriteBatch};

use crate::{DiskEngine, disk_engine};
use serde::{Deserialize, Serialize};

const DIR_VAR: &str = "ROSETTE_STORAGE_CRASH_DIR";
const ENGINE_VAR: &str = "ROSETTE_STORAGE_CRASH_ENGINE";
const FLUSH_EVERY_VAR: &str = "ROSETTE_STORAGE_CRASH_FLUSH_EVERY";
/// Rows per batch: one row group of a bulk import.
const ROWS: u32 = 5;
const WRITERS: u32 = 2;
/// Overrides the number of kill-and-reopen runs per test (default 10), for soak runs.
const RUNS_VAR: &str = "ROSETTE_STORAGE_CRASH_RUNS";
/// If set, a directory where a store that failed its checks is copied for inspection.
const KEEP_VAR: &str = "ROSETTE_STORAGE_CRASH_KEEP";

fn runs(default: u32) -> u32 {
    std::env::var(RUNS_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One row of an imported row group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Row {
    writer: u32,
    batch: u64,
    index: u32,
    payload: String,
}

impl Record for Row {
    const TABLE: Table = Table::new("crash_rows");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        format!("{}/{:010}/{}", self.writer, self.batch, self.index).into_bytes()
    }
}

/// The group header, in another table, written in the same batch as its rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Group {
    writer: u32,
    batch: u64,
    rows: u32,
}

impl Record for Group {
    const TABLE: Table = Table::new("crash_groups");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        format!("{}/{:010}", self.writer, self.batch).into_bytes()
    }
}

/// Each writer's last batch, overwritten by every batch: must name the newest group present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress {
    writer: u32,
    last_batch: u64,
}

impl Record for Progress {
    const TABLE: Table = Table::new("crash_progress");
    const VERSION: u32 = 1;
    fn key(&self) -> Vec<u8> {
        format!("{}", self.writer).into_bytes()
    }
}

fn batch_for(writer: u32, batch: u64) -> WriteBatch {
    let mut wb = WriteBatch::new();
    // Payload sizes vary so that sled's log segments fill and roll over at odd places.
    let size = 100 + (batch as usize * 37 + writer as usize * 1000) % 3000;
    for index in 0..ROWS {
        let payload = char::from(b'a' + (index as u8)).to_string().repeat(size);
        wb.put(&Row {
            writer,
            batch,
            index,
            payload,
        })
        .unwrap();
    }
    wb.put(&Group {
        writer,
        batch,
        rows: ROWS,
    })
    .unwrap();
    wb.put(&Progress {
        writer,
        last_batch: batch,
    })
    .unwrap();
    wb
}

/// The child: writers apply batches forever, flushing every few and printing what is durable.
#[test]
fn crash_writer_child() {
    let (Some(dir), Ok(engine)) = (std::env::var_os(DIR_VAR), std::env::var(ENGINE_VAR)) else {
        return;
    };
    let flush_every: u64 = std::env::var(FLUSH_EVERY_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let store = (disk_engine(&engine).open)(Path::new(&dir)).unwrap();
    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                // After an earlier crash, continue where the store says this writer stopped.
                let progress = Repo::<Progress>::new(store.clone());
                let start = progress
                    .get(writer.to_string().as_bytes())
                    .unwrap()
                    .map_or(0, |p| p.last_batch + 1);
                for batch in start..start + 1_000_000 {
                    store.apply(batch_for(writer, batch)).unwrap();
                    if flush_every == 0 {
                        // Durable on return: never flushed, reported as soon as it returned.
                        println!("flushed {writer} {batch}");
                    } else if batch % flush_every == 0 {
                        store.flush().unwrap();
                        // Printed only after flush returned: the parent may rely on it.
                        println!("flushed {writer} {batch}");
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Runs the child on `dir`, kills it with SIGKILL once it has reported `flushes` flushes (plus
/// a random delay), and returns the newest batch each writer reported flushed.
fn run_and_kill(
    engine: DiskEngine,
    dir: &Path,
    flush_every: u64,
    flushes: usize,
    extra_delay: Duration,
) -> BTreeMap<u32, u64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::crash_writer_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env(ENGINE_VAR, engine.name)
        .env(FLUSH_EVERY_VAR, flush_every.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let mut words = line.split(' ');
            if words.next() == Some("flushed") {
                let writer: u32 = words.next().unwrap().parse().unwrap();
                let batch: u64 = words.next().unwrap().parse().unwrap();
                if tx.send((writer, batch)).is_err() {
                    break;
                }
            }
        }
    });
    let mut durable = BTreeMap::new();
    for _ in 0..flushes {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((writer, batch)) => {
                durable.insert(writer, batch);
            }
            Err(e) => panic!("the writer child stopped reporting: {e}"),
        }
    }
    thread::sleep(extra_delay);
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush.
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child finished before it was killed");
    // Lines printed before the kill still count: each followed a completed flush.
    reader.join().unwrap();
    while let Ok((writer, batch)) = rx.try_recv() {
        durable.insert(writer, batch);
    }
    durable
}

/// Reopens the store and checks every batch is whole or absent, every record decodes, every
/// reported flush survived, and each writer's batches form a prefix.
fn check_store(engine: DiskEngine, dir: &Path, durable: &BTreeMap<u32, u64>) -> u64 {
    let store: Arc<dyn Store> = match (engine.open)(dir) {
        Ok(store) => store,
        Err(e) => {
            if let Some(keep) = std::env::var_os(KEEP_VAR) {
                let status = Command::new("cp").arg("-a").arg(dir).arg(&keep).status();
                eprintln!("kept the failed store in {keep:?}: {status:?}");
            }
            panic!("the store does not reopen after SIGKILL: {e}");
        }
    };
    let rows = Repo::<Row>::new(Arc::clone(&store));
    let groups = Repo::<Group>::new(Arc::clone(&store));
    let progress = Repo::<Progress>::new(Arc::clone(&store));

    let mut rows_per_group: BTreeMap<(u32, u64), u32> = BTreeMap::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = rows
            .scan(b"", after.as_deref(), 1000)
            .expect("every row decodes");
        for (key, row) in &page {
            assert_eq!(key, &row.key());
            let size = row.payload.len();
            let expected = char::from(b'a' + row.index as u8).to_string().repeat(size);
            assert_eq!(
                row.payload,
                expected,
                "row {} payload",
                String::from_utf8_lossy(key)
            );
            *rows_per_group.entry((row.writer, row.batch)).or_default() += 1;
        }
        after = page.last().map(|(k, _)| k.clone());
        if page.len() < 1000 {
            break;
        }
    }
    let all_groups = groups.scan(b"", None, 10_000).expect("every group decodes");
    assert_eq!(
        all_groups.len(),
        rows_per_group.len(),
        "groups without rows, or rows without group"
    );
    let mut total = 0;
    for writer in 0..WRITERS {
        let batches: Vec<u64> = all_groups
            .iter()
            .filter(|(_, g)| g.writer == writer)
            .map(|(_, g)| g.batch)
            .collect();
        for (_, group) in all_groups.iter().filter(|(_, g)| g.writer == writer) {
            assert_eq!(
                rows_per_group.get(&(writer, group.batch)),
                Some(&ROWS),
                "batch {writer}/{} is torn",
                group.batch
            );
        }
        // A prefix: batch i+1 is never present without batch i.
        assert_eq!(
            batches,
            (0..batches.len() as u64).collect::<Vec<_>>(),
            "writer {writer} has gaps"
        );
        if let Some(&flushed) = durable.get(&writer) {
            assert!(
                batches.len() as u64 > flushed,
                "writer {writer}: flushed batch {flushed} lost"
            );
        }
        let last = progress
            .get(writer.to_string().as_bytes())
            .expect("progress decodes");
        assert_eq!(
            last.map(|p| p.last_batch),
            batches.last().copied(),
            "writer {writer} progress"
        );
        total += batches.len() as u64;
    }
    // The store takes writes again after the crash.
    store.apply(batch_for(99, 0)).unwrap();
    store.flush().unwrap();
    total
}

/// The crash suite's bodies, one module per engine.
mod suite {
    use super::*;

    pub(super) fn sigkill_during_batched_writes(engine: DiskEngine) {
        let mut rng = rand::thread_rng();
        let mut report = Vec::new();
        for run in 0..runs(10) {
            let (path, _dir) = engine.location();
            // Half the runs flush every batch, half every 7th, leaving unflushed batches in flight.
            let flush_every = if run % 2 == 0 { 1 } else { 7 };
            let flushes = rng.gen_range(1..150);
            let delay = Duration::from_micros(rng.gen_range(0..20_000));
            let durable = run_and_kill(engine, &path, flush_every, flushes, delay);
            let total = check_store(engine, &path, &durable);
            report.push(format!("run {run}: flush every {flush_every}, killed after {flushes} flushes + {delay:?}: {total} batches, durable {durable:?}"));
        }
        eprintln!("{}", report.join("\n"));
    }

    /// Every engine here keeps a returned write through a killed process (redb's journal in
    /// both durabilities, SQLite `synchronous=FULL`): killed without ever flushing, every batch
    /// whose `apply` returned is there.
    pub(super) fn sigkill_keeps_every_returned_write(engine: DiskEngine) {
        let mut rng = rand::thread_rng();
        let (path, _dir) = engine.location();
        let mut durable = BTreeMap::new();
        for _ in 0..runs(5) {
            let returned = run_and_kill(
                engine,
                &path,
                0,
                rng.gen_range(50..400),
                Duration::from_micros(rng.gen_range(0..10_000)),
            );
            for (w, b) in returned {
                let e = durable.entry(w).or_insert(b);
                *e = (*e).max(b);
            }
            check_store(engine, &path, &durable);
        }
    }

    /// A second crash on top of a recovered store, and a third: recovery is repeatable.
    pub(super) fn repeated_sigkills_on_one_store(engine: DiskEngine) {
        let mut rng = rand::thread_rng();
        let (path, _dir) = engine.location();
        let mut durable = BTreeMap::new();
        for _ in 0..runs(3) {
            let flushed = run_and_kill(
                engine,
                &path,
                1,
                rng.gen_range(20..100),
                Duration::from_micros(rng.gen_range(0..5_000)),
            );
            for (w, b) in flushed {
                let e = durable.entry(w).or_insert(b);
                *e = (*e).max(b);
            }
            check_store(engine, &path, &durable);
        }
    }

    /// SIGKILL while the store is being created: the directory is a whole store or none.
    pub(super) fn sigkill_during_creation(engine: DiskEngine) {
        let mut rng = rand::thread_rng();
        for _ in 0..runs(5) {
            let (path, _dir) = engine.location();
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "crash::crash_writer_child",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(DIR_VAR, &path)
                .env(ENGINE_VAR, engine.name)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            thread::sleep(Duration::from_micros(rng.gen_range(0..30_000)));
            child.kill().unwrap();
            child.wait().unwrap();
            check_store(engine, &path, &BTreeMap::new());
        }
    }
}

macro_rules! crash_suite {
    ($($name:ident => $engine:ident),*) => {$(
        mod $name {
            #[test]
            fn sigkill_during_batched_writes_leaves_whole_batches_and_keeps_flushed_ones() {
                super::suite::sigkill_during_batched_writes(crate::$engine)
            }
            #[test]
            fn repeated_sigkills_on_one_store() {
                super::suite::repeated_sigkills_on_one_store(crate::$engine)
            }
            #[test]
            fn sigkill_during_creation() {
                super::suite::sigkill_during_creation(crate::$engine)
            }
        }
    )*};
}

crash_suite!(redb => REDB, redb_on_flush => REDB_ON_FLUSH, postgres => POSTGRES);

/// A returned write survives a killed process, checked without any flush.
mod returned_writes {
    #[test]
    fn redb_sigkill_keeps_every_returned_write() {
        super::suite::sigkill_keeps_every_returned_write(crate::REDB)
    }
    #[test]
    fn redb_on_flush_sigkill_keeps_every_returned_write() {
        super::suite::sigkill_keeps_every_returned_write(crate::REDB_ON_FLUSH)
    }
    #[test]
    fn postgres_sigkill_keeps_every_returned_write() {
        super::suite::sigkill_keeps_every_returned_write(crate::POSTGRES)
    }
    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_sigkill_keeps_every_returned_write() {
        super::suite::sigkill_keeps_every_returned_write(crate::SQLITE)
    }
}
#[cfg(feature = "sled-tests")]
crash_suite!(sled => SLED);
#[cfg(feature = "sqlite")]
crash_suite!(sqlite => SQLITE);
