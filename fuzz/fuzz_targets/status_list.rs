#![no_main]
//! See `rosette_fuzzing::status_list`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::status_list(data));
