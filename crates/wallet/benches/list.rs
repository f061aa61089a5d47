//! `list` over 10,000 stored badges (target ≤ 100 ms): unlock excluded, store read included.

use criterion::{Criterion, criterion_group, criterion_main};
use rosette_did::KeyType;
use rosette_wallet_core::{
    CredentialFormat, KdfParams, Passphrase, StoredBadge, Wallet, summarize,
};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pass = Passphrase::new("bench");
    let mut rng = rand::rngs::OsRng;
    let mut wallet = Wallet::init(
        dir.path(),
        &pass,
        KeyType::Ed25519,
        KdfParams::insecure_for_tests(),
        &mut rng,
    )
    .expect("init");
    let badges: Vec<StoredBadge> = (0..10_000)
        .map(|i| {
            let credential = serde_json::json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": format!("urn:uuid:{i}"),
                "issuer": {"id": "did:key:z6MkIssuer", "name": "Example College"},
                "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": {"achievement": {"name": format!("Badge {i}"), "description": "x".repeat(1500)}},
                "proof": {"proofValue": "z".repeat(88)}
            })
            .to_string();
            StoredBadge {
                format: CredentialFormat::LdpVc,
                summary: summarize(&credential).expect("summary"),
                credential,
                received_at: "2026-02-01T00:00:00Z".into(),
                source: "bench".into(),
            }
        })
        .collect();
    wallet.add(&badges, &mut rng).expect("add");
    drop(wallet);
    let wallet = Wallet::open(dir.path(), &pass).expect("open");
    c.bench_function("list_10000", |b| {
        b.iter(|| wallet.list().expect("list").len())
    });
    c.bench_function("open_store_and_list_10000_fast_kdf", |b| {
        b.iter(|| {
            Wallet::open(dir.path(), &pass)
                .expect("open")
                .list()
                .expect("list")
                .len()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
