#![no_main]
//! See `rosette_fuzzing::decode_compact`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::decode_compact(data));
