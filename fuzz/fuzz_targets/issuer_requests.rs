#![no_main]
//! See `rosette_fuzzing::issuer_requests`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::issuer_requests(data));
