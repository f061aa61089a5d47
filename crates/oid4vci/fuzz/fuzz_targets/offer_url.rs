//! Offer URL parsing never panics, and a parsed by-value offer survives build → parse
//! (`cargo +nightly fuzz run offer_url`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rosette_oid4vci::{OfferLocation, offer_url_by_reference, offer_url_by_value, parse_offer_url};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_offer_url(text) {
        Ok(OfferLocation::ByValue(offer)) => {
            let url = offer_url_by_value(&offer).expect("a parsed offer serialises");
            assert_eq!(parse_offer_url(&url), Ok(OfferLocation::ByValue(offer)));
        }
        Ok(OfferLocation::ByReference(uri)) => {
            let url = offer_url_by_reference(&uri);
            assert_eq!(parse_offer_url(&url), Ok(OfferLocation::ByReference(uri)));
        }
        _ => {}
    }
});
