//! Sign and verify throughput for a typical Open Badges 3.0 credential, both formats.
//! `cargo bench -p rosette-proof --bench proofs` prints time per operation and ops/s ("elem/s").

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rosette_core::{FixedClock, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner, Verifier};

fn typical_credential(issuer: &str) -> serde_json::Value {
    serde_json::to_value(
        rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
            issuer_did: issuer,
            issuer_name: "Rosette Demo University",
            subject_did: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            email: "learner@example.org",
            salt: "rosette-demo-salt",
            valid_from: "2026-01-01T00:00:00Z",
            uuid: "3f1b6a0e-5a6f-4d8e-9a4c-000000000001",
        })
        .expect("the demo credential is valid"),
    )
    .expect("a credential serialises")
}

fn bench(c: &mut Criterion) {
    let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now)),
    );
    let mut group = c.benchmark_group("ob3");
    group.throughput(Throughput::Elements(1));
    for (name, key_type, format) in [
        (
            "ldp_vc eddsa-rdfc-2022",
            KeyType::Ed25519,
            CredentialFormat::LdpVc,
        ),
        (
            "jwt_vc_json EdDSA",
            KeyType::Ed25519,
            CredentialFormat::JwtVcJson,
        ),
        (
            "jwt_vc_json ES256",
            KeyType::P256,
            CredentialFormat::JwtVcJson,
        ),
    ] {
        let key = SigningKey::generate(key_type, &mut rand::rngs::OsRng);
        let credential = typical_credential(key.did_key().as_str());
        let signer = CredentialSigner::did_key(Canonicalizer::bundled(), key);
        let signed = signer.sign(&credential, format, now).unwrap().to_text();
        assert!(runtime.block_on(verifier.verify_text(&signed)).is_valid());
        group.bench_function(format!("sign {name}"), |b| {
            b.iter(|| signer.sign(&credential, format, now).unwrap())
        });
        group.bench_function(format!("verify {name}"), |b| {
            b.iter(|| assert!(runtime.block_on(verifier.verify_text(&signed)).is_valid()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
