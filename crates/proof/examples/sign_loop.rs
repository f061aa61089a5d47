//! Signs (and verifies) a typical credential in a loop, for profilers and CPU-time figures:
//! `cargo run --release -p rosette-proof --example sign_loop -- ldp 20000`
//! (modes: ldp, ldp-verify, jwt, jwt-verify). Prints CPU µs per operation (thread CPU time, so
//! the figure holds on a busy machine).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;

use rosette_core::{FixedClock, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner, Verifier};

fn cpu_seconds() -> f64 {
    // /proc/thread-self/stat fields 14 and 15: user and system time in clock ticks.
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ldp".into());
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let key = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
    let file = args.next();
    let demo = serde_json::to_value(
        rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
            issuer_did: key.did_key().as_str(),
            issuer_name: "Rosette Demo University",
            subject_did: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            email: "learner@example.org",
            salt: "salt",
            valid_from: "2026-01-01T00:00:00Z",
            uuid: "3f1b6a0e-5a6f-4d8e-9a4c-000000000001",
        })
        .unwrap(),
    )
    .unwrap();
    // Optional third argument: an unsigned credential file to use instead of the demo badge
    // (its issuer is replaced by the signing key's DID).
    let credential = match file {
        Some(path) => {
            let mut value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            value.as_object_mut().unwrap().remove("proof");
            value["issuer"]["id"] = demo["issuer"]["id"].clone();
            value
        }
        None => demo,
    };
    let signer = CredentialSigner::did_key(Canonicalizer::bundled(), key);
    let format = if mode.starts_with("jwt") {
        CredentialFormat::JwtVcJson
    } else {
        CredentialFormat::LdpVc
    };
    let signed = signer.sign(&credential, format, now).unwrap().to_text();
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now)),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let verify = mode.ends_with("verify");
    // Warm up: compile the JSON Schemas and fill the context cache before timing.
    for _ in 0..200 {
        assert!(runtime.block_on(verifier.verify_text(&signed)).is_valid());
        std::hint::black_box(signer.sign(&credential, format, now).unwrap());
    }
    let start = cpu_seconds();
    for _ in 0..n {
        if verify {
            assert!(runtime.block_on(verifier.verify_text(&signed)).is_valid());
        } else {
            std::hint::black_box(signer.sign(&credential, format, now).unwrap());
        }
    }
    let cpu = cpu_seconds() - start;
    let per_op = cpu / f64::from(n) * 1e6;
    println!(
        "{mode}: {per_op:.1} µs CPU per operation, {:.0} per second per core ({n} iterations)",
        1e6 / per_op
    );
}
