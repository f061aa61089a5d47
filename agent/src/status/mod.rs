//! Credential status: a W3C Bitstring Status List per institution and purpose
//! (`rosette-status` holds the list logic; this role stores, signs and serves it).

pub mod http;
pub(crate) mod records;
pub mod service;
pub mod source;

pub use service::{StatusAction, StatusChange, StatusService};
pub use source::LocalStatusSource;
