#![no_main]
//! did:key parsing must never panic, and a parsed key must re-encode to the same DID.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(key) = rosette_did::did_key::parse_did_key(s) {
            assert_eq!(rosette_did::did_key(&key).as_str(), s);
        }
        let _ = rosette_did::did_key::parse_did_key_url(s, true);
        let _ = rosette_did::did_web::did_web_to_url(s, false);
    }
});
