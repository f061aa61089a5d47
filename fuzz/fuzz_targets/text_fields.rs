#![no_main]
//! See `rosette_fuzzing::text_fields`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::text_fields(data));
