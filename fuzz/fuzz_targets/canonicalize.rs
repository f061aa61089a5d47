#![no_main]
//! See `rosette_fuzzing::canonicalize`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::canonicalize(data));
