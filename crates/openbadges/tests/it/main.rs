//! rosette-openbadges integration tests (one binary).

mod issuance;
mod model;
mod robustness;
mod vectors;

use serde_json::Value;
use std::path::PathBuf;

/// Path relative to this crate's directory.
pub fn crate_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Reads a JSON file relative to this crate's directory.
pub fn load_json(rel: &str) -> Value {
    let path = crate_path(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The OB 3.0 example credentials (everything but the status list credential).
pub const OB3_EXAMPLES: [&str; 8] = [
    "../proof/tests/vectors/ob3/test-vector/ob3-eddsa-rdfc-2022-signed.json",
    "../proof/tests/vectors/ob3/validator-simple.eddsa-rdfc-2022.json",
    "../proof/tests/vectors/ob3/validator-simple-did-key.eddsa-rdfc-2022.json",
    "../proof/tests/vectors/ob3/validator-complete.eddsa-rdfc-2022.json",
    "../proof/tests/vectors/ob3/validator-bitstring-revoked.eddsa-rdfc-2022.json",
    "../proof/tests/vectors/ob3/validator-endorsement.eddsa-rdfc-2022.json",
    "../proof/tests/vectors/ob3/validator-simple-vc1.1.ed25519signature2020.json",
    "../proof/tests/vectors/ob3/validator-simple-vc1.1.eddsa-2022-legacy.json",
];
