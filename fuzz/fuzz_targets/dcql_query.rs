#![no_main]
//! See `rosette_fuzzing::dcql_query`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::dcql_query(data));
