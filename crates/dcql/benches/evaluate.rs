//! DCQL costs a wallet pays per request: expanding a credential's types (JSON-LD, bundled
//! contexts) and evaluating a query against the stored badges.
//! `cargo bench -p rosette-dcql --bench evaluate`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rosette_dcql::{Candidate, DcqlQuery, evaluate, w3c};
use serde_json::{Value, json};

fn demo_badge() -> Value {
    let text = include_str!("../tests/vectors/credentials/demo-badge.ldp.json");
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn bench(c: &mut Criterion) {
    let badge = demo_badge();
    c.bench_function("expanded_types(demo badge)", |b| {
        b.iter(|| w3c::expanded_types(black_box(&badge)))
    });
    let Ok(one) = Candidate::ldp_vc(badge) else {
        return;
    };
    // A wallet of 100 badges; the query uses a wildcard path and claim_sets.
    let candidates: Vec<Candidate> = (0..100).map(|_| one.clone()).collect();
    let query: DcqlQuery = match serde_json::from_value(json!({"credentials": [{
        "id": "b", "format": "ldp_vc", "meta": {"type_values": w3c::ob3_type_values()},
        "claims": [
            {"id": "tag", "path": ["credentialSubject", "achievement", "tag", null], "values": ["rust"]},
            {"id": "name", "path": ["credentialSubject", "achievement", "name"]}
        ],
        "claim_sets": [["tag", "name"], ["name"]]
    }]})) {
        Ok(q) => q,
        Err(_) => return,
    };
    c.bench_function("evaluate(1 query, 100 badges)", |b| {
        b.iter(|| evaluate(black_box(&query), black_box(&candidates)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
