//! Integration tests of rosette-oid4vp: the whole exchange without I/O (verifier builds and
//! signs, wallet parses, verifies and answers, verifier judges), attack-named negatives, and
//! robustness of every parser against garbage.

// Test helpers are `pub` for the sibling modules; the lint is for library crates.
#![allow(unreachable_pub)]

mod flows;
mod robustness;
mod support;
mod vectors;
