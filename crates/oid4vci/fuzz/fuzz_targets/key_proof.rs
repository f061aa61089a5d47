//! Key proof parsing and validation never panic (`cargo +nightly fuzz run key_proof`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rosette_core::Timestamp;
use rosette_oid4vci::{KeyProofExpectations, unverified_proof_nonce, validate_jwt_proof};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let algs = vec!["EdDSA".to_owned(), "ES256".to_owned()];
    let Some(now) = Timestamp::from_unix(1_800_000_000) else {
        return;
    };
    let nonce = unverified_proof_nonce(text).ok();
    let expect =
        KeyProofExpectations::new("https://issuer.example.org", nonce.as_deref(), now, &algs);
    let _ = validate_jwt_proof(text, &expect);
});
