#![no_main]
//! See `rosette_fuzzing::qr_encode`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rosette_fuzzing::qr_encode(data));
