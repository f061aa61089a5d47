//! `rosette-agent keys …`

use std::process::ExitCode;

use anyhow::Result;
use rosette_did::{KeyType, SigningKey};

use super::cli::{GenerateArgs, KeyTypeArg, RotateKekArgs};
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

/// `rosette-agent keys rotate-kek`: the new key file is written before the store changes and
/// put in place after, so a crash leaves either the old key with the old seals, or `kek.new`
/// next to a store sealed under it (the error at start names the key it needs).
pub(crate) fn rotate_kek(args: &RotateKekArgs) -> Result<ExitCode> {
    use anyhow::{Context, bail};
    use rosette_agent::server::{KEK_ENV, KEK_FILE};
    use rosette_core::kek::Kek;
    if let (Some(url), Some(to)) = (&args.database_url, &args.to) {
        return rotate_kek_in_database(url, to);
    }
    let from_env = std::env::var_os(KEK_ENV).is_some();
    let file = args.data.join(KEK_FILE);
    if !from_env && !file.is_file() {
        bail!(
            "no key-encryption key: neither {KEK_ENV} nor {} exists",
            file.display()
        );
    }
    let (old, _) = rosette_agent::server::load_kek(None, &args.data)?;
    let new = Kek::generate();
    let staged = args.data.join(format!("{KEK_FILE}.new"));
    if staged.exists() {
        // An interrupted rotation: the store may be sealed under that key. Never overwrite it.
        bail!(
            "{} exists: an earlier rotation was interrupted. If the agent no longer starts with \
             {}, the store is sealed under the key in {}: move it to {} and rotate again",
            staged.display(),
            file.display(),
            staged.display(),
            file.display()
        );
    }
    if !from_env {
        rosette_agent::server::write_private(&staged, new.to_text().as_bytes())?;
    }
    let report = rosette_agent::server::rotate_kek(&args.data, &old, &new)?;
    if from_env {
        println!("{}", new.to_text().as_str());
        eprintln!(
            "re-sealed {} signing key(s) and {} server secret(s) under key {}: set {KEK_ENV} to \
             the key printed above (shown once) before starting the agent",
            report.signing_keys,
            report.server_secrets,
            new.id()
        );
    } else {
        let kept = args.data.join(format!("{KEK_FILE}.old"));
        std::fs::rename(&file, &kept).with_context(|| format!("cannot keep {}", kept.display()))?;
        std::fs::rename(&staged, &file)
            .with_context(|| format!("cannot put the new key in {}", file.display()))?;
        eprintln!(
            "re-sealed {} signing key(s) and {} server secret(s) under key {} (now in {}); the \
             previous key is in {}: delete it once your backups use the new one",
            report.signing_keys,
            report.server_secrets,
            new.id(),
            file.display(),
            kept.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `keys rotate-kek --database-url URL --to FILE`: re-seals a shared database under the KEK in
/// FILE while agents keep serving. Each agent must already open values sealed under it
/// (`ROSETTE_KEK_OTHER`); values are opened with `ROSETTE_KEK` and `ROSETTE_KEK_OTHER`.
fn rotate_kek_in_database(url: &str, to: &std::path::Path) -> Result<ExitCode> {
    use anyhow::{Context, bail};
    use rosette_agent::server::{KEK_ENV, load_other_kek};
    use rosette_core::kek::Kek;
    let text = std::env::var(KEK_ENV).unwrap_or_default();
    if text.trim().is_empty() {
        bail!("set {KEK_ENV} to the KEK the database is sealed under now");
    }
    let current = Kek::parse(&text).context(KEK_ENV)?;
    let others = load_other_kek(None)?;
    let new = Kek::parse(
        &std::fs::read_to_string(to).with_context(|| format!("cannot read {}", to.display()))?,
    )
    .with_context(|| format!("{}", to.display()))?;
    let opened = rosette_agent::server::open_database(
        &rosette_core::SecretString::new(url.to_owned()),
        Some(2),
        rosette_storage::watch::DEFAULT_STALL_AFTER,
    )?;
    let openers: Vec<&Kek> = std::iter::once(&current).chain(&others).collect();
    let report = rosette_agent::server::reseal_store(&opened.store, &openers, &new)?;
    eprintln!(
        "re-sealed {} signing key(s) and {} server secret(s) under key {} in {}; next: restart \
         each agent with this key as ROSETTE_KEK and the old one as ROSETTE_KEK_OTHER, run this \
         again, then drop the old key (docs/deploy.md)",
        report.signing_keys,
        report.server_secrets,
        new.id(),
        rosette_storage::redacted_url(url)
    );
    Ok(ExitCode::SUCCESS)
}
