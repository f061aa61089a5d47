#![no_main]
//! See `rosette_fuzzing::did_key`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::did_key(data));
