#![no_main]
//! See `rosette_fuzzing::fetch_url`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::fetch_url(data));
