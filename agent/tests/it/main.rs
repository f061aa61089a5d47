//! Integration tests of the issuer agent: one binary, the server on 127.0.0.1:0 in-process

// Test helpers are `pub` for the sibling modules; the lint is for library crates.
#![allow(unreachable_pub)]
//! (MemoryStore or RedbStore, FixedClock), driven over HTTP with reqwest.

mod admin;
mod attacks;
mod binary;
mod bulk;
mod common;
mod console;
mod e2e;
mod health;
mod hostile;
mod lifecycle;
mod metrics;
mod public;
mod restart;
mod status;
mod verifier;
