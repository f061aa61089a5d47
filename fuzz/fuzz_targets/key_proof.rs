#![no_main]
//! See `rosette_fuzzing::key_proof`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::key_proof(data));
