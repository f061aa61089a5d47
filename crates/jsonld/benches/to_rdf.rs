//! expand + toRdf of an Open Badges 3.0 credential with the bundled contexts, warm cache.
//! Run: `cargo bench -p rosette-jsonld --bench to_rdf`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rosette_jsonld::{JsonLdProcessor, Options};
use serde_json::Value;

fn credential() -> Value {
    read_without_proof("validator-simple.eddsa-rdfc-2022.json")
}

fn read_without_proof(name: &str) -> Value {
    let path = format!(
        "{}/../proof/tests/vectors/ob3/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("OB 3.0 example credential");
    let mut v: Value = serde_json::from_str(&text).expect("JSON");
    if let Some(m) = v.as_object_mut() {
        m.remove("proof");
    }
    v
}

fn bench(c: &mut Criterion) {
    let doc = credential();
    let p = JsonLdProcessor::with_bundled_contexts();
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    // Warm the context cache once; the loop then measures the steady state of a signer.
    let n = p.to_rdf(&doc, &strict).expect("to_rdf").len();
    assert!(n > 10, "{n} quads");
    c.bench_function("ob3_simple_to_rdf_warm", |b| {
        b.iter(|| p.to_rdf(black_box(&doc), &strict).expect("to_rdf"))
    });
    c.bench_function("ob3_simple_expand_warm", |b| {
        b.iter(|| p.expand(black_box(&doc), &strict).expect("expand"))
    });
    // The 1EdTech "complete" example: 356 quads, three embedded endorsement credentials.
    let complete = read_without_proof("validator-complete.eddsa-rdfc-2022.json");
    assert_eq!(p.to_rdf(&complete, &strict).expect("to_rdf").len(), 356);
    c.bench_function("ob3_complete_to_rdf_warm", |b| {
        b.iter(|| p.to_rdf(black_box(&complete), &strict).expect("to_rdf"))
    });
    c.bench_function("ob3_simple_to_rdf_cold_processor", |b| {
        b.iter(|| {
            let p = JsonLdProcessor::with_bundled_contexts();
            p.to_rdf(black_box(&doc), &strict).expect("to_rdf")
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
