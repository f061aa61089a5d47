#![no_main]
//! See `rosette_fuzzing::read_credential`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::read_credential(data));
