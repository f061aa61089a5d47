//! Throughput of the per-credential operations of the issuer and verifier.
//! `cargo bench -p rosette-openbadges --bench ob3`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rosette_openbadges::validate::typed_credential;
use rosette_openbadges::{
    AchievementCredential, DemoParams, SchemaVariant, demo_credential, prepare_for_issuance,
    semantic_violations, validate_credential,
};

fn params() -> DemoParams<'static> {
    DemoParams {
        issuer_did: "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        issuer_name: "Rosette Academy",
        subject_did: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        email: "conformance@imsglobal.org",
        salt: "pepper-0001",
        valid_from: "2026-11-26T12:00:00Z",
        uuid: "5b3c7e9a-2f41-4c8e-9d1a-0e6f3b2a7c10",
    }
}

fn benches(c: &mut Criterion) {
    rosette_openbadges::schema::warm_up().expect("bundled schemas compile");
    let demo = demo_credential(&params()).expect("demo");
    let value = serde_json::to_value(&demo).expect("value");
    let text = serde_json::to_string(&demo).expect("text");
    let complete: serde_json::Value = serde_json::from_str(include_str!(
        "../../proof/tests/vectors/ob3/validator-complete.eddsa-rdfc-2022.json"
    ))
    .expect("complete");

    c.bench_function("validate_strict_demo", |b| {
        b.iter(|| validate_credential(black_box(&value), SchemaVariant::Strict))
    });
    c.bench_function("validate_purl_demo", |b| {
        b.iter(|| validate_credential(black_box(&value), SchemaVariant::Purl))
    });
    c.bench_function("validate_strict_complete", |b| {
        b.iter(|| validate_credential(black_box(&complete), SchemaVariant::Strict))
    });
    c.bench_function("semantic_only_demo", |b| {
        b.iter(|| semantic_violations(black_box(&value)))
    });
    c.bench_function("parse_typed_demo", |b| {
        b.iter(|| serde_json::from_str::<AchievementCredential>(black_box(&text)))
    });
    c.bench_function("parse_typed_complete", |b| {
        b.iter(|| typed_credential(black_box(complete.clone())))
    });
    c.bench_function("serialize_demo", |b| {
        b.iter(|| serde_json::to_string(black_box(&demo)))
    });
    c.bench_function("demo_credential", |b| {
        b.iter(|| demo_credential(black_box(&params())))
    });
    let mut unsigned = value.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("id");
        m.remove("validFrom");
    }
    c.bench_function("prepare_for_issuance_strict", |b| {
        b.iter(|| {
            prepare_for_issuance(
                black_box(unsigned.clone()),
                "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
                "2026-11-26T12:00:00Z",
                || "5b3c7e9a-2f41-4c8e-9d1a-0e6f3b2a7c10".to_owned(),
                SchemaVariant::Strict,
            )
        })
    });
}

criterion_group! {
    name = ob3;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(ob3);
