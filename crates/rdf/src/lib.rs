//! RDF 1.1 datasets as the JSON-LD and Data Integrity code needs them: quads, their N-Quads
//! form, and RDF Dataset Canonicalization (RDFC-1.0, <https://www.w3.org/TR/rdf-canon/>).
//!
//! This crate does no I/O.
//!
//! Untrusted input: [`parse_nquads`] never panics and rejects anything outside the N-Quads
//! grammar (relative IRIs, IRI characters IRIREF forbids even when `\u`-escaped, surrogate
//! escapes, bad labels and tags), with the line number. [`canonicalize`] bounds the
//! exponential part of RDFC-1.0 (Hash N-Degree Quads) by a work budget and a recursion depth
//! ([`CanonOptions`]) and returns [`CanonError::TooComplex`] instead of running unbounded on a
//! poison graph. When every blank node has a unique first-degree hash, as in ordinary
//! credentials, it does no N-degree work at all.
//!
//! ```
//! let c = rosette_rdf::canonicalize_nquads("_:x <urn:p> \"v\" .\n").unwrap();
//! assert_eq!(c.as_str(), "_:c14n0 <urn:p> \"v\" .\n");
//! assert_eq!(c.issued()["x"], "c14n0");
//! ```

mod canon;
mod model;
mod nquads;

pub use canon::{
    CanonError, CanonOptions, Canonical, CanonicalizeNQuadsError, HashAlgorithm, canonicalize,
    canonicalize_nquads,
};
pub use model::{
    BlankNode, GraphName, Literal, Object, Quad, RDF_LANG_STRING, Subject, XSD_STRING,
};
pub use nquads::{NQuadsError, RoundTripError, check_round_trip, parse_nquads, write_nquads};
