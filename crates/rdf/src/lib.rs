//! RDF 1.1 datasets as the JSON-LD and Data Integrity code needs them: quads, their N-Quads
//! form, and RDF Dataset Canonicalization (RDFC-1.0, <https://www.w3.org/TR/rdf-canon/>).
//!
//! This crate does no I/O.

mod model;

pub use model::{BlankNode, GraphName, Literal, Object, Quad, Subject};
