//! Private key files: a JWK, written once with mode 0600.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use rosette_did::SigningKey;

/// Writes `key` to a new file at `path`; refuses to replace an existing file.
pub(crate) fn write_new(path: &Path, key: &SigningKey) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!(
                "{} already exists; refusing to overwrite a key",
                path.display()
            )
        }
        _ => anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
    })?;
    let json = key.to_jwk_json();
    file.write_all(json.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a private JWK.
pub(crate) fn read(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?;
    let key = SigningKey::from_jwk_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a usable private key: {e}", path.display()))?;
    if text.len() > 64 * 1024 {
        bail!("{} is too large to be a key file", path.display());
    }
    Ok(key)
}
