//! RDF 1.1 datasets as the JSON-LD and Data Integrity code needs them: quads, their N-Quads
//! form, and RDF Dataset Canonicalization (RDFC-1.0, <https://www.w3.org/TR/rdf-canon/>).
//!
//! This crate does no I/O.
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
