#![no_main]
//! See `rosette_fuzzing::to_rdf`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::to_rdf(data));
