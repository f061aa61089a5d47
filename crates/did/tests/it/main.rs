//! rosette-did integration tests (one binary).

mod did_key;
mod did_web;
mod jws;
mod keys;
mod resolve;
mod vectors;

/// A deterministic RNG for tests (never for real keys).
pub(crate) fn test_rng(seed: u8) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::from_seed([seed; 32])
}
