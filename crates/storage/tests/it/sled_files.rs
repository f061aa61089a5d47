//! The on-disk backend against reopen, locking and damaged files.

use std::fs;
use std::path::{Path, PathBuf};

use rosette_storage::{SledStore, StorageError, Store, Table, WriteBatch};

const T: Table = Table::new("files");

fn fill(path: &Path, n: u32) {
    let store = SledStore::open(path).unwrap();
    for chunk in 0..n / 100 {
        let mut batch = WriteBatch::new();
        for i in chunk * 100..(chunk + 1) * 100 {
            batch.insert(T, format!("k{i:06}"), vec![(i % 251) as u8; 1000]);
        }
        store.apply(batch).unwrap();
    }
    store.flush().unwrap();
}

fn files(path: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn experiment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    fill(&path, 3000);
    for f in files(&path) {
        eprintln!("{} {:?}", f.display(), fs::metadata(&f).unwrap().len());
    }
    let db = path.join("db");
    let len = fs::metadata(&db).unwrap().len();
    let bytes = fs::read(&db).unwrap();
    for (name, mutate) in [
        (
            "truncate half",
            Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 2)) as Box<dyn Fn(&mut Vec<u8>)>,
        ),
        ("truncate 0", Box::new(|b: &mut Vec<u8>| b.clear())),
        ("truncate 100", Box::new(|b: &mut Vec<u8>| b.truncate(100))),
        (
            "garble middle",
            Box::new(|b: &mut Vec<u8>| {
                let m = b.len() / 2;
                for x in &mut b[m..m + 4096] {
                    *x ^= 0x5a;
                }
            }),
        ),
        (
            "garble start",
            Box::new(|b: &mut Vec<u8>| {
                for x in &mut b[0..4096] {
                    *x ^= 0x5a;
                }
            }),
        ),
        (
            "garble tail",
            Box::new(|b: &mut Vec<u8>| {
                let m = b.len() - 4096;
                for x in &mut b[m..] {
                    *x ^= 0x5a;
                }
            }),
        ),
        (
            "zeros",
            Box::new(|b: &mut Vec<u8>| {
                for x in b.iter_mut() {
                    *x = 0;
                }
            }),
        ),
    ] {
        let mut copy = bytes.clone();
        mutate(&mut copy);
        fs::write(&db, &copy).unwrap();
        let r = std::panic::catch_unwind(|| {
            SledStore::open(&path).map(|s| {
                (
                    s.len(T).map_err(|e| e.to_string()),
                    s.get(T, b"k002999")
                        .map(|v| v.map(|v| v.len()))
                        .map_err(|e| e.to_string()),
                )
            })
        });
        eprintln!("{name} (len {len}): {r:?}");
    }
    fs::write(&db, &bytes).unwrap();
    fs::write(path.join("conf"), b"garbage").unwrap();
    let r = SledStore::open(&path).map(|s| s.len(T).map_err(|e| e.to_string()));
    eprintln!("garbled conf: {r:?}");
    fs::remove_file(path.join("conf")).unwrap();
    let r = SledStore::open(&path).map(|s| s.len(T).map_err(|e| e.to_string()));
    eprintln!("no conf: {r:?}");
    let _ = StorageError::Locked { path: path.clone() };
}
