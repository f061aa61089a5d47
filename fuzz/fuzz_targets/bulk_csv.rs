#![no_main]
//! See `rosette_fuzzing::bulk_csv`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::bulk_csv(data));
