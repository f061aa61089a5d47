#![no_main]
//! See `rosette_fuzzing::nquads`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::nquads(data));
