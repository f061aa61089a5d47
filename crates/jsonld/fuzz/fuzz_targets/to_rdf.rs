//! Arbitrary bytes → JSON → expand + toRdf with the bundled contexts: must never panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rosette_jsonld::JsonLdProcessor;

static PROCESSOR: OnceLock<JsonLdProcessor> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let p = PROCESSOR.get_or_init(JsonLdProcessor::with_bundled_contexts);
    let _ = p.to_rdf_bytes(data);
});
