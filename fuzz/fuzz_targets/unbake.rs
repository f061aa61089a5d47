#![no_main]
//! See `rosette_fuzzing::unbake`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::unbake(data));
