//! parse → write → parse must give the same quads (`cargo +nightly fuzz run nquads`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // The property lives in the library so it is unit-tested on stable too.
        if let Err(e) = rosette_rdf::check_round_trip(text) {
            panic!("round trip failed: {e}");
        }
    }
});
