#![no_main]
//! See `rosette_fuzzing::request_url`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::request_url(data));
