//! Token form and credential request parsing never panic (`cargo +nightly fuzz run requests`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rosette_oid4vci::{CredentialRequest, NotificationRequest, TokenRequest};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = TokenRequest::from_form(data) {
        // Re-encoding a parsed form gives the same request.
        assert_eq!(
            TokenRequest::from_form(request.to_form().as_bytes()),
            Ok(request)
        );
    }
    let _ = CredentialRequest::from_json(data);
    let _ = NotificationRequest::from_json(data);
});
