//! `rosette-agent keys …`

use std::process::ExitCode;

use anyhow::Result;
use rosette_did::{KeyType, SigningKey};

use super::cli::{GenerateArgs, KeyTypeArg};
use super::keyfile;

pub(crate) fn generate(args: &GenerateArgs) -> Result<ExitCode> {
    let key_type = match args.key_type {
        KeyTypeArg::Ed25519 => KeyType::Ed25519,
        KeyTypeArg::P256 => KeyType::P256,
    };
    let key = SigningKey::generate(key_type, &mut rand::rngs::OsRng);
    keyfile::write_new(&args.out, &key)?;
    println!("{}", key.did_key().as_str());
    Ok(ExitCode::SUCCESS)
}
