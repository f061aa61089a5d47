//! The two calls into our JSON-LD and RDF crates that the cryptosuites make.

use rosette_jsonld::{JsonLdError, JsonLdProcessor, Options};
use rosette_rdf::{CanonError, CanonOptions, Quad};
use serde_json::Value;

/// JSON-LD → RDF in safe mode: an undefined term is an error, never silently dropped
/// (VC Data Integrity 1.0 §4.3 "safe mode"), so nothing unsigned can ride along.
pub(crate) fn to_rdf_strict(
    processor: &JsonLdProcessor,
    document: &Value,
) -> Result<Vec<Quad>, JsonLdError> {
    processor.to_rdf(
        document,
        &Options {
            strict: true,
            ..Options::default()
        },
    )
}

/// RDFC-1.0 with SHA-256 and the default work limits.
pub(crate) fn rdfc(quads: &[Quad]) -> Result<String, CanonError> {
    Ok(rosette_rdf::canonicalize(quads, &CanonOptions::default())?.into_string())
}
