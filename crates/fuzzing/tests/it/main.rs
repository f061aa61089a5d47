//! The fuzz targets under `cargo test`: each target's committed corpus replays cleanly, and
//! property tests drive the same parsers with generated structured input.

mod corpus;
mod properties;
