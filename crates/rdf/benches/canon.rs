//! RDFC-1.0 on credential-sized datasets: `cargo bench -p rosette-rdf --bench canon`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rosette_rdf::{CanonOptions, canonicalize, parse_nquads};

const VECTOR: &str = include_str!("data/ob3-vector-document.nq");
const CREDENTIAL: &str = include_str!("data/ob3-credential-40.nq");
/// Two alignments with identical content: their first-degree hashes collide.
const TWINS: &str = "\
<https://example.com/achievements/21st-century-skills/teamwork> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment> _:al1 .
<https://example.com/achievements/21st-century-skills/teamwork> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment> _:al2 .
_:al1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Alignment> .
_:al2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Alignment> .
";

fn bench(c: &mut Criterion) {
    let options = CanonOptions::default();
    let twins = format!("{CREDENTIAL}{TWINS}");
    for (name, doc) in [
        ("vector-16q-1bn", VECTOR),
        ("credential-43q-6bn", CREDENTIAL),
        ("credential-47q-8bn-ndegree", twins.as_str()),
    ] {
        let quads = parse_nquads(doc).expect("bench data parses");
        c.bench_function(&format!("canonicalize/{name}"), |b| {
            b.iter(|| canonicalize(black_box(&quads), &options).expect("canonicalizes"))
        });
    }
    c.bench_function("parse_nquads/credential-43q-6bn", |b| {
        b.iter(|| parse_nquads(black_box(CREDENTIAL)).expect("parses"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
