#![no_main]
//! See `rosette_fuzzing::direct_post`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::direct_post(data));
