//! rosette-oid4vci integration tests: one binary (spec vectors, flows, attacks).

mod credential;
mod offer_urls;
mod proof;
mod robustness;
mod sealed_nonce;
mod support;
mod token;
mod vectors;
