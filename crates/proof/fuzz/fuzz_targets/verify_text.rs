//! Any bytes given to the verifier as a credential (JSON or VC-JWT) yield a verdict, never a
//! panic, and never a valid one for random input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(!rosette_proof::verify_untrusted_text_offline(text).is_valid());
    }
});
