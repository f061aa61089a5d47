//! Encode, decode and check of a 131,072-entry list with 1% of its bits set.
//! `cargo bench -p rosette-status`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rosette_status::{MIN_LIST_LENGTH, StatusList, StatusListEntry, StatusPurpose, check};
use serde_json::json;

fn list() -> StatusList {
    let mut rng = StdRng::seed_from_u64(1);
    let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    for _ in 0..MIN_LIST_LENGTH / 100 {
        list.set(rng.gen_range(0..MIN_LIST_LENGTH as u64), true)
            .unwrap();
    }
    list
}

fn bench(c: &mut Criterion) {
    let list = list();
    let encoded = list.encode();
    eprintln!("encodedList: {} characters", encoded.len());
    c.bench_function("encode 131072 (1% set)", |b| {
        b.iter(|| black_box(&list).encode())
    });
    c.bench_function("decode 131072 (1% set)", |b| {
        b.iter(|| StatusList::decode_default(black_box(&encoded)).unwrap())
    });
    let credential = json!({
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation", "encodedList": encoded}
    });
    let entry = StatusListEntry::new(StatusPurpose::Revocation, 4242, "https://x.example/1");
    c.bench_function("check one entry", |b| {
        b.iter(|| check(black_box(&entry), black_box(&credential)).unwrap())
    });
    let mut allocator = rosette_status::IndexAllocator::new(MIN_LIST_LENGTH).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    c.bench_function("allocate (list filling up)", |b| {
        b.iter(|| {
            if allocator.allocated() + 1 >= allocator.capacity() {
                allocator = rosette_status::IndexAllocator::new(MIN_LIST_LENGTH).unwrap();
            }
            allocator.allocate(&mut rng).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
