#![no_main]
//! `jws::decode_compact` (and verification of whatever decodes) must never panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(decoded) = rosette_did::jws::decode_compact(s)
    {
        let _ = decoded.verify_with_embedded_jwk();
    }
});
