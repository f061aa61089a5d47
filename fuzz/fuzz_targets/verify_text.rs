#![no_main]
//! See `rosette_fuzzing::verify_text`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::verify_text(data));
