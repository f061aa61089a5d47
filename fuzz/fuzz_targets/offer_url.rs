#![no_main]
//! See `rosette_fuzzing::offer_url`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::offer_url(data));
